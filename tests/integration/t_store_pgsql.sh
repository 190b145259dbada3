#!/bin/bash
# t_store_pgsql -- the store's unit tests (tests/unit/test_store.c)
#   against a real PostgreSQL instead of SQLite: a throw-away cluster
#   initdb'd in a temporary directory as the `postgres` system user,
#   listening on 127.0.0.1:$PG_PORT only (its unix socket in the same
#   directory), one database (ICU en-US collation where the server has
#   it, so the byte-order walks are really tested); then test_store
#   with STORE_TEST_URI=postgresql://postgres@127.0.0.1:$PG_PORT/$PG_DB,
#   twice (the second run proves a rerun starts clean). Passes when
#   every cmocka case passed both times, with no sanitizer report, and
#   the tables really are in PostgreSQL. The server is stopped by the
#   postmaster's PID (fast shutdown) and the directory removed.
#   The cases cover the guard's tables too (bans, ban_events, allowlist,
#   ban_cmds, schema version 4 with the numbering and alert tables) and the migration of a version-1
#   database; afterwards the schema the last case left is checked from
#   psql: version 4, every table and index, bigserial ids, byte-order
#   key columns.
#   The test binary matches the daemon under test: build/san/tests/
#   when $CENTINELA_BIN is the ASan+UBSan build, else build/tests/
#   (made, or brought up to date, here); $STORE_TEST_BIN, when set,
#   names a test_store already built (used as it is). Missing packages
#   are installed; nothing is skipped.
TEST_ID=23
. "$(dirname "$0")/lib.sh"

PG_PORT=$((BASE + 20))
PG_DB=centinela_test
PG_SCHEMA=centinela_store_test	# what test_store creates
. "$ITEST/pg.sh"

# ---- the test binary --------------------------------------------------------

case $BIN in
*/build/san/*)
	TS=$TOP/build/san/tests/test_store
	MKARGS="SANITIZE=address,undefined"
	;;
*)
	TS=$TOP/build/tests/test_store
	MKARGS=""
	;;
esac
if [ -n "${STORE_TEST_BIN:-}" ]; then
	case $STORE_TEST_BIN in /*) TS=$STORE_TEST_BIN ;; *) TS=$TOP/$STORE_TEST_BIN ;; esac
else
	# shellcheck disable=SC2086
	make -C "$TOP" --no-print-directory $MKARGS "${TS#"$TOP"/}" \
	    >"$T/make.out" 2>&1 || fail "cannot build $TS"
fi
[ -x "$TS" ] || fail "no $TS after make"
say "test binary $TS"

# ---- the tests ------------------------------------------------------------------

URI=$PG_URI

# run_store_tests N -- one run of test_store on PostgreSQL, checked.
run_store_tests() {
	local out=$T/test_store$1.out rc total passed
	STORE_TEST_URI=$URI "$TS" >"$out" 2>&1
	rc=$?
	total=$(sed -n 's/.*\] Running \([0-9]*\) test(s).*/\1/p' "$out")
	passed=$(sed -n 's/.*\[  PASSED  \] \([0-9]*\) test(s).*/\1/p' "$out")
	grep -E '^\[  (FAILED|ERROR) ' "$out" | sed 's/^/  | /'
	[ "$rc" -eq 0 ] || fail "run $1: test_store exited with status $rc"
	grep -q 'database PostgreSQL' "$out" ||
	    fail "run $1: test_store did not use PostgreSQL"
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Undefined|Leak)' "$out"; then
		fail "run $1: sanitizer report in $out"
	fi
	[ -n "$total" ] && [ "$total" -gt 0 ] && [ "$passed" = "$total" ] ||
	    fail "run $1: ${passed:-0} of ${total:-?} cases passed"
	ok "run $1: $passed of $total test_store cases passed on PostgreSQL"
}

run_store_tests 1
run_store_tests 2

# The schema the last case left behind is in the server, at version 4.

# psql_val SQL -- one value from the test database.
psql_val() {
	as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$PG_DB" \
	    -XAtc "$1" 2>>"$T/psql.err"
}

v=$(psql_val "SELECT value FROM $PG_SCHEMA.meta WHERE key = 'schema_version'")
expect_num "schema_version in PostgreSQL" "$v" -eq 6
n=$(psql_val "SELECT count(*) FROM information_schema.tables WHERE table_schema = '$PG_SCHEMA' AND table_name IN ('accounts', 'bindings', 'meta', 'bans', 'ban_events', 'allowlist', 'ban_cmds', 'num_datasets', 'num_ranges', 'num_own', 'num_exceptions', 'sms_aliases', 'robinson', 'cid_blocks', 'alerts', 'alert_deliveries', 'fraud_subjects', 'devices')")
expect_num "store tables in PostgreSQL" "$n" -eq 18
n=$(psql_val "SELECT count(*) FROM pg_indexes WHERE schemaname = '$PG_SCHEMA' AND indexname IN ('bindings_expires', 'bans_forget', 'ban_events_addr', 'num_exceptions_digits', 'alerts_ts', 'alert_deliveries_due', 'fraud_subjects_suspended', 'devices_account')")
expect_num "store indexes in PostgreSQL" "$n" -eq 8
n=$(psql_val "SELECT count(*) FROM $PG_SCHEMA.meta WHERE key = 'allow_generation'")
expect_num "meta allow_generation row" "$n" -eq 1
# Ids from a sequence (bigserial), never reused.
n=$(psql_val "SELECT count(*) FROM information_schema.columns WHERE table_schema = '$PG_SCHEMA' AND table_name IN ('ban_events', 'ban_cmds', 'num_datasets', 'num_exceptions') AND column_name = 'id' AND data_type = 'bigint' AND column_default LIKE 'nextval(%'")
expect_num "bigserial ids" "$n" -eq 4
# Address columns sort bytewise whatever the database's collation.
n=$(psql_val "SELECT count(*) FROM information_schema.columns WHERE table_schema = '$PG_SCHEMA' AND column_name = 'addr' AND collation_name = 'C'")
expect_num "addr columns with COLLATE \"C\"" "$n" -eq 4
# Every integer column of the guard's tables is 64 bits.
n=$(psql_val "SELECT count(*) FROM information_schema.columns WHERE table_schema = '$PG_SCHEMA' AND table_name IN ('bans', 'ban_events', 'allowlist', 'ban_cmds') AND data_type NOT IN ('bigint', 'text')")
expect_num "guard columns other than bigint or text" "$n" -eq 0

# ---- stop by PID ----------------------------------------------------------------

pid=$PG_PID
pg_stop || fail "postgres $pid needed an immediate shutdown"
gone "$pid" || fail "postgres $pid still running"
port_bound tcp "$PG_PORT" && fail "port $PG_PORT still bound"
ok "postgres $pid stopped"

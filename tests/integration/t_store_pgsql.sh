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
#   The test binary matches the daemon under test: build/san/tests/
#   when $CENTINELA_BIN is the ASan+UBSan build, else build/tests/
#   (made, or brought up to date, here). Missing packages are
#   installed; nothing is skipped.
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
# shellcheck disable=SC2086
make -C "$TOP" --no-print-directory $MKARGS "${TS#"$TOP"/}" \
    >"$T/make.out" 2>&1 || fail "cannot build $TS"
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

# The schema the last case left behind is in the server, at version 1.
v=$(as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$PG_DB" \
    -XAtc "SELECT value FROM $PG_SCHEMA.meta WHERE key = 'schema_version'" \
    2>"$T/psql.err")
expect_num "schema_version in PostgreSQL" "$v" -eq 1
n=$(as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$PG_DB" \
    -XAtc "SELECT count(*) FROM information_schema.tables WHERE table_schema = '$PG_SCHEMA' AND table_name IN ('accounts', 'bindings', 'meta')" \
    2>>"$T/psql.err")
expect_num "store tables in PostgreSQL" "$n" -eq 3

# ---- stop by PID ----------------------------------------------------------------

pid=$PG_PID
pg_stop || fail "postgres $pid needed an immediate shutdown"
gone "$pid" || fail "postgres $pid still running"
port_bound tcp "$PG_PORT" && fail "port $PG_PORT still bound"
ok "postgres $pid stopped"

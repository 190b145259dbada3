# tests/integration/pg.sh -- a throw-away PostgreSQL for a test (bash,
# sourced after lib.sh). Sourcing it installs PostgreSQL when missing,
# initdb's a cluster in a temporary directory as the `postgres` system
# user, starts it on 127.0.0.1:$PG_PORT only (its unix socket in the
# same directory), creates database $PG_DB and sets PG_URI. An EXIT
# trap stops the postmaster by its PID (fast shutdown) and removes the
# directory before lib.sh's own checks. The caller sets PG_PORT and
# PG_DB first (defaults: BASE + 20, centinela_test).

PG_PORT=${PG_PORT:-$((BASE + 20))}
PG_DB=${PG_DB:-centinela_test}
PG_PID=""
PGROOT=""

need_pkg postgresql libcmocka-dev libsqlite3-dev libpq-dev pkg-config ||
    fail "cannot install PostgreSQL and the build dependencies"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
for b in initdb pg_ctl createdb psql; do
	[ -x "$PGBIN/$b" ] || fail "no $b under /usr/lib/postgresql/*/bin"
done
id -u postgres >/dev/null 2>&1 || fail "no postgres system user"

# as_pg CMD... -- run CMD as the postgres user, from a directory it may
# enter (it cannot read the work tree's build/itest/).
as_pg() { (cd "$PGROOT" && runuser -u postgres -- "$@"); }

pg_stop() {
	local rc=0
	[ -n "$PG_PID" ] || return 0
	# SIGINT to the postmaster is PostgreSQL's "fast" shutdown.
	kill -INT "$PG_PID" 2>/dev/null
	if ! wait_until 30 gone "$PG_PID"; then
		say "postgres $PG_PID did not stop; immediate shutdown"
		kill -QUIT "$PG_PID" 2>/dev/null
		wait_until 5 gone "$PG_PID" || kill -KILL "$PG_PID" 2>/dev/null
		rc=1
	fi
	PG_PID=""
	return $rc
}

# Runs before lib.sh's on_exit (which sees our exit status unchanged).
pg_teardown() {
	local rc=$?
	pg_stop || FAILED=1
	if [ -n "$PGROOT" ] && [ -d "$PGROOT" ]; then
		cp "$PGROOT/postgres.log" "$T/postgres.out" 2>/dev/null
		rm -rf "$PGROOT"
	fi
	return $rc
}
trap 'pg_teardown; on_exit' EXIT

# In /tmp, not $TMPDIR: every directory above the cluster must be
# searchable by the postgres user.
PGROOT=$(mktemp -d /tmp/centinela-pg.XXXXXX) || fail "mktemp failed"
chown postgres: "$PGROOT" && chmod 700 "$PGROOT" || fail "chown $PGROOT"

as_pg "$PGBIN/initdb" -D "$PGROOT/data" -U postgres -A trust -E UTF8 \
    --locale=C.UTF-8 --no-sync >"$T/initdb.out" 2>&1 ||
    fail "initdb failed"
as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/postgres.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$PGROOT -c fsync=off" \
    start >"$T/pg_ctl.out" 2>&1
start_rc=$?
# The PID first, so a half-started server is stopped too.
[ -s "$PGROOT/data/postmaster.pid" ] &&
    PG_PID=$(head -n 1 "$PGROOT/data/postmaster.pid")
[ "$start_rc" -eq 0 ] && [ -n "$PG_PID" ] && alive "$PG_PID" ||
    fail "postgres did not start"
port_bound tcp "$PG_PORT" || fail "postgres does not listen on $PG_PORT"
say "postgres $PG_PID on 127.0.0.1:$PG_PORT ($(basename "$(dirname "$PGBIN")"))"

# A linguistic collation (ICU en-US sorts "a" before "B"), so the
# byte-order walks are tested for real: the store's key columns must
# carry COLLATE "C". Locale providers arrived in PostgreSQL 15.
DBOPTS=""
if "$PGBIN/createdb" --help | grep -q -- --locale-provider; then
	DBOPTS="-T template0 -E UTF8 --locale=C.UTF-8 --locale-provider=icu --icu-locale=en-US"
fi
# shellcheck disable=SC2086
as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres $DBOPTS \
    "$PG_DB" >"$T/createdb.out" 2>&1 || fail "createdb failed"

PG_URI="postgresql://postgres@127.0.0.1:$PG_PORT/$PG_DB"

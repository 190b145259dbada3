#!/bin/bash
# t_auth_pgsql -- the account and auth tests of t_auth_register, with
# the store on a real PostgreSQL server instead of SQLite: accounts made
# by centinelactl in PostgreSQL, the daemon loading them from there, the
# full digest/registrar suite, a change made while the daemon runs
# (suspend) picked up without a restart, and the bindings written
# behind to PostgreSQL.
TEST_ID=32
. "$(dirname "$0")/lib.sh"
need_pkg python3 curl
PG_DB=centinela_auth
. "$ITEST/pg.sh"

EXTRA="store = { uri = \"$PG_URI\"; poll_interval = 200; };
registrar = { min_expires = 2; default_expires = 300; };
auth = { nonce_lifetime = 10; };"
write_conf "$T/centinela.conf"
CTL=$(dirname "$BIN")/centinelactl
ctl() { "$CTL" user -c "$T/centinela.conf" "$@"; }

SECRET=$(user_add "$T/centinela.conf" 100) || fail "user add 100 failed"
ctl add 101 >/dev/null || fail "user add 101 failed"
n=$(as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$PG_DB" \
    -XAtc "SELECT count(*) FROM accounts" 2>"$T/psql.err")
expect_num "accounts in PostgreSQL" "$n" -eq 2

start_centinela
expect_metric centinela_accounts "" -eq 2
python3 "$ITEST/sipauth.py" suite --port "$SIP_PORT" --user 100 \
    --secret "$SECRET" --other 101 --bind 127.0.0.2 --lifetime 10 \
    --min-expires 2 || fail "sipauth suite failed on PostgreSQL"

# A live change: suspended, the account no longer authenticates.
python3 "$ITEST/sipauth.py" register --port "$SIP_PORT" --user 100 \
    --secret "$SECRET" --bind 127.0.0.2 >/dev/null ||
    fail "registration before suspend failed"
ctl suspend 100 >/dev/null || fail "user suspend failed"
sleep 1
python3 "$ITEST/sipauth.py" register --port "$SIP_PORT" --user 100 \
    --secret "$SECRET" --bind 127.0.0.2 >"$T/suspended.out" &&
    fail "a suspended account still registers"
expect_metric centinela_events_total 'event="auth_failed",reason="suspended"' -ge 1
ok "suspend on a running daemon takes effect"

sleep 0.5
b=$(as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$PG_DB" \
    -XAtc "SELECT count(*) FROM bindings WHERE aor = '100@centinela.local'" \
    2>>"$T/psql.err")
expect_num "bindings written behind to PostgreSQL" "$b" -ge 1

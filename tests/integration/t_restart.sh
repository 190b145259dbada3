#!/bin/bash
# t_restart -- registrations survive a restart: a clean stop (SIGTERM)
# and a kill -9. Bindings are persisted write-behind to the SQLite store;
# after each start the restored count, the registered-contacts gauge and
# an authenticated query REGISTER (the 200 lists the contacts) agree.
TEST_ID=33
. "$(dirname "$0")/lib.sh"
need_pkg python3 curl

write_conf "$T/centinela.conf"
CTL=$(dirname "$BIN")/centinelactl
SECRET=$(user_add "$T/centinela.conf" 100) || fail "user add failed"

reg() {	# reg BIND -- one registration from address BIND, 600 s
	python3 "$ITEST/sipauth.py" register --port "$SIP_PORT" --user 100 \
	    --secret "$SECRET" --bind "$1" --expires 600 >"$T/reg.out" ||
	    { cat "$T/reg.out"; fail "registration from $1 failed"; }
}

start_centinela
reg 127.0.0.2
reg 127.0.0.3
expect_metric centinela_registered_contacts "" -eq 2

stop_centinela || fail "centinela did not stop cleanly"
LOG=$T/centinela-2.log
start_centinela
grep -q "location: 2 bindings restored" "$LOG" ||
    fail "clean restart: bindings not restored ($(grep location: "$LOG"))"
expect_metric centinela_registered_contacts "" -eq 2
ok "clean stop: 2 bindings restored"

reg 127.0.0.4
expect_metric centinela_registered_contacts "" -eq 3
# The writer commits each batch at once; give it well under a second.
sleep 0.5
kill -9 "$CENTINELA_PID"
wait "$CENTINELA_PID" 2>/dev/null
untrack "$CENTINELA_PID"
CENTINELA_PID=""
LOG=$T/centinela-3.log
start_centinela
grep -q "location: 3 bindings restored" "$LOG" ||
    fail "kill -9: bindings not restored ($(grep location: "$LOG"))"
expect_metric centinela_registered_contacts "" -eq 3
expect_metric centinela_registered_aors "" -eq 1
ok "kill -9: 3 bindings restored, the last one 0.5 s before the kill"
# Still usable: a fresh registration on top of the restored table.
reg 127.0.0.5
expect_metric centinela_registered_contacts "" -eq 4

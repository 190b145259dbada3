#!/bin/bash
# t_fork -- calls from the PBX (a trusted "pbx" peer) to a registered
# user fork in parallel to every contact (RFC 3261 section 16.7):
#   - two phones, one answers 200 and one only rings: the caller gets
#     the 200, ACK and BYE reach the answering phone, the ringing one
#     gets a CANCEL (and answers 487, which centinela ACKs itself);
#   - two phones answering 486 and 603: the caller gets the 603;
#   - a user with no binding: 480;
#   - the PBX's OPTIONS to centinela itself (no user part: a qualify
#     ping, to its address or to its domain) is answered 200 here, not
#     taken for a call to a user.
# Requests reach each phone at the address its REGISTER came from, and
# with registrar.nat_ping_interval = 1 each UDP contact gets an OPTIONS
# keep-alive every second there.
TEST_ID=36
. "$(dirname "$0")/lib.sh"
need_pkg python3 curl
PH=$ITEST/phones.py

EXTRA='peers = ( { name = "pbx"; cidr = "127.0.0.1/32"; role = "pbx"; } );
registrar = { nat_ping_interval = 1; };'
write_conf "$T/centinela.conf"
CTL=$(dirname "$BIN")/centinelactl
secret() {	# secret USER -- add the account, print its device secret
	user_add "$T/centinela.conf" "$1"
}
S100=$(secret 100) || fail "user add 100 failed"
S101=$(secret 101) || fail "user add 101 failed"
secret 102 >/dev/null
start_centinela

phones() {	# phones USER SECRET BINDS ANSWERS REPORT
	rm -f "$5" "$5.ready"
	python3 "$PH" phones --port "$SIP_PORT" --user "$1" --secret "$2" \
	    --binds "$3" --answers "$4" --seconds 6 --report "$5" \
	    >"$5.out" 2>&1 &
	track $!
	PHONES_PID=$!
	wait_until 10 test -e "$5.ready" || fail "phones did not register"
}
seen() {	# seen REPORT BIND FIELD
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))
k=[k for k in r if k.startswith(sys.argv[2]+":")][0]; print(r[k][sys.argv[3]])' "$@"
}
finish() {
	wait "$PHONES_PID" || fail "phones failed: $(cat "$1.out")"
	untrack "$PHONES_PID"
}

# 1. one phone answers, the other rings
phones 100 "$S100" 127.0.0.2,127.0.0.3 200,ring "$T/a.json"
expect_metric centinela_registered_contacts "" -eq 2
python3 "$PH" call --port "$SIP_PORT" --ruri "sip:100@centinela.local" \
    --expect 200 || fail "the call to 100 did not complete"
finish "$T/a.json"
expect_num "answering phone: INVITE" "$(seen "$T/a.json" 127.0.0.2 INVITE)" -eq 1
expect_num "answering phone: ACK" "$(seen "$T/a.json" 127.0.0.2 ACK)" -eq 1
expect_num "answering phone: BYE" "$(seen "$T/a.json" 127.0.0.2 BYE)" -eq 1
expect_num "ringing phone: INVITE" "$(seen "$T/a.json" 127.0.0.3 INVITE)" -eq 1
expect_num "ringing phone: CANCEL" "$(seen "$T/a.json" 127.0.0.3 CANCEL)" -eq 1
expect_num "ringing phone: BYE" "$(seen "$T/a.json" 127.0.0.3 BYE)" -eq 0
expect_num "NAT keep-alive OPTIONS to a phone" "$(seen "$T/a.json" 127.0.0.2 OPTIONS)" -ge 3
expect_metric centinela_drops_total 'reason="stray_response"' -eq 0

# 2. both refuse: the 6xx wins
phones 101 "$S101" 127.0.0.4,127.0.0.5 486,603 "$T/b.json"
python3 "$PH" call --port "$SIP_PORT" --ruri "sip:101@centinela.local" \
    --expect 603 || fail "the call to 101 did not end with 603"
finish "$T/b.json"
expect_num "busy phone: ACK of its 486" "$(seen "$T/b.json" 127.0.0.4 ACK)" -eq 1
expect_num "declining phone: ACK of its 603" "$(seen "$T/b.json" 127.0.0.5 ACK)" -eq 1

# 3. an account without bindings, and no account at all
python3 "$PH" call --port "$SIP_PORT" --ruri "sip:102@centinela.local" \
    --expect 480 || fail "unregistered user: not 480"
python3 "$PH" call --port "$SIP_PORT" --ruri "sip:999@centinela.local" \
    --expect 480 || fail "unknown user: not 480"
expect_metric centinela_rejects_total 'reason="not_registered"' -eq 2

# 4. the PBX qualifying centinela: OPTIONS sip:127.0.0.1:PORT
siptest options --port "$SIP_PORT" || fail "the PBX's OPTIONS ping not answered 200"
"$PYTHON" "$ITEST/tlsreq.py" --tp udp --port "$SIP_PORT" --bind 127.0.0.1 --method OPTIONS \
    --ruri "sip:centinela.local" --expect 200 >"$T/q" ||
    fail "the PBX's OPTIONS to sip:centinela.local: $(cat "$T/q")"
ok "OPTIONS sip:centinela.local from the PBX: 200"
expect_metric centinela_rejects_total 'reason="not_registered"' -eq 2

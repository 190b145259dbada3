#!/bin/bash
# t_call_mixed -- the caller on UDP, the upstream on TCP: centinela
# changes transport, so it must double record-route (RFC 5658): the
# UAS must see two Record-Route lines, the top one facing it
# (;transport=tcp) and the next one facing the caller (UDP). 20 calls;
# all must succeed on both sides, ACK and BYE reaching the UAS through
# centinela along that route set. Both Route entries are centinela's
# own: it must consume both in one hop (ACK and BYE counted once, and
# the UAS checks Max-Forwards 69 on INVITE, ACK and BYE); an earlier
# version popped one and sent the request to itself over TCP.
TEST_ID=21
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester curl
N=20

UPSTREAMS="pbx tcp 127.0.0.1 $UAS_PORT 1 1"
write_conf "$T/centinela.conf"
scenario uas_call RR="Record-Route: <sip:127\\.0\\.0\\.1:$SIP_PORT;transport=tcp;lr;ad=[0-9a-f]{16}>[[:space:]]+Record-Route: <sip:127\\.0\\.0\\.1:$SIP_PORT;lr;ad=[0-9a-f]{16}>"
start_uas uas "$T/uas_call.xml" "$UAS_PORT" -t t1 \
    -key contact "127.0.0.1:$UAS_PORT;transport=tcp"
start_centinela
wait_upstream_healthy pbx

sipp_run uac -sf "$SCEN/uac_call.xml" -key rhost "127.0.0.1:$SIP_PORT" \
    -s callee -i 127.0.0.1 -p "$UAC_PORT" -m "$N" -r 10 -l "$N" \
    "127.0.0.1:$SIP_PORT" || fail "SIPp UAC exited with status $?"
expect_num "UAC successful calls" "$(sipp_stat uac 'SuccessfulCall(C)')" -eq "$N"
wait_uas uas "$N"
expect_num "UAS successful calls" "$(sipp_stat uas 'SuccessfulCall(C)')" -eq "$N"
expect_num "UAS failed calls" "$(sipp_stat uas 'FailedCall(C)')" -eq 0
expect_metric centinela_requests_total 'method="INVITE"' -eq "$N"
expect_metric centinela_requests_total 'method="ACK"' -eq "$N"
expect_metric centinela_requests_total 'method="BYE"' -eq "$N"

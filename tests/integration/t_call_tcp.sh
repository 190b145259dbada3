#!/bin/bash
# t_call_tcp -- t_call_udp over TCP on both sides: SIPp UAC (one TCP
# connection) -> centinela -> SIPp UAS upstream over TCP. All 50 calls
# succeed on both sides, the UAS sees centinela's Via and Record-Route
# (;transport=tcp) on INVITE and its Via on ACK and BYE, and the metrics
# count every INVITE, ACK and BYE.
TEST_ID=4
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester curl
N=50

UPSTREAMS="pbx tcp 127.0.0.1 $UAS_PORT 1 1"
write_conf "$T/centinela.conf"
scenario uas_call RR="Record-Route: <sip:127\\.0\\.0\\.1:$SIP_PORT;transport=tcp;lr;cn=[0-9a-f]+;ad=[0-9a-f]{16}>"
start_uas uas "$T/uas_call.xml" "$UAS_PORT" -t t1 \
    -key contact "127.0.0.1:$UAS_PORT;transport=tcp"
start_centinela
wait_upstream_healthy pbx

sipp_run uac -sf "$SCEN/uac_call.xml" -key rhost "127.0.0.1:$SIP_PORT" \
    -t t1 -s callee -i 127.0.0.1 -p "$UAC_PORT" -m "$N" -r 20 -l "$N" \
    "127.0.0.1:$SIP_PORT" || fail "SIPp UAC exited with status $?"
expect_calls_ok "$N"

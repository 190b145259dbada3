#!/bin/bash
# t_call_udp -- 50 calls at 20 cps over UDP: SIPp UAC -> centinela ->
# SIPp UAS (the upstream). Every call must succeed on both sides; the
# UAS scenario fails a call unless INVITE, ACK and BYE carry centinela's
# Via and the INVITE its Record-Route; the metrics must show every
# INVITE, ACK and BYE passing through centinela.
TEST_ID=3
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester curl
N=50

UPSTREAMS="pbx udp 127.0.0.1 $UAS_PORT 1 1"
write_conf "$T/centinela.conf"
scenario uas_call RR="Record-Route: <sip:127\\.0\\.0\\.1:$SIP_PORT;lr;ad=[0-9a-f]{16}>"
start_uas uas "$T/uas_call.xml" "$UAS_PORT" \
    -key contact "127.0.0.1:$UAS_PORT"
start_centinela
wait_upstream_healthy pbx

sipp_run uac -sf "$SCEN/uac_call.xml" -key rhost "127.0.0.1:$SIP_PORT" \
    -s callee -i 127.0.0.1 -p "$UAC_PORT" -m "$N" -r 20 -l "$N" \
    "127.0.0.1:$SIP_PORT" || fail "SIPp UAC exited with status $?"
expect_calls_ok "$N"
expect_metric centinela_responses_received_total 'code="180"' -ge "$N"

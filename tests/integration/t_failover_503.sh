#!/bin/bash
# t_failover_503 -- upstream "a" (priority 1) answers every INVITE 503,
# upstream "b" (priority 2) answers normally: all 20 calls succeed
# through b; a got every INVITE first and an ACK for each of its 503s;
# no 503 reaches the caller; a stays up (its probes are answered).
TEST_ID=14
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester curl
N=20
A_PORT=$UAS_PORT
B_PORT=$((UAS_PORT + 1))

UPSTREAMS="a udp 127.0.0.1 $A_PORT 1 1; b udp 127.0.0.1 $B_PORT 2 1"
write_conf "$T/centinela.conf"
scenario uas_call RR="Record-Route: <sip:127\\.0\\.0\\.1:$SIP_PORT;lr;ad=[0-9a-f]{16}>"
start_uas uas_a "$SCEN/uas_503.xml" "$A_PORT"
start_uas uas_b "$T/uas_call.xml" "$B_PORT" \
    -key contact "127.0.0.1:$B_PORT"
start_centinela
wait_upstream_healthy a
wait_upstream_healthy b

sipp_run uac -sf "$SCEN/uac_call.xml" -key rhost "127.0.0.1:$SIP_PORT" \
    -s callee -i 127.0.0.1 -p "$UAC_PORT" -m "$N" -r 10 -l "$N" \
    "127.0.0.1:$SIP_PORT" || fail "SIPp UAC exited with status $?"
expect_num "UAC successful calls" "$(sipp_stat uac 'SuccessfulCall(C)')" -eq "$N"
wait_uas uas_a "$N"
wait_uas uas_b "$N"
expect_num "a: INVITEs answered 503 and ACKed" "$(sipp_stat uas_a 'SuccessfulCall(C)')" -eq "$N"
expect_num "a: failed" "$(sipp_stat uas_a 'FailedCall(C)')" -eq 0
expect_num "b: successful calls" "$(sipp_stat uas_b 'SuccessfulCall(C)')" -eq "$N"
expect_num "b: failed" "$(sipp_stat uas_b 'FailedCall(C)')" -eq 0
expect_metric centinela_responses_received_total 'code="503"' -eq "$N"
expect_metric centinela_responses_sent_total 'code="503"' -eq 0 0
expect_metric centinela_upstream_up 'upstream="a"' -eq 1

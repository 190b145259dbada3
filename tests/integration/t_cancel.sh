#!/bin/bash
# t_cancel -- a caller cancels a ringing call through centinela: the
# UAS answers INVITE 180; the UAC sends CANCEL and must get 200 for it
# and then the UAS's own 487 for the INVITE (its To tag), then ACKs it.
# The UAS must receive the CANCEL with the same branch as the INVITE
# and the ACK for its 487. 20 calls, all must succeed on both sides.
TEST_ID=13
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester curl
N=20

UPSTREAMS="pbx udp 127.0.0.1 $UAS_PORT 1 1"
write_conf "$T/centinela.conf"
start_uas uas "$SCEN/uas_cancel.xml" "$UAS_PORT"
start_centinela
wait_upstream_healthy pbx

sipp_run uac -sf "$SCEN/uac_cancel.xml" -key rhost "127.0.0.1:$SIP_PORT" \
    -s callee -i 127.0.0.1 -p "$UAC_PORT" -m "$N" -r 10 \
    "127.0.0.1:$SIP_PORT" || fail "SIPp UAC exited with status $?"
expect_num "UAC successful cancelled calls" "$(sipp_stat uac 'SuccessfulCall(C)')" -eq "$N"
wait_uas uas "$N"
expect_num "UAS successful cancelled calls" "$(sipp_stat uas 'SuccessfulCall(C)')" -eq "$N"
expect_num "UAS failed calls" "$(sipp_stat uas 'FailedCall(C)')" -eq 0
expect_metric centinela_requests_total 'method="CANCEL"' -eq "$N"
expect_metric centinela_responses_received_total 'code="487"' -eq "$N"
expect_metric centinela_responses_sent_total 'code="487"' -eq "$N"

#!/bin/bash
# t_register_passthrough -- REGISTER from a SIPp UAC for centinela's
# domain goes to the upstream registrar (a SIPp UAS answering 200), with
# centinela's Via on top and no Record-Route, and the registrar's 200
# (marker header X-Registrar, echoed Contact) comes back to the UAC.
# 20 registrations, all must succeed on both sides. registrar.mode is
# "forward" here: centinela is not the registrar.
TEST_ID=12
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester curl
N=20

UPSTREAMS="registrar udp 127.0.0.1 $UAS_PORT 1 1"
EXTRA='registrar = { mode = "forward"; };'
write_conf "$T/centinela.conf"
start_uas uas "$SCEN/uas_register.xml" "$UAS_PORT"
start_centinela
wait_upstream_healthy registrar

sipp_run uac -sf "$SCEN/uac_register.xml" -key rhost "127.0.0.1:$SIP_PORT" \
    -i 127.0.0.1 -p "$UAC_PORT" -m "$N" -r 10 "127.0.0.1:$SIP_PORT" ||
    fail "SIPp UAC exited with status $?"
expect_num "UAC successful REGISTERs" "$(sipp_stat uac 'SuccessfulCall(C)')" -eq "$N"
wait_uas uas "$N"
expect_num "registrar successful REGISTERs" "$(sipp_stat uas 'SuccessfulCall(C)')" -eq "$N"
expect_num "registrar failed REGISTERs" "$(sipp_stat uas 'FailedCall(C)')" -eq 0
expect_metric centinela_requests_total 'method="REGISTER"' -eq "$N"
expect_metric centinela_responses_received_total 'code="200"' -ge "$N"

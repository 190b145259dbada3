#!/bin/bash
# t_options_udp -- OPTIONS addressed to centinela itself over UDP is
# answered 200 by centinela (SIPp -sf options.xml, 20 requests), and
# the metrics count them.
TEST_ID=1
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester curl

write_conf "$T/centinela.conf"
start_centinela

sipp_run uac -sf "$SCEN/options.xml" -key rhost "127.0.0.1:$SIP_PORT" \
    -i 127.0.0.1 -p "$UAC_PORT" -m 20 -r 20 "127.0.0.1:$SIP_PORT" ||
    fail "SIPp OPTIONS client exited with status $?"
expect_num "SIPp successful OPTIONS" "$(sipp_stat uac 'SuccessfulCall(C)')" -eq 20
expect_num "SIPp failed OPTIONS" "$(sipp_stat uac 'FailedCall(C)')" -eq 0
expect_metric centinela_requests_total 'method="OPTIONS"' -eq 20
expect_metric centinela_responses_sent_total 'code="200"' -eq 20

#!/bin/bash
# t_ipv6 -- centinela on [::1] over UDP, upstream on [::1]: OPTIONS to
# itself answered 200 (SIPp options.xml, 10 requests), and 20 calls
# through it to a SIPp UAS, all successful on both sides, the UAS seeing
# centinela's Via and a Record-Route <sip:[::1]:port;lr;ad=[0-9a-f]{16}>.
TEST_ID=18
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester curl
N=20

ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/' ||
    fail "no ::1 on lo: IPv6 loopback is required"
LISTEN="udp ::1 $SIP_PORT"
UPSTREAMS="pbx6 udp ::1 $UAS_PORT 1 1"
write_conf "$T/centinela.conf"
scenario uas_call RR="Record-Route: <sip:\\[::1\\]:$SIP_PORT;lr;ad=[0-9a-f]{16}>"
# (start_uas is for 127.0.0.1; the same by hand on ::1, with -aa.)
sipp_bg uas -sf "$T/uas_call.xml" -aa -i ::1 -p "$UAS_PORT" \
    -key contact "[::1]:$UAS_PORT"
wait_port udp "$UAS_PORT"
start_centinela
wait_upstream_healthy pbx6

sipp_run options -sf "$SCEN/options.xml" -key rhost "[::1]:$SIP_PORT" \
    -i ::1 -p "$UAC_PORT" -m 10 -r 10 "[::1]:$SIP_PORT" ||
    fail "SIPp OPTIONS client exited with status $?"
expect_num "successful OPTIONS" "$(sipp_stat options 'SuccessfulCall(C)')" -eq 10

sipp_run uac -sf "$SCEN/uac_call.xml" -key rhost "[::1]:$SIP_PORT" \
    -s callee -i ::1 -p "$((UAC_PORT + 1))" -m "$N" -r 10 -l "$N" \
    "[::1]:$SIP_PORT" || fail "SIPp UAC exited with status $?"
expect_num "UAC successful calls" "$(sipp_stat uac 'SuccessfulCall(C)')" -eq "$N"
wait_uas uas "$N"
expect_num "UAS successful calls" "$(sipp_stat uas 'SuccessfulCall(C)')" -eq "$N"
expect_num "UAS failed calls" "$(sipp_stat uas 'FailedCall(C)')" -eq 0
expect_metric centinela_requests_total 'method="INVITE"' -eq "$N"
expect_metric centinela_requests_total 'method="BYE"' -eq "$N"
expect_metric centinela_requests_total 'method="OPTIONS"' -eq 10

#!/bin/bash
# t_callee_bye -- the callee ends the call: its BYE follows the route
# set (centinela's Record-Route) to the caller's Contact. Over UDP; then
# over TCP, where centinela must send it down the caller's own
# connection (the Record-Route's cn= parameter), since nothing listens
# at the caller's Contact (a SIPp TCP client does not listen); then
# with the caller on TLS (through stunnel) and the callee on TCP:
# centinela double record-routes, must pop both of its entries and
# take cn= from the caller-facing one to reach the caller's TLS
# connection. 10 calls each; all must succeed on both sides and the
# caller must see centinela's Via on the BYE.
TEST_ID=19
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester curl stunnel4 openssl
N=10

make_cert
LISTEN="udp 127.0.0.1 $SIP_PORT; tcp 127.0.0.1 $SIP_PORT; tls 127.0.0.1 $TLS_PORT"
UPSTREAMS="pbx udp 127.0.0.1 $UAS_PORT 1 1; pbxt tcp 127.0.0.1 $((UAS_PORT + 1)) 2 1"
write_conf "$T/centinela.conf"
start_uas uas "$SCEN/uas_callee_bye.xml" "$UAS_PORT" \
    -key contact "127.0.0.1:$UAS_PORT"
UAS=$SIPP_PID
start_uas uast "$SCEN/uas_callee_bye.xml" "$((UAS_PORT + 1))" -t t1 \
    -key contact "127.0.0.1:$((UAS_PORT + 1));transport=tcp"
start_centinela
wait_upstream_healthy pbx
wait_upstream_healthy pbxt

sipp_run uac -sf "$SCEN/uac_callee_bye.xml" -key rhost "127.0.0.1:$SIP_PORT" \
    -s callee -i 127.0.0.1 -p "$UAC_PORT" -m "$N" -r 10 -l "$N" \
    "127.0.0.1:$SIP_PORT" || fail "UDP: SIPp UAC exited with status $?"
expect_num "UDP: caller's successful calls" "$(sipp_stat uac 'SuccessfulCall(C)')" -eq "$N"
wait_uas uas "$N"
expect_num "UDP: callee's successful calls" "$(sipp_stat uas 'SuccessfulCall(C)')" -eq "$N"

# TCP: take the UDP upstream out (its SIPp stops answering probes).
stop_pid "$UAS"
wait_metric 5 centinela_upstream_up 'upstream="pbx"' -eq 0 ||
    fail "pbx not marked down"
sipp_run uact -sf "$SCEN/uac_callee_bye.xml" -key rhost "127.0.0.1:$SIP_PORT" \
    -t t1 -s callee -i 127.0.0.1 -p "$((UAC_PORT + 1))" -m "$N" -r 10 \
    -l "$N" "127.0.0.1:$SIP_PORT" || fail "TCP: SIPp UAC exited with status $?"
expect_num "TCP: caller's successful calls" "$(sipp_stat uact 'SuccessfulCall(C)')" -eq "$N"
wait_uas uast "$N"
expect_num "TCP: callee's successful calls" "$(sipp_stat uast 'SuccessfulCall(C)')" -eq "$N"

# TLS caller (SIPp -> stunnel client -> centinela TLS), TCP callee.
start_stunnel stunnel-uac client "$TUN_PORT" "$TLS_PORT"
sipp_run uacs -sf "$SCEN/uac_callee_bye.xml" -key rhost "127.0.0.1:$TLS_PORT" \
    -t t1 -s callee -i 127.0.0.1 -p "$((UAC_PORT + 2))" -m "$N" -r 10 \
    -l "$N" "127.0.0.1:$TUN_PORT" || fail "TLS: SIPp UAC exited with status $?"
expect_num "TLS: caller's successful calls" "$(sipp_stat uacs 'SuccessfulCall(C)')" -eq "$N"
wait_uas uast $((2 * N))
expect_num "TLS: callee's successful calls (TCP and TLS)" "$(sipp_stat uast 'SuccessfulCall(C)')" -eq $((2 * N))
expect_metric centinela_requests_total 'method="BYE"' -eq $((3 * N))
expect_metric centinela_drops_total 'reason="send_failed"' -eq 0

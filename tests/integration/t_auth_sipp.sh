#!/bin/bash
# t_auth_sipp -- SIPp as phones with MD5 digest (SIPp 3.6 has no
# SHA-256, so this configuration offers MD5 only; sipauth.py covers
# SHA-256): each of 10 calls registers (401, then 200) and calls through
# centinela to a SIPp UAS acting as the PBX (407, ACK, INVITE with
# credentials, 200, ACK, BYE). The in-dialog ACK and BYE pass without a
# new challenge on the dialog token of centinela's Record-Route. The
# PBX must see every call, authenticated, with centinela's Via.
TEST_ID=35
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester curl
N=10

UPSTREAMS="pbx udp 127.0.0.1 $UAS_PORT 1 1"
EXTRA='auth = { algorithms = [ "MD5" ]; };'
write_conf "$T/centinela.conf"
CTL=$(dirname "$BIN")/centinelactl
SECRET=$(user_add "$T/centinela.conf" 300) || fail "user add failed"
printf 'SEQUENTIAL\n300;\n' >"$T/users.csv"

scenario uas_call RR="Record-Route: <sip:127\\.0\\.0\\.1:$SIP_PORT;lr;ad=[0-9a-f]{16}>"
start_uas uas "$T/uas_call.xml" "$UAS_PORT" -key contact "127.0.0.1:$UAS_PORT"
start_centinela
wait_upstream_healthy pbx

sipp_run uac -sf "$SCEN/uac_auth_call.xml" -inf "$T/users.csv" \
    -au 300 -ap "$SECRET" \
    -key rhost "127.0.0.2:$SIP_PORT" -s 5551000 -i 127.0.0.2 \
    -p "$UAC_PORT" -m "$N" -r 5 -l "$N" "127.0.0.1:$SIP_PORT" ||
    fail "SIPp UAC exited with status $?"
expect_num "UAC successful calls" "$(sipp_stat uac 'SuccessfulCall(C)')" -eq "$N"
expect_num "UAC failed calls" "$(sipp_stat uac 'FailedCall(C)')" -eq 0
wait_uas uas "$N"
expect_num "PBX successful calls" "$(sipp_stat uas 'SuccessfulCall(C)')" -eq "$N"
expect_num "PBX failed calls" "$(sipp_stat uas 'FailedCall(C)')" -eq 0
# Each call: two INVITEs (challenged, then with credentials), two ACKs
# (of the 407, absorbed by centinela; of the 200), one BYE.
expect_metric centinela_requests_total 'method="INVITE"' -eq $((2 * N))
expect_metric centinela_requests_total 'method="ACK"' -eq $((2 * N))
expect_metric centinela_responses_sent_total 'code="407"' -eq "$N"
ev() { echo "event=\"$1\",reason=\"$2\""; }
expect_metric centinela_events_total "$(ev auth_ok none)" -eq $((2 * N))
expect_metric centinela_events_total "$(ev auth_failed auth_required)" -eq $((2 * N))
expect_metric centinela_events_total "$(ev register none)" -eq "$N"
expect_metric centinela_requests_total 'method="BYE"' -eq "$N"

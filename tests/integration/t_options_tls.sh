#!/bin/bash
# t_options_tls -- OPTIONS to centinela itself over TLS is answered 200.
# Debian's SIPp has no TLS, so SIPp speaks TCP to a stunnel client that
# wraps it in TLS toward centinela's TLS listener (self-signed
# certificate from scripts/tls-selfsigned.sh).
TEST_ID=5
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester stunnel4 curl openssl

make_cert
LISTEN="tls 127.0.0.1 $TLS_PORT"
write_conf "$T/centinela.conf"
start_centinela
start_stunnel stunnel-uac client "$TUN_PORT" "$TLS_PORT"

sipp_run uac -sf "$SCEN/options.xml" -key rhost "127.0.0.1:$TLS_PORT" \
    -t t1 -i 127.0.0.1 -p "$UAC_PORT" -m 20 -r 20 "127.0.0.1:$TUN_PORT" ||
    fail "SIPp OPTIONS client exited with status $?"
expect_num "SIPp successful OPTIONS" "$(sipp_stat uac 'SuccessfulCall(C)')" -eq 20
expect_num "SIPp failed OPTIONS" "$(sipp_stat uac 'FailedCall(C)')" -eq 0
expect_metric centinela_requests_total 'method="OPTIONS"' -eq 20
expect_metric centinela_responses_sent_total 'code="200"' -eq 20
expect_metric centinela_drops_total 'reason="tls_handshake"' -eq 0

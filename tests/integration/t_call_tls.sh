#!/bin/bash
# t_call_tls -- t_call_udp over TLS on both sides of centinela:
#   SIPp UAC -TCP-> stunnel (client) -TLS-> centinela
#   centinela -TLS-> stunnel (server) -TCP-> SIPp UAS
# (Debian's SIPp has no TLS.) The UAS advertises the tunnel as its
# Contact (;transport=tls), so ACK and BYE must also go through
# centinela over TLS. All 50 calls succeed on both sides, the UAS sees
# centinela's Via and Record-Route (;transport=tls), and the metrics
# count every INVITE, ACK and BYE.
TEST_ID=6
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester stunnel4 curl openssl
N=50
UAS_TLS=$((TUN_PORT + 1))	# stunnel server in front of the UAS

make_cert
LISTEN="tls 127.0.0.1 $TLS_PORT"
UPSTREAMS="pbx tls 127.0.0.1 $UAS_TLS 1 1"
write_conf "$T/centinela.conf"
scenario uas_call RR="Record-Route: <sip:127\\.0\\.0\\.1:$TLS_PORT;transport=tls;lr;cn=[0-9a-f]+;ad=[0-9a-f]{16}>"
start_uas uas "$T/uas_call.xml" "$UAS_PORT" -t t1 \
    -key contact "127.0.0.1:$UAS_TLS;transport=tls"
start_stunnel stunnel-uas server "$UAS_TLS" "$UAS_PORT"
start_centinela
start_stunnel stunnel-uac client "$TUN_PORT" "$TLS_PORT"
wait_upstream_healthy pbx

sipp_run uac -sf "$SCEN/uac_call.xml" -key rhost "127.0.0.1:$TLS_PORT" \
    -t t1 -s callee -i 127.0.0.1 -p "$UAC_PORT" -m "$N" -r 20 -l "$N" \
    "127.0.0.1:$TUN_PORT" || fail "SIPp UAC exited with status $?"
expect_calls_ok "$N"
expect_metric centinela_drops_total 'reason="tls_handshake"' -eq 0

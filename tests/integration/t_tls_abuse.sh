#!/bin/bash
# t_tls_abuse -- hostile clients on the TLS listener (tcp.header_timeout
# = 1000 ms), each closed with its reason while a good TLS connection
# (Python's ssl module) keeps getting OPTIONS answered:
#   - a TCP connection that never starts the handshake: cut off after
#     the header timeout (0.8-2.5 s), reason=tls_handshake;
#   - plaintext SIP on the TLS port: closed, reason=tls_handshake;
#   - a TLS session that sends its request one byte every 100 ms: cut
#     off 1-2.5 s after the first byte, reason=header_timeout;
#   - garbage inside a TLS session: closed, reason=stream_garbage.
TEST_ID=22
. "$(dirname "$0")/lib.sh"
need_pkg python3 curl openssl

make_cert
LISTEN="tls 127.0.0.1 $TLS_PORT"
EXTRA="tcp = { header_timeout = 1000; };"
write_conf "$T/centinela.conf"
start_centinela
siptest tlsabuse --port "$TLS_PORT" --log "$LOG" --header-timeout 1000 ||
    fail "TLS abuse checks failed"
expect_metric centinela_drops_total 'reason="tls_handshake"' -eq 2
expect_metric centinela_drops_total 'reason="header_timeout"' -eq 1
expect_metric centinela_drops_total 'reason="stream_garbage"' -eq 1
expect_metric centinela_requests_total 'method="OPTIONS"' -eq 2

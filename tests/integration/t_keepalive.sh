#!/bin/bash
# t_keepalive -- RFC 5626 section 4.4.1 on TCP: a CRLFCRLF ping gets a
# CRLF pong (twice; also when the ping arrives in two writes), the
# connection stays usable for OPTIONS, and a ping glued to a request
# does not disturb the request. No ping may count as a parse error or
# close the connection. With tcp.header_timeout = 1000 ms, a request
# followed by a stray CRLF must not be cut off as an incomplete message
# (the CRLF may be half a ping), and CRLF + CRLF sent apart make a ping.
#
# Regression: net/stream.c used to swallow a lone CRLF at the end of the
# receive buffer as a keep-alive, so a CRLFCRLF ping split after its
# first CRLF (TCP may segment anywhere) never got its pong; it now keeps
# any proper prefix of a ping (is_ping_prefix) without starting the
# header timer for it.
TEST_ID=8
. "$(dirname "$0")/lib.sh"
need_pkg python3 curl

EXTRA="tcp = { header_timeout = 1000; };"
write_conf "$T/centinela.conf"
start_centinela
siptest keepalive --port "$SIP_PORT" --header-timeout 1000 ||
    fail "keep-alive checks failed"
expect_metric centinela_parse_errors_total '' -eq 0
expect_metric centinela_drops_total 'reason="stream_garbage"' -eq 0
expect_metric centinela_drops_total 'reason="header_timeout"' -eq 0
expect_metric centinela_requests_total 'method="OPTIONS"' -eq 4

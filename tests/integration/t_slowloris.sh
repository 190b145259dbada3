#!/bin/bash
# t_slowloris -- with tcp.header_timeout = 1000 ms, a TCP client that
# sends an OPTIONS header one byte every 100 ms is cut off 1-2.5 s after
# its first byte, with a log line reason=header_timeout; meanwhile
# well-behaved clients (UDP and another TCP connection) get every
# OPTIONS answered. Then, with tcp.idle_timeout = 1500 ms, a TCP
# connection that goes quiet after its OPTIONS is closed after 1.2-3 s
# (reason=idle_timeout), while one sending a CRLFCRLF ping every 0.5 s
# stays open for 3.5 s and is still served.
TEST_ID=9
. "$(dirname "$0")/lib.sh"
need_pkg python3 curl

EXTRA="tcp = { header_timeout = 1000; idle_timeout = 1500; };"
write_conf "$T/centinela.conf"
start_centinela
siptest slowloris --port "$SIP_PORT" --log "$LOG" \
    --header-timeout 1000 --idle-timeout 1500 ||
    fail "slowloris / idle checks failed"
expect_metric centinela_drops_total 'reason="header_timeout"' -eq 1
expect_metric centinela_drops_total 'reason="idle_timeout"' -eq 1

#!/bin/bash
# t_deny -- deny = [ "127.0.0.2/32" ]: an OPTIONS from 127.0.0.2 (UDP
# socket bound there) gets no answer, a TCP connection from there is
# closed, each is logged with reason=deny_list and counted in
# centinela_drops_total{reason="deny_list"}; the same OPTIONS from
# 127.0.0.1 is answered 200. A denied packet never reaches the parser.
TEST_ID=11
. "$(dirname "$0")/lib.sh"
need_pkg python3 curl

EXTRA='deny = [ "127.0.0.2/32", "2001:db8::/32" ];'
write_conf "$T/centinela.conf"
start_centinela

siptest options --tp udp --port "$SIP_PORT" --expect 200 ||
    fail "OPTIONS from 127.0.0.1 not answered"
expect_metric centinela_drops_total 'reason="deny_list"' -eq 0
siptest options --tp udp --port "$SIP_PORT" --bind 127.0.0.2 \
    --expect none --wait 0.5 || fail "OPTIONS from 127.0.0.2 answered"
wait_for_log 'reason=deny_list' 3 || fail "no deny_list log line"
ok "log line with reason=deny_list"
expect_metric centinela_drops_total 'reason="deny_list"' -eq 1
siptest options --tp tcp --port "$SIP_PORT" --bind 127.0.0.2 \
    --expect none --wait 1 || fail "TCP OPTIONS from 127.0.0.2 answered"
wait_metric 3 centinela_drops_total 'reason="deny_list"' -eq 2 ||
    fail "denied TCP connection not counted"
ok "denied TCP connection counted"
siptest options --tp tcp --port "$SIP_PORT" --expect 200 ||
    fail "TCP OPTIONS from 127.0.0.1 not answered"
expect_metric centinela_parse_errors_total '' -eq 0
expect_metric centinela_requests_total 'method="OPTIONS"' -eq 2

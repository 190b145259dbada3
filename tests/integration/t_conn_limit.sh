#!/bin/bash
# t_conn_limit -- with tcp.max_connections_per_ip = 3, three TCP
# connections from 127.0.0.1 are served, the fourth is closed at once
# with a log line reason=conn_limit, the three keep working, and once
# one of them closes a new connection is accepted again. Then, with
# tcp.max_connections = 7, seven connections from 127.0.0.2-4 (at most
# 3 each) are served and an eighth, the first from its address, is
# closed at once (reason=conn_limit, "connection table full").
TEST_ID=10
. "$(dirname "$0")/lib.sh"
need_pkg python3 curl

EXTRA="tcp = { max_connections_per_ip = 3; max_connections = 7; };"
write_conf "$T/centinela.conf"
start_centinela
siptest connlimit --port "$SIP_PORT" --log "$LOG" \
    --limit 3 --total 7 || fail "connection limit checks failed"
expect_metric centinela_drops_total 'reason="conn_limit"' -eq 2
wait_for_log 'reason=conn_limit: connection table full' 2 ||
    fail "no 'connection table full' log line"
ok "log: connection table full"

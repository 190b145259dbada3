#!/bin/bash
# t_malformed -- hostile bytes over UDP and TCP (siptest.py malformed).
# UDP, one at a time: a truncated message, a datagram above
# limits.max_message_size, Content-Length larger than the body, a NUL
# byte in a header, bare-LF line endings and binary garbage are dropped
# without an answer (300 ms); CSeq method mismatch gets 400, Max-Forwards
# 0 gets 483 (an ACK with it: nothing), a mailto: Request-URI 416, a
# tel: one passes the guard (503 here: no upstream), Proxy-Require 420,
# an INVITE without Contact 400, a CANCEL matching nothing 481, and a
# response whose top Via is not centinela's is dropped. Each one must
# leave a log line with its reason code (the 481: its status), and
# centinela must still answer OPTIONS after each one.
# TCP: a connection sending garbage, a bare-LF request, a NUL byte or an
# oversized header section is closed (stream_garbage / msg_too_big),
# while a well-behaved connection opened before keeps being answered.
# Finally the metrics count the parse errors and drops.
TEST_ID=7
. "$(dirname "$0")/lib.sh"
need_pkg python3 curl
MAX=4096

EXTRA="limits = { max_message_size = $MAX; };"
write_conf "$T/centinela.conf"
start_centinela

siptest malformed --port "$SIP_PORT" --log "$LOG" \
    --max-size "$MAX" || fail "malformed-input checks failed"
# 5 UDP parse errors (truncated, CL, NUL, bare LF, garbage); the
# oversized datagram never reaches the parser.
expect_metric centinela_parse_errors_total '' -ge 5
expect_metric centinela_drops_total 'reason="parse_error"' -ge 5
expect_metric centinela_drops_total 'reason="msg_too_big"' -ge 2
expect_metric centinela_drops_total 'reason="stream_garbage"' -ge 3
expect_metric centinela_rejects_total 'reason="cseq_mismatch"' -eq 1
expect_metric centinela_rejects_total 'reason="unsupported_uri"' -eq 1
expect_metric centinela_responses_sent_total 'code="483"' -eq 1
expect_metric centinela_responses_sent_total 'code="481"' -eq 1
expect_metric centinela_drops_total 'reason="stray_response"' -eq 1

# The same again with JSON logs: the reasons appear as "reason":"...",
# and every line the daemon writes must be one JSON object.
stop_centinela || fail "centinela did not stop cleanly"
LOG=$T/centinela-json.log
EXTRA="limits = { max_message_size = $MAX; };
log = { format = \"json\"; level = \"info\"; };"
write_conf "$T/centinela-json.conf"
start_centinela "$T/centinela-json.conf"
siptest malformed --port "$SIP_PORT" --log "$LOG" --max-size "$MAX" ||
    fail "malformed-input checks failed with JSON logs"
grep -q '"reason":"parse_error"' "$LOG" || fail "no JSON parse_error line"
"$PYTHON" -c '
import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    obj = json.loads(line)
    assert isinstance(obj, dict) and "ts" in obj and "level" in obj, line
    n += 1
print("  %d JSON log lines parsed" % n)' "$LOG" || fail "a log line is not JSON"
ok "every JSON log line parses"

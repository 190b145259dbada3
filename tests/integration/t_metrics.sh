#!/bin/bash
# t_metrics -- after 10 calls, an OPTIONS, one garbage datagram and one
# CSeq-mismatch request, /metrics has every family with the right
# values: requests by method, responses received and sent by code,
# drops and rejects by reason (every reason listed, also at 0), parse
# errors, upstream up/down (a second upstream "spare" that nothing
# answers is down), probe latency, probes and probe failures; no UDP
# coalescing pause at 10 calls/s, and pauses (and every OPTIONS
# answered) under a burst of 20000 OPTIONS sent as fast as they are
# answered (udp.coalesce at its default). The page
# is valid Prometheus text (HELP and TYPE before each family's samples,
# one "name{labels} value" per line), served as text/plain;
# version=0.0.4; other paths get 404 and other methods 405.
TEST_ID=17
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester curl python3
N=10

UPSTREAMS="pbx udp 127.0.0.1 $UAS_PORT 1 1; spare udp 127.0.0.1 $((UAS_PORT + 5)) 2 1"
# 100 Trying at once for every INVITE, so that its count is exact (by
# default it is sent only when the upstream is slower than 200 ms).
EXTRA='transaction = { trying_delay = 0; };'
write_conf "$T/centinela.conf"
scenario uas_call RR="Record-Route: <sip:127\\.0\\.0\\.1:$SIP_PORT;lr;ad=[0-9a-f]{16}>"
start_uas uas "$T/uas_call.xml" "$UAS_PORT" \
    -key contact "127.0.0.1:$UAS_PORT"
start_centinela
wait_upstream_healthy pbx
wait_metric 5 centinela_upstream_up 'upstream="spare"' -eq 0 ||
    fail "upstream spare (nothing there) not marked down"

sipp_run uac -sf "$SCEN/uac_call.xml" -key rhost "127.0.0.1:$SIP_PORT" \
    -s callee -i 127.0.0.1 -p "$UAC_PORT" -m "$N" -r 10 \
    "127.0.0.1:$SIP_PORT" || fail "SIPp UAC exited with status $?"
siptest options --port "$SIP_PORT" || fail "OPTIONS not answered"
siptest case --port "$SIP_PORT" --log "$LOG" --name garbage ||
    fail "garbage datagram not handled"
siptest case --port "$SIP_PORT" --log "$LOG" --name CSeq ||
    fail "CSeq mismatch not handled"
wait_uas uas "$N"

metrics >"$T/metrics.txt" || fail "cannot fetch /metrics"
expect_metric centinela_requests_total 'method="INVITE"' -eq "$N"
expect_metric centinela_requests_total 'method="ACK"' -eq "$N"
expect_metric centinela_requests_total 'method="BYE"' -eq "$N"
expect_metric centinela_requests_total 'method="OPTIONS"' -eq 2
expect_metric centinela_requests_total 'method="REGISTER"' -eq 0
expect_metric centinela_responses_received_total 'code="180"' -eq "$N"
expect_metric centinela_responses_received_total 'code="200"' -ge $((2 * N))
expect_metric centinela_responses_sent_total 'code="100"' -eq "$N"
expect_metric centinela_responses_sent_total 'code="180"' -eq "$N"
expect_metric centinela_responses_sent_total 'code="400"' -eq 1
expect_metric centinela_drops_total 'reason="parse_error"' -eq 1
expect_metric centinela_drops_total 'reason="deny_list"' -eq 0
expect_metric centinela_drops_total 'reason="header_timeout"' -eq 0
expect_metric centinela_rejects_total 'reason="cseq_mismatch"' -eq 1
expect_metric centinela_rejects_total 'reason="no_upstream"' -eq 0
expect_metric centinela_parse_errors_total '' -eq 1
expect_metric centinela_udp_pauses_total '' -eq 0
expect_metric centinela_upstream_up 'upstream="pbx"' -eq 1
expect_metric centinela_upstream_up 'upstream="spare"' -eq 0
expect_metric centinela_upstream_probes_total 'upstream="pbx"' -ge 3
expect_metric centinela_upstream_probe_failures_total 'upstream="pbx"' -eq 0
expect_metric centinela_upstream_probe_failures_total 'upstream="spare"' -ge 2
lat=$(metric_value centinela_upstream_probe_latency_seconds 'upstream="pbx"')
echo "$lat" | grep -qE '^[0-9]+\.[0-9]+$' || fail "probe latency '$lat'"
ok "centinela_upstream_probe_latency_seconds{upstream=\"pbx\"} = $lat"

# Exposition format: HELP and TYPE once per family, before its samples.
awk '
	/^# HELP / { help[$3]++; next }
	/^# TYPE / { if (!help[$3]) { print "TYPE before HELP: " $3; bad = 1 }
		     if ($4 != "counter" && $4 != "gauge") {
			print "bad TYPE: " $0; bad = 1 }
		     type[$3]++; next }
	/^#/ { print "stray comment: " $0; bad = 1; next }
	{
		if ($0 !~ /^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$/) {
			print "bad sample: " $0; bad = 1; next }
		n = $1; sub(/\{.*/, "", n)
		if (!type[n]) { print "sample before TYPE: " $0; bad = 1 }
		seen[$1]++
		if (seen[$1] > 1) { print "duplicate sample: " $1; bad = 1 }
	}
	END {
		for (f in help) if (help[f] != 1 || type[f] != 1) {
			print "family declared twice: " f; bad = 1 }
		exit bad
	}' "$T/metrics.txt" || fail "/metrics is not valid Prometheus text"
ok "/metrics parses as Prometheus text ($(grep -c '^# TYPE' "$T/metrics.txt") families)"
for fam in centinela_requests_total centinela_responses_received_total \
    centinela_responses_sent_total centinela_drops_total \
    centinela_rejects_total centinela_parse_errors_total \
    centinela_upstream_up centinela_upstream_probe_latency_seconds \
    centinela_upstream_probes_total centinela_upstream_probe_failures_total \
    centinela_udp_pauses_total centinela_udp_pause_seconds_total; do
	grep -q "^# TYPE $fam " "$T/metrics.txt" || fail "no family $fam"
done
ok "all 12 families present"
nreasons=$(grep -c '^centinela_drops_total{reason=' "$T/metrics.txt")
expect_num "drop reasons listed" "$nreasons" -ge 20

ctype=$(curl -s -o /dev/null -w '%{content_type}' \
    "http://127.0.0.1:$METRICS_PORT/metrics")
[ "$ctype" = "text/plain; version=0.0.4" ] ||
    fail "Content-Type '$ctype'"
ok "Content-Type: $ctype"
code=$(curl -s -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$METRICS_PORT/secret")
expect_num "GET /secret status" "$code" -eq 404
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x=1 \
    "http://127.0.0.1:$METRICS_PORT/metrics")
expect_num "POST /metrics status" "$code" -eq 405

# Coalescing: a burst far above 8000 datagrams/s makes the loop pause
# (each pause at most udp.coalesce, 1000 us by default), and not one
# answer is lost to it.
siptest burst --port "$SIP_PORT" --count 20000 ||
    fail "OPTIONS burst not answered in full"
metrics >"$T/metrics2.txt" || fail "cannot fetch /metrics"
pauses=$(awk '$1 == "centinela_udp_pauses_total" { print $2 }' "$T/metrics2.txt")
secs=$(awk '$1 == "centinela_udp_pause_seconds_total" { print $2 }' "$T/metrics2.txt")
expect_num "coalescing pauses during the burst" "${pauses:-0}" -ge 10
awk -v p="$pauses" -v s="$secs" 'BEGIN { exit !(s > 0 && s <= p * 0.001) }' ||
    fail "pause time $secs s for $pauses pauses (each at most 1 ms)"
ok "$pauses pauses, $secs s in all"

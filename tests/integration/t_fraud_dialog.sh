#!/bin/bash
# t_fraud_dialog -- the toll-fraud rules follow each call's dialog to its
# end, through centinela, with SIPp on the customer trunk "tests"
# (127.0.0.1, no digest auth) and a SIPp UAS as the PBX. Each part runs
# the daemon on a fresh configuration and store:
#
#  a) concurrency cap: concurrent critical = 5 (alert, cap). 10 calls of
#     8 s placed within 1 s: exactly 5 are answered and the 5 beyond
#     get 503 with "Retry-After: 7" (fraud.retry_after) and Reason
#     SIP;cause=503;text="FRAUD-CONCURRENT". calls_active, sampled every
#     ~0.15 s, peaks at exactly 5 and is 0 once the calls have ended
#     with BYE. Then 6 calls of 1.5 s: 5 pass again (the count went
#     back to exactly 0) and the 6th is capped.
#  b) max_duration = "10s", concurrent critical = 1: a call answered at
#     T0 and held without BYE for 14 s keeps the next call refused (503)
#     at T0+1 s and at T0+8.5 s; the dialog table closes it by timeout
#     (ended{how="timeout"} = 1 between T0+10 s and T0+13 s); a new call
#     then passes; the held call's BYE at T0+14 s ends nothing twice.
#  c) early_timeout = "5s", concurrent critical = 1: a call that only
#     rings (180) is closed by the early timeout (not before T0+5 s, by
#     T0+8 s) while it still rings; a second call then passes (the slot
#     is free), rings and is cancelled: it ends at the callee's 487
#     (ended{cancel} = 1); the first call's CANCEL at T0+10 s and its
#     487 end nothing more: ended{timeout_early} = 1, end_twice 0.
#  d) alert delivery with the receiver down: calls_per_minute warning
#     = 2, the 3rd call raises one warning alert to a webhook whose
#     receiver (tests/tools/webhook_rx.py) is not running: the delivery
#     is retried (deliveries{outcome="retried"} grows, the store shows
#     it pending); once the receiver starts, it gets exactly one
#     signed POST with the alert id `centinelactl alerts list --json`
#     shows, within 4 s, and the delivery is done.
TEST_ID=46
ITEST_LIMIT=150
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester curl python3 iproute2 procps

CTL=$(dirname "$BIN")/centinelactl
[ -x "$CTL" ] || fail "no centinelactl next to $BIN"
HOOK_PORT=$((BASE + 50))
CALLEE=34912345678
export FRAUD2_HOOK_SECRET=fraud2-dialog-test-secret

UPSTREAMS="pbx udp 127.0.0.1 $UAS_PORT 1 1"

# now_ms -- milliseconds of the wall clock.
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# fraud_conf PART 'FRAUD SETTINGS' ['MORE'] -- $T/PART.conf with the
# fraud section enabled (enforce, persist every second, Retry-After 7 s),
# its own store, and MORE appended (an alerts section).
fraud_conf() {
	EXTRA="store = { uri = \"sqlite:$T/$1.db\"; poll_interval = 200; };
fraud = { enabled = true; mode = \"enforce\"; persist_interval = \"1s\";
	retry_after = \"7s\"; alert_interval = \"1h\";
	$2
};
${3:-}"
	write_conf "$T/$1.conf"
}

# start_part PART -- (re)start the daemon on $T/PART.conf, its log in
# $T/centinela-PART.log, and wait for the upstream.
start_part() {
	stop_centinela || fail "centinela did not stop cleanly before $1"
	LOG=$T/centinela-$1.log
	start_centinela "$T/$1.conf"
	grep -q "fraud: enforcing" "$LOG" || fail "$1: the fraud rules did not start"
	wait_upstream_healthy pbx
}

# uac NAME [ARGS...] -- one run of fraud2_uac_call.xml to its end.
uac() {
	local n=$1
	shift
	sipp_run "$n" -sf "$T/fraud2_uac_call.xml" \
	    -key rhost "127.0.0.1:$SIP_PORT" -s "$CALLEE" -i 127.0.0.1 \
	    -trace_logs -log_file "$T/$n.log" "$@" "127.0.0.1:$SIP_PORT"
}

# words NAME WORD -- how many calls of SIPp run NAME logged WORD.
words() { grep -c "^$2 " "$T/$1.log" 2>/dev/null || true; }

# expect_uac NAME ANSWERED REFUSED -- the run's calls all succeeded in
# SIPp (answered and ended, or refused with the right 503) in exactly
# these numbers.
expect_uac() {
	local n=$1 a=$2 r=$3
	expect_num "$n: calls answered" "$(words "$n" ANSWERED)" -eq "$a"
	expect_num "$n: answered calls ended by BYE" "$(words "$n" BYE-OK)" -eq "$a"
	expect_num "$n: calls refused 503 FRAUD-CONCURRENT" "$(words "$n" REFUSED)" -eq "$r"
	expect_num "$n: SIPp successful calls" \
	    "$(sipp_stat "$n" 'SuccessfulCall(C)')" -eq $((a + r))
	expect_num "$n: SIPp failed calls" "$(sipp_stat "$n" 'FailedCall(C)')" -eq 0
}

# expect_refused NAME "N..." -- the SIPp call numbers refused (sorted).
expect_refused() {
	local got
	got=$(sed -n 's/^REFUSED \([0-9]*\).*/\1/p' "$T/$1.log" | sort -n | tr '\n' ' ')
	[ "${got% }" = "$2" ] || fail "$1: calls refused: ${got:-none}, want $2"
	ok "$1: the calls refused are the ones beyond the cap: $2"
}

# expect_ended BYE CANCEL FAILED TIMEOUT_EARLY TIMEOUT -- the dialog
# end counters, and none ended twice.
expect_ended() {
	local h i=0 want=("$@")
	for h in bye cancel failed timeout_early timeout; do
		expect_metric centinela_fraud_dialogs_ended_total "how=\"$h\"" \
		    -eq "${want[$i]}"
		i=$((i + 1))
	done
	expect_metric centinela_fraud_dialogs_ended_total 'how="shutdown"' -eq 0
	expect_metric centinela_fraud_end_twice_total "" -eq 0
}

# settled -- no call counted or followed any more (the metrics page is
# refreshed once a second).
settled() {
	metric_is centinela_fraud_calls_active "" -eq 0 &&
	    metric_is centinela_fraud_dialogs_active "" -eq 0
}

scenario fraud2_uac_call RA=7
start_uas uas "$SCEN/fraud2_uas_call.xml" "$UAS_PORT" \
    -key contact "127.0.0.1:$UAS_PORT"
start_uas uasring "$SCEN/uas_cancel.xml" "$((UAS_PORT + 1))"

# ---- a) concurrency cap ---------------------------------------------------
say "a) concurrent critical = 5 with 8 s calls"
fraud_conf cap 'defaults = { concurrent = { critical = 5;
	actions = { critical = [ "alert", "cap" ]; }; }; };'
start_part cap
expect_metric centinela_fraud_calls_active "" -eq 0

# 10 calls in 1 s, each up for 8 s: 10 would be up at once.
: >"$T/active.samples"
sipp_bg capwave -sf "$T/fraud2_uac_call.xml" -key rhost "127.0.0.1:$SIP_PORT" \
    -s "$CALLEE" -i 127.0.0.1 -p "$UAC_PORT" -trace_logs \
    -log_file "$T/capwave.log" -m 10 -r 10 -rp 1000 -l 10 -d 8000 \
    -timeout 40s -timeout_error -recv_timeout 15s "127.0.0.1:$SIP_PORT"
WAVE=$SIPP_PID
i=0
while ! gone "$WAVE" && [ $i -lt 200 ]; do
	metric_value centinela_fraud_calls_active >>"$T/active.samples"
	sleep 0.1
	i=$((i + 1))
done
sipp_wait "$WAVE" 20 || fail "capwave: SIPp UAC exited with status $?"
expect_uac capwave 5 5
expect_refused capwave "6 7 8 9 10"
PEAK=$(sort -n "$T/active.samples" | tail -n 1)
NS=$(grep -c . "$T/active.samples")
expect_num "samples of calls_active taken during the calls" "$NS" -ge 20
expect_num "calls_active peak over $NS samples" "$PEAK" -eq 5
expect_num "samples of calls_active above 5" \
    "$(awk '$1 > 5' "$T/active.samples" | grep -c .)" -eq 0
wait_until 5 settled || fail "calls still counted after every call ended"
expect_metric centinela_fraud_decisions_total 'verdict="pass"' -eq 5
expect_metric centinela_fraud_decisions_total 'verdict="cap"' -eq 5
expect_metric centinela_fraud_decisions_total 'verdict="reject"' -eq 0
expect_metric centinela_responses_sent_total 'code="503"' -eq 5
expect_metric centinela_fraud_dialogs_started_total "" -eq 5
expect_ended 5 0 0 0 0
wait_uas uas 5 || fail "the UAS did not complete 5 calls"

# After they ended: 5 pass again (nothing left counted), the 6th is capped.
uac capagain -p "$((UAC_PORT + 1))" -m 6 -r 10 -rp 1000 -l 6 -d 1500 ||
    fail "capagain: SIPp UAC exited with status $?"
expect_uac capagain 5 1
expect_refused capagain 6
wait_until 5 settled || fail "calls still counted after the second wave"
expect_metric centinela_fraud_decisions_total 'verdict="pass"' -eq 10
expect_metric centinela_fraud_decisions_total 'verdict="cap"' -eq 6
expect_metric centinela_fraud_dialogs_started_total "" -eq 10
expect_ended 10 0 0 0 0
# The cap is a critical level with "alert": one alert (once per interval).
expect_metric centinela_alerts_total 'state="raised"' -eq 1

# ---- b) max_duration ------------------------------------------------------
say "b) max_duration = 10s, concurrent critical = 1, a call held past it"
fraud_conf duration 'max_duration = "10s"; early_timeout = "5s";
	defaults = { concurrent = { critical = 1;
	actions = { critical = [ "cap" ]; }; }; };'
start_part duration
T0=$(now_ms)
sipp_bg held -sf "$T/fraud2_uac_call.xml" -key rhost "127.0.0.1:$SIP_PORT" \
    -s "$CALLEE" -i 127.0.0.1 -p "$UAC_PORT" -trace_logs \
    -log_file "$T/held.log" -m 1 -d 14000 \
    -timeout 40s -timeout_error -recv_timeout 15s "127.0.0.1:$SIP_PORT"
HELD=$SIPP_PID
wait_until 3 grep -qs "^ANSWERED " "$T/held.log" ||
    fail "the held call was not answered"
wait_metric 3 centinela_fraud_calls_active "" -eq 1 ||
    fail "the held call is not counted"
sleep 1
uac refused1 -p "$((UAC_PORT + 1))" -m 1 -d 500 ||
    fail "refused1: SIPp UAC exited with status $?"
expect_uac refused1 0 1
while [ $(( $(now_ms) - T0 )) -lt 8500 ]; do sleep 0.1; done
say "another call $(( $(now_ms) - T0 )) ms after the held call started"
uac refused2 -p "$((UAC_PORT + 2))" -m 1 -d 500 ||
    fail "refused2: SIPp UAC exited with status $?"
expect_uac refused2 0 1
expect_metric centinela_fraud_dialogs_ended_total 'how="timeout"' -eq 0
wait_until 6 metric_is centinela_fraud_dialogs_ended_total 'how="timeout"' -ge 1 ||
    fail "the held call was not closed by max_duration"
DT=$(( $(now_ms) - T0 ))
say "closed by timeout, seen $DT ms after the held call started"
expect_num "ms until the timeout was seen" "$DT" -ge 10000
expect_num "ms until the timeout was seen" "$DT" -le 13000
gone "$HELD" && fail "the held call's SIPp ended before its BYE"
expect_metric centinela_fraud_calls_active "" -eq 0
expect_metric centinela_fraud_dialogs_active "" -eq 0
uac passed -p "$((UAC_PORT + 3))" -m 1 -d 500 ||
    fail "passed: SIPp UAC exited with status $?"
expect_uac passed 1 0
# The held call's BYE (T0+14 s) is relayed and answered 200: the
# dialog already ended, nothing ends twice.
sipp_wait "$HELD" 15 || fail "held: SIPp UAC exited with status $?"
expect_uac held 1 0
wait_until 5 settled || fail "calls still counted after part b"
expect_metric centinela_fraud_decisions_total 'verdict="pass"' -eq 2
expect_metric centinela_fraud_decisions_total 'verdict="cap"' -eq 2
expect_metric centinela_fraud_dialogs_started_total "" -eq 2
expect_ended 1 0 0 0 1

# ---- c) early timeout -----------------------------------------------------
say "c) early_timeout = 5s, a call that only rings"
UPSTREAMS="pbx udp 127.0.0.1 $((UAS_PORT + 1)) 1 1"
fraud_conf early 'max_duration = "10s"; early_timeout = "5s";
	defaults = { concurrent = { critical = 1;
	actions = { critical = [ "cap" ]; }; }; };'
UPSTREAMS="pbx udp 127.0.0.1 $UAS_PORT 1 1"
start_part early
T0=$(now_ms)
sipp_bg ring -sf "$SCEN/fraud2_uac_ring.xml" -key rhost "127.0.0.1:$SIP_PORT" \
    -s "$CALLEE" -i 127.0.0.1 -p "$UAC_PORT" -trace_logs \
    -log_file "$T/ring.log" -m 1 -d 10000 \
    -timeout 40s -timeout_error -recv_timeout 15s "127.0.0.1:$SIP_PORT"
RING=$SIPP_PID
wait_until 3 grep -qs "^RINGING " "$T/ring.log" || fail "the call does not ring"
wait_metric 3 centinela_fraud_dialogs_active "" -eq 1 ||
    fail "the ringing call is not followed"
expect_metric centinela_fraud_calls_active "" -eq 1
while [ $(( $(now_ms) - T0 )) -lt 4000 ]; do sleep 0.1; done
expect_metric centinela_fraud_dialogs_ended_total 'how="timeout_early"' -eq 0
wait_until 5 metric_is centinela_fraud_dialogs_ended_total \
    'how="timeout_early"' -ge 1 ||
    fail "the ringing call was not closed by early_timeout"
DT=$(( $(now_ms) - T0 ))
say "closed by the early timeout, seen $DT ms after the INVITE"
expect_num "ms until the early timeout was seen" "$DT" -ge 5000
expect_num "ms until the early timeout was seen" "$DT" -le 8000
gone "$RING" && fail "the ringing call's SIPp ended before its CANCEL"
expect_metric centinela_fraud_calls_active "" -eq 0
expect_metric centinela_fraud_dialogs_active "" -eq 0
# The slot the early timeout freed takes a new call while the first
# still rings (concurrent critical = 1; a 503 would fail this run): it
# rings, is CANCELled after 0.5 s and ends at the callee's 487
# ("cancel": the CANCEL took effect).
say "a second call $(( $(now_ms) - T0 )) ms after the first, which still rings"
sipp_run ring2 -sf "$SCEN/fraud2_uac_ring.xml" -key rhost "127.0.0.1:$SIP_PORT" \
    -s "$CALLEE" -i 127.0.0.1 -p "$((UAC_PORT + 1))" -trace_logs \
    -log_file "$T/ring2.log" -m 1 -d 500 "127.0.0.1:$SIP_PORT" ||
    fail "ring2: the second call did not pass and ring (SIPp status $?)"
expect_num "ring2: SIPp successful calls" "$(sipp_stat ring2 'SuccessfulCall(C)')" -eq 1
gone "$RING" && fail "the first call ended before the second one did"
# The first call's CANCEL and 487 come after its early timeout.
sipp_wait "$RING" 15 || fail "ring: SIPp UAC exited with status $?"
expect_num "ring: SIPp successful calls" "$(sipp_stat ring 'SuccessfulCall(C)')" -eq 1
wait_uas uasring 2 || fail "the ringing UAS did not complete its 2 calls"
expect_num "uasring: SIPp failed calls" "$(sipp_stat uasring 'FailedCall(C)')" -eq 0
expect_metric centinela_responses_sent_total 'code="487"' -eq 2
sleep 1.2	# one more refresh of the metrics page after the 487
expect_metric centinela_fraud_decisions_total 'verdict="pass"' -eq 2
expect_metric centinela_fraud_decisions_total 'verdict="cap"' -eq 0
expect_metric centinela_fraud_dialogs_started_total "" -eq 2
expect_ended 0 1 0 1 0
expect_metric centinela_fraud_calls_active "" -eq 0

# ---- d) alert delivery with the receiver down -----------------------------
say "d) a warning alert while the webhook receiver is down"
port_bound tcp "$HOOK_PORT" && fail "something listens on $HOOK_PORT already"
fraud_conf hook 'defaults = { calls_per_minute = { warning = 2; }; };' \
    "alerts = { retry_base = \"250ms\"; retry_max = \"1s\";
	channels = ( { name = \"hook\"; type = \"webhook\"; min = \"warning\";
	  url = \"http://127.0.0.1:$HOOK_PORT/hook\";
	  secret_env = \"FRAUD2_HOOK_SECRET\"; timeout = 2000; } ); };"
start_part hook
uac hookcalls -p "$UAC_PORT" -m 3 -r 10 -rp 1000 -l 3 -d 100 ||
    fail "hookcalls: SIPp UAC exited with status $?"
expect_uac hookcalls 3 0
wait_metric 3 centinela_alerts_total 'state="raised"' -eq 1 ||
    fail "no alert raised at the 3rd call of the minute"
wait_metric 6 centinela_alert_deliveries_total 'outcome="retried"' -ge 3 ||
    fail "the delivery to the missing receiver is not retried"
R1=$(metric_value centinela_alert_deliveries_total 'outcome="retried"')
sleep 2.2
R2=$(metric_value centinela_alert_deliveries_total 'outcome="retried"')
expect_num "retried deliveries 2.2 s after $R1" "${R2%%.*}" -gt "${R1%%.*}"
expect_metric centinela_alert_deliveries_total 'outcome="delivered"' -eq 0
expect_metric centinela_alert_deliveries_total 'outcome="failed"' -eq 0

"$CTL" alerts list -c "$T/hook.conf" --json >"$T/alerts-pending.json" ||
    fail "centinelactl alerts list failed"
PENDING=$("$PYTHON" - "$T/alerts-pending.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["alerts"]
ok = (len(a) == 1 and a[0]["severity"] == "warning"
      and a[0]["rule"] == "FRAUD-CPM" and a[0]["subject"] == "trunk tests"
      and len(a[0]["deliveries"]) == 1
      and a[0]["deliveries"][0]["channel"] == "hook")
d = a[0]["deliveries"][0] if a and a[0]["deliveries"] else {}
print(a[0]["id"] if ok else "BAD", "%s/%s" % (d.get("state"), d.get("attempts")))
PY
)
AID=${PENDING%% *}
ASTATE=${PENDING#* }
[ "$AID" != BAD ] || {
	cat "$T/alerts-pending.json"
	fail "the stored alerts are not one FRAUD-CPM warning to hook"
}
case $ASTATE in
pending/*)
	expect_num "stored attempts of the pending delivery" \
	    "${ASTATE#pending/}" -ge 3 ;;
*) cat "$T/alerts-pending.json"; fail "delivery state $ASTATE, want pending" ;;
esac
ok "alert $AID stored, delivery $ASTATE"

# The receiver comes up on the configured port.
"$PYTHON" "$TOP/tests/tools/webhook_rx.py" --secret-env FRAUD2_HOOK_SECRET \
    --port "$HOOK_PORT" >"$T/hook.out" 2>"$T/hook.err" </dev/null &
HOOK=$!
track "$HOOK"
HT0=$(now_ms)
wait_port tcp "$HOOK_PORT"
posts() { curl -s --max-time 3 "http://127.0.0.1:$HOOK_PORT/posts"; }
got_post() { posts | grep -q '"status": 200'; }
wait_until 8 got_post || fail "the receiver got no accepted POST"
DT=$(( $(now_ms) - HT0 ))
expect_num "ms from the receiver's start to the delivery" "$DT" -le 4000
sleep 1.2
posts >"$T/posts.json"
CHECK=$("$PYTHON" - "$T/posts.json" "$AID" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
aid = sys.argv[2]
if len(p) != 1:
    print("%d POSTs, want 1" % len(p)); sys.exit()
p = p[0]
b = p["body"] or {}
bad = [k for k, v in (("id", p["id"] == aid), ("status", p["status"] == 200),
                      ("sig_ok", p["sig_ok"] is True),
                      ("body.id", b.get("id") == aid),
                      ("severity", b.get("severity") == "warning"),
                      ("rule", b.get("rule") == "FRAUD-CPM"),
                      ("subject", b.get("subject") == "trunk tests")) if not v]
print("ok" if not bad else "wrong: " + ",".join(bad))
PY
)
[ "$CHECK" = ok ] || { cat "$T/posts.json"; fail "webhook POST: $CHECK"; }
ok "the receiver got alert $AID once, signed, 200"
wait_metric 3 centinela_alert_deliveries_total 'outcome="delivered"' -eq 1 ||
    fail "the delivery is not counted as delivered"
expect_metric centinela_alert_deliveries_total 'outcome="failed"' -eq 0
expect_metric centinela_alerts_total 'state="raised"' -eq 1
"$CTL" alerts list -c "$T/hook.conf" --json >"$T/alerts-done.json" ||
    fail "centinelactl alerts list failed"
DSTATE=$("$PYTHON" -c '
import json, sys
a = json.load(open(sys.argv[1]))["alerts"]
print(len(a), a[0]["id"], a[0]["deliveries"][0]["state"])' "$T/alerts-done.json")
expect_num "stored alerts after delivery" "${DSTATE%% *}" -eq 1
[ "$DSTATE" = "1 $AID done" ] ||
    fail "stored alert after delivery: $DSTATE, want 1 $AID done"
ok "the store shows $AID delivered (done)"
stop_centinela || fail "centinela did not stop cleanly"

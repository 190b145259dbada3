#!/bin/bash
# t_fraud_burst -- the toll-fraud rules on an authenticated account, end
# to end. Account 300 (SIPp, MD5 digest, from 127.0.0.2) places a burst
# of calls to Spanish premium (803/806/807/905) and international
# numbers through centinela to a SIPp UAS PBX, with the rules
# calls_per_minute warning 3 / critical 6 (critical: alert, suspend) and
# first_use_classes premium at warning; satellite is a blocked class.
#
# Checked: the first six calls pass and reach the PBX; the first
# premium call and the fourth call raise warning alerts (FRAUD-FIRST-USE,
# FRAUD-CPM), the seventh call is refused 403 with Reason FRAUD-CPM and
# raises a critical FRAUD-CPM alert, later calls are refused (403
# FRAUD-SUSPENDED, or a new challenge once the account table reloaded)
# and never reach the PBX; the account is "suspended" in the store
# within 2 s; each alert is received once, with the right severity,
# rule, subject ("account 300@centinela.local": the engine names the
# kind of subject) and text, and a valid HMAC signature, by a real
# webhook receiver (tests/tools/webhook_rx.py) and by a real SMTP server
# (tests/tools/smtp_rx.py); `centinelactl alerts list` lists them by
# the same ids, delivered to both channels; calls 5 and 6 (still at
# warning) raise nothing more. A call of account 301 to a satellite
# number is refused 403 FRAUD-BLOCKED-CLASS (critical alert).
# `centinelactl user resume`, inside the minute of the burst, lifts the
# suspension and starts the account's windows afresh: within 3 s a new
# call passes end to end (the PBX answers it) and the stored calls of
# the last minute are that one call. The metrics count it all.
TEST_ID=44
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester curl python3 python3-aiosmtpd
# $PYTHON (lib.sh) is Debian's python3: smtp_rx.py needs its aiosmtpd.
TOOLS=$TOP/tests/tools
CALL=$TOOLS/fraud1_call.py
HOOK_PORT=$((BASE + 50))
SMTP_PORT=$((BASE + 51))
ACCT=300@centinela.local
ACCT2=301@centinela.local

# ---- receivers: a webhook (HMAC checked) and an SMTP server -------------
FRAUD1_HOOK_SECRET=$("$PYTHON" -c 'import secrets; print(secrets.token_hex(24))')
export FRAUD1_HOOK_SECRET
"$PYTHON" "$TOOLS/webhook_rx.py" --secret-env FRAUD1_HOOK_SECRET \
    --port "$HOOK_PORT" >"$T/hook.out" 2>"$T/hook.err" &
track $!
mkdir -p "$T/mail"
"$PYTHON" "$TOOLS/smtp_rx.py" "$T/mail" --port "$SMTP_PORT" \
    >"$T/smtp.out" 2>"$T/smtp.err" &
track $!
wait_port tcp "$HOOK_PORT"
wait_port tcp "$SMTP_PORT"

# ---- centinela -----------------------------------------------------------
UPSTREAMS="pbx udp 127.0.0.1 $UAS_PORT 1 1"
EXTRA="auth = { algorithms = [ \"MD5\" ]; };
fraud = {
	enabled = true;
	persist_interval = \"1s\";
	alert_interval = \"1h\";
	actions = { warning = [ \"log\", \"alert\" ];
		critical = [ \"alert\", \"reject\" ]; };
	defaults = {
		calls_per_minute = { warning = 3; critical = 6;
			actions = { critical = [ \"alert\", \"suspend\" ]; }; };
		first_use_classes = { classes = [ \"premium\" ];
			level = \"warning\"; };
		blocked_classes = [ \"satellite\" ];
	};
};
alerts = {
	node = \"fraud1-node\";
	retry_base = \"250ms\"; retry_max = \"1s\";
	channels = (
		{ name = \"hook\"; type = \"webhook\"; min = \"warning\";
		  url = \"http://127.0.0.1:$HOOK_PORT/alerts\";
		  secret_env = \"FRAUD1_HOOK_SECRET\"; timeout = 3000; },
		{ name = \"mail\"; type = \"email\"; min = \"warning\";
		  url = \"smtp://127.0.0.1:$SMTP_PORT\";
		  from = \"centinela@fraud1.invalid\";
		  to = [ \"noc@fraud1.invalid\" ]; starttls = \"no\";
		  timeout = 3000; } );
};"
CONF=$T/centinela.conf
write_conf "$CONF"
CTL=$(dirname "$BIN")/centinelactl
SECRET=$(user_add "$CONF" 300) || fail "user add 300 failed"
SECRET2=$(user_add "$CONF" 301) || fail "user add 301 failed"
[ -n "$SECRET" ] && [ -n "$SECRET2" ] || fail "no device secret written"

scenario uas_call RR="Record-Route: <sip:127\\.0\\.0\\.1:$SIP_PORT;lr;ad=[0-9a-f]{16}>"
start_uas uas "$T/uas_call.xml" "$UAS_PORT" -key contact "127.0.0.1:$UAS_PORT" \
    -trace_msg -message_file "$T/pbx_msg.log"
start_centinela
wait_upstream_healthy pbx

# call NAME USER SECRET NUMBER -- one call with fraud1_call.py from
# 127.0.0.2; its "result=..." line in $T/NAME.out and in $R.
call() {
	"$PYTHON" "$CALL" --port "$SIP_PORT" --bind 127.0.0.2 --user "$2" \
	    --secret "$3" --number "$4" >"$T/$1.out" 2>"$T/$1.err"
	R=$(cat "$T/$1.out")
}
# expect_call NAME USER SECRET NUMBER WANT -- the result line is WANT.
expect_call() {
	call "$1" "$2" "$3" "$4"
	[ "$R" = "$5" ] || fail "$1: call to $4 gave \"$R\", want \"$5\""
	ok "$1: call of $2 to $4: $R"
}
pbx_calls() { sipp_stat uas 'SuccessfulCall(C)'; }
# pbx_numbers -- the Request-URI users of the INVITEs the PBX received,
# space-separated, in order.
pbx_numbers() {
	sed -n 's/^INVITE sip:\([^@]*\)@.*/\1/p' "$T/pbx_msg.log" | tr '\n' ' ' |
	    sed 's/ $//'
}

# ---- the burst: six calls pass ------------------------------------------
# Premium first (the first use of the class), then international
# (UK mobile, France in 00 form, US), then premium again.
{
	echo SEQUENTIAL
	echo "300;803123456"
	echo "300;+447700900123"
	echo "300;0033612345678"
	echo "300;806123456"
	echo "300;+12125550123"
	echo "300;807123456"
} >"$T/burst.csv"
sipp_run burst -sf "$SCEN/fraud1_uac_auth_call.xml" -inf "$T/burst.csv" \
    -au 300 -ap "$SECRET" -key rhost "127.0.0.2:$SIP_PORT" \
    -i 127.0.0.2 -p "$UAC_PORT" -m 6 -r 10 -l 1 "127.0.0.1:$SIP_PORT" ||
    fail "burst: SIPp UAC exited with status $?"
expect_num "burst: UAC successful calls" "$(sipp_stat burst 'SuccessfulCall(C)')" -eq 6
expect_num "burst: UAC failed calls" "$(sipp_stat burst 'FailedCall(C)')" -eq 0
wait_uas uas 6 || fail "the PBX did not complete 6 calls"
expect_num "PBX calls after the burst" "$(pbx_calls)" -eq 6

# ---- the seventh call reaches critical: refused, account suspended --------
expect_call c7 300 "$SECRET" 905123456 "result=403 reason=FRAUD-CPM"
# The next one: the engine's suspension (403 FRAUD-SUSPENDED), or the
# account table already reloaded (a challenge that never succeeds).
call c8 300 "$SECRET" 803999999
R8=$R
case $R in
"result=403 reason=FRAUD-SUSPENDED" | \
"result=407 reason=none challenged-after-credentials") ok "c8: $R" ;;
*) fail "c8: a call of the suspended account gave \"$R\"" ;;
esac

# ---- a blocked class ------------------------------------------------------
expect_call sat 301 "$SECRET2" +881612345678 "result=403 reason=FRAUD-BLOCKED-CLASS"

# ---- the suspension ---------------------------------------------------
wait_until 2 sh -c "'$CTL' user -c '$CONF' show 300 | grep -qx 'status: *suspended'" ||
    fail "account 300 not suspended in the store 2 s after the critical call"
ok "user show 300: $("$CTL" user -c "$CONF" show 300 | grep '^status:')"
expect_num "PBX calls after the refused ones" "$(pbx_calls)" -eq 6
# Refused calls never reach it: the INVITEs it got are the burst's.
BURST_NUMS="803123456 +447700900123 0033612345678 806123456 +12125550123 807123456"
[ "$(pbx_numbers)" = "$BURST_NUMS" ] ||
    fail "the PBX got INVITEs for \"$(pbx_numbers)\", want \"$BURST_NUMS\""
ok "the PBX got exactly the INVITEs of the six calls that passed"
# The metrics are a copy taken once a second: wait for the last call's.
wait_metric 3 centinela_fraud_alerts_total "" -eq 4 ||
    fail "centinela_fraud_alerts_total = $(metric_value centinela_fraud_alerts_total), want 4"
expect_metric centinela_fraud_decisions_total 'verdict="pass"' -eq 6
expect_metric centinela_fraud_decisions_total 'verdict="suspend"' -eq 1
expect_metric centinela_fraud_decisions_total 'verdict="cap"' -eq 0
# c8 (refused as suspended, or challenged before the rules) and sat.
v=$(metric_value centinela_fraud_decisions_total 'verdict="reject"')
case $R8 in
*FRAUD-SUSPENDED) expect_num 'decisions{verdict="reject"}' "${v%%.*}" -eq 2 ;;
*) expect_num 'decisions{verdict="reject"}' "${v%%.*}" -eq 1 ;;
esac
expect_metric centinela_fraud_suspensions_total "" -eq 1
expect_metric centinela_fraud_resumes_total "" -eq 0
expect_metric centinela_fraud_dialogs_started_total "" -eq 6
expect_metric centinela_fraud_dialogs_ended_total 'how="bye"' -eq 6
expect_metric centinela_fraud_dialogs_active "" -eq 0
expect_metric centinela_fraud_calls_active "" -eq 0
grep -qE "warn .*fraud: account $ACCT suspended \(FRAUD-CPM\)" "$LOG" ||
    fail "no log line of the suspension"
grep -qE "fraud: account $ACCT suspended in the store" "$LOG" ||
    fail "no log line of the suspension written to the store"
ok "the suspension is logged, and written to the store"

# ---- the alerts: received by the webhook and the SMTP server -----------
posts() { curl -s --max-time 3 "http://127.0.0.1:$HOOK_PORT/posts"; }
nposts() { test "$(posts | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')" -ge "$1"; }
nmail() { test "$(find "$T/mail" -name '*.eml' | wc -l)" -ge "$1"; }
wait_until 10 nposts 4 || fail "the webhook did not receive 4 alerts"
wait_until 10 nmail 4 || fail "the SMTP server did not receive 4 messages"
wait_metric 5 centinela_alert_deliveries_total 'outcome="delivered"' -eq 8 ||
    fail "the metrics do not show 8 deliveries"
sleep 1	# anything more (a duplicate) would show now
"$CTL" alerts -c "$CONF" list --json >"$T/alerts.json" ||
    fail "centinelactl alerts list --json failed"
"$CTL" alerts -c "$CONF" list >"$T/alerts.txt" ||
    fail "centinelactl alerts list failed"
"$PYTHON" "$TOOLS/fraud1_alerts.py" --hook "http://127.0.0.1:$HOOK_PORT" \
    --mail "$T/mail" --list "$T/alerts.json" --node fraud1-node \
    --from centinela@fraud1.invalid --to noc@fraud1.invalid \
    --ids "$T/alert_ids.txt" \
    --expect "warning FRAUD-FIRST-USE account $ACCT | first call ever to class premium (34803123456)" \
    --expect "warning FRAUD-CPM account $ACCT | 4 calls in the last minute (warning 3)" \
    --expect "critical FRAUD-CPM account $ACCT | 7 calls in the last minute (critical 6)" \
    --expect "critical FRAUD-BLOCKED-CLASS account $ACCT2 | call to 881612345678, class satellite" ||
    fail "the alerts received are not the ones raised"
# The plain listing: one line per alert, by id, delivered to both.
while read -r id; do
	grep -qE "^$id +[0-9T:Z-]+ +(warning|critical) +FRAUD-[A-Z-]+ +account 30[01]@centinela\.local +hook:done mail:done$" \
	    "$T/alerts.txt" || fail "alerts list does not show $id delivered"
done <"$T/alert_ids.txt"
expect_num "alerts list lines" "$(grep -c '^al-' "$T/alerts.txt")" -eq 4
expect_metric centinela_alerts_total 'state="raised"' -eq 4
expect_metric centinela_alerts_total 'state="duplicate"' -eq 0
expect_metric centinela_alerts_total 'state="limited"' -eq 0
expect_metric centinela_alert_deliveries_total 'outcome="failed"' -eq 0
expect_metric centinela_alert_deliveries_total 'outcome="retried"' -eq 0
# Calls 5 and 6 stayed at warning: one alert for the level, not three.
expect_metric centinela_fraud_alerts_suppressed_total "" -eq 2

# ---- still suspended; the stored counters hold the burst ----------------
calls_minute() {
	"$CTL" fraud -c "$CONF" show "$ACCT" --json 2>/dev/null |
	    "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["calls_minute"])'
}
expect_num "stored calls in the last minute of $ACCT" "$(calls_minute)" -eq 6
expect_call c9 300 "$SECRET" 905123456 \
    "result=407 reason=none challenged-after-credentials"
expect_num "PBX calls while suspended" "$(pbx_calls)" -eq 6
[ "$(pbx_numbers)" = "$BURST_NUMS" ] ||
    fail "the PBX got INVITEs for \"$(pbx_numbers)\" while suspended"

# ---- resume: within 3 s a call passes end to end ------------------------
"$CTL" user -c "$CONF" resume 300 >"$T/resume.txt" || fail "user resume failed"
ok "user resume 300: $(cat "$T/resume.txt")"
t0=$(date +%s%N)
n=0
while :; do
	n=$((n + 1))
	call "r$n" 300 "$SECRET" 905123456
	[ "$R" = result=200 ] && break
	case $R in
	"result=403 reason=FRAUD-SUSPENDED" | \
	"result=407 reason=none challenged-after-credentials") ;;
	*) fail "after resume, attempt $n gave \"$R\"" ;;
	esac
	[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 3000 ] ||
	    fail "3 s after user resume, calls are still refused ($R)"
	sleep 0.2
done
ok "a call passes $(( ($(date +%s%N) - t0) / 1000000 )) ms after user resume (attempt $n)"
wait_uas uas 7 || fail "the PBX did not answer the call after resume"
expect_num "PBX calls" "$(pbx_calls)" -eq 7
[ "$(pbx_numbers)" = "$BURST_NUMS 905123456" ] ||
    fail "the PBX got INVITEs for \"$(pbx_numbers)\", want \"$BURST_NUMS 905123456\""
ok "the PBX got the INVITE of the call after resume"
wait_metric 3 centinela_fraud_resumes_total "" -eq 1 ||
    fail "centinela_fraud_resumes_total is not 1"
grep -qE "fraud: account $ACCT resumed by an administrator" "$LOG" ||
    fail "no log line of the resume"
ok "the resume is logged"
"$CTL" user -c "$CONF" show 300 | grep -qx 'status: *active' ||
    fail "account 300 is not active after resume"
wait_until 3 sh -c "'$CTL' fraud -c '$CONF' show '$ACCT' | grep -qx 'status: *active'" ||
    fail "the stored fraud state of $ACCT still says suspended"
ok "user show and fraud show: $ACCT active"
wait_until 3 sh -c "[ \"\$(\"$CTL\" fraud -c '$CONF' show '$ACCT' --json | '$PYTHON' -c 'import json,sys; print(json.load(sys.stdin)[\"calls_minute\"])')\" = 1 ]" ||
    fail "after resume the stored calls of the last minute are $(calls_minute), not 1"
ok "resume started the windows afresh: 1 call in the last minute"
expect_metric centinela_fraud_decisions_total 'verdict="pass"' -eq 7
expect_metric centinela_fraud_decisions_total 'verdict="suspend"' -eq 1
expect_metric centinela_fraud_suspensions_total "" -eq 1
expect_metric centinela_fraud_dialogs_ended_total 'how="bye"' -eq 7
# The passed premium call raised nothing new (class already used).
expect_metric centinela_alerts_total 'state="raised"' -eq 4

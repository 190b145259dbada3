#!/bin/bash
# t_fraud_restart -- the toll-fraud counters and suspensions survive a
# restart, and a bad fraud rule is refused with FILE:LINE.
#
# Run 1 (fraud.persist_interval "1h", so that only the shutdown writes
# the counters): the customer trunk "tests" (SIPp from 127.0.0.1) places
# 8 calls with calls_per_day critical = 12; nothing of the trunk is in
# the store while the daemon runs; account 300 calls a satellite number,
# a blocked class whose action is "suspend": 403 FRAUD-BLOCKED-CLASS and
# the account is suspended at once (store, user show). SIGTERM: the
# daemon exits 0 and `centinelactl fraud show tests --trunk` shows the
# 8 calls of the day, `fraud show 300@centinela.local` the suspension.
#
# Run 2 (persist_interval "1s"): the daemon restores both subjects; the
# account is still refused (a challenge that never succeeds) until
# `centinelactl user resume`, then a call of it passes end to end
# within 3 s; the trunk's calls 9 to 12 pass, the stored counters
# follow within 2 s, and call 13 is refused 403 FRAUD-CPD without
# reaching the PBX. A SIGHUP with a broken fraud section on disk changes
# nothing (the daemon only reloads the scanner signatures on SIGHUP):
# call 14 is still refused FRAUD-CPD.
#
# `centinela -t` on configurations with one bad fraud rule each (an
# unknown class, critical below warning, an unknown key, "suspend" on a
# trunk, a trunk naming no peer) prints FILE:LINE: and the reason, and
# exits non-zero.
TEST_ID=45
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester curl python3
# $PYTHON (lib.sh): Debian's python3; fraud1_call.py needs only its stdlib.
CALL=$TOP/tests/tools/fraud1_call.py
ACCT=300@centinela.local
CONF=$T/centinela.conf
CTL=$(dirname "$BIN")/centinelactl
UPSTREAMS="pbx udp 127.0.0.1 $UAS_PORT 1 1"
MOBILE=612345678	# a Spanish mobile: class "mobile", no rule but the count

# fraud_conf PERSIST [CPD_CRITICAL] [EXTRA_RULE] -- $CONF with the fraud
# section of this test.
fraud_conf() {
	EXTRA="fraud = {
	enabled = true;
	persist_interval = \"$1\";
	defaults = {
		calls_per_day = { critical = ${2:-12}; };
		${3:-}
	};
	accounts = ( { user = \"300\"; domain = \"\";
		blocked_classes = { classes = [ \"satellite\" ];
			actions = [ \"alert\", \"suspend\" ]; }; } );
};"
	write_conf "$CONF"
}

# call NAME NUMBER [USER SECRET] -- one call with fraud1_call.py (from
# 127.0.0.1, the trunk, without USER; from 127.0.0.2 with digest with
# it); the "result=..." line in $R.
call() {
	if [ -n "${3:-}" ]; then
		"$PYTHON" "$CALL" --port "$SIP_PORT" --bind 127.0.0.2 \
		    --user "$3" --secret "$4" --number "$2" \
		    >"$T/$1.out" 2>"$T/$1.err"
	else
		"$PYTHON" "$CALL" --port "$SIP_PORT" --bind 127.0.0.1 \
		    --number "$2" >"$T/$1.out" 2>"$T/$1.err"
	fi
	R=$(cat "$T/$1.out")
}
expect_call() {	# expect_call NAME WANT NUMBER [USER SECRET]
	local n=$1 want=$2
	shift 2
	call "$n" "$@"
	[ "$R" = "$want" ] || fail "$n: call to $1 gave \"$R\", want \"$want\""
	ok "$n: call to $1: $R"
}
# trunk_calls N NAME -- N calls of the trunk with SIPp, all must pass.
trunk_calls() {
	sipp_run "$2" -sf "$SCEN/uac_call.xml" -key rhost "127.0.0.1:$SIP_PORT" \
	    -s "$MOBILE" -i 127.0.0.1 -p "$UAC_PORT" -m "$1" -r 10 -l 1 \
	    "127.0.0.1:$SIP_PORT" || fail "$2: SIPp UAC exited with status $?"
	expect_num "$2: successful calls" "$(sipp_stat "$2" 'SuccessfulCall(C)')" -eq "$1"
	expect_num "$2: failed calls" "$(sipp_stat "$2" 'FailedCall(C)')" -eq 0
}
pbx_calls() { sipp_stat uas 'SuccessfulCall(C)'; }
pbx_invites() { grep -c '^INVITE sip:' "$T/pbx_msg.log"; }
# stored KIND NAME FIELD -- a field of `centinelactl fraud show --json`.
stored() {
	local t=
	[ "$1" = trunk ] && t=--trunk
	"$CTL" fraud -c "$CONF" show "$2" $t --json 2>/dev/null |
	    "$PYTHON" -c "import json,sys; print(json.load(sys.stdin)['$3'])"
}
stored_is() { [ "$(stored "$1" "$2" "$3")" = "$4" ]; }
user_status() {
	"$CTL" user -c "$CONF" show 300 | sed -n 's/^status: *//p'
}

# ---- centinela -t: bad fraud rules are refused with FILE:LINE ------------
# bad NAME MARKER WANT RULE -- a configuration whose defaults hold RULE
# (one line, MARKER on it) must fail centinela -t with
# FILE:LINE: WANT (LINE: the line of MARKER).
bad() {
	local f=$T/bad-$1.conf line out rc
	CONF=$f fraud_conf 1s 12 "$4"
	line=$(grep -n -F -- "$2" "$f" | head -n 1 | cut -d: -f1)
	[ -n "$line" ] || fail "bad-$1: marker not in the file"
	"$BIN" -t -c "$f" >"$T/bad-$1.txt" 2>&1
	rc=$?
	out=$(cat "$T/bad-$1.txt")
	[ "$rc" -ne 0 ] || fail "centinela -t accepted bad-$1 ($4)"
	printf '%s\n' "$out" | grep -qF -- "$f:$line: $3" ||
	    fail "bad-$1: centinela -t said \"$out\", want \"$f:$line: $3\""
	ok "bad-$1: exit $rc: $(printf '%s\n' "$out" | grep -F -- "$f:$line:" | head -n 1 | sed "s|^$T/||")"
}
bad class 'satelite' \
    'blocked_classes: "satelite" is not a class of the destination table' \
    'blocked_classes = [ "satellite", "satelite" ];'
bad order 'calls_per_hour' 'calls_per_hour: warning must be below critical' \
    'calls_per_hour = { warning = 50; critical = 20; };'
bad key 'calls_per_mintue' 'unknown setting "calls_per_mintue"' \
    'calls_per_mintue = { warning = 3; critical = 6; };'
bad level 'warnning' 'unknown setting "warnning" in calls_per_minute' \
    'calls_per_minute = { warnning = 3; critical = 6; };'
# A trunk cannot be suspended; a trunk entry must name a peer.
CONF=$T/bad-trunk.conf fraud_conf 1s
sed -i 's|^\(\taccounts = \)|\ttrunks = ( { peer = "tests"; calls_per_minute = { critical = 5; actions = { critical = [ "alert", "suspend" ]; }; }; } );\n\1|' \
    "$T/bad-trunk.conf"
line=$(grep -n 'trunks = ' "$T/bad-trunk.conf" | cut -d: -f1)
"$BIN" -t -c "$T/bad-trunk.conf" >"$T/bad-trunk.txt" 2>&1 &&
    fail "centinela -t accepted suspend on a trunk"
grep -qF "$T/bad-trunk.conf:$line: critical: \"suspend\" is not an action of a trunk" \
    "$T/bad-trunk.txt" ||
    fail "bad-trunk: centinela -t said \"$(cat "$T/bad-trunk.txt")\""
ok "bad-trunk: $(sed "s|^$T/||" "$T/bad-trunk.txt" | head -n 1)"
sed -i 's|peer = "tests"; calls_per_minute = { critical = 5; actions = { critical = \[ "alert", "suspend" \]; }; };|peer = "nosuchpeer"; calls_per_minute = { critical = 5; };|' \
    "$T/bad-trunk.conf"
"$BIN" -t -c "$T/bad-trunk.conf" >"$T/bad-peer.txt" 2>&1 &&
    fail "centinela -t accepted a trunk naming no peer"
grep -qF "$T/bad-trunk.conf:$line: peer: \"nosuchpeer\" is not a name of peers" \
    "$T/bad-peer.txt" ||
    fail "bad-peer: centinela -t said \"$(cat "$T/bad-peer.txt")\""
ok "bad-peer: $(sed "s|^$T/||" "$T/bad-peer.txt" | head -n 1)"

# ---- run 1: counted, suspended, stopped ------------------------------------
fraud_conf 1h
"$BIN" -t -c "$CONF" >/dev/null 2>&1 || fail "the good configuration is refused"
SECRET=$(user_add "$CONF" 300) || fail "user add failed"
[ -n "$SECRET" ] || fail "no device secret written"
scenario uas_call RR="Record-Route: <sip:127\\.0\\.0\\.1:$SIP_PORT;lr;ad=[0-9a-f]{16}>"
start_uas uas "$T/uas_call.xml" "$UAS_PORT" -key contact "127.0.0.1:$UAS_PORT" \
    -trace_msg -message_file "$T/pbx_msg.log"
start_centinela
wait_upstream_healthy pbx

trunk_calls 8 run1
wait_uas uas 8 || fail "the PBX did not complete 8 calls"
expect_call sat "result=403 reason=FRAUD-BLOCKED-CLASS" +881612345678 300 "$SECRET"
wait_until 2 sh -c "'$CTL' user -c '$CONF' show 300 | grep -qx 'status: *suspended'" ||
    fail "account 300 not suspended in the store 2 s after the call"
ok "user show 300: status $(user_status)"
grep -qE "fraud: account $ACCT suspended \(FRAUD-BLOCKED-CLASS\)" "$LOG" ||
    fail "no log line of the suspension"
expect_num "PBX INVITEs" "$(pbx_invites)" -eq 8
wait_metric 3 centinela_fraud_decisions_total 'verdict="suspend"' -eq 1 ||
    fail "the metrics do not show the suspension"
expect_metric centinela_fraud_decisions_total 'verdict="pass"' -eq 8
expect_metric centinela_fraud_suspensions_total "" -eq 1
# Write-behind: with persist_interval 1h the trunk is not written yet.
"$CTL" fraud -c "$CONF" show tests --trunk >"$T/show0.txt" 2>&1 &&
    fail "the trunk is in the store already: $(cat "$T/show0.txt")"
grep -qF 'no trunk "tests" stored' "$T/show0.txt" ||
    fail "fraud show tests --trunk: $(cat "$T/show0.txt")"
ok "persist_interval 1h: the trunk is not in the store while running"

stop_centinela || fail "centinela did not stop cleanly"
ok "SIGTERM: centinela exited 0"
"$CTL" fraud -c "$CONF" show tests --trunk >"$T/show1.txt" ||
    fail "fraud show tests --trunk after the stop: $(cat "$T/show1.txt")"
grep -qx 'trunk: *tests' "$T/show1.txt" &&
    grep -qx 'status: *active' "$T/show1.txt" &&
    grep -qx 'calls: *8 last minute, 8 last hour, 8 last day' "$T/show1.txt" ||
    fail "fraud show tests --trunk after the stop: $(cat "$T/show1.txt")"
ok "fraud show tests --trunk: $(grep '^calls:' "$T/show1.txt")"
expect_num "stored calls_day of the trunk" "$(stored trunk tests calls_day)" -eq 8
"$CTL" fraud -c "$CONF" show "$ACCT" >"$T/show1a.txt" ||
    fail "fraud show $ACCT: $(cat "$T/show1a.txt")"
grep -qx 'status: *suspended' "$T/show1a.txt" ||
    fail "fraud show $ACCT: $(cat "$T/show1a.txt")"
ok "fraud show $ACCT: suspended"
"$CTL" fraud -c "$CONF" list >"$T/list1.txt" || fail "fraud list failed"
grep -qE "^account +$ACCT +suspended +0 +0 +0 " "$T/list1.txt" &&
    grep -qE "^trunk +tests +active +8 +8 +8 " "$T/list1.txt" &&
    [ "$(grep -c '^account\|^trunk' "$T/list1.txt")" -eq 2 ] ||
    fail "fraud list: $(cat "$T/list1.txt")"
ok "fraud list: the account (suspended) and the trunk (8 calls)"
[ "$(user_status)" = suspended ] || fail "account 300 is $(user_status) after the stop"

# ---- run 2: restored ---------------------------------------------------------
fraud_conf 1s
cp "$CONF" "$T/good.conf"
start_centinela
wait_upstream_healthy pbx
grep -qE "fraud: enforcing, 2 accounts and trunks restored" "$LOG" ||
    fail "the daemon did not restore 2 subjects: $(grep 'fraud: enforcing' "$LOG" | tail -n 1)"
ok "2 accounts and trunks restored"

# The account is still refused, then resumed.
expect_call s1 "result=407 reason=none challenged-after-credentials" \
    "$MOBILE" 300 "$SECRET"
expect_num "PBX INVITEs" "$(pbx_invites)" -eq 8
"$CTL" user -c "$CONF" resume 300 >"$T/resume.txt" || fail "user resume failed"
ok "$(cat "$T/resume.txt")"
t0=$(date +%s%N)
n=0
while :; do
	n=$((n + 1))
	call "r$n" "$MOBILE" 300 "$SECRET"
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
ok "the account's call passes $(( ($(date +%s%N) - t0) / 1000000 )) ms after user resume (attempt $n)"
wait_uas uas 9 || fail "the PBX did not answer the account's call"
# The engine knew the restored suspension: it logs lifting it.
wait_for_log "fraud: account $ACCT resumed by an administrator" 3 ||
    fail "the engine did not lift a suspension it restored"
wait_metric 3 centinela_fraud_resumes_total "" -eq 1 ||
    fail "centinela_fraud_resumes_total is not 1"
ok "the engine lifted the restored suspension"

# The trunk: calls 9 to 12 pass, 13 is refused.
trunk_calls 4 run2
wait_until 3 stored_is trunk tests calls_day 12 ||
    fail "stored calls_day of the trunk: $(stored trunk tests calls_day), want 12 within 3 s"
ok "persist_interval 1s: the stored trunk shows 12 calls of the day"
wait_metric 3 centinela_fraud_persisted_total "" -ge 1 ||
    fail "centinela_fraud_persisted_total = $(metric_value centinela_fraud_persisted_total), want >= 1"
expect_metric centinela_fraud_persist_errors_total "" -eq 0
expect_call c13 "result=403 reason=FRAUD-CPD" "$MOBILE"
wait_uas uas 13 || fail "the PBX did not complete 13 calls"
expect_num "PBX INVITEs (call 13 never reaches it)" "$(pbx_invites)" -eq 13
expect_num "PBX calls" "$(pbx_calls)" -eq 13
# Rejected: call 13, and the account's attempts refused as suspended.
nsusp=$(cat "$T"/r*.out | grep -c 'FRAUD-SUSPENDED')
wait_metric 3 centinela_fraud_decisions_total 'verdict="reject"' -eq $((nsusp + 1)) ||
    fail "decisions{verdict=\"reject\"} = $(metric_value centinela_fraud_decisions_total 'verdict="reject"'), want $((nsusp + 1))"
ok "decisions{verdict=\"reject\"} = $((nsusp + 1)) (call 13, $nsusp attempts while suspended)"
expect_metric centinela_fraud_decisions_total 'verdict="suspend"' -eq 0
expect_metric centinela_fraud_decisions_total 'verdict="pass"' -eq 5
grep -qE "reason=FRAUD-CPD status=403" "$LOG" || fail "no log line of the refusal"

# No reload of the fraud rules: a broken section on disk and a SIGHUP
# change nothing (the daemon only reloads its scanner signatures).
fraud_conf 1s 100 'blocked_classes = [ "satelite" ];'
"$BIN" -t -c "$CONF" >/dev/null 2>&1 && fail "the broken configuration passes -t"
mark=$(log_mark)
kill -HUP "$CENTINELA_PID"
wait_until 5 sh -c "tail -n +$((mark + 1)) '$LOG' | grep -q 'SIGHUP'" ||
    fail "no log line of the SIGHUP"
sleep 0.5
alive "$CENTINELA_PID" || fail "centinela died on SIGHUP"
cp "$T/good.conf" "$CONF"
expect_call c14 "result=403 reason=FRAUD-CPD" "$MOBILE"
ok "after SIGHUP with a broken fraud section on disk, the old rules hold"
expect_num "PBX INVITEs" "$(pbx_invites)" -eq 13
stop_centinela || fail "centinela did not stop cleanly"
expect_num "stored calls_day of the trunk at the end" "$(stored trunk tests calls_day)" -eq 12
expect_num "stored calls_day of $ACCT at the end" "$(stored account "$ACCT" calls_day)" -eq 1
[ "$(stored account "$ACCT" suspended)" = False ] ||
    fail "stored state of $ACCT: suspended = $(stored account "$ACCT" suspended)"
ok "stored state of $ACCT: active, 1 call"

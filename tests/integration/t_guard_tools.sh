#!/bin/bash
# t_guard_tools -- the guard against real attack tools, with a real
# phone calling beside them the whole time (100 accounts 1000..1099 and
# the phone's own, 300):
#
#  - a SIPp phone on 127.0.0.2 (user 300, MD5 digest) registers and
#    calls through centinela to a SIPp PBX on 127.0.0.3 (a "pbx" peer,
#    the upstream) at 5 calls/s while the attacks run: every call must
#    succeed, and 127.0.0.2 must never be banned;
#  - SIPVicious svmap, svwar (100-200 and 1000-1100, -m REGISTER) and
#    svcrack (1000, a word list), all from 127.0.0.1 (public here): each
#    finds nothing, gets its source banned at its first request
#    (scanner signature: at most 2 requests reach the daemon), and the
#    source stays silenced until `centinelactl ban del` lifts the ban;
#  - attack.py enum (no scanner signature) from 127.0.0.4: banned by the
#    enumeration trigger after 10 user names; attack.py crack from
#    127.0.0.5: banned by the brute-force trigger after 5 failures.
#
# SIPVicious 0.3.3 (Debian) ignores -b for svwar/svcrack and sends from
# 127.0.0.1, so 127.0.0.1 is no peer here; svcrack and SIPp 3.6 do MD5
# only, hence algorithms = [ "MD5", "SHA-256" ].
TEST_ID=38
. "$(dirname "$0")/lib.sh"
need_pkg python3 curl sipvicious sip-tester

# Calls the phone makes at 5/s: about 40 s, more than the attacks take
# (checked: the phone is still calling when they are over).
N=200
PBX=127.0.0.3
PHONE=127.0.0.2

UPSTREAMS="pbx udp $PBX $UAS_PORT 1 1"
EXTRA="peers = ( { name = \"pbx\"; cidr = \"$PBX/32\"; role = \"pbx\"; } );
auth = { algorithms = [ \"MD5\", \"SHA-256\" ]; };"
write_conf "$T/centinela.conf"
CONF=$T/centinela.conf
CTL=$(dirname "$BIN")/centinelactl
[ -x "$CTL" ] || fail "no centinelactl beside $BIN"
ctl() { "$CTL" "$@"; }

for u in $(seq 1000 1099); do
	ctl user -c "$CONF" add "$u" >/dev/null || fail "user add $u failed"
done
SECRET=$(user_add "$CONF" 300) || fail "user add 300 failed"
[ ${#SECRET} -ge 22 ] || fail "no device secret written for 300"
printf 'SEQUENTIAL\n300;\n' >"$T/users.csv"

scenario uas_call RR="Record-Route: <sip:127\\.0\\.0\\.1:$SIP_PORT;lr;ad=[0-9a-f]{16}>"
sipp_bg uas -sf "$T/uas_call.xml" -aa -i "$PBX" -p "$UAS_PORT" \
    -key contact "$PBX:$UAS_PORT"
wait_port udp "$UAS_PORT"
start_centinela
wait_upstream_healthy pbx

ev() { metric_value centinela_events_total "event=\"$1\",reason=\"$2\""; }
drops() { metric_value centinela_drops_total "reason=\"$1\""; }
hits() {
	metric_value centinela_scanner_hits_total 'signature="friendly-scanner"'
}


# sv_none RUN -- a SIPVicious tool ran to its end and found nothing.
sv_none() {
	! grep -q Traceback "$T/$1.err" || fail "$1 crashed: $(cat "$T/$1.err")"
	grep -q "found nothing" "$T/$1.err" ||
	    fail "$1 did not say 'found nothing': $(cat "$T/$1.out" "$T/$1.err")"
	! grep -qE '^\| *[0-9]' "$T/$1.out" ||
	    fail "$1 found something: $(cat "$T/$1.out")"
}

# scanned RUN MARK HITS0 DROPS0 -- the source 127.0.0.1 got banned for a
# scanner during RUN (log lines after MARK), and only a bounded number
# of its requests got past the gate before: scanner hits (requests
# parsed and matched) and distinct Call-IDs logged for 127.0.0.1.
scanned() {
	local n=$1 mark=$2 h0=$3 d0=$4 nh nc
	log_since "$mark" >"$T/$n.log"
	grep -qE 'event=ban src=127\.0\.0\.1:[0-9]+ reason=scanner: range=127\.0\.0\.1/32 ' \
	    "$T/$n.log" || fail "$n: no event=ban for 127.0.0.1 (scanner)"
	ctl ban -c "$CONF" show 127.0.0.1 >"$T/$n.show" ||
	    fail "$n: ban show 127.0.0.1 failed"
	grep -q "banned, reason scanner" "$T/$n.show" ||
	    fail "$n: ban show: $(cat "$T/$n.show")"
	nh=$(( $(hits) - h0 ))
	nc=$(grep -E 'src=127\.0\.0\.1:[0-9]+ .*call_id=' "$T/$n.log" |
	    sed 's/.*call_id=\([^ ]*\).*/\1/' | sort -u | wc -l)
	say "$n: requests parsed from 127.0.0.1 before the ban:" \
	    "$nh (scanner hits), $nc (Call-IDs in the log);" \
	    "dropped as banned since: $(( $(drops banned) - d0 ))"
	expect_num "$n: scanner hits" "$nh" -ge 1
	expect_num "$n: scanner hits" "$nh" -le 2
	expect_num "$n: Call-IDs from 127.0.0.1 in the log" "$nc" -le 2
	ping_silenced 127.0.0.1 || fail "$n: 127.0.0.1 still answered"
	expect_num "$n: drops of banned packets" \
	    $(( $(drops banned) - d0 )) -ge 1
	ok "$n: 127.0.0.1 banned as a scanner and silenced"
}

# lift -- `centinelactl ban del 127.0.0.1/32`; answered again soon.
lift() {
	ctl ban -c "$CONF" del 127.0.0.1/32 >/dev/null ||
	    fail "ban del 127.0.0.1/32 failed"
	wait_until 5 ping_answered 127.0.0.1 ||
	    fail "127.0.0.1 not answered 5 s after ban del"
	ok "ban on 127.0.0.1 lifted: answered again"
}

# ---- the phone, calling the whole time --------------------------------------

ping_answered 127.0.0.1 || fail "127.0.0.1 not answered before any attack"
sipp_bg uac -sf "$SCEN/uac_auth_call.xml" -inf "$T/users.csv" \
    -au 300 -ap "$SECRET" -key rhost "$PHONE:$SIP_PORT" -s 5551000 \
    -i "$PHONE" -p "$UAC_PORT" -m "$N" -r 5 -l 20 \
    -timeout 120s -timeout_error -recv_timeout 10s "127.0.0.1:$SIP_PORT"
UAC_PID=$SIPP_PID
wait_until 10 sipp_stat_is uac 'SuccessfulCall(C)' -ge 5 ||
    fail "the phone's first calls did not succeed"
ok "the phone on $PHONE is calling"
T_ATTACK=$(date +%s)

# ---- svmap --------------------------------------------------------------

m=$(log_mark) h0=$(hits) d0=$(drops banned) b0=$(ev ban scanner)
run_bounded svmap 30 env HOME="$T" svmap -p "$SIP_PORT" \
    -P $((BASE + 75)) 127.0.0.1 || fail "svmap exited with status $?"
sv_none svmap
expect_num "svmap: ban/scanner events" $(( $(ev ban scanner) - b0 )) -eq 1
scanned svmap "$m" "$h0" "$d0"
lift

# ---- svwar --------------------------------------------------------------

m=$(log_mark) h0=$(hits) d0=$(drops banned) b0=$(ev ban scanner)
run_bounded svwar 30 env HOME="$T" svwar -m REGISTER -e 100-200,1000-1100 \
    -p "$SIP_PORT" -P $((BASE + 71)) -x 127.0.0.1 127.0.0.1 ||
    fail "svwar exited with status $?"
sv_none svwar
expect_num "svwar: ban/scanner events" $(( $(ev ban scanner) - b0 )) -eq 1
scanned svwar "$m" "$h0" "$d0"
lift

# ---- svcrack ------------------------------------------------------------

printf '%s\n' 1000 10001000 0000 1111 1234 12345 123456 password \
    secret admin qwerty letmein changeme voip sip >"$T/words.txt"
m=$(log_mark) h0=$(hits) d0=$(drops banned) b0=$(ev ban scanner)
w0=$(ev auth_failed wrong_secret)
run_bounded svcrack 40 env HOME="$T" svcrack -u 1000 -d "$T/words.txt" \
    -p "$SIP_PORT" -P $((BASE + 74)) -x 127.0.0.1 127.0.0.1 ||
    fail "svcrack exited with status $?"
sv_none svcrack
expect_num "svcrack: ban/scanner events" $(( $(ev ban scanner) - b0 )) -eq 1
scanned svcrack "$m" "$h0" "$d0"
! grep -qE 'event=auth_failed src=127\.0\.0\.1:' "$T/svcrack.log" ||
    fail "svcrack: a password guess from 127.0.0.1 reached the auth check"
expect_num "svcrack: wrong_secret events" \
    $(( $(ev auth_failed wrong_secret) - w0 )) -eq 0
lift

# ---- enumeration and brute force without a scanner signature ------------------

b0=$(ev ban enumeration)
k=$(silenced_at enum --bind 127.0.0.4 --users 1000-1100)
expect_num "enum from 127.0.0.4: silenced at request" "$k" -ge 10
expect_num "enum from 127.0.0.4: silenced at request" "$k" -le 13
expect_num "ban/enumeration events" $(( $(ev ban enumeration) - b0 )) -eq 1
grep -qE 'event=ban src=127\.0\.0\.4:[0-9]+ reason=enumeration: ' "$LOG" ||
    fail "no event=ban for 127.0.0.4 (enumeration) in the log"

b0=$(ev ban brute_force)
k=$(silenced_at crack --bind 127.0.0.5 --user 1000 --count 10)
expect_num "crack from 127.0.0.5: silenced at request" "$k" -eq 6
expect_num "ban/brute_force events" $(( $(ev ban brute_force) - b0 )) -eq 1
grep -qE 'event=ban src=127\.0\.0\.5:[0-9]+ reason=brute_force: ' "$LOG" ||
    fail "no event=ban for 127.0.0.5 (brute_force) in the log"

# ---- the phone ----------------------------------------------------------------

say "attacks took $(( $(date +%s) - T_ATTACK )) s"
! gone "$UAC_PID" ||
    fail "the phone stopped calling before the attacks were over (raise N)"
sipp_wait "$UAC_PID" 60 || fail "SIPp UAC exited with status $?"
expect_num "phone: successful calls" "$(sipp_stat uac 'SuccessfulCall(C)')" -eq "$N"
expect_num "phone: failed calls" "$(sipp_stat uac 'FailedCall(C)')" -eq 0
wait_uas uas "$N"
expect_num "PBX: failed calls" "$(sipp_stat uas 'FailedCall(C)')" -eq 0

ctl ban -c "$CONF" show "$PHONE" >"$T/show_phone.txt" ||
    fail "ban show $PHONE failed"
grep -q "no record" "$T/show_phone.txt" ||
    fail "the phone has a ban record: $(cat "$T/show_phone.txt")"
! grep -qE "event=(ban|trigger|strike) src=$PHONE:" "$LOG" ||
    fail "the guard acted on the phone: $(grep -E "event=(ban|trigger) src=$PHONE:" "$LOG" | head -3)"
ok "the phone $PHONE was never banned"

# What is banned now: the enumerator and the brute-forcer only.
ctl ban -c "$CONF" list --json >"$T/bans.json" || fail "ban list --json failed"
got=$("$PYTHON" -c '
import json, sys
print(" ".join(sorted("%s:%s" % (b["addr"], b["reason"])
    for b in json.load(open(sys.argv[1])))))' "$T/bans.json") ||
    fail "ban list --json: not JSON: $(cat "$T/bans.json")"
[ "$got" = "127.0.0.4/32:enumeration 127.0.0.5/32:brute_force" ] ||
    fail "active bans: '$got'"
ok "active bans: $got"

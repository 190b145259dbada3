#!/bin/bash
# wip_callerid -- the caller-ID rules (Orden TDF/149/2025 and after),
# black box: SIPp callers on 127.0.0.11..15 (one per peer), centinela
# (registrar mode "forward": every call goes to the upstream), and a SIPp
# PBX (uas_cid.xml, peer "pbx") on 127.0.0.1 as the upstream, which
# echoes what reached it (From, P-Asserted-Identity, Privacy).
#
#   127.0.0.11 es-carrier    carrier  national
#   127.0.0.12 intl-carrier  carrier  international
#   127.0.0.13 acme          customer access
#   127.0.0.14 telemark      customer access, commercial + in_scope_ley_10_2025
#   127.0.0.15 intl-roam     carrier  international, roaming
#
# One call (uac_cid.xml) or SMS (uac_cid_message.xml) per case: "pass"
# means a 200 from the PBX, a code means 608 Rejected with
# Reason: SIP;cause=608;text="<code>".
#
#  1. base (roaming = block, roaming_header = X-Roaming): R-03, R-04,
#     R-13, PAI before From, R-18, R-09 (and roaming by flag or
#     header), R-16, R-17, SMS R-14/R-15;
#  2. roaming = "mark": the PBX sees the PAI with verstat=No-TN-Validation;
#  3. roaming = "withhold": the PBX sees an anonymous From + Privacy: id;
#  4. ES-A5.1 in shadow mode: passes, logged as mode=shadow;
#  5. ES-A9-MOBILE from 2099 (R-28): telemark's mobile CLI falls through
#     to ES-R400-ONLY;
#  6. numbering data imported with centinelactl into the running daemon
#     R-05, R-06, R-07, R-12, R-19, R-15 aliases; then R-19 against a
#     fake Lista Robinson API (signed requests, cache, fail closed and
#     fail open when it is down);
#  7. reports (R-20): `centinelactl report blocks` (csv and json) counts
#     exactly the 608s seen, per rule, channel and trunk; the metrics
#     count the rejects per reason (checked before every restart); the
#     PBX saw exactly the cases answered 200 (no block leaked through).
#
# Case outcomes are soft checks (every case runs; the test fails at the
# end if one failed); broken infrastructure fails at once.
TEST_ID=42
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester curl python3

CTL=$(dirname "$BIN")/centinelactl
[ -x "$CTL" ] || fail "no centinelactl beside $BIN"
ctl() { "$CTL" "$@"; }

ES=127.0.0.11
INTL=127.0.0.12
ACME=127.0.0.13
TELE=127.0.0.14
ROAM=127.0.0.15
CALLEE=+34915550100	# an ordinary fixed number behind the PBX
CODES="ES-A4.1-EMPTY ES-A4.1-PLAN ES-A4.2 ES-A4.3 ES-A4.4 ES-A5.1
ES-A8-ALIAS ES-A8-PRO ES-A9-MOBILE ES-R400-ONLY ES-R400-DEST ROBINSON"

peer_of() {
	case $1 in
	"$ES") echo es-carrier ;;
	"$INTL") echo intl-carrier ;;
	"$ACME") echo acme ;;
	"$TELE") echo telemark ;;
	"$ROAM") echo intl-roam ;;
	*) echo "?" ;;
	esac
}

# bad MSG -- a failed check that does not stop the test (on_exit turns
# FAILED=1 into a failure).
bad() {
	echo "  [$TNAME] FAIL: $*"
	FAILED=1
}

# ---- configuration ------------------------------------------------------

UPSTREAMS="pbx udp 127.0.0.1 $UAS_PORT 1 1"
PEERS="peers = (
	{ name = \"pbx\"; cidr = \"127.0.0.1/32\"; role = \"pbx\"; },
	{ name = \"es-carrier\"; cidr = \"$ES/32\"; role = \"carrier\";
	  class = \"national\"; },
	{ name = \"intl-carrier\"; cidr = \"$INTL/32\"; role = \"carrier\";
	  class = \"international\"; },
	{ name = \"acme\"; cidr = \"$ACME/32\"; role = \"customer\";
	  class = \"access\"; },
	{ name = \"telemark\"; cidr = \"$TELE/32\"; role = \"customer\";
	  class = \"access\";
	  flags = [ \"commercial\", \"in_scope_ley_10_2025\" ]; },
	{ name = \"intl-roam\"; cidr = \"$ROAM/32\"; role = \"carrier\";
	  class = \"international\"; flags = [ \"roaming\" ]; } );"

# cid_conf NAME ROAMING [RULES] -- write $T/NAME.conf: callerid on,
# roaming action ROAMING, roaming header X-Roaming, counters flushed
# every second, RULES the body of callerid.rules. The registrar forwards
# (a trunking edge): a carrier's call to centinela's address goes to
# the upstream PBX, not to a user registered here.
cid_conf() {
	EXTRA="$PEERS
registrar = { mode = \"forward\"; };
callerid = { enabled = true; mode = \"enforce\"; answer = 608;
	reason_header = true; roaming = \"$2\";
	roaming_header = \"X-Roaming\"; report_flush = 1;
	rules = ( ${3:-} ); };"
	write_conf "$T/$1.conf"
}
CONF=$T/base.conf

# ---- the cases ------------------------------------------------------------

declare -A TALLY	# "rule,channel,trunk" -> blocks seen (the report)
declare -A MTALLY	# rule -> blocks seen by this daemon (the metrics)
NCASE=0
PASSED=""		# the cases answered 200 (by the PBX)
NEEDS=""

# cid_case KIND WANT SRC FROM CALLED [HDR] -- one call (KIND call) or SMS
# (KIND sms) from SRC with From user FROM to CALLED, with the extra header
# line HDR; WANT is "pass" or the reason code of a 608. Sets RES_STATUS,
# RES_TEXT and RES_SEEN (what the PBX received), counts a 608 in the
# tallies, and checks the outcome (soft).
cid_case() {
	local kind=$1 want=$2 src=$3 from=$4 called=$5
	local hdr=${6:-"X-Cid-Extra: none"} sf=uac_cid n line what peer
	NCASE=$((NCASE + 1))
	n=case$NCASE
	[ "$kind" = sms ] && sf=uac_cid_message
	peer=$(peer_of "$src")
	what="#$NCASE $kind $peer from '$from' to '$called'"
	[ "$hdr" != "X-Cid-Extra: none" ] && what="$what + '$hdr'"
	sipp_run "$n" -sf "$SCEN/$sf.xml" -key rhost "127.0.0.1:$SIP_PORT" \
	    -key from "$from" -key hdr "$hdr" -key case "$NCASE" \
	    -s "$called" -i "$src" -p "$UAC_PORT" -m 1 \
	    -trace_logs -log_file "$T/$n.log" "127.0.0.1:$SIP_PORT"
	line=$(grep -m 1 '^RESULT ' "$T/$n.log" 2>/dev/null)
	RES_STATUS=$(echo "$line" | awk '{ print $2 }')
	RES_TEXT=$(echo "$line" | awk '{ print $3 }')
	RES_SEEN=$(echo "$line" | cut -d' ' -f4-)
	if [ -z "$line" ]; then
		RES_STATUS=none
		bad "$what: no result from SIPp$NEEDS: $(grep -h -m 3 -E 'SIP/2.0 [0-9]+|rror' \
		    "$T/$n.err" "$T/$n.out" 2>/dev/null | tr '\n' ' ')"
		return
	fi
	case $RES_STATUS in 200 | 202) PASSED="$PASSED $NCASE" ;; esac
	if [ "$RES_STATUS" = 608 ] && [ -n "$RES_TEXT" ]; then
		TALLY["$RES_TEXT,$kind,$peer"]=$((${TALLY["$RES_TEXT,$kind,$peer"]:-0} + 1))
		MTALLY[$RES_TEXT]=$((${MTALLY[$RES_TEXT]:-0} + 1))
	fi
	if [ "$want" = pass ]; then
		case $RES_STATUS in
		200 | 202) ok "$what: passed$NEEDS" ;;
		*) bad "$what: want pass, got $RES_STATUS ${RES_TEXT:--}$NEEDS" ;;
		esac
	elif [ "$RES_STATUS" = 608 ] && [ "$RES_TEXT" = "$want" ]; then
		ok "$what: 608 $want$NEEDS"
	else
		bad "$what: want 608 $want, got $RES_STATUS ${RES_TEXT:--}$NEEDS"
	fi
}
call() { cid_case call "$@"; }
sms() { cid_case sms "$@"; }

# seen_has WHAT REGEX -- the last case reached the PBX with REGEX in
# what it saw ("from=... pai=... privacy=...").
seen_has() {
	if printf '%s\n' "$RES_SEEN" | grep -qE -- "$2"; then
		ok "#$NCASE the PBX saw $1"
	else
		bad "#$NCASE the PBX did not see $1: '$RES_SEEN'"
	fi
}

# check_metrics -- this daemon's centinela_rejects_total per caller-ID
# reason equals the 608s seen since it started.
check_metrics() {
	local c v want
	metrics >"$T/metrics.txt" || bad "no metrics page"
	for c in $CODES; do
		v=$(awk -v k="centinela_rejects_total{reason=\"$c\"}" \
		    '$1 == k { print $2; exit }' "$T/metrics.txt")
		v=${v%%.*}
		want=${MTALLY[$c]:-0}
		if [ "${v:-0}" = "$want" ]; then
			[ "$want" = 0 ] || ok "metrics: rejects{reason=\"$c\"} = $want"
		else
			bad "metrics: rejects{reason=\"$c\"} = ${v:-absent}, want $want"
		fi
	done
}

# restart NAME -- check the metrics of the running daemon, stop it and
# start it on $T/NAME.conf with its log in $T/centinela-NAME.log.
restart() {
	if [ -n "$CENTINELA_PID" ]; then
		check_metrics
		stop_centinela || fail "centinela did not stop cleanly"
	fi
	MTALLY=()
	CONF=$T/$1.conf
	LOG=$T/centinela-$1.log
	start_centinela "$CONF"
	wait_upstream_healthy pbx
}

cid_conf base block
cid_conf mark mark
cid_conf withhold withhold
cid_conf shadow block '{ code = "ES-A5.1"; mode = "shadow"; }'
cid_conf dates block '{ code = "ES-A9-MOBILE"; from = "2099-01-01"; }'

start_uas uas "$SCEN/uas_cid.xml" "$UAS_PORT" \
    -key contact "127.0.0.1:$UAS_PORT" -trace_logs -log_file "$T/uas.log"
UAS_PID=$SIPP_PID
restart base

# ---- 1. base rules ----------------------------------------------------------

say "national peer (es-carrier)"
call ES-A4.1-EMPTY "$ES" sipp "$CALLEE"
call ES-A4.1-PLAN "$ES" +34312345678 "$CALLEE"
call ES-A4.1-PLAN "$ES" +3491234567 "$CALLEE"
call pass "$ES" +34911234567 "$CALLEE"
call pass "$ES" +34900123456 "$CALLEE"		# R-13
call pass "$ES" anonymous "$CALLEE" "P-Asserted-Identity: <tel:+34911234567>"
call ES-R400-DEST "$ES" +34911234567 +34400123456
call pass "$ES" +34612345678 "$CALLEE"		# R-09 is not for national

say "international peer (intl-carrier)"
call ES-A5.1 "$INTL" +34612345678 "$CALLEE"
call ES-A5.1 "$INTL" +34911234567 "$CALLEE"
call pass "$INTL" +33612345678 "$CALLEE"
call pass "$INTL" +34612345678 "$CALLEE" "X-Roaming: yes"
call ES-A5.1 "$INTL" +34911234567 "$CALLEE" "X-Roaming: yes"

say "international roaming peer (intl-roam)"
call pass "$ROAM" +34612345678 "$CALLEE"
call ES-A5.1 "$ROAM" +34911234567 "$CALLEE"	# fixed numbers cannot roam

say "customers: acme (access), telemark (commercial, in scope of Ley 10/2025)"
call pass "$ACME" +34612345678 "$CALLEE"
call ES-A9-MOBILE "$TELE" +34612345678 "$CALLEE"
call ES-R400-ONLY "$TELE" +34911234567 "$CALLEE"
call pass "$TELE" +34400123456 "$CALLEE"

say "SMS (SIP MESSAGE)"
sms ES-A5.1 "$INTL" +34612345678 "$CALLEE"
sms pass "$ES" +34911234567 "$CALLEE"
sms ES-A8-ALIAS "$ES" DulceFlor "$CALLEE"	# no alias register loaded
NEEDS=""

# ---- 2. R-10 mark -----------------------------------------------------------

restart mark
say "roaming = mark"
call pass "$INTL" +34612345678 "$CALLEE"
seen_has "the PAI marked unverified" \
    'pai=<tel:\+34612345678;verstat=No-TN-Validation>'
call ES-A5.1 "$INTL" +34911234567 "$CALLEE"

# ---- 3. R-10 withhold ---------------------------------------------------------

restart withhold
say "roaming = withhold"
call pass "$INTL" +34612345678 "$CALLEE"
seen_has "an anonymous From with the caller's tag" \
    'from="Anonymous" <sip:anonymous@anonymous\.invalid>;tag=[0-9]+SIPpTag00'
seen_has "Privacy: id" 'privacy=id$'
! printf '%s\n' "$RES_SEEN" | grep -q 612345678 ||
    bad "#$NCASE the withheld number still reached the PBX: $RES_SEEN"

# ---- 4. shadow ------------------------------------------------------------------

restart shadow
say "ES-A5.1 in shadow mode"
call pass "$INTL" +34612345678 "$CALLEE"
if wait_for_log 'ES-A5\.1.*mode=shadow|mode=shadow.*ES-A5\.1' 3; then
	ok "shadow trigger logged: $(grep -m 1 -E 'ES-A5\.1.*mode=shadow|mode=shadow.*ES-A5\.1' "$LOG")"
else
	bad "no ES-A5.1 mode=shadow line in $LOG"
fi

# ---- 5. rule dates (R-28) ----------------------------------------------------------

restart dates
say "ES-A9-MOBILE from 2099-01-01"
call ES-R400-ONLY "$TELE" +34612345678 "$CALLEE"

# ---- 6. numbering data -------------------------------------------

restart base
say "numbering data imported into the running daemon$NEEDS"

# imported CMD... -- a centinelactl import that must succeed.
imported() {
	if ctl "$@" >"$T/ctl.out" 2>"$T/ctl.err" </dev/null; then
		ok "centinelactl $*"
	else
		bad "centinelactl $* failed (status $?): $(head -n 3 "$T/ctl.err")$NEEDS"
	fi
}
# data_settle -- the daemon polls the store every 200 ms.
data_settle() { sleep 1; }

# A CNMC register (windows-1252, #-separated, 6 fields): 91123xxxx
# and 91100xxxx (our own block) assigned, 4001xxxxx assigned; no 82216.
printf '%s\r\n' \
    '911#23#Madrid#Asignado#OPERADOR X, S.A.#01/01/2010' \
    '911#00#Madrid#Asignado#NOSOTROS TELECOMUNICACIÓN, S.L.#01/01/2012' \
    '822#24#Santa Cruz de Tenerife#Asignado#AIRE NETWORKS#09/07/2013' \
    '400#1##Asignado#OPERADOR COMERCIAL, S.A.#17/04/2026' |
    iconv -f UTF-8 -t WINDOWS-1252 >"$T/cnmc.txt" || fail "iconv failed"
imported numbering -c "$CONF" import-cnmc "$T/cnmc.txt"
data_settle
call ES-A4.2 "$ES" +34822160000 "$CALLEE"
call pass "$ES" +34911234567 "$CALLEE"

# Own inventory: the block 91100, numbers 9110001xx given to customers.
printf '%s\n' 'block,3491100' 'service,349110001' >"$T/own.csv"
imported numbering -c "$CONF" own import "$T/own.csv"
data_settle
call ES-A4.3 "$ACME" +34911000500 "$CALLEE"
call pass "$ACME" +34911000150 "$CALLEE"
call ES-A4.4 "$ES" +34911000123 "$CALLEE"

# Exceptions (R-12): one valid today, one expired.
imported numbering -c "$CONF" exception add 34911000123 --trunk es-carrier \
    --from "$(date -u -d '-1 day' +%F)" --to "$(date -u -d '+30 days' +%F)" \
    --ref "BOE-TEST-1" --rules ES-A4.4,ES-A5.1
imported numbering -c "$CONF" exception add 34911000124 --trunk es-carrier \
    --from 2020-01-01 --to 2020-12-31 --ref "BOE-TEST-2" --rules ES-A4.4
data_settle
call pass "$ES" +34911000123 "$CALLEE"
call ES-A4.4 "$ES" +34911000124 "$CALLEE"

# Lista Robinson (R-19): SHA-256("04" + "0034600000001"), calls channel.
printf '%s' 040034600000001 | sha256sum | cut -d' ' -f1 >"$T/robinson.txt"
imported robinson -c "$CONF" import "$T/robinson.txt"
data_settle
call ROBINSON "$TELE" +34400123456 +34600000001
call pass "$TELE" +34400123456 +34600000002

# The alias register (R-15): DulceFlor from the provider es-carrier.
printf '%s\n' 'DulceFlor;es-carrier' >"$T/alias.txt"
imported alias -c "$CONF" import "$T/alias.txt"
data_settle
sms pass "$ES" DulceFlor "$CALLEE"
sms ES-A8-ALIAS "$ES" dulceflor "$CALLEE"
sms ES-A8-PRO "$ACME" DulceFlor "$CALLEE"
NEEDS=""

# ---- 6b. the Lista Robinson API (R-19) ------------------------------------------

# A fake Adigital API (tests/tools/robinson_httpd.py) on 127.0.0.1 that
# checks the AWS SigV4 signature of every POST; +34600000003 is listed.
robhash() { printf '04%s' "$1" | sha256sum | cut -d' ' -f1; }
export CENTINELA_ROBINSON_KEY=AKIDTEST CENTINELA_ROBINSON_SECRET=testsecret
start_robapi() {
	# The old port file goes first: the background job truncates it only
	# once it runs, and a restart must not read the previous run's port
	# before the new server listens.
	rm -f "$T/robapi.port"
	"$PYTHON" "$TOP/tests/tools/robinson_httpd.py" --port "${1:-0}" \
	    --key AKIDTEST --secret testsecret "$(robhash 0034600000003)" \
	    >"$T/robapi.port" 2>"$T/robapi.err" </dev/null &
	ROBAPI_PID=$!
	track "$ROBAPI_PID"
	wait_until 10 test -s "$T/robapi.port" ||
	    fail "robinson_httpd.py did not start: $(head -n 3 "$T/robapi.err")"
	ROBPORT=$(head -n 1 "$T/robapi.port")
}
robapi() { curl -s --max-time 5 "http://127.0.0.1:$ROBPORT$1" | tr -d '\r\n'; }
start_robapi
# rob_conf NAME FAIL -- the base configuration asking that API.
rob_conf() {
	EXTRA="$PEERS
registrar = { mode = \"forward\"; };
callerid = { enabled = true; mode = \"enforce\"; answer = 608;
	reason_header = true; roaming = \"block\"; report_flush = 1;
	robinson = { url = \"http://127.0.0.1:$ROBPORT/\"; timeout = 500;
		fail = \"$2\"; cache = \"1h\"; batch = 10; }; };"
	write_conf "$T/$1.conf"
}
rob_conf robapi closed
rob_conf robopen open
restart robapi
say "Lista Robinson API at 127.0.0.1:$ROBPORT (fail closed)"
call ROBINSON "$TELE" +34400123456 +34600000003
call pass "$TELE" +34400123456 +34600000004
n0=$(robapi /count)
call pass "$TELE" +34400123456 +34600000004
if [ -n "$n0" ] && [ "$(robapi /count)" = "$n0" ]; then
	ok "the second call to +34600000004 was answered from the cache ($n0 requests)"
else
	bad "the API was asked again for a cached number ($n0 -> $(robapi /count))"
fi
case $(robapi /auth) in
AWS4-HMAC-SHA256\ Credential=AKIDTEST/*/eu-west-1/execute-api/aws4_request*)
	ok "requests are signed (AWS SigV4, eu-west-1/execute-api)" ;;
*) bad "the API saw Authorization '$(robapi /auth)'" ;;
esac
call pass "$ACME" +34911000150 +34600000003	# not a commercial peer
stop_pid "$ROBAPI_PID"
call ROBINSON "$TELE" +34400123456 +34600000005	# API down: fail closed
call pass "$TELE" +34400123456 +34600000004	# still cached
restart robopen
say "Lista Robinson API down, fail open"
call pass "$TELE" +34400123456 +34600000005
start_robapi "$ROBPORT"
call ROBINSON "$TELE" +34400123456 +34600000003
unset CENTINELA_ROBINSON_KEY CENTINELA_ROBINSON_SECRET

# ---- 7. reports (R-20) --------------------------------------------------------------

check_metrics
say "blocks seen: $(for k in "${!TALLY[@]}"; do echo "$k=${TALLY[$k]}"; done | sort | tr '\n' ' ')"
for k in "${!TALLY[@]}"; do
	echo "$k,${TALLY[$k]}"
done | sort >"$T/want.txt"
total=0
for k in "${!TALLY[@]}"; do total=$((total + TALLY[$k])); done
from=$(date -u -d '-1 day' +%F)
to=$(date -u -d '+1 day' +%F)

# report_rows FORMAT -- `report blocks --format FORMAT` (csv or json) as
# sorted "rule,channel,trunk,count" lines in $T/got-FORMAT.txt (the
# counts of every period summed; for json also the line "total,N" from
# totals.blocks); true when they equal $T/want-FORMAT.txt.
report_rows() {
	local fmt=$1
	ctl report blocks -c "$CONF" --from "$from" --to "$to" \
	    --format "$fmt" >"$T/report.$fmt" 2>"$T/report-$fmt.err" ||
	    return 1
	"$PYTHON" - "$fmt" "$T/report.$fmt" >"$T/got-$fmt.txt" <<'EOF' || return 1
import collections, csv, json, sys
fmt, path = sys.argv[1], sys.argv[2]
n = collections.Counter()
if fmt == "csv":
    rows = list(csv.DictReader(open(path, newline="")))
else:
    doc = json.load(open(path))
    rows = doc["rows"]
for row in rows:
    n[(row["rule"], row["channel"], row["trunk"])] += int(row["blocks"])
for k in sorted(n):
    print("%s,%s,%s,%d" % (k + (n[k],)))
if fmt == "json":
    print("total,%d" % doc["totals"]["blocks"])
EOF
	sort -o "$T/got-$fmt.txt" "$T/got-$fmt.txt"
	cmp -s "$T/want-$fmt.txt" "$T/got-$fmt.txt"
}
{ cat "$T/want.txt"; echo "total,$total"; } | sort >"$T/want-json.txt"
cp "$T/want.txt" "$T/want-csv.txt"
for fmt in csv json; do
	if wait_until 5 report_rows "$fmt"; then
		ok "report blocks --format $fmt: exactly the $total blocks seen" \
		    "($(wc -l <"$T/want.txt") rule/channel/trunk rows)"
	else
		bad "report blocks --format $fmt differs from the blocks seen" \
		    "(< seen, > report): $(diff "$T/want-$fmt.txt" \
		    "$T/got-$fmt.txt" 2>&1 | grep '^[<>]' | tr '\n' ' ')" \
		    "$(head -n 3 "$T/report-$fmt.err" 2>/dev/null)"
	fi
done

# ---- the PBX's side ----------------------------------------------------------------

# Every case answered 200 reached the PBX once, and no other did (SIPp
# writes its log when it stops).
stop_pid "$UAS_PID"
sed -n 's/^SEEN case=\([0-9]*\) .*/\1/p' "$T/uas.log" | sort -n >"$T/uas-cases.txt"
echo "$PASSED" | tr ' ' '\n' | grep . | sort -n >"$T/passed-cases.txt"
if [ -s "$T/passed-cases.txt" ] && cmp -s "$T/passed-cases.txt" "$T/uas-cases.txt"; then
	ok "the PBX saw exactly the $(wc -l <"$T/uas-cases.txt") cases answered 200"
else
	bad "the PBX saw cases $(tr '\n' ' ' <"$T/uas-cases.txt"), answered 200 were" \
	    "$(tr '\n' ' ' <"$T/passed-cases.txt")"
fi
say "$NCASE cases"

#!/bin/bash
# wip_stir -- STIR/SHAKEN (R-21 .. R-24), black box: SIPp callers on
# 127.0.0.12 (peer "intl", carrier, class international: verified) and
# 127.0.0.13 (peer "acme", customer, class access: signed), centinela
# (registrar mode "forward"), and a SIPp PBX (uas_stir.xml, peer "pbx")
# on 127.0.0.1 as the upstream, which echoes the Identity, Date,
# P-Asserted-Identity and Reason headers that reached it.
#
# The PKI is tests/tools/stir_certs.sh's (STI-CA root + intermediate, a
# leaf "SHAKEN 1001" with a TNAuthList, CRLs, a web CA); the leaf chain
# is served by tests/tools/stir_httpd.py over HTTPS on 127.0.0.1 at a
# free port (the only x5u port allowed; 127.0.0.0/8 allowed to fetch).
# Identity headers are made by secsipidx (Debian package), not by
# centinela, and centinela's own are checked with secsipidx.
#
#  1. signing: acme's call reaches the PBX with an Identity header that
#     secsipidx verifies against the leaf (and its chain), canonical
#     JSON, attest B (no own inventory), orig/dest as called, fresh iat,
#     info = x5u, and a fresh Date header;
#  2. verification: a secsipidx token -> 200, the PBX sees
#     verstat=TN-Validation-Passed; the first call waits for the fetch
#     (one HTTPS request), a second one is served from the cache (none);
#  3. required = true, failure = "reject": no Identity 428, tampered
#     signature 438, iat 10 minutes old 403 Stale Date, orig.tn of
#     another number 438, x5u on a port not allowed 436; each logged
#     with its detail and counted in centinela_rejects_total;
#  4. required = false, failure = "continue": the tampered token passes
#     marked TN-Validation-Failed with "Reason: STIR;cause=438"; no
#     Identity passes marked No-TN-Validation;
#  5. France (R-26), calls to +33: a French mobile number from abroad
#     without a verified Identity reaches the PBX withheld (FR-MASK),
#     with one it keeps its number; a French number from the access
#     peer is signed and passes; from the national peer 127.0.0.11
#     ("es", neither verified nor signed) it is 608 FR-MAN without an
#     Identity header and passes carrying one.
#
# Case outcomes are soft checks (every case runs; the test fails at the
# end if one failed); broken infrastructure fails at once.
TEST_ID=43
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester curl python3 openssl secsipidx

ES=127.0.0.11
INTL=127.0.0.12
ACME=127.0.0.13
INTL_CLI=+33612345678	# passes the caller-ID rules from abroad
ACME_CLI=+34911234567	# a Spanish fixed number, not in an own inventory
CALLEE=+34600000001
FR_CALLEE=+33145678901	# a French fixed number (R-26)

# bad MSG -- a failed check that does not stop the test.
bad() {
	echo "  [$TNAME] FAIL: $*"
	FAILED=1
}

# check WHAT CMD... -- ok or bad.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

# ---- the PKI and the x5u server ----------------------------------------------

PKI=$T/pki
mkdir -p "$PKI"
sh "$TOP/tests/tools/stir_certs.sh" "$PKI" >"$T/pki.out" 2>&1 ||
    { cat "$T/pki.out"; fail "stir_certs.sh failed"; }

"$PYTHON" "$TOP/tests/tools/stir_httpd.py" "$PKI/web.pem" "$PKI/web.key" \
    "$PKI/www" >"$T/httpd.port" 2>"$T/httpd.err" </dev/null &
track $!
wait_until 10 test -s "$T/httpd.port" || fail "stir_httpd.py did not start"
HPORT=$(head -n 1 "$T/httpd.port")
X5U=https://127.0.0.1:$HPORT/f/good.pem
X5U_BADPORT=https://127.0.0.1:8443/f/good.pem	# a default port, not listed

# httpd PATH -- GET from the x5u server, trusting the web CA.
httpd() {
	curl -s --max-time 5 --cacert "$PKI/web-ca.pem" \
	    "https://127.0.0.1:$HPORT$1"
}
httpd "/f/good.pem" | cmp -s - "$PKI/www/good.pem" ||
    fail "stir_httpd.py does not serve $X5U"
fetches() { httpd /count | tr -d '\r\n'; }
ok "x5u server on port $HPORT serves the leaf chain"

# ---- tokens (secsipidx) ---------------------------------------------------------

# full ORIG DEST X5U -- an Identity header value signed now by secsipidx
# (full form, attest A, fresh iat).
full() {
	secsipidx -sign-full -k "$PKI/leaf.key" -attest A -orig-tn "$1" \
	    -dest-tn "$2" -x5u "$3" 2>>"$T/secsipidx.err"
}

# aged ORIG DEST X5U AGE -- the same with iat AGE seconds ago (secsipidx
# -sign signs the given JSON: sorted keys, no whitespace).
aged() {
	local iat=$(($(date +%s) - $4)) jws
	jws=$(secsipidx -sign -k "$PKI/leaf.key" \
	    -header "{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":\"$3\"}" \
	    -payload "{\"attest\":\"A\",\"dest\":{\"tn\":[\"$2\"]},\"iat\":$iat,\"orig\":{\"tn\":\"$1\"},\"origid\":\"$(cat /proc/sys/kernel/random/uuid)\"}" \
	    2>>"$T/secsipidx.err") || return 1
	echo "$jws;info=<$3>;alg=ES256;ppt=shaken"
}

# sscheck IDENTITY -- secsipidx verifies IDENTITY (iat at most 60 s old)
# with the leaf, checking its time validity and its chain to the test
# STI-CA root (-cert-verify 1|4|8).
sscheck() {
	secsipidx -check -expire 60 -identity "$1" -p "$PKI/good.crt" \
	    -ca-file "$PKI/root.pem" -ca-inter "$PKI/inter.pem" \
	    -cert-verify 13 >"$T/sscheck.out" 2>&1
}

# tamper IDENTITY -- the same with one signature character changed.
tamper() {
	"$PYTHON" - "$1" <<'EOF'
import sys
v = sys.argv[1]
jws, rest = v.split(";", 1)
h, p, s = jws.split(".")
i = 10
s = s[:i] + ("B" if s[i] != "B" else "C") + s[i + 1:]
print("%s.%s.%s;%s" % (h, p, s, rest))
EOF
}

ID_GOOD1=$(full "${INTL_CLI#+}" "${CALLEE#+}" "$X5U")
ID_GOOD2=$(full "${INTL_CLI#+}" "${CALLEE#+}" "$X5U")
ID_TAMPERED=$(tamper "$ID_GOOD1")
ID_STALE=$(aged "${INTL_CLI#+}" "${CALLEE#+}" "$X5U" 600)
ID_OTHER=$(full 33699999999 "${CALLEE#+}" "$X5U")
ID_BADPORT=$(full "${INTL_CLI#+}" "${CALLEE#+}" "$X5U_BADPORT")
for v in ID_GOOD1 ID_GOOD2 ID_TAMPERED ID_STALE ID_OTHER ID_BADPORT; do
	case ${!v} in
	eyJ*";info=<https://"*">;alg=ES256;ppt=shaken") ;;
	*) cat "$T/secsipidx.err"; fail "secsipidx made no token for $v: '${!v}'" ;;
	esac
done
sscheck "$ID_GOOD1" || fail "secsipidx rejects its own token: $(cat "$T/sscheck.out")"
! sscheck "$ID_TAMPERED" || fail "secsipidx accepts the tampered token"
ok "tokens signed with secsipidx (the tampered one fails secsipidx's check)"

# ---- configuration ----------------------------------------------------------------

UPSTREAMS="pbx udp 127.0.0.1 $UAS_PORT 1 1"
PEERS="peers = (
	{ name = \"pbx\"; cidr = \"127.0.0.1/32\"; role = \"pbx\"; },
	{ name = \"intl\"; cidr = \"$INTL/32\"; role = \"carrier\";
	  class = \"international\"; },
	{ name = \"acme\"; cidr = \"$ACME/32\"; role = \"customer\";
	  class = \"access\"; },
	{ name = \"es\"; cidr = \"$ES/32\"; role = \"carrier\";
	  class = \"national\"; } );"

# stir_conf NAME REQUIRED FAILURE -- $T/NAME.conf: verification on the
# international class, signing on access.
stir_conf() {
	EXTRA="$PEERS
registrar = { mode = \"forward\"; };
callerid = { enabled = true; };
stir = {
	verify = { classes = [ \"international\" ]; required = $2;
		failure = \"$3\"; roots = \"$PKI/root.pem\";
		crl = [ \"$PKI/crl.pem\" ]; https_ca = \"$PKI/web-ca.pem\";
		freshness = 60; ports = [ $HPORT ];
		fetch_allow = [ \"127.0.0.0/8\" ]; fetch_timeout = 3000; };
	sign = { classes = [ \"access\" ]; key = \"$PKI/leaf.key\";
		x5u = \"$X5U\"; };
};"
	write_conf "$T/$1.conf"
}
stir_conf reject true reject
stir_conf continue false continue

# ---- the cases ----------------------------------------------------------------------

NCASE=0
PASSED=""	# the cases answered 200 (by the PBX)

# stir_case SRC FROM [IDENTITY] -- one call from SRC with From user FROM
# to $CALLEE, with an Identity header when given. Sets RES_STATUS,
# RES_PHRASE, RES_REASON (the Reason of a failure) and, for a 200, what
# the PBX saw: SEEN_PAI, SEEN_REASON, SEEN_DATE, SEEN_IDENTITY.
stir_case() {
	local src=$1 from=$2 hdr="X-Stir-Extra: none" n l
	[ -n "${3:-}" ] && hdr="Identity: $3"
	NCASE=$((NCASE + 1))
	n=case$NCASE
	sipp_run "$n" -sf "$SCEN/uac_stir.xml" -key rhost "127.0.0.1:$SIP_PORT" \
	    -key from "$from" -key hdr "$hdr" -key case "$NCASE" \
	    -s "${4:-$CALLEE}" -i "$src" -p "$UAC_PORT" -m 1 \
	    -trace_logs -log_file "$T/$n.log" "127.0.0.1:$SIP_PORT"
	l=$T/$n.log
	field() { sed -n "s/^$1 //p" "$l" 2>/dev/null | head -n 1; }
	RES_STATUS=$(field RESULT | awk '{ print $1 }')
	RES_PHRASE=$(field RESULT | cut -s -d' ' -f2-)
	RES_REASON=$(field REASON | sed 's/^ *v=//')
	SEEN_PAI=$(field SEEN_PAI | sed 's/^ *v=//')
	SEEN_REASON=$(field SEEN_REASON | sed 's/^ *v=//')
	SEEN_DATE=$(field SEEN_DATE | sed 's/^ *v=//')
	SEEN_IDENTITY=$(field SEEN_IDENTITY | sed 's/^ *v=//')
	SEEN_FROM=$(field SEEN_FROM | sed 's/^ *v=//')
	if [ -z "$RES_STATUS" ]; then
		RES_STATUS=none
		bad "#$NCASE: no result from SIPp: $(grep -h -m 3 -E 'SIP/2.0 [0-9]+|rror' \
		    "$T/$n.err" "$T/$n.out" 2>/dev/null | tr '\n' ' ')"
	fi
	if [ "$RES_STATUS" = 200 ]; then PASSED="$PASSED $NCASE"; fi
}

# expect_status WHAT CODE [PHRASE]
expect_status() {
	if [ "$RES_STATUS" = "$2" ] &&
	    { [ -z "${3:-}" ] || [ "$RES_PHRASE" = "$3" ]; }; then
		ok "#$NCASE $1: $RES_STATUS $RES_PHRASE${RES_REASON:+ (Reason: $RES_REASON)}"
	else
		bad "#$NCASE $1: want $2 ${3:-}, got $RES_STATUS $RES_PHRASE"
	fi
}

# logged REGEX -- the daemon logged REGEX since line $MARK.
logged() { log_since "$MARK" | grep -qE -- "$1"; }

# expect_log WHAT REGEX -- the daemon logged REGEX since the last case began.
expect_log() {
	if wait_until 3 logged "$2"; then
		ok "#$NCASE $1 logged: $(log_since "$MARK" | grep -m 1 -oE -- "$2")"
	else
		bad "#$NCASE $1: no line matching '$2' in $LOG"
	fi
}

# seen WHAT VAR REGEX -- the PBX saw REGEX in VAR (SEEN_PAI, ...).
seen() {
	if printf '%s\n' "${!2}" | grep -qE -- "$3"; then
		ok "#$NCASE the PBX saw $1"
	else
		bad "#$NCASE the PBX did not see $1: $2='${!2}'"
	fi
}

# restart NAME -- the daemon on $T/NAME.conf, its log $T/centinela-NAME.log.
restart() {
	if [ -n "$CENTINELA_PID" ]; then
		stop_centinela || fail "centinela did not stop cleanly"
	fi
	LOG=$T/centinela-$1.log
	start_centinela "$T/$1.conf"
	wait_upstream_healthy pbx
	grep -q "stir: verifying and signing" "$LOG" ||
	    fail "centinela did not log 'stir: verifying and signing'"
}

start_uas uas "$SCEN/uas_stir.xml" "$UAS_PORT" \
    -key contact "127.0.0.1:$UAS_PORT" -trace_logs -log_file "$T/uas.log"
UAS_PID=$SIPP_PID
restart reject

# ---- 1. signing -----------------------------------------------------------------------

say "1. signing (acme, class access)"
MARK=$(log_mark)
stir_case "$ACME" "$ACME_CLI"
expect_status "acme's call" 200 OK
SIGNED=$SEEN_IDENTITY
case $SIGNED in
eyJ*";info=<$X5U>;alg=ES256;ppt=shaken")
	ok "#$NCASE the PBX saw an Identity header with info=<$X5U>;alg=ES256;ppt=shaken" ;;
*) bad "#$NCASE the PBX saw no Identity header of ours: '$SIGNED'" ;;
esac
if sscheck "$SIGNED"; then
	ok "#$NCASE secsipidx verifies centinela's token with the leaf (chain checked)"
else
	bad "#$NCASE secsipidx rejects centinela's token: $(tr '\n' ' ' <"$T/sscheck.out")"
fi
# The claims: canonical JSON, attest B, orig/dest, fresh iat, a UUID
# origid; and a fresh IMF-fixdate Date.
if "$PYTHON" - "$SIGNED" "$X5U" "${ACME_CLI#+}" "${CALLEE#+}" "$SEEN_DATE" \
    >"$T/claims.txt" 2>&1 <<'EOF'; then
import base64, email.utils, json, re, sys, time
ident, x5u, orig, dest, date = sys.argv[1:6]
jws = ident.split(";", 1)[0]
h64, p64, s64 = jws.split(".")
def raw(x):
    return base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
errs = []
hraw, praw = raw(h64), raw(p64)
h, p = json.loads(hraw), json.loads(praw)
canon = lambda o: json.dumps(o, sort_keys=True, separators=(",", ":")).encode()
if hraw != canon(h) or praw != canon(p):
    errs.append("JSON not canonical")
if h != {"alg": "ES256", "ppt": "shaken", "typ": "passport", "x5u": x5u}:
    errs.append("header %r" % h)
if len(raw(s64)) != 64:
    errs.append("signature of %d bytes" % len(raw(s64)))
if p.get("attest") != "B":
    errs.append("attest %r, want B" % p.get("attest"))
if p.get("orig") != {"tn": orig}:
    errs.append("orig %r" % p.get("orig"))
if p.get("dest") != {"tn": [dest]}:
    errs.append("dest %r" % p.get("dest"))
now = time.time()
if not isinstance(p.get("iat"), int) or abs(p["iat"] - now) > 60:
    errs.append("iat %r, now %d" % (p.get("iat"), now))
if not re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                    str(p.get("origid"))):
    errs.append("origid %r" % p.get("origid"))
if set(p) != {"attest", "dest", "iat", "orig", "origid"}:
    errs.append("claims %r" % sorted(p))
if not re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", date):
    errs.append("Date %r is no IMF-fixdate" % date)
else:
    d = email.utils.parsedate_to_datetime(date).timestamp()
    if abs(d - now) > 60 or abs(d - p.get("iat", 0)) > 2:
        errs.append("Date %r, iat %r, now %d" % (date, p.get("iat"), now))
print("; ".join(errs) if errs else
      "attest=%s orig=%s dest=%s iat=%d date=%s" %
      (p["attest"], p["orig"]["tn"], p["dest"]["tn"], p["iat"], date))
sys.exit(1 if errs else 0)
EOF
	ok "#$NCASE PASSporT claims: $(cat "$T/claims.txt")"
else
	bad "#$NCASE PASSporT claims: $(tr '\n' ' ' <"$T/claims.txt")"
fi
seen "no verstat (a signed call is not verified)" SEEN_PAI '^$|^[^v]*$'

# ---- 2. verification ------------------------------------------------------------------

say "2. verification (intl, class international; x5u $X5U)"
F0=$(fetches)
MARK=$(log_mark)
stir_case "$INTL" "$INTL_CLI" "$ID_GOOD1"
expect_status "secsipidx's token, certificate not cached" 200 OK
seen "verstat=TN-Validation-Passed" SEEN_PAI \
    "^<tel:\\$INTL_CLI;verstat=TN-Validation-Passed>$"
seen "no Reason" SEEN_REASON '^$'
if [ "$SEEN_IDENTITY" = "$ID_GOOD1" ]; then
	ok "#$NCASE the PBX saw the Identity header as sent"
else
	bad "#$NCASE the PBX saw Identity '$SEEN_IDENTITY'"
fi
F1=$(fetches)
expect_num "x5u fetches for the first call" "$((F1 - F0))" -eq 1
httpd /log | grep -qx "/f/good.pem" ||
    bad "the x5u server's log lacks /f/good.pem: $(httpd /log | tr '\n' ' ')"

stir_case "$INTL" "$INTL_CLI" "$ID_GOOD2"
expect_status "a second token, certificate cached" 200 OK
seen "verstat=TN-Validation-Passed" SEEN_PAI \
    "^<tel:\\$INTL_CLI;verstat=TN-Validation-Passed>$"
F2=$(fetches)
expect_num "x5u fetches for the second call (cache hit)" "$((F2 - F1))" -eq 0

# ---- 3. rejects (required = true, failure = "reject") ----------------------------------

say "3. rejects"
MARK=$(log_mark)
stir_case "$INTL" "$INTL_CLI"
expect_status "no Identity" 428 "Use Identity Header"
expect_log "428" "stir: guard=stir code=428 trunk=intl: no Identity header"

MARK=$(log_mark)
stir_case "$INTL" "$INTL_CLI" "$ID_TAMPERED"
expect_status "tampered signature" 438 "Invalid Identity Header"
expect_log "438" "stir: guard=stir code=438 trunk=intl: signature does not verify"

MARK=$(log_mark)
stir_case "$INTL" "$INTL_CLI" "$ID_STALE"
expect_status "iat 10 minutes old" 403 "Stale Date"
expect_log "403" "stir: guard=stir code=403 trunk=intl: iat outside the freshness window"

MARK=$(log_mark)
stir_case "$INTL" "$INTL_CLI" "$ID_OTHER"
expect_status "a token for another number" 438 "Invalid Identity Header"
expect_log "438" "stir: guard=stir code=438 trunk=intl: orig\\.tn differs from the calling number"

MARK=$(log_mark)
stir_case "$INTL" "$INTL_CLI" "$ID_BADPORT"
expect_status "x5u on port 8443 (not allowed)" 436 "Bad Identity Info"
expect_log "436" "stir: guard=stir code=436 trunk=intl: x5u port 8443 not allowed"

expect_num "x5u fetches during the rejects (all cached or refused)" \
    "$(($(fetches) - F2))" -eq 0
for r in 428:1 438:2 403:1 436:1 437:0; do
	expect_metric centinela_rejects_total "reason=\"STIR-${r%:*}\"" -eq \
	    "${r#*:}" 0
done

# ---- 4. failure = "continue", required = false ----------------------------------------

restart continue
say "4. failure = continue"
MARK=$(log_mark)
stir_case "$INTL" "$INTL_CLI" "$ID_TAMPERED"
expect_status "tampered signature, continue" 200 OK
seen "verstat=TN-Validation-Failed" SEEN_PAI \
    "^<tel:\\$INTL_CLI;verstat=TN-Validation-Failed>$"
seen "Reason: STIR;cause=438" SEEN_REASON \
    '^STIR;cause=438;text="Invalid Identity Header"$'

stir_case "$INTL" "$INTL_CLI"
expect_status "no Identity, not required" 200 OK
seen "verstat=No-TN-Validation" SEEN_PAI \
    "^<tel:\\$INTL_CLI;verstat=No-TN-Validation>$"
seen "no Reason" SEEN_REASON '^$'

stir_case "$INTL" "$INTL_CLI" "$(full "${INTL_CLI#+}" "${CALLEE#+}" "$X5U")"
expect_status "a good token, continue" 200 OK
seen "verstat=TN-Validation-Passed" SEEN_PAI \
    "^<tel:\\$INTL_CLI;verstat=TN-Validation-Passed>$"

# ---- 5. France (R-26): calls to +33 ---------------------------------------------------

say "France (R-26): calls to $FR_CALLEE"
stir_case "$INTL" "$INTL_CLI" "" "$FR_CALLEE"
expect_status "a French mobile number from abroad, no Identity (FR-MASK)" 200 OK
seen "the number withheld" SEEN_FROM \
    '^"Anonymous" <sip:anonymous@anonymous\.invalid>;tag=.* privacy=id$'
stir_case "$INTL" "$INTL_CLI" "$(full "${INTL_CLI#+}" "${FR_CALLEE#+}" "$X5U")" \
    "$FR_CALLEE"
expect_status "the same with a valid Identity" 200 OK
seen "the number, verified" SEEN_PAI \
    "^<tel:\\$INTL_CLI;verstat=TN-Validation-Passed>$"
seen "the caller's From" SEEN_FROM "${INTL_CLI#+}"
stir_case "$ACME" "$INTL_CLI" "" "$FR_CALLEE"
expect_status "a French number to France from a customer, signed here" 200 OK
seen "an Identity header" SEEN_IDENTITY '^eyJ'
stir_case "$ES" +33145678902 "" "$FR_CALLEE"
expect_status "a French number to France, no Identity (FR-MAN)" 608 Rejected
case $RES_REASON in
*'text="FR-MAN"'*) ok "#$NCASE Reason: $RES_REASON" ;;
*) bad "#$NCASE Reason: '$RES_REASON', want text=\"FR-MAN\"" ;;
esac
stir_case "$ES" +33145678902 \
    "$(full 33145678902 "${FR_CALLEE#+}" "$X5U")" "$FR_CALLEE"
expect_status "the same carrying an Identity (not verified here)" 200 OK
stir_case "$ES" +34911234567 "" "$FR_CALLEE"
expect_status "a Spanish number to France, no Identity" 200 OK

# ---- the PBX's own log ---------------------------------------------------------------------

# The PBX saw exactly the cases answered 200 (no reject leaked through),
# and logged on its side the Identity header of case 1, the one
# secsipidx verified above (SIPp writes its log when it stops).
stop_pid "$UAS_PID"
sed -n 's/^SEEN case=\([0-9]*\) identity=.*/\1/p' "$T/uas.log" |
    sort -n >"$T/uas-cases.txt"
echo "$PASSED" | tr ' ' '\n' | grep . | sort -n >"$T/passed-cases.txt"
if [ -s "$T/passed-cases.txt" ] && cmp -s "$T/passed-cases.txt" "$T/uas-cases.txt"; then
	ok "the PBX saw exactly the cases answered 200: $(tr '\n' ' ' <"$T/uas-cases.txt")"
else
	bad "the PBX saw cases $(tr '\n' ' ' <"$T/uas-cases.txt"), answered 200 were" \
	    "$(tr '\n' ' ' <"$T/passed-cases.txt")"
fi
UAS_ID=$(sed -n 's/^SEEN case=1 identity=//p' "$T/uas.log" | head -n 1)
if [ -n "$UAS_ID" ] && [ "$UAS_ID" = "$SIGNED" ]; then
	ok "the PBX's log holds the Identity of case 1 as checked"
else
	bad "the PBX's log: case 1 identity='$UAS_ID'"
fi
say "$NCASE cases"

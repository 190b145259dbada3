#!/bin/bash
# t_guard_geo -- the guard's outside knowledge, black-box: GeoIP
# country policy, DNS blocklists, ban-list feeds, and centinelactl ban
# import/export. Every source here is public (127.0.0.1 is the PBX).
#
#  1. GeoIP (tests/tools/mkmmdb.pl: 127.0.0/24 ES, 127.0.1/24 FR,
#     127.0.2/24 CN as registered_country only, 127.0.3/24 KP, 127.0.4/24
#     no country), public deny FR and KP:
#     a. action reject: FR and KP get 403, ES, CN (registered country)
#        and unknown get 200; trigger events and 403s are counted;
#     b. action ban: an FR source is banned at its first request (event
#        ban, reason geoip, listed by centinelactl) and silenced;
#     c. a missing or garbage database: the daemon refuses to start,
#        exit status non-zero, one "geoip: PATH: reason" log line;
#        `centinela -t` refuses it too.
#  2. DNSBL against rbldnsd (zone bl.test: 127.0.0.20, 127.0.5.0/24):
#     a. listed sources get 403 (trigger reason dnsbl), a clean one 200;
#        a second request of a listed source is answered from the cache
#        (rbldnsd's query log shows one query per address), and still
#        after rbldnsd is gone (when a new source is rejected: fail
#        "closed");
#     b. SIPp phones (digest auth) from a clean source register and call
#        the PBX through centinela: the parked requests go on;
#     c. a DNS server that never answers: fail "closed" rejects a new
#        source once the timeout (500 ms) has passed, fail "open" (after
#        a restart) lets it through, again only after the timeout.
#  3. Feeds from a local HTTP server (tests/tools/guard_httpd.py):
#     a. a plain list (127.0.0.30, 127.0.6.0/24): both silenced within
#        a few seconds of the start, 127.0.0.31 is not;
#     b. APIBan pages (127.0.0.32, then 127.0.0.33, then 400 "no new
#        bans"): both silenced; the next round asks for the last ID only;
#     c. the list replaced by one with a bad line: the log names the
#        error at the next fetch (interval 10 s) and the old entries stay
#        banned.
#  4. centinelactl ban export (plain, json, rbldnsd; json and rbldnsd
#     read back into an empty store) and import: a file with a bad line
#     is refused (status 1, its line number, nothing imported); a good
#     one is imported, listed, and enforced by the running daemon within
#     about a second.
TEST_ID=40
. "$(dirname "$0")/lib.sh"
need_pkg python3 curl sip-tester rbldnsd libmaxmind-db-writer-perl

TOOLS=$TOP/tests/tools
CTL=$(dirname "$BIN")/centinelactl
[ -x "$CTL" ] || fail "no centinelactl beside $BIN"
DNS_PORT=$((BASE + 50))
HTTP_PORT=$((BASE + 51))
PEERS='peers = ( { name = "pbx"; cidr = "127.0.0.1/32"; role = "pbx"; } );'

# sip SRC [ARGS] -- status of one OPTIONS from SRC ("none": no answer).
sip() {
	local src=$1
	shift
	"$PYTHON" "$TOOLS/guard_sip.py" --bind "$src" --port "$SIP_PORT" "$@"
}

# expect_sip SRC WANT [WHAT] -- one OPTIONS from SRC gets WANT.
expect_sip() {
	local got
	got=$(sip "$1")
	[ "$got" = "$2" ] || fail "${3:-OPTIONS} from $1: got $got, want $2"
	ok "${3:-OPTIONS} from $1: $got"
}

# silenced SRC -- attack.py ping from SRC gets no answer.
silenced() {
	"$PYTHON" "$ITEST/attack.py" ping --bind "$1" --port "$SIP_PORT" \
	    --wait 0.5 | grep -q 'silenced_at=1$'
}

expect_silenced() {
	local out
	out=$("$PYTHON" "$ITEST/attack.py" ping --bind "$1" --port "$SIP_PORT")
	[ "$out" = "answered=0 silenced_at=1" ] ||
	    fail "${2:-$1}: $out, want silenced"
	ok "${2:-$1} is silenced"
}

expect_answered() {
	local out
	out=$("$PYTHON" "$ITEST/attack.py" ping --bind "$1" --port "$SIP_PORT")
	[ "$out" = "answered=1 silenced_at=0" ] ||
	    fail "${2:-$1}: $out, want answered"
	ok "${2:-$1} is answered"
}

ev() { echo "event=\"$1\",reason=\"$2\""; }

# phase NAME -- a new log file for the next daemon start (start_centinela
# waits for "listening on" in $LOG).
phase() {
	say "---- $1"
	LOG=$T/$1.log
}

# ---- 1. GeoIP -----------------------------------------------------------

perl "$TOOLS/mkmmdb.pl" "$T/geo.mmdb" || fail "mkmmdb.pl failed"

phase geo-reject
EXTRA="$PEERS
geoip = { database = \"$T/geo.mmdb\";
	public = { deny = [ \"FR\", \"KP\" ]; action = \"reject\"; unknown = \"log\"; }; };"
write_conf "$T/geo1.conf"
start_centinela "$T/geo1.conf"
expect_sip 127.0.0.5 200 "ES"
expect_sip 127.0.1.5 403 "FR"
expect_sip 127.0.3.5 403 "KP"
expect_sip 127.0.2.5 200 "CN (registered country only)"
expect_sip 127.0.4.5 200 "no country (unknown = log)"
expect_sip 127.0.1.5 403 "FR again"
expect_metric centinela_events_total "$(ev trigger geoip)" -eq 3
expect_metric centinela_responses_sent_total 'code="403"' -eq 3
expect_metric centinela_responses_sent_total 'code="200"' -eq 3
expect_metric centinela_rejects_total 'reason="geoip"' -eq 3
grep -qE 'event=trigger src=127\.0\.1\.5:[0-9]+ .*reason=geoip: action=reject .*country=FR role=public' \
    "$LOG" || fail "no geoip trigger line for FR in the log"
expect_metric centinela_events_total "$(ev ban geoip)" -eq 0 0
stop_centinela || fail "centinela did not stop cleanly"

phase geo-ban
EXTRA="$PEERS
geoip = { database = \"$T/geo.mmdb\";
	public = { deny = [ \"FR\", \"KP\" ]; action = \"ban\"; unknown = \"log\"; }; };"
write_conf "$T/geo2.conf"
start_centinela "$T/geo2.conf"
expect_answered 127.0.0.6 "ES source"
expect_silenced 127.0.1.6 "FR source, first request"
expect_metric centinela_events_total "$(ev ban geoip)" -eq 1
expect_metric centinela_events_total "$(ev trigger geoip)" -eq 1
grep -qE 'event=ban src=127\.0\.1\.6:[0-9]+ .*reason=geoip: range=127\.0\.1\.6/32 rung=1' \
    "$LOG" || fail "no ban line for 127.0.1.6 in the log"
expect_silenced 127.0.1.6 "FR source, later request"
# The second request never reached the GeoIP guard: dropped as banned.
expect_metric centinela_events_total "$(ev trigger geoip)" -eq 1
expect_metric centinela_drops_total 'reason="banned"' -ge 1
wait_until 5 sh -c "'$CTL' ban -c '$T/geo2.conf' list | grep -q '^127\.0\.1\.6/32 *geoip '" ||
    fail "centinelactl ban list does not show 127.0.1.6 (reason geoip)"
ok "centinelactl ban list: 127.0.1.6/32 banned, reason geoip"
expect_answered 127.0.0.6 "ES source, still"
stop_centinela || fail "centinela did not stop cleanly"

# A database that cannot be used: the daemon must refuse to start.
phase geo-bad
head -c 4096 /dev/urandom >"$T/garbage.mmdb"
for db in "$T/missing.mmdb" "$T/garbage.mmdb"; do
	EXTRA="$PEERS
geoip = { database = \"$db\"; public = { deny = [ \"FR\" ]; }; };"
	write_conf "$T/geo3.conf"
	"$BIN" -t -c "$T/geo3.conf" >"$T/geo3-t.txt" 2>&1 &&
	    fail "centinela -t accepts geoip database $db"
	grep -qF "geoip: $db: " "$T/geo3-t.txt" ||
	    fail "centinela -t does not say what is wrong with $db"
	ok "centinela -t refuses $(basename "$db"): $(head -n 1 "$T/geo3-t.txt")"
	: >"$LOG"
	timeout 20 "$BIN" -f -c "$T/geo3.conf" >>"$LOG" 2>&1
	rc=$?
	[ "$rc" = 124 ] && fail "centinela started with geoip database $db"
	[ "$rc" != 0 ] || fail "centinela exited 0 with geoip database $db"
	grep -q "listening on" "$LOG" &&
	    fail "centinela listened with geoip database $db"
	grep -qF "geoip: $db: " "$LOG" ||
	    fail "no \"geoip: $db: ...\" line in the log"
	grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Undefined|Leak)' \
	    "$LOG" && fail "sanitizer report at the refused start"
	ok "database $(basename "$db"): exit $rc, $(grep -F "geoip: $db" "$LOG" | head -n 1 | sed 's/^[^ ]* //')"
done

# ---- 2. DNSBL -----------------------------------------------------------

phase dnsbl-closed
mkdir -p "$T/rbl"
chmod 755 "$T/rbl"	# rbldnsd started as root reads as user rbldns
printf '%s\n' '$SOA 600 ns.bl.test hostmaster.bl.test 1 600 300 86400 120' \
    '$TTL 900' '127.0.0.20' '127.0.5.0/24' >"$T/rbl/bl4"
chmod 644 "$T/rbl/bl4"
# -l +-: every query logged to stdout, unbuffered.
rbldnsd -n -c 0 -b "127.0.0.1/$DNS_PORT" -w "$T/rbl" -l +- \
    bl.test:ip4set:bl4 >"$T/rbldnsd.out" 2>&1 &
RBL_PID=$!
track "$RBL_PID"
wait_for_log "zones reloaded" 10 "$T/rbldnsd.out" ||
    fail "rbldnsd did not start: $(cat "$T/rbldnsd.out")"
queries() { grep -c " $1.bl.test A IN" "$T/rbldnsd.out"; }

# An upstream PBX (SIPp) and an account, for the call through.
UPSTREAMS="pbx udp 127.0.0.1 $UAS_PORT 1 1"
DNSBL_BASE="servers = \"127.0.0.1:$DNS_PORT\"; timeout = 500;
	zones = ( { zone = \"bl.test\"; action = \"reject\"; } );"
EXTRA="$PEERS
auth = { algorithms = [ \"MD5\" ]; };
dnsbl = { $DNSBL_BASE fail = \"closed\"; };"
write_conf "$T/dnsbl1.conf"
SECRET=$(user_add "$T/dnsbl1.conf" 300) || fail "user add failed"
[ -n "$SECRET" ] || fail "no device secret written"
printf 'SEQUENTIAL\n300;\n' >"$T/users.csv"
scenario uas_call RR="Record-Route: <sip:127\\.0\\.0\\.1:$SIP_PORT;lr;ad=[0-9a-f]{16}>"
start_uas uas "$T/uas_call.xml" "$UAS_PORT" -key contact "127.0.0.1:$UAS_PORT"
start_centinela "$T/dnsbl1.conf"
wait_upstream_healthy pbx

expect_sip 127.0.0.20 403 "listed 127.0.0.20"
expect_sip 127.0.0.21 200 "clean 127.0.0.21"
expect_sip 127.0.5.7 403 "listed 127.0.5.7 (in 127.0.5.0/24)"
expect_sip 127.0.0.20 403 "listed 127.0.0.20, second request"
expect_sip 127.0.0.21 200 "clean 127.0.0.21, second request"
expect_metric centinela_events_total "$(ev trigger dnsbl)" -eq 3
expect_metric centinela_rejects_total 'reason="dnsbl"' -eq 3
grep -qE 'event=trigger src=127\.0\.0\.20:[0-9]+ .*reason=dnsbl: action=reject .*zone=bl\.test answer=127\.0\.0\.2$' \
    "$LOG" || fail "no dnsbl trigger line for 127.0.0.20 in the log"
expect_num "rbldnsd queries for 127.0.0.20" "$(queries 20.0.0.127)" -eq 1
expect_num "rbldnsd queries for 127.0.0.21" "$(queries 21.0.0.127)" -eq 1

# SIPp phone on a clean public address: REGISTER and INVITE wait for the
# lookup (parked), then go on; the call reaches the PBX.
N=3
sipp_run uac -sf "$SCEN/uac_auth_call.xml" -inf "$T/users.csv" \
    -au 300 -ap "$SECRET" \
    -key rhost "127.0.0.24:$SIP_PORT" -s 5551000 -i 127.0.0.24 \
    -p "$UAC_PORT" -m "$N" -r 5 -l "$N" "127.0.0.1:$SIP_PORT" ||
    fail "SIPp UAC (127.0.0.24, DNSBL on) exited with status $?"
expect_num "UAC successful calls" "$(sipp_stat uac 'SuccessfulCall(C)')" -eq "$N"
expect_num "UAC failed calls" "$(sipp_stat uac 'FailedCall(C)')" -eq 0
wait_uas uas "$N" || fail "the PBX did not see $N calls"
expect_num "PBX successful calls" "$(sipp_stat uas 'SuccessfulCall(C)')" -eq "$N"
expect_num "rbldnsd queries for 127.0.0.24" "$(queries 24.0.0.127)" -eq 1
expect_metric centinela_events_total "$(ev trigger dnsbl)" -eq 3

# rbldnsd gone: the cached verdicts still apply.
stop_pid "$RBL_PID"
expect_sip 127.0.0.20 403 "listed 127.0.0.20, from the cache"
expect_sip 127.0.0.21 200 "clean 127.0.0.21, from the cache"
grep -E 'src=127\.0\.0\.20:.*reason=dnsbl:' "$LOG" | tail -n 1 |
    grep -q 'answer=127\.0\.0\.2$' ||
    fail "the last verdict on 127.0.0.20 is not rbldnsd's cached answer"
# A new source with nobody on the DNS port (ICMP port unreachable: the
# lookup fails at once): fail closed rejects it.
expect_sip 127.0.0.25 403 "new 127.0.0.25, no DNS server, fail closed"
grep -qE 'src=127\.0\.0\.25:.*reason=dnsbl: .*answer=0\.0\.0\.0 failed' \
    "$LOG" || fail "no failed-lookup trigger line for 127.0.0.25"

# A server that never answers (a bound socket nobody reads).
"$PYTHON" -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
time.sleep(120)' "$DNS_PORT" &
HOLE_PID=$!
track "$HOLE_PID"
wait_until 5 port_bound udp "$DNS_PORT" || fail "no silent DNS socket"
read -r st secs < <(sip 127.0.0.22 --time --wait 3)
[ "$st" = 403 ] || fail "fail closed: new source 127.0.0.22 got $st, want 403"
awk -v s="$secs" 'BEGIN { exit !(s >= 0.45 && s < 2.5) }' ||
    fail "fail closed: the answer took ${secs}s, want the 0.5 s timeout"
ok "fail closed: 127.0.0.22 rejected after ${secs}s (timeout 500 ms)"
grep -qE 'src=127\.0\.0\.22:.*reason=dnsbl: .*zone=bl\.test answer=0\.0\.0\.0 failed' \
    "$LOG" || fail "no failed-lookup trigger line for 127.0.0.22"
stop_centinela || fail "centinela did not stop cleanly"

phase dnsbl-open
EXTRA="$PEERS
dnsbl = { $DNSBL_BASE fail = \"open\"; };"
UPSTREAMS=""
write_conf "$T/dnsbl2.conf"
start_centinela "$T/dnsbl2.conf"
read -r st secs < <(sip 127.0.0.23 --time --wait 3)
[ "$st" = 200 ] || fail "fail open: new source 127.0.0.23 got $st, want 200"
awk -v s="$secs" 'BEGIN { exit !(s >= 0.45 && s < 2.5) }' ||
    fail "fail open: the answer took ${secs}s, want the 0.5 s timeout"
ok "fail open: 127.0.0.23 answered 200 after ${secs}s (timeout 500 ms)"
# The listed address too passes when the server does not answer.
expect_sip 127.0.0.20 200 "listed 127.0.0.20, server silent, fail open"
expect_metric centinela_rejects_total 'reason="dnsbl"' -eq 0 0
stop_centinela || fail "centinela did not stop cleanly"
stop_pid "$HOLE_PID"

# ---- 3. Feeds -----------------------------------------------------------

phase feeds
mkdir -p "$T/www"
printf '# test list\n127.0.0.30\n127.0.6.0/24 # a net\n' >"$T/www/list.txt"
printf '{"ipaddress":["127.0.0.32"],"ID":"100"}' >"$T/www/apiban_banned"
printf '{"ipaddress":["127.0.0.33"],"ID":"101"}' >"$T/www/apiban_banned_100"
printf '{"ipaddress":["no new bans"],"ID":"none"}' >"$T/www/apiban_banned_101"
echo 400 >"$T/www/apiban_banned_101.status"
"$PYTHON" "$TOOLS/guard_httpd.py" "$T/www" "$HTTP_PORT" \
    >"$T/httpd.out" 2>&1 &
track $!
wait_port tcp "$HTTP_PORT"
EXTRA="$PEERS
feeds = (
	{ name = \"test\"; url = \"http://127.0.0.1:$HTTP_PORT/list.txt\";
	  format = \"plain\"; interval = \"10s\"; ban_for = \"1h\"; },
	{ name = \"ab\"; url = \"http://127.0.0.1:$HTTP_PORT/apiban/banned\";
	  format = \"apiban\"; interval = \"10s\"; ban_for = \"1h\"; } );"
write_conf "$T/feeds.conf"
start_centinela "$T/feeds.conf"
T0=$(date +%s)
wait_for_log ' info feed test: 2 entries$' 5 ||
    fail "feed test not applied within 5 s of the start"
wait_until 5 grep -qx '/apiban/banned/101' "$T/www/requests.log" ||
    fail "APIBan pages not all fetched within 5 s of the start"
expect_silenced 127.0.0.30 "feed entry 127.0.0.30"
expect_silenced 127.0.6.9 "127.0.6.9 (feed entry 127.0.6.0/24)"
expect_answered 127.0.0.31 "127.0.0.31 (not in the feed)"
expect_silenced 127.0.0.32 "APIBan page 1 entry 127.0.0.32"
expect_silenced 127.0.0.33 "APIBan page 2 entry 127.0.0.33"
expect_metric centinela_drops_total 'reason="banned"' -ge 4

# A bad line in the next version of the list.
printf '127.0.0.30\n127.0.0.34\nthis is not an address\n' >"$T/www/list.new"
mv "$T/www/list.new" "$T/www/list.txt"
wait_for_log "feed test: http://127\\.0\\.0\\.1:$HTTP_PORT/list\\.txt: .*line 3" 15 ||
    fail "no error naming line 3 of the bad feed within 15 s"
ok "bad feed: $(grep -E "feed test: http.*line 3" "$LOG" | head -n 1 | sed 's/^[^ ]* //')"
[ "$(grep -cE ' info feed test: [0-9]+ entries$' "$LOG")" = 1 ] ||
    fail "the bad feed was applied (or the good one again)"
expect_silenced 127.0.6.9 "127.0.6.9 after the bad feed"
expect_silenced 127.0.0.30 "127.0.0.30 after the bad feed"
expect_answered 127.0.0.34 "127.0.0.34 (only in the bad feed)"
# APIBan is incremental: the next round asks for the last ID only.
wait_until 5 sh -c "[ \$(grep -cx '/apiban/banned/101' '$T/www/requests.log') -ge 2 ]" ||
    fail "APIBan: no second round asking for /apiban/banned/101"
expect_num "APIBan first-page fetches" \
    "$(grep -cx '/apiban/banned' "$T/www/requests.log")" -eq 1
say "feeds phase took $(( $(date +%s) - T0 )) s"

# ---- 4. centinelactl ban import / export --------------------------------

C="$T/feeds.conf"
ban() { "$CTL" ban -c "$C" "$@"; }
ban add 127.0.0.50 --for 1h >/dev/null || fail "ban add 127.0.0.50"
ban add 127.0.7.0/24 --for 2h --reason scanner >/dev/null ||
    fail "ban add 127.0.7.0/24"
ban add 127.0.0.51 >/dev/null || fail "ban add 127.0.0.51"
ban export --format plain >"$T/export.txt" || fail "export plain failed"
for a in 127.0.0.50 127.0.7.0/24 127.0.0.51; do
	grep -qx "$a" "$T/export.txt" || fail "export plain lacks $a"
done
ok "export plain: $(grep -vc '^#' "$T/export.txt") ranges"
ban export --format json >"$T/export.json" || fail "export json failed"
"$PYTHON" - "$T/export.json" <<'EOF' || fail "export json is not what was banned"
import json, sys, time
d = json.load(open(sys.argv[1]))
b = {x["addr"]: x for x in d["bans"]}
now = time.time()
assert d.get("version") == 1, d
assert b["127.0.7.0/24"]["reason"] == "scanner", b
assert 7000 < b["127.0.7.0/24"]["until"] - now <= 7200, b
assert 3400 < b["127.0.0.50/32"]["until"] - now <= 3600, b
assert "127.0.0.51/32" in b, b
EOF
ok "export json: addresses, reasons and end times"
ban export --format rbldnsd >"$T/export.rbl" || fail "export rbldnsd failed"
grep -qx '127.0.7.0/24 :127.0.0.2:scanner' "$T/export.rbl" ||
    fail "export rbldnsd lacks 127.0.7.0/24 with its reason"
grep -q '^\$DATASET ip4set:' "$T/export.rbl" ||
    fail "export rbldnsd has no ip4set dataset"
# Both read back into an empty store give the same ranges.
want=$(grep -v '^#' "$T/export.txt" | sort)
for f in json rbldnsd; do
	ext=$f
	[ $f = rbldnsd ] && ext=rbl
	"$CTL" ban -c "$C" --store "sqlite:$T/rt-$f.db" import \
	    "$T/export.$ext" --format $f >/dev/null ||
	    fail "export $f cannot be imported"
	got=$("$CTL" ban -c "$C" --store "sqlite:$T/rt-$f.db" export \
	    --format plain | grep -v '^#' | sort)
	[ "$got" = "$want" ] || fail "export $f read back: $got, want $want"
	ok "export $f read back into an empty store: the same ranges"
done
ban export --format xml >/dev/null 2>&1
expect_num "export --format xml: exit status" "$?" -eq 2

ban list --json >"$T/list-before.json" || fail "ban list --json failed"
printf '127.0.0.60\n# a comment\n127.0.8.0/24\n127.0.0.999\n127.0.0.61\n' \
    >"$T/bad.txt"
ban import "$T/bad.txt" >"$T/import-bad.out" 2>"$T/import-bad.err"
rc=$?
expect_num "import of a file with a bad line: exit status" "$rc" -eq 1
grep -q 'line 4' "$T/import-bad.err" ||
    fail "import error does not name line 4: $(cat "$T/import-bad.err")"
grep -q 'nothing imported' "$T/import-bad.err" ||
    fail "import error does not say nothing was imported"
ok "bad import refused: $(cat "$T/import-bad.err")"
ban list --json >"$T/list-after.json" || fail "ban list --json failed"
cmp -s "$T/list-before.json" "$T/list-after.json" ||
    fail "ban list changed by a refused import"
ok "ban list unchanged by the refused import"
expect_answered 127.0.0.60 "127.0.0.60 (refused import)"

printf '127.0.0.60\n# a comment\n127.0.8.0/24   # a net\r\n127.0.0.61\n' \
    >"$T/good.txt"
ban import "$T/good.txt" --for 1h >"$T/import.out" 2>&1 ||
    fail "import of a good file failed: $(cat "$T/import.out")"
grep -q 'imported 3 ranges' "$T/import.out" ||
    fail "import said: $(cat "$T/import.out")"
ok "import: $(cat "$T/import.out")"
for a in 127.0.0.60/32 127.0.8.0/24 127.0.0.61/32; do
	ban list | grep -q "^${a//./\\.} " || fail "ban list lacks $a"
done
ok "ban list shows the imported ranges"
# The daemon polls the store every 200 ms.
wait_until 2 silenced 127.0.0.60 ||
    fail "127.0.0.60 not banned within ~1 s of the import"
ok "127.0.0.60 banned by the running daemon"
wait_until 2 silenced 127.0.8.77 ||
    fail "127.0.8.77 (in 127.0.8.0/24) not banned after the import"
ok "127.0.8.77 (imported 127.0.8.0/24) banned"
expect_answered 127.0.9.77 "127.0.9.77 (not imported)"
stop_centinela || fail "centinela did not stop cleanly"

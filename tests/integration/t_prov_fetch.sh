#!/bin/bash
# t_prov_fetch -- zero-touch provisioning over HTTPS: a phone bound with
# "centinelactl device add" fetches its file under every vendor's file
# name, with its account's device secret in it, and registers with
# that secret; a MAC bound to nothing gets the same 404 as any other;
# after "user rotate-secret" the next fetch carries the new secret, the
# old one no longer registers and the new one does; the secret never
# shows in the daemon's log nor in any centinelactl output; the device
# records its fetches and whether the current secret was fetched.
TEST_ID=52
. "$(dirname "$0")/lib.sh"
need_pkg curl openssl python3 sqlite3

CTL=$(dirname "$BIN")/centinelactl
PROV_PORT=$((BASE + 50))
URL=https://127.0.0.1:$PROV_PORT
MAC=001565aabbcc

# The service's certificate, from a CA of the test's own.
mkdir -p "$T/pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/pki/ca.key" -out "$T/pki/ca.pem" -days 2 \
    -subj "/CN=prov test CA" 2>"$T/openssl.err" &&
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/pki/srv.key" -out "$T/pki/srv.csr" -subj "/CN=127.0.0.1" \
    2>>"$T/openssl.err" &&
openssl x509 -req -in "$T/pki/srv.csr" -CA "$T/pki/ca.pem" \
    -CAkey "$T/pki/ca.key" -CAcreateserial -out "$T/pki/srv.pem" -days 2 \
    -extfile <(printf 'subjectAltName=IP:127.0.0.1\n') 2>>"$T/openssl.err" ||
    fail "openssl: $(cat "$T/openssl.err")"

EXTRA="provisioning = { enabled = true; address = \"127.0.0.1\";
  port = $PROV_PORT; certificate = \"$T/pki/srv.pem\";
  private_key = \"$T/pki/srv.key\"; sip_host = \"sip.example.net\";
  sip_port = 5061; };"
write_conf "$T/centinela.conf"
set -o pipefail
ctl() { "$CTL" "$1" -c "$T/centinela.conf" "${@:2}"; }
ALLOUT=$T/ctl-all.out	# every centinelactl output, grepped for secrets
run_ctl() { "$CTL" "$1" -c "$T/centinela.conf" "${@:2}" 2>&1 | tee -a "$ALLOUT"; }

run_ctl user add 100 >/dev/null || fail "user add 100 failed"
run_ctl user add 101 >/dev/null || fail "user add 101 failed"
run_ctl device add 00:15:65:AA:BB:CC --account 100 --template yealink \
    --display "Front desk" >"$T/dev.out" || fail "device add: $(cat "$T/dev.out")"
grep -q "device $MAC bound to 100@centinela.local" "$T/dev.out" ||
    fail "device add said: $(cat "$T/dev.out")"
ok "device add: $(cat "$T/dev.out")"

start_centinela
wait_for_log "prov: provisioning on https://127.0.0.1:$PROV_PORT/" 5 ||
    fail "the provisioning service did not start"

# fetch PATH [CURL ARGS...] -- the body on stdout, "HTTP nnn" on fd 3.
fetch() {
	local p=$1
	shift
	curl -s --max-time 5 --cacert "$T/pki/ca.pem" -o "$T/body" \
	    -w '%{http_code}' "$@" "$URL$p" >"$T/code" 2>"$T/curl.err"
	cat "$T/code"
}

code=$(fetch "/$MAC.cfg")
[ "$code" = 200 ] || fail "GET /$MAC.cfg: HTTP $code $(cat "$T/curl.err")"
S1=$(sed -n 's/^account.1.password = //p' "$T/body")
[ ${#S1} -ge 20 ] || fail "no password in the Yealink file: $(cat "$T/body")"
for want in "account.1.user_name = 100" "account.1.auth_name = 100" \
    "account.1.sip_server.1.address = sip.example.net" \
    "account.1.sip_server.1.port = 5061" \
    "account.1.sip_server.1.transport_type = 2" \
    "account.1.srtp_encryption = 2" "account.1.display_name = Front desk"; do
	grep -qxF "$want" "$T/body" || fail "Yealink file lacks \"$want\""
done
ok "GET /$MAC.cfg: the Yealink file, TLS, SRTP mandatory, a ${#S1}-character secret"

# Every vendor's file name serves the device (MAC in either case).
for p in "/prov/001565AABBCC.cfg" "/snom-001565AABBCC.xml" "/$MAC.xml" \
    "/cfg$MAC.xml" "/$MAC-phone.cfg"; do
	code=$(fetch "$p")
	[ "$code" = 200 ] || fail "GET $p: HTTP $code"
	grep -qxF "account.1.password = $S1" "$T/body" ||
	    fail "GET $p: not the device's file"
done
ok "every vendor file name serves the bound device"

# The secret works: REGISTER with it (digest, from a public source).
python3 "$ITEST/sipauth.py" register --port "$SIP_PORT" --user 100 \
    --secret "$S1" --bind 127.0.0.2 >"$T/reg1.out" ||
    fail "REGISTER with the fetched secret failed: $(cat "$T/reg1.out")"
ok "REGISTER with the fetched secret accepted"

# Unknown MACs, other paths, other methods.
code=$(fetch "/001565aabbcd.cfg")
[ "$code" = 404 ] || fail "unbound MAC: HTTP $code"
cp "$T/body" "$T/body404a"
code=$(fetch "/prov/0004F2123456.cfg")
[ "$code" = 404 ] || fail "unbound MAC: HTTP $code"
cmp -s "$T/body" "$T/body404a" || fail "two unbound MACs answered differently"
code=$(fetch "/y000000000028.cfg")
[ "$code" = 404 ] || fail "a file without MAC: HTTP $code"
code=$(fetch "/$MAC.cfg" -X POST --data x)
[ "$code" = 405 ] || fail "POST: HTTP $code"
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$PROV_PORT/$MAC.cfg")
[ "$code" = 200 ] && fail "plain HTTP was answered"
ok "unbound MACs: the same 404; no MAC: 404; POST: 405; plain HTTP: no answer"

ctl device show "$MAC" >"$T/show1.out" || fail "device show failed"
tee -a "$ALLOUT" <"$T/show1.out" >/dev/null
grep -q "secret:.*fetched" "$T/show1.out" ||
    fail "device show after the fetch: $(cat "$T/show1.out")"
grep -q "fetches:      6" "$T/show1.out" ||
    fail "device show counts: $(grep fetches "$T/show1.out")"
ok "device show: 6 fetches, secret fetched"

# Rotation: pending until the phone fetches; then the new secret only.
run_ctl user rotate-secret 100 >"$T/rot.out" || fail "rotate-secret failed"
grep -q "gets it at its next check" "$T/rot.out" ||
    fail "rotate-secret said: $(cat "$T/rot.out")"
ok "rotate-secret: $(cat "$T/rot.out")"
run_ctl user rotate-secret 100 --secret-file "$T/rot2.secret" >"$T/rot2.out" &&
    fail "rotate-secret --secret-file wrote out a provisioned secret"
[ -e "$T/rot2.secret" ] && fail "rotate-secret left $T/rot2.secret behind"
grep -q "is bound" "$T/rot2.out" ||
    fail "rotate-secret --secret-file said: $(cat "$T/rot2.out")"
run_ctl user add 102 --secret-file "$T/secret-102" >/dev/null ||
    fail "user add 102"
grep -qF "$(cat "$T/secret-102")" "$ALLOUT" &&
    fail "user add 102 printed its secret"
ctl device list --json >"$T/list.json" || fail "device list --json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d) == 1 and d[0]["mac"] == "001565aabbcc" and d[0]["pending"], d
' "$T/list.json" || fail "device list --json: $(cat "$T/list.json")"
ok "after the rotation the device is pending"
code=$(fetch "/$MAC.cfg")
[ "$code" = 200 ] || fail "fetch after rotation: HTTP $code"
S2=$(sed -n 's/^account.1.password = //p' "$T/body")
[ -n "$S2" ] && [ "$S2" != "$S1" ] || fail "the fetch after rotation has the old secret"
ctl device list >"$T/list.txt"
grep -q "$MAC .* fetched$" "$T/list.txt" ||
    fail "device list after the fetch: $(cat "$T/list.txt")"
ok "the next fetch carries a new secret and clears pending"

wait_until 5 python3 "$ITEST/sipauth.py" register --port "$SIP_PORT" \
    --user 100 --secret "$S2" --bind 127.0.0.2 >/dev/null ||
    fail "REGISTER with the rotated secret failed"
python3 "$ITEST/sipauth.py" register --port "$SIP_PORT" --user 100 \
    --secret "$S1" --bind 127.0.0.3 >/dev/null &&
    fail "the old secret still registers after the rotation"
ok "the rotated secret registers, the old one does not"

# The fetch is logged with MAC, account and source; no secret anywhere.
grep -q "prov: fetch mac=$MAC account=100@centinela.local src=127.0.0.1" "$LOG" ||
    fail "no fetch log line"
for s in "$S1" "$S2"; do
	grep -qF "$s" "$LOG" && fail "a device secret is in the daemon log"
	grep -qF "$s" "$ALLOUT" && fail "a device secret is in centinelactl output"
done
box=$(sqlite3 "$T/centinela.db" "SELECT secret_box FROM accounts WHERE username = '100'")
grep -qF "$box" "$ALLOUT" "$LOG" && fail "the sealed secret was printed"
sqlite3 "$T/centinela.db" .dump | grep -qF "$S2" &&
    fail "the clear secret is in the database"
ok "fetches logged; no secret in the log, the ctl output or the database"

# Unbinding: the phone gets 404.
run_ctl device del 00-15-65-aa-bb-cc >/dev/null || fail "device del"
code=$(fetch "/$MAC.cfg")
[ "$code" = 404 ] || fail "after device del: HTTP $code"
ok "an unbound device gets 404"

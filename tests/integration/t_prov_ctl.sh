#!/bin/bash
# t_prov_ctl -- centinelactl device and user tls-bind: a MAC in any
# usual spelling is stored canonical; a bad MAC, an unknown template or
# a misplaced option is a usage error (exit 2), an unknown account, a
# MAC bound already or an account without a sealed secret a refusal
# (exit 1), each one line on stderr, the store unchanged; list --json;
# deleting an account unbinds its devices. tls-bind stores the
# certificate's SHA-256 fingerprint as openssl computes it (from the
# PEM or typed with colons), a subject in RFC 2253 spelling, refuses a
# certificate bound to another account, and --none clears it. The key
# file is created 0600 and refused when others may read it. No secret
# or sealed secret is ever printed.
TEST_ID=55
. "$(dirname "$0")/lib.sh"
need_pkg openssl python3 sqlite3

CTL=$(dirname "$BIN")/centinelactl
CONF=$T/centinela.conf
DB=$T/centinela.db
write_conf "$CONF"
OUT=$T/all.out	# every output, checked for secrets at the end

# run EXIT CMD... -- centinelactl CMD -c CONF ... exits EXIT; stdout in
# $T/out, stderr in $T/err (one line when EXIT != 0).
run() {
	local want=$1 rc
	shift
	"$CTL" "$1" -c "$CONF" "${@:2}" >"$T/out" 2>"$T/err"
	rc=$?
	cat "$T/out" "$T/err" >>"$OUT"
	[ "$rc" -eq "$want" ] ||
	    fail "$*: exit $rc, want $want ($(cat "$T/err" "$T/out"))"
	if [ "$want" -ne 0 ]; then
		[ "$(wc -l <"$T/err")" -eq 1 ] ||
		    fail "$*: not one line on stderr: $(cat "$T/err")"
	fi
}
snapshot() {
	sqlite3 "$DB" "SELECT * FROM devices ORDER BY mac; SELECT username, tls_id, secret_box FROM accounts ORDER BY 1"
}

run 0 user add 100
run 0 user add 101
[ "$(stat -c %a "$DB.key")" = 600 ] || fail "key file not 0600"
ok "user add: key file $(basename "$DB.key") created 0600"

run 0 device add 00:15:65:AA:BB:CC --account 100 --template yealink
run 0 device add 00-15-65-aa-bb-cd --account 101@centinela.local \
    --template polycom --display "Sala 2"
run 0 device add 0015.65aa.bbce --account 101 --template snom
[ "$(sqlite3 "$DB" "SELECT group_concat(mac, ' ') FROM (SELECT mac FROM devices ORDER BY mac)")" = \
    "001565aabbcc 001565aabbcd 001565aabbce" ] || fail "MACs not canonical: $(snapshot)"
ok "three spellings of a MAC, stored canonical"

before=$(snapshot)
run 2 device add 00:15:65:aa:bb --account 100 --template yealink
grep -q "is not a MAC address" "$T/err" || fail "bad MAC: $(cat "$T/err")"
run 2 device add 001565aabbzz --account 100 --template yealink
run 2 device add 001565aabbc1 --account 100 --template cisco
grep -q "not one of snom, yealink, grandstream, polycom or generic" "$T/err" ||
    fail "bad template: $(cat "$T/err")"
run 2 device add 001565aabbc1 --account 100
run 2 device add 001565aabbc1 --account 100 --template snom --json
run 2 device del 001565aabbcc --template snom
run 2 device frobnicate 001565aabbcc
run 2 device show
run 1 device add 001565aabbc1 --account 999 --template snom
grep -q "999@centinela.local: no such account" "$T/err" || fail "unknown account: $(cat "$T/err")"
run 1 device add 001565aabbc1 --account 100@evil.example --template snom
run 1 device add 001565AABBCC --account 101 --template snom
grep -q "bound to 100@centinela.local already" "$T/err" ||
    fail "MAC bound twice: $(cat "$T/err")"
run 1 device show 0004f2000000
run 1 device del 0004f2000000
[ "$(snapshot)" = "$before" ] || fail "refused commands changed the store"
ok "bad MAC, template, options: exit 2; unknown account, MAC bound: exit 1; store unchanged"

run 0 device list --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [x["mac"] for x in d] == ["001565aabbcc", "001565aabbcd", "001565aabbce"], d
assert d[1]["template"] == "polycom" and d[1]["display"] == "Sala 2", d[1]
assert all(x["pending"] and x["fetches"] == 0 for x in d), d
' "$T/out" || fail "device list --json: $(cat "$T/out")"
run 0 device show 001565aabbcd
grep -q "account:      101@centinela.local" "$T/out" || fail "device show: $(cat "$T/out")"
ok "device list --json and show"

# An account whose secret was never sealed cannot get a device.
run 0 user add 102
sqlite3 "$DB" "UPDATE accounts SET secret_box = '' WHERE username = '102'"
run 1 device add 0004f2000102 --account 102 --template generic
grep -q "no sealed device secret.*rotate-secret" "$T/err" || fail "$(cat "$T/err")"
run 0 user rotate-secret 102
run 0 device add 0004f2000102 --account 102 --template generic
ok "an account without a sealed secret: refused until rotate-secret"

# Deleting an account unbinds its devices.
run 0 user del 102
run 1 device show 0004f2000102
ok "user del unbinds the account's devices"

# tls-bind.
P=$T/pki
mkdir -p "$P"
for n in a b; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$P/$n.key" -out "$P/$n.pem" -days 2 -subj "/CN=phone-$n" \
	    2>>"$T/openssl.err" || fail "openssl: $(cat "$T/openssl.err")"
done
fp=$(openssl x509 -in "$P/a.pem" -noout -fingerprint -sha256 |
    sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
[ ${#fp} -eq 64 ] || fail "openssl fingerprint: $fp"
run 0 user tls-bind 100 --cert "$P/a.pem"
[ "$(sqlite3 "$DB" "SELECT tls_id FROM accounts WHERE username = '100'")" = "sha256:$fp" ] ||
    fail "tls-bind --cert stored $(sqlite3 "$DB" "SELECT tls_id FROM accounts WHERE username = '100'")"
run 0 user show 100
grep -q "client cert:    sha256:$fp" "$T/out" || fail "user show: $(cat "$T/out")"
ok "tls-bind --cert: sha256:$fp, as openssl computes it"
colons=$(openssl x509 -in "$P/a.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
run 1 user tls-bind 101 --fingerprint "$colons"
grep -q "bound to 100@centinela.local already" "$T/err" || fail "$(cat "$T/err")"
run 0 user tls-bind 100 --none
run 0 user tls-bind 101 --fingerprint "$colons"
[ "$(sqlite3 "$DB" "SELECT tls_id FROM accounts WHERE username = '101'")" = "sha256:$fp" ] ||
    fail "--fingerprint with colons not canonical"
ok "one certificate, one account; --fingerprint AB:CD:... stored canonical"
run 0 user tls-bind 100 --subject 'CN = phone 1 , O=Acme\, Inc.,C=ES'
[ "$(sqlite3 "$DB" "SELECT tls_id FROM accounts WHERE username = '100'")" = 'subject:CN=phone 1,O=Acme\, Inc.,C=ES' ] ||
    fail "subject stored as $(sqlite3 "$DB" "SELECT tls_id FROM accounts WHERE username = '100'")"
ok "tls-bind --subject: stored in RFC 2253 spelling"
before=$(snapshot)
run 1 user tls-bind 100 --fingerprint 12:34
run 1 user tls-bind 100 --fingerprint "$(printf 'g%.0s' $(seq 64))"
run 1 user tls-bind 100 --subject 'NOTATYPE=x'
run 1 user tls-bind 100 --subject 'no equals sign'
run 1 user tls-bind 100 --cert "$T/missing.pem"
run 1 user tls-bind 100 --cert "$CONF"
run 2 user tls-bind 100
run 2 user tls-bind 100 --none --cert "$P/b.pem"
run 2 user add 103 --cert "$P/b.pem"
[ "$(snapshot)" = "$before" ] || fail "refused tls-bind changed the store"
ok "bad fingerprints, subjects, certificate files, option mixes: refused, store unchanged"

# The key file must not be readable by others.
chmod 644 "$DB.key"
run 1 user add 104
grep -q "lets others read it" "$T/err" || fail "key file 0644: $(cat "$T/err")"
chmod 600 "$DB.key"
run 0 user add 104
ok "a key file others may read is refused"

# Nothing printed a sealed secret.
sqlite3 "$DB" "SELECT secret_box FROM accounts" >"$T/boxes"
while read -r b; do
	[ -n "$b" ] && grep -qF "$b" "$OUT" && fail "a sealed secret was printed"
done <"$T/boxes"
grep -qi "device secret: [A-Za-z0-9]\{20\}" "$OUT" && fail "a device secret was printed"
ok "no device secret or sealed secret in any output"

#!/bin/bash
# t_ctl_tls -- centinelactl tls: a private CA, a server and a device
# certificate that OpenSSL itself accepts for what they are made for
# (chain, EKU, SANs, fingerprint and subject as printed), file modes
# 0600 for keys, refusals of bad input with exit 2 and one precise line
# and nothing written, no key replaced without --force (and replaced
# with it), no key ever printed; then real TLS handshakes on loopback:
# openssl s_client with the device certificate against openssl s_server
# -Verify with the server certificate (accepted), with the wrong
# certificates (refused), and against centinela's TLS listener loaded
# with the server certificate and its chain.
TEST_ID=56
. "$(dirname "$0")/lib.sh"
need_pkg openssl
CTL=$(dirname "$BIN")/centinelactl
[ -x "$CTL" ] || fail "no centinelactl next to $BIN"
S_PORT=$((TUN_PORT + 1))	# openssl s_server

mode() { stat -c %a "$1"; }
# fp FILE -- "sha256:<hex>" of the first certificate, by openssl.
fp() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 |
	    sed 's/^.*=//; s/://g' | tr 'A-F' 'a-f' | sed 's/^/sha256:/'
}
# field NAME FILE -- "NAME: value" line of centinelactl's output.
field() { sed -n "s/^$1: *//p" "$2" | head -n 1; }
# no_key_in FILE... -- no PEM key and no line of any key file shows.
no_key_in() {
	local f k
	for f in "$@"; do
		grep -q 'PRIVATE KEY' "$f" && fail "$f shows a private key"
		for k in "$T"/*.key "$T"/ca/ca.key; do
			[ -f "$k" ] || continue
			grep -v -- '-----' "$k" | grep -qFf - "$f" &&
			    fail "$f shows a line of $k"
		done
	done
	return 0
}

# ---- create --------------------------------------------------------------

"$CTL" tls ca --out "$T/ca" --cn "Test Lab CA" >"$T/ca.out" 2>"$T/ca.err" ||
    fail "tls ca failed: $(cat "$T/ca.err")"
[ "$(mode "$T/ca/ca.key")" = 600 ] || fail "ca.key mode $(mode "$T/ca/ca.key")"
[ "$(mode "$T/ca")" = 700 ] || fail "CA directory mode $(mode "$T/ca")"
openssl x509 -in "$T/ca/ca.pem" -noout -text >"$T/ca.txt" ||
    fail "ca.pem is not a certificate"
grep -q 'CA:TRUE' "$T/ca.txt" || fail "the CA is not CA:TRUE"
grep -q 'Certificate Sign' "$T/ca.txt" || fail "the CA cannot sign certificates"
[ "$(field fingerprint "$T/ca.out")" = "$(fp "$T/ca/ca.pem")" ] ||
    fail "tls ca printed another fingerprint than openssl computes"
ok "tls ca: CA:TRUE, keyCertSign, ca.key 0600, directory 0700, fingerprint as openssl's"

"$CTL" tls server --ca "$T/ca" --cn localhost --san "DNS:sip.lab.test,IP:127.0.0.1,IP:::1" \
    --out "$T/srv" >"$T/srv.out" 2>"$T/srv.err" ||
    fail "tls server failed: $(cat "$T/srv.err")"
"$CTL" tls device --ca "$T/ca" --cn phone-100 --mac 00:1A:2b:3c:4D:5e \
    --out "$T/dev" >"$T/dev.out" 2>"$T/dev.err" ||
    fail "tls device failed: $(cat "$T/dev.err")"
"$CTL" tls device --ca "$T/ca" --cn trunk-rsa --key rsa --days 30 \
    --out "$T/rsa" >"$T/rsa.out" 2>"$T/rsa.err" ||
    fail "tls device --key rsa failed: $(cat "$T/rsa.err")"
for p in srv dev rsa; do
	[ "$(mode "$T/$p.key")" = 600 ] || fail "$p.key mode $(mode "$T/$p.key")"
	[ "$(mode "$T/$p.pem")" = 644 ] || fail "$p.pem mode $(mode "$T/$p.pem")"
	# The key belongs to the certificate.
	[ "$(openssl x509 -in "$T/$p.pem" -noout -pubkey)" = \
	    "$(openssl pkey -in "$T/$p.key" -pubout)" ] ||
	    fail "$p.key is not the key of $p.pem"
	# PREFIX.pem = certificate + CA certificate.
	[ "$(grep -c 'BEGIN CERTIFICATE' "$T/$p.pem")" = 2 ] ||
	    fail "$p.pem does not hold the certificate and the CA"
	awk 'n == 1; /END CERTIFICATE/ { n++ }' "$T/$p.pem" >"$T/$p.chain"
	cmp -s "$T/$p.chain" "$T/ca/ca.pem" || fail "the second certificate of $p.pem is not ca.pem"
done
ok "server, device, RSA device: keys 0600, certs 0644, key matches cert, PEM = cert + CA"

# ---- what OpenSSL says of them -----------------------------------------

openssl verify -CAfile "$T/ca/ca.pem" -purpose sslserver "$T/srv.pem" >"$T/v1" 2>&1 ||
    fail "openssl verify (sslserver) refused srv.pem: $(cat "$T/v1")"
openssl verify -CAfile "$T/ca/ca.pem" -purpose sslclient "$T/dev.pem" "$T/rsa.pem" >"$T/v2" 2>&1 ||
    fail "openssl verify (sslclient) refused the device certificates: $(cat "$T/v2")"
openssl verify -CAfile "$T/ca/ca.pem" -purpose sslserver "$T/dev.pem" >"$T/v3" 2>&1 &&
    fail "a device certificate verifies as a TLS server"
openssl verify -CAfile "$T/ca/ca.pem" -purpose sslclient "$T/srv.pem" >"$T/v4" 2>&1 &&
    fail "a server certificate verifies as a TLS client"
openssl x509 -in "$T/srv.pem" -out "$T/srv.leaf"
openssl verify -CAfile "$T/srv.leaf" "$T/dev.pem" >"$T/v5" 2>&1 &&
    fail "a leaf certificate acts as a CA"
ok "openssl verify: server cert for sslserver only, device certs for sslclient only, leaves are no CA"

openssl x509 -in "$T/srv.pem" -noout -text >"$T/srv.txt"
openssl x509 -in "$T/dev.pem" -noout -text >"$T/dev.txt"
for w in 'TLS Web Server Authentication' 'CA:FALSE' 'DNS:sip.lab.test' \
    'IP Address:127.0.0.1' 'IP Address:0:0:0:0:0:0:0:1' 'DNS:localhost' \
    'Subject: CN = localhost' 'Issuer: O = centinela lab, CN = Test Lab CA'; do
	grep -qF "$w" "$T/srv.txt" || fail "srv.pem: no \"$w\" in openssl x509 -text"
done
grep -q 'TLS Web Client Authentication' "$T/dev.txt" || fail "dev.pem: no clientAuth"
grep -q 'TLS Web Server Authentication' "$T/dev.txt" && fail "dev.pem: has serverAuth"
grep -qF 'URI:urn:dev:mac:001a2b3c4d5e' "$T/dev.txt" || fail "dev.pem: no MAC URN SAN"
openssl x509 -in "$T/rsa.pem" -noout -text >"$T/rsa.txt"
grep -q 'Public-Key: (3072 bit)' "$T/rsa.txt" || fail "rsa.pem: not a 3072-bit RSA key"
grep -q 'Key Encipherment' "$T/rsa.txt" || fail "rsa.pem: no keyEncipherment"
end=$(openssl x509 -in "$T/rsa.pem" -noout -enddate | cut -d= -f2)
days=$(( ($(date -d "$end" +%s) - $(date +%s) + 3600) / 86400 ))
[ "$days" = 30 ] || fail "rsa.pem: valid for $days days, not 30"
ok "openssl x509 -text: EKU, CA:FALSE, SANs (the CN added), MAC URN, RSA 3072, --days"

# The values an administrator binds: canonical fingerprint, RFC 2253 subject.
f=$(field fingerprint "$T/dev.out")
case $f in sha256:[0-9a-f]*) ;; *) fail "fingerprint \"$f\" not sha256:<hex>" ;; esac
[ ${#f} = 71 ] || fail "fingerprint \"$f\" is not 64 hex digits"
[ "$f" = "$(fp "$T/dev.pem")" ] || fail "printed fingerprint $f, openssl says $(fp "$T/dev.pem")"
s=$(openssl x509 -in "$T/dev.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
[ "$(field subject "$T/dev.out")" = "$s" ] ||
    fail "printed subject \"$(field subject "$T/dev.out")\", openssl says \"$s\""
"$CTL" tls show "$T/dev.pem" >"$T/show.out" 2>&1 || fail "tls show failed"
[ "$(field fingerprint "$T/show.out")" = "$f" ] || fail "tls show: another fingerprint"
[ "$(grep -c '^fingerprint: ' "$T/show.out")" = 2 ] || fail "tls show: not both certificates"
grep -q '^usage: *clientAuth$' "$T/show.out" || fail "tls show: no clientAuth"
grep -q '^SANs: *URI:urn:dev:mac:001a2b3c4d5e' "$T/show.out" || fail "tls show: no SAN"
grep -q '^not after: *20[0-9-]*T' "$T/show.out" || fail "tls show: no validity"
ok "device: fingerprint $f and subject \"$s\" as openssl computes them; tls show agrees"

# ---- refusals ------------------------------------------------------------

snap() { (cd "$T" && find . -type f \( -name '*.pem' -o -name '*.key' -o -name '*tmp*' \) -printf '%p %s\n' | sort; sha256sum ./*.key ca/*.key); }
before=$(snap)
# refused EXIT REASON ARGS... -- exits EXIT, one stderr line with REASON.
refused() {
	local want=$1 reason=$2 rc
	shift 2
	"$CTL" tls "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" -eq "$want" ] || fail "tls $*: exit $rc, want $want ($(cat "$T/err"))"
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail "tls $*: not one line on stderr: $(cat "$T/err")"
	grep -qF -- "$reason" "$T/err" || fail "tls $*: \"$(cat "$T/err")\" does not say \"$reason\""
	[ -s "$T/out" ] && fail "tls $*: printed on stdout: $(cat "$T/out")"
	ok "tls $*: exit $rc: $(cat "$T/err")"
}
refused 2 "--days" ca --out "$T/ca9" --days 0
refused 2 "--days" ca --out "$T/ca9" --days 12x
refused 2 "--days" server --ca "$T/ca" --cn localhost --out "$T/s9" --days 36501
refused 2 '"dsa"' ca --out "$T/ca9" --key dsa
refused 2 "--out is required" server --ca "$T/ca" --cn localhost
refused 2 "--ca DIR is required" device --cn x --out "$T/d9"
refused 2 "--cn is required" server --ca "$T/ca" --out "$T/s9"
refused 2 "needs a value" device --ca "$T/ca" --cn x --out
refused 2 "given twice" device --ca "$T/ca" --cn x --cn y --out "$T/d9"
refused 2 "does not apply" ca --out "$T/ca9" --san DNS:x
refused 2 "does not apply" server --ca "$T/ca" --cn localhost --mac 001122334455 --out "$T/s9"
refused 2 'unknown argument "--frob"' device --ca "$T/ca" --cn x --out "$T/d9" --frob
refused 2 "not a host name" server --ca "$T/ca" --cn 'bad host!' --out "$T/s9"
refused 2 "not DNS:hostname or IP:address" server --ca "$T/ca" --cn localhost --san email:a@b.c --out "$T/s9"
refused 2 "not DNS:hostname or IP:address" server --ca "$T/ca" --cn localhost --san IP:300.1.1.1 --out "$T/s9"
refused 2 "empty entry" server --ca "$T/ca" --cn localhost --san DNS:a,,DNS:b --out "$T/s9"
refused 2 "not a MAC address" device --ca "$T/ca" --cn x --mac 00:11:22:33:44 --out "$T/d9"
refused 2 "not a MAC address" device --ca "$T/ca" --cn x --mac 00:11:22:33:44:gg --out "$T/d9"
refused 2 "letters, digits" device --ca "$T/ca" --cn 'a b' --out "$T/d9"
refused 2 "unknown command" frobnicate
refused 2 "expected one FILE.pem" show
refused 1 "no PEM certificate" show "$T/dev.key"
refused 1 "cannot open" device --ca "$T/nope" --cn x --out "$T/d9"
# A CA whose key is not its certificate's.
mkdir -p "$T/mix"
cp "$T/ca/ca.pem" "$T/mix/ca.pem"
cp "$T/dev.key" "$T/mix/ca.key"
refused 1 "is not the key of" device --ca "$T/mix" --cn x --out "$T/d9"
cp "$T/srv.pem" "$T/mix/ca.pem"
cp "$T/srv.key" "$T/mix/ca.key"
refused 1 "not a CA certificate" device --ca "$T/mix" --cn x --out "$T/d9"
rm -rf "$T/mix"
# Existing files are never replaced without --force.
refused 1 "exists" ca --out "$T/ca"
refused 1 "exists" server --ca "$T/ca" --cn localhost --out "$T/srv"
refused 1 "exists" device --ca "$T/ca" --cn phone-100 --out "$T/dev"
[ "$(snap)" = "$before" ] || fail "refused commands changed, added or left files: $(diff <(echo "$before") <(snap))"
[ ! -e "$T/ca9" ] || fail "a refused tls ca left $T/ca9"
ok "after every refusal: no file added, changed or left behind"

# --force replaces the key and certificate, atomically, with the modes kept.
old=$(sha256sum <"$T/dev.key")
oldfp=$(fp "$T/dev.pem")
"$CTL" tls device --ca "$T/ca" --cn phone-100 --out "$T/dev" --force >"$T/dev2.out" 2>&1 ||
    fail "tls device --force failed: $(cat "$T/dev2.out")"
[ "$(sha256sum <"$T/dev.key")" != "$old" ] || fail "--force kept the old key"
[ "$(fp "$T/dev.pem")" != "$oldfp" ] || fail "--force kept the old certificate"
[ "$(mode "$T/dev.key")" = 600 ] || fail "dev.key mode $(mode "$T/dev.key") after --force"
[ "$(openssl x509 -in "$T/dev.pem" -noout -pubkey)" = "$(openssl pkey -in "$T/dev.key" -pubout)" ] ||
    fail "after --force, dev.key is not the key of dev.pem"
ls "$T" | grep -q 'tmp-' && fail "temporary files left: $(ls "$T" | grep tmp-)"
ok "--force: new key and certificate that belong together, mode 0600, no temporary file left"
no_key_in "$T"/*.out "$T"/*.err
ok "no private key in anything centinelactl printed"

# ---- TLS handshakes on loopback ---------------------------------------

# s_server PORT: requires a client certificate from our CA; one accept.
s_server() {
	openssl s_server -accept "127.0.0.1:$S_PORT" -naccept 1 \
	    -cert "$T/srv.pem" -key "$T/srv.key" -CAfile "$T/ca/ca.pem" \
	    -Verify 2 -verify_return_error -www "$@" >"$T/s_server.out" 2>&1 &
	SPID=$!
	track "$SPID"
	wait_port tcp "$S_PORT"
}
# s_client ARGS... -- one HTTP request over TLS (s_server -www answers
# it and closes: the exchange ends by itself, whatever the timing).
s_client() {
	printf 'GET / HTTP/1.0\r\n\r\n' |
	    timeout 15 openssl s_client -connect "127.0.0.1:$S_PORT" \
	    -CAfile "$T/ca/ca.pem" -verify_return_error -ign_eof "$@" \
	    >"$T/s_client.out" 2>&1
}
s_done() {
	wait_until 5 gone "$SPID" || kill "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	untrack "$SPID"
}

s_server
s_client -cert "$T/dev.pem" -key "$T/dev.key" -verify_hostname sip.lab.test ||
    fail "s_client with the device certificate: $(tail -5 "$T/s_client.out")"
s_done
grep -q 'Verify return code: 0 (ok)' "$T/s_client.out" ||
    fail "the client did not verify the server: $(grep -i verify "$T/s_client.out")"
grep -q 'CN *= *phone-100' "$T/s_server.out" ||
    fail "s_server did not see the device certificate: $(head -5 "$T/s_server.out")"
grep -qi 'error' "$T/s_server.out" && fail "s_server: $(grep -i error "$T/s_server.out")"
ok "handshake (TLS 1.3): s_client with dev.pem <-> s_server -Verify with srv.pem, both verified"

s_server -tls1_2
s_client -tls1_2 -cert "$T/rsa.pem" -key "$T/rsa.key" -verify_ip 127.0.0.1 ||
    fail "s_client (TLS 1.2, RSA device): $(tail -5 "$T/s_client.out")"
s_done
grep -q 'Verify return code: 0 (ok)' "$T/s_client.out" || fail "TLS 1.2: server not verified"
grep -q 'CN *= *trunk-rsa' "$T/s_server.out" || fail "TLS 1.2: s_server did not see the RSA device"
ok "handshake (TLS 1.2): RSA device certificate accepted, server IP SAN verified"

# The server's own certificate as a client certificate: wrong EKU.
s_server -tls1_2
s_client -tls1_2 -cert "$T/srv.pem" -key "$T/srv.key" &&
    fail "a serverAuth-only certificate was accepted as a client certificate"
s_done
grep -qi 'unsuitable certificate purpose\|unsupported certificate purpose' "$T/s_server.out" ||
    fail "s_server refused for another reason: $(grep -i error "$T/s_server.out" | head -3)"
ok "handshake refused: server certificate used as a client certificate (EKU)"

# A device certificate of another CA.
"$CTL" tls ca --out "$T/other" >/dev/null 2>&1 || fail "second CA"
"$CTL" tls device --ca "$T/other" --cn intruder --out "$T/intr" >/dev/null 2>&1 ||
    fail "device of the second CA"
s_server -tls1_2
s_client -tls1_2 -cert "$T/intr.pem" -key "$T/intr.key" &&
    fail "a device certificate of another CA was accepted"
s_done
ok "handshake refused: device certificate of another CA"
# The client checks the server's name against the SANs.
s_server
s_client -cert "$T/dev.pem" -key "$T/dev.key" -verify_hostname other.test &&
    fail "s_client accepted srv.pem for a name not in its SANs"
s_done
ok "handshake refused by the client: host name not in the server's SANs"

# centinela's TLS listener with the server certificate and its chain.
LISTEN="tls 127.0.0.1 $TLS_PORT"
EXTRA="tls = { certificate = \"$T/srv.pem\"; private_key = \"$T/srv.key\"; };"
write_conf "$T/centinela.conf"
start_centinela
# (stdin open for a second: at EOF, s_client may quit before the handshake)
sleep 1 | timeout 15 openssl s_client -connect "127.0.0.1:$TLS_PORT" \
    -CAfile "$T/ca/ca.pem" -verify_return_error -verify_hostname localhost \
    -showcerts >"$T/s_client-c.out" 2>&1 ||
    fail "s_client against centinela: $(tail -5 "$T/s_client-c.out")"
grep -q 'Verify return code: 0 (ok)' "$T/s_client-c.out" || fail "centinela's certificate not verified"
grep -q '^ 1 s:.*Test Lab CA' "$T/s_client-c.out" ||
    fail "centinela did not send the CA certificate of srv.pem's chain"
no_key_in "$LOG"
stop_centinela || fail "centinela did not stop cleanly"
ok "centinela serves srv.pem with its chain; s_client verifies it against ca.pem"

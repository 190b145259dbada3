#!/bin/bash
# t_prov_mtls -- the provisioning service with mutual TLS: with
# client_ca and require_client_cert, a phone without a certificate, with
# one from another CA or a self-signed one gets 403 and no secret, a
# phone with a certificate from the configured CA gets its file; with
# require_client_cert off a certificate given is still checked; with
# require_mac_in_cert the certificate's CN must name the MAC it asks
# for (another phone's certificate gets the 404 of an unknown MAC).
# Certificates come from the openssl CLI.
TEST_ID=53
. "$(dirname "$0")/lib.sh"
need_pkg curl openssl

CTL=$(dirname "$BIN")/centinelactl
PROV_PORT=$((BASE + 50))
URL=https://127.0.0.1:$PROV_PORT
MAC=001565aabbcc
P=$T/pki
mkdir -p "$P"

# ca NAME -- a CA (NAME.pem, NAME.key)
ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$P/$1.key" -out "$P/$1.pem" -days 2 -subj "/CN=$1" \
	    2>>"$T/openssl.err" || fail "openssl: $(cat "$T/openssl.err")"
}
# leaf NAME CA SUBJECT [EXT] -- a certificate NAME.pem issued by CA
leaf() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$P/$1.key" -out "$P/$1.csr" -subj "$3" \
	    2>>"$T/openssl.err" &&
	openssl x509 -req -in "$P/$1.csr" -CA "$P/$2.pem" -CAkey "$P/$2.key" \
	    -CAcreateserial -out "$P/$1.pem" -days 2 \
	    -extfile <(printf '%s\n' "${4:-basicConstraints=CA:FALSE}") \
	    2>>"$T/openssl.err" || fail "openssl: $(cat "$T/openssl.err")"
}
ca phones-ca
ca other-ca
leaf srv phones-ca "/CN=127.0.0.1" "subjectAltName=IP:127.0.0.1"
leaf phone phones-ca "/O=Acme phones/CN=SEP00:15:65:AA:BB:CC"
leaf phone2 phones-ca "/O=Acme phones/CN=0004f2000001"
leaf rogue other-ca "/O=Acme phones/CN=$MAC"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$P/self.key" -out "$P/self.pem" -days 2 -subj "/CN=$MAC" \
    2>>"$T/openssl.err" || fail "openssl: $(cat "$T/openssl.err")"

# conf REQUIRE MAC_IN_CERT
conf() {
	EXTRA="provisioning = { enabled = true; address = \"127.0.0.1\";
	  port = $PROV_PORT; certificate = \"$P/srv.pem\";
	  private_key = \"$P/srv.key\"; client_ca = \"$P/phones-ca.pem\";
	  require_client_cert = $1; require_mac_in_cert = $2; };"
	write_conf "$T/centinela.conf"
}
conf true false
"$CTL" user -c "$T/centinela.conf" add 100 >/dev/null || fail "user add"
"$CTL" device -c "$T/centinela.conf" add "$MAC" --account 100 \
    --template snom >/dev/null || fail "device add"

# code WHO [PATH] -- the HTTP status for a client with certificate WHO
# ("none": without); 000 when the TLS handshake failed. The body is in
# $T/body.
code() {
	local c=()
	[ "$1" = none ] || c=(--cert "$P/$1.pem" --key "$P/$1.key")
	curl -s --max-time 5 --cacert "$P/phones-ca.pem" "${c[@]}" \
	    -o "$T/body" -w '%{http_code}' "$URL${2:-/$MAC.xml}" 2>/dev/null
}
has_secret() { grep -q '<user_pass idx="1" perm="R">[A-Za-z0-9]\{20,\}<' "$T/body"; }

start_centinela
wait_for_log "client certificates required" 5 || fail "service not up"
rm -f "$T/body"
c=$(code none)
[ "$c" = 403 ] || fail "no certificate: HTTP $c"
has_secret && fail "no certificate, yet a secret"
ok "required, no certificate: 403, no secret"
c=$(code rogue)
[ "$c" = 403 ] || fail "certificate of another CA: HTTP $c"
has_secret && fail "certificate of another CA, yet a secret"
ok "certificate of another CA: 403"
c=$(code self)
[ "$c" = 403 ] || fail "self-signed certificate: HTTP $c"
ok "self-signed certificate: 403"
# Refused before the path is looked at: no oracle for bound MACs.
c=$(code none /0004f2999999.xml)
[ "$c" = 403 ] || fail "no certificate, unbound MAC: HTTP $c"
c=$(code phone)
[ "$c" = 200 ] || fail "certificate of the configured CA: HTTP $c"
has_secret || fail "certificate of the configured CA: no secret in $(cat "$T/body")"
ok "certificate of the configured CA: 200 with the secret"
# Any certificate of the CA will do without require_mac_in_cert.
c=$(code phone2)
[ "$c" = 200 ] || fail "another phone's certificate, MAC not required: HTTP $c"
grep -q "prov: fetch mac=$MAC .* cert=verified" "$LOG" ||
    fail "the fetch log line does not say the certificate was verified"
grep -q "prov: refused src=127.0.0.1 .*no client certificate" "$LOG" ||
    fail "no log line for the refusal"
ok "refusals and verified fetches are logged"
stop_centinela || fail "centinela did not stop cleanly"

# Checked when given: no certificate passes, a bad one does not.
conf false false
start_centinela
c=$(code none)
[ "$c" = 200 ] || fail "not required, no certificate: HTTP $c"
c=$(code rogue)
[ "$c" = 403 ] || fail "not required, certificate of another CA: HTTP $c"
c=$(code phone)
[ "$c" = 200 ] || fail "not required, good certificate: HTTP $c"
ok "not required: none 200, bad 403, good 200"
stop_centinela || fail "centinela did not stop cleanly"

# The certificate must name the MAC it asks for.
conf true true
start_centinela
c=$(code phone)
[ "$c" = 200 ] || fail "certificate naming the MAC: HTTP $c"
c=$(code phone2)
[ "$c" = 404 ] || fail "certificate naming another MAC: HTTP $c (want the 404 of an unknown MAC)"
has_secret && fail "another phone's certificate got the secret"
c=$(code rogue)
[ "$c" = 403 ] || fail "another CA, naming the MAC: HTTP $c"
ok "require_mac_in_cert: the phone's own 200, another phone's 404 (as an unknown MAC)"

# A configuration that cannot work is refused by the check.
EXTRA="provisioning = { enabled = true; port = $PROV_PORT;
  certificate = \"$P/srv.pem\"; private_key = \"$P/srv.key\";
  require_client_cert = true; };"
write_conf "$T/bad.conf"
"$BIN" -t -c "$T/bad.conf" >"$T/bad.out" 2>&1 && fail "bad.conf accepted"
grep -q "bad.conf:[0-9]*: provisioning: require_client_cert .*need client_ca" \
    "$T/bad.out" || fail "bad.conf: $(cat "$T/bad.out")"
EXTRA="provisioning = { enabled = true; port = $PROV_PORT; };"
write_conf "$T/bad2.conf"
"$BIN" -t -c "$T/bad2.conf" >"$T/bad2.out" 2>&1 && fail "bad2.conf accepted"
grep -q "needs certificate and private_key" "$T/bad2.out" ||
    fail "bad2.conf: $(cat "$T/bad2.out")"
ok "client certificates without client_ca, HTTPS without a certificate: refused by -t"

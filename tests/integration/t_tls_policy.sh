#!/bin/bash
# t_tls_policy -- TLS profiles, mutual TLS and the require-TLS policy,
# against a PKI made here with the openssl CLI (a lab CA, a server
# certificate, phone100 bound to account 100, stranger signed by the CA
# but bound to nothing, rogue from another CA, trunk bound to a peer):
#   - SIPp (through stunnel, Debian's SIPp has no TLS) with phone100's
#     certificate registers account 100 with no challenge at all (200);
#     with stranger's: 403; with rogue's: no TLS handshake (the
#     tls_handshake drop counts it) and no answer;
#   - the same account over the open TLS listener (no client
#     certificates asked) with the right digest secret but without its
#     certificate: refused (a new challenge; auth_failed reason
#     auth_cert); phone100's certificate cannot speak for account 101;
#   - tls.require = [ "public" ]: a REGISTER or INVITE from a public
#     source over UDP or TCP gets 403 with Reason text "TLS required";
#     an OPTIONS over UDP still gets 200;
#   - a sips: Request-URI over UDP gets 416;
#   - the trunk peer bound by fingerprint: its INVITE over UDP gets 403
#     (tls_cert); over TLS with its certificate it passes the TLS guard
#     (480: the callee is not registered); with another certificate, 403;
#   - SIGHUP with a broken certificate file keeps the running
#     certificate (log line, handshakes still work); SIGHUP with a new
#     certificate serves the new one to the next handshake.
TEST_ID=24
. "$(dirname "$0")/lib.sh"
need_pkg openssl python3 sip-tester stunnel4

DEV_PORT=$TLS_PORT		# profile "devices": client certificate required
OPEN_PORT=$((TLS_PORT + 1))	# default profile: client certificate optional
P=$T/pki
mkdir -p "$P"
TLSREQ() { "$PYTHON" "$ITEST/tlsreq.py" "$@"; }

# ---- PKI --------------------------------------------------------------
ec() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }
ca() {	# ca NAME CN
	ec "$P/$1.key"
	openssl req -x509 -new -key "$P/$1.key" -subj "/CN=$2" -days 30 \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" \
	    -out "$P/$1.pem" 2>/dev/null || fail "cannot make CA $1"
}
leaf() {	# leaf NAME CA SUBJECT EKU
	ec "$P/$1.key"
	openssl req -new -key "$P/$1.key" -subj "$3" -out "$P/$1.csr" \
	    2>/dev/null || fail "cannot make CSR $1"
	printf 'extendedKeyUsage=%s\nsubjectAltName=IP:127.0.0.1\n' "$4" \
	    >"$P/$1.ext"
	openssl x509 -req -in "$P/$1.csr" -CA "$P/$2.pem" -CAkey "$P/$2.key" \
	    -CAcreateserial -days 30 -extfile "$P/$1.ext" -out "$P/$1.pem" \
	    2>/dev/null || fail "cannot sign $1"
}
fp() { openssl x509 -in "$P/$1.pem" -noout -fingerprint -sha256 |
    sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'; }
ca labca "Lab CA"
ca rogueca "Rogue CA"
leaf server labca "/CN=localhost" serverAuth
leaf server2 labca "/CN=localhost-renewed" serverAuth
leaf phone100 labca "/O=Lab/CN=phone100" clientAuth
leaf stranger labca "/O=Lab/CN=stranger" clientAuth
leaf rogue rogueca "/O=Lab/CN=phone100" clientAuth
leaf trunk labca "/O=Carrier/CN=trunk" clientAuth,serverAuth
cp "$P/server.pem" "$P/live.pem"
cp "$P/server.key" "$P/live.key"
ok "PKI: lab CA, server, phone100, stranger, rogue CA + rogue, trunk"

# ---- configuration ------------------------------------------------------
cat >"$T/centinela.conf" <<CONF
listen = (
	{ transport = "udp"; address = "127.0.0.1"; port = $SIP_PORT; },
	{ transport = "tcp"; address = "127.0.0.1"; port = $SIP_PORT; },
	{ transport = "tls"; address = "127.0.0.1"; port = $DEV_PORT;
	  tls_profile = "devices"; },
	{ transport = "tls"; address = "127.0.0.1"; port = $OPEN_PORT; }
);
tls = {
	certificate = "$P/live.pem";
	private_key = "$P/live.key";
	verify_client = "optional";	# trunks show theirs here
	require = [ "public" ];
	profiles = (
		{ name = "devices"; verify_client = "require";
		  ca_file = "$P/labca.pem"; }
	);
};
peers = (
	{ name = "trunk"; cidr = "127.0.0.5/32"; role = "carrier";
	  class = "national"; tls_id = "sha256:$(fp trunk)"; }
);
registrar = { mode = "local"; };
probe = { interval = 500; timeout = 400; failures_down = 2; successes_up = 1; };
callerid = { enabled = false; };
store = { uri = "sqlite:$T/centinela.db"; poll_interval = 200; };
log = { format = "human"; level = "info"; };
metrics = { address = "127.0.0.1"; port = $METRICS_PORT; };
CONF
CTL=$(dirname "$BIN")/centinelactl
ctl() { "$CTL" user -c "$T/centinela.conf" "$@"; }
SECRET=$(user_add "$T/centinela.conf" 100) || fail "user add 100 failed"
[ -n "$SECRET" ] || fail "no secret for 100"
ctl add 101 >/dev/null || fail "user add 101 failed"
ctl tls-bind 100 --cert "$P/phone100.pem" >"$T/bind.txt" 2>&1 ||
    { cat "$T/bind.txt"; fail "user tls-bind 100 failed"; }
ok "account 100 bound to phone100's certificate ($(fp phone100 | cut -c1-16)...)"

start_centinela

# ---- SIPp through stunnel, with a client certificate ---------------------
# tunnel NAME ACCEPT_PORT CERT -- stunnel client to the devices listener.
tunnel() {
	local n=$1 acc=$2 c=$T/$1.conf
	cat >"$c" <<EOF
foreground = yes
pid =
debug = 5
output = $T/$n.log
[sip]
client = yes
accept = 127.0.0.1:$acc
connect = 127.0.0.1:$DEV_PORT
cert = $P/$3.pem
key = $P/$3.key
verifyChain = no
EOF
	stunnel4 "$c" >"$T/$n.stderr" 2>&1 &
	track $!
	wait_port tcp "$acc"
}
tunnel tun-phone $TUN_PORT phone100
tunnel tun-stranger $((TUN_PORT + 1)) stranger
tunnel tun-rogue $((TUN_PORT + 2)) rogue

sipp_reg() {	# sipp_reg NAME TUNNEL_PORT USER CODE
	scenario uac_register_cert USER="$3" CODE="$4"
	cp "$T/uac_register_cert.xml" "$T/$1.xml"
	sipp_run "$1" -sf "$T/$1.xml" -t t1 -i 127.0.0.1 \
	    -p "$((UAC_PORT + ${5:-0}))" -m 1 -key rhost "127.0.0.1:$DEV_PORT" \
	    "127.0.0.1:$2"
}
sipp_reg reg-phone "$TUN_PORT" 100 200 0 ||
    fail "SIPp with phone100's certificate: no 200 ($(tail -3 "$T/reg-phone.out"))"
ok "SIPp + phone100 certificate: REGISTER 100 -> 200, no challenge"
sipp_reg reg-stranger "$((TUN_PORT + 1))" 100 403 1 ||
    fail "SIPp with an unbound certificate: no 403"
ok "SIPp + stranger (CA-signed, bound to nothing): 403"
drops0=$(metric_value centinela_drops_total 'reason="tls_handshake"')
sipp_run reg-rogue -sf "$T/uac_register_cert.xml" -t t1 -i 127.0.0.1 \
    -p "$((UAC_PORT + 2))" -m 1 -recv_timeout 3s \
    -key rhost "127.0.0.1:$DEV_PORT" "127.0.0.1:$((TUN_PORT + 2))" &&
    fail "SIPp with a certificate of another CA got its answer"
wait_metric 5 centinela_drops_total 'reason="tls_handshake"' -gt "${drops0:-0}"
ok "SIPp + rogue CA certificate: no handshake, no answer"

# ---- the same with raw requests ------------------------------------------
TLSREQ --tp tls --port "$DEV_PORT" --cert "$P/phone100.pem" \
    --key "$P/phone100.key" --user 101 --expect 403 >"$T/r1" ||
    fail "phone100's certificate spoke for 101: $(cat "$T/r1")"
ok "phone100's certificate cannot register account 101 (403)"
TLSREQ --tp tls --port "$DEV_PORT" --expect none >"$T/r2" ||
    fail "no client certificate on the devices listener: $(cat "$T/r2")"
ok "devices listener without a client certificate: no handshake"
n0=$(metric_value centinela_events_total 'event="auth_failed",reason="auth_cert"')
TLSREQ --tp tls --port "$OPEN_PORT" --user 100 --secret "$SECRET" \
    --expect 401 >"$T/r3" ||
    fail "account 100 with its secret but no certificate: $(cat "$T/r3")"
wait_metric 5 centinela_events_total \
    'event="auth_failed",reason="auth_cert"' -gt "${n0:-0}"
ok "account 100: right secret without its certificate -> challenged again (auth_cert)"

# ---- require TLS for public sources -------------------------------------
for tp in udp tcp; do
	for m in REGISTER INVITE; do
		TLSREQ --tp $tp --port "$SIP_PORT" --bind 127.0.0.2 \
		    --method $m --expect 403 >"$T/q" ||
		    fail "$m over $tp: $(cat "$T/q")"
		grep -q 'text="TLS required' "$T/q" ||
		    fail "$m over $tp: no Reason: $(cat "$T/q")"
	done
done
ok "REGISTER and INVITE over UDP and TCP from a public source: 403 TLS required"
TLSREQ --tp udp --port "$SIP_PORT" --bind 127.0.0.2 --method OPTIONS \
    --ruri "sip:127.0.0.1:$SIP_PORT" --expect 200 >"$T/q" ||
    fail "OPTIONS over UDP: $(cat "$T/q")"
ok "OPTIONS over UDP still answered"
expect_metric centinela_rejects_total 'reason="tls_required"' -ge 4

# ---- sips: over UDP --------------------------------------------------------
TLSREQ --tp udp --port "$SIP_PORT" --bind 127.0.0.2 --method OPTIONS \
    --ruri "sips:200@127.0.0.1:$OPEN_PORT" --expect 416 >"$T/q" ||
    fail "sips: Request-URI over UDP: $(cat "$T/q")"
ok "sips: Request-URI over UDP: 416"

# ---- the trunk peer bound by fingerprint ----------------------------------
TLSREQ --tp udp --port "$SIP_PORT" --bind 127.0.0.5 --method INVITE \
    --user trunk --expect 403 >"$T/q" || fail "trunk over UDP: $(cat "$T/q")"
grep -q 'client certificate' "$T/q" || fail "trunk over UDP: $(cat "$T/q")"
ok "trunk peer over UDP (no certificate): 403"
TLSREQ --tp tls --port "$OPEN_PORT" --bind 127.0.0.5 --method INVITE \
    --cert "$P/stranger.pem" --key "$P/stranger.key" --user trunk \
    --expect 403 >"$T/q" || fail "trunk with another certificate: $(cat "$T/q")"
ok "trunk peer over TLS with another certificate: 403"
TLSREQ --tp tls --port "$OPEN_PORT" --bind 127.0.0.5 --method INVITE \
    --cert "$P/trunk.pem" --key "$P/trunk.key" --user trunk \
    --expect 480 >"$T/q" || fail "trunk with its certificate: $(cat "$T/q")"
ok "trunk peer over TLS with its certificate: past the TLS guard (480: user 200 not registered)"

# ---- certificate reload ----------------------------------------------------
served() { echo | openssl s_client -connect "127.0.0.1:$OPEN_PORT" 2>/dev/null |
    openssl x509 -noout -subject 2>/dev/null; }
served | grep -q "CN = localhost$" || fail "not serving the first certificate: $(served)"
echo "garbage" >"$P/live.pem"
m=$(log_mark)
kill -HUP "$CENTINELA_PID"
reloaded() { log_since "$1" | grep -q "$2"; }
wait_until 5 reloaded "$m" "tls: reload failed" ||
    fail "no log line for a failed reload"
served | grep -q "CN = localhost$" || fail "a failed reload changed the certificate"
ok "SIGHUP with a broken certificate: logged, the running one stays"
cp "$P/server2.pem" "$P/live.pem"
cp "$P/server2.key" "$P/live.key"
m=$(log_mark)
kill -HUP "$CENTINELA_PID"
wait_until 5 reloaded "$m" "tls: certificates, keys and CAs reloaded" ||
    fail "no log line for the reload"
served | grep -q "CN = localhost-renewed" || fail "still serving the old certificate: $(served)"
ok "SIGHUP with a renewed certificate: served to the next handshake"
grep -F "$SECRET" "$LOG" && fail "the device secret is in the log"
ok "the device secret never reached the log"

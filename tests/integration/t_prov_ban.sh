#!/bin/bash
# t_prov_ban -- a source that asks the provisioning service for MAC
# addresses bound to no device goes on the guard's ban ladder: after
# provisioning.unknown_limit of them it is banned (reason
# prov_unknown_mac, in "centinelactl ban list"), then even the file of
# a bound MAC gets no answer from it, nor does SIP; other sources are
# served; a configured peer is never banned; the all-zero MAC (the
# common file some phones ask for first) does not count; "centinelactl
# ban del" lets the source in again.
TEST_ID=54
. "$(dirname "$0")/lib.sh"
need_pkg curl openssl python3

CTL=$(dirname "$BIN")/centinelactl
PROV_PORT=$((BASE + 50))
URL=https://127.0.0.1:$PROV_PORT
MAC=001565aabbcc
P=$T/pki
mkdir -p "$P"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$P/srv.key" -out "$P/srv.pem" -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" 2>"$T/openssl.err" ||
    fail "openssl: $(cat "$T/openssl.err")"

EXTRA="provisioning = { enabled = true; address = \"127.0.0.1\";
  port = $PROV_PORT; certificate = \"$P/srv.pem\";
  private_key = \"$P/srv.key\"; unknown_limit = 3;
  unknown_window = \"1m\"; };"
write_conf "$T/centinela.conf"
CONF=$T/centinela.conf
"$CTL" user -c "$CONF" add 100 >/dev/null || fail "user add"
"$CTL" device -c "$CONF" add "$MAC" --account 100 --template grandstream \
    >/dev/null || fail "device add"
start_centinela

# code FROM PATH -- HTTP status of a GET from source address FROM
# (000: no answer at all).
code() {
	curl -s --max-time 3 --cacert "$P/srv.pem" --interface "$1" \
	    -o /dev/null -w '%{http_code}' "$URL$2" 2>/dev/null
}
served() { [ "$(code "$1" "/cfg$MAC.xml")" = 200 ]; }
refused() { [ "$(code "$1" "/cfg$MAC.xml")" = 000 ]; }

served 127.0.0.5 || fail "127.0.0.5 not served at first"
ok "127.0.0.5 fetches the bound MAC"

# The all-zero MAC does not count (phones ask for it at boot).
for i in 1 2 3 4 5; do
	[ "$(code 127.0.0.7 /000000000000.cfg)" = 404 ] || fail "all-zero MAC"
done
sleep 1.5
served 127.0.0.7 || fail "the all-zero MAC got 127.0.0.7 banned"
ok "five requests for 000000000000.cfg: still served"

# A configured peer (127.0.0.1, the tests' trunk) is never banned.
for i in 1 2 3 4 5 6; do
	[ "$(code 127.0.0.1 "/prov/00156500000$i.cfg")" = 404 ] ||
	    fail "peer, unknown MAC $i: not 404"
done
sleep 1.5
served 127.0.0.1 || fail "the peer 127.0.0.1 was banned"
ok "six unknown MACs from a peer: never banned"

# Three unknown MACs from a public source: banned.
ping_answered 127.0.0.5 || fail "127.0.0.5 not answered on SIP before"
for i in 1 2 3; do
	c=$(code 127.0.0.5 "/0004f200000$i.cfg")
	[ "$c" = 404 ] || fail "unknown MAC $i from 127.0.0.5: HTTP $c"
done
wait_until 5 refused 127.0.0.5 ||
    fail "127.0.0.5 still served after 3 unknown MACs"
ok "after three unknown MACs 127.0.0.5 gets no answer, even for the bound MAC"
"$CTL" ban -c "$CONF" list >"$T/bans.txt" || fail "ban list"
grep -q "^127.0.0.5/32 *prov_unknown_mac" "$T/bans.txt" ||
    fail "ban list: $(cat "$T/bans.txt")"
grep -q "event=ban src=127.0.0.5.* reason=prov_unknown_mac" "$LOG" ||
    fail "no ban event in the log"
ping_silenced 127.0.0.5 || fail "the banned source is still answered on SIP"
ok "banned on the guard's ladder: ban list, log event, SIP silenced too"
served 127.0.0.6 || fail "127.0.0.6 refused with 127.0.0.5"
ok "another source is still served"

"$CTL" ban -c "$CONF" del 127.0.0.5/32 >/dev/null || fail "ban del"
wait_until 5 served 127.0.0.5 || fail "127.0.0.5 not served after ban del"
ok "ban del: 127.0.0.5 served again"

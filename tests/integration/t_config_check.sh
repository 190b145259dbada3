#!/bin/bash
# t_config_check -- `centinela -t -c FILE`:
#   valid files (the shipped etc/centinela.conf, the embedded default,
#   a file the test library writes) -> exit 0, "FILE: configuration OK"
#   on stdout, nothing on stderr;
#   broken files -> exit 1 and, on stderr, exactly "FILE:LINE: message"
#   naming the line of the offending setting: an unknown setting, port
#   70000, transport "sctp", a bad CIDR, two syntax errors, an unreadable
#   file, and a file with three errors (each reported with its line);
#   TLS: a missing certificate, a key that does not match, an expired
#   certificate, an unusable cipher list, min_version 1.1, "require"
#   without ca_file, an unknown tls_profile, a malformed tls_id.
TEST_ID=16
. "$(dirname "$0")/lib.sh"

# conf_ok FILE|"" -- check passes (empty: the embedded configuration).
conf_ok() {
	local f=$1 name=${1:-<embedded>} rc
	"$BIN" -t ${f:+-c "$f"} >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" -eq 0 ] || { cat "$T/err"; fail "$name: exit $rc, want 0"; }
	grep -qFx "$name: configuration OK" "$T/out" ||
	    fail "$name: no 'configuration OK' line"
	[ -s "$T/err" ] && { cat "$T/err"; fail "$name: errors printed"; }
	ok "$name: exit 0, configuration OK"
}

# conf_bad FILE "LINE: message"... -- check fails with exactly these
# error lines (FILE: prefixed) and nothing else but the summary.
conf_bad() {
	local f=$1 rc e
	shift
	"$BIN" -t -c "$f" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" -eq 1 ] || { cat "$T/err"; fail "$f: exit $rc, want 1"; }
	for e in "$@"; do
		grep -qFx "$f:$e" "$T/err" ||
		    { cat "$T/err"; fail "$f: missing error line '$f:$e'"; }
		ok "$(basename "$f"): exit 1, '$(basename "$f"):$e'"
	done
	grep -qF "configuration OK" "$T/out" && fail "$f: reported OK"
	[ "$(grep -c "^$f:[0-9]*: " "$T/err")" -eq $# ] ||
	    { cat "$T/err"; fail "$f: other errors than expected"; }
}

# The shipped files name build/tls/{cert,key}.pem (make run creates them).
sh "$TOP/scripts/tls-selfsigned.sh" "$T/build/tls" >/dev/null ||
    fail "cannot make a TLS certificate"
conf_ok "$TOP/etc/centinela.conf"
conf_ok ""
make_cert
LISTEN="udp 127.0.0.1 $SIP_PORT; tcp 127.0.0.1 $SIP_PORT; tls 127.0.0.1 $TLS_PORT"
UPSTREAMS="a udp 127.0.0.1 $UAS_PORT 1 1; b tls 127.0.0.1 $((UAS_PORT + 1)) 2 5"
EXTRA='deny = [ "192.0.2.0/24", "2001:db8::/32", "198.51.100.7" ];'
write_conf "$T/generated.conf"
conf_ok "$T/generated.conf"

# Each broken file below: the line numbers are the heredoc's lines.
cat >"$T/unknown.conf" <<'CONF'
listen = (
	{ transport = "udp"; address = "127.0.0.1"; port = 5060; }
);
metrics = { port = 0; };
bogus = 1;
CONF
conf_bad "$T/unknown.conf" '5: unknown setting "bogus"'

cat >"$T/unknown_nested.conf" <<'CONF'
listen = (
	{ transport = "udp"; address = "127.0.0.1"; port = 5060; }
);
tcp = {
	idle_timeout = 1000;
	header_timout = 500;
};
metrics = { port = 0; };
CONF
conf_bad "$T/unknown_nested.conf" '6: unknown setting "header_timout" in tcp'

cat >"$T/port.conf" <<'CONF'
# a listener on a port that does not exist
listen = (
	{ transport = "udp";
	  address = "127.0.0.1";
	  port = 70000; }
);
metrics = { port = 0; };
CONF
conf_bad "$T/port.conf" '5: port: 70000 is out of range [1, 65535]'

cat >"$T/transport.conf" <<'CONF'
listen = (
	{ transport = "udp"; address = "127.0.0.1"; port = 5060; },
	{ transport = "sctp"; address = "127.0.0.1"; port = 5060; }
);
metrics = { port = 0; };
CONF
conf_bad "$T/transport.conf" '3: transport: "sctp" is not udp, tcp or tls'

# (Not the last element of a multi-line array: libconfig 1.5 dates a
# scalar array element at its parser's look-ahead token, so the last
# element before a line break gets the line of the closing "]".)
cat >"$T/cidr.conf" <<'CONF'
listen = (
	{ transport = "udp"; address = "127.0.0.1"; port = 5060; }
);
metrics = { port = 0; };
deny = [
	"10.0.0.0/33",
	"192.0.2.0/24"
];
CONF
conf_bad "$T/cidr.conf" '6: deny[0]: "10.0.0.0/33" is not an address or CIDR range'

cat >"$T/syntax.conf" <<'CONF'
listen = (
	{ transport = "udp"; address = "127.0.0.1"; port = 5060; }
);
upstreams = (
	{ name = "pbx"; host = "127.0.0.1";
	  port = = 5080; transport = "udp"; }
);
CONF
conf_bad "$T/syntax.conf" '6: syntax error'

cat >"$T/syntax2.conf" <<'CONF'
listen = (
	{ transport = "udp"; address = "127.0.0.1"; port = 5060; }
);
log = { level = "info"; ;
metrics = { port = 0; };
CONF
conf_bad "$T/syntax2.conf" '4: syntax error'

cat >"$T/multi.conf" <<'CONF'
listen = (
	{ transport = "udp";
	  address = "127.0.0.1";
	  port = 0; }
);
probe = { interval = 100; timeout = 500; };
log = { level = "loud"; };
metrics = { port = 0; };
CONF
conf_bad "$T/multi.conf" '4: port: 0 is out of range [1, 65535]' \
    '6: probe timeout must not exceed the interval' \
    '7: level: "loud" is not error, warn, info or debug'

conf_bad "$T/missing.conf" '0: cannot read: No such file or directory'

# ---- TLS: certificates are loaded by -t as the daemon would -------------
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj /CN=old -keyout "$T/old.key" -out "$T/old.csr" 2>/dev/null &&
    openssl x509 -req -in "$T/old.csr" -signkey "$T/old.key" -days -1 \
	-out "$T/old.pem" 2>/dev/null || fail "cannot make an expired certificate"
C=$T/tls/cert.pem K=$T/tls/key.pem
tls_conf() {	# tls_conf FILE TLS-SECTION-BODY [EXTRA]
	cat >"$1" <<CONF
listen = (
	{ transport = "tls"; address = "127.0.0.1"; port = 5061; }
);
tls = {
$2
};
metrics = { port = 0; };
${3:-}
CONF
}
tls_conf "$T/tls_missing.conf" "	certificate = \"$T/nope.pem\"; private_key = \"$K\";"
conf_bad "$T/tls_missing.conf" "4: tls: certificate \"$T/nope.pem\": cannot load (error:80000002:system library::No such file or directory)"
tls_conf "$T/tls_mismatch.conf" "	certificate = \"$C\"; private_key = \"$T/old.key\";"
conf_bad "$T/tls_mismatch.conf" "4: tls: private_key \"$T/old.key\" does not match certificate \"$C\""
tls_conf "$T/tls_expired.conf" "	certificate = \"$T/old.pem\"; private_key = \"$T/old.key\";"
conf_bad "$T/tls_expired.conf" "4: tls: certificate \"$T/old.pem\" has expired"
tls_conf "$T/tls_ciphers.conf" "	certificate = \"$C\"; private_key = \"$K\";
	ciphers = \"NOT-A-CIPHER\";"
grep -q . "$T/tls_ciphers.conf" || fail "no file"
"$BIN" -t -c "$T/tls_ciphers.conf" >/dev/null 2>"$T/err" &&
    fail "an unusable cipher list passed"
grep -q "^$T/tls_ciphers.conf:4: tls: ciphers \"NOT-A-CIPHER\": no usable cipher" "$T/err" ||
    { cat "$T/err"; fail "no error line for the cipher list"; }
ok "tls_ciphers.conf: exit 1, no usable cipher"
tls_conf "$T/tls_version.conf" "	certificate = \"$C\"; private_key = \"$K\";
	min_version = \"1.1\";"
conf_bad "$T/tls_version.conf" '6: min_version: "1.1" is not "1.2" or "1.3" (older versions are not offered)'
tls_conf "$T/tls_require.conf" "	certificate = \"$C\"; private_key = \"$K\";
	verify_client = \"require\";"
conf_bad "$T/tls_require.conf" '4: tls: verify_client = "require" needs ca_file (the CA that signs the client certificates)'
tls_conf "$T/tls_ref.conf" "	certificate = \"$C\"; private_key = \"$K\";" \
    'peers = ( { name = "t"; cidr = "192.0.2.1"; role = "pbx"; tls_profile = "nope"; tls_id = "sha256:12ab"; } );'
conf_bad "$T/tls_ref.conf" '8: tls_profile: no profile "nope" in tls.profiles' \
    '8: tls_id: "sha256:12ab" is neither "sha256:<64 hex digits>" nor "subject:<DN>"'

#!/bin/sh
# tests/tools/stir_certs.sh DIR -- the STIR/SHAKEN test PKI of
# tests/unit/test_callerid_stir.c, made with the openssl CLI into DIR
# (which must exist and be empty). Every key is EC P-256 unless stated.
#
#   root.pem            STI-CA root (trusted by the tests)
#   inter.pem           intermediate CA signed by root
#   other-root.pem      another root, not trusted
#   leaf.key            the signing key of every P-256 leaf below
#   leaf-pub.pem        its public key
#   www/good.pem        leaf CN "SHAKEN 1001", TNAuthList SPC 1001, + inter
#   www/expired.pem     same, valid from -10 d to -5 d
#   www/notyet.pem      same, valid from +5 d to +10 d
#   www/other.pem       same, issued by other-root
#   www/notn.pem        no TNAuthList extension
#   www/twospc.pem      TNAuthList with two SPCs (1001, 1002)
#   www/tnonly.pem      TNAuthList with one TN entry instead of an SPC
#   www/badcn.pem       CN "SHAKEN 9999" with SPC 1001
#   www/revoked.pem     revoked by inter (see crl.pem)
#   www/p384.pem        P-384 key (p384.key): unsupported for ES256
#   www/nochain.pem     the good leaf without the intermediate
#   www/garbage.pem     not a certificate
#   crl.pem             CRLs of root and inter (the revoked leaf listed)
#   web-ca.pem          CA of the HTTPS test server
#   web.pem, web.key    HTTPS server certificate for 127.0.0.1 and localhost
#
# SPDX-License-Identifier: BSD-2-Clause
set -eu

d=${1:?usage: stir_certs.sh DIR}
cd "$d"
mkdir -p www

when() {
	date -u -d "$1" +%Y%m%d%H%M%SZ
}

cat > ext.cnf <<'EOF'
[ ca ]
default_ca = ca_any

[ ca_any ]
dir = .
database = $dir/index.txt
new_certs_dir = $dir/new
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
default_crl_days = 30
email_in_dn = no

[ policy_any ]
commonName = supplied
organizationName = optional

[ req ]
distinguished_name = req_dn
prompt = no

[ req_dn ]
CN = unused

[ v_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

[ v_leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
crlDistributionPoints = URI:https://crl.example.org/inter.crl
1.3.6.1.5.5.7.1.26 = DER:30:08:a0:06:16:04:31:30:30:31

[ v_notn ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature

[ v_twospc ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
1.3.6.1.5.5.7.1.26 = DER:30:10:a0:06:16:04:31:30:30:31:a0:06:16:04:31:30:30:32

[ v_tnonly ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
1.3.6.1.5.5.7.1.26 = DER:30:0f:a2:0d:16:0b:33:34:39:31:31:30:30:30:31:32:33

[ v_web ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
EOF

# CA NAME: a CA database directory
newca() {
	mkdir -p "ca-$1/new"
	: > "ca-$1/index.txt"
	echo 1000 > "ca-$1/serial"
	echo 1000 > "ca-$1/crlnumber"
}

key() {
	openssl ecparam -name "${2:-prime256v1}" -genkey -noout -out "$1" 2>/dev/null
}

# issue CA_DIR ISSUER_CERT ISSUER_KEY CSR OUT EXT START END
issue() {
	(cd "$1" && openssl ca -batch -config ../ext.cnf -notext \
	    -cert "../$2" -keyfile "../$3" -in "../$4" -out "../$5" \
	    -extfile ../ext.cnf -extensions "$6" \
	    -startdate "$7" -enddate "$8") > /dev/null 2>&1
}

csr() {
	openssl req -new -config ext.cnf -key "$1" -subj "/CN=$2" -out "$3"
}

past=$(when '-1 day')
far=$(when '+3650 days')
soon=$(when '+30 days')

# roots: self-signed through "openssl ca -selfsign" so that their
# validity can start in the past
for r in root other-root web-ca; do
	newca "$r"
	key "$r.key"
	csr "$r.key" "Test $r" "$r.csr"
	(cd "ca-$r" && openssl ca -batch -config ../ext.cnf -notext -selfsign \
	    -keyfile "../$r.key" -in "../$r.csr" -out "../$r.pem" \
	    -extfile ../ext.cnf -extensions v_ca \
	    -startdate "$past" -enddate "$far") > /dev/null 2>&1
done

newca inter
key inter.key
csr inter.key "Test STI-CA Intermediate" inter.csr
issue ca-root root.pem root.key inter.csr inter.pem v_ca "$past" "$far"

key leaf.key
openssl ec -in leaf.key -pubout -out leaf-pub.pem 2>/dev/null
key p384.key secp384r1
csr leaf.key "SHAKEN 1001" leaf.csr
csr leaf.key "SHAKEN 9999" badcn.csr
csr p384.key "SHAKEN 1001" p384.csr

# leaf NAME CSR EXT START END [CA]: www/NAME.pem = leaf + intermediate
leaf() {
	ca=${6:-inter}
	issue "ca-$ca" "$ca.pem" "$ca.key" "$2" "$1.crt" "$3" "$4" "$5"
	if [ "$ca" = inter ]; then
		cat "$1.crt" inter.pem > "www/$1.pem"
	else
		cp "$1.crt" "www/$1.pem"
	fi
}

leaf good leaf.csr v_leaf "$past" "$soon"
leaf expired leaf.csr v_leaf "$(when '-10 days')" "$(when '-5 days')"
leaf notyet leaf.csr v_leaf "$(when '+5 days')" "$(when '+10 days')"
leaf other leaf.csr v_leaf "$past" "$soon" other-root
leaf notn leaf.csr v_notn "$past" "$soon"
leaf twospc leaf.csr v_twospc "$past" "$soon"
leaf tnonly leaf.csr v_tnonly "$past" "$soon"
leaf badcn badcn.csr v_leaf "$past" "$soon"
leaf revoked leaf.csr v_leaf "$past" "$soon"
leaf p384 p384.csr v_leaf "$past" "$soon"
cp good.crt www/nochain.pem
echo "this is not a certificate" > www/garbage.pem

(cd ca-inter && openssl ca -config ../ext.cnf -cert ../inter.pem \
    -keyfile ../inter.key -revoke ../revoked.crt) > /dev/null 2>&1
(cd ca-inter && openssl ca -config ../ext.cnf -cert ../inter.pem \
    -keyfile ../inter.key -gencrl -out ../inter.crl) > /dev/null 2>&1
(cd ca-root && openssl ca -config ../ext.cnf -cert ../root.pem \
    -keyfile ../root.key -gencrl -out ../root.crl) > /dev/null 2>&1
cat inter.crl root.crl > crl.pem

key web.key
csr web.key "localhost" web.csr
issue ca-web-ca web-ca.pem web-ca.key web.csr web.pem v_web "$past" "$soon"

# sanity: the chain verifies and the revoked leaf is revoked
openssl verify -CAfile root.pem -untrusted inter.pem good.crt > /dev/null
if openssl verify -crl_check -CAfile root.pem -untrusted inter.pem \
    -CRLfile crl.pem revoked.crt > /dev/null 2>&1; then
	echo "stir_certs.sh: revoked leaf verifies" >&2
	exit 1
fi
echo ok

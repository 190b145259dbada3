#!/bin/sh
# tls-selfsigned.sh DIR -- create DIR/cert.pem and DIR/key.pem (a
# self-signed ECDSA P-256 pair for localhost) unless they exist.
set -eu
dir=${1:-build/tls}
[ -s "$dir/cert.pem" ] && [ -s "$dir/key.pem" ] && exit 0
mkdir -p "$dir"
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	-nodes -days 825 -subj "/CN=localhost" \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
	-keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
echo "tls: generated self-signed certificate $dir/cert.pem"

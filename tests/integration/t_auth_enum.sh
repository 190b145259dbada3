#!/bin/bash
TEST_ID=31
. "$(dirname "$0")/lib.sh"
need_pkg python3 curl sipvicious
EXTRA='auth = { nonce_lifetime = 30; };'
write_conf "$T/centinela.conf"
CTL=$(dirname "$BIN")/centinelactl
ctl() { "$CTL" user -c "$T/centinela.conf" "$@"; }
for u in 100 101 150; do ctl add $u >/dev/null || fail "user add $u"; done
start_centinela
python3 "$ITEST/sipauth.py" enumerate --port "$SIP_PORT" --user 100 --unknown 199 --bind 127.0.0.2 || fail "enumerate"

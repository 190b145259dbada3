#!/bin/sh
# deps.sh -- install the Debian packages centinela needs to build, run
# and test, when they are missing. Non-interactive and idempotent.
# Usage: sh scripts/deps.sh [extra-package ...]
set -eu

PKGS="build-essential pkg-config libconfig-dev libssl-dev openssl
libmicrohttpd-dev libcmocka-dev clang libclang-rt-14-dev clang-format
sip-tester curl iproute2 python3 libsqlite3-dev sqlite3 libpq-dev
postgresql libpwquality-dev cracklib-runtime libargon2-dev baresip sipvicious
libmaxminddb-dev libc-ares-dev libnftables-dev nftables libcurl4-openssl-dev
libjansson-dev rbldnsd libmaxmind-db-writer-perl secsipidx python3-aiosmtpd
socat rtpengine-daemon tshark libgnutls28-dev $*"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null

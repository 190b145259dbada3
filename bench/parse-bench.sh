#!/bin/sh
# bench/parse-bench.sh -- build and run the SIP parser micro-benchmark,
# then count instructions per message under callgrind.
# Usage: sh bench/parse-bench.sh [iterations]   (default 2000000)
set -eu

cd "$(dirname "$0")/.."
N=${1:-2000000}
CG_N=100000
CC=${CC:-cc}

mkdir -p build
$CC -std=c17 -D_GNU_SOURCE -O2 -Isrc -include src/core/poison.h \
    bench/parse_bench.c src/sip/*.c src/core/str.c -o build/parse_bench

echo "== wall clock, N=$N"
./build/parse_bench "$N"

if ! command -v valgrind >/dev/null 2>&1; then
	echo "parse-bench: installing valgrind"
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO="sudo"
	$SUDO apt-get install -y -qq --no-install-recommends valgrind >/dev/null
fi

# Two runs so that the fixed start-up cost cancels out: the difference
# between N=CG_N and N=0 is the cost of 2*CG_N parses (INVITE + 200 OK).
out=build/callgrind.parse_bench
ir() {
	rm -f "$out.$1"
	valgrind --tool=callgrind --callgrind-out-file="$out.$1" \
	    ./build/parse_bench "$1" >/dev/null 2>&1
	sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out.$1"
}
base=$(ir 1)
full=$(ir $((CG_N + 1)))
echo "== callgrind, N=$CG_N (each of INVITE and 200 OK)"
echo "total Ir: $full (baseline $base)"
awk -v f="$full" -v b="$base" -v n="$CG_N" 'BEGIN {
	printf "instructions per message: %.0f (average of INVITE and 200 OK)\n",
	    (f - b) / (2 * n)
}'

#!/bin/sh
# run-all.sh -- everything `make test` runs, in order:
#   1. warning-free build of the daemon and tools (-Werror)
#   2. cmocka unit tests under ASan+UBSan
#   3. integration tests: the ASan+UBSan daemon between real SIPp peers
#   4. a short libFuzzer run of every parser harness
#   5. the clang-format check
# and a closing line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
export RESULTS="$PWD/build/results.txt"
mkdir -p build
: > "$RESULTS"
JOBS=$(nproc 2>/dev/null || echo 2)
SAN="SANITIZE=address,undefined"

step() {
	name=$1
	shift
	echo "== $name"
	if "$@"; then
		echo "step $name 1 0" >> "$RESULTS"
	else
		echo "step $name 0 1" >> "$RESULTS"
		echo "== $name FAILED"
	fi
}

step build make -j"$JOBS" WERROR=1 all
step build-asan make -j"$JOBS" WERROR=1 $SAN all
# Unit tests: the count comes from cmocka's own summary lines.
echo "== unit"
make -j"$JOBS" WERROR=1 $SAN unit || true
echo "== integration"
CENTINELA_BIN="$PWD/build/san/centinela" sh tests/integration/run.sh || true
step fuzz make --no-print-directory -f tests/fuzz/fuzz.mk run \
	FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
step format sh scripts/format-check.sh

passed=$(awk '{p += $(NF-1)} END {print p + 0}' "$RESULTS")
failed=$(awk '{f += $NF} END {print f + 0}' "$RESULTS")
echo
awk '$NF > 0 {print "FAILED: " $1 " " $2}' "$RESULTS"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

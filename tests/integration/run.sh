#!/bin/sh
# tests/integration/run.sh [PATTERN] -- run the black-box tests.
#
# Runs every tests/integration/t_*.sh (only those whose name contains
# PATTERN when given), each in a fresh bash with a time limit, against
# $CENTINELA_BIN (default build/centinela, built when missing). For each
# test it appends "integ <name> 1 0" (pass) or "integ <name> 0 1" (fail)
# to $RESULTS (default build/results.txt) and prints PASS/FAIL; a failed
# test has already printed the tail of the daemon's and SIPp's logs.
# Work files stay in build/itest/<name>/. Exit status 0 when all passed.
#
# Environment: CENTINELA_BIN, RESULTS, ITEST_TIMEOUT (seconds per test,
# default 120). A test that needs longer declares its own limit with a
# line ITEST_LIMIT=NNN (seconds, at most 240), used instead of
# ITEST_TIMEOUT for that test.
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD
: "${RESULTS:=$TOP/build/results.txt}"
: "${ITEST_TIMEOUT:=120}"
mkdir -p build/itest "$(dirname "$RESULTS")"

if [ -z "${CENTINELA_BIN:-}" ]; then
	CENTINELA_BIN=$TOP/build/centinela
	if [ ! -x "$CENTINELA_BIN" ]; then
		make -j2 all >build/itest/make.log 2>&1 || {
			tail -n 30 build/itest/make.log
			echo "integration: cannot build $CENTINELA_BIN"
			echo "integ build 0 1" >>"$RESULTS"
			exit 1
		}
	fi
fi
export CENTINELA_BIN

# Every test owns the ports 20000 + 100 * TEST_ID ..+99: IDs must differ.
dups=$(grep -h '^TEST_ID=' tests/integration/t_*.sh | sort | uniq -d)
if [ -n "$dups" ]; then
	echo "integration: duplicate TEST_ID in tests/integration: $dups"
	echo "integ test_ids 0 1" >>"$RESULTS"
	exit 1
fi

# What the tests need, installed once here rather than under each
# test's time limit (each test calls need_pkg for itself too).
TEST_ID='' . tests/integration/lib.sh
need_pkg sip-tester stunnel4 curl python3 openssl iproute2 procps sipvicious \
    rbldnsd libmaxmind-db-writer-perl nftables python3-aiosmtpd ||
    echo "integration: warning: could not install every package"

echo "integration: daemon $CENTINELA_BIN"
pass=0
failn=0
failed=""
start=$(date +%s)
for t in tests/integration/t_*.sh; do
	name=$(basename "$t" .sh)
	name=${name#t_}
	if [ -n "${1:-}" ]; then
		case $name in *"$1"*) ;; *) continue ;; esac
	fi
	# The test's own limit when it declares one (ITEST_LIMIT=NNN, read
	# like TEST_ID; at most 240 s), else ITEST_TIMEOUT.
	limit=$(sed -n 's/^ITEST_LIMIT=\([0-9][0-9]*\).*/\1/p' "$t" | head -n 1)
	if [ -z "$limit" ]; then
		limit=$ITEST_TIMEOUT
	elif [ "$limit" -gt 240 ]; then
		echo "  [$name] ITEST_LIMIT=$limit is above 240 s: 240 s used"
		limit=240
	fi
	t0=$(date +%s)
	echo "== integ $name"
	# A fresh environment: a new bash, its own process group (timeout
	# signals the whole group), nothing inherited but what it needs.
	env -i PATH="$PATH" HOME="${HOME:-/root}" LANG=C.UTF-8 \
	    CENTINELA_BIN="$CENTINELA_BIN" TMPDIR="${TMPDIR:-/tmp}" \
	    timeout -k 10 "$limit" bash "$t" </dev/null
	rc=$?
	dt=$(( $(date +%s) - t0 ))
	# A test stops everything it started: nothing may still listen in
	# its port range (20000 + 100 * TEST_ID ..+99) afterwards.
	id=$(sed -n 's/^TEST_ID=\([0-9]*\).*/\1/p' "$t" | head -n 1)
	if [ -n "$id" ]; then
		lo=$((20000 + 100 * id))
		left=$(ss -Hlntup 2>/dev/null | awk -v lo="$lo" '{
			n = split($5, a, ":"); p = a[n] + 0
			if (p >= lo && p < lo + 100) print }')
		if [ -n "$left" ]; then
			echo "  [$name] FAIL: processes left behind:"
			echo "$left" | sed 's/^/  | /'
			[ "$rc" -eq 0 ] && rc=1
		fi
	fi
	if [ "$rc" -eq 0 ]; then
		echo "PASS integ $name (${dt}s)"
		echo "integ $name 1 0" >>"$RESULTS"
		pass=$((pass + 1))
	else
		[ "$rc" -eq 124 ] && echo "  (time limit of ${limit}s hit)"
		echo "FAIL integ $name (${dt}s, status $rc)"
		echo "integ $name 0 1" >>"$RESULTS"
		failn=$((failn + 1))
		failed="$failed $name"
	fi
done
echo "integration: $(( $(date +%s) - start ))s${failed:+, failed:$failed}"
echo "integration: $pass passed, $failn failed"
[ "$failn" -eq 0 ]

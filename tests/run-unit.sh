#!/bin/sh
# run-unit.sh DIR [NAME] -- run the cmocka test programs in DIR (all, or
# test_NAME only) and append "unit PASS|FAIL count" lines to
# $RESULTS (default: build/results.txt).
set -u
dir=$1
only=${2:-}
results=${RESULTS:-build/results.txt}
mkdir -p "$(dirname "$results")"
status=0
for t in "$dir"/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	[ -n "$only" ] && [ "$name" != "test_$only" ] && continue
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E '\[  (FAILED|PASSED|ERROR) ' >&2
	passed=$(printf '%s\n' "$out" | sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	failed=$(printf '%s\n' "$out" | sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	passed=${passed:-0}
	failed=${failed:-0}
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		# crashed or sanitizer abort: count the program as one failure
		failed=1
		printf '%s\n' "$out" | tail -n 30 >&2
	fi
	[ "$failed" -ne 0 ] && { status=1; printf '%s\n' "$out" | grep -E 'FAIL|ERROR|error' | head -n 20 >&2; }
	echo "unit $name $passed $failed" >> "$results"
	echo "unit: $name: $passed passed, $failed failed"
done
exit $status

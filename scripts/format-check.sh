#!/bin/sh
# format-check.sh -- fail when a tracked C file differs from what
# clang-format (.clang-format at the top) makes of it.
set -u
cd "$(dirname "$0")/.."
bad=0
for f in $(git ls-files '*.c' '*.h'); do
	if ! clang-format --style=file "$f" | cmp -s - "$f"; then
		echo "format: $f differs from clang-format (run: make format)"
		bad=1
	fi
done
[ "$bad" -eq 0 ] && echo "format: all files match .clang-format"
exit $bad

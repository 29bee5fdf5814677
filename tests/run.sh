#!/bin/bash
# Runs every test: unit binaries (build/tests/test_*), then the shell tests
# tests/test-*.sh (XDP, netns/veth integration).  Each prints "ok NAME" or
# "FAIL NAME: why" lines (skips print "skip NAME: why"); this script counts
# them and ends with "N passed, N failed".
# Usage: tests/run.sh [PATTERN]   (only tests whose file name matches)
set -u
cd "$(dirname "$0")/.." || exit 1
pattern=${1:-}
log=$(mktemp /tmp/nfxtest-log.XXXXXX)
trap 'rm -f "$log"' EXIT

run_one() {
	local name=$1; shift
	local rc tag=""
	[[ "$name" == asan:* ]] && tag="asan:"
	echo "== $name"
	"$@" 2>&1 | sed -E "s/^(ok|FAIL|skip) /\1 $tag/" | tee -a "$log" | sed 's/^/   /'
	rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ] && ! grep -q "^FAIL" <<<"$(tail -n 50 "$log")"; then
		echo "FAIL $name: exited with status $rc" | tee -a "$log"
	fi
}

# build-asan/ holds the same unit tests built with ASan + UBSan (make asan)
for t in build/tests/test_* build-asan/tests/test_*; do
	[ -x "$t" ] || continue
	[ -n "$pattern" ] && [[ "$t" != *$pattern* ]] && continue
	name=$(basename "$t")
	if [[ "$t" == build-asan/* ]]; then
		name="asan:$name"
		run_one "$name" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
			UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$t"
	else
		run_one "$name" "$t"
	fi
done
for t in tests/test-*.sh; do
	[ -f "$t" ] || continue
	[ -n "$pattern" ] && [[ "$t" != *$pattern* ]] && continue
	run_one "$(basename "$t")" bash "$t"
done

passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^FAIL ' "$log")
skipped=$(grep -c '^skip ' "$log")
[ "$skipped" -gt 0 ] && grep '^skip ' "$log"
[ "$failed" -gt 0 ] && { echo "failures:"; grep '^FAIL ' "$log"; }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]

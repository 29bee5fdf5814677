#!/bin/bash
# Runs every test, one tier (folder) after the other:
#   unit     tests/unit/test_*.c, built in build/tests/, then again from
#            build-asan/tests/ (ASan + UBSan, make asan); no root
#   bpf      tests/bpf/test_*.c: the XDP program through BPF_PROG_TEST_RUN
#            (root), also its ASan build
#   offline  tests/offline/test-*.sh: no root, no network namespace
#   netns    tests/netns/test-*.sh: network namespaces and veths (root)
#   meta     tests/meta/test-*.sh: other tiers again under a tool (TSan, libFuzzer)
# Each test prints "ok NAME" or "FAIL NAME: why" lines (skips print "skip
# NAME: why"); this script counts them and ends with "N passed, N failed".
# Usage: tests/run.sh [PATTERN]   (only tests whose tier/name or path matches)
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

# wanted TIER PATH: PATTERN (if any) is in "TIER/NAME PATH"
wanted() {
	[ -z "$pattern" ] || [[ "$1/$(basename "$2") $2" == *$pattern* ]]
}

# binaries TIER BUILD_DIR: the tier's C tests as built in BUILD_DIR/tests
binaries() {
	local tier=$1 dir=$2 src name t

	for src in tests/"$tier"/test_*.c; do
		[ -f "$src" ] || continue
		name=$(basename "$src" .c)
		t=$dir/tests/$name
		wanted "$tier" "$t" || continue
		if [ "$dir" = build ]; then
			[ -x "$t" ] || { echo "FAIL $name: not built (make)" | tee -a "$log"; continue; }
			run_one "$name" "$t"
		elif [ ! -d "$dir/tests" ]; then
			echo "skip asan: the $tier tests, $dir not built (make asan)" | tee -a "$log"
			return
		elif [ ! -x "$t" ]; then
			echo "skip asan:$name: not built (make asan)" | tee -a "$log"
		else
			run_one "asan:$name" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
				UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$t"
		fi
	done
}

scripts() {
	local tier=$1 t

	for t in tests/"$tier"/test-*.sh; do
		[ -f "$t" ] || continue
		wanted "$tier" "$t" || continue
		run_one "$(basename "$t")" bash "$t"
	done
}

echo "=== unit";    binaries unit build; binaries unit build-asan
echo "=== bpf";     binaries bpf build; binaries bpf build-asan
echo "=== offline"; scripts offline
echo "=== netns";   scripts netns
echo "=== meta";    scripts meta

passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^FAIL ' "$log")
skipped=$(grep -c '^skip ' "$log")
[ "$skipped" -gt 0 ] && grep '^skip ' "$log"
[ "$failed" -gt 0 ] && { echo "failures:"; grep '^FAIL ' "$log"; }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]

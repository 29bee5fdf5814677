#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-asan.sh - hostile input against the daemon built with AddressSanitizer
# and UBSan (make asan: build-asan/nfxdp).  tests/netns/test-flood.sh sends
# what reaches the daemon's decoders live (bad set lengths and templates,
# record overruns, random set bodies, malformed sFlow, fragments, template
# churn from 20 000 spoofed exporters), here for a shorter flood; the
# malformed captures (tests/data/malformed) go through `nfxdp decode`, and
# every setup error of tests/netns/test-setup-errors.sh ends without a leak.
# Each must pass, and neither sanitizer may report anything: both halt on
# the first error; ASan writes to a log this test reads, UBSan to nfxdp's
# stderr, which tests/netns/lib.sh and this test read.
set -u
cd "$(dirname "$0")/../.." || exit 1
NAME=asan
BIN=$PWD/build-asan/nfxdp
if [ ! -x "$BIN" ]; then
	# make asan builds both: its unit tests without the daemon is an old Makefile
	[ -d build-asan/tests ] && { echo "FAIL $NAME: build-asan/nfxdp not built by make asan"; exit 1; }
	echo "skip $NAME: build-asan/nfxdp not built (make asan)"
	exit 0
fi
LOGS=$(mktemp -d /tmp/nfxt-asan.XXXXXX)
trap 'rm -rf "$LOGS"' EXIT
failed=0

# san_env TAG CMD...: CMD with both sanitizers logging to $LOGS/TAG.PID
san_env() {
	local tag=$1; shift
	ASAN_OPTIONS="log_path=$LOGS/$tag:halt_on_error=1:abort_on_error=0:detect_leaks=1" \
	UBSAN_OPTIONS="log_path=$LOGS/$tag:halt_on_error=1:print_stacktrace=1" "$@"
}

# verdict TAG WHAT OUTPUT: FAIL on a sanitizer report (in a log, or in the
# output: UBSan writes to stderr whatever its log_path when linked with
# ASan), a FAIL line or no ok line
verdict() {
	local tag=$1 what=$2 out=$3 bad good report='runtime error:|ERROR: [A-Za-z]+Sanitizer'

	bad=$(grep -c '^FAIL' <<<"$out")
	good=$(grep -c '^ok' <<<"$out")
	if ls "$LOGS/$tag".* >/dev/null 2>&1 || grep -qE "$report" <<<"$out"; then
		echo "FAIL $NAME: $what: sanitizer reports:"
		cat "$LOGS/$tag".* 2>/dev/null | cat - <(printf '%s\n' "$out") |
			grep -m1 -A14 -E "$report" | head -24 | sed 's/^/# /'
		failed=1
	elif [ "$bad" -gt 0 ] || [ "$good" -eq 0 ]; then
		echo "FAIL $NAME: $what under ASan: $bad failed, $good passed"
		grep '^FAIL' <<<"$out" | head -5 | sed 's/^/# /'
		failed=1
	else
		echo "ok $NAME $what: $good checks passed, no sanitizer report"
	fi
}

out=$(san_env flood env NFXDP="$BIN" NFXT_FLOOD_SECONDS=${NFXT_FLOOD_SECONDS:-8} \
	NFXT_FLOOD_FRAMES=${NFXT_FLOOD_FRAMES:-80000} bash tests/netns/test-flood.sh 2>&1)
if grep -q '^skip' <<<"$out" && ! grep -q '^ok' <<<"$out"; then
	echo "skip $NAME: test-flood: $(grep -m1 '^skip' <<<"$out")"
else
	verdict flood test-flood "$out"
fi
out=$(san_env setup env NFXDP="$BIN" bash tests/netns/test-setup-errors.sh 2>&1)
verdict setup "setup errors" "$out"
out=$(san_env decode python3 tests/tools/malformed_decode.py "$BIN" tests/data/malformed 2>&1)
verdict decode "malformed captures" "$out"
exit $failed

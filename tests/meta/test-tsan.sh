#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-tsan.sh - the daemon's worker threads under ThreadSanitizer.  The
# tests that run nfxdp on a 2-queue veth (a worker thread per queue, the
# main thread reading their counters for /metrics, reloading the
# configuration and moving listeners under them, SIGHUP reopening the
# shared output, five live hand-overs between daemons with worker threads,
# templates replayed from one worker to the other)
# run again with build-tsan/nfxdp (make tsan).  Each must
# pass, and ThreadSanitizer must report nothing.
set -u
cd "$(dirname "$0")/../.." || exit 1
NAME=tsan
BIN=$PWD/build-tsan/nfxdp
[ -x "$BIN" ] || { echo "skip $NAME: build-tsan/nfxdp not built (make tsan)"; exit 0; }
[ "$(nproc)" -ge 2 ] || { echo "skip $NAME: one CPU, no worker threads"; exit 0; }
LOGS=$(mktemp -d /tmp/nfxt-tsan.XXXXXX)
trap 'rm -rf "$LOGS"' EXIT
failed=0

for t in xsk metrics reconcile aggregate handover template-share; do
	out=$(NFXDP=$BIN TSAN_OPTIONS="log_path=$LOGS/$t second_deadlock_stack=1" \
		bash "tests/netns/test-$t.sh" 2>&1)
	bad=$(grep -c '^FAIL' <<<"$out")
	good=$(grep -c '^ok' <<<"$out")
	if ls "$LOGS/$t".* >/dev/null 2>&1; then
		echo "FAIL $NAME: test-$t: ThreadSanitizer reports:"
		grep -h -A12 'WARNING: ThreadSanitizer' "$LOGS/$t".* | head -60 | sed 's/^/# /'
		failed=1
	elif [ "$bad" -gt 0 ] || [ "$good" -eq 0 ]; then
		echo "FAIL $NAME: test-$t under TSan: $bad failed, $good passed"
		grep '^FAIL' <<<"$out" | head -5 | sed 's/^/# /'
		failed=1
	else
		echo "ok $NAME test-$t: $good checks passed, no race reported"
	fi
done
exit $failed

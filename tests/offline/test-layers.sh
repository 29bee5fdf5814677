#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-layers.sh - scripts/check-layers.sh (the user/ layering: base <- stages
# <- control <- daemon <- cmd, no include cycle) as a test: "ok layers ..."
# or one "FAIL layers: ..." line per violation.  No build, no privileges.
set -u
cd "$(dirname "$0")/../.." || exit 1

out=$(scripts/check-layers.sh 2>&1)
rc=$?
if [ "$rc" -eq 0 ]; then
	echo "ok layers ${out#layers: }"
	exit 0
fi
# a violation per line, but an include cycle over several (tsort's words)
sed '/^include cycle:/,$d; s/^/FAIL layers: /' <<<"$out"
if grep -q '^include cycle:' <<<"$out"; then
	echo "FAIL layers: include cycle among $(sed -n 's#^  tsort: \([a-z_]*/[a-z_0-9]*\)$#\1#p' <<<"$out" |
		sort -u | paste -sd ' ')"
fi
exit "$rc"

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-manpages.sh - the man pages cannot drift from the binary: nfxdp.json(5)
# against `nfxdp config-keys` (every key, its type, range, default and whether
# a reload applies it) and nfxdp(8) against `nfxdp --help` and each command's
# --help (tests/tools/manpage_check.py says which key or option is missing,
# and for a new key the entry to add); both pages render without a groff
# warning.  No privileges.
set -u
cd "$(dirname "$0")/../.." || exit 1
NFXDP=${NFXDP:-build/nfxdp}
MAN8=${MAN8:-doc/man/nfxdp.8}
MAN5=${MAN5:-doc/man/nfxdp.json.5}

if [ ! -x "$NFXDP" ]; then
	echo "FAIL manpages: $NFXDP not built (make)"
	exit 1
fi
python3 tests/tools/manpage_check.py "$NFXDP" "$MAN8" "$MAN5"
rc=$?
if ! command -v groff >/dev/null; then
	echo "skip manpage-render: groff missing (apt-get install groff-base)"
	exit "$rc"
fi
for page in "$MAN8" "$MAN5"; do
	warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
	if [ -n "$warn" ]; then
		echo "FAIL manpage-render: $page: $(head -n 3 <<<"$warn" | paste -sd ' ')"
		rc=1
	else
		echo "ok manpage-render: $page"
	fi
done
exit "$rc"

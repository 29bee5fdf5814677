#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-systemd-unit.sh - dist/nfxdp@.service passes `systemd-analyze verify`
# (no warning at all, with the built binary in place of /usr/sbin/nfxdp; the
# man pages it names are checked by test-manpages.sh and, installed, by
# tests/meta/test-deb.sh), every option its ExecStart passes is one that
# `nfxdp run --help` lists, and its exposure stays at the level the README
# quotes (systemd-analyze security --offline=true).  No privileges; works
# without systemd as PID 1.
set -u
cd "$(dirname "$0")/../.." || exit 1
NFXDP=${NFXDP:-build/nfxdp}
UNIT=dist/nfxdp@.service
# the README's figure; a change to the unit that raises it must say so there
MAX_EXPOSURE=2.1

if ! command -v systemd-analyze >/dev/null; then
	echo "skip systemd-unit: systemd-analyze missing (apt-get install systemd)"
	exit 0
fi
[ -x "$NFXDP" ] || { echo "FAIL systemd-unit: $NFXDP not built (make)"; exit 1; }
tmp=$(mktemp -d /tmp/nfxtest-unit.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
sed "s|/usr/sbin/nfxdp|$(realpath "$NFXDP")|" "$UNIT" > "$tmp/nfxdp@.service"
rc=0

out=$(systemd-analyze verify --man=no "$tmp/nfxdp@.service" 2>&1)
if [ -n "$out" ]; then
	echo "FAIL systemd-unit-verify: $(head -n 5 <<<"$out" | paste -sd ' ')"
	rc=1
else
	echo "ok systemd-unit-verify: $UNIT"
fi

help=$("$NFXDP" run --help)
bad=""
for o in $(sed -n 's/^ExecStart=[^ ]* run //p' "$UNIT" | grep -o -- '--\?[a-z][a-z-]*' | grep '^-'); do
	grep -qE -- "(^|[ ,\[])$o([ ,=]|$)" <<<"$help" || bad="$bad $o"
done
if [ -n "$bad" ]; then
	echo "FAIL systemd-unit-options: ExecStart passes$bad, which nfxdp run --help does not list"
	rc=1
else
	echo "ok systemd-unit-options: ExecStart's options are nfxdp run's"
fi

score=$(systemd-analyze security --offline=true "$tmp/nfxdp@.service" 2>&1 |
	sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -z "$score" ]; then
	echo "FAIL systemd-unit-security: no exposure level from systemd-analyze security"
	rc=1
elif awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s > m) }'; then
	echo "FAIL systemd-unit-security: exposure $score, above the $MAX_EXPOSURE the README quotes"
	rc=1
else
	echo "ok systemd-unit-security: exposure $score (at most $MAX_EXPOSURE)"
fi
exit "$rc"

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-deb.sh - the Debian package end to end: built from this tree
# (scripts/build-deb.sh, unit tests skipped: the tiers run them), lintian
# without errors, installed with dpkg -i (user nfxdp, its directories,
# conffiles, man pages, a unit that passes systemd-analyze verify, a
# logrotate snippet logrotate accepts), the installed binary decoding a
# corpus capture like the reference and, in a network namespace, collecting
# NetFlow from a veth with the packaged configuration into
# /var/log/nfxdp; then removed (conffiles and the data directories stay)
# and purged (nothing stays but the system user, which Debian keeps).  A
# trap purges the package even when a step fails.  Root; skips where the
# Debian tools are missing or an nfxdp package is installed already.
set -u
cd "$(dirname "$0")/../.." || exit 1

for t in dpkg dpkg-buildpackage dh fakeroot lintian; do
	command -v "$t" >/dev/null ||
		{ echo "skip deb: $t missing (scripts/install-deps.sh installs it)"; exit 0; }
done
[ "$(id -u)" -eq 0 ] || { echo "skip deb: needs root (dpkg -i)"; exit 0; }
if dpkg-query -W -f='${Status}' nfxdp 2>/dev/null | grep -qv not-installed; then
	echo "skip deb: a package nfxdp is on this machine already; the test would replace it"
	exit 0
fi
for d in /etc/nfxdp /var/lib/nfxdp /var/log/nfxdp; do
	[ -e "$d" ] && { echo "skip deb: $d exists without the package; the test would delete it"; exit 0; }
done
[ -z "${NFXT_PRIVATE_MNT:-}" ] && ! getent passwd nfxdp >/dev/null && export DEB_MADE_USER=1

# the installed binary; netns helpers and cleanup (a private mount namespace
# with its own bpffs, two network namespaces joined by a veth)
export NFXDP=/usr/sbin/nfxdp
source tests/netns/lib.sh

VERSION=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
# everything of ours the package may leave behind (dpkg's own records of
# a removed package aside; /run/nfxdp is any daemon's, also a source build's)
leftovers() {
	find /etc /var/lib /var/log /lib/systemd /usr/sbin /usr/lib/bpf /usr/share/man \
		/usr/share/doc \( -name '*nfxdp*' -o -name 'nfx_xdp*' \) 2>/dev/null |
		grep -v '^/var/lib/dpkg/' | sort
}

deb_cleanup() {
	dpkg -P nfxdp >/dev/null 2>&1
	if [ "${DEB_MADE_USER:-0}" = 1 ] && getent passwd nfxdp >/dev/null; then
		userdel nfxdp 2>/dev/null
		getent group nfxdp >/dev/null && groupdel nfxdp 2>/dev/null
	fi
}
NFXT_EXTRA_CLEANUP=deb_cleanup

# ---- build, lintian ----
t0=$(date +%s)
deb=$(DEB_BUILD_OPTIONS=nocheck scripts/build-deb.sh "$WORK/deb" 2>"$WORK/build.err") ||
	{ fail "build: $(tail -n 5 "$WORK/build.err" | paste -sd ' ')"; exit 1; }
ok "build: $(basename "$deb") in $(($(date +%s) - t0)) s"

lintian --show-overrides --display-info "$deb" >"$WORK/lintian.txt" 2>/dev/null
summary=$(awk '/^[EWIPXO]: / { n[substr($1, 1, 1)]++ }
	END { printf "%d errors, %d warnings, %d info, %d overridden",
		n["E"], n["W"], n["I"], n["O"] }' "$WORK/lintian.txt")
if grep -q '^E: ' "$WORK/lintian.txt"; then
	fail "lintian: $summary: $(grep '^E: ' "$WORK/lintian.txt" | head -n 5 | paste -sd ' ')"
else
	ok "lintian: $summary"
	grep '^W: ' "$WORK/lintian.txt" | sed 's/^/# /'
fi

# ---- install ----
dpkg -i "$deb" >"$WORK/dpkg.log" 2>&1 ||
	{ fail "dpkg -i: $(tail -n 5 "$WORK/dpkg.log" | paste -sd ' ')"; exit 1; }
missing=""
for f in /usr/sbin/nfxdp /usr/lib/bpf/nfx_xdp.bpf.o /lib/systemd/system/nfxdp@.service \
	/etc/nfxdp/nfxdp.json /etc/logrotate.d/nfxdp /etc/default/nfxdp \
	/usr/share/man/man8/nfxdp.8.gz /usr/share/man/man5/nfxdp.json.5.gz; do
	[ -e "$f" ] || missing="$missing $f"
done
conf=$(dpkg-query -W -f='${Conffiles}' nfxdp | awk '{ print $1 }' | sort | paste -sd ' ')
user=$(getent passwd nfxdp | cut -d: -f3,7)
dirs=$(stat -c '%n %U:%G %a' /var/lib/nfxdp /var/log/nfxdp 2>&1 | paste -sd ' ')
if [ -z "$missing" ] &&
	[ "$conf" = "/etc/default/nfxdp /etc/logrotate.d/nfxdp /etc/nfxdp/nfxdp.json" ] &&
	[ "${user%%:*}" -lt 1000 ] && [ "${user#*:}" = /usr/sbin/nologin ] &&
	[ "$dirs" = "/var/lib/nfxdp nfxdp:nfxdp 700 /var/log/nfxdp nfxdp:nfxdp 750" ]; then
	ok "installed: files, conffiles ($conf), system user nfxdp (uid ${user%%:*}), $dirs"
else
	fail "installed: missing [$missing] conffiles [$conf] user [$user] dirs [$dirs]"
fi

v=$("$NFXDP" --version 2>&1)
if [ "$(head -n 1 <<<"$v")" = "nfxdp $VERSION" ] && grep -q '^libbpf ' <<<"$v" &&
	grep -q '^libxdp ' <<<"$v"; then
	ok "version: $(paste -sd ';' <<<"$v")"
else
	fail "nfxdp --version: $v (want nfxdp $VERSION and the libbpf/libxdp lines)"
fi

if command -v systemd-analyze >/dev/null; then
	man_check=--man=no
	command -v man >/dev/null && man_check=--man=yes
	out=$(systemd-analyze verify "$man_check" /lib/systemd/system/nfxdp@.service 2>&1)
	if [ -z "$out" ]; then ok "unit: systemd-analyze verify $man_check"; else
		fail "unit: $(head -n 5 <<<"$out" | paste -sd ' ')"; fi
fi
if command -v logrotate >/dev/null; then
	out=$(logrotate -d /etc/logrotate.d/nfxdp 2>&1)
	if grep -qi 'error' <<<"$out"; then fail "logrotate: $(grep -i error <<<"$out" | head -n 3)"
	else ok "logrotate: the snippet parses"; fi
fi

# ---- the installed binary offline ----
c=pmacct-v9
if "$NFXDP" decode --ms-times tests/data/corpus/$c.pcap >"$WORK/$c.ndjson" 2>"$WORK/$c.err" &&
	why=$(python3 tests/tools/corpus_compare.py tests/data/corpus/$c.ref.ndjson \
		tests/data/corpus/$c.pkts.ndjson "$WORK/$c.ndjson" 2>&1); then
	ok "decode $c: $why"
else
	fail "decode $c: $(head -c 300 "$WORK/$c.err") ${why:-}"
fi

# ---- the installed daemon, packaged configuration, in a namespace ----
nfxt_setup || { fail "netns/veth setup"; exit 1; }
OUT=/var/log/nfxdp/flows.ndjson	# the packaged configuration's output.path
# as the unit runs it: the user nfxdp, who owns /var/log/nfxdp (root keeps no
# CAP_DAC_OVERRIDE after setup); it writes the stats file too
chmod 0755 "$WORK"
install -d -o nfxdp -g nfxdp -m 0750 "$WORK/stats"
nsenter --net="/run/netns/$NS_C" "$NFXDP" run -i "$IF_C" -c /etc/nfxdp/nfxdp.json --raw \
	--user nfxdp --pin-dir "$PIN_DIR" --stats-file "$WORK/stats/nfxdp.prom" 2>"$ERR" &
NFXDP_PID=$!
STATS=$WORK/stats/nfxdp.prom
nfxt_wait_file "$NFXDP_PID" "$STATS" || { fail "nfxdp run did not start: $(tail -n 3 "$ERR")"; exit 1; }
nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v5 --messages 20 --records 3 --sockets 4 \
	--sport 41000
nfxt_e $NFSEND --dst "$IP_C" --port 4739 --kind ipfix --messages 16 --records 4 --sockets 4 \
	--sport 43000
nfxt_wait_records $((60 + 64)) 10
sleep 1
red=$(nfxt_stat v5 redirected)
if why=$(nfxt_check_records netflow5 0 60) && why=$(nfxt_check_records ipfix 0 64) &&
	[ "${red:-0}" -ge 20 ]; then
	ok "daemon: 60 v5 and 64 IPFIX records in $OUT, $red v5 packets redirected by XDP"
else
	fail "daemon: ${why:-} (v5 redirected ${red:-none})"
fi
if nfxt_stop && [ "$(nfxt_prog_id)" = none ] && [ -z "$(ls "$PIN_DIR" 2>/dev/null)" ]; then
	ok "daemon: exit 0, program detached, no pin left"
else
	fail "daemon: exit status, XDP program $(nfxt_prog_id) or pins $(ls "$PIN_DIR" 2>/dev/null)"
fi

# ---- remove: the conffiles and the data stay; purge: nothing but the user ----
dpkg -r nfxdp >"$WORK/dpkg.log" 2>&1 || fail "dpkg -r: $(tail -n 3 "$WORK/dpkg.log")"
left=$(leftovers | paste -sd ' ')
want="/etc/default/nfxdp /etc/logrotate.d/nfxdp /etc/nfxdp /etc/nfxdp/nfxdp.json /var/lib/nfxdp /var/log/nfxdp"
if [ "$left" = "$want" ] && [ "$(dpkg-query -W -f='${Status}' nfxdp)" = "deinstall ok config-files" ] &&
	[ "$(wc -l <"$OUT")" -eq 124 ]; then
	ok "remove: the conffiles, /var/lib/nfxdp and the records in /var/log/nfxdp stay"
else
	fail "remove: left [$left], want [$want] and the 124 records in $OUT"
fi
dpkg -P nfxdp >"$WORK/dpkg.log" 2>&1 || fail "dpkg -P: $(tail -n 3 "$WORK/dpkg.log")"
left=$(leftovers | paste -sd ' ')
if [ -z "$left" ] && ! dpkg-query -W nfxdp >/dev/null 2>&1 && getent passwd nfxdp >/dev/null; then
	ok "purge: nothing left but the system user nfxdp (kept, as Debian does)"
else
	fail "purge: left [$left], user [$(getent passwd nfxdp)]"
fi
exit "$NFXT_FAILED"

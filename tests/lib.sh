#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# lib.sh - shared setup for the netns/veth integration tests (tests/test-*.sh).
#
# Sourcing it re-executes the test in a private mount namespace with a fresh
# bpffs on /sys/fs/bpf: pins (ours and those `ip link` makes in tc/globals)
# can neither collide with other users of the host's bpffs nor outlive the
# test.  It then offers:
#   nfxt_setup        two netns (exporter, collector) joined by a 2-queue veth
#   nfxt_c / nfxt_e   run a command in the collector / exporter netns
#   nfxt_start ARGS   start `nfxdp run ARGS` in the collector, output in $OUT
#   nfxt_stop         SIGTERM it and wait; its stderr is in $ERR
#   ok / fail / skip  the result lines tests/run.sh counts
# and a cleanup trap that removes every netns, link, XDP program and pin
# the test made, also when it fails.
set -u

if [ -z "${NFXT_PRIVATE_MNT:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "skip $(basename "$0" .sh): needs root"; exit 0; }
	exec unshare -m --propagation private env NFXT_PRIVATE_MNT=1 bash "$0" "$@"
fi

NFXT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NFXDP=${NFXDP:-$NFXT_ROOT/build/nfxdp}
NFXT_BPF_OBJ=${NFXT_BPF_OBJ:-$NFXT_ROOT/build/nfx_xdp.bpf.o}
NFSEND="python3 $NFXT_ROOT/tests/tools/nfsend.py"
NAME=$(basename "$0" .sh)
NAME=${NAME#test-}

# Unique per run: another helper uses nfxa-*, parallel runs differ by pid.
P=nfxt$$
NS_C=${P}c
NS_E=${P}e
IF_C=${P}a		# collector end
IF_E=${P}b		# exporter end
IP_C=10.231.0.1
IP_E=10.231.0.2
PIN_DIR=/sys/fs/bpf/$P
WORK=$(mktemp -d /tmp/nfxt.XXXXXX)
OUT=$WORK/out.ndjson
ERR=$WORK/nfxdp.err
NFXDP_PID=
NFXT_FAILED=0
NFXT_EXTRA_CLEANUP=

mount -t bpf bpf /sys/fs/bpf || { echo "skip $NAME: cannot mount bpffs"; exit 0; }

ok() { echo "ok $NAME${1:+ $1}"; }
fail() { echo "FAIL $NAME: $*"; NFXT_FAILED=1; }
skip() { echo "skip $NAME: $*"; exit 0; }
info() { echo "# $*"; }

nfxt_c() { nsenter --net="/run/netns/$NS_C" "$@"; }
nfxt_e() { nsenter --net="/run/netns/$NS_E" "$@"; }

nfxt_cleanup() {
	local rc=$?

	[ -n "$NFXT_EXTRA_CLEANUP" ] && eval "$NFXT_EXTRA_CLEANUP"
	if [ -n "$NFXDP_PID" ] && kill -0 "$NFXDP_PID" 2>/dev/null; then
		kill -TERM "$NFXDP_PID" 2>/dev/null
		timeout 10 tail --pid="$NFXDP_PID" -f /dev/null 2>/dev/null
		kill -KILL "$NFXDP_PID" 2>/dev/null
	fi
	if [ -e "/run/netns/$NS_C" ]; then
		nfxt_c ip link set dev "$IF_C" xdp off 2>/dev/null
		nfxt_c ip link set dev "$IF_C" xdpgeneric off 2>/dev/null
	fi
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_E" 2>/dev/null
	rm -rf "$PIN_DIR"
	rm -f /sys/fs/bpf/tc/globals/nfx_* /sys/fs/bpf/xdp/globals/nfx_* 2>/dev/null
	umount /sys/fs/bpf 2>/dev/null
	if [ "${DEBUG_TESTENV:-0}" = 1 ] || [ "$NFXT_FAILED" = 1 ]; then
		[ -s "$ERR" ] && sed 's/^/# /' "$ERR" | tail -n 40
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap nfxt_cleanup EXIT
trap 'exit 1' INT TERM

# nfxt_setup [MTU]: exporter netns <-> collector netns over a veth with
# two RX and two TX queues on each end.
nfxt_setup() {
	local mtu=${1:-1500}

	[ -x "$NFXDP" ] || skip "build/nfxdp not built (make)"
	ip netns add "$NS_C" || return 1
	ip netns add "$NS_E" || return 1
	ip link add "$IF_C" numtxqueues 2 numrxqueues 2 netns "$NS_C" type veth \
		peer "$IF_E" numtxqueues 2 numrxqueues 2 netns "$NS_E" || return 1
	nfxt_c ip link set lo up
	nfxt_e ip link set lo up
	nfxt_c ip addr add "$IP_C/24" dev "$IF_C"
	nfxt_e ip addr add "$IP_E/24" dev "$IF_E"
	nfxt_c ip link set "$IF_C" mtu "$mtu" up
	nfxt_e ip link set "$IF_E" mtu "$mtu" up
}

# nfxt_start ARGS...: `nfxdp run ARGS -o $OUT` in the collector netns; waits
# until it reports that it is collecting.
nfxt_start() {
	: >"$OUT"
	: >"$ERR"
	# nsenter execs nfxdp, so $! is nfxdp itself and gets our signals
	nsenter --net="/run/netns/$NS_C" "$NFXDP" run "$@" -o "$OUT" 2>"$ERR" &
	NFXDP_PID=$!
	for _ in $(seq 1 100); do
		grep -q "collecting on" "$ERR" && return 0
		kill -0 "$NFXDP_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$ERR" >&2
	return 1
}

# nfxt_stop: SIGTERM, wait; returns nfxdp's exit status.
nfxt_stop() {
	local rc

	[ -n "$NFXDP_PID" ] || return 0
	kill -TERM "$NFXDP_PID" 2>/dev/null
	wait "$NFXDP_PID"
	rc=$?
	NFXDP_PID=
	return $rc
}

# nfxt_wait_records N [SECONDS]: until $OUT has at least N lines.
nfxt_wait_records() {
	local want=$1 t=${2:-10} i

	for ((i = 0; i < t * 10; i++)); do
		[ "$(wc -l <"$OUT")" -ge "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

# nfxt_stat SLOT FIELD: a summed nfx_stats counter, read through `nfxdp stats`.
nfxt_stat() {
	nfxt_c "$NFXDP" stats --pin-dir "${NFXT_STATS_DIR:-$PIN_DIR}" --json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]][sys.argv[2]])' \
			"$1" "$2"
}

# nfxt_check_records TYPE FIRST COUNT: records FIRST..FIRST+COUNT-1 of the
# nfsend.py numbering are in $OUT, once each, with their fields.
nfxt_check_records() {
	python3 - "$OUT" "$@" <<'EOF'
import json, sys
path, typ, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
seen = {}
for line in open(path):
    r = json.loads(line)
    if r.get("type") != typ:
        continue
    i = int(r["source"]["port"]) - 1000
    if first <= i < first + count:
        seen.setdefault(i, []).append(r)
bad = []
for i in range(first, first + count):
    rs = seen.get(i, [])
    if len(rs) != 1:
        bad.append("record %d seen %d times" % (i, len(rs)))
        continue
    r = rs[0]
    want = {"src": "10.1.%d.%d" % (i >> 8, i & 255), "dst": "10.2.%d.%d" % (i >> 8, i & 255),
            "dport": str(2000 + i), "bytes": 100 + i, "packets": 1 + i, "proto": "UDP"}
    got = {"src": r["source"]["ip"], "dst": r["destination"]["ip"],
           "dport": r["destination"]["port"], "bytes": r["bytes"],
           "packets": r["packets"], "proto": r.get("ip_protocol")}
    if got != want:
        bad.append("record %d: %s != %s" % (i, got, want))
if bad:
    print("; ".join(bad[:5]) + (" (+%d more)" % (len(bad) - 5) if len(bad) > 5 else ""))
    sys.exit(1)
EOF
}

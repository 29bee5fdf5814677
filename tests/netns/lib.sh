#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# lib.sh - shared setup for the netns/veth integration tests (tests/netns/test-*.sh).
#
# Sourcing it re-executes the test in a private mount namespace with a fresh
# bpffs on /sys/fs/bpf: pins (ours and those `ip link` makes in tc/globals)
# can neither collide with other users of the host's bpffs nor outlive the
# test.  It then offers:
#   nfxt_setup        two netns (exporter, collector) joined by a 2-queue veth
#   nfxt_c / nfxt_e   run a command in the collector / exporter netns
#   nfxt_start ARGS   start `nfxdp run --raw ARGS` in the collector (NFXT_AGG=1:
#                     without --raw), output in $OUT, counters in $STATS
#   nfxt_stop         SIGTERM it and wait; its stderr is in $ERR
#   nfxt_dstat PAT    the daemon's own counters (`nfxdp stats --daemon`)
#   ok / fail / skip  the result lines tests/run.sh counts
# and a cleanup trap that removes every netns, link, XDP program and pin
# the test made, also when it fails.
set -u

if [ -z "${NFXT_PRIVATE_MNT:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "skip $(basename "$0" .sh): needs root"; exit 0; }
	exec unshare -m --propagation private env NFXT_PRIVATE_MNT=1 bash "$0" "$@"
fi

NFXT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The binary under test: build/nfxdp, or a sanitizer build (tests/meta run
# these tests again with build-asan/nfxdp and build-tsan/nfxdp).  Under a
# sanitizer, memory is shadowed and freed blocks are held back: tests skip
# their RSS bounds when NFXT_SANITIZED=1 (found in the binary unless set).
NFXDP=${NFXDP:-$NFXT_ROOT/build/nfxdp}
if [ -z "${NFXT_SANITIZED:-}" ]; then
	NFXT_SANITIZED=0
	readelf -d "$NFXDP" 2>/dev/null | grep -qE 'NEEDED.*lib[at]san' && NFXT_SANITIZED=1
fi
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
STATS=$WORK/nfxdp.prom	# the daemon's counters (run --stats-file), gone when it stops
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
	# UBSan writes to stderr whatever its log_path when linked with ASan
	if [ "$NFXT_SANITIZED" = 1 ] &&
	   grep -qE 'runtime error:|ERROR: [A-Za-z]+Sanitizer' "$ERR" 2>/dev/null; then
		echo "FAIL $NAME: a sanitizer report on nfxdp's stderr:"
		grep -m1 -A14 -E 'runtime error:|ERROR: [A-Za-z]+Sanitizer' "$ERR" | sed 's/^/# /'
		rc=1
	fi
	if [ "${DEBUG_TESTENV:-0}" = 1 ] || [ "$NFXT_FAILED" = 1 ]; then
		[ -s "$ERR" ] && sed 's/^/# /' "$ERR" | tail -n 40
	fi
	[ -n "${NFXT_KEEP:-}" ] && cp -a "$WORK" "$NFXT_KEEP"; rm -rf "$WORK"
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

# nfxt_start ARGS...: `nfxdp run ARGS -o $OUT --stats-file $STATS` in the
# collector netns; waits until it collects.
nfxt_start() {
	: >"$OUT"
	: >"$ERR"
	rm -f "$STATS"
	# nsenter execs nfxdp, so $! is nfxdp itself and gets our signals
	# raw records unless a test asks for aggregation (NFXT_AGG=1)
	local mode=--raw
	[ "${NFXT_AGG:-0}" = 1 ] && mode=
	# the state file in the test's directory (a test's own --state-dir comes later and wins)
	nsenter --net="/run/netns/$NS_C" "$NFXDP" run $mode --state-dir "$WORK/state" "$@" \
		-o "$OUT" --stats-file "$STATS" 2>"$ERR" &
	NFXDP_PID=$!
	# the stats file is first written once every input, output and the
	# metrics are open: from then on nfxdp collects
	nfxt_wait_file "$NFXDP_PID" "$STATS" && return 0
	cat "$ERR" >&2
	return 1
}

# nfxt_wait_file PID FILE: until FILE exists, while PID lives (10 s at most).
nfxt_wait_file() {
	for _ in $(seq 1 100); do
		[ -e "$2" ] && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
	done
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

# nfxt_dstat PATTERN...: the sum of the daemon counters (the series of
# `nfxdp stats --daemon=$STATS --json`, e.g. nfx_udp_datagrams_total{port="4739"})
# matching a shell PATTERN ('nfx_xsk_rx_frames_total{*'); "" when none does.
# The daemon rewrites them every second.
nfxt_dstat() {
	"$NFXDP" stats --daemon="$STATS" --json 2>/dev/null | python3 -c '
import fnmatch, json, sys
files = json.load(sys.stdin)
series = next(iter(files.values()), {})
got = [v for k, v in series.items() if any(fnmatch.fnmatchcase(k, p) for p in sys.argv[1:])]
print(sum(got) if got else "")' "$@"
}

# nfxt_wait_dstat PATTERN MIN [SECONDS]: until nfxt_dstat PATTERN >= MIN
# (10 s by default); returns 1 if it never is.
nfxt_wait_dstat() {
	local t=${3:-10} i v

	for ((i = 0; i < t * 10; i++)); do
		v=$(nfxt_dstat "$1")
		[ "${v:-0}" -ge "$2" ] && return 0
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

# ---- helpers for the reconcile, aggregation and metrics tests ----

# nfxt_write_config FILE: stdin to FILE atomically (temp file + rename),
# the way editors and configuration managers replace a file.
nfxt_write_config() {
	cat >"$1.tmp.$$" && mv -f "$1.tmp.$$" "$1"
}

# nfxt_reloads RESULT: nfx_config_reloads_total{result="RESULT"} (applied,
# rejected, unchanged), 0 before the first.
nfxt_reloads() {
	local v
	v=$(nfxt_dstat "nfx_config_reloads_total{result=\"$1\"}")
	echo "${v:-0}"
}

# nfxt_reloaded RESULT BEFORE: until that counter is past BEFORE (10 s at most).
nfxt_reloaded() {
	nfxt_wait_dstat "nfx_config_reloads_total{result=\"$1\"}" $(($2 + 1)) 10
}

# nfxt_send_v5 PORT BASE COUNT [ARGS]: COUNT one-record v5 messages from the
# exporter netns to the collector, records BASE...
nfxt_send_v5() {
	local port=$1 base=$2 count=$3; shift 3
	nfxt_e $NFSEND --dst "$IP_C" --port "$port" --kind v5 --messages "$count" --records 1 \
		--base "$base" --no-connect "$@"
}

# nfxt_expect_records BASE COUNT WHAT: records BASE.. arrive (10 s at most),
# once each, with their fields: an ok or FAIL line for WHAT.
nfxt_expect_records() {
	local why
	for _ in $(seq 1 100); do
		why=$(nfxt_check_records netflow5 "$1" "$2") && break
		sleep 0.1
	done
	if [ -z "$why" ]; then ok "$3"; else fail "$3: $why"; fi
}

# nfxt_prog_id: id of the XDP program attached to $IF_C ("none" if none).
nfxt_prog_id() {
	nfxt_c ip -j link show dev "$IF_C" | python3 -c '
import json, sys
print(json.load(sys.stdin)[0].get("xdp", {}).get("prog", {}).get("id", "none"))'
}

# nfxt_xsk_inodes [PID]: the socket inodes of PID's (default nfxdp's) AF_XDP
# sockets, sorted, space separated.  Each socket fd is duplicated with
# pidfd_getfd() and its family read with SO_DOMAIN (ss --xdp needs
# xsk_diag, which this kernel may lack).
nfxt_xsk_inodes() {
	python3 - "${1:-$NFXDP_PID}" <<'PYEOF'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
pid = int(sys.argv[1])
pfd = os.pidfd_open(pid)
out = []
for name in os.listdir("/proc/%d/fd" % pid):
    try:
        link = os.readlink("/proc/%d/fd/%s" % (pid, name))
    except OSError:
        continue
    if not link.startswith("socket:["):
        continue
    fd = libc.syscall(438, pfd, int(name), 0)        # pidfd_getfd
    if fd < 0:
        continue
    dom, ln = ctypes.c_int(0), ctypes.c_uint(4)
    rc = libc.getsockopt(fd, 1, 39, ctypes.byref(dom), ctypes.byref(ln))  # SO_DOMAIN
    os.close(fd)
    if rc == 0 and dom.value == 44:                 # AF_XDP
        out.append(int(link[8:-1]))
print(" ".join(str(i) for i in sorted(out)))
PYEOF
}

# nfxt_ports_map: the port map as "PORT:VERSIONS ..." sorted ("" when empty).
nfxt_ports_map() {
	bpftool -j map dump pinned "${NFXT_STATS_DIR:-$PIN_DIR}/nfx_ports" | python3 -c '
import json, sys
m = [e.get("formatted", e) for e in json.load(sys.stdin)]
print(" ".join("%s:%s" % (e["key"], e["value"]["versions"])
               for e in sorted(m, key=lambda e: int(e["key"]))))'
}

# nfxt_stat_sum FIELD: an nfx_stats field summed over every slot.
nfxt_stat_sum() {
	nfxt_c "$NFXDP" stats --pin-dir "${NFXT_STATS_DIR:-$PIN_DIR}" --json 2>/dev/null |
		python3 -c 'import json,sys; print(sum(v[sys.argv[1]] for v in json.load(sys.stdin).values()))' "$1"
}

# nfxt_wait_stat SLOT FIELD MIN [SECONDS]: until nfx_stats SLOT.FIELD >= MIN.
nfxt_wait_stat() {
	local t=${4:-10} i v

	for ((i = 0; i < t * 10; i++)); do
		v=$(nfxt_stat "$1" "$2")
		[ "${v:-0}" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

# nfxt_indices TYPE LO HI: the nfsend.py record numbers in [LO, HI) found
# in $OUT (from the source port), sorted, one per line, repeats kept.
nfxt_indices() {
	python3 - "$OUT" "$@" <<'PYEOF'
import json, sys
path, typ, lo, hi = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
got = []
for line in open(path):
    r = json.loads(line)
    if r.get("type") != typ:
        continue
    i = int(r["source"]["port"]) - 1000
    if lo <= i < hi:
        got.append(i)
for i in sorted(got):
    print(i)
PYEOF
}

# nfxt_udp_recv_start PORT FILE COUNT: a plain UDP socket on PORT in the
# collector netns writes the first COUNT datagrams it receives to FILE
# (concatenated) and exits (after 20 s at the latest).  Waits until it is
# bound; returns 1 if it cannot bind.  Its pid is in NFXT_RECV_PID.
nfxt_udp_recv_start() {
	rm -f "$2" "$2.bound"
	nfxt_c python3 - "$1" "$2" "$3" <<'PYEOF' &
import socket, sys, time
port, path, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(50):
    try:
        s.bind(("0.0.0.0", port))
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit(1)
open(path + ".bound", "w").close()
s.settimeout(20)
data = b""
try:
    for _ in range(count):
        data += s.recv(65535)
except socket.timeout:
    pass
open(path + ".part", "wb").write(data)
import os
os.rename(path + ".part", path)
PYEOF
	NFXT_RECV_PID=$!
	nfxt_wait_file "$NFXT_RECV_PID" "$2.bound"
}

# nfxt_send_exact PORT FILE KIND BASE COUNT: from the exporter netns, COUNT
# nfsend.py messages of KIND (records BASE...) to PORT, their bytes also
# written (concatenated) to FILE.
nfxt_send_exact() {
	nfxt_e python3 - "$NFXT_ROOT/tests/tools" "$IP_C" "$@" <<'PYEOF'
import socket, sys
sys.path.insert(0, sys.argv[1])
import nfsend
dst, port, path, kind, base, count = sys.argv[2], int(sys.argv[3]), sys.argv[4], \
    sys.argv[5], int(sys.argv[6]), int(sys.argv[7])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
data = b""
for m in range(count):
    msg = nfsend.build(kind, base + m, 1, m)
    s.sendto(msg, (dst, port))
    data += msg
open(path, "wb").write(data)
PYEOF
}

# nfxt_metrics PORT: the /metrics page of an nfxdp in the collector netns.
nfxt_metrics() {
	nfxt_c curl -sf --max-time 5 "http://127.0.0.1:$1/metrics"
}

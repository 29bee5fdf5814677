#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/profile.sh - where nfxdp's CPU goes under load: the set-up of
# bench/run.sh (two netns, a 2-queue veth, nfgen pinned to CPU $GEN_CPU,
# nfxdp to CPU $COL_CPU), with `perf record -g` attached to nfxdp while
# nfgen sends.  Prints the top of `perf report` (self time) and keeps
# perf.data in $PROF_OUT.
# Usage: bench/profile.sh [PROTO [RATE [SECONDS [nfxdp run options...]]]]
#   default: v5 1000000 3, options: (aggregated, --workers 1)
#   NFGEN_ARGS: more nfgen options (--flows, --pool, --zipf ...)
set -u
if [ -z "${NFXP_PRIVATE_MNT:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "profile: needs root (netns, XDP)"; exit 1; }
	exec unshare -m --propagation private env NFXP_PRIVATE_MNT=1 bash "$0" "$@"
fi
PROTO=${1:-v5}; RATE=${2:-1000000}; DUR=${3:-3}
shift $(($# < 3 ? $# : 3))
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/${NFX_BUILD:-build}
GEN_CPU=${GEN_CPU:-1}
COL_CPU=${COL_CPU:-0}
OUT=${PROF_OUT:-/tmp/nfxdp-profile}
P=nfxp$$
NS_C=${P}c; NS_E=${P}e; IF_C=${P}a; IF_E=${P}b
IP_C=10.235.0.1
EXP_NET=10.235.0
PIN_DIR=/sys/fs/bpf/$P
PID=

command -v perf >/dev/null || { echo "profile: perf missing (apt-get install linux-perf)"; exit 1; }
[ -x "$B/nfxdp" ] && [ -x "$B/bench/nfgen" ] || { echo "profile: make bench-build first"; exit 1; }
# shellcheck source=bench/netns.sh
source "$ROOT/bench/netns.sh"
cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && timeout 10 tail --pid="$PID" -f /dev/null
	teardown_net
	rm -rf "$PIN_DIR"
	umount /sys/fs/bpf 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mount -t bpf bpf /sys/fs/bpf || exit 1
mkdir -p "$OUT"

EXPORTERS=8
setup_net || exit 1

[ $# -eq 0 ] && set -- --workers 1
nsenter --net="/run/netns/$NS_C" taskset -c "$COL_CPU" "$B/nfxdp" run -i "$IF_C" \
	--pin-dir "$PIN_DIR" --state-dir "$OUT/state" -p 2055 -o /dev/null "$@" 2>"$OUT/err" &
PID=$!
for _ in $(seq 1 100); do grep -q "collecting on" "$OUT/err" && break; sleep 0.1; done
grep -q "collecting on" "$OUT/err" || { cat "$OUT/err"; exit 1; }
perf record -q -g -o "$OUT/perf.data" -p "$PID" -- sleep "$((DUR + 1))" 2>/dev/null &
PERF=$!
sleep 0.3
ip netns exec "$NS_E" taskset -c "$GEN_CPU" timeout $((DUR + 30)) "$B/bench/nfgen" \
	--dst "$IP_C" --port 2055 --proto "$PROTO" --rate "$RATE" --duration "$DUR" \
	--exporters 8 --src-base $EXP_NET.10 ${NFGEN_ARGS:-} >"$OUT/gen.json"
wait "$PERF"
kill -TERM "$PID"; timeout 30 tail --pid="$PID" -f /dev/null; PID=
grep -o 'summary:.*' "$OUT/err" | cut -c1-300
echo "# sent: $(cat "$OUT/gen.json")"
perf report -i "$OUT/perf.data" --no-children --percent-limit 1 --stdio -g none 2>/dev/null |
	grep -v '^$' | head -40

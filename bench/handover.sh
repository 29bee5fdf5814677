#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/handover.sh - the live hand-over under load (`make bench`, README
# "Restarts"): bench/nfgen sends IPFIX at $BENCH_HO_RATE records/s (1 M) from
# $EXPORTERS exporters across a 2-queue veth while nfxdp (--raw, output to
# /dev/null or a file) hands the interface over to a successor $BENCH_HO_ROUNDS times.
# Per round: the time from the successor's start to the old daemon's exit,
# the CPU seconds both spent in that time; in all: records sent (nfgen's
# own count) against records written by every daemon (their summaries'
# output_records), i.e. the records lost.  Output: one JSON object on
# stdout and in $BENCH_OUT/handover.json.
set -u

if [ -z "${NFXB_PRIVATE_MNT:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (netns, XDP)"; exit 1; }
	exec unshare -m --propagation private env NFXB_PRIVATE_MNT=1 bash "$0" "$@"
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/${NFX_BUILD:-build}
NFXDP=$B/nfxdp
NFGEN=$B/bench/nfgen
RATE=${BENCH_HO_RATE:-1000000}
ROUNDS=${BENCH_HO_ROUNDS:-3}
GAP=${BENCH_HO_GAP:-2}			# seconds between hand-overs
DUR=$(( (ROUNDS + 2) * GAP ))
EXPORTERS=${BENCH_EXPORTERS:-8}
OUTDIR=${BENCH_OUT:-$ROOT/bench/results}
GEN_CPU=${GEN_CPU:-1}
COL_CPU=${COL_CPU:-0}
HZ=$(getconf CLK_TCK)

P=nfxh$$
NS_C=${P}c
NS_E=${P}e
IF_C=${P}a
IF_E=${P}b
IP_C=10.234.0.1
EXP_NET=10.234.0
PIN_DIR=/sys/fs/bpf/$P
W=$(mktemp -d /tmp/nfxh.XXXXXX)

for f in "$NFXDP" "$NFGEN"; do
	[ -x "$f" ] || { echo "bench: $f not built (make bench-build)"; exit 1; }
done
# shellcheck source=bench/netns.sh
source "$ROOT/bench/netns.sh"

cleanup() {
	local rc=$?
	[ -n "${BENCH_HO_DEBUG:-}" ] && cp "$W"/err.* "$OUTDIR"/ 2>/dev/null &&
		ns_c nstat -az UdpRcvbufErrors UdpInErrors UdpInDatagrams Udp6RcvbufErrors Udp6InDatagrams >&2
	teardown_net
	rm -rf "$PIN_DIR"
	umount /sys/fs/bpf 2>/dev/null
	rm -rf "$W"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mount -t bpf bpf /sys/fs/bpf || { echo "bench: cannot mount bpffs"; exit 1; }
setup_net || { echo "bench: netns setup failed"; exit 1; }

# Where daemon K writes: /dev/null by default, since on this VM raw records into
# new page-cache pages lose 10-20 % at 1 M/s with no hand-over at all (the
# summaries' output_records count either way); BENCH_HO_OUTPUT=file for files.
out_of() {
	[ "${BENCH_HO_OUTPUT:-null}" = file ] && echo "$W/out.$1" || echo /dev/null
}

# start K [ARGS]: daemon K on the collector CPU; its pid in PIDS[K]
PIDS=()
start() {
	local k=$1 i

	shift
	# nsenter and taskset exec: $! is nfxdp itself, whose /proc/PID/stat we read
	nsenter --net="/run/netns/$NS_C" taskset -c "$COL_CPU" "$NFXDP" run --raw -i "$IF_C" --pin-dir "$PIN_DIR" \
		--state-dir "$W/state" -o "$(out_of "$k")" --stats-file "$W/s.$k" "$@" 2>"$W/err.$k" &
	PIDS[$k]=$!
	for i in $(seq 1 200); do
		[ -e "$W/s.$k" ] && return 0
		kill -0 "${PIDS[$k]}" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# cpu PID: utime+stime in ticks (0 once it is gone)
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
now_ms() { date +%s%3N; }

start 0 || { echo "bench: nfxdp did not start: $(tail -n 3 "$W/err.0")"; exit 1; }
ns_e taskset -c "$GEN_CPU" timeout $((DUR + 30)) "$NFGEN" --dst "$IP_C" --port 4739 \
	--proto ipfix --rate "$RATE" --duration "$DUR" --exporters "$EXPORTERS" \
	--src-base "$EXP_NET.10" >"$W/gen.json" &
GEN=$!
ROUND_JSON=""
for k in $(seq 1 "$ROUNDS"); do
	sleep "$GAP"
	old=${PIDS[$((k - 1))]}
	c_old=$(cpu "$old")
	# the old daemon's CPU, read until it is gone (the last reading stands)
	(while kill -0 "$old" 2>/dev/null; do
		c=$(cpu "$old")
		[ "$c" -gt 0 ] && echo "$c" >"$W/oldcpu"
		sleep 0.01
	done) &
	sampler=$!
	t0=$(now_ms)
	start "$k" --takeover || { echo "bench: round $k: $(tail -n 3 "$W/err.$k")"; exit 1; }
	while kill -0 "$old" 2>/dev/null; do sleep 0.01; done
	t1=$(now_ms)
	wait "$sampler"
	c_old_end=$(cat "$W/oldcpu" 2>/dev/null || echo "$c_old")
	c_new=$(cpu "${PIDS[$k]}")
	ROUND_JSON+="${ROUND_JSON:+,}{\"round\":$k,\"ms\":$((t1 - t0)),"
	ROUND_JSON+="\"old_cpu_s\":$(awk -v a="$c_old_end" -v b="$c_old" -v h="$HZ" 'BEGIN { printf "%.2f", (a - b) / h }'),"
	ROUND_JSON+="\"new_cpu_s\":$(awk -v a="$c_new" -v h="$HZ" 'BEGIN { printf "%.2f", a / h }')}"
	wait "$old"
done
wait "$GEN"
sleep 1
kill -TERM "${PIDS[$ROUNDS]}"
wait "${PIDS[$ROUNDS]}"
written=$(cat "$W"/err.* | sed -n 's/.*output_records=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
sent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["records"])' "$W/gen.json")
mkdir -p "$OUTDIR"
printf '{"rate":%s,"rounds":%s,"records_sent":%s,"records_written":%s,"records_lost":%s,"handovers":[%s]}\n' \
	"$RATE" "$ROUNDS" "$sent" "$written" "$((sent - written))" "$ROUND_JSON" | tee "$OUTDIR/handover.json"

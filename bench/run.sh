#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/run.sh - the end-to-end benchmark behind `make bench` (BENCHMARKS.md).
#
# Two network namespaces joined by a 2-queue veth (names nfxb*); bench/nfgen
# in the exporter netns (pinned to CPU $GEN_CPU) sends the same NetFlow v5,
# v9, IPFIX and sFlow v5 streams to each collector in turn, pinned to CPU
# $COL_CPU:
#   nfxdp-xdp-agg   nfxdp run -i IF (AF_XDP), aggregated NDJSON
#   nfxdp-xdp-raw   the same with --raw (one NDJSON line per flow)
#   nfxdp-udp-agg   nfxdp run --udp, aggregated NDJSON
#   nfacctd         pmacct, print plugin, JSON, 5-tuple+ aggregation (NetFlow)
#   nfcapd          nfdump's collector, binary files (NetFlow)
#   sfacctd         pmacct's sFlow collector, configured as nfacctd (sFlow)
#   sfcapd          nfdump's sFlow collector (nfdump-sflow), as nfcapd (sFlow)
# nfxdp takes sFlow on -p 6343/sflow; a build whose decoder counts no sFlow
# record (none before the sFlow decoder) has its sflow rows skipped with a
# note, so the peers' figures are produced all the same.
# For each: records received vs sent (loss), the collector's own CPU seconds
# (utime+stime of its processes), the whole machine's busy CPU during the
# run less a generator-only baseline (nfgen into an XDP_DROP program, per
# packet sent), records per CPU-second both ways, peak RSS (VmHWM), at each
# offered rate of a ladder (0 = flat out); repeated, medians.  Then the
# microbenchmarks (bench/micro; bench/agginsert, printed only) and callgrind
# instruction counts.  Output in $BENCH_OUT:
# results.json, results.md, bench.png.
#
# Then (full mode, or BENCH_CLICKHOUSE=1; BENCH_CLICKHOUSE=0 skips it) the
# ClickHouse sink, bench/clickhouse.sh: $BENCH_OUT/clickhouse.{json,md}; and
# (BENCH_HANDOVER=0 skips it) the live hand-over, bench/handover.sh:
# $BENCH_OUT/handover.json.
# BENCH_QUICK=1: 3 s runs, 3 rates, 1 repetition (a few minutes).
# BENCH_PROTOS (or BENCH_PROTOCOLS) =sflow alone: only the sFlow runs, into
# bench/results/sflow/ unless BENCH_OUT says otherwise; scaling, memory,
# ClickHouse and microbenchmarks (NetFlow figures) are left out unless asked.
# Also: BENCH_PROTOS, BENCH_COLLECTORS, BENCH_RATES, BENCH_SFLOW_RATES, BENCH_DURATION,
# BENCH_REPEAT, BENCH_NO_MICRO=1, BENCH_RAW_OUT (where nfxdp-xdp-raw writes,
# default a file next to the others; /dev/null leaves the page cache out).
# Then (full mode, or BENCH_ZIPF=S; BENCH_ZIPF=0 skips it) the same NetFlow
# protocols with the flows drawn by a Zipf law of exponent S (default 1.1; a
# few flows carry most records, as in real traffic, where the main runs draw
# them uniformly, the worst case), nfxdp-xdp-agg against nfcapd, at
# BENCH_ZIPF_RATES (default 1 M/s and flat out), BENCH_ZIPF_REPEAT times
# (default 1): $BENCH_OUT/zipf/.
set -u

if [ -z "${NFXB_PRIVATE_MNT:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (netns, XDP)"; exit 1; }
	exec unshare -m --propagation private env NFXB_PRIVATE_MNT=1 bash "$0" "$@"
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/${NFX_BUILD:-build}
NFXDP=$B/nfxdp
NFGEN=$B/bench/nfgen
MICRO=$B/bench/micro
DROP_OBJ=$B/bench/xdp_drop.bpf.o
PY=/usr/bin/python3
QUICK=${BENCH_QUICK:-0}
OUTDIR=${BENCH_OUT:-$ROOT/bench/results}
GEN_CPU=${GEN_CPU:-1}
COL_CPU=${COL_CPU:-0}
if [ "$QUICK" = 1 ]; then
	DUR=${BENCH_DURATION:-3}; REPEAT=${BENCH_REPEAT:-1}
	RATES=${BENCH_RATES:-"100000 1000000 0"}
	# the sFlow peers lose from well below 1 M/s: steps in between
	SFLOW_RATES=${BENCH_SFLOW_RATES:-${BENCH_RATES:-"100000 300000 500000 1000000 0"}}
else
	DUR=${BENCH_DURATION:-10}; REPEAT=${BENCH_REPEAT:-3}
	RATES=${BENCH_RATES:-"100000 300000 1000000 2000000 3000000 0"}
	SFLOW_RATES=${BENCH_SFLOW_RATES:-${BENCH_RATES:-"100000 300000 500000 1000000 2000000 3000000 0"}}
fi
PROTOS=${BENCH_PROTOS:-${BENCH_PROTOCOLS:-"v5 v9 ipfix sflow"}}
COLLECTORS=${BENCH_COLLECTORS:-"nfxdp-xdp-agg nfxdp-xdp-raw nfxdp-udp-agg nfacctd nfcapd sfacctd sfcapd"}
EXPORTERS=${BENCH_EXPORTERS:-8}
PORT=2055
SFLOW_PORT=6343
# NetFlow in the run at all?  Without it the NetFlow-only parts default off.
NETFLOW=0
for p in $PROTOS; do [ "$p" != sflow ] && NETFLOW=1; done
if [ "$NETFLOW" = 0 ]; then
	OUTDIR=${BENCH_OUT:-$ROOT/bench/results/sflow}
	: "${BENCH_SCALING:=0}" "${BENCH_MEMORY:=0}" "${BENCH_CLICKHOUSE:=0}" "${BENCH_NO_MICRO:=1}"
fi

# Does collector $1 take protocol $2?  nfxdp takes all; the peers their own.
takes() {
	case $1 in
	nfacctd|nfcapd) [ "$2" != sflow ] ;;
	sfacctd|sfcapd) [ "$2" = sflow ] ;;
	*) true ;;
	esac
}
rates_of() { if [ "$1" = sflow ]; then echo "$SFLOW_RATES"; else echo "$RATES"; fi; }
port_of() { if [ "$1" = sflow ]; then echo "$SFLOW_PORT"; else echo "$PORT"; fi; }
# nfxdp's -p for protocol $1
nfx_port() { if [ "$1" = sflow ]; then echo "$SFLOW_PORT/sflow"; else echo "$PORT"; fi; }

P=nfxb$$
NS_C=${P}c
NS_E=${P}e
IF_C=${P}a
IF_E=${P}b
IP_C=10.233.0.1
EXP_NET=10.233.0
SRC_BASE=$EXP_NET.10
PIN_DIR=/sys/fs/bpf/$P
W=$(mktemp -d /tmp/nfxb.XXXXXX)
COL_PID=

need() { command -v "$1" >/dev/null 2>&1; }
for t in nfacctd sfacctd nfcapd sfcapd nfdump valgrind; do
	need "$t" || { echo "bench: $t missing; installing the Debian packages"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y pmacct nfdump nfdump-sflow \
		valgrind python3-matplotlib >/dev/null || true; break; }
done
$PY -c 'import matplotlib' 2>/dev/null || DEBIAN_FRONTEND=noninteractive \
	apt-get install -y python3-matplotlib >/dev/null || true
for f in "$NFXDP" "$NFGEN" "$MICRO" "$DROP_OBJ"; do
	[ -e "$f" ] || { echo "bench: $f not built (make bench-build)"; exit 1; }
done

# shellcheck source=bench/netns.sh
source "$ROOT/bench/netns.sh"

cleanup() {
	local rc=$?
	if [ -n "$COL_PID" ] && kill -0 "$COL_PID" 2>/dev/null; then
		kill -TERM "$COL_PID" 2>/dev/null
		timeout 10 tail --pid="$COL_PID" -f /dev/null 2>/dev/null
		kill -KILL "$COL_PID" 2>/dev/null
	fi
	teardown_net
	rm -rf "$PIN_DIR"
	umount /sys/fs/bpf 2>/dev/null
	rm -rf "$W"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mount -t bpf bpf /sys/fs/bpf || { echo "bench: cannot mount bpffs"; exit 1; }
# busy jiffies of the whole machine (user+nice+system+irq+softirq+steal)
machine_busy() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}
HZ=$(getconf CLK_TCK)

# pids of $1 and its descendants
tree_pids() {
	local p=$1 c
	echo "$p"
	for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree_pids "$c"; done
}

# utime+stime (jiffies) over the process tree of $1
tree_cpu() {
	local sum=0 p v
	for p in $(tree_pids "$1"); do
		v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' /proc/"$p"/stat 2>/dev/null)
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

# a /proc/PID/status figure $2 (kB) summed over the process tree of $1:
# VmHWM (each process's peak RSS), VmRSS
tree_status() {
	local sum=0 p v
	for p in $(tree_pids "$1"); do
		v=$(awk -v k="$2:" '$1 == k { print $2 }' /proc/"$p"/status 2>/dev/null)
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

# wait until UDP port $1 is bound in the collector's namespace
wait_bound() {
	local hex i
	hex=$(printf ':%04X ' "$1")
	for i in $(seq 1 500); do
		ns_c cat /proc/net/udp /proc/net/udp6 2>/dev/null | awk '{ print $2 " " }' |
			grep -q "$hex" && return 0
		kill -0 "$COL_PID" 2>/dev/null || return 1
		sleep 0.02
	done
	return 1
}

# wait until the collector's CPU time stops moving (it has drained its input)
settle() {
	local last=-1 cur i
	for i in $(seq 1 100); do
		cur=$(tree_cpu "$COL_PID")
		[ "$cur" = "$last" ] && return 0
		last=$cur
		sleep 0.3
	done
}

# pmacct's configuration for nfacctd / sfacctd ($1, port $2): the same keys
pmacct_conf() {
	cat <<EOF
daemonize: false
${1}_port: $2
${1}_ip: 0.0.0.0
${1}_pipe_size: 8388608
plugin_pipe_size: 67108864
plugin_buffer_size: 65536
plugins: print[p]
aggregate[p]: src_host, dst_host, src_port, dst_port, proto, tos, peer_src_ip, in_iface
print_output[p]: json
print_output_file[p]: $W/run/pmacct.json
print_refresh_time[p]: 3600
print_cache_entries[p]: 262139
EOF
}

# Start-up, reported apart from the runs (they count CPU from readiness on):
# launch to ready ("collecting on" for nfxdp, the port bound for the
# others, nfacctd's settling after it), the CPU and the RSS it took.
startup_note() {	# t0 (ns) -> sets STARTUP
	STARTUP="\"startup_s\":$($PY -c "print(($(date +%s%N) - $1) / 1e9)"),\"startup_cpu_s\":$(
		$PY -c "print($(tree_cpu "$COL_PID") / $HZ)"),\"startup_rss_kb\":$(tree_status "$COL_PID" VmRSS)"
}

start_collector() {
	local c=$1 proto=$2 d=$W/run port t0
	port=$(port_of "$proto")
	rm -rf "$d"; mkdir -p "$d"
	t0=$(date +%s%N)
	case $c in
	nfxdp-xdp-agg|nfxdp-xdp-raw)
		local raw= out=$d/out.ndjson
		[ "$c" = nfxdp-xdp-raw ] && raw=--raw && out=${BENCH_RAW_OUT:-$out}
		nsenter --net="/run/netns/$NS_C" taskset -c "$COL_CPU" "$NFXDP" run -i "$IF_C" --pin-dir "$PIN_DIR" $raw \
			--state-dir "$d/state" -p "$(nfx_port "$proto")" -o "$out" 2>"$d/err" &
		COL_PID=$!
		wait_log "collecting on" ;;
	nfxdp-udp-agg)
		nsenter --net="/run/netns/$NS_C" taskset -c "$COL_CPU" "$NFXDP" run --udp -p "$(nfx_port "$proto")" \
			--state-dir "$d/state" -o "$d/out.ndjson" 2>"$d/err" &
		COL_PID=$!
		wait_log "collecting on" ;;
	nfacctd|sfacctd)
		pmacct_conf "$c" "$port" >"$d/$c.conf"
		nsenter --net="/run/netns/$NS_C" taskset -c "$COL_CPU" "$c" -f "$d/$c.conf" >"$d/err" 2>&1 &
		COL_PID=$!
		# the print plugin clears its 1 GB cache for seconds after it
		# starts (3.4 s of CPU here), not reading its pipe meanwhile: wait
		# until that is done, so the run measures collecting only
		wait_bound "$port"
		sleep 1
		settle ;;
	nfcapd|sfcapd)
		mkdir -p "$d/flows"
		nsenter --net="/run/netns/$NS_C" taskset -c "$COL_CPU" "$c" -w "$d/flows" -p "$port" -t 3600 -B 8388608 \
			>"$d/err" 2>&1 &
		COL_PID=$!
		wait_bound "$port" ;;
	esac
	kill -0 "$COL_PID" 2>/dev/null && startup_note "$t0"
}

wait_log() {
	local i
	for i in $(seq 1 500); do
		grep -q "$1" "$W/run/err" 2>/dev/null && return 0
		kill -0 "$COL_PID" 2>/dev/null || return 1
		sleep 0.02
	done
	return 1
}

stop_collector() {
	kill -INT "$COL_PID" 2>/dev/null
	timeout 60 tail --pid="$COL_PID" -f /dev/null 2>/dev/null
	kill -KILL "$COL_PID" 2>/dev/null
	wait "$COL_PID" 2>/dev/null
	COL_PID=
}

# records the collector got (after stop_collector); $2 = nfgen's JSON
received() {
	local c=$1 d=$W/run
	case $c in
	nfxdp-*)
		# the decoder's count in the exit summary: exact
		sed -n 's/.* \(v5\|v9\|ipfix\|sflow5\) packets=[0-9]* records=\([0-9]*\).*/\2/p' "$d/err" |
			head -1 ;;
	nfcapd|sfcapd)
		local n=0 f v
		for f in "$d"/flows/nfcapd.* "$d"/flows/sfcapd.*; do
			[ -e "$f" ] || continue
			v=$(nfdump -r "$f" -I 2>/dev/null | awk '/^Flows:/ { print $2; exit }')
			n=$((n + ${v:-0}))
		done
		echo "$n" ;;
	nfacctd|sfacctd)
		# aggregated: the flows' packet counters received / sent, times records
		# sent (sFlow: each sample counts one packet, unscaled by sfacctd)
		$PY - "$d/pmacct.json" "$2" <<'EOF'
import json, sys
rx = 0
try:
    for line in open(sys.argv[1]):
        line = line.strip()
        if line.startswith("{"):
            rx += json.loads(line).get("packets", 0)
except FileNotFoundError:
    pass
g = json.loads(sys.argv[2])
print(int(round(g["records"] * rx / g["flow_packets"])) if g["flow_packets"] else 0)
EOF
		;;
	esac
}

GEN_ZIPF=0	# the Zipf pass sets it
gen() {	# proto rate seed -> nfgen JSON on stdout
	ns_e taskset -c "$GEN_CPU" timeout $((DUR + 30)) "$NFGEN" --dst "$IP_C" --port "$(port_of "$1")" \
		--proto "$1" --rate "$2" --duration "$DUR" --exporters "$EXPORTERS" \
		--src-base "$SRC_BASE" --seed "$3" --zipf "$GEN_ZIPF"
}

RES=$W/runs.ndjson
: >"$RES"

# generator-only baseline: the same stream into an XDP_DROP program
baseline() {
	local proto=$1 rate=$2 rep=$3 b0 b1 g
	ip -n "$NS_C" link set dev "$IF_C" xdp obj "$DROP_OBJ" sec xdp || return 1
	b0=$(machine_busy)
	g=$(gen "$proto" "$rate" "$rep")
	b1=$(machine_busy)
	ip -n "$NS_C" link set dev "$IF_C" xdp off
	echo "{\"kind\":\"baseline\",\"proto\":\"$proto\",\"rate\":$rate,\"rep\":$rep,\"busy_s\":$(
		$PY -c "print(($b1 - $b0) / $HZ)"),\"gen\":$g}" >>"$RES"
}

# An nfxdp build without an sFlow decoder starts on -p 6343/sflow but
# decodes nothing: its first sflow run that counts no record marks it, a
# "skipped" line tells report.py why, and its later sflow runs are left out.
SKIPPED=" "
skipped() { case $SKIPPED in *" $1/$2 "*) return 0 ;; esac; return 1; }
skip_nfxdp_sflow() {	# collector nfgen-JSON
	local why
	why="this nfxdp build decoded no sFlow record of $($PY -c 'import json,sys; print(json.loads(sys.argv[1])["records"])' "$2") sent ($(
		grep -o 'summary:.*' "$W/run/err" | head -1 | cut -c1-160 | tr -d '"\\'))"
	SKIPPED="$SKIPPED$1/sflow "
	echo "{\"kind\":\"skipped\",\"collector\":\"$1\",\"proto\":\"sflow\",\"why\":\"$why\"}" >>"$RES"
	echo "#   $1 sflow: skipped from here on: $why"
}

one_run() {
	local c=$1 proto=$2 rate=$3 rep=$4 b0 b1 g cpu hwm rx
	if ! start_collector "$c" "$proto"; then
		echo "bench: $c did not start"; sed 's/^/#   /' "$W/run/err" | tail -5
		stop_collector; return 1
	fi
	b0=$(machine_busy)
	local c0; c0=$(tree_cpu "$COL_PID")
	g=$(gen "$proto" "$rate" "$rep")
	settle
	b1=$(machine_busy)
	cpu=$(( $(tree_cpu "$COL_PID") - c0 ))
	hwm=$(tree_status "$COL_PID" VmHWM)
	stop_collector
	rx=$(received "$c" "$g")
	if [ "$proto" = sflow ] && [ "${c#nfxdp-}" != "$c" ] && [ "${rx:-0}" = 0 ]; then
		skip_nfxdp_sflow "$c" "$g"
		return 0
	fi
	echo "{\"kind\":\"run\",\"collector\":\"$c\",\"proto\":\"$proto\",\"rate\":$rate,\"rep\":$rep,\"received\":${rx:-0},\"proc_cpu_s\":$($PY -c "print($cpu / $HZ)"),\"busy_s\":$($PY -c "print(($b1 - $b0) / $HZ)"),\"vmhwm_kb\":$hwm,$STARTUP,\"load1\":$(cut -d' ' -f1 /proc/loadavg),\"gen\":$g}" >>"$RES"
	$PY - "$(tail -1 "$RES")" <<'EOF'
import json, sys
r = json.loads(sys.argv[1]); g = r["gen"]
att = g["records"] + g["refused_records"]
print("#   %-14s %-5s rate %9s  sent %9d refused %8d received %9d  loss %6.2f%%  cpu %.2fs  rss %d MB  load %.1f"
      % (r["collector"], r["proto"], r["rate"] or "max", g["records"], g["refused_records"],
         r["received"], 100 * (1 - r["received"] / att) if att else 0, r["proc_cpu_s"],
         r["vmhwm_kb"] // 1024, r["load1"]))
EOF
}

# {"thread name": utime+stime jiffies, ...} over the threads of $1
thread_cpu() {
	local t out="" n
	for t in /proc/"$1"/task/*; do
		[ -r "$t/stat" ] || continue
		n=$(cat "$t/comm" 2>/dev/null) || continue
		out="$out\"$n\":$(sed 's/.*) //' "$t/stat" | awk '{ print $12 + $13 }'),"
	done
	echo "{${out%,}}"
}

# Worker scaling: the same stream to nfxdp with one worker serving both RX
# queues (pinned to CPU $COL_CPU, as in the runs above) and with a worker
# thread per queue (--workers 2, both CPUs: the generator shares CPU
# $GEN_CPU with one of them).  Per worker: records decoded (exit summary)
# and the thread's own CPU time, so records per worker CPU-second can be
# set against the single worker's.
scaling_run() {
	local proto=$1 rate=$2 rep=$3 nw=$4 d=$W/run cpus=$COL_CPU t0 t1 g rx
	[ "$nw" -gt 1 ] && cpus=$COL_CPU,$GEN_CPU
	rm -rf "$d"; mkdir -p "$d"
	nsenter --net="/run/netns/$NS_C" taskset -c "$cpus" "$NFXDP" run -i "$IF_C" \
		--pin-dir "$PIN_DIR" --state-dir "$d/state" --workers "$nw" -p "$PORT" -o "$d/out.ndjson" 2>"$d/err" &
	COL_PID=$!
	if ! wait_log "collecting on"; then
		echo "bench: nfxdp --workers $nw did not start"; tail -5 "$d/err"
		stop_collector; return 1
	fi
	t0=$(thread_cpu "$COL_PID")
	g=$(gen "$proto" "$rate" "$rep")
	settle
	t1=$(thread_cpu "$COL_PID")
	stop_collector
	rx=$(received nfxdp-xdp-agg "$g")
	$PY "$ROOT/bench/scaling.py" record "$proto" "$rate" "$rep" "$nw" "${rx:-0}" "$t0" "$t1" \
		"$HZ" "$g" "$d/err" >>"$RES"
	$PY "$ROOT/bench/scaling.py" show "$(tail -1 "$RES")"
}

case " $PROTOS " in *" sflow "*)
	# the sFlow stream decodes as valid sFlow in tshark (a capture, no network)
	NFX_BUILD=${NFX_BUILD:-build} bash "$ROOT/bench/sflow-check.sh" --count 5000 | sed 's/^/# /' ;;
esac
setup_net || { echo "bench: netns/veth setup failed"; exit 1; }
mkdir -p "$OUTDIR"
echo "# bench: quick=$QUICK duration=${DUR}s repeat=$REPEAT rates=[$RATES] sflow rates=[$SFLOW_RATES] protos=[$PROTOS]"
echo "# machine: $(nproc) CPUs, $(uname -r), generator on CPU $GEN_CPU, collectors on CPU $COL_CPU"
# matrix REPEAT PROTOS COLLECTORS [RATES]: each rate (RATES, else the
# protocol's) a generator-only baseline, then a run per collector taking it
matrix() {
	local rep proto rate c

	for rep in $(seq 1 "$1"); do
		for proto in $2; do
			for rate in ${4:-$(rates_of "$proto")}; do
				baseline "$proto" "$rate" "$rep"
				for c in $3; do
					takes "$c" "$proto" && ! skipped "$c" "$proto" || continue
					one_run "$c" "$proto" "$rate" "$rep"
				done
			done
		done
	done
}
matrix "$REPEAT" "$PROTOS" "$COLLECTORS"

SCALING_PROTOS=${BENCH_SCALING_PROTOS:-"v5 ipfix"}
SCALING_RATES=${BENCH_SCALING_RATES:-"1000000 0"}
if [ "${BENCH_SCALING:-1}" = 1 ] && [ "$(nproc)" -ge 2 ]; then
	echo "# worker scaling: 1 worker on CPU $COL_CPU vs a worker thread per RX queue"
	for rep in $(seq 1 "$REPEAT"); do
		for proto in $SCALING_PROTOS; do
			for rate in $SCALING_RATES; do
				for nw in 1 2; do
					scaling_run "$proto" "$rate" "$rep" "$nw"
				done
			done
		done
	done
fi

# memory: bytes per template and RSS under sustained load (bench/memory.sh,
# about 4 minutes): BENCH_MEMORY=1, or full mode unless BENCH_MEMORY=0
if [ "${BENCH_MEMORY:-}" = 1 ] || { [ "$QUICK" != 1 ] && [ "${BENCH_MEMORY:-}" != 0 ]; }; then
	echo "# memory under load"
	BENCH_OUT=$OUTDIR NFX_BUILD=${NFX_BUILD:-build} COL_CPU=$COL_CPU GEN_CPU=$GEN_CPU \
		bash "$ROOT/bench/memory.sh" || echo "bench: memory: failed (see above)"
fi

# the ClickHouse sink (bench/clickhouse.sh, its own netns and server):
# BENCH_CLICKHOUSE=1, or full mode unless BENCH_CLICKHOUSE=0
if [ "${BENCH_CLICKHOUSE:-}" = 1 ] || { [ "$QUICK" != 1 ] && [ "${BENCH_CLICKHOUSE:-}" != 0 ]; }; then
	echo "# ClickHouse sink"
	BENCH_CH_OUT=$OUTDIR NFX_BUILD=${NFX_BUILD:-build} COL_CPU=$COL_CPU GEN_CPU=$GEN_CPU \
		bash "$ROOT/bench/clickhouse.sh" ||
		echo "bench: ClickHouse sink: failed or skipped (see above)"
fi

# the live hand-over under load (bench/handover.sh, about 20 s): records lost,
# time to the old daemon's exit, CPU; BENCH_HANDOVER=0 skips it
if [ "${BENCH_HANDOVER:-1}" = 1 ] && [ "$NETFLOW" = 1 ]; then
	echo "# live hand-over"
	BENCH_OUT=$OUTDIR NFX_BUILD=${NFX_BUILD:-build} COL_CPU=$COL_CPU GEN_CPU=$GEN_CPU \
		bash "$ROOT/bench/handover.sh" || echo "bench: hand-over: failed (see above)"
fi

MICRO_JSON='{}'
CG_JSON='{}'
if [ "${BENCH_NO_MICRO:-0}" != 1 ]; then
	echo "# microbenchmarks"
	if [ "$QUICK" = 1 ]; then
		MICRO_JSON=$(taskset -c "$COL_CPU" "$MICRO" --json --seconds 0.5 --repeat 3)
		CG_JSON=$(CG_COUNT=50000 NFX_BUILD=${NFX_BUILD:-build} "$ROOT/bench/callgrind.sh" --json)
		taskset -c "$COL_CPU" "$B/bench/agginsert" --flows 1000000 | sed 's/^/# /'
	else
		MICRO_JSON=$(taskset -c "$COL_CPU" "$MICRO" --json --seconds 1 --repeat 7)
		CG_JSON=$(CG_COUNT=200000 NFX_BUILD=${NFX_BUILD:-build} "$ROOT/bench/callgrind.sh" --json)
		taskset -c "$COL_CPU" "$B/bench/agginsert" --repeat 7 | sed 's/^/# /'
	fi
fi

META="\"quick\":$QUICK,\"duration_s\":$DUR,\"cpus\":$(nproc),\"kernel\":\"$(uname -r)\",\"gen_cpu\":$GEN_CPU,\"col_cpu\":$COL_CPU,\"exporters\":$EXPORTERS"
$PY "$ROOT/bench/report.py" "$RES" "$OUTDIR" "$MICRO_JSON" "$CG_JSON" "{$META,\"repeat\":$REPEAT}"

# the Zipf stream: the same NetFlow runs with skewed flows, nfxdp against nfcapd
ZIPF=${BENCH_ZIPF:-$([ "$QUICK" = 1 ] && echo 0 || echo 1.1)}
if [ "$ZIPF" != 0 ] && [ "$NETFLOW" = 1 ]; then
	echo "# Zipf stream, exponent $ZIPF"
	GEN_ZIPF=$ZIPF
	RES=$W/zipf.ndjson
	: >"$RES"
	matrix "${BENCH_ZIPF_REPEAT:-1}" "$(tr ' ' '\n' <<<"$PROTOS" | grep -vx sflow | paste -sd ' ')" \
		"nfxdp-xdp-agg nfcapd" "${BENCH_ZIPF_RATES:-1000000 0}"
	mkdir -p "$OUTDIR/zipf"
	$PY "$ROOT/bench/report.py" "$RES" "$OUTDIR/zipf" '{}' '{}' \
		"{$META,\"repeat\":${BENCH_ZIPF_REPEAT:-1},\"zipf\":$ZIPF}"
fi
$PY "$ROOT/bench/plot.py" "$OUTDIR/results.json" "$OUTDIR/bench.png" || echo "bench: no plot"
echo "# results: $OUTDIR/results.json $OUTDIR/results.md $OUTDIR/bench.png"

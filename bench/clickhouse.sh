#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/clickhouse.sh - the ClickHouse sink in `make bench` (BENCHMARKS.md,
# "ClickHouse sink").  Everything runs in a network namespace of its own
# (loopback only, so its ports collide with nothing on the shared machine):
# a throw-away clickhouse-server (Debian's 18.16) with its own configuration
# and data directory, the table from `nfxdp clickhouse-schema`, then
#   a) the sink alone: build/bench/ch_driver pushes N decoded flows (nfgen's
#      population) through nfx_ch_push_flow(): rows/s until SELECT count()
#      has them all, collector CPU per row split into the event loop (the
#      pushing thread's CPU clock) and the sink's worker (gzip + HTTP); next
#      to it the same flows through the NDJSON file writer;
#   b) end to end: `nfxdp run --udp --raw --clickhouse URL -o /dev/null`, and
#      `nfxdp run --udp --raw -o FILE` without ClickHouse, fed by
#      build/bench/nfgen on 127.0.0.1 at a fixed rate: rows in ClickHouse (or
#      records in the file) against records sent, nfxdp's CPU per row.
# Each measured BENCH_CH_REPEAT times (default 3), medians reported.  The
# whole run is bounded (BENCH_CH_BUDGET seconds, default 230: a step that
# would not fit is skipped and said so).  The server, its data and every file
# are removed on exit (trap), also on failure or interrupt.
#
# Knobs: BENCH_CH_ROWS (a: rows per run, default 1000000), BENCH_CH_RATE (b:
# records/s, default 100000), BENCH_CH_DURATION (b: seconds, default 5),
# BENCH_CH_PROTO (b: v5|v9|ipfix, default ipfix), BENCH_CH_REPEAT,
# BENCH_CH_BUDGET, BENCH_CH_OUT (a directory: clickhouse.json and
# clickhouse.md are written there), COL_CPU (driver / nfxdp, default 0),
# GEN_CPU (nfgen, default 1), CH_CPU (clickhouse-server, default 1).
# Exit status: 0 measured, 1 failed, 2 skipped (no clickhouse-server).
set -u

if [ -z "${NFXCH_NETNS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "bench-ch: needs root (a network namespace)"; exit 1; }
	exec unshare -n env NFXCH_NETNS=1 bash "$0" "$@"
fi

T_START=$(date +%s)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/ch-server.sh
source "$ROOT/scripts/ch-server.sh"
B=$ROOT/${NFX_BUILD:-build}
NFXDP=$B/nfxdp
NFGEN=$B/bench/nfgen
DRIVER=$B/bench/ch_driver
PY=/usr/bin/python3
ROWS=${BENCH_CH_ROWS:-1000000}
RATE=${BENCH_CH_RATE:-100000}
DUR=${BENCH_CH_DURATION:-5}
PROTO=${BENCH_CH_PROTO:-ipfix}
REPEAT=${BENCH_CH_REPEAT:-3}
BUDGET=${BENCH_CH_BUDGET:-230}
OUTDIR=${BENCH_CH_OUT:-}
COL_CPU=${COL_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
CH_CPU=${CH_CPU:-1}
HTTP_PORT=8123
TCP_PORT=9000
PORT=2055
URL="http://127.0.0.1:$HTTP_PORT/?database=default"
TABLE=flows
HZ=$(getconf CLK_TCK)

if ! command -v clickhouse-server >/dev/null || ! command -v clickhouse-client >/dev/null; then
	echo "bench-ch: clickhouse-server missing; installing the Debian packages"
	DEBIAN_FRONTEND=noninteractive apt-get install -y clickhouse-server clickhouse-client \
		>/dev/null 2>&1 || true
fi
if ! command -v clickhouse-server >/dev/null || ! command -v clickhouse-client >/dev/null; then
	echo "bench-ch: skipped: clickhouse-server/clickhouse-client not installed"
	exit 2
fi
for f in "$NFXDP" "$NFGEN" "$DRIVER"; do
	[ -x "$f" ] || { echo "bench-ch: $f not built (make bench-build)"; exit 1; }
done

W=$(mktemp -d /tmp/nfxch.XXXXXX)
CH_PID=
NFX_PID=
cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	for p in $NFX_PID $CH_PID; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $NFX_PID $CH_PID; do
		timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$W"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip link set lo up || { echo "bench-ch: cannot bring up loopback"; exit 1; }

left() { echo $((T_START + BUDGET - $(date +%s))); }

# ---- the server: configuration as in tests/netns/test-clickhouse.sh, no ZooKeeper ----

ch_start() {
	local d=$W/ch
	ch_write_conf "$d" "$HTTP_PORT" "$TCP_PORT" warning
	taskset -c "$CH_CPU" clickhouse-server --config-file="$d/config.xml" >>"$d/log/stdout" 2>&1 &
	CH_PID=$!
	ch_wait_ready "$d" "$CH_PID" "$HTTP_PORT" 300
}

ch_q() { curl -sS --max-time 20 "http://127.0.0.1:$HTTP_PORT/" --data-binary "$1"; }

# a fresh, empty table: every run starts from the same state (no merges left
# over from the previous one)
fresh_table() {
	ch_q "DROP TABLE IF EXISTS $TABLE" >/dev/null || return 1
	"$NFXDP" clickhouse-schema --table "$TABLE" >"$W/ddl.sql" || return 1
	clickhouse-client --host 127.0.0.1 --port "$TCP_PORT" --multiquery <"$W/ddl.sql"
}

# utime+stime of a whole process (all its threads, dead ones included), seconds
proc_cpu() {
	awk -v hz="$HZ" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / hz }' \
		/proc/"$1"/stat 2>/dev/null || echo 0
}

# nanoseconds on CPU: "MAIN OTHERS" (the thread whose tid is the pid, the rest)
thread_split() {
	local t m=0 o=0 v
	for t in /proc/"$1"/task/*; do
		v=$(cut -d' ' -f1 "$t/schedstat" 2>/dev/null)
		[ -n "$v" ] || continue
		if [ "${t##*/}" = "$1" ]; then m=$((m + v)); else o=$((o + v)); fi
	done
	echo "$m $o"
}

RES=$W/res.ndjson
: >"$RES"

# ---- a) the sink alone ----

sink_run() {
	local rep=$1 j s0 s1
	j=$(taskset -c "$COL_CPU" timeout 60 "$DRIVER" ndjson "$W/sink.ndjson" "$ROWS")
	rm -f "$W/sink.ndjson"
	[ -n "$j" ] && echo "{\"part\":\"sink\",\"kind\":\"ndjson\",\"rep\":$rep,\"r\":$j}" >>"$RES"
	fresh_table || { echo "bench-ch: schema not accepted"; return 1; }
	s0=$(proc_cpu "$CH_PID")
	j=$(taskset -c "$COL_CPU" timeout 90 "$DRIVER" ch "$URL" "$TABLE" "$ROWS") ||
		echo "bench-ch: ch_driver: not every row arrived: ${j:-no result}"
	s1=$(proc_cpu "$CH_PID")
	[ -n "$j" ] && echo "{\"part\":\"sink\",\"kind\":\"clickhouse\",\"rep\":$rep,\"server_cpu_s\":$($PY -c "print(round($s1 - $s0, 3))"),\"r\":$j}" >>"$RES"
}

# ---- b) end to end ----

wait_log() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q "$1" "$W/err" 2>/dev/null && return 0
		kill -0 "$NFX_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

stop_nfx() {
	kill -INT "$NFX_PID" 2>/dev/null
	timeout 30 tail --pid="$NFX_PID" -f /dev/null 2>/dev/null
	kill -KILL "$NFX_PID" 2>/dev/null
	wait "$NFX_PID" 2>/dev/null
	NFX_PID=
}

summary_field() {	# NAME: its value in nfxdp's exit summary
	sed -n "s/.*[ ;]$1=\([0-9]*\).*/\1/p" "$W/err" | head -1
}

e2e_run() {
	local kind=$1 rep=$2 c0 c1 sp0 sp1 s0 s1 g last cur same i rows dec
	local -a args=(run --udp --bind 127.0.0.1 -p "$PORT" --raw --stats-file none --state-dir "$W/state")
	if [ "$kind" = clickhouse ]; then
		fresh_table || { echo "bench-ch: schema not accepted"; return 1; }
		args+=(--clickhouse "$URL" --clickhouse-table "$TABLE" -o /dev/null)
	else
		args+=(-o "$W/e2e.ndjson")
	fi
	taskset -c "$COL_CPU" "$NFXDP" "${args[@]}" 2>"$W/err" &
	NFX_PID=$!
	if ! wait_log "collecting on"; then
		echo "bench-ch: nfxdp did not start:"; tail -5 "$W/err"; stop_nfx; return 1
	fi
	c0=$(proc_cpu "$NFX_PID"); sp0=$(thread_split "$NFX_PID"); s0=$(proc_cpu "$CH_PID")
	g=$(taskset -c "$GEN_CPU" timeout $((DUR + 20)) "$NFGEN" --dst 127.0.0.1 --port "$PORT" \
		--proto "$PROTO" --rate "$RATE" --duration "$DUR" --exporters 8 --seed "$rep")
	# settled: nothing moved for 1.5 s (longer than the sink's 1 s batch age)
	last=; same=0
	for ((i = 0; i < 80 && same < 6; i++)); do
		sleep 0.25
		cur="$(proc_cpu "$NFX_PID")"
		[ "$kind" = clickhouse ] && cur="$cur $(ch_q "SELECT count() FROM $TABLE")"
		if [ "$cur" = "$last" ]; then same=$((same + 1)); else same=0; fi
		last=$cur
	done
	c1=$(proc_cpu "$NFX_PID"); sp1=$(thread_split "$NFX_PID"); s1=$(proc_cpu "$CH_PID")
	stop_nfx
	dec=$(sed -n 's/.* \(v5\|v9\|ipfix\) packets=[0-9]* records=\([0-9]*\).*/\2/p' "$W/err" | head -1)
	if [ "$kind" = clickhouse ]; then
		rows=$(ch_q "SELECT count() FROM $TABLE")
	else
		rows=$(summary_field output_records)
		rm -f "$W/e2e.ndjson"
	fi
	echo "{\"part\":\"e2e\",\"kind\":\"$kind\",\"rep\":$rep,\"rows\":${rows:-0},\"decoded\":${dec:-0},\"cpu_s\":$($PY -c "print(round($c1 - $c0, 3))"),\"main_ns\":$(( ${sp1% *} - ${sp0% *} )),\"other_ns\":$(( ${sp1#* } - ${sp0#* } )),\"server_cpu_s\":$($PY -c "print(round($s1 - $s0, 3))"),\"ch_dropped\":$(summary_field rows_dropped | grep . || echo 0),\"gen\":$g}" >>"$RES"
	$PY - "$(tail -1 "$RES")" <<'EOF'
import json, sys
r = json.loads(sys.argv[1]); g = r["gen"]
att = g["records"] + g["refused_records"]
print("#   e2e %-10s sent %8d refused %6d decoded %8d rows %8d  loss %6.2f%%  nfxdp cpu %.2fs = %.2f us/row"
      % (r["kind"], g["records"], g["refused_records"], r["decoded"], r["rows"],
         100 * (1 - r["rows"] / att) if att else 0, r["cpu_s"],
         r["cpu_s"] / r["rows"] * 1e6 if r["rows"] else 0))
EOF
}

# ---- the run ----

t0=$(date +%s%N)
ch_start || { echo "bench-ch: clickhouse-server did not start"; exit 1; }
echo "# bench-ch: clickhouse-server $(ch_q 'SELECT version()') ready in $((($(date +%s%N) - t0) / 1000000)) ms (CPU $CH_CPU); collector on CPU $COL_CPU, nfgen on CPU $GEN_CPU"
echo "# bench-ch: a) sink alone, $ROWS rows; b) end to end, $PROTO at $RATE records/s for ${DUR}s; $REPEAT repetitions, budget ${BUDGET}s"
SKIPPED=
for rep in $(seq 1 "$REPEAT"); do
	# a sink run takes ROWS / ~100k rows/s at worst, an end-to-end run DUR + ~6 s
	need=$((ROWS / 100000 + 2 * (DUR + 8) + 5))
	if [ "$(left)" -lt "$need" ]; then
		SKIPPED="repetitions $rep..$REPEAT (time budget)"
		echo "# bench-ch: skipping $SKIPPED"
		break
	fi
	sink_run "$rep"
	$PY - "$RES" "$rep" <<'EOF'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["part"] != "sink" or r["rep"] != int(sys.argv[2]):
        continue
    x = r["r"]
    if r["kind"] == "ndjson":
        print("#   sink ndjson     %8d rows  %9.0f rows/s  cpu %.2f us/row" % (x["rows"], x["rows_per_s"], x["cpu_us_per_row"]))
    else:
        print("#   sink clickhouse %8d rows  %9.0f rows/s  cpu %.2f us/row (event loop %.2f, worker %.2f)  server %.2f us/row  dropped %d"
              % (x["rows_in_table"], x["rows_per_s"], x["cpu_us_per_row"], x["cpu_event_loop_us_per_row"],
                 x["cpu_worker_us_per_row"], r["server_cpu_s"] / x["rows"] * 1e6, x["rows_dropped"]))
EOF
	e2e_run clickhouse "$rep"
	e2e_run file "$rep"
done

# ---- medians ----

$PY - "$RES" "$OUTDIR" "{\"rows\":$ROWS,\"rate\":$RATE,\"duration_s\":$DUR,\"proto\":\"$PROTO\",\"repeat\":$REPEAT,\"col_cpu\":\"$COL_CPU\",\"gen_cpu\":\"$GEN_CPU\",\"ch_cpu\":\"$CH_CPU\",\"cpus\":$(nproc),\"server\":\"$(ch_q 'SELECT version()')\",\"skipped\":\"$SKIPPED\"}" <<'EOF'
import json, os, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
outdir, meta = sys.argv[2], json.loads(sys.argv[3])
med = lambda xs: statistics.median(xs) if xs else float("nan")
def sel(part, kind): return [r for r in runs if r["part"] == part and r["kind"] == kind]
sn, sc = sel("sink", "ndjson"), sel("sink", "clickhouse")
en, ec = sel("e2e", "file"), sel("e2e", "clickhouse")
def e2e(rs):
    out = {"n": len(rs)}
    if not rs:
        return out
    att = [r["gen"]["records"] + r["gen"]["refused_records"] for r in rs]
    out["sent"] = med(att)
    out["rows"] = med([r["rows"] for r in rs])
    out["loss_pct"] = med([100 * (1 - r["rows"] / a) if a else 0 for r, a in zip(rs, att)])
    out["rows_per_s"] = med([r["rows"] / r["gen"]["elapsed_s"] for r in rs])
    out["cpu_us_per_row"] = med([r["cpu_s"] / r["rows"] * 1e6 for r in rs if r["rows"]])
    out["main_us_per_row"] = med([r["main_ns"] / 1e3 / r["rows"] for r in rs if r["rows"]])
    out["other_us_per_row"] = med([r["other_ns"] / 1e3 / r["rows"] for r in rs if r["rows"]])
    out["server_us_per_row"] = med([r["server_cpu_s"] / r["rows"] * 1e6 for r in rs if r["rows"]])
    out["ch_dropped"] = max(r["ch_dropped"] for r in rs)
    return out
res = {
    "meta": meta,
    "sink": {
        "ndjson": {"n": len(sn), "rows_per_s": med([r["r"]["rows_per_s"] for r in sn]),
                   "cpu_us_per_row": med([r["r"]["cpu_us_per_row"] for r in sn])},
        "clickhouse": {"n": len(sc), "rows_per_s": med([r["r"]["rows_per_s"] for r in sc]),
                       "cpu_us_per_row": med([r["r"]["cpu_us_per_row"] for r in sc]),
                       "event_loop_us_per_row": med([r["r"]["cpu_event_loop_us_per_row"] for r in sc]),
                       "worker_us_per_row": med([r["r"]["cpu_worker_us_per_row"] for r in sc]),
                       "server_us_per_row": med([r["server_cpu_s"] / r["r"]["rows"] * 1e6 for r in sc]),
                       "bytes_per_row": med([r["r"]["bytes_sent"] / r["r"]["rows"] for r in sc]),
                       "rows_dropped": max([r["r"]["rows_dropped"] for r in sc] or [0]),
                       "rows_missing": max([r["r"]["rows"] - r["r"]["rows_in_table"] for r in sc] or [0])},
    },
    "e2e": {"clickhouse": e2e(ec), "file": e2e(en)},
    "runs": runs,
}
m = meta
S, E = res["sink"], res["e2e"]
f = lambda v, fmt: "n/a" if v != v else fmt % v
md = []
md.append("ClickHouse sink, medians of %d (sink alone: %d rows; end to end: %s at %d records/s for %d s)"
          % (m["repeat"], m["rows"], m["proto"], m["rate"], m["duration_s"]))
md.append("")
md.append("| | rows/s | collector CPU µs/row | event loop | worker | server CPU µs/row |")
md.append("|---|---|---|---|---|---|")
md.append("| sink alone → ClickHouse | %s | %s | %s | %s | %s |" % (
    f(S["clickhouse"]["rows_per_s"], "%.0f"), f(S["clickhouse"]["cpu_us_per_row"], "%.2f"),
    f(S["clickhouse"]["event_loop_us_per_row"], "%.2f"), f(S["clickhouse"]["worker_us_per_row"], "%.2f"),
    f(S["clickhouse"]["server_us_per_row"], "%.2f")))
md.append("| sink alone → NDJSON file | %s | %s | %s | – | – |" % (
    f(S["ndjson"]["rows_per_s"], "%.0f"), f(S["ndjson"]["cpu_us_per_row"], "%.2f"),
    f(S["ndjson"]["cpu_us_per_row"], "%.2f")))
for k, name in (("clickhouse", "nfxdp → ClickHouse (-o /dev/null)"), ("file", "nfxdp → NDJSON file")):
    e = E[k]
    if not e["n"]:
        continue
    md.append("| %s: %s rows of %s sent, loss %s %% | %s | %s | %s | %s | %s |" % (
        name, f(e["rows"], "%.0f"), f(e["sent"], "%.0f"), f(e["loss_pct"], "%.2f"),
        f(e["rows_per_s"], "%.0f"), f(e["cpu_us_per_row"], "%.2f"), f(e["main_us_per_row"], "%.2f"),
        f(e["other_us_per_row"], "%.2f") if k == "clickhouse" else "–",
        f(e["server_us_per_row"], "%.2f") if k == "clickhouse" else "–"))
md.append("")
md.append("sink → ClickHouse: %.0f compressed bytes/row on the wire, rows dropped %d, rows missing %d; "
          "end to end: sink rows dropped %s" % (S["clickhouse"]["bytes_per_row"], S["clickhouse"]["rows_dropped"],
          S["clickhouse"]["rows_missing"], E["clickhouse"].get("ch_dropped", "n/a")))
if m["skipped"]:
    md.append("skipped: " + m["skipped"])
print("\n".join("# " + l if l else "#" for l in md))
if outdir:
    os.makedirs(outdir, exist_ok=True)
    json.dump(res, open(os.path.join(outdir, "clickhouse.json"), "w"), indent=1)
    open(os.path.join(outdir, "clickhouse.md"), "w").write("\n".join(md) + "\n")
    print("# bench-ch: %s/clickhouse.json, %s/clickhouse.md" % (outdir, outdir))
ok = sc and ec and en and S["clickhouse"]["rows_missing"] == 0
sys.exit(0 if ok else 1)
EOF
rc=$?
echo "# bench-ch: done in $(($(date +%s) - T_START)) s"
exit $rc

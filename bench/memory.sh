#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/memory.sh - is nfxdp's memory flat under sustained load, and do its
# bounds hold?  (BENCHMARKS.md, "Memory".)
#
# Two network namespaces joined by a 2-queue veth (names nfxm*, apart from
# bench/run.sh's nfxb*); bench/nfgen in the exporter netns (CPU $GEN_CPU)
# sends IPFIX at a fixed rate with a population that keeps changing: a
# window of --flows live flows sliding over new flow identities
# (--flow-churn), and every exporter moving to a new template id and
# observation domain every few seconds (--tmpl-churn, --domain-churn; the
# bounded mode keeps its domains).
# nfxdp (CPU $COL_CPU) runs once per mode:
#   xdp-agg      nfxdp run -i IF, aggregated (short flush interval / TTLs, so
#                the steady state comes within the run)
#   xdp-raw      the same with --raw
#   xdp-bounded  aggregated, with aggregator_max_contexts and the template /
#                exporter / pending bounds set below the offered population,
#                so the bounds are reached and their drop counters count
# Output is -o /dev/null in every mode: page-cache growth of an output file
# is not the daemon's memory.  Every second: VmRSS of the daemon (summed
# over its processes) and, from its stats file, contexts held, templates
# held, exporter-domains held.  Reported per mode: RSS at start (before
# traffic), 10 s into the traffic, at the end, the maximum, and the slope of
# a least-squares line over the second half of the run (kB/min); the final
# counters.  First, bench/tmplmem (no network): bytes per template and per
# exporter-domain, computed and measured through the decoder (20 fields, and
# 60 with variable-length ones).  $BENCH_OUT/memory.json and memory.md.
#
# Knobs (env): MEM_DURATION (s per mode, default 75), MEM_RATE (records/s,
# default 500000), MEM_MODES, MEM_FLOWS (live flows, default 65536),
# MEM_FLOW_CHURN (window advance, flows/s, default 2000), MEM_POOL (nfgen's
# prebuilt packets, default 8192: their records reference ~60 000 of the
# 65 536 flows), MEM_TMPL_CHURN (s per template id, default 2),
# MEM_EXPORTERS (default 8), BENCH_OUT, GEN_CPU/COL_CPU, NFX_BUILD.
# Defaults: about 4 minutes.
set -u

if [ -z "${NFXM_PRIVATE_MNT:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "memory: needs root (netns, XDP)"; exit 1; }
	exec unshare -m --propagation private env NFXM_PRIVATE_MNT=1 bash "$0" "$@"
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/${NFX_BUILD:-build}
NFXDP=$B/nfxdp
NFGEN=$B/bench/nfgen
TMPLMEM=$B/bench/tmplmem
PY=/usr/bin/python3
OUTDIR=${BENCH_OUT:-$ROOT/bench/results}
GEN_CPU=${GEN_CPU:-1}
COL_CPU=${COL_CPU:-0}
DUR=${MEM_DURATION:-75}
RATE=${MEM_RATE:-500000}
MODES=${MEM_MODES:-"xdp-agg xdp-raw xdp-bounded"}
FLOWS=${MEM_FLOWS:-65536}
POOL=${MEM_POOL:-8192}
FLOW_CHURN=${MEM_FLOW_CHURN:-2000}
TMPL_CHURN=${MEM_TMPL_CHURN:-2}
EXPORTERS=${MEM_EXPORTERS:-8}
PORT=2055

case $DUR in ''|*[!0-9]*) echo "memory: MEM_DURATION must be whole seconds"; exit 1 ;; esac
[ "$DUR" -ge 10 ] && [ "$DUR" -le 3600 ] || { echo "memory: MEM_DURATION 10..3600"; exit 1; }
[ "$EXPORTERS" -ge 1 ] && [ "$EXPORTERS" -le 200 ] || { echo "memory: MEM_EXPORTERS 1..200"; exit 1; }

P=nfxm$$
NS_C=${P}c
NS_E=${P}e
IF_C=${P}a
IF_E=${P}b
IP_C=10.234.0.1
EXP_NET=10.234.0
SRC_BASE=$EXP_NET.10
PIN_DIR=/sys/fs/bpf/$P
W=$(mktemp -d /tmp/nfxm.XXXXXX)
COL_PID=
GEN_PID=

for f in "$NFXDP" "$NFGEN"; do
	[ -x "$f" ] || { echo "memory: $f not built (make bench-build)"; rm -rf "$W"; exit 1; }
done

# shellcheck source=bench/netns.sh
source "$ROOT/bench/netns.sh"

cleanup() {
	local rc=$?
	if [ -n "$GEN_PID" ] && kill -0 "$GEN_PID" 2>/dev/null; then
		kill -TERM "$GEN_PID" 2>/dev/null
		timeout 10 tail --pid="$GEN_PID" -f /dev/null 2>/dev/null
		kill -KILL "$GEN_PID" 2>/dev/null
	fi
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
trap 'exit 1' INT TERM HUP

mount -t bpf bpf /sys/fs/bpf || { echo "memory: cannot mount bpffs"; exit 1; }

# The steady-state runs: timers short enough that flows, templates and
# exporter-domains that went away are dropped well within the run (a flow
# that stops is flushed within 10 s and removed at the next 10 s tick; a
# template or domain after 10 s idle, swept every 5 s).  Bounds as shipped.
cat >"$W/steady.json" <<EOF
{
	"aggregator_flush_interval": 10,
	"aggregator_flow_context_ttl": 5,
	"template_ttl": 10,
	"template_sweep_interval": 5
}
EOF
# The bounded run: every bound below what is offered.  Contexts: 16384 <
# the live flows; exporter-domains: 6 < the 8 exporters (no domain churn
# here), so 2 are never tracked; templates: each tracked exporter brings a
# new id every MEM_TMPL_CHURN s and an idle one goes after 5 s (swept every
# second), so each wants ~4 at once, against 3 per exporter-domain and 16 in
# all (< 6 x 3: both refusals happen, and a refused template gets in at a
# later refresh once the sweep made room); data sets held for a missing
# template: 4 KiB per exporter-domain, 32 KiB in all.
cat >"$W/bounded.json" <<EOF
{
	"aggregator_flush_interval": 10,
	"aggregator_flow_context_ttl": 10,
	"aggregator_max_contexts": 16384,
	"template_ttl": 5,
	"template_sweep_interval": 1,
	"max_exporters": 6,
	"max_templates": 16,
	"max_templates_per_exporter": 3,
	"pending_bytes_per_exporter": 4096,
	"pending_total_bytes": 32768
}
EOF

tree_pids() {
	local p=$1 c
	echo "$p"
	for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree_pids "$c"; done
}

# "RSS_kB HWM_kB" summed over the daemon's processes
tree_mem() {
	local p rss=0 hwm=0 a b
	for p in $(tree_pids "$1"); do
		read -r a b < <(awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { print r + 0, h + 0 }' \
			/proc/"$p"/status 2>/dev/null)
		rss=$((rss + ${a:-0})); hwm=$((hwm + ${b:-0}))
	done
	echo "$rss $hwm"
}

# "contexts templates domains records" from the daemon's stats file
stats_now() {
	awk '/^nfx_agg_contexts[{ ]/ { c += $NF }
	     /^nfx_exporter_templates[{ ]/ { t += $NF; d++ }
	     /^nfx_decoder_records_total[{ ]/ { r += $NF }
	     END { printf "%d %d %d %d\n", c, t, d, r }' "$1" 2>/dev/null || echo "0 0 0 0"
}

wait_log() {
	local i
	for i in $(seq 1 150); do
		grep -q "$1" "$2" 2>/dev/null && return 0
		kill -0 "$COL_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

RES=$W/runs.ndjson
: >"$RES"

one_mode() {
	local mode=$1 d=$W/$1 raw= cfg=$W/steady.json domchurn=--domain-churn t0 now i m s
	mkdir -p "$d"
	case $mode in
	xdp-agg) ;;
	xdp-raw) raw=--raw ;;
	xdp-bounded) cfg=$W/bounded.json; domchurn= ;;
	*) echo "memory: unknown mode $mode"; return 1 ;;
	esac
	# nsenter and taskset exec: $! is nfxdp itself (a shell function here
	# would put a subshell in between, and signals would miss the daemon)
	nsenter --net="/run/netns/$NS_C" taskset -c "$COL_CPU" "$NFXDP" run -i "$IF_C" --pin-dir "$PIN_DIR" -c "$cfg" $raw \
		-p "$PORT" -o /dev/null --state-dir "$d/state" --stats-file "$d/stats.prom" >/dev/null 2>"$d/err" &
	COL_PID=$!
	if ! wait_log "collecting on" "$d/err"; then
		echo "memory: $mode: nfxdp did not start"; sed 's/^/#   /' "$d/err" | tail -5
		return 1
	fi
	sleep 1
	: >"$d/samples"
	t0=$(date +%s.%N)
	# t = -1: before any traffic
	echo "-1 $(tree_mem "$COL_PID") $(stats_now "$d/stats.prom")" >>"$d/samples"
	nsenter --net="/run/netns/$NS_E" taskset -c "$GEN_CPU" timeout $((DUR + 30)) "$NFGEN" --dst "$IP_C" --port "$PORT" \
		--proto ipfix --rate "$RATE" --duration "$DUR" --exporters "$EXPORTERS" \
		--src-base "$SRC_BASE" --flows "$FLOWS" --pool "$POOL" --flow-churn "$FLOW_CHURN" \
		--tmpl-churn "$TMPL_CHURN" $domchurn >"$d/gen.json" 2>"$d/gen.err" &
	GEN_PID=$!
	t0=$(date +%s.%N)
	# one sample a second while the generator runs; bounded in count
	for i in $(seq 1 $((DUR + 40))); do
		sleep 1
		kill -0 "$COL_PID" 2>/dev/null || { echo "memory: $mode: nfxdp exited"; break; }
		now=$(date +%s.%N)
		m=$(tree_mem "$COL_PID")
		s=$(stats_now "$d/stats.prom")
		kill -0 "$GEN_PID" 2>/dev/null || break
		echo "$(awk -v a="$now" -v b="$t0" 'BEGIN { printf "%.2f", a - b }') $m $s" >>"$d/samples"
	done
	wait "$GEN_PID" 2>/dev/null
	GEN_PID=
	# the counters as the daemon last published them, then its own summary
	sleep 2
	cp "$d/stats.prom" "$d/final.prom" 2>/dev/null
	kill -INT "$COL_PID" 2>/dev/null
	timeout 60 tail --pid="$COL_PID" -f /dev/null 2>/dev/null
	kill -KILL "$COL_PID" 2>/dev/null
	wait "$COL_PID" 2>/dev/null
	COL_PID=
	[ -s "$d/gen.json" ] || { echo "memory: $mode: nfgen failed"; cat "$d/gen.err"; return 1; }
	$PY - "$mode" "$d" "$DUR" "$cfg" >>"$RES" <<'EOF' || return 1
import json, re, sys
mode, d, dur, cfg = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
samples = []
for line in open(d + "/samples"):
    f = line.split()
    if len(f) != 7:
        continue
    samples.append({"t": float(f[0]), "rss_kb": int(f[1]), "hwm_kb": int(f[2]),
                    "contexts": int(f[3]), "templates": int(f[4]), "domains": int(f[5]),
                    "records": int(f[6])})
pre = [s for s in samples if s["t"] < 0]
run = [s for s in samples if s["t"] >= 0]
def near(t):
    return min(run, key=lambda s: abs(s["t"] - t)) if run else None
half = [s for s in run if s["t"] >= dur / 2]
slope = 0.0
if len(half) >= 2:
    n = len(half); mx = sum(s["t"] for s in half) / n; my = sum(s["rss_kb"] for s in half) / n
    sxx = sum((s["t"] - mx) ** 2 for s in half)
    slope = sum((s["t"] - mx) * (s["rss_kb"] - my) for s in half) / sxx * 60 if sxx else 0.0
counters = {}
try:
    for line in open(d + "/final.prom"):
        m = re.match(r'^(nfx_(?:decoder|agg|xsk|output|xdp)_[a-z_]+)(\{[^}]*\})? (\d+)', line)
        if not m:
            continue
        name, lbl, v = m.group(1), m.group(2) or "", int(m.group(3))
        if name.startswith(("nfx_xdp_", "nfx_xsk_")) or lbl.startswith("{version="):
            counters[name] = counters.get(name, 0) + v      # summed over labels
        else:
            counters[name] = v
except FileNotFoundError:
    pass
summary = ""
for line in open(d + "/err"):
    if "summary:" in line:
        summary = line.strip().split("summary:", 1)[1].strip()
g = json.load(open(d + "/gen.json"))
rx = re.search(r"ipfix packets=\d+ records=(\d+)", summary)
rx = int(rx.group(1)) if rx else 0
att = g["records"] + g["refused_records"]
last = run[-1] if run else None
out = {
    "mode": mode, "config": json.load(open(cfg)), "duration_s": dur, "gen": g,
    "received_records": rx, "loss": (1 - rx / att) if att else 0.0,
    "rss_kb": {
        "start": pre[-1]["rss_kb"] if pre else None,
        "at_10s": near(10)["rss_kb"] if run else None,
        "end": last["rss_kb"] if last else None,
        "max": max(s["rss_kb"] for s in samples) if samples else None,
        "hwm_end": last["hwm_kb"] if last else None,
        "second_half_slope_kb_per_min": round(slope, 1),
        "second_half_samples": len(half),
    },
    "held_end": {k: last[k] for k in ("contexts", "templates", "domains")} if last else {},
    "held_max": {k: max(s[k] for s in samples) for k in ("contexts", "templates", "domains")}
                if samples else {},
    "counters": counters, "summary": summary, "samples": samples,
}
print(json.dumps(out))
r = out["rss_kb"]
print("#   %-12s sent %d decoded %d (loss %.2f %%)  RSS MB: start %.1f, 10 s %.1f, end %.1f, max %.1f;"
      " 2nd-half slope %+.1f kB/min; held at end: %d contexts, %d templates, %d domains"
      % (mode, g["records"], rx, 100 * out["loss"], r["start"] / 1024, r["at_10s"] / 1024,
         r["end"] / 1024, r["max"] / 1024, r["second_half_slope_kb_per_min"],
         out["held_end"].get("contexts", 0), out["held_end"].get("templates", 0),
         out["held_end"].get("domains", 0)), file=sys.stderr)
EOF
}

T_START=$(date +%s)
TM20='null'; TM60='null'
if [ -x "$TMPLMEM" ]; then
	TM20=$("$TMPLMEM" --templates 10000 --templates 50000 --json) || TM20='null'
	TM60=$("$TMPLMEM" --templates 10000 --fields 60 --varlen --json) || TM60='null'
else
	echo "memory: $TMPLMEM not built: no template figures (make bench-build)"
fi
echo "$TM20" >"$W/tm20.json"
echo "$TM60" >"$W/tm60.json"
setup_net || { echo "memory: netns/veth setup failed"; exit 1; }
mkdir -p "$OUTDIR"
echo "# memory: ${DUR}s per mode, IPFIX at $RATE records/s, $EXPORTERS exporters, $FLOWS live flows" \
	"+ $FLOW_CHURN new/s, new template id + domain every ${TMPL_CHURN}s; modes [$MODES]"
echo "# machine: $(nproc) CPUs, $(uname -r), generator on CPU $GEN_CPU, nfxdp on CPU $COL_CPU"
for mode in $MODES; do
	one_mode "$mode" || echo "memory: $mode failed"
done
T_END=$(date +%s)

$PY - "$RES" "$OUTDIR" "$((T_END - T_START))" "$W/tm20.json" "$W/tm60.json" <<EOF
import json, sys
res, outdir, took = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = [json.loads(l) for l in open(res) if l.strip()]
tmpl = [json.load(open(f)) for f in sys.argv[4:6]]
meta = {"duration_s": $DUR, "rate": $RATE, "exporters": $EXPORTERS, "flows": $FLOWS, "pool": $POOL,
        "flow_churn_per_s": $FLOW_CHURN, "tmpl_churn_s": $TMPL_CHURN, "proto": "ipfix",
        "cpus": $(nproc), "kernel": "$(uname -r)", "gen_cpu": $GEN_CPU, "col_cpu": $COL_CPU,
        "script_seconds": took}
json.dump({"meta": meta, "templates": tmpl, "runs": runs}, open(outdir + "/memory.json", "w"),
          indent=1)
mb = lambda kb: "%.1f" % (kb / 1024) if kb is not None else "-"
L = ["# nfxdp memory under sustained load (bench/memory.sh)", "",
     "IPFIX, %d records/s for %d s per mode, %d exporters; a window of %d flows (%s of them in "
     "nfgen's packet pool) advancing %d flows/s; every exporter a new template id every %g s "
     "(and, except in xdp-bounded, a new observation domain). Output /dev/null. Script: %d s."
     % ($RATE, $DUR, $EXPORTERS, $FLOWS, runs[0]["gen"].get("pool_flows", "?") if runs else "?",
        $FLOW_CHURN, $TMPL_CHURN, took), "",
     "Decoded: records the decoder emitted / records sent (in xdp-bounded the rest is refused "
     "by the bounds, counted below).", "",
     "| mode | decoded | RSS start | RSS 10 s | RSS end | RSS max | 2nd-half slope | contexts (end/max) | templates (end/max) | domains (end/max) |",
     "|---|---|---|---|---|---|---|---|---|---|"]
for r in runs:
    k = r["rss_kb"]; e = r["held_end"]; m = r["held_max"]
    L.append("| %s | %.2f %% | %s MB | %s MB | %s MB | %s MB | %+.1f kB/min | %d / %d | %d / %d | %d / %d |"
             % (r["mode"], 100 * (1 - r["loss"]), mb(k["start"]), mb(k["at_10s"]), mb(k["end"]),
                mb(k["max"]), k["second_half_slope_kb_per_min"], e.get("contexts", 0),
                m.get("contexts", 0), e.get("templates", 0), m.get("templates", 0),
                e.get("domains", 0), m.get("domains", 0)))
keys = ["nfx_agg_contexts_dropped_total", "nfx_agg_overflow_emitted_total",
        "nfx_agg_contexts_expired_total", "nfx_decoder_templates_learned_total",
        "nfx_decoder_template_limit_total", "nfx_decoder_template_exporter_limit_total",
        "nfx_decoder_exporter_limit_total", "nfx_decoder_templates_expired_total",
        "nfx_decoder_exporters_expired_total", "nfx_decoder_template_not_found_total",
        "nfx_decoder_pending_buffered_total", "nfx_decoder_pending_decoded_total",
        "nfx_decoder_pending_dropped_total"]
L += ["", "Counters at the end (daemon stats file):", "",
      "| counter | " + " | ".join(r["mode"] for r in runs) + " |",
      "|---|" + "---|" * len(runs)]
for key in keys:
    L.append("| %s | %s |" % (key.replace("nfx_", "").replace("_total", ""),
             " | ".join(str(r["counters"].get(key, "-")) for r in runs)))
L += ["", "Configurations:", ""]
T = ["", "Bytes per template (bench/tmplmem: computed from the structures / measured through "
     "nfx_decode(); per template slot reserved at creation (heap, mallinfo2) and resident "
     "growth per template learned (RSS)):", "",
     "| templates | fields | proto | plan ops | reserved / slot (computed / measured) | "
     "heap per learned template | RSS per learned template (model / measured) | "
     "per exporter-domain slot (computed / measured) |", "|---|---|---|---|---|---|---|---|"]
for t in tmpl:
    if not t:
        continue
    for x in t["runs"]:
        for p in ("v9", "ipfix"):
            y = x[p]
            T.append("| %d | %d%s | %s | %d | %.1f / %.1f B | %.1f B | %.1f / %.1f B | %.1f / %.1f B |"
                     % (x["templates"], t["fields"], " (IPFIX: 40 varlen)" if t["varlen"] else "", p,
                        y["plan_ops"], x["create_per_template_slot_model"],
                        x["create_per_template_slot"], y["heap_per_template"],
                        y["rss_model_per_template"], y["rss_per_template"],
                        x["create_per_domain_slot_model"], x["create_per_domain_slot"]))
L = L[:3] + T + [""] + L[4:]
for r in runs:
    L.append("* %s: \`%s\`%s" % (r["mode"], json.dumps(r["config"], separators=(",", ":")),
             " --raw" if r["mode"] == "xdp-raw" else ""))
open(outdir + "/memory.md", "w").write("\n".join(L) + "\n")
print("\n".join(L))
EOF
echo "# results: $OUTDIR/memory.json $OUTDIR/memory.md ($((T_END - T_START)) s)"

#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""report.py RUNS.ndjson OUTDIR MICRO_JSON CALLGRIND_JSON META_JSON
report.py --render RESULTS.json OUTDIR

Folds the per-run lines of bench/run.sh into medians per (collector,
protocol, offered rate), writes OUTDIR/results.json and OUTDIR/results.md
(--render: results.md again from a results.json).  The tables come per
family: NetFlow/IPFIX (v5, v9, ipfix; ratios against nfcapd) and sFlow
(sflow; ratios against sfcapd).  A collector run.sh skipped for a protocol
("skipped" lines: an nfxdp build without an sFlow decoder) is "pending".

Whole-machine CPU of a run = busy CPU-seconds of /proc/stat during the run
less the generator-only baseline scaled to the packets this run offered
(baseline busy / baseline packets, same protocol and rate), and never less
than the collector's own process CPU, which it contains: on a shared machine
the subtraction can come out below it (even at zero), which is noise."""
import json
import statistics
import sys

med = statistics.median


FAMILIES = [("NetFlow / IPFIX", ("v5", "v9", "ipfix"), "nfcapd"), ("sFlow", ("sflow",), "sfcapd")]
ORDER = ["nfxdp-xdp-agg", "nfxdp-xdp-raw", "nfxdp-udp-agg", "nfacctd", "nfcapd", "sfacctd", "sfcapd"]


def fold(lines):
    """Runs, baselines, scaling and skipped lines -> (summary, scaling, runs, skipped)."""
    runs, base, scaling, skipped = [], {}, [], []
    for line in lines:
        r = json.loads(line)
        if r["kind"] == "skipped":
            skipped.append(r)
        elif r["kind"] == "baseline":
            g = r["gen"]
            pk = g["packets"] + g["refused_packets"] + g["template_packets"]
            if pk:
                base.setdefault((r["proto"], r["rate"]), []).append(r["busy_s"] / pk)
        elif r["kind"] == "scaling":
            scaling.append(r)
        else:
            runs.append(r)
    groups = {}
    for r in runs:
        g = r["gen"]
        att = g["records"] + g["refused_records"]
        pk = g["packets"] + g["refused_packets"] + g["template_packets"]
        per_pkt = med(base.get((r["proto"], r["rate"]), [0]))
        mcpu = max(r["busy_s"] - per_pkt * pk, r["proc_cpu_s"], 1e-3)
        rx = r["received"]
        groups.setdefault((r["collector"], r["proto"], r["rate"]), []).append({
            "offered_rps": att / g["elapsed_s"] if g["elapsed_s"] else 0,
            "sent": g["records"], "refused": g["refused_records"], "received": rx,
            "loss": max(0.0, 1 - rx / att) if att else 0.0,
            "proc_cpu_s": r["proc_cpu_s"], "machine_cpu_s": mcpu,
            "rec_per_proc_cpu_s": rx / r["proc_cpu_s"] if r["proc_cpu_s"] > 0 else None,
            "rec_per_machine_cpu_s": rx / mcpu,
            "vmhwm_kb": r["vmhwm_kb"],
            "startup_s": r.get("startup_s"), "startup_cpu_s": r.get("startup_cpu_s"),
            "startup_rss_kb": r.get("startup_rss_kb"),
        })
    summary = []
    for (c, p, rate), xs in sorted(groups.items(),
                                   key=lambda kv: (kv[0][1], kv[0][0], kv[0][2] or 1e12)):
        s = {"collector": c, "proto": p, "rate": rate, "n": len(xs)}
        for k in xs[0]:
            vals = [x[k] for x in xs if x[k] is not None]
            s[k] = med(vals) if vals else None
        summary.append(s)
    return summary, scaling, runs, skipped


if sys.argv[1] == "--render":
    result = json.load(open(sys.argv[2]))
    outdir = sys.argv[3]
    for s in result["summary"]:	# made before the floor: apply it to the medians
        if s["proc_cpu_s"] and s["machine_cpu_s"] < s["proc_cpu_s"]:
            s["machine_cpu_s"] = s["proc_cpu_s"]
            s["rec_per_machine_cpu_s"] = s["received"] / s["proc_cpu_s"]
    summary, scaling = result["summary"], result.get("scaling", [])
    skipped = result.get("skipped", [])
    micro = json.dumps(result["micro_records_per_s"])
    cg = json.dumps(result["callgrind_instructions_per_record"])
else:
    runs_path, outdir, micro, cg, meta = sys.argv[1:6]
    summary, scaling, runs, skipped = fold(open(runs_path).read().splitlines())
    result = {"meta": json.loads(meta), "summary": summary,
              "micro_records_per_s": json.loads(micro),
              "callgrind_instructions_per_record": json.loads(cg),
              "scaling": scaling, "runs": runs, "skipped": skipped}

zero = {}
for s in summary:
    key = (s["collector"], s["proto"])
    if s["loss"] <= 1e-6:
        zero[key] = max(zero.get(key, 0), s["offered_rps"])
    else:
        zero.setdefault(key, 0)
result["zero_loss_max_rps"] = [{"collector": c, "proto": p, "rps": v}
                               for (c, p), v in sorted(zero.items())]
json.dump(result, open(outdir + "/results.json", "w"), indent=1)

def m(v):
    return "-" if v is None else ("%.2f M" % (v / 1e6) if v >= 1e5 else "%.0f k" % (v / 1e3))


md = []
md.append("| proto | collector | offered | loss | collector CPU s | rec / collector CPU-s | machine CPU s | rec / machine CPU-s | peak RSS |")
md.append("|---|---|---|---|---|---|---|---|---|")
for s in summary:
    off = ("max %s" % m(s["offered_rps"])) if not s["rate"] else m(s["rate"])
    md.append("| %s | %s | %s | %.2f %% | %.2f | %s | %.2f | %s | %d MB |" % (
        s["proto"], s["collector"], off, 100 * s["loss"], s["proc_cpu_s"], m(s["rec_per_proc_cpu_s"]),
        s["machine_cpu_s"], m(s["rec_per_machine_cpu_s"]), s["vmhwm_kb"] // 1024))
md.append("")
idx = {(s["collector"], s["proto"], s["rate"]): s for s in summary}
pending = {}
for k in skipped:
    pending.setdefault((k["collector"], k["proto"]), k["why"])


def rate_table(protos, cols, cell):
    """A row per protocol and offered rate, a column per collector: cell()
    of its summary, "pending" where run.sh skipped it, "-" where not run."""
    md.append("| proto | offered | " + " | ".join(cols) + " |")
    md.append("|---|---|" + "---|" * len(cols))
    for p in protos:
        for rate in sorted({s["rate"] for s in summary if s["proto"] == p}, key=lambda r: r or 1e12):
            cells = []
            for c in cols:
                s = idx.get((c, p, rate))
                cells.append(cell(c, p, rate, s) if s else
                             "pending" if (c, p) in pending else "-")
            md.append("| %s | %s | " % (p, m(rate) if rate else "max") + " | ".join(cells) + " |")


def ratio(s, ref):
    if not ref or not ref["rec_per_proc_cpu_s"] or not s["rec_per_proc_cpu_s"]:
        return "-"
    return "%.2f× / %.2f×" % (s["rec_per_proc_cpu_s"] / ref["rec_per_proc_cpu_s"],
                             s["rec_per_machine_cpu_s"] / ref["rec_per_machine_cpu_s"])


def colsort(cs):
    return sorted(cs, key=lambda c: (ORDER.index(c) if c in ORDER else len(ORDER), c))


for fam, fprotos, ref_c in FAMILIES:
    protos = [p for p in fprotos if any(s["proto"] == p for s in summary) or
              any(k[1] == p for k in pending)]
    if not protos:
        continue
    cols = colsort({s["collector"] for s in summary if s["proto"] in protos} |
                   {c for c, p in pending if p in protos})
    md.append("### %s" % fam)
    md.append("")
    md.append("Loss at each offered rate (flat out: the generator's rate in brackets):")
    md.append("")
    rate_table(protos, cols, lambda c, p, rate, s: "%.2f %%" % (100 * s["loss"]) +
               ("" if rate else " (%s)" % m(s["offered_rps"])))
    md.append("")
    md.append("Highest offered rate with zero loss (records/s):")
    md.append("")
    md.append("| proto | " + " | ".join(cols) + " |")
    md.append("|---|" + "---|" * len(cols))
    for p in protos:
        md.append("| %s | " % p + " | ".join(
            "pending" if (c, p) in pending and (c, p) not in zero else m(zero.get((c, p)))
            for c in cols) + " |")
    md.append("")
    # ratios against the family's reference, per protocol and rate, both CPU figures
    md.append("Records per CPU-second relative to %s (collector process / whole machine):" % ref_c)
    md.append("")
    rate_table(protos, [c for c in cols if c != ref_c], lambda c, p, rate, s: ratio(s, idx.get((ref_c, p, rate))))
    md.append("")
    for (c, p), why in sorted(pending.items()):
        if p in protos:
            md.append("* %s, %s: pending: %s" % (c, p, why))
    if any(p in protos for _, p in pending):
        md.append("")
starts = {}
for s in summary:
    if s.get("startup_s") is not None:
        starts.setdefault((s["collector"], s["proto"]), []).append(s)
if starts:
    # medians over every rate's median: start-up does not depend on the rate
    md.append("Start-up, apart from the runs (launch to ready: nfxdp's \"collecting on\", the "
              "port bound for the others, nfacctd's settling after it; medians over the rates):")
    md.append("")
    md.append("| collector | proto | time to ready | CPU | RSS at ready |")
    md.append("|---|---|---|---|---|")
    for (c, p), xs in sorted(starts.items(), key=lambda kv: (ORDER.index(kv[0][0]) if kv[0][0] in ORDER else len(ORDER), kv[0])):
        md.append("| %s | %s | %.2f s | %.2f s | %d MB |" % (
            c, p, med([x["startup_s"] for x in xs]), med([x["startup_cpu_s"] for x in xs]),
            int(med([x["startup_rss_kb"] for x in xs])) // 1024))
    md.append("")
if scaling:
    # per worker: records per second of its own thread's CPU, and its share
    md.append("Worker scaling (nfxdp XDP aggregated; 1 worker on one CPU for both RX queues vs a "
              "worker thread per queue on both CPUs; medians over repetitions):")
    md.append("")
    md.append("| proto | offered | workers | loss | records per worker | worker CPU s | "
              "ns / record per worker | rec / worker CPU-s |")
    md.append("|---|---|---|---|---|---|---|---|")
    sg = {}
    for r in scaling:
        sg.setdefault((r["proto"], r["rate"], r["workers"]), []).append(r)
    for (p, rate, nw), xs in sorted(sg.items(), key=lambda kv: (kv[0][0], kv[0][1] or 1e12, kv[0][2])):
        loss = med([max(0.0, 1 - x["received"] / (x["gen"]["records"] + x["gen"]["refused_records"]))
                    for x in xs])
        ws = sorted({t["worker"] for x in xs for t in x["threads"]})
        cells = []
        for k in ws:
            ts = [t for x in xs for t in x["threads"] if t["worker"] == k]
            rec = med([t["records"] for t in ts])
            cpu = med([t["cpu_s"] for t in ts])
            ns = med([1e9 * t["cpu_s"] / t["records"] for t in ts if t["records"]] or [0])
            cells.append((rec, cpu, ns, rec / cpu if cpu else None))
        md.append("| %s | %s | %d | %.2f %% | %s | %s | %s | %s |" % (
            p, m(rate) if rate else "max", nw, 100 * loss,
            " / ".join(m(c[0]) for c in cells), " / ".join("%.2f" % c[1] for c in cells),
            " / ".join("%.0f" % c[2] for c in cells), " / ".join(m(c[3]) for c in cells)))
    md.append("")
mi, cgj = json.loads(micro), json.loads(cg)
if mi or cgj:
    md.append("| microbenchmark | records/s (median) | instructions/record |")
    md.append("|---|---|---|")
    for k in sorted(set(mi) | set(cgj)):
        md.append("| %s | %s | %s |" % (k, m(mi[k]["median"]) if k in mi else "-", cgj.get(k, "-")))
open(outdir + "/results.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))

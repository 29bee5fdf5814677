#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""scaling.py - the worker-scaling runs of bench/run.sh.

scaling.py record PROTO RATE REP WORKERS RECEIVED T0 T1 HZ GEN_JSON ERRLOG
    one JSON line: per worker thread its records (nfxdp's exit summary,
    "worker[K] queues=Q records=N"; with one worker, everything received)
    and its CPU seconds (T0/T1: {"thread name": jiffies} before and after).
scaling.py show LINE
    the line as a human-readable summary."""
import json
import re
import sys


def record(proto, rate, rep, nw, rx, t0, t1, hz, gen, err):
    nw, rx, hz = int(nw), int(rx), int(hz)
    t0, t1 = json.loads(t0), json.loads(t1)
    log = open(err).read()
    per = {int(k): int(v) for k, v in re.findall(r"worker\[(\d+)\] queues=\d+ records=(\d+)", log)}
    frames = [int(v) for v in re.findall(r"xsk\[\d+\] frames=(\d+)", log)]
    threads = []
    for name, ticks in sorted(t1.items()):
        m = re.fullmatch(r"nfxdp-w(\d+)", name)
        # one worker runs on the main thread, several on threads of their own
        if (nw > 1) != bool(m) or (nw == 1 and name != "nfxdp"):
            continue
        k = int(m.group(1)) if m else 0
        threads.append({"worker": k, "cpu_s": (ticks - t0.get(name, 0)) / hz,
                        "records": per.get(k, 0) if nw > 1 else rx})
    return {"kind": "scaling", "proto": proto, "rate": int(rate), "rep": int(rep), "workers": nw,
            "received": rx, "queue_frames": frames, "threads": threads, "gen": json.loads(gen)}


def show(r):
    g = r["gen"]
    att = g["records"] + g["refused_records"]
    ws = "  ".join("w%d %d rec %.2fs %s" % (
        t["worker"], t["records"], t["cpu_s"],
        ("%.0f ns/rec" % (1e9 * t["cpu_s"] / t["records"])) if t["records"] else "-")
        for t in r["threads"])
    return "#   scaling %-5s rate %9s workers %d  loss %6.2f%%  %s" % (
        r["proto"], r["rate"] or "max", r["workers"],
        100 * (1 - r["received"] / att) if att else 0, ws)


if __name__ == "__main__":
    if sys.argv[1] == "record":
        print(json.dumps(record(*sys.argv[2:12])))
    else:
        print(show(json.loads(sys.argv[2])))

#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""plot.py RESULTS.json OUT.png - records per CPU-second (collector process
and whole machine) and loss against offered rate, one column per protocol
(v5, v9, IPFIX, sFlow), one line per collector (Debian's python3-matplotlib).
Collectors run.sh skipped for a protocol are named in its column as pending."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

res = json.load(open(sys.argv[1]))
S = res["summary"]
SK = res.get("skipped", [])
protos = [p for p in ("v5", "v9", "ipfix", "sflow")
          if any(s["proto"] == p for s in S) or any(k["proto"] == p for k in SK)]
cols = sorted({s["collector"] for s in S})
fig, ax = plt.subplots(3, len(protos), figsize=(max(5 * len(protos), 8), 11), squeeze=False)
rows = [("rec_per_proc_cpu_s", "records / collector CPU-s (M)", 1e-6),
        ("rec_per_machine_cpu_s", "records / machine CPU-s (M)", 1e-6),
        ("loss", "loss (%)", 100)]
for j, p in enumerate(protos):
    for c in cols:
        xs = sorted((s for s in S if s["proto"] == p and s["collector"] == c),
                    key=lambda s: s["offered_rps"])
        if not xs:
            continue
        x = [s["offered_rps"] / 1e6 for s in xs]
        for i, (k, label, scale) in enumerate(rows):
            y = [(s[k] or 0) * scale for s in xs]
            ax[i][j].plot(x, y, marker="o", label=c)
            ax[i][j].set_ylabel(label)
    for i in range(3):
        ax[i][j].set_xscale("log")
        ax[i][j].set_xlabel("offered records/s (M, log; last point = flat out)")
        ax[i][j].grid(True, which="both", alpha=0.3)
    pend = sorted({k["collector"] for k in SK if k["proto"] == p})
    ax[0][j].set_title(p + ("\npending (not measured): " + ", ".join(pend) if pend else ""),
                       fontsize=9 if pend else None)
    ax[0][j].legend(fontsize=8)
meta = res.get("meta", {})
fig.suptitle("nfxdp vs nfdump and pmacct collectors\n%s CPUs, kernel %s, %s s runs, median of %s"
             % (meta.get("cpus"), meta.get("kernel"), meta.get("duration_s"), meta.get("repeat")))
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=80)

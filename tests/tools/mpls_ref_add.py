#!/usr/bin/env python3
"""Add the MPLS label stack of each flow record to a tshark reference.

usage: mpls_ref_add.py cflow|sflow CAPTURE.pcap PORT REF.ref.ndjson

tshark2ndjson.py / sflow2ndjson.py keep no MPLS fields.  This reads
tshark's JSON decode again and sets "mpls_labels" on every flow record of
REF (in packet order, as the converters write them): the labels of IPFIX/v9
elements 70..79 (cflow.mpls_label, with traffic class and bottom bit) or of
an sFlow sampled header (mpls.label), top first, up to the last entry that
is not all zero ([] when there is none).  Rewrites REF in place.
"""
import json
import subprocess
import sys


def entries(node, out):
    """(label, exp, bottom) of every stack entry under @node, in order."""
    if isinstance(node, dict):
        if "cflow.mpls_label" in node:
            out.append((int(node["cflow.mpls_label"]), int(node.get("cflow.mpls_exp", 0)),
                        int(node.get("cflow.mpls_bos", 0))))
        elif "mpls.label" in node:
            out.append((int(node["mpls.label"]), int(node.get("mpls.exp", 0)),
                        int(node.get("mpls.bottom", 0))))
        for v in node.values():
            entries(v, out)
    elif isinstance(node, list):
        for v in node:
            entries(v, out)


def is_record(kind, key, val):
    if not isinstance(val, dict):
        return False
    if kind == "sflow":
        return key.startswith("Flow sample") or key.startswith("Expanded flow sample")
    return "cflow.srcaddr" in val or "cflow.srcaddrv6" in val


def records(kind, node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if is_record(kind, k, v):
                e = []
                entries(v, e)
                last = max((i for i, x in enumerate(e) if x != (0, 0, 0)), default=-1)
                out.append([x[0] for x in e[:last + 1]])
            else:
                records(kind, v, out)
    elif isinstance(node, list):
        for v in node:
            records(kind, v, out)


def main():
    kind, pcap, port, ref = sys.argv[1:5]
    cmd = ["tshark", "-r", pcap, "-d", f"udp.port=={port},{kind}", "-T", "json",
           "--no-duplicate-keys"]
    if kind == "sflow":
        cmd[3:3] = ["-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"]
    js = subprocess.run(cmd, check=True, capture_output=True,
                        env={"TZ": "UTC", "PATH": "/usr/bin:/bin"}).stdout
    stacks = []
    records(kind, json.loads(js), stacks)
    lines = [json.loads(x) for x in open(ref) if x.strip()]
    flows = [r for r in lines if r.get("kind") == "flow"]
    if len(flows) != len(stacks):
        sys.exit(f"{len(flows)} flow records, {len(stacks)} in tshark's decode")
    for r, s in zip(flows, stacks):
        r["mpls_labels"] = s
    with open(ref, "w") as f:
        for r in lines:
            f.write(json.dumps(r) + "\n")
    print(f"{ref}: {len(flows)} records, {sum(1 for s in stacks if s)} with labels")


main()

#!/usr/bin/env python3
"""Correct a tshark reference for pmacct's 16-byte IE 154/155 (nfprobe_tstamp_usec).

usage: timeval_ref_fix.py CAPTURE.pcap PORT REF.ref.ndjson

tshark reads the 16 bytes as an NTP time and shows 1970; nfprobe writes a C
struct timeval: 64-bit Unix seconds, then 64-bit microseconds, both
big-endian.  The raw bytes (tshark -x) of each flow record's two fields are
read here and first_ns/last_ns of the reference's flow records rewritten,
record by record in packet order.  Rewrites REF in place.
"""
import json
import subprocess
import sys


def timeval_ns(hexstr):
    b = bytes.fromhex(hexstr)
    return int.from_bytes(b[:8], "big") * 10**9 + int.from_bytes(b[8:], "big") * 1000


def records(node, out):
    if isinstance(node, dict):
        if "cflow.abstimestart_raw" in node and "cflow.abstimeend_raw" in node:
            out.append((timeval_ns(node["cflow.abstimestart_raw"][0]),
                        timeval_ns(node["cflow.abstimeend_raw"][0])))
            return
        for v in node.values():
            records(v, out)
    elif isinstance(node, list):
        for v in node:
            records(v, out)


def main():
    pcap, port, ref = sys.argv[1:4]
    js = subprocess.run(["tshark", "-r", pcap, "-d", f"udp.port=={port},cflow", "-T", "json",
                         "-x", "--no-duplicate-keys"], check=True, capture_output=True,
                        env={"TZ": "UTC", "PATH": "/usr/bin:/bin"}).stdout
    times = []
    records(json.loads(js), times)
    lines = [json.loads(x) for x in open(ref) if x.strip()]
    flows = [r for r in lines if r.get("kind") == "flow"]
    if len(flows) != len(times):
        sys.exit(f"{len(flows)} flow records, {len(times)} timeval pairs")
    for r, (s, e) in zip(flows, times):
        r["first_ns"], r["last_ns"] = s, e
    with open(ref, "w") as f:
        for r in lines:
            f.write(json.dumps(r) + "\n")
    print(f"{ref}: {len(flows)} records corrected")


main()

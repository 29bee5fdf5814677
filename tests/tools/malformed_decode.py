#!/usr/bin/env python3
"""Decode every crafted malformed capture with `nfxdp decode` and check the
outcome against tests/data/malformed/expected.json: the record count (the
preferred outcome, or within the range the README allows where the choice is
the collector's: we say which choice nfxdp makes), the decoder counters
that must move, and every field of the expected records.  The sFlow
captures (sflow-*, made by craft_sflow.py) are decoded on port 6343.

usage: malformed_decode.py NFXDP DATA_DIR     (prints ok/FAIL lines)
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from corpus_compare import compare  # noqa: E402

# Where nfxdp deliberately takes the documented alternative, and why.
CHOICES = {
    # data held until its template arrives, then decoded (design §3, beyond the peers)
    "v9-data-before-template.pcap": 6,
    # sFlow agent address type 0 (unknown) is the spec's: the UDP source stands
    # for the agent (offline only: the XDP program drops it, sflow5.bad_version)
    "sflow-agent-type.pcap": 2,
    # an unpadded raw header record whose length fills its sample exactly is
    # read; the sample with 2 junk bytes after its records is still dropped
    "sflow-sample-length-unaligned.pcap": 4,
}
# Counters that must have moved (generic name in expected.json -> ours).
COUNTERS = {
    "short_packet": ["short_pkt"],
    "length_mismatch": ["length_mismatch"],
    "bad_version": ["bad_version"],
    "bad_set_length": ["bad_set_length"],
    "no_template_sets": ["template_not_found"],
    "bad_template": ["bad_template"],
    "short_set_or_bad_template": ["bad_template", "bad_set_length"],
    # an sFlow record overrunning its sample drops the sample
    "record_overrun": ["record_overrun", "bad_set_length", "sflow_bad_sample"],
    "bad_count_or_accept": ["bad_count"],
    # reserved set ids (2..255 in v9, 4..255 in IPFIX) are skipped and counted
    "reserved_set_id": ["reserved_sets"],
    # sFlow v5: num_samples beyond any bound, or beyond what the datagram holds
    "bad_count": ["bad_count", "length_mismatch"],
    "bad_agent": ["sflow_bad_agent"],
    "sample_overrun": ["length_mismatch"],
    "bad_sample": ["sflow_bad_sample"],
    "bad_record": ["sflow_bad_record"],
    "unknown_sample_format": ["sflow_samples_skipped"],
    "unknown_record_format": ["sflow_records_skipped"],
}


def decode(nfxdp, path):
    # the sFlow captures go to 6343, whatever the default ports are
    ports = ["-p", "6343"] if os.path.basename(path).startswith("sflow-") else []
    p = subprocess.run([nfxdp, "decode", "--ms-times", "--stats-json"] + ports + [path],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        return None, None, p.stderr.strip()[:300]
    records = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    stats = json.loads(p.stderr.strip().splitlines()[-1])
    return records, stats, None


def same_flow(ref, our):
    """Whether a record can be the one an expected line describes (the
    addresses and ports the line has agree)."""
    for key, side, field in (("src_addr", "source", "ip"), ("dst_addr", "destination", "ip"),
                             ("src_port", "source", "port"), ("dst_port", "destination", "port")):
        if key in ref and str(ref[key]) != str(our.get(side, {}).get(field)):
            return False
    return True


def align(flows, records):
    """The records the expected lines stand for, in order, where a documented
    choice of nfxdp's adds records between them (sFlow); None if one is missing."""
    out, j = [], 0
    for ref in flows:
        while j < len(records) and not same_flow(ref, records[j]):
            j += 1
        if j == len(records):
            return None
        out.append(records[j])
        j += 1
    return out


def check(nfxdp, data, e):
    name = e["file"]
    records, stats, err = decode(nfxdp, os.path.join(data, name))
    if err is not None:
        return f"nfxdp decode failed: {err}"
    want = CHOICES.get(name, e["records"])
    if len(records) != want:
        return f"{len(records)} records, expected {want} ({e['expect']})"
    for generic, n in e.get("drops", {}).items():
        if generic not in COUNTERS:
            return f"no counter mapped for {generic}"
        ours = COUNTERS[generic]
        if ours and not any(stats.get(c, 0) for c in ours):
            return f"counter {'/'.join(ours)} did not move (expected {generic} {n}): {stats}"
    if e.get("expected_ndjson"):
        with open(os.path.join(data, e["expected_ndjson"])) as f:
            ref = [json.loads(line) for line in f if line.strip()]
        flows = [r for r in ref if r["kind"] == "flow"]
        if flows and flows[0].get("proto_family") == "sflow":
            ours = align(flows, records)
            if ours is None:
                return f"the expected records are not all among nfxdp's {len(records)}"
        else:
            # records decoded from held data come first; the expected ones close the file
            ours = records[len(records) - len(flows):]
        n = compare(ref, [], ours)
        if isinstance(n, str):
            return n
        return f"ok: {len(records)} records, {n} fields agree"
    return f"ok: {len(records)} records"


def main():
    nfxdp, data = sys.argv[1:3]
    failed = 0
    for e in json.load(open(os.path.join(data, "expected.json"))):
        msg = check(nfxdp, data, e)
        name = e["file"].rsplit(".", 1)[0]
        if msg.startswith("ok: "):
            print(f"ok decode-{name}: {msg[4:]}")
        else:
            failed += 1
            print(f"FAIL decode-{name}: {msg}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

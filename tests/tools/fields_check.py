#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""fields_check.py - the record fields of issue 15 end to end: crafted
NetFlow v9 / IPFIX messages in a capture, `nfxdp decode` on it, each
expected key of each record compared, every record checked against
doc/flow.schema.json.

usage: fields_check.py NFXDP SCHEMA WORKDIR

Prints "ok fields-NAME: ..." / "FAIL fields-NAME: ..." per case.  Only
python3, struct and the schema checker (tests/tools/schema_check.py).
"""
import ipaddress
import json
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flood import csum  # noqa: E402  (the Internet checksum)

EXPORTER = bytes([10, 201, 9, 1])
COLLECTOR = bytes([10, 201, 9, 40])
T0 = 1795290000
u8 = struct.Struct(">B").pack
u16 = struct.Struct(">H").pack
u32 = struct.Struct(">I").pack
u64 = struct.Struct(">Q").pack


def ip4(text):
    return ipaddress.IPv4Address(text).packed


def ip6(text):
    return ipaddress.IPv6Address(text).packed


def frame(sport, dport, payload):
    udp_len = 8 + len(payload)
    ip = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 1, 0, 64, 17, 0,
                               EXPORTER, COLLECTOR))
    ip[10:12] = u16(csum(bytes(ip)))
    udp = struct.pack(">HHHH", sport, dport, udp_len, 0) + payload
    return bytes(6) + bytes([2, 0, 0, 0, 0, 1]) + u16(0x0800) + bytes(ip) + udp


def write_pcap(path, frames):
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i, f in enumerate(frames):
        out += struct.pack("<IIII", T0 + i, 0, len(f), len(f)) + f
    with open(path, "wb") as fh:
        fh.write(out)


def ipfix(sets, seq=0, odid=1):
    body = b"".join(sets)
    return u16(10) + u16(16 + len(body)) + u32(T0) + u32(seq) + u32(odid) + body


def v9(sets, seq=0, source_id=1, uptime=100000):
    body = b"".join(sets)
    return u16(9) + u16(len(sets)) + u32(uptime) + u32(T0) + u32(seq) + u32(source_id) + body


def set_(sid, body):
    return u16(sid) + u16(4 + len(body)) + body


def tmpl(tid, fields):
    """fields: (id, len) or (id, len, pen)."""
    out = u16(tid) + u16(len(fields))
    for f in fields:
        if len(f) == 3:
            out += u16(f[0] | 0x8000) + u16(f[1]) + u32(f[2])
        else:
            out += u16(f[0]) + u16(f[1])
    return out


# ---- the cases: (name, frames, expected records: [{json path: value}]) -------

def case_nat_ipfix():
    t = tmpl(300, [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (225, 4), (226, 4), (227, 2),
                   (228, 2), (230, 1), (233, 1)])
    rec = (ip4("10.0.0.1") + ip4("198.51.100.7") + u16(40000) + u16(443) + u8(6) +
           ip4("203.0.113.5") + ip4("198.51.100.7") + u16(61000) + u16(443) + u8(1) + u8(1))
    t6 = tmpl(301, [(27, 16), (28, 16), (281, 16), (282, 16), (233, 1)])
    rec6 = ip6("fd00::1") + ip6("2001:db8::7") + ip6("2001:db8:1::5") + ip6("2001:db8::7") + u8(3)
    msg = ipfix([set_(2, t + t6), set_(300, rec), set_(301, rec6)])
    return [frame(40100, 4739, msg)], [
        {"nat_source.ip": "203.0.113.5", "nat_source.port": 61000,
         "nat_destination.ip": "198.51.100.7", "nat_destination.port": 443,
         "nat_event": 1, "firewall_event": 1},
        {"nat_source.ip": "2001:db8:1::5", "nat_destination.ip": "2001:db8::7",
         "nat_source.port": None, "nat_event": None, "firewall_event": 3},
    ]


def case_nsel_v9():
    t = tmpl(260, [(8, 4), (12, 4), (4, 1), (40001, 4), (40002, 4), (40003, 2), (40004, 2),
                   (40005, 1)])
    rec = (ip4("10.0.0.2") + ip4("198.51.100.9") + u8(17) + ip4("203.0.113.6") +
           ip4("198.51.100.9") + u16(1025) + u16(53) + u8(3))
    msg = v9([set_(0, t), set_(260, rec)])
    return [frame(40101, 2055, msg)], [
        {"nat_source.ip": "203.0.113.6", "nat_source.port": 1025,
         "nat_destination.ip": "198.51.100.9", "nat_destination.port": 53,
         "firewall_event": 3, "nat_event": None},
    ]


CASES = {
    "nat-ipfix": case_nat_ipfix,
    "nsel-v9": case_nsel_v9,
}


def get(rec, path):
    v = rec
    for k in path.split("."):
        if not isinstance(v, dict) or k not in v:
            return None
        v = v[k]
    return v


def check(name, nfxdp, schema, work, frames, want, extra_args):
    pcap = os.path.join(work, name + ".pcap")
    out = os.path.join(work, name + ".ndjson")
    write_pcap(pcap, frames)
    r = subprocess.run([nfxdp, "decode", "--ms-times", *extra_args, "-o", out, pcap],
                       capture_output=True, text=True)
    if r.returncode:
        return f"nfxdp decode failed: {r.stderr[:300]}"
    recs = [json.loads(x) for x in open(out) if x.strip()]
    if len(recs) != len(want):
        return f"{len(recs)} records, want {len(want)}"
    n = 0
    for i, (rec, w) in enumerate(zip(recs, want)):
        for path, val in w.items():
            if get(rec, path) != val:
                return f"record {i}: {path} = {get(rec, path)!r}, want {val!r}"
            n += 1
    r = subprocess.run(["/usr/bin/python3", os.path.join(os.path.dirname(__file__),
                        "schema_check.py"), schema, out], capture_output=True, text=True)
    if r.returncode:
        return "schema: " + r.stdout.strip()
    return f"{len(recs)} records, {n} fields as expected, schema valid"


def main():
    nfxdp, schema, work = sys.argv[1:4]
    bad = 0
    for name, fn in CASES.items():
        got = fn()
        frames, want = got[0], got[1]
        args = got[2] if len(got) > 2 else []
        msg = check(name, nfxdp, schema, work, frames, want, args)
        if msg.endswith("schema valid"):
            print(f"ok fields-{name}: {msg}")
        else:
            print(f"FAIL fields-{name}: {msg}")
            bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

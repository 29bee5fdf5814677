#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Write the UDP payloads (or whole frames) of classic pcap files as fuzzer seeds.

usage: pcap_payloads.py [--frames | --join | --templates] OUTDIR PREFIX_BYTE FILE.pcap...

Each seed is PREFIX_BYTE followed by one UDP payload (the fuzz targets read
their first byte as a selector).  --frames writes whole Ethernet frames
instead.  --join also writes, per capture, seeds holding consecutive
payloads separated by the fuzz_decode message separator, so that template
then data (or a sequence of legacy messages) reach the decoder in one
input, up to JOIN_MAX bytes each.  --templates writes fuzz_tmpl seeds
instead: each v9/IPFIX (options) template of the captures in that target's
layout, followed by a few data set bodies that use it (PREFIX_BYTE is not
used, the first byte holds the template flags).  Unfragmented IPv4/IPv6 over Ethernet
with up to two VLAN tags; anything else is skipped.
"""
import os
import struct
import sys

SEP = b"\xffNFX"		# FUZZ_SEP in tests/fuzz/fuzz_decode.c
JOIN_MAX = 8000			# under the -max_len scripts/fuzz.sh uses


def frames(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return
        endian = "<" if hdr[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            caplen = struct.unpack(endian + "IIII", rec)[2]
            yield f.read(caplen)


def udp_payload(fr):
    try:
        off, etype = 14, struct.unpack("!H", fr[12:14])[0]
        for _ in range(2):
            if etype in (0x8100, 0x88A8):
                etype = struct.unpack("!H", fr[off + 2:off + 4])[0]
                off += 4
        if etype == 0x0800:
            ihl = (fr[off] & 15) * 4
            if struct.unpack("!H", fr[off + 6:off + 8])[0] & 0x3FFF or fr[off + 9] != 17:
                return None
            off += ihl
        elif etype == 0x86DD:
            if fr[off + 6] != 17:
                return None
            off += 40
        else:
            return None
        ulen = struct.unpack("!H", fr[off + 4:off + 6])[0]
    except (IndexError, struct.error):
        return None
    return fr[off + 8:off + ulen]


def sets(p):
    """(proto, set id, body) of each set of a v9 or IPFIX message."""
    if len(p) < 4:
        return
    ver = struct.unpack("!H", p[:2])[0]
    hlen = {9: 20, 10: 16}.get(ver)
    if not hlen:
        return
    q = hlen
    while len(p) - q >= 4:
        sid, slen = struct.unpack("!HH", p[q:q + 4])
        if slen < 4 or q + slen > len(p):
            return
        yield ver, sid, p[q + 4:q + slen]
        q += slen


def templates(ver, sid, body):
    """(tid, fuzz_tmpl header + field bytes) of each template in a set."""
    q = 0
    while len(body) - q >= 4:
        tid, n = struct.unpack("!HH", body[q:q + 4])
        q += 4
        nscope, options = 0, 0
        if ver == 9 and sid == 1:
            # v9 options: scope and option lengths in bytes, 4 per field
            if len(body) - q < 2:
                return
            olen = struct.unpack("!H", body[q:q + 2])[0]
            nscope, n = n // 4, (n + olen) // 4
            q += 2
            options = 1
        elif ver == 10 and sid == 3:
            if len(body) - q < 2:
                return
            nscope = struct.unpack("!H", body[q:q + 2])[0]
            q += 2
            options = 1
        if tid < 256 or n == 0:
            return
        start = q
        for _ in range(n):
            if len(body) - q < 4:
                return
            fid = struct.unpack("!H", body[q:q + 2])[0]
            q += 8 if ver == 10 and fid & 0x8000 else 4
        flags = options | (2 if ver == 10 else 0)
        yield tid, bytes([flags, nscope & 0xFF]) + struct.pack("!H", n) + body[start:q]


def template_seeds(payloads):
    """fuzz_tmpl seeds: each template and up to 3 data bodies for it."""
    tmpl, data = {}, {}
    for p in payloads:
        for ver, sid, body in sets(p):
            if sid in ((0, 1) if ver == 9 else (2, 3)):
                for tid, blob in templates(ver, sid, body):
                    tmpl.setdefault((ver, tid, blob), None)
            elif sid >= 256:
                data.setdefault((ver, sid), [])
                if len(data[(ver, sid)]) < 3:
                    data[(ver, sid)].append(body)
    for (ver, tid, blob) in tmpl:
        yield blob + SEP.join(data.get((ver, tid), []))


def main():
    args = sys.argv[1:]
    mode = args[0] if args and args[0] in ("--frames", "--join", "--templates") else None
    if mode:
        args = args[1:]
    if len(args) < 3:
        sys.exit(__doc__)
    out, prefix = args[0], bytes([int(args[1], 0)])
    os.makedirs(out, exist_ok=True)
    n = 0

    def write(name, blob, raw=False):
        nonlocal n
        with open(os.path.join(out, name), "wb") as f:
            f.write(blob if raw else prefix + blob)
        n += 1

    for path in args[2:]:
        base = os.path.basename(path).rsplit(".", 1)[0]
        joined, part = [], 0
        if mode == "--templates":
            pl = [udp_payload(fr) for fr in frames(path)]
            for i, blob in enumerate(template_seeds([p for p in pl if p])):
                write(f"{base}-t{i}", blob, raw=True)
            continue
        for i, fr in enumerate(frames(path)):
            p = fr if mode == "--frames" else udp_payload(fr)
            if p is None:
                continue
            write(f"{base}-{i}", p)
            if mode != "--join":
                continue
            if joined and len(SEP.join(joined + [p])) > JOIN_MAX:
                write(f"{base}-joined{part}", SEP.join(joined))
                joined, part = [], part + 1
            joined.append(p)
        if len(joined) > 1:
            write(f"{base}-joined{part}", SEP.join(joined))
    print(f"{n} seeds in {out}")


if __name__ == "__main__":
    main()

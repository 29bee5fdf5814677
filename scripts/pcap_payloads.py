#!/usr/bin/env python3
"""Write the UDP payloads of classic pcap files as fuzzer seeds.

usage: pcap_payloads.py [--frames] OUTDIR PREFIX_BYTE FILE.pcap...
Each seed is PREFIX_BYTE followed by one UDP payload (the fuzz targets read
their first byte as a selector).  Unfragmented IPv4/IPv6 over Ethernet with
up to two VLAN tags; anything else is skipped.
"""
import os
import struct
import sys


def frames(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        endian = "<" if hdr[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            caplen = struct.unpack(endian + "IIII", rec)[2]
            yield f.read(caplen)


def udp_payload(fr):
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
    return fr[off + 8:off + ulen]


def main():
    args = sys.argv[1:]
    whole = args[0] == "--frames"
    if whole:
        args = args[1:]
    out, prefix = args[0], bytes([int(args[1], 0)])
    os.makedirs(out, exist_ok=True)
    n = 0
    for path in args[2:]:
        base = os.path.basename(path).rsplit(".", 1)[0]
        for i, fr in enumerate(frames(path)):
            p = fr if whole else udp_payload(fr)
            if p is not None:
                with open(os.path.join(out, f"{base}-{i}"), "wb") as f:
                    f.write(prefix + p)
                n += 1
    print(f"{n} seeds in {out}")


if __name__ == "__main__":
    main()

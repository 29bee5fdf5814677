#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""nfsend.py - builds NetFlow v5, v9 and IPFIX export packets (and broken
ones) for the integration tests and sends them over UDP.

Record i of a message carries values derived from i, so a test can check
each decoded field:  src 10.1.H.L, dst 10.2.H.L (H.L = i), sport 1000+i,
dport 2000+i, proto UDP, bytes 100+i, packets 1+i, where i runs from
--base over --records records per message and continues across messages.
"""
import argparse
import os
import socket
import struct
import sys
import time


def addr(net, i):
    return bytes([10, net, (i >> 8) & 0xFF, i & 0xFF])


# --key-mod / --one-pair: which record's addresses and ports record i carries
KEY_MOD = 0
ONE_PAIR = False
BASE = 0


def key(i):
    """(src index, dst index, sport, dport) of record i: all i by default."""
    k = BASE + (i - BASE) % KEY_MOD if KEY_MOD else i
    if ONE_PAIR:
        return BASE, BASE, 1000 + BASE, 2000 + k
    return k, k, 1000 + k, 2000 + k


def v5(first, n, seq):
    now = int(time.time())
    hdr = struct.pack("!HHIIIIBBH", 5, n, 100000, now, 0, seq, 0, 1, 0)
    recs = b""
    for i in range(first, first + n):
        s, d, sp, dp = key(i)
        recs += struct.pack("!4s4s4sHHIIIIHHBBBBHHBBH",
                            addr(1, s), addr(2, d), bytes(4), 1, 2,
                            1 + i, 100 + i, 90000, 99000,
                            sp, dp, 0, 0, 17, 0, 0, 0, 24, 24, 0)
    return hdr + recs


V9_FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 4), (2, 4), (22, 4), (21, 4)]


def v9(first, n, seq, template=True, data=True, tid=256):
    now = int(time.time())
    sets = b""
    count = 0
    if template:
        body = struct.pack("!HH", tid, len(V9_FIELDS))
        body += b"".join(struct.pack("!HH", t, ln) for t, ln in V9_FIELDS)
        sets += struct.pack("!HH", 0, 4 + len(body)) + body
        count += 1
    if data and n:
        body = b""
        for i in range(first, first + n):
            sa, da, sp, dp = key(i)
            body += struct.pack("!4s4sHHBIIII", addr(1, sa), addr(2, da),
                                sp, dp, 17, 100 + i, 1 + i, 90000, 99000)
        body += bytes((4 - len(body) % 4) % 4)
        sets += struct.pack("!HH", tid, 4 + len(body)) + body
        count += n
    return struct.pack("!HHIIII", 9, count, 100000, now, seq, 7) + sets


IPFIX_FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 8), (2, 8), (152, 8), (153, 8)]


def ipfix(first, n, seq, template=True, data=True, tid=256):
    now = int(time.time())
    ms = now * 1000
    sets = b""
    if template:
        body = struct.pack("!HH", tid, len(IPFIX_FIELDS))
        body += b"".join(struct.pack("!HH", t, ln) for t, ln in IPFIX_FIELDS)
        sets += struct.pack("!HH", 2, 4 + len(body)) + body
    if data and n:
        body = b""
        for i in range(first, first + n):
            sa, da, sp, dp = key(i)
            body += struct.pack("!4s4sHHBQQQQ", addr(1, sa), addr(2, da), sp,
                                dp, 17, 100 + i, 1 + i, ms - 9000, ms - 1000)
        sets += struct.pack("!HH", tid, 4 + len(body)) + body
    return struct.pack("!HHIII", 10, 16 + len(sets), now, seq, 9) + sets


def malformed(kind):
    """Broken packets and the nfx_ctr field the XDP program counts them in."""
    good = v5(0, 2, 0)
    if kind == "short":		# 2 bytes: not even a version and count
        return b"\x00\x05"
    if kind == "bad_version":	# version 3 does not exist
        return struct.pack("!H", 3) + good[2:]
    if kind == "bad_count":	# v5 count 31, above the maximum of 30
        return struct.pack("!HH", 5, 31) + good[4:]
    if kind == "truncated":	# count 10, two records present
        return struct.pack("!HH", 5, 10) + good[4:]
    if kind == "bad_length":	# IPFIX length field != payload length
        msg = ipfix(0, 1, 0)
        return msg[:2] + struct.pack("!H", len(msg) + 8) + msg[4:]
    raise SystemExit("unknown malformed kind " + kind)


def build(kind, first, n, seq):
    if kind == "v5":
        return v5(first, n, seq)
    if kind == "v9":
        return v9(first, n, seq)
    if kind == "v9-template":
        return v9(first, 0, seq, data=False)
    if kind == "v9-data":
        return v9(first, n, seq, template=False)
    if kind == "ipfix":
        return ipfix(first, n, seq)
    if kind == "ipfix-template":
        return ipfix(first, 0, seq, data=False)
    if kind == "ipfix-data":
        return ipfix(first, n, seq, template=False)
    return malformed(kind)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--port", type=int, default=2055)
    ap.add_argument("--kind", default="v5")
    ap.add_argument("--messages", type=int, default=1)
    ap.add_argument("--records", type=int, default=2)
    ap.add_argument("--base", type=int, default=0)
    ap.add_argument("--sport", type=int, default=0, help="first source port")
    ap.add_argument("--sockets", type=int, default=1,
                    help="spread messages round-robin over this many source ports")
    ap.add_argument("--repeat", type=int, default=0,
                    help="send the first message this many times, as fast as possible")
    ap.add_argument("--gap", type=float, default=0.0, help="seconds between messages")
    ap.add_argument("--key-mod", type=int, default=0,
                    help="record i carries the addresses and ports of record "
                    "base + (i - base) %% M (bytes and packets still from i): flows that merge")
    ap.add_argument("--one-pair", action="store_true",
                    help="every record carries the addresses and source port of record "
                    "base, destination port 2000+i: one address pair, distinct "
                    "destination ports (port roll-up)")
    ap.add_argument("--no-connect", action="store_true",
                    help="sendto() on unconnected sockets: an ICMP port unreachable "
                    "cannot make a later send fail")
    ap.add_argument("--log", help="append 'PORT SEQ MONOTONIC_NS' per message sent")
    a = ap.parse_args()
    global KEY_MOD, ONE_PAIR, BASE
    KEY_MOD, ONE_PAIR, BASE = a.key_mod, a.one_pair, a.base
    log = open(a.log, "a", buffering=1) if a.log else None

    fam = socket.AF_INET6 if ":" in a.dst else socket.AF_INET
    socks = []
    for k in range(a.sockets):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        if a.sport:
            s.bind(("", a.sport + k))
        if not a.no_connect:
            s.connect((a.dst, a.port))
        socks.append(s)
    dst = (a.dst, a.port)

    if a.repeat:
        msg = build(a.kind, a.base, a.records, 0)
        sent = 0
        send = [s.send for s in socks]
        while sent < a.repeat:
            for f in send:
                try:
                    f(msg)
                    sent += 1
                except BlockingIOError:
                    time.sleep(0.001)
                except ConnectionRefusedError:
                    pass
        print(sent)
        return
    for m in range(a.messages):
        msg = build(a.kind, a.base + m * a.records, a.records, m * a.records)
        try:
            if a.no_connect:
                socks[m % len(socks)].sendto(msg, dst)
            else:
                socks[m % len(socks)].send(msg)
        except ConnectionRefusedError:
            pass
        if log:
            log.write("%d %d %d\n" % (a.port, a.base + m * a.records, time.monotonic_ns()))
        if a.gap:
            time.sleep(a.gap)


if __name__ == "__main__":
    sys.exit(main())

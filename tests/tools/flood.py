#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""flood.py - adversarial NetFlow/IPFIX traffic for tests/netns/test-flood.sh.

Writes whole Ethernet frames to an AF_PACKET socket on the exporter end of
the veth, so every frame can carry any source address: thousands of
exporters (IPv4 and IPv6) without configuring one of them.  IPv4 header
checksums are right, UDP checksums are 0 (IPv4) or right (IPv6).

Three phases share a state file (--state), so record numbers and expected
counts add up across invocations:

  warm   good traffic from the good exporter, plus the malformed cases the
         daemon must count exactly (an exporter over its template quota, a
         record overrun, ...), sent while nothing else competes for table
         space;
  flood  --frames frames over at most --seconds: spoofed exporters (template
         churn, withdrawals, options templates, data for unknown templates,
         huge templates), frames the XDP program must drop (short, wrong
         version, huge counts, truncated, bad IPFIX/UDP lengths, garbage),
         frames the daemon must reject (bad set lengths, bad templates,
         record overruns, random set bodies), first IPv4 fragments whose
         rest never comes, interleaved with good messages (some v5 ones in
         two fragments, for the stack to reassemble and a UDP socket to read);
  final  one more good burst, including v9 data sent before its template.

Good records follow nfsend.py's numbering (record i: src 10.1.H.L, dst
10.2.H.L, sport 1000+i, dport 2000+i, proto UDP, bytes 100+i, packets 1+i),
one sequence of i per type (netflow5, netflow9, ipfix), all from --good-ip.
Spoofed records use source port 0, so they never look like good ones.

The state file (JSON) holds what was sent per kind, the XDP counters the
frames must produce (a model of bpf/nfx_xdp.bpf.c's checks, per slot), the
decoder counters the structured cases must produce, the good record counts,
and with --pid the collector's VmRSS/VmHWM sampled during the flood.
"""
import argparse
import json
import os
import random
import socket
import struct
import time

ETH_P_IP, ETH_P_IPV6 = 0x0800, 0x86DD
VARLEN = 0xFFFF

# listener ports and the versions the XDP program accepts on each
# (netflow5 + netflow9 listeners on 2055, ipfix on 4739)
LEGACY = (1 << 1) | (1 << 5) | (1 << 6) | (1 << 7)
MODERN = (1 << 9) | (1 << 10)
PORTS = {2055: LEGACY | MODERN, 4739: MODERN}
P_LEGACY, P_IPFIX, P_NONE = 2055, 4739, 9999
SLOT = {1: "v1", 5: "v5", 6: "v6", 7: "v7", 9: "v9", 10: "ipfix"}
FIELDS = ("packets", "bytes", "redirected", "passed", "short_pkt", "bad_version",
          "bad_count", "truncated", "bad_length", "not_allowed")
FIXED = {1: (16, 48, 30), 5: (24, 48, 30), 6: (24, 52, 27), 7: (24, 52, 27)}


def xdp_model(dport, payload, ulen_bad=False):
    """(slot, outcome, bytes) the XDP program counts, or None (not counted)."""
    if dport not in PORTS:
        return None
    if ulen_bad:
        return "other", "bad_length", 0
    plen = len(payload)
    if plen < 4:
        return "other", "short_pkt", plen
    ver, w2 = struct.unpack("!HH", payload[:4])
    slot = SLOT.get(ver, "other")
    if slot == "other" or not PORTS[dport] >> ver & 1:
        return slot, "bad_version", plen
    if ver in FIXED:
        hlen, rlen, mx = FIXED[ver]
        if plen < hlen:
            return slot, "short_pkt", plen
        if w2 > mx:
            return slot, "bad_count", plen
        if plen < hlen + w2 * rlen:
            return slot, "truncated", plen
    elif ver == 9:
        if plen < 20:
            return slot, "short_pkt", plen
        if plen < 24:
            return slot, "truncated", plen
    else:
        if plen < 16:
            return slot, "short_pkt", plen
        if w2 != plen or w2 < 20:
            return slot, "bad_length", plen
    return slot, "redirected", plen


# ---- frames ----

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Wire:
    def __init__(self, ifname, dmac, smac, dst4, dst6):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        self.s.bind((ifname, 0))
        self.dmac, self.smac = dmac, smac
        self.dst4, self.dst6 = dst4, dst6
        self.ipid = 0
        self.frames = 0
        self.enobufs = 0

    def send_frags(self, src, sport, dport, payload, first_only=False):
        """An IPv4 datagram in two fragments (or only its first one)."""
        udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        cut = (len(udp) // 2) & ~7
        for off, part, mf in ((0, udp[:cut], 0x2000), (cut, udp[cut:], 0)):
            self.ipid = (self.ipid + 1) & 0xFFFF if off == 0 else self.ipid
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(part), self.ipid,
                             mf | off // 8, 64, 17, 0, src, self.dst4)
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
            self.raw(self.dmac + self.smac + b"\x08\x00" + ip + part)
            if first_only:
                break

    def send(self, src, sport, dport, payload, ulen=None):
        ulen = 8 + len(payload) if ulen is None else ulen
        if len(src) == 4:
            self.ipid = (self.ipid + 1) & 0xFFFF
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + len(payload), self.ipid,
                             0x4000, 64, 17, 0, src, self.dst4)
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
            udp = struct.pack("!HHHH", sport, dport, ulen, 0)
            frame = self.dmac + self.smac + b"\x08\x00" + ip + udp + payload
        else:
            udp = struct.pack("!HHHH", sport, dport, ulen, 0)
            pseudo = src + self.dst6 + struct.pack("!IxxxB", 8 + len(payload), 17)
            c = csum(pseudo + udp + payload) or 0xFFFF
            udp = udp[:6] + struct.pack("!H", c)
            ip = struct.pack("!IHBB16s16s", 6 << 28, 8 + len(payload), 17, 64, src, self.dst6)
            frame = self.dmac + self.smac + b"\x86\xdd" + ip + udp + payload
        self.raw(frame)

    def raw(self, frame):
        for _ in range(1000):
            try:
                self.s.send(frame)
                break
            except BlockingIOError:
                time.sleep(0.0005)
            except OSError as e:
                if e.errno != 105:	# ENOBUFS: the queue is full, try again
                    raise
                self.enobufs += 1
                time.sleep(0.0005)
        else:
            raise SystemExit("flood.py: cannot send (ENOBUFS for 0.5 s)")
        self.frames += 1


# ---- message builders ----

def addr(net, i):
    return bytes([10, net, (i >> 8) & 0xFF, i & 0xFF])


def value(fid, flen, i, ms):
    """Field fid of good record i, flen bytes (VARLEN: length-prefixed)."""
    if flen == VARLEN:
        return b"\x04eth%d" % (i % 10)
    v = {8: addr(1, i), 12: addr(2, i), 7: 1000 + i, 11: 2000 + i, 4: 17, 1: 100 + i,
         2: 1 + i, 22: 90000, 21: 99000, 152: ms - 9000, 153: ms - 1000}.get(fid, 0)
    return v if isinstance(v, bytes) else v.to_bytes(flen, "big")


def tmpl_rec(tid, fields, ipfix):
    """Template record; fields are (id, len) or (id, len, pen)."""
    b = struct.pack("!HH", tid, len(fields))
    for f in fields:
        if ipfix and len(f) == 3:
            b += struct.pack("!HHI", f[0] | 0x8000, f[1], f[2])
        else:
            b += struct.pack("!HH", f[0], f[1])
    return b


def data_recs(fields, first, n, ms):
    return b"".join(b"".join(value(f[0], f[1], i, ms) for f in fields)
                    for i in range(first, first + n))


def fset(sid, body, pad=True):
    if pad:
        body += bytes(-len(body) % 4)
    return struct.pack("!HH", sid, 4 + len(body)) + body


def v9_msg(sets, seq, src_id=0, count=None, uptime=100000):
    return struct.pack("!HHIIII", 9, len(sets) if count is None else count, uptime,
                       int(time.time()), seq, src_id) + b"".join(sets)


def ipfix_msg(sets, seq, dom=0, length=None):
    body = b"".join(sets)
    return struct.pack("!HHIII", 10, 16 + len(body) if length is None else length,
                       int(time.time()), seq, dom) + body


def v5_msg(recs, seq, count=None, version=5, engine=0):
    """recs: list of (src, dst, sport, dport, packets, bytes)."""
    hdr = struct.pack("!HHIIIIBBH", version, len(recs) if count is None else count, 100000,
                      int(time.time()), 0, seq, 0, engine, 0)
    body = b""
    for s, d, sp, dp, pk, by in recs:
        body += struct.pack("!4s4s4sHHIIIIHHBBBBHHBBH", s, d, bytes(4), 1, 2, pk, by,
                            90000, 99000, sp, dp, 0, 0, 17, 0, 0, 0, 24, 24, 0)
    return hdr + body


# good layouts: A is nfsend.py's, B reorders them and adds fields to skip
V9_A = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 4), (2, 4), (22, 4), (21, 4)]
V9_B = [(2, 8), (32769, 3), (11, 2), (12, 4), (4, 1), (21, 4), (1, 8), (8, 4), (22, 4),
        (7, 2), (61, 1)]
IX_A = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 8), (2, 8), (152, 8), (153, 8)]
IX_B = [(153, 8), (100, 4, 9), (12, 4), (82, VARLEN), (1, 8), (11, 2), (8, 4),
        (4, 1), (2, 8), (7, 2), (152, 8), (200, VARLEN, 29305)]

# spoofed layouts: same ids redefined with any of these
SPOOF_V9 = [V9_A, V9_B, [(8, 4), (12, 4), (1, 4), (2, 4)],
            [(27, 16), (28, 16), (1, 8), (2, 8), (10, 2), (14, 2)],
            [(8, 4), (1, 2), (2, 1), (5, 1), (6, 1), (16, 4), (17, 4)]]
SPOOF_IX = [IX_A, IX_B, [(8, 4), (12, 4), (1, 4), (2, 4)],
            [(27, 16), (28, 16), (1, 8), (2, 8), (10, 4), (14, 4), (82, VARLEN)],
            [(8, 4), (12, 4), (150, 4), (151, 4), (136, 1), (1, 8)]]


def big_template(tid):
    """200 fields alternating unknown varlen/fixed: a plan too long to be inline."""
    fields = []
    for k in range(200):
        fields.append((400 + k % 50, VARLEN) if k % 2 else (300 + k % 50, 2))
    return tmpl_rec(tid, fields, True), fields


class Flood:
    def __init__(self, a, st):
        self.a, self.st = a, st
        self.w = Wire(a.ifname, bytes.fromhex(a.dmac.replace(":", "")),
                      bytes.fromhex(a.smac.replace(":", "")),
                      socket.inet_aton(a.dst_ip), socket.inet_pton(socket.AF_INET6, a.dst_ip6))
        self.good = socket.inet_aton(a.good_ip)
        self.rnd = random.Random(a.seed)
        self.seq = {}
        self.kc = {}	# per-kind variant counters
        self.ms = int(time.time() * 1000)

    # -- bookkeeping --
    def count(self, kind, n=1):
        self.st["sent"][kind] = self.st["sent"].get(kind, 0) + n

    def dec(self, what, n=1):
        self.st["dec"][what] = self.st["dec"].get(what, 0) + n

    def tx(self, kind, src, sport, dport, payload, ulen=None, frag=None):
        m = xdp_model(dport, payload, ulen is not None and (ulen < 8 or ulen > 8 + len(payload)))
        if m and frag:	# first fragments are passed to the stack, whatever they hold
            slot = SLOT.get(struct.unpack("!H", payload[:2])[0], "other")
            m = slot, "passed", len(payload)
            if frag == "orphan":
                self.dec("orphan_" + slot)
        if m:
            slot, outcome, nbytes = m
            x = self.st["xdp"].setdefault(slot, dict.fromkeys(FIELDS, 0))
            x["packets"] += 1
            x["bytes"] += nbytes
            x[outcome] += 1
        self.count(kind)
        if frag:
            self.w.send_frags(src, sport, dport, payload, first_only=frag == "orphan")
        else:
            self.w.send(src, sport, dport, payload, ulen)
        return m

    def variant(self, kind):
        k = self.kc.get(kind, 0)
        self.kc[kind] = k + 1
        return k

    def nextseq(self, key, adv=1):
        s = self.seq.get(key, 0)
        self.seq[key] = s + adv
        return s

    # -- the good exporter --
    def good_v5(self, n=3, frag=False):
        """frag: in two IPv4 fragments, for the stack to reassemble and a UDP socket to read."""
        i = self.st["good"]["netflow5"]
        recs = [(addr(1, k), addr(2, k), 1000 + k, 2000 + k, 1 + k, 100 + k)
                for k in range(i, i + n)]
        self.tx("good_v5_fragmented" if frag else "good_v5", self.good, 40000, P_LEGACY,
                v5_msg(recs, i), frag="whole" if frag else None)
        self.st["good"]["netflow5"] += n

    def good_v9(self, layout, n=3):
        i = self.st["good"]["netflow9"]
        sets = [fset(0, tmpl_rec(256, layout, False)), fset(256, data_recs(layout, i, n, 0))]
        self.tx("good_v9", self.good, 40000, P_LEGACY, v9_msg(sets, self.nextseq("g9")))
        self.st["good"]["netflow9"] += n

    def good_ipfix(self, layout, n=3, withdraw=False):
        i = self.st["good"]["ipfix"]
        ms = self.ms
        sets = []
        if withdraw:
            # withdraw 256, data for it (never decoded: "poison" records
            # 60000.., which must not appear), then the new definition
            sets += [fset(2, struct.pack("!HH", 256, 0)),
                     fset(256, data_recs(IX_A, 60000 + self.st["dec"].get("poison_sets", 0) % 500,
                                         2, ms))]
            self.dec("poison_sets")
            self.dec("withdrawals")
        sets += [fset(2, tmpl_rec(256, layout, True)), fset(256, data_recs(layout, i, n, ms))]
        self.tx("good_ipfix", self.good, 40000, P_IPFIX,
                ipfix_msg(sets, self.nextseq("gx", n), dom=1))
        self.st["good"]["ipfix"] += n

    def good_round(self, k):
        """The k-th good message: v5, v9 A/B, IPFIX A/B/withdraw-and-redefine."""
        r = k % 6
        if r == 0:
            self.good_v5(*((28, True) if k % 24 == 18 else ()))
        elif r == 1:
            self.good_v9(V9_A)
        elif r == 2:
            self.good_ipfix(IX_A)
        elif r == 3:
            self.good_v9(V9_B)
        elif r == 4:
            self.good_ipfix(IX_B)
        else:
            self.good_ipfix(IX_A if k % 12 == 5 else IX_B, withdraw=True)

    # -- spoofed exporters --
    def exporter(self, e):
        if e % 10 == 9:
            return b"\xfd\x00\xf1\x00" + bytes(8) + e.to_bytes(4, "big"), 10000 + e % 50000
        return bytes([100, 64 + (e >> 16 & 63), e >> 8 & 255, e & 255]), 10000 + e % 50000

    def spoof_data(self, fields, n):
        # source port 0 in every record: never taken for a good one
        vals = {7: 0, 8: b"\xac\x10\0\1"}
        out = b""
        for _ in range(n):
            for f in fields:
                if f[1] == VARLEN:
                    out += b"\x02ab"
                elif f[0] in vals:
                    v = vals[f[0]]
                    out += v if isinstance(v, bytes) else v.to_bytes(f[1], "big")
                else:
                    out += self.rnd.getrandbits(8 * f[1]).to_bytes(f[1], "big")
        return out

    def spoof_v9(self, src, sport):
        """1-6 of the ids 256..263 (re)defined with any layout, data for one."""
        tids, lays = self.spoof_tids(SPOOF_V9)
        sets = [fset(0, b"".join(tmpl_rec(t, l, False) for t, l in zip(tids, lays))),
                fset(tids[0], self.spoof_data(lays[0], 2))]
        r = self.rnd.randrange(8)
        if r == 0:	# options template + data: scope system, sampling
            sets += [fset(1, struct.pack("!HHHHHHHHH", 300, 4, 8, 1, 4, 34, 4, 35, 1)),
                     fset(300, struct.pack("!IIB", 1, 100, 2))]
        seq = self.nextseq(src)
        if r == 1:	# far behind: a restart
            seq = (seq - 100000) & 0xFFFFFFFF
        self.tx("spoof_v9", src, sport, P_LEGACY,
                v9_msg(sets, seq, src_id=sport % 2, count=65535 if r == 2 else None))

    def spoof_tids(self, layouts):
        """1-6 of the ids 256..263, any layouts; one in 8: 24 small ones of 256..319."""
        if self.rnd.randrange(8) == 0:
            tids = self.rnd.sample(range(256, 320), 24)
            return tids, [layouts[2]] * len(tids)
        tids = self.rnd.sample(range(256, 264), self.rnd.randrange(1, 7))
        return tids, [self.rnd.choice(layouts) for _ in tids]

    def spoof_ipfix(self, src, sport):
        tids, lays = self.spoof_tids(SPOOF_IX)
        sets = []
        r = self.rnd.randrange(16)
        if r == 0:
            sets.append(fset(2, struct.pack("!HH", 2, 0)))	# withdraw all
        elif r < 4:
            sets.append(fset(2, struct.pack("!HH", tids[0], 0)))	# withdraw one
        sets += [fset(2, b"".join(tmpl_rec(t, l, True) for t, l in zip(tids, lays))),
                 fset(tids[0], self.spoof_data(lays[0], 2))]
        if r == 5:	# options: scope observationDomainId, sampling 305/306
            sets += [fset(3, struct.pack("!HHHHHHHHH", 301, 3, 1, 149, 4, 305, 4, 306, 4)),
                     fset(301, struct.pack("!III", 0, 1, 99))]
        self.tx("spoof_ipfix", src, sport, P_IPFIX, ipfix_msg(sets, self.nextseq(src, 2)))

    def spoof_data_only(self, src, sport, ipfix):
        # ids nobody defines: template_not_found, held or dropped by pending
        tid = 1000 + self.rnd.randrange(100)
        body = fset(tid, os.urandom(self.rnd.randrange(20, 200)))
        self.dec("data_only_sets")
        if ipfix:
            self.tx("data_only_ipfix", src, sport, P_IPFIX, ipfix_msg([body], 0))
        else:
            self.tx("data_only_v9", src, sport, P_LEGACY, v9_msg([body], 0))

    def spoof_v5(self, src, sport):
        n = self.rnd.choice([0, 1, 1, 2, 3, 28])	# 28 records fit an IPv6 frame
        recs = [(b"\xac\x10\0\1", b"\xac\x11\0\1", 0, 53, 1, 64)] * n
        self.tx("spoof_v5" if n else "spoof_v5_count0", src, sport, P_LEGACY,
                v5_msg(recs, self.nextseq(src, n), engine=sport & 3))

    def bad_set_length(self, src, sport, k):
        """One bad set per message: length 0, 2 or past the end, first or after a good one."""
        ipfix = k % 2
        r = k // 2 % 4
        bad = [struct.pack("!HH", 256, 0), struct.pack("!HH", 256, 2),
               struct.pack("!HH", 256, 1000) + bytes(12), struct.pack("!HH", 256, 0)][r]
        sets = [bad] if r < 3 else [fset(100, bytes(4)), bad]	# reserved id: skipped
        self.dec("bad_set_length")
        if r < 3:
            self.dec("dropped_" + ("ipfix" if ipfix else "v9"))
        if ipfix:
            self.tx("bad_set_length", src, sport, P_IPFIX, ipfix_msg(sets, 0))
        else:
            self.tx("bad_set_length", src, sport, P_LEGACY, v9_msg(sets, 0))

    def bad_template(self, src, sport, k):
        """One malformed (options) template record per message."""
        v9 = [
            fset(0, tmpl_rec(5, [(8, 4)], False)),			# id < 256
            fset(0, struct.pack("!HH", 256, 50) + bytes(16)),		# fields past the set
            fset(0, struct.pack("!HH", 257, 0)),			# no fields
            fset(0, tmpl_rec(258, [(8, VARLEN), (1, 4)], False)),	# 65535 in v9
            fset(0, tmpl_rec(259, [(8, 0), (1, 0)], False)),		# zero-length record
            fset(1, struct.pack("!HHHHHHH", 260, 3, 4, 1, 4, 34, 4)),	# scope length % 4
            fset(1, struct.pack("!HHH", 261, 0, 0)),			# no scope, no options
            fset(1, struct.pack("!HHH", 262, 400, 8) + bytes(8)),	# past the set
        ]
        ix = [
            fset(2, tmpl_rec(100, [(8, 4)], True)),			# id < 256
            fset(2, struct.pack("!HH", 256, 600) + bytes(40)),		# 600 fields, 10 there
            fset(3, struct.pack("!HHH", 263, 2, 0) + struct.pack("!HHHH", 149, 4, 305, 4)),
            fset(3, struct.pack("!HHH", 264, 2, 3) + struct.pack("!HHHH", 149, 4, 305, 4)),
            fset(3, struct.pack("!HH", 265, 2), pad=False),		# no scope count
            fset(2, struct.pack("!HH", 5, 0)),				# withdraw id < 256
            fset(2, tmpl_rec(266, [(8, 0), (12, 0)], True)),		# zero-length record
            fset(2, struct.pack("!HHHH", 267, 2, 0x8008, 4)),		# enterprise id cut off
        ]
        self.dec("bad_template")
        if k % 2:
            self.tx("bad_template", src, sport, P_IPFIX, ipfix_msg([ix[k // 2 % len(ix)]], 0))
        else:
            self.tx("bad_template", src, sport, P_LEGACY, v9_msg([v9[k // 2 % len(v9)]], 0))

    def overrun(self, src, sport):
        """Varlen template and a record whose length byte runs past its set."""
        sets = [fset(2, tmpl_rec(270, [(8, 4), (82, VARLEN)], True)),
                fset(270, b"\x0a\0\0\1" + b"\xc8abc", pad=False)]
        self.tx("record_overrun", src, sport, P_IPFIX, ipfix_msg(sets, 0))

    def big(self, src, sport):
        tid = 280 + self.rnd.randrange(2)
        rec, fields = big_template(tid)
        self.tx("big_template", src, sport, P_IPFIX,
                ipfix_msg([fset(2, rec), fset(tid, self.spoof_data(fields, 1))], 0))

    def xdp_bad(self, src, sport, k):
        """Frames the XDP program must drop; the model says in which counter."""
        good5 = v5_msg([(b"\xac\x10\0\1", b"\xac\x11\0\1", 0, 53, 1, 64)] * 2, 0)
        ix = ipfix_msg([fset(2, tmpl_rec(256, IX_A, True))], 0)
        kind, r = ["short", "bad_version", "bad_count", "truncated", "bad_length"][k % 5], k // 5
        if kind == "short":
            p = [b"", b"\x00", b"\x00\x05\x00", good5[:4 + r % 20], v9_msg([], 0)[:4 + r % 16],
                 ix[:4 + r % 12]][r % 6]
        elif kind == "bad_version":
            ver = [0, 2, 3, 4, 8, 11, 0x0a00, 0xffff, 0x0900, 0x0500][r % 10]
            p = struct.pack("!H", ver) + good5[2:]
            if r % 7 == 6:		# v5 to the IPFIX-only port: not accepted there
                self.tx("x_bad_version", src, sport, P_IPFIX, good5)
                return
        elif kind == "bad_count":
            ver, cnt = [(5, 31), (5, 1000), (5, 65535), (1, 31), (7, 28), (6, 65535)][r % 6]
            p = struct.pack("!HH", ver, cnt) + good5[4:]
        elif kind == "truncated":
            p = [struct.pack("!HH", 5, 10) + good5[4:], struct.pack("!HH", 5, 30) + good5[4:],
                 v9_msg([], 0, count=5) + b"\0\0", struct.pack("!HH", 7, 3) + good5[4:]][r % 4]
        else:
            if r % 4 == 3:	# UDP length beyond the datagram / below 8
                self.tx("x_bad_length", src, sport, P_LEGACY, good5,
                        ulen=len(good5) + 8 + 100 if r % 8 == 3 else 4)
                return
            length = [len(ix) + 8, len(ix) - 4, 65535][r % 4]
            p = ix[:2] + struct.pack("!H", length) + ix[4:]
        m = self.tx("x_" + kind, src, sport, P_IPFIX if p[:2] == b"\0\x0a" else P_LEGACY, p)
        assert m and m[1] != "redirected", (kind, r, m)

    def garbage(self, src, sport):
        """Random bytes that the XDP program must drop (re-drawn otherwise)."""
        port = self.rnd.choice([P_LEGACY, P_IPFIX])
        while True:
            p = os.urandom(self.rnd.randrange(0, 600))
            if xdp_model(port, p)[1] != "redirected":
                break
        self.tx("garbage", src, sport, port, p)

    def fuzz_body(self, src, sport, k):
        """Valid v9/IPFIX header, random sets: the daemon copes, counters bounded."""
        body = os.urandom(self.rnd.randrange(4, 400))
        self.dec("fuzz_frames")
        if k % 2:
            self.tx("fuzz_body", src, sport, P_IPFIX, ipfix_msg([body], 0))
        else:
            self.tx("fuzz_body", src, sport, P_LEGACY, v9_msg([body], 0))

    # -- phases --
    def warm(self):
        for k in range(12):
            self.good_round(k)
        # one exporter asks for 300 templates: 44 over its quota of 256
        src, sport = bytes([198, 18, 0, 1]), 7777
        for chunk in range(15):
            recs = b"".join(tmpl_rec(256 + chunk * 20 + j, [(8, 4), (1, 4)], True)
                            for j in range(20))
            self.tx("greedy_templates", src, sport, P_IPFIX,
                    ipfix_msg([fset(2, recs)], chunk * 20))
        self.dec("template_exporter_limit", 300 - 256)
        # exact decoder counts while the tables have room
        src, sport = bytes([198, 18, 0, 2]), 7778
        for k in range(16):
            self.bad_set_length(src, sport, k)
            self.bad_template(src, sport, k)
        for _ in range(5):
            self.overrun(src, sport)
        self.dec("record_overrun_warm", 5)
        for k in range(12, 18):
            self.good_round(k)

    def flood(self):
        a = self.a
        sched = (["v9"] * 18 + ["ipfix"] * 18 + ["d9"] * 5 + ["dx"] * 5 + ["v5"] * 8 +
                 ["setlen"] * 3 + ["tmpl"] * 3 + ["overrun"] * 1 + ["big"] * 1 +
                 ["xdp"] * 15 + ["garbage"] * 4 + ["fuzz"] * 2 + ["other_port"] * 1 +
                 ["orphan"] * 1)
        self.rnd.shuffle(sched)
        t0 = time.monotonic()
        rate = a.frames / a.seconds
        n = k = goodk = 0
        next_sample = t0
        e = 0
        start = self.w.frames
        samples = self.st.setdefault("rss", [])
        while n < a.frames and time.monotonic() - t0 < a.seconds:
            now = time.monotonic()
            if a.pid and now >= next_sample:
                samples.append([round(now - t0, 2)] + rss(a.pid))
                next_sample += 0.5
            ahead = n / rate - (now - t0)
            if ahead > 0.002:
                time.sleep(ahead)
            for _ in range(32):
                if k % a.good_every == 0:
                    self.good_round(goodk)
                    goodk += 1
                what = sched[k % len(sched)]
                k += 1
                src, sport = self.exporter(e)
                e = (e + 1) % a.exporters
                if what == "v9":
                    self.spoof_v9(src, sport)
                elif what == "ipfix":
                    self.spoof_ipfix(src, sport)
                elif what in ("d9", "dx"):
                    self.spoof_data_only(src, sport, what == "dx")
                elif what == "v5":
                    self.spoof_v5(src, sport)
                elif what == "setlen":
                    self.bad_set_length(src, sport, self.variant(what))
                elif what == "tmpl":
                    self.bad_template(src, sport, self.variant(what))
                elif what == "overrun":
                    self.overrun(src, sport)
                elif what == "big":
                    self.big(src, sport)
                elif what == "xdp":
                    self.xdp_bad(src, sport, self.variant(what))
                elif what == "garbage":
                    self.garbage(src, sport)
                elif what == "fuzz":
                    self.fuzz_body(src, sport, self.variant(what))
                elif what == "orphan":	# first fragment, the rest never comes
                    if len(src) == 4:
                        self.tx("orphan_fragment", src, sport, P_LEGACY, v5_msg(
                            [(b"\xac\x10\0\1", b"\xac\x11\0\1", 0, 53, 1, 64)] * 4, 0),
                            frag="orphan")
                else:
                    self.tx("other_port", src, sport, P_NONE, os.urandom(64))
                n = self.w.frames - start
        dur = time.monotonic() - t0
        if a.pid:
            samples.append([round(dur, 2)] + rss(a.pid))
        self.st["flood"] = {"frames": n, "seconds": round(dur, 2), "rate": int(n / dur),
                            "exporters": min(a.exporters, k), "good_messages": goodk}

    def final(self):
        for k in range(6):
            self.good_round(k)
        # v9 data before its template: held, then decoded when it arrives
        i = self.st["good"]["netflow9"]
        self.tx("good_v9_pending", self.good, 40000, P_LEGACY,
                v9_msg([fset(300, data_recs(V9_A, i, 3, 0))], self.nextseq("g9")))
        self.tx("good_v9_pending", self.good, 40000, P_LEGACY,
                v9_msg([fset(0, tmpl_rec(300, V9_A, False)),
                        fset(300, data_recs(V9_A, i + 3, 2, 0))], self.nextseq("g9")))
        self.st["good"]["netflow9"] += 5
        self.dec("pending_good_sets")


def rss(pid):
    vals = {}
    try:
        for line in open("/proc/%d/status" % pid):
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                vals[k] = int(v.split()[0])
    except OSError:
        return [0, 0]
    return [vals.get("VmRSS", 0), vals.get("VmHWM", 0)]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("phase", choices=["warm", "flood", "final"])
    ap.add_argument("--ifname", required=True, help="exporter end of the veth")
    ap.add_argument("--dmac", required=True, help="collector end's MAC")
    ap.add_argument("--smac", required=True)
    ap.add_argument("--dst-ip", required=True)
    ap.add_argument("--dst-ip6", default="fd00:231::1")
    ap.add_argument("--good-ip", required=True)
    ap.add_argument("--state", required=True, help="JSON state, read and rewritten")
    ap.add_argument("--frames", type=int, default=200000)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--exporters", type=int, default=20000)
    ap.add_argument("--good-every", type=int, default=32, help="a good message every N frames")
    ap.add_argument("--pid", type=int, default=0, help="collector pid: sample its memory")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    try:
        st = json.load(open(a.state))
    except FileNotFoundError:
        st = {"sent": {}, "xdp": {}, "dec": {},
              "good": {"netflow5": 0, "netflow9": 0, "ipfix": 0}}
    f = Flood(a, st)
    getattr(f, a.phase)()
    st["frames_total"] = st.get("frames_total", 0) + f.w.frames
    st["enobufs"] = st.get("enobufs", 0) + f.w.enobufs
    with open(a.state + ".tmp", "w") as fp:
        json.dump(st, fp, indent=1, sort_keys=True)
    os.rename(a.state + ".tmp", a.state)


if __name__ == "__main__":
    main()

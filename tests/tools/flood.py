#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""flood.py - adversarial NetFlow/IPFIX/sFlow traffic for tests/netns/test-flood.sh.

Writes whole Ethernet frames to an AF_PACKET socket on the exporter end of
the veth, so every frame can carry any source address: thousands of
exporters (IPv4 and IPv6) without configuring one of them.  IPv4 header
checksums are right, UDP checksums are 0 (IPv4) or right (IPv6).

Three phases share a state file (--state), so record numbers and expected
counts add up across invocations:

  warm   good traffic from the good exporter and the good sFlow agent, plus
         the malformed cases the daemon must count exactly (an exporter over
         its template quota, a record overrun, an sFlow agent over a
         decoder's interface counter store, one that restarts, every kind of
         broken sFlow sample and record, ...), sent while nothing else
         competes for table space;
  flood  --frames frames over at most --seconds: spoofed exporters (template
         churn, withdrawals, options templates, data for unknown templates,
         huge templates) and sFlow agents (flow samples, counter samples of
         ever new interfaces, restarts), frames the XDP program must drop
         (short, wrong version or agent address type, huge counts,
         truncated, bad IPFIX/UDP lengths, NetFlow and sFlow on each other's
         ports, garbage), frames the daemon must reject (bad set lengths,
         bad templates, record overruns, random set bodies, broken sFlow
         samples and records), first IPv4 fragments whose rest never comes,
         sFlow in fragments (the decoder's own header checks), interleaved
         with good messages (some in two fragments, for the stack to
         reassemble and a UDP socket to read);
  final  one more good burst, including v9 data sent before its template.

Good records follow nfsend.py's numbering (record i: src 10.1.H.L, dst
10.2.H.L, sport 1000+i, dport 2000+i, proto UDP, bytes 100+i, packets 1+i),
one sequence of i per type (netflow5, netflow9, ipfix, sflow5), all from
--good-ip (the good agent's address too).  An sflow5 record is one sampled
frame: packets 1, bytes sflow_frame_len(i), its raw Ethernet/IPv4/UDP
header carrying the rest.  Spoofed NetFlow records use source port 0, so
they never look like good ones; spoofed agents never name --good-ip.

The state file (JSON) holds what was sent per kind, the XDP counters the
frames must produce (a model of bpf/nfx_xdp.bpf.c's checks, per slot), the
decoder counters the structured cases must produce (for sFlow, "sflow":
every sample and record counter, exact whatever the tables hold), the good
record counts, and with --pid the collector's VmRSS/VmHWM sampled during
the flood.
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
# (netflow5 + netflow9 listeners on 2055, ipfix on 4739, sflow5 on 6343;
# sFlow has a port-map bit of its own, NFX_VER_SFLOW5)
LEGACY = (1 << 1) | (1 << 5) | (1 << 6) | (1 << 7)
MODERN = (1 << 9) | (1 << 10)
SFLOW = 1 << 16
PORTS = {2055: LEGACY | MODERN, 4739: MODERN, 6343: SFLOW}
P_LEGACY, P_IPFIX, P_SFLOW, P_NONE = 2055, 4739, 6343, 9999
SLOT = {1: "v1", 5: "v5", 6: "v6", 7: "v7", 9: "v9", 10: "ipfix"}
FIELDS = ("packets", "bytes", "redirected", "passed", "no_socket", "short_pkt", "bad_version",
          "bad_count", "truncated", "bad_length", "not_allowed")
FIXED = {1: (16, 48, 30), 5: (24, 48, 30), 6: (24, 52, 27), 7: (24, 52, 27)}
SF_V5 = struct.pack("!I", 5)	# sFlow's version: 32 bits, its first 16 are 0
SF_MAX_SAMPLES = 256		# NFX_SFLOW_MAX_SAMPLES (include/nfx/shared.h)
SF_MAX_RECORDS = 64		# NFX_SFLOW_MAX_RECORDS (user/decode/decode.h)
SF_STORE = 4096			# sFlow interfaces per decoder (test-flood.sh configures it)


def frag_slot(visible):
    """The slot of a first fragment whose payload starts with these bytes."""
    if len(visible) < 2:
        return "other"
    slot = SLOT.get(struct.unpack("!H", visible[:2])[0], "other")
    return "sflow5" if slot == "other" and visible[:4] == SF_V5 else slot


def sflow_model(dport, payload):
    """sFlow v5 (the first 32 bits are 5): the port, then the header up to the sample count."""
    plen = len(payload)
    if not PORTS[dport] & SFLOW:
        return "sflow5", "bad_version", plen
    if plen < 28:
        return "sflow5", "short_pkt", plen
    hlen = {1: 28, 2: 40}.get(struct.unpack("!I", payload[4:8])[0])
    if hlen is None:
        return "sflow5", "bad_version", plen	# agent address type
    if plen < hlen:
        return "sflow5", "short_pkt", plen
    n = struct.unpack("!I", payload[hlen - 4:hlen])[0]
    if n > SF_MAX_SAMPLES:
        return "sflow5", "bad_count", plen
    if plen < hlen + 8 * n:
        return "sflow5", "truncated", plen
    return "sflow5", "redirected", plen


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
    if slot == "other" and payload[:4] == SF_V5:
        return sflow_model(dport, payload)
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


def frag_cut(plen):
    """Bytes of UDP header and payload in the first of a datagram's two fragments."""
    return ((8 + plen) // 2) & ~7


class Wire:
    def __init__(self, ifname, dmac, smac, dst4, dst6):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        self.s.bind((ifname, 0))
        self.dmac, self.smac = dmac, smac
        self.dst4, self.dst6 = dst4, dst6
        self.ipid = 0
        # Fragmented datagrams take IP ids apart from each other's kind: an
        # orphan first fragment waits in the kernel's reassembly queue for
        # 30 s, and a whole datagram reusing its id (the 16-bit id wraps
        # within a flood) would be reassembled with it into garbage.
        self.frag_ids = {False: 0, True: 0x8000}
        self.frames = 0
        self.enobufs = 0

    def send_frags(self, src, sport, dport, payload, first_only=False):
        """An IPv4 datagram in two fragments (or only its first one)."""
        udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        cut = frag_cut(len(payload))
        base = 0x8000 if first_only else 0
        ipid = self.frag_ids[first_only] = base | ((self.frag_ids[first_only] + 1) & 0x7FFF)
        for off, part, mf in ((0, udp[:cut], 0x2000), (cut, udp[cut:], 0)):
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(part), ipid,
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


def sets_leave_tail(body):
    """Whether the decoders' set walk ends 1-3 bytes short of the message
    (counted as length_mismatch); a bad set length stops it without."""
    pos = 0
    while len(body) - pos >= 4:
        slen = struct.unpack_from("!H", body, pos + 2)[0]
        if slen < 4 or slen > len(body) - pos:
            return False
        pos += slen
    return pos < len(body)


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


# ---- sFlow v5 (sflow_version_5.txt): XDR words, every list led by its
# count, every sample and record by its format and length ----

def sf_dgram(agent, seq, samples, sub=0, count=None, atype=None):
    """A datagram naming agent (4 or 16 bytes; atype overrides its type) with these samples."""
    if atype is None:
        atype = 1 if len(agent) == 4 else 2
    return (SF_V5 + struct.pack("!I", atype) + agent +
            struct.pack("!IIII", sub, seq & 0xFFFFFFFF, 3600000,
                        len(samples) if count is None else count) + b"".join(samples))


def sf_item(fmt, body, length=None):
    """A sample or a record: format, length, the body padded to 4 bytes."""
    body += bytes(-len(body) % 4)
    return struct.pack("!II", fmt, len(body) if length is None else length) + body


def sf_flow(recs, seq, x=False, count=None, length=None, rate=1, in_if=3, out_if=7):
    """Flow sample, compact (format 1) or expanded (3), of data source ifIndex in_if."""
    pool = seq * rate & 0xFFFFFFFF
    if x:
        fixed = struct.pack("!10I", seq, 0, in_if, rate, pool, 0, 0, in_if, 0, out_if)
    else:
        fixed = struct.pack("!7I", seq, in_if, rate, pool, 0, in_if, out_if)
    body = fixed + struct.pack("!I", len(recs) if count is None else count) + b"".join(recs)
    return sf_item(3 if x else 1, body, length)


def sf_counters(recs, seq, cls, idx, x=False, count=None, length=None):
    """Counter sample, compact (format 2) or expanded (4), of data source (cls, idx)."""
    fixed = struct.pack("!III", seq, cls, idx) if x else struct.pack("!II", seq, cls << 24 | idx)
    body = fixed + struct.pack("!I", len(recs) if count is None else count) + b"".join(recs)
    return sf_item(4 if x else 2, body, length)


def rec_raw(header, frame_len, proto=1, hlen=None, length=None):
    """Raw packet header (1): header protocol (1 Ethernet), frame length, 4 stripped (FCS)."""
    return sf_item(1, struct.pack("!4I", proto, frame_len, 4,
                                  len(header) if hlen is None else hlen) + header, length)


def rec_ip4(length, proto, src, dst, sport, dport):
    """Sampled IPv4 (3)."""
    return sf_item(3, struct.pack("!II4s4s4I", length, proto, src, dst, sport, dport, 0, 0))


def rec_ip6(length, proto, src, dst, sport, dport):
    """Sampled IPv6 (4)."""
    return sf_item(4, struct.pack("!II16s16s4I", length, proto, src, dst, sport, dport, 0, 0))


def rec_switch(vlan, out_vlan=0):
    """Extended switch (1001)."""
    return sf_item(1001, struct.pack("!4I", vlan, 0, out_vlan, 0))


def rec_router(nh, smask=24, dmask=16, atype=None):
    """Extended router (1002): next hop (4 or 16 bytes), prefix lengths."""
    atype = (1 if len(nh) == 4 else 2) if atype is None else atype
    return sf_item(1002, struct.pack("!I", atype) + nh + struct.pack("!II", smask, dmask))


def rec_gateway(path, nseg=None):
    """Extended gateway (1003): next hop, AS 64500, source AS 0, peer AS, one AS_SEQUENCE."""
    body = struct.pack("!I4sIII", 1, b"\xc0\x00\x02\x01", 64500, 0, 64501)
    body += struct.pack("!III", 1 if nseg is None else nseg, 2, len(path))
    body += b"".join(struct.pack("!I", a) for a in path)
    return sf_item(1003, body + struct.pack("!III", 1, 64500 << 16 | 80, 100))


def rec_generic(ifindex, length=None):
    """Generic interface counters (counter record 1, 88 bytes)."""
    body = struct.pack("!IIQII", ifindex, 6, 10 ** 9, 1, 3)
    body += struct.pack("!Q6I", 10 ** 6 + ifindex, 1000, 10, 5, 0, 0, 0)
    body += struct.pack("!Q5I", 2 * 10 ** 6, 2000, 20, 6, 0, 0) + struct.pack("!I", 0)
    return sf_item(1, body if length is None else body[:length])


def rec_ether():
    """Ethernet interface counters (counter record 2, 52 bytes)."""
    return sf_item(2, struct.pack("!13I", *range(13)))


def sflow_frame_len(i):
    """The frame length (FCS included) the good agent reports for good record i: its bytes."""
    return 64 + i % 1400


def good_frame(i):
    """The frame good record i was sampled from, without its FCS: Ethernet (every 3rd
    802.1Q-tagged), IPv4 (every 4th with 4 bytes of options), UDP 1000+i -> 2000+i."""
    flen = sflow_frame_len(i) - 4
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01"
    if i % 3 == 1:
        eth += struct.pack("!HH", 0x8100, 100 + i % 50)
    eth += b"\x08\x00"
    opts = b"\x01\x01\x01\x01" if i % 4 == 2 else b""
    tot = flen - len(eth)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45 + len(opts) // 4, 0, tot, i & 0xFFFF, 0x4000, 64, 17,
                     0, addr(1, i), addr(2, i)) + opts
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    udp = struct.pack("!HHHH", 1000 + i, 2000 + i, tot - len(ip), 0)
    return (eth + ip + udp).ljust(flen, b"\0")


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
            slot = frag_slot(payload[:frag_cut(len(payload)) - 8])
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

    # -- the good sFlow agent --
    def sfdec(self, **deltas):
        """What the decoder counts for an sFlow datagram that reaches it, whatever the
        tables hold: nfx_decoder_NAME_total, records/dropped those of version sflow5."""
        sf = self.st["dec"].setdefault("sflow", {})
        for name, n in deltas.items():
            name += ":sflow5" if name in ("records", "dropped") else ""
            sf[name] = sf.get(name, 0) + n

    def store(self, n):
        """n counter samples the interface counter store is asked to keep."""
        self.st["dec"]["sf_storable"] = self.st["dec"].get("sf_storable", 0) + n

    def good_flow_sample(self, i):
        """Good record i as a flow sample (expanded for odd i): the raw header, with a sampled
        IPv4 record before or after it (its IP length must not win over the frame length)
        for 2 i in 5, an extended switch record for tagged frames."""
        frame = good_frame(i)
        recs = [rec_raw(frame[:96], sflow_frame_len(i))]
        if i % 5 in (1, 3):
            ip4 = rec_ip4(len(frame) - 14, 17, addr(1, i), addr(2, i), 1000 + i, 2000 + i)
            recs.insert(0 if i % 5 == 1 else 1, ip4)
        if i % 3 == 1:
            recs.append(rec_switch(100 + i % 50))
        self.sfdec(sflow_flow_samples=1, records=1)
        return sf_flow(recs, i, x=i % 2 == 1, rate=1 + i % 3, in_if=1 + i % 2)

    def good_sflow(self, frag=False, counters=False):
        """A datagram of the good agent: its next 1-5 good records; counters: with an
        interface counter sample among them; frag: in two IPv4 fragments, for the stack to
        reassemble and the UDP socket to read."""
        i, j = self.st["good"]["sflow5"], self.st["sfseq"]
        n = 1 + j % 5
        samples = [self.good_flow_sample(k) for k in range(i, i + n)]
        if counters:
            samples.insert(n // 2, sf_counters([rec_generic(1 + j % 2), rec_ether()], j, 0,
                                               1 + j % 2))
            self.sfdec(sflow_counter_samples=1)
            self.store(1)
        self.tx("good_sflow_fragmented" if frag else "good_sflow", self.good, 40001, P_SFLOW,
                sf_dgram(self.good, j, samples), frag="whole" if frag else None)
        self.st["good"]["sflow5"] += n
        self.st["sfseq"] = j + 1

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
        """One malformed (options) template record per message.  (A v9 field
        of length 65535 is no longer one: it is read as variable length.)"""
        v9 = [
            fset(0, tmpl_rec(5, [(8, 4)], False)),			# id < 256
            fset(0, struct.pack("!HH", 256, 50) + bytes(16)),		# fields past the set
            fset(0, struct.pack("!HH", 257, 0)),			# no fields
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
        port = self.rnd.choice([P_LEGACY, P_IPFIX, P_SFLOW])
        while True:
            p = os.urandom(self.rnd.randrange(0, 600))
            if xdp_model(port, p)[1] != "redirected":
                break
        self.tx("garbage", src, sport, port, p)

    def fuzz_body(self, src, sport, k):
        """Valid v9/IPFIX header, random sets: the daemon copes, counters bounded."""
        body = os.urandom(self.rnd.randrange(4, 400))
        self.dec("fuzz_frames")
        if sets_leave_tail(body):	# length_mismatch counts every version together
            self.dec("fuzz_length_mismatch")
        if k % 2:
            self.tx("fuzz_body", src, sport, P_IPFIX, ipfix_msg([body], 0))
        else:
            self.tx("fuzz_body", src, sport, P_LEGACY, v9_msg([body], 0))

    # -- spoofed sFlow agents --
    def sf_agent(self, e, src):
        """The agent a spoofed exporter names: itself, or (one IPv4 exporter in 7) an IPv6 one."""
        if len(src) == 4 and e % 7 == 3:
            return b"\xfd\x00\x5f\x10" + bytes(8) + e.to_bytes(4, "big")
        return src

    def sf_next(self, agent, sub):
        """The agent's next datagram sequence number; one datagram in 16 restarts far back."""
        seq = self.nextseq((agent, sub))
        return (seq - 100000) & 0xFFFFFFFF if self.rnd.randrange(16) == 0 else seq

    def spoof_header(self):
        """Someone else's sampled frame: Ethernet, IPv4 or IPv6, any transport, cut anywhere."""
        v6 = self.rnd.randrange(3) == 0
        proto = self.rnd.choice([6, 17, 1, 47, 58 if v6 else 50])
        if v6:
            ip = struct.pack("!IHBB", 6 << 28, 20, proto, 64) + os.urandom(32)
        else:
            ip = struct.pack("!BBHHHBBH", 0x45, 0, 40, 0, 0, 64, proto, 0) + os.urandom(8)
        frame = os.urandom(12) + (b"\x86\xdd" if v6 else b"\x08\x00") + ip + os.urandom(20)
        return frame[:self.rnd.randrange(14, len(frame) + 1)]

    def spoof_flow_sample(self, seq):
        """A well-formed flow sample of a spoofed agent (one record): a raw header, alone or
        with extended switch/router/gateway records, or a sampled IPv4/IPv6 record."""
        r = self.rnd
        kind = r.randrange(4)
        if kind == 0:
            recs = [rec_raw(self.spoof_header(), r.randrange(64, 1519))]
        elif kind == 1:
            recs = [rec_switch(r.randrange(4096)),
                    rec_raw(self.spoof_header(), r.randrange(64, 9019)),
                    rec_router(os.urandom(4), r.randrange(33), r.randrange(33)),
                    rec_gateway([r.randrange(1, 1 << 32) for _ in range(r.randrange(4))])]
        elif kind == 2:
            recs = [rec_ip4(r.randrange(20, 1500), r.choice([6, 17]), os.urandom(4), os.urandom(4),
                            0, 53)]
        else:
            recs = [rec_ip6(r.randrange(40, 1500), 6, os.urandom(16), os.urandom(16), 0, 443),
                    rec_router(os.urandom(16), 48, 64)]
        self.sfdec(sflow_flow_samples=1, records=1)
        return sf_flow(recs, seq, x=r.randrange(2) == 1, rate=r.choice([1, 64, 1024, 65536]),
                       in_if=r.randrange(1, 1 << 20), out_if=r.randrange(1 << 32))

    def spoof_sflow(self, src, sport, e):
        """A spoofed agent's datagram of 1-4 well-formed flow samples (sub-agent e % 3)."""
        agent, sub = self.sf_agent(e, src), e % 3
        samples = [self.spoof_flow_sample(self.variant("sf_sample"))
                   for _ in range(self.rnd.randrange(1, 5))]
        self.tx("spoof_sflow", src, sport, P_SFLOW, sf_dgram(agent, self.sf_next(agent, sub),
                                                             samples, sub))

    def spoof_sflow_counters(self, src, sport, e):
        """Counter samples of interfaces never seen before, thousands a second (the store
        refuses them once full: sflow_counter_limit), with some it does not keep among them:
        a VLAN's (class 1) Ethernet counters, records nobody decodes."""
        agent, sub = self.sf_agent(e, src), e % 3
        seq = self.sf_next(agent, sub)
        base = 1 + self.variant("sf_ifs") * 16
        samples, size = [], 40
        for idx in range(base, base + 12):
            kind = self.rnd.choice([0, 0, 1, 1, 2, 5, 3, 4])
            x, d = kind in (1, 3, 5), {}
            if kind == 0:
                smp = sf_counters([rec_generic(idx), rec_ether()], seq, 0, idx, x)
            elif kind == 1:
                smp = sf_counters([rec_generic(idx)], seq, 0, idx, x)
            elif kind == 2:	# kept under the data source's ifIndex
                smp = sf_counters([rec_ether()], seq, 0, idx, x)
            elif kind == 3:	# a VLAN's: not kept
                smp = sf_counters([rec_ether()], seq, 1, idx, x)
            elif kind == 4:	# processor and host records: skipped, nothing kept
                smp = sf_counters([sf_item(1001, os.urandom(28)), sf_item(2000, os.urandom(40))],
                                  seq, 0, idx, x)
                d = dict(sflow_records_skipped=2)
            else:		# a generic record cut short: ignored, the Ethernet one kept
                smp = sf_counters([rec_generic(idx, length=60), rec_ether()], seq, 0, idx, x)
                d = dict(sflow_bad_record=1)
            size += len(smp)
            if size > 1400:	# within an IPv6 frame
                break
            samples.append(smp)
            self.sfdec(sflow_counter_samples=1, **d)
            self.store(int(kind in (0, 1, 2, 5)))
        self.tx("spoof_sflow_counters", src, sport, P_SFLOW, sf_dgram(agent, seq, samples, sub))

    def sflow_bad(self, src, sport, agent, k):
        """Datagrams the XDP program passes (the header is whole) that the decoder must take
        apart piece by piece, each defect in its counter."""
        seq = self.nextseq((agent, 0))
        x = k % 2 == 1
        raw = rec_raw(self.spoof_header(), 100)

        def fl(recs, **kw):
            return sf_flow(recs, seq, x=x, **kw)

        def good():
            return self.spoof_flow_sample(seq)
        count = None
        trailing = b""
        r = k // 2 % 21
        if r == 0:	# the first sample runs past the datagram: none of it is read
            samples, d = [sf_item(1, bytes(40), length=4000)], dict(length_mismatch=1, dropped=1)
        elif r == 1:	# the second one does: the first stands
            samples, d = [good(), sf_item(3, bytes(40), length=4000)], dict(length_mismatch=1)
        elif r == 2:	# three announced, two there
            samples, count, d = [good(), good()], 3, dict(length_mismatch=1)
        elif r == 3:	# bytes after the last sample
            samples, trailing, d = [good()], bytes(12), dict(length_mismatch=1)
        elif r == 4:	# a flow sample shorter than its fixed part
            samples = [sf_item(3 if x else 1, bytes(20))]
            d = dict(sflow_flow_samples=1, sflow_bad_sample=1)
        elif r == 5:	# more records announced than the sample holds
            samples = [fl([raw], count=50)]
            d = dict(sflow_flow_samples=1, sflow_bad_sample=1)
        elif r == 6:	# more records than a sample may have (NFX_SFLOW_MAX_RECORDS), room for them
            samples = [fl([sf_item(2000, b"")] * (SF_MAX_RECORDS + 1))]
            d = dict(sflow_flow_samples=1, sflow_bad_sample=1)
        elif r == 7:	# a record count that overflows any multiplication
            samples = [fl([raw], count=0xFFFFFFFF)]
            d = dict(sflow_flow_samples=1, sflow_bad_sample=1)
        elif r == 8:	# a record runs past its sample
            samples = [fl([raw, sf_item(1001, bytes(16), length=1000)])]
            d = dict(sflow_flow_samples=1, sflow_bad_sample=1)
        elif r == 9:	# the records end before the sample does
            samples = [sf_item(3 if x else 1, fl([raw])[8:] + bytes(8))]
            d = dict(sflow_flow_samples=1, sflow_bad_sample=1)
        elif r == 10:	# sample formats nobody decodes: a drop report, an enterprise's, junk
            samples = [sf_item(5, os.urandom(40)), sf_item(4413 << 12 | 1, os.urandom(24)),
                       sf_item(0xFFFFFFFF, b""), sf_item(0, os.urandom(8))]
            d = dict(sflow_samples_skipped=4)
        elif r == 11:	# record formats nobody decodes around a raw header: the sample stands
            samples = [fl([sf_item(2, os.urandom(24)), raw, sf_item(1005, os.urandom(12)),
                           sf_item(9 << 12 | 1, os.urandom(40)), sf_item(0xFFFFFFFF, b"")])]
            d = dict(sflow_flow_samples=1, records=1, sflow_records_skipped=4)
        elif r == 12:	# raw headers that do not add up: shorter than 16, header past the record
            samples = [fl([sf_item(1, bytes(8)), rec_raw(bytes(40), 100, hlen=200)])]
            d = dict(sflow_flow_samples=1, records=1, sflow_bad_record=2)
        elif r == 13:	# sampled IPv4 of protocol 300, sampled IPv6 to port 70000
            samples = [fl([rec_ip4(100, 300, bytes(4), bytes(4), 1, 2)]),
                       fl([rec_ip6(100, 17, bytes(16), bytes(16), 1, 70000)])]
            d = dict(sflow_flow_samples=2, records=2, sflow_bad_record=2)
        elif r == 14:	# VLAN 5000, next-hop address type 9, mask 200, an AS path past its record
            samples = [fl([raw, rec_switch(5000), rec_router(bytes(4), atype=9),
                           rec_router(bytes(4), 200, 8), rec_gateway([1, 2], nseg=1000)])]
            d = dict(sflow_flow_samples=1, records=1, sflow_bad_record=4)
        elif r == 15:	# sampled headers of links nobody parses (token ring, FDDI, PPP, MPLS)
            samples = [fl([rec_raw(os.urandom(40), 80, proto=p)]) for p in (3, 4, 7, 13)]
            d = dict(sflow_flow_samples=4, records=4, sflow_header_unsupported=4)
        elif r == 16:	# counter samples: shorter than the fixed part, too many records
            samples = [sf_item(4 if x else 2, bytes(8)),
                       sf_counters([rec_generic(1)], seq, 0, 1, x, count=SF_MAX_RECORDS + 1)]
            d = dict(sflow_counter_samples=2, sflow_bad_sample=2)
        elif r == 17:	# a counter record past its sample; a generic record too short, not kept
            samples = [sf_counters([sf_item(1, bytes(88), length=400)], seq, 0, 1, x),
                       sf_counters([rec_generic(7, length=40)], seq, 0, 7, not x)]
            d = dict(sflow_counter_samples=2, sflow_bad_sample=1, sflow_bad_record=1)
        elif r == 18:	# counter records nobody decodes: nothing kept
            samples = [sf_counters([sf_item(1001, os.urandom(28)), sf_item(2001, os.urandom(16)),
                                    sf_item(7 << 12 | 5, b"")], seq, 0, 9, x)]
            d = dict(sflow_counter_samples=1, sflow_records_skipped=3)
        elif r == 19:	# a flow sample of length 0, then none announced at all
            samples, d = [sf_item(3 if x else 1, b"")], dict(sflow_flow_samples=1,
                                                             sflow_bad_sample=1)
            if x:
                samples, d = [], {}
        else:		# one byte more than its records (the next sample is off the 4-byte grid)
            s1 = fl([raw])
            samples = [s1[:4] + struct.pack("!I", len(s1) - 7) + s1[8:] + b"\0", good()]
            d = dict(sflow_flow_samples=1, sflow_bad_sample=1)
        p = sf_dgram(agent, seq, samples, count=count) + trailing
        assert xdp_model(P_SFLOW, p)[1] == "redirected", r
        self.sfdec(**d)
        self.tx("sflow_bad", src, sport, P_SFLOW, p)

    def sflow_xdp_bad(self, src, sport, agent, k):
        """sFlow the XDP program must drop; the model says in which counter."""
        dg = sf_dgram(agent, 0, [sf_flow([rec_raw(bytes(40), 64)], 0)])	# 104 bytes of samples
        h = 28 if len(agent) == 4 else 40
        kind, r = ["short", "bad_version", "bad_count", "truncated", "port"][k % 5], k // 5
        port, ulen = P_SFLOW, None
        if kind == "short":
            p = dg[:4 + r % (h - 4)]
        elif kind == "bad_version":	# agent address types, then sFlow v4 and v2
            p = dg[:4] + struct.pack("!I", [0, 3, 0x100, 0xFFFFFFFF][r % 4]) + dg[8:]
            if r % 6 >= 4:
                p = struct.pack("!I", [4, 2][r % 6 - 4]) + dg[4:]
        elif kind == "bad_count":
            p = dg[:h - 4] + struct.pack("!I", [257, 1000, 0x20000000, 0xFFFFFFFF][r % 4]) + dg[h:]
        elif kind == "truncated":
            n, cut = [(1, 7), (14, 108), (256, 200), (3, 0)][r % 4]
            p = dg[:h - 4] + struct.pack("!I", n) + dg[h:h + cut]
        else:	# sFlow to the NetFlow and IPFIX ports, NetFlow and IPFIX to sFlow's, bad UDP length
            good5 = v5_msg([(b"\xac\x10\0\1", b"\xac\x11\0\1", 0, 53, 1, 64)], 0)
            p = [dg, dg, good5, v9_msg([fset(0, tmpl_rec(256, V9_A, False))], 0),
                 ipfix_msg([fset(2, tmpl_rec(256, IX_A, True))], 0), dg][r % 6]
            port = [P_LEGACY, P_IPFIX, P_SFLOW, P_SFLOW, P_SFLOW, P_SFLOW][r % 6]
            if r % 6 == 5:
                ulen = 8 + len(dg) + 40
        m = self.tx("sfx_" + kind, src, sport, port, p, ulen=ulen)
        assert m and m[1] != "redirected", (kind, r, m)

    def sflow_frag(self, src, sport, k):
        """sFlow in IPv4 fragments: the XDP program passes the first (counted in its slot),
        the stack reassembles, the UDP socket hands the datagram to the decoder unchecked,
        whose own header checks must hold; or a first fragment whose rest never comes."""
        seq = self.nextseq((src, 1))
        flow = sf_flow([rec_raw(bytes(60), 80)], seq)
        r = k % 5
        if r == 0:	# the rest never comes
            self.tx("sflow_frag_orphan", src, sport, P_SFLOW, sf_dgram(src, seq, [flow], 1),
                    frag="orphan")
            return
        if r == 1:	# agent address type 3
            p, d = sf_dgram(src, seq, [flow], 1, atype=3), dict(sflow_bad_agent=1, dropped=1)
        elif r == 2:	# an IPv6 agent's header cut at 36 bytes
            p, d = sf_dgram(bytes(16), seq, [], 1)[:36], dict(short_pkt=1, dropped=1)
        elif r == 3:	# 300 samples announced: over the bound the XDP program applies
            p = sf_dgram(src, seq, [flow, flow], 1, count=300)
            d = dict(bad_count=1, dropped=1)
        else:		# agent address type 0 (unknown): the UDP source stands in
            p, d = sf_dgram(b"", seq, [self.spoof_flow_sample(seq)], 1, atype=0), {}
        self.sfdec(**d)
        self.tx("sflow_frag_bad", src, sport, P_SFLOW, p, frag="whole")

    def greedy_counters(self):
        """One agent reports 100 interfaces more than a decoder's counter store holds: 100
        refusals exactly (its datagrams take one queue, so one worker, and no other counter
        sample has come before)."""
        src, n = bytes([198, 18, 0, 4]), SF_STORE + 100
        for seq, first in enumerate(range(1, n + 1, 10)):
            samples = [sf_counters([rec_generic(idx)], first, 0, idx, idx % 2 == 1)
                       for idx in range(first, min(first + 10, n + 1))]
            self.tx("greedy_counters", src, 7779, P_SFLOW, sf_dgram(src, seq, samples))
        self.sfdec(sflow_counter_samples=n)
        self.store(n)
        self.dec("sf_counter_limit_warm", 100)

    def sflow_seq_probe(self):
        """An agent that restarts twice (back by 100 000, then on by 5 million), loses 10
        datagrams and sends one late: seq_resets +2, seq_lost +10."""
        src = bytes([198, 18, 0, 5])
        for seq in (100000, 100001, 100002, 7, 8, 9, 20, 5000000, 5000001, 4999995):
            self.tx("sflow_seq", src, 7780, P_SFLOW, sf_dgram(src, seq, [], sub=2))
        self.dec("sf_seq_resets_warm", 2)
        self.dec("sf_seq_lost_warm", 10)

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
        # sFlow: the good agent, then the exact cases (an IPv4 and an IPv6 agent each)
        for j in range(6):
            self.good_sflow(frag=j == 4)
        self.greedy_counters()
        self.sflow_seq_probe()
        six = b"\xfd\x00\x5f\x10" + bytes(11) + b"\x02"
        for k in range(42):
            self.sflow_bad(src, sport, six if k % 4 >= 2 else src, k)
        for k in range(60):
            self.sflow_xdp_bad(src, sport, six if k % 10 >= 5 else src, k)
        for k in range(5):
            self.sflow_frag(src, sport, k)
        for k in range(12, 18):
            self.good_round(k)
        for j in range(3):
            self.good_sflow()

    def flood(self):
        a = self.a
        sched = (["v9"] * 18 + ["ipfix"] * 18 + ["d9"] * 5 + ["dx"] * 5 + ["v5"] * 8 +
                 ["setlen"] * 3 + ["tmpl"] * 3 + ["overrun"] * 1 + ["big"] * 1 +
                 ["xdp"] * 15 + ["garbage"] * 4 + ["fuzz"] * 2 + ["other_port"] * 1 +
                 ["orphan"] * 1 + ["sf"] * 8 + ["sfc"] * 8 + ["sfbad"] * 5 + ["sfx"] * 5 +
                 ["sffrag"] * 1)
        self.rnd.shuffle(sched)
        t0 = time.monotonic()
        rate = a.frames / a.seconds
        n = k = goodk = goodsf = 0
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
                elif k % a.good_every == a.good_every // 2:
                    self.good_sflow(frag=goodsf % 20 == 7, counters=goodsf % 4 == 1)
                    goodsf += 1
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
                elif what == "sf":
                    self.spoof_sflow(src, sport, e)
                elif what == "sfc":
                    self.spoof_sflow_counters(src, sport, e)
                elif what == "sfbad":
                    self.sflow_bad(src, sport, self.sf_agent(e, src), self.variant(what))
                elif what == "sfx":
                    self.sflow_xdp_bad(src, sport, self.sf_agent(e, src), self.variant(what))
                elif what == "sffrag":
                    if len(src) == 4:
                        self.sflow_frag(src, sport, self.variant(what))
                else:
                    self.tx("other_port", src, sport, P_NONE, os.urandom(64))
                n = self.w.frames - start
        dur = time.monotonic() - t0
        if a.pid:
            samples.append([round(dur, 2)] + rss(a.pid))
        self.st["flood"] = {"frames": n, "seconds": round(dur, 2), "rate": int(n / dur),
                            "exporters": min(a.exporters, k), "good_messages": goodk,
                            "good_sflow": goodsf}

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
        for j in range(4):
            self.good_sflow(frag=j == 2, counters=j == 1)


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
        st = {"sent": {}, "xdp": {}, "dec": {}, "sfseq": 0,
              "good": {"netflow5": 0, "netflow9": 0, "ipfix": 0, "sflow5": 0}}
    f = Flood(a, st)
    getattr(f, a.phase)()
    st["frames_total"] = st.get("frames_total", 0) + f.w.frames
    st["enobufs"] = st.get("enobufs", 0) + f.w.enobufs
    with open(a.state + ".tmp", "w") as fp:
        json.dump(st, fp, indent=1, sort_keys=True)
    os.rename(a.state + ".tmp", a.state)


if __name__ == "__main__":
    main()

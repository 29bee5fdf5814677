#!/usr/bin/env python3
"""craft_sflow.py - the crafted sFlow v5 captures of tests/data/malformed:
hostile and edge-case datagrams, one capture per shape, each ending with a
valid datagram so that "the rest still decodes" is checked.

usage: craft_sflow.py [--tshark] [--readme] [--xdp-table] DIR

Writes DIR/sflow-*.pcap, DIR/sflow-*.expected.ndjson (the flow records of
the preferred outcome, ground truth from this script, same keys as the
corpus's sFlow .ref.ndjson) and replaces the sflow-* entries of
DIR/expected.json (the other entries are kept).  --tshark fills in
tshark_expert_messages and tshark_records from `tshark -d
udp.port==6343,sflow` (otherwise the values already in expected.json are
kept); --readme prints the README table rows, --xdp-table the rows of
tests/bpf/test_xdp.c's malformed table.  Output is deterministic.

Only python3 and struct: a classic pcap is a 24-byte global header and a
16-byte header per frame.  Exporter 10.201.9.1 -> collector 10.201.9.40,
UDP to 6343, each file its own source port (46301...) and sub-agent id.

The "xdp" list of an entry is what the XDP program does with each frame,
as SLOT:FATE (FATE = redirect, or the nfx_ctr drop field): the cheap
header checks of an sFlow port (xdp_verdict() below): version 5 (32 bits),
agent address type 1 or 2, payload >= 28 / 40 bytes, num_samples <= 256,
num_samples x 8 <= payload after the header.
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
AGENT6 = bytes.fromhex("fdcb0201000900000000000000000001")
SFLOW_PORT = 6343
T0 = 1795290000				# 2026-11-21 19:40:00 UTC, as the other files
MAC_COLLECTOR = bytes.fromhex("02cb00000940")
MAC_EXPORTER = bytes.fromhex("02cb00000901")
# the sampled link: client side and router
MAC_CLIENT = "42:bd:56:ad:37:7d"
MAC_ROUTER = "ee:0d:dd:1c:79:29"
XDP_MAX_SAMPLES = 256

u32 = struct.Struct(">I").pack
u16 = struct.Struct(">H").pack


def mac(text):
    return bytes.fromhex(text.replace(":", ""))


def ip4(text):
    return ipaddress.IPv4Address(text).packed


def ip6(text):
    return ipaddress.IPv6Address(text).packed


# ---- the transport: Ethernet / IPv4 / UDP to the collector -----------------

def transport(sport, payload):
    udp_len = 8 + len(payload)
    ip = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 1, 0, 64, 17, 0,
                               EXPORTER, COLLECTOR))
    ip[10:12] = u16(csum(bytes(ip)))
    udp = bytearray(struct.pack(">HHHH", sport, SFLOW_PORT, udp_len, 0)) + payload
    pseudo = EXPORTER + COLLECTOR + struct.pack(">BBH", 0, 17, udp_len)
    c = csum(pseudo + bytes(udp))
    udp[6:8] = u16(c or 0xFFFF)
    return MAC_COLLECTOR + MAC_EXPORTER + u16(0x0800) + bytes(ip) + bytes(udp)


def write_pcap(path, payloads, sport):
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i, p in enumerate(payloads):
        f = transport(sport, p)
        out += struct.pack("<IIII", T0 + i, 0, len(f), len(f)) + f
    with open(path, "wb") as fh:
        fh.write(out)


# ---- sampled packets (the raw header record's bytes) ---------------------------

def tcp(sport, dport, flags=0x02, payload=0):
    hdr = struct.pack(">HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, flags, 64240, 0, 0)
    return hdr + bytes(payload)


def udp(sport, dport, payload=0):
    return struct.pack(">HHHH", sport, dport, 8 + payload, 0) + bytes(payload)


def ipv4(src, dst, proto, l4, tos=0, ihl=5, frag=0, options=b""):
    total = 20 + len(options) + len(l4)
    h = bytearray(struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, tos, total, 0x1234, frag, 64, proto,
                              0, ip4(src), ip4(dst)))
    h += options
    if ihl >= 5 and len(h) == ihl * 4:
        h[10:12] = u16(csum(bytes(h)))
    return bytes(h) + l4


def ipv6(src, dst, nh, body, tclass=0):
    return struct.pack(">IHBB16s16s", (6 << 28) | (tclass << 20), len(body), nh, 64,
                       ip6(src), ip6(dst)) + body


def ext6(nh, hlen_units=0, fill=b""):
    """A generic IPv6 extension header of (hlen_units + 1) x 8 bytes."""
    return bytes([nh, hlen_units]) + fill.ljust(6 + 8 * hlen_units, b"\0")


def frag6(nh, offset, more):
    return struct.pack(">BBHI", nh, 0, (offset << 3) | more, 0x5EED)


def ether(l3, ethertype=0x0800, tags=()):
    """tags: (tpid, vid) pairs, outermost first."""
    h = mac(MAC_ROUTER) + mac(MAC_CLIENT)
    for tpid, vid in tags:
        h += u16(tpid) + u16(vid)
    return h + u16(ethertype) + l3


def mpls(labels, bottom=True):
    out = b""
    for i, label in enumerate(labels):
        bos = 1 if bottom and i == len(labels) - 1 else 0
        out += u32((label << 12) | (bos << 8) | 64)
    return out


# ---- sFlow v5 (XDR) -----------------------------------------------------------

def record(fmt, data, length=None):
    """A sample or a flow/counter record: format, length, data (length as sent)."""
    return u32(fmt) + u32(len(data) if length is None else length) + data


def raw_header(pkt, snap=128, hlen=None, pad=True):
    """Header protocol 1 (Ethernet), 4 bytes stripped (the FCS, as pmacct)."""
    head = pkt[:snap]
    body = u32(1) + u32(len(pkt) + 4) + u32(4) + u32(len(head) if hlen is None else hlen) + head
    if pad:	# XDR opaque: padded to 4 bytes
        body += b"\0" * (-len(head) % 4)
    return record(1, body)


def ext_switch(src_vlan=0, dst_vlan=0):
    return record(1001, u32(src_vlan) + u32(0) + u32(dst_vlan) + u32(0))


def flow_sample(seq, records, in_if=2, out_if=3, rate=64, nrec=None, src_index=2):
    body = u32(seq) + u32(src_index) + u32(rate) + u32(seq * rate) + u32(0) \
        + u32(in_if) + u32(out_if) + u32(len(records) if nrec is None else nrec) \
        + b"".join(records)
    return record(1, body)


def flow_sample_x(seq, records, in_if, out_if, rate=64, src_index=2):
    body = u32(seq) + u32(0) + u32(src_index) + u32(rate) + u32(seq * rate) + u32(0) \
        + u32(0) + u32(in_if) + u32(0) + u32(out_if) + u32(len(records)) + b"".join(records)
    return record(3, body)


def generic_if(index, in_octets=123456789, out_octets=987654321):
    body = u32(index) + u32(6) + struct.pack(">Q", 10**9) + u32(1) + u32(3) \
        + struct.pack(">Q", in_octets) + u32(1000) + u32(10) + u32(5) + u32(0) + u32(0) + u32(0) \
        + struct.pack(">Q", out_octets) + u32(2000) + u32(20) + u32(6) + u32(0) + u32(0) + u32(0)
    assert len(body) == 88
    return record(1, body)


def ether_ctrs():
    return record(2, b"".join(u32(i) for i in range(13)))


def counter_sample(seq, records, index=2, nrec=None):
    body = u32(seq) + u32(index) + u32(len(records) if nrec is None else nrec) + b"".join(records)
    return record(2, body)


def counter_sample_x(seq, records, index=2):
    body = u32(seq) + u32(0) + u32(index) + u32(len(records)) + b"".join(records)
    return record(4, body)


def datagram(seq, samples, sub_agent, agent=EXPORTER, nsamples=None, version=5,
             agent_type=None):
    """Uptime: an hour, plus a second per datagram."""
    if agent_type is None:
        agent_type = 1 if len(agent) == 4 else 2
    return u32(version) + u32(agent_type) + agent + u32(sub_agent) + u32(seq) \
        + u32(3600000 + 1000 * seq) \
        + u32(len(samples) if nsamples is None else nsamples) + b"".join(samples)


def xdp_verdict(p):
    """SLOT:FATE of a UDP payload on an sFlow port (the module doc)."""
    if len(p) < 4:
        return "other:short_pkt"
    if struct.unpack(">I", p[:4])[0] != 5:
        return "other:bad_version"
    if len(p) < 8:
        return "sflow5:short_pkt"
    atype = struct.unpack(">I", p[4:8])[0]
    if atype not in (1, 2):
        return "sflow5:bad_version"
    hlen = 28 if atype == 1 else 40
    if len(p) < hlen:
        return "sflow5:short_pkt"
    n = struct.unpack(">I", p[hlen - 4:hlen])[0]
    if n > XDP_MAX_SAMPLES:
        return "sflow5:bad_count"
    if n * 8 > len(p) - hlen:
        return "sflow5:truncated"
    return "sflow5:redirect"


# ---- one capture: frames and the flow records they must give ------------------

class Capture:
    """Frames of one file and the preferred outcome's flow records."""

    def __init__(self, no, name):
        self.no, self.name = no, name
        self.sport = 46300 + no
        self.sub_agent = 300 + no
        self.frames = []
        self.expected = []
        self.seq = 0			# datagram sequence
        self.sample_seq = 0

    def next_sample(self):
        self.sample_seq += 1
        return self.sample_seq

    def add(self, payload, expect=()):
        """A frame; expect = (idx, ref) of the samples that give a record."""
        self.frames.append(payload)
        frame = len(self.frames)
        for idx, ref in expect:
            r = {"frame": frame, "exporter": "10.201.9.1:%d" % self.sport, "version": 5,
                 "proto_family": "sflow", "kind": "flow", "idx": idx}
            r.update(ref)
            self.expected.append(r)

    def dgram(self, samples, **kw):
        self.seq += 1
        return datagram(self.seq, samples, self.sub_agent, **kw)

    def sample(self, pkt, fields, switch=False, snap=128):
        """A compact flow sample of one sampled packet ([1001 +] raw header), and
        its ref line: the record fields, then @fields from the packet."""
        seq = self.next_sample()
        recs = ([ext_switch()] if switch else []) + [raw_header(pkt, snap=snap)]
        s = flow_sample(seq, recs)
        ref = self.ref(seq, "10.201.9.1", 64, 2, 3, [1001, 1] if switch else [1])
        if switch:
            ref.update(src_vlan=0, src_priority=0, dst_vlan=0, dst_priority=0)
        ref.update(header_protocol=1, frame_length=len(pkt) + 4, stripped=4,
                   header_length=min(len(pkt), snap), bytes=len(pkt) + 4, packets=1)
        ref.update(fields)
        return s, ref

    def ref(self, seq, agent, rate, in_if, out_if, records, sample_type=1):
        return {"agent_addr": agent, "sub_agent_id": self.sub_agent, "seq": self.seq + 1,
                "uptime_ms": 3600000 + 1000 * (self.seq + 1), "sample_type": sample_type,
                "sample_seq": seq, "source_id_class": 0, "source_id_index": 2,
                "sampling_rate": rate, "sample_pool": seq * rate, "drops": 0,
                "in_if": in_if, "out_if": out_if, "records": records}

    def tcp4(self, sport, dport=443, flags=0x02, src="10.201.1.10", dst="10.201.2.20", tos=0,
             **kw):
        """A sample of an IPv4 TCP packet, fully inside the header record."""
        pkt = ether(ipv4(src, dst, 6, tcp(sport, dport, flags), tos=tos))
        return self.sample(pkt, l2(0x0800) | {"src_addr": src, "dst_addr": dst, "proto": 6,
                                              "tos": tos, "src_port": sport, "dst_port": dport,
                                              "tcp_flags": flags}, **kw)

    def good(self, sport, **kw):
        """A valid datagram of one flow sample (the closing one of each file)."""
        s, ref = self.tcp4(sport, switch=True, **kw)
        self.add(self.dgram([s]), [(0, ref)])

    def close(self):
        """Every file ends with the same kind of datagram; its source port marks it."""
        self.good(50000 + self.no, src="10.201.1.99")


def l2(ethertype):
    return {"src_mac": MAC_CLIENT, "dst_mac": MAC_ROUTER, "ether_type": ethertype}


NO_PORTS = {"src_port": 0, "dst_port": 0}	# the schema's "none" (see README)


# ---- the shapes ------------------------------------------------------------------

CAPTURES = []


def capture(no, name, what, expect, **meta):
    def wrap(fn):
        CAPTURES.append((no, name, what, expect, meta, fn))
        return fn
    return wrap


@capture(1, "sflow-short-header.pcap",
         "sFlow payloads of 3 bytes, 4 (version 5 only), 20 and 27 bytes (IPv4-agent header is 28)",
         "drop the 4 short ones (counter: short packet); decode the closing datagram: 1 record",
         records=1, drops={"short_packet": 4})
def short_header(c):
    full = c.dgram([])
    for n in (3, 4, 20, 27):
        c.add(full[:n])
    c.close()


@capture(2, "sflow-agent-ipv6-short.pcap",
         "agent address type 2 (IPv6) with 39 and 28 bytes (the IPv6-agent header is 40), then a "
         "valid datagram from IPv6 agent fdcb:201:9::1 with one IPv6 flow sample",
         "drop the 2 short ones (counter: short packet); decode the IPv6-agent datagram "
         "(exporter = agent fdcb:201:9::1, not the UDP source): 1 record",
         records=1, drops={"short_packet": 2})
def agent_ipv6_short(c):
    full = c.dgram([], agent=AGENT6)
    c.add(full[:39])
    c.add(full[:28])
    seq = c.next_sample()
    src, dst = "fdcb:201:1::10", "fdcb:201:2::20"
    pkt = ether(ipv6(src, dst, 6, tcp(50002, 443, 0x18, 20), tclass=0xb8), 0x86DD)
    s = flow_sample(seq, [raw_header(pkt)])
    ref = c.ref(seq, "fdcb:201:9::1", 64, 2, 3, [1])
    ref.update(header_protocol=1, frame_length=len(pkt) + 4, stripped=4,
               header_length=len(pkt), bytes=len(pkt) + 4, packets=1, **l2(0x86DD),
               src_addr=src, dst_addr=dst, proto=6, tos=0xb8, src_port=50002, dst_port=443,
               tcp_flags=0x18)
    c.add(c.dgram([s], agent=AGENT6), [(0, ref)])


@capture(3, "sflow-agent-type.pcap",
         "agent address type 0 (unknown: no address, an otherwise well-formed datagram with one "
         "flow sample), type 3 and type 0xFFFFFFFF (undefined), then a valid datagram",
         "drop types 3 and 0xFFFFFFFF (counter: bad agent address); type 0: drop (preferred: the "
         "kernel refuses it, and a record needs the agent address as exporter) or decode it with "
         "the UDP source as agent (lenient: +1); decode the closing datagram: 1 record",
         records=1, records_lenient_max=2, drops={"bad_agent": 3})
def agent_type(c):
    s, _ = c.tcp4(40301)
    c.seq += 1
    c.add(u32(5) + u32(0) + u32(c.sub_agent) + u32(c.seq) + u32(3600000) + u32(1) + s)
    for atype in (3, 0xFFFFFFFF):
        s, _ = c.tcp4(40302)
        c.add(c.dgram([s], agent_type=atype))
    c.close()


@capture(4, "sflow-num-samples-too-large.pcap",
         "num_samples 20 with one ~100-byte sample (more than (len-28)/8 can hold); num_samples 3 "
         "with 2 samples present (passes that cheap check); then a valid datagram",
         "datagram 1: drop (counter: length mismatch; lenient: decode the one sample present); "
         "datagram 2: decode the 2 whole samples and count the missing one (strict alternative: "
         "drop it whole); 2 + 1 = 3 records (1 .. 4)",
         records=3, records_min=1, records_lenient_max=4, drops={"length_mismatch": 2})
def num_samples_too_large(c):
    s, _ = c.tcp4(40401)
    c.add(c.dgram([s], nsamples=20))
    s1, r1 = c.tcp4(40402)
    s2, r2 = c.tcp4(40403, flags=0x10)
    c.add(c.dgram([s1, s2], nsamples=3), [(0, r1), (1, r2)])
    c.close()


@capture(5, "sflow-num-samples-absurd.pcap",
         "num_samples 100000, 0x20000001 (x 8 wraps to 8 in 32 bits) and 0xFFFFFFFF, each with "
         "one sample; then a valid datagram",
         "drop the 3 (counter: bad count / length mismatch; never loop or allocate by it); "
         "decode the closing datagram: 1 record",
         records=1, drops={"bad_count": 3})
def num_samples_absurd(c):
    for n in (100000, 0x20000001, 0xFFFFFFFF):
        s, _ = c.tcp4(40500)
        c.add(c.dgram([s], nsamples=n))
    c.close()


@capture(6, "sflow-bad-version.pcap",
         "32-bit version 4 and 6 (an otherwise v5-shaped datagram), and 0x05000000 (a "
         "little-endian 5); then a valid datagram",
         "drop the 3 (counter: unknown version); decode the closing datagram: 1 record",
         records=1, drops={"bad_version": 3})
def bad_version(c):
    for v in (4, 6):
        s, _ = c.tcp4(40600 + v)
        c.add(c.dgram([s], version=v))
    s, _ = c.tcp4(40605)
    d = c.dgram([s])
    c.add(struct.pack("<I", 5) + d[4:])
    c.close()


@capture(7, "sflow-sample-overrun.pcap",
         "datagram 1: a good flow sample, then a sample whose length (500) runs past the datagram; "
         "datagram 2: one sample of length 0xFFFFFFF8 (pointer-wrap bait); then a valid datagram",
         "datagram 1: keep the first sample, drop the overrunning one and end the walk (counter: "
         "sample overrun; dropping the whole datagram is the strict alternative); datagram 2: 0 "
         "records; 1 + 1 = 2 records (1 if datagram 1 is dropped whole)",
         records=2, records_min=1, drops={"sample_overrun": 2})
def sample_overrun(c):
    s1, r1 = c.tcp4(40701)
    s2, _ = c.tcp4(40702)
    s2 = s2[:4] + u32(500) + s2[8:]
    c.add(c.dgram([s1, s2]), [(0, r1)])
    s, _ = c.tcp4(40703)
    c.add(c.dgram([s[:4] + u32(0xFFFFFFF8) + s[8:]]))
    c.close()


@capture(8, "sflow-sample-length-unaligned.pcap",
         "XDR lengths are multiples of 4: datagram 1: a flow sample whose length is 2 more than "
         "its records (length 4k+2, 2 junk bytes), then a good sample at an unaligned offset; "
         "datagram 2: a flow sample whose raw header record is not padded (header_length 61, "
         "record length 77, sample length 4k+1), then a good sample at an unaligned offset; then "
         "a valid datagram",
         "drop each sample whose length is not a multiple of 4 (counter: bad sample) and go on "
         "by its length: the unaligned good samples decode; 1 + 1 + 1 = 3 records (1 if the walk "
         "stops at a bad length, 5 if both are accepted)",
         records=3, records_min=1, records_lenient_max=5, drops={"bad_sample": 2})
def sample_length_unaligned(c):
    s1, _ = c.tcp4(40801)
    body = s1[8:] + b"\xee\xee"
    s1 = s1[:4] + u32(len(body)) + body
    s2, r2 = c.tcp4(40802)
    c.add(c.dgram([s1, s2]), [(1, r2)])
    pkt = ether(ipv4("10.201.1.10", "10.201.2.20", 17, udp(40803, 47003, 19)))
    assert len(pkt) == 61
    seq = c.next_sample()
    s3 = flow_sample(seq, [raw_header(pkt, pad=False)])
    s4, r4 = c.tcp4(40804)
    c.add(c.dgram([s3, s4]), [(1, r4)])
    c.close()


@capture(9, "sflow-num-records-huge.pcap",
         "flow samples whose num_records is 0xFFFFFFFF and 0x20000001 (x 8 wraps), and a counter "
         "sample whose num_records is 0xFFFFFFFF, each followed by a good flow sample; then a "
         "valid datagram",
         "drop each such sample (counter: bad sample; never loop or allocate by the count) and "
         "decode the good sample after it: 3 + 1 = 4 records",
         records=4, drops={"bad_sample": 3})
def num_records_huge(c):
    for n in (0xFFFFFFFF, 0x20000001):
        seq = c.next_sample()
        bad = flow_sample(seq, [raw_header(ether(ipv4("10.201.1.10", "10.201.2.20", 6,
                                                      tcp(40900, 443))))], nrec=n)
        s, r = c.tcp4(40901 + len(c.frames))
        c.add(c.dgram([bad, s]), [(1, r)])
    bad = counter_sample(c.next_sample(), [generic_if(2)], nrec=0xFFFFFFFF)
    s, r = c.tcp4(40905)
    c.add(c.dgram([bad, s]), [(1, r)])
    c.close()


@capture(10, "sflow-record-overrun.pcap",
         "datagram 1: a flow sample whose raw header record is fine but whose next record (1001, "
         "length 100) runs past the sample; datagram 2: a counter sample whose generic record "
         "runs past the sample; datagram 3: a flow record of length 0xFFFFFFFC; each followed "
         "by a good flow sample; then a valid datagram",
         "drop the sample a record overruns (counter: record overrun; a sample's records must "
         "end where it ends) and decode the good sample after it: 3 + 1 = 4 records (lenient: "
         "+1 for datagram 1's sample, whose header record came before the overrun)",
         records=4, records_lenient_max=5, drops={"record_overrun": 3})
def record_overrun(c):
    seq = c.next_sample()
    pkt = ether(ipv4("10.201.1.10", "10.201.2.20", 6, tcp(41001, 443)))
    bad = flow_sample(seq, [raw_header(pkt), record(1001, u32(0) * 4, length=100)])
    s, r = c.tcp4(41002)
    c.add(c.dgram([bad, s]), [(1, r)])
    gen = generic_if(2)
    bad = counter_sample(c.next_sample(), [gen[:4] + u32(200) + gen[8:]])
    s, r = c.tcp4(41003)
    c.add(c.dgram([bad, s]), [(1, r)])
    seq = c.next_sample()
    bad = flow_sample(seq, [record(1001, u32(0) * 4, length=0xFFFFFFFC)])
    s, r = c.tcp4(41004)
    c.add(c.dgram([bad, s]), [(1, r)])
    c.close()


def headless(c, seq, records):
    """The ref line of a flow sample whose header record gave nothing."""
    r = c.ref(seq, "10.201.9.1", 64, 2, 3, records)
    r["packets"] = 1
    return r


@capture(11, "sflow-raw-header-length.pcap",
         "raw packet header records (format 1) whose header_length is 200 in a 64-byte header, "
         "0xFFFFFFFF, and a record of 12 bytes (less than the 16 before the header), each in a "
         "flow sample followed by a good one; then a valid datagram",
         "ignore each bad record (counter: bad record) but keep its sample, whose framing is "
         "intact: one flow record without packet fields (interfaces, rate, 1 packet); decode the "
         "good samples: 3 + 3 + 1 = 7 records (4 if a sample with a bad record gives none)",
         records=7, records_min=4, drops={"bad_record": 3})
def raw_header_length(c):
    pkt = ether(ipv4("10.201.1.10", "10.201.2.20", 6, tcp(41100, 443, payload=10)))
    assert len(pkt) == 64
    bads = [raw_header(pkt, hlen=200), raw_header(pkt, hlen=0xFFFFFFFF),
            record(1, u32(1) + u32(68) + u32(4))]
    for i, rec in enumerate(bads):
        seq = c.next_sample()
        bad = flow_sample(seq, [rec])
        ref_bad = headless(c, seq, [1])
        s, r = c.tcp4(41101 + i)
        c.add(c.dgram([bad, s]), [(0, ref_bad), (1, r)])
    c.close()


@capture(12, "sflow-snap-cut.pcap",
         "one datagram of 5 flow samples whose headers the snap length cut: a 1514-byte TCP "
         "frame cut at 128 bytes; cut inside the TCP header (ports but no flags); inside the IPv4 "
         "header (after the protocol, before the source address); header_length 0; inside the "
         "Ethernet header; then a valid datagram",
         "decode what is there, one record per sample: bytes = frame_length; all fields; ports "
         "and no flags; MACs and no addresses; bytes only; bytes only: 5 + 1 = 6 records",
         records=6)
def snap_cut(c):
    recs = []
    samples = []
    big = ether(ipv4("10.201.1.11", "10.201.2.21", 6, tcp(41201, 8080, 0x10, 1460)))
    assert len(big) == 1514
    s, r = c.sample(big, l2(0x0800) | {"src_addr": "10.201.1.11", "dst_addr": "10.201.2.21",
                                       "proto": 6, "tos": 0, "src_port": 41201,
                                       "dst_port": 8080, "tcp_flags": 0x10})
    samples.append(s)
    recs.append(r)
    pkt = ether(ipv4("10.201.1.12", "10.201.2.22", 6, tcp(41202, 22, 0x18, 100)))
    s, r = c.sample(pkt, l2(0x0800) | {"src_addr": "10.201.1.12", "dst_addr": "10.201.2.22",
                                       "proto": 6, "src_port": 41202, "dst_port": 22,
                                       "tcp_flags": 0}, snap=14 + 20 + 12)
    samples.append(s)
    recs.append(r)
    for snap in (14 + 14, 0, 10):
        pkt = ether(ipv4("10.201.1.13", "10.201.2.23", 17, udp(41203, 47008, 40)))
        fields = l2(0x0800) if snap >= 14 else {}
        s, r = c.sample(pkt, fields, snap=snap)
        samples.append(s)
        recs.append(r)
    c.add(c.dgram(samples), list(enumerate(recs)))
    c.close()


@capture(13, "sflow-zero-samples.pcap",
         "num_samples 0: a 28-byte datagram (IPv4 agent) and a 40-byte one (IPv6 agent); then a "
         "valid datagram",
         "valid, 0 records, no error; decode the closing datagram: 1 record",
         records=1)
def zero_samples(c):
    c.add(c.dgram([]))
    c.add(c.dgram([], agent=AGENT6))
    c.close()


@capture(14, "sflow-unknown-sample-format.pcap",
         "samples of enterprise 4413 format 99 and enterprise 0 format 99, then a good flow "
         "sample whose first record is of an unknown format (enterprise 8800, format 7); then a "
         "valid datagram",
         "skip the unknown samples and the unknown record by their lengths (counters: unknown "
         "sample format, unknown record format); decode the good sample and the closing "
         "datagram: 2 records",
         records=2, drops={"unknown_sample_format": 2, "unknown_record_format": 1})
def unknown_sample_format(c):
    u1 = record((4413 << 12) | 99, b"\xab" * 16)
    u2 = record(99, b"\xcd" * 12)
    seq = c.next_sample()
    pkt = ether(ipv4("10.201.1.14", "10.201.2.20", 17, udp(41401, 47007, 60)))
    s = flow_sample(seq, [record((8800 << 12) | 7, b"\xef" * 20), raw_header(pkt)])
    r = c.ref(seq, "10.201.9.1", 64, 2, 3, [(8800 << 12) | 7, 1])
    r.update(header_protocol=1, frame_length=len(pkt) + 4, stripped=4, header_length=len(pkt),
             bytes=len(pkt) + 4, packets=1, **l2(0x0800), src_addr="10.201.1.14",
             dst_addr="10.201.2.20", proto=17, tos=0, src_port=41401, dst_port=47007)
    c.add(c.dgram([u1, u2, s]), [(2, r)])
    c.close()


@capture(15, "sflow-counters-only.pcap",
         "a datagram of counter samples only: compact (format 2, generic interface counters) and "
         "expanded (format 4, generic + Ethernet counters); then a valid datagram",
         "valid: 0 flow records from the counter samples; decode the closing datagram: 1 record",
         records=1)
def counters_only(c):
    c.add(c.dgram([counter_sample(c.next_sample(), [generic_if(2)]),
                   counter_sample_x(c.next_sample(), [generic_if(3), ether_ctrs()], index=3)]))
    c.close()


@capture(16, "sflow-expanded-flow-sample.pcap",
         "an expanded flow sample (format 3: 32-bit source id and interfaces, input ifIndex "
         "2000000000) with a 1001 record and a raw Ethernet/IPv4/UDP header; then a valid "
         "datagram (compact)",
         "decode both: 2 records (the expanded one with in_if 2000000000, out_if 7)",
         records=2)
def expanded_flow_sample(c):
    seq = c.next_sample()
    pkt = ether(ipv4("10.201.1.16", "10.201.2.53", 17, udp(41601, 47001, 33)))
    s = flow_sample_x(seq, [ext_switch(), raw_header(pkt)], 2000000000, 7)
    r = c.ref(seq, "10.201.9.1", 64, 2000000000, 7, [1001, 1], sample_type=3)
    r.update(src_vlan=0, src_priority=0, dst_vlan=0, dst_priority=0, header_protocol=1,
             frame_length=len(pkt) + 4, stripped=4, header_length=len(pkt), bytes=len(pkt) + 4,
             packets=1, **l2(0x0800), src_addr="10.201.1.16", dst_addr="10.201.2.53", proto=17,
             tos=0, src_port=41601, dst_port=47001)
    c.add(c.dgram([s]), [(0, r)])
    c.close()


@capture(17, "sflow-ipv4-ihl.pcap",
         "sampled IPv4 headers: IHL 4 (< 5); IHL 15 whose options run past the 54-byte snap; "
         "IHL 6 (NOP/EOL option) with TCP after it; IHL 15 with all 40 option bytes and UDP "
         "after them; then a valid datagram",
         "one record per sample: IHL 4 - no ports (addresses: collector's choice); IHL 15 cut "
         "- addresses, protocol, no ports; IHL 6 and 15 whole - ports read after the options: "
         "4 + 1 = 5 records",
         records=5)
def ipv4_ihl(c):
    samples, recs = [], []
    bad = bytearray(ipv4("10.201.1.17", "10.201.2.20", 6, tcp(41701, 443)))
    bad[0] = 0x44
    s, r = c.sample(ether(bytes(bad)), l2(0x0800) | NO_PORTS | {"tcp_flags": 0})
    samples.append(s)
    recs.append(r)
    opts = b"\x01" * 39 + b"\x00"
    pkt = ether(ipv4("10.201.1.17", "10.201.2.21", 6, tcp(41702, 443), ihl=15, options=opts))
    s, r = c.sample(pkt, l2(0x0800) | NO_PORTS | {"src_addr": "10.201.1.17",
                                                   "dst_addr": "10.201.2.21", "proto": 6,
                                                   "tos": 0, "tcp_flags": 0}, snap=14 + 40)
    samples.append(s)
    recs.append(r)
    pkt = ether(ipv4("10.201.1.17", "10.201.2.22", 6, tcp(41703, 443, 0x12), ihl=6,
                     options=b"\x01\x01\x01\x00"))
    s, r = c.sample(pkt, l2(0x0800) | {"src_addr": "10.201.1.17", "dst_addr": "10.201.2.22",
                                       "proto": 6, "tos": 0, "src_port": 41703,
                                       "dst_port": 443, "tcp_flags": 0x12})
    samples.append(s)
    recs.append(r)
    pkt = ether(ipv4("10.201.1.17", "10.201.2.23", 17, udp(41704, 47006, 48), ihl=15,
                     options=opts))
    s, r = c.sample(pkt, l2(0x0800) | {"src_addr": "10.201.1.17", "dst_addr": "10.201.2.23",
                                       "proto": 17, "tos": 0, "src_port": 41704,
                                       "dst_port": 47006})
    samples.append(s)
    recs.append(r)
    c.add(c.dgram(samples), list(enumerate(recs)))
    c.close()


@capture(18, "sflow-ipv6-ext-chain.pcap",
         "sampled IPv6 headers: hop-by-hop + routing + destination options (32 + 40 + 24 bytes) "
         "before TCP, cut by a 128-byte snap inside the chain; 12 destination-options headers "
         "(96 bytes) then TCP, all inside the snap; hop-by-hop + fragment header (first "
         "fragment) + UDP; a non-first fragment (offset 1448); then a valid datagram",
         "one record per sample: addresses always; cut chain - no ports (protocol: collector's "
         "choice); 12 headers - ports or not (a bound on the walk is fine); first fragment - "
         "UDP ports, protocol 17; non-first fragment - protocol 17, no ports: 4 + 1 = 5 records",
         records=5)
def ipv6_ext_chain(c):
    samples, recs = [], []
    src, dst = "fdcb:201:1::18", "fdcb:201:2::20"
    base = l2(0x86DD) | {"src_addr": src, "dst_addr": dst, "tos": 0}
    chain = ext6(43, 3) + ext6(60, 4) + ext6(6, 2) + tcp(41801, 443)
    pkt = ether(ipv6(src, dst, 0, chain), 0x86DD)
    s, r = c.sample(pkt, base | NO_PORTS | {"ip_next_header": 0, "tcp_flags": 0})
    assert 14 + 40 + 96 > 128
    samples.append(s)
    recs.append(r)
    chain = b"".join(ext6(60 if i < 11 else 6) for i in range(12)) + tcp(41802, 443)
    pkt = ether(ipv6(src, dst, 60, chain), 0x86DD)
    s, r = c.sample(pkt, base | {"ip_next_header": 60}, snap=256)
    samples.append(s)
    recs.append(r)
    body = ext6(44) + frag6(17, 0, 1) + udp(41803, 47004, 100)
    pkt = ether(ipv6(src, dst, 0, body), 0x86DD)
    s, r = c.sample(pkt, base | {"ip_next_header": 0, "proto": 17, "src_port": 41803,
                                 "dst_port": 47004, "frag_offset": 0, "frag_more": 1})
    samples.append(s)
    recs.append(r)
    body = frag6(17, 181, 0) + udp(41804, 47004, 60)
    pkt = ether(ipv6(src, dst, 44, body), 0x86DD)
    s, r = c.sample(pkt, base | NO_PORTS | {"ip_next_header": 44, "proto": 17,
                                            "frag_offset": 181, "frag_more": 0})
    samples.append(s)
    recs.append(r)
    c.add(c.dgram(samples), list(enumerate(recs)))
    c.close()


@capture(19, "sflow-qinq-mpls.pcap",
         "sampled headers with tags and labels: 802.1ad (S-VLAN 100) + 802.1Q (C-VLAN 201) + "
         "an MPLS stack of 2 labels + IPv4/UDP; 802.1Q (VLAN 201) + IPv4/TCP; 802.1ad + 802.1Q + "
         "MPLS labels without bottom of stack past the 128-byte snap; then a valid datagram",
         "one record per sample: QinQ+MPLS - addresses and UDP ports (which VLAN is reported is "
         "the collector's choice); 802.1Q - VLAN 201, addresses, ports; endless stack - MACs, no "
         "addresses, no ports (a bound on the walk is fine): 3 + 1 = 4 records",
         records=4)
def qinq_mpls(c):
    samples, recs = [], []
    tags = ((0x88A8, 100), (0x8100, 201))
    inner = ipv4("10.201.1.19", "10.201.2.53", 17, udp(41901, 47002, 30))
    pkt = ether(mpls([16001, 16002]) + inner, 0x8847, tags)
    s, r = c.sample(pkt, {"src_mac": MAC_CLIENT, "dst_mac": MAC_ROUTER,
                          "src_addr": "10.201.1.19", "dst_addr": "10.201.2.53", "proto": 17,
                          "src_port": 41901, "dst_port": 47002})
    samples.append(s)
    recs.append(r)
    pkt = ether(ipv4("10.201.1.19", "10.201.2.20", 6, tcp(41902, 443, 0x02)), 0x0800,
                ((0x8100, 201),))
    s, r = c.sample(pkt, l2(0x0800) | {"vlan": 201, "src_addr": "10.201.1.19",
                                       "dst_addr": "10.201.2.20", "proto": 6, "tos": 0,
                                       "src_port": 41902, "dst_port": 443, "tcp_flags": 0x02})
    samples.append(s)
    recs.append(r)
    pkt = ether(mpls(list(range(17000, 17040)), bottom=False) + inner, 0x8847, tags)
    s, r = c.sample(pkt, {"src_mac": MAC_CLIENT, "dst_mac": MAC_ROUTER} | NO_PORTS)
    samples.append(s)
    recs.append(r)
    c.add(c.dgram(samples), list(enumerate(recs)))
    c.close()


@capture(20, "sflow-ipv4-fragment.pcap",
         "sampled IPv4 fragments: a non-first UDP fragment (offset 1480, its first bytes look "
         "like ports), a first UDP fragment (MF), a middle TCP fragment (offset 1480, MF); then "
         "a valid datagram",
         "one record per sample: non-first fragments - addresses, protocol, no ports, no TCP "
         "flags; first fragment - ports: 3 + 1 = 4 records",
         records=4)
def ipv4_fragment(c):
    samples, recs = [], []
    base = l2(0x0800) | {"src_addr": "10.201.1.20", "dst_addr": "10.201.2.20", "tos": 0}
    lookalike = u16(8080) + u16(53) + bytes(60)
    pkt = ether(ipv4("10.201.1.20", "10.201.2.20", 17, lookalike, frag=185))
    s, r = c.sample(pkt, base | NO_PORTS | {"proto": 17, "frag_offset": 185, "frag_more": 0})
    samples.append(s)
    recs.append(r)
    pkt = ether(ipv4("10.201.1.20", "10.201.2.20", 17, udp(42001, 47005, 100), frag=0x2000))
    s, r = c.sample(pkt, base | {"proto": 17, "src_port": 42001, "dst_port": 47005,
                                 "frag_offset": 0, "frag_more": 1})
    samples.append(s)
    recs.append(r)
    pkt = ether(ipv4("10.201.1.20", "10.201.2.20", 6, tcp(42002, 443, 0x3F), frag=0x2000 | 185))
    s, r = c.sample(pkt, base | NO_PORTS | {"proto": 6, "tcp_flags": 0, "frag_offset": 185,
                                            "frag_more": 1})
    samples.append(s)
    recs.append(r)
    c.add(c.dgram(samples), list(enumerate(recs)))
    c.close()


@capture(21, "sflow-sample-too-short.pcap",
         "samples shorter than their fixed part: a compact flow sample of 8 bytes (< 32), an "
         "expanded one of 40 (< 44), a counter sample of 4 (< 12), each followed by a good flow "
         "sample; then a valid datagram",
         "drop each short sample (counter: bad sample; never read its fields past its length) "
         "and decode the good sample after it: 3 + 1 = 4 records",
         records=4, drops={"bad_sample": 3})
def sample_too_short(c):
    shapes = ((lambda q: flow_sample(q, []), 8), (lambda q: flow_sample_x(q, [], 2, 3), 40),
              (lambda q: counter_sample(q, []), 4))
    for i, (make, n) in enumerate(shapes):
        full = make(c.next_sample())
        bad = full[:4] + u32(n) + full[8:8 + n]
        assert len(bad) == 8 + n
        s, r = c.tcp4(42101 + i)
        c.add(c.dgram([bad, s]), [(1, r)])
    c.close()


# ---- output ------------------------------------------------------------------------

def tshark_view(path):
    """(expert messages, flow samples tshark decodes) of one capture."""
    p = subprocess.run(["tshark", "-r", path, "-o", "ip.defragment:FALSE",
                        "-d", "udp.port==%d,sflow" % SFLOW_PORT, "-T", "json"],
                       capture_output=True, text=True, check=True,
                       env=dict(os.environ, TZ="UTC"))
    msgs, flows = set(), 0

    def walk(o, found):
        if isinstance(o, dict):
            for k, v in o.items():
                # chats are the sampled TCP headers' SYNs: not about sFlow
                if k == "_ws.expert.message" and o.get("_ws.expert.severity") != "2097152":
                    msgs.add(v)
                if k == "_ws.malformed":
                    found[0] = True
                walk(v, found)
        elif isinstance(o, list):
            for x in o:
                walk(x, found)

    def samples(o):
        if isinstance(o, dict):
            if "sflow_245.sampletype" in o:
                yield int(o["sflow_245.sampletype"])
            for v in o.values():
                yield from samples(v)
        elif isinstance(o, list):
            for x in o:
                yield from samples(x)

    for pkt in json.loads(p.stdout):
        layers = pkt["_source"]["layers"]
        bad = [False]
        walk(layers, bad)
        if not bad[0] and "sflow" in layers:
            flows += sum(1 for t in samples(layers["sflow"]) if t in (1, 3))
    return sorted(msgs), flows


def build(outdir):
    entries = []
    for no, name, what, expect, meta, fn in sorted(CAPTURES):
        c = Capture(no, name)
        fn(c)
        path = os.path.join(outdir, name)
        write_pcap(path, c.frames, c.sport)
        e = {"file": name, "frames": len(c.frames), "what": what, "expect": expect}
        e.update({k: v for k, v in meta.items() if k != "drops"})
        if "drops" in meta:
            e["drops"] = meta["drops"]
        e["xdp"] = [xdp_verdict(p) for p in c.frames]
        e["xdp_bytes"] = [len(p) for p in c.frames]
        if c.expected:
            nd = name.rsplit(".", 1)[0] + ".expected.ndjson"
            with open(os.path.join(outdir, nd), "w") as fh:
                for r in c.expected:
                    fh.write(json.dumps(r) + "\n")
            e["expected_ndjson"] = nd
        assert len(c.expected) == meta["records"], (name, len(c.expected))
        entries.append(e)
    return entries


def merge(outdir, entries, run_tshark):
    path = os.path.join(outdir, "expected.json")
    old = json.load(open(path)) if os.path.exists(path) else []
    before = {e["file"]: e for e in old if e["file"].startswith("sflow-")}
    for e in entries:
        if run_tshark:
            msgs, flows = tshark_view(os.path.join(outdir, e["file"]))
            e["tshark_expert_messages"], e["tshark_records"] = msgs, flows
        else:
            prev = before.get(e["file"], {})
            e["tshark_expert_messages"] = prev.get("tshark_expert_messages", [])
            if "tshark_records" in prev:
                e["tshark_records"] = prev["tshark_records"]
    out = [e for e in old if not e["file"].startswith("sflow-")] + entries
    with open(path, "w") as fh:
        json.dump(out, fh, indent=1, ensure_ascii=False)
        fh.write("\n")


def readme_rows(entries):
    for e in entries:
        print("| %s | %d | %s | %s |" % (e["file"], e["frames"], e["what"], e["expect"]))


def xdp_rows(entries):
    """The rows of tests/bpf/test_xdp.c's pcap_cases table."""
    for e in entries:
        cells = []
        for v, n in zip(e["xdp"], e["xdp_bytes"]):
            slot, fate = v.split(":")
            slot = "SF" if slot == "sflow5" else "O"
            cells.append("E_VALID(%s, %d)" % (slot, n) if fate == "redirect"
                         else "E_DROP(%s, %s, %d)" % (slot, fate, n))
        line, out = '\t{ "%s", FRAMES(' % e["file"], []
        for i, cell in enumerate(cells):
            sep = ", " if i else ""
            if i and len(line.expandtabs(8)) + len(sep) + len(cell) > 78:
                out.append(line + ",")
                line, sep = "\t\t", ""
            line += sep + cell
        out.append(line + ") },")
        print("\n".join(out))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        sys.exit(__doc__)
    entries = build(args[0])
    merge(args[0], entries, "--tshark" in sys.argv)
    if "--readme" in sys.argv:
        readme_rows(entries)
    if "--xdp-table" in sys.argv:
        xdp_rows(sorted(entries, key=lambda e: e["file"]))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Compare `nfxdp decode --ms-times` output with a tshark reference decode.

usage: corpus_compare.py [--biflow] REF.ref.ndjson PKTS.pkts.ndjson|- OURS.ndjson

PKTS (the per-packet headers) is needed for uptime-relative times and sFlow
reception times only; "-" compares every other field.

The reference (tests/data/corpus/*.ref.ndjson, made by tshark; see its
README) lists every decoded record in packet order; ours lists every flow
record in packet order.  Options records are not flow records and are only
used for systemInitTimeMilliseconds.  sFlow references (proto_family
"sflow") have one line per sample: each flow sample is one record of ours,
counter samples are none.  Every field both sides carry is compared; the
first difference is named.  Exit 0 when all agree.

--biflow: ours was made with --biflow-reverse: after each RFC 5103 biflow
whose reverse octets or packets are not zero comes its reverse record
(endpoints, ports, masks, AS numbers, MACs and interfaces swapped, the
rev_* counters, flags and ToS, the biflow's times; design §3).
"""
import json
import sys
from datetime import datetime, timezone

PROTO = {0: "HOPOPT", 1: "ICMP", 2: "IGMP", 4: "IPv4", 6: "TCP", 17: "UDP",
         41: "IPv6", 47: "GRE", 50: "ESP", 51: "AH", 58: "IPv6-ICMP", 132: "SCTP"}
FLAGS = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"]


def load(path):
    if path == "-":
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def tshark_time_ms(text):
    # "Nov 21, 2026 20:21:46.341000000 UTC"
    day, frac = text.replace(" UTC", "").rsplit(".", 1)
    t = datetime.strptime(day, "%b %d, %Y %H:%M:%S").replace(tzinfo=timezone.utc)
    return int(t.timestamp()) * 1000 + int(frac[:3])


def expected_ms(ref, key, pkt, sysinit):
    """The absolute time, in ms, of first_*/last_* of a reference record."""
    if key + "_ns" in ref:
        return ref[key + "_ns"] // 1000000
    rel = ref.get(key + "_ms")
    if rel is None:
        return None
    if pkt is None:
        return None
    if pkt["version"] == 10:
        if sysinit is None:
            return None
        return sysinit + rel
    export_ms = pkt["unix_secs"] * 1000 + pkt.get("unix_nsecs", 0) // 1000000
    age = (pkt["sysuptime_ms"] - rel) & 0xffffffff
    if age > 0x80000000:
        return export_ms + ((rel - pkt["sysuptime_ms"]) & 0xffffffff)
    return export_ms - age


def mask_bits(text):
    return int(text.rsplit("/", 1)[1])


def flag_bits(names):
    return sum(1 << FLAGS.index(n) for n in names)


def capture_ms(pkt):
    """The pcap time of a packet line, in ms, as `nfxdp decode` takes it."""
    secs, frac = pkt["capture_time_epoch"].split(".")
    return int(secs) * 1000 + int(frac[:3])


def sflow_if(ref, key):
    """A flow sample's interface as nfxdp reports it (design §3 sFlow v5):
    a compact sample's word with format bits (dropped, several) names none."""
    v = ref.get(key)
    if v is None or ref.get("sample_type") != 1:
        return v
    return 0 if v >> 30 else v


def sflow_expectations(ref, pkt, add):
    """The sFlow-only fields: type, rate, MACs, VLAN, agent, reception time."""
    add("type", "sflow5", lambda o: o["type"])
    add("sampling_rate", ref.get("sampling_rate"), lambda o: o["sampling_rate"])
    add("src_mac", ref.get("src_mac"), lambda o: o["source"]["mac"])
    add("dst_mac", ref.get("dst_mac"), lambda o: o["destination"]["mac"])
    add("vlan", ref.get("vlan"), lambda o: o.get("vlan"))
    add("agent_addr", ref.get("agent_addr"), lambda o: o["exporter"]["ip"])
    if pkt is not None and "capture_time_epoch" in pkt:
        t = capture_ms(pkt)
        add("start_ms", t, lambda o: o.get("start_ms"))
        add("end_ms", t, lambda o: o.get("end_ms"))


def expectations(ref, pkt, sysinit):
    """(name, expected, actual-getter) for every field the reference has."""
    other = ref.get("other", {})
    checks = []
    sflow = ref.get("proto_family") == "sflow"

    def add(name, want, get):
        if want is not None:
            checks.append((name, want, get))

    add("src_addr", ref.get("src_addr"), lambda o: o["source"]["ip"])
    add("dst_addr", ref.get("dst_addr"), lambda o: o["destination"]["ip"])
    add("src_port", None if "src_port" not in ref else str(ref["src_port"]),
        lambda o: o["source"]["port"])
    add("dst_port", None if "dst_port" not in ref else str(ref["dst_port"]),
        lambda o: o["destination"]["port"])
    if "proto" in ref:
        add("proto", PROTO.get(ref["proto"], str(ref["proto"])), lambda o: o["ip_protocol"])
    add("bytes", ref.get("bytes"), lambda o: o["bytes"])
    add("packets", ref.get("packets"), lambda o: o["packets"])
    add("tcp_flags", ref.get("tcp_flags"), lambda o: flag_bits(o.get("tcp_flags", [])))
    add("tos", ref.get("tos"), lambda o: o.get("tos"))
    add("in_if", sflow_if(ref, "in_if"), lambda o: o["ingress"]["interface"]["index"])
    add("out_if", sflow_if(ref, "out_if"), lambda o: o["egress"]["interface"]["index"])
    add("nexthop", ref.get("nexthop"), lambda o: o.get("next_hop", {}).get("ip"))
    add("bgp_nexthop", ref.get("bgp_nexthop"), lambda o: o.get("bgp_next_hop", {}).get("ip"))
    add("src_as", ref.get("src_as"), lambda o: o.get("src_as"))
    add("dst_as", ref.get("dst_as"), lambda o: o.get("dst_as"))
    add("src_mask", ref.get("src_mask"), lambda o: mask_bits(o["source"]["mask"]))
    add("dst_mask", ref.get("dst_mask"), lambda o: mask_bits(o["destination"]["mask"]))
    add("icmp_type", ref.get("icmp_type"), lambda o: o.get("icmp_type"))
    add("icmp_code", ref.get("icmp_code"), lambda o: o.get("icmp_code"))
    add("start_ms", expected_ms(ref, "first", pkt, sysinit), lambda o: o.get("start_ms"))
    add("end_ms", expected_ms(ref, "last", pkt, sysinit), lambda o: o.get("end_ms"))
    if "cflow.direction" in other:
        add("direction", "egress" if other["cflow.direction"] == "1" else "ingress",
            lambda o: o["direction"])
    mac = other.get("cflow.srcmac") or other.get("cflow.post_srcmac")
    add("src_mac", mac, lambda o: o["source"]["mac"])
    mac = other.get("cflow.dstmac") or other.get("cflow.post_dstmac")
    add("dst_mac", mac, lambda o: o["destination"]["mac"])
    add("in_if_name", ref.get("in_if_name"),
        lambda o: o["ingress"]["interface"].get("name", ""))
    add("out_if_name", ref.get("out_if_name"),
        lambda o: o["egress"]["interface"].get("name", ""))
    if "mpls_labels" in ref:	# added by mpls_ref_add.py
        add("mpls_labels", ref["mpls_labels"], lambda o: o.get("mpls_labels", []))
        add("mpls_top_label", ref["mpls_labels"][0] if ref["mpls_labels"] else None,
            lambda o: o.get("mpls_top_label"))
    if sflow:
        sflow_expectations(ref, pkt, add)
    return checks


SWAP = [("src_addr", "dst_addr"), ("src_port", "dst_port"), ("in_if", "out_if"),
        ("in_if_name", "out_if_name"),
        ("src_mask", "dst_mask"), ("src_as", "dst_as")]


def reverse_ref(ref):
    """The reverse record of biflow @ref, as the reference would show it."""
    rv = {k: v for k, v in ref.items() if not k.startswith("rev_") and
          k not in ("icmp_type", "icmp_code")}
    for a, b in SWAP:
        rv.pop(a, None)
        rv.pop(b, None)
        if a in ref:
            rv[b] = ref[a]
        if b in ref:
            rv[a] = ref[b]
    for k in ("bytes", "packets", "tcp_flags", "tos"):
        rv.pop(k, None)
        if "rev_" + k in ref:
            rv[k] = ref["rev_" + k]
    other = dict(ref.get("other", {}))
    for a, b in (("cflow.srcmac", "cflow.dstmac"), ("cflow.post_srcmac", "cflow.post_dstmac")):
        x, y = other.pop(a, None), other.pop(b, None)
        if x is not None:
            other[b] = x
        if y is not None:
            other[a] = y
    rv["other"] = other
    return rv


def if_names_of(opt, names):
    """An options record naming an interface (scope interface + ifName/ifDescr) into @names."""
    other = opt.get("other", {})
    idx = other.get("cflow.scope_interface") or other.get("cflow.inputint")
    name = other.get("cflow.if_name") or other.get("cflow.if_descr")
    if idx is not None and name:
        names[(opt["exporter"], int(idx))] = name[:31]


def with_if_names(ref, names):
    """@ref with the interface names its exporter announced before it ("" = none)."""
    out = dict(ref)
    for key in ("in_if", "out_if"):
        if key in ref:
            out[key + "_name"] = names.get((ref["exporter"], ref[key]), "")
    return out


def compare(refs, pkts, ours, biflow=False):
    """Number of fields compared, or a message naming the first difference."""
    pkt_by_frame = {p["frame"]: p for p in pkts}
    sysinit = {}
    names = {}
    flows = []
    for r in refs:
        if r["kind"] == "counters":
            continue	# sFlow counter samples make no flow record
        if r["kind"] == "options":
            t = r.get("other", {}).get("cflow.sys_init_time")
            if t:
                sysinit[r["exporter"]] = tshark_time_ms(t)
            if_names_of(r, names)
            continue
        if r.get("proto_family") != "sflow":
            r = with_if_names(r, names)
        flows.append((r, sysinit.get(r["exporter"])))
        if biflow and (r.get("rev_bytes") or r.get("rev_packets")):
            flows.append((reverse_ref(r), sysinit.get(r["exporter"])))
    if len(flows) != len(ours):
        return f"record count: reference {len(flows)}, nfxdp {len(ours)}"
    fields = 0
    for i, ((ref, init), our) in enumerate(zip(flows, ours)):
        # sFlow: the agent address in the datagram, not the UDP source
        exp_ip = ref.get("agent_addr") or ref["exporter"].rsplit(":", 1)[0]
        if our["exporter"]["ip"] != exp_ip:
            return (f"record {i} (frame {ref['frame']} idx {ref['idx']}): exporter "
                    f"{our['exporter']['ip']} != {exp_ip}")
        for name, want, get in expectations(ref, pkt_by_frame.get(ref["frame"]), init):
            try:
                got = get(our)
            except (KeyError, IndexError, ValueError) as e:
                got = f"<missing {e}>"
            if got != want:
                return (f"record {i} (frame {ref['frame']} idx {ref['idx']}): {name}: "
                        f"nfxdp {got!r}, reference {want!r}\n"
                        f"  reference: {json.dumps(ref)}\n  nfxdp:     {json.dumps(our)}")
            fields += 1
    return fields


def main():
    args = sys.argv[1:]
    biflow = bool(args) and args[0] == "--biflow"
    if biflow:
        args = args[1:]
    if len(args) != 3:
        sys.exit(__doc__)
    refs, pkts, ours = (load(p) for p in args)
    n = compare(refs, pkts, ours, biflow)
    if isinstance(n, str):
        print(n)
        sys.exit(1)
    print(f"{len(ours)} records, {n} fields agree")


if __name__ == "__main__":
    main()

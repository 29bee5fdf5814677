#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/sflow-check.sh [nfgen options] - checks nfgen's sFlow v5 stream with
# tshark (BENCHMARKS.md, "sFlow"): nfgen writes a capture (--pcap, no root,
# no network), and
#   1. tshark decodes every datagram as sFlow with the sampled headers left
#      undissected: no malformed frame, no expert warning or error;
#   2. with the sampled headers dissected (Ethernet, IPv4/IPv6, TCP/UDP/ICMP;
#      the protocols above them disabled, since their payload is zeros):
#      again none, and every sample has one inner IP header;
#   3. the fields say what nfgen said it sent: datagrams, samples, the sum of
#      frame lengths; datagram sequence numbers advance by one per agent and
#      sub-agent, sample sequence numbers by one per agent, sub-agent and
#      source id, sample pools by the sampling rate; inner addresses come
#      from nfgen's pools (10/8 -> 172.16/12, 2001:db8:a:: -> 2001:db8:ac::).
# Prints "sflow-check: ok ..." or the first failures; exit 0 / 1.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NFGEN=${NFGEN:-$ROOT/${NFX_BUILD:-build}/bench/nfgen}
[ -x "$NFGEN" ] || { echo "sflow-check: $NFGEN not built (make bench-build)"; exit 1; }
command -v tshark >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tshark \
	>/dev/null 2>&1
command -v tshark >/dev/null 2>&1 || { echo "sflow-check: tshark missing (apt-get install tshark)"; exit 1; }
W=$(mktemp -d /tmp/nfxb-sfck.XXXXXX)
trap 'rm -rf "$W"' EXIT

"$NFGEN" --proto sflow --count 20000 --exporters 8 --src-base 10.233.0.10 --dst 10.233.0.1 \
	"$@" --pcap "$W/sf.pcap" >"$W/gen.json" || { echo "sflow-check: nfgen failed"; exit 1; }
TS="tshark -n -r $W/sf.pcap -d udp.port==6343,sflow -o tcp.analyze_sequence_numbers:FALSE"

# 1: sFlow alone
$TS -o sflow.enable_dissection:FALSE -T fields -e _ws.malformed -e _ws.expert.severity \
	2>/dev/null >"$W/p1"
# 2: the sampled headers too, every protocol above L4 disabled
dis=""
for p in $($TS -T fields -e frame.protocols 2>/dev/null | tr ':' '\n' | sort -u); do
	case $p in frame|eth|ethertype|ip|ipv6|udp|tcp|icmp|icmpv6|sflow|data) ;;
	*) dis="$dis --disable-protocol $p" ;;
	esac
done
# shellcheck disable=SC2086
$TS $dis -T fields -E occurrence=a -E aggregator=, -E separator=/t -e _ws.malformed \
	-e _ws.expert.severity -e sflow_245.agent -e sflow_245.sub_agent_id \
	-e sflow_245.sequence_number -e sflow_245.numsamples -e sflow.flow_sample.sequence_number \
	-e sflow.flow_sample.index -e sflow.flow_sample.sampling_rate \
	-e sflow.flow_sample.sample_pool -e sflow_245.header.frame_length -e ip.src -e ip.dst \
	-e ipv6.src -e ipv6.dst -e frame.protocols 2>/dev/null >"$W/p2"

/usr/bin/python3 - "$W/gen.json" "$W/p1" "$W/p2" "$dis" <<'EOF'
import ipaddress, json, sys

g = json.load(open(sys.argv[1]))
bad = []
WARN = 0x600000		# PI_WARN; PI_ERROR is above it

def severe(col):
    return any(int(x) >= WARN for x in col.split(",") if x)

p1 = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])]
for i, f in enumerate(p1):
    if f[0] or severe(f[1]):
        bad.append("frame %d: malformed or expert warning (sFlow alone)" % (i + 1))
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[3])]
dseq, sseq, pools = {}, {}, {}
samples = fbytes = v6 = 0
src_net = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8:a::/48"))
dst_net = (ipaddress.ip_network("172.16.0.0/12"), ipaddress.ip_network("2001:db8:ac::/48"))
for i, f in enumerate(rows):
    n = i + 1
    (mal, sev, agent, sub, seq, ns, fseq, fsrc, rate, pool, flen, ips, ipd, i6s, i6d,
     protos) = f
    if mal or severe(sev):
        bad.append("frame %d: malformed or expert warning (%s)" % (n, protos))
    ns = int(ns)
    L = lambda s: [x for x in s.split(",") if x]
    fseq, fsrc, rate, pool, flen = L(fseq), L(fsrc), L(rate), L(pool), L(flen)
    inner_s = L(ips)[1:] + L(i6s)	# the first IPv4 header is the datagram's own
    inner_d = L(ipd)[1:] + L(i6d)
    v6 += len(L(i6s))
    if not (len(fseq) == len(fsrc) == len(rate) == len(pool) == len(flen) == len(inner_s) == ns):
        bad.append("frame %d: %d samples announced, fields %d/%d/%d/%d/%d, inner IP %d"
                   % (n, ns, len(fseq), len(fsrc), len(rate), len(pool), len(flen), len(inner_s)))
        continue
    key = (agent, sub)
    if dseq.get(key, 0) + 1 != int(seq):
        bad.append("frame %d: agent %s/%s sequence %s after %s" % (n, agent, sub, seq, dseq.get(key)))
    dseq[key] = int(seq)
    for k in range(ns):
        sk = (agent, sub, fsrc[k])
        if sseq.get(sk, 0) + 1 != int(fseq[k]):
            bad.append("frame %d: sample sequence %s after %s" % (n, fseq[k], sseq.get(sk)))
        sseq[sk] = int(fseq[k])
        pools[sk] = pools.get(sk, 0) + int(rate[k])
        if pools[sk] % 2**32 != int(pool[k]):
            bad.append("frame %d: sample pool %s, expected %d" % (n, pool[k], pools[sk]))
        s, d = ipaddress.ip_address(inner_s[k]), ipaddress.ip_address(inner_d[k])
        if not any(s in x for x in src_net) or not any(d in x for x in dst_net):
            bad.append("frame %d: inner addresses %s -> %s outside the pools" % (n, s, d))
        samples += 1
        fbytes += int(flen[k])
for what, got, want in (("datagrams", len(rows), g["packets"]), ("samples", samples, g["records"]),
                        ("frame bytes", fbytes, g["flow_bytes"])):
    if got != want:
        bad.append("%s: tshark %d, nfgen %d" % (what, got, want))
if bad:
    print("sflow-check: FAIL (%d problems)" % len(bad))
    print("\n".join("  " + b for b in bad[:20]))
    sys.exit(1)
print("sflow-check: ok  %d datagrams, %d flow samples (%.1f per datagram, %.1f %% IPv6), "
      "%d agents x sub-agents, %d source ids; no malformed frame, no expert warning "
      "(protocols above L4 disabled:%s)" % (len(rows), samples, samples / len(rows),
      100 * v6 / samples, len(dseq), len(sseq), sys.argv[4].replace("--disable-protocol", "") or " none"))
EOF

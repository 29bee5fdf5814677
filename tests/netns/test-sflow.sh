#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-sflow.sh - a real sFlow exporter: pmacctd with its sfprobe plugin in
# the exporter netns sniffs a third veth carrying generated UDP flows and
# exports every packet (sampling rate 1) as sFlow v5 to `nfxdp run -i` in
# the collector netns, configured with a Datadog-style sflow5 listener.
# Every generated packet must come out as one sflow5 record: its endpoints
# and ports, packets 1, bytes = the frame length the agent reports (the
# wire length plus the 4-byte FCS), the agent address as exporter; the XDP
# program must have redirected the datagrams in its sflow5 slot.
source "$(dirname "$0")/lib.sh"

command -v pmacctd >/dev/null || skip "pmacctd not installed (apt-get install pmacct)"

NS_T=${P}t
IF_X=${P}x		# exporter netns end, sniffed by pmacctd
IF_Y=${P}y		# traffic netns end
IP_X=10.233.0.1
IP_Y=10.233.0.2
AGENT=192.0.2.77	# sfprobe_agentip: not the UDP source, so the test tells them apart
PM_PID=
NFXT_EXTRA_CLEANUP='[ -n "$PM_PID" ] && kill $PM_PID 2>/dev/null; wait $PM_PID 2>/dev/null; ip netns del $NS_T 2>/dev/null'
FLOWS=10

nfxt_setup || { fail "netns/veth setup"; exit 1; }
ip netns add "$NS_T" &&
ip link add "$IF_X" netns "$NS_E" type veth peer "$IF_Y" netns "$NS_T" &&
nfxt_e ip addr add "$IP_X/24" dev "$IF_X" &&
nfxt_e ip link set "$IF_X" up &&
ip -n "$NS_T" addr add "$IP_Y/24" dev "$IF_Y" &&
ip -n "$NS_T" link set "$IF_Y" up || { fail "traffic veth setup"; exit 1; }

cat >"$WORK/nfxdp.json" <<JSON
{ "namespace": "sw", "listeners": [ { "flow_type": "sflow5" } ] }
JSON
nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" -c "$WORK/nfxdp.json" ||
	{ fail "nfxdp run with an sflow5 listener did not start"; exit 1; }

cat >"$WORK/pmacctd.conf" <<CONF
daemonize: false
pcap_interface: $IF_X
pcap_direction: in
logfile: $WORK/pmacctd.log
plugins: sfprobe[s]
sfprobe_receiver[s]: $IP_C:6343
sfprobe_agentip[s]: $AGENT
sfprobe_agentsubid[s]: 3
sampling_rate[s]: 1
CONF
nfxt_e pmacctd -f "$WORK/pmacctd.conf" >"$WORK/pmacctd.out" 2>&1 &
PM_PID=$!
sleep 1.5	# pcap open, plugin started

# FLOWS distinct UDP flows, 3 packets each, traffic netns -> exporter netns;
# then a trickle to one other port: sfprobe sends what it holds from its
# packet loop, so it needs packets to keep coming
nsenter --net="/run/netns/$NS_T" python3 - "$IP_X" "$FLOWS" <<'PY'
import socket, sys, time
dst, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", 6001 + i))
    for _ in range(3):
        s.sendto(b"x" * (100 + i), (dst, 5001 + i))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(40):
    s.sendto(b"f", (dst, 5999))
    time.sleep(0.05)
PY

check_flows() {
	python3 - "$OUT" "$IP_Y" "$IP_X" "$FLOWS" "$AGENT" <<'PY'
import json, sys
path, src, dst, n, agent = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
got = {}
bad = []
for line in open(path):
    r = json.loads(line)
    if r.get("type") != "sflow5" or r["source"]["ip"] != src or r["destination"]["ip"] != dst:
        continue
    port = int(r["destination"]["port"])
    if not 5001 <= port < 5001 + n:
        continue
    got[port] = got.get(port, 0) + 1
    i = port - 5001
    want = {"packets": 1, "bytes": 14 + 20 + 8 + 100 + i + 4, "sampling_rate": 1}
    for k, v in want.items():
        if r[k] != v:
            bad.append("flow %d: %s=%s, want %s" % (i, k, r[k], v))
    if r["exporter"]["ip"] != agent or r["source"]["port"] != str(6001 + i) or \
            r["ip_protocol"] != "UDP" or r["device"]["namespace"] != "sw":
        bad.append("flow %d: exporter %s sport %s proto %s ns %s" % (
            i, r["exporter"]["ip"], r["source"]["port"], r["ip_protocol"],
            r["device"]["namespace"]))
for i in range(n):
    if got.get(5001 + i, 0) != 3:
        bad.append("flow to port %d: %d records of 3" % (5001 + i, got.get(5001 + i, 0)))
if bad:
    print("; ".join(bad[:4]))
    sys.exit(1)
PY
}
for _ in $(seq 1 50); do
	check_flows >/dev/null && break
	sleep 0.2
done
if why=$(check_flows); then
	ok "pmacctd sfprobe: $FLOWS flows x 3 packets, one sflow5 record per packet"
else
	fail "pmacctd sfprobe: $why"
fi
red=$(nfxt_stat sflow5 redirected)
if [ "${red:-0}" -gt 0 ]; then
	ok "sFlow datagrams redirected in the sflow5 slot ($red)"
else
	fail "sflow5 redirected=${red:-none}"
fi
kill "$PM_PID" 2>/dev/null
wait "$PM_PID" 2>/dev/null
PM_PID=
nfxt_stop || fail "nfxdp exited with $?"
exit $NFXT_FAILED

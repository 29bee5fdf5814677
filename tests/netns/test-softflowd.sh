#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-softflowd.sh - a real exporter: softflowd in the exporter netns
# sniffs a third veth carrying generated UDP flows and exports them as
# NetFlow v9 and v5 to nfxdp in the collector netns.  Every generated flow
# must come out as a record of each version.
source "$(dirname "$0")/lib.sh"

command -v softflowd >/dev/null && command -v softflowctl >/dev/null ||
	skip "softflowd not installed (apt-get install softflowd)"

NS_T=${P}t
IF_X=${P}x		# exporter netns end, sniffed by softflowd
IF_Y=${P}y		# traffic netns end
IP_X=10.232.0.1
IP_Y=10.232.0.2
SF_PIDS=
NFXT_EXTRA_CLEANUP='for p in $SF_PIDS; do kill $p 2>/dev/null; done; wait $SF_PIDS 2>/dev/null; ip netns del $NS_T 2>/dev/null'
FLOWS=10

nfxt_setup || { fail "netns/veth setup"; exit 1; }
ip netns add "$NS_T" &&
ip link add "$IF_X" netns "$NS_E" type veth peer "$IF_Y" netns "$NS_T" &&
nfxt_e ip addr add "$IP_X/24" dev "$IF_X" &&
nfxt_e ip link set "$IF_X" up &&
ip -n "$NS_T" addr add "$IP_Y/24" dev "$IF_Y" &&
ip -n "$NS_T" link set "$IF_Y" up || { fail "traffic veth setup"; exit 1; }

nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" || { fail "nfxdp run did not start"; exit 1; }

for v in 9 5; do
	nfxt_e softflowd -d -i "$IF_X" -n "$IP_C:2055" -v $v -c "$WORK/sf$v.ctl" \
		-p "$WORK/sf$v.pid" >"$WORK/sf$v.log" 2>&1 &
	SF_PIDS="$SF_PIDS $!"
done
for v in 9 5; do
	for _ in $(seq 1 50); do [ -S "$WORK/sf$v.ctl" ] && break; sleep 0.1; done
	[ -S "$WORK/sf$v.ctl" ] || { fail "softflowd -v $v did not start: $(cat "$WORK/sf$v.log")"; exit 1; }
done
sleep 0.5	# pcap handles open after the control socket

# FLOWS distinct UDP flows, 3 packets each, traffic netns -> exporter netns
nsenter --net="/run/netns/$NS_T" python3 - "$IP_X" "$FLOWS" <<'PY'
import socket, sys
dst, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", 6001 + i))
    for _ in range(3):
        s.sendto(b"x" * (100 + i), (dst, 5001 + i))
# softflowd opens pcap with no timeout: TPACKET_V3 hands a ring block over
# only once it is full, so push the flows out with one filler flow
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(6000):
    s.sendto(b"f", (dst, 5999))
PY
# wait until each softflowd has processed the flows' packets before expiring
for v in 9 5; do
	for _ in $(seq 1 100); do
		n=$(nfxt_e softflowctl -c "$WORK/sf$v.ctl" statistics 2>/dev/null |
			sed -n 's/^Packets processed: \([0-9]*\).*/\1/p')
		[ "${n:-0}" -ge $((3 * FLOWS)) ] && break
		sleep 0.1
	done
	[ "${n:-0}" -ge $((3 * FLOWS)) ] || info "softflowd -v $v processed only ${n:-0} packets"
done
for v in 9 5; do
	nfxt_e softflowctl -c "$WORK/sf$v.ctl" expire-all >/dev/null ||
		fail "softflowctl expire-all (v$v)"
done

check_flows() {
	python3 - "$OUT" "$1" "$IP_Y" "$IP_X" "$FLOWS" <<'PY'
import json, sys
path, typ, src, dst, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
got = {}
for line in open(path):
    r = json.loads(line)
    if r.get("type") != typ or r["source"]["ip"] != src or r["destination"]["ip"] != dst:
        continue
    got[int(r["destination"]["port"])] = r
bad = []
for i in range(n):
    r = got.get(5001 + i)
    if not r:
        bad.append("flow to port %d missing" % (5001 + i))
    elif r["packets"] != 3 or r["source"]["port"] != str(6001 + i) or r["ip_protocol"] != "UDP":
        bad.append("flow %d: packets=%s sport=%s proto=%s" % (i, r["packets"],
                   r["source"]["port"], r.get("ip_protocol")))
if bad:
    print("; ".join(bad[:4]))
    sys.exit(1)
PY
}
for _ in $(seq 1 50); do
	check_flows netflow9 >/dev/null && check_flows netflow5 >/dev/null && break
	sleep 0.2
done
for t in netflow9 netflow5; do
	if why=$(check_flows $t); then ok "softflowd $t: $FLOWS flows"; else fail "softflowd $t: $why"; fi
done
red=$(nfxt_stat v9 redirected)
[ "${red:-0}" -gt 0 ] && ok "v9 export packets redirected ($red)" || fail "v9 redirected=$red"
nfxt_stop || fail "nfxdp exited with $?"
exit $NFXT_FAILED

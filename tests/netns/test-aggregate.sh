#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-aggregate.sh - design §5 end to end, XDP mode.
#  - aggregated (the default): v5 and IPFIX flows, many repeating the same
#    keys, then SIGTERM before any flush is due: every byte and packet sent
#    is in the output, in fewer records than flows, one key per record
#    group, each record in the configured namespace;
#  - port roll-up (aggregator_port_rollup_threshold 10): 12 flows between
#    one address pair from one source port to 12 destination ports: the
#    destination side (the busier one) becomes "*" from the 10th distinct
#    port on, the source port stays;
#  - --raw: the same traffic gives exactly one record per flow.
source "$(dirname "$0")/lib.sh"

nfxt_setup || { fail "netns/veth setup"; exit 1; }
CFG=$WORK/nfxdp.json
nfxt_write_config "$CFG" <<'EOF'
{
	"namespace": "aggtest",
	"aggregator_port_rollup_threshold": 10,
	"aggregator_flush_interval": 300,
	"listeners": [
		{ "flow_type": "netflow5", "port": 2055 },
		{ "flow_type": "ipfix", "port": 4739 }
	]
}
EOF

# The traffic (records numbered as in nfsend.py):
#   v5     0..239  60 messages x 4 records over 4 source ports, 24 keys
#   ipfix  500..559 15 messages x 4 records (template in each), 12 keys
#   v5     300..311 one message, one address pair, dports 2300..2311
V5_MSGS=60 V5_FLOWS=240 V5_KEYS=24
FX_MSGS=15 FX_FLOWS=60 FX_KEYS=12
RU_FLOWS=12
send_all() {
	nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v5 --messages $V5_MSGS --records 4 \
		--key-mod $V5_KEYS --sockets 4 --sport 41000
	nfxt_e $NFSEND --dst "$IP_C" --port 4739 --kind ipfix --messages $FX_MSGS --records 4 \
		--base 500 --key-mod $FX_KEYS --sockets 3 --sport 42000
	nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v5 --messages 1 --records $RU_FLOWS \
		--base 300 --one-pair --sport 43000
}
# every message in an AF_XDP ring before we stop nfxdp (the final drain reads them)
wait_redirected() {
	nfxt_wait_stat v5 redirected $((V5_MSGS + 1)) 10 &&
		nfxt_wait_stat ipfix redirected $FX_MSGS 10
}

# check_out MODE: the output against what send_all() sent
check_out() {
	python3 - "$OUT" "$1" $V5_FLOWS $V5_KEYS $FX_FLOWS $FX_KEYS $RU_FLOWS <<'EOF'
import json, sys
from collections import defaultdict
path, mode = sys.argv[1], sys.argv[2]
v5n, v5k, fxn, fxk, run = map(int, sys.argv[3:])
recs = [json.loads(l) for l in open(path)]
bad, info = [], []

def key(r):
    return (r["source"]["ip"], r["source"]["port"], r["destination"]["ip"],
            r["destination"]["port"], r.get("ip_protocol"))

def idx(ip):		# 10.N.H.L -> H*256+L
    a = [int(x) for x in ip.split(".")]
    return a[2] * 256 + a[3]

# what was sent, per group: (flows, keys, bytes, packets)
groups = {
    "netflow5": [i for i in range(v5n)],
    "ipfix": [500 + i for i in range(fxn)],
    "rollup": [300 + i for i in range(run)],
}
def group(r):
    if r.get("type") == "ipfix":
        return "ipfix"
    return "rollup" if idx(r["source"]["ip"]) == 300 else "netflow5"

by = defaultdict(list)
for r in recs:
    by[group(r)].append(r)
for g, sent in groups.items():
    rs = by[g]
    b, p = sum(r["bytes"] for r in rs), sum(r["packets"] for r in rs)
    wb, wp = sum(100 + i for i in sent), sum(1 + i for i in sent)
    if (b, p) != (wb, wp):
        bad.append("%s: bytes %d packets %d in the output, sent %d / %d" % (g, b, p, wb, wp))
    info.append("%s %d flows -> %d records" % (g, len(sent), len(rs)))
    if mode == "raw":
        got = sorted(r["bytes"] - 100 for r in rs)
        if got != sent:
            bad.append("%s: raw records are not one per flow (%d records, %d flows)"
                       % (g, len(rs), len(sent)))
for r in recs:
    if r.get("device", {}).get("namespace") != "aggtest":
        bad.append("namespace %r, want aggtest" % r.get("device", {}).get("namespace"))
        break

if mode == "agg":
    for g, nkeys in (("netflow5", v5k), ("ipfix", fxk)):
        rs = by[g]
        keys = {key(r) for r in rs}
        want = set()
        for i in range(nkeys):
            j = i + (500 if g == "ipfix" else 0)
            want.add(("10.1.%d.%d" % (j >> 8, j & 255), str(1000 + j),
                      "10.2.%d.%d" % (j >> 8, j & 255), str(2000 + j), "UDP"))
        if keys != want:
            bad.append("%s: keys %s, want %s" % (g, sorted(keys - want)[:3], sorted(want - keys)[:3]))
        # merged: each key's flows in one record (two if a tick split them)
        if not nkeys <= len(rs) <= 2 * nkeys or len(rs) >= len(groups[g]):
            bad.append("%s: %d records for %d flows of %d keys" % (g, len(rs), len(groups[g]), nkeys))
    # roll-up: 10.1.1.44:1300 -> 10.2.1.44:2300..2311, threshold 10
    rs = by["rollup"]
    star = [r for r in rs if r["destination"]["port"] == "*"]
    srcstar = [r for r in rs if r["source"]["port"] == "*"]
    plain = sorted(int(r["destination"]["port"]) for r in rs if r["destination"]["port"] != "*")
    if srcstar:
        bad.append("roll-up: the source port (one port, the quiet side) was rolled up")
    if len(star) != 1:
        bad.append("roll-up: %d records with destination port *, want 1" % len(star))
    else:
        s = star[0]
        rolled = [300 + i for i in range(9, run)]  # the 10th distinct port on
        if s["source"]["port"] != "1300" or s["bytes"] != sum(100 + i for i in rolled):
            bad.append("roll-up: * record %s:%s bytes %d, want 1300 and bytes of flows %s"
                       % (s["source"]["ip"], s["source"]["port"], s["bytes"], rolled))
    if plain != [2300 + i for i in range(9)]:
        bad.append("roll-up: destination ports kept %s, want 2300..2308" % plain)
print("; ".join(bad) if bad else ", ".join(info))
sys.exit(1 if bad else 0)
EOF
}

# ---- aggregated, stopped by SIGTERM ----
NFXT_AGG=1 nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" -c "$CFG" ||
	{ fail "nfxdp run (aggregated) did not start"; exit 1; }
[ -n "$(nfxt_dstat 'nfx_agg_flows_added_total{*')" ] ||
	fail "nfxdp did not aggregate: no nfx_agg_* counters"
send_all
wait_redirected || fail "not every message was redirected (v5 $(nfxt_stat v5 redirected), ipfix $(nfxt_stat ipfix redirected))"
before=$(wc -l <"$OUT")
nfxt_stop; rc=$?
[ "$rc" -eq 0 ] && ok "aggregated: exit status 0" || fail "aggregated: nfxdp exited with $rc"
info "records written before SIGTERM: $before, after: $(wc -l <"$OUT")"
if why=$(check_out agg); then ok "aggregated, flushed on SIGTERM: every byte and packet ($why)"; else fail "aggregated: $why"; fi
grep -o 'agg\[[^]]*\][^;]*' "$ERR" | sed 's/^/# /'

# ---- aggregated in --udp mode (no XDP), stopped by SIGINT ----
# udp_in: datagrams the collector netns' stack delivered to UDP sockets
udp_in() {
	nfxt_c awk '/^Udp:/ && !h { h = 1; for (i = 1; i <= NF; i++) c[$i] = i; next }
		/^Udp:/ { print $c["InDatagrams"] }' /proc/net/snmp
}
NFXT_AGG=1 nfxt_start --udp -c "$CFG" || { fail "nfxdp run --udp (aggregated) did not start"; exit 1; }
in0=$(udp_in)
send_all
for _ in $(seq 1 100); do
	[ $(($(udp_in) - in0)) -ge $((V5_MSGS + FX_MSGS + 1)) ] && break
	sleep 0.1
done
[ $(($(udp_in) - in0)) -ge $((V5_MSGS + FX_MSGS + 1)) ] ||
	fail "--udp: the stack delivered $(($(udp_in) - in0)) datagrams, sent $((V5_MSGS + FX_MSGS + 1))"
kill -INT "$NFXDP_PID"
wait "$NFXDP_PID"; rc=$?
NFXDP_PID=
[ "$rc" -eq 0 ] || fail "--udp: nfxdp exited with $rc after SIGINT"
if why=$(check_out agg); then ok "--udp aggregated, flushed on SIGINT: every byte and packet ($why)"; else fail "--udp aggregated: $why"; fi

# ---- the same with --raw ----
nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" -c "$CFG" || { fail "nfxdp run --raw did not start"; exit 1; }
send_all
wait_redirected || fail "--raw: not every message was redirected"
nfxt_wait_records $((V5_FLOWS + FX_FLOWS + RU_FLOWS)) 10
nfxt_stop; rc=$?
[ "$rc" -eq 0 ] || fail "--raw: nfxdp exited with $rc"
n=$(wc -l <"$OUT")
if why=$(check_out raw) && [ "$n" -eq $((V5_FLOWS + FX_FLOWS + RU_FLOWS)) ]; then
	ok "--raw: one record per flow ($n records)"
else
	fail "--raw: $n records for $((V5_FLOWS + FX_FLOWS + RU_FLOWS)) flows: $why"
fi
exit $NFXT_FAILED

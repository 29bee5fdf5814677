#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-sflow-counters.sh - the interface counters sFlow agents send in
# counter samples come out as metrics: the pmacct sFlow capture replayed to
# `nfxdp run --udp` with an sflow5 listener on loopback (no privileges);
# the octets, packets (unicast + multicast + broadcast), errors and
# discards in and out of the last counter sample of each interface, as the
# tshark reference decodes it, must be the values of the nfx_sflow_if_*
# series in the stats file, and so must the speed and status gauges.
set -u
cd "$(dirname "$0")/../.."
NFXDP=${NFXDP:-build/nfxdp}
CAP=tests/data/corpus/pmacct-sflow.pcap
REF=tests/data/corpus/pmacct-sflow.ref.ndjson
tmp=$(mktemp -d /tmp/nfxtest-sfc.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ok() { echo "ok sflow-counters $*"; }
fail() { echo "FAIL sflow-counters $*"; }

port=$((20000 + ($$ + 7) % 20000))
"$NFXDP" run --udp --bind 127.0.0.1 -p "$port/sflow" --raw -o "$tmp/out.ndjson" \
	--stats-file "$tmp/d.prom" 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 50); do [ -s "$tmp/d.prom" ] && break; sleep 0.1; done
[ -s "$tmp/d.prom" ] || { fail "nfxdp did not start: $(tail -n 3 "$tmp/err")"; exit 1; }
python3 - "$CAP" "$port" <<'EOF'
import socket, sys, time
sys.path.insert(0, "scripts")
import pcap_payloads as pp
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for n, fr in enumerate(pp.frames(sys.argv[1])):
    p = pp.udp_payload(fr)
    if p:
        s.sendto(p, ("127.0.0.1", int(sys.argv[2])))
    if n % 20 == 19:
        time.sleep(0.002)
EOF
want=$(grep -c '"kind": "counters"' "$REF")
got=0
for _ in $(seq 1 50); do
	got=$("$NFXDP" stats --daemon="$tmp/d.prom" --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(list(d.values())[0].get("nfx_decoder_sflow_counter_samples_total", 0))' 2>/dev/null)
	[ "${got:-0}" -ge "$want" ] && break
	sleep 0.2
done
[ "${got:-0}" -eq "$want" ] || fail "counter samples read: ${got:-none}, the capture has $want"
"$NFXDP" stats --daemon="$tmp/d.prom" --json >"$tmp/stats.json" 2>/dev/null
if why=$(python3 - "$REF" "$tmp/stats.json" <<'EOF'
import json, sys
last = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["kind"] == "counters":
        last[(r["agent_addr"], r["if_index"])] = r
series = next(iter(json.load(open(sys.argv[2])).values()))
bad, n = [], 0
for (agent, ifx), r in last.items():
    lbl = '{agent="%s",ifindex="%d"}' % (agent, ifx)
    want = {"nfx_sflow_if_%s_total" % k: r["if_" + k] for k in
            ("in_octets", "out_octets", "in_errors", "out_errors", "in_discards", "out_discards")}
    for d in ("in", "out"):
        want["nfx_sflow_if_%s_packets_total" % d] = sum(
            r["if_%s_%s_pkts" % (d, c)] for c in ("ucast", "mcast", "bcast"))
    want["nfx_sflow_if_speed_bps"] = r["if_speed"]
    want["nfx_sflow_if_admin_up"] = r["if_admin_status"]
    want["nfx_sflow_if_oper_up"] = r["if_oper_status"]
    for k, v in want.items():
        got = series.get(k + lbl)
        n += 1
        if got != v:
            bad.append("%s%s = %s, want %s" % (k, lbl, got, v))
if bad or not last:
    print("; ".join(bad[:4]) or "no counter samples in the reference")
    sys.exit(1)
print("%d interface(s), %d values" % (len(last), n))
EOF
); then
	ok "metrics equal the last counter sample of each interface ($why)"
else
	fail "$why"
fi
kill "$pid"; wait "$pid"; pid=

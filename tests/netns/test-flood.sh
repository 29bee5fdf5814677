#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-flood.sh - hostile input in the veth setup.  tests/tools/flood.py
# writes Ethernet frames straight onto the exporter end of the veth
# (AF_PACKET), so it can spoof any number of exporters: 20 000 of them
# (IPv4 and IPv6) send v9/IPFIX templates and data with template churn,
# withdrawals, options templates, data for unknown templates, huge
# templates, v5, and as sFlow v5 agents (IPv4 and IPv6 agent addresses)
# flow samples, counter samples of thousands of new interfaces a second,
# sequence restarts; mixed in are frames the XDP program must drop (short,
# wrong version or sFlow agent address type, huge v5/v1/v6/v7 and sFlow
# counts, truncated, IPFIX and UDP length mismatches, NetFlow and sFlow on
# each other's ports, random garbage), frames the daemon must reject (bad
# set lengths, bad (options) templates, record overruns, random set
# bodies; sFlow samples and records that are short, past their datagram or
# sample, of unknown formats or out of range), first fragments whose rest
# never comes, sFlow the XDP program cannot check (fragments: bad agent
# types, cut headers, sample counts past the datagram), one good exporter
# and one good sFlow agent whose records have known values (some of their
# messages fragmented: the XDP program passes them, the stack reassembles,
# a UDP socket reads them).  The collector runs with small tables (256
# exporters, 1024 templates) and a 3 s template TTL swept every second.
# Checked:
#  1. every good record arrives exactly once with its fields, and nothing
#     else from the good exporter or agent (data sent after a withdrawal is
#     not decoded);
#  2. memory: VmRSS/VmHWM stay under the baseline plus what the configured
#     maxima allow (bound computed below), and RSS is flat in the second
#     half of the flood;
#  3. every rejection is counted: per XDP slot packets == redirected +
#     passed + drops, and each counter equals what the frames sent must
#     produce (flood.py models the program's checks); daemon counters for
#     each defect sent move by the number sent (exactly where the outcome
#     does not depend on table space: every sFlow sample and record
#     counter), and the decoder saw exactly what the program redirected
#     plus the reassembled datagrams; one agent reporting 100 interfaces
#     more than a decoder's sFlow counter store holds is refused exactly
#     100 times, and the flood's interfaces overflow it again;
#  4. the daemon stays responsive; after the flood the TTL sweep empties
#     the exporter table, and a last good burst (with v9 data sent ahead of
#     its template) decodes.
# NFXT_FLOOD_FRAMES / NFXT_FLOOD_SECONDS / NFXT_FLOOD_EXPORTERS resize it.
source "$(dirname "$0")/lib.sh"

FRAMES=${NFXT_FLOOD_FRAMES:-200000}
SECONDS_MAX=${NFXT_FLOOD_SECONDS:-20}
EXPORTERS=${NFXT_FLOOD_EXPORTERS:-20000}
MAX_EXP=256
MAX_TMPL=1024
TTL=3
SWEEP=1
MPORT=9464
GOOD_IP=$IP_E
STATE=$WORK/flood.json
FLOOD="python3 $NFXT_ROOT/tests/tools/flood.py"

command -v curl >/dev/null || skip "curl not installed"
nfxt_setup || { fail "netns/veth setup"; exit 1; }

# the daemon splits max_sflow_interfaces among its workers (one per RX
# queue, at most one per CPU): ask for 4096 per worker, as flood.py assumes
NWX=$(nproc)
[ "$NWX" -gt 2 ] && NWX=2
cat >"$WORK/nfxdp.json" <<EOF
{
	"listeners": [
		{ "flow_type": "netflow5", "port": 2055 },
		{ "flow_type": "netflow9", "port": 2055 },
		{ "flow_type": "ipfix", "port": 4739 },
		{ "flow_type": "sflow5", "port": 6343 }
	],
	"template_ttl": $TTL,
	"template_sweep_interval": $SWEEP,
	"max_exporters": $MAX_EXP,
	"max_templates": $MAX_TMPL,
	"max_sflow_interfaces": $((4096 * NWX))
}
EOF
nfxt_start -i "$IF_C" -c "$WORK/nfxdp.json" --pin-dir "$PIN_DIR" \
	--metrics "127.0.0.1:$MPORT" || { fail "nfxdp run did not start"; exit 1; }
PID=$NFXDP_PID
T0=$(date +%s.%N)

DMAC=$(nfxt_c ip -j link show dev "$IF_C" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
SMAC=$(nfxt_e ip -j link show dev "$IF_E" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
# flood PHASE ARGS: flood.py in the exporter netns (in the background, so
# that the cleanup trap can stop it)
flood() {
	local rc

	nfxt_e $FLOOD "$@" --ifname "$IF_E" --dmac "$DMAC" --smac "$SMAC" --dst-ip "$IP_C" \
		--good-ip "$GOOD_IP" --state "$STATE" &
	FLOOD_PID=$!
	# shellcheck disable=SC2034  # run by lib.sh's cleanup trap
	NFXT_EXTRA_CLEANUP='kill $FLOOD_PID $SAMPLER 2>/dev/null'
	wait "$FLOOD_PID"
	rc=$?
	FLOOD_PID=
	return $rc
}
FLOOD_PID=''
SAMPLER=''
# veth_drops: frames the veth pair dropped before the XDP program saw them
veth_drops() {
	echo $(( $(nfxt_e ip -j -s link show dev "$IF_E" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["dropped"])') +
		 $(nfxt_c ip -j -s link show dev "$IF_C" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["dropped"])') ))
}
# st EXPR: a value from the state file (python expression over s)
st() { python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$STATE" "$1"; }
good_total() { st 'sum(s["good"].values())'; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$PID/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$PID/status"; }
scrape() { nfxt_metrics "$MPORT" >"$1"; }
# mval FILE NAME [LABELS]: a sample's value (0 if absent), summed over matches
mval() {
	awk -v n="$2" -v l="${3:-}" '$1 == n || (l != "" && $1 == n "{" l "}") ||
		(l == "" && index($1, n "{") == 1) { s += $2 } END { printf "%d\n", s }' "$1"
}
exporters_in() { grep -c '^nfx_exporter_templates{' "$1"; }
templates_in() { awk '/^nfx_exporter_templates\{/ { s += $2 } END { print s + 0 }' "$1"; }

# ---- warm-up: good traffic, and the cases with exact daemon counts ----
flood warm || { fail "flood.py warm"; exit 1; }
nfxt_wait_records "$(good_total)" 10 || fail "warm-up: $(wc -l <"$OUT") of $(good_total) good records"
sleep 1.2	# the metrics page is rebuilt every second
scrape "$WORK/m0"
RSS0=$(rss_kb)
NW=$(grep -c '^nfx_worker_records_total{' "$WORK/m0")

# the sFlow cases that need the tables to themselves: one agent 100
# interfaces over a decoder's counter store, one that restarts twice
python3 - "$WORK/m0" "$STATE" <<'EOF' || NFXT_FAILED=1
import json, sys
m = {}
for line in open(sys.argv[1]):
    if line.strip() and not line.startswith("#"):
        k, v = line.rsplit(None, 1)
        m[k] = int(float(v))
d = json.load(open(sys.argv[2]))["dec"]
lost = sum(v for k, v in m.items()
           if k.startswith(("nfx_xsk_rx_dropped_total", "nfx_xsk_rx_ring_full_total")))
got = {k: m.get("nfx_decoder_%s_total" % k, 0)
       for k in ("sflow_counter_limit", "seq_resets", "seq_lost")}
want = {"sflow_counter_limit": d["sf_counter_limit_warm"], "seq_resets": d["sf_seq_resets_warm"],
        "seq_lost": d["sf_seq_lost_warm"]}
if lost:
    print("# warm-up: AF_XDP lost %d frames, sFlow warm-up counts not exact" % lost)
elif got["sflow_counter_limit"] != want["sflow_counter_limit"] or \
        got["seq_resets"] != want["seq_resets"] or got["seq_lost"] < want["seq_lost"]:
    print("FAIL flood: warm-up sFlow counters %s, want %s (seq_lost at least)" % (got, want))
    sys.exit(1)
else:
    print("ok flood warm-up sFlow: the counter store refused exactly %d interfaces over its "
          "bound, %d sequence restarts" % (got["sflow_counter_limit"], got["seq_resets"]))
EOF

# ---- the flood ----
: >"$WORK/exporters"
(
	while [ ! -e "$WORK/flood.done" ]; do
		nfxt_metrics "$MPORT" >"$WORK/mx" 2>/dev/null &&
			echo "$(exporters_in "$WORK/mx") $(templates_in "$WORK/mx")" >>"$WORK/exporters"
		sleep 1
	done
) &
SAMPLER=$!
flood flood --frames "$FRAMES" --seconds "$SECONDS_MAX" --exporters "$EXPORTERS" --pid "$PID" ||
	fail "flood.py flood"
touch "$WORK/flood.done"
wait "$SAMPLER"
SAMPLER=
info "flood: $(st 's["flood"]'), ENOBUFS retries $(st 's["enobufs"]')"

# drained when the sockets have accounted for every redirected frame
drained=0
for _ in $(seq 1 40); do
	sleep 0.5
	scrape "$WORK/m1" || continue
	red=$(mval "$WORK/m1" nfx_xdp_redirected_total)
	got=$(( $(mval "$WORK/m1" nfx_xsk_rx_frames_total) + $(mval "$WORK/m1" nfx_xsk_rx_dropped_total) +
		$(mval "$WORK/m1" nfx_xsk_rx_ring_full_total) ))
	[ "$red" -gt 0 ] && [ "$red" -eq "$got" ] && { drained=1; break; }
done
[ "$drained" = 1 ] || fail "AF_XDP sockets did not account for every redirected frame ($got of $red)"
sleep 1.2
scrape "$WORK/m1"
nfxt_c "$NFXDP" stats --pin-dir "$PIN_DIR" --json >"$WORK/xdp.json" || fail "nfxdp stats"
kill -0 "$PID" 2>/dev/null || { fail "nfxdp died during the flood"; exit 1; }
VDROPS=$(veth_drops)

# ---- 3a. kernel counters: invariant, then the model ----
python3 - "$WORK/xdp.json" "$STATE" "$VDROPS" <<'EOF' || NFXT_FAILED=1
import json, sys
got, st = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
want = st["xdp"]
vdrops = int(sys.argv[3])	# lost on the veth: the XDP program never saw them
drops = ("short_pkt", "bad_version", "bad_count", "truncated", "bad_length", "not_allowed")
bad = []
for slot, c in sorted(got.items()):
    if c["packets"] != c["redirected"] + c["passed"] + c["no_socket"] + sum(c[d] for d in drops):
        bad.append("%s: packets %d != redirected+passed+no_socket+drops" % (slot, c["packets"]))
    w = want.get(slot, {})
    for f, v in sorted(c.items()):
        lo = w.get(f, 0) - (vdrops * (1500 if f == "bytes" else 1))
        if not lo <= v <= w.get(f, 0):
            bad.append("%s.%s=%d, frames sent make it %d%s" % (
                slot, f, v, w.get(f, 0), " (veth dropped %d)" % vdrops if vdrops else ""))
# the malformed kinds moved their counter by at least what was sent of them
for field, kinds in (("short_pkt", ("x_short", "sfx_short")),
                     ("bad_version", ("x_bad_version", "sfx_bad_version")),
                     ("bad_count", ("x_bad_count", "sfx_bad_count")),
                     ("truncated", ("x_truncated", "sfx_truncated")),
                     ("bad_length", ("x_bad_length",))):
    total = sum(c[field] for c in got.values())
    sent = sum(st["sent"].get(k, 0) for k in kinds)
    if total < sent - vdrops:
        bad.append("%s: %d sent, %s moved by %d" % ("+".join(kinds), sent, field, total))
if bad:
    print("FAIL flood: kernel counters: " + "; ".join(bad[:8]))
    sys.exit(1)
tot = {f: sum(c[f] for c in got.values()) for f in ("packets", "redirected", "passed") + drops}
sf = got.get("sflow5", {})
print("ok flood kernel counters match the %d frames sent (%s; sflow5 slot %s)%s" % (
    st["frames_total"], " ".join("%s=%d" % kv for kv in tot.items()),
    " ".join("%s=%d" % (f, sf[f]) for f in ("packets", "redirected", "passed") + drops if sf.get(f)),
    ", veth dropped %d" % vdrops if vdrops else ""))
EOF

# ---- 3b. daemon counters ----
python3 - "$WORK/m1" "$WORK/xdp.json" "$STATE" <<'EOF' || NFXT_FAILED=1
import json, re, sys
m = {}
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    k, v = line.rsplit(None, 1)
    m[k] = int(float(v))
def g(name, **lbl):
    if lbl:
        name += "{" + ",".join('%s="%s"' % kv for kv in lbl.items()) + "}"
    return m.get(name, 0)
def total(name):
    return sum(v for k, v in m.items() if k == name or k.startswith(name + "{"))
xdp, st = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
d, sent = st["dec"], st["sent"]
bad, notes = [], []
lost = total("nfx_xsk_rx_dropped_total") + total("nfx_xsk_rx_ring_full_total")
udp = total("nfx_udp_datagrams_total")
# what the decoder saw: the redirected frames, plus what the XDP program
# passed to the stack (first fragments) minus the fragments never completed
if total("nfx_xsk_rx_not_udp_total"):
    bad.append("rx_not_udp=%d" % total("nfx_xsk_rx_not_udp_total"))
orphans = sum(v for k, v in d.items() if k.startswith("orphan_"))
passed = sum(c["passed"] for c in xdp.values())
if udp != passed - orphans:
    bad.append("UDP sockets read %d datagrams, XDP passed %d of which %d never complete" % (
        udp, passed, orphans))
for v in ("v1", "v5", "v6", "v7", "v9", "ipfix", "sflow5", "other"):
    c = xdp.get(v, {})
    want = c.get("redirected", 0) + c.get("passed", 0) - d.get("orphan_" + v, 0)
    got = g("nfx_decoder_packets_total", version=v)
    if lost == 0 and got != want:
        bad.append("decoder packets{%s}=%d, XDP redirected %d + passed %d - orphan fragments %d" % (
            v, got, c.get("redirected", 0), c.get("passed", 0), d.get("orphan_" + v, 0)))
if lost:
    s_red = sum(c["redirected"] for c in xdp.values())
    if total("nfx_decoder_packets_total") != s_red - lost + udp:
        bad.append("decoder packets %d != redirected %d - lost in AF_XDP %d + UDP %d" % (
            total("nfx_decoder_packets_total"), s_red, lost, udp))
    notes.append("AF_XDP lost %d" % lost)
notes.append("UDP sockets read %d reassembled datagrams" % udp)
exact = lost == 0	# every structured case reached the decoder
def check(name, lo, hi=None):
    v = g("nfx_decoder_%s_total" % name)
    if not exact:
        lo = min(lo, 1)
    if v < lo or (hi is not None and v > hi):
        bad.append("%s=%d, want %s" % (name, v, lo if hi == lo else "%d..%s" % (lo, hi)))
    return v
fz = d.get("fuzz_frames", 0)
check("bad_set_length", d["bad_set_length"], d["bad_set_length"] + fz)
check("bad_template", d["bad_template"], None)
check("template_not_found", d["data_only_sets"] + d["poison_sets"])
check("record_overrun", d["record_overrun_warm"], sent["record_overrun"])
check("template_exporter_limit", d["template_exporter_limit"], d["template_exporter_limit"])
check("templates_withdrawn", d["withdrawals"])
for name in ("exporter_limit", "template_limit", "pending_buffered", "pending_dropped",
             "templates_expired", "exporters_expired", "templates_learned", "options_records",
             "seq_lost", "seq_resets"):
    check(name, 1)
for v in ("v9", "ipfix"):
    if g("nfx_decoder_dropped_total", version=v) < (d.get("dropped_" + v, 0) if exact else 1):
        bad.append("dropped{%s}=%d, sent %d first-set-length errors" % (
            v, g("nfx_decoder_dropped_total", version=v), d.get("dropped_" + v, 0)))
# sFlow: what every structured case must produce, whatever the tables hold
# (length_mismatch has no version label: random v9/IPFIX sets can add to it)
for name, want in sorted(d["sflow"].items()):
    metric, _, ver = name.partition(":")
    v = g("nfx_decoder_%s_total" % metric, **({"version": ver} if ver else {}))
    if name == "length_mismatch":
        want += d.get("fuzz_length_mismatch", 0)
    if not (want if exact else min(want, 1)) <= v <= want:
        bad.append("%s=%d, the sFlow sent makes it %d" % (name, v, want))
# the counter store: the warm-up's refusals, and more once the flood's
# interfaces overflow it (how many depends on the queues and the TTL sweep)
lim, lo = g("nfx_decoder_sflow_counter_limit_total"), d["sf_counter_limit_warm"] + 1
if not (lo if exact else 1) <= lim <= d["sf_storable"]:
    bad.append("sflow_counter_limit=%d, want %d..%d" % (lim, lo, d["sf_storable"]))
notes.append("sFlow: %s; the counter store refused %d of %d interface reports" % (
    " ".join("%s=%d" % (k.replace("sflow_", ""), v) for k, v in sorted(d["sflow"].items())),
    lim, d["sf_storable"]))
if g("nfx_output_dropped_total") or g("nfx_output_write_errors_total"):
    bad.append("output dropped %d, write errors %d" % (g("nfx_output_dropped_total"),
                                                    g("nfx_output_write_errors_total")))
if total("nfx_decoder_records_total") != g("nfx_output_records_total"):
    bad.append("decoder records %d != output records %d" % (
        total("nfx_decoder_records_total"), g("nfx_output_records_total")))
if bad:
    print("FAIL flood: daemon counters: " + "; ".join(bad))
    sys.exit(1)
keys = ("bad_set_length", "bad_template", "template_not_found", "record_overrun",
        "exporter_limit", "template_limit", "template_exporter_limit", "pending_buffered",
        "pending_dropped", "templates_expired", "exporters_expired")
print("ok flood daemon counters: " + " ".join("%s=%d" % (k, g("nfx_decoder_%s_total" % k))
                                              for k in keys) + ("; " + "; ".join(notes) if notes else ""))
EOF

# ---- 4a. the exporter table stayed bounded, and the sweep empties it ----
maxexp=$(cut -d' ' -f1 "$WORK/exporters" | sort -n | tail -n 1)
maxtmpl=$(cut -d' ' -f2 "$WORK/exporters" | sort -n | tail -n 1)
info "exporter-domain states/templates during the flood (1 s samples): $(tr ' \n' '/ ' <"$WORK/exporters")"
if [ "${maxexp:-0}" -le "$MAX_EXP" ] && [ "${maxexp:-0}" -ge $((MAX_EXP / 2)) ] &&
   [ "${maxtmpl:-0}" -le "$MAX_TMPL" ]; then
	ok "tables within bounds: peaks $maxexp of $MAX_EXP exporter-domains, $maxtmpl of $MAX_TMPL templates"
else
	fail "peaks: ${maxexp:-?} exporter-domains (max $MAX_EXP), ${maxtmpl:-?} templates (max $MAX_TMPL)"
fi
left=
for _ in $(seq 1 $(( (TTL + SWEEP + 4) * 2 ))); do
	sleep 0.5
	scrape "$WORK/m2" || continue
	left=$(exporters_in "$WORK/m2")
	[ "$left" -eq 0 ] && break
done
[ "${left:-x}" = 0 ] && ok "TTL sweep emptied the exporter table ($maxexp -> 0)" ||
	fail "exporter-domain states after the TTL: ${left:-no metrics page}"

# ---- 4b. still decoding: a last good burst, v9 data ahead of its template ----
lines=$(wc -l <"$OUT")
before=$(good_total)
flood final || fail "flood.py final"
nfxt_wait_records $((lines + $(good_total) - before)) 10 || fail "last good burst did not arrive"
sleep 1.2
scrape "$WORK/m3" || fail "metrics page did not answer after the flood"
[ "$(mval "$WORK/m3" nfx_up)" = 1 ] || fail "nfx_up is not 1"
pend=$(mval "$WORK/m3" nfx_decoder_pending_records_decoded_total)
[ "$pend" -ge 3 ] && ok "held v9 data decoded when its template came ($pend records from held sets)" ||
	fail "pending_records_decoded=$pend, want >= 3"

# ---- 1. the good records ----
LOST=$(( $(mval "$WORK/m3" nfx_xsk_rx_dropped_total) + $(mval "$WORK/m3" nfx_xsk_rx_ring_full_total) ))
python3 - "$OUT" "$STATE" "$GOOD_IP" "$LOST" "$VDROPS" "$NFXT_ROOT/tests/tools" <<'EOF' || NFXT_FAILED=1
import json, sys
path, st, good = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
lost, vdrops = int(sys.argv[4]), int(sys.argv[5])
sys.path.insert(0, sys.argv[6])
from flood import sflow_frame_len
want = st["good"]
seen = {t: {} for t in want}
extra, bad = [], []
lines = 0
for line in open(path):
    lines += 1
    r = json.loads(line)
    if r["exporter"]["ip"] != good:
        continue
    t = r["type"]
    i = int(r["source"]["port"]) - 1000
    if t not in want or not 0 <= i < want[t]:
        extra.append("%s record %d" % (t, i))
        continue
    seen[t].setdefault(i, []).append(r)
for t, n in sorted(want.items()):
    for i in range(n):
        rs = seen[t].get(i, [])
        if len(rs) != 1:
            bad.append("%s record %d seen %d times" % (t, i, len(rs)))
            continue
        r = rs[0]
        w = {"src": "10.1.%d.%d" % (i >> 8, i & 255), "dst": "10.2.%d.%d" % (i >> 8, i & 255),
             "dport": 2000 + i, "bytes": 100 + i, "packets": 1 + i, "proto": "UDP"}
        if t == "sflow5":	# one sampled frame: packets 1, bytes its length
            w["bytes"], w["packets"] = sflow_frame_len(i), 1
        g = {"src": r["source"]["ip"], "dst": r["destination"]["ip"],
             "dport": int(r["destination"]["port"]), "bytes": r["bytes"],
             "packets": r["packets"], "proto": r.get("ip_protocol")}
        if g != w:
            bad.append("%s record %d: %s != %s" % (t, i, g, w))
if extra:
    bad.append("%d unexpected records from the good exporter (%s)" % (len(extra), ", ".join(extra[:3])))
if bad:
    print("FAIL flood: good records: " + "; ".join(bad[:6]) +
          (" (+%d more)" % (len(bad) - 6) if len(bad) > 6 else "") +
          (" [frames lost before the decoder: AF_XDP %d, veth %d]" % (lost, vdrops)
           if lost or vdrops else ""))
    sys.exit(1)
print("ok flood all %d good records exact (%s) among %d records" % (
    sum(want.values()), " ".join("%s=%d" % kv for kv in sorted(want.items())), lines))
EOF

# ---- 2. memory ----
if [ "$NFXT_SANITIZED" = 1 ]; then
	info "memory not checked: a sanitizer build (shadow memory, freed blocks held back)"
else
# Everything the decoder may hold is sized by the configuration: templates
# (slab + index + at most one heap plan of NFX_TMPL_MAX_FIELDS 6-byte ops
# each), exporter-domain states, the 1 MiB pending ring, the session table
# of legacy exporters and sFlow agents (65536 sessions, 131072 40-byte
# slots, not configurable), and each worker's sFlow interface counter store
# (max_sflow_interfaces / workers = 4096 interfaces in 8192 slots of an
# nfx_sflow_if and a used flag).  The UMEMs are populated at start, so they are in
# the baseline.  Slack: 4 MiB for the allocator and the metrics/output
# buffers.
read -r TSZ DSZ OPSZ CSZ < <(gcc -Iuser -Iinclude -x c -o "$WORK/sz" - <<'EOF' 2>/dev/null && "$WORK/sz"
#include <stdio.h>
#include "decode/tmpl_cache.h"
#include "decode/sflow_ctr.h"
struct ctr_slot { struct nfx_sflow_if e; uint8_t used; };	/* sflow_ctr.c's */
int main(void)
{
	printf("%zu %zu %zu %zu\n", sizeof(struct nfx_tmpl), sizeof(struct nfx_dom),
	       sizeof(struct nfx_op), sizeof(struct ctr_slot));
	return 0;
}
EOF
)
TSZ=${TSZ:-320} DSZ=${DSZ:-168} OPSZ=${OPSZ:-6} CSZ=${CSZ:-296}
SF_SLOTS=8192
# and the metrics page: eleven series of at most ~100 bytes per sFlow
# interface, twice (the page and the HTTP server's copy of it).  The page
# grows while the flood fills the interface stores, whenever that happens,
# so it is also what the second half may add on top of the 1 MiB allowance.
PAGE=$(( NW * 4096 * 11 * 100 * 2 ))
DEC_MAX=$(( MAX_TMPL * (TSZ + 16 + 512 * OPSZ + 16) + MAX_EXP * (DSZ + 12) + (1 << 20) +
	    131072 * 40 + NW * SF_SLOTS * CSZ + PAGE ))
SLACK=$((4 << 20))
BOUND_KB=$(( RSS0 + (DEC_MAX + SLACK) / 1024 ))
python3 - "$STATE" "$RSS0" "$BOUND_KB" "$(rss_kb)" "$(hwm_kb)" "$((PAGE / 1024))" <<'EOF' || NFXT_FAILED=1
import json, sys
st = json.load(open(sys.argv[1]))
rss0, bound, rss_now, hwm, page = (int(x) for x in sys.argv[2:])
s = st["rss"]
peak = max(max(r[1], r[2]) for r in s)
dur = s[-1][0]
half = min(s, key=lambda r: abs(r[0] - dur / 2))
end = s[-1]
print("# RSS: baseline %d KiB, half-time %d KiB (t=%.1fs), end of flood %d KiB, now %d KiB, "
      "VmHWM %d KiB, bound %d KiB" % (rss0, half[1], half[0], end[1], rss_now, hwm, bound))
bad = []
if max(peak, hwm) > bound:
    bad.append("memory peaked at %d KiB, bound %d KiB" % (max(peak, hwm), bound))
if end[1] - half[1] > 1024 + page:
    bad.append("RSS grew %d KiB in the second half of the flood" % (end[1] - half[1]))
if bad:
    print("FAIL flood: " + "; ".join(bad))
    sys.exit(1)
print("ok flood memory bounded (peak %d KiB <= %d KiB) and flat (%+d KiB in the second half)" % (
    max(peak, hwm), bound, end[1] - half[1]))
EOF
fi

nfxt_stop; rc=$?
[ "$rc" -eq 0 ] && ok "exit status 0 after the flood" || fail "nfxdp exited with $rc"
info "test time $(python3 -c "import time; print(round(time.time() - $T0, 1))") s, " \
	"sent $(st 's["frames_total"]') frames: $(st 's["sent"]')"
exit $NFXT_FAILED

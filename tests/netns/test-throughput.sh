#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-throughput.sh - a bounded burst (200k NetFlow v5 packets, one record
# each by default; NFXT_BURST / NFXT_RECORDS change that) through the veth into nfxdp.  Prints packets/s and records/s as
# information only; asserts that no frame leaked: every packet the XDP
# program redirected was decoded or is accounted for by the sockets'
# XDP_STATISTICS drops, every decoded record was written, and the fill
# rings still work after the burst.  The daemon's side comes from its
# stats file (`nfxdp stats --daemon --json`), read before it stops.
source "$(dirname "$0")/lib.sh"

PKTS=${NFXT_BURST:-200000}
RECS=${NFXT_RECORDS:-1}	# records per packet
SENDERS=2

nfxt_setup || { fail "netns/veth setup"; exit 1; }
nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" -p 2055 || { fail "nfxdp run did not start"; exit 1; }

t0=$(date +%s.%N)
for s in $(seq 1 $SENDERS); do
	nfxt_e timeout 60 $NFSEND --dst "$IP_C" --port 2055 --kind v5 --records "$RECS" \
		--base 50000 --repeat $((PKTS / SENDERS)) --sockets 4 --sport $((48000 + 10 * s)) \
		>"$WORK/sent$s" &
done
wait $(jobs -p | grep -v "^$NFXDP_PID\$") 2>/dev/null
t_sent=$(date +%s.%N)
sent=$(cat "$WORK"/sent* | awk '{ s += $1 } END { print s + 0 }')

# settled: the output stops growing
last=-1
for _ in $(seq 1 100); do
	n=$(wc -l <"$OUT")
	[ "$n" = "$last" ] && break
	last=$n
	t_done=$(date +%s.%N)
	sleep 0.3
done
red=$(nfxt_stat v5 redirected)
xdp_pkts=$(nfxt_stat v5 packets)
python3 -c "import sys; t=float(sys.argv[3])-float(sys.argv[1]); ts=float(sys.argv[2])-float(sys.argv[1]); \
r=int(sys.argv[6]); n=int(sys.argv[5]); \
print('# throughput: sent %d in %.2fs; %d records in %.2fs = %.0f packets/s, %.0f records/s' % \
(int(sys.argv[4]), ts, n, t, n / r / t, n / t))" \
	"$t0" "$t_sent" "$t_done" "$sent" "$last" "$RECS"
info "xdp: v5 packets=$xdp_pkts redirected=$red (sent $sent; the difference is veth backpressure)"

# the fill rings must still be full of frames after the burst
nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v5 --messages 200 --records 2 --base 0 \
	--sockets 8 --sport 49000
nfxt_wait_records $((last + 400)) 10
if why=$(nfxt_check_records netflow5 0 400); then ok "records flow after the burst"; else fail "after burst: $why"; fi

# the counters once they hold every record written (the file is 1 s old at most)
nfxt_wait_dstat 'nfx_decoder_records_total{version="v5"}' "$(wc -l <"$OUT")" 5
"$NFXDP" stats --daemon="$STATS" --json >"$WORK/stats.json" || fail "no daemon counters"
nfxt_stop || fail "nfxdp exited with $?"
python3 - "$WORK/stats.json" "$red" "$last" <<'PY' || NFXT_FAILED=1
import json, re, sys
c, red, out = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
c = next(iter(c.values()), {})
q = {}
for k, v in c.items():
    m = re.match(r'nfx_xsk_(\w+)_total\{queue="(\d+)"\}$', k)
    if m:
        q.setdefault(int(m.group(2)), {})[m.group(1)] = v
q = [q[i] for i in sorted(q)]
frames = sum(x["rx_frames"] for x in q)
lost = sum(x["rx_dropped"] + x["rx_ring_full"] for x in q)
print("# XDP_STATISTICS: " + "; ".join(
    "q%d frames=%d rx_dropped=%d rx_ring_full=%d rx_fill_ring_empty_descs=%d rx_invalid_descs=%d"
    % (i, x["rx_frames"], x["rx_dropped"], x["rx_ring_full"], x["rx_fill_ring_empty_descs"],
       x["rx_invalid_descs"]) for i, x in enumerate(q)))
dec_pkts = c.get('nfx_decoder_packets_total{version="v5"}', 0)
dec_recs = c.get('nfx_decoder_records_total{version="v5"}', 0)
ok = True
# red was read before the 200 check packets; those were redirected and decoded too
if frames + lost != red + 200:
    print("FAIL throughput: redirected %d + 200 != frames %d + socket drops %d" % (red, frames, lost))
    ok = False
if dec_pkts != frames or dec_recs != out + 400:
    print("FAIL throughput: frames %d, decoded %d packets / %d records, written %d + 400"
          % (frames, dec_pkts, dec_recs, out))
    ok = False
if ok:
    print("ok throughput no frame leaked (frames %d + drops %d == redirected %d)" % (frames, lost, red + 200))
sys.exit(0 if ok else 1)
PY
exit $NFXT_FAILED

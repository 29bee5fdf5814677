#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-template-share.sh - templates reach every worker (design §1): with
# two workers, an exporter's template arrives on one RX queue and its data
# on the other (XPS on the exporter's veth steers each send by the CPU it
# runs on), v9 in one direction and IPFIX in the other.  Every data record
# is decoded at once, none waits for a template, and each template message
# is replayed to the other worker.  A third exporter's data comes first
# and is held; the other worker's template then releases it.
source "$(dirname "$0")/lib.sh"

[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs to steer the exporter's queues"
nfxt_setup || { fail "netns/veth setup"; exit 1; }
# queue N is sent from CPU N (and the collector's RX queue N is the exporter's TX queue N)
ip netns exec "$NS_E" sh -c "echo 1 >/sys/class/net/$IF_E/queues/tx-0/xps_cpus &&
	echo 2 >/sys/class/net/$IF_E/queues/tx-1/xps_cpus" ||
	skip "cannot set XPS on the exporter's veth"
nfxt_start -i "$IF_C" --workers 2 -p 2055 -p 4739 ||
	{ fail "nfxdp did not start: $(tail -n 3 "$ERR")"; exit 1; }
grep -q "2 worker threads" "$ERR" || fail "not 2 workers: $(grep -m1 'AF_XDP socket' "$ERR")"

# send CPU ARGS...: nfsend from the exporter, pinned to CPU (so to its TX queue)
send() {
	local cpu=$1

	shift
	nfxt_e taskset -c "$cpu" $NFSEND --dst "$IP_C" --no-connect "$@"
}
q() { nfxt_dstat "nfx_xsk_rx_frames_total{queue=\"$1\"}"; }

# v9: template on queue 1, data on queue 0; IPFIX: template on queue 0, data on queue 1
send 1 --port 2055 --kind v9-template --sport 46000
send 0 --port 4739 --kind ipfix-template --sport 46001
nfxt_wait_dstat 'nfx_xsk_rx_frames_total{*' 2 || fail "the templates did not arrive"
q0a=$(q 0) q1a=$(q 1)
send 0 --port 2055 --kind v9-data --sport 46000 --messages 20 --records 10 --base 1000
send 1 --port 4739 --kind ipfix-data --sport 46001 --messages 20 --records 10 --base 2000
nfxt_wait_records 400 || fail "records: $(wc -l <"$OUT") of 400"
sleep 1.2	# the counters are written once a second
q0b=$(q 0) q1b=$(q 1)
tnf=$(nfxt_dstat nfx_decoder_template_not_found_total)
[ "$tnf" = 0 ] && ok "no data set waited for its template (template_not_found 0)" ||
	fail "template_not_found $tnf: a worker lacked the other's template"
if [ "$q0a" = 1 ] && [ "$q1a" = 1 ] && [ $((q0b - q0a)) = 20 ] && [ $((q1b - q1a)) = 20 ]; then
	ok "XPS steered each template and its data to different queues (q0 $q0a+$((q0b - q0a)), q1 $q1a+$((q1b - q1a)))"
else
	fail "queues got templates q0=$q0a q1=$q1a, then data q0=$((q0b - q0a)) q1=$((q1b - q1a)) (want 1 1 20 20): the test proves nothing"
fi

# a third exporter: IPFIX data first (queue 1, held), its template after (queue 0)
send 1 --port 4739 --kind ipfix-data --sport 46002 --messages 5 --records 10 --base 3000
nfxt_wait_dstat nfx_decoder_pending_buffered_total 5 ||
	fail "the data before its template was not held: pending_buffered $(nfxt_dstat nfx_decoder_pending_buffered_total)"
send 0 --port 4739 --kind ipfix-template --sport 46002
nfxt_wait_records 450 || fail "records: $(wc -l <"$OUT") of 450"
sleep 1.2
rep=$(nfxt_dstat nfx_decoder_templates_replayed_total)
held=$(nfxt_dstat nfx_decoder_pending_records_decoded_total)
[ "$rep" = 3 ] && ok "3 template messages replayed to the other worker" ||
	fail "templates_replayed $rep, want 3"
[ "$held" = 50 ] && ok "the other worker's template released the 50 held records" ||
	fail "pending_records_decoded $held, want 50"
nfxt_stop || fail "nfxdp exit status $?"

python3 - "$OUT" <<'PY' && ok "450 records, each once" || fail "records wrong"
import collections, json, sys
seen = collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)
    seen[(r["type"], r["bytes"])] += 1
# nfsend: record i carries bytes 100 + i
want = {("netflow9", 100 + i) for i in range(1000, 1200)} | \
       {("ipfix", 100 + i) for i in range(2000, 2200)} | {("ipfix", 100 + i) for i in range(3000, 3050)}
bad = [k for k in want if seen[k] != 1] + [k for k in seen if k not in want]
if bad:
    print("# records not seen exactly once: %s" % sorted(bad)[:8])
    sys.exit(1)
PY

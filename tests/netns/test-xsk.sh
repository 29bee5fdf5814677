#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-xsk.sh - the XDP + AF_XDP path end to end: nfxdp attaches to a
# 2-queue veth in the collector netns, the exporter netns sends NetFlow v5,
# v9 (template + data) and IPFIX from many source ports; every record must
# reach the NDJSON with its fields, the XDP program must have redirected
# them, both RX queues' sockets must have received frames, and on exit the
# program and its pins must be gone.  With 2 CPUs each queue has a worker
# thread and both must have decoded records, with reverse DNS on (one
# resolver shared by both workers; no server answers, so lookups only miss);
# then the same with --workers 1 (one thread serving both queues), then with
# --busy-poll.
source "$(dirname "$0")/lib.sh"

nfxt_setup || { fail "netns/veth setup"; exit 1; }
nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" --rdns --rdns-server 127.0.0.1:9 ||
	{ fail "nfxdp run did not start"; exit 1; }

# 16 source ports: the sender's TX queue, hence our RX queue, follows the socket
nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v5 --messages 40 --records 3 \
	--sockets 16 --sport 41000
nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v9 --messages 32 --records 4 \
	--sockets 16 --sport 42000
nfxt_e $NFSEND --dst "$IP_C" --port 4739 --kind ipfix --messages 32 --records 4 \
	--sockets 16 --sport 43000
nfxt_wait_records $((120 + 128 + 128)) 10

for t in "netflow5 120" "netflow9 128" "ipfix 128"; do
	set -- $t
	if why=$(nfxt_check_records "$1" 0 "$2"); then ok "$1 records"; else fail "$1: $why"; fi
done

red=$(nfxt_stat v5 redirected)
red9=$(nfxt_stat v9 redirected)
redx=$(nfxt_stat ipfix redirected)
if [ "${red:-0}" -ge 40 ] && [ "${red9:-0}" -ge 32 ] && [ "${redx:-0}" -ge 32 ]; then
	ok "redirected v5=$red v9=$red9 ipfix=$redx"
else
	fail "nfx_stats redirected v5=$red v9=$red9 ipfix=$redx, want 40/32/32"
fi
pins=$(ls "$PIN_DIR" 2>/dev/null | wc -l)
[ "$pins" -ge 3 ] || fail "maps not pinned in $PIN_DIR"

# frames per RX queue, from the daemon's counters (rewritten every second)
nfxt_wait_dstat 'nfx_xsk_rx_frames_total{*' 104 5
q0=$(nfxt_dstat 'nfx_xsk_rx_frames_total{queue="0"}')
q1=$(nfxt_dstat 'nfx_xsk_rx_frames_total{queue="1"}')
info "frames per RX queue: q0=${q0:-?} q1=${q1:-?}"
if [ "${q0:-0}" -gt 0 ] && [ "${q1:-0}" -gt 0 ]; then
	ok "both RX queues received (q0=$q0 q1=$q1)"
else
	fail "queue spread: q0=${q0:-none} q1=${q1:-none}"
fi
[ $((q0 + q1)) -eq 104 ] || fail "sockets got $((q0 + q1)) frames, sent 104"

# one worker thread per RX queue where there are CPUs for them
w0=$(nfxt_dstat 'nfx_worker_records_total{worker="0"}')
w1=$(nfxt_dstat 'nfx_worker_records_total{worker="1"}')
if [ "$(nproc)" -lt 2 ]; then
	info "one CPU: one worker for both queues"
elif [ "${w0:-0}" -gt 0 ] && [ "${w1:-0}" -gt 0 ] && [ $((w0 + w1)) -eq 376 ]; then
	ok "a worker thread per RX queue, both decoded (w0=$w0 w1=$w1 records)"
else
	fail "workers: w0=${w0:-none} w1=${w1:-none}, want both > 0 and 376 in all"
fi

# both workers enriched every record through the one resolver: two lookups each
nfxt_wait_dstat nfx_rdns_lookups_total $((2 * 376)) 5
lk=$(nfxt_dstat nfx_rdns_lookups_total)
if [ "${lk:-0}" -eq $((2 * 376)) ]; then
	ok "reverse DNS with 2 workers: $lk lookups, 2 per record"
else
	fail "reverse DNS with 2 workers: ${lk:-no} lookups, want $((2 * 376))"
fi

nfxt_stop; rc=$?
[ "$rc" -eq 0 ] && ok "exit status 0" || fail "nfxdp exited with $rc"

nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" --workers 1 || { fail "--workers 1 did not start"; exit 1; }
nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v5 --messages 40 --records 3 \
	--sockets 16 --sport 44000
nfxt_e $NFSEND --dst "$IP_C" --port 4739 --kind ipfix --messages 32 --records 4 \
	--sockets 16 --sport 45000
nfxt_wait_records $((120 + 128)) 10
nfxt_wait_dstat 'nfx_worker_records_total{*' 248 5
w0=$(nfxt_dstat 'nfx_worker_records_total{worker="0"}')
w1=$(nfxt_dstat 'nfx_worker_records_total{worker="1"}')
nfxt_stop; rc=$?
if why=$(nfxt_check_records netflow5 0 120) && why=$(nfxt_check_records ipfix 0 128) &&
	[ "$rc" -eq 0 ] && [ "${w0:-0}" -eq 248 ] && [ -z "$w1" ]; then
	ok "--workers 1: one thread serves both queues, all 248 records"
else
	fail "--workers 1: rc=$rc ${why:-} worker 0: ${w0:-none} records, worker 1: ${w1:-none}"
fi

# busy polling: the sockets get the options (read back from the kernel), a
# worker thread serves both queues and every record arrives; idle, the
# worker sleeps in poll() instead of spinning
nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" --workers 1 --busy-poll 50 ||
	{ fail "--busy-poll did not start"; exit 1; }
nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v5 --messages 40 --records 3 \
	--sockets 16 --sport 46000
nfxt_wait_records 120 10
nfxt_wait_dstat 'nfx_worker_records_total{*' 120 5
us=$(nfxt_dstat 'nfx_xsk_busy_poll_usecs{*')
prefer=$(nfxt_dstat 'nfx_xsk_prefer_busy_poll{*')
wtid=$(grep -l '^nfxdp-w0$' /proc/"$NFXDP_PID"/task/*/comm 2>/dev/null | head -1 | cut -d/ -f5)
asleep=0
for _ in $(seq 1 20); do
	[ -n "$wtid" ] && [ "$(awk '{ print $3 }' /proc/"$NFXDP_PID"/task/"$wtid"/stat)" = S ] &&
		asleep=$((asleep + 1))
	sleep 0.05
done
nfxt_stop; rc=$?
if why=$(nfxt_check_records netflow5 0 120) && [ "$rc" -eq 0 ] && [ "${us:-0}" -eq 100 ] &&
	[ "${prefer:-0}" -eq 2 ] && grep -q "busy polling, 50 us, 64 packets per poll" "$ERR"; then
	ok "--busy-poll 50: SO_BUSY_POLL 50 us and SO_PREFER_BUSY_POLL on both sockets, all 120 records"
else
	fail "--busy-poll: rc=$rc ${why:-} usecs summed over 2 queues ${us:-none} (want 100)," \
		"prefer_busy_poll ${prefer:-none} (want 2), log: $(grep -i busy "$ERR")"
fi
if [ -n "$wtid" ] && [ "$asleep" -gt 0 ]; then
	ok "--busy-poll: the idle worker thread sleeps ($asleep of 20 samples)"
else
	fail "--busy-poll: worker thread ${wtid:-not found}, asleep in $asleep of 20 samples while idle"
fi

if nfxt_c ip link show dev "$IF_C" | grep -q "prog/xdp"; then
	fail "XDP program still attached after exit"
elif [ -e "$PIN_DIR" ]; then
	fail "pins left in $PIN_DIR: $(ls "$PIN_DIR")"
else
	ok "detached and unpinned on exit"
fi
exit $NFXT_FAILED

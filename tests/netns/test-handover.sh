#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-handover.sh - live hand-over (`nfxdp run --takeover`, README
# "Restarts"): an exporter sends v9 and IPFIX data sets at a steady rate
# (templates once, at the start) while five daemons in a row take the
# interface over from each other.  Every record sent is written exactly
# once by one of them, no daemon misses a template (each starts from its
# predecessor's state), the XDP program keeps its id, and every old daemon
# exits by itself.  A successor that fails leaves the old one collecting,
# and a second daemon started without --takeover is refused.
source "$(dirname "$0")/lib.sh"

nfxt_setup || { fail "netns/veth setup"; exit 1; }
ROUNDS=5
MSGS=2000		# per exporter, 30 records each, one every 2.5 ms or so: 5 s and more
RECS=30			# two exporters: 24,000 records/s at most; record ids (ports) < 63,535
# a sanitized daemon starts slower: the stream lasts longer, so that it spans every round
SEND_GAP=0.0025
[ "$NFXT_SANITIZED" = 1 ] && SEND_GAP=0.015 MSGS=1000
PIDS=()
NFXT_EXTRA_CLEANUP='for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done; sleep 0.5;
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done'

# start K [ARGS...]: daemon K, its output, counters and stderr of its own
start() {
	local k=$1

	shift
	nsenter --net="/run/netns/$NS_C" "$NFXDP" run --raw -i "$IF_C" --pin-dir "$PIN_DIR" \
		--state-dir "$WORK/state" -o "$WORK/out.$k" --stats-file "$WORK/s.$k" "$@" \
		2>"$WORK/err.$k" &
	PIDS[$k]=$!
	nfxt_wait_file "${PIDS[$k]}" "$WORK/s.$k"
}

# gone PID: it exited by itself within 10 s, status 0
gone() {
	local i

	for i in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	wait "$1"
}

start 0 || { fail "the first daemon did not start: $(tail -n 3 "$WORK/err.0")"; exit 1; }
prog=$(nfxt_prog_id)
nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v9-template --sport 44000 --no-connect
nfxt_e $NFSEND --dst "$IP_C" --port 4739 --kind ipfix-template --sport 44001 --no-connect
sleep 0.3
nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v9-data --sport 44000 --messages $MSGS \
	--records $RECS --gap $SEND_GAP --no-connect &
s1=$!
nfxt_e $NFSEND --dst "$IP_C" --port 4739 --kind ipfix-data --sport 44001 --messages $MSGS \
	--records $RECS --base 2000 --gap $SEND_GAP --no-connect &
s2=$!
t_send=$(date +%s.%N)

for k in $(seq 1 $ROUNDS); do
	sleep 0.4
	if ! start "$k" --takeover; then
		fail "round $k: the successor did not start: $(tail -n 3 "$WORK/err.$k")"
		break
	fi
	if gone "${PIDS[$((k - 1))]}"; then
		ok "round $k: daemon $((k - 1)) handed over and exited"
	else
		fail "round $k: daemon $((k - 1)) did not exit cleanly: $(tail -n 3 "$WORK/err.$((k - 1))")"
	fi
done
kill -0 $s1 2>/dev/null && kill -0 $s2 2>/dev/null &&
	ok "the exporters were sending through all $ROUNDS hand-overs" ||
	fail "the exporters finished before the last hand-over: the test proves less than it says"
t0=$SECONDS
wait $s1 $s2
info "exporters done $((SECONDS - t0)) s after the last hand-over;" \
	"$(echo "$(date +%s.%N) $t_send" | awk -v n=$((2 * MSGS * RECS)) '{ printf "%d records in %.1f s: %d/s", n, $1 - $2, n / ($1 - $2) }')"
sleep 0.5
[ "$(nfxt_prog_id)" = "$prog" ] && ok "the XDP program kept its id ($prog) through $ROUNDS hand-overs" ||
	fail "program id $prog -> $(nfxt_prog_id)"
kill -TERM "${PIDS[$ROUNDS]}"
wait "${PIDS[$ROUNDS]}"
# the first daemon attached the program: the last one detaches it, as the first would have
if [ "$(nfxt_prog_id)" = none ] && [ -z "$(ls -A "$PIN_DIR" 2>/dev/null)" ]; then
	ok "the last daemon's stop detached the program and removed the pins"
else
	fail "after the last daemon's stop: program $(nfxt_prog_id), pins: $(ls "$PIN_DIR" 2>/dev/null | paste -sd ' ')"
fi
cat "$WORK"/out.* >"$OUT"
sent=$((2 * MSGS * RECS))
written=$(wc -l <"$OUT")
if why=$(nfxt_check_records netflow9 0 $((MSGS * RECS))) &&
   why2=$(nfxt_check_records ipfix 2000 $((MSGS * RECS))) && [ "$written" -eq "$sent" ]; then
	ok "records sent $sent = records written $written, each once, over $((ROUNDS + 1)) daemons"
else
	fail "sent $sent, written $written; v9: ${why:-ok}; ipfix: ${why2:-ok}"
fi
miss=$(grep -ho 'template_not_found=[0-9]*' "$WORK"/err.* | grep -vc '=0$')
[ "$miss" = 0 ] && ok "no daemon missed a template" ||
	fail "$miss daemon(s) missed a template: $(grep -ho 'template_not_found=[0-9]*' "$WORK"/err.* | paste -sd ' ')"

# ---- a failed successor leaves the old daemon collecting -------------------

start 9 || { fail "daemon 9 did not start"; exit 1; }
# the successor cannot open its output: it fails after the old one released
nsenter --net="/run/netns/$NS_C" "$NFXDP" run --raw -i "$IF_C" --pin-dir "$PIN_DIR" \
	--state-dir "$WORK/state" -o "$WORK/no/such/dir/out" --stats-file none --takeover \
	2>"$WORK/err.bad"
rc=$?
grep -q "hand-over failed" "$WORK/err.9" && [ "$rc" -ne 0 ] && kill -0 "${PIDS[9]}" 2>/dev/null &&
	ok "a failed successor (exit $rc): '$(grep -m1 'hand-over failed' "$WORK/err.9" | cut -c8-)'" ||
	fail "failed successor: exit $rc, old: $(tail -n 2 "$WORK/err.9")"
: >"$WORK/out.9"
nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v9 --sport 44002 --messages 4 --records 3 \
	--base 7000 --no-connect
OUT=$WORK/out.9 nfxt_wait_records 12 10 && ok "the old daemon collects after the failed hand-over" ||
	fail "after the failed hand-over: $(wc -l <"$WORK/out.9") of 12 records"

# ---- a second daemon without --takeover is refused -------------------------

nsenter --net="/run/netns/$NS_C" timeout 10 "$NFXDP" run --raw -i "$IF_C" --pin-dir "$PIN_DIR" \
	--state-dir none -o /dev/null --stats-file none 2>"$WORK/err.second"
rc=$?
grep -q "already runs on $IF_C.*--takeover" "$WORK/err.second" && [ "$rc" -ne 0 ] &&
	[ "$rc" -ne 124 ] && ok "a second daemon without --takeover: refused, exit $rc" ||
	fail "second daemon: exit $rc: $(tail -n 2 "$WORK/err.second")"
kill -TERM "${PIDS[9]}"
wait "${PIDS[9]}"
exit $NFXT_FAILED

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-reconcile.sh - design §6 live: `nfxdp run -i IF -c FILE` and the file
# rewritten under it while an exporter sends.
#  - a listener moved 2055 -> 2056: the XDP program id and the AF_XDP
#    socket inodes stay the same, the new port's records arrive without a
#    gap from the change on (and every packet sent once the reload counts
#    as applied is decoded), and the old port's packets reach a plain UDP
#    socket byte for byte without the XDP program counting them;
#  - enabled: false empties the port map (traffic to the stack, uncounted,
#    no records); true again brings records back;
#  - an allow-list without the exporter: its packets are counted as
#    not_allowed and give no records; widened again: records resume;
#  - a half-written file: rejected, collection unchanged; a good file after
#    it is applied again;
#  - SIGHUP with the file unchanged: a reload that changes nothing.
# A reload is seen in nfx_config_reloads_total{result=...} (the daemon's
# stats file), not in the log lines people read.
source "$(dirname "$0")/lib.sh"

command -v bpftool >/dev/null || skip "bpftool not installed"
nfxt_setup || { fail "netns/veth setup"; exit 1; }
CFG=$WORK/nfxdp.json
nfxt_write_config "$CFG" <<'EOF'
{ "listeners": [ { "flow_type": "netflow5", "port": 2055 } ] }
EOF
nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" -c "$CFG" || { fail "nfxdp run did not start"; exit 1; }
NFXT_EXTRA_CLEANUP='[ -n "${SENDERS:-}" ] && kill $SENDERS 2>/dev/null; [ -n "${NFXT_RECV_PID:-}" ] && kill $NFXT_RECV_PID 2>/dev/null'

prog0=$(nfxt_prog_id)
xsk0=$(nfxt_xsk_inodes)
ports0=$(nfxt_ports_map)
info "program id $prog0, AF_XDP sockets [$xsk0], ports [$ports0]"
[ "$(wc -w <<<"$xsk0")" -eq 2 ] || fail "want 2 AF_XDP sockets (2 RX queues), found [$xsk0]"
[ "$ports0" = "2055:$(cut -d: -f2 <<<"$ports0")" ] || fail "port map [$ports0], want 2055 only"

# none_of BASE COUNT: no record numbered BASE..BASE+COUNT-1 in the output
none_of() {
	[ -z "$(nfxt_indices netflow5 "$1" $(($1 + $2)))" ]
}
# still_same WHAT: program and AF_XDP sockets as at the start
still_same() {
	local p x
	p=$(nfxt_prog_id)
	x=$(nfxt_xsk_inodes)
	if [ "$p" = "$prog0" ] && [ "$x" = "$xsk0" ]; then
		ok "$1: program id $p and AF_XDP sockets [$x] unchanged"
	else
		fail "$1: program id $prog0 -> $p, AF_XDP sockets [$xsk0] -> [$x]"
	fi
}

nfxt_send_v5 2055 0 10
nfxt_expect_records 0 10 "records on 2055 before any change"

# ---- 1. move the listener 2055 -> 2056 while two exporters send ----
# one exporter per port, a message every 20 ms; the file changes mid-stream
N=150
red0=$(nfxt_stat v5 redirected)
nfxt_send_v5 2055 1000 $N --gap 0.02 --sport 41000 --log "$WORK/sent.log" &
SENDERS=$!
nfxt_send_v5 2056 2000 $N --gap 0.02 --sport 42000 --log "$WORK/sent.log" &
SENDERS="$SENDERS $!"
# the change goes in once the old port is seen flowing
for _ in $(seq 1 100); do
	[ -n "$(nfxt_indices netflow5 1000 1010)" ] && break
	sleep 0.1
done
applied=$(nfxt_reloads applied)
nfxt_write_config "$CFG" <<'EOF'
{ "listeners": [ { "flow_type": "netflow5", "port": 2056 } ] }
EOF
if nfxt_reloaded applied "$applied"; then
	ok "move applied (reloads applied $applied -> $(nfxt_reloads applied)); log: $(grep -E 'listener 2055 -> 2056' "$ERR" | tail -n 1)"
else
	fail "no reload applied after the file changed"
fi
# the first packets once the change is in force: every one a record
nfxt_send_v5 2056 3000 10 --sport 43000
wait $SENDERS
SENDERS=
nfxt_expect_records 3000 10 "new port 2056: all 10 messages sent right after the change decoded"
[ "$(nfxt_ports_map | cut -d: -f1)" = 2056 ] && ok "port map now holds 2056 only" ||
	fail "port map after the move: [$(nfxt_ports_map)]"

# every message the XDP program redirected during the move is a record
count_move() {
	echo $(($(nfxt_indices netflow5 1000 $((1000 + N)) | wc -l) +
		$(nfxt_indices netflow5 2000 $((2000 + N)) | wc -l) + 10))
}
red=$(($(nfxt_stat v5 redirected) - red0))
for _ in $(seq 1 50); do
	[ "$(count_move)" -ge "$red" ] && break
	sleep 0.1
done
got=$(count_move)
[ "$red" -eq "$got" ] && ok "records lost: 0 ($red messages redirected during the move, $got records)" ||
	fail "$red messages redirected during the move but $got records decoded"
# no gap: 2055 gave a prefix of its stream, 2056 a suffix, each without holes
python3 - "$WORK/gap.txt" $N \
	<(nfxt_indices netflow5 1000 $((1000 + N))) <(nfxt_indices netflow5 2000 $((2000 + N))) <<'EOF'
import sys
out, n = sys.argv[1], int(sys.argv[2])
old = [int(x) - 1000 for x in open(sys.argv[3])]
new = [int(x) - 2000 for x in open(sys.argv[4])]
bad = []
if old != list(range(len(old))):
    bad.append("old port 2055: records %s are not a gapless prefix 0..k" % old[:20])
if new != list(range(n - len(new), n)):
    bad.append("new port 2056: records %s are not a gapless suffix k..%d" % (new[:20], n - 1))
if not old or not new:
    bad.append("change not mid-stream: %d records via 2055, %d via 2056" % (len(old), len(new)))
open(out, "w").write("old port 0..%d, new port %d..%d\n" % (len(old) - 1, n - len(new), n - 1)
                     if not bad else "; ".join(bad) + "\n")
sys.exit(1 if bad else 0)
EOF
rc=$?
if [ $rc -eq 0 ]; then ok "no gap across the move ($(cat "$WORK/gap.txt"))"; else fail "$(cat "$WORK/gap.txt")"; fi
still_same "after the move"

# the old port: untouched, to a plain UDP socket (nfxdp closed its own)
pk0=$(nfxt_stat_sum packets)
if nfxt_udp_recv_start 2055 "$WORK/recv.bin" 5; then
	nfxt_send_exact 2055 "$WORK/sent.bin" v5 5000 5
	wait "$NFXT_RECV_PID"
	NFXT_RECV_PID=
	if cmp -s "$WORK/sent.bin" "$WORK/recv.bin"; then
		ok "old port 2055: a UDP socket got the 5 v5 messages byte for byte ($(stat -c %s "$WORK/recv.bin") bytes)"
	else
		fail "old port 2055: sent $(stat -c %s "$WORK/sent.bin") bytes, UDP socket got $(stat -c %s "$WORK/recv.bin" 2>/dev/null || echo 0), or different"
	fi
	pk=$(nfxt_stat_sum packets)
	[ "$pk" = "$pk0" ] && ok "old port's packets not counted by XDP (packets stays $pk)" ||
		fail "XDP packets counter $pk0 -> $pk for traffic to the old port"
	none_of 5000 5 && ok "old port's packets gave no records" || fail "records from the old port"
else
	fail "cannot bind a UDP socket on the old port 2055 (nfxdp still holds it?)"
	NFXT_RECV_PID=
fi

# ---- 2. enabled: false, then true ----
applied=$(nfxt_reloads applied)
nfxt_write_config "$CFG" <<'EOF'
{ "enabled": false, "listeners": [ { "flow_type": "netflow5", "port": 2056 } ] }
EOF
nfxt_reloaded applied "$applied" || fail "enabled: false not applied"
pm=$(nfxt_ports_map)
[ -z "$pm" ] && ok "enabled: false empties the port map" || fail "enabled: false, port map [$pm]"
pk0=$(nfxt_stat_sum packets)
if nfxt_udp_recv_start 2056 "$WORK/recv2.bin" 5; then
	nfxt_send_exact 2056 "$WORK/sent2.bin" v5 6000 5
	wait "$NFXT_RECV_PID"
	NFXT_RECV_PID=
	cmp -s "$WORK/sent2.bin" "$WORK/recv2.bin" && ok "disabled: packets to 2056 go to the stack untouched" ||
		fail "disabled: the stack's UDP socket on 2056 did not get the exact datagrams"
else
	fail "disabled: cannot bind a UDP socket on 2056 (nfxdp still holds it?)"
	NFXT_RECV_PID=
fi
pk=$(nfxt_stat_sum packets)
[ "$pk" = "$pk0" ] && ok "disabled: XDP counts nothing (packets stays $pk)" ||
	fail "disabled: XDP packets counter $pk0 -> $pk"
none_of 6000 5 && ok "disabled: no records" || fail "disabled: records were produced"
still_same "after enabled: false"

applied=$(nfxt_reloads applied)
nfxt_write_config "$CFG" <<'EOF'
{ "enabled": true, "listeners": [ { "flow_type": "netflow5", "port": 2056 } ] }
EOF
nfxt_reloaded applied "$applied" || fail "enabled: true not applied"
[ "$(nfxt_ports_map | cut -d: -f1)" = 2056 ] || fail "enabled again, port map [$(nfxt_ports_map)]"
nfxt_send_v5 2056 7000 10
nfxt_expect_records 7000 10 "enabled: true again, records resume"

# ---- 3. allow-list without the exporter, then with it ----
na0=$(nfxt_stat_sum not_allowed)
applied=$(nfxt_reloads applied)
nfxt_write_config "$CFG" <<'EOF'
{ "listeners": [ { "flow_type": "netflow5", "port": 2056 } ],
  "exporter_allowlist": [ "10.99.0.0/16", "192.0.2.1" ] }
EOF
nfxt_reloaded applied "$applied" || fail "narrowed allow-list not applied"
nfxt_send_v5 2056 8000 8
if nfxt_wait_stat other not_allowed $((na0 + 8)) 10; then
	ok "narrowed allow-list: 8 packets counted as not_allowed"
else
	fail "narrowed allow-list: not_allowed $na0 -> $(nfxt_stat_sum not_allowed), want +8"
fi
# the last good one sent after them: what it yields shows the others were dropped
applied=$(nfxt_reloads applied)
nfxt_write_config "$CFG" <<'EOF'
{ "listeners": [ { "flow_type": "netflow5", "port": 2056 } ],
  "exporter_allowlist": [ "10.99.0.0/16", "10.231.0.0/24" ] }
EOF
nfxt_reloaded applied "$applied" || fail "widened allow-list not applied"
nfxt_send_v5 2056 9000 10
nfxt_expect_records 9000 10 "widened allow-list, records resume"
none_of 8000 8 && ok "narrowed allow-list: no records from the excluded exporter" ||
	fail "records from the excluded exporter: $(nfxt_indices netflow5 8000 8008 | tr '\n' ' ')"
na=$(nfxt_stat_sum not_allowed)
[ "$na" -eq $((na0 + 8)) ] || fail "not_allowed $na0 -> $na after widening, want +8"

# ---- 4. a half-written file ----
pm0=$(nfxt_ports_map)
rejected=$(nfxt_reloads rejected)
printf '{ "listeners": [ { "flow_type": "netflow5", "port": 20' >"$CFG"
if nfxt_reloaded rejected "$rejected"; then
	ok "broken file rejected: $(grep 'stays in force' "$ERR" | tail -n 1 | cut -c1-150)"
else
	fail "broken file not rejected"
fi
nfxt_send_v5 2056 10000 10
nfxt_expect_records 10000 10 "broken file: collection continues"
[ "$(nfxt_ports_map)" = "$pm0" ] && ok "broken file: port map unchanged [$pm0]" ||
	fail "broken file: port map [$pm0] -> [$(nfxt_ports_map)]"
still_same "after the broken file"
# and the next good file is applied: back to 2055
applied=$(nfxt_reloads applied)
nfxt_write_config "$CFG" <<'EOF'
{ "listeners": [ { "flow_type": "netflow5", "port": 2055 } ] }
EOF
nfxt_reloaded applied "$applied" || fail "good file after the broken one not applied"
nfxt_send_v5 2055 11000 10
nfxt_expect_records 11000 10 "good file after the broken one applied (back on 2055)"
still_same "at the end"

# SIGHUP re-reads an unchanged file: nothing changes, nothing stops
unchanged=$(nfxt_reloads unchanged)
applied=$(nfxt_reloads applied)
kill -HUP "$NFXDP_PID"
nfxt_reloaded unchanged "$unchanged" || fail "SIGHUP: no reload counted as unchanged"
nfxt_send_v5 2055 12000 10
nfxt_expect_records 12000 10 "SIGHUP with the file unchanged: collection continues"
[ "$(nfxt_reloads applied)" -eq "$applied" ] ||
	fail "SIGHUP with an unchanged file applied a configuration change"
still_same "after SIGHUP"

nfxt_stop; rc=$?
[ "$rc" -eq 0 ] && ok "exit status 0" || fail "nfxdp exited with $rc"
exit $NFXT_FAILED

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-restart.sh - what a restart keeps (README "Restarts"): the state file
# brings the v9 and IPFIX templates back, so that after a stop/start, and
# after kill -9 and a start, every data set decodes at once, although the
# exporter sends no template again; the state directory and file are the
# daemon's alone (0700/0600); while no process holds a socket the XDP
# program, left attached by kill -9, counts what it delivered to no AF_XDP
# socket (no_socket), and the next daemon adopts that same program; a
# damaged state file is refused with one line and a counter, and the daemon
# collects anyway; a state directory it cannot write stops it at setup.
source "$(dirname "$0")/lib.sh"

nfxt_setup || { fail "netns/veth setup"; exit 1; }
STATE=$WORK/state
SF=$STATE/$IF_C.state

# send KIND SPORT MESSAGES RECORDS BASE: v9 and IPFIX from fixed source ports
# (templates are scoped by them), unconnected (an ICMP error from a gap must
# not fail the next send); records numbered from BASE.
send() {
	nfxt_e $NFSEND --dst "$IP_C" --port "$([ "${1%%-*}" = ipfix ] && echo 4739 || echo 2055)" \
		--kind "$1" --sport "$2" --messages "$3" --records "$4" --base "$5" --no-connect
}

# data_only_decodes WHAT BASE: 4 v9 + 4 IPFIX data-only messages, 3 records
# each, all decoded, no template missed.
data_only_decodes() {
	local what=$1 base=$2 miss

	send v9-data 43000 4 3 "$base"
	send ipfix-data 43001 4 3 $((base + 100))
	nfxt_wait_records 24 10
	miss=$(nfxt_dstat 'nfx_decoder_template_not_found_total')
	if why=$(nfxt_check_records netflow9 "$base" 12) &&
	   why2=$(nfxt_check_records ipfix $((base + 100)) 12) && [ "${miss:-x}" = 0 ]; then
		ok "$what: every data set decoded without a template (24 records, 0 missed)"
	else
		fail "$what: template_not_found=$miss; v9: ${why:-ok}; ipfix: ${why2:-ok}"
	fi
}

# ---- 1. templates learned, then a stop/start with a pause ------------------

nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" || { fail "nfxdp run did not start"; exit 1; }
send v9 43000 2 3 0
send ipfix 43001 2 3 100
nfxt_wait_records 12 10 || fail "first records: $(wc -l <"$OUT") of 12"
nfxt_stop || fail "nfxdp exited with $?"
modes=$(stat -c '%a' "$STATE" "$SF" 2>/dev/null | paste -sd ' ')
[ "$modes" = "700 600" ] && ok "state directory 0700, state file 0600" ||
	fail "state directory and file modes: '$modes', want '700 600'"
# longer than any refresh this exporter does (it sends none), and than a tick
sleep 1.5
nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" || { fail "nfxdp did not start again"; exit 1; }
grep -q "state file .*: 2 template(s)" "$ERR" && ok "stop/start: 2 templates taken back" ||
	fail "stop/start: no 'state file ...: 2 template(s)' line: $(grep state "$ERR")"
data_only_decodes "stop/start" 1000

# ---- 2. kill -9: the periodic file; the program stays and counts the gap ---

# the templates this process holds reach a new file within its 5 s period
rm -f "$SF"
nfxt_wait_file "$NFXDP_PID" "$SF" || sleep 3
[ -e "$SF" ] || fail "no periodic state write"
prog=$(nfxt_prog_id)
kill -KILL "$NFXDP_PID"
wait "$NFXDP_PID" 2>/dev/null
NFXDP_PID=
# the kernel takes a dead process's sockets out of the map on its own time:
# a probe datagram at a time until one finds none (5 s at most)
for _ in $(seq 1 50); do
	before=$(nfxt_stat v9 no_socket)
	send v9-data 43000 1 1 4999
	sleep 0.1
	[ "$(nfxt_stat v9 no_socket)" -gt "$before" ] && break
done
before=$(nfxt_stat v9 no_socket)
rbefore=$(nfxt_stat v9 redirected) pbefore=$(nfxt_stat v9 packets)
send v9-data 43000 5 1 5000
for _ in $(seq 1 50); do	# the veth delivers after nfsend returns
	after=$(nfxt_stat v9 no_socket)
	[ $((after - before)) -ge 5 ] && break
	sleep 0.1
done
[ $((after - before)) -eq 5 ] && ok "no daemon: no_socket counted the 5 datagrams of the gap" ||
	fail "no_socket moved by $((after - before)) ($before -> $after), want 5;" \
		"redirected +$(($(nfxt_stat v9 redirected) - rbefore)) packets +$(($(nfxt_stat v9 packets) - pbefore))"
nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" || { fail "nfxdp did not start after kill -9"; exit 1; }
[ "$(nfxt_prog_id)" = "$prog" ] && ok "kill -9 and start: the same XDP program ($prog) adopted" ||
	fail "program id $prog -> $(nfxt_prog_id)"
grep -q "state file .*: 2 template(s)" "$ERR" && ok "kill -9: 2 templates from the periodic file" ||
	fail "kill -9: no 'state file ...: 2 template(s)' line: $(grep state "$ERR")"
data_only_decodes "kill -9 and start" 2000
nfxt_stop

# ---- 3. a damaged file is refused; the daemon collects anyway --------------

printf 'NFXDPST\n\0\0\0\1garbage' >"$SF"
chmod 600 "$SF"
nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" || { fail "nfxdp did not start with a bad state file"; exit 1; }
lines=$(grep -c "state file .* refused" "$ERR")
refused=$(nfxt_dstat 'nfx_decoder_state_files_refused_total')
[ "$lines" = 1 ] && [ "$refused" = 1 ] && ok "a damaged state file: one line, counted, collecting" ||
	fail "damaged state file: $lines lines, refused counter $refused"
send v9 43000 1 2 3000
nfxt_wait_records 2 10 && ok "collects after refusing the file" || fail "no records after a refused file"
nfxt_stop

# ---- 4. a state directory it cannot write: one line, non-zero exit ---------

: >"$WORK/notadir"
nfxt_c timeout 10 "$NFXDP" run -i "$IF_C" --pin-dir "$PIN_DIR" --state-dir "$WORK/notadir/sub" \
	-o /dev/null --stats-file none 2>"$WORK/ro.err"
rc=$?
n=$(grep -c "state directory" "$WORK/ro.err")
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$n" = 1 ] &&
	ok "unusable state directory: exit $rc, '$(grep "state directory" "$WORK/ro.err")'" ||
	fail "unusable state directory: exit $rc, $n lines: $(tail -n 3 "$WORK/ro.err")"
exit $NFXT_FAILED

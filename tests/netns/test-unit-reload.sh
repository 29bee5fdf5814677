#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-unit-reload.sh - the systemd unit's reload and upgrade path, with the
# unit's own ExecStart and ExecReload lines (dist/nfxdp@.service, paths
# replaced by the test's), run as the unit runs them (an unprivileged user
# with the unit's ambient capabilities, no new privileges, its runtime
# directory in $RUNTIME_DIRECTORY) and systemd's side of the notify protocol
# played by tests/tools/notify_listen.py: `systemctl reload` of a daemon whose
# binary is on disk reloads its configuration in place; after an upgrade
# (the daemon runs a binary that is no longer the one on disk) it hands the
# interface over live to the new binary, which names itself the main
# process before the old one exits.  Every record an exporter sends through
# the upgrade is written once, the metrics port is served throughout, and a
# successor that fails leaves the old daemon collecting and the reload failed.
source "$(dirname "$0")/lib.sh"

UNIT=$NFXT_ROOT/dist/nfxdp@.service
start_line=$(sed -n 's|^ExecStart=/usr/sbin/nfxdp run ||p' "$UNIT")
reload_line=$(sed -n 's|^ExecReload=/usr/sbin/nfxdp reload --pid \$MAINPID ||p' "$UNIT")
if [ -n "$start_line" ] && [ "$start_line" = "$reload_line" ] && grep -qx 'NotifyAccess=exec' "$UNIT"; then
	ok "unit: ExecReload is 'nfxdp reload --pid \$MAINPID' with ExecStart's options, NotifyAccess=exec"
else
	fail "unit: ExecStart '$start_line', ExecReload '$reload_line', $(grep NotifyAccess "$UNIT")"
	exit 1
fi

command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
# AmbientCapabilities=CAP_BPF CAP_PERFMON ... as setpriv wants them: +bpf,+perfmon,...
caps=$(sed -n 's/^AmbientCapabilities=//p' "$UNIT" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
AS_UNIT=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps="$caps"
	 --ambient-caps="$caps" --no-new-privs)
nfxt_setup || { fail "netns/veth setup"; exit 1; }
# the daemons write their output, state and stats file as the user they run as
chmod 0777 "$WORK"
mkdir -m 0755 "$WORK/run"
chown 65534:65534 "$WORK/run"
export RUNTIME_DIRECTORY=$WORK/run
MSGS=600		# per exporter, 30 records each, one every 5 ms or so: 3 s and more
RECS=30
MPORT=39255
PIDS=()
# a successor is no child of ours: found by its options too
NFXT_EXTRA_CLEANUP='pkill -TERM -f -- "run -i $IF_C " ; for p in "${PIDS[@]}" $LPID; do
	kill -TERM "$p" 2>/dev/null; done; sleep 0.5; pkill -KILL -f -- "run -i $IF_C ";
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done'

# The unit's options with this test's interface, configuration, pins and NFXDP_OPTS.
sed "s|/var/log/nfxdp/flows.ndjson|$OUT|" "$NFXT_ROOT/dist/nfxdp.json" >"$WORK/nfxdp.json"
unit_args() {
	local opts="--raw --state-dir $WORK/state --stats-file $STATS --metrics 127.0.0.1:$MPORT ${2:-}"

	sed -e "s|/run/nfxdp/bpf-%I|$PIN_DIR|g" -e "s|%I|$IF_C|g" \
		-e "s|/etc/nfxdp/nfxdp.json|$WORK/nfxdp.json|" -e "s|\$NFXDP_OPTS|$opts|" <<<"$1"
}
# the package's binary before the upgrade: the same code, another file
mkdir -m 0755 "$WORK/old"
cp "$NFXDP" "$WORK/old/nfxdp"

python3 "$NFXT_ROOT/tests/tools/notify_listen.py" "$WORK/notify" "$WORK/notify.log" 120 &
LPID=$!
for _ in $(seq 1 50); do [ -S "$WORK/notify" ] && break; sleep 0.1; done
export NOTIFY_SOCKET=$WORK/notify

# systemctl start: ExecStart
nsenter --net="/run/netns/$NS_C" "${AS_UNIT[@]}" "$WORK/old/nfxdp" run $(unit_args "$start_line") \
	2>"$WORK/err.0" &
PIDS[0]=$!
P1=${PIDS[0]}
# reload BIN PID [FLAGS [RUN-OPTIONS]]: systemctl reload, ExecReload with
# $MAINPID = PID, BIN the binary on disk then, FLAGS reload's own options
# (RPID: its pid, the unit's control process; bounded by a watchdog: 90 s)
reload() {
	local bin=$1 pid=$2 flags=${3:-} wd rc

	shift 2
	[ $# -gt 0 ] && shift
	nsenter --net="/run/netns/$NS_C" "${AS_UNIT[@]}" "$bin" reload --pid "$pid" \
		$flags $(unit_args "$reload_line" "$*") &
	RPID=$!
	{ sleep 90; kill -TERM "$RPID"; } </dev/null >/dev/null 2>&1 &
	wd=$!
	wait "$RPID"
	rc=$?
	kill "$wd" 2>/dev/null
	return $rc
}
# wait_log PATTERN: until the notify log has a line matching it (10 s at most)
wait_log() {
	for _ in $(seq 1 100); do
		grep -q "$1" "$WORK/notify.log" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
if ! wait_log "^msg $P1 READY=1"; then
	fail "the daemon did not say READY=1: $(tail -n 3 "$WORK/err.0")"
	exit 1
fi
ok "started as the unit starts it ($caps, uid 65534): READY=1 from the main process $P1"

# ---- reload, nothing replaced on disk: the configuration, in place ---------

n=$(grep -c "^msg $P1 RELOADING=1" "$WORK/notify.log")
reload "$WORK/old/nfxdp" "$P1" 2>"$WORK/err.reload1"
rc=$?
if [ "$rc" = 0 ] && wait_log "^msg $P1 RELOADING=1" && kill -0 "$P1" &&
   [ "$(grep -c "^msg $P1 RELOADING=1" "$WORK/notify.log")" -gt "$n" ] &&
   grep -q "reloads its configuration (SIGHUP)" "$WORK/err.reload1"; then
	ok "reload of an unchanged binary: SIGHUP, the same process reloads (RELOADING=1, READY=1)"
else
	fail "reload of an unchanged binary: exit $rc: $(tail -n 2 "$WORK/err.reload1")"
fi

# ---- upgrade: the binary on disk is another one, an exporter sends --------

nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v9-template --sport 44000 --no-connect
nfxt_e $NFSEND --dst "$IP_C" --port 4739 --kind ipfix-template --sport 44001 --no-connect
sleep 0.3
nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v9-data --sport 44000 --messages $MSGS \
	--records $RECS --gap 0.005 --no-connect &
s1=$!
nfxt_e $NFSEND --dst "$IP_C" --port 4739 --kind ipfix-data --sport 44001 --messages $MSGS \
	--records $RECS --base 32000 --gap 0.005 --no-connect &
s2=$!
sleep 0.5
reload "$NFXDP" "$P1" 2>"$WORK/err.reload2"
rc=$?
P2=$(sed -n 's/^main \([0-9]*\)$/\1/p' "$WORK/notify.log" | tail -n 1)
[ -n "$P2" ] && [ "$P2" != "$P1" ] && PIDS[1]=$P2
if [ "$rc" = 0 ] && [ -n "${PIDS[1]:-}" ] && kill -0 "$P2" && ! kill -0 "$P1" 2>/dev/null; then
	ok "upgrade: reload exit 0, main process $P1 -> $P2, $P1 exited ('$(grep -m1 'no longer on disk' "$WORK/err.reload2" | cut -c8-)')"
else
	fail "upgrade: reload exit $rc, main '$P2': $(tail -n 3 "$WORK/err.reload2")"
fi
# NotifyAccess=exec: systemd hears the main process and the control process only
unheard=$(awk -v c="$RPID" -v m="$P1" '/^main /{ m = $2 } /^msg / && $2 != m && $2 != c { print }' "$WORK/notify.log")
if grep -q "^msg $RPID MAINPID=$P2" "$WORK/notify.log" && [ -z "$unheard" ] &&
   [ "$(grep -n "^main $P2\$" "$WORK/notify.log" | cut -d: -f1)" -lt \
     "$(grep -n "^exit $P1\$" "$WORK/notify.log" | cut -d: -f1)" ] &&
   ! grep -q "^main-exit" "$WORK/notify.log" && ! grep -q "^msg $P1 .*STOPPING=1" "$WORK/notify.log"; then
	ok "the control process named the successor the main process before the old one exited; every message from the main or the control process; no STOPPING=1"
else
	fail "notify protocol (control process $RPID${unheard:+, unheard: $unheard}): $(paste -sd ' ' "$WORK/notify.log" | tail -c 400)"
fi
[ "$(stat -L -c %i "/proc/$P2/exe" 2>/dev/null)" = "$(stat -L -c %i "$NFXDP")" ] &&
	ok "the successor runs the binary on disk" ||
	fail "the successor runs $(readlink "/proc/$P2/exe")"
kill -0 $s1 2>/dev/null && kill -0 $s2 2>/dev/null &&
	ok "the exporters were sending through the upgrade" ||
	fail "the exporters finished before the upgrade: the test proves less than it says"
nfxt_metrics "$MPORT" | grep -q '^nfx_' && ok "metrics on port $MPORT from the successor" ||
	fail "no metrics on port $MPORT after the upgrade"
wait $s1 $s2
sleep 0.5
sent=$((2 * MSGS * RECS))
for _ in $(seq 1 50); do [ "$(wc -l <"$OUT")" -ge "$sent" ] && break; sleep 0.1; done
written=$(wc -l <"$OUT")
if why=$(nfxt_check_records netflow9 0 $((MSGS * RECS))) &&
   why2=$(nfxt_check_records ipfix 32000 $((MSGS * RECS))) && [ "$written" -eq "$sent" ]; then
	ok "records sent $sent = records written $written, each once, across the upgrade"
else
	fail "sent $sent, written $written; v9: ${why:-ok}; ipfix: ${why2:-ok}"
fi

# ---- a successor that fails: the reload fails, the old daemon collects on --

n=$(grep -c '^main ' "$WORK/notify.log")
reload "$NFXDP" "$P2" --handover -o "$WORK/no/such/dir/out" 2>"$WORK/err.reload3"
rc=$?
if [ "$rc" = 1 ] && kill -0 "$P2" && [ "$(grep -c '^main ' "$WORK/notify.log")" = "$n" ] &&
   grep -q "keeps collecting" "$WORK/err.reload3"; then
	ok "a failed successor: reload exit 1, '$(grep -m1 'keeps collecting' "$WORK/err.reload3" | cut -c8-)'"
else
	fail "failed successor: reload exit $rc: $(tail -n 2 "$WORK/err.reload3")"
fi
: >"$OUT"
nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v9 --sport 44002 --messages 4 --records 3 \
	--base 7000 --no-connect
nfxt_wait_records 12 10 && ok "the old daemon collects after the failed successor" ||
	fail "after the failed successor: $(wc -l <"$OUT") of 12 records"

"$NFXDP" reload -i "$IF_C" >/dev/null 2>&1
rc=$?
"$NFXDP" reload --pid "$P1" -i "$IF_C" 2>"$WORK/err.reload4"
rc2=$?
[ "$rc" = 2 ] && [ "$rc2" = 1 ] && grep -q "no process $P1" "$WORK/err.reload4" &&
	ok "reload without --pid: exit 2; of a process gone: exit 1" ||
	fail "reload usage: exit $rc without --pid, $rc2 for a process gone"

kill -TERM "$P2"
for _ in $(seq 1 100); do kill -0 "$P2" 2>/dev/null || break; sleep 0.1; done
if ! kill -0 "$P2" 2>/dev/null && wait_log "^msg $P2 .*STOPPING=1"; then
	ok "the successor stops on SIGTERM and says STOPPING=1"
else
	fail "the successor did not stop on SIGTERM, or said no STOPPING=1"
fi
# what the first daemon attached, the successor detaches (ExecStopPost removes the empty directory)
if [ "$(nfxt_prog_id)" = none ] && [ -z "$(ls -A "$PIN_DIR" 2>/dev/null)" ]; then
	ok "the successor's stop detached the program and removed the pins, unprivileged"
else
	fail "after the successor's stop: program $(nfxt_prog_id), pins: $(ls "$PIN_DIR" 2>/dev/null | paste -sd ' '): $(tail -n 2 "$WORK/err.reload2")"
fi
# ---- Restart=on-failure after kill -9: the unprivileged start adopts ------

nsenter --net="/run/netns/$NS_C" "${AS_UNIT[@]}" "$NFXDP" run $(unit_args "$start_line") \
	2>"$WORK/err.5" &
PIDS[5]=$!
wait_log "^msg ${PIDS[5]} READY=1" || fail "the daemon after the upgrade test did not start"
prog=$(nfxt_prog_id)
kill -KILL "${PIDS[5]}"
wait "${PIDS[5]}" 2>/dev/null
nsenter --net="/run/netns/$NS_C" "${AS_UNIT[@]}" "$NFXDP" run $(unit_args "$start_line") \
	2>"$WORK/err.6" &
PIDS[6]=$!
: >"$OUT"
if wait_log "^msg ${PIDS[6]} READY=1" && [ "$(nfxt_prog_id)" = "$prog" ] &&
   nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v9 --sport 44003 --messages 4 --records 3 \
	--base 8000 --no-connect && nfxt_wait_records 12 10; then
	ok "kill -9 and a start as the unit: program $prog adopted through its pin, 12 of 12 records"
else
	fail "restart after kill -9: program $prog -> $(nfxt_prog_id), $(wc -l <"$OUT") of 12 records: $(tail -n 2 "$WORK/err.6")"
fi
kill -TERM "${PIDS[6]}"
wait "${PIDS[6]}"

wait "$P1"
rc=$?
miss=$(grep -ho 'template_not_found=[0-9]*' "$WORK/err.0" "$WORK/err.reload2" | grep -vc '=0$')
[ "$rc" = 0 ] && [ "$miss" = 0 ] && grep -q 'template_not_found=' "$WORK/err.reload2" &&
	ok "the old daemon exited 0; neither daemon missed a template" ||
	fail "old daemon exit $rc; template misses: $(grep -ho 'template_not_found=[0-9]*' "$WORK/err.0" "$WORK/err.reload2" | paste -sd ' ')"
exit $NFXT_FAILED

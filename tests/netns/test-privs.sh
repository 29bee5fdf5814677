#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-privs.sh - least privilege (design §8): once set up, the daemon keeps
# CAP_NET_ADMIN (to detach its program at exit) and nothing else, as root,
# as --user, or started unprivileged with ambient capabilities the way the
# systemd unit starts it; it says what is missing when it cannot set up;
# and under `ip netns exec` (no bpffs) it runs without pins, and stats and
# detach find its program through the interface.
source "$(dirname "$0")/lib.sh"

NET_ADMIN=0000000000001000
SETUP_CAPS=+bpf,+perfmon,+net_admin,+net_raw,+ipc_lock
command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
nfxt_setup || { fail "netns/veth setup"; exit 1; }
# the daemon writes its output and stats file as the user it becomes
chmod 0777 "$WORK"

# status FIELD: the daemon's /proc status line FIELD, value only
status() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$NFXDP_PID/status"; }

# start PREFIX... -- ARGS...: nfxdp run in the collector netns behind PREFIX
# (setpriv ...), like nfxt_start
start() {
	local pre=()

	while [ "$1" != -- ]; do pre+=("$1"); shift; done
	shift
	rm -f "$OUT" "$STATS"
	nsenter --net="/run/netns/$NS_C" "${pre[@]}" "$NFXDP" run --raw --state-dir none "$@" -o "$OUT" \
		--stats-file "$STATS" 2>"$ERR" &
	NFXDP_PID=$!
	nfxt_wait_file "$NFXDP_PID" "$STATS"
}

# collect WHAT BASE: 10 v5 messages of 2 records from record BASE, all written
collect() {
	nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v5 --messages 10 --records 2 \
		--base "$2" --sport 41000 >/dev/null
	if nfxt_wait_records 20 10; then ok "$1: records collected"; else
		fail "$1: $(wc -l <"$OUT") of 20 records"; fi
}

# stopped WHAT: clean exit, program detached, pins removed
stopped() {
	local rc

	nfxt_stop
	rc=$?
	[ "$rc" -eq 0 ] || fail "$1: exit status $rc"
	if nfxt_c ip link show dev "$IF_C" 2>/dev/null | grep -q xdp; then
		fail "$1: the program is still attached after exit"
	elif [ -e "$PIN_DIR" ]; then
		fail "$1: pins left in $PIN_DIR: $(ls "$PIN_DIR")"
	else
		ok "$1: exit detached the program and removed the pins"
	fi
}

# caps WHAT UID: the daemon runs as UID with only CAP_NET_ADMIN and no way back
caps() {
	local uid eff bnd nnp

	uid=$(status Uid) eff=$(status CapEff) nnp=$(status NoNewPrivs)
	if [ "$uid" = "$2" ] && [ "$eff" = "$NET_ADMIN" ] && [ "$(status CapPrm)" = "$NET_ADMIN" ] &&
	   [ "$(status CapAmb)" = 0000000000000000 ] && [ "$nnp" = 1 ]; then
		ok "$1: uid $uid, CapEff $eff (cap_net_admin only), NoNewPrivs 1"
	else
		fail "$1: uid $uid CapEff $eff CapPrm $(status CapPrm) CapAmb $(status CapAmb)" \
			"NoNewPrivs $nnp; want uid $2, $NET_ADMIN"
	fi
}

# 1. root: stays uid 0 but keeps one capability, bounding set emptied
start -- -i "$IF_C" --pin-dir "$PIN_DIR" || { fail "run as root did not start"; exit 1; }
caps "root" 0
[ "$(status CapBnd)" = 0000000000000000 ] && ok "root: bounding set emptied" ||
	fail "root: CapBnd $(status CapBnd)"
collect "root" 0
stopped "root"

# 2. --user: setuid after setup; the files it writes are that user's
start -- -i "$IF_C" --pin-dir "$PIN_DIR" --user nobody ||
	{ fail "run --user nobody did not start"; exit 1; }
caps "--user nobody" 65534
[ "$(stat -c %U "$OUT")" = nobody ] && ok "--user nobody: output created by nobody" ||
	fail "--user nobody: output owned by $(stat -c %U "$OUT")"
collect "--user nobody" 100
stopped "--user nobody"

# 3. unprivileged with ambient capabilities, as nfxdp@.service starts it
start setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps="$SETUP_CAPS" \
	--ambient-caps="$SETUP_CAPS" -- -i "$IF_C" --pin-dir "$PIN_DIR" ||
	{ fail "run with ambient capabilities did not start: $(tail -n 2 "$ERR")"; exit 1; }
caps "ambient capabilities" 65534
collect "ambient capabilities" 200
stopped "ambient capabilities"

# 4. what is missing is named; nothing is left behind
nfxt_c setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+bpf --ambient-caps=+bpf \
	"$NFXDP" run -i "$IF_C" --pin-dir "$PIN_DIR" -o /dev/null --stats-file none \
	--state-dir none 2>"$WORK/e"
rc=$?
if [ "$rc" -eq 1 ] && grep -q "missing: CAP_PERFMON CAP_NET_ADMIN CAP_NET_RAW" "$WORK/e"; then
	ok "missing capabilities named, exit 1"
else
	fail "missing capabilities: exit $rc, $(tail -n 1 "$WORK/e")"
fi
nfxt_c "$NFXDP" run -i "$IF_C" --user root -o /dev/null --stats-file none --state-dir none \
	2>"$WORK/e"
rc=$?
[ "$rc" -eq 1 ] && grep -q "is root" "$WORK/e" && ok "--user root refused" ||
	fail "--user root: exit $rc, $(tail -n 1 "$WORK/e")"
nfxt_c ip link show dev "$IF_C" 2>/dev/null | grep -q xdp && fail "a refused start left the program attached"

# 5. --udp needs no capability at all after setup
start -- --udp -p 2055 --bind "$IP_C" || { fail "run --udp did not start"; exit 1; }
[ "$(status CapEff)" = 0000000000000000 ] && ok "--udp: CapEff 0" ||
	fail "--udp: CapEff $(status CapEff)"
collect "--udp" 300
nfxt_stop || fail "--udp: exit status $?"

# 6. `ip netns exec` gives nfxdp a /sys without bpffs: no pins, found by interface
ip netns exec "$NS_C" "$NFXDP" run --raw -i "$IF_C" -o "$OUT" --stats-file none --state-dir none \
	2>"$ERR" &
NFXDP_PID=$!
for _ in $(seq 50); do grep -q "collecting on" "$ERR" && break; sleep 0.1; done
[ -e "$OUT" ] || : >"$OUT"
grep -q "maps are not pinned" "$ERR" && ok "ip netns exec: runs without pins and says so" ||
	fail "ip netns exec: $(tail -n 2 "$ERR")"
collect "ip netns exec" 400
red=$(ip netns exec "$NS_C" "$NFXDP" stats -i "$IF_C" --json 2>"$WORK/e" |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["v5"]["redirected"])')
[ "$red" = 10 ] && ok "ip netns exec: stats -i finds the counters (v5 redirected 10)" ||
	fail "ip netns exec: stats -i: '$red' $(tail -n 1 "$WORK/e")"
# without -i: the only nfx_stats loaded, or a question when others are
# (another nfxdp on this machine, e.g. a test running beside this one)
nmaps=$(bpftool -j map list 2>/dev/null |
	python3 -c 'import json, sys; print(sum(m.get("name") == "nfx_stats" for m in json.load(sys.stdin)))')
red=$(ip netns exec "$NS_C" "$NFXDP" stats --json 2>"$WORK/e" |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["v5"]["redirected"])' 2>/dev/null)
if [ "$nmaps" = 1 ] && [ "$red" = 10 ]; then
	ok "ip netns exec: stats finds the only nfx_stats by name"
elif [ "${nmaps:-0}" -gt 1 ] && grep -q "$nmaps maps called nfx_stats.*-i IF" "$WORK/e"; then
	ok "ip netns exec: stats asks for -i among $nmaps nfx_stats maps"
else
	fail "ip netns exec: stats: '$red' ($nmaps maps) $(tail -n 1 "$WORK/e")"
fi
stopped "ip netns exec"
ip netns exec "$NS_C" "$NFXDP" attach -i "$IF_C" >/dev/null 2>"$WORK/e" ||
	fail "ip netns exec: attach: $(tail -n 1 "$WORK/e")"
if ip netns exec "$NS_C" "$NFXDP" detach -i "$IF_C" >/dev/null 2>"$WORK/e" &&
   ! nfxt_c ip link show dev "$IF_C" 2>/dev/null | grep -q xdp; then
	ok "ip netns exec: detach finds what attach left"
else
	fail "ip netns exec: detach: $(tail -n 1 "$WORK/e")"
fi
exit $NFXT_FAILED

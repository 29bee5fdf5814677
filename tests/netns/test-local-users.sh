#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-local-users.sh - the listener ports and the log belong to nfxdp, not to
# the other users of the host (issue 17: D1, D12, D13):
#  - another user (uid 65534) cannot bind a listener port, whatever it sets
#    (SO_REUSEADDR, SO_REUSEPORT, IPv4, IPv6), in --udp mode and on the XDP
#    fallback socket, and nfxdp writes every record;
#  - a second nfxdp on a port in use exits non-zero with one line naming the
#    port and the command to find who holds it: in --udp mode; in XDP mode
#    leaving no program attached and no pins behind; on an interface where
#    nfxdp already runs, refused before it touches anything, with one line
#    that says to use --takeover (a live hand-over), leaving that one's
#    program and traffic alone;
#  - the start-up line gives the metrics address (IPv6 in brackets), and a
#    flood of connections over the metrics limit gives a few rate-limited
#    lines with nfxdp's prefix.
source "$(dirname "$0")/lib.sh"

# uid 65534 must be able to run it: the python3 on PATH may be in root's home
SYSPY=/usr/bin/python3
[ -x "$SYSPY" ] || skip "no $SYSPY"
command -v setpriv >/dev/null || skip "setpriv not installed"
nfxt_setup || { fail "netns/veth setup"; exit 1; }

PORT=39221
MPORT=39321

# hijack PORT FILE: as uid 65534, bind PORT every way Linux could let a port
# be shared, then read for 2 s; FILE gets "bound N" once the binds are done,
# then "received N".
hijack() {
	nfxt_c setpriv --reuid=65534 --regid=65534 --clear-groups "$SYSPY" - "$1" >"$2" <<'EOF' &
import select, socket, sys, time
port, socks = int(sys.argv[1]), []
for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::")):
    for opts in ((socket.SO_REUSEADDR,), (socket.SO_REUSEPORT,), (socket.SO_REUSEADDR, socket.SO_REUSEPORT)):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        for o in opts:
            s.setsockopt(socket.SOL_SOCKET, o, 1)
        try:
            s.bind((addr, port))
            socks.append(s)
        except OSError:
            s.close()
print("bound", len(socks), flush=True)
n, end = 0, time.time() + 2
while socks and time.time() < end:
    for s in select.select(socks, [], [], 0.1)[0]:
        s.recv(65535)
        n += 1
print("received", n, flush=True)
EOF
	HIJACK_PID=$!
	for _ in $(seq 1 50); do grep -q bound "$2" && return; sleep 0.1; done
}

# refused WHAT ARGS...: `nfxdp run ARGS` on $PORT, in use, exits non-zero at
# once with the port-in-use line and no other line about the port
refused() {
	local what=$1 rc e=$WORK/refused.err
	local want="nfxdp: port $PORT/udp is in use by another process (ss -lunp sport = :$PORT)"

	shift
	nfxt_c timeout 5 "$NFXDP" run "$@" -p "$PORT" -o "$WORK/refused.ndjson" --stats-file none \
		--state-dir none \
		2>"$e"
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -qxF "$want" "$e" &&
	   [ "$(grep -cE "port $PORT|$PORT/udp|in use|Address already" "$e")" -eq 1 ]; then
		ok "$what exits ($rc) with one line naming the port"
	else
		fail "$what: exit $rc, stderr: $(tr '\n' ' ' <"$e")"
	fi
}

# ---- --udp mode ----
nfxt_start --udp -p "$PORT" || { fail "nfxdp --udp did not start"; exit 1; }
hijack "$PORT" "$WORK/hijack"
nfxt_c $NFSEND --dst 127.0.0.1 --port "$PORT" --kind v5 --messages 50 --records 1 --sockets 5
nfxt_c $NFSEND --dst ::1 --port "$PORT" --kind v5 --messages 50 --records 1 --base 50 --sockets 5
wait "$HIJACK_PID"
nfxt_wait_records 100 5
got=$(wc -l <"$OUT")
if grep -qx "bound 0" "$WORK/hijack" && [ "$got" -eq 100 ]; then
	ok "--udp: uid 65534 cannot bind port $PORT; nfxdp wrote all 100 records"
else
	fail "--udp: uid 65534 $(tr '\n' ' ' <"$WORK/hijack"); nfxdp wrote $got of 100 records"
fi

refused "--udp: a second nfxdp on port $PORT" --udp

nfxt_stop

# ---- XDP mode, the port held by another process (a plain socket) ----
# nsenter execs python, so $! is the process that holds the port
nsenter --net="/run/netns/$NS_C" "$SYSPY" -c 'import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", int(sys.argv[1]))); print("held", flush=True); time.sleep(30)' "$PORT" \
	>"$WORK/holder" &
HOLDER=$!
NFXT_EXTRA_CLEANUP='kill $HOLDER 2>/dev/null'
for _ in $(seq 1 50); do grep -q held "$WORK/holder" && break; sleep 0.1; done
refused "XDP: nfxdp on a port another process holds" -i "$IF_C" --pin-dir "$PIN_DIR"
if [ "$(nfxt_prog_id)" = none ] && [ -z "$(ls -A "$PIN_DIR" 2>/dev/null)" ]; then
	ok "XDP: no program left attached, no pins left in $PIN_DIR"
else
	fail "XDP: left behind: program $(nfxt_prog_id), pins: $(ls "$PIN_DIR" 2>/dev/null | tr '\n' ' ')"
fi
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null

# ---- XDP mode: the fallback socket, a second nfxdp on the same interface ----
nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" -p "$PORT" --metrics "127.0.0.1:$MPORT" ||
	{ fail "nfxdp in XDP mode did not start"; exit 1; }
grep -qxF "nfxdp: metrics on http://127.0.0.1:$MPORT/metrics" "$ERR" &&
	ok "start-up line: metrics on http://127.0.0.1:$MPORT/metrics" ||
	fail "start-up line: $(grep 'metrics on' "$ERR")"
hijack "$PORT" "$WORK/hijack"
wait "$HIJACK_PID"
grep -qx "bound 0" "$WORK/hijack" && ok "XDP: uid 65534 cannot bind the fallback port $PORT" ||
	fail "XDP: uid 65534 $(tr '\n' ' ' <"$WORK/hijack") on the fallback port"

id=$(nfxt_prog_id)
nfxt_c timeout 5 "$NFXDP" run -i "$IF_C" --pin-dir "$PIN_DIR" -p "$PORT" -o /dev/null \
	--stats-file none --state-dir none 2>"$WORK/second.err"
rc=$?
want="nfxdp: an nfxdp already runs on $IF_C: stop it, or start this one with --takeover"
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$(cat "$WORK/second.err")" = "$want" ]; then
	ok "XDP: a second nfxdp on $IF_C exits ($rc) with one line: use --takeover"
else
	fail "XDP: a second nfxdp on $IF_C: exit $rc, stderr: $(tr '\n' ' ' <"$WORK/second.err")"
fi
nfxt_e $NFSEND --dst "$IP_C" --port "$PORT" --kind v5 --messages 20 --records 5 --sockets 4
nfxt_wait_records 100 5
if [ "$(nfxt_prog_id)" = "$id" ] && [ -e "$PIN_DIR/nfx_stats" ] &&
   why=$(nfxt_check_records netflow5 0 100); then
	ok "XDP: the running nfxdp keeps its program ($id), pins and all 100 records"
else
	fail "XDP: after the second nfxdp: program $(nfxt_prog_id) (was $id), ${why:-records}"
fi

# ---- metrics: a connection flood over the limit of 16 ----
nfxt_c python3 - "$MPORT" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
time.sleep(0.3)
for _ in range(500):
    try:
        socket.create_connection(("127.0.0.1", port)).close()
    except OSError:
        pass
time.sleep(0.5)
EOF
nfxt_stop
limit=$(grep -c "connection limit" "$ERR")
bare=$(grep -vc '^nfxdp: ' "$ERR")
if [ "$limit" -ge 1 ] && [ "$limit" -le 3 ] && [ "$bare" -eq 0 ] &&
   grep -q "^nfxdp: metrics: .*connection limit" "$ERR" && grep -q "not logged" "$ERR"; then
	ok "metrics flood: $limit prefixed lines, the rest counted"
else
	fail "metrics flood: $limit 'connection limit' lines, $bare without the prefix"
fi

nfxt_c timeout 2 "$NFXDP" run --udp -p "$PORT" --metrics "[::1]:$MPORT" -o /dev/null \
	--stats-file none 2>"$WORK/v6.err"
grep -qxF "nfxdp: metrics on http://[::1]:$MPORT/metrics" "$WORK/v6.err" &&
	ok "start-up line: metrics on http://[::1]:$MPORT/metrics" ||
	fail "start-up line (IPv6): $(grep 'metrics' "$WORK/v6.err" | tr '\n' ' ')"
exit $NFXT_FAILED

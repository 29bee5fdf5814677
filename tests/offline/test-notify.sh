#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-notify.sh - what systemd's Type=notify sees (nfxdp@.service): a
# datagram socket stands in for NOTIFY_SOCKET while `nfxdp run --udp` starts,
# gets SIGHUP and SIGTERM; it must say READY=1 once collecting,
# RELOADING=1 then READY=1 around the reload, STOPPING=1 at shutdown, in
# that order, and run as before without NOTIFY_SOCKET.  No privileges.
set -u
cd "$(dirname "$0")/../.." || exit 1
NFXDP=${NFXDP:-build/nfxdp}
tmp=$(mktemp -d /tmp/nfxtest-notify.XXXXXX)
pid=
lpid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null && wait "$lpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

[ -x "$NFXDP" ] || { echo "FAIL notify: $NFXDP not built (make)"; exit 1; }
# the service manager's end: one line per datagram, newlines as '|'
python3 - "$tmp/notify.sock" "$tmp/got" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "w", buffering=1) as out:
    while True:
        out.write(s.recv(4096).decode().replace("\n", "|") + "\n")
PY
lpid=$!
for _ in $(seq 1 50); do [ -S "$tmp/notify.sock" ] && break; sleep 0.1; done

port=$((20000 + ($$ + 7) % 20000))
NOTIFY_SOCKET=$tmp/notify.sock "$NFXDP" run --udp -p "$port" --raw -o "$tmp/out.ndjson" \
	--stats-file none 2>"$tmp/err" &
pid=$!
# waits until the listener got COUNT datagrams (5 s at most)
wait_lines() {
	for _ in $(seq 1 50); do
		[ "$(wc -l <"$tmp/got" 2>/dev/null || echo 0)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
wait_lines 1
kill -HUP "$pid"
wait_lines 3
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
wait_lines 4
got=$(cut -d'|' -f1 "$tmp/got" | paste -sd ' ')
want="READY=1 RELOADING=1 READY=1 STOPPING=1"
if [ "$got" = "$want" ] && [ "$rc" -eq 0 ] &&
	grep -q "^READY=1|STATUS=collecting on UDP sockets$" "$tmp/got"; then
	echo "ok notify: $got, status \"collecting on UDP sockets\""
else
	echo "FAIL notify: got [$got] exit $rc, want [$want] exit 0: $(tail -n 2 "$tmp/err" | paste -sd ' ')"
fi

# without NOTIFY_SOCKET: nothing to tell, starts and stops as before
"$NFXDP" run --udp -p "$port" --raw -o "$tmp/out2.ndjson" --stats-file none 2>"$tmp/err2" &
pid=$!
sleep 0.5
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
if [ "$rc" -eq 0 ]; then echo "ok notify: without NOTIFY_SOCKET, exit 0"; else
	echo "FAIL notify: without NOTIFY_SOCKET, exit $rc: $(tail -n 2 "$tmp/err2" | paste -sd ' ')"; fi

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-bind-host.sh - a listener's bind_host (the Datadog Agent's key) binds
# its UDP socket where it says: 127.0.0.1 only, then, after a live reload,
# ::1 only (the socket moves, the records keep coming), and back to every
# address when the key goes.  UDP mode on loopback.
set -u
cd "$(dirname "$0")/../.."
NFXDP=${NFXDP:-build/nfxdp}
NAME=bind-host
tmp=$(mktemp -d /tmp/nfxtest-bind.XXXXXX)
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		timeout 3 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
ok() { echo "ok $NAME $*"; }
fail() { echo "FAIL $NAME: $*"; }
command -v ss >/dev/null || { echo "skip $NAME: no ss (iproute2)"; exit 0; }

PORT=39241
CFG=$tmp/nfxdp.yaml
OUT=$tmp/out.ndjson

# config [BIND]: one netflow5 listener on PORT, bound on BIND when given
config() {
	{
		printf 'listeners:\n  - flow_type: netflow5\n    port: %s\n' "$PORT"
		[ -n "${1:-}" ] && printf '    bind_host: "%s"\n' "$1"
		printf 'output:\n  path: %s\n  raw: true\n' "$OUT"
	} >"$CFG.new" && chmod 0644 "$CFG.new" && mv -f "$CFG.new" "$CFG"
}

# bound: the local addresses of UDP sockets on PORT, sorted, one line
bound() {
	ss -Hlun "sport = :$PORT" | awk '{print $4}' | sort | tr '\n' ' ' | sed 's/ $//'
}

# wait_bound WANT: until bound says WANT (3 s at most)
wait_bound() {
	for _ in $(seq 1 30); do
		[ "$(bound)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# delivered DST N: N v5 records sent to DST:PORT all reach the output
delivered() {
	local before want

	before=$(wc -l <"$OUT" 2>/dev/null || echo 0)
	want=$((before + $2))
	python3 tests/tools/nfsend.py --dst "$1" --port "$PORT" --kind v5 --messages "$2" \
		--records 1 >/dev/null 2>&1
	for _ in $(seq 1 30); do
		[ "$(wc -l <"$OUT" 2>/dev/null || echo 0)" -ge "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

config 127.0.0.1
"$NFXDP" run --udp -c "$CFG" --stats-file none 2>"$tmp/err" &
pid=$!
if wait_bound "127.0.0.1:$PORT"; then
	ok "bind_host 127.0.0.1: one socket, on 127.0.0.1:$PORT"
else
	fail "bind_host 127.0.0.1: bound '$(bound)'"
	sed 's/^/# /' "$tmp/err" | tail -5
	exit 1
fi
delivered 127.0.0.1 5 && ok "records sent to 127.0.0.1 written" || fail "records to 127.0.0.1 missing"

config ::1
kill -HUP "$pid"
if wait_bound "[::1]:$PORT"; then
	ok "reload to bind_host ::1: the socket moved to [::1]:$PORT"
else
	fail "reload to ::1: bound '$(bound)'"
fi
delivered ::1 5 && ok "records sent to ::1 written" || fail "records to ::1 missing"

config
kill -HUP "$pid"
if wait_bound "*:$PORT"; then
	ok "bind_host removed: every address again (*:$PORT)"
else
	fail "bind_host removed: bound '$(bound)'"
fi
delivered 127.0.0.1 5 && ok "records sent to 127.0.0.1 written again" || fail "records missing"

printf 'listeners:\n  - flow_type: netflow5\n    port: %s\n    bind_host: "eth0"\n' "$PORT" \
	>"$CFG.new" && chmod 0644 "$CFG.new" && mv -f "$CFG.new" "$CFG"
kill -HUP "$pid"
sleep 0.5
if grep -q '4:16: listeners\[0\].bind_host: "eth0" is not an IPv4 or IPv6 address' "$tmp/err" &&
   [ "$(bound)" = "*:$PORT" ]; then
	ok "bind_host eth0 refused with its position; the socket stays"
else
	fail "bind_host eth0: bound '$(bound)', $(grep -m1 eth0 "$tmp/err")"
fi
kill -TERM "$pid"
timeout 5 tail --pid="$pid" -f /dev/null && ok "SIGTERM: exit" || fail "no exit on SIGTERM"
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ] || fail "exit status $rc"

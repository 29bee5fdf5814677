#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-config-file.sh - what may stand at the configuration path (issue 17,
# D5 and "the configuration is not a root shell"): a FIFO, a directory or a
# device is refused without blocking, at start and at a live reload (records
# keep flowing, SIGTERM still stops the daemon at once); a file that its
# group or every user may write, or (as root) one owned by another user, is
# refused at start and at reload, the running configuration staying in
# force; a symbolic link to a good file is followed.  UDP mode on loopback;
# the other-owner case needs root.
set -u
cd "$(dirname "$0")/../.."
NFXDP=${NFXDP:-build/nfxdp}
NAME=config-file
tmp=$(mktemp -d /tmp/nfxtest-cfgfile.XXXXXX)
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

PORT_A=39231
PORT_B=39232
CFG=$tmp/nfxdp.json
OUT=$tmp/out.ndjson

# config PORT: a configuration with one netflow5 listener on PORT
config() {
	printf '{"listeners":[{"flow_type":"netflow5","port":%s}],"output":{"path":"%s","raw":true}}\n' \
		"$1" "$OUT"
}

# replace MODE TEXT...: put a new file at $CFG the way editors do (temp + rename)
replace() {
	local mode=$1

	shift
	printf '%s\n' "$*" >"$CFG.new" && chmod "$mode" "$CFG.new" && mv -f "$CFG.new" "$CFG"
}

start() {
	: >"$tmp/err"
	rm -f "$tmp/d.prom"
	"$NFXDP" run --udp --bind 127.0.0.1 -c "$1" --stats-file "$tmp/d.prom" 2>"$tmp/err" &
	pid=$!
	for _ in $(seq 1 50); do
		[ -e "$tmp/d.prom" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

# stop SECONDS: SIGTERM; 0 when the daemon is gone within SECONDS
stop() {
	local rc=0

	kill -TERM "$pid"
	timeout "$1" tail --pid="$pid" -f /dev/null || rc=1
	[ "$rc" -eq 0 ] || kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	pid=
	return $rc
}

# send PORT N [BASE]: N v5 records (numbered from BASE) to PORT
send() {
	python3 tests/tools/nfsend.py --dst 127.0.0.1 --port "$1" --kind v5 --messages "$2" \
		--records 1 --base "${3:-0}" >/dev/null
}
# wait_lines N: until $OUT has N lines (3 s at most)
wait_lines() {
	for _ in $(seq 1 30); do
		[ "$(wc -l <"$OUT" 2>/dev/null || echo 0)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_reloads RESULT N: until nfx_config_reloads_total{result=RESULT} is N (3 s at most)
wait_reloads() {
	local v

	for _ in $(seq 1 30); do
		v=$("$NFXDP" stats --daemon="$tmp/d.prom" --json 2>/dev/null | python3 -c '
import json, sys
print(list(json.load(sys.stdin).values())[0].get(sys.argv[1], 0))' \
			"nfx_config_reloads_total{result=\"$1\"}" 2>/dev/null)
		[ "${v:-0}" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# refused_at_start WHAT PATH PATTERN: nfxdp exits non-zero at once, PATTERN in its message
refused_at_start() {
	local rc

	timeout 5 "$NFXDP" run --udp --bind 127.0.0.1 -c "$2" --stats-file none 2>"$tmp/start.err" \
		>/dev/null </dev/null
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q -- "$3" "$tmp/start.err"; then
		ok "at start: $1 refused: $(head -n 1 "$tmp/start.err")"
	else
		fail "at start: $1: exit $rc ($([ "$rc" = 124 ] && echo 'still running after 5 s'))," \
			"stderr: $(tr '\n' ' ' <"$tmp/start.err")"
	fi
}

# ---- a FIFO swapped in for the file of a running daemon ----
umask 022
config "$PORT_A" >"$CFG"
start "$CFG" || { fail "nfxdp did not start: $(cat "$tmp/err")"; exit 1; }
send "$PORT_A" 10
wait_lines 10
mkfifo "$tmp/fifo" && mv -f "$tmp/fifo" "$CFG"
wait_reloads rejected 1
send "$PORT_A" 10 10
wait_lines 20
got=$(wc -l <"$OUT")
if [ "$got" -eq 20 ] && grep -q "$CFG: a FIFO, not a regular file: refused.*stays in force" "$tmp/err"; then
	ok "reload: a FIFO is refused, records keep flowing ($got of 20)"
else
	fail "reload: FIFO: $got of 20 records; stderr: $(tail -n 3 "$tmp/err" | tr '\n' ' ')"
fi
if stop 3; then ok "reload: SIGTERM stops it at once"; else fail "reload: still running 3 s after SIGTERM"; fi

# ---- at start ----
refused_at_start "a FIFO" "$CFG" "a FIFO, not a regular file"
rm -f "$CFG"
refused_at_start "a directory" "$tmp" "a directory, not a regular file"
refused_at_start "a character device" /dev/null "a character device, not a regular file"
config "$PORT_A" >"$CFG"
chmod 0666 "$CFG"
refused_at_start "a world-writable file" "$CFG" "writable by every user (mode 0666).*chmod go-w"
chmod 0664 "$CFG"
refused_at_start "a group-writable file" "$CFG" "writable by its group (mode 0664).*chmod go-w"
chmod 0644 "$CFG"
if [ "$(id -u)" -eq 0 ]; then
	chown 65534 "$CFG"
	refused_at_start "a file owned by uid 65534" "$CFG" "owned by uid 65534.*chown root"
	chown 0 "$CFG"
else
	echo "skip $NAME: the other-owner case needs root"
fi

# ---- a symbolic link to a good file; writable files at reload ----
ln -s "$CFG" "$tmp/link.json"
: >"$OUT"
start "$tmp/link.json" || { fail "a symbolic link to a good file: $(cat "$tmp/err")"; exit 1; }
ok "a symbolic link to a good file is followed"
replace 0666 "$(config "$PORT_B")"
wait_reloads rejected 1
send "$PORT_A" 10
send "$PORT_B" 10 100
wait_lines 10
sleep 0.3
got=$(grep -c '"bytes":10[0-9],' "$OUT")	# records 0-9 (bytes 100 + i): port A
if [ "$got" -eq 10 ] && [ "$(wc -l <"$OUT")" -eq 10 ] &&
   grep -q "writable by every user.*stays in force" "$tmp/err"; then
	ok "reload: a world-writable file is refused, the running configuration stays"
else
	fail "reload: world-writable: $got of the 10 records to port $PORT_A, $(wc -l <"$OUT") in all;" \
		"stderr: $(tail -n 3 "$tmp/err" | tr '\n' ' ')"
fi
replace 0644 "$(config "$PORT_B")"
wait_reloads applied 1
send "$PORT_B" 10 200
wait_lines 20 && ok "reload: the same file with mode 0644 applies" ||
	fail "reload: mode 0644 not applied: $(tail -n 3 "$tmp/err" | tr '\n' ' ')"
stop 5 || fail "did not stop on SIGTERM"
exit 0

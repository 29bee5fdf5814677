#!/bin/bash
# `nfxdp stats --daemon`: the daemon's own counters (here decoder, UDP and
# output) from the file it rewrites every second, as a table and as JSON;
# the file goes away with the daemon.  UDP mode on loopback: no privileges.
set -u
cd "$(dirname "$0")/../.."
NFXDP=${NFXDP:-build/nfxdp}
tmp=$(mktemp -d /tmp/nfxtest-stats.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ok() { echo "ok stats-daemon $*"; }
fail() { echo "FAIL stats-daemon $*"; }

port=$((20000 + $$ % 20000))
"$NFXDP" run --udp -p "$port" --raw -o "$tmp/out.ndjson" --stats-file "$tmp/d.prom" \
	2>"$tmp/err" &
pid=$!
for _ in $(seq 1 50); do [ -s "$tmp/d.prom" ] && break; sleep 0.1; done
python3 tests/tools/nfsend.py --dst 127.0.0.1 --port "$port" --kind v5 --records 7 >/dev/null
got=0
for _ in $(seq 1 50); do
	got=$("$NFXDP" stats --daemon="$tmp/d.prom" --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(list(d.values())[0].get("nfx_decoder_records_total{version=\"v5\"}", 0))' 2>/dev/null)
	[ "${got:-0}" -ge 7 ] && break
	sleep 0.2
done
if [ "${got:-0}" -eq 7 ]; then ok "json: 7 v5 records counted"; else fail "json: v5 records ${got:-none}, expected 7"; fi
if "$NFXDP" stats --daemon="$tmp/d.prom" | grep -qE 'nfx_udp_datagrams_total\{port="'"$port"'"\} +1$'; then
	ok "table: one datagram on port $port"
else
	fail "table lacks the UDP datagram count"
fi
kill "$pid"; wait "$pid"; pid=
if [ ! -e "$tmp/d.prom" ]; then ok "stats file removed on exit"; else fail "stats file left behind"; fi
if "$NFXDP" stats --daemon="$tmp/d.prom" >/dev/null 2>&1; then
	fail "no daemon: exit status 0"
else
	ok "no daemon: non-zero exit with a message"
fi

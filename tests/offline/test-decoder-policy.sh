#!/bin/bash
# test-decoder-policy.sh - the decoder policy of the configuration applies
# while running (issue 15): sampling_rates gives an exporter that announces
# no rate the configured one; a reload to an override with
# sampling_renormalize multiplies bytes and packets and writes rate 1;
# biflow_reverse_records and exporter_address_from_export change with the
# same reload path (the decoder policy of every worker).  UDP mode on
# loopback, raw output (no aggregation): no privileges.
set -u
cd "$(dirname "$0")/../.."
NFXDP=${NFXDP:-build/nfxdp}
NAME=decoder-policy
tmp=$(mktemp -d /tmp/nfxtest-policy.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
failed=0
ok() { echo "ok $NAME $*"; }
fail() { echo "FAIL $NAME: $*"; failed=1; }
[ -x "$NFXDP" ] || { echo "skip $NAME: $NFXDP not built (make)"; exit 0; }

PORT=39590
CFG=$tmp/nfxdp.json
OUT=$tmp/out.ndjson
# config EXTRA_KEYS: written whole, then renamed in (the watch must not see half a file)
config() {
	printf '{ "listeners": [{"flow_type": "netflow9", "port": %d}], "output": {"raw": true}, %s }\n' \
		"$PORT" "$1" >"$CFG.tmp" && mv "$CFG.tmp" "$CFG"
}
# send SEQ: one v9 message (template + one record of 10 bytes, 7 packets) to the listener
send() {
	/usr/bin/python3 - "$PORT" "$1" <<'PY'
import os, socket, sys
sys.path.insert(0, "tests/tools")
from fields_check import ip4, set_, tmpl, u16, u32, v9
port, seq = int(sys.argv[1]), int(sys.argv[2])
t = tmpl(300, [(8, 4), (12, 4), (1, 4), (2, 4)])
rec = ip4("10.0.0.1") + ip4("10.0.0.2") + u32(10) + u32(7)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(v9([set_(0, t), set_(300, rec)], seq=seq), ("127.0.0.1", port))
PY
}
# lines N: the output has N records, 10 s at most
lines() {
	for _ in $(seq 1 100); do
		[ "$(wc -l <"$OUT" 2>/dev/null || echo 0)" -ge "$1" ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# field N KEY: KEY of the Nth record
field() { sed -n "${1}p" "$OUT" | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"; }

config '"sampling_rates": [{"exporter": "127.0.0.0/8", "rate": 100}]'
"$NFXDP" run --udp --bind 127.0.0.1 -c "$CFG" -o "$OUT" --stats-file none 2>"$tmp/err" &
pid=$!
# the sockets are open once it says what it collects on
for _ in $(seq 1 100); do grep -q "collecting on UDP sockets" "$tmp/err" 2>/dev/null && break; sleep 0.1; done
send 1
if lines 1 && [ "$(field 1 sampling_rate)" = 100 ] && [ "$(field 1 bytes)" = 10 ]; then
	ok "an exporter announcing no rate gets the configured 100"
else
	fail "first record: $(head -c 300 "$OUT") $(head -c 300 "$tmp/err")"
fi

config '"sampling_rates": [{"exporter": "127.0.0.1", "rate": 200, "override": true}], "sampling_renormalize": true'
for _ in $(seq 1 100); do grep -q "configuration changed: .*decoder" "$tmp/err" && break; sleep 0.1; done
grep -q "configuration changed: .*decoder" "$tmp/err" && ok "reload applied as a decoder change" ||
	fail "no reload line: $(tail -c 300 "$tmp/err")"
send 2
if lines 2 && [ "$(field 2 sampling_rate)" = 1 ] && [ "$(field 2 bytes)" = 2000 ] &&
   [ "$(field 2 packets)" = 1400 ]; then
	ok "after the reload: rate 200 overridden and renormalised (10 bytes -> 2000, 7 packets -> 1400)"
else
	fail "second record: $(sed -n 2p "$OUT")"
fi
# a reload of something else keeps the policy (it points into the new configuration)
config '"sampling_rates": [{"exporter": "127.0.0.1", "rate": 200, "override": true}], "sampling_renormalize": true, "template_ttl": 600'
for _ in $(seq 1 100); do grep -q "configuration changed: templates" "$tmp/err" && break; sleep 0.1; done
send 3
if lines 3 && [ "$(field 3 bytes)" = 2000 ]; then
	ok "an unrelated reload keeps the policy"
else
	fail "third record: $(sed -n 3p "$OUT") $(tail -c 300 "$tmp/err")"
fi
if /usr/bin/python3 tests/tools/schema_check.py doc/flow.schema.json "$OUT" >/dev/null; then
	ok "records valid against the schema"
else
	fail "schema: $(/usr/bin/python3 tests/tools/schema_check.py doc/flow.schema.json "$OUT")"
fi
kill "$pid"; wait "$pid"; rc=$?; pid=
[ "$rc" -eq 0 ] && ok "exit status 0" || fail "nfxdp exited with $rc"
exit $failed

#!/bin/bash
# test-table-flood.sh - the decoder's tables under a one-shot exporter
# flood, and data before its template, live on loopback (--udp, no
# privileges; ports 39401-39419).
#  1. D9: a burst of spoofed one-shot v9 exporters (one source address each,
#     4 template + data messages) fills the exporter-domain and template
#     tables (64 / 256 here, eviction_min_idle 2 s, so it runs in seconds);
#     an exporter that sends all through the burst loses nothing; once the
#     burst has been idle for the window, a real exporter back from a
#     restart on a new source port (v9) and a new one (IPFIX) have every
#     record decoded at once, each taking an idle one-shot's room
#     (exporters_evicted), where before they waited for template_ttl.
#  2. D7: at the default bounds, an exporter sends 50 messages of 4 records
#     before its template: all 200 come out when it arrives, and the
#     pending counters count sets (50 held, 50 decoded, 200 records).
set -u
cd "$(dirname "$0")/../.." || exit 1
NFXDP=${NFXDP:-build/nfxdp}
PY=python3
tmp=$(mktemp -d /tmp/nfxtest-tflood.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
ok() { echo "ok table-flood $*"; }
fail() { echo "FAIL table-flood $*"; }

# start NAME PORT [ARGS...]: a raw UDP daemon on 127.0.0.1:PORT; its pid in $pid
start() {
	local name=$1 port=$2
	shift 2
	"$NFXDP" run --udp --bind 127.0.0.1 -p "$port" --raw -o "$tmp/$name.ndjson" \
		--stats-file "$tmp/$name.prom" "$@" 2>"$tmp/$name.err" &
	pid=$!
	pids+=("$pid")
	for _ in $(seq 1 50); do [ -s "$tmp/$name.prom" ] && return 0; sleep 0.1; done
	return 1
}

# metric NAME COUNTER: the daemon's counter (nfx_decoder_COUNTER_total) in
# the stats file it rewrites every second, 0 if absent
metric() {
	awk -v m="nfx_decoder_$2_total" '$1 == m { v = $2 } END { print v + 0 }' "$tmp/$1.prom"
}

# records NAME RE: records whose bytes match RE (grep -E, digits only)
records() {
	grep -cE "\"bytes\":$2," "$tmp/$1.ndjson"
}

# wait_records NAME RE WANT: up to 5 s for WANT records
wait_records() {
	local n=0
	for _ in $(seq 1 50); do
		n=$(records "$1" "$2")
		[ "$n" -ge "$3" ] && break
		sleep 0.1
	done
	echo "$n"
}

send() { $PY tests/tools/nfsend.py --dst 127.0.0.1 "$@" >/dev/null; }

# ---- 1. D9: one-shot flood, then a restarted and a new exporter ----
P=39401
cat >"$tmp/flood.json" <<EOF
{ "max_exporters": 64, "max_templates": 256, "eviction_min_idle": 2 }
EOF
start flood $P -c "$tmp/flood.json" || { fail "daemon did not start: $(cat "$tmp/flood.err")"; exit 1; }
# the real exporter before its restart, and one that keeps sending (bytes
# 20100..20199): its template once, then data every 100 ms from before the
# burst to after it, so it is never idle for the window
send --port $P --kind v9 --messages 1 --records 2 --base 10000 --sport 39411
send --port $P --kind v9-template --messages 1 --sport 39413 --base 20000
send --port $P --kind v9-data --messages 50 --records 2 --base 20000 --sport 39413 --gap 0.1 &
steady=$!
[ "$(wait_records flood "201[0-9][0-9]" 1)" -ge 1 ] || fail "the steady exporter's first records did not arrive"
$PY - "$P" <<'EOF'
import socket, sys, time
sys.path.insert(0, "tests/tools")
import nfsend
port, t0 = int(sys.argv[1]), time.time()
# 1500 sources x 4 messages at 2000 messages/s, 3 s: the tables fill in the
# first tenth, and one-shots idle for the window give way to newer ones
for e in range(1500):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.10.%d.%d" % (e >> 7, 1 + (e & 127)), 0))
    for t in range(4):
        s.sendto(nfsend.v9(0, 2, t, tid=256 + t), ("127.0.0.1", port))
    s.close()
    ahead = (e + 1) * 4 / 2000 - (time.time() - t0)
    if ahead > 0:
        time.sleep(ahead)
EOF
wait "$steady"
limit=$(metric flood exporter_limit)
# the burst ends; its entries become idle after the window
sleep 2.2
evicted_burst=$(metric flood exporters_evicted)
send --port $P --kind v9 --messages 5 --records 2 --base 30000 --sport 39412
send --port $P --kind ipfix --messages 5 --records 2 --base 30100 --sport 39414
got=$(wait_records flood "30[12]0[0-9]" 20)
steady_got=$(records flood "201[0-9][0-9]")
sleep 1.1	# one more stats-file rewrite
evicted=$(metric flood exporters_evicted)
if [ "$limit" -gt 0 ]; then
	ok "the burst filled the exporter table (exporter_limit $limit)"
else
	fail "the burst never hit max_exporters (exporter_limit 0): the test proves nothing"
fi
if [ "$steady_got" -eq 100 ]; then
	ok "an exporter sending through the burst lost nothing (100 of 100 records)"
else
	fail "exporter sending through the burst: $steady_got of 100 records"
fi
if [ "$got" -eq 20 ]; then
	ok "after the burst, a restarted v9 and a new IPFIX exporter decoded at once (20 of 20 records)"
else
	fail "after the burst: $got of 20 records from the restarted and the new exporter"
fi
if [ "$evicted_burst" -ge 1 ] && [ "$((evicted - evicted_burst))" -ge 2 ]; then
	ok "idle one-shots gave way, counted: $evicted_burst to newer one-shots, $((evicted - evicted_burst)) to the real exporters"
else
	fail "exporters_evicted $evicted_burst during the burst (want >= 1), $((evicted - evicted_burst)) after (want >= 2)"
fi

# ---- 2. D7: 50 sets before their template, default bounds ----
P=39402
start pend $P || { fail "daemon did not start: $(cat "$tmp/pend.err")"; exit 1; }
send --port $P --kind v9-data --messages 50 --records 4 --sport 39415 --gap 0.01
send --port $P --kind v9-template --messages 1 --sport 39415
got=$(wait_records pend "[12][0-9][0-9]" 200)
sleep 1.1
if [ "$got" -eq 200 ]; then
	ok "data before its template: 200 of 200 records at the default bounds"
else
	fail "data before its template: $got of 200 records at the default bounds"
fi
sets="$(metric pend pending_buffered) $(metric pend pending_decoded) $(metric pend pending_dropped)"
recs=$(metric pend pending_records_decoded)
if [ "$sets" = "50 50 0" ] && [ "$recs" -eq 200 ]; then
	ok "pending counters in sets: buffered, decoded, dropped $sets; records decoded $recs"
else
	fail "pending buffered/decoded/dropped $sets (want 50 50 0), records decoded $recs (want 200)"
fi

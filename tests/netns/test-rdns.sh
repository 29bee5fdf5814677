#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-rdns.sh - reverse DNS enrichment end to end.  In the collector netns,
# dnsmasq on 127.0.0.1:$DNS_PORT holds PTR records for some private
# addresses (every other reverse name: NXDOMAIN, nothing forwarded) and logs
# every query; `nfxdp run --udp --raw --rdns --rdns-server 127.0.0.1:PORT`
# gets NetFlow v5 on 127.0.0.1:2055.
#   names       endpoints with a PTR record carry source/destination
#               .reverse_dns_hostname once answered, the others none, and
#               public addresses are never queried (dnsmasq's log)
#   dead DNS    dnsmasq stopped (SIGSTOP): collection keeps the same rate,
#               new endpoints go without names, timeouts are counted; after
#               SIGCONT the names come back
#   flood       distinct addresses well above the rate limit and the cache
#               bound: queries follow the rate limit, the cache stays bounded
#   corpus      the corpus captures replayed: lookups, cache hit ratio
source "$(dirname "$0")/lib.sh"

command -v dnsmasq >/dev/null || skip "dnsmasq not installed (dnsmasq-base)"
DNS_PORT=5353
MPORT=9155
DNS_LOG=$WORK/dnsmasq.log
DNS_PID=
GEN=$WORK/gen.py
CFG=$WORK/nfxdp.json

dns_stop_all() {
	if [ -n "$DNS_PID" ]; then
		kill -CONT "$DNS_PID" 2>/dev/null
		kill -TERM "$DNS_PID" 2>/dev/null
		timeout 5 tail --pid="$DNS_PID" -f /dev/null 2>/dev/null
		kill -KILL "$DNS_PID" 2>/dev/null
		DNS_PID=
	fi
}
NFXT_EXTRA_CLEANUP=dns_stop_all

# dns_start: dnsmasq in the collector netns, authoritative for the reverse
# zones (--local: no upstream, unknown names are NXDOMAIN), 10.50.0.1-20 and
# 10.51.0.1-20 and fd00:50::1-20 with names.
dns_start() {
	local args=() i

	for i in $(seq 1 20); do
		args+=("--host-record=h50-$i.nfx.test,10.50.0.$i")
		args+=("--host-record=h51-$i.nfx.test,10.51.0.$i")
		args+=("--host-record=h6-$i.nfx.test,fd00:50::$i")
	done
	# some endpoints of the corpus captures: clients, servers, a ULA client
	for i in 10 11 12 13 14 15; do
		args+=("--host-record=client$i.corpus.test,10.201.1.$i")
	done
	args+=("--host-record=server20.corpus.test,10.201.2.20" "--host-record=server53.corpus.test,10.201.2.53")
	args+=("--host-record=client10-v6.corpus.test,fdcb:201:1::10")
	: >"$DNS_LOG"
	# nsenter execs dnsmasq: $! is dnsmasq itself, and gets SIGSTOP/SIGCONT
	nsenter --net="/run/netns/$NS_C" dnsmasq --keep-in-foreground --conf-file=/dev/null --user=root --group=root \
		--port="$DNS_PORT" --listen-address=127.0.0.1 --bind-interfaces \
		--no-resolv --no-hosts --no-poll --local=/in-addr.arpa/ --local=/ip6.arpa/ \
		--cache-size=0 --log-queries --log-facility="$DNS_LOG" "${args[@]}" \
		2>>"$WORK/dnsmasq.err" &
	DNS_PID=$!
	for _ in $(seq 1 50); do
		grep -q "started" "$DNS_LOG" 2>/dev/null && return 0
		kill -0 "$DNS_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/dnsmasq.err" >&2
	return 1
}

# m NAME: nfx_rdns_NAME_total or the gauge nfx_rdns_NAME from /metrics
m() {
	nfxt_metrics "$MPORT" | awk -v a="nfx_rdns_$1_total" -v b="nfx_rdns_$1" \
		'$1 == a || $1 == b { print $2; exit }'
}

cat >"$GEN" <<'PYEOF'
# gen.py: NetFlow v5 to 127.0.0.1:PORT with chosen endpoints.
#   send PORT SRC,DST...          one record per pair (sport = 1000 + index)
#   flood PORT NET COUNT SECONDS  COUNT records, src 10.NET.x.y all distinct,
#                                 dst 198.51.100.7, evenly over SECONDS
#   corpus PORT PCAP...           the UDP payloads of each capture, one socket each
import socket, struct, sys, time

def v5(recs, seq):
    now = int(time.time())
    out = struct.pack("!HHIIIIBBH", 5, len(recs), 100000, now, 0, seq, 0, 1, 0)
    for i, (s, d) in enumerate(recs):
        out += struct.pack("!4s4s4sHHIIIIHHBBBBHHBBH", socket.inet_aton(s),
                           socket.inet_aton(d), bytes(4), 1, 2, 1, 100, 90000, 99000,
                           1000 + i, 2000 + i, 0, 0, 17, 0, 0, 0, 24, 24, 0)
    return out

mode, port = sys.argv[1], int(sys.argv[2])
sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dst = ("127.0.0.1", port)
if mode == "send":
    pairs = [tuple(p.split(",")) for p in sys.argv[3:]]
    for k in range(0, len(pairs), 30):
        sk.sendto(v5(pairs[k:k + 30], k), dst)
elif mode == "flood":
    net, count, secs = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    msgs = (count + 29) // 30
    t0 = time.time()
    for m in range(msgs):
        recs = []
        for i in range(m * 30, min(count, m * 30 + 30)):
            recs.append(("10.%d.%d.%d" % (net + i // 65536, (i >> 8) & 255, i & 255),
                         "198.51.100.7"))
        sk.sendto(v5(recs, m * 30), dst)
        wait = t0 + secs * (m + 1) / msgs - time.time()
        if wait > 0:
            time.sleep(wait)
    print("%.3f" % (time.time() - t0))
elif mode == "corpus":
    n = 0
    for path in sys.argv[3:]:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        data = open(path, "rb").read()
        le = data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1")
        e = "<" if le else ">"
        off = 24
        while off + 16 <= len(data):
            incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
            frame = data[off + 16:off + 16 + incl]
            off += 16 + incl
            et, p = struct.unpack("!H", frame[12:14])[0], 14
            while et == 0x8100:
                et, p = struct.unpack("!H", frame[p + 2:p + 4])[0], p + 4
            if et == 0x0800:
                ihl, proto = (frame[p] & 15) * 4, frame[p + 9]
                if proto != 17 or struct.unpack("!H", frame[p + 6:p + 8])[0] & 0x3fff:
                    continue
                udp = p + ihl
            elif et == 0x86dd:
                if frame[p + 6] != 17:
                    continue
                udp = p + 40
            else:
                continue
            ulen = struct.unpack("!H", frame[udp + 4:udp + 6])[0]
            s.sendto(frame[udp + 8:udp + ulen], dst)
            n += 1
            if n % 50 == 0:
                time.sleep(0.005)
    print(n)
PYEOF

# has_name IP: the names that endpoint IP carries in $OUT (sorted, unique, "-" none)
names_of() {
	python3 - "$OUT" "$1" <<'PYEOF'
import json, sys
names = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    for k in ("source", "destination"):
        if r[k]["ip"] == sys.argv[2]:
            names.add(r[k].get("reverse_dns_hostname", "-"))
print(" ".join(sorted(names)) or "absent")
PYEOF
}

# last_name IP: the name on the last record with endpoint IP ("-" none)
last_name() {
	python3 - "$OUT" "$1" <<'PYEOF'
import json, sys
last = "absent"
for line in open(sys.argv[1]):
    r = json.loads(line)
    for k in ("source", "destination"):
        if r[k]["ip"] == sys.argv[2]:
            last = r[k].get("reverse_dns_hostname", "-")
print(last)
PYEOF
}

nfxt_setup || { fail "netns/veth setup"; exit 1; }
dns_start || { fail "dnsmasq did not start"; exit 1; }

# error TTL short, so that names come back within the test after the outage
echo '{ "reverse_dns_error_ttl": 2 }' >"$CFG"
nfxt_start --udp -p 2055 -c "$CFG" --rdns --rdns-server "127.0.0.1:$DNS_PORT" \
	--metrics "$MPORT" || { fail "nfxdp run --rdns did not start"; exit 1; }

# ---- names: with PTR, without PTR, public ----
PAIRS=()
for i in 1 2 3 4 5; do
	PAIRS+=("10.50.0.$i,10.60.0.$i" "10.50.0.$((i + 5)),198.51.100.$i" "8.8.$i.8,10.50.0.$((i + 10))")
done
nfxt_c python3 "$GEN" send 2055 "${PAIRS[@]}"
nfxt_wait_records 15 5 || fail "first round: $(wc -l <"$OUT") records of 15"
sleep 0.5
nfxt_c python3 "$GEN" send 2055 "${PAIRS[@]}"
nfxt_wait_records 30 5 || fail "second round: $(wc -l <"$OUT") records of 30"
bad=""
for i in $(seq 1 15); do
	got=$(last_name "10.50.0.$i")
	[ "$got" = "h50-$i.nfx.test" ] || bad+=" 10.50.0.$i=$got"
done
for a in 10.60.0.1 10.60.0.5 198.51.100.1 8.8.3.8; do
	got=$(names_of "$a")
	[ "$got" = "-" ] || bad+=" $a=$got"
done
[ -z "$bad" ] && ok "names on the endpoints with a PTR record only" || fail "names:$bad"
if grep -qE 'query\[PTR\] [0-9.]*\.(100\.51\.198|8\.8)\.in-addr\.arpa' "$DNS_LOG"; then
	fail "public addresses queried: $(grep -E 'query\[PTR\].*(100\.51\.198|8\.8)\.in-addr' "$DNS_LOG" | head -3)"
else
	n=$(grep -c 'query\[PTR\]' "$DNS_LOG")
	[ "$n" -eq 20 ] && ok "public addresses never queried ($n PTR queries, 15 named + 5 NXDOMAIN)" ||
		fail "$n PTR queries in dnsmasq's log, want 20 (one per private address)"
fi
q=$(m queries); a=$(m answers); nx=$(m nxdomain); h=$(m cache_hits)
[ "$q" = 20 ] && [ "$a" = 15 ] && [ "$nx" = 5 ] && [ "${h:-0}" -ge 20 ] &&
	ok "counters queries=$q answers=$a nxdomain=$nx cache_hits=$h" ||
	fail "counters queries=$q answers=$a nxdomain=$nx cache_hits=$h"
if out=$(python3 "$NFXT_ROOT/tests/tools/schema_check.py" "$NFXT_ROOT/doc/flow.schema.json" "$OUT" 2>&1); then
	ok "records valid against the schema"
else
	fail "schema: $out"
fi

# ---- dead resolver: same collection rate, no names, timeouts, names come back ----
RATE_N=15000
RATE_S=3
t_live=$(nfxt_c python3 "$GEN" flood 2055 100 $RATE_N $RATE_S)
before=$(wc -l <"$OUT")
nfxt_wait_records $((30 + RATE_N)) 10 || fail "live resolver: $(( $(wc -l <"$OUT") - 30 )) of $RATE_N records"
kill -STOP "$DNS_PID"
sleep 0.2
base=$(wc -l <"$OUT")
nfxt_c python3 "$GEN" send 2055 10.51.0.1,10.51.0.2 10.51.0.3,198.51.100.9
t_dead=$(nfxt_c python3 "$GEN" flood 2055 110 $RATE_N $RATE_S)
sleep 0.3
lag=$(( base + 2 + RATE_N - $(wc -l <"$OUT") ))
nfxt_wait_records $((base + 2 + RATE_N)) 10 || fail "dead resolver: $(( $(wc -l <"$OUT") - base - 2 )) of $RATE_N records"
info "flood $RATE_N records in ${RATE_S}s: sent in ${t_live}s (resolver up) / ${t_dead}s (resolver stopped); records behind 0.3 s after the end: $lag"
[ "$lag" -le 0 ] && ok "collection rate unchanged with the resolver stopped ($RATE_N records in ${t_dead}s, none behind)" ||
	fail "collection fell behind with the resolver stopped: $lag records late"
sleep 3.5	# c-ares: 1 s + 2 s per query, then they time out
nfxt_c python3 "$GEN" send 2055 10.51.0.1,10.51.0.2 10.51.0.3,198.51.100.9
nfxt_wait_records $((base + 4 + RATE_N)) 5
t=$(m timeouts); rl=$(m rate_limited); th=$(m throttles); rate=$(m rate)
info "resolver stopped: timeouts=$t rate_limited=$rl throttles=$th rate now=$rate/s"
[ "${t:-0}" -gt 0 ] && ok "timeouts counted ($t), rate throttled to $rate/s" || fail "no timeouts counted"
got="$(last_name 10.51.0.1) $(last_name 10.51.0.2) $(last_name 10.51.0.3)"
[ "$got" = "- - -" ] && ok "no names while the resolver is stopped" || fail "names during the outage: $got"
kill -CONT "$DNS_PID"
back=0
for _ in $(seq 1 40); do		# error TTL 2 s, throttle recovers 2x every 2 s
	nfxt_c python3 "$GEN" send 2055 10.51.0.1,10.51.0.2 10.51.0.3,198.51.100.9
	sleep 0.25
	got="$(last_name 10.51.0.1) $(last_name 10.51.0.2) $(last_name 10.51.0.3)"
	[ "$got" = "h51-1.nfx.test h51-2.nfx.test h51-3.nfx.test" ] && { back=1; break; }
done
[ "$back" = 1 ] && ok "names back after the resolver returned" || fail "names after the outage: $got"
nfxt_stop || fail "nfxdp exit status"
grep -o 'rdns lookups=.*' "$ERR" | sed 's/^/# /'

# ---- flood: rate limit and cache bound ----
cat >"$CFG" <<EOF
{ "reverse_dns_rate_limit": 200, "reverse_dns_max_entries": 500, "reverse_dns_negative_ttl": 600 }
EOF
: >"$DNS_LOG"
nfxt_start --udp -p 2055 -c "$CFG" --rdns --rdns-server "127.0.0.1:$DNS_PORT" \
	--metrics "$MPORT" || { fail "nfxdp run (flood) did not start"; exit 1; }
t0=$(date +%s.%N)
nfxt_c python3 "$GEN" flood 2055 120 40000 4 >/dev/null
sleep 0.5
el=$(echo "$(date +%s.%N) - $t0" | bc)
q=$(m queries); rl=$(m rate_limited); cs=$(m cache_size); ev=$(m cache_evictions)
logq=$(grep -c 'query\[PTR\]' "$DNS_LOG")
max=$(echo "200 + 200 * $el + 5" | bc | cut -d. -f1)
info "flood 40000 distinct addresses in 4 s: queries=$q (dnsmasq saw $logq) rate_limited=$rl cache_size=$cs evictions=$ev elapsed=${el}s"
[ "$q" -le "$max" ] && [ "$q" -ge 600 ] && [ "$logq" -le "$max" ] &&
	ok "rate limit holds: $q queries in ${el}s at 200/s (burst 200)" ||
	fail "rate limit: $q queries (dnsmasq $logq) in ${el}s, want 600..$max"
[ "$cs" -le 500 ] && [ "$cs" -ge 400 ] && [ "$ev" -ge $((q - 500)) ] &&
	ok "cache bound holds: $cs entries of 500, $ev evicted" ||
	fail "cache bound: size $cs (max 500), evictions $ev, queries $q"
nfxt_stop || fail "nfxdp exit status (flood)"

# ---- corpus replay: lookups and cache hit ratio (aggregation off, every record) ----
cat >"$CFG" <<EOF
{ "reverse_dns_prefixes": ["default"] }
EOF
nfxt_start --udp -p 2055 -c "$CFG" --rdns --rdns-server "127.0.0.1:$DNS_PORT" \
	--metrics "$MPORT" || { fail "nfxdp run (corpus) did not start"; exit 1; }
pk=$(nfxt_c python3 "$GEN" corpus 2055 "$NFXT_ROOT"/tests/data/corpus/*.pcap)
sleep 1
l=$(m lookups); ie=$(m ineligible); h=$(m cache_hits); p=$(m pending); q=$(m queries)
ratio=$(echo "scale=3; $h / ($l - $ie)" | bc)
named=$(grep -c '"reverse_dns_hostname"' "$OUT")
info "corpus replay: $pk packets, $(wc -l <"$OUT") records, lookups=$l ineligible=$ie cache_hits=$h pending=$p queries=$q answers=$(m answers) hit ratio=$ratio, $named records with a name"
[ "$q" -gt 0 ] && [ "$h" -gt 0 ] && [ "$named" -gt 0 ] && ok "corpus replay: $l lookups, hit ratio $ratio" ||
	fail "corpus replay: lookups=$l hits=$h queries=$q"
nfxt_stop || fail "nfxdp exit status (corpus)"
dns_stop_all
exit $NFXT_FAILED

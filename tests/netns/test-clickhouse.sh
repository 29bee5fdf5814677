#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-clickhouse.sh - the ClickHouse sink against real servers (Debian's
# clickhouse-server 18.16 and zookeeper), all inside the collector netns so
# that their loopback ports collide with nothing:
#   a) corpus captures replayed through `nfxdp run --udp --clickhouse`: the
#      table holds the same row count and byte sum as the NDJSON output of
#      the same run;
#   b) the server is stopped mid-stream and started again: the batches spool
#      and drain, and every row is in the (ReplicatedMergeTree) table exactly
#      once;
#   c) two servers as two shards behind a Distributed table, two nfxdp
#      instances each inserting into it through a different server: the
#      Distributed table holds every row of both;
#   d) enrichment (reverse DNS from dnsmasq, mapped fields from the
#      configuration): each row carries the same reverse_dns_hostname and
#      mapped fields as its NDJSON record.
# Every server and collector it starts is stopped and its data removed (trap).
source "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/ch-server.sh
source "$NFXT_ROOT/scripts/ch-server.sh"

command -v clickhouse-server >/dev/null && command -v clickhouse-client >/dev/null ||
	{ fail "clickhouse-server not installed (scripts/install-deps.sh installs clickhouse-server clickhouse-client zookeeper)"; exit 1; }
[ -r /usr/share/java/zookeeper.jar ] && command -v java >/dev/null ||
	{ fail "zookeeper not installed (scripts/install-deps.sh installs it)"; exit 1; }
[ -x "$NFXDP" ] || skip "build/nfxdp not built (make)"
"$NFXDP" run --help 2>&1 | grep -q -- --clickhouse ||
	{ fail "nfxdp run has no --clickhouse option"; exit 1; }

declare -A CH_PID	# server pid per name, see ch_start
ZK_PID=
NFX2_PID=
DNS_PID=
ch_cleanup() {
	local p
	[ -n "$NFX2_PID" ] && kill -TERM "$NFX2_PID" 2>/dev/null
	for p in "${CH_PID[@]}" $ZK_PID $DNS_PID; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${CH_PID[@]}" $ZK_PID $NFX2_PID $DNS_PID; do
		timeout 3 tail --pid="$p" -f /dev/null 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$WORK"/ch-* "$WORK"/zk
}
NFXT_EXTRA_CLEANUP=ch_cleanup

nfxt_setup || { fail "netns setup"; exit 1; }

# ---- servers ----

zk_start() {
	local d=$WORK/zk i
	mkdir -p "$d/data"
	printf 'tickTime=2000\ndataDir=%s/data\nclientPort=2181\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=ruok\n' \
		"$d" >"$d/zoo.cfg"
	nsenter --net="/run/netns/$NS_C" java -Xmx256m -cp "/usr/share/java/zookeeper.jar" -Dzookeeper.log.dir="$d" \
		org.apache.zookeeper.server.quorum.QuorumPeerMain "$d/zoo.cfg" >"$d/out.log" 2>&1 &
	ZK_PID=$!
	disown "$ZK_PID"
	for ((i = 0; i < 300; i++)); do
		[ "$(nfxt_c python3 -c 'import socket
s = socket.create_connection(("127.0.0.1", 2181), 1); s.send(b"ruok"); print(s.recv(4).decode())' 2>/dev/null)" = imok ] && return 0
		kill -0 "$ZK_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$d/out.log" >&2
	return 1
}

# ch_conf NAME SHARD: a server configuration in $WORK/ch-NAME (ports 8122+SHARD
# HTTP, 9000+SHARD native, 9100+SHARD interserver), ZooKeeper, the macros of
# its shard, and cluster nfx_test of the two shards.
ch_conf() {
	local s=$2
	ch_write_conf "$WORK/ch-$1" $((8122 + s)) $((9000 + s)) information "\
  <interserver_http_port>$((9100 + s))</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <zookeeper><node><host>127.0.0.1</host><port>2181</port></node></zookeeper>
  <macros><shard>0$s</shard><replica>r$s</replica></macros>
  <remote_servers><nfx_test>
    <shard><internal_replication>true</internal_replication><replica><host>127.0.0.1</host><port>9001</port></replica></shard>
    <shard><internal_replication>true</internal_replication><replica><host>127.0.0.1</host><port>9002</port></replica></shard>
  </nfx_test></remote_servers>"
}

# ch_start NAME SHARD: start (or restart) server NAME, wait until it answers.
ch_start() {
	local d=$WORK/ch-$1 t0=$(date +%s%N)
	[ -e "$d/config.xml" ] || ch_conf "$1" "$2"
	nsenter --net="/run/netns/$NS_C" clickhouse-server --config-file="$d/config.xml" >>"$d/log/stdout" 2>&1 &
	CH_PID[$1]=$!
	disown "${CH_PID[$1]}"
	ch_wait_ready "$d" "${CH_PID[$1]}" $((8122 + $2)) 150 nfxt_c || return 1
	info "clickhouse $1 ready in $((($(date +%s%N) - t0) / 1000000)) ms"
}

# ch_stop NAME [SIGNAL]: stop server NAME (TERM: waits while clients are
# connected, 30 s at most; KILL: a crash).
ch_stop() {
	local p=${CH_PID[$1]}
	kill -"${2:-TERM}" "$p" 2>/dev/null
	timeout 30 tail --pid="$p" -f /dev/null
	kill -KILL "$p" 2>/dev/null
	unset "CH_PID[$1]"
}

# ch_q SHARD SQL: one query over HTTP, the result on stdout.
ch_q() {
	nfxt_c curl -sS --max-time 20 "http://127.0.0.1:$((8122 + $1))/" --data-binary "$2"
}

# ch_ddl SHARD ARGS...: `nfxdp clickhouse-schema ARGS | clickhouse-client --multiquery`.
ch_ddl() {
	local s=$1
	shift
	"$NFXDP" clickhouse-schema "$@" >"$WORK/ddl.sql" || return 1
	nfxt_c clickhouse-client --host 127.0.0.1 --port $((9000 + s)) --multiquery <"$WORK/ddl.sql"
}

# ch_wait SHARD SQL WANT SECONDS: until SQL returns WANT.
ch_wait() {
	local i got
	for ((i = 0; i < $4 * 5; i++)); do
		got=$(ch_q "$1" "$2" 2>/dev/null)
		[ "$got" = "$3" ] && break
		sleep 0.2
	done
	echo "$got"
	[ "$got" = "$3" ]
}

# ndjson_sums FILE...: "COUNT<TAB>SUM(bytes)" of NDJSON files.
ndjson_sums() {
	python3 - "$@" <<'EOF'
import json, sys
n = b = 0
for p in sys.argv[1:]:
    for line in open(p):
        r = json.loads(line)
        n += 1
        b += r["bytes"]
print("%d\t%d" % (n, b))
EOF
}

# replay PORT PCAP...: the UDP payloads of each capture to 127.0.0.1:PORT,
# one socket per capture (its own exporter session), paced.
replay() {
	nfxt_c python3 - "$NFXT_ROOT/scripts" "$@" <<'EOF'
import socket, sys, time
sys.path.insert(0, sys.argv[1])
import pcap_payloads as pp
port = int(sys.argv[2])
n = 0
for path in sys.argv[3:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for fr in pp.frames(path):
        p = pp.udp_payload(fr)
        if p:
            s.sendto(p, ("127.0.0.1", port))
            n += 1
            if n % 20 == 0:
                time.sleep(0.002)
    s.close()
print(n)
EOF
}

zk_start || { fail "zookeeper did not start"; exit 1; }
ch_start s1 1 || { fail "clickhouse-server did not start"; exit 1; }
info "$(ch_q 1 'SELECT version()' | sed 's/^/clickhouse-server /')"
URL1="http://127.0.0.1:8123/?database=default"
URL2="http://127.0.0.1:8124/?database=default"

# ---- a) corpus replay: same rows and bytes as the NDJSON output ----

ch_ddl 1 --table flows || { fail "schema (MergeTree) not accepted"; exit 1; }
nfxt_start --udp --bind 127.0.0.1 -p 2055 --clickhouse "$URL1" --clickhouse-batch-ms 200 ||
	{ fail "nfxdp run --clickhouse did not start"; exit 1; }
CORPUS=$NFXT_ROOT/tests/data/corpus
sent=$(replay 2055 "$CORPUS/softflowd-v5.pcap" "$CORPUS/softflowd-v9.pcap" \
	"$CORPUS/softflowd-ipfix.pcap" "$CORPUS/pmacct-ipfix.pcap" "$CORPUS/fprobe-v7.pcap")
sleep 0.5
nfxt_stop || fail "nfxdp exited with an error"
want=$(ndjson_sums "$OUT")
got=$(ch_wait 1 "SELECT count(), sum(bytes) FROM flows" "$want" 10)
if [ "$got" = "$want" ] && [ "${want%%$'\t'*}" -gt 1000 ]; then
	ok "corpus: $sent datagrams, rows/bytes in ClickHouse = NDJSON (${want/$'\t'/ rows, } bytes)"
else
	fail "corpus: ClickHouse has '$got', the NDJSON output '$want'"
fi
# field by field, for the records of one type: ClickHouse rows = NDJSON records
if python3 - "$OUT" <(ch_q 1 "SELECT type, exporter, src_ip, src_port, dst_ip, dst_port, ip_protocol, bytes, packets, toUInt32(start), toUInt32(\`end\`), in_if, out_if FROM flows FORMAT TabSeparated") <<'EOF'
import json, sys, collections
want = collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)
    want[(r["type"], r["exporter"]["ip"], r["source"]["ip"], r["source"]["port"],
          r["destination"]["ip"], r["destination"]["port"], r["ip_protocol"],
          str(r["bytes"]), str(r["packets"]), str(r["start"]), str(r["end"]),
          str(r["ingress"]["interface"]["index"]), str(r["egress"]["interface"]["index"]))] += 1
got = collections.Counter(tuple(l.rstrip("\n").split("\t")) for l in open(sys.argv[2]))
if want != got:
    print("differ: %d only in NDJSON, %d only in ClickHouse, e.g. %s" % (
        sum((want - got).values()), sum((got - want).values()),
        list((want - got).elements())[:1] or list((got - want).elements())[:1]))
    sys.exit(1)
EOF
then ok "corpus: every row equals its NDJSON record (13 fields)"; else fail "corpus rows differ"; fi

# ---- b) server stopped mid-stream: every row exactly once ----

ch_ddl 1 --table flows_b --engine replicated || { fail "schema (Replicated) not accepted"; exit 1; }
SPOOL=$WORK/spool-b
nfxt_start --udp --bind 127.0.0.1 -p 2055 --clickhouse "$URL1" --clickhouse-table flows_b \
	--clickhouse-spool "$SPOOL" --clickhouse-batch-ms 200 ||
	{ fail "nfxdp run did not start"; exit 1; }
nfxt_c $NFSEND --dst 127.0.0.1 --port 2055 --kind v5 --messages 400 --records 25 --gap 0.01 &
SENDER=$!
sleep 1.2
ch_stop s1 KILL		# a crash: a batch may be in, unacknowledged
info "server killed at $(wc -l <"$OUT") NDJSON records"
max_files=0
for _ in $(seq 1 15); do
	sleep 0.2
	f=$(ls "$SPOOL" 2>/dev/null | grep -c '\.gz$')
	[ "$f" -gt "$max_files" ] && max_files=$f && max_bytes=$(du -sb "$SPOOL" | cut -f1)
done
info "spool while the server was down: up to $max_files batch files, ${max_bytes:-0} bytes"
ch_start s1 1 || { fail "clickhouse-server did not restart"; exit 1; }
wait "$SENDER"
nfxt_wait_records 10000 20 || info "only $(wc -l <"$OUT") NDJSON records"
sleep 0.5
want=$(ndjson_sums "$OUT")
got=$(ch_wait 1 "SELECT count(), sum(bytes) FROM flows_b" "$want" 40)
dups=$(ch_q 1 "SELECT count() - uniqExact(src_port) FROM flows_b")
nfxt_stop || fail "nfxdp exited with an error"
grep -E 'clickhouse' "$ERR" | sed 's/^/# /' | cut -c1-200 | head -n 8
spooled_after=$(ls "$SPOOL" | grep -c '\.gz$')
if [ "$got" = "$want" ] && [ "$dups" = 0 ] && [ "$max_files" -gt 0 ] && [ "$spooled_after" = 0 ]; then
	ok "server restart: ${want%%$'\t'*} rows, each exactly once; spool held up to $max_files batches and drained"
else
	fail "server restart: ClickHouse '$got' (duplicates $dups), NDJSON '$want', spool max $max_files, left $spooled_after"
fi

# ---- c) two shards behind a Distributed table, two collectors ----

ch_start s2 2 || { fail "second clickhouse-server did not start"; exit 1; }
for s in 1 2; do
	ch_ddl $s --table flows_c --cluster nfx_test || { fail "cluster schema on shard $s"; exit 1; }
done
nfxt_start --udp --bind 127.0.0.1 -p 2055 --clickhouse "$URL1" --clickhouse-table flows_c \
	--clickhouse-batch-ms 200 || { fail "nfxdp A did not start"; exit 1; }
OUT2=$WORK/out2.ndjson ERR2=$WORK/nfxdp2.err
nsenter --net="/run/netns/$NS_C" "$NFXDP" run --raw --udp --bind 127.0.0.1 -p 2056 -o "$OUT2" --clickhouse "$URL2" \
	--clickhouse-table flows_c --clickhouse-batch-ms 200 --stats-file "$WORK/nfxdp2.prom" 2>"$ERR2" &
NFX2_PID=$!
nfxt_wait_file "$NFX2_PID" "$WORK/nfxdp2.prom" || fail "nfxdp B did not start: $(tail -n 2 "$ERR2")"
nfxt_c $NFSEND --dst 127.0.0.1 --port 2055 --kind v5 --messages 100 --records 30 --gap 0.002
nfxt_c $NFSEND --dst 127.0.0.1 --port 2056 --kind ipfix --messages 100 --records 30 --base 20000 --gap 0.002
sleep 0.5
nfxt_stop || fail "nfxdp A exited with an error"
kill -TERM "$NFX2_PID"; wait "$NFX2_PID" || fail "nfxdp B exited with an error"
NFX2_PID=
want=$(ndjson_sums "$OUT" "$OUT2")
got=$(ch_wait 1 "SELECT count(), sum(bytes) FROM flows_c" "$want" 30)
got2=$(ch_q 2 "SELECT count(), sum(bytes) FROM flows_c")
l1=$(ch_q 1 "SELECT count() FROM flows_c_local")
l2=$(ch_q 2 "SELECT count() FROM flows_c_local")
byhost=$(ch_q 1 "SELECT type, count() FROM flows_c GROUP BY type ORDER BY type FORMAT CSV" | tr '\n' ' ')
info "two shards: shard 1 holds $l1 rows, shard 2 $l2; per collector: $byhost"
if [ "$got" = "$want" ] && [ "$got2" = "$want" ] && [ "$l1" -gt 0 ] && [ "$l2" -gt 0 ] &&
	[ $((l1 + l2)) = "${want%%$'\t'*}" ]; then
	ok "two shards: Distributed table holds all ${want%%$'\t'*} rows of both collectors (shard 1: $l1, shard 2: $l2)"
else
	fail "two shards: Distributed '$got' / '$got2', NDJSON '$want', shards $l1 + $l2"
fi

# ---- d) enrichment: rows carry the NDJSON records' names and mapped fields ----

if command -v dnsmasq >/dev/null; then
	DNS_PORT=5353
	dargs=()
	for i in 10 11 12 13 14 15; do dargs+=("--host-record=client$i.corpus.test,10.201.1.$i"); done
	dargs+=("--host-record=server20.corpus.test,10.201.2.20" "--host-record=server53.corpus.test,10.201.2.53")
	# nsenter execs dnsmasq: $! is dnsmasq itself
	nsenter --net="/run/netns/$NS_C" dnsmasq --keep-in-foreground --conf-file=/dev/null \
		--user=root --group=root --port="$DNS_PORT" --listen-address=127.0.0.1 --bind-interfaces \
		--no-resolv --no-hosts --no-poll --local=/in-addr.arpa/ --local=/ip6.arpa/ \
		--cache-size=0 "${dargs[@]}" 2>"$WORK/dnsmasq.err" &
	DNS_PID=$!
	printf '%s\n' '{ "listeners": [ { "flow_type": "ipfix", "port": 2055, "mapping": [' \
		'  { "field": 10, "destination": "in_if_copy", "type": "integer" },' \
		'  { "field": 7, "destination": "sport_hex", "type": "hex" },' \
		'  { "field": 8, "destination": "src_copy", "type": "ip" } ] } ] }' >"$WORK/enrich.json"
	ch_ddl 1 --table flows_d || fail "enrichment: schema not accepted"
	nfxt_start --udp --bind 127.0.0.1 -c "$WORK/enrich.json" --raw --rdns \
		--rdns-server "127.0.0.1:$DNS_PORT" --clickhouse "$URL1" --clickhouse-table flows_d \
		--clickhouse-batch-ms 200 || { fail "enrichment: nfxdp did not start"; exit 1; }
	# twice: the second pass finds the names the first one asked for
	replay 2055 "$CORPUS/softflowd-ipfix.pcap" >/dev/null
	sleep 1
	replay 2055 "$CORPUS/softflowd-ipfix.pcap" >/dev/null
	sleep 0.5
	nfxt_stop || fail "enrichment: nfxdp exited with an error"
	want=$(ndjson_sums "$OUT")
	ch_wait 1 "SELECT count(), sum(bytes) FROM flows_d" "$want" 10 >/dev/null
	ch_q 1 "SELECT src_ip, src_port, dst_ip, dst_port, bytes, packets, toUInt32(start) AS s,
		src_reverse_dns_hostname, dst_reverse_dns_hostname, additional_keys,
		additional_values FROM flows_d FORMAT JSONEachRow" >"$WORK/rows_d.json"
	if res=$(python3 "$NFXT_ROOT/tests/tools/ch_enrich_compare.py" "$OUT" "$WORK/rows_d.json" \
		in_if_copy sport_hex src_copy); then
		ok "enrichment: each ClickHouse row has its NDJSON record's names and mapped fields ($res)"
	else
		fail "enrichment: $res"
	fi
else
	skip "dnsmasq not installed (dnsmasq-base): enrichment part not run"
fi

exit $NFXT_FAILED

#!/bin/bash
# test-diskfull.sh - a full disk loses only what it must, and says so (issue
# 17, D2-D4).  The output goes to a small tmpfs that is filled up, then freed
# while traffic flows, for a plain and a gzip file.  After SIGTERM:
#   - every line is a whole JSON record (gzip: zcat reads the file to its end);
#   - the lines in the file are nfx_output_records_total, and written +
#     dropped is what the decoder produced;
#   - the disk really filled (write errors or drops counted), and the log
#     warns about it at most once a minute;
# and the ClickHouse spool: on a read-only filesystem the start-up error
# names the spool; on a full one the write errors name it, rate-limited.
# Root only (it mounts a tmpfs, in a private mount namespace).
set -u
cd "$(dirname "$0")/../.."
NFXDP=${NFXDP:-build/nfxdp}
ok() { echo "ok diskfull $*"; }
fail() { echo "FAIL diskfull $*"; }

if [ "$(id -u)" != 0 ]; then
	echo "skip diskfull: needs root (mounts a tmpfs)"
	exit 0
fi
# the mounts die with the namespace, whatever happens to this script
if [ -z "${NFXT_DISKFULL_NS:-}" ]; then
	exec unshare -m --propagation private env NFXT_DISKFULL_NS=1 bash "$0" "$@"
fi

W=$(mktemp -d /tmp/nfxtest-diskfull.XXXXXX)
pid= snd= mnt=
cleanup() {
	[ -n "$snd" ] && kill "$snd" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$mnt" ] && umount "$mnt" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
port=$((30000 + $$ % 20000))

# prom FILE: "written dropped decoded write_errors" from a daemon counter file
prom() {
	python3 - "$1" <<'PY'
import sys
v = {"w": 0, "d": 0, "dec": 0, "e": 0}
for line in open(sys.argv[1]):
    if line.startswith("#") or " " not in line:
        continue
    name, val = line.rsplit(" ", 1)
    key = {"nfx_output_records_total": "w", "nfx_output_dropped_total": "d",
           "nfx_output_write_errors_total": "e"}.get(name)
    if name.startswith("nfx_decoder_records_total"):
        key = "dec"
    if key:
        v[key] += int(float(val))
print(v["w"], v["d"], v["dec"], v["e"])
PY
}

# check_lines FILE: "lines invalid torn_tail_bytes" (every line must be a JSON object)
check_lines() {
	python3 - "$1" <<'PY'
import json, sys
ls = open(sys.argv[1], "rb").read().split(b"\n")
tail = ls.pop()
bad = 0
for l in ls:
    try:
        if not isinstance(json.loads(l), dict):
            bad += 1
    except ValueError:
        bad += 1
print(len(ls), bad, len(tail))
PY
}

# avail DIR: kilobytes free
avail() { df -k --output=avail "$1" | tail -1; }

# run_case NAME SIZE_KB FREE_KB [--gzip]: fill the tmpfs to FREE_KB, send
# 20000 records; once the disk is full (and half a second more), free it;
# stop the daemon, check file and counters.
run_case() {
	local name=$1 size=$2 free=$3 gz=${4:-} out cnt w d dec e lines bad tail warns rc
	mnt=$W/$name
	mkdir -p "$mnt"
	mount -t tmpfs -o size=${size}k "nfxtest-diskfull-$$-$name" "$mnt" ||
		{ fail "$name: cannot mount a tmpfs"; mnt=; return; }
	dd if=/dev/zero of="$mnt/filler" bs=1k count=$((size - free)) status=none 2>/dev/null
	out=$mnt/flows.ndjson
	"$NFXDP" run --udp --bind 127.0.0.1 -p "$port" --raw $gz -o "$out" \
		--stats-file "$W/$name.prom" 2>"$W/$name.log" &
	pid=$!
	for _ in $(seq 1 50); do [ -s "$W/$name.prom" ] && break; sleep 0.1; done
	python3 tests/tools/nfsend.py --dst 127.0.0.1 --port "$port" --kind v5 \
		--messages 2000 --records 10 --gap 0.002 >/dev/null &
	snd=$!
	for _ in $(seq 1 100); do [ "$(avail "$mnt")" -lt 8 ] && break; sleep 0.1; done
	sleep 0.5
	rm -f "$mnt/filler"
	wait "$snd"; snd=
	# the counters are final once nothing waits in the writer's buffer
	cnt="0 0 1 0"
	for _ in $(seq 1 30); do
		sleep 0.5
		cnt=$(prom "$W/$name.prom")
		read -r w d dec e <<<"$cnt"
		[ "$dec" -gt 0 ] && [ $((w + d)) = "$dec" ] && break
	done
	read -r w d dec e <<<"$cnt"
	kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
	[ -n "${DEBUG:-}" ] && { echo "$cnt"; cat "$W/$name.log"; }
	[ "$rc" = 0 ] || fail "$name: daemon exit status $rc"
	if [ -n "$gz" ]; then
		zcat "$out" > "$W/$name.txt" 2>"$W/$name.zcat"
		rc=$?
		[ "$rc" = 0 ] && ok "$name: zcat reads the whole file" ||
			fail "$name: zcat rc=$rc: $(head -c 200 "$W/$name.zcat")"
	else
		cp "$out" "$W/$name.txt"
	fi
	umount "$mnt"; mnt=
	read -r lines bad tail <<<"$(check_lines "$W/$name.txt")"
	[ "$bad" = 0 ] && [ "$tail" = 0 ] && ok "$name: $lines lines, every one a whole JSON record" ||
		fail "$name: $bad invalid lines of $lines, torn tail of $tail bytes"
	[ "$w" = "$lines" ] && ok "$name: nfx_output_records_total $w = lines in the file" ||
		fail "$name: nfx_output_records_total $w, lines in the file $lines"
	[ $((w + d)) = "$dec" ] && ok "$name: written $w + dropped $d = $dec decoded" ||
		fail "$name: written $w + dropped $d != $dec decoded"
	[ "$dec" = 20000 ] || echo "   ($name: $dec of 20000 records reached the decoder)"
	[ "$e" -gt 0 ] || [ "$d" -gt 0 ] && ok "$name: the disk filled ($e write errors, $d dropped)" ||
		fail "$name: the disk never filled (no write error, nothing dropped)"
	warns=$(grep -c '^nfxdp: output' "$W/$name.log")
	[ "$warns" -le 2 ] && ok "$name: $warns output warnings in the run" ||
		fail "$name: $warns output warnings (once a minute): $(grep -m2 output "$W/$name.log")"
}

# spool_case: the ClickHouse spool on a read-only and on a full filesystem
# (the server's port is closed): errors name the spool, at most one a run.
spool_case() {
	local url="http://127.0.0.1:$((port + 1))/?database=default" n
	mnt=$W/spool
	mkdir -p "$mnt"
	mount -t tmpfs -o ro,size=64k "nfxtest-diskfull-$$-ro" "$mnt" ||
		{ fail "spool: cannot mount a tmpfs"; mnt=; return; }
	"$NFXDP" run --udp --bind 127.0.0.1 -p "$port" --raw -o /dev/null --stats-file none \
		--clickhouse "$url" --clickhouse-spool "$mnt/spool" 2>"$W/spool-ro.log"
	grep -q "^nfxdp: clickhouse spool $mnt/spool: Read-only file system$" "$W/spool-ro.log" &&
		ok "spool: a read-only spool is named at start" ||
		fail "spool: read-only spool: $(head -c 300 "$W/spool-ro.log")"
	umount "$mnt"
	mount -t tmpfs -o size=64k "nfxtest-diskfull-$$-spool" "$mnt" ||
		{ fail "spool: cannot mount a tmpfs"; mnt=; return; }
	mkdir "$mnt/spool"
	dd if=/dev/zero of="$mnt/filler" bs=1k count=64 status=none 2>/dev/null
	"$NFXDP" run --udp --bind 127.0.0.1 -p "$port" --raw -o /dev/null --stats-file none \
		--clickhouse "$url" --clickhouse-spool "$mnt/spool" --clickhouse-batch-rows 100 \
		2>"$W/spool.log" &
	pid=$!
	sleep 0.5
	python3 tests/tools/nfsend.py --dst 127.0.0.1 --port "$port" --kind v5 \
		--messages 500 --records 10 --gap 0.002 >/dev/null
	sleep 1
	kill -TERM "$pid"; wait "$pid"; pid=
	umount "$mnt"; mnt=
	n=$(grep -c "cannot write" "$W/spool.log")
	if [ "$n" -ge 1 ] && [ "$n" -le 2 ] && grep -q "clickhouse spool $W/spool/spool: cannot write" "$W/spool.log"; then
		ok "spool: a full spool is named, $n warning for ~50 batches"
	else
		fail "spool: $n 'cannot write' lines for ~50 batches: $(grep -m2 'cannot write' "$W/spool.log")"
	fi
}

run_case plain 16384 300
run_case gzip 4096 40 --gzip
spool_case

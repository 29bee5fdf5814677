#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-malformed.sh - broken export packets sent while good ones flow: the
# XDP program drops each in the nfx_stats field its defect calls for, the
# daemon never sees them, and every good record still arrives.  Crafted
# cases give exact counts; the malformed corpus (tests/data/malformed) is
# also replayed with tcpreplay and must be dropped or decoded, never stall.
# Its sFlow captures (port 6343, an sflow5 listener) move exactly the XDP
# counters their expected.json "xdp" lists name, and the valid datagram
# that closes each of them is decoded.
source "$(dirname "$0")/lib.sh"

nfxt_setup || { fail "netns/veth setup"; exit 1; }
nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" -p 2055 -p 4739 -p 6343/sflow ||
	{ fail "nfxdp run did not start"; exit 1; }

# good traffic before, between and after the bad packets
good=0
send_good() {
	nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v5 --messages 10 --records 2 \
		--base "$good" --sockets 4 --sport $((41000 + good))
	good=$((good + 20))
}

declare -A want=( [short]="other short_pkt" [bad_version]="other bad_version"
		  [bad_count]="v5 bad_count" [truncated]="v5 truncated"
		  [bad_length]="ipfix bad_length" )
N=5
send_good
for kind in "${!want[@]}"; do
	nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind "$kind" --messages $N --sport 45000
	send_good
done

nfxt_wait_records "$good" 10
if why=$(nfxt_check_records netflow5 0 "$good"); then
	ok "all $good good records arrived"
else
	fail "good records: $why"
fi
for kind in "${!want[@]}"; do
	set -- ${want[$kind]}
	got=$(nfxt_stat "$1" "$2")
	[ "$got" = "$N" ] && ok "$kind counted in $1.$2" || fail "$kind: $1.$2=$got, want $N"
done
red=$(nfxt_stat v5 redirected)
[ "$red" = $((good / 2)) ] && ok "only good packets redirected ($red)" ||
	fail "v5 redirected=$red, want $((good / 2))"

# corpus replay: frames hit the XDP program whatever their addresses
drops_total() {
	nfxt_c "$NFXDP" stats --pin-dir "$PIN_DIR" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(sum(v[k] for v in s.values() for k in ("short_pkt", "bad_version", "bad_count", "truncated", "bad_length")))'
}
xdp_stats() { nfxt_c "$NFXDP" stats --pin-dir "$PIN_DIR" --json; }
# sflow_xdp_deltas BEFORE AFTER: empty when the sflow5 and other slots moved
# by exactly what the sflow-* entries' xdp lists add up to
sflow_xdp_deltas() {
	python3 - "$1" "$2" "$corpus/expected.json" <<'EOF'
import json, sys
before, after = json.loads(sys.argv[1]), json.loads(sys.argv[2])
want = {}
for e in json.load(open(sys.argv[3])):
    if not e["file"].startswith("sflow-"):
        continue
    for verdict in e["xdp"]:
        slot, fate = verdict.split(":")
        for field in ("packets", "redirected" if fate == "redirect" else fate):
            want[(slot, field)] = want.get((slot, field), 0) + 1
bad = []
for slot in ("sflow5", "other"):
    for field in after[slot]:
        if field == "bytes":
            continue
        d = after[slot][field] - before[slot][field]
        if d != want.get((slot, field), 0):
            bad.append("%s.%s moved by %d, want %d" % (slot, field, d, want.get((slot, field), 0)))
print("; ".join(bad))
sys.exit(1 if bad else 0)
EOF
}
# sflow_closing_records: empty when every sflow-* capture's last expected
# record (its closing datagram's, marked by its source port) is in $OUT
sflow_closing_records() {
	python3 - "$OUT" "$corpus" <<'EOF'
import glob, json, sys
out, corpus = sys.argv[1:3]
seen = set()
for line in open(out):
    r = json.loads(line)
    if r.get("type") == "sflow5":
        seen.add((r["source"].get("ip"), r["source"].get("port")))
missing = []
for path in sorted(glob.glob(corpus + "/sflow-*.expected.ndjson")):
    last = json.loads(open(path).read().splitlines()[-1])
    if (last["src_addr"], str(last["src_port"])) not in seen:
        missing.append(path.rsplit("/", 1)[1])
print(" ".join(missing))
sys.exit(1 if missing else 0)
EOF
}
corpus=$NFXT_ROOT/tests/data/malformed
if ! command -v tcpreplay >/dev/null || [ ! -f "$corpus/unknown-version.pcap" ]; then
	info "corpus replay skipped (no tcpreplay or no $corpus)"
else
	before=$(drops_total)
	for f in unknown-version v5-truncated-header; do
		nfxt_e tcpreplay -q -i "$IF_E" "$corpus/$f.pcap" >/dev/null 2>&1 ||
			fail "tcpreplay $f.pcap"
	done
	after=$(drops_total)
	[ $((after - before)) -eq 13 ] && ok "corpus: 13 malformed frames dropped in XDP" ||
		fail "corpus: drop counters moved by $((after - before)), want 13"

	before=$(xdp_stats)
	for f in "$corpus"/sflow-*.pcap; do
		nfxt_e tcpreplay -q -t -i "$IF_E" "$f" >/dev/null 2>&1 ||
			fail "tcpreplay ${f##*/}"
	done
	for _ in $(seq 1 50); do
		why=$(sflow_xdp_deltas "$before" "$(xdp_stats)") && break
		sleep 0.1
	done
	[ -z "$why" ] && ok "corpus: sFlow frames counted as expected.json's xdp lists say" ||
		fail "corpus: sFlow XDP counters: $why"
	for _ in $(seq 1 50); do
		why=$(sflow_closing_records) && break
		sleep 0.2
	done
	[ -z "$why" ] && ok "corpus: the closing datagram of every sFlow capture decoded" ||
		fail "corpus: sFlow records missing: $why"

	# the rest of the corpus must not stall the pipeline
	for f in "$corpus"/*.pcap; do
		case $f in */sflow-*) continue ;; esac
		nfxt_e tcpreplay -q -i "$IF_E" "$f" >/dev/null 2>&1
	done
	# the corpus's own records are in $OUT too, so no line count tells when
	# the good ones are in: look for them, for 10 s at most
	send_good
	for _ in $(seq 1 50); do
		why=$(nfxt_check_records netflow5 $((good - 20)) 20) && break
		sleep 0.2
	done
	if why=$(nfxt_check_records netflow5 $((good - 20)) 20); then
		ok "records still flow after the whole malformed corpus"
	else
		fail "after corpus replay: $why"
	fi
fi

nfxt_stop; rc=$?
[ "$rc" -eq 0 ] || fail "nfxdp exited with $rc"
exit $NFXT_FAILED

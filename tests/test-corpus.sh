#!/bin/bash
# Real exporter captures (tests/data/corpus, copied from the shared corpus)
# decoded by `nfxdp decode` and compared record by record, field by field,
# with their tshark reference decodes.  Offline: no privileges needed.
set -u
cd "$(dirname "$0")/.."
NFXDP=${NFXDP:-build/nfxdp}
DATA=tests/data/corpus
tmp=$(mktemp -d /tmp/nfxtest-corpus.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

captures="softflowd-v1 softflowd-v5 fprobe-v1 fprobe-v5 fprobe-v7 pmacct-v5 crafted-v6
softflowd-v9 softflowd-v9-sampled pmacct-v9 pmacct-v9-sampled
softflowd-ipfix softflowd-ipfix-biflow softflowd-ipfix-nano-ether pmacct-ipfix pmacct-ipfix-sampled"

for c in $captures; do
	if ! "$NFXDP" decode --ms-times "$DATA/$c.pcap" > "$tmp/$c.ndjson" 2> "$tmp/$c.err"; then
		echo "FAIL corpus-$c: nfxdp decode failed: $(head -c 300 "$tmp/$c.err")"
		continue
	fi
	if out=$(python3 tests/corpus_compare.py "$DATA/$c.ref.ndjson" "$DATA/$c.pkts.ndjson" \
		"$tmp/$c.ndjson" 2>&1); then
		echo "ok corpus-$c: $out"
	else
		echo "FAIL corpus-$c: $out"
	fi
done
# PSAMP packet reports carry a frame section, not flow keys: every message is
# read (339 IPFIX packets) and nothing is emitted as a flow.
c=softflowd-psamp
"$NFXDP" decode --stats-json "$DATA/$c.pcap" > "$tmp/$c.ndjson" 2> "$tmp/$c.json"
if python3 - "$tmp/$c.json" "$tmp/$c.ndjson" <<'PY'; then echo "ok corpus-$c: 339 messages, 0 flow records"; else echo "FAIL corpus-$c: see above"; fi
import json, sys
st = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
lines = open(sys.argv[2]).read().splitlines()
ok = st["ipfix"]["packets"] == 339 and st["ipfix"]["dropped"] == 0 and not lines
if not ok:
    print("stats", st["ipfix"], "records", len(lines))
sys.exit(0 if ok else 1)
PY

# Every record written for the corpus is valid against the published schema.
if out=$(/usr/bin/python3 tests/schema_check.py doc/flow.schema.json "$tmp"/*.ndjson 2>&1); then
	echo "ok schema-corpus-records: $out"
else
	echo "FAIL schema-corpus-records: $out"
fi

# The crafted malformed captures: record counts, counters, and expected fields.
python3 tests/malformed_decode.py "$NFXDP" tests/data/malformed

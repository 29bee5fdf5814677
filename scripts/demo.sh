#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# demo.sh - shows nfxdp end to end on a throw-away network: two network
# namespaces joined by a veth pair, nfxdp attached (XDP + AF_XDP) to the
# collector end, and captured exports from the corpus replayed with
# tcpreplay into the exporter end.  Prints a sample of the NDJSON, the
# record count per type and the XDP counters, then removes everything.
#
# usage: sudo scripts/demo.sh [PCAP...]
#        (default: softflowd v5, pmacct v9, IPFIX and sFlow captures of the corpus)
set -u

if [ -z "${NFXDEMO_PRIVATE_MNT:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "demo.sh: run as root (sudo $0)" >&2; exit 1; }
	# a private bpffs: the demo's pins never meet anyone else's
	exec unshare -m --propagation private env NFXDEMO_PRIVATE_MNT=1 bash "$0" "$@"
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NFXDP=${NFXDP:-$ROOT/build/nfxdp}
CORPUS=$ROOT/tests/data/corpus
[ -d "$CORPUS" ] || CORPUS=$ROOT/../shared/corpus
P=nfxdemo$$
NS_C=${P}c
NS_E=${P}e
WORK=$(mktemp -d /tmp/nfxdemo.XXXXXX)
PID=

for t in tcpreplay nsenter unshare python3; do
	command -v $t >/dev/null || { echo "demo.sh: $t is missing" >&2; exit 1; }
done
[ -x "$NFXDP" ] || { echo "demo.sh: build nfxdp first (make)" >&2; exit 1; }
if [ $# -eq 0 ]; then
	set -- "$CORPUS/softflowd-v5.pcap" "$CORPUS/pmacct-v9.pcap" "$CORPUS/pmacct-ipfix.pcap" \
		"$CORPUS/pmacct-sflow.pcap"
fi

cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID"
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_E" 2>/dev/null
	umount /sys/fs/bpf 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mount -t bpf bpf /sys/fs/bpf
ip netns add "$NS_C" && ip netns add "$NS_E" &&
ip link add "${P}a" numtxqueues 2 numrxqueues 2 netns "$NS_C" type veth \
	peer "${P}b" numtxqueues 2 numrxqueues 2 netns "$NS_E" &&
ip -n "$NS_C" link set "${P}a" up && ip -n "$NS_E" link set "${P}b" up || exit 1

echo "== nfxdp run -i ${P}a (collector netns $NS_C)"
# NetFlow v1-v9 on 2055, IPFIX on 4739, sFlow v5 on 6343
nsenter --net="/run/netns/$NS_C" "$NFXDP" run -i "${P}a" --pin-dir "/sys/fs/bpf/$P" \
	--state-dir "$WORK/state" -p 2055 -p 4739 -p 6343/sflow -o "$WORK/out.ndjson" 2>"$WORK/err" &
PID=$!
for _ in $(seq 1 100); do grep -q "collecting on" "$WORK/err" && break; sleep 0.1; done
sed 's/^/   /' "$WORK/err"

for f in "$@"; do
	echo "== tcpreplay $(basename "$f") into ${P}b (exporter netns $NS_E)"
	# the XDP program looks at UDP ports only, so the captured addresses can stay
	nsenter --net="/run/netns/$NS_E" tcpreplay -q --pps 2000 -i "${P}b" "$f" 2>&1 |
		grep -E "^Actual|Successful|Failed" | sed 's/^/   /'
done
sleep 0.5

echo "== XDP counters (nfxdp stats)"
nsenter --net="/run/netns/$NS_C" "$NFXDP" stats --pin-dir "/sys/fs/bpf/$P" | sed 's/^/   /'
kill -TERM "$PID" && wait "$PID"
PID=
echo "== daemon summary"
grep -E "summary|xdp:" "$WORK/err" | sed 's/^/   /'
echo "== records per type"
python3 -c '
import collections, json, sys
c = collections.Counter(json.loads(l)["type"] for l in open(sys.argv[1]))
for t, n in sorted(c.items()):
    print("   %-10s %d" % (t, n))' "$WORK/out.ndjson"
echo "== first 3 records"
head -n 3 "$WORK/out.ndjson"

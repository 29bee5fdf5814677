#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-setup-errors.sh - every way `nfxdp run` can fail to set up ends the
# same way: a non-zero exit at once, the line that says what is wrong and
# what to do (the last one on stderr, and the only one of its kind), no XDP
# program left on the interface and no pin left in bpffs.  Where the driver
# refuses native XDP, nfxdp says so and falls back to skb mode instead.
# tests/meta/test-asan.sh runs this again with build-asan/nfxdp: its leak
# check at exit then shows that each path freed what it had opened.
source "$(dirname "$0")/lib.sh"

nfxt_setup || { fail "netns/veth setup"; exit 1; }
IF_DOWN=${P}d
nfxt_c ip link add "$IF_DOWN" type veth peer name "${P}f" || { fail "second veth"; exit 1; }
mkdir -p "$WORK/cfgdir"
printf '{ "listeners": [ { "flow_type": "netflow9", "port": 2055 }\n' >"$WORK/broken.json"
chmod 0644 "$WORK/broken.json"

# pins_left: what is in our bpffs but the kernel's own iterators (sorted)
pins_left() {
	find /sys/fs/bpf -mindepth 1 ! -type d ! -name '*.debug' 2>/dev/null | sort | head -5 |
		tr '\n' ' '
}

# attached IF: the id of the XDP program on IF, empty when none
attached() {
	nfxt_c ip -o link show dev "$1" 2>/dev/null | grep -o 'prog/xdp id [0-9]*' | grep -o '[0-9]*$'
}

# refused WHAT PATTERN [--foreign ID] -- CMD...: CMD (in the collector netns)
# exits non-zero within 20 s, its last stderr line matches PATTERN and no
# other line does, no program is left on $IF_C (or the foreign one ID is
# still there) and no pin is left behind.
refused() {
	local what=$1 want=$2 foreign= rc last n left before

	shift 2
	if [ "$1" = --foreign ]; then foreign=$2; shift 2; fi
	[ "$1" = -- ] && shift
	before=$(pins_left)	# the foreign program's own
	: >"$ERR"
	nfxt_c timeout 20 "$@" >/dev/null 2>>"$ERR"
	rc=$?
	last=$(grep -v '^nfxdp: signal' "$ERR" | tail -n 1)
	n=$(grep -cE "$want" "$ERR")
	left=$(pins_left)
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then
		fail "$what: exit status $rc (${last:-no message})"
	elif ! grep -qE "$want" <<<"$last" || [ "$n" -ne 1 ]; then
		fail "$what: last line '$last', $n lines like /$want/"
	elif [ "$(attached "$IF_C")" != "$foreign" ]; then
		fail "$what: program on $IF_C is '$(attached "$IF_C")', want '${foreign:-none}'"
	elif [ "$left" != "$before" ]; then
		fail "$what: pins left: $left"
		rm -rf /sys/fs/bpf/"$P" /sys/fs/bpf/nfx
	elif [ "$NFXT_SANITIZED" = 1 ] &&
	     grep -qE 'runtime error:|ERROR: [A-Za-z]+Sanitizer' "$ERR"; then
		fail "$what: sanitizer report:"
		grep -m1 -A12 -E 'runtime error:|ERROR: [A-Za-z]+Sanitizer' "$ERR" | sed 's/^/# /'
	else
		ok "$what: exit $rc, '${last#nfxdp: }'"
	fi
}

RUN=("$NFXDP" run --pin-dir "$PIN_DIR" --stats-file none --state-dir "$WORK/state")
refused "no such interface" "interface ${P}x not found" -- "${RUN[@]}" -i "${P}x"
refused "interface down" "interface $IF_DOWN is down: bring it up" -- \
	"${RUN[@]}" -i "$IF_DOWN"
refused "missing capabilities" "XDP needs CAP_BPF.*missing: CAP_BPF CAP_PERFMON CAP_NET_ADMIN" -- \
	setpriv --bounding-set=-all --inh-caps=-all "${RUN[@]}" -i "$IF_C"
refused "configuration missing" "$WORK/none.json: cannot read" -- \
	"${RUN[@]}" -i "$IF_C" -c "$WORK/none.json"
refused "configuration a directory" "a directory, not a regular file" -- \
	"${RUN[@]}" -i "$IF_C" -c "$WORK/cfgdir"
refused "configuration invalid" "$WORK/broken.json" -- \
	"${RUN[@]}" -i "$IF_C" -c "$WORK/broken.json"
refused "pin directory not on bpffs" "not on a BPF filesystem" -- \
	"$NFXDP" run --stats-file none --state-dir "$WORK/state" -i "$IF_C" --pin-dir "$WORK/pins"
refused "output unwritable" "cannot open output $WORK/nodir/out.ndjson" -- \
	"${RUN[@]}" -i "$IF_C" -o "$WORK/nodir/out.ndjson"
refused "ClickHouse URL malformed" "clickhouse URL 'ftp://x': expected http" -- \
	"${RUN[@]}" -i "$IF_C" -o /dev/null --clickhouse ftp://x
refused "spool directory unusable" "clickhouse spool $WORK/broken.json" -- \
	"${RUN[@]}" -i "$IF_C" -o /dev/null --clickhouse http://127.0.0.1:9/ \
	--clickhouse-spool "$WORK/broken.json"
refused "state directory unusable" "state directory $WORK/broken.json: not a directory" -- \
	"$NFXDP" run --pin-dir "$PIN_DIR" --stats-file none -i "$IF_C" -o /dev/null \
	--state-dir "$WORK/broken.json"
refused "no such user" "user nfxt-nosuch: no such user: create it" -- \
	"${RUN[@]}" -i "$IF_C" -o /dev/null --user nfxt-nosuch
refused "metrics address malformed" "metrics address '127.0.0.1:99999': expected" -- \
	"${RUN[@]}" -i "$IF_C" -o /dev/null --metrics 127.0.0.1:99999

# A port in use: someone else's sockets on the listener port (UDP) and on
# the metrics port (TCP).
nfxt_c python3 -c 'import socket, time
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(("::", 39231))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.bind(("127.0.0.1", 39232)); t.listen()
time.sleep(30)' &
HOLDER=$!
NFXT_EXTRA_CLEANUP='kill $HOLDER 2>/dev/null'
for _ in $(seq 1 50); do
	nfxt_c ss -Hltn 'sport = :39232' | grep -q . && break
	sleep 0.1
done
refused "port in use" "port 39231/udp is in use by another process" -- \
	"${RUN[@]}" -i "$IF_C" -o /dev/null -p 39231
refused "metrics port in use" "metrics on 127.0.0.1:39232: .*choose another port" -- \
	"${RUN[@]}" -i "$IF_C" -o /dev/null --metrics 127.0.0.1:39232
kill "$HOLDER" 2>/dev/null

# Another program on the interface: refused, and that program stays.
# (libxdp1 ships it)
FOREIGN_OBJ=$(dpkg -L libxdp1 2>/dev/null | grep -m1 '/xdpfilt_alw_all\.o$')
if [ -n "$FOREIGN_OBJ" ] && nfxt_c ip link set dev "$IF_C" xdp obj "$FOREIGN_OBJ" sec xdp; then
	id=$(attached "$IF_C")
	refused "another XDP program attached" "already has an XDP program 'xdpfilt_alw_all'.*use --force" \
		--foreign "$id" -- "${RUN[@]}" -i "$IF_C" -o /dev/null
	nfxt_c ip link set dev "$IF_C" xdp off
	rm -rf /sys/fs/bpf/ip /sys/fs/bpf/tc /sys/fs/bpf/xdp
else
	echo "skip $NAME: another XDP program attached: libxdp1's xdpfilt_alw_all.o not found"
fi

# The driver refuses native XDP (a veth whose peer's MTU is too big for a
# page): nfxdp says so, attaches in skb mode, collects, and cleans up.
nfxt_e ip link set dev "$IF_E" mtu 9000
: >"$ERR"
nfxt_c timeout -s TERM 3 "${RUN[@]}" -i "$IF_C" -o /dev/null >/dev/null 2>"$ERR"
rc=$?
if ! grep -q "native XDP is not available on $IF_C (.*): falling back to skb mode" "$ERR"; then
	fail "native XDP refused: no fallback line: $(head -n 2 "$ERR" | tr '\n' ' ')"
elif ! grep -q "attached nfx_xdp_rx to $IF_C in skb mode" "$ERR" ||
     ! grep -q "collecting on $IF_C" "$ERR"; then
	fail "native XDP refused: not collecting in skb mode: $(tail -n 2 "$ERR" | tr '\n' ' ')"
elif [ "$rc" -ne 124 ] && [ "$rc" -ne 0 ]; then
	fail "native XDP refused: exit status $rc after SIGTERM"
elif [ -n "$(attached "$IF_C")" ] || [ -n "$(pins_left)" ]; then
	fail "native XDP refused: left program '$(attached "$IF_C")', pins '$(pins_left)'"
else
	ok "native XDP refused by the driver: skb mode, collected, then detached and unpinned"
fi
nfxt_e ip link set dev "$IF_E" mtu 1500

exit "$NFXT_FAILED"

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-attach.sh - the loader's subcommands and its error messages: a
# foreign XDP program is refused with a hint (--force / --no-attach),
# --force replaces it, attach/stats/detach work, `run` adopts a program
# left by `attach` and leaves it attached, --skb uses generic mode, and a
# missing interface, a missing bpffs and a non-root user each get an
# actionable message and a non-zero exit.
source "$(dirname "$0")/lib.sh"

command -v clang >/dev/null || skip "clang not installed"
nfxt_setup || { fail "netns/veth setup"; exit 1; }
C="nsenter --net=/run/netns/$NS_C"

# expect_fail WHAT PATTERN CMD...: non-zero exit and PATTERN in stderr; the
# exit status is left in $rc
expect_fail() {
	local what=$1 pat=$2

	shift 2
	rc=0
	"$@" >/dev/null 2>"$WORK/e" || rc=$?
	if [ "$rc" -eq 0 ]; then
		fail "$what: exit status 0"
	elif grep -q -- "$pat" "$WORK/e"; then
		ok "$what"
	else
		fail "$what: stderr lacks '$pat': $(tail -n 2 "$WORK/e" | tr '\n' ' ')"
	fi
}

prog_name() {
	$C ip -j link show dev "$IF_C" | python3 -c \
		'import json,sys; print(json.load(sys.stdin)[0].get("xdp",{}).get("prog",{}).get("name",""))'
}

cat >"$WORK/foreign.c" <<'C'
struct xdp_md;
__attribute__((section("xdp"), used)) int foreign_pass(struct xdp_md *ctx) { return 2; /* XDP_PASS */ }
char _license[] __attribute__((section("license"), used)) = "GPL";
C
clang -O2 -target bpf -c "$WORK/foreign.c" -o "$WORK/foreign.o" || { fail "clang"; exit 1; }
$C ip link set dev "$IF_C" xdp obj "$WORK/foreign.o" sec xdp || { fail "ip link foreign"; exit 1; }

expect_fail "run refuses a foreign program" "foreign_pass.*--force" \
	$C "$NFXDP" run -i "$IF_C" --pin-dir "$PIN_DIR" -o /dev/null --state-dir none
expect_fail "attach refuses a foreign program" "--no-attach" \
	$C "$NFXDP" attach -i "$IF_C" --pin-dir "$PIN_DIR"
expect_fail "detach leaves a foreign program alone" "not nfxdp's" \
	$C "$NFXDP" detach -i "$IF_C" --pin-dir "$PIN_DIR"
[ "$(prog_name)" = foreign_pass ] || fail "foreign program touched"

if $C "$NFXDP" attach -i "$IF_C" --pin-dir "$PIN_DIR" --force >/dev/null 2>"$WORK/e" &&
   [ "$(prog_name)" = nfx_xdp_rx ] && [ -e "$PIN_DIR/nfx_stats" ]; then
	ok "attach --force replaces it and pins the maps"
else
	fail "attach --force: $(prog_name); $(tail -n 2 "$WORK/e" | tr '\n' ' ')"
fi
$C "$NFXDP" stats --pin-dir "$PIN_DIR" | grep -q "^v5 " && ok "stats table" || fail "stats table"

# run adopts the attached program and leaves it in place
nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" || { fail "run after attach did not start"; exit 1; }
grep -q "already attached" "$ERR" && ok "run adopts the attached program" || fail "run did not adopt"
nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v5 --messages 10 --records 2 --sockets 4 --sport 41000
nfxt_wait_records 20 10
if why=$(nfxt_check_records netflow5 0 20); then ok "records via the adopted program"; else fail "$why"; fi
nfxt_stop || fail "run exited with $?"
[ "$(prog_name)" = nfx_xdp_rx ] && [ -e "$PIN_DIR/nfx_stats" ] &&
	ok "run left the attach'ed program and pins" || fail "run removed what attach made"

if $C "$NFXDP" detach -i "$IF_C" --pin-dir "$PIN_DIR" >/dev/null 2>&1 && [ -z "$(prog_name)" ] &&
   [ ! -e "$PIN_DIR" ]; then
	ok "detach removes program and pins"
else
	fail "detach: prog '$(prog_name)', pins: $(ls "$PIN_DIR" 2>&1)"
fi

if $C "$NFXDP" attach -i "$IF_C" --pin-dir "$PIN_DIR" --skb >/dev/null 2>&1 &&
   $C ip link show dev "$IF_C" | grep -q "xdpgeneric"; then
	ok "attach --skb uses generic XDP"
else
	fail "attach --skb: $($C ip link show dev "$IF_C" | head -n 1)"
fi
$C "$NFXDP" detach -i "$IF_C" --pin-dir "$PIN_DIR" >/dev/null 2>&1
[ -z "$(prog_name)" ] || fail "detach after --skb left $(prog_name)"

# A pin of an older layout (nfx_stats as an entry per slot) is named, not misread.
mkdir -p "$PIN_DIR"
if bpftool map create "$PIN_DIR/nfx_stats" type percpu_array key 4 value 80 entries 8 \
	name nfx_stats 2>"$WORK/e"; then
	expect_fail "run refuses a stale nfx_stats pin" "another nfxdp version" \
		$C "$NFXDP" run -i "$IF_C" --pin-dir "$PIN_DIR" -o /dev/null --stats-file none \
		--state-dir none
	[ "$rc" -eq 1 ] || fail "run with a stale pin: exit status $rc, want 1"
	[ -z "$(prog_name)" ] || fail "run with a stale pin left $(prog_name) attached"
	expect_fail "stats refuses a stale nfx_stats pin" "another nfxdp version" \
		"$NFXDP" stats --pin-dir "$PIN_DIR"
else
	fail "bpftool map create: $(tail -n 1 "$WORK/e")"
fi
rm -rf "$PIN_DIR"

expect_fail "missing interface" "not found" $C "$NFXDP" attach -i nfxtnosuch0
if command -v setpriv >/dev/null; then
	expect_fail "not root" "missing: CAP_BPF" \
		$C setpriv --reuid=65534 --regid=65534 --clear-groups "$NFXDP" attach -i "$IF_C"
fi
# our mount namespace is private: unmounting bpffs here touches nobody else
while mountpoint -q /sys/fs/bpf; do umount /sys/fs/bpf || break; done
# a pin directory that was asked for must be on bpffs; the run path frees
# what it opened, sockets it never opened included (exit 1, was SIGSEGV)
expect_fail "no bpffs under --pin-dir" "mount -t bpf bpf /sys/fs/bpf" \
	$C "$NFXDP" attach -i "$IF_C" --pin-dir "$PIN_DIR"
expect_fail "run without bpffs under --pin-dir" "mount -t bpf bpf /sys/fs/bpf" \
	$C timeout 20 "$NFXDP" run -i "$IF_C" --pin-dir "$PIN_DIR" -o /dev/null --stats-file none \
		--state-dir none
[ "$rc" -eq 1 ] || fail "run without bpffs: exit status $rc, want 1"
[ -z "$(prog_name)" ] || fail "a refused attach left $(prog_name) attached"
# without --pin-dir it attaches unpinned (test-privs.sh runs that path); detach finds it
if $C "$NFXDP" attach -i "$IF_C" >/dev/null 2>"$WORK/e" && [ "$(prog_name)" = nfx_xdp_rx ] &&
   $C "$NFXDP" detach -i "$IF_C" >/dev/null 2>>"$WORK/e" && [ -z "$(prog_name)" ]; then
	ok "no bpffs: attach unpinned, detach -i finds it"
else
	fail "no bpffs: attach/detach: $(prog_name) $(tail -n 2 "$WORK/e" | tr '\n' ' ')"
fi
mount -t bpf bpf /sys/fs/bpf
exit $NFXT_FAILED

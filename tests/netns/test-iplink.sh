#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-iplink.sh - the operator path of design §7: the program is attached by
# `ip link set dev IF xdp obj nfx_xdp.bpf.o sec xdp` (maps pinned by
# iproute2 in tc/globals), `nfxdp run --no-attach` adopts its maps, records
# flow, and the program is left attached, same id, when nfxdp exits.
source "$(dirname "$0")/lib.sh"

[ -f "$NFXT_BPF_OBJ" ] || skip "$NFXT_BPF_OBJ not built"
nfxt_setup || { fail "netns/veth setup"; exit 1; }
if ! nfxt_c ip link set dev "$IF_C" xdp obj "$NFXT_BPF_OBJ" sec xdp 2>"$WORK/ip.err"; then
	fail "ip link set xdp obj: $(tail -n 3 "$WORK/ip.err" | tr '\n' ' ')"
	exit 1
fi
id_before=$(nfxt_c ip -j link show dev "$IF_C" | python3 -c \
	'import json,sys; print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])')
ls /sys/fs/bpf/tc/globals/nfx_stats >/dev/null 2>&1 && ok "ip link pinned the maps in tc/globals" ||
	fail "no /sys/fs/bpf/tc/globals/nfx_stats after ip link"

nfxt_start -i "$IF_C" --no-attach || { fail "nfxdp run --no-attach did not start"; exit 1; }
grep -q "tc/globals" "$ERR" && ok "adopted the tc/globals pins" || fail "did not adopt the tc/globals pins"

nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v5 --messages 20 --records 5 \
	--sockets 8 --sport 41000
nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v9 --messages 16 --records 3 \
	--sockets 8 --sport 42000
nfxt_wait_records $((100 + 48)) 10
if why=$(nfxt_check_records netflow5 0 100); then ok "v5 records"; else fail "v5: $why"; fi
if why=$(nfxt_check_records netflow9 0 48); then ok "v9 records"; else fail "v9: $why"; fi

red=$(NFXT_STATS_DIR=/sys/fs/bpf/tc/globals nfxt_stat v5 redirected)
[ "${red:-0}" -eq 20 ] && ok "redirected by the ip-link program ($red)" ||
	fail "v5 redirected=$red, want 20"

# What an operator reads: bpftool names every slot and field (BTF), no index.
bynames=$(bpftool -j map dump pinned /sys/fs/bpf/tc/globals/nfx_stats 2>"$WORK/bpftool.err" |
	python3 -c '
import json, sys
slots = {}
for cpu in json.load(sys.stdin)[0]["formatted"]["values"]:
    for slot, ctr in cpu["value"].items():
        for field, n in ctr.items():
            slots.setdefault(slot, {}).setdefault(field, 0)
            slots[slot][field] += n
print(" ".join(sorted(slots)), slots["v5"]["redirected"], slots["v9"]["redirected"])')
[ "$bynames" = "ipfix other sflow5 v1 v5 v6 v7 v9 20 16" ] &&
	ok "bpftool map dump names the slots (v5 redirected 20, v9 16)" ||
	fail "bpftool map dump by name: '$bynames' $(head -c 200 "$WORK/bpftool.err")"

nfxt_stop; rc=$?
[ "$rc" -eq 0 ] || fail "nfxdp exited with $rc"
id_after=$(nfxt_c ip -j link show dev "$IF_C" | python3 -c \
	'import json,sys; print(json.load(sys.stdin)[0].get("xdp",{}).get("prog",{}).get("id"))')
[ "$id_before" = "$id_after" ] && ok "program $id_after still attached after exit" ||
	fail "program id $id_before -> $id_after"
[ -e /sys/fs/bpf/tc/globals/nfx_stats ] || fail "nfxdp removed pins it did not create"

nfxt_c ip link set dev "$IF_C" xdp off
rm -f /sys/fs/bpf/tc/globals/nfx_*
exit $NFXT_FAILED

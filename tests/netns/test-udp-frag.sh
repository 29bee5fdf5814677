#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-udp-frag.sh - an IPFIX message larger than the MTU (~2.8 KB over a
# 1500-byte veth, so the kernel fragments it) must be decoded whole:
#  1. `nfxdp run --udp`: the kernel reassembles, recvmmsg gets one datagram;
#  2. XDP mode: the program passes the fragments to the stack (counted in
#     `passed`) and the daemon's UDP socket on the same port decodes them.
source "$(dirname "$0")/lib.sh"

R=60		# records per message: 16 + 44 + 4 + 60 * 45 = 2764 bytes
M=3

nfxt_setup 1500 || { fail "netns/veth setup"; exit 1; }

# 1. plain UDP sockets
nfxt_start --udp -p 4739 || { fail "nfxdp run --udp did not start"; exit 1; }
nfxt_e $NFSEND --dst "$IP_C" --port 4739 --kind ipfix --messages $M --records $R --sport 46000
nfxt_wait_records $((M * R)) 10
if why=$(nfxt_check_records ipfix 0 $((M * R))); then
	ok "--udp: fragmented IPFIX decoded ($((M * R)) records)"
else
	fail "--udp: $why"
fi
# datagrams: the daemon's counter (its stats file, rewritten every second)
dgrams() {
	nfxt_wait_dstat 'nfx_udp_datagrams_total{port="4739"}' $M 5
	nfxt_dstat 'nfx_udp_datagrams_total{port="4739"}'
}
n=$(dgrams)
[ "$n" = $M ] && ok "--udp: $M reassembled datagrams" || fail "--udp: ${n:-no} datagrams counted, want $M"
nfxt_stop || fail "nfxdp --udp exited with $?"

# 2. XDP mode: fragments are passed, the UDP socket decodes
nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" -p 4739 || { fail "nfxdp run -i did not start"; exit 1; }
nfxt_e $NFSEND --dst "$IP_C" --port 4739 --kind ipfix --messages $M --records $R \
	--base 1000 --sport 47000
nfxt_wait_records $((M * R)) 10
if why=$(nfxt_check_records ipfix 1000 $((M * R))); then
	ok "XDP mode: fragmented IPFIX decoded via the UDP socket"
else
	fail "XDP mode: $why"
fi
passed=$(nfxt_stat ipfix passed)
red=$(nfxt_stat ipfix redirected)
[ "$passed" = "$M" ] && ok "XDP passed the $M first fragments" ||
	fail "ipfix.passed=$passed, want $M"
[ "$red" = 0 ] || fail "ipfix.redirected=$red, want 0 (fragments must not be redirected)"
n=$(dgrams)
[ "$n" = $M ] && ok "XDP mode: UDP socket got $M datagrams" ||
	fail "XDP mode: ${n:-no} datagrams counted on the UDP socket, want $M"
nfxt_stop || fail "nfxdp -i exited with $?"
exit $NFXT_FAILED

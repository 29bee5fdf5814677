# SPDX-License-Identifier: BSD-2-Clause
# bench/netns.sh - sourced by the benchmark scripts (run.sh, memory.sh,
# profile.sh): the two network namespaces joined by a 2-queue veth that
# they measure across.  The caller sets NS_C NS_E IF_C IF_E, IP_C (the
# collector end, a /24), EXP_NET (the exporters' first three octets: they
# are EXP_NET.10, .11, ...) and EXPORTERS.

ns_c() { nsenter --net="/run/netns/$NS_C" "$@"; }
ns_e() { nsenter --net="/run/netns/$NS_E" "$@"; }

setup_net() {
	local i mac
	# namespaces other tools made after our unshare are not mounted here:
	# ip complains about each one (harmless), so that line is filtered
	ip netns add "$NS_C" 2> >(grep -v 'Peer netns reference is invalid' >&2) &&
		ip netns add "$NS_E" 2> >(grep -v 'Peer netns reference is invalid' >&2) || return 1
	ip link add "$IF_C" numtxqueues 2 numrxqueues 2 netns "$NS_C" type veth \
		peer "$IF_E" numtxqueues 2 numrxqueues 2 netns "$NS_E" || return 1
	ns_c ip link set lo up
	ns_e ip link set lo up
	ns_c ip addr add "$IP_C/24" dev "$IF_C"
	for i in $(seq 0 $((EXPORTERS - 1))); do
		ns_e ip addr add "$EXP_NET.$((10 + i))/24" dev "$IF_E"
	done
	ns_c ip link set "$IF_C" up
	ns_e ip link set "$IF_E" up
	# the collector never answers; a static neighbour saves the ARP round
	mac=$(ip -n "$NS_C" link show "$IF_C" | awk '/link\/ether/ { print $2 }')
	ns_e ip neigh replace "$IP_C" lladdr "$mac" dev "$IF_E" nud permanent
}

# Whatever still runs in the namespaces, the XDP program, the namespaces.
teardown_net() {
	local ns p sig
	for sig in TERM KILL; do
		for ns in "$NS_C" "$NS_E"; do
			[ -e "/run/netns/$ns" ] || continue
			for p in $(ip netns pids "$ns" 2>/dev/null); do kill -"$sig" "$p" 2>/dev/null; done
		done
		[ "$sig" = TERM ] && sleep 0.5
	done
	if [ -e "/run/netns/$NS_C" ]; then
		ip -n "$NS_C" link set dev "$IF_C" xdp off >/dev/null 2>&1
		ip netns del "$NS_C"
	fi
	[ -e "/run/netns/$NS_E" ] && ip netns del "$NS_E"
	return 0
}

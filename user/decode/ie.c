// SPDX-License-Identifier: BSD-2-Clause
/*
 * ie.c - the one table of information elements.  Adding a field to the
 * decoders means adding a line here (and a transform in ie.h if the flow
 * record has no slot for it yet).  Ids and names are IANA's IPFIX registry
 * (RFC 7012); NetFlow v9 uses the same numbers for the elements below.
 */
#include "decode/ie.h"

#define IE(i, x, t, p, n)  [i] = { .id = i, .xf = NFX_XF_##x, .target = NFX_T_##t, .prio = p, .name = n }
#define IEO(i, x, t, n)    [i] = { .id = i, .xf = NFX_XF_##x, .target = NFX_T_##t, \
				   .where = NFX_IE_OPTIONS, .name = n }
/* read in data records too: a record's own value comes before the options data's */
#define IEB(i, x, t, p, n) [i] = { .id = i, .xf = NFX_XF_##x, .target = NFX_T_##t, .prio = p, \
				   .where = NFX_IE_BOTH, .name = n }
/* a sampler id: also read from an options template's scope */
#define IES(i, p, n)       [i] = { .id = i, .xf = NFX_XF_SAMPLER_ID, .target = NFX_T_SAMPLER_ID, \
				   .prio = p, .where = NFX_IE_BOTH, .scope = 1, .name = n }
/* an NFX_FLOW_XFIELDS field */
#define IEX(i, x, p, n)    [i] = { .id = i, .xf = NFX_XF_XFIELD + NFX_X_##x, \
				   .target = NFX_T_XFIELD + NFX_X_##x, .prio = p, .name = n }

static const struct nfx_ie nfx_ie_map[NFX_IE_MAX_ID + 1] = {
	IE(1,   BYTES,         BYTES,          0, "octetDeltaCount"),
	IE(2,   PACKETS,       PACKETS,        0, "packetDeltaCount"),
	IE(4,   PROTO,         PROTO,          0, "protocolIdentifier"),
	IE(5,   TOS,           TOS,            0, "ipClassOfService"),
	IE(6,   TCP_FLAGS,     TCP_FLAGS,      0, "tcpControlBits"),
	IE(7,   SRC_PORT,      SRC_PORT,       0, "sourceTransportPort"),
	IE(8,   SRC_V4,        SRC4,           0, "sourceIPv4Address"),
	IE(9,   SRC_MASK4,     SRC_MASK4,      0, "sourceIPv4PrefixLength"),
	IE(10,  IN_IF,         IN_IF,          0, "ingressInterface"),
	IE(11,  DST_PORT,      DST_PORT,       0, "destinationTransportPort"),
	IE(12,  DST_V4,        DST4,           0, "destinationIPv4Address"),
	IE(13,  DST_MASK4,     DST_MASK4,      0, "destinationIPv4PrefixLength"),
	IE(14,  OUT_IF,        OUT_IF,         0, "egressInterface"),
	IE(15,  NH_V4,         NH4,            0, "ipNextHopIPv4Address"),
	IE(16,  SRC_AS,        SRC_AS,         0, "bgpSourceAsNumber"),
	IE(17,  DST_AS,        DST_AS,         0, "bgpDestinationAsNumber"),
	IE(18,  BGP_NH_V4,     BGP_NH4,        0, "bgpNextHopIPv4Address"),
	IE(21,  END_UP,        END,            5, "flowEndSysUpTime"),
	IE(22,  START_UP,      START,          5, "flowStartSysUpTime"),
	IE(23,  BYTES,         BYTES,          2, "postOctetDeltaCount"),
	IE(24,  PACKETS,       PACKETS,        2, "postPacketDeltaCount"),
	IE(27,  SRC_V6,        SRC6,           0, "sourceIPv6Address"),
	IE(28,  DST_V6,        DST6,           0, "destinationIPv6Address"),
	IE(29,  SRC_MASK6,     SRC_MASK6,      0, "sourceIPv6PrefixLength"),
	IE(30,  DST_MASK6,     DST_MASK6,      0, "destinationIPv6PrefixLength"),
	IEX(31, FLOW_LABEL,                    0, "flowLabelIPv6"),
	IE(32,  ICMP_TC4,      ICMP_TC4,       0, "icmpTypeCodeIPv4"),
	IEB(34, SAMP_INTERVAL, SAMP_INTERVAL,  0, "samplingInterval"),
	IES(48,                                0, "samplerId"),
	IEB(50, SAMP_RANDOM,   SAMP_RANDOM,    0, "samplerRandomInterval"),
	IEX(52, MIN_TTL,                       0, "minimumTTL"),
	IEX(53, MAX_TTL,                       0, "maximumTTL"),
	IE(56,  SRC_MAC,       SRC_MAC,        0, "sourceMacAddress"),
	IE(57,  DST_MAC,       DST_MAC,        1, "postDestinationMacAddress"),
	IE(58,  VLAN,          VLAN,           0, "vlanId"),
	IEX(59, POST_VLAN,                     0, "postVlanId"),
	IE(60,  IP_VERSION,    IP_VERSION,     0, "ipVersion"),
	IE(61,  DIRECTION,     DIRECTION,      0, "flowDirection"),
	IE(62,  NH_V6,         NH6,            0, "ipNextHopIPv6Address"),
	IE(63,  BGP_NH_V6,     BGP_NH6,        0, "bgpNextHopIPv6Address"),
	IE(70,  MPLS_1,        MPLS_1,         0, "mplsTopLabelStackSection"),
	IE(71,  MPLS_1 + 1,    MPLS_1 + 1,     0, "mplsLabelStackSection2"),
	IE(72,  MPLS_1 + 2,    MPLS_1 + 2,     0, "mplsLabelStackSection3"),
	IE(73,  MPLS_1 + 3,    MPLS_1 + 3,     0, "mplsLabelStackSection4"),
	IE(74,  MPLS_1 + 4,    MPLS_1 + 4,     0, "mplsLabelStackSection5"),
	IE(75,  MPLS_1 + 5,    MPLS_1 + 5,     0, "mplsLabelStackSection6"),
	IE(76,  MPLS_1 + 6,    MPLS_1 + 6,     0, "mplsLabelStackSection7"),
	IE(77,  MPLS_1 + 7,    MPLS_1 + 7,     0, "mplsLabelStackSection8"),
	IE(78,  MPLS_1 + 8,    MPLS_1 + 8,     0, "mplsLabelStackSection9"),
	IE(79,  MPLS_1 + 9,    MPLS_1 + 9,     0, "mplsLabelStackSection10"),
	IE(80,  DST_MAC,       DST_MAC,        0, "destinationMacAddress"),
	IE(81,  SRC_MAC,       SRC_MAC,        1, "postSourceMacAddress"),
	IEO(82, OPT_IFNAME,    IFNAME,            "interfaceName"),
	IEO(83, OPT_IFDESCR,   IFDESCR,           "interfaceDescription"),
	IE(85,  BYTES,         BYTES,          1, "octetTotalCount"),
	IE(86,  PACKETS,       PACKETS,        1, "packetTotalCount"),
	IEX(89, FWD_STATUS,                    0, "forwardingStatus"),
	IEX(95, APP_ID,                        0, "applicationId"),
	IE(104, RAW_L2,        RAW_L2,         1, "layer2packetSectionData"),
	IEO(130, EXPORTER_V4,   EXPORTER,          "exporterIPv4Address"),
	IEO(131, EXPORTER_V6,   EXPORTER,          "exporterIPv6Address"),
	IEX(136, END_REASON,                   0, "flowEndReason"),
	IE(139, ICMP_TC6,      ICMP_TC6,       0, "icmpTypeCodeIPv6"),
	IEX(148, CONN_ID,                      0, "flowId"),
	IE(150, START_S,       START,          3, "flowStartSeconds"),
	IE(151, END_S,         END,            3, "flowEndSeconds"),
	IE(152, START_MS,      START,          0, "flowStartMilliseconds"),
	IE(153, END_MS,        END,            0, "flowEndMilliseconds"),
	IE(154, START_NTP_US,  START,          2, "flowStartMicroseconds"),
	IE(155, END_NTP_US,    END,            2, "flowEndMicroseconds"),
	IE(156, START_NTP_NS,  START,          1, "flowStartNanoseconds"),
	IE(157, END_NTP_NS,    END,            1, "flowEndNanoseconds"),
	IE(158, START_DUS,     START,          4, "flowStartDeltaMicroseconds"),
	IE(159, END_DUS,       END,            4, "flowEndDeltaMicroseconds"),
	IEB(160, SYSINIT_MS,    SYSINIT,        0, "systemInitTimeMilliseconds"),
	IE(176, ICMP_TYPE4,    ICMP_TYPE4,     0, "icmpTypeIPv4"),
	IE(177, ICMP_CODE4,    ICMP_CODE4,     0, "icmpCodeIPv4"),
	IE(178, ICMP_TYPE6,    ICMP_TYPE6,     0, "icmpTypeIPv6"),
	IE(179, ICMP_CODE6,    ICMP_CODE6,     0, "icmpCodeIPv6"),
	IE(180, SRC_PORT,      SRC_PORT,       1, "udpSourcePort"),
	IE(181, DST_PORT,      DST_PORT,       1, "udpDestinationPort"),
	IE(182, SRC_PORT,      SRC_PORT,       1, "tcpSourcePort"),
	IE(183, DST_PORT,      DST_PORT,       1, "tcpDestinationPort"),
	IEX(192, TTL,                          0, "ipTTL"),
	IE(225, NAT_SRC_V4,    NAT_SRC,        0, "postNATSourceIPv4Address"),
	IE(226, NAT_DST_V4,    NAT_DST,        0, "postNATDestinationIPv4Address"),
	IE(227, NAT_SRC_PORT,  NAT_SRC_PORT,   0, "postNAPTSourceTransportPort"),
	IE(228, NAT_DST_PORT,  NAT_DST_PORT,   0, "postNAPTDestinationTransportPort"),
	IE(230, NAT_EVENT,     NAT_EVENT,      0, "natEvent"),
	/* firewall (NSEL) counters: the flow's bytes/packets when no delta counter is sent */
	IE(231, BYTES,         BYTES,          3, "initiatorOctets"),
	/* ... and the responder's: the reverse direction, a record of its own with
	 * biflow_reverse_records, as RFC 5103's reverse counters */
	IE(232, REV_BYTES,     REV_BYTES,      3, "responderOctets"),
	IE(233, FW_EVENT,      FW_EVENT,       0, "firewallEvent"),
	IEX(234, INGRESS_VRF,                  0, "ingressVRFID"),
	IEX(235, EGRESS_VRF,                   0, "egressVRFID"),
	IE(243, VLAN,          VLAN,           1, "dot1qVlanId"),
	IEX(252, IN_PHYS_IF,                   0, "ingressPhysicalInterface"),
	IEX(253, OUT_PHYS_IF,                  0, "egressPhysicalInterface"),
	IEX(254, POST_VLAN,                    1, "postDot1qVlanId"),
	IE(281, NAT_SRC_V6,    NAT_SRC,        0, "postNATSourceIPv6Address"),
	IE(282, NAT_DST_V6,    NAT_DST,        0, "postNATDestinationIPv6Address"),
	IE(298, PACKETS,       PACKETS,        3, "initiatorPackets"),
	IE(299, REV_PACKETS,   REV_PACKETS,    3, "responderPackets"),
	IES(302,                               1, "selectorId"),
	IEB(305, SAMP_PKT_INT,  SAMP_PKT_INT,   0, "samplingPacketInterval"),
	IEB(306, SAMP_PKT_SPACE, SAMP_PKT_SPACE, 0, "samplingPacketSpace"),
	IEB(309, SAMP_SIZE,     SAMP_SIZE,      0, "samplingSize"),
	IEB(310, SAMP_POP,      SAMP_POP,       0, "samplingPopulation"),
	IEB(311, SAMP_PROB,     SAMP_PROB,      0, "samplingProbability"),
	IE(313, RAW_IP,        RAW_IP,         0, "ipHeaderPacketSection"),
	IE(315, RAW_L2,        RAW_L2,         0, "dataLinkFrameSection"),
	IE(317, RAW_IP,        RAW_IP,         1, "mplsPayloadPacketSection"),
	/* the event time of a firewall export: the flow's time when it has none */
	IE(322, OBS_S,         EVENT,          3, "observationTimeSeconds"),
	IE(323, OBS_MS,        EVENT,          0, "observationTimeMilliseconds"),
	IE(324, OBS_NTP_US,    EVENT,          2, "observationTimeMicroseconds"),
	IE(325, OBS_NTP_NS,    EVENT,          1, "observationTimeNanoseconds"),
	/* a wireless controller's client (Cisco WLC): the flow's end on its side */
	IE(365, STA_MAC,       STA_MAC,        0, "staMacAddress"),
	IE(366, STA_V4,        STA_V4,         0, "staIPv4Address"),
};

/* Outer occurrences that have a tunnel slot; every other repeat is dropped. */
unsigned int nfx_xf_tunnel(unsigned int xf)
{
	switch (xf) {
	case NFX_XF_SRC_V4:	return NFX_XF_TUN_SRC_V4;
	case NFX_XF_DST_V4:	return NFX_XF_TUN_DST_V4;
	case NFX_XF_SRC_V6:	return NFX_XF_TUN_SRC_V6;
	case NFX_XF_DST_V6:	return NFX_XF_TUN_DST_V6;
	case NFX_XF_SRC_PORT:	return NFX_XF_TUN_SRC_PORT;
	case NFX_XF_DST_PORT:	return NFX_XF_TUN_DST_PORT;
	case NFX_XF_PROTO:	return NFX_XF_TUN_PROTO;
	default:		return NFX_XF_SKIP;
	}
}

/* RFC 5103 reverse elements, indexed by the forward id; preferences as forward. */
static const struct nfx_ie nfx_rev_map[NFX_IE_REV_MAX_ID + 1] = {
	IE(1,  REV_BYTES,     REV_BYTES,     0, "reverseOctetDeltaCount"),
	IE(2,  REV_PACKETS,   REV_PACKETS,   0, "reversePacketDeltaCount"),
	IE(5,  REV_TOS,       REV_TOS,       0, "reverseIpClassOfService"),
	IE(6,  REV_TCP_FLAGS, REV_TCP_FLAGS, 0, "reverseTcpControlBits"),
	IE(23, REV_BYTES,     REV_BYTES,     2, "reversePostOctetDeltaCount"),
	IE(24, REV_PACKETS,   REV_PACKETS,   2, "reversePostPacketDeltaCount"),
	IE(85, REV_BYTES,     REV_BYTES,     1, "reverseOctetTotalCount"),
	IE(86, REV_PACKETS,   REV_PACKETS,   1, "reversePacketTotalCount"),
};

/* NSEL, indexed by type - NFX_NSEL_FIRST; the IANA elements of the same meaning win. */
#define NSEL(i, x, t, n) [i - NFX_NSEL_FIRST] = { .id = i, .xf = NFX_XF_##x, .target = NFX_T_##t, .prio = 1, .name = n }

static const struct nfx_ie nfx_nsel_map[NFX_NSEL_LAST - NFX_NSEL_FIRST + 1] = {
	NSEL(40001, NAT_SRC_V4,   NAT_SRC,      "NF_F_XLATE_SRC_ADDR_IPV4"),
	NSEL(40002, NAT_DST_V4,   NAT_DST,      "NF_F_XLATE_DST_ADDR_IPV4"),
	NSEL(40003, NAT_SRC_PORT, NAT_SRC_PORT, "NF_F_XLATE_SRC_PORT"),
	NSEL(40004, NAT_DST_PORT, NAT_DST_PORT, "NF_F_XLATE_DST_PORT"),
	NSEL(40005, FW_EVENT,     FW_EVENT,     "NF_F_FW_EVENT"),
};

const struct nfx_ie *nfx_ie_get(uint16_t id, uint32_t pen)
{
	const struct nfx_ie *ie;

	if (!pen && id >= NFX_NSEL_FIRST && id <= NFX_NSEL_LAST)
		return &nfx_nsel_map[id - NFX_NSEL_FIRST];
	if (pen == NFX_PEN_REVERSE) {
		ie = id <= NFX_IE_REV_MAX_ID ? &nfx_rev_map[id] : NULL;
		return ie && ie->xf ? ie : NULL;
	}
	if (pen || id > NFX_IE_MAX_ID)
		return NULL;
	ie = &nfx_ie_map[id];
	return ie->xf ? ie : NULL;
}

int nfx_ie_len_ok(unsigned int xf, unsigned int len)
{
	if (xf >= NFX_XF_DUAL_FIRST && xf <= NFX_XF_DUAL_LAST)
		xf = xf - NFX_XF_DUAL_FIRST + NFX_XF_SRC_V4;
	switch (xf) {
	case NFX_XF_SKIP:
		return 0;
	case NFX_XF_SRC_V4:
	case NFX_XF_DST_V4:
	case NFX_XF_NH_V4:
	case NFX_XF_BGP_NH_V4:
	case NFX_XF_TUN_SRC_V4:
	case NFX_XF_TUN_DST_V4:
	case NFX_XF_STA_V4:
	case NFX_XF_NAT_SRC_V4:
	case NFX_XF_NAT_DST_V4:
	case NFX_XF_EXPORTER_V4:
		return len == 4;
	case NFX_XF_SRC_V6:
	case NFX_XF_DST_V6:
	case NFX_XF_NH_V6:
	case NFX_XF_BGP_NH_V6:
	case NFX_XF_TUN_SRC_V6:
	case NFX_XF_TUN_DST_V6:
	case NFX_XF_NAT_SRC_V6:
	case NFX_XF_NAT_DST_V6:
	case NFX_XF_EXPORTER_V6:
		return len == 16;
	case NFX_XF_SRC_MAC:
	case NFX_XF_DST_MAC:
	case NFX_XF_STA_MAC:
		return len == 6;
	case NFX_XF_SAMP_PROB:
		return len == 8;	/* a float32 would need its own decoding */
	case NFX_XF_RAW_L2:
	case NFX_XF_RAW_IP:
		return len >= 1;	/* whatever the exporter cut: pkthdr.c reads what is there */
	case NFX_XF_MPLS_1 ... NFX_XF_MPLS_10:
		return len >= 3 && len <= 8;	/* the entry is 3 bytes (RFC 7012) */
	case NFX_XF_OPT_IFNAME:
	case NFX_XF_OPT_IFDESCR:
		return len >= 1;	/* strings, cut when kept */
	case NFX_XF_START_NTP_US:
	case NFX_XF_END_NTP_US:
	case NFX_XF_START_NTP_NS:
	case NFX_XF_END_NTP_NS:
		return len == 8 || len == 16;	/* NTP, or a timeval (ie.h) */
	default:
		if (xf >= NFX_XF_EXTRA)
			return 1;	/* mapped fields are kept as they are, any length */
		return len >= 1 && len <= 8;
	}
}

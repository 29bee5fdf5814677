/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ie.h - the information elements nfxdp understands, in one table shared by
 * the NetFlow v9 and IPFIX template compilers (v9 field types 1..127 are the
 * IPFIX element ids of the same meaning, RFC 7012 section 2).
 *
 * Each element names a transform (NFX_XF_*) that moves its value into a
 * struct nfx_rec.  Several elements can feed the same flow field (bytes from
 * IE 1, 85 or 23); they share a "target" and the template compiler keeps the
 * one with the best (lowest) priority, so the data path never has to choose.
 */
#ifndef NFX_IE_H
#define NFX_IE_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

#include "base/flow.h"

enum nfx_xf {
	NFX_XF_SKIP = 0,
	NFX_XF_BYTES,
	NFX_XF_PACKETS,
	NFX_XF_PROTO,
	NFX_XF_TOS,
	NFX_XF_TCP_FLAGS,
	NFX_XF_SRC_PORT,
	NFX_XF_DST_PORT,
	/*
	 * Address-family elements, IPv4's then IPv6's in the same order.  A
	 * template of one family writes the flow directly; in a template that
	 * lists both, the compiler turns them into their NFX_XF_DUAL_* twins,
	 * which fill the record's per-family slots (struct nfx_fam) so that the
	 * family is chosen per record (dataset.c).
	 */
	NFX_XF_SRC_V4,
	NFX_XF_DST_V4,
	NFX_XF_SRC_MASK4,
	NFX_XF_DST_MASK4,
	NFX_XF_NH_V4,
	NFX_XF_BGP_NH_V4,
	NFX_XF_ICMP_TC4,	/* type * 256 + code */
	NFX_XF_ICMP_TYPE4,
	NFX_XF_ICMP_CODE4,
	NFX_XF_SRC_V6,
	NFX_XF_DST_V6,
	NFX_XF_SRC_MASK6,
	NFX_XF_DST_MASK6,
	NFX_XF_NH_V6,
	NFX_XF_BGP_NH_V6,
	NFX_XF_ICMP_TC6,
	NFX_XF_ICMP_TYPE6,
	NFX_XF_ICMP_CODE6,
	NFX_XF_IN_IF,
	NFX_XF_OUT_IF,
	NFX_XF_SRC_AS,
	NFX_XF_DST_AS,
	NFX_XF_SRC_MAC,
	NFX_XF_DST_MAC,
	NFX_XF_DIRECTION,
	NFX_XF_IP_VERSION,
	NFX_XF_VLAN,
	NFX_XF_START_UP,	/* ms of sysUpTime (v9 header / IPFIX IE 160) */
	NFX_XF_END_UP,
	NFX_XF_START_S,
	NFX_XF_END_S,
	NFX_XF_START_MS,
	NFX_XF_END_MS,
	/* NTP 64-bit timestamp, µs resolution (IE 154/155); 16 bytes: see nfx_timeval_to_ms() */
	NFX_XF_START_NTP_US,
	NFX_XF_END_NTP_US,
	NFX_XF_START_NTP_NS,	/* NTP 64-bit timestamp, ns resolution (IE 156/157) */
	NFX_XF_END_NTP_NS,
	NFX_XF_START_DUS,	/* µs before the export time */
	NFX_XF_END_DUS,
	NFX_XF_STA_MAC,		/* a wireless client's MAC (WLC staMacAddress) */
	NFX_XF_STA_V4,		/* its address: source or destination by direction */
	/* the outer occurrence of a repeated element (plan.c): the tunnel */
	NFX_XF_TUN_SRC_V4,
	NFX_XF_TUN_DST_V4,
	NFX_XF_TUN_SRC_V6,
	NFX_XF_TUN_DST_V6,
	NFX_XF_TUN_SRC_PORT,
	NFX_XF_TUN_DST_PORT,
	NFX_XF_TUN_PROTO,
	/*
	 * Context: what a record is read with, not flow fields; a data
	 * template with nothing else does not make flows.
	 */
	NFX_XF_SYSINIT_MS,
	NFX_XF_SAMP_INTERVAL,	/* IE 34 */
	NFX_XF_SAMP_RANDOM,	/* IE 50 */
	NFX_XF_SAMP_PKT_INT,	/* IE 305 */
	NFX_XF_SAMP_PKT_SPACE,	/* IE 306 */
	NFX_XF_SAMP_SIZE,	/* IE 309 */
	NFX_XF_SAMP_POP,	/* IE 310 */
	NFX_XF_SAMP_PROB,	/* IE 311, float64 */
	NFX_XF_SAMPLER_ID,	/* IE 48 / 302: which sampler's rate applies */
	NFX_XF_OBS_S,		/* observationTime*: the event time (NSEL) */
	NFX_XF_OBS_MS,
	NFX_XF_OBS_NTP_US,
	NFX_XF_OBS_NTP_NS,
	NFX_XF_RAW_L2,		/* a piece of the frame from its Ethernet header */
	NFX_XF_RAW_IP,		/* a piece of the packet from its IP header */
	/* the family elements of a template listing both: NFX_XF_SRC_V4 .. ICMP_CODE6 */
	NFX_XF_DUAL_FIRST,
	NFX_XF_DUAL_LAST = NFX_XF_DUAL_FIRST + NFX_XF_ICMP_CODE6 - NFX_XF_SRC_V4,
	/* NAT and firewall */
	NFX_XF_NAT_SRC_V4,
	NFX_XF_NAT_DST_V4,
	NFX_XF_NAT_SRC_V6,
	NFX_XF_NAT_DST_V6,
	NFX_XF_NAT_SRC_PORT,
	NFX_XF_NAT_DST_PORT,
	NFX_XF_NAT_EVENT,
	NFX_XF_FW_EVENT,
	/* RFC 5103 reverse elements (PEN 29305) */
	NFX_XF_REV_BYTES,
	NFX_XF_REV_PACKETS,
	NFX_XF_REV_TCP_FLAGS,
	NFX_XF_REV_TOS,
	/* MPLS label stack entries 1..10 (IE 70..79), consecutive */
	NFX_XF_MPLS_1,
	NFX_XF_MPLS_10 = NFX_XF_MPLS_1 + NFX_MPLS_MAX - 1,
	/* options data only: the exporter's own address (IE 130/131) */
	NFX_XF_EXPORTER_V4,
	NFX_XF_EXPORTER_V6,
	/* options data only: an interface and its name (ifnames.h) */
	NFX_XF_OPT_IFINDEX,	/* IE 10/14, scope or not; v9 scope type 2 */
	NFX_XF_OPT_IFNAME,	/* IE 82 */
	NFX_XF_OPT_IFDESCR,	/* IE 83 */
	NFX_XF_MAX,
	/* NFX_XF_XFIELD + i: nfx_flow.xv[i] (NFX_FLOW_XFIELDS) */
	NFX_XF_XFIELD = 144,
	/* NFX_XF_EXTRA + i: keep the bytes for additional-field mapping i */
	NFX_XF_EXTRA = 160,
};

_Static_assert(NFX_XF_MAX <= NFX_XF_XFIELD && NFX_XF_XFIELD + NFX_X_MAX <= NFX_XF_EXTRA,
	       "transform ranges overlap");

/* Flow fields a transform may write; one op per target survives compilation. */
enum nfx_target {
	NFX_T_NONE = 0,
	NFX_T_BYTES, NFX_T_PACKETS, NFX_T_PROTO, NFX_T_TOS, NFX_T_TCP_FLAGS,
	NFX_T_SRC_PORT, NFX_T_DST_PORT, NFX_T_SRC4, NFX_T_DST4, NFX_T_SRC6, NFX_T_DST6,
	NFX_T_SRC_MASK4, NFX_T_DST_MASK4, NFX_T_SRC_MASK6, NFX_T_DST_MASK6,
	NFX_T_IN_IF, NFX_T_OUT_IF, NFX_T_NH4, NFX_T_NH6, NFX_T_BGP_NH4, NFX_T_BGP_NH6,
	NFX_T_SRC_AS, NFX_T_DST_AS, NFX_T_SRC_MAC, NFX_T_DST_MAC, NFX_T_DIRECTION,
	NFX_T_IP_VERSION, NFX_T_VLAN, NFX_T_ICMP_TC4, NFX_T_ICMP_TC6, NFX_T_ICMP_TYPE4,
	NFX_T_ICMP_TYPE6, NFX_T_ICMP_CODE4, NFX_T_ICMP_CODE6,
	NFX_T_START, NFX_T_END, NFX_T_EVENT,
	NFX_T_SYSINIT, NFX_T_SAMP_INTERVAL, NFX_T_SAMP_RANDOM, NFX_T_SAMP_PKT_INT,
	NFX_T_SAMP_PKT_SPACE, NFX_T_SAMP_SIZE, NFX_T_SAMP_POP, NFX_T_SAMP_PROB,
	NFX_T_SAMPLER_ID, NFX_T_RAW_L2, NFX_T_RAW_IP, NFX_T_STA_MAC, NFX_T_STA_V4,
	NFX_T_NAT_SRC, NFX_T_NAT_DST, NFX_T_NAT_SRC_PORT, NFX_T_NAT_DST_PORT,
	NFX_T_NAT_EVENT, NFX_T_FW_EVENT,
	NFX_T_REV_BYTES, NFX_T_REV_PACKETS, NFX_T_REV_TCP_FLAGS, NFX_T_REV_TOS,
	NFX_T_MPLS_1, NFX_T_MPLS_10 = NFX_T_MPLS_1 + NFX_MPLS_MAX - 1,
	NFX_T_EXPORTER, NFX_T_IFNAME, NFX_T_IFDESCR,
	NFX_T_XFIELD,			/* + NFX_X_*: one target per extra field */
	NFX_T_MAX = NFX_T_XFIELD + NFX_X_MAX,
};

/* Where an element is read (struct nfx_ie.where). */
enum nfx_ie_where {
	NFX_IE_DATA = 0,	/* data records only */
	NFX_IE_OPTIONS,		/* options data only */
	NFX_IE_BOTH,		/* both: a data record's own value wins (dataset.c) */
};

struct nfx_ie {
	uint16_t id;
	uint8_t xf;		/* enum nfx_xf */
	uint8_t target;		/* enum nfx_target */
	uint8_t prio;		/* 0 = preferred source of the target */
	uint8_t where;		/* enum nfx_ie_where */
	uint8_t scope;		/* also read as an options scope field */
	const char *name;	/* IANA name, also the NDJSON key for extras */
};

/* Highest IANA element id in the table (of enterprise elements only RFC 5103's are). */
#define NFX_IE_MAX_ID 366

/*
 * Cisco ASA's NSEL field types (NetFlow v9 only: in IPFIX these numbers
 * would have the enterprise bit set): NF_F_XLATE_SRC/DST_ADDR_IPV4,
 * NF_F_XLATE_SRC/DST_PORT, NF_F_FW_EVENT.
 */
/* RFC 5103: element N of this enterprise is element N for the reverse direction. */
#define NFX_PEN_REVERSE 29305
/* Highest reverse element id that feeds something. */
#define NFX_IE_REV_MAX_ID 86

#define NFX_NSEL_FIRST 40001
#define NFX_NSEL_LAST 40005

/**
 * nfx_ie_get() - look up an element.
 * @pen: private enterprise number, 0 for IANA elements (and v9 types)
 * @return the table entry, or NULL when the element is not mapped.
 */
const struct nfx_ie *nfx_ie_get(uint16_t id, uint32_t pen);

/**
 * nfx_ie_len_ok() - whether a field of @len bytes can feed transform @xf.
 * Integers accept reduced-size encoding (RFC 7011 section 6.2): 1..8 bytes.
 * @return 1 if usable, 0 if the field must be skipped.
 */
int nfx_ie_len_ok(unsigned int xf, unsigned int len);

/* Context transforms: a template of only these does not describe flows. */
static inline int nfx_xf_is_context(unsigned int xf)
{
	return xf >= NFX_XF_SYSINIT_MS && xf < NFX_XF_DUAL_FIRST;
}

/* 4 or 6 for an address-family transform (direct or dual), else 0. */
static inline unsigned int nfx_xf_family(unsigned int xf)
{
	if (xf >= NFX_XF_DUAL_FIRST && xf <= NFX_XF_DUAL_LAST)
		xf = xf - NFX_XF_DUAL_FIRST + NFX_XF_SRC_V4;
	if (xf < NFX_XF_SRC_V4 || xf > NFX_XF_ICMP_CODE6)
		return 0;
	return xf < NFX_XF_SRC_V6 ? 4 : 6;
}

/**
 * nfx_xf_tunnel() - the transform of the outer occurrence of a repeated
 * element feeding @xf, or NFX_XF_SKIP when that element has no tunnel slot.
 */
unsigned int nfx_xf_tunnel(unsigned int xf);

/* Raw values that need the message context (uptime, export time) or that
 * only options data carries; flags in nfx_rec.have. */
#define NFX_R_START_UP		(1u << 0)
#define NFX_R_END_UP		(1u << 1)
#define NFX_R_START_DUS		(1u << 2)
#define NFX_R_END_DUS		(1u << 3)
#define NFX_R_SYSINIT		(1u << 4)
#define NFX_R_SAMP_INTERVAL	(1u << 5)
#define NFX_R_SAMP_RANDOM	(1u << 6)
#define NFX_R_SAMP_PKT_INT	(1u << 7)
#define NFX_R_SAMP_PKT_SPACE	(1u << 8)
#define NFX_R_SAMP_SIZE		(1u << 9)
#define NFX_R_SAMP_POP		(1u << 10)
#define NFX_R_SAMP_PROB		(1u << 11)
#define NFX_R_FAM4		(1u << 12)	/* fam[0] holds something */
#define NFX_R_FAM6		(1u << 13)	/* fam[1] holds something */
#define NFX_R_IPVER		(1u << 14)
#define NFX_R_EVENT		(1u << 15)
#define NFX_R_SAMPLER		(1u << 16)
#define NFX_R_RAW		(1u << 17)
#define NFX_R_STA_MAC		(1u << 18)
#define NFX_R_STA_V4		(1u << 19)
#define NFX_R_REV		(1u << 20)	/* a reverse counter, flags or ToS */
#define NFX_R_EXPORTER		(1u << 21)	/* export_addr */
#define NFX_R_IFINDEX		(1u << 22)
#define NFX_R_IFNAME		(1u << 23)
#define NFX_R_IFDESCR		(1u << 24)

/*
 * One address family's fields of a record.  A template may list both
 * families (IOS-XR sends zero IPv6 fields with IPv4 flows): each feeds its
 * own slot and the record's family is chosen when the record is done.
 */
struct nfx_fam {
	struct nfx_addr src, dst, nh, bgp_nh;
	uint32_t present;		/* NFX_F_* of the fields above, masks, ICMP */
	uint8_t src_mask, dst_mask, icmp_type, icmp_code;
	uint8_t set;			/* an address of the family is not zero */
};

/* One record being decoded: the flow plus what the flow cannot hold yet. */
struct nfx_rec {
	struct nfx_flow f;
	uint32_t have;			/* NFX_R_* */
	uint32_t up_start, up_end;
	uint64_t dus_start, dus_end;
	uint64_t sysinit_ms;
	uint64_t samp_interval, samp_random, samp_pkt_int, samp_pkt_space;
	uint64_t samp_size, samp_pop;
	uint64_t samp_prob_bits;	/* IEEE 754 binary64 as sent */
	struct nfx_fam fam[2];		/* IPv4, IPv6; valid under NFX_R_FAM4/6 */
	uint8_t ipver;			/* ipVersion (IE 60) */
	uint8_t fam_last;		/* family of the last address field read: 0, 1 */
	uint16_t raw_len;
	uint8_t raw_ip;			/* raw starts at the IP header, not Ethernet */
	const uint8_t *raw;		/* a packet section, in the message buffer */
	uint64_t event_ms;		/* observationTime* */
	uint64_t sampler_id;
	uint8_t sta_mac[6];		/* staMacAddress */
	uint8_t sta_v4[4];		/* staIPv4Address */
	/* RFC 5103 reverse direction, valid with NFX_R_REV (0 when not sent) */
	uint64_t rev_bytes, rev_packets;
	uint8_t rev_tcp_flags, rev_tos;
	struct nfx_addr export_addr;	/* IE 130/131 of options data */
	uint32_t opt_ifindex;
	const uint8_t *ifname, *ifdescr;	/* into the message, for its decode only */
	uint16_t ifname_len, ifdescr_len;
};

/* Reduced-size big-endian unsigned read, 1..8 bytes. */
static inline uint64_t nfx_ie_uint(const uint8_t *p, unsigned int len)
{
	uint64_t v = 0;

	switch (len) {
	case 1:
		return p[0];
	case 2:
		return (uint64_t)p[0] << 8 | p[1];
	case 4:
		return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
	case 8:		/* IPFIX counters: one load, not a loop of eight */
		memcpy(&v, p, 8);
		return be64toh(v);
	default:
		for (unsigned int i = 0; i < len; i++)
			v = v << 8 | p[i];
		return v;
	}
}

/*
 * NTP timestamp (seconds since 1900 . 2^-32 s fraction) to Unix ms.  The
 * fraction is first rounded to the element's resolution (@per_sec = 1e6 for
 * dateTimeMicroseconds, 1e9 for nanoseconds), because exporters truncate
 * when they encode: 655000 µs arrives as 654999.5 µs and must not become
 * 654 ms.  Then it is truncated to ms.
 */
static inline uint64_t nfx_ntp_to_ms(uint64_t ntp, uint64_t per_sec)
{
	uint64_t sec = ntp >> 32, frac = ntp & 0xffffffffu;
	uint64_t sub = (frac * per_sec + 0x80000000u) >> 32;

	if (sec < 2208988800u)
		return 0;
	return (sec - 2208988800u) * 1000 + sub / (per_sec / 1000);
}

static inline int nfx_nonzero(const uint8_t *p, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		if (p[i])
			return 1;
	return 0;
}

/* The record's slot of one family (1 = IPv6), emptied on first use. */
static inline struct nfx_fam *nfx_rec_fam(struct nfx_rec *r, unsigned int six)
{
	uint32_t bit = six ? NFX_R_FAM6 : NFX_R_FAM4;
	struct nfx_fam *fm = &r->fam[six];

	if (!(r->have & bit)) {
		fm->present = 0;
		fm->set = 0;
		r->have |= bit;
	}
	return fm;
}

/* Source/destination address of one family: which of them is the flow's is decided later. */
static inline void nfx_ie_addr(struct nfx_rec *r, unsigned int six, int src, const uint8_t *p)
{
	struct nfx_fam *fm = nfx_rec_fam(r, six);
	struct nfx_addr *a = src ? &fm->src : &fm->dst;

	if (six)
		nfx_addr_set_v6(a, p);
	else
		nfx_addr_set_v4(a, p);
	fm->present |= src ? NFX_F_SRC_ADDR : NFX_F_DST_ADDR;
	fm->set |= (uint8_t)nfx_nonzero(p, six ? 16 : 4);
	r->fam_last = (uint8_t)six;
}

/* A next hop of one family; @bgp picks the BGP one. */
static inline void nfx_ie_nh(struct nfx_rec *r, unsigned int six, int bgp, const uint8_t *p)
{
	struct nfx_fam *fm = nfx_rec_fam(r, six);
	struct nfx_addr *a = bgp ? &fm->bgp_nh : &fm->nh;

	if (six)
		nfx_addr_set_v6(a, p);
	else
		nfx_addr_set_v4(a, p);
	fm->present |= bgp ? NFX_F_BGP_NEXT_HOP : NFX_F_NEXT_HOP;
}

static inline void nfx_ie_tun_addr(struct nfx_flow *f, unsigned int six, int src,
				   const uint8_t *p)
{
	struct nfx_addr *a = src ? &f->tun_src : &f->tun_dst;

	if (six)
		nfx_addr_set_v6(a, p);
	else
		nfx_addr_set_v4(a, p);
	f->xpresent |= src ? NFX_X_TUN_SRC : NFX_X_TUN_DST;
}

/* Family-dependent one-byte fields: masks and ICMP type/code (@what: 0..3). */
static inline void nfx_ie_fam_u8(struct nfx_rec *r, unsigned int six, unsigned int what,
				 uint64_t v)
{
	struct nfx_fam *fm = nfx_rec_fam(r, six);

	switch (what) {
	case 0:
		fm->src_mask = (uint8_t)v;
		fm->present |= NFX_F_SRC_MASK;
		break;
	case 1:
		fm->dst_mask = (uint8_t)v;
		fm->present |= NFX_F_DST_MASK;
		break;
	case 2:
		fm->icmp_type = (uint8_t)v;
		fm->present |= NFX_F_ICMP;
		break;
	default:
		fm->icmp_code = (uint8_t)v;
		fm->present |= NFX_F_ICMP;
		break;
	}
}

/* Transforms of the options-data and context elements. */
static inline void nfx_ie_apply_ctx(struct nfx_rec *r, unsigned int xf, const uint8_t *p,
				    unsigned int len)
{
	switch (xf) {
	case NFX_XF_SYSINIT_MS:
		r->sysinit_ms = nfx_ie_uint(p, len);
		r->have |= NFX_R_SYSINIT;
		break;
	case NFX_XF_SAMP_INTERVAL:
		r->samp_interval = nfx_ie_uint(p, len);
		r->have |= NFX_R_SAMP_INTERVAL;
		break;
	case NFX_XF_SAMP_RANDOM:
		r->samp_random = nfx_ie_uint(p, len);
		r->have |= NFX_R_SAMP_RANDOM;
		break;
	case NFX_XF_SAMP_PKT_INT:
		r->samp_pkt_int = nfx_ie_uint(p, len);
		r->have |= NFX_R_SAMP_PKT_INT;
		break;
	case NFX_XF_SAMP_PKT_SPACE:
		r->samp_pkt_space = nfx_ie_uint(p, len);
		r->have |= NFX_R_SAMP_PKT_SPACE;
		break;
	case NFX_XF_SAMP_SIZE:
		r->samp_size = nfx_ie_uint(p, len);
		r->have |= NFX_R_SAMP_SIZE;
		break;
	case NFX_XF_SAMP_POP:
		r->samp_pop = nfx_ie_uint(p, len);
		r->have |= NFX_R_SAMP_POP;
		break;
	case NFX_XF_SAMP_PROB:
		r->samp_prob_bits = nfx_ie_uint(p, len);
		r->have |= NFX_R_SAMP_PROB;
		break;
	case NFX_XF_SAMPLER_ID:
		r->sampler_id = nfx_ie_uint(p, len);
		r->have |= NFX_R_SAMPLER;
		break;
	case NFX_XF_OBS_S:
		r->event_ms = nfx_ie_uint(p, len) * 1000;
		r->have |= NFX_R_EVENT;
		break;
	case NFX_XF_OBS_MS:
		r->event_ms = nfx_ie_uint(p, len);
		r->have |= NFX_R_EVENT;
		break;
	case NFX_XF_OBS_NTP_US:
		r->event_ms = nfx_ntp_to_ms(nfx_ie_uint(p, len), 1000000);
		r->have |= NFX_R_EVENT;
		break;
	case NFX_XF_OBS_NTP_NS:
		r->event_ms = nfx_ntp_to_ms(nfx_ie_uint(p, len), 1000000000);
		r->have |= NFX_R_EVENT;
		break;
	case NFX_XF_RAW_L2:
	case NFX_XF_RAW_IP:
		r->raw = p;
		r->raw_len = (uint16_t)len;
		r->raw_ip = xf == NFX_XF_RAW_IP;
		r->have |= NFX_R_RAW;
		break;
	default:
		break;
	}
}

/* Transforms of the outer (tunnel) occurrence of a repeated element. */
static inline void nfx_ie_apply_tun(struct nfx_flow *f, unsigned int xf, const uint8_t *p,
				    unsigned int len)
{
	switch (xf) {
	case NFX_XF_TUN_SRC_V4:
	case NFX_XF_TUN_DST_V4:
		nfx_ie_tun_addr(f, 0, xf == NFX_XF_TUN_SRC_V4, p);
		break;
	case NFX_XF_TUN_SRC_V6:
	case NFX_XF_TUN_DST_V6:
		nfx_ie_tun_addr(f, 1, xf == NFX_XF_TUN_SRC_V6, p);
		break;
	case NFX_XF_TUN_SRC_PORT:
		f->tun_src_port = (uint16_t)nfx_ie_uint(p, len);
		f->xpresent |= NFX_X_TUN_PORTS;
		break;
	case NFX_XF_TUN_DST_PORT:
		f->tun_dst_port = (uint16_t)nfx_ie_uint(p, len);
		f->xpresent |= NFX_X_TUN_PORTS;
		break;
	case NFX_XF_TUN_PROTO:
		f->tun_proto = (uint8_t)nfx_ie_uint(p, len);
		f->xpresent |= NFX_X_TUN_PROTO;
		break;
	default:
		break;
	}
}

/*
 * A family element of a template listing both families (@xf is the direct
 * code): into that family's slot of the record.
 */
static inline void nfx_ie_apply_dual(struct nfx_rec *r, unsigned int xf, const uint8_t *p,
				     unsigned int len)
{
	uint64_t v;

	switch (xf) {
	case NFX_XF_SRC_V4:
	case NFX_XF_DST_V4:
		nfx_ie_addr(r, 0, xf == NFX_XF_SRC_V4, p);
		break;
	case NFX_XF_SRC_V6:
	case NFX_XF_DST_V6:
		nfx_ie_addr(r, 1, xf == NFX_XF_SRC_V6, p);
		break;
	case NFX_XF_SRC_MASK4:
	case NFX_XF_DST_MASK4:
		nfx_ie_fam_u8(r, 0, xf == NFX_XF_DST_MASK4, nfx_ie_uint(p, len));
		break;
	case NFX_XF_SRC_MASK6:
	case NFX_XF_DST_MASK6:
		nfx_ie_fam_u8(r, 1, xf == NFX_XF_DST_MASK6, nfx_ie_uint(p, len));
		break;
	case NFX_XF_NH_V4:
	case NFX_XF_BGP_NH_V4:
		nfx_ie_nh(r, 0, xf == NFX_XF_BGP_NH_V4, p);
		break;
	case NFX_XF_NH_V6:
	case NFX_XF_BGP_NH_V6:
		nfx_ie_nh(r, 1, xf == NFX_XF_BGP_NH_V6, p);
		break;
	case NFX_XF_ICMP_TC4:
	case NFX_XF_ICMP_TC6:
		v = nfx_ie_uint(p, len);
		nfx_ie_fam_u8(r, xf == NFX_XF_ICMP_TC6, 2, v >> 8);
		nfx_ie_fam_u8(r, xf == NFX_XF_ICMP_TC6, 3, v & 0xff);
		break;
	case NFX_XF_ICMP_TYPE4:
	case NFX_XF_ICMP_TYPE6:
		nfx_ie_fam_u8(r, xf == NFX_XF_ICMP_TYPE6, 2, nfx_ie_uint(p, len));
		break;
	case NFX_XF_ICMP_CODE4:
	case NFX_XF_ICMP_CODE6:
		nfx_ie_fam_u8(r, xf == NFX_XF_ICMP_CODE6, 3, nfx_ie_uint(p, len));
		break;
	default:
		break;
	}
}

/*
 * A 16-byte dateTimeMicroseconds/Nanoseconds (not RFC 7011: it is 8): the
 * C struct timeval/timespec as two 64-bit big-endian numbers, seconds since
 * the Unix epoch then µs (ns).  pmacct's nfprobe sends IE 154/155 so with
 * nfprobe_tstamp_usec, in v9 and IPFIX alike.  Sub-second parts out of
 * range make the time unreadable (0).
 */
static inline uint64_t nfx_timeval_to_ms(const uint8_t *p, uint64_t per_sec)
{
	uint64_t sec = nfx_ie_uint(p, 8), sub = nfx_ie_uint(p + 8, 8);

	if (sub >= per_sec || sec > UINT64_MAX / 1000 - 1)
		return 0;
	return sec * 1000 + sub / (per_sec / 1000);
}

/* IE 154..157 as sent: the RFC's 8-byte NTP form, or 16-byte timeval/timespec. */
static inline uint64_t nfx_abs_time_ms(const uint8_t *p, unsigned int len, uint64_t per_sec)
{
	if (len == 16)
		return nfx_timeval_to_ms(p, per_sec);
	return nfx_ntp_to_ms(nfx_ie_uint(p, len), per_sec);
}

/*
 * nfx_ie_apply() - move one field value into the record.  @len has been
 * checked with nfx_ie_len_ok() (at template compile time for fixed fields).
 * Always inlined: the compiler keeps a switch this long out of line, and a
 * call per field then saves and restores registers for a one-line move,
 * a fifth of a v9/IPFIX record's instructions.
 */
static inline __attribute__((always_inline)) void
nfx_ie_apply(struct nfx_rec *r, unsigned int xf, const uint8_t *p, unsigned int len)
{
	struct nfx_flow *f = &r->f;
	uint64_t v;

	switch (xf) {
	case NFX_XF_BYTES:
		f->bytes = nfx_ie_uint(p, len);
		break;
	case NFX_XF_PACKETS:
		f->packets = nfx_ie_uint(p, len);
		break;
	case NFX_XF_PROTO:
		f->proto = (uint8_t)nfx_ie_uint(p, len);
		f->present |= NFX_F_PROTO;
		break;
	case NFX_XF_TOS:
		f->tos = (uint8_t)nfx_ie_uint(p, len);
		f->present |= NFX_F_TOS;
		break;
	case NFX_XF_TCP_FLAGS:
		/* IPFIX tcpControlBits is 16 bits; the classic flags are the low 8 */
		f->tcp_flags = (uint8_t)nfx_ie_uint(p, len);
		break;
	case NFX_XF_SRC_PORT:
		f->src_port = (uint16_t)nfx_ie_uint(p, len);
		f->present |= NFX_F_SRC_PORT;
		break;
	case NFX_XF_DST_PORT:
		f->dst_port = (uint16_t)nfx_ie_uint(p, len);
		f->present |= NFX_F_DST_PORT;
		break;
	case NFX_XF_SRC_V4:
		nfx_addr_set_v4(&f->src, p);
		f->ip_version = 4;
		f->present |= NFX_F_SRC_ADDR;
		break;
	case NFX_XF_DST_V4:
		nfx_addr_set_v4(&f->dst, p);
		f->ip_version = 4;
		f->present |= NFX_F_DST_ADDR;
		break;
	case NFX_XF_SRC_V6:
		nfx_addr_set_v6(&f->src, p);
		f->ip_version = 6;
		f->present |= NFX_F_SRC_ADDR;
		break;
	case NFX_XF_DST_V6:
		nfx_addr_set_v6(&f->dst, p);
		f->ip_version = 6;
		f->present |= NFX_F_DST_ADDR;
		break;
	case NFX_XF_SRC_MASK4:
	case NFX_XF_SRC_MASK6:
		f->src_mask = (uint8_t)nfx_ie_uint(p, len);
		f->present |= NFX_F_SRC_MASK;
		break;
	case NFX_XF_DST_MASK4:
	case NFX_XF_DST_MASK6:
		f->dst_mask = (uint8_t)nfx_ie_uint(p, len);
		f->present |= NFX_F_DST_MASK;
		break;
	case NFX_XF_NH_V4:
		nfx_addr_set_v4(&f->next_hop, p);
		f->present |= NFX_F_NEXT_HOP;
		break;
	case NFX_XF_NH_V6:
		nfx_addr_set_v6(&f->next_hop, p);
		f->present |= NFX_F_NEXT_HOP;
		break;
	case NFX_XF_BGP_NH_V4:
		nfx_addr_set_v4(&f->bgp_next_hop, p);
		f->present |= NFX_F_BGP_NEXT_HOP;
		break;
	case NFX_XF_BGP_NH_V6:
		nfx_addr_set_v6(&f->bgp_next_hop, p);
		f->present |= NFX_F_BGP_NEXT_HOP;
		break;
	case NFX_XF_ICMP_TC4:
	case NFX_XF_ICMP_TC6:
		v = nfx_ie_uint(p, len);
		f->icmp_type = (uint8_t)(v >> 8);
		f->icmp_code = (uint8_t)v;
		f->present |= NFX_F_ICMP;
		break;
	case NFX_XF_ICMP_TYPE4:
	case NFX_XF_ICMP_TYPE6:
		f->icmp_type = (uint8_t)nfx_ie_uint(p, len);
		f->present |= NFX_F_ICMP;
		break;
	case NFX_XF_ICMP_CODE4:
	case NFX_XF_ICMP_CODE6:
		f->icmp_code = (uint8_t)nfx_ie_uint(p, len);
		f->present |= NFX_F_ICMP;
		break;
	case NFX_XF_IN_IF:
		f->in_if = (uint32_t)nfx_ie_uint(p, len);
		f->present |= NFX_F_IN_IF;
		break;
	case NFX_XF_OUT_IF:
		f->out_if = (uint32_t)nfx_ie_uint(p, len);
		f->present |= NFX_F_OUT_IF;
		break;
	case NFX_XF_SRC_AS:
		f->src_as = (uint32_t)nfx_ie_uint(p, len);
		f->present |= NFX_F_SRC_AS;
		break;
	case NFX_XF_DST_AS:
		f->dst_as = (uint32_t)nfx_ie_uint(p, len);
		f->present |= NFX_F_DST_AS;
		break;
	case NFX_XF_SRC_MAC:
		memcpy(f->src_mac, p, 6);
		f->present |= NFX_F_SRC_MAC;
		break;
	case NFX_XF_DST_MAC:
		memcpy(f->dst_mac, p, 6);
		f->present |= NFX_F_DST_MAC;
		break;
	case NFX_XF_DIRECTION:
		f->direction = nfx_ie_uint(p, len) == 1;
		f->present |= NFX_F_DIRECTION;
		break;
	case NFX_XF_IP_VERSION:
		/* decides the record's family (dataset.c) when it is 4 or 6 */
		v = nfx_ie_uint(p, len);
		if (v == 4 || v == 6) {
			r->ipver = (uint8_t)v;
			r->have |= NFX_R_IPVER;
		}
		break;
	case NFX_XF_VLAN:
		f->vlan = (uint16_t)(nfx_ie_uint(p, len) & 0xfff);
		f->present |= NFX_F_VLAN;
		break;
	case NFX_XF_STA_MAC:
		memcpy(r->sta_mac, p, 6);
		r->have |= NFX_R_STA_MAC;
		break;
	case NFX_XF_STA_V4:
		memcpy(r->sta_v4, p, 4);
		r->have |= NFX_R_STA_V4;
		break;
	case NFX_XF_START_UP:
		r->up_start = (uint32_t)nfx_ie_uint(p, len);
		r->have |= NFX_R_START_UP;
		break;
	case NFX_XF_END_UP:
		r->up_end = (uint32_t)nfx_ie_uint(p, len);
		r->have |= NFX_R_END_UP;
		break;
	case NFX_XF_START_S:
		f->start_ms = nfx_ie_uint(p, len) * 1000;
		f->present |= NFX_F_START;
		break;
	case NFX_XF_END_S:
		f->end_ms = nfx_ie_uint(p, len) * 1000;
		f->present |= NFX_F_END;
		break;
	case NFX_XF_START_MS:
		f->start_ms = nfx_ie_uint(p, len);
		f->present |= NFX_F_START;
		break;
	case NFX_XF_END_MS:
		f->end_ms = nfx_ie_uint(p, len);
		f->present |= NFX_F_END;
		break;
	case NFX_XF_START_NTP_US:
		f->start_ms = nfx_abs_time_ms(p, len, 1000000);
		f->present |= NFX_F_START;
		break;
	case NFX_XF_END_NTP_US:
		f->end_ms = nfx_abs_time_ms(p, len, 1000000);
		f->present |= NFX_F_END;
		break;
	case NFX_XF_START_NTP_NS:
		f->start_ms = nfx_abs_time_ms(p, len, 1000000000);
		f->present |= NFX_F_START;
		break;
	case NFX_XF_END_NTP_NS:
		f->end_ms = nfx_abs_time_ms(p, len, 1000000000);
		f->present |= NFX_F_END;
		break;
	case NFX_XF_START_DUS:
		r->dus_start = nfx_ie_uint(p, len);
		r->have |= NFX_R_START_DUS;
		break;
	case NFX_XF_END_DUS:
		r->dus_end = nfx_ie_uint(p, len);
		r->have |= NFX_R_END_DUS;
		break;
	case NFX_XF_NAT_SRC_V4:
		nfx_addr_set_v4(&f->nat_src, p);
		f->present2 |= NFX_F2_NAT_SRC;
		break;
	case NFX_XF_NAT_DST_V4:
		nfx_addr_set_v4(&f->nat_dst, p);
		f->present2 |= NFX_F2_NAT_DST;
		break;
	case NFX_XF_NAT_SRC_V6:
		nfx_addr_set_v6(&f->nat_src, p);
		f->present2 |= NFX_F2_NAT_SRC;
		break;
	case NFX_XF_NAT_DST_V6:
		nfx_addr_set_v6(&f->nat_dst, p);
		f->present2 |= NFX_F2_NAT_DST;
		break;
	case NFX_XF_NAT_SRC_PORT:
		f->nat_src_port = (uint16_t)nfx_ie_uint(p, len);
		f->present2 |= NFX_F2_NAT_SRC_PORT;
		break;
	case NFX_XF_NAT_DST_PORT:
		f->nat_dst_port = (uint16_t)nfx_ie_uint(p, len);
		f->present2 |= NFX_F2_NAT_DST_PORT;
		break;
	case NFX_XF_NAT_EVENT:
		f->nat_event = (uint8_t)nfx_ie_uint(p, len);
		f->present2 |= NFX_F2_NAT_EVENT;
		break;
	case NFX_XF_FW_EVENT:
		f->fw_event = (uint8_t)nfx_ie_uint(p, len);
		f->present2 |= NFX_F2_FW_EVENT;
		break;
	case NFX_XF_REV_BYTES:
		r->rev_bytes = nfx_ie_uint(p, len);
		r->have |= NFX_R_REV;
		break;
	case NFX_XF_REV_PACKETS:
		r->rev_packets = nfx_ie_uint(p, len);
		r->have |= NFX_R_REV;
		break;
	case NFX_XF_REV_TCP_FLAGS:
		r->rev_tcp_flags = (uint8_t)nfx_ie_uint(p, len);
		r->have |= NFX_R_REV;
		break;
	case NFX_XF_REV_TOS:
		r->rev_tos = (uint8_t)nfx_ie_uint(p, len);
		r->have |= NFX_R_REV;
		break;
	case NFX_XF_EXPORTER_V4:
		nfx_addr_set_v4(&r->export_addr, p);
		r->have |= NFX_R_EXPORTER;
		break;
	case NFX_XF_EXPORTER_V6:
		nfx_addr_set_v6(&r->export_addr, p);
		r->have |= NFX_R_EXPORTER;
		break;
	case NFX_XF_OPT_IFINDEX:
		r->opt_ifindex = (uint32_t)nfx_ie_uint(p, len);
		r->have |= NFX_R_IFINDEX;
		break;
	case NFX_XF_OPT_IFNAME:
		r->ifname = p;
		r->ifname_len = (uint16_t)len;
		r->have |= NFX_R_IFNAME;
		break;
	case NFX_XF_OPT_IFDESCR:
		r->ifdescr = p;
		r->ifdescr_len = (uint16_t)len;
		r->have |= NFX_R_IFDESCR;
		break;
	case NFX_XF_MPLS_1 ... NFX_XF_MPLS_10:
		/* 3 bytes; a longer field's first three are the entry */
		nfx_flow_set_mpls(f, xf - NFX_XF_MPLS_1, nfx_ie_uint(p, 3));
		break;
	default:
		if (xf >= NFX_XF_EXTRA) {
			nfx_flow_add_extra(f, xf - NFX_XF_EXTRA, p, len);
		} else if (xf >= NFX_XF_XFIELD) {
			nfx_xfield_set(f, xf - NFX_XF_XFIELD, nfx_ie_uint(p, len));
		} else if (xf >= NFX_XF_DUAL_FIRST) {
			nfx_ie_apply_dual(r, xf - NFX_XF_DUAL_FIRST + NFX_XF_SRC_V4, p, len);
		} else if (xf >= NFX_XF_SYSINIT_MS) {
			nfx_ie_apply_ctx(r, xf, p, len);
		} else {
			nfx_ie_apply_tun(f, xf, p, len);
		}
		break;
	}
}

#endif /* NFX_IE_H */

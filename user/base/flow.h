/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flow.h - the neutral flow record every decoder fills and every sink reads.
 * Decoders never write into their input; they fill one of these per record.
 */
#ifndef NFX_FLOW_H
#define NFX_FLOW_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* IPv4 is kept as ::ffff:a.b.c.d so that one 16-byte form serves both. */
struct nfx_addr {
	uint8_t b[16];
};

/* ::ffff:a.b.c.d; two loads, where a memcmp() against a table stayed a call */
static inline int nfx_addr_is_v4(const struct nfx_addr *a)
{
	static const uint8_t ffff[4] = { 0, 0, 0xff, 0xff };
	uint64_t lo;
	uint32_t mid, want;

	memcpy(&lo, a->b, sizeof(lo));
	memcpy(&mid, a->b + 8, sizeof(mid));
	memcpy(&want, ffff, sizeof(want));
	return lo == 0 && mid == want;
}

static inline void nfx_addr_set_v4(struct nfx_addr *a, const uint8_t v4[4])
{
	memset(a->b, 0, 10);
	a->b[10] = 0xff;
	a->b[11] = 0xff;
	memcpy(a->b + 12, v4, 4);
}

static inline void nfx_addr_set_v6(struct nfx_addr *a, const uint8_t v6[16])
{
	memcpy(a->b, v6, 16);
}

/* Buffer for nfx_addr_str(): longest IPv6 text plus NUL. */
#define NFX_ADDR_STRLEN 46
const char *nfx_addr_str(const struct nfx_addr *a, char buf[NFX_ADDR_STRLEN]);
int nfx_addr_parse(struct nfx_addr *a, const char *text);

/*
 * An address prefix in the same 16-byte form: an IPv4 prefix a.b.c.d/n is
 * ::ffff:a.b.c.d/(96 + n), so one comparison serves both families.
 */
struct nfx_prefix {
	struct nfx_addr addr;		/* host bits are zero */
	uint8_t prefixlen;		/* 0..128 */
};

/* @a with every bit past the first @prefixlen (0..128) cleared, as two words. */
static inline struct nfx_addr nfx_addr_masked(const struct nfx_addr *a, unsigned int prefixlen)
{
	struct nfx_addr m;
	uint64_t hi, lo;

	memcpy(&hi, a->b, 8);
	memcpy(&lo, a->b + 8, 8);
	hi = be64toh(hi);
	lo = be64toh(lo);
	if (prefixlen < 64)
		hi &= prefixlen ? ~0ull << (64 - prefixlen) : 0;
	if (prefixlen < 128)
		lo &= prefixlen > 64 ? ~0ull << (128 - prefixlen) : 0;
	hi = htobe64(hi);
	lo = htobe64(lo);
	memcpy(m.b, &hi, 8);
	memcpy(m.b + 8, &lo, 8);
	return m;
}

/*
 * "ADDR" or "ADDR/LEN"; IPv4 when the text has no ':'.  0, -EINVAL (not an
 * address), -ERANGE (length out of range) or -EDOM (host bits set: @p is
 * filled with them cleared, for callers that accept or suggest that).
 */
int nfx_prefix_parse(const char *text, struct nfx_prefix *p);

static inline int nfx_prefix_match(const struct nfx_prefix *p, const struct nfx_addr *a)
{
	unsigned int full = p->prefixlen / 8, rest = p->prefixlen % 8;

	if (memcmp(a->b, p->addr.b, full))
		return 0;
	return !rest || !((a->b[full] ^ p->addr.b[full]) & (0xff00u >> rest) & 0xff);
}

enum nfx_flow_type {
	NFX_TYPE_NETFLOW1 = 0,
	NFX_TYPE_NETFLOW5,
	NFX_TYPE_NETFLOW6,
	NFX_TYPE_NETFLOW7,
	NFX_TYPE_NETFLOW9,
	NFX_TYPE_IPFIX,
	NFX_TYPE_SFLOW5,
	NFX_TYPE_MAX,
};

/* "netflow5", "ipfix", ...; "unknown" for a type out of range. */
const char *nfx_flow_type_name(unsigned int type);
/* IANA protocol keyword ("TCP", "IPv6-ICMP"), or NULL when it has none. */
const char *nfx_proto_name(uint8_t proto);

/*
 * The same names, each in a 16-byte block with its length (0: no name),
 * so that the record writers copy a block whole: no strlen() and no
 * memcpy() call of a variable length per record.
 */
struct nfx_name16 {
	char s[15];
	uint8_t len;
};
extern struct nfx_name16 nfx_type_names16[NFX_TYPE_MAX + 1];	/* last: "unknown" */
extern struct nfx_name16 nfx_proto_names16[256];

static inline const struct nfx_name16 *nfx_flow_type_name16(unsigned int type)
{
	return &nfx_type_names16[type < NFX_TYPE_MAX ? type : NFX_TYPE_MAX];
}

/* nfx_flow.present: which optional fields the record carries. */
#define NFX_F_SRC_MAC		(1u << 0)
#define NFX_F_DST_MAC		(1u << 1)
#define NFX_F_SRC_MASK		(1u << 2)
#define NFX_F_DST_MASK		(1u << 3)
#define NFX_F_NEXT_HOP		(1u << 4)
#define NFX_F_BGP_NEXT_HOP	(1u << 5)
#define NFX_F_SRC_AS		(1u << 6)
#define NFX_F_DST_AS		(1u << 7)
#define NFX_F_VLAN		(1u << 8)
#define NFX_F_ICMP		(1u << 9)
#define NFX_F_DOMAIN		(1u << 10)
#define NFX_F_IN_IF		(1u << 11)
#define NFX_F_OUT_IF		(1u << 12)
#define NFX_F_TOS		(1u << 13)
#define NFX_F_START		(1u << 14)
#define NFX_F_END		(1u << 15)
#define NFX_F_SRC_ADDR		(1u << 16)
#define NFX_F_DST_ADDR		(1u << 17)
#define NFX_F_DIRECTION		(1u << 18)
#define NFX_F_PROTO		(1u << 19)
#define NFX_F_SRC_PORT		(1u << 20)
#define NFX_F_DST_PORT		(1u << 21)
/* Port rolled up by the aggregator (ephemeral side): printed as "*", port 0. */
#define NFX_F_SRC_PORT_ROLLUP	(1u << 22)
#define NFX_F_DST_PORT_ROLLUP	(1u << 23)

/*
 * Plain numeric fields that vendors' exports carry and users filter on,
 * defined once: (ID, output key, ClickHouse type, element, value bits, C
 * type), widest first so that the struct packs.  The key is the NDJSON key,
 * the ClickHouse column and the name a mapping may override; the element is
 * the IPFIX/v9 one that feeds it (ie.c may add lower-priority ones).  A
 * field is written only when the record carries it (nfx_flow.xpresent bit
 * NFX_X_ID); values wider than their bits are cut.
 */
#define NFX_FLOW_XFIELDS(X)								\
	X(APP_ID,	"application_id",		"UInt64", 95,  64, uint64_t)	\
	X(CONN_ID,	"connection_id",		"UInt64", 148, 64, uint64_t)	\
	X(INGRESS_VRF,	"ingress_vrf_id",		"UInt32", 234, 32, uint32_t)	\
	X(EGRESS_VRF,	"egress_vrf_id",		"UInt32", 235, 32, uint32_t)	\
	X(FWD_STATUS,	"forwarding_status",		"UInt32", 89,  32, uint32_t)	\
	X(FLOW_LABEL,	"ipv6_flow_label",		"UInt32", 31,  20, uint32_t)	\
	X(IN_PHYS_IF,	"ingress_physical_interface",	"UInt32", 252, 32, uint32_t)	\
	X(OUT_PHYS_IF,	"egress_physical_interface",	"UInt32", 253, 32, uint32_t)	\
	X(POST_VLAN,	"post_vlan",			"UInt16", 59,  12, uint16_t)	\
	X(END_REASON,	"flow_end_reason",		"UInt8",  136, 8,  uint8_t)	\
	X(TTL,		"ttl",				"UInt8",  192, 8,  uint8_t)	\
	X(MIN_TTL,	"min_ttl",			"UInt8",  52,  8,  uint8_t)	\
	X(MAX_TTL,	"max_ttl",			"UInt8",  53,  8,  uint8_t)

enum nfx_xfield {
#define NFX_XFIELD_ENUM_(id, key, ch, ie, bits, type) NFX_X_##id,
	NFX_FLOW_XFIELDS(NFX_XFIELD_ENUM_)
#undef NFX_XFIELD_ENUM_
	NFX_X_MAX,
};

/* Their values, each in its own type (nfx_xfield_get/set index them). */
struct nfx_xvals {
#define NFX_XFIELD_MEMBER_(id, key, ch, ie, bits, type) type x_##id;
	NFX_FLOW_XFIELDS(NFX_XFIELD_MEMBER_)
#undef NFX_XFIELD_MEMBER_
};

/* nfx_flow.xpresent: bit (1 << NFX_X_*) per field above, and the tunnel's. */
#define NFX_X_TUN_SRC		(1u << 28)	/* tun_src */
#define NFX_X_TUN_DST		(1u << 29)	/* tun_dst */
#define NFX_X_TUN_PORTS		(1u << 30)	/* tun_src_port, tun_dst_port */
#define NFX_X_TUN_PROTO		(1u << 31)	/* tun_proto */

/*
 * nfx_flow.present2: the second word of presence bits, for the fields added
 * after the first word was full (NAT and firewall, ...).
 */
#define NFX_F2_NAT_SRC		(1u << 0)	/* post-NAT source address */
#define NFX_F2_NAT_DST		(1u << 1)
#define NFX_F2_NAT_SRC_PORT	(1u << 2)	/* post-NAPT source port */
#define NFX_F2_NAT_DST_PORT	(1u << 3)
#define NFX_F2_NAT_EVENT	(1u << 4)
#define NFX_F2_FW_EVENT		(1u << 5)
#define NFX_F2_MPLS		(1u << 6)	/* mpls[0 .. mpls_depth - 1] */
#define NFX_F2_IN_IF_NAME	(1u << 7)	/* in_if_name: announced in options data */
#define NFX_F2_OUT_IF_NAME	(1u << 8)

/* Interface names kept, NUL included: longer ones are cut. */
#define NFX_IFNAME_LEN		32

/* MPLS label stack entries kept: IPFIX/v9 elements 70..79. */
#define NFX_MPLS_MAX		10

/*
 * Additional (mapped) fields: which mapping, and where its bytes are in
 * extra_data.  Kept inside the record, by value, because the aggregator
 * holds records long after the packet buffer is reused.
 */
#define NFX_EXTRA_MAX		4
#define NFX_EXTRA_BYTES		64

struct nfx_extra {
	uint8_t map;			/* index in the struct nfx_fieldmap table */
	uint8_t off;
	uint8_t len;
};

struct nfx_flow {
	uint64_t bytes;
	uint64_t packets;
	uint64_t start_ms;		/* ms since the Unix epoch */
	uint64_t end_ms;
	uint64_t sequence;		/* export sequence number of the message */
	uint32_t present;		/* NFX_F_* */
	uint32_t sampling_rate;		/* 0 = unknown */
	uint32_t in_if;
	uint32_t out_if;
	uint32_t src_as;
	uint32_t dst_as;
	uint32_t domain_id;		/* v9 source id / IPFIX observation domain */
	uint16_t src_port;
	uint16_t dst_port;
	uint16_t vlan;
	uint8_t type;			/* enum nfx_flow_type */
	uint8_t ip_version;		/* 4, 6, or 0 when unknown */
	uint8_t proto;
	uint8_t tos;
	uint8_t tcp_flags;
	uint8_t direction;		/* 0 ingress, 1 egress */
	uint8_t src_mask;
	uint8_t dst_mask;
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	struct nfx_addr src;
	struct nfx_addr dst;
	struct nfx_addr next_hop;
	struct nfx_addr bgp_next_hop;
	struct nfx_addr exporter;	/* source address of the export packet */
	uint16_t exporter_port;
	uint8_t nextra;
	struct nfx_extra extra[NFX_EXTRA_MAX];
	uint8_t extra_data[NFX_EXTRA_BYTES];
	/* NAT and firewall (IPFIX 225-228, 230, 233, 281-282; NSEL 40001-40005) */
	uint32_t present2;		/* NFX_F2_* */
	struct nfx_addr nat_src;
	struct nfx_addr nat_dst;
	uint16_t nat_src_port;
	uint16_t nat_dst_port;
	uint8_t nat_event;		/* IANA natEvent */
	uint8_t fw_event;		/* IANA firewallEvent (NSEL NF_F_FW_EVENT: same codes) */
	uint8_t mpls_depth;		/* entries in mpls[], top first */
	/* label stack entries as sent, 24 bits: label << 4 | traffic class << 1 | bottom */
	uint32_t mpls[NFX_MPLS_MAX];
	/* as the exporter's options data named in_if / out_if (decode/ifnames.h) */
	char in_if_name[NFX_IFNAME_LEN];
	char out_if_name[NFX_IFNAME_LEN];
	/*
	 * From here on, each field is meaningful only under its xpresent bit:
	 * the v9/IPFIX decoder does not copy this tail from record to record.
	 * Outer header of a tunnelled flow: the first occurrence of a repeated
	 * address/port/protocol element, or the other address family when a
	 * record carries both (decode/dataset.c says why).
	 */
	struct nfx_addr tun_src;
	struct nfx_addr tun_dst;
	uint16_t tun_src_port;
	uint16_t tun_dst_port;
	uint8_t tun_proto;
	uint32_t xpresent;		/* NFX_X_* bits */
	struct nfx_xvals xv;		/* NFX_FLOW_XFIELDS values */
};

/* Field @i (enum nfx_xfield) of the record. */
static inline uint64_t nfx_xfield_get(const struct nfx_flow *f, unsigned int i)
{
	switch (i) {
#define NFX_XFIELD_GET_(id, key, ch, ie, bits, type) case NFX_X_##id: return f->xv.x_##id;
	NFX_FLOW_XFIELDS(NFX_XFIELD_GET_)
#undef NFX_XFIELD_GET_
	default:
		return 0;
	}
}

/* Sets field @i to @v cut to its bits, and marks it present. */
static inline void nfx_xfield_set(struct nfx_flow *f, unsigned int i, uint64_t v)
{
	switch (i) {
#define NFX_XFIELD_SET_(id, key, ch, ie, bits, type)				\
	case NFX_X_##id:							\
		f->xv.x_##id = (type)(bits >= 64 ? v : v & ((1ull << (bits & 63)) - 1)); \
		break;
	NFX_FLOW_XFIELDS(NFX_XFIELD_SET_)
#undef NFX_XFIELD_SET_
	default:
		return;
	}
	f->xpresent |= 1u << i;
}

/*
 * Stack entry @i (0 = top) of @f.  An all-zero entry is "no label" (what
 * exporters send for the unused positions of their templates): the stack
 * ends before it unless a deeper entry is set.
 */
static inline void nfx_flow_set_mpls(struct nfx_flow *f, unsigned int i, uint32_t entry)
{
	if (i >= NFX_MPLS_MAX || !entry)
		return;
	f->mpls[i] = entry & 0xffffff;
	for (unsigned int j = f->mpls_depth; j < i; j++)
		f->mpls[j] = 0;
	if (i >= f->mpls_depth)
		f->mpls_depth = (uint8_t)(i + 1);
	f->present2 |= NFX_F2_MPLS;
}

/* Keep a mapped field's bytes; what does not fit is cut (strings) or left out. */
static inline void nfx_flow_add_extra(struct nfx_flow *f, unsigned int map, const uint8_t *p,
				      unsigned int len)
{
	unsigned int used = f->nextra ? f->extra[f->nextra - 1].off + f->extra[f->nextra - 1].len : 0;

	if (f->nextra >= NFX_EXTRA_MAX || used >= NFX_EXTRA_BYTES)
		return;
	if (len > NFX_EXTRA_BYTES - used)
		len = NFX_EXTRA_BYTES - used;
	memcpy(f->extra_data + used, p, len);
	f->extra[f->nextra++] = (struct nfx_extra){ (uint8_t)map, (uint8_t)used, (uint8_t)len };
}

/* Where a message came from and when it arrived. */
struct nfx_src {
	struct nfx_addr addr;
	uint16_t port;
	uint16_t dst_port;		/* the listener port it was sent to */
	uint8_t allow_checked;		/* the XDP program applied the allow-list */
	uint64_t now_ms;		/* wall clock at reception, ms since epoch */
};

/* What an input (io/) hands each datagram to: its source and UDP payload. */
typedef void (*nfx_dgram_fn)(void *ctx, const struct nfx_src *src, const uint8_t *payload,
			     size_t len);

/* Where records go: the decoder emits into one, the aggregator flushes into one. */
typedef void (*nfx_emit_fn)(void *ctx, const struct nfx_flow *f);

struct nfx_sink {
	nfx_emit_fn emit;
	void *ctx;
};

/* @to[i] += @from[i]: counter structs made of uint64_t only, summed over workers. */
static inline void nfx_counters_add(uint64_t *to, const uint64_t *from, size_t n)
{
	for (size_t i = 0; i < n; i++)
		to[i] += from[i];
}

#endif /* NFX_FLOW_H */

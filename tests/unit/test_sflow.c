// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_sflow.c - sFlow v5 decoding (decode/sflow.c), the sampled header
 * parse (decode/pkthdr.c) and the interface counter store
 * (decode/sflow_ctr.c), on datagrams and packets built here.  Every
 * datagram and header is decoded from an exact-size heap copy, so that a
 * read one byte past it is an ASan error (make asan).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dectest.h"
#include "msgbuild.h"
#include "decode/pkthdr.h"
#include "decode/seq.h"
#include "decode/sflow_ctr.h"

#define NOW_MS		((uint64_t)DT_EXPORT_SECS * 1000)
#define IF_SELF		0x3fffffffu	/* "the agent itself" */

static const uint8_t agent4[4] = { 10, 201, 1, 1 };
static const uint8_t agent6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x99 };
static const uint8_t mac_dst[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_src[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t ip4_src[4] = { 10, 1, 2, 3 }, ip4_dst[4] = { 192, 168, 7, 9 };
static const uint8_t ip6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t ip6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/* ---- datagram builder ---------------------------------------------------- */

static struct mb m;
static size_t nsamples_off;
static uint32_t nsamples;

struct sample {
	size_t len_off;
	size_t count_off;
	uint32_t count;
};

static void put32_at(size_t off, uint32_t v)
{
	m.b[off] = (uint8_t)(v >> 24);
	m.b[off + 1] = (uint8_t)(v >> 16);
	m.b[off + 2] = (uint8_t)(v >> 8);
	m.b[off + 3] = (uint8_t)v;
}

/* Datagram header; agent type 1 (4 bytes at @a), 2 (16 bytes) or 0 (none). */
static void dg_begin(uint32_t type, const uint8_t *a, uint32_t sub, uint32_t seq)
{
	m.len = 0;
	m.set_start = SIZE_MAX;
	m.version = 0;
	mb_u32(&m, 5);
	mb_u32(&m, type);
	if (type == 1)
		mb_bytes(&m, a, 4);
	else if (type == 2)
		mb_bytes(&m, a, 16);
	mb_u32(&m, sub);
	mb_u32(&m, seq);
	mb_u32(&m, 123000);		/* uptime */
	nsamples_off = m.len;
	mb_u32(&m, 0);
	nsamples = 0;
}

static void dg4(uint32_t seq)
{
	dg_begin(1, agent4, 1, seq);
}

/* Format, then a length that close_len() sets. */
static size_t open_len(uint32_t fmt)
{
	size_t off;

	mb_u32(&m, fmt);
	off = m.len;
	mb_u32(&m, 0);
	return off;
}

static void close_len(size_t off)
{
	put32_at(off, (uint32_t)(m.len - off - 4));
}

static void sample_begin(struct sample *s, uint32_t fmt)
{
	put32_at(nsamples_off, ++nsamples);
	s->len_off = open_len(fmt);
	s->count = 0;
}

static void sample_records(struct sample *s)
{
	s->count_off = m.len;
	mb_u32(&m, 0);
}

static void sample_end(struct sample *s)
{
	put32_at(s->count_off, s->count);
	close_len(s->len_off);
}

/* Compact flow sample: source id class 0 index 1, pool 1000, no drops. */
static void flow_sample(struct sample *s, uint32_t rate, uint32_t in, uint32_t out)
{
	sample_begin(s, 1);
	mb_u32(&m, 77);			/* sample sequence */
	mb_u32(&m, 1);			/* source id */
	mb_u32(&m, rate);
	mb_u32(&m, 1000);
	mb_u32(&m, 0);
	mb_u32(&m, in);
	mb_u32(&m, out);
	sample_records(s);
}

static void flow_sample_x(struct sample *s, uint32_t rate, uint32_t in_fmt, uint32_t in,
			  uint32_t out_fmt, uint32_t out)
{
	sample_begin(s, 3);
	mb_u32(&m, 78);
	mb_u32(&m, 0);			/* source id type */
	mb_u32(&m, 70000);		/* source id index, beyond 24 bits */
	mb_u32(&m, rate);
	mb_u32(&m, 1000);
	mb_u32(&m, 0);
	mb_u32(&m, in_fmt);
	mb_u32(&m, in);
	mb_u32(&m, out_fmt);
	mb_u32(&m, out);
	sample_records(s);
}

static void ctr_sample(struct sample *s, uint32_t source_id)
{
	sample_begin(s, 2);
	mb_u32(&m, 5);			/* sample sequence */
	mb_u32(&m, source_id);
	sample_records(s);
}

static void ctr_sample_x(struct sample *s, uint32_t cls, uint32_t idx)
{
	sample_begin(s, 4);
	mb_u32(&m, 6);
	mb_u32(&m, cls);
	mb_u32(&m, idx);
	sample_records(s);
}

static size_t rec_begin(struct sample *s, uint32_t fmt)
{
	s->count++;
	return open_len(fmt);
}

static void rec_raw(struct sample *s, uint32_t proto, uint32_t frame_len, const uint8_t *h,
		    size_t hlen)
{
	size_t r = rec_begin(s, 1);

	mb_u32(&m, proto);
	mb_u32(&m, frame_len);
	mb_u32(&m, 4);			/* stripped */
	mb_u32(&m, (uint32_t)hlen);
	mb_bytes(&m, h, hlen);
	while (m.len % 4)
		mb_u8(&m, 0);
	close_len(r);
}

static void rec_switch(struct sample *s, uint32_t in_vlan, uint32_t out_vlan)
{
	size_t r = rec_begin(s, 1001);

	mb_u32(&m, in_vlan);
	mb_u32(&m, 0);
	mb_u32(&m, out_vlan);
	mb_u32(&m, 0);
	close_len(r);
}

/* Extended router with an IPv4 (@v6 = 0) or IPv6 next hop. */
static void rec_router(struct sample *s, int v6, uint32_t smask, uint32_t dmask)
{
	size_t r = rec_begin(s, 1002);

	mb_u32(&m, v6 ? 2 : 1);
	if (v6)
		mb_bytes(&m, agent6, 16);
	else
		mb_ip4(&m, 10, 0, 0, 254);
	mb_u32(&m, smask);
	mb_u32(&m, dmask);
	close_len(r);
}

/* Extended gateway: BGP next hop 10.0.0.1, @nseg segments of ASes from @path. */
static void rec_gateway(struct sample *s, uint32_t router_as, uint32_t src_as,
			const uint32_t *seglen, uint32_t nseg, const uint32_t *path)
{
	size_t r = rec_begin(s, 1003);

	mb_u32(&m, 1);
	mb_ip4(&m, 10, 0, 0, 1);
	mb_u32(&m, router_as);
	mb_u32(&m, src_as);
	mb_u32(&m, 65099);		/* source peer AS */
	mb_u32(&m, nseg);
	for (uint32_t i = 0; i < nseg; i++) {
		mb_u32(&m, 2);		/* AS_SEQUENCE */
		mb_u32(&m, seglen[i]);
		for (uint32_t j = 0; j < seglen[i]; j++)
			mb_u32(&m, *path++);
	}
	mb_u32(&m, 2);			/* communities */
	mb_u32(&m, 0xfde80001);
	mb_u32(&m, 0xfde80002);
	mb_u32(&m, 100);		/* local preference */
	close_len(r);
}

/* A record of @n bytes of filler in format @fmt. */
static void rec_blob(struct sample *s, uint32_t fmt, size_t n)
{
	size_t r = rec_begin(s, fmt);

	for (size_t i = 0; i < n; i++)
		mb_u8(&m, (uint8_t)i);
	close_len(r);
}

static void rec_sampled_ip(struct sample *s, int v6, uint32_t length, uint32_t proto,
			   uint32_t sport, uint32_t dport, uint32_t flags, uint32_t tos)
{
	size_t r = rec_begin(s, v6 ? 4 : 3);

	mb_u32(&m, length);
	mb_u32(&m, proto);
	mb_bytes(&m, v6 ? ip6_src : ip4_src, v6 ? 16 : 4);
	mb_bytes(&m, v6 ? ip6_dst : ip4_dst, v6 ? 16 : 4);
	mb_u32(&m, sport);
	mb_u32(&m, dport);
	mb_u32(&m, flags);
	mb_u32(&m, tos);
	close_len(r);
}

/* Generic interface counters; the counters are @base + their position. */
static void rec_generic(struct sample *s, uint32_t if_index, uint64_t base)
{
	size_t r = rec_begin(s, 1);

	mb_u32(&m, if_index);
	mb_u32(&m, 6);			/* ethernetCsmacd */
	mb_u64(&m, 10000000000ull);
	mb_u32(&m, 1);			/* full duplex */
	mb_u32(&m, 3);			/* admin and oper up */
	mb_u64(&m, base + 0x100000000ull);	/* in octets, beyond 32 bits */
	for (uint32_t i = 1; i <= 6; i++)
		mb_u32(&m, (uint32_t)base + i);
	mb_u64(&m, base + 7);		/* out octets */
	for (uint32_t i = 8; i <= 12; i++)
		mb_u32(&m, (uint32_t)base + i);
	mb_u32(&m, 1);			/* promiscuous */
	close_len(r);
}

static void rec_ether(struct sample *s, uint32_t base)
{
	size_t r = rec_begin(s, 2);

	for (uint32_t i = 0; i < 13; i++)
		mb_u32(&m, base + i);
	close_len(r);
}

/* ---- packet builder -------------------------------------------------------- */

struct pkt {
	uint8_t b[512];
	size_t len;
};

static void p_bytes(struct pkt *p, const void *x, size_t n)
{
	memcpy(p->b + p->len, x, n);
	p->len += n;
}

static void p_u8(struct pkt *p, uint8_t v)
{
	p->b[p->len++] = v;
}

static void p_u16(struct pkt *p, uint16_t v)
{
	p_u8(p, (uint8_t)(v >> 8));
	p_u8(p, (uint8_t)v);
}

static void p_macs(struct pkt *p)
{
	p->len = 0;
	p_bytes(p, mac_dst, 6);
	p_bytes(p, mac_src, 6);
}

/* Ethernet without tags. */
static void p_eth(struct pkt *p, uint16_t ethertype)
{
	p_macs(p);
	p_u16(p, ethertype);
}

/* IPv4 10.1.2.3 -> 192.168.7.9 with @optw words of options, fragment word @frag. */
static void p_ipv4(struct pkt *p, uint8_t proto, uint8_t tos, unsigned int optw, uint16_t frag)
{
	p_u8(p, (uint8_t)(0x45 + optw));
	p_u8(p, tos);
	p_u16(p, 1500);
	p_u16(p, 0x1234);
	p_u16(p, frag);
	p_u8(p, 64);
	p_u8(p, proto);
	p_u16(p, 0);
	p_bytes(p, ip4_src, 4);
	p_bytes(p, ip4_dst, 4);
	/* options that look like ports, to catch a parse that ignores IHL */
	for (unsigned int i = 0; i < optw; i++) {
		p_u16(p, 0x0101);
		p_u16(p, 0x0101);
	}
}

static void p_ipv6(struct pkt *p, uint8_t nh, uint8_t tclass)
{
	p_u8(p, (uint8_t)(0x60 | tclass >> 4));
	p_u8(p, (uint8_t)(tclass << 4));
	p_u16(p, 0);
	p_u16(p, 1400);
	p_u8(p, nh);
	p_u8(p, 64);
	p_bytes(p, ip6_src, 16);
	p_bytes(p, ip6_dst, 16);
}

/* An options-style extension header of (@len8 + 1) * 8 bytes. */
static void p_ext(struct pkt *p, uint8_t nh, uint8_t len8)
{
	p_u8(p, nh);
	p_u8(p, len8);
	for (int i = 0; i < (len8 + 1) * 8 - 2; i++)
		p_u8(p, 1);
}

static void p_frag6(struct pkt *p, uint8_t nh, uint16_t offset8, int more)
{
	p_u8(p, nh);
	p_u8(p, 0);
	p_u16(p, (uint16_t)(offset8 << 3 | (more ? 1 : 0)));
	p_u16(p, 0xabcd);
	p_u16(p, 0x0001);
}

static void p_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags)
{
	p_u16(p, sport);
	p_u16(p, dport);
	for (int i = 0; i < 8; i++)
		p_u8(p, 0);		/* seq, ack */
	p_u8(p, 0x50);
	p_u8(p, flags);
	for (int i = 0; i < 6; i++)
		p_u8(p, 0);
}

static void p_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	p_u16(p, sport);
	p_u16(p, dport);
	p_u16(p, 100);
	p_u16(p, 0);
}

static void p_icmp(struct pkt *p, uint8_t type, uint8_t code)
{
	p_u8(p, type);
	p_u8(p, code);
	for (int i = 0; i < 6; i++)
		p_u8(p, 0);
}

/* ---- decoding ------------------------------------------------------------- */

static struct nfx_decoder *d;
static struct mb_sink got;

static struct nfx_decoder *new_dec(uint32_t max_ifs)
{
	struct nfx_decoder_opts o = { .max_sflow_interfaces = max_ifs, .max_sessions = 16 };
	struct nfx_decoder *dec = nfx_decoder_new(&o);

	if (!dec)
		abort();
	return dec;
}

/* The datagram built, from an exact-size copy; checks decode.h's contract. */
static int decode_at(uint64_t now_ms)
{
	const struct nfx_sink sink = { mb_collect, &got };
	struct nfx_src src = src4(6343);
	uint64_t dropped = d->stats.dropped[NFX_SLOT_SFLOW5];
	uint8_t *copy = malloc(m.len ? m.len : 1);
	int r;

	if (!copy)
		abort();
	memcpy(copy, m.b, m.len);
	src.now_ms = now_ms;
	got.n = got.total = 0;
	r = nfx_decode(d, &src, copy, m.len, &sink);
	free(copy);
	dt_check_outcome(d, NFX_SLOT_SFLOW5, r, got.total, dropped);
	return r;
}

static int decode(void)
{
	return decode_at(NOW_MS);
}

/* The header parse alone, on an exact-size copy of @len bytes of @p. */
static enum nfx_pkthdr_depth parse(const struct pkt *p, size_t len, enum nfx_pkthdr_link link,
				   struct nfx_flow *f)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum nfx_pkthdr_depth r;

	if (!copy)
		abort();
	memcpy(copy, p->b, len);
	memset(f, 0, sizeof(*f));
	r = nfx_pkthdr_parse(copy, len, link, f);
	free(copy);
	return r;
}

static int addr_is(const struct nfx_addr *a, const uint8_t *b, size_t n)
{
	struct nfx_addr x;

	if (n == 4)
		nfx_addr_set_v4(&x, b);
	else
		nfx_addr_set_v6(&x, b);
	return !memcmp(a, &x, sizeof(x));
}

/* A one-sample datagram: a compact flow sample holding the raw header @p. */
static void dg_one_header(const struct pkt *p, uint32_t proto)
{
	struct sample s;

	dg4(1);
	flow_sample(&s, 512, 3, 4);
	rec_raw(&s, proto, 1518, p->b, p->len);
	sample_end(&s);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_sflow_compact_ipv4_tcp(void)
{
	const struct nfx_flow *f = &got.f[0];
	struct pkt p;
	struct sample s;

	d = new_dec(0);
	p_eth(&p, 0x0800);
	p_ipv4(&p, 6, 0xb8, 0, 0x4000);	/* DF */
	p_tcp(&p, 40000, 443, 0x12);
	dg4(1);
	flow_sample(&s, 512, 3, 4);
	rec_switch(&s, 0, 0);
	rec_raw(&s, 1, 1518, p.b, p.len);
	sample_end(&s);
	CHECK_EQ(decode(), 1);
	CHECK_EQ(f->type, NFX_TYPE_SFLOW5);
	CHECK_EQ(f->bytes, 1518);
	CHECK_EQ(f->packets, 1);
	CHECK_EQ(f->sampling_rate, 512);
	CHECK_EQ(f->start_ms, NOW_MS);
	CHECK_EQ(f->end_ms, NOW_MS);
	CHECK(f->present & NFX_F_START && f->present & NFX_F_END, "times present");
	CHECK(addr_is(&f->exporter, agent4, 4), "exporter is the agent, not the UDP source");
	CHECK_EQ(f->in_if, 3);
	CHECK_EQ(f->out_if, 4);
	CHECK_EQ(f->sequence, 1);
	CHECK(!memcmp(f->dst_mac, mac_dst, 6) && !memcmp(f->src_mac, mac_src, 6), "MACs");
	CHECK_EQ(f->ip_version, 4);
	CHECK(addr_is(&f->src, ip4_src, 4) && addr_is(&f->dst, ip4_dst, 4), "addresses");
	CHECK_EQ(f->proto, 6);
	CHECK_EQ(f->tos, 0xb8);
	CHECK_EQ(f->src_port, 40000);
	CHECK_EQ(f->dst_port, 443);
	CHECK_EQ(f->tcp_flags, 0x12);
	CHECK(!(f->present & (NFX_F_VLAN | NFX_F_ICMP | NFX_F_NEXT_HOP | NFX_F_SRC_AS)),
	      "nothing the sample did not carry (1001 all zero: no VLAN)");
	CHECK_EQ(d->stats.packets[NFX_SLOT_SFLOW5], 1);
	CHECK_EQ(d->stats.records[NFX_SLOT_SFLOW5], 1);
	CHECK_EQ(d->stats.sflow_flow_samples, 1);
	nfx_decoder_free(d);
}

static void test_sflow_ipv6_agent(void)
{
	const struct nfx_flow *f = &got.f[0];
	struct pkt p;
	struct sample s;

	d = new_dec(0);
	p_eth(&p, 0x86dd);
	p_ipv6(&p, 17, 0xb8);
	p_udp(&p, 5353, 53);
	dg_begin(2, agent6, 7, 10);
	flow_sample(&s, 1, 1, 2);
	rec_raw(&s, 1, 90, p.b, p.len);
	sample_end(&s);
	CHECK_EQ(decode(), 1);
	CHECK(addr_is(&f->exporter, agent6, 16), "IPv6 agent is the exporter");
	CHECK_EQ(f->ip_version, 6);
	CHECK(addr_is(&f->src, ip6_src, 16) && addr_is(&f->dst, ip6_dst, 16), "addresses");
	CHECK_EQ(f->proto, 17);
	CHECK_EQ(f->tos, 0xb8);
	CHECK_EQ(f->src_port, 5353);
	CHECK_EQ(f->dst_port, 53);

	/* agent type 0 (unknown): the UDP source stands in */
	dg_begin(0, NULL, 1, 1);
	flow_sample(&s, 1, 1, 2);
	rec_raw(&s, 1, 90, p.b, p.len);
	sample_end(&s);
	CHECK_EQ(decode(), 1);
	CHECK(addr_is(&f->exporter, (const uint8_t[]){ 10, 201, 9, 1 }, 4), "UDP source");
	nfx_decoder_free(d);
}

static void test_sflow_expanded_samples(void)
{
	const struct nfx_flow *f = &got.f[0];
	struct nfx_sflow_if *e;
	struct pkt p;
	struct sample s;

	d = new_dec(0);
	p_eth(&p, 0x0800);
	p_ipv4(&p, 17, 0, 0, 0);
	p_udp(&p, 1000, 2000);
	dg4(1);
	flow_sample_x(&s, 2048, 0, 70001, 0, 5000000);
	rec_raw(&s, 1, 200, p.b, p.len);
	sample_end(&s);
	ctr_sample_x(&s, 0, 70002);
	rec_generic(&s, 70002, 1000);
	sample_end(&s);
	CHECK_EQ(decode(), 1);
	CHECK_EQ(f->sampling_rate, 2048);
	CHECK_EQ(f->in_if, 70001);
	CHECK_EQ(f->out_if, 5000000);	/* expanded: 32-bit values, beyond compact's 30 bits */
	CHECK_EQ(f->src_port, 1000);
	CHECK_EQ(d->stats.sflow_counter_samples, 1);
	e = nfx_sflow_ctr_get(d->sfctr, &f->exporter, 70002);
	CHECK(e && e->has_generic && e->gen.in_ucast_pkts == 1001, "expanded counter sample stored");
	CHECK_EQ(nfx_sflow_ctr_count(d->sfctr), 1);
	nfx_decoder_free(d);
}

static void test_sflow_interface_formats(void)
{
	static const struct { uint32_t in, out, want_in, want_out; } c[] = {
		{ 7, IF_SELF, 7, IF_SELF },		/* format 0, "the agent itself" kept */
		{ 0, 9, 0, 9 },				/* 0: unknown */
		{ 7, 0x40000102u, 7, 0 },		/* format 1: dropped (ACL) */
		{ 7, 0x80000003u, 7, 0 },		/* format 2: sent out on 3 */
		{ 0xc0000001u, 9, 0, 9 },		/* format 3: undefined */
	};
	struct pkt p;
	struct sample s;

	d = new_dec(0);
	p_eth(&p, 0x0806);			/* ARP: no IP fields */
	for (unsigned int i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		dg4(i + 1);
		flow_sample(&s, 1, c[i].in, c[i].out);
		rec_raw(&s, 1, 64, p.b, p.len);
		sample_end(&s);
		CHECK_EQ(decode(), 1);
		CHECK_EQ(got.f[0].in_if, c[i].want_in);
		CHECK_EQ(got.f[0].out_if, c[i].want_out);
		CHECK_EQ(got.f[0].ip_version, 0);
	}
	/* expanded: the format is a word of its own */
	dg4(9);
	flow_sample_x(&s, 1, 0, 12, 1, 258);
	rec_raw(&s, 1, 64, p.b, p.len);
	sample_end(&s);
	CHECK_EQ(decode(), 1);
	CHECK_EQ(got.f[0].in_if, 12);
	CHECK_EQ(got.f[0].out_if, 0);
	nfx_decoder_free(d);
}

static void test_sflow_extended_records(void)
{
	static const uint32_t seglen[] = { 2, 1 }, path[] = { 64500, 64501, 64502 };
	const struct nfx_flow *f = &got.f[0];
	struct pkt p, q;
	struct sample s;

	d = new_dec(0);
	p_eth(&p, 0x0800);
	p_ipv4(&p, 6, 0, 0, 0);
	p_tcp(&p, 1, 2, 0x02);
	/* 1001 VLAN (untagged header), 1002 v4 next hop + masks, 1003 two segments */
	dg4(1);
	flow_sample(&s, 1, 1, 2);
	rec_switch(&s, 300, 301);
	rec_router(&s, 0, 16, 24);
	rec_gateway(&s, 65000, 64999, seglen, 2, path);
	rec_raw(&s, 1, 64, p.b, p.len);
	sample_end(&s);
	CHECK_EQ(decode(), 1);
	CHECK(f->present & NFX_F_VLAN, "VLAN from 1001");
	CHECK_EQ(f->vlan, 300);
	CHECK(f->present & NFX_F_NEXT_HOP, "next hop");
	CHECK(addr_is(&f->next_hop, (const uint8_t[]){ 10, 0, 0, 254 }, 4), "next hop value");
	CHECK_EQ(f->src_mask, 16);
	CHECK_EQ(f->dst_mask, 24);
	CHECK(f->present & NFX_F_SRC_MASK && f->present & NFX_F_DST_MASK, "masks");
	CHECK(f->present & NFX_F_BGP_NEXT_HOP, "BGP next hop");
	CHECK(addr_is(&f->bgp_next_hop, (const uint8_t[]){ 10, 0, 0, 1 }, 4), "BGP next hop value");
	CHECK_EQ(f->src_as, 64999);
	CHECK_EQ(f->dst_as, 64502);	/* the path's last AS */
	CHECK(f->present & NFX_F_SRC_AS && f->present & NFX_F_DST_AS, "AS present");

	/* the header's own tag beats 1001; v6 next hop; empty path and source AS 0: the router's AS */
	p_macs(&q);
	p_u16(&q, 0x8100);
	p_u16(&q, 0x2000 | 42);
	p_u16(&q, 0x0800);
	p_ipv4(&q, 6, 0, 0, 0);
	p_tcp(&q, 1, 2, 0x02);
	dg4(2);
	flow_sample(&s, 1, 1, 2);
	rec_raw(&s, 1, 64, q.b, q.len);
	rec_switch(&s, 300, 301);
	rec_router(&s, 1, 64, 48);
	rec_gateway(&s, 65000, 0, NULL, 0, NULL);
	sample_end(&s);
	CHECK_EQ(decode(), 1);
	CHECK_EQ(f->vlan, 42);
	CHECK(!memcmp(&f->next_hop, agent6, 16), "v6 next hop");
	CHECK_EQ(f->src_as, 65000);
	CHECK_EQ(f->dst_as, 65000);
	CHECK_EQ(f->src_mask, 64);

	/* malformed 1002/1003/1001: ignored and counted, the sample still a record */
	dg4(3);
	flow_sample(&s, 1, 1, 2);
	{
		size_t r = rec_begin(&s, 1003);	/* segment count beyond the record */

		mb_u32(&m, 1);
		mb_ip4(&m, 10, 0, 0, 1);
		mb_u32(&m, 1);
		mb_u32(&m, 2);
		mb_u32(&m, 3);
		mb_u32(&m, 1000);
		close_len(r);
		r = rec_begin(&s, 1002);	/* address type 7 */
		mb_u32(&m, 7);
		mb_u32(&m, 0);
		mb_u32(&m, 8);
		mb_u32(&m, 8);
		close_len(r);
	}
	rec_router(&s, 0, 129, 8);		/* mask beyond 128 */
	rec_switch(&s, 5000, 0);		/* VLAN beyond 12 bits */
	rec_blob(&s, 1003, 20);			/* AS path cut */
	rec_raw(&s, 1, 64, p.b, p.len);
	sample_end(&s);
	CHECK_EQ(decode(), 1);
	CHECK_EQ(d->stats.sflow_bad_record, 5);
	CHECK(!(f->present & (NFX_F_SRC_AS | NFX_F_DST_AS | NFX_F_NEXT_HOP | NFX_F_BGP_NEXT_HOP |
			      NFX_F_SRC_MASK | NFX_F_VLAN)), "nothing from malformed records");
	CHECK_EQ(f->src_port, 1);
	nfx_decoder_free(d);
}

static void test_sflow_sampled_ip(void)
{
	const struct nfx_flow *f = &got.f[0];
	struct pkt p;
	struct sample s;

	d = new_dec(0);
	/* sampled IPv4 alone */
	dg4(1);
	flow_sample(&s, 10, 1, 2);
	rec_sampled_ip(&s, 0, 1400, 6, 1234, 80, 0x18, 0x20);
	sample_end(&s);
	CHECK_EQ(decode(), 1);
	CHECK_EQ(f->bytes, 1400);
	CHECK_EQ(f->ip_version, 4);
	CHECK(addr_is(&f->src, ip4_src, 4) && addr_is(&f->dst, ip4_dst, 4), "v4 addresses");
	CHECK_EQ(f->proto, 6);
	CHECK_EQ(f->src_port, 1234);
	CHECK_EQ(f->dst_port, 80);
	CHECK_EQ(f->tcp_flags, 0x18);
	CHECK_EQ(f->tos, 0x20);
	/* sampled IPv6 alone; UDP: no flags */
	dg4(2);
	flow_sample(&s, 10, 1, 2);
	rec_sampled_ip(&s, 1, 600, 17, 53, 5353, 0xff, 0xb8);
	sample_end(&s);
	CHECK_EQ(decode(), 1);
	CHECK_EQ(f->ip_version, 6);
	CHECK(addr_is(&f->src, ip6_src, 16), "v6 address");
	CHECK_EQ(f->bytes, 600);
	CHECK_EQ(f->tcp_flags, 0);
	CHECK_EQ(f->tos, 0xb8);
	/* with a raw header, before or after it: the header wins */
	p_eth(&p, 0x0800);
	p_ipv4(&p, 17, 0, 0, 0);
	p_udp(&p, 7, 8);
	for (int order = 0; order < 2; order++) {
		dg4(3);
		flow_sample(&s, 10, 1, 2);
		if (order)
			rec_raw(&s, 1, 99, p.b, p.len);
		rec_sampled_ip(&s, 1, 600, 6, 53, 5353, 0x02, 0xb8);
		if (!order)
			rec_raw(&s, 1, 99, p.b, p.len);
		sample_end(&s);
		CHECK_EQ(decode(), 1);
		CHECK_EQ(f->bytes, 99);
		CHECK_EQ(f->ip_version, 4);
		CHECK_EQ(f->proto, 17);
		CHECK_EQ(f->src_port, 7);
	}
	/* out of range values: the record is ignored */
	dg4(4);
	flow_sample(&s, 10, 1, 2);
	rec_sampled_ip(&s, 0, 1400, 256, 1, 2, 0, 0);
	rec_sampled_ip(&s, 0, 1400, 6, 70000, 2, 0, 0);
	sample_end(&s);
	CHECK_EQ(decode(), 1);
	CHECK_EQ(d->stats.sflow_bad_record, 2);
	CHECK(!(f->present & NFX_F_SRC_ADDR), "no address from a bad record");
	nfx_decoder_free(d);
}

static void test_sflow_no_l2_headers(void)
{
	const struct nfx_flow *f = &got.f[0];
	struct pkt p;

	d = new_dec(0);
	p.len = 0;
	p_ipv4(&p, 1, 0, 0, 0);
	p_icmp(&p, 8, 0);
	dg_one_header(&p, 11);
	CHECK_EQ(decode(), 1);
	CHECK_EQ(f->ip_version, 4);
	CHECK(addr_is(&f->dst, ip4_dst, 4), "IPv4 without L2");
	CHECK(f->present & NFX_F_ICMP, "ICMP");
	CHECK_EQ(f->icmp_type, 8);
	CHECK(!(f->present & (NFX_F_SRC_PORT | NFX_F_SRC_MAC)), "no ports, no MACs");
	p.len = 0;
	p_ipv6(&p, 58, 0);
	p_icmp(&p, 128, 0);
	dg_one_header(&p, 12);
	CHECK_EQ(decode(), 1);
	CHECK_EQ(f->ip_version, 6);
	CHECK_EQ(f->proto, 58);
	CHECK_EQ(f->icmp_type, 128);
	/* an IPv4 header given as IPv6: nothing */
	p.len = 0;
	p_ipv4(&p, 6, 0, 0, 0);
	dg_one_header(&p, 12);
	CHECK_EQ(decode(), 1);
	CHECK_EQ(f->ip_version, 0);
	CHECK(!(f->present & NFX_F_SRC_ADDR), "version nibble checked");
	/* a header protocol not parsed: the record, its bytes, a counter */
	dg_one_header(&p, 2);
	CHECK_EQ(decode(), 1);
	CHECK_EQ(f->bytes, 1518);
	CHECK_EQ(d->stats.sflow_header_unsupported, 1);
	nfx_decoder_free(d);
}

static void test_sflow_qinq(void)
{
	struct nfx_flow f;
	struct pkt p;

	/* 802.1ad outer (PCP 7, DEI set, VID 100) + 802.1Q inner VID 200 */
	p_macs(&p);
	p_u16(&p, 0x88a8);
	p_u16(&p, 0xf000 | 100);
	p_u16(&p, 0x8100);
	p_u16(&p, 0xa000 | 200);
	p_u16(&p, 0x0800);
	p_ipv4(&p, 6, 0, 0, 0);
	p_tcp(&p, 11, 22, 0x10);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L4);
	CHECK(f.present & NFX_F_VLAN, "VLAN");
	CHECK_EQ(f.vlan, 100);		/* the outer tag, 12 bits */
	CHECK_EQ(f.src_port, 11);
	CHECK_EQ(f.tcp_flags, 0x10);
	/* a priority tag (VID 0) names no VLAN: the inner one does */
	p_macs(&p);
	p_u16(&p, 0x8100);
	p_u16(&p, 0xe000);
	p_u16(&p, 0x8100);
	p_u16(&p, 300);
	p_u16(&p, 0x86dd);
	p_ipv6(&p, 17, 0);
	p_udp(&p, 1, 2);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L4);
	CHECK_EQ(f.vlan, 300);
	/* three tags: beyond the bound, no IP */
	p_macs(&p);
	for (int i = 0; i < 3; i++) {
		p_u16(&p, 0x8100);
		p_u16(&p, (uint16_t)(10 + i));
	}
	p_u16(&p, 0x0800);
	p_ipv4(&p, 6, 0, 0, 0);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L2);
	CHECK_EQ(f.vlan, 10);
	CHECK(!(f.present & NFX_F_SRC_ADDR), "no address after a third tag");
	/* and through the decoder */
	p_macs(&p);
	p_u16(&p, 0x9100);
	p_u16(&p, 0x0fff);
	p_u16(&p, 0x0800);
	p_ipv4(&p, 17, 0, 0, 0);
	p_udp(&p, 3, 4);
	d = new_dec(0);
	dg_one_header(&p, 1);
	CHECK_EQ(decode(), 1);
	CHECK_EQ(got.f[0].vlan, 4095);
	CHECK_EQ(got.f[0].dst_port, 4);
	nfx_decoder_free(d);
}

static void test_sflow_ipv4_options_fragments(void)
{
	struct nfx_flow f;
	struct pkt p;

	/* IHL 7: the ports come after 8 bytes of options */
	p_eth(&p, 0x0800);
	p_ipv4(&p, 17, 0, 2, 0);
	p_udp(&p, 4000, 5000);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L4);
	CHECK_EQ(f.src_port, 4000);
	CHECK_EQ(f.dst_port, 5000);
	/* IHL 15, the longest */
	p_eth(&p, 0x0800);
	p_ipv4(&p, 6, 0, 10, 0);
	p_tcp(&p, 4001, 5001, 0x01);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L4);
	CHECK_EQ(f.src_port, 4001);
	CHECK_EQ(f.tcp_flags, 0x01);
	/* IHL 4 is no header length: addresses, no ports */
	p_eth(&p, 0x0800);
	p_ipv4(&p, 17, 0, 0, 0);
	p.b[14] = 0x44;
	p_udp(&p, 1, 2);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L3);
	CHECK(f.present & NFX_F_DST_ADDR && !(f.present & NFX_F_SRC_PORT), "IHL < 5");
	/* first fragment (MF): ports; non-first: none, protocol kept */
	p_eth(&p, 0x0800);
	p_ipv4(&p, 17, 0, 0, 0x2000);
	p_udp(&p, 1, 2);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L4);
	p_eth(&p, 0x0800);
	p_ipv4(&p, 17, 0, 0, 0x00b9);
	p_udp(&p, 1, 2);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L3);
	CHECK_EQ(f.proto, 17);
	CHECK(!(f.present & NFX_F_SRC_PORT), "no ports in a later fragment");
	/* ICMP in a later fragment: no type either */
	p_eth(&p, 0x0800);
	p_ipv4(&p, 1, 0, 0, 0x0001);
	p_icmp(&p, 3, 3);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L3);
	CHECK(!(f.present & NFX_F_ICMP), "no ICMP in a later fragment");
}

static void test_sflow_ipv6_extension_headers(void)
{
	struct nfx_flow f;
	struct pkt p;

	/* hop-by-hop (8), routing (24), destination options (16), TCP */
	p_eth(&p, 0x86dd);
	p_ipv6(&p, 0, 0);
	p_ext(&p, 43, 0);
	p_ext(&p, 60, 2);
	p_ext(&p, 6, 1);
	p_tcp(&p, 8080, 80, 0x11);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L4);
	CHECK_EQ(f.proto, 6);
	CHECK_EQ(f.src_port, 8080);
	CHECK_EQ(f.tcp_flags, 0x11);
	/* first fragment: ports behind the fragment header */
	p_eth(&p, 0x86dd);
	p_ipv6(&p, 44, 0);
	p_frag6(&p, 17, 0, 1);
	p_udp(&p, 500, 4500);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L4);
	CHECK_EQ(f.proto, 17);
	CHECK_EQ(f.dst_port, 4500);
	/* later fragment: the protocol, no ports */
	p_eth(&p, 0x86dd);
	p_ipv6(&p, 44, 0);
	p_frag6(&p, 17, 185, 0);
	p_udp(&p, 500, 4500);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L3);
	CHECK_EQ(f.proto, 17);
	CHECK(!(f.present & NFX_F_SRC_PORT), "no ports in a later fragment");
	/* AH (length in 4-byte words less 2), then ICMPv6 */
	p_eth(&p, 0x86dd);
	p_ipv6(&p, 51, 0);
	p_u8(&p, 58);
	p_u8(&p, 4);			/* (4 + 2) * 4 = 24 bytes */
	for (int i = 0; i < 22; i++)
		p_u8(&p, 0);
	p_icmp(&p, 1, 4);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L4);
	CHECK_EQ(f.proto, 58);
	CHECK_EQ(f.icmp_type, 1);
	CHECK_EQ(f.icmp_code, 4);
	/* ESP: the protocol, nothing beyond */
	p_eth(&p, 0x86dd);
	p_ipv6(&p, 50, 0);
	p_udp(&p, 1, 2);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L3);
	CHECK_EQ(f.proto, 50);
	/* more extension headers than the bound: stops, no ports */
	p_eth(&p, 0x86dd);
	p_ipv6(&p, 60, 0);
	for (int i = 0; i < NFX_PKTHDR_MAX_EXT + 1; i++)
		p_ext(&p, i == NFX_PKTHDR_MAX_EXT ? 17 : 60, 0);
	p_udp(&p, 1, 2);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L3);
	CHECK(!(f.present & NFX_F_SRC_PORT), "chain beyond the bound");
}

static void test_sflow_mpls(void)
{
	struct nfx_flow f;
	struct pkt p;

	/* two labels (bottom of stack on the second), IPv4 */
	p_eth(&p, 0x8847);
	p_u16(&p, 0x0001);
	p_u16(&p, 0x00ff);		/* label 16, TC 0, not bottom, TTL 255 */
	p_u16(&p, 0x0002);
	p_u16(&p, 0x01ff);		/* bottom */
	p_ipv4(&p, 6, 0x10, 0, 0);
	p_tcp(&p, 22, 33333, 0x18);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L4);
	CHECK_EQ(f.ip_version, 4);
	CHECK_EQ(f.tos, 0x10);
	CHECK_EQ(f.src_port, 22);
	/* the stack is kept, entries without their TTL byte */
	CHECK(f.present2 & NFX_F2_MPLS, "labels kept");
	CHECK_EQ(f.mpls_depth, 2);
	CHECK_EQ(f.mpls[0], 0x00100);
	CHECK_EQ(f.mpls[1], 0x00201);
	/* one label, IPv6 */
	p_eth(&p, 0x8847);
	p_u16(&p, 0x0003);
	p_u16(&p, 0x01ff);
	p_ipv6(&p, 17, 0);
	p_udp(&p, 9, 10);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L4);
	CHECK_EQ(f.ip_version, 6);
	CHECK_EQ(f.dst_port, 10);
	/* a stack with no bottom within the bound, and one cut by the snap length */
	p_eth(&p, 0x8848);
	for (int i = 0; i < NFX_PKTHDR_MAX_LABELS + 1; i++) {
		p_u16(&p, 0x0001);
		p_u16(&p, i == NFX_PKTHDR_MAX_LABELS ? 0x01ff : 0x00ff);
	}
	p_ipv4(&p, 6, 0, 0, 0);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L2);
	CHECK_EQ(f.mpls_depth, NFX_MPLS_MAX);	/* the first ten of the stack */
	p_eth(&p, 0x8847);
	p_u16(&p, 0x0001);
	p_u16(&p, 0x00ff);
	p_u16(&p, 0x0001);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L2);
	/* bottom label, then no IP version nibble */
	p_eth(&p, 0x8847);
	p_u16(&p, 0x0001);
	p_u16(&p, 0x01ff);
	p_u8(&p, 0x00);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L2);
	CHECK(!(f.present & NFX_F_SRC_ADDR), "no IP");
}

/*
 * Every cut of a full header: fields only when all their bytes are there,
 * each there once its bytes are (an exact-size copy: ASan sees any read
 * past the cut).
 */
static void check_cuts(const struct pkt *p, size_t ip, size_t l4, int v6)
{
	size_t alen = v6 ? 16 : 4, src_end = ip + (v6 ? 24 : 16), dst_end = ip + (v6 ? 40 : 20);
	struct nfx_flow f;

	for (size_t len = 0; len <= p->len; len++) {
		parse(p, len, NFX_PKTHDR_ETHER, &f);
		CHECK(!!(f.present & NFX_F_DST_MAC) == (len >= 6), "dst MAC at %zu", len);
		CHECK(!!(f.present & NFX_F_SRC_MAC) == (len >= 12), "src MAC at %zu", len);
		CHECK(!!(f.present & NFX_F_VLAN) == (len >= 18), "VLAN at %zu", len);
		CHECK(!!(f.present & NFX_F_SRC_ADDR) == (len >= src_end), "src at %zu", len);
		CHECK(!!(f.present & NFX_F_DST_ADDR) == (len >= dst_end), "dst at %zu", len);
		CHECK(!!(f.present & NFX_F_SRC_PORT) == (len >= l4 + 4), "ports at %zu", len);
		CHECK((f.tcp_flags != 0) == (len >= l4 + 14), "flags at %zu", len);
		CHECK(f.ip_version == (len > ip ? (v6 ? 6 : 4) : 0), "version at %zu", len);
		if (len >= src_end)
			CHECK(addr_is(&f.src, v6 ? ip6_src : ip4_src, alen), "src value at %zu", len);
		if (len >= l4 + 4)
			CHECK_EQ(f.dst_port, 443);
	}
}

static void test_sflow_truncated_headers(void)
{
	struct pkt p;
	struct sample s;

	/* VLAN, IPv4 with options, TCP */
	p_macs(&p);
	p_u16(&p, 0x8100);
	p_u16(&p, 7);
	p_u16(&p, 0x0800);
	p_ipv4(&p, 6, 0, 1, 0);
	p_tcp(&p, 1024, 443, 0x02);
	check_cuts(&p, 18, 18 + 24, 0);
	/* VLAN, IPv6, hop-by-hop, TCP */
	p_macs(&p);
	p_u16(&p, 0x8100);
	p_u16(&p, 7);
	p_u16(&p, 0x86dd);
	p_ipv6(&p, 0, 0);
	p_ext(&p, 6, 0);
	p_tcp(&p, 1024, 443, 0x02);
	check_cuts(&p, 18, 18 + 48, 1);
	/* through the decoder: a 128-byte snap of a 1518-byte frame; the record length follows */
	d = new_dec(0);
	p_eth(&p, 0x0800);
	p_ipv4(&p, 6, 0, 0, 0);
	p_tcp(&p, 1024, 443, 0x02);
	while (p.len < 128)
		p_u8(&p, 0xee);
	for (size_t cut = 0; cut <= 128; cut += 7) {
		dg4(1);
		flow_sample(&s, 1, 1, 2);
		rec_raw(&s, 1, 1518, p.b, cut);
		sample_end(&s);
		CHECK_EQ(decode(), 1);
		CHECK_EQ(got.f[0].bytes, 1518);
		CHECK(!!(got.f[0].present & NFX_F_SRC_PORT) == (cut >= 38), "ports at cut %zu", cut);
	}
	nfx_decoder_free(d);
}

static void test_sflow_icmp(void)
{
	struct nfx_flow f;
	struct pkt p;

	p_eth(&p, 0x0800);
	p_ipv4(&p, 1, 0, 0, 0);
	p_icmp(&p, 3, 3);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L4);
	CHECK(f.present & NFX_F_ICMP, "ICMP");
	CHECK_EQ(f.icmp_type, 3);
	CHECK_EQ(f.icmp_code, 3);
	CHECK(!(f.present & NFX_F_SRC_PORT), "ICMP has no ports");
	/* one byte of ICMP: no type without its code */
	CHECK_EQ(parse(&p, 35, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L3);
	CHECK(!(f.present & NFX_F_ICMP), "cut ICMP");
	/* GRE: protocol only */
	p_eth(&p, 0x0800);
	p_ipv4(&p, 47, 0, 0, 0);
	p_udp(&p, 1, 2);
	CHECK_EQ(parse(&p, p.len, NFX_PKTHDR_ETHER, &f), NFX_PKTHDR_L3);
	CHECK_EQ(f.proto, 47);
	CHECK(!(f.present & (NFX_F_SRC_PORT | NFX_F_ICMP)), "GRE");
}

static void if_collect(void *ctx, const struct nfx_sflow_if *e)
{
	uint32_t *sum = ctx;

	sum[0]++;
	sum[1] += e->if_index;
}

static void test_sflow_counter_samples(void)
{
	struct nfx_addr a;
	struct nfx_sflow_if *e;
	uint32_t sum[2] = { 0, 0 };
	struct sample s;

	d = new_dec(2);
	nfx_addr_set_v4(&a, agent4);
	/* compact: generic + Ethernet, keyed by the generic record's ifIndex */
	dg4(1);
	ctr_sample(&s, 1);
	rec_ether(&s, 100);
	rec_generic(&s, 5, 1000);
	rec_blob(&s, 1005, 16);			/* a counter record not kept: skipped */
	sample_end(&s);
	CHECK_EQ(decode(), 0);
	CHECK_EQ(got.total, 0);
	CHECK_EQ(d->stats.sflow_counter_samples, 1);
	CHECK_EQ(d->stats.sflow_records_skipped, 1);
	e = nfx_sflow_ctr_get(d->sfctr, &a, 5);
	CHECK(e && e->has_generic && e->has_ether, "stored");
	if (e) {
		CHECK_EQ(e->gen.if_type, 6);
		CHECK_EQ(e->gen.if_speed, 10000000000ull);
		CHECK_EQ(e->gen.if_direction, 1);
		CHECK_EQ(e->gen.if_status, 3);
		CHECK_EQ(e->gen.if_promisc, 1);
		CHECK_EQ(e->gen.in_octets, 0x100000000ull + 1000);
		CHECK_EQ(e->gen.in_ucast_pkts, 1001);
		CHECK_EQ(e->gen.in_unknown_protos, 1006);
		CHECK_EQ(e->gen.out_octets, 1007);
		CHECK_EQ(e->gen.out_errors, 1012);
		CHECK_EQ(e->eth.alignment_errors, 100);
		CHECK_EQ(e->eth.symbol_errors, 112);
		CHECK_EQ(e->sub_agent, 1);
		CHECK_EQ(e->sample_seq, 5);
		CHECK_EQ(e->uptime_ms, 123000);
		CHECK_EQ(e->updated_ms, NOW_MS);
	}
	/* Ethernet alone: the data source's ifIndex (class 0, index 9) */
	dg4(2);
	ctr_sample(&s, 9);
	rec_ether(&s, 200);
	sample_end(&s);
	decode();
	e = nfx_sflow_ctr_get(d->sfctr, &a, 9);
	CHECK(e && !e->has_generic && e->has_ether && e->eth.fcs_errors == 201, "Ethernet alone");
	/* a newer sample replaces the values */
	dg4(3);
	ctr_sample(&s, 1);
	rec_generic(&s, 5, 2000);
	sample_end(&s);
	decode_at(NOW_MS + 20000);
	e = nfx_sflow_ctr_get(d->sfctr, &a, 5);
	CHECK(e && e->gen.in_ucast_pkts == 2001 && e->updated_ms == NOW_MS + 20000, "updated");
	/* the bound (2): a third interface is refused and counted */
	dg4(4);
	ctr_sample(&s, 1);
	rec_generic(&s, 6, 3000);
	sample_end(&s);
	decode();
	CHECK_EQ(d->stats.sflow_counter_limit, 1);
	CHECK_EQ(nfx_sflow_ctr_count(d->sfctr), 2);
	nfx_sflow_ctr_foreach(d->sfctr, if_collect, sum);
	CHECK_EQ(sum[0], 2);
	CHECK_EQ(sum[1], 5 + 9);
	/* class 1 (VLAN) data source without a generic record: not an interface */
	dg4(5);
	ctr_sample(&s, 1u << 24 | 10);
	rec_ether(&s, 300);
	sample_end(&s);
	decode();
	CHECK_EQ(nfx_sflow_ctr_count(d->sfctr), 2);
	/* a generic record too short: counted, nothing stored */
	dg4(6);
	ctr_sample(&s, 1);
	rec_blob(&s, 1, 84);
	sample_end(&s);
	decode();
	CHECK_EQ(d->stats.sflow_bad_record, 1);
	/* the sweep forgets interfaces not updated within the TTL (9 went at NOW_MS) */
	nfx_decoder_sweep(d, NOW_MS + 30000, 15000);
	CHECK_EQ(nfx_sflow_ctr_count(d->sfctr), 1);
	CHECK(nfx_sflow_ctr_get(d->sfctr, &a, 5) != NULL, "5 stays");
	nfx_decoder_sweep(d, NOW_MS + 60000, 15000);
	CHECK_EQ(nfx_sflow_ctr_count(d->sfctr), 0);
	nfx_decoder_free(d);
}

static void test_sflow_unknown_formats(void)
{
	struct pkt p;
	struct sample s;
	size_t off;

	d = new_dec(0);
	p_eth(&p, 0x0800);
	p_ipv4(&p, 17, 0, 0, 0);
	p_udp(&p, 1, 2);
	dg4(1);
	/* drop report (5), an enterprise's format 1, an unknown format 9 */
	put32_at(nsamples_off, ++nsamples);
	off = open_len(5);
	mb_u32(&m, 0xdeadbeef);
	close_len(off);
	put32_at(nsamples_off, ++nsamples);
	off = open_len(4413u << 12 | 1);
	mb_u32(&m, 1);
	mb_u32(&m, 2);
	close_len(off);
	put32_at(nsamples_off, ++nsamples);
	off = open_len(9);
	close_len(off);
	/* then a flow sample with unknown records around the header */
	flow_sample(&s, 1, 1, 2);
	rec_blob(&s, 2, 24);			/* Ethernet frame data: not decoded */
	rec_blob(&s, 2000u << 12 | 1, 12);	/* an enterprise's record 1 */
	rec_raw(&s, 1, 64, p.b, p.len);
	rec_blob(&s, 1010, 0);			/* an empty record */
	sample_end(&s);
	CHECK_EQ(decode(), 1);
	CHECK_EQ(d->stats.sflow_samples_skipped, 3);
	CHECK_EQ(d->stats.sflow_records_skipped, 3);
	CHECK_EQ(got.f[0].dst_port, 2);
	CHECK_EQ(d->stats.sflow_bad_sample, 0);
	nfx_decoder_free(d);
}

/* A datagram of one compact flow sample with @nrec UDP-header records. */
static void dg_records(uint32_t nrec)
{
	struct pkt p;
	struct sample s;

	p_eth(&p, 0x0800);
	p_ipv4(&p, 17, 0, 0, 0);
	p_udp(&p, 1, 2);
	dg4(1);
	flow_sample(&s, 1, 1, 2);
	for (uint32_t i = 0; i < nrec; i++)
		rec_raw(&s, 1, 64, p.b, p.len);
	sample_end(&s);
}

static void test_sflow_bounds(void)
{
	struct pkt p;
	struct sample s;
	size_t first_len;

	d = new_dec(0);
	/* the datagram header */
	dg4(1);
	m.len = 23;
	CHECK_EQ(decode(), -EINVAL);
	CHECK_EQ(d->stats.short_pkt, 1);
	dg_begin(2, agent6, 1, 1);
	m.len = 30;				/* room for the address, not the rest */
	CHECK_EQ(decode(), -EINVAL);
	CHECK_EQ(d->stats.short_pkt, 2);
	dg_begin(3, agent4, 1, 1);
	mb_u32(&m, 0);
	CHECK_EQ(decode(), -EINVAL);
	CHECK_EQ(d->stats.sflow_bad_agent, 1);
	dg4(1);
	put32_at(nsamples_off, 1);		/* one sample, no bytes for it */
	CHECK_EQ(decode(), -EINVAL);
	CHECK_EQ(d->stats.length_mismatch, 1);
	/* an empty datagram is fine */
	dg4(2);
	CHECK_EQ(decode(), 0);
	CHECK_EQ(d->stats.dropped[NFX_SLOT_SFLOW5], 4);

	/* a first sample longer than the datagram: dropped whole */
	dg_records(1);
	m.len -= 4;
	CHECK_EQ(decode(), -EINVAL);
	CHECK_EQ(d->stats.length_mismatch, 2);
	/* a later one: the walk ends there, what came before stays */
	dg_records(1);
	first_len = m.len;
	flow_sample(&s, 1, 1, 2);
	sample_end(&s);
	m.len -= 1;
	CHECK_EQ(decode(), 1);
	CHECK_EQ(d->stats.length_mismatch, 3);
	/* bytes after the last sample: counted, records kept */
	dg_records(1);
	mb_u32(&m, 0);
	CHECK_EQ(decode(), 1);
	CHECK_EQ(d->stats.length_mismatch, 4);
	/* more samples announced than bytes for them */
	dg_records(1);
	put32_at(nsamples_off, 100);
	CHECK_EQ(decode(), -EINVAL);
	CHECK_EQ(d->stats.length_mismatch, 5);
	(void)first_len;

	/* records per sample: the bound holds, one more is a dropped sample */
	dg_records(NFX_SFLOW_MAX_RECORDS);
	CHECK_EQ(decode(), 1);
	CHECK_EQ(d->stats.sflow_bad_sample, 0);
	dg_records(NFX_SFLOW_MAX_RECORDS + 1);
	CHECK_EQ(decode(), 0);
	CHECK_EQ(d->stats.sflow_bad_sample, 1);
	/* a record count beyond the sample's bytes */
	dg_records(1);
	put32_at(nsamples_off + 4 + 8 + 28, 2);
	CHECK_EQ(decode(), 0);
	CHECK_EQ(d->stats.sflow_bad_sample, 2);
	/* a record count of 0 with a record there: bytes after the last record */
	dg_records(1);
	put32_at(nsamples_off + 4 + 8 + 28, 0);
	CHECK_EQ(decode(), 0);
	CHECK_EQ(d->stats.sflow_bad_sample, 3);
	/* a record longer than its sample */
	dg_records(1);
	put32_at(nsamples_off + 4 + 8 + 32 + 4, 1000);
	CHECK_EQ(decode(), 0);
	CHECK_EQ(d->stats.sflow_bad_sample, 4);
	/* a sample shorter than its fixed part, compact and expanded, flow and counters */
	for (uint32_t fmt = 1; fmt <= 4; fmt++) {
		dg4(3);
		put32_at(nsamples_off, ++nsamples);
		first_len = open_len(fmt);
		for (int i = 0; i < 7; i++)
			mb_u32(&m, 0);
		close_len(first_len);
		CHECK_EQ(decode(), 0);
	}
	/* 28 bytes: a compact counter sample's fixed part fits, but not its 0 records */
	CHECK_EQ(d->stats.sflow_bad_sample, 4 + 4);
	/* a counter sample with too many records */
	dg4(4);
	ctr_sample(&s, 1);
	for (int i = 0; i < NFX_SFLOW_MAX_RECORDS + 1; i++)
		rec_blob(&s, 1000, 0);
	sample_end(&s);
	CHECK_EQ(decode(), 0);
	CHECK_EQ(d->stats.sflow_bad_sample, 9);
	/* a header length beyond its record, and a record too short for one */
	p_eth(&p, 0x0800);
	p_ipv4(&p, 17, 0, 0, 0);
	dg4(5);
	flow_sample(&s, 1, 1, 2);
	rec_raw(&s, 1, 64, p.b, p.len);
	rec_blob(&s, 1, 12);
	sample_end(&s);
	put32_at(nsamples_off + 4 + 8 + 32 + 8 + 12, 200);
	CHECK_EQ(decode(), 1);
	CHECK_EQ(d->stats.sflow_bad_record, 2);
	CHECK(!(got.f[0].present & NFX_F_SRC_ADDR), "no header read");
	/* a 32-bit version other than 5 with 16 zero bits first */
	dg4(6);
	m.b[3] = 4;
	{
		uint64_t bv = d->stats.bad_version;

		nfx_decode(d, &(struct nfx_src){ 0 }, m.b, m.len,
			   &(struct nfx_sink){ mb_collect, &got });
		CHECK_EQ(d->stats.bad_version, bv + 1);
	}
	nfx_decoder_free(d);
}

static void test_sflow_sequence(void)
{
	d = new_dec(0);
	/* agent 10.201.1.1 sub-agent 1: 1, 2, then 5 (3 and 4 lost) */
	dg_begin(1, agent4, 1, 1);
	decode();
	dg_begin(1, agent4, 1, 2);
	decode();
	dg_begin(1, agent4, 1, 5);
	decode();
	CHECK_EQ(d->stats.seq_lost, 2);
	/* sub-agent 2 of the same agent is a session of its own */
	dg_begin(1, agent4, 2, 1000);
	decode();
	dg_begin(1, agent4, 2, 1001);
	decode();
	CHECK_EQ(d->stats.seq_lost, 2);
	CHECK_EQ(nfx_seq_count(d->seq), 2);
	/* a late datagram: no loss, no reset */
	dg_begin(1, agent4, 1, 4);
	decode();
	CHECK_EQ(d->stats.seq_lost, 2);
	CHECK_EQ(d->stats.seq_resets, 0);
	/* sub-agent 1 restarts: from 5000 back to 1 */
	dg_begin(1, agent4, 1, 6);
	decode();
	dg_begin(1, agent4, 1, 5000);
	decode();
	CHECK_EQ(d->stats.seq_lost, 2 + 4993);
	dg_begin(1, agent4, 1, 1);
	decode();
	CHECK_EQ(d->stats.seq_resets, 1);
	dg_begin(1, agent4, 1, 2);
	decode();
	CHECK_EQ(d->stats.seq_lost, 2 + 4993);
	/* a jump far ahead is a restart too, not millions lost */
	dg_begin(1, agent4, 1, 3000000);
	decode();
	CHECK_EQ(d->stats.seq_resets, 2);
	/* an IPv6 agent with sub-agent 1: another session */
	dg_begin(2, agent6, 1, 77);
	decode();
	CHECK_EQ(nfx_seq_count(d->seq), 3);
	/* idle agents go with the sweep, like the legacy sessions */
	nfx_decoder_sweep(d, NOW_MS + 10000, 5000);
	CHECK_EQ(nfx_seq_count(d->seq), 0);
	nfx_decoder_free(d);
}

int main(void)
{
	RUN_TEST(test_sflow_compact_ipv4_tcp);
	RUN_TEST(test_sflow_ipv6_agent);
	RUN_TEST(test_sflow_expanded_samples);
	RUN_TEST(test_sflow_interface_formats);
	RUN_TEST(test_sflow_extended_records);
	RUN_TEST(test_sflow_sampled_ip);
	RUN_TEST(test_sflow_no_l2_headers);
	RUN_TEST(test_sflow_qinq);
	RUN_TEST(test_sflow_ipv4_options_fragments);
	RUN_TEST(test_sflow_ipv6_extension_headers);
	RUN_TEST(test_sflow_mpls);
	RUN_TEST(test_sflow_truncated_headers);
	RUN_TEST(test_sflow_icmp);
	RUN_TEST(test_sflow_counter_samples);
	RUN_TEST(test_sflow_unknown_formats);
	RUN_TEST(test_sflow_bounds);
	RUN_TEST(test_sflow_sequence);
	CHECK_EXIT();
}

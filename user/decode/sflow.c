// SPDX-License-Identifier: BSD-2-Clause
/*
 * sflow.c - sFlow version 5 (sflow.org, sflow_version_5.txt): datagrams of
 * samples, each sample a list of records, everything XDR (32-bit
 * big-endian words, each list led by its count, each sample and record by
 * its format and length).
 *
 * A flow sample (compact or expanded) is one flow record, with the
 * Datadog Agent's semantics (it decodes sFlow with goflow2): bytes = the
 * sampled frame's length, packets = 1, never multiplied by the rate;
 * start = end = reception; exporter = the agent address in the datagram.
 * Counter samples fill the interface counter store (sflow_ctr.h); other
 * samples and records are skipped by their length and counted.  Every
 * count and length is checked against what holds it before it is used: a
 * sample whose records do not add up to it gives nothing, a datagram whose
 * samples do not fit ends its walk there (design §3 "sFlow v5").
 */
#include <errno.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/pkthdr.h"
#include "decode/seq.h"
#include "decode/sflow_ctr.h"

#define SF_VERSION		5
/*
 * Version .. sample count with an IPv4 agent: the XDP program's minimum,
 * checked before the agent type as it does.  An agent of unknown type (0)
 * takes 24 of them; the XDP program refuses it (bad_version), a socket or a
 * capture has the UDP source stand in.
 */
#define SF_HDR_MIN		28
#define SF_FLOW_LEN		32	/* compact flow sample before its records */
#define SF_FLOW_X_LEN		44	/* expanded */
#define SF_CTRS_LEN		12	/* compact counter sample before its records */
#define SF_CTRS_X_LEN		16	/* expanded */
#define SF_REC_HDR		8	/* format + length, of a sample or a record */
/* A backward step of more than this many datagrams is an agent restart (legacy's rule). */
#define SF_RESET_GAP		1000

/* Sample formats (enterprise 0). */
enum {
	SF_FLOW_SAMPLE = 1,
	SF_COUNTER_SAMPLE = 2,
	SF_FLOW_SAMPLE_X = 3,
	SF_COUNTER_SAMPLE_X = 4,
};

/* Flow and counter record formats (enterprise 0). */
enum {
	SF_REC_RAW_HEADER = 1,
	SF_REC_IPV4 = 3,
	SF_REC_IPV6 = 4,
	SF_REC_SWITCH = 1001,
	SF_REC_ROUTER = 1002,
	SF_REC_GATEWAY = 1003,
	SF_CTR_GENERIC = 1,
	SF_CTR_ETHERNET = 2,
};

/* Header protocols of the raw packet header record that are parsed. */
enum {
	SF_HP_ETHERNET = 1,
	SF_HP_IPV4 = 11,
	SF_HP_IPV6 = 12,
};

struct sf_dgram {
	struct nfx_addr agent;		/* or the UDP source when the agent type is 0 */
	uint32_t sub_agent;
	uint32_t seq;
	uint32_t uptime_ms;
	uint32_t nsamples;
	size_t hdr_len;
};

/* A sample's record list: count, then count x { format, length, data }. */
struct sf_recs {
	const uint8_t *p;
	const uint8_t *end;
	uint32_t left;
};

/* What a flow sample's records say besides the record's own fields. */
struct sf_sample {
	uint16_t switch_vlan;		/* 1001's input VLAN, 0 = none */
	uint8_t raw_len;		/* a raw header record gave bytes */
	uint8_t raw_parsed;		/* ... and its headers were read */
};

/*
 * An sFlow address (type, then 4 or 16 bytes) at @p: its size, 0 when
 * malformed.  Type 0 (unknown) has no address: *known = 0.
 */
static size_t sf_addr(const uint8_t *p, size_t len, struct nfx_addr *a, int *known)
{
	if (len < 4)
		return 0;
	switch (nfx_get32(p)) {
	case 0:
		*known = 0;
		return 4;
	case 1:
		if (len < 8)
			return 0;
		nfx_addr_set_v4(a, p + 4);
		*known = 1;
		return 8;
	case 2:
		if (len < 20)
			return 0;
		nfx_addr_set_v6(a, p + 4);
		*known = 1;
		return 20;
	default:
		return 0;
	}
}

/*
 * The @count records from @p to the sample's @end, or -1 when the count is
 * beyond the bound or the bytes left.
 */
static int sf_recs_open(struct sf_recs *it, uint32_t count, const uint8_t *p,
			const uint8_t *end)
{
	it->left = count;
	it->p = p;
	it->end = end;
	if (it->left > NFX_SFLOW_MAX_RECORDS || it->left > (size_t)(end - p) / SF_REC_HDR)
		return -1;
	return 0;
}

/*
 * The next record: 1 with its format, data and length; 0 after the last,
 * which must end the sample exactly; -1 when a length disagrees.
 */
static inline int sf_recs_next(struct sf_recs *it, uint32_t *fmt, const uint8_t **data,
			       size_t *len)
{
	size_t rlen;

	if (!it->left)
		return it->p == it->end ? 0 : -1;
	if (it->end - it->p < SF_REC_HDR)
		return -1;
	rlen = nfx_get32(it->p + 4);
	if (rlen > (size_t)(it->end - it->p) - SF_REC_HDR)
		return -1;
	*fmt = nfx_get32(it->p);
	*data = it->p + SF_REC_HDR;
	*len = rlen;
	it->p += SF_REC_HDR + rlen;
	it->left--;
	return 1;
}

/* Raw packet header (1): protocol, frame length, stripped, header length, header. */
static int rec_raw_header(struct nfx_decoder *d, const uint8_t *r, size_t rlen,
			  struct nfx_flow *f, struct sf_sample *ss)
{
	enum nfx_pkthdr_link link;
	uint32_t hlen;

	if (rlen < 16)
		return -1;
	hlen = nfx_get32(r + 12);
	if (hlen > rlen - 16)
		return -1;
	f->bytes = nfx_get32(r + 4);
	ss->raw_len = 1;
	switch (nfx_get32(r)) {
	case SF_HP_ETHERNET: link = NFX_PKTHDR_ETHER; break;
	case SF_HP_IPV4: link = NFX_PKTHDR_IPV4; break;
	case SF_HP_IPV6: link = NFX_PKTHDR_IPV6; break;
	default:
		d->stats.sflow_header_unsupported++;
		return 0;
	}
	nfx_pkthdr_parse(r + 16, hlen, link, f);
	ss->raw_parsed = 1;
	return 0;
}

/*
 * Sampled IPv4 (3) / IPv6 (4): length, protocol, addresses, ports, TCP
 * flags, ToS.  A raw header of the same packet says more: its frame
 * length and headers win whatever the record order.
 */
static int rec_sampled_ip(const uint8_t *r, size_t rlen, int v6, struct nfx_flow *f,
			  const struct sf_sample *ss)
{
	size_t alen = v6 ? 16 : 4;
	const uint8_t *q = r + 8 + 2 * alen;	/* ports, flags, ToS */
	uint32_t proto, sport, dport;

	if (rlen < 8 + 2 * alen + 16)
		return -1;
	proto = nfx_get32(r + 4);
	sport = nfx_get32(q);
	dport = nfx_get32(q + 4);
	if (proto > 255 || sport > 65535 || dport > 65535)
		return -1;
	if (!ss->raw_len)
		f->bytes = nfx_get32(r);
	if (ss->raw_parsed)
		return 0;
	if (v6) {
		nfx_addr_set_v6(&f->src, r + 8);
		nfx_addr_set_v6(&f->dst, r + 24);
	} else {
		nfx_addr_set_v4(&f->src, r + 8);
		nfx_addr_set_v4(&f->dst, r + 12);
	}
	f->ip_version = v6 ? 6 : 4;
	f->proto = (uint8_t)proto;
	f->src_port = (uint16_t)sport;
	f->dst_port = (uint16_t)dport;
	f->tcp_flags = proto == 6 ? (uint8_t)nfx_get32(q + 8) : 0;
	f->tos = (uint8_t)nfx_get32(q + 12);
	f->present |= NFX_F_SRC_ADDR | NFX_F_DST_ADDR | NFX_F_PROTO | NFX_F_SRC_PORT |
		      NFX_F_DST_PORT | NFX_F_TOS;
	return 0;
}

/* Extended switch (1001): input VLAN and priority, output VLAN and priority. */
static int rec_switch(const uint8_t *r, size_t rlen, struct sf_sample *ss)
{
	uint32_t vlan;

	if (rlen < 16)
		return -1;
	vlan = nfx_get32(r);
	if (vlan > 4095)
		return -1;
	ss->switch_vlan = (uint16_t)vlan;
	return 0;
}

/* Extended router (1002): next hop, source and destination prefix lengths. */
static int rec_router(const uint8_t *r, size_t rlen, struct nfx_flow *f)
{
	struct nfx_addr nh;
	uint32_t smask, dmask;
	size_t n;
	int known;

	n = sf_addr(r, rlen, &nh, &known);
	if (!n || rlen - n < 8)
		return -1;
	smask = nfx_get32(r + n);
	dmask = nfx_get32(r + n + 4);
	if (smask > 128 || dmask > 128)
		return -1;
	if (known) {
		f->next_hop = nh;
		f->present |= NFX_F_NEXT_HOP;
	}
	f->src_mask = (uint8_t)smask;
	f->dst_mask = (uint8_t)dmask;
	f->present |= NFX_F_SRC_MASK | NFX_F_DST_MASK;
	return 0;
}

/*
 * The AS path of an extended gateway record (segment count, then each
 * segment's type, length and ASes), then communities and local
 * preference, all checked against the record's @len bytes at @p.  Returns
 * 0 with *last = the path's last AS (unchanged when the path is empty),
 * or -1.
 */
static int gateway_path(const uint8_t *p, size_t len, uint32_t *last)
{
	uint32_t nseg, n;

	if (len < 4)
		return -1;
	nseg = nfx_get32(p);
	p += 4;
	len -= 4;
	if (nseg > len / 8)
		return -1;
	for (uint32_t i = 0; i < nseg; i++) {
		if (len < 8)
			return -1;
		n = nfx_get32(p + 4);
		if (n > (len - 8) / 4)
			return -1;
		if (n)
			*last = nfx_get32(p + 8 + (size_t)(n - 1) * 4);
		p += 8 + (size_t)n * 4;
		len -= 8 + (size_t)n * 4;
	}
	/* communities, then local preference */
	if (len < 4)
		return -1;
	n = nfx_get32(p);
	if (n > (len - 4) / 4 || len - 4 - (size_t)n * 4 < 4)
		return -1;
	return 0;
}

/*
 * Extended gateway (1003): BGP next hop, the router's AS, source AS, source
 * peer AS, destination AS path, communities, local preference.  As goflow2
 * (so as the Datadog Agent) reads it: destination AS = the path's last AS,
 * the router's own when the path is empty; source AS 0 is the router's.
 */
static int rec_gateway(const uint8_t *r, size_t rlen, struct nfx_flow *f)
{
	struct nfx_addr nh;
	uint32_t router_as, src_as, dst_as;
	size_t n;
	int known;

	n = sf_addr(r, rlen, &nh, &known);
	if (!n || rlen - n < 12)
		return -1;
	router_as = nfx_get32(r + n);
	src_as = nfx_get32(r + n + 4);
	dst_as = router_as;
	if (gateway_path(r + n + 12, rlen - n - 12, &dst_as))
		return -1;
	if (known) {
		f->bgp_next_hop = nh;
		f->present |= NFX_F_BGP_NEXT_HOP;
	}
	f->src_as = src_as ? src_as : router_as;
	f->dst_as = dst_as;
	f->present |= NFX_F_SRC_AS | NFX_F_DST_AS;
	return 0;
}

static void flow_record(struct nfx_decoder *d, uint32_t fmt, const uint8_t *r, size_t rlen,
			struct nfx_flow *f, struct sf_sample *ss)
{
	int err;

	switch (fmt) {
	case SF_REC_RAW_HEADER: err = rec_raw_header(d, r, rlen, f, ss); break;
	case SF_REC_IPV4: err = rec_sampled_ip(r, rlen, 0, f, ss); break;
	case SF_REC_IPV6: err = rec_sampled_ip(r, rlen, 1, f, ss); break;
	case SF_REC_SWITCH: err = rec_switch(r, rlen, ss); break;
	case SF_REC_ROUTER: err = rec_router(r, rlen, f); break;
	case SF_REC_GATEWAY: err = rec_gateway(r, rlen, f); break;
	default:
		/* other formats, and every enterprise's (its number is in the top 20 bits) */
		d->stats.sflow_records_skipped++;
		return;
	}
	if (err)
		d->stats.sflow_bad_record++;
}

/*
 * An interface of a flow sample: format 0 is one interface, its value the
 * ifIndex (0 unknown, 0x3FFFFFFF the agent itself, kept as sent).  Formats
 * 1 (dropped, value = reason) and 2 (sent to several, value = how many)
 * name no interface: 0.  Compact samples pack the format into the top 2
 * bits, expanded ones send it as a word of its own.
 */
static uint32_t if_compact(uint32_t w)
{
	return w >> 30 ? 0 : w;
}

static uint32_t if_expanded(uint32_t format, uint32_t value)
{
	return format ? 0 : value;
}

/* A flow sample (@x: expanded) of @len bytes at @s: one flow record, or none when malformed. */
static int flow_sample(struct nfx_decoder *d, const uint8_t *s, size_t len, int x,
		       const struct nfx_flow *base, const struct nfx_sampling_rule *rule,
		       const struct nfx_sink *out)
{
	size_t fixed = x ? SF_FLOW_X_LEN : SF_FLOW_LEN;
	struct sf_sample ss = { 0 };
	struct sf_recs it;
	struct nfx_flow f;
	const uint8_t *r;
	uint32_t fmt;
	size_t rlen;
	int k;

	d->stats.sflow_flow_samples++;
	if (len < fixed || sf_recs_open(&it, nfx_get32(s + fixed - 4), s + fixed, s + len))
		goto bad;
	f = *base;
	if (x) {
		f.sampling_rate = nfx_get32(s + 12);
		f.in_if = if_expanded(nfx_get32(s + 24), nfx_get32(s + 28));
		f.out_if = if_expanded(nfx_get32(s + 32), nfx_get32(s + 36));
	} else {
		f.sampling_rate = nfx_get32(s + 8);
		f.in_if = if_compact(nfx_get32(s + 20));
		f.out_if = if_compact(nfx_get32(s + 24));
	}
	while ((k = sf_recs_next(&it, &fmt, &r, &rlen)) > 0)
		flow_record(d, fmt, r, rlen, &f, &ss);
	if (k < 0)
		goto bad;
	/* the sampled header's own tag first: 1001 may say what an access port added */
	if (ss.switch_vlan && !(f.present & NFX_F_VLAN)) {
		f.vlan = ss.switch_vlan;
		f.present |= NFX_F_VLAN;
	}
	nfx_policy_sampling(&d->pol, rule, &f);
	out->emit(out->ctx, &f);
	return 1;
bad:
	d->stats.sflow_bad_sample++;
	return 0;
}

static void store_generic(struct nfx_sflow_generic *g, const uint8_t *r)
{
	g->if_type = nfx_get32(r + 4);
	g->if_speed = nfx_get64(r + 8);
	g->if_direction = nfx_get32(r + 16);
	g->if_status = nfx_get32(r + 20);
	g->if_promisc = nfx_get32(r + 84);
#define X(name, off, size, help)						\
	g->name = (size) == 8 ? nfx_get64(r + (off)) : nfx_get32(r + (off));
	NFX_SFLOW_GENERIC_COUNTERS(X)
#undef X
}

static void store_ether(struct nfx_sflow_ether *e, const uint8_t *r)
{
#define X(name, off, size, help) e->name = nfx_get32(r + (off));
	NFX_SFLOW_ETHER_COUNTERS(X)
#undef X
}

/*
 * A counter sample (@x: expanded) of @len bytes at @s into the store.  The
 * interface is the generic record's ifIndex, else the sample's data source
 * when that is an ifIndex (class 0).
 */
static void counter_sample(struct nfx_decoder *d, const struct sf_dgram *h, const uint8_t *s,
			   size_t len, int x, uint64_t now_ms)
{
	size_t fixed = x ? SF_CTRS_X_LEN : SF_CTRS_LEN;
	const uint8_t *gen = NULL, *eth = NULL, *r;
	struct nfx_sflow_if *e;
	uint32_t fmt, cls, idx;
	struct sf_recs it;
	size_t rlen;
	int k;

	d->stats.sflow_counter_samples++;
	if (len < fixed || sf_recs_open(&it, nfx_get32(s + fixed - 4), s + fixed, s + len))
		goto bad;
	cls = x ? nfx_get32(s + 4) : nfx_get32(s + 4) >> 24;
	idx = x ? nfx_get32(s + 8) : nfx_get32(s + 4) & 0xffffff;
	while ((k = sf_recs_next(&it, &fmt, &r, &rlen)) > 0) {
		if (fmt == SF_CTR_GENERIC && rlen >= NFX_SFLOW_GENERIC_LEN)
			gen = r;
		else if (fmt == SF_CTR_ETHERNET && rlen >= NFX_SFLOW_ETHER_LEN)
			eth = r;
		else if (fmt == SF_CTR_GENERIC || fmt == SF_CTR_ETHERNET)
			d->stats.sflow_bad_record++;
		else
			d->stats.sflow_records_skipped++;
	}
	if (k < 0)
		goto bad;
	if (gen)
		idx = nfx_get32(gen);
	else if (!eth || cls != 0)
		return;
	e = nfx_sflow_ctr_get(d->sfctr, &h->agent, idx);
	if (!e) {
		d->stats.sflow_counter_limit++;
		return;
	}
	e->sub_agent = h->sub_agent;
	e->sample_seq = nfx_get32(s);
	e->uptime_ms = h->uptime_ms;
	e->updated_ms = now_ms;
	if (gen) {
		store_generic(&e->gen, gen);
		e->has_generic = 1;
	}
	if (eth) {
		store_ether(&e->eth, eth);
		e->has_ether = 1;
	}
	return;
bad:
	d->stats.sflow_bad_sample++;
}

/* The datagram header; 0, or -1 with the reason counted. */
static int sf_header(struct nfx_decoder *d, const struct nfx_src *src, const uint8_t *buf,
		     size_t len, struct sf_dgram *h)
{
	size_t alen;
	int known;

	if (len < SF_HDR_MIN) {
		d->stats.short_pkt++;
		return -1;
	}
	/* SF_HDR_MIN leaves room for an IPv6 address: only the type can be wrong */
	alen = sf_addr(buf + 4, len - 4, &h->agent, &known);
	if (!alen) {
		d->stats.sflow_bad_agent++;
		return -1;
	}
	if (!known)
		h->agent = src->addr;
	h->hdr_len = 4 + alen + 16;
	if (len < h->hdr_len) {
		d->stats.short_pkt++;
		return -1;
	}
	h->sub_agent = nfx_get32(buf + 4 + alen);
	h->seq = nfx_get32(buf + 8 + alen);
	h->uptime_ms = nfx_get32(buf + 12 + alen);
	h->nsamples = nfx_get32(buf + 16 + alen);
	/* the XDP program's bound, for what reaches us through a socket or a capture */
	if (h->nsamples > NFX_SFLOW_MAX_SAMPLES) {
		d->stats.bad_count++;
		return -1;
	}
	/* every sample is at least its format and length */
	if (h->nsamples > (len - h->hdr_len) / SF_REC_HDR) {
		d->stats.length_mismatch++;
		return -1;
	}
	return 0;
}

int nfx_decode_sflow(struct nfx_decoder *d, const struct nfx_src *src,
		     const uint8_t *buf, size_t len, const struct nfx_sink *out)
{
	const uint8_t *p, *end = buf + len;
	struct nfx_seq_key key = { .version = NFX_SFLOW_VERSION };
	const struct nfx_sampling_rule *rule;
	struct nfx_flow base;
	struct sf_dgram h;
	uint32_t i;
	int n = 0;

	if (len < 4 || nfx_get32(buf) != SF_VERSION) {
		d->stats.bad_version++;
		d->stats.packets[NFX_SLOT_OTHER]++;
		d->stats.dropped[NFX_SLOT_OTHER]++;
		return -EINVAL;
	}
	d->stats.packets[NFX_SLOT_SFLOW5]++;
	if (sf_header(d, src, buf, len, &h))
		goto drop;
	key.addr = h.agent;
	key.domain = h.sub_agent;
	nfx_seq_account(d->seq, &d->stats, &key, h.seq, 1, SF_RESET_GAP, src->now_ms);
	/* what every record of the datagram shares */
	memset(&base, 0, sizeof(base));
	base.type = NFX_TYPE_SFLOW5;
	base.exporter = h.agent;
	base.exporter_port = src->port;
	base.sequence = h.seq;
	base.packets = 1;
	base.start_ms = base.end_ms = src->now_ms;
	base.present = NFX_F_START | NFX_F_END | NFX_F_IN_IF | NFX_F_OUT_IF;
	rule = nfx_policy_rule(&d->pol, &h.agent);
	p = buf + h.hdr_len;
	for (i = 0; i < h.nsamples; i++) {
		const uint8_t *s = p + SF_REC_HDR;
		uint32_t fmt;
		size_t slen;

		if (end - p < SF_REC_HDR ||
		    (slen = nfx_get32(p + 4)) > (size_t)(end - p) - SF_REC_HDR) {
			d->stats.length_mismatch++;
			if (!i)
				goto drop;
			break;
		}
		fmt = nfx_get32(p);
		p = s + slen;
		switch (fmt) {
		case SF_FLOW_SAMPLE: n += flow_sample(d, s, slen, 0, &base, rule, out); break;
		case SF_FLOW_SAMPLE_X: n += flow_sample(d, s, slen, 1, &base, rule, out); break;
		case SF_COUNTER_SAMPLE: counter_sample(d, &h, s, slen, 0, src->now_ms); break;
		case SF_COUNTER_SAMPLE_X: counter_sample(d, &h, s, slen, 1, src->now_ms); break;
		default:
			/* drop reports (5), enterprise and unknown formats */
			d->stats.sflow_samples_skipped++;
			break;
		}
	}
	if (i == h.nsamples && p != end)
		d->stats.length_mismatch++;	/* bytes after the last sample */
	d->stats.records[NFX_SLOT_SFLOW5] += (uint64_t)n;
	return n;

drop:
	d->stats.dropped[NFX_SLOT_SFLOW5]++;
	return -EINVAL;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * dataset.c - the data path of v9 and IPFIX: each record of a data set
 * walked with its template's plan, one transform per op, then finished
 * with what needs the message (uptime-relative times) and handed on.
 * Fixed-length plans index the record by offset; variable-length plans
 * read each field's length as they go.
 */
#include <errno.h>
#include <string.h>

#include "base/wire.h"
#include "decode/dataset.h"
#include "decode/ie.h"
#include "decode/ifnames.h"
#include "decode/times.h"

/*
 * Sampling rate from an options record.  IE 305/306 (RFC 5477 systematic
 * count-based: select "interval" packets, skip "space") give
 * (interval + space) / interval; 309/310 (random n-out-of-N) give
 * population / size; 311 (probability) gives 1 / p; then 50 (v9 random
 * sampler interval) and 34 (sampling interval).  302 selectorId and 304
 * selectorAlgorithm are not needed for the rate and are not read.
 */
static uint64_t options_rate(const struct nfx_rec *r)
{
	if ((r->have & NFX_R_SAMP_PKT_INT) && r->samp_pkt_int) {
		if (r->have & NFX_R_SAMP_PKT_SPACE)
			return (r->samp_pkt_int + r->samp_pkt_space) / r->samp_pkt_int;
		return r->samp_pkt_int;
	}
	if ((r->have & NFX_R_SAMP_SIZE) && (r->have & NFX_R_SAMP_POP) && r->samp_size)
		return r->samp_pop / r->samp_size;
	if (r->have & NFX_R_SAMP_PROB) {
		double prob;

		memcpy(&prob, &r->samp_prob_bits, sizeof(prob));
		/* below 1 in 2^32 the rate is clamped anyway; 1/prob could overflow */
		if (prob > 0 && prob < 1.0 / UINT32_MAX)
			return UINT32_MAX;
		if (prob > 0 && prob <= 1)
			return (uint64_t)(1 / prob + 0.5);
	}
	if ((r->have & NFX_R_SAMP_RANDOM) && r->samp_random)
		return r->samp_random;
	if (r->have & NFX_R_SAMP_INTERVAL)
		return r->samp_interval;
	return 0;
}

/* ifName is the short one dashboards show; ifDescr when it is all there is. */
static void if_name_learn(struct nfx_msg *m, const struct nfx_rec *r)
{
	const uint8_t *name = NULL;
	unsigned int len = 0;
	struct nfx_addr a;

	if ((r->have & NFX_R_IFNAME) && r->ifname_len && r->ifname[0]) {
		name = r->ifname;
		len = r->ifname_len;
	} else if ((r->have & NFX_R_IFDESCR) && r->ifdescr_len && r->ifdescr[0]) {
		name = r->ifdescr;
		len = r->ifdescr_len;
	}
	if (!name)
		return;		/* no name, or only empty ones */
	memcpy(a.b, m->dom->key.addr, sizeof(a.b));
	if (nfx_ifnames_set(m->ifn, &a, r->opt_ifindex, name, len, m->now_ms))
		m->st->if_name_limit++;
	else
		m->dom->has_ifnames = 1;
}

static void options_record(struct nfx_msg *m, const struct nfx_rec *r)
{
	uint64_t rate;

	m->st->options_records++;
	if (!m->dom)
		return;
	if (r->have & NFX_R_SYSINIT) {
		m->dom->sysinit_ms = r->sysinit_ms;
		m->dom->has_sysinit = 1;
	}
	rate = options_rate(r);
	if (rate)
		m->dom->sampling_rate = rate > UINT32_MAX ? UINT32_MAX : (uint32_t)rate;
	if (r->have & NFX_R_IFINDEX)
		if_name_learn(m, r);
	if (r->have & NFX_R_EXPORTER) {
		m->dom->export_addr = r->export_addr;
		m->dom->has_export_addr = 1;
		/* the records after it in this message are the exporter's too */
		if (m->pol->exporter_from_export)
			m->base.exporter = r->export_addr;
	}
}

/*
 * The exporter's boot for the check of times.h: IPFIX systemInitTime
 * (IE 160) when the domain sent it; v9 the export time less the header
 * uptime, unless a time of the record is later on the uptime clock than
 * the header, which means the 32-bit uptime wrapped (or the exporter
 * stamped the flow after the header) and the boot is not known.
 */
static uint64_t boot_ms(const struct nfx_msg *m, const struct nfx_rec *r)
{
	if (m->proto != NFX_PROTO_V9)
		return m->dom && m->dom->has_sysinit ? m->dom->sysinit_ms : 0;
	if (((r->have & NFX_R_START_UP) && r->up_start > m->sys_uptime) ||
	    ((r->have & NFX_R_END_UP) && r->up_end > m->sys_uptime) ||
	    m->sys_uptime > m->export_ms)
		return 0;
	return m->export_ms - m->sys_uptime;
}

/* µs before the export time; 0 (unreadable) when that is before the epoch. */
static uint64_t delta_ms(const struct nfx_msg *m, uint64_t dus)
{
	return dus / 1000 >= m->export_ms ? 0 : m->export_ms - dus / 1000;
}

/*
 * Times that need the message: uptime-relative and export-relative ones.
 * IPFIX sysUpTime elements count from IE 160 (RFC 7011); without it they
 * have no anchor and stay absent.
 */
static void flow_times(const struct nfx_msg *m, struct nfx_rec *r)
{
	struct nfx_flow *f = &r->f;
	int v9 = m->proto == NFX_PROTO_V9;
	int anchored = v9 || (m->dom && m->dom->has_sysinit);

	if ((r->have & NFX_R_START_UP) && anchored) {
		f->start_ms = v9 ? nfx_uptime_to_epoch_ms(m->export_ms, m->sys_uptime, r->up_start)
				 : m->dom->sysinit_ms + r->up_start;
		f->present |= NFX_F_START;
	}
	if ((r->have & NFX_R_END_UP) && anchored) {
		f->end_ms = v9 ? nfx_uptime_to_epoch_ms(m->export_ms, m->sys_uptime, r->up_end)
			       : m->dom->sysinit_ms + r->up_end;
		f->present |= NFX_F_END;
	}
	if (r->have & NFX_R_START_DUS) {
		f->start_ms = delta_ms(m, r->dus_start);
		f->present |= NFX_F_START;
	}
	if (r->have & NFX_R_END_DUS) {
		f->end_ms = delta_ms(m, r->dus_end);
		f->present |= NFX_F_END;
	}
}

/*
 * RFC 5103: the reverse direction of biflow @f as a record of its own, the
 * endpoints (addresses, ports, masks, MACs, AS numbers, interfaces)
 * swapped, the reverse counters, TCP flags and ToS.  Reverse time elements
 * are not read: it keeps the biflow's times.
 */
static void reverse_record(const struct nfx_rec *r, const struct nfx_flow *f,
			   struct nfx_flow *rv)
{
	static const uint32_t pairs[][2] = {
		{ NFX_F_SRC_ADDR, NFX_F_DST_ADDR }, { NFX_F_SRC_PORT, NFX_F_DST_PORT },
		{ NFX_F_SRC_MASK, NFX_F_DST_MASK }, { NFX_F_SRC_MAC, NFX_F_DST_MAC },
		{ NFX_F_SRC_AS, NFX_F_DST_AS }, { NFX_F_IN_IF, NFX_F_OUT_IF },
	};

	*rv = *f;
	rv->src = f->dst;
	rv->dst = f->src;
	rv->src_port = f->dst_port;
	rv->dst_port = f->src_port;
	rv->src_mask = f->dst_mask;
	rv->dst_mask = f->src_mask;
	memcpy(rv->src_mac, f->dst_mac, 6);
	memcpy(rv->dst_mac, f->src_mac, 6);
	rv->src_as = f->dst_as;
	rv->dst_as = f->src_as;
	rv->in_if = f->out_if;
	rv->out_if = f->in_if;
	memcpy(rv->in_if_name, f->out_if_name, sizeof(rv->in_if_name));
	memcpy(rv->out_if_name, f->in_if_name, sizeof(rv->out_if_name));
	rv->present2 &= ~(NFX_F2_IN_IF_NAME | NFX_F2_OUT_IF_NAME);
	if (f->present2 & NFX_F2_IN_IF_NAME)
		rv->present2 |= NFX_F2_OUT_IF_NAME;
	if (f->present2 & NFX_F2_OUT_IF_NAME)
		rv->present2 |= NFX_F2_IN_IF_NAME;
	for (unsigned int i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		rv->present &= ~(pairs[i][0] | pairs[i][1]);
		if (f->present & pairs[i][0])
			rv->present |= pairs[i][1];
		if (f->present & pairs[i][1])
			rv->present |= pairs[i][0];
	}
	rv->bytes = r->rev_bytes;
	rv->packets = r->rev_packets;
	rv->tcp_flags = r->rev_tcp_flags;
	rv->tos = r->rev_tos;
	/* the biflow's ICMP type and NAT translation belong to its forward direction */
	rv->present &= ~NFX_F_ICMP;
	rv->present2 &= ~(NFX_F2_NAT_SRC | NFX_F2_NAT_DST | NFX_F2_NAT_SRC_PORT |
			  NFX_F2_NAT_DST_PORT);
}

/* Copy @name (NUL-terminated, shorter than NFX_IFNAME_LEN) into @dst; 1 when there was one. */
static int if_name_copy(char dst[NFX_IFNAME_LEN], const char *name)
{
	if (!name || !name[0])
		return 0;
	memcpy(dst, name, strlen(name) + 1);
	return 1;
}

/* The names the exporter's options data gave the record's interfaces. */
static void if_names(const struct nfx_msg *m, struct nfx_flow *f)
{
	struct nfx_addr a;

	memcpy(a.b, m->dom->key.addr, sizeof(a.b));
	if ((f->present & NFX_F_IN_IF) &&
	    if_name_copy(f->in_if_name, nfx_ifnames_get(m->ifn, &a, f->in_if)))
		f->present2 |= NFX_F2_IN_IF_NAME;
	if ((f->present & NFX_F_OUT_IF) &&
	    if_name_copy(f->out_if_name, nfx_ifnames_get(m->ifn, &a, f->out_if)))
		f->present2 |= NFX_F2_OUT_IF_NAME;
}

/* A finished flow record out, with the configured sampling rate. */
static void emit(struct nfx_msg *m, struct nfx_flow *f)
{
	nfx_policy_sampling(m->pol, m->rule, f);
	m->out->emit(m->out->ctx, f);
	m->emitted++;
}

static void record_done(struct nfx_msg *m, const struct nfx_tmpl *t, struct nfx_rec *r)
{
	m->data_records++;
	if (t->options) {
		options_record(m, r);
		return;
	}
	if (!t->flow)
		return;
	if (r->have)
		flow_times(m, r);
	if (nfx_times_settle(&r->f, m->export_ms, boot_ms(m, r)))
		m->st->time_fallback++;
	if (m->dom && m->dom->has_ifnames)
		if_names(m, &r->f);
	if ((r->have & NFX_R_REV) && m->pol->biflow_reverse && (r->rev_bytes || r->rev_packets)) {
		struct nfx_flow rv;

		reverse_record(r, &r->f, &rv);	/* from the counters as sent */
		emit(m, &r->f);
		emit(m, &rv);
		m->st->biflow_reverse_records++;
		return;
	}
	emit(m, &r->f);
}

/* A record starts from the message's base; reverse values are 0 unless sent. */
static inline void rec_begin(const struct nfx_msg *m, struct nfx_rec *r)
{
	r->f = m->base;
	r->have = 0;
	r->rev_bytes = r->rev_packets = 0;
	r->rev_tcp_flags = r->rev_tos = 0;
}

static int data_set_fixed(struct nfx_msg *m, const struct nfx_tmpl *t, const uint8_t *p,
			  size_t len)
{
	const struct nfx_op *ops = t->ops, *end = t->ops + t->nops;
	struct nfx_rec r;

	size_t pos = 0;

	for (; len - pos >= t->rec_len; pos += t->rec_len) {
		const uint8_t *rec = p + pos;

		rec_begin(m, &r);
		for (const struct nfx_op *op = ops; op < end; op++)
			nfx_ie_apply(&r, op->xf, rec + op->off, op->len);
		record_done(m, t, &r);
	}
	/* padding is zeros (RFC 7011 3.3.1); anything else is a cut record */
	for (; pos < len; pos++) {
		if (p[pos]) {
			m->st->record_truncated++;
			break;
		}
	}
	return 0;
}

/* Length of the next variable-length field at p[*q]; -1 past the set. */
static long varlen_len(const uint8_t *p, size_t len, size_t *q)
{
	unsigned int l;

	if (*q >= len)
		return -1;
	l = p[(*q)++];
	if (l == 255) {
		if (len - *q < 2)
			return -1;
		l = nfx_get16(p + *q);
		*q += 2;
	}
	return l;
}

static int data_set_varlen(struct nfx_msg *m, const struct nfx_tmpl *t, const uint8_t *p,
			   size_t len)
{
	struct nfx_rec r;
	size_t pos = 0;

	while (len - pos >= t->rec_len) {
		size_t q = pos;

		rec_begin(m, &r);
		for (unsigned int i = 0; i < t->nops; i++) {
			const struct nfx_op *op = &t->ops[i];
			long fl = op->len;

			if (op->len == NFX_VARLEN)
				fl = varlen_len(p, len, &q);
			if (fl < 0 || len - q < (size_t)fl) {
				m->st->record_overrun++;
				return -EINVAL;
			}
			if (op->xf && nfx_ie_len_ok(op->xf, (unsigned int)fl))
				nfx_ie_apply(&r, op->xf, p + q, (unsigned int)fl);
			q += (size_t)fl;
		}
		record_done(m, t, &r);
		pos = q;
	}
	return 0;
}

int nfx_dataset_decode(struct nfx_msg *m, const struct nfx_tmpl *t, const uint8_t *p,
		       size_t len)
{
	m->base.sampling_rate = m->dom ? m->dom->sampling_rate : 0;
	if (t->varlen)
		return data_set_varlen(m, t, p, len);
	return data_set_fixed(m, t, p, len);
}

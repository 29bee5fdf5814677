// SPDX-License-Identifier: BSD-2-Clause
/*
 * legacy.c - the fixed-layout NetFlow versions 1, 5, 6 and 7.
 *
 * They share one record core (addresses, counters, uptime-relative times,
 * ports, protocol); the versions differ in header size, record size, where
 * the flags/tos sit (v1) and a few trailing fields.  A message whose count
 * is out of range or whose records do not all fit is dropped whole: a
 * partial record count from a legacy exporter means the datagram was cut.
 */
#include <errno.h>

#include "decode/decode.h"
#include "decode/seq.h"
#include "decode/times.h"

struct v5_layout {
	uint8_t slot;
	uint8_t type;
	uint8_t hdr_len;
	uint8_t rec_len;
	uint8_t max_count;
	uint8_t has_seq;		/* flow_sequence at header offset 16 */
	uint8_t has_engine;		/* engine type/id + sampling at 20..23 */
	uint8_t has_as_mask;		/* AS numbers and masks at 40..45 */
};

static const struct v5_layout layouts[] = {
	/* v1's documented maximum is 24, but softflowd sends up to 30 */
	[1] = { NFX_SLOT_V1, NFX_TYPE_NETFLOW1, 16, 48, 30, 0, 0, 0 },
	[5] = { NFX_SLOT_V5, NFX_TYPE_NETFLOW5, 24, 48, 30, 1, 1, 1 },
	[6] = { NFX_SLOT_V6, NFX_TYPE_NETFLOW6, 24, 52, 27, 1, 1, 1 },
	[7] = { NFX_SLOT_V7, NFX_TYPE_NETFLOW7, 24, 52, 27, 1, 0, 1 },
};

/* A backward step of more than this many flows is an exporter restart. */
#define V5_RESET_GAP 1000

struct v5_hdr {
	uint64_t export_ms;
	uint32_t sys_uptime;
	uint32_t sequence;
	uint32_t sampling_rate;
	uint16_t engine;
};

static void v5_record(const struct v5_layout *l, const struct v5_hdr *h,
		      const uint8_t *r, struct nfx_flow *f)
{
	f->present |= NFX_F_SRC_ADDR | NFX_F_DST_ADDR | NFX_F_NEXT_HOP | NFX_F_IN_IF |
		      NFX_F_OUT_IF | NFX_F_START | NFX_F_END | NFX_F_PROTO | NFX_F_TOS |
		      NFX_F_SRC_PORT | NFX_F_DST_PORT;
	f->ip_version = 4;
	nfx_addr_set_v4(&f->src, r);
	nfx_addr_set_v4(&f->dst, r + 4);
	nfx_addr_set_v4(&f->next_hop, r + 8);
	f->in_if = nfx_get16(r + 12);
	f->out_if = nfx_get16(r + 14);
	f->packets = nfx_get32(r + 16);
	f->bytes = nfx_get32(r + 20);
	f->start_ms = nfx_uptime_to_epoch_ms(h->export_ms, h->sys_uptime, nfx_get32(r + 24));
	f->end_ms = nfx_uptime_to_epoch_ms(h->export_ms, h->sys_uptime, nfx_get32(r + 28));
	f->src_port = nfx_get16(r + 32);
	f->dst_port = nfx_get16(r + 34);
	if (l->type == NFX_TYPE_NETFLOW1) {
		/* v1: pad(2) prot tos flags */
		f->proto = r[38];
		f->tos = r[39];
		f->tcp_flags = r[40];
		return;
	}
	/* v5/6/7: pad(1) flags prot tos src_as dst_as src_mask dst_mask */
	f->tcp_flags = r[37];
	f->proto = r[38];
	f->tos = r[39];
	f->src_as = nfx_get16(r + 40);
	f->dst_as = nfx_get16(r + 42);
	f->src_mask = r[44];
	f->dst_mask = r[45];
	f->present |= NFX_F_SRC_AS | NFX_F_DST_AS | NFX_F_SRC_MASK | NFX_F_DST_MASK;
}

static int v5_check(struct nfx_decoder *d, const struct v5_layout *l,
		    size_t len, uint16_t count)
{
	if (len < l->hdr_len) {
		d->stats.short_pkt++;
		return -EINVAL;
	}
	/* count 0 is a valid, empty message (a keepalive of sorts) */
	if (count > l->max_count) {
		d->stats.bad_count++;
		return -EINVAL;
	}
	if (len < l->hdr_len + (size_t)count * l->rec_len) {
		d->stats.length_mismatch++;
		return -EINVAL;
	}
	return 0;
}

static void v5_header(const struct v5_layout *l, const uint8_t *buf, struct v5_hdr *h)
{
	h->sys_uptime = nfx_get32(buf + 4);
	h->export_ms = (uint64_t)nfx_get32(buf + 8) * 1000 + nfx_get32(buf + 12) / 1000000;
	h->sequence = l->has_seq ? nfx_get32(buf + 16) : 0;
	h->engine = l->has_engine ? nfx_get16(buf + 20) : 0;
	/* top two bits are the sampling mode, the low 14 the interval */
	h->sampling_rate = l->has_engine ? (nfx_get16(buf + 22) & 0x3fff) : 0;
}

int nfx_decode_v5(struct nfx_decoder *d, const struct nfx_src *src,
		  const uint8_t *buf, size_t len, const struct nfx_sink *out)
{
	const struct nfx_sampling_rule *rule;
	const struct v5_layout *l;
	struct v5_hdr h;
	struct nfx_flow f;
	uint16_t version, count;

	version = len >= 2 ? nfx_get16(buf) : 0;
	if (version >= sizeof(layouts) / sizeof(layouts[0]) || !layouts[version].rec_len) {
		d->stats.bad_version++;
		d->stats.dropped[NFX_SLOT_OTHER]++;
		return -EINVAL;
	}
	l = &layouts[version];
	d->stats.packets[l->slot]++;
	count = len >= 4 ? nfx_get16(buf + 2) : 0;
	if (v5_check(d, l, len, count)) {
		d->stats.dropped[l->slot]++;
		return -EINVAL;
	}
	v5_header(l, buf, &h);
	h.export_ms = nfx_export_ms(h.export_ms, src->now_ms);
	if (l->has_seq) {
		struct nfx_seq_key key = { .addr = src->addr, .domain = h.engine,
					   .version = (uint8_t)version };

		nfx_seq_account(d->seq, &d->stats, &key, h.sequence, count, V5_RESET_GAP,
				src->now_ms);
	}
	/*
	 * Cleared once per message, not per record: v5_record() writes the
	 * same fields for every record of a layout and sinks get it const, so
	 * the fields it does not write stay zero.
	 */
	memset(&f, 0, sizeof(f));
	f.type = l->type;
	f.exporter = src->addr;
	f.exporter_port = src->port;
	f.sequence = h.sequence;
	rule = nfx_policy_rule(&d->pol, &src->addr);
	for (uint16_t i = 0; i < count; i++) {
		f.sampling_rate = h.sampling_rate;	/* the policy may have changed it */
		v5_record(l, &h, buf + l->hdr_len + (size_t)i * l->rec_len, &f);
		/* uptime-relative times cannot precede the boot they count from:
		 * only 0 (an age beyond the export time) is left to replace */
		if (nfx_times_settle(&f, h.export_ms, 0))
			d->stats.time_fallback++;
		nfx_policy_sampling(&d->pol, rule, &f);
		out->emit(out->ctx, &f);
	}
	d->stats.records[l->slot] += count;
	return count;
}

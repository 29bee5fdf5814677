// SPDX-License-Identifier: BSD-2-Clause
/*
 * decode.c - the decoder object (its template cache, pending buffer,
 * sequence sessions and sFlow counter store, created, swept and freed
 * together) and the version dispatch.  The kernel has already validated
 * AF_XDP packets, but the UDP socket and pcap paths have not, so every
 * decoder checks everything again, with the XDP program's minimum lengths,
 * and counts each datagram once in packets of one slot, as it does.
 */
#include <errno.h>
#include <stdlib.h>

#include "decode/decode.h"
#include "decode/ifnames.h"
#include "decode/pending.h"
#include "decode/seq.h"
#include "decode/sflow_ctr.h"
#include "decode/tmpl_cache.h"

/* Shorter than a version and a count or length: the XDP program's NFX_MIN_PAYLOAD. */
#define NFX_DEC_MIN_LEN	4

/* A domain the template cache sweeps or evicts takes its held data sets with it. */
static void dom_gone(void *ctx, struct nfx_dom *dm)
{
	struct nfx_decoder *d = ctx;

	nfx_pending_drop_dom(d->pend, &d->stats, dm);
}

struct nfx_decoder *nfx_decoder_new(const struct nfx_decoder_opts *opts)
{
	struct nfx_decoder *d;
	int err;

	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	if (opts)
		d->opts = *opts;
	d->tmpl = nfx_tmpl_cache_new(&(struct nfx_tmpl_opts){
		.max_templates = d->opts.max_templates,
		.max_exporters = d->opts.max_exporters,
		.max_per_exporter = d->opts.max_templates_per_exporter,
		.max_fields = d->opts.max_template_fields,
		.evict_idle_ms = d->opts.evict_idle_ms,
		.scope_addr_only = d->opts.template_scope_addr_only,
		.stats = &d->stats.tmpl,
		.gone = dom_gone,
		.gone_ctx = d,
	});
	if (!d->tmpl)
		goto err_free;
	d->pend = nfx_pending_new(&(struct nfx_pending_opts){
		.total_bytes = d->opts.pending_total_bytes,
		.bytes_per_exporter = d->opts.pending_bytes_per_exporter,
		.sets_per_exporter = d->opts.pending_sets_per_exporter,
		.max_age_ms = d->opts.pending_max_age_ms,
		.off = d->opts.pending_off,
	});
	if (!d->pend)
		goto err_tmpl;
	d->seq = nfx_seq_table_new(d->opts.max_sessions, d->opts.evict_idle_ms);
	if (!d->seq)
		goto err_pend;
	d->sfctr = nfx_sflow_ctr_new(d->opts.max_sflow_interfaces);
	if (!d->sfctr)
		goto err_seq;
	d->ifn = nfx_ifnames_new(d->opts.max_interface_names);
	if (!d->ifn)
		goto err_sfctr;
	return d;

err_sfctr:
	err = errno;
	nfx_sflow_ctr_free(d->sfctr);
	errno = err;
err_seq:
	err = errno;
	nfx_seq_table_free(d->seq);
	errno = err;
err_pend:
	err = errno;
	nfx_pending_free(d->pend);
	errno = err;
err_tmpl:
	err = errno;
	nfx_tmpl_cache_free(d->tmpl);
	errno = err;
err_free:
	err = errno;
	free(d);
	errno = err;
	return NULL;
}

void nfx_decoder_free(struct nfx_decoder *d)
{
	if (!d)
		return;
	nfx_ifnames_free(d->ifn);
	nfx_sflow_ctr_free(d->sfctr);
	nfx_seq_table_free(d->seq);
	nfx_pending_free(d->pend);
	nfx_tmpl_cache_free(d->tmpl);
	free(d);
}

void nfx_decoder_set_fieldmaps(struct nfx_decoder *d, const struct nfx_fieldmap *maps,
			       unsigned int n)
{
	d->maps = maps;
	d->nmaps = n;
}

void nfx_decoder_set_policy(struct nfx_decoder *d, const struct nfx_dec_policy *pol)
{
	d->pol = *pol;
}

void nfx_decoder_sweep(struct nfx_decoder *d, uint64_t now_ms, uint64_t ttl_ms)
{
	nfx_pending_expire(d->pend, d->tmpl, &d->stats, now_ms);
	nfx_tmpl_cache_sweep(d->tmpl, now_ms, ttl_ms);
	/* sets of removed domains are dead now: give their bytes back */
	nfx_pending_expire(d->pend, d->tmpl, &d->stats, now_ms);
	nfx_seq_sweep(d->seq, now_ms, ttl_ms);
	nfx_sflow_ctr_sweep(d->sfctr, now_ms, ttl_ms);
	nfx_ifnames_sweep(d->ifn, now_ms, ttl_ms);
}

int nfx_decode(struct nfx_decoder *d, const struct nfx_src *src,
	       const uint8_t *buf, size_t len, const struct nfx_sink *out)
{
	d->control_seen = 0;
	/* counted as the XDP program counts them (design §2, steps 1 and 4) */
	if (d->allow && !src->allow_checked && !d->allow(d->allow_ctx, &src->addr)) {
		d->stats.not_allowed++;
		d->stats.packets[NFX_SLOT_OTHER]++;
		d->stats.dropped[NFX_SLOT_OTHER]++;
		return -EPERM;
	}
	if (len < NFX_DEC_MIN_LEN) {
		d->stats.short_pkt++;
		d->stats.packets[NFX_SLOT_OTHER]++;
		d->stats.dropped[NFX_SLOT_OTHER]++;
		return -EINVAL;
	}
	switch (nfx_get16(buf)) {
	case 1:
	case 5:
	case 6:
	case 7:
		return nfx_decode_v5(d, src, buf, len, out);
	case 9:
		return nfx_decode_v9(d, src, buf, len, out);
	case 10:
		return nfx_decode_ipfix(d, src, buf, len, out);
	case 0:
		/* sFlow's version is 32 bits: its first 16 are no NetFlow version */
		if (nfx_get32(buf) == 5)
			return nfx_decode_sflow(d, src, buf, len, out);
		/* fall through */
	default:
		d->stats.bad_version++;
		d->stats.packets[NFX_SLOT_OTHER]++;
		d->stats.dropped[NFX_SLOT_OTHER]++;
		return -EINVAL;
	}
}

void nfx_decode_replay(struct nfx_decoder *d, const struct nfx_src *src,
		       const uint8_t *buf, size_t len, const struct nfx_sink *out)
{
	struct nfx_dec_stats before = d->stats, *s = &d->stats;

	if (len < NFX_DEC_MIN_LEN || (nfx_get16(buf) != 9 && nfx_get16(buf) != 10))
		return;
	d->replaying = 1;
	nfx_decode(d, src, buf, len, out);
	d->replaying = 0;
	/* the message counted where it arrived; what it released here counts here */
	before.records[NFX_SLOT_V9] = s->records[NFX_SLOT_V9];
	before.records[NFX_SLOT_IPFIX] = s->records[NFX_SLOT_IPFIX];
#define KEEP_(name) before.name = s->name;
	NFX_DEC_REPLAY_KEPT(KEEP_)
#undef KEEP_
	*s = before;
	s->templates_replayed++;
}

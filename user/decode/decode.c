// SPDX-License-Identifier: BSD-2-Clause
/*
 * decode.c - the decoder object and the version dispatch.  The kernel has
 * already validated AF_XDP packets, but the UDP socket and pcap paths have
 * not, so every decoder checks everything again.
 */
#include <errno.h>
#include <stdlib.h>

#include "decode/decode.h"
#include "decode/seq.h"
#include "decode/tmpl_cache.h"

struct nfx_decoder *nfx_decoder_new(const struct nfx_decoder_opts *opts)
{
	struct nfx_decoder *d;
	int err;

	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	if (opts)
		d->opts = *opts;
	d->tmpl = nfx_tmpl_cache_new_opts(&d->opts, &d->stats);
	if (!d->tmpl)
		goto err_free;
	d->seq = nfx_seq_table_new(d->opts.max_sessions);
	if (!d->seq)
		goto err_tmpl;
	return d;

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
	nfx_seq_table_free(d->seq);
	nfx_tmpl_cache_free(d->tmpl);
	free(d);
}

void nfx_dec_stats_add(struct nfx_dec_stats *to, const struct nfx_dec_stats *from)
{
	_Static_assert(sizeof(*to) % sizeof(uint64_t) == 0, "nfx_dec_stats: uint64_t only");
	nfx_counters_add((uint64_t *)to, (const uint64_t *)from, sizeof(*to) / sizeof(uint64_t));
}

void nfx_decoder_sweep(struct nfx_decoder *d, uint64_t now_ms, uint64_t ttl_ms)
{
	nfx_tmpl_cache_sweep(d->tmpl, now_ms, ttl_ms);
	nfx_seq_sweep(d->seq, now_ms, ttl_ms);
}

int nfx_decode(struct nfx_decoder *d, const struct nfx_src *src,
	       const uint8_t *buf, size_t len, const struct nfx_sink *out)
{
	d->cur = src;
	nfx_tmpl_cache_set_port(d->tmpl, src->dst_port);
	if (d->allow && !src->allow_checked && !d->allow(d->allow_ctx, &src->addr)) {
		d->stats.not_allowed++;
		return -EPERM;
	}
	if (len < 2) {
		d->stats.short_pkt++;
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
	default:
		d->stats.bad_version++;
		d->stats.packets[NFX_SLOT_OTHER]++;
		d->stats.dropped[NFX_SLOT_OTHER]++;
		return -EINVAL;
	}
}

static const char *const slot_names[NFX_SLOT_MAX] = {
	"v1", "v5", "v6", "v7", "v9", "ipfix", "other",
};

const char *nfx_slot_name(unsigned int slot)
{
	return slot < NFX_SLOT_MAX ? slot_names[slot] : "?";
}

#define DEC_SCALARS(X)                                                         \
	X(options_records) X(short_pkt) X(bad_version) X(bad_count)            \
	X(length_mismatch) X(bad_set_length) X(bad_template)                   \
	X(template_not_found) X(record_overrun) X(templates_learned)           \
	X(templates_withdrawn) X(template_limit) X(seq_lost) X(seq_resets)     \
	X(session_limit) X(not_allowed) X(exporter_limit)                      \
	X(template_exporter_limit)                                             \
	X(templates_expired) X(exporters_expired) X(pending_buffered)          \
	X(pending_decoded) X(pending_dropped) X(reserved_sets) X(record_truncated)

void nfx_dec_stats_print(FILE *f, const struct nfx_dec_stats *s, int json)
{
	const char *sep = "";

	if (!json) {
		fprintf(f, "%-6s %12s %12s %12s\n", "slot", "packets", "records", "dropped");
		for (int i = 0; i < NFX_SLOT_MAX; i++)
			fprintf(f, "%-6s %12llu %12llu %12llu\n", slot_names[i],
				(unsigned long long)s->packets[i],
				(unsigned long long)s->records[i],
				(unsigned long long)s->dropped[i]);
#define X(name) fprintf(f, "%-20s %llu\n", #name, (unsigned long long)s->name);
		DEC_SCALARS(X)
#undef X
		return;
	}
	fputs("{", f);
	for (int i = 0; i < NFX_SLOT_MAX; i++) {
		fprintf(f, "%s\"%s\":{\"packets\":%llu,\"records\":%llu,\"dropped\":%llu}", sep,
			slot_names[i], (unsigned long long)s->packets[i],
			(unsigned long long)s->records[i], (unsigned long long)s->dropped[i]);
		sep = ",";
	}
#define X(name) fprintf(f, ",\"%s\":%llu", #name, (unsigned long long)s->name);
	DEC_SCALARS(X)
#undef X
	fputs("}\n", f);
}

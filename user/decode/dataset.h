/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dataset.h - one v9/IPFIX message being decoded, and the walk of a data
 * set with its template's plan.  The message context lives on the
 * decoder's stack for one message and is handed to whatever needs it.
 */
#ifndef NFX_DATASET_H
#define NFX_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "base/flow.h"
#include "decode/dec_stats.h"
#include "decode/policy.h"
#include "decode/tmpl_cache.h"

/* What every record of one export message shares. */
struct nfx_msg {
	struct nfx_dec_stats *st;
	const struct nfx_sink *out;
	const struct nfx_dec_policy *pol;
	const struct nfx_sampling_rule *rule;	/* the exporter's, or NULL */
	struct nfx_ifnames *ifn;		/* interface names (ifnames.h) */
	struct nfx_dom *dom;		/* may be NULL (domain table full) */
	struct nfx_flow base;		/* copied into every record */
	uint64_t export_ms;
	uint64_t now_ms;
	uint32_t sys_uptime;		/* v9 header; IPFIX uses dom->sysinit_ms */
	uint8_t proto;			/* NFX_PROTO_* */
	uint32_t emitted;		/* flow records sent to out */
	uint32_t data_records;		/* data records read (flows + options) */
};

/**
 * nfx_dataset_decode() - decode the records of one data set body (after
 * the 4-byte set header) of message @m with template @t.  Trailing bytes
 * shorter than a record are padding.  Options records update m->dom;
 * records of data templates that map at least one flow field go to m->out
 * (PSAMP packet reports and other field-less data never become empty
 * flows).
 * @return 0, or -EINVAL when a record overran the set (counted as
 *         record_overrun; the caller drops the template).
 */
int nfx_dataset_decode(struct nfx_msg *m, const struct nfx_tmpl *t, const uint8_t *p,
		       size_t len);

#endif /* NFX_DATASET_H */

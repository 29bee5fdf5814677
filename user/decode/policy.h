/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy.h - what the configuration decides about the records a decoder
 * makes, as opposed to its table sizes: changeable while running
 * (nfx_decoder_set_policy()), read per record, so plain values only.
 */
#ifndef NFX_POLICY_H
#define NFX_POLICY_H

#include <stdint.h>

#include "base/flow.h"

/* Sampling rate rules of the configuration ("sampling_rates"), at most this many. */
#define NFX_MAX_SAMPLING_RULES	1024

/* A sampling rate for the exporters of a prefix. */
struct nfx_sampling_rule {
	struct nfx_prefix exporter;
	uint32_t rate;			/* 1 in rate */
	uint8_t override;		/* replaces what the exporter announces; else only 0 */
};

struct nfx_dec_policy {
	/*
	 * RFC 5103 biflows: a second record for the reverse direction when the
	 * reverse counters are non-zero.  Off, as in the Datadog Agent, whose
	 * decoder skips enterprise elements and so the reverse counters.
	 */
	int biflow_reverse;
	/* bytes and packets multiplied by the sampling rate, which becomes 1 */
	int renormalize;
	/*
	 * v9/IPFIX: the exporter is the address its options data states (IE
	 * 130/131) once it has stated one, not the packet's source (exporters
	 * behind NAT).  sFlow records always carry the agent address.
	 */
	int exporter_from_export;
	/* longest prefix first: the first that matches applies; the caller's memory */
	const struct nfx_sampling_rule *rules;
	unsigned int nrules;
};

/* The rule for exporter @a, or NULL: once per message, not per record. */
static inline const struct nfx_sampling_rule *nfx_policy_rule(const struct nfx_dec_policy *p,
							      const struct nfx_addr *a)
{
	for (unsigned int i = 0; i < p->nrules; i++)
		if (nfx_prefix_match(&p->rules[i].exporter, a))
			return &p->rules[i];
	return NULL;
}

/* The configured rate (@r from nfx_policy_rule()) and renormalisation, on one record. */
static inline void nfx_policy_sampling(const struct nfx_dec_policy *p,
				       const struct nfx_sampling_rule *r, struct nfx_flow *f)
{
	uint64_t v;

	if (r && (r->override || !f->sampling_rate))
		f->sampling_rate = r->rate;
	if (!p->renormalize || f->sampling_rate <= 1)
		return;
	f->bytes = __builtin_mul_overflow(f->bytes, f->sampling_rate, &v) ? UINT64_MAX : v;
	f->packets = __builtin_mul_overflow(f->packets, f->sampling_rate, &v) ? UINT64_MAX : v;
	f->sampling_rate = 1;
}

#endif /* NFX_POLICY_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy.h - what the configuration decides about the records a decoder
 * makes, as opposed to its table sizes: changeable while running
 * (nfx_decoder_set_policy()), read per record, so plain values only.
 */
#ifndef NFX_POLICY_H
#define NFX_POLICY_H

struct nfx_dec_policy {
	/*
	 * RFC 5103 biflows: a second record for the reverse direction when the
	 * reverse counters are non-zero.  Off, as in the Datadog Agent, whose
	 * decoder skips enterprise elements and so the reverse counters.
	 */
	int biflow_reverse;
};

#endif /* NFX_POLICY_H */

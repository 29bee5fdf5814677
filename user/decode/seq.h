/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * seq.h - export sequence sessions: one per (exporter, version, engine or
 * domain), to count what was lost and notice exporter restarts.  What the
 * sequence counts differs per version (flows for v5/v7, packets for v9,
 * records for IPFIX); callers pass how far this message advances it.
 */
#ifndef NFX_SEQ_H
#define NFX_SEQ_H

#include <stdint.h>

#include "decode/decode.h"

struct nfx_seq_key {
	struct nfx_addr addr;
	uint32_t domain;		/* engine type<<8|id, source id or ODID */
	uint8_t version;
};

/* Returns NULL with errno set.  max_sessions 0 = default (65536). */
struct nfx_seq_table *nfx_seq_table_new(uint32_t max_sessions);
void nfx_seq_table_free(struct nfx_seq_table *t);

/**
 * nfx_seq_account() - account one message of a session.
 * @seq:	the message's sequence number
 * @advance:	how much the sequence moves past this message (count of flows,
 *		1 packet, or data records)
 * @reset_gap:	a backward step larger than this is an exporter restart
 * @return lost units since the previous message (0 if none or unknown).
 * Gaps go to st->seq_lost, restarts to st->seq_resets, table-full to
 * st->session_limit.
 */
uint32_t nfx_seq_account(struct nfx_seq_table *t, struct nfx_dec_stats *st,
			 const struct nfx_seq_key *key, uint32_t seq, uint32_t advance,
			 uint32_t reset_gap, uint64_t now_ms);

/* Forget sessions not seen for ttl_ms.  Returns how many were removed. */
uint32_t nfx_seq_sweep(struct nfx_seq_table *t, uint64_t now_ms, uint64_t ttl_ms);
uint32_t nfx_seq_count(const struct nfx_seq_table *t);

#endif /* NFX_SEQ_H */

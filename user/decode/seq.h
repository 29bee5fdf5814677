/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * seq.h - sequence accounting of every decoder: one session per
 * (exporter, version, engine or domain), to count what was lost and notice
 * exporter restarts.  What the sequence counts differs per version (flows
 * for v5/v7, packets for v9, records for IPFIX); callers pass how far this
 * message advances it.  The legacy versions keep their sessions in a table
 * of their own; v9 and IPFIX keep theirs in the exporter-domain state the
 * template cache holds anyway.
 */
#ifndef NFX_SEQ_H
#define NFX_SEQ_H

#include <stdint.h>

#include "base/flow.h"
#include "decode/dec_stats.h"
#include "decode/tmpl_cache.h"

struct nfx_seq_key {
	struct nfx_addr addr;
	uint32_t domain;		/* engine type<<8|id, source id or ODID */
	uint8_t version;
};

/*
 * Returns NULL with errno set.  max_sessions 0 = default (65536).  A full
 * table evicts the least recently used of the sessions idle for at least
 * @evict_idle_ms it looks at (0 = NFX_EVICT_IDLE_DEFAULT_MS), as the
 * template cache does.
 */
struct nfx_seq_table *nfx_seq_table_new(uint32_t max_sessions, uint32_t evict_idle_ms);
void nfx_seq_table_free(struct nfx_seq_table *t);

/**
 * nfx_seq_account() - account one message of a session.
 * @seq:	the message's sequence number
 * @advance:	how much the sequence moves past this message (count of flows,
 *		1 packet, or data records)
 * @reset_gap:	a backward step larger than this is an exporter restart
 * @return lost units since the previous message (0 if none or unknown).
 * Gaps go to st->seq_lost, restarts to st->seq_resets, an idle session
 * evicted for this one to st->sessions_evicted, table full of recent ones
 * to st->session_limit.
 */
uint32_t nfx_seq_account(struct nfx_seq_table *t, struct nfx_dec_stats *st,
			 const struct nfx_seq_key *key, uint32_t seq, uint32_t advance,
			 uint32_t reset_gap, uint64_t now_ms);

/* Forget sessions not seen for ttl_ms.  Returns how many were removed. */
uint32_t nfx_seq_sweep(struct nfx_seq_table *t, uint64_t now_ms, uint64_t ttl_ms);
uint32_t nfx_seq_count(const struct nfx_seq_table *t);

/* One legacy or sFlow session as the state file keeps it. */
struct nfx_seq_saved {
	struct nfx_seq_key key;
	uint64_t last_seen_ms;
	uint32_t next;			/* sequence expected next */
};

/* Call @fn for every session held, in no particular order; @fn must not change @t. */
void nfx_seq_foreach(const struct nfx_seq_table *t,
		     void (*fn)(void *ctx, const struct nfx_seq_saved *s), void *ctx);
/*
 * nfx_seq_restore() - take session @s back (a process before this one kept
 * it), unless a session of its key seen later is held.
 * @return 1 taken, 0 the held one is newer, -ENOSPC table full of recent ones.
 */
int nfx_seq_restore(struct nfx_seq_table *t, const struct nfx_seq_saved *s);

/**
 * nfx_seq_domain_account() - account a v9/IPFIX message's sequence number
 * in its exporter-domain @dm (nothing when NULL).
 * @adv:	how far this message moves the sequence (1 packet for v9, data
 *		records for IPFIX)
 * @max_gap:	a forward step larger than this is an exporter restart
 * @max_back:	a backward step larger than this is one too
 * Gaps go to seq_lost, restarts to seq_resets, of @st and of @dm.
 */
void nfx_seq_domain_account(struct nfx_dom *dm, struct nfx_dec_stats *st, uint32_t seq,
			    uint32_t adv, uint32_t max_gap, uint32_t max_back);

#endif /* NFX_SEQ_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pending.h - v9/IPFIX data sets held until their template arrives.
 *
 * Data before its template happens when the collector (re)starts or an
 * exporter sends its first data ahead of the template; the template
 * normally follows within seconds, so a few seconds and a few packets'
 * worth per exporter catch it without holding stale flows.  The buffer is
 * allocated once; each exporter-domain links its own held sets (struct
 * nfx_dom's pend_* fields), and what does not fit is dropped and counted as
 * pending_dropped.
 *
 * The counters count data sets: pending_buffered (held), pending_decoded
 * (held, then decoded with their template), pending_dropped (not held for
 * want of room, or held and then aged out, pushed out by newer sets or gone
 * with their exporter-domain); pending_records_decoded counts the flow
 * records the decoded sets gave.
 */
#ifndef NFX_PENDING_H
#define NFX_PENDING_H

#include <stddef.h>
#include <stdint.h>

#include "decode/dataset.h"
#include "decode/dec_stats.h"
#include "decode/tmpl_cache.h"

#define NFX_PEND_PER_EXP_DEFAULT (16u << 10)
#define NFX_PEND_TOTAL_DEFAULT	(1u << 20)
#define NFX_PEND_AGE_DEFAULT	10000	/* ms */
/*
 * Sets per exporter-domain.  It bounds the replay walk when a template
 * arrives; memory is the bytes' to bound.  256 holds everything a
 * restarted exporter sends until a template refresh every 256 messages
 * (32 lost 37 % at a refresh every 64); with the 16 KiB share, every set
 * of more than 16 bytes (64-byte entries with their 48-byte header: less
 * than one v9 record of the usual fields) reaches the byte bound first.
 */
#define NFX_PEND_SETS_DEFAULT	256

/* Bounds; 0 = the default. */
struct nfx_pending_opts {
	uint32_t total_bytes;		/* the buffer, allocated once */
	uint32_t bytes_per_exporter;	/* one exporter-domain's share */
	uint32_t sets_per_exporter;	/* and its number of sets */
	uint32_t max_age_ms;
	int off;			/* hold nothing */
};

/* @return the buffer, or NULL with errno set (EINVAL for absurd bounds). */
struct nfx_pending *nfx_pending_new(const struct nfx_pending_opts *o);
void nfx_pending_free(struct nfx_pending *p);

/**
 * nfx_pending_add() - hold a copy of data set body @body (template @tid
 * unknown) with the header values of message @m, for nfx_pending_run().
 * Counted as pending_buffered, or pending_dropped when the exporter's
 * share, the set count or the buffer is exhausted (the buffer makes room by
 * dropping its oldest sets, of any exporter of @c).
 * @return 0, -ENOSPC when the set was not kept (counted), -ENODATA when
 *         holding is off or this domain defined @tid before (see seen_tids).
 */
int nfx_pending_add(struct nfx_pending *p, struct nfx_tmpl_cache *c, struct nfx_msg *m,
		    uint16_t tid, const uint8_t *body, size_t len);

/**
 * nfx_pending_run() - decode, in arrival order, the held data sets of
 * @m's exporter-domain for template @k of @c (just stored).  Their flows go
 * to m->out and count in m->emitted and pending_records_decoded, the sets
 * in pending_decoded; sets older than
 * the age bound are dropped instead, and a malformed one drops the
 * template, as live data does.
 * @return the number of flow records emitted.
 */
unsigned int nfx_pending_run(struct nfx_pending *p, struct nfx_tmpl_cache *c,
			     struct nfx_msg *m, const struct nfx_tkey *k);

/*
 * Give back the room of sets decoded or dropped out of order, and drop
 * (pending_dropped in @st) those older than the age bound.
 */
void nfx_pending_expire(struct nfx_pending *p, struct nfx_tmpl_cache *c,
			struct nfx_dec_stats *st, uint64_t now_ms);

/* Drop every held set of @dm (it is going away), counted in @st. */
void nfx_pending_drop_dom(struct nfx_pending *p, struct nfx_dec_stats *st, struct nfx_dom *dm);

/* Bytes held, entry headers and padding included. */
uint32_t nfx_pending_bytes(const struct nfx_pending *p);

#endif /* NFX_PENDING_H */

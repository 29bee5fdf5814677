// SPDX-License-Identifier: BSD-2-Clause
/*
 * pending.c - held data sets in one ring buffer, allocated once.
 *
 * Entries are appended in arrival order, so the oldest is always at the
 * head and both aging and making room pop from there.  Sets decoded (or
 * dropped) out of order are marked dead and their bytes come back when the
 * head passes them; each exporter-domain links its own entries, oldest
 * first, so the template that arrives finds them directly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode/pending.h"

/* Ring entry header; data set body follows, the entry padded to 8 bytes. */
struct nfx_pend {
	uint32_t size;		/* whole entry; the only field a filler has */
	uint32_t dom;		/* domain id, or PEND_DEAD (filler, decoded, dropped) */
	uint32_t next;		/* domain's next entry: ring offset + 1, 0 = last */
	uint32_t sys_uptime;	/* v9 header */
	uint64_t export_ms;
	uint64_t arrival_ms;
	uint32_t seq;
	uint16_t tid;
	uint16_t port;		/* exporter source port, for the flows */
	uint16_t len;		/* set body length */
	uint8_t pad[6];
};

#define PEND_DEAD	UINT32_MAX
#define PEND_ALIGN	8u

_Static_assert(sizeof(struct nfx_pend) % PEND_ALIGN == 0, "entries stay aligned");

struct nfx_pending {
	uint8_t *buf;
	uint32_t size;
	uint32_t head;		/* oldest entry */
	uint32_t tail;		/* where the next one goes */
	uint32_t used;		/* bytes between head and tail, fillers included */
	uint32_t per_dom;	/* 0 = holding is off */
	uint32_t sets_per_dom;
	uint32_t age_ms;
};

static uint32_t opt_or(uint32_t v, uint32_t def)
{
	return v ? v : def;
}

struct nfx_pending *nfx_pending_new(const struct nfx_pending_opts *o)
{
	static const struct nfx_pending_opts defaults;
	struct nfx_pending *p;
	uint32_t size = 0;

	if (!o)
		o = &defaults;
	if (!o->off) {
		size = opt_or(o->total_bytes, NFX_PEND_TOTAL_DEFAULT);
		if (size > (1u << 30)) {
			errno = EINVAL;
			return NULL;
		}
		size = (size + PEND_ALIGN - 1) & ~(PEND_ALIGN - 1);
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->age_ms = opt_or(o->max_age_ms, NFX_PEND_AGE_DEFAULT);
	p->sets_per_dom = opt_or(o->sets_per_exporter, NFX_PEND_SETS_DEFAULT);
	if (!size)
		return p;	/* holding is off: per_dom stays 0 */
	p->buf = malloc(size);
	if (!p->buf)
		goto err_free;
	p->size = size;
	p->per_dom = opt_or(o->bytes_per_exporter, NFX_PEND_PER_EXP_DEFAULT);
	if (p->per_dom > size)
		p->per_dom = size;
	return p;

err_free:
	free(p);
	errno = ENOMEM;
	return NULL;
}

void nfx_pending_free(struct nfx_pending *p)
{
	if (!p)
		return;
	free(p->buf);
	free(p);
}

static struct nfx_pend *pend_at(const struct nfx_pending *p, uint32_t off)
{
	return (struct nfx_pend *)(p->buf + off);
}

/* Entry @e (ring offset @off) leaves its domain's list; @prev is the one before it. */
static void pend_unlink(struct nfx_dom *dm, struct nfx_pend *e, uint32_t off, struct nfx_pend *prev,
			uint32_t prev_off)
{
	if (prev)
		prev->next = e->next;
	else
		dm->pend_head = e->next;
	if (dm->pend_tail == off + 1)
		dm->pend_tail = prev ? prev_off + 1 : 0;
	dm->pend_bytes -= e->size;
	dm->npend--;
	e->dom = PEND_DEAD;
}

/* Pop the oldest entry; a live one is its domain's oldest too, and is lost. */
static void ring_pop(struct nfx_pending *p, struct nfx_tmpl_cache *c, struct nfx_dec_stats *st)
{
	struct nfx_pend *e = pend_at(p, p->head);

	if (e->dom != PEND_DEAD) {
		pend_unlink(nfx_tmpl_domain_at(c, e->dom), e, p->head, NULL, 0);
		st->pending_dropped++;
	}
	p->used -= e->size;
	p->head += e->size;
	if (p->head == p->size)
		p->head = 0;
}

void nfx_pending_expire(struct nfx_pending *p, struct nfx_tmpl_cache *c,
			struct nfx_dec_stats *st, uint64_t now_ms)
{
	while (p->used) {
		const struct nfx_pend *e = pend_at(p, p->head);

		if (e->dom != PEND_DEAD && e->arrival_ms + p->age_ms >= now_ms)
			break;
		ring_pop(p, c, st);
	}
}

/* Room for @need contiguous bytes, popping the oldest entries as needed. @return its offset. */
static uint32_t ring_reserve(struct nfx_pending *p, struct nfx_tmpl_cache *c,
			     struct nfx_dec_stats *st, uint32_t need)
{
	for (;;) {
		if (!p->used)
			p->head = p->tail = 0;
		if (p->used < p->size) {
			if (p->tail >= p->head) {
				struct nfx_pend *fill;

				if (p->size - p->tail >= need)
					return p->tail;
				/* too little before the end: a filler, then go on at 0 */
				fill = pend_at(p, p->tail);
				fill->size = p->size - p->tail;
				fill->dom = PEND_DEAD;
				p->used += fill->size;
				p->tail = 0;
				continue;
			}
			if (p->head - p->tail >= need)
				return p->tail;
		}
		ring_pop(p, c, st);
	}
}

int nfx_pending_add(struct nfx_pending *p, struct nfx_tmpl_cache *c, struct nfx_msg *m,
		    uint16_t tid, const uint8_t *body, size_t len)
{
	struct nfx_dom *dm = m->dom;
	struct nfx_pend *e;
	uint32_t need, off;

	if (!p->per_dom)
		return -ENODATA;
	if (dm && nfx_dom_tid_was_seen(dm, tid))
		return -ENODATA;
	need = (uint32_t)((sizeof(*e) + len + PEND_ALIGN - 1) & ~(size_t)(PEND_ALIGN - 1));
	nfx_pending_expire(p, c, m->st, m->now_ms);
	if (!dm || dm->npend >= p->sets_per_dom || need > p->per_dom - dm->pend_bytes) {
		m->st->pending_dropped++;
		return -ENOSPC;
	}
	off = ring_reserve(p, c, m->st, need);
	e = pend_at(p, off);
	memset(e, 0, sizeof(*e));
	e->size = need;
	e->dom = nfx_tmpl_domain_id(c, dm);
	e->sys_uptime = m->sys_uptime;
	e->export_ms = m->export_ms;
	e->arrival_ms = m->now_ms;
	e->seq = (uint32_t)m->base.sequence;
	e->tid = tid;
	e->port = m->base.exporter_port;
	e->len = (uint16_t)len;
	memcpy(e + 1, body, len);
	p->used += need;
	p->tail += need;
	if (p->tail == p->size)
		p->tail = 0;
	if (dm->pend_tail)
		pend_at(p, dm->pend_tail - 1)->next = off + 1;
	else
		dm->pend_head = off + 1;
	dm->pend_tail = off + 1;
	dm->pend_bytes += need;
	dm->npend++;
	dm->pend_tids |= 1ull << (tid % 64);
	m->st->pending_buffered++;
	return 0;
}

/* Decode held entry @e with @t as message @m's header would have. @return 0 or -EINVAL. */
static int pend_decode(struct nfx_msg *m, const struct nfx_tmpl *t, const struct nfx_pend *e)
{
	struct nfx_msg pm = {
		.st = m->st, .out = m->out, .pol = m->pol, .rule = m->rule, .ifn = m->ifn,
		.dom = m->dom,
		.export_ms = e->export_ms, .now_ms = m->now_ms, .sys_uptime = e->sys_uptime,
		.proto = m->proto,
	};
	int err;

	pm.base.type = m->proto == NFX_PROTO_V9 ? NFX_TYPE_NETFLOW9 : NFX_TYPE_IPFIX;
	memcpy(pm.base.exporter.b, m->dom->key.addr, sizeof(pm.base.exporter.b));
	if (m->pol->exporter_from_export && m->dom->has_export_addr)
		pm.base.exporter = m->dom->export_addr;
	pm.base.exporter_port = e->port;
	pm.base.domain_id = m->dom->key.domain;
	pm.base.sequence = e->seq;
	pm.base.present = NFX_F_DOMAIN;
	err = nfx_dataset_decode(&pm, t, (const uint8_t *)(e + 1), e->len);
	m->emitted += pm.emitted;
	m->st->pending_decoded++;
	m->st->pending_records_decoded += pm.emitted;
	return err;
}

unsigned int nfx_pending_run(struct nfx_pending *p, struct nfx_tmpl_cache *c,
			     struct nfx_msg *m, const struct nfx_tkey *k)
{
	struct nfx_dom *dm = m->dom;
	uint32_t cur, prev_off = 0, emitted = m->emitted;
	struct nfx_pend *prev = NULL;
	const struct nfx_tmpl *t;
	uint64_t tids = 0;

	if (!dm || !dm->npend || !(dm->pend_tids & 1ull << (k->tid % 64)))
		return 0;
	t = nfx_tmpl_find(c, k, m->now_ms);
	for (cur = dm->pend_head; cur;) {
		struct nfx_pend *e = pend_at(p, cur - 1);
		uint32_t next = e->next;

		if (!t || e->tid != k->tid) {
			tids |= 1ull << (e->tid % 64);
			prev = e;
			prev_off = cur - 1;
			cur = next;
			continue;
		}
		pend_unlink(dm, e, cur - 1, prev, prev_off);
		if (e->arrival_ms + p->age_ms < m->now_ms) {
			m->st->pending_dropped++;
		} else if (pend_decode(m, t, e)) {
			/* malformed: the template goes, as for live data */
			nfx_tmpl_remove(c, k);
			t = NULL;
		}
		cur = next;
	}
	dm->pend_tids = tids;
	nfx_pending_expire(p, c, m->st, m->now_ms);	/* the head may be dead now */
	return m->emitted - emitted;
}

void nfx_pending_drop_dom(struct nfx_pending *p, struct nfx_dec_stats *st, struct nfx_dom *dm)
{
	while (dm->pend_head) {
		uint32_t off = dm->pend_head - 1;

		pend_unlink(dm, pend_at(p, off), off, NULL, 0);
		st->pending_dropped++;
	}
	dm->pend_tids = 0;
}

uint32_t nfx_pending_bytes(const struct nfx_pending *p)
{
	return p->used;
}

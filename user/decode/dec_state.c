// SPDX-License-Identifier: BSD-2-Clause
/*
 * dec_state.c - the decoder's state as a file (format in dec_state.h).
 *
 * The reader trusts nothing: every length is checked against what is left
 * before it is read, field counts against NFX_TMPL_MAX_FIELDS, and the
 * only allocation is the caller's (at most NFX_STATE_MAX_BYTES).  One
 * record walker serves both the check and the load, so what the check
 * accepted is exactly what the load reads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/wire.h"
#include "decode/dec_state.h"
#include "decode/seq.h"
#include "decode/sets.h"
#include "decode/tmpl_cache.h"

#define MAGIC		"NFXDPST\n"
#define REC_HDR_LEN	5
#define REC_TEMPLATE	'T'
#define REC_DOMAIN	'D'
#define REC_SESSION	'S'
#define TMPL_FIXED_LEN	40
#define FIELD_LEN	8
#define DOMAIN_LEN	84	/* then, since issue 13: a sampler count and the samplers */
#define SAMPLER_LEN	12
#define SESSION_LEN	33

#define DOM_SYSINIT	1
#define DOM_SEQ_VALID	2
#define DOM_SEQ_QUIRK	4

/* 64-bit FNV-1a: catches a torn or flipped file; the format is not a secret. */
static uint64_t fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t checksum(const uint8_t *hdr, const uint8_t *body, size_t len)
{
	return fnv1a(fnv1a(0xcbf29ce484222325ull, hdr, 32), body, len);
}

/* ---- writing ---- */

static uint8_t *buf_room(struct nfx_state_buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 64 * 1024;
	uint8_t *p;

	if (b->len + n > NFX_STATE_MAX_BYTES)
		return NULL;
	while (cap < b->len + n)
		cap *= 2;
	if (cap > NFX_STATE_MAX_BYTES)
		cap = NFX_STATE_MAX_BYTES;
	if (cap != b->cap) {
		p = realloc(b->p, cap);
		if (!p)
			return NULL;
		b->p = p;
		b->cap = cap;
	}
	p = b->p + b->len;
	b->len += n;
	return p;
}

static uint8_t *put8(uint8_t *p, uint8_t v)
{
	*p = v;
	return p + 1;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	return put16(put16(p, (uint16_t)(v >> 16)), (uint16_t)v);
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
	return put32(put32(p, (uint32_t)(v >> 32)), (uint32_t)v);
}

static uint8_t *put_mem(uint8_t *p, const void *v, size_t n)
{
	memcpy(p, v, n);
	return p + n;
}

/* Room for a record of @type with @len bytes after its header; NULL counts it as left out. */
static uint8_t *rec_begin(struct nfx_state_buf *b, uint8_t type, size_t len)
{
	uint8_t *p = buf_room(b, REC_HDR_LEN + len);

	if (!p) {
		b->left_out++;
		return NULL;
	}
	return put32(put8(p, type), (uint32_t)len);
}

static uint8_t *put_scope(uint8_t *p, const struct nfx_tkey *k)
{
	p = put8(p, k->proto);
	p = put_mem(p, k->addr, sizeof(k->addr));
	p = put16(p, k->port);
	return put32(p, k->domain);
}

static void write_template(void *ctx, const struct nfx_tmpl *t)
{
	uint8_t *p = rec_begin(ctx, REC_TEMPLATE, TMPL_FIXED_LEN + (size_t)t->nfields * FIELD_LEN);

	if (!p)
		return;
	p = put_scope(p, &t->key);
	p = put16(p, t->key.tid);
	p = put64(p, t->last_ms);
	p = put16(p, t->lport);
	p = put8(p, t->options);
	p = put16(p, t->nscope);
	p = put16(p, t->nfields);
	for (unsigned int i = 0; i < t->nfields; i++) {
		p = put16(p, t->fs[i].id);
		p = put16(p, t->fs[i].len);
		p = put32(p, t->fs[i].pen);
	}
}

static unsigned int samplers_held(const struct nfx_dom *dm)
{
	unsigned int n = 0;

	for (int i = 0; i < NFX_DOM_SAMPLERS; i++)
		n += dm->samplers[i].rate != 0;
	return n;
}

static void write_domain(void *ctx, const struct nfx_dom *dm)
{
	unsigned int ns = samplers_held(dm);
	uint8_t *p = rec_begin(ctx, REC_DOMAIN, DOMAIN_LEN + 1 + (size_t)ns * SAMPLER_LEN);

	if (!p)
		return;
	p = put_scope(p, &dm->key);
	p = put64(p, dm->last_ms);
	p = put64(p, dm->sysinit_ms);
	p = put32(p, dm->sampling_rate);
	p = put32(p, dm->last_seq);
	p = put32(p, dm->last_adv);
	p = put8(p, (uint8_t)((dm->has_sysinit ? DOM_SYSINIT : 0) |
			      (dm->seq_valid ? DOM_SEQ_VALID : 0) |
			      (dm->seq_quirk ? DOM_SEQ_QUIRK : 0)));
	for (int i = 0; i < 4; i++)
		p = put64(p, dm->seen_tids[i]);
	p = put8(p, (uint8_t)ns);
	for (int i = 0; i < NFX_DOM_SAMPLERS; i++) {
		if (!dm->samplers[i].rate)
			continue;
		p = put64(p, dm->samplers[i].id);
		p = put32(p, dm->samplers[i].rate);
	}
}

static void write_session(void *ctx, const struct nfx_seq_saved *s)
{
	uint8_t *p = rec_begin(ctx, REC_SESSION, SESSION_LEN);

	if (!p)
		return;
	p = put8(p, s->key.version);
	p = put_mem(p, s->key.addr.b, sizeof(s->key.addr.b));
	p = put32(p, s->key.domain);
	p = put64(p, s->last_seen_ms);
	put32(p, s->next);
}

static void skip_template(void *ctx, const struct nfx_tmpl *t)
{
}

static void skip_domain(void *ctx, const struct nfx_dom *dm)
{
}

int nfx_state_write(struct nfx_state_buf *b, struct nfx_decoder *const *decs, int n,
		    uint64_t now_ms)
{
	uint8_t *h;

	memset(b, 0, sizeof(*b));
	if (!buf_room(b, NFX_STATE_HDR_LEN))
		return -ENOMEM;
	/* every worker's templates before any domain: a domain record is applied last */
	for (int i = 0; i < n; i++)
		nfx_tmpl_foreach(decs[i]->tmpl, write_template, skip_domain, b);
	for (int i = 0; i < n; i++)
		nfx_tmpl_foreach(decs[i]->tmpl, skip_template, write_domain, b);
	for (int i = 0; i < n; i++)
		nfx_seq_foreach(decs[i]->seq, write_session, b);
	if (!b->p)
		return -ENOMEM;
	h = put_mem(b->p, MAGIC, 8);
	h = put32(h, NFX_STATE_VERSION);
	h = put32(h, 0);
	h = put64(h, now_ms);
	h = put64(h, b->len - NFX_STATE_HDR_LEN);
	put64(h, checksum(b->p, b->p + NFX_STATE_HDR_LEN, b->len - NFX_STATE_HDR_LEN));
	return 0;
}

void nfx_state_buf_free(struct nfx_state_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- reading ---- */

/* A record read, bounds and values checked. */
struct rec {
	uint8_t type;
	struct nfx_src src;		/* exporter address and port */
	uint8_t proto;			/* NFX_PROTO_* (T, D) or version (S) */
	uint32_t domain;
	uint16_t tid;
	uint64_t last_ms;
	uint16_t lport;
	struct nfx_tmpl_rec r;
	struct nfx_field_spec fs[NFX_TMPL_MAX_FIELDS];
	/* D */
	uint64_t sysinit_ms;
	uint32_t rate, last_seq, last_adv;
	uint8_t flags;
	uint64_t seen[4];
	unsigned int nsamplers;
	struct nfx_sampler samplers[NFX_DOM_SAMPLERS];
	/* S */
	uint32_t next;
};

static const uint8_t *get_scope(const uint8_t *p, struct rec *r)
{
	memset(&r->src, 0, sizeof(r->src));
	r->proto = p[0];
	memcpy(r->src.addr.b, p + 1, 16);
	r->src.port = nfx_get16(p + 17);
	r->domain = nfx_get32(p + 19);
	return p + 23;
}

static int valid_proto(uint8_t proto)
{
	return proto == NFX_PROTO_V9 || proto == NFX_PROTO_IPFIX;
}

/* What an exporter could have sent: the decoders' own rules for a template record. */
static int valid_fields(const struct rec *r)
{
	for (unsigned int i = 0; i < r->r.n; i++) {
		if (r->proto == NFX_PROTO_V9 && (r->fs[i].pen || r->fs[i].len == NFX_VARLEN))
			return 0;
		if (r->proto == NFX_PROTO_IPFIX && r->fs[i].id & 0x8000)
			return 0;	/* the enterprise bit is read into pen */
	}
	return 1;
}

static const char *read_template(const uint8_t *p, size_t len, struct rec *r)
{
	unsigned int n;

	if (len < TMPL_FIXED_LEN)
		return "template record too short";
	p = get_scope(p, r);
	r->tid = nfx_get16(p);
	r->last_ms = nfx_get64(p + 2);
	r->lport = nfx_get16(p + 10);
	r->r.options = p[12];
	r->r.nscope = nfx_get16(p + 13);
	n = nfx_get16(p + 15);
	p += 17;
	if (!valid_proto(r->proto) || r->tid < 256 || r->r.options > 1)
		return "template record out of range";
	if (!n || n > NFX_TMPL_MAX_FIELDS || r->r.nscope > n || (!r->r.options && r->r.nscope))
		return "template field count out of range";
	if (len != TMPL_FIXED_LEN + (size_t)n * FIELD_LEN)
		return "template record length does not match its fields";
	for (unsigned int i = 0; i < n; i++, p += FIELD_LEN) {
		r->fs[i].id = nfx_get16(p);
		r->fs[i].len = nfx_get16(p + 2);
		r->fs[i].pen = nfx_get32(p + 4);
	}
	r->r.fs = r->fs;
	r->r.n = n;
	return valid_fields(r) ? NULL : "template field v9 cannot carry";
}

/* A file written before samplers were kept has none: its records end at DOMAIN_LEN. */
static const char *read_samplers(const uint8_t *p, size_t len, struct rec *r)
{
	r->nsamplers = len > DOMAIN_LEN ? p[DOMAIN_LEN] : 0;
	if (r->nsamplers > NFX_DOM_SAMPLERS)
		return "domain record sampler count out of range";
	if (len != DOMAIN_LEN + (len > DOMAIN_LEN) + (size_t)r->nsamplers * SAMPLER_LEN)
		return "domain record length";
	p += DOMAIN_LEN + 1;
	for (unsigned int i = 0; i < r->nsamplers; i++, p += SAMPLER_LEN) {
		r->samplers[i].id = nfx_get64(p);
		r->samplers[i].rate = nfx_get32(p + 8);
		if (!r->samplers[i].rate)
			return "domain record sampler without a rate";
	}
	return NULL;
}

static const char *read_domain(const uint8_t *p, size_t len, struct rec *r)
{
	const char *why;

	if (len < DOMAIN_LEN)
		return "domain record length";
	why = read_samplers(p, len, r);
	if (why)
		return why;
	p = get_scope(p, r);
	r->last_ms = nfx_get64(p);
	r->sysinit_ms = nfx_get64(p + 8);
	r->rate = nfx_get32(p + 16);
	r->last_seq = nfx_get32(p + 20);
	r->last_adv = nfx_get32(p + 24);
	r->flags = p[28];
	for (int i = 0; i < 4; i++)
		r->seen[i] = nfx_get64(p + 29 + i * 8);
	if (!valid_proto(r->proto) || r->flags & ~(DOM_SYSINIT | DOM_SEQ_VALID | DOM_SEQ_QUIRK))
		return "domain record out of range";
	return NULL;
}

static const char *read_session(const uint8_t *p, size_t len, struct rec *r)
{
	if (len != SESSION_LEN)
		return "session record length";
	memset(&r->src, 0, sizeof(r->src));
	r->proto = p[0];
	memcpy(r->src.addr.b, p + 1, 16);
	r->domain = nfx_get32(p + 17);
	r->last_ms = nfx_get64(p + 21);
	r->next = nfx_get32(p + 29);
	return NULL;
}

typedef void (*apply_fn)(void *ctx, const struct rec *r);

/* Walk every record of @body; @fn (may be NULL) hears of each.  NULL or what is wrong. */
static const char *walk(const uint8_t *body, size_t len, struct rec *r, apply_fn fn, void *ctx)
{
	size_t q = 0;

	while (q < len) {
		const char *why;
		uint32_t rlen;

		if (len - q < REC_HDR_LEN)
			return "record header truncated";
		r->type = body[q];
		rlen = nfx_get32(body + q + 1);
		q += REC_HDR_LEN;
		if (rlen > len - q)
			return "record runs past the end";
		switch (r->type) {
		case REC_TEMPLATE:
			why = read_template(body + q, rlen, r);
			break;
		case REC_DOMAIN:
			why = read_domain(body + q, rlen, r);
			break;
		case REC_SESSION:
			why = read_session(body + q, rlen, r);
			break;
		default:
			why = "unknown record type";
			break;
		}
		if (why)
			return why;
		if (fn)
			fn(ctx, r);
		q += rlen;
	}
	return NULL;
}

static const char *check_header(const uint8_t *buf, size_t len)
{
	uint64_t body;

	if (len < NFX_STATE_HDR_LEN)
		return len >= 8 && memcmp(buf, MAGIC, 8) ? "not an nfxdp state file"
							 : "truncated header";
	if (memcmp(buf, MAGIC, 8))
		return "not an nfxdp state file";
	if (nfx_get32(buf + 8) != NFX_STATE_VERSION)
		return "unknown format version";
	if (nfx_get32(buf + 12))
		return "unknown flags";
	body = nfx_get64(buf + 24);
	if (body < len - NFX_STATE_HDR_LEN)
		return "bytes after the end";
	if (body > len - NFX_STATE_HDR_LEN)
		return "truncated";
	if (nfx_get64(buf + 32) != checksum(buf, buf + NFX_STATE_HDR_LEN, body))
		return "checksum mismatch";
	return NULL;
}

int nfx_state_check(const uint8_t *buf, size_t len, const char **why)
{
	struct rec *r;
	const char *w = check_header(buf, len);

	if (!w) {
		r = malloc(sizeof(*r));
		if (!r) {
			*why = "out of memory";
			return -ENOMEM;
		}
		w = walk(buf + NFX_STATE_HDR_LEN, len - NFX_STATE_HDR_LEN, r, NULL, NULL);
		free(r);
	}
	*why = w;
	return w ? -EBADMSG : 0;
}

/* ---- applying ---- */

struct load {
	struct nfx_decoder *d;
	uint64_t now_ms, ttl_ms;
	struct nfx_state_loaded *out;
};

/* Dropped for its age; a time after now (the clock went back) counts as now. */
static int too_old(struct load *l, uint64_t *last_ms)
{
	if (*last_ms > l->now_ms)
		*last_ms = l->now_ms;
	if (*last_ms + l->ttl_ms >= l->now_ms)
		return 0;
	l->out->expired++;
	return 1;
}

static void load_template(struct load *l, const struct rec *r, uint64_t last_ms)
{
	const struct nfx_tmpl *held;
	struct nfx_tkey k;

	nfx_tmpl_key(l->d->tmpl, &k, r->proto, &r->src, r->domain, r->tid);
	held = nfx_tmpl_peek(l->d->tmpl, &k);
	if (held && held->last_ms >= last_ms)
		return;
	if (nfx_sets_store(l->d, &k, &r->r, r->lport, last_ms))
		l->out->refused++;
	else if (!held)
		l->out->templates++;	/* another worker's older copy replaced is not one more */
}

static void load_domain(struct load *l, const struct rec *r, uint64_t last_ms)
{
	struct nfx_dom *dm;
	struct nfx_tkey k;
	uint64_t held_ms = 0;
	int first = 1;		/* no other copy of this domain taken yet */

	nfx_tmpl_key(l->d->tmpl, &k, r->proto, &r->src, r->domain, 0);
	dm = nfx_tmpl_domain_peek(l->d->tmpl, &k);
	if (dm) {
		/* another worker's newer copy was taken already */
		if (dm->seq_valid && dm->last_ms > last_ms)
			return;
		held_ms = dm->last_ms;	/* a template of this file made it */
		first = !dm->seq_valid;
	}
	dm = nfx_tmpl_domain(l->d->tmpl, &k, last_ms > held_ms ? last_ms : held_ms);
	if (!dm) {
		l->out->refused++;
		return;
	}
	dm->sysinit_ms = r->sysinit_ms;
	dm->has_sysinit = !!(r->flags & DOM_SYSINIT);
	dm->sampling_rate = r->rate;
	dm->last_seq = r->last_seq;
	dm->last_adv = r->last_adv;
	dm->seq_valid = !!(r->flags & DOM_SEQ_VALID);
	dm->seq_quirk = !!(r->flags & DOM_SEQ_QUIRK);
	for (int i = 0; i < 4; i++)
		dm->seen_tids[i] |= r->seen[i];
	memset(dm->samplers, 0, sizeof(dm->samplers));
	memcpy(dm->samplers, r->samplers, r->nsamplers * sizeof(r->samplers[0]));
	if (first)
		l->out->exporters++;
}

static void load_session(struct load *l, const struct rec *r, uint64_t last_ms)
{
	struct nfx_seq_saved s = { .last_seen_ms = last_ms, .next = r->next };
	int rc;

	s.key.addr = r->src.addr;
	s.key.domain = r->domain;
	s.key.version = r->proto;
	rc = nfx_seq_restore(l->d->seq, &s);
	if (rc < 0)
		l->out->refused++;
	else if (rc)
		l->out->sessions++;
}

static void load_one(void *ctx, const struct rec *r)
{
	struct load *l = ctx;
	uint64_t last_ms = r->last_ms;

	if (too_old(l, &last_ms))
		return;
	if (r->type == REC_TEMPLATE)
		load_template(l, r, last_ms);
	else if (r->type == REC_DOMAIN)
		load_domain(l, r, last_ms);
	else
		load_session(l, r, last_ms);
}

int nfx_state_load(struct nfx_decoder *d, const uint8_t *buf, size_t len, uint64_t now_ms,
		   uint64_t ttl_ms, struct nfx_state_loaded *out, const char **why)
{
	struct load l = { .d = d, .now_ms = now_ms, .ttl_ms = ttl_ms, .out = out };
	struct rec *r;
	int err;

	memset(out, 0, sizeof(*out));
	err = nfx_state_check(buf, len, why);
	if (err) {
		d->stats.state_files_refused++;
		return err;
	}
	r = malloc(sizeof(*r));
	if (!r) {
		*why = "out of memory";
		return -ENOMEM;
	}
	walk(buf + NFX_STATE_HDR_LEN, len - NFX_STATE_HDR_LEN, r, load_one, &l);
	free(r);
	d->stats.state_templates_restored += out->templates;
	d->stats.state_entries_expired += out->expired;
	d->stats.state_entries_refused += out->refused;
	return 0;
}

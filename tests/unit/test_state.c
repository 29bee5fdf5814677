// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_state.c - the decoder's state file (decode/dec_state.c): every
 * template shape survives a round trip and decodes data without waiting
 * for the exporter's refresh; options state and sequences come back (the
 * next message is neither loss nor reset); the TTL applies at load; a
 * newer copy wins over an older one; every kind of damage is refused
 * whole.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dectest.h"
#include "decode/dec_state.h"
#include "decode/decode.h"
#include "decode/tmpl_cache.h"
#include "msgbuild.h"

#define NOW	((uint64_t)DT_EXPORT_SECS * 1000)
#define TTL_MS	1800000ull

static struct mb msg;
static struct mb_sink sink;

static int run(struct nfx_decoder *d, const struct nfx_src *s)
{
	size_t len = mb_finish(&msg);

	sink.n = sink.total = 0;
	return nfx_decode(d, s, msg.b, len, &(struct nfx_sink){ mb_collect, &sink });
}

static struct nfx_src src6(uint16_t port)
{
	struct nfx_src s = { .port = port, .dst_port = 4739, .now_ms = NOW };

	memcpy(s.addr.b, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x42", 16);
	return s;
}

/* v9 from 10.201.9.1:2055: a data template, an options template with a sampling interval. */
static void v9_templates(uint32_t seq)
{
	mb_v9_hdr(&msg, 0, 100000, DT_EXPORT_SECS, seq, 7);
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 300, 5);
	mb_field(&msg, 8, 4);		/* src addr */
	mb_field(&msg, 12, 4);		/* dst addr */
	mb_field(&msg, 1, 4);		/* bytes */
	mb_field(&msg, 2, 4);		/* packets */
	mb_field(&msg, 40000, 2);	/* a vendor type: ordinary in v9 */
	mb_set_end(&msg);
	mb_set_begin(&msg, 1);
	mb_v9_opt_tmpl(&msg, 301, 4, 4);
	mb_field(&msg, 1, 4);		/* scope: system */
	mb_field(&msg, 34, 4);		/* samplingInterval */
	mb_set_end(&msg);
	mb_set_begin(&msg, 301);
	mb_u32(&msg, 1);
	mb_u32(&msg, 64);
	mb_set_end(&msg);
}

static void v9_data(uint32_t seq)
{
	mb_v9_hdr(&msg, 0, 100000, DT_EXPORT_SECS, seq, 7);
	mb_set_begin(&msg, 300);
	mb_ip4(&msg, 192, 0, 2, 1);
	mb_ip4(&msg, 192, 0, 2, 2);
	mb_u32(&msg, 1500);
	mb_u32(&msg, 3);
	mb_u16(&msg, 9);
	mb_set_end(&msg);
}

/* IPFIX from 2001:db8::42: variable-length and enterprise fields, an options template. */
static void ipfix_templates(uint32_t seq)
{
	mb_ipfix_hdr(&msg, DT_EXPORT_SECS, seq, 99);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 400, 5);
	mb_field(&msg, 27, 16);			/* sourceIPv6Address */
	mb_field(&msg, 28, 16);			/* destinationIPv6Address */
	mb_field(&msg, 1, 8);			/* octetDeltaCount */
	mb_field(&msg, 82, 0xffff);		/* interfaceName, variable length */
	mb_field_pen(&msg, 12, 4, 29305);	/* an enterprise field */
	mb_set_end(&msg);
	mb_set_begin(&msg, 3);
	mb_ipfix_opt_tmpl(&msg, 401, 2, 1);
	mb_field(&msg, 149, 4);			/* scope: observationDomainId */
	mb_field(&msg, 160, 8);			/* systemInitTimeMilliseconds */
	mb_set_end(&msg);
	mb_set_begin(&msg, 401);
	mb_u32(&msg, 99);
	mb_u64(&msg, NOW - 3600000);
	mb_set_end(&msg);
}

static void ipfix_data(uint32_t seq)
{
	mb_ipfix_hdr(&msg, DT_EXPORT_SECS, seq, 99);
	mb_set_begin(&msg, 400);
	mb_bytes(&msg, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	mb_bytes(&msg, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
	mb_u64(&msg, 4242);
	mb_varlen(&msg, "eth0", 4);
	mb_u32(&msg, 5);
	mb_set_end(&msg);
}

/* A v5 message of one flow: a legacy sequence session. */
static void v5_msg(uint32_t seq)
{
	msg.len = 0;
	msg.set_start = SIZE_MAX;
	msg.version = 5;
	mb_u16(&msg, 5);
	mb_u16(&msg, 1);
	mb_u32(&msg, 100000);
	mb_u32(&msg, DT_EXPORT_SECS);
	mb_u32(&msg, 0);
	mb_u32(&msg, seq);
	mb_u32(&msg, 0);
	for (int i = 0; i < 12; i++)
		mb_u32(&msg, i == 5 ? 1 : 0x0a000001u + (uint32_t)i);
}

/* A decoder that learned every shape: two v9 and two IPFIX templates, a v5 session. */
static struct nfx_decoder *learned(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src v4 = src4(2055), v6 = src6(50000);

	v4.dst_port = 2055;
	v9_templates(10);
	CHECK_EQ(run(d, &v4), 0);
	v9_data(11);
	CHECK_EQ(run(d, &v4), 1);
	ipfix_templates(1000);
	CHECK_EQ(run(d, &v6), 0);
	ipfix_data(1001);	/* the options record counted: sequence advanced by 1 */
	CHECK_EQ(run(d, &v6), 1);
	v5_msg(500);
	CHECK_EQ(run(d, &v4), 1);
	CHECK_EQ(nfx_tmpl_count(d->tmpl), 4);
	return d;
}

static size_t image(struct nfx_decoder *const *decs, int n, uint64_t now, uint8_t **out)
{
	struct nfx_state_buf b;

	CHECK_EQ(nfx_state_write(&b, decs, n, now), 0);
	CHECK_EQ(b.left_out, 0);
	*out = b.p;
	return b.len;
}

static int load(struct nfx_decoder *d, const uint8_t *p, size_t len, uint64_t now,
		struct nfx_state_loaded *out)
{
	const char *why = NULL;
	int rc = nfx_state_load(d, p, len, now, TTL_MS, out, &why);

	CHECK(!rc == !why, "an error comes with a reason");
	return rc;
}

struct cmp {
	const struct nfx_tmpl_cache *other;
	unsigned int n;
	int bad;
};

static void same_template(void *ctx, const struct nfx_tmpl *t)
{
	struct cmp *c = ctx;
	const struct nfx_tmpl *u = nfx_tmpl_peek(c->other, &t->key);

	c->n++;
	if (!u || u->nfields != t->nfields || u->nscope != t->nscope || u->lport != t->lport ||
	    u->options != t->options || u->rec_len != t->rec_len || u->nops != t->nops ||
	    u->varlen != t->varlen || u->last_ms != t->last_ms ||
	    memcmp(u->fs, t->fs, t->nfields * sizeof(*t->fs)) ||
	    memcmp(u->ops, t->ops, t->nops * sizeof(*t->ops)))
		c->bad++;
}

/* The @i-th sampler with a rate (any slot): its id (@rate 0) or rate; 0 when there is none. */
static uint64_t samplers_at(const struct nfx_dom *dm, int i, int rate)
{
	for (int k = 0; k < NFX_DOM_SAMPLERS; k++) {
		if (!dm->samplers[k].rate || i--)
			continue;
		return rate ? dm->samplers[k].rate : dm->samplers[k].id;
	}
	return 0;
}

static void same_domain(void *ctx, const struct nfx_dom *dm)
{
	struct cmp *c = ctx;
	const struct nfx_dom *e = nfx_tmpl_domain_peek(c->other, &dm->key);

	if (!e || e->sampling_rate != dm->sampling_rate || e->sysinit_ms != dm->sysinit_ms ||
	    e->has_sysinit != dm->has_sysinit || e->last_seq != dm->last_seq ||
	    e->last_adv != dm->last_adv || e->seq_valid != dm->seq_valid ||
	    memcmp(e->seen_tids, dm->seen_tids, sizeof(dm->seen_tids)))
		c->bad++;
	for (int i = 0; e && i < NFX_DOM_SAMPLERS; i++)
		c->bad += samplers_at(dm, i, 0) != samplers_at(e, i, 0) ||
			  samplers_at(dm, i, 1) != samplers_at(e, i, 1);
}

/* Samplers as options data would leave them (issue 19's per-sampler rates): two of eight slots. */
static void give_samplers(void *ctx, const struct nfx_dom *dm)
{
	struct nfx_dom *w = (struct nfx_dom *)dm;

	(void)ctx;
	w->samplers[1] = (struct nfx_sampler){ .id = 7, .rate = 100 };
	w->samplers[5] = (struct nfx_sampler){ .id = 0x1122334455667788ull, .rate = 4096 };
}

static void no_template(void *ctx, const struct nfx_tmpl *t)
{
	(void)ctx;
	(void)t;
}

static void test_state_round_trip(void)
{
	struct nfx_decoder *a = learned(), *b = dec_new(0, 0);
	struct nfx_src v4 = src4(2055), v6 = src6(50000);
	struct nfx_state_loaded got;
	struct cmp c = { 0 };
	uint8_t *img;
	size_t len;

	nfx_tmpl_foreach(a->tmpl, no_template, give_samplers, NULL);
	len = image(&a, 1, NOW, &img);
	v4.dst_port = 2055;
	CHECK_EQ(load(b, img, len, NOW + 1000, &got), 0);
	CHECK_EQ(got.templates, 4);
	CHECK_EQ(got.exporters, 2);
	CHECK_EQ(got.sessions, 1);
	CHECK_EQ(got.expired + got.refused, 0);
	CHECK_EQ(b->stats.state_templates_restored, 4);
	c.other = b->tmpl;
	nfx_tmpl_foreach(a->tmpl, same_template, same_domain, &c);
	CHECK_EQ(c.n, 4);
	CHECK_EQ(c.bad, 0);
	/* data decodes at once, with the sampling rate and sequence carried over */
	v9_data(12);
	CHECK_EQ(run(b, &v4), 1);
	CHECK_EQ(sink.f[0].sampling_rate, 64);
	CHECK_EQ(sink.f[0].bytes, 1500);
	ipfix_data(1002);
	CHECK_EQ(run(b, &v6), 1);
	CHECK_EQ(sink.f[0].bytes, 4242);
	v5_msg(501);
	CHECK_EQ(run(b, &v4), 1);
	CHECK_EQ(b->stats.template_not_found, 0);
	CHECK_EQ(b->stats.seq_lost, 0);
	CHECK_EQ(b->stats.seq_resets, 0);
	/* a gap after the restart is loss, not a restart of the exporter */
	v9_data(20);
	CHECK_EQ(run(b, &v4), 1);
	CHECK_EQ(b->stats.seq_lost, 7);
	CHECK_EQ(b->stats.seq_resets, 0);
	free(img);
	nfx_decoder_free(a);
	nfx_decoder_free(b);
}

/* The plan is compiled again with the loading decoder's mappings, not copied. */
static void test_state_recompiles(void)
{
	struct nfx_decoder *a = learned(), *b = dec_new(0, 0);
	static const struct nfx_fieldmap maps[] = { { .port = 2055, .field = 40000, .type = NFX_MAP_INTEGER, .key = "vendor" } };
	struct nfx_state_loaded got;
	const struct nfx_tmpl *ta, *tb;
	struct nfx_tkey k;
	uint8_t *img;
	size_t len = image(&a, 1, NOW, &img);

	nfx_decoder_set_fieldmaps(b, maps, 1);
	CHECK_EQ(load(b, img, len, NOW, &got), 0);
	nfx_tmpl_key(b->tmpl, &k, NFX_PROTO_V9, &(struct nfx_src){ .addr = src4(0).addr,
								    .port = 2055 }, 7, 300);
	ta = nfx_tmpl_peek(a->tmpl, &k);
	tb = nfx_tmpl_peek(b->tmpl, &k);
	CHECK(ta && tb, "template 300 held by both");
	if (ta && tb)
		CHECK(tb->nops == ta->nops + 1, "the mapping adds an op (%u, %u)", tb->nops, ta->nops);
	free(img);
	nfx_decoder_free(a);
	nfx_decoder_free(b);
}

static void test_state_ttl(void)
{
	struct nfx_decoder *a = learned(), *b = dec_new(0, 0);
	struct nfx_state_loaded got;
	uint8_t *img;
	size_t len = image(&a, 1, NOW, &img);

	CHECK_EQ(load(b, img, len, NOW + TTL_MS + 1, &got), 0);
	CHECK_EQ(got.templates + got.exporters + got.sessions, 0);
	CHECK_EQ(got.expired, 7);
	CHECK_EQ(nfx_tmpl_count(b->tmpl), 0);
	CHECK_EQ(b->stats.state_entries_expired, 7);
	/* exactly at the TTL it is still good */
	CHECK_EQ(load(b, img, len, NOW + TTL_MS, &got), 0);
	CHECK_EQ(got.templates, 4);
	free(img);
	nfx_decoder_free(a);
	nfx_decoder_free(b);
}

/* Two workers' copies of one exporter: the one used last wins, whatever the order. */
static void test_state_newest_wins(void)
{
	struct nfx_decoder *a = learned(), *b = learned(), *c = dec_new(0, 0);
	struct nfx_decoder *both[2] = { b, a };
	struct nfx_src v4 = src4(2055);
	struct nfx_state_loaded got;
	struct nfx_tkey k;
	uint8_t *img;
	size_t len;

	v4.dst_port = 2055;
	v4.now_ms = NOW + 5000;
	v9_data(12);
	CHECK_EQ(run(a, &v4), 1);
	len = image(both, 2, NOW + 5000, &img);
	CHECK_EQ(load(c, img, len, NOW + 6000, &got), 0);
	CHECK_EQ(nfx_tmpl_count(c->tmpl), 4);
	nfx_tmpl_key(c->tmpl, &k, NFX_PROTO_V9, &v4, 7, 0);
	CHECK(nfx_tmpl_domain_peek(c->tmpl, &k) &&
	      nfx_tmpl_domain_peek(c->tmpl, &k)->last_seq == 12, "the newer sequence");
	v9_data(13);
	CHECK_EQ(run(c, &v4), 1);
	CHECK_EQ(c->stats.seq_lost + c->stats.seq_resets, 0);
	free(img);
	nfx_decoder_free(a);
	nfx_decoder_free(b);
	nfx_decoder_free(c);
}

/* ---- damage ---- */

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* A hostile writer's file: the header's length and checksum made to match. */
static void seal(uint8_t *img, size_t len)
{
	put_be(img + 24, len - NFX_STATE_HDR_LEN, 8);
	put_be(img + 32, fnv(fnv(0xcbf29ce484222325ull, img, 32), img + NFX_STATE_HDR_LEN,
			     len - NFX_STATE_HDR_LEN), 8);
}

static void refused(struct nfx_decoder *d, const uint8_t *p, size_t len, const char *what)
{
	struct nfx_state_loaded got;
	uint64_t before = d->stats.state_files_refused;

	CHECK(load(d, p, len, NOW, &got) == -EBADMSG, "%s: taken", what);
	CHECK(d->stats.state_files_refused == before + 1, "%s: not counted", what);
	CHECK(nfx_tmpl_count(d->tmpl) == 0, "%s: something applied", what);
}

static void test_state_damage(void)
{
	struct nfx_decoder *a = learned(), *b = dec_new(0, 0);
	uint8_t *img, *bad;
	size_t len = image(&a, 1, NOW, &img);
	struct nfx_state_loaded got;

	bad = malloc(len + 64);
	/* every truncation */
	for (size_t n = 0; n < len; n++)
		refused(b, img, n, "truncated");
	/* every single flipped bit of every byte */
	for (size_t i = 0; i < len; i++) {
		memcpy(bad, img, len);
		bad[i] ^= (uint8_t)(1u << (i % 8));
		refused(b, bad, len, "flipped");
	}
	/* bytes after the end */
	memcpy(bad, img, len);
	memset(bad + len, 0, 8);
	refused(b, bad, len + 8, "trailing");
	/* foreign: another file, or a state of another version */
	refused(b, (const uint8_t *)"{\"listeners\": [2055]}\n", 22, "foreign");
	memcpy(bad, img, len);
	put_be(bad + 8, NFX_STATE_VERSION + 1, 4);
	seal(bad, len);
	refused(b, bad, len, "version");
	/* hostile records under a good checksum */
	memcpy(bad, img, len);
	bad[NFX_STATE_HDR_LEN] = 'X';
	seal(bad, len);
	refused(b, bad, len, "record type");
	memcpy(bad, img, len);
	put_be(bad + NFX_STATE_HDR_LEN + 1, 0xffffffffu, 4);
	seal(bad, len);
	refused(b, bad, len, "record length");
	memcpy(bad, img, len);
	/* the first record is a template: its field count at offset 5 + 38 */
	put_be(bad + NFX_STATE_HDR_LEN + 5 + 38, 60000, 2);
	seal(bad, len);
	refused(b, bad, len, "field count");
	memcpy(bad, img, len);
	put_be(bad + NFX_STATE_HDR_LEN + 5 + 23, 7, 2);		/* template id below 256 */
	seal(bad, len);
	refused(b, bad, len, "template id");
	memcpy(bad, img, len);
	bad[NFX_STATE_HDR_LEN + 5] = 5;				/* protocol */
	seal(bad, len);
	refused(b, bad, len, "protocol");
	/* the good one still loads after all that */
	CHECK_EQ(load(b, img, len, NOW, &got), 0);
	CHECK_EQ(got.templates, 4);
	free(bad);
	free(img);
	nfx_decoder_free(a);
	nfx_decoder_free(b);
}

/* A file of nothing, and one that outgrows nothing: empty decoders round trip. */
static void test_state_empty(void)
{
	struct nfx_decoder *a = dec_new(0, 0), *b = dec_new(0, 0);
	struct nfx_state_loaded got;
	uint8_t *img;
	size_t len = image(&a, 1, NOW, &img);

	CHECK_EQ(len, NFX_STATE_HDR_LEN);
	CHECK_EQ(load(b, img, len, NOW, &got), 0);
	CHECK_EQ(got.templates + got.exporters + got.sessions, 0);
	free(img);
	nfx_decoder_free(a);
	nfx_decoder_free(b);
}

int main(void)
{
	RUN_TEST(test_state_round_trip);
	RUN_TEST(test_state_recompiles);
	RUN_TEST(test_state_ttl);
	RUN_TEST(test_state_newest_wins);
	RUN_TEST(test_state_damage);
	RUN_TEST(test_state_empty);
	CHECK_EXIT();
}

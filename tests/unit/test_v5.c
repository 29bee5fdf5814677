// SPDX-License-Identifier: BSD-2-Clause
/* test_v5.c - NetFlow v1/v5/v6/v7 decoding on messages built here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "decode/decode.h"

#define MAX_FLOWS 64

static struct nfx_flow flows[MAX_FLOWS];
static int nflows;

static void collect(void *ctx, const struct nfx_flow *f)
{
	if (nflows < MAX_FLOWS)
		flows[nflows] = *f;
	nflows++;
}

static const struct nfx_sink sink = { collect, NULL };

static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }

struct legacy_msg {
	uint8_t buf[2048];
	size_t len;
	int hdr, rec;
};

/* Header of version v with count records; records are zero until filled. */
static void msg_init(struct legacy_msg *m, uint16_t v, uint16_t count, uint32_t uptime,
		     uint32_t secs, uint32_t seq)
{
	memset(m, 0, sizeof(*m));
	m->hdr = v == 1 ? 16 : 24;
	m->rec = v == 6 || v == 7 ? 52 : 48;
	put16(m->buf, v);
	put16(m->buf + 2, count);
	put32(m->buf + 4, uptime);
	put32(m->buf + 8, secs);
	put32(m->buf + 12, 500000000);	/* unix_nsecs: half a second */
	if (v != 1)
		put32(m->buf + 16, seq);
	m->len = (size_t)m->hdr + (size_t)count * m->rec;
}

static uint8_t *msg_rec(struct legacy_msg *m, int i)
{
	return m->buf + m->hdr + i * m->rec;
}

static void fill_rec(uint8_t *r, uint32_t first, uint32_t last, uint32_t bytes)
{
	static const uint8_t src[4] = { 10, 1, 2, 3 }, dst[4] = { 192, 168, 7, 9 };

	memcpy(r, src, 4);
	memcpy(r + 4, dst, 4);
	r[8] = 10; r[11] = 1;			/* next hop 10.0.0.1 */
	put16(r + 12, 7);
	put16(r + 14, 9);
	put32(r + 16, 5);
	put32(r + 20, bytes);
	put32(r + 24, first);
	put32(r + 28, last);
	put16(r + 32, 40000);
	put16(r + 34, 443);
}

static struct nfx_decoder *dec;
static struct nfx_src src = { .port = 9999, .now_ms = 1700000000000ull };

static int decode(struct legacy_msg *m)
{
	nflows = 0;
	return nfx_decode(dec, &src, m->buf, m->len, &sink);
}

static void test_v5_fields(void)
{
	struct legacy_msg m;
	uint8_t *r;

	msg_init(&m, 5, 2, 100000, 1700000000, 1);
	r = msg_rec(&m, 0);
	fill_rec(r, 90000, 99000, 1234);
	r[37] = 0x12; r[38] = 6; r[39] = 0x28;
	put16(r + 40, 64512); put16(r + 42, 65001);
	r[44] = 16; r[45] = 24;
	fill_rec(msg_rec(&m, 1), 1, 2, 1);
	put16(m.buf + 22, 0x4000 | 100);	/* mode 1, interval 100 */
	CHECK_EQ(decode(&m), 2);
	CHECK_EQ(nflows, 2);
	CHECK_EQ(flows[0].type, NFX_TYPE_NETFLOW5);
	CHECK_EQ(flows[0].bytes, 1234);
	CHECK_EQ(flows[0].packets, 5);
	CHECK_EQ(flows[0].in_if, 7);
	CHECK_EQ(flows[0].out_if, 9);
	CHECK_EQ(flows[0].src_port, 40000);
	CHECK_EQ(flows[0].dst_port, 443);
	CHECK_EQ(flows[0].tcp_flags, 0x12);
	CHECK_EQ(flows[0].proto, 6);
	CHECK_EQ(flows[0].tos, 0x28);
	CHECK_EQ(flows[0].src_as, 64512);
	CHECK_EQ(flows[0].dst_as, 65001);
	CHECK_EQ(flows[0].src_mask, 16);
	CHECK_EQ(flows[0].dst_mask, 24);
	CHECK_EQ(flows[0].sampling_rate, 100);
	/* export time 1700000000.5 s, uptime 100 s: first at 90 s = 10 s earlier */
	CHECK_EQ(flows[0].start_ms, 1700000000500ull - 10000);
	CHECK_EQ(flows[0].end_ms, 1700000000500ull - 1000);
	CHECK(nfx_addr_is_v4(&flows[0].src), "v4 source");
	CHECK_EQ(flows[0].src.b[15], 3);
	CHECK_EQ(flows[0].next_hop.b[15], 1);
}

static void test_v5_uptime_wrap(void)
{
	struct legacy_msg m;

	/* uptime wrapped to 1000 ms; the flow started 3000 ms before the wrap */
	msg_init(&m, 5, 1, 1000, 1700000000, 1);
	fill_rec(msg_rec(&m, 0), 0xFFFFFFFFu - 2999, 500, 1);
	CHECK_EQ(decode(&m), 1);
	CHECK_EQ(flows[0].start_ms, 1700000000500ull - 4000);
	CHECK_EQ(flows[0].end_ms, 1700000000500ull - 500);
}

/*
 * A header without a clock (unix_secs 0) is taken at its reception time;
 * an age beyond the export time gives no time of 0: both times are then
 * the export time, counted.
 */
static void test_v5_time_fallback(void)
{
	struct legacy_msg m;
	uint64_t before = dec->stats.time_fallback;

	msg_init(&m, 5, 1, 100000, 0, 50);
	put32(m.buf + 12, 0);
	fill_rec(msg_rec(&m, 0), 90000, 99000, 1);
	CHECK_EQ(decode(&m), 1);
	CHECK_EQ(flows[0].start_ms, src.now_ms - 10000);
	CHECK_EQ(flows[0].end_ms, src.now_ms - 1000);
	CHECK_EQ(dec->stats.time_fallback, before);
	/* exported at 1970-01-01T00:00:01, the flow 90 s old */
	msg_init(&m, 5, 1, 100000, 1, 51);
	put32(m.buf + 12, 0);
	fill_rec(msg_rec(&m, 0), 10000, 10000, 1);
	CHECK_EQ(decode(&m), 1);
	CHECK_EQ(flows[0].start_ms, 1000);
	CHECK_EQ(flows[0].end_ms, 1000);
	CHECK_EQ(dec->stats.time_fallback, before + 1);
}

/* The configuration's rate overrides the header's; renormalisation on every record. */
static void test_v5_configured_sampling(void)
{
	struct nfx_sampling_rule rule = { .rate = 1000, .override = 1 };
	struct nfx_dec_policy pol = { .rules = &rule, .nrules = 1, .renormalize = 1 };
	struct legacy_msg m;

	nfx_addr_parse(&rule.exporter.addr, "::");
	rule.exporter.prefixlen = 0;		/* every exporter */
	nfx_decoder_set_policy(dec, &pol);
	msg_init(&m, 5, 2, 100000, 1700000000, 60);
	put16(m.buf + 22, 0x4000 | 64);		/* the header says 1 in 64 */
	fill_rec(msg_rec(&m, 0), 90000, 99000, 7);
	fill_rec(msg_rec(&m, 1), 90000, 99000, 9);
	CHECK_EQ(decode(&m), 2);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(flows[i].sampling_rate, 1);
		CHECK_EQ(flows[i].packets, 5 * 1000);
	}
	CHECK_EQ(flows[1].bytes, 9 * 1000);
	pol.nrules = 0;
	pol.renormalize = 0;
	nfx_decoder_set_policy(dec, &pol);
	CHECK_EQ(decode(&m), 2);
	CHECK_EQ(flows[0].sampling_rate, 64);
}

static void test_v5_bounds(void)
{
	struct legacy_msg m;
	uint64_t bad_count = dec->stats.bad_count, mism = dec->stats.length_mismatch;
	uint64_t shrt = dec->stats.short_pkt;

	msg_init(&m, 5, 31, 1000, 1, 1);
	CHECK(decode(&m) < 0, "count 31 dropped");
	CHECK_EQ(dec->stats.bad_count, bad_count + 1);
	msg_init(&m, 5, 30, 1000, 1, 1);
	CHECK_EQ(decode(&m), 30);
	msg_init(&m, 5, 3, 1000, 1, 1);
	m.len -= 1;
	CHECK(decode(&m) < 0, "truncated dropped");
	CHECK_EQ(nflows, 0);
	CHECK_EQ(dec->stats.length_mismatch, mism + 1);
	msg_init(&m, 5, 0, 1000, 1, 1);
	CHECK_EQ(decode(&m), 0);
	msg_init(&m, 5, 1, 1000, 1, 1);
	m.len = 23;
	CHECK(decode(&m) < 0, "short header dropped");
	CHECK_EQ(dec->stats.short_pkt, shrt + 1);
}

static void test_v1_v6_v7_layouts(void)
{
	struct legacy_msg m;
	uint8_t *r;

	msg_init(&m, 1, 1, 5000, 1700000000, 0);
	r = msg_rec(&m, 0);
	fill_rec(r, 4000, 5000, 77);
	r[38] = 17; r[39] = 4; r[40] = 0x02;
	CHECK_EQ(decode(&m), 1);
	CHECK_EQ(flows[0].type, NFX_TYPE_NETFLOW1);
	CHECK_EQ(flows[0].proto, 17);
	CHECK_EQ(flows[0].tos, 4);
	CHECK_EQ(flows[0].tcp_flags, 2);
	CHECK_EQ(flows[0].bytes, 77);

	msg_init(&m, 6, 2, 5000, 1700000000, 0);
	fill_rec(msg_rec(&m, 0), 4000, 5000, 66);
	fill_rec(msg_rec(&m, 1), 4000, 5000, 67);
	msg_rec(&m, 1)[38] = 6;
	CHECK_EQ(decode(&m), 2);
	CHECK_EQ(flows[1].type, NFX_TYPE_NETFLOW6);
	CHECK_EQ(flows[1].bytes, 67);
	CHECK_EQ(flows[1].proto, 6);

	msg_init(&m, 7, 1, 5000, 1700000000, 0);
	fill_rec(msg_rec(&m, 0), 4000, 5000, 55);
	CHECK_EQ(decode(&m), 1);
	CHECK_EQ(flows[0].type, NFX_TYPE_NETFLOW7);
	CHECK_EQ(flows[0].sampling_rate, 0);
}

static void test_v5_sequence(void)
{
	struct legacy_msg m;
	uint64_t lost = dec->stats.seq_lost, resets = dec->stats.seq_resets;

	src.addr.b[15] = 77;	/* a fresh exporter */
	msg_init(&m, 5, 2, 1000, 1, 0xFFFFFFFEu);
	decode(&m);
	msg_init(&m, 5, 2, 1000, 1, 0);		/* wrapped, no loss */
	decode(&m);
	CHECK_EQ(dec->stats.seq_lost, lost);
	msg_init(&m, 5, 2, 1000, 1, 7);		/* expected 2: 5 flows lost */
	decode(&m);
	CHECK_EQ(dec->stats.seq_lost, lost + 5);
	msg_init(&m, 5, 2, 1000, 1, 5);		/* late packet: not a reset */
	decode(&m);
	CHECK_EQ(dec->stats.seq_resets, resets);
	msg_init(&m, 5, 2, 1000, 1, 0xF0000000u);	/* far back: restart */
	decode(&m);
	msg_init(&m, 5, 2, 1000, 1, 0xF0000002u);	/* and on from there */
	decode(&m);
	CHECK_EQ(dec->stats.seq_resets, resets + 1);
	lost = dec->stats.seq_lost;
	msg_init(&m, 5, 2, 1000, 1, 0xF0000004u + 5000000u);	/* far ahead: restart too */
	decode(&m);
	CHECK_EQ(dec->stats.seq_resets, resets + 2);
	CHECK_EQ(dec->stats.seq_lost, lost);
	msg_init(&m, 5, 2, 1000, 1, 0x80000000u);	/* exactly half the circle away */
	decode(&m);
	CHECK_EQ(dec->stats.seq_resets, resets + 3);
	src.addr.b[15] = 0;
}

static void test_hostile_lengths(void)
{
	uint8_t buf[4096];
	uint32_t x = 12345;
	long emitted = 0, returned = 0;

	/* every prefix of random data, with each legacy version forced */
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(x % sizeof(buf));

		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (uint8_t)(x >> 16);
		}
		if (len >= 2)
			put16(buf, (uint16_t[]){ 1, 5, 6, 7 }[round & 3]);
		nflows = 0;
		int r = nfx_decode(dec, &src, buf, len, &sink);

		CHECK(r == -EINVAL || r == nflows, "return %d with %d records", r, nflows);
		emitted += nflows;
		returned += r > 0 ? r : 0;
	}
	/* what was returned was emitted, and random bytes rarely form records */
	CHECK_EQ(emitted, returned);
}

int main(void)
{
	dec = nfx_decoder_new(NULL);
	if (!dec) {
		perror("nfx_decoder_new");
		return 1;
	}
	RUN_TEST(test_v5_fields);
	RUN_TEST(test_v5_uptime_wrap);
	RUN_TEST(test_v5_time_fallback);
	RUN_TEST(test_v5_configured_sampling);
	RUN_TEST(test_v5_bounds);
	RUN_TEST(test_v1_v6_v7_layouts);
	RUN_TEST(test_v5_sequence);
	RUN_TEST(test_hostile_lengths);
	nfx_decoder_free(dec);
	CHECK_EXIT();
}

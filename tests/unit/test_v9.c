// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_v9.c - NetFlow v9 decoder and template cache tests: messages built
 * with msgbuild.h for each behaviour, a few real exporter packets, and a
 * random/mutated-input robustness run.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "decode/decode.h"
#include "decode/pending.h"
#include "decode/times.h"
#include "decode/tmpl_cache.h"
#include "dectest.h"
#include "msgbuild.h"

#define UNIX_SECS	DT_EXPORT_SECS
#define UPTIME		100000u

static struct mb msg;
static struct mb_sink sink;
static const struct nfx_sink out = { .emit = mb_collect, .ctx = &sink };

static int run(struct nfx_decoder *d, const struct nfx_src *s)
{
	sink.n = sink.total = 0;
	return nfx_decode_v9(d, s, msg.b, mb_finish(&msg), &out);
}

/* An empty template flowset: what makes a message more than a header. */
static void empty_set(void)
{
	mb_set_begin(&msg, 0);
	mb_set_end(&msg);
}

/* A softflowd-like IPv4 template: 16 fields, 42-byte records. */
static void tmpl_v4(uint16_t tid)
{
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, tid, 16);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 22, 4);
	mb_field(&msg, 21, 4);
	mb_field(&msg, 1, 4);
	mb_field(&msg, 2, 4);
	mb_field(&msg, 10, 4);
	mb_field(&msg, 14, 4);
	mb_field(&msg, 61, 1);
	mb_field(&msg, 136, 1);
	mb_field(&msg, 7, 2);
	mb_field(&msg, 11, 2);
	mb_field(&msg, 4, 1);
	mb_field(&msg, 6, 1);
	mb_field(&msg, 60, 1);
	mb_field(&msg, 5, 1);
	mb_set_end(&msg);
}

static void rec_v4(uint8_t last_octet, uint32_t bytes)
{
	mb_ip4(&msg, 10, 201, 1, last_octet);
	mb_ip4(&msg, 10, 201, 2, 20);
	mb_u32(&msg, UPTIME - 5000);	/* first */
	mb_u32(&msg, UPTIME - 1000);	/* last */
	mb_u32(&msg, bytes);
	mb_u32(&msg, 7);
	mb_u32(&msg, 3);
	mb_u32(&msg, 4);
	mb_u8(&msg, 1);			/* egress */
	mb_u8(&msg, 3);
	mb_u16(&msg, 44767);
	mb_u16(&msg, 443);
	mb_u8(&msg, 6);
	mb_u8(&msg, 0x1b);
	mb_u8(&msg, 4);
	mb_u8(&msg, 0x48);
}

static void data_v4(uint16_t tid, int nrec, uint32_t bytes)
{
	mb_set_begin(&msg, tid);
	for (int i = 0; i < nrec; i++)
		rec_v4((uint8_t)(10 + i), bytes + (uint32_t)i);
	mb_set_end(&msg);
}

/* Real exporter packets from the shared corpus (UDP payloads). */
/* softflowd-v9.pcap frame 1, from port 48185 */
static const char sfv9_1[] =
	"00090002000023f06b01fd630000000100000000000000480400001000080004000c0004"
	"00160004001500040001000400020004000a0004000e0004003d00010088000100070002"
	"000b00020004000100060001003c000100050001000000400401000e00080004000c0004"
	"00160004001500040001000400020004000a0004000e0004003d00010088000100200002"
	"00040001003c0001000500010000004808000010001b0010001c00100016000400150004"
	"0001000400020004000a0004000e0004003d00010088000100070002000b000200040001"
	"00060001003c000100050001000000400801000e001b0010001c00100016000400150004"
	"0001000400020004000a0004000e0004003d000100880001008b000200040001003c0001"
	"000500010001001a01000004000c000200040022000400230001005200100100001d0000"
	"000300000001016362762d70300000000000000000000008000089fdcb02010001000000"
	"00000000000012fdcb020100020000000000000000002000000c0500000c470000033b00"
	"00000700000003000000030003aedf0019061e0600fdcb02010002000000000000000000"
	"20fdcb020100010000000000000000001200000c0500000c47000004b200000005000000"
	"030000000301030019aedf061a060000"
	;
/* pmacct-v9-sampled.pcap frame 1, from port 58017 */
static const char pmv9s_1[] =
	"0009000900003a866b01fd69000000010000000400000048040000100099000800980008"
	"0001000800020008003c0001000a0004000e0004003d000100080004000c000400070002"
	"000b00020005000100060001000400010030000100000048040100100099000800980008"
	"0001000800020008003c0001000a0004000e0004003d000100080004000c000400070002"
	"000b00020005000100060001000400010030000100000048080000100099000800980008"
	"0001000800020008003c0001000a0004000e0004003d0001001b0010001c001000050001"
	"00070002000b000200060001000400010030000100000048080100100099000800980008"
	"0001000800020008003c0001000a0004000e0004003d0001001b0010001c001000050001"
	"00070002000b00020006000100040001003000010001001a10000004000c000100040030"
	"000100310001003200040001001610020004000800010004008200040083001010000010"
	"0ac9090101020000000400001002001c0ac909010ac90901000000000000000000000000"
	"0000000004000040000001a1ffc5b4ad000001a1ffc5b4ad000000000000022400000000"
	"00000001040000000200000000000ac9010f0ac90214868407d0000011010000"
	;
/* pmacct-v9-sampled.pcap frame 2, from port 58017 */
static const char pmv9s_2[] =
	"0009000700003a866b01fd69000000020000000404000078000001a1ffc5b5d2000001a1"
	"ffc5b5d20000000000000bb80000000000000002040000000200000000000ac901150ac9"
	"0217c37507d000001101000001a1ffc5b659000001a1ffc5b65200000000000000ae0000"
	"000000000002040000000200000000000ac9010e0ac90235884d00350000110108000058"
	"000001a1ffc5b6b8000001a1ffc5b6b80000000000000099000000000000000106000000"
	"020000000000fdcb0201000100000000000000000014fdcb020100020000000000000000"
	"002000d99202020011010000040000ec000001a1ffc5b6e7000001a1ffc5b6c700000000"
	"000000b80000000000000002040000000200000000000ac901160ac90216000000002000"
	"2f01000001a1ffc5b78e000001a1ffc5b78e000000000000005c00000000000000010400"
	"00000200000000000ac901160ac902160000000000003201000001a1ffc5b821000001a1"
	"ffc5b82100000000000000400000000000000001040000000200000000000ac9010a0ac9"
	"0235aa2a003500001101000001a1ffc5b8aa000001a1ffc5b85600000000000006700000"
	"000000000002040000000200000000000ac901160ac90216b6c207d000001101"
	;

static void test_v9_template_then_data(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(40000);
	const struct nfx_flow *f;
	int n;

	mb_v9_hdr(&msg, 2, UPTIME, UNIX_SECS, 7, 42);
	tmpl_v4(1024);
	data_v4(1024, 2, 1500);
	n = run(d, &s);
	CHECK_EQ(n, 2);
	CHECK_EQ(sink.n, 2);
	CHECK_EQ(d->stats.templates_learned, 1);
	CHECK_EQ(d->stats.records[NFX_SLOT_V9], 2);
	CHECK_EQ(d->stats.packets[NFX_SLOT_V9], 1);
	f = &sink.f[0];
	CHECK_EQ(f->type, NFX_TYPE_NETFLOW9);
	CHECK_EQ(f->ip_version, 4);
	CHECK_EQ(f->src.b[15], 10);
	CHECK_EQ(f->src.b[10], 0xff);
	CHECK_EQ(f->dst.b[15], 20);
	CHECK_EQ(f->bytes, 1500);
	CHECK_EQ(sink.f[1].bytes, 1501);
	CHECK_EQ(f->packets, 7);
	CHECK_EQ(f->in_if, 3);
	CHECK_EQ(f->out_if, 4);
	CHECK_EQ(f->direction, 1);
	CHECK_EQ(f->src_port, 44767);
	CHECK_EQ(f->dst_port, 443);
	CHECK_EQ(f->proto, 6);
	CHECK_EQ(f->tcp_flags, 0x1b);
	CHECK_EQ(f->tos, 0x48);
	CHECK_EQ(f->start_ms, (uint64_t)UNIX_SECS * 1000 - 5000);
	CHECK_EQ(f->end_ms, (uint64_t)UNIX_SECS * 1000 - 1000);
	CHECK_EQ(f->domain_id, 42);
	CHECK_EQ(f->sequence, 7);
	CHECK_EQ(f->exporter_port, 40000);
	CHECK_EQ(f->exporter.b[15], 1);
	CHECK_EQ(f->sampling_rate, 0);
	CHECK_EQ(f->present & (NFX_F_SRC_ADDR | NFX_F_DST_ADDR | NFX_F_START | NFX_F_END |
			       NFX_F_DOMAIN | NFX_F_IN_IF | NFX_F_OUT_IF | NFX_F_DIRECTION |
			       NFX_F_PROTO | NFX_F_SRC_PORT | NFX_F_DST_PORT | NFX_F_TOS),
		 NFX_F_SRC_ADDR | NFX_F_DST_ADDR | NFX_F_START | NFX_F_END | NFX_F_DOMAIN |
		 NFX_F_IN_IF | NFX_F_OUT_IF | NFX_F_DIRECTION | NFX_F_PROTO |
		 NFX_F_SRC_PORT | NFX_F_DST_PORT | NFX_F_TOS);
	CHECK_EQ(f->present & (NFX_F_SRC_MAC | NFX_F_VLAN | NFX_F_ICMP | NFX_F_SRC_AS), 0);
	nfx_decoder_free(d);
}

static void test_v9_data_before_template(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(40001);

	int n;

	/* the data waits for its template, which then decodes it: 3 + 3 */
	mb_v9_hdr(&msg, 3, UPTIME, UNIX_SECS, 1, 11);
	data_v4(256, 3, 100);
	n = run(d, &s);
	CHECK_EQ(n, 0);
	CHECK_EQ(d->stats.template_not_found, 1);
	CHECK_EQ(d->stats.pending_buffered, 1);
	mb_v9_hdr(&msg, 1, UPTIME + 2000, UNIX_SECS + 2, 2, 11);
	tmpl_v4(256);
	s.now_ms += 2000;
	n = run(d, &s);
	CHECK_EQ(n, 3);
	CHECK_EQ(d->stats.pending_decoded, 1);
	CHECK_EQ(d->stats.pending_records_decoded, 3);
	/* times and sequence come from the message the data arrived in */
	CHECK_EQ(sink.f[0].start_ms, (uint64_t)UNIX_SECS * 1000 - 5000);
	CHECK_EQ(sink.f[0].sequence, 1);
	CHECK_EQ(sink.f[0].exporter_port, 40001);
	CHECK_EQ(sink.f[0].domain_id, 11);
	CHECK_EQ(sink.f[2].bytes, 102);
	mb_v9_hdr(&msg, 3, UPTIME, UNIX_SECS, 3, 11);
	data_v4(256, 3, 100);
	n = run(d, &s);
	CHECK_EQ(n, 3);
	CHECK_EQ(d->stats.template_not_found, 1);
	CHECK_EQ(d->stats.seq_lost, 0);
	CHECK_EQ(d->stats.records[NFX_SLOT_V9], 6);
	CHECK_EQ(nfx_pending_bytes(d->pend), 0);
	nfx_decoder_free(d);
}

static void test_v9_redefinition(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(40002);

	mb_v9_hdr(&msg, 3, UPTIME, UNIX_SECS, 1, 5);
	tmpl_v4(400);
	data_v4(400, 2, 1500);
	CHECK_EQ(run(d, &s), 2);
	/* 400 becomes (bytes 8, src 4, dst 4): 16-byte records */
	mb_v9_hdr(&msg, 2, UPTIME, UNIX_SECS, 2, 5);
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 400, 3);
	mb_field(&msg, 1, 8);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_set_end(&msg);
	mb_set_begin(&msg, 400);
	mb_u64(&msg, 777);
	mb_ip4(&msg, 1, 2, 3, 4);
	mb_ip4(&msg, 5, 6, 7, 8);
	mb_u64(&msg, 778);
	mb_ip4(&msg, 1, 2, 3, 4);
	mb_ip4(&msg, 5, 6, 7, 8);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 2);
	CHECK_EQ(sink.f[0].bytes, 777);
	CHECK_EQ(sink.f[1].bytes, 778);
	CHECK_EQ(sink.f[1].dst.b[15], 8);
	/* no time element: both times are the export time, counted */
	CHECK_EQ(sink.f[0].start_ms, (uint64_t)UNIX_SECS * 1000);
	CHECK_EQ(sink.f[0].end_ms, (uint64_t)UNIX_SECS * 1000);
	CHECK_EQ(d->stats.time_fallback, 2);
	CHECK_EQ(d->stats.templates_learned, 2);
	CHECK_EQ(nfx_tmpl_count(d->tmpl), 1);
	nfx_decoder_free(d);
}

/* Template 256 means different things per source id, per port, per protocol. */
static void test_v9_scope(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src a = src4(41000), b = src4(41001);

	mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, 1, 21);
	tmpl_v4(256);
	run(d, &a);
	mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, 1, 22);	/* other source id: 8-byte records */
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 256, 2);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 2, 4);
	mb_set_end(&msg);
	run(d, &a);
	mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, 1, 21);	/* other port, same source id */
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 256, 1);
	mb_field(&msg, 12, 4);
	mb_set_end(&msg);
	run(d, &b);
	CHECK_EQ(nfx_tmpl_count(d->tmpl), 3);

	mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, 2, 21);
	data_v4(256, 1, 99);
	CHECK_EQ(run(d, &a), 1);
	CHECK_EQ(sink.f[0].bytes, 99);
	mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, 2, 22);
	mb_set_begin(&msg, 256);
	mb_ip4(&msg, 9, 9, 9, 9);
	mb_u32(&msg, 55);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &a), 1);
	CHECK_EQ(sink.f[0].packets, 55);
	CHECK_EQ(sink.f[0].src.b[12], 9);
	mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, 2, 21);
	mb_set_begin(&msg, 256);
	mb_ip4(&msg, 7, 7, 7, 7);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &b), 1);
	CHECK_EQ(sink.f[0].present & (NFX_F_SRC_ADDR | NFX_F_DST_ADDR), NFX_F_DST_ADDR);
	CHECK_EQ(sink.f[0].dst.b[12], 7);

	/* IPFIX data for template 256 of the same exporter/domain: not v9's */
	mb_ipfix_hdr(&msg, UNIX_SECS, 0, 21);
	data_v4(256, 1, 5);
	sink.n = 0;
	CHECK_EQ(nfx_decode_ipfix(d, &a, msg.b, mb_finish(&msg), &out), 0);
	CHECK_EQ(d->stats.template_not_found, 1);
	nfx_decoder_free(d);

	/* address-only scope: the second port sees the first port's template */
	d = dec_new(0, 1);
	mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, 1, 21);
	tmpl_v4(256);
	run(d, &a);
	mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, 2, 21);
	data_v4(256, 1, 99);
	CHECK_EQ(run(d, &b), 1);
	CHECK_EQ(sink.f[0].exporter_port, 41001);
	nfx_decoder_free(d);
}

static void opt_tmpl_sampling(uint16_t tid)
{
	mb_set_begin(&msg, 1);
	mb_v9_opt_tmpl(&msg, tid, 4, 12);
	mb_field(&msg, 2, 4);		/* scope: interface */
	mb_field(&msg, 34, 4);
	mb_field(&msg, 35, 1);
	mb_field(&msg, 82, 7);
	mb_set_end(&msg);		/* unpadded, as softflowd sends it */
}

/* softflowd's options template and record: interface 3 is sampled 1 in 4. */
static void opt_sampling(uint16_t tid)
{
	opt_tmpl_sampling(tid);
	mb_set_begin(&msg, tid);
	mb_u32(&msg, 3);
	mb_u32(&msg, 4);
	mb_u8(&msg, 1);
	mb_bytes(&msg, "cbv-p0", 7);
	mb_set_end(&msg);		/* unpadded: 4 + 16 = 20 bytes */
}

static void test_v9_options_sampling(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(40003), other = src4(40004);

	mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, 1, 0);
	opt_sampling(256);
	tmpl_v4(1024);
	data_v4(1024, 2, 10);
	CHECK_EQ(run(d, &s), 2);
	CHECK_EQ(d->stats.options_records, 1);
	CHECK_EQ(sink.f[0].sampling_rate, 4);
	CHECK_EQ(sink.f[1].sampling_rate, 4);
	/* another source id of the exporter is not sampled */
	mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, 1, 1);
	tmpl_v4(1024);
	data_v4(1024, 1, 10);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].sampling_rate, 0);
	/* nor another exporter port */
	mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, 1, 0);
	tmpl_v4(1024);
	data_v4(1024, 1, 10);
	CHECK_EQ(run(d, &other), 1);
	CHECK_EQ(sink.f[0].sampling_rate, 0);

	/* pmacct style: sampler random interval (50) beats sampling interval (34) */
	mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, 2, 0);
	mb_set_begin(&msg, 1);
	mb_v9_opt_tmpl(&msg, 4096, 4, 12);
	mb_field(&msg, 1, 4);
	mb_field(&msg, 48, 1);
	mb_field(&msg, 50, 4);
	mb_field(&msg, 34, 4);
	mb_set_end_pad(&msg, 4);
	mb_set_begin(&msg, 4096);
	mb_u32(&msg, 0x0ac90901);
	mb_u8(&msg, 1);
	mb_u32(&msg, 10);
	mb_u32(&msg, 3);
	mb_set_end_pad(&msg, 4);
	data_v4(1024, 1, 10);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].sampling_rate, 10);
	CHECK_EQ(d->stats.options_records, 2);
	nfx_decoder_free(d);
}

/*
 * The configuration's sampling rates: a default for an exporter that
 * announces none, an override for one that announces a wrong one, the most
 * specific prefix first; renormalisation multiplies bytes and packets.
 */
/* @nrec records of template 1024 (sent along) under policy @pol. */
static int run_policy(struct nfx_decoder *d, const struct nfx_src *s,
		      const struct nfx_dec_policy *pol, uint32_t seq, uint32_t source_id, int nrec)
{
	nfx_decoder_set_policy(d, pol);
	mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, seq, source_id);
	tmpl_v4(1024);
	data_v4(1024, nrec, 10);
	return run(d, s);
}

static void test_v9_configured_sampling(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(40014);
	struct nfx_sampling_rule rules[2] = {
		{ .rate = 512, .override = 1 },		/* 10.201.9.1 itself */
		{ .rate = 100 },			/* 10.0.0.0/8 */
	};
	struct nfx_dec_policy pol = { .rules = rules + 1, .nrules = 1 };

	CHECK_EQ(nfx_prefix_parse("10.201.9.1", &rules[0].exporter), 0);
	CHECK_EQ(nfx_prefix_parse("10.0.0.0/8", &rules[1].exporter), 0);
	/* announces none: the default of its /8 (the host rule set aside) */
	CHECK_EQ(run_policy(d, &s, &pol, 1, 0, 1), 1);
	CHECK_EQ(sink.f[0].sampling_rate, 100);
	CHECK_EQ(sink.f[0].bytes, 10);
	/* announces 4 (options): a default leaves it, an override replaces it */
	mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, 2, 0);
	opt_sampling(256);
	data_v4(1024, 1, 10);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].sampling_rate, 4);
	pol.rules = rules;
	pol.nrules = 2;
	CHECK_EQ(run_policy(d, &s, &pol, 3, 0, 1), 1);
	CHECK_EQ(sink.f[0].sampling_rate, 512);
	/* renormalised: volumes times the rate, which becomes 1 */
	pol.renormalize = 1;
	CHECK_EQ(run_policy(d, &s, &pol, 4, 0, 2), 2);
	CHECK_EQ(sink.f[0].sampling_rate, 1);
	CHECK_EQ(sink.f[0].bytes, 10 * 512);
	CHECK_EQ(sink.f[0].packets, 7 * 512);
	CHECK_EQ(sink.f[1].bytes, 11 * 512);
	/* no rule, no rate: left alone, nothing multiplied */
	pol.nrules = 0;
	CHECK_EQ(run_policy(d, &s, &pol, 5, 1, 1), 1);
	CHECK_EQ(sink.f[0].sampling_rate, 0);
	CHECK_EQ(sink.f[0].bytes, 10);
	nfx_decoder_free(d);
}

/*
 * exporter_address_from_export: pmacct's options record (scope system, IE
 * 130) states the exporter's own address; with the policy on, the records
 * of the domain carry it (those after it in the same message, the next
 * messages, held data sets), otherwise the packet's source.
 */
static void test_v9_exporter_from_export(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(40015);
	struct nfx_dec_policy pol = { .exporter_from_export = 0 };

	for (int on = 0; on < 2; on++) {
		pol.exporter_from_export = on;
		nfx_decoder_set_policy(d, &pol);
		mb_v9_hdr(&msg, 3, UPTIME, UNIX_SECS, (uint32_t)on * 2 + 1, (uint32_t)on);
		mb_set_begin(&msg, 1);
		mb_v9_opt_tmpl(&msg, 4099, 4, 4);
		mb_field(&msg, 1, 4);		/* scope: system */
		mb_field(&msg, 130, 4);
		mb_set_end(&msg);
		mb_set_begin(&msg, 4099);
		mb_u32(&msg, 0x0ac90901);
		mb_ip4(&msg, 192, 0, 2, 77);
		mb_set_end(&msg);
		tmpl_v4(1024);
		data_v4(1024, 1, 10);
		CHECK_EQ(run(d, &s), 1);
		CHECK(sink.f[0].exporter.b[12] == (on ? 192 : 10) &&
		      sink.f[0].exporter.b[15] == (on ? 77 : 1), "same message, policy %d", on);
		mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, (uint32_t)on * 2 + 2, (uint32_t)on);
		data_v4(1024, 1, 10);
		CHECK_EQ(run(d, &s), 1);
		CHECK(sink.f[0].exporter.b[15] == (on ? 77 : 1), "next message, policy %d", on);
	}
	nfx_decoder_free(d);
}

static void test_v9_bad_options_template(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(40005);

	mb_v9_hdr(&msg, 3, UPTIME, UNIX_SECS, 1, 0);
	mb_set_begin(&msg, 1);
	mb_v9_opt_tmpl(&msg, 501, 3, 4);	/* scope length not a multiple of 4 */
	mb_u8(&msg, 0);
	mb_u16(&msg, 1);
	mb_field(&msg, 34, 4);
	mb_set_end(&msg);
	mb_set_begin(&msg, 1);
	mb_v9_opt_tmpl(&msg, 502, 0, 0);
	mb_set_end(&msg);
	mb_set_begin(&msg, 1);
	mb_v9_opt_tmpl(&msg, 500, 4, 4);
	mb_field(&msg, 1, 4);
	mb_field(&msg, 34, 4);
	mb_set_end(&msg);
	mb_set_begin(&msg, 500);
	mb_u32(&msg, 0);
	mb_u32(&msg, 100);
	mb_set_end(&msg);
	mb_set_begin(&msg, 501);
	mb_u32(&msg, 0);
	mb_u32(&msg, 100);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 0);
	CHECK_EQ(d->stats.bad_template, 2);
	CHECK_EQ(d->stats.templates_learned, 1);
	CHECK_EQ(d->stats.options_records, 1);
	CHECK_EQ(d->stats.template_not_found, 1);
	nfx_decoder_free(d);
}

static void test_v9_bad_templates(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(40006);

	mb_v9_hdr(&msg, 3, UPTIME, UNIX_SECS, 1, 0);
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 260, 0);		/* no fields */
	mb_tmpl(&msg, 255, 1);		/* reserved id */
	mb_field(&msg, 8, 4);
	mb_tmpl(&msg, 261, 1);
	mb_field(&msg, 8, 4);
	mb_tmpl(&msg, 262, 1);		/* zero-length record */
	mb_field(&msg, 8, 0);
	mb_tmpl(&msg, 263, 1);		/* IPFIX's varlen, tolerated (H3C) */
	mb_field(&msg, 82, 0xffff);
	mb_set_end(&msg);
	mb_set_begin(&msg, 260);
	mb_u32(&msg, 0);
	mb_set_end(&msg);
	mb_set_begin(&msg, 261);
	mb_ip4(&msg, 1, 1, 1, 1);
	mb_ip4(&msg, 1, 1, 1, 2);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 2);
	CHECK_EQ(d->stats.bad_template, 3);
	CHECK_EQ(d->stats.templates_learned, 2);
	CHECK_EQ(d->stats.v9_varlen_fields, 1);
	CHECK_EQ(d->stats.template_not_found, 1);
	/* a template running past its flowset stops that flowset */
	mb_v9_hdr(&msg, 3, UPTIME, UNIX_SECS, 2, 0);
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 270, 20);
	mb_field(&msg, 8, 4);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 0);
	CHECK_EQ(d->stats.bad_template, 4);
	nfx_decoder_free(d);
}

/* Set lengths 0, 2 and past the end end the walk; reserved ids are skipped. */
static void test_v9_set_lengths(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(40007);
	size_t len;

	mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, 1, 0);
	tmpl_v4(300);
	run(d, &s);

	for (int bad = 0; bad < 3; bad++) {
		static const uint16_t lens[3] = { 0, 2, 500 };

		mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, 2, 0);
		mb_u16(&msg, 300);
		mb_u16(&msg, lens[bad]);
		rec_v4(1, 1);
		CHECK_EQ(run(d, &s), -EINVAL);
	}
	CHECK_EQ(d->stats.bad_set_length, 3);
	CHECK_EQ(d->stats.dropped[NFX_SLOT_V9], 3);

	/* a good set, then a bad one: the good records stay */
	mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, 3, 0);
	data_v4(300, 2, 1);
	mb_u16(&msg, 300);
	mb_u16(&msg, 900);
	rec_v4(1, 1);
	CHECK_EQ(run(d, &s), 2);
	CHECK_EQ(d->stats.bad_set_length, 4);

	/* reserved flowset ids 2..255 are skipped by length */
	mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, 4, 0);
	mb_set_begin(&msg, 255);
	rec_v4(1, 1);
	mb_set_end(&msg);
	mb_set_begin(&msg, 2);
	mb_u32(&msg, 0);
	mb_set_end(&msg);
	data_v4(300, 1, 1);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(d->stats.bad_set_length, 4);

	/* trailing bytes shorter than a set header: counted, the records stay */
	for (size_t extra = 1; extra <= 3; extra++) {
		mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, (uint32_t)(4 + extra), 0);
		data_v4(300, 1, 1);
		len = mb_finish(&msg);
		msg.b[len] = msg.b[len + 1] = msg.b[len + 2] = 0;
		sink.n = 0;
		CHECK_EQ(nfx_decode_v9(d, &s, msg.b, len + extra, &out), 1);
		CHECK_EQ(d->stats.length_mismatch, extra);
	}
	CHECK_EQ(d->stats.dropped[NFX_SLOT_V9], 3);

	/* shorter than the header */
	CHECK_EQ(nfx_decode_v9(d, &s, msg.b, 19, &out), -EINVAL);
	CHECK_EQ(d->stats.short_pkt, 1);
	nfx_decoder_free(d);
}

/*
 * Every datagram counted once, with the XDP program's minimum lengths
 * (design §2): below 4 bytes in slot other, a v9 header without room for
 * one flowset (20-23 bytes) dropped as length_mismatch.
 */
static void test_v9_short_messages(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(40020);
	int r;

	mb_v9_hdr(&msg, 0, UPTIME, UNIX_SECS, 1, 0);
	mb_u32(&msg, 0);
	for (size_t len = 0; len < 4; len++) {
		r = nfx_decode(d, &s, msg.b, len, &out);
		CHECK_EQ(r, -EINVAL);
	}
	CHECK_EQ(d->stats.packets[NFX_SLOT_OTHER], 4);
	CHECK_EQ(d->stats.dropped[NFX_SLOT_OTHER], 4);
	CHECK_EQ(d->stats.short_pkt, 4);
	CHECK_EQ(d->stats.packets[NFX_SLOT_V9], 0);
	for (size_t len = 4; len < 24; len++) {
		msg.b[2] = 0;
		msg.b[3] = (uint8_t)len;
		CHECK_EQ(nfx_decode(d, &s, msg.b, len, &out), -EINVAL);
	}
	CHECK_EQ(d->stats.packets[NFX_SLOT_V9], 20);
	CHECK_EQ(d->stats.dropped[NFX_SLOT_V9], 20);
	CHECK_EQ(d->stats.short_pkt, 4 + 16);
	CHECK_EQ(d->stats.length_mismatch, 4);
	/* no exporter-domain state for what was refused */
	CHECK_EQ(nfx_tmpl_domain_count(d->tmpl), 0);
	/* 24 bytes: the header and an empty set */
	mb_v9_hdr(&msg, 0, UPTIME, UNIX_SECS, 1, 0);
	empty_set();
	CHECK_EQ(run(d, &s), 0);
	CHECK_EQ(d->stats.dropped[NFX_SLOT_V9], 20);
	CHECK_EQ(d->stats.length_mismatch, 4);
	nfx_decoder_free(d);
}

static void test_v9_padding(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(40008);

	mb_v9_hdr(&msg, 4, UPTIME, UNIX_SECS, 1, 0);
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 256, 4);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 2, 4);
	mb_field(&msg, 4, 1);
	mb_set_end(&msg);
	mb_set_begin(&msg, 256);
	for (int i = 0; i < 3; i++) {
		mb_ip4(&msg, 10, 0, 0, (uint8_t)i);
		mb_ip4(&msg, 10, 0, 1, 1);
		mb_u32(&msg, 5);
		mb_u8(&msg, 17);
	}
	mb_set_end_pad(&msg, 4);	/* 4 + 39 + 1: one byte of padding */
	mb_set_begin(&msg, 256);
	mb_ip4(&msg, 10, 0, 0, 9);
	mb_ip4(&msg, 10, 0, 1, 1);
	mb_u32(&msg, 5);
	mb_u8(&msg, 17);
	mb_u32(&msg, 0);
	mb_u32(&msg, 0);
	mb_u32(&msg, 0);		/* 12 bytes of padding < 13-byte record */
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 4);
	CHECK_EQ(sink.f[3].src.b[15], 9);
	CHECK_EQ(d->stats.record_overrun, 0);
	nfx_decoder_free(d);
}

/* Types above 32767 are plain v9 types (no enterprise bit): skipped by length. */
static void test_v9_high_field_ids(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(40009);

	mb_v9_hdr(&msg, 2, UPTIME, UNIX_SECS, 1, 0);
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 256, 4);
	mb_field(&msg, 40000, 4);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 0x8001, 2);	/* would be PEN-bit + IE 1 in IPFIX */
	mb_field(&msg, 12, 4);
	mb_set_end(&msg);
	mb_set_begin(&msg, 256);
	mb_u32(&msg, 0xdeadbeef);
	mb_ip4(&msg, 1, 2, 3, 4);
	mb_u16(&msg, 999);
	mb_ip4(&msg, 5, 6, 7, 8);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].src.b[12], 1);
	CHECK_EQ(sink.f[0].dst.b[15], 8);
	CHECK_EQ(sink.f[0].bytes, 0);
	nfx_decoder_free(d);
}

/* Reduced-size integers, 2-byte AS, 8-byte counters, masks, next hops. */
static void test_v9_reduced_size(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(40010);
	const struct nfx_flow *f;

	mb_v9_hdr(&msg, 2, UPTIME, UNIX_SECS, 1, 0);
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 256, 12);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 1, 2);
	mb_field(&msg, 2, 8);
	mb_field(&msg, 16, 2);
	mb_field(&msg, 17, 4);
	mb_field(&msg, 9, 1);
	mb_field(&msg, 13, 1);
	mb_field(&msg, 15, 4);
	mb_field(&msg, 18, 4);
	mb_field(&msg, 10, 2);
	mb_field(&msg, 6, 2);
	mb_set_end(&msg);
	mb_set_begin(&msg, 256);
	mb_ip4(&msg, 1, 2, 3, 4);
	mb_ip4(&msg, 5, 6, 7, 8);
	mb_u16(&msg, 1234);
	mb_u64(&msg, 0x100000000ull);
	mb_u16(&msg, 64601);
	mb_u32(&msg, 4200000001u);
	mb_u8(&msg, 24);
	mb_u8(&msg, 25);
	mb_ip4(&msg, 10, 0, 0, 1);
	mb_ip4(&msg, 10, 0, 0, 2);
	mb_u16(&msg, 7);
	mb_u16(&msg, 0x0112);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 1);
	f = &sink.f[0];
	CHECK_EQ(f->bytes, 1234);
	CHECK_EQ(f->packets, 0x100000000ull);
	CHECK_EQ(f->src_as, 64601);
	CHECK_EQ(f->dst_as, 4200000001u);
	CHECK_EQ(f->src_mask, 24);
	CHECK_EQ(f->dst_mask, 25);
	CHECK_EQ(f->next_hop.b[15], 1);
	CHECK_EQ(f->bgp_next_hop.b[15], 2);
	CHECK_EQ(f->in_if, 7);
	CHECK_EQ(f->tcp_flags, 0x12);
	CHECK(f->present & NFX_F_SRC_AS && f->present & NFX_F_DST_AS &&
	      f->present & NFX_F_NEXT_HOP && f->present & NFX_F_BGP_NEXT_HOP &&
	      f->present & NFX_F_SRC_MASK && f->present & NFX_F_DST_MASK, "present bits");
	nfx_decoder_free(d);
}

/* The uptime counter wrapped between flow start and export. */
static void test_v9_uptime_wrap(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(40011);

	mb_v9_hdr(&msg, 2, 3000, UNIX_SECS, 1, 0);
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 256, 4);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 22, 4);
	mb_field(&msg, 21, 4);
	mb_set_end(&msg);
	mb_set_begin(&msg, 256);
	mb_ip4(&msg, 1, 2, 3, 4);
	mb_ip4(&msg, 5, 6, 7, 8);
	mb_u32(&msg, 0xffffffffu - 1999);	/* 5 s before export, across the wrap */
	mb_u32(&msg, 1000);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].start_ms, (uint64_t)UNIX_SECS * 1000 - 5000);
	CHECK_EQ(sink.f[0].end_ms, (uint64_t)UNIX_SECS * 1000 - 2000);
	nfx_decoder_free(d);
}

/*
 * v9's boot is the export time less the header uptime: an absolute time
 * before it is replaced (and counted), unless the record's uptime times
 * show the 32-bit uptime wrapped, when the boot is unknown.  pmacct's
 * 16-byte timeval form of IE 154/155 is read in v9 as in IPFIX.
 */
static void test_v9_time_fallbacks(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(40012);
	uint64_t boot = (uint64_t)UNIX_SECS * 1000 - 3000;

	mb_v9_hdr(&msg, 2, 3000, UNIX_SECS, 1, 0);
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 256, 4);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 152, 8);
	mb_field(&msg, 153, 8);
	mb_tmpl(&msg, 257, 3);
	mb_field(&msg, 152, 8);
	mb_field(&msg, 21, 4);
	mb_field(&msg, 8, 4);
	mb_tmpl(&msg, 258, 3);
	mb_field(&msg, 154, 16);
	mb_field(&msg, 155, 16);
	mb_field(&msg, 8, 4);
	mb_set_end(&msg);
	mb_set_begin(&msg, 256);
	mb_ip4(&msg, 1, 2, 3, 4);
	mb_ip4(&msg, 5, 6, 7, 8);
	mb_u64(&msg, boot - NFX_BOOT_SLACK_MS - 1);	/* before the boot */
	mb_u64(&msg, boot + 500);
	mb_set_end(&msg);
	mb_set_begin(&msg, 257);
	mb_u64(&msg, boot - 4000);
	mb_u32(&msg, 0xffffffffu - 999);	/* wrapped: the boot is unknown */
	mb_ip4(&msg, 1, 2, 3, 5);
	mb_set_end(&msg);
	mb_set_begin(&msg, 258);
	mb_u64(&msg, UNIX_SECS - 2);		/* timeval start, end */
	mb_u64(&msg, 5000);
	mb_u64(&msg, UNIX_SECS - 1);
	mb_u64(&msg, 250000);
	mb_ip4(&msg, 1, 2, 3, 6);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 3);
	CHECK_EQ(sink.f[0].start_ms, boot + 500);
	CHECK_EQ(sink.f[0].end_ms, boot + 500);
	CHECK_EQ(sink.f[1].start_ms, boot - 4000);
	CHECK_EQ(sink.f[1].end_ms, boot - 1000);
	CHECK_EQ(sink.f[2].start_ms, (uint64_t)UNIX_SECS * 1000 - 1995);
	CHECK_EQ(sink.f[2].end_ms, (uint64_t)UNIX_SECS * 1000 - 750);
	CHECK_EQ(d->stats.time_fallback, 1);
	nfx_decoder_free(d);
}

/*
 * Cisco ASA NSEL: NF_F_XLATE_* (40001-40004) are the post-NAT endpoints and
 * NF_F_FW_EVENT (40005) the firewall event; 233, when both come, wins.
 */
static void test_v9_nsel(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(40013);
	const struct nfx_flow *f;

	mb_v9_hdr(&msg, 3, UPTIME, UNIX_SECS, 1, 0);
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 263, 7);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 40001, 4);
	mb_field(&msg, 40002, 4);
	mb_field(&msg, 40003, 2);
	mb_field(&msg, 40004, 2);
	mb_field(&msg, 40005, 1);
	mb_tmpl(&msg, 264, 3);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 40005, 1);
	mb_field(&msg, 233, 1);
	mb_set_end(&msg);
	mb_set_begin(&msg, 263);
	mb_ip4(&msg, 10, 0, 0, 1);
	mb_ip4(&msg, 198, 51, 100, 7);
	mb_ip4(&msg, 203, 0, 113, 5);
	mb_ip4(&msg, 198, 51, 100, 7);
	mb_u16(&msg, 1025);
	mb_u16(&msg, 443);
	mb_u8(&msg, 2);
	mb_set_end(&msg);
	mb_set_begin(&msg, 264);
	mb_ip4(&msg, 10, 0, 0, 2);
	mb_u8(&msg, 4);
	mb_u8(&msg, 5);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 2);
	f = &sink.f[0];
	CHECK(f->nat_src.b[12] == 203 && f->nat_src.b[15] == 5, "NSEL xlate source");
	CHECK(f->nat_dst.b[12] == 198 && f->nat_dst.b[15] == 7, "NSEL xlate destination");
	CHECK_EQ(f->nat_src_port, 1025);
	CHECK_EQ(f->nat_dst_port, 443);
	CHECK_EQ(f->fw_event, 2);
	CHECK_EQ(f->present2 & NFX_F2_NAT_EVENT, 0);
	CHECK_EQ(sink.f[1].fw_event, 5);
	nfx_decoder_free(d);
}

/* pmacct sends IPFIX absolute times (152/153) in v9; IPv6, MACs, VLAN, ICMPv6. */
static void test_v9_ipv6_macs_abs_times(void)
{
	static const uint8_t a6[16] = { 0xfd, 0xcb, 2, 1, 0, 1, [15] = 0x12 };
	static const uint8_t b6[16] = { 0xfd, 0xcb, 2, 1, 0, 2, [15] = 0x20 };
	static const uint8_t m1[6] = { 0x16, 0xc7, 0x89, 0xcb, 0x62, 0x21 };
	static const uint8_t m2[6] = { 0x06, 0x36, 0x02, 0x77, 0x22, 0x92 };
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(40012);
	const struct nfx_flow *f;

	mb_v9_hdr(&msg, 2, UPTIME, UNIX_SECS, 1, 909);
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 2049, 11);
	mb_field(&msg, 153, 8);
	mb_field(&msg, 152, 8);
	mb_field(&msg, 27, 16);
	mb_field(&msg, 28, 16);
	mb_field(&msg, 63, 16);
	mb_field(&msg, 29, 1);
	mb_field(&msg, 81, 6);
	mb_field(&msg, 57, 6);
	mb_field(&msg, 59, 2);
	mb_field(&msg, 139, 2);
	mb_field(&msg, 4, 1);
	mb_set_end(&msg);
	mb_set_begin(&msg, 2049);
	mb_u64(&msg, 1795292509785ull);
	mb_u64(&msg, 1795292509650ull);
	mb_bytes(&msg, a6, 16);
	mb_bytes(&msg, b6, 16);
	mb_bytes(&msg, a6, 16);
	mb_u8(&msg, 64);
	mb_bytes(&msg, m1, 6);
	mb_bytes(&msg, m2, 6);
	mb_u16(&msg, 0x1000 | 201);
	mb_u16(&msg, 128 << 8);		/* echo request */
	mb_u8(&msg, 58);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 1);
	f = &sink.f[0];
	CHECK_EQ(f->ip_version, 6);
	CHECK(!memcmp(f->src.b, a6, 16), "src6");
	CHECK(!memcmp(f->dst.b, b6, 16), "dst6");
	CHECK(!memcmp(f->bgp_next_hop.b, a6, 16), "bgp nh6");
	CHECK_EQ(f->src_mask, 64);
	CHECK(!memcmp(f->src_mac, m1, 6), "src mac");
	CHECK(!memcmp(f->dst_mac, m2, 6), "dst mac");
	CHECK_EQ(f->vlan, 201);
	CHECK_EQ(f->icmp_type, 128);
	CHECK_EQ(f->icmp_code, 0);
	CHECK_EQ(f->start_ms, 1795292509650ull);
	CHECK_EQ(f->end_ms, 1795292509785ull);
	CHECK(f->present & NFX_F_SRC_MAC && f->present & NFX_F_DST_MAC &&
	      f->present & NFX_F_VLAN && f->present & NFX_F_ICMP && f->present & NFX_F_START,
	      "present bits");
	nfx_decoder_free(d);
}

static void test_v9_template_limit(void)
{
	struct nfx_decoder *d = dec_new(8, 0);
	struct nfx_src s = src4(40013);

	mb_v9_hdr(&msg, 10, UPTIME, UNIX_SECS, 1, 0);
	for (uint16_t t = 256; t < 266; t++)
		tmpl_v4(t);
	run(d, &s);
	CHECK_EQ(d->stats.templates_learned, 8);
	CHECK_EQ(d->stats.template_limit, 2);
	CHECK_EQ(nfx_tmpl_count(d->tmpl), 8);
	/* a refresh of a known template still works when full */
	mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, 2, 0);
	tmpl_v4(260);
	data_v4(260, 1, 1);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(d->stats.template_limit, 2);
	/* the sweep frees idle ones */
	nfx_decoder_sweep(d, s.now_ms + 1000000, 1000);
	CHECK_EQ(nfx_tmpl_count(d->tmpl), 0);
	CHECK_EQ(nfx_tmpl_domain_count(d->tmpl), 0);
	mb_v9_hdr(&msg, 1, UPTIME, UNIX_SECS, 3, 0);
	tmpl_v4(265);
	CHECK_EQ(run(d, &s), 0);
	CHECK_EQ(d->stats.templates_learned, 10);
	nfx_decoder_free(d);
}

/* v9 sequence numbers count export packets per (exporter, source id). */
static void test_v9_sequence(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(40014);
	static const uint32_t seqs[] = { 0xfffffffeu, 0xffffffffu, 0, 1, 5, 6, 4, 7, 100000000, 3 };

	for (unsigned int i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		mb_v9_hdr(&msg, 0, UPTIME, UNIX_SECS, seqs[i], 3);
		empty_set();
		run(d, &s);
	}
	/* 1 -> 5 lost 3; 6 -> 4 reordering; 4 -> 7 lost 2 (counted from 4);
	 * 7 -> 1e8 and 1e8 -> 3 are restarts */
	CHECK_EQ(d->stats.seq_lost, 5);
	CHECK_EQ(d->stats.seq_resets, 2);
	/* other source ids have their own counters */
	mb_v9_hdr(&msg, 0, UPTIME, UNIX_SECS, 1000, 4);
	empty_set();
	run(d, &s);
	mb_v9_hdr(&msg, 0, UPTIME, UNIX_SECS, 1001, 4);
	empty_set();
	run(d, &s);
	CHECK_EQ(d->stats.seq_lost, 5);
	CHECK_EQ(d->stats.seq_resets, 2);
	nfx_decoder_free(d);
}

static size_t unhex(const char *hex)
{
	msg.len = mb_unhex(msg.b, sizeof(msg.b), hex);
	msg.version = 9;
	msg.set_start = SIZE_MAX;
	return msg.len;
}

static void test_v9_real_softflowd(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(48185);
	size_t len = unhex(sfv9_1);
	uint64_t export_ms = (uint64_t)nfx_get32(msg.b + 8) * 1000;
	uint32_t uptime = nfx_get32(msg.b + 4);

	sink.n = 0;
	/* header count is 2 although the packet holds 5 templates and 3 records */
	CHECK_EQ(nfx_decode_v9(d, &s, msg.b, len, &out), 2);
	CHECK_EQ(d->stats.templates_learned, 5);
	CHECK_EQ(d->stats.options_records, 1);
	CHECK_EQ(sink.f[0].ip_version, 6);
	CHECK_EQ(sink.f[0].bytes, 827);
	CHECK_EQ(sink.f[0].packets, 7);
	CHECK_EQ(sink.f[0].src_port, 44767);
	CHECK_EQ(sink.f[0].dst_port, 25);
	CHECK_EQ(sink.f[0].tcp_flags, 30);
	CHECK_EQ(sink.f[0].start_ms, export_ms - (uptime - 3077));
	CHECK_EQ(sink.f[0].end_ms, export_ms - (uptime - 3143));
	CHECK_EQ(sink.f[0].sampling_rate, 1);
	CHECK_EQ(sink.f[1].direction, 1);
	CHECK_EQ(sink.f[1].bytes, 1202);
	nfx_decoder_free(d);
}

static void test_v9_real_pmacct_sampled(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(58017);
	size_t len;

	len = unhex(pmv9s_1);
	sink.n = 0;
	CHECK(nfx_decode_v9(d, &s, msg.b, len, &out) >= 0, "frame 1");
	CHECK_EQ(d->stats.options_records, 2);
	len = unhex(pmv9s_2);
	sink.n = 0;
	CHECK(nfx_decode_v9(d, &s, msg.b, len, &out) >= 2, "frame 2");
	CHECK_EQ(sink.f[0].start_ms, 1795292509650ull);
	CHECK_EQ(sink.f[0].end_ms, 1795292509650ull);
	CHECK_EQ(sink.f[0].bytes, 3000);
	CHECK_EQ(sink.f[0].sampling_rate, 4);
	CHECK_EQ(sink.f[0].src.b[15], 21);
	CHECK_EQ(sink.f[0].dst_port, 2000);
	CHECK_EQ(sink.f[0].domain_id, nfx_get32(msg.b + 16));
	CHECK_EQ(sink.f[1].src_port, 34893);
	CHECK_EQ(d->stats.template_not_found, 0);
	CHECK_EQ(d->stats.seq_lost, 0);
	nfx_decoder_free(d);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	return mb_rnd(&rng);
}

static void test_v9_fuzz(void)
{
	struct nfx_decoder *d = dec_new(64, 0);
	static uint8_t seeds[4][2048];
	size_t seed_len[4];
	uint8_t *buf;
	uint64_t records = 0;

	seed_len[0] = mb_unhex(seeds[0], sizeof(seeds[0]), sfv9_1);
	seed_len[1] = mb_unhex(seeds[1], sizeof(seeds[1]), pmv9s_1);
	seed_len[2] = mb_unhex(seeds[2], sizeof(seeds[2]), pmv9s_2);
	mb_v9_hdr(&msg, 2, UPTIME, UNIX_SECS, 1, 0);
	tmpl_v4(256);
	opt_tmpl_sampling(257);
	data_v4(256, 3, 1);
	seed_len[3] = mb_finish(&msg);
	memcpy(seeds[3], msg.b, seed_len[3]);

	for (int i = 0; i < 200000; i++) {
		struct nfx_src s = src4((uint16_t)(50000 + rnd() % 4));
		size_t len = mb_mutate(&rng, i, 9, seeds, seed_len, 4, &buf);
		uint64_t dropped;
		int r;

		sink.n = sink.total = 0;
		dropped = d->stats.dropped[NFX_SLOT_V9];
		r = nfx_decode_v9(d, &s, buf, len, &out);
		dt_check_outcome(d, NFX_SLOT_V9, r, sink.total, dropped);
		records += sink.total;
		free(buf);
		if (i % 50000 == 0)
			nfx_decoder_sweep(d, s.now_ms + 1, 0);
	}
	CHECK(records > 0, "the mutated seeds decoded nothing");
	printf("# v9 fuzz: 200000 messages, %llu records, %llu templates learned\n",
	       (unsigned long long)records, (unsigned long long)d->stats.templates_learned);
	nfx_decoder_free(d);
}

int main(void)
{
	RUN_TEST(test_v9_template_then_data);
	RUN_TEST(test_v9_data_before_template);
	RUN_TEST(test_v9_redefinition);
	RUN_TEST(test_v9_scope);
	RUN_TEST(test_v9_options_sampling);
	RUN_TEST(test_v9_bad_options_template);
	RUN_TEST(test_v9_bad_templates);
	RUN_TEST(test_v9_set_lengths);
	RUN_TEST(test_v9_short_messages);
	RUN_TEST(test_v9_padding);
	RUN_TEST(test_v9_high_field_ids);
	RUN_TEST(test_v9_reduced_size);
	RUN_TEST(test_v9_uptime_wrap);
	RUN_TEST(test_v9_time_fallbacks);
	RUN_TEST(test_v9_nsel);
	RUN_TEST(test_v9_configured_sampling);
	RUN_TEST(test_v9_exporter_from_export);
	RUN_TEST(test_v9_ipv6_macs_abs_times);
	RUN_TEST(test_v9_template_limit);
	RUN_TEST(test_v9_sequence);
	RUN_TEST(test_v9_real_softflowd);
	RUN_TEST(test_v9_real_pmacct_sampled);
	RUN_TEST(test_v9_fuzz);
	CHECK_EXIT();
}

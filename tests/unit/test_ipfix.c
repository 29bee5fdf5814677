// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_ipfix.c - IPFIX decoder tests: messages built with msgbuild.h for
 * each behaviour (withdrawal, varlen, enterprise elements, every time
 * encoding, options state, sequence accounting), real exporter packets and a
 * random/mutated-input robustness run.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "decode/decode.h"
#include "decode/ifnames.h"
#include "decode/pending.h"
#include "decode/plan.h"
#include "decode/times.h"
#include "decode/tmpl_cache.h"
#include "dectest.h"
#include "msgbuild.h"

#define EXPORT_SECS	DT_EXPORT_SECS
#define EXPORT_MS	((uint64_t)EXPORT_SECS * 1000)
#define NTP_OFFSET	2208988800ull

static struct mb msg;
static struct mb_sink sink;
static const struct nfx_sink out = { .emit = mb_collect, .ctx = &sink };

static int run(struct nfx_decoder *d, const struct nfx_src *s)
{
	sink.n = sink.total = 0;
	return nfx_decode_ipfix(d, s, msg.b, mb_finish(&msg), &out);
}

/* Template: src, dst (IPv4), bytes (4); 12-byte records. */
static void tmpl_small(uint16_t tid)
{
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, tid, 3);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 1, 4);
	mb_set_end(&msg);
}

static void data_small(uint16_t tid, int nrec, uint32_t bytes)
{
	mb_set_begin(&msg, tid);
	for (int i = 0; i < nrec; i++) {
		mb_ip4(&msg, 10, 201, 1, (uint8_t)(10 + i));
		mb_ip4(&msg, 10, 201, 2, 20);
		mb_u32(&msg, bytes + (uint32_t)i);
	}
	mb_set_end(&msg);
}

/* A softflowd-like IPv4 template with 16 fields (42-byte records). */
static void tmpl_v4(uint16_t tid)
{
	static const uint16_t f[16][2] = {
		{ 8, 4 }, { 12, 4 }, { 22, 4 }, { 21, 4 }, { 1, 4 }, { 2, 4 }, { 10, 4 },
		{ 14, 4 }, { 61, 1 }, { 136, 1 }, { 7, 2 }, { 11, 2 }, { 4, 1 }, { 6, 1 },
		{ 60, 1 }, { 5, 1 },
	};

	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, tid, 16);
	for (int i = 0; i < 16; i++)
		mb_field(&msg, f[i][0], f[i][1]);
	mb_set_end(&msg);
}

static void rec_v4(uint8_t last_octet, uint32_t bytes)
{
	mb_ip4(&msg, 10, 201, 1, last_octet);
	mb_ip4(&msg, 10, 201, 2, 20);
	mb_u32(&msg, 3000);		/* flowStartSysUpTime */
	mb_u32(&msg, 3100);
	mb_u32(&msg, bytes);
	mb_u32(&msg, 7);
	mb_u32(&msg, 3);
	mb_u32(&msg, 3);
	mb_u8(&msg, 0);
	mb_u8(&msg, 3);
	mb_u16(&msg, 44767);
	mb_u16(&msg, 25);
	mb_u8(&msg, 6);
	mb_u8(&msg, 30);
	mb_u8(&msg, 4);
	mb_u8(&msg, 0);
}

static void data_v4(uint16_t tid, int nrec, uint32_t bytes)
{
	mb_set_begin(&msg, tid);
	for (int i = 0; i < nrec; i++)
		rec_v4((uint8_t)(10 + i), bytes + (uint32_t)i);
	mb_set_end(&msg);
}

/* softflowd's options: scope meteringProcessId, 160, 305, 306, 304, 82. */
static void opt_softflowd(uint16_t tid, uint64_t sysinit, uint32_t interval, uint32_t space)
{
	mb_set_begin(&msg, 3);
	mb_ipfix_opt_tmpl(&msg, tid, 6, 1);
	mb_field(&msg, 143, 4);
	mb_field(&msg, 160, 8);
	mb_field(&msg, 305, 4);
	mb_field(&msg, 306, 4);
	mb_field(&msg, 304, 2);
	mb_field(&msg, 82, 16);
	mb_set_end(&msg);		/* 34 bytes, unpadded like softflowd */
	mb_set_begin(&msg, tid);
	mb_u32(&msg, 16339);
	mb_u64(&msg, sysinit);
	mb_u32(&msg, interval);
	mb_u32(&msg, space);
	mb_u16(&msg, 1);
	mb_bytes(&msg, "cbv-p0\0\0\0\0\0\0\0\0\0", 16);
	mb_set_end(&msg);		/* 42 bytes */
}

static void test_ipfix_template_then_data(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(45669);
	const struct nfx_flow *f;

	/* without IE 160 the sysUpTime times have no anchor: export time, counted */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 0);
	tmpl_v4(1024);
	data_v4(1024, 1, 827);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].start_ms, EXPORT_MS);
	CHECK_EQ(sink.f[0].end_ms, EXPORT_MS);
	CHECK_EQ(d->stats.time_fallback, 1);

	mb_ipfix_hdr(&msg, EXPORT_SECS, 1, 0);
	opt_softflowd(256, EXPORT_MS - 60000, 1, 3);
	data_v4(1024, 2, 827);
	CHECK_EQ(run(d, &s), 2);
	f = &sink.f[0];
	CHECK_EQ(f->type, NFX_TYPE_IPFIX);
	CHECK_EQ(f->bytes, 827);
	CHECK_EQ(f->packets, 7);
	CHECK_EQ(f->proto, 6);
	CHECK_EQ(f->tcp_flags, 30);
	CHECK_EQ(f->start_ms, EXPORT_MS - 60000 + 3000);
	CHECK_EQ(f->end_ms, EXPORT_MS - 60000 + 3100);
	CHECK(f->present & NFX_F_START && f->present & NFX_F_END, "times present");
	CHECK_EQ(f->sampling_rate, 4);	/* 1 selected, 3 skipped */
	CHECK_EQ(f->sequence, 1);
	CHECK_EQ(f->domain_id, 0);
	CHECK_EQ(f->present & NFX_F_DOMAIN, NFX_F_DOMAIN);
	CHECK_EQ(d->stats.options_records, 1);
	CHECK_EQ(d->stats.records[NFX_SLOT_IPFIX], 3);
	CHECK_EQ(d->stats.templates_learned, 2);
	nfx_decoder_free(d);
}

static void test_ipfix_withdrawal(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(41000);

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 31);
	tmpl_small(300);
	tmpl_small(301);
	tmpl_small(302);
	opt_softflowd(400, 0, 1, 0);
	data_small(300, 2, 1);
	CHECK_EQ(run(d, &s), 2);
	CHECK_EQ(nfx_tmpl_count(d->tmpl), 4);

	mb_ipfix_hdr(&msg, EXPORT_SECS, 3, 31);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 300, 0);
	mb_set_end(&msg);
	data_small(300, 1, 1);
	data_small(301, 1, 1);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(d->stats.templates_withdrawn, 1);
	CHECK_EQ(d->stats.template_not_found, 1);

	/* id == set id: every data template of the domain, options stay */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 4, 31);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 2, 0);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 0);
	CHECK_EQ(d->stats.templates_withdrawn, 3);
	CHECK_EQ(nfx_tmpl_count(d->tmpl), 1);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 4, 31);
	mb_set_begin(&msg, 3);
	mb_tmpl(&msg, 3, 0);
	mb_set_end(&msg);
	run(d, &s);
	CHECK_EQ(d->stats.templates_withdrawn, 4);
	CHECK_EQ(nfx_tmpl_count(d->tmpl), 0);

	/* redefinition after withdrawal */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 4, 31);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 300, 2);
	mb_field(&msg, 1, 8);
	mb_field(&msg, 27, 16);
	mb_set_end(&msg);
	mb_set_begin(&msg, 300);
	mb_u64(&msg, 4242);
	mb_bytes(&msg, "\xfd\xcb\x02\x01\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].bytes, 4242);
	CHECK_EQ(sink.f[0].ip_version, 6);
	nfx_decoder_free(d);
}

/* Template with two variable-length fields (interfaceName, applicationName). */
static void tmpl_varlen(uint16_t tid)
{
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, tid, 5);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 1, 8);
	mb_field(&msg, 82, 0xffff);
	mb_field(&msg, 96, 0xffff);
	mb_set_end(&msg);
}

static void rec_varlen(uint64_t bytes, const char *a, size_t alen, const char *b, size_t blen)
{
	mb_ip4(&msg, 10, 201, 1, 15);
	mb_ip4(&msg, 10, 201, 2, 21);
	mb_u64(&msg, bytes);
	mb_varlen(&msg, a, alen);
	mb_varlen(&msg, b, blen);
}

static void test_ipfix_varlen(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(41014);
	static char x300[300];

	memset(x300, 'x', sizeof(x300));
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 32);
	tmpl_varlen(310);
	mb_set_begin(&msg, 310);
	rec_varlen(100, "cbv-p0", 6, "", 0);
	rec_varlen(200, x300, 300, "http", 4);	/* 3-byte length */
	rec_varlen(300, "eth1", 4, "dns", 3);
	mb_set_end_pad(&msg, 4);
	CHECK_EQ(run(d, &s), 3);
	CHECK_EQ(sink.f[0].bytes, 100);
	CHECK_EQ(sink.f[1].bytes, 200);
	CHECK_EQ(sink.f[2].bytes, 300);
	CHECK_EQ(d->stats.record_overrun, 0);

	/* a record whose varlen runs past the set: stop, drop the template */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 3, 32);
	mb_set_begin(&msg, 310);
	rec_varlen(400, "eth2", 4, "ssh", 3);
	mb_ip4(&msg, 10, 201, 1, 15);
	mb_ip4(&msg, 10, 201, 2, 21);
	mb_u64(&msg, 500);
	mb_u8(&msg, 200);
	mb_bytes(&msg, "yyyyyyyyyy", 10);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(d->stats.record_overrun, 1);
	CHECK_EQ(nfx_tmpl_count(d->tmpl), 0);

	/* long form running past the set; then 255 with no length bytes */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 5, 32);
	tmpl_varlen(310);
	mb_set_begin(&msg, 310);
	mb_ip4(&msg, 10, 201, 1, 15);
	mb_ip4(&msg, 10, 201, 2, 21);
	mb_u64(&msg, 600);
	mb_u8(&msg, 255);
	mb_u16(&msg, 65535);
	mb_bytes(&msg, "zzzzzzzz", 8);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 0);
	CHECK_EQ(d->stats.record_overrun, 2);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 6, 32);
	tmpl_varlen(310);
	mb_set_begin(&msg, 310);
	mb_ip4(&msg, 10, 201, 1, 15);
	mb_ip4(&msg, 10, 201, 2, 21);
	mb_u64(&msg, 700);
	mb_u8(&msg, 0);
	mb_u8(&msg, 255);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 0);
	CHECK_EQ(d->stats.record_overrun, 3);

	/* a varlen mapped field: a 4-byte source address sent as varlen */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 7, 32);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 311, 2);
	mb_field(&msg, 8, 0xffff);
	mb_field(&msg, 1, 0xffff);
	mb_set_end(&msg);
	mb_set_begin(&msg, 311);
	mb_varlen(&msg, "\x0a\x00\x00\x01", 4);
	mb_varlen(&msg, "\x01\x02", 2);
	mb_varlen(&msg, "\x0a\x00\x00", 3);	/* wrong address size: skipped */
	mb_varlen(&msg, "\x05", 1);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 2);
	CHECK_EQ(sink.f[0].bytes, 0x102);
	CHECK_EQ(sink.f[0].src.b[15], 1);
	CHECK_EQ(sink.f[1].bytes, 5);
	CHECK_EQ(sink.f[1].present & NFX_F_SRC_ADDR, 0);
	nfx_decoder_free(d);
}

/* RFC 5103 reverse elements (PEN 29305) and other enterprise elements are skipped. */
static void test_ipfix_enterprise(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(41020);

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 33);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 320, 7);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 1, 8);
	mb_field_pen(&msg, 1, 8, 29305);
	mb_field_pen(&msg, 2, 4, 29305);
	mb_field_pen(&msg, 12, 4, 9);
	mb_field_pen(&msg, 100, 0xffff, 35632);
	mb_set_end(&msg);
	mb_set_begin(&msg, 320);
	for (int i = 0; i < 2; i++) {
		mb_ip4(&msg, 1, 1, 1, 1);
		mb_ip4(&msg, 2, 2, 2, 2);
		mb_u64(&msg, 1000 + (uint64_t)i);
		mb_u64(&msg, 9000 + (uint64_t)i);
		mb_u32(&msg, 12);
		mb_ip4(&msg, 9, 9, 9, 9);
		mb_varlen(&msg, "abc", 3);
	}
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 2);
	CHECK_EQ(sink.f[0].bytes, 1000);
	CHECK_EQ(sink.f[1].bytes, 1001);
	CHECK_EQ(sink.f[0].packets, 0);
	CHECK_EQ(sink.f[0].dst.b[15], 2);
	nfx_decoder_free(d);
}

static void test_ipfix_length_checks(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(41030);
	size_t len;

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 34);
	tmpl_small(256);
	data_small(256, 2, 1);
	len = mb_finish(&msg);
	sink.n = 0;
	CHECK_EQ(nfx_decode_ipfix(d, &s, msg.b, len, &out), 2);
	CHECK_EQ(nfx_decode_ipfix(d, &s, msg.b, len + 40, &out), -EINVAL);	/* trailer */
	CHECK_EQ(nfx_decode_ipfix(d, &s, msg.b, len - 1, &out), -EINVAL);	/* cut */
	msg.b[2] = 0;
	msg.b[3] = 12;
	CHECK_EQ(nfx_decode_ipfix(d, &s, msg.b, 12, &out), -EINVAL);
	CHECK_EQ(nfx_decode_ipfix(d, &s, msg.b, 0, &out), -EINVAL);
	CHECK_EQ(d->stats.length_mismatch, 2);
	CHECK_EQ(d->stats.short_pkt, 2);
	CHECK_EQ(d->stats.dropped[NFX_SLOT_IPFIX], 4);
	CHECK_EQ(d->stats.packets[NFX_SLOT_IPFIX], 5);

	/* set lengths 0 and 2 end the walk; a first bad set drops the message */
	for (int i = 0; i < 2; i++) {
		mb_ipfix_hdr(&msg, EXPORT_SECS, 2, 34);
		mb_u16(&msg, 256);
		mb_u16(&msg, (uint16_t)(i * 2));
		mb_u32(&msg, 0);
		CHECK_EQ(run(d, &s), -EINVAL);
	}
	mb_ipfix_hdr(&msg, EXPORT_SECS, 2, 34);
	data_small(256, 2, 1);
	mb_u16(&msg, 256);
	mb_u16(&msg, 500);
	mb_u32(&msg, 0);
	CHECK_EQ(run(d, &s), 2);
	CHECK_EQ(d->stats.bad_set_length, 3);
	/* reserved set ids 4..255 (and v9's 0/1) are skipped */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 4, 34);
	mb_set_begin(&msg, 4);
	mb_u32(&msg, 0);
	mb_set_end(&msg);
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 256, 1);
	mb_field(&msg, 8, 4);
	mb_set_end(&msg);
	data_small(256, 1, 1);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(d->stats.templates_learned, 1);
	nfx_decoder_free(d);
}

/*
 * The XDP program's minimum lengths (design §2): a header-only message
 * (16-19 bytes, length field equal) is dropped as length_mismatch; 1-3
 * bytes after the last set are counted there too, the records staying.
 */
static void test_ipfix_short_messages(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(41031);
	size_t len;

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 34);
	mb_u32(&msg, 0);
	for (len = 16; len < 20; len++) {
		msg.b[2] = 0;
		msg.b[3] = (uint8_t)len;
		CHECK_EQ(nfx_decode(d, &s, msg.b, len, &out), -EINVAL);
	}
	CHECK_EQ(d->stats.packets[NFX_SLOT_IPFIX], 4);
	CHECK_EQ(d->stats.dropped[NFX_SLOT_IPFIX], 4);
	CHECK_EQ(d->stats.length_mismatch, 4);
	CHECK_EQ(nfx_tmpl_domain_count(d->tmpl), 0);
	/* 20 bytes: the header and an empty template set */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 34);
	mb_set_begin(&msg, 2);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 0);
	CHECK_EQ(d->stats.dropped[NFX_SLOT_IPFIX], 4);
	/* trailing 1-3 bytes inside the message */
	for (size_t extra = 1; extra <= 3; extra++) {
		mb_ipfix_hdr(&msg, EXPORT_SECS, (uint32_t)extra, 34);
		tmpl_small(256);
		data_small(256, 2, 1);
		for (size_t i = 0; i < extra; i++)
			mb_u8(&msg, 0);
		CHECK_EQ(run(d, &s), 2);
		CHECK_EQ(d->stats.length_mismatch, 4 + extra);
	}
	CHECK_EQ(d->stats.dropped[NFX_SLOT_IPFIX], 4);
	nfx_decoder_free(d);
}

static void test_ipfix_huge_fields(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(41040);

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 35);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 340, 2);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 315, 65534);
	mb_set_end(&msg);
	mb_set_begin(&msg, 340);
	for (int i = 0; i < 46; i++)
		mb_u8(&msg, (uint8_t)i);
	mb_set_end(&msg);
	/* 100 one-byte fields: IEs 1..100, addresses unusable at 1 byte */
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 341, 100);
	for (int i = 1; i <= 100; i++)
		mb_field(&msg, (uint16_t)i, 1);
	mb_set_end(&msg);
	mb_set_begin(&msg, 341);
	for (int i = 0; i < 100; i++)
		mb_u8(&msg, (uint8_t)i);
	mb_set_end(&msg);
	/* over the field bound */
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 342, 600);
	for (int i = 0; i < 600; i++)
		mb_field(&msg, 8, 4);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].proto, 3);
	CHECK_EQ(sink.f[0].packets, 1);
	CHECK_EQ(sink.f[0].present & (NFX_F_SRC_ADDR | NFX_F_DST_ADDR), 0);
	CHECK_EQ(d->stats.bad_template, 2);
	CHECK_EQ(d->stats.templates_learned, 1);
	CHECK_EQ(d->stats.template_not_found, 1);
	nfx_decoder_free(d);
}

/* Real exporter packets from the shared corpus (UDP payloads). */
/* softflowd-ipfix-nano-ether.pcap frame 1, from port 43586 */
static const char sfnano_1[] =
	"000a02646b01fd630000000200000000000200580400001400080004000c0004009c0008"
	"009d00080001000400020004000a0004000e0004003d00010088000100070002000b0002"
	"0004000100060001003c000100050001003a0002003b0002003800060039000600020050"
	"0401001200080004000c0004009c0008009d00080001000400020004000a0004000e0004"
	"003d0001008800010020000200040001003c000100050001003a0002003b000200380006"
	"003900060002005808000014001b0010001c0010009c0008009d00080001000400020004"
	"000a0004000e0004003d00010088000100070002000b00020004000100060001003c0001"
	"00050001003a0002003b000200380006003900060002005008010012001b0010001c0010"
	"009c0008009d00080001000400020004000a0004000e0004003d000100880001008b0002"
	"00040001003c000100050001003a0002003b000200380006003900060003002201000006"
	"0001008f000400a00008013100040132000401300002005200100100002a00003fd60000"
	"01a1ffc5a8ec000000010000000000016362762d703000000000000000000000080000b8"
	"fdcb0201000100000000000000000012fdcb0201000200000000000000000020eeac7bdd"
	"6ce1c582eeac7bdd7dcee17a0000033b0000000700000003000000030003aedf0019061e"
	"06000000000016c789cb6221063602772292fdcb0201000200000000000000000020fdcb"
	"0201000100000000000000000012eeac7bdd6ce1c582eeac7bdd7dcee17a000004b20000"
	"0005000000030000000301030019aedf061a06000000000006360277229216c789cb6221"
	;
/* pmacct-ipfix.pcap frame 1, from port 52758 */
static const char pmipfix_1[] =
	"000a01d46b01fd6300000000000003f20002006404020017009900080098000800010008"
	"00020008003c0001000a0004000e0004003d000100080004000c00040012000400090001"
	"000d000100070002000b0002000500010006000100040001001000040011000400380006"
	"00500006003a0002000200640403001700990008009800080001000800020008003c0001"
	"000a0004000e0004003d000100080004000c00040012000400090001000d000100070002"
	"000b000200050001000600010004000100100004001100040051000600390006003b0002"
	"000200640802001700990008009800080001000800020008003c0001000a0004000e0004"
	"003d0001001b0010001c0010003f0010001d0001001e00010005000100070002000b0002"
	"000600010004000100100004001100040038000600500006003a00020002006408030017"
	"00990008009800080001000800020008003c0001000a0004000e0004003d0001001b0010"
	"001c0010003f0010001d0001001e00010005000100070002000b00020006000100040001"
	"00100004001100040051000600390006003b000200030016100400030001009000040082"
	"0004008300101004001e0ac909010ac90901000000000000000000000000000000000000"
	;
/* pmacct-ipfix.pcap frame 3, from port 52758 */
static const char pmipfix_3[] =
	"000a006c6b01fd6500000002000003f20402005c000001a1ffc5bb37000001a1ffc5bb02"
	"0000000000001a220000000000000020040000000200000000000ac9010d0ac902160ac9"
	"02011819eb1b01bb481e060000fc590000fc5a16c789cb62210636027722920000000000"
	;

/* Every absolute/relative time encoding, one template each. */
static void test_ipfix_times(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(41050);
	uint64_t start = EXPORT_MS - 12345, end = EXPORT_MS - 2001;
	uint64_t ntp_s = (start / 1000 + NTP_OFFSET) << 32 | ((start % 1000) * 4294967296ull / 1000 + 1);
	uint64_t ntp_e = (end / 1000 + NTP_OFFSET) << 32 | ((end % 1000) * 4294967296ull / 1000 + 1);
	static const uint16_t ids[][2] = { { 150, 151 }, { 152, 153 }, { 154, 155 },
					   { 156, 157 }, { 158, 159 } };

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 36);
	for (int i = 0; i < 5; i++) {
		mb_set_begin(&msg, 2);
		mb_tmpl(&msg, (uint16_t)(256 + i), 4);
		mb_field(&msg, 8, 4);
		mb_field(&msg, 12, 4);
		mb_field(&msg, ids[i][0], i == 0 || i == 4 ? 4 : 8);
		mb_field(&msg, ids[i][1], i == 0 || i == 4 ? 4 : 8);
		mb_set_end(&msg);
	}
	for (int i = 0; i < 5; i++) {
		mb_set_begin(&msg, (uint16_t)(256 + i));
		mb_ip4(&msg, 1, 1, 1, (uint8_t)i);
		mb_ip4(&msg, 2, 2, 2, 2);
		switch (i) {
		case 0:
			mb_u32(&msg, (uint32_t)(start / 1000));
			mb_u32(&msg, (uint32_t)(end / 1000));
			break;
		case 1:
			mb_u64(&msg, start);
			mb_u64(&msg, end);
			break;
		case 2:
			/* dateTimeMicroseconds: low 11 fraction bits are zero */
			mb_u64(&msg, ntp_s & ~0x7ffull);
			mb_u64(&msg, ntp_e & ~0x7ffull);
			break;
		case 3:
			mb_u64(&msg, ntp_s);
			mb_u64(&msg, ntp_e);
			break;
		case 4:
			mb_u32(&msg, 12345000);
			mb_u32(&msg, 2001000);
			break;
		}
		mb_set_end(&msg);
	}
	CHECK_EQ(run(d, &s), 5);
	CHECK_EQ(sink.f[0].start_ms, start / 1000 * 1000);
	CHECK_EQ(sink.f[0].end_ms, end / 1000 * 1000);
	for (int i = 1; i < 5; i++) {
		CHECK(sink.f[i].start_ms == start, "record %d start %llu", i,
		      (unsigned long long)sink.f[i].start_ms);
		CHECK(sink.f[i].end_ms == end, "record %d end %llu", i,
		      (unsigned long long)sink.f[i].end_ms);
		CHECK(sink.f[i].present & NFX_F_START && sink.f[i].present & NFX_F_END,
		      "record %d present", i);
	}
	nfx_decoder_free(d);
}

/* One data record of template 300: src, dst, then a start and an end element. */
static void one_timed(uint16_t sid, uint16_t eid, uint16_t len, const uint8_t *sv,
		      const uint8_t *ev)
{
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 300, 4);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, sid, len);
	mb_field(&msg, eid, len);
	mb_set_end(&msg);
	mb_set_begin(&msg, 300);
	mb_ip4(&msg, 1, 1, 1, 1);
	mb_ip4(&msg, 2, 2, 2, 2);
	mb_bytes(&msg, sv, len);
	mb_bytes(&msg, ev, len);
	mb_set_end(&msg);
}

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/*
 * No record leaves with a time of 0 or before the exporter's boot: absent,
 * zero, unreadable (NTP before 1970, a timeval with 10^6 µs) and too early
 * times are replaced by the other time or the export time, and counted;
 * pmacct's 16-byte timeval form of IE 154/155 is read.
 */
static void test_ipfix_time_fallbacks(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(41051);
	uint8_t a[16] = { 0 }, b[16] = { 0 };
	uint64_t end = EXPORT_MS - 2001;

	/* flowStartSeconds 0: start takes the end */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 37);
	be64(b, end);
	one_timed(152, 153, 8, a, b);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].start_ms, end);
	CHECK_EQ(sink.f[0].end_ms, end);
	CHECK_EQ(d->stats.time_fallback, 1);

	/* NTP seconds before 1970 (an exporter writing Unix seconds): export time */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 1, 37);
	be64(a, (uint64_t)(EXPORT_SECS - 5) << 32);
	be64(b, (uint64_t)(EXPORT_SECS - 1) << 32);
	one_timed(154, 155, 8, a, b);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].start_ms, EXPORT_MS);
	CHECK_EQ(sink.f[0].end_ms, EXPORT_MS);
	CHECK_EQ(d->stats.time_fallback, 2);

	/* pmacct nfprobe_tstamp_usec: 16 bytes, Unix seconds then µs */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 2, 37);
	be64(a, EXPORT_SECS - 3);
	be64(a + 8, 901434);
	be64(b, EXPORT_SECS - 1);
	be64(b + 8, 999999);
	one_timed(154, 155, 16, a, b);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].start_ms, EXPORT_MS - 3000 + 901);
	CHECK_EQ(sink.f[0].end_ms, EXPORT_MS - 1000 + 999);
	CHECK_EQ(d->stats.time_fallback, 2);

	/* a timespec (156/157 in the same form) whose ns are out of range is unreadable */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 3, 37);
	be64(a + 8, 1000000000);
	be64(b, EXPORT_SECS - 1);
	be64(b + 8, 250000000);
	one_timed(156, 157, 16, a, b);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].start_ms, EXPORT_MS - 750);
	CHECK_EQ(sink.f[0].end_ms, EXPORT_MS - 750);
	CHECK_EQ(d->stats.time_fallback, 3);

	/* a delta beyond the export time itself */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 4, 37);
	be64(a, EXPORT_MS * 1000 + 1);
	be64(b, 1000);
	one_timed(158, 159, 8, a, b);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].start_ms, EXPORT_MS - 1);
	CHECK_EQ(sink.f[0].end_ms, EXPORT_MS - 1);
	CHECK_EQ(d->stats.time_fallback, 4);

	/* an export time of 0 is the reception time */
	mb_ipfix_hdr(&msg, 0, 5, 37);
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	one_timed(150, 151, 4, a, b);
	s.now_ms = EXPORT_MS + 7;
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].start_ms, EXPORT_MS + 7);
	CHECK_EQ(sink.f[0].end_ms, EXPORT_MS + 7);
	CHECK_EQ(d->stats.time_fallback, 5);
	s.now_ms = EXPORT_MS;

	/* boot known from IE 160: a start before it (beyond the slack) goes */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 6, 37);
	opt_softflowd(256, EXPORT_MS - 60000, 1, 3);
	be64(a, EXPORT_MS - 60000 - NFX_BOOT_SLACK_MS - 1);
	be64(b, EXPORT_MS - 60000 - NFX_BOOT_SLACK_MS);
	one_timed(152, 153, 8, a, b);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].start_ms, EXPORT_MS - 60000 - NFX_BOOT_SLACK_MS);
	CHECK_EQ(sink.f[0].end_ms, EXPORT_MS - 60000 - NFX_BOOT_SLACK_MS);
	CHECK_EQ(d->stats.time_fallback, 6);
	for (unsigned int i = 0; i < sink.n; i++)
		CHECK(sink.f[i].present & NFX_F_START && sink.f[i].present & NFX_F_END,
		      "record %u present", i);
	nfx_decoder_free(d);
}

/* Post-NAT endpoints (225-228, 281/282), natEvent 230 and firewallEvent 233: built-in fields. */
static void test_ipfix_nat_firewall(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(41052);
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x99 };
	const struct nfx_flow *f;

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 38);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 310, 8);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 225, 4);
	mb_field(&msg, 226, 4);
	mb_field(&msg, 227, 2);
	mb_field(&msg, 228, 2);
	mb_field(&msg, 230, 1);
	mb_field(&msg, 233, 1);
	mb_tmpl(&msg, 311, 3);
	mb_field(&msg, 27, 16);
	mb_field(&msg, 281, 16);
	mb_field(&msg, 282, 16);
	mb_set_end(&msg);
	mb_set_begin(&msg, 310);
	mb_ip4(&msg, 10, 0, 0, 1);
	mb_ip4(&msg, 198, 51, 100, 7);
	mb_ip4(&msg, 203, 0, 113, 5);
	mb_ip4(&msg, 198, 51, 100, 8);
	mb_u16(&msg, 61000);
	mb_u16(&msg, 8443);
	mb_u8(&msg, 1);		/* natEvent: create */
	mb_u8(&msg, 3);		/* firewallEvent: flow denied */
	mb_set_end(&msg);
	mb_set_begin(&msg, 311);
	mb_bytes(&msg, v6, 16);
	mb_bytes(&msg, v6, 16);
	mb_bytes(&msg, v6, 16);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 2);
	f = &sink.f[0];
	CHECK_EQ(f->present2, NFX_F2_NAT_SRC | NFX_F2_NAT_DST | NFX_F2_NAT_SRC_PORT |
		 NFX_F2_NAT_DST_PORT | NFX_F2_NAT_EVENT | NFX_F2_FW_EVENT);
	CHECK(nfx_addr_is_v4(&f->nat_src) && f->nat_src.b[12] == 203 && f->nat_src.b[15] == 5,
	      "post-NAT source");
	CHECK(nfx_addr_is_v4(&f->nat_dst) && f->nat_dst.b[15] == 8, "post-NAT destination");
	CHECK_EQ(f->nat_src_port, 61000);
	CHECK_EQ(f->nat_dst_port, 8443);
	CHECK_EQ(f->nat_event, 1);
	CHECK_EQ(f->fw_event, 3);
	f = &sink.f[1];
	CHECK_EQ(f->present2, NFX_F2_NAT_SRC | NFX_F2_NAT_DST);
	CHECK(!memcmp(f->nat_src.b, v6, 16) && !memcmp(f->nat_dst.b, v6, 16), "post-NAT IPv6");
	/* a post-NAT address of the wrong size is skipped, not misread */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 1, 38);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 312, 2);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 225, 16);
	mb_set_end(&msg);
	mb_set_begin(&msg, 312);
	mb_ip4(&msg, 10, 0, 0, 1);
	mb_bytes(&msg, v6, 16);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].present2, 0);
	nfx_decoder_free(d);
}

/*
 * RFC 5103 biflow (softflowd -b's layout): reverse elements (PEN 29305)
 * read; the reverse record, endpoints swapped, only with the policy on and
 * reverse counters that are not zero.
 */
static void test_ipfix_biflow(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(41053);
	struct nfx_dec_policy pol = { .biflow_reverse = 0 };
	const struct nfx_flow *f, *r;

	for (int on = 0; on < 2; on++) {
		pol.biflow_reverse = on;
		nfx_decoder_set_policy(d, &pol);
		mb_ipfix_hdr(&msg, EXPORT_SECS, (uint32_t)on, 39);
		mb_set_begin(&msg, 2);
		mb_tmpl(&msg, 320, 13);
		mb_field(&msg, 8, 4);
		mb_field(&msg, 12, 4);
		mb_field(&msg, 7, 2);
		mb_field(&msg, 11, 2);
		mb_field(&msg, 10, 4);
		mb_field(&msg, 14, 4);
		mb_field(&msg, 152, 8);
		mb_field(&msg, 1, 4);
		mb_field_pen(&msg, 1, 4, 29305);
		mb_field(&msg, 2, 4);
		mb_field_pen(&msg, 2, 4, 29305);
		mb_field(&msg, 6, 1);
		mb_field_pen(&msg, 6, 1, 29305);
		mb_set_end(&msg);
		mb_set_begin(&msg, 320);
		for (int i = 0; i < 2; i++) {
			mb_ip4(&msg, 10, 0, 0, 1);
			mb_ip4(&msg, 10, 0, 0, 2);
			mb_u16(&msg, 40000);
			mb_u16(&msg, 443);
			mb_u32(&msg, 3);
			mb_u32(&msg, 4);
			mb_u64(&msg, EXPORT_MS - 500);
			mb_u32(&msg, 100);
			mb_u32(&msg, i ? 0 : 900);	/* the second: nothing came back */
			mb_u32(&msg, 2);
			mb_u32(&msg, i ? 0 : 3);
			mb_u8(&msg, 0x02);
			mb_u8(&msg, 0x12);
		}
		mb_set_end(&msg);
		CHECK_EQ(run(d, &s), on ? 3 : 2);
		f = &sink.f[0];
		CHECK(f->bytes == 100 && f->packets == 2 && f->tcp_flags == 0x02 &&
		      f->src.b[15] == 1 && f->src_port == 40000 && f->in_if == 3, "forward record");
		CHECK_EQ(d->stats.biflow_reverse_records, on ? 1u : 0u);
		if (!on)
			continue;
		r = &sink.f[1];
		CHECK(r->bytes == 900 && r->packets == 3 && r->tcp_flags == 0x12, "reverse counters");
		CHECK(r->src.b[15] == 2 && r->dst.b[15] == 1 && r->src_port == 443 &&
		      r->dst_port == 40000, "reverse endpoints");
		CHECK(r->in_if == 4 && r->out_if == 3, "reverse interfaces");
		CHECK_EQ(r->start_ms, EXPORT_MS - 500);
		CHECK_EQ(r->present & (NFX_F_SRC_PORT | NFX_F_DST_PORT | NFX_F_IN_IF | NFX_F_OUT_IF),
			 NFX_F_SRC_PORT | NFX_F_DST_PORT | NFX_F_IN_IF | NFX_F_OUT_IF);
		CHECK_EQ(sink.f[2].bytes, 100);
	}
	nfx_decoder_free(d);
}

/*
 * MPLS label stack entries (IE 70..79, 3 bytes each): kept top first, up to
 * the last entry that is not all zero; all zero (pmacct's "no label") is
 * no stack at all.
 */
static void test_ipfix_mpls(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(41054);
	static const uint32_t stack[4] = { 16001u << 4 | 5u << 1, 2002u << 4, 300u << 4 | 1, 0 };

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 40);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 330, 5);
	mb_field(&msg, 8, 4);
	for (int i = 0; i < 4; i++)
		mb_field(&msg, (uint16_t)(70 + i), 3);
	mb_set_end(&msg);
	mb_set_begin(&msg, 330);
	for (int r = 0; r < 2; r++) {
		mb_ip4(&msg, 10, 7, 0, (uint8_t)r);
		for (int i = 0; i < 4; i++) {
			uint32_t e = r ? 0 : stack[i];

			mb_u8(&msg, (uint8_t)(e >> 16));
			mb_u8(&msg, (uint8_t)(e >> 8));
			mb_u8(&msg, (uint8_t)e);
		}
	}
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 2);
	CHECK(sink.f[0].present2 & NFX_F2_MPLS, "stack kept");
	CHECK_EQ(sink.f[0].mpls_depth, 3);
	for (int i = 0; i < 3; i++)
		CHECK(sink.f[0].mpls[i] == stack[i], "entry %d: %#x", i, sink.f[0].mpls[i]);
	CHECK_EQ(sink.f[1].present2 & NFX_F2_MPLS, 0);
	CHECK_EQ(sink.f[1].mpls_depth, 0);
	nfx_decoder_free(d);
}

/* Options record: scope ingressInterface @ifindex, ifName (16 bytes), ifDescription (varlen). */
static void opt_ifname(uint16_t tid, uint32_t ifindex, const char *name, const char *descr)
{
	char n[16] = { 0 };

	mb_set_begin(&msg, 3);
	mb_ipfix_opt_tmpl(&msg, tid, 3, 1);
	mb_field(&msg, 10, 4);
	mb_field(&msg, 82, 16);
	mb_field(&msg, 83, NFX_VARLEN);
	mb_set_end(&msg);
	mb_set_begin(&msg, tid);
	mb_u32(&msg, ifindex);
	memcpy(n, name, strlen(name) < 16 ? strlen(name) : 16);
	mb_bytes(&msg, n, 16);
	mb_varlen(&msg, descr, strlen(descr));
	mb_set_end(&msg);
}

/*
 * Interface names from options data (Cisco's layout: scope ingressInterface,
 * ifName, ifDescription): kept per exporter and ifIndex, given to the
 * records' ingress/egress; ifDescription when ifName is empty; bounded
 * (if_name_limit) and forgotten by the sweep.
 */
static void test_ipfix_interface_names(void)
{
	struct nfx_decoder_opts o = { .max_interface_names = 2 };
	struct nfx_decoder *d = nfx_decoder_new(&o);
	struct nfx_src s = src4(41055), other = src4(41055);
	const struct nfx_flow *f;

	other.addr.b[15] = 2;		/* another exporter, same indexes */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 41);
	opt_ifname(400, 3, "Gi0/0/3", "uplink to core");
	opt_ifname(401, 7, "", "customer \"A\"");
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 402, 4);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 10, 4);
	mb_field(&msg, 14, 4);
	mb_set_end(&msg);
	mb_set_begin(&msg, 402);
	mb_ip4(&msg, 10, 0, 0, 1);
	mb_ip4(&msg, 10, 0, 0, 2);
	mb_u32(&msg, 3);
	mb_u32(&msg, 7);
	mb_ip4(&msg, 10, 0, 0, 1);
	mb_ip4(&msg, 10, 0, 0, 2);
	mb_u32(&msg, 9);		/* never named */
	mb_u32(&msg, 3);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 2);
	f = &sink.f[0];
	CHECK(f->present2 & NFX_F2_IN_IF_NAME && !strcmp(f->in_if_name, "Gi0/0/3"), "in %s",
	      f->in_if_name);
	CHECK(f->present2 & NFX_F2_OUT_IF_NAME && !strcmp(f->out_if_name, "customer \"A\""),
	      "out (ifDescr) %s", f->out_if_name);
	CHECK(!(sink.f[1].present2 & NFX_F2_IN_IF_NAME), "unnamed interface");
	CHECK(!strcmp(sink.f[1].out_if_name, "Gi0/0/3"), "second record out");
	/* the table holds 2: a third interface is refused and counted */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 1, 41);
	opt_ifname(400, 4, "Gi0/0/4", "");
	CHECK_EQ(run(d, &s), 0);
	CHECK_EQ(d->stats.if_name_limit, 1);
	/* another exporter's index 3 has no name */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 41);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 402, 3);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 10, 4);
	mb_set_end(&msg);
	mb_set_begin(&msg, 402);
	mb_ip4(&msg, 10, 0, 0, 1);
	mb_ip4(&msg, 10, 0, 0, 2);
	mb_u32(&msg, 3);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &other), 1);
	CHECK(!(sink.f[0].present2 & NFX_F2_IN_IF_NAME), "other exporter");
	/* not announced again within the TTL: forgotten */
	CHECK_EQ(nfx_ifnames_count(d->ifn), 2);
	nfx_decoder_sweep(d, EXPORT_MS + 10000, 5000);
	CHECK_EQ(nfx_ifnames_count(d->ifn), 0);
	nfx_decoder_free(d);
}

/* One options record with the given elements (4-byte values) and a flow after it. */
static uint32_t rate_of(const uint16_t *ids, const uint32_t *vals, int n)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(41060);
	uint32_t rate;

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 37);
	mb_set_begin(&msg, 3);
	mb_ipfix_opt_tmpl(&msg, 500, (uint16_t)(n + 1), 1);
	mb_field(&msg, 149, 4);		/* scope: observationDomainId */
	for (int i = 0; i < n; i++)
		mb_field(&msg, ids[i], 4);
	mb_set_end(&msg);
	mb_set_begin(&msg, 500);
	mb_u32(&msg, 37);
	for (int i = 0; i < n; i++)
		mb_u32(&msg, vals[i]);
	mb_set_end(&msg);
	tmpl_small(256);
	data_small(256, 1, 1);
	rate = run(d, &s) == 1 ? sink.f[0].sampling_rate : 0xffffffffu;
	CHECK_EQ(d->stats.options_records, 1);
	nfx_decoder_free(d);
	return rate;
}

static void test_ipfix_sampling(void)
{
	CHECK_EQ(rate_of((const uint16_t[]){ 34 }, (const uint32_t[]){ 100 }, 1), 100);
	CHECK_EQ(rate_of((const uint16_t[]){ 34, 50 }, (const uint32_t[]){ 100, 8 }, 2), 8);
	CHECK_EQ(rate_of((const uint16_t[]){ 50, 305 }, (const uint32_t[]){ 8, 16 }, 2), 16);
	CHECK_EQ(rate_of((const uint16_t[]){ 305, 306 }, (const uint32_t[]){ 1, 0 }, 2), 1);
	CHECK_EQ(rate_of((const uint16_t[]){ 305, 306 }, (const uint32_t[]){ 2, 6 }, 2), 4);
	CHECK_EQ(rate_of((const uint16_t[]){ 309, 310 }, (const uint32_t[]){ 10, 1000 }, 2), 100);
	CHECK_EQ(rate_of((const uint16_t[]){ 302, 304 }, (const uint32_t[]){ 1, 1 }, 2), 0);
}

/* Sampling state, IE 160 and templates are per (exporter port, domain). */
static void test_ipfix_domain_scope(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src a = src4(41070), b = src4(41071);

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	opt_softflowd(256, EXPORT_MS - 1000, 1, 9);
	tmpl_small(256 + 1);
	CHECK_EQ(run(d, &a), 0);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 1, 2);
	tmpl_small(256 + 1);
	data_small(257, 1, 1);
	CHECK_EQ(run(d, &a), 1);
	CHECK_EQ(sink.f[0].sampling_rate, 0);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 1, 1);
	data_small(257, 1, 1);
	CHECK_EQ(run(d, &a), 1);
	CHECK_EQ(sink.f[0].sampling_rate, 10);
	CHECK_EQ(run(d, &b), 0);		/* port b never sent the template */
	CHECK_EQ(d->stats.template_not_found, 1);
	nfx_decoder_free(d);
}

/* IPFIX sequence numbers count data records, options records included. */
static void test_ipfix_sequence(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(41080), q = src4(41081);
	uint32_t seq;

	mb_ipfix_hdr(&msg, EXPORT_SECS, 100000, 38);
	tmpl_small(256);
	opt_softflowd(257, 0, 1, 0);
	data_small(256, 2, 1);
	run(d, &s);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 100003, 38);	/* 1 options + 2 flows before */
	data_small(256, 5, 1);
	run(d, &s);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 100008, 38);
	data_small(256, 1, 1);
	run(d, &s);
	CHECK_EQ(d->stats.seq_lost, 0);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 100019, 38);	/* 10 missing */
	data_small(256, 1, 1);
	run(d, &s);
	CHECK_EQ(d->stats.seq_lost, 10);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 100015, 38);	/* late duplicate: no loss */
	data_small(256, 1, 1);
	run(d, &s);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 38);	/* exporter restart */
	data_small(256, 1, 1);
	run(d, &s);
	CHECK_EQ(d->stats.seq_resets, 1);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0x80000000u, 38);	/* jump: restart too */
	data_small(256, 1, 1);
	run(d, &s);
	CHECK_EQ(d->stats.seq_resets, 2);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0xfffffffeu, 38);
	data_small(256, 2, 1);
	run(d, &s);
	CHECK_EQ(d->stats.seq_resets, 3);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 38);	/* a clean wrap */
	data_small(256, 1, 1);
	run(d, &s);
	CHECK_EQ(d->stats.seq_lost, 10);
	CHECK_EQ(d->stats.seq_resets, 3);

	/* softflowd: the sequence already includes this message's records */
	seq = 2;
	for (int i = 0; i < 20; i++) {
		int n = 1 + (i * 7) % 13;

		mb_ipfix_hdr(&msg, EXPORT_SECS, seq, 0);
		if (!i)
			tmpl_small(256);
		data_small(256, n, 1);
		run(d, &q);
		seq += (uint32_t)(1 + ((i + 1) * 7) % 13);
	}
	CHECK_EQ(d->stats.seq_lost, 10);
	CHECK_EQ(d->stats.seq_resets, 3);
	nfx_decoder_free(d);
}

static void test_ipfix_template_limit(void)
{
	struct nfx_decoder *d = dec_new(4, 0);
	struct nfx_src s = src4(41090);

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 39);
	for (uint16_t t = 256; t < 262; t++)
		tmpl_small(t);
	run(d, &s);
	CHECK_EQ(d->stats.templates_learned, 4);
	CHECK_EQ(d->stats.template_limit, 2);
	/* withdrawal frees a slot */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 39);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 256, 0);
	mb_set_end(&msg);
	tmpl_small(300);
	data_small(300, 1, 1);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(d->stats.templates_learned, 5);
	CHECK_EQ(d->stats.template_limit, 2);
	nfx_decoder_free(d);
}

/* Many templates and withdrawals: the hash index must stay consistent. */
static void test_ipfix_cache_churn(void)
{
	struct nfx_decoder *d = dec_new(64, 0);
	uint32_t live[8] = { 0 };
	int bad = 0;

	for (int round = 0; round < 2000; round++) {
		struct nfx_src s = src4((uint16_t)(42000 + round % 8));
		uint16_t tid = (uint16_t)(256 + (round * 37) % 8);
		int withdraw = round % 3 == 0;

		mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 40);
		mb_set_begin(&msg, 2);
		if (withdraw) {
			mb_tmpl(&msg, tid, 0);
		} else {
			mb_tmpl(&msg, tid, 3);
			mb_field(&msg, 8, 4);
			mb_field(&msg, 12, 4);
			mb_field(&msg, 1, 4);
		}
		mb_set_end(&msg);
		data_small(tid, 1, (uint32_t)round);
		if (run(d, &s) != (withdraw ? 0 : 1) ||
		    (!withdraw && sink.f[0].bytes != (uint32_t)round))
			bad++;
		if (withdraw)
			live[round % 8] &= ~(1u << (tid - 256));
		else
			live[round % 8] |= 1u << (tid - 256);
	}
	CHECK_EQ(bad, 0);
	{
		uint32_t n = 0;

		for (int i = 0; i < 8; i++)
			n += (uint32_t)__builtin_popcount(live[i]);
		CHECK_EQ(nfx_tmpl_count(d->tmpl), n);
	}
	nfx_decoder_free(d);
}

static size_t unhex(const char *hex)
{
	msg.len = mb_unhex(msg.b, sizeof(msg.b), hex);
	msg.version = 10;
	msg.set_start = SIZE_MAX;
	return msg.len;
}

static void test_ipfix_real_softflowd_nano(void)
{
	static const uint8_t smac[6] = { 0x16, 0xc7, 0x89, 0xcb, 0x62, 0x21 };
	static const uint8_t dmac[6] = { 0x06, 0x36, 0x02, 0x77, 0x22, 0x92 };
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(43586);
	size_t len = unhex(sfnano_1);

	sink.n = 0;
	CHECK_EQ(nfx_decode_ipfix(d, &s, msg.b, len, &out), 2);
	CHECK_EQ(d->stats.templates_learned, 5);
	CHECK_EQ(d->stats.options_records, 1);
	CHECK_EQ(sink.f[0].start_ms, 1795292509425ull);
	CHECK_EQ(sink.f[0].end_ms, 1795292509491ull);
	CHECK_EQ(sink.f[0].bytes, 827);
	CHECK_EQ(sink.f[0].ip_version, 6);
	CHECK_EQ(sink.f[0].sampling_rate, 1);
	CHECK(!memcmp(sink.f[0].src_mac, smac, 6), "src mac");
	CHECK(!memcmp(sink.f[0].dst_mac, dmac, 6), "post dst mac");
	CHECK_EQ(sink.f[0].present & NFX_F_VLAN, NFX_F_VLAN);
	CHECK_EQ(sink.f[0].vlan, 0);
	nfx_decoder_free(d);
}

static void test_ipfix_real_pmacct(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(52758);
	const struct nfx_flow *f;
	size_t len;

	len = unhex(pmipfix_1);
	sink.n = 0;
	CHECK_EQ(nfx_decode_ipfix(d, &s, msg.b, len, &out), 0);
	CHECK_EQ(d->stats.options_records, 1);
	len = unhex(pmipfix_3);
	sink.n = 0;
	CHECK_EQ(nfx_decode_ipfix(d, &s, msg.b, len, &out), 1);
	f = &sink.f[0];
	CHECK_EQ(f->start_ms, 1795292510978ull);
	CHECK_EQ(f->end_ms, 1795292511031ull);
	CHECK_EQ(f->bytes, 6690);
	CHECK_EQ(f->packets, 32);
	CHECK_EQ(f->src_as, 64601);
	CHECK_EQ(f->dst_as, 64602);
	CHECK_EQ(f->src_mask, 24);
	CHECK_EQ(f->dst_mask, 25);
	CHECK_EQ(f->tos, 72);
	CHECK_EQ(f->bgp_next_hop.b[15], 1);
	CHECK_EQ(f->bgp_next_hop.b[14], 2);
	CHECK_EQ(f->dst_mac[5], 0x92);
	CHECK_EQ(f->src_mac[0], 0x16);
	CHECK_EQ(f->domain_id, 1010);
	/* frame 2 was not fed: one record missing from the sequence */
	CHECK_EQ(d->stats.seq_lost, 1);
	nfx_decoder_free(d);
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t rnd(void)
{
	return mb_rnd(&rng);
}

/*
 * Random and mutated messages must never crash, hang or read outside the
 * buffer (run under ASan to check the last).  Mutations keep the message
 * length field right half of the time so the set walker gets exercised.
 */
static void test_ipfix_fuzz(void)
{
	struct nfx_decoder *d = dec_new(64, 0);
	static uint8_t seeds[5][2048];
	size_t seed_len[5];
	uint64_t records = 0;

	seed_len[0] = mb_unhex(seeds[0], sizeof(seeds[0]), sfnano_1);
	seed_len[1] = mb_unhex(seeds[1], sizeof(seeds[1]), pmipfix_1);
	seed_len[2] = mb_unhex(seeds[2], sizeof(seeds[2]), pmipfix_3);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 0);
	tmpl_varlen(310);
	mb_set_begin(&msg, 310);
	rec_varlen(100, "cbv-p0", 6, "", 0);
	rec_varlen(300, "eth1", 4, "dns", 3);
	mb_set_end(&msg);
	seed_len[3] = mb_finish(&msg);
	memcpy(seeds[3], msg.b, seed_len[3]);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 0);
	opt_softflowd(256, EXPORT_MS, 1, 3);
	tmpl_v4(1024);
	data_v4(1024, 3, 1);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 2, 0);
	mb_set_end(&msg);
	seed_len[4] = mb_finish(&msg);
	memcpy(seeds[4], msg.b, seed_len[4]);

	for (int i = 0; i < 200000; i++) {
		struct nfx_src s = src4((uint16_t)(50000 + rnd() % 4));
		uint8_t *buf;
		size_t len = mb_mutate(&rng, i, 10, seeds, seed_len, 5, &buf);
		uint64_t dropped;
		int r;

		if (len >= 4 && rnd() % 2) {
			buf[0] = 0;
			buf[1] = 10;
			buf[2] = (uint8_t)(len >> 8);
			buf[3] = (uint8_t)len;
		}
		sink.n = sink.total = 0;
		dropped = d->stats.dropped[NFX_SLOT_IPFIX];
		r = nfx_decode_ipfix(d, &s, buf, len, &out);
		dt_check_outcome(d, NFX_SLOT_IPFIX, r, sink.total, dropped);
		records += sink.total;
		free(buf);
		if (i % 50000 == 0)
			nfx_decoder_sweep(d, s.now_ms + 1, 0);
	}
	CHECK(records > 0, "the mutated seeds decoded nothing");
	printf("# ipfix fuzz: 200000 messages, %llu records, %llu templates learned\n",
	       (unsigned long long)records, (unsigned long long)d->stats.templates_learned);
	nfx_decoder_free(d);
}

/* Zero padding after the last record is padding; anything else is a cut record. */
static void test_ipfix_padding_vs_cut_record(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(40001);
	size_t len;

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 3);
	tmpl_v4(400);
	mb_set_begin(&msg, 400);
	rec_v4(10, 100);
	mb_u16(&msg, 0);		/* 2 zero bytes: padding */
	mb_set_end(&msg);
	mb_set_begin(&msg, 400);
	rec_v4(11, 200);
	mb_u32(&msg, 0x0a0b0c0d);	/* 4 non-zero bytes: a record cut short */
	mb_set_end(&msg);
	mb_set_begin(&msg, 77);		/* reserved set id */
	mb_u32(&msg, 0);
	mb_set_end(&msg);
	len = mb_finish(&msg);
	sink.n = sink.total = 0;
	CHECK_EQ(nfx_decode_ipfix(d, &s, msg.b, len, &out), 2);
	CHECK_EQ(d->stats.record_truncated, 1);
	CHECK_EQ(d->stats.reserved_sets, 1);
	CHECK_EQ(d->stats.record_overrun, 0);
	nfx_decoder_free(d);
}

int main(void)
{
	RUN_TEST(test_ipfix_template_then_data);
	RUN_TEST(test_ipfix_withdrawal);
	RUN_TEST(test_ipfix_varlen);
	RUN_TEST(test_ipfix_enterprise);
	RUN_TEST(test_ipfix_length_checks);
	RUN_TEST(test_ipfix_short_messages);
	RUN_TEST(test_ipfix_huge_fields);
	RUN_TEST(test_ipfix_times);
	RUN_TEST(test_ipfix_time_fallbacks);
	RUN_TEST(test_ipfix_nat_firewall);
	RUN_TEST(test_ipfix_biflow);
	RUN_TEST(test_ipfix_mpls);
	RUN_TEST(test_ipfix_interface_names);
	RUN_TEST(test_ipfix_sampling);
	RUN_TEST(test_ipfix_domain_scope);
	RUN_TEST(test_ipfix_sequence);
	RUN_TEST(test_ipfix_template_limit);
	RUN_TEST(test_ipfix_cache_churn);
	RUN_TEST(test_ipfix_real_softflowd_nano);
	RUN_TEST(test_ipfix_real_pmacct);
	RUN_TEST(test_ipfix_fuzz);
	RUN_TEST(test_ipfix_padding_vs_cut_record);
	CHECK_EXIT();
}

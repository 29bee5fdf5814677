// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_vendor.c - real vendors' template layouts, built from their
 * documented templates: IOS-XR dual-family templates, tunnels (repeated
 * elements), per-sampler rates (IOS-XR sampler options, RFC 5477
 * selectors), Huawei's per-record boot time, ASA NSEL counters and event
 * time, packet sections, Cisco WLC clients, H3C's v9 variable length, and
 * the fields those exports carry, through the decoder and both record
 * writers.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "base/fieldmap.h"
#include "check.h"
#include "decode/decode.h"
#include "dectest.h"
#include "msgbuild.h"
#include "sink/ch.h"
#include "sink/ch_schema.h"
#include "sink/ndjson.h"

#define EXPORT_SECS	DT_EXPORT_SECS
#define EXPORT_MS	((uint64_t)EXPORT_SECS * 1000)
#define UPTIME		100000u

static struct mb msg;
static struct mb_sink sink;
static const struct nfx_sink out = { .emit = mb_collect, .ctx = &sink };

static int run(struct nfx_decoder *d, const struct nfx_src *s)
{
	sink.n = sink.total = 0;
	return nfx_decode(d, s, msg.b, mb_finish(&msg), &out);
}

static const uint8_t zero16[16];
static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
static const uint8_t nh6[16] = { 0xfe, 0x80, [15] = 1 };

static int addr_is(const struct nfx_addr *a, const char *text)
{
	struct nfx_addr b;

	return nfx_addr_parse(&b, text) == 0 && !memcmp(a->b, b.b, 16);
}

/* The record as its NDJSON line, parsed; NULL when it is not JSON. */
static struct json_object *ndjson(const struct nfx_flow *f)
{
	static char buf[8192];
	int n = nfx_ndjson_format(buf, sizeof(buf), f, EXPORT_MS, "default", "h", 0);

	if (n < 0)
		return NULL;
	buf[n] = 0;
	return json_tokener_parse(buf);
}

/* Value at a dotted path of @o as text, or NULL. */
static const char *jget(struct json_object *o, const char *path)
{
	char part[64];

	while (o && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = 0;
		if (!json_object_object_get_ex(o, part, &o))
			return NULL;
		path += n + (path[n] == '.');
	}
	return o ? json_object_get_string(o) : NULL;
}

/* The record as its ClickHouse row, parsed; NULL when it is not JSON. */
static struct json_object *ch_row(const struct nfx_flow *f)
{
	static char row[8192];
	int n = nfx_ch_format(row, sizeof(row), f, EXPORT_MS, "default", "h", NULL);

	if (n < 0)
		return NULL;
	row[n] = 0;
	return json_tokener_parse(row);
}

/* Every key of @row is a column of the table nfxdp clickhouse-schema makes. */
static int row_keys_are_columns(struct json_object *row)
{
	if (!row)
		return 0;
	json_object_object_foreach(row, key, val) {
		int found = 0;

		(void)val;
		for (size_t c = 0; c < nfx_ch_ncolumns && !found; c++)
			found = !strcmp(nfx_ch_columns[c].name, key);
		if (!found) {
			printf("# not a column: %s\n", key);
			return 0;
		}
	}
	return 1;
}

static int jis(struct json_object *o, const char *path, const char *want)
{
	const char *v = jget(o, path);

	return v && !strcmp(v, want);
}

/*
 * IOS-XR: the IPv6 fields before the IPv4 ones in one template, the other
 * family all zero.  Each record takes the family that is set: addresses,
 * masks and next hop of that family; no tunnel from the zero one.
 */
static void test_iosxr_dual_family(void)
{
	static const uint16_t fl[][2] = {
		{ 27, 16 }, { 28, 16 }, { 8, 4 }, { 12, 4 }, { 29, 1 }, { 30, 1 }, { 9, 1 },
		{ 13, 1 }, { 7, 2 }, { 11, 2 }, { 4, 1 }, { 62, 16 }, { 15, 4 }, { 1, 4 },
		{ 2, 4 }, { 10, 4 }, { 14, 4 }, { 61, 1 },
	};
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(50001);
	const struct nfx_flow *f;

	mb_v9_hdr(&msg, 3, UPTIME, EXPORT_SECS, 1, 0);
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 260, sizeof(fl) / sizeof(fl[0]));
	for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
		mb_field(&msg, fl[i][0], fl[i][1]);
	mb_set_end(&msg);
	mb_set_begin(&msg, 260);
	/* an IPv4 flow: IPv6 fields zero */
	mb_bytes(&msg, zero16, 16);
	mb_bytes(&msg, zero16, 16);
	mb_ip4(&msg, 10, 1, 1, 1);
	mb_ip4(&msg, 10, 2, 2, 2);
	mb_u8(&msg, 0);
	mb_u8(&msg, 0);
	mb_u8(&msg, 24);
	mb_u8(&msg, 16);
	mb_u16(&msg, 40000);
	mb_u16(&msg, 443);
	mb_u8(&msg, 6);
	mb_bytes(&msg, zero16, 16);
	mb_ip4(&msg, 10, 0, 0, 254);
	mb_u32(&msg, 1000);
	mb_u32(&msg, 10);
	mb_u32(&msg, 3);
	mb_u32(&msg, 4);
	mb_u8(&msg, 0);
	/* an IPv6 flow: IPv4 fields zero */
	mb_bytes(&msg, a6, 16);
	mb_bytes(&msg, b6, 16);
	mb_ip4(&msg, 0, 0, 0, 0);
	mb_ip4(&msg, 0, 0, 0, 0);
	mb_u8(&msg, 64);
	mb_u8(&msg, 48);
	mb_u8(&msg, 0);
	mb_u8(&msg, 0);
	mb_u16(&msg, 40001);
	mb_u16(&msg, 53);
	mb_u8(&msg, 17);
	mb_bytes(&msg, nh6, 16);
	mb_ip4(&msg, 0, 0, 0, 0);
	mb_u32(&msg, 2000);
	mb_u32(&msg, 20);
	mb_u32(&msg, 3);
	mb_u32(&msg, 4);
	mb_u8(&msg, 1);
	/* an IPv4 flow routed over an IPv6 next hop (RFC 5549) */
	mb_bytes(&msg, zero16, 16);
	mb_bytes(&msg, zero16, 16);
	mb_ip4(&msg, 10, 1, 1, 3);
	mb_ip4(&msg, 10, 2, 2, 3);
	mb_u32(&msg, 0);		/* masks */
	mb_u16(&msg, 40002);
	mb_u16(&msg, 443);
	mb_u8(&msg, 6);
	mb_bytes(&msg, nh6, 16);
	mb_ip4(&msg, 0, 0, 0, 0);
	mb_bytes(&msg, zero16, 16);	/* counters, interfaces */
	mb_u8(&msg, 0);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 3);
	CHECK_EQ(sink.f[2].ip_version, 4);
	CHECK(!memcmp(sink.f[2].next_hop.b, nh6, 16), "IPv4 flow, IPv6 next hop");
	f = &sink.f[0];
	CHECK_EQ(f->ip_version, 4);
	CHECK(addr_is(&f->src, "10.1.1.1") && addr_is(&f->dst, "10.2.2.2"), "IPv4 addresses");
	CHECK_EQ(f->src_mask, 24);
	CHECK_EQ(f->dst_mask, 16);
	CHECK(addr_is(&f->next_hop, "10.0.0.254"), "IPv4 next hop");
	CHECK_EQ(f->xpresent & (NFX_X_TUN_SRC | NFX_X_TUN_DST), 0);
	f = &sink.f[1];
	CHECK_EQ(f->ip_version, 6);
	CHECK(!memcmp(f->src.b, a6, 16) && !memcmp(f->dst.b, b6, 16), "IPv6 addresses");
	CHECK_EQ(f->src_mask, 64);
	CHECK_EQ(f->dst_mask, 48);
	CHECK(!memcmp(f->next_hop.b, nh6, 16), "IPv6 next hop");
	CHECK_EQ(f->xpresent & (NFX_X_TUN_SRC | NFX_X_TUN_DST), 0);

	/* ipVersion decides, whatever the order and the zeros */
	mb_v9_hdr(&msg, 3, UPTIME, EXPORT_SECS, 2, 0);
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 261, 6);
	mb_field(&msg, 60, 1);
	mb_field(&msg, 27, 16);
	mb_field(&msg, 28, 16);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 1, 4);
	mb_set_end(&msg);
	mb_set_begin(&msg, 261);
	mb_u8(&msg, 4);
	mb_bytes(&msg, zero16, 16);
	mb_bytes(&msg, zero16, 16);
	mb_ip4(&msg, 0, 0, 0, 0);	/* an all-zero IPv4 flow is still IPv4 */
	mb_ip4(&msg, 10, 9, 9, 9);
	mb_u32(&msg, 1);
	mb_u8(&msg, 6);
	mb_bytes(&msg, a6, 16);
	mb_bytes(&msg, b6, 16);
	mb_ip4(&msg, 0, 0, 0, 0);
	mb_ip4(&msg, 0, 0, 0, 0);
	mb_u32(&msg, 2);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 2);
	CHECK_EQ(sink.f[0].ip_version, 4);
	CHECK(addr_is(&sink.f[0].dst, "10.9.9.9"), "ipVersion 4");
	CHECK_EQ(sink.f[1].ip_version, 6);
	CHECK(!memcmp(sink.f[1].src.b, a6, 16), "ipVersion 6");
	nfx_decoder_free(d);
}

/* One side of a header: addresses, protocol, ports (IPFIX, IPv4). */
static void tmpl_l34(void)
{
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 4, 1);
	mb_field(&msg, 7, 2);
	mb_field(&msg, 11, 2);
}

static void rec_l34(uint8_t net, uint8_t proto, uint16_t sport, uint16_t dport)
{
	mb_ip4(&msg, net, 0, 2, 1);
	mb_ip4(&msg, net, 0, 2, 2);
	mb_u8(&msg, proto);
	mb_u16(&msg, sport);
	mb_u16(&msg, dport);
}

/*
 * Tunnels: a VXLAN export repeats the address/protocol/port elements, outer
 * header first (RFC 7011 section 8); SRv6 carries the outer IPv6 header
 * before the inner IPv4 one.  The inner is the flow, the outer the tunnel.
 */
static void test_tunnel_repeated_elements(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(50002);
	struct json_object *o;
	const struct nfx_flow *f;

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 300, 16);
	tmpl_l34();			/* outer */
	tmpl_l34();			/* middle: dropped */
	tmpl_l34();			/* inner */
	mb_field(&msg, 1, 4);
	mb_tmpl(&msg, 301, 6);
	mb_field(&msg, 27, 16);
	mb_field(&msg, 28, 16);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 4, 1);
	mb_field(&msg, 1, 4);
	mb_set_end(&msg);
	mb_set_begin(&msg, 300);
	rec_l34(192, 17, 49152, 4789);
	rec_l34(172, 47, 0, 0);
	rec_l34(10, 6, 40000, 443);
	mb_u32(&msg, 1500);
	mb_set_end(&msg);
	mb_set_begin(&msg, 301);
	mb_bytes(&msg, a6, 16);
	mb_bytes(&msg, b6, 16);
	mb_ip4(&msg, 10, 7, 0, 1);
	mb_ip4(&msg, 10, 7, 0, 2);
	mb_u8(&msg, 1);
	mb_u32(&msg, 84);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 2);
	f = &sink.f[0];
	CHECK(addr_is(&f->src, "10.0.2.1") && addr_is(&f->dst, "10.0.2.2"), "inner addresses");
	CHECK_EQ(f->proto, 6);
	CHECK_EQ(f->src_port, 40000);
	CHECK_EQ(f->dst_port, 443);
	CHECK(addr_is(&f->tun_src, "192.0.2.1") && addr_is(&f->tun_dst, "192.0.2.2"),
	      "outer addresses");
	CHECK_EQ(f->tun_proto, 17);
	CHECK_EQ(f->tun_src_port, 49152);
	CHECK_EQ(f->tun_dst_port, 4789);
	CHECK_EQ(f->xpresent & (NFX_X_TUN_SRC | NFX_X_TUN_DST | NFX_X_TUN_PORTS | NFX_X_TUN_PROTO),
		 NFX_X_TUN_SRC | NFX_X_TUN_DST | NFX_X_TUN_PORTS | NFX_X_TUN_PROTO);
	o = ndjson(f);
	CHECK(jis(o, "source.ip", "10.0.2.1") && jis(o, "tunnel.source.ip", "192.0.2.1") &&
	      jis(o, "tunnel.destination.ip", "192.0.2.2") &&
	      jis(o, "tunnel.destination.port", "4789") && jis(o, "tunnel.ip_protocol", "UDP"),
	      "NDJSON tunnel");
	json_object_put(o);
	o = ch_row(f);
	CHECK(jis(o, "tun_src_ip", "192.0.2.1") && jis(o, "tun_dst_ip", "192.0.2.2") &&
	      jis(o, "tun_src_port", "49152") && jis(o, "tun_dst_port", "4789") &&
	      jis(o, "tun_ip_protocol", "UDP"), "ClickHouse tunnel columns");
	CHECK(row_keys_are_columns(o), "every key of the row is a column");
	json_object_put(o);
	f = &sink.f[1];
	CHECK_EQ(f->ip_version, 4);
	CHECK(addr_is(&f->src, "10.7.0.1") && addr_is(&f->dst, "10.7.0.2"), "SRv6 inner IPv4");
	CHECK(!memcmp(f->tun_src.b, a6, 16) && !memcmp(f->tun_dst.b, b6, 16), "SRv6 outer IPv6");
	CHECK_EQ(f->xpresent & NFX_X_TUN_PORTS, 0);
	nfx_decoder_free(d);
}

/* IOS-XR sampler options (v9): scope System, 48 samplerId, 49 mode, 50 interval. */
static void opt_iosxr_sampler(uint16_t id, uint32_t interval)
{
	mb_set_begin(&msg, 1);
	mb_v9_opt_tmpl(&msg, 256, 4, 12);
	mb_field(&msg, 1, 4);
	mb_field(&msg, 48, 2);
	mb_field(&msg, 49, 1);
	mb_field(&msg, 50, 4);
	mb_set_end(&msg);
	mb_set_begin(&msg, 256);
	mb_u32(&msg, 0);
	mb_u16(&msg, id);
	mb_u8(&msg, 2);			/* random */
	mb_u32(&msg, interval);
	mb_set_end(&msg);
}

static void data_sampled(uint16_t tid, int with_id, uint16_t id)
{
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, tid, with_id ? 4 : 3);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 1, 4);
	if (with_id)
		mb_field(&msg, 48, 2);
	mb_set_end(&msg);
	mb_set_begin(&msg, tid);
	mb_ip4(&msg, 10, 0, 0, 1);
	mb_ip4(&msg, 10, 0, 0, 2);
	mb_u32(&msg, 100);
	if (with_id)
		mb_u16(&msg, id);
	mb_set_end(&msg);
}

/*
 * Several samplers on one exporter: each record takes the rate of the
 * sampler it names; an unknown id is unknown (0), no id the last rate.
 * RFC 5477 n-out-of-N (309/310) under a selectorId scope; a record's own
 * samplingInterval; the bounded table counts what it cannot keep.
 */
static void test_sampling_per_sampler(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(50003);
	uint32_t seq = 1;

	mb_v9_hdr(&msg, 2, UPTIME, EXPORT_SECS, seq++, 0);
	opt_iosxr_sampler(1, 100);
	mb_finish(&msg);
	CHECK_EQ(run(d, &s), 0);
	mb_v9_hdr(&msg, 2, UPTIME, EXPORT_SECS, seq++, 0);
	opt_iosxr_sampler(2, 1000);
	CHECK_EQ(run(d, &s), 0);
	for (uint16_t id = 1; id <= 3; id++) {
		mb_v9_hdr(&msg, 2, UPTIME, EXPORT_SECS, seq++, 0);
		data_sampled(300, 1, id);
		CHECK_EQ(run(d, &s), 1);
		CHECK_EQ(sink.f[0].sampling_rate, id == 1 ? 100 : id == 2 ? 1000 : 0);
	}
	mb_v9_hdr(&msg, 2, UPTIME, EXPORT_SECS, seq++, 0);
	data_sampled(301, 0, 0);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].sampling_rate, 1000);	/* no id: the domain's last rate */
	/* 8 slots: 2 used, 6 more fit, the 7th and 8th new ids are counted */
	for (uint16_t id = 10; id < 18; id++) {
		mb_v9_hdr(&msg, 2, UPTIME, EXPORT_SECS, seq++, 0);
		opt_iosxr_sampler(id, id);
		run(d, &s);
	}
	CHECK_EQ(d->stats.sampler_limit, 2);
	mb_v9_hdr(&msg, 2, UPTIME, EXPORT_SECS, seq++, 0);
	data_sampled(300, 1, 1);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].sampling_rate, 100);	/* kept ones unchanged */

	/* IPFIX: selectorId in the scope, random n-out-of-N 1 of 512 */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 5);
	mb_set_begin(&msg, 3);
	mb_ipfix_opt_tmpl(&msg, 256, 3, 1);
	mb_field(&msg, 302, 4);
	mb_field(&msg, 309, 4);
	mb_field(&msg, 310, 4);
	mb_set_end(&msg);
	mb_set_begin(&msg, 256);
	mb_u32(&msg, 7);
	mb_u32(&msg, 1);
	mb_u32(&msg, 512);
	mb_set_end(&msg);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 400, 3);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 302, 4);
	mb_field(&msg, 1, 4);
	mb_tmpl(&msg, 401, 3);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 34, 4);		/* the record's own rate */
	mb_field(&msg, 1, 4);
	mb_set_end(&msg);
	mb_set_begin(&msg, 400);
	mb_ip4(&msg, 10, 0, 0, 1);
	mb_u32(&msg, 7);
	mb_u32(&msg, 1);
	mb_set_end(&msg);
	mb_set_begin(&msg, 401);
	mb_ip4(&msg, 10, 0, 0, 1);
	mb_u32(&msg, 64);
	mb_u32(&msg, 1);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 2);
	CHECK_EQ(sink.f[0].sampling_rate, 512);
	CHECK_EQ(sink.f[1].sampling_rate, 64);
	nfx_decoder_free(d);
}

/* Huawei: systemInitTimeMilliseconds in each data record, before the options one. */
static void test_sysinit_per_record(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(50004);
	uint64_t opt_boot = EXPORT_MS - 86400000, rec_boot = EXPORT_MS - 3600000;

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 0);
	mb_set_begin(&msg, 3);
	mb_ipfix_opt_tmpl(&msg, 256, 2, 1);
	mb_field(&msg, 149, 4);
	mb_field(&msg, 160, 8);
	mb_set_end(&msg);
	mb_set_begin(&msg, 256);
	mb_u32(&msg, 0);
	mb_u64(&msg, opt_boot);
	mb_set_end(&msg);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 300, 6);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 1, 4);
	mb_field(&msg, 22, 4);
	mb_field(&msg, 21, 4);
	mb_field(&msg, 160, 8);
	mb_set_end(&msg);
	mb_set_begin(&msg, 300);
	mb_ip4(&msg, 10, 0, 0, 1);
	mb_ip4(&msg, 10, 0, 0, 2);
	mb_u32(&msg, 1);
	mb_u32(&msg, 1000);
	mb_u32(&msg, 2500);
	mb_u64(&msg, rec_boot);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].start_ms, rec_boot + 1000);
	CHECK_EQ(sink.f[0].end_ms, rec_boot + 2500);
	nfx_decoder_free(d);
}

/* ASA NSEL teardown-like template: connection id, 5-tuple, event, event time, counters. */
static void tmpl_nsel(uint16_t tid, int with_times)
{
	mb_tmpl(&msg, tid, with_times ? 17 : 15);
	mb_field(&msg, 148, 4);		/* NF_F_CONN_ID */
	mb_field(&msg, 8, 4);
	mb_field(&msg, 7, 2);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 11, 2);
	mb_field(&msg, 4, 1);
	mb_field(&msg, 10, 2);
	mb_field(&msg, 14, 2);
	mb_field(&msg, 233, 1);		/* NF_F_FW_EVENT */
	mb_field(&msg, 33002, 2);	/* NF_F_FW_EXT_EVENT */
	mb_field(&msg, 323, 8);		/* NF_F_EVENT_TIME_MSEC */
	mb_field(&msg, 231, 4);		/* NF_F_FWD_FLOW_DELTA_BYTES */
	mb_field(&msg, 232, 4);		/* NF_F_REV_FLOW_DELTA_BYTES */
	mb_field(&msg, 298, 4);
	mb_field(&msg, 299, 4);
	if (with_times) {
		mb_field(&msg, 152, 8);
		mb_field(&msg, 153, 8);
	}
}

static void rec_nsel(uint32_t conn, int with_times)
{
	mb_u32(&msg, conn);
	mb_ip4(&msg, 10, 1, 0, 1);
	mb_u16(&msg, 51000);
	mb_ip4(&msg, 203, 0, 113, 5);
	mb_u16(&msg, 443);
	mb_u8(&msg, 6);
	mb_u16(&msg, 3);
	mb_u16(&msg, 4);
	mb_u8(&msg, 2);			/* flow deleted */
	mb_u16(&msg, 2030);
	mb_u64(&msg, EXPORT_MS - 500);
	mb_u32(&msg, 12345);
	mb_u32(&msg, 67890);
	mb_u32(&msg, 21);
	mb_u32(&msg, 30);
	if (with_times) {
		mb_u64(&msg, EXPORT_MS - 60000);
		mb_u64(&msg, EXPORT_MS - 1000);
	}
}

/*
 * NSEL: bytes and packets from the initiator counters (no delta counter is
 * sent), the event time as start and end when there are no flow times,
 * the connection id in the record.
 */
static void test_nsel_counters(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(50005);
	struct json_object *o;
	const struct nfx_flow *f;

	mb_v9_hdr(&msg, 4, UPTIME, EXPORT_SECS, 1, 0);
	mb_set_begin(&msg, 0);
	tmpl_nsel(263, 0);
	tmpl_nsel(264, 1);
	mb_set_end(&msg);
	mb_set_begin(&msg, 263);
	rec_nsel(0xdeadbeef, 0);
	mb_set_end(&msg);
	mb_set_begin(&msg, 264);
	rec_nsel(77, 1);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 2);
	f = &sink.f[0];
	CHECK_EQ(f->bytes, 12345);
	CHECK_EQ(f->packets, 21);
	CHECK_EQ(f->start_ms, EXPORT_MS - 500);
	CHECK_EQ(f->end_ms, EXPORT_MS - 500);
	CHECK((f->present & (NFX_F_START | NFX_F_END)) == (NFX_F_START | NFX_F_END), "times");
	CHECK(f->xpresent & (1u << NFX_X_CONN_ID), "connection id present");
	CHECK_EQ(f->xv.x_CONN_ID, 0xdeadbeef);
	o = ndjson(f);
	CHECK(jis(o, "connection_id", "3735928559") && jis(o, "bytes", "12345"), "NDJSON");
	json_object_put(o);
	f = &sink.f[1];
	CHECK_EQ(f->start_ms, EXPORT_MS - 60000);	/* flow times beat the event time */
	CHECK_EQ(f->end_ms, EXPORT_MS - 1000);
	CHECK_EQ(f->xv.x_CONN_ID, 77);
	/* a total counter beside the initiator's (newer ASA): the total wins */
	mb_v9_hdr(&msg, 2, UPTIME, EXPORT_SECS, 2, 0);
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 265, 3);
	mb_field(&msg, 231, 4);
	mb_field(&msg, 85, 8);
	mb_field(&msg, 8, 4);
	mb_set_end(&msg);
	mb_set_begin(&msg, 265);
	mb_u32(&msg, 500);
	mb_u64(&msg, 800);
	mb_ip4(&msg, 10, 1, 0, 1);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].bytes, 800);
	nfx_decoder_free(d);
}

/*
 * The responder's counters (232/299) are the reverse direction: with
 * biflow_reverse_records a second record, endpoints swapped, carries them;
 * without it, the initiator's record alone, as before.
 */
static void test_nsel_responder(void)
{
	for (int on = 0; on < 2; on++) {
		struct nfx_dec_policy pol = { .biflow_reverse = on };
		struct nfx_decoder *d = dec_new(0, 0);
		struct nfx_src s = src4(50006);

		nfx_decoder_set_policy(d, &pol);
		mb_v9_hdr(&msg, 2, UPTIME, EXPORT_SECS, 1, 0);
		mb_set_begin(&msg, 0);
		mb_tmpl(&msg, 266, 6);
		mb_field(&msg, 8, 4);
		mb_field(&msg, 12, 4);
		mb_field(&msg, 231, 4);
		mb_field(&msg, 232, 4);
		mb_field(&msg, 298, 4);
		mb_field(&msg, 299, 4);
		mb_set_end(&msg);
		mb_set_begin(&msg, 266);
		mb_ip4(&msg, 10, 0, 0, 1);
		mb_ip4(&msg, 192, 0, 2, 7);
		mb_u32(&msg, 1500);
		mb_u32(&msg, 64000);
		mb_u32(&msg, 10);
		mb_u32(&msg, 50);
		mb_set_end(&msg);
		CHECK_EQ(run(d, &s), on ? 2 : 1);
		CHECK_EQ(sink.f[0].bytes, 1500);
		CHECK_EQ(sink.f[0].packets, 10);
		if (on) {
			CHECK_EQ(sink.f[1].bytes, 64000);
			CHECK_EQ(sink.f[1].packets, 50);
			CHECK(!memcmp(&sink.f[1].src, &sink.f[0].dst, sizeof(sink.f[1].src)) &&
			      !memcmp(&sink.f[1].dst, &sink.f[0].src, sizeof(sink.f[1].dst)),
			      "reverse record: endpoints swapped");
		}
		nfx_decoder_free(d);
	}
}

/* Ethernet, 802.1Q VLAN 42, IPv4 TCP 198.51.100.1:1234 -> 198.51.100.2:80 SYN */
static const uint8_t frame[] = {
	0x02, 0, 0, 0, 0, 0xbb, 0x02, 0, 0, 0, 0, 0xaa, 0x81, 0x00, 0x00, 42, 0x08, 0x00,
	0x45, 0x00, 0x00, 0x28, 0, 0, 0x40, 0, 64, 6, 0, 0, 198, 51, 100, 1, 198, 51, 100, 2,
	0x04, 0xd2, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0x00, 0, 0, 0, 0,
};

/* IPv6 UDP 2001:db8::1 port 5353 -> 2001:db8::2 port 53 */
static const uint8_t ip6udp[48] = {
	0x60, 0, 0, 0, 0, 8, 17, 64,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	0x14, 0xe9, 0x00, 0x35, 0, 8, 0, 0,
};

/*
 * Packet sections, read with the sFlow header parser: they fill what the
 * record lacks and never override its own fields.  A PSAMP-like report
 * (selector, observation time, frame) is still no flow.
 */
static void test_raw_sections(void)
{
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(50006);
	const struct nfx_flow *f;

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 0);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 310, 4);
	mb_field(&msg, 10, 4);
	mb_field(&msg, 1, 4);
	mb_field(&msg, 2, 4);
	mb_field(&msg, 315, 0xffff);
	mb_tmpl(&msg, 311, 3);
	mb_field(&msg, 1, 4);
	mb_field(&msg, 7, 2);
	mb_field(&msg, 313, sizeof(ip6udp));
	mb_tmpl(&msg, 312, 3);
	mb_field(&msg, 302, 4);
	mb_field(&msg, 324, 8);
	mb_field(&msg, 315, 0xffff);
	mb_set_end(&msg);
	mb_set_begin(&msg, 310);
	mb_u32(&msg, 5);
	mb_u32(&msg, 1500);
	mb_u32(&msg, 1);
	mb_varlen(&msg, frame, sizeof(frame));
	mb_set_end(&msg);
	mb_set_begin(&msg, 311);
	mb_u32(&msg, 60);
	mb_u16(&msg, 999);		/* the record's own source port wins */
	mb_bytes(&msg, ip6udp, sizeof(ip6udp));
	mb_set_end(&msg);
	mb_set_begin(&msg, 312);
	mb_u32(&msg, 1);
	mb_u64(&msg, 0);
	mb_varlen(&msg, frame, sizeof(frame));
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 2);
	f = &sink.f[0];
	CHECK_EQ(f->ip_version, 4);
	CHECK(addr_is(&f->src, "198.51.100.1") && addr_is(&f->dst, "198.51.100.2"), "L2 addresses");
	CHECK_EQ(f->proto, 6);
	CHECK_EQ(f->src_port, 1234);
	CHECK_EQ(f->dst_port, 80);
	CHECK_EQ(f->vlan, 42);
	CHECK_EQ(f->src_mac[5], 0xaa);
	CHECK_EQ(f->dst_mac[5], 0xbb);
	CHECK_EQ(f->tcp_flags, 0x02);
	CHECK_EQ(f->in_if, 5);
	f = &sink.f[1];
	CHECK_EQ(f->ip_version, 6);
	CHECK(!memcmp(f->src.b, a6, 16) && !memcmp(f->dst.b, b6, 16), "IP section addresses");
	CHECK_EQ(f->proto, 17);
	CHECK_EQ(f->src_port, 999);
	CHECK_EQ(f->dst_port, 53);
	nfx_decoder_free(d);
}

/*
 * Cisco WLC AVC: the client is given by staMacAddress/staIPv4Address, no
 * flow addresses; it is the source of an ingress (upstream) record and the
 * destination of an egress one.
 */
static void test_wlc_station(void)
{
	static const uint8_t sta[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t wtp[6] = { 0x02, 0, 0, 0, 0, 0x99 };
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(50009);
	const struct nfx_flow *f;

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 0);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 261, 9);
	mb_field(&msg, 365, 6);		/* staMacAddress */
	mb_field(&msg, 366, 4);		/* staIPv4Address */
	mb_field(&msg, 95, 4);		/* applicationId */
	mb_field(&msg, 147, 0xffff);	/* wlanSSID */
	mb_field(&msg, 61, 1);
	mb_field(&msg, 2, 8);
	mb_field(&msg, 1, 8);
	mb_field(&msg, 195, 1);
	mb_field(&msg, 367, 6);		/* wtpMacAddress */
	mb_set_end(&msg);
	mb_set_begin(&msg, 261);
	for (uint8_t dir = 0; dir < 2; dir++) {
		mb_bytes(&msg, sta, 6);
		mb_ip4(&msg, 192, 168, 10, 23);
		mb_u32(&msg, 0x0d000050);
		mb_varlen(&msg, "corp", 4);
		mb_u8(&msg, dir);
		mb_u64(&msg, 10);
		mb_u64(&msg, 9000);
		mb_u8(&msg, 0);
		mb_bytes(&msg, wtp, 6);
	}
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 2);
	f = &sink.f[0];
	CHECK_EQ(f->ip_version, 4);
	CHECK(addr_is(&f->src, "192.168.10.23") && !(f->present & NFX_F_DST_ADDR), "ingress: source");
	CHECK(!memcmp(f->src_mac, sta, 6) && (f->present & NFX_F_SRC_MAC), "ingress: source MAC");
	CHECK_EQ(f->bytes, 9000);
	CHECK_EQ(f->xv.x_APP_ID, 0x0d000050);
	f = &sink.f[1];
	CHECK(addr_is(&f->dst, "192.168.10.23") && !(f->present & NFX_F_SRC_ADDR), "egress: destination");
	CHECK(!memcmp(f->dst_mac, sta, 6), "egress: destination MAC");
	nfx_decoder_free(d);
}

/* H3C: a v9 field of length 65535 read as IPFIX's variable length, and counted. */
static void test_v9_varlen_tolerated(void)
{
	static const char name[] = "GigabitEthernet1/0/1";
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(50007);

	mb_v9_hdr(&msg, 2, UPTIME, EXPORT_SECS, 1, 0);
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 270, 4);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 82, 0xffff);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 1, 4);
	mb_set_end(&msg);
	mb_set_begin(&msg, 270);
	for (int i = 0; i < 2; i++) {
		mb_ip4(&msg, 10, 0, 0, (uint8_t)(1 + i));
		mb_varlen(&msg, name, sizeof(name) - 1 - (size_t)i);
		mb_ip4(&msg, 10, 0, 1, 1);
		mb_u32(&msg, 100 + (uint32_t)i);
	}
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 2);
	CHECK_EQ(d->stats.v9_varlen_fields, 1);
	CHECK_EQ(d->stats.bad_template, 0);
	CHECK(addr_is(&sink.f[1].src, "10.0.0.2") && addr_is(&sink.f[1].dst, "10.0.1.1"),
	      "fields after the variable-length one");
	CHECK_EQ(sink.f[1].bytes, 101);
	nfx_decoder_free(d);
}

/* Every vendor field: one element each, in the record, NDJSON, ClickHouse, by name. */
static void test_vendor_fields(void)
{
	static const struct {
		uint16_t ie, len;
		uint64_t v;
		unsigned int x;
		const char *key;
	} fl[] = {
		{ 234, 4, 101, NFX_X_INGRESS_VRF, "ingress_vrf_id" },
		{ 235, 4, 102, NFX_X_EGRESS_VRF, "egress_vrf_id" },
		{ 89, 1, 0x42, NFX_X_FWD_STATUS, "forwarding_status" },
		{ 136, 1, 2, NFX_X_END_REASON, "flow_end_reason" },
		{ 31, 4, 0xfff12345, NFX_X_FLOW_LABEL, "ipv6_flow_label" },	/* 20 bits kept */
		{ 192, 1, 63, NFX_X_TTL, "ttl" },
		{ 52, 1, 60, NFX_X_MIN_TTL, "min_ttl" },
		{ 53, 1, 64, NFX_X_MAX_TTL, "max_ttl" },
		{ 254, 2, 300, NFX_X_POST_VLAN, "post_vlan" },	/* by name: 59 */
		{ 95, 4, 0x0d000050, NFX_X_APP_ID, "application_id" },
		{ 148, 8, 1ull << 40, NFX_X_CONN_ID, "connection_id" },
		{ 252, 4, 17, NFX_X_IN_PHYS_IF, "ingress_physical_interface" },
		{ 253, 4, 18, NFX_X_OUT_PHYS_IF, "egress_physical_interface" },
	};
	const size_t n = sizeof(fl) / sizeof(fl[0]);
	struct nfx_decoder *d = dec_new(0, 0);
	struct nfx_src s = src4(50008);
	char want[32];
	struct json_object *o, *r;
	const struct nfx_flow *f;
	uint16_t ie4, ie16;

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 0);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 320, (uint16_t)(n + 3));
	mb_field(&msg, 8, 4);
	mb_field(&msg, 243, 2);		/* dot1qVlanId: the flow's VLAN */
	mb_field(&msg, 1, 4);
	for (size_t i = 0; i < n; i++)
		mb_field(&msg, fl[i].ie, fl[i].len);
	mb_set_end(&msg);
	mb_set_begin(&msg, 320);
	mb_ip4(&msg, 10, 0, 0, 1);
	mb_u16(&msg, 77);
	mb_u32(&msg, 1);
	for (size_t i = 0; i < n; i++)
		for (int b = fl[i].len - 1; b >= 0; b--)
			mb_u8(&msg, (uint8_t)(fl[i].v >> (8 * b)));
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 1);
	f = &sink.f[0];
	CHECK_EQ(f->vlan, 77);
	o = ndjson(f);
	r = ch_row(f);
	CHECK(row_keys_are_columns(r), "every key of the row is a column");
	for (size_t i = 0; i < n; i++) {
		uint64_t v = fl[i].ie == 31 ? (fl[i].v & 0xfffff) : fl[i].v;

		CHECK(f->xpresent & (1u << fl[i].x), "%s present", fl[i].key);
		CHECK_EQ(nfx_xfield_get(f, fl[i].x), v);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
		CHECK(jis(o, fl[i].key, want), "NDJSON %s = %s", fl[i].key, want);
		CHECK(jis(r, fl[i].key, want), "ClickHouse %s = %s", fl[i].key, want);
		CHECK(nfx_fieldmap_builtin(fl[i].key, &ie4, &ie16) &&
		      ie4 == (fl[i].ie == 254 ? 59 : fl[i].ie),
		      "mappable by name: %s", fl[i].key);
	}
	json_object_put(o);
	json_object_put(r);
	nfx_decoder_free(d);
}

int main(void)
{
	RUN_TEST(test_iosxr_dual_family);
	RUN_TEST(test_tunnel_repeated_elements);
	RUN_TEST(test_sampling_per_sampler);
	RUN_TEST(test_sysinit_per_record);
	RUN_TEST(test_nsel_counters);
	RUN_TEST(test_nsel_responder);
	RUN_TEST(test_raw_sections);
	RUN_TEST(test_wlc_station);
	RUN_TEST(test_v9_varlen_tolerated);
	RUN_TEST(test_vendor_fields);
	CHECK_EXIT();
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_fieldmap.c - additional-field mapping end to end: an IPFIX template
 * compiled with mappings of one listener, the values kept in the record,
 * and written by the NDJSON writer under the configured keys and types.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "decode/decode.h"
#include "base/fieldmap.h"
#include "msgbuild.h"
#include "sink/ndjson.h"

static struct mb msg;
static struct mb_sink sink;
static const struct nfx_sink out = { mb_collect, &sink };

static struct nfx_fieldmap maps[5];

static void add_map(unsigned int i, uint16_t port, uint16_t field, uint8_t type, int le,
		    const char *key)
{
	memset(&maps[i], 0, sizeof(maps[i]));
	maps[i].port = port;
	maps[i].field = field;
	maps[i].type = type;
	maps[i].little_endian = (uint8_t)le;
	nfx_fieldmap_builtin(key, &maps[i].builtin4, &maps[i].builtin16);
	nfx_fieldmap_set_key(&maps[i], key);
}

/* Template 300: addresses, ports, bytes, then the fields the mappings take. */
static size_t build(void)
{
	static const char ifname[] = "ge-0/0/1";

	mb_ipfix_hdr(&msg, 1700000000, 1, 7);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 300, 8);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 7, 2);
	mb_field(&msg, 11, 2);
	mb_field(&msg, 1, 4);
	mb_field(&msg, 82, 0xffff);	/* interfaceName, variable length */
	mb_field(&msg, 225, 4);		/* postNATSourceIPv4Address */
	mb_field(&msg, 95, 4);		/* applicationId */
	mb_set_end(&msg);
	mb_set_begin(&msg, 300);
	mb_ip4(&msg, 10, 0, 0, 1);
	mb_ip4(&msg, 10, 0, 0, 2);
	mb_u16(&msg, 40000);
	mb_u16(&msg, 443);
	mb_u32(&msg, 1234);
	mb_varlen(&msg, ifname, sizeof(ifname) - 1);
	mb_ip4(&msg, 192, 0, 2, 99);
	mb_u32(&msg, 0x0d000050);
	mb_set_end(&msg);
	return mb_finish(&msg);
}

static struct json_object *format(const struct nfx_flow *f)
{
	static char buf[4096];
	struct nfx_ndjson *w;
	char path[] = "/tmp/nfxtest-fieldmap.XXXXXX";	/* a real path: the writer follows no link */
	FILE *tmp = fdopen(mkstemp(path), "w+");
	size_t n;

	/* through the real writer, the mappings attached as the enrichment stage does */
	const struct nfx_enriched x = { .maps = maps, .nmaps = 5 };
	const struct nfx_record rec = { .flow = f, .ns = "default", .flush_ms = 1, .x = &x };

	w = nfx_ndjson_open(&(struct nfx_ndjson_opts){ .path = path, .host = "h" });
	unlink(path);
	if (!w)
		return NULL;
	nfx_ndjson_write_record(w, &rec);
	nfx_ndjson_close(w);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = 0;
	fclose(tmp);
	return json_tokener_parse(buf);
}

static const char *get(struct json_object *o, const char *a, const char *b)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return json_object_get_string(v);
}

static void test_mapped_fields(void)
{
	struct nfx_decoder *d = nfx_decoder_new(NULL);
	struct nfx_src src = { .port = 5000, .dst_port = 4739, .now_ms = 1700000000000ull };
	struct json_object *o;
	size_t len = build();

	add_map(0, 4739, 82, NFX_MAP_STRING, 0, "interface_name");
	add_map(1, 4739, 225, NFX_MAP_IP, 0, "nat_source_ip");
	add_map(2, 4739, 95, NFX_MAP_HEX, 0, "nbar_application");	/* not the built-in key */
	add_map(3, 4739, 7, NFX_MAP_INTEGER, 0, "destination.port");	/* override */
	add_map(4, 2055, 95, NFX_MAP_INTEGER, 0, "other_listener_only");
	nfx_decoder_set_fieldmaps(d, maps, 5);
	sink.n = 0;
	CHECK_EQ(nfx_decode(d, &src, msg.b, len, &out), 1);
	CHECK_EQ(sink.f[0].nextra, 3);
	CHECK_EQ(sink.f[0].dst_port, 40000);	/* the mapping beats IE 11 */
	o = format(&sink.f[0]);
	CHECK(o, "valid JSON");
	CHECK(get(o, "interface_name", NULL) && !strcmp(get(o, "interface_name", NULL), "ge-0/0/1"),
	      "string %s", get(o, "interface_name", NULL));
	CHECK(get(o, "nat_source_ip", NULL) && !strcmp(get(o, "nat_source_ip", NULL), "192.0.2.99"),
	      "ip");
	CHECK(get(o, "nbar_application", NULL) && !strcmp(get(o, "nbar_application", NULL), "0d000050"),
	      "hex");
	CHECK(!get(o, "other_listener_only", NULL), "another listener's mapping does not apply");
	CHECK(!strcmp(get(o, "destination", "port"), "40000"), "override written as the port");
	json_object_put(o);

	/* the same exporter on a listener without mappings: the plain record */
	src.dst_port = 9995;
	src.port = 5001;
	nfx_decoder_set_fieldmaps(d, maps, 4);
	sink.n = 0;
	CHECK_EQ(nfx_decode(d, &src, msg.b, len, &out), 1);
	CHECK_EQ(sink.f[0].nextra, 0);
	CHECK_EQ(sink.f[0].dst_port, 443);
	nfx_decoder_free(d);
}

static void test_integer_endianness_and_bad_types(void)
{
	struct nfx_flow f = { 0 };
	struct json_object *o;
	static const uint8_t le[4] = { 0x01, 0x02, 0x00, 0x00 }, odd[3] = { 1, 2, 3 };

	add_map(0, 0, 1000, NFX_MAP_INTEGER, 1, "le_counter");
	add_map(1, 0, 1001, NFX_MAP_IP, 0, "not_an_address");
	add_map(2, 0, 1002, NFX_MAP_STRING, 0, "quote\"key");
	add_map(3, 0, 1003, NFX_MAP_STRING, 0, "ctl");
	add_map(4, 0, 1004, NFX_MAP_INTEGER, 0, "big");
	nfx_addr_parse(&f.exporter, "127.0.0.1");
	nfx_flow_add_extra(&f, 0, le, 4);
	nfx_flow_add_extra(&f, 1, odd, 3);
	nfx_flow_add_extra(&f, 2, (const uint8_t *)"a\"b", 3);
	nfx_flow_add_extra(&f, 3, (const uint8_t *)"x\ny\0junk", 9);
	nfx_flow_add_extra(&f, 4, le, 4);	/* a fifth: no room, left out */
	CHECK_EQ(f.nextra, 4);
	o = format(&f);
	CHECK(o, "valid JSON with hostile strings");
	CHECK(get(o, "le_counter", NULL) && !strcmp(get(o, "le_counter", NULL), "513"),
	      "little endian %s", get(o, "le_counter", NULL));
	CHECK(get(o, "not_an_address", NULL) && !strcmp(get(o, "not_an_address", NULL), "010203"),
	      "a 3-byte 'ip' falls back to hex");
	CHECK(get(o, "quote\"key", NULL) && !strcmp(get(o, "quote\"key", NULL), "a\"b"),
	      "escaped key and value");
	CHECK(get(o, "ctl", NULL) && !strcmp(get(o, "ctl", NULL), "x\ny"), "control escaped, NUL ends");
	json_object_put(o);
}

/* An enterprise element (PEN 9, id 12235) is mapped by its PEN as well as its id. */
static void test_enterprise_field(void)
{
	struct nfx_decoder *d = nfx_decoder_new(NULL);
	struct nfx_src src = { .port = 5002, .dst_port = 4739, .now_ms = 1700000000000ull };
	struct json_object *o;
	size_t len;

	mb_ipfix_hdr(&msg, 1700000000, 1, 8);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 301, 4);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field_pen(&msg, 12235, 4, 9);	/* Cisco's */
	mb_field_pen(&msg, 12235, 4, 29305);	/* same id, other enterprise: not mapped */
	mb_set_end(&msg);
	mb_set_begin(&msg, 301);
	mb_ip4(&msg, 10, 0, 0, 1);
	mb_ip4(&msg, 10, 0, 0, 2);
	mb_u32(&msg, 4242);
	mb_u32(&msg, 7);
	mb_set_end(&msg);
	len = mb_finish(&msg);
	add_map(0, 4739, 12235, NFX_MAP_INTEGER, 0, "cisco_app");
	maps[0].pen = 9;
	nfx_decoder_set_fieldmaps(d, maps, 1);
	sink.n = 0;
	CHECK_EQ(nfx_decode(d, &src, msg.b, len, &out), 1);
	CHECK_EQ(sink.f[0].nextra, 1);
	o = format(&sink.f[0]);
	CHECK(get(o, "cisco_app", NULL) && !strcmp(get(o, "cisco_app", NULL), "4242"),
	      "enterprise element by PEN %s", get(o, "cisco_app", NULL));
	json_object_put(o);
	nfx_decoder_free(d);
}

int main(void)
{
	RUN_TEST(test_mapped_fields);
	RUN_TEST(test_integer_endianness_and_bad_types);
	RUN_TEST(test_enterprise_field);
	CHECK_EXIT();
}

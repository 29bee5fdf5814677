// SPDX-License-Identifier: BSD-2-Clause
/* test_ndjson.c - the NDJSON record format (design §4), checked with json-c. */
#include <json-c/json.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "check.h"
#include "sink/ndjson.h"

static struct json_object *format(const struct nfx_flow *f, const char *ns, const char *host)
{
	static char buf[4096];
	int n = nfx_ndjson_format(buf, sizeof(buf), f, 1700000000123ull, ns, host, 0);

	if (n < 0)
		return NULL;
	buf[n] = 0;
	return json_tokener_parse(buf);
}

static const char *str_at(struct json_object *o, const char *a, const char *b)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return json_object_get_string(v);
}

static struct nfx_flow v4_flow(void)
{
	struct nfx_flow f = { 0 };

	f.type = NFX_TYPE_NETFLOW5;
	f.ip_version = 4;
	f.present = NFX_F_START | NFX_F_END | NFX_F_NEXT_HOP | NFX_F_SRC_AS | NFX_F_TOS;
	nfx_addr_parse(&f.src, "10.1.2.3");
	nfx_addr_parse(&f.dst, "192.168.255.1");
	nfx_addr_parse(&f.next_hop, "10.0.0.254");
	nfx_addr_parse(&f.exporter, "127.0.0.1");
	f.src_mask = 16;
	f.dst_mask = 25;
	f.src_port = 51000;
	f.dst_port = 443;
	f.proto = 6;
	f.tcp_flags = 0x13;
	f.bytes = 1ull << 40;
	f.packets = 3;
	f.start_ms = 1699999999999ull;
	f.end_ms = 1700000000000ull;
	f.in_if = 4;
	f.out_if = 70000;
	f.src_as = 4200000001u;
	f.tos = 184;
	f.direction = 1;
	f.sampling_rate = 512;
	memcpy(f.src_mac, "\x02\xab\x00\x10\xff\x01", 6);
	return f;
}

static void test_v4_record(void)
{
	struct nfx_flow f = v4_flow();
	struct json_object *o = format(&f, "prod", "collector-1");

	CHECK(o, "valid JSON");
	if (!o)
		return;
	CHECK(!strcmp(str_at(o, "type", NULL), "netflow5"), "type");
	CHECK(!strcmp(str_at(o, "flush_timestamp", NULL), "1700000000123"), "flush ts");
	CHECK(!strcmp(str_at(o, "direction", NULL), "egress"), "direction");
	CHECK(!strcmp(str_at(o, "start", NULL), "1699999999"), "start seconds");
	CHECK(!strcmp(str_at(o, "end", NULL), "1700000000"), "end seconds");
	CHECK(!strcmp(str_at(o, "bytes", NULL), "1099511627776"), "64-bit bytes");
	CHECK(!strcmp(str_at(o, "ether_type", NULL), "IPv4"), "ether_type");
	CHECK(!strcmp(str_at(o, "ip_protocol", NULL), "TCP"), "protocol name");
	CHECK(!strcmp(str_at(o, "device", "namespace"), "prod"), "namespace");
	CHECK(!strcmp(str_at(o, "exporter", "ip"), "127.0.0.1"), "exporter");
	CHECK(!strcmp(str_at(o, "source", "ip"), "10.1.2.3"), "src ip");
	CHECK(!strcmp(str_at(o, "source", "port"), "51000"), "src port is a string");
	CHECK(!strcmp(str_at(o, "source", "mac"), "02:ab:00:10:ff:01"), "src mac");
	CHECK(!strcmp(str_at(o, "source", "mask"), "10.1.0.0/16"), "src mask %s",
	      str_at(o, "source", "mask"));
	CHECK(!strcmp(str_at(o, "destination", "mask"), "192.168.255.0/25"), "dst mask");
	CHECK(!strcmp(str_at(o, "host", NULL), "collector-1"), "host");
	CHECK(!strcmp(str_at(o, "next_hop", "ip"), "10.0.0.254"), "next hop");
	CHECK(!strcmp(str_at(o, "tcp_flags", NULL), "[ \"FIN\", \"SYN\", \"ACK\" ]"), "flags %s",
	      str_at(o, "tcp_flags", NULL));
	CHECK(!strcmp(str_at(o, "src_as", NULL), "4200000001"), "src_as");
	CHECK(!strcmp(str_at(o, "tos", NULL), "184"), "tos");
	CHECK(!str_at(o, "dst_as", NULL), "absent dst_as omitted");
	CHECK(!strcmp(str_at(o, "sampling_rate", NULL), "512"), "sampling rate");
	json_object_put(o);
}

static void test_v6_record(void)
{
	struct nfx_flow f = v4_flow();
	struct json_object *o;

	f.type = NFX_TYPE_IPFIX;
	f.ip_version = 6;
	f.proto = 58;
	f.tcp_flags = 0;
	f.present = NFX_F_DOMAIN | NFX_F_ICMP;
	f.domain_id = 7;
	f.icmp_type = 128;
	nfx_addr_parse(&f.src, "2001:db8:abcd:12::1");
	nfx_addr_parse(&f.dst, "fe80::1");
	f.src_mask = 48;
	f.dst_mask = 0;
	o = format(&f, "a\\\"b", "h");	/* escaped form of a"b */
	CHECK(o, "valid JSON with escaped namespace");
	CHECK(o && !strcmp(str_at(o, "device", "namespace"), "a\"b"), "namespace");
	if (!o)
		return;
	CHECK(!strcmp(str_at(o, "ether_type", NULL), "IPv6"), "ether_type");
	CHECK(!strcmp(str_at(o, "ip_protocol", NULL), "IPv6-ICMP"), "protocol");
	CHECK(!strcmp(str_at(o, "source", "mask"), "2001:db8:abcd::/48"), "v6 mask %s",
	      str_at(o, "source", "mask"));
	CHECK(!strcmp(str_at(o, "destination", "mask"), "::/0"), "zero mask");
	CHECK(!str_at(o, "tcp_flags", NULL), "no flags key when none");
	CHECK(!str_at(o, "next_hop", NULL), "no next hop when absent");
	CHECK(!strcmp(str_at(o, "observation_domain_id", NULL), "7"), "domain");
	CHECK(!strcmp(str_at(o, "icmp_type", NULL), "128"), "icmp type");
	CHECK(!strcmp(str_at(o, "start", NULL), "1700000000"), "start defaults to flush time");
	json_object_put(o);
}

static void test_unknown_protocol_and_small_buffer(void)
{
	struct nfx_flow f = v4_flow();
	char small[64];
	struct json_object *o;

	f.proto = 253;
	o = format(&f, "n", "h");
	CHECK(o && !strcmp(str_at(o, "ip_protocol", NULL), "253"), "number for unknown protocol");
	json_object_put(o);
	CHECK(nfx_ndjson_format(small, sizeof(small), &f, 1, "n", "h", 0) == -ENOSPC,
	      "too small a buffer is refused, not overrun");
}

static void test_rolled_up_port(void)
{
	struct nfx_flow f = v4_flow();
	struct json_object *o;

	f.present |= NFX_F_DST_PORT_ROLLUP;
	o = format(&f, "n", "h");
	CHECK(o && !strcmp(str_at(o, "destination", "port"), "*"), "rolled-up side is *");
	CHECK(o && !strcmp(str_at(o, "source", "port"), "51000"), "other side keeps its port");
	json_object_put(o);
}

/*
 * Numbers of every length (the digit count comes from the bit length and a
 * table) and the bounds-checked path: a buffer of exactly the record's size
 * gives the same bytes as the fast path, one byte less is refused.
 */
/* Post-NAT endpoints and NAT/firewall events: written only as far as the record has them. */
static void test_nat_firewall(void)
{
	struct nfx_flow f = v4_flow();
	struct json_object *o, *side, *v;

	nfx_addr_parse(&f.nat_src, "203.0.113.5");
	nfx_addr_parse(&f.nat_dst, "2001:db8::99");
	f.nat_src_port = 61000;
	f.nat_dst_port = 8443;
	f.nat_event = 1;
	f.fw_event = 3;
	f.present2 = NFX_F2_NAT_SRC | NFX_F2_NAT_SRC_PORT | NFX_F2_NAT_DST_PORT | NFX_F2_NAT_EVENT |
		     NFX_F2_FW_EVENT;
	o = format(&f, "prod", "c");
	CHECK(o, "valid JSON");
	if (!o)
		return;
	CHECK(!strcmp(str_at(o, "nat_source", "ip"), "203.0.113.5"), "nat source ip");
	CHECK(json_object_object_get_ex(o, "nat_source", &side) &&
	      json_object_object_get_ex(side, "port", &v) && json_object_is_type(v, json_type_int) &&
	      json_object_get_int(v) == 61000, "nat source port is a number");
	CHECK(!str_at(o, "nat_destination", "ip"), "absent nat destination ip omitted");
	CHECK(!strcmp(str_at(o, "nat_destination", "port"), "8443"), "nat destination port");
	CHECK(!strcmp(str_at(o, "nat_event", NULL), "1"), "nat_event");
	CHECK(!strcmp(str_at(o, "firewall_event", NULL), "3"), "firewall_event");
	json_object_put(o);
	f.present2 = NFX_F2_NAT_DST;
	o = format(&f, "prod", "c");
	CHECK(o && !strcmp(str_at(o, "nat_destination", "ip"), "2001:db8::99") &&
	      !str_at(o, "nat_source", NULL) && !str_at(o, "nat_event", NULL) &&
	      !str_at(o, "firewall_event", NULL), "only the destination address");
	json_object_put(o);
	f.present2 = 0;
	o = format(&f, "prod", "c");
	CHECK(o && !str_at(o, "nat_destination", NULL) && !str_at(o, "firewall_event", NULL) &&
	      !str_at(o, "mpls_labels", NULL), "none without present2");
	json_object_put(o);
	/* interface names, escaped: a quote and a control byte */
	strcpy(f.in_if_name, "Gi0/1 \"core\"\x01");
	strcpy(f.out_if_name, "eth1");
	f.present2 = NFX_F2_IN_IF_NAME | NFX_F2_OUT_IF_NAME;
	o = format(&f, "prod", "c");
	CHECK(o, "names: valid JSON");
	if (o) {
		struct json_object *ing, *itf, *nm;

		CHECK(json_object_object_get_ex(o, "ingress", &ing) &&
		      json_object_object_get_ex(ing, "interface", &itf) &&
		      json_object_object_get_ex(itf, "name", &nm) &&
		      !strcmp(json_object_get_string(nm), "Gi0/1 \"core\"\x01"), "ingress name");
		CHECK(json_object_object_get_ex(o, "egress", &ing) &&
		      json_object_object_get_ex(ing, "interface", &itf) &&
		      json_object_object_get_ex(itf, "name", &nm) &&
		      !strcmp(json_object_get_string(nm), "eth1"), "egress name");
		json_object_put(o);
	}
	f.present2 = 0;
	/* MPLS: the top label and the stack, labels only */
	nfx_flow_set_mpls(&f, 0, 16001u << 4 | 5u << 1);
	nfx_flow_set_mpls(&f, 1, 300u << 4 | 1);
	o = format(&f, "prod", "c");
	CHECK(o && !strcmp(str_at(o, "mpls_top_label", NULL), "16001") &&
	      !strcmp(str_at(o, "mpls_labels", NULL), "[ 16001, 300 ]"), "mpls %s",
	      o ? str_at(o, "mpls_labels", NULL) : "-");
	json_object_put(o);
}

/* An IPv4 exporter seen by a dual-stack socket (::ffff:a.b.c.d) is written as IPv4. */
static void test_mapped_exporter(void)
{
	struct nfx_flow f = v4_flow();
	struct in6_addr a6;
	struct json_object *o;

	inet_pton(AF_INET6, "::ffff:192.0.2.9", &a6);
	memcpy(f.exporter.b, &a6, 16);
	o = format(&f, "prod", "c");
	CHECK(o && !strcmp(str_at(o, "exporter", "ip"), "192.0.2.9"), "exporter %s",
	      o ? str_at(o, "exporter", "ip") : "-");
	json_object_put(o);
}

static void test_numbers_and_exact_buffers(void)
{
	static char fast[4096], exact[4096];
	uint64_t p10 = 1;
	int bad = 0, refused = 0;

	for (int k = 0; k <= 20; k++) {
		uint64_t vals[3] = { p10 - 1, p10, p10 + 1 };

		if (k == 20)	/* past 10^19: the largest value */
			vals[0] = vals[1] = vals[2] = UINT64_MAX;
		for (int i = 0; i < 3; i++) {
			struct nfx_flow f = v4_flow();
			char want[64];
			int n, m;

			f.bytes = vals[i];
			f.packets = vals[i] / 3;
			if (k & 1) {	/* IPv6 text through the checked path too */
				f.ip_version = 6;
				nfx_addr_parse(&f.src, "2001:db8::1:0:0:1");
				nfx_addr_parse(&f.dst, "::ffff:10.9.8.7");
			}
			n = nfx_ndjson_format(fast, sizeof(fast), &f, 1700000000123ull, "ns", "h", 0);
			snprintf(want, sizeof(want), "\"bytes\":%llu,", (unsigned long long)vals[i]);
			fast[n > 0 ? n : 0] = 0;
			bad += n <= 0 || !strstr(fast, want);
			snprintf(want, sizeof(want), "\"packets\":%llu,",
				 (unsigned long long)(vals[i] / 3));
			bad += !strstr(fast, want);
			m = nfx_ndjson_format(exact, (size_t)n, &f, 1700000000123ull, "ns", "h", 0);
			bad += m != n || memcmp(fast, exact, (size_t)n);
			refused += nfx_ndjson_format(exact, (size_t)n - 1, &f, 1700000000123ull,
						     "ns", "h", 0) == -ENOSPC;
		}
		p10 *= 10;
	}
	CHECK(!bad, "every number length written right, checked path identical (%d bad)", bad);
	CHECK(refused == 63, "one byte short is refused every time (%d of 63)", refused);
}

int main(void)
{
	RUN_TEST(test_v4_record);
	RUN_TEST(test_v6_record);
	RUN_TEST(test_unknown_protocol_and_small_buffer);
	RUN_TEST(test_rolled_up_port);
	RUN_TEST(test_numbers_and_exact_buffers);
	RUN_TEST(test_nat_firewall);
	RUN_TEST(test_mapped_exporter);
	CHECK_EXIT();
}

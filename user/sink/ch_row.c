// SPDX-License-Identifier: BSD-2-Clause
/*
 * ch_row.c - a flow record as one flat JSONEachRow row of the ClickHouse
 * table (ch_schema.c's columns), formatted with the NDJSON writer's helpers
 * (base/wbuf.h): a record's names and mapped fields as enrichment attached
 * them, written only when present.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base/wbuf.h"
#include "sink/ch.h"

/* ,"key":N */
static void put_num(struct wbuf *w, const char *key, size_t klen, uint64_t v)
{
	put_lit(w, ",\"");
	put_mem(w, key, klen);
	put_lit(w, "\":");
	put_u64(w, v);
}

#define PUT_NUM(w, key, v) put_num(w, key, sizeof(key) - 1, v)

/* ,"key":"ADDR" */
static void put_addr_key(struct wbuf *w, const char *key, size_t klen, const struct nfx_addr *a)
{
	put_lit(w, ",\"");
	put_mem(w, key, klen);
	put_lit(w, "\":\"");
	put_ip(w, a);
	put_lit(w, "\"");
}

#define PUT_ADDR(w, key, a) put_addr_key(w, key, sizeof(key) - 1, a)

/* "src_" or "dst_" side: ip, port, mac, mask */
static void put_side(struct wbuf *w, const struct nfx_flow *f, int src)
{
	const struct nfx_addr *a = src ? &f->src : &f->dst;
	int v4 = f->ip_version != 6 && nfx_addr_is_v4(a);
	const char *pfx = src ? ",\"src_" : ",\"dst_";

	put_mem(w, pfx, 6);
	put_lit(w, "ip\":\"");
	put_ip(w, a);
	put_lit(w, "\"");
	put_mem(w, pfx, 6);
	put_lit(w, "port\":\"");
	if (f->present & (src ? NFX_F_SRC_PORT_ROLLUP : NFX_F_DST_PORT_ROLLUP))
		put_lit(w, "*");
	else
		put_u64(w, src ? f->src_port : f->dst_port);
	put_lit(w, "\"");
	put_mem(w, pfx, 6);
	put_lit(w, "mac\":\"");
	put_mac(w, src ? f->src_mac : f->dst_mac);
	put_lit(w, "\"");
	put_mem(w, pfx, 6);
	put_lit(w, "mask\":\"");
	put_mask(w, a, src ? f->src_mask : f->dst_mask, v4);
	put_lit(w, "\"");
}

/* The tunnel's columns (tun_*), each only when the record has it. */
static void put_tunnel(struct wbuf *w, const struct nfx_flow *f)
{
	if (f->xpresent & NFX_X_TUN_SRC)
		PUT_ADDR(w, "tun_src_ip", &f->tun_src);
	if (f->xpresent & NFX_X_TUN_DST)
		PUT_ADDR(w, "tun_dst_ip", &f->tun_dst);
	if (f->xpresent & NFX_X_TUN_PORTS) {
		PUT_NUM(w, "tun_src_port", f->tun_src_port);
		PUT_NUM(w, "tun_dst_port", f->tun_dst_port);
	}
	if (f->xpresent & NFX_X_TUN_PROTO) {
		put_lit(w, ",\"tun_ip_protocol\":\"");
		put_proto(w, f->tun_proto);
		put_lit(w, "\"");
	}
}

/* Post-NAT endpoints, NAT and firewall events, MPLS labels: only what the record has. */
static void put_nat_fw(struct wbuf *w, const struct nfx_flow *f)
{
	if (f->present2 & NFX_F2_NAT_SRC)
		PUT_ADDR(w, "nat_src_ip", &f->nat_src);
	if (f->present2 & NFX_F2_NAT_SRC_PORT)
		PUT_NUM(w, "nat_src_port", f->nat_src_port);
	if (f->present2 & NFX_F2_NAT_DST)
		PUT_ADDR(w, "nat_dst_ip", &f->nat_dst);
	if (f->present2 & NFX_F2_NAT_DST_PORT)
		PUT_NUM(w, "nat_dst_port", f->nat_dst_port);
	if (f->present2 & NFX_F2_NAT_EVENT)
		PUT_NUM(w, "nat_event", f->nat_event);
	if (f->present2 & NFX_F2_FW_EVENT)
		PUT_NUM(w, "firewall_event", f->fw_event);
	if (f->present2 & NFX_F2_MPLS)
		put_mpls(w, f);	/* the same keys as the NDJSON line */
	if (f->present2 & NFX_F2_IN_IF_NAME) {
		put_lit(w, ",\"in_if_name\":\"");
		put_text(w, (const uint8_t *)f->in_if_name, NFX_IFNAME_LEN);
		put_lit(w, "\"");
	}
	if (f->present2 & NFX_F2_OUT_IF_NAME) {
		put_lit(w, ",\"out_if_name\":\"");
		put_text(w, (const uint8_t *)f->out_if_name, NFX_IFNAME_LEN);
		put_lit(w, "\"");
	}
}

/* DateTime is 32-bit: clamp what a broken exporter could send */
static uint64_t secs(uint64_t ms)
{
	ms /= 1000;
	return ms > UINT32_MAX ? UINT32_MAX : ms;
}

/* Names and mapped fields, only when there are some: older tables lack the columns. */
static void put_enriched(struct wbuf *w, const struct nfx_flow *f, const struct nfx_enriched *x)
{
	const char *sep = "";

	if (x->src_name) {
		put_lit(w, ",\"src_reverse_dns_hostname\":\"");
		put_str(w, x->src_name);
		put_lit(w, "\"");
	}
	if (x->dst_name) {
		put_lit(w, ",\"dst_reverse_dns_hostname\":\"");
		put_str(w, x->dst_name);
		put_lit(w, "\"");
	}
	if (!f->nextra || !x->nmaps)
		return;
	put_lit(w, ",\"additional_keys\":[");
	for (unsigned int i = 0; i < f->nextra && i < NFX_EXTRA_MAX; i++) {
		if (f->extra[i].map >= x->nmaps)
			continue;
		put_str(w, sep);
		put_lit(w, "\"");
		put_str(w, x->maps[f->extra[i].map].key);
		put_lit(w, "\"");
		sep = ",";
	}
	put_lit(w, "],\"additional_values\":[");
	sep = "";
	for (unsigned int i = 0; i < f->nextra && i < NFX_EXTRA_MAX; i++) {
		const struct nfx_extra *e = &f->extra[i];

		if (e->map >= x->nmaps)
			continue;
		put_str(w, sep);
		put_mapped_value(w, &x->maps[e->map], f->extra_data + e->off, e->len, 1);
		sep = ",";
	}
	put_lit(w, "]");
}

int nfx_ch_format(char *buf, size_t size, const struct nfx_flow *f, uint64_t flush_ms,
		  const char *ns, const char *host, const struct nfx_enriched *x)
{
	struct wbuf w = { buf, buf + size, 1 };
	uint64_t start = f->present & NFX_F_START ? f->start_ms : flush_ms;
	uint64_t end = f->present & NFX_F_END ? f->end_ms : start;

	put_lit(&w, "{\"time\":");
	put_u64(&w, secs(flush_ms));
	PUT_NUM(&w, "flush_timestamp", flush_ms);
	put_lit(&w, ",\"type\":\"");
	put_name16(&w, nfx_flow_type_name16(f->type));
	put_lit(&w, "\"");
	PUT_NUM(&w, "sampling_rate", f->sampling_rate);
	if (f->direction)
		put_lit(&w, ",\"direction\":\"egress\"");
	else
		put_lit(&w, ",\"direction\":\"ingress\"");
	PUT_NUM(&w, "start", secs(start));
	PUT_NUM(&w, "end", secs(end));
	PUT_NUM(&w, "bytes", f->bytes);
	PUT_NUM(&w, "packets", f->packets);
	if (f->ip_version == 4)
		put_lit(&w, ",\"ether_type\":\"IPv4\"");
	else if (f->ip_version == 6)
		put_lit(&w, ",\"ether_type\":\"IPv6\"");
	put_lit(&w, ",\"ip_protocol\":\"");
	put_proto(&w, f->proto);
	put_lit(&w, "\",\"namespace\":\"");
	put_str(&w, ns);
	put_lit(&w, "\"");
	PUT_ADDR(&w, "exporter", &f->exporter);
	put_side(&w, f, 1);
	put_side(&w, f, 0);
	PUT_NUM(&w, "in_if", f->in_if);
	PUT_NUM(&w, "out_if", f->out_if);
	put_lit(&w, ",\"host\":\"");
	put_str(&w, host);
	put_lit(&w, "\"");
	put_tcp_flags(&w, f->tcp_flags);
	if (f->present & NFX_F_NEXT_HOP)
		PUT_ADDR(&w, "next_hop", &f->next_hop);
	if (f->present & NFX_F_TOS)
		PUT_NUM(&w, "tos", f->tos);
	if (f->present & NFX_F_SRC_AS)
		PUT_NUM(&w, "src_as", f->src_as);
	if (f->present & NFX_F_DST_AS)
		PUT_NUM(&w, "dst_as", f->dst_as);
	if (f->present & NFX_F_VLAN)
		PUT_NUM(&w, "vlan", f->vlan);
	if (f->present & NFX_F_ICMP) {
		PUT_NUM(&w, "icmp_type", f->icmp_type);
		PUT_NUM(&w, "icmp_code", f->icmp_code);
	}
	if (f->present & NFX_F_DOMAIN)
		PUT_NUM(&w, "observation_domain_id", f->domain_id);
	if (f->present & NFX_F_BGP_NEXT_HOP)
		PUT_ADDR(&w, "bgp_next_hop", &f->bgp_next_hop);
	put_xfields(&w, f);
	put_tunnel(&w, f);
	if (f->present2)
		put_nat_fw(&w, f);
	if (x)
		put_enriched(&w, f, x);
	put_lit(&w, "}");
	if (w.p > w.end)
		return -ENOSPC;
	return (int)(w.p - buf);
}

/* JSON string body of @s into @dst, or -ENAMETOOLONG. */
int nfx_ch_escape(char *dst, size_t size, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (n + 7 > size)
			return -ENAMETOOLONG;
		if (ch == '"' || ch == '\\') {
			dst[n++] = '\\';
			dst[n++] = (char)ch;
		} else if (ch < 0x20) {
			memcpy(dst + n, "\\u00", 4);
			dst[n + 4] = hex[ch >> 4];
			dst[n + 5] = hex[ch & 15];
			n += 6;
		} else {
			dst[n++] = (char)ch;
		}
	}
	dst[n] = 0;
	return 0;
}

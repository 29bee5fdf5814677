// SPDX-License-Identifier: BSD-2-Clause
/* flow.c - address and prefix text conversion, protocol and type names. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/flow.h"

const char *nfx_addr_str(const struct nfx_addr *a, char buf[NFX_ADDR_STRLEN])
{
	if (nfx_addr_is_v4(a))
		return inet_ntop(AF_INET, a->b + 12, buf, NFX_ADDR_STRLEN);
	return inet_ntop(AF_INET6, a->b, buf, NFX_ADDR_STRLEN);
}

int nfx_addr_parse(struct nfx_addr *a, const char *text)
{
	uint8_t raw[16];

	if (inet_pton(AF_INET, text, raw) == 1) {
		nfx_addr_set_v4(a, raw);
		return 0;
	}
	if (inet_pton(AF_INET6, text, raw) == 1) {
		nfx_addr_set_v6(a, raw);
		return 0;
	}
	return -EINVAL;
}

int nfx_prefix_parse(const char *text, struct nfx_prefix *p)
{
	char addr[NFX_ADDR_STRLEN + 8], *slash, *end;
	unsigned long plen;
	unsigned int max;
	struct nfx_addr masked;
	int v4, dirty;

	memset(p, 0, sizeof(*p));
	if (strlen(text) >= sizeof(addr))
		return -EINVAL;
	strcpy(addr, text);
	slash = strchr(addr, '/');
	if (slash)
		*slash = '\0';
	if (nfx_addr_parse(&p->addr, addr))
		return -EINVAL;
	/* "::ffff:a.b.c.d/n" is an IPv6 prefix: n counts from the first bit */
	v4 = strchr(addr, ':') == NULL;
	max = v4 ? 32 : 128;
	plen = max;
	if (slash) {
		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || errno || slash[1] == '-' || slash[1] == '+' || plen > max)
			return -ERANGE;
	}
	p->prefixlen = (uint8_t)(v4 ? plen + 96 : plen);
	masked = nfx_addr_masked(&p->addr, p->prefixlen);
	dirty = memcmp(&masked, &p->addr, sizeof(masked)) != 0;
	p->addr = masked;
	return dirty ? -EDOM : 0;
}

static const char *const proto_names[256] = {
	[0] = "HOPOPT", [1] = "ICMP", [2] = "IGMP", [4] = "IPv4", [6] = "TCP",
	[8] = "EGP", [9] = "IGP", [17] = "UDP", [27] = "RDP", [33] = "DCCP",
	[41] = "IPv6", [43] = "IPv6-Route", [44] = "IPv6-Frag", [46] = "RSVP",
	[47] = "GRE", [50] = "ESP", [51] = "AH", [58] = "IPv6-ICMP",
	[59] = "IPv6-NoNxt", [60] = "IPv6-Opts", [88] = "EIGRP", [89] = "OSPFIGP",
	[94] = "IPIP", [103] = "PIM", [112] = "VRRP", [115] = "L2TP",
	[132] = "SCTP", [136] = "UDPLite", [137] = "MPLS-in-IP",
};

static const char *const type_names[] = {
	[NFX_TYPE_NETFLOW1] = "netflow1", [NFX_TYPE_NETFLOW5] = "netflow5",
	[NFX_TYPE_NETFLOW6] = "netflow6", [NFX_TYPE_NETFLOW7] = "netflow7",
	[NFX_TYPE_NETFLOW9] = "netflow9", [NFX_TYPE_IPFIX] = "ipfix",
	[NFX_TYPE_SFLOW5] = "sflow5",
};

const char *nfx_flow_type_name(unsigned int type)
{
	return type < sizeof(type_names) / sizeof(type_names[0]) ? type_names[type] : "unknown";
}

const char *nfx_proto_name(uint8_t proto)
{
	return proto_names[proto];
}

struct nfx_name16 nfx_type_names16[NFX_TYPE_MAX + 1];
struct nfx_name16 nfx_proto_names16[256];

static void name16_set(struct nfx_name16 *n, const char *s)
{
	n->len = (uint8_t)strnlen(s, sizeof(n->s));
	memcpy(n->s, s, n->len);
}

/* Blocks built from the tables above, which stay the one list of names. */
__attribute__((constructor)) static void names16_init(void)
{
	_Static_assert(sizeof(struct nfx_name16) == 16, "a name block is copied as 16 bytes");
	for (unsigned int t = 0; t <= NFX_TYPE_MAX; t++)
		name16_set(&nfx_type_names16[t], nfx_flow_type_name(t));
	for (unsigned int p = 0; p < 256; p++)
		if (proto_names[p])
			name16_set(&nfx_proto_names16[p], proto_names[p]);
}

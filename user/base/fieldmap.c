// SPDX-License-Identifier: BSD-2-Clause
/* fieldmap.c - the output keys a mapping may override, and what feeds them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/fieldmap.h"
#include "base/flow.h"

static const struct {
	const char *key;
	uint16_t ie4, ie16;
} builtins[] = {
	{ "bytes", 1, 0 },
	{ "packets", 2, 0 },
	{ "ip_protocol", 4, 0 },
	{ "tos", 5, 0 },
	{ "tcp_flags", 6, 0 },
	{ "source.port", 7, 0 },
	{ "destination.port", 11, 0 },
	{ "source.ip", 8, 27 },
	{ "destination.ip", 12, 28 },
	{ "source.mask", 9, 0 },
	{ "destination.mask", 13, 0 },
	{ "ingress.interface.index", 10, 0 },
	{ "egress.interface.index", 14, 0 },
	{ "next_hop.ip", 15, 62 },
	{ "src_as", 16, 0 },
	{ "dst_as", 17, 0 },
	{ "direction", 61, 0 },
	{ "source.mac", 56, 0 },
	{ "destination.mac", 80, 0 },
	{ "vlan", 58, 0 },
	{ "start", 150, 0 },
	{ "end", 151, 0 },
	{ "icmp_type", 176, 0 },
	{ "icmp_code", 177, 0 },
	/* the vendor fields: each fed by its element (base/flow.h) */
#define NFX_XFIELD_BUILTIN_(id, key, ch, ie, bits, type) { key, ie, 0 },
	NFX_FLOW_XFIELDS(NFX_XFIELD_BUILTIN_)
#undef NFX_XFIELD_BUILTIN_
};

int nfx_fieldmap_builtin(const char *key, uint16_t *ie4, uint16_t *ie16)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		if (strcmp(key, builtins[i].key))
			continue;
		*ie4 = builtins[i].ie4;
		*ie16 = builtins[i].ie16;
		return 1;
	}
	return 0;
}

int nfx_fieldmap_set_key(struct nfx_fieldmap *m, const char *key)
{
	size_t n = 0;

	/* JSON-escaped once here, not per record */
	for (; *key; key++) {
		unsigned char c = (unsigned char)*key;

		if (n + 7 > sizeof(m->key))
			return -ENAMETOOLONG;
		if (c == '"' || c == '\\') {
			m->key[n++] = '\\';
			m->key[n++] = (char)c;
		} else if (c < 0x20) {
			n += (size_t)snprintf(m->key + n, sizeof(m->key) - n, "\\u%04x", c);
		} else {
			m->key[n++] = (char)c;
		}
	}
	m->key[n] = 0;
	return 0;
}

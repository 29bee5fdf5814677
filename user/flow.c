// SPDX-License-Identifier: BSD-2-Clause
/* flow.c - address text conversion for struct nfx_addr. */
#include <arpa/inet.h>
#include <errno.h>

#include "flow.h"

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

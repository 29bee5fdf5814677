/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ifnames.h - interface names that exporters announce in options data
 * (IPFIX/v9 ifName 82, ifDescription 83, with the interface index as a
 * scope or field), kept per (exporter address, ifIndex) so that flow
 * records of the exporter get ingress/egress interface names.
 *
 * Sized once: when full, a new interface is refused and counted
 * (if_name_limit); known ones are updated in place.  The decoder's sweep
 * forgets names not announced again within the template TTL.
 */
#ifndef NFX_IFNAMES_H
#define NFX_IFNAMES_H

#include <stdint.h>

#include "base/flow.h"

struct nfx_ifnames;

/* Returns NULL with errno set.  max 0 = default (16384), at most 2^20. */
struct nfx_ifnames *nfx_ifnames_new(uint32_t max);
void nfx_ifnames_free(struct nfx_ifnames *t);

/*
 * Set the name of (@exporter, @if_index): @name of @len bytes as sent (cut
 * at the first NUL and at NFX_IFNAME_LEN - 1).  @return 0, or -ENOSPC when
 * it is new and the table is full.
 */
int nfx_ifnames_set(struct nfx_ifnames *t, const struct nfx_addr *exporter, uint32_t if_index,
		    const uint8_t *name, unsigned int len, uint64_t now_ms);
/* The name of (@exporter, @if_index), NUL-terminated, or NULL. */
const char *nfx_ifnames_get(const struct nfx_ifnames *t, const struct nfx_addr *exporter,
			    uint32_t if_index);
/* Forget names not set for ttl_ms.  Returns how many went. */
uint32_t nfx_ifnames_sweep(struct nfx_ifnames *t, uint64_t now_ms, uint64_t ttl_ms);
uint32_t nfx_ifnames_count(const struct nfx_ifnames *t);

#endif /* NFX_IFNAMES_H */

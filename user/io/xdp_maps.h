/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xdp_maps.h - reading and writing the XDP program's maps by fd, whoever
 * opened them (loader.h attaches or adopts and hands out the fds): the
 * listener port map, the exporter allow-list and its switch, and the
 * per-CPU counters with their names.
 */
#ifndef NFX_XDP_MAPS_H
#define NFX_XDP_MAPS_H

#include <stddef.h>
#include <stdint.h>

#include "base/flow.h"
#include "nfx/shared.h"

/* ---- listener ports ---- */

/* One listener port and the NetFlow versions it accepts (NFX_VER_BIT mask). */
struct nfx_port_want {
	uint16_t port;
	uint32_t versions;
	const char *bind_host;	/* its UDP socket's address; NULL = the daemon's */
};

/*
 * Parses "PORT[/legacy|/modern|/all|/sflow]" into @out.  Without a suffix, 4739
 * accepts the modern versions (9, IPFIX), 6343 sFlow, and any other port
 * every NetFlow/IPFIX version.
 * @return 0 or -EINVAL.
 */
int nfx_port_parse(const char *text, struct nfx_port_want *out);

/**
 * nfx_ports_reconcile() - make the port map hold exactly @want.
 * Entries that differ are updated in place, missing ones added, others
 * deleted; a port present in both is never removed, so no packet of a
 * kept listener falls through during the change.
 * @return 0 or -errno of the first failing map operation.
 */
int nfx_ports_reconcile(int ports_fd, const struct nfx_port_want *want, size_t n);

/* The port map as it is now, sorted by port; the entry count, -E2BIG or -errno. */
int nfx_ports_read(int ports_fd, struct nfx_port_want *have, size_t max);

/* ---- exporter allow-list ---- */

/*
 * The allow map's prefixes, in map order, into *@v, which the caller
 * frees.  0; or -E2BIG past twice NFX_MAX_ALLOW entries, -ENOMEM or -errno
 * with *@v NULL.
 */
int nfx_allow_read(int allow_fd, struct nfx_prefix **v, size_t *n);
/* Inserts @p; 0 or -errno. */
int nfx_allow_add(int allow_fd, const struct nfx_prefix *p);
/* Deletes @p, which need not be there; 0 or -errno. */
int nfx_allow_del(int allow_fd, const struct nfx_prefix *p);
/* Sets nfx_cfg.allow_enabled; 1 when it changed, 0 when it was already so, -errno. */
int nfx_cfg_set_allow(int cfg_fd, int on);

/* ---- counters ---- */

/* Names of the struct nfx_ctr fields, in order (NFX_CTR_NUM of them). */
extern const char *const nfx_ctr_names[NFX_CTR_NUM];

/* The value of field @i of @c, in nfx_ctr_names order. */
static inline __u64 nfx_ctr_get(const struct nfx_ctr *c, unsigned int i)
{
	return ((const __u64 *)c)[i];
}

/*
 * 0 if @stats_fd is an nfx_stats of this build's layout (struct nfx_slots),
 * -EPROTO if it is one of another nfxdp version's, or -errno.
 */
int nfx_stats_check(int stats_fd);

/*
 * Sums the per-CPU nfx_stats values into @out[NFX_SLOT_MAX].  0, -EPROTO
 * (see nfx_stats_check()) or -errno.
 */
int nfx_stats_read(int stats_fd, struct nfx_ctr *out);

/*
 * The daemon's exit line over all slots of @c[NFX_SLOT_MAX]:
 * "packets=N redirected=N ..." into @buf (truncated to @size).
 */
void nfx_ctr_summary(const struct nfx_ctr *c, char *buf, size_t size);

#endif /* NFX_XDP_MAPS_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * loader.h - puts the XDP program on an interface (libxdp, native mode with
 * a fallback to skb mode) or adopts the maps of one attached by `ip link`,
 * and owns the pinned maps: listener ports, XSKMAP and counters.
 */
#ifndef NFX_LOADER_H
#define NFX_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "nfx/shared.h"

#define NFX_PIN_DIR_DEFAULT	"/sys/fs/bpf/nfx"
#define NFX_BPFFS		"/sys/fs/bpf"

struct nfx_loader;

struct nfx_loader_opts {
	const char *ifname;
	const char *pin_dir;	/* NULL: NFX_PIN_DIR_DEFAULT (attach) or search (adopt) */
	int skb_mode;		/* go straight to generic XDP */
	int force;		/* replace whatever XDP program is on the interface */
	int no_attach;		/* adopt the maps of a program someone else attached */
};

/* One listener port and the NetFlow versions it accepts (NFX_VER_BIT mask). */
struct nfx_port_want {
	uint16_t port;
	uint32_t versions;
};

/*
 * Attaches (or adopts) and returns the handle; NULL with errno set after
 * logging what is wrong and what to do about it.
 */
struct nfx_loader *nfx_loader_new(const struct nfx_loader_opts *opts);
/* Detaches what we attached and removes the pins we created. */
void nfx_loader_free(struct nfx_loader *l);
/* Leave the program attached and its maps pinned when freed (nfxdp attach). */
void nfx_loader_keep(struct nfx_loader *l);

int nfx_loader_ports_fd(const struct nfx_loader *l);
int nfx_loader_xsks_fd(const struct nfx_loader *l);
int nfx_loader_stats_fd(const struct nfx_loader *l);
int nfx_loader_allow_fd(const struct nfx_loader *l);
int nfx_loader_cfg_fd(const struct nfx_loader *l);
/* Non-zero when the program is ours (we attached it). */
int nfx_loader_attached(const struct nfx_loader *l);
/* "native", "skb" or "adopted". */
const char *nfx_loader_mode(const struct nfx_loader *l);

/**
 * nfx_ports_reconcile() - make the port map hold exactly @want.
 * Entries that differ are updated in place, missing ones added, others
 * deleted; a port present in both is never removed, so no packet of a
 * kept listener falls through during the change.
 * @return 0 or -errno of the first failing map operation.
 */
int nfx_ports_reconcile(int ports_fd, const struct nfx_port_want *want, size_t n);

/*
 * Parses "PORT[/legacy|/modern|/all]" into @out.  Without a suffix, 4739
 * accepts the modern versions (9, IPFIX) and any other port all of them.
 * @return 0 or -EINVAL.
 */
int nfx_port_parse(const char *text, struct nfx_port_want *out);

/* Sums the per-CPU nfx_stats values into @out[NFX_SLOT_MAX].  0 or -errno. */
int nfx_stats_read(int stats_fd, struct nfx_ctr *out);

/*
 * Checks root and a mounted bpffs, logging the fix when not.  0 or -errno
 * (-EPERM, -ENOENT).
 */
int nfx_loader_check_env(void);

#endif /* NFX_LOADER_H */

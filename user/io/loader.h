/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * loader.h - puts the XDP program on an interface (libxdp, native mode with
 * a fallback to skb mode) or adopts the maps of one attached by `ip link`,
 * and owns the pinned maps: listener ports, XSKMAP, allow-list and
 * counters.  Their contents are read and written through xdp_maps.h.
 */
#ifndef NFX_LOADER_H
#define NFX_LOADER_H

#include <stddef.h>

#include "nfx/shared.h"

#define NFX_PROG_NAME		"nfx_xdp_rx"
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

/* 0 when @ifname exists and is up, else -errno after one line saying so. */
int nfx_loader_check_if(const char *ifname);
/*
 * Attaches (or adopts) and returns the handle; NULL with errno set after
 * logging what is wrong and what to do about it.
 */
struct nfx_loader *nfx_loader_new(const struct nfx_loader_opts *opts);
/* Detaches what we attached and removes the pins we created. */
void nfx_loader_free(struct nfx_loader *l);
/* Leave the program attached and its maps pinned when freed (nfxdp attach). */
void nfx_loader_keep(struct nfx_loader *l);
/*
 * Make an adopted program ours, as if we had attached it: detached and its
 * pins removed when freed (a --takeover of a daemon that had attached it).
 * 0, or -ENOENT when it was not found through its pin.
 */
int nfx_loader_own(struct nfx_loader *l);

int nfx_loader_ports_fd(const struct nfx_loader *l);
int nfx_loader_xsks_fd(const struct nfx_loader *l);
int nfx_loader_stats_fd(const struct nfx_loader *l);
int nfx_loader_allow_fd(const struct nfx_loader *l);
int nfx_loader_cfg_fd(const struct nfx_loader *l);
/* Non-zero when the program is ours (we attached it). */
int nfx_loader_attached(const struct nfx_loader *l);
/* "native", "skb" or "adopted". */
const char *nfx_loader_mode(const struct nfx_loader *l);
/* Where the maps are pinned (or were found). */
const char *nfx_loader_pin_dir(const struct nfx_loader *l);
/* The pin directory when this loader created it or pins in it (it removes them), else NULL. */
const char *nfx_loader_created_pin_dir(const struct nfx_loader *l);

/*
 * Opens the pinned counter map of @pin_dir or, with NULL, of the first of
 * NFX_PIN_DIR_DEFAULT, tc/globals and xdp/globals that has one, and puts
 * its path in @found.  The fd, or -errno.
 */
int nfx_stats_open_pinned(const char *pin_dir, char *found, size_t size);

/*
 * An fd of an nfx_stats map, described in @found: the one of the program on
 * @ifname if given, else the pinned one (in @pin_dir, or searched), else
 * the only map of that name loaded (without bpffs, as under `ip netns
 * exec`).  -errno, with a message, when there is none or several.
 */
int nfx_stats_open(const char *pin_dir, const char *ifname, char *found, size_t size);

/*
 * Takes nfxdp's XDP program off @ifname, whoever attached it; refuses
 * someone else's.  *@id is the program's id, 0 when none was attached.
 * 0, or -errno after logging what is wrong and what to do about it.
 */
int nfx_loader_detach(const char *ifname, __u32 *id);

/* Removes the nfx_* pins in @dir, and @dir itself when that leaves it empty. */
void nfx_pins_remove(const char *dir);

/*
 * Checks root and a mounted bpffs, logging the fix when not.  0 or -errno
 * (-EPERM, -ENOENT).
 */
/* -EPERM, with the message, when CAP_BPF/PERFMON/NET_ADMIN/NET_RAW are missing. */
int nfx_loader_check_caps(void);

/* nfx_loader_check_caps() and a bpffs on /sys/fs/bpf. */
int nfx_loader_check_env(void);

#endif /* NFX_LOADER_H */

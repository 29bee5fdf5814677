/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shared.h - what the XDP object and the daemon both compile: map names,
 * map key/value layouts and the counter struct.  Plain fixed-width types
 * only (no bool, pointers, long or enums in structs) so that clang -target
 * bpf and gcc agree on every layout; the static asserts below check it.
 */
#ifndef NFX_SHARED_H
#define NFX_SHARED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define NFX_MAP_STATS	nfx_stats	/* per-CPU array of struct nfx_ctr */
#define NFX_MAP_PORTS	nfx_ports	/* hash: __u16 port (host order) -> struct nfx_port */
#define NFX_MAP_XSKS	nfx_xsks	/* XSKMAP: rx queue -> AF_XDP socket */
#define NFX_MAP_ALLOW	nfx_allow	/* LPM trie: struct nfx_lpm_key -> __u8 */
#define NFX_MAP_CFG	nfx_cfg		/* array[1] of struct nfx_cfg */

#define nfx_textify_(x) #x
#define nfx_textify(x) nfx_textify_(x)

#define NFX_MAX_PORTS	64
#define NFX_MAX_QUEUES	256
#define NFX_MAX_ALLOW	4096

/*
 * Counter slots, one per NetFlow/IPFIX version plus "other", with the name
 * every report and metric label gives them (the first is slot 0).
 */
#define NFX_SLOTS(X)			\
	X(NFX_SLOT_V1, "v1")		\
	X(NFX_SLOT_V5, "v5")		\
	X(NFX_SLOT_V6, "v6")		\
	X(NFX_SLOT_V7, "v7")		\
	X(NFX_SLOT_V9, "v9")		\
	X(NFX_SLOT_IPFIX, "ipfix")	\
	X(NFX_SLOT_OTHER, "other")

enum nfx_slot {
#define NFX_SLOT_ENUM_(slot, name) slot,
	NFX_SLOTS(NFX_SLOT_ENUM_)
#undef NFX_SLOT_ENUM_
	NFX_SLOT_MAX,
};

/*
 * One value per slot per CPU.  Every packet addressed to a listener port is
 * counted once in packets/bytes and exactly once in one of: redirected,
 * passed, or a drop reason.
 */
struct nfx_ctr {
	__u64 packets;		/* UDP datagrams to a listener port */
	__u64 bytes;		/* their UDP payload bytes */
	__u64 redirected;	/* handed to an AF_XDP socket */
	__u64 passed;		/* to the stack: fragment or no socket on queue */
	__u64 short_pkt;	/* payload shorter than the version's header */
	__u64 bad_version;	/* unknown version or not accepted on this port */
	__u64 bad_count;	/* record count outside the version's range */
	__u64 truncated;	/* fewer record bytes than the count says */
	__u64 bad_length;	/* IPFIX length field != payload, or UDP length wrong */
	__u64 not_allowed;	/* source not in a non-empty allow-list */
};

/* Bit (1 << version) set for each NetFlow version a port accepts. */
#define NFX_VER_BIT(v)	(1u << (v))
#define NFX_VERS_LEGACY	(NFX_VER_BIT(1) | NFX_VER_BIT(5) | NFX_VER_BIT(6) | NFX_VER_BIT(7))
#define NFX_VERS_MODERN	(NFX_VER_BIT(9) | NFX_VER_BIT(10))
#define NFX_VERS_ALL	(NFX_VERS_LEGACY | NFX_VERS_MODERN)

struct nfx_port {
	__u32 versions;		/* NFX_VER_BIT() mask */
	__u32 flags;		/* reserved, 0 */
};

/* Source allow-list key; IPv4 is stored as ::ffff:a.b.c.d (prefixlen + 96). */
struct nfx_lpm_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct nfx_cfg {
	__u32 allow_enabled;	/* non-zero: drop sources not in nfx_allow */
	__u32 pad;
};

_Static_assert(sizeof(struct nfx_ctr) == 80, "nfx_ctr layout");
_Static_assert(sizeof(struct nfx_port) == 8, "nfx_port layout");
_Static_assert(sizeof(struct nfx_lpm_key) == 20, "nfx_lpm_key layout");
_Static_assert(sizeof(struct nfx_cfg) == 8, "nfx_cfg layout");

#endif /* NFX_SHARED_H */

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

#define NFX_MAP_STATS	nfx_stats	/* per-CPU array[1] of struct nfx_slots */
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
 * Counter slots, one per NetFlow/IPFIX version, sFlow v5, and "other", with
 * the name every report and metric label gives them (the first is slot 0)
 * and struct nfx_slots has as a member: X(slot, name), name an identifier.
 */
#define NFX_SLOTS(X)			\
	X(NFX_SLOT_V1, v1)		\
	X(NFX_SLOT_V5, v5)		\
	X(NFX_SLOT_V6, v6)		\
	X(NFX_SLOT_V7, v7)		\
	X(NFX_SLOT_V9, v9)		\
	X(NFX_SLOT_IPFIX, ipfix)	\
	X(NFX_SLOT_SFLOW5, sflow5)	\
	X(NFX_SLOT_OTHER, other)

enum nfx_slot {
#define NFX_SLOT_ENUM_(slot, name) slot,
	NFX_SLOTS(NFX_SLOT_ENUM_)
#undef NFX_SLOT_ENUM_
	NFX_SLOT_MAX,
};

/*
 * The counters of one slot, defined once: X(field, help).  The field names
 * are what bpftool prints (BTF), `nfxdp stats` shows and the Prometheus
 * families nfx_xdp_FIELD_total are called; the help is their HELP text.
 * Adding a counter is one line in one of the three lists.
 *
 * Every packet addressed to a listener port is counted once in the totals
 * and exactly once in one of the fates or drop reasons.
 */
#define NFX_CTR_TOTALS(X)								\
	X(packets,	"UDP datagrams to a listener port seen by the XDP program.")	\
	X(bytes,	"Their UDP payload bytes.")
#define NFX_CTR_FATES(X)								\
	X(redirected,	"Handed to an AF_XDP socket.")					\
	X(passed,	"Passed to the stack: IP fragment, for the kernel to reassemble.") \
	X(no_socket,	"Passed to the stack: no AF_XDP socket on the queue (no daemon, or between two); a UDP socket of the port takes it if one is open.")
#define NFX_CTR_DROPS(X)								\
	X(short_pkt,	"Dropped: shorter than the version's header.")			\
	X(bad_version,	"Dropped: unknown version or not accepted on the port.")	\
	X(bad_count,	"Dropped: record count out of range.")				\
	X(truncated,	"Dropped: fewer record bytes than the count says.")		\
	X(bad_length,	"Dropped: IPFIX length or UDP length wrong.")			\
	X(not_allowed,	"Dropped: exporter not in the allow-list.")
#define NFX_CTR_FIELDS(X) NFX_CTR_TOTALS(X) NFX_CTR_FATES(X) NFX_CTR_DROPS(X)

/* One value per slot per CPU. */
struct nfx_ctr {
#define NFX_CTR_FIELD_(name, help) __u64 name;
	NFX_CTR_FIELDS(NFX_CTR_FIELD_)
#undef NFX_CTR_FIELD_
};

/*
 * The value of nfx_stats on one CPU: the slots in order, a member each.  It
 * is one map entry rather than an entry per slot because an array map's key
 * must be a plain integer in BTF, so bpftool could print a slot only by its
 * index; as members of the value, it prints them by name.  The members are
 * an array in all but name: a slot is reached as ((struct nfx_ctr *)v)[slot].
 */
struct nfx_slots {
#define NFX_SLOT_MEMBER_(slot, name) struct nfx_ctr name;
	NFX_SLOTS(NFX_SLOT_MEMBER_)
#undef NFX_SLOT_MEMBER_
};

/* Number of counters in struct nfx_ctr, an integer constant expression. */
#define NFX_CTR_ONE_(name, help) + 1
#define NFX_CTR_NUM (0 NFX_CTR_FIELDS(NFX_CTR_ONE_))

/*
 * Bit (1 << version) set for each NetFlow version a port accepts.  sFlow's
 * version is 5 too, but a 32-bit one: it has bit NFX_VER_SFLOW5 of its own
 * (version number NFX_SFLOW_VERSION wherever a version is asked for), and a
 * port takes sFlow or NetFlow/IPFIX, never both (sFlow's first 16 bits are
 * 0, which no NetFlow version is, so the two could be told apart, but no
 * exporter sends both to one port).
 */
#define NFX_VER_BIT(v)	(1u << (v))
#define NFX_SFLOW_VERSION	16
#define NFX_VER_SFLOW5	NFX_VER_BIT(NFX_SFLOW_VERSION)
#define NFX_VERS_LEGACY	(NFX_VER_BIT(1) | NFX_VER_BIT(5) | NFX_VER_BIT(6) | NFX_VER_BIT(7))
#define NFX_VERS_MODERN	(NFX_VER_BIT(9) | NFX_VER_BIT(10))
#define NFX_VERS_ALL	(NFX_VERS_LEGACY | NFX_VERS_MODERN)
#define NFX_VERS_SFLOW	NFX_VER_SFLOW5

/*
 * Most samples an sFlow v5 datagram may announce; more is bad_count in the
 * XDP program (the decoder should take the same bound, so that datagrams
 * reaching it through the UDP socket are judged alike).  Agents keep
 * datagrams within the MTU (1400 bytes by default, about 9100 at most) and
 * a sample that says anything takes 52 bytes or more (a flow sample with
 * one record; a counter sample with generic interface counters takes 116),
 * so even a jumbo datagram holds fewer than 180; the corpus has 1 to 8.
 */
#define NFX_SFLOW_MAX_SAMPLES	256

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

_Static_assert(sizeof(struct nfx_ctr) == NFX_CTR_NUM * sizeof(__u64), "nfx_ctr layout");
_Static_assert(sizeof(struct nfx_slots) == NFX_SLOT_MAX * sizeof(struct nfx_ctr), "nfx_slots layout");
_Static_assert(sizeof(struct nfx_port) == 8, "nfx_port layout");
_Static_assert(sizeof(struct nfx_lpm_key) == 20, "nfx_lpm_key layout");
_Static_assert(sizeof(struct nfx_cfg) == 8, "nfx_cfg layout");

#endif /* NFX_SHARED_H */

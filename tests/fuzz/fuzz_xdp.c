// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_xdp.c - libFuzzer target for the XDP program (bpf/nfx_xdp.bpf.c).
 *
 * Each input is one Ethernet frame, run through the real, verified program
 * with BPF_PROG_TEST_RUN.  After every run the nfx_stats deltas (summed
 * over CPUs) must obey the counting rules of include/nfx/shared.h, and the
 * verdict, slot, counter field and byte count must agree with model(), a
 * plain C reading of design §2 (NetFlow/IPFIX and sFlow v5) plus the
 * decisions listed at the top of nfx_xdp.bpf.c.  Any disagreement aborts with a description.
 *
 * Input: byte 0 bit 0 turns the source allow-list on; the rest is the
 * frame.  Only the model is instrumented, so its branches are what guides
 * the fuzzer through the program's paths.
 *
 * Needs root (CAP_BPF).  The maps are not pinned: nothing is left behind.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nfx/shared.h"
#include "nfx_xdp.skel.h"

#define PORT_ALL	2055
#define PORT_MODERN	4739
#define PORT_V5		9995
#define PORT_SFLOW	6343

#define FRAME_MIN	14	/* BPF_PROG_TEST_RUN wants an Ethernet header */

static struct nfx_xdp_bpf *skel;
static int prog_fd, stats_fd, cfg_fd;
static int ncpus;
static int allow_on = -1;
static size_t frame_max;
/* what nfx_stats held after the previous run: only we write the map */
static struct nfx_ctr last[NFX_SLOT_MAX];
static struct nfx_ctr *percpu;
static uint64_t runs;

/* ---- the reference model -------------------------------------------- */

#define FIELD(f)	offsetof(struct nfx_ctr, f)
#define NO_SLOT		(-1)

struct verdict {
	unsigned int action;	/* XDP_PASS / XDP_DROP */
	int slot;		/* NO_SLOT: uncounted */
	size_t field;		/* outcome field that moves with packets */
	uint64_t bytes;
	const char *why;	/* the rule that decided, for the abort message */
};

struct listener {
	uint16_t port;
	uint32_t versions;
};

static const struct listener listeners[] = {
	{ PORT_ALL, NFX_VERS_ALL },
	{ PORT_MODERN, NFX_VERS_MODERN },
	{ PORT_V5, NFX_VER_BIT(5) },
	{ PORT_SFLOW, NFX_VERS_SFLOW },
};

/* Allow-list entries; IPv4 as ::ffff:a.b.c.d with prefixlen + 96. */
struct prefix {
	uint8_t addr[16];
	unsigned int len;
};

#define V4MAPPED(a, b, c, d) { [10] = 0xff, [11] = 0xff, [12] = a, [13] = b, [14] = c, [15] = d }

static const struct prefix allow[] = {
	/* the corpus exporter 10.201.9.1 is inside, 10.201.9.200 is not */
	{ V4MAPPED(10, 201, 9, 0), 96 + 25 },
	{ V4MAPPED(192, 0, 2, 7), 96 + 32 },
	{ { 0xfd, 0xcb, 0x02, 0x01, 0x00, 0x09 }, 48 },
	{ { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, 128 },
};

struct hdr_rule {
	unsigned int hlen, rlen, max;	/* rlen 0: set-based */
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

static int slot_of(unsigned int version)
{
	switch (version) {
	case 1: return NFX_SLOT_V1;
	case 5: return NFX_SLOT_V5;
	case 6: return NFX_SLOT_V6;
	case 7: return NFX_SLOT_V7;
	case 9: return NFX_SLOT_V9;
	case 10: return NFX_SLOT_IPFIX;
	}
	return NFX_SLOT_OTHER;
}

static int in_prefix(const uint8_t *a, const struct prefix *p)
{
	unsigned int full = p->len / 8, rest = p->len % 8;

	if (memcmp(a, p->addr, full))
		return 0;
	return !rest || !((a[full] ^ p->addr[full]) & (0xff00 >> rest));
}

static int allowed(const uint8_t src[16])
{
	size_t i;

	for (i = 0; i < sizeof(allow) / sizeof(allow[0]); i++)
		if (in_prefix(src, &allow[i]))
			return 1;
	return 0;
}

static const struct listener *listener_of(uint16_t port)
{
	size_t i;

	for (i = 0; i < sizeof(listeners) / sizeof(listeners[0]); i++)
		if (listeners[i].port == port)
			return &listeners[i];
	return NULL;
}

#define PASS_UNCOUNTED(w) ((struct verdict){ XDP_PASS, NO_SLOT, 0, 0, (w) })
#define COUNTED(a, s, f, b, w) ((struct verdict){ (a), (s), FIELD(f), (b), (w) })

/*
 * design §2 table, with count 0 accepted for the fixed-record versions (see
 * nfx_xdp.bpf.c).  The payload is at p, plen bytes, plen >= 4.
 */
static struct verdict header_rules(const uint8_t *p, uint32_t plen, int slot)
{
	static const struct hdr_rule fixed[NFX_SLOT_MAX] = {
		[NFX_SLOT_V1] = { 16, 48, 30 },
		[NFX_SLOT_V5] = { 24, 48, 30 },
		[NFX_SLOT_V6] = { 24, 52, 27 },
		[NFX_SLOT_V7] = { 24, 52, 27 },
	};
	uint32_t word2 = rd16(p + 2);
	const struct hdr_rule *r = &fixed[slot];

	if (slot == NFX_SLOT_V9) {
		if (plen < 20)
			return COUNTED(XDP_DROP, slot, short_pkt, plen, "v9 < 20");
		if (plen < 24)
			return COUNTED(XDP_DROP, slot, truncated, plen, "v9 no set header");
	} else if (slot == NFX_SLOT_IPFIX) {
		if (plen < 16)
			return COUNTED(XDP_DROP, slot, short_pkt, plen, "ipfix < 16");
		if (word2 != plen)
			return COUNTED(XDP_DROP, slot, bad_length, plen, "ipfix length != payload");
		if (plen < 20)
			return COUNTED(XDP_DROP, slot, bad_length, plen, "ipfix no set header");
	} else {
		if (plen < r->hlen)
			return COUNTED(XDP_DROP, slot, short_pkt, plen, "fixed short header");
		if (word2 > r->max)
			return COUNTED(XDP_DROP, slot, bad_count, plen, "count > max");
		if (plen < r->hlen + word2 * r->rlen)
			return COUNTED(XDP_DROP, slot, truncated, plen, "records cut");
	}
	/* valid; the xsk map is empty, so bpf_redirect_map() falls back */
	return COUNTED(XDP_PASS, slot, no_socket, plen, "valid, no socket");
}

/*
 * design §2, sFlow v5 (the first 32 bits are 5): the port first, then the
 * header up to the sample count.  plen >= 4.
 */
static struct verdict sflow_rules(const uint8_t *p, uint32_t plen,
				  const struct listener *lis)
{
	const int slot = NFX_SLOT_SFLOW5;
	uint32_t hlen, type;
	uint64_t need;

	if (!(lis->versions & NFX_VER_SFLOW5))
		return COUNTED(XDP_DROP, slot, bad_version, plen, "sflow on a NetFlow port");
	if (plen < 28)
		return COUNTED(XDP_DROP, slot, short_pkt, plen, "sflow < 28");
	type = rd32(p + 4);
	if (type == 1)
		hlen = 28;
	else if (type == 2)
		hlen = 40;
	else
		return COUNTED(XDP_DROP, slot, bad_version, plen, "sflow agent address type");
	if (plen < hlen)
		return COUNTED(XDP_DROP, slot, short_pkt, plen, "sflow ipv6 agent < 40");
	if (rd32(p + hlen - 4) > NFX_SFLOW_MAX_SAMPLES)
		return COUNTED(XDP_DROP, slot, bad_count, plen, "sflow samples > max");
	need = hlen + 8ull * rd32(p + hlen - 4);
	if (plen < need)
		return COUNTED(XDP_DROP, slot, truncated, plen, "sflow samples cut");
	return COUNTED(XDP_PASS, slot, no_socket, plen, "sflow valid, no socket");
}

static struct verdict model(const uint8_t *f, size_t len, int allow_enabled)
{
	size_t off = 14, l4;
	uint32_t l3len, ulen, plen;
	uint16_t type = rd16(f + 12);
	uint8_t src[16] = { [10] = 0xff, [11] = 0xff };
	const struct listener *lis;
	int first_frag = 0, tags, slot, nexthdr;

	for (tags = 0; tags < 2 && (type == 0x8100 || type == 0x88a8); tags++) {
		if (len < off + 4)
			return PASS_UNCOUNTED("cut VLAN tag");
		type = rd16(f + off + 2);
		off += 4;
	}

	if (type == 0x0800) {
		const uint8_t *ip = f + off;
		unsigned int ihl;
		uint16_t tot, frag;

		if (len < off + 20 || ip[0] >> 4 != 4 || (ip[0] & 15) < 5)
			return PASS_UNCOUNTED("no IPv4 header");
		ihl = (ip[0] & 15) * 4;
		tot = rd16(ip + 2);
		if (tot < ihl || len < off + ihl)
			return PASS_UNCOUNTED("IPv4 header cut or tot_len < ihl");
		frag = rd16(ip + 6);
		if (frag & 0x1fff)
			return PASS_UNCOUNTED("IPv4 later fragment");
		first_frag = !!(frag & 0x2000);
		l3len = tot - ihl;
		nexthdr = ip[9];
		memcpy(src + 12, ip + 12, 4);
		off += ihl;
	} else if (type == 0x86dd) {
		const uint8_t *ip = f + off;

		if (len < off + 40 || ip[0] >> 4 != 6)
			return PASS_UNCOUNTED("no IPv6 header");
		l3len = rd16(ip + 4);
		nexthdr = ip[6];
		memcpy(src, ip + 8, 16);
		off += 40;
		if (nexthdr == 44) {
			if (len < off + 8)
				return PASS_UNCOUNTED("cut IPv6 fragment header");
			if (rd16(f + off + 2) & 0xfff8)
				return PASS_UNCOUNTED("IPv6 later fragment");
			if (l3len < 8)
				return PASS_UNCOUNTED("IPv6 payload_len < fragment header");
			nexthdr = f[off];
			l3len -= 8;
			off += 8;
			first_frag = 1;
		}
	} else {
		return PASS_UNCOUNTED("not IP");
	}

	if (nexthdr != 17)
		return PASS_UNCOUNTED("not UDP");
	if (len < off + 8)
		return PASS_UNCOUNTED("cut UDP header");
	lis = listener_of(rd16(f + off + 2));
	if (!lis)
		return PASS_UNCOUNTED("not a listener port");
	ulen = rd16(f + off + 4);
	l4 = len - off;		/* bytes from the UDP header to the frame end */

	if (allow_enabled && !allowed(src))
		return COUNTED(XDP_DROP, NFX_SLOT_OTHER, not_allowed, ulen >= 8 ? ulen - 8 : 0,
			       "not allowed");
	if (first_frag) {
		slot = l4 >= 10 ? slot_of(rd16(f + off + 8)) : NFX_SLOT_OTHER;
		if (slot == NFX_SLOT_OTHER && l4 >= 12 && rd32(f + off + 8) == 5)
			slot = NFX_SLOT_SFLOW5;
		return COUNTED(XDP_PASS, slot, passed, ulen >= 8 ? ulen - 8 : 0,
			       "first fragment");
	}
	if (ulen < 8 || ulen > l3len || ulen > l4)
		return COUNTED(XDP_DROP, NFX_SLOT_OTHER, bad_length, 0, "UDP length");
	plen = ulen - 8;
	if (plen < 4)
		return COUNTED(XDP_DROP, NFX_SLOT_OTHER, short_pkt, plen, "payload < 4");
	slot = slot_of(rd16(f + off + 8));
	if (slot == NFX_SLOT_OTHER && rd32(f + off + 8) == 5)
		return sflow_rules(f + off + 8, plen, lis);
	if (slot == NFX_SLOT_OTHER ||
	    !(lis->versions & NFX_VER_BIT(rd16(f + off + 8))))
		return COUNTED(XDP_DROP, slot, bad_version, plen, "version");
	return header_rules(f + off + 8, plen, slot);
}

/* ---- invariants ------------------------------------------------------ */

static const struct {
	size_t off;
	const char *name;
	int drop;		/* a drop reason */
} fields[] = {
#define KEPT(name, help) { FIELD(name), #name, 0 },
#define DROP(name, help) { FIELD(name), #name, 1 },
	NFX_CTR_TOTALS(KEPT)
	NFX_CTR_FATES(KEPT)
	NFX_CTR_DROPS(DROP)
#undef DROP
#undef KEPT
};

#define NFIELDS		(sizeof(fields) / sizeof(fields[0]))

static const char *slot_names[NFX_SLOT_MAX] = {
#define X(slot, name) [slot] = #name,
	NFX_SLOTS(X)
#undef X
};

static uint64_t *ctr_at(struct nfx_ctr *c, size_t off)
{
	return (uint64_t *)((char *)c + off);
}

static const char *field_name(size_t off)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		if (fields[i].off == off)
			return fields[i].name;
	return "?";
}

static void dump_frame(const uint8_t *f, size_t len)
{
	size_t i;

	fprintf(stderr, "frame (%zu bytes):", len);
	for (i = 0; i < len && i < 128; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", f[i]);
	fprintf(stderr, "%s\n", len > 128 ? " ..." : "");
}

static __attribute__((format(printf, 3, 4), noreturn))
void disagree(const uint8_t *f, size_t len, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_xdp: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (allow-list %s)\n", allow_on ? "on" : "off");
	dump_frame(f, len);
	abort();
}

static int read_stats(struct nfx_ctr sum[NFX_SLOT_MAX])
{
	uint32_t slot;
	size_t i;
	int cpu;

	memset(sum, 0, sizeof(*sum) * NFX_SLOT_MAX);
	/* one entry: each CPU's value is the slots one after another */
	slot = 0;
	if (bpf_map_lookup_elem(stats_fd, &slot, percpu))
		return -errno;
	for (cpu = 0; cpu < ncpus; cpu++)
		for (slot = 0; slot < NFX_SLOT_MAX; slot++)
			for (i = 0; i < NFIELDS; i++)
				*ctr_at(&sum[slot], fields[i].off) +=
					*ctr_at(&percpu[cpu * NFX_SLOT_MAX + slot], fields[i].off);
	return 0;
}

/*
 * The deltas of one run against the counting rules, then against the
 * model's prediction.
 */
static void check_run(const uint8_t *f, size_t len, unsigned int action,
		      struct nfx_ctr now[NFX_SLOT_MAX], const struct verdict *want)
{
	int slot, moved_slot = NO_SLOT;
	size_t moved_field = 0;

	if (action != XDP_PASS && action != XDP_DROP)
		disagree(f, len, "verdict %u: only PASS or DROP without a socket", action);

	for (slot = 0; slot < NFX_SLOT_MAX; slot++) {
		uint64_t d[NFIELDS], outcomes = 0, drops = 0;
		size_t i;

		for (i = 0; i < NFIELDS; i++) {
			d[i] = *ctr_at(&now[slot], fields[i].off) -
			       *ctr_at(&last[slot], fields[i].off);
			if (i >= 2) {
				outcomes += d[i];
				drops += fields[i].drop ? d[i] : 0;
			}
		}
		if (!d[0] && !d[1] && !outcomes)
			continue;
		if (moved_slot != NO_SLOT)
			disagree(f, len, "slots %s and %s both moved",
				 slot_names[moved_slot], slot_names[slot]);
		moved_slot = slot;
		if (d[0] != 1 || outcomes != 1)
			disagree(f, len, "%s: packets moved by %llu, outcome fields by %llu; want 1 and 1",
				 slot_names[slot], (unsigned long long)d[0],
				 (unsigned long long)outcomes);
		if (d[2])
			disagree(f, len, "%s: redirected moved with an empty xsk map",
				 slot_names[slot]);
		if (action == XDP_DROP && drops != 1)
			disagree(f, len, "%s: XDP_DROP but no drop reason moved",
				 slot_names[slot]);
		if (action == XDP_PASS && d[3] + d[4] != 1)
			disagree(f, len, "%s: XDP_PASS but neither passed nor no_socket moved",
				 slot_names[slot]);
		for (i = 2; i < NFIELDS; i++)
			if (d[i])
				moved_field = fields[i].off;
		if (d[1] != want->bytes && want->slot == slot)
			disagree(f, len, "%s: bytes moved by %llu, model says %llu (%s)",
				 slot_names[slot], (unsigned long long)d[1],
				 (unsigned long long)want->bytes, want->why);
	}
	if (action == XDP_DROP && moved_slot == NO_SLOT)
		disagree(f, len, "XDP_DROP without any counter moving");

	if (action != want->action)
		disagree(f, len, "verdict %s, model says %s (%s)",
			 action == XDP_DROP ? "DROP" : "PASS",
			 want->action == XDP_DROP ? "DROP" : "PASS", want->why);
	if (moved_slot != want->slot)
		disagree(f, len, "counted in %s, model says %s (%s)",
			 moved_slot == NO_SLOT ? "nothing" : slot_names[moved_slot],
			 want->slot == NO_SLOT ? "nothing" : slot_names[want->slot],
			 want->why);
	if (moved_slot != NO_SLOT && moved_field != want->field)
		disagree(f, len, "%s.%s moved, model says %s (%s)",
			 slot_names[moved_slot], field_name(moved_field),
			 field_name(want->field), want->why);
}

/* ---- setup ----------------------------------------------------------- */

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || level == LIBBPF_INFO)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int set_allow(int on)
{
	struct nfx_cfg cfg = { .allow_enabled = on };
	uint32_t zero = 0;

	if (bpf_map_update_elem(cfg_fd, &zero, &cfg, BPF_ANY))
		return -errno;
	allow_on = on;
	return 0;
}

static int test_run(const uint8_t *f, size_t len, unsigned int *action)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f, .data_size_in = len,
		    .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	*action = opts.retval;
	return 0;
}

/*
 * The largest frame the program sees whole.  BPF_PROG_TEST_RUN puts what
 * does not fit the first page (after head- and tailroom, which depend on
 * the kernel) into fragments, and the program reads only the linear part;
 * a driver would not give this single-buffer program such frames.  The
 * probe is a valid v9 datagram filling the frame: it is PASS as long as
 * the UDP length fits the linear data, bad_length after that.
 */
static size_t probe_frame_max(void)
{
	static uint8_t f[8192];
	size_t lo = 14 + 20 + 8 + 24, hi = sizeof(f), mid;
	unsigned int action;

	while (lo < hi) {
		mid = (lo + hi + 1) / 2;
		memset(f, 0, mid);
		f[12] = 0x08;
		f[14] = 0x45;
		f[16] = (mid - 14) >> 8;
		f[17] = (mid - 14) & 0xff;
		f[23] = 17;
		f[36] = PORT_ALL >> 8;
		f[37] = PORT_ALL & 0xff;
		f[38] = (mid - 34) >> 8;
		f[39] = (mid - 34) & 0xff;
		f[43] = 9;
		if (!test_run(f, mid, &action) && action == XDP_PASS)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static void setup(void)
{
	struct nfx_lpm_key key;
	struct bpf_map *map;
	uint8_t one = 1;
	size_t i;
	int err;

	if (geteuid() != 0) {
		fprintf(stderr, "fuzz_xdp: needs root (bpf())\n");
		exit(1);
	}
	libbpf_set_print(quiet);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		goto fail;
	percpu = calloc((size_t)ncpus * NFX_SLOT_MAX, sizeof(*percpu));
	skel = nfx_xdp_bpf__open();
	if (!percpu || !skel)
		goto fail;
	/* private maps: no pins, and a running daemon is not disturbed */
	bpf_object__for_each_map(map, skel->obj)
		if (bpf_map__set_pin_path(map, NULL))
			goto fail;
	if (nfx_xdp_bpf__load(skel))
		goto fail;
	prog_fd = bpf_program__fd(skel->progs.nfx_xdp_rx);
	stats_fd = bpf_map__fd(skel->maps.nfx_stats);
	cfg_fd = bpf_map__fd(skel->maps.nfx_cfg);

	for (i = 0; i < sizeof(listeners) / sizeof(listeners[0]); i++) {
		struct nfx_port v = { .versions = listeners[i].versions };

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.nfx_ports),
					&listeners[i].port, &v, BPF_ANY))
			goto fail;
	}
	for (i = 0; i < sizeof(allow) / sizeof(allow[0]); i++) {
		key.prefixlen = allow[i].len;
		memcpy(key.addr, allow[i].addr, sizeof(key.addr));
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.nfx_allow), &key,
					&one, BPF_ANY))
			goto fail;
	}
	if (set_allow(0))
		goto fail;
	frame_max = probe_frame_max();
	err = read_stats(last);
	if (err) {
		errno = -err;
		goto fail;
	}
	fprintf(stderr, "fuzz_xdp: program loaded, %d CPUs, frames %d..%zu bytes\n",
		ncpus, FRAME_MIN, frame_max);
	return;
fail:
	fprintf(stderr, "fuzz_xdp: setup: %s\n", strerror(errno));
	exit(1);
}

static void teardown(void)
{
	nfx_xdp_bpf__destroy(skel);
	free(percpu);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setup();
	atexit(teardown);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nfx_ctr now[NFX_SLOT_MAX];
	struct verdict want;
	const uint8_t *f = data + 1;
	size_t len = size - 1;
	unsigned int action;
	int err;

	/* outside what the test run takes: keep such inputs out of the corpus */
	if (size < 1 + FRAME_MIN || len > frame_max)
		return -1;
	if ((data[0] & 1) != allow_on && set_allow(data[0] & 1))
		abort();

	want = model(f, len, allow_on);
	err = test_run(f, len, &action);
	if (err)
		disagree(f, len, "BPF_PROG_TEST_RUN: %s", strerror(-err));
	err = read_stats(now);
	if (err)
		disagree(f, len, "read nfx_stats: %s", strerror(-err));
	check_run(f, len, action, now, &want);
	memcpy(last, now, sizeof(last));
	runs++;
	return 0;
}

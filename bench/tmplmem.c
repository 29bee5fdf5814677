// SPDX-License-Identifier: BSD-2-Clause
/*
 * tmplmem.c - what a v9 / IPFIX template costs in memory, computed from
 * the template cache's structures and measured through the real decoder.
 *
 * For each template count N (--templates, repeatable) it
 *  1. creates decoders that differ only in max_templates (N against 1) and
 *     only in max_exporters (D against 1), and takes the heap they allocate
 *     (mallinfo2: arena + mmapped bytes): what a template slot and an
 *     exporter-domain slot reserve at creation;
 *  2. creates a decoder with max_templates = N, max_exporters = D and
 *     max_templates_per_exporter = K (D = ceil(N / K)), then hands
 *     nfx_decode() N template messages, one template each, spread over D
 *     exporter-domains (D/4 exporter addresses x 4 domain ids), and takes
 *     the heap growth (mallinfo2) and the resident-set growth
 *     (/proc/self/statm) over the learning, per template.
 * Both for v9 and IPFIX, at --fields F (default 20: the fields of
 * bench/nfgen.c's template plus ipVersion and flowDirection, every one
 * decoded); fields beyond 20 are vendor / enterprise elements that are not
 * decoded.  --varlen makes those extra IPFIX fields variable-length, so
 * that the plan keeps one op per field (the case that can outgrow the
 * inline plan).  --no-thp turns transparent huge pages off for the process
 * (prctl), so RSS grows in 4 KiB pages instead of 2 MiB ones.
 *
 * The computed figures use sizeof() of the cache's own structures, so they
 * follow the code.  Output: a table, or one JSON object with --json.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "decode/decode.h"
#include "decode/tmpl_cache.h"

#define MAX_N		8
#define MSG_MAX		(65535)
#define ENTERPRISE	32473	/* RFC 5612 documentation PEN */

struct opts {
	uint32_t n[MAX_N];
	unsigned int nn;
	unsigned int fields;
	unsigned int per_exp;
	int varlen;
	int json;
	int no_thp;
};

/* The 20 decoded fields; [11]/[12] are v9's uptime times or IPFIX's ms times. */
static const struct {
	uint16_t id, len;
} base_fields[20] = {
	{ 8, 4 }, { 12, 4 }, { 7, 2 }, { 11, 2 }, { 4, 1 }, { 5, 1 }, { 6, 1 },
	{ 10, 4 }, { 14, 4 }, { 1, 8 }, { 2, 8 }, { 22, 4 }, { 21, 4 }, { 15, 4 },
	{ 9, 1 }, { 13, 1 }, { 16, 4 }, { 17, 4 }, { 60, 1 }, { 61, 1 },
};

static uint8_t msg[MSG_MAX];

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* One template message (one template record); @return its length. */
static size_t build(int ipfix, const struct opts *o, uint32_t domain, uint32_t seq, uint16_t tid)
{
	size_t hdr = ipfix ? 16 : 20, q = hdr + 8;

	memset(msg, 0, hdr);
	for (unsigned int i = 0; i < o->fields; i++) {
		uint16_t id, len;

		if (i < 20) {
			id = base_fields[i].id;
			len = base_fields[i].len;
			if (ipfix && id == 22)
				id = 152, len = 8;
			else if (ipfix && id == 21)
				id = 153, len = 8;
			else if (!ipfix && len == 8)
				len = 4;
		} else if (ipfix) {
			id = (uint16_t)(0x8000 | (1000 + i));	/* enterprise-specific */
			len = o->varlen ? NFX_VARLEN : 4;
		} else {
			id = (uint16_t)(40000 + i);		/* vendor type, skipped */
			len = 4;
		}
		put16(msg + q, id);
		put16(msg + q + 2, len);
		q += 4;
		if (ipfix && (id & 0x8000)) {
			put32(msg + q, ENTERPRISE);
			q += 4;
		}
	}
	/* set header, then the template record header */
	put16(msg + hdr, ipfix ? 2 : 0);
	put16(msg + hdr + 2, (uint16_t)(q - hdr));
	put16(msg + hdr + 4, tid);
	put16(msg + hdr + 6, (uint16_t)o->fields);
	if (ipfix) {
		put16(msg, 10);
		put16(msg + 2, (uint16_t)q);
		put32(msg + 4, 1700000000);
		put32(msg + 8, seq);
		put32(msg + 12, domain);
	} else {
		put16(msg, 9);
		put16(msg + 2, 1);
		put32(msg + 4, 86400000);
		put32(msg + 8, 1700000000);
		put32(msg + 12, seq);
		put32(msg + 16, domain);
	}
	return q;
}

static size_t heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static size_t rss_bytes(void)
{
	unsigned long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

/* The index the cache sizes for @max entries: slots (4 bytes each). */
static uint32_t idx_cap(uint32_t max)
{
	uint32_t cap = 16;

	while (cap < 2 * max)
		cap <<= 1;
	return cap;
}

/* glibc chunk size of malloc(@n) (64-bit): header + alignment. */
static size_t chunk(size_t n)
{
	size_t c = (n + 8 + 15) & ~(size_t)15;

	return c < 32 ? 32 : c;
}

static uint32_t ndomains(uint32_t n, uint32_t per_exp)
{
	uint32_t d = (n + per_exp - 1) / per_exp;

	return (d + 3) / 4 * 4;	/* 4 domains per exporter address */
}

/* Heap a decoder allocates at creation with @o. */
static long create_cost(const struct nfx_decoder_opts *o)
{
	size_t h0 = heap_bytes(), h1;
	struct nfx_decoder *d = nfx_decoder_new(o);

	if (!d) {
		perror("nfx_decoder_new");
		exit(1);
	}
	h1 = heap_bytes();
	nfx_decoder_free(d);
	return (long)(h1 - h0);
}

static void sink_emit(void *ctx, const struct nfx_flow *f)
{
	(void)ctx;
	(void)f;
}

struct learn_res {
	uint32_t n, domains, learned, held, nops;
	long heap, rss;
	long create_heap, create_rss;	/* what creating the decoder took */
	double heap_per, rss_per;
	double rss_model;	/* resident bytes the model expects the learning to add */
};

static size_t round_up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

/* Pages (of @pg bytes) of a table of @cap 4-byte slots hit by @k random inserts. */
static double pages_hit(uint32_t cap, uint32_t k, size_t pg)
{
	double pages = (double)cap * 4 / (double)pg, p;

	if (pages < 1)
		return 1;
	p = 1.0;
	for (uint32_t i = 0; i < k; i++)
		p *= 1.0 - 1.0 / pages;
	return pages * (1.0 - p);
}

static void learn(int ipfix, uint32_t n, const struct opts *o, struct learn_res *r)
{
	struct nfx_decoder_opts dop = { 0 };
	struct nfx_sink sink = { sink_emit, NULL };
	struct nfx_decoder *d;
	struct nfx_src src;
	size_t h0, h1, r0, r1, pg = (size_t)sysconf(_SC_PAGESIZE);
	uint32_t nd = ndomains(n, o->per_exp);

	memset(r, 0, sizeof(*r));
	dop.max_templates = n;
	dop.max_exporters = nd;
	dop.max_templates_per_exporter = o->per_exp;
	memset(&src, 0, sizeof(src));
	src.port = 40000;
	src.dst_port = 2055;
	src.now_ms = 1700000000000ull;
	/* touch the message buffer, the stack and stdio before measuring */
	build(ipfix, o, 0, 0, 256);
	r0 = rss_bytes();
	h0 = heap_bytes();
	r0 = rss_bytes();
	d = nfx_decoder_new(&dop);
	if (!d) {
		perror("nfx_decoder_new");
		exit(1);
	}
	r->create_heap = (long)(heap_bytes() - h0);
	r->create_rss = (long)(rss_bytes() - r0);
	r0 = rss_bytes();
	h0 = heap_bytes();
	for (uint32_t i = 0; i < n; i++) {
		uint32_t dom = i % nd, tid = 256 + i / nd;
		uint8_t a[4] = { 10, 99, (uint8_t)(dom / 4 >> 8), (uint8_t)(dom / 4) };
		size_t len = build(ipfix, o, dom % 4 + 1, i / nd, (uint16_t)tid);

		nfx_addr_set_v4(&src.addr, a);
		nfx_decode(d, &src, msg, len, &sink);
	}
	h1 = heap_bytes();
	r1 = rss_bytes();
	r->n = n;
	r->domains = nd;
	r->learned = (uint32_t)d->stats.templates_learned;
	r->held = nfx_tmpl_count(d->tmpl);
	{
		struct nfx_tkey k;
		uint8_t a[4] = { 10, 99, 0, 0 };
		const struct nfx_tmpl *t;

		nfx_addr_set_v4(&src.addr, a);
		nfx_tmpl_key(d->tmpl, &k, ipfix ? NFX_PROTO_IPFIX : NFX_PROTO_V9, &src, 1, 256);
		t = nfx_tmpl_find(d->tmpl, &k, src.now_ms);
		r->nops = t ? t->nops : 0;
	}
	r->heap = (long)(h1 - h0);
	r->rss = (long)(r1 - r0);
	r->heap_per = (double)r->heap / n;
	r->rss_per = (double)r->rss / n;
	/*
	 * The model: template slots are taken in order from the slab (dense),
	 * exporter-domain slots too; the two indexes are hit at random.  The
	 * free-slot stacks were written at creation (resident before).
	 * Heap plans for plans longer than the inline array.
	 */
	r->rss_model = (double)round_up((size_t)n * sizeof(struct nfx_tmpl), pg) +
		       pages_hit(idx_cap(n), n, pg) * (double)pg +
		       (double)round_up((size_t)nd * sizeof(struct nfx_dom), pg) +
		       pages_hit(idx_cap(nd), nd, pg) * (double)pg +
		       (r->nops > NFX_TMPL_INLINE_OPS ?
			(double)n * (double)chunk((size_t)r->nops * sizeof(struct nfx_op)) : 0);
	nfx_decoder_free(d);
}

/*
 * Each measurement in a child of its own: a fresh heap, so the decoder's
 * large tables are fresh mmap()s as in a daemon that just started (after a
 * free, glibc raises its mmap threshold and would serve them from the arena
 * instead, memset and resident).
 */
static void in_child(void (*fn)(int, uint32_t, const struct opts *, struct learn_res *),
		     int ipfix, uint32_t n, const struct opts *o, struct learn_res *r)
{
	int fd[2], st;
	pid_t pid;

	if (pipe(fd)) {
		perror("pipe");
		exit(1);
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (!pid) {
		close(fd[0]);
		fn(ipfix, n, o, r);
		_exit(write(fd[1], r, sizeof(*r)) == (ssize_t)sizeof(*r) ? 0 : 1);
	}
	close(fd[1]);
	if (read(fd[0], r, sizeof(*r)) != (ssize_t)sizeof(*r)) {
		fprintf(stderr, "tmplmem: measurement failed\n");
		exit(1);
	}
	close(fd[0]);
	waitpid(pid, &st, 0);
}

/* Creation cost of a template slot (heap: N slots against 1) and of a domain slot. */
static void create_slots(int unused, uint32_t n, const struct opts *o, struct learn_res *r)
{
	uint32_t nd = ndomains(n, o->per_exp);
	struct nfx_decoder_opts a = { .max_templates = n, .max_exporters = nd,
				      .max_templates_per_exporter = o->per_exp };
	struct nfx_decoder_opts b = a;

	(void)unused;
	memset(r, 0, sizeof(*r));
	b.max_templates = 1;
	r->heap = create_cost(&a) - create_cost(&b);
	b = a;
	b.max_exporters = 1;
	r->create_heap = create_cost(&a) - create_cost(&b);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tmplmem [--templates N]... [--fields F] [--per-exporter K] [--varlen]\n"
		   "               [--no-thp] [--json]\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "templates", required_argument, NULL, 'n' },
		{ "fields", required_argument, NULL, 'f' },
		{ "per-exporter", required_argument, NULL, 'k' },
		{ "varlen", no_argument, NULL, 'v' },
		{ "no-thp", no_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .fields = 20, .per_exp = 256 };
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (o.nn == MAX_N)
				return 2;
			o.n[o.nn++] = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'f': o.fields = (unsigned int)atoi(optarg); break;
		case 'k': o.per_exp = (unsigned int)atoi(optarg); break;
		case 'v': o.varlen = 1; break;
		case 'T': o.no_thp = 1; break;
		case 'j': o.json = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!o.nn)
		o.n[o.nn++] = 10000, o.n[o.nn++] = 50000;
	if (o.fields < 20 || o.fields > 300 || !o.per_exp || o.per_exp > 65535) {
		fprintf(stderr, "tmplmem: --fields 20..300, --per-exporter 1..65535\n");
		return 2;
	}
	for (unsigned int i = 0; i < o.nn; i++)
		if (o.n[i] < 16 || o.n[i] > (1u << 22)) {
			fprintf(stderr, "tmplmem: --templates 16..4194304\n");
			return 2;
		}
	if (o.no_thp && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		perror("prctl(PR_SET_THP_DISABLE)");

	/* the creation cost of a slot, both kinds */
	if (o.json)
		printf("{\"sizeof_tmpl\":%zu,\"sizeof_dom\":%zu,\"sizeof_op\":%zu,\"inline_ops\":%d,"
		       "\"fields\":%u,\"varlen\":%d,\"per_exporter\":%u,\"thp\":%s,\"runs\":[",
		       sizeof(struct nfx_tmpl), sizeof(struct nfx_dom), sizeof(struct nfx_op),
		       NFX_TMPL_INLINE_OPS, o.fields, o.varlen, o.per_exp,
		       o.no_thp ? "false" : "true");
	else
		printf("# sizeof: nfx_tmpl %zu B (inline plan of %d ops x %zu B), nfx_dom %zu B; "
		       "%u fields%s, %u templates per exporter-domain, THP %s\n",
		       sizeof(struct nfx_tmpl), NFX_TMPL_INLINE_OPS, sizeof(struct nfx_op),
		       sizeof(struct nfx_dom), o.fields, o.varlen ? " (extra ones varlen)" : "",
		       o.per_exp, o.no_thp ? "off" : "as configured");
	for (unsigned int i = 0; i < o.nn; i++) {
		uint32_t n = o.n[i], nd = ndomains(n, o.per_exp);
		long ct, ce;
		double ct_model, ce_model;
		struct learn_res lr[2], cr;

		in_child(create_slots, 0, n, &o, &cr);
		ct = cr.heap;
		ce = cr.create_heap;
		/* slab + free stack + index, N slots against 1 */
		ct_model = (double)(n - 1) * (sizeof(struct nfx_tmpl) + 4) +
			   4.0 * (idx_cap(n) - idx_cap(1));
		ce_model = (double)(nd - 1) * (sizeof(struct nfx_dom) + 4) +
			   4.0 * (idx_cap(nd) - idx_cap(1));
		for (int p = 0; p < 2; p++)
			in_child(learn, p, n, &o, &lr[p]);
		if (o.json) {
			printf("%s{\"templates\":%u,\"domains\":%u,"
			       "\"create_per_template_slot\":%.1f,\"create_per_template_slot_model\":%.1f,"
			       "\"create_per_domain_slot\":%.1f,\"create_per_domain_slot_model\":%.1f,",
			       i ? "," : "", n, nd, (double)ct / (n - 1), ct_model / (n - 1),
			       (double)ce / (nd - 1), ce_model / (nd - 1));
			for (int p = 0; p < 2; p++)
				printf("\"%s\":{\"learned\":%u,\"held\":%u,\"plan_ops\":%u,"
				       "\"create_heap\":%ld,\"create_rss\":%ld,\"heap_growth\":%ld,\"heap_per_template\":%.2f,"
				       "\"rss_growth\":%ld,\"rss_per_template\":%.1f,"
				       "\"rss_model\":%.0f,\"rss_model_per_template\":%.1f}%s",
				       p ? "ipfix" : "v9", lr[p].learned, lr[p].held, lr[p].nops,
				       lr[p].create_heap, lr[p].create_rss, lr[p].heap, lr[p].heap_per, lr[p].rss, lr[p].rss_per,
				       lr[p].rss_model, lr[p].rss_model / n, p ? "}" : ",");
			continue;
		}
		printf("\nN = %u templates over %u exporter-domains (%u per domain at most)\n", n,
		       nd, o.per_exp);
		printf("  created, per template slot:      %8.1f B measured, %8.1f B computed\n",
		       (double)ct / (n - 1), ct_model / (n - 1));
		printf("  created, per exporter-domain slot: %6.1f B measured, %8.1f B computed\n",
		       (double)ce / (nd - 1), ce_model / (nd - 1));
		printf("  decoder created: heap %ld B, resident at once %ld B (free-slot stacks, "
		       "headers)\n", lr[0].create_heap, lr[0].create_rss);
		for (int p = 0; p < 2; p++)
			printf("  %-5s learned %u/%u (held %u), plan %u ops: heap +%ld B (%.2f B/template), "
			       "RSS +%ld B (%.1f B/template; model %.1f)\n",
			       p ? "IPFIX" : "v9", lr[p].learned, n, lr[p].held, lr[p].nops,
			       lr[p].heap, lr[p].heap_per, lr[p].rss, lr[p].rss_per,
			       lr[p].rss_model / n);
	}
	if (o.json)
		printf("]}\n");
	return 0;
}

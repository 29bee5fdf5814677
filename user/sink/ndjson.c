// SPDX-License-Identifier: BSD-2-Clause
/*
 * ndjson.c - NDJSON records (design §4, the Datadog Agent's NetFlow
 * payload plus extra top-level keys).  json-c would allocate a tree per
 * record; this formats straight into one large buffer instead, and the
 * only syscalls are the big writes when it fills or is flushed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "sink/outfile.h"
#include "sink/ndjson.h"
#include "base/wbuf.h"

#define OUT_BUF_SIZE	(1u << 20)
#define REC_MAX		6144	/* worst case: IPv6, two DNS names, four mapped fields escaped */

#define WARN_EVERY_MS	60000

/*
 * Writers of several worker threads share one file.  Each formats into its
 * own buffer; the lock is taken once per big write.  A partial write (a
 * backed-up pipe, a full disk) leaves the start of a line or of a gzip
 * chunk in the file, so until the rest is written the writer that began it
 * owns the file and the others wait.
 */
struct ndjson_share {
	pthread_mutex_t lock;
	struct nfx_ndjson *owner;	/* the file holds the start of its bytes, NULL */
};

/* A file's warnings, once a minute whichever of its writers has one to give. */
struct ndjson_warn {
	_Atomic uint64_t next_ms;	/* monotonic: no warning before */
	_Atomic uint64_t suppressed;	/* warnings held back since the last one */
	_Atomic uint64_t lost;		/* records dropped by all its writers */
};

struct nfx_ndjson {
	struct nfx_outfile *file;
	struct ndjson_share *share;	/* NULL: the file has one writer */
	int is_clone;			/* the file is another writer's */
	struct ndjson_warn *warn;	/* the file's: this writer's own, or its parent's */
	struct ndjson_warn own_warn;
	uint64_t now_ms;
	unsigned int flags;
	size_t used;
	size_t sent;			/* bytes at the head of buf in the file: part of a line */
	int stalled;			/* full and the sink took nothing: wait for the next flush */
	uint64_t records_buffered;	/* lines in buf, none of them written in full */
	struct nfx_ndjson_stats stats;
	const char *ns_src;		/* the unescaped string ns was made from */
	char ns[256];			/* namespace, already JSON-escaped */
	char host[512];			/* host name, already JSON-escaped */
	size_t ns_len;
	size_t host_len;
	/* the flush time's text, converted once for the records that share it */
	uint64_t flush_txt_ms;
	struct nfx_name16 flush_txt;	/* len 0: not converted yet */
	char buf[OUT_BUF_SIZE];
};

WINLINE void put_endpoint(struct wbuf *w, const struct nfx_flow *f, int src, const char *name)
{
	const struct nfx_addr *a = src ? &f->src : &f->dst;
	int v4 = f->ip_version != 6 && nfx_addr_is_v4(a);

	put_lit(w, "{\"ip\":\"");
	put_ip(w, a);
	put_lit(w, "\",\"port\":\"");
	if (f->present & (src ? NFX_F_SRC_PORT_ROLLUP : NFX_F_DST_PORT_ROLLUP))
		put_lit(w, "*");	/* ephemeral side rolled up by the aggregator */
	else
		put_u64(w, src ? f->src_port : f->dst_port);
	put_lit(w, "\",\"mac\":\"");
	put_mac(w, src ? f->src_mac : f->dst_mac);
	put_lit(w, "\",\"mask\":\"");
	put_mask(w, a, src ? f->src_mask : f->dst_mask, v4);
	if (name) {	/* JSON-safe as the resolver keeps it */
		put_lit(w, "\",\"reverse_dns_hostname\":\"");
		put_str(w, name);
	}
	put_lit(w, "\"}");
}

/* ,"key":value with the key a string literal: one constant-size copy */
#define put_key_u64(w, key, v)				\
	do {						\
		put_lit(w, ",\"" key "\":");		\
		put_u64(w, v);				\
	} while (0)

/* ,"nat_source":{"ip":"A","port":N}: either member only when the exporter sent it */
static void put_nat_side(struct wbuf *w, const struct nfx_flow *f, int src)
{
	int has_ip = f->present2 & (src ? NFX_F2_NAT_SRC : NFX_F2_NAT_DST);
	int has_port = f->present2 & (src ? NFX_F2_NAT_SRC_PORT : NFX_F2_NAT_DST_PORT);

	if (!has_ip && !has_port)
		return;
	put_str(w, src ? ",\"nat_source\":{" : ",\"nat_destination\":{");
	if (has_ip) {
		put_lit(w, "\"ip\":\"");
		put_ip(w, src ? &f->nat_src : &f->nat_dst);
		put_lit(w, "\"");
	}
	if (has_port) {
		put_str(w, has_ip ? ",\"port\":" : "\"port\":");
		put_u64(w, src ? f->nat_src_port : f->nat_dst_port);
	}
	put_lit(w, "}");
}

/*
 * Calls a helper that is not inlined with a copy of the buffer.  Handing it
 * @w itself lets @w escape: every later write of the record would then
 * read w->checked again instead of folding the constant of the fast path.
 */
#define put_out_of_line(w, fn, ...)			\
	do {						\
		struct wbuf copy_ = *(w);		\
		fn(&copy_, __VA_ARGS__);		\
		(w)->p = copy_.p;			\
	} while (0)

/* ,"name":"..." of an interface, as its exporter announced it (escaped) */
static void put_if_name(struct wbuf *w, const char name[NFX_IFNAME_LEN])
{
	put_lit(w, ",\"name\":\"");
	put_text(w, (const uint8_t *)name, NFX_IFNAME_LEN);
	put_lit(w, "\"");
}

/* Post-NAT endpoints, NAT and firewall events, MPLS labels (design §4). */
static void put_nat_fw(struct wbuf *w, const struct nfx_flow *f)
{
	put_nat_side(w, f, 1);
	put_nat_side(w, f, 0);
	if (f->present2 & NFX_F2_NAT_EVENT)
		put_key_u64(w, "nat_event", f->nat_event);
	if (f->present2 & NFX_F2_FW_EVENT)
		put_key_u64(w, "firewall_event", f->fw_event);
	if (f->present2 & NFX_F2_MPLS)
		put_mpls(w, f);
}

WINLINE void put_extras(struct wbuf *w, const struct nfx_flow *f)
{
	if (f->present & NFX_F_TOS)
		put_key_u64(w, "tos", f->tos);
	if (f->present & NFX_F_SRC_AS)
		put_key_u64(w, "src_as", f->src_as);
	if (f->present & NFX_F_DST_AS)
		put_key_u64(w, "dst_as", f->dst_as);
	if (f->present & NFX_F_VLAN)
		put_key_u64(w, "vlan", f->vlan);
	if (f->present & NFX_F_ICMP) {
		put_key_u64(w, "icmp_type", f->icmp_type);
		put_key_u64(w, "icmp_code", f->icmp_code);
	}
	if (f->present & NFX_F_DOMAIN)
		put_key_u64(w, "observation_domain_id", f->domain_id);
	if (f->present & NFX_F_BGP_NEXT_HOP) {
		put_lit(w, ",\"bgp_next_hop\":{\"ip\":\"");
		put_ip(w, &f->bgp_next_hop);
		put_lit(w, "\"}");
	}
	put_xfields(w, f);
	if (f->present2)
		put_out_of_line(w, put_nat_fw, f);
}

/* One side of the tunnel: {"ip":...,"port":...}, each only when known. */
WINLINE void put_tunnel_end(struct wbuf *w, const struct nfx_flow *f, int src)
{
	int ip = !!(f->xpresent & (src ? NFX_X_TUN_SRC : NFX_X_TUN_DST));

	put_lit(w, "{");
	if (ip) {
		put_lit(w, "\"ip\":\"");
		put_ip(w, src ? &f->tun_src : &f->tun_dst);
		put_lit(w, "\"");
	}
	if (f->xpresent & NFX_X_TUN_PORTS) {
		put_str(w, ip ? ",\"port\":\"" : "\"port\":\"");
		put_u64(w, src ? f->tun_src_port : f->tun_dst_port);
		put_lit(w, "\"");
	}
	put_lit(w, "}");
}

/* "tunnel": the outer header of a tunnelled flow (decode/plan.c, dataset.c) */
WINLINE void put_tunnel(struct wbuf *w, const struct nfx_flow *f)
{
	if (!(f->xpresent & (NFX_X_TUN_SRC | NFX_X_TUN_DST | NFX_X_TUN_PORTS | NFX_X_TUN_PROTO)))
		return;
	put_lit(w, ",\"tunnel\":{\"source\":");
	put_tunnel_end(w, f, 1);
	put_lit(w, ",\"destination\":");
	put_tunnel_end(w, f, 0);
	if (f->xpresent & NFX_X_TUN_PROTO) {
		put_lit(w, ",\"ip_protocol\":\"");
		put_proto(w, f->tun_proto);
		put_lit(w, "\"");
	}
	put_lit(w, "}");
}


/* Everything a record's text depends on besides the flow itself. */
struct fmt_ctx {
	const char *ns;			/* JSON-escaped */
	const char *host;		/* JSON-escaped */
	size_t ns_len;			/* their lengths, taken once, not per record */
	size_t host_len;
	unsigned int flags;		/* NFX_NDJSON_* */
	const struct nfx_enriched *x;	/* names and mapped-field keys */
	const struct nfx_name16 *flush_txt;	/* flush_ms as text, or NULL */
};

static void put_mapped(struct wbuf *w, const struct nfx_flow *f, const struct nfx_enriched *x)
{
	for (unsigned int i = 0; i < f->nextra && i < NFX_EXTRA_MAX; i++) {
		const struct nfx_extra *e = &f->extra[i];

		if (e->map >= x->nmaps || e->off + e->len > NFX_EXTRA_BYTES)
			continue;
		put_lit(w, ",\"");
		put_str(w, x->maps[e->map].key);
		put_lit(w, "\":");
		put_mapped_value(w, &x->maps[e->map], f->extra_data + e->off, e->len, 0);
	}
}

/* @x NULL: nothing enriched (the fast path: the compiler drops those branches) */
WINLINE void put_record(struct wbuf *w, const struct nfx_flow *f, uint64_t flush_ms,
		       const struct fmt_ctx *cx, const struct nfx_enriched *x)
{
	const char *ns = cx->ns, *host = cx->host;
	uint64_t start = f->present & NFX_F_START ? f->start_ms : flush_ms;
	uint64_t end = f->present & NFX_F_END ? f->end_ms : start;

	put_lit(w, "{\"flush_timestamp\":");
	if (cx->flush_txt)
		put_name16(w, cx->flush_txt);
	else
		put_u64(w, flush_ms);
	put_lit(w, ",\"type\":\"");
	put_name16(w, nfx_flow_type_name16(f->type));
	put_lit(w, "\",\"sampling_rate\":");
	put_u64(w, f->sampling_rate);
	if (f->direction)
		put_lit(w, ",\"direction\":\"egress\"");
	else
		put_lit(w, ",\"direction\":\"ingress\"");
	put_key_u64(w, "start", start / 1000);
	put_key_u64(w, "end", end / 1000);
	put_key_u64(w, "bytes", f->bytes);
	put_key_u64(w, "packets", f->packets);
	if (f->ip_version == 4)
		put_lit(w, ",\"ether_type\":\"IPv4\"");
	else if (f->ip_version == 6)
		put_lit(w, ",\"ether_type\":\"IPv6\"");
	put_lit(w, ",\"ip_protocol\":\"");
	put_proto(w, f->proto);
	put_lit(w, "\",\"device\":{\"namespace\":\"");
	put_mem(w, ns, cx->ns_len);
	put_lit(w, "\"},\"exporter\":{\"ip\":\"");
	put_ip(w, &f->exporter);
	put_lit(w, "\"},\"source\":");
	put_endpoint(w, f, 1, x ? x->src_name : NULL);
	put_lit(w, ",\"destination\":");
	put_endpoint(w, f, 0, x ? x->dst_name : NULL);
	put_lit(w, ",\"ingress\":{\"interface\":{\"index\":");
	put_u64(w, f->in_if);
	if (f->present2 & NFX_F2_IN_IF_NAME)
		put_out_of_line(w, put_if_name, f->in_if_name);
	put_lit(w, "}},\"egress\":{\"interface\":{\"index\":");
	put_u64(w, f->out_if);
	if (f->present2 & NFX_F2_OUT_IF_NAME)
		put_out_of_line(w, put_if_name, f->out_if_name);
	put_lit(w, "}},\"host\":\"");
	put_mem(w, host, cx->host_len);
	put_lit(w, "\"");
	put_tcp_flags(w, f->tcp_flags);
	if (f->present & NFX_F_NEXT_HOP) {
		put_lit(w, ",\"next_hop\":{\"ip\":\"");
		put_ip(w, &f->next_hop);
		put_lit(w, "\"}");
	}
	put_extras(w, f);
	put_tunnel(w, f);
	if (x)
		put_out_of_line(w, put_mapped, f, x);
	if (cx->flags & NFX_NDJSON_MS_TIMES) {
		put_key_u64(w, "start_ms", start);
		put_key_u64(w, "end_ms", end);
	}
	put_lit(w, "}");
}

/*
 * Longest record without reverse DNS names and mapped fields, less the
 * namespace and host: every key, 20-digit numbers, IPv6 text everywhere
 * (tunnel too), all eight TCP flags, NAT endpoints, ten MPLS labels and
 * two interface names escaped to \u00XX stay well below this (about 2900
 * bytes).
 */
#define FAST_MAX	4096

static int format_ctx(char *buf, size_t size, const struct nfx_flow *f, uint64_t flush_ms,
		      const struct fmt_ctx *cx)
{
	struct wbuf w = { buf, buf + size, 1 };

	if (!cx->x->src_name && !cx->x->dst_name && !f->nextra &&
	    size >= FAST_MAX + cx->ns_len + cx->host_len) {
		struct wbuf u = { buf, buf + size, 0 };

		put_record(&u, f, flush_ms, cx, NULL);
		return (int)(u.p - buf);
	}

	put_record(&w, f, flush_ms, cx, cx->x);
	if (w.p > w.end)
		return -ENOSPC;
	return (int)(w.p - buf);
}

int nfx_ndjson_format(char *buf, size_t size, const struct nfx_flow *f,
		      uint64_t flush_ms, const char *ns, const char *host,
		      unsigned int flags)
{
	static const struct nfx_enriched none;
	const struct fmt_ctx cx = { .ns = ns, .host = host, .ns_len = strlen(ns),
				    .host_len = strlen(host), .flags = flags, .x = &none };

	return format_ctx(buf, size, f, flush_ms, &cx);
}

/* JSON string body of s, or -ENAMETOOLONG. */
static int json_escape(char *dst, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (n + 7 > size) {
			dst[n] = 0;	/* a string that fits; the caller hears it was cut */
			return -ENAMETOOLONG;
		}
		if (c == '"' || c == '\\') {
			dst[n++] = '\\';
			dst[n++] = (char)c;
		} else if (c < 0x20) {
			n += (size_t)snprintf(dst + n, size - n, "\\u%04x", c);
		} else {
			dst[n++] = (char)c;
		}
	}
	dst[n] = 0;
	return 0;
}

struct nfx_ndjson *nfx_ndjson_open(const struct nfx_ndjson_opts *opts)
{
	struct nfx_ndjson *w;
	char host[256] = "";
	int err;

	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->flags = opts->flags;
	w->warn = &w->own_warn;
	w->file = nfx_outfile_open(&(struct nfx_outfile_opts){
		.path = opts->path, .rotate_bytes = opts->rotate_bytes,
		.rotate_secs = opts->rotate_secs, .gzip = opts->gzip,
		.nonblock = opts->nonblock, .mode = opts->mode });
	if (!w->file)
		goto err_free;
	if (opts->host)
		snprintf(host, sizeof(host), "%s", opts->host);
	else
		gethostname(host, sizeof(host) - 1);
	err = json_escape(w->host, sizeof(w->host), host);
	if (!err)
		err = json_escape(w->ns, sizeof(w->ns), opts->namespace ? opts->namespace : "default");
	if (err) {
		errno = -err;
		goto err_close;
	}
	w->host_len = strlen(w->host);
	w->ns_len = strlen(w->ns);
	return w;

err_close:
	nfx_outfile_close(w->file);
err_free:
	err = errno;
	free(w);
	errno = err;
	return NULL;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * A failing or backed-up sink is logged at most once a minute per file,
 * with how many warnings were held back meanwhile.
 */
static void sink_warn(struct nfx_ndjson *w, const char *what, int err)
{
	struct ndjson_warn *wn = w->warn;
	uint64_t now = mono_ms(), next = atomic_load_explicit(&wn->next_ms, memory_order_relaxed);
	unsigned long long held;

	if (now < next ||
	    !atomic_compare_exchange_strong(&wn->next_ms, &next, now + WARN_EVERY_MS)) {
		atomic_fetch_add_explicit(&wn->suppressed, 1, memory_order_relaxed);
		return;
	}
	held = atomic_exchange(&wn->suppressed, 0);
	pr_warn("output: %s%s%s (%llu records lost so far; %llu similar warnings in the last "
		"minute not shown)\n", what, err ? ": " : "", err ? strerror(-err) : "",
		(unsigned long long)atomic_load(&wn->lost), held);
}

static void count_lost(struct nfx_ndjson *w, uint64_t records)
{
	w->stats.dropped += records;
	atomic_fetch_add_explicit(&w->warn->lost, records, memory_order_relaxed);
}

/* Offers what is not in the file yet; a writer whose piece another holds waits. */
static ssize_t file_write(struct nfx_ndjson *w)
{
	struct ndjson_share *sh = w->share;
	ssize_t n;

	if (!sh)
		return nfx_outfile_write(w->file, w->buf + w->sent, w->used - w->sent, w->now_ms);
	pthread_mutex_lock(&sh->lock);
	if (sh->owner && sh->owner != w) {
		n = 0;		/* another writer's line is half written */
	} else {
		n = nfx_outfile_write(w->file, w->buf + w->sent, w->used - w->sent, w->now_ms);
		sh->owner = nfx_outfile_held(w->file) ? w : NULL;
	}
	pthread_mutex_unlock(&sh->lock);
	return n;
}

static uint64_t count_lines(const char *p, const char *end)
{
	uint64_t n = 0;

	while ((p = memchr(p, '\n', (size_t)(end - p)))) {
		n++;
		if (++p == end)
			break;
	}
	return n;
}

/*
 * The file took @n more bytes: the lines it now holds in full are written
 * (counted) and leave the buffer; the start of a line stays until the rest
 * is taken, so that it can be offered again whole if the file gives it up.
 */
static void taken(struct nfx_ndjson *w, size_t n)
{
	size_t end = w->sent + n, whole;
	uint64_t lines;
	const char *nl;

	if (end == w->used) {	/* everything: the buffer ends with a whole line */
		w->stats.records += w->records_buffered;
		w->records_buffered = 0;
		w->used = w->sent = 0;
		return;
	}
	if (!n)
		return;
	nl = memrchr(w->buf + w->sent, '\n', n);
	if (!nl) {
		w->sent = end;
		return;
	}
	whole = (size_t)(nl + 1 - w->buf);
	lines = count_lines(w->buf + w->sent, nl + 1);
	w->stats.records += lines;
	w->records_buffered -= lines;
	memmove(w->buf, w->buf + whole, w->used - whole);
	w->used -= whole;
	w->sent = end - whole;
}

int nfx_ndjson_flush(struct nfx_ndjson *w)
{
	ssize_t n;

	w->stalled = 0;
	if (w->used == w->sent)
		return 0;
	n = file_write(w);
	if (n < 0) {
		/* kept: offered again on the next flush, new records dropped once it is full */
		w->stats.write_errors++;
		sink_warn(w, "write failed, records wait in the buffer", (int)n);
		return (int)n;
	}
	taken(w, (size_t)n);
	return 0;
}

int nfx_ndjson_reopen(struct nfx_ndjson *w)
{
	struct nfx_ndjson *holder;
	int err;

	if (w->is_clone)
		return -EINVAL;
	nfx_ndjson_flush(w);
	if (w->share)
		pthread_mutex_lock(&w->share->lock);
	holder = w->share ? w->share->owner : nfx_outfile_held(w->file) ? w : NULL;
	err = nfx_outfile_reopen(w->file);	/* cuts a held piece off the old file */
	if (holder)
		holder->sent = 0;		/* ... so it goes to the new one whole */
	if (w->share) {
		w->share->owner = NULL;
		pthread_mutex_unlock(&w->share->lock);
	}
	return err;
}

struct nfx_ndjson *nfx_ndjson_clone(struct nfx_ndjson *parent)
{
	struct nfx_ndjson *w;

	if (parent->is_clone) {
		errno = EINVAL;
		return NULL;
	}
	if (!parent->share) {
		parent->share = calloc(1, sizeof(*parent->share));
		if (!parent->share)
			return NULL;
		pthread_mutex_init(&parent->share->lock, NULL);
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->file = parent->file;
	w->share = parent->share;
	w->warn = parent->warn;
	w->is_clone = 1;
	w->flags = parent->flags;
	w->now_ms = parent->now_ms;
	memcpy(w->ns, parent->ns, sizeof(w->ns));
	memcpy(w->host, parent->host, sizeof(w->host));
	w->ns_len = parent->ns_len;
	w->host_len = parent->host_len;
	return w;
}

void nfx_ndjson_close(struct nfx_ndjson *w)
{
	if (!w)
		return;
	/* give a slow sink up to 5 s to take the rest before it is counted lost */
	for (int i = 0; i < 50 && w->used; i++) {
		size_t before = w->used;

		if (nfx_ndjson_flush(w))
			break;
		if (w->used == before)
			usleep(100000);
	}
	if (w->share) {
		pthread_mutex_lock(&w->share->lock);
		if (w->share->owner == w) {	/* the file holds the start of a lost line */
			nfx_outfile_abandon(w->file);
			w->share->owner = NULL;
		}
		pthread_mutex_unlock(&w->share->lock);
	}
	if (w->used)	/* the file's close cuts off what it holds of it */
		count_lost(w, w->records_buffered);
	if (!w->is_clone) {
		nfx_outfile_close(w->file);
		if (w->share)
			pthread_mutex_destroy(&w->share->lock);
		free(w->share);
	}
	free(w);
}

int nfx_ndjson_set_namespace(struct nfx_ndjson *w, const char *ns)
{
	int err;

	if (ns == w->ns_src)
		return 0;
	w->ns_src = ns;
	err = json_escape(w->ns, sizeof(w->ns), ns ? ns : "default");
	w->ns_len = strlen(w->ns);
	return err;
}

void nfx_ndjson_set_now(struct nfx_ndjson *w, uint64_t now_ms)
{
	w->now_ms = now_ms;
}

/* All records of a flush (or of a batch, raw) share their flush time: its text once. */
static const struct nfx_name16 *flush_text(struct nfx_ndjson *w, uint64_t flush_ms)
{
	if (flush_ms != w->flush_txt_ms || !w->flush_txt.len) {
		char tmp[32];
		struct wbuf t = { tmp, tmp + sizeof(tmp), 1 };
		size_t n;

		put_u64(&t, flush_ms);
		n = (size_t)(t.p - tmp);
		/* 16 digits and more (not a time in ms) are not kept */
		w->flush_txt.len = (uint8_t)(n <= sizeof(w->flush_txt.s) ? n : 0);
		memcpy(w->flush_txt.s, tmp, w->flush_txt.len);
		w->flush_txt_ms = flush_ms;
	}
	return w->flush_txt.len ? &w->flush_txt : NULL;
}

static int write_one(struct nfx_ndjson *w, const struct nfx_flow *f, uint64_t flush_ms,
		     const struct nfx_enriched *x)
{
	const struct fmt_ctx cx = { .ns = w->ns, .host = w->host, .ns_len = w->ns_len,
				    .host_len = w->host_len, .flags = w->flags, .x = x,
				    .flush_txt = flush_text(w, flush_ms) };
	int n;

	if (OUT_BUF_SIZE - w->used < REC_MAX) {
		/* a sink that took nothing is not asked again per record, only per flush */
		if (!w->stalled)
			nfx_ndjson_flush(w);
		if (OUT_BUF_SIZE - w->used < REC_MAX) {
			w->stalled = 1;
			count_lost(w, 1);
			sink_warn(w, "sink backed up, dropping records", 0);
			return -ENOBUFS;
		}
	}
	n = format_ctx(w->buf + w->used, OUT_BUF_SIZE - w->used - 1, f, flush_ms, &cx);
	if (n < 0) {
		w->stats.write_errors++;
		count_lost(w, 1);
		return n;
	}
	w->used += (size_t)n;
	w->buf[w->used++] = '\n';
	w->records_buffered++;
	return 0;
}

int nfx_ndjson_write(struct nfx_ndjson *w, const struct nfx_flow *f)
{
	static const struct nfx_enriched none;

	return write_one(w, f, w->now_ms, &none);
}

int nfx_ndjson_write_record(struct nfx_ndjson *w, const struct nfx_record *r)
{
	nfx_ndjson_set_namespace(w, r->ns);	/* escaped once per namespace change */
	return write_one(w, r->flow, r->flush_ms, r->x);
}

void nfx_ndjson_record(void *ctx, const struct nfx_record *r)
{
	nfx_ndjson_write_record(ctx, r);
}

void nfx_ndjson_emit(void *ctx, const struct nfx_flow *f)
{
	nfx_ndjson_write(ctx, f);
}

const struct nfx_ndjson_stats *nfx_ndjson_stats(struct nfx_ndjson *w)
{
	const struct nfx_outfile_stats *fs = nfx_outfile_stats(w->file);

	w->stats.pending = w->records_buffered;
	w->stats.bytes = fs->bytes;
	w->stats.rotations = fs->rotations;
	w->stats.reopens = fs->reopens;
	return &w->stats;
}

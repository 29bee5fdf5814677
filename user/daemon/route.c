// SPDX-License-Identifier: BSD-2-Clause
/*
 * route.c - where a decoded record goes: its listener decides its namespace
 * (the listener port of the datagram and the record's version pick the
 * configuration's listener), the namespace's aggregator takes it, and what
 * the aggregator flushes (or, in raw mode, the record itself) goes through
 * enrichment to every sink.  Each worker has its own routes and
 * aggregators; only the sinks are shared.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "daemon/opts.h"
#include "daemon/route.h"

static const uint8_t type_version[] = {
	[NFX_TYPE_NETFLOW1] = 1, [NFX_TYPE_NETFLOW5] = 5, [NFX_TYPE_NETFLOW6] = 6,
	[NFX_TYPE_NETFLOW7] = 7, [NFX_TYPE_NETFLOW9] = 9, [NFX_TYPE_IPFIX] = 10,
	[NFX_TYPE_SFLOW5] = NFX_SFLOW_VERSION,
};

/*
 * The namespace of a record: its listener's.  The port decides, the version
 * picks among the port's listeners; a version none of them takes (the UDP
 * path decodes what the XDP program would drop) goes with the port's first
 * listener, so that no namespace but the listeners' is ever needed.
 */
static const char *ns_name_for(const struct nfx_run *r, uint16_t port, uint8_t type)
{
	const struct nfx_config *c = r->cfg;
	const struct nfx_listener *l;

	l = nfx_config_listener(c, port, type_version[type % NFX_TYPE_MAX]);
	if (l)
		return l->namespace;
	for (size_t i = 0; i < c->nlisteners; i++)
		if (c->listeners[i].port == port)
			return c->listeners[i].namespace;
	return c->namespace;
}

/* Its route; a port no longer listened on (frames from before a reload): the first. */
static int ns_index(const struct nfx_worker *w, const char *name)
{
	for (int i = 0; i < w->nns; i++)
		if (!strcmp(w->ns[i].name, name))
			return i;
	return 0;
}

/*
 * Where every record goes once it is whole (the aggregator's flush, or the
 * decoder directly in raw mode): enrichment, then each sink in turn, with
 * the same flush time.
 */
static void route_flush(void *ctx, const struct nfx_flow *f)
{
	struct route_ns *ns = ctx;
	struct nfx_worker *w = ns->w;
	struct nfx_enriched x;
	const struct nfx_record rec = { .flow = f, .ns = ns->name, .flush_ms = w->now, .x = &x };

	nfx_enrich(&w->enrich, f, w->now, &x);
	nfx_sinks_write(&w->sinks, &rec);
}

/* The decoder's sink: a record to its namespace's aggregator, or straight out. */
static void route_emit(void *ctx, const struct nfx_flow *f)
{
	struct nfx_worker *w = ctx;
	struct nfx_run *r = w->r;
	uint16_t port = w->cur_port;
	struct route_ns *ns;

	if (!w->nns)
		return;		/* no listener left: what was in flight at the reload */
	if (port != w->route_port || f->type != w->route_type || w->route_ns < 0) {
		w->route_port = port;
		w->route_type = f->type;
		w->route_ns = ns_index(w, ns_name_for(r, port, f->type));
	}
	ns = &w->ns[w->route_ns];
	if (ns->agg) {
		nfx_enrich_prefetch(&w->enrich, f, w->now);
		nfx_agg_add(ns->agg, f, w->now);
	} else {
		route_flush(ns, f);
	}
}

/* A worker's aggregator options under @c (every namespace's are the same). */
static struct nfx_agg_opts agg_opts(const struct nfx_run *r, const struct nfx_config *c)
{
	return (struct nfx_agg_opts){
		.flush_interval_ms = c->agg_flush_interval * 1000ull,
		.flow_context_ttl_ms = c->agg_flow_context_ttl * 1000ull,
		.rollup_refresh_ms = c->agg_rollup_tracker_refresh * 1000ull,
		.rollup_threshold = c->agg_port_rollup_threshold,
		.rollup_disabled = c->agg_port_rollup_disabled,
		.max_contexts = nfx_worker_share(r, c->agg_max_contexts),
	};
}

static struct nfx_agg *agg_new(const struct nfx_worker *w, struct route_ns *ns)
{
	struct nfx_agg_opts ao = agg_opts(w->r, w->r->cfg);

	ao.overflow = ns->flush;
	return nfx_agg_new(&ao);
}

/* Namespaces with a listener: each has one aggregator per worker. */
static int ns_count(const struct nfx_config *c)
{
	int n = 0;

	for (size_t i = 0; i < c->nlisteners; i++) {
		size_t j = 0;

		while (j < i && strcmp(c->listeners[j].namespace, c->listeners[i].namespace))
			j++;
		n += j == i;
	}
	return n;
}

/* aggregator_max_memory, or half of the machine's memory (README "Aggregation"). */
static uint64_t mem_bound(const struct nfx_config *c)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	if (c->agg_max_memory)
		return c->agg_max_memory;
	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size / 2 : UINT64_MAX;
}

#define MIB(b)	((double)(b) / (1 << 20))

int nfx_routes_check(const struct nfx_run *r, const struct nfx_config *c, char *err,
		     size_t len)
{
	struct nfx_agg_opts ao = agg_opts(r, c);
	struct nfx_agg_mem m = { 0 };
	uint64_t need, bound = mem_bound(c);
	int nns = ns_count(c);

	if (c->output.raw || !nns)
		return 0;
	if (nfx_agg_mem(&ao, &m)) {
		snprintf(err, len, "aggregator options out of range");
		return -EINVAL;
	}
	need = m.total * (uint64_t)nns * (uint64_t)r->nw;
	if (need <= bound)
		return 0;
	snprintf(err, len, "aggregation would need %.1f MiB (%d namespace%s x %d worker%s x "
		 "%.1f MiB: aggregator_max_contexts %u, aggregator_port_rollup_threshold %u), "
		 "more than aggregator_max_memory %.1f MiB%s: lower aggregator_max_contexts or "
		 "the threshold, use fewer namespaces, or raise aggregator_max_memory",
		 MIB(need), nns, nns == 1 ? "" : "s", r->nw, r->nw == 1 ? "" : "s", MIB(m.total),
		 c->agg_max_contexts, c->agg_port_rollup_threshold, MIB(bound),
		 c->agg_max_memory ? "" : " (half of this machine's memory)");
	return -ENOMEM;
}

/* Everything held is written out: nothing received is lost. */
void nfx_routes_flush(struct nfx_worker *w)
{
	for (int i = 0; i < w->nns; i++)
		if (w->ns[i].agg)
			nfx_agg_flush_all(w->ns[i].agg, w->now, &w->ns[i].flush);
	nfx_ndjson_flush(w->out);
}

static void ns_free(struct nfx_worker *w)
{
	if (w->out)
		nfx_routes_flush(w);
	for (int i = 0; i < w->nns; i++) {
		nfx_agg_free(w->ns[i].agg);
		free(w->ns[i].name);
	}
	w->nns = 0;
	w->route_ns = -1;
}

static int ns_add(struct nfx_worker *w, const char *name)
{
	struct route_ns *ns;

	for (int i = 0; i < w->nns; i++)
		if (!strcmp(w->ns[i].name, name))
			return 0;
	if (w->nns == (int)(sizeof(w->ns) / sizeof(w->ns[0])))
		return -E2BIG;
	ns = &w->ns[w->nns];
	ns->name = strdup(name);
	if (!ns->name)
		return -ENOMEM;
	ns->w = w;
	ns->flush = (struct nfx_sink){ route_flush, ns };
	ns->agg = NULL;
	w->nns++;
	if (w->r->raw)
		return 0;
	ns->agg = agg_new(w, ns);
	if (!ns->agg) {
		pr_warn("cannot create the aggregator for namespace %s: %s\n", name,
			strerror(errno));
		return -errno;
	}
	return 0;
}

/* One entry per namespace a listener has, in the listeners' order. */
static int ns_build(struct nfx_worker *w)
{
	const struct nfx_run *r = w->r;
	int err = 0;

	for (size_t i = 0; !err && i < r->cfg->nlisteners; i++)
		err = ns_add(w, r->cfg->listeners[i].namespace);
	w->route_ns = -1;
	return err;
}

/* What the aggregators take: said once at start and after each rebuild. */
static void log_memory(const struct nfx_run *r)
{
	struct nfx_agg_opts ao = agg_opts(r, r->cfg);
	struct nfx_agg_mem m;
	int nns = ns_count(r->cfg);

	if (r->raw || !nns || nfx_agg_mem(&ao, &m))
		return;
	pr_info("aggregation: %d namespace%s x %d worker%s, tables %.1f MiB (%.1f MiB backed "
		"now, the rest as contexts fill) of aggregator_max_memory %.1f MiB\n", nns,
		nns == 1 ? "" : "s", r->nw, r->nw == 1 ? "" : "s",
		MIB(m.total * (uint64_t)nns * (uint64_t)r->nw),
		MIB(m.touched * (uint64_t)nns * (uint64_t)r->nw), MIB(mem_bound(r->cfg)));
}

int nfx_routes_fit(const struct nfx_run *r)
{
	char why[512];
	int err;

	err = nfx_routes_check(r, r->cfg, why, sizeof(why));
	if (err)
		pr_warn("%s%s%s\n", r->o->config_path ? r->o->config_path : "",
			r->o->config_path ? ": " : "", why);
	return err;
}

int nfx_routes_build(struct nfx_run *r)
{
	int err;

	err = nfx_routes_fit(r);
	if (err)
		return err;
	r->raw = r->cfg->output.raw;
	for (int i = 0; !err && i < r->nw; i++)
		err = ns_build(&r->w[i]);
	if (!err)
		log_memory(r);
	return err;
}

void nfx_routes_free(struct nfx_run *r)
{
	for (int i = 0; i < r->nw; i++)
		ns_free(&r->w[i]);
}

/* Allow-list for datagrams the XDP program did not check (UDP sockets). */
static int route_allow(void *ctx, const struct nfx_addr *a)
{
	const struct nfx_config *c = ((struct nfx_run *)ctx)->cfg;

	if (!c->nallow)
		return 1;
	for (size_t i = 0; i < c->nallow; i++)
		if (nfx_prefix_match(&c->allow[i], a))
			return 1;
	return 0;
}

void nfx_route_attach(struct nfx_worker *w)
{
	w->sink = (struct nfx_sink){ .emit = route_emit, .ctx = w };
	w->dec->allow = route_allow;
	w->dec->allow_ctx = w->r;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * sinks.c - the daemon's sinks and enrichment, set up from the running
 * configuration: the NDJSON output file (one writer per worker sharing it),
 * ClickHouse, the reverse DNS resolver and the mapping table; replaced on a
 * configuration change, reopened on SIGHUP, closed at exit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "daemon/route.h"
#include "daemon/sinks.h"
#include "daemon/worker.h"

/* Each worker's fan-out: its writer, then ClickHouse (shared, locks itself). */
static void set_worker_sinks(struct nfx_run *r)
{
	for (int i = 0; i < r->nw; i++) {
		struct nfx_sinks *s = &r->w[i].sinks;

		s->n = 0;
		nfx_sinks_add(s, nfx_ndjson_record, r->w[i].out);
		if (r->ch)
			nfx_sinks_add(s, nfx_ch_record, r->ch);
	}
}

/* Each worker's enricher: the shared resolver and the mapping table. */
static void set_enrichers(struct nfx_run *r)
{
	for (int i = 0; i < r->nw; i++) {
		r->w[i].enrich.rdns = r->rdns;
		r->w[i].enrich.maps = r->maps;
		r->w[i].enrich.nmaps = r->nmaps;
	}
}

/* The output file and, with worker threads, one writer per worker sharing it. */
static int open_output_file(struct nfx_run *r)
{
	const struct nfx_output_cfg *oc = &r->cfg->output;
	struct nfx_ndjson_opts no = {
		.path = oc->path,
		.flags = oc->ms_times ? NFX_NDJSON_MS_TIMES : 0,
		.rotate_bytes = oc->rotate_size,
		.rotate_secs = oc->rotate_interval,
		.gzip = oc->gzip,
		.nonblock = 1,
		.mode = oc->mode,
	};
	struct nfx_ndjson *out, *clones[MAX_WORKERS] = { NULL };
	int err;

	out = nfx_ndjson_open(&no);
	if (!out)
		goto err;
	for (int i = 0; r->threaded && i < r->nw; i++) {
		clones[i] = nfx_ndjson_clone(out);
		if (!clones[i])
			goto err_clones;
	}
	r->out = out;
	for (int i = 0; i < r->nw; i++) {
		r->w[i].out = r->threaded ? clones[i] : out;
		nfx_ndjson_set_now(r->w[i].out, r->now);
	}
	return 0;

err_clones:
	err = errno;
	for (int i = 0; i < r->nw; i++)
		nfx_ndjson_close(clones[i]);
	nfx_ndjson_close(out);
	errno = err;
err:
	pr_warn("cannot open output %s: %s\n", no.path ? no.path : "-", strerror(errno));
	return -errno;
}

int nfx_sinks_open_output(struct nfx_run *r)
{
	int err = open_output_file(r);

	if (!err)
		set_worker_sinks(r);
	return err;
}

/* Workers' writers first: they write into the file the first one owns. */
static void close_output(struct nfx_run *r, struct nfx_ndjson *out, struct nfx_ndjson **wout)
{
	for (int i = 0; i < r->nw; i++)
		if (wout[i] != out)
			nfx_ndjson_close(wout[i]);
	nfx_ndjson_close(out);
}

void nfx_sinks_close_output(struct nfx_run *r)
{
	struct nfx_ndjson *wout[MAX_WORKERS];

	if (!r->out)
		return;
	for (int i = 0; i < r->nw; i++) {
		wout[i] = r->w[i].out;
		r->w[i].out = NULL;
	}
	close_output(r, r->out, wout);
	r->out = NULL;
}

/* Reverse DNS per --rdns/--rdns-server and the configuration; off unless asked. */
int nfx_sinks_open_rdns(struct nfx_run *r)
{
	const struct nfx_config *c = r->cfg;
	const char *server = c->rdns_server;
	struct nfx_rdns_opts ro = {
		.server = server && *server ? server : NULL,
		.prefixes = (const char *const *)c->rdns_prefixes,
		.nprefixes = c->nrdns_prefixes,
		.cache_ttl_s = c->rdns_cache_ttl,
		.negative_ttl_s = c->rdns_negative_ttl,
		.error_ttl_s = c->rdns_error_ttl,
		.max_entries = c->rdns_max_entries,
		.rate_limit = c->rdns_rate_limit,
	};
	struct nfx_rdns *prev = r->rdns;

	r->rdns = NULL;
	if (c->rdns_enabled) {
		r->rdns = nfx_rdns_new(&ro);
		if (!r->rdns) {
			int err = -errno;

			pr_warn("reverse DNS (%s): %s\n", ro.server ? ro.server : "/etc/resolv.conf",
				strerror(-err));
			r->rdns = prev;		/* a reload keeps the running one */
			return err;
		}
		pr_info("reverse DNS names from %s\n", ro.server ? ro.server : "/etc/resolv.conf");
	}
	set_enrichers(r);
	nfx_rdns_free(prev);
	return 0;
}

void nfx_sinks_close_rdns(struct nfx_run *r)
{
	struct nfx_rdns *rdns = r->rdns;

	r->rdns = NULL;
	set_enrichers(r);
	nfx_rdns_free(rdns);
}

/* The configuration says "" for "not set". */
static const char *empty_null(const char *s)
{
	return s && *s ? s : NULL;
}

int nfx_sinks_open_clickhouse(struct nfx_run *r)
{
	const struct nfx_output_cfg *oc = &r->cfg->output;
	struct nfx_ch_opts co = {
		.url = empty_null(oc->ch_url),
		.table = empty_null(oc->ch_table),
		.spool_dir = empty_null(oc->ch_spool),
		.spool_max_bytes = oc->ch_spool_max,
		.batch_rows = oc->ch_batch_rows,
		.batch_ms = oc->ch_batch_ms,
	};

	if (!co.url)
		return 0;
	r->ch = nfx_ch_new(&co);
	if (!r->ch)
		return -errno;		/* logged, naming the URL or the spool */
	set_worker_sinks(r);
	pr_info("clickhouse: inserting into %s at %s%s%s\n", co.table ? co.table : "flows",
		co.url, co.spool_dir ? ", spool " : "", co.spool_dir ? co.spool_dir : "");
	return 0;
}

/* The decoders compile the mappings into plans; enrichment names what they kept. */
static void set_fieldmaps(struct nfx_run *r)
{
	for (int i = 0; i < r->nw; i++)
		nfx_decoder_set_fieldmaps(r->w[i].dec, r->maps, r->nmaps);
	set_enrichers(r);
}

/* The listeners' additional-field mappings, for the template compilers and the writers. */
void nfx_sinks_build_fieldmaps(struct nfx_run *r)
{
	const struct nfx_config *c = r->cfg;

	r->nmaps = 0;
	for (size_t i = 0; i < c->nlisteners; i++) {
		const struct nfx_listener *l = &c->listeners[i];

		for (size_t j = 0; j < l->nmapping; j++) {
			const struct nfx_mapping *m = &l->mapping[j];
			struct nfx_fieldmap *fm = &r->maps[r->nmaps];

			if (r->nmaps == NFX_FIELDMAP_MAX) {
				pr_warn("more than %d field mappings: the rest are ignored\n",
					NFX_FIELDMAP_MAX);
				goto out;
			}
			memset(fm, 0, sizeof(*fm));
			fm->port = l->port;
			fm->pen = m->enterprise;
			fm->field = m->field;
			fm->type = m->type;
			fm->little_endian = m->little_endian;
			nfx_fieldmap_builtin(m->destination, &fm->builtin4, &fm->builtin16);
			if (nfx_fieldmap_set_key(fm, m->destination)) {
				pr_warn("mapping destination '%s' too long, ignored\n", m->destination);
				continue;
			}
			r->nmaps++;
		}
	}
out:
	set_fieldmaps(r);
}

void nfx_sinks_replace_output(struct nfx_run *r)
{
	struct nfx_ndjson *prev = r->out, *prev_w[MAX_WORKERS];

	for (int i = 0; i < r->nw; i++) {
		nfx_routes_flush(&r->w[i]);
		prev_w[i] = r->w[i].out;
	}
	if (nfx_sinks_open_output(r))
		return;		/* keep writing where we did */
	close_output(r, prev, prev_w);
}

/* SIGHUP: what the workers hold goes to the old file, then the path is opened again. */
void nfx_sinks_reopen_output(struct nfx_run *r)
{
	int err;

	nfx_workers_lock(r);
	for (int i = 0; i < r->nw; i++)
		nfx_ndjson_flush(r->w[i].out);
	err = nfx_ndjson_reopen(r->out);
	nfx_workers_unlock(r);
	if (err)
		pr_warn("cannot reopen the output: %s\n", strerror(-err));
}

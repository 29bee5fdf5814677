// SPDX-License-Identifier: BSD-2-Clause
/*
 * apply.c - the configuration in force: the file with the command line's
 * values on top (control/config.h), loaded at start and again on SIGHUP or
 * when the file changes.  A change is applied as a difference, workers
 * stopped: the kernel maps reconciled make-before-break, UDP sockets opened
 * and closed, aggregators rebuilt (what they held written out first), the
 * output, resolver and mappings replaced.  The XDP program stays attached
 * and the AF_XDP sockets stay bound.  A file that does not parse leaves
 * the running configuration in force.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "control/reconcile.h"
#include "daemon/opts.h"
#include "daemon/apply.h"
#include "daemon/route.h"
#include "daemon/sinks.h"
#include "daemon/worker.h"

/*
 * Changes that rebuild the aggregators: those of namespaces no listener has
 * any more are freed, and the new ones must fit aggregator_max_memory.
 */
#define REBUILD_AGGS	(NFX_CFG_CH_AGG | NFX_CFG_CH_NAMESPACE | NFX_CFG_CH_RAW | NFX_CFG_CH_PORTS)

/* The listener ports in force (none when disabled). */
static int wanted_ports(const struct nfx_run *r, struct nfx_port_want *want)
{
	int n;

	n = nfx_config_ports(r->cfg, want, NFX_MAX_PORTS);
	if (n < 0)
		pr_warn("too many listener ports (at most %d)\n", NFX_MAX_PORTS);
	return n < 0 ? 0 : n;
}

/* A listener's bind_host, else --bind; NULL = every address (::). */
static const char *bind_of(const struct nfx_run *r, const struct nfx_port_want *w)
{
	return w->bind_host ? w->bind_host : r->o->bind_addr;
}

/* @u serves a wanted port on the address it should: kept across a reload. */
static int udp_wanted(const struct nfx_run *r, const struct nfx_port_want *want, int n,
		      const struct nfx_udp *u)
{
	for (int i = 0; i < n; i++)
		if (want[i].port == nfx_udp_port(u))
			return nfx_udp_bound_on(u, bind_of(r, &want[i]));
	return 0;
}

/* Open a UDP socket on every wanted port, close those no longer wanted. */
int nfx_apply_sync_udp(struct nfx_run *r)
{
	struct nfx_port_want want[NFX_MAX_PORTS];
	int n = wanted_ports(r, want), kept = 0, err = 0;

	if (!r->udps) {
		r->udps = calloc(NFX_MAX_PORTS, sizeof(*r->udps));
		if (!r->udps)
			return -ENOMEM;
	}
	for (int u = 0; u < r->nudp; u++) {
		if (udp_wanted(r, want, n, r->udps[u]))
			r->udps[kept++] = r->udps[u];
		else
			nfx_udp_free(r->udps[u]);
	}
	r->nudp = kept;
	for (int i = 0; i < n; i++) {
		int have = 0;

		for (int u = 0; u < r->nudp; u++)
			have |= nfx_udp_port(r->udps[u]) == want[i].port;
		if (have)
			continue;
		r->udps[r->nudp] = nfx_udp_new(bind_of(r, &want[i]), want[i].port);
		if (!r->udps[r->nudp]) {
			err = -errno;	/* logged, with what to do */
			continue;
		}
		r->nudp++;
	}
	return err;
}

void nfx_apply_templates(struct nfx_run *r)
{
	r->sweep_ms = r->cfg->template_sweep_interval * 1000ull;
	r->ttl_ms = r->cfg->template_ttl * 1000ull;
}

void nfx_apply_decoder_policy(struct nfx_run *r)
{
	const struct nfx_dec_policy pol = {
		.biflow_reverse = r->cfg->biflow_reverse,
		.renormalize = r->cfg->sampling_renormalize,
		.exporter_from_export = r->cfg->exporter_from_export,
		.rules = r->cfg->sampling,
		.nrules = (unsigned int)r->cfg->nsampling,
	};

	for (int i = 0; i < r->nw; i++)
		nfx_decoder_set_policy(r->w[i].dec, &pol);
}

int nfx_apply_maps(struct nfx_run *r, const struct nfx_config *old)
{
	struct nfx_reconcile_maps maps = {
		.ports_fd = nfx_loader_ports_fd(r->ldr),
		.allow_fd = nfx_loader_allow_fd(r->ldr),
		.cfg_fd = nfx_loader_cfg_fd(r->ldr),
	};

	return nfx_reconcile(r->cfg, old, &maps);
}

/* Apply what changed between the running configuration and @next; workers stopped. */
static void apply_config_locked(struct nfx_run *r, struct nfx_config *next)
{
	struct nfx_config *old = r->cfg;
	unsigned int diff = nfx_config_diff(old, next);
	char what[256];

	r->cfg = next;
	if (r->ldr && nfx_apply_maps(r, old))
		pr_warn("could not apply every map change; will retry on the next change\n");
	if (diff & NFX_CFG_CH_PORTS) {
		nfx_apply_sync_udp(r);
		r->pfds_stale = 1;	/* the loop makes its poll set again */
		r->w[0].pfds_stale = 1;
	}
	if (diff & REBUILD_AGGS) {
		nfx_routes_free(r);	/* writes out what the old aggregators held */
		if (nfx_routes_build(r))
			pr_warn("aggregation not fully set up after the change\n");
	}
	if (diff & NFX_CFG_CH_OUTPUT)
		nfx_sinks_replace_output(r);
	if (diff & NFX_CFG_CH_RDNS)
		nfx_sinks_open_rdns(r);	/* a new cache; on failure the running one stays */
	if (diff & NFX_CFG_CH_TEMPLATES)
		nfx_apply_templates(r);
	/*
	 * Always, not only on a decoder change: the policy points into the
	 * configuration (sampling_rates), and the old one is freed below.
	 */
	nfx_apply_decoder_policy(r);
	if (diff & NFX_CFG_CH_MAPPING) {
		/*
		 * Plans hold mapping indices: forget the templates so that the
		 * next ones are compiled with the new mappings (exporters resend
		 * them; data in between is held as data before its template).
		 */
		for (int i = 0; i < r->nw; i++)
			nfx_decoder_sweep(r->w[i].dec, r->w[i].now + 1, 0);
		nfx_sinks_build_fieldmaps(r);
	}
	if (diff & NFX_CFG_CH_RESTART)
		pr_warn("table sizes (max_*) take effect after a restart\n");
	/* logged and counted once everything is in force: operators key on the line */
	pr_info("configuration changed: %s\n", nfx_config_diff_str(diff, what, sizeof(what)));
	r->reloads[NFX_RELOAD_APPLIED]++;
	nfx_config_free(old);
}

static void apply_config(struct nfx_run *r, struct nfx_config *next)
{
	nfx_workers_lock(r);
	apply_config_locked(r, next);
	nfx_workers_unlock(r);
}

int nfx_apply_load(struct nfx_run *r)
{
	char err[512];

	if (nfx_config_build(r->o->config_path, &r->o->ov, &r->cfg, err, sizeof(err))) {
		pr_warn("%s\n", err);
		return -EINVAL;
	}
	if (!r->o->config_path)
		return 0;
	r->watch = nfx_config_watch_new(r->o->config_path);
	if (!r->watch)
		pr_warn("%s: cannot watch for changes (%s); SIGHUP still reloads it\n",
			r->o->config_path, strerror(errno));
	return 0;
}

void nfx_apply_reload(struct nfx_run *r, const char *why)
{
	struct nfx_config *next;
	unsigned int diff;
	char err[512];

	if (!r->o->config_path)
		return;
	if (nfx_config_build(r->o->config_path, &r->o->ov, &next, err, sizeof(err))) {
		pr_warn("%s (%s); the running configuration stays in force\n", err, why);
		r->reloads[NFX_RELOAD_REJECTED]++;
		return;
	}
	diff = nfx_config_diff(r->cfg, next);
	if (!diff) {
		nfx_config_free(next);
		r->reloads[NFX_RELOAD_UNCHANGED]++;
		return;
	}
	/* the old aggregators go before the new ones come: each alone must fit */
	if ((diff & REBUILD_AGGS) && nfx_routes_check(r, next, err, sizeof(err))) {
		pr_warn("%s: %s (%s); the running configuration stays in force\n",
			r->o->config_path, err, why);
		nfx_config_free(next);
		r->reloads[NFX_RELOAD_REJECTED]++;
		return;
	}
	apply_config(r, next);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * reconcile.c - applies a configuration to the running XDP program by
 * editing its maps in place (the program stays attached, the AF_XDP sockets
 * stay bound).  This file decides what changes and in which order; the map
 * reads and writes themselves are io/xdp_maps.c's.
 *
 * The maps are treated as the running state: each reconcile reads them and
 * applies the difference, so it converges after a partial failure and over
 * maps adopted from an earlier daemon.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "control/reconcile.h"
#include "io/xdp_maps.h"

/* ---- listener ports ---- */

static const char *versions_str(uint32_t v, char *buf, size_t len)
{
	if (v == NFX_VERS_ALL)
		return "all";
	if (v == NFX_VERS_LEGACY)
		return "legacy";
	if (v == NFX_VERS_MODERN)
		return "modern";
	if (v == NFX_VERS_SFLOW)
		return "sflow5";
	snprintf(buf, len, "0x%x", v);
	return buf;
}

static const struct nfx_port_want *port_find(const struct nfx_port_want *v, int n, uint16_t port)
{
	for (int i = 0; i < n; i++)
		if (v[i].port == port)
			return &v[i];
	return NULL;
}

/* One line per change; a removal paired with an addition reads as a move. */
static void ports_log(const struct nfx_port_want *have, int nhave,
		      const struct nfx_port_want *want, int nwant)
{
	uint16_t gone[NFX_MAX_PORTS * 2];
	int ngone = 0, paired = 0;
	char b1[16], b2[16];

	for (int i = 0; i < nhave; i++)
		if (!port_find(want, nwant, have[i].port))
			gone[ngone++] = have[i].port;
	for (int i = 0; i < nwant; i++) {
		const struct nfx_port_want *h = port_find(have, nhave, want[i].port);

		if (h && h->versions != want[i].versions)
			pr_info("listener %u versions %s -> %s\n", want[i].port,
				versions_str(h->versions, b1, sizeof(b1)),
				versions_str(want[i].versions, b2, sizeof(b2)));
		else if (!h && paired < ngone)
			pr_info("listener %u -> %u (%s)\n", gone[paired++], want[i].port,
				versions_str(want[i].versions, b1, sizeof(b1)));
		else if (!h)
			pr_info("listener +%u (%s)\n", want[i].port,
				versions_str(want[i].versions, b1, sizeof(b1)));
	}
	for (int i = paired; i < ngone; i++)
		pr_info("listener -%u\n", gone[i]);
}

static int reconcile_ports(int fd, const struct nfx_config *want, const struct nfx_config *running)
{
	struct nfx_port_want have[NFX_MAX_PORTS * 2], wanted[NFX_MAX_PORTS];
	int nhave, nwant, err;

	nwant = nfx_config_ports(want, wanted, NFX_MAX_PORTS);
	if (nwant < 0)
		return nwant;
	nhave = nfx_ports_read(fd, have, NFX_MAX_PORTS * 2);
	if (nhave < 0)
		return nhave;
	if (!want->enabled && (!running || running->enabled))
		pr_info("enabled: false, listener ports removed; traffic goes to the stack\n");
	else if (want->enabled && running && !running->enabled)
		pr_info("enabled: true, listener ports restored\n");
	err = nfx_ports_reconcile(fd, wanted, (size_t)nwant);
	if (err) {
		pr_warn("cannot update the port map: %s\n", strerror(-err));
		return err;
	}
	ports_log(have, nhave, wanted, nwant);
	return 0;
}

/* ---- allow-list ---- */

struct allow_set {
	struct nfx_prefix *v;
	size_t n;
};

static int allow_cmp_q(const void *a, const void *b)
{
	return nfx_allow_cmp(a, b);
}

/* The trie as it is now, sorted like the configuration's list. */
static int allow_read(int fd, struct allow_set *have)
{
	int err = nfx_allow_read(fd, &have->v, &have->n);

	if (!err)
		qsort(have->v, have->n, sizeof(*have->v), allow_cmp_q);
	return err;
}

static void log_append(char *log, size_t len, char sign, const struct nfx_prefix *e)
{
	char buf[NFX_ADDR_STRLEN + 8];
	size_t used = strlen(log);

	/* a log line, not a dump: the count at the end says the rest */
	if (used + sizeof(buf) + 8 >= len) {
		if (used < 4 || strcmp(log + used - 4, " ..."))
			snprintf(log + used, len - used, " ...");
		return;
	}
	snprintf(log + used, len - used, " %c%s", sign, nfx_allow_str(e, buf, sizeof(buf)));
}

/*
 * One walk over both sorted sets: @op is applied to each entry of @to that
 * @from lacks, and logged with @sign, stopping at the first error.
 */
typedef int (*allow_op)(int fd, const struct nfx_prefix *e);

static int allow_walk(int fd, const struct allow_set *from, const struct allow_set *to,
		      allow_op op, char sign, char *log, size_t len)
{
	size_t i = 0, j = 0;
	int err;

	while (j < to->n) {
		int c = i < from->n ? nfx_allow_cmp(&from->v[i], &to->v[j]) : 1;

		if (c < 0) {
			i++;
			continue;
		}
		if (c > 0) {
			err = op(fd, &to->v[j]);
			if (err)
				return err;
			log_append(log, len, sign, &to->v[j]);
		}
		if (!c)
			i++;
		j++;
	}
	return 0;
}

/*
 * Order is what keeps wanted exporters flowing: insert, then enable, then
 * delete; or, going empty, disable first and delete after.
 */
static int reconcile_allow(const struct nfx_reconcile_maps *m, const struct nfx_config *want)
{
	struct allow_set have = { 0 }, wanted = { .v = want->allow, .n = want->nallow };
	char log[512] = "";
	int err, flipped = 0;

	err = allow_read(m->allow_fd, &have);
	if (err)
		return err;
	err = allow_walk(m->allow_fd, &have, &wanted, nfx_allow_add, '+', log, sizeof(log));
	if (!err && m->cfg_fd >= 0)
		err = flipped = nfx_cfg_set_allow(m->cfg_fd, wanted.n > 0);
	if (err > 0)
		err = 0;
	if (!err)
		err = allow_walk(m->allow_fd, &wanted, &have, nfx_allow_del, '-', log, sizeof(log));
	if (*log)
		pr_info("allow-list%s (%zu entr%s)\n", log, wanted.n, wanted.n == 1 ? "y" : "ies");
	if (flipped > 0)
		pr_info("allow-list %s\n", wanted.n ? "enforced" : "off: every exporter accepted");
	if (err)
		pr_warn("cannot update the allow-list: %s\n", strerror(-err));
	free(have.v);
	return err;
}

/* ---- the whole thing ---- */

int nfx_reconcile(const struct nfx_config *want, const struct nfx_config *running,
		  const struct nfx_reconcile_maps *maps)
{
	int err;

	if (maps->ports_fd >= 0 && (err = reconcile_ports(maps->ports_fd, want, running)))
		return err;
	if (maps->allow_fd >= 0) {
		err = reconcile_allow(maps, want);
		if (err)
			return err;
	} else if (want->nallow) {
		pr_warn("exporter_allowlist: the XDP program has no %s map, list not enforced\n",
			nfx_textify(NFX_MAP_ALLOW));
	}
	/* the rest is the daemon's to apply, and it logs the whole change */
	return 0;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * reconcile.c - applies a configuration to the running XDP program by
 * editing its maps in place (the program stays attached, the AF_XDP sockets
 * stay bound).
 *
 * The maps are treated as the running state: each reconcile reads them and
 * applies the difference, so it converges after a partial failure and over
 * maps adopted from an earlier daemon.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "base/log.h"
#include "control/reconcile.h"

/* ---- listener ports ---- */

static const char *versions_str(uint32_t v, char *buf, size_t len)
{
	if (v == NFX_VERS_ALL)
		return "all";
	if (v == NFX_VERS_LEGACY)
		return "legacy";
	if (v == NFX_VERS_MODERN)
		return "modern";
	snprintf(buf, len, "0x%x", v);
	return buf;
}

/* The port map as it is now, sorted; -errno or the entry count. */
static int ports_read(int fd, struct nfx_port_want *have, size_t max)
{
	__u16 key, *prev = NULL;
	size_t n = 0;

	while (!bpf_map_get_next_key(fd, prev, &key)) {
		struct nfx_port val;

		if (n == max)
			return -E2BIG;
		/* deleted under us by someone else: skip it */
		if (!bpf_map_lookup_elem(fd, &key, &val)) {
			have[n].port = key;
			have[n++].versions = val.versions;
		}
		prev = &key;
	}
	if (errno != ENOENT)
		return -errno;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && have[j - 1].port > have[j].port; j--) {
			struct nfx_port_want t = have[j];

			have[j] = have[j - 1];
			have[j - 1] = t;
		}
	return (int)n;
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
	nhave = ports_read(fd, have, NFX_MAX_PORTS * 2);
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

static struct nfx_lpm_key lpm_key(const struct nfx_prefix *a)
{
	struct nfx_lpm_key k = { .prefixlen = a->prefixlen };

	memcpy(k.addr, a->addr.b, sizeof(k.addr));
	return k;
}

static int allow_cmp_q(const void *a, const void *b)
{
	return nfx_allow_cmp(a, b);
}

/* The trie as it is now, sorted like the configuration's list. */
static int allow_read(int fd, struct allow_set *have)
{
	struct nfx_lpm_key key, prev;
	size_t cap = 64;
	bool first = true;
	int err = 0;

	have->n = 0;
	have->v = malloc(cap * sizeof(*have->v));
	if (!have->v)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, first ? NULL : &prev, &key)) {
		if (have->n == cap) {
			void *p;

			if (cap > NFX_MAX_ALLOW * 2) {
				err = -E2BIG;
				break;
			}
			cap *= 2;
			p = realloc(have->v, cap * sizeof(*have->v));
			if (!p) {
				err = -ENOMEM;
				break;
			}
			have->v = p;
		}
		have->v[have->n].prefixlen = (uint8_t)key.prefixlen;
		memcpy(have->v[have->n++].addr.b, key.addr, sizeof(key.addr));
		prev = key;
		first = false;
	}
	if (!err && errno != ENOENT)
		err = -errno;
	if (err) {
		free(have->v);
		have->v = NULL;
		return err;
	}
	qsort(have->v, have->n, sizeof(*have->v), allow_cmp_q);
	return 0;
}

/*
 * One walk over both sorted sets: @fn is called for each entry only in @a
 * (with @add true) or only in @b (@add false), stopping at the first error.
 */
typedef int (*allow_fn)(int fd, const struct nfx_prefix *e, char *log, size_t len);

static int allow_walk(int fd, const struct allow_set *from, const struct allow_set *to,
		      allow_fn fn, char *log, size_t len)
{
	size_t i = 0, j = 0;
	int err;

	/* entries of @to that @from lacks */
	while (j < to->n) {
		int c = i < from->n ? nfx_allow_cmp(&from->v[i], &to->v[j]) : 1;

		if (c < 0) {
			i++;
			continue;
		}
		if (c > 0 && (err = fn(fd, &to->v[j], log, len)))
			return err;
		if (!c)
			i++;
		j++;
	}
	return 0;
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

static int allow_add(int fd, const struct nfx_prefix *e, char *log, size_t len)
{
	struct nfx_lpm_key k = lpm_key(e);
	__u8 one = 1;

	if (bpf_map_update_elem(fd, &k, &one, BPF_ANY))
		return -errno;
	log_append(log, len, '+', e);
	return 0;
}

static int allow_del(int fd, const struct nfx_prefix *e, char *log, size_t len)
{
	struct nfx_lpm_key k = lpm_key(e);

	if (bpf_map_delete_elem(fd, &k) && errno != ENOENT)
		return -errno;
	log_append(log, len, '-', e);
	return 0;
}

/* Sets nfx_cfg.allow_enabled; 1 when it changed, 0 when it was already so, -errno. */
static int cfg_set_allow(int fd, int on)
{
	struct nfx_cfg cfg = { 0 };
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, &cfg))
		return -errno;
	if (!!cfg.allow_enabled == !!on)
		return 0;
	cfg.allow_enabled = on ? 1 : 0;
	if (bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY))
		return -errno;
	return 1;
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
	err = allow_walk(m->allow_fd, &have, &wanted, allow_add, log, sizeof(log));
	if (!err && m->cfg_fd >= 0)
		err = flipped = cfg_set_allow(m->cfg_fd, wanted.n > 0);
	if (err > 0)
		err = 0;
	if (!err)
		err = allow_walk(m->allow_fd, &wanted, &have, allow_del, log, sizeof(log));
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

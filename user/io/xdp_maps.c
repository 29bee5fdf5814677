// SPDX-License-Identifier: BSD-2-Clause
/*
 * xdp_maps.c - the map I/O of the XDP program: what the daemon, reconcile
 * and the subcommands read from and write into its maps.  No policy here:
 * the order of changes that keeps traffic flowing is reconcile's, the
 * printing of counters the caller's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "base/log.h"
#include "io/xdp_maps.h"

/* ---- listener ports ---- */

int nfx_port_parse(const char *text, struct nfx_port_want *out)
{
	char *end;
	unsigned long port;
	uint32_t vers;

	errno = 0;
	port = strtoul(text, &end, 10);
	if (errno || end == text || port == 0 || port > 65535)
		return -EINVAL;
	if (!*end)
		vers = port == 4739 ? NFX_VERS_MODERN : port == 6343 ? NFX_VERS_SFLOW : NFX_VERS_ALL;
	else if (!strcmp(end, "/sflow"))
		vers = NFX_VERS_SFLOW;
	else if (!strcmp(end, "/legacy"))
		vers = NFX_VERS_LEGACY;
	else if (!strcmp(end, "/modern"))
		vers = NFX_VERS_MODERN;
	else if (!strcmp(end, "/all"))
		vers = NFX_VERS_ALL;
	else
		return -EINVAL;
	out->port = (uint16_t)port;
	out->versions = vers;
	return 0;
}

static const struct nfx_port_want *want_find(const struct nfx_port_want *want, size_t n,
					     __u16 port)
{
	for (size_t i = 0; i < n; i++)
		if (want[i].port == port)
			return &want[i];
	return NULL;
}

int nfx_ports_reconcile(int fd, const struct nfx_port_want *want, size_t n)
{
	__u16 have[NFX_MAX_PORTS * 2], key, *prev = NULL;
	size_t nhave = 0;
	struct nfx_port cur;

	/* collect first: deleting while walking a hash restarts the walk */
	while (nhave < sizeof(have) / sizeof(have[0]) && !bpf_map_get_next_key(fd, prev, &key)) {
		have[nhave] = key;
		prev = &have[nhave++];
	}
	for (size_t i = 0; i < nhave; i++) {
		if (want_find(want, n, have[i]))
			continue;
		if (bpf_map_delete_elem(fd, &have[i]) && errno != ENOENT)
			return -errno;
		pr_debug("port %u removed\n", have[i]);
	}
	for (size_t i = 0; i < n; i++) {
		struct nfx_port val = { .versions = want[i].versions };

		key = want[i].port;
		if (!bpf_map_lookup_elem(fd, &key, &cur) && !memcmp(&cur, &val, sizeof(val)))
			continue;
		if (bpf_map_update_elem(fd, &key, &val, BPF_ANY))
			return -errno;
		pr_debug("port %u accepts version mask 0x%x\n", key, val.versions);
	}
	return 0;
}

int nfx_ports_read(int fd, struct nfx_port_want *have, size_t max)
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

/* ---- exporter allow-list ---- */

static struct nfx_lpm_key lpm_key(const struct nfx_prefix *p)
{
	struct nfx_lpm_key k = { .prefixlen = p->prefixlen };

	memcpy(k.addr, p->addr.b, sizeof(k.addr));
	return k;
}

int nfx_allow_read(int fd, struct nfx_prefix **out, size_t *n)
{
	struct nfx_lpm_key key, prev;
	struct nfx_prefix *v;
	size_t cap = 64;
	int first = 1, err = 0;

	*n = 0;
	*out = v = malloc(cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, first ? NULL : &prev, &key)) {
		if (*n == cap) {
			if (cap > NFX_MAX_ALLOW * 2) {
				err = -E2BIG;
				break;
			}
			cap *= 2;
			v = realloc(*out, cap * sizeof(*v));
			if (!v) {
				err = -ENOMEM;
				break;
			}
			*out = v;
		}
		v[*n].prefixlen = (uint8_t)key.prefixlen;
		memcpy(v[(*n)++].addr.b, key.addr, sizeof(key.addr));
		prev = key;
		first = 0;
	}
	if (!err && errno != ENOENT)
		err = -errno;
	if (err) {
		free(*out);
		*out = NULL;
	}
	return err;
}

int nfx_allow_add(int fd, const struct nfx_prefix *p)
{
	struct nfx_lpm_key k = lpm_key(p);
	__u8 one = 1;

	return bpf_map_update_elem(fd, &k, &one, BPF_ANY) ? -errno : 0;
}

int nfx_allow_del(int fd, const struct nfx_prefix *p)
{
	struct nfx_lpm_key k = lpm_key(p);

	return bpf_map_delete_elem(fd, &k) && errno != ENOENT ? -errno : 0;
}

int nfx_cfg_set_allow(int fd, int on)
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

/* ---- counters ---- */

const char *const nfx_ctr_names[NFX_CTR_NUM] = {
#define X(name, help) #name,
	NFX_CTR_FIELDS(X)
#undef X
};

#define CTR_INDEX(field) (offsetof(struct nfx_ctr, field) / sizeof(__u64))

static void ctr_add(struct nfx_ctr *sum, const struct nfx_ctr *c)
{
	for (unsigned int i = 0; i < NFX_CTR_NUM; i++)
		((__u64 *)sum)[i] += nfx_ctr_get(c, i);
}

int nfx_stats_check(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_PERCPU_ARRAY || info.max_entries != 1 ||
	    info.value_size != sizeof(struct nfx_slots))
		return -EPROTO;
	return 0;
}

int nfx_stats_read(int fd, struct nfx_ctr *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct nfx_slots *vals;
	__u32 zero = 0;
	int err;

	if (ncpu < 0)
		return ncpu;
	/* a map of another build would be read, wrongly, without complaint */
	err = nfx_stats_check(fd);
	if (err)
		return err;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	memset(out, 0, sizeof(*out) * NFX_SLOT_MAX);
	if (bpf_map_lookup_elem(fd, &zero, vals))
		err = -errno;
	for (int c = 0; !err && c < ncpu; c++)
		for (int slot = 0; slot < NFX_SLOT_MAX; slot++)
			ctr_add(&out[slot], (const struct nfx_ctr *)&vals[c] + slot);
	free(vals);
	return err;
}

void nfx_ctr_summary(const struct nfx_ctr *c, char *buf, size_t size)
{
	struct nfx_ctr t = { 0 };
	size_t off = 0;

	for (int s = 0; s < NFX_SLOT_MAX; s++)
		ctr_add(&t, &c[s]);
	if (size)
		*buf = '\0';
	for (unsigned int i = 0; i < NFX_CTR_NUM && off < size; i++) {
		const char *name = nfx_ctr_names[i];

		/*
		 * The line as it always was: no byte count, and "short", the
		 * name short_pkt would have if short were not a C keyword.
		 */
		if (i == CTR_INDEX(bytes))
			continue;
		if (i == CTR_INDEX(short_pkt))
			name = "short";
		off += (size_t)snprintf(buf + off, size - off, "%s%s=%llu", off ? " " : "", name,
					(unsigned long long)nfx_ctr_get(&t, i));
	}
}

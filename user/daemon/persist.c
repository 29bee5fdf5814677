// SPDX-License-Identifier: BSD-2-Clause
/*
 * persist.c - the daemon's state file (persist.h).  The workers' decoders
 * are copied into one image under their locks (a few ms for thousands of
 * templates); the disk write, with its fsync, happens after the locks are
 * given back, so the rings keep being read meanwhile.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "control/state_file.h"
#include "daemon/persist.h"
#include "daemon/worker.h"
#include "decode/dec_state.h"

/* The directory the configuration asks for: NULL = none; *explicit set when it named one. */
static const char *state_dir(const struct nfx_run *r, int *explicit)
{
	const char *d = r->cfg->state_dir;

	*explicit = d && *d;
	if (*explicit)
		return strcmp(d, "none") ? d : NULL;
	return r->o->udp_only ? NULL : NFX_STATE_DIR;
}

static uint16_t first_udp_port(const struct nfx_run *r)
{
	return r->nudp ? nfx_udp_port(r->udps[0]) : 0;
}

int nfx_persist_prepare(struct nfx_run *r)
{
	const char *dir;
	int explicit, rc;

	r->state_path[0] = '\0';
	dir = state_dir(r, &explicit);
	if (!dir)
		return 0;
	rc = nfx_state_dir_prepare(dir);
	if (rc < 0) {
		if (explicit)
			return rc;
		pr_info("no state file: templates will not survive a restart\n");
		return 0;
	}
	r->state_dir_made = rc;
	nfx_state_file_path(r->state_path, sizeof(r->state_path), dir, r->o->ifname,
			    first_udp_port(r));
	return 0;
}

int nfx_persist_check(struct nfx_run *r)
{
	char dir[PATH_MAX];
	char *slash;
	int explicit, err;

	if (!r->state_path[0])
		return 0;
	snprintf(dir, sizeof(dir), "%s", r->state_path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	err = nfx_state_dir_writable(dir);
	if (!err)
		return 0;
	state_dir(r, &explicit);
	if (explicit)
		return err;
	pr_info("no state file: templates will not survive a restart\n");
	r->state_path[0] = '\0';
	return 0;
}

void nfx_persist_load(struct nfx_run *r)
{
	struct nfx_state_loaded sum = { 0 }, got;
	struct nfx_decoder *d0 = r->w[0].dec;
	const char *why = NULL;
	uint8_t *img;
	size_t len;
	int err;

	r->next_state_ms = r->now + NFX_STATE_INTERVAL_MS;
	if (!r->state_path[0])
		return;
	err = nfx_state_file_read(r->state_path, &img, &len, &why);
	if (err == -ENOENT)
		return;
	if (!err)
		err = nfx_state_check(img, len, &why);
	if (err) {
		pr_warn("state file %s refused, starting without it: %s\n", r->state_path, why);
		d0->stats.state_files_refused++;
		free(img);
		return;
	}
	for (int i = 0; i < r->nw; i++) {
		if (nfx_state_load(r->w[i].dec, img, len, r->now, r->ttl_ms, &got, &why))
			continue;
		sum.templates += got.templates;
		sum.exporters += got.exporters;
		sum.sessions += got.sessions;
		sum.expired += got.expired;
		sum.refused += got.refused;
	}
	free(img);
	pr_info("state file %s: %u template(s), %u exporter state(s), %u session(s) taken, "
		"%u expired, %u refused\n", r->state_path, sum.templates / (unsigned int)r->nw,
		sum.exporters / (unsigned int)r->nw, sum.sessions / (unsigned int)r->nw,
		sum.expired / (unsigned int)r->nw, sum.refused);
}

/* The state counters live in worker 0's decoder, as the main thread may touch it. */
static void count_write(struct nfx_run *r, int err)
{
	struct nfx_decoder *d0 = r->w[0].dec;

	if (r->threaded)
		pthread_mutex_lock(&r->w[0].lock);
	if (err)
		d0->stats.state_write_errors++;
	else
		d0->stats.state_writes++;
	if (r->threaded)
		pthread_mutex_unlock(&r->w[0].lock);
}

void nfx_persist_save(struct nfx_run *r, int sync)
{
	struct nfx_decoder *decs[MAX_WORKERS];
	struct nfx_state_buf b;
	int err;

	if (!r->state_path[0])
		return;
	for (int i = 0; i < r->nw; i++)
		decs[i] = r->w[i].dec;
	nfx_workers_lock(r);
	err = nfx_state_write(&b, decs, r->nw, nfx_now_ms());
	nfx_workers_unlock(r);
	if (!err)
		err = nfx_state_file_write(r->state_path, b.p, b.len, sync);
	if (!err && b.left_out)
		pr_warn("state file %s: %llu entries left out (larger than %u bytes)\n",
			r->state_path, (unsigned long long)b.left_out, NFX_STATE_MAX_BYTES);
	nfx_state_buf_free(&b);
	count_write(r, err);
	/* a failing disk is said once, and once more when it works again */
	if (err && !r->state_failing)
		pr_warn("state file %s not written: %s\n", r->state_path, strerror(-err));
	else if (!err && r->state_failing)
		pr_info("state file %s written again\n", r->state_path);
	r->state_failing = !!err;
}

void nfx_persist_tick(struct nfx_run *r, uint64_t now)
{
	if (!r->state_path[0] || now < r->next_state_ms)
		return;
	r->next_state_ms = now + NFX_STATE_INTERVAL_MS;
	nfx_persist_save(r, 1);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * privs.c - least privilege after setup (design §8).  Loading and attaching
 * the program, AF_XDP and binding the ports take capabilities; reading the
 * sockets, writing map entries through the fds already held, writing files
 * and talking HTTP take none.  So once the inputs are open the daemon keeps
 * CAP_NET_ADMIN only to detach its own program at exit, and
 * CAP_NET_BIND_SERVICE only when its configuration has ports below 1024;
 * with a user configured, it also stops being root.
 */
#include <errno.h>
#include <stdint.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cap-ng.h>

#include "base/log.h"
#include "control/state_file.h"
#include "control/stats_file.h"
#include "daemon/privs.h"
#include "io/loader.h"

struct target {
	uid_t uid;
	gid_t gid;
	int change_id;		/* a user was configured */
};

/* Ports below 1024, now or after a reload that moves among them. */
static int wants_low_ports(const struct nfx_run *r)
{
	const char *m = r->o->metrics_listen, *colon;

	for (size_t i = 0; i < r->cfg->nlisteners; i++)
		if (r->cfg->listeners[i].port < 1024)
			return 1;
	if (!m)
		return 0;
	colon = strrchr(m, ':');
	return atoi(colon ? colon + 1 : m) < 1024;
}

static int lookup_user(const char *name, struct target *t)
{
	struct passwd *pw;

	t->change_id = name && *name;
	if (!t->change_id)
		return 0;
	errno = 0;
	pw = getpwnam(name);
	if (!pw) {
		if (errno)
			pr_warn("user %s: %s\n", name, strerror(errno));
		else
			pr_warn("user %s: no such user: create it (adduser --system --group %s) or "
				"name another with --user\n", name, name);
		return errno ? -errno : -ENOENT;
	}
	if (!pw->pw_uid) {
		pr_warn("user %s is root: give an unprivileged user (the package creates nfxdp)\n",
			name);
		return -EINVAL;
	}
	t->uid = pw->pw_uid;
	t->gid = pw->pw_gid;
	return 0;
}

/*
 * The state file's directory into @dir, if it is nfxdp's by convention:
 * made by this process, or the default one.  An existing directory the
 * operator named is theirs to grant (it could be /tmp).
 */
static int state_dir_ours(const struct nfx_run *r, char *dir, size_t size)
{
	char *slash;

	snprintf(dir, size, "%s", r->state_path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	return r->state_dir_made || !strcmp(dir, NFX_STATE_DIR);
}

/*
 * What the daemon made as root and writes to or removes later must belong
 * to the new user: the stats file's directory (rewritten every second),
 * the state file's (rewritten every few seconds) and the pin directory
 * (emptied at exit).  Only directories nfxdp owns by
 * convention; output paths are the operator's to grant.
 */
static int hand_over_dirs(const struct nfx_run *r, const struct target *t)
{
	const char *pins = r->ldr ? nfx_loader_created_pin_dir(r->ldr) : NULL;
	char dir[PATH_MAX];
	char *slash;

	if (r->stats_path[0] && !r->o->stats_file) {
		snprintf(dir, sizeof(dir), "%s", r->stats_path);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		if (chown(dir, t->uid, t->gid)) {
			pr_warn("cannot give %s to uid %u: %s\n", dir, t->uid, strerror(errno));
			return -errno;
		}
	}
	if (r->state_path[0] && state_dir_ours(r, dir, sizeof(dir)) &&
	    chown(dir, t->uid, t->gid)) {
		pr_warn("cannot give %s to uid %u: %s\n", dir, t->uid, strerror(errno));
		return -errno;
	}
	if (pins && chown(pins, t->uid, t->gid)) {
		pr_warn("cannot give %s to uid %u: %s\n", pins, t->uid, strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * The capabilities left after setup, of those the process has (the state
 * libcap-ng read last), as a mask of 1 << CAP_*, and their names.
 */
static uint64_t caps_to_keep(const struct nfx_run *r, char *names, size_t size)
{
	unsigned int want[2], n = 0;
	uint64_t mask = 0;
	size_t len = 0;

	/* to detach our own program at exit (design §8), or the one we take over */
	if (r->ldr && (nfx_loader_attached(r->ldr) || r->ho_owner))
		want[n++] = CAP_NET_ADMIN;
	if (wants_low_ports(r))
		want[n++] = CAP_NET_BIND_SERVICE;
	names[0] = '\0';
	for (unsigned int i = 0; i < n; i++) {
		if (!capng_have_capability(CAPNG_PERMITTED, want[i]))
			continue;
		mask |= 1ull << want[i];
		len += (size_t)snprintf(names + len, len < size ? size - len : 0, "%scap_%s",
					len ? "," : "", capng_capability_to_name(want[i]));
	}
	if (!mask)
		snprintf(names, size, "none");
	return mask;
}

static int apply(const struct target *t, int bounding)
{
	int rc;

	if (t->change_id) {
		rc = capng_change_id((int)t->uid, (int)t->gid,
				     CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING | CAPNG_CLEAR_AMBIENT);
		if (rc) {
			pr_warn("cannot switch to uid %u (libcap-ng error %d): --user needs root\n",
				t->uid, rc);
			return -EPERM;
		}
		return 0;
	}
	rc = capng_apply(bounding ? CAPNG_SELECT_ALL : CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT);
	if (rc) {
		pr_warn("cannot drop capabilities (libcap-ng error %d)\n", rc);
		return -EPERM;
	}
	return 0;
}

int nfx_privs_drop(struct nfx_run *r)
{
	struct target t = { 0 };
	char kept[128];
	uint64_t mask;
	int bounding, err;

	err = lookup_user(r->cfg->user, &t);
	if (!err && t.change_id)
		err = hand_over_dirs(r, &t);
	if (err)
		return err;
	if (capng_get_caps_process()) {
		pr_warn("cannot read the process's capabilities\n");
		return -EPERM;
	}
	mask = caps_to_keep(r, kept, sizeof(kept));
	/* lowering the bounding set takes CAP_SETPCAP, which a service may lack */
	bounding = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	capng_clear(CAPNG_SELECT_ALL);
	for (unsigned int cap = 0; cap < 64; cap++)
		if (mask & (1ull << cap))
			capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, cap);
	err = apply(&t, bounding);
	if (err)
		return err;
	/* no exec may give any of it back (set-uid binaries, file capabilities) */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		pr_warn("PR_SET_NO_NEW_PRIVS: %s\n", strerror(errno));
	if (t.change_id)
		pr_info("running as %s (uid %u), capabilities kept: %s\n", r->cfg->user, t.uid,
			kept);
	else
		pr_info("capabilities kept after setup: %s\n", kept);
	return 0;
}

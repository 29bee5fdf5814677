// SPDX-License-Identifier: BSD-2-Clause
/*
 * loader.c - the kernel-facing life cycle of the XDP program: attaches the
 * embedded program with libxdp (or adopts one attached by `ip link`), pins
 * and unpins its maps, finds them again for `nfxdp stats`, and detaches.
 * What goes into the maps is xdp_maps.c's.
 *
 * Every failure a user can cause (not root, bpffs missing, interface
 * missing, someone else's program on the interface) is logged with the
 * command that fixes it; callers only pass the -errno up.
 */
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <cap-ng.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "base/log.h"
#include "io/loader.h"
#include "io/xdp_maps.h"
#include "nfx_xdp.skel.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * The maps, and the program itself: a daemon that dropped CAP_SYS_ADMIN (the
 * service runs without it) cannot find the attached program by id, but it
 * can open the pin and compare ids (a successor, a restart after a crash).
 */
enum { PIN_STATS, PIN_PORTS, PIN_XSKS, PIN_ALLOW, PIN_CFG, PIN_PROG, PIN_MAX };

static const char *const pin_names[PIN_MAX] = {
	[PIN_STATS] = nfx_textify(NFX_MAP_STATS),
	[PIN_PORTS] = nfx_textify(NFX_MAP_PORTS),
	[PIN_XSKS] = nfx_textify(NFX_MAP_XSKS),
	[PIN_ALLOW] = nfx_textify(NFX_MAP_ALLOW),
	[PIN_CFG] = nfx_textify(NFX_MAP_CFG),
	[PIN_PROG] = "nfx_prog",
};

/* Where `ip link` (iproute2 + libbpf) and we pin, in the order we look. */
static const char *const pin_search[] = {
	NFX_PIN_DIR_DEFAULT,
	NFX_BPFFS "/tc/globals",
	NFX_BPFFS "/xdp/globals",
};

struct nfx_loader {
	struct nfx_xdp_bpf *skel;
	struct xdp_program *prog;
	int ifindex;
	char ifname[IF_NAMESIZE];
	char pin_dir[PATH_MAX];
	enum xdp_attach_mode mode;
	int attached;			/* we attached the program */
	int keep;			/* leave it attached and pinned */
	int fds[PIN_MAX];		/* adopted maps: our own fds, else -1 */
	int prog_fd;			/* the adopted program, from its pin, or -1 */
	unsigned int created_pins;	/* bit per PIN_*: pinned by us */
	int created_dir;
	int pinless;			/* no bpffs: nothing pinned, maps by id */
};

static int path_join(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int is_bpffs(const char *path)
{
	struct statfs st;

	if (statfs(path, &st))
		return -errno;
	return st.f_type == BPF_FS_MAGIC ? 0 : -ENOENT;
}

/*
 * What loading and attaching take (root has them all): CAP_BPF to load,
 * CAP_PERFMON for the pointer arithmetic the verifier refuses to others,
 * CAP_NET_ADMIN to attach and fill the XSKMAP, CAP_NET_RAW for AF_XDP.
 */
#define NFX_SETUP_CAPS(X)	\
	X(CAP_BPF)		\
	X(CAP_PERFMON)		\
	X(CAP_NET_ADMIN)	\
	X(CAP_NET_RAW)

int nfx_loader_check_caps(void)
{
	char missing[128] = "";
	size_t off = 0;

	if (capng_get_caps_process()) {
		pr_warn("cannot read the process's capabilities\n");
		return -EPERM;
	}
#define CHECK_CAP_(cap)									\
	if (!capng_have_capability(CAPNG_EFFECTIVE, cap) && off < sizeof(missing))	\
		off += snprintf(missing + off, sizeof(missing) - off, "%s" #cap, off ? " " : "");
	NFX_SETUP_CAPS(CHECK_CAP_)
#undef CHECK_CAP_
	if (!off)
		return 0;
	pr_warn("XDP needs CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_NET_RAW (missing: %s): "
		"run as root or grant them (systemd AmbientCapabilities=, setpriv --ambient-caps), "
		"or use 'nfxdp run --udp' for plain UDP sockets\n", missing);
	return -EPERM;
}

int nfx_loader_check_env(void)
{
	int err = nfx_loader_check_caps();

	if (err)
		return err;
	err = is_bpffs(NFX_BPFFS);
	if (err) {
		pr_warn("no BPF filesystem on %s: mount it with 'mount -t bpf bpf %s'\n",
			NFX_BPFFS, NFX_BPFFS);
		return -ENOENT;
	}
	return 0;
}

/* The pin dir itself or, before we create it, its parent must be bpffs. */
static int check_pin_dir(const char *dir)
{
	char parent[PATH_MAX];
	char *slash;

	if (!is_bpffs(dir))
		return 0;
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (access(dir, F_OK) && !is_bpffs(parent))
		return 0;
	pr_warn("pin directory %s is not on a BPF filesystem: use a directory under %s "
		"(mount -t bpf bpf %s)\n", dir, NFX_BPFFS, NFX_BPFFS);
	return -ENOENT;
}

static int lookup_ifindex(const char *ifname)
{
	int ifindex;

	if (!ifname || !*ifname) {
		pr_warn("no interface given: use -i IFNAME\n");
		return -EINVAL;
	}
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		pr_warn("interface %s not found: check 'ip link show' (and the network "
			"namespace you run in)\n", ifname);
		return -ENODEV;
	}
	return ifindex;
}

/*
 * Before anything is opened.  XDP attaches to a down interface and AF_XDP
 * binds to it, but nothing arrives until someone notices: say so at once.
 */
int nfx_loader_check_if(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int fd, err, ifindex = lookup_ifindex(ifname);

	if (ifindex < 0)
		return ifindex;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	err = ioctl(fd, SIOCGIFFLAGS, &ifr) ? -errno : 0;
	close(fd);
	if (err) {
		pr_warn("%s: cannot read its flags: %s\n", ifname, strerror(-err));
		return err;
	}
	if (!(ifr.ifr_flags & IFF_UP)) {
		pr_warn("interface %s is down: bring it up first (ip link set dev %s up)\n",
			ifname, ifname);
		return -ENETDOWN;
	}
	return 0;
}

/* The program attached to @ifindex in any mode, 0 when none. */
static int attached_prog(int ifindex, __u32 *id, __u8 *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err;

	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	*id = q.prog_id ? q.prog_id : q.drv_prog_id ? q.drv_prog_id :
	      q.skb_prog_id ? q.skb_prog_id : q.hw_prog_id;
	*mode = q.attach_mode;
	return 0;
}

static int prog_name_by_id(__u32 id, char *name, size_t size)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd, err = 0;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	else
		snprintf(name, size, "%s", info.name);
	close(fd);
	return err;
}

static const char *xdp_mode_str(__u8 mode)
{
	switch (mode) {
	case XDP_ATTACHED_DRV: return "native";
	case XDP_ATTACHED_SKB: return "skb";
	case XDP_ATTACHED_HW: return "hw";
	case XDP_ATTACHED_MULTI: return "multi";
	default: return "none";
	}
}

/*
 * Describes what is attached to @ifindex: 1 when it is our program
 * (alone or inside a libxdp dispatcher), 0 when foreign, -errno.
 */
static int describe_attached(int ifindex, char *desc, size_t size)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	int ours = 0;
	long err;

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = libxdp_get_error(mp);
	if (err || !mp)
		return err ? (int)err : -ENOENT;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		snprintf(desc, size, "program '%s' (id %u)", xdp_program__name(p),
			 xdp_program__id(p));
		ours = !strcmp(xdp_program__name(p), NFX_PROG_NAME);
	} else {
		size_t off = snprintf(desc, size, "libxdp dispatcher with %d program(s):",
				      xdp_multiprog__program_count(mp));

		for (p = xdp_multiprog__next_prog(NULL, mp); p && off < size;
		     p = xdp_multiprog__next_prog(p, mp)) {
			off += snprintf(desc + off, size - off, " '%s' (id %u)",
					xdp_program__name(p), xdp_program__id(p));
			ours |= !strcmp(xdp_program__name(p), NFX_PROG_NAME);
		}
	}
	xdp_multiprog__close(mp);
	return ours;
}

static int detach_any(int ifindex, __u8 mode)
{
	struct xdp_multiprog *mp;
	__u32 flags;
	int err;

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (!libxdp_get_error(mp) && mp && !xdp_multiprog__is_legacy(mp)) {
		err = xdp_multiprog__detach(mp);
		xdp_multiprog__close(mp);
		return err;
	}
	if (!libxdp_get_error(mp))
		xdp_multiprog__close(mp);
	flags = mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE :
		mode == XDP_ATTACHED_HW ? XDP_FLAGS_HW_MODE : XDP_FLAGS_DRV_MODE;
	err = bpf_xdp_detach(ifindex, flags, NULL);
	return err ? -errno : 0;
}

static void unpin_created(struct nfx_loader *l)
{
	char path[PATH_MAX];

	for (int i = 0; i < PIN_MAX; i++) {
		if (!(l->created_pins & (1u << i)))
			continue;
		if (!path_join(path, sizeof(path), l->pin_dir, pin_names[i]) && unlink(path))
			pr_warn("cannot remove pin %s: %s\n", path, strerror(errno));
	}
	l->created_pins = 0;
	/* (EBUSY: a mount point, as the service's bind mount of it) */
	if (l->created_dir && rmdir(l->pin_dir) && errno != ENOTEMPTY && errno != EBUSY)
		pr_warn("cannot remove %s: %s\n", l->pin_dir, strerror(errno));
	l->created_dir = 0;
}

static unsigned int existing_pins(const char *dir)
{
	char path[PATH_MAX];
	unsigned int mask = 0;

	for (int i = 0; i < PIN_MAX; i++)
		if (!path_join(path, sizeof(path), dir, pin_names[i]) && !access(path, F_OK))
			mask |= 1u << i;
	return mask;
}

static int try_attach(struct nfx_loader *l, enum xdp_attach_mode mode)
{
	char msg[256];
	int err;

	err = xdp_program__attach(l->prog, l->ifindex, mode, 0);
	if (err) {
		libxdp_strerror(err, msg, sizeof(msg));
		pr_debug("attach to %s in %s mode: %s\n", l->ifname,
			 mode == XDP_MODE_SKB ? "skb" : "native", msg);
		return err;
	}
	l->mode = mode;
	return 0;
}

/*
 * libbpf reuses the pins it finds and refuses ones of another layout with
 * a message about map parameters; say instead what to do about them.
 */
static int check_stale_stats_pin(const struct nfx_loader *l, unsigned int pins)
{
	char path[PATH_MAX];
	int fd, err;

	if (!(pins & (1u << PIN_STATS)) ||
	    path_join(path, sizeof(path), l->pin_dir, pin_names[PIN_STATS]))
		return 0;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	err = nfx_stats_check(fd);
	close(fd);
	if (err != -EPROTO)
		return 0;
	pr_warn("%s was pinned by another nfxdp version (its layout differs): no program of "
		"that version may still use it; remove the pins in %s and start again\n",
		path, l->pin_dir);
	return err;
}

/* The maps are declared pinned by name; without bpffs they must not be. */
static void unpin_maps(struct nfx_xdp_bpf *skel)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, skel->obj)
		bpf_map__set_pin_path(m, NULL);
}

static int make_pin_dir(struct nfx_loader *l, unsigned int *before)
{
	int err;

	*before = 0;
	if (l->pinless)
		return 0;
	if (mkdir(l->pin_dir, 0700) == 0) {
		l->created_dir = 1;
	} else if (errno != EEXIST) {
		err = -errno;
		pr_warn("cannot create pin directory %s: %s\n", l->pin_dir, strerror(-err));
		return err;
	}
	*before = existing_pins(l->pin_dir);
	return check_stale_stats_pin(l, *before);
}

static void pin_prog(const struct nfx_loader *l)
{
	char path[PATH_MAX];

	if (path_join(path, sizeof(path), l->pin_dir, pin_names[PIN_PROG]))
		return;
	unlink(path);		/* a crashed daemon's */
	if (bpf_obj_pin(xdp_program__fd(l->prog), path))
		pr_warn("cannot pin the program as %s: %s: a successor without CAP_SYS_ADMIN "
			"will not find it\n", path, strerror(errno));
}

static int attach_own(struct nfx_loader *l, int skb_only)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = l->pin_dir);
	DECLARE_LIBXDP_OPTS(xdp_program_opts, po, .prog_name = NFX_PROG_NAME);
	unsigned int before;
	int err;

	err = make_pin_dir(l, &before);
	if (err)
		goto out_dir;
	if (l->pinless)
		oo.pin_root_path = NULL;
	l->skel = nfx_xdp_bpf__open_opts(&oo);
	if (!l->skel) {
		err = -errno;
		pr_warn("cannot open the embedded XDP object: %s\n", strerror(-err));
		goto out_dir;
	}
	if (l->pinless)
		unpin_maps(l->skel);
	po.obj = l->skel->obj;
	l->prog = xdp_program__create(&po);
	err = (int)libxdp_get_error(l->prog);
	if (err || !l->prog) {
		err = err ? err : -ENOMEM;
		l->prog = NULL;
		pr_warn("cannot create the XDP program: %s\n", strerror(-err));
		goto out_skel;
	}

	err = skb_only ? -EOPNOTSUPP : try_attach(l, XDP_MODE_NATIVE);
	if (err && !skb_only)
		pr_info("native XDP is not available on %s (%s): falling back to skb mode\n",
			l->ifname, strerror(-err));
	if (err)
		err = try_attach(l, XDP_MODE_SKB);
	if (err) {
		pr_warn("cannot attach XDP to %s: %s (run with -v -v for the libbpf/libxdp log)\n",
			l->ifname, strerror(-err));
		goto out_prog;
	}
	l->attached = 1;
	if (!l->pinless) {
		pin_prog(l);
		l->created_pins = existing_pins(l->pin_dir) & ~before;
	}
	return 0;

out_prog:
	xdp_program__close(l->prog);
	l->prog = NULL;
out_skel:
	nfx_xdp_bpf__destroy(l->skel);
	l->skel = NULL;
	/* a failed load may still have pinned maps: drop what we created */
	if (!l->pinless)
		l->created_pins = existing_pins(l->pin_dir) & ~before;
out_dir:
	unpin_created(l);
	return err;
}

/*
 * The program pinned in @dir when it is the one attached to @l's interface:
 * its fd (kept in @l) and its map ids; -ENOENT when there is none such.
 */
static int pinned_prog_map_ids(struct nfx_loader *l, const char *dir, __u32 *ids, __u32 max,
			       __u32 *n)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), id = 0;
	char path[PATH_MAX];
	__u8 mode;
	int fd;

	if (path_join(path, sizeof(path), dir, pin_names[PIN_PROG]) ||
	    attached_prog(l->ifindex, &id, &mode) || !id)
		return -ENOENT;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -ENOENT;
	info.nr_map_ids = max;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.id != id) {
		close(fd);
		return -ENOENT;
	}
	*n = info.nr_map_ids < max ? info.nr_map_ids : max;
	if (l->prog_fd >= 0)
		close(l->prog_fd);
	l->prog_fd = fd;
	return 0;
}

/* Map ids used by the program(s) attached to @ifindex. */
static int attached_map_ids(int ifindex, __u32 *ids, __u32 max, __u32 *n)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	long err;

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = libxdp_get_error(mp);
	if (err || !mp)
		return err ? (int)err : -ENOENT;
	*n = 0;
	p = xdp_multiprog__is_legacy(mp) ? xdp_multiprog__main_prog(mp) :
					    xdp_multiprog__next_prog(NULL, mp);
	for (; p; p = xdp_multiprog__is_legacy(mp) ? NULL : xdp_multiprog__next_prog(p, mp)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		info.nr_map_ids = max - *n;
		info.map_ids = (__u64)(unsigned long)(ids + *n);
		if (bpf_obj_get_info_by_fd(xdp_program__fd(p), &info, &len)) {
			err = -errno;
			break;
		}
		*n += info.nr_map_ids < max - *n ? info.nr_map_ids : max - *n;
	}
	xdp_multiprog__close(mp);
	return (int)err;
}

static int map_id_of(int fd, __u32 *id, char *name, size_t size)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*id = info.id;
	if (name)
		snprintf(name, size, "%s", info.name);
	return 0;
}

static int id_in(__u32 id, const __u32 *ids, __u32 n)
{
	for (__u32 i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

static void close_fds(int *fds)
{
	for (int i = 0; i < PIN_MAX; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/*
 * Opens the maps pinned in @dir; succeeds only if the ones we need belong
 * to the attached program, so stale pins of an older load are not used.
 */
static int adopt_from_dir(struct nfx_loader *l, const char *dir, const __u32 *ids, __u32 n)
{
	char path[PATH_MAX];
	__u32 id = 0;

	for (int i = 0; i < PIN_MAX; i++) {
		if (path_join(path, sizeof(path), dir, pin_names[i]))
			continue;
		l->fds[i] = bpf_obj_get(path);
		if (l->fds[i] >= 0 && (map_id_of(l->fds[i], &id, NULL, 0) || !id_in(id, ids, n))) {
			pr_debug("%s is not a map of the program on %s\n", path, l->ifname);
			close(l->fds[i]);
			l->fds[i] = -1;
		}
	}
	if (l->fds[PIN_STATS] < 0 || l->fds[PIN_PORTS] < 0 || l->fds[PIN_XSKS] < 0) {
		close_fds(l->fds);
		return -ENOENT;
	}
	snprintf(l->pin_dir, sizeof(l->pin_dir), "%s", dir);
	return 0;
}

/* No usable pins: take the maps straight from the program by name. */
static int adopt_by_id(struct nfx_loader *l, const __u32 *ids, __u32 n)
{
	char name[BPF_OBJ_NAME_LEN];
	__u32 id = 0;

	for (__u32 i = 0; i < n; i++) {
		int fd = bpf_map_get_fd_by_id(ids[i]), slot = -1;

		if (fd < 0)
			continue;
		if (!map_id_of(fd, &id, name, sizeof(name)))
			for (int p = 0; p < PIN_MAX; p++)
				if (!strcmp(name, pin_names[p]) && l->fds[p] < 0)
					slot = p;
		if (slot < 0)
			close(fd);
		else
			l->fds[slot] = fd;
	}
	if (l->fds[PIN_STATS] < 0 || l->fds[PIN_PORTS] < 0 || l->fds[PIN_XSKS] < 0) {
		close_fds(l->fds);
		return -ENOENT;
	}
	return 0;
}

/* The maps of a program that another nfxdp version built may differ in layout. */
static int check_adopted(struct nfx_loader *l)
{
	int err = nfx_stats_check(l->fds[PIN_STATS]);

	if (err == -EPROTO)
		pr_warn("the XDP program on %s was built by another nfxdp version (its %s differs): "
			"detach it ('nfxdp detach -i %s') and run without --no-attach, or attach "
			"this version's nfx_xdp.bpf.o\n", l->ifname, pin_names[PIN_STATS], l->ifname);
	else if (err)
		pr_warn("cannot inspect %s of the program on %s: %s\n", pin_names[PIN_STATS],
			l->ifname, strerror(-err));
	if (err)
		close_fds(l->fds);
	return err;
}

static int adopt(struct nfx_loader *l, const char *pin_dir)
{
	__u32 ids[64], n = 0;
	int err = -ENOENT;

	/* first what needs no id lookup (CAP_SYS_ADMIN): our pinned program */
	if (pin_dir)
		err = pinned_prog_map_ids(l, pin_dir, ids, 64, &n);
	for (size_t i = 0; err && !pin_dir && !l->pinless && i < ARRAY_SIZE(pin_search); i++)
		err = pinned_prog_map_ids(l, pin_search[i], ids, 64, &n);
	if (err)
		err = attached_map_ids(l->ifindex, ids, 64, &n);
	if (err == -ENOENT) {
		pr_warn("--no-attach: no XDP program on %s: load one with 'ip link set dev %s "
			"xdp obj nfx_xdp.bpf.o sec xdp' or run without --no-attach\n",
			l->ifname, l->ifname);
		return err;
	}
	if (err) {
		pr_warn("cannot read the XDP program on %s: %s (without CAP_SYS_ADMIN only through "
			"its pin %s in the pin directory: give it with --pin-dir)\n", l->ifname,
			strerror(-err), pin_names[PIN_PROG]);
		return err;
	}
	err = -ENOENT;
	if (pin_dir)
		err = adopt_from_dir(l, pin_dir, ids, n);
	for (size_t i = 0; !pin_dir && !l->pinless && i < ARRAY_SIZE(pin_search); i++) {
		err = adopt_from_dir(l, pin_search[i], ids, n);
		if (!err)
			break;
	}
	if (!err) {
		pr_info("using the maps pinned in %s\n", l->pin_dir);
		return check_adopted(l);
	}
	err = adopt_by_id(l, ids, n);
	if (!err) {
		pr_info("no pins of the program on %s found; using its maps by id\n", l->ifname);
		return check_adopted(l);
	}
	pr_warn("the XDP program on %s has no %s/%s/%s maps: is it nfx_xdp.bpf.o? "
		"(give its pin directory with --pin-dir)\n", l->ifname,
		pin_names[PIN_STATS], pin_names[PIN_PORTS], pin_names[PIN_XSKS]);
	return err;
}

/* Someone's program is on the interface: adopt ours, refuse or replace theirs. */
static int handle_existing(struct nfx_loader *l, const struct nfx_loader_opts *o,
			   __u32 id, __u8 mode, int *adopted)
{
	char desc[512] = "";
	__u32 ids[64], n;
	int ours, err;

	/* our pin first: libxdp's lookup by id takes CAP_SYS_ADMIN */
	ours = !l->pinless && !pinned_prog_map_ids(l, l->pin_dir, ids, 64, &n);
	if (ours)
		snprintf(desc, sizeof(desc), "program id %u (pinned in %.400s)", id, l->pin_dir);
	else
		ours = describe_attached(l->ifindex, desc, sizeof(desc));
	if (ours < 0)
		snprintf(desc, sizeof(desc), "program id %u", id);
	if (ours > 0 && !o->force) {
		pr_info("nfxdp's %s is already attached to %s (%s mode); using it\n",
			desc, l->ifname, xdp_mode_str(mode));
		err = adopt(l, o->pin_dir);
		*adopted = !err;
		return err;
	}
	if (!o->force) {
		pr_warn("%s already has an XDP %s attached (%s mode): use --force to replace it, "
			"or --no-attach to keep it (it must be nfx_xdp.bpf.o with pinned maps)\n",
			l->ifname, desc, xdp_mode_str(mode));
		return -EBUSY;
	}
	pr_info("--force: detaching %s from %s\n", desc, l->ifname);
	err = detach_any(l->ifindex, mode);
	if (err)
		pr_warn("cannot detach %s from %s: %s\n", desc, l->ifname, strerror(-err));
	return err;
}

/*
 * `ip netns exec` gives the process a /sys of its own, without the bpffs:
 * then nothing is pinned, and `nfxdp stats`/`detach` find the program
 * through the interface.  A pin directory that was asked for must work.
 */
static int choose_pinning(struct nfx_loader *l, int asked)
{
	if (asked || !is_bpffs(NFX_BPFFS))
		return check_pin_dir(l->pin_dir);
	l->pinless = 1;
	snprintf(l->pin_dir, sizeof(l->pin_dir), "(not pinned)");
	pr_info("no BPF filesystem on %s (as under 'ip netns exec'): the maps are not pinned; "
		"'nfxdp stats -i %s' and 'nfxdp detach -i %s' find them through the interface "
		"(mount -t bpf bpf %s to pin them)\n", NFX_BPFFS, l->ifname, l->ifname, NFX_BPFFS);
	return 0;
}

struct nfx_loader *nfx_loader_new(const struct nfx_loader_opts *o)
{
	struct nfx_loader *l;
	int adopted = 0, err;
	__u32 id = 0;
	__u8 mode = 0;

	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	for (int i = 0; i < PIN_MAX; i++)
		l->fds[i] = -1;
	l->prog_fd = -1;
	err = nfx_loader_check_caps();
	if (err)
		goto out_free;
	err = lookup_ifindex(o->ifname);
	if (err < 0)
		goto out_free;
	l->ifindex = err;
	snprintf(l->ifname, sizeof(l->ifname), "%s", o->ifname);
	snprintf(l->pin_dir, sizeof(l->pin_dir), "%s",
		 o->pin_dir ? o->pin_dir : NFX_PIN_DIR_DEFAULT);
	err = choose_pinning(l, o->pin_dir != NULL);
	if (err)
		goto out_free;

	if (o->no_attach) {
		err = adopt(l, o->pin_dir);
		if (err)
			goto out_free;
		return l;
	}
	err = attached_prog(l->ifindex, &id, &mode);
	if (err) {
		pr_warn("cannot query XDP on %s: %s\n", l->ifname, strerror(-err));
		goto out_free;
	}
	if (id) {
		err = handle_existing(l, o, id, mode, &adopted);
		if (err)
			goto out_free;
		if (adopted)
			return l;
	}
	err = attach_own(l, o->skb_mode);
	if (err)
		goto out_free;
	pr_info("attached %s to %s in %s mode, maps %s%s\n", NFX_PROG_NAME, l->ifname,
		nfx_loader_mode(l), l->pinless ? "not pinned" : "pinned in ",
		l->pinless ? "" : l->pin_dir);
	return l;

out_free:
	close_fds(l->fds);
	if (l->prog_fd >= 0)
		close(l->prog_fd);
	free(l);
	errno = -err;
	return NULL;
}

int nfx_loader_own(struct nfx_loader *l)
{
	__u32 id = 0;
	__u8 mode = 0;

	if (l->attached)
		return 0;
	if (l->prog_fd < 0 || attached_prog(l->ifindex, &id, &mode))
		return -ENOENT;
	l->attached = 1;
	l->mode = mode == XDP_ATTACHED_SKB ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	l->created_pins = existing_pins(l->pin_dir);
	l->created_dir = 1;	/* removed when empty */
	return 0;
}

/*
 * libxdp finds what is attached by program id, which takes CAP_SYS_ADMIN;
 * a daemon that kept only CAP_NET_ADMIN detaches its own program, when it
 * is alone on the interface (no dispatcher), through the fd it holds.
 */
static int detach_own(struct nfx_loader *l)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, ao,
		    .old_prog_fd = l->prog ? xdp_program__fd(l->prog) : l->prog_fd);
	__u32 flags = l->mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	int err = -ENOENT;

	if (l->prog)
		err = xdp_program__detach(l->prog, l->ifindex, l->mode, 0);
	if (!err)
		return 0;
	/* (libxdp says ENOENT or EPERM when the id lookup is refused) */
	return bpf_xdp_detach(l->ifindex, flags, &ao) ? err : 0;
}

void nfx_loader_keep(struct nfx_loader *l)
{
	l->keep = 1;
}

void nfx_loader_free(struct nfx_loader *l)
{
	int err;

	if (!l)
		return;
	if (l->attached && !l->keep) {
		err = detach_own(l);
		if (err)
			pr_warn("cannot detach XDP from %s: %s (try 'nfxdp detach -i %s')\n",
				l->ifname, strerror(-err), l->ifname);
	}
	if (l->prog)
		xdp_program__close(l->prog);
	if (l->skel)
		nfx_xdp_bpf__destroy(l->skel);
	if (!l->keep)
		unpin_created(l);
	close_fds(l->fds);
	if (l->prog_fd >= 0)
		close(l->prog_fd);
	free(l);
}

static int map_fd(const struct nfx_loader *l, int pin)
{
	struct bpf_map *m;

	if (l->fds[pin] >= 0)
		return l->fds[pin];
	if (!l->skel)
		return -ENOENT;
	m = bpf_object__find_map_by_name(l->skel->obj, pin_names[pin]);
	return m ? bpf_map__fd(m) : -ENOENT;
}

int nfx_loader_ports_fd(const struct nfx_loader *l)
{
	return map_fd(l, PIN_PORTS);
}

int nfx_loader_xsks_fd(const struct nfx_loader *l)
{
	return map_fd(l, PIN_XSKS);
}

int nfx_loader_stats_fd(const struct nfx_loader *l)
{
	return map_fd(l, PIN_STATS);
}

int nfx_loader_allow_fd(const struct nfx_loader *l)
{
	return map_fd(l, PIN_ALLOW);
}

int nfx_loader_cfg_fd(const struct nfx_loader *l)
{
	return map_fd(l, PIN_CFG);
}

int nfx_loader_attached(const struct nfx_loader *l)
{
	return l->attached;
}

const char *nfx_loader_mode(const struct nfx_loader *l)
{
	if (!l->attached)
		return "adopted";
	return l->mode == XDP_MODE_SKB ? "skb" : "native";
}

const char *nfx_loader_pin_dir(const struct nfx_loader *l)
{
	return l->pin_dir;
}

const char *nfx_loader_created_pin_dir(const struct nfx_loader *l)
{
	return l->created_dir || l->created_pins ? l->pin_dir : NULL;
}

/* ---- what outlives the daemon: the pins, a program left attached ---- */

int nfx_stats_open_pinned(const char *pin_dir, char *found, size_t size)
{
	char path[PATH_MAX];
	int fd = -ENOENT;

	for (size_t i = 0; i < sizeof(pin_search) / sizeof(pin_search[0]) + 1; i++) {
		const char *dir = pin_dir ? pin_dir : i ? pin_search[i - 1] : NULL;

		if (!dir || path_join(path, sizeof(path), dir, pin_names[PIN_STATS]))
			continue;
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			snprintf(found, size, "%s", path);
			return fd;
		}
		fd = -errno;
		if (pin_dir)
			break;
	}
	return fd;
}

/* nfx_stats of the program attached to @ifname, by id (CAP_SYS_ADMIN). */
static int stats_of_interface(const char *ifname, char *found, size_t size)
{
	char name[BPF_OBJ_NAME_LEN];
	__u32 ids[64], n = 0, id;
	int ifindex, err;

	ifindex = lookup_ifindex(ifname);
	if (ifindex < 0)
		return ifindex;
	err = attached_map_ids(ifindex, ids, 64, &n);
	if (err) {
		pr_warn("no XDP program on %s to read: %s\n", ifname, strerror(-err));
		return err;
	}
	for (__u32 i = 0; i < n; i++) {
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		if (!map_id_of(fd, &id, name, sizeof(name)) &&
		    !strcmp(name, pin_names[PIN_STATS])) {
			snprintf(found, size, "map id %u of the program on %s", id, ifname);
			return fd;
		}
		close(fd);
	}
	pr_warn("the XDP program on %s has no %s map: is it nfxdp's?\n", ifname,
		pin_names[PIN_STATS]);
	return -ENOENT;
}

/* Every loaded map called nfx_stats: one is the answer, several a question. */
static int stats_by_name(char *found, size_t size)
{
	char name[BPF_OBJ_NAME_LEN];
	__u32 id = 0, first = 0;
	int fd, keep = -ENOENT, n = 0;

	while (!bpf_map_get_next_id(id, &id)) {
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0)
			continue;
		if (map_id_of(fd, &id, name, sizeof(name)) ||
		    strcmp(name, pin_names[PIN_STATS]) || n++) {
			close(fd);
			continue;
		}
		keep = fd;
		first = id;
	}
	if (n == 1)
		snprintf(found, size, "map id %u", first);
	if (n <= 1)
		return keep;
	close(keep);
	pr_warn("%d maps called %s are loaded (one per attached nfxdp program): "
		"name the interface with -i IF\n", n, pin_names[PIN_STATS]);
	return -ENOTUNIQ;
}

int nfx_stats_open(const char *pin_dir, const char *ifname, char *found, size_t size)
{
	int fd;

	if (ifname)
		return stats_of_interface(ifname, found, size);
	fd = nfx_stats_open_pinned(pin_dir, found, size);
	if (fd >= 0 || pin_dir)
		return fd;
	return stats_by_name(found, size);
}

int nfx_loader_detach(const char *ifname, __u32 *id)
{
	char name[BPF_OBJ_NAME_LEN] = "", desc[512] = "";
	int ifindex, err;
	__u8 mode = 0;

	*id = 0;
	err = nfx_loader_check_caps();
	if (err)
		return err;
	ifindex = lookup_ifindex(ifname);
	if (ifindex < 0)
		return ifindex;
	err = attached_prog(ifindex, id, &mode);
	if (err) {
		pr_warn("cannot query XDP on %s: %s\n", ifname, strerror(-err));
		return err;
	}
	if (*id && !prog_name_by_id(*id, name, sizeof(name)) && strcmp(name, NFX_PROG_NAME) &&
	    describe_attached(ifindex, desc, sizeof(desc)) <= 0) {
		pr_warn("the XDP %s on %s is not nfxdp's: remove it with 'ip link set dev %s "
			"xdp off' or 'xdp-loader unload'\n", desc, ifname, ifname);
		return -EBUSY;
	}
	if (!*id)
		return 0;
	err = detach_any(ifindex, mode);
	if (err)
		pr_warn("cannot detach from %s: %s\n", ifname, strerror(-err));
	return err;
}

void nfx_pins_remove(const char *dir)
{
	char path[PATH_MAX];

	for (int i = 0; i < PIN_MAX; i++)
		if (!path_join(path, sizeof(path), dir, pin_names[i]) && !unlink(path))
			pr_info("removed %s\n", path);
	if (strcmp(dir, NFX_BPFFS "/tc/globals") && strcmp(dir, NFX_BPFFS "/xdp/globals"))
		rmdir(dir);
}

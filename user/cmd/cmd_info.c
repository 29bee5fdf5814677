// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd_info.c - what nfxdp says about itself: `nfxdp --version` (its version
 * and the libbpf/libxdp it runs with, which may differ from those it was
 * built with) and the hidden `nfxdp config-keys` (the configuration table,
 * one key per line, which tests/offline/test-manpages.sh checks
 * nfxdp.json(5) against).
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "cmd/cmd.h"
#include "control/config.h"

#ifndef NFX_VERSION
#define NFX_VERSION "unknown"
#endif
#ifndef NFX_LIBBPF_BUILD
#define NFX_LIBBPF_BUILD "unknown"
#endif
#ifndef NFX_LIBXDP_BUILD
#define NFX_LIBXDP_BUILD "unknown"
#endif

/*
 * The file the dynamic linker loaded @sym from, symlinks resolved
 * (libxdp.so.1 -> libxdp.so.1.3.0); "" when linked statically.
 */
static void lib_file(const void *sym, char *buf, size_t len)
{
	char real[PATH_MAX];
	Dl_info info;

	buf[0] = '\0';
	if (!dladdr(sym, &info) || !info.dli_fname || !strchr(info.dli_fname, '/'))
		return;
	snprintf(buf, len, "%s", realpath(info.dli_fname, real) ? real : info.dli_fname);
}

/* libxdp has no version call: its file name carries the version (.so.X.Y.Z). */
static const char *so_version(const char *file)
{
	const char *v = strstr(file, ".so.");

	return v ? v + 4 : "unknown";
}

void nfx_print_version(FILE *f)
{
	char bpf_file[PATH_MAX], xdp_file[PATH_MAX];

	lib_file((const void *)libbpf_version_string, bpf_file, sizeof(bpf_file));
	lib_file((const void *)xdp_program__create, xdp_file, sizeof(xdp_file));
	fprintf(f, "nfxdp %s\n", NFX_VERSION);
	fprintf(f, "libbpf %s (%s), built with %s\n", libbpf_version_string(),
		bpf_file[0] ? bpf_file : "linked statically", NFX_LIBBPF_BUILD);
	fprintf(f, "libxdp %s (%s), built with %s\n",
		xdp_file[0] ? so_version(xdp_file) : NFX_LIBXDP_BUILD,
		xdp_file[0] ? xdp_file : "linked statically", NFX_LIBXDP_BUILD);
}

static void print_key(const struct nfx_cfg_key *k, void *ctx)
{
	printf("%s\t%s\t%s\t%s\t%s\n", k->name, k->type, k->def, k->range,
	       k->restart ? "restart" : "live");
}

int nfx_cmd_config_keys(int argc, char **argv)
{
	if (argc > 1) {
		fprintf(strcmp(argv[1], "--help") ? stderr : stdout,
			"usage: nfxdp config-keys\n"
			"Prints every configuration key, one per line, tab-separated:\n"
			"name, type, default (JSON; - = none or derived), range, and whether\n"
			"a reload applies a change (live) or it needs a restart.\n");
		return strcmp(argv[1], "--help") ? 2 : 0;
	}
	nfx_config_keys(print_key, NULL);
	return fflush(stdout) ? 1 : 0;
}

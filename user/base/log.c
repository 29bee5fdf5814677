// SPDX-License-Identifier: BSD-2-Clause
/*
 * log.c - "nfxdp: " lines on stderr, filtered by level, and the hook that
 * routes libbpf's and libxdp's messages through the same filter.  errno is
 * kept across a call, so an error path may log and then return -errno.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "base/log.h"

int nfx_log_level = NFX_LOG_INFO;

void nfx_log(int level, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (level > nfx_log_level)
		return;
	va_start(ap, fmt);
	fputs("nfxdp: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	errno = saved;
}

static int lib_print(int level, const char *fmt, va_list ap)
{
	/*
	 * Libraries are chatty about things we handle and report ourselves
	 * (libxdp's dispatcher probe failing, then the fallback that works):
	 * their warnings show with -v, their info with -vv, debug with -vvv.
	 */
	if (level + 2 > nfx_log_level)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return lib_print((int)level, fmt, ap);
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	return lib_print((int)level, fmt, ap);
}

void nfx_log_hook_libs(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}

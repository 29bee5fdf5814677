// SPDX-License-Identifier: BSD-2-Clause
/*
 * liblog.c - libbpf's and libxdp's messages through nfxdp's log filter.
 * Kept in io/, the layer that links the BPF libraries, so that base/ (and
 * the decoders and fuzzers built on it) link without them.
 */
#include <stdarg.h>
#include <stdio.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "base/log.h"
#include "io/liblog.h"

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

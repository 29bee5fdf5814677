// SPDX-License-Identifier: BSD-2-Clause
/*
 * log.c - "nfxdp: " lines on stderr, filtered by level.  errno is
 * kept across a call, so an error path may log and then return -errno.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

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

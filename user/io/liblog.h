/* SPDX-License-Identifier: BSD-2-Clause */
/* liblog.h - route libbpf and libxdp messages through base/log.h. */
#ifndef NFX_LIBLOG_H
#define NFX_LIBLOG_H

/* Their warnings show with -v, their info with -vv, debug with -vvv. */
void nfx_log_hook_libs(void);

#endif /* NFX_LIBLOG_H */

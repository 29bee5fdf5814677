/* SPDX-License-Identifier: BSD-2-Clause */
/* log.h - one line per event on stderr; libbpf/libxdp are routed through it. */
#ifndef NFX_LOG_H
#define NFX_LOG_H

enum nfx_log_level { NFX_LOG_WARN = 0, NFX_LOG_INFO, NFX_LOG_DEBUG };

extern int nfx_log_level;

void nfx_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Route libbpf and libxdp messages here, one level quieter than their own. */
void nfx_log_hook_libs(void);

#define pr_warn(...)  nfx_log(NFX_LOG_WARN, __VA_ARGS__)
#define pr_info(...)  nfx_log(NFX_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) nfx_log(NFX_LOG_DEBUG, __VA_ARGS__)

#endif /* NFX_LOG_H */

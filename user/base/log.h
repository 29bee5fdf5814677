/* SPDX-License-Identifier: BSD-2-Clause */
/* log.h - one line per event on stderr (io/liblog.h routes libbpf/libxdp here). */
#ifndef NFX_LOG_H
#define NFX_LOG_H

enum nfx_log_level { NFX_LOG_WARN = 0, NFX_LOG_INFO, NFX_LOG_DEBUG };

extern int nfx_log_level;

void nfx_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_warn(...)  nfx_log(NFX_LOG_WARN, __VA_ARGS__)
#define pr_info(...)  nfx_log(NFX_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) nfx_log(NFX_LOG_DEBUG, __VA_ARGS__)

#endif /* NFX_LOG_H */

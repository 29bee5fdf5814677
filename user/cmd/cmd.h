/* SPDX-License-Identifier: BSD-2-Clause */
/* cmd.h - the subcommands of nfxdp; each returns the process exit status. */
#ifndef NFX_CMD_H
#define NFX_CMD_H

#include <stdio.h>

int nfx_cmd_run(int argc, char **argv);		/* run.c */
int nfx_cmd_reload(int argc, char **argv);	/* cmd_reload.c */
int nfx_cmd_attach(int argc, char **argv);	/* cmd_xdp.c */
int nfx_cmd_detach(int argc, char **argv);	/* cmd_xdp.c */
int nfx_cmd_stats(int argc, char **argv);	/* cmd_xdp.c */
int nfx_cmd_decode(int argc, char **argv);	/* pcap.c */
int nfx_cmd_clickhouse_schema(int argc, char **argv);	/* ch_schema.c */
int nfx_cmd_config_keys(int argc, char **argv);	/* cmd_info.c */

/* `nfxdp --version`: ours and the libbpf/libxdp versions in use (cmd_info.c). */
void nfx_print_version(FILE *f);

#endif /* NFX_CMD_H */

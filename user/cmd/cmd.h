/* SPDX-License-Identifier: BSD-2-Clause */
/* cmd.h - the subcommands of nfxdp; each returns the process exit status. */
#ifndef NFX_CMD_H
#define NFX_CMD_H

int nfx_cmd_run(int argc, char **argv);		/* run.c */
int nfx_cmd_attach(int argc, char **argv);	/* cmd_xdp.c */
int nfx_cmd_detach(int argc, char **argv);	/* cmd_xdp.c */
int nfx_cmd_stats(int argc, char **argv);	/* cmd_xdp.c */
int nfx_cmd_decode(int argc, char **argv);	/* pcap.c */
int nfx_cmd_clickhouse_schema(int argc, char **argv);	/* ch_schema.c */

#endif /* NFX_CMD_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * share.h - templates shared among workers.  RSS keeps an exporter on one
 * RX queue, but not every datagram takes that path: the UDP sockets
 * (worker 0) get fragments, what arrives while a hand-over swaps the
 * sockets, and whatever the program passes; veth picks a queue by the
 * sending CPU.  So a v9/IPFIX message that held templates or options data
 * is copied to every other worker, which replays it for them
 * (nfx_decode_replay()) before it reads its own sockets.
 */
#ifndef NFX_DAEMON_SHARE_H
#define NFX_DAEMON_SHARE_H

#include <stddef.h>
#include <stdint.h>

#include "base/flow.h"

struct nfx_run;
struct nfx_worker;
struct nfx_share;		/* in state.h, a part of every worker */

/* 0 or -errno; @s is left safe to free either way. */
int nfx_share_init(struct nfx_share *s);
void nfx_share_free(struct nfx_share *s);

/* Worker @from decoded a message with templates or options data: every other worker gets it. */
void nfx_share_post(struct nfx_run *r, int from, const struct nfx_src *src, const uint8_t *p,
		    size_t len);

/* @w replays what the others posted.  Under @w's lock. */
void nfx_share_replay(struct nfx_worker *w);

#endif /* NFX_DAEMON_SHARE_H */

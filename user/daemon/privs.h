/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * privs.h - what the daemon keeps of its privileges once set up.
 */
#ifndef NFX_DAEMON_PRIVS_H
#define NFX_DAEMON_PRIVS_H

#include "daemon/state.h"

/*
 * Called once the program is attached and the sockets are bound, before
 * any thread starts (capabilities are per thread): switches to the
 * configured user, if any, and drops every capability but those the
 * remaining work needs (design §8).  0 or -errno, with one line saying why.
 */
int nfx_privs_drop(struct nfx_run *r);

#endif /* NFX_DAEMON_PRIVS_H */

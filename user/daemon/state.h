/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * state.h - the running daemon's state, shared by the files of daemon/:
 * the daemon (struct nfx_run: configuration, inputs, sinks, the main
 * thread's poll set) and its workers (struct nfx_worker: some RX queues, a
 * decoder, the routes to aggregators, enrichment and the sinks).
 *
 * Who touches what: a worker's fields are its own while it runs, under its
 * lock when it is a thread; the main thread takes every worker's lock
 * (nfx_workers_lock()) to read counters or apply a configuration.
 */
#ifndef NFX_DAEMON_STATE_H
#define NFX_DAEMON_STATE_H

#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "agg/agg.h"
#include "control/config.h"
#include "control/config_watch.h"
#include "control/daemon_metrics.h"
#include "control/metrics.h"
#include "daemon/opts.h"
#include "decode/decode.h"
#include "enrich/enrich.h"
#include "io/loader.h"
#include "io/udp_sock.h"
#include "io/xdp_maps.h"
#include "io/xsk.h"
#include "sink/ch.h"
#include "sink/ndjson.h"
#include "sink/sink.h"

#define TICK_MS		100	/* output written out, aggregators ticked */
#define RX_BUDGET	1024	/* datagrams per socket per wakeup */
#define MAX_WORKERS	64

struct nfx_worker;

/* One namespace of one worker: its aggregator (NULL in raw mode) and where it flushes. */
struct route_ns {
	char *name;
	struct nfx_agg *agg;
	struct nfx_worker *w;
	struct nfx_sink flush;		/* the aggregator's output: enrichment, then the sinks */
};

/* A worker's replay buffer (share.h), filled by the others and drained by it. */
struct nfx_share {
	pthread_mutex_t lock;
	int efd;			/* eventfd: wakes the worker's poll */
	uint8_t *buf;
	size_t used, size;
	uint64_t dropped;		/* messages that did not fit, not yet counted */
	atomic_int posted;		/* something to replay: the reader's check without a syscall */
};

/*
 * A worker: the AF_XDP sockets of some RX queues (worker 0 also the UDP
 * sockets) with a decoder, aggregators, enricher and output buffer of its
 * own.  The NIC's RSS keeps one transport session on one queue, so
 * sequence sessions need no sharing; templates are replayed to every
 * worker (share.h), for the datagrams that take another path.  One worker
 * runs on the main thread; several run one thread each.
 */
struct nfx_worker {
	struct nfx_run *r;
	int id;
	struct nfx_xsk **xsks;		/* queues id, id + nworkers, ... */
	int nxsk;
	int has_udp;
	struct nfx_decoder *dec;
	struct nfx_sink sink;		/* what the decoder emits into: the router */
	struct nfx_enricher enrich;
	struct nfx_ndjson *out;		/* r->out, or a writer sharing its file */
	struct nfx_sinks sinks;		/* out, then ClickHouse when on */
	struct route_ns ns[NFX_MAX_PORTS + 1];
	int nns;
	uint16_t cur_port;		/* listener port of the datagram being decoded */
	/* last routing decision: records of one message share it */
	uint16_t route_port;
	uint8_t route_type;
	int route_ns;
	uint64_t now;
	uint64_t next_tick;
	uint64_t last_sweep;
	uint64_t spin_since_us;		/* busy polling: since when nothing came, 0 = something did */
	/* a thread of its own */
	pthread_t thread;
	int started;
	pthread_mutex_t lock;
	int pfds_stale;			/* the UDP sockets changed under it */
	struct pollfd *pfds;		/* its sockets, in drain order, then share.efd */
	int npfd;
	struct nfx_share share;		/* templates the other workers received (threads only) */
};

struct nfx_run {
	const struct nfx_run_opts *o;
	struct nfx_config *cfg;		/* running configuration: file, then command line */
	struct nfx_config_watch *watch;
	struct nfx_loader *ldr;
	int nqueues;			/* RX queues to serve: an AF_XDP socket each */
	struct nfx_xsk **xsks;
	int nxsk;			/* the sockets opened so far */
	struct nfx_udp **udps;
	int nudp;
	struct nfx_worker *w;
	int nw;
	int threaded;			/* nw > 1 or busy polling: every worker is a thread */
	uint32_t busy_poll_usecs;	/* AF_XDP busy polling as set up (0 = off), fixed until restart */
	atomic_int stop;
	struct nfx_ndjson *out;		/* owns the output file */
	struct nfx_ch *ch;		/* ClickHouse sink, NULL when off (locks itself) */
	struct nfx_rdns *rdns;		/* reverse DNS, NULL = off (locks itself) */
	int raw;
	struct nfx_fieldmap maps[NFX_FIELDMAP_MAX];	/* listeners' mappings */
	unsigned int nmaps;
	struct nfx_metrics *metrics;
	char stats_path[PATH_MAX];	/* daemon counters for `nfxdp stats`, "" = off */
	struct nfx_prom prom;
	uint64_t last_metrics;
	uint64_t reloads[NFX_RELOAD_MAX];	/* nfx_config_reloads_total by result */
	uint64_t now;
	int sigfd;
	int timerfd;
	struct pollfd *pfds;		/* [xsks, udps,] rdns, signal, timer, config watch */
	int npfd;
	int pfds_stale;			/* the UDP sockets changed: make pfds again */
	int irdns;			/* first of NFX_RDNS_MAX_FDS slots in pfds */
	uint64_t sweep_ms;
	uint64_t ttl_ms;
	/* the state file (persist.h), "" = none */
	char state_path[PATH_MAX];
	int state_dir_made;		/* by us: ours to give to the configured user */
	int state_failing;		/* the last write failed (said once) */
	uint64_t next_state_ms;
	/* live hand-over (handover.h) */
	int ho_fd;			/* listening for a successor, -1 = not */
	int ho_conn;			/* to the daemon we take over from, -1 = none */
	int ho_metrics_fd;		/* its metrics listener, until ours is open */
	int ho_owner;			/* it had attached the program: now we detach it */
	char ho_path[PATH_MAX];
	int io_paused;			/* our sockets were released to a successor */
	int handed_over;		/* it said GO: leave the program attached, exit */
};

/* A worker's share of a daemon-wide bound (0 = the default, left to the table). */
static inline uint32_t nfx_worker_share(const struct nfx_run *r, uint32_t bound)
{
	return bound ? (uint32_t)(((uint64_t)bound + (uint64_t)r->nw - 1) / (uint64_t)r->nw) : 0;
}

/* The wall clock in ms: flush_timestamp and every TTL are in it. */
static inline uint64_t nfx_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#endif /* NFX_DAEMON_STATE_H */

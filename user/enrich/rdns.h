/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rdns.h - reverse DNS enrichment of flow endpoints (the Datadog Agent's
 * source/destination.reverse_dns_hostname), asynchronous and cached.
 *
 * PTR queries go out through one c-ares channel whose sockets the caller's
 * poll() loop watches (nfx_rdns_fds / nfx_rdns_process).  The enrichment
 * stage calls nfx_rdns_lookup() per endpoint: a cached name is copied out at once;
 * an address not cached starts a query (if the rate limit allows) and gets
 * NULL, so the next record of that flow carries the name.  Nothing here
 * blocks; the only syscall on the lookup path is the query's send.  One
 * resolver serves every worker thread: each entry point takes its lock
 * (uncontended, a few tens of ns), so names do not force a single worker.
 *
 * Cache: open-addressed (linear probing, backward-shift delete), grown by
 * doubling up to the size @max_entries needs and never beyond it; when it
 * holds @max_entries a CLOCK hand evicts (expired entries first, then the
 * first not used since the hand last passed).  Positive answers live
 * @cache_ttl_s, NXDOMAIN / no PTR @negative_ttl_s, timeouts and resolver
 * errors @error_ttl_s (so a dead resolver is not asked again for the same
 * address at every record, and the name comes back soon after it returns).
 * An incremental sweep removes expired entries.  About 32 bytes per slot
 * (load factor <= 0.7) plus the name: ~100 bytes per entry.
 *
 * Rate limit: a token bucket of @rate_limit queries/s (burst: one second's
 * worth).  Every run of @throttle_errors consecutive failures (timeouts,
 * SERVFAIL, REFUSED, connection refused) halves the rate, down to
 * @rate_min; each @recovery_ms interval without a failure doubles it again,
 * up to @rate_limit.  At most @max_inflight queries are outstanding.
 *
 * Eligible addresses: by default the private ones, as the Datadog Agent
 * (Go's netip.Addr.IsPrivate): 10/8, 172.16/12, 192.168/16 (RFC 1918) and
 * fc00::/7 (RFC 4193 ULA).  Not by default: 100.64/10 (RFC 6598 shared
 * CGNAT space), link-local 169.254/16 and fe80::/10 (not unique, rarely in
 * DNS), loopback, public addresses.  @prefixes replaces the set: each entry
 * is "PREFIX" (include), "!PREFIX" (exclude) or "default" (the default
 * set); the longest matching prefix decides, no match = not eligible.
 * E.g. { "default", "100.64.0.0/10", "!10.99.0.0/16" }, or
 * { "0.0.0.0/0", "::/0" } for every address.
 */
#ifndef NFX_RDNS_H
#define NFX_RDNS_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "base/flow.h"

/* Most sockets the channel uses at once (UDP + TCP per server). */
#define NFX_RDNS_MAX_FDS	8
/* Most entries in @prefixes (after "default" is expanded). */
#define NFX_RDNS_MAX_PREFIXES	64
/* Longest hostname kept (RFC 1035: 253 characters in text form). */
#define NFX_RDNS_NAME_MAX	253

/* Defaults: what a field left 0 means. */
#define NFX_RDNS_DEF_CACHE_TTL		86400	/* s */
#define NFX_RDNS_DEF_NEGATIVE_TTL	300	/* s */
#define NFX_RDNS_DEF_ERROR_TTL		30	/* s */
#define NFX_RDNS_DEF_MAX_ENTRIES	1000000
#define NFX_RDNS_DEF_RATE		1000	/* queries/s */
#define NFX_RDNS_DEF_RATE_MIN		1
#define NFX_RDNS_DEF_THROTTLE_ERRORS	10
#define NFX_RDNS_DEF_RECOVERY_MS	2000
#define NFX_RDNS_DEF_MAX_INFLIGHT	1024
#define NFX_RDNS_DEF_TIMEOUT_MS		1000	/* per try; c-ares doubles it per retry */
#define NFX_RDNS_DEF_TRIES		2

struct nfx_rdns_opts {
	/* "IP[:PORT][,IP[:PORT]...]" ("[v6]:PORT"); NULL = /etc/resolv.conf */
	const char *server;
	const char *const *prefixes;	/* NULL = the default set */
	size_t nprefixes;
	uint32_t cache_ttl_s;
	uint32_t negative_ttl_s;
	uint32_t error_ttl_s;
	uint32_t max_entries;
	uint32_t rate_limit;		/* queries per second */
	uint32_t rate_min;		/* floor of the throttled rate */
	uint32_t throttle_errors;	/* consecutive failures that halve the rate */
	uint32_t recovery_ms;		/* failure-free interval that doubles it */
	uint32_t max_inflight;
	uint32_t timeout_ms;		/* c-ares per-try timeout */
	uint32_t tries;			/* c-ares tries per server */
};

struct nfx_rdns_stats {
	uint64_t lookups;		/* nfx_rdns_lookup() calls */
	uint64_t ineligible;		/* of those: address outside the prefix set */
	uint64_t cache_hits;		/* answered from the cache (name or negative) */
	uint64_t pending;		/* its query was still in flight */
	uint64_t queries;		/* PTR queries sent */
	uint64_t answers;		/* answers with a usable name */
	uint64_t nxdomain;		/* NXDOMAIN or no PTR record */
	uint64_t timeouts;
	uint64_t errors;		/* SERVFAIL, REFUSED, refused, malformed, bad name */
	uint64_t rate_limited;		/* query not sent: rate limit or in-flight bound */
	uint64_t throttles;		/* times the rate was halved */
	uint64_t cache_evictions;	/* live entries evicted: cache full */
	uint64_t cache_expired;		/* expired entries removed */
	uint64_t fd_overflow;		/* sockets beyond NFX_RDNS_MAX_FDS (not polled) */
	/* gauges */
	uint64_t cache_size;
	uint64_t cache_slots;		/* slots allocated */
	uint64_t inflight;
	uint64_t rate;			/* current rate limit, queries/s */
};

struct nfx_rdns;

/**
 * nfx_rdns_new() - a resolver with its cache; 0 fields of @o take defaults.
 * @return it, or NULL with errno: EINVAL (bad prefix or server), ENOMEM,
 *         EIO (c-ares could not initialise, e.g. unreadable resolv.conf).
 */
struct nfx_rdns *nfx_rdns_new(const struct nfx_rdns_opts *o);
/* Cancels what is in flight; NULL is fine. */
void nfx_rdns_free(struct nfx_rdns *r);

/**
 * nfx_rdns_lookup() - the hostname of @a, for one endpoint of a record.
 * @now_ms: the caller's clock (ms), used for TTLs and the rate limit.
 * @return @name holding the cached name (JSON-safe: printable ASCII without
 *         '"' and '\\'), or NULL: not eligible, negative, or not known yet
 *         (a query is started if allowed).
 */
const char *nfx_rdns_lookup(struct nfx_rdns *r, const struct nfx_addr *a, uint64_t now_ms,
			    char name[NFX_RDNS_NAME_MAX + 1]);
/* As nfx_rdns_lookup() but not counted in lookups/cache_hits: warms the
 * cache when a flow is first seen, long before its record is written. */
void nfx_rdns_prefetch(struct nfx_rdns *r, const struct nfx_addr *a, uint64_t now_ms);

/* 1 when @a is in the prefix set. */
int nfx_rdns_eligible(const struct nfx_rdns *r, const struct nfx_addr *a);

/**
 * nfx_rdns_fds() - the channel's sockets into @pfds[0..max-1], every slot
 * written: unused ones get fd -1 (poll() skips them).  Cheap (a copy of a
 * small array kept up to date by c-ares's socket-state callback): call it
 * before each poll() on a fixed block of NFX_RDNS_MAX_FDS slots.
 * @return the number of sockets in use.
 */
int nfx_rdns_fds(struct nfx_rdns *r, struct pollfd *pfds, int max);
/**
 * nfx_rdns_process() - read the answers on the ready sockets in @pfds (as
 * filled by nfx_rdns_fds() and returned by poll()), time out queries due,
 * adjust the rate limit, and sweep a slice of the cache.  Call it after
 * every poll() (a 100 ms tick is enough for timeouts).
 */
void nfx_rdns_process(struct nfx_rdns *r, const struct pollfd *pfds, int n, uint64_t now_ms);
/**
 * nfx_rdns_timeout_ms() - ms until nfx_rdns_process() has timeouts to
 * handle, for a poll() timeout; -1 when nothing is in flight.
 */
int nfx_rdns_timeout_ms(struct nfx_rdns *r);

/* The counters, gauges filled in. */
const struct nfx_rdns_stats *nfx_rdns_stats(struct nfx_rdns *r);

/**
 * nfx_rdns_prefix_check() - validate one @prefixes entry ("default",
 * "[!]ADDR[/LEN]"), for a configuration parser.  0 or -EINVAL.
 */
int nfx_rdns_prefix_check(const char *text);

#endif /* NFX_RDNS_H */

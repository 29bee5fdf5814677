// SPDX-License-Identifier: BSD-2-Clause
/*
 * rdns.c - reverse DNS cache and PTR queries over c-ares (see rdns.h).
 *
 * The clock is the caller's (@now_ms of lookup/process): TTLs, the token
 * bucket and the throttle all follow it, so tests drive them.  c-ares keeps
 * its own monotonic clock for query timeouts only.  Callbacks run inside
 * ares_query() (lookup) or ares_process_fd() (process); both set r->now
 * first, and neither keeps a pointer into the table across the call, since
 * a callback may insert (grow) or evict.
 */
#include <ares.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/oaht.h"
#include "enrich/rdns.h"

#define DNS_CLASS_IN	1
#define DNS_TYPE_PTR	12
#define INIT_SLOTS	1024u		/* first table size; doubles up to the bound */
#define LOAD_NUM	7		/* load factor bound 7/10 */
#define LOAD_DEN	10
#define SWEEP_MS	60000u		/* the expiry sweep passes the whole table once a minute */

/* One cache slot: 32 bytes. */
struct ent {
	uint8_t addr[16];
	char *name;			/* NULL: negative (or not answered yet) */
	uint32_t expires;		/* now_s() it expires at; 0 = empty slot */
	uint8_t pending;		/* a query is in flight for it */
	uint8_t ref;			/* used since the CLOCK hand last passed */
	uint8_t pad[2];
};

/* An outstanding query: the c-ares callback argument (stable address). */
struct inflight {
	struct nfx_rdns *r;
	uint8_t addr[16];
	int next_free;			/* -1: in use / end of free list */
};

struct prefix {
	struct nfx_prefix p;
	uint8_t exclude;		/* "!PREFIX": names not wanted there */
};

struct nfx_rdns {
	/*
	 * Worker threads look names up, the main thread reads the answers:
	 * every entry point takes the lock (uncontended, one atomic pair).
	 */
	pthread_mutex_t lock;
	ares_channel ch;
	int lib_init;			/* ares_library_init() done */
	int closing;
	uint64_t now;			/* ms, the caller's clock at the current call */
	uint64_t seed[2];

	/* cache */
	struct ent *tab;
	uint32_t mask;			/* slots - 1 */
	uint32_t size;
	uint32_t max_entries;
	uint32_t max_slots;
	uint32_t hand;			/* CLOCK eviction hand */
	uint32_t sweep_pos;
	uint64_t sweep_last;
	uint32_t ttl, neg_ttl, err_ttl;

	/* rate limit */
	uint32_t rate_max, rate_min, rate;
	uint64_t tokens;		/* milli-tokens */
	uint64_t tokens_at;		/* ms of the last refill */
	uint32_t throttle_errors;
	uint32_t consec_errors;
	uint32_t recovery_ms;
	uint64_t interval_start;	/* ms: current failure-free interval began */
	uint32_t interval_errors;

	/* in flight */
	struct inflight *inf;
	uint32_t max_inflight;
	uint32_t ninflight;
	int free_inf;

	/* sockets, kept by the c-ares socket-state callback */
	struct pollfd fds[NFX_RDNS_MAX_FDS];
	int nfds;

	struct prefix pfx[NFX_RDNS_MAX_PREFIXES];
	int npfx;

	struct nfx_rdns_stats st;
	struct nfx_rdns_stats snap;	/* what nfx_rdns_stats() returns */
};

/* ---- eligible prefixes ---- */

static const char *const default_prefixes[] = {
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7",
};

/* "[!]ADDR[/LEN]"; host bits are cleared, not refused */
static int prefix_parse(const char *text, struct prefix *p)
{
	int err;

	p->exclude = *text == '!';
	err = nfx_prefix_parse(text + p->exclude, &p->p);
	return err == -EDOM ? 0 : err ? -EINVAL : 0;
}

int nfx_rdns_prefix_check(const char *text)
{
	struct prefix p;

	if (!strcmp(text, "default"))
		return 0;
	return prefix_parse(text, &p);
}

static int prefix_add(struct nfx_rdns *r, const char *text)
{
	if (!strcmp(text, "default")) {
		for (size_t i = 0; i < sizeof(default_prefixes) / sizeof(default_prefixes[0]); i++)
			if (prefix_add(r, default_prefixes[i]))
				return -EINVAL;
		return 0;
	}
	if (r->npfx == NFX_RDNS_MAX_PREFIXES)
		return -E2BIG;
	if (prefix_parse(text, &r->pfx[r->npfx]))
		return -EINVAL;
	r->npfx++;
	return 0;
}

int nfx_rdns_eligible(const struct nfx_rdns *r, const struct nfx_addr *a)
{
	int best = -1, incl = 0;

	for (int i = 0; i < r->npfx; i++) {
		const struct prefix *p = &r->pfx[i];

		if (p->p.prefixlen > best && nfx_prefix_match(&p->p, a)) {
			best = p->p.prefixlen;
			incl = !p->exclude;
		}
	}
	return incl;
}

/* ---- the cache table ---- */

/*
 * Keyed with a random seed: flow addresses are chosen by whoever sends
 * traffic.  A full mix between the words, not nfx_oaht_step(), so that no
 * difference in one word can be cancelled by a known one in the other.
 */
static uint32_t hash(const struct nfx_rdns *r, const uint8_t *a)
{
	uint64_t lo, hi;

	memcpy(&lo, a, 8);
	memcpy(&hi, a + 8, 8);
	return (uint32_t)nfx_oaht_mix(nfx_oaht_mix(lo ^ r->seed[0]) ^ hi ^ r->seed[1]);
}

static uint32_t now_s(const struct nfx_rdns *r)
{
	/* 1 + : expires 0 means "empty slot"; Unix seconds fit until 2106 */
	return (uint32_t)(r->now / 1000) + 1;
}

static int alive(const struct nfx_rdns *r, const struct ent *e)
{
	return e->pending || e->expires > now_s(r);
}

/* The cache's slots for base/oaht.h: the table is r, a key the 16 address bytes. */
static int ent_used(const void *t, uint32_t i)
{
	return ((const struct nfx_rdns *)t)->tab[i].expires != 0;
}

static int ent_match(const void *t, uint32_t i, const void *key)
{
	return !memcmp(((const struct nfx_rdns *)t)->tab[i].addr, key, 16);
}

static uint32_t ent_hash(const void *t, uint32_t i)
{
	const struct nfx_rdns *r = t;

	return hash(r, r->tab[i].addr);
}

static void ent_move(void *t, uint32_t to, uint32_t from)
{
	struct nfx_rdns *r = t;

	r->tab[to] = r->tab[from];
}

static const struct nfx_oaht_ops ent_ops = {
	.used = ent_used, .match = ent_match, .hash = ent_hash, .move = ent_move,
};
/* where an entry not in the table goes: the first free slot from its home */
static const struct nfx_oaht_ops ent_free_ops = { .used = ent_used };

static struct ent *find(struct nfx_rdns *r, const uint8_t *a)
{
	int found;
	uint32_t i = nfx_oaht_probe(r, r->mask, hash(r, a), &ent_ops, a, &found);

	return found ? &r->tab[i] : NULL;
}

/* Backward-shift deletion: no tombstones, probe chains stay short. */
static void delete_at(struct nfx_rdns *r, uint32_t i)
{
	free(r->tab[i].name);
	i = nfx_oaht_delete(r, r->mask, i, &ent_ops);
	memset(&r->tab[i], 0, sizeof(r->tab[i]));
	r->size--;
}

/* Puts e, whose address is not in the table, in the table. */
static struct ent *place(struct nfx_rdns *r, const struct ent *e)
{
	int found;
	uint32_t i = nfx_oaht_probe(r, r->mask, hash(r, e->addr), &ent_free_ops, NULL, &found);

	r->tab[i] = *e;
	return &r->tab[i];
}

static int grow(struct nfx_rdns *r)
{
	uint32_t slots = (r->mask + 1) * 2, old_slots = r->mask + 1;
	struct ent *t = calloc(slots, sizeof(*t)), *old = r->tab;

	if (!t)
		return -ENOMEM;
	r->tab = t;
	r->mask = slots - 1;
	for (uint32_t i = 0; i < old_slots; i++)
		if (old[i].expires)
			place(r, &old[i]);
	free(old);
	r->hand = 0;
	r->sweep_pos = 0;
	return 0;
}

/* CLOCK: expired entries go first, then the first not used since the last pass. */
static int evict_one(struct nfx_rdns *r)
{
	uint32_t slots = r->mask + 1;

	for (uint32_t n = 0; n < 2 * slots + 1; n++) {
		uint32_t i = r->hand;
		struct ent *e = &r->tab[i];

		r->hand = (r->hand + 1) & r->mask;
		if (!e->expires || e->pending)
			continue;
		if (!alive(r, e)) {
			r->st.cache_expired++;
		} else if (e->ref) {
			e->ref = 0;
			continue;
		} else {
			r->st.cache_evictions++;
		}
		delete_at(r, i);
		/* what shifted into slot i has not been looked at yet */
		r->hand = i;
		return 0;
	}
	return -ENOSPC;		/* every entry in flight: cannot happen with max_inflight < max */
}

/* A new entry for @a (not in the table); NULL when it cannot be made room for. */
static struct ent *insert(struct nfx_rdns *r, const uint8_t *a)
{
	struct ent e = { .expires = 1 };

	if (r->size >= r->max_entries) {
		if (evict_one(r))
			return NULL;
	} else if ((uint64_t)(r->size + 1) * LOAD_DEN > (uint64_t)(r->mask + 1) * LOAD_NUM) {
		if (r->mask + 1 >= r->max_slots || grow(r)) {
			/* at the slot bound (or out of memory): hold the size here */
			r->max_entries = r->size;
			if (evict_one(r))
				return NULL;
		}
	}
	memcpy(e.addr, a, 16);
	r->size++;
	return place(r, &e);
}

/* Removes a slice of the table's expired entries; the whole table per SWEEP_MS. */
static void sweep(struct nfx_rdns *r)
{
	uint64_t slots = r->mask + 1, n;

	if (r->now <= r->sweep_last)
		return;
	n = slots * (r->now - r->sweep_last) / SWEEP_MS;
	if (!n)
		return;		/* too soon: wait until at least one slot is due */
	r->sweep_last = r->now;
	if (n > slots)
		n = slots;
	while (n--) {
		uint32_t i = r->sweep_pos;
		struct ent *e = &r->tab[i];

		if (e->expires && !alive(r, e)) {
			r->st.cache_expired++;
			delete_at(r, i);	/* slot i is looked at again */
			continue;
		}
		r->sweep_pos = (i + 1) & r->mask;
	}
}

/* ---- rate limit and throttle ---- */

static void limiter_update(struct nfx_rdns *r)
{
	uint64_t cap = (uint64_t)r->rate * 1000;

	if (r->now > r->tokens_at) {
		r->tokens += (r->now - r->tokens_at) * r->rate;
		r->tokens_at = r->now;
	}
	if (r->tokens > cap)
		r->tokens = cap;
	if (r->now - r->interval_start < r->recovery_ms)
		return;
	/* one failure-free interval: double the rate (recovery) */
	if (!r->interval_errors && r->rate < r->rate_max)
		r->rate = r->rate > r->rate_max / 2 ? r->rate_max : r->rate * 2;
	r->interval_start = r->now;
	r->interval_errors = 0;
}

static int limiter_take(struct nfx_rdns *r)
{
	limiter_update(r);
	if (r->tokens < 1000)
		return 0;
	r->tokens -= 1000;
	return 1;
}

static void note_result(struct nfx_rdns *r, int failed)
{
	if (!failed) {
		r->consec_errors = 0;
		return;
	}
	r->interval_errors++;
	if (++r->consec_errors < r->throttle_errors)
		return;
	r->consec_errors = 0;
	if (r->rate > r->rate_min) {
		r->rate = r->rate / 2 < r->rate_min ? r->rate_min : r->rate / 2;
		r->st.throttles++;
		if (r->tokens > (uint64_t)r->rate * 1000)
			r->tokens = (uint64_t)r->rate * 1000;
	}
	r->interval_start = r->now;	/* a failure restarts the failure-free interval */
}

/* ---- queries ---- */

/* The name kept: printable ASCII without '"' and '\\' (JSON-safe as is), no trailing dot. */
static char *clean_name(const char *s)
{
	size_t n = strlen(s);

	if (n && s[n - 1] == '.')
		n--;
	if (!n || n > NFX_RDNS_NAME_MAX)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\')
			return NULL;
	return strndup(s, n);
}

static void inflight_put(struct nfx_rdns *r, struct inflight *q)
{
	int idx = (int)(q - r->inf);

	q->next_free = r->free_inf;
	r->free_inf = idx;
	r->ninflight--;
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct inflight *q = arg;
	struct nfx_rdns *r = q->r;
	struct hostent *he = NULL;
	char *name = NULL;
	uint32_t ttl;
	int failed = 0;
	struct ent *e;
	uint8_t addr[16];

	memcpy(addr, q->addr, 16);
	inflight_put(r, q);
	if (r->closing || status == ARES_EDESTRUCTION || status == ARES_ECANCELLED)
		return;
	switch (status) {
	case ARES_SUCCESS: {
		struct nfx_addr a;
		int v4;

		memcpy(a.b, addr, 16);
		v4 = nfx_addr_is_v4(&a);
		if (ares_parse_ptr_reply(abuf, alen, v4 ? addr + 12 : addr, v4 ? 4 : 16,
					 v4 ? AF_INET : AF_INET6, &he) == ARES_SUCCESS &&
		    he->h_name)
			name = clean_name(he->h_name);
		if (he)
			ares_free_hostent(he);
		if (name) {
			r->st.answers++;
			ttl = r->ttl;
		} else {
			r->st.errors++;	/* malformed answer or a name we do not keep */
			ttl = r->neg_ttl;
		}
		break;
	}
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
		r->st.nxdomain++;
		ttl = r->neg_ttl;
		break;
	case ARES_ETIMEOUT:
		r->st.timeouts++;
		ttl = r->err_ttl;
		failed = 1;
		break;
	default:
		r->st.errors++;
		ttl = r->err_ttl;
		failed = 1;
		break;
	}
	note_result(r, failed);
	e = find(r, addr);
	if (!e)			/* evicted while in flight: it was paid for, keep it */
		e = insert(r, addr);
	if (!e) {
		free(name);
		return;
	}
	free(e->name);
	e->name = name;
	e->pending = 0;
	e->ref = 1;
	e->expires = now_s(r) + ttl;
}

static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct nfx_rdns *r = data;
	int i;

	for (i = 0; i < r->nfds; i++)
		if (r->fds[i].fd == fd)
			break;
	if (!readable && !writable) {
		if (i < r->nfds)
			r->fds[i] = r->fds[--r->nfds];
		return;
	}
	if (i == r->nfds) {
		if (r->nfds == NFX_RDNS_MAX_FDS) {
			r->st.fd_overflow++;
			return;
		}
		r->nfds++;
	}
	r->fds[i] = (struct pollfd){ .fd = fd,
				     .events = (short)((readable ? POLLIN : 0) |
						       (writable ? POLLOUT : 0)) };
}

/* "4.3.2.1.in-addr.arpa" / nibbles + ".ip6.arpa" */
static void reverse_name(const uint8_t *a, char *out)
{
	static const char hex[] = "0123456789abcdef";
	struct nfx_addr na;
	char *p = out;

	memcpy(na.b, a, 16);
	if (nfx_addr_is_v4(&na)) {
		for (int i = 15; i >= 12; i--) {
			uint8_t o = a[i];

			if (o >= 100)
				*p++ = (char)('0' + o / 100);
			if (o >= 10)
				*p++ = (char)('0' + o / 10 % 10);
			*p++ = (char)('0' + o % 10);
			*p++ = '.';
		}
		strcpy(p, "in-addr.arpa");
		return;
	}
	for (int i = 15; i >= 0; i--) {
		*p++ = hex[a[i] & 15];
		*p++ = '.';
		*p++ = hex[a[i] >> 4];
		*p++ = '.';
	}
	strcpy(p, "ip6.arpa");
}

static const char *lookup(struct nfx_rdns *r, const struct nfx_addr *a, uint64_t now_ms,
			  int count)
{
	char qname[80];
	struct inflight *q;
	struct ent *e;

	if (now_ms > r->now)
		r->now = now_ms;
	if (!nfx_rdns_eligible(r, a)) {
		r->st.ineligible += (unsigned)count;
		return NULL;
	}
	e = find(r, a->b);
	if (e && alive(r, e)) {
		e->ref = 1;
		if (e->pending) {
			r->st.pending += (unsigned)count;
			return NULL;
		}
		r->st.cache_hits += (unsigned)count;
		return e->name;
	}
	/* not cached, or expired: ask (the expired entry is reused) */
	if (r->free_inf < 0 || !limiter_take(r)) {
		r->st.rate_limited++;
		return NULL;
	}
	if (!e)
		e = insert(r, a->b);
	if (!e) {
		r->tokens += 1000;
		r->st.rate_limited++;
		return NULL;
	}
	free(e->name);
	e->name = NULL;
	e->pending = 1;
	e->ref = 1;
	q = &r->inf[r->free_inf];
	r->free_inf = q->next_free;
	q->next_free = -1;
	r->ninflight++;
	memcpy(q->addr, a->b, 16);
	reverse_name(a->b, qname);
	r->st.queries++;
	/* may call on_answer() at once (no server, send error): e is not used after */
	ares_query(r->ch, qname, DNS_CLASS_IN, DNS_TYPE_PTR, on_answer, q);
	return NULL;
}

const char *nfx_rdns_lookup(struct nfx_rdns *r, const struct nfx_addr *a, uint64_t now_ms,
			    char name[NFX_RDNS_NAME_MAX + 1])
{
	const char *found;

	pthread_mutex_lock(&r->lock);
	r->st.lookups++;
	found = lookup(r, a, now_ms, 1);
	if (found)	/* copied: the entry may go once the lock is released */
		snprintf(name, NFX_RDNS_NAME_MAX + 1, "%s", found);
	pthread_mutex_unlock(&r->lock);
	return found ? name : NULL;
}

void nfx_rdns_prefetch(struct nfx_rdns *r, const struct nfx_addr *a, uint64_t now_ms)
{
	pthread_mutex_lock(&r->lock);
	lookup(r, a, now_ms, 0);
	pthread_mutex_unlock(&r->lock);
}

/* ---- event loop ---- */

int nfx_rdns_fds(struct nfx_rdns *r, struct pollfd *pfds, int max)
{
	int n;

	pthread_mutex_lock(&r->lock);
	n = r->nfds < max ? r->nfds : max;
	for (int i = 0; i < max; i++)
		pfds[i] = i < n ? (struct pollfd){ .fd = r->fds[i].fd, .events = r->fds[i].events }
				: (struct pollfd){ .fd = -1 };
	pthread_mutex_unlock(&r->lock);
	return n;
}

void nfx_rdns_process(struct nfx_rdns *r, const struct pollfd *pfds, int n, uint64_t now_ms)
{
	pthread_mutex_lock(&r->lock);
	if (now_ms > r->now)
		r->now = now_ms;
	for (int i = 0; i < n; i++) {
		short ev = pfds[i].revents;

		if (pfds[i].fd < 0 || !ev)
			continue;
		ares_process_fd(r->ch,
				ev & (POLLIN | POLLERR | POLLHUP) ? pfds[i].fd : ARES_SOCKET_BAD,
				ev & POLLOUT ? pfds[i].fd : ARES_SOCKET_BAD);
	}
	if (r->ninflight)	/* timeouts (c-ares checks its own clock) */
		ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	limiter_update(r);
	sweep(r);
	pthread_mutex_unlock(&r->lock);
}

int nfx_rdns_timeout_ms(struct nfx_rdns *r)
{
	struct timeval tv, *t = NULL;

	pthread_mutex_lock(&r->lock);
	if (r->ninflight)
		t = ares_timeout(r->ch, NULL, &tv);
	pthread_mutex_unlock(&r->lock);
	if (!t)
		return -1;
	return (int)(t->tv_sec * 1000 + (t->tv_usec + 999) / 1000);
}

const struct nfx_rdns_stats *nfx_rdns_stats(struct nfx_rdns *r)
{
	pthread_mutex_lock(&r->lock);
	r->st.cache_size = r->size;
	r->st.cache_slots = r->mask + 1;
	r->st.inflight = r->ninflight;
	r->st.rate = r->rate;
	r->snap = r->st;
	pthread_mutex_unlock(&r->lock);
	return &r->snap;
}

/* ---- setup ---- */

#define DEF(v, d) ((v) ? (v) : (d))

struct nfx_rdns *nfx_rdns_new(const struct nfx_rdns_opts *o)
{
	struct ares_options ao = { 0 };
	struct nfx_rdns *r;
	struct timespec ts;
	int err = -ENOMEM, rc;

	r = calloc(1, sizeof(*r));
	if (!r)
		goto fail;
	pthread_mutex_init(&r->lock, NULL);
	r->ch = NULL;
	r->ttl = DEF(o->cache_ttl_s, NFX_RDNS_DEF_CACHE_TTL);
	r->neg_ttl = DEF(o->negative_ttl_s, NFX_RDNS_DEF_NEGATIVE_TTL);
	r->err_ttl = DEF(o->error_ttl_s, NFX_RDNS_DEF_ERROR_TTL);
	r->max_entries = DEF(o->max_entries, NFX_RDNS_DEF_MAX_ENTRIES);
	r->rate_max = DEF(o->rate_limit, NFX_RDNS_DEF_RATE);
	r->rate_min = DEF(o->rate_min, NFX_RDNS_DEF_RATE_MIN);
	if (r->rate_min > r->rate_max)
		r->rate_min = r->rate_max;
	r->rate = r->rate_max;
	r->tokens = (uint64_t)r->rate * 1000;
	r->throttle_errors = DEF(o->throttle_errors, NFX_RDNS_DEF_THROTTLE_ERRORS);
	r->recovery_ms = DEF(o->recovery_ms, NFX_RDNS_DEF_RECOVERY_MS);
	r->max_inflight = DEF(o->max_inflight, NFX_RDNS_DEF_MAX_INFLIGHT);
	if (r->max_entries > (1u << 30))
		r->max_entries = 1u << 30;
	if (r->max_inflight >= r->max_entries)	/* eviction needs an entry not in flight */
		r->max_inflight = r->max_entries > 1 ? r->max_entries - 1 : 1;
	if (r->max_entries < 2)
		r->max_entries = 2;
	r->max_slots = nfx_oaht_slots(((uint64_t)r->max_entries * LOAD_DEN + LOAD_NUM - 1) /
				      LOAD_NUM);

	/* prefixes */
	err = -EINVAL;
	if (o->prefixes) {
		for (size_t i = 0; i < o->nprefixes; i++)
			if (prefix_add(r, o->prefixes[i]))
				goto fail;
	} else if (prefix_add(r, "default")) {
		goto fail;
	}

	err = -ENOMEM;
	r->mask = (r->max_slots < INIT_SLOTS ? r->max_slots : INIT_SLOTS) - 1;
	r->tab = calloc(r->mask + 1, sizeof(*r->tab));
	r->inf = calloc(r->max_inflight, sizeof(*r->inf));
	if (!r->tab || !r->inf)
		goto fail;
	for (uint32_t i = 0; i < r->max_inflight; i++) {
		r->inf[i].r = r;
		r->inf[i].next_free = i + 1 < r->max_inflight ? (int)i + 1 : -1;
	}
	r->free_inf = 0;
	if (getrandom(r->seed, sizeof(r->seed), GRND_NONBLOCK) != sizeof(r->seed)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		r->seed[0] = nfx_oaht_mix((uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32));
		r->seed[1] = nfx_oaht_mix(r->seed[0] ^ (uint64_t)ts.tv_sec);
	}

	err = -EIO;
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		goto fail;
	r->lib_init = 1;
	ao.flags = ARES_FLAG_STAYOPEN;		/* no socket()/connect() per burst */
	ao.timeout = (int)DEF(o->timeout_ms, NFX_RDNS_DEF_TIMEOUT_MS);
	ao.tries = (int)DEF(o->tries, NFX_RDNS_DEF_TRIES);
	ao.sock_state_cb = on_sock_state;
	ao.sock_state_cb_data = r;
	rc = ares_init_options(&r->ch, &ao, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
					     ARES_OPT_SOCK_STATE_CB);
	if (rc != ARES_SUCCESS) {
		r->ch = NULL;
		err = rc == ARES_ENOMEM ? -ENOMEM : -EIO;
		goto fail;
	}
	if (o->server && *o->server) {
		rc = ares_set_servers_ports_csv(r->ch, o->server);
		if (rc != ARES_SUCCESS) {
			err = rc == ARES_ENOMEM ? -ENOMEM : -EINVAL;
			goto fail;
		}
	}
	return r;

fail:
	nfx_rdns_free(r);
	errno = -err;
	return NULL;
}

void nfx_rdns_free(struct nfx_rdns *r)
{
	if (!r)
		return;
	r->closing = 1;
	if (r->ch)
		ares_destroy(r->ch);	/* on_answer(ARES_EDESTRUCTION) for each */
	if (r->lib_init)
		ares_library_cleanup();
	if (r->tab)
		for (uint32_t i = 0; i <= r->mask; i++)
			free(r->tab[i].name);
	free(r->tab);
	free(r->inf);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

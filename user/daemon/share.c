// SPDX-License-Identifier: BSD-2-Clause
/*
 * share.c - the replay buffers of share.h.  Messages with templates are
 * rare (an exporter refreshes them every few seconds to minutes), so a
 * mutex, a copy and an eventfd write per message and worker cost nothing
 * on the hot path; the bound is the buffer, and what does not fit is
 * counted (templates_replay_dropped) and comes with the next refresh.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "daemon/share.h"
#include "daemon/state.h"

/* Room for a few whole 64 KiB datagrams, or a hundred typical template messages. */
#define SHARE_BYTES	(256u << 10)

struct entry {
	struct nfx_src src;
	uint32_t len;
};

#define ENTRY_ALIGN	8

static size_t entry_size(size_t len)
{
	return (sizeof(struct entry) + len + ENTRY_ALIGN - 1) & ~(size_t)(ENTRY_ALIGN - 1);
}

int nfx_share_init(struct nfx_share *s)
{
	int err;

	s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->efd < 0)
		return -errno;
	/* mapped, not touched: a buffer nobody posts to costs no memory */
	s->buf = malloc(SHARE_BYTES);
	if (!s->buf) {
		err = -ENOMEM;
		goto err_efd;
	}
	s->size = SHARE_BYTES;
	s->used = 0;
	s->dropped = 0;
	atomic_init(&s->posted, 0);
	err = -pthread_mutex_init(&s->lock, NULL);
	if (err)
		goto err_buf;
	return 0;

err_buf:
	free(s->buf);
	s->buf = NULL;
err_efd:
	close(s->efd);
	s->efd = -1;
	return err;
}

void nfx_share_free(struct nfx_share *s)
{
	if (!s->buf)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s->buf);
	s->buf = NULL;
	close(s->efd);
	s->efd = -1;
}

static void post_one(struct nfx_share *s, const struct nfx_src *src, const uint8_t *p,
		     size_t len)
{
	size_t need = entry_size(len);
	struct entry *e;

	pthread_mutex_lock(&s->lock);
	if (s->size - s->used < need) {
		s->dropped++;
		pthread_mutex_unlock(&s->lock);
		return;
	}
	e = (struct entry *)(s->buf + s->used);
	e->src = *src;
	e->len = (uint32_t)len;
	memcpy(e + 1, p, len);
	s->used += need;
	pthread_mutex_unlock(&s->lock);
	atomic_store_explicit(&s->posted, 1, memory_order_release);
	/* a full counter (never, at 2^64 - 2) only means the worker is awake already */
	(void)!write(s->efd, &(uint64_t){ 1 }, sizeof(uint64_t));
}

void nfx_share_post(struct nfx_run *r, int from, const struct nfx_src *src, const uint8_t *p,
		    size_t len)
{
	for (int i = 0; i < r->nw; i++)
		if (i != from && r->w[i].share.buf)
			post_one(&r->w[i].share, src, p, len);
}

void nfx_share_replay(struct nfx_worker *w)
{
	struct nfx_share *s = &w->share;
	uint64_t n;

	/* a plain load first: the exchange is a locked instruction, and posts are rare */
	if (!s->buf || !atomic_load_explicit(&s->posted, memory_order_relaxed) ||
	    !atomic_exchange_explicit(&s->posted, 0, memory_order_acquire))
		return;
	(void)!read(s->efd, &n, sizeof(n));
	/* the posters wait meanwhile: replays are few and short */
	pthread_mutex_lock(&s->lock);
	for (size_t off = 0; off < s->used;) {
		const struct entry *e = (const struct entry *)(s->buf + off);

		w->cur_port = e->src.dst_port;	/* the route of held records it releases */
		nfx_decode_replay(w->dec, &e->src, (const uint8_t *)(e + 1), e->len, &w->sink);
		off += entry_size(e->len);
	}
	s->used = 0;
	w->dec->stats.templates_replay_dropped += s->dropped;
	s->dropped = 0;
	pthread_mutex_unlock(&s->lock);
}

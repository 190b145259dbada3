/*
 * callerid/stir_cache.c -- the certificate cache of a verifier, shared
 * by every thread, and the waits of the callers whose certificate is
 * being fetched.
 *
 * Entries are keyed by the x5u URL (a chained hash table sized for
 * conf.cache_max) and kept on an LRU list; at capacity the least
 * recently used entry that no fetch refers to is evicted. An entry
 * holds the last result (a checked leaf, or a failure with its SIP
 * code) until ce_expires; a lookup after that starts a new fetch. Only
 * one fetch per URL runs at a time: later callers join its waiters.
 *
 * When a fetch ends (fetch thread), each wait moves to the ready list of
 * its stir_loop and the loop's eventfd is written; the loop thread then
 * calls the callbacks one by one, taking each wait off the lists under
 * the lock first, so stir_cancel() from inside a callback is safe.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "callerid/stir_int.h"

/* Callbacks run per eventfd wake-up before yielding to the loop. */
#define FIRE_BUDGET 256

int
stir_cache_init(struct stir_verifier *v)
{
	size_t n = 16;

	while (n < 2 * (size_t)v->v_conf.cache_max)
		n <<= 1;
	v->v_tab = calloc(n, sizeof(*v->v_tab));
	if (!v->v_tab)
		return ENOMEM;
	v->v_tabmask = n - 1;
	TAILQ_INIT(&v->v_lru);
	return 0;
}

static void
entry_unlink(struct stir_verifier *v, struct stir_centry *ce)
{
	struct stir_centry **pp = &v->v_tab[ce->ce_hash & v->v_tabmask];

	while (*pp && *pp != ce)
		pp = &(*pp)->ce_next;
	if (*pp)
		*pp = ce->ce_next;
	TAILQ_REMOVE(&v->v_lru, ce, ce_lru);
	v->v_count--;
}

/* Free ce and its waits (only at shutdown can it have any). */
static void
entry_free(struct stir_centry *ce)
{
	struct stir_wait *w;

	while ((w = TAILQ_FIRST(&ce->ce_waiters)) != NULL) {
		TAILQ_REMOVE(&ce->ce_waiters, w, w_link);
		TAILQ_REMOVE(&w->w_sl->sl_all, w, w_all);
		free(w);
	}
	stir_certinfo_clear(&ce->ce_info);
	free(ce->ce_url);
	free(ce);
}

void
stir_cache_fini(struct stir_verifier *v)
{
	struct stir_centry *ce;

	if (!v->v_tab)
		return;
	while ((ce = TAILQ_FIRST(&v->v_lru)) != NULL) {
		entry_unlink(v, ce);
		entry_free(ce);
	}
	free(v->v_tab);
	v->v_tab = NULL;
}

static struct stir_centry *
entry_find(struct stir_verifier *v, const char *url, uint64_t h)
{
	struct stir_centry *ce;

	for (ce = v->v_tab[h & v->v_tabmask]; ce; ce = ce->ce_next)
		if (ce->ce_hash == h && strcmp(ce->ce_url, url) == 0)
			return ce;
	return NULL;
}

/* A new empty entry for url, evicting at capacity; v_mu held. */
static int
entry_new(struct stir_verifier *v, const char *url, uint64_t h,
    struct stir_centry **cep)
{
	struct stir_centry *ce, *old;

	if (v->v_count >= v->v_conf.cache_max) {
		TAILQ_FOREACH(old, &v->v_lru, ce_lru)
		if (!old->ce_fetching)
			break;
		if (!old)
			return ENOSPC;
		entry_unlink(v, old);
		entry_free(old);
	}
	ce = calloc(1, sizeof(*ce));
	if (!ce)
		return ENOMEM;
	ce->ce_url = strdup(url);
	if (!ce->ce_url) {
		free(ce);
		return ENOMEM;
	}
	ce->ce_hash = h;
	TAILQ_INIT(&ce->ce_waiters);
	ce->ce_next = v->v_tab[h & v->v_tabmask];
	v->v_tab[h & v->v_tabmask] = ce;
	TAILQ_INSERT_TAIL(&v->v_lru, ce, ce_lru);
	v->v_count++;
	*cep = ce;
	return 0;
}

static void
info_copy(struct stir_certinfo *dst, const struct stir_certinfo *src)
{
	*dst = *src;
	if (dst->leaf)
		X509_up_ref(dst->leaf);
}

int
stir_cache_lookup(struct stir_verifier *v, const char *url, int64_t now,
    struct stir_loop *sl, stir_done_h *done, void *arg,
    struct stir_certinfo *out)
{
	uint64_t h = str_hash(str_make(url, strlen(url)));
	struct stir_centry *ce;
	struct stir_wait *w;
	bool kick = false, fresh = false;
	int err;

	memset(out, 0, sizeof(*out));
	w = calloc(1, sizeof(*w));
	if (!w)
		return ENOMEM;
	pthread_mutex_lock(&v->v_mu);
	ce = entry_find(v, url, h);
	if (ce && ce->ce_valid && ce->ce_expires > now) {
		TAILQ_REMOVE(&v->v_lru, ce, ce_lru);
		TAILQ_INSERT_TAIL(&v->v_lru, ce, ce_lru);
		info_copy(out, &ce->ce_info);
		pthread_mutex_unlock(&v->v_mu);
		free(w);
		if (out->code)
			atomic_fetch_add(&v->v_neg_hits, 1);
		else
			atomic_fetch_add(&v->v_hits, 1);
		return 0;
	}
	if (!ce) {
		err = entry_new(v, url, h, &ce);
		if (err)
			goto fail;
		fresh = true;
	}
	if (!ce->ce_fetching) {
		err = stir_fetch_submit(v, ce, now);
		if (err) {
			if (fresh) {
				entry_unlink(v, ce);
				entry_free(ce);
			}
			goto fail;
		}
		ce->ce_fetching = true;
		kick = true;
	}
	w->w_sl = sl;
	w->w_ce = ce;
	w->w_done = done;
	w->w_arg = arg;
	TAILQ_INSERT_TAIL(&ce->ce_waiters, w, w_link);
	TAILQ_INSERT_TAIL(&sl->sl_all, w, w_all);
	pthread_mutex_unlock(&v->v_mu);
	atomic_fetch_add(&v->v_misses, 1);
	if (kick)
		stir_fetch_kick(v);
	return EINPROGRESS;
fail:
	pthread_mutex_unlock(&v->v_mu);
	free(w);
	return err;
}

static void
wake(struct stir_loop *sl)
{
	uint64_t one = 1;

	/* a full counter (never in practice) still leaves it readable */
	if (write(sl->sl_efd, &one, sizeof(one)) < 0)
		return;
}

void
stir_cache_complete(struct stir_verifier *v, struct stir_centry *ce,
    struct stir_certinfo *ci, int64_t expires)
{
	struct stir_wait *w;

	pthread_mutex_lock(&v->v_mu);
	ce->ce_fetching = false;
	stir_certinfo_clear(&ce->ce_info);
	ce->ce_info = *ci;
	memset(ci, 0, sizeof(*ci));
	ce->ce_valid = true;
	ce->ce_expires = expires;
	while ((w = TAILQ_FIRST(&ce->ce_waiters)) != NULL) {
		TAILQ_REMOVE(&ce->ce_waiters, w, w_link);
		w->w_ce = NULL;
		TAILQ_INSERT_TAIL(&w->w_sl->sl_ready, w, w_link);
		wake(w->w_sl);
	}
	pthread_mutex_unlock(&v->v_mu);
}

int
stir_cache_put(struct stir_verifier *v, const char *url, const char *pem,
    size_t len, int64_t now, unsigned ttl)
{
	uint64_t h;
	struct stir_certinfo ci;
	struct stir_centry *ce;
	int err = 0;

	if (!v || !url || !pem)
		return EINVAL;
	h = str_hash(str_make(url, strlen(url)));
	stir_cert_check(v->v_roots, pem, len, now, v->v_conf.cn_lax, &ci);
	pthread_mutex_lock(&v->v_mu);
	ce = entry_find(v, url, h);
	if (!ce)
		err = entry_new(v, url, h, &ce);
	if (!err) {
		stir_certinfo_clear(&ce->ce_info);
		ce->ce_info = ci;
		memset(&ci, 0, sizeof(ci));
		ce->ce_valid = true;
		ce->ce_expires = now + (int64_t)ttl;
	}
	pthread_mutex_unlock(&v->v_mu);
	stir_certinfo_clear(&ci);
	return err;
}

void
stir_cache_flush(struct stir_verifier *v)
{
	struct stir_centry *ce, *next;

	pthread_mutex_lock(&v->v_mu);
	for (ce = TAILQ_FIRST(&v->v_lru); ce; ce = next) {
		next = TAILQ_NEXT(ce, ce_lru);
		if (ce->ce_fetching)
			continue;
		entry_unlink(v, ce);
		entry_free(ce);
	}
	pthread_mutex_unlock(&v->v_mu);
}

/* ---- stir_loop ---------------------------------------------------------- */

static void
sl_event(int fd, unsigned events, void *arg)
{
	struct stir_loop *sl = arg;
	struct stir_verifier *v = sl->sl_v;
	struct stir_wait *w;
	unsigned budget = FIRE_BUDGET;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	while (budget--) {
		pthread_mutex_lock(&v->v_mu);
		w = TAILQ_FIRST(&sl->sl_ready);
		if (w) {
			TAILQ_REMOVE(&sl->sl_ready, w, w_link);
			TAILQ_REMOVE(&sl->sl_all, w, w_all);
		}
		pthread_mutex_unlock(&v->v_mu);
		if (!w)
			return;
		w->w_done(w->w_arg);
		free(w);
	}
	/* more are ready: come back on the next iteration */
	pthread_mutex_lock(&v->v_mu);
	if (!TAILQ_EMPTY(&sl->sl_ready))
		wake(sl);
	pthread_mutex_unlock(&v->v_mu);
}

int
stir_loop_alloc(struct stir_loop **slp, struct stir_verifier *v, struct loop *l)
{
	struct stir_loop *sl;
	int err;

	if (!slp || !v || !l)
		return EINVAL;
	sl = calloc(1, sizeof(*sl));
	if (!sl)
		return ENOMEM;
	sl->sl_v = v;
	sl->sl_loop = l;
	TAILQ_INIT(&sl->sl_ready);
	TAILQ_INIT(&sl->sl_all);
	sl->sl_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sl->sl_efd < 0) {
		err = errno;
		free(sl);
		return err;
	}
	err = loop_fd_add(l, sl->sl_efd, LOOP_READ, sl_event, sl);
	if (err) {
		close(sl->sl_efd);
		free(sl);
		return err;
	}
	*slp = sl;
	return 0;
}

/* Remove w from every list; v_mu held. */
static void
wait_drop(struct stir_loop *sl, struct stir_wait *w)
{
	TAILQ_REMOVE(&sl->sl_all, w, w_all);
	if (w->w_ce)
		TAILQ_REMOVE(&w->w_ce->ce_waiters, w, w_link);
	else
		TAILQ_REMOVE(&sl->sl_ready, w, w_link);
	free(w);
}

void
stir_cancel(struct stir_loop *sl, void *arg)
{
	struct stir_wait *w, *next;

	if (!sl)
		return;
	pthread_mutex_lock(&sl->sl_v->v_mu);
	for (w = TAILQ_FIRST(&sl->sl_all); w; w = next) {
		next = TAILQ_NEXT(w, w_all);
		if (w->w_arg == arg)
			wait_drop(sl, w);
	}
	pthread_mutex_unlock(&sl->sl_v->v_mu);
}

void
stir_loop_free(struct stir_loop *sl)
{
	struct stir_wait *w;

	if (!sl)
		return;
	pthread_mutex_lock(&sl->sl_v->v_mu);
	while ((w = TAILQ_FIRST(&sl->sl_all)) != NULL)
		wait_drop(sl, w);
	pthread_mutex_unlock(&sl->sl_v->v_mu);
	loop_fd_del(sl->sl_loop, sl->sl_efd);
	close(sl->sl_efd);
	free(sl);
}

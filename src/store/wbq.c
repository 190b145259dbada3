/*
 * store/wbq.c -- the write-behind queue (see wbq.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "core/log.h"
#include "store/wbq.h"

/*
 * Group commit: the writer, woken by the first change of a batch, waits
 * this long for more before it writes them in one transaction. Under
 * load that is one wake-up and one commit per WBQ_LINGER_MS instead of
 * one per change (each a context switch for the hot path's core and a
 * database transaction); a crash loses at most this much more of the
 * write-behind state. wbq_sync() and wbq_stop() cut it short.
 */
#define WBQ_LINGER_MS 10

struct wbq {
	const char *name;
	struct store *s;
	wbq_apply_h *apply;
	wbq_tick_h *tick;
	unsigned tick_ms;
	void *arg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* work arrived, or stop */
	pthread_cond_t idle; /* a batch was written */
	struct wbq_op *head, *tail;
	unsigned syncing; /* wbq_sync() callers waiting: no linger */
	bool stop;
	bool busy;
};

static void
write_batch(struct wbq *q, struct wbq_op *batch)
{
	struct wbq_op *op;
	bool txn = store_begin(q->s) == 0;

	if (!txn)
		log_warn("%s: store: %s", q->name, store_errmsg(q->s));
	for (op = batch; op; op = op->next)
		if (q->apply(q->s, op, q->arg))
			log_warn("%s: store: %s", q->name, store_errmsg(q->s));
	if (txn && store_commit(q->s)) /* rolled back already */
		log_warn("%s: store commit: %s", q->name, store_errmsg(q->s));
	while (batch) {
		op = batch->next;
		free(batch);
		batch = op;
	}
}

static void
deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static bool
past(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec ||
	    (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static void *
writer_main(void *arg)
{
	struct wbq *q = arg;
	struct timespec next, linger;

	if (q->tick_ms)
		deadline(&next, q->tick_ms);
	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct wbq_op *batch;
		bool tick = false;

		while (!q->head && !q->stop) {
			if (!q->tick_ms) {
				pthread_cond_wait(&q->cv, &q->mu);
				continue;
			}
			if (pthread_cond_timedwait(&q->cv, &q->mu, &next) ==
			    ETIMEDOUT) {
				tick = true;
				break;
			}
		}
		if (!q->head && q->stop)
			break;
		/* Group commit; pushes meanwhile do not signal (head set). */
		deadline(&linger, WBQ_LINGER_MS);
		while (q->head && !q->stop && !q->syncing &&
		    pthread_cond_timedwait(&q->cv, &q->mu, &linger) !=
			ETIMEDOUT)
			;
		/* A queue never empty at the wait still ticks on time. */
		if (q->tick_ms && !tick && past(&next))
			tick = true;
		batch = q->head;
		q->head = q->tail = NULL;
		q->busy = true;
		pthread_mutex_unlock(&q->mu);
		if (batch)
			write_batch(q, batch);
		if (tick) {
			q->tick(q->s, q->arg);
			deadline(&next, q->tick_ms);
		}
		pthread_mutex_lock(&q->mu);
		q->busy = false;
		pthread_cond_broadcast(&q->idle);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

int
wbq_start(struct wbq **qp, const char *name, struct store *s,
    wbq_apply_h *apply, wbq_tick_h *tick, unsigned tick_ms, void *arg)
{
	struct wbq *q;
	pthread_condattr_t ca;
	int err;

	q = calloc(1, sizeof(*q));
	if (!q) {
		store_close(s);
		return ENOMEM;
	}
	q->name = name;
	q->s = s;
	q->apply = apply;
	q->tick = tick;
	q->tick_ms = tick ? tick_ms : 0;
	q->arg = arg;
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&q->idle, NULL);
	if ((err = pthread_create(&q->thread, NULL, writer_main, q))) {
		pthread_mutex_destroy(&q->mu);
		pthread_cond_destroy(&q->cv);
		pthread_cond_destroy(&q->idle);
		store_close(s);
		free(q);
		return err;
	}
	*qp = q;
	return 0;
}

void
wbq_push(struct wbq *q, struct wbq_op *op)
{
	if (!q) {
		free(op);
		return;
	}
	op->next = NULL;
	pthread_mutex_lock(&q->mu);
	/*
	 * Wake the writer only for the first op of a batch: it takes the
	 * whole list, and it looks at the list again before it sleeps.
	 */
	if (q->tail)
		q->tail->next = op;
	else {
		q->head = op;
		pthread_cond_signal(&q->cv);
	}
	q->tail = op;
	pthread_mutex_unlock(&q->mu);
}

void
wbq_sync(struct wbq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->syncing++;
	pthread_cond_signal(&q->cv); /* cut a linger short */
	while (q->head || q->busy)
		pthread_cond_wait(&q->idle, &q->mu);
	q->syncing--;
	pthread_mutex_unlock(&q->mu);
}

void
wbq_stop(struct wbq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	store_close(q->s);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	pthread_cond_destroy(&q->idle);
	free(q);
}

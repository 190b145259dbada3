/*
 * store/wbq.h -- a write-behind queue: the hot path hands changes to a
 * writer thread that owns its own store connection and writes each
 * batch in one transaction. Pushing never blocks on the database. The
 * writer gathers a batch for a few milliseconds after its first change
 * (group commit: one wake-up and one transaction for many changes).
 *
 * A change is any struct that begins with struct wbq_op, allocated by
 * the producer with malloc; the writer applies it with the queue's
 * "apply" callback and frees it. Every "tick" ms (0: never) the writer
 * also calls "tick" (polling for commands and the like) with the same
 * store connection.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_STORE_WBQ_H
#define CENTINELA_STORE_WBQ_H

#include "store/store.h"

struct wbq_op {
	struct wbq_op *next;
};

/* Apply one change; return 0 or an errno value (logged). */
typedef int(wbq_apply_h)(struct store *s, struct wbq_op *op, void *arg);
typedef void(wbq_tick_h)(struct store *s, void *arg);

struct wbq;

/*
 * Start a writer named "name" (for log lines) on store "s", which the
 * queue owns from now on (closed by wbq_stop, also on failure).
 */
int wbq_start(struct wbq **qp, const char *name, struct store *s,
    wbq_apply_h *apply, wbq_tick_h *tick, unsigned tick_ms, void *arg);
/* Queue "op" (freed by the queue). NULL queue: op is freed. */
void wbq_push(struct wbq *q, struct wbq_op *op);
/* Wait until everything pushed so far is written. */
void wbq_sync(struct wbq *q);
/* Write what is queued, stop the thread, close the store. */
void wbq_stop(struct wbq *q);

#endif /* CENTINELA_STORE_WBQ_H */

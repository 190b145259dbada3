/*
 * core/event.c -- event counting, logging and fan-out.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/event.h"
#include "core/log.h"

#define EVENT_MAX_SUBS 8

static const char *const ev_names[] = {
#define EVENT_NAME(e, n) n,
	EVENT_LIST(EVENT_NAME)
#undef EVENT_NAME
};

static _Atomic uint64_t ev_counts[EV__COUNT][REASON__COUNT];
static struct {
	event_h *h;
	void *arg;
} subs[EVENT_MAX_SUBS];
static unsigned nsubs;

/* Log lines per second and thread; the rest are counted only. */
#define EVENT_LOG_BUDGET 200
static _Thread_local uint64_t budget_sec;
static _Thread_local unsigned budget_used;

static bool
budget_ok(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	if ((uint64_t)ts.tv_sec != budget_sec) {
		budget_sec = (uint64_t)ts.tv_sec;
		budget_used = 0;
	}
	return budget_used++ < EVENT_LOG_BUDGET;
}

const char *
event_name(enum event_type t)
{
	return (unsigned)t < EV__COUNT ? ev_names[t] : "?";
}

int
event_subscribe(event_h *h, void *arg)
{
	if (nsubs == EVENT_MAX_SUBS)
		return ENOSPC;
	subs[nsubs].h = h;
	subs[nsubs].arg = arg;
	nsubs++;
	return 0;
}

void
event_unsubscribe(event_h *h, void *arg)
{
	unsigned i;

	for (i = 0; i < nsubs; i++)
		if (subs[i].h == h && subs[i].arg == arg) {
			subs[i] = subs[--nsubs];
			return;
		}
}

uint64_t
event_count(enum event_type t, enum reason r)
{
	if ((unsigned)t >= EV__COUNT || (unsigned)r >= REASON__COUNT)
		return 0;
	return atomic_load_explicit(&ev_counts[t][r], memory_order_relaxed);
}

void
event_emit(const struct event *ev)
{
	enum log_level lv;
	unsigned i;

	if ((unsigned)ev->type >= EV__COUNT ||
	    (unsigned)ev->reason >= REASON__COUNT)
		return;
	atomic_fetch_add_explicit(
	    &ev_counts[ev->type][ev->reason], 1, memory_order_relaxed);
	lv = ev->type == EV_AUTH_FAILED || ev->type == EV_BAN ||
		ev->type == EV_UNBAN || ev->type == EV_TRIGGER ||
		ev->type == EV_SHADOW ?
	    LOGL_INFO :
	    LOGL_DEBUG;
	if (log_enabled(lv) && budget_ok()) {
		char a[SA_STRLEN];
		struct log_fields f = { .event = event_name(ev->type),
			.src = ev->src ? sa_fmt(ev->src, a, sizeof(a)) : NULL,
			.tp = ev->tp,
			.method = ev->method,
			.call_id = ev->call_id,
			.user = ev->user,
			.reason = ev->reason };

		if (ev->detail.len)
			log_event(lv, &f, "%.*s", STR_FMT(ev->detail));
		else
			log_event(lv, &f, "%s", "");
	}
	for (i = 0; i < nsubs; i++)
		subs[i].h(ev, subs[i].arg);
}

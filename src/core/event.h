/*
 * core/event.h -- events: verdicts and notable facts, decoupled from the
 * code that produces them.
 *
 * A producer fills a struct event and calls event_emit(). Every event
 * is counted (centinela_events_total{event,reason}) and written as a log
 * line (failures at info, successes at debug, under the log budget of
 * the caller's thread); subscribers (the ban ladder, later) get a
 * synchronous call on the producer's thread and must not block. All
 * views in the event live only for the call.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_EVENT_H
#define CENTINELA_CORE_EVENT_H

#include <stdint.h>

#include "core/reason.h"
#include "core/str.h"
#include "net/sa.h"

/* X(enum, "name") -- stable names: append, never rename. */
#define EVENT_LIST(X)                            \
	X(EV_AUTH_OK, "auth_ok")                 \
	X(EV_AUTH_FAILED, "auth_failed")         \
	X(EV_REGISTER, "register")               \
	X(EV_UNREGISTER, "unregister")           \
	X(EV_BINDING_EXPIRED, "binding_expired") \
	X(EV_BAN, "ban")                         \
	X(EV_UNBAN, "unban")                     \
	X(EV_STRIKE, "strike")                   \
	X(EV_TRIGGER, "trigger")                 \
	X(EV_SHADOW, "shadow")

enum event_type {
#define EVENT_ENUM(e, n) e,
	EVENT_LIST(EVENT_ENUM)
#undef EVENT_ENUM
	EV__COUNT
};

struct event {
	enum event_type type;
	enum reason reason; /* sub-reason (auth_failed), else REASON_NONE */
	const struct sa *src; /* may be NULL */
	const char *tp; /* "udp", "tcp", "tls" or NULL */
	struct str user; /* "user@domain" */
	struct str method;
	struct str call_id;
	struct str detail; /* e.g. the contact; free text */
};

typedef void(event_h)(const struct event *ev, void *arg);

/* Add a subscriber (at start-up, before events flow). 0 or ENOSPC. */
int event_subscribe(event_h *h, void *arg);
/* Remove a subscriber (at shutdown, after events stopped). */
void event_unsubscribe(event_h *h, void *arg);
void event_emit(const struct event *ev);
const char *event_name(enum event_type t);
/* How many events of "t" with sub-reason "r" were emitted. */
uint64_t event_count(enum event_type t, enum reason r);

#endif /* CENTINELA_CORE_EVENT_H */

/*
 * guard/watch.h -- per-source counters behind the triggers: request
 * rate (token bucket, before parsing), failed authentications (per
 * source and per source + user name), user-name enumeration and
 * malformed-message bursts. A trigger that fires emits an event and,
 * when its action says so, strikes the source on the ban ladder.
 *
 * Counters live in a fixed-size 4-way set-associative table of
 * guard.max_sources 64-byte records keyed by the source's range (an
 * IPv4 address, an IPv6 /guard.ipv6_prefix): a flood from many
 * addresses evicts the least recently seen, it never grows memory.
 * Keyed hashing keeps sources from choosing their set. Worker-thread
 * only (no locks).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_GUARD_WATCH_H
#define CENTINELA_GUARD_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cfg.h"
#include "core/event.h"
#include "guard/ban.h"
#include "net/sa.h"

struct watch;

int watch_alloc(struct watch **wp, const struct cfg *cfg, struct ban *ban);
void watch_free(struct watch *w);

/*
 * One request (datagram or stream message) from "src" of "role" at
 * "now_ms" (monotonic). false: over the rate cap, drop it (the
 * trigger has fired; with action "ban" the source is banned).
 */
bool watch_flood(struct watch *w, const struct sa *src, enum peer_role role,
    uint64_t now_ms);
/* A message from "src" that did not parse or failed the sanity guard. */
void watch_malformed(struct watch *w, const struct sa *src);
/* Feed an event (auth_ok, auth_failed): the event bus subscriber. */
void watch_event(const struct event *ev, void *arg);

/* Distinct user names estimated for "src" in the current window. */
unsigned watch_users(struct watch *w, const struct sa *src);

#endif /* CENTINELA_GUARD_WATCH_H */

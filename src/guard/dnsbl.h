/*
 * guard/dnsbl.h -- DNS blocklists, asynchronously (c-ares on the
 * worker's event loop), cached.
 *
 * For a source address the configured zones are queried at once
 * (reversed octets or nibbles + zone, an A record; RFC 5782). The
 * verdict is cached per address for the smallest TTL of the answers
 * (NXDOMAIN: the SOA minimum, else 300 s; at least 10 s, at most 1 d).
 * A request waits (the guard returns PENDING) until every zone has
 * answered or dnsbl.timeout passed; then "done" is called on the loop
 * thread. Timeouts and errors count as listed when fail = "closed".
 * Never blocks: a lookup either answers from the cache or starts the
 * queries.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_GUARD_DNSBL_H
#define CENTINELA_GUARD_DNSBL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cfg.h"
#include "core/loop.h"
#include "net/sa.h"

struct dnsbl;

/* The verdict for one address across the zones. */
struct dnsbl_verdict {
	bool listed; /* at least one zone with action != GA_LOG listed it */
	enum guard_action action; /* the strongest action of the zones */
	int zone; /* index into cfg->guard.dnsbl of that zone, or -1 */
	uint32_t answer; /* the A record (e.g. 127.0.0.2), host order */
	bool failed; /* timeout or error (then listed = fail_closed) */
	unsigned ntags; /* zones with action GA_LOG that listed it */
};

typedef void(dnsbl_done_h)(const struct dnsbl_verdict *v, void *arg);

/* Allocate for the zones of gc on loop l. 0 or an errno value. */
int dnsbl_alloc(struct dnsbl **dp, struct loop *l, const struct cfg_guard *gc);
void dnsbl_free(struct dnsbl *d);

/*
 * Look "addr" up for a source of role "role" (only zones whose roles
 * include it). Returns true with *v filled when the answer is known
 * now (cached, or no zone applies); false when queries are running:
 * done(v, arg) will be called exactly once later, unless
 * dnsbl_cancel(d, arg) is called first.
 */
bool dnsbl_check(struct dnsbl *d, const struct sa *addr, enum peer_role role,
    struct dnsbl_verdict *v, dnsbl_done_h *done, void *arg);
/* Forget every pending callback with this arg. */
void dnsbl_cancel(struct dnsbl *d, void *arg);

/* Counters for metrics: queries sent, cache hits, listed, failed. */
struct dnsbl_stats {
	uint64_t queries, hits, listed, failed;
};
void dnsbl_stats(const struct dnsbl *d, struct dnsbl_stats *st);

#endif /* CENTINELA_GUARD_DNSBL_H */

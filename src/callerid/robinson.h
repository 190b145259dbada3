/*
 * callerid/robinson.h -- the Lista Robinson HTTP lookup: the
 * Adigital API asked asynchronously from the worker's event loop, with
 * a cache.
 *
 * The caller hashes the called number (number_robinson_hash(n, "04"))
 * and asks robinson_check(). A cached answer comes back at once; a miss
 * queues the hash, and the queue is sent on the next loop iteration as
 * POST requests whose body is the comma-separated hashes, at most
 * batch_max per request (the official client, adigital-org/slr-client,
 * sends 20). The answer is a JSON object keyed by hash, each value
 * {"found": true|false, ...}. A hash missing from the answer, a
 * non-2xx status, a body that is not such JSON, a transport error or
 * callerid.robinson.timeout make that lookup CID_ROB_FAILED; what to do
 * with a failure (callerid.robinson.fail) is the caller's business.
 *
 * Requests are signed with AWS SigV4 (libcurl's CURLOPT_AWS_SIGV4,
 * "aws:amz:REGION:SERVICE", in the Authorization header) when an access
 * key is given. Concurrent checks of one hash share its lookup; CLEAR
 * and LISTED answers are cached for callerid.robinson.cache seconds,
 * at most cache_max of them (the oldest go first); FAILED answers are
 * never cached. At most inflight_max requests run at once: a check
 * that would need another one fails at once.
 *
 * Everything runs on the loop thread given to robinson_alloc(): the
 * curl multi handle's sockets are loop fds and its timeouts a loop
 * timer (curl resolves names in its own threads), so nothing blocks.
 * Environment proxies are ignored; redirects are not followed.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CALLERID_ROBINSON_H
#define CENTINELA_CALLERID_ROBINSON_H

#include <stdbool.h>
#include <stdint.h>

#include "callerid/rules.h"
#include "core/cfg.h"
#include "core/loop.h"

#define ROBINSON_ENV_KEY "CENTINELA_ROBINSON_KEY"
#define ROBINSON_ENV_SECRET "CENTINELA_ROBINSON_SECRET"
#define ROBINSON_BATCH_LIMIT 100 /* the most hashes one request may carry */

struct robinson;

/*
 * What the configuration does not carry. The strings are copied by
 * robinson_alloc(); the secret is wiped when the lookup is freed.
 */
struct robinson_opts {
	const char *key_id; /* AWS access key id; NULL or "" = unsigned */
	const char *secret; /* AWS secret access key */
	const char *region; /* "eu-west-1" */
	const char *service; /* "execute-api" */
	unsigned batch_max; /* hashes per request, 1..ROBINSON_BATCH_LIMIT */
	unsigned inflight_max; /* requests running at once */
	unsigned cache_max; /* answers kept */
};

/*
 * The defaults (region eu-west-1, service execute-api, 20 hashes per
 * request, 64 requests in flight, 100000 answers cached) and the
 * credentials from the environment variables CENTINELA_ROBINSON_KEY
 * and CENTINELA_ROBINSON_SECRET (both set, or neither is used). The
 * strings point into the environment: use "o" before changing it.
 */
void robinson_opts_default(struct robinson_opts *o);

/*
 * Allocate a lookup on loop "l" for c->robinson_url (http:// or
 * https://), c->robinson_timeout (ms per request, 0 = 1000) and
 * c->robinson_cache (s an answer is kept, 0 = not cached). "o" NULL
 * means robinson_opts_default(). Returns 0, EINVAL (no or bad URL,
 * a key without a secret, a limit out of range) or ENOMEM.
 */
int robinson_alloc(struct robinson **rp, struct loop *l,
    const struct cfg_callerid *c, const struct robinson_opts *o);
/* Free, with the requests still running; pending callbacks are dropped. */
void robinson_free(struct robinson *r);

typedef void(robinson_done_h)(enum cid_robinson out, void *arg);

/*
 * Is the number whose Robinson hash is "hash_hex" (64 hex digits, any
 * case) listed? Returns true with *out set when the answer is known
 * now: a cached CID_ROB_CLEAR or CID_ROB_LISTED, CID_ROB_FAILED when
 * the lookup cannot start (bad hash, too many requests in flight, no
 * memory), or CID_ROB_UNCHECKED when "r" is NULL. Returns false when a
 * lookup runs: done(out, arg) is called exactly once later, on the
 * loop thread and never from inside this call, unless
 * robinson_cancel(r, arg) comes first. "done" NULL only starts (or
 * joins) the lookup. A callback may call robinson_check() and
 * robinson_cancel(), not robinson_free().
 */
bool robinson_check(struct robinson *r, const char *hash_hex,
    enum cid_robinson *out, robinson_done_h *done, void *arg);
/* Forget every pending callback with this arg; the lookups go on. */
void robinson_cancel(struct robinson *r, void *arg);

/*
 * Counters for metrics: checks asked, answered from the cache, hashes
 * sent to the API, HTTP requests, answers LISTED, lookups FAILED
 * (including those that failed at once).
 */
struct robinson_stats {
	uint64_t checks, hits, queries, requests, listed, failed;
};
void robinson_stats(const struct robinson *r, struct robinson_stats *st);

#endif /* CENTINELA_CALLERID_ROBINSON_H */

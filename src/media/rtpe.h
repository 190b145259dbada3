/*
 * media/rtpe.h -- an asynchronous client of rtpengine's "ng" control
 * protocol: UDP datagrams "COOKIE SP bencoded-dictionary", the reply
 * carrying the same cookie.
 *
 * Everything runs on one event loop and nothing blocks: a command is
 * sent, re-sent every "timeout" ms up to "retries" times (rtpengine
 * answers a repeated cookie from its cache, so a retransmission is
 * harmless), then, when the caller allows it, tried on the next
 * configured instance; the caller's callback runs exactly once with
 * the reply or the error, unless the caller cancels first. Replies are
 * accepted only from the address the command went to and only with a
 * cookie of ours (random, per command).
 *
 * Instances do not share calls: once a call was offered to one
 * instance, its answer and delete must go to the same one, so the
 * caller pins the instance (the reply says which one answered).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_MEDIA_RTPE_H
#define CENTINELA_MEDIA_RTPE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cfg_media.h"
#include "core/loop.h"
#include "core/str.h"

/* Largest command and reply (a UDP datagram). */
#define RTPE_MAX_MSG 65507
/* Commands in flight at once; beyond: EBUSY. */
#define RTPE_MAX_PENDING 4096

struct rtpe;

/*
 * The outcome of a command. err: 0 (a reply came: "dict" is the whole
 * reply dictionary, "result" its "result" value -- "ok", "error",
 * "pong" -- and "error_reason" its "error-reason", possibly empty),
 * ETIMEDOUT (no instance answered), EBADMSG (a reply that is not a
 * dictionary with a result). "inst" is the instance that answered or
 * was tried last. Views are valid during the callback only.
 */
struct rtpe_reply {
	int err;
	unsigned inst;
	struct str dict;
	struct str result;
	struct str error_reason;
};

typedef void(rtpe_done_h)(const struct rtpe_reply *rep, void *arg);

/*
 * Open the client: one UDP socket per address family of the
 * configured instances, registered on "l". Returns 0, EINVAL (no
 * instance configured) or an errno value of socket(2)/loop_fd_add.
 */
int rtpe_alloc(struct rtpe **rp, struct loop *l, const struct cfg_media *cfg);
/* Close it; pending commands are dropped without their callbacks. */
void rtpe_free(struct rtpe *r);

/* Number of configured instances. */
unsigned rtpe_count(const struct rtpe *r);
/*
 * The instance a new call should go to: the one picked by "hash" among
 * those that answered lately (all of them when none did).
 */
unsigned rtpe_pick(const struct rtpe *r, uint64_t hash);

/*
 * Send command "dict" (one encoded dictionary) to instance "inst"; with
 * "failover", move on to the other instances when it does not answer.
 * "done" (may be NULL: fire and forget, still re-sent) is called once
 * later with "arg". Returns 0, EINVAL (inst out of range, dict too big),
 * EBUSY (RTPE_MAX_PENDING in flight) or ENOMEM; on error "done" is
 * never called.
 */
int rtpe_send(struct rtpe *r, unsigned inst, bool failover, struct str dict,
    rtpe_done_h *done, void *arg);
/* Forget every command whose arg is "arg"; their callbacks never run. */
void rtpe_cancel(struct rtpe *r, const void *arg);
/* Commands in flight (for tests and the metrics). */
unsigned rtpe_pending(const struct rtpe *r);

/* Counters since start (any thread may read them). */
struct rtpe_stats {
	uint64_t sent; /* datagrams, retransmissions included */
	uint64_t replies; /* accepted replies */
	uint64_t timeouts; /* commands no instance answered */
	uint64_t errors; /* replies with result "error" */
	uint64_t bad_replies; /* unparsable or unexpected datagrams */
};
void rtpe_stats(const struct rtpe *r, struct rtpe_stats *st);

#endif /* CENTINELA_MEDIA_RTPE_H */

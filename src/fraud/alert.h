/*
 * fraud/alert.h -- the alert router: alerts raised by the fraud rules
 * (and anything else) go, by severity, to the configured channels
 * (core/cfg_alerts.h): a webhook (JSON POST signed with HMAC-SHA256),
 * e-mail over SMTP, syslog.
 *
 * alert_raise() never blocks on disk or network: it takes a mutex held
 * only for queue operations, de-duplicates and rate-limits in memory,
 * queues the alert and wakes the router's thread. That one thread owns
 * a store connection of its own and a libcurl multi handle: it writes
 * each queued alert with one delivery row per channel whose "min" the
 * severity reaches (store_alert_add(), before any attempt), sends
 * syslog at once, and runs the webhook and e-mail deliveries
 * concurrently. A delivery that fails (a transport error, a webhook
 * answer other than 2xx, an SMTP error) stays pending and is retried
 * with exponential back-off (retry_base doubled per attempt, capped at
 * retry_max, each delay drawn in [d/2, d]) until it succeeds or the
 * alert is older than max_age, when it is marked failed and logged.
 *
 * Because the deliveries are in the store before their first attempt,
 * a receiver that is down loses nothing, and neither does a restart:
 * alert_router_stop() writes what is still queued in memory, hands
 * back the deliveries it was attempting, and the next router started on
 * the same store (this process or another) sends whatever is pending.
 * Several routers may share one store (the daemon and "centinelactl
 * alerts test"): a delivery is taken with a lease (store_alert_dlv_claim)
 * so it is attempted by one router at a time. The guarantee is
 * at-least-once: a router killed after a receiver accepted a delivery
 * but before the store recorded it sends it again after the lease
 * (a receiver de-duplicates by the alert id, which every channel
 * carries).
 *
 * Alert ids are "al-" and 20 lower-case Crockford base32 digits: 48
 * bits of the millisecond time then 48 random bits, so ids sort by
 * time. Text is sanitised when raised: invalid UTF-8 becomes '?',
 * control characters a space (the text keeps its newlines and tabs),
 * over-long fields are cut at a character boundary.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_FRAUD_ALERT_H
#define CENTINELA_FRAUD_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "core/cfg.h"

#define ALERT_ID_MAX 24 /* "al-" + 20 digits + NUL */
#define ALERT_RULE_MAX 64 /* bytes incl. NUL (STORE_ALERT_RULE_MAX) */

enum alert_sev {
	ALERT_INFO = 0,
	ALERT_WARNING = 1,
	ALERT_CRITICAL = 2
};

/* "info", "warning", "critical" ("?" for anything else). */
const char *alert_sev_name(enum alert_sev sev);
/* The inverse; 0 or EINVAL. */
int alert_sev_parse(const char *s, enum alert_sev *sev);

struct alert_router;

/* Counters since the start (a consistent copy). */
struct alert_stats {
	uint64_t raised; /* queued, summaries included */
	uint64_t duplicates; /* EALREADY */
	uint64_t limited; /* EAGAIN */
	uint64_t delivered; /* deliveries done, syslog included */
	uint64_t retried; /* attempts that failed, to be retried */
	uint64_t failed; /* deliveries given up (max_age) */
	uint64_t store_errors; /* store calls that failed */
};

/*
 * Start a router on cfg->alerts and cfg->store_uri: read the channels'
 * secrets (environment variables, files), open the store, start the
 * thread. "cfg" is copied; the caller may free it. On failure returns
 * EINVAL (a secret missing or empty, a NULL argument), ENOMEM, EIO
 * (the store), or a pthread error, with a one-line message in "err"
 * (may be NULL); *rp is then untouched.
 */
int alert_router_start(
    struct alert_router **rp, const struct cfg *cfg, char *err, size_t errlen);

/*
 * Write what is queued, hand back the deliveries in flight (pending,
 * due at once), stop the thread, release everything. NULL is a no-op.
 * Blocks for at most about one store round trip per queued batch.
 */
void alert_router_stop(struct alert_router *r);

/*
 * Raise an alert; thread-safe, never blocks on I/O. "rule" (what raised
 * it: a rule or reason name) must be 1 to ALERT_RULE_MAX - 1 bytes;
 * "subject" (what it is about: a number, an account, an address) and
 * "text" (free text, may span lines) may be NULL. "id" (may be NULL)
 * receives the alert's id.
 *
 * Returns 0 (queued; id filled), EALREADY (the same severity, rule and
 * subject were raised less than "dedup" ago: counted against the
 * original, whose id is filled), EAGAIN (more than rate.max alerts in
 * the current window of rate.per: suppressed and counted; when the
 * window ends one summary alert "N alerts suppressed" is raised with
 * the highest severity suppressed; id is ""), EINVAL (bad argument),
 * ENOMEM.
 */
int alert_raise(struct alert_router *r, enum alert_sev sev, const char *rule,
    const char *subject, const char *text, char id[ALERT_ID_MAX]);

/*
 * Wait until every alert raised before the call is in the store, at
 * most timeout_ms. Returns 0, ETIMEDOUT (the store is down or slow),
 * EINVAL.
 */
int alert_router_sync(struct alert_router *r, unsigned timeout_ms);

void alert_router_stats(struct alert_router *r, struct alert_stats *st);

#endif /* CENTINELA_FRAUD_ALERT_H */

/*
 * fraud/fraud.h -- the toll-fraud rules engine: per account and per
 * customer trunk, count what calls do over sliding windows, compare
 * with the configured warning and critical levels, and decide what a
 * new call gets (pass, 503 cap, 403 reject, suspend the account).
 *
 * The engine is pure: no socket, no timer, no store. The caller gives
 * the time of every call (unix seconds, so tests inject a clock), asks
 * fraud_call_start() for a decision before routing an INVITE, and
 * reports the end of every call it let through with fraud_call_end()
 * (the dialog table's end callback). Alerts go out through a callback;
 * suspending an account in the store is the caller's business (the
 * engine returns FRAUD_SUSPEND, and refuses the account's later calls
 * itself until fraud_subject_resume()).
 *
 * Subjects. A call has up to two subjects: its account ("user@domain",
 * as authenticated) and its customer trunk (the peers[] name). The
 * rules of "defaults" apply to both; an account or trunk entry of the
 * configuration replaces the rules it names. A call is refused when
 * any rule of any subject refuses it; only a call that passes is
 * counted (calls, numbers, concurrency); minutes and cost are counted
 * at its end. Subjects live in a hash table of at most max_subjects;
 * a new subject beyond that evicts the least recently used one that
 * has no call up (counted, logged on the 1st and every 1000th).
 *
 * Windows and their resets (see fraud/window.h for the slide):
 *   calls_per_minute   12 buckets of 5 s: a call counts for 55-60 s
 *   calls_per_hour     60 buckets of 1 min: for 59-60 min
 *   calls_per_day      24 buckets of 1 h: for 23-24 h
 *   minutes_/cost_per_hour  12 buckets of 5 min, added at the call's end
 *   minutes_/cost_per_day   24 buckets of 1 h, added at the call's end
 *   concurrent         +1 when a call passes, -1 at its end, exactly
 *                      once (a handle that cannot end twice); never
 *                      below 0
 *   distinct_numbers_per_hour  the last 64 distinct numbers (32-bit
 *                      hash + minute): exact up to 64 numbers (but for
 *                      a 32-bit hash collision, ~n^2 / 2^33); a number
 *                      leaves in the 60th minute after it was last
 *                      called (minute stamps)
 *   same_number_in_a_row  run of calls to one number; another number,
 *                      or an hour without calling it, starts a new run
 *   first_use_classes  classes the subject ever called
 *   baseline           calls per hour of the week (168 slots, UTC),
 *                      exponentially weighted (1/4 per week), learned
 *                      as each hour ends; an unseen slot never fires
 *   alerts             one per subject, rule and level per
 *                      alert_interval (the first one opens the interval)
 *
 * Persistence. fraud_subject_export() writes a subject's whole state
 * but its calls up (every window, the numbers, the run, classes used,
 * baseline, alert state, suspension) as a fixed-size blob, and
 * fraud_subject_import() puts it back, so a restart keeps every count:
 * the windows slide on from the times they hold. Write-behind: every
 * subject whose persistent state changed (a call counted or ended, a
 * suspension or resume, an hour learned, an alert state) is on a dirty
 * list that fraud_subject_dirty() lists and clears, without a scan of
 * all subjects; an evicted subject leaves it. fraud_blob_info() reads
 * a stored blob without an engine.
 *
 * Threads: one engine belongs to one thread (no locks).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_FRAUD_FRAUD_H
#define CENTINELA_FRAUD_FRAUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cfg_fraud.h"
#include "core/reason.h"
#include "core/str.h"

struct dest_table;
struct fraud;
struct fraud_callref;

enum fraud_kind {
	FRAUD_ACCOUNT = 0,
	FRAUD_TRUNK
};

/* Ordered: a stronger verdict wins. */
enum fraud_verdict {
	FRAUD_PASS = 0,
	FRAUD_CAP, /* 503 + Retry-After */
	FRAUD_REJECT, /* 403 with the reason code */
	FRAUD_SUSPEND /* 403, and suspend the call's account */
};

const char *fraud_verdict_name(enum fraud_verdict v);

struct fraud_call {
	struct str account; /* "user@domain"; empty: no account */
	struct str trunk; /* customer peer name; empty: none */
	struct str called; /* E.164 digits, no '+' */
	int64_t now; /* unix seconds */
};

struct fraud_decision {
	enum fraud_verdict vd;
	enum reason reason; /* the deciding rule; REASON_NONE: no rule hit */
	enum fraud_level level; /* highest level reached (shadow included) */
	unsigned retry_after; /* s, for FRAUD_CAP */
	enum fraud_kind subject; /* whose rule decided */
	bool shadow; /* a rule in shadow mode would have refused the call */
	unsigned dclass; /* destination class of the called number */
	const char *detail; /* static text of the reason */
};

/* What an alert says; every pointer lives only for the callback. */
struct fraud_alert {
	enum fraud_level level;
	enum reason reason; /* the rule's code, e.g. FRAUD-CPM */
	enum fraud_rule rule;
	enum fraud_kind kind;
	struct str name; /* the subject's key: "100@x" or "acme" */
	const char *subject; /* "account 100@x", "trunk acme" */
	const char *text; /* "31 calls in the last minute (critical 30)" */
	unsigned actions; /* FRAUD_ACT_* taken (shadow: log/alert only) */
	bool shadow;
	int64_t at;
};

typedef void(fraud_alert_h)(const struct fraud_alert *a, void *arg);

/*
 * A new engine for the rules of "c" (copied: c may go away) and the
 * destination table "dt" (NULL: c->dest; kept, must outlive the engine;
 * it must have the classes c was checked against). Loads the time
 * zones of the hours rules (see fraud/tzoff.h: call it at start-up or
 * reload, not while other threads read the time zone). "alert" may be
 * NULL. Returns 0, EINVAL (table missing or not matching) or ENOMEM.
 */
int fraud_alloc(struct fraud **fp, const struct cfg_fraud *c,
    const struct dest_table *dt, fraud_alert_h *alert, void *arg);
/* Frees everything, call handles included. */
void fraud_free(struct fraud *f);

/*
 * New rules for a running engine (reload): subjects and their counters
 * stay, each under its new rules. Same arguments and errors as
 * fraud_alloc(); on error nothing changed.
 */
int fraud_reconfigure(
    struct fraud *f, const struct cfg_fraud *c, const struct dest_table *dt);

/*
 * Decide on a new call: every rule of every subject of "call" is
 * evaluated; "d" gets the strongest verdict of the levels reached
 * (shadow rules and the global shadow mode only log and alert).
 * Alerts and log lines are raised here. When d->vd is FRAUD_PASS the
 * call is counted and *refp is a handle the caller must give back to
 * fraud_call_end() exactly once (the engine owns its memory); else
 * *refp is NULL. Returns 0 (d filled), EINVAL (bad arguments, a time
 * before 1970-01-02), ENOSPC (max_dialogs calls up, or no subject could
 * be evicted: d says FRAUD_CAP with REASON_OVERLOAD) or ENOMEM.
 */
int fraud_call_start(struct fraud *f, const struct fraud_call *call,
    struct fraud_decision *d, struct fraud_callref **refp);

/*
 * The end of a call that passed: its minutes (answered_s .. ended_s,
 * answered_s = 0 when never answered) and estimated cost are added at
 * ended_s, and it stops counting as concurrent. "ref" is invalid
 * afterwards. A ref that was already ended is counted and ignored.
 */
void fraud_call_end(struct fraud *f, struct fraud_callref *ref,
    int64_t answered_s, int64_t ended_s);

/*
 * The persistent state of a subject: everything but its calls up
 * (after a restart nothing is up), as a blob of FRAUD_BLOB_SIZE bytes,
 * version 2, every number little-endian, arrays in bucket order
 * (bucket = absolute bucket number % count; a head is the absolute
 * number of the newest bucket, 0 for a window never moved):
 *
 *   offset  bytes  field
 *        0      4  magic "CNFR"
 *        4      1  version, 2
 *        5      1  suspended: 0 or 1 (always 0 for a trunk)
 *        6      2  0
 *        8      8  classes ever called (bit = class id)
 *       16      4  last counted call, unix s (0: none)
 *       20      4  start of the alert interval, unix s
 *       24      4  alerts sent (bit rule * 2 + level - 1)
 *       28      4  same number: hash of the number of the run
 *       32      4  same number: unix s of its last call
 *       36      2  same number: calls in the run
 *       38      2  baseline: hours learned (saturating)
 *       40     16  heads: minute (5 s), hour (1 min), hour (5 min),
 *                  day (1 h), 4 bytes each
 *       56     48  calls in the minute, 12 x 4
 *      104    240  calls in the hour, 60 x 4
 *      344     48  call seconds in the hour, 12 x 4
 *      392     48  cost x 10^4 in the hour, 12 x 4
 *      440     96  calls in the day, 24 x 4
 *      536     96  call seconds in the day, 24 x 4
 *      632     96  cost x 10^4 in the day, 24 x 4
 *      728    256  distinct numbers: hashes, 64 x 4
 *      984    128  distinct numbers: minute stamps, 64 x 2 (0: empty)
 *     1112    336  baseline: calls x 16 per hour of the week, 168 x 2
 *     1448     21  baseline: slots seen, bit per hour of the week
 *
 * export: 0, ENOENT (not tracked), ENOSPC (cap too small).
 * import: creates the subject if needed, or overwrites the persistent
 * state of the one there (its calls up stay); it does not mark the
 * subject dirty. 0, EINVAL (wrong length, magic, version or flag
 * bytes, or a state the engine cannot produce: the table is then
 * unchanged), ENOSPC (no subject could be evicted), ENOMEM.
 */
#define FRAUD_BLOB_SIZE 1469
int fraud_subject_export(struct fraud *f, enum fraud_kind kind, struct str name,
    void *buf, size_t cap, size_t *len);
int fraud_subject_import(struct fraud *f, enum fraud_kind kind, struct str name,
    const void *buf, size_t len);

/* Lift the engine's suspension of an account. 0 or ENOENT. */
int fraud_subject_resume(struct fraud *f, struct str account);

/* What the engine holds about one subject, windows moved to "now". */
struct fraud_subject_info {
	uint32_t active; /* calls up */
	uint32_t refs; /* handles holding the subject */
	uint64_t calls_minute, calls_hour, calls_day;
	unsigned distinct_hour;
	unsigned same_run;
	uint64_t secs_hour, secs_day;
	uint64_t cost_hour_e4, cost_day_e4;
	uint64_t classes_used; /* bit = class id */
	bool suspended;
	unsigned baseline_x16; /* usual calls in this hour of the week x16 */
	bool baseline_seen;
	unsigned hours_learned;
	unsigned alerted; /* bit (rule * 2 + level - 1) per alert sent */
};
/* 0 or ENOENT. */
int fraud_subject_info(struct fraud *f, enum fraud_kind kind, struct str name,
    int64_t now, struct fraud_subject_info *out);

/* Every tracked subject (e.g. to export them at shutdown). */
typedef void(fraud_subject_h)(enum fraud_kind kind, struct str name, void *arg);
void fraud_subject_each(struct fraud *f, fraud_subject_h *h, void *arg);

/*
 * Every subject whose persistent state changed since it was last
 * listed here, each once, clearing the mark; h may call
 * fraud_subject_export(). "name" lives for the callback. Changes are
 * calls counted or ended, suspension and resume, alert state, and
 * hours of the baseline learned when windows move (a decision, a
 * call's end, or fraud_subject_info()). A subject changed again
 * inside h is listed next time; an evicted one is never listed.
 */
void fraud_subject_dirty(struct fraud *f, fraud_subject_h *h, void *arg);

/*
 * What a blob says, windows moved to "now" (as fraud_subject_info;
 * active and refs 0), for tools that read a stored blob without an
 * engine. 0 or EINVAL (as fraud_subject_import() refuses it).
 */
int fraud_blob_info(
    const void *buf, size_t len, int64_t now, struct fraud_subject_info *out);

struct fraud_stats {
	uint64_t subjects; /* tracked now */
	uint64_t evictions;
	uint64_t evict_failed; /* no subject without calls up to evict */
	uint64_t calls_active; /* handles not ended */
	uint64_t decisions[4]; /* per enum fraud_verdict */
	uint64_t shadowed; /* calls a shadow rule would have refused */
	uint64_t hits; /* rule levels reached */
	uint64_t alerts; /* alert callbacks */
	uint64_t suppressed; /* hits not alerted again (alert_interval) */
	uint64_t end_twice; /* fraud_call_end on an ended handle */
	uint64_t bytes; /* memory held */
	uint64_t subject_bytes; /* of which: one subject, key excluded */
};
void fraud_stats(const struct fraud *f, struct fraud_stats *st);

#endif /* CENTINELA_FRAUD_FRAUD_H */

/*
 * fraud/fraud_int.h -- what the files of the fraud engine share: the
 * subject's layout, the rule sets built from the configuration, the
 * engine, and the functions that pass between them. Nothing outside
 * src/fraud/fraud*.c includes it.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_FRAUD_FRAUD_INT_H
#define CENTINELA_FRAUD_FRAUD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "fraud/fraud.h"

struct tzoff;

#define FR_MIN_N 12 /* calls per minute: 12 x 5 s */
#define FR_MIN_W 5
#define FR_HOUR_N 60 /* calls per hour: 60 x 1 min */
#define FR_HOUR_W 60
#define FR_H5_N 12 /* minutes and cost per hour: 12 x 5 min */
#define FR_H5_W 300
#define FR_DAY_N 24 /* per day: 24 x 1 h */
#define FR_DAY_W 3600
#define FR_DN_MAX 64 /* distinct numbers remembered */
#define FR_DN_AGE 60 /* minutes a number stays */
#define FR_DN_MOD \
	65535u /* minute stamps: (minute % FR_DN_MOD) + 1; 0 = empty */
#define FR_SEQ_GAP 3600 /* s without calling a number ends its run */
#define FR_WEEK 168
#define FR_FOLD_MAX (4 * FR_WEEK) /* idle hours learned as zero at most */
#define FR_CHUNK 256 /* call handles per allocation */
#define FR_EVICT_LOG_EVERY 1000
#define FR_T_MIN 86400 /* earliest time accepted */
#define FR_SUBJ_KEY_MAX 1024

/*
 * A subject (an account or a trunk). Every window of every rule is a
 * fixed array here, whatever the rules say, so a reload can switch a
 * rule on without losing what was counted, and the memory per subject
 * is one known figure (fraud_stats().subject_bytes, 1528 bytes on
 * x86-64, + the key).
 *
 * Everything but hnext, lru, dirty_link, hash, refs, active, set, kind,
 * dirty, keylen and key is the persistent state: the blob of
 * fraud_subject_export() carries it whole (fraud_subject.c lists it).
 */
struct fraud_subj {
	struct fraud_subj *hnext;
	TAILQ_ENTRY(fraud_subj) lru;
	LIST_ENTRY(fraud_subj) dirty_link; /* on f->dirty while dirty */
	uint64_t hash;
	uint32_t refs; /* call handles pointing here */
	uint32_t active; /* calls up */
	uint32_t set; /* rule set index */
	uint32_t last_call; /* unix s of the last counted call; 0 none */
	uint32_t alert_at; /* unix s the current alert interval opened */
	uint32_t alerted; /* bit rule * 2 + level - 1 */
	uint8_t kind;
	uint8_t suspended;
	uint16_t keylen;
	uint16_t seq_run;
	uint16_t bl_hours; /* hours learned, saturating */
	uint32_t seq_hash;
	uint32_t seq_at;
	uint64_t used; /* classes ever called */
	uint32_t min_head;
	uint32_t hour_head;
	uint32_t h5_head;
	uint32_t day_head;
	uint32_t min_calls[FR_MIN_N];
	uint32_t hour_calls[FR_HOUR_N];
	uint32_t h5_secs[FR_H5_N];
	uint32_t h5_cost[FR_H5_N];
	uint32_t day_calls[FR_DAY_N];
	uint32_t day_secs[FR_DAY_N];
	uint32_t day_cost[FR_DAY_N];
	uint32_t dn_hash[FR_DN_MAX];
	uint16_t dn_min[FR_DN_MAX];
	uint16_t bl[FR_WEEK]; /* usual calls in the hour x 16 */
	uint8_t bl_seen[(FR_WEEK + 7) / 8];
	uint8_t dirty; /* on f->dirty (or being listed) */
	char key[];
};

struct fraud_callref {
	struct fraud_subj *s[2]; /* account, trunk; NULL when none */
	struct fraud_callref *next; /* free list */
	uint16_t dclass;
	uint8_t live;
};

struct fraud_chunk {
	struct fraud_chunk *next;
	struct fraud_callref refs[FR_CHUNK];
};

/* A merged rule set (defaults + one override) and its time zone. */
struct fraud_rset {
	struct cfg_fraud_rules r;
	const struct tzoff *tz; /* NULL: UTC */
};

/* Override key -> rule set, open addressing. */
struct fraud_ovr {
	uint64_t hash;
	char *key; /* NULL: empty slot */
	size_t keylen;
	uint8_t kind;
	uint32_t set;
};

/* What a configuration builds; swapped whole on reload. */
struct fraud_rules {
	const struct dest_table *dt;
	bool shadow;
	unsigned max_subjects;
	unsigned max_dialogs;
	unsigned retry_after;
	unsigned alert_interval;
	struct fraud_rset *sets;
	unsigned nsets;
	struct fraud_ovr *map;
	unsigned mapsz;
	struct tzoff **tzs;
	unsigned ntz;
	size_t bytes;
};

TAILQ_HEAD(fraud_subj_list, fraud_subj);
/* All zero is an empty list: the calloc'd engine needs no init. */
LIST_HEAD(fraud_dirty_list, fraud_subj);

struct fraud {
	struct fraud_rules ru;
	fraud_alert_h *alert;
	void *arg;
	struct fraud_subj **buckets;
	unsigned nbuckets;
	struct fraud_subj_list lru;
	struct fraud_dirty_list dirty; /* persistent state changed */
	unsigned nsubj;
	struct fraud_chunk *chunks;
	unsigned nchunks;
	struct fraud_callref *free_refs;
	unsigned live_refs;
	size_t subj_bytes;
	struct fraud_stats st;
};

/* One level reached by one rule of one subject. */
struct fraud_hit {
	struct fraud_subj *s;
	const struct fraud_rset *rs;
	enum fraud_rule rule;
	enum fraud_level level;
	uint64_t value;
	uint64_t thr;
};

/* --- rule sets (fraud/fraud_rules.c) --- */

/* The subject table's hash of a key of one kind. */
uint64_t fraud_key_hash(unsigned kind, const char *s, size_t len);
/*
 * Build the rule sets of "c" (defaults merged into each account and
 * trunk entry), the override map and the time zones. 0, EINVAL (the
 * table does not have c's classes) or ENOMEM; nothing kept on error.
 */
int fraud_rules_build(struct fraud_rules *ru, const struct cfg_fraud *c,
    const struct dest_table *dt);
void fraud_rules_clear(struct fraud_rules *ru);
/* The rule set of a subject: its own entry, "user@" (any domain), or 0. */
uint32_t fraud_rules_set_for(
    const struct fraud_rules *ru, unsigned kind, const char *key, size_t len);

/* --- subjects (fraud/fraud_subject.c) --- */

size_t fraud_subj_size(size_t keylen);
struct fraud_subj *fraud_subj_find(
    struct fraud *f, unsigned kind, struct str key, uint64_t h);
/*
 * Find or create a subject (most recently used now), evicting the least
 * recently used one without calls up when the table is full. 0, EINVAL
 * (key too long), ENOSPC (nothing evictable) or ENOMEM.
 */
int fraud_subj_get(
    struct fraud *f, unsigned kind, struct str key, struct fraud_subj **sp);
/*
 * Move every window of "s" to "now" (learning the hours that ended).
 * Returns true when it learned an hour of the baseline: the caller
 * marks the subject dirty (the subject may live outside an engine).
 */
bool fraud_subj_advance(struct fraud_subj *s, int64_t now);
/*
 * Put "s" on the engine's dirty list (once) because its persistent
 * state changed; fraud_subject_dirty() lists and clears it.
 */
void fraud_subj_dirty(struct fraud *f, struct fraud_subj *s);
/* Distinct numbers now (after advance); *present: "h" is among them. */
unsigned fraud_subj_distinct(
    const struct fraud_subj *s, uint32_t h, bool *present);
void fraud_subj_distinct_add(struct fraud_subj *s, uint32_t h, int64_t now);
/* Seconds until "need" distinct numbers have aged out. */
unsigned fraud_subj_distinct_expiry(
    const struct fraud_subj *s, int64_t now, uint64_t need);

/* --- evaluation (fraud/fraud_eval.c) --- */

/* Evaluate every rule of one subject; hits appended, returns the count. */
unsigned fraud_eval(struct fraud *f, struct fraud_subj *s, int64_t now,
    unsigned cls, uint32_t nh, struct fraud_hit *hits);
/* Retry-After of a capping hit, s. */
unsigned fraud_eval_retry(
    const struct fraud *f, const struct fraud_hit *h, int64_t now);
/* Log and alert one hit, once per subject, rule, level and interval. */
void fraud_eval_report(struct fraud *f, const struct fraud_hit *h,
    unsigned acts, bool shadow, struct str called, unsigned cls, int64_t now);

#endif /* CENTINELA_FRAUD_FRAUD_INT_H */

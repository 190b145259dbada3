/*
 * fraud/fraud_subject.c -- the subjects of the fraud engine: a keyed
 * hash table bounded by max_subjects with LRU eviction of subjects
 * without calls up, the windows of each subject and how they slide,
 * the distinct-number set, the learned baseline, the persistent state
 * as a versioned blob, and the list of subjects whose persistent state
 * changed (for write-behind).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "fraud/fraud_int.h"
#include "fraud/window.h"

size_t
fraud_subj_size(size_t keylen)
{
	return sizeof(struct fraud_subj) + keylen + 1;
}

static void
subj_unlink(struct fraud *f, struct fraud_subj *s)
{
	struct fraud_subj **pp = &f->buckets[s->hash & (f->nbuckets - 1)];

	while (*pp && *pp != s)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = s->hnext;
	TAILQ_REMOVE(&f->lru, s, lru);
	/* Gone from the dirty list too: its state is lost anyway. */
	if (s->dirty)
		LIST_REMOVE(s, dirty_link);
	f->nsubj--;
	f->subj_bytes -= fraud_subj_size(s->keylen);
	free(s);
}

struct fraud_subj *
fraud_subj_find(struct fraud *f, unsigned kind, struct str key, uint64_t h)
{
	struct fraud_subj *s;

	for (s = f->buckets[h & (f->nbuckets - 1)]; s; s = s->hnext)
		if (s->hash == h && s->kind == kind && s->keylen == key.len &&
		    memcmp(s->key, key.s, key.len) == 0)
			return s;
	return NULL;
}

/* Make room for one subject: evict the least recently used idle one. */
static int
evict_one(struct fraud *f)
{
	unsigned tries = f->nsubj;

	while (tries-- > 0) {
		struct fraud_subj *s = TAILQ_LAST(&f->lru, fraud_subj_list);

		if (!s)
			break;
		if (s->refs == 0) {
			f->st.evictions++;
			if (f->st.evictions == 1 ||
			    f->st.evictions % FR_EVICT_LOG_EVERY == 0)
				log_warn("fraud: %llu subjects evicted so far "
					 "(max_subjects %u reached); last: %s "
					 "%.*s",
				    (unsigned long long)f->st.evictions,
				    f->ru.max_subjects,
				    s->kind == FRAUD_ACCOUNT ? "account" :
							       "trunk",
				    (int)s->keylen, s->key);
			subj_unlink(f, s);
			return 0;
		}
		/* Calls are up: keep it, look further. */
		TAILQ_REMOVE(&f->lru, s, lru);
		TAILQ_INSERT_HEAD(&f->lru, s, lru);
	}
	f->st.evict_failed++;
	return ENOSPC;
}

/* Find or create the subject, most recently used now. */
int
fraud_subj_get(
    struct fraud *f, unsigned kind, struct str key, struct fraud_subj **sp)
{
	uint64_t h = fraud_key_hash(kind, key.s, key.len);
	struct fraud_subj *s = fraud_subj_find(f, kind, key, h);
	int err;

	if (s) {
		TAILQ_REMOVE(&f->lru, s, lru);
		TAILQ_INSERT_HEAD(&f->lru, s, lru);
		*sp = s;
		return 0;
	}
	if (key.len > FR_SUBJ_KEY_MAX)
		return EINVAL;
	while (f->nsubj >= f->ru.max_subjects)
		if ((err = evict_one(f)) != 0)
			return err;
	s = calloc(1, fraud_subj_size(key.len));
	if (!s)
		return ENOMEM;
	s->hash = h;
	s->kind = (uint8_t)kind;
	s->keylen = (uint16_t)key.len;
	memcpy(s->key, key.s, key.len);
	s->set = fraud_rules_set_for(&f->ru, kind, s->key, key.len);
	s->hnext = f->buckets[h & (f->nbuckets - 1)];
	f->buckets[h & (f->nbuckets - 1)] = s;
	TAILQ_INSERT_HEAD(&f->lru, s, lru);
	f->nsubj++;
	f->subj_bytes += fraud_subj_size(key.len);
	*sp = s;
	return 0;
}

/* --- windows ------------------------------------------------------- */

static uint16_t
dn_stamp(int64_t now)
{
	return (uint16_t)((uint64_t)(now / 60) % FR_DN_MOD + 1);
}

static unsigned
dn_age(uint16_t cur, uint16_t st)
{
	return (unsigned)((cur + FR_DN_MOD - st) % FR_DN_MOD);
}

static void
bl_fold(struct fraud_subj *s, uint32_t abs_hour, uint32_t calls)
{
	unsigned slot =
	    (abs_hour + 72) % FR_WEEK; /* 1970-01-01 was a Thursday */
	int32_t x = calls >= 4095 ? 65535 : (int32_t)calls * 16, b;

	if (!(s->bl_seen[slot / 8] & (1u << (slot % 8)))) {
		s->bl[slot] = (uint16_t)x;
		s->bl_seen[slot / 8] |= (uint8_t)(1u << (slot % 8));
	} else {
		b = s->bl[slot];
		b += (x - b) / 4;
		s->bl[slot] = (uint16_t)b;
	}
	if (s->bl_hours < UINT16_MAX)
		s->bl_hours++;
}

/* Move every window of "s" to "now"; true when the baseline learned. */
bool
fraud_subj_advance(struct fraud_subj *s, int64_t now)
{
	struct win_span sp;
	uint32_t hb = (uint32_t)(now / FR_DAY_W);
	uint16_t cur = dn_stamp(now);
	bool learned = false;
	unsigned i;

	sp = win_advance(&s->min_head, (uint32_t)(now / FR_MIN_W), FR_MIN_N);
	win_zero(s->min_calls, sizeof(uint32_t), FR_MIN_N, sp);
	sp = win_advance(&s->hour_head, (uint32_t)(now / FR_HOUR_W), FR_HOUR_N);
	win_zero(s->hour_calls, sizeof(uint32_t), FR_HOUR_N, sp);
	sp = win_advance(&s->h5_head, (uint32_t)(now / FR_H5_W), FR_H5_N);
	win_zero(s->h5_secs, sizeof(uint32_t), FR_H5_N, sp);
	win_zero(s->h5_cost, sizeof(uint32_t), FR_H5_N, sp);
	if (s->day_head && hb > s->day_head) {
		uint32_t h = s->day_head, k;

		bl_fold(s, h, s->day_calls[h % FR_DAY_N]);
		for (k = 1; k < hb - h && k <= FR_FOLD_MAX; k++)
			bl_fold(s, h + k, 0);
		learned = true;
	}
	sp = win_advance(&s->day_head, hb, FR_DAY_N);
	win_zero(s->day_calls, sizeof(uint32_t), FR_DAY_N, sp);
	win_zero(s->day_secs, sizeof(uint32_t), FR_DAY_N, sp);
	win_zero(s->day_cost, sizeof(uint32_t), FR_DAY_N, sp);
	/*
	 * Numbers older than an hour go. After a quiet hour every stamp is
	 * stale, which also keeps stamps from wrapping (45 days) unseen.
	 */
	if (!s->last_call || now - (int64_t)s->last_call >= FR_DN_AGE * 60)
		memset(s->dn_min, 0, sizeof(s->dn_min));
	else
		for (i = 0; i < FR_DN_MAX; i++)
			if (s->dn_min[i] &&
			    dn_age(cur, s->dn_min[i]) >= FR_DN_AGE)
				s->dn_min[i] = 0;
	if (s->seq_run && now - (int64_t)s->seq_at >= FR_SEQ_GAP)
		s->seq_run = 0;
	return learned;
}

/* Distinct numbers now (after advance) and whether "h" is among them. */
unsigned
fraud_subj_distinct(const struct fraud_subj *s, uint32_t h, bool *present)
{
	unsigned i, n = 0;

	*present = false;
	for (i = 0; i < FR_DN_MAX; i++)
		if (s->dn_min[i]) {
			n++;
			if (s->dn_hash[i] == h)
				*present = true;
		}
	return n;
}

void
fraud_subj_distinct_add(struct fraud_subj *s, uint32_t h, int64_t now)
{
	uint16_t cur = dn_stamp(now);
	unsigned i, slot = FR_DN_MAX, oldest = 0, oage = 0;

	for (i = 0; i < FR_DN_MAX; i++) {
		if (s->dn_min[i] && s->dn_hash[i] == h) {
			s->dn_min[i] = cur;
			return;
		}
		if (!s->dn_min[i]) {
			if (slot == FR_DN_MAX)
				slot = i;
		} else if (dn_age(cur, s->dn_min[i]) >= oage) {
			oage = dn_age(cur, s->dn_min[i]);
			oldest = i;
		}
	}
	if (slot == FR_DN_MAX)
		slot = oldest; /* full: the oldest number goes */
	s->dn_hash[slot] = h;
	s->dn_min[slot] = cur;
}

/* Seconds until "need" distinct numbers have aged out. */
unsigned
fraud_subj_distinct_expiry(
    const struct fraud_subj *s, int64_t now, uint64_t need)
{
	uint16_t cur = dn_stamp(now);
	unsigned ages[FR_DN_MAX], n = 0, i, j;
	int64_t left;

	for (i = 0; i < FR_DN_MAX; i++)
		if (s->dn_min[i]) {
			unsigned a = dn_age(cur, s->dn_min[i]);

			for (j = n; j > 0 && ages[j - 1] < a; j--)
				ages[j] = ages[j - 1];
			ages[j] = a;
			n++;
		}
	if (need == 0 || n == 0)
		return 1;
	if (need > n)
		need = n;
	left = (int64_t)(FR_DN_AGE - ages[need - 1]) * 60 - now % 60;
	return left < 1 ? 1 : (unsigned)left;
}

/* --- dirty list ---------------------------------------------------- */

void
fraud_subj_dirty(struct fraud *f, struct fraud_subj *s)
{
	if (s->dirty)
		return;
	s->dirty = 1;
	LIST_INSERT_HEAD(&f->dirty, s, dirty_link);
}

void
fraud_subject_dirty(struct fraud *f, fraud_subject_h *h, void *arg)
{
	struct fraud_dirty_list todo = LIST_HEAD_INITIALIZER(todo);
	struct fraud_subj *s;

	if (!f || !h)
		return;
	/*
	 * Take the list first (reversed: the oldest mark first), so that a
	 * subject changed again by h is listed next time, not twice now.
	 * A subject stays marked until its turn: changed meanwhile, it is
	 * not put back on f->dirty; evicted meanwhile, subj_unlink()
	 * takes it off "todo".
	 */
	while ((s = LIST_FIRST(&f->dirty)) != NULL) {
		LIST_REMOVE(s, dirty_link);
		LIST_INSERT_HEAD(&todo, s, dirty_link);
	}
	while ((s = LIST_FIRST(&todo)) != NULL) {
		LIST_REMOVE(s, dirty_link);
		s->dirty = 0;
		h((enum fraud_kind)s->kind, str_make(s->key, s->keylen), arg);
	}
}

/* --- persistence --------------------------------------------------- */

/*
 * The blob (layout in fraud/fraud.h): an 8-byte header, then every
 * field of BLOB_FIELDS in this order, each element little-endian in
 * its own width. This one list drives the encoder, the decoder, the
 * copy into a subject and the size check; a new persistent field
 * goes here (and into a new blob version).
 */
static const unsigned char blob_magic[4] = { 'C', 'N', 'F', 'R' };
#define BLOB_VERSION 2
#define BLOB_HDR 8

/* clang-format off */
#define SUBJ_M(m) (((struct fraud_subj *)0)->m)
#define BLOB_FIELDS(ONE, ARR)						\
	ONE(used)		/*    8 */				\
	ONE(last_call)		/*   16 */				\
	ONE(alert_at)		/*   20 */				\
	ONE(alerted)		/*   24 */				\
	ONE(seq_hash)		/*   28 */				\
	ONE(seq_at)		/*   32 */				\
	ONE(seq_run)		/*   36 */				\
	ONE(bl_hours)		/*   38 */				\
	ONE(min_head)		/*   40 */				\
	ONE(hour_head)		/*   44 */				\
	ONE(h5_head)		/*   48 */				\
	ONE(day_head)		/*   52 */				\
	ARR(min_calls)		/*   56 */				\
	ARR(hour_calls)		/*  104 */				\
	ARR(h5_secs)		/*  344 */				\
	ARR(h5_cost)		/*  392 */				\
	ARR(day_calls)		/*  440 */				\
	ARR(day_secs)		/*  536 */				\
	ARR(day_cost)		/*  632 */				\
	ARR(dn_hash)		/*  728 */				\
	ARR(dn_min)		/*  984 */				\
	ARR(bl)			/* 1112 */				\
	ARR(bl_seen)		/* 1448 .. 1469 */
#define BLOB_ONE(m)	{ offsetof(struct fraud_subj, m),		\
			  sizeof(SUBJ_M(m)), 1 },
#define BLOB_ARR(m)	{ offsetof(struct fraud_subj, m),		\
			  sizeof(SUBJ_M(m)[0]),				\
			  sizeof(SUBJ_M(m)) / sizeof(SUBJ_M(m)[0]) },
#define BLOB_SIZEOF(m)	+ sizeof(SUBJ_M(m))
/* clang-format on */

struct blob_field {
	size_t off; /* in struct fraud_subj */
	unsigned esize; /* bytes per element: 1, 2, 4 or 8 */
	unsigned n; /* elements */
};

static const struct blob_field blob_fields[] = { BLOB_FIELDS(
    BLOB_ONE, BLOB_ARR) };

#define BLOB_NFIELDS (sizeof(blob_fields) / sizeof(blob_fields[0]))

_Static_assert(
    BLOB_HDR BLOB_FIELDS(BLOB_SIZEOF, BLOB_SIZEOF) == FRAUD_BLOB_SIZE,
    "FRAUD_BLOB_SIZE does not match BLOB_FIELDS");
_Static_assert(2 * FRAUD__NRULES <= 32, "alerted holds 2 bits per rule");

static uint64_t
elem_get(const struct fraud_subj *s, const struct blob_field *bf, unsigned i)
{
	const void *p = (const char *)s + bf->off + (size_t)i * bf->esize;

	switch (bf->esize) {
	case 1:
		return *(const uint8_t *)p;
	case 2:
		return *(const uint16_t *)p;
	case 4:
		return *(const uint32_t *)p;
	default:
		return *(const uint64_t *)p;
	}
}

static void
elem_set(
    struct fraud_subj *s, const struct blob_field *bf, unsigned i, uint64_t v)
{
	void *p = (char *)s + bf->off + (size_t)i * bf->esize;

	switch (bf->esize) {
	case 1:
		*(uint8_t *)p = (uint8_t)v;
		break;
	case 2:
		*(uint16_t *)p = (uint16_t)v;
		break;
	case 4:
		*(uint32_t *)p = (uint32_t)v;
		break;
	default:
		*(uint64_t *)p = v;
		break;
	}
}

/* Write the persistent state of "s" as a blob of FRAUD_BLOB_SIZE bytes. */
static void
blob_encode(const struct fraud_subj *s, unsigned char *p)
{
	const struct blob_field *bf;
	unsigned i, b;

	memcpy(p, blob_magic, 4);
	p[4] = BLOB_VERSION;
	p[5] = s->suspended ? 1 : 0;
	p[6] = p[7] = 0;
	p += BLOB_HDR;
	for (bf = blob_fields; bf < blob_fields + BLOB_NFIELDS; bf++)
		for (i = 0; i < bf->n; i++) {
			uint64_t v = elem_get(s, bf, i);

			for (b = 0; b < bf->esize; b++)
				*p++ = (unsigned char)(v >> (8 * b));
		}
}

static bool
time_ok(uint32_t t, uint64_t latest)
{
	return t == 0 || (t >= FR_T_MIN && t <= latest);
}

/*
 * Is the state of "s" one the engine can produce? The four heads are
 * all 0 (never moved) or the buckets of one time t >= FR_T_MIN; no
 * time the subject recorded is later than t can be; a run and an
 * alert state have their time; alerted has a bit per rule and level
 * only; a baseline slot has a value only once seen, and each seen
 * slot took an hour learned; a number is remembered once.
 */
static bool
blob_sane(const struct fraud_subj *s)
{
	const struct {
		uint32_t head;
		unsigned width;
	} w[] = { { s->min_head, FR_MIN_W }, { s->hour_head, FR_HOUR_W },
		{ s->h5_head, FR_H5_W }, { s->day_head, FR_DAY_W } };
	uint64_t lo = FR_T_MIN, hi = (uint64_t)UINT32_MAX + 1, latest = 0;
	unsigned i, j, seen = 0, heads = 0;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		if (w[i].head)
			heads++;
		if ((uint64_t)w[i].head * w[i].width > lo)
			lo = (uint64_t)w[i].head * w[i].width;
		if (((uint64_t)w[i].head + 1) * w[i].width < hi)
			hi = ((uint64_t)w[i].head + 1) * w[i].width;
	}
	if (heads == sizeof(w) / sizeof(w[0])) {
		if (lo >= hi)
			return false;
		latest = hi - 1;
	} else if (heads != 0)
		return false;
	if (!time_ok(s->last_call, latest) || !time_ok(s->seq_at, latest) ||
	    !time_ok(s->alert_at, latest))
		return false;
	if ((s->seq_run && !s->seq_at) || (s->alerted && !s->alert_at))
		return false;
	if (2 * FRAUD__NRULES < 32 && s->alerted >> (2 * FRAUD__NRULES))
		return false;
	for (i = 0; i < FR_WEEK; i++) {
		if (s->bl_seen[i / 8] & (1u << (i % 8)))
			seen++;
		else if (s->bl[i])
			return false;
	}
	if (seen > s->bl_hours)
		return false;
	for (i = 0; i < FR_DN_MAX; i++)
		for (j = i + 1; s->dn_min[i] && j < FR_DN_MAX; j++)
			if (s->dn_min[j] && s->dn_hash[j] == s->dn_hash[i])
				return false;
	return true;
}

/*
 * Read a blob into the persistent fields of "s" (zeroed first: a
 * subject outside any engine, no key, nothing up). 0 or EINVAL
 * (length, magic, version, flag bytes, or a state blob_sane refuses).
 */
static int
blob_decode(const void *buf, size_t len, struct fraud_subj *s)
{
	const unsigned char *p = buf;
	const struct blob_field *bf;
	unsigned i, b;

	if (len != FRAUD_BLOB_SIZE || memcmp(p, blob_magic, 4) != 0 ||
	    p[4] != BLOB_VERSION || p[5] > 1 || p[6] != 0 || p[7] != 0)
		return EINVAL;
	memset(s, 0, sizeof(*s));
	s->suspended = p[5];
	p += BLOB_HDR;
	for (bf = blob_fields; bf < blob_fields + BLOB_NFIELDS; bf++)
		for (i = 0; i < bf->n; i++) {
			uint64_t v = 0;

			for (b = 0; b < bf->esize; b++)
				v |= (uint64_t)*p++ << (8 * b);
			elem_set(s, bf, i, v);
		}
	return blob_sane(s) ? 0 : EINVAL;
}

/* The persistent fields of "src" into "dst" (suspended aside). */
static void
state_copy(struct fraud_subj *dst, const struct fraud_subj *src)
{
	const struct blob_field *bf;

	for (bf = blob_fields; bf < blob_fields + BLOB_NFIELDS; bf++)
		memcpy((char *)dst + bf->off, (const char *)src + bf->off,
		    (size_t)bf->esize * bf->n);
}

int
fraud_subject_export(struct fraud *f, enum fraud_kind kind, struct str name,
    void *buf, size_t cap, size_t *len)
{
	struct fraud_subj *s;

	if (!f || !buf || !len)
		return EINVAL;
	s = fraud_subj_find(
	    f, kind, name, fraud_key_hash(kind, name.s, name.len));
	if (!s)
		return ENOENT;
	if (cap < FRAUD_BLOB_SIZE)
		return ENOSPC;
	blob_encode(s, buf);
	*len = FRAUD_BLOB_SIZE;
	return 0;
}

int
fraud_subject_import(struct fraud *f, enum fraud_kind kind, struct str name,
    const void *buf, size_t len)
{
	struct fraud_subj st, *s;
	int err;

	if (!f || !buf || !name.len || (unsigned)kind > FRAUD_TRUNK)
		return EINVAL;
	/* Everything is checked before the table can change. */
	err = blob_decode(buf, len, &st);
	if (err)
		return err;
	err = fraud_subj_get(f, kind, name, &s);
	if (err)
		return err;
	/* Calls up (active, refs) stay; the dirty mark stays as it was. */
	state_copy(s, &st);
	s->suspended = kind == FRAUD_ACCOUNT ? st.suspended : 0;
	return 0;
}

int
fraud_subject_resume(struct fraud *f, struct str account)
{
	struct fraud_subj *s;

	if (!f)
		return EINVAL;
	s = fraud_subj_find(f, FRAUD_ACCOUNT, account,
	    fraud_key_hash(FRAUD_ACCOUNT, account.s, account.len));
	if (!s)
		return ENOENT;
	if (s->suspended) {
		/*
		 * The administrator looked and let it go: the account
		 * starts its windows afresh (else the calls that
		 * suspended it would suspend it again at its next call),
		 * and a new hit alerts again. What it called ever and its
		 * baseline stay; so do its calls up.
		 */
		s->suspended = 0;
		memset(s->min_calls, 0, sizeof(s->min_calls));
		memset(s->hour_calls, 0, sizeof(s->hour_calls));
		memset(s->h5_secs, 0, sizeof(s->h5_secs));
		memset(s->h5_cost, 0, sizeof(s->h5_cost));
		memset(s->day_calls, 0, sizeof(s->day_calls));
		memset(s->day_secs, 0, sizeof(s->day_secs));
		memset(s->day_cost, 0, sizeof(s->day_cost));
		memset(s->dn_hash, 0, sizeof(s->dn_hash));
		memset(s->dn_min, 0, sizeof(s->dn_min));
		s->seq_run = 0;
		s->seq_hash = 0;
		s->seq_at = 0;
		s->alerted = 0;
		s->alert_at = 0;
		fraud_subj_dirty(f, s);
	}
	return 0;
}

/*
 * What "s" holds, windows moved to "now" (when it is a time the
 * engine accepts). Returns true when that taught the baseline.
 */
static bool
subj_info(struct fraud_subj *s, int64_t now, struct fraud_subject_info *out)
{
	bool learned = false, present;
	unsigned slot;

	if (now >= FR_T_MIN && now <= (int64_t)UINT32_MAX)
		learned = fraud_subj_advance(s, now);
	memset(out, 0, sizeof(*out));
	out->active = s->active;
	out->refs = s->refs;
	out->calls_minute = win_sum(s->min_calls, sizeof(uint32_t), FR_MIN_N);
	out->calls_hour = win_sum(s->hour_calls, sizeof(uint32_t), FR_HOUR_N);
	out->calls_day = win_sum(s->day_calls, sizeof(uint32_t), FR_DAY_N);
	out->distinct_hour = fraud_subj_distinct(s, 0, &present);
	out->same_run = s->seq_run;
	out->secs_hour = win_sum(s->h5_secs, sizeof(uint32_t), FR_H5_N);
	out->secs_day = win_sum(s->day_secs, sizeof(uint32_t), FR_DAY_N);
	out->cost_hour_e4 = win_sum(s->h5_cost, sizeof(uint32_t), FR_H5_N);
	out->cost_day_e4 = win_sum(s->day_cost, sizeof(uint32_t), FR_DAY_N);
	out->classes_used = s->used;
	out->suspended = s->suspended != 0;
	slot = (unsigned)((now / 3600 + 72) % FR_WEEK);
	out->baseline_x16 = s->bl[slot];
	out->baseline_seen = (s->bl_seen[slot / 8] & (1u << (slot % 8))) != 0;
	out->hours_learned = s->bl_hours;
	out->alerted = s->alerted;
	return learned;
}

int
fraud_subject_info(struct fraud *f, enum fraud_kind kind, struct str name,
    int64_t now, struct fraud_subject_info *out)
{
	struct fraud_subj *s;

	if (!f || !out)
		return EINVAL;
	s = fraud_subj_find(
	    f, kind, name, fraud_key_hash(kind, name.s, name.len));
	if (!s)
		return ENOENT;
	if (subj_info(s, now, out))
		fraud_subj_dirty(f, s);
	return 0;
}

int
fraud_blob_info(
    const void *buf, size_t len, int64_t now, struct fraud_subject_info *out)
{
	struct fraud_subj st;
	int err;

	if (!buf || !out)
		return EINVAL;
	err = blob_decode(buf, len, &st);
	if (err)
		return err;
	subj_info(&st, now, out);
	return 0;
}

void
fraud_subject_each(struct fraud *f, fraud_subject_h *h, void *arg)
{
	struct fraud_subj *s, *next;

	if (!f || !h)
		return;
	for (s = TAILQ_FIRST(&f->lru); s; s = next) {
		next = TAILQ_NEXT(s, lru);
		h((enum fraud_kind)s->kind, str_make(s->key, s->keylen), arg);
	}
}

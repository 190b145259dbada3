/*
 * fraud/fraud_subject.c -- the subjects of the fraud engine: a keyed
 * hash table bounded by max_subjects with LRU eviction of subjects
 * without calls up, the windows of each subject and how they slide,
 * the distinct-number set, the learned baseline, and the persistent
 * part as a versioned blob.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
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

/* Move every window of "s" to "now" (learning the hours that ended). */
void
fraud_subj_advance(struct fraud_subj *s, int64_t now)
{
	struct win_span sp;
	uint32_t hb = (uint32_t)(now / FR_DAY_W);
	uint16_t cur = dn_stamp(now);
	unsigned i;

	sp = win_advance(&s->min_head, (uint32_t)(now / FR_MIN_W), FR_MIN_N);
	win_zero(s->min_calls, sizeof(uint16_t), FR_MIN_N, sp);
	sp = win_advance(&s->hour_head, (uint32_t)(now / FR_HOUR_W), FR_HOUR_N);
	win_zero(s->hour_calls, sizeof(uint16_t), FR_HOUR_N, sp);
	sp = win_advance(&s->h5_head, (uint32_t)(now / FR_H5_W), FR_H5_N);
	win_zero(s->h5_secs, sizeof(uint32_t), FR_H5_N, sp);
	win_zero(s->h5_cost, sizeof(uint32_t), FR_H5_N, sp);
	if (s->day_head && hb > s->day_head) {
		uint32_t h = s->day_head, k;

		bl_fold(s, h, s->day_calls[h % FR_DAY_N]);
		for (k = 1; k < hb - h && k <= FR_FOLD_MAX; k++)
			bl_fold(s, h + k, 0);
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

/* --- persistence --------------------------------------------------- */

static const unsigned char blob_magic[4] = { 'C', 'N', 'F', 'R' };
#define BLOB_VERSION 1

static void
put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static uint16_t
get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int
fraud_subject_export(struct fraud *f, enum fraud_kind kind, struct str name,
    void *buf, size_t cap, size_t *len)
{
	unsigned char *p = buf;
	struct fraud_subj *s;
	unsigned i;

	if (!f || !buf || !len)
		return EINVAL;
	s = fraud_subj_find(
	    f, kind, name, fraud_key_hash(kind, name.s, name.len));
	if (!s)
		return ENOENT;
	if (cap < FRAUD_BLOB_SIZE)
		return ENOSPC;
	memset(p, 0, FRAUD_BLOB_SIZE);
	memcpy(p, blob_magic, 4);
	p[4] = BLOB_VERSION;
	p[5] = s->suspended ? 1 : 0;
	for (i = 0; i < 8; i++)
		p[8 + i] = (unsigned char)(s->used >> (8 * i));
	put16(p + 16, s->bl_hours);
	memcpy(p + 20, s->bl_seen, sizeof(s->bl_seen));
	for (i = 0; i < FR_WEEK; i++)
		put16(p + 44 + 2 * i, s->bl[i]);
	*len = FRAUD_BLOB_SIZE;
	return 0;
}

int
fraud_subject_import(struct fraud *f, enum fraud_kind kind, struct str name,
    const void *buf, size_t len)
{
	const unsigned char *p = buf;
	struct fraud_subj *s;
	unsigned i;
	int err;

	if (!f || !buf || !name.len || len != FRAUD_BLOB_SIZE ||
	    memcmp(p, blob_magic, 4) != 0 || p[4] != BLOB_VERSION || p[5] > 1)
		return EINVAL;
	err = fraud_subj_get(f, kind, name, &s);
	if (err)
		return err;
	s->suspended = kind == FRAUD_ACCOUNT ? p[5] : 0;
	s->used = 0;
	for (i = 0; i < 8; i++)
		s->used |= (uint64_t)p[8 + i] << (8 * i);
	s->bl_hours = get16(p + 16);
	memcpy(s->bl_seen, p + 20, sizeof(s->bl_seen));
	for (i = 0; i < FR_WEEK; i++)
		s->bl[i] = get16(p + 44 + 2 * i);
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
	s->suspended = 0;
	return 0;
}

int
fraud_subject_info(struct fraud *f, enum fraud_kind kind, struct str name,
    int64_t now, struct fraud_subject_info *out)
{
	struct fraud_subj *s;
	unsigned slot;
	bool present;

	if (!f || !out)
		return EINVAL;
	s = fraud_subj_find(
	    f, kind, name, fraud_key_hash(kind, name.s, name.len));
	if (!s)
		return ENOENT;
	if (now >= FR_T_MIN && now <= (int64_t)UINT32_MAX)
		fraud_subj_advance(s, now);
	memset(out, 0, sizeof(*out));
	out->active = s->active;
	out->refs = s->refs;
	out->calls_minute = win_sum(s->min_calls, sizeof(uint16_t), FR_MIN_N);
	out->calls_hour = win_sum(s->hour_calls, sizeof(uint16_t), FR_HOUR_N);
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

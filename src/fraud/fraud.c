/*
 * fraud/fraud.c -- the toll-fraud rules engine (see fraud/fraud.h): a
 * call's decision over the rules of its subjects, the call handles
 * (allocated in chunks, reused, bounded by max_dialogs), the end of a
 * call, and the engine's life. The rule sets are fraud_rules.c, the
 * subjects and their windows fraud_subject.c, the rules themselves
 * fraud_eval.c.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "fraud/dest.h"
#include "fraud/fraud_int.h"
#include "fraud/window.h"

static const char *const verdict_names[] = { "pass", "cap", "reject",
	"suspend" };

const char *
fraud_verdict_name(enum fraud_verdict v)
{
	return (unsigned)v < 4 ? verdict_names[v] : "?";
}

static uint64_t
mul_cost(uint64_t secs, uint64_t cost_e4_per_min)
{
	/* secs <= 30 days, cost < 2^40: no overflow. */
	return (secs * cost_e4_per_min + 30) / 60;
}

/* --- calls --------------------------------------------------------- */

static int
ref_alloc(struct fraud *f, struct fraud_callref **rp)
{
	struct fraud_callref *r;
	unsigned i;

	if (f->live_refs >= f->ru.max_dialogs)
		return ENOSPC;
	if (!f->free_refs) {
		struct fraud_chunk *c = calloc(1, sizeof(*c));

		if (!c)
			return ENOMEM;
		c->next = f->chunks;
		f->chunks = c;
		f->nchunks++;
		for (i = FR_CHUNK; i-- > 0;) {
			c->refs[i].next = f->free_refs;
			f->free_refs = &c->refs[i];
		}
	}
	r = f->free_refs;
	f->free_refs = r->next;
	memset(r, 0, sizeof(*r));
	f->live_refs++;
	*rp = r;
	return 0;
}

static void
commit(struct fraud_subj *s, int64_t now, unsigned cls, uint32_t nh)
{
	win_add32(s->min_calls, s->min_head % FR_MIN_N, 1);
	win_add32(s->hour_calls, s->hour_head % FR_HOUR_N, 1);
	win_add32(s->day_calls, s->day_head % FR_DAY_N, 1);
	fraud_subj_distinct_add(s, nh, now);
	if (s->seq_run && s->seq_hash == nh) {
		if (s->seq_run < UINT16_MAX)
			s->seq_run++;
	} else {
		s->seq_hash = nh;
		s->seq_run = 1;
	}
	s->seq_at = (uint32_t)now;
	s->used |= 1ULL << cls;
	s->last_call = (uint32_t)now;
	s->active++;
	s->refs++;
}

int
fraud_call_start(struct fraud *f, const struct fraud_call *call,
    struct fraud_decision *d, struct fraud_callref **refp)
{
	struct fraud_hit hits[2 * FRAUD__NRULES];
	struct fraud_subj *subj[2] = { NULL, NULL };
	struct fraud_callref *ref = NULL;
	const struct fraud_hit *best = NULL;
	unsigned cls, nhits = 0, i, k;
	uint32_t nh;
	int64_t now;
	int err;

	if (!f || !call || !d || !refp || call->now < FR_T_MIN ||
	    call->now > (int64_t)UINT32_MAX)
		return EINVAL;
	*refp = NULL;
	memset(d, 0, sizeof(*d));
	now = call->now;
	cls = f->ru.dt ?
	    dest_lookup(f->ru.dt, call->called.s, call->called.len) :
	    0;
	if (cls >= 64)
		cls = 0;
	d->dclass = cls;
	nh = (uint32_t)str_hash(call->called);

	if (call->account.len) {
		err = fraud_subj_get(f, FRAUD_ACCOUNT, call->account, &subj[0]);
		if (err)
			goto fail;
	}
	if (call->trunk.len) {
		/* The account must not be evicted for its own trunk. */
		if (subj[0])
			subj[0]->refs++;
		err = fraud_subj_get(f, FRAUD_TRUNK, call->trunk, &subj[1]);
		if (subj[0])
			subj[0]->refs--;
		if (err)
			goto fail;
	}
	if (subj[0] && subj[0]->suspended) {
		d->vd = FRAUD_REJECT;
		d->reason = REASON_FRAUD_SUSPENDED;
		d->level = FRAUD_LEVEL_CRITICAL;
		d->subject = FRAUD_ACCOUNT;
		d->detail = reason_text(d->reason);
		f->st.decisions[d->vd]++;
		return 0;
	}
	for (k = 0; k < 2; k++)
		if (subj[k]) {
			if (fraud_subj_advance(subj[k], now))
				fraud_subj_dirty(f, subj[k]);
			nhits +=
			    fraud_eval(f, subj[k], now, cls, nh, hits + nhits);
		}
	f->st.hits += nhits;
	for (i = 0; i < nhits; i++) {
		const struct fraud_hit *h = &hits[i];
		const struct cfg_fraud_rule *ru = &h->rs->r.r[h->rule];
		unsigned acts = ru->actions[h->level];
		bool shadow = f->ru.shadow || ru->shadow;
		enum fraud_verdict vd = FRAUD_PASS;

		if (h->s->kind == FRAUD_TRUNK && (acts & FRAUD_ACT_SUSPEND))
			acts = (acts & ~FRAUD_ACT_SUSPEND) | FRAUD_ACT_REJECT;
		if (shadow) {
			if (acts &
			    (FRAUD_ACT_REJECT | FRAUD_ACT_CAP |
				FRAUD_ACT_SUSPEND))
				d->shadow = true;
			acts &= FRAUD_ACT_LOG | FRAUD_ACT_ALERT;
		} else if (acts & FRAUD_ACT_SUSPEND)
			vd = FRAUD_SUSPEND;
		else if (acts & FRAUD_ACT_REJECT)
			vd = FRAUD_REJECT;
		else if (acts & FRAUD_ACT_CAP)
			vd = FRAUD_CAP;
		if (h->level > d->level)
			d->level = h->level;
		if (vd == FRAUD_CAP) {
			unsigned ra = fraud_eval_retry(f, h, now);

			if (ra > d->retry_after)
				d->retry_after = ra;
		}
		if (!best || vd > d->vd ||
		    (vd == d->vd && h->level > best->level)) {
			best = h;
			d->vd = vd;
		}
		fraud_eval_report(f, h, acts, shadow, call->called, cls, now);
	}
	if (d->vd != FRAUD_CAP)
		d->retry_after = 0;
	if (best) {
		d->reason = cfg_fraud_rule_reason(best->rule);
		d->subject = (enum fraud_kind)best->s->kind;
	} else
		d->reason = REASON_NONE;
	d->detail = reason_text(d->reason);
	if (d->shadow)
		f->st.shadowed++;
	if (d->vd == FRAUD_SUSPEND && subj[0]) {
		subj[0]->suspended = 1;
		fraud_subj_dirty(f, subj[0]);
	}
	if (d->vd != FRAUD_PASS) {
		f->st.decisions[d->vd]++;
		return 0;
	}
	err = ref_alloc(f, &ref);
	if (err)
		goto fail;
	for (k = 0; k < 2; k++)
		if (subj[k]) {
			commit(subj[k], now, cls, nh);
			fraud_subj_dirty(f, subj[k]);
		}
	ref->s[0] = subj[0];
	ref->s[1] = subj[1];
	ref->dclass = (uint16_t)cls;
	ref->live = 1;
	f->st.decisions[FRAUD_PASS]++;
	*refp = ref;
	return 0;
fail:
	if (err == ENOSPC) {
		memset(d, 0, sizeof(*d));
		d->vd = FRAUD_CAP;
		d->reason = REASON_OVERLOAD;
		d->retry_after = f->ru.retry_after;
		d->dclass = cls;
		d->detail = reason_text(d->reason);
		f->st.decisions[FRAUD_CAP]++;
	}
	return err;
}

void
fraud_call_end(struct fraud *f, struct fraud_callref *ref, int64_t answered_s,
    int64_t ended_s)
{
	uint64_t secs = 0, cost;
	unsigned k;

	if (!f || !ref)
		return;
	if (!ref->live) {
		f->st.end_twice++;
		return;
	}
	if (answered_s > 0 && ended_s > answered_s)
		secs = (uint64_t)(ended_s - answered_s);
	if (secs > 30 * 86400)
		secs = 30 * 86400;
	cost = f->ru.dt ?
	    mul_cost(secs, dest_class(f->ru.dt, ref->dclass)->cost_e4) :
	    0;
	for (k = 0; k < 2; k++) {
		struct fraud_subj *s = ref->s[k];

		if (!s)
			continue;
		if (ended_s >= FR_T_MIN && ended_s <= (int64_t)UINT32_MAX)
			fraud_subj_advance(s, ended_s);
		win_add32(s->h5_secs, s->h5_head % FR_H5_N, secs);
		win_add32(s->h5_cost, s->h5_head % FR_H5_N, cost);
		win_add32(s->day_secs, s->day_head % FR_DAY_N, secs);
		win_add32(s->day_cost, s->day_head % FR_DAY_N, cost);
		if (s->active > 0)
			s->active--;
		if (s->refs > 0)
			s->refs--;
		fraud_subj_dirty(f, s);
	}
	ref->live = 0;
	ref->s[0] = ref->s[1] = NULL;
	ref->next = f->free_refs;
	f->free_refs = ref;
	f->live_refs--;
}

/* --- engine -------------------------------------------------------- */

int
fraud_alloc(struct fraud **fp, const struct cfg_fraud *c,
    const struct dest_table *dt, fraud_alert_h *alert, void *arg)
{
	struct fraud *f;
	int err;

	if (!fp || !c)
		return EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return ENOMEM;
	TAILQ_INIT(&f->lru);
	f->alert = alert;
	f->arg = arg;
	err = fraud_rules_build(&f->ru, c, dt);
	if (err)
		goto out;
	for (f->nbuckets = 16;
	     f->nbuckets < f->ru.max_subjects && f->nbuckets < (1u << 24);
	     f->nbuckets *= 2)
		;
	f->buckets = calloc(f->nbuckets, sizeof(*f->buckets));
	if (!f->buckets)
		err = ENOMEM;
out:
	if (err)
		fraud_free(f);
	else
		*fp = f;
	return err;
}

void
fraud_free(struct fraud *f)
{
	struct fraud_subj *s;
	struct fraud_chunk *c;

	if (!f)
		return;
	while ((s = TAILQ_FIRST(&f->lru)) != NULL) {
		TAILQ_REMOVE(&f->lru, s, lru);
		free(s);
	}
	while ((c = f->chunks) != NULL) {
		f->chunks = c->next;
		free(c);
	}
	free(f->buckets);
	fraud_rules_clear(&f->ru);
	free(f);
}

int
fraud_reconfigure(
    struct fraud *f, const struct cfg_fraud *c, const struct dest_table *dt)
{
	struct fraud_rules nr;
	struct fraud_subj *s;
	int err;

	if (!f || !c)
		return EINVAL;
	err = fraud_rules_build(&nr, c, dt);
	if (err)
		return err;
	fraud_rules_clear(&f->ru);
	f->ru = nr;
	/* Every subject under its new rules, counters kept. */
	for (s = TAILQ_FIRST(&f->lru); s; s = TAILQ_NEXT(s, lru))
		s->set =
		    fraud_rules_set_for(&f->ru, s->kind, s->key, s->keylen);
	return 0;
}

void
fraud_stats(const struct fraud *f, struct fraud_stats *st)
{
	*st = f->st;
	st->subjects = f->nsubj;
	st->calls_active = f->live_refs;
	st->subject_bytes = sizeof(struct fraud_subj);
	st->bytes = sizeof(*f) + f->ru.bytes +
	    (uint64_t)f->nbuckets * sizeof(*f->buckets) + f->subj_bytes +
	    (uint64_t)f->nchunks * sizeof(struct fraud_chunk);
}

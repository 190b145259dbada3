/*
 * fraud/fraud_eval.c -- the rules of the fraud engine evaluated for one
 * subject and one call: the value of each rule, the level it reaches,
 * the Retry-After of a cap, and the log line and alert of each level
 * reached (deduplicated per subject, rule and level).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "fraud/dest.h"
#include "fraud/fraud_int.h"
#include "fraud/tzoff.h"
#include "fraud/window.h"

static const char *const wday[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
	"Sun" };

static enum fraud_level
reach(const struct cfg_fraud_rule *ru, uint64_t v, uint64_t *thr)
{
	if (ru->critical && v > ru->critical) {
		*thr = ru->critical;
		return FRAUD_LEVEL_CRITICAL;
	}
	if (ru->warning && v > ru->warning) {
		*thr = ru->warning;
		return FRAUD_LEVEL_WARNING;
	}
	return FRAUD_LEVEL_NONE;
}

static bool
in_hours(const struct cfg_fraud_rules *r, const struct tzoff *tz, int64_t now)
{
	int64_t local = now + (tz ? tzoff_at(tz, now) : 0);
	unsigned d = (unsigned)((local / 86400 + 3) % 7); /* Monday = 0 */
	unsigned m = (unsigned)(local % 86400) / 60, i;

	for (i = 0; i < r->nspans; i++) {
		const struct cfg_fraud_span *sp = &r->spans[i];

		if (sp->to > sp->from) {
			if ((sp->days & (1u << d)) && m >= sp->from &&
			    m < sp->to)
				return true;
		} else if (((sp->days & (1u << d)) && m >= sp->from) ||
		    ((sp->days & (1u << ((d + 6) % 7))) && m < sp->to))
			return true;
	}
	return false;
}

/* Evaluate every rule of one subject; hits appended, returns the count. */
unsigned
fraud_eval(struct fraud *f, struct fraud_subj *s, int64_t now, unsigned cls,
    uint32_t nh, struct fraud_hit *hits)
{
	const struct fraud_rset *rs = &f->ru.sets[s->set];
	const struct cfg_fraud_rules *r = &rs->r;
	unsigned i, n = 0;

	for (i = 0; i < FRAUD__NRULES; i++) {
		const struct cfg_fraud_rule *ru = &r->r[i];
		enum fraud_level lvl = FRAUD_LEVEL_NONE;
		uint64_t v = 0, thr = 0;
		bool present;

		if (!ru->on)
			continue;
		switch ((enum fraud_rule)i) {
		case FRAUD_R_CPM:
			v = win_sum(s->min_calls, sizeof(uint32_t), FR_MIN_N) +
			    1;
			break;
		case FRAUD_R_CPH:
			v = win_sum(
				s->hour_calls, sizeof(uint32_t), FR_HOUR_N) +
			    1;
			break;
		case FRAUD_R_CPD:
			v = win_sum(s->day_calls, sizeof(uint32_t), FR_DAY_N) +
			    1;
			break;
		case FRAUD_R_CONCURRENT:
			v = (uint64_t)s->active + 1;
			break;
		case FRAUD_R_DISTINCT:
			v = fraud_subj_distinct(s, nh, &present);
			v += present ? 0 : 1;
			break;
		case FRAUD_R_SAME_NUMBER:
			v = s->seq_run && s->seq_hash == nh ?
			    (uint64_t)s->seq_run + 1 :
			    1;
			break;
		case FRAUD_R_MINUTES_H:
			v = win_sum(s->h5_secs, sizeof(uint32_t), FR_H5_N);
			break;
		case FRAUD_R_MINUTES_D:
			v = win_sum(s->day_secs, sizeof(uint32_t), FR_DAY_N);
			break;
		case FRAUD_R_COST_H:
			v = win_sum(s->h5_cost, sizeof(uint32_t), FR_H5_N);
			break;
		case FRAUD_R_COST_D:
			v = win_sum(s->day_cost, sizeof(uint32_t), FR_DAY_N);
			break;
		case FRAUD_R_BLOCKED:
			if (r->blocked & (1ULL << cls))
				lvl = (enum fraud_level)ru->level;
			break;
		case FRAUD_R_FIRST_USE:
			if ((r->first_use & (1ULL << cls)) &&
			    !(s->used & (1ULL << cls)))
				lvl = (enum fraud_level)ru->level;
			break;
		case FRAUD_R_HOURS:
			if (!in_hours(r, rs->tz, now))
				lvl = (enum fraud_level)ru->level;
			break;
		case FRAUD_R_BASELINE: {
			unsigned slot = (unsigned)((now / 3600 + 72) % FR_WEEK);

			v = (uint64_t)s->day_calls[s->day_head % FR_DAY_N] + 1;
			thr = (uint64_t)s->bl[slot] * r->bl_factor / 1600;
			if ((s->bl_seen[slot / 8] & (1u << (slot % 8))) &&
			    v >= r->bl_min_calls &&
			    v * 1600 > (uint64_t)s->bl[slot] * r->bl_factor)
				lvl = (enum fraud_level)ru->level;
			break;
		}
		default:
			break;
		}
		if (cfg_fraud_rule_kind((enum fraud_rule)i) == FRK_COUNT ||
		    cfg_fraud_rule_kind((enum fraud_rule)i) == FRK_COST) {
			if (i == FRAUD_R_MINUTES_H || i == FRAUD_R_MINUTES_D) {
				/* Thresholds in minutes, counts in seconds. */
				struct cfg_fraud_rule m = *ru;

				m.warning *= 60;
				m.critical *= 60;
				lvl = reach(&m, v, &thr);
			} else
				lvl = reach(ru, v, &thr);
		}
		if (lvl == FRAUD_LEVEL_NONE)
			continue;
		hits[n].s = s;
		hits[n].rs = rs;
		hits[n].rule = (enum fraud_rule)i;
		hits[n].level = lvl;
		hits[n].value = v;
		hits[n].thr = thr;
		n++;
	}
	return n;
}

unsigned
fraud_eval_retry(const struct fraud *f, const struct fraud_hit *h, int64_t now)
{
	const struct fraud_subj *s = h->s;
	uint64_t need = h->value > h->thr ? h->value - h->thr : 1;

	switch (h->rule) {
	case FRAUD_R_CPM:
		return win_expiry(s->min_calls, sizeof(uint32_t), FR_MIN_N,
		    s->min_head, FR_MIN_W, now, need);
	case FRAUD_R_CPH:
		return win_expiry(s->hour_calls, sizeof(uint32_t), FR_HOUR_N,
		    s->hour_head, FR_HOUR_W, now, need);
	case FRAUD_R_CPD:
		return win_expiry(s->day_calls, sizeof(uint32_t), FR_DAY_N,
		    s->day_head, FR_DAY_W, now, need);
	case FRAUD_R_DISTINCT:
		return fraud_subj_distinct_expiry(s, now, need);
	case FRAUD_R_MINUTES_H:
		return win_expiry(s->h5_secs, sizeof(uint32_t), FR_H5_N,
		    s->h5_head, FR_H5_W, now, need);
	case FRAUD_R_MINUTES_D:
		return win_expiry(s->day_secs, sizeof(uint32_t), FR_DAY_N,
		    s->day_head, FR_DAY_W, now, need);
	case FRAUD_R_COST_H:
		return win_expiry(s->h5_cost, sizeof(uint32_t), FR_H5_N,
		    s->h5_head, FR_H5_W, now, need);
	case FRAUD_R_COST_D:
		return win_expiry(s->day_cost, sizeof(uint32_t), FR_DAY_N,
		    s->day_head, FR_DAY_W, now, need);
	default:
		return f->ru.retry_after;
	}
}

static const char *
class_name(const struct fraud *f, unsigned cls)
{
	return f->ru.dt ? dest_class(f->ru.dt, cls)->name : "unknown";
}

static void
hit_text(const struct fraud *f, const struct fraud_hit *h, struct str called,
    unsigned cls, int64_t now, char *buf, size_t cap)
{
	static const char *const span[] = { "minute", "hour", "day" };
	const char *lv = cfg_fraud_level_name(h->level);
	unsigned long long v = h->value, t = h->thr;

	switch (h->rule) {
	case FRAUD_R_CPM:
	case FRAUD_R_CPH:
	case FRAUD_R_CPD:
		snprintf(buf, cap, "%llu calls in the last %s (%s %llu)", v,
		    span[h->rule - FRAUD_R_CPM], lv, t);
		break;
	case FRAUD_R_CONCURRENT:
		snprintf(buf, cap, "%llu calls up at once (%s %llu)", v, lv, t);
		break;
	case FRAUD_R_DISTINCT:
		snprintf(buf, cap,
		    "%llu distinct numbers in the last hour (%s %llu)", v, lv,
		    t);
		break;
	case FRAUD_R_SAME_NUMBER:
		snprintf(buf, cap, "%llu calls in a row to %.*s (%s %llu)", v,
		    (int)called.len, called.s, lv, t);
		break;
	case FRAUD_R_MINUTES_H:
	case FRAUD_R_MINUTES_D:
		snprintf(buf, cap, "%.1f call minutes in the last %s (%s %llu)",
		    (double)v / 60,
		    h->rule == FRAUD_R_MINUTES_H ? "hour" : "day", lv, t / 60);
		break;
	case FRAUD_R_COST_H:
	case FRAUD_R_COST_D:
		snprintf(buf, cap,
		    "estimated cost %.2f in the last %s (%s %.2f)",
		    (double)v / 10000,
		    h->rule == FRAUD_R_COST_H ? "hour" : "day", lv,
		    (double)t / 10000);
		break;
	case FRAUD_R_BLOCKED:
		snprintf(buf, cap, "call to %.*s, class %s, which is blocked",
		    (int)called.len, called.s, class_name(f, cls));
		break;
	case FRAUD_R_FIRST_USE:
		snprintf(buf, cap, "first call ever to class %s (%.*s)",
		    class_name(f, cls), (int)called.len, called.s);
		break;
	case FRAUD_R_HOURS: {
		const struct tzoff *tz = h->rs->tz;
		int64_t local = now + (tz ? tzoff_at(tz, now) : 0);

		snprintf(buf, cap,
		    "call at %s %02u:%02u %s, outside the allowed hours",
		    wday[(local / 86400 + 3) % 7],
		    (unsigned)(local % 86400 / 3600),
		    (unsigned)(local % 3600 / 60), tz ? tzoff_name(tz) : "UTC");
		break;
	}
	case FRAUD_R_BASELINE: {
		unsigned slot = (unsigned)((now / 3600 + 72) % FR_WEEK);

		snprintf(buf, cap,
		    "%llu calls this hour, usually %.1f on %s %02u:00 UTC "
		    "(factor %.2f)",
		    v, (double)h->s->bl[slot] / 16, wday[slot / 24], slot % 24,
		    (double)h->rs->r.bl_factor / 100);
		break;
	}
	default:
		snprintf(buf, cap, "rule %s", cfg_fraud_rule_name(h->rule));
		break;
	}
}

/* Log and alert one hit, once per subject, rule, level and interval. */
void
fraud_eval_report(struct fraud *f, const struct fraud_hit *h, unsigned acts,
    bool shadow, struct str called, unsigned cls, int64_t now)
{
	struct fraud_subj *s = h->s;
	unsigned bit = 1u << (h->rule * 2 + h->level - 1);
	char subject[FR_SUBJ_KEY_MAX + 16], text[256], an[64];
	struct fraud_alert a;

	if (!(acts & (FRAUD_ACT_LOG | FRAUD_ACT_ALERT)))
		return;
	if (s->alerted &&
	    now - (int64_t)s->alert_at >= (int64_t)f->ru.alert_interval)
		s->alerted = 0;
	if (s->alerted & bit) {
		f->st.suppressed++;
		return;
	}
	if (!s->alerted)
		s->alert_at = (uint32_t)now;
	s->alerted |= bit;
	fraud_subj_dirty(f, s);
	snprintf(subject, sizeof(subject), "%s %.*s",
	    s->kind == FRAUD_ACCOUNT ? "account" : "trunk", (int)s->keylen,
	    s->key);
	hit_text(f, h, called, cls, now, text, sizeof(text));
	if (acts & FRAUD_ACT_LOG) {
		struct log_fields lf;

		memset(&lf, 0, sizeof(lf));
		lf.event = "fraud";
		if (s->kind == FRAUD_ACCOUNT)
			lf.user = str_make(s->key, s->keylen);
		lf.reason = cfg_fraud_rule_reason(h->rule);
		log_event(LOGL_WARN, &lf, "%s %s: %s [%s]%s",
		    cfg_fraud_level_name(h->level), subject, text,
		    cfg_fraud_actions_fmt(acts, an, sizeof(an)),
		    shadow ? " (shadow)" : "");
	}
	if ((acts & FRAUD_ACT_ALERT) && f->alert) {
		memset(&a, 0, sizeof(a));
		a.level = h->level;
		a.reason = cfg_fraud_rule_reason(h->rule);
		a.rule = h->rule;
		a.kind = (enum fraud_kind)s->kind;
		a.name = str_make(s->key, s->keylen);
		a.subject = subject;
		a.text = text;
		a.actions = acts;
		a.shadow = shadow;
		a.at = now;
		f->st.alerts++;
		f->alert(&a, f->arg);
	}
}

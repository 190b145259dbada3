/*
 * callerid/report.c -- the blocking reports: rows of block
 * counts in, sums per period and dimension out, as CSV, JSON or HTML.
 *
 * Rows are kept as they come (a period index and three name ids per
 * row); the sums are built once before writing (build()): the name
 * tables are sorted and the ids renumbered in name order, so that
 * sorting the rows by (period, rule, channel, trunk) ids gives the
 * output order, and equal neighbours are merged. The store already
 * holds one row per (day, rule, channel, trunk), so the rows number at
 * most days x rules x channels x trunks.
 *
 * Names are interned by a linear search: a report sees a few dozen
 * rule codes, two channels and as many trunks as the configuration
 * has peers.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "callerid/report.h"
#include "store/store.h"

/* One table of names (rule codes, channels or trunks). */
struct names {
	char **v;
	uint64_t *tot; /* blocks per name */
	size_t n, cap;
};

/* A row as added, or a group of rows once summed (-1: not broken down). */
struct item {
	uint32_t per; /* index into r->pstart */
	int32_t rule, chan, trunk;
	uint64_t n;
};

struct report {
	int64_t from, to;
	enum report_period period;
	unsigned by;
	char *channel, *trunk; /* filters, or NULL */
	report_desc_h *desc;
	void *desc_arg;

	int64_t *pstart; /* the first day of each period, ascending */
	uint64_t *ptot; /* blocks per period */
	size_t nper;

	struct names rules, chans, trunks;
	struct item *it;
	size_t nit, capit;
	uint64_t total;

	/* built by build(), dropped by report_add() */
	bool built;
	struct item *grp;
	size_t ngrp;
	uint64_t *matrix; /* nper x rules.n: blocks per period and rule */
};

/* ---- dates -------------------------------------------------------------- */

static void
day_tm(int64_t day, struct tm *tm)
{
	time_t t = (time_t)day;

	gmtime_r(&t, tm);
}

static int64_t
tm_day(struct tm *tm)
{
	tm->tm_hour = tm->tm_min = tm->tm_sec = 0;
	tm->tm_isdst = 0;
	return (int64_t)timegm(tm);
}

void
report_date_fmt(int64_t day, char *buf, size_t cap)
{
	struct tm tm;

	day_tm(day, &tm);
	if (!strftime(buf, cap, "%Y-%m-%d", &tm) && cap)
		buf[0] = '\0';
}

int64_t
report_period_start(enum report_period p, int64_t day)
{
	struct tm tm;

	day_tm(day, &tm);
	switch (p) {
	case REPORT_DAY:
		break;
	case REPORT_MONTH:
		tm.tm_mday = 1;
		break;
	case REPORT_HALF:
		tm.tm_mday = 1;
		tm.tm_mon = tm.tm_mon < 6 ? 0 : 6;
		break;
	case REPORT_YEAR:
		tm.tm_mday = 1;
		tm.tm_mon = 0;
		break;
	}
	return tm_day(&tm);
}

/* The first day of the period after the one starting on "start". */
static int64_t
period_next(enum report_period p, int64_t start)
{
	struct tm tm;

	day_tm(start, &tm);
	switch (p) {
	case REPORT_DAY:
		tm.tm_mday += 1;
		break;
	case REPORT_MONTH:
		tm.tm_mon += 1;
		break;
	case REPORT_HALF:
		tm.tm_mon += 6;
		break;
	case REPORT_YEAR:
		tm.tm_year += 1;
		break;
	}
	return tm_day(&tm);
}

void
report_period_label(enum report_period p, int64_t day, char *buf, size_t cap)
{
	struct tm tm;
	size_t n = 0;

	day_tm(day, &tm);
	switch (p) {
	case REPORT_DAY:
		n = strftime(buf, cap, "%Y-%m-%d", &tm);
		break;
	case REPORT_MONTH:
		n = strftime(buf, cap, "%Y-%m", &tm);
		break;
	case REPORT_HALF:
		n = strftime(buf, cap, tm.tm_mon < 6 ? "%Y-H1" : "%Y-H2", &tm);
		break;
	case REPORT_YEAR:
		n = strftime(buf, cap, "%Y", &tm);
		break;
	}
	if (!n && cap)
		buf[0] = '\0';
}

/* ---- command-line words -------------------------------------------------- */

static const struct {
	const char *name;
	enum report_period p;
} period_words[] = {
	{ "day", REPORT_DAY },
	{ "daily", REPORT_DAY },
	{ "month", REPORT_MONTH },
	{ "monthly", REPORT_MONTH },
	{ "half", REPORT_HALF },
	{ "semester", REPORT_HALF },
	{ "semi-annual", REPORT_HALF },
	{ "year", REPORT_YEAR },
	{ "annual", REPORT_YEAR },
};

int
report_period_parse(const char *s, enum report_period *p)
{
	size_t i;

	for (i = 0; s && i < sizeof(period_words) / sizeof(period_words[0]);
	     i++)
		if (strcmp(s, period_words[i].name) == 0) {
			*p = period_words[i].p;
			return 0;
		}
	return EINVAL;
}

const char *
report_period_name(enum report_period p)
{
	switch (p) {
	case REPORT_DAY:
		return "day";
	case REPORT_MONTH:
		return "month";
	case REPORT_HALF:
		return "half";
	case REPORT_YEAR:
		return "year";
	}
	return "?";
}

int
report_format_parse(const char *s, enum report_format *f)
{
	if (!s)
		return EINVAL;
	if (strcmp(s, "csv") == 0)
		*f = REPORT_CSV;
	else if (strcmp(s, "json") == 0)
		*f = REPORT_JSON;
	else if (strcmp(s, "html") == 0)
		*f = REPORT_HTML;
	else
		return EINVAL;
	return 0;
}

int
report_by_parse(const char *s, unsigned *by)
{
	const char *p, *e;
	unsigned v = 0, bit;
	size_t len;

	if (!s)
		return EINVAL;
	if (*s == '\0' || strcmp(s, "none") == 0) {
		*by = 0;
		return 0;
	}
	for (p = s;; p = e + 1) {
		e = strchr(p, ',');
		len = e ? (size_t)(e - p) : strlen(p);
		if (len == 4 && memcmp(p, "rule", 4) == 0)
			bit = REPORT_BY_RULE;
		else if (len == 7 && memcmp(p, "channel", 7) == 0)
			bit = REPORT_BY_CHANNEL;
		else if (len == 5 && memcmp(p, "trunk", 5) == 0)
			bit = REPORT_BY_TRUNK;
		else
			return EINVAL;
		if (v & bit)
			return EINVAL;
		v |= bit;
		if (!e)
			break;
	}
	*by = v;
	return 0;
}

/* ---- building ------------------------------------------------------------ */

static void
names_free(struct names *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	free(t->tot);
	memset(t, 0, sizeof(*t));
}

/* The id of "s" in "t", added when new. Returns 0 or ENOMEM. */
static int
names_id(struct names *t, const char *s, int32_t *id)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i], s) == 0) {
			*id = (int32_t)i;
			return 0;
		}
	if (t->n == INT32_MAX)
		return ENOMEM;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **v = realloc(t->v, cap * sizeof(*v));
		uint64_t *tot;

		if (!v)
			return ENOMEM;
		t->v = v;
		tot = realloc(t->tot, cap * sizeof(*tot));
		if (!tot)
			return ENOMEM;
		t->tot = tot;
		t->cap = cap;
	}
	if (!(t->v[t->n] = strdup(s)))
		return ENOMEM;
	t->tot[t->n] = 0;
	*id = (int32_t)t->n++;
	return 0;
}

/* Sort "t" by name; map[old id] = new id. Returns 0 or ENOMEM. */
struct name_ref {
	char *s;
	uint64_t tot;
	int32_t old;
};

static int
name_ref_cmp(const void *a, const void *b)
{
	return strcmp(
	    ((const struct name_ref *)a)->s, ((const struct name_ref *)b)->s);
}

static int
names_sort(struct names *t, int32_t **mapp)
{
	struct name_ref *ref;
	int32_t *map;
	size_t i;

	*mapp = NULL;
	ref = calloc(t->n ? t->n : 1, sizeof(*ref));
	map = calloc(t->n ? t->n : 1, sizeof(*map));
	if (!ref || !map) {
		free(ref);
		free(map);
		return ENOMEM;
	}
	for (i = 0; i < t->n; i++) {
		ref[i].s = t->v[i];
		ref[i].tot = t->tot[i];
		ref[i].old = (int32_t)i;
	}
	qsort(ref, t->n, sizeof(*ref), name_ref_cmp);
	for (i = 0; i < t->n; i++) {
		t->v[i] = ref[i].s;
		t->tot[i] = ref[i].tot;
		map[ref[i].old] = (int32_t)i;
	}
	free(ref);
	*mapp = map;
	return 0;
}

static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->per != y->per)
		return x->per < y->per ? -1 : 1;
	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	if (x->chan != y->chan)
		return x->chan < y->chan ? -1 : 1;
	if (x->trunk != y->trunk)
		return x->trunk < y->trunk ? -1 : 1;
	return 0;
}

static void
unbuild(struct report *r)
{
	free(r->grp);
	free(r->matrix);
	r->grp = NULL;
	r->matrix = NULL;
	r->ngrp = 0;
	r->built = false;
}

/*
 * Sort the names, renumber the rows, then sum them into groups (the
 * dimensions not asked for set to -1) and into the period x rule
 * matrix the chart draws.
 */
static int
build(struct report *r)
{
	int32_t *mr = NULL, *mc = NULL, *mt = NULL;
	size_t i, j;
	int err;

	if (r->built)
		return 0;
	if ((err = names_sort(&r->rules, &mr)) ||
	    (err = names_sort(&r->chans, &mc)) ||
	    (err = names_sort(&r->trunks, &mt)))
		goto out;
	for (i = 0; i < r->nit; i++) {
		r->it[i].rule = mr[r->it[i].rule];
		r->it[i].chan = mc[r->it[i].chan];
		r->it[i].trunk = mt[r->it[i].trunk];
	}
	err = ENOMEM;
	r->grp = malloc((r->nit ? r->nit : 1) * sizeof(*r->grp));
	r->matrix =
	    calloc(r->nper * (r->rules.n ? r->rules.n : 1), sizeof(*r->matrix));
	if (!r->grp || !r->matrix)
		goto out;
	for (i = 0; i < r->nit; i++) {
		struct item g = r->it[i];

		r->matrix[g.per * r->rules.n + (size_t)g.rule] += g.n;
		if (!(r->by & REPORT_BY_RULE))
			g.rule = -1;
		if (!(r->by & REPORT_BY_CHANNEL))
			g.chan = -1;
		if (!(r->by & REPORT_BY_TRUNK))
			g.trunk = -1;
		r->grp[i] = g;
	}
	qsort(r->grp, r->nit, sizeof(*r->grp), item_cmp);
	for (i = 0, j = 0; i < r->nit; i++) {
		if (j > 0 && item_cmp(&r->grp[j - 1], &r->grp[i]) == 0)
			r->grp[j - 1].n += r->grp[i].n;
		else
			r->grp[j++] = r->grp[i];
	}
	r->ngrp = j;
	r->built = true;
	err = 0;
out:
	if (err)
		unbuild(r);
	free(mr);
	free(mc);
	free(mt);
	return err;
}

/* ---- the report ---------------------------------------------------------- */

static char *
dup_or_null(const char *s, int *err)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*err = ENOMEM;
	return d;
}

int
report_alloc(struct report **rp, const struct report_opts *o)
{
	struct report *r;
	int64_t p, lo, hi;
	size_t n;
	int err = 0;

	if (!rp || !o || o->from % REPORT_DAY_SECS || o->to % REPORT_DAY_SECS ||
	    o->from > o->to || o->from < 0 || (o->by & ~REPORT_BY_ALL) ||
	    o->period > REPORT_YEAR)
		return EINVAL;
	/* 10000-01-01 */
	if (o->to >= INT64_C(253402300800))
		return EINVAL;
	/* count the periods first: the allocation is then exact */
	lo = report_period_start(o->period, o->from);
	for (n = 0, p = lo; p <= o->to; p = period_next(o->period, p))
		if (++n > REPORT_PERIODS_MAX)
			return ERANGE;
	if (!(r = calloc(1, sizeof(*r))))
		return ENOMEM;
	r->from = o->from;
	r->to = o->to;
	r->period = o->period;
	r->by = o->by;
	r->desc = o->desc;
	r->desc_arg = o->desc_arg;
	r->channel = dup_or_null(o->channel, &err);
	r->trunk = dup_or_null(o->trunk, &err);
	r->nper = n;
	r->pstart = calloc(n, sizeof(*r->pstart));
	r->ptot = calloc(n, sizeof(*r->ptot));
	if (err || !r->pstart || !r->ptot) {
		report_free(r);
		return ENOMEM;
	}
	for (n = 0, hi = lo; n < r->nper; n++) {
		r->pstart[n] = hi;
		hi = period_next(o->period, hi);
	}
	*rp = r;
	return 0;
}

void
report_free(struct report *r)
{
	if (!r)
		return;
	unbuild(r);
	names_free(&r->rules);
	names_free(&r->chans);
	names_free(&r->trunks);
	free(r->it);
	free(r->pstart);
	free(r->ptot);
	free(r->channel);
	free(r->trunk);
	free(r);
}

/* The index of the period holding "day" (from <= day <= to). */
static uint32_t
period_index(const struct report *r, int64_t day)
{
	size_t lo = 0, hi = r->nper; /* pstart[lo] <= day < pstart[hi] */

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->pstart[mid] <= day)
			lo = mid;
		else
			hi = mid;
	}
	return (uint32_t)lo;
}

int
report_add(struct report *r, int64_t day, const char *rule, const char *channel,
    const char *trunk, uint64_t n)
{
	struct item it;
	int err;

	if (!r || !rule || !channel || !trunk)
		return EINVAL;
	/* any second of a day counts for that day */
	day -= ((day % REPORT_DAY_SECS) + REPORT_DAY_SECS) % REPORT_DAY_SECS;
	if (n == 0 || day < r->from || day > r->to ||
	    (r->channel && strcmp(r->channel, channel) != 0) ||
	    (r->trunk && strcmp(r->trunk, trunk) != 0))
		return 0;
	if (n > (uint64_t)INT64_MAX - r->total)
		return EOVERFLOW;
	if (r->nit == r->capit) {
		size_t cap = r->capit ? r->capit * 2 : 256;
		struct item *v = realloc(r->it, cap * sizeof(*v));

		if (!v)
			return ENOMEM;
		r->it = v;
		r->capit = cap;
	}
	if ((err = names_id(&r->rules, rule, &it.rule)) ||
	    (err = names_id(&r->chans, channel, &it.chan)) ||
	    (err = names_id(&r->trunks, trunk, &it.trunk)))
		return err;
	unbuild(r);
	it.per = period_index(r, day);
	it.n = n;
	r->it[r->nit++] = it;
	r->rules.tot[it.rule] += n;
	r->chans.tot[it.chan] += n;
	r->trunks.tot[it.trunk] += n;
	r->ptot[it.per] += n;
	r->total += n;
	return 0;
}

static int
load_one(const struct cid_block *b, void *arg)
{
	if (b->count <= 0)
		return 0;
	return report_add(
	    arg, b->day, b->rule, b->channel, b->trunk, (uint64_t)b->count);
}

int
report_load_store(struct report *r, struct store *s)
{
	if (!r || !s)
		return EINVAL;
	return store_cid_block_each(s, r->from, r->to, load_one, r);
}

uint64_t
report_total(const struct report *r)
{
	return r ? r->total : 0;
}

/* ---- writing: shared ----------------------------------------------------- */

static const char *
rule_desc(const struct report *r, int32_t rule)
{
	const char *d;

	if (!r->desc || rule < 0)
		return NULL;
	d = r->desc(r->rules.v[rule], r->desc_arg);
	return d && *d ? d : NULL;
}

/* The period's first and last day, clipped to [from, to]. */
static void
period_span(const struct report *r, size_t i, int64_t *a, int64_t *b)
{
	*a = r->pstart[i] < r->from ? r->from : r->pstart[i];
	if (i + 1 < r->nper)
		*b = r->pstart[i + 1] - REPORT_DAY_SECS;
	else
		*b = period_next(r->period, r->pstart[i]) - REPORT_DAY_SECS;
	if (*b > r->to)
		*b = r->to;
}

/* ---- CSV (RFC 4180) ------------------------------------------------------ */

static void
csv_field(FILE *f, const char *s, bool last)
{
	const char *p;

	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (p = s; *p; p++) {
			if (*p == '"')
				fputc('"', f);
			fputc(*p, f);
		}
		fputc('"', f);
	} else
		fputs(s, f);
	fputs(last ? "\r\n" : ",", f);
}

static int
write_csv(struct report *r, FILE *f)
{
	char label[16], num[24];
	const char *d;
	size_t i;

	csv_field(f, "period", false);
	if (r->by & REPORT_BY_RULE) {
		csv_field(f, "rule", false);
		csv_field(f, "description", false);
	}
	if (r->by & REPORT_BY_CHANNEL)
		csv_field(f, "channel", false);
	if (r->by & REPORT_BY_TRUNK)
		csv_field(f, "trunk", false);
	csv_field(f, "blocks", true);
	for (i = 0; i < r->ngrp; i++) {
		const struct item *g = &r->grp[i];

		report_period_label(
		    r->period, r->pstart[g->per], label, sizeof(label));
		csv_field(f, label, false);
		if (r->by & REPORT_BY_RULE) {
			csv_field(f, r->rules.v[g->rule], false);
			d = rule_desc(r, g->rule);
			csv_field(f, d ? d : "", false);
		}
		if (r->by & REPORT_BY_CHANNEL)
			csv_field(f, r->chans.v[g->chan], false);
		if (r->by & REPORT_BY_TRUNK)
			csv_field(f, r->trunks.v[g->trunk], false);
		snprintf(num, sizeof(num), "%llu", (unsigned long long)g->n);
		csv_field(f, num, true);
	}
	return 0;
}

/* ---- JSON ---------------------------------------------------------------- */

/*
 * Set o[k] = v, taking v. A NULL v is a string jansson refused (not
 * UTF-8) or no memory: EILSEQ is the likelier, and an out-of-memory
 * jansson fails the final dump anyway.
 */
static int
jset(json_t *o, const char *k, json_t *v)
{
	if (!v)
		return EILSEQ;
	if (json_is_array(o))
		return json_array_append_new(o, v) ? ENOMEM : 0;
	return json_object_set_new(o, k, v) ? EILSEQ : 0;
}

static json_t *
jday(int64_t day)
{
	char buf[16];

	report_date_fmt(day, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *
jcount(uint64_t n)
{
	return json_integer((json_int_t)n);
}

static int
json_totals(const struct names *t, json_t **op)
{
	json_t *o = json_object();
	size_t i;
	int err = o ? 0 : ENOMEM;

	for (i = 0; !err && i < t->n; i++)
		err = jset(o, t->v[i], jcount(t->tot[i]));
	if (err)
		json_decref(o);
	else
		*op = o;
	return err;
}

static int
json_build(struct report *r, json_t **jp)
{
	json_t *j, *a, *o, *by, *tot, *descs;
	char label[16];
	const char *d;
	int64_t pa, pb;
	size_t i;
	int err;

	if (!(j = json_object()))
		return ENOMEM;
	err = jset(j, "from", jday(r->from));
	if (!err)
		err = jset(j, "to", jday(r->to));
	if (!err)
		err = jset(
		    j, "period", json_string(report_period_name(r->period)));
	if (!err && !(err = jset(j, "by", by = json_array()))) {
		if (!err && (r->by & REPORT_BY_RULE))
			err = jset(by, NULL, json_string("rule"));
		if (!err && (r->by & REPORT_BY_CHANNEL))
			err = jset(by, NULL, json_string("channel"));
		if (!err && (r->by & REPORT_BY_TRUNK))
			err = jset(by, NULL, json_string("trunk"));
	}
	if (!err && !(err = jset(j, "filter", o = json_object()))) {
		err = jset(o, "channel",
		    r->channel ? json_string(r->channel) : json_null());
		if (!err)
			err = jset(o, "trunk",
			    r->trunk ? json_string(r->trunk) : json_null());
	}
	if (!err)
		err = jset(j, "periods", a = json_array());
	for (i = 0; !err && i < r->nper; i++) {
		if ((err = jset(a, NULL, o = json_object())))
			break;
		report_period_label(
		    r->period, r->pstart[i], label, sizeof(label));
		period_span(r, i, &pa, &pb);
		err = jset(o, "period", json_string(label));
		if (!err)
			err = jset(o, "from", jday(pa));
		if (!err)
			err = jset(o, "to", jday(pb));
		if (!err)
			err = jset(o, "blocks", jcount(r->ptot[i]));
	}
	if (!err)
		err = jset(j, "rows", a = json_array());
	for (i = 0; !err && i < r->ngrp; i++) {
		const struct item *g = &r->grp[i];

		if ((err = jset(a, NULL, o = json_object())))
			break;
		report_period_label(
		    r->period, r->pstart[g->per], label, sizeof(label));
		err = jset(o, "period", json_string(label));
		if (!err && g->rule >= 0) {
			err = jset(o, "rule", json_string(r->rules.v[g->rule]));
			if (!err && (d = rule_desc(r, g->rule)))
				err = jset(o, "description", json_string(d));
		}
		if (!err && g->chan >= 0)
			err = jset(
			    o, "channel", json_string(r->chans.v[g->chan]));
		if (!err && g->trunk >= 0)
			err = jset(
			    o, "trunk", json_string(r->trunks.v[g->trunk]));
		if (!err)
			err = jset(o, "blocks", jcount(g->n));
	}
	if (!err)
		err = jset(j, "totals", tot = json_object());
	if (!err)
		err = jset(tot, "blocks", jcount(r->total));
	if (!err && !(err = json_totals(&r->rules, &o)))
		err = jset(tot, "rule", o);
	if (!err && !(err = json_totals(&r->chans, &o)))
		err = jset(tot, "channel", o);
	if (!err && !(err = json_totals(&r->trunks, &o)))
		err = jset(tot, "trunk", o);
	if (!err)
		err = jset(j, "descriptions", descs = json_object());
	for (i = 0; !err && i < r->rules.n; i++)
		if ((d = rule_desc(r, (int32_t)i)))
			err = jset(descs, r->rules.v[i], json_string(d));
	if (err)
		json_decref(j);
	else
		*jp = j;
	return err;
}

static int
write_json(struct report *r, FILE *f)
{
	json_t *j;
	int err;

	if ((err = json_build(r, &j)))
		return err;
	if (json_dumpf(j, f, JSON_INDENT(2)) == 0)
		fputc('\n', f);
	else
		err = EIO;
	json_decref(j);
	return err;
}

/* ---- HTML ---------------------------------------------------------------- */

static void
esc(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
}

/*
 * Colour of rule i (in name order): hues a golden angle apart, so any
 * number of rules get distinct neighbours, lightness alternating.
 */
static void
rule_colour(size_t i, char *buf, size_t cap)
{
	snprintf(buf, cap, "hsl(%.0f,65%%,%d%%)",
	    fmod((double)i * 137.508, 360.0), i % 2 ? 58 : 42);
}

/* A 1-2-5 step giving at most 5 ticks up to "max"; at least 1. */
static uint64_t
tick_step(uint64_t max)
{
	uint64_t raw = max / 5 + (max % 5 != 0), mag = 1;

	if (raw < 1)
		raw = 1;
	while (mag <= raw / 10)
		mag *= 10;
	if (raw <= mag)
		return mag;
	if (raw <= 2 * mag)
		return 2 * mag;
	if (raw <= 5 * mag)
		return 5 * mag;
	return 10 * mag;
}

#define SVG_ML 72.0 /* margins: left, right, top, bottom */
#define SVG_MR 16.0
#define SVG_MT 16.0
#define SVG_MB 84.0
#define SVG_PH 300.0 /* plot height */

static void
write_svg(struct report *r, FILE *f)
{
	double slot, bw, pw, x, y, h, cum;
	uint64_t ymax = 0, step, top, v;
	size_t i, k, stride;
	char label[16], col[40];
	bool rotate;

	for (i = 0; i < r->nper; i++)
		if (r->ptot[i] > ymax)
			ymax = r->ptot[i];
	step = tick_step(ymax);
	top = ymax ? ((ymax + step - 1) / step) * step : step;
	slot = 720.0 / (double)r->nper;
	if (slot < 6.0)
		slot = 6.0;
	if (slot > 96.0)
		slot = 96.0;
	pw = slot * (double)r->nper;
	bw = slot * 0.7;
	rotate = slot < 72.0;
	stride = rotate ? (size_t)ceil(16.0 / slot) : 1;
	fprintf(f,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
	    "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
	    "aria-label=\"Blocks per rule and %s\" "
	    "font-family=\"sans-serif\" font-size=\"11\">\n",
	    SVG_ML + pw + SVG_MR, SVG_MT + SVG_PH + SVG_MB,
	    SVG_ML + pw + SVG_MR, SVG_MT + SVG_PH + SVG_MB,
	    report_period_name(r->period));
	/* y grid, ticks and title */
	fputs("<g class=\"axis y\">\n", f);
	for (v = 0; v <= top; v += step) {
		y = SVG_MT + SVG_PH - (double)v / (double)top * SVG_PH;
		fprintf(f,
		    "<line x1=\"%.0f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
		    "stroke=\"%s\"/>"
		    "<text x=\"%.0f\" y=\"%.2f\" text-anchor=\"end\" "
		    "dominant-baseline=\"middle\">%llu</text>\n",
		    SVG_ML, y, SVG_ML + pw, y, v ? "#ddd" : "#333", SVG_ML - 6,
		    y, (unsigned long long)v);
		if (top - v < step)
			break;
	}
	fprintf(f,
	    "<text transform=\"translate(16,%.0f) rotate(-90)\" "
	    "text-anchor=\"middle\">blocks</text>\n</g>\n",
	    SVG_MT + SVG_PH / 2);
	/* one group of stacked bars per period, rules bottom-up */
	for (i = 0; i < r->nper; i++) {
		report_period_label(
		    r->period, r->pstart[i], label, sizeof(label));
		fprintf(f,
		    "<g class=\"bar\" data-period=\"%s\"><title>%s: %llu "
		    "blocks</title>\n",
		    label, label, (unsigned long long)r->ptot[i]);
		x = SVG_ML + (double)i * slot + (slot - bw) / 2;
		cum = 0;
		for (k = 0; k < r->rules.n; k++) {
			if (!(v = r->matrix[i * r->rules.n + k]))
				continue;
			h = (double)v / (double)top * SVG_PH;
			cum += h;
			rule_colour(k, col, sizeof(col));
			fprintf(f,
			    "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
			    "height=\"%.2f\" fill=\"%s\"><title>%s ",
			    x, SVG_MT + SVG_PH - cum, bw, h, col, label);
			esc(f, r->rules.v[k]);
			fprintf(f, ": %llu</title></rect>\n",
			    (unsigned long long)v);
		}
		fputs("</g>\n", f);
	}
	/* x labels (every stride-th when they would overlap) and title */
	fputs("<g class=\"axis x\">\n", f);
	fprintf(f,
	    "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.2f\" y2=\"%.0f\" "
	    "stroke=\"#333\"/>\n",
	    SVG_ML, SVG_MT + SVG_PH, SVG_ML + pw, SVG_MT + SVG_PH);
	for (i = 0; i < r->nper; i += stride) {
		report_period_label(
		    r->period, r->pstart[i], label, sizeof(label));
		x = SVG_ML + ((double)i + 0.5) * slot;
		y = SVG_MT + SVG_PH + 14;
		if (rotate)
			fprintf(f,
			    "<text transform=\"translate(%.2f,%.0f) "
			    "rotate(-45)\" text-anchor=\"end\">%s</text>\n",
			    x + 4, y, label);
		else
			fprintf(f,
			    "<text x=\"%.2f\" y=\"%.0f\" "
			    "text-anchor=\"middle\">%s</text>\n",
			    x, y, label);
	}
	fprintf(f,
	    "<text x=\"%.2f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n"
	    "</g>\n</svg>\n",
	    SVG_ML + pw / 2, SVG_MT + SVG_PH + SVG_MB - 6,
	    report_period_name(r->period));
}

static void
html_totals(FILE *f, const char *what, const struct names *t)
{
	size_t i;

	fprintf(f,
	    "<table class=\"totals\">\n<caption>Blocks per %s</caption>\n"
	    "<tr><th>%s</th><th class=\"num\">blocks</th></tr>\n",
	    what, what);
	for (i = 0; i < t->n; i++) {
		fputs("<tr><td>", f);
		esc(f, t->v[i]);
		fprintf(f, "</td><td class=\"num\">%llu</td></tr>\n",
		    (unsigned long long)t->tot[i]);
	}
	fputs("</table>\n", f);
}

static int
write_html(struct report *r, FILE *f)
{
	char from[16], to[16], label[16], col[40];
	const char *d;
	size_t i;

	report_date_fmt(r->from, from, sizeof(from));
	report_date_fmt(r->to, to, sizeof(to));
	fprintf(f,
	    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<title>Caller-ID blocks %s to %s</title>\n"
	    "<style>\n"
	    "body{font-family:sans-serif;margin:2em;color:#222}\n"
	    "table{border-collapse:collapse;margin:1em 0}\n"
	    "th,td{border:1px solid #ccc;padding:2px 8px;text-align:left}\n"
	    ".num{text-align:right}\n"
	    "caption{text-align:left;font-weight:bold}\n"
	    ".legend{list-style:none;padding:0}\n"
	    ".sw{display:inline-block;width:12px;height:12px;"
	    "margin-right:6px;vertical-align:middle}\n"
	    ".empty{font-weight:bold}\n"
	    "</style>\n</head>\n<body>\n"
	    "<h1>Caller-ID blocks</h1>\n"
	    "<p class=\"meta\">From %s to %s, by %s; channel: ",
	    from, to, from, to, report_period_name(r->period));
	esc(f, r->channel ? r->channel : "all");
	fputs("; trunk: ", f);
	esc(f, r->trunk ? r->trunk : "all");
	fprintf(f, ". Total: %llu blocks.</p>\n", (unsigned long long)r->total);
	if (r->total == 0)
		fputs("<p class=\"empty\">No blocks in this period.</p>\n", f);
	fputs("<figure>\n", f);
	write_svg(r, f);
	fputs("<figcaption>Blocks per rule and period</figcaption>\n"
	      "</figure>\n<ul class=\"legend\">\n",
	    f);
	for (i = 0; i < r->rules.n; i++) {
		rule_colour(i, col, sizeof(col));
		fprintf(f,
		    "<li><span class=\"sw\" style=\"background:%s\">"
		    "</span><code>",
		    col);
		esc(f, r->rules.v[i]);
		fputs("</code>", f);
		if ((d = rule_desc(r, (int32_t)i))) {
			fputs(" ", f);
			esc(f, d);
		}
		fprintf(
		    f, " (%llu)</li>\n", (unsigned long long)r->rules.tot[i]);
	}
	fputs("</ul>\n<table class=\"rows\">\n<caption>Blocks</caption>\n"
	      "<tr><th>period</th>",
	    f);
	if (r->by & REPORT_BY_RULE)
		fputs("<th>rule</th><th>description</th>", f);
	if (r->by & REPORT_BY_CHANNEL)
		fputs("<th>channel</th>", f);
	if (r->by & REPORT_BY_TRUNK)
		fputs("<th>trunk</th>", f);
	fputs("<th class=\"num\">blocks</th></tr>\n", f);
	for (i = 0; i < r->ngrp; i++) {
		const struct item *g = &r->grp[i];

		report_period_label(
		    r->period, r->pstart[g->per], label, sizeof(label));
		fprintf(f, "<tr><td>%s</td>", label);
		if (g->rule >= 0) {
			fputs("<td>", f);
			esc(f, r->rules.v[g->rule]);
			fputs("</td><td>", f);
			d = rule_desc(r, g->rule);
			esc(f, d ? d : "");
			fputs("</td>", f);
		}
		if (g->chan >= 0) {
			fputs("<td>", f);
			esc(f, r->chans.v[g->chan]);
			fputs("</td>", f);
		}
		if (g->trunk >= 0) {
			fputs("<td>", f);
			esc(f, r->trunks.v[g->trunk]);
			fputs("</td>", f);
		}
		fprintf(f, "<td class=\"num\">%llu</td></tr>\n",
		    (unsigned long long)g->n);
	}
	fputs("</table>\n", f);
	html_totals(f, "rule", &r->rules);
	html_totals(f, "channel", &r->chans);
	html_totals(f, "trunk", &r->trunks);
	fprintf(f,
	    "<p class=\"total\">Total: %llu blocks.</p>\n</body>\n</html>\n",
	    (unsigned long long)r->total);
	return 0;
}

int
report_write(struct report *r, enum report_format fmt, FILE *f)
{
	int err;

	if (!r || !f)
		return EINVAL;
	if ((err = build(r)))
		return err;
	switch (fmt) {
	case REPORT_CSV:
		err = write_csv(r, f);
		break;
	case REPORT_JSON:
		err = write_json(r, f);
		break;
	case REPORT_HTML:
		err = write_html(r, f);
		break;
	default:
		return EINVAL;
	}
	if (!err && (fflush(f) || ferror(f)))
		err = EIO;
	return err;
}

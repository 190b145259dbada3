/*
 * tests/unit/test_callerid_report.c -- the blocking reports (R-20,
 * callerid/report.h): dates and period labels across month, half-year
 * and year boundaries, sums per period and per dimension, totals equal
 * to the rows, CSV quoting, JSON read back with jansson, the HTML chart
 * and its escaping, the empty report, filters; and counts written with
 * store_cid_block_add() into a SQLite store in a mkdtemp(3) directory,
 * read back by report_load_store() as centinelactl report does.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "callerid/report.h"
#include "core/date.h"
#include "store/store.h"

/* ---- helpers ------------------------------------------------------------- */

static int64_t
day(const char *s)
{
	int64_t d = -1;
	char err[128];

	if (date_parse(s, &d, err, sizeof(err)))
		fail_msg("bad test date %s: %s", s, err);
	return d;
}

static struct report *
mk(const char *from, const char *to, enum report_period p, unsigned by)
{
	struct report_opts o;
	struct report *r = NULL;

	memset(&o, 0, sizeof(o));
	o.from = day(from);
	o.to = day(to);
	o.period = p;
	o.by = by;
	assert_int_equal(report_alloc(&r, &o), 0);
	assert_non_null(r);
	return r;
}

static void
add(struct report *r, const char *d, const char *rule, const char *chan,
    const char *trunk, uint64_t n)
{
	assert_int_equal(report_add(r, day(d), rule, chan, trunk, n), 0);
}

/* The report in "fmt" as a string; the caller frees it. */
static char *
render(struct report *r, enum report_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(report_write(r, fmt, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(buf);
	assert_int_equal(strlen(buf), len);
	return buf;
}

static json_t *
render_json(struct report *r)
{
	json_error_t je;
	char *txt = render(r, REPORT_JSON);
	json_t *j = json_loads(txt, 0, &je);

	if (!j)
		fail_msg("report JSON does not parse: %s (line %d)\n%s",
		    je.text, je.line, txt);
	free(txt);
	assert_true(json_is_object(j));
	return j;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p = hay;

	while ((p = strstr(p, needle))) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static json_int_t
jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v))
		fail_msg("\"%s\" is not an integer", k);
	return json_integer_value(v);
}

static const char *
jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_string(v))
		fail_msg("\"%s\" is not a string", k);
	return json_string_value(v);
}

/* periods[] of the JSON as "label=blocks;..." */
static void
periods_str(json_t *j, char *buf, size_t cap)
{
	json_t *a = json_object_get(j, "periods"), *p;
	size_t i, off = 0;
	int n;

	buf[0] = '\0';
	assert_true(json_is_array(a));
	for (i = 0; i < json_array_size(a); i++) {
		p = json_array_get(a, i);
		n = snprintf(buf + off, cap - off, "%s%s=%lld", i ? ";" : "",
		    jstr(p, "period"), (long long)jint(p, "blocks"));
		assert_true(n > 0 && (size_t)n < cap - off);
		off += (size_t)n;
	}
}

/* ---- dates and labels ------------------------------------------------------ */

static void
test_date_parse(void **state)
{
	int64_t d = 0;
	char err[128];

	assert_int_equal(date_parse("1970-01-01", &d, err, sizeof(err)), 0);
	assert_int_equal(d, 0);
	assert_int_equal(date_parse("2026-01-01", &d, NULL, 0), 0);
	assert_int_equal(d, 1767225600);
	assert_int_equal(date_parse("2024-02-29", &d, NULL, 0), 0);
	assert_int_equal(d, 1709164800);

	assert_int_equal(
	    date_parse("2026-02-30", &d, err, sizeof(err)), ERANGE);
	assert_string_equal(err, "February 2026 has 28 days");
	assert_int_equal(
	    date_parse("2025-02-29", &d, err, sizeof(err)), ERANGE);
	assert_string_equal(err, "February 2025 has 28 days");
	assert_int_equal(
	    date_parse("2026-04-31", &d, err, sizeof(err)), ERANGE);
	assert_string_equal(err, "April 2026 has 30 days");
	assert_int_equal(
	    date_parse("2026-13-01", &d, err, sizeof(err)), ERANGE);
	assert_string_equal(err, "there is no month 13");
	assert_int_equal(
	    date_parse("2026-01-00", &d, err, sizeof(err)), ERANGE);
	assert_int_equal(
	    date_parse("1969-12-31", &d, err, sizeof(err)), ERANGE);
	assert_int_equal(date_parse("2026-1-01", &d, err, sizeof(err)), EINVAL);
	assert_string_equal(err, "not a date of the form YYYY-MM-DD");
	assert_int_equal(date_parse("2026-01-01x", &d, NULL, 0), EINVAL);
	assert_int_equal(date_parse("2026/01/01", &d, NULL, 0), EINVAL);
	assert_int_equal(date_parse("+026-01-01", &d, NULL, 0), EINVAL);
	assert_int_equal(date_parse("", &d, NULL, 0), EINVAL);
	assert_int_equal(date_parse(NULL, &d, NULL, 0), EINVAL);
	/* d untouched by the failures */
	assert_int_equal(d, 1709164800);
}

static void
test_period_labels(void **state)
{
	static const struct {
		const char *d;
		const char *lab[4]; /* day, month, half, year */
		const char *start[4];
	} v[] = {
		{ "2025-06-30", { "2025-06-30", "2025-06", "2025-H1", "2025" },
		    { "2025-06-30", "2025-06-01", "2025-01-01",
			"2025-01-01" } },
		{ "2025-07-01", { "2025-07-01", "2025-07", "2025-H2", "2025" },
		    { "2025-07-01", "2025-07-01", "2025-07-01",
			"2025-01-01" } },
		{ "2025-12-31", { "2025-12-31", "2025-12", "2025-H2", "2025" },
		    { "2025-12-31", "2025-12-01", "2025-07-01",
			"2025-01-01" } },
		{ "2026-01-01", { "2026-01-01", "2026-01", "2026-H1", "2026" },
		    { "2026-01-01", "2026-01-01", "2026-01-01",
			"2026-01-01" } },
		{ "2024-02-29", { "2024-02-29", "2024-02", "2024-H1", "2024" },
		    { "2024-02-29", "2024-02-01", "2024-01-01",
			"2024-01-01" } },
	};
	char buf[16];
	size_t i;
	int p;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		for (p = REPORT_DAY; p <= REPORT_YEAR; p++) {
			report_period_label(p, day(v[i].d), buf, sizeof(buf));
			assert_string_equal(buf, v[i].lab[p]);
			report_period_label(
			    p, day(v[i].d) + 86399, buf, sizeof(buf));
			assert_string_equal(buf, v[i].lab[p]);
			assert_int_equal(report_period_start(p, day(v[i].d)),
			    day(v[i].start[p]));
		}
	report_date_fmt(day("2026-03-05"), buf, sizeof(buf));
	assert_string_equal(buf, "2026-03-05");
}

static void
test_words(void **state)
{
	enum report_period p;
	enum report_format f;
	unsigned by;

	assert_int_equal(report_period_parse("day", &p), 0);
	assert_int_equal(p, REPORT_DAY);
	assert_int_equal(report_period_parse("month", &p), 0);
	assert_int_equal(p, REPORT_MONTH);
	assert_int_equal(report_period_parse("half", &p), 0);
	assert_int_equal(p, REPORT_HALF);
	assert_int_equal(report_period_parse("semi-annual", &p), 0);
	assert_int_equal(p, REPORT_HALF);
	assert_int_equal(report_period_parse("year", &p), 0);
	assert_int_equal(p, REPORT_YEAR);
	assert_int_equal(report_period_parse("week", &p), EINVAL);
	assert_int_equal(report_period_parse("Year", &p), EINVAL);
	assert_string_equal(report_period_name(REPORT_HALF), "half");

	assert_int_equal(report_format_parse("csv", &f), 0);
	assert_int_equal(f, REPORT_CSV);
	assert_int_equal(report_format_parse("json", &f), 0);
	assert_int_equal(f, REPORT_JSON);
	assert_int_equal(report_format_parse("html", &f), 0);
	assert_int_equal(f, REPORT_HTML);
	assert_int_equal(report_format_parse("xml", &f), EINVAL);

	assert_int_equal(report_by_parse("rule,channel,trunk", &by), 0);
	assert_int_equal(by, REPORT_BY_ALL);
	assert_int_equal(report_by_parse("trunk", &by), 0);
	assert_int_equal(by, REPORT_BY_TRUNK);
	assert_int_equal(report_by_parse("channel,rule", &by), 0);
	assert_int_equal(by, REPORT_BY_RULE | REPORT_BY_CHANNEL);
	assert_int_equal(report_by_parse("none", &by), 0);
	assert_int_equal(by, 0);
	by = 7;
	assert_int_equal(report_by_parse("rule,rule", &by), EINVAL);
	assert_int_equal(report_by_parse("rule,", &by), EINVAL);
	assert_int_equal(report_by_parse("rules", &by), EINVAL);
	assert_int_equal(report_by_parse(",trunk", &by), EINVAL);
	assert_int_equal(by, 7);
}

static void
test_alloc_errors(void **state)
{
	struct report_opts o;
	struct report *r = NULL;

	memset(&o, 0, sizeof(o));
	o.from = day("2026-01-02");
	o.to = day("2026-01-01");
	assert_int_equal(report_alloc(&r, &o), EINVAL);
	o.to = o.from + 3600; /* not a day */
	assert_int_equal(report_alloc(&r, &o), EINVAL);
	o.to = o.from;
	o.by = 8;
	assert_int_equal(report_alloc(&r, &o), EINVAL);
	o.by = 0;
	o.from = day("1970-01-01");
	o.to = day("9999-12-31");
	o.period = REPORT_DAY;
	assert_int_equal(report_alloc(&r, &o), ERANGE);
	assert_null(r);
	o.period = REPORT_YEAR; /* 8030 periods: fine */
	assert_int_equal(report_alloc(&r, &o), 0);
	assert_int_equal(
	    report_add(r, day("2026-01-01"), NULL, "call", "t", 1), EINVAL);
	assert_int_equal(
	    report_add(r, 0, "R", "call", "t", (uint64_t)INT64_MAX), 0);
	assert_int_equal(report_add(r, 0, "R", "call", "t", 1), EOVERFLOW);
	assert_int_equal(report_total(r), (uint64_t)INT64_MAX);
	report_free(r);
}

/* ---- sums ------------------------------------------------------------------ */

/* Rows on both sides of the half-year and the year boundaries. */
static void
boundary_rows(struct report *r)
{
	add(r, "2025-05-31", "ES-A4.2", "call", "carrier-fr", 1000); /* out */
	add(r, "2025-06-30", "ES-A4.2", "call", "carrier-fr", 3);
	add(r, "2025-07-01", "ES-A4.2", "call", "carrier-fr", 5);
	add(r, "2025-12-31", "ES-A5.1", "sms", "carrier-fr", 7);
	assert_int_equal(report_add(r, day("2026-01-01") + 43200, "ES-A5.1",
			     "call", "carrier-es", 11),
	    0); /* noon counts for its day */
	add(r, "2026-02-01", "ES-A5.1", "call", "carrier-es", 2000); /* out */
}

static void
test_periods_across_boundaries(void **state)
{
	static const struct {
		enum report_period p;
		const char *want;
	} v[] = {
		{ REPORT_YEAR, "2025=15;2026=11" },
		{ REPORT_HALF, "2025-H1=3;2025-H2=12;2026-H1=11" },
		{ REPORT_MONTH,
		    "2025-06=3;2025-07=5;2025-08=0;2025-09=0;2025-10=0;"
		    "2025-11=0;2025-12=7;2026-01=11" },
	};
	char buf[512];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct report *r = mk("2025-06-01", "2026-01-31", v[i].p, 0);
		json_t *j;

		boundary_rows(r);
		assert_int_equal(report_total(r), 26);
		j = render_json(r);
		periods_str(j, buf, sizeof(buf));
		assert_string_equal(buf, v[i].want);
		json_decref(j);
		report_free(r);
	}

	/* by day: 245 periods, four of them non-zero, in rows */
	{
		struct report *r =
		    mk("2025-06-01", "2026-01-31", REPORT_DAY, REPORT_BY_RULE);
		json_t *j, *rows;
		char *csv;

		boundary_rows(r);
		j = render_json(r);
		assert_int_equal(
		    json_array_size(json_object_get(j, "periods")), 245);
		rows = json_object_get(j, "rows");
		assert_int_equal(json_array_size(rows), 4);
		json_decref(j);
		csv = render(r, REPORT_CSV);
		assert_string_equal(csv,
		    "period,rule,description,blocks\r\n"
		    "2025-06-30,ES-A4.2,,3\r\n"
		    "2025-07-01,ES-A4.2,,5\r\n"
		    "2025-12-31,ES-A5.1,,7\r\n"
		    "2026-01-01,ES-A5.1,,11\r\n");
		free(csv);
		report_free(r);
	}

	/* the first and last periods are clipped to from and to */
	{
		struct report *r =
		    mk("2025-06-15", "2026-01-10", REPORT_HALF, REPORT_BY_RULE);
		json_t *j, *a;

		boundary_rows(r);
		j = render_json(r);
		a = json_object_get(j, "periods");
		assert_int_equal(json_array_size(a), 3);
		assert_string_equal(
		    jstr(json_array_get(a, 0), "from"), "2025-06-15");
		assert_string_equal(
		    jstr(json_array_get(a, 0), "to"), "2025-06-30");
		assert_string_equal(
		    jstr(json_array_get(a, 1), "from"), "2025-07-01");
		assert_string_equal(
		    jstr(json_array_get(a, 1), "to"), "2025-12-31");
		assert_string_equal(
		    jstr(json_array_get(a, 2), "to"), "2026-01-10");
		assert_string_equal(jstr(j, "from"), "2025-06-15");
		assert_string_equal(jstr(j, "to"), "2026-01-10");
		assert_string_equal(jstr(j, "period"), "half");
		json_decref(j);
		report_free(r);
	}
}

static const char *const rules3[] = { "ES-A4.1-EMPTY", "ES-A4.2", "ES-A5.1" };
static const char *const chans2[] = { "call", "sms" };
static const char *const trunks3[] = { "carrier-fr", "carrier-es", "pbx-1" };

/*
 * A fixed pseudo-random load: every third day of 2025-2026, every
 * combination, counts 0..49 (a 0 is ignored). Each row is also kept
 * as an oracle key "label^Arule^Achannel^Atrunk" with the dimensions
 * not asked for left empty.
 */
#define LOAD_MAX 5000

struct oracle {
	char key[LOAD_MAX][64];
	uint64_t n[LOAD_MAX];
	size_t len;
};

static uint64_t
load(struct report *r, enum report_period p, unsigned by, struct oracle * or)
{
	uint64_t sum = 0, x = 12345;
	int64_t d0 = day("2025-01-01"), d;
	size_t a, b, c;
	char label[16];

	or->len = 0;
	for (d = d0; d < d0 + 730 * 86400; d += 86400 * 3)
		for (a = 0; a < 3; a++)
			for (b = 0; b < 2; b++)
				for (c = 0; c < 3; c++) {
					uint64_t n;

					x = x * 6364136223846793005ULL +
					    1442695040888963407ULL;
					n = (x >> 33) % 50;
					assert_int_equal(
					    report_add(r, d, rules3[a],
						chans2[b], trunks3[c], n),
					    0);
					sum += n;
					if (!n)
						continue;
					assert_true(or->len < LOAD_MAX);
					report_period_label(
					    p, d, label, sizeof(label));
					snprintf(or->key[or->len], 64,
					    "%s\001%s\001%s\001%s", label,
					    by & REPORT_BY_RULE ? rules3[a] :
								  "",
					    by & REPORT_BY_CHANNEL ? chans2[b] :
								     "",
					    by & REPORT_BY_TRUNK ? trunks3[c] :
								   "");
					or->n[or->len++] = n;
				}
	return sum;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* "label^Arule^Achannel^Atrunk" of a JSON row. */
static void
row_key(json_t *row, char *buf, size_t cap)
{
	json_t *r = json_object_get(row, "rule");
	json_t *c = json_object_get(row, "channel");
	json_t *t = json_object_get(row, "trunk");

	snprintf(buf, cap, "%s\001%s\001%s\001%s", jstr(row, "period"),
	    r ? json_string_value(r) : "", c ? json_string_value(c) : "",
	    t ? json_string_value(t) : "");
}

static json_int_t
sum_object(json_t *o)
{
	void *it;
	json_int_t s = 0;

	assert_true(json_is_object(o));
	for (it = json_object_iter(o); it; it = json_object_iter_next(o, it))
		s += json_integer_value(json_object_iter_value(it));
	return s;
}

static json_int_t
sum_array(json_t *a)
{
	json_int_t s = 0;
	size_t i;

	assert_true(json_is_array(a));
	for (i = 0; i < json_array_size(a); i++)
		s += jint(json_array_get(a, i), "blocks");
	return s;
}

/*
 * Every period, every subset of the dimensions: the rows are exactly
 * the oracle's groups (sorted keys, summed), and every total equals
 * the sum of the rows.
 */
static void
test_totals_equal_rows(void **state)
{
	static struct oracle or ;
	static char keys[LOAD_MAX][64];
	unsigned by;
	int p;

	for (p = REPORT_DAY; p <= REPORT_YEAR; p++)
		for (by = 0; by <= REPORT_BY_ALL; by++) {
			struct report *r =
			    mk("2025-01-01", "2026-12-31", p, by);
			uint64_t sum = load(r, p, by, & or);
			json_t *j, *rows, *tot;
			size_t i, k, ng;
			char key[64];

			assert_int_equal(report_total(r), sum);
			j = render_json(r);
			tot = json_object_get(j, "totals");
			assert_int_equal(jint(tot, "blocks"), sum);
			assert_int_equal(
			    sum_object(json_object_get(tot, "rule")), sum);
			assert_int_equal(
			    sum_object(json_object_get(tot, "channel")), sum);
			assert_int_equal(
			    sum_object(json_object_get(tot, "trunk")), sum);
			assert_int_equal(
			    json_object_size(json_object_get(tot, "rule")), 3);
			assert_int_equal(
			    sum_array(json_object_get(j, "periods")), sum);
			rows = json_object_get(j, "rows");
			assert_int_equal(sum_array(rows), sum);

			/* the oracle: sort the keys, merge equal ones */
			memcpy(keys, or.key, or.len * sizeof(keys[0]));
			qsort(keys, or.len, sizeof(keys[0]), key_cmp);
			for (i = 0, ng = 0; i < or.len; i++)
				if (ng == 0 || strcmp(keys[ng - 1], keys[i]))
					memcpy(keys[ng++], keys[i],
					    sizeof(keys[0]));
			assert_int_equal(json_array_size(rows), ng);
			for (i = 0; i < ng; i++) {
				json_t *row = json_array_get(rows, i);
				uint64_t want = 0;

				row_key(row, key, sizeof(key));
				assert_string_equal(key, keys[i]);
				for (k = 0; k < or.len; k++)
					if (strcmp(or.key[k], key) == 0)
						want += or.n[k];
				assert_int_equal(jint(row, "blocks"), want);
			}
			json_decref(j);
			report_free(r);
		}
}

/* N blocks of each reason: the report shows N per reason (R-20 test). */
static void
test_n_per_reason(void **state)
{
	static const char *const codes[] = { "ES-A4.1-EMPTY", "ES-A4.1-PLAN",
		"ES-A4.2", "ES-A4.3", "ES-A4.4", "ES-A5.1", "ES-A8-ALIAS",
		"ES-A9-MOBILE", "ROBINSON", "STIR-428" };
	struct report *r =
	    mk("2026-01-01", "2026-12-31", REPORT_YEAR, REPORT_BY_RULE);
	json_t *j, *rows;
	size_t i, k;

	for (i = 0; i < 10; i++)
		for (k = 0; k < 7; k++)
			add(r, "2026-03-07", codes[i], k % 2 ? "sms" : "call",
			    "carrier-fr", 1);
	j = render_json(r);
	rows = json_object_get(j, "rows");
	assert_int_equal(json_array_size(rows), 10);
	for (i = 0; i < 10; i++) {
		json_t *row = json_array_get(rows, i);

		assert_string_equal(jstr(row, "period"), "2026");
		assert_int_equal(jint(row, "blocks"), 7);
		assert_int_equal(
		    jint(json_object_get(json_object_get(j, "totals"), "rule"),
			codes[i]),
		    7);
	}
	/* sorted by code */
	assert_string_equal(
	    jstr(json_array_get(rows, 0), "rule"), "ES-A4.1-EMPTY");
	assert_string_equal(jstr(json_array_get(rows, 9), "rule"), "STIR-428");
	json_decref(j);
	report_free(r);
}

static void
test_filters(void **state)
{
	struct report_opts o;
	struct report *r = NULL;
	json_t *j, *tot;

	memset(&o, 0, sizeof(o));
	o.from = day("2025-01-01");
	o.to = day("2025-12-31");
	o.period = REPORT_YEAR;
	o.by = REPORT_BY_ALL;
	o.channel = "sms";
	assert_int_equal(report_alloc(&r, &o), 0);
	add(r, "2025-03-01", "ES-A8-ALIAS", "sms", "smsc-1", 4);
	add(r, "2025-03-01", "ES-A4.2", "call", "smsc-1", 9);
	add(r, "2025-03-02", "ES-A8-ALIAS", "sms", "smsc-2", 1);
	assert_int_equal(report_total(r), 5);
	j = render_json(r);
	assert_string_equal(
	    jstr(json_object_get(j, "filter"), "channel"), "sms");
	assert_true(json_is_null(
	    json_object_get(json_object_get(j, "filter"), "trunk")));
	tot = json_object_get(j, "totals");
	assert_null(json_object_get(json_object_get(tot, "channel"), "call"));
	assert_int_equal(jint(json_object_get(tot, "trunk"), "smsc-1"), 4);
	json_decref(j);
	report_free(r);

	o.channel = NULL;
	o.trunk = "smsc-1";
	assert_int_equal(report_alloc(&r, &o), 0);
	add(r, "2025-03-01", "ES-A8-ALIAS", "sms", "smsc-1", 4);
	add(r, "2025-03-01", "ES-A4.2", "call", "smsc-1", 9);
	add(r, "2025-03-02", "ES-A8-ALIAS", "sms", "smsc-2", 1);
	assert_int_equal(report_total(r), 13);
	report_free(r);
}

/* ---- formats --------------------------------------------------------------- */

static const char *
desc_cb(const char *rule, void *arg)
{
	(void)arg;
	if (strcmp(rule, "ES-A4.1-EMPTY") == 0)
		return "Art. 4.1: no calling number";
	if (strcmp(rule, "ES-A5.1") == 0)
		return "Art. 5.1: Spanish number, from abroad";
	return NULL;
}

static void
test_csv_quoting(void **state)
{
	struct report_opts o;
	struct report *r = NULL;
	char *csv;

	memset(&o, 0, sizeof(o));
	o.from = day("2026-01-01");
	o.to = day("2026-12-31");
	o.period = REPORT_HALF;
	o.by = REPORT_BY_ALL;
	o.desc = desc_cb;
	assert_int_equal(report_alloc(&r, &o), 0);
	add(r, "2026-02-01", "ES-A5.1", "call", "carrier \"fr\", east", 2);
	add(r, "2026-02-01", "ES-A4.1-EMPTY", "call", "plain", 1);
	add(r, "2026-08-01", "ES-A4.1-EMPTY", "sms", "line\nbreak", 6);
	add(r, "2026-02-03", "ES-A5.1", "call", "carrier \"fr\", east", 3);
	csv = render(r, REPORT_CSV);
	assert_string_equal(csv,
	    "period,rule,description,channel,trunk,blocks\r\n"
	    "2026-H1,ES-A4.1-EMPTY,Art. 4.1: no calling number,call,plain,1\r\n"
	    "2026-H1,ES-A5.1,\"Art. 5.1: Spanish number, from abroad\",call,"
	    "\"carrier \"\"fr\"\", east\",5\r\n"
	    "2026-H2,ES-A4.1-EMPTY,Art. 4.1: no calling number,sms,"
	    "\"line\nbreak\",6\r\n");
	free(csv);
	report_free(r);

	/* by trunk only */
	r = mk("2026-01-01", "2026-12-31", REPORT_YEAR, REPORT_BY_TRUNK);
	add(r, "2026-02-01", "ES-A5.1", "call", "a,b", 2);
	add(r, "2026-02-01", "ES-A4.2", "sms", "a,b", 3);
	csv = render(r, REPORT_CSV);
	assert_string_equal(csv, "period,trunk,blocks\r\n2026,\"a,b\",5\r\n");
	free(csv);
	report_free(r);
}

static void
test_json_roundtrip(void **state)
{
	struct report_opts o;
	struct report *r = NULL;
	json_t *j, *rows, *row, *tot;

	memset(&o, 0, sizeof(o));
	o.from = day("2025-01-01");
	o.to = day("2025-12-31");
	o.period = REPORT_MONTH;
	o.by = REPORT_BY_RULE | REPORT_BY_CHANNEL;
	o.desc = desc_cb;
	assert_int_equal(report_alloc(&r, &o), 0);
	add(r, "2025-03-07", "ES-A5.1", "call", "carrier \"fr\"", 120);
	add(r, "2025-03-08", "ES-A5.1", "call", "carrier-es", 30);
	add(r, "2025-03-08", "ES-A4.1-EMPTY", "sms", "carrier-es", 4);
	add(r, "2025-11-30", "ES-A5.1", "call", "carrier-es", 1);
	j = render_json(r);
	assert_int_equal(json_array_size(json_object_get(j, "periods")), 12);
	assert_string_equal(jstr(j, "period"), "month");
	assert_int_equal(json_array_size(json_object_get(j, "by")), 2);
	rows = json_object_get(j, "rows");
	assert_int_equal(json_array_size(rows), 3);
	row = json_array_get(rows, 0);
	assert_string_equal(jstr(row, "period"), "2025-03");
	assert_string_equal(jstr(row, "rule"), "ES-A4.1-EMPTY");
	assert_string_equal(
	    jstr(row, "description"), "Art. 4.1: no calling number");
	assert_string_equal(jstr(row, "channel"), "sms");
	assert_null(json_object_get(row, "trunk"));
	assert_int_equal(jint(row, "blocks"), 4);
	row = json_array_get(rows, 1);
	assert_string_equal(jstr(row, "rule"), "ES-A5.1");
	assert_int_equal(jint(row, "blocks"), 150);
	row = json_array_get(rows, 2);
	assert_string_equal(jstr(row, "period"), "2025-11");
	assert_int_equal(jint(row, "blocks"), 1);
	tot = json_object_get(j, "totals");
	assert_int_equal(jint(tot, "blocks"), 155);
	assert_int_equal(
	    jint(json_object_get(tot, "trunk"), "carrier \"fr\""), 120);
	assert_int_equal(jint(json_object_get(tot, "trunk"), "carrier-es"), 35);
	assert_int_equal(jint(json_object_get(tot, "channel"), "call"), 151);
	assert_string_equal(jstr(json_object_get(j, "descriptions"), "ES-A5.1"),
	    "Art. 5.1: Spanish number, from abroad");
	json_decref(j);

	/* adding after writing: the sums are rebuilt */
	add(r, "2025-03-09", "ES-A5.1", "call", "carrier-es", 50);
	j = render_json(r);
	assert_int_equal(
	    jint(json_array_get(json_object_get(j, "rows"), 1), "blocks"), 200);
	json_decref(j);
	report_free(r);
}

static void
test_html_chart(void **state)
{
	static const char *const hostile = "<script>alert(1)</script>&\"'";
	struct report_opts o;
	struct report *r = NULL;
	char *html, name[32], *p;
	size_t i;

	/* 24 monthly periods, 15 rules */
	memset(&o, 0, sizeof(o));
	o.from = day("2025-01-01");
	o.to = day("2026-12-31");
	o.period = REPORT_MONTH;
	o.by = REPORT_BY_ALL;
	o.desc = desc_cb;
	assert_int_equal(report_alloc(&r, &o), 0);
	for (i = 0; i < 15; i++) {
		snprintf(name, sizeof(name), "RULE-%02zu", i);
		add(r, i % 2 ? "2025-01-15" : "2026-12-31", name, "call",
		    "carrier-fr", i + 1);
	}
	add(r, "2025-06-01", "ES-A5.1", "sms", hostile, 3);
	html = render(r, REPORT_HTML);
	assert_int_equal(count(html, "<g class=\"bar\""), 24);
	assert_int_equal(count(html, "<svg"), 1);
	assert_int_equal(count(html, "</svg>"), 1);
	assert_int_equal(count(html, "<li><span class=\"sw\""), 16);
	assert_non_null(strstr(html, "data-period=\"2025-01\""));
	assert_non_null(strstr(html, "data-period=\"2026-12\""));
	assert_non_null(strstr(html, "Art. 5.1: Spanish number, from abroad"));
	/* nothing external; the hostile trunk escaped everywhere */
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "href="));
	assert_null(strstr(html, "@import"));
	assert_null(strstr(html, "url("));
	assert_non_null(strstr(
	    html, "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;"));
	/* 16 distinct colours in the legend */
	{
		char cols[16][40];
		size_t n = 0, a, b;

		for (p = html; (p = strstr(p, "background:hsl(")); p++) {
			size_t len = strcspn(p, "\"");

			assert_true(n < 16 && len < sizeof(cols[0]));
			memcpy(cols[n], p, len);
			cols[n++][len] = '\0';
		}
		assert_int_equal(n, 16);
		for (a = 0; a < n; a++)
			for (b = a + 1; b < n; b++)
				assert_string_not_equal(cols[a], cols[b]);
	}
	assert_null(strstr(html, "No blocks"));
	assert_non_null(strstr(html, "</html>\n"));
	free(html);
	report_free(r);

	/* one period */
	r = mk("2026-01-01", "2026-12-31", REPORT_YEAR, REPORT_BY_RULE);
	add(r, "2026-05-05", "ES-A4.2", "call", "t", 42);
	html = render(r, REPORT_HTML);
	assert_int_equal(count(html, "<g class=\"bar\""), 1);
	assert_non_null(strstr(html, "data-period=\"2026\""));
	assert_non_null(strstr(html, "<title>2026: 42 blocks</title>"));
	/* the bar reaches the tick above 42 in proportion: 42/50 of 300 */
	assert_non_null(strstr(html, "height=\"252.00\""));
	free(html);
	/* stacked: rules in name order bottom-up, 8 + 42 of a 50 axis */
	add(r, "2026-05-06", "ES-A4.1-EMPTY", "sms", "t", 8);
	html = render(r, REPORT_HTML);
	assert_non_null(strstr(html,
	    "y=\"268.00\" width=\"67.20\" "
	    "height=\"48.00\""));
	assert_non_null(strstr(html,
	    "y=\"16.00\" width=\"67.20\" "
	    "height=\"252.00\""));
	assert_true(strstr(html, "height=\"48.00\"") <
	    strstr(html, "height=\"252.00\""));
	free(html);
	report_free(r);

	/* a year of days: 365 bars, labels thinned, still one file */
	r = mk("2025-01-01", "2025-12-31", REPORT_DAY, REPORT_BY_RULE);
	add(r, "2025-05-05", "ES-A4.2", "call", "t", 1);
	html = render(r, REPORT_HTML);
	assert_int_equal(count(html, "<g class=\"bar\""), 365);
	assert_true(count(html, "rotate(-45)") < 365);
	free(html);
	report_free(r);
}

static void
test_empty(void **state)
{
	struct report *r =
	    mk("2026-01-01", "2026-06-30", REPORT_MONTH, REPORT_BY_ALL);
	char *s;
	json_t *j;

	add(r, "2025-12-31", "ES-A4.2", "call", "t", 5); /* outside */
	assert_int_equal(
	    report_add(r, day("2026-02-01"), "ES-A4.2", "call", "t", 0), 0);
	assert_int_equal(report_total(r), 0);
	s = render(r, REPORT_CSV);
	assert_string_equal(
	    s, "period,rule,description,channel,trunk,blocks\r\n");
	free(s);
	j = render_json(r);
	assert_int_equal(json_array_size(json_object_get(j, "rows")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "periods")), 6);
	assert_int_equal(jint(json_object_get(j, "totals"), "blocks"), 0);
	assert_int_equal(json_object_size(json_object_get(
			     json_object_get(j, "totals"), "rule")),
	    0);
	json_decref(j);
	s = render(r, REPORT_HTML);
	assert_non_null(strstr(s, "No blocks in this period."));
	assert_non_null(strstr(s, "Total: 0 blocks."));
	assert_int_equal(count(s, "<g class=\"bar\""), 6);
	assert_int_equal(count(s, "<rect"), 0);
	assert_non_null(strstr(s, "</html>"));
	free(s);
	report_free(r);
}

static void
test_write_error(void **state)
{
	struct report *r = mk("2026-01-01", "2026-12-31", REPORT_YEAR, 0);
	FILE *f = fopen("/dev/full", "w");

	assert_non_null(f);
	add(r, "2026-01-01", "X", "call", "t", 1);
	assert_int_equal(report_write(r, REPORT_HTML, f), EIO);
	fclose(f);
	report_free(r);
}

/* ---- from the store, as centinelactl report blocks reads it --------------- */

/* The store test's database, removed by the teardown even on failure. */
static struct {
	char dir[64];
	struct store *s;
} sfx;

static int
store_setup(void **state)
{
	char uri[128], err[256];

	snprintf(
	    sfx.dir, sizeof(sfx.dir), "%s", "/tmp/centinela-report-XXXXXX");
	if (!mkdtemp(sfx.dir))
		return -1;
	snprintf(uri, sizeof(uri), "sqlite:%s/s.db", sfx.dir);
	if (store_open(&sfx.s, uri, err, sizeof(err))) {
		fprintf(stderr, "store_open: %s\n", err);
		rmdir(sfx.dir);
		return -1;
	}
	return 0;
}

static int
store_teardown(void **state)
{
	static const char *const files[] = { "s.db", "s.db-wal", "s.db-shm",
		"s.db-journal" };
	char path[128];
	size_t i;

	store_close(sfx.s);
	sfx.s = NULL;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", sfx.dir, files[i]);
		unlink(path);
	}
	return rmdir(sfx.dir) ? -1 : 0;
}

static void
test_from_store(void **state)
{
	struct store *s = sfx.s;
	struct report_opts o;
	struct report *r = NULL;
	json_t *j, *tot, *rows;
	size_t i, k;
	char *csv;

	/* N = 3 blocks of each of 4 reasons on day one, one add each */
	for (i = 0; i < 4; i++) {
		static const char *const codes[] = { "ES-A4.1-EMPTY", "ES-A4.2",
			"ES-A5.1", "ES-A8-ALIAS" };

		for (k = 0; k < 3; k++)
			assert_int_equal(
			    store_cid_block_add(s, day("2025-06-30"), codes[i],
				i == 3 ? "sms" : "call", "carrier-fr", 1),
			    0);
	}
	/* both sides of the half and year boundaries, and outside */
	assert_int_equal(store_cid_block_add(s, day("2025-07-01"), "ES-A5.1",
			     "call", "carrier, \"es\"", 40),
	    0);
	assert_int_equal(store_cid_block_add(s, day("2025-12-31"), "ES-A5.1",
			     "call", "carrier-fr", 500),
	    0);
	assert_int_equal(
	    store_cid_block_add(s, day("2026-01-01"), "ES-A4.2", "call", "", 7),
	    0);
	assert_int_equal(store_cid_block_add(
			     s, day("2026-01-02"), "ES-A4.2", "call", "", 1000),
	    0);
	assert_int_equal(store_cid_block_add(
			     s, day("2025-06-29"), "ES-A4.2", "call", "", 1000),
	    0);

	memset(&o, 0, sizeof(o));
	o.from = day("2025-06-30");
	o.to = day("2026-01-01");
	o.period = REPORT_HALF;
	o.by = REPORT_BY_RULE;
	o.desc = desc_cb;
	assert_int_equal(report_alloc(&r, &o), 0);
	assert_int_equal(report_load_store(r, s), 0);
	assert_int_equal(report_total(r), 12 + 40 + 500 + 7);
	j = render_json(r);
	tot = json_object_get(j, "totals");
	assert_int_equal(jint(tot, "blocks"), 559);
	assert_int_equal(
	    jint(json_object_get(tot, "rule"), "ES-A4.1-EMPTY"), 3);
	assert_int_equal(jint(json_object_get(tot, "rule"), "ES-A4.2"), 10);
	assert_int_equal(jint(json_object_get(tot, "rule"), "ES-A5.1"), 543);
	assert_int_equal(jint(json_object_get(tot, "rule"), "ES-A8-ALIAS"), 3);
	assert_int_equal(jint(json_object_get(tot, "channel"), "sms"), 3);
	assert_int_equal(jint(json_object_get(tot, "channel"), "call"), 556);
	assert_int_equal(jint(json_object_get(tot, "trunk"), ""), 7);
	assert_int_equal(
	    jint(json_object_get(tot, "trunk"), "carrier, \"es\""), 40);
	rows = json_object_get(j, "rows");
	assert_int_equal(json_array_size(rows), 6);
	json_decref(j);
	csv = render(r, REPORT_CSV);
	assert_string_equal(csv,
	    "period,rule,description,blocks\r\n"
	    "2025-H1,ES-A4.1-EMPTY,Art. 4.1: no calling number,3\r\n"
	    "2025-H1,ES-A4.2,,3\r\n"
	    "2025-H1,ES-A5.1,\"Art. 5.1: Spanish number, from abroad\",3\r\n"
	    "2025-H1,ES-A8-ALIAS,,3\r\n"
	    "2025-H2,ES-A5.1,\"Art. 5.1: Spanish number, from abroad\",540\r\n"
	    "2026-H1,ES-A4.2,,7\r\n");
	free(csv);
	report_free(r);

	/* a filter and a year period over the same store */
	o.period = REPORT_YEAR;
	o.by = REPORT_BY_TRUNK;
	o.channel = "call";
	o.to = day("2026-12-31");
	assert_int_equal(report_alloc(&r, &o), 0);
	assert_int_equal(report_load_store(r, s), 0);
	csv = render(r, REPORT_CSV);
	assert_string_equal(csv,
	    "period,trunk,blocks\r\n"
	    "2025,\"carrier, \"\"es\"\"\",40\r\n"
	    "2025,carrier-fr,509\r\n"
	    "2026,,1007\r\n");
	free(csv);
	report_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_parse),
		cmocka_unit_test(test_period_labels),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_alloc_errors),
		cmocka_unit_test(test_periods_across_boundaries),
		cmocka_unit_test(test_totals_equal_rows),
		cmocka_unit_test(test_n_per_reason),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_html_chart),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test_setup_teardown(
		    test_from_store, store_setup, store_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

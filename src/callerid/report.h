/*
 * callerid/report.h -- the blocking reports (R-20, Orden TDF/149/2025
 * Disposición adicional primera): how many calls and messages the
 * caller-ID rules blocked, by rule, channel, trunk and period.
 *
 * The daemon counts blocks per (day, rule, channel, trunk) in the store
 * (store_cid_block_add). A report takes those rows in, keeps the ones
 * inside [from, to] that pass its filters, sums them per period (day,
 * month, half year, year) and per the dimensions asked for, and writes
 * CSV (RFC 4180), JSON or a self-contained HTML page with a chart of
 * blocks per rule over time. Everything but report_load_store() is
 * pure: no clock, no file, no store; output is sorted, so the same
 * input gives the same bytes.
 *
 * Days are unix seconds of 00:00 UTC. Period labels: "2026-03-05"
 * (day), "2026-03" (month), "2026-H1" (half), "2026" (year).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CALLERID_REPORT_H
#define CENTINELA_CALLERID_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define REPORT_DAY_SECS 86400
#define REPORT_PERIODS_MAX 36600 /* a century of days */

enum report_period {
	REPORT_DAY,
	REPORT_MONTH,
	REPORT_HALF,
	REPORT_YEAR /* the default: R-20's annual statistics */
};

enum report_format {
	REPORT_CSV,
	REPORT_JSON,
	REPORT_HTML
};

/* The dimensions rows are broken down by, besides the period. */
#define REPORT_BY_RULE 0x1u
#define REPORT_BY_CHANNEL 0x2u
#define REPORT_BY_TRUNK 0x4u
#define REPORT_BY_ALL (REPORT_BY_RULE | REPORT_BY_CHANNEL | REPORT_BY_TRUNK)

/*
 * The human description of a rule code ("ES-A4.1-EMPTY" -> "Art. 4.1:
 * no calling number"), or NULL when there is none. The string must
 * stay valid until the report is written.
 */
typedef const char *(report_desc_h)(const char *rule, void *arg);

struct report_opts {
	int64_t from; /* first day, inclusive */
	int64_t to; /* last day, inclusive */
	enum report_period period;
	unsigned by; /* REPORT_BY_* */
	const char *channel; /* keep only this channel; NULL = all */
	const char *trunk; /* keep only this trunk; NULL = all */
	report_desc_h *desc; /* may be NULL */
	void *desc_arg;
};

struct report;
struct store;

/*
 * A new, empty report. from and to must be days (multiples of
 * REPORT_DAY_SECS) with from <= to, both within years 1970..9999.
 * Strings in "o" are copied. Returns 0, EINVAL, ERANGE (more than
 * REPORT_PERIODS_MAX periods) or ENOMEM; *rp is set
 * on success only; the caller frees it with report_free().
 */
int report_alloc(struct report **rp, const struct report_opts *o);
void report_free(struct report *r);

/*
 * Count "n" blocks of "rule" on "channel" ("call", "sms") from "trunk"
 * on "day" (any time of the day is taken as that day). A row outside
 * [from, to] or not passing the filters is ignored (returns 0). Empty
 * rule, channel or trunk are kept as "" (an unknown trunk is "").
 * Returns 0, EINVAL (NULL string), ENOMEM, or EOVERFLOW when the total
 * would exceed INT64_MAX.
 */
int report_add(struct report *r, int64_t day, const char *rule,
    const char *channel, const char *trunk, uint64_t n);

/*
 * Add every row the store holds for [from, to] (store_cid_block_each):
 * the path centinelactl takes. Returns 0 or the store's error (its
 * message in store_errmsg()), or report_add()'s.
 */
int report_load_store(struct report *r, struct store *s);

/* The sum of everything added and kept. */
uint64_t report_total(const struct report *r);

/*
 * Write the report to "f" in format "fmt". Returns 0, EINVAL, ENOMEM,
 * EILSEQ (JSON: a name that is not UTF-8), or EIO when writing failed
 * (ferror). The caller owns and closes "f".
 *
 * CSV: CRLF lines; header "period[,rule,description][,channel][,trunk],
 * blocks"; one line per non-zero group, sorted by period then by the
 * names; fields with a comma, quote, CR or LF are quoted.
 * JSON: {"from", "to", "period", "by": [...], "filter": {...},
 * "periods": [{"period", "from", "to", "blocks"}], "rows": [{"period",
 * ["rule", "description",] ["channel",] ["trunk",] "blocks"}],
 * "totals": {"blocks", "rule": {}, "channel": {}, "trunk": {}}}.
 * HTML: one file, no external resource: a stacked bar chart (inline
 * SVG, one <g class="bar"> per period, one colour per rule), a legend,
 * the table and the totals; every name is HTML-escaped.
 */
int report_write(struct report *r, enum report_format fmt, FILE *f);

/*
 * Parsers for the command line. Each returns 0 or EINVAL.
 * report_period_parse: "day", "month", "half", "year" (also "semester",
 * "annual", "monthly", "daily", "semi-annual").
 * report_format_parse: "csv", "json", "html".
 * report_by_parse: a comma list of "rule", "channel", "trunk" (each at
 * most once), or "none" / "" for per-period totals only.
 */
int report_period_parse(const char *s, enum report_period *p);
int report_format_parse(const char *s, enum report_format *f);
int report_by_parse(const char *s, unsigned *by);
/* "day", "month", "half" or "year". */
const char *report_period_name(enum report_period p);

/* "YYYY-MM-DD" of "day" into buf (at least 11 bytes). */
void report_date_fmt(int64_t day, char *buf, size_t cap);

/*
 * The first day of the period holding "day", and the label of that
 * period ("2026-H1") into buf (at least 11 bytes).
 */
int64_t report_period_start(enum report_period p, int64_t day);
void report_period_label(
    enum report_period p, int64_t day, char *buf, size_t cap);

#endif /* CENTINELA_CALLERID_REPORT_H */

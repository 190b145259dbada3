/*
 * tools/ctl_alert.c -- centinelactl alerts: the alerts in the store and
 * their delivery to each channel (list), and a test alert sent through
 * the configured channels (test).
 *
 *	alerts list [-c CONF] [--store URI] [--from YYYY-MM-DD]
 *	    [--to YYYY-MM-DD] [--severity S] [--limit N] [--json]
 *	alerts test [-c CONF] [--store URI] [--severity S]
 *
 * "list" only reads the store (a SQLite file that does not exist is an
 * error rather than a new empty database); --to is inclusive; the
 * newest --limit alerts (default 100, 0 = all) are printed oldest
 * first. "test" starts an alert router of its own on the configured
 * store and channels (fraud/alert.h), raises one alert (rule
 * "centinela-test", default severity critical so that every channel
 * gets it), waits up to 10 s for its deliveries and prints the outcome
 * per channel; exit status 0 when every channel took it. Like any
 * router it also sends what other routers left pending in that store.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "core/cfg.h"
#include "core/date.h"
#include "core/log.h"
#include "core/str.h"
#include "fraud/alert.h"
#include "store/store.h"
#include "ctl.h"

#define LIST_LIMIT 100
#define TEST_WAIT_MS 10000

struct aopts {
	const char *conf;
	const char *store;
	int64_t from, to; /* unix ms, to exclusive */
	enum alert_sev sev;
	bool sev_set;
	unsigned limit;
	bool json;
};

/* One listed alert and its deliveries. */
struct row {
	struct alert_rec a;
	struct alert_dlv *d;
	size_t nd;
};

struct rows {
	struct row *v;
	size_t n, cap;
	bool oom;
};

static void
alerts_usage(FILE *f)
{
	fprintf(f,
	    "usage: centinelactl alerts list [-c CONF] [--store URI] "
	    "[--from YYYY-MM-DD]\n"
	    "           [--to YYYY-MM-DD] [--severity info|warning|critical] "
	    "[--limit N] [--json]\n"
	    "       centinelactl alerts test [-c CONF] [--store URI] "
	    "[--severity S]\n"
	    "  list: the alerts in the store (--to inclusive; the newest N, "
	    "default %d,\n"
	    "        0 = all) with the delivery state per channel\n"
	    "  test: raise a test alert through the configured channels and "
	    "wait up to\n"
	    "        10 s for its deliveries\n",
	    LIST_LIMIT);
}

static int
date_ms(const char *opt, const char *v, int64_t *out)
{
	char why[64];
	int64_t t;

	if (date_parse(v, &t, why, sizeof(why)))
		return ctl_fail("%s: \"%s\" is not a date: %s", opt, v, why) +
		    1;
	*out = t * 1000;
	return 0;
}

/* Options after SUB (and -c/--store, accepted on either side of it). */
static int
parse_opts(int argc, char **argv, int i, bool list, struct aopts *o)
{
	uint32_t n;

	for (; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (list && strcmp(a, "--json") == 0) {
			o->json = true;
			continue;
		}
		if (strcmp(a, "-c") && strcmp(a, "--store") &&
		    strcmp(a, "--severity") &&
		    (!list ||
			(strcmp(a, "--from") && strcmp(a, "--to") &&
			    strcmp(a, "--limit"))))
			return ctl_fail("alerts: unknown option \"%s\"", a) + 1;
		if (!v)
			return ctl_fail("alerts: %s needs a value", a) + 1;
		i++;
		if (strcmp(a, "-c") == 0) {
			o->conf = v;
		} else if (strcmp(a, "--store") == 0) {
			o->store = v;
		} else if (strcmp(a, "--severity") == 0) {
			if (alert_sev_parse(v, &o->sev))
				return ctl_fail("--severity: \"%s\" is not "
						"info, warning or critical",
					   v) +
				    1;
			o->sev_set = true;
		} else if (strcmp(a, "--from") == 0) {
			if (date_ms(a, v, &o->from))
				return 2;
		} else if (strcmp(a, "--to") == 0) {
			if (date_ms(a, v, &o->to))
				return 2;
			o->to += 86400 * 1000LL; /* inclusive */
		} else {
			if (str_to_u32_max(str_make(v, strlen(v)), 1000000, &n))
				return ctl_fail("--limit: \"%s\" is not a "
						"number up to 1000000",
					   v) +
				    1;
			o->limit = n;
		}
	}
	if (o->from >= o->to)
		return ctl_fail("alerts: --from is after --to") + 1;
	return 0;
}

/* ---- list ------------------------------------------------------------------ */

static int
add_row(const struct alert_rec *a, void *arg)
{
	struct rows *rs = arg;
	struct row *nv;
	size_t cap;

	if (rs->n == rs->cap) {
		cap = rs->cap ? rs->cap * 2 : 64;
		if (!(nv = realloc(rs->v, cap * sizeof(*nv)))) {
			rs->oom = true;
			return ENOMEM;
		}
		rs->v = nv;
		rs->cap = cap;
	}
	memset(&rs->v[rs->n], 0, sizeof(rs->v[rs->n]));
	rs->v[rs->n++].a = *a;
	return 0;
}

static int
add_dlv(const struct alert_dlv *d, void *arg)
{
	struct row *r = arg;
	struct alert_dlv *nd;

	if (!(nd = realloc(r->d, (r->nd + 1) * sizeof(*nd))))
		return ENOMEM;
	r->d = nd;
	r->d[r->nd++] = *d;
	return 0;
}

static void
rows_free(struct rows *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		free(rs->v[i].d);
	free(rs->v);
}

/* unix ms as "2026-11-21T09:38:00Z" (the table's width). */
static void
fmt_time(int64_t ms, char *buf, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "s" cut to at most "max" bytes at a UTF-8 character boundary. */
static void
cut(char *dst, size_t cap, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static void
print_table(const struct rows *rs)
{
	char ts[32], rule[40], subj[40];
	size_t i, k;

	printf("%-23s  %-20s  %-8s  %-24s  %-28s  %s\n", "ID", "TIME",
	    "SEVERITY", "RULE", "SUBJECT", "DELIVERIES");
	for (i = 0; i < rs->n; i++) {
		const struct row *r = &rs->v[i];

		fmt_time(r->a.ts, ts, sizeof(ts));
		cut(rule, sizeof(rule), r->a.rule, 24);
		cut(subj, sizeof(subj), r->a.subject, 28);
		printf("%-23s  %-20s  %-8s  %-24s  %-28s ", r->a.id, ts,
		    alert_sev_name((enum alert_sev)r->a.severity), rule, subj);
		if (!r->nd)
			printf(" -");
		for (k = 0; k < r->nd; k++) {
			const struct alert_dlv *d = &r->d[k];

			if (strcmp(d->state, "done") == 0)
				printf(" %s:done", d->channel);
			else
				printf(" %s:%s(%u)", d->channel, d->state,
				    d->attempts);
		}
		if (r->a.repeats)
			printf("  +%" PRId64 " repeats", r->a.repeats);
		putchar('\n');
	}
}

/* unix ms as RFC 3339 UTC with milliseconds (the webhook's "ts"). */
static void
rfc3339(int64_t ms, char *buf, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (int)(ms % 1000));
}

static int
print_json(const struct rows *rs)
{
	json_t *top, *arr, *o, *dl, *dj;
	char ts[80];
	size_t i, k;
	char *s;

	top = json_object();
	arr = json_array();
	if (!top || !arr || json_object_set_new(top, "alerts", arr))
		goto oom;
	for (i = 0; i < rs->n; i++) {
		const struct row *r = &rs->v[i];
		rfc3339(r->a.ts, ts, sizeof(ts));
		dl = json_array();
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id",
		    r->a.id, "ts", ts, "severity",
		    alert_sev_name((enum alert_sev)r->a.severity), "rule",
		    r->a.rule, "subject", r->a.subject, "text", r->a.text,
		    "node", r->a.node, "repeats", (json_int_t)r->a.repeats);
		if (!dl || !o || json_array_append_new(arr, o)) {
			json_decref(dl);
			goto oom;
		}
		if (json_object_set_new(o, "deliveries", dl))
			goto oom;
		for (k = 0; k < r->nd; k++) {
			const struct alert_dlv *d = &r->d[k];

			rfc3339(d->updated, ts, sizeof(ts));
			dj = json_pack("{s:s, s:s, s:i, s:s, s:s}", "channel",
			    d->channel, "state", d->state, "attempts",
			    (int)d->attempts, "updated", ts, "last_error",
			    d->last_error);
			if (!dj || json_array_append_new(dl, dj))
				goto oom;
		}
	}
	s = json_dumps(top, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(top);
	if (!s)
		return ctl_fail("out of memory");
	printf("%s\n", s);
	free(s);
	return 0;
oom:
	json_decref(top);
	return ctl_fail("out of memory (or text that is not UTF-8)");
}

/* A SQLite store that does not exist: listing would create it. */
static int
store_missing(const char *uri)
{
	struct stat st;

	if (strncmp(uri, "sqlite:", 7) != 0 || stat(uri + 7, &st) == 0)
		return 0;
	return ctl_fail("no database at %s", uri + 7);
}

static int
run_list(const struct cfg *cfg, const struct aopts *o)
{
	const char *uri = o->store ? o->store : cfg->store_uri;
	struct rows rs = { NULL, 0, 0, false };
	struct store *s = NULL;
	char err[256];
	size_t i;
	int rc;

	if (store_missing(uri))
		return 1;
	if (store_open(&s, uri, err, sizeof(err)))
		return ctl_fail("%s", err);
	rc = store_alert_each(s, o->from, o->to,
	    o->sev_set ? (uint32_t)o->sev : 0, o->limit, add_row, &rs);
	for (i = 0; !rc && i < rs.n; i++)
		rc = store_alert_dlv_each(s, rs.v[i].a.id, add_dlv, &rs.v[i]);
	if (rc) {
		ctl_fail("reading the alerts: %s",
		    rc == ENOMEM ? strerror(rc) : store_errmsg(s));
		goto out;
	}
	store_close(s);
	s = NULL;
	if (o->json)
		rc = print_json(&rs);
	else
		print_table(&rs);
out:
	store_close(s);
	rows_free(&rs);
	return rc ? 1 : 0;
}

/* ---- test ------------------------------------------------------------------ */

struct outcome {
	unsigned n, pending, done;
	struct alert_dlv d[CFG_ALERT_CHANNELS_MAX];
};

static int
take_dlv(const struct alert_dlv *d, void *arg)
{
	struct outcome *oc = arg;

	if (oc->n < CFG_ALERT_CHANNELS_MAX)
		oc->d[oc->n++] = *d;
	if (strcmp(d->state, "pending") == 0)
		oc->pending++;
	else if (strcmp(d->state, "done") == 0)
		oc->done++;
	return 0;
}

static void
wait_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int
run_test(struct cfg *cfg, const struct aopts *o)
{
	enum alert_sev sev = o->sev_set ? o->sev : ALERT_CRITICAL;
	struct alert_router *r = NULL;
	struct store *s = NULL;
	struct outcome oc;
	char id[ALERT_ID_MAX], err[256], text[256];
	unsigned waited = 0, i;
	int rc;

	if (o->store)
		snprintf(
		    cfg->store_uri, sizeof(cfg->store_uri), "%s", o->store);
	if (cfg->alerts.nchannels == 0)
		return ctl_fail("alerts test: no channel configured "
				"(alerts.channels)");
	log_setup(LOGF_HUMAN, LOGL_ERROR, 2);
	if ((rc = alert_router_start(&r, cfg, err, sizeof(err))))
		return ctl_fail("%s", err);
	snprintf(text, sizeof(text),
	    "A test alert raised by \"centinelactl alerts test\" to check "
	    "that the %s channels deliver. Nothing is wrong.",
	    alert_sev_name(sev));
	rc = alert_raise(r, sev, "centinela-test", "test alert", text, id);
	if (rc) {
		alert_router_stop(r);
		return ctl_fail("alerts test: %s", strerror(rc));
	}
	printf("alert %s (%s) raised\n", id, alert_sev_name(sev));
	if (alert_router_sync(r, TEST_WAIT_MS) ||
	    store_open(&s, cfg->store_uri, err, sizeof(err))) {
		alert_router_stop(r);
		return ctl_fail("alerts test: the alert did not reach the "
				"store");
	}
	for (;;) {
		memset(&oc, 0, sizeof(oc));
		if (store_alert_dlv_each(s, id, take_dlv, &oc)) {
			ctl_fail("alerts test: %s", store_errmsg(s));
			break;
		}
		if (!oc.pending || waited >= TEST_WAIT_MS)
			break;
		wait_ms(200);
		waited += 200;
	}
	alert_router_stop(r);
	store_close(s);
	if (!oc.n)
		printf("  no channel takes %s alerts\n", alert_sev_name(sev));
	for (i = 0; i < oc.n; i++) {
		const struct alert_dlv *d = &oc.d[i];

		if (strcmp(d->state, "done") == 0)
			printf("  %-20s delivered (attempt %u)\n", d->channel,
			    d->attempts);
		else
			printf("  %-20s %s after %u attempt%s: %s\n",
			    d->channel,
			    strcmp(d->state, "pending") == 0 ?
				"not delivered yet (will be retried)" :
				"failed",
			    d->attempts, d->attempts == 1 ? "" : "s",
			    d->last_error[0] ? d->last_error : "-");
	}
	return oc.n && oc.done == oc.n ? 0 : 1;
}

int
ctl_alerts(int argc, char **argv)
{
	struct aopts o;
	struct cfg *cfg = NULL;
	const char *sub = NULL;
	bool list;
	int i, rc;

	memset(&o, 0, sizeof(o));
	o.to = INT64_MAX;
	o.limit = LIST_LIMIT;
	if (!(i = ctl_head(argc, argv, &o.conf, &o.store, &sub))) {
		alerts_usage(stderr);
		return 2;
	}
	if (strcmp(sub, "list") == 0)
		list = true;
	else if (strcmp(sub, "test") == 0)
		list = false;
	else {
		fprintf(stderr,
		    "centinelactl: alerts: unknown command \"%s\"\n", sub);
		alerts_usage(stderr);
		return 2;
	}
	if ((rc = parse_opts(argc, argv, i, list, &o)))
		return rc;
	if (cfg_load(&cfg, o.conf, stderr))
		return 1;
	rc = list ? run_list(cfg, &o) : run_test(cfg, &o);
	cfg_free(cfg);
	return rc;
}

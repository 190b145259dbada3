/*
 * tools/ctl_fraud.c -- centinelactl fraud: what the toll-fraud engine
 * last wrote to the store about its accounts and trunks (the daemon
 * writes changed subjects every fraud.persist_interval and all of them
 * when it stops).
 *
 *	fraud list [-c CONF] [--store URI] [--json]
 *	fraud show NAME [--trunk] [-c CONF] [--store URI] [--json]
 *
 * Counters are shown as they stand now: the sliding windows are moved
 * to the current time, so a call made 2 hours ago no longer counts in
 * "calls in the last hour". Calls up are not stored (0 here).
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
#include "core/str.h"
#include "fraud/fraud.h"
#include "store/store.h"
#include "ctl.h"

struct fopts {
	const char *conf;
	const char *store;
	const char *name;
	bool trunk;
	bool json;
};

struct walk {
	const struct fopts *o;
	int64_t now;
	json_t *arr;
	unsigned n, bad;
};

static void
fraud_usage(FILE *f)
{
	fprintf(f,
	    "usage: centinelactl fraud list [-c CONF] [--store URI] [--json]\n"
	    "       centinelactl fraud show NAME [--trunk] [-c CONF] "
	    "[--store URI] [--json]\n"
	    "  list: every account and trunk the fraud rules hold in the "
	    "store\n"
	    "  show: one of them (NAME: user@domain, or the peer name with "
	    "--trunk)\n");
}

static json_t *
info_json(const struct fraud_rec *r, const struct fraud_subject_info *i)
{
	return json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:i, s:i, "
			 "s:I, s:I, s:f, s:f, s:I, s:i}",
	    "kind", r->kind ? "trunk" : "account", "name", r->name, "suspended",
	    i->suspended, "updated", (json_int_t)r->updated, "calls_minute",
	    (json_int_t)i->calls_minute, "calls_hour",
	    (json_int_t)i->calls_hour, "calls_day", (json_int_t)i->calls_day,
	    "distinct_hour", (int)i->distinct_hour, "same_run",
	    (int)i->same_run, "seconds_hour", (json_int_t)i->secs_hour,
	    "seconds_day", (json_int_t)i->secs_day, "cost_hour",
	    (double)i->cost_hour_e4 / 10000.0, "cost_day",
	    (double)i->cost_day_e4 / 10000.0, "classes_used",
	    (json_int_t)i->classes_used, "hours_learned",
	    (int)i->hours_learned);
}

static void
info_text(const struct fraud_rec *r, const struct fraud_subject_info *i)
{
	char when[32];
	time_t t = (time_t)r->updated;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s:%*s%s\n"
	       "status:          %s\n"
	       "stored:          %s\n"
	       "calls:           %" PRIu64 " last minute, %" PRIu64
	       " last hour, %" PRIu64 " last day\n"
	       "numbers:         %u distinct in the last hour, %u calls in a "
	       "row to one\n"
	       "minutes:         %" PRIu64 " last hour, %" PRIu64 " last day\n"
	       "cost:            %.4f last hour, %.4f last day\n"
	       "baseline:        %u hours learned\n",
	    r->kind ? "trunk" : "account", r->kind ? 11 : 9, "", r->name,
	    i->suspended ? "suspended" : "active", when, i->calls_minute,
	    i->calls_hour, i->calls_day, i->distinct_hour, i->same_run,
	    i->secs_hour / 60, i->secs_day / 60,
	    (double)i->cost_hour_e4 / 10000.0, (double)i->cost_day_e4 / 10000.0,
	    i->hours_learned);
}

static int
list_one(const struct fraud_rec *r, void *arg)
{
	struct walk *w = arg;
	struct fraud_subject_info i;

	if (fraud_blob_info(r->blob, r->len, w->now, &i)) {
		fprintf(stderr,
		    "centinelactl: fraud: the state of %s %s is not one this "
		    "version reads\n",
		    r->kind ? "trunk" : "account", r->name);
		w->bad++;
		return 0;
	}
	w->n++;
	if (w->arr) {
		json_array_append_new(w->arr, info_json(r, &i));
		return 0;
	}
	if (w->n == 1)
		printf("%-7s %-32s %-9s %8s %8s %8s %10s %10s\n", "KIND",
		    "NAME", "STATUS", "CALLS/M", "CALLS/H", "CALLS/D",
		    "MIN/DAY", "COST/DAY");
	printf("%-7s %-32s %-9s %8" PRIu64 " %8" PRIu64 " %8" PRIu64
	       " %10" PRIu64 " %10.4f\n",
	    r->kind ? "trunk" : "account", r->name,
	    i.suspended ? "suspended" : "active", i.calls_minute, i.calls_hour,
	    i.calls_day, i.secs_day / 60, (double)i.cost_day_e4 / 10000.0);
	return 0;
}

static int
parse_opts(int argc, char **argv, int i, bool show, struct fopts *o)
{
	for (; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--json") == 0) {
			o->json = true;
			continue;
		}
		if (show && strcmp(a, "--trunk") == 0) {
			o->trunk = true;
			continue;
		}
		if (show && a[0] != '-' && !o->name) {
			o->name = a;
			continue;
		}
		if (strcmp(a, "-c") && strcmp(a, "--store"))
			return ctl_fail(
				   "fraud: unexpected argument \"%s\"", a) +
			    1;
		if (!v)
			return ctl_fail("fraud: %s needs a value", a) + 1;
		i++;
		if (strcmp(a, "-c") == 0)
			o->conf = v;
		else
			o->store = v;
	}
	if (show && !o->name)
		return ctl_fail("fraud show: which account or trunk?") + 1;
	return 0;
}

static int
open_store(const struct cfg *cfg, const struct fopts *o, struct store **sp)
{
	const char *uri = o->store ? o->store : cfg->store_uri;
	struct stat st;
	char err[256];

	if (strncmp(uri, "sqlite:", 7) == 0 && stat(uri + 7, &st) != 0)
		return ctl_fail("no database at %s", uri + 7);
	if (store_open(sp, uri, err, sizeof(err)))
		return ctl_fail("%s", err);
	return 0;
}

static int
run(const struct cfg *cfg, const struct fopts *o)
{
	struct walk w = { o, (int64_t)time(NULL), NULL, 0, 0 };
	struct fraud_rec *r = NULL;
	struct fraud_subject_info i;
	struct store *s = NULL;
	int rc;

	if (open_store(cfg, o, &s))
		return 1;
	if (o->json)
		w.arr = json_array();
	if (!o->name) {
		rc = store_fraud_each(s, list_one, &w);
		if (rc)
			rc = ctl_fail("fraud: %s", store_errmsg(s));
		else if (w.arr) {
			json_dumpf(w.arr, stdout, JSON_INDENT(2));
			putchar('\n');
		} else if (!w.n)
			printf("no accounts or trunks stored\n");
		rc = rc ? rc : w.bad ? 1 : 0;
		goto out;
	}
	if (!(r = malloc(sizeof(*r)))) {
		rc = ctl_fail("fraud: %s", strerror(ENOMEM));
		goto out;
	}
	rc = store_fraud_get(s, o->trunk ? 1 : 0, o->name, r);
	if (rc == ENOENT) {
		rc = ctl_fail("fraud: no %s \"%s\" stored",
		    o->trunk ? "trunk" : "account", o->name);
		goto out;
	}
	if (rc) {
		rc = ctl_fail("fraud: %s", store_errmsg(s));
		goto out;
	}
	if (fraud_blob_info(r->blob, r->len, w.now, &i)) {
		rc = ctl_fail("fraud: the stored state of \"%s\" is not one "
			      "this version reads",
		    o->name);
		goto out;
	}
	if (o->json) {
		json_t *j = info_json(r, &i);

		json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(j);
	} else
		info_text(r, &i);
	rc = 0;
out:
	json_decref(w.arr);
	free(r);
	store_close(s);
	return rc;
}

int
ctl_fraud(int argc, char **argv)
{
	struct fopts o;
	struct cfg *cfg = NULL;
	const char *sub = NULL;
	bool show;
	int i, rc;

	memset(&o, 0, sizeof(o));
	if (!(i = ctl_head(argc, argv, &o.conf, &o.store, &sub))) {
		fraud_usage(stderr);
		return 2;
	}
	if (strcmp(sub, "list") == 0)
		show = false;
	else if (strcmp(sub, "show") == 0)
		show = true;
	else {
		fprintf(stderr, "centinelactl: fraud: unknown command \"%s\"\n",
		    sub);
		fraud_usage(stderr);
		return 2;
	}
	if ((rc = parse_opts(argc, argv, i, show, &o)))
		return rc;
	if (cfg_load(&cfg, o.conf, stderr))
		return 1;
	rc = run(cfg, &o);
	cfg_free(cfg);
	return rc;
}

/*
 * tools/ctl_ban.c -- centinelactl ban ... and allow ...: the banset
 * and the allowlist as the store holds them.
 *
 * Every change is written to the store (the record, a history line)
 * and queued as a command in the same transaction: a running daemon
 * applies it within store.poll_interval, a stopped one restores it at
 * start. Every argument is checked before anything is written; a bad
 * one changes nothing.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cfg.h"
#include "core/reason.h"
#include "guard/feed.h"
#include "net/sa.h"
#include "store/store.h"
#include "ctl.h"

struct bopts {
	const char *conf;
	const char *store;
	const char *reason;
	const char *note;
	const char *format;
	bool has_for;
	unsigned secs;
	bool json;
	bool all;
	const char *arg; /* the address, range or file */
};

static void
ban_usage(FILE *f)
{
	fprintf(f,
	    "usage: centinelactl ban [-c CONF] [--store URI] COMMAND ...\n"
	    "  list [--reason R] [--all] [--json]   active bans (--all: and\n"
	    "                                      sources with strikes)\n"
	    "  add IP|CIDR [--for DURATION] [--reason R]\n"
	    "                                      DURATION like 30m, 1d;\n"
	    "                                      default: the ladder\n"
	    "  del IP|CIDR                         lift a ban\n"
	    "  show IP|CIDR                        record and history\n"
	    "  stats [--json]\n"
	    "  import FILE [--format plain|rbldnsd|json] [--for D] "
	    "[--reason R]\n"
	    "  export [--format plain|rbldnsd|json] [--all]\n"
	    "usage: centinelactl allow [-c CONF] [--store URI] COMMAND ...\n"
	    "  add IP|CIDR [--note TEXT] | del IP|CIDR | list [--json]\n");
}

static int
parse_opts(int argc, char **argv, int i, struct bopts *o)
{
	for (; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;

		if (strcmp(a, "--for") == 0 && more) {
			if (cfg_duration_parse(argv[++i], &o->secs) ||
			    o->secs == 0)
				return ctl_fail(
					   "--for: \"%s\" is not a duration "
					   "(like 30s, 5m, 1h, 1d, 2w)",
					   argv[i]) +
				    1;
			o->has_for = true;
		} else if (strcmp(a, "--reason") == 0 && more) {
			enum reason r;

			o->reason = argv[++i];
			if (reason_parse(
				str_make(o->reason, strlen(o->reason)), &r))
				return ctl_fail(
					   "--reason: \"%s\" is not a reason "
					   "code (e.g. manual, scanner, "
					   "brute_force)",
					   o->reason) +
				    1;
		} else if (strcmp(a, "--note") == 0 && more) {
			o->note = argv[++i];
			if (strlen(o->note) >= STORE_NOTE_MAX)
				return ctl_fail("--note: longer than %d bytes",
					   STORE_NOTE_MAX - 1) +
				    1;
		} else if (strcmp(a, "--format") == 0 && more)
			o->format = argv[++i];
		else if (strcmp(a, "--json") == 0)
			o->json = true;
		else if (strcmp(a, "--all") == 0)
			o->all = true;
		else if (a[0] == '-' && a[1])
			return ctl_fail("unknown option \"%s\"", a) + 1;
		else if (!o->arg)
			o->arg = a;
		else
			return ctl_fail("unexpected argument \"%s\"", a) + 1;
	}
	return 0;
}

/* IP or CIDR into a canonical range and its text. */
static int
range_arg(const char *s, struct cidr *c, char *txt, size_t cap)
{
	if (!s)
		return ctl_fail("an address or CIDR range is needed");
	if (cidr_parse(s, c))
		return ctl_fail(
		    "\"%s\" is not an IPv4/IPv6 address or CIDR range", s);
	cidr_mask(c);
	if (c->prefix == 0)
		return ctl_fail("\"%s\": refusing a range that covers every "
				"address",
		    s);
	cidr_fmt(c, txt, cap);
	return 0;
}

static int
format_arg(const char *s, enum feed_format *f)
{
	if (!s || strcmp(s, "plain") == 0)
		*f = FEED_PLAIN;
	else if (strcmp(s, "rbldnsd") == 0)
		*f = FEED_RBLDNSD;
	else if (strcmp(s, "json") == 0)
		*f = FEED_JSON;
	else
		return ctl_fail(
		    "--format: \"%s\" is not plain, rbldnsd or json", s);
	return 0;
}

static void
fmt_time(int64_t t, char *buf, size_t cap)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t >= INT64_MAX / 2) {
		snprintf(buf, cap, "never");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- allowlist checks ------------------------------------------------ */

/* The allowlist: guard.allow and the store's entries, read once. */
struct allow_list {
	struct cidr *c;
	size_t n, cap;
};

static bool
overlaps(const struct cidr *a, const struct cidr *b)
{
	struct cidr x = *a, y = *b;
	unsigned p = a->prefix < b->prefix ? a->prefix : b->prefix;

	if (a->family != b->family)
		return false;
	x.prefix = y.prefix = p;
	cidr_mask(&x);
	cidr_mask(&y);
	return cidr_eq(&x, &y);
}

static int
allow_append(struct allow_list *l, const struct cidr *c)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct cidr *n = realloc(l->c, cap * sizeof(*n));

		if (!n)
			return ENOMEM;
		l->c = n;
		l->cap = cap;
	}
	l->c[l->n++] = *c;
	return 0;
}

static int
allow_one(const struct allow_rec *a, void *arg)
{
	struct cidr c;

	return cidr_parse(a->addr, &c) ? 0 : allow_append(arg, &c);
}

static int
allow_load(const struct cfg *cfg, struct store *s, struct allow_list *l)
{
	unsigned i;
	int rc;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < cfg->guard.nallow; i++)
		if ((rc = allow_append(l, &cfg->guard.allow[i])))
			return rc;
	return store_allow_each(s, allow_one, l);
}

static bool
allow_has(const struct allow_list *l, const struct cidr *c)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (overlaps(&l->c[i], c))
			return true;
	return false;
}

/* ---- writing --------------------------------------------------------- */

static int
queue_cmd(struct store *s, const char *op, const char *addr, int64_t secs,
    const char *reason)
{
	struct ban_cmd c;

	memset(&c, 0, sizeof(c));
	snprintf(c.op, sizeof(c.op), "%s", op);
	snprintf(c.addr, sizeof(c.addr), "%s", addr);
	c.duration = secs;
	snprintf(c.reason, sizeof(c.reason), "%s", reason ? reason : "");
	c.created = (int64_t)time(NULL);
	return store_ban_cmd_add(s, &c);
}

static int
history(struct store *s, const char *addr, const char *what, const char *reason,
    uint32_t rung, int64_t secs)
{
	struct ban_event e;

	memset(&e, 0, sizeof(e));
	snprintf(e.addr, sizeof(e.addr), "%s", addr);
	e.at = (int64_t)time(NULL);
	snprintf(e.what, sizeof(e.what), "%s", what);
	snprintf(e.reason, sizeof(e.reason), "%s", reason);
	e.rung = rung;
	e.duration = secs;
	snprintf(e.detail, sizeof(e.detail), "centinelactl");
	return store_ban_event_add(s, &e);
}

/* The ladder, as the daemon climbs it (guard/ban.c). */
static void
ladder_step(const struct cfg *cfg, const struct ban_rec *old, bool have,
    int64_t now, struct ban_rec *r, unsigned *secs)
{
	const struct cfg_guard *gc = &cfg->guard;
	unsigned strikes = have && old->forget > now ? old->strikes : 0, rung;

	strikes++;
	rung = strikes < gc->nladder ? strikes : gc->nladder;
	if (!*secs)
		*secs = gc->ladder[rung - 1];
	r->strikes = strikes;
	r->rung = rung;
	r->first_seen = have ? old->first_seen : now;
	r->last_seen = now;
	r->expires = now + *secs;
	r->forget = r->expires + gc->memory;
}

static int
do_add(const struct cfg *cfg, struct store *s, const struct bopts *o,
    const char *addr, const struct cidr *c)
{
	struct ban_rec old, r;
	const char *reason = o->reason ? o->reason : "manual";
	int64_t now = (int64_t)time(NULL);
	unsigned secs = o->has_for ? o->secs : 0;
	struct allow_list al;
	bool have, allowed;

	if (allow_load(cfg, s, &al)) {
		free(al.c);
		return ctl_fail("allowlist: %s", store_errmsg(s));
	}
	allowed = allow_has(&al, c);
	free(al.c);
	if (allowed)
		return ctl_fail("%s is allowlisted: not banned (centinelactl "
				"allow del first)",
		    addr);
	have = store_ban_get(s, addr, &old) == 0;
	memset(&r, 0, sizeof(r));
	snprintf(r.addr, sizeof(r.addr), "%s", addr);
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	snprintf(r.origin, sizeof(r.origin), "ctl");
	ladder_step(cfg, &old, have, now, &r, &secs);
	if (store_begin(s) || store_ban_put(s, &r) ||
	    history(s, addr, "ban", reason, r.rung, secs) ||
	    queue_cmd(s, "ban", addr, secs, reason) || store_commit(s)) {
		store_rollback(s);
		return ctl_fail("%s", store_errmsg(s));
	}
	printf("banned %s for %us (rung %u, strike %u)\n", addr, secs, r.rung,
	    r.strikes);
	return 0;
}

static int
do_del(struct store *s, const char *addr)
{
	struct ban_rec r;

	if (store_ban_get(s, addr, &r))
		return ctl_fail("%s is not banned", addr);
	if (store_begin(s) || store_ban_del(s, addr) ||
	    history(s, addr, "unban", r.reason, r.rung, 0) ||
	    queue_cmd(s, "unban", addr, 0, NULL) || store_commit(s)) {
		store_rollback(s);
		return ctl_fail("%s", store_errmsg(s));
	}
	printf("lifted %s\n", addr);
	return 0;
}

/* ---- reading --------------------------------------------------------- */

struct list_walk {
	const struct bopts *o;
	int64_t now;
	json_t *arr;
	unsigned n;
	/* stats */
	unsigned active, remembered;
	json_t *by_reason, *by_origin;
	FILE *out;
	enum feed_format fmt;
	struct feed_entry *ents;
	char **reasons; /* owned copies behind ents[i].reason */
	size_t nents, cap;
};

static json_t *
rec_json(const struct ban_rec *r, int64_t now)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:i, s:i, s:I, s:I, s:I, s:I}",
	    "addr", r->addr, "reason", r->reason, "origin", r->origin, "banned",
	    r->expires > now, "rung", (int)r->rung, "strikes", (int)r->strikes,
	    "first_seen", (json_int_t)r->first_seen, "last_seen",
	    (json_int_t)r->last_seen, "expires", (json_int_t)r->expires,
	    "forget", (json_int_t)r->forget);
}

static int
list_one(const struct ban_rec *r, void *arg)
{
	struct list_walk *w = arg;
	char until[32], first[32];

	if (!w->o->all && r->expires <= w->now)
		return 0;
	if (w->o->reason && strcmp(w->o->reason, r->reason) != 0)
		return 0;
	w->n++;
	if (w->arr) {
		json_array_append_new(w->arr, rec_json(r, w->now));
		return 0;
	}
	fmt_time(r->expires, until, sizeof(until));
	fmt_time(r->first_seen, first, sizeof(first));
	printf("%-43s %-16s %-12s %4u %7u  %-20s %s%s\n", r->addr, r->reason,
	    r->origin, r->rung, r->strikes, first, until,
	    r->expires > w->now ? "" : " (ended)");
	return 0;
}

static int
stats_one(const struct ban_rec *r, void *arg)
{
	struct list_walk *w = arg;
	json_t *v;

	if (r->expires > w->now) {
		w->active++;
		v = json_object_get(w->by_reason, r->reason);
		json_object_set_new(w->by_reason, r->reason,
		    json_integer(v ? json_integer_value(v) + 1 : 1));
		v = json_object_get(w->by_origin, r->origin);
		json_object_set_new(w->by_origin, r->origin,
		    json_integer(v ? json_integer_value(v) + 1 : 1));
	} else
		w->remembered++;
	return 0;
}

static int
show_event(const struct ban_event *e, void *arg)
{
	char at[32];

	fmt_time(e->at, at, sizeof(at));
	if (e->duration)
		printf("  %s %-7s %-16s rung %u for %llds  %s\n", at, e->what,
		    e->reason, e->rung, (long long)e->duration, e->detail);
	else
		printf("  %s %-7s %-16s rung %u  %s\n", at, e->what, e->reason,
		    e->rung, e->detail);
	return 0;
}

static int
collect_one(const struct ban_rec *r, void *arg)
{
	struct list_walk *w = arg;
	struct feed_entry *e;

	if (!w->o->all && r->expires <= w->now)
		return 0;
	if (w->nents == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		struct feed_entry *n = realloc(w->ents, cap * sizeof(*n));
		char **rs;

		if (!n)
			return ENOMEM;
		w->ents = n;
		if (!(rs = realloc(w->reasons, cap * sizeof(*rs))))
			return ENOMEM;
		w->reasons = rs;
		w->cap = cap;
	}
	e = &w->ents[w->nents];
	memset(e, 0, sizeof(*e));
	if (cidr_parse(r->addr, &e->range))
		return 0;
	cidr_mask(&e->range);
	if (!(w->reasons[w->nents] = strdup(r->reason)))
		return ENOMEM;
	e->reason = w->reasons[w->nents];
	e->until = r->expires;
	w->nents++;
	return 0;
}

struct iter {
	struct list_walk *w;
	size_t i;
};

static bool
next_entry(struct feed_entry *e, void *arg)
{
	struct iter *it = arg;

	if (it->i >= it->w->nents)
		return false;
	*e = it->w->ents[it->i++];
	return true;
}

/* ---- import ---------------------------------------------------------- */

struct import {
	const struct cfg *cfg;
	struct store *s;
	const struct bopts *o;
	unsigned n, skipped;
	int64_t now;
	struct allow_list allow;
	bool store_failed; /* a write failed (else: the input is bad) */
};

static int
import_one(const struct feed_entry *e, void *arg)
{
	struct import *im = arg;
	struct ban_rec r, old;
	char addr[STORE_ADDR_MAX];
	unsigned secs = im->o->has_for ? im->o->secs : 0;
	const char *reason = im->o->reason ? im->o->reason :
	    e->reason			   ? e->reason :
					     "manual";
	enum reason rc;
	int err;

	if (reason_parse(str_make(reason, strlen(reason)), &rc))
		reason = "manual";
	if (!secs && e->until > im->now)
		secs = (unsigned)(e->until - im->now);
	cidr_fmt(&e->range, addr, sizeof(addr));
	if (e->range.prefix == 0 || allow_has(&im->allow, &e->range)) {
		im->skipped++;
		return 0;
	}
	memset(&r, 0, sizeof(r));
	snprintf(r.addr, sizeof(r.addr), "%s", addr);
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	snprintf(r.origin, sizeof(r.origin), "ctl");
	ladder_step(im->cfg, &old, store_ban_get(im->s, addr, &old) == 0,
	    im->now, &r, &secs);
	if ((err = store_ban_put(im->s, &r)) ||
	    (err = queue_cmd(im->s, "ban", addr, secs, reason))) {
		im->store_failed = true;
		return err;
	}
	im->n++;
	return 0;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 65536 + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 131072;
			if (cap > (size_t)FEED_MAX_BYTES + 65536 + 1 ||
			    !(nb = realloc(buf, cap))) {
				free(buf);
				buf = NULL;
				errno = E2BIG;
				break;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (buf && ferror(f)) {
		free(buf);
		buf = NULL;
	}
	if (f != stdin)
		fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

static int
do_import(const struct cfg *cfg, struct store *s, const struct bopts *o)
{
	struct import im;
	enum feed_format fmt;
	char *buf, err[256];
	size_t len = 0;
	int rc;

	memset(&im, 0, sizeof(im));
	im.cfg = cfg;
	im.s = s;
	im.o = o;
	im.now = (int64_t)time(NULL);
	if (!o->arg)
		return ctl_fail("import: a file (or - for stdin) is needed");
	if (format_arg(o->format, &fmt))
		return 1;
	if (!(buf = read_file(o->arg, &len)))
		return ctl_fail(
		    "%s: %s", o->arg, strerror(errno ? errno : EIO));
	if (allow_load(cfg, s, &im.allow) || store_begin(s)) {
		free(buf);
		free(im.allow.c);
		return ctl_fail("%s", store_errmsg(s));
	}
	/* feed_parse() checks the whole input before the first entry. */
	rc = feed_parse(
	    fmt, buf, len, import_one, &im, NULL, 0, err, sizeof(err));
	free(buf);
	free(im.allow.c);
	if (rc || store_commit(s)) {
		store_rollback(s);
		return ctl_fail("%s: %s; nothing imported", o->arg,
		    rc && !im.store_failed ? err : store_errmsg(s));
	}
	printf("imported %u ranges%s", im.n, im.skipped ? "" : "\n");
	if (im.skipped)
		printf(" (%u allowlisted or covering everything: skipped)\n",
		    im.skipped);
	return 0;
}

/* ---- allow ----------------------------------------------------------- */

static int
allow_print(const struct allow_rec *a, void *arg)
{
	json_t *arr = arg;
	char at[32];

	if (arr) {
		json_array_append_new(arr,
		    json_pack("{s:s, s:s, s:I}", "addr", a->addr, "note",
			a->note, "created", (json_int_t)a->created));
		return 0;
	}
	fmt_time(a->created, at, sizeof(at));
	printf("%-43s %-20s %s\n", a->addr, at, a->note);
	return 0;
}

static int
print_json(json_t *j)
{
	char *txt = json_dumps(j, JSON_INDENT(2));

	json_decref(j);
	if (!txt)
		return ctl_fail("out of memory");
	printf("%s\n", txt);
	free(txt);
	return 0;
}

static int
run_allow(const struct cfg *cfg, struct store *s, const char *sub,
    const struct bopts *o)
{
	struct cidr c;
	char addr[STORE_ADDR_MAX];
	struct allow_rec a;
	struct ban_rec br;

	if (strcmp(sub, "list") == 0) {
		json_t *arr = o->json ? json_array() : NULL;

		if (!o->json)
			printf("%-43s %-20s %s\n", "RANGE", "ADDED", "NOTE");
		if (store_allow_each(s, allow_print, arr)) {
			json_decref(arr);
			return ctl_fail("%s", store_errmsg(s));
		}
		return arr ? print_json(arr) : 0;
	}
	if (range_arg(o->arg, &c, addr, sizeof(addr)))
		return 2;
	if (strcmp(sub, "add") == 0) {
		memset(&a, 0, sizeof(a));
		snprintf(a.addr, sizeof(a.addr), "%s", addr);
		snprintf(a.note, sizeof(a.note), "%s", o->note ? o->note : "");
		a.created = (int64_t)time(NULL);
		if (store_begin(s) || store_allow_put(s, &a) ||
		    queue_cmd(s, "allow", addr, 0, NULL) ||
		    (store_ban_get(s, addr, &br) == 0 &&
			(store_ban_del(s, addr) ||
			    history(s, addr, "unban", br.reason, br.rung, 0) ||
			    queue_cmd(s, "unban", addr, 0, NULL))) ||
		    store_commit(s)) {
			store_rollback(s);
			return ctl_fail("%s", store_errmsg(s));
		}
		printf("allowed %s\n", addr);
		return 0;
	}
	if (strcmp(sub, "del") == 0) {
		int rc = store_allow_del(s, addr);

		if (rc == ENOENT)
			return ctl_fail("%s is not on the allowlist", addr);
		if (rc || queue_cmd(s, "unallow", addr, 0, NULL))
			return ctl_fail("%s", store_errmsg(s));
		printf("removed %s from the allowlist\n", addr);
		return 0;
	}
	ban_usage(stderr);
	return 2;
}

/* ---- the command ----------------------------------------------------- */

static int
run_ban(const struct cfg *cfg, struct store *s, const char *sub,
    const struct bopts *o)
{
	struct list_walk w;
	struct cidr c;
	char addr[STORE_ADDR_MAX];
	struct ban_rec r;
	enum feed_format fmt;
	int rc;

	memset(&w, 0, sizeof(w));
	w.o = o;
	w.now = (int64_t)time(NULL);
	if (strcmp(sub, "list") == 0) {
		if (o->json)
			w.arr = json_array();
		else
			printf("%-43s %-16s %-12s %4s %7s  %-20s %s\n", "RANGE",
			    "REASON", "ORIGIN", "RUNG", "STRIKES", "FIRST SEEN",
			    "UNTIL");
		if (store_ban_each(s, list_one, &w)) {
			json_decref(w.arr);
			return ctl_fail("%s", store_errmsg(s));
		}
		return w.arr ? print_json(w.arr) : 0;
	}
	if (strcmp(sub, "stats") == 0) {
		w.by_reason = json_object();
		w.by_origin = json_object();
		if (store_ban_each(s, stats_one, &w)) {
			json_decref(w.by_reason);
			json_decref(w.by_origin);
			return ctl_fail("%s", store_errmsg(s));
		}
		if (o->json)
			return print_json(json_pack("{s:i, s:i, s:o, s:o}",
			    "active", (int)w.active, "remembered",
			    (int)w.remembered, "by_reason", w.by_reason,
			    "by_origin", w.by_origin));
		printf("active bans: %u\nsources with strikes only: %u\n",
		    w.active, w.remembered);
		{
			const char *k;
			json_t *v;

			json_object_foreach(w.by_reason, k, v)
			    printf("  reason %-16s %lld\n", k,
				(long long)json_integer_value(v));
			json_object_foreach(w.by_origin, k, v)
			    printf("  origin %-16s %lld\n", k,
				(long long)json_integer_value(v));
		}
		json_decref(w.by_reason);
		json_decref(w.by_origin);
		return 0;
	}
	if (strcmp(sub, "import") == 0)
		return do_import(cfg, s, o);
	if (strcmp(sub, "export") == 0) {
		struct iter it = { &w, 0 };
		size_t i;

		if (format_arg(o->format, &fmt))
			return 2;
		rc = store_ban_each(s, collect_one, &w);
		if (rc == 0 && feed_write(stdout, fmt, next_entry, &it))
			rc = EIO;
		for (i = 0; i < w.nents; i++)
			free(w.reasons[i]);
		free(w.reasons);
		free(w.ents);
		if (rc)
			return ctl_fail("export: %s",
			    rc == EIO ? "cannot write" : store_errmsg(s));
		return 0;
	}
	if (range_arg(o->arg, &c, addr, sizeof(addr)))
		return 2;
	if (strcmp(sub, "add") == 0)
		return do_add(cfg, s, o, addr, &c);
	if (strcmp(sub, "del") == 0)
		return do_del(s, addr);
	if (strcmp(sub, "show") == 0) {
		char t1[32], t2[32], t3[32];

		if (store_ban_get(s, addr, &r) == 0) {
			fmt_time(r.first_seen, t1, sizeof(t1));
			fmt_time(r.last_seen, t2, sizeof(t2));
			fmt_time(r.expires, t3, sizeof(t3));
			printf("%s: %s, reason %s, origin %s\n", addr,
			    r.expires > w.now ? "banned" : "not banned",
			    r.reason, r.origin);
			printf("  rung %u, strikes %u, first seen %s, last "
			       "seen %s, %s %s\n",
			    r.rung, r.strikes, t1, t2,
			    r.expires > w.now ? "until" : "ended", t3);
		} else
			printf(
			    "%s: no record (not banned, no strikes)\n", addr);
		printf("history:\n");
		if (store_ban_event_each(s, addr, 50, show_event, NULL))
			return ctl_fail("%s", store_errmsg(s));
		return 0;
	}
	ban_usage(stderr);
	return 2;
}

static int
ctl_ban_or_allow(int argc, char **argv, bool allow)
{
	struct bopts o;
	struct cfg *cfg = NULL;
	struct store *s = NULL;
	const char *sub;
	char err[256];
	int i, rc;

	memset(&o, 0, sizeof(o));
	if (!(i = ctl_head(argc, argv, &o.conf, &o.store, &sub))) {
		ban_usage(stderr);
		return 2;
	}
	if (allow ? strcmp(sub, "add") && strcmp(sub, "del") &&
		    strcmp(sub, "list") :
		    strcmp(sub, "list") && strcmp(sub, "add") &&
		    strcmp(sub, "del") && strcmp(sub, "show") &&
		    strcmp(sub, "stats") && strcmp(sub, "import") &&
		    strcmp(sub, "export")) {
		fprintf(stderr, "centinelactl: %s: unknown command \"%s\"\n",
		    allow ? "allow" : "ban", sub);
		ban_usage(stderr);
		return 2;
	}
	if ((rc = parse_opts(argc, argv, i, &o)))
		return rc;
	if (cfg_load(&cfg, o.conf, stderr))
		return 1;
	if (store_open(
		&s, o.store ? o.store : cfg->store_uri, err, sizeof(err))) {
		cfg_free(cfg);
		return ctl_fail("%s", err);
	}
	rc = allow ? run_allow(cfg, s, sub, &o) : run_ban(cfg, s, sub, &o);
	store_close(s);
	cfg_free(cfg);
	return rc;
}

int
ctl_ban(int argc, char **argv)
{
	return ctl_ban_or_allow(argc, argv, false);
}

int
ctl_allow(int argc, char **argv)
{
	return ctl_ban_or_allow(argc, argv, true);
}

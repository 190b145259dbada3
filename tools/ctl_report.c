/*
 * tools/ctl_report.c -- centinelactl report blocks: the caller-ID
 * blocking report from the store's counters (cid_blocks), as
 * CSV, JSON or HTML (callerid/report.h).
 *
 * Every argument is checked before the store is opened. The store is
 * only read; a SQLite file that does not exist is an error rather than
 * an empty new database. With -o the report is written to a temporary
 * file beside FILE and renamed over it once complete, so FILE is either
 * the old content or the whole new report, never half of one.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callerid/report.h"
#include "core/cfg.h"
#include "core/date.h"
#include "core/reason.h"
#include "core/str.h"
#include "store/store.h"
#include "ctl.h"

int ctl_report(int argc, char **argv);

struct ropts {
	const char *conf;
	const char *store;
	const char *from;
	const char *to;
	const char *out;
	enum report_format fmt;
	struct report_opts ro;
};

static void
report_usage(FILE *f)
{
	fprintf(f,
	    "usage: centinelactl report blocks [-c CONF] [--store URI]\n"
	    "           --from YYYY-MM-DD --to YYYY-MM-DD\n"
	    "           [--period day|month|half|year] "
	    "[--by rule,channel,trunk|none]\n"
	    "           [--channel call|sms] [--trunk NAME]\n"
	    "           [--format csv|json|html] [-o FILE]\n"
	    "  blocks made by the caller-ID rules, summed per period "
	    "(default: year)\n"
	    "  and per rule, channel and trunk (default: all three); --to "
	    "is inclusive;\n"
	    "  default format csv on standard output\n");
}

/* The rule's description: the reason code's text (core/reason.h). */
static const char *
rule_desc(const char *rule, void *arg)
{
	enum reason r;

	(void)arg;
	if (reason_parse(str_make(rule, strlen(rule)), &r))
		return NULL;
	return reason_text(r);
}

static int
date_arg(const char *opt, const char *s, int64_t *day)
{
	char err[96];

	if (!s)
		return ctl_fail("%s YYYY-MM-DD is required", opt) + 1;
	if (date_parse(s, day, err, sizeof(err)))
		return ctl_fail(
			   "%s: \"%s\" is not a valid date: %s", opt, s, err) +
		    1;
	return 0;
}

static int
parse_opts(int argc, char **argv, int i, struct ropts *o)
{
	for (; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (a[0] != '-' || !a[1])
			return ctl_fail("unexpected argument \"%s\"", a) + 1;
		if (strcmp(a, "-c") && strcmp(a, "--store") &&
		    strcmp(a, "--from") && strcmp(a, "--to") &&
		    strcmp(a, "--period") && strcmp(a, "--by") &&
		    strcmp(a, "--channel") && strcmp(a, "--trunk") &&
		    strcmp(a, "--format") && strcmp(a, "-o"))
			return ctl_fail("unknown option \"%s\"", a) + 1;
		if (!v)
			return ctl_fail("%s needs a value", a) + 1;
		i++;
		if (strcmp(a, "-c") == 0)
			o->conf = v;
		else if (strcmp(a, "--store") == 0)
			o->store = v;
		else if (strcmp(a, "--from") == 0)
			o->from = v;
		else if (strcmp(a, "--to") == 0)
			o->to = v;
		else if (strcmp(a, "-o") == 0)
			o->out = v;
		else if (strcmp(a, "--period") == 0) {
			if (report_period_parse(v, &o->ro.period))
				return ctl_fail("--period: \"%s\" is not day, "
						"month, half or year",
					   v) +
				    1;
		} else if (strcmp(a, "--by") == 0) {
			if (report_by_parse(v, &o->ro.by))
				return ctl_fail("--by: \"%s\" is not a comma "
						"list of rule, channel, "
						"trunk (each once) or none",
					   v) +
				    1;
		} else if (strcmp(a, "--channel") == 0) {
			if (strcmp(v, "call") && strcmp(v, "sms"))
				return ctl_fail("--channel: \"%s\" is not "
						"call or sms",
					   v) +
				    1;
			o->ro.channel = v;
		} else if (strcmp(a, "--trunk") == 0) {
			if (!*v || strlen(v) >= STORE_TRUNK_MAX)
				return ctl_fail("--trunk: a peer name of 1 to "
						"%d bytes",
					   STORE_TRUNK_MAX - 1) +
				    1;
			o->ro.trunk = v;
		} else if (report_format_parse(v, &o->fmt))
			return ctl_fail(
				   "--format: \"%s\" is not csv, json or html",
				   v) +
			    1;
	}
	if (date_arg("--from", o->from, &o->ro.from) ||
	    date_arg("--to", o->to, &o->ro.to))
		return 2;
	if (o->ro.from > o->ro.to)
		return ctl_fail("--from %s is after --to %s", o->from, o->to) +
		    1;
	return 0;
}

/* A SQLite store that does not exist: a report would create it. */
static int
store_missing(const char *uri)
{
	struct stat st;

	if (strncmp(uri, "sqlite:", 7) != 0 || stat(uri + 7, &st) == 0)
		return 0;
	return ctl_fail("no database at %s", uri + 7);
}

/*
 * Write the report into a temporary file beside "path", flush it to
 * disk, then rename it over "path". On failure the temporary file is
 * removed and "path" is untouched.
 */
static int
write_file(struct report *r, enum report_format fmt, const char *path)
{
	char tmp[PATH_MAX];
	mode_t mask;
	FILE *f;
	int fd, rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    sizeof(tmp))
		return ctl_fail("-o: file name too long");
	if ((fd = mkstemp(tmp)) < 0)
		return ctl_fail("-o: cannot create a file beside %s: %s", path,
		    strerror(errno));
	/* mkstemp makes it 0600; a report is as readable as any file */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) || !(f = fdopen(fd, "w"))) {
		rc = errno;
		close(fd);
		unlink(tmp);
		return ctl_fail("-o: %s: %s", tmp, strerror(rc));
	}
	rc = report_write(r, fmt, f);
	if (!rc && fsync(fileno(f)))
		rc = errno;
	if (fclose(f) && !rc)
		rc = errno ? errno : EIO;
	if (!rc && rename(tmp, path))
		rc = errno;
	if (rc) {
		unlink(tmp);
		return ctl_fail("-o: cannot write %s: %s", path, strerror(rc));
	}
	return 0;
}

static int
run_blocks(const struct cfg *cfg, struct ropts *o)
{
	struct store *s = NULL;
	struct report *r = NULL;
	const char *uri = o->store ? o->store : cfg->store_uri;
	char err[256];
	int rc;

	if (store_missing(uri))
		return 1;
	if (store_open(&s, uri, err, sizeof(err)))
		return ctl_fail("%s", err);
	o->ro.desc = rule_desc;
	if ((rc = report_alloc(&r, &o->ro))) {
		store_close(s);
		return ctl_fail("%s",
		    rc == ERANGE ? "too many periods: use a longer --period" :
				   strerror(rc));
	}
	if ((rc = report_load_store(r, s))) {
		ctl_fail("reading the block counters: %s",
		    rc == ENOMEM || rc == EOVERFLOW ? strerror(rc) :
						      store_errmsg(s));
		goto out;
	}
	store_close(s);
	s = NULL;
	if (o->out)
		rc = write_file(r, o->fmt, o->out);
	else if ((rc = report_write(r, o->fmt, stdout)))
		ctl_fail("writing the report: %s", strerror(rc));
out:
	report_free(r);
	store_close(s);
	return rc ? 1 : 0;
}

int
ctl_report(int argc, char **argv)
{
	struct ropts o;
	struct cfg *cfg = NULL;
	const char *sub;
	int i, rc;

	memset(&o, 0, sizeof(o));
	o.fmt = REPORT_CSV;
	o.ro.period = REPORT_YEAR;
	o.ro.by = REPORT_BY_ALL;
	if (!(i = ctl_head(argc, argv, &o.conf, &o.store, &sub))) {
		report_usage(stderr);
		return 2;
	}
	if (strcmp(sub, "blocks") != 0) {
		fprintf(stderr, "centinelactl: report: unknown report \"%s\"\n",
		    sub);
		report_usage(stderr);
		return 2;
	}
	if ((rc = parse_opts(argc, argv, i, &o)))
		return rc;
	if (cfg_load(&cfg, o.conf, stderr))
		return 1;
	rc = run_blocks(cfg, &o);
	cfg_free(cfg);
	return rc;
}

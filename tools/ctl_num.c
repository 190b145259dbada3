/*
 * tools/ctl_num.c -- centinelactl numbering ..., alias ... and
 * robinson ...: the caller-ID numbering data in the store (the CNMC
 * register, the operator's own inventory, exceptions, SMS aliases, the
 * Lista Robinson) and what the in-memory copy says about a number.
 *
 * Works on the store directly; running daemons see a change through
 * the numbering generation within store.poll_interval. Every input is
 * checked in full before anything is written: a file with one bad
 * line changes nothing (numbering import-cnmc --skip-bad imports the
 * good rows and reports the others). Imports run in one transaction
 * of their own: the data in force stays until the new data is
 * complete. Large files show progress on a terminal. Exit status: 0,
 * 1 for a refused operation or bad input, 2 for a usage error.
 *
 * Numbers may be written +34..., 0034..., as a 9-digit Spanish
 * national number, or as E.164 digits; they are stored as E.164
 * digits ("34911000123").
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "callerid/cnmc.h"
#include "callerid/number.h"
#include "callerid/numdb.h"
#include "core/cfg.h"
#include "store/store.h"
#include "ctl.h"

#define NARGS_MAX 64 /* positional arguments (files) */
#define BAD_SHOW_MAX 50 /* bad lines printed before "... and N more" */
#define PROGRESS_EVERY 50000 /* rows between progress updates */
#define FILE_MAX ((size_t)1 << 31) /* 2 GiB */
#define MAX_DROP_DEFAULT 20

struct nopts {
	const char *conf;
	const char *store;
	const char *args[NARGS_MAX];
	int nargs;
	bool json, replace, skip_bad, dry_run, prefix;
	unsigned max_drop;
	enum cnmc_encoding enc;
	const char *trunk, *ref, *rules, *rule;
	bool has_id, has_from, has_to, has_at;
	int64_t id, from, to, at;
};

static void
num_usage(FILE *f)
{
	fprintf(f,
	    "usage: centinelactl numbering [-c CONF] [--store URI] COMMAND "
	    "...\n"
	    "  import-cnmc FILE... [--max-drop PCT] [--skip-bad] [--dry-run]\n"
	    "              [--encoding windows-1252|iso-8859-15|utf-8]\n"
	    "                    the CNMC register (files of bd-num.zip) as "
	    "the\n"
	    "                    new data set; refused when it would drop "
	    "more\n"
	    "                    than PCT %% (default 20) of the ranges in "
	    "force\n"
	    "  own import FILE [--replace]   lines KIND,DIGITS[,NOTE]; KIND "
	    "is\n"
	    "                    block, subblock, service, ported_in, "
	    "ported_out\n"
	    "  own list [--json]\n"
	    "  exception add DIGITS[*] [--prefix] [--trunk T] [--from DATE]\n"
	    "              [--to DATE] [--ref TEXT] [--rules R,R]\n"
	    "  exception del DIGITS[*] [--trunk T] | exception del --id N\n"
	    "  exception list [--json]\n"
	    "  lookup NUMBER [--trunk T] [--rule R] [--at DATE] [--json]\n"
	    "  stats [--json]\n"
	    "usage: centinelactl alias [-c CONF] [--store URI] COMMAND ...\n"
	    "  import FILE [--replace]   lines ALIAS;PRO,PRO[;FROM;TO]\n"
	    "  list [--json]\n"
	    "usage: centinelactl robinson [-c CONF] [--store URI] COMMAND ...\n"
	    "  import FILE [--replace]   one SHA-256 hash (64 hex digits) or\n"
	    "                    one telephone number (hashed for calls, 04,\n"
	    "                    and SMS, 03; a number without + or 00 is\n"
	    "                    Spanish) per line\n"
	    "NUMBER, DIGITS: +34..., 0034..., a 9-digit Spanish number or "
	    "E.164\n"
	    "digits (34...); DIGITS* (or --prefix) is a prefix.\n"
	    "DATE: YYYY-MM-DD (00:00 UTC), YYYY-MM-DDTHH:MM:SSZ or unix "
	    "seconds.\n"
	    "In files, '#' starts a comment line.\n");
}

/* ---- arguments ------------------------------------------------------------------ */

/*
 * "s" as unix seconds: digits, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC).
 * A date that does not exist (2026-02-30) is refused.
 */
static int
parse_when(const char *s, int64_t *out)
{
	static const char *const fmts[] = { "%Y-%m-%dT%H:%M:%SZ",
		"%Y-%m-%d %H:%M:%S", "%Y-%m-%d" };
	struct tm tm, back;
	const char *end;
	size_t i;
	time_t t;
	uint64_t v;

	if (!s || !*s)
		return EINVAL;
	if (str_to_u64(str_make(s, strlen(s)), &v) == 0) {
		if (v > (uint64_t)INT64_MAX)
			return ERANGE;
		*out = (int64_t)v;
		return 0;
	}
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, fmts[i], &tm);
		if (!end || *end)
			continue;
		back = tm;
		t = timegm(&tm);
		if (tm.tm_mday != back.tm_mday || tm.tm_mon != back.tm_mon ||
		    tm.tm_year != back.tm_year || tm.tm_hour != back.tm_hour)
			return EINVAL;
		*out = (int64_t)t;
		return 0;
	}
	return EINVAL;
}

static void
fmt_time(int64_t t, char *buf, size_t cap)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm)) {
		snprintf(buf, cap, "%lld", (long long)t);
		return;
	}
	if (tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0)
		strftime(buf, cap, "%Y-%m-%d", &tm);
	else
		strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * A number (or, with "star", a prefix ending in '*') into E.164 digits:
 * visual separators go; "+..." and "00..." are international; a bare
 * 9-digit number starting with 4 to 9 (13 digits for M2M 590...) is a
 * Spanish national number; other bare digits are E.164 already
 * ("349110099" is a prefix: no Spanish number starts with 3).
 * Returns 0 or EINVAL.
 */
static int
norm_digits_how(const char *in, bool allow_star, bool bare_national, char *out,
    size_t cap, bool *star)
{
	char d[64];
	size_t n = 0, i;
	const char *p;

	if (star)
		*star = false;
	for (p = in; *p; p++) {
		if (*p == ' ' || *p == '-' || *p == '.' || *p == '(' ||
		    *p == ')')
			continue;
		if (*p == '*' && allow_star && p[1] == '\0') {
			if (star)
				*star = true;
			break;
		}
		if (n + 1 >= sizeof(d))
			return EINVAL;
		d[n++] = *p;
	}
	d[n] = '\0';
	p = d;
	if (*p == '+')
		p++;
	else if (p[0] == '0' && p[1] == '0')
		p += 2;
	else if (bare_national ||
	    (n == 9 && d[0] >= '4' && d[0] <= '9' &&
		(star == NULL || !*star)) ||
	    (n == 13 && strncmp(d, "590", 3) == 0)) {
		if (snprintf(out, cap, "34%s", d) >= (int)cap)
			return EINVAL;
		return 0;
	}
	n = strlen(p);
	if (n < 1 || n >= cap || n > NUMDB_DIGITS_MAX)
		return EINVAL;
	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return EINVAL;
	memcpy(out, p, n + 1);
	return 0;
}

static int
norm_digits(const char *in, bool allow_star, char *out, size_t cap, bool *star)
{
	return norm_digits_how(in, allow_star, false, out, cap, star);
}

/* Valid UTF-8 (jansson checks it when it makes a string). */
static bool
utf8_ok(const char *s)
{
	json_t *j = json_string(s);

	json_decref(j);
	return j != NULL;
}

static int
opt_value(int argc, char **argv, int *i, const char **v)
{
	if (*i + 1 >= argc) {
		ctl_fail("%s needs a value", argv[*i]);
		return 2;
	}
	*v = argv[++*i];
	return 0;
}

static int
parse_opts(int argc, char **argv, int i, struct nopts *o)
{
	const char *v;
	uint32_t u;
	int rc;

	for (; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0)
			o->json = true;
		else if (strcmp(a, "--replace") == 0)
			o->replace = true;
		else if (strcmp(a, "--skip-bad") == 0)
			o->skip_bad = true;
		else if (strcmp(a, "--dry-run") == 0)
			o->dry_run = true;
		else if (strcmp(a, "--prefix") == 0)
			o->prefix = true;
		else if (strcmp(a, "--max-drop") == 0) {
			if ((rc = opt_value(argc, argv, &i, &v)))
				return rc;
			if (str_to_u32_max(str_make(v, strlen(v)), 100, &u))
				return ctl_fail("--max-drop: \"%s\" is not a "
						"percentage from 0 to 100",
					   v) +
				    1;
			o->max_drop = u;
		} else if (strcmp(a, "--encoding") == 0) {
			if ((rc = opt_value(argc, argv, &i, &v)))
				return rc;
			if (cnmc_encoding_parse(v, &o->enc))
				return ctl_fail("--encoding: \"%s\" is not "
						"windows-1252, iso-8859-15 or "
						"utf-8",
					   v) +
				    1;
		} else if (strcmp(a, "--trunk") == 0) {
			if ((rc = opt_value(argc, argv, &i, &o->trunk)))
				return rc;
			if (strlen(o->trunk) >= STORE_TRUNK_MAX ||
			    !utf8_ok(o->trunk))
				return ctl_fail("--trunk: longer than %d bytes "
						"or not UTF-8",
					   STORE_TRUNK_MAX - 1) +
				    1;
		} else if (strcmp(a, "--ref") == 0) {
			if ((rc = opt_value(argc, argv, &i, &o->ref)))
				return rc;
			if (strlen(o->ref) >= STORE_REF_MAX || !utf8_ok(o->ref))
				return ctl_fail("--ref: longer than %d bytes "
						"or not UTF-8",
					   STORE_REF_MAX - 1) +
				    1;
		} else if (strcmp(a, "--rules") == 0) {
			if ((rc = opt_value(argc, argv, &i, &o->rules)))
				return rc;
		} else if (strcmp(a, "--rule") == 0) {
			if ((rc = opt_value(argc, argv, &i, &o->rule)))
				return rc;
		} else if (strcmp(a, "--id") == 0) {
			uint64_t id;

			if ((rc = opt_value(argc, argv, &i, &v)))
				return rc;
			if (str_to_u64(str_make(v, strlen(v)), &id) ||
			    id > (uint64_t)INT64_MAX)
				return ctl_fail(
					   "--id: \"%s\" is not a number", v) +
				    1;
			o->id = (int64_t)id;
			o->has_id = true;
		} else if (strcmp(a, "--from") == 0 || strcmp(a, "--to") == 0 ||
		    strcmp(a, "--at") == 0) {
			int64_t t;

			if ((rc = opt_value(argc, argv, &i, &v)))
				return rc;
			if (parse_when(v, &t))
				return ctl_fail("%s: \"%s\" is not a date "
						"(YYYY-MM-DD, "
						"YYYY-MM-DDTHH:MM:SSZ or unix "
						"seconds)",
					   a, v) +
				    1;
			if (a[2] == 'f') {
				o->from = t;
				o->has_from = true;
			} else if (a[2] == 't') {
				o->to = t;
				o->has_to = true;
			} else {
				o->at = t;
				o->has_at = true;
			}
		} else if (a[0] == '-' && a[1]) {
			return ctl_fail("unknown option \"%s\"", a) + 1;
		} else if (o->nargs < NARGS_MAX) {
			o->args[o->nargs++] = a;
		} else {
			return ctl_fail("more than %d arguments", NARGS_MAX) +
			    1;
		}
	}
	return 0;
}

/* "R,R": items of letters, digits, '.', '-', '_'; "" allowed. */
static bool
rules_ok(const char *r)
{
	const char *p;
	bool item = false;

	if (strlen(r) >= STORE_RULES_MAX)
		return false;
	for (p = r; *p; p++) {
		if (*p == ',') {
			if (!item)
				return false;
			item = false;
		} else if ((*p >= 'A' && *p <= 'Z') ||
		    (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '.' || *p == '-' || *p == '_') {
			item = true;
		} else {
			return false;
		}
	}
	return !*r || item;
}

/* ---- files and progress ------------------------------------------------------------ */

/* The whole of "path" ("-": stdin), NUL-terminated; NULL with errno. */
static char *
read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, r;
	int e = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			if (cap > FILE_MAX + 65536 + 1) {
				e = EFBIG;
				break;
			}
			if (!(nb = realloc(buf, cap))) {
				e = ENOMEM;
				break;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (!e && ferror(f))
		e = EIO;
	if (f != stdin)
		fclose(f);
	if (e) {
		free(buf);
		errno = e;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* "\rimported 1200000 rows (63%)" on a terminal. */
struct progress {
	bool tty, shown;
	const char *verb;
	size_t total; /* bytes of all the input */
	uint64_t next;
};

static void
progress_init(struct progress *pg, const char *verb, size_t total)
{
	memset(pg, 0, sizeof(*pg));
	pg->tty = isatty(STDERR_FILENO) == 1;
	pg->verb = verb;
	pg->total = total;
	pg->next = PROGRESS_EVERY;
}

static void
progress_show(struct progress *pg, uint64_t rows, size_t pos)
{
	if (!pg->tty || rows < pg->next)
		return;
	pg->next = rows + PROGRESS_EVERY;
	fprintf(stderr, "\r%s %llu rows (%u%%)", pg->verb,
	    (unsigned long long)rows,
	    pg->total ? (unsigned)((double)pos * 100.0 / (double)pg->total) :
			100u);
	pg->shown = true;
}

static void
progress_end(struct progress *pg)
{
	if (pg->shown)
		fputc('\n', stderr);
	pg->shown = false;
}

/* Lines of a buffer, without their "\n" or "\r\n". */
struct lines {
	const char *p, *end;
	unsigned long lineno;
};

static bool
next_line(struct lines *it, const char **s, size_t *n)
{
	const char *nl;

	if (it->p >= it->end)
		return false;
	nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	*s = it->p;
	*n = nl ? (size_t)(nl - it->p) : (size_t)(it->end - it->p);
	it->p = nl ? nl + 1 : it->end;
	if (*n && (*s)[*n - 1] == '\r')
		(*n)--;
	it->lineno++;
	return true;
}

/* Trim blanks of [*s, *s + *n). */
static void
trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* A blank line or a '#' comment. */
static bool
skip_line(const char *s, size_t n)
{
	trim(&s, &n);
	return n == 0 || s[0] == '#';
}

/* Field [s, s + n) trimmed into dst[cap] as a C string; false: too long
 * or holds a NUL. */
static bool
field(char *dst, size_t cap, const char *s, size_t n)
{
	trim(&s, &n);
	if (n >= cap || memchr(s, '\0', n))
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

/* Up to "max" fields of a line split at "sep"; the count. */
static size_t
split(const char *s, size_t n, char sep, const char **f, size_t *fl, size_t max)
{
	size_t nf = 0;
	const char *e;

	for (;;) {
		e = memchr(s, sep, n);
		if (nf < max) {
			f[nf] = s;
			fl[nf] = e ? (size_t)(e - s) : n;
		}
		nf++;
		if (!e)
			return nf;
		n -= (size_t)(e - s) + 1;
		s = e + 1;
	}
}

/* Reports bad input lines, at most BAD_SHOW_MAX of them. */
struct bad_lines {
	unsigned long n;
};

static void bad_line(struct bad_lines *bl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
bad_line(struct bad_lines *bl, const char *fmt, ...)
{
	va_list ap;

	if (bl->n++ >= BAD_SHOW_MAX)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
bad_more(const struct bad_lines *bl)
{
	if (bl->n > BAD_SHOW_MAX)
		fprintf(stderr, "... and %lu more bad lines\n",
		    bl->n - BAD_SHOW_MAX);
}

static int
print_json(json_t *j)
{
	char *txt;

	if (!j)
		return ctl_fail("out of memory");
	txt = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	if (!txt)
		return ctl_fail("out of memory");
	printf("%s\n", txt);
	free(txt);
	return 0;
}

/* ---- numbering import-cnmc ----------------------------------------------------------- */

struct cnmc_in {
	const char *path;
	char *buf;
	size_t len;
};

struct cnmc_run {
	struct store *s; /* NULL: checking only */
	struct progress pg;
	size_t base; /* bytes of the files before this one */
	const struct cnmc_stats *st; /* of the file being parsed */
	uint64_t ranges;
	struct bad_lines bl;
	bool store_failed;
};

static void
cnmc_bad(const char *msg, void *arg)
{
	struct cnmc_run *run = arg;

	bad_line(&run->bl, "%s", msg);
}

static int
cnmc_row(const struct num_range *r, void *arg)
{
	struct cnmc_run *run = arg;
	int err;

	if (run->s && (err = store_import_range(run->s, r))) {
		run->store_failed = true;
		return err;
	}
	run->ranges++;
	progress_show(&run->pg, run->ranges, run->base + run->st->pos);
	return 0;
}

/* One pass over every file: check (s NULL) or write. */
static int
cnmc_pass(struct cnmc_in *in, int nin, const struct nopts *o,
    struct cnmc_run *run, uint64_t *rows, uint64_t *bad)
{
	struct cnmc_stats st;
	int i, rc, worst = 0;

	*rows = *bad = 0;
	run->base = 0;
	for (i = 0; i < nin; i++) {
		run->st = &st;
		rc = cnmc_parse(in[i].path, in[i].buf, in[i].len, o->enc,
		    cnmc_row, run->s ? NULL : cnmc_bad, run, &st);
		*rows += st.rows;
		*bad += st.bad;
		if (rc && rc != EBADMSG)
			return rc;
		if (rc)
			worst = rc;
		run->base += in[i].len;
	}
	return worst;
}

static int
do_import_cnmc(struct store *s, const struct nopts *o)
{
	struct cnmc_in in[NARGS_MAX];
	struct cnmc_run run;
	struct num_stats ns;
	char note[STORE_NOTE_MAX] = "";
	size_t total = 0, at = 0;
	uint64_t rows, bad, written = 0, nranges;
	int i, rc = 1;

	if (o->nargs < 1) {
		num_usage(stderr);
		return 2;
	}
	memset(in, 0, sizeof(in));
	for (i = 0; i < o->nargs; i++) {
		const char *base = strrchr(o->args[i], '/');

		in[i].path = o->args[i];
		if (!(in[i].buf = read_all(in[i].path, &in[i].len))) {
			ctl_fail("%s: %s", in[i].path, strerror(errno));
			goto out;
		}
		if (o->enc == CNMC_WINDOWS_1252 &&
		    cnmc_looks_utf8(in[i].buf, in[i].len))
			fprintf(stderr,
			    "centinelactl: warning: %s looks like UTF-8, read "
			    "as windows-1252 (--encoding utf-8?)\n",
			    in[i].path);
		total += in[i].len;
		base = base ? base + 1 : o->args[i];
		if (at + strlen(base) + 2 < sizeof(note))
			at += (size_t)snprintf(note + at, sizeof(note) - at,
			    "%s%s", at ? "," : "", base);
	}

	/* Pass 1: every row of every file, nothing written. */
	memset(&run, 0, sizeof(run));
	progress_init(&run.pg, "checked", total);
	rc = cnmc_pass(in, o->nargs, o, &run, &rows, &bad);
	progress_end(&run.pg);
	bad_more(&run.bl);
	nranges = run.ranges;
	if (rc && rc != EBADMSG) {
		rc = ctl_fail(
		    "cannot parse: %s; nothing imported", strerror(rc));
		goto out;
	}
	if (bad && !o->skip_bad) {
		rc = ctl_fail("%llu bad rows; nothing imported (fix them, or "
			      "--skip-bad to import the %llu good rows)",
		    (unsigned long long)bad, (unsigned long long)rows);
		goto out;
	}
	if (nranges == 0) {
		rc = ctl_fail("no ranges in the input; nothing imported");
		goto out;
	}
	if (store_num_stats(s, &ns)) {
		rc = ctl_fail("%s", store_errmsg(s));
		goto out;
	}
	if (ns.ranges > 0 && (int64_t)nranges < ns.ranges &&
	    (double)(ns.ranges - (int64_t)nranges) * 100.0 >
		(double)o->max_drop * (double)ns.ranges) {
		rc = ctl_fail("the new register has %llu ranges, %.1f%% fewer "
			      "than the %lld in force (more than --max-drop "
			      "%u%%); nothing imported",
		    (unsigned long long)nranges,
		    (double)(ns.ranges - (int64_t)nranges) * 100.0 /
			(double)ns.ranges,
		    (long long)ns.ranges, o->max_drop);
		goto out;
	}
	if (o->dry_run) {
		printf("would import %llu ranges from %llu rows (%llu bad rows "
		       "skipped); %lld ranges in force\n",
		    (unsigned long long)nranges, (unsigned long long)rows,
		    (unsigned long long)bad, (long long)ns.ranges);
		rc = 0;
		goto out;
	}

	/* Pass 2: the same rows into a new data set, in one transaction. */
	if (store_import_begin(s, STORE_NUM_RANGES, false, note)) {
		rc = ctl_fail("%s; nothing imported", store_errmsg(s));
		goto out;
	}
	memset(&run, 0, sizeof(run));
	run.s = s;
	progress_init(&run.pg, "imported", total);
	rc = cnmc_pass(in, o->nargs, o, &run, &rows, &bad);
	progress_end(&run.pg);
	if ((rc && rc != EBADMSG) || store_import_commit(s, &written)) {
		store_import_abort(s);
		rc = ctl_fail("%s; nothing imported, the data in force stays",
		    run.store_failed || !rc ? store_errmsg(s) : strerror(rc));
		goto out;
	}
	printf("imported %llu ranges from %llu rows of %d file%s",
	    (unsigned long long)written, (unsigned long long)rows, o->nargs,
	    o->nargs == 1 ? "" : "s");
	if (bad)
		printf(" (%llu bad rows skipped)", (unsigned long long)bad);
	printf("; %lld ranges were in force\n", (long long)ns.ranges);
	rc = 0;
out:
	for (i = 0; i < o->nargs; i++)
		free(in[i].buf);
	return rc;
}

/* ---- own inventory ------------------------------------------------------------------- */

static const char *const own_kinds[] = { "block", "subblock", "service",
	"ported_in", "ported_out", NULL };

/* One row of an own-inventory file; a message in why[] when bad. */
static int
own_parse(const char *s, size_t n, struct num_own *o, char *why, size_t cap)
{
	const char *f[3];
	size_t fl[3], nf, i;
	char digits[64];

	memset(o, 0, sizeof(*o));
	nf = split(s, n, ',', f, fl, 3);
	if (nf < 2) {
		snprintf(why, cap, "want KIND,DIGITS[,NOTE]");
		return EINVAL;
	}
	if (nf > 3) /* the note may hold commas */
		fl[2] = n - (size_t)(f[2] - s);
	if (!field(o->kind, sizeof(o->kind), f[0], fl[0]))
		o->kind[0] = '\0';
	for (i = 0; own_kinds[i]; i++)
		if (strcmp(o->kind, own_kinds[i]) == 0)
			break;
	if (!own_kinds[i]) {
		snprintf(why, cap,
		    "kind \"%.*s\" is not block, subblock, service, "
		    "ported_in or ported_out",
		    (int)(fl[0] > 20 ? 20 : fl[0]), f[0]);
		return EINVAL;
	}
	if (!field(digits, sizeof(digits), f[1], fl[1]) ||
	    norm_digits(digits, false, o->digits, sizeof(o->digits), NULL)) {
		snprintf(why, cap, "\"%.*s\" is not a telephone number",
		    (int)(fl[1] > 30 ? 30 : fl[1]), f[1]);
		return EINVAL;
	}
	if (nf >= 3 &&
	    (!field(o->note, sizeof(o->note), f[2], fl[2]) ||
		!utf8_ok(o->note))) {
		snprintf(why, cap, "note longer than %d bytes or not UTF-8",
		    STORE_NOTE_MAX - 1);
		return EINVAL;
	}
	return 0;
}

/* (digits, kind) of a row and its line, to find repeats. */
struct own_key {
	char digits[STORE_DIGITS_MAX];
	uint8_t kind;
	unsigned long line;
};

static int
cmp_own_key(const void *x, const void *y)
{
	const struct own_key *a = x, *b = y;
	int c = strcmp(a->digits, b->digits);

	if (c)
		return c;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

static int
do_own_import(struct store *s, const struct nopts *o)
{
	struct own_key *keys = NULL, *nk;
	size_t nkeys = 0, cap = 0, len, i, n;
	uint64_t nrow;
	struct bad_lines bl = { 0 };
	struct progress pg;
	struct lines it;
	struct num_own row;
	uint64_t written = 0;
	const char *path, *line;
	char why[160], *buf;
	int rc = 1;

	if (o->nargs != 1) {
		num_usage(stderr);
		return 2;
	}
	path = o->args[0];
	if (!(buf = read_all(path, &len)))
		return ctl_fail("%s: %s", path, strerror(errno));
	/* Pass 1: every line checked, repeats found. */
	it = (struct lines){ buf, buf + len, 0 };
	progress_init(&pg, "checked", len);
	while (next_line(&it, &line, &n)) {
		if (skip_line(line, n))
			continue;
		if (own_parse(line, n, &row, why, sizeof(why))) {
			bad_line(&bl, "%s:%lu: %s", path, it.lineno, why);
			continue;
		}
		if (nkeys == cap) {
			cap = cap ? cap * 2 : 4096;
			if (!(nk = realloc(keys, cap * sizeof(*keys)))) {
				rc = ctl_fail("out of memory");
				goto out;
			}
			keys = nk;
		}
		memcpy(keys[nkeys].digits, row.digits, sizeof(row.digits));
		for (i = 0; own_kinds[i]; i++)
			if (strcmp(row.kind, own_kinds[i]) == 0)
				keys[nkeys].kind = (uint8_t)i;
		keys[nkeys++].line = it.lineno;
		progress_show(&pg, nkeys, (size_t)(it.p - buf));
	}
	progress_end(&pg);
	qsort(keys, nkeys, sizeof(*keys), cmp_own_key);
	for (i = 1; i < nkeys; i++)
		if (strcmp(keys[i].digits, keys[i - 1].digits) == 0 &&
		    keys[i].kind == keys[i - 1].kind)
			bad_line(&bl, "%s:%lu: %s %s repeats line %lu", path,
			    keys[i].line, own_kinds[keys[i].kind],
			    keys[i].digits, keys[i - 1].line);
	bad_more(&bl);
	if (bl.n) {
		rc =
		    ctl_fail("%s: %lu bad lines; nothing imported", path, bl.n);
		goto out;
	}
	/* Pass 2: write. */
	if (store_import_begin(s, STORE_NUM_OWN, o->replace, NULL)) {
		rc = ctl_fail("%s; nothing imported", store_errmsg(s));
		goto out;
	}
	it = (struct lines){ buf, buf + len, 0 };
	progress_init(&pg, "imported", len);
	nrow = 0;
	while (next_line(&it, &line, &n)) {
		if (skip_line(line, n))
			continue;
		if (own_parse(line, n, &row, why, sizeof(why)) ||
		    store_import_own(s, &row)) {
			progress_end(&pg);
			store_import_abort(s);
			rc = ctl_fail("%s:%lu: %s; nothing imported", path,
			    it.lineno, store_errmsg(s));
			goto out;
		}
		progress_show(&pg, ++nrow, (size_t)(it.p - buf));
	}
	progress_end(&pg);
	if (store_import_commit(s, &written)) {
		rc = ctl_fail("%s; nothing imported", store_errmsg(s));
		goto out;
	}
	printf("imported %llu own numbering entries%s\n",
	    (unsigned long long)written,
	    o->replace ? " (replacing the previous ones)" : "");
	rc = 0;
out:
	free(keys);
	free(buf);
	return rc;
}

static int
own_print(const struct num_own *r, void *arg)
{
	json_t *arr = arg;

	if (arr)
		return json_array_append_new(arr,
			   json_pack("{s:s, s:s, s:s}", "digits", r->digits,
			       "kind", r->kind, "note", r->note)) ?
		    ENOMEM :
		    0;
	printf("%-16s %-11s %s\n", r->digits, r->kind, r->note);
	return 0;
}

/* ---- exceptions ------------------------------------------------------------------ */

static json_t *
exc_json(const struct num_exception *e, int64_t now)
{
	return json_pack("{s:I, s:s, s:b, s:s, s:I, s:I, s:s, s:s, s:b}", "id",
	    (json_int_t)e->id, "digits", e->digits, "prefix", e->prefix != 0,
	    "trunk", e->trunk, "valid_from", (json_int_t)e->valid_from,
	    "valid_to", (json_int_t)e->valid_to, "ref", e->ref, "rules",
	    e->rules, "in_force",
	    now >= e->valid_from && (!e->valid_to || now < e->valid_to));
}

static void
exc_text(const struct num_exception *e, int64_t now)
{
	char from[32], to[32], digits[STORE_DIGITS_MAX + 1];

	fmt_time(e->valid_from, from, sizeof(from));
	if (e->valid_to)
		fmt_time(e->valid_to, to, sizeof(to));
	else
		snprintf(to, sizeof(to), "-");
	snprintf(
	    digits, sizeof(digits), "%s%s", e->digits, e->prefix ? "*" : "");
	printf("%-6lld %-16s %-16s %-10s %-10s %-8s %-24s %s\n",
	    (long long)e->id, digits, e->trunk[0] ? e->trunk : "(any)", from,
	    to,
	    now >= e->valid_from && (!e->valid_to || now < e->valid_to) ?
		"in force" :
		"not now",
	    e->rules[0] ? e->rules : "(all)", e->ref);
}

struct exc_walk {
	json_t *arr;
	int64_t now;
	/* del: the ids that match */
	const char *digits;
	bool prefix;
	const char *trunk;
	int64_t ids[1024];
	size_t nids;
	/* lookup: entries that cover a number */
	const char *number;
};

static int
exc_print(const struct num_exception *e, void *arg)
{
	struct exc_walk *w = arg;

	if (w->arr)
		return json_array_append_new(w->arr, exc_json(e, w->now)) ?
		    ENOMEM :
		    0;
	exc_text(e, w->now);
	return 0;
}

static int
exc_match(const struct num_exception *e, void *arg)
{
	struct exc_walk *w = arg;

	if (strcmp(e->digits, w->digits) != 0 || (e->prefix != 0) != w->prefix)
		return 0;
	if (w->trunk && strcmp(e->trunk, w->trunk) != 0)
		return 0;
	if (w->nids == sizeof(w->ids) / sizeof(w->ids[0]))
		return E2BIG;
	w->ids[w->nids++] = e->id;
	return 0;
}

static int
do_exception(struct store *s, const char *op, const struct nopts *o)
{
	struct num_exception e;
	struct exc_walk w;
	bool star = false;
	size_t i;
	int rc;

	memset(&w, 0, sizeof(w));
	w.now = (int64_t)time(NULL);
	if (strcmp(op, "list") == 0) {
		if (o->nargs) {
			num_usage(stderr);
			return 2;
		}
		if (o->json)
			w.arr = json_array();
		else
			printf("%-6s %-16s %-16s %-10s %-10s %-8s %-24s %s\n",
			    "ID", "DIGITS", "TRUNK", "FROM", "TO", "NOW",
			    "RULES", "REF");
		if (store_num_exception_each(s, exc_print, &w)) {
			json_decref(w.arr);
			return ctl_fail("%s", store_errmsg(s));
		}
		return w.arr ? print_json(w.arr) : 0;
	}
	if (strcmp(op, "del") == 0 && o->has_id) {
		if (o->nargs) {
			num_usage(stderr);
			return 2;
		}
		rc = store_num_exception_del(s, o->id);
		if (rc == ENOENT)
			return ctl_fail("no exception %lld", (long long)o->id);
		if (rc)
			return ctl_fail("%s", store_errmsg(s));
		printf("deleted exception %lld\n", (long long)o->id);
		return 0;
	}
	if (o->nargs != 1 || (strcmp(op, "add") && strcmp(op, "del"))) {
		num_usage(stderr);
		return 2;
	}
	memset(&e, 0, sizeof(e));
	if (norm_digits(o->args[0], true, e.digits, sizeof(e.digits), &star)) {
		ctl_fail("\"%s\" is not a telephone number or prefix (N*)",
		    o->args[0]);
		return 2;
	}
	e.prefix = star || o->prefix;
	if (strcmp(op, "del") == 0) {
		w.digits = e.digits;
		w.prefix = e.prefix;
		w.trunk = o->trunk;
		if ((rc = store_num_exception_each(s, exc_match, &w)))
			return ctl_fail("%s",
			    rc == E2BIG ?
				"too many matching exceptions: use --id" :
				store_errmsg(s));
		if (!w.nids)
			return ctl_fail("no exception for %s%s%s%s", e.digits,
			    e.prefix ? "*" : "", o->trunk ? " on trunk " : "",
			    o->trunk ? o->trunk : "");
		if (store_begin(s))
			return ctl_fail("%s", store_errmsg(s));
		for (i = 0; i < w.nids; i++)
			if (store_num_exception_del(s, w.ids[i])) {
				store_rollback(s);
				return ctl_fail(
				    "%s; nothing deleted", store_errmsg(s));
			}
		if (store_commit(s))
			return ctl_fail("%s; nothing deleted", store_errmsg(s));
		printf("deleted %zu exception%s\n", w.nids,
		    w.nids == 1 ? "" : "s");
		return 0;
	}
	/* add */
	if (o->rules && !rules_ok(o->rules)) {
		ctl_fail("--rules: \"%s\" is not a comma-separated list of "
			 "rule codes",
		    o->rules);
		return 2;
	}
	snprintf(e.trunk, sizeof(e.trunk), "%s", o->trunk ? o->trunk : "");
	snprintf(e.ref, sizeof(e.ref), "%s", o->ref ? o->ref : "");
	snprintf(e.rules, sizeof(e.rules), "%s", o->rules ? o->rules : "");
	e.valid_from = o->has_from ? o->from : 0;
	e.valid_to = o->has_to ? o->to : 0;
	if (e.valid_to && e.valid_to <= e.valid_from) {
		ctl_fail("--to must be after --from");
		return 2;
	}
	if (store_num_exception_add(s, &e))
		return ctl_fail("%s", store_errmsg(s));
	printf("added exception %lld: %s%s\n", (long long)e.id, e.digits,
	    e.prefix ? "*" : "");
	return 0;
}

/* ---- aliases ------------------------------------------------------------------------ */

/* ALIAS;PRO,PRO[;FROM[;TO]] into "a"; a message in why[] when bad. */
static int
alias_parse(const char *s, size_t n, struct sms_alias *a, char *why, size_t cap)
{
	const char *f[5], *p;
	size_t fl[5], nf;
	char t[64];
	bool item = false;

	memset(a, 0, sizeof(*a));
	nf = split(s, n, ';', f, fl, 5);
	if (nf < 2 || nf > 4) {
		snprintf(
		    why, cap, "%zu fields, want ALIAS;PRO,PRO[;FROM;TO]", nf);
		return EINVAL;
	}
	if (!field(a->alias, sizeof(a->alias), f[0], fl[0]) || !a->alias[0] ||
	    !utf8_ok(a->alias)) {
		snprintf(why, cap,
		    "alias empty, longer than %d bytes or not "
		    "UTF-8",
		    STORE_ALIAS_MAX - 1);
		return EINVAL;
	}
	if (!field(a->pros, sizeof(a->pros), f[1], fl[1]) ||
	    !utf8_ok(a->pros)) {
		snprintf(why, cap,
		    "origin providers longer than %d bytes or "
		    "not UTF-8",
		    STORE_PROS_MAX - 1);
		return EINVAL;
	}
	for (p = a->pros; *p; p++) {
		if (*p == ',') {
			if (!item)
				break;
			item = false;
		} else if (*p != ' ')
			item = true;
	}
	if (*p || !item) {
		snprintf(why, cap,
		    "origin providers \"%.60s\": want PRO[,PRO...]", a->pros);
		return EINVAL;
	}
	if (nf >= 3 && field(t, sizeof(t), f[2], fl[2]) && t[0] &&
	    parse_when(t, &a->valid_from)) {
		snprintf(why, cap, "from \"%s\" is not a date", t);
		return EINVAL;
	}
	if (nf >= 4 && field(t, sizeof(t), f[3], fl[3]) && t[0] &&
	    parse_when(t, &a->valid_to)) {
		snprintf(why, cap, "to \"%s\" is not a date", t);
		return EINVAL;
	}
	if (a->valid_to && a->valid_to <= a->valid_from) {
		snprintf(why, cap, "to is not after from");
		return EINVAL;
	}
	return 0;
}

struct alias_row {
	struct sms_alias a;
	unsigned long line;
};

static int
cmp_alias_row(const void *x, const void *y)
{
	const struct alias_row *a = x, *b = y;
	int c = strcmp(a->a.alias, b->a.alias);

	if (c)
		return c;
	return a->line < b->line ? -1 : a->line > b->line;
}

static int
do_alias_import(struct store *s, const struct nopts *o)
{
	struct alias_row *rows = NULL, *nr;
	size_t nrows = 0, cap = 0, len, i, n;
	struct bad_lines bl = { 0 };
	struct lines it;
	struct sms_alias a;
	uint64_t written = 0;
	const char *path, *line;
	char why[160], *buf;
	int rc = 1;

	if (o->nargs != 1) {
		num_usage(stderr);
		return 2;
	}
	path = o->args[0];
	if (!(buf = read_all(path, &len)))
		return ctl_fail("%s: %s", path, strerror(errno));
	it = (struct lines){ buf, buf + len, 0 };
	while (next_line(&it, &line, &n)) {
		if (skip_line(line, n))
			continue;
		if (alias_parse(line, n, &a, why, sizeof(why))) {
			bad_line(&bl, "%s:%lu: %s", path, it.lineno, why);
			continue;
		}
		if (nrows == cap) {
			cap = cap ? cap * 2 : 256;
			if (!(nr = realloc(rows, cap * sizeof(*rows)))) {
				rc = ctl_fail("out of memory");
				goto out;
			}
			rows = nr;
		}
		rows[nrows].a = a;
		rows[nrows++].line = it.lineno;
	}
	qsort(rows, nrows, sizeof(*rows), cmp_alias_row);
	for (i = 1; i < nrows; i++)
		if (strcmp(rows[i].a.alias, rows[i - 1].a.alias) == 0)
			bad_line(&bl, "%s:%lu: alias \"%s\" repeats line %lu",
			    path, rows[i].line, rows[i].a.alias,
			    rows[i - 1].line);
	bad_more(&bl);
	if (bl.n) {
		rc =
		    ctl_fail("%s: %lu bad lines; nothing imported", path, bl.n);
		goto out;
	}
	if (store_import_begin(s, STORE_NUM_ALIASES, o->replace, NULL)) {
		rc = ctl_fail("%s; nothing imported", store_errmsg(s));
		goto out;
	}
	for (i = 0; i < nrows; i++)
		if (store_import_alias(s, &rows[i].a)) {
			store_import_abort(s);
			rc = ctl_fail("%s:%lu: %s; nothing imported", path,
			    rows[i].line, store_errmsg(s));
			goto out;
		}
	if (store_import_commit(s, &written)) {
		rc = ctl_fail("%s; nothing imported", store_errmsg(s));
		goto out;
	}
	printf("imported %llu SMS aliases%s\n", (unsigned long long)written,
	    o->replace ? " (replacing the previous ones)" : "");
	rc = 0;
out:
	free(rows);
	free(buf);
	return rc;
}

static int
alias_print(const struct sms_alias *a, void *arg)
{
	json_t *arr = arg;
	char from[32], to[32];

	if (arr)
		return json_array_append_new(arr,
			   json_pack("{s:s, s:s, s:I, s:I}", "alias", a->alias,
			       "pros", a->pros, "valid_from",
			       (json_int_t)a->valid_from, "valid_to",
			       (json_int_t)a->valid_to)) ?
		    ENOMEM :
		    0;
	fmt_time(a->valid_from, from, sizeof(from));
	if (a->valid_to)
		fmt_time(a->valid_to, to, sizeof(to));
	else
		snprintf(to, sizeof(to), "-");
	printf("%-24s %-10s %-10s %s\n", a->alias, from, to, a->pros);
	return 0;
}

/* ---- Lista Robinson ---------------------------------------------------------------------- */

static int
cmp_hash(const void *x, const void *y)
{
	return memcmp(x, y, 64);
}

/* The Robinson hash of E.164 "digits" for "channel" ("03", "04"). */
static void
robinson_of(const char *digits, const char *channel, char out[65])
{
	struct number n;

	memset(&n, 0, sizeof(n));
	snprintf(n.e164, sizeof(n.e164), "%s", digits);
	number_robinson_hash(&n, channel, out);
}

static int
do_robinson_import(struct store *s, const struct nopts *o)
{
	char(*h)[64] = NULL, (*nh)[64];
	size_t nh_ = 0, cap = 0, len, n, i, w = 0;
	struct bad_lines bl = { 0 };
	struct progress pg;
	struct lines it;
	uint64_t written = 0;
	const char *path, *line;
	char tok[80], digits[STORE_DIGITS_MAX], hex[2][65], *buf;
	int rc = 1, k, nhex;

	if (o->nargs != 1) {
		num_usage(stderr);
		return 2;
	}
	path = o->args[0];
	if (!(buf = read_all(path, &len)))
		return ctl_fail("%s: %s", path, strerror(errno));
	it = (struct lines){ buf, buf + len, 0 };
	progress_init(&pg, "checked", len);
	while (next_line(&it, &line, &n)) {
		if (skip_line(line, n))
			continue;
		if (!field(tok, sizeof(tok), line, n)) {
			bad_line(&bl, "%s:%lu: line too long", path, it.lineno);
			continue;
		}
		nhex = 0;
		if (strlen(tok) == 64 &&
		    strspn(tok, "0123456789abcdefABCDEF") == 64) {
			for (i = 0; i < 64; i++)
				hex[0][i] =
				    (char)(tok[i] >= 'A' && tok[i] <= 'F' ?
					    tok[i] - 'A' + 'a' :
					    tok[i]);
			hex[0][64] = '\0';
			nhex = 1;
		} else if (norm_digits_how(tok, false, true, digits,
			       sizeof(digits), NULL) == 0) {
			/* Adigital's rule: a bare number is Spanish. */
			robinson_of(digits, "04", hex[0]);
			robinson_of(digits, "03", hex[1]);
			nhex = 2;
		} else {
			bad_line(&bl,
			    "%s:%lu: \"%.30s\" is neither a SHA-256 "
			    "hash (64 hex digits) nor a telephone number",
			    path, it.lineno, tok);
			continue;
		}
		for (k = 0; k < nhex; k++) {
			if (nh_ == cap) {
				cap = cap ? cap * 2 : 4096;
				if (!(nh = realloc(h, cap * sizeof(*h)))) {
					rc = ctl_fail("out of memory");
					goto out;
				}
				h = nh;
			}
			memcpy(h[nh_++], hex[k], 64);
		}
		progress_show(&pg, nh_, (size_t)(it.p - buf));
	}
	progress_end(&pg);
	bad_more(&bl);
	if (bl.n) {
		rc =
		    ctl_fail("%s: %lu bad lines; nothing imported", path, bl.n);
		goto out;
	}
	/* The same number twice is no error: one copy of each hash. */
	qsort(h, nh_, sizeof(*h), cmp_hash);
	for (i = 0; i < nh_; i++)
		if (!w || memcmp(h[i], h[w - 1], 64))
			memmove(h[w++], h[i], 64);
	if (store_import_begin(s, STORE_NUM_ROBINSON, o->replace, NULL)) {
		rc = ctl_fail("%s; nothing imported", store_errmsg(s));
		goto out;
	}
	progress_init(&pg, "imported", w);
	for (i = 0; i < w; i++) {
		memcpy(hex[0], h[i], 64);
		hex[0][64] = '\0';
		if (store_import_robinson(s, hex[0])) {
			progress_end(&pg);
			store_import_abort(s);
			rc = ctl_fail("%s; nothing imported", store_errmsg(s));
			goto out;
		}
		progress_show(&pg, i + 1, i + 1);
	}
	progress_end(&pg);
	if (store_import_commit(s, &written)) {
		rc = ctl_fail("%s; nothing imported", store_errmsg(s));
		goto out;
	}
	printf("imported %llu Robinson hashes%s\n", (unsigned long long)written,
	    o->replace ? " (replacing the previous ones)" : "");
	rc = 0;
out:
	free(h);
	free(buf);
	return rc;
}

/* ---- lookup and stats ------------------------------------------------------------------ */

static int
exc_cover(const struct num_exception *e, void *arg)
{
	struct exc_walk *w = arg;
	size_t n = strlen(e->digits);

	if (e->prefix ? strncmp(w->number, e->digits, n) != 0 :
			strcmp(w->number, e->digits) != 0)
		return 0;
	if (w->arr)
		return json_array_append_new(w->arr, exc_json(e, w->now)) ?
		    ENOMEM :
		    0;
	printf("  ");
	exc_text(e, w->now);
	return 0;
}

static int
do_lookup(struct store *s, const struct nopts *o)
{
	static const struct {
		unsigned flag;
		const char *name;
	} own_names[] = {
		{ NUMDB_OWN_BLOCK, "block" },
		{ NUMDB_OWN_SUBBLOCK, "subblock" },
		{ NUMDB_OWN_SERVICE, "service" },
		{ NUMDB_OWN_PORTED_IN, "ported_in" },
		{ NUMDB_OWN_PORTED_OUT, "ported_out" },
	};
	char digits[STORE_DIGITS_MAX], err[NUMDB_ERR_MAX], date[32];
	char hcall[65], hsms[65];
	const struct numdb_exception *x = NULL;
	struct numdb_cnmc_res res;
	struct numdb *db = NULL;
	struct exc_walk w;
	json_t *j = NULL, *arr;
	bool found, rcall, rsms;
	unsigned own, i;
	int64_t now = o->has_at ? o->at : (int64_t)time(NULL);
	struct str num;

	if (o->nargs != 1) {
		num_usage(stderr);
		return 2;
	}
	if (norm_digits(o->args[0], false, digits, sizeof(digits), NULL)) {
		ctl_fail("\"%s\" is not a telephone number", o->args[0]);
		return 2;
	}
	if (numdb_build_from_store(s, &db, err, sizeof(err)))
		return ctl_fail("%s", err);
	num = str_make(digits, strlen(digits));
	found = numdb_cnmc(db, num, &res);
	own = numdb_own(db, num);
	if (o->trunk || o->rule)
		x = numdb_exception(db, num,
		    o->trunk ? str_make(o->trunk, strlen(o->trunk)) : STR(""),
		    o->rule ? str_make(o->rule, strlen(o->rule)) : STR(""),
		    now);
	robinson_of(digits, "04", hcall);
	robinson_of(digits, "03", hsms);
	rcall = numdb_robinson_hex(db, str_make(hcall, 64));
	rsms = numdb_robinson_hex(db, str_make(hsms, 64));
	memset(&w, 0, sizeof(w));
	w.now = now;
	w.number = digits;

	if (o->json) {
		json_t *reg = json_null(), *holders;

		if (found) {
			holders = json_array();
			for (i = 0; i < res.nholders; i++) {
				const char *hname =
				    numdb_cnmc_holder(db, &res, i);

				if (hname)
					json_array_append_new(
					    holders, json_string(hname));
			}
			fmt_time(res.assigned, date, sizeof(date));
			reg = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
					"s:o}",
			    "status", numdb_status_name(res.status), "prefix",
			    res.prefix, "holder", res.holder, "assignee",
			    res.assignee, "sub_assignee", res.sub_assignee,
			    "area", res.area, "assigned", date, "holders",
			    holders);
		}
		arr = json_array();
		for (i = 0; i < sizeof(own_names) / sizeof(own_names[0]); i++)
			if (own & own_names[i].flag)
				json_array_append_new(
				    arr, json_string(own_names[i].name));
		w.arr = json_array();
		j = json_pack("{s:s, s:o, s:o, s:o, s:{s:b, s:b}}", "number",
		    digits, "register", reg, "own", arr, "exceptions", w.arr,
		    "robinson", "call", rcall, "sms", rsms);
		if (j && (o->trunk || o->rule))
			json_object_set_new(j, "exception_applies",
			    x ? json_integer((json_int_t)x->id) : json_null());
	} else {
		printf("number %s\n", digits);
		if (found) {
			fmt_time(res.assigned, date, sizeof(date));
			printf("register: %s, range %s, %s (since %s%s%s)\n",
			    numdb_status_name(res.status), res.prefix,
			    res.holder, date, res.area[0] ? ", " : "",
			    res.area);
			if (res.status == NUMDB_SUBASIGNADO)
				printf("  sub-assigned to %s by %s\n",
				    res.sub_assignee,
				    res.assignee[0] ? res.assignee :
						      "(no enclosing range)");
			for (i = 1; i < res.nholders; i++)
				printf("  shared with %s\n",
				    numdb_cnmc_holder(db, &res, i));
		} else {
			printf("register: not in any assigned range\n");
		}
		printf("own:");
		for (i = 0; i < sizeof(own_names) / sizeof(own_names[0]); i++)
			if (own & own_names[i].flag)
				printf(" %s", own_names[i].name);
		printf("%s\n", own ? "" : " -");
		printf("exceptions covering it:\n");
	}
	if (store_num_exception_each(s, exc_cover, &w)) {
		json_decref(j);
		numdb_unref(db);
		return ctl_fail("%s", store_errmsg(s));
	}
	numdb_unref(db);
	if (o->json)
		return print_json(j);
	if (o->trunk || o->rule)
		printf("exception for trunk \"%s\", rule \"%s\": %s\n",
		    o->trunk ? o->trunk : "", o->rule ? o->rule : "",
		    x ? "yes" : "none in force");
	printf("robinson: calls %s, sms %s\n", rcall ? "listed" : "no",
	    rsms ? "listed" : "no");
	return 0;
}

static int
do_stats(struct store *s, const struct nopts *o)
{
	struct num_stats st;
	char when[32] = "-";

	if (store_num_stats(s, &st))
		return ctl_fail("%s", store_errmsg(s));
	if (st.dataset.id)
		fmt_time(st.dataset.created, when, sizeof(when));
	if (o->json)
		return print_json(json_pack(
		    "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, "
		    "s:s}}",
		    "ranges", (json_int_t)st.ranges, "own", (json_int_t)st.own,
		    "exceptions", (json_int_t)st.exceptions, "aliases",
		    (json_int_t)st.aliases, "robinson", (json_int_t)st.robinson,
		    "cid_blocks", (json_int_t)st.cid_blocks, "generation",
		    (json_int_t)st.generation, "dataset", "id",
		    (json_int_t)st.dataset.id, "created",
		    (json_int_t)st.dataset.created, "rows",
		    (json_int_t)st.dataset.nrows, "note", st.dataset.note));
	printf("register ranges      %lld", (long long)st.ranges);
	if (st.dataset.id)
		printf(" (data set %lld, imported %s, from %s)\n",
		    (long long)st.dataset.id, when,
		    st.dataset.note[0] ? st.dataset.note : "-");
	else
		printf(" (no register imported)\n");
	printf("own entries          %lld\n", (long long)st.own);
	printf("exceptions           %lld\n", (long long)st.exceptions);
	printf("sms aliases          %lld\n", (long long)st.aliases);
	printf("robinson hashes      %lld\n", (long long)st.robinson);
	printf("blocking counters    %lld\n", (long long)st.cid_blocks);
	printf("numbering generation %lld\n", (long long)st.generation);
	return 0;
}

/* ---- the commands ------------------------------------------------------------------------ */

enum num_cmd {
	CMD_NUMBERING,
	CMD_ALIAS,
	CMD_ROBINSON
};

static int
run(struct store *s, enum num_cmd cmd, const char *sub, struct nopts *o)
{
	const char *op;
	json_t *arr;

	switch (cmd) {
	case CMD_ALIAS:
		if (strcmp(sub, "import") == 0)
			return do_alias_import(s, o);
		if (o->nargs) {
			num_usage(stderr);
			return 2;
		}
		arr = o->json ? json_array() : NULL;
		if (!o->json)
			printf("%-24s %-10s %-10s %s\n", "ALIAS", "FROM", "TO",
			    "ORIGIN PROVIDERS");
		if (store_sms_alias_each(s, alias_print, arr)) {
			json_decref(arr);
			return ctl_fail("%s", store_errmsg(s));
		}
		return arr ? print_json(arr) : 0;
	case CMD_ROBINSON:
		return do_robinson_import(s, o);
	case CMD_NUMBERING:
		break;
	}
	if (strcmp(sub, "import-cnmc") == 0)
		return do_import_cnmc(s, o);
	if (strcmp(sub, "lookup") == 0)
		return do_lookup(s, o);
	if (strcmp(sub, "stats") == 0) {
		if (o->nargs) {
			num_usage(stderr);
			return 2;
		}
		return do_stats(s, o);
	}
	/* own OP ..., exception OP ...: the operation is the first word. */
	if (o->nargs < 1) {
		num_usage(stderr);
		return 2;
	}
	op = o->args[0];
	memmove(
	    o->args, o->args + 1, (size_t)(o->nargs - 1) * sizeof(o->args[0]));
	o->nargs--;
	if (strcmp(sub, "own") == 0) {
		if (strcmp(op, "import") == 0)
			return do_own_import(s, o);
		if (strcmp(op, "list") == 0 && !o->nargs) {
			arr = o->json ? json_array() : NULL;
			if (!o->json)
				printf("%-16s %-11s %s\n", "DIGITS", "KIND",
				    "NOTE");
			if (store_num_own_each(s, own_print, arr)) {
				json_decref(arr);
				return ctl_fail("%s", store_errmsg(s));
			}
			return arr ? print_json(arr) : 0;
		}
	} else if (strcmp(sub, "exception") == 0) {
		if (strcmp(op, "add") == 0 || strcmp(op, "del") == 0 ||
		    strcmp(op, "list") == 0)
			return do_exception(s, op, o);
	}
	num_usage(stderr);
	return 2;
}

/* Checked before the store is opened: a usage error touches nothing. */
static bool
sub_known(enum num_cmd cmd, const char *sub)
{
	static const char *const numbering[] = { "import-cnmc", "own",
		"exception", "lookup", "stats", NULL };
	static const char *const alias[] = { "import", "list", NULL };
	static const char *const robinson[] = { "import", NULL };
	const char *const *w = cmd == CMD_NUMBERING ? numbering :
	    cmd == CMD_ALIAS			    ? alias :
						      robinson;

	for (; *w; w++)
		if (strcmp(*w, sub) == 0)
			return true;
	return false;
}

static int
ctl_num_cmd(int argc, char **argv, enum num_cmd cmd)
{
	static const char *const names[] = { "numbering", "alias", "robinson" };
	struct nopts o;
	struct cfg *cfg = NULL;
	struct store *s = NULL;
	const char *sub;
	char err[256];
	int i, rc;

	memset(&o, 0, sizeof(o));
	o.max_drop = MAX_DROP_DEFAULT;
	o.enc = CNMC_WINDOWS_1252;
	if (!(i = ctl_head(argc, argv, &o.conf, &o.store, &sub))) {
		num_usage(stderr);
		return 2;
	}
	if (!sub_known(cmd, sub)) {
		fprintf(stderr, "centinelactl: %s: unknown command \"%s\"\n",
		    names[cmd], sub);
		num_usage(stderr);
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
	rc = run(s, cmd, sub, &o);
	store_close(s);
	cfg_free(cfg);
	return rc;
}

int
ctl_numbering(int argc, char **argv)
{
	return ctl_num_cmd(argc, argv, CMD_NUMBERING);
}

int
ctl_alias(int argc, char **argv)
{
	return ctl_num_cmd(argc, argv, CMD_ALIAS);
}

int
ctl_robinson(int argc, char **argv)
{
	return ctl_num_cmd(argc, argv, CMD_ROBINSON);
}

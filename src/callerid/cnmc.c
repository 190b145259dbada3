/*
 * callerid/cnmc.c -- the CNMC numbering register files into register
 * ranges (see cnmc.h for the format). Pure: no file, no store, no
 * clock; the caller reads the file and decides what to keep.
 *
 * Each line is converted to UTF-8 with iconv(3) first (windows-1252
 * has no multi-byte characters and '#' is ASCII in every encoding we
 * read, so splitting after the conversion is safe), then split and
 * checked field by field. A byte the encoding does not define (0x81 in
 * windows-1252) makes the row bad, it never crashes the parse.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "callerid/cnmc.h"

#define NFIELDS 6
#define NXY_MIN 2
#define NXY_MAX 4
#define BLOCK_MAX 4
#define SUB_DIGITS_MAX 3
#define SUBS_MAX 100 /* sub-blocks on one line */
#define YEAR_MIN 1900
#define YEAR_MAX 2199
#define CC "34" /* the register is Spain's */

static const struct {
	const char *name;
	const char *alias;
	const char *iconv; /* glibc's name */
} encodings[] = {
	[CNMC_WINDOWS_1252] = { "windows-1252", "cp1252", "WINDOWS-1252" },
	[CNMC_ISO_8859_15] = { "iso-8859-15", "latin9", "ISO-8859-15" },
	[CNMC_UTF8] = { "utf-8", "utf8", "UTF-8" },
};

#define NENC (sizeof(encodings) / sizeof(encodings[0]))

/*
 * Parse an encoding name (case-insensitive). Returns 0 or EINVAL
 * (*enc untouched).
 */
int
cnmc_encoding_parse(const char *name, enum cnmc_encoding *enc)
{
	size_t i;

	if (!name || !enc)
		return EINVAL;
	for (i = 0; i < NENC; i++)
		if (strcasecmp(name, encodings[i].name) == 0 ||
		    strcasecmp(name, encodings[i].alias) == 0) {
			*enc = (enum cnmc_encoding)i;
			return 0;
		}
	return EINVAL;
}

/* The canonical name of "enc" ("windows-1252"); "?" when unknown. */
const char *
cnmc_encoding_name(enum cnmc_encoding enc)
{
	return (size_t)enc < NENC ? encodings[enc].name : "?";
}

/* One parse: where we are and whom we tell. */
struct parse {
	const char *base; /* the file's base name */
	uint64_t lineno;
	enum cnmc_encoding enc;
	iconv_t cd;
	cnmc_range_h *range;
	cnmc_bad_h *bad;
	void *arg;
	struct cnmc_stats *st;
};

/* Report the current line as bad. Always returns EBADMSG. */
static int bad_row(struct parse *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
bad_row(struct parse *ps, const char *fmt, ...)
{
	char msg[CNMC_MSG_MAX];
	va_list ap;
	int n;

	ps->st->bad++;
	if (!ps->bad)
		return EBADMSG;
	n = snprintf(msg, sizeof(msg), "%s:%llu: ", ps->base,
	    (unsigned long long)ps->lineno);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	ps->bad(msg, ps->arg);
	return EBADMSG;
}

/* ---- fields ------------------------------------------------------------------ */

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Trim blanks from both ends of [*p, *p + *n). */
static void
trim(const char **p, size_t *n)
{
	while (*n && is_blank(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n && is_blank((*p)[*n - 1]))
		(*n)--;
}

static bool
all_digits(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/* The value of digits p[0 .. n - 1] (n <= 4). */
static int
digits_value(const char *p, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v * 10 + (p[i] - '0');
	return v;
}

/*
 * "dd/mm/yyyy" (day and month of one or two digits) into unix seconds
 * of 00:00 UTC; a date that does not exist (31/02) is refused: timegm
 * would move it, and the round trip shows it. Returns 0 or EINVAL.
 */
static int
parse_date(const char *p, size_t n, int64_t *out)
{
	size_t i, part = 0, len[3] = { 0, 0, 0 };
	const char *start[3] = { p, NULL, NULL };
	struct tm tm, back;
	time_t t;
	int d, m, y;

	for (i = 0; i < n; i++) {
		if (p[i] == '/') {
			if (++part > 2)
				return EINVAL;
			start[part] = p + i + 1;
		} else if (p[i] >= '0' && p[i] <= '9') {
			len[part]++;
		} else {
			return EINVAL;
		}
	}
	if (part != 2 || len[0] < 1 || len[0] > 2 || len[1] < 1 || len[1] > 2 ||
	    len[2] != 4)
		return EINVAL;
	d = digits_value(start[0], len[0]);
	m = digits_value(start[1], len[1]);
	y = digits_value(start[2], len[2]);
	if (y < YEAR_MIN || y > YEAR_MAX || m < 1 || m > 12 || d < 1)
		return EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = d;
	tm.tm_mon = m - 1;
	tm.tm_year = y - 1900;
	t = timegm(&tm);
	if (!gmtime_r(&t, &back) || back.tm_mday != d || back.tm_mon != m - 1 ||
	    back.tm_year != y - 1900)
		return EINVAL;
	*out = (int64_t)t;
	return 0;
}

/* The sub-block list of a Subasignado status, checked and normalised. */
struct subs {
	size_t n;
	const char *p[SUBS_MAX];
	size_t len[SUBS_MAX];
	char text[STORE_NUM_SUB_MAX]; /* "0,1,2" */
};

/*
 * STATUS into r->status and, for Subasignado, the sub-blocks. Returns 0
 * or EBADMSG (reported).
 */
static int
parse_status(struct parse *ps, const char *p, size_t n, struct num_range *r,
    struct subs *sb)
{
	static const char *const words[] = { "Asignado", "Compartido",
		"Subasignado" };
	const char *rest = p, *item;
	size_t w = 0, i, at = 0, rl, il;

	while (w < n && !is_blank(p[w]))
		w++;
	for (i = 0; i < 3; i++)
		if (w == strlen(words[i]) && strncasecmp(p, words[i], w) == 0)
			break;
	if (i == 3)
		return bad_row(ps,
		    "status \"%.*s\" is not Asignado, Compartido or "
		    "Subasignado N[,N...]",
		    (int)(n > 40 ? 40 : n), p);
	snprintf(r->status, sizeof(r->status), "%s", words[i]);
	rest = p + w;
	rl = n - w;
	trim(&rest, &rl);
	sb->n = 0;
	sb->text[0] = '\0';
	if (i != 2) {
		if (rl)
			return bad_row(ps, "status %s followed by \"%.*s\"",
			    words[i], (int)(rl > 40 ? 40 : rl), rest);
		return 0;
	}
	if (!rl)
		return bad_row(ps, "Subasignado without sub-block numbers");
	while (rl || sb->n == 0) {
		const char *comma = memchr(rest, ',', rl);

		item = rest;
		il = comma ? (size_t)(comma - rest) : rl;
		rest += comma ? il + 1 : il;
		rl -= comma ? il + 1 : il;
		trim(&item, &il);
		if (il < 1 || il > SUB_DIGITS_MAX || !all_digits(item, il))
			return bad_row(ps,
			    "sub-block \"%.*s\" is not 1 to %d digits",
			    (int)(il > 20 ? 20 : il), item, SUB_DIGITS_MAX);
		for (i = 0; i < sb->n; i++)
			if (sb->len[i] == il && memcmp(sb->p[i], item, il) == 0)
				return bad_row(ps,
				    "sub-block %.*s listed twice", (int)il,
				    item);
		if (sb->n == SUBS_MAX)
			return bad_row(ps,
			    "more than %d sub-blocks on one line", SUBS_MAX);
		if (at + il + 2 > sizeof(sb->text))
			return bad_row(ps, "sub-block list too long");
		if (at)
			sb->text[at++] = ',';
		memcpy(sb->text + at, item, il);
		at += il;
		sb->text[at] = '\0';
		sb->p[sb->n] = item;
		sb->len[sb->n++] = il;
		if (comma && !rl)
			return bad_row(ps, "sub-block list ends with a comma");
	}
	memcpy(r->subblocks, sb->text, at + 1);
	return 0;
}

/* Copy text field [p, p + n) into dst[cap]; false when it does not fit. */
static bool
copy_field(char *dst, size_t cap, const char *p, size_t n)
{
	if (n >= cap)
		return false;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return true;
}

/*
 * One line, already UTF-8 (NUL-terminated, len bytes): check it and
 * hand its ranges to ps->range. Returns 0, EBADMSG (reported) or
 * range()'s non-zero value.
 */
static int
parse_fields(struct parse *ps, const char *line, size_t len)
{
	const char *f[NFIELDS + 1];
	size_t fl[NFIELDS + 1], nf = 0, i, base;
	const char *p = line, *hash;
	struct num_range r;
	struct subs sb;
	int err;

	for (;;) {
		hash = memchr(p, '#', len - (size_t)(p - line));
		if (nf < NFIELDS + 1) {
			f[nf] = p;
			fl[nf] = hash ? (size_t)(hash - p) :
					len - (size_t)(p - line);
		}
		nf++;
		if (!hash)
			break;
		p = hash + 1;
	}
	if (nf != NFIELDS)
		return bad_row(ps,
		    "%zu fields, want 6 "
		    "(NXY#BLOCK#AREA#STATUS#OPERATOR#DATE)",
		    nf);
	for (i = 0; i < NFIELDS; i++)
		trim(&f[i], &fl[i]);
	memset(&r, 0, sizeof(r));
	if (fl[0] < NXY_MIN || fl[0] > NXY_MAX || !all_digits(f[0], fl[0]))
		return bad_row(ps, "NXY \"%.*s\" is not %d to %d digits",
		    (int)(fl[0] > 20 ? 20 : fl[0]), f[0], NXY_MIN, NXY_MAX);
	if (fl[1] > BLOCK_MAX || !all_digits(f[1], fl[1]))
		return bad_row(ps, "block \"%.*s\" is not 0 to %d digits",
		    (int)(fl[1] > 20 ? 20 : fl[1]), f[1], BLOCK_MAX);
	if (!copy_field(r.area, sizeof(r.area), f[2], fl[2]))
		return bad_row(
		    ps, "area longer than %zu bytes", sizeof(r.area) - 1);
	if ((err = parse_status(ps, f[3], fl[3], &r, &sb)))
		return err;
	if (!fl[4])
		return bad_row(ps, "operator is empty");
	if (!copy_field(r.holder, sizeof(r.holder), f[4], fl[4]))
		return bad_row(
		    ps, "operator longer than %zu bytes", sizeof(r.holder) - 1);
	if (parse_date(f[5], fl[5], &r.assigned))
		return bad_row(ps,
		    "date \"%.*s\" is not a dd/mm/yyyy calendar date",
		    (int)(fl[5] > 20 ? 20 : fl[5]), f[5]);
	snprintf(r.source, sizeof(r.source), "%.*s:%llu",
	    (int)(sizeof(r.source) - 24), ps->base,
	    (unsigned long long)ps->lineno);

	/* "34" + NXY + BLOCK, then each sub-block. */
	base = strlen(CC) + fl[0] + fl[1];
	memcpy(r.prefix, CC, strlen(CC));
	memcpy(r.prefix + strlen(CC), f[0], fl[0]);
	memcpy(r.prefix + strlen(CC) + fl[0], f[1], fl[1]);
	for (i = 0; i < (sb.n ? sb.n : 1); i++) {
		size_t sl = sb.n ? sb.len[i] : 0;

		if (base + sl >= sizeof(r.prefix))
			return bad_row(ps, "prefix longer than %zu digits",
			    sizeof(r.prefix) - 1);
		if (sl)
			memcpy(r.prefix + base, sb.p[i], sl);
		r.prefix[base + sl] = '\0';
	}
	/* All checked: only now does anything leave. */
	ps->st->rows++;
	for (i = 0; i < (sb.n ? sb.n : 1); i++) {
		size_t sl = sb.n ? sb.len[i] : 0;

		if (sl)
			memcpy(r.prefix + base, sb.p[i], sl);
		r.prefix[base + sl] = '\0';
		ps->st->ranges++;
		if (ps->range && (err = ps->range(&r, ps->arg)))
			return err;
	}
	return 0;
}

/*
 * One raw line (no newline, CR stripped): convert and parse it.
 * Returns 0, EBADMSG, or range()'s value.
 */
static int
parse_line(struct parse *ps, const char *p, size_t n)
{
	char raw[CNMC_LINE_MAX];
	char out[CNMC_LINE_MAX * 3 + 1]; /* a windows-1252 byte: <= 3 */
	char *ip = raw, *op = out;
	size_t il = n, ol = sizeof(out) - 1, i;

	for (i = 0; i < n && is_blank(p[i]); i++)
		;
	if (i == n)
		return 0; /* blank */
	if (n > sizeof(raw))
		return bad_row(ps, "line longer than %zu bytes", sizeof(raw));
	if (memchr(p, '\0', n))
		return bad_row(ps, "NUL byte in the line");
	memcpy(raw, p, n);
	(void)iconv(ps->cd, NULL, NULL, NULL, NULL);
	if (iconv(ps->cd, &ip, &il, &op, &ol) == (size_t)-1) {
		size_t col = (size_t)(ip - raw);

		if (errno == EILSEQ || errno == EINVAL)
			return bad_row(ps,
			    "byte 0x%02x at column %zu is not %s",
			    (unsigned char)raw[col], col + 1,
			    encodings[ps->enc].name);
		return bad_row(
		    ps, "cannot convert the line: %s", strerror(errno));
	}
	*op = '\0';
	return parse_fields(ps, out, (size_t)(op - out));
}

int
cnmc_parse(const char *name, const char *buf, size_t len,
    enum cnmc_encoding enc, cnmc_range_h *range, cnmc_bad_h *bad, void *arg,
    struct cnmc_stats *st)
{
	struct cnmc_stats local;
	struct parse ps;
	const char *p, *end, *nl, *slash;
	size_t n;
	int err = 0;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (!name || (!buf && len) || (size_t)enc >= NENC)
		return EINVAL;
	memset(&ps, 0, sizeof(ps));
	slash = strrchr(name, '/');
	ps.base = slash ? slash + 1 : name;
	ps.enc = enc;
	ps.range = range;
	ps.bad = bad;
	ps.arg = arg;
	ps.st = st;
	ps.cd = iconv_open("UTF-8", encodings[enc].iconv);
	if (ps.cd == (iconv_t)-1)
		return errno == EINVAL ? ENOSYS : ENOMEM;
	p = buf;
	end = buf + len;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		st->pos = (size_t)(p - buf);
		ps.lineno++;
		st->lines++;
		if (n && p[n - 1] == '\r')
			n--;
		err = parse_line(&ps, p, n);
		if (err && err != EBADMSG)
			break;
		err = 0;
		p = nl ? nl + 1 : end;
	}
	if (!err)
		st->pos = len;
	iconv_close(ps.cd);
	if (err)
		return err;
	return st->bad ? EBADMSG : 0;
}

bool
cnmc_looks_utf8(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t i = 0, k, n;
	bool multi = false;
	unsigned char c;

	if (!buf)
		return false;
	while (i < len) {
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return false;
		for (k = 1; k <= n; k++)
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
				return false;
		if ((c == 0xe0 && p[i + 1] < 0xa0) ||
		    (c == 0xed && p[i + 1] > 0x9f) ||
		    (c == 0xf0 && p[i + 1] < 0x90) ||
		    (c == 0xf4 && p[i + 1] > 0x8f))
			return false;
		multi = true;
		i += n + 1;
	}
	return multi;
}

/*
 * core/log.c -- log lines, human or JSON.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

static enum log_format log_fmt = LOGF_HUMAN;
static enum log_level log_lvl = LOGL_INFO;
static int log_fd = 2;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void
log_setup(enum log_format fmt, enum log_level level, int fd)
{
	log_fmt = fmt;
	log_lvl = level;
	log_fd = fd;
}

bool
log_enabled(enum log_level level)
{
	return level <= log_lvl;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	unsigned i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return EINVAL;
}

/* A line buffer that never overflows: appends are clamped. */
struct line {
	char b[2048];
	size_t len;
};

static void
put(struct line *l, const char *s, size_t n)
{
	if (n > sizeof(l->b) - 2 - l->len)
		n = sizeof(l->b) - 2 - l->len;
	memcpy(l->b + l->len, s, n);
	l->len += n;
}

static void
puts_c(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

static void
vput(struct line *l, const char *fmt, va_list ap)
{
	size_t room = sizeof(l->b) - 2 - l->len;
	int n;

	n = vsnprintf(l->b + l->len, room + 1, fmt, ap);
	if (n < 0)
		return;
	l->len += (size_t)n > room ? room : (size_t)n;
}

/* JSON string body: escapes quotes, backslashes and control bytes. */
static void
put_json(struct line *l, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

		if (c == '"' || c == '\\') {
			put(l, "\\", 1);
			put(l, (const char *)&s[i], 1);
		} else if (c < 0x20 || c == 0x7f)
			put(l, esc, sizeof(esc));
		else
			put(l, (const char *)&s[i], 1);
	}
}

/* Human lines: replace control bytes so a log line stays one line. */
static void
put_human(struct line *l, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if ((unsigned char)c < 0x20 || c == 0x7f)
			c = '?';
		put(l, &c, 1);
	}
}

static void
put_ts(struct line *l)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (int)(ts.tv_nsec / 1000000));
	puts_c(l, buf);
}

static void
field(struct line *l, const char *key, const char *v, size_t n)
{
	if (log_fmt == LOGF_JSON) {
		put(l, ",\"", 2);
		puts_c(l, key);
		put(l, "\":\"", 3);
		put_json(l, v, n);
		put(l, "\"", 1);
	} else {
		put(l, " ", 1);
		puts_c(l, key);
		put(l, "=", 1);
		put_human(l, v, n);
	}
}

static void
emit(struct line *l)
{
	ssize_t r;

	l->b[l->len++] = '\n';
	do
		r = write(log_fd, l->b, l->len);
	while (r < 0 && errno == EINTR);
}

static void
vlog(enum log_level level, const struct log_fields *f, const char *fmt,
    va_list ap)
{
	struct line l;
	struct line m;
	char num[16];

	l.len = 0;
	m.len = 0;
	if (fmt)
		vput(&m, fmt, ap);
	if (log_fmt == LOGF_JSON) {
		puts_c(&l, "{\"ts\":\"");
		put_ts(&l);
		puts_c(&l, "\"");
		field(&l, "level", level_names[level],
		    strlen(level_names[level]));
	} else {
		put_ts(&l);
		put(&l, " ", 1);
		puts_c(&l, level_names[level]);
	}
	if (f) {
		if (f->event)
			field(&l, "event", f->event, strlen(f->event));
		if (f->src)
			field(&l, "src", f->src, strlen(f->src));
		if (f->tp)
			field(&l, "tp", f->tp, strlen(f->tp));
		if (f->method.len)
			field(&l, "method", f->method.s, f->method.len);
		if (f->call_id.len)
			field(&l, "call_id", f->call_id.s, f->call_id.len);
		if (f->user.len)
			field(&l, "user", f->user.s, f->user.len);
		if (f->reason != REASON_NONE)
			field(&l, "reason", reason_name(f->reason),
			    strlen(reason_name(f->reason)));
		if (f->status) {
			snprintf(num, sizeof(num), "%d", f->status);
			field(&l, "status", num, strlen(num));
		}
	}
	if (log_fmt == LOGF_JSON) {
		if (m.len)
			field(&l, "msg", m.b, m.len);
		put(&l, "}", 1);
	} else if (m.len) {
		put(&l, f ? ": " : " ", f ? 2 : 1);
		put_human(&l, m.b, m.len);
	}
	emit(&l);
}

void
log_printf(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vlog(level, NULL, fmt, ap);
	va_end(ap);
}

void
log_event(
    enum log_level level, const struct log_fields *f, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vlog(level, f, fmt, ap);
	va_end(ap);
}

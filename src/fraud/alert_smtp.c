/*
 * fraud/alert_smtp.c -- the e-mail channel: one RFC 5322 message per
 * delivery attempt, sent with libcurl's SMTP (MAIL FROM, one RCPT TO
 * per address, DATA; libcurl dot-stuffs the body).
 *
 *	Date: Sat, 21 Nov 2026 09:38:00 +0000
 *	From: centinela@example.net
 *	To: noc@example.net
 *	Subject: [centinela CRITICAL] rule subject
 *	Message-ID: <al-....channel@node>
 *	X-Centinela-Alert-Id: al-...
 *	Auto-Submitted: auto-generated
 *	MIME-Version: 1.0
 *	Content-Type: text/plain; charset=utf-8
 *
 * then the text and a summary of the alert. The Message-ID is the same
 * for every attempt of one delivery, so a mailbox can tell a repeat.
 * The subject line carries text from calls (a number, a user name): it
 * is written as RFC 2047 encoded words whenever it is not plain
 * printable ASCII, so nothing in it can start a header of its own.
 * STARTTLS follows the channel's starttls; smtps:// is TLS throughout.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "core/cfg_alerts.h"
#include "fraud/alert_int.h"

#define LINE_MAX_OCTETS 998 /* RFC 5322 section 2.1.1 */
#define WORD_CHUNK 45 /* bytes per encoded word: 60 base64 chars */

/* A growing message; "oom" sticks once an allocation failed. */
struct mbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void
mb_add(struct mbuf *b, const char *s, size_t n)
{
	char *np;
	size_t cap;

	if (b->oom)
		return;
	if (n + 1 > b->cap - b->len) {
		cap = b->cap ? b->cap : 1024;
		while (n + 1 > cap - b->len)
			cap *= 2;
		if (!(np = realloc(b->p, cap))) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void mb_printf(struct mbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
mb_printf(struct mbuf *b, const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		b->oom = true;
	else
		mb_add(b, line,
		    (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* Printable ASCII only: safe in a header as it is. */
static bool
is_plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/*
 * "Subject: " + s as encoded words (RFC 2047 B encoding), each holding
 * whole UTF-8 characters, folded one per line.
 */
static void
subject_encoded(struct mbuf *b, const char *s)
{
	unsigned char out[4 * WORD_CHUNK / 3 + 8];
	size_t n = strlen(s), at = 0, k;

	mb_add(b, "Subject:", 8);
	while (at < n) {
		k = n - at > WORD_CHUNK ? WORD_CHUNK : n - at;
		/* Back off to a character boundary (not a continuation). */
		while (k > 1 && at + k < n &&
		    ((unsigned char)s[at + k] & 0xc0) == 0x80)
			k--;
		EVP_EncodeBlock(out, (const unsigned char *)s + at, (int)k);
		mb_printf(b, "%s=?UTF-8?B?%s?=", at ? "\r\n " : " ",
		    (const char *)out);
		at += k;
	}
	mb_add(b, "\r\n", 2);
}

/* The text with CRLF line ends, lines cut at 998 octets. */
static void
body_text(struct mbuf *b, const char *s)
{
	size_t col = 0;

	for (; *s; s++) {
		if (*s == '\r')
			continue;
		if (*s == '\n' || col == LINE_MAX_OCTETS) {
			mb_add(b, "\r\n", 2);
			col = 0;
			if (*s == '\n')
				continue;
		}
		mb_add(b, s, 1);
		col++;
	}
	mb_add(b, "\r\n", 2);
}

/* RFC 5322 date in UTC; names spelt out (no locale). */
static void
mail_date(int64_t ms, char *buf, size_t cap)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
		"Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, cap, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* "[centinela CRITICAL]" */
static const char *
sev_tag(unsigned sev)
{
	static const char *const tags[] = { "INFO", "WARNING", "CRITICAL" };

	return sev < 3 ? tags[sev] : "ALERT";
}

int
alert_smtp_message(const struct cfg_alert_channel *cc,
    const struct alert_rec *a, const char *node, int64_t now, char **msg,
    size_t *len)
{
	struct mbuf b = { NULL, 0, 0, false };
	char date[64], ts[40],
	    subj[STORE_ALERT_RULE_MAX + STORE_ALERT_SUBJECT_MAX + 32];
	unsigned i;

	mail_date(now, date, sizeof(date));
	alert_fmt_time(a->ts, ts, sizeof(ts));
	snprintf(subj, sizeof(subj), "[centinela %s] %s%s%s",
	    sev_tag(a->severity), a->rule, a->subject[0] ? " " : "",
	    a->subject);
	mb_printf(&b, "Date: %s\r\nFrom: %s\r\nTo: ", date, cc->from);
	for (i = 0; i < cc->nto; i++)
		mb_printf(&b, "%s%s", i ? ",\r\n " : "", cc->to[i]);
	mb_add(&b, "\r\n", 2);
	if (is_plain(subj))
		mb_printf(&b, "Subject: %s\r\n", subj);
	else
		subject_encoded(&b, subj);
	mb_printf(&b,
	    "Message-ID: <%s.%s@%s>\r\n"
	    "X-Centinela-Alert-Id: %s\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "\r\n",
	    a->id, cc->name, node, a->id);
	if (a->text[0]) {
		body_text(&b, a->text);
		mb_add(&b, "\r\n", 2);
	}
	mb_printf(&b,
	    "-- \r\n"
	    "Alert:    %s\r\n"
	    "Time:     %s\r\n"
	    "Severity: %s\r\n"
	    "Rule:     %s\r\n",
	    a->id, ts, cfg_alert_sev_name(a->severity), a->rule);
	mb_add(&b, "Subject:  ", 10);
	body_text(&b, a->subject);
	mb_printf(&b, "Node:     %s\r\n", a->node);
	if (b.oom) {
		free(b.p);
		return ENOMEM;
	}
	*msg = b.p;
	*len = b.len;
	return 0;
}

/* libcurl reads the message to upload from here. */
static size_t
on_read(char *p, size_t size, size_t n, void *arg)
{
	struct alert_xfer *x = arg;
	size_t k = size * n;

	if (k > x->x_len - x->x_off)
		k = x->x_len - x->x_off;
	memcpy(p, x->x_body + x->x_off, k);
	x->x_off += k;
	return k;
}

int
alert_smtp_setup(struct alert_xfer *x, const char *node, int64_t now)
{
	const struct cfg_alert_channel *cc = x->x_ch->cc;
	char addr[CFG_ALERT_ADDR_MAX + 2];
	struct curl_slist *l;
	CURLcode c = CURLE_OK;
	long ssl;
	CURL *e;
	unsigned i;
	int err;

	err = alert_smtp_message(cc, &x->x_a, node, now, &x->x_body, &x->x_len);
	if (err)
		return err;
	x->x_off = 0;
	for (i = 0; i < cc->nto; i++) {
		snprintf(addr, sizeof(addr), "<%s>", cc->to[i]);
		if (!(l = curl_slist_append(x->x_list, addr)))
			return ENOMEM;
		x->x_list = l;
	}
	snprintf(addr, sizeof(addr), "<%s>", cc->from);
	ssl = cc->starttls == CFG_ALERT_TLS_YES ? (long)CURLUSESSL_ALL :
	    cc->starttls == CFG_ALERT_TLS_NO	? (long)CURLUSESSL_NONE :
						  (long)CURLUSESSL_TRY;
	e = x->x_easy = curl_easy_init();
	if (!e)
		return ENOMEM;
#define SETOPT(o, v)                                   \
	do {                                           \
		if (c == CURLE_OK)                     \
			c = curl_easy_setopt(e, o, v); \
	} while (0)
	SETOPT(CURLOPT_URL, cc->url);
	SETOPT(CURLOPT_PRIVATE, x);
	SETOPT(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SETOPT(CURLOPT_PROXY, "");
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_TIMEOUT_MS, (long)cc->timeout);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long)cc->timeout);
	SETOPT(CURLOPT_MAIL_FROM, addr);
	SETOPT(CURLOPT_MAIL_RCPT, x->x_list);
	SETOPT(CURLOPT_UPLOAD, 1L);
	SETOPT(CURLOPT_READFUNCTION, on_read);
	SETOPT(CURLOPT_READDATA, x);
	SETOPT(CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->x_len);
	SETOPT(CURLOPT_USE_SSL, ssl);
	SETOPT(CURLOPT_ERRORBUFFER, x->x_err);
	if (x->x_ch->username) {
		SETOPT(CURLOPT_USERNAME, x->x_ch->username);
		SETOPT(CURLOPT_PASSWORD,
		    x->x_ch->password ? x->x_ch->password : "");
	}
	if (cc->ca[0])
		SETOPT(CURLOPT_CAINFO, cc->ca);
#undef SETOPT
	return c == CURLE_OK ? 0 : EINVAL;
}

bool
alert_smtp_done(struct alert_xfer *x, CURLcode cc, char *why, size_t whylen)
{
	long code = 0;

	if (cc == CURLE_OK)
		return true;
	curl_easy_getinfo(x->x_easy, CURLINFO_RESPONSE_CODE, &code);
	if (code)
		snprintf(why, whylen, "SMTP %ld: %s", code,
		    x->x_err[0] ? x->x_err : curl_easy_strerror(cc));
	else
		snprintf(why, whylen, "%s",
		    x->x_err[0] ? x->x_err : curl_easy_strerror(cc));
	return false;
}

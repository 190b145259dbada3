/*
 * sip/build.c -- message builders: local responses, forwarded requests
 * and relayed responses (RFC 3261 sections 8.2.6, 16.6, 16.7).
 *
 * The builders run on the hot path: they only append to a caller's
 * fixed buffer. Header fields that are not rewritten are copied byte
 * for byte from the parsed message (sip_hdr.line), so compact names,
 * folding and unknown headers survive forwarding unchanged.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sip/sip.h"
#include "sip/sip_int.h"

#define CRLF STR("\r\n")

/* Point "w" at b[0..cap); nothing is written. */
void
sip_wbuf_init(struct sip_wbuf *w, char *b, size_t cap)
{
	w->b = b;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
}

/* Append "s", or set overflow (and write nothing) when it does not fit. */
void
sip_wbuf_put(struct sip_wbuf *w, struct str s)
{
	if (w->overflow)
		return;
	if (s.len > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	if (s.len > 0)
		memcpy(w->b + w->len, s.s, s.len);
	w->len += s.len;
}

/* Append one character (overflow rule as sip_wbuf_put). */
void
sip_wbuf_putc(struct sip_wbuf *w, char c)
{
	if (w->overflow)
		return;
	if (w->len == w->cap) {
		w->overflow = true;
		return;
	}
	w->b[w->len++] = c;
}

/* Append "v" in decimal (overflow rule as sip_wbuf_put). */
void
sip_wbuf_putu(struct sip_wbuf *w, uint64_t v)
{
	char tmp[20];
	size_t n = sizeof(tmp);

	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	sip_wbuf_put(w, str_make(tmp + n, sizeof(tmp) - n));
}

/*
 * printf-style append through vsnprintf(3). The formatted text needs
 * one spare byte in the buffer (for the NUL vsnprintf writes, which is
 * not counted in len); otherwise overflow is set.
 */
void
sip_wbuf_printf(struct sip_wbuf *w, const char *fmt, ...)
{
	va_list ap;
	size_t avail;
	int n;

	if (w->overflow)
		return;
	avail = w->cap - w->len;
	if (avail == 0) {
		w->overflow = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(w->b + w->len, avail, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= avail) {
		w->overflow = true;
		return;
	}
	w->len += (size_t)n;
}

static struct str
default_reason(unsigned status)
{
	switch (status) {
	case 100:
		return STR("Trying");
	case 180:
		return STR("Ringing");
	case 181:
		return STR("Call Is Being Forwarded");
	case 182:
		return STR("Queued");
	case 183:
		return STR("Session Progress");
	case 200:
		return STR("OK");
	case 202:
		return STR("Accepted");
	case 300:
		return STR("Multiple Choices");
	case 301:
		return STR("Moved Permanently");
	case 302:
		return STR("Moved Temporarily");
	case 305:
		return STR("Use Proxy");
	case 380:
		return STR("Alternative Service");
	case 400:
		return STR("Bad Request");
	case 401:
		return STR("Unauthorized");
	case 403:
		return STR("Forbidden");
	case 404:
		return STR("Not Found");
	case 405:
		return STR("Method Not Allowed");
	case 406:
		return STR("Not Acceptable");
	case 407:
		return STR("Proxy Authentication Required");
	case 408:
		return STR("Request Timeout");
	case 410:
		return STR("Gone");
	case 413:
		return STR("Request Entity Too Large");
	case 414:
		return STR("Request-URI Too Long");
	case 415:
		return STR("Unsupported Media Type");
	case 416:
		return STR("Unsupported URI Scheme");
	case 420:
		return STR("Bad Extension");
	case 421:
		return STR("Extension Required");
	case 423:
		return STR("Interval Too Brief");
	case 429:
		return STR("Too Many Requests");
	case 480:
		return STR("Temporarily Unavailable");
	case 481:
		return STR("Call/Transaction Does Not Exist");
	case 482:
		return STR("Loop Detected");
	case 483:
		return STR("Too Many Hops");
	case 484:
		return STR("Address Incomplete");
	case 485:
		return STR("Ambiguous");
	case 486:
		return STR("Busy Here");
	case 487:
		return STR("Request Terminated");
	case 488:
		return STR("Not Acceptable Here");
	case 491:
		return STR("Request Pending");
	case 493:
		return STR("Undecipherable");
	case 500:
		return STR("Server Internal Error");
	case 501:
		return STR("Not Implemented");
	case 502:
		return STR("Bad Gateway");
	case 503:
		return STR("Service Unavailable");
	case 504:
		return STR("Server Time-out");
	case 505:
		return STR("Version Not Supported");
	case 513:
		return STR("Message Too Large");
	case 600:
		return STR("Busy Everywhere");
	case 603:
		return STR("Decline");
	case 604:
		return STR("Does Not Exist Anywhere");
	case 606:
		return STR("Not Acceptable");
	}
	switch (status / 100) {
	case 1:
		return STR("Provisional");
	case 2:
		return STR("Success");
	case 3:
		return STR("Redirection");
	case 4:
		return STR("Client Error");
	case 5:
		return STR("Server Error");
	default:
		return STR("Global Failure");
	}
}

/* No CR or LF: the value cannot inject header lines. */
static bool
no_crlf(struct str s)
{
	return s.len == 0 ||
	    (memchr(s.s, '\r', s.len) == NULL &&
		memchr(s.s, '\n', s.len) == NULL);
}

/* Empty, or one or more complete lines: ends in CRLF, no bare CR/LF. */
static bool
lines_ok(struct str s)
{
	size_t i;

	if (s.len == 0)
		return true;
	if (s.len < 2 || s.s[s.len - 2] != '\r' || s.s[s.len - 1] != '\n')
		return false;
	for (i = 0; i < s.len; i++) {
		if (s.s[i] == '\r' && (i + 1 == s.len || s.s[i + 1] != '\n'))
			return false;
		if (s.s[i] == '\n' && (i == 0 || s.s[i - 1] != '\r'))
			return false;
	}
	return true;
}

/* The view from "from" (inside "in") to the end of "in". */
static struct str
tail_from(struct str in, const char *from)
{
	return str_make(from, in.len - (size_t)(from - in.s));
}

/* The view from the start of "in" up to "to" (inside "in"). */
static struct str
head_to(struct str in, const char *to)
{
	return str_make(in.s, (size_t)(to - in.s));
}

/*
 * Append a Via value with "extra" parameters (";received=..;rport=..")
 * added; parameters of the same names already in the value are dropped
 * so that a flag ";rport" becomes ";rport=N" (RFC 3581 section 4).
 */
static void
put_via_value(struct sip_wbuf *w, const struct sip_via *via, struct str extra)
{
	struct sip_param p;
	struct str rest, prefix;

	if (extra.len == 0) {
		sip_wbuf_put(w, via->raw);
		return;
	}
	if (via->params.s == NULL)
		prefix = via->raw;
	else
		prefix = sip_sv_trim(head_to(via->raw, via->params.s - 1));
	sip_wbuf_put(w, prefix);
	rest = via->params;
	while (rest.s != NULL && sip_param_next(&rest, &p) == 1) {
		if (sip_param_find(extra, p.name, NULL))
			continue;
		sip_wbuf_putc(w, ';');
		sip_wbuf_put(w, p.name);
		if (p.has_value) {
			sip_wbuf_putc(w, '=');
			sip_wbuf_put(w, p.value);
		}
	}
	if (extra.s[0] != ';')
		sip_wbuf_putc(w, ';');
	sip_wbuf_put(w, extra);
}

/* Copy Via header "h" whose value holds "via", adding "extra" to it. */
static void
put_via_line(struct sip_wbuf *w, const struct sip_hdr *h,
    const struct sip_via *via, struct str extra)
{
	if (extra.len == 0) {
		sip_wbuf_put(w, h->line);
		return;
	}
	sip_wbuf_put(w, head_to(h->line, via->raw.s));
	put_via_value(w, via, extra);
	sip_wbuf_put(w, tail_from(h->line, via->raw.s + via->raw.len));
}

/*
 * Copy header "h" without its first value: "Name: b, c" for "Name: a,
 * b, c", nothing when "a" was its only value. "second" is where the
 * second value starts (NULL when there is none).
 */
static void
put_line_rest(struct sip_wbuf *w, const struct sip_hdr *h, const char *second)
{
	if (second == NULL)
		return;
	sip_wbuf_put(w, h->name);
	sip_wbuf_put(w, STR(": "));
	sip_wbuf_put(w, tail_from(h->value, second));
	sip_wbuf_put(w, CRLF);
}

static void
put_content_length(struct sip_wbuf *w, size_t len)
{
	sip_wbuf_put(w, STR("Content-Length: "));
	sip_wbuf_putu(w, len);
	sip_wbuf_put(w, CRLF);
}

/*
 * Build a response to "req". See sip.h. The Reason-Phrase defaults to
 * the RFC 3261 phrase (or the class name) when "reason" is empty.
 * Returns EINVAL when "req" is not a parsed request, status is outside
 * 100..699, a value contains CR or LF, or "extra" is not a sequence of
 * CRLF-terminated lines.
 */
int
sip_build_response(struct sip_wbuf *w, const struct sip_msg *req,
    uint16_t status, struct str reason, struct str to_tag,
    struct str top_via_params, struct str extra, struct str server,
    struct str body)
{
	const struct sip_hdr *h;
	unsigned i;
	bool add_tag;

	if (w == NULL || req == NULL || !req->is_request || req->nvia == 0 ||
	    status < 100 || status > 699 || !no_crlf(reason) ||
	    !no_crlf(to_tag) || !no_crlf(top_via_params) || !no_crlf(server) ||
	    !lines_ok(extra))
		return EINVAL;
	if (reason.len == 0)
		reason = default_reason(status);
	add_tag = to_tag.len > 0 && status > 100 &&
	    !sip_param_find(req->to.params, STR("tag"), NULL);

	sip_wbuf_put(w, STR("SIP/2.0 "));
	sip_wbuf_putu(w, status);
	sip_wbuf_putc(w, ' ');
	sip_wbuf_put(w, reason);
	sip_wbuf_put(w, CRLF);
	for (i = 0; i < req->nhdrs; i++) {
		h = &req->hdrs[i];
		switch (h->id) {
		case SIP_HDR_VIA:
			if (i == req->via[0].hdr_idx)
				put_via_line(
				    w, h, &req->via[0], top_via_params);
			else
				sip_wbuf_put(w, h->line);
			break;
		case SIP_HDR_TO:
			if (!add_tag) {
				sip_wbuf_put(w, h->line);
				break;
			}
			sip_wbuf_put(
			    w, head_to(h->line, h->value.s + h->value.len));
			sip_wbuf_put(w, STR(";tag="));
			sip_wbuf_put(w, to_tag);
			sip_wbuf_put(
			    w, tail_from(h->line, h->value.s + h->value.len));
			break;
		case SIP_HDR_FROM:
		case SIP_HDR_CALL_ID:
		case SIP_HDR_CSEQ:
			sip_wbuf_put(w, h->line);
			break;
		default:
			break;
		}
	}
	sip_wbuf_put(w, extra);
	if (server.len > 0) {
		sip_wbuf_put(w, STR("Server: "));
		sip_wbuf_put(w, server);
		sip_wbuf_put(w, CRLF);
	}
	put_content_length(w, body.len);
	sip_wbuf_put(w, CRLF);
	sip_wbuf_put(w, body);
	return w->overflow ? ENOSPC : 0;
}

/* Start of the second value of header "h", or NULL; false if malformed. */
/*
 * Copy Route header "h" without the first *npop values it holds,
 * decrementing *npop by the number removed; nothing is written when no
 * value is left. Returns 0, or EINVAL on unbalanced quotes or brackets.
 */
static int
put_route_popped(struct sip_wbuf *w, const struct sip_hdr *h, unsigned *npop)
{
	struct str rest = h->value, v;

	for (;;) {
		if (!sip_hdr_next_value(&rest, &v))
			return rest.s == NULL ? EINVAL : 0;
		if (*npop == 0)
			break;
		(*npop)--;
	}
	sip_wbuf_put(w, h->name);
	sip_wbuf_put(w, STR(": "));
	sip_wbuf_put(w, tail_from(h->value, v.s));
	sip_wbuf_put(w, CRLF);
	return 0;
}

/*
 * Build a request to forward. See sip.h. Returns EINVAL when "req" is
 * not a parsed request, "via" or "rr" is not a CRLF-terminated line,
 * "ruri" or "top_via_params" contains CR or LF, or the Route header to
 * pop has unbalanced quotes or brackets.
 */
int
sip_build_request(struct sip_wbuf *w, const struct sip_msg *req,
    struct str ruri, struct str via, struct str top_via_params,
    unsigned pop_routes, struct str rr)
{
	const struct sip_hdr *h;
	unsigned i;
	bool cl_done = false;
	int err;

	if (w == NULL || req == NULL || !req->is_request || req->nvia == 0 ||
	    !no_crlf(ruri) || !no_crlf(top_via_params) || !lines_ok(via) ||
	    !lines_ok(rr))
		return EINVAL;
	sip_wbuf_put(w, req->method_s);
	sip_wbuf_putc(w, ' ');
	sip_wbuf_put(w, ruri.len > 0 ? ruri : req->ruri_raw);
	sip_wbuf_put(w, STR(" SIP/2.0\r\n"));
	sip_wbuf_put(w, rr);
	for (i = 0; i < req->nhdrs; i++) {
		h = &req->hdrs[i];
		switch (h->id) {
		case SIP_HDR_VIA:
			if (i == req->via[0].hdr_idx) {
				sip_wbuf_put(w, via);
				put_via_line(
				    w, h, &req->via[0], top_via_params);
			} else
				sip_wbuf_put(w, h->line);
			break;
		case SIP_HDR_MAX_FORWARDS:
			sip_wbuf_put(w, STR("Max-Forwards: "));
			sip_wbuf_putu(w,
			    req->max_forwards > 0 ? req->max_forwards - 1 : 0);
			sip_wbuf_put(w, CRLF);
			break;
		case SIP_HDR_ROUTE:
			if (pop_routes == 0)
				sip_wbuf_put(w, h->line);
			else if ((err = put_route_popped(w, h, &pop_routes)))
				return err;
			break;
		case SIP_HDR_CONTENT_LENGTH:
			/* Equal duplicates collapse into one field. */
			if (!cl_done)
				put_content_length(w, req->body.len);
			cl_done = true;
			break;
		default:
			sip_wbuf_put(w, h->line);
			break;
		}
	}
	if (!req->has_max_forwards)
		sip_wbuf_put(w, STR("Max-Forwards: 70\r\n"));
	if (!cl_done)
		put_content_length(w, req->body.len);
	sip_wbuf_put(w, CRLF);
	sip_wbuf_put(w, req->body);
	return w->overflow ? ENOSPC : 0;
}

/*
 * Build a response to relay downstream. See sip.h. Content-Length is
 * rewritten to the body length (and added when absent, so that a
 * datagram can be relayed over a stream). Returns 0, EINVAL when "rsp"
 * is not a parsed response, or ENOSPC.
 */
int
sip_build_response_relay(struct sip_wbuf *w, const struct sip_msg *rsp)
{
	return sip_build_response_relay_body(w, rsp, NULL);
}

/*
 * The relayed response with its body replaced (the media anchor's
 * rewritten SDP): see sip.h.
 */
int
sip_build_response_relay_body(
    struct sip_wbuf *w, const struct sip_msg *rsp, const struct str *body)
{
	const struct sip_hdr *h;
	const char *second = NULL;
	struct str b;
	unsigned i;
	bool cl_done = false;

	if (w == NULL || rsp == NULL || rsp->is_request || rsp->nvia == 0)
		return EINVAL;
	b = body ? *body : rsp->body;
	if (rsp->nvia > 1 && rsp->via[1].hdr_idx == rsp->via[0].hdr_idx)
		second = rsp->via[1].raw.s;

	sip_wbuf_put(w, rsp->start_line);
	sip_wbuf_put(w, CRLF);
	for (i = 0; i < rsp->nhdrs; i++) {
		h = &rsp->hdrs[i];
		if (h->id == SIP_HDR_VIA && i == rsp->via[0].hdr_idx)
			put_line_rest(w, h, second);
		else if (h->id == SIP_HDR_CONTENT_LENGTH) {
			if (!cl_done)
				put_content_length(w, b.len);
			cl_done = true;
		} else
			sip_wbuf_put(w, h->line);
	}
	if (!cl_done)
		put_content_length(w, b.len);
	sip_wbuf_put(w, CRLF);
	sip_wbuf_put(w, b);
	return w->overflow ? ENOSPC : 0;
}

/*
 * The request "req" with header fields dropped and lines added: see
 * sip.h. Used before routing, so the transaction keeps the changed
 * request for every attempt.
 */
int
sip_build_edit(struct sip_wbuf *w, const struct sip_msg *req, uint64_t drop,
    struct str add)
{
	return sip_build_edit_body(w, req, drop, add, NULL);
}

/* The same with the body replaced when "body" is not NULL. */
int
sip_build_edit_body(struct sip_wbuf *w, const struct sip_msg *req,
    uint64_t drop, struct str add, const struct str *body)
{
	const struct sip_hdr *h;
	struct str b;
	unsigned i;

	if (w == NULL || req == NULL || !req->is_request || !lines_ok(add))
		return EINVAL;
	b = body ? *body : req->body;
	sip_wbuf_put(w, req->start_line);
	sip_wbuf_put(w, CRLF);
	for (i = 0; i < req->nhdrs; i++) {
		h = &req->hdrs[i];
		if (h->id == SIP_HDR_CONTENT_LENGTH ||
		    (h->id < 64 && (drop & (UINT64_C(1) << h->id))))
			continue;
		sip_wbuf_put(w, h->line);
	}
	sip_wbuf_put(w, add);
	put_content_length(w, b.len);
	sip_wbuf_put(w, CRLF);
	sip_wbuf_put(w, b);
	return w->overflow ? ENOSPC : 0;
}

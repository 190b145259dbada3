/*
 * sip/parse.c -- SIP message framing and parsing (RFC 3261 sections 7,
 * 18.3, 20, 25).
 *
 * The parser makes one pass over the start line and the header fields,
 * storing views into the caller's buffer; it allocates nothing and
 * never writes into the buffer. Stream framing (sip_frame) and the
 * datagram parser (sip_parse) share the same field scanner, so both
 * reject exactly the same header sections for the same reasons.
 *
 * Line endings: every line must end in CRLF. A bare LF, a bare CR and
 * a NUL byte anywhere in the start line or the header fields make the
 * message invalid (EBADMSG); accepting bare LF would let two parsers
 * (ours and the next hop's) disagree about where a header ends.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <string.h>

#include "sip/sip.h"
#include "sip/sip_int.h"

/*
 * Character classes, SIP_C_* bits from sip_int.h, generated from the
 * ABNF of RFC 3261 section 25.1.
 */
const uint16_t sip_ctype[256] = {
	0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, /* 00 */
	0x000, 0x140, 0x140, 0x000, 0x000, 0x140, 0x000, 0x000, /* 08 */
	0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, /* 10 */
	0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, /* 18 */
	0x140, 0x43d, 0x300, 0x000, 0x03c, 0x401, 0x01c, 0x43d, /* 20 */
	0x03c, 0x03c, 0x43d, 0x43d, 0x30c, 0x43f, 0x43f, 0x034, /* 28 */
	0x4bf, 0x4bf, 0x4bf, 0x4bf, 0x4bf, 0x4bf, 0x4bf, 0x4bf, /* 30 */
	0x4bf, 0x4bf, 0x430, 0x104, 0x200, 0x10c, 0x200, 0x024, /* 38 */
	0x000, 0x4bf, 0x4bf, 0x4bf, 0x4bf, 0x4bf, 0x4bf, 0x43f, /* 40 */
	0x43f, 0x43f, 0x43f, 0x43f, 0x43f, 0x43f, 0x43f, 0x43f, /* 48 */
	0x43f, 0x43f, 0x43f, 0x43f, 0x43f, 0x43f, 0x43f, 0x43f, /* 50 */
	0x43f, 0x43f, 0x43f, 0x430, 0x200, 0x430, 0x000, 0x43d, /* 58 */
	0x401, 0x4bf, 0x4bf, 0x4bf, 0x4bf, 0x4bf, 0x4bf, 0x43f, /* 60 */
	0x43f, 0x43f, 0x43f, 0x43f, 0x43f, 0x43f, 0x43f, 0x43f, /* 68 */
	0x43f, 0x43f, 0x43f, 0x43f, 0x43f, 0x43f, 0x43f, 0x43f, /* 70 */
	0x43f, 0x43f, 0x43f, 0x000, 0x000, 0x000, 0x43d, 0x000, /* 78 */
	/* 0x80 - 0xff: no class */
};

#define SV(lit)                        \
	{                              \
		(lit), sizeof(lit) - 1 \
	}

void
sip_limits_default(struct sip_limits *lim)
{
	lim->max_msg_size = SIP_DEFAULT_MAX_MSG_SIZE;
	lim->max_headers = SIP_DEFAULT_MAX_HEADERS;
	lim->max_via = SIP_DEFAULT_MAX_VIA;
	lim->max_line_len = SIP_DEFAULT_MAX_LINE_LEN;
}

static const struct str method_names[SIP_METHOD__COUNT] = {
	[SIP_METHOD_UNKNOWN] = SV("UNKNOWN"),
	[SIP_METHOD_INVITE] = SV("INVITE"),
	[SIP_METHOD_ACK] = SV("ACK"),
	[SIP_METHOD_BYE] = SV("BYE"),
	[SIP_METHOD_CANCEL] = SV("CANCEL"),
	[SIP_METHOD_OPTIONS] = SV("OPTIONS"),
	[SIP_METHOD_REGISTER] = SV("REGISTER"),
	[SIP_METHOD_PRACK] = SV("PRACK"),
	[SIP_METHOD_SUBSCRIBE] = SV("SUBSCRIBE"),
	[SIP_METHOD_NOTIFY] = SV("NOTIFY"),
	[SIP_METHOD_PUBLISH] = SV("PUBLISH"),
	[SIP_METHOD_INFO] = SV("INFO"),
	[SIP_METHOD_REFER] = SV("REFER"),
	[SIP_METHOD_MESSAGE] = SV("MESSAGE"),
	[SIP_METHOD_UPDATE] = SV("UPDATE"),
};

/*
 * Method from its name. Method names are case-sensitive (RFC 3261
 * section 7.1): "invite" is an unknown extension method, not INVITE.
 * Returns SIP_METHOD_UNKNOWN for anything that is not a known method.
 */
enum sip_method
sip_method_from_str(struct str s)
{
	int m;

	if (s.len < 3 || s.len > 9)
		return SIP_METHOD_UNKNOWN;
	for (m = SIP_METHOD_INVITE; m < SIP_METHOD__COUNT; m++)
		if (method_names[m].len == s.len &&
		    method_names[m].s[0] == s.s[0] &&
		    memcmp(method_names[m].s, s.s, s.len) == 0)
			return (enum sip_method)m;
	return SIP_METHOD_UNKNOWN;
}

/* Canonical name of "m"; "UNKNOWN" for an unknown or invalid value. */
struct str
sip_method_name(enum sip_method m)
{
	if ((unsigned)m >= SIP_METHOD__COUNT)
		m = SIP_METHOD_UNKNOWN;
	return method_names[m];
}

struct hdr_name {
	struct str name;
	enum sip_hdr_id id;
};

/* Full header names grouped by their lower-case first letter. */
static const struct hdr_name hdr_a[] = {
	{ SV("allow"), SIP_HDR_ALLOW },
	{ SV("authorization"), SIP_HDR_AUTHORIZATION },
	{ SV(""), SIP_HDR_OTHER },
};
static const struct hdr_name hdr_c[] = {
	{ SV("call-id"), SIP_HDR_CALL_ID },
	{ SV("cseq"), SIP_HDR_CSEQ },
	{ SV("contact"), SIP_HDR_CONTACT },
	{ SV("content-length"), SIP_HDR_CONTENT_LENGTH },
	{ SV("content-type"), SIP_HDR_CONTENT_TYPE },
	{ SV("content-encoding"), SIP_HDR_CONTENT_ENCODING },
	{ SV(""), SIP_HDR_OTHER },
};
static const struct hdr_name hdr_d[] = {
	{ SV("diversion"), SIP_HDR_DIVERSION },
	{ SV(""), SIP_HDR_OTHER },
};
static const struct hdr_name hdr_e[] = {
	{ SV("expires"), SIP_HDR_EXPIRES },
	{ SV("event"), SIP_HDR_EVENT },
	{ SV(""), SIP_HDR_OTHER },
};
static const struct hdr_name hdr_f[] = {
	{ SV("from"), SIP_HDR_FROM },
	{ SV(""), SIP_HDR_OTHER },
};
static const struct hdr_name hdr_i[] = {
	{ SV("identity"), SIP_HDR_IDENTITY },
	{ SV(""), SIP_HDR_OTHER },
};
static const struct hdr_name hdr_m[] = {
	{ SV("max-forwards"), SIP_HDR_MAX_FORWARDS },
	{ SV(""), SIP_HDR_OTHER },
};
static const struct hdr_name hdr_p[] = {
	{ SV("proxy-authorization"), SIP_HDR_PROXY_AUTHORIZATION },
	{ SV("proxy-authenticate"), SIP_HDR_PROXY_AUTHENTICATE },
	{ SV("proxy-require"), SIP_HDR_PROXY_REQUIRE },
	{ SV("p-asserted-identity"), SIP_HDR_P_ASSERTED_IDENTITY },
	{ SV("p-preferred-identity"), SIP_HDR_P_PREFERRED_IDENTITY },
	{ SV(""), SIP_HDR_OTHER },
};
static const struct hdr_name hdr_r[] = {
	{ SV("route"), SIP_HDR_ROUTE },
	{ SV("record-route"), SIP_HDR_RECORD_ROUTE },
	{ SV("require"), SIP_HDR_REQUIRE },
	{ SV("refer-to"), SIP_HDR_REFER_TO },
	{ SV(""), SIP_HDR_OTHER },
};
static const struct hdr_name hdr_s[] = {
	{ SV("server"), SIP_HDR_SERVER },
	{ SV("supported"), SIP_HDR_SUPPORTED },
	{ SV("subject"), SIP_HDR_SUBJECT },
	{ SV(""), SIP_HDR_OTHER },
};
static const struct hdr_name hdr_t[] = {
	{ SV("to"), SIP_HDR_TO },
	{ SV(""), SIP_HDR_OTHER },
};
static const struct hdr_name hdr_u[] = {
	{ SV("user-agent"), SIP_HDR_USER_AGENT },
	{ SV("unsupported"), SIP_HDR_UNSUPPORTED },
	{ SV(""), SIP_HDR_OTHER },
};
static const struct hdr_name hdr_v[] = {
	{ SV("via"), SIP_HDR_VIA },
	{ SV(""), SIP_HDR_OTHER },
};
static const struct hdr_name hdr_w[] = {
	{ SV("www-authenticate"), SIP_HDR_WWW_AUTHENTICATE },
	{ SV(""), SIP_HDR_OTHER },
};

/* Header id from its name: case-insensitive, compact forms included. */
enum sip_hdr_id
sip_hdr_id_from_name(struct str name)
{
	const struct hdr_name *t;

	if (name.len == 0)
		return SIP_HDR_OTHER;
	if (name.len == 1) {
		switch (sip_lower(name.s[0])) {
		case 'v':
			return SIP_HDR_VIA;
		case 'f':
			return SIP_HDR_FROM;
		case 't':
			return SIP_HDR_TO;
		case 'i':
			return SIP_HDR_CALL_ID;
		case 'l':
			return SIP_HDR_CONTENT_LENGTH;
		case 'c':
			return SIP_HDR_CONTENT_TYPE;
		case 'm':
			return SIP_HDR_CONTACT;
		case 'k':
			return SIP_HDR_SUPPORTED;
		case 'e':
			return SIP_HDR_CONTENT_ENCODING;
		case 's':
			return SIP_HDR_SUBJECT;
		case 'o':
			return SIP_HDR_EVENT;
		case 'r':
			return SIP_HDR_REFER_TO;
		case 'y':
			return SIP_HDR_IDENTITY;
		default:
			return SIP_HDR_OTHER;
		}
	}
	switch (sip_lower(name.s[0])) {
	case 'a':
		t = hdr_a;
		break;
	case 'c':
		t = hdr_c;
		break;
	case 'd':
		t = hdr_d;
		break;
	case 'e':
		t = hdr_e;
		break;
	case 'f':
		t = hdr_f;
		break;
	case 'i':
		t = hdr_i;
		break;
	case 'm':
		t = hdr_m;
		break;
	case 'p':
		t = hdr_p;
		break;
	case 'r':
		t = hdr_r;
		break;
	case 's':
		t = hdr_s;
		break;
	case 't':
		t = hdr_t;
		break;
	case 'u':
		t = hdr_u;
		break;
	case 'v':
		t = hdr_v;
		break;
	case 'w':
		t = hdr_w;
		break;
	default:
		return SIP_HDR_OTHER;
	}
	for (; t->name.len != 0; t++)
		if (sip_eq_lower(name, t->name))
			return t->id;
	return SIP_HDR_OTHER;
}

/*
 * Scan the start line or header field beginning at buf[pos]. The data
 * ends at "end"; "end_is_limit" says that "end" is where max_msg_size
 * cuts the data rather than where the data stops. A field may span
 * several physical lines when "fold" is set (CRLF followed by SP/HT).
 *
 * On success *fend is the offset just after the field's final CRLF; an
 * empty line gives *fend == pos + 2. The field content (without that
 * CRLF) must not exceed max_line bytes. Returns 0, EAGAIN when the
 * field is not complete yet, EBADMSG on a bare LF or bare CR, or
 * EMSGSIZE when a limit is exceeded. NUL bytes are not looked for here:
 * the callers check the whole header section once it is complete (one
 * memchr instead of one per line).
 *
 * Every decision depends only on bytes before the point where the scan
 * stops, so a prefix of a stream either gets EAGAIN or the same answer
 * as the whole stream: sip_frame relies on this.
 */
static int
scan_field(const char *buf, size_t pos, size_t end, bool end_is_limit,
    size_t max_line, bool fold, size_t *fend)
{
	size_t avail = end - pos, wend, ls, q;
	bool wend_is_limit;
	const char *lf;

	/* The window holds the longest acceptable field plus its CRLF. */
	if (avail > max_line && avail - max_line >= 2) {
		wend = pos + max_line + 2;
		wend_is_limit = true;
	} else {
		wend = end;
		wend_is_limit = end_is_limit;
	}
	ls = pos;
	for (;;) {
		lf = memchr(buf + ls, '\n', wend - ls);
		if (lf == NULL)
			return wend_is_limit ? EMSGSIZE : EAGAIN;
		q = (size_t)(lf - buf);
		if (q == ls || buf[q - 1] != '\r')
			return EBADMSG;
		if (q - 1 > ls && memchr(buf + ls, '\r', q - 1 - ls) != NULL)
			return EBADMSG;
		if (!fold || q - 1 == pos) {
			*fend = q + 1;
			return 0;
		}
		/* Peek at the next byte: it decides about folding. */
		if (q + 1 >= end)
			return end_is_limit ? EMSGSIZE : EAGAIN;
		if (buf[q + 1] != ' ' && buf[q + 1] != '\t') {
			*fend = q + 1;
			return 0;
		}
		if (q + 1 >= wend)
			return EMSGSIZE;
		ls = q + 1;
	}
}

/*
 * Split the header field "f" (without its final CRLF) into name and
 * trimmed value: token *(SP/HT) ":" value. Returns 0 or EBADMSG.
 */
static int
split_field(struct str f, struct str *name, struct str *value)
{
	size_t n, i;

	n = sip_span(f, SIP_C_TOKEN);
	if (n == 0)
		return EBADMSG;
	i = n;
	while (i < f.len && (f.s[i] == ' ' || f.s[i] == '\t'))
		i++;
	if (i == f.len || f.s[i] != ':')
		return EBADMSG;
	*name = str_make(f.s, n);
	*value = sip_sv_trim(sip_sv_skip(f, i + 1));
	return 0;
}

/*
 * Frame one message at the front of a stream buffer. See sip.h. The
 * start line is only checked for being non-empty and well terminated;
 * sip_parse() validates it. Content-Length is mandatory on streams.
 */
int
sip_frame(
    const struct sip_limits *lim, const char *buf, size_t len, size_t *msglen)
{
	struct sip_limits def;
	struct str name, value;
	size_t end, pos, fend, maxh, nhdrs = 0;
	uint32_t cl = 0, v;
	bool have_cl = false, end_is_limit;
	int err;

	if (msglen == NULL || (buf == NULL && len > 0))
		return EINVAL;
	if (lim == NULL) {
		sip_limits_default(&def);
		lim = &def;
	}
	maxh = lim->max_headers < SIP_HARD_MAX_HEADERS ? lim->max_headers :
							 SIP_HARD_MAX_HEADERS;
	end_is_limit = len > lim->max_msg_size;
	end = end_is_limit ? lim->max_msg_size : len;

	err = scan_field(
	    buf, 0, end, end_is_limit, lim->max_line_len, false, &fend);
	if (err)
		return err;
	if (fend == 2)
		return EBADMSG;
	pos = fend;
	for (;;) {
		err = scan_field(buf, pos, end, end_is_limit, lim->max_line_len,
		    true, &fend);
		if (err)
			return err;
		if (fend - pos == 2)
			break;
		if (nhdrs >= maxh)
			return EMSGSIZE;
		nhdrs++;
		if (split_field(str_make(buf + pos, fend - pos - 2), &name,
			&value) != 0)
			return EBADMSG;
		pos = fend;
		if (sip_hdr_id_from_name(name) != SIP_HDR_CONTENT_LENGTH)
			continue;
		if (str_to_u32(value, &v) != 0)
			return EBADMSG;
		if (have_cl && v != cl)
			return EBADMSG;
		have_cl = true;
		cl = v;
	}
	if (!have_cl || memchr(buf, '\0', fend) != NULL)
		return EBADMSG;
	if (fend > lim->max_msg_size || cl > lim->max_msg_size - fend)
		return EMSGSIZE;
	if (len - fend < cl)
		return EAGAIN;
	*msglen = fend + cl;
	return 0;
}

static int
parse_request_line(struct sip_msg *msg, struct str l, size_t mlen)
{
	struct str rest;
	long sp;

	msg->is_request = true;
	msg->method_s = str_make(l.s, mlen);
	msg->method = sip_method_from_str(msg->method_s);
	if (mlen == l.len || l.s[mlen] != ' ')
		return EBADMSG;
	rest = sip_sv_skip(l, mlen + 1);
	sp = str_chr(rest, ' ');
	if (sp <= 0)
		return EBADMSG;
	msg->ruri_raw = str_make(rest.s, (size_t)sp);
	if (!str_eq_nocase(sip_sv_skip(rest, (size_t)sp + 1), STR("SIP/2.0")))
		return EBADMSG;
	return sip_uri_parse(msg->ruri_raw, &msg->ruri);
}

static int
parse_status_line(struct sip_msg *msg, struct str l)
{
	const char *c;

	if (l.len < 11 || !str_has_prefix_nocase(l, STR("SIP/2.0 ")))
		return EBADMSG;
	c = l.s + 8;
	if (c[0] < '1' || c[0] > '6' || !sip_is_digit(c[1]) ||
	    !sip_is_digit(c[2]))
		return EBADMSG;
	msg->status =
	    (uint16_t)((c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0'));
	/* The reason phrase may be empty; be lenient about its SP too. */
	if (l.len == 11) {
		msg->reason = str_make(l.s + 11, 0);
		return 0;
	}
	if (l.s[11] != ' ')
		return EBADMSG;
	msg->reason = sip_sv_skip(l, 12);
	return 0;
}

static int
parse_start_line(struct sip_msg *msg)
{
	struct str l = msg->start_line;
	size_t n;

	n = sip_span(l, SIP_C_TOKEN);
	if (n == 0)
		return EBADMSG;
	/* '/' is not a token character: only a SIP-Version has one. */
	if (n < l.len && l.s[n] == '/')
		return parse_status_line(msg, l);
	return parse_request_line(msg, l, n);
}

static int
parse_cseq(struct sip_cseq *cs, struct str v)
{
	size_t n, m;

	n = 0;
	while (n < v.len && sip_is_digit(v.s[n]))
		n++;
	/* RFC 3261 section 8.1.1.5: less than 2**31. */
	if (n == 0 ||
	    str_to_u32_max(str_make(v.s, n), 0x7fffffffU, &cs->num) != 0)
		return EBADMSG;
	v = sip_sv_skip(v, n);
	m = sip_span(v, SIP_C_LWS);
	if (m == 0)
		return EBADMSG;
	v = sip_sv_skip(v, m);
	n = sip_span(v, SIP_C_TOKEN);
	if (n == 0 || n != v.len)
		return EBADMSG;
	cs->method_s = v;
	cs->method = sip_method_from_str(v);
	return 0;
}

static int
parse_vias(struct sip_msg *msg, const struct sip_hdr *h, unsigned maxv)
{
	struct str rest = h->value, val;
	unsigned n = 0;

	/*
	 * Fast path: without ',' or '"' the value is one via-parm, and the
	 * character-by-character split of sip_hdr_next_value() is wasted.
	 * The result is the same: a '<' it would reject is not valid in
	 * a Via value either.
	 */
	if (rest.len > 0 && memchr(rest.s, ',', rest.len) == NULL &&
	    memchr(rest.s, '"', rest.len) == NULL) {
		if (msg->nvia >= maxv)
			return EMSGSIZE;
		if (sip_via_parse(rest, &msg->via[msg->nvia]) != 0)
			return EBADMSG;
		msg->via[msg->nvia++].hdr_idx = (unsigned)(h - msg->hdrs);
		return 0;
	}
	while (sip_hdr_next_value(&rest, &val)) {
		if (msg->nvia >= maxv)
			return EMSGSIZE;
		if (sip_via_parse(val, &msg->via[msg->nvia]) != 0)
			return EBADMSG;
		msg->via[msg->nvia].hdr_idx = (unsigned)(h - msg->hdrs);
		msg->nvia++;
		n++;
	}
	if (rest.s == NULL || n == 0)
		return EBADMSG;
	return 0;
}

/*
 * Call-ID: non-empty, no LWS inside (the value is trimmed). A fold
 * would leave a CR inside, and a bare LF never gets this far.
 */
static bool
callid_ok(struct str v)
{
	return v.len > 0 && memchr(v.s, ' ', v.len) == NULL &&
	    memchr(v.s, '\t', v.len) == NULL &&
	    memchr(v.s, '\r', v.len) == NULL;
}

/* Decode the header fields the parser itself guarantees. */
static int
decode_hdr(struct sip_msg *msg, const struct sip_hdr *h, unsigned maxv)
{
	uint32_t v;

	switch (h->id) {
	case SIP_HDR_VIA:
		return parse_vias(msg, h, maxv);
	case SIP_HDR_FROM:
	case SIP_HDR_TO:
		if (msg->count[h->id] != 0)
			return EBADMSG;
		{
			struct sip_addr *a =
			    h->id == SIP_HDR_FROM ? &msg->from : &msg->to;

			if (sip_addr_parse(h->value, a) != 0 || a->star)
				return EBADMSG;
		}
		return 0;
	case SIP_HDR_CALL_ID:
		if (msg->count[h->id] != 0 || !callid_ok(h->value))
			return EBADMSG;
		msg->call_id = h->value;
		return 0;
	case SIP_HDR_CSEQ:
		if (msg->count[h->id] != 0)
			return EBADMSG;
		return parse_cseq(&msg->cseq, h->value);
	case SIP_HDR_MAX_FORWARDS:
		if (msg->count[h->id] != 0 || str_to_u32(h->value, &v) != 0 ||
		    v > 255)
			return EBADMSG;
		msg->has_max_forwards = true;
		msg->max_forwards = v;
		return 0;
	case SIP_HDR_CONTENT_LENGTH:
		if (str_to_u32(h->value, &v) != 0)
			return EBADMSG;
		if (msg->has_content_length && v != msg->content_length)
			return EBADMSG;
		msg->has_content_length = true;
		msg->content_length = v;
		return 0;
	default:
		return 0;
	}
}

static void
msg_reset(struct sip_msg *msg)
{
	int i;

	/* hdrs[] and via[] are filled as they are counted: skip them. */
	msg->raw = STR_NULL;
	msg->is_request = false;
	msg->method = SIP_METHOD_UNKNOWN;
	msg->method_s = STR_NULL;
	msg->ruri_raw = STR_NULL;
	memset(&msg->ruri, 0, sizeof(msg->ruri));
	msg->status = 0;
	msg->reason = STR_NULL;
	msg->start_line = STR_NULL;
	msg->nhdrs = 0;
	for (i = 0; i < SIP_HDR__COUNT; i++)
		msg->first[i] = -1;
	memset(msg->count, 0, sizeof(msg->count));
	msg->nvia = 0;
	msg->call_id = STR_NULL;
	memset(&msg->cseq, 0, sizeof(msg->cseq));
	memset(&msg->from, 0, sizeof(msg->from));
	memset(&msg->to, 0, sizeof(msg->to));
	msg->has_max_forwards = false;
	msg->max_forwards = 0;
	msg->has_content_length = false;
	msg->content_length = 0;
	msg->headers_end = STR_NULL;
	msg->body = STR_NULL;
}

/*
 * Parse one message. See sip.h for the contract; the choices left open
 * there are: bare LF, bare CR and NUL in the start line or headers are
 * EBADMSG; folded lines stay inside hdr->value (decoders treat CR/LF as
 * LWS); CRLFs before the start line are skipped (RFC 3261 section 7.5)
 * and msg->raw starts at the start line; the SIP-Version is compared
 * case-insensitively; a response may omit its reason phrase; From, To,
 * Call-ID, CSeq and Max-Forwards may appear only once; Max-Forwards
 * above 255 is EBADMSG; the CSeq method is not compared with the
 * request method (the sanity guard does that).
 */
int
sip_parse(const struct sip_limits *lim, struct sip_msg *msg, const char *buf,
    size_t len)
{
	struct sip_limits def;
	struct sip_hdr *h;
	size_t start, pos, fend;
	unsigned maxh, maxv;
	int err;

	if (msg == NULL || (buf == NULL && len > 0))
		return EINVAL;
	if (lim == NULL) {
		sip_limits_default(&def);
		lim = &def;
	}
	msg_reset(msg);
	if (len > lim->max_msg_size)
		return EMSGSIZE;
	maxh = lim->max_headers < SIP_HARD_MAX_HEADERS ? lim->max_headers :
							 SIP_HARD_MAX_HEADERS;
	maxv =
	    lim->max_via < SIP_HARD_MAX_VIA ? lim->max_via : SIP_HARD_MAX_VIA;

	start = 0;
	while (len - start >= 2 && buf[start] == '\r' && buf[start + 1] == '\n')
		start += 2;
	err =
	    scan_field(buf, start, len, false, lim->max_line_len, false, &fend);
	if (err)
		return err == EAGAIN ? EBADMSG : err;
	msg->start_line = str_make(buf + start, fend - start - 2);
	err = parse_start_line(msg);
	if (err)
		return err;

	for (pos = fend;; pos = fend) {
		err = scan_field(
		    buf, pos, len, false, lim->max_line_len, true, &fend);
		if (err)
			return err == EAGAIN ? EBADMSG : err;
		if (fend - pos == 2)
			break;
		if (msg->nhdrs >= maxh)
			return EMSGSIZE;
		h = &msg->hdrs[msg->nhdrs];
		h->line = str_make(buf + pos, fend - pos);
		if (split_field(str_make(buf + pos, fend - pos - 2), &h->name,
			&h->value) != 0)
			return EBADMSG;
		h->id = sip_hdr_id_from_name(h->name);
		err = decode_hdr(msg, h, maxv);
		if (err)
			return err;
		if (msg->first[h->id] < 0)
			msg->first[h->id] = (int)msg->nhdrs;
		if (msg->count[h->id] < UINT8_MAX)
			msg->count[h->id]++;
		msg->nhdrs++;
	}
	msg->headers_end = str_make(buf + pos, 0);
	if (memchr(buf + start, '\0', fend - start) != NULL)
		return EBADMSG;

	if (msg->nvia == 0 || msg->first[SIP_HDR_FROM] < 0 ||
	    msg->first[SIP_HDR_TO] < 0 || msg->first[SIP_HDR_CALL_ID] < 0 ||
	    msg->first[SIP_HDR_CSEQ] < 0)
		return EBADMSG;

	if (msg->has_content_length) {
		if (msg->content_length > len - fend)
			return EBADMSG;
		msg->body = str_make(buf + fend, msg->content_length);
	} else
		msg->body = str_make(buf + fend, len - fend);
	msg->raw = str_make(buf + start, fend + msg->body.len - start);
	return 0;
}

/* First header with id "id", or NULL. */
const struct sip_hdr *
sip_msg_hdr(const struct sip_msg *msg, enum sip_hdr_id id)
{
	if ((unsigned)id >= SIP_HDR__COUNT || msg->first[id] < 0)
		return NULL;
	return &msg->hdrs[msg->first[id]];
}

/*
 * Next header after "h" with the same id (for SIP_HDR_OTHER: with the
 * same name, case-insensitive), or NULL.
 */
const struct sip_hdr *
sip_msg_hdr_next(const struct sip_msg *msg, const struct sip_hdr *h)
{
	const struct sip_hdr *end = msg->hdrs + msg->nhdrs, *n;

	if (h == NULL || h < msg->hdrs || h >= end)
		return NULL;
	for (n = h + 1; n < end; n++) {
		if (n->id != h->id)
			continue;
		if (h->id != SIP_HDR_OTHER || str_eq_nocase(n->name, h->name))
			return n;
	}
	return NULL;
}

/* First header whose name matches "name" (case-insensitive), or NULL. */
const struct sip_hdr *
sip_msg_hdr_by_name(const struct sip_msg *msg, struct str name)
{
	enum sip_hdr_id id = sip_hdr_id_from_name(name);
	unsigned i;

	if (id != SIP_HDR_OTHER)
		return sip_msg_hdr(msg, id);
	for (i = 0; i < msg->nhdrs; i++)
		if (msg->hdrs[i].id == SIP_HDR_OTHER &&
		    str_eq_nocase(msg->hdrs[i].name, name))
			return &msg->hdrs[i];
	return NULL;
}

/*
 * guard/feed.c -- ban lists in and out (see feed.h).
 *
 * Parsing works on (buf, len) views and never hands the input to a
 * NUL-stopping libc function: a token is copied into a bounded local
 * buffer first, so NUL bytes, a missing final newline or a huge line
 * are just bad input. Every format is parsed twice over the same bytes:
 * the first pass validates and counts, the second calls the entry
 * callback; only the first pass can fail, so a bad feed calls nothing.
 *
 * Formats, as read:
 *
 *   FEED_PLAIN    one IPv4/IPv6 address or CIDR range per line. Blank
 *                 lines and everything from '#' to the end of a line are
 *                 ignored; CRLF is accepted. A range with host bits set
 *                 (1.2.3.4/24) is accepted and masked (1.2.3.0/24): lists
 *                 in the wild are sloppy and the intent is unambiguous.
 *   FEED_RBLDNSD  rbldnsd data as rbldnsd(8) reads it: ip4set lines
 *                 ("1.2.3.4", "1.2.3.0/24", "1.2.3" = 1.2.3.0/24,
 *                 "127/8", ranges "1.2.3.4-1.2.3.10", "1.2.3.4-10",
 *                 "127.16-31", expanded into CIDR ranges), ip6trie and
 *                 ip6tset lines ("2001:db8::/32", "2001:db8:1:2" =
 *                 2001:db8:1:2::/64), an optional value part
 *                 (":127.0.0.2:text" or "text"; its TXT becomes the
 *                 entry's reason), ':' default-value lines, '#' and ';'
 *                 comments, '$' special lines (ignored) and the
 *                 "$DATASET type" sections of a combined dataset: ip4*
 *                 sections hold IPv4, ip6* sections IPv6, other types
 *                 (generic, dnset, acl, ...) are skipped. Outside a
 *                 section each line says its family itself. Host bits
 *                 are masked (as "rbldnsd -e"). Exclusions ("!1.2.3.4")
 *                 are refused: a ban list cannot express "except".
 *   FEED_JSON     {"version":1,"bans":[{"addr":"192.0.2.7/32",
 *                 "reason":"scanner","until":1790000000}, ...]};
 *                 "version" may be absent, "reason" and "until" too;
 *                 unknown members are ignored.
 *   FEED_APIBAN   {"ipaddress":["1.2.3.4", ...],"ID":"1234567890"}; an
 *                 "ID" of "none" ({"ipaddress":["no new bans"],"ID":
 *                 "none"}, APIBan's 400 answer) means no entries.
 *
 * Written (feed_write):
 *
 *   FEED_PLAIN    one range per line, bare addresses for /32 and /128.
 *   FEED_JSON     the format above, one ban per line.
 *   FEED_RBLDNSD  one file holds one rbldnsd dataset type, and a ban
 *                 list holds IPv4 and IPv6; so the file is a "combined"
 *                 dataset: "$DATASET ip4set:centinela-ipv4 @" then the
 *                 IPv4 ranges, "$DATASET ip6trie:centinela-ipv6 @" then
 *                 the IPv6 ranges (written in full, no "::", which every
 *                 rbldnsd version reads), each with ":127.0.0.2:reason"
 *                 when a reason is known. Serve it with
 *                 "rbldnsd ... zone:combined:file". Nothing is skipped.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/log.h"
#include "guard/feed.h"

/* At most this many entries (after range expansion) in one feed. */
#define FEED_ENTRIES_MAX (1u << 22)
/* Bytes of a reason kept (rbldnsd's TXT limit). */
#define FEED_REASON_MAX 255
/* Bytes of a bad line quoted in an error message. */
#define FEED_QUOTE_MAX 48
/* APIBan IDs: at most this long, letters, digits, '-' and '_'. */
#define FEED_ID_MAX 64
/* The schedule's fetch timeout and APIBan pages fetched in one round. */
#define FEED_FETCH_TIMEOUT_MS 30000u
#define FEED_APIBAN_PAGES 64
#define FEED_URL_MAX (CFG_PATH_MAX + FEED_ID_MAX + 2)

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A character of an APIBan ID (it goes into the next URL). */
static bool
is_token(char c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
	    c == '-' || c == '_';
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Quote at most FEED_QUOTE_MAX bytes of "s" for an error message:
 * printable ASCII as is, '"' and '\' escaped, anything else as \xNN.
 */
static const char *
quote(struct str s, char *out, size_t cap)
{
	size_t i, o = 0, n = s.len < FEED_QUOTE_MAX ? s.len : FEED_QUOTE_MAX;

	for (i = 0; i < n && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)s.s[i];

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
	}
	if (i < s.len && o + 4 < cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* The canonical range: IPv4-mapped IPv6 as IPv4, host bits zero. */
static void
canon(struct cidr *c)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
		0xff };

	if (c->family == AF_INET6 && c->prefix >= 96 &&
	    memcmp(c->addr, mapped, 12) == 0) {
		memmove(c->addr, c->addr + 12, 4);
		c->family = AF_INET;
		c->prefix -= 96;
	}
	cidr_mask(c);
}

/* cidr_parse() of a view: 0 or EINVAL. */
static int
parse_cidr_view(struct str s, struct cidr *c)
{
	char buf[CIDR_STRLEN + 1];

	if (s.len == 0 || s.len >= sizeof(buf) || memchr(s.s, '\0', s.len))
		return EINVAL;
	memcpy(buf, s.s, s.len);
	buf[s.len] = '\0';
	if (cidr_parse(buf, c))
		return EINVAL;
	canon(c);
	return 0;
}

/* ---- parsing: the two passes ---------------------------------------- */

enum rbl_mode {
	RBL_AUTO, /* outside a $DATASET section: each line says */
	RBL_V4,
	RBL_V6,
	RBL_SKIP /* a section of a type that holds no listed addresses */
};

struct parse {
	feed_entry_h *h; /* NULL: the validation pass */
	void *arg;
	size_t n; /* entries so far */
	unsigned long line;
	char *err;
	size_t errlen;
	enum rbl_mode mode;
	struct str deftxt; /* TXT of the last ':' default line */
};

static void
parse_reset(struct parse *ps)
{
	ps->n = 0;
	ps->line = 0;
	ps->mode = RBL_AUTO;
	ps->deftxt = STR_NULL;
}

/*
 * One entry: counted in the validation pass, handed to the callback in
 * the second. The reason is copied (bounded, control bytes replaced) so
 * that it is a C string whatever the input held.
 */
static int
emit(struct parse *ps, const struct cidr *c, struct str reason, int64_t until)
{
	struct feed_entry e;
	char rbuf[FEED_REASON_MAX + 1];
	size_t i, n;

	if (!ps->h) {
		if (++ps->n > FEED_ENTRIES_MAX) {
			if (ps->line)
				seterr(ps->err, ps->errlen,
				    "more than %u entries (line %lu)",
				    FEED_ENTRIES_MAX, ps->line);
			else
				seterr(ps->err, ps->errlen,
				    "more than %u entries", FEED_ENTRIES_MAX);
			return E2BIG;
		}
		return 0;
	}
	memset(&e, 0, sizeof(e));
	e.range = *c;
	canon(&e.range);
	if (reason.len) {
		n = reason.len;
		if (n > FEED_REASON_MAX) {
			/* Cut at a character boundary: keep UTF-8 valid. */
			n = FEED_REASON_MAX;
			while (n > 0 && (reason.s[n] & 0xc0) == 0x80)
				n--;
		}
		for (i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)reason.s[i];

			rbuf[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
		}
		rbuf[n] = '\0';
		e.reason = rbuf;
	}
	e.until = until;
	ps->n++;
	return ps->h(&e, ps->arg);
}

static int
bad_line(struct parse *ps, struct str l, const char *what)
{
	char q[FEED_QUOTE_MAX * 4 + 8];

	seterr(ps->err, ps->errlen, "line %lu: \"%s\" %s", ps->line,
	    quote(l, q, sizeof(q)), what);
	return EINVAL;
}

typedef int(line_h)(struct parse *ps, struct str line);

/* Call fn for every line ('\n' or "\r\n" ended, the last maybe not). */
static int
scan_lines(struct parse *ps, const char *buf, size_t len, line_h *fn)
{
	size_t pos = 0, end;
	const char *nl;
	struct str l;
	int err;

	while (pos < len) {
		nl = memchr(buf + pos, '\n', len - pos);
		end = nl ? (size_t)(nl - buf) : len;
		l = str_make(buf + pos, end - pos);
		if (l.len && l.s[l.len - 1] == '\r')
			l.len--;
		ps->line++;
		if ((err = fn(ps, l)) != 0)
			return err;
		pos = end + 1;
	}
	return 0;
}

static int
plain_line(struct parse *ps, struct str l)
{
	long hash = str_chr(l, '#');
	struct cidr c;

	if (hash >= 0)
		l.len = (size_t)hash;
	l = str_trim(l);
	if (!l.len)
		return 0;
	/* Host bits set (1.2.3.4/24) are masked, not refused: see above. */
	if (parse_cidr_view(l, &c))
		return bad_line(ps, l, "is not an address or CIDR range");
	return emit(ps, &c, STR_NULL, 0);
}

/* ---- rbldnsd -------------------------------------------------------- */

static uint32_t
mask4(unsigned bits)
{
	return bits ? 0xffffffffu << (32 - bits) : 0;
}

/*
 * 1 to 4 dotted decimal octets ("127", "127.16", "1.2.3.4"): the value
 * left-aligned in *v. Returns the octet count, 0 when malformed.
 */
static unsigned
v4_prefix(struct str *s, uint32_t *v)
{
	size_t i = 0;
	unsigned n = 0, o, nd;
	uint32_t a = 0;

	for (;;) {
		for (o = 0, nd = 0; i < s->len && is_digit(s->s[i]); i++, nd++)
			if ((o = o * 10 + (unsigned)(s->s[i] - '0')) > 255)
				return 0;
		if (!nd)
			return 0;
		a |= (uint32_t)o << (24 - 8 * n);
		n++;
		if (n == 4 || i >= s->len || s->s[i] != '.')
			break;
		i++;
	}
	*v = a;
	*s = str_skip(*s, i);
	return n;
}

/* "/bits" at the front of *s, at most "max": 0 or EINVAL. */
static int
prefix_len(struct str *s, unsigned max, unsigned *bits)
{
	size_t i = 1;
	unsigned b = 0;

	if (s->len < 2 || s->s[0] != '/' || !is_digit(s->s[1]))
		return EINVAL;
	for (; i < s->len && is_digit(s->s[i]); i++)
		if ((b = b * 10 + (unsigned)(s->s[i] - '0')) > max)
			return EINVAL;
	*bits = b;
	*s = str_skip(*s, i);
	return 0;
}

/*
 * An ip4set address, prefix, CIDR or range at the front of *s (the
 * rules of rbldnsd's ip4range()): *lo..*hi inclusive; *bits is the
 * prefix length, or -1 for a range to expand.
 */
static int
rbl_v4(struct str *s, uint32_t *lo, uint32_t *hi, int *bits)
{
	uint32_t a, b;
	unsigned n, n2, mb;

	if (!(n = v4_prefix(s, &a)))
		return EINVAL;
	if (s->len && s->s[0] == '-') {
		*s = str_skip(*s, 1);
		if (!(n2 = v4_prefix(s, &b)))
			return EINVAL;
		if (n2 == 1) /* "1.2.3.4-10": replaces the last octet given */
			b = (b >> (8 * (n - 1))) | (a & mask4(8 * (n - 1)));
		else if (n2 != n) /* "1.2-1.2.3.4" */
			return EINVAL;
		b |= ~mask4(8 * n);
		if (a > b)
			return EINVAL;
		*lo = a;
		*hi = b;
		*bits = -1;
		return 0;
	}
	if (s->len && s->s[0] == '/') {
		if (prefix_len(s, 32, &mb))
			return EINVAL;
	} else if (n == 1) /* a bare number: rbldnsd wants "127/8" */
		return EINVAL;
	else
		mb = 8 * n;
	*lo = a & mask4(mb);
	*hi = *lo | ~mask4(mb);
	*bits = (int)mb;
	return 0;
}

/*
 * An ip6trie/ip6tset range at the front of *s: a full or "::" address
 * (/128), or 2 to 8 leading groups ("2001:db8:1:2" = /64), then an
 * optional "/bits".
 */
static int
rbl_v6(struct str *s, struct cidr *c)
{
	char buf[INET6_ADDRSTRLEN];
	struct str tok;
	size_t i = 0, groups = 0;
	unsigned bits, v, nd;

	while (i < s->len && (is_hex(s->s[i]) || s->s[i] == ':'))
		i++;
	tok = str_sub(*s, 0, i);
	*s = str_skip(*s, i);
	memset(c, 0, sizeof(*c));
	c->family = AF_INET6;
	if (tok.len >= 2 && memmem(tok.s, tok.len, "::", 2)) {
		if (tok.len >= sizeof(buf))
			return EINVAL;
		memcpy(buf, tok.s, tok.len);
		buf[tok.len] = '\0';
		if (inet_pton(AF_INET6, buf, c->addr) != 1)
			return EINVAL;
		bits = 128;
	} else {
		for (i = 0; i <= tok.len; i++) {
			for (v = 0, nd = 0; i < tok.len && tok.s[i] != ':';
			     i++, nd++)
				v = v * 16 +
				    (unsigned)(is_digit(tok.s[i]) ?
					    tok.s[i] - '0' :
					    (tok.s[i] | 0x20) - 'a' + 10);
			if (nd == 0 || nd > 4 || groups == 8)
				return EINVAL;
			c->addr[2 * groups] = (uint8_t)(v >> 8);
			c->addr[2 * groups + 1] = (uint8_t)v;
			groups++;
		}
		bits = (unsigned)(16 * groups);
	}
	if (s->len && s->s[0] == '/') {
		if (prefix_len(s, 128, &bits))
			return EINVAL;
	} else if (groups == 1) /* a bare number */
		return EINVAL;
	c->prefix = bits;
	return 0;
}

/* Does a line outside any section hold an IPv6 range? */
static bool
looks_v6(struct str l)
{
	size_t i = 0;

	if (l.len >= 2 && l.s[0] == ':' && l.s[1] == ':')
		return true;
	while (i < l.len && is_hex(l.s[i]))
		i++;
	return i < l.len && l.s[i] == ':';
}

/* The TXT of a value part: ":A:TXT", ":A" (none) or "TXT". */
static struct str
rbl_txt(struct str v)
{
	long c;

	v = str_trim(v);
	if (v.len && v.s[0] == ':') {
		c = str_chr(str_skip(v, 1), ':');
		if (c < 0)
			return STR_NULL;
		v = str_trim(str_skip(v, (size_t)c + 2));
	}
	if (!v.len || v.s[0] == '#')
		return STR_NULL;
	return v;
}

/* A '$' line: only "$DATASET type[:name] subzone..." matters. */
static int
rbl_special(struct parse *ps, struct str l, struct str s)
{
	struct str kw, type;
	size_t i = 0;

	while (i < s.len && !is_blank(s.s[i]))
		i++;
	kw = str_sub(s, 0, i);
	if (!str_eq_nocase(kw, STR("DATASET")))
		return 0;
	s = str_trim(str_skip(s, i));
	for (i = 0; i < s.len && s.s[i] != ':' && !is_blank(s.s[i]); i++)
		;
	type = str_sub(s, 0, i);
	if (!type.len)
		return bad_line(ps, l, "has no dataset type");
	if (str_eq_nocase(type, STR("ip4set")) ||
	    str_eq_nocase(type, STR("ip4trie")) ||
	    str_eq_nocase(type, STR("ip4tset")))
		ps->mode = RBL_V4;
	else if (str_eq_nocase(type, STR("ip6trie")) ||
	    str_eq_nocase(type, STR("ip6tset")))
		ps->mode = RBL_V6;
	else
		ps->mode = RBL_SKIP;
	ps->deftxt = STR_NULL;
	return 0;
}

static int
rbl_v4_emit(
    struct parse *ps, uint32_t lo, uint32_t hi, int bits, struct str txt)
{
	struct cidr c;
	uint64_t a = lo, end = (uint64_t)hi + 1, sz;
	unsigned k;
	int err;

	memset(&c, 0, sizeof(c));
	c.family = AF_INET;
	if (bits >= 0) {
		c.addr[0] = (uint8_t)(lo >> 24);
		c.addr[1] = (uint8_t)(lo >> 16);
		c.addr[2] = (uint8_t)(lo >> 8);
		c.addr[3] = (uint8_t)lo;
		c.prefix = (unsigned)bits;
		return emit(ps, &c, txt, 0);
	}
	/* A range: the largest aligned blocks, at most 62 of them. */
	while (a < end) {
		for (k = 0; k < 32; k++) {
			sz = (uint64_t)1 << (k + 1);
			if ((a & (sz - 1)) != 0 || a + sz > end)
				break;
		}
		c.addr[0] = (uint8_t)(a >> 24);
		c.addr[1] = (uint8_t)(a >> 16);
		c.addr[2] = (uint8_t)(a >> 8);
		c.addr[3] = (uint8_t)a;
		c.prefix = 32 - k;
		if ((err = emit(ps, &c, txt, 0)) != 0)
			return err;
		a += (uint64_t)1 << k;
	}
	return 0;
}

static int
rbl_line(struct parse *ps, struct str l)
{
	struct str rest, txt;
	struct cidr c;
	uint32_t lo, hi;
	int bits;
	bool v6;
	char c0;

	l = str_trim(l);
	if (!l.len)
		return 0;
	c0 = l.s[0];
	if (c0 == '$')
		return rbl_special(ps, l, str_skip(l, 1));
	if ((c0 == '#' || c0 == ':') && l.len > 1 && l.s[1] == '$')
		return rbl_special(ps, l, str_skip(l, 2));
	if (c0 == '#' || c0 == ';' || ps->mode == RBL_SKIP)
		return 0;
	if (c0 == ':' && (ps->mode == RBL_V4 || l.len < 2 || l.s[1] != ':')) {
		ps->deftxt = rbl_txt(l);
		return 0;
	}
	if (c0 == '!')
		return bad_line(
		    ps, l, "is an exclusion; exclusions are not supported");
	v6 = ps->mode == RBL_V6 || (ps->mode == RBL_AUTO && looks_v6(l));
	rest = l;
	if (v6 ? rbl_v6(&rest, &c) : rbl_v4(&rest, &lo, &hi, &bits))
		goto bad;
	if (rest.len && !is_blank(rest.s[0]) && rest.s[0] != '#' &&
	    rest.s[0] != ';' && (v6 || rest.s[0] != ':'))
		goto bad;
	rest = str_trim(rest);
	if (!rest.len || rest.s[0] == '#' || rest.s[0] == ';')
		txt = ps->deftxt;
	else
		txt = rbl_txt(rest);
	if (v6)
		return emit(ps, &c, txt, 0);
	return rbl_v4_emit(ps, lo, hi, bits, txt);
bad:
	return bad_line(ps, l, "is not an address, range or CIDR range");
}

/* ---- JSON ----------------------------------------------------------- */

static int
addr_json(
    struct parse *ps, json_t *a, const char *what, size_t i, struct cidr *c)
{
	char q[FEED_QUOTE_MAX * 4 + 8];
	struct str s;

	if (!json_is_string(a)) {
		seterr(ps->err, ps->errlen, "%s[%zu]: not a string", what, i);
		return EINVAL;
	}
	s = str_make(json_string_value(a), json_string_length(a));
	if (parse_cidr_view(s, c)) {
		seterr(ps->err, ps->errlen,
		    "%s[%zu]: \"%s\" is not an address or CIDR range", what, i,
		    quote(s, q, sizeof(q)));
		return EINVAL;
	}
	return 0;
}

static int
json_bans(struct parse *ps, json_t *root)
{
	json_t *v, *bans, *b, *r, *u;
	struct cidr c;
	struct str reason;
	int64_t until;
	size_t i;
	int err;

	v = json_object_get(root, "version");
	if (v && !(json_is_integer(v) && json_integer_value(v) == 1)) {
		seterr(ps->err, ps->errlen, "\"version\" is not 1");
		return EINVAL;
	}
	bans = json_object_get(root, "bans");
	if (!json_is_array(bans)) {
		seterr(
		    ps->err, ps->errlen, "\"bans\" is missing or not an array");
		return EINVAL;
	}
	json_array_foreach(bans, i, b)
	{
		if (!json_is_object(b)) {
			seterr(
			    ps->err, ps->errlen, "bans[%zu]: not an object", i);
			return EINVAL;
		}
		if ((err = addr_json(
			 ps, json_object_get(b, "addr"), "bans", i, &c)) != 0) {
			if (!json_object_get(b, "addr"))
				seterr(ps->err, ps->errlen,
				    "bans[%zu]: no \"addr\"", i);
			return err;
		}
		reason = STR_NULL;
		r = json_object_get(b, "reason");
		if (json_is_string(r))
			reason = str_make(
			    json_string_value(r), json_string_length(r));
		else if (r && !json_is_null(r)) {
			seterr(ps->err, ps->errlen,
			    "bans[%zu]: \"reason\" is not a string", i);
			return EINVAL;
		}
		until = 0;
		u = json_object_get(b, "until");
		if (json_is_integer(u) && json_integer_value(u) >= 0)
			until = (int64_t)json_integer_value(u);
		else if (u && !json_is_null(u)) {
			seterr(ps->err, ps->errlen,
			    "bans[%zu]: \"until\" is not a non-negative "
			    "integer",
			    i);
			return EINVAL;
		}
		if ((err = emit(ps, &c, reason, until)) != 0)
			return err;
	}
	return 0;
}

/* APIBan's "ID" into id (cap FEED_ID_MAX): "" for "none". */
static int
apiban_id(struct parse *ps, json_t *root, char *id)
{
	json_t *v = json_object_get(root, "ID");
	struct str s;
	size_t i;

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		snprintf(id, FEED_ID_MAX, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return 0;
	}
	if (!json_is_string(v)) {
		seterr(
		    ps->err, ps->errlen, "\"ID\" is missing or not a string");
		return EINVAL;
	}
	s = str_make(json_string_value(v), json_string_length(v));
	if (str_eq(s, STR("none"))) {
		id[0] = '\0';
		return 0;
	}
	if (s.len == 0 || s.len >= FEED_ID_MAX)
		goto bad;
	for (i = 0; i < s.len; i++)
		if (!is_token(s.s[i]))
			goto bad;
	memcpy(id, s.s, s.len);
	id[s.len] = '\0';
	return 0;
bad:
	seterr(ps->err, ps->errlen,
	    "\"ID\" is not a token of 1 to %d letters, digits, '-' or '_'",
	    FEED_ID_MAX - 1);
	return EINVAL;
}

static int
json_apiban(struct parse *ps, json_t *root, char *id)
{
	json_t *ips, *a;
	struct cidr c;
	size_t i;
	int err;

	if ((err = apiban_id(ps, root, id)) != 0)
		return err;
	if (id[0] == '\0') /* "none": "ipaddress" is a message */
		return 0;
	ips = json_object_get(root, "ipaddress");
	if (!json_is_array(ips)) {
		seterr(ps->err, ps->errlen,
		    "\"ipaddress\" is missing or not an array");
		return EINVAL;
	}
	json_array_foreach(ips, i, a)
	{
		if ((err = addr_json(ps, a, "ipaddress", i, &c)) != 0)
			return err;
		if ((err = emit(ps, &c, STR_NULL, 0)) != 0)
			return err;
	}
	return 0;
}

static int
parse_json(struct parse *ps, enum feed_format fmt, const char *buf, size_t len,
    feed_entry_h *h, void *arg, char *next_id, size_t idcap)
{
	char id[FEED_ID_MAX];
	json_error_t je;
	json_t *root;
	int err;

	/* jansson bounds nesting depth itself (JSON_PARSER_MAX_DEPTH). */
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		seterr(ps->err, ps->errlen, "line %d column %d: %s", je.line,
		    je.column, je.text);
		return EINVAL;
	}
	if (!json_is_object(root)) {
		seterr(ps->err, ps->errlen, "not a JSON object");
		err = EINVAL;
		goto out;
	}
	err =
	    fmt == FEED_JSON ? json_bans(ps, root) : json_apiban(ps, root, id);
	if (err)
		goto out;
	if (fmt == FEED_APIBAN && next_id && strlen(id) >= idcap) {
		seterr(ps->err, ps->errlen, "\"ID\" longer than %zu bytes",
		    idcap - 1);
		err = EINVAL;
		goto out;
	}
	if (h) {
		parse_reset(ps);
		ps->h = h;
		ps->arg = arg;
		err = fmt == FEED_JSON ? json_bans(ps, root) :
					 json_apiban(ps, root, id);
	}
	if (!err && fmt == FEED_APIBAN && next_id)
		snprintf(next_id, idcap, "%s", id);
out:
	json_decref(root);
	return err;
}

/*
 * Parse "buf" as "fmt" (see feed.h). h may be NULL: validate only. On
 * any error nothing was called and *next_id is untouched.
 */
int
feed_parse(enum feed_format fmt, const char *buf, size_t len, feed_entry_h *h,
    void *arg, char *next_id, size_t idcap, char *err, size_t errlen)
{
	struct parse ps;
	line_h *fn;
	int rc;

	seterr(err, errlen, "%s", "");
	if ((!buf && len) || (next_id && !idcap)) {
		seterr(err, errlen, "bad arguments");
		return EINVAL;
	}
	if (len > FEED_MAX_BYTES) {
		seterr(err, errlen, "%zu bytes, more than the %u allowed", len,
		    FEED_MAX_BYTES);
		return E2BIG;
	}
	if (!buf)
		buf = "";
	memset(&ps, 0, sizeof(ps));
	ps.err = err;
	ps.errlen = errlen;
	parse_reset(&ps);
	switch (fmt) {
	case FEED_PLAIN:
		fn = plain_line;
		break;
	case FEED_RBLDNSD:
		fn = rbl_line;
		break;
	case FEED_JSON:
	case FEED_APIBAN:
		return parse_json(&ps, fmt, buf, len, h, arg, next_id, idcap);
	default:
		seterr(err, errlen, "unknown feed format %d", (int)fmt);
		return EINVAL;
	}
	if ((rc = scan_lines(&ps, buf, len, fn)) != 0 || !h)
		return rc;
	parse_reset(&ps);
	ps.h = h;
	ps.arg = arg;
	return scan_lines(&ps, buf, len, fn);
}

/* ---- writing -------------------------------------------------------- */

/* The address of c, without the prefix for a single host. */
static int
fmt_range(const struct cidr *c, bool bare_host, char *buf, size_t cap)
{
	unsigned max = c->family == AF_INET ? 32 : 128;

	if ((c->family != AF_INET && c->family != AF_INET6) || c->prefix > max)
		return EINVAL;
	if (bare_host && c->prefix == max) {
		if (!inet_ntop(c->family, c->addr, buf, (socklen_t)cap))
			return EINVAL;
	} else
		cidr_fmt(c, buf, cap);
	return 0;
}

/* A reason that is not UTF-8, with every byte above 0x7f as '?'. */
static json_t *
json_string_ascii(const char *r)
{
	size_t i, n = strlen(r);
	json_t *js;
	char *a;

	if (!(a = malloc(n + 1)))
		return NULL;
	for (i = 0; i <= n; i++)
		a[i] = (unsigned char)r[i] > 0x7f ? '?' : r[i];
	js = json_string(a);
	free(a);
	return js;
}

static int
write_json_entry(
    FILE *f, const struct feed_entry *e, const struct cidr *c, bool first)
{
	char a[CIDR_STRLEN];
	json_t *js;
	char *s;

	if (fmt_range(c, false, a, sizeof(a)))
		return EINVAL;
	fprintf(f, "%s{\"addr\":\"%s\"", first ? "\n" : ",\n", a);
	if (e->reason) {
		if (!(js = json_string(e->reason)) &&
		    !(js = json_string_ascii(e->reason)))
			return ENOMEM;
		s = json_dumps(js, JSON_ENCODE_ANY);
		json_decref(js);
		if (!s)
			return ENOMEM;
		fprintf(f, ",\"reason\":%s", s);
		free(s);
	}
	if (e->until > 0)
		fprintf(f, ",\"until\":%" PRId64, e->until);
	fputs("}", f);
	return 0;
}

/* rbldnsd TXT: printable ASCII, no '$' (rbldnsd substitutes it). */
static void
write_rbl_txt(FILE *f, const char *r)
{
	size_t i;

	while (*r == ' ')
		r++;
	fputs(" :127.0.0.2:", f);
	for (i = 0; r[i] && i < FEED_REASON_MAX; i++) {
		unsigned char ch = (unsigned char)r[i];

		if (ch < 0x20 || ch > 0x7e || ch == '$' ||
		    (i == 0 && ch == '#'))
			ch = '_';
		fputc(ch, f);
	}
}

static int
write_rbl_entry(
    FILE *f4, FILE *f6, const struct feed_entry *e, const struct cidr *c)
{
	char a[CIDR_STRLEN];
	const uint8_t *p = c->addr;
	FILE *f;

	if (fmt_range(c, true, a, sizeof(a)))
		return EINVAL;
	if (c->family == AF_INET) {
		f = f4;
		fputs(a, f);
	} else {
		f = f6;
		fprintf(f, "%x:%x:%x:%x:%x:%x:%x:%x/%u", p[0] << 8 | p[1],
		    p[2] << 8 | p[3], p[4] << 8 | p[5], p[6] << 8 | p[7],
		    p[8] << 8 | p[9], p[10] << 8 | p[11], p[12] << 8 | p[13],
		    p[14] << 8 | p[15], c->prefix);
	}
	if (e->reason && e->reason[0])
		write_rbl_txt(f, e->reason);
	fputc('\n', f);
	return 0;
}

/*
 * Write every entry "next" gives to f in "fmt" (not FEED_APIBAN; see
 * the top of this file for the layouts). A JSON reason that is not
 * UTF-8 is written with '?' for its bytes above 0x7f. Returns 0, EINVAL
 * (bad arguments or a bad range; the output is then incomplete), ENOMEM
 * or EIO (a write failed).
 */
int
feed_write(FILE *f, enum feed_format fmt, feed_iter_h *next, void *arg)
{
	struct feed_entry e;
	struct cidr c;
	char a[CIDR_STRLEN];
	char *v6 = NULL;
	size_t v6len = 0;
	FILE *f6 = NULL;
	bool first = true;
	int err = 0;

	if (!f || !next ||
	    (fmt != FEED_PLAIN && fmt != FEED_JSON && fmt != FEED_RBLDNSD))
		return EINVAL;
	if (fmt == FEED_PLAIN)
		fputs("# centinela ban list: one address or CIDR range per "
		      "line\n",
		    f);
	else if (fmt == FEED_JSON)
		fputs("{\"version\":1,\"bans\":[", f);
	else {
		/* IPv6 lines wait in memory for their own section. */
		if (!(f6 = open_memstream(&v6, &v6len)))
			return ENOMEM;
		fputs("# centinela ban list: rbldnsd combined dataset, "
		      "serve as zone:combined:file\n"
		      "$DATASET ip4set:centinela-ipv4 @\n",
		    f);
	}
	for (;;) {
		memset(&e, 0, sizeof(e));
		if (!next(&e, arg))
			break;
		c = e.range;
		if (c.family != AF_INET && c.family != AF_INET6) {
			err = EINVAL;
			goto out;
		}
		canon(&c);
		if (fmt == FEED_PLAIN) {
			if ((err = fmt_range(&c, true, a, sizeof(a))) != 0)
				goto out;
			fprintf(f, "%s\n", a);
		} else if (fmt == FEED_JSON)
			err = write_json_entry(f, &e, &c, first);
		else
			err = write_rbl_entry(f, f6, &e, &c);
		if (err)
			goto out;
		first = false;
	}
	if (fmt == FEED_JSON)
		fputs(first ? "]}\n" : "\n]}\n", f);
	else if (fmt == FEED_RBLDNSD) {
		if (fclose(f6) != 0) {
			f6 = NULL;
			err = ENOMEM;
			goto out;
		}
		f6 = NULL;
		fputs("$DATASET ip6trie:centinela-ipv6 @\n", f);
		if (v6len)
			fwrite(v6, 1, v6len, f);
	}
	if (fflush(f) != 0 || ferror(f))
		err = EIO;
out:
	if (f6)
		fclose(f6);
	free(v6);
	return err;
}

/* ---- fetching ------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void
curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int
feed_curl_init(void)
{
	pthread_once(&curl_once, curl_init_once);
	return curl_init_rc == CURLE_OK ? 0 : EIO;
}

struct fetch {
	char *buf; /* NUL-terminated, len bytes */
	size_t len, cap, max;
	bool too_big, nomem;
	atomic_bool *stop; /* NULL: cannot be stopped */
};

static size_t
fetch_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct fetch *ft = arg;
	size_t n = size * nmemb, cap;
	char *nb;

	/* Abort (a short count) as soon as the answer passes the limit. */
	if (n > ft->max - ft->len) {
		ft->too_big = true;
		return 0;
	}
	if (ft->len + n + 1 > ft->cap) {
		cap = ft->cap ? ft->cap : 16384;
		while (cap < ft->len + n + 1)
			cap *= 2;
		if (cap > ft->max + 1)
			cap = ft->max + 1;
		if (!(nb = realloc(ft->buf, cap))) {
			ft->nomem = true;
			return 0;
		}
		ft->buf = nb;
		ft->cap = cap;
	}
	memcpy(ft->buf + ft->len, p, n);
	ft->len += n;
	ft->buf[ft->len] = '\0';
	return n;
}

static int
fetch_progress(
    void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct fetch *ft = arg;

	return ft->stop && atomic_load(ft->stop) ? 1 : 0;
}

/*
 * Run one transfer in "multi", so that curl_multi_wakeup() from
 * feed_sched_stop() ends a wait at once and the stop flag is seen.
 */
static CURLcode
fetch_multi(CURLM *multi, CURL *curl, atomic_bool *stop)
{
	CURLcode cc = CURLE_RECV_ERROR;
	CURLMsg *m;
	int running = 1, q;

	if (curl_multi_add_handle(multi, curl) != CURLM_OK)
		return CURLE_OUT_OF_MEMORY;
	for (;;) {
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			goto out;
		if (!running)
			break;
		if (atomic_load(stop)) {
			cc = CURLE_ABORTED_BY_CALLBACK;
			goto out;
		}
		if (curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK)
			goto out;
	}
	while ((m = curl_multi_info_read(multi, &q)) != NULL)
		if (m->msg == CURLMSG_DONE && m->easy_handle == curl)
			cc = m->data.result;
out:
	curl_multi_remove_handle(multi, curl);
	return cc;
}

static bool
is_http_url(const char *url)
{
	struct str u = str_make(url, strlen(url));

	return str_has_prefix_nocase(u, STR("http://")) ||
	    str_has_prefix_nocase(u, STR("https://"));
}

/*
 * feed_fetch() with the size limit "max" and, for the schedule, a multi
 * handle and a stop flag (both NULL otherwise).
 */
static int
fetch_url(const char *url, unsigned timeout_ms, size_t max, CURLM *multi,
    atomic_bool *stop, char **body, size_t *len, long *status, char *err,
    size_t errlen)
{
	char ebuf[CURL_ERROR_SIZE];
	struct fetch ft;
	CURLcode cc;
	CURL *curl;
	long code = 0;
	int rc;

	seterr(err, errlen, "%s", "");
	if (status)
		*status = 0;
	if (!url || !body || !len || !is_http_url(url)) {
		seterr(err, errlen, "not an http:// or https:// URL");
		return EINVAL;
	}
	if ((rc = feed_curl_init()) != 0) {
		seterr(err, errlen, "libcurl initialization failed");
		return rc;
	}
	if (!(curl = curl_easy_init())) {
		seterr(err, errlen, "out of memory");
		return ENOMEM;
	}
	if (timeout_ms == 0)
		timeout_ms = FEED_FETCH_TIMEOUT_MS;
	memset(&ft, 0, sizeof(ft));
	ft.max = max;
	ft.stop = stop;
	ebuf[0] = '\0';
	cc = CURLE_OK;
#define SETOPT(o, v)                                           \
	do {                                                   \
		if (cc == CURLE_OK)                            \
			cc = curl_easy_setopt(curl, (o), (v)); \
	} while (0)
	SETOPT(CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SETOPT(
	    CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SETOPT(CURLOPT_FOLLOWLOCATION, 1L);
	SETOPT(CURLOPT_MAXREDIRS, 5L);
	SETOPT(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	SETOPT(CURLOPT_ACCEPT_ENCODING, "");
	SETOPT(CURLOPT_USERAGENT, "centinela");
	SETOPT(CURLOPT_ERRORBUFFER, ebuf);
	SETOPT(CURLOPT_WRITEFUNCTION, fetch_write);
	SETOPT(CURLOPT_WRITEDATA, &ft);
	SETOPT(CURLOPT_XFERINFOFUNCTION, fetch_progress);
	SETOPT(CURLOPT_XFERINFODATA, &ft);
	SETOPT(CURLOPT_NOPROGRESS, 0L);
#undef SETOPT
	if (cc == CURLE_OK)
		cc = multi && stop ? fetch_multi(multi, curl, stop) :
				     curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (status)
		*status = code;
	switch (cc) {
	case CURLE_OK:
		rc = 0;
		break;
	case CURLE_FILESIZE_EXCEEDED:
		rc = E2BIG;
		break;
	case CURLE_WRITE_ERROR:
		rc = ft.too_big ? E2BIG : ft.nomem ? ENOMEM : EIO;
		break;
	case CURLE_OUT_OF_MEMORY:
		rc = ENOMEM;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		rc = ETIMEDOUT;
		break;
	case CURLE_ABORTED_BY_CALLBACK:
		rc = ECANCELED;
		break;
	case CURLE_COULDNT_CONNECT:
		rc = ECONNREFUSED;
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		rc = EHOSTUNREACH;
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
		rc = EPROTONOSUPPORT;
		break;
	case CURLE_URL_MALFORMAT:
		rc = EINVAL;
		break;
	default:
		rc = EIO;
		break;
	}
	if (rc == E2BIG)
		seterr(err, errlen, "answer larger than %zu bytes", max);
	else if (rc == ETIMEDOUT)
		seterr(
		    err, errlen, "no complete answer within %u ms", timeout_ms);
	else if (rc == ECANCELED)
		seterr(err, errlen, "stopped");
	else if (rc)
		seterr(
		    err, errlen, "%s", ebuf[0] ? ebuf : curl_easy_strerror(cc));
	else if ((code < 200 || code > 299) && !(code == 400 && status)) {
		seterr(err, errlen, "HTTP %ld", code);
		rc = EIO;
	}
	curl_easy_cleanup(curl);
	if (!rc && !ft.buf && !(ft.buf = calloc(1, 1)))
		rc = ENOMEM;
	if (rc) {
		free(ft.buf);
		return rc;
	}
	*body = ft.buf;
	*len = ft.len;
	return 0;
}

/*
 * GET "url" (see feed.h). Redirects are followed (5 at most) to http
 * and https URLs only. *body is NUL-terminated (not counted in *len).
 * *status (may be NULL) gets the HTTP status of the final answer, 0
 * when none came. Success is a 2xx answer, and also a 400 answer when
 * status is not NULL (APIBan's "no new bans": the caller must look at
 * *status); any other status is EIO with "HTTP 503" style text in err.
 * Returns 0, EINVAL (not an http(s) URL), E2BIG (more than
 * FEED_MAX_BYTES, announced or received), ETIMEDOUT (timeout_ms, 0 for
 * 30 s, passed), ECONNREFUSED, EHOSTUNREACH, EPROTONOSUPPORT (redirect
 * to another scheme), ENOMEM or EIO; on error *body is untouched.
 */
int
feed_fetch(const char *url, unsigned timeout_ms, char **body, size_t *len,
    long *status, char *err, size_t errlen)
{
	return fetch_url(url, timeout_ms, FEED_MAX_BYTES, NULL, NULL, body, len,
	    status, err, errlen);
}

/* ---- the schedule --------------------------------------------------- */

struct feed_state {
	struct cfg_feed cf; /* a copy: apply gets a pointer to it */
	char id[FEED_ID_MAX]; /* APIBan: the last ID, "" before the first */
	struct timespec due; /* CLOCK_MONOTONIC */
};

struct feed_sched {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_bool stop;
	CURLM *multi;
	feed_apply_h *apply;
	void *arg;
	unsigned n;
	struct feed_state feed[CFG_MAX_FEEDS];
};

/* One parsed list: entries, and their reasons in one pool. */
struct collect {
	struct feed_entry *v;
	size_t *roff; /* offset of v[i]'s reason in pool, SIZE_MAX: none */
	size_t n, cap;
	char *pool;
	size_t plen, pcap;
};

static int
collect_add(const struct feed_entry *e, void *arg)
{
	struct collect *col = arg;
	size_t cap, rl, last;
	void *p;

	if (col->n == col->cap) {
		cap = col->cap ? col->cap * 2 : 256;
		if (!(p = realloc(col->v, cap * sizeof(*col->v))))
			return ENOMEM;
		col->v = p;
		if (!(p = realloc(col->roff, cap * sizeof(*col->roff))))
			return ENOMEM;
		col->roff = p;
		col->cap = cap;
	}
	col->v[col->n] = *e;
	col->v[col->n].reason = NULL;
	col->roff[col->n] = SIZE_MAX;
	if (e->reason) {
		/* Lists repeat one reason: share it with the previous entry. */
		last = col->n ? col->roff[col->n - 1] : SIZE_MAX;
		if (last != SIZE_MAX &&
		    strcmp(col->pool + last, e->reason) == 0)
			col->roff[col->n] = last;
		else {
			rl = strlen(e->reason) + 1;
			if (col->plen + rl > col->pcap) {
				cap = col->pcap ? col->pcap * 2 : 4096;
				while (cap < col->plen + rl)
					cap *= 2;
				if (!(p = realloc(col->pool, cap)))
					return ENOMEM;
				col->pool = p;
				col->pcap = cap;
			}
			memcpy(col->pool + col->plen, e->reason, rl);
			col->roff[col->n] = col->plen;
			col->plen += rl;
		}
	}
	col->n++;
	return 0;
}

static void
collect_free(struct collect *col)
{
	free(col->v);
	free(col->roff);
	free(col->pool);
	memset(col, 0, sizeof(*col));
}

/*
 * Fetch, parse and apply one page. Returns true when an APIBan feed
 * should ask for the next page at once.
 */
static bool
run_page(struct feed_sched *fs, struct feed_state *st)
{
	const struct cfg_feed *cf = &st->cf;
	bool apiban = cf->format == FEED_APIBAN, more = false;
	char url[FEED_URL_MAX], msg[256], id[FEED_ID_MAX];
	struct collect col;
	size_t ul, len, i;
	long status = 0;
	char *body;
	int err;

	ul = strlen(cf->url);
	if (apiban && st->id[0])
		snprintf(url, sizeof(url), "%s%s%s", cf->url,
		    ul && cf->url[ul - 1] == '/' ? "" : "/", st->id);
	else
		snprintf(url, sizeof(url), "%s", cf->url);
	err = fetch_url(url, FEED_FETCH_TIMEOUT_MS, FEED_MAX_BYTES, fs->multi,
	    &fs->stop, &body, &len, apiban ? &status : NULL, msg, sizeof(msg));
	if (err) {
		if (err != ECANCELED)
			log_warn("feed %s: %s: %s", cf->name, url, msg);
		return false;
	}
	memset(&col, 0, sizeof(col));
	id[0] = '\0';
	err = feed_parse(cf->format, body, len, collect_add, &col, id,
	    sizeof(id), msg, sizeof(msg));
	free(body);
	if (err) {
		log_warn("feed %s: %s: %s", cf->name, url,
		    msg[0] ? msg : strerror(err));
		goto out;
	}
	if (status == 400) {
		if (id[0] || col.n)
			log_warn("feed %s: %s: HTTP 400", cf->name, url);
		else
			log_debug("feed %s: no new entries", cf->name);
		goto out;
	}
	for (i = 0; i < col.n; i++)
		if (col.roff[i] != SIZE_MAX)
			col.v[i].reason = col.pool + col.roff[i];
	fs->apply(cf, col.v, col.n, fs->arg);
	log_info("feed %s: %zu entries", cf->name, col.n);
	if (apiban && id[0] && strcmp(id, st->id) != 0) {
		memcpy(st->id, id, sizeof(st->id));
		more = col.n > 0;
	}
out:
	collect_free(&col);
	return more;
}

static void
ts_add_s(struct timespec *ts, unsigned s)
{
	ts->tv_sec += (time_t)s;
}

static bool
ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void *
sched_main(void *arg)
{
	struct feed_sched *fs = arg;
	struct feed_state *st;
	struct timespec now;
	unsigned i, page;

	pthread_mutex_lock(&fs->mu);
	while (!atomic_load(&fs->stop)) {
		if (fs->n == 0) {
			pthread_cond_wait(&fs->cv, &fs->mu);
			continue;
		}
		st = &fs->feed[0];
		for (i = 1; i < fs->n; i++)
			if (ts_before(&fs->feed[i].due, &st->due))
				st = &fs->feed[i];
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ts_before(&now, &st->due)) {
			pthread_cond_timedwait(&fs->cv, &fs->mu, &st->due);
			continue;
		}
		pthread_mutex_unlock(&fs->mu);
		for (page = 0; page < FEED_APIBAN_PAGES &&
		     !atomic_load(&fs->stop) && run_page(fs, st);
		     page++)
			;
		clock_gettime(CLOCK_MONOTONIC, &st->due);
		ts_add_s(&st->due, st->cf.interval);
		pthread_mutex_lock(&fs->mu);
	}
	pthread_mutex_unlock(&fs->mu);
	return NULL;
}

/*
 * Start the schedule for the feeds of gc (copied: gc may go away). The
 * first fetch of every feed is at once, then one every cf->interval s
 * after the previous one ended. "apply" runs on the feed thread with
 * the whole validated list of a plain, rbldnsd or JSON feed (n may be
 * 0: the list is empty now), or with the new entries of an APIBan page
 * (APIBan is incremental: pages are fetched in a row until the answer
 * is "no new bans", which calls nothing). Entries and f are valid
 * during the call only. A failed fetch or a bad list is logged and
 * calls nothing. Returns 0, EINVAL (a feed without interval, or not
 * http(s)), ENOMEM, EIO or pthread_create's error.
 */
int
feed_sched_start(struct feed_sched **fsp, const struct cfg_guard *gc,
    feed_apply_h *apply, void *arg)
{
	pthread_condattr_t ca;
	struct feed_sched *fs;
	struct timespec now;
	unsigned i;
	int err;

	if (!fsp || !gc || !apply || gc->nfeeds > CFG_MAX_FEEDS)
		return EINVAL;
	for (i = 0; i < gc->nfeeds; i++)
		if (gc->feeds[i].interval == 0 ||
		    gc->feeds[i].format > FEED_APIBAN ||
		    !memchr(gc->feeds[i].url, '\0', sizeof(gc->feeds[i].url)) ||
		    !is_http_url(gc->feeds[i].url))
			return EINVAL;
	if ((err = feed_curl_init()) != 0)
		return err;
	if (!(fs = calloc(1, sizeof(*fs))))
		return ENOMEM;
	fs->apply = apply;
	fs->arg = arg;
	fs->n = gc->nfeeds;
	atomic_init(&fs->stop, false);
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (i = 0; i < fs->n; i++) {
		fs->feed[i].cf = gc->feeds[i];
		fs->feed[i].due = now;
	}
	if (!(fs->multi = curl_multi_init())) {
		free(fs);
		return ENOMEM;
	}
	pthread_mutex_init(&fs->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&fs->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((err = pthread_create(&fs->thread, NULL, sched_main, fs)) != 0) {
		pthread_cond_destroy(&fs->cv);
		pthread_mutex_destroy(&fs->mu);
		curl_multi_cleanup(fs->multi);
		free(fs);
		return err;
	}
	*fsp = fs;
	return 0;
}

/*
 * Stop the schedule: wakes the thread at once (a wait or a transfer in
 * progress ends), joins it and frees fs. NULL is a no-op.
 */
void
feed_sched_stop(struct feed_sched *fs)
{
	if (!fs)
		return;
	pthread_mutex_lock(&fs->mu);
	atomic_store(&fs->stop, true);
	pthread_cond_signal(&fs->cv);
	pthread_mutex_unlock(&fs->mu);
	curl_multi_wakeup(fs->multi);
	pthread_join(fs->thread, NULL);
	pthread_cond_destroy(&fs->cv);
	pthread_mutex_destroy(&fs->mu);
	curl_multi_cleanup(fs->multi);
	free(fs);
}

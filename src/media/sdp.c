/*
 * media/sdp.c -- strict zero-copy SDP parser (media/sdp.h).
 *
 * One pass over the lines, each limit checked before the line it
 * bounds is looked at. The parser keeps views only; it never writes
 * into the body and never hands a view to a NUL-stopping function.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <string.h>

#include "media/sdp.h"

void
sdp_limits_default(struct sdp_limits *lim)
{
	lim->max_body = SDP_DEFAULT_MAX_BODY;
	lim->max_line_len = SDP_DEFAULT_MAX_LINE_LEN;
	lim->max_media = SDP_DEFAULT_MAX_MEDIA;
	lim->max_attrs = SDP_DEFAULT_MAX_ATTRS;
}

static const struct {
	const char *name;
	enum sdp_proto proto;
} protos[] = {
	{ "RTP/AVP", SDP_PROTO_RTP_AVP },
	{ "RTP/AVPF", SDP_PROTO_RTP_AVPF },
	{ "RTP/SAVP", SDP_PROTO_RTP_SAVP },
	{ "RTP/SAVPF", SDP_PROTO_RTP_SAVPF },
	{ "UDP/TLS/RTP/SAVP", SDP_PROTO_DTLS_SAVP },
	{ "UDP/TLS/RTP/SAVPF", SDP_PROTO_DTLS_SAVPF },
	/* RFC 7850: DTLS-SRTP over TCP, same keying. */
	{ "TCP/DTLS/RTP/SAVP", SDP_PROTO_DTLS_SAVP },
	{ "TCP/DTLS/RTP/SAVPF", SDP_PROTO_DTLS_SAVPF },
	{ "udptl", SDP_PROTO_UDPTL },
	{ "UDPTL", SDP_PROTO_UDPTL },
};

const char *
sdp_proto_name(enum sdp_proto p)
{
	size_t i;

	if (p == SDP_PROTO_TLS_OTHER)
		return "TCP/TLS";
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == p)
			return protos[i].name;
	return "other";
}

bool
sdp_proto_is_secure(enum sdp_proto p)
{
	return p == SDP_PROTO_RTP_SAVP || p == SDP_PROTO_RTP_SAVPF ||
	    p == SDP_PROTO_DTLS_SAVP || p == SDP_PROTO_DTLS_SAVPF ||
	    p == SDP_PROTO_TLS_OTHER;
}

bool
sdp_proto_is_rtp(enum sdp_proto p)
{
	return p == SDP_PROTO_RTP_AVP || p == SDP_PROTO_RTP_AVPF ||
	    p == SDP_PROTO_RTP_SAVP || p == SDP_PROTO_RTP_SAVPF ||
	    p == SDP_PROTO_DTLS_SAVP || p == SDP_PROTO_DTLS_SAVPF;
}

static enum sdp_proto
proto_of(struct str s)
{
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (str_eq(s, str_make(protos[i].name, strlen(protos[i].name))))
			return protos[i].proto;
	/* TCP/TLS/MSRP, TCP/TLS/BFCP, TCP/TLS/TLS...: a TLS connection. */
	if (str_has_prefix(s, STR("TCP/TLS/")))
		return SDP_PROTO_TLS_OTHER;
	return SDP_PROTO_OTHER;
}

/* ---- small lexers over views ---------------------------------------- */

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * RFC 8866 token-char: visible ASCII except the separators below.
 * Used for media types, protocols' parts, attribute names, suites.
 */
static bool
is_token_char(char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '(' && c != ')' &&
	    c != ',' && c != ':' && c != ';' && c != '<' && c != '=' &&
	    c != '>' && c != '?' && c != '@' && c != '[' && c != '\\' &&
	    c != ']' && c != '{' && c != '}';
}

static bool
is_token(struct str s)
{
	size_t i;

	if (s.len == 0)
		return false;
	for (i = 0; i < s.len; i++)
		if (!is_token_char(s.s[i]))
			return false;
	return true;
}

/*
 * Next space-separated field of *rest (exactly one SP between fields,
 * as the grammar says). Returns false when none is left or two spaces
 * follow each other.
 */
static bool
next_field(struct str *rest, struct str *f)
{
	struct str head, tail;

	if (rest->len == 0)
		return false;
	if (!str_split(*rest, ' ', &head, &tail)) {
		*f = *rest;
		*rest = STR_NULL;
		return true;
	}
	if (head.len == 0 || tail.len == 0)
		return false;
	*f = head;
	*rest = tail;
	return true;
}

/* ---- per-line checks --------------------------------------------- */

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <addr> */
static bool
origin_ok(struct str v)
{
	struct str f;
	unsigned n = 0;

	while (next_field(&v, &f))
		n++;
	return n == 6 && v.len == 0;
}

/* c=IN IP4 addr[/ttl[/n]] | IN IP6 addr[/n] (RFC 8866 5.7). */
static bool
conn_ok(struct str v)
{
	struct str nt, at, addr;
	size_t i;

	if (!next_field(&v, &nt) || !next_field(&v, &at) ||
	    !next_field(&v, &addr) || v.len != 0)
		return false;
	if (!str_eq(nt, STR("IN")) ||
	    !(str_eq(at, STR("IP4")) || str_eq(at, STR("IP6"))))
		return false;
	for (i = 0; i < addr.len; i++) {
		char c = addr.s[i];

		if (!(is_hex(c) || is_alpha(c) || c == '.' || c == ':' ||
			c == '/' || c == '-'))
			return false;
	}
	return addr.len > 0;
}

/* t=<start> <stop>, both decimal. */
static bool
timing_ok(struct str v)
{
	struct str a, b;
	uint64_t x;

	return next_field(&v, &a) && next_field(&v, &b) && v.len == 0 &&
	    str_to_u64(a, &x) == 0 && str_to_u64(b, &x) == 0;
}

/*
 * a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]
 * *cipher: the line encrypts (RFC 4568 6.2 NULL suites and the
 * UNENCRYPTED_SRTP session parameter of 6.3.2 do not).
 */
static bool
crypto_ok(struct str v, bool *cipher)
{
	struct str tag, suite, keys, param;
	uint32_t t;

	if (!next_field(&v, &tag) || !next_field(&v, &suite) ||
	    !next_field(&v, &keys))
		return false;
	if (tag.len > 9 || str_to_u32(tag, &t))
		return false;
	if (!is_token(suite))
		return false;
	/* key-params: "inline:" key-info, several joined by ';'. */
	if (keys.len <= 7 || !str_has_prefix(keys, STR("inline:")))
		return false;
	/*
	 * Only suites that encrypt count (RFC 4568, 6188, 7714 and the
	 * F8 suite); an unknown name might be anything, so it does not.
	 */
	*cipher = str_has_prefix_nocase(suite, STR("AES_CM_")) ||
	    str_has_prefix_nocase(suite, STR("AES_192_CM_")) ||
	    str_has_prefix_nocase(suite, STR("AES_256_CM_")) ||
	    str_has_prefix_nocase(suite, STR("AEAD_AES_")) ||
	    str_has_prefix_nocase(suite, STR("F8_"));
	while (next_field(&v, &param))
		if (str_eq_nocase(param, STR("UNENCRYPTED_SRTP")))
			*cipher = false;
	return v.len == 0;
}

/* a=fingerprint:<hash-func> <XX:XX:...> (RFC 8122 section 5). */
static bool
fingerprint_ok(struct str v)
{
	struct str hf, fp;
	size_t i;

	if (!next_field(&v, &hf) || !next_field(&v, &fp) || v.len != 0 ||
	    !is_token(hf))
		return false;
	/* Pairs of hex digits separated by ':'. */
	if (fp.len < 2 || fp.len % 3 != 2)
		return false;
	for (i = 0; i < fp.len; i++) {
		if (i % 3 == 2) {
			if (fp.s[i] != ':')
				return false;
		} else if (!is_hex(fp.s[i]))
			return false;
	}
	return true;
}

static bool
setup_ok(struct str v)
{
	return str_eq(v, STR("active")) || str_eq(v, STR("passive")) ||
	    str_eq(v, STR("actpass")) || str_eq(v, STR("holdconn"));
}

/* m=<media> <port>[/<number of ports>] <proto> <fmt> ... */
static bool
media_line(struct str v, struct sdp_media *m)
{
	struct str port_s, n_s;
	uint32_t port, n = 1;

	if (!next_field(&v, &m->media) || !is_token(m->media) ||
	    !next_field(&v, &port_s) || !next_field(&v, &m->proto_s))
		return false;
	if (str_split(port_s, '/', &port_s, &n_s) &&
	    (str_to_u32_max(n_s, 65535, &n) || n == 0))
		return false;
	if (str_to_u32_max(port_s, 65535, &port))
		return false;
	if (m->proto_s.len == 0 || m->proto_s.s[0] == '/')
		return false;
	for (size_t i = 0; i < m->proto_s.len; i++)
		if (!is_token_char(m->proto_s.s[i]) && m->proto_s.s[i] != '/')
			return false;
	/* At least one format, every one a token. */
	m->fmts = v;
	if (v.len == 0)
		return false;
	{
		struct str f;

		while (next_field(&v, &f))
			if (!is_token(f))
				return false;
		if (v.len)
			return false;
	}
	m->port = (uint16_t)port;
	m->nports = (uint16_t)n;
	m->proto = proto_of(m->proto_s);
	return true;
}

/* ---- the parser ---------------------------------------------------- */

static int
fail(struct sdp *sdp, int err, const char *why, unsigned line)
{
	sdp->err = why;
	sdp->err_line = line;
	return err;
}

/* Where a line may appear, by its type letter. */
static bool
known_type(char t)
{
	return t && strchr("vosiuepcbtrzkam", t) != NULL;
}

static int
attribute(struct sdp *sdp, struct str v, const struct sdp_limits *lim,
    unsigned lineno)
{
	struct sdp_attr *a;
	struct sdp_media *m = sdp->nmedia ? &sdp->media[sdp->nmedia - 1] : NULL;
	struct str name, value;

	if (sdp->nattrs >= lim->max_attrs || sdp->nattrs >= SDP_HARD_MAX_ATTRS)
		return fail(sdp, EMSGSIZE, "too many attributes", lineno);
	if (!str_split(v, ':', &name, &value))
		value = STR_NULL;
	if (!is_token(name))
		return fail(sdp, EBADMSG, "bad attribute name", lineno);
	a = &sdp->attrs[sdp->nattrs++];
	a->name = name;
	a->value = value;
	if (m)
		m->nattrs++;
	else
		sdp->nsession_attrs++;

	if (str_eq(name, STR("crypto"))) {
		bool cipher;

		if (!crypto_ok(value, &cipher))
			return fail(sdp, EBADMSG, "bad a=crypto", lineno);
		if (m) {
			m->ncrypto++;
			m->ncipher += cipher;
		} else
			sdp->session_ncrypto++;
	} else if (str_eq(name, STR("fingerprint"))) {
		if (!fingerprint_ok(value))
			return fail(sdp, EBADMSG, "bad a=fingerprint", lineno);
		if (m)
			m->fingerprint = true;
		else
			sdp->session_fingerprint = true;
	} else if (str_eq(name, STR("setup"))) {
		if (!setup_ok(value))
			return fail(sdp, EBADMSG, "bad a=setup", lineno);
		if (m)
			m->setup = value;
		else
			sdp->session_setup = value;
	} else if (str_eq(name, STR("key-mgmt"))) {
		if (value.len == 0)
			return fail(sdp, EBADMSG, "bad a=key-mgmt", lineno);
		if (m)
			m->key_mgmt = true;
		else
			sdp->session_key_mgmt = true;
	}
	return 0;
}

int
sdp_parse(struct sdp *sdp, struct str body, const struct sdp_limits *lim)
{
	struct sdp_limits dl;
	size_t pos = 0;
	unsigned lineno = 0;
	char prev = 0; /* type of the previous line */
	bool have_t = false;

	if (!lim) {
		sdp_limits_default(&dl);
		lim = &dl;
	}
	memset(sdp, 0, offsetof(struct sdp, attrs));
	sdp->nattrs = 0;
	sdp->nmedia = 0;
	sdp->err = NULL;
	sdp->err_line = 0;
	if (body.len > lim->max_body)
		return fail(sdp, EMSGSIZE, "description too long", 0);
	if (body.len == 0)
		return fail(sdp, EBADMSG, "empty description", 0);

	while (pos < body.len) {
		size_t start = pos, end;
		struct str line, v;
		char t;

		lineno++;
		/* Find the line end; bound the scan by max_line_len. */
		while (pos < body.len && body.s[pos] != '\n' &&
		    body.s[pos] != '\r' && body.s[pos] != '\0') {
			if (pos - start > lim->max_line_len)
				return fail(
				    sdp, EMSGSIZE, "line too long", lineno);
			pos++;
		}
		end = pos;
		if (pos < body.len) {
			if (body.s[pos] == '\0')
				return fail(sdp, EBADMSG, "NUL byte", lineno);
			if (body.s[pos] == '\r') {
				if (pos + 1 >= body.len ||
				    body.s[pos + 1] != '\n')
					return fail(
					    sdp, EBADMSG, "bare CR", lineno);
				pos++;
			}
			pos++;
		}
		line = str_make(body.s + start, end - start);
		if (line.len < 2 || line.s[1] != '=')
			return fail(sdp, EBADMSG,
			    line.len ? "line is not type=value" : "empty line",
			    lineno);
		t = line.s[0];
		v = str_skip(line, 2);
		if (!known_type(t))
			return fail(sdp, EBADMSG, "unknown line type", lineno);
		if (lineno == 1) {
			if (t != 'v' || !str_eq(v, STR("0")))
				return fail(sdp, EBADMSG,
				    "first line is not v=0", lineno);
			prev = t;
			continue;
		}
		if (lineno == 2 && t != 'o')
			return fail(sdp, EBADMSG, "o= must follow v=", lineno);
		if (lineno == 3 && t != 's')
			return fail(sdp, EBADMSG, "s= must follow o=", lineno);
		switch (t) {
		case 'v':
			return fail(sdp, EBADMSG, "repeated v=", lineno);
		case 'o':
			if (lineno != 2 || !origin_ok(v))
				return fail(
				    sdp, EBADMSG, "bad o= line", lineno);
			sdp->origin = v;
			break;
		case 's':
			if (lineno != 3)
				return fail(
				    sdp, EBADMSG, "repeated s=", lineno);
			sdp->session_name = v;
			break;
		case 't':
		case 'r':
		case 'z':
		case 'u':
		case 'e':
		case 'p':
			if (sdp->nmedia)
				return fail(sdp, EBADMSG,
				    "session line inside a media section",
				    lineno);
			if (t == 't') {
				if (!timing_ok(v))
					return fail(sdp, EBADMSG, "bad t= line",
					    lineno);
				have_t = true;
			}
			if (t == 'r' && prev != 't' && prev != 'r')
				return fail(
				    sdp, EBADMSG, "r= without t=", lineno);
			break;
		case 'c':
			if (!conn_ok(v))
				return fail(
				    sdp, EBADMSG, "bad c= line", lineno);
			if (sdp->nmedia) {
				struct sdp_media *m =
				    &sdp->media[sdp->nmedia - 1];

				/* Several c= (multicast layers): the first. */
				if (!m->conn.len)
					m->conn = v;
			} else if (sdp->conn.len)
				return fail(sdp, EBADMSG,
				    "repeated session c=", lineno);
			else
				sdp->conn = v;
			break;
		case 'm':
			if (!have_t)
				return fail(sdp, EBADMSG,
				    "no t= before the first m=", lineno);
			if (sdp->nmedia >= lim->max_media ||
			    sdp->nmedia >= SDP_HARD_MAX_MEDIA)
				return fail(sdp, EMSGSIZE,
				    "too many media sections", lineno);
			memset(
			    &sdp->media[sdp->nmedia], 0, sizeof(sdp->media[0]));
			sdp->media[sdp->nmedia].attr_first = sdp->nattrs;
			if (!media_line(v, &sdp->media[sdp->nmedia]))
				return fail(
				    sdp, EBADMSG, "bad m= line", lineno);
			sdp->nmedia++;
			break;
		case 'a': {
			int err = attribute(sdp, v, lim, lineno);

			if (err)
				return err;
			break;
		}
		default: /* i, b, k: free text or opaque */
			break;
		}
		prev = t;
	}
	if (lineno < 3 || !sdp->origin.len)
		return fail(sdp, EBADMSG, "missing o= or s=", lineno);
	if (!have_t)
		return fail(sdp, EBADMSG, "no t= line", lineno);
	for (unsigned i = 0; i < sdp->nmedia; i++)
		if (sdp->media[i].port && !sdp->media[i].conn.len &&
		    !sdp->conn.len)
			return fail(
			    sdp, EBADMSG, "active media without a c= line", 0);
	return 0;
}

bool
sdp_has_sdes(const struct sdp *sdp)
{
	unsigned i;

	if (sdp->session_ncrypto)
		return true;
	for (i = 0; i < sdp->nmedia; i++)
		if (sdp->media[i].ncrypto)
			return true;
	return false;
}

bool
sdp_media_is_encrypted(const struct sdp *sdp, const struct sdp_media *m)
{
	switch (m->proto) {
	case SDP_PROTO_RTP_SAVP:
	case SDP_PROTO_RTP_SAVPF:
		return m->ncipher > 0 || m->key_mgmt || sdp->session_key_mgmt;
	case SDP_PROTO_DTLS_SAVP:
	case SDP_PROTO_DTLS_SAVPF:
		return m->fingerprint || sdp->session_fingerprint;
	case SDP_PROTO_TLS_OTHER:
		return true;
	default:
		return false;
	}
}

const char *
sdp_unencrypted_why(const struct sdp *sdp, unsigned *idx)
{
	unsigned i;

	for (i = 0; i < sdp->nmedia; i++) {
		const struct sdp_media *m = &sdp->media[i];

		if (m->port == 0 || sdp_media_is_encrypted(sdp, m))
			continue;
		if (idx)
			*idx = i;
		switch (m->proto) {
		case SDP_PROTO_RTP_AVP:
			return m->ncrypto ? "opportunistic SRTP (RTP/AVP)" :
					    "plain RTP (RTP/AVP)";
		case SDP_PROTO_RTP_AVPF:
			return m->ncrypto ? "opportunistic SRTP (RTP/AVPF)" :
					    "plain RTP (RTP/AVPF)";
		case SDP_PROTO_RTP_SAVP:
		case SDP_PROTO_RTP_SAVPF:
			return m->ncrypto ? "SRTP without a cipher (NULL or "
					    "UNENCRYPTED_SRTP)" :
					    "SRTP profile without keys";
		case SDP_PROTO_DTLS_SAVP:
		case SDP_PROTO_DTLS_SAVPF:
			return "DTLS-SRTP without a fingerprint";
		case SDP_PROTO_UDPTL:
			return "unencrypted fax (udptl)";
		default:
			return "unencrypted media protocol";
		}
	}
	return NULL;
}

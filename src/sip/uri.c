/*
 * sip/uri.c -- SIP, SIPS and tel URIs, parameter lists, name-addr /
 * addr-spec values and comma splitting of header values (RFC 3261
 * sections 19.1, 20.10, 25.1; RFC 3966).
 *
 * Everything here decodes views in place: no allocation, no copy, no
 * unescaping (escaped characters are validated and kept as received).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <string.h>

#include "sip/sip.h"
#include "sip/sip_int.h"

bool
sip_chars_ok(struct str s, unsigned cls, bool escapes)
{
	size_t i;

	if (s.len == 0)
		return false;
	for (i = 0; i < s.len; i++) {
		if (sip_cis(s.s[i], cls))
			continue;
		if (!escapes || s.s[i] != '%' || s.len - i < 3 ||
		    !sip_cis(s.s[i + 1], SIP_C_HEX) ||
		    !sip_cis(s.s[i + 2], SIP_C_HEX))
			return false;
		i += 2;
	}
	return true;
}

size_t
sip_quoted_len(struct str s)
{
	size_t i;

	if (s.len == 0 || s.s[0] != '"')
		return 0;
	for (i = 1; i < s.len; i++) {
		if (s.s[i] == '"')
			return i + 1;
		if (s.s[i] == '\\') {
			/* quoted-pair: any char except CR and LF */
			if (i + 1 == s.len || s.s[i + 1] == '\r' ||
			    s.s[i + 1] == '\n')
				return 0;
			i++;
		}
	}
	return 0;
}

/* Characters that end a parameter name or an unquoted value. */
static inline bool
is_param_stop(char c)
{
	return sip_cis(c, SIP_C_PSTOP);
}

int
sip_param_next(struct str *rest, struct sip_param *p)
{
	struct str s = sip_skip_lws(*rest);
	size_t n;

	if (s.len == 0) {
		*rest = s;
		return 0;
	}
	if (s.s[0] == ';') {
		s = sip_skip_lws(sip_sv_skip(s, 1));
		if (s.len == 0)
			return -1;
	}
	for (n = 0; n < s.len && !is_param_stop(s.s[n]); n++)
		;
	if (n == 0)
		return -1;
	p->name = str_make(s.s, n);
	p->value = str_make(s.s + n, 0);
	p->has_value = false;
	s = sip_skip_lws(sip_sv_skip(s, n));
	if (s.len > 0 && s.s[0] == '=') {
		p->has_value = true;
		s = sip_skip_lws(sip_sv_skip(s, 1));
		if (s.len > 0 && s.s[0] == '"') {
			n = sip_quoted_len(s);
			if (n == 0)
				return -1;
		} else {
			for (n = 0; n < s.len && !is_param_stop(s.s[n]); n++)
				;
		}
		p->value = str_make(s.s, n);
		s = sip_skip_lws(sip_sv_skip(s, n));
	}
	if (s.len > 0 && s.s[0] != ';')
		return -1;
	*rest = s;
	return 1;
}

int
sip_gparam_next(struct str *rest, struct sip_param *p)
{
	struct str s = sip_skip_lws(*rest);
	size_t n;

	if (s.len == 0)
		return 0;
	n = sip_span(s, SIP_C_TOKEN);
	if (n == 0)
		return -1;
	p->name = str_make(s.s, n);
	s = sip_skip_lws(sip_sv_skip(s, n));
	p->has_value = false;
	p->value = str_make(s.s, 0);
	if (s.len > 0 && s.s[0] == '=') {
		p->has_value = true;
		s = sip_skip_lws(sip_sv_skip(s, 1));
		if (s.len > 0 && s.s[0] == '"')
			n = sip_quoted_len(s);
		else
			n = sip_span(s, SIP_C_GVAL);
		if (n == 0)
			return -1;
		p->value = str_make(s.s, n);
		s = sip_skip_lws(sip_sv_skip(s, n));
	}
	if (s.len > 0) {
		if (s.s[0] != ';')
			return -1;
		s = sip_skip_lws(sip_sv_skip(s, 1));
		if (s.len == 0)
			return -1;
	}
	*rest = s;
	return 1;
}

/* IPv6reference: "[" hex/":"/"." "]" with at least one ':'. */
static bool
ipv6_ref_ok(struct str s)
{
	size_t i;
	bool colon = false;

	if (s.len < 4 || s.s[0] != '[' || s.s[s.len - 1] != ']')
		return false;
	for (i = 1; i + 1 < s.len; i++) {
		if (s.s[i] == ':')
			colon = true;
		else if (s.s[i] != '.' && !sip_cis(s.s[i], SIP_C_HEX))
			return false;
	}
	return colon;
}

int
sip_params_check(struct str params, struct str *tag)
{
	struct sip_param p;
	struct str rest = sip_skip_lws(params);
	bool have_tag = false;
	int r;

	/* The caller consumed the first ';': the list must not be empty. */
	if (rest.len == 0)
		return EBADMSG;
	while ((r = sip_gparam_next(&rest, &p)) == 1) {
		if (tag != NULL && !have_tag && p.name.len == 3 &&
		    sip_eq_lower(p.name, STR("tag"))) {
			*tag = p.value;
			have_tag = true;
		}
		/* A value starting with '[' must be an IPv6 reference. */
		if (p.value.len > 0 && p.value.s[0] == '[' &&
		    !ipv6_ref_ok(p.value))
			return EBADMSG;
	}
	return r == 0 ? 0 : EBADMSG;
}

/*
 * Find parameter "name" in "params". Values are returned raw: a quoted
 * value keeps its quotes. Returns false when absent or when the list is
 * malformed before the parameter is reached.
 */
bool
sip_param_find(struct str params, struct str name, struct str *value)
{
	struct sip_param p;
	struct str rest = params;

	while (sip_param_next(&rest, &p) == 1)
		if (str_eq_nocase(p.name, name)) {
			if (value != NULL)
				*value = p.value;
			return true;
		}
	return false;
}

/* uri-parameters: name[=value] with paramchar, no LWS, no quotes. */
static int
uri_params(struct str s, struct sip_uri *uri)
{
	struct str el, name, value;
	bool more;

	do {
		more = str_split(s, ';', &el, &s);
		if (!str_split(el, '=', &name, &value))
			value = STR_NULL;
		else if (!sip_chars_ok(value, SIP_C_PARAM, true))
			return EBADMSG;
		if (!sip_chars_ok(name, SIP_C_PARAM, true))
			return EBADMSG;
		if (sip_eq_lower(name, STR("transport")))
			uri->transport = value.len ?
			    sip_transport_from_str(value) :
			    SIP_TP_NONE;
		else if (sip_eq_lower(name, STR("user")))
			uri->user_param = value;
		else if (sip_eq_lower(name, STR("maddr")))
			uri->maddr = value;
		else if (sip_eq_lower(name, STR("lr")))
			uri->lr = true;
	} while (more);
	return 0;
}

/* headers: hname "=" hvalue *( "&" hname "=" hvalue ) */
static int
uri_headers(struct str s)
{
	struct str el, name, value;
	bool more;

	do {
		more = str_split(s, '&', &el, &s);
		if (!str_split(el, '=', &name, &value))
			return EBADMSG;
		if (!sip_chars_ok(name, SIP_C_HNV, true))
			return EBADMSG;
		if (value.len > 0 && !sip_chars_ok(value, SIP_C_HNV, true))
			return EBADMSG;
	} while (more);
	return 0;
}

static bool
tel_char(char c)
{
	return sip_cis(c, SIP_C_HEX) || sip_is_digit(c) || c == '-' ||
	    c == '.' || c == '(' || c == ')' || c == '+' || c == '*' ||
	    c == '#' || c == '%' || c == 'p' || c == 'w' || c == 'P' ||
	    c == 'W';
}

static int
tel_parse(struct str s, struct sip_uri *uri)
{
	struct str num, params;
	size_t i;
	bool has_params;

	has_params = str_split(s, ';', &num, &params);
	if (num.len == 0)
		return EBADMSG;
	for (i = 0; i < num.len; i++)
		if (!tel_char(num.s[i]))
			return EBADMSG;
	uri->user = num;
	if (has_params) {
		uri->params = params;
		return uri_params(params, uri);
	}
	return 0;
}

static bool
other_uri_ok(struct str s)
{
	size_t i;

	if (s.len == 0)
		return false;
	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.s[i];

		if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"')
			return false;
	}
	return true;
}

/*
 * Decode a URI. sip: and sips: URIs are checked against the grammar of
 * RFC 3261 section 25.1 (escapes allowed in user, password, parameters
 * and headers, not decoded); the port must be 1..65535. tel: URIs keep
 * the number in "user". Any other scheme is accepted as
 * SIP_SCHEME_OTHER when it has no whitespace, controls, '<', '>' or
 * '"'. Returns 0 or EBADMSG; *uri is zeroed first.
 */
int
sip_uri_parse(struct str s, struct sip_uri *uri)
{
	struct str scheme, rest, userinfo, hostport;
	size_t i, n;
	uint32_t port;
	long at;

	memset(uri, 0, sizeof(*uri));
	uri->raw = s;
	if (!str_split(s, ':', &scheme, &rest) || scheme.len == 0)
		return EBADMSG;
	if (!((scheme.s[0] | 0x20) >= 'a' && (scheme.s[0] | 0x20) <= 'z'))
		return EBADMSG;
	for (i = 1; i < scheme.len; i++) {
		char c = scheme.s[i];

		if (!sip_cis(c, SIP_C_HOST) && c != '+')
			return EBADMSG;
	}
	if (sip_eq_lower(scheme, STR("sip")))
		uri->scheme = SIP_SCHEME_SIP;
	else if (sip_eq_lower(scheme, STR("sips")))
		uri->scheme = SIP_SCHEME_SIPS;
	else if (sip_eq_lower(scheme, STR("tel"))) {
		uri->scheme = SIP_SCHEME_TEL;
		return tel_parse(rest, uri);
	} else {
		uri->scheme = SIP_SCHEME_OTHER;
		return other_uri_ok(rest) ? 0 : EBADMSG;
	}

	at = str_chr(rest, '@');
	if (at >= 0) {
		userinfo = str_make(rest.s, (size_t)at);
		rest = sip_sv_skip(rest, (size_t)at + 1);
		if (str_split(userinfo, ':', &uri->user, &uri->password)) {
			if (uri->password.len > 0 &&
			    !sip_chars_ok(uri->password, SIP_C_PASSWD, true))
				return EBADMSG;
		}
		if (!sip_chars_ok(uri->user, SIP_C_USER, true))
			return EBADMSG;
	}

	/* host */
	if (rest.len > 0 && rest.s[0] == '[') {
		long rb = str_chr(rest, ']');

		if (rb < 0)
			return EBADMSG;
		n = (size_t)rb + 1;
		if (!ipv6_ref_ok(str_make(rest.s, n)))
			return EBADMSG;
	} else
		n = sip_span(rest, SIP_C_HOST);
	if (n == 0)
		return EBADMSG;
	uri->host = str_make(rest.s, n);
	hostport = sip_sv_skip(rest, n);

	/* port */
	if (hostport.len > 0 && hostport.s[0] == ':') {
		hostport = sip_sv_skip(hostport, 1);
		n = 0;
		while (n < hostport.len && sip_is_digit(hostport.s[n]))
			n++;
		if (str_to_u32_max(str_make(hostport.s, n), 65535, &port) !=
			0 ||
		    port == 0)
			return EBADMSG;
		uri->port = (uint16_t)port;
		hostport = sip_sv_skip(hostport, n);
	}

	/* ;params */
	if (hostport.len > 0 && hostport.s[0] == ';') {
		long q = str_chr(hostport, '?');

		n = q < 0 ? hostport.len : (size_t)q;
		uri->params = str_make(hostport.s + 1, n - 1);
		if (uri_params(uri->params, uri) != 0)
			return EBADMSG;
		hostport = sip_sv_skip(hostport, n);
	}

	/* ?headers */
	if (hostport.len > 0 && hostport.s[0] == '?') {
		uri->headers = sip_sv_skip(hostport, 1);
		if (uri_headers(uri->headers) != 0)
			return EBADMSG;
		hostport = sip_sv_skip(hostport, hostport.len);
	}
	return hostport.len == 0 ? 0 : EBADMSG;
}

/*
 * Decode one name-addr or addr-spec. For an addr-spec (no <>), the URI
 * ends at the first ';': what follows is header parameters, not URI
 * parameters (RFC 3261 section 20.10). A quoted display name is stored
 * without its quotes, escapes kept. "params" is the raw list after the
 * first ';' (without it). A lone "*" sets addr->star (Contact). Returns
 * 0 or EBADMSG; *addr is zeroed first.
 */
int
sip_addr_parse(struct str s, struct sip_addr *addr)
{
	struct str rest;
	size_t i, q;
	long gt;

	memset(addr, 0, sizeof(*addr));
	s = sip_sv_trim(s);
	if (s.len == 0)
		return EBADMSG;
	if (s.len == 1 && s.s[0] == '*') {
		addr->star = true;
		return 0;
	}

	if (s.s[0] == '"') {
		q = sip_quoted_len(s);
		if (q == 0)
			return EBADMSG;
		addr->display = str_make(s.s + 1, q - 2);
		rest = sip_skip_lws(sip_sv_skip(s, q));
		if (rest.len == 0 || rest.s[0] != '<')
			return EBADMSG;
	} else {
		i = sip_span(s, SIP_C_TOKEN | SIP_C_LWS);
		rest = sip_sv_skip(s, i);
		if (rest.len > 0 && rest.s[0] == '<')
			addr->display = sip_sv_trim(str_make(s.s, i));
		else
			rest = s;
	}

	if (rest.s[0] == '<') {
		gt = str_chr(rest, '>');
		if (gt < 0)
			return EBADMSG;
		addr->uri_raw = str_make(rest.s + 1, (size_t)gt - 1);
		rest = sip_skip_lws(sip_sv_skip(rest, (size_t)gt + 1));
	} else {
		for (i = 0; i < rest.len && rest.s[i] != ';' &&
		     !sip_cis(rest.s[i], SIP_C_LWS);
		     i++)
			;
		addr->uri_raw = str_make(rest.s, i);
		rest = sip_skip_lws(sip_sv_skip(rest, i));
	}
	if (sip_uri_parse(addr->uri_raw, &addr->uri) != 0)
		return EBADMSG;
	if (rest.len > 0) {
		if (rest.s[0] != ';')
			return EBADMSG;
		addr->params = sip_sv_skip(rest, 1);
		if (sip_params_check(addr->params, &addr->tag) != 0)
			return EBADMSG;
	}
	return 0;
}

/*
 * Next comma-separated value of a header value. Commas inside quoted
 * strings (with backslash escapes) and inside <...> do not split.
 * Empty values ("a,,b") are skipped. See sip.h for the contract.
 */
bool
sip_hdr_next_value(struct str *rest, struct str *val)
{
	struct str s = *rest;
	size_t i;
	bool quote, angle, comma;

	if (s.s == NULL)
		return false;
	for (;;) {
		quote = angle = false;
		for (i = 0; i < s.len; i++) {
			char c = s.s[i];

			if (!sip_cis(c, SIP_C_VSEP))
				continue;
			if (quote) {
				if (c == '\\')
					i++;
				else if (c == '"')
					quote = false;
			} else if (c == '"')
				quote = true;
			else if (angle) {
				if (c == '>')
					angle = false;
			} else if (c == '<')
				angle = true;
			else if (c == ',')
				break;
		}
		if (quote || angle) {
			*rest = STR_NULL;
			return false;
		}
		comma = i < s.len;
		*val = sip_sv_trim(str_make(s.s, i));
		s = sip_sv_skip(s, comma ? i + 1 : s.len);
		if (val->len > 0 || !comma) {
			*rest = s;
			return val->len > 0;
		}
	}
}

/*
 * sip/via.c -- Via header decoding (RFC 3261 section 20.42, RFC 3581)
 * and transport names.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <string.h>

#include "sip/sip.h"
#include "sip/sip_int.h"

static const struct {
	struct str name;
	enum sip_transport tp;
} transports[] = {
	{ { "UDP", 3 }, SIP_TP_UDP },
	{ { "TCP", 3 }, SIP_TP_TCP },
	{ { "TLS", 3 }, SIP_TP_TLS },
	{ { "SCTP", 4 }, SIP_TP_SCTP },
	{ { "WS", 2 }, SIP_TP_WS },
	{ { "WSS", 3 }, SIP_TP_WSS },
};

/*
 * Upper-case name of a transport as written in a Via sent-protocol;
 * an empty view for SIP_TP_NONE, SIP_TP_OTHER and invalid values.
 */
struct str
sip_transport_name(enum sip_transport tp)
{
	size_t i;

	for (i = 0; i < sizeof(transports) / sizeof(transports[0]); i++)
		if (transports[i].tp == tp)
			return transports[i].name;
	return STR("");
}

const char *
sip_transport_lc(enum sip_transport tp)
{
	return tp == SIP_TP_UDP ? "udp" :
	    tp == SIP_TP_TCP	? "tcp" :
	    tp == SIP_TP_TLS	? "tls" :
				  "?";
}

/*
 * Transport from its name, case-insensitive. SIP_TP_NONE for an empty
 * view, SIP_TP_OTHER for an unknown name.
 */
enum sip_transport
sip_transport_from_str(struct str s)
{
	size_t i;

	if (s.len == 0)
		return SIP_TP_NONE;
	for (i = 0; i < sizeof(transports) / sizeof(transports[0]); i++)
		if (str_eq_nocase(transports[i].name, s))
			return transports[i].tp;
	return SIP_TP_OTHER;
}

/* token, then SWS "/" SWS when "slash" is set. */
static bool
take_token(struct str *s, struct str *tok, bool slash)
{
	size_t n = sip_span(*s, SIP_C_TOKEN);

	if (n == 0)
		return false;
	*tok = str_make(s->s, n);
	*s = sip_sv_skip(*s, n);
	if (!slash)
		return true;
	*s = sip_skip_lws(*s);
	if (s->len == 0 || s->s[0] != '/')
		return false;
	*s = sip_skip_lws(sip_sv_skip(*s, 1));
	return true;
}

static int
via_params(struct sip_via *via)
{
	struct sip_param p;
	struct str rest = sip_skip_lws(via->params);
	uint32_t v;
	int r;

	if (rest.len == 0)
		return EBADMSG;
	/* Values: token, IPv6 address (received) or reference, quoted. */
	while ((r = sip_gparam_next(&rest, &p)) == 1) {
		switch (p.name.len) {
		case 6:
			if (!sip_eq_lower(p.name, STR("branch")))
				break;
			if (!p.has_value)
				return EBADMSG;
			if (via->branch.len == 0)
				via->branch = p.value;
			break;
		case 8:
			if (!sip_eq_lower(p.name, STR("received")))
				break;
			if (!p.has_value)
				return EBADMSG;
			if (via->received.len == 0)
				via->received = p.value;
			break;
		case 5:
			if (sip_eq_lower(p.name, STR("maddr"))) {
				if (!p.has_value)
					return EBADMSG;
				if (via->maddr.len == 0)
					via->maddr = p.value;
			} else if (sip_eq_lower(p.name, STR("rport"))) {
				if (p.has_value &&
				    (str_to_u32_max(p.value, 65535, &v) != 0 ||
					v == 0))
					return EBADMSG;
				if (!via->has_rport) {
					via->has_rport = true;
					via->rport = p.value;
				}
			}
			break;
		case 3:
			if (!sip_eq_lower(p.name, STR("ttl")))
				break;
			if (!p.has_value ||
			    str_to_u32_max(p.value, 255, &v) != 0)
				return EBADMSG;
			via->ttl = v;
			break;
		}
	}
	return r == 0 ? 0 : EBADMSG;
}

/*
 * Decode one via-parm: sent-protocol (LWS allowed around each '/';
 * protocol must be SIP/2.0, case-insensitive), sent-by host[:port]
 * (port 1..65535) and parameters. branch, received and maddr need a
 * value; ttl is 0..255; rport may be a flag or 1..65535. The first
 * occurrence of a repeated parameter wins. hdr_idx is left 0 for the
 * caller. Returns 0 or EBADMSG; *via is zeroed first.
 */
int
sip_via_parse(struct str s, struct sip_via *via)
{
	struct str name, version, tp, host;
	uint32_t port;
	size_t n;

	memset(via, 0, sizeof(*via));
	s = sip_sv_trim(s);
	via->raw = s;
	if (!take_token(&s, &name, true) || !take_token(&s, &version, true) ||
	    !take_token(&s, &tp, false))
		return EBADMSG;
	if (!sip_eq_lower(name, STR("sip")) || !str_eq(version, STR("2.0")))
		return EBADMSG;
	via->proto = str_make(via->raw.s, (size_t)(s.s - via->raw.s));
	via->transport = sip_transport_from_str(tp);

	n = sip_span(s, SIP_C_LWS);
	if (n == 0)
		return EBADMSG;
	s = sip_sv_skip(s, n);
	if (s.len > 0 && s.s[0] == '[') {
		long rb = str_chr(s, ']');

		if (rb < 0)
			return EBADMSG;
		n = (size_t)rb + 1;
		for (size_t i = 1; i + 1 < n; i++)
			if (s.s[i] != ':' && s.s[i] != '.' &&
			    !sip_cis(s.s[i], SIP_C_HEX))
				return EBADMSG;
		if (n < 4)
			return EBADMSG;
	} else
		n = sip_span(s, SIP_C_HOST);
	if (n == 0)
		return EBADMSG;
	host = str_make(s.s, n);
	via->host = host;
	s = sip_skip_lws(sip_sv_skip(s, n));

	if (s.len > 0 && s.s[0] == ':') {
		s = sip_skip_lws(sip_sv_skip(s, 1));
		for (n = 0; n < s.len && sip_is_digit(s.s[n]); n++)
			;
		if (str_to_u32_max(str_make(s.s, n), 65535, &port) != 0 ||
		    port == 0)
			return EBADMSG;
		via->port = (uint16_t)port;
		s = sip_skip_lws(sip_sv_skip(s, n));
	}
	if (s.len == 0)
		return 0;
	if (s.s[0] != ';')
		return EBADMSG;
	via->params = sip_sv_skip(s, 1);
	return via_params(via);
}

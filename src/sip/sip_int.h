/*
 * sip/sip_int.h -- helpers shared by the files of the SIP module only
 * (character classes of RFC 3261 section 25, parameter iteration).
 * Not part of the public API: include sip.h outside src/sip/.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_SIP_SIP_INT_H
#define CENTINELA_SIP_SIP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "sip/sip.h"

/* Character classes as bits of sip_ctype[]. */
#define SIP_C_TOKEN 0x01 /* token (section 25.1) */
#define SIP_C_HOST 0x02 /* hostname / IPv4: alphanum "-" "." */
#define SIP_C_USER 0x04 /* user: unreserved / user-unreserved */
#define SIP_C_PASSWD 0x08 /* password: unreserved / & = + $ , */
#define SIP_C_PARAM 0x10 /* paramchar w/o escaped: [ ] / : & + $ */
#define SIP_C_HNV 0x20 /* hname/hvalue: [ ] / ? : + $ */
#define SIP_C_LWS 0x40 /* SP HT CR LF */
#define SIP_C_HEX 0x80 /* HEXDIG */
#define SIP_C_PSTOP 0x100 /* ends a param name/value: ; = , " LWS */
#define SIP_C_VSEP 0x200 /* matters when splitting values: , " < > \ */
#define SIP_C_GVAL 0x400 /* unquoted gen-value: token : [ ] */

extern const uint16_t sip_ctype[256];

static inline bool
sip_cis(char c, unsigned cls)
{
	return (sip_ctype[(unsigned char)c] & cls) != 0;
}

static inline bool
sip_is_digit(char c)
{
	return (unsigned)((unsigned char)c - '0') < 10;
}

/*
 * Inline versions of str.h operations for the hot paths (str.c is a
 * separate unit and would cost a call per use). sip_sv_skip requires
 * n <= s.len.
 */
static inline struct str
sip_sv_skip(struct str s, size_t n)
{
	return (struct str){ s.s + n, s.len - n };
}

static inline struct str
sip_sv_trim(struct str s)
{
	while (s.len > 0 && sip_cis(s.s[0], SIP_C_LWS)) {
		s.s++;
		s.len--;
	}
	while (s.len > 0 && sip_cis(s.s[s.len - 1], SIP_C_LWS))
		s.len--;
	return s;
}

static inline unsigned char
sip_lower(char c)
{
	unsigned char u = (unsigned char)c;

	return (u >= 'A' && u <= 'Z') ? (unsigned char)(u + 32) : u;
}

/* Case-insensitive equality of "a" with "lit", which is lower case. */
static inline bool
sip_eq_lower(struct str a, struct str lit)
{
	size_t i;

	if (a.len != lit.len)
		return false;
	for (i = 0; i < a.len; i++)
		if (sip_lower(a.s[i]) != (unsigned char)lit.s[i])
			return false;
	return true;
}

/* Skip SP/HT/CR/LF (folded LWS) at the front of "s". */
static inline struct str
sip_skip_lws(struct str s)
{
	while (s.len > 0 && sip_cis(s.s[0], SIP_C_LWS)) {
		s.s++;
		s.len--;
	}
	return s;
}

/* Length of the run of "cls" characters at the front of "s". */
static inline size_t
sip_span(struct str s, unsigned cls)
{
	size_t i = 0;

	while (i < s.len && sip_cis(s.s[i], cls))
		i++;
	return i;
}

/*
 * True when "s" is one or more characters of class "cls", where "%"
 * HEX HEX escapes are also accepted when "escapes" is true.
 */
bool sip_chars_ok(struct str s, unsigned cls, bool escapes);

/*
 * Length of the quoted-string at the front of "s" (which starts with
 * '"'), including both quotes and honouring backslash escapes, or 0
 * when it is not terminated.
 */
size_t sip_quoted_len(struct str s);

/*
 * Iterate over a ";"-separated parameter list (leading ';' optional,
 * LWS around ';' and '=' allowed, quoted values kept with their
 * quotes). Start with *rest = the list. Each call stores the next
 * parameter in *p and returns 1; it returns 0 at the end of the list
 * and -1 when the list is malformed (an empty name or an unterminated
 * quote). Empty elements (";;") are malformed too.
 */
int sip_param_next(struct str *rest, struct sip_param *p);

/*
 * Strict single-pass iterator over a header parameter list that
 * follows a ';' already consumed (generic-param, section 25.1): the
 * list must not be empty, names are tokens, values are quoted strings
 * or runs of token characters, ':', '[' and ']'; LWS is allowed around
 * ';' and '='; a trailing ';' is malformed. Returns 1 with *p set, 0 at
 * the end, -1 when malformed.
 */
int sip_gparam_next(struct str *rest, struct sip_param *p);

/*
 * Validate a header parameter list (generic-param, section 25.1) that
 * follows a ';' already consumed: it must not be empty; names are
 * tokens, values tokens, quoted strings or bracketed IPv6 references.
 * When "tag" is not NULL, the value of the first "tag" parameter is
 * stored there. Returns 0 or EBADMSG.
 */
int sip_params_check(struct str params, struct str *tag);

#endif /* CENTINELA_SIP_SIP_INT_H */

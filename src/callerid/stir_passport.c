/*
 * callerid/stir_passport.c -- the Identity header value (RFC 8224
 * section 4) and the PASSporT it carries (RFC 8225, RFC 8588, ATIS full
 * form), decoded and checked without any cryptography or clock.
 *
 * JSON goes through jansson with duplicate keys refused; the signature
 * is later checked over the received "header.payload" bytes, never over
 * re-serialised JSON, so a token whose JSON is not canonical (other
 * signers' key order or spacing) still verifies.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <jansson.h>

#include "callerid/stir_int.h"

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct str
trim_left(struct str s)
{
	while (s.len && is_ws(s.s[0]))
		s = str_skip(s, 1);
	return s;
}

static bool
b64url_chars(struct str s)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		char c = s.s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_' ||
			c == '.'))
			return false;
	}
	return true;
}

/*
 * One parameter value from the start of "s": <...>, "..." (with \
 * escapes) or a token up to ';'. *rest gets what follows the value.
 */
static int
param_value(struct str s, struct str *val, struct str *rest)
{
	size_t i;

	s = trim_left(s);
	if (s.len && s.s[0] == '<') {
		long e = str_chr(s, '>');

		if (e < 0)
			return EBADMSG;
		*val = str_sub(s, 1, (size_t)e - 1);
		*rest = str_skip(s, (size_t)e + 1);
		return 0;
	}
	if (s.len && s.s[0] == '"') {
		for (i = 1; i < s.len; i++) {
			if (s.s[i] == '\\')
				i++;
			else if (s.s[i] == '"')
				break;
		}
		if (i >= s.len)
			return EBADMSG;
		*val = str_sub(s, 1, i - 1);
		*rest = str_skip(s, i + 1);
		return 0;
	}
	for (i = 0; i < s.len && s.s[i] != ';'; i++)
		;
	*val = str_trim(str_sub(s, 0, i));
	*rest = str_skip(s, i);
	return 0;
}

int
stir_identity_parse(struct stir_identity *id, struct str value)
{
	struct str s, name, val;
	bool info = false, alg = false, ppt = false;
	long semi;

	memset(id, 0, sizeof(*id));
	if (value.len > STIR_IDENTITY_MAX)
		return EMSGSIZE;
	s = str_trim(value);
	semi = str_chr(s, ';');
	id->jws = str_trim(semi < 0 ? s : str_sub(s, 0, (size_t)semi));
	if (id->jws.len == 0 || !b64url_chars(id->jws))
		return EBADMSG;
	s = semi < 0 ? STR_NULL : str_skip(s, (size_t)semi);
	while (s.len) {
		size_t i;
		int err;

		/* s starts with the ';' before a parameter */
		s = trim_left(str_skip(s, 1));
		for (i = 0; i < s.len && s.s[i] != '=' && s.s[i] != ';'; i++)
			;
		name = str_trim(str_sub(s, 0, i));
		if (name.len == 0)
			return EBADMSG;
		s = str_skip(s, i);
		val = STR_NULL;
		if (s.len && s.s[0] == '=') {
			err = param_value(str_skip(s, 1), &val, &s);
			if (err)
				return err;
		}
		s = trim_left(s);
		if (s.len && s.s[0] != ';')
			return EBADMSG;
		if (str_eq_nocase(name, STR("info"))) {
			if (info)
				return EBADMSG;
			info = true;
			id->info = str_trim(val);
		} else if (str_eq_nocase(name, STR("alg"))) {
			if (alg || val.len == 0)
				return EBADMSG;
			alg = true;
			id->alg = val;
		} else if (str_eq_nocase(name, STR("ppt"))) {
			if (ppt || val.len == 0)
				return EBADMSG;
			ppt = true;
			id->ppt = val;
		} else {
			id->nother++;
		}
	}
	return 0;
}

/* ---- PASSporT ------------------------------------------------------------ */

static json_t *
load_json(struct str b64, unsigned char *buf, size_t cap)
{
	json_error_t jerr;
	size_t n;

	if (stir_b64url_decode(b64, buf, cap, &n) != 0 || n == 0)
		return NULL;
	return json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, &jerr);
}

/* A string member of at most cap - 1 bytes without NUL, copied out. */
static bool
get_str(const json_t *obj, const char *key, char *out, size_t cap)
{
	const json_t *j = json_object_get(obj, key);
	size_t n;

	if (!json_is_string(j))
		return false;
	n = json_string_length(j);
	if (n == 0 || n >= cap || memchr(json_string_value(j), '\0', n))
		return false;
	memcpy(out, json_string_value(j), n);
	out[n] = '\0';
	return true;
}

static bool
str_is(const json_t *obj, const char *key, const char *want)
{
	const json_t *j = json_object_get(obj, key);

	return json_is_string(j) && json_string_length(j) == strlen(want) &&
	    memcmp(json_string_value(j), want, strlen(want)) == 0;
}

static int
check_header(struct stir_passport *pp, const json_t *h, struct stir_result *res)
{
	static const char *const need[] = { "alg", "typ", "ppt", "x5u" };
	size_t i;

	if (!json_is_object(h)) {
		stir_result_set(
		    res, 438, "PASSporT header is not a JSON object");
		return EBADMSG;
	}
	for (i = 0; i < 4; i++) {
		if (!json_object_get(h, need[i])) {
			stir_result_set(
			    res, 436, "PASSporT header has no %s", need[i]);
			return EBADMSG;
		}
	}
	if (json_object_size(h) > 4) {
		stir_result_set(
		    res, 438, "more than 4 PASSporT header parameters");
		return EBADMSG;
	}
	if (!str_is(h, "typ", "passport")) {
		stir_result_set(res, 437, "PASSporT typ is not passport");
		return EBADMSG;
	}
	if (!str_is(h, "alg", "ES256")) {
		stir_result_set(res, 437, "PASSporT alg is not ES256");
		return EBADMSG;
	}
	if (!str_is(h, "ppt", "shaken")) {
		stir_result_set(res, 438, "PASSporT ppt is not shaken");
		return EBADMSG;
	}
	if (!get_str(h, "x5u", pp->x5u, sizeof(pp->x5u))) {
		stir_result_set(
		    res, 436, "PASSporT x5u is not a usable string");
		return EBADMSG;
	}
	return 0;
}

static int
check_claims(struct stir_passport *pp, const json_t *c, struct stir_result *res)
{
	char attest[2];
	const json_t *o, *d, *t, *iat;
	size_t i;

	if (!json_is_object(c)) {
		stir_result_set(
		    res, 438, "PASSporT payload is not a JSON object");
		return EBADMSG;
	}
	if (!get_str(c, "attest", attest, sizeof(attest)) ||
	    (attest[0] != 'A' && attest[0] != 'B' && attest[0] != 'C')) {
		stir_result_set(res, 438, "attest is not A, B or C");
		return EBADMSG;
	}
	pp->attest = attest[0];
	res->attest = pp->attest;
	o = json_object_get(c, "orig");
	if (!json_is_object(o) ||
	    !get_str(o, "tn", pp->orig_tn, sizeof(pp->orig_tn))) {
		stir_result_set(res, 438, "orig is not {\"tn\":\"...\"}");
		return EBADMSG;
	}
	d = json_object_get(c, "dest");
	t = json_is_object(d) ? json_object_get(d, "tn") : NULL;
	if (!json_is_array(t) || json_array_size(t) == 0 ||
	    json_array_size(t) > STIR_DEST_MAX) {
		stir_result_set(res, 438, "dest is not {\"tn\":[...]}");
		return EBADMSG;
	}
	for (i = 0; i < json_array_size(t); i++) {
		const json_t *e = json_array_get(t, i);
		size_t n = json_is_string(e) ? json_string_length(e) : 0;

		if (n == 0 || n >= STIR_TN_MAX ||
		    memchr(json_string_value(e), '\0', n)) {
			stir_result_set(
			    res, 438, "dest.tn[%zu] is not a number", i);
			return EBADMSG;
		}
		memcpy(pp->dest_tn[i], json_string_value(e), n);
		pp->dest_tn[i][n] = '\0';
	}
	pp->ndest = (unsigned)json_array_size(t);
	iat = json_object_get(c, "iat");
	if (json_is_integer(iat)) {
		pp->iat = (int64_t)json_integer_value(iat);
	} else if (json_is_real(iat) && isfinite(json_real_value(iat)) &&
	    fabs(json_real_value(iat)) < 1e15) {
		pp->iat = (int64_t)json_real_value(iat);
	} else {
		/* RFC 8588 errata 6656: a string iat is the wrong type */
		stir_result_set(res, 438, "iat is not a NumericDate");
		return EBADMSG;
	}
	if (!get_str(c, "origid", pp->origid, sizeof(pp->origid))) {
		stir_result_set(res, 438, "origid missing or not a string");
		return EBADMSG;
	}
	snprintf(res->origid, sizeof(res->origid), "%s", pp->origid);
	return 0;
}

int
stir_passport_decode(
    struct stir_passport *pp, struct str jws, struct stir_result *res)
{
	unsigned char buf[STIR_IDENTITY_MAX];
	struct str h64, rest, p64, s64;
	json_t *j;
	size_t n;
	int err;

	memset(pp, 0, sizeof(*pp));
	if (jws.len > STIR_IDENTITY_MAX) {
		stir_result_set(res, 438, "PASSporT too long");
		return EBADMSG;
	}
	if (!str_split(jws, '.', &h64, &rest) ||
	    !str_split(rest, '.', &p64, &s64) || str_chr(s64, '.') >= 0 ||
	    h64.len == 0 || s64.len == 0) {
		stir_result_set(res, 438, "PASSporT is not a compact JWS");
		return EBADMSG;
	}
	if (p64.len == 0) {
		/* RFC 8225 section 7 compact form; ATIS requires full form */
		stir_result_set(res, 438, "compact form PASSporT not accepted");
		return EBADMSG;
	}
	j = load_json(h64, buf, sizeof(buf));
	if (!j) {
		stir_result_set(
		    res, 438, "PASSporT header is not base64url JSON");
		return EBADMSG;
	}
	err = check_header(pp, j, res);
	json_decref(j);
	if (err)
		return err;
	j = load_json(p64, buf, sizeof(buf));
	if (!j) {
		stir_result_set(
		    res, 438, "PASSporT payload is not base64url JSON");
		return EBADMSG;
	}
	err = check_claims(pp, j, res);
	json_decref(j);
	if (err)
		return err;
	if (stir_b64url_decode(s64, buf, sizeof(buf), &n) != 0 || n != 64) {
		stir_result_set(
		    res, 438, "signature is not 64 bytes of base64url");
		return EBADMSG;
	}
	memcpy(pp->sig, buf, 64);
	pp->signed_part = str_sub(jws, 0, h64.len + 1 + p64.len);
	return 0;
}

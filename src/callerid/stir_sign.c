/*
 * callerid/stir_sign.c -- the STIR/SHAKEN authentication service:
 * full-form PASSporTs with canonical JSON, the Identity header value and
 * the Date header that goes with it.
 *
 * Canonical JSON is jansson's output with JSON_COMPACT | JSON_SORT_KEYS
 * (RFC 8225 section 9: keys in lexicographic order at every level, no
 * whitespace). The protected header depends only on x5u, so it is built
 * and encoded once per signer. The key stays loaded and an EVP_MD_CTX
 * initialised for ES256 serves as a template: each signature copies it
 * instead of setting a signing context up again, and the template is
 * only read, so one signer serves every thread.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "callerid/stir_int.h"

#define JSON_FLAGS (JSON_COMPACT | JSON_SORT_KEYS)
/* Longest payload JSON we produce. */
#define PAYLOAD_MAX 1536

struct stir_signer {
	EVP_PKEY *s_key;
	EVP_MD_CTX *s_tmpl; /* DigestSignInit done; copied per signature */
	char s_x5u[STIR_X5U_MAX];
	char s_hdr64[2 * STIR_X5U_MAX]; /* base64url of the header JSON */
	size_t s_hdr64len;
};

static int sign_err(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
sign_err(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static bool
x5u_ok(const char *x5u)
{
	size_t i, n = strlen(x5u);

	if (n < 9 || n >= STIR_X5U_MAX || strncasecmp(x5u, "https://", 8) != 0)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)x5u[i];

		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '<' ||
		    c == '>' || c == ';' || c == '\\')
			return false;
	}
	return true;
}

static int
make_header(struct stir_signer *s)
{
	json_t *h;
	char buf[STIR_X5U_MAX + 64];
	size_t n;

	h = json_pack("{s:s,s:s,s:s,s:s}", "alg", "ES256", "ppt", "shaken",
	    "typ", "passport", "x5u", s->s_x5u);
	if (!h)
		return ENOMEM;
	n = json_dumpb(h, buf, sizeof(buf), JSON_FLAGS);
	json_decref(h);
	if (n == 0 || n > sizeof(buf))
		return EINVAL;
	return stir_b64url_encode(
	    buf, n, s->s_hdr64, sizeof(s->s_hdr64), &s->s_hdr64len);
}

int
stir_signer_alloc(struct stir_signer **sp, const char *key_path,
    const char *x5u, char *err, size_t errlen)
{
	struct stir_signer *s;
	BIO *b;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!sp || !key_path || !x5u)
		return EINVAL;
	if (!x5u_ok(x5u))
		return sign_err(
		    err, errlen, EINVAL, "x5u is not a usable https URL");
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	snprintf(s->s_x5u, sizeof(s->s_x5u), "%s", x5u);
	b = BIO_new_file(key_path, "r");
	if (!b) {
		rc = sign_err(err, errlen, ENOENT, "cannot read %s", key_path);
		goto out;
	}
	s->s_key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (!s->s_key || !stir_pkey_is_p256(s->s_key)) {
		rc = sign_err(err, errlen, EINVAL,
		    "%s holds no EC P-256 private key", key_path);
		goto out;
	}
	rc = ENOMEM;
	s->s_tmpl = EVP_MD_CTX_new();
	if (!s->s_tmpl)
		goto out;
	if (EVP_DigestSignInit_ex(
		s->s_tmpl, NULL, "SHA256", NULL, NULL, s->s_key, NULL) != 1) {
		rc = sign_err(err, errlen, EINVAL, "cannot sign with that key");
		goto out;
	}
	rc = make_header(s);
out:
	ERR_clear_error();
	if (rc)
		stir_signer_free(s);
	else
		*sp = s;
	return rc;
}

void
stir_signer_free(struct stir_signer *s)
{
	if (!s)
		return;
	EVP_MD_CTX_free(s->s_tmpl);
	EVP_PKEY_free(s->s_key);
	free(s);
}

/*
 * out[cap] holds "header64.payload64" of length n; append ".sig64" and
 * a NUL. Returns 0, ENOSPC, ENOMEM or EIO.
 */
static int
sign_input(struct stir_signer *s, char *out, size_t n, size_t cap, size_t *len)
{
	unsigned char der[80], raw[64];
	size_t dl = sizeof(der), sl;
	EVP_MD_CTX *ctx;
	int err = EIO;

	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return ENOMEM;
	if (EVP_MD_CTX_copy_ex(ctx, s->s_tmpl) != 1 ||
	    EVP_DigestSign(ctx, der, &dl, (const unsigned char *)out, n) != 1 ||
	    stir_es256_raw(der, dl, raw) != 0)
		goto out;
	if (n + 1 >= cap) {
		err = ENOSPC;
		goto out;
	}
	out[n] = '.';
	err =
	    stir_b64url_encode(raw, sizeof(raw), out + n + 1, cap - n - 1, &sl);
	if (!err)
		*len = n + 1 + sl;
out:
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return err;
}

/* "h64" "." b64(payload) into out; *n gets the length. */
static int
put_parts(const char *h64, size_t hl, const void *payload, size_t pl, char *out,
    size_t cap, size_t *n)
{
	size_t k;
	int err;

	if (hl + 1 >= cap)
		return ENOSPC;
	memcpy(out, h64, hl);
	out[hl] = '.';
	err = stir_b64url_encode(payload, pl, out + hl + 1, cap - hl - 1, &k);
	if (!err)
		*n = hl + 1 + k;
	return err;
}

int
stir_sign_jws(struct stir_signer *s, struct str header, struct str payload,
    char *out, size_t cap, size_t *len)
{
	char h64[STIR_IDENTITY_MAX];
	size_t hl, n, l;
	int err;

	if (!s || !out)
		return EINVAL;
	err = stir_b64url_encode(header.s, header.len, h64, sizeof(h64), &hl);
	if (!err)
		err = put_parts(h64, hl, payload.s, payload.len, out, cap, &n);
	if (!err)
		err = sign_input(s, out, n, cap, &l);
	if (!err && len)
		*len = l;
	return err;
}

/* A TN for a claim: digits only, a leading '+' dropped. */
static bool
tn_claim(struct str t, struct str *out)
{
	size_t i;

	if (t.len && t.s[0] == '+')
		t = str_skip(t, 1);
	if (t.len == 0 || t.len >= STIR_TN_MAX)
		return false;
	for (i = 0; i < t.len; i++)
		if (t.s[i] < '0' || t.s[i] > '9')
			return false;
	*out = t;
	return true;
}

/* The canonical payload JSON of c into buf; *n its length. */
static int
make_payload(const struct stir_claims *c, const char *origid, char *buf,
    size_t cap, size_t *n)
{
	json_t *dest, *p;
	struct str tn;
	size_t i;

	dest = json_array();
	if (!dest)
		return ENOMEM;
	for (i = 0; i < c->ndest; i++) {
		if (!tn_claim(c->dest_tn[i], &tn) ||
		    json_array_append_new(dest, json_stringn(tn.s, tn.len)) !=
			0) {
			json_decref(dest);
			return EINVAL;
		}
	}
	if (!tn_claim(c->orig_tn, &tn)) {
		json_decref(dest);
		return EINVAL;
	}
	p = json_pack("{s:s%,s:{s:o},s:I,s:{s:s%},s:s}", "attest", &c->attest,
	    (size_t)1, "dest", "tn", dest, "iat", (json_int_t)c->iat, "orig",
	    "tn", tn.s, tn.len, "origid", origid);
	if (!p)
		return EINVAL; /* origid not UTF-8 (or no memory) */
	*n = json_dumpb(p, buf, cap, JSON_FLAGS);
	json_decref(p);
	if (*n == 0 || *n > cap)
		return ENOSPC;
	return 0;
}

int
stir_sign(struct stir_signer *s, const struct stir_claims *c, char *out,
    size_t cap, size_t *len)
{
	char payload[PAYLOAD_MAX], origid[STIR_ORIGID_MAX];
	size_t pl, n, l;
	int err, k;

	if (!s || !c || !out || (c->ndest && !c->dest_tn))
		return EINVAL;
	if ((c->attest != 'A' && c->attest != 'B' && c->attest != 'C') ||
	    c->ndest == 0 || c->ndest > STIR_DEST_MAX ||
	    c->origid.len >= sizeof(origid))
		return EINVAL;
	if (c->origid.len) {
		if (memchr(c->origid.s, '\0', c->origid.len))
			return EINVAL;
		memcpy(origid, c->origid.s, c->origid.len);
		origid[c->origid.len] = '\0';
	} else if ((err = stir_uuid4(origid)) != 0) {
		return err;
	}
	err = make_payload(c, origid, payload, sizeof(payload), &pl);
	if (!err)
		err = put_parts(
		    s->s_hdr64, s->s_hdr64len, payload, pl, out, cap, &n);
	if (!err)
		err = sign_input(s, out, n, cap, &l);
	if (err)
		return err;
	k = snprintf(
	    out + l, cap - l, ";info=<%s>;alg=ES256;ppt=shaken", s->s_x5u);
	if (k < 0 || (size_t)k >= cap - l)
		return ENOSPC;
	if (len)
		*len = l + (size_t)k;
	return 0;
}

int
stir_date_fmt(int64_t t, char *buf, size_t cap)
{
	static const char wday[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
		"Fri", "Sat" };
	static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;
	int n;

	if (!gmtime_r(&tt, &tm) || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 0)
		return EINVAL;
	n = snprintf(buf, cap, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    wday[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= cap)
		return ENOSPC;
	return 0;
}

int
stir_uuid4(char out[STIR_UUID_LEN])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return EIO;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, STIR_UUID_LEN,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	    b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

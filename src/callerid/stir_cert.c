/*
 * callerid/stir_cert.c -- STIR/SHAKEN certificates (RFC 8226,
 * ATIS-1000080): a fetched PEM chain is checked once, at fetch time,
 * and what the verification needs is kept in the cache.
 *
 * Checks, in order: at least one certificate, the leaf (the first) has
 * an EC P-256 key, the chain builds to the trusted STI-CA roots with
 * the other certificates of the PEM as intermediates (and the CRLs when
 * configured), the TNAuthList extension holds exactly one SPC, and the
 * subject CN is "SHAKEN <SPC>" (ATIS-1000080 section 6.4.1.2) unless
 * cn_lax. The leaf's own validity period is not judged here but against
 * each request's Date (stir.c), so its time errors are ignored during
 * the chain check; the CAs must be valid at fetch time.
 *
 * TNAuthList (RFC 8226 section 9, EXPLICIT TAGS):
 *   TNAuthorizationList ::= SEQUENCE SIZE (1..MAX) OF TNEntry
 *   TNEntry ::= CHOICE { spc [0] ServiceProviderCode (IA5String),
 *                        range [1] TelephoneNumberRange,
 *                        one [2] TelephoneNumber (IA5String) }
 *   TelephoneNumberRange ::= SEQUENCE { start TelephoneNumber,
 *                                       count INTEGER }
 * decoded with OpenSSL's ASN.1 templates.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "callerid/stir_int.h"

#define TNAUTHLIST_OID "1.3.6.1.5.5.7.1.26"
/* Certificates accepted in one x5u resource (leaf + intermediates). */
#define CHAIN_MAX 8

/*
 * The ASN.1 template macros need typedef'd struct names in OpenSSL's
 * style; these three exist only for them.
 */
typedef struct {
	ASN1_IA5STRING *start;
	ASN1_INTEGER *count;
} STIR_TNRANGE;

typedef struct {
	int type;
	union {
		ASN1_IA5STRING *spc;
		STIR_TNRANGE *range;
		ASN1_IA5STRING *one;
	} value;
} STIR_TNENTRY;

#define TNENTRY_SPC 0

ASN1_SEQUENCE(STIR_TNRANGE) = {
	ASN1_SIMPLE(STIR_TNRANGE, start, ASN1_IA5STRING),
	ASN1_SIMPLE(STIR_TNRANGE, count, ASN1_INTEGER),
} static_ASN1_SEQUENCE_END(STIR_TNRANGE)

ASN1_CHOICE(STIR_TNENTRY) = {
	ASN1_EXP(STIR_TNENTRY, value.spc, ASN1_IA5STRING, 0),
	ASN1_EXP(STIR_TNENTRY, value.range, STIR_TNRANGE, 1),
	ASN1_EXP(STIR_TNENTRY, value.one, ASN1_IA5STRING, 2),
} static_ASN1_CHOICE_END(STIR_TNENTRY)

ASN1_ITEM_TEMPLATE(STIR_TNAUTHLIST) = ASN1_EX_TEMPLATE_TYPE(
    ASN1_TFLG_SEQUENCE_OF, 0, TNAuthorizationList, STIR_TNENTRY)
static_ASN1_ITEM_TEMPLATE_END(STIR_TNAUTHLIST)

DEFINE_STACK_OF(STIR_TNENTRY)

int
stir_tnauthlist_spc(
    const unsigned char *der, size_t len, char *spc, size_t cap)
{
	STACK_OF(STIR_TNENTRY) * l;
	const unsigned char *p = der;
	const STIR_TNENTRY *e;
	const unsigned char *d;
	int err = EBADMSG, i, n;

	if (!der || len == 0 || len > LONG_MAX)
		return EBADMSG;
	l = (STACK_OF(STIR_TNENTRY) *)ASN1_item_d2i(
	    NULL, &p, (long)len, ASN1_ITEM_rptr(STIR_TNAUTHLIST));
	if (!l)
		goto out;
	if (p != der + len) /* trailing bytes */
		goto out;
	err = EPROTO;
	if (sk_STIR_TNENTRY_num(l) != 1)
		goto out;
	e = sk_STIR_TNENTRY_value(l, 0);
	if (e->type != TNENTRY_SPC)
		goto out;
	err = EBADMSG;
	n = ASN1_STRING_length(e->value.spc);
	d = ASN1_STRING_get0_data(e->value.spc);
	if (n <= 0)
		goto out;
	for (i = 0; i < n; i++)
		if (d[i] < 0x21 || d[i] > 0x7e)
			goto out;
	err = ENOSPC;
	if ((size_t)n >= cap)
		goto out;
	memcpy(spc, d, (size_t)n);
	spc[n] = '\0';
	err = 0;
out:
	ASN1_item_free((ASN1_VALUE *)l, ASN1_ITEM_rptr(STIR_TNAUTHLIST));
	ERR_clear_error();
	return err;
}

static void fail(struct stir_certinfo *ci, unsigned code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct stir_certinfo *ci, unsigned code, const char *fmt, ...)
{
	va_list ap;

	ci->code = code;
	va_start(ap, fmt);
	vsnprintf(ci->detail, sizeof(ci->detail), fmt, ap);
	va_end(ap);
}

void
stir_certinfo_clear(struct stir_certinfo *ci)
{
	X509_free(ci->leaf);
	memset(ci, 0, sizeof(*ci));
}

static int64_t
asn1_unix(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

/*
 * The leaf's own validity is checked per request; every other error
 * stands.
 */
static int
verify_cb(int ok, X509_STORE_CTX *ctx)
{
	int e;

	if (ok)
		return ok;
	e = X509_STORE_CTX_get_error(ctx);
	if (X509_STORE_CTX_get_error_depth(ctx) == 0 &&
	    (e == X509_V_ERR_CERT_NOT_YET_VALID ||
		e == X509_V_ERR_CERT_HAS_EXPIRED))
		return 1;
	return ok;
}

static void
check_chain(X509_STORE *roots, X509 *leaf, STACK_OF(X509) * inter, int64_t now,
    struct stir_certinfo *ci)
{
	X509_STORE_CTX *ctx;
	int e;

	ctx = X509_STORE_CTX_new();
	if (!ctx || X509_STORE_CTX_init(ctx, roots, leaf, inter) != 1) {
		fail(ci, 437, "certificate check failed");
		goto out;
	}
	X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	if (X509_verify_cert(ctx) == 1)
		goto out;
	e = X509_STORE_CTX_get_error(ctx);
	if (e == X509_V_ERR_CERT_REVOKED)
		fail(ci, 437, "certificate revoked");
	else
		fail(ci, 437, "certificate chain: %s",
		    X509_verify_cert_error_string(e));
out:
	X509_STORE_CTX_free(ctx);
}

static void
check_tnauth(X509 *leaf, struct stir_certinfo *ci)
{
	const ASN1_OCTET_STRING *os;
	ASN1_OBJECT *oid;
	int i, err;

	oid = OBJ_txt2obj(TNAUTHLIST_OID, 1);
	if (!oid) {
		fail(ci, 437, "certificate check failed");
		return;
	}
	i = X509_get_ext_by_OBJ(leaf, oid, -1);
	if (i < 0) {
		fail(ci, 438, "certificate has no TNAuthList");
		goto out;
	}
	if (X509_get_ext_by_OBJ(leaf, oid, i) >= 0) {
		fail(ci, 438, "certificate has two TNAuthList extensions");
		goto out;
	}
	os = X509_EXTENSION_get_data(X509_get_ext(leaf, i));
	err = stir_tnauthlist_spc(ASN1_STRING_get0_data(os),
	    (size_t)ASN1_STRING_length(os), ci->spc, sizeof(ci->spc));
	if (err == EPROTO)
		fail(ci, 438, "TNAuthList does not hold exactly one SPC");
	else if (err)
		fail(ci, 438, "TNAuthList is malformed");
out:
	ASN1_OBJECT_free(oid);
}

static void
check_cn(X509 *leaf, struct stir_certinfo *ci)
{
	const X509_NAME *name = X509_get_subject_name(leaf);
	unsigned char *cn = NULL;
	char want[STIR_SPC_MAX + 8];
	int i, n, wl;

	i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (i < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0) {
		fail(ci, 438, "certificate needs exactly one CN");
		return;
	}
	n = ASN1_STRING_to_UTF8(
	    &cn, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	wl = snprintf(want, sizeof(want), "SHAKEN %s", ci->spc);
	if (n < 0 || n != wl || memcmp(cn, want, (size_t)n) != 0)
		fail(ci, 438, "CN is not \"SHAKEN %s\"", ci->spc);
	OPENSSL_free(cn);
}

void
stir_cert_check(X509_STORE *roots, const char *pem, size_t len, int64_t now,
    bool cn_lax, struct stir_certinfo *ci)
{
	STACK_OF(X509) *inter = NULL;
	X509 *leaf = NULL, *x;
	BIO *b = NULL;
	int n = 0;

	memset(ci, 0, sizeof(*ci));
	if (len == 0 || len > INT_MAX ||
	    !(b = BIO_new_mem_buf(pem, (int)len)) ||
	    !(inter = sk_X509_new_null())) {
		fail(ci, 436, "x5u holds no certificate");
		goto out;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (++n > CHAIN_MAX) {
			X509_free(x);
			fail(ci, 437, "more than %d certificates", CHAIN_MAX);
			goto out;
		}
		if (!leaf)
			leaf = x;
		else if (!sk_X509_push(inter, x)) {
			X509_free(x);
			fail(ci, 437, "certificate check failed");
			goto out;
		}
	}
	if (!leaf) {
		fail(ci, 436, "x5u holds no certificate");
		goto out;
	}
	if (!stir_pkey_is_p256(X509_get0_pubkey(leaf))) {
		fail(ci, 437, "certificate key is not EC P-256");
		goto out;
	}
	check_chain(roots, leaf, inter, now, ci);
	if (ci->code)
		goto out;
	check_tnauth(leaf, ci);
	if (ci->code)
		goto out;
	if (!cn_lax)
		check_cn(leaf, ci);
	if (ci->code)
		goto out;
	ci->not_before = asn1_unix(X509_get0_notBefore(leaf));
	ci->not_after = asn1_unix(X509_get0_notAfter(leaf));
	ci->leaf = leaf;
	leaf = NULL;
out:
	if (ci->code)
		ci->spc[0] = '\0';
	X509_free(leaf);
	sk_X509_pop_free(inter, X509_free);
	BIO_free(b);
	ERR_clear_error();
}

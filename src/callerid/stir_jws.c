/*
 * callerid/stir_jws.c -- the JWS primitives of PASSporT: base64url
 * (OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock with the URL alphabet and
 * no padding, RFC 7515 section 2) and ES256, whose JWS signature is the
 * raw r || s (64 bytes) rather than OpenSSL's DER (RFC 7518 section 3.4).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "callerid/stir_int.h"

/* Longest DER of an ECDSA-Sig-Value over P-256: 2 + 2 * (2 + 33). */
#define ES256_DER_MAX 72

int
stir_b64url_encode(
    const void *in, size_t len, char *out, size_t cap, size_t *olen)
{
	size_t need, i;
	int n;

	if (len > INT_MAX / 2)
		return EINVAL;
	need = 4 * ((len + 2) / 3) + 1;
	if (cap < need)
		return ENOSPC;
	n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	if (n < 0)
		return EINVAL;
	while (n > 0 && out[n - 1] == '=')
		n--;
	for (i = 0; i < (size_t)n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	out[n] = '\0';
	if (olen)
		*olen = (size_t)n;
	return 0;
}

int
stir_b64url_decode(struct str in, unsigned char *out, size_t cap, size_t *olen)
{
	char tmp[STIR_IDENTITY_MAX + 4];
	size_t i, pad;
	int n;

	if (in.len == 0) {
		*olen = 0;
		return 0;
	}
	/* no padding in JWS; a length of 4k + 1 is never valid */
	if (in.len > STIR_IDENTITY_MAX || in.len % 4 == 1)
		return EBADMSG;
	for (i = 0; i < in.len; i++) {
		char c = in.s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9'))
			tmp[i] = c;
		else if (c == '-')
			tmp[i] = '+';
		else if (c == '_')
			tmp[i] = '/';
		else
			return EBADMSG;
	}
	pad = (4 - in.len % 4) % 4;
	memset(tmp + in.len, '=', pad);
	if (cap < (in.len + pad) / 4 * 3)
		return ENOSPC;
	n = EVP_DecodeBlock(
	    out, (const unsigned char *)tmp, (int)(in.len + pad));
	if (n < 0 || (size_t)n < pad)
		return EBADMSG;
	*olen = (size_t)n - pad;
	return 0;
}

int
stir_es256_verify(
    EVP_PKEY *pk, const void *msg, size_t len, const unsigned char sig[64])
{
	unsigned char der[ES256_DER_MAX], *p = der;
	EVP_MD_CTX *ctx = NULL;
	ECDSA_SIG *es;
	BIGNUM *r, *s;
	int dl, err = ENOMEM;

	es = ECDSA_SIG_new();
	r = BN_bin2bn(sig, 32, NULL);
	s = BN_bin2bn(sig + 32, 32, NULL);
	if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	dl = i2d_ECDSA_SIG(es, NULL);
	if (dl <= 0 || dl > (int)sizeof(der) || i2d_ECDSA_SIG(es, &p) != dl)
		goto out;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		goto out;
	err = EKEYREJECTED;
	if (EVP_DigestVerifyInit_ex(
		ctx, NULL, "SHA256", NULL, NULL, pk, NULL) != 1)
		goto out;
	if (EVP_DigestVerify(ctx, der, (size_t)dl, msg, len) == 1)
		err = 0;
out:
	EVP_MD_CTX_free(ctx);
	ECDSA_SIG_free(es);
	ERR_clear_error();
	return err;
}

int
stir_es256_raw(const unsigned char *der, size_t len, unsigned char out[64])
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *es;
	int err = EBADMSG;

	if (len > ES256_DER_MAX)
		return EBADMSG;
	es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	if (!es)
		goto out;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, out, 32) == 32 &&
	    BN_bn2binpad(s, out + 32, 32) == 32)
		err = 0;
out:
	ECDSA_SIG_free(es);
	ERR_clear_error();
	return err;
}

bool
stir_pkey_is_p256(const EVP_PKEY *pk)
{
	char name[32];
	size_t n;

	if (!pk || !EVP_PKEY_is_a(pk, "EC"))
		return false;
	if (EVP_PKEY_get_group_name(pk, name, sizeof(name), &n) != 1)
		return false;
	return strcmp(name, "prime256v1") == 0 || strcmp(name, "P-256") == 0;
}

/* Public key from PEM "pem": a PUBLIC KEY, else the first CERTIFICATE. */
static EVP_PKEY *
pem_pubkey(const char *pem, size_t len)
{
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	BIO *b;

	if (len > INT_MAX)
		return NULL;
	b = BIO_new_mem_buf(pem, (int)len);
	if (!b)
		return NULL;
	pk = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	if (!pk && BIO_reset(b) == 1) {
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		if (x)
			pk = X509_get_pubkey(x);
	}
	X509_free(x);
	BIO_free(b);
	ERR_clear_error();
	return pk;
}

int
stir_jws_check_sig(struct str jws, const char *pem, size_t pemlen)
{
	struct str head, rest, payload, sig64;
	unsigned char sig[STIR_IDENTITY_MAX];
	EVP_PKEY *pk;
	size_t n;
	int err;

	if (!str_split(jws, '.', &head, &rest) ||
	    !str_split(rest, '.', &payload, &sig64) || head.len == 0 ||
	    str_chr(sig64, '.') >= 0)
		return EBADMSG;
	if (stir_b64url_decode(sig64, sig, sizeof(sig), &n) != 0 || n != 64)
		return EBADMSG;
	pk = pem_pubkey(pem, pemlen);
	if (!pk || !stir_pkey_is_p256(pk)) {
		EVP_PKEY_free(pk);
		return EINVAL;
	}
	err = stir_es256_verify(pk, jws.s, head.len + 1 + payload.len, sig);
	EVP_PKEY_free(pk);
	return err;
}

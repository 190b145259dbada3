/*
 * tests/unit/test_auth_digest.c -- digest credentials parsing, the
 * RFC 7616 known answers, stateless nonces, challenge headers and the
 * nonce-count replay window.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "auth/digest.h"
#include "core/siphash.h"

/* ---- helpers ------------------------------------------------------ */

static struct str
cs(const char *s)
{
	return str_make(s, strlen(s));
}

static void
assert_view(struct str v, const char *want)
{
	assert_int_equal(v.len, strlen(want));
	if (v.len)
		assert_memory_equal(v.s, want, v.len);
}

/*
 * Parse "s" from a heap copy of exactly its length, so that ASan
 * reports any read past the view. The views in *c point into the copy,
 * which is released by free_parse().
 */
static char *parse_buf;

static int
parse(const char *s, size_t len, struct digest_creds *c)
{
	free(parse_buf);
	parse_buf = malloc(len ? len : 1);
	assert_non_null(parse_buf);
	if (len)
		memcpy(parse_buf, s, len);
	return digest_creds_parse(str_make(parse_buf, len), c);
}

static int
parse_cstr(const char *s, struct digest_creds *c)
{
	return parse(s, strlen(s), c);
}

static int
free_parse(void **state)
{
	free(parse_buf);
	parse_buf = NULL;
	return 0;
}

/* Lower-case hex H(parts joined by ':') with OpenSSL, for known answers. */
static void
hex_hash(const EVP_MD *md, const char *const *parts, size_t n, char *hex)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0, i;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t k;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, md, NULL), 1);
	for (k = 0; k < n; k++) {
		if (k)
			assert_int_equal(EVP_DigestUpdate(ctx, ":", 1), 1);
		assert_int_equal(
		    EVP_DigestUpdate(ctx, parts[k], strlen(parts[k])), 1);
	}
	assert_int_equal(EVP_DigestFinal_ex(ctx, d, &dlen), 1);
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < dlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

static void
set_sa(struct sa *a, const char *ip, uint16_t port)
{
	assert_int_equal(sa_set_cstr(a, ip, port), 0);
}

static struct digest_key
test_key(unsigned char fill)
{
	struct digest_key k;

	memset(k.k, fill, sizeof(k.k));
	return k;
}

/*
 * digest_mac: SipHash-2-4 under each 128-bit half of the key (checked
 * against siphash24 itself, whose reference vectors test_str checks);
 * each half of the key moves only its half of the MAC.
 */
static void
test_digest_mac(void **state)
{
	struct digest_key k;
	unsigned char msg[36], a[DIGEST_MAC_LEN], b[DIGEST_MAC_LEN];
	uint64_t kw[4], h[2];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(k.k); i++)
		k.k[i] = (unsigned char)i;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(0xa0 + i);
	memcpy(kw, k.k, sizeof(kw));
	h[0] = siphash24(kw, msg, sizeof(msg));
	h[1] = siphash24(kw + 2, msg, sizeof(msg));
	digest_mac(&k, msg, sizeof(msg), a);
	assert_memory_equal(a, h, sizeof(h));
	assert_memory_not_equal(a, a + 8, 8);
	k.k[20] ^= 1;
	digest_mac(&k, msg, sizeof(msg), b);
	assert_memory_equal(a, b, 8);
	assert_memory_not_equal(a + 8, b + 8, 8);
	k.k[20] ^= 1;
	k.k[3] ^= 0x80;
	digest_mac(&k, msg, sizeof(msg), b);
	assert_memory_not_equal(a, b, 8);
	assert_memory_equal(a + 8, b + 8, 8);
	k.k[3] ^= 0x80;
	msg[35] ^= 1;
	digest_mac(&k, msg, sizeof(msg), b);
	assert_memory_not_equal(a, b, 8);
	assert_memory_not_equal(a + 8, b + 8, 8);
}

/* A tiny deterministic PRNG (xorshift64*) for the randomised tests. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

/* ---- credentials parsing ------------------------------------------ */

/* RFC 7616 section 3.9.1, with its line folding. */
static const char rfc_sha256_hdr[] =
    "Digest username=\"Mufasa\",\r\n"
    "       realm=\"http-auth@example.org\",\r\n"
    "       uri=\"/dir/index.html\",\r\n"
    "       algorithm=SHA-256,\r\n"
    "       nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
    "       nc=00000001,\r\n"
    "       cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\",\r\n"
    "       qop=auth,\r\n"
    "       response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697"
    "cf8db5856cb6c1\",\r\n"
    "       opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";

static const char rfc_md5_hdr[] =
    "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
    "uri=\"/dir/index.html\", algorithm=MD5, "
    "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
    "nc=00000001, "
    "cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, "
    "response=\"8ca523f5e9506fed4657c9700eebdbec\", "
    "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";

static void
parse_rfc7616_example(void **state)
{
	struct digest_creds c;

	assert_int_equal(parse_cstr(rfc_sha256_hdr, &c), 0);
	assert_view(c.username, "Mufasa");
	assert_view(c.realm, "http-auth@example.org");
	assert_view(c.uri, "/dir/index.html");
	assert_view(c.nonce, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
	assert_view(c.cnonce, "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
	assert_view(c.qop, "auth");
	assert_view(c.opaque, "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
	assert_view(c.algorithm, "SHA-256");
	assert_view(c.response,
	    "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
	assert_int_equal(c.alg, DIGEST_SHA256);
	assert_true(c.has_nc);
	assert_int_equal(c.nc, 1);
}

static void
parse_minimal_defaults(void **state)
{
	struct digest_creds c;

	assert_int_equal(
	    parse_cstr("Digest username=\"u\", realm=\"r\", "
		       "nonce=\"n\", uri=\"sip:r\", response=\"x\"",
		&c),
	    0);
	assert_int_equal(c.alg, DIGEST_MD5);
	assert_true(str_is_empty(c.algorithm));
	assert_false(c.has_nc);
	assert_true(str_is_empty(c.qop));
	assert_true(str_is_empty(c.cnonce));
	assert_true(str_is_empty(c.opaque));
	assert_view(c.uri, "sip:r");
}

static void
parse_case_and_spacing(void **state)
{
	struct digest_creds c;

	assert_int_equal(
	    parse_cstr("  dIgEsT\tUserName = \"bob\"\t,REALM=\"r\" ,\r\n "
		       "Nonce\t=\t\"n\",URI=\"sip:a@b;transport=tcp\",   "
		       "RESPONSE =\"abc\" , Algorithm = sha-256 , NC=0000000A ,"
		       " QOP=\"AUTH\", CNonce=\"c, with = comma\"  \r\n",
		&c),
	    0);
	assert_view(c.username, "bob");
	assert_view(c.realm, "r");
	assert_view(c.nonce, "n");
	assert_view(c.uri, "sip:a@b;transport=tcp");
	assert_view(c.response, "abc");
	assert_view(c.algorithm, "sha-256");
	assert_int_equal(c.alg, DIGEST_SHA256);
	assert_int_equal(c.nc, 10);
	assert_view(c.qop, "AUTH");
	assert_view(c.cnonce, "c, with = comma");
}

static void
parse_token_or_quoted_values(void **state)
{
	struct digest_creds c;

	/* Tokens where RFC 3261 wants quotes, quotes where it wants tokens. */
	assert_int_equal(parse_cstr("Digest username=alice, realm=example.com,"
				    " nonce=abc-_x, uri=\"sip:x\", response=ff,"
				    " algorithm=\"MD5\", nc=\"ffffffff\","
				    " qop=\"auth\"",
			     &c),
	    0);
	assert_view(c.username, "alice");
	assert_view(c.realm, "example.com");
	assert_view(c.nonce, "abc-_x");
	assert_view(c.algorithm, "MD5");
	assert_int_equal(c.alg, DIGEST_MD5);
	assert_int_equal(c.nc, 0xffffffffU);
	/* UTF-8 in a quoted value passes through untouched. */
	assert_int_equal(parse_cstr("Digest username=\"j\xc3\xb6rg\", "
				    "realm=\"r\", nonce=\"n\", uri=\"u\", "
				    "response=\"x\"",
			     &c),
	    0);
	assert_view(c.username, "j\xc3\xb6rg");
}

static void
parse_unknown_params_ignored(void **state)
{
	struct digest_creds c;

	assert_int_equal(
	    parse_cstr("Digest foo=bar, username=\"u\", x-tra=\"a, b=c\", "
		       "realm=\"r\", foo=baz, nonce=\"n\", userhash=false, "
		       "uri=\"u\", response=\"x\", Username2=\"other\"",
		&c),
	    0);
	assert_view(c.username, "u");
	assert_view(c.realm, "r");
	assert_view(c.response, "x");
}

static void
parse_not_digest(void **state)
{
	static const char *const bad[] = {
		"",
		"   ",
		"Digest",
		"Digest   ",
		"Digest\r\n",
		"Basic dXNlcjpwYXNz",
		"Digestusername=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\"",
		"Diges username=\"u\"",
		"DigestX username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\"",
	};
	struct digest_creds c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_cstr(bad[i], &c), EINVAL);
	assert_int_equal(digest_creds_parse(STR_NULL, &c), EINVAL);
}

/*
 * Every proper prefix of a valid header is invalid (the response is the
 * last parameter, so no prefix has it complete), and none reads past its
 * end: each is parsed from a heap block of exactly its length.
 */
static void
parse_every_truncation(void **state)
{
	static const char hdr[] =
	    "Digest username=\"Mufasa\", realm=\"r\", nonce=\"n1\", "
	    "uri=\"sip:a\", algorithm=SHA-256, nc=00000001, cnonce=\"c\", "
	    "qop=auth, response=\"0123456789\"";
	struct digest_creds c;
	size_t len;

	assert_int_equal(parse(hdr, sizeof(hdr) - 1, &c), 0);
	for (len = 0; len < sizeof(hdr) - 1; len++)
		assert_int_equal(parse(hdr, len, &c), EINVAL);
}

static void
parse_quoting_errors(void **state)
{
	static const char *const bad[] = {
		/* unterminated */
		"Digest username=\"u, realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x",
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\", opaque=\"",
		/* backslash escapes, even harmless ones */
		"Digest username=\"a\\\"b\", realm=\"r\", nonce=\"n\", "
		"uri=\"u\", response=\"x\"",
		"Digest username=\"u\", realm=\"r\\\\\", nonce=\"n\", "
		"uri=\"u\", "
		"response=\"x\"",
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\", opaque=\"\\a\"",
		/* control bytes inside quotes */
		"Digest username=\"u\r\nVia: x\", realm=\"r\", nonce=\"n\", "
		"uri=\"u\", response=\"x\"",
		"Digest username=\"u\x7f\", realm=\"r\", nonce=\"n\", "
		"uri=\"u\", response=\"x\"",
		/* a quote in the middle of a token value */
		"Digest username=u\"x\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\"",
	};
	struct digest_creds c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_cstr(bad[i], &c), EINVAL);
	/* A NUL byte inside a quoted value is not a terminator. */
	{
		static const char nul[] =
		    "Digest username=\"u\0v\", realm=\"r\","
		    " nonce=\"n\", uri=\"u\", response=\"x\"";

		assert_int_equal(parse(nul, sizeof(nul) - 1, &c), EINVAL);
	}
}

static void
parse_duplicates(void **state)
{
	static const char *const bad[] = {
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\", username=\"v\"",
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\", USERNAME=\"u\"",
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\", nc=00000001, nc=00000002",
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\", algorithm=MD5, algorithm=MD5",
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\", qop=auth, qop=auth",
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\", response=\"y\"",
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\", opaque=\"\", opaque=\"\"",
	};
	struct digest_creds c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_cstr(bad[i], &c), EINVAL);
}

static void
parse_missing_fields(void **state)
{
	static const char *const parts[] = { "username=\"u\"", "realm=\"r\"",
		"nonce=\"n\"", "uri=\"sip:x\"", "response=\"x\"" };
	char buf[256];
	struct digest_creds c;
	size_t i, j, off;

	/* Each required parameter missing, then present but empty. */
	for (i = 0; i < 5; i++) {
		off = (size_t)snprintf(buf, sizeof(buf), "Digest cnonce=\"c\"");
		for (j = 0; j < 5; j++)
			if (j != i)
				off += (size_t)snprintf(buf + off,
				    sizeof(buf) - off, ", %s", parts[j]);
		assert_int_equal(parse_cstr(buf, &c), EINVAL);
		off +=
		    (size_t)snprintf(buf + off, sizeof(buf) - off, ", %.*s\"\"",
			(int)(strchr(parts[i], '=') - parts[i] + 1), parts[i]);
		assert_int_equal(parse_cstr(buf, &c), EINVAL);
	}
}

static void
parse_list_syntax_errors(void **state)
{
	static const char *const bad[] = {
		/* missing comma */
		"Digest username=\"u\" realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\"",
		/* empty elements */
		"Digest username=\"u\",, realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\"",
		"Digest , username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\"",
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\",",
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\" , ",
		/* names without a value, values without a name */
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\", stale",
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\", foo=",
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\", =bar",
		/* an unquoted value that is not a token */
		"Digest username=\"u\", realm=\"r\", nonce=ab/cd, uri=\"u\", "
		"response=\"x\"",
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=sip:x, "
		"response=\"x\"",
		/* junk after a quoted value */
		"Digest username=\"u\"x, realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\"",
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"x\";",
	};
	struct digest_creds c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_cstr(bad[i], &c), EINVAL);
}

static void
parse_nc_format(void **state)
{
	static const struct {
		const char *nc;
		int err;
		uint32_t want;
	} cases[] = {
		{ "00000001", 0, 1 },
		{ "0000000a", 0, 10 },
		{ "0000000A", 0, 10 },
		{ "deadBEEF", 0, 0xdeadbeefU },
		{ "00000000", 0, 0 },
		{ "\"00000002\"", 0, 2 },
		{ "0000001", EINVAL, 0 },
		{ "000000001", EINVAL, 0 },
		{ "0000000g", EINVAL, 0 },
		{ "+0000001", EINVAL, 0 },
		{ "0x000001", EINVAL, 0 },
		{ "\"\"", EINVAL, 0 },
		{ "\"0000 001\"", EINVAL, 0 },
	};
	struct digest_creds c;
	char buf[160];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf),
		    "Digest username=\"u\", realm=\"r\", nonce=\"n\", "
		    "uri=\"u\", response=\"x\", nc=%s",
		    cases[i].nc);
		assert_int_equal(parse_cstr(buf, &c), cases[i].err);
		if (!cases[i].err) {
			assert_true(c.has_nc);
			assert_int_equal(c.nc, cases[i].want);
		}
	}
}

static void
parse_algorithms(void **state)
{
	static const struct {
		const char *alg;
		int err;
		enum digest_alg want;
	} cases[] = {
		{ "MD5", 0, DIGEST_MD5 },
		{ "md5", 0, DIGEST_MD5 },
		{ "\"Md5\"", 0, DIGEST_MD5 },
		{ "SHA-256", 0, DIGEST_SHA256 },
		{ "sha-256", 0, DIGEST_SHA256 },
		{ "\"SHA-256\"", 0, DIGEST_SHA256 },
		{ "MD5-sess", ENOTSUP, 0 },
		{ "SHA-256-sess", ENOTSUP, 0 },
		{ "sha-256-SESS", ENOTSUP, 0 },
		{ "SHA-512-256", ENOTSUP, 0 },
		{ "SHA256", ENOTSUP, 0 },
		{ "AKAv1-MD5", ENOTSUP, 0 },
		{ "\"\"", ENOTSUP, 0 },
		{ "\"MD5 \"", ENOTSUP, 0 },
	};
	struct digest_creds c;
	char buf[160];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf),
		    "Digest algorithm=%s, username=\"u\", realm=\"r\", "
		    "nonce=\"n\", uri=\"u\", response=\"x\"",
		    cases[i].alg);
		assert_int_equal(parse_cstr(buf, &c), cases[i].err);
		if (!cases[i].err)
			assert_int_equal(c.alg, cases[i].want);
	}
}

static void
parse_untouched_on_error(void **state)
{
	struct digest_creds c, before;

	memset(&c, 0xa5, sizeof(c));
	before = c;
	assert_int_equal(parse_cstr("Digest username=\"u\", realm=\"r\", "
				    "nonce=\"n\", uri=\"u\", response=\"x\", "
				    "algorithm=MD5-sess",
			     &c),
	    ENOTSUP);
	assert_memory_equal(&c, &before, sizeof(c));
	assert_int_equal(
	    parse_cstr("Digest username=\"u\", realm=\"r\"", &c), EINVAL);
	assert_memory_equal(&c, &before, sizeof(c));
}

static bool
view_inside(struct str v, const char *buf, size_t len)
{
	return v.len == 0 || (v.s >= buf && v.s + v.len <= buf + len);
}

/*
 * A small in-tree fuzz run: random mutations of valid headers and random
 * strings over the grammar's alphabet. The parser must return one of its
 * three codes and, on success, views inside the input.
 */
static void
parse_random_inputs(void **state)
{
	static const char alphabet[] = "Digest =,\"\\ \t\r\nusernamrlocqp0aF-";
	static const char *const seeds[] = { rfc_sha256_hdr, rfc_md5_hdr };
	char buf[1024];
	struct digest_creds c;
	size_t len, j, n;
	unsigned i;
	int rc, ok = 0;

	for (i = 0; i < 20000; i++) {
		if (i & 1) {
			const char *seed = seeds[rng() % 2];

			len = strlen(seed);
			memcpy(buf, seed, len);
			n = 1 + rng() % 4;
			for (j = 0; j < n; j++) {
				switch (rng() % 3) {
				case 0: /* flip a byte */
					buf[rng() % len] = (char)rng();
					break;
				case 1: /* cut */
					len = rng() % (len + 1);
					break;
				default: /* splice an alphabet byte */
					if (len)
						buf[rng() % len] =
						    alphabet[rng() %
							(sizeof(alphabet) - 1)];
					break;
				}
				if (len == 0)
					break;
			}
		} else {
			len = rng() % 80;
			memcpy(buf, "Digest ", 7);
			for (j = 7; j < len; j++)
				buf[j] =
				    alphabet[rng() % (sizeof(alphabet) - 1)];
			if (len < 7)
				len = 7;
		}
		rc = parse(buf, len, &c);
		assert_true(rc == 0 || rc == EINVAL || rc == ENOTSUP);
		if (rc == 0) {
			ok++;
			assert_true(view_inside(c.username, parse_buf, len));
			assert_true(view_inside(c.realm, parse_buf, len));
			assert_true(view_inside(c.nonce, parse_buf, len));
			assert_true(view_inside(c.uri, parse_buf, len));
			assert_true(view_inside(c.response, parse_buf, len));
			assert_true(view_inside(c.cnonce, parse_buf, len));
			assert_true(view_inside(c.qop, parse_buf, len));
			assert_true(view_inside(c.opaque, parse_buf, len));
			assert_true(
			    c.alg == DIGEST_MD5 || c.alg == DIGEST_SHA256);
		}
	}
	/* The mutations must leave some headers valid, or we test little. */
	assert_true(ok > 100);
}

/* ---- response (RFC 7616 section 3.9.1 known answers) ---------------- */

static void
ha1_of(enum digest_alg alg, char *hex)
{
	static const char *const p[] = { "Mufasa", "http-auth@example.org",
		"Circle of Life" };

	hex_hash(alg == DIGEST_MD5 ? EVP_md5() : EVP_sha256(), p, 3, hex);
}

static void
response_rfc7616_md5(void **state)
{
	struct digest_creds c;
	char ha1[CRED_HEX_MAX + 1];

	ha1_of(DIGEST_MD5, ha1);
	assert_int_equal(parse_cstr(rfc_md5_hdr, &c), 0);
	assert_int_equal(c.alg, DIGEST_MD5);
	assert_true(digest_response_ok(&c, ha1, STR("GET")));
	assert_false(digest_response_ok(&c, ha1, STR("POST")));
	assert_false(digest_response_ok(&c, ha1, STR("get")));
}

static void
response_rfc7616_sha256(void **state)
{
	struct digest_creds c;
	char ha1[CRED_HEX_MAX + 1], md5ha1[CRED_HEX_MAX + 1];

	ha1_of(DIGEST_SHA256, ha1);
	ha1_of(DIGEST_MD5, md5ha1);
	assert_int_equal(parse_cstr(rfc_sha256_hdr, &c), 0);
	assert_true(digest_response_ok(&c, ha1, STR("GET")));
	/* The HA1 of the other algorithm (wrong length) never matches. */
	assert_false(digest_response_ok(&c, md5ha1, STR("GET")));
	/* Upper-case hex in the response is the same answer. */
	assert_int_equal(
	    parse_cstr(
		"Digest username=\"Mufasa\", "
		"realm=\"http-auth@example.org\", uri=\"/dir/index.html\", "
		"algorithm=SHA-256, "
		"nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
		"nc=00000001, "
		"cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", "
		"qop=auth, response=\"753927FA0E85D155564E2E272A28D1802C"
		"A10DAF4496794697CF8DB5856CB6C1\"",
		&c),
	    0);
	assert_true(digest_response_ok(&c, ha1, STR("GET")));
}

/* Swap one field of the RFC example and check the answer no longer fits. */
static void
response_wrong_answers(void **state)
{
	struct digest_creds c, good;
	char ha1[CRED_HEX_MAX + 1], bad[CRED_HEX_MAX + 1], resp[80];
	static const char *const other[] = { "Mufasa", "http-auth@example.org",
		"Circle of Lifx" };

	ha1_of(DIGEST_MD5, ha1);
	hex_hash(EVP_md5(), other, 3, bad);
	assert_int_equal(parse_cstr(rfc_md5_hdr, &good), 0);
	assert_true(digest_response_ok(&good, ha1, STR("GET")));
	assert_false(digest_response_ok(&good, bad, STR("GET")));

	c = good;
	c.uri = STR("/dir/index.htm");
	assert_false(digest_response_ok(&c, ha1, STR("GET")));
	c = good;
	c.nc = 2;
	assert_false(digest_response_ok(&c, ha1, STR("GET")));
	c = good;
	c.cnonce = STR("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZj");
	assert_false(digest_response_ok(&c, ha1, STR("GET")));
	c = good;
	c.nonce = STR("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0w");
	assert_false(digest_response_ok(&c, ha1, STR("GET")));

	/* One hex digit changed, one missing, one extra, non-hex. */
	memcpy(resp, good.response.s, good.response.len);
	c = good;
	resp[31] = resp[31] == '0' ? '1' : '0';
	c.response = str_make(resp, 32);
	assert_false(digest_response_ok(&c, ha1, STR("GET")));
	memcpy(resp, good.response.s, good.response.len);
	c.response = str_make(resp, 31);
	assert_false(digest_response_ok(&c, ha1, STR("GET")));
	resp[32] = '0';
	c.response = str_make(resp, 33);
	assert_false(digest_response_ok(&c, ha1, STR("GET")));
	c.response = STR_NULL;
	assert_false(digest_response_ok(&c, ha1, STR("GET")));
	/* An HA1 that is not exactly the algorithm's hex length. */
	assert_false(digest_response_ok(&good, "", STR("GET")));
	ha1[31] = '\0';
	assert_false(digest_response_ok(&good, ha1, STR("GET")));
	assert_false(digest_response_ok(&good, NULL, STR("GET")));
}

/*
 * Only qop=auth: an RFC 2069 answer (no qop) computed correctly, and
 * qop=auth without nc or cnonce, are refused.
 */
static void
response_qop_auth_only(void **state)
{
	struct digest_creds c, good;
	char ha1[CRED_HEX_MAX + 1], ha2[CRED_HEX_MAX + 1];
	char r2069[CRED_HEX_MAX + 1], rint[CRED_HEX_MAX + 1];
	const char *p[6];

	ha1_of(DIGEST_MD5, ha1);
	p[0] = "GET";
	p[1] = "/dir/index.html";
	hex_hash(EVP_md5(), p, 2, ha2);
	p[0] = ha1;
	p[1] = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
	p[2] = ha2;
	hex_hash(EVP_md5(), p, 3, r2069);
	p[2] = "00000001";
	p[3] = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
	p[4] = "auth-int";
	p[5] = ha2;
	hex_hash(EVP_md5(), p, 6, rint);

	assert_int_equal(parse_cstr(rfc_md5_hdr, &good), 0);
	c = good;
	c.qop = STR_NULL;
	c.has_nc = false;
	c.nc = 0;
	c.cnonce = STR_NULL;
	c.response = str_make(r2069, 32);
	assert_false(digest_response_ok(&c, ha1, STR("GET")));

	c = good;
	c.qop = STR("auth-int");
	c.response = str_make(rint, 32);
	assert_false(digest_response_ok(&c, ha1, STR("GET")));

	c = good;
	c.has_nc = false;
	assert_false(digest_response_ok(&c, ha1, STR("GET")));
	c = good;
	c.cnonce = STR_NULL;
	assert_false(digest_response_ok(&c, ha1, STR("GET")));
	c = good;
	c.qop = STR("auth ");
	assert_false(digest_response_ok(&c, ha1, STR("GET")));
	c = good;
	c.alg = DIGEST_ALG_COUNT;
	assert_false(digest_response_ok(&c, ha1, STR("GET")));
}

/* ---- nonces ------------------------------------------------------- */

static bool
is_b64url(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
			s[i] == '_'))
			return false;
	return true;
}

static void
nonce_roundtrip(void **state)
{
	struct digest_key k = test_key(7);
	struct sa a;
	char n[DIGEST_NONCE_MAX];
	uint64_t now = 1700000000, issued = 0;
	size_t len;

	set_sa(&a, "192.0.2.10", 5060);
	len = digest_nonce_make(&k, now, &a, n, sizeof(n));
	assert_int_equal(len, 43);
	assert_int_equal(strlen(n), len);
	assert_true(len < DIGEST_NONCE_MAX);
	assert_true(is_b64url(n, len));
	assert_int_equal(digest_nonce_check(&k, cs(n), now, 300, &a, &issued),
	    DIGEST_NONCE_OK);
	assert_true(issued == now);
	/* Another port of the same address (NAT rebinding) is fine. */
	sa_set_port(&a, 40000);
	issued = 0;
	assert_int_equal(
	    digest_nonce_check(&k, cs(n), now + 300, 300, &a, &issued),
	    DIGEST_NONCE_OK);
	assert_true(issued == now);
	issued = 0;
	assert_int_equal(
	    digest_nonce_check(&k, cs(n), now + 301, 300, &a, &issued),
	    DIGEST_NONCE_STALE);
	assert_true(issued == now);
	/* The checker reads exactly the view, not up to a NUL. */
	n[len] = 'A';
	assert_int_equal(
	    digest_nonce_check(&k, str_make(n, len), now, 300, &a, NULL),
	    DIGEST_NONCE_OK);
}

static void
nonce_other_source_or_key(void **state)
{
	struct digest_key k = test_key(7), k2 = test_key(8);
	struct sa a, b;
	char n[DIGEST_NONCE_MAX];
	uint64_t now = 1700000000, issued = 42;

	set_sa(&a, "192.0.2.10", 5060);
	set_sa(&b, "192.0.2.11", 5060);
	assert_int_equal(digest_nonce_make(&k, now, &a, n, sizeof(n)), 43);
	assert_int_equal(digest_nonce_check(&k, cs(n), now, 300, &b, &issued),
	    DIGEST_NONCE_BAD);
	assert_true(issued == 42);
	assert_int_equal(digest_nonce_check(&k2, cs(n), now, 300, &a, &issued),
	    DIGEST_NONCE_BAD);
	/* Even when expired: another source is BAD, never STALE. */
	assert_int_equal(
	    digest_nonce_check(&k, cs(n), now + 9999, 300, &b, &issued),
	    DIGEST_NONCE_BAD);
	assert_int_equal(digest_nonce_check(&k, cs(n), now, 300, NULL, &issued),
	    DIGEST_NONCE_BAD);
}

static void
nonce_tampered(void **state)
{
	struct digest_key k = test_key(7);
	struct sa a;
	char n[DIGEST_NONCE_MAX], t[DIGEST_NONCE_MAX + 2];
	uint64_t now = 1700000000;
	size_t i, len;

	set_sa(&a, "2001:db8::5", 5060);
	len = digest_nonce_make(&k, now, &a, n, sizeof(n));
	assert_int_equal(len, 43);
	/* Every position, changed to another alphabet character. */
	for (i = 0; i < len; i++) {
		memcpy(t, n, len);
		t[i] = t[i] == 'A' ? 'B' : 'A';
		assert_int_equal(digest_nonce_check(
				     &k, str_make(t, len), now, 300, &a, NULL),
		    DIGEST_NONCE_BAD);
		t[i] = '+';
		assert_int_equal(digest_nonce_check(
				     &k, str_make(t, len), now, 300, &a, NULL),
		    DIGEST_NONCE_BAD);
	}
	/* Truncated, extended, padded. */
	memcpy(t, n, len);
	assert_int_equal(
	    digest_nonce_check(&k, str_make(t, len - 1), now, 300, &a, NULL),
	    DIGEST_NONCE_BAD);
	t[len] = 'A';
	assert_int_equal(
	    digest_nonce_check(&k, str_make(t, len + 1), now, 300, &a, NULL),
	    DIGEST_NONCE_BAD);
	t[len] = '=';
	assert_int_equal(
	    digest_nonce_check(&k, str_make(t, len + 1), now, 300, &a, NULL),
	    DIGEST_NONCE_BAD);
	/*
	 * The last character carries 4 data bits and 2 unused ones; setting
	 * an unused bit must not give a second spelling of the same nonce.
	 */
	{
		static const char abc[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijk"
		    "lmnopqrstuvwxyz0123456789-_";
		const char *p = strchr(abc, n[len - 1]);
		int v;

		assert_non_null(p);
		v = (int)(p - abc);
		assert_int_equal(v & 3, 0);
		memcpy(t, n, len);
		t[len - 1] = abc[v | 1];
		assert_int_equal(digest_nonce_check(
				     &k, str_make(t, len), now, 300, &a, NULL),
		    DIGEST_NONCE_BAD);
	}
	assert_int_equal(digest_nonce_check(&k, STR(""), now, 300, &a, NULL),
	    DIGEST_NONCE_BAD);
	assert_int_equal(digest_nonce_check(&k, STR_NULL, now, 300, &a, NULL),
	    DIGEST_NONCE_BAD);
	assert_int_equal(
	    digest_nonce_check(&k, cs(n), now, 300, &a, NULL), DIGEST_NONCE_OK);
}

static void
nonce_future(void **state)
{
	struct digest_key k = test_key(1);
	struct sa a;
	char n5[DIGEST_NONCE_MAX], n6[DIGEST_NONCE_MAX];
	uint64_t now = 1700000000, issued = 0;

	set_sa(&a, "198.51.100.1", 5060);
	assert_int_equal(
	    digest_nonce_make(&k, now + 5, &a, n5, sizeof(n5)), 43);
	assert_int_equal(
	    digest_nonce_make(&k, now + 6, &a, n6, sizeof(n6)), 43);
	assert_int_equal(digest_nonce_check(&k, cs(n5), now, 300, &a, &issued),
	    DIGEST_NONCE_OK);
	assert_true(issued == now + 5);
	assert_int_equal(digest_nonce_check(&k, cs(n6), now, 300, &a, &issued),
	    DIGEST_NONCE_BAD);
	/* Far future and the end of time do not wrap around. */
	assert_int_equal(
	    digest_nonce_make(&k, UINT64_MAX, &a, n6, sizeof(n6)), 43);
	assert_int_equal(digest_nonce_check(&k, cs(n6), now, 300, &a, &issued),
	    DIGEST_NONCE_BAD);
	assert_int_equal(
	    digest_nonce_check(&k, cs(n6), UINT64_MAX, 0, &a, &issued),
	    DIGEST_NONCE_OK);
	/* Lifetime 0: good in the second it was made, stale one later. */
	assert_int_equal(digest_nonce_make(&k, now, &a, n5, sizeof(n5)), 43);
	assert_int_equal(digest_nonce_check(&k, cs(n5), now, 0, &a, &issued),
	    DIGEST_NONCE_OK);
	assert_int_equal(
	    digest_nonce_check(&k, cs(n5), now + 1, 0, &a, &issued),
	    DIGEST_NONCE_STALE);
}

static void
nonce_ipv6_and_mapped(void **state)
{
	struct digest_key k = test_key(9);
	struct sa v6, v6b, v4, mapped;
	char n[DIGEST_NONCE_MAX];
	uint64_t now = 1700000000;

	set_sa(&v6, "2001:db8::1", 5060);
	set_sa(&v6b, "2001:db8::2", 5060);
	set_sa(&v4, "192.0.2.1", 5060);
	set_sa(&mapped, "::ffff:192.0.2.1", 5060);

	assert_int_equal(digest_nonce_make(&k, now, &v6, n, sizeof(n)), 43);
	assert_int_equal(
	    digest_nonce_check(&k, cs(n), now, 60, &v6, NULL), DIGEST_NONCE_OK);
	assert_int_equal(digest_nonce_check(&k, cs(n), now, 60, &v6b, NULL),
	    DIGEST_NONCE_BAD);
	assert_int_equal(digest_nonce_check(&k, cs(n), now, 60, &v4, NULL),
	    DIGEST_NONCE_BAD);

	/* A dual-stack socket may see the same client either way. */
	assert_int_equal(digest_nonce_make(&k, now, &v4, n, sizeof(n)), 43);
	assert_int_equal(digest_nonce_check(&k, cs(n), now, 60, &mapped, NULL),
	    DIGEST_NONCE_OK);
	assert_int_equal(digest_nonce_make(&k, now, &mapped, n, sizeof(n)), 43);
	assert_int_equal(
	    digest_nonce_check(&k, cs(n), now, 60, &v4, NULL), DIGEST_NONCE_OK);
	assert_int_equal(digest_nonce_check(&k, cs(n), now, 60, &v6, NULL),
	    DIGEST_NONCE_BAD);
}

static void
nonce_make_limits(void **state)
{
	struct digest_key k = test_key(3), r1, r2;
	struct sa a, none;
	char n1[DIGEST_NONCE_MAX], n2[DIGEST_NONCE_MAX];

	set_sa(&a, "192.0.2.1", 5060);
	assert_int_equal(
	    digest_nonce_make(&k, 1, &a, n1, DIGEST_NONCE_MAX - 1), 0);
	assert_int_equal(digest_nonce_make(&k, 1, &a, n1, 0), 0);
	memset(&none, 0, sizeof(none));
	assert_int_equal(digest_nonce_make(&k, 1, &none, n1, sizeof(n1)), 0);
	assert_int_equal(digest_nonce_make(&k, 1, NULL, n1, sizeof(n1)), 0);
	/* Same key, time and source: the random part still differs. */
	assert_int_equal(digest_nonce_make(&k, 1, &a, n1, sizeof(n1)), 43);
	assert_int_equal(digest_nonce_make(&k, 1, &a, n2, sizeof(n2)), 43);
	assert_string_not_equal(n1, n2);
	/* Two random keys differ and are not all zero. */
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	assert_int_equal(digest_key_random(&r1), 0);
	assert_int_equal(digest_key_random(&r2), 0);
	assert_memory_not_equal(r1.k, r2.k, DIGEST_KEY_LEN);
	assert_int_equal(digest_key_random(NULL), -1);
}

/* ---- challenge ---------------------------------------------------- */

static void
challenge_format(void **state)
{
	static const enum digest_alg both[] = { DIGEST_SHA256, DIGEST_MD5 };
	static const char want[] =
	    "WWW-Authenticate: Digest realm=\"example.org\", "
	    "nonce=\"abc\", algorithm=SHA-256, qop=\"auth\"\r\n"
	    "WWW-Authenticate: Digest realm=\"example.org\", "
	    "nonce=\"abc\", algorithm=MD5, qop=\"auth\"\r\n";
	static const char want_stale[] =
	    "Proxy-Authenticate: Digest realm=\"example.org\", "
	    "nonce=\"abc\", algorithm=MD5, qop=\"auth\", stale=true\r\n";
	char out[512];
	size_t n;

	n = digest_challenge(out, sizeof(out), "WWW-Authenticate",
	    STR("example.org"), "abc", both, 2, false);
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(out, want, n);
	n = digest_challenge(out, sizeof(out), "Proxy-Authenticate",
	    STR("example.org"), "abc", both + 1, 1, true);
	assert_int_equal(n, sizeof(want_stale) - 1);
	assert_memory_equal(out, want_stale, n);
	/* The realm is a view: only its bytes are written. */
	n = digest_challenge(out, sizeof(out), "Proxy-Authenticate",
	    str_make("example.org;junk", 11), "abc", both + 1, 1, true);
	assert_int_equal(n, sizeof(want_stale) - 1);
	assert_memory_equal(out, want_stale, n);
}

static void
challenge_limits(void **state)
{
	static const enum digest_alg both[] = { DIGEST_SHA256, DIGEST_MD5 };
	static const enum digest_alg badalg[] = { DIGEST_MD5,
		DIGEST_ALG_COUNT };
	char out[512];
	size_t full;

	full = digest_challenge(
	    out, sizeof(out), "WWW-Authenticate", STR("r"), "n", both, 2, true);
	assert_true(full > 0);
	assert_int_equal(digest_challenge(out, full + 1, "WWW-Authenticate",
			     STR("r"), "n", both, 2, true),
	    full);
	/* One byte short (room for the NUL), and one header's worth. */
	memset(out, 'x', sizeof(out));
	assert_int_equal(digest_challenge(out, full, "WWW-Authenticate",
			     STR("r"), "n", both, 2, true),
	    0);
	assert_int_equal(out[0], '\0');
	assert_int_equal(digest_challenge(out, full / 2 + 1, "WWW-Authenticate",
			     STR("r"), "n", both, 2, true),
	    0);
	assert_int_equal(out[0], '\0');
	assert_int_equal(digest_challenge(out, 0, "WWW-Authenticate", STR("r"),
			     "n", both, 2, true),
	    0);
	/* Nothing that could break out of the quotes or the header line. */
	assert_int_equal(digest_challenge(out, sizeof(out), "WWW-Authenticate",
			     STR("a\"b"), "n", both, 2, false),
	    0);
	assert_int_equal(digest_challenge(out, sizeof(out), "WWW-Authenticate",
			     STR("a\r\nVia: x"), "n", both, 2, false),
	    0);
	assert_int_equal(digest_challenge(out, sizeof(out), "WWW-Authenticate",
			     STR("a\\"), "n", both, 2, false),
	    0);
	assert_int_equal(digest_challenge(out, sizeof(out), "WWW-Authenticate",
			     STR("r"), "n\"", both, 2, false),
	    0);
	assert_int_equal(digest_challenge(out, sizeof(out), "X: y", STR("r"),
			     "n", both, 2, false),
	    0);
	assert_int_equal(digest_challenge(out, sizeof(out), "WWW-Authenticate",
			     STR(""), "n", both, 2, false),
	    0);
	assert_int_equal(digest_challenge(out, sizeof(out), "WWW-Authenticate",
			     STR("r"), "n", both, 0, false),
	    0);
	assert_int_equal(digest_challenge(out, sizeof(out), "WWW-Authenticate",
			     STR("r"), "n", badalg, 2, false),
	    0);
	assert_int_equal(out[0], '\0');
}

/* ---- nonce-count window ------------------------------------------- */

static void
nc_first_use_and_replay(void **state)
{
	struct digest_nc *t = NULL;
	struct str a = STR("nonce-a"), b = STR("nonce-b");

	assert_int_equal(digest_nc_alloc(&t, 16), 0);
	assert_int_equal(digest_nc_count(t), 0);
	assert_int_equal(
	    digest_nc_use(t, a, 100, 0, 100, 60), DIGEST_NC_REPLAY);
	assert_int_equal(digest_nc_count(t), 0);
	assert_int_equal(digest_nc_use(t, a, 100, 1, 100, 60), DIGEST_NC_OK);
	assert_int_equal(digest_nc_count(t), 1);
	assert_int_equal(
	    digest_nc_use(t, a, 100, 1, 101, 60), DIGEST_NC_REPLAY);
	assert_int_equal(
	    digest_nc_use(t, a, 100, 0, 101, 60), DIGEST_NC_REPLAY);
	assert_int_equal(digest_nc_use(t, a, 100, 2, 101, 60), DIGEST_NC_OK);
	assert_int_equal(
	    digest_nc_use(t, a, 100, 2, 101, 60), DIGEST_NC_REPLAY);
	/* Another nonce has its own history; a prefix is another nonce. */
	assert_int_equal(digest_nc_use(t, b, 100, 1, 101, 60), DIGEST_NC_OK);
	assert_int_equal(
	    digest_nc_use(t, STR("nonce-"), 100, 1, 101, 60), DIGEST_NC_OK);
	assert_int_equal(digest_nc_count(t), 3);
	assert_int_equal(
	    digest_nc_use(t, b, 100, 1, 102, 60), DIGEST_NC_REPLAY);
	/* An expired nonce is not accepted, and not recorded. */
	assert_int_equal(
	    digest_nc_use(t, STR("old"), 10, 1, 101, 60), DIGEST_NC_UNKNOWN);
	assert_int_equal(digest_nc_count(t), 3);
	digest_nc_free(t);
}

static void
nc_window(void **state)
{
	struct digest_nc *t = NULL;
	struct str a = STR("w");
	uint32_t nc;

	assert_int_equal(digest_nc_alloc(&t, 4), 0);
	assert_int_equal(digest_nc_use(t, a, 100, 100, 100, 60), DIGEST_NC_OK);
	/* Out of order, inside the 64 below the maximum. */
	assert_int_equal(digest_nc_use(t, a, 100, 37, 100, 60), DIGEST_NC_OK);
	assert_int_equal(digest_nc_use(t, a, 100, 99, 100, 60), DIGEST_NC_OK);
	assert_int_equal(digest_nc_use(t, a, 100, 36, 100, 60), DIGEST_NC_OK);
	assert_int_equal(
	    digest_nc_use(t, a, 100, 36, 100, 60), DIGEST_NC_REPLAY);
	assert_int_equal(
	    digest_nc_use(t, a, 100, 99, 100, 60), DIGEST_NC_REPLAY);
	/* 65 below the maximum: history unknown, so a replay. */
	assert_int_equal(
	    digest_nc_use(t, a, 100, 35, 100, 60), DIGEST_NC_REPLAY);
	assert_int_equal(
	    digest_nc_use(t, a, 100, 1, 100, 60), DIGEST_NC_REPLAY);
	/* Move the maximum by 3: the old marks move with it. */
	assert_int_equal(digest_nc_use(t, a, 100, 103, 100, 60), DIGEST_NC_OK);
	assert_int_equal(
	    digest_nc_use(t, a, 100, 100, 100, 60), DIGEST_NC_REPLAY);
	assert_int_equal(
	    digest_nc_use(t, a, 100, 99, 100, 60), DIGEST_NC_REPLAY);
	assert_int_equal(digest_nc_use(t, a, 100, 101, 100, 60), DIGEST_NC_OK);
	assert_int_equal(digest_nc_use(t, a, 100, 102, 100, 60), DIGEST_NC_OK);
	assert_int_equal(digest_nc_use(t, a, 100, 39, 100, 60), DIGEST_NC_OK);
	assert_int_equal(
	    digest_nc_use(t, a, 100, 38, 100, 60), DIGEST_NC_REPLAY);
	/* A jump of exactly 64 keeps the old maximum as the last bit. */
	assert_int_equal(digest_nc_use(t, a, 100, 167, 100, 60), DIGEST_NC_OK);
	assert_int_equal(
	    digest_nc_use(t, a, 100, 103, 100, 60), DIGEST_NC_REPLAY);
	assert_int_equal(digest_nc_use(t, a, 100, 104, 100, 60), DIGEST_NC_OK);
	assert_int_equal(
	    digest_nc_use(t, a, 100, 102, 100, 60), DIGEST_NC_REPLAY);
	/* A jump of more than 64 forgets everything below the window. */
	assert_int_equal(digest_nc_use(t, a, 100, 1000, 100, 60), DIGEST_NC_OK);
	for (nc = 936; nc < 1000; nc++)
		assert_int_equal(
		    digest_nc_use(t, a, 100, nc, 100, 60), DIGEST_NC_OK);
	for (nc = 935; nc <= 1000; nc++)
		assert_int_equal(
		    digest_nc_use(t, a, 100, nc, 100, 60), DIGEST_NC_REPLAY);
	assert_int_equal(
	    digest_nc_use(t, a, 100, UINT32_MAX, 100, 60), DIGEST_NC_OK);
	assert_int_equal(
	    digest_nc_use(t, a, 100, UINT32_MAX, 100, 60), DIGEST_NC_REPLAY);
	assert_int_equal(digest_nc_count(t), 1);
	digest_nc_free(t);
}

/*
 * A full table evicts the nonce issued first; that nonce, and any other
 * issued no later that is not in the table, is UNKNOWN from then on,
 * whatever its nc: an evicted nonce is never accepted again.
 */
static void
nc_eviction_unknown(void **state)
{
	struct digest_nc *t = NULL;
	const uint32_t life = 1000;

	assert_int_equal(digest_nc_alloc(&t, 4), 0);
	assert_int_equal(
	    digest_nc_use(t, STR("n1"), 100, 1, 110, life), DIGEST_NC_OK);
	assert_int_equal(
	    digest_nc_use(t, STR("n2"), 101, 1, 110, life), DIGEST_NC_OK);
	assert_int_equal(
	    digest_nc_use(t, STR("n4"), 103, 1, 110, life), DIGEST_NC_OK);
	assert_int_equal(
	    digest_nc_use(t, STR("n3"), 102, 1, 110, life), DIGEST_NC_OK);
	assert_int_equal(digest_nc_count(t), 4);
	/* Full: n5 pushes out n1 (issued first, though not used first). */
	assert_int_equal(
	    digest_nc_use(t, STR("n5"), 104, 1, 111, life), DIGEST_NC_OK);
	assert_int_equal(digest_nc_count(t), 4);
	assert_int_equal(
	    digest_nc_use(t, STR("n1"), 100, 1, 112, life), DIGEST_NC_UNKNOWN);
	assert_int_equal(
	    digest_nc_use(t, STR("n1"), 100, 2, 112, life), DIGEST_NC_UNKNOWN);
	/* A never-seen nonce issued at or before the horizon: same. */
	assert_int_equal(
	    digest_nc_use(t, STR("n0"), 99, 1, 112, life), DIGEST_NC_UNKNOWN);
	assert_int_equal(
	    digest_nc_use(t, STR("n1b"), 100, 1, 112, life), DIGEST_NC_UNKNOWN);
	/* The others kept their history. */
	assert_int_equal(
	    digest_nc_use(t, STR("n2"), 101, 1, 112, life), DIGEST_NC_REPLAY);
	assert_int_equal(
	    digest_nc_use(t, STR("n3"), 102, 1, 112, life), DIGEST_NC_REPLAY);
	assert_int_equal(
	    digest_nc_use(t, STR("n4"), 103, 2, 112, life), DIGEST_NC_OK);
	/*
	 * Full, and the newcomer is not newer than the oldest entry (n2,
	 * 101): it is refused rather than evicting a younger nonce.
	 */
	assert_int_equal(
	    digest_nc_use(t, STR("n2b"), 101, 1, 112, life), DIGEST_NC_UNKNOWN);
	assert_int_equal(
	    digest_nc_use(t, STR("n2"), 101, 2, 112, life), DIGEST_NC_OK);
	assert_int_equal(digest_nc_count(t), 4);
	/* n6 evicts n2; n2 is now UNKNOWN too, never OK. */
	assert_int_equal(
	    digest_nc_use(t, STR("n6"), 105, 1, 113, life), DIGEST_NC_OK);
	assert_int_equal(
	    digest_nc_use(t, STR("n2"), 101, 3, 113, life), DIGEST_NC_UNKNOWN);
	assert_int_equal(
	    digest_nc_use(t, STR("n3"), 102, 1, 113, life), DIGEST_NC_REPLAY);
	digest_nc_free(t);
}

static void
nc_expired_evicted_first(void **state)
{
	struct digest_nc *t = NULL;
	const uint32_t life = 60;

	assert_int_equal(digest_nc_alloc(&t, 3), 0);
	assert_int_equal(
	    digest_nc_use(t, STR("old1"), 100, 1, 100, life), DIGEST_NC_OK);
	assert_int_equal(
	    digest_nc_use(t, STR("live1"), 150, 1, 150, life), DIGEST_NC_OK);
	assert_int_equal(
	    digest_nc_use(t, STR("live2"), 155, 1, 155, life), DIGEST_NC_OK);
	assert_int_equal(digest_nc_count(t), 3);
	/* At 170, old1 (issued 100) has expired: it goes, the live stay. */
	assert_int_equal(
	    digest_nc_use(t, STR("new1"), 170, 1, 170, life), DIGEST_NC_OK);
	assert_int_equal(digest_nc_count(t), 3);
	assert_int_equal(digest_nc_use(t, STR("live1"), 150, 1, 171, life),
	    DIGEST_NC_REPLAY);
	assert_int_equal(digest_nc_use(t, STR("live2"), 155, 1, 171, life),
	    DIGEST_NC_REPLAY);
	assert_int_equal(
	    digest_nc_use(t, STR("new1"), 170, 1, 171, life), DIGEST_NC_REPLAY);
	assert_int_equal(digest_nc_use(t, STR("old1"), 100, 2, 171, life),
	    DIGEST_NC_UNKNOWN);
	/*
	 * Much later everything has expired: inserting reclaims expired
	 * entries even before the table is full again.
	 */
	assert_int_equal(
	    digest_nc_use(t, STR("new2"), 400, 1, 400, life), DIGEST_NC_OK);
	assert_true(digest_nc_count(t) <= 2);
	assert_int_equal(
	    digest_nc_use(t, STR("new3"), 401, 1, 401, life), DIGEST_NC_OK);
	assert_int_equal(
	    digest_nc_use(t, STR("new4"), 402, 1, 402, life), DIGEST_NC_OK);
	assert_int_equal(digest_nc_count(t), 3);
	assert_int_equal(
	    digest_nc_use(t, STR("new2"), 400, 1, 402, life), DIGEST_NC_REPLAY);
	assert_int_equal(
	    digest_nc_use(t, STR("new3"), 401, 1, 402, life), DIGEST_NC_REPLAY);
	digest_nc_free(t);
}

/*
 * The horizon outlives the table being full: after a reload shortens
 * and then lengthens the lifetime, reclaiming frees room, yet a nonce
 * evicted earlier (or issued before it) must still not be re-admitted.
 */
static void
nc_horizon_after_lifetime_change(void **state)
{
	struct digest_nc *t = NULL;

	assert_int_equal(digest_nc_alloc(&t, 3), 0);
	assert_int_equal(
	    digest_nc_use(t, STR("a"), 100, 1, 100, 1000), DIGEST_NC_OK);
	assert_int_equal(
	    digest_nc_use(t, STR("b"), 101, 1, 101, 1000), DIGEST_NC_OK);
	assert_int_equal(
	    digest_nc_use(t, STR("c"), 102, 1, 102, 1000), DIGEST_NC_OK);
	/* Full: e evicts a. */
	assert_int_equal(
	    digest_nc_use(t, STR("e"), 200, 1, 200, 1000), DIGEST_NC_OK);
	/* Lifetime 100: b and c have expired and make room for d. */
	assert_int_equal(
	    digest_nc_use(t, STR("d"), 215, 1, 220, 100), DIGEST_NC_OK);
	assert_int_equal(digest_nc_count(t), 2);
	/* Lifetime 1000 again: a is young enough, but its history is gone. */
	assert_int_equal(
	    digest_nc_use(t, STR("a"), 100, 1, 221, 1000), DIGEST_NC_UNKNOWN);
	assert_int_equal(
	    digest_nc_use(t, STR("b"), 101, 1, 221, 1000), DIGEST_NC_UNKNOWN);
	assert_int_equal(
	    digest_nc_use(t, STR("z"), 99, 1, 221, 1000), DIGEST_NC_UNKNOWN);
	assert_int_equal(digest_nc_count(t), 2);
	/* Newer than the horizon and not in the table: admitted. */
	assert_int_equal(
	    digest_nc_use(t, STR("f"), 103, 1, 221, 1000), DIGEST_NC_OK);
	assert_int_equal(
	    digest_nc_use(t, STR("e"), 200, 1, 221, 1000), DIGEST_NC_REPLAY);
	digest_nc_free(t);
}

/*
 * Churn a small table with many nonces, random nonce-counts and eviction
 * under pressure. Whatever happens, a (nonce, nc) pair is accepted at
 * most once, the table never grows past its capacity, and the newest
 * nonces (which nothing can have evicted) keep their history.
 */
#define CHURN_NONCES 400
#define CHURN_NC 80
#define CHURN_CAP 32

static void
nc_churn_never_twice(void **state)
{
	static uint8_t accepted[CHURN_NONCES][CHURN_NC + 1];
	char names[CHURN_NONCES][16];
	struct digest_nc *t = NULL;
	uint64_t now = 1000;
	unsigned i, issued_n = 0, ok = 0, unknown = 0;
	uint32_t nc;

	memset(accepted, 0, sizeof(accepted));
	for (i = 0; i < CHURN_NONCES; i++)
		snprintf(names[i], sizeof(names[i]), "churn-%u", i);
	assert_int_equal(digest_nc_alloc(&t, CHURN_CAP), 0);
	for (i = 0; i < 60000; i++) {
		unsigned n;
		enum digest_nc_vd vd;

		/* Issue a new nonce now and then; nonce n is issued at 1000+n. */
		if (issued_n < CHURN_NONCES && rng() % 8 == 0) {
			issued_n++;
			now = 1000 + issued_n - 1;
		}
		if (issued_n == 0)
			continue;
		/* Mostly recent nonces, sometimes any earlier one. */
		if (rng() % 4)
			n = issued_n - 1 -
			    (unsigned)(rng() % (issued_n < 40 ? issued_n : 40));
		else
			n = (unsigned)(rng() % issued_n);
		nc = (uint32_t)(rng() % (CHURN_NC + 1));
		vd = digest_nc_use(t, cs(names[n]), 1000 + n, nc, now, 100000);
		if (vd == DIGEST_NC_OK) {
			assert_true(nc > 0);
			assert_int_equal(accepted[n][nc], 0);
			accepted[n][nc] = 1;
			ok++;
		} else if (vd == DIGEST_NC_UNKNOWN)
			unknown++;
		assert_true(digest_nc_count(t) <= CHURN_CAP);
	}
	assert_true(ok > 1000);
	assert_true(unknown > 100);
	assert_int_equal(digest_nc_count(t), CHURN_CAP);
	/*
	 * Use the newest nonces once more (they may have been refused while
	 * the table was full of peers): afterwards each of them holds an
	 * entry, since only older ones can be evicted to make room.
	 */
	for (i = CHURN_NONCES - 8; i < CHURN_NONCES; i++) {
		nc = CHURN_NC + 1;
		assert_int_equal(
		    digest_nc_use(t, cs(names[i]), 1000 + i, nc, now, 100000),
		    DIGEST_NC_OK);
	}
	for (i = CHURN_NONCES - 8; i < CHURN_NONCES; i++)
		assert_int_equal(digest_nc_use(t, cs(names[i]), 1000 + i,
				     CHURN_NC + 1, now, 100000),
		    DIGEST_NC_REPLAY);
	digest_nc_free(t);
}

static void
nc_alloc_args(void **state)
{
	struct digest_nc *t = NULL;

	assert_int_equal(digest_nc_alloc(&t, 0), EINVAL);
	assert_null(t);
	assert_int_equal(digest_nc_alloc(NULL, 8), EINVAL);
	assert_int_equal(digest_nc_alloc(&t, 1), 0);
	assert_non_null(t);
	assert_int_equal(
	    digest_nc_use(t, STR("a"), 10, 1, 10, 60), DIGEST_NC_OK);
	assert_int_equal(
	    digest_nc_use(t, STR("b"), 11, 1, 11, 60), DIGEST_NC_OK);
	assert_int_equal(digest_nc_count(t), 1);
	assert_int_equal(
	    digest_nc_use(t, STR("a"), 10, 2, 11, 60), DIGEST_NC_UNKNOWN);
	assert_int_equal(
	    digest_nc_use(t, STR("b"), 11, 1, 11, 60), DIGEST_NC_REPLAY);
	digest_nc_free(t);
	digest_nc_free(NULL);
	assert_int_equal(digest_nc_count(NULL), 0);
}

#define T(f) cmocka_unit_test_teardown(f, free_parse)

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		T(parse_rfc7616_example),
		T(parse_minimal_defaults),
		T(parse_case_and_spacing),
		T(parse_token_or_quoted_values),
		T(parse_unknown_params_ignored),
		T(parse_not_digest),
		T(parse_every_truncation),
		T(parse_quoting_errors),
		T(parse_duplicates),
		T(parse_missing_fields),
		T(parse_list_syntax_errors),
		T(parse_nc_format),
		T(parse_algorithms),
		T(parse_untouched_on_error),
		T(parse_random_inputs),
		T(response_rfc7616_md5),
		T(response_rfc7616_sha256),
		T(response_wrong_answers),
		T(response_qop_auth_only),
		cmocka_unit_test(test_digest_mac),
		T(nonce_roundtrip),
		T(nonce_other_source_or_key),
		T(nonce_tampered),
		T(nonce_future),
		T(nonce_ipv6_and_mapped),
		T(nonce_make_limits),
		T(challenge_format),
		T(challenge_limits),
		T(nc_first_use_and_replay),
		T(nc_window),
		T(nc_eviction_unknown),
		T(nc_expired_evicted_first),
		T(nc_horizon_after_lifetime_change),
		T(nc_churn_never_twice),
		T(nc_alloc_args),
	};

	return cmocka_run_group_tests_name("auth_digest", tests, NULL, NULL);
}

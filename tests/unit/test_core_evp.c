/*
 * tests/unit/test_core_evp.c -- core/evp.h: HMAC-SHA256 with the kept
 * per-thread context gives RFC 4231's values, also when keys alternate
 * and from several threads at once; the prefetched digests are the
 * right algorithms; random bytes are never handed out twice.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/evp.h"

/* RFC 4231 test case 1 and test case 2. */
static const unsigned char key1[20] = { 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
	0x0b, 0x0b };
static const char msg1[] = "Hi There";
static const char want1[] =
    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
static const char key2[] = "Jefe";
static const char msg2[] = "what do ya want for nothing?";
static const char want2[] =
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

static void
hex(const unsigned char *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static bool
check_both(void)
{
	unsigned char md[EVP_HMAC_SHA256_LEN];
	char h[2 * EVP_HMAC_SHA256_LEN + 1];

	if (!evp_hmac_sha256(key1, sizeof(key1), msg1, strlen(msg1), md))
		return false;
	hex(md, sizeof(md), h);
	if (strcmp(h, want1) != 0)
		return false;
	if (!evp_hmac_sha256((const unsigned char *)key2, strlen(key2), msg2,
		strlen(msg2), md))
		return false;
	hex(md, sizeof(md), h);
	return strcmp(h, want2) == 0;
}

static void
test_hmac_vectors(void **state)
{
	unsigned char md[EVP_HMAC_SHA256_LEN];
	char h[2 * EVP_HMAC_SHA256_LEN + 1];
	int i;

	(void)state;
	/* Same key twice (the kept context), then alternating keys. */
	for (i = 0; i < 3; i++) {
		assert_true(evp_hmac_sha256(
		    key1, sizeof(key1), msg1, strlen(msg1), md));
		hex(md, sizeof(md), h);
		assert_string_equal(h, want1);
	}
	for (i = 0; i < 4; i++)
		assert_true(check_both());
	/* A key over the limit is refused, not truncated. */
	{
		unsigned char big[65] = { 0 };

		assert_false(evp_hmac_sha256(big, sizeof(big), "x", 1, md));
		assert_true(check_both());
	}
}

static void *
worker(void *arg)
{
	int i;

	for (i = 0; i < 200; i++)
		if (!check_both()) {
			*(int *)arg = 1;
			break;
		}
	return NULL;
}

static void
test_hmac_threads(void **state)
{
	pthread_t t[4];
	int bad[4] = { 0 }, i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(
		    pthread_create(&t[i], NULL, worker, &bad[i]), 0);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(bad[i], 0);
	}
}

static void
test_digests(void **state)
{
	(void)state;
	assert_non_null(evp_md5());
	assert_non_null(evp_sha256());
	assert_int_equal(EVP_MD_get_size(evp_md5()), 16);
	assert_int_equal(EVP_MD_get_size(evp_sha256()), 32);
	assert_true(EVP_MD_is_a(evp_sha256(), "SHA256"));
	assert_true(EVP_MD_is_a(evp_md5(), "MD5"));
}

static void
test_random(void **state)
{
	/* 8-byte draws across several blocks: all distinct, none zero. */
	static uint64_t v[200];
	int i, j;

	(void)state;
	for (i = 0; i < 200; i++) {
		assert_true(evp_random(&v[i], sizeof(v[i])));
		assert_true(v[i] != 0);
		for (j = 0; j < i; j++)
			assert_true(v[i] != v[j]);
	}
	{
		unsigned char big[1000];

		assert_true(evp_random(big, sizeof(big))); /* over a block */
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_vectors),
		cmocka_unit_test(test_hmac_threads),
		cmocka_unit_test(test_digests),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

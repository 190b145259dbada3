/*
 * tests/unit/test_core_evp.c -- core/evp.h: the kept per-thread digest
 * context gives the reference values of SHA-256 and MD5, in turn, after
 * an abandoned hash and from several threads at once; the prefetched
 * digests are the right algorithms; random bytes are never handed out
 * twice.
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

/* FIPS 180-2 "abc" and RFC 1321 "message digest". */
static const char want_sha256[] =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char want_md5[] = "f96b697d7cb7938d525a2f31aaf161d0";

static void
hex(const unsigned char *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* One hash on the thread's context; false on any difference. */
static bool
hash_is(const EVP_MD *md, const char *msg, const char *want)
{
	EVP_MD_CTX *ctx = evp_md_ctx();
	unsigned char d[EVP_MAX_MD_SIZE];
	char h[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int n = 0;

	if (!ctx || !EVP_DigestInit_ex(ctx, md, NULL) ||
	    !EVP_DigestUpdate(ctx, msg, strlen(msg)) ||
	    !EVP_DigestFinal_ex(ctx, d, &n))
		return false;
	hex(d, n, h);
	return strcmp(h, want) == 0;
}

static bool
check_both(void)
{
	return hash_is(evp_sha256(), "abc", want_sha256) &&
	    hash_is(evp_md5(), "message digest", want_md5);
}

/* The kept context: the same one each call, right for each algorithm
 * in turn, also after a half-finished hash was abandoned. */
static void
test_md_ctx(void **state)
{
	EVP_MD_CTX *ctx = evp_md_ctx();
	int i;

	(void)state;
	assert_non_null(ctx);
	assert_ptr_equal(evp_md_ctx(), ctx);
	for (i = 0; i < 4; i++)
		assert_true(check_both());
	assert_true(EVP_DigestInit_ex(ctx, evp_md5(), NULL));
	assert_true(EVP_DigestUpdate(ctx, "left over", 9));
	assert_true(check_both());
	assert_false(hash_is(evp_md5(), "message digesT", want_md5));
}

static void *
worker(void *arg)
{
	int i;

	if (evp_md_ctx() == *(EVP_MD_CTX **)arg) {
		*(EVP_MD_CTX **)arg = NULL; /* shared with the main thread */
		return NULL;
	}
	for (i = 0; i < 200; i++)
		if (!check_both()) {
			*(EVP_MD_CTX **)arg = NULL;
			break;
		}
	return NULL;
}

/* Each thread its own context, all right at once. */
static void
test_md_ctx_threads(void **state)
{
	pthread_t t[4];
	EVP_MD_CTX *mine = evp_md_ctx(), *arg[4];
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		arg[i] = mine;
		assert_int_equal(
		    pthread_create(&t[i], NULL, worker, &arg[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_ptr_equal(arg[i], mine);
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
		cmocka_unit_test(test_md_ctx),
		cmocka_unit_test(test_md_ctx_threads),
		cmocka_unit_test(test_digests),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

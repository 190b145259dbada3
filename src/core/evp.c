/*
 * core/evp.c -- prefetched OpenSSL algorithms (core/evp.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core/evp.h"

#define RAND_BLOCK 256

static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md5_fetched, *sha256_fetched;

static void
md_fetch(void)
{
	md5_fetched = EVP_MD_fetch(NULL, "MD5", NULL);
	sha256_fetched = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

const EVP_MD *
evp_md5(void)
{
	pthread_once(&md_once, md_fetch);
	return md5_fetched ? md5_fetched : EVP_md5();
}

const EVP_MD *
evp_sha256(void)
{
	pthread_once(&md_once, md_fetch);
	return sha256_fetched ? sha256_fetched : EVP_sha256();
}

/* ---- per thread ---------------------------------------------------- */

struct per_thread {
	EVP_MD_CTX *md; /* evp_md_ctx() */
	unsigned char rnd[RAND_BLOCK];
	size_t rnd_left; /* unused bytes at the end of rnd */
};

static pthread_once_t pt_once = PTHREAD_ONCE_INIT;
static pthread_key_t pt_key;
static bool pt_key_ok;

static void
pt_free(void *arg)
{
	struct per_thread *pt = arg;

	EVP_MD_CTX_free(pt->md);
	OPENSSL_cleanse(pt, sizeof(*pt));
	free(pt);
}

static void
pt_init(void)
{
	pt_key_ok = pthread_key_create(&pt_key, pt_free) == 0;
}

static struct per_thread *
pt_get(void)
{
	struct per_thread *pt;

	pthread_once(&pt_once, pt_init);
	if (!pt_key_ok)
		return NULL; /* callers fall back or fail closed */
	if ((pt = pthread_getspecific(pt_key)))
		return pt;
	if (!(pt = calloc(1, sizeof(*pt))))
		return NULL;
	if (pthread_setspecific(pt_key, pt)) {
		free(pt);
		return NULL;
	}
	return pt;
}

EVP_MD_CTX *
evp_md_ctx(void)
{
	struct per_thread *pt = pt_get();

	if (!pt)
		return NULL;
	if (!pt->md)
		pt->md = EVP_MD_CTX_new();
	return pt->md;
}

bool
evp_random(void *buf, size_t n)
{
	struct per_thread *pt = pt_get();

	if (!pt || n > RAND_BLOCK)
		return RAND_bytes(buf, (int)n) == 1;
	if (pt->rnd_left < n) {
		if (RAND_bytes(pt->rnd, RAND_BLOCK) != 1) {
			pt->rnd_left = 0;
			return false;
		}
		pt->rnd_left = RAND_BLOCK;
	}
	memcpy(buf, pt->rnd + RAND_BLOCK - pt->rnd_left, n);
	/* Each byte is handed out once: wipe what was taken. */
	OPENSSL_cleanse(pt->rnd + RAND_BLOCK - pt->rnd_left, n);
	pt->rnd_left -= n;
	return true;
}

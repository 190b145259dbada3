/*
 * core/evp.h -- the OpenSSL 3 algorithms of the request path, ready to
 * use: digests fetched once (EVP_md5() and EVP_sha256() make every
 * EVP_DigestInit_ex() look the algorithm up by name again), a keyed
 * HMAC-SHA256 context kept per thread (HMAC() fetches the MAC and the
 * digest and allocates two contexts on every call), and random bytes
 * drawn from RAND_bytes() in blocks. Safe from any thread.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_EVP_H
#define CENTINELA_CORE_EVP_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#define EVP_HMAC_SHA256_LEN 32

/* MD5 and SHA-256, fetched once for the process (never NULL). */
const EVP_MD *evp_md5(void);
const EVP_MD *evp_sha256(void);

/*
 * HMAC-SHA256 of msg under key (keylen <= 64) into out. The thread
 * keeps the context of its last key: the same key again costs no
 * allocation and no set-up. False on an OpenSSL failure.
 */
bool evp_hmac_sha256(const unsigned char *key, size_t keylen, const void *msg,
    size_t len, unsigned char out[EVP_HMAC_SHA256_LEN]);

/*
 * The thread's digest context, for EVP_DigestInit_ex ... Final: no
 * allocation per hash. Not freed by the caller; NULL when out of memory.
 */
EVP_MD_CTX *evp_md_ctx(void);

/*
 * n bytes from OpenSSL's CSPRNG, taken from a per-thread block
 * of them drawn at once. Never reuses a byte. False on a failure.
 */
bool evp_random(void *buf, size_t n);

#endif /* CENTINELA_CORE_EVP_H */

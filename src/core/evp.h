/*
 * core/evp.h -- the OpenSSL 3 algorithms of the request path, ready to
 * use: digests fetched once (EVP_md5() and EVP_sha256() make every
 * EVP_DigestInit_ex() look the algorithm up by name again), a digest
 * context kept per thread (no allocation per hash), and random bytes
 * drawn from RAND_bytes() in blocks. Safe from any thread.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_EVP_H
#define CENTINELA_CORE_EVP_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

/* MD5 and SHA-256, fetched once for the process (never NULL). */
const EVP_MD *evp_md5(void);
const EVP_MD *evp_sha256(void);

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

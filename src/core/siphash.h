/*
 * core/siphash.h -- SipHash-2-4 (Aumasson and Bernstein), the keyed
 * hash of the tables an attacker fills (nonce windows, dialogs), so
 * that nobody can choose keys that collide.
 *
 * A function of our own because libcrypto's EVP_MAC siphash costs a
 * context allocation per call, which a per-packet lookup cannot afford.
 * Checked against the reference vectors in tests/unit/test_str.c.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_SIPHASH_H
#define CENTINELA_CORE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* The 64-bit SipHash-2-4 of "len" bytes at "in" under the key k[0..1]. */
uint64_t siphash24(const uint64_t k[2], const void *in, size_t len);

#endif /* CENTINELA_CORE_SIPHASH_H */

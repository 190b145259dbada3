/*
 * auth/cred.h -- credentials: the password policy, generated secrets and
 * passwords, Argon2id password hashes and digest HA1 values.
 *
 * Two levels of secret (see docs/ARCHITECTURE.md): the device SIP secret
 * is generated here, never chosen by a person, and stored only as HA1
 * values; the user password is what the person knows and is stored only
 * as an Argon2id hash. Every function is thread-safe and never logs a
 * secret.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_AUTH_CRED_H
#define CENTINELA_AUTH_CRED_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

/* Digest algorithms (RFC 7616, RFC 8760). */
enum digest_alg {
	DIGEST_MD5,
	DIGEST_SHA256,
	DIGEST_ALG_COUNT
};

/* Hex length of a digest of each algorithm (32, 64) and the maximum. */
#define CRED_HEX_MAX 64
size_t cred_hex_len(enum digest_alg alg);
/* "MD5", "SHA-256". */
const char *cred_alg_name(enum digest_alg alg);

/* Smallest accepted length of a user password or a device secret. */
#define CRED_MIN_LEN 10

/*
 * Check "secret" against the policy for account "username": libpwquality
 * (with its cracklib dictionary) plus our own rules -- not equal to nor
 * containing the username/extension (case-insensitive, also reversed),
 * not all digits, at least CRED_MIN_LEN bytes, no keyboard walk or
 * repeated/sequential run ("qwerty", "asdf", "12345", "aaaa", "abcd"),
 * not a common password. Returns 0 when acceptable; otherwise -1 and a
 * one-line reason in "why" (no secret in it), e.g.
 * "contains the username", "only digits", "shorter than 10 characters",
 * "a keyboard walk", "a common password".
 */
int cred_policy_check(
    const char *username, const char *secret, char *why, size_t whylen);

/*
 * A device secret: at least 128 bits from the kernel CSPRNG, letters and
 * digits only (phones' keypads and config files take them unquoted),
 * NUL-terminated. Returns 0, or -1 when cap is too small / no entropy.
 */
#define CRED_SECRET_LEN 24 /* 62^24 ~ 2^142 */
int cred_gen_secret(char *out, size_t cap);

/*
 * A user password a person can read and type: pronounceable syllable
 * groups with a digit group (e.g. "tobaki-ravemu-nelosu-47"), at least
 * 64 bits of entropy, guaranteed to pass cred_policy_check() for
 * "username". NUL-terminated. Returns 0 or -1.
 */
int cred_gen_password(const char *username, char *out, size_t cap);

/*
 * Argon2id hash of a user password in the PHC encoded form
 * ("$argon2id$v=19$m=...,t=...,p=...$salt$hash"), random 16-byte salt.
 * Returns 0 or -1 (cap too small, library error).
 */
#define CRED_ARGON2_ENCODED_MAX 128
int cred_password_hash(const char *password, char *out, size_t cap);
/* 0 when "password" matches "encoded", -1 otherwise (also on a bad hash). */
int cred_password_verify(const char *encoded, const char *password);

/*
 * HA1 = H(username ":" realm ":" secret) in lower-case hex, NUL-terminated
 * in "hex" (capacity at least CRED_HEX_MAX + 1). Returns 0 or -1.
 */
int cred_ha1(enum digest_alg alg, struct str user, struct str realm,
    struct str secret, char *hex);

#endif /* CENTINELA_AUTH_CRED_H */

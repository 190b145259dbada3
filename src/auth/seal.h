/*
 * auth/seal.h -- sealed device secrets: the system's own copy of an
 * account's device SIP secret, which only the provisioning service
 * opens to hand it to the account's phone.
 *
 * The account's HA1 values let the registrar check a phone, but cannot
 * give the secret back; zero-touch provisioning must. So the secret is
 * also kept sealed with AES-256-GCM (OpenSSL EVP) under a key of 32
 * random bytes in a key file (64 hex digits, mode 0600, created on
 * first use) that lives outside the database: a copy of the database
 * alone does not reveal any secret. The associated data binds a box to
 * its account (user and domain), so a box copied to another account's
 * row does not open. A box names its key by a 4-byte id, so a box from
 * another key is told apart from a tampered one.
 *
 * A box is text: base64 of version (1) | key id (4) | nonce (12) |
 * ciphertext | tag (16). Every function is thread-safe, never logs and
 * never puts a secret in a message.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_AUTH_SEAL_H
#define CENTINELA_AUTH_SEAL_H

#include <stdbool.h>
#include <stddef.h>

#define SEAL_KEY_LEN 32
#define SEAL_KEY_ID_LEN 4
#define SEAL_SECRET_MAX 64 /* bytes of a secret, NUL excluded */
/* base64 of 1 + 4 + 12 + 64 + 16 bytes, and the NUL */
#define SEAL_BOX_MAX (4 * ((1 + 4 + 12 + SEAL_SECRET_MAX + 16 + 2) / 3) + 1)
#define SEAL_PATH_MAX 1024

struct seal_key {
	unsigned char k[SEAL_KEY_LEN];
	unsigned char id[SEAL_KEY_ID_LEN];
};

/*
 * The key file for a store: "key_file" when not empty, else, for an
 * "sqlite:PATH" store, PATH followed by ".key". Returns 0, ENOENT (no
 * key_file and a store that is not SQLite: the key file must be
 * named), ENAMETOOLONG, EINVAL (NULL).
 */
int seal_key_path(
    const char *key_file, const char *store_uri, char *out, size_t cap);

/*
 * Load the key of "path" into "k". With "create", a missing file is
 * made first (32 bytes from the kernel CSPRNG, mode 0600, written to
 * a temporary file and linked into place, so two programs creating it
 * at once end up with the same key). Refused: a file readable or
 * writable by group or others (EPERM), not a regular file or not 64
 * hex digits and an optional newline (EINVAL). Returns 0 or an errno
 * value (ENOENT without "create") with a one-line message in "err".
 */
int seal_key_load(struct seal_key *k, const char *path, bool create, char *err,
    size_t errlen);

/* Wipe the key (explicit_bzero). */
void seal_key_wipe(struct seal_key *k);

/*
 * Seal "secret" (1 .. SEAL_SECRET_MAX bytes) for account (user,
 * domain) into "box" (capacity at least SEAL_BOX_MAX). Returns 0,
 * EINVAL (an argument missing, empty or too long; cap too small) or
 * EIO (the cipher failed).
 */
int seal_box(const struct seal_key *k, const char *user, const char *domain,
    const char *secret, char *box, size_t cap);

/*
 * Open "box" of account (user, domain) into "secret" (capacity at
 * least SEAL_SECRET_MAX + 1, NUL-terminated). Returns 0, EINVAL (not a
 * box: bad base64, length or version), EKEYREJECTED (sealed under
 * another key), EBADMSG (it does not open: tampered with, or another
 * account's box) or EIO. On error "secret" holds "".
 */
int seal_open(const struct seal_key *k, const char *user, const char *domain,
    const char *box, char *secret, size_t cap);

#endif /* CENTINELA_AUTH_SEAL_H */

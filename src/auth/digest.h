/*
 * auth/digest.h -- HTTP digest for SIP (RFC 3261 section 22, RFC 7616,
 * RFC 8760): credentials parsing, stateless nonces, response checking,
 * challenge headers and the nonce-count replay window.
 *
 * Nonces are stateless: base64url(issued time | 64 random bits |
 * 128-bit MAC (digest_mac: SipHash-2-4 under two keys) of time | random
 * | source IP).
 * Nothing is stored when a challenge is sent; a nonce is bound to the
 * source IP address (not the port: NAT bindings move) and expires.
 * Replay protection keeps, per nonce in use, the highest nonce-count
 * seen and a 64-wide window below it (struct digest_nc).
 *
 * Everything here runs on the event loop: no locks, no allocation after
 * digest_nc_alloc(), constant-time comparisons, and the same work for a
 * good and a bad response.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_AUTH_DIGEST_H
#define CENTINELA_AUTH_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/cred.h"
#include "core/str.h"
#include "net/sa.h"

/* A server secret: the nonces' MAC key, the dialog tokens' MAC key. */
#define DIGEST_KEY_LEN 32
struct digest_key {
	unsigned char k[DIGEST_KEY_LEN];
};

/* Fill a key from the kernel CSPRNG. 0 or -1. */
int digest_key_random(struct digest_key *key);

/*
 * The 128-bit MAC of msg under key: SipHash-2-4 under each of the key's
 * two independent 128-bit halves (a PRF meant for short inputs; the
 * nonces' and the dialog tokens' MAC, one key for each use).
 */
#define DIGEST_MAC_LEN 16
void digest_mac(const struct digest_key *key, const void *msg, size_t len,
    unsigned char out[DIGEST_MAC_LEN]);

/* Parsed credentials: views into the header value, quotes removed. */
struct digest_creds {
	struct str username;
	struct str realm;
	struct str nonce;
	struct str uri;
	struct str response;
	struct str cnonce;
	struct str qop;
	struct str opaque;
	struct str algorithm; /* as sent; empty when absent */
	enum digest_alg alg; /* DIGEST_MD5 when absent */
	uint32_t nc; /* nonce-count, 8 hex digits */
	bool has_nc;
};

/*
 * Parse the value of an Authorization or Proxy-Authorization header
 * ("Digest username=..., realm=..., ..."). Parameter names are
 * case-insensitive, unknown ones are ignored, a repeated known one is an
 * error. Returns 0, EINVAL (not Digest, malformed, a value with a
 * backslash escape, missing username/realm/nonce/uri/response) or
 * ENOTSUP (an algorithm other than MD5 / SHA-256, or a -sess variant).
 */
int digest_creds_parse(struct str value, struct digest_creds *c);

/* Longest nonce text plus NUL. */
#define DIGEST_NONCE_MAX 48

/*
 * Mint a nonce for a challenge sent at "now" (seconds since the epoch)
 * to "src". Writes it NUL-terminated to "out" (cap >= DIGEST_NONCE_MAX)
 * and returns its length, or 0 when cap is too small.
 */
size_t digest_nonce_make(const struct digest_key *key, uint64_t now,
    const struct sa *src, char *out, size_t cap);

enum digest_nonce_state {
	DIGEST_NONCE_OK,
	DIGEST_NONCE_STALE, /* ours, for this source, but expired */
	DIGEST_NONCE_BAD /* malformed, forged, another source, future */
};

/*
 * Check a nonce received from "src" at "now": it must decode, its MAC
 * must verify for "src" (constant time), it must not be from more than
 * 5 s in the future, and not older than "lifetime" seconds (else STALE).
 * On OK and STALE, *issued gets the nonce's issue time.
 */
enum digest_nonce_state digest_nonce_check(const struct digest_key *key,
    struct str nonce, uint64_t now, uint32_t lifetime, const struct sa *src,
    uint64_t *issued);

/*
 * Is c->response right for "ha1_hex" (lower-case hex HA1 of c->alg) and
 * the request "method"? Only qop=auth is accepted (qop, nc and cnonce
 * required): response = H(HA1:nonce:nc:cnonce:auth:H(method:uri)).
 * Always does the full computation and a constant-time comparison, so a
 * wrong answer costs what a right one does.
 */
bool digest_response_ok(
    const struct digest_creds *c, const char *ha1_hex, struct str method);

/*
 * Write one challenge header per algorithm in "algs" order, each
 * "<hdr>: Digest realm=\"R\", nonce=\"N\", algorithm=A, qop=\"auth\""
 * plus ", stale=true" when "stale", each ending in CRLF. "hdr" is
 * "WWW-Authenticate" or "Proxy-Authenticate". Returns bytes written, or
 * 0 when "cap" is too small (nothing usable written).
 */
size_t digest_challenge(char *out, size_t cap, const char *hdr,
    struct str realm, const char *nonce, const enum digest_alg *algs,
    unsigned nalgs, bool stale);

/*
 * The replay window. Bounded: "capacity" nonces in use. When full,
 * expired entries go first, then the oldest; a nonce issued at or before
 * the newest evicted one that is not in the table is UNKNOWN (its
 * history is lost, so it must be re-challenged), never accepted.
 */
struct digest_nc;

int digest_nc_alloc(struct digest_nc **tp, unsigned capacity);
void digest_nc_free(struct digest_nc *t);

enum digest_nc_vd {
	DIGEST_NC_OK, /* first use of this nc for this nonce: recorded */
	DIGEST_NC_REPLAY, /* already used, or below the window */
	DIGEST_NC_UNKNOWN /* history lost: send a fresh (stale) challenge */
};

/*
 * Record the use of "nc" with "nonce" (issued at "issued", valid for
 * "lifetime" seconds) at "now". nc 0 is a REPLAY (never valid).
 */
enum digest_nc_vd digest_nc_use(struct digest_nc *t, struct str nonce,
    uint64_t issued, uint32_t nc, uint64_t now, uint32_t lifetime);
/* Entries in use (for metrics and tests). */
unsigned digest_nc_count(const struct digest_nc *t);

#endif /* CENTINELA_AUTH_DIGEST_H */

/*
 * auth/auth.h -- who is calling: the in-memory account table, its loader
 * thread, and the digest check the auth guard runs on the event loop.
 *
 * Accounts live in the store (store/store.h). A loader thread reads
 * them all into an immutable table whenever the store's generation
 * counter moves (centinelactl bumps it) and hands the new table to the
 * loop, which swaps it in between two requests: a running daemon picks
 * up account changes within store.poll_interval without a restart and
 * without ever blocking the loop on the database.
 *
 * auth_check() implements RFC 3261 section 22 with RFC 7616 / RFC 8760:
 * stateless nonces bound to the source address, qop=auth, nonce-count
 * replay protection, stale=true for expired nonces, one challenge per
 * configured algorithm. Anti-enumeration: an unknown, suspended or
 * source-restricted account costs the same digest computation as a
 * known one (a dummy HA1) and gets the very same challenge; the true
 * sub-reason goes only to the event (logs, metrics, ban ladder).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_AUTH_AUTH_H
#define CENTINELA_AUTH_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/cred.h"
#include "core/cfg.h"
#include "core/loop.h"
#include "core/reason.h"
#include "net/sa.h"
#include "net/tp.h"
#include "sip/sip.h"
#include "store/store.h"

/* An account as the loop sees it (no password hash, no clear secret). */
struct acct {
	struct acct *ac_next; /* hash chain */
	uint64_t ac_hash;
	struct str ac_user;
	struct str ac_domain;
	enum account_status ac_status;
	char ac_ha1[DIGEST_ALG_COUNT][CRED_HEX_MAX + 1];
	uint32_t ac_max_contacts; /* 0 = registrar default */
	struct cidr *ac_cidrs; /* allowed sources; none = any */
	unsigned ac_ncidrs;
	char *ac_tls_id; /* bound client certificate (cfg_tls_id_canon) */
	struct acct *ac_tls_next; /* certificate hash chain */
	char ac_buf[STORE_USER_MAX + STORE_DOMAIN_MAX];
};

struct acct_table;

/*
 * Read every account of "s" into a new table. Returns 0, or an errno
 * with a message in "err" (a bad allow_cidrs value names the account).
 */
int acct_table_build(
    struct acct_table **tp, struct store *s, char *err, size_t errlen);
void acct_table_free(struct acct_table *t);
const struct acct *acct_find(
    const struct acct_table *t, struct str user, struct str domain);
unsigned acct_table_count(const struct acct_table *t);
/*
 * The account bound to client certificate "id": by fingerprint, or by
 * subject when its chain verified. NULL: none.
 */
const struct acct *acct_find_tls(
    const struct acct_table *t, const struct tp_tls_peer *id);
/* May this account be used from "src" (allow_cidrs)? */
bool acct_source_ok(const struct acct *a, const struct sa *src);

struct auth;

/*
 * Create the auth engine on loop "l": a random nonce key, the replay
 * window, and the loader thread on cfg->store_uri. The first table is
 * loaded before returning (a store that cannot be opened is an error:
 * EIO with the message logged). Returns 0 or an errno.
 */
int auth_alloc(struct auth **ap, struct loop *l, const struct cfg *cfg);
void auth_free(struct auth *a);

/* The current account table (never NULL after auth_alloc). */
const struct acct_table *auth_accounts(const struct auth *a);
/* The realm for a request: its To (REGISTER) / From host if ours. */
struct str auth_realm(const struct cfg *cfg, const struct sip_msg *msg);

struct auth_result {
	enum reason reason; /* REASON_NONE when authenticated */
	uint16_t status; /* 401 or 407 to send */
	struct str extra; /* the challenge header lines, in buf */
	const struct acct *acct; /* the account, when authenticated */
	char buf[640];
};

/*
 * Authenticate request "msg" from "src" (over "tp": "udp", ...) whose
 * connection presented client certificate "cert" (NULL: none).
 * Returns true with res->acct set, or false with res->status and
 * res->extra (401 + WWW-Authenticate for REGISTER, 407 +
 * Proxy-Authenticate otherwise) to send. Emits auth_ok / auth_failed.
 * An account bound to a certificate fails without it, right secret or
 * not (auth_cert, seen only in the event).
 */
bool auth_check(struct auth *a, const struct sip_msg *msg, const struct sa *src,
    const char *tp, const struct tp_tls_peer *cert, struct auth_result *res);

enum auth_cert_vd {
	AUTH_CERT_NONE = 0, /* bound to no account: digest decides */
	AUTH_CERT_OK, /* res->acct is the bound account */
	AUTH_CERT_REFUSED /* bound, but not to the user the request names */
};

/*
 * Mutual TLS: the account bound to "cert" authenticates a request that
 * speaks for it (To user of a REGISTER, From user otherwise, in the
 * account's realm) without a digest challenge. Emits auth_ok /
 * auth_failed (reason auth_cert) like auth_check().
 */
enum auth_cert_vd auth_check_cert(struct auth *a, const struct sip_msg *msg,
    const struct sa *src, const char *tp, const struct tp_tls_peer *cert,
    struct auth_result *res);

/*
 * Dialog tokens: a keyed hash of the Call-ID (64 bits of digest_mac
 * under a key of their own) that centinela puts into its Record-Route
 * (";ad=...") when it accepted the dialog's initial request, so that
 * in-dialog requests need no new challenge.
 */
#define AUTH_TOKEN_LEN 16
/* Writes AUTH_TOKEN_LEN hex digits to out; true. */
bool auth_dialog_token(const struct auth *a, struct str call_id, char *out);
bool auth_dialog_token_ok(
    const struct auth *a, struct str call_id, struct str token);

#endif /* CENTINELA_AUTH_AUTH_H */

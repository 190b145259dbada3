/*
 * store/store.h -- persistence behind one interface: accounts and
 * registrar bindings. Backends: SQLite (store/sqlite.c, the embedded
 * default) and PostgreSQL (store/pgsql.c).
 *
 * A struct store is one connection: not thread-safe, so every thread
 * (the control tool, the location writer, the account loader) opens its
 * own. store_open() creates the schema or migrates it to the current
 * version inside a transaction; a database newer than this program is
 * refused. Functions return 0 or an errno value (ENOENT, EEXIST,
 * EINVAL, EIO) and leave a one-line message in store_errmsg().
 * Nothing here ever sees a clear-text SIP secret.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_STORE_STORE_H
#define CENTINELA_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "auth/cred.h"

#define STORE_USER_MAX 64 /* bytes incl. NUL */
#define STORE_DOMAIN_MAX 128
#define STORE_CIDRS_MAX 256

enum account_status {
	ACCOUNT_ACTIVE = 0,
	ACCOUNT_SUSPENDED = 1
};

struct account {
	char user[STORE_USER_MAX]; /* username / extension */
	char domain[STORE_DOMAIN_MAX]; /* the digest realm */
	enum account_status status;
	char ha1_md5[CRED_HEX_MAX + 1]; /* device secret, MD5 HA1 hex */
	char ha1_sha256[CRED_HEX_MAX + 1]; /* device secret, SHA-256 HA1 */
	char pw_hash[CRED_ARGON2_ENCODED_MAX]; /* user password; "" = none */
	int64_t created; /* unix seconds */
	int64_t secret_rotated;
	int64_t pw_changed; /* 0 = never set */
	uint32_t max_contacts; /* 0 = the registrar default */
	char allow_cidrs
	    [STORE_CIDRS_MAX]; /* "10.0.0.0/8,2001:db8::/32"; "" any */
};

#define STORE_AOR_MAX 200
#define STORE_URI_MAX 512
#define STORE_SRC_MAX 96
#define STORE_PATH_MAX 1024
#define STORE_CALLID_MAX 256
#define STORE_INSTANCE_MAX 160
#define STORE_UA_MAX 160

/* One registrar binding as persisted (the live table is route/location). */
struct binding {
	char aor[STORE_AOR_MAX]; /* "user@domain" */
	char contact[STORE_URI_MAX]; /* Contact URI, without <> */
	char source[STORE_SRC_MAX]; /* "udp:1.2.3.4:5060", "tls:[v6]:5061" */
	char path[STORE_PATH_MAX]; /* Path header values, comma-separated */
	char call_id[STORE_CALLID_MAX];
	uint32_t cseq;
	char instance[STORE_INSTANCE_MAX]; /* +sip.instance, RFC 5626 */
	uint32_t reg_id;
	char user_agent[STORE_UA_MAX];
	uint32_t q; /* q-value times 1000; 1000 = 1.0 */
	int64_t expires; /* unix seconds, absolute */
};

struct store;

/*
 * Open "uri": "sqlite:PATH" (file created when missing, WAL mode, busy
 * timeout 5 s) or "postgresql://..." / "postgres://..." (libpq conninfo
 * URI). Creates or migrates the schema. On failure returns an errno
 * value and writes a one-line message into "err".
 */
int store_open(struct store **sp, const char *uri, char *err, size_t errlen);
void store_close(struct store *s);
/* The last error message of "s" (never NULL). */
const char *store_errmsg(const struct store *s);
/* The schema version the database is at. */
int store_schema_version(struct store *s);

/* Explicit transactions to batch writes (the location writer does). */
int store_begin(struct store *s);
int store_commit(struct store *s);
int store_rollback(struct store *s);

/* Accounts, keyed by (user, domain). EEXIST / ENOENT as expected. */
int store_account_add(struct store *s, const struct account *a);
int store_account_get(
    struct store *s, const char *user, const char *domain, struct account *a);
/* Replace every field of the account (user, domain) with "a". */
int store_account_update(struct store *s, const struct account *a);
int store_account_del(struct store *s, const char *user, const char *domain);

/* Called per row; a non-zero return stops the walk and is returned. */
typedef int(store_account_h)(const struct account *a, void *arg);
/* Every account, ordered by domain then user. */
int store_account_each(struct store *s, store_account_h *h, void *arg);

/*
 * A counter bumped in the same transaction as every account change: a
 * running daemon polls it to pick up changes made by centinelactl.
 */
int store_generation(struct store *s, int64_t *gen);

/* Bindings, keyed by (aor, contact). put = insert or replace. */
int store_binding_put(struct store *s, const struct binding *b);
int store_binding_del(struct store *s, const char *aor, const char *contact);
/* Delete every binding of "aor" ("*" unregister). */
int store_binding_del_aor(struct store *s, const char *aor);
/* Delete bindings with expires <= now. */
int store_binding_expire(struct store *s, int64_t now);
typedef int(store_binding_h)(const struct binding *b, void *arg);
int store_binding_each(struct store *s, store_binding_h *h, void *arg);

#endif /* CENTINELA_STORE_STORE_H */

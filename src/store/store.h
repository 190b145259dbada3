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

/*
 * The guard's state. A ban record is one source's place on the ban
 * ladder: banned while expires > now, remembered (strikes) until
 * forget. Keyed by the canonical range text ("192.0.2.7/32",
 * "2001:db8:1:2::/64", see cidr_fmt()).
 */
#define STORE_ADDR_MAX 56 /* CIDR_STRLEN and then some */
#define STORE_REASON_MAX 32
#define STORE_ORIGIN_MAX 64
#define STORE_DETAIL_MAX 256
#define STORE_NOTE_MAX 128

struct ban_rec {
	char addr[STORE_ADDR_MAX];
	char reason[STORE_REASON_MAX]; /* reason code name (core/reason.h) */
	char origin[STORE_ORIGIN_MAX]; /* "guard", "ctl", "feed:NAME" */
	uint32_t rung; /* ladder rung of the last ban, 1-based; 0: none */
	uint32_t strikes; /* bans within the memory window */
	int64_t first_seen; /* unix seconds */
	int64_t last_seen;
	int64_t expires; /* ban end; <= now: not banned */
	int64_t forget; /* the record may be dropped after this */
};

/* One line of a source's history (ban, unban, strike, trigger). */
struct ban_event {
	int64_t id; /* assigned by the store, increasing */
	char addr[STORE_ADDR_MAX];
	int64_t at; /* unix seconds */
	char what[16]; /* "ban", "unban", "strike", "trigger" */
	char reason[STORE_REASON_MAX];
	uint32_t rung;
	int64_t duration; /* s, for "ban" */
	char detail[STORE_DETAIL_MAX];
};

/* An allowlist entry: never banned, never guarded. */
struct allow_rec {
	char addr[STORE_ADDR_MAX];
	char note[STORE_NOTE_MAX];
	int64_t created;
};

/*
 * A command from centinelactl to the running daemons, which poll the
 * queue (ban_cmd_each with id > the last they applied). op: "ban",
 * "unban", "allow", "unallow".
 */
struct ban_cmd {
	int64_t id; /* assigned by the store, increasing */
	char op[16];
	char addr[STORE_ADDR_MAX];
	int64_t duration; /* s, for "ban"; 0 = the ladder decides */
	char reason[STORE_REASON_MAX];
	int64_t created;
};

/* Bans. put = insert or replace. */
int store_ban_put(struct store *s, const struct ban_rec *b);
int store_ban_get(struct store *s, const char *addr, struct ban_rec *b);
int store_ban_del(struct store *s, const char *addr);
/* Delete records with forget <= now; *n (may be NULL) = how many. */
int store_ban_forget(struct store *s, int64_t now, uint64_t *n);
typedef int(store_ban_h)(const struct ban_rec *b, void *arg);
/* Every record, ordered by addr. */
int store_ban_each(struct store *s, store_ban_h *h, void *arg);

/* History: e->id is set on return of add. */
int store_ban_event_add(struct store *s, struct ban_event *e);
typedef int(store_ban_event_h)(const struct ban_event *e, void *arg);
/* The events of "addr" (all when NULL), oldest first, at most "limit"
 * (the newest "limit"; 0 = all). */
int store_ban_event_each(struct store *s, const char *addr, unsigned limit,
    store_ban_event_h *h, void *arg);
/* Delete events older than "before". */
int store_ban_event_trim(struct store *s, int64_t before);

/* Allowlist; put = insert or replace. Each bumps the allow generation. */
int store_allow_put(struct store *s, const struct allow_rec *a);
int store_allow_del(struct store *s, const char *addr);
typedef int(store_allow_h)(const struct allow_rec *a, void *arg);
int store_allow_each(struct store *s, store_allow_h *h, void *arg);
int store_allow_generation(struct store *s, int64_t *gen);

/* Command queue: c->id is set on return of add. */
int store_ban_cmd_add(struct store *s, struct ban_cmd *c);
typedef int(store_ban_cmd_h)(const struct ban_cmd *c, void *arg);
/* Commands with id > after, oldest first. */
int store_ban_cmd_each(
    struct store *s, int64_t after, store_ban_cmd_h *h, void *arg);
/* Delete commands created before "before" (every daemon had time). */
int store_ban_cmd_trim(struct store *s, int64_t before);

#endif /* CENTINELA_STORE_STORE_H */

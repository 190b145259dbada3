/*
 * store/store.h -- persistence behind one interface: accounts and
 * registrar bindings, the guard's state, the caller-ID numbering data
 * and blocking counters, the alerts and their deliveries, the fraud
 * engine's per-subject state. Backends: SQLite (store/sqlite.c, the
 * embedded default) and PostgreSQL (store/pgsql.c).
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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/cred.h"

#define STORE_USER_MAX 64 /* bytes incl. NUL */
#define STORE_DOMAIN_MAX 128
#define STORE_CIDRS_MAX 256
/*
 * The device secret sealed for the provisioning service (auth/seal.h,
 * base64 text): only the daemon's provisioning service opens it.
 */
#define STORE_SECRET_BOX_MAX 160
/*
 * The client certificate an account's phone must present over mutual
 * TLS: "sha256:" and 64 lower-case hex digits (the certificate's
 * fingerprint) or "subject:" and the subject DN (RFC 2253); "" = none.
 */
#define STORE_TLSID_MAX 320

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
	/* Schema version 6. */
	char secret_box[STORE_SECRET_BOX_MAX]; /* auth/seal.h; "" = none */
	char tls_id[STORE_TLSID_MAX]; /* client-certificate binding, "" none */
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

/*
 * ---- caller-ID numbering data (schema version 3) -------------------------
 *
 * Numbers and prefixes are E.164 digit strings without '+'
 * ("34911000123", "3482224"). Times are unix seconds. Every change to
 * the numbering tables (ranges, own inventory, exceptions, aliases,
 * Robinson hashes) bumps the numbering generation in its transaction:
 * a running daemon polls store_numbering_generation() and rebuilds its
 * in-memory copy (callerid/numdb.h) when it moved. The blocking
 * counters (cid_blocks) are not numbering data and bump nothing.
 */
#define STORE_DIGITS_MAX 16 /* 15 E.164 digits + NUL */
#define STORE_NUM_STATUS_MAX 16
#define STORE_NUM_SUB_MAX 64
#define STORE_NUM_NAME_MAX 160
#define STORE_NUM_AREA_MAX 64
#define STORE_NUM_SOURCE_MAX 96
#define STORE_NUM_KIND_MAX 16
#define STORE_TRUNK_MAX 64 /* a peer name (CFG_NAME_MAX) */
#define STORE_RULE_MAX 32
#define STORE_RULES_MAX 256
#define STORE_REF_MAX 256
#define STORE_ALIAS_MAX 64
#define STORE_PROS_MAX 512
#define STORE_HASH_HEX_MAX 65 /* 64 hex digits + NUL */
#define STORE_CHANNEL_MAX 8

/*
 * One range of the CNMC numbering register (R-05, R-27), after the
 * sub-blocks of a "Subasignado" line are expanded: one row per prefix.
 * Several rows may share a prefix (a "Compartido" block).
 */
struct num_range {
	char prefix[STORE_DIGITS_MAX]; /* "34" + NXY + block [+ sub-block] */
	char status[STORE_NUM_STATUS_MAX]; /* Asignado|Compartido|Subasignado */
	char subblocks[STORE_NUM_SUB_MAX]; /* the list as written: "03",
					      "0,1,2"; "" unless Subasignado */
	char holder[STORE_NUM_NAME_MAX]; /* the company the line names, UTF-8 */
	char area[STORE_NUM_AREA_MAX]; /* province or network type; may be "" */
	int64_t assigned; /* the line's date, 00:00 UTC */
	char source[STORE_NUM_SOURCE_MAX]; /* "geograficos.txt:12" */
};

/* The register data set in force (one per import; id 0: none yet). */
struct num_dataset {
	int64_t id;
	int64_t created; /* when its import committed */
	int64_t nrows;
	char note[STORE_NOTE_MAX]; /* e.g. the file names */
};

/*
 * The operator's own numbering (R-06, R-07). kind: "block" (assigned to
 * us by the CNMC), "subblock" (sub-assigned to us), "service" (a number
 * or prefix given to a customer), "ported_in", "ported_out" (one number
 * each). Keyed by (digits, kind).
 */
struct num_own {
	char digits[STORE_DIGITS_MAX];
	char kind[STORE_NUM_KIND_MAX];
	char note[STORE_NOTE_MAX];
};

/*
 * An exception published on the SETID portal (R-12): the CLI (or every
 * CLI under a prefix) passes the listed rules on the trunk while
 * valid_from <= now < valid_to.
 */
struct num_exception {
	int64_t id; /* assigned by the store */
	char digits[STORE_DIGITS_MAX];
	uint32_t prefix; /* 1: digits is a prefix; 0: one number */
	char trunk[STORE_TRUNK_MAX]; /* "" = any trunk */
	int64_t valid_from;
	int64_t valid_to; /* 0 = no end */
	char ref[STORE_REF_MAX]; /* the publication */
	char rules[STORE_RULES_MAX]; /* "ES-A4.4,ES-A5.1"; "" = every rule */
};

/*
 * A registered SMS sender alias (R-15): matched exactly (bytes, case
 * included), valid while valid_from <= now < valid_to (0 = no end),
 * from the origin providers (PRO) listed.
 */
struct sms_alias {
	char alias[STORE_ALIAS_MAX]; /* UTF-8 */
	char pros[STORE_PROS_MAX]; /* "PRO1,PRO2" */
	int64_t valid_from;
	int64_t valid_to;
};

/* A Lista Robinson entry (R-19): lower-case hex SHA-256, as imported. */
struct robinson_rec {
	char hash[STORE_HASH_HEX_MAX];
};

/* One blocking counter (R-20). */
struct cid_block {
	int64_t day; /* unix seconds of 00:00 UTC */
	char rule[STORE_RULE_MAX]; /* reason code, "ES-A5.1" */
	char channel[STORE_CHANNEL_MAX]; /* "call" or "sms" */
	char trunk[STORE_TRUNK_MAX]; /* peer name; may be "" */
	int64_t count;
};

/* Row counts and the data set in force, for "numbering stats". */
struct num_stats {
	int64_t ranges; /* of the data set in force */
	int64_t own;
	int64_t exceptions;
	int64_t aliases;
	int64_t robinson;
	int64_t cid_blocks;
	int64_t generation; /* the numbering generation */
	struct num_dataset dataset; /* id 0: no register imported */
};

/* The numbering generation (see above). Returns 0, EINVAL, EIO. */
int store_numbering_generation(struct store *s, int64_t *gen);
/* Counts of every numbering table. Returns 0, EINVAL, EIO. */
int store_num_stats(struct store *s, struct num_stats *st);

/*
 * Bulk import, the only way to write the register and the fast way to
 * load the other tables: store_import_begin(), one store_import_*()
 * per row, then store_import_commit() or store_import_abort(). It all
 * happens in one transaction of its own (EINVAL inside store_begin()), with
 * prepared statements (SQLite) or COPY (PostgreSQL); other readers
 * never see a half import, and a failed or aborted one leaves the old
 * data in force.
 *
 * STORE_NUM_RANGES always makes a new data set: its rows are written
 * under a new id, the commit switches the active id and deletes the
 * older sets. The other tables are emptied first when "replace" is
 * set, else rows are merged (an existing key is replaced; slower on
 * PostgreSQL, one round trip per row). With "replace" the input must
 * not repeat a key (EEXIST, at the row on SQLite, at the commit on
 * PostgreSQL). "note" (may be NULL) is recorded with a data set.
 *
 * While an import is open every other call on "s" is refused (EINVAL).
 * An import_* call that fails leaves the import open: abort it. Each
 * returns 0, EINVAL (a bad row; the message names the column), EEXIST,
 * EIO. commit sets *rows (may be NULL) to the rows written and bumps
 * the numbering generation; on failure everything is rolled back.
 */
enum store_num_table {
	STORE_NUM_RANGES,
	STORE_NUM_OWN,
	STORE_NUM_ALIASES,
	STORE_NUM_ROBINSON
};
int store_import_begin(
    struct store *s, enum store_num_table t, bool replace, const char *note);
int store_import_range(struct store *s, const struct num_range *r);
int store_import_own(struct store *s, const struct num_own *o);
int store_import_alias(struct store *s, const struct sms_alias *a);
int store_import_robinson(struct store *s, const char *hash);
int store_import_commit(struct store *s, uint64_t *rows);
/* Roll the import back; 0 (also when none is open) or EIO. */
int store_import_abort(struct store *s);

/* The data set in force; id 0 when none. Returns 0, EINVAL, EIO. */
int store_num_dataset(struct store *s, struct num_dataset *d);
typedef int(store_num_range_h)(const struct num_range *r, void *arg);
/* The ranges of the data set in force, in the order of their import. */
int store_num_range_each(struct store *s, store_num_range_h *h, void *arg);

/* Own inventory: put = insert or replace. Each bumps the generation. */
int store_num_own_put(struct store *s, const struct num_own *o);
int store_num_own_del(struct store *s, const char *digits, const char *kind);
typedef int(store_num_own_h)(const struct num_own *o, void *arg);
/* Ordered by digits then kind. */
int store_num_own_each(struct store *s, store_num_own_h *h, void *arg);

/* Exceptions: e->id is set on return of add. */
int store_num_exception_add(struct store *s, struct num_exception *e);
int store_num_exception_del(struct store *s, int64_t id);
typedef int(store_num_exception_h)(const struct num_exception *e, void *arg);
/* Ordered by digits then id. */
int store_num_exception_each(
    struct store *s, store_num_exception_h *h, void *arg);

/* Aliases, keyed by the exact alias; put = insert or replace. */
int store_sms_alias_put(struct store *s, const struct sms_alias *a);
int store_sms_alias_del(struct store *s, const char *alias);
typedef int(store_sms_alias_h)(const struct sms_alias *a, void *arg);
/* Ordered by alias (byte order). */
int store_sms_alias_each(struct store *s, store_sms_alias_h *h, void *arg);

/* Robinson hashes (64 lower-case hex digits); put of a present one is 0. */
int store_robinson_put(struct store *s, const char *hash);
int store_robinson_del(struct store *s, const char *hash);
typedef int(store_robinson_h)(const struct robinson_rec *r, void *arg);
int store_robinson_each(struct store *s, store_robinson_h *h, void *arg);

/*
 * Blocking counters: add "n" to the counter (day, rule, channel,
 * trunk), creating it at n (an UPSERT, so several daemons can add into
 * the same row; the sum saturates at INT64_MAX). day must be a
 * multiple of 86400, rule not empty, channel "call" or "sms", trunk
 * may be "", n >= 1. Returns 0, EINVAL, EIO.
 */
int store_cid_block_add(struct store *s, int64_t day, const char *rule,
    const char *channel, const char *trunk, uint64_t n);
typedef int(store_cid_block_h)(const struct cid_block *b, void *arg);
/*
 * The counters with from_day <= day <= to_day (both inclusive, any
 * time of the day), ordered by day, rule, channel, trunk.
 */
int store_cid_block_each(struct store *s, int64_t from_day, int64_t to_day,
    store_cid_block_h *h, void *arg);

/*
 * ---- alerts (schema version 4) ---------------------------------------------
 *
 * What the alert router (fraud/alert.h) persists: every alert raised and,
 * per alert, one delivery row for each channel it was routed to. Times
 * are unix milliseconds. A delivery is "pending" until a channel took
 * it ("done") or the router gave up ("failed"); a router takes a due
 * delivery with store_alert_dlv_claim(), which moves its next_try past
 * the attempt (a lease), so two routers on one store never send the
 * same delivery at once and a router that died mid-attempt is retried
 * when the lease ends.
 */
#define STORE_ALERT_ID_MAX 32 /* "al-" + 20 base32 digits + NUL, room */
#define STORE_ALERT_RULE_MAX 64
#define STORE_ALERT_SUBJECT_MAX 256
#define STORE_ALERT_TEXT_MAX 2048
#define STORE_ALERT_NODE_MAX 64
#define STORE_ALERT_CHANNEL_MAX 64 /* a channel name (CFG_NAME_MAX) */
#define STORE_ALERT_STATE_MAX 8 /* "pending", "done", "failed" */
#define STORE_ALERT_ERROR_MAX 256
#define STORE_ALERT_SEV_MAX 2 /* severities 0 info, 1 warning, 2 critical */

/* One alert. */
struct alert_rec {
	char id[STORE_ALERT_ID_MAX]; /* the stable id, the key */
	int64_t ts; /* unix ms when it was raised */
	uint32_t severity; /* 0 info, 1 warning, 2 critical */
	char rule[STORE_ALERT_RULE_MAX]; /* what raised it; not empty */
	char subject[STORE_ALERT_SUBJECT_MAX]; /* what it is about */
	char text[STORE_ALERT_TEXT_MAX];
	char node[STORE_ALERT_NODE_MAX]; /* the centinela that raised it */
	int64_t repeats; /* duplicates suppressed within the dedup window */
};

/* The delivery of one alert to one channel. */
struct alert_dlv {
	char alert[STORE_ALERT_ID_MAX]; /* alert_rec.id */
	char channel[STORE_ALERT_CHANNEL_MAX]; /* the channel's name */
	char state[STORE_ALERT_STATE_MAX]; /* pending, done or failed */
	uint32_t attempts; /* attempts started (claims) */
	int64_t next_try; /* unix ms: pending, due from then on */
	int64_t updated; /* unix ms of the last change */
	char last_error[STORE_ALERT_ERROR_MAX]; /* "" after success */
};

/*
 * Insert alert "a" (repeats as given) and its deliveries d[0 .. nd - 1]
 * (each d[i].alert must be a->id, channels distinct) in one
 * transaction. Returns 0, EEXIST (the id exists), EINVAL (a bad
 * member: an empty key, a severity above 2, a state that is not
 * pending, done or failed, d[i].alert not a->id; PostgreSQL: text that
 * is not UTF-8), EIO.
 */
int store_alert_add(struct store *s, const struct alert_rec *a,
    const struct alert_dlv *d, size_t nd);
/* Alert "id" into "a". Returns 0, ENOENT, EINVAL, EIO. */
int store_alert_get(struct store *s, const char *id, struct alert_rec *a);
/* repeats += n for alert "id". Returns 0, ENOENT, EINVAL, EIO. */
int store_alert_repeat(struct store *s, const char *id, int64_t n);

typedef int(store_alert_h)(const struct alert_rec *a, void *arg);
/*
 * The alerts with from <= ts < to and severity >= min_sev: the newest
 * "limit" of them (0 = all), oldest first (ts, then id). Same rules
 * as store_account_each(). Returns 0, h's first non-zero value,
 * EINVAL, EIO.
 */
int store_alert_each(struct store *s, int64_t from, int64_t to,
    uint32_t min_sev, unsigned limit, store_alert_h *h, void *arg);

typedef int(store_alert_dlv_h)(const struct alert_dlv *d, void *arg);
/* The deliveries of alert "id", ordered by channel. */
int store_alert_dlv_each(
    struct store *s, const char *id, store_alert_dlv_h *h, void *arg);
/* The delivery (id, channel) into "d". Returns 0, ENOENT, EINVAL, EIO. */
int store_alert_dlv_get(
    struct store *s, const char *id, const char *channel, struct alert_dlv *d);

typedef int(store_alert_due_h)(
    const struct alert_rec *a, const struct alert_dlv *d, void *arg);
/*
 * The pending deliveries with next_try <= now, at most "limit" (0 =
 * all), by next_try then alert id, each with its alert. Same rules as
 * store_account_each().
 */
int store_alert_due(struct store *s, int64_t now, unsigned limit,
    store_alert_due_h *h, void *arg);
/*
 * The earliest next_try of a pending delivery into *next; *found false
 * (and *next 0) when none is pending. Returns 0, EINVAL, EIO.
 */
int store_alert_next_due(struct store *s, int64_t *next, bool *found);

/*
 * Take delivery (id, channel) for one attempt: when it is pending and
 * due at "now", attempts += 1, next_try = lease (after the attempt's
 * deadline), updated = now. *claimed tells whether this call took it
 * (false: another router did, or it is no longer pending or due).
 * Returns 0, EINVAL, EIO.
 */
int store_alert_dlv_claim(struct store *s, const char *id, const char *channel,
    int64_t now, int64_t lease, bool *claimed);
/*
 * Record the outcome of an attempt: d->state, next_try, updated and
 * last_error replace the row's (attempts is left as the claim set it).
 * Returns 0, ENOENT, EINVAL, EIO.
 */
int store_alert_dlv_update(struct store *s, const struct alert_dlv *d);

/*
 * Delete the alerts raised before "before" that have no pending
 * delivery, with their deliveries, in one transaction; *n (may be
 * NULL) = alerts deleted. Returns 0, EINVAL, EIO.
 */
int store_alert_trim(struct store *s, int64_t before, uint64_t *n);

/*
 * ---- fraud subjects (schema version 5) -------------------------------------
 *
 * What the toll-fraud engine (fraud/fraud.h) keeps per subject across
 * restarts: an account ("user@domain") or a trunk (a peer name), whether
 * the engine suspended it, when the row was last written, and the
 * engine's state, a blob the store keeps byte for byte without looking
 * into it (base64 text in the database). Keyed by (kind, name); names
 * compare and sort as bytes.
 */
#define STORE_FRAUD_NAME_MAX 1024 /* bytes incl. NUL */
#define STORE_FRAUD_BLOB_MAX 4096 /* raw blob bytes */
#define STORE_FRAUD_ACCOUNT 0 /* fraud_rec.kind */
#define STORE_FRAUD_TRUNK 1

struct fraud_rec {
	uint32_t kind; /* STORE_FRAUD_ACCOUNT or STORE_FRAUD_TRUNK */
	char name[STORE_FRAUD_NAME_MAX]; /* "user@domain" or the peer name */
	bool suspended; /* the engine suspended the subject */
	int64_t updated; /* unix seconds */
	size_t len; /* bytes of blob in use, 1 .. STORE_FRAUD_BLOB_MAX */
	unsigned char blob[STORE_FRAUD_BLOB_MAX];
};

/*
 * Insert "r" or replace every column of the row (r->kind, r->name).
 * Returns 0, EINVAL (r NULL, kind above 1, name empty or not
 * terminated inside its array, len 0 or above STORE_FRAUD_BLOB_MAX;
 * PostgreSQL: a name that is not UTF-8), EIO.
 */
int store_fraud_put(struct store *s, const struct fraud_rec *r);
/*
 * Row (kind, name) into "r". Returns 0, ENOENT, EINVAL (kind above 1,
 * name NULL, empty or too long, r NULL), EIO (including a stored state
 * that is not valid base64 of 1 .. STORE_FRAUD_BLOB_MAX bytes).
 */
int store_fraud_get(
    struct store *s, uint32_t kind, const char *name, struct fraud_rec *r);
/* Delete row (kind, name). Returns 0, ENOENT, EINVAL, EIO. */
int store_fraud_del(struct store *s, uint32_t kind, const char *name);

typedef int(store_fraud_h)(const struct fraud_rec *r, void *arg);
/*
 * Every row, ordered by kind then name (byte order). Same rules as
 * store_account_each(). A row whose state does not decode stops the
 * walk with EIO and a message naming it, after h has seen the rows
 * before it. Returns 0, h's first non-zero value, EINVAL, EIO.
 */
int store_fraud_each(struct store *s, store_fraud_h *h, void *arg);

typedef int(store_fraud_name_h)(const char *name, void *arg);
/*
 * The accounts the fraud engine suspended (kind 0, suspended set) whose
 * row in accounts is active again (an administrator ran "centinelactl
 * user resume"): h(name) for each, name = user "@" domain, in no
 * particular order, and their suspended flag is cleared, all in one
 * transaction (two callers never both see the same name). "h" must not
 * call into "s". A non-zero return from h stops the walk and is
 * returned; outside store_begin() the transaction is then rolled back,
 * so every flag stays set and the next call reports the names again
 * (inside, the caller must roll back). Returns 0, h's first non-zero
 * value, EINVAL, EIO.
 */
int store_fraud_resumed(struct store *s, store_fraud_name_h *h, void *arg);

/*
 * Suspend the account "name", "user@domain" split at the last '@', in
 * one transaction: its status in accounts becomes suspended and the
 * account generation is bumped (as store_account_update() does), and
 * its fraud_subjects row (kind 0), if there is one, gets the suspended
 * flag. Returns 0, ENOENT (no such account), EINVAL (name NULL, empty,
 * without an '@', or a user or domain part that is empty or longer
 * than an account's), EIO.
 */
int store_fraud_suspend(struct store *s, const char *name);

/*
 * ---- provisioned devices (schema version 6) ---------------------------------
 *
 * A phone the provisioning service (prov/prov.h) configures, keyed by
 * its MAC address (12 lower-case hex digits, store_mac_parse()) and
 * bound to one account. "pending" says the phone has not fetched the
 * account's current device secret yet: set when the device is bound
 * and when the account's secret is rotated (store_device_pending()),
 * cleared by the fetch that served the secret in force.
 */
#define STORE_MAC_MAX 13 /* 12 hex digits + NUL */
#define STORE_TEMPLATE_MAX 16
#define STORE_DISPLAY_MAX 64

struct device {
	char mac[STORE_MAC_MAX]; /* "001565aabbcc" */
	char user[STORE_USER_MAX]; /* the account */
	char domain[STORE_DOMAIN_MAX];
	char tmpl[STORE_TEMPLATE_MAX]; /* "snom", "yealink", ... */
	char display[STORE_DISPLAY_MAX]; /* display name; "" = the user */
	int64_t created; /* unix seconds */
	int64_t last_fetch; /* 0 = never */
	uint32_t fetches; /* saturates */
	uint32_t pending; /* 1: the current secret not fetched yet */
	char last_source[STORE_SRC_MAX]; /* address of the last fetch */
};

/*
 * A MAC address as people write it ("00:15:65:AA:BB:CC",
 * "00-15-65-aa-bb-cc", "001565aabbcc", "0015.65aa.bbcc") into its
 * canonical form "001565aabbcc" (out: STORE_MAC_MAX bytes). Returns 0
 * or EINVAL (out then "").
 */
int store_mac_parse(const char *in, char *out);

/*
 * Bind device "d" (created, fetches and last_* as given; pending as
 * given) to its account. Returns 0, EEXIST (the MAC is bound),
 * ENOENT (no account d->user@d->domain), EINVAL (a MAC that is not
 * canonical, an empty user, domain or template, an over-long member),
 * EIO.
 */
int store_device_add(struct store *s, const struct device *d);
/* Device "mac" (canonical) into "d". Returns 0, ENOENT, EINVAL, EIO. */
int store_device_get(struct store *s, const char *mac, struct device *d);
/* Unbind device "mac". Returns 0, ENOENT, EINVAL, EIO. */
int store_device_del(struct store *s, const char *mac);
typedef int(store_device_h)(const struct device *d, void *arg);
/* Every device, ordered by MAC. Same rules as store_account_each(). */
int store_device_each(struct store *s, store_device_h *h, void *arg);
/*
 * The first device (by MAC) bound to account (user, domain) into "d"
 * (may be NULL). Returns 0, ENOENT (none), EINVAL, EIO.
 */
int store_device_of(
    struct store *s, const char *user, const char *domain, struct device *d);
/*
 * A fetch of device "mac" from "source" at "now" served the sealed
 * secret "box": last_fetch, last_source and fetches move; pending is
 * cleared only when "box" is still the account's secret_box (a secret
 * rotated meanwhile stays pending). Returns 0, ENOENT, EINVAL, EIO.
 */
int store_device_fetched(struct store *s, const char *mac, int64_t now,
    const char *source, const char *box);
/*
 * The account (user, domain) has a new device secret: every device
 * bound to it becomes pending; *n (may be NULL) = how many. Returns
 * 0, EINVAL, EIO.
 */
int store_device_pending(
    struct store *s, const char *user, const char *domain, uint64_t *n);

#endif /* CENTINELA_STORE_STORE_H */

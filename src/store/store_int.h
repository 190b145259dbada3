/*
 * store/store_int.h -- what the store front end (store/store.c,
 * store/store_ban.c) and its backends (store/sqlite.c, store/pgsql.c)
 * share: the backend ops table, the connection struct, the tables that
 * map each row struct to its columns, the statements every backend
 * runs (store/store_sql.c) and the helpers that validate, encode and
 * decode rows.
 *
 * Division of labour: the front end checks arguments, owns the
 * transaction state (an account change and its generation bump share
 * one transaction), runs the migrations, turns rows into the public
 * structs and keeps the error message; a backend only speaks its
 * database's protocol: it runs statement N with parameters and decodes
 * result rows by a column table. No backend knows about accounts or
 * bans.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_STORE_STORE_INT_H
#define CENTINELA_STORE_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/*
 * The schema version this program writes. Every backend has exactly
 * this many migration steps; step i takes the database from version i
 * to i + 1. Version 0 is a database without our tables.
 */
#define STORE_SCHEMA_VERSION 6

#define STORE_ERRMSG_MAX 256

/* The keys of the meta table (name -> bigint). */
#define STORE_META_VERSION "schema_version"
#define STORE_META_GENERATION "generation"
#define STORE_META_ALLOW_GENERATION "allow_generation"
#define STORE_META_NUM_GENERATION "numbering_generation"
#define STORE_META_NUM_DATASET "numbering_dataset" /* the register in force */

/*
 * Column lists, in the order of the column tables (store_sql.c): every
 * SELECT and INSERT uses them so that column i is always table entry i.
 * The account column is "username" because USER is a reserved word in
 * PostgreSQL (an unquoted "SELECT user FROM accounts" returns the role
 * name). A *_DATA list is the same without the id the database
 * assigns (what an INSERT names).
 */
#define STORE_ACCOUNT_COLUMNS                                              \
	"username, domain, status, ha1_md5, ha1_sha256, pw_hash, "         \
	"created, secret_rotated, pw_changed, max_contacts, allow_cidrs, " \
	"secret_box, tls_id"
#define STORE_BINDING_COLUMNS                                           \
	"aor, contact, source, path, call_id, cseq, instance, reg_id, " \
	"user_agent, q, expires"
#define STORE_BAN_COLUMNS                                              \
	"addr, reason, origin, rung, strikes, first_seen, last_seen, " \
	"expires, forget"
#define STORE_BAN_EVENT_DATA "addr, at, what, reason, rung, duration, detail"
#define STORE_BAN_EVENT_COLUMNS "id, " STORE_BAN_EVENT_DATA
#define STORE_ALLOW_COLUMNS "addr, note, created"
#define STORE_BAN_CMD_DATA "op, addr, duration, reason, created"
#define STORE_BAN_CMD_COLUMNS "id, " STORE_BAN_CMD_DATA
#define STORE_NUM_RANGE_COLUMNS \
	"prefix, status, subblocks, holder, area, assigned, source"
#define STORE_NUM_DATASET_DATA "created, nrows, note"
#define STORE_NUM_DATASET_COLUMNS "id, " STORE_NUM_DATASET_DATA
#define STORE_NUM_OWN_COLUMNS "digits, kind, note"
#define STORE_NUM_EXC_DATA \
	"digits, prefix, trunk, valid_from, valid_to, ref, rules"
#define STORE_NUM_EXC_COLUMNS "id, " STORE_NUM_EXC_DATA
#define STORE_SMS_ALIAS_COLUMNS "alias, pros, valid_from, valid_to"
#define STORE_ROBINSON_COLUMNS "hash"
#define STORE_CID_BLOCK_COLUMNS "day, rule, channel, trunk, count"
#define STORE_ALERT_COLUMNS \
	"id, ts, severity, rule, subject, text, node, repeats"
#define STORE_ALERT_DLV_COLUMNS \
	"alert, channel, state, attempts, next_try, updated, last_error"
#define STORE_FRAUD_COLUMNS "kind, name, suspended, updated, state"
#define STORE_DEVICE_COLUMNS                                              \
	"mac, username, domain, template, display, created, last_fetch, " \
	"fetches, pending, last_source"

/* The most parameters a statement takes (a whole account). */
#define STORE_PARAMS_MAX 13

/*
 * Schema version 2, the guard's state, written once for both backends:
 * each passes its spelling of a byte-ordered non-empty key column
 * ("KEY"), a text type, an integer type (64 bits) and an id primary
 * key the database assigns in increasing order and never reuses
 * ("SERIAL": SQLite AUTOINCREMENT, PostgreSQL bigserial).
 */
#define STORE_SCHEMA_V2(KEY, TEXT, INT, SERIAL)                  \
	"CREATE TABLE bans ("                                    \
	" addr " KEY " PRIMARY KEY,"                             \
	" reason " TEXT " NOT NULL DEFAULT '',"                  \
	" origin " TEXT " NOT NULL DEFAULT '',"                  \
	" rung " INT " NOT NULL DEFAULT 0,"                      \
	" strikes " INT " NOT NULL DEFAULT 0,"                   \
	" first_seen " INT " NOT NULL DEFAULT 0,"                \
	" last_seen " INT " NOT NULL DEFAULT 0,"                 \
	" expires " INT " NOT NULL DEFAULT 0,"                   \
	" forget " INT " NOT NULL DEFAULT 0);"                   \
	"CREATE INDEX bans_forget ON bans (forget);"             \
	"CREATE TABLE ban_events ("                              \
	" id " SERIAL ","                                        \
	" addr " KEY ","                                         \
	" at " INT " NOT NULL,"                                  \
	" what " TEXT " NOT NULL,"                               \
	" reason " TEXT " NOT NULL DEFAULT '',"                  \
	" rung " INT " NOT NULL DEFAULT 0,"                      \
	" duration " INT " NOT NULL DEFAULT 0,"                  \
	" detail " TEXT " NOT NULL DEFAULT '');"                 \
	"CREATE INDEX ban_events_addr ON ban_events (addr, id);" \
	"CREATE TABLE allowlist ("                               \
	" addr " KEY " PRIMARY KEY,"                             \
	" note " TEXT " NOT NULL DEFAULT '',"                    \
	" created " INT " NOT NULL DEFAULT 0);"                  \
	"CREATE TABLE ban_cmds ("                                \
	" id " SERIAL ","                                        \
	" op " TEXT " NOT NULL,"                                 \
	" addr " KEY ","                                         \
	" duration " INT " NOT NULL DEFAULT 0,"                  \
	" reason " TEXT " NOT NULL DEFAULT '',"                  \
	" created " INT " NOT NULL DEFAULT 0);"                  \
	"INSERT INTO meta (key, value) "                         \
	"VALUES ('" STORE_META_ALLOW_GENERATION "', 0);"

/*
 * Schema version 3, the caller-ID numbering data, with the spellings
 * of version 2 and "NOROWID", the suffix of a table keyed by its
 * primary key alone (SQLite " WITHOUT ROWID"; PostgreSQL ""). The
 * register rows carry the id of their data set (num_datasets): an
 * import writes a new set and switches meta's numbering_dataset to it.
 * A register row is keyed by its place in the import ("seq", from 1):
 * a prefix is no key (a "Compartido" block appears once per holder),
 * and rows appended in key order keep a two-million-row import fast.
 */
#define STORE_SCHEMA_V3(KEY, TEXT, INT, SERIAL, NOROWID)                 \
	"CREATE TABLE num_datasets ("                                    \
	" id " SERIAL ","                                                \
	" created " INT " NOT NULL DEFAULT 0,"                           \
	" nrows " INT " NOT NULL DEFAULT 0,"                             \
	" note " TEXT " NOT NULL DEFAULT '');"                           \
	"CREATE TABLE num_ranges ("                                      \
	" dataset " INT " NOT NULL,"                                     \
	" seq " INT " NOT NULL,"                                         \
	" prefix " KEY ","                                               \
	" status " TEXT " NOT NULL,"                                     \
	" subblocks " TEXT " NOT NULL DEFAULT '',"                       \
	" holder " KEY ","                                               \
	" area " TEXT " NOT NULL DEFAULT '',"                            \
	" assigned " INT " NOT NULL DEFAULT 0,"                          \
	" source " TEXT " NOT NULL DEFAULT '',"                          \
	" PRIMARY KEY (dataset, seq))" NOROWID ";"                       \
	"CREATE TABLE num_own ("                                         \
	" digits " KEY ","                                               \
	" kind " KEY ","                                                 \
	" note " TEXT " NOT NULL DEFAULT '',"                            \
	" PRIMARY KEY (digits, kind))" NOROWID ";"                       \
	"CREATE TABLE num_exceptions ("                                  \
	" id " SERIAL ","                                                \
	" digits " KEY ","                                               \
	" prefix " INT " NOT NULL DEFAULT 0,"                            \
	" trunk " KEY " DEFAULT '',"                                     \
	" valid_from " INT " NOT NULL DEFAULT 0,"                        \
	" valid_to " INT " NOT NULL DEFAULT 0,"                          \
	" ref " TEXT " NOT NULL DEFAULT '',"                             \
	" rules " TEXT " NOT NULL DEFAULT '');"                          \
	"CREATE INDEX num_exceptions_digits ON num_exceptions (digits);" \
	"CREATE TABLE sms_aliases ("                                     \
	" alias " KEY " PRIMARY KEY,"                                    \
	" pros " TEXT " NOT NULL DEFAULT '',"                            \
	" valid_from " INT " NOT NULL DEFAULT 0,"                        \
	" valid_to " INT " NOT NULL DEFAULT 0)" NOROWID ";"              \
	"CREATE TABLE robinson ("                                        \
	" hash " KEY " PRIMARY KEY)" NOROWID ";"                         \
	"CREATE TABLE cid_blocks ("                                      \
	" day " INT " NOT NULL,"                                         \
	" rule " KEY ","                                                 \
	" channel " KEY ","                                              \
	" trunk " KEY " DEFAULT '',"                                     \
	" count " INT " NOT NULL DEFAULT 0,"                             \
	" PRIMARY KEY (day, rule, channel, trunk))" NOROWID ";"          \
	"INSERT INTO meta (key, value) VALUES "                          \
	"('" STORE_META_NUM_GENERATION "', 0), "                         \
	"('" STORE_META_NUM_DATASET "', 0);"

/*
 * Schema version 4, the alerts (fraud/alert.c), with the spellings of
 * version 3. Times are unix milliseconds. The due index serves the
 * router's scan for pending deliveries; deliveries are deleted with
 * their alert by store_alert_trim() (no foreign key: both backends
 * then behave the same).
 */
#define STORE_SCHEMA_V4(KEY, TEXT, INT, NOROWID)                 \
	"CREATE TABLE alerts ("                                  \
	" id " KEY " PRIMARY KEY,"                               \
	" ts " INT " NOT NULL,"                                  \
	" severity " INT " NOT NULL DEFAULT 0,"                  \
	" rule " KEY ","                                         \
	" subject " TEXT " NOT NULL DEFAULT '',"                 \
	" text " TEXT " NOT NULL DEFAULT '',"                    \
	" node " TEXT " NOT NULL DEFAULT '',"                    \
	" repeats " INT " NOT NULL DEFAULT 0)" NOROWID ";"       \
	"CREATE INDEX alerts_ts ON alerts (ts);"                 \
	"CREATE TABLE alert_deliveries ("                        \
	" alert " KEY ","                                        \
	" channel " KEY ","                                      \
	" state " KEY ","                                        \
	" attempts " INT " NOT NULL DEFAULT 0,"                  \
	" next_try " INT " NOT NULL DEFAULT 0,"                  \
	" updated " INT " NOT NULL DEFAULT 0,"                   \
	" last_error " TEXT " NOT NULL DEFAULT '',"              \
	" PRIMARY KEY (alert, channel))" NOROWID ";"             \
	"CREATE INDEX alert_deliveries_due ON alert_deliveries " \
	"(state, next_try);"

/*
 * Schema version 5, the fraud engine's per-subject state
 * (store/store_fraud.c), with the spellings of version 3. kind: 0 an
 * account, 1 a trunk; state: the engine's blob in base64. The index
 * serves store_fraud_resumed(), which the daemon polls: it looks for
 * the few suspended accounts among every subject.
 */
#define STORE_SCHEMA_V5(KEY, TEXT, INT, NOROWID)                   \
	"CREATE TABLE fraud_subjects ("                            \
	" kind " INT " NOT NULL,"                                  \
	" name " KEY ","                                           \
	" suspended " INT " NOT NULL DEFAULT 0,"                   \
	" updated " INT " NOT NULL DEFAULT 0,"                     \
	" state " TEXT " NOT NULL DEFAULT '',"                     \
	" PRIMARY KEY (kind, name))" NOROWID ";"                   \
	"CREATE INDEX fraud_subjects_suspended ON fraud_subjects " \
	"(kind, suspended);"

/*
 * Schema version 6, provisioning (store/store_device.c), with the
 * spellings of version 3: the accounts' sealed device secret and
 * client-certificate binding, and the devices bound to accounts. The
 * index serves the account's devices (store_device_of(), pending, the
 * delete of an account).
 */
#define STORE_SCHEMA_V6(KEY, TEXT, INT, NOROWID)                               \
	"ALTER TABLE accounts ADD COLUMN secret_box " TEXT                     \
	" NOT NULL DEFAULT '';"                                                \
	"ALTER TABLE accounts ADD COLUMN tls_id " TEXT " NOT NULL DEFAULT '';" \
	"CREATE TABLE devices ("                                               \
	" mac " KEY " PRIMARY KEY,"                                            \
	" username " KEY ","                                                   \
	" domain " KEY ","                                                     \
	" template " KEY ","                                                   \
	" display " TEXT " NOT NULL DEFAULT '',"                               \
	" created " INT " NOT NULL DEFAULT 0,"                                 \
	" last_fetch " INT " NOT NULL DEFAULT 0,"                              \
	" fetches " INT " NOT NULL DEFAULT 0,"                                 \
	" pending " INT " NOT NULL DEFAULT 0,"                                 \
	" last_source " TEXT " NOT NULL DEFAULT '')" NOROWID ";"               \
	"CREATE INDEX devices_account ON devices (domain, username);"

/*
 * A fraud subject as stored: struct fraud_rec with the blob as its
 * base64 text (EVP_EncodeBlock(): 4 characters per 3 bytes or part,
 * '='-padded). store/store_fraud.c converts; the backends see only this.
 */
#define STORE_FRAUD_STATE_MAX (4 * ((STORE_FRAUD_BLOB_MAX + 2) / 3) + 1)

struct fraud_row {
	uint32_t kind;
	char name[STORE_FRAUD_NAME_MAX];
	uint32_t suspended; /* 0 or 1 */
	int64_t updated;
	char state[STORE_FRAUD_STATE_MAX];
};

typedef int(store_fraud_row_h)(const struct fraud_row *r, void *arg);

enum store_col_kind {
	STORE_COL_TEXT, /* char[size], NUL-terminated */
	STORE_COL_I64, /* int64_t */
	STORE_COL_U32, /* uint32_t, stored as a 64-bit integer */
	STORE_COL_STATUS /* enum account_status, stored as an integer */
};

/* One struct member <-> one table column. */
struct store_col {
	const char *name; /* column name */
	enum store_col_kind kind;
	size_t off; /* offsetof() the member */
	size_t size; /* sizeof() the member */
	bool key; /* a key (or address) text: must not be empty */
};

/* Which struct a table's rows are, for the typed walk callbacks. */
enum store_row_kind {
	STORE_ROW_ACCOUNT,
	STORE_ROW_BINDING,
	STORE_ROW_BAN,
	STORE_ROW_BAN_EVENT,
	STORE_ROW_ALLOW,
	STORE_ROW_BAN_CMD,
	STORE_ROW_NUM_RANGE,
	STORE_ROW_NUM_DATASET,
	STORE_ROW_NUM_OWN,
	STORE_ROW_NUM_EXC,
	STORE_ROW_SMS_ALIAS,
	STORE_ROW_ROBINSON,
	STORE_ROW_CID_BLOCK,
	STORE_ROW_ALERT,
	STORE_ROW_ALERT_DLV,
	STORE_ROW_ALERT_DUE, /* struct alert_due: an alert_dlv and its alert */
	STORE_ROW_FRAUD, /* struct fraud_row, maybe only some columns */
	STORE_ROW_DEVICE,
	STORE_ROW_I64 /* one integer: a meta value, a new id */
};

/* How one struct maps to the rows of one SQL table. */
struct store_table {
	const char *name; /* the SQL table, in messages ("accounts") */
	const char *what; /* one row, in messages ("account") */
	const char *key_sep; /* joins a two-column key in messages */
	enum store_row_kind kind;
	const struct store_col *cols;
	size_t ncols;
	size_t nkey; /* the primary key is cols[0 .. nkey - 1] (text) */
	bool serial; /* cols[0] is an id the database assigns */
	size_t size; /* sizeof() the struct */
};

extern const struct store_table store_accounts;
extern const struct store_table store_bindings;
extern const struct store_table store_bans;
extern const struct store_table store_ban_events;
extern const struct store_table store_allowlist;
extern const struct store_table store_ban_cmds;
extern const struct store_table store_num_ranges;
extern const struct store_table store_num_datasets;
extern const struct store_table store_num_owns;
extern const struct store_table store_num_exceptions;
extern const struct store_table store_sms_aliases;
extern const struct store_table store_robinsons;
extern const struct store_table store_cid_blocks;
extern const struct store_table store_alerts;
extern const struct store_table store_alert_dlvs;
extern const struct store_table store_alert_dues;
extern const struct store_table store_fraud_subjects;
extern const struct store_table store_fraud_names; /* the name column */
extern const struct store_table store_devices;
extern const struct store_table store_num_counts; /* struct num_stats */
extern const struct store_table store_i64; /* one int64_t "value" */

/* A due delivery and its alert (store_alert_due()), one joined row. */
struct alert_due {
	struct alert_rec a;
	struct alert_dlv d;
};

/* Room for any row: what a backend decodes into. */
union store_row {
	struct account account;
	struct binding binding;
	struct ban_rec ban;
	struct ban_event event;
	struct allow_rec allow;
	struct ban_cmd cmd;
	struct num_range range;
	struct num_dataset dataset;
	struct num_own own;
	struct num_exception exc;
	struct sms_alias alias;
	struct robinson_rec robinson;
	struct cid_block block;
	struct alert_rec alert;
	struct alert_dlv dlv;
	struct alert_due due;
	struct fraud_row fraud;
	struct device device;
	struct num_stats stats;
	int64_t i64;
};

/* The statements every backend runs, SQL in store_sql[]. */
enum store_stmt {
	STORE_META_GET,
	STORE_META_SET,
	STORE_META_BUMP,
	STORE_ACC_ADD,
	STORE_ACC_GET,
	STORE_ACC_UPDATE,
	STORE_ACC_DEL,
	STORE_ACC_EACH,
	STORE_BIND_PUT,
	STORE_BIND_DEL,
	STORE_BIND_DEL_AOR,
	STORE_BIND_EXPIRE,
	STORE_BIND_EACH,
	STORE_BAN_PUT,
	STORE_BAN_GET,
	STORE_BAN_DEL,
	STORE_BAN_FORGET,
	STORE_BAN_EACH,
	STORE_EVENT_ADD,
	STORE_EVENT_EACH,
	STORE_EVENT_EACH_ADDR,
	STORE_EVENT_TRIM,
	STORE_ALLOW_PUT,
	STORE_ALLOW_DEL,
	STORE_ALLOW_EACH,
	STORE_CMD_ADD,
	STORE_CMD_EACH,
	STORE_CMD_TRIM,
	STORE_NUM_COUNT_ALL, /* one row: the counts of every table */
	STORE_NUM_DATASET_NEW,
	STORE_NUM_DATASET_GET,
	STORE_NUM_DATASET_FINISH,
	STORE_NUM_DATASET_DROP_OLD,
	STORE_NUM_RANGE_BULK,
	STORE_NUM_RANGE_DROP_OLD,
	STORE_NUM_RANGE_EACH,
	STORE_NUM_OWN_PUT,
	STORE_NUM_OWN_BULK,
	STORE_NUM_OWN_DEL,
	STORE_NUM_OWN_CLEAR,
	STORE_NUM_OWN_EACH,
	STORE_NUM_EXC_ADD,
	STORE_NUM_EXC_DEL,
	STORE_NUM_EXC_EACH,
	STORE_SMS_ALIAS_PUT,
	STORE_SMS_ALIAS_BULK,
	STORE_SMS_ALIAS_DEL,
	STORE_SMS_ALIAS_CLEAR,
	STORE_SMS_ALIAS_EACH,
	STORE_ROBINSON_PUT,
	STORE_ROBINSON_BULK,
	STORE_ROBINSON_DEL,
	STORE_ROBINSON_CLEAR,
	STORE_ROBINSON_EACH,
	STORE_CID_BLOCK_ADD,
	STORE_CID_BLOCK_EACH,
	STORE_ALERT_ADD,
	STORE_ALERT_GET,
	STORE_ALERT_REPEAT,
	STORE_ALERT_EACH,
	STORE_ALERT_DLV_ADD,
	STORE_ALERT_DLV_GET,
	STORE_ALERT_DLV_EACH,
	STORE_ALERT_DUE,
	STORE_ALERT_NEXT_DUE,
	STORE_ALERT_DLV_CLAIM,
	STORE_ALERT_DLV_UPDATE,
	STORE_ALERT_TRIM_DLV,
	STORE_ALERT_TRIM,
	STORE_FRAUD_PUT,
	STORE_FRAUD_GET,
	STORE_FRAUD_DEL,
	STORE_FRAUD_EACH,
	STORE_FRAUD_RESUMED,
	STORE_FRAUD_SUSPEND_ACCOUNT,
	STORE_FRAUD_SUSPEND_SUBJECT,
	STORE_DEV_ADD,
	STORE_DEV_GET,
	STORE_DEV_DEL,
	STORE_DEV_EACH,
	STORE_DEV_OF,
	STORE_DEV_FETCHED,
	STORE_DEV_PENDING,
	STORE_DEV_DEL_ACCOUNT,
	STORE_NSTMT
};

/*
 * One statement, in the SQL both backends accept. Parameters are
 * written $1, $2, ... (PostgreSQL's spelling; SQLite reads "$1" as a
 * named parameter and the backend binds it by that name), each used at
 * least once so PostgreSQL can infer its type.
 */
struct store_sql {
	const char *name; /* identifier-like, in messages: "account_add" */
	const char *sql;
	/*
	 * A bulk insert statement may name its target for COPY as well,
	 * "table (col, ...)", in the order of its parameters: PostgreSQL
	 * then loads the rows with COPY ... FROM STDIN.
	 */
	const char *copy;
};

extern const struct store_sql store_sql[STORE_NSTMT];

/* One parameter: text when txt != NULL, else the integer num. */
struct store_val {
	const char *name; /* the column it goes to, for messages */
	const char *txt;
	int64_t num;
};

/* Called by a backend for each decoded row of a query. */
typedef int(store_row_h)(const void *row, void *arg);

/*
 * One run of a statement (ops->query). With a table "t", each result
 * row is decoded into a zeroed union store_row by t's columns and
 * passed to h(row, arg); a non-zero return stops the walk and is
 * returned. Without, result rows are ignored.
 */
struct store_query {
	enum store_stmt stmt;
	const struct store_val *v; /* v[i] is $i+1 */
	size_t nv;
	const struct store_table *t;
	store_row_h *h;
	void *arg;
	uint64_t changes; /* out: rows inserted, updated or deleted */
};

/* The schema of one backend: what creates "meta", then the steps. */
struct store_schema {
	/*
	 * Run first inside the migration transaction: creates the meta
	 * table when missing (and takes whatever lock serialises two
	 * programs migrating at once). Must be idempotent.
	 */
	const char *bootstrap;
	/* STORE_SCHEMA_VERSION scripts; steps[i] goes from i to i + 1. */
	const char *const *steps;
	size_t nsteps;
};

/*
 * A backend. Every function returns 0 or an errno value and, on error,
 * leaves a message with store_err(). None of them checks arguments or
 * transaction state: the front end has done that.
 */
struct store_ops {
	const char *name; /* "sqlite", "pgsql" */
	const struct store_schema *schema;

	/*
	 * Connect to "target" (the URI, or the path for SQLite) and set
	 * s->be. No schema work. On failure close() is still called.
	 */
	int (*open)(struct store *s, const char *target);
	/* Release everything; s->be may be NULL or half set up. */
	void (*close)(struct store *s);

	/* A parameter-free SQL script (migrations). */
	int (*exec)(struct store *s, const char *sql);
	/*
	 * ENOENT when the meta table is missing, found without an error
	 * the server would log. NULL: just try the query.
	 */
	int (*probe)(struct store *s);

	int (*begin)(struct store *s);
	/* On failure the transaction has been rolled back. */
	int (*commit)(struct store *s);
	int (*rollback)(struct store *s);

	/*
	 * Run q->stmt with q->v (see struct store_query). A duplicate key
	 * is EEXIST; text the database cannot hold (PostgreSQL: not
	 * UTF-8) EINVAL, refused before it reaches the server so the
	 * transaction survives; anything else EIO.
	 */
	int (*query)(struct store *s, struct store_query *q);

	/*
	 * Bulk rows (an import, inside a transaction): bulk_begin(stmt),
	 * bulk_row() with the parameters of "stmt" once per row, then
	 * bulk_end(). A backend may send the rows another way than one
	 * statement each (PostgreSQL: COPY, when store_sql[stmt].copy is
	 * set); errors may then surface only at bulk_end. bulk_end(false)
	 * discards what was sent; the caller then rolls back. No other
	 * call reaches the backend between begin and end.
	 */
	int (*bulk_begin)(struct store *s, enum store_stmt stmt);
	int (*bulk_row)(struct store *s, const struct store_val *v, size_t nv);
	int (*bulk_end)(struct store *s, bool ok);
};

/* One connection (the struct store.h keeps opaque). */
struct store {
	const struct store_ops *ops;
	void *be; /* the backend's state */
	int version; /* schema version after open */
	bool in_txn; /* store_begin() is open */
	bool in_walk; /* inside an *_each() callback */
	char errmsg[STORE_ERRMSG_MAX];

	/* An open import (store_import_begin, store/store_num.c). */
	int imp_table; /* enum store_num_table + 1; 0: none open */
	bool imp_own; /* the import opened the transaction */
	bool imp_bulk; /* ops->bulk_begin done, bulk_end pending */
	bool imp_replace;
	enum store_stmt imp_stmt; /* what each row runs */
	int64_t imp_dataset; /* STORE_NUM_RANGES: the new set's id */
	uint64_t imp_rows;
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pgsql_ops;

/* ---- shared by the backends (store.c) ---------------------------------- */

/*
 * Set the message of "s" (printf format, folded onto one line: control
 * characters become spaces) and return "err", so a backend can write
 * "return store_err(s, EIO, ...);".
 */
int store_err(struct store *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Store a text value read from table "table" into column "c" of "obj".
 * txt == NULL (an SQL NULL) stores "". Returns 0, or EIO when the value
 * does not fit the member or holds a NUL byte: never truncates.
 */
int store_col_set_text(struct store *s, void *obj, const struct store_col *c,
    const char *table, const char *txt, size_t len);

/*
 * Store an integer read from "table" into column "c" of "obj". Returns
 * 0, or EIO when it is out of the member's range (a negative cseq, a
 * status that is neither active nor suspended).
 */
int store_col_set_num(struct store *s, void *obj, const struct store_col *c,
    const char *table, int64_t v);

/*
 * Parse a base-10 signed 64-bit integer (a PostgreSQL text result).
 * Returns 0, or EIO with a message naming table.column.
 */
int store_parse_i64(struct store *s, const char *txt, const char *table,
    const char *col, int64_t *out);

/* ---- the front end's generic row operations (store.c) --------------------- */

/* The words a text member may hold, and how a message lists them. */
struct store_words {
	const char *const *w; /* NULL-terminated */
	const char *list; /* "ban, unban, strike or trigger" */
};

/*
 * "obj" of table "t" passes store_check_obj() and its text column
 * "col" is one of "words". Returns 0 or EINVAL.
 */
int store_check_word(struct store *s, const struct store_table *t,
    const void *obj, const char *col, const struct store_words *words);

/*
 * The parameters of a whole "obj" of table "t" into v[] (room for
 * t->ncols), the serial id left out. Returns how many.
 */
size_t store_obj_vals(
    const struct store_table *t, const void *obj, struct store_val *v);

/* Roll back without losing the message of the error that made us. */
void store_rollback_quietly(struct store *s);

/* Every public call but store_close() starts here: EINVAL for NULL or
 * for a call from inside a walk callback. */
int store_check(struct store *s);

/* A key passed as a C string: not NULL, not empty, shorter than "max".
 * Returns 0 or EINVAL with a message naming it. */
int store_check_key(
    struct store *s, const char *name, const char *v, size_t max);

/*
 * Outside store_begin(), a change that spans statements gets a
 * transaction of its own: store_own_begin() opens it when needed,
 * store_own_end() commits it (err == 0) or rolls it back and returns
 * err.
 */
int store_own_begin(struct store *s, bool *own);
int store_own_end(struct store *s, bool own, int err);

/* meta[key] = value (inserted when missing). */
int store_meta_set(struct store *s, const char *key, int64_t value);
/* meta[key] += 1; EIO when the row is missing. */
int store_meta_bump(struct store *s, const char *key);
/* meta[key] for a public getter: EINVAL for gen NULL, EIO when missing. */
int store_meta_value(struct store *s, const char *key, int64_t *gen);

/*
 * Check "obj" with store_check_obj(), then run "stmt" with its columns as
 * $1..$n (the serial id left out). When the statement changed no row
 * and "none" is not 0, return "none" (EEXIST for an insert that found
 * the key, ENOENT for an update that did not) with a message naming
 * the key. *id (may be NULL) gets the first column of a row the
 * statement returns (INSERT ... RETURNING id).
 */
int store_obj_write(struct store *s, enum store_stmt stmt,
    const struct store_table *t, const void *obj, int none, int64_t *id);

/*
 * Run "stmt" with the key texts key[0 .. nkey - 1] (checked with
 * store_check_key() against t's key columns) as $1.. and, when "obj" is
 * set, copy the one row it returns there. ENOENT (with a message naming
 * the key) when it returned or changed no row and "must" is set.
 */
int store_key_run(struct store *s, enum store_stmt stmt,
    const struct store_table *t, const char *const *key, size_t nkey, void *obj,
    bool must);

/* A typed walk callback; the member is the one of t->kind. */
union store_each_h {
	store_account_h *account;
	store_binding_h *binding;
	store_ban_h *ban;
	store_ban_event_h *event;
	store_allow_h *allow;
	store_ban_cmd_h *cmd;
	store_num_range_h *range;
	store_num_own_h *own;
	store_num_exception_h *exc;
	store_sms_alias_h *alias;
	store_robinson_h *robinson;
	store_cid_block_h *block;
	store_alert_h *alert;
	store_alert_dlv_h *dlv;
	store_alert_due_h *due;
	store_fraud_row_h *fraud;
	store_device_h *device;
};

/*
 * "obj", a struct of table "t": not NULL, every text member terminated
 * inside its array (else it is over-long), key texts not empty.
 * Returns 0 or EINVAL with a message naming the member.
 */
int store_check_obj(
    struct store *s, const struct store_table *t, const void *obj);

/*
 * The checks of every public walk: store_check(), then EINVAL when
 * "handler" is false (the caller passes h != NULL) with a message
 * naming "what".
 */
int store_check_each(struct store *s, bool handler, const char *what);

/*
 * Run "stmt" with v[0 .. nv - 1] and call the member of "h" for t->kind
 * on every row, which is valid during the call only; the caller has
 * passed store_check_each(). The handler must not call into "s"
 * (EINVAL). Returns 0, the handler's first non-zero value, or EIO.
 */
int store_walk(struct store *s, enum store_stmt stmt,
    const struct store_table *t, const struct store_val *v, size_t nv,
    union store_each_h h, void *arg);

/*
 * Run "stmt", copying its first row (of table "t", may be NULL) into
 * "dst". *found: it returned or changed at least one row.
 */
int store_row_first(struct store *s, enum store_stmt stmt,
    const struct store_val *v, size_t nv, const struct store_table *t,
    void *dst, bool *found);

/* A plain statement (a trim, an expiry); *changes may be NULL. */
int store_run(struct store *s, enum store_stmt stmt, const struct store_val *v,
    size_t nv, uint64_t *changes);

#endif /* CENTINELA_STORE_STORE_INT_H */

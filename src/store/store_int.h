/*
 * store/store_int.h -- what the store front end (store/store.c) and its
 * backends (store/sqlite.c, store/pgsql.c) share: the backend ops table,
 * the connection struct, the column tables that map struct account and
 * struct binding to table columns, and the helpers every backend uses
 * to validate, encode and decode them.
 *
 * Division of labour: store.c checks arguments, owns the transaction
 * state (an account change and its generation bump share one
 * transaction), runs the migrations and keeps the error message; a
 * backend only speaks its database's protocol.
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
#define STORE_SCHEMA_VERSION 1

#define STORE_ERRMSG_MAX 256

/* The keys of the meta table (name -> bigint). */
#define STORE_META_VERSION "schema_version"
#define STORE_META_GENERATION "generation"

/*
 * Column lists, in the order of store_account_cols[] and
 * store_binding_cols[]: every SELECT and INSERT of a backend uses them
 * so that column i is always table entry i. The account column is
 * "username" because USER is a reserved word in PostgreSQL (an
 * unquoted "SELECT user FROM accounts" returns the role name).
 */
#define STORE_ACCOUNT_COLUMNS                                      \
	"username, domain, status, ha1_md5, ha1_sha256, pw_hash, " \
	"created, secret_rotated, pw_changed, max_contacts, allow_cidrs"
#define STORE_BINDING_COLUMNS                                           \
	"aor, contact, source, path, call_id, cseq, instance, reg_id, " \
	"user_agent, q, expires"
#define STORE_ACCOUNT_NCOLS 11
#define STORE_BINDING_NCOLS 11

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
	bool key; /* part of the primary key: must not be empty */
};

extern const struct store_col store_account_cols[STORE_ACCOUNT_NCOLS];
extern const struct store_col store_binding_cols[STORE_BINDING_NCOLS];

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
 * transaction state: store.c has done that.
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
	/* meta[key]: ENOENT when the row is missing. */
	int (*meta_get)(struct store *s, const char *key, int64_t *value);
	/* meta[key] = value, inserted or replaced. */
	int (*meta_set)(struct store *s, const char *key, int64_t value);

	int (*begin)(struct store *s);
	/* On failure the transaction has been rolled back. */
	int (*commit)(struct store *s);
	int (*rollback)(struct store *s);

	/* EEXIST on a duplicate key, without aborting the transaction. */
	int (*account_add)(struct store *s, const struct account *a);
	int (*account_get)(struct store *s, const char *user,
	    const char *domain, struct account *a);
	int (*account_update)(struct store *s, const struct account *a);
	int (*account_del)(
	    struct store *s, const char *user, const char *domain);
	int (*account_each)(struct store *s, store_account_h *h, void *arg);
	/* meta generation += 1 (EIO when the row is missing). */
	int (*generation_bump)(struct store *s);
	int (*generation)(struct store *s, int64_t *gen);

	int (*binding_put)(struct store *s, const struct binding *b);
	int (*binding_del)(
	    struct store *s, const char *aor, const char *contact);
	int (*binding_del_aor)(struct store *s, const char *aor);
	int (*binding_expire)(struct store *s, int64_t now);
	int (*binding_each)(struct store *s, store_binding_h *h, void *arg);
};

/* One connection (the struct store.h keeps opaque). */
struct store {
	const struct store_ops *ops;
	void *be; /* the backend's state */
	int version; /* schema version after open */
	bool in_txn; /* store_begin() is open */
	bool in_walk; /* inside an *_each() callback */
	char errmsg[STORE_ERRMSG_MAX];
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pgsql_ops;

/*
 * Set the message of "s" (printf format, folded onto one line: control
 * characters become spaces) and return "err", so a backend can write
 * "return store_err(s, EIO, ...);".
 */
int store_err(struct store *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The value of column "c" of "obj" (a struct account or binding) for a
 * query parameter: text columns set *txt, the others *num.
 */
void store_col_value(
    const void *obj, const struct store_col *c, const char **txt, int64_t *num);

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

#endif /* CENTINELA_STORE_STORE_INT_H */

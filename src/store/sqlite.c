/*
 * store/sqlite.c -- the SQLite backend ("sqlite:PATH"), the embedded
 * default.
 *
 * One connection per struct store, opened NOMUTEX: the caller keeps a
 * connection on one thread at a time. WAL journal (readers do not block
 * the writer), synchronous=NORMAL (a power cut may lose the last
 * commits, never corrupt), busy timeout 5 s, foreign keys on. Every
 * statement is prepared once per connection, on first use, and reset
 * after every use so no read transaction stays open behind our back.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "store/store.h"
#include "store/store_int.h"

#define SQ_BUSY_TIMEOUT_MS 5000

/* ---- schema ---------------------------------------------------------------- */

static const char sq_bootstrap[] = "CREATE TABLE IF NOT EXISTS meta ("
				   " key TEXT NOT NULL PRIMARY KEY,"
				   " value INTEGER NOT NULL"
				   ") WITHOUT ROWID";

/* Version 1: accounts, bindings, the generation counter. */
static const char sq_v1[] =
    "CREATE TABLE accounts ("
    " username TEXT NOT NULL,"
    " domain TEXT NOT NULL,"
    " status INTEGER NOT NULL DEFAULT 0,"
    " ha1_md5 TEXT NOT NULL DEFAULT '',"
    " ha1_sha256 TEXT NOT NULL DEFAULT '',"
    " pw_hash TEXT NOT NULL DEFAULT '',"
    " created INTEGER NOT NULL DEFAULT 0,"
    " secret_rotated INTEGER NOT NULL DEFAULT 0,"
    " pw_changed INTEGER NOT NULL DEFAULT 0,"
    " max_contacts INTEGER NOT NULL DEFAULT 0,"
    " allow_cidrs TEXT NOT NULL DEFAULT '',"
    " PRIMARY KEY (domain, username));"
    "CREATE TABLE bindings ("
    " aor TEXT NOT NULL,"
    " contact TEXT NOT NULL,"
    " source TEXT NOT NULL DEFAULT '',"
    " path TEXT NOT NULL DEFAULT '',"
    " call_id TEXT NOT NULL DEFAULT '',"
    " cseq INTEGER NOT NULL DEFAULT 0,"
    " instance TEXT NOT NULL DEFAULT '',"
    " reg_id INTEGER NOT NULL DEFAULT 0,"
    " user_agent TEXT NOT NULL DEFAULT '',"
    " q INTEGER NOT NULL DEFAULT 1000,"
    " expires INTEGER NOT NULL,"
    " PRIMARY KEY (aor, contact));"
    "CREATE INDEX bindings_expires ON bindings (expires);"
    "INSERT INTO meta (key, value) VALUES ('generation', 0);";

static const char *const sq_steps[] = { sq_v1 };

_Static_assert(sizeof(sq_steps) / sizeof(sq_steps[0]) == STORE_SCHEMA_VERSION,
    "one SQLite migration step per schema version");

static const struct store_schema sq_schema = {
	.bootstrap = sq_bootstrap,
	.steps = sq_steps,
	.nsteps = sizeof(sq_steps) / sizeof(sq_steps[0]),
};

/* ---- statements ------------------------------------------------------------- */

enum sq_stmt {
	SQ_BEGIN,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_META_GET,
	SQ_META_SET,
	SQ_ACC_ADD,
	SQ_ACC_GET,
	SQ_ACC_UPDATE,
	SQ_ACC_DEL,
	SQ_ACC_EACH,
	SQ_GEN_BUMP,
	SQ_GEN_GET,
	SQ_BIND_PUT,
	SQ_BIND_DEL,
	SQ_BIND_DEL_AOR,
	SQ_BIND_EXPIRE,
	SQ_BIND_EACH,
	SQ_NSTMT
};

/*
 * Parameters are numbered in the column order of store_int.h, so a
 * whole struct binds as ?1..?11 (the key is ?1, ?2).
 */
static const char *const sq_sql[SQ_NSTMT] = {
	/* IMMEDIATE: take the write lock now, not at the first write. */
	[SQ_BEGIN] = "BEGIN IMMEDIATE",
	[SQ_COMMIT] = "COMMIT",
	[SQ_ROLLBACK] = "ROLLBACK",
	[SQ_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[SQ_META_SET] =
	    "INSERT INTO meta (key, value) VALUES (?1, ?2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[SQ_ACC_ADD] = "INSERT INTO accounts (" STORE_ACCOUNT_COLUMNS ") "
		       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
		       "ON CONFLICT (domain, username) DO NOTHING",
	[SQ_ACC_GET] = "SELECT " STORE_ACCOUNT_COLUMNS " FROM accounts "
		       "WHERE username = ?1 AND domain = ?2",
	[SQ_ACC_UPDATE] = "UPDATE accounts SET status = ?3, ha1_md5 = ?4, "
			  "ha1_sha256 = ?5, pw_hash = ?6, created = ?7, "
			  "secret_rotated = ?8, pw_changed = ?9, "
			  "max_contacts = ?10, allow_cidrs = ?11 "
			  "WHERE username = ?1 AND domain = ?2",
	[SQ_ACC_DEL] = "DELETE FROM accounts "
		       "WHERE username = ?1 AND domain = ?2",
	[SQ_ACC_EACH] = "SELECT " STORE_ACCOUNT_COLUMNS " FROM accounts "
			"ORDER BY domain, username",
	[SQ_GEN_BUMP] = "UPDATE meta SET value = value + 1 "
			"WHERE key = 'generation'",
	[SQ_GEN_GET] = "SELECT value FROM meta WHERE key = 'generation'",
	[SQ_BIND_PUT] = "INSERT INTO bindings (" STORE_BINDING_COLUMNS ") "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
			"ON CONFLICT (aor, contact) DO UPDATE SET "
			"source = excluded.source, path = excluded.path, "
			"call_id = excluded.call_id, cseq = excluded.cseq, "
			"instance = excluded.instance, "
			"reg_id = excluded.reg_id, "
			"user_agent = excluded.user_agent, q = excluded.q, "
			"expires = excluded.expires",
	[SQ_BIND_DEL] = "DELETE FROM bindings WHERE aor = ?1 AND contact = ?2",
	[SQ_BIND_DEL_AOR] = "DELETE FROM bindings WHERE aor = ?1",
	[SQ_BIND_EXPIRE] = "DELETE FROM bindings WHERE expires <= ?1",
	[SQ_BIND_EACH] = "SELECT " STORE_BINDING_COLUMNS " FROM bindings "
			 "ORDER BY aor, contact",
};

struct sq {
	sqlite3 *db;
	sqlite3_stmt *st[SQ_NSTMT];
};

/* The error of the last call on the connection; EEXIST for a key clash. */
static int
sq_fail(struct store *s, const char *what)
{
	struct sq *sq = s->be;
	int code = sqlite3_extended_errcode(sq->db);
	int err = EIO;

	if (code == SQLITE_CONSTRAINT_PRIMARYKEY ||
	    code == SQLITE_CONSTRAINT_UNIQUE)
		err = EEXIST;
	return store_err(s, err, "sqlite %s: %s", what, sqlite3_errmsg(sq->db));
}

/* The cached statement "id", prepared on first use. */
static int
sq_stmt(struct store *s, enum sq_stmt id, sqlite3_stmt **stp)
{
	struct sq *sq = s->be;

	*stp = NULL;
	if (!sq->st[id] &&
	    sqlite3_prepare_v3(sq->db, sq_sql[id], -1,
		SQLITE_PREPARE_PERSISTENT, &sq->st[id], NULL) != SQLITE_OK) {
		sq->st[id] = NULL;
		return sq_fail(s, "prepare");
	}
	*stp = sq->st[id];
	return 0;
}

static void
sq_reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int
sq_bind_text(struct store *s, sqlite3_stmt *st, int i, const char *v)
{
	if (sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) != SQLITE_OK)
		return sq_fail(s, "bind");
	return 0;
}

static int
sq_bind_i64(struct store *s, sqlite3_stmt *st, int i, int64_t v)
{
	if (sqlite3_bind_int64(st, i, v) != SQLITE_OK)
		return sq_fail(s, "bind");
	return 0;
}

/* Bind every column of "obj" as ?1..?n. */
static int
sq_bind_obj(struct store *s, sqlite3_stmt *st, const struct store_col *cols,
    size_t n, const void *obj)
{
	const char *txt;
	int64_t num;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		store_col_value(obj, &cols[i], &txt, &num);
		err = txt ? sq_bind_text(s, st, (int)i + 1, txt) :
			    sq_bind_i64(s, st, (int)i + 1, num);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Decode the current row into "obj". Text that does not fit, an
 * integer column holding something else, or an out-of-range value is
 * EIO; NULL reads as "" or 0.
 */
static int
sq_read_row(struct store *s, sqlite3_stmt *st, const struct store_col *cols,
    size_t n, const char *table, void *obj)
{
	const unsigned char *p;
	size_t i;
	int t, err;

	if ((size_t)sqlite3_column_count(st) != n)
		return store_err(s, EIO, "sqlite %s: %d columns, want %zu",
		    table, sqlite3_column_count(st), n);
	for (i = 0; i < n; i++) {
		t = sqlite3_column_type(st, (int)i);
		if (cols[i].kind == STORE_COL_TEXT) {
			if (t == SQLITE_NULL) {
				err = store_col_set_text(
				    s, obj, &cols[i], table, NULL, 0);
			} else {
				p = sqlite3_column_text(st, (int)i);
				if (!p)
					return store_err(s, ENOMEM,
					    "sqlite %s.%s: out of memory",
					    table, cols[i].name);
				err = store_col_set_text(s, obj, &cols[i],
				    table, (const char *)p,
				    (size_t)sqlite3_column_bytes(st, (int)i));
			}
		} else if (t == SQLITE_NULL) {
			err = store_col_set_num(s, obj, &cols[i], table, 0);
		} else if (t == SQLITE_INTEGER) {
			err = store_col_set_num(s, obj, &cols[i], table,
			    sqlite3_column_int64(st, (int)i));
		} else {
			err = store_err(s, EIO, "%s.%s: not an integer", table,
			    cols[i].name);
		}
		if (err)
			return err;
	}
	return 0;
}

/*
 * Step a bound statement that returns no rows, then reset it. *changes
 * (may be NULL) gets the number of rows it changed.
 */
static int
sq_exec_stmt(struct store *s, sqlite3_stmt *st, const char *what, int *changes)
{
	struct sq *sq = s->be;
	int err = 0;

	if (sqlite3_step(st) != SQLITE_DONE)
		err = sq_fail(s, what);
	else if (changes)
		*changes = sqlite3_changes(sq->db);
	sq_reset(st);
	return err;
}

/* A statement without parameters nor rows (BEGIN, COMMIT, ...). */
static int
sq_simple(struct store *s, enum sq_stmt id, const char *what)
{
	sqlite3_stmt *st;
	int err;

	if ((err = sq_stmt(s, id, &st)))
		return err;
	return sq_exec_stmt(s, st, what, NULL);
}

/* A statement bound with the key (k1, k2); k2 may be NULL. */
static int
sq_keyed(struct store *s, enum sq_stmt id, const char *k1, const char *k2,
    const char *what, int *changes)
{
	sqlite3_stmt *st;
	int err;

	if ((err = sq_stmt(s, id, &st)))
		return err;
	err = sq_bind_text(s, st, 1, k1);
	if (!err && k2)
		err = sq_bind_text(s, st, 2, k2);
	if (err) {
		sq_reset(st);
		return err;
	}
	return sq_exec_stmt(s, st, what, changes);
}

/* ---- connection -------------------------------------------------------------- */

/*
 * "path" must not be a directory and the directory it would be created
 * in must exist: SQLite's own "unable to open database file" does not
 * say why.
 */
static int
sq_check_dir(struct store *s, const char *path)
{
	char dir[PATH_MAX];
	const char *slash;
	struct stat sb;
	size_t n;

	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return store_err(s, EISDIR, "sqlite:%s: is a directory", path);
	slash = strrchr(path, '/');
	if (!slash)
		return 0; /* the working directory */
	n = slash == path ? 1 : (size_t)(slash - path);
	memcpy(dir, path, n);
	dir[n] = '\0';
	if (stat(dir, &sb) != 0) {
		int e = errno;

		return store_err(s, e, "sqlite:%s: directory %s: %s", path, dir,
		    e == ENOENT ? "does not exist" : strerror(e));
	}
	if (!S_ISDIR(sb.st_mode))
		return store_err(
		    s, ENOTDIR, "sqlite:%s: %s is not a directory", path, dir);
	return 0;
}

/* Run "sql" and return its first column as text in "out". */
static int
sq_pragma(struct store *s, const char *sql, char *out, size_t cap)
{
	struct sq *sq = s->be;
	sqlite3_stmt *st;
	const unsigned char *p;
	int rc;

	if (sqlite3_prepare_v2(sq->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_fail(s, "pragma");
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		int err = sq_fail(s, "pragma");

		sqlite3_finalize(st);
		return err;
	}
	out[0] = '\0';
	if (rc == SQLITE_ROW && (p = sqlite3_column_text(st, 0)))
		snprintf(out, cap, "%s", (const char *)p);
	sqlite3_finalize(st);
	return 0;
}

static int
sq_open(struct store *s, const char *path)
{
	struct sq *sq;
	char mode[16];
	int rc, err;

	if (!*path)
		return store_err(s, EINVAL,
		    "sqlite: no path in the URI "
		    "(want sqlite:PATH)");
	if (strnlen(path, PATH_MAX) >= PATH_MAX)
		return store_err(s, EINVAL, "sqlite: path too long");
	if ((err = sq_check_dir(s, path)))
		return err;
	sq = calloc(1, sizeof(*sq));
	if (!sq)
		return store_err(s, ENOMEM, "sqlite: out of memory");
	s->be = sq;
	rc = sqlite3_open_v2(path, &sq->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK)
		return store_err(s, EIO, "sqlite:%s: %s", path,
		    sq->db ? sqlite3_errmsg(sq->db) : sqlite3_errstr(rc));
	sqlite3_extended_result_codes(sq->db, 1);
	sqlite3_busy_timeout(sq->db, SQ_BUSY_TIMEOUT_MS);
	/*
	 * Read before anything writes: a file that is not a database
	 * fails here (SQLITE_NOTADB) and is left exactly as it was.
	 */
	if (sqlite3_exec(sq->db, "SELECT count(*) FROM sqlite_master", NULL,
		NULL, NULL) != SQLITE_OK) {
		if (sqlite3_errcode(sq->db) == SQLITE_NOTADB)
			return store_err(s, EIO,
			    "sqlite:%s: not an SQLite database (left "
			    "untouched)",
			    path);
		return store_err(
		    s, EIO, "sqlite:%s: %s", path, sqlite3_errmsg(sq->db));
	}
	if (sqlite3_db_readonly(sq->db, "main") == 1)
		return store_err(s, EIO,
		    "sqlite:%s: opened read-only "
		    "(file permissions?)",
		    path);
	if ((err = sq_pragma(
		 s, "PRAGMA journal_mode = WAL", mode, sizeof(mode))))
		return err;
	/* An in-memory database has no WAL; anything else must. */
	if (strcmp(mode, "wal") != 0 && strcmp(path, ":memory:") != 0)
		return store_err(s, EIO,
		    "sqlite:%s: cannot switch to WAL (journal mode %s)", path,
		    mode);
	if (sqlite3_exec(sq->db,
		"PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", NULL,
		NULL, NULL) != SQLITE_OK)
		return sq_fail(s, "pragma");
	return 0;
}

static void
sq_close(struct store *s)
{
	struct sq *sq = s->be;
	size_t i;

	if (!sq)
		return;
	for (i = 0; i < SQ_NSTMT; i++)
		sqlite3_finalize(sq->st[i]);
	sqlite3_close(sq->db);
	free(sq);
	s->be = NULL;
}

static int
sq_exec(struct store *s, const char *sql)
{
	struct sq *sq = s->be;

	if (sqlite3_exec(sq->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_fail(s, "exec");
	return 0;
}

/* The INTEGER in column 0 of the current row of "st". */
static int
sq_col_i64(struct store *s, sqlite3_stmt *st, const char *what, int64_t *v)
{
	if (sqlite3_column_type(st, 0) != SQLITE_INTEGER)
		return store_err(s, EIO, "sqlite %s: not an integer", what);
	*v = sqlite3_column_int64(st, 0);
	return 0;
}

static int
sq_meta_get(struct store *s, const char *key, int64_t *value)
{
	sqlite3_stmt *st;
	int rc, err;

	if ((err = sq_stmt(s, SQ_META_GET, &st)))
		return err;
	if ((err = sq_bind_text(s, st, 1, key))) {
		sq_reset(st);
		return err;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = sq_col_i64(s, st, key, value);
	else if (rc == SQLITE_DONE)
		err = store_err(s, ENOENT, "sqlite: no meta %s", key);
	else
		err = sq_fail(s, "meta");
	sq_reset(st);
	return err;
}

static int
sq_meta_set(struct store *s, const char *key, int64_t value)
{
	sqlite3_stmt *st;
	int err;

	if ((err = sq_stmt(s, SQ_META_SET, &st)))
		return err;
	err = sq_bind_text(s, st, 1, key);
	if (!err)
		err = sq_bind_i64(s, st, 2, value);
	if (err) {
		sq_reset(st);
		return err;
	}
	return sq_exec_stmt(s, st, "meta", NULL);
}

/* ---- transactions -------------------------------------------------------------- */

static int
sq_begin(struct store *s)
{
	return sq_simple(s, SQ_BEGIN, "begin");
}

static int
sq_commit(struct store *s)
{
	struct sq *sq = s->be;
	int err;

	err = sq_simple(s, SQ_COMMIT, "commit");
	/* A failed COMMIT (SQLITE_BUSY...) leaves the transaction open. */
	if (err && !sqlite3_get_autocommit(sq->db))
		(void)sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

static int
sq_rollback(struct store *s)
{
	struct sq *sq = s->be;

	/* SQLite may already have rolled back (an I/O error, a full disk). */
	if (sqlite3_get_autocommit(sq->db))
		return 0;
	return sq_simple(s, SQ_ROLLBACK, "rollback");
}

/* ---- rows --------------------------------------------------------------------- */

/* One of the two row types, for the shared walk and get code. */
struct sq_rowtype {
	const char *table;
	const struct store_col *cols;
	size_t ncols;
};

static const struct sq_rowtype sq_accounts = { "accounts", store_account_cols,
	STORE_ACCOUNT_NCOLS };
static const struct sq_rowtype sq_bindings = { "bindings", store_binding_cols,
	STORE_BINDING_NCOLS };

/*
 * Walk the rows of statement "id", decoding each into a fresh "row" and
 * calling ah (accounts) or bh (bindings).
 */
static int
sq_walk(struct store *s, enum sq_stmt id, const struct sq_rowtype *rt,
    store_account_h *ah, store_binding_h *bh, void *arg)
{
	union {
		struct account a;
		struct binding b;
	} row;
	sqlite3_stmt *st;
	int rc, err;

	if ((err = sq_stmt(s, id, &st)))
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		err = sq_read_row(s, st, rt->cols, rt->ncols, rt->table, &row);
		if (!err)
			err = ah ? ah(&row.a, arg) : bh(&row.b, arg);
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = sq_fail(s, rt->table);
	sq_reset(st);
	return err;
}

static int
sq_account_add(struct store *s, const struct account *a)
{
	sqlite3_stmt *st;
	int changes = 0, err;

	if ((err = sq_stmt(s, SQ_ACC_ADD, &st)))
		return err;
	if ((err = sq_bind_obj(
		 s, st, store_account_cols, STORE_ACCOUNT_NCOLS, a))) {
		sq_reset(st);
		return err;
	}
	if ((err = sq_exec_stmt(s, st, "account add", &changes)))
		return err;
	if (changes == 0)
		return store_err(
		    s, EEXIST, "account %s@%s exists", a->user, a->domain);
	return 0;
}

static int
sq_account_get(
    struct store *s, const char *user, const char *domain, struct account *a)
{
	sqlite3_stmt *st;
	int rc, err;

	if ((err = sq_stmt(s, SQ_ACC_GET, &st)))
		return err;
	err = sq_bind_text(s, st, 1, user);
	if (!err)
		err = sq_bind_text(s, st, 2, domain);
	if (!err) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			err = sq_read_row(s, st, store_account_cols,
			    STORE_ACCOUNT_NCOLS, "accounts", a);
		else if (rc == SQLITE_DONE)
			err = store_err(
			    s, ENOENT, "no account %s@%s", user, domain);
		else
			err = sq_fail(s, "account get");
	}
	sq_reset(st);
	return err;
}

static int
sq_account_update(struct store *s, const struct account *a)
{
	sqlite3_stmt *st;
	int changes = 0, err;

	if ((err = sq_stmt(s, SQ_ACC_UPDATE, &st)))
		return err;
	if ((err = sq_bind_obj(
		 s, st, store_account_cols, STORE_ACCOUNT_NCOLS, a))) {
		sq_reset(st);
		return err;
	}
	if ((err = sq_exec_stmt(s, st, "account update", &changes)))
		return err;
	if (changes == 0)
		return store_err(
		    s, ENOENT, "no account %s@%s", a->user, a->domain);
	return 0;
}

static int
sq_account_del(struct store *s, const char *user, const char *domain)
{
	int changes = 0, err;

	err = sq_keyed(s, SQ_ACC_DEL, user, domain, "account del", &changes);
	if (!err && changes == 0)
		err = store_err(s, ENOENT, "no account %s@%s", user, domain);
	return err;
}

static int
sq_account_each(struct store *s, store_account_h *h, void *arg)
{
	return sq_walk(s, SQ_ACC_EACH, &sq_accounts, h, NULL, arg);
}

static int
sq_generation_bump(struct store *s)
{
	sqlite3_stmt *st;
	int changes = 0, err;

	if ((err = sq_stmt(s, SQ_GEN_BUMP, &st)))
		return err;
	if ((err = sq_exec_stmt(s, st, "generation", &changes)))
		return err;
	if (changes != 1)
		return store_err(s, EIO, "sqlite: meta generation row missing");
	return 0;
}

static int
sq_generation(struct store *s, int64_t *gen)
{
	sqlite3_stmt *st;
	int rc, err;

	if ((err = sq_stmt(s, SQ_GEN_GET, &st)))
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = sq_col_i64(s, st, "generation", gen);
	else if (rc == SQLITE_DONE)
		err = store_err(s, EIO, "sqlite: meta generation row missing");
	else
		err = sq_fail(s, "generation");
	sq_reset(st);
	return err;
}

static int
sq_binding_put(struct store *s, const struct binding *b)
{
	sqlite3_stmt *st;
	int err;

	if ((err = sq_stmt(s, SQ_BIND_PUT, &st)))
		return err;
	if ((err = sq_bind_obj(
		 s, st, store_binding_cols, STORE_BINDING_NCOLS, b))) {
		sq_reset(st);
		return err;
	}
	return sq_exec_stmt(s, st, "binding put", NULL);
}

static int
sq_binding_del(struct store *s, const char *aor, const char *contact)
{
	int changes = 0, err;

	err = sq_keyed(s, SQ_BIND_DEL, aor, contact, "binding del", &changes);
	if (!err && changes == 0)
		err = store_err(s, ENOENT, "no binding %s -> %s", aor, contact);
	return err;
}

static int
sq_binding_del_aor(struct store *s, const char *aor)
{
	return sq_keyed(s, SQ_BIND_DEL_AOR, aor, NULL, "binding del", NULL);
}

static int
sq_binding_expire(struct store *s, int64_t now)
{
	sqlite3_stmt *st;
	int err;

	if ((err = sq_stmt(s, SQ_BIND_EXPIRE, &st)))
		return err;
	if ((err = sq_bind_i64(s, st, 1, now))) {
		sq_reset(st);
		return err;
	}
	return sq_exec_stmt(s, st, "binding expire", NULL);
}

static int
sq_binding_each(struct store *s, store_binding_h *h, void *arg)
{
	return sq_walk(s, SQ_BIND_EACH, &sq_bindings, NULL, h, arg);
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.schema = &sq_schema,
	.open = sq_open,
	.close = sq_close,
	.exec = sq_exec,
	.meta_get = sq_meta_get,
	.meta_set = sq_meta_set,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.account_add = sq_account_add,
	.account_get = sq_account_get,
	.account_update = sq_account_update,
	.account_del = sq_account_del,
	.account_each = sq_account_each,
	.generation_bump = sq_generation_bump,
	.generation = sq_generation,
	.binding_put = sq_binding_put,
	.binding_del = sq_binding_del,
	.binding_del_aor = sq_binding_del_aor,
	.binding_expire = sq_binding_expire,
	.binding_each = sq_binding_each,
};

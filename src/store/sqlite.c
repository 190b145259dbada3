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
 * The statements are the shared ones of store/store_sql.c; their "$N"
 * parameters are SQLite named parameters, bound by name.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
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

/* Version 2: the guard's state (bans, history, allowlist, commands). */
static const char sq_v2[] = STORE_SCHEMA_V2(
    "TEXT NOT NULL", "TEXT", "INTEGER", "INTEGER PRIMARY KEY AUTOINCREMENT");

/* Version 3: the caller-ID numbering data and blocking counters. */
static const char sq_v3[] = STORE_SCHEMA_V3("TEXT NOT NULL", "TEXT", "INTEGER",
    "INTEGER PRIMARY KEY AUTOINCREMENT", " WITHOUT ROWID");

/* Version 4: the alerts and their deliveries. */
static const char sq_v4[] =
    STORE_SCHEMA_V4("TEXT NOT NULL", "TEXT", "INTEGER", " WITHOUT ROWID");

/* Version 5: the fraud engine's per-subject state. */
static const char sq_v5[] =
    STORE_SCHEMA_V5("TEXT NOT NULL", "TEXT", "INTEGER", " WITHOUT ROWID");

/* Version 6: sealed device secrets, certificate bindings, devices. */
static const char sq_v6[] =
    STORE_SCHEMA_V6("TEXT NOT NULL", "TEXT", "INTEGER", " WITHOUT ROWID");

static const char *const sq_steps[] = { sq_v1, sq_v2, sq_v3, sq_v4, sq_v5,
	sq_v6 };

_Static_assert(sizeof(sq_steps) / sizeof(sq_steps[0]) == STORE_SCHEMA_VERSION,
    "one SQLite migration step per schema version");

static const struct store_schema sq_schema = {
	.bootstrap = sq_bootstrap,
	.steps = sq_steps,
	.nsteps = sizeof(sq_steps) / sizeof(sq_steps[0]),
};

/* ---- statements ------------------------------------------------------------- */

/* Our own statements, besides the shared store_sql[]. */
enum sq_txn {
	SQ_BEGIN,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_NTXN
};

static const char *const sq_txn_sql[SQ_NTXN] = {
	/* IMMEDIATE: take the write lock now, not at the first write. */
	[SQ_BEGIN] = "BEGIN IMMEDIATE",
	[SQ_COMMIT] = "COMMIT",
	[SQ_ROLLBACK] = "ROLLBACK",
};

struct sq {
	sqlite3 *db;
	sqlite3_stmt *st[STORE_NSTMT]; /* store_sql[i], prepared on use */
	sqlite3_stmt *txn[SQ_NTXN];
	sqlite3_stmt *bulk; /* the statement of an open bulk load */
	enum store_stmt bulk_stmt;
	bool bulk_positional; /* "$i" is parameter i: bind by position */
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

/* The statement in *slot, prepared from "sql" on first use. */
static int
sq_prepare(struct store *s, sqlite3_stmt **slot, const char *sql)
{
	struct sq *sq = s->be;

	if (!*slot &&
	    sqlite3_prepare_v3(sq->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot,
		NULL) != SQLITE_OK) {
		*slot = NULL;
		return sq_fail(s, "prepare");
	}
	return 0;
}

static void
sq_reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/*
 * Bind v[i] to the parameter named "$i+1". Every parameter of the
 * statement must be given: SQLite would read a missing one as NULL.
 */
static int
sq_bind(struct store *s, sqlite3_stmt *st, const char *what,
    const struct store_val *v, size_t nv)
{
	char name[24];
	size_t i;
	int idx, rc;

	if ((size_t)sqlite3_bind_parameter_count(st) != nv)
		return store_err(s, EIO, "sqlite %s: %d parameters, %zu given",
		    what, sqlite3_bind_parameter_count(st), nv);
	for (i = 0; i < nv; i++) {
		snprintf(name, sizeof(name), "$%zu", i + 1);
		idx = sqlite3_bind_parameter_index(st, name);
		if (idx == 0)
			return store_err(
			    s, EIO, "sqlite %s: no parameter %s", what, name);
		rc = v[i].txt ?
		    sqlite3_bind_text(st, idx, v[i].txt, -1, SQLITE_STATIC) :
		    sqlite3_bind_int64(st, idx, v[i].num);
		if (rc != SQLITE_OK)
			return sq_fail(s, what);
	}
	return 0;
}

/*
 * Decode the current row into "obj". Text that does not fit, an
 * integer column holding something else, or an out-of-range value is
 * EIO; NULL reads as "" or 0.
 */
static int
sq_read_row(
    struct store *s, sqlite3_stmt *st, const struct store_table *tab, void *obj)
{
	const struct store_col *cols = tab->cols;
	const char *table = tab->name;
	const unsigned char *p;
	size_t i, n = tab->ncols;
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

/* BEGIN, COMMIT or ROLLBACK. */
static int
sq_simple(struct store *s, enum sq_txn id)
{
	struct sq *sq = s->be;
	int err;

	if ((err = sq_prepare(s, &sq->txn[id], sq_txn_sql[id])))
		return err;
	err = sqlite3_step(sq->txn[id]) == SQLITE_DONE ?
	    0 :
	    sq_fail(s, sq_txn_sql[id]);
	sqlite3_reset(sq->txn[id]);
	return err;
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
	for (i = 0; i < STORE_NSTMT; i++)
		sqlite3_finalize(sq->st[i]);
	for (i = 0; i < SQ_NTXN; i++)
		sqlite3_finalize(sq->txn[i]);
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

/* ---- transactions -------------------------------------------------------------- */

static int
sq_begin(struct store *s)
{
	return sq_simple(s, SQ_BEGIN);
}

static int
sq_commit(struct store *s)
{
	struct sq *sq = s->be;
	int err;

	err = sq_simple(s, SQ_COMMIT);
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
	return sq_simple(s, SQ_ROLLBACK);
}

/* ---- queries ------------------------------------------------------------------ */

/*
 * Run store_sql[q->stmt]. With RETURNING, SQLite makes every change at
 * the first step and hands the rows out after, so stopping a walk early
 * never leaves a write half done.
 */
static int
sq_query(struct store *s, struct store_query *q)
{
	struct sq *sq = s->be;
	const char *what = store_sql[q->stmt].name;
	union store_row row;
	sqlite3_stmt *st;
	int rc, err;

	if ((err = sq_prepare(s, &sq->st[q->stmt], store_sql[q->stmt].sql)))
		return err;
	st = sq->st[q->stmt];
	if ((err = sq_bind(s, st, what, q->v, q->nv)))
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!q->t)
			continue;
		memset(&row, 0, sizeof(row));
		err = sq_read_row(s, st, q->t, &row);
		if (!err)
			err = q->h(&row, q->arg);
		if (err)
			goto out;
	}
	if (rc != SQLITE_DONE)
		err = sq_fail(s, what);
	else if (!sqlite3_stmt_readonly(st))
		q->changes = (uint64_t)sqlite3_changes64(sq->db);
out:
	sq_reset(st);
	return err;
}

/* ---- bulk loads ------------------------------------------------------------------ */

/*
 * A bulk load is the prepared insert run once per row. Binding by
 * position skips a name lookup per value: checked here once, "$i" is
 * parameter i in every statement that names them in order.
 */
static int
sq_bulk_begin(struct store *s, enum store_stmt stmt)
{
	struct sq *sq = s->be;
	char name[24];
	int i, n, err;

	if ((err = sq_prepare(s, &sq->st[stmt], store_sql[stmt].sql)))
		return err;
	sq->bulk = sq->st[stmt];
	sq->bulk_stmt = stmt;
	sq->bulk_positional = true;
	n = sqlite3_bind_parameter_count(sq->bulk);
	for (i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "$%d", i);
		if (sqlite3_bind_parameter_index(sq->bulk, name) != i)
			sq->bulk_positional = false;
	}
	return 0;
}

static int
sq_bulk_row(struct store *s, const struct store_val *v, size_t nv)
{
	struct sq *sq = s->be;
	sqlite3_stmt *st = sq->bulk;
	const char *what = store_sql[sq->bulk_stmt].name;
	size_t i;
	int rc, err = 0;

	if (!st)
		return store_err(s, EIO, "sqlite: no bulk load open");
	if (!sq->bulk_positional ||
	    (size_t)sqlite3_bind_parameter_count(st) != nv)
		err = sq_bind(s, st, what, v, nv);
	else
		for (i = 0; i < nv && !err; i++) {
			rc = v[i].txt ?
			    sqlite3_bind_text(
				st, (int)i + 1, v[i].txt, -1, SQLITE_STATIC) :
			    sqlite3_bind_int64(st, (int)i + 1, v[i].num);
			if (rc != SQLITE_OK)
				err = sq_fail(s, what);
		}
	if (!err && sqlite3_step(st) != SQLITE_DONE)
		err = sq_fail(s, what);
	sq_reset(st);
	return err;
}

static int
sq_bulk_end(struct store *s, bool ok)
{
	struct sq *sq = s->be;

	(void)ok;
	sq->bulk = NULL;
	return 0;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.schema = &sq_schema,
	.open = sq_open,
	.close = sq_close,
	.exec = sq_exec,
	.probe = NULL, /* a missing table fails the prepare, harmlessly */
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.query = sq_query,
	.bulk_begin = sq_bulk_begin,
	.bulk_row = sq_bulk_row,
	.bulk_end = sq_bulk_end,
};

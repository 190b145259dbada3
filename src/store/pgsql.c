/*
 * store/pgsql.c -- the PostgreSQL backend ("postgresql://..." or
 * "postgres://...", handed to libpq as a connection URI).
 *
 * Every value travels as a query parameter: statements are prepared
 * once per connection (on first use) and run with PQexecPrepared; only
 * the fixed migration scripts and BEGIN/COMMIT/ROLLBACK go through
 * PQexec. Key columns use the "C" collation so the walks come out in
 * byte order whatever the database's locale, as on SQLite. A lost
 * connection is EIO on every call: the caller closes and reopens (the
 * prepared statements die with the session).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store/store.h"
#include "store/store_int.h"

/* ON CONFLICT arrived in 9.5. */
#define PG_MIN_SERVER_VERSION 90500

/* ---- schema ---------------------------------------------------------------- */

/*
 * The advisory lock (held to the end of the transaction) serialises two
 * programs opening a fresh database at once; its key is arbitrary but
 * fixed ("centinela" in a 63-bit number).
 */
static const char pg_bootstrap[] =
    "SELECT pg_advisory_xact_lock(4392751230195101);"
    "CREATE TABLE IF NOT EXISTS meta ("
    " key text COLLATE \"C\" PRIMARY KEY,"
    " value bigint NOT NULL)";

/* Version 1: accounts, bindings, the generation counter. */
static const char pg_v1[] =
    "CREATE TABLE accounts ("
    " username text COLLATE \"C\" NOT NULL,"
    " domain text COLLATE \"C\" NOT NULL,"
    " status integer NOT NULL DEFAULT 0,"
    " ha1_md5 text NOT NULL DEFAULT '',"
    " ha1_sha256 text NOT NULL DEFAULT '',"
    " pw_hash text NOT NULL DEFAULT '',"
    " created bigint NOT NULL DEFAULT 0,"
    " secret_rotated bigint NOT NULL DEFAULT 0,"
    " pw_changed bigint NOT NULL DEFAULT 0,"
    " max_contacts bigint NOT NULL DEFAULT 0,"
    " allow_cidrs text NOT NULL DEFAULT '',"
    " PRIMARY KEY (domain, username));"
    "CREATE TABLE bindings ("
    " aor text COLLATE \"C\" NOT NULL,"
    " contact text COLLATE \"C\" NOT NULL,"
    " source text NOT NULL DEFAULT '',"
    " path text NOT NULL DEFAULT '',"
    " call_id text NOT NULL DEFAULT '',"
    " cseq bigint NOT NULL DEFAULT 0,"
    " instance text NOT NULL DEFAULT '',"
    " reg_id bigint NOT NULL DEFAULT 0,"
    " user_agent text NOT NULL DEFAULT '',"
    " q bigint NOT NULL DEFAULT 1000,"
    " expires bigint NOT NULL,"
    " PRIMARY KEY (aor, contact));"
    "CREATE INDEX bindings_expires ON bindings (expires);"
    "INSERT INTO meta (key, value) "
    "VALUES ('generation', 0);";

static const char *const pg_steps[] = { pg_v1 };

_Static_assert(sizeof(pg_steps) / sizeof(pg_steps[0]) == STORE_SCHEMA_VERSION,
    "one PostgreSQL migration step per schema version");

static const struct store_schema pg_schema = {
	.bootstrap = pg_bootstrap,
	.steps = pg_steps,
	.nsteps = sizeof(pg_steps) / sizeof(pg_steps[0]),
};

/* ---- statements ------------------------------------------------------------- */

enum pg_stmt {
	PG_META_GET,
	PG_META_SET,
	PG_ACC_ADD,
	PG_ACC_GET,
	PG_ACC_UPDATE,
	PG_ACC_DEL,
	PG_ACC_EACH,
	PG_GEN_BUMP,
	PG_GEN_GET,
	PG_BIND_PUT,
	PG_BIND_DEL,
	PG_BIND_DEL_AOR,
	PG_BIND_EXPIRE,
	PG_BIND_EACH,
	PG_NSTMT
};

/* Parameters $1..$11 follow the column order of store_int.h. */
static const struct {
	const char *name; /* the prepared statement's name in the session */
	const char *sql;
	int nparams;
} pg_stmts[PG_NSTMT] = {
	[PG_META_GET] = { "centinela_meta_get",
	    "SELECT value FROM meta WHERE key = $1", 1 },
	[PG_META_SET] = { "centinela_meta_set",
	    "INSERT INTO meta (key, value) VALUES ($1, $2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	    2 },
	[PG_ACC_ADD] = { "centinela_acc_add",
	    "INSERT INTO accounts (" STORE_ACCOUNT_COLUMNS ") "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
	    "ON CONFLICT (domain, username) DO NOTHING",
	    STORE_ACCOUNT_NCOLS },
	[PG_ACC_GET] = { "centinela_acc_get",
	    "SELECT " STORE_ACCOUNT_COLUMNS " FROM accounts "
	    "WHERE username = $1 AND domain = $2",
	    2 },
	[PG_ACC_UPDATE] = { "centinela_acc_update",
	    "UPDATE accounts SET status = $3, ha1_md5 = $4, "
	    "ha1_sha256 = $5, pw_hash = $6, created = $7, "
	    "secret_rotated = $8, pw_changed = $9, max_contacts = $10, "
	    "allow_cidrs = $11 WHERE username = $1 AND domain = $2",
	    STORE_ACCOUNT_NCOLS },
	[PG_ACC_DEL] = { "centinela_acc_del",
	    "DELETE FROM accounts WHERE username = $1 AND domain = $2", 2 },
	[PG_ACC_EACH] = { "centinela_acc_each",
	    "SELECT " STORE_ACCOUNT_COLUMNS " FROM accounts "
	    "ORDER BY domain, username",
	    0 },
	[PG_GEN_BUMP] = { "centinela_gen_bump",
	    "UPDATE meta SET value = value + 1 WHERE key = 'generation'", 0 },
	[PG_GEN_GET] = { "centinela_gen_get",
	    "SELECT value FROM meta WHERE key = 'generation'", 0 },
	[PG_BIND_PUT] = { "centinela_bind_put",
	    "INSERT INTO bindings (" STORE_BINDING_COLUMNS ") "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
	    "ON CONFLICT (aor, contact) DO UPDATE SET "
	    "source = excluded.source, path = excluded.path, "
	    "call_id = excluded.call_id, cseq = excluded.cseq, "
	    "instance = excluded.instance, reg_id = excluded.reg_id, "
	    "user_agent = excluded.user_agent, q = excluded.q, "
	    "expires = excluded.expires",
	    STORE_BINDING_NCOLS },
	[PG_BIND_DEL] = { "centinela_bind_del",
	    "DELETE FROM bindings WHERE aor = $1 AND contact = $2", 2 },
	[PG_BIND_DEL_AOR] = { "centinela_bind_del_aor",
	    "DELETE FROM bindings WHERE aor = $1", 1 },
	[PG_BIND_EXPIRE] = { "centinela_bind_expire",
	    "DELETE FROM bindings WHERE expires <= $1", 1 },
	[PG_BIND_EACH] = { "centinela_bind_each",
	    "SELECT " STORE_BINDING_COLUMNS " FROM bindings "
	    "ORDER BY aor, contact",
	    0 },
};

struct pg {
	PGconn *conn;
	bool prepared[PG_NSTMT];
};

/* Query parameters in text form; numbers are formatted into num[]. */
#define PG_MAX_PARAMS                                                      \
	(STORE_ACCOUNT_NCOLS > STORE_BINDING_NCOLS ? STORE_ACCOUNT_NCOLS : \
						     STORE_BINDING_NCOLS)
struct pg_params {
	const char *v[PG_MAX_PARAMS];
	char num[PG_MAX_PARAMS][24]; /* INT64_MIN is 20 characters */
};

/*
 * The error of "res" (or of the connection when res is NULL): EEXIST
 * for a unique violation (SQLSTATE 23505), EINVAL for a data exception
 * (class 22: text that is not valid in the database encoding...), EIO
 * otherwise. Only the primary message is kept, on one line.
 */
static int
pg_fail(struct store *s, const PGresult *res, const char *what)
{
	struct pg *pg = s->be;
	const char *state = NULL, *msg = NULL;
	int err = EIO;

	if (res) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	}
	if (!msg)
		msg = PQerrorMessage(pg->conn);
	if (state && strcmp(state, "23505") == 0)
		err = EEXIST;
	else if (state && strncmp(state, "22", 2) == 0)
		err = EINVAL;
	return store_err(
	    s, err, "pgsql %s: %s", what, msg && *msg ? msg : "unknown error");
}

static bool
pg_ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	return res && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
}

/*
 * Run prepared statement "id" with "vals" (its nparams of them),
 * preparing it first if this session has not. On success *resp is the
 * result, which the caller clears.
 */
static int
pg_run(struct store *s, enum pg_stmt id, const char *const *vals,
    const char *what, PGresult **resp)
{
	struct pg *pg = s->be;
	PGresult *res;
	int err;

	if (!pg->prepared[id]) {
		res = PQprepare(pg->conn, pg_stmts[id].name, pg_stmts[id].sql,
		    pg_stmts[id].nparams, NULL);
		if (!pg_ok(res)) {
			err = pg_fail(s, res, what);
			PQclear(res);
			return err;
		}
		PQclear(res);
		pg->prepared[id] = true;
	}
	res = PQexecPrepared(pg->conn, pg_stmts[id].name, pg_stmts[id].nparams,
	    vals, NULL, NULL, 0);
	if (!pg_ok(res)) {
		err = pg_fail(s, res, what);
		PQclear(res);
		return err;
	}
	*resp = res;
	return 0;
}

/* Run a statement that returns no rows; *changed = rows affected > 0. */
static int
pg_run_cmd(struct store *s, enum pg_stmt id, const char *const *vals,
    const char *what, bool *changed)
{
	PGresult *res;
	int err;

	if ((err = pg_run(s, id, vals, what, &res)))
		return err;
	if (changed) {
		const char *n = PQcmdTuples(res);

		*changed = *n && strcmp(n, "0") != 0;
	}
	PQclear(res);
	return 0;
}

/* True when "s" is well-formed UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF). */
static bool
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char c;
	size_t n, i;

	while ((c = *p) != 0) {
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return false;
		for (i = 1; i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
		    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
			return false;
		p += n + 1;
	}
	return true;
}

/*
 * The server rejects text that is not valid in its encoding with an
 * error that aborts the whole transaction: one REGISTER with a Latin-1
 * User-Agent would cost the location writer its batch. Refuse it here
 * instead (EINVAL), before anything reaches the server. The session's
 * client encoding is UTF8 (set at open).
 */
static int
pg_check_text(
    struct store *s, const char *what, const char *name, const char *v)
{
	if (!utf8_valid(v))
		return store_err(
		    s, EINVAL, "%s %s: not valid UTF-8", what, name);
	return 0;
}

static int
pg_params_obj(struct store *s, struct pg_params *p,
    const struct store_col *cols, size_t n, const void *obj, const char *what)
{
	const char *txt;
	int64_t num;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		store_col_value(obj, &cols[i], &txt, &num);
		if (txt) {
			if ((err = pg_check_text(s, what, cols[i].name, txt)))
				return err;
		} else {
			snprintf(p->num[i], sizeof(p->num[i]), "%" PRId64, num);
			txt = p->num[i];
		}
		p->v[i] = txt;
	}
	return 0;
}

/* The key (k1, k2) of a get or del; k2 may be NULL. */
static int
pg_check_key(struct store *s, const char *n1, const char *k1, const char *n2,
    const char *k2)
{
	int err;

	if ((err = pg_check_text(s, "key", n1, k1)))
		return err;
	return k2 ? pg_check_text(s, "key", n2, k2) : 0;
}

/* Decode row "row" of "res" into "obj"; NULL reads as "" or 0. */
static int
pg_read_row(struct store *s, const PGresult *res, int row,
    const struct store_col *cols, size_t n, const char *table, void *obj)
{
	const char *v;
	int64_t num;
	size_t i;
	int err;

	if ((size_t)PQnfields(res) != n)
		return store_err(s, EIO, "pgsql %s: %d columns, want %zu",
		    table, PQnfields(res), n);
	for (i = 0; i < n; i++) {
		if (PQgetisnull(res, row, (int)i)) {
			err = cols[i].kind == STORE_COL_TEXT ?
			    store_col_set_text(
				s, obj, &cols[i], table, NULL, 0) :
			    store_col_set_num(s, obj, &cols[i], table, 0);
		} else if (cols[i].kind == STORE_COL_TEXT) {
			err = store_col_set_text(s, obj, &cols[i], table,
			    PQgetvalue(res, row, (int)i),
			    (size_t)PQgetlength(res, row, (int)i));
		} else {
			v = PQgetvalue(res, row, (int)i);
			err = store_parse_i64(s, v, table, cols[i].name, &num);
			if (!err)
				err = store_col_set_num(
				    s, obj, &cols[i], table, num);
		}
		if (err)
			return err;
	}
	return 0;
}

/* Column 0 of the only row of "res" as an integer; ENOENT when no row. */
static int
pg_single_i64(
    struct store *s, const PGresult *res, const char *what, int64_t *v)
{
	if (PQntuples(res) < 1)
		return store_err(s, ENOENT, "pgsql: no meta %s", what);
	if (PQnfields(res) < 1 || PQgetisnull(res, 0, 0))
		return store_err(s, EIO, "pgsql: meta %s is NULL", what);
	return store_parse_i64(s, PQgetvalue(res, 0, 0), "meta", what, v);
}

/* ---- connection -------------------------------------------------------------- */

/* libpq prints NOTICEs on stderr by default ("relation exists, skipping"). */
static void
pg_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int
pg_open(struct store *s, const char *uri)
{
	struct pg *pg;

	pg = calloc(1, sizeof(*pg));
	if (!pg)
		return store_err(s, ENOMEM, "pgsql: out of memory");
	s->be = pg;
	pg->conn = PQconnectdb(uri);
	if (!pg->conn)
		return store_err(s, ENOMEM, "pgsql: out of memory");
	/* PQerrorMessage names host and port, never the password. */
	if (PQstatus(pg->conn) != CONNECTION_OK)
		return store_err(s, EIO, "pgsql: %s", PQerrorMessage(pg->conn));
	PQsetNoticeProcessor(pg->conn, pg_notice, NULL);
	if (PQsetClientEncoding(pg->conn, "UTF8") != 0)
		return store_err(s, EIO,
		    "pgsql: cannot set client encoding "
		    "UTF8: %s",
		    PQerrorMessage(pg->conn));
	if (PQserverVersion(pg->conn) < PG_MIN_SERVER_VERSION)
		return store_err(s, EIO,
		    "pgsql: server version %d is too old (9.5 or newer "
		    "needed)",
		    PQserverVersion(pg->conn));
	return 0;
}

static void
pg_close(struct store *s)
{
	struct pg *pg = s->be;

	if (!pg)
		return;
	if (pg->conn)
		PQfinish(pg->conn);
	free(pg);
	s->be = NULL;
}

/* A fixed, parameter-free command or script. */
static int
pg_exec(struct store *s, const char *sql)
{
	struct pg *pg = s->be;
	PGresult *res;
	int err = 0;

	res = PQexec(pg->conn, sql);
	if (!pg_ok(res))
		err = pg_fail(s, res, "exec");
	PQclear(res);
	return err;
}

static int
pg_meta_get(struct store *s, const char *key, int64_t *value)
{
	struct pg *pg = s->be;
	const char *vals[1] = { key };
	PGresult *res;
	bool exists;
	int err;

	/*
	 * On a fresh database the table is missing: say ENOENT without
	 * an ERROR ("relation does not exist") in the server's log.
	 */
	res = PQexecParams(pg->conn, "SELECT to_regclass('meta') IS NOT NULL",
	    0, NULL, NULL, NULL, NULL, 0);
	if (!pg_ok(res) || PQntuples(res) != 1) {
		err = pg_fail(s, res, "meta");
		PQclear(res);
		return err;
	}
	exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!exists)
		return store_err(s, ENOENT, "pgsql: no meta table");
	if ((err = pg_run(s, PG_META_GET, vals, "meta", &res)))
		return err;
	err = pg_single_i64(s, res, key, value);
	PQclear(res);
	return err;
}

static int
pg_meta_set(struct store *s, const char *key, int64_t value)
{
	char num[24];
	const char *vals[2] = { key, num };

	snprintf(num, sizeof(num), "%" PRId64, value);
	return pg_run_cmd(s, PG_META_SET, vals, "meta", NULL);
}

/* ---- transactions -------------------------------------------------------------- */

static int
pg_begin(struct store *s)
{
	return pg_exec(s, "BEGIN");
}

static int
pg_rollback(struct store *s)
{
	struct pg *pg = s->be;

	if (PQtransactionStatus(pg->conn) == PQTRANS_IDLE)
		return 0;
	return pg_exec(s, "ROLLBACK");
}

static int
pg_commit(struct store *s)
{
	struct pg *pg = s->be;
	PGresult *res;
	int err = 0;

	res = PQexec(pg->conn, "COMMIT");
	if (!pg_ok(res))
		err = pg_fail(s, res, "commit");
	/*
	 * COMMIT of a transaction an earlier error aborted "succeeds" with
	 * the tag ROLLBACK: the writes are gone, say so.
	 */
	else if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0)
		err = store_err(s, EIO,
		    "pgsql commit: the transaction had "
		    "failed and was rolled back");
	PQclear(res);
	if (err && PQtransactionStatus(pg->conn) != PQTRANS_IDLE)
		(void)pg_exec(s, "ROLLBACK");
	return err;
}

/* ---- rows --------------------------------------------------------------------- */

static int
pg_account_add(struct store *s, const struct account *a)
{
	struct pg_params p;
	bool changed = false;
	int err;

	if ((err = pg_params_obj(
		 s, &p, store_account_cols, STORE_ACCOUNT_NCOLS, a, "account")))
		return err;
	/* ON CONFLICT DO NOTHING: a duplicate must not abort the txn. */
	if ((err = pg_run_cmd(s, PG_ACC_ADD, p.v, "account add", &changed)))
		return err;
	if (!changed)
		return store_err(
		    s, EEXIST, "account %s@%s exists", a->user, a->domain);
	return 0;
}

static int
pg_account_get(
    struct store *s, const char *user, const char *domain, struct account *a)
{
	const char *vals[2] = { user, domain };
	PGresult *res;
	int err;

	if ((err = pg_check_key(s, "user", user, "domain", domain)) ||
	    (err = pg_run(s, PG_ACC_GET, vals, "account get", &res)))
		return err;
	if (PQntuples(res) < 1)
		err = store_err(s, ENOENT, "no account %s@%s", user, domain);
	else
		err = pg_read_row(s, res, 0, store_account_cols,
		    STORE_ACCOUNT_NCOLS, "accounts", a);
	PQclear(res);
	return err;
}

static int
pg_account_update(struct store *s, const struct account *a)
{
	struct pg_params p;
	bool changed = false;
	int err;

	if ((err = pg_params_obj(
		 s, &p, store_account_cols, STORE_ACCOUNT_NCOLS, a, "account")))
		return err;
	if ((err = pg_run_cmd(
		 s, PG_ACC_UPDATE, p.v, "account update", &changed)))
		return err;
	if (!changed)
		return store_err(
		    s, ENOENT, "no account %s@%s", a->user, a->domain);
	return 0;
}

static int
pg_account_del(struct store *s, const char *user, const char *domain)
{
	const char *vals[2] = { user, domain };
	bool changed = false;
	int err;

	if ((err = pg_check_key(s, "user", user, "domain", domain)) ||
	    (err = pg_run_cmd(s, PG_ACC_DEL, vals, "account del", &changed)))
		return err;
	if (!changed)
		return store_err(s, ENOENT, "no account %s@%s", user, domain);
	return 0;
}

/*
 * The whole result is fetched before the first callback; fine for
 * accounts and bindings at registrar scale (single-row mode would be
 * the step up).
 */
static int
pg_account_each(struct store *s, store_account_h *h, void *arg)
{
	struct account a;
	PGresult *res;
	int i, n, err;

	if ((err = pg_run(s, PG_ACC_EACH, NULL, "account each", &res)))
		return err;
	n = PQntuples(res);
	for (i = 0; i < n && !err; i++) {
		memset(&a, 0, sizeof(a));
		err = pg_read_row(s, res, i, store_account_cols,
		    STORE_ACCOUNT_NCOLS, "accounts", &a);
		if (!err)
			err = h(&a, arg);
	}
	PQclear(res);
	return err;
}

static int
pg_generation_bump(struct store *s)
{
	bool changed = false;
	int err;

	if ((err = pg_run_cmd(s, PG_GEN_BUMP, NULL, "generation", &changed)))
		return err;
	if (!changed)
		return store_err(s, EIO, "pgsql: meta generation row missing");
	return 0;
}

static int
pg_generation(struct store *s, int64_t *gen)
{
	PGresult *res;
	int err;

	if ((err = pg_run(s, PG_GEN_GET, NULL, "generation", &res)))
		return err;
	err = pg_single_i64(s, res, "generation", gen);
	if (err == ENOENT)
		err = store_err(s, EIO, "pgsql: meta generation row missing");
	PQclear(res);
	return err;
}

static int
pg_binding_put(struct store *s, const struct binding *b)
{
	struct pg_params p;
	int err;

	if ((err = pg_params_obj(
		 s, &p, store_binding_cols, STORE_BINDING_NCOLS, b, "binding")))
		return err;
	return pg_run_cmd(s, PG_BIND_PUT, p.v, "binding put", NULL);
}

static int
pg_binding_del(struct store *s, const char *aor, const char *contact)
{
	const char *vals[2] = { aor, contact };
	bool changed = false;
	int err;

	if ((err = pg_check_key(s, "aor", aor, "contact", contact)) ||
	    (err = pg_run_cmd(s, PG_BIND_DEL, vals, "binding del", &changed)))
		return err;
	if (!changed)
		return store_err(
		    s, ENOENT, "no binding %s -> %s", aor, contact);
	return 0;
}

static int
pg_binding_del_aor(struct store *s, const char *aor)
{
	const char *vals[1] = { aor };
	int err;

	if ((err = pg_check_key(s, "aor", aor, NULL, NULL)))
		return err;
	return pg_run_cmd(s, PG_BIND_DEL_AOR, vals, "binding del", NULL);
}

static int
pg_binding_expire(struct store *s, int64_t now)
{
	char num[24];
	const char *vals[1] = { num };

	snprintf(num, sizeof(num), "%" PRId64, now);
	return pg_run_cmd(s, PG_BIND_EXPIRE, vals, "binding expire", NULL);
}

static int
pg_binding_each(struct store *s, store_binding_h *h, void *arg)
{
	struct binding b;
	PGresult *res;
	int i, n, err;

	if ((err = pg_run(s, PG_BIND_EACH, NULL, "binding each", &res)))
		return err;
	n = PQntuples(res);
	for (i = 0; i < n && !err; i++) {
		memset(&b, 0, sizeof(b));
		err = pg_read_row(s, res, i, store_binding_cols,
		    STORE_BINDING_NCOLS, "bindings", &b);
		if (!err)
			err = h(&b, arg);
	}
	PQclear(res);
	return err;
}

const struct store_ops store_pgsql_ops = {
	.name = "pgsql",
	.schema = &pg_schema,
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.meta_get = pg_meta_get,
	.meta_set = pg_meta_set,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.account_add = pg_account_add,
	.account_get = pg_account_get,
	.account_update = pg_account_update,
	.account_del = pg_account_del,
	.account_each = pg_account_each,
	.generation_bump = pg_generation_bump,
	.generation = pg_generation,
	.binding_put = pg_binding_put,
	.binding_del = pg_binding_del,
	.binding_del_aor = pg_binding_del_aor,
	.binding_expire = pg_binding_expire,
	.binding_each = pg_binding_each,
};

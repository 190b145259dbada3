/*
 * store/pgsql.c -- the PostgreSQL backend ("postgresql://..." or
 * "postgres://...", handed to libpq as a connection URI).
 *
 * Every value travels as a query parameter: the statements of
 * store/store_sql.c are prepared once per connection (on first use)
 * and run with PQexecPrepared; only the fixed migration scripts and
 * BEGIN/COMMIT/ROLLBACK go through PQexec. Key columns use the "C"
 * collation so the walks come out in byte order whatever the database's
 * locale, as on SQLite. Walks read one row at a time (libpq single-row
 * mode), so a walk of the two million rows of the numbering register
 * does not hold them all in memory; bulk imports go through COPY. A lost
 * connection is EIO on every call: the caller closes and reopens (the
 * prepared statements die with the session).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
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

/* Version 2: the guard's state (bans, history, allowlist, commands). */
static const char pg_v2[] = STORE_SCHEMA_V2(
    "text COLLATE \"C\" NOT NULL", "text", "bigint", "bigserial PRIMARY KEY");

/* Version 3: the caller-ID numbering data and blocking counters. */
static const char pg_v3[] = STORE_SCHEMA_V3("text COLLATE \"C\" NOT NULL",
    "text", "bigint", "bigserial PRIMARY KEY", "");

/* Version 4: the alerts and their deliveries. */
static const char pg_v4[] =
    STORE_SCHEMA_V4("text COLLATE \"C\" NOT NULL", "text", "bigint", "");

/* Version 5: the fraud engine's per-subject state. */
static const char pg_v5[] =
    STORE_SCHEMA_V5("text COLLATE \"C\" NOT NULL", "text", "bigint", "");

/* Version 6: sealed device secrets, certificate bindings, devices. */
static const char pg_v6[] =
    STORE_SCHEMA_V6("text COLLATE \"C\" NOT NULL", "text", "bigint", "");

static const char *const pg_steps[] = { pg_v1, pg_v2, pg_v3, pg_v4, pg_v5,
	pg_v6 };

_Static_assert(sizeof(pg_steps) / sizeof(pg_steps[0]) == STORE_SCHEMA_VERSION,
    "one PostgreSQL migration step per schema version");

static const struct store_schema pg_schema = {
	.bootstrap = pg_bootstrap,
	.steps = pg_steps,
	.nsteps = sizeof(pg_steps) / sizeof(pg_steps[0]),
};

/* ---- statements ------------------------------------------------------------- */

/* COPY data is sent in chunks of about this size. */
#define PG_COPY_CHUNK 65536

struct pg {
	PGconn *conn;
	bool prepared[STORE_NSTMT]; /* store_sql[i] in this session */
	/* An open bulk load. */
	enum store_stmt bulk_stmt;
	bool copying; /* in COPY FROM STDIN, rows buffered in buf */
	char *buf;
	size_t len, cap;
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

/* Decode row "row" of "res" into "obj"; NULL reads as "" or 0. */
static int
pg_read_row(struct store *s, const PGresult *res, int row,
    const struct store_table *t, void *obj)
{
	const struct store_col *cols = t->cols;
	const char *table = t->name, *v;
	size_t i, n = t->ncols;
	int64_t num;
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
	free(pg->buf);
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

/*
 * On a fresh database the meta table is missing: say ENOENT without an
 * ERROR ("relation does not exist") in the server's log.
 */
static int
pg_probe(struct store *s)
{
	struct pg *pg = s->be;
	PGresult *res;
	bool exists;
	int err;

	res = PQexecParams(pg->conn, "SELECT to_regclass('meta') IS NOT NULL",
	    0, NULL, NULL, NULL, NULL, 0);
	if (!pg_ok(res) || PQntuples(res) != 1) {
		err = pg_fail(s, res, "meta");
		PQclear(res);
		return err;
	}
	exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return exists ? 0 : store_err(s, ENOENT, "pgsql: no meta table");
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

/* ---- queries ------------------------------------------------------------------ */

/*
 * The parameters of "q" in text form, numbers formatted into num[].
 * The server would reject text that is not valid in its encoding with
 * an error that aborts the whole transaction: one REGISTER with a
 * Latin-1 User-Agent would cost the location writer its batch. Refuse
 * it here instead (EINVAL), before anything reaches the server. The
 * session's client encoding is UTF8 (set at open).
 */
static int
pg_params(struct store *s, const struct store_query *q, const char **vals,
    char (*num)[24])
{
	size_t i;

	if (q->nv > STORE_PARAMS_MAX)
		return store_err(s, EINVAL, "pgsql %s: %zu parameters",
		    store_sql[q->stmt].name, q->nv);
	for (i = 0; i < q->nv; i++) {
		if (q->v[i].txt && !utf8_valid(q->v[i].txt))
			return store_err(s, EINVAL,
			    "pgsql %s: %s: not valid UTF-8",
			    store_sql[q->stmt].name, q->v[i].name);
		if (q->v[i].txt) {
			vals[i] = q->v[i].txt;
		} else {
			snprintf(
			    num[i], sizeof(num[i]), "%" PRId64, q->v[i].num);
			vals[i] = num[i];
		}
	}
	return 0;
}

/* Prepare store_sql[stmt] in this session unless done ("centinela_NAME"). */
static int
pg_prepare(struct store *s, enum store_stmt stmt, char *name, size_t cap)
{
	struct pg *pg = s->be;
	PGresult *res;
	int err;

	snprintf(name, cap, "centinela_%s", store_sql[stmt].name);
	if (pg->prepared[stmt])
		return 0;
	res = PQprepare(pg->conn, name, store_sql[stmt].sql, 0, NULL);
	if (!pg_ok(res)) {
		err = pg_fail(s, res, store_sql[stmt].name);
		PQclear(res);
		return err;
	}
	PQclear(res);
	pg->prepared[stmt] = true;
	return 0;
}

/*
 * Run store_sql[q->stmt], preparing it first if this session has not
 * (the server infers the parameter types). A walk reads its rows one
 * at a time (single-row mode); after an error or a stop from the
 * callback the rest of the result is drained, so the connection is
 * ready for the next statement.
 */
static int
pg_query(struct store *s, struct store_query *q)
{
	struct pg *pg = s->be;
	const char *what = store_sql[q->stmt].name;
	const char *vals[STORE_PARAMS_MAX];
	char num[STORE_PARAMS_MAX][24]; /* INT64_MIN is 20 characters */
	char name[64];
	union store_row row;
	ExecStatusType st;
	PGresult *res;
	int i, n, err;

	if ((err = pg_params(s, q, vals, num)) ||
	    (err = pg_prepare(s, q->stmt, name, sizeof(name))))
		return err;
	if (!PQsendQueryPrepared(
		pg->conn, name, (int)q->nv, vals, NULL, NULL, 0))
		return pg_fail(s, NULL, what);
	if (q->t)
		(void)PQsetSingleRowMode(pg->conn);
	while ((res = PQgetResult(pg->conn))) {
		st = PQresultStatus(res);
		if (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK ||
		    st == PGRES_COMMAND_OK) {
			n = q->t ? PQntuples(res) : 0;
			for (i = 0; i < n && !err; i++) {
				memset(&row, 0, sizeof(row));
				err = pg_read_row(s, res, i, q->t, &row);
				if (!err)
					err = q->h(&row, q->arg);
			}
			/* "INSERT 0 1", "DELETE 3": PQcmdTuples has it. */
			if (st != PGRES_SINGLE_TUPLE)
				q->changes =
				    strtoull(PQcmdTuples(res), NULL, 10);
		} else if (!err) {
			err = pg_fail(s, res, what);
		}
		PQclear(res);
	}
	return err;
}

/* ---- bulk loads ------------------------------------------------------------------ */

/*
 * A statement with a COPY target loads its rows with COPY ... FROM
 * STDIN in text format, buffered into chunks; any other runs once per
 * row. A COPY error (a duplicate key...) shows at bulk_end.
 */
static int
pg_bulk_begin(struct store *s, enum store_stmt stmt)
{
	struct pg *pg = s->be;
	char sql[512];
	PGresult *res;
	int err = 0;

	pg->bulk_stmt = stmt;
	pg->copying = false;
	pg->len = 0;
	if (!store_sql[stmt].copy)
		return 0;
	snprintf(sql, sizeof(sql), "COPY %s FROM STDIN", store_sql[stmt].copy);
	res = PQexec(pg->conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN)
		err = pg_fail(s, res, store_sql[stmt].name);
	else
		pg->copying = true;
	PQclear(res);
	return err;
}

/* Room for "need" more bytes in the COPY buffer. */
static int
pg_buf_room(struct store *s, size_t need)
{
	struct pg *pg = s->be;
	size_t cap;
	char *nb;

	if (pg->len + need <= pg->cap)
		return 0;
	cap = pg->cap ? pg->cap : PG_COPY_CHUNK * 2;
	while (cap < pg->len + need)
		cap *= 2;
	if (!(nb = realloc(pg->buf, cap)))
		return store_err(s, ENOMEM, "pgsql: out of memory");
	pg->buf = nb;
	pg->cap = cap;
	return 0;
}

/* Append "v" to the COPY buffer in text format (escaped). */
static int
pg_copy_value(struct store *s, const struct store_val *v)
{
	struct pg *pg = s->be;
	char num[24];
	const char *p;
	size_t n;
	int err;

	if (!v->txt) {
		n = (size_t)snprintf(num, sizeof(num), "%" PRId64, v->num);
		if ((err = pg_buf_room(s, n)))
			return err;
		memcpy(pg->buf + pg->len, num, n);
		pg->len += n;
		return 0;
	}
	/* At most two bytes out per byte in. */
	if ((err = pg_buf_room(s, 2 * strlen(v->txt))))
		return err;
	for (p = v->txt; *p; p++) {
		char c = *p, e = 0;

		if (c == '\\')
			e = '\\';
		else if (c == '\t')
			e = 't';
		else if (c == '\n')
			e = 'n';
		else if (c == '\r')
			e = 'r';
		if (e) {
			pg->buf[pg->len++] = '\\';
			pg->buf[pg->len++] = e;
		} else
			pg->buf[pg->len++] = c;
	}
	return 0;
}

static int
pg_copy_flush(struct store *s)
{
	struct pg *pg = s->be;

	if (pg->len && PQputCopyData(pg->conn, pg->buf, (int)pg->len) != 1)
		return pg_fail(s, NULL, store_sql[pg->bulk_stmt].name);
	pg->len = 0;
	return 0;
}

static int
pg_bulk_row(struct store *s, const struct store_val *v, size_t nv)
{
	struct pg *pg = s->be;
	struct store_query q = { .stmt = pg->bulk_stmt, .v = v, .nv = nv };
	const char *what = store_sql[pg->bulk_stmt].name;
	size_t i;
	int err;

	if (!pg->copying)
		return pg_query(s, &q);
	if (nv > STORE_PARAMS_MAX)
		return store_err(
		    s, EINVAL, "pgsql %s: %zu parameters", what, nv);
	/* Checked before a byte of the row is buffered. */
	for (i = 0; i < nv; i++)
		if (v[i].txt && !utf8_valid(v[i].txt))
			return store_err(s, EINVAL,
			    "pgsql %s: %s: not valid UTF-8", what, v[i].name);
	for (i = 0; i < nv; i++) {
		if ((err = pg_buf_room(s, 1)))
			return err;
		if (i)
			pg->buf[pg->len++] = '\t';
		if ((err = pg_copy_value(s, &v[i])))
			return err;
	}
	if ((err = pg_buf_room(s, 1)))
		return err;
	pg->buf[pg->len++] = '\n';
	return pg->len >= PG_COPY_CHUNK ? pg_copy_flush(s) : 0;
}

static int
pg_bulk_end(struct store *s, bool ok)
{
	struct pg *pg = s->be;
	const char *what = store_sql[pg->bulk_stmt].name;
	PGresult *res;
	int err = 0;

	if (!pg->copying)
		return 0;
	pg->copying = false;
	if (ok)
		err = pg_copy_flush(s);
	pg->len = 0;
	if (PQputCopyEnd(pg->conn, ok && !err ? NULL : "import aborted") != 1 &&
	    !err)
		err = pg_fail(s, NULL, what);
	while ((res = PQgetResult(pg->conn))) {
		if (!pg_ok(res) && !err && ok)
			err = pg_fail(s, res, what);
		PQclear(res);
	}
	return err;
}

const struct store_ops store_pgsql_ops = {
	.name = "pgsql",
	.schema = &pg_schema,
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.probe = pg_probe,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.query = pg_query,
	.bulk_begin = pg_bulk_begin,
	.bulk_row = pg_bulk_row,
	.bulk_end = pg_bulk_end,
};

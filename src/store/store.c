/*
 * store/store.c -- the store front end: URI dispatch to a backend,
 * argument checks, transactions, schema migrations, error messages, the
 * generic row operations (a struct to parameters and back, through the
 * column tables of store/store_sql.c), accounts and bindings. The
 * guard's state is in store/store_ban.c, the numbering data in
 * store/store_num.c, the alerts in store/store_alert.c, the fraud
 * engine's subjects in store/store_fraud.c, the provisioned devices in
 * store/store_device.c.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_int.h"

/* ---- backends ------------------------------------------------------------ */

/* URI prefix -> backend; "strip" hands the backend what follows it. */
static const struct {
	const char *prefix;
	bool strip;
	const struct store_ops *ops;
} backends[] = {
	{ "sqlite:", true, &store_sqlite_ops },
	{ "postgresql://", false, &store_pgsql_ops },
	{ "postgres://", false, &store_pgsql_ops },
};

/* ---- messages -------------------------------------------------------------- */

int
store_err(struct store *s, int err, const char *fmt, ...)
{
	va_list ap;
	char *p, *q;

	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	/*
	 * libpq messages span lines ("...failed: Connection refused\n\tIs
	 * the server running..."): fold each run of control characters
	 * into one space so a log line stays one line.
	 */
	for (p = q = s->errmsg; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			if (q > s->errmsg && q[-1] != ' ')
				*q++ = ' ';
		} else {
			*q++ = *p;
		}
	}
	while (q > s->errmsg && q[-1] == ' ')
		q--;
	*q = '\0';
	return err;
}

/*
 * Run "rollback" of the backend without losing the message of the
 * error that made us roll back.
 */
void
store_rollback_quietly(struct store *s)
{
	char saved[STORE_ERRMSG_MAX];

	memcpy(saved, s->errmsg, sizeof(saved));
	(void)s->ops->rollback(s);
	memcpy(s->errmsg, saved, sizeof(saved));
}

/* ---- columns --------------------------------------------------------------- */

/* The value of column "c" of "obj" as a query parameter. */
static void
col_value(
    const void *obj, const struct store_col *c, const char **txt, int64_t *num)
{
	const char *p = (const char *)obj + c->off;

	*txt = NULL;
	*num = 0;
	switch (c->kind) {
	case STORE_COL_TEXT:
		*txt = p;
		break;
	case STORE_COL_I64:
		memcpy(num, p, sizeof(*num));
		break;
	case STORE_COL_U32: {
		uint32_t v;

		memcpy(&v, p, sizeof(v));
		*num = v;
		break;
	}
	case STORE_COL_STATUS: {
		enum account_status v;

		memcpy(&v, p, sizeof(v));
		*num = (int64_t)v;
		break;
	}
	}
}

int
store_col_set_text(struct store *s, void *obj, const struct store_col *c,
    const char *table, const char *txt, size_t len)
{
	char *dst = (char *)obj + c->off;

	if (c->kind != STORE_COL_TEXT)
		return store_err(
		    s, EIO, "%s.%s: not a text column", table, c->name);
	if (!txt)
		len = 0;
	if (len >= c->size)
		return store_err(s, EIO,
		    "%s.%s: the database holds %zu bytes, more than the %zu "
		    "this program accepts",
		    table, c->name, len, c->size - 1);
	if (len && memchr(txt, '\0', len))
		return store_err(
		    s, EIO, "%s.%s: value holds a NUL byte", table, c->name);
	if (len)
		memcpy(dst, txt, len);
	dst[len] = '\0';
	return 0;
}

int
store_col_set_num(struct store *s, void *obj, const struct store_col *c,
    const char *table, int64_t v)
{
	char *dst = (char *)obj + c->off;

	switch (c->kind) {
	case STORE_COL_I64:
		memcpy(dst, &v, sizeof(v));
		return 0;
	case STORE_COL_U32: {
		uint32_t u;

		if (v < 0 || v > UINT32_MAX)
			break;
		u = (uint32_t)v;
		memcpy(dst, &u, sizeof(u));
		return 0;
	}
	case STORE_COL_STATUS: {
		enum account_status st;

		if (v != ACCOUNT_ACTIVE && v != ACCOUNT_SUSPENDED)
			break;
		st = (enum account_status)v;
		memcpy(dst, &st, sizeof(st));
		return 0;
	}
	case STORE_COL_TEXT:
		return store_err(
		    s, EIO, "%s.%s: not an integer column", table, c->name);
	}
	return store_err(s, EIO, "%s.%s: value %" PRId64 " is out of range",
	    table, c->name, v);
}

int
store_parse_i64(struct store *s, const char *txt, const char *table,
    const char *col, int64_t *out)
{
	long long v;
	char *end;

	if (!txt || !*txt)
		return store_err(s, EIO, "%s.%s: empty integer", table, col);
	errno = 0;
	v = strtoll(txt, &end, 10);
	if (errno || *end)
		return store_err(s, EIO, "%s.%s: \"%.32s\" is not an integer",
		    table, col, txt);
	*out = (int64_t)v;
	return 0;
}

int
store_check_obj(struct store *s, const struct store_table *t, const void *obj)
{
	const struct store_col *c;
	const char *p;
	size_t i;

	if (!obj)
		return store_err(s, EINVAL, "%s: NULL", t->what);
	for (i = 0; i < t->ncols; i++) {
		c = &t->cols[i];
		if (c->kind != STORE_COL_TEXT)
			continue;
		p = (const char *)obj + c->off;
		if (!memchr(p, '\0', c->size))
			return store_err(s, EINVAL,
			    "%s %s: longer than %zu bytes or not terminated",
			    t->what, c->name, c->size - 1);
		if (c->key && !*p)
			return store_err(
			    s, EINVAL, "%s %s: empty", t->what, c->name);
	}
	return 0;
}

int
store_check_key(struct store *s, const char *name, const char *v, size_t max)
{
	if (!v || !*v)
		return store_err(s, EINVAL, "%s: missing or empty", name);
	if (strnlen(v, max) >= max)
		return store_err(
		    s, EINVAL, "%s: longer than %zu bytes", name, max - 1);
	return 0;
}

int
store_check(struct store *s)
{
	if (!s)
		return EINVAL;
	if (s->in_walk)
		return store_err(s, EINVAL,
		    "store called from inside its own *_each() callback");
	if (s->imp_table)
		return store_err(
		    s, EINVAL, "an import is open: commit or abort it first");
	return 0;
}

int
store_check_word(struct store *s, const struct store_table *t, const void *obj,
    const char *col, const struct store_words *words)
{
	const struct store_col *c = NULL;
	const char *v;
	size_t i;
	int err;

	if ((err = store_check_obj(s, t, obj)))
		return err;
	for (i = 0; i < t->ncols && !c; i++)
		if (strcmp(t->cols[i].name, col) == 0)
			c = &t->cols[i];
	if (!c || c->kind != STORE_COL_TEXT)
		return store_err(
		    s, EINVAL, "%s: no text column %s", t->name, col);
	v = (const char *)obj + c->off;
	for (i = 0; words->w[i]; i++)
		if (strcmp(v, words->w[i]) == 0)
			return 0;
	return store_err(s, EINVAL, "%s %s: \"%s\" is not %s", t->what, c->name,
	    v, words->list);
}

int
store_check_each(struct store *s, bool handler, const char *what)
{
	int err;

	if ((err = store_check(s)))
		return err;
	if (!handler)
		return store_err(s, EINVAL, "%s: no handler", what);
	return 0;
}

/* ---- generic row operations ------------------------------------------------- */

size_t
store_obj_vals(
    const struct store_table *t, const void *obj, struct store_val *v)
{
	size_t i, n = 0;

	for (i = t->serial ? 1 : 0; i < t->ncols; i++, n++) {
		v[n].name = t->cols[i].name;
		col_value(obj, &t->cols[i], &v[n].txt, &v[n].num);
	}
	return n;
}

/* The key texts v[0 .. nkey - 1] for a message: "alice@example.com". */
static void
key_text(const struct store_table *t, const struct store_val *v, size_t nkey,
    char *buf, size_t len)
{
	size_t i, at = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < nkey && at < len; i++) {
		n = snprintf(buf + at, len - at, "%s%s", i ? t->key_sep : "",
		    v[i].txt ? v[i].txt : "");
		if (n < 0)
			break;
		at += (size_t)n;
	}
}

/* Copies the first row a statement returns and counts them. */
struct first_row {
	const struct store_table *t;
	void *dst; /* may be NULL */
	size_t n;
};

static int
copy_first(const void *row, void *arg)
{
	struct first_row *fr = arg;

	if (fr->n++ == 0 && fr->dst)
		memcpy(fr->dst, row, fr->t->size);
	return 0;
}

int
store_row_first(struct store *s, enum store_stmt stmt,
    const struct store_val *v, size_t nv, const struct store_table *t,
    void *dst, bool *found)
{
	struct first_row fr = { t, dst, 0 };
	struct store_query q = { .stmt = stmt,
		.v = v,
		.nv = nv,
		.t = t,
		.h = copy_first,
		.arg = &fr };
	int err;

	err = s->ops->query(s, &q);
	*found = !err && (fr.n > 0 || q.changes > 0);
	return err;
}

int
store_run(struct store *s, enum store_stmt stmt, const struct store_val *v,
    size_t nv, uint64_t *changes)
{
	struct store_query q = { .stmt = stmt, .v = v, .nv = nv };
	int err;

	err = s->ops->query(s, &q);
	if (!err && changes)
		*changes = q.changes;
	return err;
}

int
store_obj_write(struct store *s, enum store_stmt stmt,
    const struct store_table *t, const void *obj, int none, int64_t *id)
{
	struct store_val v[STORE_PARAMS_MAX];
	char key[STORE_ERRMSG_MAX];
	int64_t newid = 0;
	bool found;
	size_t n;
	int err;

	if ((err = store_check_obj(s, t, obj)))
		return err;
	n = store_obj_vals(t, obj, v);
	err = store_row_first(
	    s, stmt, v, n, id ? &store_i64 : NULL, &newid, &found);
	if (err)
		return err;
	if (!found && none) {
		key_text(t, v, t->nkey, key, sizeof(key));
		return none == EEXIST ?
		    store_err(s, none, "%s %s exists", t->what, key) :
		    store_err(s, none, "no %s %s", t->what, key);
	}
	if (id) {
		/* Both backends count ids from 1. */
		if (newid <= 0)
			return store_err(
			    s, EIO, "%s: no id assigned", store_sql[stmt].name);
		*id = newid;
	}
	return 0;
}

int
store_key_run(struct store *s, enum store_stmt stmt,
    const struct store_table *t, const char *const *key, size_t nkey, void *obj,
    bool must)
{
	struct store_val v[STORE_PARAMS_MAX];
	char txt[STORE_ERRMSG_MAX];
	bool found;
	size_t i;
	int err;

	if (nkey > t->ncols || nkey > STORE_PARAMS_MAX)
		return store_err(s, EINVAL, "%s: %zu key values",
		    store_sql[stmt].name, nkey);
	for (i = 0; i < nkey; i++) {
		err = store_check_key(
		    s, t->cols[i].name, key[i], t->cols[i].size);
		if (err)
			return err;
		v[i] = (struct store_val){ t->cols[i].name, key[i], 0 };
	}
	if (obj)
		memset(obj, 0, t->size);
	err = store_row_first(s, stmt, v, nkey, obj ? t : NULL, obj, &found);
	if (!err && !found && must) {
		key_text(t, v, nkey, txt, sizeof(txt));
		err = store_err(s, ENOENT, "no %s %s", t->what, txt);
	}
	return err;
}

/* A walk: the typed handler of the public call behind the generic one. */
struct walk {
	const struct store_table *t;
	union store_each_h h;
	void *arg;
};

static int
walk_row(const void *row, void *arg)
{
	const struct walk *w = arg;

	switch (w->t->kind) {
	case STORE_ROW_ACCOUNT:
		return w->h.account(row, w->arg);
	case STORE_ROW_BINDING:
		return w->h.binding(row, w->arg);
	case STORE_ROW_BAN:
		return w->h.ban(row, w->arg);
	case STORE_ROW_BAN_EVENT:
		return w->h.event(row, w->arg);
	case STORE_ROW_ALLOW:
		return w->h.allow(row, w->arg);
	case STORE_ROW_BAN_CMD:
		return w->h.cmd(row, w->arg);
	case STORE_ROW_NUM_RANGE:
		return w->h.range(row, w->arg);
	case STORE_ROW_NUM_OWN:
		return w->h.own(row, w->arg);
	case STORE_ROW_NUM_EXC:
		return w->h.exc(row, w->arg);
	case STORE_ROW_SMS_ALIAS:
		return w->h.alias(row, w->arg);
	case STORE_ROW_ROBINSON:
		return w->h.robinson(row, w->arg);
	case STORE_ROW_CID_BLOCK:
		return w->h.block(row, w->arg);
	case STORE_ROW_ALERT:
		return w->h.alert(row, w->arg);
	case STORE_ROW_ALERT_DLV:
		return w->h.dlv(row, w->arg);
	case STORE_ROW_ALERT_DUE: {
		const struct alert_due *due = row;

		return w->h.due(&due->a, &due->d, w->arg);
	}
	case STORE_ROW_FRAUD:
		return w->h.fraud(row, w->arg);
	case STORE_ROW_DEVICE:
		return w->h.device(row, w->arg);
	case STORE_ROW_NUM_DATASET:
	case STORE_ROW_I64:
		break;
	}
	return EINVAL;
}

int
store_walk(struct store *s, enum store_stmt stmt, const struct store_table *t,
    const struct store_val *v, size_t nv, union store_each_h h, void *arg)
{
	struct walk w = { t, h, arg };
	struct store_query q = {
		.stmt = stmt, .v = v, .nv = nv, .t = t, .h = walk_row, .arg = &w
	};
	int err;

	s->in_walk = true;
	err = s->ops->query(s, &q);
	s->in_walk = false;
	return err;
}

/* ---- meta ---------------------------------------------------------------------- */

/* meta[key]; ENOENT when the row (or, SQLite, the table) is missing. */
static int
meta_get(struct store *s, const char *key, int64_t *value)
{
	const struct store_val v[] = { { "key", key, 0 } };
	bool found;
	int err;

	err =
	    store_row_first(s, STORE_META_GET, v, 1, &store_i64, value, &found);
	if (!err && !found)
		err = store_err(s, ENOENT, "%s: no meta %s", s->ops->name, key);
	return err;
}

int
store_meta_set(struct store *s, const char *key, int64_t value)
{
	const struct store_val v[] = { { "key", key, 0 },
		{ "value", NULL, value } };

	return store_run(s, STORE_META_SET, v, 2, NULL);
}

int
store_meta_bump(struct store *s, const char *key)
{
	const struct store_val v[] = { { "key", key, 0 } };
	uint64_t changes = 0;
	int err;

	if ((err = store_run(s, STORE_META_BUMP, v, 1, &changes)))
		return err;
	if (changes != 1)
		return store_err(
		    s, EIO, "%s: meta %s row missing", s->ops->name, key);
	return 0;
}

int
store_meta_value(struct store *s, const char *key, int64_t *gen)
{
	int err;

	if ((err = store_check(s)))
		return err;
	if (!gen)
		return store_err(s, EINVAL, "%s: NULL", key);
	err = meta_get(s, key, gen);
	if (err == ENOENT)
		err = store_err(
		    s, EIO, "%s: meta %s row missing", s->ops->name, key);
	return err;
}

/* ---- open, close, migrations ---------------------------------------------- */

/* A database newer than this program is refused, untouched. */
static int
check_version(struct store *s, int64_t v)
{
	size_t n = s->ops->schema->nsteps;

	if (v < 0)
		return store_err(s, EIO,
		    "%s: schema version %" PRId64 " is invalid", s->ops->name,
		    v);
	if (v > (int64_t)n)
		return store_err(s, EIO,
		    "%s: database schema version %" PRId64 " is newer than "
		    "this program's %zu: upgrade centinela, or use another "
		    "database",
		    s->ops->name, v, n);
	return 0;
}

/*
 * Bring the schema to STORE_SCHEMA_VERSION. The common case, a database
 * already at this version, is one read without a write lock (a second
 * connection opening while the location writer holds a transaction does
 * not wait). Otherwise, inside one transaction: the bootstrap creates
 * "meta" when missing, the version is read again (another program may
 * have migrated meanwhile), the steps from there on are applied and the
 * version recorded. Either all of it happens or none.
 */
static int
migrate(struct store *s)
{
	const struct store_schema *sc = s->ops->schema;
	int64_t v = 0;
	size_t i;
	int err;

	/* Any error here (no meta table yet) sends us the long way. */
	if ((!s->ops->probe || s->ops->probe(s) == 0) &&
	    meta_get(s, STORE_META_VERSION, &v) == 0) {
		if ((err = check_version(s, v)))
			return err;
		if (v == (int64_t)sc->nsteps)
			goto done;
	}
	err = s->ops->begin(s);
	if (err)
		return err;
	err = s->ops->exec(s, sc->bootstrap);
	if (err)
		goto out;
	err = meta_get(s, STORE_META_VERSION, &v);
	if (err == ENOENT) {
		v = 0;
		err = 0;
	}
	if (err || (err = check_version(s, v)))
		goto out;
	for (i = (size_t)v; i < sc->nsteps; i++) {
		err = s->ops->exec(s, sc->steps[i]);
		if (err) {
			char why[STORE_ERRMSG_MAX];

			memcpy(why, s->errmsg, sizeof(why));
			err = store_err(s, err,
			    "schema migration %zu -> %zu failed: %s", i, i + 1,
			    why);
			goto out;
		}
	}
	if (v != (int64_t)sc->nsteps)
		err =
		    store_meta_set(s, STORE_META_VERSION, (int64_t)sc->nsteps);
	if (err)
		goto out;
	if ((err = s->ops->commit(s)))
		return err;
done:
	s->version = (int)sc->nsteps;
	s->errmsg[0] = '\0';
	return 0;
out:
	store_rollback_quietly(s);
	return err;
}

/*
 * Open "uri" and bring its schema up to date. On success *sp owns a new
 * connection (release it with store_close()). On failure returns
 * EINVAL (NULL argument, unknown scheme, empty path), ENOENT, ENOTDIR
 * or EACCES (the SQLite file's directory), EISDIR (the path is one),
 * ENOMEM, or EIO (the database refused, is not a database, is newer
 * than this program), and writes a one-line message to err/errlen
 * (which may be NULL/0); *sp is then untouched. Messages never repeat
 * a PostgreSQL URI: it may hold a password.
 */
int
store_open(struct store **sp, const char *uri, char *err, size_t errlen)
{
	const struct store_ops *ops = NULL;
	const char *target = NULL;
	struct store *s;
	size_t i, n;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!sp || !uri) {
		if (err && errlen)
			snprintf(err, errlen, "store: no URI");
		return EINVAL;
	}
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		n = strlen(backends[i].prefix);
		if (strncmp(uri, backends[i].prefix, n) == 0) {
			ops = backends[i].ops;
			target = backends[i].strip ? uri + n : uri;
			break;
		}
	}
	if (!ops) {
		n = strcspn(uri, ":");
		if (err && errlen)
			snprintf(err, errlen,
			    "store: unknown URI scheme \"%.*s\" (want "
			    "sqlite:PATH or postgresql://...)",
			    (int)(n > 32 ? 32 : n), uri);
		return EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		if (err && errlen)
			snprintf(err, errlen, "store: out of memory");
		return ENOMEM;
	}
	s->ops = ops;
	rc = ops->open(s, target);
	if (!rc)
		rc = migrate(s);
	if (rc) {
		if (err && errlen)
			snprintf(err, errlen, "%s", s->errmsg);
		ops->close(s);
		free(s);
		return rc;
	}
	*sp = s;
	return 0;
}

/*
 * Close the connection; an open transaction is rolled back. NULL is a
 * no-op.
 */
void
store_close(struct store *s)
{
	if (!s)
		return;
	if (s->imp_table)
		(void)store_import_abort(s);
	if (s->in_txn)
		(void)s->ops->rollback(s);
	s->ops->close(s);
	free(s);
}

/* The last error message of "s", "" before any; never NULL. */
const char *
store_errmsg(const struct store *s)
{
	return s ? s->errmsg : "store: no connection";
}

/* The schema version the database is at after store_open() (0 for NULL). */
int
store_schema_version(struct store *s)
{
	return s ? s->version : 0;
}

/* ---- transactions ----------------------------------------------------------- */

/*
 * store_begin/commit/rollback: one explicit transaction at a time; they
 * do NOT nest. store_begin() while one is open, or commit/rollback
 * without one, returns EINVAL and changes nothing. Inside a
 * transaction every call joins it (account changes do not start their
 * own). A failed commit has rolled the transaction back. After an EIO
 * inside a transaction, roll back: PostgreSQL refuses every further
 * statement of an aborted transaction (EEXIST and ENOENT do not abort
 * it on either backend).
 */
int
store_begin(struct store *s)
{
	int err;

	if ((err = store_check(s)))
		return err;
	if (s->in_txn)
		return store_err(s, EINVAL,
		    "a transaction is already open (they do not nest)");
	err = s->ops->begin(s);
	if (!err)
		s->in_txn = true;
	return err;
}

int
store_commit(struct store *s)
{
	int err;

	if ((err = store_check(s)))
		return err;
	if (!s->in_txn)
		return store_err(s, EINVAL, "commit: no transaction is open");
	s->in_txn = false;
	return s->ops->commit(s);
}

int
store_rollback(struct store *s)
{
	int err;

	if ((err = store_check(s)))
		return err;
	if (!s->in_txn)
		return store_err(s, EINVAL, "rollback: no transaction is open");
	s->in_txn = false;
	return s->ops->rollback(s);
}

int
store_own_begin(struct store *s, bool *own)
{
	*own = !s->in_txn;
	return *own ? s->ops->begin(s) : 0;
}

int
store_own_end(struct store *s, bool own, int err)
{
	if (!own)
		return err;
	if (err) {
		store_rollback_quietly(s);
		return err;
	}
	return s->ops->commit(s);
}

/* ---- accounts -------------------------------------------------------------- */

/*
 * Check "a", then write it with "stmt" (add or update; "none" is the
 * error when no row changed) and bump the generation, in one
 * transaction.
 */
static int
account_write(
    struct store *s, const struct account *a, enum store_stmt stmt, int none)
{
	bool own;
	int err;

	if ((err = store_check(s)) ||
	    (err = store_check_obj(s, &store_accounts, a)))
		return err;
	if (a->status != ACCOUNT_ACTIVE && a->status != ACCOUNT_SUSPENDED)
		return store_err(s, EINVAL, "account status: unknown value %d",
		    (int)a->status);
	if ((err = store_own_begin(s, &own)))
		return err;
	err = store_obj_write(s, stmt, &store_accounts, a, none, NULL);
	if (!err)
		err = store_meta_bump(s, STORE_META_GENERATION);
	return store_own_end(s, own, err);
}

/*
 * Insert "a" and bump the generation in one transaction. Returns 0,
 * EEXIST when (user, domain) exists, EINVAL for an empty key, an
 * over-long (unterminated) member, an unknown status or (PostgreSQL)
 * text that is not UTF-8, EIO.
 */
int
store_account_add(struct store *s, const struct account *a)
{
	return account_write(s, a, STORE_ACC_ADD, EEXIST);
}

/*
 * Read account (user, domain) into "a". Returns 0, ENOENT, EINVAL (key
 * empty or too long), EIO (including a stored value too long for its
 * member).
 */
int
store_account_get(
    struct store *s, const char *user, const char *domain, struct account *a)
{
	const char *key[] = { user, domain };
	int err;

	if ((err = store_check(s)))
		return err;
	if (!a)
		return store_err(s, EINVAL, "account: NULL");
	return store_key_run(
	    s, STORE_ACC_GET, &store_accounts, key, 2, a, true);
}

/*
 * Replace every column of account (a->user, a->domain) and bump the
 * generation in one transaction. Returns 0, ENOENT, EINVAL, EIO.
 */
int
store_account_update(struct store *s, const struct account *a)
{
	return account_write(s, a, STORE_ACC_UPDATE, ENOENT);
}

/*
 * Delete account (user, domain) with the devices bound to it and bump
 * the generation in one transaction. Returns 0, ENOENT, EINVAL, EIO.
 */
int
store_account_del(struct store *s, const char *user, const char *domain)
{
	const char *key[] = { user, domain };
	bool own;
	int err;

	if ((err = store_check(s)))
		return err;
	/* Checked before the transaction: a bad key costs no round trip. */
	if ((err = store_check_key(s, "username", user, STORE_USER_MAX)) ||
	    (err = store_check_key(s, "domain", domain, STORE_DOMAIN_MAX)))
		return err;
	if ((err = store_own_begin(s, &own)))
		return err;
	err = store_key_run(
	    s, STORE_ACC_DEL, &store_accounts, key, 2, NULL, true);
	if (!err)
		err = store_key_run(s, STORE_DEV_DEL_ACCOUNT, &store_accounts,
		    key, 2, NULL, false);
	if (!err)
		err = store_meta_bump(s, STORE_META_GENERATION);
	return store_own_end(s, own, err);
}

/*
 * Call h(account, arg) for every account, ordered by domain then user
 * (byte order on both backends). The account is valid during the call
 * only; "h" must not call into "s" (EINVAL; never store_close()).
 * Returns 0, h's first non-zero value, or EIO.
 */
int
store_account_each(struct store *s, store_account_h *h, void *arg)
{
	int err;

	if ((err = store_check_each(s, h != NULL, "account_each")))
		return err;
	return store_walk(s, STORE_ACC_EACH, &store_accounts, NULL, 0,
	    (union store_each_h){ .account = h }, arg);
}

/*
 * The account generation: bumped by every successful add, update and
 * del, in their transaction; a read never changes it. Returns 0,
 * EINVAL, EIO.
 */
int
store_generation(struct store *s, int64_t *gen)
{
	return store_meta_value(s, STORE_META_GENERATION, gen);
}

/* ---- bindings -------------------------------------------------------------- */

/*
 * Insert binding "b" or replace every column of the one with the same
 * (aor, contact). Returns 0, EINVAL (empty key, over-long member,
 * PostgreSQL: text that is not UTF-8), EIO.
 */
int
store_binding_put(struct store *s, const struct binding *b)
{
	int err;

	if ((err = store_check(s)))
		return err;
	return store_obj_write(s, STORE_BIND_PUT, &store_bindings, b, 0, NULL);
}

/* Delete binding (aor, contact). Returns 0, ENOENT, EINVAL, EIO. */
int
store_binding_del(struct store *s, const char *aor, const char *contact)
{
	const char *key[] = { aor, contact };
	int err;

	if ((err = store_check(s)))
		return err;
	return store_key_run(
	    s, STORE_BIND_DEL, &store_bindings, key, 2, NULL, true);
}

/*
 * Delete every binding of "aor"; none is not an error. Returns 0,
 * EINVAL, EIO.
 */
int
store_binding_del_aor(struct store *s, const char *aor)
{
	int err;

	if ((err = store_check(s)))
		return err;
	return store_key_run(
	    s, STORE_BIND_DEL_AOR, &store_bindings, &aor, 1, NULL, false);
}

/* Delete every binding with expires <= now. Returns 0 or EIO. */
int
store_binding_expire(struct store *s, int64_t now)
{
	const struct store_val v[] = { { "expires", NULL, now } };
	int err;

	if ((err = store_check(s)))
		return err;
	return store_run(s, STORE_BIND_EXPIRE, v, 1, NULL);
}

/*
 * Call h(binding, arg) for every binding, ordered by aor then contact
 * (byte order). Same rules as store_account_each().
 */
int
store_binding_each(struct store *s, store_binding_h *h, void *arg)
{
	int err;

	if ((err = store_check_each(s, h != NULL, "binding_each")))
		return err;
	return store_walk(s, STORE_BIND_EACH, &store_bindings, NULL, 0,
	    (union store_each_h){ .binding = h }, arg);
}

/*
 * store/store.c -- the store front end: URI dispatch to a backend,
 * argument checks, transactions, schema migrations, error messages and
 * the column tables the backends encode and decode rows with.
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

/* ---- column tables ------------------------------------------------------ */

/* clang-format off */
#define MEMBER_SIZE(type, m)	sizeof(((type *)0)->m)
#define ACOL(name, kind, m, key) \
	{ name, kind, offsetof(struct account, m), \
	  MEMBER_SIZE(struct account, m), key }
#define BCOL(name, kind, m, key) \
	{ name, kind, offsetof(struct binding, m), \
	  MEMBER_SIZE(struct binding, m), key }

const struct store_col store_account_cols[STORE_ACCOUNT_NCOLS] = {
	ACOL("username",	STORE_COL_TEXT,		user,		true),
	ACOL("domain",		STORE_COL_TEXT,		domain,		true),
	ACOL("status",		STORE_COL_STATUS,	status,		false),
	ACOL("ha1_md5",		STORE_COL_TEXT,		ha1_md5,	false),
	ACOL("ha1_sha256",	STORE_COL_TEXT,		ha1_sha256,	false),
	ACOL("pw_hash",		STORE_COL_TEXT,		pw_hash,	false),
	ACOL("created",		STORE_COL_I64,		created,	false),
	ACOL("secret_rotated",	STORE_COL_I64,		secret_rotated,	false),
	ACOL("pw_changed",	STORE_COL_I64,		pw_changed,	false),
	ACOL("max_contacts",	STORE_COL_U32,		max_contacts,	false),
	ACOL("allow_cidrs",	STORE_COL_TEXT,		allow_cidrs,	false),
};

const struct store_col store_binding_cols[STORE_BINDING_NCOLS] = {
	BCOL("aor",		STORE_COL_TEXT,		aor,		true),
	BCOL("contact",		STORE_COL_TEXT,		contact,	true),
	BCOL("source",		STORE_COL_TEXT,		source,		false),
	BCOL("path",		STORE_COL_TEXT,		path,		false),
	BCOL("call_id",		STORE_COL_TEXT,		call_id,	false),
	BCOL("cseq",		STORE_COL_U32,		cseq,		false),
	BCOL("instance",	STORE_COL_TEXT,		instance,	false),
	BCOL("reg_id",		STORE_COL_U32,		reg_id,		false),
	BCOL("user_agent",	STORE_COL_TEXT,		user_agent,	false),
	BCOL("q",		STORE_COL_U32,		q,		false),
	BCOL("expires",		STORE_COL_I64,		expires,	false),
};
/* clang-format on */

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
static void
rollback_quietly(struct store *s)
{
	char saved[STORE_ERRMSG_MAX];

	memcpy(saved, s->errmsg, sizeof(saved));
	(void)s->ops->rollback(s);
	memcpy(s->errmsg, saved, sizeof(saved));
}

/* ---- columns --------------------------------------------------------------- */

void
store_col_value(
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

/*
 * Every text member of "obj" must be NUL-terminated inside its array
 * (else it is over-long) and the key members must not be empty.
 */
static int
check_obj(struct store *s, const void *obj, const struct store_col *cols,
    size_t n, const char *what)
{
	const char *p;
	size_t i;

	for (i = 0; i < n; i++) {
		if (cols[i].kind != STORE_COL_TEXT)
			continue;
		p = (const char *)obj + cols[i].off;
		if (!memchr(p, '\0', cols[i].size))
			return store_err(s, EINVAL,
			    "%s %s: longer than %zu bytes or not terminated",
			    what, cols[i].name, cols[i].size - 1);
		if (cols[i].key && !*p)
			return store_err(
			    s, EINVAL, "%s %s: empty", what, cols[i].name);
	}
	return 0;
}

/* A key passed as a C string: not NULL, not empty, shorter than "max". */
static int
check_key(struct store *s, const char *name, const char *v, size_t max)
{
	if (!v || !*v)
		return store_err(s, EINVAL, "%s: missing or empty", name);
	if (strnlen(v, max) >= max)
		return store_err(
		    s, EINVAL, "%s: longer than %zu bytes", name, max - 1);
	return 0;
}

/* Every call but store_close() starts here. */
static int
check_store(struct store *s)
{
	if (!s)
		return EINVAL;
	if (s->in_walk)
		return store_err(s, EINVAL,
		    "store called from inside its own *_each() callback");
	return 0;
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
	if (s->ops->meta_get(s, STORE_META_VERSION, &v) == 0) {
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
	err = s->ops->meta_get(s, STORE_META_VERSION, &v);
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
		err = s->ops->meta_set(
		    s, STORE_META_VERSION, (int64_t)sc->nsteps);
	if (err)
		goto out;
	if ((err = s->ops->commit(s)))
		return err;
done:
	s->version = (int)sc->nsteps;
	s->errmsg[0] = '\0';
	return 0;
out:
	rollback_quietly(s);
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

	if ((err = check_store(s)))
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

	if ((err = check_store(s)))
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

	if ((err = check_store(s)))
		return err;
	if (!s->in_txn)
		return store_err(s, EINVAL, "rollback: no transaction is open");
	s->in_txn = false;
	return s->ops->rollback(s);
}

/* Outside store_begin(), an account change gets a transaction of its own. */
static int
own_begin(struct store *s, bool *own)
{
	*own = !s->in_txn;
	return *own ? s->ops->begin(s) : 0;
}

static int
own_end(struct store *s, bool own, int err)
{
	if (!own)
		return err;
	if (err) {
		rollback_quietly(s);
		return err;
	}
	return s->ops->commit(s);
}

/* ---- accounts -------------------------------------------------------------- */

/*
 * Check "a", then write it with "op" (the backend's add or update) and
 * bump the generation, in one transaction.
 */
static int
account_write(struct store *s, const struct account *a,
    int (*op)(struct store *, const struct account *))
{
	bool own;
	int err;

	if ((err = check_store(s)))
		return err;
	if (!a)
		return store_err(s, EINVAL, "account: NULL");
	if ((err = check_obj(
		 s, a, store_account_cols, STORE_ACCOUNT_NCOLS, "account")))
		return err;
	if (a->status != ACCOUNT_ACTIVE && a->status != ACCOUNT_SUSPENDED)
		return store_err(s, EINVAL, "account status: unknown value %d",
		    (int)a->status);
	if ((err = own_begin(s, &own)))
		return err;
	err = op(s, a);
	if (!err)
		err = s->ops->generation_bump(s);
	return own_end(s, own, err);
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
	return account_write(s, a, s ? s->ops->account_add : NULL);
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
	int err;

	if ((err = check_store(s)))
		return err;
	if (!a)
		return store_err(s, EINVAL, "account: NULL");
	if ((err = check_key(s, "user", user, STORE_USER_MAX)) ||
	    (err = check_key(s, "domain", domain, STORE_DOMAIN_MAX)))
		return err;
	memset(a, 0, sizeof(*a));
	return s->ops->account_get(s, user, domain, a);
}

/*
 * Replace every column of account (a->user, a->domain) and bump the
 * generation in one transaction. Returns 0, ENOENT, EINVAL, EIO.
 */
int
store_account_update(struct store *s, const struct account *a)
{
	return account_write(s, a, s ? s->ops->account_update : NULL);
}

/*
 * Delete account (user, domain) and bump the generation in one
 * transaction. Returns 0, ENOENT, EINVAL, EIO.
 */
int
store_account_del(struct store *s, const char *user, const char *domain)
{
	bool own;
	int err;

	if ((err = check_store(s)))
		return err;
	if ((err = check_key(s, "user", user, STORE_USER_MAX)) ||
	    (err = check_key(s, "domain", domain, STORE_DOMAIN_MAX)))
		return err;
	if ((err = own_begin(s, &own)))
		return err;
	err = s->ops->account_del(s, user, domain);
	if (!err)
		err = s->ops->generation_bump(s);
	return own_end(s, own, err);
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

	if ((err = check_store(s)))
		return err;
	if (!h)
		return store_err(s, EINVAL, "account_each: no handler");
	s->in_walk = true;
	err = s->ops->account_each(s, h, arg);
	s->in_walk = false;
	return err;
}

/*
 * The account generation: bumped by every successful add, update and
 * del, in their transaction; a read never changes it. Returns 0, EIO.
 */
int
store_generation(struct store *s, int64_t *gen)
{
	int err;

	if ((err = check_store(s)))
		return err;
	if (!gen)
		return store_err(s, EINVAL, "generation: NULL");
	return s->ops->generation(s, gen);
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

	if ((err = check_store(s)))
		return err;
	if (!b)
		return store_err(s, EINVAL, "binding: NULL");
	if ((err = check_obj(
		 s, b, store_binding_cols, STORE_BINDING_NCOLS, "binding")))
		return err;
	return s->ops->binding_put(s, b);
}

/* Delete binding (aor, contact). Returns 0, ENOENT, EINVAL, EIO. */
int
store_binding_del(struct store *s, const char *aor, const char *contact)
{
	int err;

	if ((err = check_store(s)))
		return err;
	if ((err = check_key(s, "aor", aor, STORE_AOR_MAX)) ||
	    (err = check_key(s, "contact", contact, STORE_URI_MAX)))
		return err;
	return s->ops->binding_del(s, aor, contact);
}

/*
 * Delete every binding of "aor"; none is not an error. Returns 0,
 * EINVAL, EIO.
 */
int
store_binding_del_aor(struct store *s, const char *aor)
{
	int err;

	if ((err = check_store(s)))
		return err;
	if ((err = check_key(s, "aor", aor, STORE_AOR_MAX)))
		return err;
	return s->ops->binding_del_aor(s, aor);
}

/* Delete every binding with expires <= now. Returns 0 or EIO. */
int
store_binding_expire(struct store *s, int64_t now)
{
	int err;

	if ((err = check_store(s)))
		return err;
	return s->ops->binding_expire(s, now);
}

/*
 * Call h(binding, arg) for every binding, ordered by aor then contact
 * (byte order). Same rules as store_account_each().
 */
int
store_binding_each(struct store *s, store_binding_h *h, void *arg)
{
	int err;

	if ((err = check_store(s)))
		return err;
	if (!h)
		return store_err(s, EINVAL, "binding_each: no handler");
	s->in_walk = true;
	err = s->ops->binding_each(s, h, arg);
	s->in_walk = false;
	return err;
}

/*
 * tests/unit/test_store.c -- the store (store/store.h) against a real
 * database: schema creation and versioning, accounts, the generation
 * counter, bindings, argument and stored-value checks, transactions;
 * the guard's state (bans, their history, the allowlist and its
 * generation, the command queue) and the migration from version 1;
 * the caller-ID numbering data (the register data sets and their
 * atomic switch, own inventory, exceptions, SMS aliases, Robinson
 * hashes, the blocking counters) and the migration from version 2;
 * the fraud engine's subjects (their blobs through base64, the
 * suspend/resume hand-over with the accounts, corrupt stored state) and
 * the migration from version 4; the provisioned devices (MAC syntax,
 * binding to accounts, the pending flag against a concurrent rotation)
 * and the migration from version 5.
 *
 * The database is STORE_TEST_URI when set, else a fresh SQLite file per
 * test in a mkdtemp(3) directory removed at the end. With a PostgreSQL
 * URI every test runs in the schema "centinela_store_test", dropped and
 * recreated before each test (so reruns start clean; nothing outside
 * that schema is touched); with an "sqlite:PATH" URI our tables in
 * PATH are dropped before each test. The SQLite-specific cases (bad
 * directory, a file that is not a database) always run, in the
 * temporary directory.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "store/store.h"
#include "store/store_int.h"

#define PG_SCHEMA "centinela_store_test"

/* The group's state: where the databases live. */
static struct {
	char dir[512]; /* the mkdtemp directory */
	const char *env; /* STORE_TEST_URI, or NULL */
	bool pg; /* env is a PostgreSQL URI */
	int n; /* tests so far, names the SQLite files */
	char uri[PATH_MAX + 512]; /* the current test's database */
	char path[PATH_MAX]; /* its file when it is SQLite */
	struct store *s; /* opened on uri by the setup */
} fx;

/* ---- direct access to the database, bypassing the store ---------------- */

static void
pg_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static PGconn *
pg_connect(const char *uri)
{
	PGconn *c = PQconnectdb(uri);

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg(
		    "cannot connect to STORE_TEST_URI: %s", PQerrorMessage(c));
	PQsetNoticeProcessor(c, pg_quiet, NULL);
	return c;
}

static sqlite3 *
sq_connect(void)
{
	sqlite3 *db = NULL;

	/* CREATE: make_v1_db() starts from no file. */
	if (sqlite3_open_v2(fx.path, &db,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		fail_msg("cannot open %s: %s", fx.path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 5000);
	return db;
}

/* Run "sql" (no parameters) on the current test database. */
static void
raw_exec(const char *sql)
{
	if (fx.pg) {
		PGconn *c = pg_connect(fx.uri);
		PGresult *r = PQexec(c, sql);
		ExecStatusType st = PQresultStatus(r);

		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
			fail_msg("%s: %s", sql, PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *db = sq_connect();

		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			fail_msg("%s: %s", sql, sqlite3_errmsg(db));
		sqlite3_close(db);
	}
}

/* The integer in the first column of the first row of "sql". */
static int64_t
raw_int(const char *sql)
{
	int64_t v = 0;

	if (fx.pg) {
		PGconn *c = pg_connect(fx.uri);
		PGresult *r = PQexec(c, sql);

		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
			fail_msg("%s: %s", sql, PQerrorMessage(c));
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *db = sq_connect();
		sqlite3_stmt *st;

		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_ROW)
			fail_msg("%s: %s", sql, sqlite3_errmsg(db));
		v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	return v;
}

static void
rm_sqlite_files(const char *path)
{
	char f[PATH_MAX + 8];

	unlink(path);
	snprintf(f, sizeof(f), "%s-wal", path);
	unlink(f);
	snprintf(f, sizeof(f), "%s-shm", path);
	unlink(f);
}

static bool
file_exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

/* ---- fixtures --------------------------------------------------------------- */

static int
group_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(fx.dir, sizeof(fx.dir), "%s/centinela-store-XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fx.dir)) {
		fprintf(stderr, "mkdtemp %s: %s\n", fx.dir, strerror(errno));
		return -1;
	}
	fx.env = getenv("STORE_TEST_URI");
	if (fx.env && !*fx.env)
		fx.env = NULL;
	fx.pg = fx.env &&
	    (strncmp(fx.env, "postgresql://", 13) == 0 ||
		strncmp(fx.env, "postgres://", 11) == 0);
	if (fx.env && !fx.pg && strncmp(fx.env, "sqlite:", 7) != 0) {
		fprintf(stderr, "STORE_TEST_URI: not sqlite: or postgresql:\n");
		return -1;
	}
	/* Never print a PostgreSQL URI: it may hold a password. */
	printf("test_store: database %s\n",
	    fx.pg ? "PostgreSQL from STORE_TEST_URI (schema " PG_SCHEMA ")" :
		fx.env ? fx.env + 7 :
			 "SQLite files in a temporary directory");
	return 0;
}

static int
group_teardown(void **state)
{
	char f[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;

	(void)state;
	d = opendir(fx.dir);
	if (d) {
		while ((de = readdir(d))) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(f, sizeof(f), "%s/%s", fx.dir, de->d_name);
			unlink(f);
		}
		closedir(d);
	}
	return rmdir(fx.dir) == 0 ? 0 : -1;
}

/* A clean database for the test in fx.uri (and fx.path for SQLite). */
static void
fresh_db(void)
{
	fx.n++;
	if (fx.pg) {
		PGconn *c = pg_connect(fx.env);
		PGresult *r;

		r = PQexec(c,
		    "DROP SCHEMA IF EXISTS " PG_SCHEMA " CASCADE; "
		    "CREATE SCHEMA " PG_SCHEMA);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			fail_msg("reset schema: %s", PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
		snprintf(fx.uri, sizeof(fx.uri),
		    "%s%coptions=-csearch_path%%3D" PG_SCHEMA, fx.env,
		    strchr(fx.env, '?') ? '&' : '?');
	} else if (fx.env) {
		snprintf(fx.path, sizeof(fx.path), "%s", fx.env + 7);
		snprintf(fx.uri, sizeof(fx.uri), "%s", fx.env);
		if (file_exists(fx.path))
			raw_exec("DROP TABLE IF EXISTS accounts; "
				 "DROP TABLE IF EXISTS bindings; "
				 "DROP TABLE IF EXISTS bans; "
				 "DROP TABLE IF EXISTS ban_events; "
				 "DROP TABLE IF EXISTS allowlist; "
				 "DROP TABLE IF EXISTS ban_cmds; "
				 "DROP TABLE IF EXISTS num_datasets; "
				 "DROP TABLE IF EXISTS num_ranges; "
				 "DROP TABLE IF EXISTS num_own; "
				 "DROP TABLE IF EXISTS num_exceptions; "
				 "DROP TABLE IF EXISTS sms_aliases; "
				 "DROP TABLE IF EXISTS robinson; "
				 "DROP TABLE IF EXISTS cid_blocks; "
				 "DROP TABLE IF EXISTS alerts; "
				 "DROP TABLE IF EXISTS alert_deliveries; "
				 "DROP TABLE IF EXISTS fraud_subjects; "
				 "DROP TABLE IF EXISTS meta");
	} else {
		snprintf(fx.path, sizeof(fx.path), "%s/t%d.db", fx.dir, fx.n);
		snprintf(fx.uri, sizeof(fx.uri), "sqlite:%s", fx.path);
	}
}

static void
open_ok(struct store **sp)
{
	char err[256];
	int rc;

	rc = store_open(sp, fx.uri, err, sizeof(err));
	if (rc)
		fail_msg("store_open: %d: %s", rc, err);
	assert_non_null(*sp);
}

static int
setup(void **state)
{
	(void)state;
	fresh_db();
	open_ok(&fx.s);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	store_close(fx.s);
	fx.s = NULL;
	if (!fx.pg && !fx.env)
		rm_sqlite_files(fx.path);
	return 0;
}

/* ---- sample data ------------------------------------------------------------- */

static void
fill(char *dst, size_t cap, char c)
{
	memset(dst, c, cap - 1);
	dst[cap - 1] = '\0';
}

static void
sample_account(struct account *a, const char *user, const char *domain)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->user, sizeof(a->user), "%s", user);
	snprintf(a->domain, sizeof(a->domain), "%s", domain);
	a->status = ACCOUNT_ACTIVE;
	snprintf(a->ha1_md5, sizeof(a->ha1_md5), "%s",
	    "0123456789abcdef0123456789abcdef");
	fill(a->ha1_sha256, sizeof(a->ha1_sha256), 'e');
	snprintf(a->pw_hash, sizeof(a->pw_hash), "%s",
	    "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA");
	a->created = 1700000000;
	a->secret_rotated = 1700000100;
	a->pw_changed = 0;
	a->max_contacts = 3;
	snprintf(a->allow_cidrs, sizeof(a->allow_cidrs), "%s",
	    "10.0.0.0/8,2001:db8::/32");
	snprintf(a->secret_box, sizeof(a->secret_box), "%s", "AQIDBAUGBwg=");
	snprintf(a->tls_id, sizeof(a->tls_id), "%s", "subject:CN=100");
}

static void
sample_binding(
    struct binding *b, const char *aor, const char *contact, int64_t expires)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->aor, sizeof(b->aor), "%s", aor);
	snprintf(b->contact, sizeof(b->contact), "%s", contact);
	snprintf(b->source, sizeof(b->source), "%s", "udp:192.0.2.7:5060");
	snprintf(b->path, sizeof(b->path), "%s", "<sip:edge.example;lr>");
	snprintf(b->call_id, sizeof(b->call_id), "%s", "a84b4c76e66710");
	b->cseq = 314159;
	snprintf(b->instance, sizeof(b->instance), "%s",
	    "<urn:uuid:00000000-0000-1000-8000-000a95a0e128>");
	b->reg_id = 1;
	snprintf(b->user_agent, sizeof(b->user_agent), "%s", "Phone/1.0");
	b->q = 1000;
	b->expires = expires;
}

static void
assert_account_eq(const struct account *x, const struct account *y)
{
	assert_string_equal(x->user, y->user);
	assert_string_equal(x->domain, y->domain);
	assert_int_equal(x->status, y->status);
	assert_string_equal(x->ha1_md5, y->ha1_md5);
	assert_string_equal(x->ha1_sha256, y->ha1_sha256);
	assert_string_equal(x->pw_hash, y->pw_hash);
	assert_true(x->created == y->created);
	assert_true(x->secret_rotated == y->secret_rotated);
	assert_true(x->pw_changed == y->pw_changed);
	assert_int_equal(x->max_contacts, y->max_contacts);
	assert_string_equal(x->allow_cidrs, y->allow_cidrs);
	assert_string_equal(x->secret_box, y->secret_box);
	assert_string_equal(x->tls_id, y->tls_id);
}

static void
assert_binding_eq(const struct binding *x, const struct binding *y)
{
	assert_string_equal(x->aor, y->aor);
	assert_string_equal(x->contact, y->contact);
	assert_string_equal(x->source, y->source);
	assert_string_equal(x->path, y->path);
	assert_string_equal(x->call_id, y->call_id);
	assert_int_equal(x->cseq, y->cseq);
	assert_string_equal(x->instance, y->instance);
	assert_int_equal(x->reg_id, y->reg_id);
	assert_string_equal(x->user_agent, y->user_agent);
	assert_int_equal(x->q, y->q);
	assert_true(x->expires == y->expires);
}

static int64_t
generation(struct store *s)
{
	int64_t g = -1;

	assert_int_equal(store_generation(s, &g), 0);
	return g;
}

static int64_t
allow_generation(struct store *s)
{
	int64_t g = -1;

	assert_int_equal(store_allow_generation(s, &g), 0);
	return g;
}

/* Collects what a walk saw. */
#define SEEN_MAX 16
struct seen {
	int n;
	int stop_at; /* return 42 from the stop_at-th row (1-based); 0 never */
	char key[SEEN_MAX][STORE_URI_MAX + STORE_AOR_MAX + 2];
	struct account a[SEEN_MAX];
	struct binding b[SEEN_MAX];
	struct ban_rec ban[SEEN_MAX];
	struct ban_event ev[SEEN_MAX];
	struct allow_rec allow[SEEN_MAX];
	struct ban_cmd cmd[SEEN_MAX];
};

/* Count the row just recorded; 42 stops the walk at stop_at. */
static int
seen_next(struct seen *sn)
{
	sn->n++;
	return sn->n == sn->stop_at ? 42 : 0;
}

static int
see_account(const struct account *a, void *arg)
{
	struct seen *sn = arg;

	if (sn->n >= SEEN_MAX)
		return -1;
	sn->a[sn->n] = *a;
	snprintf(
	    sn->key[sn->n], sizeof(sn->key[0]), "%s@%s", a->user, a->domain);
	sn->n++;
	return sn->n == sn->stop_at ? 42 : 0;
}

static int
see_binding(const struct binding *b, void *arg)
{
	struct seen *sn = arg;

	if (sn->n >= SEEN_MAX)
		return -1;
	sn->b[sn->n] = *b;
	snprintf(
	    sn->key[sn->n], sizeof(sn->key[0]), "%s %s", b->aor, b->contact);
	sn->n++;
	return sn->n == sn->stop_at ? 42 : 0;
}

static int
see_ban(const struct ban_rec *b, void *arg)
{
	struct seen *sn = arg;

	if (sn->n >= SEEN_MAX)
		return -1;
	sn->ban[sn->n] = *b;
	snprintf(sn->key[sn->n], sizeof(sn->key[0]), "%s", b->addr);
	return seen_next(sn);
}

static int
see_event(const struct ban_event *e, void *arg)
{
	struct seen *sn = arg;

	if (sn->n >= SEEN_MAX)
		return -1;
	sn->ev[sn->n] = *e;
	snprintf(sn->key[sn->n], sizeof(sn->key[0]), "%s %s", e->addr, e->what);
	return seen_next(sn);
}

static int
see_allow(const struct allow_rec *a, void *arg)
{
	struct seen *sn = arg;

	if (sn->n >= SEEN_MAX)
		return -1;
	sn->allow[sn->n] = *a;
	snprintf(sn->key[sn->n], sizeof(sn->key[0]), "%s", a->addr);
	return seen_next(sn);
}

static int
see_cmd(const struct ban_cmd *c, void *arg)
{
	struct seen *sn = arg;

	if (sn->n >= SEEN_MAX)
		return -1;
	sn->cmd[sn->n] = *c;
	snprintf(sn->key[sn->n], sizeof(sn->key[0]), "%s %s", c->op, c->addr);
	return seen_next(sn);
}

static int
count_accounts(struct store *s)
{
	struct seen sn = { 0 };

	assert_int_equal(store_account_each(s, see_account, &sn), 0);
	return sn.n;
}

/* store_account_each()'s result, the rows thrown away. */
static int
count_accounts_rc(struct store *s)
{
	struct seen sn = { 0 };

	return store_account_each(s, see_account, &sn);
}

static int
count_bindings(struct store *s)
{
	struct seen sn = { 0 };

	assert_int_equal(store_binding_each(s, see_binding, &sn), 0);
	return sn.n;
}

static void
assert_msg_has(const char *msg, const char *want)
{
	if (!strstr(msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", msg, want);
}

/* ---- schema ------------------------------------------------------------------ */

/* What each schema version creates. */
#define V1_TABLES "('accounts', 'bindings', 'meta')"
#define V2_TABLES "('bans', 'ban_events', 'allowlist', 'ban_cmds')"
#define V3_TABLES                                                      \
	"('num_datasets', 'num_ranges', 'num_own', 'num_exceptions', " \
	"'sms_aliases', 'robinson', 'cid_blocks')"
#define V4_TABLES "('alerts', 'alert_deliveries')"
#define V5_TABLES "('fraud_subjects')"
#define V6_TABLES "('devices')"
#define V1_INDEXES "('bindings_expires')"
#define V2_INDEXES "('bans_forget', 'ban_events_addr')"
#define V3_INDEXES "('num_exceptions_digits')"
#define V4_INDEXES "('alerts_ts', 'alert_deliveries_due')"
#define V5_INDEXES "('fraud_subjects_suspended')"
#define V6_INDEXES "('devices_account')"

/* How many of the tables "names" (an SQL list) the database has. */
static int64_t
count_tables(const char *names)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
	    fx.pg ? "SELECT count(*) FROM information_schema.tables WHERE "
		    "table_schema = current_schema() AND table_name IN %s" :
		    "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
		    "AND name IN %s",
	    names);
	return raw_int(sql);
}

static int64_t
count_indexes(const char *names)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
	    fx.pg ? "SELECT count(*) FROM pg_indexes WHERE "
		    "schemaname = current_schema() AND indexname IN %s" :
		    "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
		    "AND name IN %s",
	    names);
	return raw_int(sql);
}

static void
open_creates_schema(void **state)
{
	(void)state;
	assert_int_equal(store_schema_version(fx.s), STORE_SCHEMA_VERSION);
	assert_int_equal(
	    raw_int("SELECT value FROM meta WHERE key = 'schema_version'"),
	    STORE_SCHEMA_VERSION);
	assert_true(generation(fx.s) == 0);
	assert_true(allow_generation(fx.s) == 0);
	assert_int_equal(count_tables(V1_TABLES), 3);
	assert_int_equal(count_tables(V2_TABLES), 4);
	assert_int_equal(count_indexes(V1_INDEXES), 1);
	assert_int_equal(count_indexes(V2_INDEXES), 2);
	assert_int_equal(count_tables(V3_TABLES), 7);
	assert_int_equal(count_indexes(V3_INDEXES), 1);
	assert_int_equal(count_tables(V4_TABLES), 2);
	assert_int_equal(count_indexes(V4_INDEXES), 2);
	assert_int_equal(count_tables(V5_TABLES), 1);
	assert_int_equal(count_indexes(V5_INDEXES), 1);
	assert_int_equal(count_tables(V6_TABLES), 1);
	assert_int_equal(count_indexes(V6_INDEXES), 1);
	if (!fx.pg)
		assert_int_equal(raw_int("SELECT count(*) FROM "
					 "pragma_journal_mode "
					 "WHERE journal_mode = 'wal'"),
		    1);
	assert_string_equal(store_errmsg(fx.s), "");
}

static void
reopen_does_not_migrate(void **state)
{
	struct account a, got;

	(void)state;
	sample_account(&a, "alice", "example.com");
	assert_int_equal(store_account_add(fx.s, &a), 0);
	store_close(fx.s);
	fx.s = NULL;
	/* A re-run of step 1 would reset this (or fail on CREATE TABLE). */
	raw_exec("UPDATE meta SET value = 41 WHERE key = 'generation'");
	open_ok(&fx.s);
	assert_int_equal(store_schema_version(fx.s), STORE_SCHEMA_VERSION);
	assert_true(generation(fx.s) == 41);
	assert_int_equal(
	    store_account_get(fx.s, "alice", "example.com", &got), 0);
	assert_account_eq(&got, &a);
	/* schema_version, generation, allow_generation, numbering_generation,
	 * numbering_dataset. */
	assert_int_equal(raw_int("SELECT count(*) FROM meta"), 5);
}

static void
newer_schema_refused(void **state)
{
	struct store *s2 = (struct store *)0x1;
	char err[256];

	(void)state;
	store_close(fx.s);
	fx.s = NULL;
	raw_exec("UPDATE meta SET value = 999 WHERE key = 'schema_version'");
	assert_int_equal(store_open(&s2, fx.uri, err, sizeof(err)), EIO);
	assert_true(s2 == (struct store *)0x1);
	assert_msg_has(err, "999");
	assert_msg_has(err, "newer");
	assert_null(strchr(err, '\n'));
	/* Left as it was. */
	assert_int_equal(
	    raw_int("SELECT value FROM meta WHERE key = 'schema_version'"),
	    999);
	assert_int_equal(raw_int("SELECT count(*) FROM accounts"), 0);
}

static void
bad_uri(void **state)
{
	struct store *s2 = NULL;
	char err[256];

	(void)state;
	assert_int_equal(
	    store_open(&s2, "mysql://db/x", err, sizeof(err)), EINVAL);
	assert_msg_has(err, "mysql");
	assert_int_equal(store_open(&s2, "sqlite:", err, sizeof(err)), EINVAL);
	assert_true(err[0] != '\0');
	assert_int_equal(store_open(&s2, NULL, err, sizeof(err)), EINVAL);
	assert_int_equal(store_open(&s2, "", NULL, 0), EINVAL);
	/* Refused connection: the message must not repeat the password. */
	assert_int_equal(store_open(&s2,
			     "postgresql://u:s3cretpw@127.0.0.1:1/db?"
			     "connect_timeout=2",
			     err, sizeof(err)),
	    EIO);
	assert_true(err[0] != '\0');
	assert_null(strstr(err, "s3cretpw"));
	assert_null(strchr(err, '\n'));
	assert_null(s2);
}

/* ---- accounts ---------------------------------------------------------------- */

static void
account_roundtrip(void **state)
{
	struct account a, got;

	(void)state;
	sample_account(&a, "", "");
	/* Every field at its largest. */
	fill(a.user, sizeof(a.user), 'u');
	fill(a.domain, sizeof(a.domain), 'd');
	fill(a.pw_hash, sizeof(a.pw_hash), 'p');
	fill(a.allow_cidrs, sizeof(a.allow_cidrs), 'c');
	fill(a.secret_box, sizeof(a.secret_box), 'b');
	fill(a.tls_id, sizeof(a.tls_id), 't');
	a.status = ACCOUNT_SUSPENDED;
	a.created = INT64_MAX;
	a.secret_rotated = INT64_MIN;
	a.pw_changed = -1;
	a.max_contacts = UINT32_MAX;
	assert_int_equal(store_account_add(fx.s, &a), 0);
	assert_int_equal(store_account_get(fx.s, a.user, a.domain, &got), 0);
	assert_account_eq(&got, &a);

	/* Update replaces every non-key field. */
	a.status = ACCOUNT_ACTIVE;
	snprintf(a.ha1_md5, sizeof(a.ha1_md5), "%s", "ffff");
	a.ha1_sha256[0] = '\0';
	a.pw_hash[0] = '\0';
	a.created = 1;
	a.secret_rotated = 2;
	a.pw_changed = 3;
	a.max_contacts = 0;
	snprintf(a.allow_cidrs, sizeof(a.allow_cidrs), "%s", "192.0.2.0/24");
	a.secret_box[0] = '\0';
	snprintf(a.tls_id, sizeof(a.tls_id), "sha256:%064d", 7);
	assert_int_equal(store_account_update(fx.s, &a), 0);
	assert_int_equal(store_account_get(fx.s, a.user, a.domain, &got), 0);
	assert_account_eq(&got, &a);

	assert_int_equal(store_account_del(fx.s, a.user, a.domain), 0);
	assert_int_equal(
	    store_account_get(fx.s, a.user, a.domain, &got), ENOENT);
}

static void
account_exists_missing(void **state)
{
	struct account a, got;

	(void)state;
	sample_account(&a, "bob", "example.com");
	assert_int_equal(store_account_add(fx.s, &a), 0);
	a.max_contacts = 9;
	assert_int_equal(store_account_add(fx.s, &a), EEXIST);
	assert_msg_has(store_errmsg(fx.s), "bob@example.com");
	/* The duplicate changed nothing. */
	assert_int_equal(
	    store_account_get(fx.s, "bob", "example.com", &got), 0);
	assert_int_equal(got.max_contacts, 3);
	/* Same user, other domain: another account. */
	snprintf(a.domain, sizeof(a.domain), "%s", "example.org");
	assert_int_equal(store_account_add(fx.s, &a), 0);

	sample_account(&a, "nobody", "example.com");
	assert_int_equal(store_account_update(fx.s, &a), ENOENT);
	assert_int_equal(
	    store_account_del(fx.s, "nobody", "example.com"), ENOENT);
	assert_int_equal(
	    store_account_get(fx.s, "nobody", "example.com", &got), ENOENT);
	assert_msg_has(store_errmsg(fx.s), "nobody@example.com");
	/* Keys are case-sensitive bytes. */
	assert_int_equal(
	    store_account_get(fx.s, "Bob", "example.com", &got), ENOENT);
	assert_int_equal(count_accounts(fx.s), 2);
}

static void
account_each_order(void **state)
{
	static const char *const add[][2] = {
		{ "bob", "b.example" },
		{ "alice", "b.example" },
		{ "Zed", "b.example" },
		{ "carol", "a.example" },
		{ "alice", "A.example" },
	};
	/* Byte order: upper case before lower case, whatever the locale. */
	static const char *const want[] = {
		"alice@A.example",
		"carol@a.example",
		"Zed@b.example",
		"alice@b.example",
		"bob@b.example",
	};
	struct seen sn = { 0 };
	struct account a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(add) / sizeof(add[0]); i++) {
		sample_account(&a, add[i][0], add[i][1]);
		a.max_contacts = (uint32_t)i;
		assert_int_equal(store_account_add(fx.s, &a), 0);
	}
	assert_int_equal(store_account_each(fx.s, see_account, &sn), 0);
	assert_int_equal(sn.n, 5);
	for (i = 0; i < 5; i++)
		assert_string_equal(sn.key[i], want[i]);
	assert_int_equal(sn.a[0].max_contacts, 4);

	/* A non-zero return stops the walk and is returned. */
	memset(&sn, 0, sizeof(sn));
	sn.stop_at = 2;
	assert_int_equal(store_account_each(fx.s, see_account, &sn), 42);
	assert_int_equal(sn.n, 2);
}

static void
generation_counts_changes(void **state)
{
	struct account a, got;
	struct binding b;
	struct seen sn = { 0 };
	struct store *s2 = NULL;
	int64_t g0;

	(void)state;
	g0 = generation(fx.s);
	sample_account(&a, "carol", "example.com");
	assert_int_equal(store_account_add(fx.s, &a), 0);
	assert_true(generation(fx.s) == g0 + 1);

	/* Reads and failed changes leave it alone. */
	assert_int_equal(
	    store_account_get(fx.s, "carol", "example.com", &got), 0);
	assert_int_equal(store_account_each(fx.s, see_account, &sn), 0);
	assert_int_equal(store_account_add(fx.s, &a), EEXIST);
	assert_true(generation(fx.s) == g0 + 1);

	a.status = ACCOUNT_SUSPENDED;
	assert_int_equal(store_account_update(fx.s, &a), 0);
	assert_true(generation(fx.s) == g0 + 2);
	sample_account(&got, "dave", "example.com");
	assert_int_equal(store_account_update(fx.s, &got), ENOENT);
	assert_true(generation(fx.s) == g0 + 2);

	/* Bindings are not accounts. */
	sample_binding(&b, "carol@example.com", "sip:carol@192.0.2.1", 100);
	assert_int_equal(store_binding_put(fx.s, &b), 0);
	assert_int_equal(store_binding_del_aor(fx.s, b.aor), 0);
	assert_true(generation(fx.s) == g0 + 2);

	/* Another connection (the daemon polling) sees the same value. */
	open_ok(&s2);
	assert_true(generation(s2) == g0 + 2);
	assert_int_equal(store_account_del(fx.s, "carol", "example.com"), 0);
	assert_true(generation(fx.s) == g0 + 3);
	assert_true(generation(s2) == g0 + 3);
	assert_int_equal(
	    store_account_del(fx.s, "carol", "example.com"), ENOENT);
	assert_true(generation(fx.s) == g0 + 3);
	store_close(s2);
}

/* ---- bindings ---------------------------------------------------------------- */

static void
binding_put_replace(void **state)
{
	struct binding b1, b2, b3;
	struct seen sn = { 0 };

	(void)state;
	sample_binding(
	    &b1, "alice@example.com", "sip:alice@192.0.2.1:5060", 1000);
	fill(b1.path, sizeof(b1.path), 'P');
	fill(b1.user_agent, sizeof(b1.user_agent), 'U');
	b1.cseq = UINT32_MAX;
	assert_int_equal(store_binding_put(fx.s, &b1), 0);
	assert_int_equal(store_binding_each(fx.s, see_binding, &sn), 0);
	assert_int_equal(sn.n, 1);
	assert_binding_eq(&sn.b[0], &b1);

	/* Same (aor, contact): replaced, every column. */
	snprintf(b1.source, sizeof(b1.source), "%s", "tls:[2001:db8::1]:5061");
	b1.path[0] = '\0';
	snprintf(b1.call_id, sizeof(b1.call_id), "%s", "other-call");
	b1.cseq = 2;
	b1.instance[0] = '\0';
	b1.reg_id = 0;
	snprintf(b1.user_agent, sizeof(b1.user_agent), "%s", "Phone/2.0");
	b1.q = 500;
	b1.expires = 2000;
	assert_int_equal(store_binding_put(fx.s, &b1), 0);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_binding_each(fx.s, see_binding, &sn), 0);
	assert_int_equal(sn.n, 1);
	assert_binding_eq(&sn.b[0], &b1);

	/* Ordered by aor, then contact. */
	sample_binding(&b2, "alice@example.com", "sip:alice@192.0.2.0", 1000);
	sample_binding(&b3, "Alice@example.com", "sip:x@192.0.2.9", 1000);
	assert_int_equal(store_binding_put(fx.s, &b2), 0);
	assert_int_equal(store_binding_put(fx.s, &b3), 0);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_binding_each(fx.s, see_binding, &sn), 0);
	assert_int_equal(sn.n, 3);
	assert_string_equal(sn.key[0], "Alice@example.com sip:x@192.0.2.9");
	assert_string_equal(sn.key[1], "alice@example.com sip:alice@192.0.2.0");
	assert_string_equal(
	    sn.key[2], "alice@example.com sip:alice@192.0.2.1:5060");
	assert_binding_eq(&sn.b[2], &b1);

	memset(&sn, 0, sizeof(sn));
	sn.stop_at = 1;
	assert_int_equal(store_binding_each(fx.s, see_binding, &sn), 42);
	assert_int_equal(sn.n, 1);
}

static void
binding_del(void **state)
{
	struct binding b;
	struct seen sn = { 0 };

	(void)state;
	sample_binding(&b, "a@example.com", "sip:a@192.0.2.1", 100);
	assert_int_equal(store_binding_put(fx.s, &b), 0);
	sample_binding(&b, "a@example.com", "sip:a@192.0.2.2", 100);
	assert_int_equal(store_binding_put(fx.s, &b), 0);
	sample_binding(&b, "a@example.com", "sip:a@192.0.2.3", 100);
	assert_int_equal(store_binding_put(fx.s, &b), 0);
	sample_binding(&b, "b@example.com", "sip:b@192.0.2.1", 100);
	assert_int_equal(store_binding_put(fx.s, &b), 0);

	assert_int_equal(
	    store_binding_del(fx.s, "a@example.com", "sip:a@192.0.2.2"), 0);
	assert_int_equal(
	    store_binding_del(fx.s, "a@example.com", "sip:a@192.0.2.2"),
	    ENOENT);
	assert_int_equal(
	    store_binding_del(fx.s, "b@example.com", "sip:a@192.0.2.1"),
	    ENOENT);
	assert_int_equal(count_bindings(fx.s), 3);

	assert_int_equal(store_binding_del_aor(fx.s, "a@example.com"), 0);
	assert_int_equal(store_binding_each(fx.s, see_binding, &sn), 0);
	assert_int_equal(sn.n, 1);
	assert_string_equal(sn.key[0], "b@example.com sip:b@192.0.2.1");
	/* Nothing left to delete is not an error. */
	assert_int_equal(store_binding_del_aor(fx.s, "a@example.com"), 0);
	assert_int_equal(count_bindings(fx.s), 1);
}

static void
binding_expire(void **state)
{
	struct binding b;
	struct seen sn = { 0 };

	(void)state;
	sample_binding(&b, "a@example.com", "sip:a@192.0.2.1", 100);
	assert_int_equal(store_binding_put(fx.s, &b), 0);
	sample_binding(&b, "a@example.com", "sip:a@192.0.2.2", 200);
	assert_int_equal(store_binding_put(fx.s, &b), 0);
	sample_binding(&b, "c@example.com", "sip:c@192.0.2.3", 300);
	assert_int_equal(store_binding_put(fx.s, &b), 0);

	assert_int_equal(store_binding_expire(fx.s, 99), 0);
	assert_int_equal(count_bindings(fx.s), 3);
	/* expires <= now goes. */
	assert_int_equal(store_binding_expire(fx.s, 200), 0);
	assert_int_equal(store_binding_each(fx.s, see_binding, &sn), 0);
	assert_int_equal(sn.n, 1);
	assert_true(sn.b[0].expires == 300);
	assert_int_equal(store_binding_expire(fx.s, INT64_MAX), 0);
	assert_int_equal(count_bindings(fx.s), 0);
}

/* ---- argument checks ----------------------------------------------------------- */

static void
overlong_fields(void **state)
{
	char longu[STORE_USER_MAX + 1], maxu[STORE_USER_MAX];
	char longaor[STORE_AOR_MAX + 1], longc[STORE_URI_MAX + 1];
	struct account a, got;
	struct binding b;

	(void)state;
	/* Each member filled to the brim, no NUL: over-long. */
	sample_account(&a, "x", "example.com");
	memset(a.user, 'u', sizeof(a.user));
	assert_int_equal(store_account_add(fx.s, &a), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "username");
	sample_account(&a, "x", "example.com");
	memset(a.domain, 'd', sizeof(a.domain));
	assert_int_equal(store_account_add(fx.s, &a), EINVAL);
	sample_account(&a, "x", "example.com");
	memset(a.pw_hash, 'p', sizeof(a.pw_hash));
	assert_int_equal(store_account_add(fx.s, &a), EINVAL);
	assert_int_equal(store_account_update(fx.s, &a), EINVAL);
	sample_account(&a, "x", "example.com");
	memset(a.allow_cidrs, 'c', sizeof(a.allow_cidrs));
	assert_int_equal(store_account_add(fx.s, &a), EINVAL);
	sample_account(&a, "x", "example.com");
	memset(a.ha1_sha256, 'e', sizeof(a.ha1_sha256));
	assert_int_equal(store_account_add(fx.s, &a), EINVAL);
	/* Empty key, unknown status, NULLs. */
	sample_account(&a, "", "example.com");
	assert_int_equal(store_account_add(fx.s, &a), EINVAL);
	sample_account(&a, "x", "example.com");
	a.status = (enum account_status)7;
	assert_int_equal(store_account_add(fx.s, &a), EINVAL);
	assert_int_equal(store_account_add(fx.s, NULL), EINVAL);
	assert_int_equal(store_account_add(NULL, &a), EINVAL);
	assert_int_equal(
	    store_account_get(fx.s, NULL, "example.com", &got), EINVAL);
	assert_int_equal(
	    store_account_get(fx.s, "x", "example.com", NULL), EINVAL);

	/* Keys passed as strings: one byte over is EINVAL, at the limit fine. */
	fill(longu, sizeof(longu), 'u');
	fill(maxu, sizeof(maxu), 'u');
	assert_int_equal(
	    store_account_get(fx.s, longu, "example.com", &got), EINVAL);
	assert_int_equal(
	    store_account_get(fx.s, maxu, "example.com", &got), ENOENT);
	assert_int_equal(store_account_del(fx.s, longu, "example.com"), EINVAL);

	sample_binding(&b, "a@example.com", "sip:a@192.0.2.1", 100);
	memset(b.contact, 'c', sizeof(b.contact));
	assert_int_equal(store_binding_put(fx.s, &b), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "contact");
	sample_binding(&b, "a@example.com", "sip:a@192.0.2.1", 100);
	memset(b.path, 'p', sizeof(b.path));
	assert_int_equal(store_binding_put(fx.s, &b), EINVAL);
	sample_binding(&b, "a@example.com", "sip:a@192.0.2.1", 100);
	memset(b.user_agent, 'a', sizeof(b.user_agent));
	assert_int_equal(store_binding_put(fx.s, &b), EINVAL);
	sample_binding(&b, "", "sip:a@192.0.2.1", 100);
	assert_int_equal(store_binding_put(fx.s, &b), EINVAL);
	fill(longaor, sizeof(longaor), 'a');
	fill(longc, sizeof(longc), 'c');
	assert_int_equal(
	    store_binding_del(fx.s, longaor, "sip:a@192.0.2.1"), EINVAL);
	assert_int_equal(
	    store_binding_del(fx.s, "a@example.com", longc), EINVAL);
	assert_int_equal(store_binding_del_aor(fx.s, longaor), EINVAL);
	assert_int_equal(store_binding_del_aor(fx.s, ""), EINVAL);
	assert_int_equal(store_binding_each(fx.s, NULL, NULL), EINVAL);

	/* Nothing was written. */
	assert_int_equal(count_accounts(fx.s), 0);
	assert_int_equal(count_bindings(fx.s), 0);
	assert_true(generation(fx.s) == 0);
}

/* Values the store did not write are checked on the way out. */
static void
stored_values_checked(void **state)
{
	char u[STORE_USER_MAX + 1], sql[STORE_USER_MAX + 128];
	struct account got;
	struct seen sn = { 0 };
	struct binding b;

	(void)state;
	/* 100 bytes in a 64-byte member: EIO, never a truncated name. */
	raw_exec("INSERT INTO accounts (username, domain) VALUES ("
		 "'uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu"
		 "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu', "
		 "'example.com')");
	assert_int_equal(store_account_each(fx.s, see_account, &sn), EIO);
	assert_int_equal(sn.n, 0);
	assert_msg_has(store_errmsg(fx.s), "accounts.username");
	raw_exec("DELETE FROM accounts");

	/* Exactly the member's size: no room for the NUL, also EIO. */
	fill(u, sizeof(u), 'u');
	snprintf(sql, sizeof(sql),
	    "INSERT INTO accounts (username, domain) VALUES ('%s', 'e')", u);
	raw_exec(sql);
	assert_int_equal(count_accounts_rc(fx.s), EIO);
	raw_exec("DELETE FROM accounts");
	u[sizeof(u) - 2] = '\0';
	snprintf(sql, sizeof(sql),
	    "INSERT INTO accounts (username, domain) VALUES ('%s', 'e')", u);
	raw_exec(sql);
	assert_int_equal(count_accounts_rc(fx.s), 0);
	raw_exec("DELETE FROM accounts");

	raw_exec("INSERT INTO accounts (username, domain, status) "
		 "VALUES ('x', 'example.com', 5)");
	assert_int_equal(
	    store_account_get(fx.s, "x", "example.com", &got), EIO);
	assert_msg_has(store_errmsg(fx.s), "accounts.status");
	raw_exec("UPDATE accounts SET status = 0, max_contacts = 4294967296");
	assert_int_equal(
	    store_account_get(fx.s, "x", "example.com", &got), EIO);
	assert_msg_has(store_errmsg(fx.s), "max_contacts");
	if (!fx.pg) {
		/* SQLite text may hold a NUL: never cut the value there. */
		raw_exec("UPDATE accounts SET max_contacts = 0, "
			 "ha1_md5 = CAST(x'61006200' AS TEXT)");
		assert_int_equal(
		    store_account_get(fx.s, "x", "example.com", &got), EIO);
		assert_msg_has(store_errmsg(fx.s), "NUL");
	}
	raw_exec("DELETE FROM accounts");

	sample_binding(&b, "a@example.com", "sip:a@192.0.2.1", 100);
	assert_int_equal(store_binding_put(fx.s, &b), 0);
	raw_exec("UPDATE bindings SET cseq = -1");
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_binding_each(fx.s, see_binding, &sn), EIO);
	assert_msg_has(store_errmsg(fx.s), "bindings.cseq");
	if (!fx.pg) {
		/* SQLite keeps whatever type it is given. */
		raw_exec("UPDATE bindings SET cseq = 'abc'");
		assert_int_equal(
		    store_binding_each(fx.s, see_binding, &sn), EIO);
		assert_msg_has(store_errmsg(fx.s), "not an integer");
	}
	raw_exec("DELETE FROM bindings");

	/* NULL columns (NOT NULL dropped by hand) read as "" and 0. */
	if (fx.pg) {
		raw_exec(
		    "ALTER TABLE accounts ALTER status DROP NOT NULL, "
		    "ALTER ha1_md5 DROP NOT NULL, "
		    "ALTER ha1_sha256 DROP NOT NULL, "
		    "ALTER pw_hash DROP NOT NULL, "
		    "ALTER created DROP NOT NULL, "
		    "ALTER secret_rotated DROP NOT NULL, "
		    "ALTER pw_changed DROP NOT NULL, "
		    "ALTER max_contacts DROP NOT NULL, "
		    "ALTER allow_cidrs DROP NOT NULL, "
		    "ALTER secret_box DROP NOT NULL, "
		    "ALTER tls_id DROP NOT NULL, "
		    "ALTER secret_box DROP DEFAULT, ALTER tls_id DROP DEFAULT, "
		    "ALTER status DROP DEFAULT, ALTER ha1_md5 DROP DEFAULT, "
		    "ALTER pw_hash DROP DEFAULT, ALTER created DROP DEFAULT, "
		    "ALTER max_contacts DROP DEFAULT, "
		    "ALTER allow_cidrs DROP DEFAULT");
	} else {
		/* SQLite cannot drop a constraint: a new table. */
		raw_exec("DROP TABLE accounts");
		raw_exec("CREATE TABLE accounts (username TEXT, domain TEXT, "
			 "status INTEGER, ha1_md5 TEXT, ha1_sha256 TEXT, "
			 "pw_hash TEXT, created INTEGER, "
			 "secret_rotated INTEGER, pw_changed INTEGER, "
			 "max_contacts INTEGER, allow_cidrs TEXT, "
			 "secret_box TEXT, tls_id TEXT, "
			 "PRIMARY KEY (domain, username))");
	}
	raw_exec("INSERT INTO accounts (username, domain) "
		 "VALUES ('n', 'example.com')");
	memset(&got, 'z', sizeof(got));
	assert_int_equal(store_account_get(fx.s, "n", "example.com", &got), 0);
	assert_string_equal(got.user, "n");
	assert_int_equal(raw_int("SELECT count(*) FROM accounts "
				 "WHERE ha1_md5 IS NULL AND status IS NULL AND "
				 "created IS NULL AND max_contacts IS NULL"),
	    1);
	assert_string_equal(got.ha1_md5, "");
	assert_string_equal(got.pw_hash, "");
	assert_string_equal(got.allow_cidrs, "");
	assert_string_equal(got.secret_box, "");
	assert_string_equal(got.tls_id, "");
	assert_int_equal(got.status, ACCOUNT_ACTIVE);
	assert_true(got.created == 0);
	assert_int_equal(got.max_contacts, 0);
}

/* ---- transactions -------------------------------------------------------------- */

static void
txn_rollback(void **state)
{
	struct account a, got;
	struct binding b;

	(void)state;
	assert_int_equal(store_begin(fx.s), 0);
	sample_account(&a, "erin", "example.com");
	assert_int_equal(store_account_add(fx.s, &a), 0);
	sample_binding(&b, "erin@example.com", "sip:erin@192.0.2.5", 100);
	assert_int_equal(store_binding_put(fx.s, &b), 0);
	/* Visible inside the transaction. */
	assert_int_equal(
	    store_account_get(fx.s, "erin", "example.com", &got), 0);
	assert_true(generation(fx.s) == 1);
	assert_int_equal(store_rollback(fx.s), 0);

	assert_int_equal(
	    store_account_get(fx.s, "erin", "example.com", &got), ENOENT);
	assert_int_equal(count_accounts(fx.s), 0);
	assert_int_equal(count_bindings(fx.s), 0);
	assert_true(generation(fx.s) == 0);
}

static void
txn_commit_and_misuse(void **state)
{
	struct account a, got;
	struct binding b;
	struct store *s2 = NULL;

	(void)state;
	assert_int_equal(store_commit(fx.s), EINVAL);
	assert_int_equal(store_rollback(fx.s), EINVAL);
	assert_int_equal(store_begin(fx.s), 0);
	assert_int_equal(store_begin(fx.s), EINVAL); /* no nesting */
	assert_msg_has(store_errmsg(fx.s), "nest");

	sample_account(&a, "frank", "example.com");
	assert_int_equal(store_account_add(fx.s, &a), 0);
	/* EEXIST and ENOENT do not spoil the transaction. */
	assert_int_equal(store_account_add(fx.s, &a), EEXIST);
	sample_account(&got, "ghost", "example.com");
	assert_int_equal(store_account_update(fx.s, &got), ENOENT);
	sample_binding(&b, "frank@example.com", "sip:frank@192.0.2.6", 100);
	assert_int_equal(store_binding_put(fx.s, &b), 0);
	assert_int_equal(store_binding_del(fx.s, b.aor, "sip:none"), ENOENT);

	/* Another connection does not see it before the commit... */
	open_ok(&s2);
	assert_int_equal(
	    store_account_get(s2, "frank", "example.com", &got), ENOENT);
	assert_true(generation(s2) == 0);
	assert_int_equal(store_commit(fx.s), 0);
	/* ...and sees all of it after. */
	assert_int_equal(
	    store_account_get(s2, "frank", "example.com", &got), 0);
	assert_account_eq(&got, &a);
	assert_int_equal(count_bindings(s2), 1);
	assert_true(generation(s2) == 1);
	assert_int_equal(store_commit(fx.s), EINVAL);
	store_close(s2);

	/* Closing with an open transaction rolls it back. */
	assert_int_equal(store_begin(fx.s), 0);
	assert_int_equal(store_account_del(fx.s, "frank", "example.com"), 0);
	store_close(fx.s);
	fx.s = NULL;
	open_ok(&fx.s);
	assert_int_equal(
	    store_account_get(fx.s, "frank", "example.com", &got), 0);
	assert_true(generation(fx.s) == 1);
}

/*
 * Bytes that are not UTF-8 (a Latin-1 User-Agent): SQLite stores them
 * as given; PostgreSQL would abort the transaction, so the store
 * refuses them up front and the location writer's batch survives.
 */
static void
non_utf8_text(void **state)
{
	struct binding b1, b2;
	struct seen sn = { 0 };
	struct account got;
	int want = fx.pg ? EINVAL : 0;

	(void)state;
	assert_int_equal(store_begin(fx.s), 0);
	sample_binding(&b1, "a@example.com", "sip:a@192.0.2.1", 100);
	assert_int_equal(store_binding_put(fx.s, &b1), 0);
	sample_binding(&b2, "b@example.com", "sip:b@192.0.2.2", 100);
	snprintf(b2.user_agent, sizeof(b2.user_agent), "%s", "Ph\xf6ne/1.0");
	assert_int_equal(store_binding_put(fx.s, &b2), want);
	if (want)
		assert_msg_has(store_errmsg(fx.s), "user_agent");
	/* Overlong "/" and a UTF-16 surrogate are not UTF-8 either. */
	assert_int_equal(
	    store_account_get(fx.s, "\xc0\xaf", "example.com", &got),
	    fx.pg ? EINVAL : ENOENT);
	assert_int_equal(
	    store_binding_del(fx.s, "\xed\xa0\x80@example.com", "sip:x"),
	    fx.pg ? EINVAL : ENOENT);
	/* Valid multi-byte text is fine everywhere. */
	snprintf(b2.user_agent, sizeof(b2.user_agent), "%s",
	    "T\xc3\xa9l\xc3\xa9phone \xe2\x98\x8e \xf0\x9f\x93\x9e");
	snprintf(b2.contact, sizeof(b2.contact), "%s", "sip:b@192.0.2.3");
	assert_int_equal(store_binding_put(fx.s, &b2), 0);
	assert_int_equal(store_commit(fx.s), 0);
	assert_int_equal(store_binding_each(fx.s, see_binding, &sn), 0);
	assert_int_equal(sn.n, fx.pg ? 2 : 3);
	assert_binding_eq(&sn.b[0], &b1);
	assert_binding_eq(&sn.b[sn.n - 1], &b2);
}

static int
reenter(const struct account *a, void *arg)
{
	struct account got;

	(void)arg;
	return store_account_get(fx.s, a->user, a->domain, &got);
}

static void
each_reentry_refused(void **state)
{
	struct account a;

	(void)state;
	sample_account(&a, "gina", "example.com");
	assert_int_equal(store_account_add(fx.s, &a), 0);
	assert_int_equal(store_account_each(fx.s, reenter, NULL), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "callback");
	/* The store works again afterwards. */
	assert_int_equal(count_accounts(fx.s), 1);
}

/* ---- the guard's state: sample data -------------------------------------------- */

static void
sample_ban(struct ban_rec *b, const char *addr, int64_t forget)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->addr, sizeof(b->addr), "%s", addr);
	snprintf(b->reason, sizeof(b->reason), "%s", "auth_fail");
	snprintf(b->origin, sizeof(b->origin), "%s", "guard");
	b->rung = 2;
	b->strikes = 3;
	b->first_seen = 1700000000;
	b->last_seen = 1700000500;
	b->expires = 1700003600;
	b->forget = forget;
}

static void
assert_ban_eq(const struct ban_rec *x, const struct ban_rec *y)
{
	assert_string_equal(x->addr, y->addr);
	assert_string_equal(x->reason, y->reason);
	assert_string_equal(x->origin, y->origin);
	assert_int_equal(x->rung, y->rung);
	assert_int_equal(x->strikes, y->strikes);
	assert_true(x->first_seen == y->first_seen);
	assert_true(x->last_seen == y->last_seen);
	assert_true(x->expires == y->expires);
	assert_true(x->forget == y->forget);
}

static void
sample_event(
    struct ban_event *e, const char *addr, int64_t at, const char *what)
{
	memset(e, 0, sizeof(*e));
	e->id = -7; /* ignored by add */
	snprintf(e->addr, sizeof(e->addr), "%s", addr);
	e->at = at;
	snprintf(e->what, sizeof(e->what), "%s", what);
	snprintf(e->reason, sizeof(e->reason), "%s", "scanner");
	e->rung = 1;
	e->duration = 600;
	snprintf(
	    e->detail, sizeof(e->detail), "%s", "User-Agent: friendly-scanner");
}

static void
assert_event_eq(const struct ban_event *x, const struct ban_event *y)
{
	assert_true(x->id == y->id);
	assert_string_equal(x->addr, y->addr);
	assert_true(x->at == y->at);
	assert_string_equal(x->what, y->what);
	assert_string_equal(x->reason, y->reason);
	assert_int_equal(x->rung, y->rung);
	assert_true(x->duration == y->duration);
	assert_string_equal(x->detail, y->detail);
}

static void
sample_allow(struct allow_rec *a, const char *addr, const char *note)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->addr, sizeof(a->addr), "%s", addr);
	snprintf(a->note, sizeof(a->note), "%s", note);
	a->created = 1700000000;
}

static void
sample_cmd(struct ban_cmd *c, const char *op, const char *addr, int64_t created)
{
	memset(c, 0, sizeof(*c));
	c->id = -7; /* ignored by add */
	snprintf(c->op, sizeof(c->op), "%s", op);
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	c->duration = 3600;
	snprintf(c->reason, sizeof(c->reason), "%s", "manual");
	c->created = created;
}

static void
assert_cmd_eq(const struct ban_cmd *x, const struct ban_cmd *y)
{
	assert_true(x->id == y->id);
	assert_string_equal(x->op, y->op);
	assert_string_equal(x->addr, y->addr);
	assert_true(x->duration == y->duration);
	assert_string_equal(x->reason, y->reason);
	assert_true(x->created == y->created);
}

static int
count_bans(struct store *s)
{
	struct seen sn = { 0 };

	assert_int_equal(store_ban_each(s, see_ban, &sn), 0);
	return sn.n;
}

static int
count_events(struct store *s)
{
	struct seen sn = { 0 };

	assert_int_equal(store_ban_event_each(s, NULL, 0, see_event, &sn), 0);
	return sn.n;
}

static int
count_cmds(struct store *s, int64_t after)
{
	struct seen sn = { 0 };

	assert_int_equal(store_ban_cmd_each(s, after, see_cmd, &sn), 0);
	return sn.n;
}

/* ---- the guard's state: migration ---------------------------------------------- */

/*
 * A version-1 database, as a program before the guard's tables made it:
 * the backend's own bootstrap and first step, nothing else, with an
 * account and a moved generation in it.
 */
static void
make_v1_db(void)
{
	const struct store_schema *sc =
	    fx.pg ? store_pgsql_ops.schema : store_sqlite_ops.schema;

	store_close(fx.s);
	fx.s = NULL;
	if (!fx.pg && !fx.env)
		rm_sqlite_files(fx.path);
	fresh_db();
	raw_exec(sc->bootstrap);
	raw_exec(sc->steps[0]);
	raw_exec("INSERT INTO meta (key, value) VALUES ('schema_version', 1)");
	raw_exec("UPDATE meta SET value = 5 WHERE key = 'generation'");
	raw_exec("INSERT INTO accounts (username, domain, ha1_md5) "
		 "VALUES ('old', 'example.com', 'abc')");
	assert_int_equal(count_tables(V1_TABLES), 3);
	assert_int_equal(count_tables(V2_TABLES), 0);
}

static void
migrate_v1_to_v2(void **state)
{
	struct account got;
	struct ban_rec b, bgot;
	struct allow_rec a;
	struct ban_cmd c;

	(void)state;
	make_v1_db();
	open_ok(&fx.s);
	assert_int_equal(store_schema_version(fx.s), STORE_SCHEMA_VERSION);
	assert_int_equal(
	    raw_int("SELECT value FROM meta WHERE key = 'schema_version'"),
	    STORE_SCHEMA_VERSION);
	assert_int_equal(count_tables(V2_TABLES), 4);
	assert_int_equal(count_tables(V3_TABLES), 7);
	assert_int_equal(count_indexes(V1_INDEXES), 1);
	assert_int_equal(count_indexes(V2_INDEXES), 2);
	/* Version-1 data is untouched. */
	assert_int_equal(
	    store_account_get(fx.s, "old", "example.com", &got), 0);
	assert_string_equal(got.ha1_md5, "abc");
	assert_true(generation(fx.s) == 5);
	assert_true(allow_generation(fx.s) == 0);

	/* The new tables work. */
	sample_ban(&b, "192.0.2.7/32", 100);
	assert_int_equal(store_ban_put(fx.s, &b), 0);
	assert_int_equal(store_ban_get(fx.s, b.addr, &bgot), 0);
	assert_ban_eq(&bgot, &b);
	sample_allow(&a, "198.51.100.0/24", "office");
	assert_int_equal(store_allow_put(fx.s, &a), 0);
	assert_true(allow_generation(fx.s) == 1);
	sample_cmd(&c, "ban", "203.0.113.9/32", 1);
	assert_int_equal(store_ban_cmd_add(fx.s, &c), 0);
	assert_true(c.id == 1);

	/* Opening again migrates nothing. */
	store_close(fx.s);
	fx.s = NULL;
	open_ok(&fx.s);
	assert_int_equal(store_schema_version(fx.s), STORE_SCHEMA_VERSION);
	assert_true(allow_generation(fx.s) == 1);
	assert_int_equal(count_bans(fx.s), 1);
}

/* A step that fails leaves the database at version 1, step 2 undone. */
static void
migrate_v1_failure_rolls_back(void **state)
{
	struct store *s2 = (struct store *)0x1;
	char err[256];

	(void)state;
	make_v1_db();
	/* Something of that name is in the way of step 2. */
	raw_exec("CREATE TABLE allowlist (x integer)");
	assert_int_equal(store_open(&s2, fx.uri, err, sizeof(err)), EIO);
	assert_true(s2 == (struct store *)0x1);
	assert_msg_has(err, "1 -> 2");
	assert_null(strchr(err, '\n'));
	assert_int_equal(
	    raw_int("SELECT value FROM meta WHERE key = 'schema_version'"), 1);
	assert_int_equal(raw_int("SELECT count(*) FROM meta WHERE "
				 "key = 'allow_generation'"),
	    0);
	/* Only the table we made; the ones step 2 made before are gone. */
	assert_int_equal(count_tables(V2_TABLES), 1);
	assert_int_equal(count_indexes(V2_INDEXES), 0);
	/* Out of the way, the next open migrates. */
	raw_exec("DROP TABLE allowlist");
	open_ok(&fx.s);
	assert_int_equal(store_schema_version(fx.s), STORE_SCHEMA_VERSION);
	assert_true(generation(fx.s) == 5);
}

/* ---- the guard's state: bans ---------------------------------------------------- */

static void
ban_roundtrip(void **state)
{
	char addr[STORE_ADDR_MAX];
	struct ban_rec b, got;

	(void)state;
	/* Every field at its largest. */
	fill(addr, sizeof(addr), 'a');
	sample_ban(&b, addr, INT64_MAX);
	fill(b.reason, sizeof(b.reason), 'r');
	fill(b.origin, sizeof(b.origin), 'o');
	b.rung = UINT32_MAX;
	b.strikes = UINT32_MAX;
	b.first_seen = INT64_MIN;
	b.last_seen = -1;
	b.expires = INT64_MAX;
	assert_int_equal(store_ban_put(fx.s, &b), 0);
	memset(&got, 'z', sizeof(got));
	assert_int_equal(store_ban_get(fx.s, addr, &got), 0);
	assert_ban_eq(&got, &b);

	/* put again: every column replaced, still one record. */
	sample_ban(&b, addr, 5);
	b.origin[0] = '\0';
	b.rung = 0;
	assert_int_equal(store_ban_put(fx.s, &b), 0);
	assert_int_equal(store_ban_get(fx.s, addr, &got), 0);
	assert_ban_eq(&got, &b);
	assert_int_equal(count_bans(fx.s), 1);

	/* Missing: ENOENT naming it. Keys are bytes. */
	assert_int_equal(store_ban_get(fx.s, "192.0.2.1/32", &got), ENOENT);
	assert_msg_has(store_errmsg(fx.s), "192.0.2.1/32");
	assert_int_equal(store_ban_del(fx.s, "192.0.2.1/32"), ENOENT);
	sample_ban(&b, "2001:db8::/64", 5);
	assert_int_equal(store_ban_put(fx.s, &b), 0);
	assert_int_equal(store_ban_get(fx.s, "2001:DB8::/64", &got), ENOENT);

	assert_int_equal(store_ban_del(fx.s, addr), 0);
	assert_int_equal(store_ban_get(fx.s, addr, &got), ENOENT);
	assert_int_equal(store_ban_del(fx.s, addr), ENOENT);
	assert_int_equal(count_bans(fx.s), 1);
	/* Bans are neither accounts nor allowlist entries. */
	assert_true(generation(fx.s) == 0);
	assert_true(allow_generation(fx.s) == 0);
}

static void
ban_each_order(void **state)
{
	static const char *const add[] = { "2001:db8::/64", "192.0.2.7/32",
		"10.0.0.1/32", "192.0.2.10/32" };
	/* Byte order, whatever the locale. */
	static const char *const want[] = { "10.0.0.1/32", "192.0.2.10/32",
		"192.0.2.7/32", "2001:db8::/64" };
	struct seen sn = { 0 };
	struct ban_rec b;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		sample_ban(&b, add[i], 100);
		b.strikes = (uint32_t)i;
		assert_int_equal(store_ban_put(fx.s, &b), 0);
	}
	assert_int_equal(store_ban_each(fx.s, see_ban, &sn), 0);
	assert_int_equal(sn.n, 4);
	for (i = 0; i < 4; i++)
		assert_string_equal(sn.key[i], want[i]);
	assert_int_equal(sn.ban[0].strikes, 2);
	sample_ban(&b, "10.0.0.1/32", 100);
	b.strikes = 2;
	assert_ban_eq(&sn.ban[0], &b);

	memset(&sn, 0, sizeof(sn));
	sn.stop_at = 2;
	assert_int_equal(store_ban_each(fx.s, see_ban, &sn), 42);
	assert_int_equal(sn.n, 2);
}

static void
ban_forget_expired_only(void **state)
{
	struct seen sn = { 0 };
	struct ban_rec b;
	uint64_t n = 99;

	(void)state;
	sample_ban(&b, "192.0.2.1/32", 100);
	assert_int_equal(store_ban_put(fx.s, &b), 0);
	sample_ban(&b, "192.0.2.2/32", 200);
	assert_int_equal(store_ban_put(fx.s, &b), 0);
	sample_ban(&b, "192.0.2.3/32", 300);
	/* Still banned or not does not matter: forget decides. */
	b.expires = 0;
	assert_int_equal(store_ban_put(fx.s, &b), 0);

	assert_int_equal(store_ban_forget(fx.s, 99, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(count_bans(fx.s), 3);
	/* forget <= now goes. */
	assert_int_equal(store_ban_forget(fx.s, 200, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_ban_each(fx.s, see_ban, &sn), 0);
	assert_int_equal(sn.n, 1);
	assert_string_equal(sn.key[0], "192.0.2.3/32");
	assert_true(sn.ban[0].forget == 300);
	/* n may be NULL. */
	assert_int_equal(store_ban_forget(fx.s, 299, NULL), 0);
	assert_int_equal(count_bans(fx.s), 1);
	assert_int_equal(store_ban_forget(fx.s, INT64_MAX, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count_bans(fx.s), 0);
}

static void
ban_bad_arguments(void **state)
{
	char longa[STORE_ADDR_MAX + 1], maxa[STORE_ADDR_MAX];
	struct ban_rec b, got;

	(void)state;
	/* A key one byte too long (no room for the NUL) is EINVAL... */
	fill(longa, STORE_ADDR_MAX + 1, 'a');
	fill(maxa, sizeof(maxa), 'a');
	assert_int_equal(store_ban_get(fx.s, longa, &got), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "addr");
	assert_int_equal(store_ban_del(fx.s, longa), EINVAL);
	/* ...at the limit it is just missing. */
	assert_int_equal(store_ban_get(fx.s, maxa, &got), ENOENT);
	assert_int_equal(store_ban_get(fx.s, "", &got), EINVAL);
	assert_int_equal(store_ban_get(fx.s, NULL, &got), EINVAL);
	assert_int_equal(store_ban_get(fx.s, "192.0.2.1/32", NULL), EINVAL);
	assert_int_equal(store_ban_del(fx.s, ""), EINVAL);
	assert_int_equal(store_ban_get(NULL, "192.0.2.1/32", &got), EINVAL);

	/* Members filled to the brim: over-long, never truncated. */
	sample_ban(&b, "192.0.2.1/32", 100);
	memset(b.addr, 'a', sizeof(b.addr));
	assert_int_equal(store_ban_put(fx.s, &b), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "addr");
	sample_ban(&b, "192.0.2.1/32", 100);
	memset(b.reason, 'r', sizeof(b.reason));
	assert_int_equal(store_ban_put(fx.s, &b), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "reason");
	sample_ban(&b, "192.0.2.1/32", 100);
	memset(b.origin, 'o', sizeof(b.origin));
	assert_int_equal(store_ban_put(fx.s, &b), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "origin");
	sample_ban(&b, "", 100);
	assert_int_equal(store_ban_put(fx.s, &b), EINVAL);
	assert_int_equal(store_ban_put(fx.s, NULL), EINVAL);
	assert_int_equal(store_ban_each(fx.s, NULL, NULL), EINVAL);
	assert_int_equal(store_ban_forget(NULL, 1, NULL), EINVAL);
	assert_int_equal(count_bans(fx.s), 0);
}

static int
ban_reenter(const struct ban_rec *b, void *arg)
{
	struct ban_rec got;

	(void)arg;
	return store_ban_get(fx.s, b->addr, &got);
}

/* Values the store did not write are checked on the way out. */
static void
ban_stored_values_checked(void **state)
{
	struct seen sn = { 0 };
	struct ban_rec b, got;

	(void)state;
	sample_ban(&b, "192.0.2.1/32", 100);
	assert_int_equal(store_ban_put(fx.s, &b), 0);
	assert_int_equal(store_ban_each(fx.s, ban_reenter, NULL), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "callback");

	raw_exec("UPDATE bans SET rung = -1");
	assert_int_equal(store_ban_get(fx.s, "192.0.2.1/32", &got), EIO);
	assert_msg_has(store_errmsg(fx.s), "bans.rung");
	raw_exec("UPDATE bans SET rung = 1, reason = "
		 "'rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr'"); /* 32 bytes */
	assert_int_equal(store_ban_each(fx.s, see_ban, &sn), EIO);
	assert_int_equal(sn.n, 0);
	assert_msg_has(store_errmsg(fx.s), "bans.reason");
	raw_exec("UPDATE bans SET reason = "
		 "'rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr'"); /* 31 bytes */
	assert_int_equal(store_ban_get(fx.s, "192.0.2.1/32", &got), 0);
	assert_int_equal(strlen(got.reason), STORE_REASON_MAX - 1);
}

/* ---- the guard's state: history -------------------------------------------------- */

static void
ban_event_add_each_limit(void **state)
{
	static const char *const whats[] = { "strike", "trigger", "ban",
		"unban" };
	struct ban_event e, a[6];
	struct seen sn = { 0 };
	int64_t last = 0;
	int i;

	(void)state;
	/* 192.0.2.1 gets events 0, 2, 4, 6, 8, 9; 192.0.2.2 the rest. */
	for (i = 0; i < 10; i++) {
		sample_event(&e,
		    i % 2 == 0 || i == 9 ? "192.0.2.1/32" : "192.0.2.2/32",
		    1000 + i, whats[i % 4]);
		if (i == 9)
			fill(e.detail, sizeof(e.detail), 'd');
		assert_int_equal(store_ban_event_add(fx.s, &e), 0);
		/* Ids increase; add sets them. */
		assert_true(e.id > last);
		last = e.id;
		if (i % 2 == 0 || i == 9)
			a[i == 9 ? 5 : i / 2] = e;
	}

	/* All of one address, oldest first. */
	assert_int_equal(
	    store_ban_event_each(fx.s, "192.0.2.1/32", 0, see_event, &sn), 0);
	assert_int_equal(sn.n, 6);
	for (i = 0; i < 6; i++)
		assert_event_eq(&sn.ev[i], &a[i]);

	/* The newest 2, still oldest first. */
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(
	    store_ban_event_each(fx.s, "192.0.2.1/32", 2, see_event, &sn), 0);
	assert_int_equal(sn.n, 2);
	assert_event_eq(&sn.ev[0], &a[4]);
	assert_event_eq(&sn.ev[1], &a[5]);
	/* A limit above the count is all. */
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(
	    store_ban_event_each(fx.s, "192.0.2.1/32", 100, see_event, &sn), 0);
	assert_int_equal(sn.n, 6);
	assert_event_eq(&sn.ev[0], &a[0]);

	/* Every address: all ten, or the newest three in id order. */
	assert_int_equal(count_events(fx.s), 10);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(
	    store_ban_event_each(fx.s, NULL, 3, see_event, &sn), 0);
	assert_int_equal(sn.n, 3);
	assert_true(sn.ev[0].at == 1007);
	assert_true(sn.ev[1].at == 1008);
	assert_true(sn.ev[2].at == 1009);
	assert_true(sn.ev[0].id < sn.ev[1].id && sn.ev[1].id < sn.ev[2].id);

	/* Unknown address: nothing. A walk stops on non-zero. */
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(
	    store_ban_event_each(fx.s, "192.0.2.3/32", 0, see_event, &sn), 0);
	assert_int_equal(sn.n, 0);
	sn.stop_at = 1;
	assert_int_equal(
	    store_ban_event_each(fx.s, NULL, 0, see_event, &sn), 42);
	assert_int_equal(sn.n, 1);
}

static void
ban_event_bad_arguments(void **state)
{
	char longa[STORE_ADDR_MAX + 1];
	struct ban_event e;
	struct seen sn = { 0 };

	(void)state;
	sample_event(&e, "192.0.2.1/32", 1, "kick");
	assert_int_equal(store_ban_event_add(fx.s, &e), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "what");
	assert_msg_has(store_errmsg(fx.s), "kick");
	sample_event(&e, "192.0.2.1/32", 1, "BAN");
	assert_int_equal(store_ban_event_add(fx.s, &e), EINVAL);
	sample_event(&e, "192.0.2.1/32", 1, "");
	assert_int_equal(store_ban_event_add(fx.s, &e), EINVAL);
	sample_event(&e, "192.0.2.1/32", 1, "ban");
	memset(e.what, 'b', sizeof(e.what));
	assert_int_equal(store_ban_event_add(fx.s, &e), EINVAL);
	sample_event(&e, "192.0.2.1/32", 1, "ban");
	memset(e.detail, 'd', sizeof(e.detail));
	assert_int_equal(store_ban_event_add(fx.s, &e), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "detail");
	sample_event(&e, "192.0.2.1/32", 1, "ban");
	memset(e.addr, 'a', sizeof(e.addr));
	assert_int_equal(store_ban_event_add(fx.s, &e), EINVAL);
	sample_event(&e, "", 1, "ban");
	assert_int_equal(store_ban_event_add(fx.s, &e), EINVAL);
	assert_true(e.id == -7); /* untouched on failure */
	assert_int_equal(store_ban_event_add(fx.s, NULL), EINVAL);

	fill(longa, sizeof(longa), 'a');
	assert_int_equal(
	    store_ban_event_each(fx.s, longa, 0, see_event, &sn), EINVAL);
	assert_int_equal(
	    store_ban_event_each(fx.s, "", 0, see_event, &sn), EINVAL);
	assert_int_equal(
	    store_ban_event_each(fx.s, NULL, 0, NULL, NULL), EINVAL);
	assert_int_equal(sn.n, 0);
	assert_int_equal(count_events(fx.s), 0);
}

static void
ban_event_trim(void **state)
{
	struct seen sn = { 0 };
	struct ban_event e;
	int64_t last;

	(void)state;
	sample_event(&e, "192.0.2.1/32", 100, "strike");
	assert_int_equal(store_ban_event_add(fx.s, &e), 0);
	sample_event(&e, "192.0.2.1/32", 200, "ban");
	assert_int_equal(store_ban_event_add(fx.s, &e), 0);
	sample_event(&e, "192.0.2.2/32", 300, "trigger");
	assert_int_equal(store_ban_event_add(fx.s, &e), 0);
	last = e.id;

	assert_int_equal(store_ban_event_trim(fx.s, 100), 0);
	assert_int_equal(count_events(fx.s), 3);
	/* at < before goes. */
	assert_int_equal(store_ban_event_trim(fx.s, 201), 0);
	assert_int_equal(
	    store_ban_event_each(fx.s, NULL, 0, see_event, &sn), 0);
	assert_int_equal(sn.n, 1);
	assert_true(sn.ev[0].at == 300);
	assert_int_equal(store_ban_event_trim(fx.s, INT64_MAX), 0);
	assert_int_equal(count_events(fx.s), 0);
	/* An emptied table never hands an id out again. */
	sample_event(&e, "192.0.2.1/32", 400, "unban");
	assert_int_equal(store_ban_event_add(fx.s, &e), 0);
	assert_true(e.id > last);
}

/* ---- the guard's state: allowlist ------------------------------------------------- */

static void
allow_put_del_generation(void **state)
{
	struct allow_rec a;
	struct seen sn = { 0 };
	struct store *s2 = NULL;
	struct account acc;

	(void)state;
	assert_true(allow_generation(fx.s) == 0);
	sample_allow(&a, "198.51.100.0/24", "office");
	assert_int_equal(store_allow_put(fx.s, &a), 0);
	assert_true(allow_generation(fx.s) == 1);
	/* put again replaces the entry, and bumps. */
	fill(a.note, sizeof(a.note), 'n');
	a.created = 42;
	assert_int_equal(store_allow_put(fx.s, &a), 0);
	assert_true(allow_generation(fx.s) == 2);
	assert_int_equal(store_allow_each(fx.s, see_allow, &sn), 0);
	assert_int_equal(sn.n, 1);
	assert_string_equal(sn.allow[0].addr, a.addr);
	assert_string_equal(sn.allow[0].note, a.note);
	assert_true(sn.allow[0].created == 42);

	/* Failures and reads change nothing. */
	memset(a.note, 'n', sizeof(a.note));
	assert_int_equal(store_allow_put(fx.s, &a), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "note");
	assert_int_equal(store_allow_del(fx.s, "192.0.2.1/32"), ENOENT);
	assert_msg_has(store_errmsg(fx.s), "192.0.2.1/32");
	assert_int_equal(store_allow_del(fx.s, ""), EINVAL);
	assert_true(allow_generation(fx.s) == 2);

	/* The two generations are separate counters. */
	sample_account(&acc, "alice", "example.com");
	assert_int_equal(store_account_add(fx.s, &acc), 0);
	assert_true(allow_generation(fx.s) == 2);
	assert_true(generation(fx.s) == 1);

	/* Another connection (a daemon polling) sees the same. */
	open_ok(&s2);
	assert_true(allow_generation(s2) == 2);
	assert_int_equal(store_allow_del(fx.s, "198.51.100.0/24"), 0);
	assert_true(allow_generation(s2) == 3);
	assert_true(generation(s2) == 1);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_allow_each(s2, see_allow, &sn), 0);
	assert_int_equal(sn.n, 0);
	store_close(s2);
	assert_int_equal(store_allow_generation(fx.s, NULL), EINVAL);
	assert_int_equal(store_allow_generation(NULL, NULL), EINVAL);
}

static void
allow_txn_and_order(void **state)
{
	static const char *const add[] = { "2001:db8::/32", "192.0.2.0/24",
		"10.0.0.0/8" };
	struct allow_rec a;
	struct seen sn = { 0 };
	size_t i;

	(void)state;
	/* Inside store_begin(): entry and bump share its fate. */
	assert_int_equal(store_begin(fx.s), 0);
	sample_allow(&a, "192.0.2.0/24", "lab");
	assert_int_equal(store_allow_put(fx.s, &a), 0);
	assert_true(allow_generation(fx.s) == 1);
	assert_int_equal(store_rollback(fx.s), 0);
	assert_true(allow_generation(fx.s) == 0);
	assert_int_equal(store_allow_each(fx.s, see_allow, &sn), 0);
	assert_int_equal(sn.n, 0);

	for (i = 0; i < 3; i++) {
		sample_allow(&a, add[i], "x");
		assert_int_equal(store_allow_put(fx.s, &a), 0);
	}
	assert_true(allow_generation(fx.s) == 3);
	assert_int_equal(store_allow_each(fx.s, see_allow, &sn), 0);
	assert_int_equal(sn.n, 3);
	assert_string_equal(sn.key[0], "10.0.0.0/8");
	assert_string_equal(sn.key[1], "192.0.2.0/24");
	assert_string_equal(sn.key[2], "2001:db8::/32");
	memset(&sn, 0, sizeof(sn));
	sn.stop_at = 1;
	assert_int_equal(store_allow_each(fx.s, see_allow, &sn), 42);
	assert_int_equal(store_allow_each(fx.s, NULL, NULL), EINVAL);
}

/* ---- the guard's state: command queue ----------------------------------------------- */

static void
ban_cmd_queue(void **state)
{
	static const char *const ops[] = { "ban", "unban", "allow", "unallow" };
	struct ban_cmd c[4];
	struct seen sn = { 0 };
	struct store *s2 = NULL;
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		sample_cmd(&c[i], ops[i], "192.0.2.9/32", 1000 + i);
		assert_int_equal(store_ban_cmd_add(fx.s, &c[i]), 0);
		assert_true(i == 0 || c[i].id > c[i - 1].id);
	}
	c[0].duration = 0; /* check the last add did not alias the first */
	c[0].duration = 3600;

	/* id > after, oldest first, as another connection sees it. */
	open_ok(&s2);
	assert_int_equal(store_ban_cmd_each(s2, 0, see_cmd, &sn), 0);
	assert_int_equal(sn.n, 4);
	for (i = 0; i < 4; i++)
		assert_cmd_eq(&sn.cmd[i], &c[i]);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_ban_cmd_each(s2, c[1].id, see_cmd, &sn), 0);
	assert_int_equal(sn.n, 2);
	assert_cmd_eq(&sn.cmd[0], &c[2]);
	assert_cmd_eq(&sn.cmd[1], &c[3]);
	assert_int_equal(count_cmds(s2, c[3].id), 0);
	assert_int_equal(count_cmds(s2, -1), 4);
	store_close(s2);

	memset(&sn, 0, sizeof(sn));
	sn.stop_at = 3;
	assert_int_equal(store_ban_cmd_each(fx.s, 0, see_cmd, &sn), 42);
	assert_int_equal(sn.n, 3);

	/* Trim: created < before. */
	assert_int_equal(store_ban_cmd_trim(fx.s, 1000), 0);
	assert_int_equal(count_cmds(fx.s, 0), 4);
	assert_int_equal(store_ban_cmd_trim(fx.s, 1002), 0);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_ban_cmd_each(fx.s, 0, see_cmd, &sn), 0);
	assert_int_equal(sn.n, 2);
	assert_cmd_eq(&sn.cmd[0], &c[2]);
	/* After a trim of everything ids keep growing: a poller that
	 * applied id N must never see a new command at N or below. */
	assert_int_equal(store_ban_cmd_trim(fx.s, INT64_MAX), 0);
	assert_int_equal(count_cmds(fx.s, 0), 0);
	sample_cmd(&c[0], "ban", "192.0.2.10/32", 2000);
	assert_int_equal(store_ban_cmd_add(fx.s, &c[0]), 0);
	assert_true(c[0].id > c[3].id);
	assert_int_equal(count_cmds(fx.s, c[3].id), 1);
}

static void
ban_cmd_bad_arguments(void **state)
{
	struct ban_cmd c;

	(void)state;
	sample_cmd(&c, "kick", "192.0.2.9/32", 1);
	assert_int_equal(store_ban_cmd_add(fx.s, &c), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "op");
	assert_msg_has(store_errmsg(fx.s), "kick");
	sample_cmd(&c, "Ban", "192.0.2.9/32", 1);
	assert_int_equal(store_ban_cmd_add(fx.s, &c), EINVAL);
	sample_cmd(&c, "", "192.0.2.9/32", 1);
	assert_int_equal(store_ban_cmd_add(fx.s, &c), EINVAL);
	sample_cmd(&c, "ban", "192.0.2.9/32", 1);
	memset(c.op, 'b', sizeof(c.op));
	assert_int_equal(store_ban_cmd_add(fx.s, &c), EINVAL);
	sample_cmd(&c, "ban", "", 1);
	assert_int_equal(store_ban_cmd_add(fx.s, &c), EINVAL);
	sample_cmd(&c, "ban", "192.0.2.9/32", 1);
	memset(c.addr, 'a', sizeof(c.addr));
	assert_int_equal(store_ban_cmd_add(fx.s, &c), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "addr");
	sample_cmd(&c, "unban", "192.0.2.9/32", 1);
	memset(c.reason, 'r', sizeof(c.reason));
	assert_int_equal(store_ban_cmd_add(fx.s, &c), EINVAL);
	assert_true(c.id == -7);
	assert_int_equal(store_ban_cmd_add(fx.s, NULL), EINVAL);
	assert_int_equal(store_ban_cmd_add(NULL, &c), EINVAL);
	assert_int_equal(store_ban_cmd_each(fx.s, 0, NULL, NULL), EINVAL);
	assert_int_equal(store_ban_cmd_trim(NULL, 0), EINVAL);
	assert_int_equal(count_cmds(fx.s, 0), 0);
}

/*
 * PostgreSQL: text that is not UTF-8 is refused before the server sees
 * it, so a transaction survives it (as for bindings).
 */
static void
guard_non_utf8_text(void **state)
{
	struct ban_rec b, got;
	struct ban_cmd c;
	int want = fx.pg ? EINVAL : 0;

	(void)state;
	assert_int_equal(store_begin(fx.s), 0);
	sample_ban(&b, "192.0.2.1/32", 100);
	assert_int_equal(store_ban_put(fx.s, &b), 0);
	sample_ban(&b, "192.0.2.2/32", 100);
	snprintf(b.origin, sizeof(b.origin), "%s", "feed:\xff");
	assert_int_equal(store_ban_put(fx.s, &b), want);
	sample_cmd(&c, "ban", "192.0.2.3/32", 1);
	snprintf(c.reason, sizeof(c.reason), "%s", "\xc0\xaf");
	assert_int_equal(store_ban_cmd_add(fx.s, &c), want);
	if (want)
		assert_msg_has(store_errmsg(fx.s), "reason");
	assert_int_equal(
	    store_ban_get(fx.s, "\xed\xa0\x80", &got), fx.pg ? EINVAL : ENOENT);
	assert_int_equal(store_commit(fx.s), 0);
	assert_int_equal(store_ban_get(fx.s, "192.0.2.1/32", &got), 0);
	assert_int_equal(count_bans(fx.s), fx.pg ? 1 : 2);
}

/* ---- the caller-ID numbering data ------------------------------------------------- */

/*
 * A version-2 database, as a program before the numbering data made it:
 * the bootstrap and the first two steps, with an account, a ban and an
 * allowlist entry in it.
 */
static void
make_v2_db(void)
{
	const struct store_schema *sc =
	    fx.pg ? store_pgsql_ops.schema : store_sqlite_ops.schema;

	store_close(fx.s);
	fx.s = NULL;
	if (!fx.pg && !fx.env)
		rm_sqlite_files(fx.path);
	fresh_db();
	raw_exec(sc->bootstrap);
	raw_exec(sc->steps[0]);
	raw_exec(sc->steps[1]);
	raw_exec("INSERT INTO meta (key, value) VALUES ('schema_version', 2)");
	raw_exec("UPDATE meta SET value = 7 WHERE key = 'generation'");
	raw_exec("UPDATE meta SET value = 3 WHERE key = 'allow_generation'");
	raw_exec("INSERT INTO accounts (username, domain, ha1_md5) "
		 "VALUES ('old', 'example.com', 'abc')");
	raw_exec("INSERT INTO bans (addr, reason, expires) "
		 "VALUES ('192.0.2.9/32', 'scanner', 100)");
	assert_int_equal(count_tables(V2_TABLES), 4);
	assert_int_equal(count_tables(V3_TABLES), 0);
}

static int64_t
num_generation(struct store *s)
{
	int64_t g = -1;

	assert_int_equal(store_numbering_generation(s, &g), 0);
	return g;
}

static void
sample_range(struct num_range *r, const char *prefix, const char *status,
    const char *sub, const char *holder)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->prefix, sizeof(r->prefix), "%s", prefix);
	snprintf(r->status, sizeof(r->status), "%s", status);
	snprintf(r->subblocks, sizeof(r->subblocks), "%s", sub);
	snprintf(r->holder, sizeof(r->holder), "%s", holder);
	snprintf(r->area, sizeof(r->area), "%s", "Santa Cruz de Tenerife");
	r->assigned = 1373328000; /* 09/07/2013 */
	snprintf(r->source, sizeof(r->source), "geograficos.txt:%zu",
	    strlen(prefix));
}

/* Collects the rows of the numbering walks. */
#define NSEEN_MAX 32
struct nseen {
	int n;
	char key[NSEEN_MAX][STORE_NUM_NAME_MAX + 32];
	struct num_range r[NSEEN_MAX];
	struct num_own o[NSEEN_MAX];
	struct num_exception e[NSEEN_MAX];
	struct sms_alias a[NSEEN_MAX];
	struct cid_block b[NSEEN_MAX];
};

static int
see_range(const struct num_range *r, void *arg)
{
	struct nseen *ns = arg;

	if (ns->n >= NSEEN_MAX)
		return -1;
	ns->r[ns->n] = *r;
	snprintf(
	    ns->key[ns->n], sizeof(ns->key[0]), "%s %s", r->prefix, r->holder);
	ns->n++;
	return 0;
}

static int
see_own(const struct num_own *o, void *arg)
{
	struct nseen *ns = arg;

	if (ns->n >= NSEEN_MAX)
		return -1;
	ns->o[ns->n] = *o;
	snprintf(
	    ns->key[ns->n], sizeof(ns->key[0]), "%s %s", o->digits, o->kind);
	ns->n++;
	return 0;
}

static int
see_exc(const struct num_exception *e, void *arg)
{
	struct nseen *ns = arg;

	if (ns->n >= NSEEN_MAX)
		return -1;
	ns->e[ns->n] = *e;
	snprintf(ns->key[ns->n], sizeof(ns->key[0]), "%s", e->digits);
	ns->n++;
	return 0;
}

static int
see_alias(const struct sms_alias *a, void *arg)
{
	struct nseen *ns = arg;

	if (ns->n >= NSEEN_MAX)
		return -1;
	ns->a[ns->n] = *a;
	snprintf(ns->key[ns->n], sizeof(ns->key[0]), "%s", a->alias);
	ns->n++;
	return 0;
}

static int
see_robinson(const struct robinson_rec *r, void *arg)
{
	struct nseen *ns = arg;

	if (ns->n >= NSEEN_MAX)
		return -1;
	snprintf(ns->key[ns->n], sizeof(ns->key[0]), "%s", r->hash);
	ns->n++;
	return 0;
}

static int
see_block(const struct cid_block *b, void *arg)
{
	struct nseen *ns = arg;

	if (ns->n >= NSEEN_MAX)
		return -1;
	ns->b[ns->n] = *b;
	snprintf(ns->key[ns->n], sizeof(ns->key[0]), "%lld %s %s %s",
	    (long long)(b->day / 86400), b->rule, b->channel, b->trunk);
	ns->n++;
	return 0;
}

static int
count_ranges(struct store *s)
{
	struct nseen ns = { 0 };

	assert_int_equal(store_num_range_each(s, see_range, &ns), 0);
	return ns.n;
}

/* Import "n" ranges of "sample" (prefix "base" + i) as a new data set. */
static void
import_ranges(struct store *s, const char *base, int n, const char *holder)
{
	struct num_range r;
	char prefix[STORE_DIGITS_MAX];
	uint64_t rows = 0;
	int i;

	assert_int_equal(
	    store_import_begin(s, STORE_NUM_RANGES, false, base), 0);
	for (i = 0; i < n; i++) {
		snprintf(prefix, sizeof(prefix), "%s%d", base, i);
		sample_range(&r, prefix, "Asignado", "", holder);
		assert_int_equal(store_import_range(s, &r), 0);
	}
	assert_int_equal(store_import_commit(s, &rows), 0);
	assert_true(rows == (uint64_t)n);
}

static void
migrate_v2_to_v3(void **state)
{
	struct account got;
	struct ban_rec b;
	struct num_stats st;

	(void)state;
	make_v2_db();
	open_ok(&fx.s);
	assert_int_equal(store_schema_version(fx.s), STORE_SCHEMA_VERSION);
	assert_int_equal(
	    raw_int("SELECT value FROM meta WHERE key = 'schema_version'"),
	    STORE_SCHEMA_VERSION);
	assert_int_equal(count_tables(V3_TABLES), 7);
	assert_int_equal(count_indexes(V3_INDEXES), 1);
	/* Version-2 data is untouched. */
	assert_int_equal(
	    store_account_get(fx.s, "old", "example.com", &got), 0);
	assert_int_equal(store_ban_get(fx.s, "192.0.2.9/32", &b), 0);
	assert_string_equal(b.reason, "scanner");
	assert_true(generation(fx.s) == 7);
	assert_true(allow_generation(fx.s) == 3);
	/* The new tables start empty, no register in force. */
	assert_int_equal(store_num_stats(fx.s, &st), 0);
	assert_true(st.ranges == 0 && st.own == 0 && st.robinson == 0);
	assert_true(st.generation == 0);
	assert_true(st.dataset.id == 0);
	import_ranges(fx.s, "3482224", 2, "AIRE");
	assert_int_equal(count_ranges(fx.s), 2);
	assert_true(num_generation(fx.s) == 1);
	/* Opening again migrates nothing. */
	store_close(fx.s);
	fx.s = NULL;
	open_ok(&fx.s);
	assert_int_equal(count_ranges(fx.s), 2);
	assert_true(num_generation(fx.s) == 1);
}

/* A failed step 3 leaves version 2 as it was, and a later open works. */
static void
migrate_v2_failure_rolls_back(void **state)
{
	struct store *s2 = (struct store *)0x1;
	char err[256];

	(void)state;
	make_v2_db();
	raw_exec("CREATE TABLE robinson (x integer)");
	assert_int_equal(store_open(&s2, fx.uri, err, sizeof(err)), EIO);
	assert_true(s2 == (struct store *)0x1);
	assert_msg_has(err, "2 -> 3");
	assert_int_equal(
	    raw_int("SELECT value FROM meta WHERE key = 'schema_version'"), 2);
	assert_int_equal(raw_int("SELECT count(*) FROM meta WHERE "
				 "key = 'numbering_generation'"),
	    0);
	assert_int_equal(count_tables(V3_TABLES), 1);
	assert_int_equal(raw_int("SELECT count(*) FROM accounts"), 1);
	raw_exec("DROP TABLE robinson");
	open_ok(&fx.s);
	assert_int_equal(store_schema_version(fx.s), STORE_SCHEMA_VERSION);
	assert_true(generation(fx.s) == 7);
}

static void
num_ranges_import_and_walk(void **state)
{
	struct num_range r[4];
	struct nseen ns = { 0 };
	struct num_dataset d;
	struct num_stats st;
	uint64_t rows = 0;
	size_t i;

	(void)state;
	assert_int_equal(store_num_dataset(fx.s, &d), 0);
	assert_true(d.id == 0);
	/* Given out of order; a shared block has two holders. */
	sample_range(&r[0], "348222403", "Subasignado", "03",
	    "WIFI CANARIAS DE TELECOMUNICACIONES Y FIBRA, S.L.");
	sample_range(&r[1], "3482224", "Asignado", "",
	    "AIRE NETWORKS DEL MEDITERR\xc3\x81NEO, S.L. UNIPERSONAL");
	sample_range(&r[2], "3482201", "Compartido", "",
	    "VODAFONE ESPA\xc3\x91\x41, S.A. UNIPERSONAL");
	sample_range(&r[3], "3482201", "Compartido", "", "VODAFONE ONO, S.A.");
	assert_int_equal(store_import_begin(
			     fx.s, STORE_NUM_RANGES, false, "geograficos.txt"),
	    0);
	for (i = 0; i < 4; i++)
		assert_int_equal(store_import_range(fx.s, &r[i]), 0);
	assert_int_equal(store_import_commit(fx.s, &rows), 0);
	assert_true(rows == 4);
	assert_true(num_generation(fx.s) == 1);

	/* In the order of the import. */
	assert_int_equal(store_num_range_each(fx.s, see_range, &ns), 0);
	assert_int_equal(ns.n, 4);
	assert_string_equal(
	    ns.key[2], "3482201 VODAFONE ESPA\xc3\x91\x41, S.A. UNIPERSONAL");
	assert_string_equal(ns.key[3], "3482201 VODAFONE ONO, S.A.");
	assert_string_equal(ns.r[1].prefix, "3482224");
	assert_string_equal(ns.r[1].holder, r[1].holder);
	assert_string_equal(ns.r[0].prefix, "348222403");
	assert_string_equal(ns.r[0].status, "Subasignado");
	assert_string_equal(ns.r[0].subblocks, "03");
	assert_string_equal(ns.r[0].area, "Santa Cruz de Tenerife");
	assert_string_equal(ns.r[0].source, r[0].source);
	assert_true(ns.r[0].assigned == 1373328000);

	assert_int_equal(store_num_dataset(fx.s, &d), 0);
	assert_true(d.id > 0);
	assert_true(d.nrows == 4);
	assert_true(d.created > 0);
	assert_string_equal(d.note, "geograficos.txt");
	assert_int_equal(store_num_stats(fx.s, &st), 0);
	assert_true(st.ranges == 4);
	assert_true(st.dataset.id == d.id);
	assert_true(st.generation == 1);
}

/* A new import replaces the set in force and deletes the old rows. */
static void
num_ranges_dataset_switch(void **state)
{
	struct num_dataset d1, d2;
	struct nseen ns = { 0 };

	(void)state;
	import_ranges(fx.s, "34911", 5, "OLD");
	assert_int_equal(store_num_dataset(fx.s, &d1), 0);
	import_ranges(fx.s, "34912", 3, "NEW");
	assert_int_equal(store_num_dataset(fx.s, &d2), 0);
	assert_true(d2.id > d1.id);
	assert_true(d2.nrows == 3);
	assert_int_equal(store_num_range_each(fx.s, see_range, &ns), 0);
	assert_int_equal(ns.n, 3);
	assert_string_equal(ns.key[0], "349120 NEW");
	/* Nothing of the old set is left behind. */
	assert_int_equal(raw_int("SELECT count(*) FROM num_ranges"), 3);
	assert_int_equal(raw_int("SELECT count(*) FROM num_datasets"), 1);
	assert_true(num_generation(fx.s) == 2);
	/* An empty import is a valid (empty) register. */
	import_ranges(fx.s, "34", 0, "NONE");
	assert_int_equal(count_ranges(fx.s), 0);
}

/*
 * Readers never see a half import, and every way an import can fail
 * leaves the old data set in force: a bad row, an abort, a connection
 * closed mid-import, a duplicate key the database refuses, text
 * PostgreSQL cannot hold.
 */
static void
num_ranges_failed_import_keeps_old(void **state)
{
	struct num_range r;
	struct num_dataset d0, d;
	struct account got;
	struct store *s2 = NULL;
	int64_t gen;
	int i;

	(void)state;
	import_ranges(fx.s, "34911", 4, "OLD");
	assert_int_equal(store_num_dataset(fx.s, &d0), 0);
	gen = num_generation(fx.s);

	/* A bad row: refused, the import stays open until aborted. */
	assert_int_equal(
	    store_import_begin(fx.s, STORE_NUM_RANGES, false, NULL), 0);
	sample_range(&r, "34922", "Asignado", "", "NEW");
	assert_int_equal(store_import_range(fx.s, &r), 0);
	/* Another connection still sees the old set only. */
	open_ok(&s2);
	assert_int_equal(count_ranges(s2), 4);
	/* The importing connection refuses everything else meanwhile. */
	assert_int_equal(
	    store_account_get(fx.s, "x", "example.com", &got), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "import");
	assert_int_equal(
	    store_import_begin(fx.s, STORE_NUM_OWN, false, NULL), EINVAL);
	assert_int_equal(store_import_own(fx.s, NULL), EINVAL);
	sample_range(&r, "34922", "Bogus", "", "NEW");
	assert_int_equal(store_import_range(fx.s, &r), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "status");
	sample_range(&r, "3492x", "Asignado", "", "NEW");
	assert_int_equal(store_import_range(fx.s, &r), EINVAL);
	sample_range(&r, "34922", "Asignado", "03", "NEW");
	assert_int_equal(store_import_range(fx.s, &r), EINVAL);
	sample_range(&r, "34922", "Asignado", "", "");
	assert_int_equal(store_import_range(fx.s, &r), EINVAL);
	assert_int_equal(store_import_abort(fx.s), 0);
	assert_int_equal(store_import_abort(fx.s), 0); /* none open: no-op */
	assert_int_equal(store_import_commit(fx.s, NULL), EINVAL);
	assert_int_equal(count_ranges(fx.s), 4);
	assert_int_equal(store_num_dataset(fx.s, &d), 0);
	assert_true(d.id == d0.id);
	assert_true(num_generation(fx.s) == gen);
	assert_int_equal(count_ranges(s2), 4);

	/* A connection closed mid-import. */
	assert_int_equal(
	    store_import_begin(fx.s, STORE_NUM_RANGES, false, NULL), 0);
	for (i = 0; i < 100; i++) {
		char p[STORE_DIGITS_MAX];

		snprintf(p, sizeof(p), "3493%d", i);
		sample_range(&r, p, "Asignado", "", "NEW");
		assert_int_equal(store_import_range(fx.s, &r), 0);
	}
	assert_int_equal(count_ranges(s2), 4);
	store_close(fx.s);
	fx.s = NULL;
	open_ok(&fx.s);
	assert_int_equal(count_ranges(fx.s), 4);
	assert_true(num_generation(fx.s) == gen);

	/*
	 * Text PostgreSQL cannot hold is refused at the row (SQLite takes
	 * it): abort, the old set stays.
	 */
	if (fx.pg) {
		assert_int_equal(
		    store_import_begin(fx.s, STORE_NUM_RANGES, false, NULL), 0);
		sample_range(&r, "34922", "Asignado", "", "TELEF\xd3NICA");
		assert_int_equal(store_import_range(fx.s, &r), EINVAL);
		assert_msg_has(store_errmsg(fx.s), "holder");
		assert_int_equal(store_import_abort(fx.s), 0);
		assert_int_equal(count_ranges(fx.s), 4);
	}

	/* A duplicate key of a replacing import: refused by the database
	 * (at the row on SQLite, at the commit under COPY). */
	assert_int_equal(
	    store_robinson_put(fx.s,
		"9a0d14c71b6bb4b50fd4a9efc0536de8c7198f4bebdadcc4e7"
		"ee32731fb75c15"),
	    0);
	gen = num_generation(fx.s);
	assert_int_equal(
	    store_import_begin(fx.s, STORE_NUM_ROBINSON, true, NULL), 0);
	{
		const char *h = "ea48b0f337aded1ab2d7fb495b075883b91319a0c8c5b"
				"88d5be9d28c95663ac4";
		int rc;

		assert_int_equal(store_import_robinson(fx.s, h), 0);
		rc = store_import_robinson(fx.s, h);
		if (rc == 0)
			rc = store_import_commit(fx.s, NULL);
		else
			assert_int_equal(store_import_abort(fx.s), 0);
		assert_int_equal(rc, EEXIST);
	}
	assert_int_equal(raw_int("SELECT count(*) FROM robinson WHERE hash "
				 "LIKE '9a0d14c7%'"),
	    1);
	assert_int_equal(raw_int("SELECT count(*) FROM robinson"), 1);
	assert_true(num_generation(fx.s) == gen);
	assert_int_equal(count_ranges(fx.s), 4);
	store_close(s2);
}

static void
num_import_misuse(void **state)
{
	(void)state;
	assert_int_equal(
	    store_import_begin(NULL, STORE_NUM_RANGES, false, NULL), EINVAL);
	assert_int_equal(
	    store_import_begin(fx.s, (enum store_num_table)9, false, NULL),
	    EINVAL);
	/* Not inside another transaction. */
	assert_int_equal(store_begin(fx.s), 0);
	assert_int_equal(
	    store_import_begin(fx.s, STORE_NUM_OWN, true, NULL), EINVAL);
	assert_int_equal(store_rollback(fx.s), 0);
	assert_int_equal(store_import_range(fx.s, NULL), EINVAL);
	assert_int_equal(store_import_robinson(fx.s, "00"), EINVAL);
	/* A row for another table than the one open. */
	assert_int_equal(
	    store_import_begin(fx.s, STORE_NUM_ROBINSON, false, NULL), 0);
	assert_int_equal(
	    store_import_begin(fx.s, STORE_NUM_ROBINSON, false, NULL), EINVAL);
	assert_int_equal(store_import_alias(fx.s, NULL), EINVAL);
	assert_int_equal(store_import_abort(fx.s), 0);
	assert_int_equal(count_ranges(fx.s), 0);
}

static void
sample_own(struct num_own *o, const char *digits, const char *kind)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->digits, sizeof(o->digits), "%s", digits);
	snprintf(o->kind, sizeof(o->kind), "%s", kind);
	snprintf(o->note, sizeof(o->note), "note %s", kind);
}

static void
num_own_put_del_each(void **state)
{
	struct num_own o;
	struct nseen ns = { 0 };

	(void)state;
	sample_own(&o, "3491100", "block");
	assert_int_equal(store_num_own_put(fx.s, &o), 0);
	sample_own(&o, "34911000123", "service");
	assert_int_equal(store_num_own_put(fx.s, &o), 0);
	sample_own(&o, "34911000123", "ported_out");
	assert_int_equal(store_num_own_put(fx.s, &o), 0);
	/* Same key: the note is replaced. */
	sample_own(&o, "3491100", "block");
	snprintf(o.note, sizeof(o.note), "%s", "Madrid");
	assert_int_equal(store_num_own_put(fx.s, &o), 0);
	assert_true(num_generation(fx.s) == 4);
	assert_int_equal(store_num_own_each(fx.s, see_own, &ns), 0);
	assert_int_equal(ns.n, 3);
	assert_string_equal(ns.key[0], "3491100 block");
	assert_string_equal(ns.o[0].note, "Madrid");
	assert_string_equal(ns.key[1], "34911000123 ported_out");
	assert_string_equal(ns.key[2], "34911000123 service");

	sample_own(&o, "3491100", "mine");
	assert_int_equal(store_num_own_put(fx.s, &o), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "kind");
	sample_own(&o, "+3491100", "block");
	assert_int_equal(store_num_own_put(fx.s, &o), EINVAL);
	sample_own(&o, "3491100", "block");
	memset(o.digits, '1', sizeof(o.digits)); /* not terminated */
	assert_int_equal(store_num_own_put(fx.s, &o), EINVAL);
	assert_int_equal(store_num_own_put(fx.s, NULL), EINVAL);
	assert_true(num_generation(fx.s) == 4);

	assert_int_equal(store_num_own_del(fx.s, "34911000123", "service"), 0);
	assert_int_equal(
	    store_num_own_del(fx.s, "34911000123", "service"), ENOENT);
	assert_int_equal(store_num_own_del(fx.s, "", "service"), EINVAL);
	assert_true(num_generation(fx.s) == 5);
	assert_int_equal(store_num_own_each(fx.s, NULL, NULL), EINVAL);
}

/* Replacing and merging imports of the own inventory. */
static void
num_own_import(void **state)
{
	struct num_own o;
	struct nseen ns = { 0 };
	uint64_t rows = 0;

	(void)state;
	sample_own(&o, "3491100", "block");
	assert_int_equal(store_num_own_put(fx.s, &o), 0);
	/* Merge: added, the existing key replaced. */
	assert_int_equal(
	    store_import_begin(fx.s, STORE_NUM_OWN, false, NULL), 0);
	snprintf(o.note, sizeof(o.note), "%s", "merged");
	assert_int_equal(store_import_own(fx.s, &o), 0);
	sample_own(&o, "34911000001", "service");
	assert_int_equal(store_import_own(fx.s, &o), 0);
	sample_own(&o, "34911000001", "bogus");
	assert_int_equal(store_import_own(fx.s, &o), EINVAL);
	assert_int_equal(store_import_commit(fx.s, &rows), 0);
	assert_true(rows == 2);
	assert_int_equal(store_num_own_each(fx.s, see_own, &ns), 0);
	assert_int_equal(ns.n, 2);
	assert_string_equal(ns.o[0].note, "merged");
	/* Replace: only the new rows are left. */
	assert_int_equal(
	    store_import_begin(fx.s, STORE_NUM_OWN, true, NULL), 0);
	sample_own(&o, "34600000001", "ported_in");
	assert_int_equal(store_import_own(fx.s, &o), 0);
	assert_int_equal(store_import_commit(fx.s, NULL), 0);
	ns.n = 0;
	assert_int_equal(store_num_own_each(fx.s, see_own, &ns), 0);
	assert_int_equal(ns.n, 1);
	assert_string_equal(ns.key[0], "34600000001 ported_in");
	assert_true(num_generation(fx.s) == 3);
}

static void
num_exception_add_del_each(void **state)
{
	struct num_exception e, e2;
	struct nseen ns = { 0 };

	(void)state;
	memset(&e, 0, sizeof(e));
	snprintf(e.digits, sizeof(e.digits), "%s", "34911000123");
	snprintf(e.trunk, sizeof(e.trunk), "%s", "carrier-fr");
	e.valid_from = 1000;
	e.valid_to = 2000;
	snprintf(e.ref, sizeof(e.ref), "%s", "SETID 2025/17");
	snprintf(e.rules, sizeof(e.rules), "%s", "ES-A4.4,ES-A5.1");
	assert_int_equal(store_num_exception_add(fx.s, &e), 0);
	assert_true(e.id > 0);
	e2 = e;
	snprintf(e2.digits, sizeof(e2.digits), "%s", "3491");
	e2.prefix = 1;
	e2.valid_to = 0; /* no end */
	e2.trunk[0] = '\0';
	assert_int_equal(store_num_exception_add(fx.s, &e2), 0);
	assert_true(e2.id > e.id);
	assert_true(num_generation(fx.s) == 2);

	assert_int_equal(store_num_exception_each(fx.s, see_exc, &ns), 0);
	assert_int_equal(ns.n, 2);
	assert_string_equal(ns.e[0].digits, "3491");
	assert_int_equal(ns.e[0].prefix, 1);
	assert_true(ns.e[0].valid_to == 0);
	assert_string_equal(ns.e[1].trunk, "carrier-fr");
	assert_string_equal(ns.e[1].ref, "SETID 2025/17");
	assert_string_equal(ns.e[1].rules, "ES-A4.4,ES-A5.1");
	assert_true(ns.e[1].valid_from == 1000 && ns.e[1].valid_to == 2000);
	assert_true(ns.e[1].id == e.id);

	e2.valid_to = 1000; /* not after valid_from */
	assert_int_equal(store_num_exception_add(fx.s, &e2), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "valid_to");
	e2.valid_to = 0;
	e2.prefix = 2;
	assert_int_equal(store_num_exception_add(fx.s, &e2), EINVAL);
	e2.prefix = 0;
	snprintf(e2.digits, sizeof(e2.digits), "%s", "");
	assert_int_equal(store_num_exception_add(fx.s, &e2), EINVAL);

	assert_int_equal(store_num_exception_del(fx.s, e.id), 0);
	assert_int_equal(store_num_exception_del(fx.s, e.id), ENOENT);
	assert_true(num_generation(fx.s) == 3);
	ns.n = 0;
	assert_int_equal(store_num_exception_each(fx.s, see_exc, &ns), 0);
	assert_int_equal(ns.n, 1);
}

/* Aliases are exact bytes: DulceFlor and dulceflor are two. */
static void
sms_alias_case_and_import(void **state)
{
	struct sms_alias a;
	struct nseen ns = { 0 };
	uint64_t rows = 0;

	(void)state;
	memset(&a, 0, sizeof(a));
	snprintf(a.alias, sizeof(a.alias), "%s", "DulceFlor");
	snprintf(a.pros, sizeof(a.pros), "%s", "PRO1,PRO2");
	assert_int_equal(store_sms_alias_put(fx.s, &a), 0);
	snprintf(a.alias, sizeof(a.alias), "%s", "dulceflor");
	snprintf(a.pros, sizeof(a.pros), "%s", "PRO3");
	a.valid_from = 10;
	a.valid_to = 20;
	assert_int_equal(store_sms_alias_put(fx.s, &a), 0);
	snprintf(a.alias, sizeof(a.alias), "%s",
	    "Ca\xc3\xb1"
	    "as");
	a.valid_to = 0;
	assert_int_equal(store_sms_alias_put(fx.s, &a), 0);
	assert_int_equal(store_sms_alias_each(fx.s, see_alias, &ns), 0);
	assert_int_equal(ns.n, 3);
	assert_string_equal(ns.key[0],
	    "Ca\xc3\xb1"
	    "as");
	assert_string_equal(ns.key[1], "DulceFlor");
	assert_string_equal(ns.a[1].pros, "PRO1,PRO2");
	assert_string_equal(ns.key[2], "dulceflor");
	assert_true(ns.a[2].valid_from == 10 && ns.a[2].valid_to == 20);

	assert_int_equal(store_sms_alias_del(fx.s, "DULCEFLOR"), ENOENT);
	assert_int_equal(store_sms_alias_del(fx.s, "dulceflor"), 0);
	a.valid_from = 5;
	a.valid_to = 5;
	assert_int_equal(store_sms_alias_put(fx.s, &a), EINVAL);
	a.alias[0] = '\0';
	a.valid_to = 0;
	assert_int_equal(store_sms_alias_put(fx.s, &a), EINVAL);
	assert_true(num_generation(fx.s) == 4);

	assert_int_equal(
	    store_import_begin(fx.s, STORE_NUM_ALIASES, true, NULL), 0);
	snprintf(a.alias, sizeof(a.alias), "%s", "BANCO");
	assert_int_equal(store_import_alias(fx.s, &a), 0);
	assert_int_equal(store_import_commit(fx.s, &rows), 0);
	assert_true(rows == 1);
	ns.n = 0;
	assert_int_equal(store_sms_alias_each(fx.s, see_alias, &ns), 0);
	assert_int_equal(ns.n, 1);
	assert_string_equal(ns.key[0], "BANCO");
}

#define ROB_CALL \
	"9a0d14c71b6bb4b50fd4a9efc0536de8c7198f4bebdadcc4e7ee32731fb75c15"
#define ROB_SMS \
	"ea48b0f337aded1ab2d7fb495b075883b91319a0c8c5b88d5be9d28c95663ac4"

static void
robinson_put_del_import(void **state)
{
	struct nseen ns = { 0 };
	uint64_t rows = 0;

	(void)state;
	assert_int_equal(store_robinson_put(fx.s, ROB_SMS), 0);
	assert_int_equal(store_robinson_put(fx.s, ROB_SMS), 0); /* present */
	assert_int_equal(store_robinson_put(fx.s,
			     "9A0D14C71B6BB4B50FD4A9EFC0536DE8C7198F4BEBDADCC4"
			     "E7EE32731FB75C15"),
	    EINVAL);
	assert_int_equal(store_robinson_put(fx.s, ROB_CALL "0"), EINVAL);
	assert_int_equal(store_robinson_put(fx.s, "9a0d"), EINVAL);
	assert_int_equal(store_robinson_put(fx.s, NULL), EINVAL);
	/* Merge import: a present hash is not an error. */
	assert_int_equal(
	    store_import_begin(fx.s, STORE_NUM_ROBINSON, false, NULL), 0);
	assert_int_equal(store_import_robinson(fx.s, ROB_CALL), 0);
	assert_int_equal(store_import_robinson(fx.s, ROB_SMS), 0);
	assert_int_equal(store_import_robinson(fx.s, "xyz"), EINVAL);
	assert_int_equal(store_import_commit(fx.s, &rows), 0);
	assert_true(rows == 2);
	assert_int_equal(store_robinson_each(fx.s, see_robinson, &ns), 0);
	assert_int_equal(ns.n, 2);
	assert_string_equal(ns.key[0], ROB_CALL);
	assert_string_equal(ns.key[1], ROB_SMS);
	assert_int_equal(store_robinson_del(fx.s, ROB_SMS), 0);
	assert_int_equal(store_robinson_del(fx.s, ROB_SMS), ENOENT);
	ns.n = 0;
	assert_int_equal(store_robinson_each(fx.s, see_robinson, &ns), 0);
	assert_int_equal(ns.n, 1);
}

#define DAY(n) ((int64_t)(n)*86400)

static void
cid_block_counters(void **state)
{
	struct nseen ns = { 0 };
	struct store *s2 = NULL;
	int64_t gen;

	(void)state;
	gen = num_generation(fx.s);
	assert_int_equal(store_cid_block_add(fx.s, DAY(20500), "ES-A5.1",
			     "call", "carrier-fr", 3),
	    0);
	/* A second daemon adds into the same row. */
	open_ok(&s2);
	assert_int_equal(store_cid_block_add(s2, DAY(20500), "ES-A5.1", "call",
			     "carrier-fr", 2),
	    0);
	store_close(s2);
	assert_int_equal(store_cid_block_add(fx.s, DAY(20500), "ES-A5.1", "sms",
			     "carrier-fr", 1),
	    0);
	assert_int_equal(
	    store_cid_block_add(fx.s, DAY(20499), "ES-A4.2", "call", "", 7), 0);
	assert_int_equal(
	    store_cid_block_add(fx.s, DAY(20510), "ES-A4.2", "call", "x", 1),
	    0);
	/* Not numbering data: the generation does not move. */
	assert_true(num_generation(fx.s) == gen);

	assert_int_equal(store_cid_block_each(fx.s, DAY(20499),
			     DAY(20500) + 3600, see_block, &ns),
	    0);
	assert_int_equal(ns.n, 3);
	assert_string_equal(ns.key[0], "20499 ES-A4.2 call ");
	assert_true(ns.b[0].count == 7);
	assert_string_equal(ns.key[1], "20500 ES-A5.1 call carrier-fr");
	assert_true(ns.b[1].count == 5);
	assert_string_equal(ns.key[2], "20500 ES-A5.1 sms carrier-fr");
	assert_true(ns.b[2].count == 1);
	ns.n = 0;
	assert_int_equal(
	    store_cid_block_each(fx.s, DAY(20501), DAY(20600), see_block, &ns),
	    0);
	assert_int_equal(ns.n, 1);

	/* Bad arguments change nothing. */
	assert_int_equal(store_cid_block_add(
			     fx.s, DAY(20500) + 1, "ES-A5.1", "call", "t", 1),
	    EINVAL);
	assert_msg_has(store_errmsg(fx.s), "00:00");
	assert_int_equal(
	    store_cid_block_add(fx.s, DAY(20500), "", "call", "t", 1), EINVAL);
	assert_int_equal(
	    store_cid_block_add(fx.s, DAY(20500), "R", "voice", "t", 1),
	    EINVAL);
	assert_int_equal(
	    store_cid_block_add(fx.s, DAY(20500), "R", "call", "t", 0), EINVAL);
	assert_int_equal(store_cid_block_add(fx.s, DAY(20500), "R", "call", "t",
			     (uint64_t)INT64_MAX + 1),
	    EINVAL);
	assert_int_equal(
	    store_cid_block_add(fx.s, DAY(20500), NULL, "call", "t", 1),
	    EINVAL);
	assert_int_equal(store_cid_block_each(fx.s, 0, 1, NULL, NULL), EINVAL);

	/* The sum saturates instead of overflowing. */
	assert_int_equal(store_cid_block_add(fx.s, DAY(1), "R", "sms", "t",
			     (uint64_t)INT64_MAX - 1),
	    0);
	assert_int_equal(
	    store_cid_block_add(fx.s, DAY(1), "R", "sms", "t", 5), 0);
	ns.n = 0;
	assert_int_equal(
	    store_cid_block_each(fx.s, DAY(1), DAY(1), see_block, &ns), 0);
	assert_int_equal(ns.n, 1);
	assert_true(ns.b[0].count == INT64_MAX);
}

/* Counts of every table, and the walk refusing reentry. */
static int
range_reenter(const struct num_range *r, void *arg)
{
	struct num_stats st;

	(void)r;
	(void)arg;
	return store_num_stats(fx.s, &st);
}

static void
num_stats_counts(void **state)
{
	struct num_own o;
	struct num_exception e;
	struct sms_alias a;
	struct num_stats st;

	(void)state;
	import_ranges(fx.s, "3481", 7, "H");
	sample_own(&o, "3491100", "block");
	assert_int_equal(store_num_own_put(fx.s, &o), 0);
	memset(&e, 0, sizeof(e));
	snprintf(e.digits, sizeof(e.digits), "%s", "34911");
	assert_int_equal(store_num_exception_add(fx.s, &e), 0);
	memset(&a, 0, sizeof(a));
	snprintf(a.alias, sizeof(a.alias), "%s", "BANCO");
	assert_int_equal(store_sms_alias_put(fx.s, &a), 0);
	assert_int_equal(store_robinson_put(fx.s, ROB_CALL), 0);
	assert_int_equal(store_robinson_put(fx.s, ROB_SMS), 0);
	assert_int_equal(
	    store_cid_block_add(fx.s, DAY(3), "ES-A4.2", "call", "t", 1), 0);
	assert_int_equal(store_num_stats(fx.s, &st), 0);
	assert_true(st.ranges == 7);
	assert_true(st.own == 1);
	assert_true(st.exceptions == 1);
	assert_true(st.aliases == 1);
	assert_true(st.robinson == 2);
	assert_true(st.cid_blocks == 1);
	assert_true(st.generation == 6);
	assert_true(st.dataset.nrows == 7);
	assert_string_equal(st.dataset.note, "3481");
	assert_int_equal(store_num_stats(fx.s, NULL), EINVAL);
	assert_int_equal(
	    store_num_range_each(fx.s, range_reenter, NULL), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "callback");
}

static int
count_one(const struct num_range *r, void *arg)
{
	(void)r;
	(*(long *)arg)++;
	return 0;
}

static long
count_ranges_big(struct store *s)
{
	long n = 0;

	assert_int_equal(store_num_range_each(s, count_one, &n), 0);
	return n;
}

/*
 * Bulk speed: STORE_TEST_BULK_ROWS register rows (default 200,000) in
 * one import; the rate is printed, not asserted.
 */
static void
num_ranges_bulk_speed(void **state)
{
	const char *env = getenv("STORE_TEST_BULK_ROWS");
	long n = env && *env ? strtol(env, NULL, 10) : 200000;
	struct num_range r;
	struct timespec t0, t1, t2;
	uint64_t rows = 0;
	double secs, walk;
	long i;

	(void)state;
	if (n <= 0 || n > 50000000)
		n = 200000;
	sample_range(&r, "34", "Asignado", "", "OPERADOR DE PRUEBAS, S.A.");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(
	    store_import_begin(fx.s, STORE_NUM_RANGES, false, NULL), 0);
	for (i = 0; i < n; i++) {
		/* Spread over 9xx..6xx like the register's 10,000-blocks. */
		snprintf(r.prefix, sizeof(r.prefix), "34%ld",
		    600000 + (i * 7919) % 399999);
		snprintf(r.source, sizeof(r.source), "synthetic:%ld", i + 1);
		if (store_import_range(fx.s, &r))
			fail_msg("row %ld: %s", i, store_errmsg(fx.s));
	}
	assert_int_equal(store_import_commit(fx.s, &rows), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(rows == (uint64_t)n);
	assert_int_equal(count_ranges_big(fx.s), n);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	walk = (double)(t2.tv_sec - t1.tv_sec) +
	    (double)(t2.tv_nsec - t1.tv_nsec) / 1e9;
	printf("test_store: %s: imported %ld register rows in %.2f s "
	       "(%.0f rows/s); walked them in %.2f s\n",
	    fx.pg ? "PostgreSQL" : "SQLite", n, secs, (double)n / secs, walk);
}

/* ---- the fraud engine's subjects ------------------------------------------------ */

/*
 * A subject with a blob of "len" bytes counting up from "seed": from 256
 * bytes on every byte value is in it, zero bytes included.
 */
static void
sample_fraud(struct fraud_rec *r, uint32_t kind, const char *name, size_t len,
    unsigned seed)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->updated = 1700000000 + (int64_t)seed;
	r->len = len;
	for (i = 0; i < len; i++)
		r->blob[i] = (unsigned char)(i + seed);
}

static void
assert_fraud_eq(const struct fraud_rec *x, const struct fraud_rec *y)
{
	assert_int_equal(x->kind, y->kind);
	assert_string_equal(x->name, y->name);
	assert_int_equal(x->suspended, y->suspended);
	assert_true(x->updated == y->updated);
	assert_int_equal(x->len, y->len);
	assert_memory_equal(x->blob, y->blob, x->len);
}

/* What a store_fraud_each() or store_fraud_resumed() walk saw. */
struct fraud_seen {
	int n;
	int stop_at; /* return 42 from the stop_at-th row (1-based); 0 never */
	char key[SEEN_MAX][STORE_FRAUD_NAME_MAX + 16];
	size_t len[SEEN_MAX];
};

static int
see_fraud(const struct fraud_rec *r, void *arg)
{
	struct fraud_seen *fs = arg;

	if (fs->n >= SEEN_MAX)
		return -1;
	snprintf(fs->key[fs->n], sizeof(fs->key[0]), "%u %s%s", r->kind,
	    r->name, r->suspended ? " S" : "");
	fs->len[fs->n] = r->len;
	fs->n++;
	return fs->n == fs->stop_at ? 42 : 0;
}

static int
see_name(const char *name, void *arg)
{
	struct fraud_seen *fs = arg;

	if (fs->n >= SEEN_MAX)
		return -1;
	snprintf(fs->key[fs->n], sizeof(fs->key[0]), "%s", name);
	fs->n++;
	return fs->n == fs->stop_at ? 42 : 0;
}

/* store_fraud_resumed() into "fs"; its result. */
static int
resumed(struct store *s, struct fraud_seen *fs)
{
	memset(fs, 0, sizeof(*fs));
	return store_fraud_resumed(s, see_name, fs);
}

static bool
fraud_suspended(struct store *s, uint32_t kind, const char *name)
{
	struct fraud_rec r;

	assert_int_equal(store_fraud_get(s, kind, name, &r), 0);
	return r.suspended;
}

static enum account_status
account_status(struct store *s, const char *user, const char *domain)
{
	struct account a;

	assert_int_equal(store_account_get(s, user, domain, &a), 0);
	return a.status;
}

/* What an administrator's "centinelactl user resume" does. */
static void
account_resume(struct store *s, const char *user, const char *domain)
{
	struct account a;

	assert_int_equal(store_account_get(s, user, domain, &a), 0);
	a.status = ACCOUNT_ACTIVE;
	assert_int_equal(store_account_update(s, &a), 0);
}

static void
fraud_roundtrip(void **state)
{
	static const size_t lens[] = { 1, 2, 3, 4, 5, 6, 7, 255, 256, 257, 4094,
		4095 };
	struct fraud_rec r, got, big;
	size_t i;

	(void)state;
	/* The largest blob: every byte value sixteen times, zeros too. */
	sample_fraud(&big, STORE_FRAUD_ACCOUNT, "alice@example.com",
	    STORE_FRAUD_BLOB_MAX, 0);
	assert_int_equal(store_fraud_put(fx.s, &big), 0);
	memset(&got, 0xa5, sizeof(got));
	assert_int_equal(store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT,
			     "alice@example.com", &got),
	    0);
	assert_fraud_eq(&got, &big);
	assert_false(got.suspended);
	/* Kept as base64 text: 4 characters per 3 bytes or part. */
	assert_int_equal(
	    raw_int("SELECT length(state) FROM fraud_subjects "
		    "WHERE kind = 0 AND name = 'alice@example.com'"),
	    4 * ((STORE_FRAUD_BLOB_MAX + 2) / 3));

	/* Every padding (length mod 3), zero bytes at both ends. */
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		sample_fraud(&r, STORE_FRAUD_TRUNK, "carrier-1", lens[i],
		    (unsigned)(7 * i + 1));
		r.blob[0] = 0;
		r.blob[r.len - 1] = 0;
		r.suspended = i % 2 == 1;
		assert_int_equal(store_fraud_put(fx.s, &r), 0);
		assert_int_equal(
		    store_fraud_get(fx.s, STORE_FRAUD_TRUNK, "carrier-1", &got),
		    0);
		assert_fraud_eq(&got, &r);
	}
	/* The padding as EVP_EncodeBlock() writes it. */
	sample_fraud(&r, STORE_FRAUD_TRUNK, "v1", 1, 0);
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	sample_fraud(&r, STORE_FRAUD_TRUNK, "v2", 2, 0);
	r.blob[0] = 0xff;
	r.blob[1] = 0x00;
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	sample_fraud(&r, STORE_FRAUD_TRUNK, "v3", 3, 0);
	r.blob[0] = 0x00;
	r.blob[1] = 0xff;
	r.blob[2] = 0x10;
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	assert_int_equal(raw_int("SELECT count(*) FROM fraud_subjects WHERE "
				 "(name = 'v1' AND state = 'AA==') OR "
				 "(name = 'v2' AND state = '/wA=') OR "
				 "(name = 'v3' AND state = 'AP8Q')"),
	    3);

	/* Overwrite: every column replaced, still one row. */
	sample_fraud(&r, STORE_FRAUD_ACCOUNT, "alice@example.com", 10, 3);
	r.suspended = true;
	r.updated = 42;
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	assert_int_equal(store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT,
			     "alice@example.com", &got),
	    0);
	assert_fraud_eq(&got, &r);
	assert_int_equal(raw_int("SELECT count(*) FROM fraud_subjects "
				 "WHERE name = 'alice@example.com'"),
	    1);
	/* The same name of the other kind is another row. */
	sample_fraud(&r, STORE_FRAUD_TRUNK, "alice@example.com", 5, 9);
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	assert_int_equal(store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT,
			     "alice@example.com", &got),
	    0);
	assert_int_equal(got.len, 10);
	assert_int_equal(
	    store_fraud_get(fx.s, STORE_FRAUD_TRUNK, "alice@example.com", &got),
	    0);
	assert_fraud_eq(&got, &r);

	/* Delete. */
	assert_int_equal(
	    store_fraud_del(fx.s, STORE_FRAUD_ACCOUNT, "alice@example.com"), 0);
	assert_int_equal(store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT,
			     "alice@example.com", &got),
	    ENOENT);
	assert_msg_has(store_errmsg(fx.s), "alice@example.com");
	assert_int_equal(
	    store_fraud_del(fx.s, STORE_FRAUD_ACCOUNT, "alice@example.com"),
	    ENOENT);
	assert_msg_has(store_errmsg(fx.s), "alice@example.com");
	assert_int_equal(
	    store_fraud_get(fx.s, STORE_FRAUD_TRUNK, "alice@example.com", &got),
	    0);
	assert_int_equal(got.len, 5);
}

static int
fraud_reenter(const struct fraud_rec *r, void *arg)
{
	struct fraud_rec got;

	(void)arg;
	return store_fraud_get(fx.s, r->kind, r->name, &got);
}

static void
fraud_each_order(void **state)
{
	static const char *const want[] = { "0 Bob@example.com",
		"0 alice@Example.com", "0 alice@example.com S", "1 Trunk-B",
		"1 carrier" };
	struct fraud_seen fs = { 0 };
	struct fraud_rec r;
	int i;

	(void)state;
	assert_int_equal(store_fraud_each(fx.s, see_fraud, &fs), 0);
	assert_int_equal(fs.n, 0);
	/* Byte order whatever the database's collation: 'B' < 'a'. */
	sample_fraud(&r, STORE_FRAUD_TRUNK, "carrier", 3, 1);
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	sample_fraud(&r, STORE_FRAUD_ACCOUNT, "alice@example.com", 300, 2);
	r.suspended = true;
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	sample_fraud(&r, STORE_FRAUD_TRUNK, "Trunk-B", 4, 3);
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	sample_fraud(&r, STORE_FRAUD_ACCOUNT, "Bob@example.com", 1, 4);
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	sample_fraud(&r, STORE_FRAUD_ACCOUNT, "alice@Example.com", 2, 5);
	assert_int_equal(store_fraud_put(fx.s, &r), 0);

	assert_int_equal(store_fraud_each(fx.s, see_fraud, &fs), 0);
	assert_int_equal(fs.n, 5);
	for (i = 0; i < 5; i++)
		assert_string_equal(fs.key[i], want[i]);
	assert_int_equal(fs.len[2], 300);
	assert_int_equal(fs.len[3], 4);

	/* A non-zero return stops the walk and is returned. */
	memset(&fs, 0, sizeof(fs));
	fs.stop_at = 2;
	assert_int_equal(store_fraud_each(fx.s, see_fraud, &fs), 42);
	assert_int_equal(fs.n, 2);
	/* The callback cannot call into the store. */
	assert_int_equal(store_fraud_each(fx.s, fraud_reenter, NULL), EINVAL);
	assert_int_equal(store_fraud_each(fx.s, NULL, NULL), EINVAL);
	/* The store works after both. */
	memset(&fs, 0, sizeof(fs));
	assert_int_equal(store_fraud_each(fx.s, see_fraud, &fs), 0);
	assert_int_equal(fs.n, 5);
}

static void
fraud_bad_arguments(void **state)
{
	char user[STORE_USER_MAX + 32], domain[STORE_DOMAIN_MAX + 32];
	char name[STORE_FRAUD_NAME_MAX + 1];
	struct fraud_seen fs = { 0 };
	struct fraud_rec r, got;

	(void)state;
	sample_fraud(&r, STORE_FRAUD_ACCOUNT, "a@example.com", 1, 0);
	assert_int_equal(store_fraud_put(NULL, &r), EINVAL);
	assert_int_equal(store_fraud_put(fx.s, NULL), EINVAL);
	r.kind = 2;
	assert_int_equal(store_fraud_put(fx.s, &r), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "kind");
	r.kind = STORE_FRAUD_ACCOUNT;
	r.len = 0;
	assert_int_equal(store_fraud_put(fx.s, &r), EINVAL);
	r.len = STORE_FRAUD_BLOB_MAX + 1;
	assert_int_equal(store_fraud_put(fx.s, &r), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "4097");
	r.len = 1;
	r.name[0] = '\0';
	assert_int_equal(store_fraud_put(fx.s, &r), EINVAL);
	memset(r.name, 'x', sizeof(r.name)); /* not terminated */
	assert_int_equal(store_fraud_put(fx.s, &r), EINVAL);
	assert_int_equal(raw_int("SELECT count(*) FROM fraud_subjects"), 0);
	/* The longest name fits. */
	fill(r.name, sizeof(r.name), 'x');
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	assert_int_equal(
	    store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT, r.name, &got), 0);
	assert_fraud_eq(&got, &r);

	assert_int_equal(
	    store_fraud_get(fx.s, 2, "a@example.com", &got), EINVAL);
	assert_int_equal(
	    store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT, NULL, &got), EINVAL);
	assert_int_equal(
	    store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT, "", &got), EINVAL);
	assert_int_equal(
	    store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT, "a@example.com", NULL),
	    EINVAL);
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(
	    store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT, name, &got), EINVAL);
	assert_int_equal(store_fraud_del(fx.s, 7, "a@example.com"), EINVAL);
	assert_int_equal(store_fraud_del(fx.s, STORE_FRAUD_TRUNK, ""), EINVAL);
	assert_int_equal(
	    store_fraud_del(fx.s, STORE_FRAUD_TRUNK, name), EINVAL);

	/* store_fraud_suspend() wants user@domain that can be an account. */
	assert_int_equal(store_fraud_suspend(fx.s, NULL), EINVAL);
	assert_int_equal(store_fraud_suspend(fx.s, ""), EINVAL);
	assert_int_equal(store_fraud_suspend(fx.s, "nodomain"), EINVAL);
	assert_msg_has(store_errmsg(fx.s), "nodomain");
	assert_int_equal(store_fraud_suspend(fx.s, "@example.com"), EINVAL);
	assert_int_equal(store_fraud_suspend(fx.s, "alice@"), EINVAL);
	fill(user, STORE_USER_MAX + 1, 'u'); /* one byte too long */
	snprintf(name, sizeof(name), "%s@example.com", user);
	assert_int_equal(store_fraud_suspend(fx.s, name), EINVAL);
	fill(domain, STORE_DOMAIN_MAX + 1, 'd');
	snprintf(name, sizeof(name), "alice@%s", domain);
	assert_int_equal(store_fraud_suspend(fx.s, name), EINVAL);
	assert_int_equal(store_fraud_suspend(fx.s, r.name), EINVAL);

	assert_int_equal(store_fraud_each(fx.s, NULL, NULL), EINVAL);
	assert_int_equal(store_fraud_resumed(fx.s, NULL, NULL), EINVAL);
	assert_int_equal(store_fraud_resumed(NULL, see_name, &fs), EINVAL);
	assert_true(generation(fx.s) == 0);
}

/*
 * The hand-over: the engine suspends alice; while the account stays
 * suspended nothing is reported; once an administrator resumes it,
 * alice is reported once and her flag cleared.
 */
static void
fraud_suspend_resumed(void **state)
{
	struct fraud_seen fs;
	struct fraud_rec r, got;
	struct account a;
	int64_t gen;

	(void)state;
	sample_account(&a, "alice", "example.com");
	assert_int_equal(store_account_add(fx.s, &a), 0);
	sample_account(&a, "bob", "example.com");
	assert_int_equal(store_account_add(fx.s, &a), 0);
	sample_account(&a, "dave", "example.com");
	assert_int_equal(store_account_add(fx.s, &a), 0);
	/* Suspended by an administrator, never by the engine. */
	sample_account(&a, "carol", "example.com");
	a.status = ACCOUNT_SUSPENDED;
	assert_int_equal(store_account_add(fx.s, &a), 0);

	sample_fraud(&r, STORE_FRAUD_ACCOUNT, "alice@example.com", 300, 1);
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	sample_fraud(&r, STORE_FRAUD_ACCOUNT, "bob@example.com", 3, 2);
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	sample_fraud(&r, STORE_FRAUD_ACCOUNT, "carol@example.com", 3, 3);
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	/* A trunk of an account's name: neither suspended nor reported. */
	sample_fraud(&r, STORE_FRAUD_TRUNK, "alice@example.com", 3, 4);
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	sample_fraud(&r, STORE_FRAUD_TRUNK, "dave@example.com", 3, 5);
	r.suspended = true;
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	/* Suspended by the engine, the account since deleted. */
	sample_fraud(&r, STORE_FRAUD_ACCOUNT, "ghost@example.com", 3, 6);
	r.suspended = true;
	assert_int_equal(store_fraud_put(fx.s, &r), 0);

	assert_int_equal(resumed(fx.s, &fs), 0);
	assert_int_equal(fs.n, 0);

	/* The engine suspends alice. */
	gen = generation(fx.s);
	assert_int_equal(store_fraud_suspend(fx.s, "alice@example.com"), 0);
	assert_int_equal(
	    account_status(fx.s, "alice", "example.com"), ACCOUNT_SUSPENDED);
	assert_true(generation(fx.s) == gen + 1);
	assert_int_equal(store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT,
			     "alice@example.com", &got),
	    0);
	assert_true(got.suspended);
	assert_int_equal(got.len, 300); /* the rest of the row untouched */
	assert_true(got.updated == 1700000001);
	assert_false(
	    fraud_suspended(fx.s, STORE_FRAUD_TRUNK, "alice@example.com"));
	assert_int_equal(
	    account_status(fx.s, "bob", "example.com"), ACCOUNT_ACTIVE);

	/* Still suspended in accounts: not reported. */
	assert_int_equal(resumed(fx.s, &fs), 0);
	assert_int_equal(fs.n, 0);
	assert_true(
	    fraud_suspended(fx.s, STORE_FRAUD_ACCOUNT, "alice@example.com"));

	/* An administrator resumes alice: reported once, flag cleared. */
	account_resume(fx.s, "alice", "example.com");
	assert_int_equal(resumed(fx.s, &fs), 0);
	assert_int_equal(fs.n, 1);
	assert_string_equal(fs.key[0], "alice@example.com");
	assert_false(
	    fraud_suspended(fx.s, STORE_FRAUD_ACCOUNT, "alice@example.com"));
	assert_int_equal(resumed(fx.s, &fs), 0);
	assert_int_equal(fs.n, 0);

	/* Never reported: bob, carol, the trunk, the ghost (still set). */
	assert_false(
	    fraud_suspended(fx.s, STORE_FRAUD_ACCOUNT, "bob@example.com"));
	assert_true(
	    fraud_suspended(fx.s, STORE_FRAUD_TRUNK, "dave@example.com"));
	assert_true(
	    fraud_suspended(fx.s, STORE_FRAUD_ACCOUNT, "ghost@example.com"));

	/* A callback that fails: rolled back, reported again next time. */
	assert_int_equal(store_fraud_suspend(fx.s, "alice@example.com"), 0);
	account_resume(fx.s, "alice", "example.com");
	memset(&fs, 0, sizeof(fs));
	fs.stop_at = 1;
	assert_int_equal(store_fraud_resumed(fx.s, see_name, &fs), 42);
	assert_true(
	    fraud_suspended(fx.s, STORE_FRAUD_ACCOUNT, "alice@example.com"));
	assert_int_equal(resumed(fx.s, &fs), 0);
	assert_int_equal(fs.n, 1);
	assert_string_equal(fs.key[0], "alice@example.com");
	assert_int_equal(resumed(fx.s, &fs), 0);
	assert_int_equal(fs.n, 0);

	/* No such account. */
	gen = generation(fx.s);
	assert_int_equal(
	    store_fraud_suspend(fx.s, "nobody@example.com"), ENOENT);
	assert_msg_has(store_errmsg(fx.s), "nobody@example.com");
	assert_int_equal(
	    store_fraud_suspend(fx.s, "ghost@example.com"), ENOENT);
	assert_true(generation(fx.s) == gen);
	assert_int_equal(store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT,
			     "nobody@example.com", &got),
	    ENOENT);
}

/*
 * store_fraud_suspend() splits at the last '@', needs no fraud row and
 * creates none, and joins the caller's transaction.
 */
static void
fraud_suspend_split_txn(void **state)
{
	struct fraud_seen fs;
	struct fraud_rec r, got;
	struct account a;
	int64_t gen;

	(void)state;
	sample_account(&a, "sip:x@y", "example.com");
	assert_int_equal(store_account_add(fx.s, &a), 0);
	sample_account(&a, "x", "y@example.com");
	assert_int_equal(store_account_add(fx.s, &a), 0);
	sample_fraud(&r, STORE_FRAUD_ACCOUNT, "sip:x@y@example.com", 8, 1);
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	assert_int_equal(store_fraud_suspend(fx.s, "sip:x@y@example.com"), 0);
	assert_int_equal(
	    account_status(fx.s, "sip:x@y", "example.com"), ACCOUNT_SUSPENDED);
	assert_int_equal(
	    account_status(fx.s, "x", "y@example.com"), ACCOUNT_ACTIVE);
	account_resume(fx.s, "sip:x@y", "example.com");
	assert_int_equal(resumed(fx.s, &fs), 0);
	assert_int_equal(fs.n, 1);
	assert_string_equal(fs.key[0], "sip:x@y@example.com");

	/* No fraud row: the account is suspended, no row appears. */
	sample_account(&a, "erin", "example.com");
	assert_int_equal(store_account_add(fx.s, &a), 0);
	assert_int_equal(store_fraud_suspend(fx.s, "erin@example.com"), 0);
	assert_int_equal(
	    account_status(fx.s, "erin", "example.com"), ACCOUNT_SUSPENDED);
	assert_int_equal(store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT,
			     "erin@example.com", &got),
	    ENOENT);

	/* Split at the first '@' it would be this account: not it. */
	assert_int_equal(store_fraud_suspend(fx.s, "x@y@example.com"), ENOENT);
	assert_int_equal(
	    account_status(fx.s, "x", "y@example.com"), ACCOUNT_ACTIVE);

	/* Inside store_begin(): rolled back with the caller's work. */
	sample_account(&a, "frank", "example.com");
	assert_int_equal(store_account_add(fx.s, &a), 0);
	sample_fraud(&r, STORE_FRAUD_ACCOUNT, "frank@example.com", 8, 2);
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	gen = generation(fx.s);
	assert_int_equal(store_begin(fx.s), 0);
	assert_int_equal(store_fraud_suspend(fx.s, "frank@example.com"), 0);
	assert_int_equal(store_fraud_suspend(fx.s, "no@example.com"), ENOENT);
	assert_int_equal(store_rollback(fx.s), 0);
	assert_int_equal(
	    account_status(fx.s, "frank", "example.com"), ACCOUNT_ACTIVE);
	assert_false(
	    fraud_suspended(fx.s, STORE_FRAUD_ACCOUNT, "frank@example.com"));
	assert_true(generation(fx.s) == gen);
	/* ... and committed with it. */
	assert_int_equal(store_begin(fx.s), 0);
	assert_int_equal(store_fraud_suspend(fx.s, "frank@example.com"), 0);
	assert_int_equal(store_commit(fx.s), 0);
	assert_int_equal(
	    account_status(fx.s, "frank", "example.com"), ACCOUNT_SUSPENDED);
	assert_true(
	    fraud_suspended(fx.s, STORE_FRAUD_ACCOUNT, "frank@example.com"));
	assert_true(generation(fx.s) == gen + 1);
}

/*
 * Stored values the engine cannot have written: EIO naming the row, from
 * get and from the walk (after the rows before it).
 */
static void
fraud_corrupt_state(void **state)
{
	static const char *const bad[] = { "", "AAA", "AAAAA", "AA=A",
		"A===", "=AAA", "====", " AAA", "AAA ", "AA-_", "AA*A",
		"AAAA====", "AAAA\nAAA" };
	struct fraud_seen fs = { 0 };
	struct fraud_rec r, got;
	char sql[256];
	size_t i;

	(void)state;
	sample_fraud(&r, STORE_FRAUD_ACCOUNT, "a@x", 4, 1);
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	sample_fraud(&r, STORE_FRAUD_ACCOUNT, "b@x", 5, 2);
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	sample_fraud(&r, STORE_FRAUD_ACCOUNT, "c@x", 6, 3);
	assert_int_equal(store_fraud_put(fx.s, &r), 0);

	raw_exec("UPDATE fraud_subjects SET state = 'AA=A' WHERE name = 'b@x'");
	assert_int_equal(store_fraud_each(fx.s, see_fraud, &fs), EIO);
	assert_int_equal(fs.n, 1);
	assert_string_equal(fs.key[0], "0 a@x");
	assert_msg_has(store_errmsg(fx.s), "b@x");
	assert_msg_has(store_errmsg(fx.s), "state");
	assert_int_equal(
	    store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT, "a@x", &got), 0);
	assert_int_equal(
	    store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT, "c@x", &got), 0);
	assert_int_equal(got.len, 6);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(sql, sizeof(sql),
		    "UPDATE fraud_subjects SET state = '%s' "
		    "WHERE name = 'b@x'",
		    bad[i]);
		raw_exec(sql);
		if (store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT, "b@x", &got) !=
		    EIO)
			fail_msg("state \"%s\" was not refused", bad[i]);
		assert_msg_has(store_errmsg(fx.s), "b@x");
	}
	/* 5464 characters without padding: 4098 bytes, two too many. */
	raw_exec(fx.pg ? "UPDATE fraud_subjects SET state = repeat('A', 5464) "
			 "WHERE name = 'b@x'" :
			 "UPDATE fraud_subjects SET state = "
			 "replace(hex(zeroblob(2732)), '0', 'A') "
			 "WHERE name = 'b@x'");
	assert_int_equal(raw_int("SELECT length(state) FROM fraud_subjects "
				 "WHERE name = 'b@x'"),
	    5464);
	assert_int_equal(
	    store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT, "b@x", &got), EIO);
	/* Longer than any blob's base64. */
	raw_exec("UPDATE fraud_subjects SET state = state || 'AAAAAAAA' "
		 "WHERE name = 'b@x'");
	assert_int_equal(
	    store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT, "b@x", &got), EIO);
	/* Valid again: the good state of 5 bytes, as the store wrote it. */
	raw_exec("UPDATE fraud_subjects SET state = 'AgMEBQY=' "
		 "WHERE name = 'b@x'");
	assert_int_equal(
	    store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT, "b@x", &got), 0);
	sample_fraud(&r, STORE_FRAUD_ACCOUNT, "b@x", 5, 2);
	assert_fraud_eq(&got, &r);
	memset(&fs, 0, sizeof(fs));
	assert_int_equal(store_fraud_each(fx.s, see_fraud, &fs), 0);
	assert_int_equal(fs.n, 3);

	/* A flag or a kind out of range. */
	raw_exec("UPDATE fraud_subjects SET suspended = 2 WHERE name = 'c@x'");
	assert_int_equal(
	    store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT, "c@x", &got), EIO);
	assert_msg_has(store_errmsg(fx.s), "c@x");
	raw_exec("UPDATE fraud_subjects SET suspended = 0 WHERE name = 'c@x'");
	raw_exec("INSERT INTO fraud_subjects (kind, name, state) "
		 "VALUES (7, 'z', 'AAAA')");
	memset(&fs, 0, sizeof(fs));
	assert_int_equal(store_fraud_each(fx.s, see_fraud, &fs), EIO);
	assert_int_equal(fs.n, 3);
	assert_msg_has(store_errmsg(fx.s), "z");
	/* The store works after a failed walk. */
	assert_int_equal(store_fraud_del(fx.s, STORE_FRAUD_ACCOUNT, "a@x"), 0);
}

/*
 * A version-4 database, as a program before the fraud subjects made it:
 * the bootstrap and the first four steps, with an account, a ban, an
 * own number and an alert in it.
 */
static void
make_v4_db(void)
{
	const struct store_schema *sc =
	    fx.pg ? store_pgsql_ops.schema : store_sqlite_ops.schema;

	store_close(fx.s);
	fx.s = NULL;
	if (!fx.pg && !fx.env)
		rm_sqlite_files(fx.path);
	fresh_db();
	raw_exec(sc->bootstrap);
	raw_exec(sc->steps[0]);
	raw_exec(sc->steps[1]);
	raw_exec(sc->steps[2]);
	raw_exec(sc->steps[3]);
	raw_exec("INSERT INTO meta (key, value) VALUES ('schema_version', 4)");
	raw_exec("UPDATE meta SET value = 9 WHERE key = 'generation'");
	raw_exec("UPDATE meta SET value = 2 WHERE key = 'allow_generation'");
	raw_exec("INSERT INTO accounts (username, domain, ha1_md5) "
		 "VALUES ('old', 'example.com', 'abc')");
	raw_exec("INSERT INTO bans (addr, reason, expires) "
		 "VALUES ('192.0.2.9/32', 'scanner', 100)");
	raw_exec("INSERT INTO num_own (digits, kind) "
		 "VALUES ('34911000123', 'service')");
	raw_exec("INSERT INTO alerts (id, ts, rule, text) "
		 "VALUES ('al-old', 5, 'rule-a', 'hello')");
	assert_int_equal(count_tables(V4_TABLES), 2);
	assert_int_equal(count_tables(V5_TABLES), 0);
}

static void
migrate_v4_to_v5(void **state)
{
	struct store *s2 = (struct store *)0x1;
	struct fraud_seen fs;
	struct fraud_rec r, got;
	struct alert_rec al;
	struct account a;
	struct ban_rec b;
	struct num_stats st;
	char err[256], sql[128];

	(void)state;
	make_v4_db();
	open_ok(&fx.s);
	assert_int_equal(store_schema_version(fx.s), STORE_SCHEMA_VERSION);
	assert_int_equal(
	    raw_int("SELECT value FROM meta WHERE key = 'schema_version'"),
	    STORE_SCHEMA_VERSION);
	assert_int_equal(count_tables(V5_TABLES), 1);
	assert_int_equal(count_indexes(V5_INDEXES), 1);
	/* Version-4 data is untouched. */
	assert_int_equal(store_account_get(fx.s, "old", "example.com", &a), 0);
	assert_string_equal(a.ha1_md5, "abc");
	assert_int_equal(store_ban_get(fx.s, "192.0.2.9/32", &b), 0);
	assert_string_equal(b.reason, "scanner");
	assert_int_equal(store_alert_get(fx.s, "al-old", &al), 0);
	assert_string_equal(al.text, "hello");
	assert_int_equal(store_num_stats(fx.s, &st), 0);
	assert_true(st.own == 1);
	assert_true(generation(fx.s) == 9);
	assert_true(allow_generation(fx.s) == 2);
	assert_int_equal(raw_int("SELECT count(*) FROM meta"), 5);

	/* The new table works, with the old accounts. */
	memset(&fs, 0, sizeof(fs));
	assert_int_equal(store_fraud_each(fx.s, see_fraud, &fs), 0);
	assert_int_equal(fs.n, 0);
	sample_fraud(&r, STORE_FRAUD_ACCOUNT, "old@example.com", 256, 0);
	assert_int_equal(store_fraud_put(fx.s, &r), 0);
	assert_int_equal(store_fraud_suspend(fx.s, "old@example.com"), 0);
	assert_true(generation(fx.s) == 10);
	account_resume(fx.s, "old", "example.com");
	assert_int_equal(resumed(fx.s, &fs), 0);
	assert_int_equal(fs.n, 1);
	assert_string_equal(fs.key[0], "old@example.com");

	/* Opening again migrates nothing. */
	store_close(fx.s);
	fx.s = NULL;
	open_ok(&fx.s);
	assert_int_equal(store_schema_version(fx.s), STORE_SCHEMA_VERSION);
	assert_int_equal(
	    store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT, "old@example.com", &got),
	    0);
	assert_fraud_eq(&got, &r);

	/* A database of the next version is refused, untouched. */
	store_close(fx.s);
	fx.s = NULL;
	snprintf(sql, sizeof(sql),
	    "UPDATE meta SET value = %d WHERE key = 'schema_version'",
	    STORE_SCHEMA_VERSION + 1);
	raw_exec(sql);
	assert_int_equal(store_open(&s2, fx.uri, err, sizeof(err)), EIO);
	assert_true(s2 == (struct store *)0x1);
	assert_msg_has(err, "newer");
	assert_int_equal(
	    raw_int("SELECT value FROM meta WHERE key = 'schema_version'"),
	    STORE_SCHEMA_VERSION + 1);
	assert_int_equal(raw_int("SELECT count(*) FROM fraud_subjects"), 1);
	/* Back to this version, for the teardown. */
	snprintf(sql, sizeof(sql),
	    "UPDATE meta SET value = %d WHERE key = 'schema_version'",
	    STORE_SCHEMA_VERSION);
	raw_exec(sql);
	open_ok(&fx.s);
}

/* A failed step 5 leaves version 4 as it was, and a later open works. */
static void
migrate_v4_failure_rolls_back(void **state)
{
	struct store *s2 = (struct store *)0x1;
	char err[256];

	(void)state;
	make_v4_db();
	/* In the way of the index, after the table is made. */
	raw_exec("CREATE TABLE fraud_subjects_suspended (x integer)");
	assert_int_equal(store_open(&s2, fx.uri, err, sizeof(err)), EIO);
	assert_true(s2 == (struct store *)0x1);
	assert_msg_has(err, "4 -> 5");
	assert_int_equal(
	    raw_int("SELECT value FROM meta WHERE key = 'schema_version'"), 4);
	assert_int_equal(count_tables(V5_TABLES), 0);
	assert_int_equal(raw_int("SELECT count(*) FROM accounts"), 1);
	raw_exec("DROP TABLE fraud_subjects_suspended");
	open_ok(&fx.s);
	assert_int_equal(store_schema_version(fx.s), STORE_SCHEMA_VERSION);
	assert_true(generation(fx.s) == 9);
	assert_int_equal(count_tables(V5_TABLES), 1);
}

/* ---- provisioned devices (version 6) ---------------------------------------------- */

static void
sample_device(struct device *d, const char *mac, const char *user)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->mac, sizeof(d->mac), "%s", mac);
	snprintf(d->user, sizeof(d->user), "%s", user);
	snprintf(d->domain, sizeof(d->domain), "%s", "example.com");
	snprintf(d->tmpl, sizeof(d->tmpl), "%s", "yealink");
	snprintf(d->display, sizeof(d->display), "%s", "Front desk");
	d->created = 1700000000;
	d->pending = 1;
}

static void
assert_device_eq(const struct device *x, const struct device *y)
{
	assert_string_equal(x->mac, y->mac);
	assert_string_equal(x->user, y->user);
	assert_string_equal(x->domain, y->domain);
	assert_string_equal(x->tmpl, y->tmpl);
	assert_string_equal(x->display, y->display);
	assert_true(x->created == y->created);
	assert_true(x->last_fetch == y->last_fetch);
	assert_int_equal(x->fetches, y->fetches);
	assert_int_equal(x->pending, y->pending);
	assert_string_equal(x->last_source, y->last_source);
}

struct dev_seen {
	unsigned n;
	char mac[8][STORE_MAC_MAX];
};

static int
see_device(const struct device *d, void *arg)
{
	struct dev_seen *ds = arg;

	if (ds->n < 8)
		snprintf(ds->mac[ds->n], STORE_MAC_MAX, "%s", d->mac);
	ds->n++;
	return 0;
}

static void
mac_parse_forms(void **state)
{
	static const char *const good[] = { "001565aabbcc", "001565AABBCC",
		"00:15:65:AA:BB:CC", "00-15-65-aa-bb-cc", "0015.65aa.bbcc" };
	static const char *const bad[] = { "", "001565aabbc", "001565aabbccd",
		"00:15:65:aa:bb", "00:15:65:aa:bb:cc:", ":00:15:65:aa:bb:cc",
		"00:15-65:aa:bb:cc", "0:015:65:aa:bb:cc", "00::15:65:aa:bbcc",
		"00:1565aabbcc", "001565aabbgg", "0015.65aa.bb.cc",
		"00 15 65 aa bb cc", "0015.65aabbcc" };
	char out[STORE_MAC_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (store_mac_parse(good[i], out) != 0)
			fail_msg("\"%s\" refused", good[i]);
		assert_string_equal(out, "001565aabbcc");
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (store_mac_parse(bad[i], out) != EINVAL)
			fail_msg("\"%s\" accepted as %s", bad[i], out);
		assert_string_equal(out, "");
	}
	assert_int_equal(store_mac_parse(NULL, out), EINVAL);
}

static void
device_roundtrip(void **state)
{
	struct device d, got;
	struct account a;
	struct dev_seen ds;

	(void)state;
	sample_account(&a, "100", "example.com");
	assert_int_equal(store_account_add(fx.s, &a), 0);
	sample_account(&a, "101", "example.com");
	assert_int_equal(store_account_add(fx.s, &a), 0);

	sample_device(&d, "001565aabbcc", "100");
	fill(d.display, sizeof(d.display), 'n');
	fill(d.last_source, sizeof(d.last_source), 's');
	d.fetches = UINT32_MAX;
	d.last_fetch = INT64_MAX;
	assert_int_equal(store_device_add(fx.s, &d), 0);
	assert_int_equal(store_device_get(fx.s, d.mac, &got), 0);
	assert_device_eq(&got, &d);
	/* The same MAC again, for another account: refused. */
	sample_device(&d, "001565aabbcc", "101");
	assert_int_equal(store_device_add(fx.s, &d), EEXIST);
	assert_msg_has(store_errmsg(fx.s), "001565aabbcc");
	/* Two devices on one account are fine. */
	sample_device(&d, "0004f2000001", "101");
	assert_int_equal(store_device_add(fx.s, &d), 0);
	sample_device(&d, "000b82000001", "101");
	assert_int_equal(store_device_add(fx.s, &d), 0);

	memset(&ds, 0, sizeof(ds));
	assert_int_equal(store_device_each(fx.s, see_device, &ds), 0);
	assert_int_equal(ds.n, 3);
	assert_string_equal(ds.mac[0], "0004f2000001");
	assert_string_equal(ds.mac[1], "000b82000001");
	assert_string_equal(ds.mac[2], "001565aabbcc");

	assert_int_equal(store_device_of(fx.s, "101", "example.com", &got), 0);
	assert_string_equal(got.mac, "0004f2000001");
	assert_int_equal(store_device_of(fx.s, "100", "example.com", NULL), 0);
	assert_int_equal(
	    store_device_of(fx.s, "102", "example.com", &got), ENOENT);

	assert_int_equal(store_device_del(fx.s, "0004f2000001"), 0);
	assert_int_equal(store_device_del(fx.s, "0004f2000001"), ENOENT);
	assert_int_equal(store_device_get(fx.s, "0004f2000001", &got), ENOENT);

	/* Deleting an account unbinds its devices, and only its. */
	assert_int_equal(store_account_del(fx.s, "101", "example.com"), 0);
	assert_int_equal(store_device_get(fx.s, "000b82000001", &got), ENOENT);
	assert_int_equal(store_device_get(fx.s, "001565aabbcc", &got), 0);
}

static void
device_bad_arguments(void **state)
{
	struct device d, got;
	struct account a;

	(void)state;
	sample_account(&a, "100", "example.com");
	assert_int_equal(store_account_add(fx.s, &a), 0);
	/* No such account. */
	sample_device(&d, "001565aabbcc", "999");
	assert_int_equal(store_device_add(fx.s, &d), ENOENT);
	assert_msg_has(store_errmsg(fx.s), "999@example.com");
	/* MACs that are not canonical. */
	sample_device(&d, "00:15:65:aa:bb:cc", "100");
	assert_int_equal(store_device_add(fx.s, &d), EINVAL);
	sample_device(&d, "001565AABBCC", "100");
	assert_int_equal(store_device_add(fx.s, &d), EINVAL);
	assert_int_equal(store_device_get(fx.s, "001565AABBCC", &got), EINVAL);
	assert_int_equal(store_device_get(fx.s, NULL, &got), EINVAL);
	assert_int_equal(store_device_get(fx.s, "001565aabbcc", NULL), EINVAL);
	assert_int_equal(store_device_del(fx.s, "xyz"), EINVAL);
	/* Empty template, over-long display, pending not a flag. */
	sample_device(&d, "001565aabbcc", "100");
	d.tmpl[0] = '\0';
	assert_int_equal(store_device_add(fx.s, &d), EINVAL);
	sample_device(&d, "001565aabbcc", "100");
	memset(d.display, 'x', sizeof(d.display));
	assert_int_equal(store_device_add(fx.s, &d), EINVAL);
	sample_device(&d, "001565aabbcc", "100");
	d.pending = 2;
	assert_int_equal(store_device_add(fx.s, &d), EINVAL);
	assert_int_equal(store_device_each(fx.s, NULL, NULL), EINVAL);
	assert_int_equal(
	    store_device_fetched(fx.s, "001565aabbcc", 1, "1.2.3.4", "x"),
	    ENOENT);
	assert_int_equal(
	    store_device_fetched(fx.s, "001565aabbcc", 1, NULL, "x"), EINVAL);
	assert_int_equal(
	    store_device_pending(fx.s, "", "example.com", NULL), EINVAL);
	/* Nothing was written. */
	assert_int_equal(raw_int("SELECT count(*) FROM devices"), 0);
}

/*
 * A fetch clears "pending" only when it served the secret in force: a
 * rotation between the service's read and its write keeps the device
 * pending.
 */
static void
device_fetched_pending(void **state)
{
	struct device d, got;
	struct account a;
	uint64_t n = 0;

	(void)state;
	sample_account(&a, "100", "example.com");
	snprintf(a.secret_box, sizeof(a.secret_box), "%s", "Qk9YMQ==");
	assert_int_equal(store_account_add(fx.s, &a), 0);
	sample_device(&d, "001565aabbcc", "100");
	assert_int_equal(store_device_add(fx.s, &d), 0);

	assert_int_equal(store_device_fetched(
			     fx.s, d.mac, 1700000500, "192.0.2.10", "Qk9YMQ=="),
	    0);
	assert_int_equal(store_device_get(fx.s, d.mac, &got), 0);
	assert_int_equal(got.pending, 0);
	assert_int_equal(got.fetches, 1);
	assert_true(got.last_fetch == 1700000500);
	assert_string_equal(got.last_source, "192.0.2.10");

	/* Rotation: pending again, for every device of the account. */
	snprintf(a.secret_box, sizeof(a.secret_box), "%s", "Qk9YMg==");
	assert_int_equal(store_begin(fx.s), 0);
	assert_int_equal(store_account_update(fx.s, &a), 0);
	assert_int_equal(
	    store_device_pending(fx.s, "100", "example.com", &n), 0);
	assert_int_equal(store_commit(fx.s), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_device_get(fx.s, d.mac, &got), 0);
	assert_int_equal(got.pending, 1);

	/* A fetch that served the old box: counted, still pending. */
	assert_int_equal(store_device_fetched(
			     fx.s, d.mac, 1700000600, "192.0.2.11", "Qk9YMQ=="),
	    0);
	assert_int_equal(store_device_get(fx.s, d.mac, &got), 0);
	assert_int_equal(got.pending, 1);
	assert_int_equal(got.fetches, 2);
	assert_string_equal(got.last_source, "192.0.2.11");
	/* The new one clears it. */
	assert_int_equal(store_device_fetched(
			     fx.s, d.mac, 1700000700, "192.0.2.11", "Qk9YMg=="),
	    0);
	assert_int_equal(store_device_get(fx.s, d.mac, &got), 0);
	assert_int_equal(got.pending, 0);
	assert_int_equal(got.fetches, 3);

	/* The counter saturates. */
	raw_exec("UPDATE devices SET fetches = 4294967295");
	assert_int_equal(store_device_fetched(
			     fx.s, d.mac, 1700000800, "192.0.2.11", "Qk9YMg=="),
	    0);
	assert_int_equal(store_device_get(fx.s, d.mac, &got), 0);
	assert_int_equal(got.fetches, UINT32_MAX);
	/* Other accounts' devices are not touched by a rotation. */
	assert_int_equal(
	    store_device_pending(fx.s, "200", "example.com", &n), 0);
	assert_int_equal(n, 0);
}

/* A version-5 database: the bootstrap and the first five steps. */
static void
make_v5_db(void)
{
	const struct store_schema *sc =
	    fx.pg ? store_pgsql_ops.schema : store_sqlite_ops.schema;
	size_t i;

	store_close(fx.s);
	fx.s = NULL;
	if (!fx.pg && !fx.env)
		rm_sqlite_files(fx.path);
	fresh_db();
	raw_exec(sc->bootstrap);
	for (i = 0; i < 5; i++)
		raw_exec(sc->steps[i]);
	raw_exec("INSERT INTO meta (key, value) VALUES ('schema_version', 5)");
	raw_exec("UPDATE meta SET value = 4 WHERE key = 'generation'");
	raw_exec("INSERT INTO accounts (username, domain, ha1_md5) "
		 "VALUES ('old', 'example.com', 'abc')");
	raw_exec("INSERT INTO fraud_subjects (kind, name, state) "
		 "VALUES (0, 'old@example.com', 'AAAA')");
	assert_int_equal(count_tables(V5_TABLES), 1);
	assert_int_equal(count_tables(V6_TABLES), 0);
}

static void
migrate_v5_to_v6(void **state)
{
	struct account a;
	struct device d, got;
	struct fraud_rec fr;

	(void)state;
	make_v5_db();
	open_ok(&fx.s);
	assert_int_equal(store_schema_version(fx.s), STORE_SCHEMA_VERSION);
	assert_int_equal(count_tables(V6_TABLES), 1);
	assert_int_equal(count_indexes(V6_INDEXES), 1);
	/* The old account, with the new columns empty. */
	assert_int_equal(store_account_get(fx.s, "old", "example.com", &a), 0);
	assert_string_equal(a.ha1_md5, "abc");
	assert_string_equal(a.secret_box, "");
	assert_string_equal(a.tls_id, "");
	assert_int_equal(
	    store_fraud_get(fx.s, STORE_FRAUD_ACCOUNT, "old@example.com", &fr),
	    0);
	assert_true(generation(fx.s) == 4);
	/* Both new columns and the table work. */
	snprintf(a.secret_box, sizeof(a.secret_box), "%s", "Qk9YMQ==");
	snprintf(a.tls_id, sizeof(a.tls_id), "%s", "subject:CN=old");
	assert_int_equal(store_account_update(fx.s, &a), 0);
	sample_device(&d, "001565aabbcc", "old");
	assert_int_equal(store_device_add(fx.s, &d), 0);
	store_close(fx.s);
	fx.s = NULL;
	open_ok(&fx.s);
	assert_int_equal(store_account_get(fx.s, "old", "example.com", &a), 0);
	assert_string_equal(a.secret_box, "Qk9YMQ==");
	assert_string_equal(a.tls_id, "subject:CN=old");
	assert_int_equal(store_device_get(fx.s, "001565aabbcc", &got), 0);
	assert_device_eq(&got, &d);
}

/* A failed step 6 leaves version 5 as it was. */
static void
migrate_v5_failure_rolls_back(void **state)
{
	struct store *s2 = (struct store *)0x1;
	char err[256];

	(void)state;
	make_v5_db();
	/* In the way of the index, after the columns and the table. */
	raw_exec("CREATE TABLE devices_account (x integer)");
	assert_int_equal(store_open(&s2, fx.uri, err, sizeof(err)), EIO);
	assert_true(s2 == (struct store *)0x1);
	assert_msg_has(err, "5 -> 6");
	assert_int_equal(
	    raw_int("SELECT value FROM meta WHERE key = 'schema_version'"), 5);
	assert_int_equal(count_tables(V6_TABLES), 0);
	/* The columns were rolled back too: an insert naming them fails. */
	assert_int_equal(
	    raw_int(fx.pg ?
		    "SELECT count(*) FROM information_schema.columns "
		    "WHERE table_schema = current_schema() AND "
		    "table_name = 'accounts' AND "
		    "column_name = 'secret_box'" :
		    "SELECT count(*) FROM pragma_table_info('accounts') "
		    "WHERE name = 'secret_box'"),
	    0);
	raw_exec("DROP TABLE devices_account");
	open_ok(&fx.s);
	assert_int_equal(count_tables(V6_TABLES), 1);
	assert_true(generation(fx.s) == 4);
}

/* ---- SQLite files ---------------------------------------------------------------- */

static void
sqlite_bad_dir(void **state)
{
	struct store *s2 = NULL;
	char uri[PATH_MAX + 64], dir[PATH_MAX + 16], err[256];
	int fd;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/missing", fx.dir);
	snprintf(uri, sizeof(uri), "sqlite:%s/sub/x.db", dir);
	assert_int_equal(store_open(&s2, uri, err, sizeof(err)), ENOENT);
	assert_msg_has(err, "does not exist");
	assert_msg_has(err, "/missing/sub");
	assert_null(s2);
	assert_false(file_exists(dir));

	/* A parent that is a file. */
	snprintf(dir, sizeof(dir), "%s/plain", fx.dir);
	fd = open(dir, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(uri, sizeof(uri), "sqlite:%s/x.db", dir);
	assert_int_equal(store_open(&s2, uri, err, sizeof(err)), ENOTDIR);
	assert_msg_has(err, "not a directory");
	unlink(dir);
}

static void
sqlite_not_a_database(void **state)
{
	unsigned char junk[8192], back[sizeof(junk) + 1];
	char path[PATH_MAX + 16], uri[PATH_MAX + 32], err[256];
	struct store *s2 = NULL;
	size_t i;
	ssize_t n;
	int fd;

	(void)state;
	for (i = 0; i < sizeof(junk); i++)
		junk[i] =
		    (unsigned char)("not a database\n"[i % 15] ^ (i >> 8));
	snprintf(path, sizeof(path), "%s/junk.db", fx.dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
	close(fd);

	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	assert_int_equal(store_open(&s2, uri, err, sizeof(err)), EIO);
	assert_msg_has(err, "not an SQLite database");
	assert_null(s2);

	/* Byte for byte as it was, and no journal beside it. */
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, back, sizeof(back));
	close(fd);
	assert_int_equal(n, sizeof(junk));
	assert_memory_equal(back, junk, sizeof(junk));
	snprintf(path, sizeof(path), "%s/junk.db-wal", fx.dir);
	assert_false(file_exists(path));
	snprintf(path, sizeof(path), "%s/junk.db", fx.dir);
	unlink(path);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		T(open_creates_schema),
		T(reopen_does_not_migrate),
		T(newer_schema_refused),
		T(bad_uri),
		T(account_roundtrip),
		T(account_exists_missing),
		T(account_each_order),
		T(generation_counts_changes),
		T(binding_put_replace),
		T(binding_del),
		T(binding_expire),
		T(overlong_fields),
		T(stored_values_checked),
		T(txn_rollback),
		T(txn_commit_and_misuse),
		T(each_reentry_refused),
		T(non_utf8_text),
		T(migrate_v1_to_v2),
		T(migrate_v1_failure_rolls_back),
		T(ban_roundtrip),
		T(ban_each_order),
		T(ban_forget_expired_only),
		T(ban_bad_arguments),
		T(ban_stored_values_checked),
		T(ban_event_add_each_limit),
		T(ban_event_bad_arguments),
		T(ban_event_trim),
		T(allow_put_del_generation),
		T(allow_txn_and_order),
		T(ban_cmd_queue),
		T(ban_cmd_bad_arguments),
		T(guard_non_utf8_text),
		T(migrate_v2_to_v3),
		T(migrate_v2_failure_rolls_back),
		T(num_ranges_import_and_walk),
		T(num_ranges_dataset_switch),
		T(num_ranges_failed_import_keeps_old),
		T(num_import_misuse),
		T(num_own_put_del_each),
		T(num_own_import),
		T(num_exception_add_del_each),
		T(sms_alias_case_and_import),
		T(robinson_put_del_import),
		T(cid_block_counters),
		T(num_stats_counts),
		T(num_ranges_bulk_speed),
		T(fraud_roundtrip),
		T(fraud_each_order),
		T(fraud_bad_arguments),
		T(fraud_suspend_resumed),
		T(fraud_suspend_split_txn),
		T(fraud_corrupt_state),
		T(migrate_v4_to_v5),
		T(migrate_v4_failure_rolls_back),
		T(mac_parse_forms),
		T(device_roundtrip),
		T(device_bad_arguments),
		T(device_fetched_pending),
		T(migrate_v5_to_v6),
		T(migrate_v5_failure_rolls_back),
		cmocka_unit_test(sqlite_bad_dir),
		cmocka_unit_test(sqlite_not_a_database),
	};

	return cmocka_run_group_tests_name(
	    "store", tests, group_setup, group_teardown);
}

/*
 * tests/unit/test_fraud_alert.c -- the alert router (fraud/alert.h),
 * its store tables (store_alert_*, schema version 4) and its
 * configuration (core/cfg_alerts.h), against real receivers this test
 * starts on 127.0.0.1 and stops by PID:
 *
 *  - a webhook receiver (tests/tools/webhook_rx.py) that checks the
 *    HMAC signature and records every POST, and can answer 500;
 *  - an SMTP server (tests/tools/smtp_rx.py: aiosmtpd, Debian's
 *    python3-aiosmtpd) that writes every message it accepts to a
 *    directory and requires AUTH;
 *  - syslog: a datagram socket of ours at /dev/log (bound there when
 *    the machine has none, else bind-mounted over it in a private
 *    mount namespace of this process), so the lines syslog(3) sends
 *    are read back with their priority;
 *  - PostgreSQL: a throw-away cluster (initdb in a temporary
 *    directory, as the postgres user when run as root, listening on
 *    127.0.0.1 only), for the store cases and one delivery.
 *
 * The store cases run on SQLite and on PostgreSQL; so does the
 * migration of a version-3 database.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "core/cfg.h"
#include "core/log.h"
#include "fraud/alert.h"
#include "store/store.h"
#include "store/store_int.h"
#include "tproc.h"

#define SECRET_ENV "CENTINELA_TEST_ALERT_SECRET"
#define SECRET "test-secret: only the receiver and we know it"
#define SMTP_AUTH_ENV "CENTINELA_TEST_SMTP_AUTH" /* user:password */
#define SMTP_USER_ENV "CENTINELA_TEST_SMTP_USER"
#define SMTP_PASS_ENV "CENTINELA_TEST_SMTP_PASS"
#define PG_SCHEMA "centinela_alert_test"
#define WAIT_MS 10000 /* the longest any case waits for a delivery */

struct srv {
	pid_t pid;
	int out; /* its stdout (the port line) */
	int port;
};

static struct {
	char dir[256]; /* mkdtemp: databases, configs, mail */
	int n; /* files made so far */
	bool pg; /* the store cases run on PostgreSQL */
	char uri[PATH_MAX + 256]; /* the current case's store */

	struct srv hook; /* webhook_rx.py */
	struct srv smtp; /* smtp_rx.py */
	char maildir[300];

	int logfd; /* our /dev/log */
	bool log_created; /* we made /dev/log (unlink at the end) */
	char logpath[300];
	pthread_t log_thr; /* drains logfd, see syslog_drain() */
	bool log_thr_up;
	atomic_bool log_stop;

	pid_t pg_pid; /* the postmaster */
	char pg_bin[PATH_MAX]; /* initdb, pg_ctl */
	char pg_root[64];
	int pg_port;
	char pg_uri[128];
} fx = { .logfd = -1, .hook = { -1, -1, 0 }, .smtp = { -1, -1, 0 } };

/* ---- helpers ----------------------------------------------------------- */

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
srv_start(struct srv *s, char *const argv[], const char *name)
{
	char errpath[320];
	long port;

	snprintf(errpath, sizeof(errpath), "%s/%s.err", fx.dir, name);
	s->pid = tproc_spawn(
	    argv, &s->out, &(struct tproc_opts){ .stderr_file = errpath });
	if (s->pid < 0)
		return -1;
	port = tproc_read_port(s->out, 10000);
	if (port <= 0 || port > 65535) {
		fprintf(stderr, "%s did not start (see %s)\n", name, errpath);
		tproc_reap(s->pid, 3000, true);
		s->pid = -1;
		return -1;
	}
	s->port = (int)port;
	return 0;
}

static void
srv_stop(struct srv *s)
{
	tproc_reap(s->pid, 3000, true);
	s->pid = -1;
	if (s->out >= 0)
		close(s->out);
	s->out = -1;
}

/* A port free on 127.0.0.1 right now. */
static int
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	if (fd < 0)
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static int
start_hook(int port)
{
	char p[16];
	char *argv[] = { "python3", "tests/tools/webhook_rx.py", "--secret-env",
		SECRET_ENV, "--port", p, NULL };

	snprintf(p, sizeof(p), "%d", port);
	return srv_start(&fx.hook, argv, "webhook_rx");
}

/* Run argv to its end (cwd "dir"); its exit status, or -1. */
static int
run(char *const argv[], const char *dir, const char *logpath)
{
	pid_t pid;
	int st, fd;

	pid = fork();
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (dir && chdir(dir) != 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void
rm_tree(const char *dir)
{
	if (dir[0])
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- syslog capture ------------------------------------------------------ */

/*
 * Our socket at /dev/log. Called from main() before any thread exists:
 * unshare(CLONE_NEWNS) refuses a threaded process.
 */
static int
syslog_capture(void)
{
	struct sockaddr_un sun;
	const char *at;
	struct stat sb;

	fx.logfd =
	    socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fx.logfd < 0)
		return -1;
	snprintf(fx.logpath, sizeof(fx.logpath), "%s/devlog", fx.dir);
	fx.log_created = lstat("/dev/log", &sb) != 0 && errno == ENOENT;
	at = fx.log_created ? "/dev/log" : fx.logpath;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(at) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, at, strlen(at) + 1);
	if (bind(fx.logfd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "bind %s: %s\n", at, strerror(errno));
		return -1;
	}
	if (fx.log_created)
		return 0;
	/* A syslog daemon owns /dev/log: cover it, for us only. */
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount(fx.logpath, "/dev/log", NULL, MS_BIND, NULL) != 0) {
		fprintf(stderr,
		    "cannot put a socket over /dev/log (root needed): %s\n",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Our lines (ident "cn-test"), kept by the drain thread; the newest
 * LOG_KEEP of them.
 */
#define LOG_KEEP 64
#define LOG_LINE 1100
static char log_seen[LOG_KEEP][LOG_LINE];
static unsigned log_nseen;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

/*
 * Read /dev/log all the time. When /dev/log is ours for the whole
 * machine (no syslog daemon here), every process's syslog(3) comes to
 * this socket, and a full one blocks them all: PAM in runuser, which
 * pg_ctl waits for while the main thread waits for pg_ctl, and our own
 * alert router. Lines of other programs are dropped.
 */
static void *
syslog_drain(void *arg)
{
	char buf[LOG_LINE];
	struct pollfd pfd = { .fd = fx.logfd, .events = POLLIN };
	ssize_t n;

	(void)arg;
	while (!fx.log_stop) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		while ((n = recv(fx.logfd, buf, sizeof(buf) - 1, 0)) > 0) {
			buf[n] = '\0';
			if (!strstr(buf, "cn-test"))
				continue;
			pthread_mutex_lock(&log_mu);
			if (log_nseen == LOG_KEEP) {
				memmove(log_seen[0], log_seen[1],
				    sizeof(log_seen[0]) * (LOG_KEEP - 1));
				log_nseen--;
			}
			memcpy(log_seen[log_nseen++], buf, (size_t)n + 1);
			pthread_mutex_unlock(&log_mu);
		}
	}
	return NULL;
}

/* Wait for a syslog line holding "needle"; its PRI, or -1. */
static int
syslog_find(const char *needle, char *line, size_t cap)
{
	int64_t end = tproc_now_ms() + WAIT_MS;
	unsigned i;

	for (;;) {
		bool found;

		pthread_mutex_lock(&log_mu);
		for (i = 0; i < log_nseen && !strstr(log_seen[i], needle); i++)
			;
		found = i < log_nseen;
		if (found)
			snprintf(line, cap, "%s", log_seen[i]);
		pthread_mutex_unlock(&log_mu);
		if (found)
			return line[0] == '<' ?
			    (int)strtol(line + 1, NULL, 10) :
			    -1;
		if (tproc_now_ms() > end)
			return -1;
		tproc_sleep_ms(20);
	}
}

/* ---- PostgreSQL ------------------------------------------------------- */

/* Gone, or a zombie nobody reaps (a container's PID 1 may not). */
static bool
pid_gone(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	bool gone = true;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return true;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		gone = p[1] == ' ' && p[2] == 'Z';
	fclose(f);
	return gone;
}

/* The postmaster's PID from its pid file; 0 when none. */
static pid_t
pg_read_pid(void)
{
	char pidf[160], line[32];
	pid_t pid = 0;
	FILE *f;

	snprintf(pidf, sizeof(pidf), "%s/data/postmaster.pid", fx.pg_root);
	if ((f = fopen(pidf, "r"))) {
		if (fgets(line, sizeof(line), f))
			pid = (pid_t)strtol(line, NULL, 10);
		fclose(f);
	}
	return pid;
}

/*
 * Run a PostgreSQL program of fx.pg_bin with "args", as the postgres
 * user when we are root (the server refuses to run as root).
 */
static int
pg_run_prog(const char *prog, char *const args[])
{
	char path[PATH_MAX + 16], out[300];
	char *argv[32];
	size_t i = 0, k;

	snprintf(path, sizeof(path), "%s/%s", fx.pg_bin, prog);
	if (geteuid() == 0) {
		argv[i++] = "runuser";
		argv[i++] = "-u";
		argv[i++] = "postgres";
		argv[i++] = "--";
	}
	argv[i++] = path;
	for (k = 0; args[k] && i + 1 < sizeof(argv) / sizeof(argv[0]); k++)
		argv[i++] = args[k];
	argv[i] = NULL;
	snprintf(out, sizeof(out), "%s/postgres.out", fx.dir);
	return run(argv, fx.pg_root, out);
}

/* Start the cluster (again); fx.pg_pid. */
static int
pg_up(void)
{
	char data[128], logp[128], opts[256];
	char *args[] = { "-D", data, "-l", logp, "-w", "-t", "30", "-o", opts,
		"start", NULL };
	int rc;

	snprintf(data, sizeof(data), "%s/data", fx.pg_root);
	snprintf(logp, sizeof(logp), "%s/server.log", fx.pg_root);
	snprintf(opts, sizeof(opts),
	    "-c listen_addresses=127.0.0.1 -p %d "
	    "-c unix_socket_directories=%s -c fsync=off",
	    fx.pg_port, fx.pg_root);
	rc = pg_run_prog("pg_ctl", args);
	/* The PID even on failure, so a half-started server is stopped. */
	fx.pg_pid = pg_read_pid();
	if (rc != 0 || fx.pg_pid <= 0) {
		fprintf(stderr, "PostgreSQL did not start (%s/postgres.out)\n",
		    fx.dir);
		return -1;
	}
	return 0;
}

/* Fast shutdown (SIGINT to the postmaster), by PID. */
static void
pg_down(void)
{
	int i;

	if (fx.pg_pid <= 0)
		return;
	kill(fx.pg_pid, SIGINT);
	for (i = 0; i < 3000 && !pid_gone(fx.pg_pid); i++)
		tproc_sleep_ms(10);
	if (!pid_gone(fx.pg_pid)) {
		kill(fx.pg_pid, SIGKILL);
		for (i = 0; i < 500 && !pid_gone(fx.pg_pid); i++)
			tproc_sleep_ms(10);
	}
	fx.pg_pid = 0;
}

/* A new cluster in a temporary directory, started. */
static int
pg_start(void)
{
	char data[128];
	char *args[] = { "-D", data, "-U", "postgres", "-A", "trust", "-E",
		"UTF8", "--locale=C.UTF-8", "--no-sync", NULL };
	struct passwd *pw;
	glob_t g;
	size_t n;

	if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) != 0 ||
	    g.gl_pathc == 0) {
		fprintf(stderr,
		    "no PostgreSQL server (Debian package postgresql; "
		    "scripts/deps.sh installs it)\n");
		return -1;
	}
	n = strlen(g.gl_pathv[g.gl_pathc - 1]) - strlen("/initdb");
	if (n >= sizeof(fx.pg_bin)) {
		globfree(&g);
		return -1;
	}
	memcpy(fx.pg_bin, g.gl_pathv[g.gl_pathc - 1], n);
	fx.pg_bin[n] = '\0';
	globfree(&g);
	/* In /tmp: every directory above must be searchable by postgres. */
	snprintf(
	    fx.pg_root, sizeof(fx.pg_root), "/tmp/centinela-alert-pg.XXXXXX");
	if (!mkdtemp(fx.pg_root)) {
		fx.pg_root[0] = '\0';
		return -1;
	}
	if (geteuid() == 0 &&
	    (!(pw = getpwnam("postgres")) ||
		chown(fx.pg_root, pw->pw_uid, pw->pw_gid) != 0)) {
		fprintf(stderr, "no postgres user to run the server\n");
		return -1;
	}
	snprintf(data, sizeof(data), "%s/data", fx.pg_root);
	if (pg_run_prog("initdb", args) != 0) {
		fprintf(stderr, "initdb failed (%s/postgres.out)\n", fx.dir);
		return -1;
	}
	fx.pg_port = free_port();
	if (pg_up() != 0)
		return -1;
	snprintf(fx.pg_uri, sizeof(fx.pg_uri),
	    "postgresql://postgres@127.0.0.1:%d/postgres", fx.pg_port);
	return 0;
}

/* Stop the cluster and remove its files. */
static void
pg_stop(void)
{
	pg_down();
	rm_tree(fx.pg_root);
	fx.pg_root[0] = '\0';
}

static void
pg_exec(const char *uri, const char *sql)
{
	PGconn *c = PQconnectdb(uri);
	PGresult *r;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("PostgreSQL: %s", PQerrorMessage(c));
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

/* ---- databases ---------------------------------------------------------- */

/* A new empty database for this case in fx.uri. */
static void
fresh_db(void)
{
	fx.n++;
	if (fx.pg) {
		pg_exec(fx.pg_uri,
		    "SET client_min_messages = warning; "
		    "DROP SCHEMA IF EXISTS " PG_SCHEMA
		    " CASCADE; CREATE SCHEMA " PG_SCHEMA);
		snprintf(fx.uri, sizeof(fx.uri),
		    "%s?options=-csearch_path%%3D" PG_SCHEMA, fx.pg_uri);
	} else {
		snprintf(
		    fx.uri, sizeof(fx.uri), "sqlite:%s/a%d.db", fx.dir, fx.n);
	}
}

/* Run a parameter-free script on the case's database, bypassing us. */
static void
raw_exec(const char *sql)
{
	sqlite3 *db = NULL;

	if (fx.pg) {
		pg_exec(fx.uri, sql);
		return;
	}
	if (sqlite3_open(fx.uri + 7, &db) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

static struct store *
open_store(void)
{
	struct store *s = NULL;
	char err[256];

	if (store_open(&s, fx.uri, err, sizeof(err)))
		fail_msg("store_open: %s", err);
	return s;
}

/* ---- configuration and router -------------------------------------------- */

/*
 * Load a configuration made of the case's store and "alerts" (the body
 * of an alerts section), failing the case on an error.
 */
static struct cfg *
conf(const char *fmt, ...)
{
	char path[320], body[4096];
	struct cfg *cfg = NULL;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/c%d.conf", fx.dir, ++fx.n);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
	    "store = { uri = \"%s\"; };\n"
	    "alerts = { node = \"testnode\"; %s };\n"
	    "listen = ( { transport = \"udp\"; address = \"127.0.0.1\"; "
	    "port = 5060; } );\n",
	    fx.uri, body);
	fclose(f);
	if (cfg_load(&cfg, path, stderr))
		fail_msg("configuration %s refused", path);
	return cfg;
}

static struct alert_router *
router(const struct cfg *cfg)
{
	struct alert_router *r = NULL;
	char err[256];

	if (alert_router_start(&r, cfg, err, sizeof(err)))
		fail_msg("alert_router_start: %s", err);
	return r;
}

/* A webhook channel to our receiver (port "port"), min "min". */
static const char *
hook_chan(const char *name, const char *min, int port)
{
	static char buf[4][512];
	static unsigned i;
	char *b = buf[i++ % 4];

	snprintf(b, 512,
	    "{ name = \"%s\"; type = \"webhook\"; min = \"%s\"; "
	    "url = \"http://127.0.0.1:%d/hook\"; secret_env = \"" SECRET_ENV
	    "\"; timeout = 2000; }",
	    name, min, port);
	return b;
}

/*
 * Wait until delivery (id, channel) is in "state" with at least
 * "attempts" attempts; the row in *d. False on timeout.
 */
static bool
wait_dlv(const char *id, const char *channel, const char *state,
    uint32_t attempts, struct alert_dlv *d)
{
	int64_t end = tproc_now_ms() + WAIT_MS;
	struct store *s = open_store();
	bool ok = false;

	while (!ok && tproc_now_ms() < end) {
		memset(d, 0, sizeof(*d));
		if (store_alert_dlv_get(s, id, channel, d) == 0 &&
		    strcmp(d->state, state) == 0 && d->attempts >= attempts)
			ok = true;
		else
			tproc_sleep_ms(20);
	}
	store_close(s);
	return ok;
}

/* ---- the webhook receiver's record --------------------------------------- */

struct body {
	char *buf;
	size_t len;
};

static size_t
body_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;
	char *nb = realloc(b->buf, b->len + n + 1);

	if (!nb)
		return 0;
	b->buf = nb;
	memcpy(b->buf + b->len, data, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

/* GET path from the receiver; the parsed JSON (caller decrefs). */
static json_t *
hook_get(const char *path)
{
	struct body b = { NULL, 0 };
	char url[128];
	CURL *c = curl_easy_init();
	json_t *j;
	long code = 0;

	assert_non_null(c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", fx.hook.port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	assert_int_equal(code, 200);
	curl_easy_cleanup(c);
	j = json_loadb(b.buf ? b.buf : "", b.len, 0, NULL);
	free(b.buf);
	assert_non_null(j);
	return j;
}

/*
 * The POSTs the receiver had for alert "id": how many got "status"
 * (0: any), each with a valid signature (checked here), the last
 * body in *last (may be NULL; caller decrefs).
 */
static unsigned
hook_posts(const char *id, int status, json_t **last)
{
	json_t *all = hook_get("/posts"), *p;
	unsigned n = 0;
	size_t i;

	if (last)
		*last = NULL;
	json_array_foreach(all, i, p)
	{
		if (strcmp(json_string_value(json_object_get(p, "id")), id))
			continue;
		assert_true(json_is_true(json_object_get(p, "sig_ok")));
		if (status &&
		    json_integer_value(json_object_get(p, "status")) != status)
			continue;
		n++;
		if (last) {
			json_decref(*last);
			*last = json_incref(json_object_get(p, "body"));
		}
	}
	json_decref(all);
	return n;
}

/* ---- the mail directory ---------------------------------------------------- */

/* The messages smtp_rx.py wrote (*.eml), concatenated into buf. */
static unsigned
mail_read(char *buf, size_t cap)
{
	char path[600];
	struct dirent *de;
	size_t len = 0, n;
	unsigned count = 0;
	DIR *d;
	FILE *f;

	buf[0] = '\0';
	if (!(d = opendir(fx.maildir)))
		return 0;
	while ((de = readdir(d))) {
		n = strlen(de->d_name);
		if (n < 4 || strcmp(de->d_name + n - 4, ".eml") != 0)
			continue;
		count++;
		snprintf(path, sizeof(path), "%s/%s", fx.maildir, de->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		len += fread(buf + len, 1, cap - 1 - len, f);
		buf[len] = '\0';
		fclose(f);
	}
	closedir(d);
	return count;
}

/* ---- fixtures ---------------------------------------------------------------- */

static int
router_setup(void **state)
{
	(void)state;
	fx.pg = false;
	fresh_db();
	return 0;
}

static int
router_pg_setup(void **state)
{
	(void)state;
	fx.pg = true;
	fresh_db();
	return 0;
}

static int
store_setup(void **state)
{
	(void)state;
	fresh_db();
	return 0;
}

static int
group_sqlite(void **state)
{
	(void)state;
	fx.pg = false;
	return 0;
}

static int
group_pg(void **state)
{
	(void)state;
	fx.pg = true;
	return 0;
}

/* ---- configuration ------------------------------------------------------------ */

static void
cfg_default_has_no_channel(void **state)
{
	struct cfg *cfg = NULL;

	(void)state;
	assert_int_equal(cfg_load(&cfg, NULL, stderr), 0);
	assert_int_equal(cfg->alerts.nchannels, 0);
	assert_int_equal(cfg->alerts.dedup, 600);
	assert_int_equal(cfg->alerts.rate_max, 100);
	assert_int_equal(cfg->alerts.rate_per, 60);
	assert_int_equal(cfg->alerts.retry_base, 1000);
	assert_int_equal(cfg->alerts.retry_max, 300000);
	assert_int_equal(cfg->alerts.max_age, 7 * 86400);
	cfg_free(cfg);
}

static void
cfg_full_section(void **state)
{
	const struct cfg_alert_channel *c;
	struct cfg *cfg;

	(void)state;
	fresh_db();
	cfg =
	    conf("dedup = \"5m\"; rate = { max = 7; per = \"2m\"; }; "
		 "retry_base = \"250ms\"; retry_max = \"2s\"; "
		 "max_age = \"1d\"; keep = \"30d\"; channels = ( "
		 "%s, { name = \"mail\"; type = \"email\"; min = "
		 "\"critical\"; url = \"smtp://127.0.0.1:2525/helo.example\"; "
		 "from = \"centinela@example.net\"; to = [ \"a@example.net\", "
		 "\"b@example.net\" ]; starttls = \"no\"; username_env = "
		 "\"U\"; password_file = \"/nonexistent\"; }, "
		 "{ name = \"log\"; type = \"syslog\"; facility = "
		 "\"local5\"; ident = \"cn\"; } );",
		hook_chan("ops-hook", "warning", 8080));
	assert_int_equal(cfg->alerts.dedup, 300);
	assert_int_equal(cfg->alerts.rate_max, 7);
	assert_int_equal(cfg->alerts.rate_per, 120);
	assert_int_equal(cfg->alerts.retry_base, 250);
	assert_int_equal(cfg->alerts.retry_max, 2000);
	assert_int_equal(cfg->alerts.max_age, 86400);
	assert_int_equal(cfg->alerts.keep, 30 * 86400);
	assert_string_equal(cfg->alerts.node, "testnode");
	assert_int_equal(cfg->alerts.nchannels, 3);
	c = &cfg->alerts.channels[0];
	assert_string_equal(c->name, "ops-hook");
	assert_int_equal(c->type, CFG_ALERT_WEBHOOK);
	assert_int_equal(c->min, ALERT_WARNING);
	assert_int_equal(c->timeout, 2000);
	assert_string_equal(c->secret_env, SECRET_ENV);
	c = &cfg->alerts.channels[1];
	assert_int_equal(c->type, CFG_ALERT_EMAIL);
	assert_int_equal(c->min, ALERT_CRITICAL);
	assert_int_equal(c->nto, 2);
	assert_string_equal(c->to[1], "b@example.net");
	assert_int_equal(c->starttls, CFG_ALERT_TLS_NO);
	c = &cfg->alerts.channels[2];
	assert_int_equal(c->type, CFG_ALERT_SYSLOG);
	assert_int_equal(c->min, ALERT_INFO);
	assert_int_equal(c->facility, LOG_LOCAL5);
	assert_string_equal(c->ident, "cn");
	cfg_free(cfg);
}

/* Each bad section: the error, with the line it names. */
static void
cfg_errors(void **state)
{
	static const struct {
		const char *body; /* the alerts section, on line 2.. */
		const char *want; /* ":LINE: message" */
	} cases[] = {
		{ "channels = ( { name = \"x\";\n type = \"pager\"; } );",
		    ":3: type: \"pager\" is not webhook, email or syslog" },
		{ "channels = ( { name = \"x\"; type = \"webhook\";\n"
		  " url = \"ftp://h/x\"; } );",
		    ":3: url: \"ftp://h/x\": the scheme must be http:// or "
		    "https://" },
		{ "channels = ( { name = \"x\"; type = \"webhook\"; url = "
		  "\"https://h/x\";\n min = \"urgent\"; } );",
		    ":3: min: \"urgent\" is not a severity" },
		{ "channels = (\n { name = \"m\"; type = \"email\"; url = "
		  "\"smtp://h\"; from = \"a@b.c\"; } );",
		    ":3: channel \"m\": an email channel needs \"to\"" },
		{ "channels = ( { name = \"s\"; type = \"syslog\"; },\n"
		  " { name = \"s\"; type = \"syslog\"; } );",
		    ":3: name: a channel \"s\" is already defined" },
		{ "channels = ( { name = \"x\"; type = \"webhook\"; url = "
		  "\"https://h/x\";\n secret = \"hunter2\"; } );",
		    ":3: unknown setting \"secret\"" },
		{ "channels = ( { name = \"x\"; type = \"webhook\";\n"
		  " url = \"https://u:p@h/x\"; } );",
		    ":3: url: no credentials in the URL" },
		{ "channels = ( { name = \"x\"; type = \"webhook\"; url = "
		  "\"https://h/x\";\n to = [ \"a@b.c\" ]; } );",
		    ":3: unknown setting \"to\" in alerts.channels" },
		{ "channels = ( { name = \"m\"; type = \"email\"; url = "
		  "\"smtp://h\"; from = \"a@b.c\";\n to = [ \"not an "
		  "address\" ]; } );",
		    ":3: to: \"not an address\" is not an e-mail address" },
		{ "\nretry_base = \"fast\";",
		    ":3: retry_base: \"fast\" is not a duration" },
		{ "channels = ( { name = \"bad name\"; type = \"syslog\"; } "
		  ");",
		    ":2: name: \"bad name\" must be 1 to 63 of" },
		{ "channels = ( { name = \"x\"; type = \"webhook\"; url = "
		  "\"https://h/x\";\n secret_env = \"A\"; secret_file = "
		  "\"/f\"; } );",
		    ":3: secret_file: give secret_env or secret_file, not "
		    "both" },
		{ "channels = ( { name = \"a\"; type = \"syslog\"; },\n"
		  " { name = \"b\"; type = \"syslog\"; ident = \"other\"; } );",
		    ":3: channel \"b\": ident \"other\" differs" },
		{ "channels = ( { name = \"x\"; type = \"syslog\";\n facility "
		  "= \"kern\"; } );",
		    ":3: facility: \"kern\" is not user, daemon" },
		{ "\nbogus = 1;", ":3: unknown setting \"bogus\" in alerts" },
	};
	char path[320], *out = NULL, want[512];
	struct cfg *cfg = NULL;
	size_t i, olen = 0;
	FILE *f, *err;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s/bad%zu.conf", fx.dir, i);
		f = fopen(path, "w");
		assert_non_null(f);
		fprintf(f,
		    "store = { uri = \"sqlite:x.db\"; };\nalerts = { "
		    "%s };\n",
		    cases[i].body);
		fclose(f);
		err = open_memstream(&out, &olen);
		assert_non_null(err);
		assert_int_equal(cfg_load(&cfg, path, err), EINVAL);
		fclose(err);
		snprintf(want, sizeof(want), "%s%s", path, cases[i].want);
		if (!strstr(out, want))
			fail_msg("case %zu: want \"%s\" in:\n%s", i, want, out);
		free(out);
		out = NULL;
	}
}

/* ---- the store ------------------------------------------------------------------ */

static void
sample_alert(struct alert_rec *a, const char *id, int64_t ts, uint32_t sev)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->id, sizeof(a->id), "%s", id);
	a->ts = ts;
	a->severity = sev;
	snprintf(a->rule, sizeof(a->rule), "FRAUD-CPM");
	snprintf(
	    a->subject, sizeof(a->subject), "+34911000%03d", (int)ts % 1000);
	snprintf(a->text, sizeof(a->text), "line one\nline two: ñ €");
	snprintf(a->node, sizeof(a->node), "node-1");
}

static void
sample_dlv(struct alert_dlv *d, const char *id, const char *chan,
    const char *state, int64_t next)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->alert, sizeof(d->alert), "%s", id);
	snprintf(d->channel, sizeof(d->channel), "%s", chan);
	snprintf(d->state, sizeof(d->state), "%s", state);
	d->next_try = next;
	d->updated = next;
}

struct seen {
	char ids[16][STORE_ALERT_ID_MAX];
	char chans[16][STORE_ALERT_CHANNEL_MAX];
	unsigned n;
};

static int
seen_alert(const struct alert_rec *a, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16)
		memcpy(s->ids[s->n++], a->id, STORE_ALERT_ID_MAX);
	return 0;
}

static int
seen_dlv(const struct alert_dlv *d, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16)
		memcpy(s->chans[s->n++], d->channel, STORE_ALERT_CHANNEL_MAX);
	return 0;
}

static int
seen_due(const struct alert_rec *a, const struct alert_dlv *d, void *arg)
{
	struct seen *s = arg;

	assert_string_equal(a->id, d->alert);
	if (s->n < 16) {
		memcpy(s->ids[s->n], a->id, STORE_ALERT_ID_MAX);
		memcpy(s->chans[s->n++], d->channel, STORE_ALERT_CHANNEL_MAX);
	}
	return 0;
}

static void
store_alert_rows(void **state)
{
	struct store *s = open_store();
	struct alert_rec a, got;
	struct alert_dlv d[3], gd;
	struct seen sn;

	(void)state;
	assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
	sample_alert(&a, "al-0001", 1000, 2);
	sample_dlv(&d[0], "al-0001", "mail", "pending", 1000);
	sample_dlv(&d[1], "al-0001", "hook", "pending", 1000);
	sample_dlv(&d[2], "al-0001", "log", "done", 0);
	assert_int_equal(store_alert_add(s, &a, d, 3), 0);
	assert_int_equal(store_alert_add(s, &a, d, 0), EEXIST);
	assert_int_equal(store_alert_get(s, "al-0001", &got), 0);
	assert_string_equal(got.text, "line one\nline two: ñ €");
	assert_int_equal(got.severity, 2);
	assert_true(got.ts == 1000 && got.repeats == 0);
	assert_int_equal(store_alert_get(s, "al-none", &got), ENOENT);
	/* Deliveries by channel name. */
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_alert_dlv_each(s, "al-0001", seen_dlv, &sn), 0);
	assert_int_equal(sn.n, 3);
	assert_string_equal(sn.chans[0], "hook");
	assert_string_equal(sn.chans[1], "log");
	assert_string_equal(sn.chans[2], "mail");
	assert_int_equal(store_alert_dlv_get(s, "al-0001", "log", &gd), 0);
	assert_string_equal(gd.state, "done");
	/* Refused before anything is written. */
	sample_alert(&a, "al-0002", 2000, 3);
	assert_int_equal(store_alert_add(s, &a, NULL, 0), EINVAL);
	sample_alert(&a, "al-0002", 2000, 0);
	sample_dlv(&d[0], "al-0002", "hook", "sent", 0);
	assert_int_equal(store_alert_add(s, &a, d, 1), EINVAL);
	sample_dlv(&d[0], "al-0003", "hook", "pending", 0);
	assert_int_equal(store_alert_add(s, &a, d, 1), EINVAL);
	sample_dlv(&d[0], "al-0002", "hook", "pending", 0);
	sample_dlv(&d[1], "al-0002", "hook", "pending", 0);
	assert_int_equal(store_alert_add(s, &a, d, 2), EINVAL);
	assert_int_equal(store_alert_get(s, "al-0002", &got), ENOENT);
	a.rule[0] = '\0';
	assert_int_equal(store_alert_add(s, &a, d, 1), EINVAL);
	/* A range, a severity floor, the newest N oldest first. */
	sample_alert(&a, "al-0002", 2000, 0);
	assert_int_equal(store_alert_add(s, &a, NULL, 0), 0);
	sample_alert(&a, "al-0003", 3000, 1);
	assert_int_equal(store_alert_add(s, &a, NULL, 0), 0);
	sample_alert(&a, "al-0004", 4000, 2);
	assert_int_equal(store_alert_add(s, &a, NULL, 0), 0);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(
	    store_alert_each(s, 0, INT64_MAX, 0, 0, seen_alert, &sn), 0);
	assert_int_equal(sn.n, 4);
	assert_string_equal(sn.ids[0], "al-0001");
	assert_string_equal(sn.ids[3], "al-0004");
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(
	    store_alert_each(s, 2000, 4000, 0, 0, seen_alert, &sn), 0);
	assert_int_equal(sn.n, 2);
	assert_string_equal(sn.ids[0], "al-0002");
	assert_string_equal(sn.ids[1], "al-0003");
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(
	    store_alert_each(s, 0, INT64_MAX, 1, 2, seen_alert, &sn), 0);
	assert_int_equal(sn.n, 2);
	assert_string_equal(sn.ids[0], "al-0003");
	assert_string_equal(sn.ids[1], "al-0004");
	/* Repeats add up. */
	assert_int_equal(store_alert_repeat(s, "al-0003", 2), 0);
	assert_int_equal(store_alert_repeat(s, "al-0003", 3), 0);
	assert_int_equal(store_alert_get(s, "al-0003", &got), 0);
	assert_true(got.repeats == 5);
	assert_int_equal(store_alert_repeat(s, "al-none", 1), ENOENT);
	assert_int_equal(store_alert_repeat(s, "al-0003", -1), EINVAL);
	store_close(s);
}

static void
store_alert_due_claim(void **state)
{
	struct store *s = open_store(), *s2 = open_store();
	struct alert_rec a;
	struct alert_dlv d[2], gd;
	struct seen sn;
	bool found, claimed;
	int64_t next;
	uint64_t n = 0;

	(void)state;
	assert_int_equal(store_alert_next_due(s, &next, &found), 0);
	assert_false(found);
	sample_alert(&a, "al-a", 100, 1);
	sample_dlv(&d[0], "al-a", "hook", "pending", 500);
	sample_dlv(&d[1], "al-a", "mail", "pending", 300);
	assert_int_equal(store_alert_add(s, &a, d, 2), 0);
	sample_alert(&a, "al-b", 200, 2);
	sample_dlv(&d[0], "al-b", "hook", "pending", 400);
	sample_dlv(&d[1], "al-b", "log", "done", 0);
	assert_int_equal(store_alert_add(s, &a, d, 2), 0);
	assert_int_equal(store_alert_next_due(s, &next, &found), 0);
	assert_true(found && next == 300);
	/* Due by next_try, each with its alert; a limit. */
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_alert_due(s, 450, 0, seen_due, &sn), 0);
	assert_int_equal(sn.n, 2);
	assert_string_equal(sn.ids[0], "al-a");
	assert_string_equal(sn.chans[0], "mail");
	assert_string_equal(sn.ids[1], "al-b");
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_alert_due(s, 1000, 1, seen_due, &sn), 0);
	assert_int_equal(sn.n, 1);
	/* One claim wins, from whichever connection. */
	assert_int_equal(
	    store_alert_dlv_claim(s, "al-a", "mail", 450, 5000, &claimed), 0);
	assert_true(claimed);
	assert_int_equal(
	    store_alert_dlv_claim(s2, "al-a", "mail", 450, 5000, &claimed), 0);
	assert_false(claimed);
	assert_int_equal(
	    store_alert_dlv_claim(s2, "al-a", "hook", 450, 5000, &claimed), 0);
	assert_false(claimed); /* not due before 500 */
	assert_int_equal(
	    store_alert_dlv_claim(s, "al-b", "log", 450, 5000, &claimed), 0);
	assert_false(claimed); /* done */
	assert_int_equal(
	    store_alert_dlv_claim(s, "al-a", "mail", 450, 450, &claimed),
	    EINVAL);
	assert_int_equal(store_alert_dlv_get(s, "al-a", "mail", &gd), 0);
	assert_int_equal(gd.attempts, 1);
	assert_true(gd.next_try == 5000 && gd.updated == 450);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_alert_due(s, 450, 0, seen_due, &sn), 0);
	assert_int_equal(sn.n, 1); /* al-b hook only: the lease hides it */
	/* The outcome. */
	snprintf(gd.state, sizeof(gd.state), "done");
	gd.updated = 600;
	assert_int_equal(store_alert_dlv_update(s, &gd), 0);
	assert_int_equal(store_alert_dlv_get(s2, "al-a", "mail", &gd), 0);
	assert_string_equal(gd.state, "done");
	assert_int_equal(gd.attempts, 1);
	snprintf(gd.channel, sizeof(gd.channel), "nope");
	assert_int_equal(store_alert_dlv_update(s, &gd), ENOENT);
	snprintf(gd.state, sizeof(gd.state), "weird");
	assert_int_equal(store_alert_dlv_update(s, &gd), EINVAL);
	/* Trim: al-a keeps a pending delivery (hook), al-b has none. */
	assert_int_equal(store_alert_trim(s, 1000, &n), 0);
	assert_true(n == 0); /* al-b's hook is pending too */
	assert_int_equal(store_alert_dlv_get(s, "al-b", "hook", &gd), 0);
	snprintf(gd.state, sizeof(gd.state), "failed");
	assert_int_equal(store_alert_dlv_update(s, &gd), 0);
	assert_int_equal(store_alert_trim(s, 150, &n), 0);
	assert_true(n == 0); /* al-b is newer than 150 */
	assert_int_equal(store_alert_trim(s, 1000, &n), 0);
	assert_true(n == 1);
	assert_int_equal(store_alert_get(s, "al-b", &a), ENOENT);
	assert_int_equal(store_alert_dlv_get(s, "al-b", "log", &gd), ENOENT);
	assert_int_equal(store_alert_get(s, "al-a", &a), 0);
	assert_int_equal(store_alert_dlv_get(s, "al-a", "mail", &gd), 0);
	store_close(s2);
	store_close(s);
}

/* A version-3 database (with a ban) upgrades in place. */
static void
store_migrate_v3(void **state)
{
	const struct store_schema *sc =
	    fx.pg ? store_pgsql_ops.schema : store_sqlite_ops.schema;
	struct store *s;
	struct ban_rec b;
	struct alert_rec a, got;

	(void)state;
	raw_exec(sc->bootstrap);
	raw_exec(sc->steps[0]);
	raw_exec(sc->steps[1]);
	raw_exec(sc->steps[2]);
	raw_exec("INSERT INTO meta (key, value) VALUES ('schema_version', 3)");
	raw_exec("INSERT INTO bans (addr, reason, expires) "
		 "VALUES ('192.0.2.9/32', 'scanner', 100)");
	s = open_store();
	assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
	assert_int_equal(store_ban_get(s, "192.0.2.9/32", &b), 0);
	assert_string_equal(b.reason, "scanner");
	sample_alert(&a, "al-m", 1, 0);
	assert_int_equal(store_alert_add(s, &a, NULL, 0), 0);
	store_close(s);
	/* Opening again migrates nothing. */
	s = open_store();
	assert_int_equal(store_alert_get(s, "al-m", &got), 0);
	store_close(s);
}

/* ---- the router ------------------------------------------------------------------- */

/*
 * A warning goes to the webhook (min warning) and syslog (min info),
 * not to the mail channel (min critical); a critical goes everywhere.
 * The receiver checks the signature; the mail server requires AUTH.
 */
static void
route_by_severity(void **state)
{
	char idw[ALERT_ID_MAX], idc[ALERT_ID_MAX], line[1200];
	static char mail[65536];
	struct alert_dlv d;
	struct alert_rec a;
	struct alert_router *r;
	struct store *s;
	struct cfg *cfg;
	json_t *body;
	int pri;

	(void)state;
	cfg = conf("channels = ( %s, "
		   "{ name = \"mail\"; type = \"email\"; min = \"critical\"; "
		   "url = \"smtp://127.0.0.1:%d\"; from = "
		   "\"centinela@example.net\"; to = [ \"noc@example.net\", "
		   "\"fraud@example.net\" ]; starttls = \"try\"; "
		   "username_env = \"" SMTP_USER_ENV "\"; password_env = "
		   "\"" SMTP_PASS_ENV "\"; timeout = 5000; }, "
		   "{ name = \"log\"; type = \"syslog\"; min = \"info\"; "
		   "facility = \"local3\"; ident = \"cn-test\"; } );",
	    hook_chan("ops-hook", "warning", fx.hook.port), fx.smtp.port);
	r = router(cfg);
	assert_int_equal(alert_raise(r, ALERT_WARNING, "fraud-test",
			     "+34911000001", "calls to a premium range", idw),
	    0);
	/* CR LF in a subject must not become a header. */
	assert_int_equal(
	    alert_raise(r, ALERT_CRITICAL, "fraud-test",
		"+34911000002\r\nBcc: evil@example.com", "line 1\nline 2", idc),
	    0);
	assert_int_equal(strncmp(idw, "al-", 3), 0);
	assert_int_equal(strlen(idw), 23);
	assert_string_not_equal(idw, idc);

	assert_true(wait_dlv(idw, "ops-hook", "done", 1, &d));
	assert_true(wait_dlv(idc, "ops-hook", "done", 1, &d));
	assert_true(wait_dlv(idc, "mail", "done", 1, &d));
	assert_int_equal(d.attempts, 1);
	assert_true(wait_dlv(idw, "log", "done", 1, &d));
	assert_true(wait_dlv(idc, "log", "done", 1, &d));

	/* Webhook: one signed POST each, the body as documented. */
	assert_int_equal(hook_posts(idw, 200, &body), 1);
	assert_string_equal(
	    json_string_value(json_object_get(body, "severity")), "warning");
	assert_string_equal(
	    json_string_value(json_object_get(body, "rule")), "fraud-test");
	assert_string_equal(json_string_value(json_object_get(body, "subject")),
	    "+34911000001");
	assert_string_equal(json_string_value(json_object_get(body, "text")),
	    "calls to a premium range");
	assert_string_equal(
	    json_string_value(json_object_get(body, "node")), "testnode");
	assert_int_equal(
	    strlen(json_string_value(json_object_get(body, "ts"))), 24);
	json_decref(body);
	assert_int_equal(hook_posts(idc, 200, NULL), 1);

	/* Mail: only the critical one, to both, authenticated. */
	assert_int_equal(mail_read(mail, sizeof(mail)), 1);
	assert_non_null(strstr(mail, "X-Envelope-From: centinela@example.net"));
	assert_non_null(strstr(mail, "X-Envelope-To: noc@example.net"));
	assert_non_null(strstr(mail, "X-Envelope-To: fraud@example.net"));
	assert_non_null(strstr(mail, "X-Auth-User: alert-user"));
	assert_non_null(strstr(mail,
	    "Subject: [centinela CRITICAL] fraud-test +34911000002  Bcc: "
	    "evil@example.com\r\n"));
	assert_null(strstr(mail, "\nBcc:"));
	assert_non_null(strstr(mail, "X-Centinela-Alert-Id: "));
	assert_non_null(strstr(mail, idc));
	assert_non_null(strstr(mail, "\r\nline 1\r\nline 2\r\n"));
	assert_non_null(strstr(mail, "Date: "));
	assert_null(strstr(mail, idw));

	/* Syslog: both, at their priority, in local3. */
	pri = syslog_find(idw, line, sizeof(line));
	assert_int_equal(pri, LOG_LOCAL3 | LOG_WARNING);
	assert_non_null(strstr(line, "cn-test"));
	assert_non_null(strstr(line, "rule=\"fraud-test\""));
	pri = syslog_find(idc, line, sizeof(line));
	assert_int_equal(pri, LOG_LOCAL3 | LOG_CRIT);

	/* The warning has no mail delivery at all. */
	s = open_store();
	assert_int_equal(store_alert_dlv_get(s, idw, "mail", &d), ENOENT);
	assert_int_equal(store_alert_get(s, idc, &a), 0);
	assert_string_equal(a.subject, "+34911000002  Bcc: evil@example.com");
	store_close(s);
	alert_router_stop(r);
	cfg_free(cfg);
}

/* Same severity+rule+subject: EALREADY; over the rate: EAGAIN + summary. */
static void
dedup_and_rate(void **state)
{
	char id1[ALERT_ID_MAX], id2[ALERT_ID_MAX], id[ALERT_ID_MAX];
	struct alert_stats st;
	struct alert_router *r;
	struct alert_rec a;
	struct store *s;
	struct cfg *cfg;
	struct seen sn;
	int64_t start = wall_ms(), end;
	bool summary = false;
	unsigned i;

	(void)state;
	cfg = conf("dedup = \"10m\"; rate = { max = 3; per = \"1s\"; };");
	r = router(cfg);
	assert_int_equal(
	    alert_raise(r, ALERT_WARNING, "r1", "s1", "t", id1), 0);
	assert_int_equal(
	    alert_raise(r, ALERT_WARNING, "r1", "s1", "other text", id2),
	    EALREADY);
	assert_string_equal(id1, id2);
	assert_int_equal(
	    alert_raise(r, ALERT_WARNING, "r1", "s1", NULL, id2), EALREADY);
	/* Another severity or subject is another alert. */
	assert_int_equal(
	    alert_raise(r, ALERT_CRITICAL, "r1", "s1", NULL, id), 0);
	assert_int_equal(
	    alert_raise(r, ALERT_WARNING, "r1", "s2", NULL, id), 0);
	assert_int_equal(
	    alert_raise(r, ALERT_CRITICAL, "r2", "s3", NULL, id), EAGAIN);
	assert_string_equal(id, "");
	assert_int_equal(
	    alert_raise(r, ALERT_INFO, "r2", "s4", NULL, id), EAGAIN);
	assert_int_equal(alert_raise(r, 7, "r2", "s4", NULL, id), EINVAL);
	assert_int_equal(
	    alert_raise(r, ALERT_INFO, "", "s4", NULL, id), EINVAL);
	assert_int_equal(alert_router_sync(r, 5000), 0);
	alert_router_stats(r, &st);
	assert_true(st.raised == 3 && st.duplicates == 2 && st.limited == 2);
	/* The window ends: one summary, critical (the worst suppressed). */
	end = tproc_now_ms() + 5000;
	s = open_store();
	while (!summary && tproc_now_ms() < end) {
		memset(&sn, 0, sizeof(sn));
		assert_int_equal(store_alert_each(s, start, INT64_MAX, 0, 0,
				     seen_alert, &sn),
		    0);
		for (i = 0; i < sn.n; i++) {
			assert_int_equal(store_alert_get(s, sn.ids[i], &a), 0);
			if (strcmp(a.rule, "alert-rate-limit") == 0) {
				summary = true;
				assert_string_equal(
				    a.subject, "2 alerts suppressed");
				assert_int_equal(a.severity, ALERT_CRITICAL);
				assert_non_null(strstr(
				    a.text, "1 critical, 0 warning, 1 info"));
			}
		}
		if (!summary)
			tproc_sleep_ms(50);
	}
	assert_true(summary);
	assert_int_equal(sn.n, 4);
	/* The two duplicates are counted on the original. */
	end = tproc_now_ms() + 5000;
	do {
		assert_int_equal(store_alert_get(s, id1, &a), 0);
		if (a.repeats != 2)
			tproc_sleep_ms(50);
	} while (a.repeats != 2 && tproc_now_ms() < end);
	assert_true(a.repeats == 2);
	store_close(s);
	/* After the window the rate allows alerts again. */
	assert_int_equal(alert_raise(r, ALERT_INFO, "r3", "s5", NULL, id), 0);
	alert_router_stop(r);
	cfg_free(cfg);
}

/* The receiver answers 500 twice, then 200: delivered once, 3 attempts. */
static void
retry_until_delivered(void **state)
{
	char id[ALERT_ID_MAX];
	struct alert_router *r;
	struct alert_dlv d;
	struct cfg *cfg;
	json_t *j;

	(void)state;
	j = hook_get("/fail/2");
	json_decref(j);
	cfg = conf("retry_base = \"50ms\"; retry_max = \"200ms\"; "
		   "channels = ( %s );",
	    hook_chan("hook", "info", fx.hook.port));
	r = router(cfg);
	assert_int_equal(
	    alert_raise(r, ALERT_CRITICAL, "retry", "x", "text", id), 0);
	assert_true(wait_dlv(id, "hook", "done", 3, &d));
	assert_int_equal(d.attempts, 3);
	assert_string_equal(d.last_error, "");
	assert_int_equal(hook_posts(id, 500, NULL), 2);
	assert_int_equal(hook_posts(id, 200, NULL), 1);
	/* Nothing more comes. */
	tproc_sleep_ms(400);
	assert_int_equal(hook_posts(id, 0, NULL), 3);
	alert_router_stop(r);
	cfg_free(cfg);
}

/*
 * The receiver is down; the router retries, then stops. A new router
 * on the same store delivers once the receiver is back.
 */
static void
restart_delivers_pending(void **state)
{
	char id[ALERT_ID_MAX];
	struct alert_router *r;
	struct alert_dlv d;
	struct cfg *cfg;
	int port = free_port();

	(void)state;
	assert_true(port > 0);
	cfg = conf("retry_base = \"50ms\"; retry_max = \"100ms\"; "
		   "channels = ( %s );",
	    hook_chan("hook", "info", port));
	r = router(cfg);
	assert_int_equal(
	    alert_raise(r, ALERT_WARNING, "down", "y", "text", id), 0);
	assert_true(wait_dlv(id, "hook", "pending", 2, &d));
	assert_non_null(strstr(d.last_error, "onnect"));
	alert_router_stop(r);

	/* Our receiver, on the port that was dead. */
	srv_stop(&fx.hook);
	assert_int_equal(start_hook(port), 0);
	r = router(cfg);
	assert_true(wait_dlv(id, "hook", "done", 3, &d));
	assert_string_equal(d.last_error, "");
	assert_int_equal(hook_posts(id, 200, NULL), 1);
	alert_router_stop(r);
	cfg_free(cfg);
	/* Back to a receiver on a port of its own choosing. */
	srv_stop(&fx.hook);
	assert_int_equal(start_hook(0), 0);
}

/* A stop writes what was queued; deliveries wait for the next start. */
static void
stop_writes_queue(void **state)
{
	char ids[20][ALERT_ID_MAX], subj[16];
	struct alert_router *r;
	struct alert_rec a;
	struct alert_dlv d;
	struct store *s;
	struct cfg *cfg;
	int i, dead = free_port();

	(void)state;
	cfg = conf("channels = ( %s );", hook_chan("hook", "info", dead));
	r = router(cfg);
	for (i = 0; i < 20; i++) {
		snprintf(subj, sizeof(subj), "s%d", i);
		assert_int_equal(
		    alert_raise(r, ALERT_INFO, "burst", subj, NULL, ids[i]), 0);
	}
	alert_router_stop(r);
	s = open_store();
	for (i = 0; i < 20; i++) {
		assert_int_equal(store_alert_get(s, ids[i], &a), 0);
		assert_int_equal(store_alert_dlv_get(s, ids[i], "hook", &d), 0);
		assert_string_equal(d.state, "pending");
	}
	store_close(s);
	cfg_free(cfg);
}

/* Past max_age a delivery is given up: failed, with the last error. */
static void
max_age_fails(void **state)
{
	char id[ALERT_ID_MAX];
	struct alert_router *r;
	struct alert_stats st;
	struct alert_dlv d;
	struct cfg *cfg;

	(void)state;
	cfg = conf("retry_base = \"100ms\"; retry_max = \"200ms\"; "
		   "max_age = \"1s\"; keep = \"0\"; channels = ( %s );",
	    hook_chan("hook", "info", free_port()));
	r = router(cfg);
	assert_int_equal(alert_raise(r, ALERT_INFO, "old", "z", NULL, id), 0);
	assert_true(wait_dlv(id, "hook", "failed", 2, &d));
	assert_non_null(strstr(d.last_error, "onnect"));
	alert_router_stats(r, &st);
	assert_true(st.failed == 1 && st.retried >= 1 && st.delivered == 0);
	alert_router_stop(r);
	cfg_free(cfg);
}

/* A missing secret stops the start, with the variable's name. */
static void
start_needs_secret(void **state)
{
	struct alert_router *r = (struct alert_router *)0x1;
	struct cfg *cfg;
	char err[256];

	(void)state;
	cfg = conf("channels = ( { name = \"h\"; type = \"webhook\"; url = "
		   "\"http://127.0.0.1:9/\"; secret_env = "
		   "\"CENTINELA_TEST_UNSET_VAR\"; } );");
	unsetenv("CENTINELA_TEST_UNSET_VAR");
	assert_int_equal(alert_router_start(&r, cfg, err, sizeof(err)), EINVAL);
	assert_true(r == (struct alert_router *)0x1);
	assert_non_null(strstr(err, "CENTINELA_TEST_UNSET_VAR"));
	cfg_free(cfg);
}

/* The signing key from a file (trailing newline dropped); an empty one. */
static void
secret_from_file(void **state)
{
	char path[320], id[ALERT_ID_MAX], err[256];
	struct alert_router *r = NULL;
	struct alert_dlv d;
	struct cfg *cfg;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/secret%d", fx.dir, ++fx.n);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", SECRET);
	fclose(f);
	cfg = conf("channels = ( { name = \"hook\"; type = \"webhook\"; "
		   "url = \"http://127.0.0.1:%d/\"; secret_file = \"%s\"; } );",
	    fx.hook.port, path);
	r = router(cfg);
	assert_int_equal(
	    alert_raise(r, ALERT_INFO, "file-key", "k", NULL, id), 0);
	assert_true(wait_dlv(id, "hook", "done", 1, &d));
	assert_int_equal(hook_posts(id, 200, NULL), 1);
	alert_router_stop(r);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	r = NULL;
	assert_int_equal(alert_router_start(&r, cfg, err, sizeof(err)), EINVAL);
	assert_null(r);
	assert_non_null(strstr(err, "secret_file"));
	assert_non_null(strstr(err, "empty"));
	cfg_free(cfg);
}

/* The PostgreSQL store under the router: a delivery and a restart. */
static void
route_on_pg(void **state)
{
	char id[ALERT_ID_MAX];
	struct alert_router *r;
	struct alert_dlv d;
	struct cfg *cfg;

	(void)state;
	cfg = conf(
	    "channels = ( %s );", hook_chan("hook", "warning", fx.hook.port));
	r = router(cfg);
	assert_int_equal(
	    alert_raise(r, ALERT_CRITICAL, "pg", "on postgres", "t", id), 0);
	assert_true(wait_dlv(id, "hook", "done", 1, &d));
	assert_int_equal(hook_posts(id, 200, NULL), 1);
	alert_router_stop(r);
	/* The same store again: nothing pending, nothing re-sent. */
	r = router(cfg);
	tproc_sleep_ms(300);
	alert_router_stop(r);
	assert_int_equal(hook_posts(id, 0, NULL), 1);
	cfg_free(cfg);
}

/*
 * PostgreSQL goes away: alerts wait in memory (sync times out), the
 * router reconnects when it is back and delivers them.
 */
static void
store_outage_pg(void **state)
{
	char id[ALERT_ID_MAX];
	struct alert_router *r;
	struct alert_stats st;
	struct alert_dlv d;
	struct cfg *cfg;

	(void)state;
	cfg =
	    conf("channels = ( %s );", hook_chan("hook", "info", fx.hook.port));
	r = router(cfg);
	pg_down();
	assert_int_equal(
	    alert_raise(r, ALERT_CRITICAL, "outage", "pg down", NULL, id), 0);
	assert_int_equal(alert_router_sync(r, 1500), ETIMEDOUT);
	alert_router_stats(r, &st);
	assert_true(st.store_errors >= 1);
	assert_int_equal(hook_posts(id, 0, NULL), 0);
	assert_int_equal(pg_up(), 0);
	assert_int_equal(alert_router_sync(r, WAIT_MS), 0);
	assert_true(wait_dlv(id, "hook", "done", 1, &d));
	assert_int_equal(hook_posts(id, 200, NULL), 1);
	alert_router_stop(r);
	cfg_free(cfg);
}

/*
 * A pending delivery to a channel this router does not have (another
 * router's configuration) is put off, not attempted nor failed.
 */
static void
foreign_channel_snoozed(void **state)
{
	struct alert_router *r;
	struct alert_rec a;
	struct alert_dlv d;
	struct store *s;
	struct cfg *cfg;
	int64_t now = wall_ms();

	(void)state;
	s = open_store();
	sample_alert(&a, "al-foreign", now, 1);
	sample_dlv(&d, "al-foreign", "elsewhere", "pending", now);
	assert_int_equal(store_alert_add(s, &a, &d, 1), 0);
	store_close(s);
	cfg =
	    conf("channels = ( %s );", hook_chan("hook", "info", fx.hook.port));
	r = router(cfg);
	assert_true(wait_dlv("al-foreign", "elsewhere", "pending", 0, &d));
	{
		int64_t end = tproc_now_ms() + WAIT_MS;

		while (!strstr(d.last_error, "no channel") &&
		    tproc_now_ms() < end) {
			tproc_sleep_ms(20);
			assert_true(wait_dlv(
			    "al-foreign", "elsewhere", "pending", 0, &d));
		}
	}
	assert_non_null(strstr(d.last_error, "no channel \"elsewhere\""));
	assert_int_equal(d.attempts, 0);
	assert_true(d.next_try > now + 60000);
	alert_router_stop(r);
	cfg_free(cfg);
}

/* ---- main ----------------------------------------------------------------------- */

static void
cleanup(void)
{
	srv_stop(&fx.hook);
	srv_stop(&fx.smtp);
	pg_stop();
	if (fx.log_thr_up) {
		fx.log_stop = true;
		pthread_join(fx.log_thr, NULL);
	}
	if (fx.logfd >= 0)
		close(fx.logfd);
	if (fx.log_created)
		unlink("/dev/log");
	rm_tree(fx.dir);
}

int
main(void)
{
	const struct CMUnitTest cfg_tests[] = {
		cmocka_unit_test(cfg_default_has_no_channel),
		cmocka_unit_test(cfg_full_section),
		cmocka_unit_test(cfg_errors),
	};
	const struct CMUnitTest store_tests[] = {
		cmocka_unit_test_setup(store_alert_rows, store_setup),
		cmocka_unit_test_setup(store_alert_due_claim, store_setup),
		cmocka_unit_test_setup(store_migrate_v3, store_setup),
	};
	const struct CMUnitTest router_tests[] = {
		cmocka_unit_test_setup(route_by_severity, router_setup),
		cmocka_unit_test_setup(dedup_and_rate, router_setup),
		cmocka_unit_test_setup(retry_until_delivered, router_setup),
		cmocka_unit_test_setup(restart_delivers_pending, router_setup),
		cmocka_unit_test_setup(stop_writes_queue, router_setup),
		cmocka_unit_test_setup(max_age_fails, router_setup),
		cmocka_unit_test_setup(start_needs_secret, router_setup),
		cmocka_unit_test_setup(secret_from_file, router_setup),
		cmocka_unit_test_setup(foreign_channel_snoozed, router_setup),
		cmocka_unit_test_setup(route_on_pg, router_pg_setup),
		cmocka_unit_test_setup(store_outage_pg, router_pg_setup),
	};
	const char *tmp = getenv("TMPDIR");
	int fails = 0;

	snprintf(fx.dir, sizeof(fx.dir), "%s/centinela-alert-XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fx.dir)) {
		perror("mkdtemp");
		return 1;
	}
	/* Our output piped into head(1) must not skip the cleanup. */
	signal(SIGPIPE, SIG_IGN);
	/* Before any thread: the mount namespace needs a lone thread. */
	if (syslog_capture() != 0) {
		cleanup();
		return 1;
	}
	if (pthread_create(&fx.log_thr, NULL, syslog_drain, NULL) != 0) {
		cleanup();
		return 1;
	}
	fx.log_thr_up = true;
	setenv(SECRET_ENV, SECRET, 1);
	setenv(SMTP_AUTH_ENV, "alert-user:alert-pass w0rd", 1);
	setenv(SMTP_USER_ENV, "alert-user", 1);
	setenv(SMTP_PASS_ENV, "alert-pass w0rd", 1);
	log_setup(LOGF_HUMAN, LOGL_ERROR, 2);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(fx.maildir, sizeof(fx.maildir), "%s/mail", fx.dir);
	mkdir(fx.maildir, 0700);
	{
		char *sargv[] = { "python3", "tests/tools/smtp_rx.py",
			fx.maildir, "--auth-env", SMTP_AUTH_ENV, NULL };

		if (start_hook(0) != 0 ||
		    srv_start(&fx.smtp, sargv, "smtp_rx") != 0 ||
		    pg_start() != 0) {
			cleanup();
			return 1;
		}
	}
	fails += cmocka_run_group_tests_name(
	    "alerts config", cfg_tests, group_sqlite, NULL);
	fails += cmocka_run_group_tests_name(
	    "alerts store on SQLite", store_tests, group_sqlite, NULL);
	fails += cmocka_run_group_tests_name(
	    "alerts store on PostgreSQL", store_tests, group_pg, NULL);
	fails += cmocka_run_group_tests_name(
	    "alert router", router_tests, NULL, NULL);
	cleanup();
	curl_global_cleanup();
	return fails ? 1 : 0;
}

/*
 * tests/unit/test_callerid_robinson.c -- the Lista Robinson HTTP lookup
 * against a fake API (tests/tools/robinson_httpd.py) that the
 * test starts on 127.0.0.1 and stops by its PID: answers, the cache,
 * shared lookups and batches, every kind of failure, cancel, the AWS
 * SigV4 signature (checked by the server), the official hash vectors.
 *
 * The event loop runs once per struct loop (loop_stop is final), so
 * each test makes its own loop and stops it when the expected
 * callbacks came, or by a timer in any case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "callerid/number.h"
#include "callerid/robinson.h"
#include "core/cfg.h"
#include "core/log.h"
#include "core/loop.h"
#include "tproc.h"

#define WAIT_MS 5000 /* every loop run is stopped by a timer */
#define D_2026_11_21 1795219200

/* The official vectors (adigital-org/slr-client SLRUtils.test.js). */
static const char vec_call[] =
    "9a0d14c71b6bb4b50fd4a9efc0536de8c7198f4bebdadcc4e7ee32731fb75c15";
static const char vec_sms[] =
    "ea48b0f337aded1ab2d7fb495b075883b91319a0c8c5b88d5be9d28c95663ac4";

#define KEY_ID "AKIDCENTINELATEST"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

struct srv {
	pid_t pid;
	int out;
	char base[64];
};

static struct srv plain = { -1, -1, "" }; /* lists vec_call, hx(1) */
static struct srv authd = { -1, -1, "" }; /* the same, SigV4 required */
static uint16_t dead_port; /* nothing listens there */

/* ---- helpers ----------------------------------------------------------- */

/* A fake hash: i as 64 hex digits. */
static const char *
hx(unsigned i)
{
	static char buf[8][65];
	static unsigned n;
	char *b = buf[n++ % 8];

	snprintf(b, 65, "%064x", i);
	return b;
}

static int
srv_start(struct srv *s, char *const argv[])
{
	long port;

	s->pid = tproc_spawn(
	    argv, &s->out, &(struct tproc_opts){ .stderr_pipe = true });
	if (s->pid < 0)
		return -1;
	port = tproc_read_port(s->out, 5000);
	if (port <= 0 || port > 65535) {
		tproc_reap(s->pid, 2000, true);
		s->pid = -1;
		return -1;
	}
	snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%ld", port);
	return 0;
}

static void
srv_stop(struct srv *s)
{
	tproc_reap(s->pid, 2000, true);
	s->pid = -1;
	if (s->out >= 0)
		close(s->out);
	s->out = -1;
}

/* A port free on 127.0.0.1 right now. */
static uint16_t
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port = 0;

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
group_setup(void **state)
{
	static char vc[65], h1[65];
	char *pargv[] = { "python3", "tests/tools/robinson_httpd.py", vc, h1,
		NULL };
	char *aargv[] = { "python3", "tests/tools/robinson_httpd.py", "--key",
		KEY_ID, "--secret", SECRET, vc, NULL };

	snprintf(vc, sizeof(vc), "%s", vec_call);
	snprintf(h1, sizeof(h1), "%s", hx(1));

	log_setup(LOGF_HUMAN, LOGL_ERROR, 2);
	if (srv_start(&plain, pargv) || srv_start(&authd, aargv))
		return -1;
	dead_port = free_port();
	return dead_port ? 0 : -1;
}

static int
group_teardown(void **state)
{
	srv_stop(&plain);
	srv_stop(&authd);
	return 0;
}

struct body {
	char buf[64 * 1024];
	size_t len;
};

static size_t
body_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;

	if (n >= sizeof(b->buf) - b->len)
		return 0;
	memcpy(b->buf + b->len, data, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

/* GET base + path from the fake API (blocking: test side only). */
static void
srv_get(const struct srv *s, const char *path, struct body *b)
{
	char url[128];
	CURL *c = curl_easy_init();
	long code = 0;

	assert_non_null(c);
	b->len = 0;
	b->buf[0] = '\0';
	snprintf(url, sizeof(url), "%s%s", s->base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	assert_int_equal(code, 200);
	curl_easy_cleanup(c);
}

/* How many POSTs the server has had. */
static unsigned
srv_count(const struct srv *s)
{
	static struct body b;

	srv_get(s, "/count", &b);
	return (unsigned)strtoul(b.buf, NULL, 10);
}

/* The body of POST number "i" (0-based) into out. */
static void
srv_post_body(const struct srv *s, unsigned i, char *out, size_t cap)
{
	static struct body b;
	const char *p;
	size_t n;

	srv_get(s, "/log", &b);
	p = b.buf;
	while (i-- > 0) {
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
	n = strcspn(p, "\n");
	assert_true(n < cap);
	memcpy(out, p, n);
	out[n] = '\0';
}

/* Hashes in a comma-separated body. */
static unsigned
body_hashes(const char *body)
{
	unsigned n = *body ? 1 : 0;

	for (; *body; body++)
		if (*body == ',')
			n++;
	return n;
}

struct run {
	struct loop *l;
	struct robinson *r;
	struct loop_timer stop;
	int left; /* callbacks still expected */
};

struct call {
	struct run *run;
	int calls;
	enum cid_robinson out;
	uint64_t at; /* loop_clock_ms() of the answer */
};

static void
on_done(enum cid_robinson out, void *arg)
{
	struct call *c = arg;

	c->calls++;
	c->out = out;
	c->at = loop_clock_ms();
	if (--c->run->left <= 0)
		loop_stop(c->run->l);
}

static void
on_stop(void *arg)
{
	loop_stop(arg);
}

static void
cfg_make(struct cfg_callerid *c, const struct srv *s, const char *path,
    unsigned timeout, unsigned cache)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->robinson_url, sizeof(c->robinson_url), "%s%s",
	    s ? s->base : "", path);
	c->robinson_timeout = timeout;
	c->robinson_cache = cache;
}

/* Options without credentials (whatever the environment says). */
static struct robinson_opts
opts_plain(void)
{
	struct robinson_opts o;

	robinson_opts_default(&o);
	o.key_id = o.secret = NULL;
	return o;
}

static void
run_open(struct run *run, const struct srv *s, const char *path,
    unsigned timeout, unsigned cache, const struct robinson_opts *o)
{
	struct robinson_opts def = opts_plain();
	struct cfg_callerid c;

	memset(run, 0, sizeof(*run));
	cfg_make(&c, s, path, timeout, cache);
	assert_int_equal(loop_alloc(&run->l), 0);
	assert_int_equal(robinson_alloc(&run->r, run->l, &c, o ? o : &def), 0);
}

/* Run the loop until "left" callbacks came or "ms" passed. */
static void
run_loop(struct run *run, unsigned ms)
{
	assert_int_equal(
	    loop_timer_start(run->l, &run->stop, ms, on_stop, run->l), 0);
	assert_int_equal(loop_run(run->l), 0);
	loop_timer_cancel(run->l, &run->stop);
}

static void
run_close(struct run *run)
{
	robinson_free(run->r);
	loop_free(run->l);
}

/* Start a lookup that must wait; its callback counts in run->left. */
static void
check_pending(struct run *run, const char *hash, struct call *c)
{
	enum cid_robinson out = CID_ROB_UNCHECKED;

	memset(c, 0, sizeof(*c));
	c->run = run;
	assert_false(robinson_check(run->r, hash, &out, on_done, c));
	run->left++;
}

/* A check that must be answered now; no callback may follow. */
static enum cid_robinson
check_now(struct run *run, const char *hash)
{
	enum cid_robinson out = CID_ROB_UNCHECKED;
	struct call c = { .run = run };

	assert_true(robinson_check(run->r, hash, &out, on_done, &c));
	assert_int_equal(c.calls, 0);
	return out;
}

/* ---- answers ------------------------------------------------------------ */

/* the official vectors, then the call hash looked up: listed. */
static void
test_vectors_listed(void **state)
{
	struct numplan *plan;
	struct number n;
	struct run run;
	struct call cc, cs;
	char h[65], hs[65], body[256], want[256];
	unsigned n0 = srv_count(&plain);

	assert_int_equal(numplan_load(&plan, NULL, stderr), 0);
	assert_int_equal(
	    number_parse(plan, STR("345678890"), true, D_2026_11_21, &n), 0);
	number_robinson_hash(&n, "04", h);
	assert_string_equal(h, vec_call);
	number_robinson_hash(&n, "03", hs);
	assert_string_equal(hs, vec_sms);
	numplan_free(plan);

	run_open(&run, &plain, "/v1/api/user", 2000, 60, NULL);
	check_pending(&run, h, &cc);
	check_pending(&run, hs, &cs);
	run_loop(&run, WAIT_MS);
	assert_int_equal(cc.calls, 1);
	assert_int_equal(cc.out, CID_ROB_LISTED);
	assert_int_equal(cs.calls, 1);
	assert_int_equal(cs.out, CID_ROB_CLEAR);

	/* One request, the body exactly the hashes in check order. */
	assert_int_equal(srv_count(&plain), n0 + 1);
	srv_post_body(&plain, n0, body, sizeof(body));
	snprintf(want, sizeof(want), "%s,%s", vec_call, vec_sms);
	assert_string_equal(body, want);
	run_close(&run);
}

static void
test_cache(void **state)
{
	struct robinson_stats st;
	struct run run;
	struct call c1, c2;
	char upper[65];
	unsigned i, n0 = srv_count(&plain);

	run_open(&run, &plain, "/v1/api/user", 2000, 60, NULL);
	check_pending(&run, vec_call, &c1);
	check_pending(&run, hx(2), &c2);
	run_loop(&run, WAIT_MS);
	assert_int_equal(c1.out, CID_ROB_LISTED);
	assert_int_equal(c2.out, CID_ROB_CLEAR);
	assert_int_equal(srv_count(&plain), n0 + 1);

	/* Answered now, no new request; any case is the same hash. */
	assert_int_equal(check_now(&run, vec_call), CID_ROB_LISTED);
	assert_int_equal(check_now(&run, hx(2)), CID_ROB_CLEAR);
	snprintf(upper, sizeof(upper), "%s", vec_call);
	for (i = 0; upper[i]; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	assert_string_not_equal(upper, vec_call);
	assert_int_equal(check_now(&run, upper), CID_ROB_LISTED);
	assert_int_equal(srv_count(&plain), n0 + 1);

	robinson_stats(run.r, &st);
	assert_int_equal(st.checks, 5);
	assert_int_equal(st.hits, 3);
	assert_int_equal(st.queries, 2);
	assert_int_equal(st.requests, 1);
	assert_int_equal(st.listed, 1);
	assert_int_equal(st.failed, 0);
	run_close(&run);
}

/* Concurrent checks of one hash share one lookup. */
static void
test_share(void **state)
{
	struct robinson_stats st;
	struct run run;
	struct call a[4], b[2];
	char body[256], want[256];
	unsigned i, n0 = srv_count(&plain);

	run_open(&run, &plain, "/v1/api/user", 2000, 60, NULL);
	for (i = 0; i < 4; i++)
		check_pending(&run, vec_call, &a[i]);
	for (i = 0; i < 2; i++)
		check_pending(&run, hx(7), &b[i]);
	run_loop(&run, WAIT_MS);
	for (i = 0; i < 4; i++) {
		assert_int_equal(a[i].calls, 1);
		assert_int_equal(a[i].out, CID_ROB_LISTED);
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(b[i].calls, 1);
		assert_int_equal(b[i].out, CID_ROB_CLEAR);
	}
	assert_int_equal(srv_count(&plain), n0 + 1);
	srv_post_body(&plain, n0, body, sizeof(body));
	snprintf(want, sizeof(want), "%s,%s", vec_call, hx(7));
	assert_string_equal(body, want);
	robinson_stats(run.r, &st);
	assert_int_equal(st.checks, 6);
	assert_int_equal(st.queries, 2);
	assert_int_equal(st.requests, 1);
	assert_int_equal(st.listed, 1);
	run_close(&run);
}

/* 45 hashes at once: requests of 20, 20 and 5. */
static void
test_batches(void **state)
{
	struct robinson_stats st;
	struct run run;
	struct call c[45];
	char body[4096];
	unsigned i, sizes[3], n0 = srv_count(&plain), big = 0, small = 0;

	run_open(&run, &plain, "/v1/api/user", 3000, 60, NULL);
	for (i = 0; i < 45; i++)
		check_pending(&run, hx(100 + i), &c[i]);
	run_loop(&run, WAIT_MS);
	for (i = 0; i < 45; i++) {
		assert_int_equal(c[i].calls, 1);
		assert_int_equal(c[i].out, CID_ROB_CLEAR);
	}
	assert_int_equal(srv_count(&plain), n0 + 3);
	for (i = 0; i < 3; i++) {
		srv_post_body(&plain, n0 + i, body, sizeof(body));
		sizes[i] = body_hashes(body);
		if (sizes[i] == 20)
			big++;
		else if (sizes[i] == 5)
			small++;
	}
	assert_int_equal(big, 2);
	assert_int_equal(small, 1);
	robinson_stats(run.r, &st);
	assert_int_equal(st.queries, 45);
	assert_int_equal(st.requests, 3);
	run_close(&run);
}

/* ---- failures ----------------------------------------------------------- */

struct refail {
	struct call c[2];
	int n;
};

/* A failure is not cached: checking again from the callback waits. */
static void
on_fail_recheck(enum cid_robinson out, void *arg)
{
	struct refail *f = arg;
	struct run *run = f->c[0].run;
	enum cid_robinson now = CID_ROB_UNCHECKED;

	f->c[f->n].calls++;
	f->c[f->n].out = out;
	f->n++;
	if (f->n == 1) {
		assert_false(
		    robinson_check(run->r, hx(1), &now, on_fail_recheck, f));
		return;
	}
	loop_stop(run->l);
}

static void
fail_mode(const char *path)
{
	struct robinson_stats st;
	struct refail f;
	struct run run;
	enum cid_robinson out = CID_ROB_UNCHECKED;
	unsigned n0 = srv_count(&plain);

	memset(&f, 0, sizeof(f));
	run_open(&run, &plain, path, 2000, 60, NULL);
	f.c[0].run = &run;
	assert_false(robinson_check(run.r, hx(1), &out, on_fail_recheck, &f));
	run_loop(&run, WAIT_MS);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.c[0].out, CID_ROB_FAILED);
	assert_int_equal(f.c[1].out, CID_ROB_FAILED);
	assert_int_equal(srv_count(&plain), n0 + 2);
	robinson_stats(run.r, &st);
	assert_int_equal(st.requests, 2);
	assert_int_equal(st.failed, 2);
	assert_int_equal(st.listed, 0);
	run_close(&run);
}

static void
test_fail_500(void **state)
{
	fail_mode("/mode/500/v1/api/user");
}

static void
test_fail_bad_json(void **state)
{
	fail_mode("/mode/badjson/v1/api/user");
}

static void
test_fail_not_object(void **state)
{
	fail_mode("/mode/notobject/v1/api/user");
}

/* Only the first hash answered: the others fail, the first counts. */
static void
test_fail_missing_hash(void **state)
{
	struct robinson_stats st;
	struct run run;
	struct call c1, c2, c3;

	run_open(&run, &plain, "/mode/partial/v1/api/user", 2000, 60, NULL);
	check_pending(&run, hx(1), &c1);
	check_pending(&run, hx(2), &c2);
	check_pending(&run, hx(3), &c3);
	run_loop(&run, WAIT_MS);
	assert_int_equal(c1.out, CID_ROB_LISTED);
	assert_int_equal(c2.calls, 1);
	assert_int_equal(c2.out, CID_ROB_FAILED);
	assert_int_equal(c3.out, CID_ROB_FAILED);
	/* The answer is cached, the failures are not. */
	assert_int_equal(check_now(&run, hx(1)), CID_ROB_LISTED);
	assert_false(robinson_check(run.r, hx(2), &c2.out, NULL, NULL));
	robinson_stats(run.r, &st);
	assert_int_equal(st.failed, 2);
	assert_int_equal(st.listed, 1);
	run_close(&run);
}

/* The server never answers: FAILED after robinson_timeout. */
static void
test_fail_timeout(void **state)
{
	struct run run;
	struct call c;
	uint64_t t0;

	run_open(&run, &plain, "/mode/hang/v1/api/user", 300, 60, NULL);
	t0 = loop_clock_ms();
	check_pending(&run, hx(1), &c);
	run_loop(&run, WAIT_MS);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.out, CID_ROB_FAILED);
	assert_true(c.at - t0 >= 280);
	assert_true(c.at - t0 < 2000);
	run_close(&run);
}

static void
test_fail_refused(void **state)
{
	struct robinson_stats st;
	struct cfg_callerid cfg;
	struct robinson_opts o = opts_plain();
	struct run run;
	struct call c;
	uint64_t t0;

	memset(&run, 0, sizeof(run));
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.robinson_url, sizeof(cfg.robinson_url),
	    "http://127.0.0.1:%u/v1/api/user", dead_port);
	cfg.robinson_timeout = 3000;
	cfg.robinson_cache = 60;
	assert_int_equal(loop_alloc(&run.l), 0);
	assert_int_equal(robinson_alloc(&run.r, run.l, &cfg, &o), 0);
	t0 = loop_clock_ms();
	check_pending(&run, hx(1), &c);
	run_loop(&run, WAIT_MS);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.out, CID_ROB_FAILED);
	assert_true(c.at - t0 < 2000); /* refused, not timed out */
	robinson_stats(run.r, &st);
	assert_int_equal(st.failed, 1);
	run_close(&run);
}

/* ---- cancel -------------------------------------------------------------- */

struct canceller {
	struct call c;
	void *victim;
};

static void
on_done_cancel(enum cid_robinson out, void *arg)
{
	struct canceller *k = arg;

	k->c.calls++;
	k->c.out = out;
	robinson_cancel(k->c.run->r, k->victim);
	if (--k->c.run->left <= 0)
		loop_stop(k->c.run->l);
}

static void
test_cancel(void **state)
{
	struct run run;
	struct call a1, b1, a3;
	struct canceller k;
	enum cid_robinson out;

	run_open(&run, &plain, "/v1/api/user", 2000, 60, NULL);
	/* a1 waits for both hashes. */
	check_pending(&run, hx(1), &a1);
	assert_false(robinson_check(run.r, hx(2), &out, on_done, &a1));
	/* k's callback comes before a3's and cancels it (ready list). */
	memset(&k, 0, sizeof(k));
	k.c.run = &run;
	k.victim = &a3;
	assert_false(robinson_check(run.r, hx(1), &out, on_done_cancel, &k));
	run.left++;
	check_pending(&run, hx(1), &a3);
	check_pending(&run, hx(2), &b1);
	/* Both of a1's waiters go (queued entries); b1's stays. */
	robinson_cancel(run.r, &a1);
	run.left -= 2; /* neither a1 nor a3 will come */
	run_loop(&run, WAIT_MS);
	assert_int_equal(a1.calls, 0);
	assert_int_equal(a3.calls, 0);
	assert_int_equal(k.c.calls, 1);
	assert_int_equal(k.c.out, CID_ROB_LISTED);
	assert_int_equal(b1.calls, 1);
	assert_int_equal(b1.out, CID_ROB_CLEAR);
	/* The lookups went on: both answers are cached. */
	assert_int_equal(check_now(&run, hx(1)), CID_ROB_LISTED);
	assert_int_equal(check_now(&run, hx(2)), CID_ROB_CLEAR);
	run_close(&run);
}

struct midcancel {
	struct run *run;
	struct loop_timer t;
	void *victim;
};

static void
on_midcancel(void *arg)
{
	struct midcancel *m = arg;

	robinson_cancel(m->run->r, m->victim);
	m->run->left--;
}

/* Cancelled while its request runs. */
static void
test_cancel_in_flight(void **state)
{
	struct robinson_stats st;
	struct midcancel m;
	struct run run;
	struct call c1, c2;

	run_open(&run, &plain, "/delay/400/v1/api/user", 2000, 60, NULL);
	check_pending(&run, hx(5), &c1);
	check_pending(&run, hx(5), &c2);
	memset(&m, 0, sizeof(m));
	m.run = &run;
	m.victim = &c1;
	assert_int_equal(
	    loop_timer_start(run.l, &m.t, 150, on_midcancel, &m), 0);
	run_loop(&run, WAIT_MS);
	assert_false(loop_timer_armed(&m.t));
	assert_int_equal(c1.calls, 0);
	assert_int_equal(c2.calls, 1);
	assert_int_equal(c2.out, CID_ROB_CLEAR);
	robinson_stats(run.r, &st);
	assert_int_equal(st.requests, 1);
	run_close(&run);
}

/* Everything cancelled: the loop ends by its timer, nobody called. */
static void
test_cancel_all(void **state)
{
	struct run run;
	struct call c1, c2;

	run_open(&run, &plain, "/v1/api/user", 2000, 60, NULL);
	check_pending(&run, hx(1), &c1);
	check_pending(&run, hx(1), &c2);
	robinson_cancel(run.r, &c1);
	robinson_cancel(run.r, &c2);
	run_loop(&run, 500);
	assert_int_equal(c1.calls, 0);
	assert_int_equal(c2.calls, 0);
	assert_int_equal(check_now(&run, hx(1)), CID_ROB_LISTED);
	run_close(&run);
}

/* ---- SigV4 ---------------------------------------------------------------- */

static void
test_sigv4(void **state)
{
	struct robinson_opts o = opts_plain();
	struct robinson *bad, *none;
	struct cfg_callerid cfg;
	struct run run;
	struct call ok, wrong, anon, many[30];
	struct body b;
	enum cid_robinson out;
	char want[128];
	unsigned i;

	/* Signed with the right secret: the server checks the signature. */
	o.key_id = KEY_ID;
	o.secret = SECRET;
	run_open(&run, &authd, "/v1/api/user", 2000, 60, &o);
	check_pending(&run, vec_call, &ok);
	for (i = 0; i < 30; i++) /* bodies over 1024 bytes too */
		check_pending(&run, hx(200 + i), &many[i]);
	run_loop(&run, WAIT_MS);
	assert_int_equal(ok.calls, 1);
	assert_int_equal(ok.out, CID_ROB_LISTED);
	for (i = 0; i < 30; i++) {
		assert_int_equal(many[i].calls, 1);
		assert_int_equal(many[i].out, CID_ROB_CLEAR);
	}
	srv_get(&authd, "/auth", &b);
	snprintf(want, sizeof(want), "AWS4-HMAC-SHA256 Credential=%s/", KEY_ID);
	assert_int_equal(strncmp(b.buf, want, strlen(want)), 0);
	assert_non_null(strstr(b.buf, "/eu-west-1/execute-api/aws4_request"));
	assert_non_null(strstr(b.buf, "SignedHeaders="));
	assert_non_null(strstr(b.buf, "Signature="));
	run_close(&run);

	/* A wrong secret and no credentials: 403, so FAILED. */
	cfg_make(&cfg, &authd, "/v1/api/user", 2000, 60);
	memset(&run, 0, sizeof(run));
	assert_int_equal(loop_alloc(&run.l), 0);
	o.secret = "not-the-secret";
	assert_int_equal(robinson_alloc(&bad, run.l, &cfg, &o), 0);
	o = opts_plain();
	assert_int_equal(robinson_alloc(&none, run.l, &cfg, &o), 0);
	run.r = bad;
	check_pending(&run, vec_call, &wrong);
	memset(&anon, 0, sizeof(anon));
	anon.run = &run;
	assert_false(robinson_check(none, vec_call, &out, on_done, &anon));
	run.left++;
	run_loop(&run, WAIT_MS);
	assert_int_equal(wrong.calls, 1);
	assert_int_equal(wrong.out, CID_ROB_FAILED);
	assert_int_equal(anon.calls, 1);
	assert_int_equal(anon.out, CID_ROB_FAILED);
	robinson_free(none);
	run_close(&run);
}

/* Credentials from the environment (robinson_opts_default). */
static void
test_sigv4_env(void **state)
{
	struct robinson_opts o;
	struct cfg_callerid cfg;
	struct run run;
	struct call c;

	unsetenv(ROBINSON_ENV_KEY);
	unsetenv(ROBINSON_ENV_SECRET);
	robinson_opts_default(&o);
	assert_null(o.key_id);
	assert_string_equal(o.region, "eu-west-1");
	assert_string_equal(o.service, "execute-api");
	assert_int_equal(o.batch_max, 20);
	assert_int_equal(o.inflight_max, 64);
	assert_int_equal(o.cache_max, 100000);
	/* A key without a secret is not used. */
	setenv(ROBINSON_ENV_KEY, KEY_ID, 1);
	robinson_opts_default(&o);
	assert_null(o.key_id);
	setenv(ROBINSON_ENV_SECRET, SECRET, 1);
	robinson_opts_default(&o);
	assert_string_equal(o.key_id, KEY_ID);
	assert_string_equal(o.secret, SECRET);

	/* NULL opts: the environment's credentials sign the request. */
	memset(&run, 0, sizeof(run));
	cfg_make(&cfg, &authd, "/v1/api/user", 2000, 60);
	assert_int_equal(loop_alloc(&run.l), 0);
	assert_int_equal(robinson_alloc(&run.r, run.l, &cfg, NULL), 0);
	unsetenv(ROBINSON_ENV_KEY);
	unsetenv(ROBINSON_ENV_SECRET);
	check_pending(&run, vec_call, &c);
	run_loop(&run, WAIT_MS);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.out, CID_ROB_LISTED);
	run_close(&run);
}

/* ---- bounds and lifetimes ----------------------------------------------- */

/* At most inflight_max requests: beyond, FAILED at once. */
static void
test_inflight_bound(void **state)
{
	struct robinson_opts o = opts_plain();
	struct robinson_stats st;
	struct run run;
	struct call c1, c2, c1b;
	enum cid_robinson out = CID_ROB_UNCHECKED;

	o.inflight_max = 2;
	o.batch_max = 1;
	run_open(&run, &plain, "/delay/200/v1/api/user", 2000, 60, &o);
	check_pending(&run, hx(1), &c1);
	check_pending(&run, hx(2), &c2);
	assert_true(robinson_check(run.r, hx(3), &out, on_done, &c1));
	assert_int_equal(out, CID_ROB_FAILED);
	/* Joining a running lookup needs no new request. */
	check_pending(&run, hx(1), &c1b);
	run_loop(&run, WAIT_MS);
	assert_int_equal(c1.calls, 1);
	assert_int_equal(c1.out, CID_ROB_LISTED);
	assert_int_equal(c1b.out, CID_ROB_LISTED);
	assert_int_equal(c2.out, CID_ROB_CLEAR);
	robinson_stats(run.r, &st);
	assert_int_equal(st.requests, 2);
	assert_int_equal(st.failed, 1);
	run_close(&run);
}

/* cache_max answers kept; the oldest goes first. */
static void
test_cache_bound(void **state)
{
	struct robinson_opts o = opts_plain();
	struct run run;
	struct call c[3];
	enum cid_robinson out;
	unsigned i;

	o.cache_max = 2;
	run_open(&run, &plain, "/v1/api/user", 2000, 60, &o);
	for (i = 0; i < 3; i++)
		check_pending(&run, hx(11 + i), &c[i]);
	run_loop(&run, WAIT_MS);
	for (i = 0; i < 3; i++)
		assert_int_equal(c[i].out, CID_ROB_CLEAR);
	assert_false(robinson_check(run.r, hx(11), &out, NULL, NULL));
	assert_int_equal(check_now(&run, hx(12)), CID_ROB_CLEAR);
	assert_int_equal(check_now(&run, hx(13)), CID_ROB_CLEAR);
	run_close(&run);
}

struct expiry {
	struct run *run;
	struct loop_timer t;
	struct call first, again;
	bool cached_at_once;
};

static void
on_expiry_timer(void *arg)
{
	struct expiry *x = arg;

	/* 1.1 s later: expired, a new lookup. */
	check_pending(x->run, hx(1), &x->again);
}

static void
on_expiry_first(enum cid_robinson out, void *arg)
{
	struct expiry *x = arg;
	enum cid_robinson now = CID_ROB_UNCHECKED;

	x->first.calls++;
	x->first.out = out;
	x->cached_at_once =
	    robinson_check(x->run->r, hx(1), &now, NULL, NULL) &&
	    now == CID_ROB_LISTED;
	assert_int_equal(
	    loop_timer_start(x->run->l, &x->t, 1100, on_expiry_timer, x), 0);
}

/* robinson_cache seconds, then the answer is asked again. */
static void
test_cache_expiry(void **state)
{
	struct run run;
	struct expiry x;
	enum cid_robinson out;

	memset(&x, 0, sizeof(x));
	run_open(&run, &plain, "/v1/api/user", 2000, 1, NULL);
	x.run = &run;
	assert_false(robinson_check(run.r, hx(1), &out, on_expiry_first, &x));
	run_loop(&run, WAIT_MS);
	assert_int_equal(x.first.calls, 1);
	assert_int_equal(x.first.out, CID_ROB_LISTED);
	assert_true(x.cached_at_once);
	assert_int_equal(x.again.calls, 1);
	assert_int_equal(x.again.out, CID_ROB_LISTED);
	run_close(&run);
}

/* robinson_cache = 0: nothing is kept. */
static void
test_no_cache(void **state)
{
	struct run run;
	struct call c;
	enum cid_robinson out;

	run_open(&run, &plain, "/v1/api/user", 2000, 0, NULL);
	check_pending(&run, hx(1), &c);
	run_loop(&run, WAIT_MS);
	assert_int_equal(c.out, CID_ROB_LISTED);
	assert_false(robinson_check(run.r, hx(1), &out, NULL, NULL));
	run_close(&run);
}

/* Freed with a request running and one queued: no callback, no leak. */
static void
test_free_in_flight(void **state)
{
	struct run run;
	struct call c1, c2;

	run_open(&run, &plain, "/mode/hang/v1/api/user", 2000, 60, NULL);
	check_pending(&run, hx(1), &c1);
	run_loop(&run, 300);
	check_pending(&run, hx(2), &c2);
	robinson_free(run.r);
	run.r = NULL;
	assert_int_equal(c1.calls, 0);
	assert_int_equal(c2.calls, 0);
	run_close(&run);
}

static void
test_bad_args(void **state)
{
	struct robinson_opts o = opts_plain(), b;
	struct cfg_callerid cfg;
	struct robinson *r = NULL;
	struct loop *l;
	enum cid_robinson out = CID_ROB_CLEAR;
	char h[80];

	assert_int_equal(loop_alloc(&l), 0);
	cfg_make(&cfg, NULL, "", 1000, 60);
	assert_int_equal(robinson_alloc(&r, l, &cfg, &o), EINVAL);
	cfg_make(&cfg, NULL, "ftp://127.0.0.1/x", 1000, 60);
	assert_int_equal(robinson_alloc(&r, l, &cfg, &o), EINVAL);
	cfg_make(&cfg, &plain, "/v1/api/user", 1000, 60);
	b = o;
	b.batch_max = 0;
	assert_int_equal(robinson_alloc(&r, l, &cfg, &b), EINVAL);
	b.batch_max = ROBINSON_BATCH_LIMIT + 1;
	assert_int_equal(robinson_alloc(&r, l, &cfg, &b), EINVAL);
	b = o;
	b.inflight_max = 0;
	assert_int_equal(robinson_alloc(&r, l, &cfg, &b), EINVAL);
	b = o;
	b.key_id = KEY_ID; /* no secret */
	assert_int_equal(robinson_alloc(&r, l, &cfg, &b), EINVAL);
	b.secret = SECRET;
	b.region = "eu west 1";
	assert_int_equal(robinson_alloc(&r, l, &cfg, &b), EINVAL);
	assert_null(r);
	assert_int_equal(robinson_alloc(NULL, l, &cfg, &o), EINVAL);

	/* No lookup configured: unchecked. */
	assert_true(robinson_check(NULL, vec_call, &out, NULL, NULL));
	assert_int_equal(out, CID_ROB_UNCHECKED);

	/* Hashes that are not 64 hex digits fail at once. */
	assert_int_equal(robinson_alloc(&r, l, &cfg, &o), 0);
	out = CID_ROB_CLEAR;
	assert_true(robinson_check(r, NULL, &out, NULL, NULL));
	assert_int_equal(out, CID_ROB_FAILED);
	assert_true(robinson_check(r, "", &out, NULL, NULL));
	assert_true(robinson_check(r, vec_call + 1, &out, NULL, NULL));
	snprintf(h, sizeof(h), "%s0", vec_call);
	assert_true(robinson_check(r, h, &out, NULL, NULL));
	snprintf(h, sizeof(h), "%s", vec_call);
	h[10] = 'g';
	out = CID_ROB_CLEAR;
	assert_true(robinson_check(r, h, &out, NULL, NULL));
	assert_int_equal(out, CID_ROB_FAILED);
	robinson_free(r);
	robinson_free(NULL);
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_listed),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_share),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_fail_500),
		cmocka_unit_test(test_fail_bad_json),
		cmocka_unit_test(test_fail_not_object),
		cmocka_unit_test(test_fail_missing_hash),
		cmocka_unit_test(test_fail_timeout),
		cmocka_unit_test(test_fail_refused),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_cancel_in_flight),
		cmocka_unit_test(test_cancel_all),
		cmocka_unit_test(test_sigv4),
		cmocka_unit_test(test_sigv4_env),
		cmocka_unit_test(test_inflight_bound),
		cmocka_unit_test(test_cache_bound),
		cmocka_unit_test(test_cache_expiry),
		cmocka_unit_test(test_no_cache),
		cmocka_unit_test(test_free_in_flight),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

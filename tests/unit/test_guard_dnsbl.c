/*
 * tests/unit/test_guard_dnsbl.c -- DNS blocklist lookups against a real
 * rbldnsd that the test starts on 127.0.0.1 and stops by its PID.
 *
 * Zones served:
 *	bl.test		ip4set 127.0.0.2 (A 127.0.0.2), 127.0.5.0/24
 *			(A 127.0.0.4); ip6trie 2001:db8:bad::/48 (A 127.0.0.3)
 *	bl2.test	the same data
 *	tag.test	ip4trie 127.0.0.2 (A 127.0.0.10)
 * nozone.test is not served (rbldnsd refuses it).
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/cfg.h"
#include "core/loop.h"
#include "guard/dnsbl.h"
#include "net/sa.h"

#define WAIT_MS 3000 /* every loop run is stopped by a timer */

static const char bl4_data[] =
    "$SOA 600 ns.bl.test hostmaster.bl.test 1 600 300 86400 120\n"
    "$TTL 900\n"
    "127.0.0.2\n"
    "127.0.5.0/24 :127.0.0.4:five\n";
static const char bl6_data[] =
    "$SOA 600 ns.bl.test hostmaster.bl.test 1 600 300 86400 120\n"
    "2001:db8:bad::/48 :127.0.0.3:v6\n";
static const char tag4_data[] = "127.0.0.2/32 :127.0.0.10:tagged\n";

static struct {
	pid_t pid;
	int out; /* rbldnsd's stdout/stderr */
	char dir[256];
	uint16_t port;
	uint16_t dead_port; /* nothing listens there */
	int silent; /* a bound UDP socket that never answers */
	uint16_t silent_port;
} srv = { .pid = -1, .out = -1, .silent = -1 };

static int
write_file(const char *dir, const char *name, const char *data)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(data, f);
	if (fclose(f) != 0)
		return -1;
	return chmod(path, 0644);
}

static void
remove_files(void)
{
	static const char *const names[] = { "bl4", "bl6", "tag4" };
	char path[512];
	unsigned i;

	if (!srv.dir[0])
		return;
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", srv.dir, names[i]);
		unlink(path);
	}
	rmdir(srv.dir);
	srv.dir[0] = '\0';
}

/* A UDP socket on 127.0.0.1 with a kernel-chosen port. */
static int
udp_bound(uint16_t *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static void
server_stop(void)
{
	int i, st;

	if (srv.pid > 0) {
		kill(srv.pid, SIGTERM);
		for (i = 0; i < 200; i++) {
			if (waitpid(srv.pid, &st, WNOHANG) == srv.pid)
				break;
			usleep(10000);
		}
		if (i == 200) {
			kill(srv.pid, SIGKILL);
			waitpid(srv.pid, &st, 0);
		}
		srv.pid = -1;
	}
	if (srv.out >= 0)
		close(srv.out);
	srv.out = -1;
	if (srv.silent >= 0)
		close(srv.silent);
	srv.silent = -1;
	remove_files();
}

/*
 * Start rbldnsd in the foreground on a free port and wait (bounded) for
 * "zones reloaded" on its output. 0 or -1.
 */
static int
server_try(void)
{
	char bind_arg[64];
	char buf[4096];
	size_t have = 0;
	int pfd[2], fd;
	uint64_t until;

	fd = udp_bound(&srv.port);
	if (fd < 0)
		return -1;
	close(fd);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	snprintf(bind_arg, sizeof(bind_arg), "127.0.0.1/%u", srv.port);
	srv.pid = fork();
	if (srv.pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (srv.pid == 0) {
		char *const argv[] = { "rbldnsd", "-n", "-c", "0", "-b",
			bind_arg, "-w", srv.dir, "bl.test:ip4set:bl4",
			"bl.test:ip6trie:bl6", "bl2.test:ip4set:bl4",
			"bl2.test:ip6trie:bl6", "tag.test:ip4trie:tag4", NULL };

		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execvp("rbldnsd", argv);
		execv("/usr/sbin/rbldnsd", argv);
		_exit(127);
	}
	close(pfd[1]);
	srv.out = pfd[0];
	until = loop_clock_ms() + 5000;
	while (loop_clock_ms() < until && have + 1 < sizeof(buf)) {
		struct pollfd p = { .fd = srv.out, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(srv.out, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break; /* exited */
		have += (size_t)n;
		buf[have] = '\0';
		if (strstr(buf, "zones reloaded"))
			return 0;
	}
	buf[have] = '\0';
	fprintf(stderr, "rbldnsd did not start: %s\n", buf);
	kill(srv.pid, SIGKILL);
	waitpid(srv.pid, NULL, 0);
	srv.pid = -1;
	close(srv.out);
	srv.out = -1;
	return -1;
}

static int
group_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	int i, fd;

	snprintf(srv.dir, sizeof(srv.dir), "%s/cn-dnsbl-XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(srv.dir)) {
		srv.dir[0] = '\0';
		return -1;
	}
	/* rbldnsd started as root reads its files as user rbldns. */
	if (chmod(srv.dir, 0755) < 0 ||
	    write_file(srv.dir, "bl4", bl4_data) < 0 ||
	    write_file(srv.dir, "bl6", bl6_data) < 0 ||
	    write_file(srv.dir, "tag4", tag4_data) < 0) {
		remove_files();
		return -1;
	}
	/* Also on an abnormal exit; server_stop() runs once. */
	atexit(server_stop);
	/* The free port may be taken before rbldnsd binds it: retry. */
	for (i = 0; i < 3; i++)
		if (server_try() == 0)
			break;
	if (srv.pid < 0) {
		server_stop();
		return -1;
	}
	fd = udp_bound(&srv.dead_port);
	if (fd >= 0)
		close(fd);
	srv.silent = udp_bound(&srv.silent_port);
	if (fd < 0 || srv.silent < 0) {
		server_stop();
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	server_stop();
	return 0;
}

/* What the callbacks saw, per request. */
struct req {
	struct run *r;
	int calls;
	struct dnsbl_verdict v;
};

struct run {
	struct loop *l;
	struct dnsbl *d;
	struct loop_timer stop;
	int left; /* callbacks still expected */
};

static void
on_done(const struct dnsbl_verdict *v, void *arg)
{
	struct req *q = arg;

	q->calls++;
	q->v = *v;
	if (--q->r->left <= 0)
		loop_stop(q->r->l);
}

static void
on_stop(void *arg)
{
	loop_stop(arg);
}

/* A guard config of zones "z", each "zone:action" with role public. */
static void
cfg_init(
    struct cfg_guard *gc, uint16_t port, bool fail_closed, unsigned timeout)
{
	memset(gc, 0, sizeof(*gc));
	snprintf(
	    gc->dnsbl_servers, sizeof(gc->dnsbl_servers), "127.0.0.1:%u", port);
	gc->dnsbl_timeout = timeout;
	gc->dnsbl_fail_closed = fail_closed;
	gc->dnsbl_cache_max = 1000;
}

static void
zone_add(struct cfg_guard *gc, const char *zone, enum guard_action a)
{
	struct cfg_dnsbl_zone *z = &gc->dnsbl[gc->ndnsbl++];

	snprintf(z->zone, sizeof(z->zone), "%s", zone);
	z->action = a;
	z->roles[ROLE_PUBLIC] = true;
}

static void
run_open(struct run *r, const struct cfg_guard *gc)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(loop_alloc(&r->l), 0);
	assert_int_equal(dnsbl_alloc(&r->d, r->l, gc), 0);
}

/* Run the loop until "left" callbacks came or "ms" passed. */
static void
run_loop(struct run *r, unsigned ms)
{
	assert_int_equal(
	    loop_timer_start(r->l, &r->stop, ms, on_stop, r->l), 0);
	assert_int_equal(loop_run(r->l), 0);
	loop_timer_cancel(r->l, &r->stop);
}

static void
run_close(struct run *r)
{
	dnsbl_free(r->d);
	loop_free(r->l);
}

static struct sa
addr(const char *s)
{
	struct sa a;

	assert_int_equal(sa_set_cstr(&a, s, 5060), 0);
	return a;
}

/* Start a lookup that must wait; its callback counts in r->left. */
static void
check_pending(struct run *r, const char *ip, struct req *q)
{
	struct dnsbl_verdict v;
	struct sa a = addr(ip);

	memset(q, 0, sizeof(*q));
	q->r = r;
	assert_false(dnsbl_check(r->d, &a, ROLE_PUBLIC, &v, on_done, q));
	r->left++;
}

/* A lookup that must be answered now (cache). */
static struct dnsbl_verdict
check_now(struct run *r, const char *ip)
{
	struct dnsbl_verdict v;
	struct sa a = addr(ip);
	struct req q = { .r = r };

	assert_true(dnsbl_check(r->d, &a, ROLE_PUBLIC, &v, on_done, &q));
	assert_int_equal(q.calls, 0);
	return v;
}

static void
test_listed_and_cached(void **state)
{
	struct cfg_guard gc;
	struct run r;
	struct req q1, q2;
	struct dnsbl_verdict v;
	struct dnsbl_stats st;

	cfg_init(&gc, srv.port, false, 2000);
	zone_add(&gc, "tag.test", GA_LOG);
	zone_add(&gc, "bl.test", GA_REJECT);
	run_open(&r, &gc);
	check_pending(&r, "127.0.0.2", &q1);
	check_pending(&r, "127.0.5.9", &q2);
	run_loop(&r, WAIT_MS);
	assert_int_equal(q1.calls, 1);
	assert_true(q1.v.listed);
	assert_false(q1.v.failed);
	assert_int_equal(q1.v.action, GA_REJECT);
	assert_int_equal(q1.v.zone, 1);
	assert_int_equal(q1.v.answer, 0x7f000002);
	assert_int_equal(q1.v.ntags, 1);
	assert_int_equal(q2.calls, 1);
	assert_true(q2.v.listed);
	assert_int_equal(q2.v.zone, 1);
	assert_int_equal(q2.v.answer, 0x7f000004);
	assert_int_equal(q2.v.ntags, 0);

	dnsbl_stats(r.d, &st);
	assert_int_equal(st.queries, 4);
	assert_int_equal(st.hits, 0);
	assert_int_equal(st.listed, 2);
	assert_int_equal(st.failed, 0);

	/* Cached: answered now, same verdict, counted as a hit. */
	v = check_now(&r, "127.0.0.2");
	assert_true(v.listed);
	assert_int_equal(v.zone, 1);
	assert_int_equal(v.answer, 0x7f000002);
	assert_int_equal(v.ntags, 1);
	/* IPv4-mapped IPv6 is the same source. */
	v = check_now(&r, "::ffff:127.0.0.2");
	assert_true(v.listed);
	dnsbl_stats(r.d, &st);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.queries, 4);
	run_close(&r);
}

static void
test_clean(void **state)
{
	struct cfg_guard gc;
	struct run r;
	struct req q;
	struct dnsbl_verdict v;
	struct dnsbl_stats st;

	cfg_init(&gc, srv.port, true, 2000);
	zone_add(&gc, "bl.test", GA_BAN);
	run_open(&r, &gc);
	check_pending(&r, "127.0.0.3", &q);
	run_loop(&r, WAIT_MS);
	assert_int_equal(q.calls, 1);
	assert_false(q.v.listed);
	assert_false(q.v.failed);
	assert_int_equal(q.v.zone, -1);
	assert_int_equal(q.v.ntags, 0);
	v = check_now(&r, "127.0.0.3");
	assert_false(v.listed);
	assert_false(v.failed);
	dnsbl_stats(r.d, &st);
	assert_int_equal(st.queries, 1);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.listed, 0);
	run_close(&r);
}

static void
test_concurrent_share_queries(void **state)
{
	struct cfg_guard gc;
	struct run r;
	struct req q[3];
	struct dnsbl_stats st;
	unsigned i;

	cfg_init(&gc, srv.port, false, 2000);
	zone_add(&gc, "bl.test", GA_REJECT);
	run_open(&r, &gc);
	for (i = 0; i < 3; i++)
		check_pending(&r, "127.0.0.2", &q[i]);
	dnsbl_stats(r.d, &st);
	assert_int_equal(st.queries, 1);
	run_loop(&r, WAIT_MS);
	for (i = 0; i < 3; i++) {
		assert_int_equal(q[i].calls, 1);
		assert_true(q[i].v.listed);
		assert_int_equal(q[i].v.answer, 0x7f000002);
	}
	dnsbl_stats(r.d, &st);
	assert_int_equal(st.queries, 1);
	assert_int_equal(st.listed, 1);
	run_close(&r);
}

static void
test_strongest_action(void **state)
{
	struct cfg_guard gc;
	struct run r;
	struct req q;

	cfg_init(&gc, srv.port, false, 2000);
	zone_add(&gc, "bl.test", GA_DROP);
	zone_add(&gc, "bl2.test", GA_BAN);
	zone_add(&gc, "tag.test", GA_REJECT);
	run_open(&r, &gc);
	check_pending(&r, "127.0.0.2", &q);
	run_loop(&r, WAIT_MS);
	assert_int_equal(q.calls, 1);
	assert_true(q.v.listed);
	assert_int_equal(q.v.action, GA_BAN);
	assert_int_equal(q.v.zone, 1);
	assert_int_equal(q.v.answer, 0x7f000002);
	run_close(&r);
}

static void
test_log_zone_tags_only(void **state)
{
	struct cfg_guard gc;
	struct run r;
	struct req q1, q2;

	cfg_init(&gc, srv.port, true, 2000);
	zone_add(&gc, "tag.test", GA_LOG);
	run_open(&r, &gc);
	check_pending(&r, "127.0.0.2", &q1);
	check_pending(&r, "127.0.0.7", &q2);
	run_loop(&r, WAIT_MS);
	assert_int_equal(q1.calls, 1);
	assert_false(q1.v.listed);
	assert_false(q1.v.failed);
	assert_int_equal(q1.v.ntags, 1);
	assert_int_equal(q1.v.action, GA_LOG);
	assert_int_equal(q1.v.zone, 0);
	assert_int_equal(q1.v.answer, 0x7f00000a);
	assert_int_equal(q2.calls, 1);
	assert_false(q2.v.listed);
	assert_int_equal(q2.v.ntags, 0);
	assert_int_equal(q2.v.zone, -1);
	run_close(&r);
}

static void
test_ipv6(void **state)
{
	struct cfg_guard gc;
	struct run r;
	struct req q1, q2;
	struct dnsbl_verdict v;

	cfg_init(&gc, srv.port, false, 2000);
	zone_add(&gc, "bl.test", GA_REJECT);
	run_open(&r, &gc);
	check_pending(&r, "2001:db8:bad:1::5", &q1);
	check_pending(&r, "2001:db8:beef::1", &q2);
	run_loop(&r, WAIT_MS);
	assert_int_equal(q1.calls, 1);
	assert_true(q1.v.listed);
	assert_false(q1.v.failed);
	assert_int_equal(q1.v.answer, 0x7f000003);
	assert_int_equal(q2.calls, 1);
	assert_false(q2.v.listed);
	assert_false(q2.v.failed);
	v = check_now(&r, "2001:db8:bad:1::5");
	assert_true(v.listed);
	run_close(&r);
}

/* A zone the server does not serve: an error, then fail open/closed. */
static void
test_unknown_zone(void **state)
{
	struct cfg_guard gc;
	struct run r;
	struct req q;
	struct dnsbl_stats st;
	int closed;

	for (closed = 0; closed < 2; closed++) {
		cfg_init(&gc, srv.port, closed, 2000);
		zone_add(&gc, "nozone.test", GA_BAN);
		run_open(&r, &gc);
		check_pending(&r, "127.0.0.2", &q);
		run_loop(&r, WAIT_MS);
		assert_int_equal(q.calls, 1);
		assert_true(q.v.failed);
		assert_int_equal(q.v.listed, closed);
		if (closed) {
			assert_int_equal(q.v.action, GA_REJECT);
			assert_int_equal(q.v.zone, 0);
		} else
			assert_int_equal(q.v.zone, -1);
		dnsbl_stats(r.d, &st);
		assert_int_equal(st.failed, 1);
		assert_int_equal(st.listed, (unsigned)closed);
		run_close(&r);
	}
}

/*
 * A server that never answers: the dnsbl.timeout deadline ends the wait
 * (c-ares alone would give up only after 7/4 of it).
 */
static void
test_timeout(void **state)
{
	struct cfg_guard gc;
	struct run r;
	struct req q1, q2;
	uint64_t t0, dt;
	int closed;

	for (closed = 0; closed < 2; closed++) {
		cfg_init(&gc, srv.silent_port, closed, 1000);
		zone_add(&gc, "bl.test", GA_BAN);
		zone_add(&gc, "tag.test", GA_LOG);
		run_open(&r, &gc);
		t0 = loop_clock_ms();
		check_pending(&r, "127.0.0.2", &q1);
		check_pending(&r, "127.0.0.2", &q2);
		run_loop(&r, WAIT_MS);
		dt = loop_clock_ms() - t0;
		assert_int_equal(q1.calls, 1);
		assert_int_equal(q2.calls, 1);
		assert_true(q1.v.failed);
		assert_int_equal(q1.v.listed, closed);
		assert_int_equal(q1.v.ntags, 0);
		if (closed)
			assert_int_equal(q1.v.action, GA_REJECT);
		assert_true(dt >= 950 && dt < 1500);
		run_close(&r);
	}
}

/* Nothing listens on the port: refused at once, failed. */
static void
test_dead_server(void **state)
{
	struct cfg_guard gc;
	struct run r;
	struct req q;

	cfg_init(&gc, srv.dead_port, true, 1000);
	zone_add(&gc, "bl.test", GA_REJECT);
	run_open(&r, &gc);
	check_pending(&r, "127.0.0.3", &q);
	run_loop(&r, WAIT_MS);
	assert_int_equal(q.calls, 1);
	assert_true(q.v.failed);
	assert_true(q.v.listed);
	assert_int_equal(q.v.action, GA_REJECT);
	run_close(&r);
}

static void
test_cancel(void **state)
{
	struct cfg_guard gc;
	struct run r;
	struct req q1, q2, q3;

	cfg_init(&gc, srv.port, false, 2000);
	zone_add(&gc, "bl.test", GA_REJECT);
	run_open(&r, &gc);
	check_pending(&r, "127.0.0.2", &q1);
	check_pending(&r, "127.0.0.2", &q2);
	check_pending(&r, "127.0.0.3", &q3);
	dnsbl_cancel(r.d, &q1);
	dnsbl_cancel(r.d, &q3);
	r.left = 1;
	run_loop(&r, WAIT_MS);
	assert_int_equal(q1.calls, 0);
	assert_int_equal(q3.calls, 0);
	assert_int_equal(q2.calls, 1);
	assert_true(q2.v.listed);
	run_close(&r);

	/* Cancelled and then freed with the query still out. */
	run_open(&r, &gc);
	check_pending(&r, "127.0.5.1", &q1);
	dnsbl_cancel(r.d, &q1);
	run_close(&r);
	assert_int_equal(q1.calls, 0);
}

static void
test_roles(void **state)
{
	struct cfg_guard gc;
	struct run r;
	struct dnsbl_verdict v;
	struct dnsbl_stats st;
	struct sa a = addr("127.0.0.2");
	struct req q = { 0 };

	cfg_init(&gc, srv.port, true, 2000);
	zone_add(&gc, "bl.test", GA_REJECT);
	run_open(&r, &gc);
	q.r = &r;
	assert_true(dnsbl_check(r.d, &a, ROLE_PBX, &v, on_done, &q));
	assert_false(v.listed);
	assert_false(v.failed);
	assert_int_equal(v.zone, -1);
	dnsbl_stats(r.d, &st);
	assert_int_equal(st.queries, 0);
	run_close(&r);
	assert_int_equal(q.calls, 0);
}

/* A callback that looks the next address up: a chain of lookups. */
struct chain {
	struct run *r;
	unsigned next, n;
	int calls, bad;
};

static void
chain_ip(char *buf, size_t cap, unsigned i)
{
	snprintf(buf, cap, "127.0.2.%u", i + 1);
}

static void
on_chain(const struct dnsbl_verdict *v, void *arg)
{
	struct chain *c = arg;
	struct dnsbl_verdict now;
	char ip[32];
	struct sa a;

	c->calls++;
	if (v->listed || v->failed)
		c->bad++;
	if (c->next == c->n) {
		loop_stop(c->r->l);
		return;
	}
	chain_ip(ip, sizeof(ip), c->next++);
	if (sa_set_cstr(&a, ip, 0) != 0 ||
	    dnsbl_check(c->r->d, &a, ROLE_PUBLIC, &now, on_chain, c))
		c->bad++;
}

/*
 * Pending lookups and the cache are both bounded by cache_max; the
 * oldest cached addresses go first.
 */
static void
test_cache_bound(void **state)
{
	struct cfg_guard gc;
	struct run r;
	struct req q[16];
	struct dnsbl_verdict v;
	struct dnsbl_stats st;
	struct chain c;
	char ip[32];
	unsigned i;

	cfg_init(&gc, srv.port, true, 2000);
	gc.dnsbl_cache_max = 16;
	zone_add(&gc, "bl.test", GA_REJECT);
	run_open(&r, &gc);
	for (i = 0; i < 16; i++) {
		snprintf(ip, sizeof(ip), "127.0.1.%u", i + 1);
		check_pending(&r, ip, &q[i]);
	}
	/* The 17th pending address is not queried: failed (closed). */
	v = check_now(&r, "127.0.1.99");
	assert_true(v.failed);
	assert_true(v.listed);
	run_loop(&r, WAIT_MS);
	for (i = 0; i < 16; i++) {
		assert_int_equal(q[i].calls, 1);
		assert_false(q[i].v.failed);
	}
	dnsbl_stats(r.d, &st);
	assert_int_equal(st.queries, 16);
	assert_int_equal(st.failed, 1);
	run_close(&r);

	/* 20 addresses one after the other: the first 4 are evicted. */
	run_open(&r, &gc);
	memset(&c, 0, sizeof(c));
	c.r = &r;
	c.n = 20;
	chain_ip(ip, sizeof(ip), c.next++);
	{
		struct sa a = addr(ip);

		assert_false(
		    dnsbl_check(r.d, &a, ROLE_PUBLIC, &v, on_chain, &c));
	}
	run_loop(&r, WAIT_MS);
	assert_int_equal(c.calls, 20);
	assert_int_equal(c.bad, 0);
	for (i = 4; i < 20; i++) {
		chain_ip(ip, sizeof(ip), i);
		v = check_now(&r, ip);
		assert_false(v.listed);
		assert_false(v.failed);
	}
	for (i = 0; i < 4; i++) {
		struct sa a;
		struct req x = { .r = &r };

		chain_ip(ip, sizeof(ip), i);
		a = addr(ip);
		assert_false(
		    dnsbl_check(r.d, &a, ROLE_PUBLIC, &v, on_done, &x));
		dnsbl_cancel(r.d, &x);
	}
	dnsbl_stats(r.d, &st);
	assert_int_equal(st.hits, 16);
	assert_int_equal(st.queries, 24);
	run_close(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listed_and_cached),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_concurrent_share_queries),
		cmocka_unit_test(test_strongest_action),
		cmocka_unit_test(test_log_zone_tags_only),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_unknown_zone),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_dead_server),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_cache_bound),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * tests/unit/test_core_loop.c -- event loop timers and fd dispatch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/loop.h"

struct rec {
	struct loop *l;
	int order[64];
	unsigned n;
};

struct tctx {
	struct rec *r;
	int id;
};

static void
fire(void *arg)
{
	struct tctx *t = arg;

	t->r->order[t->r->n++] = t->id;
}

static void
stop_fire(void *arg)
{
	loop_stop(arg);
}

static void
test_timers_fire_in_order(void **state)
{
	struct loop *l;
	struct rec r = { 0 };
	struct loop_timer tm[5], stop;
	struct tctx c[5];
	const unsigned ms[5] = { 40, 10, 30, 0, 20 };
	unsigned i;

	assert_int_equal(loop_alloc(&l), 0);
	memset(tm, 0, sizeof(tm));
	memset(&stop, 0, sizeof(stop));
	for (i = 0; i < 5; i++) {
		c[i].r = &r;
		c[i].id = (int)ms[i];
		assert_int_equal(
		    loop_timer_start(l, &tm[i], ms[i], fire, &c[i]), 0);
	}
	loop_timer_start(l, &stop, 80, stop_fire, l);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(r.n, 5);
	assert_int_equal(r.order[0], 0);
	assert_int_equal(r.order[1], 10);
	assert_int_equal(r.order[2], 20);
	assert_int_equal(r.order[3], 30);
	assert_int_equal(r.order[4], 40);
	for (i = 0; i < 5; i++)
		assert_false(loop_timer_armed(&tm[i]));
	loop_free(l);
}

static void
test_timer_cancel_and_rearm(void **state)
{
	struct loop *l;
	struct rec r = { 0 };
	struct loop_timer a, b, c, stop;
	struct tctx ca = { &r, 1 }, cb = { &r, 2 }, cc = { &r, 3 };

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	memset(&stop, 0, sizeof(stop));
	assert_int_equal(loop_alloc(&l), 0);
	loop_timer_start(l, &a, 10, fire, &ca);
	loop_timer_start(l, &b, 20, fire, &cb);
	loop_timer_start(l, &c, 30, fire, &cc);
	loop_timer_cancel(l, &b);
	assert_false(loop_timer_armed(&b));
	/* re-arming moves the timer instead of adding a second one */
	loop_timer_start(l, &a, 50, fire, &ca);
	loop_timer_start(l, &stop, 80, stop_fire, l);
	loop_run(l);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.order[0], 3);
	assert_int_equal(r.order[1], 1);
	loop_free(l);
}

static void
test_timer_heap_many(void **state)
{
	enum {
		N = 2000
	};
	static struct loop_timer tm[N];
	static struct tctx c[N];
	struct loop *l;
	struct rec r = { 0 };
	unsigned i;

	assert_int_equal(loop_alloc(&l), 0);
	memset(tm, 0, sizeof(tm));
	for (i = 0; i < N; i++) {
		c[i].r = &r;
		c[i].id = (int)i;
		loop_timer_start(
		    l, &tm[i], 1000 + (i * 7919) % 1000, fire, &c[i]);
	}
	/* cancel every other one, in a scrambled order */
	for (i = 0; i < N; i += 2)
		loop_timer_cancel(l, &tm[(i * 31) % N & ~1u]);
	for (i = 0; i < N; i++)
		assert_int_equal(loop_timer_armed(&tm[i]), i % 2 == 1);
	for (i = 1; i < N; i += 2)
		loop_timer_cancel(l, &tm[i]);
	for (i = 0; i < N; i++)
		assert_false(loop_timer_armed(&tm[i]));
	loop_free(l);
}

static int pipe_hits;

static void
on_pipe(int fd, unsigned ev, void *arg)
{
	char buf[16];

	assert_true(ev & LOOP_READ);
	assert_true(read(fd, buf, sizeof(buf)) > 0);
	pipe_hits++;
	loop_stop(arg);
}

static void
test_fd_dispatch(void **state)
{
	struct loop *l;
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_alloc(&l), 0);
	assert_int_equal(loop_fd_add(l, p[0], LOOP_READ, on_pipe, l), 0);
	assert_int_equal(loop_fd_add(l, -1, LOOP_READ, on_pipe, l), EINVAL);
	assert_int_equal(write(p[1], "x", 1), 1);
	loop_run(l);
	assert_int_equal(pipe_hits, 1);
	loop_fd_del(l, p[0]);
	loop_free(l);
	close(p[0]);
	close(p[1]);
}

struct lingerctx {
	struct loop *l;
	int wfd;
	unsigned calls;
	uint64_t at[3]; /* us of the reads */
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * Reads and writes again. After the first read it asks for a 300 ms
 * pause: the second read waits for it; the third does not (a request
 * holds for one wait).
 */
static void
on_linger_pipe(int fd, unsigned ev, void *arg)
{
	struct lingerctx *c = arg;
	char buf[8];

	assert_true(read(fd, buf, sizeof(buf)) > 0);
	c->at[c->calls++] = now_us();
	if (c->calls == 3) {
		loop_stop(c->l);
		return;
	}
	if (c->calls == 1)
		loop_linger(c->l, 300000);
	assert_int_equal(write(c->wfd, "y", 1), 1);
}

static void
test_linger(void **state)
{
	struct lingerctx c = { 0 };
	struct loop_timer t;
	struct loop *l;
	uint64_t t0;
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_alloc(&c.l), 0);
	c.wfd = p[1];
	assert_int_equal(
	    loop_fd_add(c.l, p[0], LOOP_READ, on_linger_pipe, &c), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	loop_run(c.l);
	assert_int_equal(c.calls, 3);
	assert_true(c.at[1] - c.at[0] >= 300000);
	assert_true(c.at[2] - c.at[1] < 250000);
	loop_fd_del(c.l, p[0]);
	loop_free(c.l);
	close(p[0]);
	close(p[1]);

	/* A pause ends at the next timer, however long it was asked. */
	assert_int_equal(loop_alloc(&l), 0);
	memset(&t, 0, sizeof(t));
	loop_timer_start(l, &t, 5, stop_fire, l);
	loop_linger(l, 800000);
	t0 = now_us();
	loop_run(l);
	assert_true(now_us() - t0 >= 4000);
	assert_true(now_us() - t0 < 600000);
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_fire_in_order),
		cmocka_unit_test(test_timer_cancel_and_rearm),
		cmocka_unit_test(test_timer_heap_many),
		cmocka_unit_test(test_fd_dispatch),
		cmocka_unit_test(test_linger),
	};

	return cmocka_run_group_tests_name("core_loop", tests, NULL, NULL);
}

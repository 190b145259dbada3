/*
 * tests/unit/test_media_rtpe.c -- the rtpengine ng client
 * (media/rtpe.c) against fake rtpengine instances: small UDP sockets
 * on 127.0.0.1 served by the same event loop, which answer, stay
 * silent, answer from the wrong address or answer garbage.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/loop.h"
#include "media/bencode.h"
#include "media/rtpe.h"
#include "net/sa.h"

enum peer_mode {
	PEER_OK, /* reply "ok" with the request's command echoed */
	PEER_SILENT,
	PEER_ERROR, /* result error + error-reason */
	PEER_GARBAGE, /* a reply that is not bencode */
	PEER_SPOOF /* the right cookie, from another socket */
};

struct peer {
	int fd;
	struct sa addr;
	enum peer_mode mode;
	unsigned got; /* datagrams received */
	char last[2048];
	size_t last_len;
	int spoof_fd;
};

struct result {
	bool called;
	unsigned calls;
	struct rtpe_reply rep;
	char result[32];
	char reason[64];
	char cmd[32];
	struct loop *l;
};

static struct loop *l;
static struct peer peers[2];
static struct loop_timer guard_timer;

static void
peer_read(int fd, unsigned events, void *arg)
{
	struct peer *p = arg;
	struct sa from;
	char buf[2048], out[2200];
	ssize_t n;
	size_t cl;
	const char *sp;
	int len;

	from.len = sizeof(from.u);
	n = recvfrom(fd, buf, sizeof(buf), 0, &from.u.sa, &from.len);
	if (n <= 0)
		return;
	p->got++;
	memcpy(p->last, buf, (size_t)n);
	p->last_len = (size_t)n;
	sp = memchr(buf, ' ', (size_t)n);
	if (!sp)
		return;
	cl = (size_t)(sp - buf);
	switch (p->mode) {
	case PEER_SILENT:
		return;
	case PEER_OK:
	case PEER_SPOOF:
		len = snprintf(out, sizeof(out),
		    "%.*s d6:result2:ok3:sdp3:v=0e", (int)cl, buf);
		break;
	case PEER_ERROR:
		len = snprintf(out, sizeof(out),
		    "%.*s d6:result5:error12:error-reason15:Unknown call-ide",
		    (int)cl, buf);
		break;
	default:
		len = snprintf(
		    out, sizeof(out), "%.*s not bencode", (int)cl, buf);
		break;
	}
	sendto(p->mode == PEER_SPOOF ? p->spoof_fd : fd, out, (size_t)len, 0,
	    &from.u.sa, from.len);
}

static int
udp_bound(struct sa *sa)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	assert_int_equal(sa_set_cstr(sa, "127.0.0.1", 0), 0);
	assert_int_equal(bind(fd, &sa->u.sa, sa->len), 0);
	sa->len = sizeof(sa->u);
	assert_int_equal(getsockname(fd, &sa->u.sa, &sa->len), 0);
	return fd;
}

static void
stop_fire(void *arg)
{
	loop_stop(arg);
}

static int
setup(void **state)
{
	unsigned i;
	struct sa tmp;

	assert_int_equal(loop_alloc(&l), 0);
	for (i = 0; i < 2; i++) {
		memset(&peers[i], 0, sizeof(peers[i]));
		peers[i].fd = udp_bound(&peers[i].addr);
		peers[i].spoof_fd = udp_bound(&tmp);
		assert_int_equal(loop_fd_add(l, peers[i].fd, LOOP_READ,
				     peer_read, &peers[i]),
		    0);
	}
	return 0;
}

static int
teardown(void **state)
{
	unsigned i;

	for (i = 0; i < 2; i++) {
		loop_fd_del(l, peers[i].fd);
		close(peers[i].fd);
		close(peers[i].spoof_fd);
	}
	loop_timer_cancel(l, &guard_timer);
	loop_free(l);
	return 0;
}

static void
conf(struct cfg_media *m, unsigned n, unsigned timeout, unsigned retries)
{
	unsigned i;

	cfg_media_defaults(m);
	for (i = 0; i < n; i++)
		m->rtpe[i] = peers[i].addr;
	m->nrtpe = n;
	m->rtpe_timeout = timeout;
	m->rtpe_retries = retries;
}

static void
done(const struct rtpe_reply *rep, void *arg)
{
	struct result *r = arg;

	r->called = true;
	r->calls++;
	r->rep = *rep;
	snprintf(r->result, sizeof(r->result), "%.*s", STR_FMT(rep->result));
	snprintf(
	    r->reason, sizeof(r->reason), "%.*s", STR_FMT(rep->error_reason));
	loop_stop(r->l);
}

/*
 * Run the loop until "done" stops it or 2 s pass. loop_stop() is
 * sticky, so each test runs its loop once.
 */
static void
run(void)
{
	loop_timer_start(l, &guard_timer, 2000, stop_fire, l);
	loop_run(l);
	loop_timer_cancel(l, &guard_timer);
}

static struct str
ping_dict(char *buf, size_t cap)
{
	struct bencode_buf w;

	bencode_init(&w, buf, cap);
	bencode_open_dict(&w);
	bencode_put_cstr(&w, "command");
	bencode_put_cstr(&w, "ping");
	bencode_close(&w);
	return str_make(w.b, w.len);
}

static void
reply_ok(void **state)
{
	struct cfg_media m;
	struct rtpe *r;
	struct result res = { .l = l };
	struct rtpe_stats st;
	char buf[64];

	conf(&m, 1, 200, 2);
	assert_int_equal(rtpe_alloc(&r, l, &m), 0);
	assert_int_equal(
	    rtpe_send(r, 0, false, ping_dict(buf, sizeof(buf)), done, &res), 0);
	assert_int_equal(rtpe_pending(r), 1);
	run();
	assert_true(res.called);
	assert_int_equal(res.calls, 1);
	assert_int_equal(res.rep.err, 0);
	assert_string_equal(res.result, "ok");
	assert_int_equal(res.rep.inst, 0);
	assert_int_equal(rtpe_pending(r), 0);
	/* What went out: 16-hex cookie, a space, the dictionary. */
	assert_int_equal(peers[0].got, 1);
	assert_true(peers[0].last_len > 17);
	assert_int_equal(peers[0].last[16], ' ');
	assert_memory_equal(peers[0].last + 17, "d7:command4:pinge", 17);
	rtpe_stats(r, &st);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.replies, 1);
	rtpe_free(r);
}

static void
timeout_after_retries(void **state)
{
	struct cfg_media m;
	struct rtpe *r;
	struct result res = { .l = l };
	struct rtpe_stats st;
	char buf[64];
	uint64_t t0;

	peers[0].mode = PEER_SILENT;
	conf(&m, 1, 30, 2);
	assert_int_equal(rtpe_alloc(&r, l, &m), 0);
	t0 = loop_clock_ms();
	assert_int_equal(
	    rtpe_send(r, 0, true, ping_dict(buf, sizeof(buf)), done, &res), 0);
	run();
	assert_true(res.called);
	assert_int_equal(res.rep.err, ETIMEDOUT);
	/* One send and two retransmissions, 30 ms apart, then give up. */
	assert_int_equal(peers[0].got, 3);
	assert_true(loop_clock_ms() - t0 >= 85);
	rtpe_stats(r, &st);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(rtpe_pending(r), 0);
	rtpe_free(r);
}

static void
failover(void **state)
{
	struct cfg_media m;
	struct rtpe *r;
	struct result res = { .l = l };
	char buf[64];

	peers[0].mode = PEER_SILENT;
	peers[1].mode = PEER_OK;
	conf(&m, 2, 20, 1);
	assert_int_equal(rtpe_alloc(&r, l, &m), 0);
	assert_int_equal(rtpe_pick(r, 0), 0);
	assert_int_equal(
	    rtpe_send(r, 0, true, ping_dict(buf, sizeof(buf)), done, &res), 0);
	run();
	assert_int_equal(res.rep.err, 0);
	assert_int_equal(res.rep.inst, 1);
	assert_int_equal(peers[0].got, 2);
	assert_int_equal(peers[1].got, 1);
	/* The silent one is avoided for new calls now. */
	assert_int_equal(rtpe_pick(r, 0), 1);
	assert_int_equal(rtpe_pick(r, 1), 1);

	rtpe_free(r);
}

/* Without failover a command stays on its instance. */
static void
no_failover(void **state)
{
	struct cfg_media m;
	struct rtpe *r;
	struct result res = { .l = l };
	char buf[64];

	peers[0].mode = PEER_SILENT;
	peers[1].mode = PEER_OK;
	conf(&m, 2, 20, 1);
	assert_int_equal(rtpe_alloc(&r, l, &m), 0);
	assert_int_equal(
	    rtpe_send(r, 0, false, ping_dict(buf, sizeof(buf)), done, &res), 0);
	run();
	assert_int_equal(res.rep.err, ETIMEDOUT);
	assert_int_equal(res.rep.inst, 0);
	assert_int_equal(peers[0].got, 2);
	assert_int_equal(peers[1].got, 0);
	rtpe_free(r);
}

static void
error_reply(void **state)
{
	struct cfg_media m;
	struct rtpe *r;
	struct result res = { .l = l };
	struct rtpe_stats st;
	char buf[64];

	peers[0].mode = PEER_ERROR;
	conf(&m, 1, 200, 0);
	assert_int_equal(rtpe_alloc(&r, l, &m), 0);
	assert_int_equal(
	    rtpe_send(r, 0, false, ping_dict(buf, sizeof(buf)), done, &res), 0);
	run();
	assert_int_equal(res.rep.err, 0);
	assert_string_equal(res.result, "error");
	assert_string_equal(res.reason, "Unknown call-id");
	rtpe_stats(r, &st);
	assert_int_equal(st.errors, 1);
	rtpe_free(r);
}

static void
garbage_reply(void **state)
{
	struct cfg_media m;
	struct rtpe *r;
	struct result res = { .l = l };
	struct rtpe_stats st;
	char buf[64];

	peers[0].mode = PEER_GARBAGE;
	conf(&m, 1, 200, 0);
	assert_int_equal(rtpe_alloc(&r, l, &m), 0);
	assert_int_equal(
	    rtpe_send(r, 0, false, ping_dict(buf, sizeof(buf)), done, &res), 0);
	run();
	assert_true(res.called);
	assert_int_equal(res.rep.err, EBADMSG);
	rtpe_stats(r, &st);
	assert_int_equal(st.bad_replies, 1);
	rtpe_free(r);
}

static void
spoofed_source_ignored(void **state)
{
	struct cfg_media m;
	struct rtpe *r;
	struct result res = { .l = l };
	struct rtpe_stats st;
	char buf[64];

	peers[0].mode = PEER_SPOOF;
	conf(&m, 1, 30, 1);
	assert_int_equal(rtpe_alloc(&r, l, &m), 0);
	assert_int_equal(
	    rtpe_send(r, 0, false, ping_dict(buf, sizeof(buf)), done, &res), 0);
	run();
	/* The right cookie from the wrong address does not count. */
	assert_int_equal(res.rep.err, ETIMEDOUT);
	rtpe_stats(r, &st);
	assert_int_equal(st.bad_replies, 2);
	rtpe_free(r);
}

static void
cancel_and_limits(void **state)
{
	struct cfg_media m;
	struct rtpe *r;
	struct result res = { .l = l };
	char buf[64];
	struct loop_timer t;

	peers[0].mode = PEER_OK;
	conf(&m, 1, 50, 0);
	assert_int_equal(rtpe_alloc(&r, l, &m), 0);
	assert_int_equal(
	    rtpe_send(r, 0, false, ping_dict(buf, sizeof(buf)), done, &res), 0);
	rtpe_cancel(r, &res);
	assert_int_equal(rtpe_pending(r), 0);
	memset(&t, 0, sizeof(t));
	loop_timer_start(l, &t, 150, stop_fire, l);
	loop_run(l);
	assert_false(res.called);
	assert_int_equal(peers[0].got, 1);
	/* Bad arguments. */
	assert_int_equal(
	    rtpe_send(r, 1, false, ping_dict(buf, sizeof(buf)), NULL, NULL),
	    EINVAL);
	assert_int_equal(rtpe_send(r, 0, false, STR_NULL, NULL, NULL), EINVAL);
	rtpe_free(r);
	/* Pending commands are dropped at free, callbacks not run. */
	assert_int_equal(rtpe_alloc(&r, l, &m), 0);
	assert_int_equal(
	    rtpe_send(r, 0, false, ping_dict(buf, sizeof(buf)), done, &res), 0);
	rtpe_free(r);
	m.nrtpe = 0;
	assert_int_equal(rtpe_alloc(&r, l, &m), EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(reply_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    timeout_after_retries, setup, teardown),
		cmocka_unit_test_setup_teardown(failover, setup, teardown),
		cmocka_unit_test_setup_teardown(no_failover, setup, teardown),
		cmocka_unit_test_setup_teardown(error_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(garbage_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    spoofed_source_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    cancel_and_limits, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

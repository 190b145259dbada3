/*
 * media/rtpe.c -- rtpengine ng protocol client (media/rtpe.h).
 *
 * One pending-command record per command in flight, on a list (a few
 * dozen at most in practice: a command lives for one round trip), each
 * with its own heap timer. The cookie is 16 hex digits drawn from a
 * random 64-bit base and a counter mixed through a bijection, so it is
 * unique per command and not guessable by someone who cannot see our
 * traffic; the reply must also come from the instance's address.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "media/bencode.h"
#include "media/rtpe.h"
#include "net/sa.h"

#define COOKIE_LEN 16
#define RX_BATCH 64 /* datagrams read per wake-up */

struct rtpe_req {
	struct rtpe_req *next, *prev;
	struct rtpe *r;
	char *msg; /* cookie, space, dictionary */
	size_t len;
	unsigned inst;
	unsigned tries; /* sends to the current instance */
	unsigned ninst; /* instances tried */
	bool failover;
	struct loop_timer timer;
	rtpe_done_h *done;
	void *arg;
};

struct rtpe {
	struct loop *loop;
	struct sa inst[CFG_MEDIA_MAX_RTPE];
	unsigned n;
	unsigned fails[CFG_MEDIA_MAX_RTPE]; /* consecutive timeouts */
	unsigned timeout_ms;
	unsigned retries;
	int fd4, fd6;
	struct rtpe_req *head;
	unsigned npending;
	uint64_t cookie_base;
	uint64_t seq;
	char *rbuf;
	_Atomic uint64_t st_sent, st_replies, st_timeouts, st_errors, st_bad;
};

static void on_read(int fd, unsigned events, void *arg);

static int
open_sock(struct rtpe *r, int family, int *fdp)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err;

	if (fd < 0)
		return errno;
	if ((err = loop_fd_add(r->loop, fd, LOOP_READ, on_read, r))) {
		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

int
rtpe_alloc(struct rtpe **rp, struct loop *l, const struct cfg_media *cfg)
{
	struct rtpe *r;
	unsigned i;
	int err = 0;

	if (!cfg->nrtpe || cfg->nrtpe > CFG_MEDIA_MAX_RTPE)
		return EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return ENOMEM;
	r->loop = l;
	r->fd4 = r->fd6 = -1;
	r->n = cfg->nrtpe;
	memcpy(r->inst, cfg->rtpe, sizeof(r->inst[0]) * r->n);
	r->timeout_ms = cfg->rtpe_timeout ? cfg->rtpe_timeout : 500;
	r->retries = cfg->rtpe_retries;
	r->rbuf = malloc(RTPE_MAX_MSG + 1);
	if (!r->rbuf) {
		err = ENOMEM;
		goto out;
	}
	if (getrandom(&r->cookie_base, sizeof(r->cookie_base), 0) !=
	    (ssize_t)sizeof(r->cookie_base)) {
		err = errno ? errno : EIO;
		goto out;
	}
	for (i = 0; i < r->n && !err; i++) {
		if (sa_family(&r->inst[i]) == AF_INET && r->fd4 < 0)
			err = open_sock(r, AF_INET, &r->fd4);
		else if (sa_family(&r->inst[i]) == AF_INET6 && r->fd6 < 0)
			err = open_sock(r, AF_INET6, &r->fd6);
	}
out:
	if (err)
		rtpe_free(r);
	else
		*rp = r;
	return err;
}

static void
req_unlink(struct rtpe_req *q)
{
	struct rtpe *r = q->r;

	if (q->prev)
		q->prev->next = q->next;
	else
		r->head = q->next;
	if (q->next)
		q->next->prev = q->prev;
	q->next = q->prev = NULL;
	r->npending--;
	loop_timer_cancel(r->loop, &q->timer);
}

static void
req_free(struct rtpe_req *q)
{
	free(q->msg);
	free(q);
}

void
rtpe_free(struct rtpe *r)
{
	if (!r)
		return;
	while (r->head) {
		struct rtpe_req *q = r->head;

		req_unlink(q);
		req_free(q);
	}
	if (r->fd4 >= 0) {
		loop_fd_del(r->loop, r->fd4);
		close(r->fd4);
	}
	if (r->fd6 >= 0) {
		loop_fd_del(r->loop, r->fd6);
		close(r->fd6);
	}
	free(r->rbuf);
	free(r);
}

unsigned
rtpe_count(const struct rtpe *r)
{
	return r->n;
}

unsigned
rtpe_pick(const struct rtpe *r, uint64_t hash)
{
	unsigned up[CFG_MEDIA_MAX_RTPE], nup = 0, i;

	for (i = 0; i < r->n; i++)
		if (r->fails[i] == 0)
			up[nup++] = i;
	if (nup == 0)
		return (unsigned)(hash % r->n);
	return up[hash % nup];
}

unsigned
rtpe_pending(const struct rtpe *r)
{
	return r->npending;
}

void
rtpe_stats(const struct rtpe *r, struct rtpe_stats *st)
{
	st->sent = atomic_load_explicit(&r->st_sent, memory_order_relaxed);
	st->replies =
	    atomic_load_explicit(&r->st_replies, memory_order_relaxed);
	st->timeouts =
	    atomic_load_explicit(&r->st_timeouts, memory_order_relaxed);
	st->errors = atomic_load_explicit(&r->st_errors, memory_order_relaxed);
	st->bad_replies =
	    atomic_load_explicit(&r->st_bad, memory_order_relaxed);
}

static void
count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* A bijection of 64-bit values (splitmix64's finaliser). */
static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static void
transmit(struct rtpe_req *q)
{
	struct rtpe *r = q->r;
	const struct sa *to = &r->inst[q->inst];
	int fd = sa_family(to) == AF_INET6 ? r->fd6 : r->fd4;

	count(&r->st_sent);
	if (fd < 0 || sendto(fd, q->msg, q->len, 0, &to->u.sa, to->len) < 0) {
		char a[SA_STRLEN];

		log_debug("rtpengine %s: send failed: %s",
		    sa_fmt(to, a, sizeof(a)), strerror(errno));
	}
	q->tries++;
}

static void
finish(struct rtpe_req *q, const struct rtpe_reply *rep)
{
	rtpe_done_h *done = q->done;
	void *arg = q->arg;

	req_unlink(q);
	req_free(q);
	if (done)
		done(rep, arg);
}

static void
on_timer(void *arg)
{
	struct rtpe_req *q = arg;
	struct rtpe *r = q->r;
	struct rtpe_reply rep;

	if (q->tries <= r->retries) {
		transmit(q);
		loop_timer_start(
		    r->loop, &q->timer, r->timeout_ms, on_timer, q);
		return;
	}
	if (r->fails[q->inst] < UINT32_MAX)
		r->fails[q->inst]++;
	if (q->failover && q->ninst < r->n) {
		char a[SA_STRLEN];

		log_printf(LOGL_WARN,
		    "rtpengine %s does not answer; trying the next instance",
		    sa_fmt(&r->inst[q->inst], a, sizeof(a)));
		q->inst = (q->inst + 1) % r->n;
		q->ninst++;
		q->tries = 0;
		transmit(q);
		loop_timer_start(
		    r->loop, &q->timer, r->timeout_ms, on_timer, q);
		return;
	}
	count(&r->st_timeouts);
	memset(&rep, 0, sizeof(rep));
	rep.err = ETIMEDOUT;
	rep.inst = q->inst;
	finish(q, &rep);
}

int
rtpe_send(struct rtpe *r, unsigned inst, bool failover, struct str dict,
    rtpe_done_h *done, void *arg)
{
	struct rtpe_req *q;
	static const char hex[] = "0123456789abcdef";
	uint64_t c;
	unsigned i;

	if (inst >= r->n || dict.len == 0 ||
	    dict.len > RTPE_MAX_MSG - COOKIE_LEN - 1)
		return EINVAL;
	if (r->npending >= RTPE_MAX_PENDING)
		return EBUSY;
	q = calloc(1, sizeof(*q));
	if (!q)
		return ENOMEM;
	q->msg = malloc(COOKIE_LEN + 1 + dict.len);
	if (!q->msg) {
		free(q);
		return ENOMEM;
	}
	c = mix64(r->cookie_base ^ ++r->seq);
	for (i = 0; i < COOKIE_LEN; i++)
		q->msg[i] = hex[(c >> (4 * i)) & 15];
	q->msg[COOKIE_LEN] = ' ';
	memcpy(q->msg + COOKIE_LEN + 1, dict.s, dict.len);
	q->len = COOKIE_LEN + 1 + dict.len;
	q->r = r;
	q->inst = inst;
	q->ninst = 1;
	q->failover = failover && r->n > 1;
	q->done = done;
	q->arg = arg;
	q->next = r->head;
	if (q->next)
		q->next->prev = q;
	r->head = q;
	r->npending++;
	transmit(q);
	if (loop_timer_start(r->loop, &q->timer, r->timeout_ms, on_timer, q)) {
		req_unlink(q);
		req_free(q);
		return ENOMEM;
	}
	return 0;
}

void
rtpe_cancel(struct rtpe *r, const void *arg)
{
	struct rtpe_req *q = r->head, *next;

	for (; q; q = next) {
		next = q->next;
		if (q->arg == arg) {
			req_unlink(q);
			req_free(q);
		}
	}
}

/* One datagram from "from": match it to a command and complete it. */
static void
on_datagram(struct rtpe *r, const char *buf, size_t len, const struct sa *from)
{
	struct str in = str_make(buf, len), cookie, dict, v;
	struct rtpe_reply rep;
	struct rtpe_req *q;

	if (!str_split(in, ' ', &cookie, &dict) || cookie.len != COOKIE_LEN) {
		count(&r->st_bad);
		return;
	}
	for (q = r->head; q; q = q->next)
		if (memcmp(q->msg, cookie.s, COOKIE_LEN) == 0)
			break;
	if (!q || !sa_eq(from, &r->inst[q->inst])) {
		/* Late (a retransmission answered twice) or not ours. */
		count(&r->st_bad);
		return;
	}
	memset(&rep, 0, sizeof(rep));
	rep.inst = q->inst;
	rep.dict = dict;
	if (bencode_dict_find(dict, STR("result"), &v) ||
	    bencode_get_str(v, &rep.result)) {
		count(&r->st_bad);
		rep.err = EBADMSG;
	} else {
		count(&r->st_replies);
		r->fails[q->inst] = 0;
		if (str_eq(rep.result, STR("error"))) {
			count(&r->st_errors);
			if (bencode_dict_find(dict, STR("error-reason"), &v) ==
			    0)
				(void)bencode_get_str(v, &rep.error_reason);
		}
	}
	finish(q, &rep);
}

static void
on_read(int fd, unsigned events, void *arg)
{
	struct rtpe *r = arg;
	unsigned i;

	for (i = 0; i < RX_BATCH; i++) {
		struct sa from;
		ssize_t n;

		memset(&from, 0, sizeof(from));
		from.len = sizeof(from.u);
		n = recvfrom(fd, r->rbuf, RTPE_MAX_MSG + 1, MSG_TRUNC,
		    &from.u.sa, &from.len);
		if (n < 0)
			return; /* EAGAIN, or an ICMP error: the timer copes */
		if ((size_t)n > RTPE_MAX_MSG) {
			count(&r->st_bad);
			continue;
		}
		on_datagram(r, r->rbuf, (size_t)n, &from);
	}
}

/*
 * net/udp.c -- UDP listeners: recvmmsg batches in, sendmmsg batches out.
 *
 * Datagrams larger than the configured message size arrive truncated
 * (MSG_TRUNC) and are dropped with a log line: a partial SIP message
 * must never be parsed as if it were whole.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/metrics.h"
#include "core/log.h"
#include "net/tp_int.h"

#define RATE_WINDOW_MS 10 /* on the loop's clock, read once per wake-up */

/*
 * Interrupt coalescing (udp.coalesce). Every readiness event that
 * drains the sockets costs a wake-up: under a flood of small datagrams,
 * or a few thousand calls a second, each wake-up reads two or three,
 * and the sleeping and waking (and the peers woken by each small send)
 * cost more than the reading. When datagrams arrive fast enough that
 * the longest pause gathers UDP_PACE_MIN_GATHER or more, the loop
 * pauses before its next wait for as long as a full batch takes to
 * arrive (at most the configured pause), then reads whole batches. A
 * pause is itself about one wake-up: gathering only a few more than a
 * wake-up reads anyway does not pay for the delay (REGISTER at 3000/s,
 * 6 datagrams per millisecond, saved no CPU with 1000 us pauses and
 * waited 1.3 ms more). At lower rates nothing changes: no pause, no
 * added delay.
 */
unsigned
udp_pause_us(uint64_t rate, bool drained, unsigned max)
{
	uint64_t us;

	if (!max || !drained || rate * max < UDP_PACE_MIN_GATHER * 1000000ull)
		return 0;
	us = (uint64_t)TP_UDP_BATCH * 1000000 / rate;
	return us < max ? (unsigned)us : max;
}

static void
udp_pace(struct tp *t, unsigned got, bool drained)
{
	unsigned max = t->t_cfg->udp_coalesce_us, us;
	uint64_t now, dt;

	if (!max)
		return;
	now = loop_now(t->t_loop);
	t->t_win_n += got;
	dt = now - t->t_win_t0;
	if (dt >= RATE_WINDOW_MS) {
		t->t_rate = dt < 1000 ? t->t_win_n * 1000 / dt : 0;
		t->t_win_t0 = now;
		t->t_win_n = 0;
	}
	if ((us = udp_pause_us(t->t_rate, drained, max)) == 0)
		return;
	metrics_udp_pause(us);
	loop_linger(t->t_loop, us);
}

static void
udp_read(int fd, unsigned events, void *arg)
{
	struct listener *li = arg;
	struct tp *t = li->li_t;
	unsigned round, got = 0;
	bool drained = true;
	int i, n;

	for (round = 0; round < TP_UDP_ROUNDS; round++) {
		for (i = 0; i < TP_UDP_BATCH; i++) {
			t->t_riov[i].iov_base =
			    t->t_rbuf + (size_t)i * t->t_rslot;
			t->t_riov[i].iov_len = t->t_rslot;
			memset(&t->t_rmsg[i].msg_hdr, 0,
			    sizeof(t->t_rmsg[i].msg_hdr));
			t->t_rmsg[i].msg_hdr.msg_iov = &t->t_riov[i];
			t->t_rmsg[i].msg_hdr.msg_iovlen = 1;
			t->t_rmsg[i].msg_hdr.msg_name = &t->t_rsrc[i].u.ss;
			t->t_rmsg[i].msg_hdr.msg_namelen =
			    sizeof(t->t_rsrc[i].u.ss);
		}
		n = recvmmsg(fd, t->t_rmsg, TP_UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		got += (unsigned)n;
		for (i = 0; i < n; i++)
			t->t_rsrc[i].len = t->t_rmsg[i].msg_hdr.msg_namelen;
		if (t->t_scan)
			t->t_scan(t->t_rsrc, (size_t)n, t->t_rbanned, t->t_arg);
		for (i = 0; i < n; i++) {
			struct tp_rx rx;
			struct sa *src = &t->t_rsrc[i];

			if (t->t_gate &&
			    !t->t_gate(src, SIP_TP_UDP,
				t->t_scan ? t->t_rbanned[i] : -1, t->t_arg))
				continue;
			if ((t->t_rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) ||
			    t->t_rmsg[i].msg_len >
				t->t_cfg->limits.max_msg_size) {
				char a[SA_STRLEN];
				struct log_fields f = { .event = "drop",
					.src = sa_fmt(src, a, sizeof(a)),
					.tp = "udp",
					.reason = REASON_MSG_TOO_BIG };

				metrics_drop(REASON_MSG_TOO_BIG);
				log_event(LOGL_INFO, &f,
				    "datagram larger than "
				    "%zu bytes",
				    t->t_cfg->limits.max_msg_size);
				continue;
			}
			rx.buf = t->t_riov[i].iov_base;
			rx.len = t->t_rmsg[i].msg_len;
			rx.tp = SIP_TP_UDP;
			rx.src = *src;
			rx.local = li->li_addr;
			rx.conn_id = 0;
			t->t_rx(&rx, t->t_arg);
		}
		udp_flush(t);
		if (n < TP_UDP_BATCH)
			break;
	}
	if (round == TP_UDP_ROUNDS)
		drained = false; /* more may wait: no pause */
	udp_pace(t, got, drained);
}

int
udp_listen(struct tp *t, struct listener *li)
{
	int fd, err, sz = 4 << 20;

	if (!t->t_rbuf) {
		/* One spare byte so a datagram of exactly the limit is whole. */
		t->t_rslot = t->t_cfg->limits.max_msg_size + 1;
		t->t_rbuf = malloc(t->t_rslot * TP_UDP_BATCH);
		t->t_out.slot = t->t_cfg->limits.max_msg_size + 1024;
		t->t_out.buf = malloc(t->t_out.slot * TP_UDP_BATCH);
		t->t_out.fd = -1;
		if (!t->t_rbuf || !t->t_out.buf)
			return ENOMEM;
	}
	fd = tp_socket(&li->li_addr, SOCK_DGRAM, true);
	if (fd < 0)
		return errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (bind(fd, &li->li_addr.u.sa, li->li_addr.len) < 0) {
		err = errno;
		close(fd);
		return err;
	}
	err = loop_fd_add(t->t_loop, fd, LOOP_READ, udp_read, li);
	if (err) {
		close(fd);
		return err;
	}
	li->li_fd = fd;
	return 0;
}

void
udp_flush(struct tp *t)
{
	struct udp_out *o = &t->t_out;
	unsigned done = 0;

	while (done < o->n) {
		int r =
		    sendmmsg(o->fd, o->msg + done, o->n - done, MSG_DONTWAIT);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* Drop this one (EAGAIN: socket buffer full). */
			metrics_drop(REASON_SEND_FAILED);
			done++;
			continue;
		}
		done += (unsigned)r;
	}
	o->n = 0;
}

/* The UDP socket to send from: the first listener of the family. */
static int
udp_fd_for(const struct tp *t, int family)
{
	unsigned i;

	for (i = 0; i < t->t_nli; i++)
		if (t->t_li[i].li_tp == SIP_TP_UDP &&
		    sa_family(&t->t_li[i].li_addr) == family)
			return t->t_li[i].li_fd;
	return -1;
}

int
udp_send(struct tp *t, const struct tp_dst *dst, const char *buf, size_t len)
{
	struct udp_out *o = &t->t_out;
	int fd = udp_fd_for(t, sa_family(&dst->addr));
	unsigned i;

	if (fd < 0)
		return EHOSTUNREACH;
	if (len > o->slot)
		return EMSGSIZE;
	if (o->n == TP_UDP_BATCH || (o->n && o->fd != fd))
		udp_flush(t);
	i = o->n++;
	o->fd = fd;
	memcpy(o->buf + (size_t)i * o->slot, buf, len);
	o->dst[i] = dst->addr;
	o->iov[i].iov_base = o->buf + (size_t)i * o->slot;
	o->iov[i].iov_len = len;
	memset(&o->msg[i], 0, sizeof(o->msg[i]));
	o->msg[i].msg_hdr.msg_iov = &o->iov[i];
	o->msg[i].msg_hdr.msg_iovlen = 1;
	o->msg[i].msg_hdr.msg_name = &o->dst[i].u.ss;
	o->msg[i].msg_hdr.msg_namelen = o->dst[i].len;
	return 0;
}

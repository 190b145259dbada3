/*
 * net/stream.c -- TCP and TLS connections: accept and connect, framing
 * by Content-Length (RFC 3261 section 18.3), CRLF keep-alives (RFC 5626
 * section 4.4.1), output queues, per-IP caps and timeouts.
 *
 * Defences: a connection that sends bytes that do not frame as SIP is
 * closed (others are unaffected); a message must complete within
 * tcp.header_timeout of its first byte (slowloris); an idle connection
 * is closed after tcp.idle_timeout; a source may hold at most
 * tcp.max_connections_per_ip connections; a reader too slow to take
 * its output (queue above TP_TX_MAX) is closed.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/metrics.h"
#include "core/log.h"
#include "net/tp_int.h"

static void conn_io(int fd, unsigned events, void *arg);
static void conn_timer(void *arg);

static uint32_t
pow2_at_least(uint32_t n)
{
	uint32_t p = 64;

	while (p < n)
		p <<= 1;
	return p;
}

int
stream_init(struct tp *t)
{
	const struct cfg *cfg = t->t_cfg;

	t->t_nslots = cfg->tcp_max_conns + CFG_MAX_UPSTREAMS * 2 + 16;
	t->t_conns = calloc(t->t_nslots, sizeof(*t->t_conns));
	t->t_addrmask = pow2_at_least(t->t_nslots) - 1;
	t->t_addrhash = calloc(t->t_addrmask + 1, sizeof(*t->t_addrhash));
	t->t_ipmask = t->t_addrmask;
	t->t_iphash = calloc(t->t_ipmask + 1, sizeof(*t->t_iphash));
	if (!t->t_conns || !t->t_addrhash || !t->t_iphash)
		return ENOMEM;
	return 0;
}

static uint32_t
addr_bucket(const struct tp *t, enum sip_transport tp, const struct sa *sa)
{
	return (uint32_t)((sa_hash_addr(sa) ^ ((uint64_t)sa_port(sa) << 7) ^
			      (uint64_t)tp) &
	    t->t_addrmask);
}

static void
addr_link(struct tp *t, struct conn *c)
{
	uint32_t b = addr_bucket(t, c->cn_tp, &c->cn_peer);

	c->cn_hnext = t->t_addrhash[b];
	t->t_addrhash[b] = c;
}

static void
addr_unlink(struct tp *t, struct conn *c)
{
	struct conn **pp =
	    &t->t_addrhash[addr_bucket(t, c->cn_tp, &c->cn_peer)];

	for (; *pp; pp = &(*pp)->cn_hnext)
		if (*pp == c) {
			*pp = c->cn_hnext;
			return;
		}
}

static struct conn *
addr_find(const struct tp *t, enum sip_transport tp, const struct sa *sa)
{
	struct conn *c = t->t_addrhash[addr_bucket(t, tp, sa)];

	for (; c; c = c->cn_hnext)
		if (c->cn_tp == tp && !c->cn_dead && sa_eq(&c->cn_peer, sa))
			return c;
	return NULL;
}

/* Per-IP connection count; delta +1/-1. Returns the new count. */
static unsigned
ip_count(struct tp *t, const struct sa *sa, int delta)
{
	struct ipcount **pp = &t->t_iphash[sa_hash_addr(sa) & t->t_ipmask];
	struct ipcount *ic;

	for (; *pp; pp = &(*pp)->ic_next)
		if (sa_eq_addr(&(*pp)->ic_addr, sa))
			break;
	ic = *pp;
	if (!ic) {
		if (delta <= 0)
			return 0;
		ic = calloc(1, sizeof(*ic));
		if (!ic)
			return UINT32_MAX;
		ic->ic_addr = *sa;
		*pp = ic;
	}
	if (delta > 0)
		ic->ic_n++;
	else if (ic->ic_n > 0)
		ic->ic_n--;
	if (ic->ic_n == 0) {
		*pp = ic->ic_next;
		free(ic);
		return 0;
	}
	return ic->ic_n;
}

struct conn *
stream_conn_get(const struct tp *t, uint64_t id)
{
	uint32_t slot = (uint32_t)(id & 0xffffffffu);
	struct conn *c;

	if (!t->t_conns || id == 0 || slot >= t->t_nslots)
		return NULL;
	c = t->t_conns[slot];
	if (!c || c->cn_id != id || c->cn_dead)
		return NULL;
	return c;
}

static void
conn_log(const struct conn *c, enum log_level lv, const char *event,
    enum reason r, const char *what)
{
	char a[SA_STRLEN];
	struct log_fields f = {
		.event = event, .tp = tp_name_lc(c->cn_tp), .reason = r
	};

	/* Debug lines come with every connection: format none unasked. */
	if (!log_enabled(lv))
		return;
	f.src = sa_fmt(&c->cn_peer, a, sizeof(a));
	log_event(lv, &f, "%s", what);
}

static void
conn_destroy(struct tp *t, struct conn *c)
{
	uint32_t slot = (uint32_t)(c->cn_id & 0xffffffffu);

	loop_timer_cancel(t->t_loop, &c->cn_timer);
	loop_fd_del(t->t_loop, c->cn_fd);
	if (c->cn_ssl) {
		SSL_shutdown(c->cn_ssl);
		SSL_free(c->cn_ssl);
	}
	free(c->cn_tls_peer);
	close(c->cn_fd);
	addr_unlink(t, c);
	if (!c->cn_outgoing)
		ip_count(t, &c->cn_peer, -1);
	if (slot < t->t_nslots && t->t_conns[slot] == c)
		t->t_conns[slot] = NULL;
	t->t_nconns--;
	free(c->cn_rx);
	free(c->cn_tx);
	free(c);
}

/*
 * Close a connection now, or when its read handler returns if it is
 * running (a send from inside the receive callback may fail).
 */
static void
conn_close(struct tp *t, struct conn *c, enum reason r, const char *what)
{
	if (c->cn_dead)
		return;
	if (r != REASON_NONE) {
		conn_log(c, LOGL_INFO, "close", r, what);
		metrics_drop(r);
	} else
		conn_log(c, LOGL_DEBUG, "close", r, what);
	c->cn_dead = true;
	if (!c->cn_busy)
		conn_destroy(t, c);
}

static int
conn_new(struct tp *t, int fd, enum sip_transport tp, const struct sa *peer,
    bool outgoing, struct conn **cp)
{
	struct conn *c;
	uint32_t slot;
	int err;

	for (slot = 0; slot < t->t_nslots; slot++)
		if (!t->t_conns[(t->t_gen + slot) % t->t_nslots])
			break;
	if (slot == t->t_nslots)
		return ENFILE;
	slot = (t->t_gen + slot) % t->t_nslots;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	t->t_gen++;
	c->cn_id = ((uint64_t)(t->t_gen ? t->t_gen : 1) << 32) | slot;
	c->cn_fd = fd;
	c->cn_tp = tp;
	c->cn_peer = *peer;
	c->cn_outgoing = outgoing;
	c->cn_t = t;
	c->cn_born = loop_now(t->t_loop);
	c->cn_last_rx = c->cn_born;
	c->cn_local.len = sizeof(c->cn_local.u.ss);
	getsockname(fd, &c->cn_local.u.sa, &c->cn_local.len);
	err = loop_fd_add(t->t_loop, fd, LOOP_READ, conn_io, c);
	if (err) {
		free(c);
		return err;
	}
	t->t_conns[slot] = c;
	t->t_nconns++;
	addr_link(t, c);
	*cp = c;
	return 0;
}

/* Arm the one timer of a connection at its nearest deadline. */
static void
conn_rearm(struct tp *t, struct conn *c)
{
	const struct cfg *cfg = t->t_cfg;
	uint64_t now = loop_now(t->t_loop), when;

	if (c->cn_state == CONN_CONNECTING)
		when = c->cn_born + cfg->tcp_connect_timeout;
	else if (c->cn_state == CONN_HANDSHAKE)
		when = c->cn_born + cfg->tcp_header_timeout;
	else {
		when = c->cn_last_rx + cfg->tcp_idle_timeout;
		if (c->cn_msg_start &&
		    c->cn_msg_start + cfg->tcp_header_timeout < when)
			when = c->cn_msg_start + cfg->tcp_header_timeout;
	}
	loop_timer_start(t->t_loop, &c->cn_timer, when > now ? when - now : 0,
	    conn_timer, c);
}

static void
conn_timer(void *arg)
{
	struct conn *c = arg;
	struct tp *t = c->cn_t;
	const struct cfg *cfg = t->t_cfg;
	uint64_t now = loop_now(t->t_loop);

	if (c->cn_state == CONN_CONNECTING) {
		conn_close(t, c, REASON_SEND_FAILED, "connect timed out");
		return;
	}
	if (c->cn_state == CONN_HANDSHAKE) {
		conn_close(
		    t, c, REASON_TLS_HANDSHAKE, "TLS handshake timed out");
		return;
	}
	if (c->cn_msg_start &&
	    now >= c->cn_msg_start + cfg->tcp_header_timeout) {
		conn_close(t, c, REASON_HEADER_TIMEOUT,
		    "message not completed in time");
		return;
	}
	if (now >= c->cn_last_rx + cfg->tcp_idle_timeout) {
		conn_close(t, c,
		    c->cn_outgoing ? REASON_NONE : REASON_IDLE_TIMEOUT, "idle");
		return;
	}
	conn_rearm(t, c);
}

/* ---- raw I/O: plain TCP or TLS ---------------------------------- */

/* Read up to cap bytes. >0 bytes, 0 would block, -1 closed/error. */
static ssize_t
conn_recv(struct conn *c, char *buf, size_t cap)
{
	ssize_t n;

	if (c->cn_ssl) {
		int r, e;

		ERR_clear_error();
		r = SSL_read(
		    c->cn_ssl, buf, (int)(cap > INT32_MAX ? INT32_MAX : cap));
		if (r > 0)
			return r;
		e = SSL_get_error(c->cn_ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			return 0;
		if (e == SSL_ERROR_WANT_WRITE) {
			c->cn_want_write = true;
			return 0;
		}
		return -1;
	}
	n = recv(c->cn_fd, buf, cap, 0);
	if (n > 0)
		return n;
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	return -1;
}

/* Write; returns bytes written (maybe 0), -1 on a fatal error. */
static ssize_t
conn_xmit(struct conn *c, const char *buf, size_t len)
{
	ssize_t n;

	if (len == 0)
		return 0;
	if (c->cn_ssl) {
		int r, e;

		ERR_clear_error();
		r = SSL_write(
		    c->cn_ssl, buf, (int)(len > INT32_MAX ? INT32_MAX : len));
		if (r > 0)
			return r;
		e = SSL_get_error(c->cn_ssl, r);
		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
			return 0;
		return -1;
	}
	n = send(c->cn_fd, buf, len, MSG_NOSIGNAL);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	return -1;
}

static int
tx_queue(struct conn *c, const char *buf, size_t len)
{
	if (c->cn_tx_len + len > TP_TX_MAX)
		return ENOBUFS;
	if (c->cn_tx_len + len > c->cn_tx_cap) {
		size_t n = c->cn_tx_cap ? c->cn_tx_cap : 4096;
		char *p;

		while (n < c->cn_tx_len + len)
			n *= 2;
		p = realloc(c->cn_tx, n);
		if (!p)
			return ENOMEM;
		c->cn_tx = p;
		c->cn_tx_cap = n;
	}
	memcpy(c->cn_tx + c->cn_tx_len, buf, len);
	c->cn_tx_len += len;
	return 0;
}

static void
update_events(struct tp *t, struct conn *c)
{
	unsigned ev = LOOP_READ;

	if (c->cn_state == CONN_CONNECTING || c->cn_tx_len || c->cn_want_write)
		ev |= LOOP_WRITE;
	loop_fd_mod(t->t_loop, c->cn_fd, ev);
}

/* Push queued output. Returns 0 or -1 when the connection failed. */
static int
tx_flush(struct tp *t, struct conn *c)
{
	while (c->cn_tx_len) {
		ssize_t n = conn_xmit(c, c->cn_tx, c->cn_tx_len);

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		memmove(c->cn_tx, c->cn_tx + n, c->cn_tx_len - (size_t)n);
		c->cn_tx_len -= (size_t)n;
	}
	if (c->cn_tx_len == 0 && c->cn_tx) { /* drained: no idle buffer */
		free(c->cn_tx);
		c->cn_tx = NULL;
		c->cn_tx_cap = 0;
	}
	update_events(t, c);
	return 0;
}

/* ---- framing ------------------------------------------------------ */

/*
 * Are the n bytes at p a proper prefix of a CRLFCRLF ping ("\r",
 * "\r\n", "\r\n\r")? Such a tail may be a ping split across reads:
 * keep it, and do not start the header timer for it.
 */
static bool
is_ping_prefix(const char *p, size_t n)
{
	return n > 0 && n < 4 && memcmp(p, "\r\n\r", n) == 0;
}

/*
 * Hand every complete message in the receive buffer to the proxy.
 * Returns false when the connection must be closed.
 */
static bool
rx_frames(struct tp *t, struct conn *c)
{
	const struct cfg *cfg = t->t_cfg;
	size_t off = 0;
	bool ok = true;

	while (off < c->cn_rx_len && !c->cn_dead) {
		const char *p = c->cn_rx + off;
		size_t left = c->cn_rx_len - off, msglen;
		int err;

		/* RFC 5626 4.4.1: CRLFCRLF ping gets a CRLF pong. */
		if (left >= 4 && memcmp(p, "\r\n\r\n", 4) == 0) {
			if (c->cn_tx_len + 2 <= TP_TX_MAX) {
				tx_queue(c, "\r\n", 2);
				tx_flush(t, c);
			}
			off += 4;
			continue;
		}
		if (p[0] == '\r' || p[0] == '\n') {
			/*
			 * A lone CRLF keep-alive or a stray line end between
			 * messages. Wait when this may be a split ping.
			 */
			if (left == 1 || is_ping_prefix(p, left))
				break;
			off +=
			    (left >= 2 && p[0] == '\r' && p[1] == '\n') ? 2 : 1;
			continue;
		}
		err = sip_frame(&cfg->limits, p, left, &msglen);
		if (err == EAGAIN) {
			if (!c->cn_msg_start)
				c->cn_msg_start = loop_now(t->t_loop);
			break;
		}
		if (err) {
			conn_close(t, c,
			    err == EMSGSIZE ? REASON_MSG_TOO_BIG :
					      REASON_STREAM_GARBAGE,
			    err == EMSGSIZE ? "message exceeds a limit" :
					      "bytes do not frame as SIP");
			ok = false;
			break;
		}
		c->cn_msg_start = 0;
		{
			struct tp_rx rx;

			rx.buf = p;
			rx.len = msglen;
			rx.tp = c->cn_tp;
			rx.src = c->cn_peer;
			rx.local = c->cn_local;
			rx.conn_id = c->cn_id;
			t->t_rx(&rx, t->t_arg);
		}
		off += msglen;
	}
	if (off) {
		memmove(c->cn_rx, c->cn_rx + off, c->cn_rx_len - off);
		c->cn_rx_len -= off;
		if (c->cn_rx_len == 0 || is_ping_prefix(c->cn_rx, c->cn_rx_len))
			c->cn_msg_start = 0;
		else if (!c->cn_msg_start)
			c->cn_msg_start = loop_now(t->t_loop);
	}
	return ok;
}

static void
conn_read(struct tp *t, struct conn *c)
{
	size_t max = t->t_cfg->limits.max_msg_size + 4;
	unsigned rounds = 0;

	for (;;) {
		ssize_t n;

		if (c->cn_rx_len == c->cn_rx_cap) {
			size_t ncap =
			    c->cn_rx_cap ? c->cn_rx_cap * 2 : TP_RX_INITIAL;
			char *p;

			if (c->cn_rx_cap >= max) {
				conn_close(t, c, REASON_MSG_TOO_BIG,
				    "message exceeds the size limit");
				return;
			}
			if (ncap > max)
				ncap = max;
			p = realloc(c->cn_rx, ncap);
			if (!p) {
				conn_close(
				    t, c, REASON_OVERLOAD, "out of memory");
				return;
			}
			c->cn_rx = p;
			c->cn_rx_cap = ncap;
		}
		n = conn_recv(
		    c, c->cn_rx + c->cn_rx_len, c->cn_rx_cap - c->cn_rx_len);
		if (n < 0) {
			conn_close(t, c, REASON_NONE, "closed by peer");
			return;
		}
		if (n == 0)
			break;
		c->cn_rx_len += (size_t)n;
		c->cn_last_rx = loop_now(t->t_loop);
		if (!rx_frames(t, c) || c->cn_dead)
			return;
		/*
		 * Bound the work one connection gets per event; level-
		 * triggered epoll brings us back. Not for TLS: bytes
		 * OpenSSL already decrypted would not wake epoll.
		 */
		if (!c->cn_ssl && ++rounds >= 8)
			break;
	}
	if (c->cn_dead)
		return;
	/*
	 * Nothing half-read: give the buffer back. An idle connection
	 * (most of them: phones between re-registrations) then costs its
	 * struct conn and the SSL object only (OpenSSL releases its own
	 * buffers too, SSL_MODE_RELEASE_BUFFERS).
	 */
	if (c->cn_rx_len == 0 && c->cn_rx) {
		free(c->cn_rx);
		c->cn_rx = NULL;
		c->cn_rx_cap = 0;
	}
	/*
	 * SSL_read() that wanted to write (a KeyUpdate answer with the
	 * socket full) resumes on POLLOUT, which only a queued reply
	 * would have armed; records OpenSSL read ahead wait for it.
	 */
	if (c->cn_want_write)
		update_events(t, c);
	conn_rearm(t, c);
}

static void
handshake(struct tp *t, struct conn *c)
{
	int r, e;

	ERR_clear_error();
	r = c->cn_outgoing ? SSL_connect(c->cn_ssl) : SSL_accept(c->cn_ssl);
	if (r == 1) {
		c->cn_state = CONN_OPEN;
		c->cn_want_write = false;
		if (!c->cn_outgoing)
			c->cn_tls_peer = tls_peer_id(c->cn_ssl, c->cn_verify);
		conn_log(
		    c, LOGL_DEBUG, "tls", REASON_NONE, "handshake complete");
		if (tx_flush(t, c) < 0) {
			conn_close(t, c, REASON_SEND_FAILED, "write failed");
			return;
		}
		conn_rearm(t, c);
		conn_read(t, c);
		return;
	}
	e = SSL_get_error(c->cn_ssl, r);
	if (e == SSL_ERROR_WANT_READ) {
		c->cn_want_write = false;
		update_events(t, c);
		return;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		c->cn_want_write = true;
		update_events(t, c);
		return;
	}
	conn_close(t, c, REASON_TLS_HANDSHAKE, "TLS handshake failed");
}

static void
connected(struct tp *t, struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->cn_fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
		conn_close(t, c, REASON_SEND_FAILED, "connect failed");
		return;
	}
	c->cn_local.len = sizeof(c->cn_local.u.ss);
	getsockname(c->cn_fd, &c->cn_local.u.sa, &c->cn_local.len);
	if (c->cn_ssl) {
		c->cn_state = CONN_HANDSHAKE;
		c->cn_born = loop_now(t->t_loop);
		conn_rearm(t, c);
		handshake(t, c);
		return;
	}
	c->cn_state = CONN_OPEN;
	conn_rearm(t, c);
	if (tx_flush(t, c) < 0)
		conn_close(t, c, REASON_SEND_FAILED, "write failed");
}

static void
conn_io(int fd, unsigned events, void *arg)
{
	struct conn *c = arg;
	struct tp *t = c->cn_t;

	c->cn_busy = true;
	if (c->cn_state == CONN_CONNECTING) {
		if (events & (LOOP_WRITE | LOOP_READ))
			connected(t, c);
	} else if (c->cn_state == CONN_HANDSHAKE) {
		handshake(t, c);
	} else {
		/* An SSL_read() that wanted to write resumes on POLLOUT. */
		bool read_again =
		    c->cn_ssl && c->cn_want_write && (events & LOOP_WRITE);

		if ((events & LOOP_WRITE) && !c->cn_dead) {
			c->cn_want_write = false;
			if (tx_flush(t, c) < 0)
				conn_close(
				    t, c, REASON_SEND_FAILED, "write failed");
		}
		if (((events & LOOP_READ) || read_again) && !c->cn_dead)
			conn_read(t, c);
	}
	c->cn_busy = false;
	if (c->cn_dead)
		conn_destroy(t, c);
}

/* ---- accept and connect ------------------------------------------ */

static void
listener_resume(void *arg)
{
	struct listener *li = arg;

	loop_fd_mod(li->li_t->t_loop, li->li_fd, LOOP_READ);
}

static void
stream_accept(int fd, unsigned events, void *arg)
{
	struct listener *li = arg;
	struct tp *t = li->li_t;
	const struct cfg *cfg = t->t_cfg;
	unsigned budget = 64;

	while (budget--) {
		struct sa peer;
		struct conn *c;
		char a[SA_STRLEN];
		int cfd, on = 1;

		peer.len = sizeof(peer.u.ss);
		cfd = accept4(
		    fd, &peer.u.sa, &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* Pause instead of spinning (relayd). */
				log_warn("accept on %s: %s; pausing 100 ms",
				    sa_fmt(&li->li_addr, a, sizeof(a)),
				    strerror(errno));
				loop_fd_mod(t->t_loop, fd, 0);
				loop_timer_start(t->t_loop, &li->li_pause, 100,
				    listener_resume, li);
			}
			return;
		}
		if (t->t_gate && !t->t_gate(&peer, li->li_tp, -1, t->t_arg)) {
			close(cfd);
			continue;
		}
		if (t->t_nconns >= cfg->tcp_max_conns) {
			struct log_fields f = { .event = "reject",
				.src = sa_fmt(&peer, a, sizeof(a)),
				.tp = tp_name_lc(li->li_tp),
				.reason = REASON_CONN_LIMIT };

			log_event(LOGL_WARN, &f, "connection table full (%u)",
			    cfg->tcp_max_conns);
			metrics_drop(REASON_CONN_LIMIT);
			close(cfd);
			continue;
		}
		if (ip_count(t, &peer, +1) > cfg->tcp_max_conns_per_ip) {
			struct log_fields f = { .event = "reject",
				.src = sa_fmt(&peer, a, sizeof(a)),
				.tp = tp_name_lc(li->li_tp),
				.reason = REASON_CONN_LIMIT };

			ip_count(t, &peer, -1);
			log_event(LOGL_INFO, &f,
			    "more than %u connections "
			    "from this address",
			    cfg->tcp_max_conns_per_ip);
			metrics_drop(REASON_CONN_LIMIT);
			close(cfd);
			continue;
		}
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		if (conn_new(t, cfd, li->li_tp, &peer, false, &c)) {
			ip_count(t, &peer, -1);
			close(cfd);
			continue;
		}
		c->cn_state = CONN_OPEN;
		if (li->li_tp == SIP_TP_TLS) {
			c->cn_ssl = tls_new_server(t, li);
			c->cn_verify = t->t_cfg->tls.profiles[li->li_profile]
					   .verify_client;
			if (!c->cn_ssl || !SSL_set_fd(c->cn_ssl, cfd)) {
				conn_close(t, c, REASON_OVERLOAD, "SSL_new");
				continue;
			}
			c->cn_state = CONN_HANDSHAKE;
		}
		conn_log(
		    c, LOGL_DEBUG, "accept", REASON_NONE, "new connection");
		conn_rearm(t, c);
	}
}

int
stream_listen(struct tp *t, struct listener *li)
{
	int fd, err;

	fd = tp_socket(&li->li_addr, SOCK_STREAM, false);
	if (fd < 0)
		return errno;
	if (bind(fd, &li->li_addr.u.sa, li->li_addr.len) < 0 ||
	    listen(fd, 1024) < 0) {
		err = errno;
		close(fd);
		return err;
	}
	err = loop_fd_add(t->t_loop, fd, LOOP_READ, stream_accept, li);
	if (err) {
		close(fd);
		return err;
	}
	li->li_fd = fd;
	return 0;
}

static int
stream_connect(struct tp *t, enum sip_transport tp, const struct sa *addr,
    struct conn **cp)
{
	struct conn *c;
	int fd, err, on = 1;

	if (tp == SIP_TP_TLS && !t->t_tls)
		return EHOSTUNREACH;
	fd = socket(
	    sa_family(addr), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (connect(fd, &addr->u.sa, addr->len) < 0 && errno != EINPROGRESS) {
		err = errno;
		close(fd);
		return err;
	}
	err = conn_new(t, fd, tp, addr, true, &c);
	if (err) {
		close(fd);
		return err;
	}
	c->cn_state = CONN_CONNECTING;
	if (tp == SIP_TP_TLS) {
		c->cn_ssl = tls_new_client(t, addr);
		if (!c->cn_ssl || !SSL_set_fd(c->cn_ssl, fd)) {
			conn_close(t, c, REASON_OVERLOAD, "SSL_new");
			return ENOMEM;
		}
		SSL_set_connect_state(c->cn_ssl);
	}
	update_events(t, c);
	conn_rearm(t, c);
	*cp = c;
	return 0;
}

int
stream_send(struct tp *t, const struct tp_dst *dst, const char *buf, size_t len)
{
	struct conn *c = NULL;
	int err;

	if (!t->t_conns)
		return EHOSTUNREACH;
	if (dst->conn_id)
		c = stream_conn_get(t, dst->conn_id);
	if (!c && dst->addr.len)
		c = addr_find(t, dst->tp, &dst->addr);
	if (!c) {
		if (!dst->addr.len)
			return ENOTCONN;
		err = stream_connect(t, dst->tp, &dst->addr, &c);
		if (err)
			return err;
	}
	if (c->cn_state != CONN_OPEN || c->cn_tx_len) {
		if (tx_queue(c, buf, len))
			return ENOBUFS;
		update_events(t, c);
		return 0;
	}
	while (len) {
		ssize_t n = conn_xmit(c, buf, len);

		if (n < 0) {
			conn_close(t, c, REASON_SEND_FAILED, "write failed");
			return EPIPE;
		}
		if (n == 0)
			break;
		buf += n;
		len -= (size_t)n;
	}
	if (len) {
		if (tx_queue(c, buf, len)) {
			conn_close(t, c, REASON_OVERLOAD,
			    "output queue full (slow reader)");
			return ENOBUFS;
		}
		update_events(t, c);
	}
	return 0;
}

void
stream_fini(struct tp *t)
{
	uint32_t i;

	if (t->t_conns)
		for (i = 0; i < t->t_nslots; i++)
			if (t->t_conns[i])
				conn_destroy(t, t->t_conns[i]);
	if (t->t_iphash)
		for (i = 0; i <= t->t_ipmask; i++)
			while (t->t_iphash[i]) {
				struct ipcount *ic = t->t_iphash[i];

				t->t_iphash[i] = ic->ic_next;
				free(ic);
			}
	free(t->t_conns);
	free(t->t_addrhash);
	free(t->t_iphash);
	t->t_conns = NULL;
}

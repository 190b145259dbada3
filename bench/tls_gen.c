/*
 * bench/tls_gen.c -- TLS load generator for bench/tls.sh: handshakes,
 * REGISTER with digest over TLS, and idle connections held open.
 *
 * One thread, one epoll loop, CONC connections in flight; every
 * connection is non-blocking and binds its own source address, taken in
 * turn from NSRC loopback addresses from SRC on (the servers cap
 * connections per source address, and each source has its own
 * ephemeral ports). The client does not verify the server's
 * certificate chain (the signature of the handshake is still checked):
 * the figures are the servers' cost, not the client's.
 *
 * Modes:
 *   hs    connect, TLS handshake, close; again until COUNT handshakes or
 *         SECS seconds. --resume none: every handshake is full (the
 *         client offers no session). ticket: the client offers the last
 *         session it got on its slot (TLS 1.3 PSK ticket, or a TLS 1.2
 *         ticket); id: TLS 1.2 session IDs (the client asks for no
 *         ticket, the server must keep a session cache). Every
 *         TLS 1.3 connection waits for the new session (the ticket
 *         comes after the handshake; tickets are single use) before it
 *         closes with a close_notify (without one, neither side may
 *         resume it). Connections still busy 5 s after SECS fail.
 *         Counts full and resumed handshakes apart (SSL_session_reused).
 *   reg   REGISTER with digest over TLS: per connection PER_CONN
 *         registrations (0: persistent, never reconnects), each
 *         REGISTER, 401, REGISTER with Authorization (MD5, qop=auth),
 *         200, then a new connection (resumed with --resume ticket|id).
 *         Accounts from a SIPp injection file ("user;secret;k"), in
 *         turn. Counts registrations and their REGISTER -> 200 times.
 *   idle  open COUNT connections (at most CONC handshakes in flight),
 *         then keep only their sockets: no TLS object, no traffic
 *         (nothing is sent, not even a close_notify). Writes "held=N" to
 *         READY when all are up, holds them until HOLD seconds passed
 *         or SIGTERM/SIGINT, then counts the ones the server closed.
 *
 * Bounded: COUNT and SECS (<= 3600) always; a connection that makes no
 * progress for 10 s fails. The target must be a loopback address.
 *
 * Prints one line of key=value: mode handshakes full resumed failed
 * regs reg_failed elapsed_s hs_rate reg_rate reg_p50_ms reg_p99_ms
 * held closed_by_server cpu_s (this process's user+system seconds).
 *
 * Usage: tls_gen -t IP:PORT -m hs|reg|idle [-v 1.2|1.3] [-R none|ticket|id]
 *            [-c CONC] [-n COUNT] [-d SECS] [-s SRC] [-S NSRC]
 *            [-a ACCOUNTS.csv] [-k PER_CONN] [-D DOMAIN] [-H HOLD]
 *            [-r READY]
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#define GEN_RX 8192
#define GEN_TX 2048
#define GEN_STALL_MS 10000
#define GEN_SECS_MAX 3600

enum gen_mode {
	M_HS,
	M_REG,
	M_IDLE
};

enum gen_resume {
	R_NONE,
	R_TICKET,
	R_ID
};

enum cstate {
	C_FREE,
	C_CONNECT,
	C_HANDSHAKE,
	C_TICKET, /* waiting for the session of a TLS 1.3 server */
	C_REG1, /* REGISTER sent, waiting for 401 */
	C_REG2, /* REGISTER with credentials sent, waiting for 200 */
	C_HELD
};

struct gconn {
	int fd;
	enum cstate st;
	SSL *ssl;
	unsigned slot;
	bool got_session;
	uint64_t t_progress; /* ms */
	uint64_t t_reg; /* us: the REGISTER with credentials */
	unsigned regs_left;
	unsigned acct;
	unsigned reg_seq;
	char rx[GEN_RX];
	size_t rxlen;
	char tx[GEN_TX];
	size_t txlen, txoff;
};

struct account {
	char *user;
	char *secret;
};

static struct {
	enum gen_mode mode;
	enum gen_resume resume;
	int tls_max;
	struct sockaddr_in dst;
	char dst_host[64];
	unsigned port;
	unsigned conc, count, secs, nsrc, per_conn, hold;
	struct in_addr src;
	const char *accounts, *domain, *ready;
} opt = { .mode = M_HS,
	.resume = R_NONE,
	.tls_max = TLS1_3_VERSION,
	.conc = 50,
	.count = 1000000,
	.secs = 10,
	.nsrc = 100,
	.per_conn = 0,
	.hold = 30,
	.domain = "centinela.local" };

static struct {
	uint64_t handshakes, full, resumed, failed, regs, reg_failed;
	uint64_t started, closed_by_server, held;
} st;

static SSL_CTX *ctx;
static SSL_SESSION **sessions; /* one per slot */
static struct gconn *conns;
static struct account *accts;
static unsigned naccts, next_acct, next_src;
static uint32_t *reg_us; /* REGISTER -> 200 times, microseconds */
static size_t nreg_us, cap_reg_us;
static int ep;
static volatile sig_atomic_t stop_flag;
static char tag0[16];

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t
now_ms(void)
{
	return now_us() / 1000u;
}

static void
on_signal(int sig)
{
	stop_flag = 1;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: tls_gen -t IP:PORT -m hs|reg|idle [-v 1.2|1.3] "
	    "[-R none|ticket|id]\n"
	    "           [-c CONC] [-n COUNT] [-d SECS] [-s SRC] [-S NSRC] "
	    "[-a ACCOUNTS.csv]\n"
	    "           [-k PER_CONN] [-D DOMAIN] [-H HOLD] [-r READY]\n");
	exit(2);
}

static unsigned
num_arg(const char *s, unsigned lo, unsigned hi, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi) {
		fprintf(stderr, "tls_gen: %s: \"%s\" not in %u..%u\n", what, s,
		    lo, hi);
		exit(2);
	}
	return (unsigned)v;
}

/* ---- accounts and digest ------------------------------------------ */

static void
load_accounts(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	unsigned cap = 0;

	if (!f) {
		fprintf(stderr, "tls_gen: cannot open %s\n", path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		char *semi, *semi2;

		line[strcspn(line, "\r\n")] = '\0';
		semi = strchr(line, ';');
		if (!semi)
			continue; /* "SEQUENTIAL" */
		*semi = '\0';
		semi2 = strchr(semi + 1, ';');
		if (semi2)
			*semi2 = '\0';
		if (naccts == cap) {
			cap = cap ? cap * 2 : 1024;
			accts = realloc(accts, cap * sizeof(*accts));
			if (!accts)
				exit(1);
		}
		accts[naccts].user = strdup(line);
		accts[naccts].secret = strdup(semi + 1);
		if (!accts[naccts].user || !accts[naccts].secret)
			exit(1);
		naccts++;
	}
	fclose(f);
	if (naccts == 0) {
		fprintf(stderr, "tls_gen: no accounts in %s\n", path);
		exit(1);
	}
}

static void
md5_hex(char out[33], const char *s)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0, i;

	EVP_Digest(s, strlen(s), md, &n, EVP_md5(), NULL);
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The value of parameter "name" in a Digest challenge, into out. */
static bool
chal_param(const char *ch, size_t len, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name), i;

	for (i = 0; i + nl + 1 < len; i++) {
		const char *p = ch + i, *e;
		size_t vl;

		if ((i && ch[i - 1] != ' ' && ch[i - 1] != ',') ||
		    strncasecmp(p, name, nl) != 0 || p[nl] != '=')
			continue;
		p += nl + 1;
		if (*p == '"') {
			e = memchr(p + 1, '"', (size_t)(ch + len - p - 1));
			if (!e)
				return false;
			p++;
		} else {
			e = p;
			while (e < ch + len && *e != ',' && *e != '\r')
				e++;
		}
		vl = (size_t)(e - p);
		if (vl >= cap)
			return false;
		memcpy(out, p, vl);
		out[vl] = '\0';
		return true;
	}
	return false;
}

/* A header's value in a response (case-insensitive name), or NULL. */
static const char *
hdr_find(const char *msg, size_t len, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *p = msg, *end = msg + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			return NULL;
		if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 &&
		    p[nl] == ':') {
			const char *v = p + nl + 1;

			while (v < eol && *v == ' ')
				v++;
			*vlen = (size_t)(eol - v);
			if (*vlen && v[*vlen - 1] == '\r')
				(*vlen)--;
			return v;
		}
		p = eol + 1;
	}
	return NULL;
}

/* ---- connections ------------------------------------------------------ */

static void
conn_events(struct gconn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
}

static int
new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct gconn *c = SSL_get_app_data(ssl);

	if (!c || opt.resume == R_NONE)
		return 0;
	if (sessions[c->slot])
		SSL_SESSION_free(sessions[c->slot]);
	sessions[c->slot] = sess;
	c->got_session = true;
	return 1; /* we keep the reference */
}

static void conn_start(struct gconn *c);

static bool
budget_left(uint64_t t_end)
{
	if (stop_flag || now_ms() >= t_end)
		return false;
	if (opt.mode == M_REG)
		return st.regs + st.reg_failed < opt.count;
	return st.started < opt.count;
}

static uint64_t t_end_ms;

static void
conn_end(struct gconn *c, bool failed)
{
	if (failed) {
		st.failed++;
		if (c->st == C_REG1 || c->st == C_REG2)
			st.reg_failed++;
	}
	if (c->ssl) {
		/*
		 * A session closed without close_notify is not resumable
		 * (OpenSSL drops it on both sides): send ours, once, without
		 * waiting for the server's.
		 */
		if (!failed && c->st != C_CONNECT)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->st = C_FREE;
	if (opt.mode != M_IDLE && budget_left(t_end_ms))
		conn_start(c);
}

static void
conn_start(struct gconn *c)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct epoll_event e = { .events = EPOLLOUT, .data.ptr = c };
	int on = 1;

	st.started++;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		fprintf(stderr, "tls_gen: socket: %s\n", strerror(errno));
		stop_flag = 1;
		st.failed++;
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	/* The port is picked at connect(), per (source, destination). */
	setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof(on));
	src.sin_addr.s_addr =
	    htonl(ntohl(opt.src.s_addr) + next_src++ % opt.nsrc);
	if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
	    (connect(c->fd, (struct sockaddr *)&opt.dst, sizeof(opt.dst)) < 0 &&
		errno != EINPROGRESS)) {
		fprintf(stderr, "tls_gen: connect: %s\n", strerror(errno));
		close(c->fd);
		c->fd = -1;
		st.failed++;
		stop_flag = 1;
		return;
	}
	c->st = C_CONNECT;
	c->rxlen = c->txlen = c->txoff = 0;
	c->got_session = false;
	c->regs_left = opt.per_conn;
	c->t_progress = now_ms();
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e);
}

/* Write the queued request; false on a fatal error. */
static bool
tx_push(struct gconn *c)
{
	while (c->txoff < c->txlen) {
		int r = SSL_write(
		    c->ssl, c->tx + c->txoff, (int)(c->txlen - c->txoff));

		if (r <= 0) {
			int e = SSL_get_error(c->ssl, r);

			if (e == SSL_ERROR_WANT_WRITE) {
				conn_events(c, EPOLLIN | EPOLLOUT);
				return true;
			}
			if (e == SSL_ERROR_WANT_READ)
				return true;
			return false;
		}
		c->txoff += (size_t)r;
	}
	c->txlen = c->txoff = 0;
	conn_events(c, EPOLLIN);
	return true;
}

/* Queue REGISTER number "n" (1 or 2) of the current registration. */
static void
reg_build(struct gconn *c, unsigned n, const char *auth)
{
	const struct account *a = &accts[c->acct];
	int len;

	len = snprintf(c->tx, sizeof(c->tx),
	    "REGISTER sip:%s SIP/2.0\r\n"
	    "Via: SIP/2.0/TLS "
	    "127.0.0.1:5061;branch=z9hG4bK%s.%u.%u.%u;rport\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: <sip:%s@%s>;tag=%s%u\r\n"
	    "To: <sip:%s@%s>\r\n"
	    "Call-ID: %s-%u-%u@tls_gen\r\n"
	    "CSeq: %u REGISTER\r\n"
	    "Contact: <sip:%s-t@127.0.0.1:5061;transport=tls>\r\n"
	    "Expires: 3600\r\n"
	    "User-Agent: centinela-bench-tls_gen\r\n"
	    "%s"
	    "Content-Length: 0\r\n\r\n",
	    opt.domain, tag0, (unsigned)(c - conns), c->reg_seq, n, a->user,
	    opt.domain, tag0, c->reg_seq, a->user, opt.domain, tag0,
	    (unsigned)(c - conns), c->reg_seq, n, a->user, auth ? auth : "");
	c->txlen = len > 0 && (size_t)len < sizeof(c->tx) ? (size_t)len : 0;
	c->txoff = 0;
}

static bool
reg_next(struct gconn *c)
{
	c->acct = next_acct++ % naccts;
	c->reg_seq++;
	reg_build(c, 1, NULL);
	c->st = C_REG1;
	return tx_push(c);
}

static void
reg_time(uint64_t us)
{
	if (nreg_us == cap_reg_us) {
		size_t n = cap_reg_us ? cap_reg_us * 2 : 65536;
		uint32_t *p = realloc(reg_us, n * sizeof(*p));

		if (!p)
			return;
		reg_us = p;
		cap_reg_us = n;
	}
	reg_us[nreg_us++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/*
 * One complete response of "len" bytes at c->rx. Returns false when
 * the connection must end (failed or done).
 */
static bool
on_response(struct gconn *c, const char *m, size_t len, bool *done)
{
	char realm[128], nonce[256], opaque[256], auth[1024], ha1[33], ha2[33],
	    resp[33], buf[800], cnonce[17];
	const char *v;
	size_t vl;
	unsigned code;
	const struct account *a = &accts[c->acct];

	*done = false;
	if (len < 12 || strncmp(m, "SIP/2.0 ", 8) != 0)
		return false;
	code = (unsigned)(m[8] - '0') * 100 + (unsigned)(m[9] - '0') * 10 +
	    (unsigned)(m[10] - '0');
	if (code < 200)
		return true;
	if (c->st == C_REG1 && code == 401) {
		v = hdr_find(m, len, "WWW-Authenticate", &vl);
		if (!v || vl < 7 || strncasecmp(v, "Digest ", 7) != 0 ||
		    !chal_param(v, vl, "realm", realm, sizeof(realm)) ||
		    !chal_param(v, vl, "nonce", nonce, sizeof(nonce)))
			return false;
		if (!chal_param(v, vl, "opaque", opaque, sizeof(opaque)))
			opaque[0] = '\0';
		snprintf(cnonce, sizeof(cnonce), "%08x%08x", (unsigned)rand(),
		    (unsigned)rand());
		snprintf(
		    buf, sizeof(buf), "%s:%s:%s", a->user, realm, a->secret);
		md5_hex(ha1, buf);
		snprintf(buf, sizeof(buf), "REGISTER:sip:%s", opt.domain);
		md5_hex(ha2, buf);
		snprintf(buf, sizeof(buf), "%s:%s:00000001:%s:auth:%s", ha1,
		    nonce, cnonce, ha2);
		md5_hex(resp, buf);
		snprintf(auth, sizeof(auth),
		    "Authorization: Digest username=\"%s\", realm=\"%s\", "
		    "nonce=\"%s\", uri=\"sip:%s\", response=\"%s\", "
		    "algorithm=MD5, qop=auth, nc=00000001, cnonce=\"%s\"%s%s%s"
		    "\r\n",
		    a->user, realm, nonce, opt.domain, resp, cnonce,
		    opaque[0] ? ", opaque=\"" : "", opaque,
		    opaque[0] ? "\"" : "");
		reg_build(c, 2, auth);
		c->st = C_REG2;
		c->t_reg = now_us();
		return tx_push(c);
	}
	if (c->st == C_REG2 && code == 200) {
		st.regs++;
		reg_time(now_us() - c->t_reg);
		if (opt.per_conn && --c->regs_left == 0) {
			*done = true;
			return false;
		}
		if (!budget_left(t_end_ms)) {
			*done = true;
			return false;
		}
		return reg_next(c);
	}
	return false;
}

/* Frame responses by Content-Length; false when the connection ends. */
static bool
rx_frames(struct gconn *c, bool *done)
{
	size_t off = 0;
	bool ok = true;

	*done = false;
	while (ok && off < c->rxlen) {
		const char *p = c->rx + off, *hend, *v;
		size_t left = c->rxlen - off, vl, hl, bl = 0;

		hend = memmem(p, left, "\r\n\r\n", 4);
		if (!hend)
			break;
		hl = (size_t)(hend - p) + 4;
		v = hdr_find(p, hl, "Content-Length", &vl);
		if (!v)
			v = hdr_find(p, hl, "l", &vl);
		if (v)
			bl = strtoul(v, NULL, 10);
		if (left < hl + bl)
			break;
		ok = on_response(c, p, hl + bl, done);
		off += hl + bl;
	}
	if (ok && off) {
		memmove(c->rx, c->rx + off, c->rxlen - off);
		c->rxlen -= off;
	}
	return ok;
}

static void
handshake_done(struct gconn *c)
{
	st.handshakes++;
	if (SSL_session_reused(c->ssl))
		st.resumed++;
	else
		st.full++;
	c->t_progress = now_ms();
	switch (opt.mode) {
	case M_HS:
		/*
		 * TLS 1.3 sends the session (ticket) after the handshake:
		 * wait for it. Its sessions are single use (OpenSSL's client
		 * marks one it resumed not resumable, as RFC 8446 appendix
		 * C.4 advises), so a resumed TLS 1.3 connection waits for its
		 * new ticket too, as real clients do. TLS 1.2 has given its
		 * session during the handshake, if the server gave one, and
		 * a resumed TLS 1.2 session stays usable.
		 */
		if (opt.resume != R_NONE && !c->got_session &&
		    SSL_version(c->ssl) == TLS1_3_VERSION) {
			c->st = C_TICKET;
			conn_events(c, EPOLLIN);
			return;
		}
		conn_end(c, false);
		return;
	case M_IDLE:
		/*
		 * Keep the socket only: SSL_free() sends nothing and leaves
		 * the descriptor open (SSL_set_fd's BIO does not own it).
		 */
		SSL_free(c->ssl);
		c->ssl = NULL;
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		c->st = C_HELD;
		st.held++;
		return;
	case M_REG:
		if (!reg_next(c))
			conn_end(c, true);
		return;
	}
}

static void
drive(struct gconn *c, uint32_t ev)
{
	int r, e;

	if (c->st == C_CONNECT) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 ||
		    err) {
			conn_end(c, true);
			return;
		}
		c->ssl = SSL_new(ctx);
		if (!c->ssl || !SSL_set_fd(c->ssl, c->fd)) {
			conn_end(c, true);
			return;
		}
		SSL_set_app_data(c->ssl, c);
		SSL_set_tlsext_host_name(c->ssl, "localhost");
		if (opt.resume != R_NONE && sessions[c->slot])
			SSL_set_session(c->ssl, sessions[c->slot]);
		c->st = C_HANDSHAKE;
	}
	if (c->st == C_HANDSHAKE) {
		ERR_clear_error();
		r = SSL_connect(c->ssl);
		if (r == 1) {
			handshake_done(c);
			return;
		}
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			conn_events(c, EPOLLIN);
		else if (e == SSL_ERROR_WANT_WRITE)
			conn_events(c, EPOLLOUT);
		else
			conn_end(c, true);
		return;
	}
	if ((ev & EPOLLOUT) && c->txlen && !tx_push(c)) {
		conn_end(c, true);
		return;
	}
	/* C_TICKET, C_REG1, C_REG2: read what the server sent. */
	for (;;) {
		bool done = false;

		ERR_clear_error();
		r = SSL_read(c->ssl, c->rx + c->rxlen,
		    (int)(sizeof(c->rx) - c->rxlen - 1));
		if (r <= 0) {
			e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ)
				break;
			if (e == SSL_ERROR_WANT_WRITE) {
				conn_events(c, EPOLLIN | EPOLLOUT);
				break;
			}
			conn_end(c, true);
			return;
		}
		c->t_progress = now_ms();
		if (c->st == C_TICKET)
			continue; /* application data is not expected */
		c->rxlen += (size_t)r;
		if (!rx_frames(c, &done)) {
			conn_end(c, !done);
			return;
		}
		if (c->rxlen >= sizeof(c->rx) - 1) {
			conn_end(c, true);
			return;
		}
	}
	if (c->st == C_TICKET && c->got_session) {
		conn_end(c, false);
		return;
	}
}

/* Connections that made no progress for GEN_STALL_MS fail. */
static void
reap_stalled(unsigned n)
{
	uint64_t t = now_ms();
	unsigned i;

	for (i = 0; i < n; i++)
		if (conns[i].st != C_FREE && conns[i].st != C_HELD &&
		    t - conns[i].t_progress > GEN_STALL_MS)
			conn_end(&conns[i], true);
}

static unsigned
in_flight(unsigned n)
{
	unsigned i, k = 0;

	for (i = 0; i < n; i++)
		if (conns[i].st != C_FREE && conns[i].st != C_HELD)
			k++;
	return k;
}

static void
run_loop(unsigned nconns, bool idle_open)
{
	struct epoll_event evs[256];
	uint64_t last_reap = now_ms();
	unsigned next_open = 0;

	for (;;) {
		int n, i;

		if (idle_open) {
			/* Open the next ones, CONC handshakes at a time. */
			while (next_open < nconns &&
			    in_flight(next_open) < opt.conc && !stop_flag &&
			    now_ms() < t_end_ms) {
				conns[next_open].slot = next_open % opt.conc;
				conn_start(&conns[next_open++]);
			}
			if (in_flight(next_open) == 0 &&
			    (next_open == nconns || stop_flag ||
				now_ms() >= t_end_ms))
				return;
		} else if (in_flight(nconns) == 0)
			return;
		n = epoll_wait(ep, evs, 256, 100);
		if (n < 0 && errno != EINTR)
			return;
		for (i = 0; i < n; i++) {
			struct gconn *c = evs[i].data.ptr;

			if (c->st != C_FREE && c->st != C_HELD)
				drive(c, evs[i].events);
		}
		if (now_ms() - last_reap > 500) {
			reap_stalled(idle_open ? next_open : nconns);
			last_reap = now_ms();
		}
		/* Past the deadline: stop the ones still in flight. */
		if (!idle_open && (stop_flag || now_ms() >= t_end_ms + 5000))
			for (i = 0; i < (int)nconns; i++)
				if (conns[i].st != C_FREE)
					conn_end(
					    &conns[i], conns[i].st != C_TICKET);
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct_ms(double p)
{
	size_t i;

	if (nreg_us == 0)
		return 0;
	i = (size_t)((double)nreg_us * p);
	if (i >= nreg_us)
		i = nreg_us - 1;
	return reg_us[i] / 1000.0;
}

/* Hold the idle sockets; then count those the server closed. */
static void
hold_idle(unsigned n)
{
	uint64_t until = now_ms() + (uint64_t)opt.hold * 1000u;
	unsigned i;
	char buf[4096];

	if (opt.ready) {
		FILE *f = fopen(opt.ready, "w");

		if (f) {
			fprintf(f, "held=%llu failed=%llu\n",
			    (unsigned long long)st.held,
			    (unsigned long long)st.failed);
			fclose(f);
		}
	}
	while (!stop_flag && now_ms() < until)
		usleep(100000);
	for (i = 0; i < n; i++) {
		ssize_t r;

		if (conns[i].st != C_HELD)
			continue;
		/* Drain what arrived (TLS 1.3 tickets); 0 = closed. */
		while (
		    (r = recv(conns[i].fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			;
		if (r == 0 || (r < 0 && errno != EAGAIN))
			st.closed_by_server++;
		close(conns[i].fd);
		conns[i].fd = -1;
		conns[i].st = C_FREE;
	}
}

int
main(int argc, char **argv)
{
	struct rusage ru;
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t t0;
	double el;
	unsigned nconns;
	int o;
	char *colon;

	while ((o = getopt(argc, argv, "t:m:v:R:c:n:d:s:S:a:k:D:H:r:")) != -1) {
		switch (o) {
		case 't':
			snprintf(
			    opt.dst_host, sizeof(opt.dst_host), "%s", optarg);
			colon = strrchr(opt.dst_host, ':');
			if (!colon)
				usage();
			*colon = '\0';
			opt.port = num_arg(colon + 1, 1, 65535, "port");
			opt.dst.sin_family = AF_INET;
			opt.dst.sin_port = htons((uint16_t)opt.port);
			if (inet_pton(AF_INET, opt.dst_host,
				&opt.dst.sin_addr) != 1 ||
			    (ntohl(opt.dst.sin_addr.s_addr) >> 24) != 127) {
				fprintf(stderr,
				    "tls_gen: the target must be 127.x.y.z\n");
				exit(2);
			}
			break;
		case 'm':
			if (strcmp(optarg, "hs") == 0)
				opt.mode = M_HS;
			else if (strcmp(optarg, "reg") == 0)
				opt.mode = M_REG;
			else if (strcmp(optarg, "idle") == 0)
				opt.mode = M_IDLE;
			else
				usage();
			break;
		case 'v':
			if (strcmp(optarg, "1.2") == 0)
				opt.tls_max = TLS1_2_VERSION;
			else if (strcmp(optarg, "1.3") == 0)
				opt.tls_max = TLS1_3_VERSION;
			else
				usage();
			break;
		case 'R':
			if (strcmp(optarg, "none") == 0)
				opt.resume = R_NONE;
			else if (strcmp(optarg, "ticket") == 0)
				opt.resume = R_TICKET;
			else if (strcmp(optarg, "id") == 0)
				opt.resume = R_ID;
			else
				usage();
			break;
		case 'c':
			opt.conc = num_arg(optarg, 1, 10000, "-c");
			break;
		case 'n':
			opt.count = num_arg(optarg, 1, 100000000, "-n");
			break;
		case 'd':
			opt.secs = num_arg(optarg, 1, GEN_SECS_MAX, "-d");
			break;
		case 's':
			if (inet_pton(AF_INET, optarg, &opt.src) != 1 ||
			    (ntohl(opt.src.s_addr) >> 24) != 127)
				usage();
			break;
		case 'S':
			opt.nsrc = num_arg(optarg, 1, 60000, "-S");
			break;
		case 'a':
			opt.accounts = optarg;
			break;
		case 'k':
			opt.per_conn = num_arg(optarg, 0, 1000000, "-k");
			break;
		case 'D':
			opt.domain = optarg;
			break;
		case 'H':
			opt.hold = num_arg(optarg, 0, GEN_SECS_MAX, "-H");
			break;
		case 'r':
			opt.ready = optarg;
			break;
		default:
			usage();
		}
	}
	if (!opt.port || (opt.mode == M_REG && !opt.accounts) ||
	    (opt.resume == R_ID && opt.tls_max != TLS1_2_VERSION))
		usage();
	if (!opt.src.s_addr)
		inet_pton(AF_INET, "127.0.0.2", &opt.src);
	if (opt.mode == M_REG)
		load_accounts(opt.accounts);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	snprintf(tag0, sizeof(tag0), "%08x", (unsigned)rand());

	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return 1;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, opt.tls_max);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (opt.resume == R_ID)
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(
	    ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, new_session);

	nconns = opt.mode == M_IDLE ? opt.count : opt.conc;
	conns = calloc(nconns, sizeof(*conns));
	sessions = calloc(opt.conc, sizeof(*sessions));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!conns || !sessions || ep < 0)
		return 1;
	t0 = now_us();
	t_end_ms = t0 / 1000 + (uint64_t)opt.secs * 1000u;
	if (opt.mode == M_IDLE) {
		run_loop(nconns, true);
		el = (double)(now_us() - t0) / 1e6;
		hold_idle(nconns);
	} else {
		unsigned i;

		for (i = 0; i < nconns && budget_left(t_end_ms); i++) {
			conns[i].slot = i;
			conns[i].fd = -1;
			conn_start(&conns[i]);
		}
		run_loop(nconns, false);
		el = (double)(now_us() - t0) / 1e6;
	}
	qsort(reg_us, nreg_us, sizeof(*reg_us), cmp_u32);
	getrusage(RUSAGE_SELF, &ru);
	printf("mode=%s handshakes=%llu full=%llu resumed=%llu failed=%llu "
	       "regs=%llu reg_failed=%llu elapsed_s=%.2f hs_rate=%.1f "
	       "reg_rate=%.1f reg_p50_ms=%.3f reg_p99_ms=%.3f held=%llu "
	       "closed_by_server=%llu cpu_s=%.2f\n",
	    opt.mode == M_HS	  ? "hs" :
		opt.mode == M_REG ? "reg" :
				    "idle",
	    (unsigned long long)st.handshakes, (unsigned long long)st.full,
	    (unsigned long long)st.resumed, (unsigned long long)st.failed,
	    (unsigned long long)st.regs, (unsigned long long)st.reg_failed, el,
	    el > 0 ? (double)st.handshakes / el : 0,
	    el > 0 ? (double)st.regs / el : 0, pct_ms(0.5), pct_ms(0.99),
	    (unsigned long long)st.held,
	    (unsigned long long)st.closed_by_server,
	    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	return st.failed ? 1 : 0;
}

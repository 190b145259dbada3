/*
 * bench/tls_floor.c -- the least a TLS server can do per handshake with
 * this machine's OpenSSL and kernel. bench/tls.sh runs it beside
 * centinela and Kamailio in the handshake cases (TLS_SERVERS=... floor)
 * so that the table shows how much of each server's CPU per handshake
 * is the library's and the kernel's, and how much is the server's own.
 *
 * One thread, one level-triggered epoll loop: accept4, SSL_new,
 * SSL_accept as the bytes come; after the handshake SSL_read until the
 * client's close_notify or EOF, then SSL_shutdown (its close_notify)
 * and close. Nothing else: no SIP, no logging, no timers, no limits.
 * The context is set up as centinela's server profiles are
 * (src/net/tls.c): TLS 1.2 and 1.3, read-ahead, buffers released when
 * idle, the server's cipher order with the same default lists (-o:
 * OpenSSL's own lists instead, as Kamailio has them), a 20,000-session
 * cache for TLS 1.2 session IDs, one TLS 1.3 ticket per handshake, no
 * client certificate.
 *
 * Bounded: exits after SECS seconds (default 600, at most 86400) or on
 * SIGTERM/SIGINT. Loopback addresses only.
 *
 * Usage: tls_floor -l IP:PORT -c CERT.pem -k KEY.pem [-d SECS] [-o]
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
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "net/tls_lists.h"

#define FLOOR_MAXFD 65536
#define FLOOR_SECS_MAX 86400

struct fconn {
	SSL *ssl;
	bool open; /* handshake done */
	bool want_write;
};

static struct fconn *conns; /* by descriptor */
static int ep;
static volatile sig_atomic_t stop_flag;
static uint64_t n_hs, n_failed;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: tls_floor -l IP:PORT -c CERT.pem -k KEY.pem "
	    "[-d SECS] [-o]\n");
	exit(2);
}

static void
die_ssl(const char *what)
{
	fprintf(stderr, "tls_floor: %s: ", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static void
set_events(int fd, bool out)
{
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0),
		.data.fd = fd };

	if (conns[fd].want_write != out) {
		conns[fd].want_write = out;
		epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
	}
}

static void
conn_end(int fd, bool failed)
{
	struct fconn *c = &conns[fd];

	if (failed)
		n_failed++;
	SSL_shutdown(c->ssl);
	SSL_free(c->ssl);
	c->ssl = NULL;
	c->open = false;
	c->want_write = false;
	close(fd);
}

/* Returns false when the connection is gone. */
static bool
step(int fd)
{
	struct fconn *c = &conns[fd];
	char buf[4096];
	int r, e;

	ERR_clear_error();
	if (!c->open) {
		r = SSL_accept(c->ssl);
		if (r != 1) {
			e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ ||
			    e == SSL_ERROR_WANT_WRITE) {
				set_events(fd, e == SSL_ERROR_WANT_WRITE);
				return true;
			}
			conn_end(fd, true);
			return false;
		}
		c->open = true;
		n_hs++;
	}
	for (;;) {
		r = SSL_read(c->ssl, buf, sizeof(buf));
		if (r > 0)
			continue;
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			set_events(fd, e == SSL_ERROR_WANT_WRITE);
			return true;
		}
		/* close_notify, EOF or an error: the client is done. */
		conn_end(fd, e != SSL_ERROR_ZERO_RETURN);
		return false;
	}
}

static void
accept_all(int lfd, SSL_CTX *ctx)
{
	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN };
		int fd, on = 1;

		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (fd >= FLOOR_MAXFD) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		conns[fd].ssl = SSL_new(ctx);
		if (!conns[fd].ssl || !SSL_set_fd(conns[fd].ssl, fd)) {
			SSL_free(conns[fd].ssl);
			conns[fd].ssl = NULL;
			close(fd);
			n_failed++;
			continue;
		}
		ev.data.fd = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			conn_end(fd, true);
			continue;
		}
	}
}

static SSL_CTX *
make_ctx(const char *cert, const char *key, bool openssl_lists)
{
	static const unsigned char sid[4] = { 0, 0, 0, 0 };
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx)
		die_ssl("SSL_CTX_new");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx,
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
		SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_options(
	    ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_read_ahead(ctx, 1);
	if (!openssl_lists &&
	    (SSL_CTX_set_cipher_list(ctx, TLS_DEFAULT_CIPHERS) != 1 ||
		SSL_CTX_set_ciphersuites(ctx, TLS_DEFAULT_SUITES) != 1))
		die_ssl("cipher lists");
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		die_ssl(cert);
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		die_ssl(key);
	SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid));
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(ctx, 20000);
	SSL_CTX_set_timeout(ctx, 3600);
	SSL_CTX_set_num_tickets(ctx, 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return ctx;
}

static int
listen_on(const char *spec)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char host[64];
	const char *colon = strrchr(spec, ':');
	char *end;
	unsigned long port;
	int fd, on = 1;

	if (!colon || (size_t)(colon - spec) >= sizeof(host))
		usage();
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port == 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		usage();
	if ((ntohl(sin.sin_addr.s_addr) >> 24) != 127) {
		fprintf(
		    stderr, "tls_floor: %s is not a loopback address\n", host);
		exit(2);
	}
	sin.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fd, 1024) < 0) {
		fprintf(stderr, "tls_floor: %s: %s\n", spec, strerror(errno));
		exit(1);
	}
	return fd;
}

int
main(int argc, char **argv)
{
	const char *addr = NULL, *cert = NULL, *key = NULL;
	unsigned long secs = 600;
	bool openssl_lists = false;
	struct epoll_event ev = { .events = EPOLLIN }, evs[256];
	struct timespec t0, t;
	SSL_CTX *ctx;
	char *end;
	int opt, lfd;

	while ((opt = getopt(argc, argv, "l:c:k:d:o")) != -1) {
		switch (opt) {
		case 'l':
			addr = optarg;
			break;
		case 'c':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'd':
			errno = 0;
			secs = strtoul(optarg, &end, 10);
			if (errno || *end || secs == 0 || secs > FLOOR_SECS_MAX)
				usage();
			break;
		case 'o':
			openssl_lists = true;
			break;
		default:
			usage();
		}
	}
	if (!addr || !cert || !key || optind != argc)
		usage();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	conns = calloc(FLOOR_MAXFD, sizeof(*conns));
	if (!conns)
		return 1;
	ctx = make_ctx(cert, key, openssl_lists);
	lfd = listen_on(addr);
	if (lfd < 0 || (ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		perror("tls_floor");
		return 1;
	}
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop_flag) {
		int i, n = epoll_wait(ep, evs, 256, 1000);

		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd)
				accept_all(lfd, ctx);
			else if (conns[fd].ssl)
				step(fd);
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((unsigned long)(t.tv_sec - t0.tv_sec) >= secs)
			break;
	}
	printf("handshakes=%llu failed=%llu\n", (unsigned long long)n_hs,
	    (unsigned long long)n_failed);
	SSL_CTX_free(ctx);
	free(conns);
	return 0;
}

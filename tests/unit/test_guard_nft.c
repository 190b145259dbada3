/*
 * tests/unit/test_guard_nft.c -- the nftables offload of bans.
 *
 * Runs as root: main() moves the process into a network namespace of
 * its own first (unshare(CLONE_NEWNET)), so every table, set and rule
 * lives and dies with the test; failing to do so fails the program.
 * The sets are checked with a libnftables context of the test's own,
 * the drop rule with real datagrams on the namespace's loopback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <linux/capability.h>
#include <net/if.h>
#include <nftables/libnftables.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guard/nft.h"
#include "net/sa.h"

static struct nft_ctx *q; /* the test's own view of the kernel */

/* Run an nft command; its output, or NULL when it failed. */
static const char *
nftq(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	(void)nft_ctx_get_output_buffer(q);
	(void)nft_ctx_get_error_buffer(q);
	if (nft_run_cmd_from_buffer(q, cmd) != 0)
		return NULL;
	return nft_ctx_get_output_buffer(q);
}

/*
 * Is "elem" (as nft prints it: "192.0.2.5", "198.51.100.0/24") in the
 * set? With "timeout" (e.g. "1h"), it must carry that timeout; with
 * "" it must carry none.
 */
static bool
has_elem(
    const char *table, const char *set, const char *elem, const char *timeout)
{
	const char *out, *p, *after;
	size_t len = strlen(elem);

	out = nftq("list set inet %s %s", table, set);
	if (!out || !(p = strstr(out, "elements = {")))
		return false;
	for (p = strstr(p, elem); p; p = strstr(p + 1, elem)) {
		after = p + len;
		if (!strchr(" {\t", p[-1]) || !*after ||
		    !strchr(" ,}\n", *after))
			continue;
		if (!timeout)
			return true;
		if (!*timeout)
			return strncmp(after, " timeout", 8) != 0;
		return !strncmp(after, " timeout ", 9) &&
		    !strncmp(after + 9, timeout, strlen(timeout)) &&
		    strchr(" ,}\n", after[9 + strlen(timeout)]);
	}
	return false;
}

static struct cidr
C(const char *s) {
	struct cidr c;

	assert_int_equal(cidr_parse(s, &c), 0);
	return c;
}

static void
ban(struct nft *n, const char *s, unsigned secs)
{
	struct cidr c = C(s);

	assert_int_equal(nft_ban(n, &c, secs), 0);
}

static void
unban(struct nft *n, const char *s)
{
	struct cidr c = C(s);

	assert_int_equal(nft_unban(n, &c), 0);
}

static void
assert_stats(struct nft *n, uint64_t applied, uint64_t failed)
{
	uint64_t a, f;

	nft_stats(n, &a, &f);
	assert_int_equal(a, applied);
	assert_int_equal(f, failed);
}

static struct nft *
open_ok(const char *table)
{
	struct nft *n = NULL;
	char err[256];
	int rc;

	rc = nft_open(&n, table, err, sizeof(err));
	if (rc)
		fprintf(stderr, "nft_open: %s\n", err);
	assert_int_equal(rc, 0);
	assert_non_null(n);
	return n;
}

static void
close_gone(struct nft *n, const char *table)
{
	nft_close(n);
	assert_null(nftq("list table inet %s", table));
}

/* ---- tests ------------------------------------------------------- */

static void
test_open_layout(void **state)
{
	const char *out;
	struct nft *n;

	/* A previous run left the table, with other contents. */
	assert_non_null(
	    nftq("add table inet cn_open\n"
		 "add set inet cn_open junk { type ipv4_addr; }\n"
		 "add set inet cn_open banned4 { type ipv4_addr; }\n"
		 "add element inet cn_open banned4 { 192.0.2.1 }\n"
		 "add element inet cn_open junk { 192.0.2.2 }\n"));
	n = open_ok("cn_open");
	out = nftq("list table inet cn_open");
	assert_non_null(out);
	assert_null(strstr(out, "junk"));
	assert_null(strstr(out, "192.0.2.1"));
	assert_non_null(strstr(out,
	    "set banned4 {\n\t\ttype ipv4_addr\n"
	    "\t\tflags interval,timeout\n"));
	assert_non_null(strstr(out,
	    "set banned6 {\n\t\ttype ipv6_addr\n"
	    "\t\tflags interval,timeout\n"));
	/* -150 is what nft calls "mangle". */
	assert_non_null(strstr(out,
	    "type filter hook input priority mangle; "
	    "policy accept;"));
	assert_non_null(strstr(out, "ip saddr @banned4 drop"));
	assert_non_null(strstr(out, "ip6 saddr @banned6 drop"));
	assert_stats(n, 0, 0);
	close_gone(n, "cn_open");
	nft_close(NULL);
}

static void
test_ban_unban(void **state)
{
	struct nft *n = open_ok("cn_ban");
	struct cidr bad = C("192.0.2.0/24");

	ban(n, "192.0.2.5", 0);
	ban(n, "198.51.100.0/24", 3600);
	ban(n, "2001:db8:1:2::/64", 0);
	ban(n, "2001:db8:9::/64", 600);
	ban(n, "10.1.2.3/8", 0); /* host bits: masked */
	nft_sync(n);
	assert_true(has_elem("cn_ban", "banned4", "192.0.2.5", ""));
	assert_true(has_elem("cn_ban", "banned4", "198.51.100.0/24", "1h"));
	assert_true(has_elem("cn_ban", "banned4", "10.0.0.0/8", ""));
	assert_true(has_elem("cn_ban", "banned6", "2001:db8:1:2::/64", ""));
	assert_true(has_elem("cn_ban", "banned6", "2001:db8:9::/64", "10m"));
	assert_false(has_elem("cn_ban", "banned4", "192.0.2.0/24", NULL));
	assert_stats(n, 5, 0);

	unban(n, "192.0.2.5");
	unban(n, "198.51.100.0/24");
	unban(n, "2001:db8:1:2::/64");
	unban(n, "2001:db8:9::/64");
	unban(n, "10.0.0.0/8");
	nft_sync(n);
	assert_false(has_elem("cn_ban", "banned4", "192.0.2.5", NULL));
	assert_false(has_elem("cn_ban", "banned4", "198.51.100.0/24", NULL));
	assert_false(has_elem("cn_ban", "banned4", "10.0.0.0/8", NULL));
	assert_false(has_elem("cn_ban", "banned6", "2001:db8:1:2::/64", NULL));
	assert_false(has_elem("cn_ban", "banned6", "2001:db8:9::/64", NULL));
	assert_stats(n, 10, 0);

	bad.prefix = 33;
	assert_int_equal(nft_ban(n, &bad, 0), EINVAL);
	bad.family = AF_UNIX;
	bad.prefix = 8;
	assert_int_equal(nft_unban(n, &bad), EINVAL);
	nft_sync(n); /* nothing queued: returns at once */
	close_gone(n, "cn_ban");
}

static void
test_timeout_expires(void **state)
{
	struct nft *n = open_ok("cn_exp");
	int i;

	ban(n, "192.0.2.77", 1);
	nft_sync(n);
	assert_true(has_elem("cn_exp", "banned4", "192.0.2.77", "1s"));
	for (i = 0; i < 50 && has_elem("cn_exp", "banned4", "192.0.2.77", NULL);
	     i++)
		usleep(100 * 1000);
	assert_false(has_elem("cn_exp", "banned4", "192.0.2.77", NULL));
	/* Gone by itself: unbanning it is no error. */
	unban(n, "192.0.2.77");
	ban(n, "192.0.2.78", 0);
	nft_sync(n);
	assert_true(has_elem("cn_exp", "banned4", "192.0.2.78", ""));
	assert_stats(n, 3, 0);
	close_gone(n, "cn_exp");
}

static void
test_existing_missing_overlap(void **state)
{
	struct nft *n = open_ok("cn_tol");
	const char *t = "cn_tol";

	ban(n, "192.0.2.10", 0);
	ban(n, "203.0.113.7", 0);
	ban(n, "2001:db8:5::/64", 0);
	ban(n, "192.0.2.13", 60);
	nft_sync(n);
	assert_true(has_elem(t, "banned4", "203.0.113.7", ""));
	assert_true(has_elem(t, "banned4", "192.0.2.13", "1m"));

	/* No sync in between: the thread may batch any of these. */
	ban(n, "192.0.2.10", 120); /* exists: gets the new timeout */
	unban(n, "192.0.2.200"); /* missing */
	ban(n, "203.0.113.0/24", 0); /* around 203.0.113.7 */
	ban(n, "203.0.113.9", 0); /* inside the /24 */
	ban(n, "2001:db8:5::/48", 300); /* around the /64 */
	unban(n, "2001:db8:dead::/64"); /* missing */
	ban(n, "192.0.2.11", 0);
	ban(n, "192.0.2.12", 0);
	ban(n, "192.0.2.12", 0); /* twice in a row */
	unban(n, "192.0.2.11"); /* banned just before */
	ban(n, "192.0.2.13", 0); /* timed before, now without timeout */
	nft_sync(n);
	assert_true(has_elem(t, "banned4", "192.0.2.10", "2m"));
	assert_false(has_elem(t, "banned4", "192.0.2.200", NULL));
	assert_true(has_elem(t, "banned4", "203.0.113.0/24", ""));
	assert_false(has_elem(t, "banned4", "203.0.113.7", NULL));
	assert_false(has_elem(t, "banned4", "203.0.113.9", NULL));
	assert_true(has_elem(t, "banned6", "2001:db8:5::/48", "5m"));
	assert_false(has_elem(t, "banned6", "2001:db8:5::/64", NULL));
	assert_false(has_elem(t, "banned4", "192.0.2.11", NULL));
	assert_true(has_elem(t, "banned4", "192.0.2.12", ""));
	assert_true(has_elem(t, "banned4", "192.0.2.13", ""));
	assert_stats(n, 15, 0);
	close_gone(n, t);
}

static void
test_failure_counted(void **state)
{
	struct nft *n = open_ok("cn_fail");
	const char *t = "cn_fail";

	/* A foreign range no CIDR describes: a /24 around it must fail. */
	assert_non_null(
	    nftq("add element inet cn_fail banned4 { 10.9.0.1-10.9.0.5 }"));
	ban(n, "192.0.2.20", 0);
	ban(n, "10.9.0.0/24", 0);
	ban(n, "192.0.2.21", 0);
	unban(n, "192.0.2.20");
	nft_sync(n);
	assert_stats(n, 3, 1);
	assert_false(has_elem(t, "banned4", "10.9.0.0/24", NULL));
	assert_false(has_elem(t, "banned4", "192.0.2.20", NULL));
	assert_true(has_elem(t, "banned4", "192.0.2.21", ""));
	assert_true(has_elem(t, "banned4", "10.9.0.1-10.9.0.5", ""));
	/* The queue goes on. */
	ban(n, "192.0.2.22", 60);
	nft_sync(n);
	assert_true(has_elem(t, "banned4", "192.0.2.22", "1m"));
	assert_stats(n, 4, 1);
	close_gone(n, t);
}

static void
test_bad_table(void **state)
{
	struct nft *n = NULL;
	char err[256], longname[300];

	err[0] = '\0';
	assert_int_equal(nft_open(&n, "bad name;", err, sizeof(err)), EINVAL);
	assert_null(n);
	assert_non_null(strstr(err, "bad table name"));
	assert_int_equal(nft_open(&n, "", err, sizeof(err)), EINVAL);
	assert_int_equal(
	    nft_open(&n, "x;flush ruleset", err, sizeof(err)), EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(nft_open(&n, longname, err, sizeof(err)), EINVAL);
	assert_null(n);
	/* A keyword passes our check; nft refuses it, with its message. */
	err[0] = '\0';
	assert_int_equal(nft_open(&n, "add", err, sizeof(err)), EINVAL);
	assert_null(n);
	assert_non_null(strstr(err, "syntax error"));
	assert_int_equal(nft_open(&n, "add", NULL, 0), EINVAL);
}

/* Without CAP_NET_ADMIN: EPERM and nft's message, in a child. */
static void
test_no_capability(void **state)
{
	int status = -1;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct __user_cap_header_struct h = {
			.version = _LINUX_CAPABILITY_VERSION_3
		};
		struct __user_cap_data_struct d[2];
		struct nft *n = NULL;
		char err[256] = "";
		int rc;

		alarm(10);
		if (syscall(SYS_capget, &h, d) != 0)
			_exit(2);
		d[CAP_NET_ADMIN / 32].effective &=
		    ~(1u << (CAP_NET_ADMIN % 32));
		if (syscall(SYS_capset, &h, d) != 0)
			_exit(3);
		rc = nft_open(&n, "cn_nocap", err, sizeof(err));
		fprintf(stderr, "without CAP_NET_ADMIN: %d, %s\n", rc, err);
		_exit(rc == EPERM && !n &&
			    strstr(err, "Operation not permitted") ?
			0 :
			1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_null(nftq("list table inet cn_nocap"));
}

/* ---- real datagrams ------------------------------------------------ */

static int
udp_bound(const char *addr, uint16_t *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	if (port)
		*port = ntohs(sin.sin_port);
	return fd;
}

/*
 * Send one datagram from "tx" to 127.0.0.1:"port"; true when "rx" gets
 * it within "ms" milliseconds, from "from".
 */
static bool
delivered(int tx, int rx, uint16_t port, const char *from, int ms)
{
	struct sockaddr_in to = { .sin_family = AF_INET }, src;
	struct pollfd pfd = { .fd = rx, .events = POLLIN };
	socklen_t slen = sizeof(src);
	char buf[64], a[INET_ADDRSTRLEN];
	ssize_t r;

	to.sin_port = htons(port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(
	    sendto(tx, "ping", 4, 0, (struct sockaddr *)&to, sizeof(to)), 4);
	if (poll(&pfd, 1, ms) != 1)
		return false;
	r = recvfrom(
	    rx, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&src, &slen);
	assert_int_equal(r, 4);
	inet_ntop(AF_INET, &src.sin_addr, a, sizeof(a));
	assert_string_equal(a, from);
	return true;
}

static void
test_packets_dropped(void **state)
{
	struct nft *n = open_ok("cn_pkt");
	struct pollfd pfd;
	uint16_t port;
	int rx, tx9, tx10;

	rx = udp_bound("127.0.0.1", &port);
	tx9 = udp_bound("127.0.0.9", NULL);
	tx10 = udp_bound("127.0.0.10", NULL);
	assert_true(delivered(tx9, rx, port, "127.0.0.9", 2000));

	ban(n, "127.0.0.9/32", 0);
	nft_sync(n);
	assert_false(delivered(tx9, rx, port, "127.0.0.9", 300));
	assert_true(delivered(tx10, rx, port, "127.0.0.10", 2000));
	/* Nothing from .9 arrived late either. */
	pfd.fd = rx;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 0), 0);

	unban(n, "127.0.0.9/32");
	nft_sync(n);
	assert_true(delivered(tx9, rx, port, "127.0.0.9", 2000));
	assert_stats(n, 2, 0);
	close(tx10);
	close(tx9);
	close(rx);
	close_gone(n, "cn_pkt");
}

/* ---- main ---------------------------------------------------------- */

static int
loopback_up(void)
{
	struct ifreq ifr;
	int fd, rc = 0;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0)
		rc = errno;
	else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)
			rc = errno;
	}
	close(fd);
	return rc;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_layout),
		cmocka_unit_test(test_ban_unban),
		cmocka_unit_test(test_timeout_expires),
		cmocka_unit_test(test_existing_missing_overlap),
		cmocka_unit_test(test_failure_counted),
		cmocka_unit_test(test_bad_table),
		cmocka_unit_test(test_no_capability),
		cmocka_unit_test(test_packets_dropped),
	};
	int rc;

	/* Every nft change below stays in this private namespace. */
	if (unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr,
		    "test_guard_nft: unshare(CLONE_NEWNET): %s "
		    "(needs root)\n",
		    strerror(errno));
		return 1;
	}
	if ((rc = loopback_up())) {
		fprintf(stderr, "test_guard_nft: lo up: %s\n", strerror(rc));
		return 1;
	}
	if (!(q = nft_ctx_new(NFT_CTX_DEFAULT)) || nft_ctx_buffer_output(q) ||
	    nft_ctx_buffer_error(q)) {
		fprintf(stderr, "test_guard_nft: nft_ctx_new failed\n");
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	nft_ctx_free(q);
	return rc;
}

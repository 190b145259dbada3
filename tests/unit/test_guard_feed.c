/*
 * tests/unit/test_guard_feed.c -- ban list feeds: parsing of every
 * format (good input, bad input with the exact line, garbage), writing
 * and reading back, the rbldnsd export served by the real rbldnsd,
 * fetching from a local HTTP server (tests/tools/feed_httpd.py) and the
 * schedule.
 *
 * The test includes feed.c itself to reach its static helpers: the
 * size limit of a fetch is tested with fetch_url() and a small limit,
 * not by sending FEED_MAX_BYTES.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guard/feed.c"
#include "tproc.h"

#define GOT_MAX 128

/* ---- helpers ---------------------------------------------------------- */

struct got {
	char e[GOT_MAX][CIDR_STRLEN + FEED_REASON_MAX + 32];
	size_t n;
	size_t stop_at; /* return 42 at this call (1-based), 0: never */
};

static void
entry_str(const struct feed_entry *e, char *buf, size_t cap)
{
	char r[CIDR_STRLEN];
	int o;

	o = snprintf(buf, cap, "%s", cidr_fmt(&e->range, r, sizeof(r)));
	if (e->reason)
		o += snprintf(buf + o, cap - (size_t)o, " %s", e->reason);
	if (e->until)
		snprintf(buf + o, cap - (size_t)o, " @%" PRId64, e->until);
}

static int
got_h(const struct feed_entry *e, void *arg)
{
	struct got *g = arg;

	assert_true(g->n < GOT_MAX);
	entry_str(e, g->e[g->n], sizeof(g->e[0]));
	g->n++;
	if (g->stop_at && g->n == g->stop_at)
		return 42;
	return 0;
}

static void
assert_got(const struct got *g, const char *const *want, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < g->n; i++)
		assert_string_equal(g->e[i], want[i]);
	assert_int_equal(g->n, n);
}

static int
parse_s(enum feed_format fmt, const char *s, struct got *g, char *err,
    size_t errlen)
{
	memset(g, 0, sizeof(*g));
	return feed_parse(fmt, s, strlen(s), got_h, g, NULL, 0, err, errlen);
}

static int
parse_id(const char *s, char *id, size_t idcap)
{
	struct got g;

	memset(&g, 0, sizeof(g));
	return feed_parse(
	    FEED_APIBAN, s, strlen(s), got_h, &g, id, idcap, NULL, 0);
}

struct bad {
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *err;
};

static void
check_bad(enum feed_format fmt, const struct bad *b, size_t n)
{
	char err[256];
	struct got g;
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&g, 0, sizeof(g));
		assert_int_equal(feed_parse(fmt, b[i].in,
				     b[i].len ? b[i].len : strlen(b[i].in),
				     got_h, &g, NULL, 0, err, sizeof(err)),
		    EINVAL);
		assert_string_equal(err, b[i].err);
		assert_int_equal(g.n, 0);
	}
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A port free on 127.0.0.1 for this socket type right now. */
static uint16_t
free_port(int type)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, type, 0);
	uint16_t port;

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/* A TCP listener that never accepts: connections hang. */
static int
hang_listener(uint16_t *port)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* ---- the HTTP server (group fixture) -------------------------------- */

static pid_t httpd_pid = -1;
static int httpd_out = -1;
static char base[64];

static int
httpd_start(void **state)
{
	char *argv[] = { "python3", "tests/tools/feed_httpd.py", NULL };
	long port;

	httpd_pid = tproc_spawn(
	    argv, &httpd_out, &(struct tproc_opts){ .stderr_pipe = true });
	if (httpd_pid < 0)
		return -1;
	port = tproc_read_port(httpd_out, 5000);
	if (port <= 0 || port > 65535) {
		tproc_reap(httpd_pid, 2000, true);
		return -1;
	}
	snprintf(base, sizeof(base), "http://127.0.0.1:%ld", port);
	return 0;
}

static int
httpd_stop(void **state)
{
	tproc_reap(httpd_pid, 2000, true);
	if (httpd_out >= 0)
		close(httpd_out);
	return 0;
}

static void
url_of(char *buf, size_t cap, const char *path)
{
	snprintf(buf, cap, "%s%s", base, path);
}

/* ---- parsing: plain --------------------------------------------------- */

static void
test_plain_good(void **state)
{
	static const char in[] = "# header\n"
				 "\n"
				 "192.0.2.1\n"
				 "  198.51.100.0/24   # trailing comment\r\n"
				 "10.1.2.3/8\n" /* host bits: masked */
				 "2001:db8::1\n"
				 "2001:db8:1::5/48\n"
				 "::ffff:203.0.113.9\n"
				 "\t\r\n"
				 "203.0.113.0/25"; /* no final newline */
	static const char *const want[] = { "192.0.2.1/32", "198.51.100.0/24",
		"10.0.0.0/8", "2001:db8::1/128", "2001:db8:1::/48",
		"203.0.113.9/32", "203.0.113.0/25" };
	char err[128];
	struct got g;

	assert_int_equal(parse_s(FEED_PLAIN, in, &g, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_got(&g, want, 7);
	/* An empty feed is a good, empty list. */
	assert_int_equal(parse_s(FEED_PLAIN, "", &g, err, sizeof(err)), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(feed_parse(FEED_PLAIN, NULL, 0, got_h, &g, NULL, 0,
			     err, sizeof(err)),
	    0);
	/* h NULL: validation only. */
	assert_int_equal(feed_parse(FEED_PLAIN, in, strlen(in), NULL, NULL,
			     NULL, 0, err, sizeof(err)),
	    0);
}

static void
test_plain_bad(void **state)
{
	static const struct bad b[] = {
		{ "192.0.2.1\nbogus\n", 0,
		    "line 2: \"bogus\" is not an address or CIDR range" },
		{ "192.0.2.1\n\n# x\n192.0.2.300\n", 0,
		    "line 4: \"192.0.2.300\" is not an address or CIDR range" },
		{ "1.2.3.4/33", 0,
		    "line 1: \"1.2.3.4/33\" is not an address or CIDR range" },
		{ "1.2.3.4/", 0,
		    "line 1: \"1.2.3.4/\" is not an address or CIDR range" },
		{ "\r\n1.2.3.4 5.6.7.8\r\n", 0,
		    "line 2: \"1.2.3.4 5.6.7.8\" is not an address or CIDR "
		    "range" },
		{ "192.0.2.1\n19\0.0.2.2\n", 21,
		    "line 2: \"19\\x00.0.2.2\" is not an address or CIDR "
		    "range" },
		{ "\xff\xfe\"\\", 0,
		    "line 1: \"\\xff\\xfe\\\"\\\\\" is not an address or CIDR "
		    "range" },
		{ "192.0.2.1/-1", 0,
		    "line 1: \"192.0.2.1/-1\" is not an address or CIDR "
		    "range" },
	};

	check_bad(FEED_PLAIN, b, sizeof(b) / sizeof(b[0]));
}

/* A 1 MiB line, NUL bytes everywhere, random bytes: EINVAL, no crash. */
static void
test_garbage(void **state)
{
	static const enum feed_format fmts[] = { FEED_PLAIN, FEED_RBLDNSD,
		FEED_JSON, FEED_APIBAN };
	static const char alpha[] = "0123456789abcdef.:/-#;!$ \t\r\n{}[]\",:"
				    "\"ID\"\"bans\"\"addr\"";
	size_t big = 1u << 20, i, j, len;
	char *buf = malloc(big + 1), err[256], id[16];
	uint64_t x = 0x9e3779b97f4a7c15u;
	struct got g;
	int rc;

	assert_non_null(buf);
	memset(buf, '1', big);
	memset(&g, 0, sizeof(g));
	assert_int_equal(feed_parse(FEED_PLAIN, buf, big, got_h, &g, NULL, 0,
			     err, sizeof(err)),
	    EINVAL);
	assert_non_null(strstr(err, "line 1: \"111111111111"));
	assert_non_null(strstr(err, "1...\" is not"));
	assert_true(strlen(err) < 120);
	memset(buf, '\0', big);
	for (i = 0; i < 4; i++) {
		assert_int_equal(feed_parse(fmts[i], buf, big, got_h, &g, NULL,
				     0, err, sizeof(err)),
		    EINVAL);
	}
	/* Deep nesting: jansson's depth limit, not the stack. */
	memset(buf, '[', big);
	assert_int_equal(feed_parse(FEED_JSON, buf, big, got_h, &g, NULL, 0,
			     err, sizeof(err)),
	    EINVAL);
	for (i = 0; i + 5 < big; i += 5)
		memcpy(buf + i, "{\"a\":", 5);
	assert_int_equal(feed_parse(FEED_APIBAN, buf, i, got_h, &g, NULL, 0,
			     err, sizeof(err)),
	    EINVAL);
	assert_int_equal(g.n, 0);
	for (i = 0; i < 4000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		len = x % 200;
		for (j = 0; j < len; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[j] = x % 8 == 0 ?
			    (char)(x >> 8) :
			    alpha[(x >> 8) % (sizeof(alpha) - 1)];
		}
		memset(&g, 0, sizeof(g));
		rc = feed_parse(fmts[i % 4], buf, len, got_h, &g, id,
		    sizeof(id), err, sizeof(err));
		assert_true(rc == 0 || rc == EINVAL);
		if (rc)
			assert_int_equal(g.n, 0);
	}
	free(buf);
}

/* Over FEED_MAX_BYTES: E2BIG before a byte is read (the pages are
 * mapped, never touched). */
static void
test_too_big(void **state)
{
	static const enum feed_format fmts[] = { FEED_PLAIN, FEED_RBLDNSD,
		FEED_JSON, FEED_APIBAN };
	size_t len = (size_t)FEED_MAX_BYTES + 1;
	char err[128];
	struct got g;
	void *p;
	int i;

	p = mmap(NULL, len, PROT_READ,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(p != MAP_FAILED);
	for (i = 0; i < 4; i++) {
		memset(&g, 0, sizeof(g));
		assert_int_equal(feed_parse(fmts[i], p, len, got_h, &g, NULL, 0,
				     err, sizeof(err)),
		    E2BIG);
		assert_int_equal(g.n, 0);
	}
	assert_string_equal(err,
	    "268435457 bytes, more than the 268435456 "
	    "allowed");
	munmap(p, len);
}

/* More than FEED_ENTRIES_MAX entries (ranges expand): E2BIG. */
static void
test_too_many_entries(void **state)
{
	static const char line[] = "0.0.0.1-255.255.255.254\n"; /* 62 */
	size_t n = FEED_ENTRIES_MAX / 62 + 1, ll = sizeof(line) - 1, i;
	char *buf = malloc(n * ll), err[128], want[128];
	struct got g;

	assert_non_null(buf);
	for (i = 0; i < n; i++)
		memcpy(buf + i * ll, line, ll);
	memset(&g, 0, sizeof(g));
	assert_int_equal(feed_parse(FEED_RBLDNSD, buf, n * ll, got_h, &g, NULL,
			     0, err, sizeof(err)),
	    E2BIG);
	snprintf(want, sizeof(want), "more than %u entries (line %zu)",
	    FEED_ENTRIES_MAX, n);
	assert_string_equal(err, want);
	assert_int_equal(g.n, 0);
	/* One line less is fine (validation only: no 4M callbacks). */
	assert_int_equal(feed_parse(FEED_RBLDNSD, buf, (n - 1) * ll, NULL, NULL,
			     NULL, 0, err, sizeof(err)),
	    0);
	free(buf);
}

static void
test_callback_stops(void **state)
{
	static const char in[] = "192.0.2.1\n192.0.2.2\n192.0.2.3\n";
	struct got g;

	memset(&g, 0, sizeof(g));
	g.stop_at = 2;
	assert_int_equal(
	    feed_parse(FEED_PLAIN, in, strlen(in), got_h, &g, NULL, 0, NULL, 0),
	    42);
	assert_int_equal(g.n, 2);
	assert_int_equal(feed_parse((enum feed_format)9, in, strlen(in), got_h,
			     &g, NULL, 0, NULL, 0),
	    EINVAL);
}

/* ---- parsing: rbldnsd ------------------------------------------------- */

static void
test_rbldnsd_good(void **state)
{
	static const char in[] =
	    "# rbldnsd test\n"
	    "$SOA 3600 ns.example. admin.example. 0 600 300 86400 300\n"
	    "$TTL 300\n"
	    ":127.0.0.2:Listed by test\n"
	    "192.0.2.1\n"
	    "192.0.2.2 :127.0.0.3:own text\n"
	    "192.0.2.3:127.0.0.4:glued\n"
	    "198.51.100       ; class C shorthand\n"
	    "203.0.113.16/28 # comment\r\n"
	    "10.0.0.1-10.0.0.6\n"
	    "172.16.5.1-3\n"
	    "127.16-31\n"
	    "  2001:db8:1:2\n"
	    "2001:db8::/32 :127.0.0.2:v6 text\n"
	    "::1\n"
	    "#$NS 0 ns.example.\n"
	    "$DATASET generic:common @\n"
	    "www A 127.0.0.8\n"
	    "$DATASET ip4set:more @\n"
	    "100.64/10\n"
	    "10.9.8.7/24\n" /* host bits: masked, as rbldnsd -e */
	    "$DATASET ip6trie:six @\n"
	    "2001:db8:5\n"
	    "; end";
	static const char *const want[] = {
		"192.0.2.1/32 Listed by test",
		"192.0.2.2/32 own text",
		"192.0.2.3/32 glued",
		"198.51.100.0/24 Listed by test",
		"203.0.113.16/28 Listed by test",
		"10.0.0.1/32 Listed by test",
		"10.0.0.2/31 Listed by test",
		"10.0.0.4/31 Listed by test",
		"10.0.0.6/32 Listed by test",
		"172.16.5.1/32 Listed by test",
		"172.16.5.2/31 Listed by test",
		"127.16.0.0/12 Listed by test",
		"2001:db8:1:2::/64 Listed by test",
		"2001:db8::/32 v6 text",
		"::1/128 Listed by test",
		"100.64.0.0/10",
		"10.9.8.0/24",
		"2001:db8:5::/48",
	};
	char err[128];
	struct got g;

	assert_int_equal(parse_s(FEED_RBLDNSD, in, &g, err, sizeof(err)), 0);
	assert_got(&g, want, sizeof(want) / sizeof(want[0]));
}

static void
test_rbldnsd_bad(void **state)
{
	static const struct bad b[] = {
		{ "192.0.2.1\n!192.0.2.2\n", 0,
		    "line 2: \"!192.0.2.2\" is an exclusion; exclusions are "
		    "not supported" },
		{ "127\n", 0,
		    "line 1: \"127\" is not an address, range or CIDR range" },
		{ "# c\n1.2.3.4-1.2.3.3\n", 0,
		    "line 2: \"1.2.3.4-1.2.3.3\" is not an address, range or "
		    "CIDR range" },
		{ "1.2-1.2.3.4\n", 0,
		    "line 1: \"1.2-1.2.3.4\" is not an address, range or CIDR "
		    "range" },
		{ "300.1.2.3\n", 0,
		    "line 1: \"300.1.2.3\" is not an address, range or CIDR "
		    "range" },
		{ "1.2.3.4x\n", 0,
		    "line 1: \"1.2.3.4x\" is not an address, range or CIDR "
		    "range" },
		{ "1.2.3.4/33\n", 0,
		    "line 1: \"1.2.3.4/33\" is not an address, range or CIDR "
		    "range" },
		{ "\n\n$DATASET\n", 0,
		    "line 3: \"$DATASET\" has no dataset type" },
		{ "$DATASET ip6trie @\n1.2.3.4\n", 0,
		    "line 2: \"1.2.3.4\" is not an address, range or CIDR "
		    "range" },
		{ "2001:db8::1::2\n", 0,
		    "line 1: \"2001:db8::1::2\" is not an address, range or "
		    "CIDR range" },
		{ "1:2:3:4:5:6:7:8:9\n", 0,
		    "line 1: \"1:2:3:4:5:6:7:8:9\" is not an address, range or "
		    "CIDR range" },
		{ "2001:db8::/129\n", 0,
		    "line 1: \"2001:db8::/129\" is not an address, range or "
		    "CIDR range" },
		{ "1.2.3.4\n1.2.\0.4\n", 17,
		    "line 2: \"1.2.\\x00.4\" is not an address, range or CIDR "
		    "range" },
	};

	check_bad(FEED_RBLDNSD, b, sizeof(b) / sizeof(b[0]));
}

/* ---- parsing: JSON and APIBan ----------------------------------------- */

static void
test_json_good(void **state)
{
	static const char in[] =
	    "{\"version\":1,\"bans\":["
	    "{\"addr\":\"192.0.2.7/32\",\"reason\":\"scanner\","
	    "\"until\":1790000000},"
	    "{\"addr\":\"198.51.100.7/24\"},"
	    "{\"addr\":\"2001:db8::1\",\"reason\":null,\"until\":null,"
	    "\"extra\":true}]}";
	static const char *const want[] = { "192.0.2.7/32 scanner @1790000000",
		"198.51.100.0/24", "2001:db8::1/128" };
	char err[128], big[512];
	struct got g;
	size_t n;

	assert_int_equal(parse_s(FEED_JSON, in, &g, err, sizeof(err)), 0);
	assert_got(&g, want, 3);
	/* A long reason is cut at a character boundary. */
	n = (size_t)snprintf(big, sizeof(big),
	    "{\"bans\":[{\"addr\":\"192.0.2.1\",\"reason\":\"");
	memset(big + n, 'a', 254);
	n += 254;
	snprintf(big + n, sizeof(big) - n, "\xc3\xa9\"}]}");
	assert_int_equal(parse_s(FEED_JSON, big, &g, err, sizeof(err)), 0);
	assert_int_equal(strlen(g.e[0]), strlen("192.0.2.1/32 ") + 254);
	assert_int_equal(
	    parse_s(FEED_JSON, "{\"bans\":[]}", &g, err, sizeof(err)), 0);
	assert_int_equal(g.n, 0);
}

static void
test_json_bad(void **state)
{
	static const struct bad b[] = {
		{ "[1,2]", 0, "not a JSON object" },
		{ "{\"version\":2,\"bans\":[]}", 0, "\"version\" is not 1" },
		{ "{\"bans\":{}}", 0, "\"bans\" is missing or not an array" },
		{ "{\"bans\":[{\"addr\":\"192.0.2.1\"},{\"addr\":\"bogus\"}]}",
		    0, "bans[1]: \"bogus\" is not an address or CIDR range" },
		{ "{\"bans\":[{\"reason\":\"x\"}]}", 0,
		    "bans[0]: no \"addr\"" },
		{ "{\"bans\":[{\"addr\":7}]}", 0, "bans[0]: not a string" },
		{ "{\"bans\":[{\"addr\":\"192.0.2.1\",\"until\":-5}]}", 0,
		    "bans[0]: \"until\" is not a non-negative integer" },
		{ "{\"bans\":[{\"addr\":\"192.0.2.1\",\"reason\":5}]}", 0,
		    "bans[0]: \"reason\" is not a string" },
		{ "{\"bans\":[1]}", 0, "bans[0]: not an object" },
	};
	char err[256];
	struct got g;

	check_bad(FEED_JSON, b, sizeof(b) / sizeof(b[0]));
	/* Syntax errors name the line and column. */
	assert_int_equal(parse_s(FEED_JSON,
			     "{\n\"bans\": [\n  {\"addr\": \"192.0.2.1\"},\n"
			     "  oops\n]}",
			     &g, err, sizeof(err)),
	    EINVAL);
	assert_memory_equal(err, "line 4 column ", 14);
	assert_int_equal(
	    parse_s(FEED_JSON, "{\"bans\":[", &g, err, sizeof(err)), EINVAL);
	assert_memory_equal(err, "line 1 column ", 14);
	assert_int_equal(parse_s(FEED_JSON, "{\"bans\":[],\"bans\":[]}", &g,
			     err, sizeof(err)),
	    EINVAL);
	assert_int_equal(
	    parse_s(FEED_JSON, "{\"bans\":[{\"addr\":\"192.0.2.1\\u0000x\"}]}",
		&g, err, sizeof(err)),
	    EINVAL);
	assert_int_equal(g.n, 0);
}

static void
test_apiban(void **state)
{
	static const char page[] =
	    "{\"ipaddress\":[\"192.0.2.10\",\"192.0.2.11\"],\"ID\":\"100\"}";
	static const char none[] =
	    "{\"ipaddress\":[\"no new bans\"],\"ID\":\"none\"}";
	static const char *const want[] = { "192.0.2.10/32", "192.0.2.11/32" };
	static const struct bad b[] = {
		{ "{\"ipaddress\":[\"192.0.2.10\"],\"ID\":\"../x\"}", 0,
		    "\"ID\" is not a token of 1 to 63 letters, digits, '-' or "
		    "'_'" },
		{ "{\"ipaddress\":[\"192.0.2.10\",\"bogus\"],\"ID\":\"5\"}", 0,
		    "ipaddress[1]: \"bogus\" is not an address or CIDR range" },
		{ "{\"ipaddress\":[\"192.0.2.10\"]}", 0,
		    "\"ID\" is missing or not a string" },
		{ "{\"ID\":\"5\"}", 0,
		    "\"ipaddress\" is missing or not an array" },
		{ "{\"ipaddress\":[null],\"ID\":\"5\"}", 0,
		    "ipaddress[0]: not a string" },
	};
	char err[128], id[16];
	struct got g;

	memset(&g, 0, sizeof(g));
	snprintf(id, sizeof(id), "old");
	assert_int_equal(feed_parse(FEED_APIBAN, page, strlen(page), got_h, &g,
			     id, sizeof(id), err, sizeof(err)),
	    0);
	assert_got(&g, want, 2);
	assert_string_equal(id, "100");
	/* "no new bans": nothing, and the ID is "". */
	memset(&g, 0, sizeof(g));
	assert_int_equal(feed_parse(FEED_APIBAN, none, strlen(none), got_h, &g,
			     id, sizeof(id), err, sizeof(err)),
	    0);
	assert_int_equal(g.n, 0);
	assert_string_equal(id, "");
	/* A numeric ID. */
	assert_int_equal(
	    parse_id("{\"ipaddress\":[],\"ID\":1234}", id, sizeof(id)), 0);
	assert_string_equal(id, "1234");
	/* Errors leave the ID alone. */
	check_bad(FEED_APIBAN, b, sizeof(b) / sizeof(b[0]));
	snprintf(id, sizeof(id), "keep");
	assert_int_equal(feed_parse(FEED_APIBAN, page, strlen(page), got_h, &g,
			     id, 3, err, sizeof(err)),
	    EINVAL);
	assert_string_equal(err, "\"ID\" longer than 2 bytes");
	assert_string_equal(id, "keep");
}

/* ---- writing ---------------------------------------------------------- */

struct ent {
	const char *range, *reason;
	int64_t until;
};

static const struct ent ents[] = {
	{ "192.0.2.7/32", "scanner", 1790000000 },
	{ "198.51.100.0/24", NULL, 0 },
	{ "2001:db8:1::/48", "enumeration", 0 },
	{ "203.0.113.128/25", "auth failures", 1790000500 },
	{ "2001:db8:2::5/128", NULL, 1790000999 },
	{ "10.0.0.0/8", "caf\xc3\xa9 \"q\" $x", 0 },
};
#define NENTS (sizeof(ents) / sizeof(ents[0]))

struct iter {
	const struct ent *e;
	size_t n, i;
};

static bool
ent_next(struct feed_entry *e, void *arg)
{
	struct iter *it = arg;

	if (it->i == it->n)
		return false;
	assert_int_equal(cidr_parse(it->e[it->i].range, &e->range), 0);
	e->reason = it->e[it->i].reason;
	e->until = it->e[it->i].until;
	it->i++;
	return true;
}

/* feed_write() into memory; returns the malloc'ed text. */
static char *
write_mem(
    enum feed_format fmt, const struct ent *e, size_t n, int *rc, size_t *len)
{
	struct iter it = { e, n, 0 };
	char *buf = NULL;
	FILE *f;

	f = open_memstream(&buf, len);
	assert_non_null(f);
	*rc = feed_write(f, fmt, ent_next, &it);
	fclose(f);
	return buf;
}

static void
test_roundtrip(void **state)
{
	static const char *const want_plain[] = { "192.0.2.7/32",
		"198.51.100.0/24", "2001:db8:1::/48", "203.0.113.128/25",
		"2001:db8:2::5/128", "10.0.0.0/8" };
	static const char *const want_json[] = {
		"192.0.2.7/32 scanner @1790000000", "198.51.100.0/24",
		"2001:db8:1::/48 enumeration",
		"203.0.113.128/25 auth failures @1790000500",
		"2001:db8:2::5/128 @1790000999",
		"10.0.0.0/8 caf\xc3\xa9 \"q\" $x"
	};
	/* rbldnsd: IPv4 section first; reasons as TXT, '$' and non-ASCII
	 * replaced; no expiry. */
	static const char *const want_rbl[] = { "192.0.2.7/32 scanner",
		"198.51.100.0/24", "203.0.113.128/25 auth failures",
		"10.0.0.0/8 caf__ \"q\" _x", "2001:db8:1::/48 enumeration",
		"2001:db8:2::5/128" };
	char err[128], *text;
	struct got g;
	size_t len;
	int rc;

	text = write_mem(FEED_PLAIN, ents, NENTS, &rc, &len);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(text, "\n192.0.2.7\n198.51.100.0/24\n"));
	memset(&g, 0, sizeof(g));
	assert_int_equal(feed_parse(FEED_PLAIN, text, len, got_h, &g, NULL, 0,
			     err, sizeof(err)),
	    0);
	assert_got(&g, want_plain, NENTS);
	free(text);

	text = write_mem(FEED_JSON, ents, NENTS, &rc, &len);
	assert_int_equal(rc, 0);
	assert_memory_equal(text,
	    "{\"version\":1,\"bans\":[\n{\"addr\":"
	    "\"192.0.2.7/32\",\"reason\":\"scanner\","
	    "\"until\":1790000000},\n",
	    strlen("{\"version\":1,\"bans\":[\n{\"addr\":\"192.0.2.7/32\","
		   "\"reason\":\"scanner\",\"until\":1790000000},\n"));
	memset(&g, 0, sizeof(g));
	assert_int_equal(feed_parse(FEED_JSON, text, len, got_h, &g, NULL, 0,
			     err, sizeof(err)),
	    0);
	assert_got(&g, want_json, NENTS);
	free(text);

	text = write_mem(FEED_RBLDNSD, ents, NENTS, &rc, &len);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(text,
	    "$DATASET ip4set:centinela-ipv4 @\n"
	    "192.0.2.7 :127.0.0.2:scanner\n"
	    "198.51.100.0/24\n"));
	assert_non_null(strstr(text,
	    "$DATASET ip6trie:centinela-ipv6 @\n"
	    "2001:db8:1:0:0:0:0:0/48 :127.0.0.2:"
	    "enumeration\n"));
	memset(&g, 0, sizeof(g));
	assert_int_equal(feed_parse(FEED_RBLDNSD, text, len, got_h, &g, NULL, 0,
			     err, sizeof(err)),
	    0);
	assert_got(&g, want_rbl, NENTS);
	free(text);

	/* Empty lists read back empty. */
	text = write_mem(FEED_JSON, ents, 0, &rc, &len);
	assert_int_equal(rc, 0);
	assert_string_equal(text, "{\"version\":1,\"bans\":[]}\n");
	assert_int_equal(feed_parse(FEED_JSON, text, len, got_h, &g, NULL, 0,
			     err, sizeof(err)),
	    0);
	free(text);
}

static bool
bad_next(struct feed_entry *e, void *arg)
{
	e->range.family = AF_UNIX;
	return true;
}

static void
test_write_bad(void **state)
{
	static const struct ent latin1[] = { { "192.0.2.1/32", "caf\xe9", 0 } };
	char *text, err[128], *buf = NULL;
	struct got g;
	size_t len;
	FILE *f;
	int rc;

	text = write_mem(FEED_APIBAN, ents, NENTS, &rc, &len);
	assert_int_equal(rc, EINVAL);
	free(text);
	/* Not UTF-8: written with '?', still valid JSON. */
	text = write_mem(FEED_JSON, latin1, 1, &rc, &len);
	assert_int_equal(rc, 0);
	memset(&g, 0, sizeof(g));
	assert_int_equal(feed_parse(FEED_JSON, text, len, got_h, &g, NULL, 0,
			     err, sizeof(err)),
	    0);
	assert_string_equal(g.e[0], "192.0.2.1/32 caf?");
	free(text);
	/* A range of no known family. */
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(feed_write(f, FEED_PLAIN, bad_next, NULL), EINVAL);
	fclose(f);
	free(buf);
	assert_int_equal(feed_write(NULL, FEED_PLAIN, ent_next, NULL), EINVAL);
}

/* ---- the rbldnsd export, served by rbldnsd ---------------------------- */

/*
 * One DNS query over UDP to 127.0.0.1:port. Returns 0 with *rcode and
 * the first answer of type qtype in out (*olen bytes; 0 when none), or
 * ETIMEDOUT.
 */
static int
dns_query(uint16_t port, const char *name, uint16_t qtype, uint8_t *out,
    size_t *olen, int *rcode)
{
	uint8_t q[512], r[1500];
	struct sockaddr_in sin;
	struct pollfd pfd;
	size_t ql = 12, off, n, i;
	unsigned an, type, rdlen;
	const char *p = name, *dot;
	ssize_t rl;
	int fd;

	memset(q, 0, sizeof(q));
	q[0] = 0x4a;
	q[1] = 0x17;
	q[2] = 0x01; /* RD */
	q[5] = 1; /* one question */
	while (*p) {
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		q[ql++] = (uint8_t)n;
		memcpy(q + ql, p, n);
		ql += n;
		p += n;
		if (*p)
			p++;
	}
	q[ql++] = 0;
	q[ql++] = (uint8_t)(qtype >> 8);
	q[ql++] = (uint8_t)qtype;
	q[ql++] = 0;
	q[ql++] = 1; /* IN */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sendto(fd, q, ql, 0, (struct sockaddr *)&sin, sizeof(sin));
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 200) != 1) {
		close(fd);
		return ETIMEDOUT;
	}
	rl = recv(fd, r, sizeof(r), 0);
	close(fd);
	assert_true(rl >= 12);
	assert_int_equal(r[0], 0x4a);
	assert_int_equal(r[1], 0x17);
	*rcode = r[3] & 0x0f;
	*olen = 0;
	an = (unsigned)(r[6] << 8 | r[7]);
	off = 12;
	while (off < (size_t)rl && r[off])
		off += (size_t)r[off] + 1;
	off += 5;
	for (i = 0; i < an && off < (size_t)rl; i++) {
		if ((r[off] & 0xc0) == 0xc0)
			off += 2;
		else {
			while (off < (size_t)rl && r[off])
				off += (size_t)r[off] + 1;
			off++;
		}
		assert_true(off + 10 <= (size_t)rl);
		type = (unsigned)(r[off] << 8 | r[off + 1]);
		rdlen = (unsigned)(r[off + 8] << 8 | r[off + 9]);
		off += 10;
		assert_true(off + rdlen <= (size_t)rl);
		if (type == qtype) {
			memcpy(out, r + off, rdlen);
			*olen = rdlen;
			break;
		}
		off += rdlen;
	}
	return 0;
}

/* "7.2.0.192.bl.test" / nibbles for IPv6. */
static void
rev_name(const char *addr, char *buf, size_t cap)
{
	uint8_t a[16];
	size_t o = 0;
	int i;

	if (inet_pton(AF_INET, addr, a) == 1)
		snprintf(
		    buf, cap, "%u.%u.%u.%u.bl.test", a[3], a[2], a[1], a[0]);
	else {
		assert_int_equal(inet_pton(AF_INET6, addr, a), 1);
		for (i = 15; i >= 0; i--)
			o += (size_t)snprintf(
			    buf + o, cap - o, "%x.%x.", a[i] & 0xf, a[i] >> 4);
		snprintf(buf + o, cap - o, "bl.test");
	}
}

/* 1: listed (A 127.0.0.2), 0: NXDOMAIN, -1: anything else. */
static int
listed(uint16_t port, const char *addr)
{
	char name[128];
	uint8_t a[512];
	size_t al;
	int rcode;

	rev_name(addr, name, sizeof(name));
	if (dns_query(port, name, 1, a, &al, &rcode))
		return -1;
	if (rcode == 3)
		return 0;
	if (rcode == 0 && al == 4 && a[0] == 127 && a[1] == 0 && a[2] == 0 &&
	    a[3] == 2)
		return 1;
	return -1;
}

static void
test_rbldnsd_serves_export(void **state)
{
	static const struct {
		const char *addr;
		int listed;
	} q[] = {
		{ "192.0.2.7", 1 },
		{ "192.0.2.8", 0 },
		{ "198.51.100.200", 1 },
		{ "203.0.113.200", 1 },
		{ "203.0.113.100", 0 },
		{ "10.20.30.40", 1 },
		{ "11.0.0.1", 0 },
		{ "2001:db8:1:ffff::1", 1 },
		{ "2001:db8:2::5", 1 },
		{ "2001:db8:2::6", 0 },
		{ "2001:db9::1", 0 },
	};
	char dir[] = "/tmp/test_guard_feed.XXXXXX", path[128], portarg[32];
	char out[8192], name[128];
	char *argv[16];
	struct iter it = { ents, NENTS, 0 };
	uint8_t txt[512];
	size_t i, tl;
	uint16_t port;
	int fd = -1, rcode, ok = 0, argc = 0;
	pid_t pid;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/feed.rbl", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(feed_write(f, FEED_RBLDNSD, ent_next, &it), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0644), 0);

	port = free_port(SOCK_DGRAM);
	snprintf(portarg, sizeof(portarg), "127.0.0.1/%u", port);
	argv[argc++] = "rbldnsd";
	argv[argc++] = "-n";
	if (geteuid() == 0) { /* rbldnsd refuses to run as root */
		argv[argc++] = "-u";
		argv[argc++] = "nobody";
	}
	argv[argc++] = "-b";
	argv[argc++] = portarg;
	argv[argc++] = "-w";
	argv[argc++] = dir;
	argv[argc++] = "-c";
	argv[argc++] = "0";
	argv[argc++] = "bl.test:combined:feed.rbl";
	argv[argc] = NULL;
	pid = tproc_spawn(argv, &fd,
	    &(struct tproc_opts){
		.stderr_pipe = true, .fallback = "/usr/sbin/rbldnsd" });
	assert_true(pid > 0);
	/* Up to 5 s for rbldnsd to load the zone and answer. */
	for (i = 0; i < 25 && !ok; i++) {
		rev_name("192.0.2.7", name, sizeof(name));
		if (dns_query(port, name, 1, txt, &tl, &rcode) == 0)
			ok = 1;
	}
	for (i = 0; ok && i < sizeof(q) / sizeof(q[0]); i++)
		if (listed(port, q[i].addr) != q[i].listed) {
			fprintf(stderr, "%s: not as expected\n", q[i].addr);
			ok = 0;
		}
	/* The reason is the TXT record. */
	rev_name("192.0.2.7", name, sizeof(name));
	if (ok &&
	    (dns_query(port, name, 16, txt, &tl, &rcode) != 0 || tl != 8 ||
		memcmp(txt, "\x07scanner", 8) != 0))
		ok = 0;
	tproc_reap(pid, 2000, true);
	tproc_read_all(fd, out, sizeof(out), 500);
	close(fd);
	unlink(path);
	rmdir(dir);
	if (!ok)
		fprintf(stderr, "rbldnsd said:\n%s\n", out);
	assert_true(ok);
	/* Both datasets loaded, and no line was warned about. */
	assert_non_null(strstr(out, "datasets=2"));
	assert_null(strstr(out, "feed.rbl("));
}

/* ---- fetching --------------------------------------------------------- */

static void
test_fetch_ok(void **state)
{
	char url[128], err[256], *body = NULL, id[16];
	struct got g;
	size_t len;
	long status;

	url_of(url, sizeof(url), "/plain");
	assert_int_equal(
	    feed_fetch(url, 5000, &body, &len, &status, err, sizeof(err)), 0);
	assert_int_equal(status, 200);
	assert_int_equal(len, strlen(body));
	assert_string_equal(body,
	    "# test list\n192.0.2.1\n198.51.100.0/24 "
	    "# a net\r\n2001:db8::/32\n");
	memset(&g, 0, sizeof(g));
	assert_int_equal(feed_parse(FEED_PLAIN, body, len, got_h, &g, NULL, 0,
			     err, sizeof(err)),
	    0);
	assert_int_equal(g.n, 3);
	free(body);
	/* A redirect to http is followed. */
	url_of(url, sizeof(url), "/redirect/plain");
	assert_int_equal(
	    feed_fetch(url, 5000, &body, &len, NULL, err, sizeof(err)), 0);
	assert_int_equal(len,
	    sizeof("# test list\n192.0.2.1\n198.51.100.0/24 "
		   "# a net\r\n2001:db8::/32\n") -
		1);
	free(body);
	/* APIBan's "no new bans" is a 400 with a body, when status is
	 * asked for; an error otherwise. */
	url_of(url, sizeof(url), "/apiban/banned/101");
	assert_int_equal(
	    feed_fetch(url, 5000, &body, &len, &status, err, sizeof(err)), 0);
	assert_int_equal(status, 400);
	snprintf(id, sizeof(id), "x");
	memset(&g, 0, sizeof(g));
	assert_int_equal(feed_parse(FEED_APIBAN, body, len, got_h, &g, id,
			     sizeof(id), err, sizeof(err)),
	    0);
	assert_int_equal(g.n, 0);
	assert_string_equal(id, "");
	free(body);
	body = NULL;
	assert_int_equal(
	    feed_fetch(url, 5000, &body, &len, NULL, err, sizeof(err)), EIO);
	assert_string_equal(err, "HTTP 400");
	assert_null(body);
}

static void
test_fetch_errors(void **state)
{
	char url[128], err[256], *body = NULL;
	size_t len = 7;
	long status;
	uint16_t port;

	url_of(url, sizeof(url), "/status/503");
	assert_int_equal(
	    feed_fetch(url, 5000, &body, &len, &status, err, sizeof(err)), EIO);
	assert_string_equal(err, "HTTP 503");
	assert_int_equal(status, 503);
	assert_null(body);
	assert_int_equal(len, 7);
	url_of(url, sizeof(url), "/nothing-here");
	assert_int_equal(
	    feed_fetch(url, 5000, &body, &len, NULL, err, sizeof(err)), EIO);
	assert_string_equal(err, "HTTP 404");
	/* Other schemes, directly or by redirect. */
	assert_int_equal(feed_fetch("ftp://127.0.0.1/x", 1000, &body, &len,
			     NULL, err, sizeof(err)),
	    EINVAL);
	assert_int_equal(feed_fetch("file:///etc/passwd", 1000, &body, &len,
			     NULL, err, sizeof(err)),
	    EINVAL);
	url_of(url, sizeof(url), "/redirect/ftp");
	assert_int_equal(
	    feed_fetch(url, 5000, &body, &len, &status, err, sizeof(err)),
	    EPROTONOSUPPORT);
	assert_null(body);
	/* Nobody listening. */
	port = free_port(SOCK_STREAM);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/x", port);
	assert_int_equal(
	    feed_fetch(url, 2000, &body, &len, &status, err, sizeof(err)),
	    ECONNREFUSED);
	assert_int_equal(status, 0);
	assert_null(body);
}

static void
test_fetch_size_limit(void **state)
{
	char url[128], err[256], *body = NULL;
	size_t len;

	/* Announced larger than FEED_MAX_BYTES: refused at the headers. */
	snprintf(url, sizeof(url), "%s/announce/%u", base, FEED_MAX_BYTES + 1);
	assert_int_equal(
	    feed_fetch(url, 5000, &body, &len, NULL, err, sizeof(err)), E2BIG);
	assert_string_equal(err, "answer larger than 268435456 bytes");
	assert_null(body);
	/* No length announced: aborted while receiving. */
	url_of(url, sizeof(url), "/stream/1000000");
	assert_int_equal(fetch_url(url, 5000, 50000, NULL, NULL, &body, &len,
			     NULL, err, sizeof(err)),
	    E2BIG);
	assert_string_equal(err, "answer larger than 50000 bytes");
	assert_null(body);
	url_of(url, sizeof(url), "/stream/50000");
	assert_int_equal(fetch_url(url, 5000, 50000, NULL, NULL, &body, &len,
			     NULL, err, sizeof(err)),
	    0);
	assert_int_equal(len, 50000);
	assert_int_equal(body[0], 'x');
	assert_int_equal(body[len], '\0');
	free(body);
}

static void
test_fetch_timeout(void **state)
{
	char url[128], err[256], *body = NULL;
	uint16_t port;
	size_t len;
	double t0, dt;
	int lfd;

	lfd = hang_listener(&port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/x", port);
	t0 = now_s();
	assert_int_equal(
	    feed_fetch(url, 300, &body, &len, NULL, err, sizeof(err)),
	    ETIMEDOUT);
	dt = now_s() - t0;
	close(lfd);
	assert_true(dt >= 0.25 && dt < 1.5);
	assert_string_equal(err, "no complete answer within 300 ms");
	assert_null(body);
}

/* ---- the schedule ----------------------------------------------------- */

struct applied {
	pthread_mutex_t mu;
	unsigned plain, apiban, broken;
	size_t apiban_n[8];
	char first_plain[4][CIDR_STRLEN];
	size_t first_plain_n;
};

static void
apply_h(
    const struct cfg_feed *f, const struct feed_entry *e, size_t n, void *arg)
{
	struct applied *ap = arg;
	size_t i;

	pthread_mutex_lock(&ap->mu);
	if (strcmp(f->name, "plain") == 0) {
		if (ap->plain++ == 0) {
			ap->first_plain_n = n;
			for (i = 0; i < n && i < 4; i++)
				cidr_fmt(&e[i].range, ap->first_plain[i],
				    CIDR_STRLEN);
		}
	} else if (strcmp(f->name, "apiban") == 0) {
		if (ap->apiban < 8)
			ap->apiban_n[ap->apiban] = n;
		ap->apiban++;
	} else
		ap->broken++;
	pthread_mutex_unlock(&ap->mu);
}

static void
add_feed(struct cfg_guard *gc, const char *name, const char *path,
    enum feed_format fmt, unsigned interval)
{
	struct cfg_feed *f = &gc->feeds[gc->nfeeds++];

	snprintf(f->name, sizeof(f->name), "%s", name);
	if (path[0] == '/')
		url_of(f->url, sizeof(f->url), path);
	else
		snprintf(f->url, sizeof(f->url), "%s", path);
	f->format = fmt;
	f->interval = interval;
	f->ban_for = 3600;
}

static size_t
count_lines(const char *text, const char *line)
{
	size_t n = 0, ll = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[ll] == '\n')
			n++;
		p += ll;
	}
	return n;
}

static void
test_sched(void **state)
{
	static struct cfg_guard gc;
	static struct applied ap;
	char url[128], err[256], *paths = NULL, logtext[4096];
	char logpath[] = "/tmp/test_guard_feed_log.XXXXXX";
	struct feed_sched *fs;
	size_t len, i;
	int logfd, done = 0;
	double t0;

	memset(&gc, 0, sizeof(gc));
	memset(&ap, 0, sizeof(ap));
	pthread_mutex_init(&ap.mu, NULL);
	add_feed(&gc, "plain", "/plain", FEED_PLAIN, 1);
	add_feed(&gc, "apiban", "/apiban/banned", FEED_APIBAN, 1);
	add_feed(&gc, "broken", "/status/503", FEED_PLAIN, 1);
	logfd = mkstemp(logpath);
	assert_true(logfd >= 0);
	log_setup(LOGF_HUMAN, LOGL_INFO, logfd);

	assert_int_equal(feed_sched_start(&fs, &gc, apply_h, &ap), 0);
	/* Wait (5 s at most) for two rounds of every feed. */
	url_of(url, sizeof(url), "/log");
	for (i = 0; i < 50 && !done; i++) {
		tproc_sleep_ms(100);
		if (feed_fetch(url, 2000, &paths, &len, NULL, err, sizeof(err)))
			continue;
		pthread_mutex_lock(&ap.mu);
		done = ap.plain >= 2 &&
		    count_lines(paths, "/apiban/banned/101") >= 2 &&
		    count_lines(paths, "/status/503") >= 2;
		pthread_mutex_unlock(&ap.mu);
		if (!done) {
			free(paths);
			paths = NULL;
		}
	}
	t0 = now_s();
	feed_sched_stop(fs);
	assert_true(now_s() - t0 < 0.5);
	log_setup(LOGF_HUMAN, LOGL_INFO, 2);
	assert_true(done);

	/* The plain list, whole, at each round. */
	assert_int_equal(ap.first_plain_n, 3);
	assert_string_equal(ap.first_plain[0], "192.0.2.1/32");
	assert_string_equal(ap.first_plain[1], "198.51.100.0/24");
	assert_string_equal(ap.first_plain[2], "2001:db8::/32");
	/* APIBan: the first page, the next at once with its ID, then "no
	 * new bans" (nothing applied); the next round asks with the last
	 * ID. */
	assert_int_equal(ap.apiban, 2);
	assert_int_equal(ap.apiban_n[0], 2);
	assert_int_equal(ap.apiban_n[1], 1);
	assert_non_null(strstr(paths,
	    "/apiban/banned\n/apiban/banned/100\n"
	    "/apiban/banned/101\n"));
	assert_int_equal(count_lines(paths, "/apiban/banned"), 1);
	assert_int_equal(count_lines(paths, "/apiban/banned/100"), 1);
	/* A failing feed applies nothing and is logged. */
	assert_int_equal(ap.broken, 0);
	free(paths);
	memset(logtext, 0, sizeof(logtext));
	assert_true(pread(logfd, logtext, sizeof(logtext) - 1, 0) > 0);
	close(logfd);
	unlink(logpath);
	assert_non_null(strstr(logtext, "feed broken: "));
	assert_non_null(strstr(logtext, "/status/503: HTTP 503"));
	assert_non_null(strstr(logtext, "feed plain: 3 entries"));
	pthread_mutex_destroy(&ap.mu);
}

/* Stop is at once, whether the thread waits or is in a transfer. */
static void
test_sched_stop(void **state)
{
	static struct cfg_guard gc;
	static struct applied ap;
	struct feed_sched *fs;
	char url[64];
	uint16_t port;
	double t0;
	int lfd, i;

	memset(&ap, 0, sizeof(ap));
	pthread_mutex_init(&ap.mu, NULL);
	log_setup(LOGF_HUMAN, LOGL_WARN, 2);
	/* Waiting: after the first fetch of an hourly feed. */
	memset(&gc, 0, sizeof(gc));
	add_feed(&gc, "plain", "/plain", FEED_PLAIN, 3600);
	assert_int_equal(feed_sched_start(&fs, &gc, apply_h, &ap), 0);
	for (i = 0; i < 50; i++) {
		tproc_sleep_ms(100);
		pthread_mutex_lock(&ap.mu);
		if (ap.plain) {
			pthread_mutex_unlock(&ap.mu);
			break;
		}
		pthread_mutex_unlock(&ap.mu);
	}
	assert_int_equal(ap.plain, 1);
	t0 = now_s();
	feed_sched_stop(fs);
	assert_true(now_s() - t0 < 0.5);

	/* In a transfer that would last 30 s. */
	lfd = hang_listener(&port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/x", port);
	memset(&gc, 0, sizeof(gc));
	add_feed(&gc, "hang", url, FEED_PLAIN, 3600);
	assert_int_equal(feed_sched_start(&fs, &gc, apply_h, &ap), 0);
	tproc_sleep_ms(300);
	t0 = now_s();
	feed_sched_stop(fs);
	assert_true(now_s() - t0 < 0.5);
	close(lfd);

	/* No feeds at all; and bad configurations. */
	memset(&gc, 0, sizeof(gc));
	assert_int_equal(feed_sched_start(&fs, &gc, apply_h, &ap), 0);
	t0 = now_s();
	feed_sched_stop(fs);
	assert_true(now_s() - t0 < 0.5);
	add_feed(&gc, "zero", "/plain", FEED_PLAIN, 0);
	assert_int_equal(feed_sched_start(&fs, &gc, apply_h, &ap), EINVAL);
	memset(&gc, 0, sizeof(gc));
	add_feed(&gc, "ftp", "ftp://127.0.0.1/x", FEED_PLAIN, 60);
	assert_int_equal(feed_sched_start(&fs, &gc, apply_h, &ap), EINVAL);
	assert_int_equal(feed_sched_start(&fs, NULL, apply_h, &ap), EINVAL);
	feed_sched_stop(NULL);
	assert_int_equal(ap.broken, 0);
	pthread_mutex_destroy(&ap.mu);
	log_setup(LOGF_HUMAN, LOGL_INFO, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_good),
		cmocka_unit_test(test_plain_bad),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_too_many_entries),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_rbldnsd_good),
		cmocka_unit_test(test_rbldnsd_bad),
		cmocka_unit_test(test_json_good),
		cmocka_unit_test(test_json_bad),
		cmocka_unit_test(test_apiban),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_write_bad),
		cmocka_unit_test(test_rbldnsd_serves_export),
		cmocka_unit_test(test_fetch_ok),
		cmocka_unit_test(test_fetch_errors),
		cmocka_unit_test(test_fetch_size_limit),
		cmocka_unit_test(test_fetch_timeout),
		cmocka_unit_test(test_sched),
		cmocka_unit_test(test_sched_stop),
	};

	return cmocka_run_group_tests(tests, httpd_start, httpd_stop);
}

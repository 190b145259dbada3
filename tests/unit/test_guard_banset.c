/*
 * tests/unit/test_guard_banset.c -- the banned-source set: exact and
 * range entries, expiry, shared records, the sweep, growth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guard/banset.h"
#include "net/sa.h"

#define NOW 1800000000u

static struct sa
addr(const char *s)
{
	struct sa a;

	assert_int_equal(sa_set_cstr(&a, s, 5060), 0);
	return a;
}

static struct ban_info
info(const char *range, uint32_t expires, uint32_t forget)
{
	struct ban_info bi;

	memset(&bi, 0, sizeof(bi));
	assert_int_equal(cidr_parse(range, &bi.range), 0);
	cidr_mask(&bi.range);
	bi.expires = expires;
	bi.forget = forget;
	bi.first_seen = bi.last_seen = NOW - 10;
	bi.strikes = 1;
	bi.rung = 1;
	bi.reason = REASON_SCANNER;
	return bi;
}

static bool
banned(struct banset *b, const char *a, uint32_t now)
{
	struct sa s = addr(a);

	return banset_check(b, &s, now, NULL);
}

static void
test_exact_and_expiry(void **state)
{
	struct banset *b;
	struct ban_info bi = info("192.0.2.7", NOW + 300, NOW + 86400), got;
	struct sa s;
	char buf[CIDR_STRLEN];

	assert_int_equal(banset_alloc(&b), 0);
	assert_false(banned(b, "192.0.2.7", NOW));
	assert_int_equal(banset_put(b, &bi), 0);
	assert_true(banned(b, "192.0.2.7", NOW));
	assert_true(banned(b, "::ffff:192.0.2.7", NOW));
	assert_false(banned(b, "192.0.2.8", NOW));
	/* The ban ends at "expires"; the record stays. */
	assert_true(banned(b, "192.0.2.7", NOW + 299));
	assert_false(banned(b, "192.0.2.7", NOW + 300));
	assert_int_equal(banset_get(b, &bi.range, &got), 0);
	assert_int_equal(got.rung, 1);
	assert_int_equal(got.reason, REASON_SCANNER);
	s = addr("192.0.2.7");
	assert_true(banset_check(b, &s, NOW, &got));
	assert_string_equal(
	    cidr_fmt(&got.range, buf, sizeof(buf)), "192.0.2.7/32");
	assert_int_equal(got.expires, NOW + 300);
	/* Replace in place. */
	bi.expires = NOW + 86400;
	bi.rung = 2;
	assert_int_equal(banset_put(b, &bi), 0);
	assert_true(banned(b, "192.0.2.7", NOW + 300));
	assert_int_equal(banset_get(b, &bi.range, &got), 0);
	assert_int_equal(got.rung, 2);
	assert_int_equal(banset_del(b, &bi.range), 0);
	assert_int_equal(banset_del(b, &bi.range), ENOENT);
	assert_false(banned(b, "192.0.2.7", NOW));
	assert_int_equal(banset_get(b, &bi.range, NULL), ENOENT);
	banset_free(b);
}

static void
test_ranges_and_v6(void **state)
{
	struct banset *b;
	struct ban_info a = info("198.51.100.0/24", NOW + 60, NOW + 600);
	struct ban_info c = info("198.51.0.0/16", NOW - 1, NOW + 600);
	struct ban_info v6 = info("2001:db8:1:2::/64", NOW + 60, NOW + 600);
	struct ban_info z = info("0.0.0.1", NOW + 60, NOW + 600);
	struct ban_info got;
	struct sa s;
	char buf[CIDR_STRLEN];

	assert_int_equal(banset_alloc(&b), 0);
	assert_int_equal(banset_put(b, &a), 0);
	assert_int_equal(banset_put(b, &c), 0);
	assert_int_equal(banset_put(b, &v6), 0);
	assert_int_equal(banset_put(b, &z), 0);
	assert_true(banned(b, "198.51.100.200", NOW));
	assert_false(banned(b, "198.51.101.1", NOW)); /* /16 expired */
	assert_true(banned(b, "2001:db8:1:2:aaaa::1", NOW));
	assert_false(banned(b, "2001:db8:1:3::1", NOW));
	assert_true(banned(b, "0.0.0.1", NOW));
	assert_false(banned(b, "0.0.0.2", NOW));
	s = addr("2001:db8:1:2::99");
	assert_true(banset_check(b, &s, NOW, &got));
	assert_string_equal(
	    cidr_fmt(&got.range, buf, sizeof(buf)), "2001:db8:1:2::/64");
	/* A range given with host bits is the same range. */
	assert_int_equal(cidr_parse("198.51.100.9/24", &got.range), 0);
	assert_int_equal(banset_get(b, &got.range, NULL), 0);
	assert_int_equal(banset_del(b, &a.range), 0);
	assert_false(banned(b, "198.51.100.200", NOW));
	banset_free(b);
}

static void
test_shared(void **state)
{
	struct banset *b;
	struct cidr r[4];
	struct ban_info feed = info("0.0.0.0/0", NOW + 3600, NOW + 3600);
	struct ban_info own = info("203.0.113.2", NOW + 86400, NOW + 86400);
	struct ban_info got;
	struct banset_stats st;

	assert_int_equal(banset_alloc(&b), 0);
	assert_int_equal(banset_put(b, &own), 0);
	assert_int_equal(cidr_parse("203.0.113.1", &r[0]), 0);
	assert_int_equal(cidr_parse("203.0.113.2", &r[1]), 0);
	assert_int_equal(cidr_parse("203.0.113.1", &r[2]), 0); /* twice */
	assert_int_equal(cidr_parse("2001:db8::/48", &r[3]), 0);
	feed.origin = BAN_FEED;
	feed.reason = REASON_FEED;
	assert_int_equal(banset_put_shared(b, r, 4, &feed), 0);
	banset_stats(b, &st);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.records, 2);
	/* The longer own ban of .2 was kept. */
	assert_int_equal(banset_get(b, &r[1], &got), 0);
	assert_int_equal(got.origin, BAN_GUARD);
	assert_int_equal(got.expires, NOW + 86400);
	assert_int_equal(banset_get(b, &r[0], &got), 0);
	assert_int_equal(got.origin, BAN_FEED);
	assert_true(banned(b, "2001:db8::5", NOW));
	/* Re-banning one shared entry gives it a record of its own. */
	own.range = r[0];
	assert_int_equal(banset_put(b, &own), 0);
	banset_stats(b, &st);
	assert_int_equal(st.records, 3);
	assert_int_equal(banset_get(b, &r[3], &got), 0);
	assert_int_equal(got.origin, BAN_FEED);
	assert_int_equal(banset_del(b, &r[3]), 0);
	banset_stats(b, &st);
	assert_int_equal(st.records, 2); /* the feed record is gone */
	banset_free(b);
}

static int
count_ended(const struct ban_info *bi, void *arg)
{
	(*(unsigned *)arg)++;
	return 0;
}

static void
test_sweep(void **state)
{
	struct banset *b;
	struct ban_info a = info("192.0.2.1", NOW + 10, NOW + 100);
	struct ban_info c = info("192.0.2.2", NOW + 50, NOW + 1000);
	struct ban_info d = info("2001:db8::/64", NOW + 10, NOW + 100);
	struct banset_stats st;
	unsigned ended = 0;

	assert_int_equal(banset_alloc(&b), 0);
	assert_int_equal(banset_put(b, &a), 0);
	assert_int_equal(banset_put(b, &c), 0);
	assert_int_equal(banset_put(b, &d), 0);
	banset_sweep(b, NOW, 1000000, count_ended, &ended);
	assert_int_equal(ended, 0);
	banset_sweep(b, NOW + 20, 1000000, count_ended, &ended);
	assert_int_equal(ended, 2); /* a and d ended, reported once */
	banset_sweep(b, NOW + 20, 1000000, count_ended, &ended);
	assert_int_equal(ended, 2);
	banset_stats(b, &st);
	assert_int_equal(st.entries, 3);
	banset_sweep(b, NOW + 100, 1000000, count_ended, &ended);
	assert_int_equal(ended, 3);
	banset_stats(b, &st);
	assert_int_equal(st.entries, 1); /* a and d forgotten */
	assert_int_equal(banset_get(b, &c.range, NULL), 0);
	/* A small budget walks the table in several calls. */
	assert_int_equal(banset_sweep(b, NOW + 2000, 5, NULL, NULL), 5);
	while (banset_get(b, &c.range, NULL) == 0)
		banset_sweep(b, NOW + 2000, 7, NULL, NULL);
	banset_stats(b, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.records, 0);
	banset_free(b);
}

static int
count_each(const struct ban_info *bi, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

static void
test_growth(void **state)
{
	struct banset *b;
	struct ban_info bi = info("10.0.0.0", NOW + 60, NOW + 60);
	struct banset_stats st;
	size_t i, n = 200000, seen = 0;
	uint32_t x = 12345;

	assert_int_equal(banset_alloc(&b), 0);
	for (i = 0; i < n; i++) {
		uint32_t a = (uint32_t)(0x0a000000u + i * 7);

		bi.range.addr[0] = (uint8_t)(a >> 24);
		bi.range.addr[1] = (uint8_t)(a >> 16);
		bi.range.addr[2] = (uint8_t)(a >> 8);
		bi.range.addr[3] = (uint8_t)a;
		assert_int_equal(banset_put(b, &bi), 0);
	}
	banset_stats(b, &st);
	assert_int_equal(st.exact4, n);
	for (i = 0; i < n; i++) {
		uint32_t a = (uint32_t)(0x0a000000u + i * 7);
		struct sa s;

		memset(&s, 0, sizeof(s));
		s.u.in.sin_family = AF_INET;
		s.u.in.sin_addr.s_addr = htonl(a);
		s.len = sizeof(s.u.in);
		assert_true(banset_check(b, &s, NOW, NULL));
		s.u.in.sin_addr.s_addr = htonl(a + 1);
		assert_false(banset_check(b, &s, NOW, NULL));
		x = x * 1103515245u + 12345u;
	}
	/* Delete every other one; the rest is still found. */
	for (i = 0; i < n; i += 2) {
		uint32_t a = (uint32_t)(0x0a000000u + i * 7);

		bi.range.addr[0] = (uint8_t)(a >> 24);
		bi.range.addr[1] = (uint8_t)(a >> 16);
		bi.range.addr[2] = (uint8_t)(a >> 8);
		bi.range.addr[3] = (uint8_t)a;
		assert_int_equal(banset_del(b, &bi.range), 0);
	}
	for (i = 0; i < n; i++) {
		uint32_t a = (uint32_t)(0x0a000000u + i * 7);
		struct sa s;

		memset(&s, 0, sizeof(s));
		s.u.in.sin_family = AF_INET;
		s.u.in.sin_addr.s_addr = htonl(a);
		s.len = sizeof(s.u.in);
		assert_true(banset_check(b, &s, NOW, NULL) == (i % 2 == 1));
	}
	assert_int_equal(banset_each(b, count_each, &seen), 0);
	assert_int_equal(seen, n / 2);
	banset_free(b);
}

/*
 * banset_check_many() answers as banset_check() does, source by
 * source, across its chunks of 64, on a table large enough to be
 * mapped on its own (400,000 addresses: over 4 MB of buckets, grown
 * through several resizes); the version moves with puts and deletes
 * only.
 */
static void
test_many(void **state)
{
	struct banset *b;
	struct ban_info bi = info("10.0.0.0", NOW + 60, NOW + 600);
	struct ban_info old = info("172.16.0.9", NOW - 1, NOW + 600);
	struct ban_info net = info("203.0.113.0/24", NOW + 60, NOW + 600);
	struct ban_info v6 = info("2001:db8:9::/48", NOW + 60, NOW + 600);
	struct banset_stats st;
	struct sa src[150];
	bool hit[150];
	size_t i, n = 400000, nhit = 0;
	uint32_t k;
	uint64_t v0, v;

	assert_int_equal(banset_alloc(&b), 0);
	for (i = 0; i < n; i++) {
		uint32_t a = (uint32_t)(0x0a000000u + i * 3);

		bi.range.addr[1] = (uint8_t)(a >> 16);
		bi.range.addr[2] = (uint8_t)(a >> 8);
		bi.range.addr[3] = (uint8_t)a;
		assert_int_equal(banset_put(b, &bi), 0);
	}
	assert_int_equal(banset_put(b, &old), 0);
	assert_int_equal(banset_put(b, &net), 0);
	v0 = banset_version(b);
	assert_int_equal(banset_put(b, &v6), 0);
	assert_true(banset_version(b) != v0);
	banset_stats(b, &st);
	assert_true(st.bytes > (size_t)4 << 20);
	for (i = 0; i < 150; i++) {
		char a[64];

		switch (i % 6) {
		case 0: /* held */
		case 1: /* not held: next to a held one */
			k = (uint32_t)(0x0a000000u + (i * 7919) % n * 3 +
			    i % 6);
			snprintf(a, sizeof(a), "10.%u.%u.%u", k >> 16 & 0xff,
			    k >> 8 & 0xff, k & 0xff);
			break;
		case 2:
			snprintf(a, sizeof(a), "172.16.0.9"); /* ended */
			break;
		case 3:
			snprintf(a, sizeof(a), "203.0.113.%zu", i); /* range */
			break;
		case 4:
			snprintf(a, sizeof(a), "2001:db8:9::%zx", i);
			break;
		default:
			snprintf(a, sizeof(a), "::ffff:10.0.0.%zu", i % 2 * 3);
			break;
		}
		src[i] = addr(a);
	}
	memset(&src[149], 0, sizeof(src[149])); /* no address at all */
	v = banset_check_many(b, src, 150, NOW, hit);
	assert_true(v == banset_version(b));
	for (i = 0; i < 150; i++) {
		/* held, next to held, ended, range, IPv6 range, mapped held */
		bool want = i % 6 != 1 && i % 6 != 2 && i != 149;

		assert_int_equal(hit[i], want);
		assert_int_equal(hit[i], banset_check(b, &src[i], NOW, NULL));
		nhit += hit[i];
	}
	assert_int_equal(nhit, 99);
	/* A delete moves the version; the batch answers the new way. */
	assert_int_equal(banset_del(b, &net.range), 0);
	assert_true(banset_version(b) != v);
	v = banset_check_many(b, src, 150, NOW, hit);
	assert_false(hit[3]);
	assert_true(hit[0]);
	assert_true(v == banset_version(b));
	banset_free(b);
}

/*
 * 0.0.0.0 and 0.0.0.1 are the exact table's empty and deleted markers:
 * a deleted slot keeps its record id, and with a shared record still
 * live, matching 0.0.0.1 against it read as banned.
 */
static void
test_marker_addresses(void **state)
{
	struct banset *b;
	struct ban_info bi = info("10.0.0.0", NOW + 60, NOW + 600);
	struct cidr r[90];
	struct sa s[2];
	bool hit[2];
	size_t i;

	assert_int_equal(banset_alloc(&b), 0);
	for (i = 0; i < 90; i++) {
		r[i] = bi.range;
		r[i].addr[3] = (uint8_t)(i + 1);
	}
	assert_int_equal(banset_put_shared(b, r, 90, &bi), 0);
	for (i = 1; i < 90; i++) /* dead slots everywhere, one record */
		assert_int_equal(banset_del(b, &r[i]), 0);
	s[0] = addr("0.0.0.0");
	s[1] = addr("0.0.0.1");
	assert_false(banset_check(b, &s[0], NOW, NULL));
	assert_false(banset_check(b, &s[1], NOW, NULL));
	banset_check_many(b, s, 2, NOW, hit);
	assert_false(hit[0] || hit[1]);
	assert_true(banned(b, "10.0.0.1", NOW));
	banset_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_and_expiry),
		cmocka_unit_test(test_ranges_and_v6),
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_marker_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

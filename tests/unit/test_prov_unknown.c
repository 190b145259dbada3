/*
 * tests/unit/test_prov_unknown.c -- unknown MACs are counted per source
 * range (prov/unknown.c): the limit within the window strikes; an old
 * window starts again; IPv6 addresses of one /64 share one count (a
 * host cannot spread guesses over its prefix), other /64s and other
 * IPv4 addresses do not; the count starts again after a strike.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "prov/prov_int.h"

/* A fixed seed: the slots the test addresses take are always the same. */
#define SEED 0x5eed5eed5eed5eedULL

static struct prov_unknowns t;

static struct sa
addr(const char *s)
{
	struct sa sa;

	assert_int_equal(sa_set_cstr(&sa, s, 443), 0);
	return sa;
}

static void
test_limit_in_window(void **state)
{
	struct sa a = addr("192.0.2.7"), b = addr("192.0.2.8");

	(void)state;
	prov_unknowns_init(&t, 64, 3, 60, SEED);
	assert_false(prov_unknowns_note(&t, &a, 1000));
	assert_false(prov_unknowns_note(&t, &a, 1001));
	assert_false(prov_unknowns_note(&t, &b, 1001)); /* its own count */
	assert_true(prov_unknowns_note(&t, &a, 1002));
	/* The count starts again after a strike. */
	assert_false(prov_unknowns_note(&t, &a, 1003));
	assert_false(prov_unknowns_note(&t, &a, 1004));
	assert_true(prov_unknowns_note(&t, &a, 1005));
}

static void
test_window_expires(void **state)
{
	struct sa a = addr("198.51.100.1");

	(void)state;
	prov_unknowns_init(&t, 64, 3, 60, SEED);
	assert_false(prov_unknowns_note(&t, &a, 1000));
	assert_false(prov_unknowns_note(&t, &a, 1030));
	/* 60 s after the first: a new window, two more are not enough. */
	assert_false(prov_unknowns_note(&t, &a, 1060));
	assert_false(prov_unknowns_note(&t, &a, 1061));
	assert_true(prov_unknowns_note(&t, &a, 1062));
}

static void
test_v6_prefix_shared(void **state)
{
	struct sa a = addr("2001:db8:1:2::1"), b = addr("2001:db8:1:2:ffff::9"),
		  c = addr("2001:db8:1:2:abcd:1:2:3"),
		  other = addr("2001:db8:1:3::1");

	(void)state;
	prov_unknowns_init(&t, 64, 3, 60, SEED);
	assert_false(prov_unknowns_note(&t, &a, 1000));
	assert_false(prov_unknowns_note(&t, &other, 1000));
	assert_false(prov_unknowns_note(&t, &b, 1001));
	assert_false(prov_unknowns_note(&t, &other, 1001));
	assert_true(prov_unknowns_note(&t, &c, 1002)); /* third in the /64 */
}

static void
test_v6_prefix_128(void **state)
{
	struct sa a = addr("2001:db8::1"), b = addr("2001:db8::2");

	(void)state;
	prov_unknowns_init(&t, 128, 2, 60, SEED);
	assert_false(prov_unknowns_note(&t, &a, 1000));
	assert_false(prov_unknowns_note(&t, &b, 1000));
	assert_true(prov_unknowns_note(&t, &a, 1001));
}

static void
test_crowded_table(void **state)
{
	struct sa a = addr("203.0.113.9"), other;
	char buf[32];
	unsigned i;

	(void)state;
	prov_unknowns_init(&t, 64, 3, 60, SEED);
	assert_false(prov_unknowns_note(&t, &a, 1000));
	assert_false(prov_unknowns_note(&t, &a, 1001));
	/*
	 * Two thousand other sources, each once, later in the window (more
	 * than the table holds): they take free slots or each other's,
	 * never the higher count of "a".
	 */
	for (i = 0; i < 2000; i++) {
		snprintf(buf, sizeof(buf), "10.%u.%u.1", i / 250, i % 250);
		other = addr(buf);
		(void)prov_unknowns_note(&t, &other, 1002);
	}
	assert_true(prov_unknowns_note(&t, &a, 1003));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_in_window),
		cmocka_unit_test(test_window_expires),
		cmocka_unit_test(test_v6_prefix_shared),
		cmocka_unit_test(test_v6_prefix_128),
		cmocka_unit_test(test_crowded_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

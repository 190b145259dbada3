/*
 * tests/unit/test_prov_ban.c -- how the provisioning service reaches the
 * guard's ban ladder from its own thread (guard/ban.h ban_post_*()):
 * nothing to strike without a ladder (NULL); a posted
 * strike waits for the loop's tick, then bans like a trigger; a peer is
 * never banned; a full queue drops strikes instead of growing; strikes
 * posted from several threads at once all arrive.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/cfg.h"
#include "guard/ban.h"
#include "guard/banset.h"

struct world {
	char dir[64];
	struct cfg *cfg;
	struct banset *bs;
	struct ban *ban;
};

static void
world_up(struct world *wd)
{
	snprintf(wd->dir, sizeof(wd->dir), "/tmp/test_prov_ban.XXXXXX");
	assert_non_null(mkdtemp(wd->dir));
	assert_int_equal(cfg_load(&wd->cfg, NULL, stderr), 0);
	snprintf(wd->cfg->store_uri, sizeof(wd->cfg->store_uri),
	    "sqlite:%s/g.db", wd->dir);
	wd->cfg->store_poll = 50;
	assert_int_equal(banset_alloc(&wd->bs), 0);
	assert_int_equal(ban_alloc(&wd->ban, wd->cfg, wd->bs), 0);
}

static void
world_down(struct world *wd)
{
	char cmd[128];

	ban_free(wd->ban);
	banset_free(wd->bs);
	cfg_free(wd->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", wd->dir);
	assert_int_equal(system(cmd), 0);
}

static struct sa
addr(const char *a)
{
	struct sa sa;

	assert_int_equal(sa_set_cstr(&sa, a, 443), 0);
	return sa;
}

static bool
banned(struct world *wd, const char *a)
{
	struct sa sa = addr(a);

	return banset_check(wd->bs, &sa, (uint32_t)time(NULL), NULL);
}

static void
no_ladder(void **state)
{
	struct sa sa = addr("192.0.2.1");

	(void)state;
	assert_int_equal(ban_post_strike(NULL, &sa, ROLE_PUBLIC,
			     REASON_PROV_UNKNOWN_MAC, "x"),
	    ENOENT);
	assert_false(ban_post_banned(NULL, &sa));
}

static void
strike_applied_at_tick(void **state)
{
	struct world wd;
	struct sa sa = addr("192.0.2.1"), peer = addr("192.0.2.2");
	struct ban_info bi;

	(void)state;
	world_up(&wd);
	assert_int_equal(ban_post_strike(wd.ban, &sa, ROLE_PUBLIC,
			     REASON_PROV_UNKNOWN_MAC, "prov: test"),
	    0);
	assert_int_equal(ban_post_strike(wd.ban, &peer, ROLE_CUSTOMER,
			     REASON_PROV_UNKNOWN_MAC, NULL),
	    0);
	/* Queued only: the loop owns the ladder. */
	assert_false(banned(&wd, "192.0.2.1"));
	assert_false(ban_post_banned(wd.ban, &sa));
	ban_tick(wd.ban, (uint32_t)time(NULL), 64);
	assert_true(banned(&wd, "192.0.2.1"));
	assert_true(ban_post_banned(wd.ban, &sa));
	assert_true(banset_check(wd.bs, &sa, (uint32_t)time(NULL), &bi));
	assert_int_equal(bi.reason, REASON_PROV_UNKNOWN_MAC);
	assert_int_equal(bi.rung, 1);
	/* A peer is never banned. */
	assert_false(ban_post_banned(wd.ban, &peer));
	/* Another tick applies nothing twice. */
	ban_tick(wd.ban, (uint32_t)time(NULL), 64);
	assert_false(ban_post_banned(wd.ban, &peer));
	world_down(&wd);
}

static void
queue_bounded(void **state)
{
	struct world wd;
	char a[32];
	unsigned i, ok = 0, full = 0, n = 0;

	(void)state;
	world_up(&wd);
	for (i = 0; i < 100; i++) {
		struct sa sa;
		int rc;

		snprintf(a, sizeof(a), "198.51.100.%u", i + 1);
		sa = addr(a);
		rc = ban_post_strike(
		    wd.ban, &sa, ROLE_PUBLIC, REASON_PROV_UNKNOWN_MAC, NULL);
		if (rc == 0)
			ok++;
		else if (rc == ENOSPC)
			full++;
	}
	assert_int_equal(ok, 64);
	assert_int_equal(full, 36);
	ban_tick(wd.ban, (uint32_t)time(NULL), 64);
	for (i = 0; i < 100; i++) {
		snprintf(a, sizeof(a), "198.51.100.%u", i + 1);
		n += banned(&wd, a);
	}
	assert_int_equal(n, 64);
	world_down(&wd);
}

struct poster {
	struct ban *ban;
	unsigned base;
	unsigned posted;
};

static void *
post_many(void *arg)
{
	struct poster *p = arg;
	char a[32];
	unsigned i;

	for (i = 0; i < 16; i++) {
		struct sa sa;

		snprintf(a, sizeof(a), "203.0.113.%u", p->base + i);
		assert_int_equal(sa_set_cstr(&sa, a, 443), 0);
		if (ban_post_strike(p->ban, &sa, ROLE_PUBLIC,
			REASON_PROV_UNKNOWN_MAC, NULL) == 0)
			p->posted++;
		(void)ban_post_banned(p->ban, &sa);
	}
	return NULL;
}

static void
threads_post(void **state)
{
	struct world wd;
	struct poster p[4];
	pthread_t t[4];
	char a[32];
	unsigned i, n = 0, posted = 0;

	(void)state;
	world_up(&wd);
	for (i = 0; i < 4; i++) {
		p[i].ban = wd.ban;
		p[i].base = 1 + 16 * i;
		p[i].posted = 0;
		assert_int_equal(
		    pthread_create(&t[i], NULL, post_many, &p[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		posted += p[i].posted;
	}
	assert_int_equal(posted, 64);
	ban_tick(wd.ban, (uint32_t)time(NULL), 64);
	for (i = 1; i <= 64; i++) {
		snprintf(a, sizeof(a), "203.0.113.%u", i);
		n += banned(&wd, a);
	}
	assert_int_equal(n, 64);
	world_down(&wd);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_ladder),
		cmocka_unit_test(strike_applied_at_tick),
		cmocka_unit_test(queue_bounded),
		cmocka_unit_test(threads_post),
	};

	return cmocka_run_group_tests_name("prov_ban", tests, NULL, NULL);
}

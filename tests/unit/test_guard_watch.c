/*
 * tests/unit/test_guard_watch.c -- the triggers (flood, failed
 * authentications, enumeration, malformed bursts), the ban ladder with
 * its persistence, and the scanner signature files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/cfg.h"
#include "core/event.h"
#include "guard/ban.h"
#include "guard/banset.h"
#include "guard/scanner.h"
#include "guard/watch.h"
#include "sip/sip.h"
#include "store/store.h"

struct world {
	char dir[64];
	struct cfg *cfg;
	struct banset *bs;
	struct ban *ban;
	struct watch *w;
};

static void
world_up(struct world *wd)
{
	snprintf(wd->dir, sizeof(wd->dir), "/tmp/test_guard_watch.XXXXXX");
	assert_non_null(mkdtemp(wd->dir));
	assert_int_equal(cfg_load(&wd->cfg, NULL, stderr), 0);
	snprintf(wd->cfg->store_uri, sizeof(wd->cfg->store_uri),
	    "sqlite:%s/g.db", wd->dir);
	wd->cfg->store_poll = 50;
	wd->cfg->guard.flood[ROLE_PUBLIC].rate = 10;
	wd->cfg->guard.flood[ROLE_PUBLIC].burst = 20;
	wd->cfg->guard.flood[ROLE_CUSTOMER].rate = 10;
	wd->cfg->guard.flood[ROLE_CUSTOMER].burst = 20;
	wd->cfg->guard.max_sources = 4096;
	assert_int_equal(
	    cidr_parse("198.51.100.99", &wd->cfg->guard.allow[0]), 0);
	wd->cfg->guard.nallow = 1;
}

static void
world_start(struct world *wd)
{
	assert_int_equal(banset_alloc(&wd->bs), 0);
	assert_int_equal(ban_alloc(&wd->ban, wd->cfg, wd->bs), 0);
	assert_int_equal(watch_alloc(&wd->w, wd->cfg, wd->ban), 0);
}

static void
world_stop(struct world *wd)
{
	watch_free(wd->w);
	ban_free(wd->ban);
	banset_free(wd->bs);
	wd->w = NULL;
	wd->ban = NULL;
	wd->bs = NULL;
}

static void
world_down(struct world *wd)
{
	char cmd[128];

	world_stop(wd);
	cfg_free(wd->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", wd->dir);
	assert_int_equal(system(cmd), 0);
}

static struct sa
addr(const char *s)
{
	struct sa a;

	assert_int_equal(sa_set_cstr(&a, s, 5060), 0);
	return a;
}

static bool
banned(struct world *wd, const char *a)
{
	struct sa s = addr(a);

	return banset_check(wd->bs, &s, (uint32_t)time(NULL), NULL);
}

static void
auth_event(struct world *wd, const char *src, const char *user, enum reason r)
{
	struct sa s = addr(src);
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = r == REASON_NONE ? EV_AUTH_OK : EV_AUTH_FAILED;
	ev.reason = r;
	ev.src = &s;
	ev.user = str_make(user, strlen(user));
	watch_event(&ev, wd->w);
}

static void
test_flood(void **state)
{
	struct world wd;
	struct sa pub = addr("203.0.113.5"), cust = addr("203.0.113.6");
	uint64_t ms = 1000000;
	unsigned i;

	world_up(&wd);
	world_start(&wd);
	for (i = 0; i < 20; i++)
		assert_true(watch_flood(wd.w, &pub, ROLE_PUBLIC, ms));
	assert_false(watch_flood(wd.w, &pub, ROLE_PUBLIC, ms));
	/* action ban: the public source is banned */
	assert_true(banned(&wd, "203.0.113.5"));
	/* a peer over its cap is dropped, never banned */
	for (i = 0; i < 20; i++)
		assert_true(watch_flood(wd.w, &cust, ROLE_CUSTOMER, ms));
	assert_false(watch_flood(wd.w, &cust, ROLE_CUSTOMER, ms));
	assert_false(banned(&wd, "203.0.113.6"));
	/* 10/s refills one token per 100 ms */
	assert_false(watch_flood(wd.w, &cust, ROLE_CUSTOMER, ms + 50));
	assert_true(watch_flood(wd.w, &cust, ROLE_CUSTOMER, ms + 150));
	assert_false(watch_flood(wd.w, &cust, ROLE_CUSTOMER, ms + 150));
	/* rate 0: no cap at all */
	for (i = 0; i < 1000; i++)
		assert_true(watch_flood(wd.w, &cust, ROLE_PBX, ms));
	world_down(&wd);
}

static void
test_auth_failures_per_user(void **state)
{
	struct world wd;
	unsigned i;

	world_up(&wd);
	world_start(&wd);
	/* One office NAT: four phones fail four times each: no ban. */
	for (i = 0; i < 16; i++) {
		char u[32];

		snprintf(u, sizeof(u), "10%u@centinela.local", i % 4);
		auth_event(&wd, "192.0.2.10", u, REASON_AUTH_WRONG_SECRET);
	}
	assert_false(banned(&wd, "192.0.2.10"));
	/* Challenges without credentials and stale nonces do not count. */
	for (i = 0; i < 10; i++) {
		auth_event(&wd, "192.0.2.11", "200@centinela.local",
		    REASON_AUTH_REQUIRED);
		auth_event(&wd, "192.0.2.11", "200@centinela.local",
		    REASON_AUTH_STALE_NONCE);
	}
	assert_false(banned(&wd, "192.0.2.11"));
	/* Five wrong secrets for one user: banned at the fifth. */
	for (i = 0; i < 4; i++)
		auth_event(&wd, "192.0.2.12", "300@centinela.local",
		    REASON_AUTH_WRONG_SECRET);
	assert_false(banned(&wd, "192.0.2.12"));
	auth_event(
	    &wd, "192.0.2.12", "300@centinela.local", REASON_AUTH_WRONG_SECRET);
	assert_true(banned(&wd, "192.0.2.12"));
	/* ip_count (20) over all users of one source. */
	for (i = 0; i < 19; i++) {
		char u[32];

		snprintf(u, sizeof(u), "%u@centinela.local", 500 + i % 5);
		auth_event(&wd, "192.0.2.13", u, REASON_AUTH_UNKNOWN_USER);
	}
	assert_false(banned(&wd, "192.0.2.13"));
	auth_event(
	    &wd, "192.0.2.13", "777@centinela.local", REASON_AUTH_WRONG_SECRET);
	assert_true(banned(&wd, "192.0.2.13"));
	/* Allowlisted and never banned. */
	for (i = 0; i < 30; i++)
		auth_event(&wd, "198.51.100.99", "300@centinela.local",
		    REASON_AUTH_WRONG_SECRET);
	assert_false(banned(&wd, "198.51.100.99"));
	world_down(&wd);
}

static void
test_enumeration(void **state)
{
	struct world wd;
	char u[32];
	unsigned i;

	world_up(&wd);
	world_start(&wd);
	/* Names challenged once each, no success: banned by about 10. */
	for (i = 0; i < 9; i++) {
		snprintf(u, sizeof(u), "%u@centinela.local", 1000 + i);
		auth_event(&wd, "192.0.2.20", u, REASON_AUTH_REQUIRED);
	}
	assert_false(banned(&wd, "192.0.2.20"));
	for (i = 9; i < 14 && !banned(&wd, "192.0.2.20"); i++) {
		snprintf(u, sizeof(u), "%u@centinela.local", 1000 + i);
		auth_event(&wd, "192.0.2.20", u, REASON_AUTH_REQUIRED);
	}
	assert_true(banned(&wd, "192.0.2.20"));
	assert_true(i <= 13);
	/* The same from a source that authenticated: phones behind a NAT. */
	auth_event(&wd, "192.0.2.21", "1000@centinela.local", REASON_NONE);
	for (i = 0; i < 40; i++) {
		snprintf(u, sizeof(u), "%u@centinela.local", 1000 + i);
		auth_event(&wd, "192.0.2.21", u, REASON_AUTH_REQUIRED);
	}
	assert_false(banned(&wd, "192.0.2.21"));
	/* One name over and over is no enumeration. */
	for (i = 0; i < 40; i++)
		auth_event(&wd, "192.0.2.22", "1000@centinela.local",
		    REASON_AUTH_REQUIRED);
	assert_false(banned(&wd, "192.0.2.22"));
	world_down(&wd);
}

static void
test_malformed_and_shadow(void **state)
{
	struct world wd;
	struct sa s = addr("192.0.2.30");
	uint64_t shadow0 = event_count(EV_SHADOW, REASON_MALFORMED_BURST);
	unsigned i;

	world_up(&wd);
	world_start(&wd);
	for (i = 0; i < 9; i++)
		watch_malformed(wd.w, &s);
	assert_false(banned(&wd, "192.0.2.30"));
	watch_malformed(wd.w, &s);
	assert_true(banned(&wd, "192.0.2.30"));
	world_stop(&wd);
	/* Shadow: the trigger fires, is counted, bans nothing. */
	wd.cfg->guard.malformed.shadow = true;
	world_start(&wd);
	s = addr("192.0.2.31");
	for (i = 0; i < 10; i++)
		watch_malformed(wd.w, &s);
	assert_false(banned(&wd, "192.0.2.31"));
	assert_int_equal(
	    event_count(EV_SHADOW, REASON_MALFORMED_BURST), shadow0 + 1);
	world_down(&wd);
}

static void
test_ladder_persisted(void **state)
{
	struct world wd;
	struct sa s = addr("192.0.2.40");
	struct ban_info bi;
	struct cidr c;
	char err[128];
	struct store *st;
	struct ban_rec r;
	uint32_t now = (uint32_t)time(NULL);

	world_up(&wd);
	world_start(&wd);
	assert_int_equal(ban_strike(wd.ban, &s, ROLE_PUBLIC, REASON_BRUTE_FORCE,
			     false, false, NULL),
	    300);
	/* banned already: no second strike */
	assert_int_equal(ban_strike(wd.ban, &s, ROLE_PUBLIC, REASON_BRUTE_FORCE,
			     false, false, NULL),
	    0);
	/* a peer or a shadow strike bans nothing */
	assert_int_equal(
	    ban_strike(wd.ban, &s, ROLE_PBX, REASON_SCANNER, true, false, NULL),
	    0);
	ban_sync(wd.ban);
	world_stop(&wd);
	/* After a restart the ban is back; when it has ended, the next
	 * strike climbs to the second rung. */
	world_start(&wd);
	assert_true(banned(&wd, "192.0.2.40"));
	assert_int_equal(cidr_parse("192.0.2.40", &c), 0);
	assert_int_equal(banset_get(wd.bs, &c, &bi), 0);
	bi.expires = now - 1; /* released */
	assert_int_equal(banset_put(wd.bs, &bi), 0);
	assert_false(banned(&wd, "192.0.2.40"));
	assert_int_equal(ban_strike(wd.ban, &s, ROLE_PUBLIC, REASON_BRUTE_FORCE,
			     false, false, NULL),
	    86400);
	/* IPv6: the /64 of the source */
	s = addr("2001:db8:5:6::1");
	assert_int_equal(ban_strike(wd.ban, &s, ROLE_PUBLIC, REASON_SCANNER,
			     true, false, NULL),
	    86400);
	assert_true(banned(&wd, "2001:db8:5:6:ffff::9"));
	ban_sync(wd.ban);
	assert_int_equal(
	    store_open(&st, wd.cfg->store_uri, err, sizeof(err)), 0);
	assert_int_equal(store_ban_get(st, "192.0.2.40/32", &r), 0);
	assert_int_equal(r.rung, 2);
	assert_int_equal(r.strikes, 2);
	assert_string_equal(r.reason, "brute_force");
	assert_int_equal(store_ban_get(st, "2001:db8:5:6::/64", &r), 0);
	assert_string_equal(r.reason, "scanner");
	store_close(st);
	world_down(&wd);
}

static void
test_ctl_commands(void **state)
{
	struct world wd;
	struct store *st;
	struct ban_rec r;
	struct ban_cmd c;
	struct allow_rec a;
	char err[128];
	int64_t now = (int64_t)time(NULL);
	unsigned i;

	world_up(&wd);
	world_start(&wd);
	assert_int_equal(
	    store_open(&st, wd.cfg->store_uri, err, sizeof(err)), 0);
	memset(&r, 0, sizeof(r));
	snprintf(r.addr, sizeof(r.addr), "203.0.113.0/24");
	snprintf(r.reason, sizeof(r.reason), "manual");
	snprintf(r.origin, sizeof(r.origin), "ctl");
	r.rung = r.strikes = 1;
	r.expires = now + 600;
	r.forget = now + 6000;
	assert_int_equal(store_ban_put(st, &r), 0);
	memset(&c, 0, sizeof(c));
	snprintf(c.op, sizeof(c.op), "ban");
	snprintf(c.addr, sizeof(c.addr), "203.0.113.0/24");
	assert_int_equal(store_ban_cmd_add(st, &c), 0);
	memset(&a, 0, sizeof(a));
	snprintf(a.addr, sizeof(a.addr), "192.0.2.50/32");
	assert_int_equal(store_allow_put(st, &a), 0);
	/* The daemon picks both up within a few poll intervals. */
	for (i = 0; i < 100 && !banned(&wd, "203.0.113.77"); i++)
		usleep(20000);
	assert_true(banned(&wd, "203.0.113.77"));
	for (i = 0; i < 40; i++)
		auth_event(&wd, "192.0.2.50", "1@centinela.local",
		    REASON_AUTH_WRONG_SECRET);
	for (i = 0; i < 100; i++) {
		struct sa s = addr("192.0.2.50");

		if (ban_allowed(wd.ban, &s))
			break;
		usleep(20000);
	}
	assert_false(banned(&wd, "192.0.2.50"));
	snprintf(c.op, sizeof(c.op), "unban");
	assert_int_equal(store_ban_cmd_add(st, &c), 0);
	for (i = 0; i < 100 && banned(&wd, "203.0.113.77"); i++)
		usleep(20000);
	assert_false(banned(&wd, "203.0.113.77"));
	store_close(st);
	world_down(&wd);
}

/* ---- signatures ----------------------------------------------------- */

static int
parse(struct sip_msg *m, const char *txt)
{
	struct sip_limits lim;

	sip_limits_default(&lim);
	return sip_parse(&lim, m, txt, strlen(txt));
}

static void
test_signatures_embedded(void **state)
{
	static const char *const must[] = { "friendly-scanner", "sipvicious",
		"sipcli", "sip-scan", "vaxsip", "pplsip", "iwar", "sundayddr",
		"sipscan", "smap" };
	static const char req[] =
	    "OPTIONS sip:100@192.0.2.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK1\r\n"
	    "From: %s<sip:100@1.1.1.1>;tag=1\r\n"
	    "To: <sip:100@192.0.2.1>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\n"
	    "User-Agent: %s\r\nContent-Length: 0\r\n\r\n";
	static const char legit[] =
	    "OPTIONS sip:100@192.0.2.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK1\r\n"
	    "From: <sip:100@example.com>;tag=1\r\n"
	    "To: <sip:100@192.0.2.1>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\n"
	    "User-Agent: Yealink SIP-T46U 108.86.0.20\r\n"
	    "Content-Length: 0\r\n\r\n";
	struct sigset *s;
	struct sip_msg *m = malloc(sizeof(*m));
	char buf[1024];
	uint64_t h0;
	unsigned i;

	assert_non_null(m);
	assert_int_equal(sig_load(&s, NULL, stderr), 0);
	assert_true(sig_version(s) >= 1);
	snprintf(buf, sizeof(buf), req, "", "FRIENDLY-SCANNER");
	assert_int_equal(parse(m, buf), 0);
	h0 = sig_hits("friendly-scanner");
	assert_string_equal(sig_match(s, m), "friendly-scanner");
	assert_int_equal(sig_hits("friendly-scanner"), h0 + 1);
	snprintf(buf, sizeof(buf), req, "", "iWar 0.9");
	assert_int_equal(parse(m, buf), 0);
	assert_string_equal(sig_match(s, m), "iwar");
	snprintf(buf, sizeof(buf), req, "", "VaxSIPUserAgent/3.1");
	assert_int_equal(parse(m, buf), 0);
	assert_string_equal(sig_match(s, m), "vaxsip");
	/* no signature in the User-Agent: the From display name */
	snprintf(buf, sizeof(buf), req, "\"sipvicious\"", "Zoiper");
	assert_int_equal(parse(m, buf), 0);
	assert_string_equal(sig_match(s, m), "sipvicious-from");
	assert_int_equal(parse(m, legit), 0);
	assert_null(sig_match(s, m));
	/* a request shape: svmap's default To on an OPTIONS */
	snprintf(buf, sizeof(buf), req, "", "Zoiper");
	memcpy(strstr(buf, "To: <sip:100@192.0.2.1>"),
	    "To: <sip:100@1.1.1.1>  ", 23);
	assert_int_equal(parse(m, buf), 0);
	assert_string_equal(sig_match(s, m), "svmap-probe");
	/* every required name is in the shipped file */
	for (i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
		char f[256];
		FILE *fp;

		snprintf(f, sizeof(f),
		    "grep -q 'name = \"%s\"' etc/signatures.conf", must[i]);
		fp = popen(f, "r");
		assert_non_null(fp);
		assert_int_equal(pclose(fp), 0);
	}
	sig_free(s);
	free(m);
}

static int
load_text(const char *txt, char *errs, size_t cap)
{
	char path[] = "/tmp/test_sigs.XXXXXX";
	int fd = mkstemp(path), rc;
	FILE *ef = fmemopen(errs, cap, "w");
	struct sigset *s = NULL;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, txt, strlen(txt)), (ssize_t)strlen(txt));
	close(fd);
	rc = sig_load(&s, path, ef);
	fclose(ef);
	sig_free(s);
	unlink(path);
	return rc;
}

static void
test_signatures_bad(void **state)
{
	char errs[1024];

	assert_int_equal(load_text("version = 2;\nsignatures = ( { name = "
				   "\"x\"; header = \"User-Agent\"; prefix "
				   "= \"x\"; } );\n",
			     errs, sizeof(errs)),
	    0);
	assert_int_equal(load_text("version = 2;\nsignatures = ( { name = "
				   "\"x\"; header = \"User-Agent\";\n contains "
				   "= \"a\"; prefix = \"b\"; } );\n",
			     errs, sizeof(errs)),
	    EINVAL);
	assert_non_null(strstr(errs, "exactly one of"));
	assert_int_equal(
	    load_text("version = 2;\nsignatures = (\n { name = "
		      "\"x\"; header = \"User-Agent\"; "
		      "contains = \"a\"; },\n { name = \"x\"; "
		      "header = \"From\"; contains = \"b\"; } );\n",
		errs, sizeof(errs)),
	    EINVAL);
	assert_non_null(strstr(errs, ":4: signature \"x\" defined twice"));
	assert_int_equal(load_text("signatures = ( { name = \"x\"; header = "
				   "\"From\"; contains = \"b\"; } );\n",
			     errs, sizeof(errs)),
	    EINVAL);
	assert_non_null(strstr(errs, "version"));
	assert_int_equal(load_text("version = 1;\nsignatures = ( { name = "
				   "\"x\"; header = \"From\"; contains = "
				   "\"b\"; colour = \"red\"; } );\n",
			     errs, sizeof(errs)),
	    EINVAL);
	assert_non_null(strstr(errs, "unknown setting \"colour\""));
	assert_int_equal(load_text("version = 1;\nsignatures = ( { name = "
				   "\"x\"; header = \"From\"; contains = "
				   "\"b\"; method = \"FROB\"; } );\n",
			     errs, sizeof(errs)),
	    EINVAL);
	assert_int_equal(load_text("version = 1;\nsignatures = ( { name = "
				   "\"u\"; header = \"Request-URI\"; prefix "
				   "= \"sip:666\"; method = \"INVITE\"; } );\n",
			     errs, sizeof(errs)),
	    0);
	assert_int_equal(
	    load_text("version = 1;\nsignatures = ( { ", errs, sizeof(errs)),
	    EINVAL);
	assert_non_null(strstr(errs, ":"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_auth_failures_per_user),
		cmocka_unit_test(test_enumeration),
		cmocka_unit_test(test_malformed_and_shadow),
		cmocka_unit_test(test_ladder_persisted),
		cmocka_unit_test(test_ctl_commands),
		cmocka_unit_test(test_signatures_embedded),
		cmocka_unit_test(test_signatures_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

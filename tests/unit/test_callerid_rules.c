/*
 * tests/unit/test_callerid_rules.c -- the caller-ID rules, one test per
 * R-point with the cases of the regulation note (R-03 .. R-19, R-25's
 * reason codes, R-28 effective dates with an injected clock).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "callerid/rules.h"

#define D_2025_03_06 1741219200 /* 2025-03-06T00:00:00Z */
#define D_2025_03_07 1741305600
#define D_2025_06_06 1749168000
#define D_2025_06_07 1749254400
#define D_2026_09_14 1789344000
#define D_2026_09_15 1789430400
#define D_2026_10_16 1792108800
#define D_2026_10_17 1792195200
#define D_2026_11_21 1795219200

static struct numplan *plan;
static struct cfg_callerid cc;
static struct cli cli;
static struct number called;
static struct cid_facts f;

static int
setup(void **state)
{
	return numplan_load(&plan, NULL, stderr);
}

static int
teardown(void **state)
{
	numplan_free(plan);
	return 0;
}

static int
reset(void **state)
{
	cfg_callerid_defaults(&cc);
	memset(&cli, 0, sizeof(cli));
	memset(&f, 0, sizeof(f));
	f.now = D_2026_11_21;
	f.channel = CID_CALL;
	f.cli = &cli;
	f.assigned = CID_YES;
	f.own = CID_NO;
	f.in_service = CID_UNKNOWN;
	return 0;
}

/* The calling number "s" (NULL: none) on a peer of class "pc". */
static void
given(const char *s, enum peer_class pc)
{
	memset(&cli, 0, sizeof(cli));
	if (s) {
		cli.source = CLI_FROM;
		cli.raw = str_make(s, strlen(s));
		cli.valid =
		    number_parse(plan, cli.raw, true, f.now, &cli.num) == 0;
	}
	f.pclass = pc;
}

static void
to(const char *s)
{
	assert_int_equal(
	    number_parse(plan, str_make(s, strlen(s)), true, f.now, &called),
	    0);
	f.called = &called;
}

/* Run; expect the code "code" (NULL: passes). */
static void
expect(const char *code)
{
	struct cid_verdict v;
	bool pass = cid_rules_run(&cc, &f, &v);

	if (code == NULL) {
		if (!pass)
			fail_msg("blocked by %s (%s), expected to pass",
			    reason_name(v.reason), v.detail);
		return;
	}
	if (pass)
		fail_msg("passed, expected %s", code);
	assert_string_equal(reason_name(v.reason), code);
	assert_int_equal(cid_rule_reason(v.rule), v.reason);
}

/* empty CLI; a withheld number is not empty. */
static void
test_r03_empty(void **state)
{
	given(NULL, PEER_CLASS_NATIONAL);
	expect("ES-A4.1-EMPTY");
	given("anonymous", PEER_CLASS_NATIONAL);
	expect("ES-A4.1-EMPTY");
	given("+34911234567", PEER_CLASS_NATIONAL);
	cli.privacy = true;
	expect(NULL);
}

/* not attributed (3xx), 8 digits; 400 attributed since 04-17. */
static void
test_r04_plan(void **state)
{
	given("+34312345678", PEER_CLASS_NATIONAL);
	expect("ES-A4.1-PLAN");
	given("+3491234567", PEER_CLASS_NATIONAL);
	expect("ES-A4.1-PLAN");
	given("+34400123456", PEER_CLASS_NATIONAL);
	expect(NULL);
	f.now = 1776384000 - 1; /* 2026-04-16T23:59:59Z */
	given("+34400123456", PEER_CLASS_NATIONAL);
	expect("ES-A4.1-PLAN");
}

/* 800/900 are valid CLIs. */
static void
test_r13_freephone(void **state)
{
	given("900123456", PEER_CLASS_NATIONAL);
	expect(NULL);
	given("+34800123456", PEER_CLASS_ACCESS);
	expect(NULL);
}

/* a range the CNMC assigned to no operator. */
static void
test_r05_unassigned(void **state)
{
	given("822160000", PEER_CLASS_NATIONAL);
	f.assigned = CID_NO;
	expect("ES-A4.2");
	f.assigned = CID_YES;
	expect(NULL);
	/* No register loaded: pass by default, block when configured. */
	f.assigned = CID_UNKNOWN;
	expect(NULL);
	cc.no_data_pass = false;
	expect("ES-A4.2");
}

/* an own number given to no customer, from a customer trunk. */
static void
test_r06_own_unallocated(void **state)
{
	given("911000123", PEER_CLASS_ACCESS);
	f.own = CID_YES;
	f.in_service = CID_NO;
	expect("ES-A4.3");
	f.in_service = CID_YES;
	expect(NULL);
}

/* own number from an interconnect blocked; from access passes. */
static void
test_r07_own_foreign(void **state)
{
	given("911000123", PEER_CLASS_NATIONAL);
	f.own = CID_YES;
	expect("ES-A4.4");
	given("911000123", PEER_CLASS_ACCESS);
	f.in_service = CID_YES;
	expect(NULL);
	/* An exception exempts it. */
	given("911000123", PEER_CLASS_NATIONAL);
	f.exempt = 1u << CID_OWN_FOREIGN;
	expect(NULL);
}

/* the R-03..R-07 rules apply on international ingress too. */
static void
test_r08_international_too(void **state)
{
	given(NULL, PEER_CLASS_INTERNATIONAL);
	expect("ES-A4.1-EMPTY");
	given("+34312345678", PEER_CLASS_INTERNATIONAL);
	expect("ES-A4.1-PLAN");
}

/* Spanish CLI on an international trunk, not roaming. */
static void
test_r09_intl_spanish(void **state)
{
	given("+34612345678", PEER_CLASS_INTERNATIONAL);
	expect("ES-A5.1");
	given("+34911234567", PEER_CLASS_INTERNATIONAL);
	expect("ES-A5.1");
	given("+33612345678", PEER_CLASS_INTERNATIONAL);
	expect(NULL);
	given("+34612345678", PEER_CLASS_NATIONAL);
	expect(NULL);
	/* Roaming confirmed: a mobile passes, a fixed number cannot roam. */
	given("+34612345678", PEER_CLASS_INTERNATIONAL);
	f.roaming = true;
	expect(NULL);
	given("+34911234567", PEER_CLASS_INTERNATIONAL);
	expect("ES-A5.1");
	/* SMS: the same. */
	f.roaming = false;
	f.channel = CID_SMS;
	given("+34612345678", PEER_CLASS_INTERNATIONAL);
	expect("ES-A5.1");
	/* Before 2025-06-07 Art. 5.1 was not in force. */
	f.channel = CID_CALL;
	f.now = D_2025_06_06;
	given("+34612345678", PEER_CLASS_INTERNATIONAL);
	expect(NULL);
	f.now = D_2025_06_07;
	expect("ES-A5.1");
}

/* the three actions when roaming cannot be confirmed. */
static void
test_r10_roaming_actions(void **state)
{
	struct cid_verdict v;

	given("+34612345678", PEER_CLASS_INTERNATIONAL);
	cc.roaming = CID_ROAMING_BLOCK;
	assert_false(cid_rules_run(&cc, &f, &v));
	assert_int_equal(v.reason, REASON_CID_INTL_SPANISH);
	cc.roaming = CID_ROAMING_MARK;
	assert_true(cid_rules_run(&cc, &f, &v));
	assert_true(v.mark_unverified);
	assert_false(v.withhold);
	cc.roaming = CID_ROAMING_WITHHOLD;
	assert_true(cid_rules_run(&cc, &f, &v));
	assert_true(v.withhold);
	assert_false(v.mark_unverified);
	/* A fixed number cannot roam: blocked whatever the action. */
	given("+34911234567", PEER_CLASS_INTERNATIONAL);
	assert_false(cid_rules_run(&cc, &f, &v));
}

/* an exception passes R-09 while valid (the caller computes it). */
static void
test_r12_exception(void **state)
{
	given("+34612345678", PEER_CLASS_INTERNATIONAL);
	f.exempt = 1u << CID_INTL_SPANISH;
	expect(NULL);
	f.exempt = 0;
	expect("ES-A5.1");
}

/* SMS aliases (the register match is the caller's). */
static void
test_r15_alias(void **state)
{
	f.channel = CID_SMS;
	given(NULL, PEER_CLASS_NATIONAL);
	f.alias = CID_ALIAS_UNREGISTERED;
	expect("ES-A8-ALIAS");
	f.alias = CID_ALIAS_PRO_NOT_ENABLED;
	expect("ES-A8-PRO");
	f.alias = CID_ALIAS_OK;
	expect(NULL);
	/* Postponed to 2026-09-15 by Orden TDF/558/2026. */
	f.alias = CID_ALIAS_UNREGISTERED;
	f.now = D_2026_09_14;
	expect(NULL);
	f.now = D_2026_09_15;
	expect("ES-A8-ALIAS");
}

/* mobile CLI for commercial / customer-service calls. */
static void
test_r16_mobile_commercial(void **state)
{
	given("612345678", PEER_CLASS_ACCESS);
	f.flags = PEER_F_COMMERCIAL;
	expect("ES-A9-MOBILE");
	f.flags = PEER_F_CUSTOMER_SERVICE;
	expect("ES-A9-MOBILE");
	given("911234567", PEER_CLASS_ACCESS);
	expect(NULL);
	given("900123456", PEER_CLASS_ACCESS);
	expect(NULL);
	given("612345678", PEER_CLASS_ACCESS);
	f.flags = 0;
	expect(NULL);
}

/* in-scope commercial calls only from 400 after 2026-10-17. */
static void
test_r17_400_only(void **state)
{
	f.flags = PEER_F_COMMERCIAL | PEER_F_LEY_10_2025;
	given("911234567", PEER_CLASS_ACCESS);
	expect("ES-R400-ONLY");
	given("400123456", PEER_CLASS_ACCESS);
	expect(NULL);
	f.now = D_2026_10_16;
	given("911234567", PEER_CLASS_ACCESS);
	expect(NULL);
	f.now = D_2026_10_17;
	expect("ES-R400-ONLY");
	/* Not in scope: the geographic number stays allowed. */
	f.flags = PEER_F_COMMERCIAL;
	expect(NULL);
}

/* calls to 400 numbers are forbidden. */
static void
test_r18_to_400(void **state)
{
	given("911234567", PEER_CLASS_NATIONAL);
	to("+34400123456");
	expect("ES-R400-DEST");
	to("+34911234567");
	expect(NULL);
}

/* Robinson, fail closed by default. */
static void
test_r19_robinson(void **state)
{
	given("400123456", PEER_CLASS_ACCESS);
	f.flags = PEER_F_COMMERCIAL;
	f.robinson = CID_ROB_LISTED;
	expect("ROBINSON");
	f.robinson = CID_ROB_CLEAR;
	expect(NULL);
	f.robinson = CID_ROB_FAILED;
	expect("ROBINSON");
	cc.robinson_fail_open = true;
	expect(NULL);
	/* Only for commercial peers. */
	f.flags = 0;
	f.robinson = CID_ROB_LISTED;
	expect(NULL);
}

/* Shadow mode and rules switched off; peers without class; R-28. */
static void
test_modes(void **state)
{
	struct cid_verdict v;

	given("+34312345678", PEER_CLASS_NATIONAL);
	cc.rules[CID_PLAN].shadow = true;
	assert_true(cid_rules_run(&cc, &f, &v));
	assert_true(v.shadow & (1u << CID_PLAN));
	cc.rules[CID_PLAN].shadow = false;
	cc.rules[CID_PLAN].enabled = false;
	assert_true(cid_rules_run(&cc, &f, &v));
	assert_int_equal(v.shadow, 0);
	cc.rules[CID_PLAN].enabled = true;
	cc.shadow = true;
	assert_true(cid_rules_run(&cc, &f, &v));
	assert_true(v.shadow & (1u << CID_PLAN));
	cc.shadow = false;
	given("+34312345678", PEER_CLASS_NONE);
	expect(NULL);
	/* Art. 4 is in force from 2025-03-07. */
	f.now = D_2025_03_06;
	given(NULL, PEER_CLASS_NATIONAL);
	expect(NULL);
	f.now = D_2025_03_07;
	expect("ES-A4.1-EMPTY");
	cc.enabled = false;
	expect(NULL);
}

/* France: FR-MAN blocks, FR-MASK withholds. */
static bool
france(const char *code, bool withhold)
{
	struct cid_verdict v;
	bool pass = cid_rules_france(&cc, &f, &v);

	if (code == NULL) {
		if (!pass)
			fail_msg("blocked by %s, expected to pass",
			    reason_name(v.reason));
		assert_int_equal(v.withhold, withhold);
		return true;
	}
	if (pass)
		fail_msg("passed, expected %s", code);
	assert_string_equal(reason_name(v.reason), code);
	return false;
}

static void
test_r26_france_man(void **state)
{
	given("+33612345678", PEER_CLASS_ACCESS);
	to("+33145678901");
	f.ident = CID_IDENT_NONE;
	france("FR-MAN", false);
	f.ident = CID_IDENT_FAILED;
	france("FR-MAN", false);
	f.ident = CID_IDENT_SIGNED;
	france(NULL, false);
	f.ident = CID_IDENT_PASSED;
	france(NULL, false);
	f.ident = CID_IDENT_CARRIED;
	france(NULL, false);
	/* A Spanish number to France, a French one to Spain: not R-26. */
	f.ident = CID_IDENT_NONE;
	given("+34911234567", PEER_CLASS_NATIONAL);
	france(NULL, false);
	given("+33612345678", PEER_CLASS_NATIONAL);
	to("+34911234567");
	france(NULL, false);
	/* In force from 2024-10-01. */
	to("+33145678901");
	f.now = 1727654400; /* 2024-09-30 */
	france(NULL, false);
	f.now = 1727740800; /* 2024-10-01 */
	france("FR-MAN", false);
	cc.rules[CID_FR_MAN].shadow = true;
	france(NULL, false);
}

static void
test_r26_france_mask(void **state)
{
	given("+33612345678", PEER_CLASS_INTERNATIONAL);
	to("+33145678901");
	f.ident = CID_IDENT_NONE;
	france(NULL, true);
	f.ident = CID_IDENT_FAILED;
	france(NULL, true);
	f.ident = CID_IDENT_CARRIED;
	france(NULL, true);
	f.ident = CID_IDENT_PASSED;
	france(NULL, false);
	f.ident = CID_IDENT_NONE;
	given("+33145678902", PEER_CLASS_INTERNATIONAL); /* fixed */
	france(NULL, false);
	given("+3361234567", PEER_CLASS_INTERNATIONAL); /* too short */
	france(NULL, false);
	given("+33712345678", PEER_CLASS_INTERNATIONAL);
	france(NULL, true);
	to("+34911234567"); /* not delivered in France */
	france(NULL, false);
	to("+33145678901");
	f.now = 1767139200; /* 2025-12-31 */
	france(NULL, false);
	f.now = 1767225600; /* 2026-01-01 */
	france(NULL, true);
	f.exempt = 1u << CID_FR_MASK;
	france(NULL, false);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_r03_empty, reset),
		cmocka_unit_test_setup(test_r04_plan, reset),
		cmocka_unit_test_setup(test_r13_freephone, reset),
		cmocka_unit_test_setup(test_r05_unassigned, reset),
		cmocka_unit_test_setup(test_r06_own_unallocated, reset),
		cmocka_unit_test_setup(test_r07_own_foreign, reset),
		cmocka_unit_test_setup(test_r08_international_too, reset),
		cmocka_unit_test_setup(test_r09_intl_spanish, reset),
		cmocka_unit_test_setup(test_r10_roaming_actions, reset),
		cmocka_unit_test_setup(test_r12_exception, reset),
		cmocka_unit_test_setup(test_r15_alias, reset),
		cmocka_unit_test_setup(test_r16_mobile_commercial, reset),
		cmocka_unit_test_setup(test_r17_400_only, reset),
		cmocka_unit_test_setup(test_r18_to_400, reset),
		cmocka_unit_test_setup(test_r19_robinson, reset),
		cmocka_unit_test_setup(test_modes, reset),
		cmocka_unit_test_setup(test_r26_france_man, reset),
		cmocka_unit_test_setup(test_r26_france_mask, reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

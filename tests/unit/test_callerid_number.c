/*
 * tests/unit/test_callerid_number.c -- the numbering plan, number
 * normalisation, the calling number of a request (R-01, R-02, R-04,
 * R-13 classification, R-19 Robinson hashes).
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
#include <unistd.h>

#include "callerid/number.h"

#define D_2026_01_01 1767225600 /* 2026-01-01T00:00:00Z */
#define D_2026_04_17 1776384000 /* 2026-04-17T00:00:00Z */
#define D_2026_11_21 1795219200

static struct numplan *plan;

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

static struct number
num(const char *s, int64_t now)
{
	struct number n;

	assert_int_equal(
	    number_parse(plan, str_make(s, strlen(s)), true, now, &n), 0);
	return n;
}

static void
test_plan_embedded(void **state)
{
	assert_string_equal(numplan_country(plan), "34");
	assert_string_equal(numplan_version(plan), "2026-04-17");
}

/* separators, +34 and 0034 go to the 9-digit NSN. */
static void
test_normalise(void **state)
{
	struct number n = num("+34-912-345-678", D_2026_11_21);

	assert_string_equal(n.nsn, "912345678");
	assert_string_equal(n.e164, "34912345678");
	assert_true(n.national);
	n = num("0034912345678", D_2026_11_21);
	assert_string_equal(n.nsn, "912345678");
	n = num("912345678", D_2026_11_21);
	assert_string_equal(n.e164, "34912345678");
	n = num("(91) 234.56.78", D_2026_11_21);
	assert_string_equal(n.nsn, "912345678");
	/* "34" + a national number of a known length: international. */
	n = num("34612345678", D_2026_11_21);
	assert_string_equal(n.nsn, "612345678");
	n = num("+33612345678", D_2026_11_21);
	assert_false(n.national);
	assert_int_equal(n.type, NUM_FOREIGN);
	assert_string_equal(n.nsn, "");
	n = num("+345901234567890", D_2026_11_21);
	assert_int_equal(n.type, NUM_M2M);
	assert_int_equal(n.fit, NUM_FIT_OK);
}

static void
test_normalise_bad(void **state)
{
	struct number n;
	const char *bad[] = { "", "anonymous", "+", "12a4", "91+2345678",
		"+3491234567890123456", "%2B34911", "9 1\t2" };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    number_parse(plan, str_make(bad[i], strlen(bad[i])), true,
			D_2026_11_21, &n),
		    EINVAL);
}

/* classification by leading digits. */
static void
test_classify(void **state)
{
	static const struct {
		const char *n;
		enum num_type t;
	} v[] = {
		{ "612345678", NUM_MOBILE },
		{ "712345678", NUM_MOBILE },
		{ "782345678", NUM_MOBILE },
		{ "911234567", NUM_FIXED },
		{ "815000000", NUM_FIXED },
		{ "822240500", NUM_FIXED },
		{ "900123456", NUM_FREEPHONE },
		{ "800123456", NUM_FREEPHONE },
		{ "803123456", NUM_PREMIUM },
		{ "806123456", NUM_PREMIUM },
		{ "905123456", NUM_PREMIUM },
		{ "901123456", NUM_SHARED_COST },
		{ "902123456", NUM_SHARED_COST },
		{ "400123456", NUM_COMMERCIAL },
		{ "701234567", NUM_PERSONAL },
		{ "511234567", NUM_NOMADIC },
		{ "112", NUM_SHORT },
		{ "016", NUM_SHORT },
	};
	unsigned i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct number n = num(v[i].n, D_2026_11_21);

		if (n.type != v[i].t || n.fit != NUM_FIT_OK)
			fail_msg("%s: type %s fit %d", v[i].n,
			    num_type_name(n.type), n.fit);
	}
}

/* not attributed (3xx), wrong length; R-13: 800/900 fit. */
static void
test_fit(void **state)
{
	assert_int_equal(num("+34312345678", D_2026_11_21).fit, NUM_FIT_NONE);
	assert_int_equal(num("+3491234567", D_2026_11_21).fit, NUM_FIT_LENGTH);
	assert_int_equal(
	    num("+349123456789", D_2026_11_21).fit, NUM_FIT_LENGTH);
	assert_int_equal(num("+34900123456", D_2026_11_21).fit, NUM_FIT_OK);
	assert_int_equal(num("+34590123456", D_2026_11_21).fit, NUM_FIT_LENGTH);
	assert_int_equal(num("+34751234567", D_2026_11_21).fit, NUM_FIT_NONE);
	assert_int_equal(num("+34801234567", D_2026_11_21).fit, NUM_FIT_NONE);
}

/* 400 is attributed from 2026-04-17 only. */
static void
test_400_by_date(void **state)
{
	assert_int_equal(
	    num("+34400123456", D_2026_04_17 - 1).fit, NUM_FIT_NONE);
	assert_int_equal(num("+34400123456", D_2026_04_17).fit, NUM_FIT_OK);
	assert_int_equal(
	    num("+34400123456", D_2026_04_17).type, NUM_COMMERCIAL);
}

static struct sip_msg *
parse(const char *text)
{
	static struct sip_msg m;
	static char buf[4096];
	size_t len = strlen(text);

	memcpy(buf, text, len);
	assert_int_equal(sip_parse(NULL, &m, buf, len), 0);
	return &m;
}

#define HDRS(from, extra)                                             \
	"INVITE sip:+34911234567@example.net SIP/2.0\r\n"             \
	"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"              \
	"From: " from ";tag=1\r\n"                                    \
	"To: <sip:+34911234567@example.net>\r\n"                      \
	"Call-ID: c1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n" extra \
	"Content-Length: 0\r\n\r\n"

/* PAI (tel, then sip user=phone) before From. */
static void
test_cli_sources(void **state)
{
	struct cli c;
	struct number called;

	cli_from_msg(plan,
	    parse(HDRS("<sip:1000@example.net>",
		"P-Asserted-Identity: <sip:+34-912-345-678@x;user=phone>\r\n")),
	    true, D_2026_11_21, &c);
	assert_int_equal(c.source, CLI_PAI_SIP);
	assert_true(c.valid);
	assert_string_equal(c.num.nsn, "912345678");

	cli_from_msg(plan,
	    parse(HDRS("<sip:1000@example.net>",
		"P-Asserted-Identity: <sip:+34911111111@x;user=phone>, "
		"<tel:+34612345678>\r\n")),
	    true, D_2026_11_21, &c);
	assert_int_equal(c.source, CLI_PAI_TEL);
	assert_string_equal(c.num.nsn, "612345678");

	cli_from_msg(plan, parse(HDRS("\"Bob\" <sip:+34911234567@h>", "")),
	    true, D_2026_11_21, &c);
	assert_int_equal(c.source, CLI_FROM);
	assert_string_equal(c.num.nsn, "911234567");
	assert_false(c.privacy);

	/* Not a number: the CLI is empty. */
	cli_from_msg(plan, parse(HDRS("<sip:anonymous@anonymous.invalid>", "")),
	    true, D_2026_11_21, &c);
	assert_false(c.valid);
	cli_from_msg(
	    plan, parse(HDRS("<sip:example.net>", "")), true, D_2026_11_21, &c);
	assert_int_equal(c.source, CLI_NONE);
	assert_false(c.valid);

	/* A withheld number is still a number (R-03 inference). */
	cli_from_msg(plan,
	    parse(HDRS("<sip:anonymous@anonymous.invalid>",
		"P-Asserted-Identity: <tel:+34911234567>\r\n"
		"Privacy: id\r\n")),
	    true, D_2026_11_21, &c);
	assert_true(c.valid);
	assert_true(c.privacy);

	assert_true(called_from_msg(
	    plan, parse(HDRS("<sip:1@h>", "")), true, D_2026_11_21, &called));
	assert_string_equal(called.e164, "34911234567");
}

/* the official Adigital vectors. */
static void
test_robinson(void **state)
{
	struct number n = num("345678890", D_2026_11_21);
	char h[65];

	number_robinson_hash(&n, "04", h);
	assert_string_equal(h,
	    "9a0d14c71b6bb4b50fd4a9efc0536de8c7198f4bebdadcc4e7ee32731fb75c15");
	number_robinson_hash(&n, "03", h);
	assert_string_equal(h,
	    "ea48b0f337aded1ab2d7fb495b075883b91319a0c8c5b88d5be9d28c95663ac4");
}

static int
load_text(const char *text, char *err, size_t errlen)
{
	char path[] = "/tmp/numplan-test-XXXXXX";
	int fd = mkstemp(path), rc;
	struct numplan *p = NULL;
	FILE *ef = fmemopen(err, errlen, "w");

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	rc = numplan_load(&p, path, ef);
	fclose(ef);
	unlink(path);
	numplan_free(p);
	return rc;
}

/* A bad plan file is refused with the line of each error. */
static void
test_plan_errors(void **state)
{
	char err[1024];

	assert_int_equal(
	    load_text("country 34\nfixed 9 9\n", err, sizeof(err)), 0);
	memset(err, 0, sizeof(err));
	assert_int_equal(load_text("country 34\nfixed 9 9\nfixd 8 9\n"
				   "mobile 6[ 9\nmobile 6 0\n"
				   "commercial 400 9 from 2026-02-30\n"
				   "m2m 590 13 since 2020-01-01\n",
			     err, sizeof(err)),
	    EINVAL);
	assert_non_null(strstr(err, ":3: unknown number type \"fixd\""));
	assert_non_null(strstr(err, ":4: bad prefix"));
	assert_non_null(strstr(err, ":5: bad digit count"));
	assert_non_null(strstr(err, ":6: bad date"));
	assert_non_null(strstr(err, ":7: expected \"from\" or \"until\""));
	memset(err, 0, sizeof(err));
	assert_int_equal(load_text("fixed 9 9\n", err, sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "no \"country\" line"));
	assert_int_equal(load_text("country 34\n", err, sizeof(err)), EINVAL);
	assert_int_equal(
	    load_text("country 34\nfixed 9[9-1] 9\n", err, sizeof(err)),
	    EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_embedded),
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_normalise_bad),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_400_by_date),
		cmocka_unit_test(test_cli_sources),
		cmocka_unit_test(test_robinson),
		cmocka_unit_test(test_plan_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * tests/unit/test_guard_gate.c -- addresses, CIDR matching, the
 * pre-parse deny list and the sanity guard.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfg.h"
#include "guard/guard.h"
#include "net/sa.h"

static void
test_sa_parse_format(void **state)
{
	struct sa a;
	char buf[SA_STRLEN];

	assert_int_equal(sa_set_cstr(&a, "192.0.2.1", 5060), 0);
	assert_string_equal(sa_fmt(&a, buf, sizeof(buf)), "192.0.2.1:5060");
	assert_int_equal(sa_set(&a, STR("[2001:db8::1]"), 5061), 0);
	assert_string_equal(sa_fmt(&a, buf, sizeof(buf)), "[2001:db8::1]:5061");
	assert_int_equal(sa_set_cstr(&a, "example.com", 1), EINVAL);
	assert_int_equal(sa_set_cstr(&a, "1.2.3.4.5", 1), EINVAL);
	assert_int_equal(sa_set(&a, STR("1.2.3.4\0x"), 1), EINVAL);
}

static void
test_cidr(void **state)
{
	struct cidr c;
	struct sa a;

	assert_int_equal(cidr_parse("10.0.0.0/8", &c), 0);
	sa_set_cstr(&a, "10.200.1.1", 0);
	assert_true(cidr_match(&c, &a));
	sa_set_cstr(&a, "11.0.0.1", 0);
	assert_false(cidr_match(&c, &a));
	sa_set_cstr(&a, "::ffff:10.1.1.1", 0);
	assert_true(cidr_match(&c, &a));
	assert_int_equal(cidr_parse("2001:db8::/33", &c), 0);
	sa_set_cstr(&a, "2001:db8:7fff::1", 0);
	assert_true(cidr_match(&c, &a));
	sa_set_cstr(&a, "2001:db8:8000::1", 0);
	assert_false(cidr_match(&c, &a));
	assert_int_equal(cidr_parse("10.0.0.0/33", &c), EINVAL);
	assert_int_equal(cidr_parse("10.0.0.0/", &c), EINVAL);
	assert_int_equal(cidr_parse("10.0.0.0/-1", &c), EINVAL);
	assert_int_equal(cidr_parse("/8", &c), EINVAL);
	assert_int_equal(cidr_parse("", &c), EINVAL);
}

static void
test_gate_deny_list(void **state)
{
	struct cfg *cfg = calloc(1, sizeof(*cfg));
	struct gate *g;
	struct sa a;

	assert_non_null(cfg);
	cidr_parse("192.0.2.0/24", &cfg->deny[cfg->ndeny++]);
	cidr_parse("198.51.100.7", &cfg->deny[cfg->ndeny++]);
	cidr_parse("2001:db8::/32", &cfg->deny[cfg->ndeny++]);
	cidr_parse("203.0.113.128/25", &cfg->deny[cfg->ndeny++]);
	assert_int_equal(gate_alloc(&g, cfg), 0);
	sa_set_cstr(&a, "192.0.2.77", 5060);
	assert_true(gate_denied(g, &a));
	sa_set_cstr(&a, "192.0.3.1", 5060);
	assert_false(gate_denied(g, &a));
	sa_set_cstr(&a, "198.51.100.7", 1);
	assert_true(gate_denied(g, &a));
	sa_set_cstr(&a, "198.51.100.8", 1);
	assert_false(gate_denied(g, &a));
	sa_set_cstr(&a, "203.0.113.200", 1);
	assert_true(gate_denied(g, &a));
	sa_set_cstr(&a, "203.0.113.100", 1);
	assert_false(gate_denied(g, &a));
	sa_set_cstr(&a, "2001:db8:1::1", 1);
	assert_true(gate_denied(g, &a));
	sa_set_cstr(&a, "2001:db9::1", 1);
	assert_false(gate_denied(g, &a));
	sa_set_cstr(&a, "::ffff:192.0.2.1", 1);
	assert_true(gate_denied(g, &a));
	gate_free(g);
	free(cfg);
}

static void
test_gate_empty(void **state)
{
	struct cfg *cfg = calloc(1, sizeof(*cfg));
	struct gate *g;
	struct sa a;

	assert_int_equal(gate_alloc(&g, cfg), 0);
	sa_set_cstr(&a, "192.0.2.77", 5060);
	assert_false(gate_denied(g, &a));
	gate_free(g);
	free(cfg);
}

/* ---- sanity guard ---- */

static struct sip_msg msg;

static enum guard_vd
sanity(const char *raw, struct guard_result *res)
{
	struct sip_limits lim;
	struct guard_ctx gx;
	struct cfg *cfg = calloc(1, sizeof(*cfg));
	enum guard_vd vd;

	sip_limits_default(&lim);
	assert_int_equal(sip_parse(&lim, &msg, raw, strlen(raw)), 0);
	memset(&gx, 0, sizeof(gx));
	gx.cfg = cfg;
	memset(res, 0, sizeof(*res));
	vd = guard_sanity.on_request(&gx, &msg, res);
	free(cfg);
	return vd;
}

#define HDRS(method, cseq, extra)                               \
	method " sip:100@192.0.2.1 SIP/2.0\r\n"                 \
	       "Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKx\r\n" \
	       "From: <sip:a@192.0.2.2>;tag=1\r\n"              \
	       "To: <sip:100@192.0.2.1>\r\n"                    \
	       "Call-ID: s1\r\n"                                \
	       "CSeq: 1 " cseq "\r\n" extra "Content-Length: 0\r\n\r\n"

static void
test_sanity_ok(void **state)
{
	struct guard_result res;

	assert_int_equal(
	    sanity(HDRS("OPTIONS", "OPTIONS", ""), &res), GUARD_CONTINUE);
	assert_int_equal(
	    sanity(HDRS("INVITE", "INVITE", "Contact: <sip:a@192.0.2.2>\r\n"),
		&res),
	    GUARD_CONTINUE);
}

static void
test_sanity_rejects(void **state)
{
	struct guard_result res;

	assert_int_equal(
	    sanity(HDRS("OPTIONS", "INVITE", ""), &res), GUARD_REPLY);
	assert_int_equal(res.status, 400);
	assert_int_equal(res.reason, REASON_CSEQ_MISMATCH);
	assert_int_equal(
	    sanity(HDRS("INVITE", "INVITE", ""), &res), GUARD_REPLY);
	assert_int_equal(res.reason, REASON_MISSING_HEADER);
	assert_int_equal(
	    sanity(HDRS("OPTIONS", "OPTIONS", "Max-Forwards: 0\r\n"), &res),
	    GUARD_REPLY);
	assert_int_equal(res.status, 483);
	assert_int_equal(
	    sanity(HDRS("OPTIONS", "OPTIONS", "Proxy-Require: foo\r\n"), &res),
	    GUARD_REPLY);
	assert_int_equal(res.status, 420);
	/* an ACK is never answered: the same fault is a drop */
	assert_int_equal(sanity(HDRS("ACK", "INVITE", ""), &res), GUARD_DROP);
	assert_int_equal(res.reason, REASON_CSEQ_MISMATCH);
}

static void
test_sanity_uri_scheme(void **state)
{
	struct guard_result res;
	const char *raw = "OPTIONS mailto:a@example.com SIP/2.0\r\n"
			  "Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKx\r\n"
			  "From: <sip:a@192.0.2.2>;tag=1\r\n"
			  "To: <sip:100@192.0.2.1>\r\n"
			  "Call-ID: s1\r\n"
			  "CSeq: 1 OPTIONS\r\n"
			  "Content-Length: 0\r\n\r\n";
	/* The parser accepts any absoluteURI; the guard refuses it. */
	assert_int_equal(sanity(raw, &res), GUARD_REPLY);
	assert_int_equal(res.status, 416);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sa_parse_format),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_gate_deny_list),
		cmocka_unit_test(test_gate_empty),
		cmocka_unit_test(test_sanity_ok),
		cmocka_unit_test(test_sanity_rejects),
		cmocka_unit_test(test_sanity_uri_scheme),
	};

	return cmocka_run_group_tests_name("guard_gate", tests, NULL, NULL);
}

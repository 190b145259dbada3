/*
 * tests/unit/test_sip_uri.c -- sip_uri_parse(), sip_param_find(),
 * sip_addr_parse(), sip_hdr_next_value() and sip_via_parse().
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sip/sip.h"

static struct str
S(const char *s) {
	return str_make(s, strlen(s));
}

static void
assert_str(struct str v, const char *want)
{
	assert_int_equal(v.len, strlen(want));
	if (v.len)
		assert_memory_equal(v.s, want, v.len);
}

/* ---- URIs: table of valid ones ---- */

struct uri_case {
	const char *name;
	const char *in;
	enum sip_scheme scheme;
	const char *user;
	const char *password;
	const char *host;
	uint16_t port;
	const char *params;
	const char *headers;
	enum sip_transport tp;
	const char *user_param;
	const char *maddr;
	bool lr;
};

static struct uri_case uri_ok[] = {
	{ "uri_host_only", "sip:example.com", SIP_SCHEME_SIP, "", "",
	    "example.com", 0, "", "", SIP_TP_NONE, "", "", false },
	{ "uri_user_host", "sip:alice@atlanta.example.com", SIP_SCHEME_SIP,
	    "alice", "", "atlanta.example.com", 0, "", "", SIP_TP_NONE, "", "",
	    false },
	{ "uri_password_port", "sip:alice:secretword@atlanta.com;transport=tcp",
	    SIP_SCHEME_SIP, "alice", "secretword", "atlanta.com", 0,
	    "transport=tcp", "", SIP_TP_TCP, "", "", false },
	{ "uri_sips_headers",
	    "sips:alice@atlanta.com?subject=project%20x&priority=urgent",
	    SIP_SCHEME_SIPS, "alice", "", "atlanta.com", 0, "",
	    "subject=project%20x&priority=urgent", SIP_TP_NONE, "", "", false },
	{ "uri_phone_user", "sip:+1-212-555-1212:1234@gateway.com;user=phone",
	    SIP_SCHEME_SIP, "+1-212-555-1212", "1234", "gateway.com", 0,
	    "user=phone", "", SIP_TP_NONE, "phone", "", false },
	{ "uri_ipv4_port", "sip:alice@192.0.2.4:5060", SIP_SCHEME_SIP, "alice",
	    "", "192.0.2.4", 5060, "", "", SIP_TP_NONE, "", "", false },
	{ "uri_ipv6", "sip:[2001:db8::10]:5070;lr", SIP_SCHEME_SIP, "", "",
	    "[2001:db8::10]", 5070, "lr", "", SIP_TP_NONE, "", "", true },
	{ "uri_ipv6_v4tail", "sip:bob@[::ffff:192.0.2.1]", SIP_SCHEME_SIP,
	    "bob", "", "[::ffff:192.0.2.1]", 0, "", "", SIP_TP_NONE, "", "",
	    false },
	{ "uri_maddr_lr", "sip:p1.example.com;lr;maddr=239.255.255.1;ttl=15",
	    SIP_SCHEME_SIP, "", "", "p1.example.com", 0,
	    "lr;maddr=239.255.255.1;ttl=15", "", SIP_TP_NONE, "",
	    "239.255.255.1", true },
	{ "uri_escaped_user", "sip:%61lice%20x@atlanta.com", SIP_SCHEME_SIP,
	    "%61lice%20x", "", "atlanta.com", 0, "", "", SIP_TP_NONE, "", "",
	    false },
	{ "uri_user_semicolon", "sip:alice;day=tuesday@host.com",
	    SIP_SCHEME_SIP, "alice;day=tuesday", "", "host.com", 0, "", "",
	    SIP_TP_NONE, "", "", false },
	{ "uri_scheme_case", "SIP:Alice@Example.COM;Transport=UDP",
	    SIP_SCHEME_SIP, "Alice", "", "Example.COM", 0, "Transport=UDP", "",
	    SIP_TP_UDP, "", "", false },
	{ "uri_transport_other", "sip:h;transport=foo", SIP_SCHEME_SIP, "", "",
	    "h", 0, "transport=foo", "", SIP_TP_OTHER, "", "", false },
	{ "uri_port_max", "sip:h:65535", SIP_SCHEME_SIP, "", "", "h", 65535, "",
	    "", SIP_TP_NONE, "", "", false },
	{ "uri_tel", "tel:+1-201-555-0123", SIP_SCHEME_TEL, "+1-201-555-0123",
	    "", "", 0, "", "", SIP_TP_NONE, "", "", false },
	{ "uri_tel_params", "tel:7042;phone-context=example.com",
	    SIP_SCHEME_TEL, "7042", "", "", 0, "phone-context=example.com", "",
	    SIP_TP_NONE, "", "", false },
	{ "uri_other_scheme", "mailto:watson@bell-telephone.com",
	    SIP_SCHEME_OTHER, "", "", "", 0, "", "", SIP_TP_NONE, "", "",
	    false },
	{ "uri_param_escaped", "sip:h;%74ransport=tcp;x-y=%41[b]",
	    SIP_SCHEME_SIP, "", "", "h", 0, "%74ransport=tcp;x-y=%41[b]", "",
	    SIP_TP_NONE, "", "", false },
};

static void
uri_ok_case(void **state)
{
	const struct uri_case *c = *state;
	struct sip_uri u;

	assert_int_equal(sip_uri_parse(S(c->in), &u), 0);
	assert_int_equal(u.scheme, c->scheme);
	assert_str(u.raw, c->in);
	assert_str(u.user, c->user);
	assert_str(u.password, c->password);
	assert_str(u.host, c->host);
	assert_int_equal(u.port, c->port);
	assert_str(u.params, c->params);
	assert_str(u.headers, c->headers);
	assert_int_equal(u.transport, c->tp);
	assert_str(u.user_param, c->user_param);
	assert_str(u.maddr, c->maddr);
	assert_int_equal(u.lr, c->lr);
}

struct bad_uri {
	const char *name;
	const char *in;
};

static struct bad_uri uri_bad[] = {
	{ "uri_bad_empty", "" },
	{ "uri_bad_no_colon", "alice@example.com" },
	{ "uri_bad_scheme_only", "sip:" },
	{ "uri_bad_empty_scheme", ":alice@h" },
	{ "uri_bad_scheme_char", "s_p:alice@h" },
	{ "uri_bad_no_host", "sip:alice@" },
	{ "uri_bad_empty_user", "sip:@h" },
	{ "uri_bad_port0", "sip:h:0" },
	{ "uri_bad_port_big", "sip:h:65536" },
	{ "uri_bad_port_empty", "sip:h:" },
	{ "uri_bad_port_alpha", "sip:h:50a" },
	{ "uri_bad_port_huge", "sip:h:99999999999999999999999" },
	{ "uri_bad_space", "sip:ali ce@h" },
	{ "uri_bad_host_char", "sip:alice@h!st" },
	{ "uri_bad_escape", "sip:%6@h" },
	{ "uri_bad_escape_hex", "sip:%zz@h" },
	{ "uri_bad_ipv6_open", "sip:[2001:db8::1" },
	{ "uri_bad_ipv6_chars", "sip:[2001:db8::g]" },
	{ "uri_bad_ipv6_empty", "sip:[]" },
	{ "uri_bad_ipv6_nocolon", "sip:[1234]" },
	{ "uri_bad_empty_param", "sip:h;;lr" },
	{ "uri_bad_param_space", "sip:h;a=b c" },
	{ "uri_bad_param_value", "sip:h;a=" },
	{ "uri_bad_header_noeq", "sip:h?subject" },
	{ "uri_bad_header_char", "sip:h?a=<b>" },
	{ "uri_bad_trailing", "sip:h>" },
	{ "uri_bad_tel_empty", "tel:" },
	{ "uri_bad_tel_char", "tel:12 34" },
	{ "uri_bad_other_space", "http://a b" },
	{ "uri_bad_other_empty", "http:" },
	{ "uri_bad_nul", "sip:a\0b@h" },
};

static void
uri_bad_case(void **state)
{
	const struct bad_uri *c = *state;
	struct sip_uri u;
	size_t len = strlen(c->in);

	if (strcmp(c->name, "uri_bad_nul") == 0)
		len = 9;
	assert_int_equal(sip_uri_parse(str_make(c->in, len), &u), EBADMSG);
}

/* ---- params ---- */

static void
param_find(void **state)
{
	struct str v;

	assert_true(sip_param_find(
	    STR("lr;transport=TCP;maddr=1.2.3.4"), STR("Transport"), &v));
	assert_str(v, "TCP");
	assert_true(sip_param_find(STR(";lr;x=1"), STR("lr"), &v));
	assert_int_equal(v.len, 0);
	assert_true(sip_param_find(STR(" ; tag = abc ; q=1"), STR("tag"), &v));
	assert_str(v, "abc");
	assert_true(sip_param_find(STR("a=\"x;y\";b=2"), STR("b"), &v));
	assert_str(v, "2");
	assert_true(sip_param_find(STR("a=\"x;y\";b=2"), STR("a"), &v));
	assert_str(v, "\"x;y\"");
	assert_false(sip_param_find(STR("lrx;xlr"), STR("lr"), &v));
	assert_false(sip_param_find(STR(""), STR("lr"), &v));
	assert_false(sip_param_find(STR("a=\"unterminated;lr"), STR("lr"), &v));
	assert_true(sip_param_find(STR("lr"), STR("lr"), NULL));
}

/* ---- addresses ---- */

static void
addr_name_addr(void **state)
{
	struct sip_addr a;

	assert_int_equal(
	    sip_addr_parse(STR("Bob <sip:bob@biloxi.com>;tag=a6c85cf"), &a), 0);
	assert_str(a.display, "Bob");
	assert_str(a.uri_raw, "sip:bob@biloxi.com");
	assert_str(a.uri.user, "bob");
	assert_str(a.params, "tag=a6c85cf");
	assert_str(a.tag, "a6c85cf");
	assert_false(a.star);
}

static void
addr_quoted_display(void **state)
{
	struct sip_addr a;

	assert_int_equal(
	    sip_addr_parse(STR("\"Mr. \\\"Watson\\\", <boss>\" <sip:w@h;lr> ; "
			       "q=0.7 ; expires=3600"),
		&a),
	    0);
	assert_str(a.display, "Mr. \\\"Watson\\\", <boss>");
	assert_str(a.uri_raw, "sip:w@h;lr");
	assert_true(a.uri.lr);
	assert_str(a.params, " q=0.7 ; expires=3600");
	assert_int_equal(a.tag.len, 0);
}

static void
addr_token_display(void **state)
{
	struct sip_addr a;

	assert_int_equal(
	    sip_addr_parse(STR("  The Operator   <sip:op@h>  "), &a), 0);
	assert_str(a.display, "The Operator");
	assert_int_equal(sip_addr_parse(STR("<sip:op@h>"), &a), 0);
	assert_int_equal(a.display.len, 0);
	assert_int_equal(sip_addr_parse(STR("\"\" <sip:op@h>"), &a), 0);
	assert_int_equal(a.display.len, 0);
}

static void
addr_spec_params(void **state)
{
	struct sip_addr a;

	/* RFC 3261 section 20.10: the params belong to the header. */
	assert_int_equal(
	    sip_addr_parse(STR("sip:alice@h;tag=88sja8x;transport=tcp"), &a),
	    0);
	assert_str(a.uri_raw, "sip:alice@h");
	assert_str(a.uri.params, "");
	assert_int_equal(a.uri.transport, SIP_TP_NONE);
	assert_str(a.params, "tag=88sja8x;transport=tcp");
	assert_str(a.tag, "88sja8x");
}

static void
addr_star(void **state)
{
	struct sip_addr a;

	assert_int_equal(sip_addr_parse(STR(" * "), &a), 0);
	assert_true(a.star);
}

static void
addr_folded(void **state)
{
	struct sip_addr a;

	assert_int_equal(
	    sip_addr_parse(STR("\r\n <sip:a@h>\r\n ;\r\n tag = 98\r\n"), &a),
	    0);
	assert_str(a.tag, "98");
}

static void
addr_ipv6_param(void **state)
{
	struct sip_addr a;

	assert_int_equal(
	    sip_addr_parse(STR("<sip:a@h>;received=[2001:db8::1]"), &a), 0);
	assert_int_equal(
	    sip_addr_parse(STR("<sip:a@h>;received=[2001:db8::1"), &a),
	    EBADMSG);
}

static struct bad_uri addr_bad[] = {
	{ "addr_bad_empty", "   " },
	{ "addr_bad_no_gt", "<sip:a@h" },
	{ "addr_bad_empty_uri", "<>" },
	{ "addr_bad_bad_uri", "<sip:>" },
	{ "addr_bad_display_only", "Alice" },
	{ "addr_bad_quote_open", "\"Alice <sip:a@h>" },
	{ "addr_bad_quote_no_uri", "\"Alice\"" },
	{ "addr_bad_quote_then_spec", "\"Alice\" sip:a@h" },
	{ "addr_bad_junk_after", "<sip:a@h> junk" },
	{ "addr_bad_param_name", "<sip:a@h>;=x" },
	{ "addr_bad_param_value", "<sip:a@h>;tag=a b" },
	{ "addr_bad_param_char", "<sip:a@h>;tag=<x>" },
	{ "addr_bad_trailing_semi", "<sip:a@h>;" },
	{ "addr_bad_star_params", "*;expires=0" },
	{ "addr_bad_spec_space", "sip:a@h junk" },
	{ "addr_bad_escape_end", "\"abc\\" },
};

static void
addr_bad_case(void **state)
{
	const struct bad_uri *c = *state;
	struct sip_addr a;

	assert_int_equal(sip_addr_parse(S(c->in), &a), EBADMSG);
}

/* ---- comma splitting ---- */

struct split_case {
	const char *name;
	const char *in;
	const char *out[5];
	bool bad; /* ends with rest.s == NULL */
};

static struct split_case split_cases[] = {
	{ "split_single", "a", { "a" }, false },
	{ "split_two", "a, b", { "a", "b" }, false },
	{ "split_trim", "  a  ,\r\n\tb  ", { "a", "b" }, false },
	{ "split_empty", "", { NULL }, false },
	{ "split_empties", " , a,, ,b,", { "a", "b" }, false },
	{ "split_quoted", "\"x, y\" <sip:a@h>, <sip:b@h>",
	    { "\"x, y\" <sip:a@h>", "<sip:b@h>" }, false },
	{ "split_escaped_quote", "\"x\\\", y\" <sip:a@h>, c",
	    { "\"x\\\", y\" <sip:a@h>", "c" }, false },
	{ "split_angle", "<sip:a@h;x=1,2>, <sip:b@h>",
	    { "<sip:a@h;x=1,2>", "<sip:b@h>" }, false },
	{ "split_quote_in_angle_ignored", "\"<,\" <sip:a@h>",
	    { "\"<,\" <sip:a@h>" }, false },
	{ "split_unbalanced_quote", "a, \"b, c", { "a" }, true },
	{ "split_unbalanced_angle", "a, <sip:b, c", { "a" }, true },
	{ "split_escape_at_end", "\"b\\", { NULL }, true },
	{ "split_via_values", "SIP/2.0/UDP a;branch=1 , SIP/2.0/UDP b",
	    { "SIP/2.0/UDP a;branch=1", "SIP/2.0/UDP b" }, false },
};

static void
split_case(void **state)
{
	const struct split_case *c = *state;
	struct str rest = S(c->in), v;
	int i;

	for (i = 0; c->out[i] != NULL; i++) {
		assert_true(sip_hdr_next_value(&rest, &v));
		assert_str(v, c->out[i]);
	}
	assert_false(sip_hdr_next_value(&rest, &v));
	if (c->bad)
		assert_null(rest.s);
	else
		assert_non_null(rest.s);
	/* Once finished, it stays finished. */
	assert_false(sip_hdr_next_value(&rest, &v));
}

/* ---- Via ---- */

static void
via_full(void **state)
{
	struct sip_via v;

	assert_int_equal(
	    sip_via_parse(STR("SIP/2.0/UDP erlang.bell-telephone.com:5060"
			      ";branch=z9hG4bK87asdks7;received=192.0.2.1;"
			      "maddr=224.2.0.1;ttl=16;rport=5061;x=y"),
		&v),
	    0);
	assert_str(v.proto, "SIP/2.0/UDP");
	assert_int_equal(v.transport, SIP_TP_UDP);
	assert_str(v.host, "erlang.bell-telephone.com");
	assert_int_equal(v.port, 5060);
	assert_str(v.branch, "z9hG4bK87asdks7");
	assert_str(v.received, "192.0.2.1");
	assert_str(v.maddr, "224.2.0.1");
	assert_int_equal(v.ttl, 16);
	assert_true(v.has_rport);
	assert_str(v.rport, "5061");
	assert_str(v.params,
	    "branch=z9hG4bK87asdks7;received=192.0.2.1;"
	    "maddr=224.2.0.1;ttl=16;rport=5061;x=y");
}

static void
via_transports(void **state)
{
	struct sip_via v;

	assert_int_equal(sip_via_parse(STR("SIP/2.0/tcp h"), &v), 0);
	assert_int_equal(v.transport, SIP_TP_TCP);
	assert_int_equal(v.port, 0);
	assert_int_equal(v.params.len, 0);
	assert_int_equal(sip_via_parse(STR("SIP/2.0/WSS h"), &v), 0);
	assert_int_equal(v.transport, SIP_TP_WSS);
	assert_int_equal(sip_via_parse(STR("sip/2.0/XYZ h"), &v), 0);
	assert_int_equal(v.transport, SIP_TP_OTHER);
	assert_int_equal(sip_transport_from_str(STR("sctp")), SIP_TP_SCTP);
	assert_int_equal(sip_transport_from_str(STR("")), SIP_TP_NONE);
	assert_str(sip_transport_name(SIP_TP_TLS), "TLS");
	assert_str(sip_transport_name(SIP_TP_WS), "WS");
	assert_str(sip_transport_name(SIP_TP_NONE), "");
	assert_str(sip_transport_name(SIP_TP_OTHER), "");
}

static void
via_rport_flag(void **state)
{
	struct sip_via v;

	assert_int_equal(
	    sip_via_parse(STR("SIP/2.0/UDP h;rport;branch=z9hG4bK1"), &v), 0);
	assert_true(v.has_rport);
	assert_int_equal(v.rport.len, 0);
	assert_int_equal(
	    sip_via_parse(STR("SIP/2.0/UDP h;branch=z9hG4bK1"), &v), 0);
	assert_false(v.has_rport);
}

static void
via_ipv6(void **state)
{
	struct sip_via v;

	assert_int_equal(
	    sip_via_parse(STR("SIP/2.0/UDP [2001:db8::9:1]:5070;"
			      "received=2001:db8::9:255;branch=z9hG4bKas3"),
		&v),
	    0);
	assert_str(v.host, "[2001:db8::9:1]");
	assert_int_equal(v.port, 5070);
	assert_str(v.received, "2001:db8::9:255");
	assert_int_equal(
	    sip_via_parse(
		STR("SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::1]"), &v),
	    0);
	assert_str(v.received, "[2001:db8::1]");
}

static void
via_lws(void **state)
{
	struct sip_via v;

	assert_int_equal(sip_via_parse(STR("SIP / 2.0 / UDP\r\n h.example.com "
					   ": 5060 ; branch = z9hG4bK1 "),
			     &v),
	    0);
	assert_str(v.proto, "SIP / 2.0 / UDP");
	assert_str(v.host, "h.example.com");
	assert_int_equal(v.port, 5060);
	assert_str(v.branch, "z9hG4bK1");
}

static void
via_quoted_param(void **state)
{
	struct sip_via v;

	assert_int_equal(
	    sip_via_parse(STR("SIP/2.0/UDP h;x=\"a;b\";branch=z9hG4bK2"), &v),
	    0);
	assert_str(v.branch, "z9hG4bK2");
}

static struct bad_uri via_bad[] = {
	{ "via_bad_empty", "" },
	{ "via_bad_no_host", "SIP/2.0/UDP" },
	{ "via_bad_no_host_sp", "SIP/2.0/UDP  " },
	{ "via_bad_no_sp", "SIP/2.0/UDPh" },
	{ "via_bad_proto", "SIPS/2.0/UDP h" },
	{ "via_bad_version", "SIP/2.1/UDP h" },
	{ "via_bad_missing_tp", "SIP/2.0/ h" },
	{ "via_bad_missing_slash", "SIP/2.0 h" },
	{ "via_bad_port0", "SIP/2.0/UDP h:0" },
	{ "via_bad_port_big", "SIP/2.0/UDP h:70000" },
	{ "via_bad_port_empty", "SIP/2.0/UDP h:" },
	{ "via_bad_host_char", "SIP/2.0/UDP h@x" },
	{ "via_bad_ipv6", "SIP/2.0/UDP [2001:db8::1" },
	{ "via_bad_ipv6_short", "SIP/2.0/UDP []" },
	{ "via_bad_ipv6_char", "SIP/2.0/UDP [2001:zz::1]" },
	{ "via_bad_branch_empty", "SIP/2.0/UDP h;branch=" },
	{ "via_bad_branch_flag", "SIP/2.0/UDP h;branch" },
	{ "via_bad_received_flag", "SIP/2.0/UDP h;received" },
	{ "via_bad_maddr_flag", "SIP/2.0/UDP h;maddr" },
	{ "via_bad_ttl", "SIP/2.0/UDP h;ttl=300" },
	{ "via_bad_ttl_flag", "SIP/2.0/UDP h;ttl" },
	{ "via_bad_rport0", "SIP/2.0/UDP h;rport=0" },
	{ "via_bad_rport_big", "SIP/2.0/UDP h;rport=65536" },
	{ "via_bad_param_char", "SIP/2.0/UDP h;a=<b>" },
	{ "via_bad_empty_param", "SIP/2.0/UDP h;;branch=z9hG4bK1" },
	{ "via_bad_trailing", "SIP/2.0/UDP h;" },
	{ "via_bad_junk", "SIP/2.0/UDP h x" },
	{ "via_bad_comment", "SIP/2.0/UDP h (comment)" },
	{ "via_bad_quote", "SIP/2.0/UDP h;a=\"b" },
};

static void
via_bad_case(void **state)
{
	const struct bad_uri *c = *state;
	struct sip_via v;

	assert_int_equal(sip_via_parse(S(c->in), &v), EBADMSG);
}

#define T(f) cmocka_unit_test(f)

static const struct CMUnitTest fixed_tests[] = {
	T(param_find),
	T(addr_name_addr),
	T(addr_quoted_display),
	T(addr_token_display),
	T(addr_spec_params),
	T(addr_star),
	T(addr_folded),
	T(addr_ipv6_param),
	T(via_full),
	T(via_transports),
	T(via_rport_flag),
	T(via_ipv6),
	T(via_lws),
	T(via_quoted_param),
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

int
main(void)
{
	static struct CMUnitTest tests[N(fixed_tests) + N(uri_ok) + N(uri_bad) +
	    N(addr_bad) + N(split_cases) + N(via_bad)];
	size_t i, n = 0;

	for (i = 0; i < N(fixed_tests); i++)
		tests[n++] = fixed_tests[i];
	for (i = 0; i < N(uri_ok); i++)
		tests[n++] = (struct CMUnitTest){ .name = uri_ok[i].name,
			.test_func = uri_ok_case,
			.initial_state = &uri_ok[i] };
	for (i = 0; i < N(uri_bad); i++)
		tests[n++] = (struct CMUnitTest){ .name = uri_bad[i].name,
			.test_func = uri_bad_case,
			.initial_state = &uri_bad[i] };
	for (i = 0; i < N(addr_bad); i++)
		tests[n++] = (struct CMUnitTest){ .name = addr_bad[i].name,
			.test_func = addr_bad_case,
			.initial_state = &addr_bad[i] };
	for (i = 0; i < N(split_cases); i++)
		tests[n++] = (struct CMUnitTest){ .name = split_cases[i].name,
			.test_func = split_case,
			.initial_state = &split_cases[i] };
	for (i = 0; i < N(via_bad); i++)
		tests[n++] = (struct CMUnitTest){ .name = via_bad[i].name,
			.test_func = via_bad_case,
			.initial_state = &via_bad[i] };
	return cmocka_run_group_tests_name("sip_uri", tests, NULL, NULL);
}

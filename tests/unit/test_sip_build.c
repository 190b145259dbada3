/*
 * tests/unit/test_sip_build.c -- the output buffer and the three
 * builders: local responses, forwarded requests, relayed responses.
 * Every built message is parsed again.
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

#define RL "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
#define VIA1 "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776\r\n"
#define FROM "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
#define TO "To: Bob <sip:bob@biloxi.example.com>\r\n"
#define CID "Call-ID: a84b4c76e66710@pc33\r\n"
#define CSEQ "CSeq: 314159 INVITE\r\n"
#define MF "Max-Forwards: 70\r\n"
#define CT "Content-Type: application/sdp\r\n"
#define PVIA "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKp1\r\n"
#define PRR "Record-Route: <sip:192.0.2.10;lr>\r\n"

static struct sip_msg req, out;
static char buf[8192];
static struct sip_wbuf w;

static void
must_parse(const char *s)
{
	assert_int_equal(sip_parse(NULL, &req, s, strlen(s)), 0);
	sip_wbuf_init(&w, buf, sizeof(buf));
}

static void
assert_out(const char *want)
{
	assert_false(w.overflow);
	assert_int_equal(w.len, strlen(want));
	assert_memory_equal(buf, want, w.len);
	assert_int_equal(sip_parse(NULL, &out, buf, w.len), 0);
}

static int
resp(uint16_t status, const char *tag, const char *vp)
{
	return sip_build_response(&w, &req, status, STR(""),
	    str_make(tag, strlen(tag)), str_make(vp, strlen(vp)), STR(""),
	    STR(""), STR(""));
}

static int
fwd(const char *ruri, unsigned pop, const char *rr)
{
	return sip_build_request(&w, &req, str_make(ruri, strlen(ruri)),
	    STR(PVIA), STR(""), pop, str_make(rr, strlen(rr)));
}

/* ---- sip_wbuf ---- */

static void
wbuf_appends(void **state)
{
	char b[16];
	struct sip_wbuf x;

	sip_wbuf_init(&x, b, sizeof(b));
	sip_wbuf_put(&x, STR("abc"));
	sip_wbuf_putc(&x, '-');
	sip_wbuf_putu(&x, 0);
	sip_wbuf_putu(&x, 18446744073709551615ULL % 1000000);
	sip_wbuf_printf(&x, "%s%d", "x", 7);
	assert_false(x.overflow);
	assert_int_equal(x.len, 13);
	assert_memory_equal(b, "abc-0551615x7", 13);
}

static void
wbuf_overflow(void **state)
{
	char b[8];
	struct sip_wbuf x;

	sip_wbuf_init(&x, b, sizeof(b));
	sip_wbuf_put(&x, STR("12345678"));
	assert_false(x.overflow);
	sip_wbuf_putc(&x, '9');
	assert_true(x.overflow);
	assert_int_equal(x.len, 8);

	sip_wbuf_init(&x, b, sizeof(b));
	sip_wbuf_put(&x, STR("123456789"));
	assert_true(x.overflow);
	assert_int_equal(x.len, 0);
	/* Nothing more is appended once overflowed. */
	sip_wbuf_put(&x, STR("1"));
	assert_int_equal(x.len, 0);

	sip_wbuf_init(&x, b, sizeof(b));
	sip_wbuf_put(&x, STR("1234"));
	sip_wbuf_putu(&x, 123456);
	assert_true(x.overflow);
	assert_int_equal(x.len, 4);

	sip_wbuf_init(&x, b, sizeof(b));
	sip_wbuf_printf(&x, "%s", "12345678");
	assert_true(x.overflow);

	sip_wbuf_init(&x, NULL, 0);
	sip_wbuf_put(&x, STR(""));
	assert_false(x.overflow);
	sip_wbuf_putc(&x, 'a');
	assert_true(x.overflow);
}

/* ---- sip_build_response ---- */

static void
resp_basic(void **state)
{
	must_parse(RL VIA1 MF TO FROM CID CSEQ
	    "Contact: <sip:alice@pc33>\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(
	    sip_build_response(&w, &req, 200, STR("OK"), STR("a6c85cf"),
		STR(""), STR(""), STR("centinela/1.0"), STR("")),
	    0);
	assert_out(
	    "SIP/2.0 200 OK\r\n" VIA1
	    "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n" FROM CID CSEQ
	    "Server: centinela/1.0\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(out.status, 200);
	assert_int_equal(out.to.tag.len, 7);
}

static void
resp_to_tag_kept(void **state)
{
	must_parse(RL VIA1 "To: <sip:bob@b>;tag=orig\r\n" FROM CID CSEQ "\r\n");
	assert_int_equal(resp(486, "new", ""), 0);
	assert_out("SIP/2.0 486 Busy Here\r\n" VIA1
		   "To: <sip:bob@b>;tag=orig\r\n" FROM CID CSEQ
		   "Content-Length: 0\r\n\r\n");
}

static void
resp_to_tag_not_on_100(void **state)
{
	must_parse(RL VIA1 TO FROM CID CSEQ "\r\n");
	assert_int_equal(resp(100, "t1", ""), 0);
	assert_out("SIP/2.0 100 Trying\r\n" VIA1 TO FROM CID CSEQ
		   "Content-Length: 0\r\n\r\n");
}

static void
resp_to_tag_empty(void **state)
{
	must_parse(RL VIA1 TO FROM CID CSEQ "\r\n");
	assert_int_equal(resp(503, "", ""), 0);
	assert_out("SIP/2.0 503 Service Unavailable\r\n" VIA1 TO FROM CID CSEQ
		   "Content-Length: 0\r\n\r\n");
}

static void
resp_to_tag_addr_spec(void **state)
{
	must_parse(RL VIA1 "To: sip:bob@b \r\n" FROM CID CSEQ "\r\n");
	assert_int_equal(resp(404, "x", ""), 0);
	assert_out("SIP/2.0 404 Not Found\r\n" VIA1
		   "To: sip:bob@b;tag=x \r\n" FROM CID CSEQ
		   "Content-Length: 0\r\n\r\n");
	assert_int_equal(out.to.tag.len, 1);
}

static void
resp_received_rport(void **state)
{
	must_parse(RL
	    "Via: SIP/2.0/UDP h:5062;rport;branch=z9hG4bK1\r\n" TO FROM CID CSEQ
	    "\r\n");
	assert_int_equal(resp(403, "", ";received=192.0.2.7;rport=5099"), 0);
	assert_out(
	    "SIP/2.0 403 Forbidden\r\n"
	    "Via: SIP/2.0/UDP "
	    "h:5062;branch=z9hG4bK1;received=192.0.2.7;rport=5099\r\n" TO FROM
		CID CSEQ "Content-Length: 0\r\n\r\n");
	assert_int_equal(out.via[0].port, 5062);
	assert_int_equal(out.via[0].rport.len, 4);
}

static void
resp_multi_via(void **state)
{
	must_parse(
	    RL "Via: SIP/2.0/UDP a;branch=z9hG4bK1 , SIP/2.0/UDP "
	       "b;branch=z9hG4bK2\r\n" MF
	       "v: SIP/2.0/UDP c;branch=z9hG4bK3\r\n" TO FROM CID CSEQ "\r\n");
	assert_int_equal(resp(180, "t", "received=192.0.2.1"), 0);
	assert_out(
	    "SIP/2.0 180 Ringing\r\n"
	    "Via: SIP/2.0/UDP a;branch=z9hG4bK1;received=192.0.2.1 , "
	    "SIP/2.0/UDP b;branch=z9hG4bK2\r\n"
	    "v: SIP/2.0/UDP c;branch=z9hG4bK3\r\n"
	    "To: Bob <sip:bob@biloxi.example.com>;tag=t\r\n" FROM CID CSEQ
	    "Content-Length: 0\r\n\r\n");
	assert_int_equal(out.nvia, 3);
}

static void
resp_extra_body(void **state)
{
	must_parse(RL VIA1 TO FROM CID CSEQ "\r\n");
	assert_int_equal(
	    sip_build_response(&w, &req, 405, STR(""), STR(""), STR(""),
		STR("Allow: INVITE, ACK\r\nRetry-After: 5\r\n"), STR("c"),
		STR("hello")),
	    0);
	assert_out("SIP/2.0 405 Method Not Allowed\r\n" VIA1 TO FROM CID CSEQ
		   "Allow: INVITE, ACK\r\nRetry-After: 5\r\nServer: c\r\n"
		   "Content-Length: 5\r\n\r\nhello");
	assert_int_equal(out.body.len, 5);
}

static void
resp_default_reasons(void **state)
{
	must_parse(RL VIA1 TO FROM CID CSEQ "\r\n");
	assert_int_equal(resp(499, "", ""), 0);
	assert_memory_equal(buf, "SIP/2.0 499 Client Error\r\n", 26);
	sip_wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(resp(699, "", ""), 0);
	assert_memory_equal(buf, "SIP/2.0 699 Global Failure\r\n", 28);
	sip_wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(resp(483, "", ""), 0);
	assert_memory_equal(buf, "SIP/2.0 483 Too Many Hops\r\n", 27);
}

static void
resp_einval(void **state)
{
	must_parse(RL VIA1 TO FROM CID CSEQ "\r\n");
	assert_int_equal(resp(99, "", ""), EINVAL);
	assert_int_equal(resp(700, "", ""), EINVAL);
	assert_int_equal(sip_build_response(&w, &req, 200, STR("OK\r\nX: y"),
			     STR(""), STR(""), STR(""), STR(""), STR("")),
	    EINVAL);
	assert_int_equal(sip_build_response(&w, &req, 200, STR(""), STR(""),
			     STR(""), STR("X: no crlf"), STR(""), STR("")),
	    EINVAL);
	assert_int_equal(sip_build_response(&w, &req, 200, STR(""), STR(""),
			     STR(""), STR("X: a\nY: b\r\n"), STR(""), STR("")),
	    EINVAL);
	assert_int_equal(sip_build_response(&w, &req, 200, STR(""), STR("a\r"),
			     STR(""), STR(""), STR(""), STR("")),
	    EINVAL);
	assert_int_equal(w.len, 0);
	assert_int_equal(
	    sip_parse(NULL, &req,
		"SIP/2.0 200 OK\r\n" VIA1 TO FROM CID CSEQ "\r\n",
		strlen("SIP/2.0 200 OK\r\n" VIA1 TO FROM CID CSEQ "\r\n")),
	    0);
	assert_int_equal(resp(200, "", ""), EINVAL);
}

static void
resp_enospc(void **state)
{
	size_t need, cap;
	char small[512];

	must_parse(RL VIA1 TO FROM CID CSEQ "\r\n");
	assert_int_equal(resp(200, "tag", ";rport=1"), 0);
	need = w.len;
	for (cap = 0; cap < need; cap++) {
		sip_wbuf_init(&w, small, cap);
		assert_int_equal(resp(200, "tag", ";rport=1"), ENOSPC);
		assert_true(w.len <= cap);
	}
	sip_wbuf_init(&w, small, need);
	assert_int_equal(resp(200, "tag", ";rport=1"), 0);
	assert_int_equal(w.len, need);
}

/* ---- sip_build_request ---- */

static void
req_basic(void **state)
{
	must_parse(
	    RL VIA1 MF TO FROM CID CSEQ CT "Content-Length: 3\r\n\r\nabc");
	assert_int_equal(fwd("", false, ""), 0);
	assert_out(RL PVIA VIA1 "Max-Forwards: 69\r\n" TO FROM CID CSEQ CT
				"Content-Length: 3\r\n\r\nabc");
	assert_int_equal(out.nvia, 2);
	assert_int_equal(out.max_forwards, 69);
}

static void
req_ruri_and_rr(void **state)
{
	must_parse(RL TO VIA1 MF FROM CID CSEQ "\r\n");
	assert_int_equal(fwd("sip:bob@192.0.2.4:5080", false, PRR), 0);
	assert_out(
	    "INVITE sip:bob@192.0.2.4:5080 SIP/2.0\r\n" PRR TO PVIA VIA1
	    "Max-Forwards: 69\r\n" FROM CID CSEQ "Content-Length: 0\r\n\r\n");
	assert_int_equal(out.ruri.port, 5080);
}

static void
req_mf_insert(void **state)
{
	must_parse(RL VIA1 TO FROM CID CSEQ "\r\n");
	assert_int_equal(fwd("", false, ""), 0);
	assert_out(RL PVIA VIA1 TO FROM CID CSEQ
	    "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(out.max_forwards, 70);
}

static void
req_mf_zero(void **state)
{
	must_parse(RL VIA1 "Max-Forwards: 0\r\n" TO FROM CID CSEQ "\r\n");
	assert_int_equal(fwd("", false, ""), 0);
	assert_int_equal(sip_parse(NULL, &out, buf, w.len), 0);
	assert_int_equal(out.max_forwards, 0);
}

static void
req_mf_compact_value(void **state)
{
	must_parse(RL VIA1 "max-forwards:   010\r\n" TO FROM CID CSEQ "\r\n");
	assert_int_equal(fwd("", false, ""), 0);
	assert_out(RL PVIA VIA1 "Max-Forwards: 9\r\n" TO FROM CID CSEQ
				"Content-Length: 0\r\n\r\n");
}

static void
req_route_pop_single(void **state)
{
	must_parse(RL VIA1 MF
	    "Route: <sip:192.0.2.10;lr>\r\n"
	    "Route: <sip:p2.example.com;lr>\r\n" TO FROM CID CSEQ "\r\n");
	assert_int_equal(fwd("", true, ""), 0);
	assert_out(
	    RL PVIA VIA1 "Max-Forwards: 69\r\n"
			 "Route: <sip:p2.example.com;lr>\r\n" TO FROM CID CSEQ
			 "Content-Length: 0\r\n\r\n");
	assert_int_equal(out.count[SIP_HDR_ROUTE], 1);
}

static void
req_route_pop_multi(void **state)
{
	must_parse(RL VIA1 MF
	    "Route: <sip:192.0.2.10;lr>,  "
	    "<sip:p2.example.com;lr>,<sip:p3;lr>\r\n" TO FROM CID CSEQ "\r\n");
	assert_int_equal(fwd("", true, ""), 0);
	assert_out(RL PVIA VIA1
	    "Max-Forwards: 69\r\n"
	    "Route: <sip:p2.example.com;lr>,<sip:p3;lr>\r\n" TO FROM CID CSEQ
	    "Content-Length: 0\r\n\r\n");
}

static void
req_route_pop_quoted(void **state)
{
	must_parse(RL VIA1 MF
	    "Route: \"a, b\" <sip:192.0.2.10;lr>, <sip:p2;lr>\r\n" TO FROM CID
		CSEQ "\r\n");
	assert_int_equal(fwd("", true, ""), 0);
	assert_out(RL PVIA VIA1 "Max-Forwards: 69\r\n"
				"Route: <sip:p2;lr>\r\n" TO FROM CID CSEQ
				"Content-Length: 0\r\n\r\n");
}

/* Double Record-Route (RFC 5658): two own entries, across fields. */
static void
req_route_pop_two_across_fields(void **state)
{
	must_parse(RL VIA1 MF
	    "Route: <sip:192.0.2.10;lr>\r\n"
	    "Route: <sip:192.0.2.10;transport=tcp;lr>, <sip:p3;lr>\r\n" TO FROM
		CID CSEQ "\r\n");
	assert_int_equal(fwd("", 2, ""), 0);
	assert_out(RL PVIA VIA1 "Max-Forwards: 69\r\n"
				"Route: <sip:p3;lr>\r\n" TO FROM CID CSEQ
				"Content-Length: 0\r\n\r\n");
	assert_int_equal(out.count[SIP_HDR_ROUTE], 1);
}

static void
req_route_pop_all_of_two(void **state)
{
	must_parse(RL VIA1 MF
	    "Route: <sip:a;lr>, <sip:b;lr>\r\n" TO FROM CID CSEQ "\r\n");
	assert_int_equal(fwd("", 2, ""), 0);
	assert_out(RL PVIA VIA1 "Max-Forwards: 69\r\n" TO FROM CID CSEQ
				"Content-Length: 0\r\n\r\n");
	assert_int_equal(out.count[SIP_HDR_ROUTE], 0);
}

static void
req_route_only(void **state)
{
	must_parse(RL VIA1 MF "Route: <sip:192.0.2.10;lr>\r\n" TO FROM CID CSEQ
			      "\r\n");
	assert_int_equal(fwd("", true, ""), 0);
	assert_out(RL PVIA VIA1 "Max-Forwards: 69\r\n" TO FROM CID CSEQ
				"Content-Length: 0\r\n\r\n");
	assert_int_equal(out.count[SIP_HDR_ROUTE], 0);
}

static void
req_route_kept(void **state)
{
	must_parse(RL VIA1 MF
	    "Route: <sip:a;lr>, <sip:b;lr>\r\n" TO FROM CID CSEQ "\r\n");
	assert_int_equal(fwd("", false, ""), 0);
	assert_out(
	    RL PVIA VIA1 "Max-Forwards: 69\r\n"
			 "Route: <sip:a;lr>, <sip:b;lr>\r\n" TO FROM CID CSEQ
			 "Content-Length: 0\r\n\r\n");
}

static void
req_route_bad(void **state)
{
	must_parse(RL VIA1 MF "Route: <sip:a;lr\r\n" TO FROM CID CSEQ "\r\n");
	assert_int_equal(fwd("", true, ""), EINVAL);
}

static void
req_top_via_params(void **state)
{
	must_parse(
	    RL "v: SIP/2.0/UDP h;branch=z9hG4bK1;rport, SIP/2.0/UDP g\r\n" MF TO
		FROM CID CSEQ "\r\n");
	assert_int_equal(
	    sip_build_request(&w, &req, STR(""), STR(PVIA),
		STR(";received=192.0.2.99;rport=6000"), false, STR("")),
	    0);
	assert_out(RL PVIA
	    "v: SIP/2.0/UDP h;branch=z9hG4bK1;received=192.0.2.99;rport=6000, "
	    "SIP/2.0/UDP g\r\n"
	    "Max-Forwards: 69\r\n" TO FROM CID CSEQ
	    "Content-Length: 0\r\n\r\n");
	assert_int_equal(out.nvia, 3);
	assert_int_equal(out.via[1].rport.len, 4);
}

static void
req_cl_rewrite(void **state)
{
	/* Datagram longer than Content-Length: the body is truncated. */
	must_parse(RL VIA1 TO FROM CID CSEQ "l: 2\r\n\r\nabcdef");
	assert_int_equal(fwd("", false, ""), 0);
	assert_out(RL PVIA VIA1 TO FROM CID CSEQ "Content-Length: 2\r\n"
						 "Max-Forwards: 70\r\n\r\nab");
}

static void
req_cl_added(void **state)
{
	must_parse(RL VIA1 MF TO FROM CID CSEQ "\r\nabcdef");
	assert_int_equal(fwd("", false, ""), 0);
	assert_out(RL PVIA VIA1 "Max-Forwards: 69\r\n" TO FROM CID CSEQ
				"Content-Length: 6\r\n\r\nabcdef");
}

static void
req_cl_duplicates(void **state)
{
	must_parse(
	    RL VIA1 MF TO FROM CID CSEQ "Content-Length: 1\r\nl: 1\r\n\r\nz");
	assert_int_equal(fwd("", false, ""), 0);
	assert_out(RL PVIA VIA1 "Max-Forwards: 69\r\n" TO FROM CID CSEQ
				"Content-Length: 1\r\n\r\nz");
}

static void
req_unknown_copied(void **state)
{
	must_parse(RL VIA1 MF "X-Folded: a\r\n b\r\n"
			      "s: subj\r\n" TO FROM CID CSEQ "\r\n");
	assert_int_equal(fwd("", false, ""), 0);
	assert_out(RL PVIA VIA1 "Max-Forwards: 69\r\n"
				"X-Folded: a\r\n b\r\n"
				"s: subj\r\n" TO FROM CID CSEQ
				"Content-Length: 0\r\n\r\n");
}

static void
req_einval(void **state)
{
	must_parse(RL VIA1 MF TO FROM CID CSEQ "\r\n");
	assert_int_equal(
	    sip_build_request(&w, &req, STR(""), STR("Via: SIP/2.0/UDP x"),
		STR(""), false, STR("")),
	    EINVAL);
	assert_int_equal(sip_build_request(&w, &req, STR(""), STR(PVIA),
			     STR(""), false, STR("Record-Route: <sip:x>")),
	    EINVAL);
	assert_int_equal(sip_build_request(&w, &req, STR("sip:a\r\n"),
			     STR(PVIA), STR(""), false, STR("")),
	    EINVAL);
	assert_int_equal(sip_build_request(&w, &req, STR(""), STR(PVIA),
			     STR(";a\n"), false, STR("")),
	    EINVAL);
	assert_int_equal(w.len, 0);
	must_parse("SIP/2.0 200 OK\r\n" VIA1 TO FROM CID CSEQ "\r\n");
	assert_int_equal(fwd("", false, ""), EINVAL);
}

static void
req_enospc(void **state)
{
	size_t need, cap;
	char small[1024];

	must_parse(
	    RL VIA1 MF "Route: <sip:a;lr>, <sip:b;lr>\r\n" TO FROM CID CSEQ
		       "l: 3\r\n\r\nabc");
	assert_int_equal(fwd("", true, PRR), 0);
	need = w.len;
	for (cap = 0; cap < need; cap++) {
		sip_wbuf_init(&w, small, cap);
		assert_int_equal(fwd("", true, PRR), ENOSPC);
	}
	sip_wbuf_init(&w, small, need);
	assert_int_equal(fwd("", true, PRR), 0);
}

/* ---- sip_build_response_relay ---- */

#define R200 "SIP/2.0 200 OK\r\n"

static void
relay_single_via(void **state)
{
	must_parse(R200 PVIA VIA1 TO FROM CID CSEQ "Content-Length: 0\r\n\r\n");
	assert_int_equal(sip_build_response_relay(&w, &req), 0);
	assert_out(R200 VIA1 TO FROM CID CSEQ "Content-Length: 0\r\n\r\n");
	assert_int_equal(out.nvia, 1);
}

static void
relay_multi_via(void **state)
{
	must_parse(
	    R200 "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKp1 , SIP/2.0/UDP "
		 "a;branch=z9hG4bK1,SIP/2.0/UDP b\r\n" TO FROM CID CSEQ "\r\n");
	assert_int_equal(sip_build_response_relay(&w, &req), 0);
	assert_out(
	    R200 "Via: SIP/2.0/UDP a;branch=z9hG4bK1,SIP/2.0/UDP b\r\n" TO FROM
		CID CSEQ "Content-Length: 0\r\n\r\n");
	assert_int_equal(out.nvia, 2);
}

static void
relay_compact_via(void **state)
{
	must_parse(
	    R200 "v: SIP/2.0/UDP p;branch=z9hG4bKp, SIP/2.0/TCP a\r\n" TO FROM
		CID CSEQ "l: 2\r\n\r\nxy");
	assert_int_equal(sip_build_response_relay(&w, &req), 0);
	assert_out(R200 "v: SIP/2.0/TCP a\r\n" TO FROM CID CSEQ
			"Content-Length: 2\r\n\r\nxy");
}

static void
relay_keeps_order(void **state)
{
	must_parse("SIP/2.0 183 Session Progress\r\n" TO PVIA
		   "Record-Route: <sip:x;lr>\r\n" VIA1 FROM CID CSEQ
		   "X-Other: 1\r\n\r\n");
	assert_int_equal(sip_build_response_relay(&w, &req), 0);
	assert_out("SIP/2.0 183 Session Progress\r\n" TO
		   "Record-Route: <sip:x;lr>\r\n" VIA1 FROM CID CSEQ
		   "X-Other: 1\r\nContent-Length: 0\r\n\r\n");
}

static void
relay_einval_enospc(void **state)
{
	char small[32];

	must_parse(RL VIA1 TO FROM CID CSEQ "\r\n");
	assert_int_equal(sip_build_response_relay(&w, &req), EINVAL);
	must_parse(R200 PVIA VIA1 TO FROM CID CSEQ "\r\n");
	sip_wbuf_init(&w, small, sizeof(small));
	assert_int_equal(sip_build_response_relay(&w, &req), ENOSPC);
}

/* ---- sip_build_edit ---- */

static void
edit_drop_add(void **state)
{
	char small[16];

	must_parse(RL VIA1 FROM TO CID CSEQ
	    "P-Asserted-Identity: <tel:+34911234567>\r\n"
	    "Content-Length: 4\r\n" MF "\r\nv=0\n");
	assert_int_equal(
	    sip_build_edit(&w, &req,
		(UINT64_C(1) << SIP_HDR_P_ASSERTED_IDENTITY) |
		    (UINT64_C(1) << SIP_HDR_FROM),
		STR("From: <sip:anonymous@anonymous.invalid>;tag=1\r\n"
		    "Privacy: id\r\n")),
	    0);
	assert_out(RL VIA1 TO CID CSEQ MF
	    "From: <sip:anonymous@anonymous.invalid>;tag=1\r\n"
	    "Privacy: id\r\nContent-Length: 4\r\n\r\nv=0\n");
	must_parse(RL VIA1 FROM TO CID CSEQ "\r\n");
	assert_int_equal(sip_build_edit(&w, &req, 0, STR("")), 0);
	assert_out(RL VIA1 FROM TO CID CSEQ "Content-Length: 0\r\n\r\n");
	assert_int_equal(sip_build_edit(&w, &req, 0, STR("X: 1")), EINVAL);
	sip_wbuf_init(&w, small, sizeof(small));
	assert_int_equal(sip_build_edit(&w, &req, 0, STR("")), ENOSPC);
}

#define T(f) cmocka_unit_test(f)

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		T(wbuf_appends),
		T(wbuf_overflow),
		T(resp_basic),
		T(resp_to_tag_kept),
		T(resp_to_tag_not_on_100),
		T(resp_to_tag_empty),
		T(resp_to_tag_addr_spec),
		T(resp_received_rport),
		T(resp_multi_via),
		T(resp_extra_body),
		T(resp_default_reasons),
		T(resp_einval),
		T(resp_enospc),
		T(req_basic),
		T(req_ruri_and_rr),
		T(req_mf_insert),
		T(req_mf_zero),
		T(req_mf_compact_value),
		T(req_route_pop_single),
		T(req_route_pop_multi),
		T(req_route_pop_quoted),
		T(req_route_pop_two_across_fields),
		T(req_route_pop_all_of_two),
		T(req_route_only),
		T(req_route_kept),
		T(req_route_bad),
		T(req_top_via_params),
		T(req_cl_rewrite),
		T(req_cl_added),
		T(req_cl_duplicates),
		T(req_unknown_copied),
		T(req_einval),
		T(req_enospc),
		T(edit_drop_add),
		T(relay_single_via),
		T(relay_multi_via),
		T(relay_compact_via),
		T(relay_keeps_order),
		T(relay_einval_enospc),
	};

	return cmocka_run_group_tests_name("sip_build", tests, NULL, NULL);
}

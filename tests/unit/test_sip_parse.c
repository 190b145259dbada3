/*
 * tests/unit/test_sip_parse.c -- sip_parse(), sip_frame() and the
 * header index: valid messages in the style of RFC 4475 (torture
 * tests), invalid ones, the four limits and stream framing.
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
#define VIA "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776\r\n"
#define FROM "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
#define TO "To: Bob <sip:bob@biloxi.example.com>\r\n"
#define CID "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
#define CSEQ "CSeq: 314159 INVITE\r\n"
#define MF "Max-Forwards: 70\r\n"
#define CL0 "Content-Length: 0\r\n"
#define HDRS VIA MF TO FROM CID CSEQ
#define RSP "SIP/2.0 200 OK\r\n"

static struct sip_msg msg;

static int
parse(const char *s)
{
	return sip_parse(NULL, &msg, s, strlen(s));
}

static int
parse_lim(const struct sip_limits *lim, const char *s)
{
	return sip_parse(lim, &msg, s, strlen(s));
}

static void
assert_str(struct str v, const char *want)
{
	assert_int_equal(v.len, strlen(want));
	assert_memory_equal(v.s, want, v.len);
}

/* ---- valid messages ---- */

static void
valid_invite(void **state)
{
	static const char m[] =
	    RL HDRS "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
		    "Content-Type: application/sdp\r\n"
		    "Content-Length: 4\r\n"
		    "\r\n"
		    "v=0\n";

	assert_int_equal(sip_parse(NULL, &msg, m, sizeof(m) - 1), 0);
	assert_true(msg.is_request);
	assert_int_equal(msg.method, SIP_METHOD_INVITE);
	assert_str(msg.method_s, "INVITE");
	assert_str(msg.ruri_raw, "sip:bob@biloxi.example.com");
	assert_int_equal(msg.ruri.scheme, SIP_SCHEME_SIP);
	assert_str(msg.ruri.user, "bob");
	assert_str(msg.ruri.host, "biloxi.example.com");
	assert_str(msg.start_line, "INVITE sip:bob@biloxi.example.com SIP/2.0");
	assert_int_equal(msg.nhdrs, 9);
	assert_int_equal(msg.nvia, 1);
	assert_str(msg.via[0].host, "pc33.atlanta.example.com");
	assert_str(msg.via[0].branch, "z9hG4bK776");
	assert_int_equal(msg.via[0].transport, SIP_TP_UDP);
	assert_str(msg.call_id, "a84b4c76e66710@pc33.atlanta.example.com");
	assert_int_equal(msg.cseq.num, 314159);
	assert_int_equal(msg.cseq.method, SIP_METHOD_INVITE);
	assert_str(msg.from.tag, "1928301774");
	assert_str(msg.from.display, "Alice");
	assert_str(msg.to.uri.user, "bob");
	assert_int_equal(msg.to.tag.len, 0);
	assert_true(msg.has_max_forwards);
	assert_int_equal(msg.max_forwards, 70);
	assert_true(msg.has_content_length);
	assert_int_equal(msg.content_length, 4);
	assert_str(msg.body, "v=0\n");
	assert_int_equal(msg.raw.len, sizeof(m) - 1);
	assert_ptr_equal(msg.headers_end.s, msg.body.s - 2);
	assert_int_equal(msg.headers_end.len, 0);
	assert_int_equal(msg.first[SIP_HDR_VIA], 0);
	assert_int_equal(msg.first[SIP_HDR_CONTACT], 6);
	assert_int_equal(msg.first[SIP_HDR_ROUTE], -1);
	assert_int_equal(msg.count[SIP_HDR_VIA], 1);
	assert_int_equal(msg.count[SIP_HDR_ROUTE], 0);
	assert_str(msg.hdrs[1].line, MF);
	assert_str(msg.hdrs[1].name, "Max-Forwards");
	assert_str(msg.hdrs[1].value, "70");
}

static void
valid_response(void **state)
{
	assert_int_equal(
	    parse(
		"SIP/2.0 180 Ringing\r\n" VIA
		"To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n" FROM CID
		    CSEQ CL0 "\r\n"),
	    0);
	assert_false(msg.is_request);
	assert_int_equal(msg.status, 180);
	assert_str(msg.reason, "Ringing");
	assert_str(msg.to.tag, "a6c85cf");
	assert_int_equal(msg.cseq.method, SIP_METHOD_INVITE);
	assert_int_equal(msg.body.len, 0);
}

static void
valid_response_reason_spaces(void **state)
{
	assert_int_equal(
	    parse("SIP/2.0 481 Call/Transaction Does Not Exist\r\n" VIA TO FROM
		    CID CSEQ "\r\n"),
	    0);
	assert_int_equal(msg.status, 481);
	assert_str(msg.reason, "Call/Transaction Does Not Exist");
}

static void
valid_response_no_reason(void **state)
{
	assert_int_equal(
	    parse("SIP/2.0 486\r\n" VIA TO FROM CID CSEQ "\r\n"), 0);
	assert_int_equal(msg.status, 486);
	assert_int_equal(msg.reason.len, 0);
}

static void
valid_folding(void **state)
{
	assert_int_equal(
	    parse(RL "Via: SIP/2.0/UDP\r\n "
		     "pc33.atlanta.example.com\r\n\t;branch=z9hG4bK1\r\n"
		     "To:\r\n <sip:bob@biloxi.example.com>\r\n" FROM CID
		     "CSeq: 7\r\n  INVITE\r\n"
		     "Subject: first line\r\n second line\r\n"
		     "\r\n"),
	    0);
	assert_int_equal(msg.nhdrs, 6);
	assert_str(msg.via[0].host, "pc33.atlanta.example.com");
	assert_str(msg.via[0].branch, "z9hG4bK1");
	assert_int_equal(msg.cseq.num, 7);
	assert_int_equal(msg.cseq.method, SIP_METHOD_INVITE);
	assert_str(msg.to.uri.host, "biloxi.example.com");
	assert_str(msg.hdrs[5].value, "first line\r\n second line");
	assert_str(msg.hdrs[5].line, "Subject: first line\r\n second line\r\n");
}

static void
valid_compact(void **state)
{
	static const char m[] =
	    RL "v: SIP/2.0/TCP h.example.com;branch=z9hG4bK2\r\n"
	       "f: <sip:a@example.com>;tag=9\r\n"
	       "t: <sip:b@example.com>\r\n"
	       "i: 1234@h\r\n"
	       "CSeq: 1 INVITE\r\n"
	       "m: <sip:a@192.0.2.1>\r\n"
	       "c: application/sdp\r\n"
	       "k: 100rel\r\n"
	       "e: gzip\r\n"
	       "s: hello\r\n"
	       "o: presence\r\n"
	       "r: <sip:c@example.com>\r\n"
	       "y: abc\r\n"
	       "l: 0\r\n"
	       "\r\n";
	static const enum sip_hdr_id ids[] = {
		SIP_HDR_VIA,
		SIP_HDR_FROM,
		SIP_HDR_TO,
		SIP_HDR_CALL_ID,
		SIP_HDR_CSEQ,
		SIP_HDR_CONTACT,
		SIP_HDR_CONTENT_TYPE,
		SIP_HDR_SUPPORTED,
		SIP_HDR_CONTENT_ENCODING,
		SIP_HDR_SUBJECT,
		SIP_HDR_EVENT,
		SIP_HDR_REFER_TO,
		SIP_HDR_IDENTITY,
		SIP_HDR_CONTENT_LENGTH,
	};
	unsigned i;

	assert_int_equal(parse(m), 0);
	assert_int_equal(msg.nhdrs, sizeof(ids) / sizeof(ids[0]));
	for (i = 0; i < msg.nhdrs; i++)
		assert_int_equal(msg.hdrs[i].id, ids[i]);
	assert_str(msg.call_id, "1234@h");
	assert_int_equal(msg.via[0].transport, SIP_TP_TCP);
	assert_true(msg.has_content_length);
}

static void
valid_case_insensitive_names(void **state)
{
	assert_int_equal(parse(RL "vIA: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
				  "FROM: <sip:a@example.com>;TAG=x\r\n"
				  "tO: <sip:b@example.com>\r\n"
				  "CALL-ID: abc\r\n"
				  "cseq: 2 INVITE\r\n"
				  "mAX-fORWARDS: 0068\r\n"
				  "content-LENGTH   : 0\r\n"
				  "\r\n"),
	    0);
	assert_int_equal(msg.max_forwards, 68);
	assert_str(msg.from.tag, "x");
	assert_int_equal(msg.first[SIP_HDR_CONTENT_LENGTH], 6);
	assert_str(msg.hdrs[6].name, "content-LENGTH");
}

static void
valid_via_multi_value(void **state)
{
	assert_int_equal(
	    parse(RL "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, "
		     "SIP/2.0/TCP b.example.com:5070;branch=z9hG4bK2\r\n" MF TO
			 FROM CID CSEQ "\r\n"),
	    0);
	assert_int_equal(msg.nvia, 2);
	assert_str(msg.via[0].host, "a.example.com");
	assert_str(msg.via[1].host, "b.example.com");
	assert_int_equal(msg.via[1].port, 5070);
	assert_int_equal(msg.via[0].hdr_idx, 0);
	assert_int_equal(msg.via[1].hdr_idx, 0);
	assert_int_equal(msg.count[SIP_HDR_VIA], 1);
}

static void
valid_via_across_headers(void **state)
{
	assert_int_equal(
	    parse(RL "Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\n" MF
		     "v: SIP/2.0/UDP b;branch=z9hG4bK2 , SIP/2.0/UDP "
		     "c;branch=z9hG4bK3\r\n" TO FROM CID CSEQ "\r\n"),
	    0);
	assert_int_equal(msg.nvia, 3);
	assert_str(msg.via[0].host, "a");
	assert_str(msg.via[1].host, "b");
	assert_str(msg.via[2].host, "c");
	assert_int_equal(msg.via[0].hdr_idx, 0);
	assert_int_equal(msg.via[1].hdr_idx, 2);
	assert_int_equal(msg.via[2].hdr_idx, 2);
	assert_int_equal(msg.count[SIP_HDR_VIA], 2);
}

static void
valid_via_quoted_comma(void **state)
{
	assert_int_equal(
	    parse(RL "Via: SIP/2.0/UDP a;branch=z9hG4bK1;x=\"p, q\\\"r\", "
		     "SIP/2.0/UDP b\r\n" TO FROM CID CSEQ "\r\n"),
	    0);
	assert_int_equal(msg.nvia, 2);
	assert_str(msg.via[1].host, "b");
}

static void
valid_quoted_display(void **state)
{
	assert_int_equal(
	    parse(RL VIA TO "From: \"Watson, \\\"the\\\" <boss>\" "
			    "<sip:w@example.com>;tag=5\r\n" CID CSEQ
			    "Contact: \"A, B\" <sip:a@h>, <sip:c@h>;q=0.5\r\n"
			    "\r\n"),
	    0);
	assert_str(msg.from.display, "Watson, \\\"the\\\" <boss>");
	assert_str(msg.from.tag, "5");
	assert_str(msg.from.uri.user, "w");
}

static void
valid_via_ipv6(void **state)
{
	assert_int_equal(
	    parse(RL "Via: SIP/2.0/TLS "
		     "[2001:db8::9:1]:5061;branch=z9hG4bKas;received=2001:db8::"
		     "9:255;rport=5061\r\n" TO FROM CID CSEQ "\r\n"),
	    0);
	assert_str(msg.via[0].host, "[2001:db8::9:1]");
	assert_int_equal(msg.via[0].port, 5061);
	assert_int_equal(msg.via[0].transport, SIP_TP_TLS);
	assert_str(msg.via[0].received, "2001:db8::9:255");
	assert_true(msg.via[0].has_rport);
	assert_str(msg.via[0].rport, "5061");
}

static void
valid_via_lws_slashes(void **state)
{
	assert_int_equal(
	    parse(RL "Via: SIP  /   2.0\r\n /UDP    192.0.2.2 : 5060 ;  branch "
		     "= z9hG4bK9 ;rport\r\n" TO FROM CID CSEQ "\r\n"),
	    0);
	assert_str(msg.via[0].host, "192.0.2.2");
	assert_int_equal(msg.via[0].port, 5060);
	assert_str(msg.via[0].branch, "z9hG4bK9");
	assert_true(msg.via[0].has_rport);
	assert_int_equal(msg.via[0].rport.len, 0);
}

static void
valid_unknown_method(void **state)
{
	assert_int_equal(
	    parse("NEWMETHOD sip:b@example.com SIP/2.0\r\n" VIA TO FROM CID
		  "CSeq: 8 NEWMETHOD\r\n\r\n"),
	    0);
	assert_int_equal(msg.method, SIP_METHOD_UNKNOWN);
	assert_str(msg.method_s, "NEWMETHOD");
	assert_int_equal(msg.cseq.method, SIP_METHOD_UNKNOWN);
	assert_str(msg.cseq.method_s, "NEWMETHOD");
}

static void
valid_method_case_sensitive(void **state)
{
	assert_int_equal(
	    parse("invite sip:b@example.com SIP/2.0\r\n" HDRS "\r\n"), 0);
	assert_int_equal(msg.method, SIP_METHOD_UNKNOWN);
}

static void
valid_cseq_method_mismatch(void **state)
{
	/* The sanity guard, not the parser, rejects the mismatch. */
	assert_int_equal(
	    parse("ACK sip:b@example.com SIP/2.0\r\n" VIA TO FROM CID
		  "CSeq: 1 INVITE\r\n\r\n"),
	    0);
	assert_int_equal(msg.method, SIP_METHOD_ACK);
	assert_int_equal(msg.cseq.method, SIP_METHOD_INVITE);
}

static void
valid_cseq_max(void **state)
{
	assert_int_equal(
	    parse(RL VIA TO FROM CID "CSeq: 2147483647 INVITE\r\n\r\n"), 0);
	assert_int_equal(msg.cseq.num, 2147483647U);
}

static void
valid_leading_crlf(void **state)
{
	assert_int_equal(parse("\r\n\r\n" RL HDRS "\r\n"), 0);
	assert_true(msg.is_request);
	assert_memory_equal(msg.raw.s, "INVITE", 6);
}

static void
valid_no_content_length(void **state)
{
	assert_int_equal(parse(RL HDRS "\r\nbody bytes"), 0);
	assert_false(msg.has_content_length);
	assert_str(msg.body, "body bytes");
}

static void
valid_short_content_length(void **state)
{
	assert_int_equal(
	    parse(RL HDRS "Content-Length: 4\r\n\r\nbody bytes"), 0);
	assert_str(msg.body, "body");
	assert_memory_equal(msg.raw.s + msg.raw.len - 4, "body", 4);
}

static void
valid_dup_content_length_equal(void **state)
{
	assert_int_equal(
	    parse(RL HDRS "Content-Length: 2\r\nl: 2\r\n\r\nab"), 0);
	assert_int_equal(msg.content_length, 2);
	assert_int_equal(msg.count[SIP_HDR_CONTENT_LENGTH], 2);
}

static void
valid_body_with_nul(void **state)
{
	static const char m[] = RL HDRS "Content-Length: 3\r\n\r\na\0b";

	assert_int_equal(sip_parse(NULL, &msg, m, sizeof(m) - 1), 0);
	assert_int_equal(msg.body.len, 3);
}

static void
valid_tel_ruri(void **state)
{
	assert_int_equal(
	    parse("INVITE tel:+1-212-555-1212;phone-context=x SIP/2.0\r\n" HDRS
		  "\r\n"),
	    0);
	assert_int_equal(msg.ruri.scheme, SIP_SCHEME_TEL);
	assert_str(msg.ruri.user, "+1-212-555-1212");
}

static void
valid_sips_ipv6_ruri(void **state)
{
	assert_int_equal(parse("OPTIONS sips:[2001:db8::10]:5061;transport=tls "
			       "SIP/2.0\r\n" HDRS "\r\n"),
	    0);
	assert_int_equal(msg.method, SIP_METHOD_OPTIONS);
	assert_int_equal(msg.ruri.scheme, SIP_SCHEME_SIPS);
	assert_str(msg.ruri.host, "[2001:db8::10]");
	assert_int_equal(msg.ruri.port, 5061);
	assert_int_equal(msg.ruri.transport, SIP_TP_TLS);
}

static void
valid_max_forwards_bounds(void **state)
{
	assert_int_equal(
	    parse(RL VIA TO FROM CID CSEQ "Max-Forwards: 0\r\n\r\n"), 0);
	assert_int_equal(msg.max_forwards, 0);
	assert_int_equal(
	    parse(RL VIA TO FROM CID CSEQ "Max-Forwards: 255\r\n\r\n"), 0);
	assert_int_equal(msg.max_forwards, 255);
}

static void
valid_empty_header_value(void **state)
{
	assert_int_equal(parse(RL HDRS "Subject:\r\nX-Empty:   \r\n\r\n"), 0);
	assert_int_equal(msg.hdrs[6].value.len, 0);
	assert_int_equal(msg.hdrs[7].value.len, 0);
}

static void
valid_version_case(void **state)
{
	assert_int_equal(
	    parse("INVITE sip:b@example.com sip/2.0\r\n" HDRS "\r\n"), 0);
}

static void
valid_hdr_lookup(void **state)
{
	const struct sip_hdr *h;

	assert_int_equal(parse(RL HDRS "Route: <sip:p1;lr>\r\nX-A: 1\r\nRoute: "
				       "<sip:p2;lr>\r\nx-a: 2\r\n\r\n"),
	    0);
	h = sip_msg_hdr(&msg, SIP_HDR_ROUTE);
	assert_non_null(h);
	assert_str(h->value, "<sip:p1;lr>");
	h = sip_msg_hdr_next(&msg, h);
	assert_non_null(h);
	assert_str(h->value, "<sip:p2;lr>");
	assert_null(sip_msg_hdr_next(&msg, h));
	h = sip_msg_hdr_by_name(&msg, STR("x-A"));
	assert_non_null(h);
	assert_str(h->value, "1");
	h = sip_msg_hdr_next(&msg, h);
	assert_non_null(h);
	assert_str(h->value, "2");
	assert_null(sip_msg_hdr_by_name(&msg, STR("X-B")));
	h = sip_msg_hdr_by_name(&msg, STR("v"));
	assert_non_null(h);
	assert_int_equal(h->id, SIP_HDR_VIA);
	assert_null(sip_msg_hdr(&msg, SIP_HDR_CONTACT));
	assert_int_equal(msg.count[SIP_HDR_ROUTE], 2);
}

static void
valid_method_names(void **state)
{
	int m;

	for (m = SIP_METHOD_INVITE; m < SIP_METHOD__COUNT; m++)
		assert_int_equal(
		    sip_method_from_str(sip_method_name((enum sip_method)m)),
		    m);
	assert_int_equal(
	    sip_method_from_str(STR("invite")), SIP_METHOD_UNKNOWN);
	assert_int_equal(sip_method_from_str(STR("")), SIP_METHOD_UNKNOWN);
	assert_str(sip_method_name(SIP_METHOD__COUNT), "UNKNOWN");
	assert_str(sip_method_name(SIP_METHOD_UNKNOWN), "UNKNOWN");
}

static void
valid_hdr_names(void **state)
{
	assert_int_equal(sip_hdr_id_from_name(STR("WWW-Authenticate")),
	    SIP_HDR_WWW_AUTHENTICATE);
	assert_int_equal(sip_hdr_id_from_name(STR("p-asserted-IDENTITY")),
	    SIP_HDR_P_ASSERTED_IDENTITY);
	assert_int_equal(
	    sip_hdr_id_from_name(STR("Record-Route")), SIP_HDR_RECORD_ROUTE);
	assert_int_equal(
	    sip_hdr_id_from_name(STR("l")), SIP_HDR_CONTENT_LENGTH);
	assert_int_equal(
	    sip_hdr_id_from_name(STR("L")), SIP_HDR_CONTENT_LENGTH);
	assert_int_equal(sip_hdr_id_from_name(STR("x")), SIP_HDR_OTHER);
	assert_int_equal(sip_hdr_id_from_name(STR("Vias")), SIP_HDR_OTHER);
	assert_int_equal(sip_hdr_id_from_name(STR("")), SIP_HDR_OTHER);
	assert_int_equal(
	    sip_hdr_id_from_name(STR("Content-Lengt")), SIP_HDR_OTHER);
}

/* ---- invalid messages, table driven ---- */

struct bad_case {
	const char *name;
	const char *msg;
	size_t len; /* 0: strlen(msg) */
	int err;
};

#define BAD(n, m)                \
	{                        \
		n, m, 0, EBADMSG \
	}
#define BADN(n, m)                           \
	{                                    \
		n, m, sizeof(m) - 1, EBADMSG \
	}

static struct bad_case bad_cases[] = {
	BAD("bad_empty", ""),
	BAD("bad_only_crlf", "\r\n\r\n"),
	BAD("bad_trunc_start_line",
	    "INVITE sip:bob@biloxi.example.com SIP/2.0"),
	BAD("bad_trunc_headers", RL HDRS),
	BAD("bad_trunc_mid_header", RL VIA "To: <sip:b@example.com"),
	BAD("bad_trunc_after_cr", RL HDRS "\r"),
	BAD("bad_no_version", "INVITE sip:bob@example.com\r\n" HDRS "\r\n"),
	BAD("bad_double_space",
	    "INVITE  sip:bob@example.com SIP/2.0\r\n" HDRS "\r\n"),
	BAD("bad_trailing_space",
	    "INVITE sip:bob@example.com SIP/2.0 \r\n" HDRS "\r\n"),
	BAD("bad_no_uri", "INVITE SIP/2.0\r\n" HDRS "\r\n"),
	BAD("bad_method_char",
	    "INV@ITE sip:bob@example.com SIP/2.0\r\n" HDRS "\r\n"),
	BAD("bad_method_empty", " sip:bob@example.com SIP/2.0\r\n" HDRS "\r\n"),
	BAD("bad_uri_empty_host", "INVITE sip:bob@ SIP/2.0\r\n" HDRS "\r\n"),
	BAD("bad_uri_no_scheme",
	    "INVITE bob@example.com SIP/2.0\r\n" HDRS "\r\n"),
	BAD("bad_uri_port",
	    "INVITE sip:bob@example.com:99999 SIP/2.0\r\n" HDRS "\r\n"),
	BAD("bad_uri_brackets",
	    "INVITE <sip:bob@example.com> SIP/2.0\r\n" HDRS "\r\n"),
	BAD("bad_version_req",
	    "INVITE sip:bob@example.com SIP/7.0\r\n" HDRS "\r\n"),
	BAD("bad_version_req2",
	    "INVITE sip:bob@example.com SIP/2.00\r\n" HDRS "\r\n"),
	BAD("bad_version_http",
	    "GET sip:bob@example.com HTTP/1.1\r\n" HDRS "\r\n"),
	BAD("bad_version_rsp", "SIP/2.1 200 OK\r\n" HDRS "\r\n"),
	BAD("bad_version_rsp_http", "HTTP/1.1 200 OK\r\n" HDRS "\r\n"),
	BAD("bad_status_99", "SIP/2.0 099 Low\r\n" HDRS "\r\n"),
	BAD("bad_status_700", "SIP/2.0 700 High\r\n" HDRS "\r\n"),
	BAD("bad_status_4digits", "SIP/2.0 2000 OK\r\n" HDRS "\r\n"),
	BAD("bad_status_2digits", "SIP/2.0 20 OK\r\n" HDRS "\r\n"),
	BAD("bad_status_alpha", "SIP/2.0 20a OK\r\n" HDRS "\r\n"),
	BAD("bad_status_space", "SIP/2.0  200 OK\r\n" HDRS "\r\n"),
	BAD("bad_missing_via", RL MF TO FROM CID CSEQ "\r\n"),
	BAD("bad_missing_from", RL VIA MF TO CID CSEQ "\r\n"),
	BAD("bad_missing_to", RL VIA MF FROM CID CSEQ "\r\n"),
	BAD("bad_missing_callid", RL VIA MF TO FROM CSEQ "\r\n"),
	BAD("bad_missing_cseq", RL VIA MF TO FROM CID "\r\n"),
	BAD("bad_rsp_missing_via", RSP TO FROM CID CSEQ "\r\n"),
	BAD("bad_rsp_missing_cseq", RSP VIA TO FROM CID "\r\n"),
	BAD("bad_cseq_no_num", RL VIA TO FROM CID "CSeq: INVITE\r\n\r\n"),
	BAD("bad_cseq_no_method", RL VIA TO FROM CID "CSeq: 1\r\n\r\n"),
	BAD("bad_cseq_negative", RL VIA TO FROM CID "CSeq: -1 INVITE\r\n\r\n"),
	BAD("bad_cseq_2pow31",
	    RL VIA TO FROM CID "CSeq: 2147483648 INVITE\r\n\r\n"),
	BAD("bad_cseq_overflow",
	    RL VIA TO FROM CID "CSeq: 99999999999999999999 INVITE\r\n\r\n"),
	BAD("bad_cseq_method_char",
	    RL VIA TO FROM CID "CSeq: 1 INV@ITE\r\n\r\n"),
	BAD("bad_cseq_no_space", RL VIA TO FROM CID "CSeq: 1INVITE\r\n\r\n"),
	BAD("bad_cseq_extra", RL VIA TO FROM CID "CSeq: 1 INVITE x\r\n\r\n"),
	BAD("bad_cseq_dup", RL HDRS "CSeq: 2 INVITE\r\n\r\n"),
	BAD("bad_from_dup", RL HDRS FROM "\r\n"),
	BAD("bad_to_dup", RL HDRS "t: <sip:x@y>\r\n\r\n"),
	BAD("bad_callid_dup", RL HDRS "i: other\r\n\r\n"),
	BAD("bad_callid_space", RL VIA TO FROM "Call-ID: a b\r\n" CSEQ "\r\n"),
	BAD("bad_callid_empty", RL VIA TO FROM "Call-ID:\r\n" CSEQ "\r\n"),
	BAD("bad_mf_256", RL HDRS "Max-Forwards: 256\r\n\r\n"),
	BAD("bad_mf_neg", RL VIA TO FROM CID CSEQ "Max-Forwards: -1\r\n\r\n"),
	BAD("bad_mf_alpha",
	    RL VIA TO FROM CID CSEQ "Max-Forwards: ten\r\n\r\n"),
	BAD("bad_mf_empty", RL VIA TO FROM CID CSEQ "Max-Forwards:\r\n\r\n"),
	BAD("bad_mf_dup", RL HDRS MF "\r\n"),
	BAD("bad_cl_huge",
	    RL HDRS "Content-Length: 99999999999999999999\r\n\r\n"),
	BAD("bad_cl_over_u32", RL HDRS "Content-Length: 4294967296\r\n\r\n"),
	BAD("bad_cl_too_long", RL HDRS "Content-Length: 10\r\n\r\nabcd"),
	BAD("bad_cl_alpha", RL HDRS "Content-Length: 1a\r\n\r\n1a"),
	BAD("bad_cl_neg", RL HDRS "Content-Length: -1\r\n\r\n"),
	BAD("bad_cl_empty", RL HDRS "Content-Length:\r\n\r\n"),
	BAD("bad_cl_dup_differ",
	    RL HDRS "Content-Length: 2\r\nl: 3\r\n\r\nabc"),
	BADN("bad_nul_header", RL HDRS "X-Nul: a\0b\r\n\r\n"),
	BADN("bad_nul_name", RL HDRS "X-N\0ul: ab\r\n\r\n"),
	BADN("bad_nul_start",
	    "INVITE sip:bob@exa\0mple.com SIP/2.0\r\n" HDRS "\r\n"),
	BADN("bad_nul_reason", "SIP/2.0 200 O\0K\r\n" HDRS "\r\n"),
	BAD("bad_lf_everywhere",
	    "INVITE sip:bob@example.com SIP/2.0\n"
	    "Via: SIP/2.0/UDP h;branch=z9hG4bK1\nTo: <sip:b@x>\n"
	    "From: <sip:a@x>;tag=1\nCall-ID: c\nCSeq: 1 INVITE\n\n"),
	BAD("bad_lf_start_line",
	    "INVITE sip:bob@example.com SIP/2.0\n" HDRS "\r\n"),
	BAD("bad_lf_one_header", RL VIA "To: <sip:b@x>\n" FROM CID CSEQ "\r\n"),
	BAD("bad_lf_end", RL HDRS "\n"),
	BAD("bad_lf_fold", RL HDRS "Subject: a\n b\r\n\r\n"),
	BAD("bad_cr_bare", RL HDRS "Subject: a\rb\r\n\r\n"),
	BAD("bad_no_colon", RL HDRS "NoColon\r\n\r\n"),
	BAD("bad_name_space", RL HDRS "Bad Name: x\r\n\r\n"),
	BAD("bad_name_empty", RL HDRS ": x\r\n\r\n"),
	BAD("bad_name_char", RL HDRS "X(y): x\r\n\r\n"),
	BAD("bad_first_hdr_folded", RL " Via: SIP/2.0/UDP h\r\n" HDRS "\r\n"),
	BAD("bad_via_no_host",
	    RL "Via: SIP/2.0/UDP\r\n" MF TO FROM CID CSEQ "\r\n"),
	BAD("bad_via_no_slash",
	    RL "Via: SIP/2.0 UDP h\r\n" MF TO FROM CID CSEQ "\r\n"),
	BAD("bad_via_proto",
	    RL "Via: FOO/2.0/UDP h\r\n" MF TO FROM CID CSEQ "\r\n"),
	BAD("bad_via_version",
	    RL "Via: SIP/3.0/UDP h\r\n" MF TO FROM CID CSEQ "\r\n"),
	BAD("bad_via_port0",
	    RL "Via: SIP/2.0/UDP h:0\r\n" MF TO FROM CID CSEQ "\r\n"),
	BAD("bad_via_port_big",
	    RL "Via: SIP/2.0/UDP h:65536\r\n" MF TO FROM CID CSEQ "\r\n"),
	BAD("bad_via_branch_flag",
	    RL "Via: SIP/2.0/UDP h;branch\r\n" MF TO FROM CID CSEQ "\r\n"),
	BAD("bad_via_ttl",
	    RL "Via: SIP/2.0/UDP h;ttl=256\r\n" MF TO FROM CID CSEQ "\r\n"),
	BAD("bad_via_rport",
	    RL "Via: SIP/2.0/UDP h;rport=x\r\n" MF TO FROM CID CSEQ "\r\n"),
	BAD("bad_via_empty", RL "Via:\r\n" VIA MF TO FROM CID CSEQ "\r\n"),
	BAD("bad_via_commas", RL "Via: ,,\r\n" VIA MF TO FROM CID CSEQ "\r\n"),
	BAD("bad_via_quote",
	    RL "Via: SIP/2.0/UDP h;x=\"a, SIP/2.0/UDP b\r\n" MF TO FROM CID CSEQ
	       "\r\n"),
	BAD("bad_via_junk",
	    RL "Via: SIP/2.0/UDP h junk\r\n" MF TO FROM CID CSEQ "\r\n"),
	BAD("bad_via_ipv6",
	    RL "Via: SIP/2.0/UDP [2001:db8::1\r\n" MF TO FROM CID CSEQ "\r\n"),
	BAD("bad_from_no_gt",
	    RL VIA TO "From: <sip:a@example.com;tag=1\r\n" CID CSEQ "\r\n"),
	BAD("bad_from_star", RL VIA TO "From: *\r\n" CID CSEQ "\r\n"),
	BAD("bad_from_no_uri", RL VIA TO "From: Alice\r\n" CID CSEQ "\r\n"),
	BAD("bad_from_quote",
	    RL VIA TO "From: \"Alice <sip:a@x>\r\n" CID CSEQ "\r\n"),
	BAD("bad_to_junk",
	    RL VIA FROM "To: <sip:b@x> junk\r\n" CID CSEQ "\r\n"),
};

static void
bad_case(void **state)
{
	const struct bad_case *c = *state;
	size_t len = c->len ? c->len : strlen(c->msg);

	assert_int_equal(sip_parse(NULL, &msg, c->msg, len), c->err);
}

/* ---- limits: accepted at the limit, EMSGSIZE at limit + 1 ---- */

/* 7 header fields, 3 Via values, longest field 60 bytes. */
#define LIM_MSG                                               \
	RL "Via: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP " \
	   "b;branch=z9hG4bK2\r\n"                            \
	   "v: SIP/2.0/UDP c;branch=z9hG4bK3\r\n"             \
	   "To: <sip:b@example.com>\r\n"                      \
	   "From: <sip:a@example.com>;tag=1\r\n"              \
	   "Call-ID: x\r\n"                                   \
	   "CSeq: 1 INVITE\r\n"                               \
	   "Content-Length: 0\r\n"                            \
	   "\r\n"
#define LIM_LONGEST                                                \
	(sizeof("Via: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP " \
		"b;branch=z9hG4bK2") -                             \
	    1)

static void
lim_set(struct sip_limits *lim)
{
	sip_limits_default(lim);
}

static void
limit_msg_size(void **state)
{
	struct sip_limits lim;

	lim_set(&lim);
	lim.max_msg_size = strlen(LIM_MSG);
	assert_int_equal(parse_lim(&lim, LIM_MSG), 0);
	lim.max_msg_size--;
	assert_int_equal(parse_lim(&lim, LIM_MSG), EMSGSIZE);
}

static void
limit_headers(void **state)
{
	struct sip_limits lim;

	lim_set(&lim);
	lim.max_headers = 7;
	assert_int_equal(parse_lim(&lim, LIM_MSG), 0);
	assert_int_equal(msg.nhdrs, 7);
	lim.max_headers = 6;
	assert_int_equal(parse_lim(&lim, LIM_MSG), EMSGSIZE);
}

static void
limit_via(void **state)
{
	struct sip_limits lim;

	lim_set(&lim);
	lim.max_via = 3;
	assert_int_equal(parse_lim(&lim, LIM_MSG), 0);
	assert_int_equal(msg.nvia, 3);
	lim.max_via = 2;
	assert_int_equal(parse_lim(&lim, LIM_MSG), EMSGSIZE);
}

static void
limit_line_len(void **state)
{
	struct sip_limits lim;

	lim_set(&lim);
	lim.max_line_len = LIM_LONGEST;
	assert_int_equal(parse_lim(&lim, LIM_MSG), 0);
	lim.max_line_len = LIM_LONGEST - 1;
	assert_int_equal(parse_lim(&lim, LIM_MSG), EMSGSIZE);
}

/* Header fields all shorter than RL (41 bytes without CRLF). */
#define SHORT_HDRS                                                 \
	"Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"                   \
	"To: <sip:b@x>\r\nFrom: <sip:a@x>;tag=1\r\nCall-ID: c\r\n" \
	"CSeq: 1 INVITE\r\n"

static void
limit_line_len_folded(void **state)
{
	/* A folded field counts as one line, continuation included. */
	static const char m[] =
	    RL SHORT_HDRS "Subject: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n "
			  "bbbbbbbbbbbbbbbbbbbb\r\n\r\n";
	struct sip_limits lim;

	lim_set(&lim);
	lim.max_line_len = sizeof("Subject: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n "
				  "bbbbbbbbbbbbbbbbbbbb") -
	    1;
	assert_int_equal(parse_lim(&lim, m), 0);
	lim.max_line_len--;
	assert_int_equal(parse_lim(&lim, m), EMSGSIZE);
}

static void
limit_start_line(void **state)
{
	struct sip_limits lim;

	lim_set(&lim);
	lim.max_line_len = sizeof(RL) - 3;
	assert_int_equal(parse_lim(&lim, RL SHORT_HDRS "\r\n"), 0);
	lim.max_line_len--;
	assert_int_equal(parse_lim(&lim, RL SHORT_HDRS "\r\n"), EMSGSIZE);
}

static void
limit_hard_caps(void **state)
{
	/* Configured limits above the hard ceilings are clamped. */
	char buf[8192];
	struct sip_limits lim;
	size_t n = 0;
	int i;

	lim_set(&lim);
	lim.max_via = 1000;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", RL);
	for (i = 0; i < SIP_HARD_MAX_VIA + 1; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "Via: SIP/2.0/UDP h%d;branch=z9hG4bK%d\r\n", i, i);
	n += (size_t)snprintf(
	    buf + n, sizeof(buf) - n, "%s", TO FROM CID CSEQ "\r\n");
	assert_int_equal(sip_parse(&lim, &msg, buf, n), EMSGSIZE);
}

/* ---- sip_frame ---- */

#define F1 RL HDRS "Content-Length: 5\r\n\r\nhello"
#define F2 RSP VIA TO FROM CID CSEQ "l: 0\r\n\r\n"

static int
frame(const char *s, size_t len, size_t *ml)
{
	return sip_frame(NULL, s, len, ml);
}

static void
frame_complete(void **state)
{
	size_t ml = 0;

	assert_int_equal(frame(F1, strlen(F1), &ml), 0);
	assert_int_equal(ml, strlen(F1));
}

static void
frame_back_to_back(void **state)
{
	static const char s[] = F1 F2;
	size_t ml = 0;

	assert_int_equal(frame(s, sizeof(s) - 1, &ml), 0);
	assert_int_equal(ml, strlen(F1));
	assert_int_equal(frame(s + ml, sizeof(s) - 1 - ml, &ml), 0);
	assert_int_equal(ml, strlen(F2));
	assert_int_equal(sip_parse(NULL, &msg, s + strlen(F1), ml), 0);
	assert_int_equal(msg.status, 200);
}

static void
frame_split_headers(void **state)
{
	size_t i, ml, hdr_end = strlen(F1) - 5;

	for (i = 0; i < hdr_end; i++)
		assert_int_equal(frame(F1, i, &ml), EAGAIN);
}

static void
frame_body_pending(void **state)
{
	size_t i, ml, len = strlen(F1);

	for (i = len - 5; i < len; i++)
		assert_int_equal(frame(F1, i, &ml), EAGAIN);
	assert_int_equal(frame(F1, len, &ml), 0);
}

static void
frame_missing_cl(void **state)
{
	size_t ml;

	assert_int_equal(
	    frame(RL HDRS "\r\n", strlen(RL HDRS "\r\n"), &ml), EBADMSG);
}

static void
frame_bad_cl(void **state)
{
	static const char a[] = RL HDRS "Content-Length: 1x\r\n\r\n";
	static const char b[] = RL HDRS "l: 1\r\nContent-Length: 2\r\n\r\nab";
	static const char c[] = RL HDRS "l: 2\r\nContent-Length: 2\r\n\r\nab";
	size_t ml;

	assert_int_equal(frame(a, sizeof(a) - 1, &ml), EBADMSG);
	assert_int_equal(frame(b, sizeof(b) - 1, &ml), EBADMSG);
	assert_int_equal(frame(c, sizeof(c) - 1, &ml), 0);
	assert_int_equal(ml, sizeof(c) - 1);
}

static void
frame_oversize(void **state)
{
	static const char huge[] = RL HDRS "Content-Length: 70000\r\n\r\n";
	struct sip_limits lim;
	char buf[512];
	size_t ml;

	/* Content-Length alone is enough to know it will not fit. */
	assert_int_equal(frame(huge, sizeof(huge) - 1, &ml), EMSGSIZE);
	/* Headers that never end within max_msg_size. */
	sip_limits_default(&lim);
	lim.max_msg_size = 200;
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, RL, sizeof(RL) - 1);
	for (ml = sizeof(RL) - 1; ml + 10 < sizeof(buf); ml += 10)
		memcpy(buf + ml, "X: aaaaa\r\n", 10);
	assert_int_equal(sip_frame(&lim, buf, 150, &ml), EAGAIN);
	assert_int_equal(sip_frame(&lim, buf, 200, &ml), EAGAIN);
	assert_int_equal(sip_frame(&lim, buf, 201, &ml), EMSGSIZE);
	assert_int_equal(sip_frame(&lim, buf, sizeof(buf), &ml), EMSGSIZE);
}

static void
frame_line_too_long(void **state)
{
	struct sip_limits lim;
	char buf[300];
	size_t ml;

	sip_limits_default(&lim);
	lim.max_line_len = 100;
	memcpy(buf, RL, sizeof(RL) - 1);
	memset(buf + sizeof(RL) - 1, 'a', sizeof(buf) - sizeof(RL) + 1);
	/* 101 bytes + CR without LF: still possibly ok. */
	assert_int_equal(
	    sip_frame(&lim, buf, sizeof(RL) - 1 + 101, &ml), EAGAIN);
	/* 102 bytes without LF: the line is over the limit for sure. */
	assert_int_equal(
	    sip_frame(&lim, buf, sizeof(RL) - 1 + 102, &ml), EMSGSIZE);
}

static void
frame_bare_lf(void **state)
{
	static const char s[] = "INVITE sip:b@x SIP/2.0\nVia: x\n";
	size_t ml;

	assert_int_equal(frame(s, sizeof(s) - 1, &ml), EBADMSG);
}

static void
frame_nul(void **state)
{
	static const char s[] = RL HDRS "X: a\0b\r\nl: 0\r\n\r\n";
	size_t ml;

	assert_int_equal(frame(s, sizeof(s) - 1, &ml), EBADMSG);
}

static void
frame_too_many_headers(void **state)
{
	struct sip_limits lim;
	size_t ml;

	sip_limits_default(&lim);
	lim.max_headers = 7;
	assert_int_equal(sip_frame(&lim, LIM_MSG, strlen(LIM_MSG), &ml), 0);
	lim.max_headers = 6;
	assert_int_equal(
	    sip_frame(&lim, LIM_MSG, strlen(LIM_MSG), &ml), EMSGSIZE);
}

static void
frame_leading_crlf(void **state)
{
	static const char s[] = "\r\n" F1;
	size_t ml;

	/* Keep-alive CRLFs are the caller's to consume. */
	assert_int_equal(frame(s, sizeof(s) - 1, &ml), EBADMSG);
}

static void
frame_folded_cl(void **state)
{
	static const char s[] = RL HDRS "Content-Length:\r\n 3\r\n\r\nabc";
	size_t ml;

	assert_int_equal(frame(s, sizeof(s) - 1, &ml), 0);
	assert_int_equal(ml, sizeof(s) - 1);
	/* Before the byte after the CL line arrives, folding is open. */
	assert_int_equal(
	    frame(s, strlen(RL HDRS "Content-Length:\r\n 3\r\n"), &ml), EAGAIN);
}

#define T(f) cmocka_unit_test(f)

static const struct CMUnitTest fixed_tests[] = {
	T(valid_invite),
	T(valid_response),
	T(valid_response_reason_spaces),
	T(valid_response_no_reason),
	T(valid_folding),
	T(valid_compact),
	T(valid_case_insensitive_names),
	T(valid_via_multi_value),
	T(valid_via_across_headers),
	T(valid_via_quoted_comma),
	T(valid_quoted_display),
	T(valid_via_ipv6),
	T(valid_via_lws_slashes),
	T(valid_unknown_method),
	T(valid_method_case_sensitive),
	T(valid_cseq_method_mismatch),
	T(valid_cseq_max),
	T(valid_leading_crlf),
	T(valid_no_content_length),
	T(valid_short_content_length),
	T(valid_dup_content_length_equal),
	T(valid_body_with_nul),
	T(valid_tel_ruri),
	T(valid_sips_ipv6_ruri),
	T(valid_max_forwards_bounds),
	T(valid_empty_header_value),
	T(valid_version_case),
	T(valid_hdr_lookup),
	T(valid_method_names),
	T(valid_hdr_names),
	T(limit_msg_size),
	T(limit_headers),
	T(limit_via),
	T(limit_line_len),
	T(limit_line_len_folded),
	T(limit_start_line),
	T(limit_hard_caps),
	T(frame_complete),
	T(frame_back_to_back),
	T(frame_split_headers),
	T(frame_body_pending),
	T(frame_missing_cl),
	T(frame_bad_cl),
	T(frame_oversize),
	T(frame_line_too_long),
	T(frame_bare_lf),
	T(frame_nul),
	T(frame_too_many_headers),
	T(frame_leading_crlf),
	T(frame_folded_cl),
};

#define NFIXED (sizeof(fixed_tests) / sizeof(fixed_tests[0]))
#define NBAD (sizeof(bad_cases) / sizeof(bad_cases[0]))

int
main(void)
{
	static struct CMUnitTest tests[NFIXED + NBAD];
	size_t i;

	for (i = 0; i < NFIXED; i++)
		tests[i] = fixed_tests[i];
	for (i = 0; i < NBAD; i++)
		tests[NFIXED + i] = (struct CMUnitTest){
			.name = bad_cases[i].name,
			.test_func = bad_case,
			.initial_state = &bad_cases[i],
		};
	return cmocka_run_group_tests_name("sip_parse", tests, NULL, NULL);
}

/*
 * tests/unit/test_media_sdp.c -- the SDP parser (media/sdp.c): the
 * lines it reads, the protocols and keying it recognises, every limit,
 * and the malformed descriptions it refuses with a reason.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "media/sdp.h"

static struct sdp sdp;

#define HEAD                           \
	"v=0\r\n"                      \
	"o=- 1 1 IN IP4 192.0.2.1\r\n" \
	"s=-\r\n"                      \
	"c=IN IP4 192.0.2.1\r\n"       \
	"t=0 0\r\n"

#define KEY "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVzcyBpbnZhbGlk"
#define FP                                                             \
	"sha-256 "                                                     \
	"4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:" \
	"4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF"

static int
parse(const char *s)
{
	return sdp_parse(&sdp, str_make(s, strlen(s)), NULL);
}

static void
assert_view(struct str v, const char *want)
{
	assert_int_equal(v.len, strlen(want));
	if (v.len)
		assert_memory_equal(v.s, want, v.len);
}

static void
plain_rtp(void **state)
{
	assert_int_equal(parse(HEAD "m=audio 4000 RTP/AVP 0 8 101\r\n"
				    "a=rtpmap:0 PCMU/8000\r\n"
				    "a=sendrecv\r\n"),
	    0);
	assert_int_equal(sdp.nmedia, 1);
	assert_view(sdp.media[0].media, "audio");
	assert_int_equal(sdp.media[0].port, 4000);
	assert_int_equal(sdp.media[0].proto, SDP_PROTO_RTP_AVP);
	assert_view(sdp.media[0].fmts, "0 8 101");
	assert_int_equal(sdp.media[0].nattrs, 2);
	assert_view(sdp.attrs[sdp.media[0].attr_first].name, "rtpmap");
	assert_view(sdp.attrs[sdp.media[0].attr_first].value, "0 PCMU/8000");
	assert_view(sdp.conn, "IN IP4 192.0.2.1");
	assert_false(sdp_has_sdes(&sdp));
	assert_false(sdp_media_is_encrypted(&sdp, &sdp.media[0]));
	assert_string_equal(
	    sdp_unencrypted_why(&sdp, NULL), "plain RTP (RTP/AVP)");
}

static void
sdes_srtp(void **state)
{
	unsigned idx = 99;

	assert_int_equal(
	    parse(HEAD "m=audio 4000 RTP/SAVP 0\r\n"
		       "a=crypto:1 AES_CM_128_HMAC_SHA1_80 " KEY "\r\n"
		       "a=crypto:2 AES_CM_128_HMAC_SHA1_32 " KEY "|2^20|1:4 "
		       "UNENCRYPTED_SRTCP\r\n"
		       "m=video 0 RTP/AVP 96\r\n"),
	    0);
	assert_int_equal(sdp.nmedia, 2);
	assert_int_equal(sdp.media[0].proto, SDP_PROTO_RTP_SAVP);
	assert_int_equal(sdp.media[0].ncrypto, 2);
	assert_true(sdp_has_sdes(&sdp));
	assert_true(sdp_media_is_encrypted(&sdp, &sdp.media[0]));
	/* Port 0: disabled, so its plain profile does not matter. */
	assert_int_equal(sdp.media[1].port, 0);
	assert_null(sdp_unencrypted_why(&sdp, &idx));
	assert_int_equal(idx, 99);
}

static void
dtls_srtp(void **state)
{
	assert_int_equal(parse(HEAD "a=fingerprint:" FP "\r\n"
				    "m=audio 4000 UDP/TLS/RTP/SAVPF 111\r\n"
				    "a=setup:actpass\r\n"),
	    0);
	assert_int_equal(sdp.media[0].proto, SDP_PROTO_DTLS_SAVPF);
	assert_true(sdp.session_fingerprint);
	assert_view(sdp.media[0].setup, "actpass");
	assert_true(sdp_media_is_encrypted(&sdp, &sdp.media[0]));
	assert_false(sdp_has_sdes(&sdp));

	/* The same without any fingerprint: no keys at all. */
	assert_int_equal(parse(HEAD "m=audio 4000 UDP/TLS/RTP/SAVP 0\r\n"), 0);
	assert_string_equal(
	    sdp_unencrypted_why(&sdp, NULL), "DTLS-SRTP without a fingerprint");
}

static void
keyless_and_opportunistic(void **state)
{
	unsigned idx;

	assert_int_equal(parse(HEAD "m=audio 4000 RTP/SAVP 0\r\n"), 0);
	assert_string_equal(
	    sdp_unencrypted_why(&sdp, NULL), "SRTP profile without keys");
	/* RFC 8643 OSRTP: keys in a plain profile; the answerer may drop
	 * them, so it does not count as encrypted. */
	assert_int_equal(
	    parse(HEAD "m=audio 4000 RTP/SAVP 0\r\n"
		       "a=crypto:1 AES_CM_128_HMAC_SHA1_80 " KEY "\r\n"
		       "m=audio 4002 RTP/AVP 0\r\n"
		       "a=crypto:1 AES_CM_128_HMAC_SHA1_80 " KEY "\r\n"),
	    0);
	assert_string_equal(
	    sdp_unencrypted_why(&sdp, &idx), "opportunistic SRTP (RTP/AVP)");
	assert_int_equal(idx, 1);
	assert_int_equal(parse(HEAD "m=image 4000 udptl t38\r\n"), 0);
	assert_int_equal(sdp.media[0].proto, SDP_PROTO_UDPTL);
	assert_string_equal(
	    sdp_unencrypted_why(&sdp, NULL), "unencrypted fax (udptl)");
	assert_int_equal(parse(HEAD "m=message 4000 TCP/TLS/MSRP *\r\n"), 0);
	assert_int_equal(sdp.media[0].proto, SDP_PROTO_TLS_OTHER);
	assert_null(sdp_unencrypted_why(&sdp, NULL));
	/* Authentication without encryption does not count. */
	assert_int_equal(parse(HEAD "m=audio 4000 RTP/SAVP 0\r\n"
				    "a=crypto:1 NULL_HMAC_SHA1_80 " KEY "\r\n"
				    "a=crypto:2 AES_CM_128_HMAC_SHA1_80 " KEY
				    " UNENCRYPTED_SRTP\r\n"),
	    0);
	assert_int_equal(sdp.media[0].ncrypto, 2);
	assert_int_equal(sdp.media[0].ncipher, 0);
	assert_true(sdp_has_sdes(&sdp));
	assert_string_equal(sdp_unencrypted_why(&sdp, NULL),
	    "SRTP without a cipher (NULL or UNENCRYPTED_SRTP)");
	/* An unknown suite proves nothing; the parameter in any case. */
	assert_int_equal(parse(HEAD "m=audio 4000 RTP/SAVP 0\r\n"
				    "a=crypto:1 FOO_BAR " KEY "\r\n"
				    "a=crypto:2 aes_cm_128_hmac_sha1_32 " KEY
				    " unencrypted_srtp\r\n"),
	    0);
	assert_int_equal(sdp.media[0].ncipher, 0);
	assert_non_null(sdp_unencrypted_why(&sdp, NULL));
	/* MIKEY keying for SRTP. */
	assert_int_equal(parse(HEAD "m=audio 4000 RTP/SAVP 0\r\n"
				    "a=key-mgmt:mikey AQAFgM0XflABAAAA\r\n"),
	    0);
	assert_null(sdp_unencrypted_why(&sdp, NULL));
}

static void
line_ends(void **state)
{
	/* Bare LF is accepted, the last line may lack its end. */
	assert_int_equal(parse("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\n"
			       "c=IN IP6 2001:db8::1\nt=0 0\n"
			       "m=audio 4000/2 RTP/AVPF 0"),
	    0);
	assert_int_equal(sdp.media[0].nports, 2);
	assert_int_equal(sdp.media[0].proto, SDP_PROTO_RTP_AVPF);
	/* Bare CR and NUL are not. */
	assert_int_equal(parse(HEAD "m=audio 4000 RTP/AVP 0\r"), EBADMSG);
	assert_string_equal(sdp.err, "bare CR");
	assert_int_equal(
	    sdp_parse(&sdp,
		str_make(HEAD "a=x\0y\r\n", sizeof(HEAD "a=x\0y\r\n") - 1),
		NULL),
	    EBADMSG);
	assert_string_equal(sdp.err, "NUL byte");
}

struct bad {
	const char *sdp;
	const char *err;
};

static void
malformed(void **state)
{
	static const struct bad cases[] = {
		{ "", "empty description" },
		{ "v=1\r\n", "first line is not v=0" },
		{ "o=- 1 1 IN IP4 1.2.3.4\r\n", "first line is not v=0" },
		{ "v=0\r\ns=-\r\n", "o= must follow v=" },
		{ "v=0\r\no=- 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n",
		    "bad o= line" },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nt=0 0\r\n",
		    "s= must follow o=" },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n", "no t= line" },
		{ HEAD "x=1\r\n", "unknown line type" },
		{ HEAD "A=1\r\n", "unknown line type" },
		{ HEAD "\r\n", "empty line" },
		{ HEAD "m\r\n", "line is not type=value" },
		{ HEAD "v=0\r\n", "repeated v=" },
		{ HEAD "t=now 0\r\n", "bad t= line" },
		{ HEAD "c=IN IP4 1.2.3.4\r\n", "repeated session c=" },
		{ HEAD "c=XX IP4 1.2.3.4\r\n", "bad c= line" },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IPX a\r\n",
		    "bad c= line" },
		{ HEAD "m=audio 70000 RTP/AVP 0\r\n", "bad m= line" },
		{ HEAD "m=audio 4000 RTP/AVP\r\n", "bad m= line" },
		{ HEAD "m=audio 4000  RTP/AVP 0\r\n", "bad m= line" },
		{ HEAD "m=audio -1 RTP/AVP 0\r\n", "bad m= line" },
		{ HEAD "m=audio 4000/0 RTP/AVP 0\r\n", "bad m= line" },
		{ HEAD "m=audio 4000 RTP/AVP 0 \r\n", "bad m= line" },
		{ HEAD "m=audio 4000 RTP/AVP 0\r\nt=0 0\r\n",
		    "session line inside a media section" },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n"
		  "m=audio 4000 RTP/AVP 0\r\n",
		    "no t= before the first m=" },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
		  "m=audio 4000 RTP/AVP 0\r\n",
		    "active media without a c= line" },
		{ HEAD "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 X\r\n",
		    "bad a=crypto" },
		{ HEAD "m=audio 4000 RTP/SAVP 0\r\n"
		       "a=crypto:x AES_CM_128_HMAC_SHA1_80 " KEY "\r\n",
		    "bad a=crypto" },
		{ HEAD "m=audio 4000 RTP/SAVP 0\r\n"
		       "a=crypto:1234567890 AES_CM_128_HMAC_SHA1_80 " KEY
		       "\r\n",
		    "bad a=crypto" },
		{ HEAD "m=audio 4000 RTP/SAVP 0\r\n"
		       "a=crypto:1 AES_CM_128_HMAC_SHA1_80 uri:x\r\n",
		    "bad a=crypto" },
		{ HEAD "a=fingerprint:sha-256 4A:AD:B\r\n",
		    "bad a=fingerprint" },
		{ HEAD "a=fingerprint:sha-256\r\n", "bad a=fingerprint" },
		{ HEAD "a=setup:sideways\r\n", "bad a=setup" },
		{ HEAD "a=key-mgmt\r\n", "bad a=key-mgmt" },
		{ HEAD "a=:x\r\n", "bad attribute name" },
		{ HEAD "a=x\r\nr=7d 1h 0\r\n", "r= without t=" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse(cases[i].sdp);

		if (rc != EBADMSG || !sdp.err ||
		    strcmp(sdp.err, cases[i].err) != 0)
			fail_msg("case %zu: rc %d err \"%s\", want \"%s\"", i,
			    rc, sdp.err ? sdp.err : "(none)", cases[i].err);
	}
}

static void
limits(void **state)
{
	struct sdp_limits lim;
	char buf[8192];
	size_t n;
	unsigned i;

	sdp_limits_default(&lim);
	lim.max_media = 2;
	n = (size_t)snprintf(buf, sizeof(buf), HEAD);
	for (i = 0; i < 3; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "m=audio %u RTP/AVP 0\r\n", 4000 + 2 * i);
	assert_int_equal(sdp_parse(&sdp, str_make(buf, n), &lim), EMSGSIZE);
	assert_string_equal(sdp.err, "too many media sections");
	lim.max_media = 3;
	assert_int_equal(sdp_parse(&sdp, str_make(buf, n), &lim), 0);

	lim.max_attrs = 4;
	n = (size_t)snprintf(buf, sizeof(buf), HEAD "m=audio 1 RTP/AVP 0\r\n");
	for (i = 0; i < 5; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "a=x%u\r\n", i);
	assert_int_equal(sdp_parse(&sdp, str_make(buf, n), &lim), EMSGSIZE);
	assert_string_equal(sdp.err, "too many attributes");

	sdp_limits_default(&lim);
	lim.max_line_len = 40;
	assert_int_equal(sdp_parse(&sdp,
			     STR(HEAD "a=0123456789012345678901234567890123456"
				      "789\r\n"),
			     &lim),
	    EMSGSIZE);
	assert_string_equal(sdp.err, "line too long");
	assert_int_equal(sdp.err_line, 6);

	lim.max_line_len = 1024;
	lim.max_body = 20;
	assert_int_equal(sdp_parse(&sdp, STR(HEAD), &lim), EMSGSIZE);
	assert_string_equal(sdp.err, "description too long");
}

static void
hard_ceiling(void **state)
{
	/* Limits above the hard ceilings are clamped by the arrays. */
	struct sdp_limits lim;
	static char buf[65536];
	size_t n;
	unsigned i;

	sdp_limits_default(&lim);
	lim.max_media = 1000;
	lim.max_attrs = 100000;
	lim.max_body = sizeof(buf);
	n = (size_t)snprintf(buf, sizeof(buf), HEAD);
	for (i = 0; i < SDP_HARD_MAX_MEDIA + 1; i++)
		n += (size_t)snprintf(
		    buf + n, sizeof(buf) - n, "m=audio 0 RTP/AVP 0\r\n");
	assert_int_equal(sdp_parse(&sdp, str_make(buf, n), &lim), EMSGSIZE);
	n = (size_t)snprintf(buf, sizeof(buf), HEAD);
	for (i = 0; i < SDP_HARD_MAX_ATTRS + 1; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "a=x\r\n");
	assert_int_equal(sdp_parse(&sdp, str_make(buf, n), &lim), EMSGSIZE);
}

static void
session_crypto_counts(void **state)
{
	assert_int_equal(
	    parse(HEAD "a=crypto:1 AES_CM_128_HMAC_SHA1_80 " KEY "\r\n"
		       "m=audio 4000 RTP/AVP 0\r\n"),
	    0);
	assert_int_equal(sdp.session_ncrypto, 1);
	assert_true(sdp_has_sdes(&sdp));
	assert_string_equal(sdp_proto_name(SDP_PROTO_RTP_SAVP), "RTP/SAVP");
	assert_string_equal(sdp_proto_name(SDP_PROTO_OTHER), "other");
	assert_true(sdp_proto_is_rtp(SDP_PROTO_DTLS_SAVP));
	assert_false(sdp_proto_is_rtp(SDP_PROTO_UDPTL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_rtp),
		cmocka_unit_test(sdes_srtp),
		cmocka_unit_test(dtls_srtp),
		cmocka_unit_test(keyless_and_opportunistic),
		cmocka_unit_test(line_ends),
		cmocka_unit_test(malformed),
		cmocka_unit_test(limits),
		cmocka_unit_test(hard_ceiling),
		cmocka_unit_test(session_crypto_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

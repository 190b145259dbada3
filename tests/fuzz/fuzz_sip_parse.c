/*
 * tests/fuzz/fuzz_sip_parse.c -- libFuzzer harness for sip_parse() and
 * everything that consumes a parsed message: URI and address decoders,
 * value splitting, and the three builders, whose output is parsed again.
 *
 * Invariant checked: a request built from a valid request parses again
 * (or hits a size limit, since building adds bytes and header fields),
 * and keeps its method and Call-ID.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "sip/sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
addrs(const struct sip_msg *msg, enum sip_hdr_id id)
{
	const struct sip_hdr *h;
	struct sip_addr a;
	struct str rest, v, tag;

	h = sip_msg_hdr(msg, id);
	for (; h != NULL; h = sip_msg_hdr_next(msg, h)) {
		rest = h->value;
		while (sip_hdr_next_value(&rest, &v))
			if (sip_addr_parse(v, &a) == 0)
				(void)sip_param_find(
				    a.params, STR("expires"), &tag);
	}
}

/*
 * Parse the built message b[0..len) again. When "must_parse" is set it
 * has to parse (or hit a size limit: building adds bytes and fields)
 * and keep the Call-ID, the kind of message and the body length.
 */
static void
check_reparse(const char *b, size_t len, bool must_parse,
    const struct sip_msg *orig, bool is_request, size_t body_len)
{
	static struct sip_msg m2;
	int err;

	err = sip_parse(NULL, &m2, b, len);
	if (!must_parse)
		return;
	if (err != 0 && err != EMSGSIZE)
		abort();
	if (err == 0 &&
	    (!str_eq(m2.call_id, orig->call_id) ||
		m2.is_request != is_request || m2.body.len != body_len))
		abort();
}

/* Relay the response in b[0..len) when it parses. */
static void
relay(const char *b, size_t len)
{
	static struct sip_msg rsp;
	static char out[65536];
	struct sip_wbuf w;

	if (sip_parse(NULL, &rsp, b, len) != 0)
		return;
	sip_wbuf_init(&w, out, sizeof(out));
	(void)sip_build_response_relay(&w, &rsp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_msg msg;
	struct sip_limits lim;
	struct sip_wbuf w;
	struct sip_uri uri;
	char out[65536];
	int err;

	sip_limits_default(&lim);
	if (sip_parse(&lim, &msg, (const char *)data, size) != 0)
		return 0;
	if (msg.is_request)
		(void)sip_uri_parse(msg.ruri_raw, &uri);
	addrs(&msg, SIP_HDR_FROM);
	addrs(&msg, SIP_HDR_TO);
	addrs(&msg, SIP_HDR_CONTACT);
	addrs(&msg, SIP_HDR_ROUTE);

	if (msg.is_request) {
		sip_wbuf_init(&w, out, sizeof(out));
		err = sip_build_response(&w, &msg, 200, STR(""), STR("fz1"),
		    STR(";received=192.0.2.1;rport=5060"), STR("X-Fuzz: 1\r\n"),
		    STR("centinela"), STR(""));
		if (err == 0) {
			check_reparse(out, w.len, true, &msg, false, 0);
			relay(out, w.len);
		} else if (err != ENOSPC)
			abort();

		sip_wbuf_init(&w, out, sizeof(out));
		err = sip_build_request(&w, &msg, STR(""),
		    STR("Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKfz\r\n"),
		    STR(";received=192.0.2.1;rport=5060"), true,
		    STR("Record-Route: <sip:192.0.2.10;lr>\r\n"));
		if (err == 0)
			check_reparse(
			    out, w.len, true, &msg, true, msg.body.len);
		else if (err != ENOSPC && err != EINVAL)
			abort();
	} else {
		sip_wbuf_init(&w, out, sizeof(out));
		err = sip_build_response_relay(&w, &msg);
		if (err == 0)
			check_reparse(out, w.len, msg.nvia > 1, &msg, false,
			    msg.body.len);
		else if (err != ENOSPC)
			abort();
	}
	return 0;
}

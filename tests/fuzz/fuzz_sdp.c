/*
 * tests/fuzz/fuzz_sdp.c -- libFuzzer harness for sdp_parse() and the
 * policy questions asked of a parsed description.
 *
 * Invariants checked: a description that parsed has its counts within
 * the hard ceilings and every view inside the input; one that did not
 * parse says why.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "media/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
inside(struct str v, const uint8_t *data, size_t size)
{
	if (v.len &&
	    ((const uint8_t *)v.s < data ||
		(const uint8_t *)v.s + v.len > data + size))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sdp sdp;
	struct sdp_limits lim;
	unsigned i, idx;
	int err;

	sdp_limits_default(&lim);
	lim.max_body = 65536;
	err = sdp_parse(&sdp, str_make((const char *)data, size), &lim);
	if (err) {
		if ((err != EBADMSG && err != EMSGSIZE) || !sdp.err)
			abort();
		return 0;
	}
	if (sdp.nmedia > lim.max_media || sdp.nattrs > lim.max_attrs)
		abort();
	inside(sdp.origin, data, size);
	inside(sdp.conn, data, size);
	for (i = 0; i < sdp.nattrs; i++) {
		inside(sdp.attrs[i].name, data, size);
		inside(sdp.attrs[i].value, data, size);
	}
	for (i = 0; i < sdp.nmedia; i++) {
		const struct sdp_media *m = &sdp.media[i];

		inside(m->fmts, data, size);
		inside(m->conn, data, size);
		if (m->attr_first + m->nattrs > sdp.nattrs)
			abort();
		if (m->port && !m->conn.len && !sdp.conn.len)
			abort();
		(void)sdp_media_is_encrypted(&sdp, m);
	}
	(void)sdp_has_sdes(&sdp);
	if (sdp_unencrypted_why(&sdp, &idx) && idx >= sdp.nmedia)
		abort();
	return 0;
}

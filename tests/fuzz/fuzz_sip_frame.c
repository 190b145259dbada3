/*
 * tests/fuzz/fuzz_sip_frame.c -- libFuzzer harness for sip_frame():
 * the same byte stream must be cut into the same messages, with the
 * same final answer, whether it arrives in one piece or in chunks.
 *
 * Input layout: byte 0 seeds the chunk sizes, byte 1 picks the limits
 * (default or small ones, to reach the limit paths), the rest is the
 * stream. Each framed message is also handed to sip_parse().
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MSGS 256

struct result {
	size_t lens[MAX_MSGS];
	size_t n;
	int final; /* EAGAIN, EBADMSG, EMSGSIZE, or 0 at end */
};

/*
 * Frame what buf[*off..have) holds, the way a connection reader does:
 * skip keep-alive CRLFs, then frame messages until more bytes are
 * needed. Returns true when the stream is finished (an error).
 */
static bool
drain(const struct sip_limits *lim, const char *buf, size_t have, size_t *off,
    struct result *r)
{
	static struct sip_msg msg;
	size_t ml;
	int err;

	for (;;) {
		while (have - *off >= 2 && buf[*off] == '\r' &&
		    buf[*off + 1] == '\n')
			*off += 2;
		if (have == *off || (have - *off == 1 && buf[*off] == '\r')) {
			r->final = EAGAIN;
			return false;
		}
		err = sip_frame(lim, buf + *off, have - *off, &ml);
		if (err == EAGAIN) {
			r->final = EAGAIN;
			return false;
		}
		if (err != 0) {
			r->final = err;
			return true;
		}
		if (ml == 0 || ml > have - *off)
			abort();
		if (r->n == MAX_MSGS) {
			r->final = 0;
			return true;
		}
		r->lens[r->n++] = ml;
		(void)sip_parse(lim, &msg, buf + *off, ml);
		*off += ml;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct result one, many;
	struct sip_limits lim;
	const char *buf;
	size_t len, off, have, chunk;
	uint32_t seed;

	if (size < 2)
		return 0;
	seed = data[0] * 2654435761U + 1;
	sip_limits_default(&lim);
	if (data[1] & 1) {
		lim.max_msg_size = 300 + (data[1] >> 1) * 8;
		lim.max_line_len = 40 + (data[1] >> 3);
		lim.max_headers = 4 + (data[1] >> 5);
	}
	buf = (const char *)data + 2;
	len = size - 2;

	memset(&one, 0, sizeof(one));
	off = 0;
	(void)drain(&lim, buf, len, &off, &one);

	memset(&many, 0, sizeof(many));
	off = 0;
	have = 0;
	while (have < len) {
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		chunk = 1 + seed % (seed & 0x100 ? 7 : 97);
		if (chunk > len - have)
			chunk = len - have;
		have += chunk;
		if (drain(&lim, buf, have, &off, &many))
			break;
	}
	if (len == 0)
		many.final = EAGAIN;

	if (one.n != many.n || one.final != many.final ||
	    memcmp(one.lens, many.lens, one.n * sizeof(one.lens[0])) != 0)
		abort();
	return 0;
}

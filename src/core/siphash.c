/*
 * core/siphash.c -- SipHash-2-4 (see siphash.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <endian.h>
#include <string.h>

#include "core/siphash.h"

static inline uint64_t
rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void
sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13) ^ v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17) ^ v[2];
	v[2] = rotl(v[2], 32);
}

uint64_t
siphash24(const uint64_t k[2], const void *in, size_t len)
{
	uint64_t v[4] = { 0x736f6d6570736575ULL ^ k[0],
		0x646f72616e646f6dULL ^ k[1], 0x6c7967656e657261ULL ^ k[0],
		0x7465646279746573ULL ^ k[1] };
	const unsigned char *p = in;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i, end = len - len % 8;

	for (i = 0; i < end; i += 8) {
		memcpy(&m, p + i, 8);
		m = le64toh(m);
		v[3] ^= m;
		sipround(v);
		sipround(v);
		v[0] ^= m;
	}
	for (i = 0; i < len % 8; i++)
		b |= (uint64_t)p[end + i] << (8 * i);
	v[3] ^= b;
	sipround(v);
	sipround(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

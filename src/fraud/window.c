/*
 * fraud/window.c -- sliding-window counters (rings of time buckets).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>

#include "fraud/window.h"

struct win_span
win_advance(uint32_t *head, uint32_t b, unsigned n)
{
	struct win_span s = { 0, 0 };

	if (*head == 0) {
		s.count = n;
		*head = b;
		return s;
	}
	if (b <= *head)
		return s;
	s.first = (*head + 1) % n;
	s.count = b - *head >= n ? n : b - *head;
	if (s.count == n)
		s.first = 0;
	*head = b;
	return s;
}

void
win_zero(void *a, size_t esize, unsigned n, struct win_span s)
{
	unsigned first = s.first, count = s.count, run;

	while (count > 0) {
		run = n - first < count ? n - first : count;
		memset((char *)a + (size_t)first * esize, 0, run * esize);
		count -= run;
		first = 0;
	}
}

void
win_add16(uint16_t *a, unsigned i, uint32_t v)
{
	uint32_t sum = (uint32_t)a[i] + v;

	a[i] = sum > UINT16_MAX || sum < v ? UINT16_MAX : (uint16_t)sum;
}

void
win_add32(uint32_t *a, unsigned i, uint64_t v)
{
	uint64_t sum = (uint64_t)a[i] + v;

	a[i] = sum > UINT32_MAX || sum < v ? UINT32_MAX : (uint32_t)sum;
}

static uint64_t
get(const void *a, size_t esize, unsigned i)
{
	if (esize == sizeof(uint16_t))
		return ((const uint16_t *)a)[i];
	return ((const uint32_t *)a)[i];
}

uint64_t
win_sum(const void *a, size_t esize, unsigned n)
{
	uint64_t sum = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		sum += get(a, esize, i);
	return sum;
}

unsigned
win_expiry(const void *a, size_t esize, unsigned n, uint32_t head,
    unsigned width, int64_t now, uint64_t need)
{
	uint64_t acc = 0;
	int64_t at = 0, left;
	unsigned k;

	if (need == 0)
		return 0;
	/*
	 * Bucket number head - n + 1 + k (k = 0 is the oldest) leaves the
	 * ring when bucket head + 1 + k begins.
	 */
	for (k = 0; k < n; k++) {
		acc += get(a, esize, (unsigned)(((uint64_t)head + 1 + k) % n));
		at = ((int64_t)head + 1 + k) * width;
		if (acc >= need)
			break;
	}
	left = at - now;
	if (left < 1)
		left = 1;
	return left > (int64_t)UINT32_MAX ? UINT32_MAX : (unsigned)left;
}

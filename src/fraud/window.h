/*
 * fraud/window.h -- sliding-window counters: a ring of n buckets, each
 * "width" seconds wide, that remembers what happened in the last
 * n x width seconds.
 *
 * The ring's "head" is the absolute number of the newest bucket
 * (unix time / width). Moving the ring to a later time zeroes every
 * bucket that left the window, so a count added at time t is part of
 * the sum until the bucket t / width leaves the ring, which happens at
 * (t / width + n) x width: between (n - 1) x width and n x width
 * seconds after t. Time never runs backwards for a ring: an older time
 * lands in the head bucket. Nothing here allocates; the counters are
 * plain arrays of uint16_t or uint32_t owned by the caller, so a
 * subject can keep several arrays under one head. Adding saturates at
 * the type's maximum instead of wrapping.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_FRAUD_WINDOW_H
#define CENTINELA_FRAUD_WINDOW_H

#include <stddef.h>
#include <stdint.h>

/* The buckets to zero after a move: "count" of them from index "first". */
struct win_span {
	unsigned first;
	unsigned count;
};

/*
 * Move a ring of "n" buckets whose newest bucket is *head to absolute
 * bucket "b" (b <= *head: nothing moves). Returns the buckets the
 * caller must zero in each of its arrays (win_zero). A head of 0 is an
 * empty ring: every bucket is zeroed.
 */
struct win_span win_advance(uint32_t *head, uint32_t b, unsigned n);

/* Zero the buckets of "s" in "a" (elements of "esize" bytes, 2 or 4). */
void win_zero(void *a, size_t esize, unsigned n, struct win_span s);

/* Add "v" to bucket "i" of "a", saturating. */
void win_add16(uint16_t *a, unsigned i, uint32_t v);
void win_add32(uint32_t *a, unsigned i, uint64_t v);

/* The sum of the n buckets of "a" (esize 2 or 4). */
uint64_t win_sum(const void *a, size_t esize, unsigned n);

/*
 * Seconds from "now" until at least "need" units have left the window
 * (the oldest buckets go first), at least 1; 0 when need is 0; when the
 * whole ring holds less than "need", the time until it is empty.
 */
unsigned win_expiry(const void *a, size_t esize, unsigned n, uint32_t head,
    unsigned width, int64_t now, uint64_t need);

#endif /* CENTINELA_FRAUD_WINDOW_H */

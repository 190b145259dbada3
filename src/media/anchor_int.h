/*
 * media/anchor_int.h -- inside the media anchor: hooks for the unit
 * tests (tests/unit/test_media_anchor.c), not for the daemon.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_MEDIA_ANCHOR_INT_H
#define CENTINELA_MEDIA_ANCHOR_INT_H

struct media;

/*
 * Shorten MEDIA_EARLY_IDLE_MS and MEDIA_TOMB_MS for "m", so a test
 * sees a reap or an expired tombstone in seconds.
 */
void media_test_timers(
    struct media *m, unsigned early_idle_ms, unsigned tomb_ms);
/* Offers and answers in flight to rtpengine. */
unsigned media_test_inflight(const struct media *m);

#endif /* CENTINELA_MEDIA_ANCHOR_INT_H */

/*
 * guard/banset.h -- the set of banned sources: IPv4 and IPv6 addresses
 * and CIDR ranges, each with its ban end, reason, ladder rung, strikes
 * and first/last seen.
 *
 * The question asked on every datagram, before parsing, is
 * banset_check(): one probe of a cache-line bucket for the source's
 * IPv4 address, plus one probe per distinct prefix length of the
 * ranges present. Exact IPv4 addresses live in a table of 64-byte
 * buckets of eight (address, record index) pairs; everything else
 * (IPv4 ranges, IPv6) in a second open-addressing table. Records are
 * shared: the entries of one feed import point at one record, which is
 * how 5,000,000 imported addresses fit in well under 64 MB.
 *
 * A record stays after its ban ended (expires <= now) so that the
 * ladder remembers the source's strikes; banset_sweep() removes it
 * once "forget" has passed. All functions are thread-safe (one
 * reader-writer lock); banset_check() takes only the read side.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_GUARD_BANSET_H
#define CENTINELA_GUARD_BANSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/reason.h"
#include "net/sa.h"

#define BAN_FOREVER UINT32_MAX /* expires / forget: never */

enum ban_origin {
	BAN_GUARD = 0, /* a trigger of this daemon (or another node) */
	BAN_CTL, /* centinelactl ban add */
	BAN_FEED /* an imported list */
};

/* One record as the API sees it. Times are unix seconds. */
struct ban_info {
	struct cidr range; /* canonical (cidr_mask) */
	uint32_t expires; /* ban end; <= now: not banned; BAN_FOREVER */
	uint32_t forget; /* the record goes after this */
	uint32_t first_seen;
	uint32_t last_seen;
	uint16_t strikes; /* bans within the memory window */
	uint8_t rung; /* ladder rung of the last ban, 1-based */
	uint8_t reason; /* enum reason */
	uint8_t origin; /* enum ban_origin */
	uint8_t feed; /* feed index (origin BAN_FEED) */
};

struct banset;

int banset_alloc(struct banset **bp);
void banset_free(struct banset *b);
/* Make room for "n" more exact IPv4 entries (bulk import). */
int banset_reserve(struct banset *b, size_t n);

/*
 * Is "src" banned at "now"? On true, *bi (may be NULL) gets the
 * matching record: the exact address first, then the longest prefix.
 */
bool banset_check(
    struct banset *b, const struct sa *src, uint32_t now, struct ban_info *bi);
/*
 * banset_check() of the "n" sources src[0..n-1]: hit[i] = banned. One
 * lock for many, and the buckets of all of them are requested before
 * the first is read, so that the cache misses of a large set overlap
 * (a lookup alone costs a memory latency): what the UDP path uses for
 * each recvmmsg batch. Returns the banset_version() that the answers
 * hold for.
 */
uint64_t banset_check_many(
    struct banset *b, const struct sa *src, size_t n, uint32_t now, bool *hit);
/* Changes whenever a put or a delete may have changed an answer. */
uint64_t banset_version(const struct banset *b);
/* Is any record (banned or only remembered) held for exactly "range"? */
int banset_get(struct banset *b, const struct cidr *range, struct ban_info *bi);
/* Insert or replace the record of bi->range. 0 or ENOMEM. */
int banset_put(struct banset *b, const struct ban_info *bi);
/* Remove the record of "range". 0 or ENOENT. */
int banset_del(struct banset *b, const struct cidr *range);
/*
 * Put "n" ranges that share one record "shared" (its range ignored).
 * A range holding a record that bans longer is left alone. Returns 0
 * or ENOMEM (then some ranges may be in).
 */
int banset_put_shared(struct banset *b, const struct cidr *ranges, size_t n,
    const struct ban_info *shared);

/* Called per record; a non-zero return stops the walk. */
typedef int(banset_h)(const struct ban_info *bi, void *arg);
/* Every record. Runs under the read lock: h must not call banset_*. */
int banset_each(struct banset *b, banset_h *h, void *arg);

/*
 * Walk the next "budget" slots of the tables (a full pass over many
 * calls): records whose "forget" passed are removed, and "ended" (may
 * be NULL) is called for each record whose ban ended at or before
 * "now" and was not reported yet. Runs under the write lock: "ended"
 * must not call banset_*. Returns the slots walked.
 */
size_t banset_sweep(
    struct banset *b, uint32_t now, size_t budget, banset_h *ended, void *arg);

struct banset_stats {
	size_t entries; /* ranges held */
	size_t exact4; /* of which exact IPv4 addresses */
	size_t records; /* distinct records */
	size_t bytes; /* memory held by the tables and records */
};
void banset_stats(struct banset *b, struct banset_stats *st);

#endif /* CENTINELA_GUARD_BANSET_H */

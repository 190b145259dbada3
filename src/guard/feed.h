/*
 * guard/feed.h -- ban lists in and out: plain IP/CIDR lists, rbldnsd
 * ip4set/ip6trie zone data, JSON, and APIBan-style JSON fetched over
 * HTTP(S) (libcurl) on a schedule.
 *
 * Parsing is all-or-nothing: feed_parse() validates the whole input
 * and calls the entry callback only when every line is good, so a bad
 * feed changes nothing; the error names the line (or JSON position).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_GUARD_FEED_H
#define CENTINELA_GUARD_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/cfg.h"
#include "net/sa.h"

#define FEED_MAX_BYTES (256u * 1024 * 1024) /* a feed larger is refused */

/* One entry of a list. reason/until are optional (JSON carries them). */
struct feed_entry {
	struct cidr range; /* canonical (cidr_mask) */
	const char *reason; /* NULL: the importer's */
	int64_t until; /* unix s; 0: the importer's duration */
};

typedef int(feed_entry_h)(const struct feed_entry *e, void *arg);

/*
 * Parse "buf" as "fmt". First validates everything (no callback on any
 * error); then calls h for every entry (a non-zero return stops and is
 * returned). For FEED_APIBAN, *next_id (may be NULL) receives the "ID"
 * to ask for next time ("" when the feed says "none"), at most
 * idcap bytes. Returns 0, EINVAL (bad input: err says where), E2BIG.
 */
int feed_parse(enum feed_format fmt, const char *buf, size_t len,
    feed_entry_h *h, void *arg, char *next_id, size_t idcap, char *err,
    size_t errlen);

/* Write entries in "fmt" (not FEED_APIBAN). The iterator gives them. */
typedef bool(feed_iter_h)(struct feed_entry *e, void *arg); /* false: end */
int feed_write(FILE *f, enum feed_format fmt, feed_iter_h *next, void *arg);

/*
 * GET "url" (http or https) into a malloc'ed buffer (*body, *len; the
 * caller frees). Fails on a non-2xx status (err says which), on more
 * than FEED_MAX_BYTES, or after "timeout_ms". 0 or an errno value.
 * APIBan answers 400 {"ID":"none"} for "no new bans": *status tells.
 */
int feed_fetch(const char *url, unsigned timeout_ms, char **body, size_t *len,
    long *status, char *err, size_t errlen);

/*
 * The schedule: one thread fetches every feed of the configuration at
 * its interval, parses it and hands the whole validated list to
 * "apply" (on the feed thread; apply must be thread-safe). An APIBan
 * feed asks for .../banned/<last ID> after the first fetch.
 */
typedef void(feed_apply_h)(const struct cfg_feed *f,
    const struct feed_entry *entries, size_t n, void *arg);
struct feed_sched;
int feed_sched_start(struct feed_sched **fsp, const struct cfg_guard *gc,
    feed_apply_h *apply, void *arg);
void feed_sched_stop(struct feed_sched *fs);

#endif /* CENTINELA_GUARD_FEED_H */

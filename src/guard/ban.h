/*
 * guard/ban.h -- the ban ladder: who gets banned, for how long, and
 * what survives a restart.
 *
 * A trigger strikes a source; the source's strikes within the memory
 * window pick the rung of the ladder (guard.ladder: 5m, 1d, then 1d
 * for every repeat by default), a scanner goes straight to the top.
 * Configured peers and allowlisted sources are never banned. Every
 * ban is put in the banset (checked before parsing), written behind
 * to the store with a history line, optionally mirrored into nftables,
 * and emitted as an event (log line with source, reason and rung).
 *
 * The store is also how centinelactl reaches a running daemon: the
 * writer thread polls the command queue and the allowlist generation
 * every store.poll_interval ms.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_GUARD_BAN_H
#define CENTINELA_GUARD_BAN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cfg.h"
#include "core/reason.h"
#include "guard/banset.h"
#include "net/sa.h"

struct ban;

/*
 * Open the store (cfg->store_uri), restore bans and the allowlist into
 * "bs", start the writer, open nftables when configured. 0 or an errno
 * value (logged).
 */
int ban_alloc(struct ban **bp, const struct cfg *cfg, struct banset *bs);
/* Write what is queued and stop (the banset stays the caller's). */
void ban_free(struct ban *b);

/* Allowlisted (guard.allow or centinelactl allow)? */
bool ban_allowed(struct ban *b, const struct sa *src);

/*
 * A trigger fired for "src" of role "role": strike and ban it at the
 * next rung ("top": the highest). "shadow": only log and count what
 * would be done. Returns the ban's duration in seconds, 0 when nothing
 * was banned (a peer, allowlisted, already banned, or shadow).
 */
unsigned ban_strike(struct ban *b, const struct sa *src, enum peer_role role,
    enum reason why, bool top, bool shadow, const char *detail);

/* Entries of a feed import, sharing one record (thread-safe). */
int ban_import(struct ban *b, const struct cidr *ranges, size_t n,
    unsigned secs, unsigned feed, const char *feed_name);

/* From the loop, once a second: sweep "budget" slots of the banset. */
void ban_tick(struct ban *b, uint32_t now, size_t budget);

/* Wait until everything queued is in the store and nftables (tests). */
void ban_sync(struct ban *b);

/*
 * The entry points for a thread that does not own the ladder (the
 * provisioning service, prov/prov.h). The ladder and the event
 * subscribers belong to the worker loop, so a strike is only queued
 * here and applied by the loop at its next ban_tick() (within a
 * second), by ban_strike() with the same rules (peers and allowlisted
 * sources are never banned, shadow mode holds). "b" must outlive the
 * posting thread (the daemon stops the provisioning service first).
 *
 * ban_post_strike() returns 0, ENOENT (b is NULL: no ladder runs),
 * ENOSPC (the queue is full; the strike is dropped). ban_post_banned():
 * is "src" banned now (false when b is NULL)?
 */
int ban_post_strike(struct ban *b, const struct sa *src, enum peer_role role,
    enum reason why, const char *detail);
bool ban_post_banned(struct ban *b, const struct sa *src);

/* The text origin of a record: "guard", "ctl", "feed:NAME". */
const char *ban_origin_name(enum ban_origin o);

#endif /* CENTINELA_GUARD_BAN_H */

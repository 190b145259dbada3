/*
 * route/location.h -- the registrar's location table: address-of-record
 * to contacts, in memory, persisted write-behind.
 *
 * Only the event loop touches the table. Every change is also queued to
 * a writer thread that applies it to the store in batches (one
 * transaction per wake-up), so the loop never waits for the disk and a
 * crash loses at most the changes of the last batch (well under a
 * second). loc_restore() reads the unexpired bindings back at start.
 *
 * One exception: a refresh that leaves what routing needs unchanged
 * (URI, source, Path, instance, reg-id, User-Agent, q) and moves only
 * the expiry and the ordering state (Call-ID, CSeq) is written only
 * when the stored row would lapse before half of the new interval plus
 * 32 s has passed, or would outlive the new expiry. So a write is
 * skipped only for a phone refreshing at most every half interval
 * minus 32 s, and the stored row outlives that phone's next refresh by
 * at least 64 s: after a crash and a restart it still finds its
 * binding. Frequent refreshes (keep-alive registrations behind NAT)
 * cost no database write; a phone refreshing at half its interval or
 * later is written every time. After a crash the
 * restored Call-ID and CSeq may be older than the last ones seen; the
 * digest's nonce and nonce-count checks, not the CSeq, stop replays.
 * A clean stop (loc_free) writes every refresh still pending.
 *
 * Memory: a contact is one allocation holding the struct and its
 * strings (URI, Call-ID, Path, instance, User-Agent), typically 250-400
 * bytes; an address-of-record adds one small allocation.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_ROUTE_LOCATION_H
#define CENTINELA_ROUTE_LOCATION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/loop.h"
#include "core/str.h"
#include "net/tp.h"
#include "store/store.h"

struct loc_contact {
	struct loc_contact *lc_next; /* in the AOR's list */
	int64_t lc_expires; /* unix seconds */
	int64_t lc_stored; /* the expiry last handed to the writer, 0: none */
	struct tp_dst lc_dst; /* where the REGISTER came from (NAT) */
	uint32_t lc_cseq;
	uint32_t lc_q; /* times 1000 */
	uint32_t lc_reg_id;
	bool lc_dirty; /* a refresh not written yet (loc_free writes it) */
	struct str lc_uri; /* Contact URI, no <> */
	struct str lc_call_id;
	struct str lc_path; /* Path values, comma-separated */
	struct str lc_instance;
	struct str lc_ua;
	char lc_buf[]; /* the strings */
};

struct loc_aor {
	struct loc_aor *la_next; /* hash chain */
	uint64_t la_hash;
	struct loc_contact *la_contacts;
	unsigned la_n;
	struct str la_name; /* "user@domain" */
	char la_buf[];
};

/* What a REGISTER asks for one contact. */
struct loc_update {
	struct str uri;
	struct str call_id;
	struct str path;
	struct str instance;
	struct str ua;
	uint32_t cseq;
	uint32_t q;
	uint32_t reg_id;
	int64_t expires; /* absolute; <= now removes */
	struct tp_dst dst;
};

struct location;

/*
 * Create the table on loop "l" with a writer thread on store "uri".
 * Restores unexpired bindings first. Returns 0 or an errno (store
 * errors are logged).
 */
int loc_alloc(struct location **lp, struct loop *l, const char *uri);
/* Write pending expiries, flush the queue to the store, stop the writer. */
void loc_free(struct location *loc);
/* Wait until every change queued so far is in the store. */
void loc_sync(struct location *loc);

const struct loc_aor *loc_find(const struct location *loc, struct str aor);
/*
 * Insert, refresh or (expires <= now) remove one binding of "aor",
 * matching by +sip.instance/reg-id when given, else by URI. Returns 0,
 * ENOMEM, or EBUSY: the Call-ID is the binding's and the CSeq is not
 * higher (RFC 3261 10.3 step 7). *removed says whether it removed one.
 */
int loc_update(struct location *loc, struct str aor, const struct loc_update *u,
    int64_t now, bool *removed);
/* Remove every binding of "aor" ("Contact: *"). Returns the count. */
unsigned loc_remove_all(struct location *loc, struct str aor);
/* Remove expired bindings (emits binding_expired). Returns the count. */
unsigned loc_expire(struct location *loc, int64_t now);
unsigned loc_count(const struct location *loc); /* contacts */
/* Call "fn" for every contact (the table must not change meanwhile). */
void loc_each(const struct location *loc,
    void (*fn)(const struct loc_aor *a, const struct loc_contact *c, void *arg),
    void *arg);
unsigned loc_aor_count(const struct location *loc);

/* tp_dst as text ("udp:1.2.3.4:5060") and back. */
void loc_dst_fmt(const struct tp_dst *d, char *buf, size_t cap);
int loc_dst_parse(const char *s, struct tp_dst *d);

#endif /* CENTINELA_ROUTE_LOCATION_H */

/*
 * callerid/numdb.h -- the numbering data the caller-ID rules consult on
 * every call: the CNMC register,
 * the operator's own inventory, the exceptions, the SMS aliases and the
 * Lista Robinson hashes, as an immutable in-memory snapshot built from
 * the store (store/store.h) or from rows given one by one.
 *
 * Numbers are E.164 digit strings without '+' ("34911000123"), passed
 * as struct str views (never NUL-terminated, never read past len).
 * Lookups only read the snapshot: any number of threads may look up in
 * the same snapshot at once, with no lock and no write.
 *
 * Lifetime (G10): a snapshot is reference counted. A running daemon
 * keeps the one in force in a struct numdb_slot and swaps in a new one
 * after a rebuild; a rebuild that fails leaves the old one in force.
 * Each worker reads through its own struct numdb_view: numdb_view()
 * returns the snapshot in force, holding a reference to it until a
 * later numdb_view() call on the same view sees that a new snapshot was
 * published (one atomic load on the fast path; a short mutex only on
 * the call after a swap) or numdb_view_release(). So a worker never
 * reads freed memory: a snapshot is freed when the slot and the last
 * view that held it have let it go, on whichever thread lets go last.
 * Pointers a lookup returns point into the snapshot and stay valid
 * while the caller holds it (until its next numdb_view() on that view).
 *
 * Design of the register lookup (2 million ranges, >= 1 million
 * lookups per second per core): one open-addressing hash table of
 * 24-byte slots keyed by (prefix length, prefix value), at most 2/3
 * full, and a bitmap of the prefix lengths present under each 5-digit
 * head ("34" + NXY, 100,000 heads, 200 kB). A lookup computes the
 * values of the number's prefixes in one pass, then probes the lengths
 * the head's bitmap names, longest first: in practice one or two cache
 * misses. Operator and area names are interned (16-bit ids).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CALLERID_NUMDB_H
#define CENTINELA_CALLERID_NUMDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "store/store.h"

#define NUMDB_DIGITS_MAX 15
#define NUMDB_ERR_MAX 256

struct numdb;
struct numdb_builder;
struct numdb_slot;

/* ---- building ----------------------------------------------------------------- */

/*
 * A builder takes rows one at a time (from arrays, a generator or a
 * store walk) and makes a snapshot of them. Each add checks its row:
 * EINVAL (the reason in numdb_builder_errmsg()) for a prefix that is
 * not 1 to 15 digits, an unknown status or kind, a bad hash; ENOMEM;
 * E2BIG for more than 65,535 distinct operator and area names. Rows are
 * copied; the caller's structs may be reused at once.
 */
int numdb_builder_new(struct numdb_builder **bp);
int numdb_builder_range(struct numdb_builder *b, const struct num_range *r);
int numdb_builder_own(struct numdb_builder *b, const struct num_own *o);
int numdb_builder_exception(
    struct numdb_builder *b, const struct num_exception *e);
int numdb_builder_alias(struct numdb_builder *b, const struct sms_alias *a);
/* A Robinson hash: 64 hex digits (either case). */
int numdb_builder_robinson(struct numdb_builder *b, const char *hex);
/* The store's numbering generation the rows come from (for reporting). */
void numdb_builder_generation(struct numdb_builder *b, int64_t gen);
const char *numdb_builder_errmsg(const struct numdb_builder *b);
/*
 * Make the snapshot (*dbp, one reference owned by the caller) and free
 * the builder, on success or not. Returns 0, ENOMEM, E2BIG, or the
 * first add error; "err" (may be NULL) gets the message.
 */
int numdb_builder_finish(
    struct numdb_builder *b, struct numdb **dbp, char *err, size_t errlen);
void numdb_builder_free(struct numdb_builder *b);

/*
 * Build a snapshot of every numbering table of the store (the register
 * data set in force, own inventory, exceptions, aliases, Robinson
 * hashes). The generation is read first: a change made while the build
 * runs moves it again, so a poller rebuilds once more. Returns 0, the
 * store's error (EIO...) or the builder's; "err" gets the message.
 */
int numdb_build_from_store(
    struct store *s, struct numdb **dbp, char *err, size_t errlen);

/* An empty snapshot (every lookup misses). */
int numdb_new_empty(struct numdb **dbp);

/* Take one more reference (returns db); drop one (NULL is a no-op). */
struct numdb *numdb_ref(struct numdb *db);
void numdb_unref(struct numdb *db);

struct numdb_info {
	size_t ranges; /* register rows (shared prefixes counted each) */
	size_t prefixes; /* distinct register prefixes */
	size_t own, exceptions, aliases, robinson;
	size_t bytes; /* everything the snapshot allocated */
	size_t range_bytes; /* of which the register lookup */
	int64_t generation; /* numdb_builder_generation(), else -1 */
};
void numdb_info(const struct numdb *db, struct numdb_info *info);

/* ---- lookups (all read-only, thread-safe on one snapshot) ---------------------- */

enum numdb_status {
	NUMDB_NONE = 0,
	NUMDB_ASIGNADO,
	NUMDB_COMPARTIDO,
	NUMDB_SUBASIGNADO
};
const char *numdb_status_name(enum numdb_status st);

/* What the register says about a number. */
struct numdb_cnmc_res {
	enum numdb_status status;
	char prefix[NUMDB_DIGITS_MAX + 1]; /* the longest matching range */
	const char *holder; /* the company its line names */
	const char *assignee; /* Subasignado: the assignee of the enclosing
				 range ("" if none); else == holder */
	const char *sub_assignee; /* Subasignado: == holder; else "" */
	const char *area; /* province or network type; may be "" */
	int64_t assigned; /* the line's date, 00:00 UTC */
	unsigned nholders; /* > 1: a shared prefix (numdb_cnmc_holder) */
	uint64_t key_; /* private, for numdb_cnmc_holder() */
};

/*
 * Longest-prefix match of "digits" in the register. Returns true and
 * fills "res" when a range covers it; false (res->status NUMDB_NONE)
 * when none does or "digits" is not 1 to 15 digits.
 */
bool numdb_cnmc(
    const struct numdb *db, struct str digits, struct numdb_cnmc_res *res);
/* Holder i (0 .. nholders - 1) of a shared prefix; NULL past the end. */
const char *numdb_cnmc_holder(
    const struct numdb *db, const struct numdb_cnmc_res *res, unsigned i);

/* numdb_own() flags. */
#define NUMDB_OWN_BLOCK 0x01u /* under a block assigned to us */
#define NUMDB_OWN_SUBBLOCK 0x02u /* under a block sub-assigned to us */
#define NUMDB_OWN_SERVICE 0x04u /* given to a customer (number/prefix) */
#define NUMDB_OWN_PORTED_IN 0x08u /* this number, ported in */
#define NUMDB_OWN_PORTED_OUT 0x10u /* this number, ported out */

/*
 * The own-inventory flags of "digits": block, sub-block and service
 * entries match as prefixes (any length, the number itself included),
 * ported-in and ported-out entries only the exact number. 0: none, or
 * not 1 to 15 digits.
 */
unsigned numdb_own(const struct numdb *db, struct str digits);

/* An exception as the snapshot holds it. */
struct numdb_exception {
	int64_t id;
	const char *digits;
	bool prefix;
	const char *trunk; /* "" = any */
	int64_t valid_from, valid_to; /* [from, to); to 0 = no end */
	const char *ref;
	const char *rules; /* "" = every rule */
};

/*
 * The exception that lets "digits" pass rule "rule" on trunk "trunk" at
 * "now", or NULL. An entry matches when its digits are the number (or,
 * for a prefix entry, a prefix of it), its trunk is "" or equal, and
 * valid_from <= now < valid_to (valid_to 0: no end), and its rules are
 * "" or list "rule" -- an item also covers the codes that extend it
 * after a '-' ("ES-A4.1" covers "ES-A4.1-EMPTY"). The longest matching
 * entry wins; among equals, the first added.
 */
const struct numdb_exception *numdb_exception(const struct numdb *db,
    struct str digits, struct str trunk, struct str rule, int64_t now);

/*
 * Whether "alias" (exact bytes: "dulceflor" is not "DulceFlor") is a
 * registered SMS alias valid at "now". When it is and "pro_enabled" is
 * not NULL, *pro_enabled tells whether "pro" is one of its enabled
 * origin providers (compared ignoring ASCII case; an empty pro: false).
 */
bool numdb_alias(const struct numdb *db, struct str alias, int64_t now,
    struct str pro, bool *pro_enabled);

/* Whether the 32-byte SHA-256 "hash" is on the Lista Robinson. */
bool numdb_robinson(const struct numdb *db, const uint8_t hash[32]);
/* The same for 64 hex digits (either case); false when not hex. */
bool numdb_robinson_hex(const struct numdb *db, struct str hex);

/* ---- the snapshot in force --------------------------------------------------------- */

/*
 * A slot holds the snapshot in force. "db" (may be NULL: an empty
 * snapshot) becomes its first, the slot taking over the caller's
 * reference. Returns 0 or ENOMEM.
 */
int numdb_slot_new(struct numdb_slot **sp, struct numdb *db);
/* Free the slot (views must be released first). NULL is a no-op. */
void numdb_slot_free(struct numdb_slot *slot);
/*
 * Publish "db" (the slot takes over the caller's reference): views
 * pick it up at their next numdb_view(); the old snapshot is freed when
 * the last view lets it go. db NULL is ignored.
 */
void numdb_slot_set(struct numdb_slot *slot, struct numdb *db);
/* A new reference to the snapshot in force (the caller unrefs it). */
struct numdb *numdb_slot_get(struct numdb_slot *slot);

/*
 * Rebuild from the store when its numbering generation differs from
 * the one in force (always when "force"), and publish the result. On
 * failure the snapshot in force stays and the error is returned with
 * its message in "err". *changed (may be NULL): a new one was
 * published. Meant for the thread that polls the store (a store
 * connection is one thread's); never call it on a worker.
 */
int numdb_slot_reload(struct numdb_slot *slot, struct store *s, bool force,
    bool *changed, char *err, size_t errlen);

/* A reader's handle on the slot: zero-initialise it, one per thread. */
struct numdb_view {
	struct numdb *db;
	uint64_t version;
};

/*
 * The snapshot in force, for the calling thread (see the top of this
 * file). Never NULL. The previous result of this view may be freed by
 * this call: use one result per decision.
 */
const struct numdb *numdb_view(struct numdb_slot *slot, struct numdb_view *v);
/* Let go of the view's snapshot (thread exit). */
void numdb_view_release(struct numdb_view *v);

#endif /* CENTINELA_CALLERID_NUMDB_H */

/*
 * fraud/dialog.h -- dialog tracking for the fraud rules: each call is
 * followed from its initial INVITE to its end (BYE, CANCEL, a final
 * failure response, or a timeout), so that concurrent calls and call
 * minutes can be counted, and every call that starts ends exactly once.
 *
 * The table belongs to one event loop (no locks): every function runs
 * on that loop's thread. A dialog is keyed by its Call-ID and the
 * caller's From tag (the INVITE's). A BYE may come from either side:
 * from the callee its From tag is the callee's and its To tag is the
 * caller's, so dlg_bye() tries both.
 *
 * Every started dialog reaches the end callback exactly once, with the
 * way it ended; after that the dialog is forgotten, and a late BYE,
 * response or retransmission for it finds nothing (no double count).
 * An INVITE not answered finally within early_timeout, or a call up for
 * longer than max_duration, is closed by timeout. Memory is bounded:
 * at most max_dialogs at once; a start beyond that is refused (ENOSPC,
 * counted) and the caller decides what to do with the call.
 *
 * Memory: dlg_table_alloc() reserves max_dialogs fixed-size slots (the
 * Call-ID and tag bytes are copied into the slot, at most DLG_CALLID_MAX
 * and DLG_TAG_MAX bytes) and the hash buckets; nothing is allocated
 * afterwards, so no start fails for lack of memory under a flood. The
 * pages of the reservation are touched only as slots are first used,
 * and freed slots are reused most-recent first: resident memory follows
 * the peak number of concurrent dialogs. dlg_stats() gives the figures.
 *
 * Who may end a call. Responses are matched to the request they answer
 * by the transaction key the proxy puts in its Via branch (a keyed hash
 * of the request's own fields, unknown to anyone who did not receive the
 * forwarded request): only the final answer to the INVITE that started
 * the dialog answers or fails it, not an answer to another request with
 * the same Call-ID and tag. A BYE ends the call only when its 2xx comes
 * back from the other party: dlg_bye_seen() notes which party sent the
 * BYE (by its address: the caller's is the INVITE's source, the
 * callee's the source of the 2xx) and its key; dlg_bye() accepts a 2xx
 * with that key from the other party's address. A caller who routes a
 * BYE to a server of its own, or sends one the callee refuses, ends
 * nothing; the call then runs until the BYE the callee accepts, or
 * max_duration.
 *
 * Times are milliseconds of the monotonic clock (loop_clock_ms()).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_FRAUD_DIALOG_H
#define CENTINELA_FRAUD_DIALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/loop.h"
#include "core/str.h"
#include "net/sa.h"

/* Longest Call-ID and From tag tracked; longer ones: EINVAL. */
#define DLG_CALLID_MAX 256
#define DLG_TAG_MAX 128
/* Largest max_dialogs accepted (slot numbers are 32-bit). */
#define DLG_MAX_DIALOGS_LIMIT (1u << 24)

enum dlg_end {
	DLG_END_BYE = 0, /* answered, then a BYE */
	DLG_END_CANCEL, /* CANCEL before the final answer */
	DLG_END_FAILED, /* a final response >= 300 to the INVITE */
	DLG_END_TIMEOUT_EARLY, /* no final answer within early_timeout */
	DLG_END_TIMEOUT, /* answered, no BYE within max_duration */
	DLG_END_SHUTDOWN, /* dlg_table_free() with the dialog open */
	DLG_END__COUNT
};

/* "bye", "cancel", ..., for logs and metric labels; "?" when unknown. */
const char *dlg_end_name(enum dlg_end e);

struct dlg_conf {
	unsigned max_dialogs; /* at once; 1 .. DLG_MAX_DIALOGS_LIMIT */
	unsigned max_duration; /* s an answered call may last; >= 1 */
	unsigned early_timeout; /* s an INVITE may wait for its final answer */
};

/* What the end callback learns about a call. */
struct dlg_info {
	void *owner; /* as given to dlg_start() */
	uint32_t tag; /* as given to dlg_start() (e.g. a destination class) */
	int64_t started_ms; /* loop_clock_ms() at dlg_start() */
	int64_t answered_ms; /* at the 2xx; 0: never answered */
	int64_t ended_ms; /* when the end was seen (or the timeout ran) */
	enum dlg_end how;
};

/*
 * Called once per dialog, from dlg_*() or from the loop's timer. The
 * dialog is already forgotten when it runs (its slot is free again). It
 * may call dlg_start() and the other dlg_*() functions, not
 * dlg_table_free().
 */
typedef void(dlg_end_h)(const struct dlg_info *info, void *arg);

struct dlg_table;

/*
 * 0, EINVAL (a zero limit, max_dialogs above DLG_MAX_DIALOGS_LIMIT, no
 * loop or no callback) or ENOMEM. Timers run on loop "l". *tp is set on
 * success only.
 */
int dlg_table_alloc(struct dlg_table **tp, struct loop *l,
    const struct dlg_conf *c, dlg_end_h *end, void *arg);
/*
 * Ends every open dialog (DLG_END_SHUTDOWN, callback called; a
 * dlg_start() from that callback gets ESHUTDOWN), cancels the timer,
 * frees. NULL is ignored.
 */
void dlg_table_free(struct dlg_table *t);

/*
 * A new call: its INVITE's transaction key and the caller's address
 * (may be NULL: then no BYE can end the call, only max_duration).
 * Returns 0 (tracked), EEXIST (this Call-ID + tag is tracked already:
 * a retransmission; nothing changes), ENOSPC (the table is full;
 * counted in refused_full), EINVAL (empty Call-ID or tag, or longer
 * than DLG_CALLID_MAX / DLG_TAG_MAX), ESHUTDOWN (called from the
 * callback while dlg_table_free() runs). The bytes are copied.
 */
int dlg_start(struct dlg_table *t, struct str call_id, struct str from_tag,
    void *owner, uint32_t tag, uint64_t key, const struct sa *caller);
/*
 * A 2xx to the INVITE of key "key" from "callee" (the first one counts;
 * later ones, and answers to other requests, do nothing).
 */
void dlg_answered(struct dlg_table *t, struct str call_id, struct str from_tag,
    uint64_t key, const struct sa *callee);
/* A final response >= 300 to that INVITE: ends an unanswered dialog. */
void dlg_failed(
    struct dlg_table *t, struct str call_id, struct str from_tag, uint64_t key);
/* Its 487 (a CANCEL took effect): ends an unanswered dialog. */
void dlg_cancel(
    struct dlg_table *t, struct str call_id, struct str from_tag, uint64_t key);
/*
 * A BYE with these From and To tags (to_tag may be empty) from "src",
 * forwarded under transaction key "key": if either tag names an
 * answered dialog and src is one of its parties, the dialog now waits
 * for the other party's 2xx to this BYE. A BYE for a dialog not
 * answered yet is ignored: RFC 3261 allows none (the caller CANCELs,
 * the callee answers first), and ending on it would let a caller drop
 * its call from the count and then have it answered untracked.
 */
void dlg_bye_seen(struct dlg_table *t, struct str call_id, struct str from_tag,
    struct str to_tag, uint64_t key, const struct sa *src);
/* A 2xx to a BYE (key, source): ends the dialog as above. */
void dlg_bye(struct dlg_table *t, struct str call_id, struct str from_tag,
    struct str to_tag, uint64_t key, const struct sa *src);
/* Is this dialog tracked (tests, in-dialog checks)? */
bool dlg_exists(
    const struct dlg_table *t, struct str call_id, struct str from_tag);

/*
 * Counters. active is a gauge: +1 per start, -1 per end, so it cannot
 * go below 0 and equals started minus the sum of ended[]. started,
 * ended[] and refused_full only grow; they start at 0 when the table is
 * allocated and that is their only reset (a reader takes differences,
 * as Prometheus counters). bytes is what the table reserved (constant
 * for its life); bytes_per_dialog its share per slot.
 */
struct dlg_stats {
	uint64_t active; /* open now */
	uint64_t started;
	uint64_t ended[DLG_END__COUNT];
	uint64_t refused_full; /* ENOSPC */
	uint64_t bytes; /* memory the table holds now */
	uint64_t bytes_per_dialog; /* slot + hash bucket share */
	uint64_t capacity; /* max_dialogs */
};
void dlg_stats(const struct dlg_table *t, struct dlg_stats *st);

#endif /* CENTINELA_FRAUD_DIALOG_H */

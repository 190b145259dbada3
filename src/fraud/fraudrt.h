/*
 * fraud/fraudrt.h -- the toll-fraud engine at work in the daemon: the
 * rules engine (fraud/fraud.h), the dialog table (fraud/dialog.h), the
 * alert router (fraud/alert.h) and the persistence of the subjects'
 * state, tied to the event loop and the store.
 *
 * The guard (guard/fraud.c) asks frt_call() about every initial INVITE
 * that passed the other guards; the proxy tells the runtime when such a
 * call was forwarded (frt_dialog_start), and about the responses that
 * end or answer it (frt_on_response, frt_on_reply). Every call counted
 * by the engine ends exactly once: at its final failure, at the 2xx to
 * its BYE, or by the dialog table's timeouts.
 *
 * Persistence (write-behind): once per fraud.persist_interval the
 * subjects whose state changed are written by a writer thread with a
 * store connection of its own, and all of them at shutdown; at start
 * every stored subject is loaded. A suspension is written to the
 * account at once (status "suspended": the account table then refuses
 * it); the writer polls the store each second for accounts an
 * administrator resumed ("centinelactl user resume") and the engine
 * lifts its own suspension.
 *
 * Everything but the metrics runs on the loop's thread.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_FRAUD_FRAUDRT_H
#define CENTINELA_FRAUD_FRAUDRT_H

#include <stdbool.h>

#include "core/cfg.h"
#include "core/loop.h"
#include "fraud/fraud.h"
#include "net/sa.h"
#include "sip/sip.h"

struct frt;

/*
 * Start the runtime for cfg->fraud (enabled) on loop "l": engine,
 * dialog table, alert router, stored subjects loaded, writer started.
 * "cfg" must outlive it. 0 or an errno value (logged).
 */
int frt_alloc(struct frt **rp, struct loop *l, const struct cfg *cfg);
/* End every dialog, write every changed subject, stop. NULL: no-op. */
void frt_free(struct frt *r);

/*
 * Decide on an initial INVITE (see fraud_call_start()); a refusal that
 * suspends the account is written to the store here. When d->vd is
 * FRAUD_PASS, *refp must go to frt_dialog_start() or frt_call_undo().
 */
int frt_call(struct frt *r, const struct fraud_call *c,
    struct fraud_decision *d, struct fraud_callref **refp);
/* A passed call that will not be forwarded after all: it ends now. */
void frt_call_undo(struct frt *r, struct fraud_callref *ref);
/* Is a call with this Call-ID and From tag being followed? */
bool frt_dialog_known(struct frt *r, struct str call_id, struct str from_tag);
/*
 * The INVITE "req" of call "ref", from "src", is routed under
 * transaction key "key": follow its dialog. 0, or an errno value of
 * dlg_start() when it cannot be followed (the call has then ended: the
 * caller refuses it).
 */
int frt_dialog_start(struct frt *r, const struct sip_msg *req, uint64_t key,
    const struct sa *src, struct fraud_callref *ref, unsigned dclass);
/* A request about to be routed (an in-dialog BYE: who sent it). */
void frt_on_request(struct frt *r, const struct sip_msg *req, uint64_t key,
    const struct sa *src);
/*
 * A response relayed toward the caller that answers the request we
 * forwarded under transaction key "key" (for a forked call, the
 * caller's transaction), received from "src" (NULL: not known): a 2xx
 * or a final failure of an INVITE, a 2xx to a BYE.
 */
void frt_on_response(struct frt *r, const struct sip_msg *rsp, uint64_t key,
    const struct sa *src);
/* A final answer we generated ourselves to request "req" of key "key". */
void frt_on_reply(
    struct frt *r, const struct sip_msg *req, uint64_t key, unsigned status);

/* The numbering plan of the runtime (for the called number). */
const struct numplan *frt_plan(const struct frt *r);
/* The alert router the runtime started (others raise alerts on it too). */
struct alert_router *frt_alerts(const struct frt *r);

#endif /* CENTINELA_FRAUD_FRAUDRT_H */

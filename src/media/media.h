/*
 * media/media.h -- the media anchor: calls whose media rtpengine relays
 * (docs/MEDIA.md).
 *
 * The SDP policy itself (what an offer must look like) is the media
 * guard's (guard/media.c, over media/sdp.h). This module keeps the
 * calls that are anchored and speaks to rtpengine for them
 * (media/rtpe.h): "offer" on a request carrying an SDP offer, "answer"
 * on the response carrying the answer, "delete" when the call ends,
 * and, every check_interval, "query" of each answered call, so that a
 * call whose media stopped (rtpengine forgot it after its --timeout)
 * is reported to the proxy, which ends it with a BYE to each party.
 *
 * A call is anchored from the moment rtpengine accepted its offer.
 * Each call remembers the rtpengine instance that holds it (instances
 * do not share calls) and which side of it is the edge (phones,
 * role public) and which the core (PBX, carriers): an offer from one
 * side is rewritten with the transport protocol of the other side's
 * leg, so an SRTP phone can talk to a PBX without SRTP and the media
 * is encrypted outside.
 *
 * Everything runs on the proxy's loop thread; the counters the
 * metrics page reads are atomics.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_MEDIA_MEDIA_H
#define CENTINELA_MEDIA_MEDIA_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cfg.h"
#include "core/loop.h"
#include "core/str.h"
#include "net/sa.h"
#include "sip/sip.h"

/* Which kind of network a leg of a call faces. */
enum media_leg {
	MEDIA_LEG_EDGE = 0, /* phones: edge_protocol (SRTP) */
	MEDIA_LEG_CORE /* PBX, carriers: core_protocol (plain RTP) */
};

/*
 * Own limits of the anchor (docs/MEDIA.md, "Limits of the anchor").
 * Offers and answers in flight to rtpengine: per call, and altogether;
 * over either the message is refused as our own overload (EBUSY), not
 * as an rtpengine failure.
 */
#define MEDIA_INFLIGHT_PER_CALL 2
#define MEDIA_INFLIGHT_MAX 1024
/* Offers stop short of it: answers of calls under way keep room. */
#define MEDIA_INFLIGHT_OFFERS (MEDIA_INFLIGHT_MAX - MEDIA_INFLIGHT_MAX / 8)
/* A deleted call's INVITE is not offered again for this long (Timer B). */
#define MEDIA_TOMB_MS (32 * 1000)
#define MEDIA_TOMB_SLOTS 4096
/*
 * An unconfirmed call nothing was heard of (offer, answer, provisional
 * response: media_touch) for this long is deleted at rtpengine. A UAS
 * that rings sends a provisional at least every minute (RFC 3261
 * 13.3.1.1) and proxies give up after Timer C (> 3 min, 16.6 item 11).
 */
#define MEDIA_EARLY_IDLE_MS (300 * 1000)

/* Where a party of a call is reached, for the BYE of a media timeout. */
struct media_party {
	enum sip_transport tp;
	struct sa addr;
	uint64_t conn_id; /* stream connection, 0: any */
	char uri[256]; /* its Contact URI: the BYE's Request-URI */
	char hdr[512]; /* its From / To value, tag included */
	/*
	 * The Route set toward it, comma-separated as a Route header
	 * value, empty when it is reached directly: for the caller the
	 * Record-Route values of its INVITE as received.
	 */
	char route[512];
	bool incomplete; /* a value above did not fit: no BYE possible */
	uint32_t cseq; /* highest CSeq it used in the dialog */
};

/* A call the media anchor ends (media stopped). */
struct media_end {
	struct str call_id;
	const struct media_party *caller;
	const struct media_party *callee;
};

/*
 * A command's outcome: err 0 and the rewritten SDP (valid during the
 * callback only), ETIMEDOUT (no rtpengine answered), EPROTO (rtpengine
 * refused it; "why" says how) or EBADMSG (a reply without an SDP).
 */
typedef void(media_done_h)(int err, struct str sdp, struct str why, void *arg);
/* A confirmed call lost its media: end it (the call is then deleted). */
typedef void(media_end_h)(const struct media_end *e, void *arg);

struct media;

/*
 * Start the anchor when the configuration asks for one (media.enabled
 * and at least one rtpengine address); *mp is NULL otherwise. Returns
 * 0 or an errno value (the rtpengine sockets, memory).
 */
int media_alloc(struct media **mp, struct loop *l, const struct cfg *cfg,
    media_end_h *on_end, void *arg);
/* Stop it; pending commands are dropped without their callbacks. */
void media_free(struct media *m);

/* Is this call anchored? */
bool media_is_anchored(const struct media *m, struct str call_id);
/*
 * Does request or response "msg" belong to the anchored call's dialog?
 * A confirmed call: its From/To tags are the caller's and the callee's
 * (the 2xx that confirmed it), in either direction. An unconfirmed
 * call: the From tag is the caller's and, without a To tag (the INVITE
 * itself, its CANCEL, a response to it), CSeq number and -- for a
 * request -- the top Via branch are the INVITE's that created the call.
 * false also when the call is not anchored.
 */
bool media_in_dialog(const struct media *m, const struct sip_msg *msg);

/* Does a message's body carry a session description we can read? */
enum media_body {
	MEDIA_BODY_NONE,
	MEDIA_BODY_SDP, /* application/sdp, or no Content-Type (RFC 3261 20.15) */
	MEDIA_BODY_OTHER, /* not media */
	MEDIA_BODY_UNREADABLE /* SDP inside multipart, or encoded */
};
enum media_body media_body_kind(const struct sip_msg *msg);

/*
 * Send the offer of request "req" (INVITE or UPDATE carrying "sdp"),
 * toward leg "toward". For a call not anchored yet, "caller_leg" is the
 * side the request came from and "caller" where it is reached; for an
 * anchored call both come from the call (NULL is fine) and "toward" is
 * the other side of the sender. "done" runs once with "arg" (unless
 * media_cancel). Returns 0, ENOSPC (max_calls anchored), EBUSY (our
 * cap: MEDIA_INFLIGHT_PER_CALL offers/answers of this call or
 * MEDIA_INFLIGHT_MAX in all are in flight, or the rtpengine client is
 * full; counted in centinela_media_capped_total), EALREADY (the
 * INVITE -- same Call-ID, From tag, CSeq and branch -- of a call deleted
 * less than MEDIA_TOMB_MS ago: a late retransmission, not offered
 * again), EEXIST (the Call-ID is anchored, or being anchored, for
 * another dialog: another caller's initial INVITE, or a request whose
 * tags are not the call's), ENOMEM, or EINVAL (no Call-ID or From tag;
 * too long).
 */
int media_offer(struct media *m, const struct sip_msg *req, struct str sdp,
    enum media_leg toward, enum media_leg caller_leg,
    const struct media_party *caller, media_done_h *done, void *arg);
/*
 * The leg an in-dialog request of an anchored call goes to: the other
 * side of whoever sent it (by From tag). false: not anchored.
 */
bool media_leg_of(
    const struct media *m, const struct sip_msg *req, enum media_leg *toward);
/*
 * Send the answer in response "rsp" (to the INVITE or UPDATE that was
 * offered). Returns as media_offer (EBUSY: over our cap; the response
 * should be dropped as our overload, a 2xx comes again); ENOENT when
 * the call is not anchored.
 */
int media_answer(struct media *m, const struct sip_msg *rsp, struct str sdp,
    media_done_h *done, void *arg);
/*
 * The 2xx "rsp" to the call's INVITE went to the caller: the call is
 * up; "callee" is where the callee is reached (the media timeout's
 * BYE). A no-op for a call not anchored.
 */
void media_confirm(struct media *m, const struct sip_msg *rsp,
    const struct media_party *callee);
/* A request of the dialog passed: remember its CSeq (for our BYE). */
void media_note_request(struct media *m, const struct sip_msg *req);
/*
 * A provisional response (101..199) of the call's INVITE passed: the
 * call is still ringing (MEDIA_EARLY_IDLE_MS counts from the last one).
 * A no-op for a call not anchored or another dialog (media_in_dialog).
 */
void media_touch(struct media *m, const struct sip_msg *rsp);
/*
 * Delete the call at rtpengine and forget it (no-op if not anchored),
 * whoever asks: for the messages of a call use media_delete_msg.
 */
void media_delete(struct media *m, struct str call_id);
/*
 * "msg" ends the call -- a BYE, a final failure (>= 300) to its INVITE
 * or our own refusal of that INVITE: delete it when "msg" belongs to
 * its dialog (media_in_dialog). A BYE with a foreign tag (forged,
 * stray, another fork's) or a refused second INVITE with the same
 * Call-ID leaves the media alone (counted as
 * centinela_media_foreign_deletes_total). true: deleted.
 */
bool media_delete_msg(struct media *m, const struct sip_msg *msg);
/*
 * We refused "req", the INVITE that created the call, ourselves
 * (statelessly, after its offer): delete as media_delete_msg but leave
 * no tombstone, so each copy of it is refused again, not dropped.
 */
bool media_refused(struct media *m, const struct sip_msg *req);
/* Is the call answered (media_confirm)? */
bool media_is_confirmed(const struct media *m, struct str call_id);
/* Forget every command whose arg is "arg". */
void media_cancel(struct media *m, const void *arg);
/* Anchored calls now. */
unsigned media_calls(const struct media *m);

/* Counted here, shown with the rest on the metrics page. */
void media_count_unanchored(struct media *m);

#endif /* CENTINELA_MEDIA_MEDIA_H */

/*
 * guard/media.c -- the media policy (docs/MEDIA.md): what a session
 * description may offer, and the rtpengine anchor's offer.
 *
 * On INVITE, UPDATE, PRACK and ACK carrying a body, with media.enabled:
 *
 *  1. The body must be one we can read: Content-Type application/sdp
 *     without Content-Encoding. SDP hidden in a multipart body or
 *     compressed would pass the policy unread: 488 media_unsupported.
 *     Other content types carry no media and pass.
 *  2. It must parse (media/sdp.h, the configured limits): else 400
 *     (malformed) or 488 (over a limit), Reason sdp_malformed.
 *  3. From a role listed in media.require_encryption, every active
 *     stream must be encrypted (SRTP with SDES or MIKEY keys, DTLS-SRTP
 *     with a fingerprint, or TLS): else 488 media_unencrypted. An
 *     initial INVITE without SDP from such a role is refused the same
 *     way: its offer would come in the 2xx and its answer in the ACK,
 *     which cannot be refused.
 *  4. SDES keys (a=crypto) travel in the SIP message itself: received
 *     over a transport other than TLS they were exposed on the way in,
 *     and the answer's keys would go back the same way: 488
 *     media_keys_exposed. (Keys going out over a hop that is not TLS
 *     are refused by the proxy, which knows the next hop.)
 *  5. With an anchor (media.rtpengine), an offer (INVITE or UPDATE with
 *     SDP) of a call with a phone on one side -- from a public source,
 *     or from a pbx or carrier peer to a registered user -- or of a
 *     call already anchored, is sent to rtpengine and the request
 *     parked (PENDING) until the rewritten SDP comes back; the body is
 *     then replaced. No answer: 503 + Reason media_anchor_failed
 *     (on_failure = "reject") or the call passes unanchored ("pass",
 *     rule 4 and the proxy's next-hop rule still apply). In an
 *     anchored call, offers and answers outside INVITE/UPDATE and their
 *     responses (late offers, SDP in PRACK or ACK) are refused: the
 *     anchor would be bypassed.
 *
 * A retransmission (the request matches a transaction) is not offered
 * again: its transaction sends its stored, rewritten copy. One that
 * comes after its transaction and its call are gone (a late INVITE
 * retransmission after the call was deleted) is dropped: the anchor
 * remembers deleted calls' INVITEs for Timer B (media.h, EALREADY).
 *
 * The anchor's own cap on offers and answers in flight, per call and in
 * all (EBUSY), is answered as our overload (503): never passed
 * unanchored, never raised as an rtpengine alert. (max_calls, ENOSPC,
 * keeps the on_failure rule.)
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "fraud/alert.h"
#include "fraud/fraudrt.h"
#include "guard/guard.h"
#include "media/media.h"
#include "media/sdp.h"

/* Fill "res" for a refusal with a Reason header in plain words. */
static enum guard_vd
refuse(struct guard_ctx *gx, struct guard_result *res, uint16_t status,
    enum reason why, const char *text, const char *detail)
{
	char t[sizeof(gx->extra_buf)];

	snprintf(t, sizeof(t), "%s%s%s", text, detail ? ": " : "",
	    detail ? detail : "");
	return guard_refuse(gx, res, status,
	    status == 400     ? STR("Bad Request") :
		status == 503 ? STR("Service Unavailable") :
				STR("Not Acceptable Here"),
	    why, status == 503 ? 30 : 0, t);
}

static bool
is_initial_invite(const struct sip_msg *msg)
{
	return msg->method == SIP_METHOD_INVITE && !msg->to.tag.len;
}

/*
 * rtpengine failed a call: an alert (the router runs with the fraud
 * runtime; it folds repeats of the same rule and subject together),
 * critical when calls are refused, a warning when they pass unanchored.
 */
static void
raise_alert(struct guard_ctx *gx, const struct sip_msg *msg, const char *why)
{
	struct alert_router *ar = frt_alerts(gx->env->fraud);
	char text[256], id[ALERT_ID_MAX];
	bool pass = gx->cfg->media.on_failure == MEDIA_FAIL_PASS;

	if (!ar)
		return;
	snprintf(text, sizeof(text),
	    "rtpengine failed to anchor call %.*s (%s%s%s); calls are %s",
	    (int)(msg->call_id.len > 80 ? 80 : msg->call_id.len),
	    msg->call_id.s,
	    gx->media_err == ETIMEDOUT ? "no answer" : "refused",
	    why[0] ? ": " : "", why,
	    pass ? "passing unanchored" : "refused with 503");
	alert_raise(ar, pass ? ALERT_WARNING : ALERT_CRITICAL,
	    "media_anchor_failed", "rtpengine", text, id);
}

/* The resumed request: rtpengine's answer to our offer. */
static enum guard_vd
resumed(
    struct guard_ctx *gx, const struct sip_msg *msg, struct guard_result *res)
{
	char why[96];

	gx->media_have = false;
	if (gx->media_err == 0) {
		gx->edit_body_set = true;
		gx->edit_body = gx->media_sdp;
		return GUARD_CONTINUE;
	}
	snprintf(why, sizeof(why), "%.*s",
	    (int)(gx->media_why.len > 64 ? 64 : gx->media_why.len),
	    gx->media_why.s ? gx->media_why.s : "");
	log_printf(LOGL_WARN, "media: call %.*s not anchored (%s%s%s); %s",
	    STR_FMT(msg->call_id),
	    gx->media_err == ETIMEDOUT	? "rtpengine does not answer" :
		gx->media_err == EPROTO ? "rtpengine refused it" :
					  "rtpengine failed",
	    why[0] ? ": " : "", why,
	    gx->cfg->media.on_failure == MEDIA_FAIL_PASS ? "passed unanchored" :
							   "refused with 503");
	raise_alert(gx, msg, why);
	if (gx->cfg->media.on_failure == MEDIA_FAIL_PASS &&
	    !media_is_anchored(gx->media, msg->call_id)) {
		media_count_unanchored(gx->media);
		return GUARD_CONTINUE;
	}
	return refuse(gx, res, 503, REASON_MEDIA_ANCHOR,
	    "media anchor unavailable", NULL);
}

/*
 * The caller's route set as we would use it for a BYE toward it: the
 * Record-Route values of its INVITE as received (the proxy nearest to
 * us first). false: it does not fit.
 */
static bool
caller_route(const struct sip_msg *msg, char *dst, size_t cap)
{
	const struct sip_hdr *h;
	struct str v;
	size_t len = 0;

	dst[0] = '\0';
	for (h = sip_msg_hdr(msg, SIP_HDR_RECORD_ROUTE); h;
	     h = sip_msg_hdr_next(msg, h)) {
		v = str_trim(h->value);
		if (!v.len)
			continue;
		if (len + (len ? 2 : 0) + v.len >= cap) {
			dst[0] = '\0';
			return false;
		}
		if (len) {
			memcpy(dst + len, ", ", 2);
			len += 2;
		}
		memcpy(dst + len, v.s, v.len);
		len += v.len;
		dst[len] = '\0';
	}
	return true;
}

/* Where the sender of "msg" is reached, for a media-timeout BYE. */
static void
caller_party(
    struct guard_ctx *gx, const struct sip_msg *msg, struct media_party *caller)
{
	const struct sip_hdr *h;
	struct sip_addr a;
	struct str rest, v;

	memset(caller, 0, sizeof(*caller));
	caller->tp = gx->tp;
	caller->addr = *gx->src;
	caller->conn_id = gx->media_conn_id;
	if ((h = sip_msg_hdr(msg, SIP_HDR_CONTACT)) != NULL) {
		rest = h->value;
		if (sip_hdr_next_value(&rest, &v) &&
		    sip_addr_parse(v, &a) == 0 &&
		    str_copy_cstr(a.uri_raw, caller->uri, sizeof(caller->uri)))
			caller->incomplete = true;
	}
	if ((h = sip_msg_hdr(msg, SIP_HDR_FROM)) != NULL &&
	    str_copy_cstr(h->value, caller->hdr, sizeof(caller->hdr)))
		caller->incomplete = true;
	/* Said when the BYE is due (media/anchor.c), not per call here. */
	if (!caller_route(msg, caller->route, sizeof(caller->route)))
		caller->incomplete = true;
}

/* Send the offer and park; or decide now when that is impossible. */
static enum guard_vd
offer(struct guard_ctx *gx, const struct sip_msg *msg, enum media_leg toward,
    enum media_leg caller_leg, struct guard_result *res)
{
	struct media_party caller;
	int err = EAGAIN;

	caller_party(gx, msg, &caller);
	if (gx->park_media)
		err = media_offer(gx->media, msg, msg->body, toward, caller_leg,
		    &caller, gx->park_media, gx->park);
	if (err == 0)
		return GUARD_PENDING;
	/*
	 * Our own limits are not rtpengine failing: a Call-ID or tag too
	 * long to carry is the request's fault, no parking slot is our
	 * overload; neither may pass unanchored nor raise an alert.
	 */
	if (err == EINVAL)
		return refuse(gx, res, 400, REASON_SDP_MALFORMED,
		    "Call-ID or tag too long to anchor the call", NULL);
	if (err == EAGAIN)
		return refuse(gx, res, 503, REASON_OVERLOAD,
		    "too many calls waiting for the media anchor", NULL);
	if (err == EBUSY)
		return refuse(gx, res, 503, REASON_OVERLOAD,
		    "too many SDP offers in flight to the media anchor", NULL);
	/*
	 * The INVITE of a call just deleted, its transaction gone: a late
	 * retransmission. Offering it again would anchor a call nobody
	 * ends; answering it would answer a transaction that is over.
	 */
	if (err == EALREADY) {
		res->reason = REASON_MEDIA_CALL_ENDED;
		return GUARD_DROP;
	}
	/* Two dialogs in one anchored call: one could ride the other. */
	if (err == EEXIST)
		return refuse(gx, res, 403, REASON_MEDIA_CALL_CONFLICT,
		    "Call-ID anchored for another dialog", NULL);
	gx->media_err = err;
	gx->media_why =
	    err == ENOSPC ? STR("too many anchored calls") : STR_NULL;
	return resumed(gx, msg, res);
}

static enum guard_vd
media_on_request(
    struct guard_ctx *gx, const struct sip_msg *msg, struct guard_result *res)
{
	const struct cfg_media *mc = &gx->cfg->media;
	static struct sdp sdp; /* one loop thread; 20 KB off the stack */
	struct sdp_limits lim;
	enum media_leg toward, caller_leg;
	const char *why;
	char detail[96];
	bool anchored;
	int err;

	if (!mc->enabled)
		return GUARD_CONTINUE;
	if (gx->media_have)
		return resumed(gx, msg, res);
	if (msg->method == SIP_METHOD_BYE || msg->method == SIP_METHOD_CANCEL)
		return GUARD_CONTINUE;
	anchored = media_is_anchored(gx->media, msg->call_id);
	if (anchored && msg->to.tag.len)
		media_note_request(gx->media, msg);
	if (msg->method != SIP_METHOD_INVITE &&
	    msg->method != SIP_METHOD_UPDATE &&
	    msg->method != SIP_METHOD_PRACK && msg->method != SIP_METHOD_ACK)
		return GUARD_CONTINUE;

	switch (media_body_kind(msg)) {
	case MEDIA_BODY_OTHER:
		return GUARD_CONTINUE;
	case MEDIA_BODY_UNREADABLE:
		return refuse(gx, res, 488, REASON_MEDIA_UNSUPPORTED,
		    "SDP in a multipart or encoded body is not accepted", NULL);
	case MEDIA_BODY_NONE:
		if (is_initial_invite(msg) && !gx->in_txn &&
		    gx->role < CFG_MEDIA_NROLES &&
		    mc->require_encryption[gx->role])
			return refuse(gx, res, 488, REASON_MEDIA_UNENCRYPTED,
			    "an SDP offer is required", NULL);
		if (anchored && msg->method == SIP_METHOD_INVITE && !gx->in_txn)
			return refuse(gx, res, 488, REASON_MEDIA_UNSUPPORTED,
			    "an offer is required in an anchored call", NULL);
		/*
		 * A late offer (in the 2xx, answered in the ACK) would
		 * bypass the anchor: calls that would be anchored must
		 * offer in the INVITE.
		 */
		if (is_initial_invite(msg) && !gx->in_txn && gx->media &&
		    (gx->role == ROLE_PUBLIC || gx->media_to_user))
			return refuse(gx, res, 488, REASON_MEDIA_UNSUPPORTED,
			    "an SDP offer is required (media is anchored)",
			    NULL);
		return GUARD_CONTINUE;
	case MEDIA_BODY_SDP:
		break;
	}

	lim.max_body = SDP_DEFAULT_MAX_BODY;
	lim.max_line_len = mc->max_line_len;
	lim.max_media = mc->max_media;
	lim.max_attrs = mc->max_attributes;
	err = sdp_parse(&sdp, msg->body, &lim);
	if (err) {
		if (sdp.err_line)
			snprintf(detail, sizeof(detail), "%s (line %u)",
			    sdp.err, sdp.err_line);
		else
			snprintf(detail, sizeof(detail), "%s", sdp.err);
		return refuse(gx, res, err == EMSGSIZE ? 488 : 400,
		    REASON_SDP_MALFORMED, "malformed SDP", detail);
	}
	if (gx->role < CFG_MEDIA_NROLES && mc->require_encryption[gx->role] &&
	    (why = sdp_unencrypted_why(&sdp, NULL)) != NULL)
		return refuse(gx, res, 488, REASON_MEDIA_UNENCRYPTED,
		    "media must be encrypted", why);
	if (sdp_has_sdes(&sdp) && gx->tp != SIP_TP_TLS)
		return refuse(gx, res, 488, REASON_MEDIA_KEYS_EXPOSED,
		    "SDES keys over an unencrypted transport", gx->tp_name);

	if (!gx->media || gx->in_txn)
		return GUARD_CONTINUE;
	if (msg->method == SIP_METHOD_PRACK || msg->method == SIP_METHOD_ACK) {
		if (anchored)
			return refuse(gx, res, 488, REASON_MEDIA_UNSUPPORTED,
			    "SDP in PRACK or ACK in an anchored call", NULL);
		return GUARD_CONTINUE;
	}
	if (anchored) {
		if (!media_leg_of(gx->media, msg, &toward))
			return GUARD_CONTINUE;
		return offer(gx, msg, toward, toward, res);
	}
	if (msg->to.tag.len)
		return GUARD_CONTINUE; /* a dialog we do not anchor */
	if (gx->role == ROLE_PUBLIC) {
		caller_leg = MEDIA_LEG_EDGE;
		toward = MEDIA_LEG_CORE;
	} else if (gx->media_to_user) {
		caller_leg = MEDIA_LEG_CORE;
		toward = MEDIA_LEG_EDGE;
	} else
		return GUARD_CONTINUE; /* core to core: not anchored */
	if (msg->method != SIP_METHOD_INVITE)
		return GUARD_CONTINUE;
	return offer(gx, msg, toward, caller_leg, res);
}

const struct guard_ops guard_media = {
	.name = "media",
	.on_request = media_on_request,
};

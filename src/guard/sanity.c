/*
 * guard/sanity.c -- request sanity checks beyond syntax (RFC 3261
 * sections 8.2.2, 16.3): the parser has already rejected what is
 * malformed; here we reject what is well-formed but unacceptable.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "guard/guard.h"

static enum guard_vd
reply(
    struct guard_result *res, uint16_t status, struct str phrase, enum reason r)
{
	res->status = status;
	res->phrase = phrase;
	res->reason = r;
	return res->status ? GUARD_REPLY : GUARD_DROP;
}

static enum guard_vd
sanity_request(
    struct guard_ctx *gx, const struct sip_msg *msg, struct guard_result *res)
{
	const struct sip_via *via;
	enum guard_vd vd = GUARD_CONTINUE;

	if (!msg->is_request)
		return GUARD_CONTINUE;
	if (msg->nvia == 0 || !msg->call_id.len ||
	    msg->first[SIP_HDR_FROM] < 0 || msg->first[SIP_HDR_TO] < 0 ||
	    msg->first[SIP_HDR_CSEQ] < 0)
		vd = reply(res, 400, STR("Missing Mandatory Header"),
		    REASON_MISSING_HEADER);
	else if (msg->method == SIP_METHOD_INVITE &&
	    msg->first[SIP_HDR_CONTACT] < 0)
		vd = reply(
		    res, 400, STR("Missing Contact"), REASON_MISSING_HEADER);
	else if (!str_eq(msg->cseq.method_s, msg->method_s))
		vd = reply(res, 400, STR("CSeq Method Mismatch"),
		    REASON_CSEQ_MISMATCH);
	else if (msg->has_max_forwards && msg->max_forwards == 0)
		vd = reply(res, 483, STR("Too Many Hops"), REASON_MAX_FORWARDS);
	else if (msg->has_content_length &&
	    msg->body.len != msg->content_length)
		vd = reply(
		    res, 400, STR("Bad Content-Length"), REASON_CONTENT_LENGTH);
	else if (msg->ruri.scheme != SIP_SCHEME_SIP &&
	    msg->ruri.scheme != SIP_SCHEME_SIPS &&
	    msg->ruri.scheme != SIP_SCHEME_TEL)
		vd = reply(res, 416, STR("Unsupported URI Scheme"),
		    REASON_UNSUPPORTED_URI);
	else if (msg->first[SIP_HDR_PROXY_REQUIRE] >= 0)
		/* We support no extension a client could require of us. */
		vd =
		    reply(res, 420, STR("Bad Extension"), REASON_BAD_EXTENSION);
	if (vd != GUARD_CONTINUE)
		goto out;
	via = &msg->via[0];
	if (!via->host.len || via->transport == SIP_TP_NONE ||
	    via->transport == SIP_TP_OTHER)
		vd = reply(res, 400, STR("Bad Via"), REASON_BAD_VIA);
out:
	/* ACK gets no response (RFC 3261 section 17.2.1): drop instead. */
	if (vd == GUARD_REPLY &&
	    (msg->method == SIP_METHOD_ACK || gx->cfg->sanity_drop))
		vd = GUARD_DROP;
	return vd;
}

const struct guard_ops guard_sanity = {
	.name = "sanity",
	.on_request = sanity_request,
};

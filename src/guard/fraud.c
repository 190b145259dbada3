/*
 * guard/fraud.c -- the toll-fraud rules on initial INVITEs: after the
 * caller authenticated (its account) or came from a customer trunk (the
 * peer's name), the rules engine decides on the call (fraud/fraudrt.h).
 * A call that passes is counted and carried to the proxy in the
 * context (gx->fraud_ref), which follows its dialog once it is routed.
 * A refusal is answered 403 with the rule's reason code in a Reason
 * header; a concurrency cap 503 with Retry-After. A new INVITE with
 * the Call-ID and From tag of a call already followed is a merged
 * request (RFC 3261 8.2.2.2): 482, so nobody can place a second call
 * under the first one's count.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "callerid/cid.h"
#include "core/log.h"
#include "fraud/fraudrt.h"
#include "guard/guard.h"

static enum guard_vd
fraud_on_request(
    struct guard_ctx *gx, const struct sip_msg *msg, struct guard_result *res)
{
	struct frt *r = gx->env->fraud;
	struct fraud_decision d;
	struct fraud_callref *ref = NULL;
	struct fraud_call call;
	struct number num;
	const struct number *called = NULL;
	const struct cli *cli;
	char acct[STORE_USER_MAX + STORE_DOMAIN_MAX + 2];
	int n, rc;

	if (!r || msg->method != SIP_METHOD_INVITE || msg->to.tag.len ||
	    gx->in_txn)
		return GUARD_CONTINUE;
	memset(&call, 0, sizeof(call));
	if (gx->acct) {
		n = snprintf(acct, sizeof(acct), "%.*s@%.*s",
		    (int)gx->acct->ac_user.len, gx->acct->ac_user.s,
		    (int)gx->acct->ac_domain.len, gx->acct->ac_domain.s);
		if (n > 0 && (size_t)n < sizeof(acct))
			call.account = str_make(acct, (size_t)n);
	}
	if (gx->peer && gx->peer->role == ROLE_CUSTOMER)
		call.trunk = str_make(gx->peer->name, strlen(gx->peer->name));
	if (!call.account.len && !call.trunk.len)
		return GUARD_CONTINUE;
	if (frt_dialog_known(r, msg->call_id, msg->from.tag)) {
		res->reason = REASON_LOOP;
		res->status = 482;
		res->phrase = STR("Loop Detected");
		return GUARD_REPLY;
	}
	call.now = (int64_t)time(NULL);
	if (gx->env->cid)
		called = callerid_numbers(gx, msg, &cli);
	else if (msg->ruri.user.len &&
	    number_parse(frt_plan(r), msg->ruri.user, gx->cfg->callerid.bare_cc,
		call.now, &num) == 0)
		called = &num;
	if (called)
		call.called = str_make(called->e164, strlen(called->e164));
	rc = frt_call(r, &call, &d, &ref);
	if (rc && rc != ENOSPC) {
		/* EINVAL (a clock before 1970) or ENOMEM: not counted. */
		log_printf(
		    LOGL_ERROR, "fraud: call not evaluated: %s", strerror(rc));
		res->reason = REASON_OVERLOAD;
		res->status = 500;
		res->phrase = STR("Server Internal Error");
		return GUARD_REPLY;
	}
	switch (d.vd) {
	case FRAUD_PASS:
		gx->fraud_ref = ref;
		gx->fraud_dclass = d.dclass;
		return GUARD_CONTINUE;
	case FRAUD_CAP:
		return guard_refuse(gx, res, 503, STR("Service Unavailable"),
		    d.reason, d.retry_after ? d.retry_after : 1,
		    reason_name(d.reason));
	case FRAUD_REJECT:
	case FRAUD_SUSPEND:
	default:
		return guard_refuse(gx, res, 403, STR("Forbidden"), d.reason, 0,
		    reason_name(d.reason));
	}
}

const struct guard_ops guard_fraud = {
	.name = "fraud",
	.on_request = fraud_on_request,
};

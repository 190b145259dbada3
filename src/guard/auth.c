/*
 * guard/auth.c -- the auth guard: requests from "public" sources must
 * carry valid digest credentials (auth/auth.h does the work).
 *
 * With registrar.mode "forward" the PBX authenticates and this guard
 * stands aside. Exempt: trusted peers (pbx, carrier, customer; only a
 * pbx may REGISTER without credentials), ACK (it cannot start
 * anything), CANCEL (one that matches nothing gets 481 anyway), OPTIONS
 * to centinela itself (keep-alive pings; it names no user),
 * retransmissions of a request that already passed, and in-dialog
 * requests that carry our Record-Route with a valid dialog token.
 * Over TLS, a client certificate bound to an account authenticates the
 * requests that speak for that account (mutual TLS, no challenge).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "guard/guard.h"

static enum guard_vd
auth_on_request(
    struct guard_ctx *gx, const struct sip_msg *msg, struct guard_result *res)
{
	if (!gx->auth || !gx->cfg->registrar_local)
		return GUARD_CONTINUE; /* forward mode: the PBX authenticates */
	/*
	 * Trusted peers need no credentials, except that only a pbx may
	 * register on behalf of a user: a customer or carrier trunk must
	 * authenticate as the account like any phone.
	 */
	if (gx->role != ROLE_PUBLIC &&
	    (gx->role == ROLE_PBX || msg->method != SIP_METHOD_REGISTER))
		return GUARD_CONTINUE;
	if (msg->method == SIP_METHOD_ACK || msg->method == SIP_METHOD_CANCEL ||
	    gx->in_txn || gx->dialog_ok || gx->options_self)
		return GUARD_CONTINUE;
	/* Mutual TLS: a certificate bound to an account speaks for it. */
	if (gx->tls_peer) {
		switch (auth_check_cert(gx->auth, msg, gx->src, gx->tp_name,
		    gx->tls_peer, gx->auth_res)) {
		case AUTH_CERT_OK:
			gx->acct = gx->auth_res->acct;
			return GUARD_CONTINUE;
		case AUTH_CERT_REFUSED:
			res->reason = gx->auth_res->reason;
			res->status = 403;
			res->phrase = STR("Forbidden");
			return GUARD_REPLY;
		case AUTH_CERT_NONE:
			break;
		}
	}
	if (auth_check(gx->auth, msg, gx->src, gx->tp_name, gx->tls_peer,
		gx->auth_res)) {
		gx->acct = gx->auth_res->acct;
		return GUARD_CONTINUE;
	}
	res->reason = gx->auth_res->reason;
	res->status = gx->auth_res->status;
	res->phrase = res->status == 401 ? STR("Unauthorized") :
					   STR("Proxy Authentication Required");
	res->extra = gx->auth_res->extra;
	return GUARD_REPLY;
}

const struct guard_ops guard_auth = {
	.name = "auth",
	.on_request = auth_on_request,
};

/*
 * guard/tlspol.c -- the TLS policy guard, before auth (so that no
 * challenge, let alone a credential, crosses a clear-text hop where the
 * policy wants TLS):
 *
 * 1. A peer bound to a client certificate (peers[].tls_id) is only
 *    itself over TLS with that certificate: any request from its
 *    addresses without it gets 403 (tls_cert). Mutual TLS for trunks.
 * 2. On a listener whose profile requires client certificates, a
 *    certificate bound to no account and no peer gets 403 (tls_cert):
 *    a CA that signs every phone of a vendor does not make every such
 *    phone one of ours.
 * 3. tls.require: a REGISTER or INVITE from a source of a listed role
 *    that did not arrive over TLS gets 403 (tls_required) with a
 *    Reason saying so.
 * 4. RFC 5630: a request whose Request-URI is sips: must have come
 *    over TLS (section 4.1: SIPS means TLS on every hop); otherwise
 *    416 Unsupported URI Scheme.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "guard/guard.h"

static enum guard_vd
refuse(struct guard_ctx *gx, struct guard_result *res, unsigned status,
    enum reason r, const char *text)
{
	return guard_refuse(gx, res, (uint16_t)status,
	    status == 416 ? STR("Unsupported URI Scheme") : STR("Forbidden"), r,
	    0, text);
}

/* Is the connection's certificate bound to an account or a peer? */
static bool
cert_bound(const struct guard_ctx *gx)
{
	const struct cfg *cfg = gx->cfg;
	unsigned i;

	if (gx->auth && acct_find_tls(auth_accounts(gx->auth), gx->tls_peer))
		return true;
	for (i = 0; i < cfg->npeers; i++)
		if (cfg->peers[i].tls_id[0] &&
		    tp_tls_id_match(gx->tls_peer, cfg->peers[i].tls_id))
			return true;
	return false;
}

static enum guard_vd
tlspol_on_request(
    struct guard_ctx *gx, const struct sip_msg *msg, struct guard_result *res)
{
	const struct cfg_tls *ct = &gx->cfg->tls;

	if (gx->peer && gx->peer->tls_id[0] &&
	    !tp_tls_id_match(gx->tls_peer, gx->peer->tls_id))
		return refuse(gx, res, 403, REASON_TLS_CERT,
		    "this peer must use TLS with its client certificate");
	if (gx->tls_peer && gx->tls_peer->verify == CFG_TLS_VERIFY_REQUIRE &&
	    !cert_bound(gx))
		return refuse(gx, res, 403, REASON_TLS_CERT,
		    "client certificate not bound to an account or peer");
	if (gx->tp == SIP_TP_TLS)
		return GUARD_CONTINUE;
	if (ct->require[gx->role] &&
	    (msg->method == SIP_METHOD_REGISTER ||
		msg->method == SIP_METHOD_INVITE))
		return refuse(gx, res, 403, REASON_TLS_REQUIRED,
		    "TLS required: use sips: or transport=tls");
	if (msg->ruri.scheme == SIP_SCHEME_SIPS &&
	    msg->method != SIP_METHOD_ACK)
		return refuse(gx, res, 416, REASON_TLS_REQUIRED,
		    "a sips: Request-URI needs TLS on every hop");
	return GUARD_CONTINUE;
}

const struct guard_ops guard_tlspol = {
	.name = "tls",
	.on_request = tlspol_on_request,
};

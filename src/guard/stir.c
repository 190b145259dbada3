/*
 * guard/stir.c -- STIR/SHAKEN on initial INVITEs from peers with a
 * class (R-21 .. R-24):
 *
 *  - verification (stir.verify.classes): the Identity headers are
 *    checked (callerid/stir.c); a certificate not cached yet parks the
 *    request (PENDING) until it is fetched. A pass marks the calling
 *    number verstat=TN-Validation-Passed. A failure is answered with
 *    its code (428, 436, 437, 438, 403 Stale Date, 400), or with
 *    failure = "continue" passes marked TN-Validation-Failed with a
 *    "Reason: STIR;cause=N" header (RFC 9410). No Identity header is
 *    428 only when required; otherwise the number is marked
 *    No-TN-Validation.
 *  - signing (stir.sign.classes, default access): a call without an
 *    Identity header gets one, with attestation A when the calling
 *    number is the operator's and in service, B when the customer is
 *    known but the number is not, C otherwise; and a Date header when
 *    it has none.
 *  - France, on calls to +33 once the Identity is known: a
 *    French calling number from a national or access peer needs an
 *    Identity that passed here, was signed here or (when this class is
 *    not verified here) is carried; otherwise 608 FR-MAN. From an
 *    international peer, a French mobile number not verified here is
 *    withheld (FR-MASK).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "callerid/cid.h"
#include "callerid/stir.h"
#include "core/log.h"
#include "guard/guard.h"

#define IDENTITY_MAX 4

static enum reason
stir_reason(unsigned code)
{
	switch (code) {
	case 428:
		return REASON_STIR_428;
	case 436:
		return REASON_STIR_436;
	case 437:
		return REASON_STIR_437;
	case 403:
		return REASON_STIR_403;
	case 400:
		return REASON_STIR_400;
	default:
		return REASON_STIR_438;
	}
}

static void
add_line(struct guard_ctx *gx, const char *name, const char *value, size_t len)
{
	int n = snprintf(gx->edit_add + gx->edit_len,
	    sizeof(gx->edit_add) - gx->edit_len, "%s: %.*s\r\n", name, (int)len,
	    value);

	if (n > 0 && (size_t)n < sizeof(gx->edit_add) - gx->edit_len)
		gx->edit_len += (size_t)n;
}

static void
verstat(struct guard_ctx *gx, const struct cli *cli, const char *vs)
{
	/* The caller-ID guard's mark (unverified roaming) stands. */
	if (gx->edit_drop & (UINT64_C(1) << SIP_HDR_P_ASSERTED_IDENTITY))
		return;
	callerid_set_verstat(gx, cli, vs);
}

static enum guard_vd
verify(struct guard_ctx *gx, struct cid *c, const struct sip_msg *msg,
    const struct cli *cli, const struct number *called,
    struct guard_result *res, enum cid_ident *id)
{
	const struct cfg_stir *st = &gx->cfg->stir;
	struct str ids[IDENTITY_MAX];
	struct stir_request rq;
	struct stir_result r;
	const struct sip_hdr *h;
	char d[256];
	size_t n = 0;
	int rc;

	for (h = sip_msg_hdr(msg, SIP_HDR_IDENTITY); h && n < IDENTITY_MAX;
	     h = sip_msg_hdr_next(msg, h)) {
		struct str rest = h->value, v;

		while (n < IDENTITY_MAX && sip_hdr_next_value(&rest, &v))
			ids[n++] = v;
	}
	if (n == 0 && !st->verify_required) {
		verstat(gx, cli, "No-TN-Validation");
		return GUARD_CONTINUE;
	}
	memset(&rq, 0, sizeof(rq));
	rq.identity = ids;
	rq.nidentity = n;
	if (cli->valid)
		rq.calling_tn = str_make(cli->num.e164, strlen(cli->num.e164));
	if (called)
		rq.called_tn = str_make(called->e164, strlen(called->e164));
	if ((h = sip_msg_hdr_by_name(msg, STR("Date"))) != NULL)
		rq.date = h->value;
	rq.now = (int64_t)time(NULL);
	rc = stir_verify(cid_stir_loop(c), &rq, &r, gx->park_resume, gx->park);
	if (rc == EINPROGRESS) {
		if (gx->park_resume)
			return GUARD_PENDING;
		/* No room to park: it cannot be verified now. */
		stir_cancel(cid_stir_loop(c), gx->park);
		r.code = 436;
		r.phrase = "Bad Identity Info";
		r.verstat = STIR_VERSTAT_FAILED;
		snprintf(r.detail, sizeof(r.detail), "overloaded");
	} else if (rc) {
		r.code = 500;
		r.phrase = "Server Internal Error";
		r.verstat = STIR_VERSTAT_FAILED;
		snprintf(r.detail, sizeof(r.detail), "%s", strerror(rc));
	}
	if (r.code == 200) {
		*id = CID_IDENT_PASSED;
		verstat(gx, cli, stir_verstat_str(r.verstat));
		return GUARD_CONTINUE;
	}
	snprintf(d, sizeof(d), "guard=stir code=%u trunk=%s: %s", r.code,
	    gx->peer->name, r.detail);
	if (st->verify_shadow || st->verify_continue) {
		*id = CID_IDENT_FAILED;
		guard_trigger(gx->src, stir_reason(r.code), GA_REJECT,
		    st->verify_shadow, msg, gx->tp_name, d);
		verstat(gx, cli, stir_verstat_str(r.verstat));
		if (!st->verify_shadow) {
			char reason[160];
			int k = snprintf(reason, sizeof(reason),
			    "STIR;cause=%u;text=\"%s\"", r.code, r.phrase);

			if (k > 0 && (size_t)k < sizeof(reason))
				add_line(gx, "Reason", reason, (size_t)k);
		}
		return GUARD_CONTINUE;
	}
	log_printf(LOGL_INFO, "stir: %s", d);
	res->reason = stir_reason(r.code);
	res->status = (uint16_t)(r.code == 500 ? 500 : r.code);
	res->phrase = str_make(r.phrase, strlen(r.phrase));
	return GUARD_REPLY;
}

/* Sign the call; true when an Identity header was added. */
static bool
sign(struct guard_ctx *gx, struct cid *c, const struct sip_msg *msg,
    const struct cli *cli, const struct number *called)
{
	struct stir_claims cl;
	struct cid_facts f;
	struct str dest;
	char id[STIR_IDENTITY_MAX], date[STIR_DATE_LEN];
	size_t len;
	int64_t now = (int64_t)time(NULL);
	int rc;

	if (!cli->valid || !called || sip_msg_hdr(msg, SIP_HDR_IDENTITY))
		return false;
	memset(&f, 0, sizeof(f));
	f.now = now;
	f.cli = cli;
	cid_facts_fill(c, &f, gx->peer->name, STR_NULL, gx->peer->provider);
	memset(&cl, 0, sizeof(cl));
	if (f.own == CID_YES && f.in_service != CID_NO)
		cl.attest = 'A';
	else if (gx->peer->pclass == PEER_CLASS_ACCESS)
		cl.attest = 'B';
	else
		cl.attest = 'C';
	cl.orig_tn = str_make(cli->num.e164, strlen(cli->num.e164));
	dest = str_make(called->e164, strlen(called->e164));
	cl.dest_tn = &dest;
	cl.ndest = 1;
	cl.iat = now;
	rc = stir_sign(cid_stir_signer(c), &cl, id, sizeof(id), &len);
	if (rc) {
		log_printf(
		    LOGL_ERROR, "stir: signing failed: %s", strerror(rc));
		return false;
	}
	add_line(gx, "Identity", id, len);
	if (!sip_msg_hdr_by_name(msg, STR("Date")) &&
	    stir_date_fmt(now, date, sizeof(date)) == 0)
		add_line(gx, "Date", date, strlen(date));
	return true;
}

/*
 * The French rules once the Identity is known: FR-MAN blocks,
 * FR-MASK withholds the number.
 */
static enum guard_vd
france(struct guard_ctx *gx, struct cid *c, const struct sip_msg *msg,
    const struct cli *cli, const struct number *called, enum cid_ident id,
    struct guard_result *res)
{
	const struct cfg_peer *peer = gx->peer;
	struct cid_verdict v;
	struct cid_facts f;

	if (!called || called->e164[0] != '3' || called->e164[1] != '3')
		return GUARD_CONTINUE;
	memset(&f, 0, sizeof(f));
	f.now = (int64_t)time(NULL);
	f.channel = CID_CALL;
	f.pclass = peer->pclass;
	f.flags = peer->flags;
	f.cli = cli;
	f.called = called;
	f.ident = id;
	cid_facts_fill(c, &f, peer->name, STR_NULL, peer->provider);
	cid_rules_france(&gx->cfg->callerid, &f, &v);
	return callerid_verdict(gx, msg, &v, CID_CALL, res);
}

static enum guard_vd
stir_request(
    struct guard_ctx *gx, const struct sip_msg *msg, struct guard_result *res)
{
	struct cid *c = gx->env ? gx->env->cid : NULL;
	const struct cfg_stir *st = &gx->cfg->stir;
	const struct cfg_callerid *cc = &gx->cfg->callerid;
	const struct number *called;
	const struct cli *cli;
	enum cid_ident id;
	enum peer_class pc;
	enum guard_vd vd;
	bool verify_on, sign_on, fr;
	int64_t now = (int64_t)time(NULL);

	if (c == NULL || gx->peer == NULL ||
	    gx->peer->pclass == PEER_CLASS_NONE ||
	    msg->method != SIP_METHOD_INVITE || msg->to.tag.len || gx->in_txn)
		return GUARD_CONTINUE;
	pc = gx->peer->pclass;
	verify_on = st->verify_class[pc] && cid_stir_loop(c);
	sign_on = st->sign_class[pc] && cid_stir_signer(c);
	fr = cc->enabled &&
	    (cid_rule_in_force(cc, CID_FR_MAN, now) ||
		cid_rule_in_force(cc, CID_FR_MASK, now));
	if (!verify_on && !sign_on && !fr)
		return GUARD_CONTINUE;
	called = callerid_numbers(gx, msg, &cli);
	id = sip_msg_hdr(msg, SIP_HDR_IDENTITY) ? CID_IDENT_CARRIED :
						  CID_IDENT_NONE;
	if (verify_on) {
		if ((vd = verify(gx, c, msg, cli, called, res, &id)) !=
		    GUARD_CONTINUE)
			return vd;
	} else if (sign_on && sign(gx, c, msg, cli, called))
		id = CID_IDENT_SIGNED;
	return fr ? france(gx, c, msg, cli, called, id, res) : GUARD_CONTINUE;
}

const struct guard_ops guard_stir = {
	.name = "stir",
	.on_request = stir_request,
};

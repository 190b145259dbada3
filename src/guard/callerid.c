/*
 * guard/callerid.c -- the caller-ID guard: an initial INVITE or an
 * out-of-dialog MESSAGE from a peer with a class goes through the
 * caller-ID rules (callerid/rules.c). A block answers 608 Rejected
 * (RFC 8688; configurable) with a Reason header carrying the rule's
 * code and is counted for the reports; a call that passes under R-10
 * gets its calling number marked unverified or withheld.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "callerid/cid.h"
#include "callerid/robinson.h"
#include "guard/guard.h"

/* The sender of a MESSAGE is an alias when its user part has a letter. */
static struct str
sms_alias(const struct sip_msg *msg, const struct cli *cli)
{
	struct str u = msg->from.uri.user;
	size_t i;

	if (cli->source != CLI_FROM && cli->source != CLI_NONE)
		return STR_NULL;
	for (i = 0; i < u.len; i++)
		if ((u.s[i] >= 'a' && u.s[i] <= 'z') ||
		    (u.s[i] >= 'A' && u.s[i] <= 'Z'))
			return u;
	return STR_NULL;
}

static void edit_add(struct guard_ctx *gx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
edit_add(struct guard_ctx *gx, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(gx->edit_add + gx->edit_len,
	    sizeof(gx->edit_add) - gx->edit_len, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(gx->edit_add) - gx->edit_len)
		gx->edit_len += (size_t)n;
}

/*
 * Mark the calling number with a verstat value (3GPP TS 24.229
 * section 7.2A.20): the P-Asserted-Identity is rewritten as a tel: URI
 * of the normalised number carrying it.
 */
void
callerid_set_verstat(
    struct guard_ctx *gx, const struct cli *cli, const char *verstat)
{
	if (!cli->valid)
		return;
	gx->edit_drop |= UINT64_C(1) << SIP_HDR_P_ASSERTED_IDENTITY;
	edit_add(gx, "P-Asserted-Identity: <tel:+%s;verstat=%s>\r\n",
	    cli->num.e164, verstat);
}

void
callerid_withhold(struct guard_ctx *gx, const struct sip_msg *msg)
{
	if (gx->edit_drop & (UINT64_C(1) << SIP_HDR_FROM))
		return; /* withheld already */
	gx->edit_drop |= UINT64_C(1) << SIP_HDR_FROM;
	edit_add(gx,
	    "From: \"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=%.*s\r\n"
	    "Privacy: id\r\n",
	    STR_FMT(msg->from.tag));
}

static void
log_shadow(struct guard_ctx *gx, const struct sip_msg *msg, uint32_t bits,
    const char *trunk)
{
	char d[96];
	unsigned r;

	for (r = 0; r < CID__COUNT; r++) {
		if (!(bits & (1u << r)))
			continue;
		snprintf(d, sizeof(d), "guard=callerid trunk=%s", trunk);
		guard_trigger(gx->src, cid_rule_reason((enum cid_rule)r),
		    GA_REJECT, true, msg, gx->tp_name, d);
	}
}

enum guard_vd
callerid_verdict(struct guard_ctx *gx, const struct sip_msg *msg,
    const struct cid_verdict *v, enum cid_channel ch, struct guard_result *res)
{
	const struct cfg_callerid *cc = &gx->cfg->callerid;

	if (v->shadow)
		log_shadow(gx, msg, v->shadow, gx->peer->name);
	if (v->rule == CID__COUNT) {
		if (v->withhold)
			callerid_withhold(gx, msg);
		return GUARD_CONTINUE;
	}
	cid_count_block(
	    gx->env->cid, (int64_t)time(NULL), v->rule, ch, gx->peer->name);
	if (cc->reason_header)
		return guard_refuse(gx, res, (uint16_t)cc->status,
		    str_make(cc->phrase, strlen(cc->phrase)), v->reason, 0,
		    reason_name(v->reason));
	res->reason = v->reason;
	res->status = (uint16_t)cc->status;
	res->phrase = str_make(cc->phrase, strlen(cc->phrase));
	return GUARD_REPLY;
}

const struct number *
callerid_numbers(
    struct guard_ctx *gx, const struct sip_msg *msg, const struct cli **cli)
{
	const struct cfg_callerid *cc = &gx->cfg->callerid;
	const struct numplan *plan = cid_plan(gx->env->cid);
	int64_t now = (int64_t)time(NULL);

	if (!gx->cid_parsed) {
		cli_from_msg(plan, msg, cc->bare_cc, now, &gx->cid_cli);
		gx->cid_have_called = called_from_msg(
		    plan, msg, cc->bare_cc, now, &gx->cid_called);
		gx->cid_parsed = true;
	}
	*cli = &gx->cid_cli;
	return gx->cid_have_called ? &gx->cid_called : NULL;
}

/*
 * R-19 over the Lista Robinson API: a commercial call or message to a
 * Spanish number that the local list does not hold is asked to the
 * API. false: the request waits for the answer (PENDING).
 */
static bool
robinson_api(struct guard_ctx *gx, struct cid *c, struct cid_facts *f)
{
	struct robinson *r = cid_robinson(c);
	char h[65];

	if (r == NULL || !(f->flags & PEER_F_COMMERCIAL) || !f->called ||
	    !f->called->national || f->robinson == CID_ROB_LISTED ||
	    (f->exempt & (1u << CID_ROBINSON)) ||
	    !cid_rule_in_force(&gx->cfg->callerid, CID_ROBINSON, f->now))
		return true;
	if (gx->robinson_have) {
		f->robinson = gx->robinson_v;
		return true;
	}
	number_robinson_hash(f->called, f->channel == CID_SMS ? "03" : "04", h);
	if (robinson_check(r, h, &f->robinson, gx->park_robinson, gx->park))
		return true;
	if (gx->park_robinson)
		return false;
	f->robinson = CID_ROB_FAILED; /* cannot wait for the answer */
	return true;
}

static enum guard_vd
callerid_request(
    struct guard_ctx *gx, const struct sip_msg *msg, struct guard_result *res)
{
	const struct cfg_callerid *cc = &gx->cfg->callerid;
	struct cid *c = gx->env ? gx->env->cid : NULL;
	const struct cfg_peer *peer = gx->peer;
	struct cid_facts f;
	struct cid_verdict v;
	struct str alias = STR_NULL;
	const char *trunk;

	if (c == NULL || !cc->enabled || peer == NULL ||
	    peer->pclass == PEER_CLASS_NONE || msg->to.tag.len || gx->in_txn)
		return GUARD_CONTINUE;
	if (msg->method != SIP_METHOD_INVITE &&
	    msg->method != SIP_METHOD_MESSAGE)
		return GUARD_CONTINUE;
	trunk = peer->name;
	memset(&f, 0, sizeof(f));
	f.now = (int64_t)time(NULL);
	f.channel = msg->method == SIP_METHOD_MESSAGE ? CID_SMS : CID_CALL;
	f.pclass = peer->pclass;
	f.flags = peer->flags;
	f.called = callerid_numbers(gx, msg, &f.cli);
	if (f.channel == CID_SMS)
		alias = sms_alias(msg, f.cli);
	f.roaming = peer->pclass == PEER_CLASS_INTERNATIONAL &&
	    ((peer->flags & PEER_F_ROAMING) ||
		(cc->roaming_header[0] &&
		    sip_msg_hdr_by_name(msg,
			str_make(
			    cc->roaming_header, strlen(cc->roaming_header)))));
	cid_facts_fill(c, &f, trunk, alias, peer->provider);
	if (!robinson_api(gx, c, &f))
		return GUARD_PENDING;
	if (cid_rules_run(cc, &f, &v) && !v.withhold && v.mark_unverified)
		callerid_set_verstat(gx, f.cli, "No-TN-Validation");
	return callerid_verdict(gx, msg, &v, f.channel, res);
}

const struct guard_ops guard_callerid = {
	.name = "callerid",
	.on_request = callerid_request,
};

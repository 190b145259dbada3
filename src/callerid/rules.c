/*
 * callerid/rules.c -- the caller-ID rules, in the order they are
 * checked:
 *
 *	R-18 calls to a 400 number			ES-R400-DEST
 *	R-15 SMS alias not registered / provider	ES-A8-ALIAS, ES-A8-PRO
 *	R-03 empty calling number			ES-A4.1-EMPTY
 *	R-04 not in the numbering plan			ES-A4.1-PLAN
 *	R-09 Spanish number from abroad (R-10 roaming)	ES-A5.1
 *	R-07 own number from another network		ES-A4.4
 *	R-05 range assigned to no operator		ES-A4.2
 *	R-06 own number given to no customer		ES-A4.3
 *	R-16 mobile number for commercial calls		ES-A9-MOBILE
 *	R-17 commercial call not from 400		ES-R400-ONLY
 *	R-19 called number on the Lista Robinson	ROBINSON
 *
 * and, in cid_rules_france() once the STIR guard knows the Identity:
 *
 *	R-26 French number to France, no MAN Identity	FR-MAN
 *	R-26 French mobile from abroad, unverified	FR-MASK (withholds)
 *
 * R-08 (the same rules for national and international ingress), R-13
 * (800/900 fit the plan) and R-14 (SMS with a numeric sender get the
 * number rules) follow from the structure.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>

#include "callerid/rules.h"

static const enum reason rule_reason[CID__COUNT] = {
#define CID_RULE_REASON(e, r, d) r,
	CID_RULE_LIST(CID_RULE_REASON)
#undef CID_RULE_REASON
};

const char *
cid_channel_name(enum cid_channel ch)
{
	return ch == CID_SMS ? "sms" : "call";
}

enum reason
cid_rule_reason(enum cid_rule rule)
{
	return (unsigned)rule < CID__COUNT ? rule_reason[rule] : REASON_NONE;
}

bool
cid_rule_in_force(const struct cfg_callerid *c, enum cid_rule rule, int64_t now)
{
	return c->rules[rule].enabled && now >= c->rules[rule].from;
}

/*
 * Rule "rule" finds the request offending: true when that blocks it
 * (v filled), false when the rule is not in force, excepted, or in
 * shadow mode (noted in v->shadow).
 */
static bool
hit(const struct cfg_callerid *c, const struct cid_facts *f,
    struct cid_verdict *v, enum cid_rule rule, const char *detail)
{
	uint32_t bit = 1u << rule;

	if (!cid_rule_in_force(c, rule, f->now) || (f->exempt & bit))
		return false;
	if (c->shadow || c->rules[rule].shadow) {
		v->shadow |= bit;
		return false;
	}
	v->rule = rule;
	v->reason = rule_reason[rule];
	v->detail = detail;
	return true;
}

/*
 * A Spanish number from abroad or an own number from another
 * network arriving from abroad: roaming is the exception; when
 * roaming is not confirmed, a mobile number gets the R-10 action and
 * any other number (which cannot roam) is blocked.
 */
static bool
from_abroad(const struct cfg_callerid *c, const struct cid_facts *f,
    struct cid_verdict *v, enum cid_rule rule, const char *detail)
{
	enum num_type t = f->cli->num.type;
	bool can_roam = t == NUM_MOBILE || t == NUM_M2M;

	if (f->roaming && can_roam)
		return false;
	if (!can_roam || c->roaming == CID_ROAMING_BLOCK)
		return hit(c, f, v, rule, detail);
	if (!cid_rule_in_force(c, rule, f->now) || (f->exempt & (1u << rule)))
		return false;
	if (c->shadow || c->rules[rule].shadow) {
		v->shadow |= 1u << rule;
		return false;
	}
	if (c->roaming == CID_ROAMING_MARK)
		v->mark_unverified = true;
	else
		v->withhold = true;
	return false;
}

static bool
number_rules(const struct cfg_callerid *c, const struct cid_facts *f,
    struct cid_verdict *v)
{
	const struct number *n = &f->cli->num;
	bool interconnect = f->pclass == PEER_CLASS_NATIONAL ||
	    f->pclass == PEER_CLASS_INTERNATIONAL;

	if (!f->cli->valid)
		return hit(c, f, v, CID_EMPTY,
		    f->cli->source == CLI_NONE ? "no calling number" :
						 "calling number not numeric");
	if (!n->national)
		return false;
	if (n->fit == NUM_FIT_NONE &&
	    hit(c, f, v, CID_PLAN, "attributed to no service"))
		return true;
	if (n->fit == NUM_FIT_LENGTH &&
	    hit(c, f, v, CID_PLAN, "length does not fit the plan"))
		return true;
	if (n->fit != NUM_FIT_OK)
		return false; /* shadow: the data rules cannot judge it */
	if (f->pclass == PEER_CLASS_INTERNATIONAL &&
	    from_abroad(c, f, v, CID_INTL_SPANISH,
		"Spanish number on an international interface"))
		return true;
	if (interconnect && f->own == CID_YES) {
		if (f->pclass == PEER_CLASS_INTERNATIONAL) {
			if (from_abroad(c, f, v, CID_OWN_FOREIGN,
				"own number from another network"))
				return true;
		} else if (hit(c, f, v, CID_OWN_FOREIGN,
			       "own number from another network"))
			return true;
	}
	if (n->type != NUM_SHORT) {
		if (f->assigned == CID_NO &&
		    hit(c, f, v, CID_UNASSIGNED,
			"range assigned to no operator"))
			return true;
		if (f->assigned == CID_UNKNOWN && !c->no_data_pass &&
		    hit(c, f, v, CID_UNASSIGNED,
			"no numbering register loaded"))
			return true;
	}
	if (f->pclass == PEER_CLASS_ACCESS && f->own == CID_YES &&
	    f->in_service == CID_NO &&
	    hit(c, f, v, CID_OWN_UNALLOCATED,
		"own number not given to any customer"))
		return true;
	return false;
}

static bool
commercial_rules(const struct cfg_callerid *c, const struct cid_facts *f,
    struct cid_verdict *v)
{
	const struct number *n = &f->cli->num;

	if ((f->flags & (PEER_F_COMMERCIAL | PEER_F_CUSTOMER_SERVICE)) &&
	    f->cli->valid && n->national && n->type == NUM_MOBILE &&
	    hit(c, f, v, CID_MOBILE_COMMERCIAL,
		"mobile number for commercial or customer-service calls"))
		return true;
	if ((f->flags & PEER_F_COMMERCIAL) && (f->flags & PEER_F_LEY_10_2025) &&
	    !(f->cli->valid && n->national && n->type == NUM_COMMERCIAL) &&
	    hit(c, f, v, CID_400_ONLY, "commercial call not from 400"))
		return true;
	if (f->flags & PEER_F_COMMERCIAL) {
		if (f->robinson == CID_ROB_LISTED &&
		    hit(c, f, v, CID_ROBINSON,
			"called number on the Lista Robinson"))
			return true;
		if (f->robinson == CID_ROB_FAILED && !c->robinson_fail_open &&
		    hit(c, f, v, CID_ROBINSON,
			"Lista Robinson lookup failed (fail closed)"))
			return true;
	}
	return false;
}

/* A French number (E.164 +33); a French mobile one: +33 6 or 7, 9 digits. */
static bool
is_french(const struct number *n)
{
	return n->e164[0] == '3' && n->e164[1] == '3';
}

static bool
is_french_mobile(const struct number *n)
{
	return is_french(n) && (n->e164[2] == '6' || n->e164[2] == '7') &&
	    strlen(n->e164) == 11;
}

bool
cid_rules_france(const struct cfg_callerid *c, const struct cid_facts *f,
    struct cid_verdict *v)
{
	const struct number *n = &f->cli->num;

	memset(v, 0, sizeof(*v));
	v->rule = CID__COUNT;
	v->reason = REASON_NONE;
	if (!c->enabled || f->pclass == PEER_CLASS_NONE ||
	    f->channel != CID_CALL || !f->called || !is_french(f->called) ||
	    !f->cli->valid)
		return true;
	if (f->pclass != PEER_CLASS_INTERNATIONAL) {
		if (is_french(n) && f->ident != CID_IDENT_PASSED &&
		    f->ident != CID_IDENT_SIGNED &&
		    f->ident != CID_IDENT_CARRIED)
			return !hit(c, f, v, CID_FR_MAN,
			    f->ident == CID_IDENT_FAILED ?
				"French number to France, Identity not valid" :
				"French number to France without Identity");
		return true;
	}
	if (!is_french_mobile(n) || f->ident == CID_IDENT_PASSED ||
	    !cid_rule_in_force(c, CID_FR_MASK, f->now) ||
	    (f->exempt & (1u << CID_FR_MASK)))
		return true;
	if (c->shadow || c->rules[CID_FR_MASK].shadow)
		v->shadow |= 1u << CID_FR_MASK;
	else {
		v->withhold = true;
		v->detail =
		    "French mobile number from abroad, not authenticated";
	}
	return true;
}

bool
cid_rules_run(const struct cfg_callerid *c, const struct cid_facts *f,
    struct cid_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->rule = CID__COUNT;
	v->reason = REASON_NONE;
	if (!c->enabled || f->pclass == PEER_CLASS_NONE)
		return true;
	if (f->channel == CID_CALL && f->called && f->called->national &&
	    f->called->type == NUM_COMMERCIAL &&
	    hit(c, f, v, CID_400_DEST, "calls to 400 numbers are forbidden"))
		return false;
	if (f->channel == CID_SMS && f->alias != CID_ALIAS_NONE) {
		if (f->alias == CID_ALIAS_UNREGISTERED)
			return !hit(c, f, v, CID_ALIAS_UNKNOWN,
			    "alias not in the register");
		if (f->alias == CID_ALIAS_PRO_NOT_ENABLED)
			return !hit(c, f, v, CID_ALIAS_PRO,
			    "provider not enabled for the alias");
		return true;
	}
	if (number_rules(c, f, v))
		return false;
	if (f->channel == CID_CALL && commercial_rules(c, f, v))
		return false;
	return true;
}

/*
 * callerid/rules.h -- the caller-ID rules of Orden TDF/149/2025 and
 * the later instruments (R-03 .. R-19 of docs/CALLERID.md), as a pure
 * function of what is known about one call or message.
 *
 * The caller (guard/callerid.c) looks the numbers up in the numbering
 * data and fills a struct cid_facts; cid_rules_run() applies every
 * rule in force at facts->now in a fixed order and returns the first
 * enforced block. Rules in shadow mode that would have blocked are
 * listed in the verdict and do not stop the evaluation.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CALLERID_RULES_H
#define CENTINELA_CALLERID_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "callerid/number.h"
#include "core/cfg.h"
#include "core/reason.h"

enum cid_channel {
	CID_CALL = 0, /* INVITE */
	CID_SMS /* MESSAGE */
};

const char *cid_channel_name(enum cid_channel ch);

/* A tri-state answer of the numbering data. */
enum cid_tri {
	CID_UNKNOWN = -1, /* no data loaded */
	CID_NO = 0,
	CID_YES = 1
};

/* What the alias register says about an SMS sender alias. */
enum cid_alias {
	CID_ALIAS_NONE = 0, /* the sender is a number, no alias */
	CID_ALIAS_UNREGISTERED,
	CID_ALIAS_PRO_NOT_ENABLED, /* registered, not for this provider */
	CID_ALIAS_OK
};

/* What the Lista Robinson says about the called number. */
enum cid_robinson {
	CID_ROB_UNCHECKED = 0, /* not a commercial call, or no list */
	CID_ROB_CLEAR,
	CID_ROB_LISTED,
	CID_ROB_FAILED /* the lookup failed */
};

/* What the STIR guard knows of the call's Identity. */
enum cid_ident {
	CID_IDENT_NONE = 0, /* no Identity header */
	CID_IDENT_CARRIED, /* an Identity header, not verified here */
	CID_IDENT_FAILED, /* verified here, failed (the call goes on) */
	CID_IDENT_PASSED, /* verified here */
	CID_IDENT_SIGNED /* signed here */
};

struct cid_facts {
	int64_t now;
	enum cid_channel channel;
	enum peer_class pclass; /* of the ingress peer; NONE: no rules */
	unsigned flags; /* PEER_F_* of the ingress peer */

	const struct cli *cli; /* the calling number */
	const struct number *called; /* NULL: no number */
	enum cid_alias alias; /* SMS: the sender is an alias */

	enum cid_tri assigned; /* CLI range assigned by the CNMC */
	enum cid_tri own; /* the operator holds the number */
	enum cid_tri in_service; /* given to a customer */
	bool roaming; /* roaming confirmed */
	uint32_t exempt; /* bit (1 << enum cid_rule): an exception */
	enum cid_robinson robinson;
	enum cid_ident ident; /* for cid_rules_france() only */
};

struct cid_verdict {
	enum cid_rule rule; /* CID__COUNT: nothing blocked */
	enum reason reason; /* REASON_NONE: pass */
	bool mark_unverified; /* R-10 "mark": verstat=No-TN-Validation */
	bool withhold; /* R-10 "withhold": present the call anonymous */
	uint32_t shadow; /* bit (1 << rule): would have blocked (shadow) */
	const char *detail; /* static text: why */
};

/*
 * Apply the rules. Returns true when the request passes (maybe with
 * mark_unverified or withhold), false when v->rule blocks it.
 */
bool cid_rules_run(const struct cfg_callerid *c, const struct cid_facts *f,
    struct cid_verdict *v);

/*
 * The French rules, once the call's Identity is known: a call to
 * a French number (+33) with a French calling number from a national or
 * access peer must carry a valid MAN Identity (FR-MAN, blocks); a call
 * to France from an international peer with a French mobile number
 * (+33 6, +33 7) that was not authenticated is delivered with the
 * number withheld (FR-MASK, v->withhold). Returns false when FR-MAN
 * blocks it.
 */
bool cid_rules_france(const struct cfg_callerid *c, const struct cid_facts *f,
    struct cid_verdict *v);

/* Whether "rule" is enabled and in force at "now". */
bool cid_rule_in_force(
    const struct cfg_callerid *c, enum cid_rule rule, int64_t now);
/* The reason code of a rule. */
enum reason cid_rule_reason(enum cid_rule rule);

#endif /* CENTINELA_CALLERID_RULES_H */

/*
 * guard/chain.c -- the ordered guard chain and its runner.
 *
 * The order here is the order documented in docs/ARCHITECTURE.md.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "core/log.h"
#include "guard/guard.h"

static const struct guard_ops *const guard_chain[] = {
	&guard_sanity,
	&guard_scanner,
	&guard_geo,
	&guard_dnsbl,
	&guard_tlspol,
	&guard_auth,
	&guard_callerid,
	&guard_stir,
	&guard_fraud,
	&guard_media,
};

#define NGUARDS (sizeof(guard_chain) / sizeof(guard_chain[0]))

unsigned
guard_chain_len(void)
{
	return NGUARDS;
}

const char *
guard_chain_name(unsigned i)
{
	return i < NGUARDS ? guard_chain[i]->name : NULL;
}

enum guard_vd
guard_chain_run(
    struct guard_ctx *gx, const struct sip_msg *msg, struct guard_result *res)
{
	unsigned i;

	for (i = gx->resume_at; i < NGUARDS; i++) {
		enum guard_vd vd;

		res->reason = REASON_NONE;
		res->status = 0;
		res->phrase = STR_NULL;
		res->extra = STR_NULL;
		res->guard = guard_chain[i]->name;
		vd = guard_chain[i]->on_request(gx, msg, res);
		if (vd == GUARD_CONTINUE)
			continue;
		if (vd == GUARD_PENDING) {
			gx->resume_at = i;
			return vd;
		}
		if (gx->shadow_mask & (1u << i)) {
			log_printf(LOGL_INFO,
			    "shadow: guard %s would %s "
			    "(reason %s)",
			    res->guard, vd == GUARD_DROP ? "drop" : "reply",
			    reason_name(res->reason));
			continue;
		}
		return vd;
	}
	gx->resume_at = NGUARDS;
	return GUARD_CONTINUE;
}

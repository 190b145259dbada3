/*
 * guard/guard.h -- the guard chain: each security check is one function
 * with one verdict.
 *
 * Guards run in the fixed order of guard_chain[] (guard/chain.c) on
 * every request that parsed. CONTINUE means "passed / not my business";
 * REPLY and DROP stop the chain with a reason code from the program-wide
 * enum; PENDING means the guard waits for data and will be resumed.
 * Guards see a const message. Shadow mode is applied by the runner: a
 * guard in shadow mode is logged and counted but never stops a request.
 * Adding a guard touches its own file and the ordered list in chain.c.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_GUARD_GUARD_H
#define CENTINELA_GUARD_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/auth.h"
#include "core/cfg.h"
#include "core/reason.h"
#include "net/sa.h"
#include "sip/sip.h"

enum guard_vd {
	GUARD_CONTINUE,
	GUARD_REPLY,
	GUARD_DROP,
	GUARD_PENDING
};

/* What a stopping guard decided. */
struct guard_result {
	enum reason reason;
	uint16_t status; /* for REPLY */
	struct str phrase; /* for REPLY; empty: the default */
	struct str extra; /* for REPLY: header lines to add, or empty */
	const char *guard; /* name of the deciding guard */
};

/* Per-request context, owned by the caller for the request's life. */
struct guard_ctx {
	const struct cfg *cfg;
	const struct sa *src;
	enum sip_transport tp;
	enum peer_role role;
	const char *tp_name; /* "udp", "tcp", "tls" */
	/* Authentication (NULL: none). The auth guard fills auth_res. */
	struct auth *auth;
	struct auth_result *auth_res;
	const struct acct *acct; /* set when the request authenticated */
	bool in_txn; /* matches a transaction of ours (retransmission) */
	bool dialog_ok; /* in-dialog with a valid dialog token */
	bool options_self; /* OPTIONS to centinela itself (keep-alive) */
	uint32_t shadow_mask; /* bit i: guard_chain[i] shadow */
	unsigned resume_at; /* chain index for PENDING */
};

struct guard_ops {
	const char *name;
	enum guard_vd (*on_request)(struct guard_ctx *gx,
	    const struct sip_msg *msg, struct guard_result *res);
};

/*
 * Run the chain from gx->resume_at. Returns the verdict of the first
 * guard that did not CONTINUE (res filled), or GUARD_CONTINUE.
 */
enum guard_vd guard_chain_run(
    struct guard_ctx *gx, const struct sip_msg *msg, struct guard_result *res);
/* Number of guards and the name of guard i (for docs and metrics). */
unsigned guard_chain_len(void);
const char *guard_chain_name(unsigned i);

/* The guards. */
extern const struct guard_ops guard_sanity;
extern const struct guard_ops guard_auth;

/* Pre-parse gate: the static deny list, one hash probe per prefix length. */
struct gate;

int gate_alloc(struct gate **gp, const struct cfg *cfg);
void gate_free(struct gate *g);
/* Is this source denied? */
bool gate_denied(const struct gate *g, const struct sa *src);

#endif /* CENTINELA_GUARD_GUARD_H */

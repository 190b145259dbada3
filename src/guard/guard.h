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
#include "callerid/robinson.h"
#include "core/cfg.h"
#include "core/loop.h"
#include "core/reason.h"
#include "guard/dnsbl.h"
#include "net/sa.h"
#include "net/tp.h"
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

struct banset;
struct ban;
struct watch;
struct sigset;
struct geo;
struct dnsbl;
struct feed_sched;
struct cid;
struct frt;
struct fraud_callref;

/*
 * The guard's state, one per worker (guard/env.c): the banset and the
 * ladder, the trigger counters, the signatures, GeoIP, DNSBL, feeds.
 */
struct guard_env {
	const struct cfg *cfg;
	struct loop *loop;
	struct banset *banset;
	struct ban *ban;
	struct watch *watch;
	struct sigset *sigs;
	struct geo *geo; /* NULL: no database configured */
	struct dnsbl *dnsbl; /* NULL: no zones */
	struct feed_sched *feeds; /* NULL: no feeds */
	struct cid *cid; /* caller-ID data; NULL: callerid disabled */
	struct frt *fraud; /* toll-fraud runtime; NULL: fraud disabled */
	struct loop_timer tick; /* once a second: ban expiry, gauges */
	uint64_t scan_version; /* banset version of guard_scan()'s answers */
};

/* Set it all up (restores bans from the store). 0 or an errno value. */
int guard_env_alloc(
    struct guard_env **ep, struct loop *l, const struct cfg *cfg);
void guard_env_free(struct guard_env *e);
/*
 * Before parsing: may a packet from "src" of "role" pass? Checks the
 * banset (an allowlisted source always passes; "banned" >= 0: the
 * banset's answer from guard_scan(), -1: look it up) and, with "rate",
 * the flood bucket. false with *why set: drop it.
 */
bool guard_admit(struct guard_env *e, const struct sa *src, enum peer_role role,
    bool rate, int banned, enum reason *why);
/* The banset's answers for a batch of sources (banset_check_many()). */
void guard_scan(
    struct guard_env *e, const struct sa *src, size_t n, bool *banned);
/* A message from "src" that did not parse or failed sanity. */
void guard_malformed(struct guard_env *e, const struct sa *src);
/* Forget every pending wait (DNSBL, STIR) of the parked request "park". */
void guard_cancel(struct guard_env *e, void *park);
/* Whether some guard may park requests (PENDING). */
bool guard_may_park(const struct guard_env *e);
/* Reload the signature file (SIGHUP). The old set stays on error. */
int guard_reload_signatures(struct guard_env *e);

/* Per-request context, owned by the caller for the request's life. */
struct guard_ctx {
	const struct cfg *cfg;
	struct guard_env *env;
	const struct sa *src;
	enum sip_transport tp;
	enum peer_role role;
	const struct cfg_peer *peer; /* the source's peer entry, or NULL */
	const char *tp_name; /* "udp", "tcp", "tls" */
	/* The client certificate of the TLS connection (NULL: none). */
	const struct tp_tls_peer *tls_peer;
	/* Authentication (NULL: none). The auth guard fills auth_res. */
	struct auth *auth;
	struct auth_result *auth_res;
	const struct acct *acct; /* set when the request authenticated */
	bool in_txn; /* matches a transaction of ours (retransmission) */
	bool dialog_ok; /* in-dialog with a valid dialog token */
	bool options_self; /* OPTIONS to centinela itself (keep-alive) */
	uint32_t shadow_mask; /* bit i: guard_chain[i] shadow */
	unsigned resume_at; /* chain index for PENDING */
	/*
	 * DNSBL: a lookup that must wait calls park_done(verdict, park)
	 * later (the caller keeps the request parked); on resume the
	 * caller sets dnsbl_have and dnsbl_v.
	 */
	dnsbl_done_h *park_done;
	void *park;
	/*
	 * Other waits (a STIR certificate fetch): park_resume(park) is
	 * called later and the caller runs the chain again from resume_at;
	 * the guard then finds its answer cached. NULL: cannot park.
	 */
	void (*park_resume)(void *park);
	bool dnsbl_have;
	struct dnsbl_verdict dnsbl_v;
	/*
	 * Lista Robinson (the caller-ID guard): an API lookup that must
	 * wait calls park_robinson(answer, park) later; on resume the
	 * caller sets robinson_have and robinson_v (an enum cid_robinson).
	 */
	robinson_done_h *park_robinson;
	bool robinson_have;
	enum cid_robinson robinson_v;
	/*
	 * Changes to the request before it is routed (the caller-ID
	 * guard): header fields to drop (bit 1 << enum sip_hdr_id) and
	 * header lines to add; see sip_build_edit().
	 */
	uint64_t edit_drop;
	size_t edit_len;
	char edit_add[2048];
	/*
	 * The numbers the caller-ID guard read (cid_parsed), for the STIR
	 * guard; not kept across a park (cli.raw points into the message).
	 */
	bool cid_parsed;
	bool cid_have_called;
	struct cli cid_cli;
	struct number cid_called;
	/*
	 * The fraud guard: a call it counted, which the caller must hand
	 * to frt_dialog_start() once routed (or frt_call_undo()).
	 */
	struct fraud_callref *fraud_ref;
	unsigned fraud_dclass;
	char extra_buf[160]; /* storage for a guard_result's extra */
	/*
	 * The media guard (guard/media.c). "media" is the anchor (NULL:
	 * none); "media_to_user": an initial request from a pbx or
	 * carrier peer that routing will send to a registered user (a
	 * phone). An offer that must wait for rtpengine calls
	 * park_media(err, sdp, why, park) later; on resume the caller sets
	 * media_have, media_err and media_sdp (the rewritten SDP; kept
	 * alive by the caller until routing is done). The guard then asks
	 * for the body to be replaced: edit_body_set and edit_body (see
	 * sip_build_edit_body()).
	 */
	struct media *media;
	bool media_to_user;
	void (*park_media)(int err, struct str sdp, struct str why, void *park);
	bool media_have;
	int media_err;
	struct str media_sdp;
	struct str media_why;
	bool edit_body_set;
	struct str edit_body;
	uint64_t media_conn_id; /* the inbound stream connection, 0: none */
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

/*
 * A trigger fired for "src": the trigger event (counted, and logged as
 * "action=A mode=enforce|shadow DETAIL"); msg and tp may be NULL.
 */
void guard_trigger(const struct sa *src, enum reason why,
    enum guard_action action, bool shadow, const struct sip_msg *msg,
    const char *tp, const char *detail);

/*
 * What a guard does with an offending request, by action: GA_LOG and
 * shadow mode let it through (an event says what would have happened);
 * GA_DROP drops (403 when guard.answer = "403"), GA_REJECT answers 403,
 * GA_BAN strikes the source ("top": the highest rung) and drops. Emits
 * the trigger event. Returns the verdict, res filled.
 */
enum guard_vd guard_act(struct guard_ctx *gx, const struct sip_msg *msg,
    struct guard_result *res, enum guard_action action, enum reason why,
    bool shadow, bool top, const char *detail);

/*
 * Refuse with "status phrase" and a Reason header in plain words
 * (RFC 3326: Reason: SIP;cause=STATUS;text="TEXT"), preceded by
 * Retry-After when retry_after > 0. The header lines live in
 * gx->extra_buf (TEXT is cut to fit). Returns GUARD_REPLY, res filled.
 */
enum guard_vd guard_refuse(struct guard_ctx *gx, struct guard_result *res,
    uint16_t status, struct str phrase, enum reason why, unsigned retry_after,
    const char *text);

/* The guards. */
extern const struct guard_ops guard_sanity;
extern const struct guard_ops guard_scanner;
extern const struct guard_ops guard_geo;
extern const struct guard_ops guard_dnsbl;
extern const struct guard_ops guard_auth;
extern const struct guard_ops guard_callerid;
extern const struct guard_ops guard_stir;
extern const struct guard_ops guard_fraud;
extern const struct guard_ops guard_tlspol;
extern const struct guard_ops guard_media;

/*
 * Rewrite the request's P-Asserted-Identity as the normalised calling
 * number with ";verstat=VALUE" (the caller-ID and STIR guards).
 */
void callerid_set_verstat(
    struct guard_ctx *gx, const struct cli *cli, const char *verstat);
/* Present the call anonymous (RFC 3323): From and Privacy: id. */
void callerid_withhold(struct guard_ctx *gx, const struct sip_msg *msg);
/*
 * The calling and called numbers of the request: those the caller-ID
 * guard read, or read now. Returns the called number or NULL.
 */
const struct number *callerid_numbers(
    struct guard_ctx *gx, const struct sip_msg *msg, const struct cli **cli);
/*
 * Log the rules that would have blocked in shadow mode (bits of
 * v->shadow); for an enforced block (v->rule) count it, fill "res"
 * (608 and the Reason header, as configured) and return GUARD_REPLY.
 */
enum guard_vd callerid_verdict(struct guard_ctx *gx, const struct sip_msg *msg,
    const struct cid_verdict *v, enum cid_channel ch, struct guard_result *res);

/* Pre-parse gate: the static deny list, one hash probe per prefix length. */
struct gate;

int gate_alloc(struct gate **gp, const struct cfg *cfg);
/* The same over any list of ranges (the allowlist). */
int gate_alloc_list(struct gate **gp, const struct cidr *list, size_t n);
void gate_free(struct gate *g);
/* Is this source denied? */
bool gate_denied(const struct gate *g, const struct sa *src);

#endif /* CENTINELA_GUARD_GUARD_H */

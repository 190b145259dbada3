/*
 * route/route_int.h -- internals shared by proxy.c, txn.c and
 * upstream.c. Not for use outside src/route/.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_ROUTE_ROUTE_INT_H
#define CENTINELA_ROUTE_ROUTE_INT_H

#include <stdatomic.h>

#include "core/cfg.h"
#include "core/loop.h"
#include "guard/guard.h"
#include "net/tp.h"
#include "auth/auth.h"
#include "route/location.h"
#include "media/media.h"
#include "route/proxy.h"
#include "sip/sip.h"

/* Our branch: "z9hG4bKcn" + 16 hex key + 8 hex loop hash + "." + attempt. */
#define BRANCH_PREFIX "z9hG4bKcn"
#define BRANCH_PREFIX_LEN 9
#define PROBE_PREFIX "z9hG4bKcnp"
#define NATPING_PREFIX "z9hG4bKcnk" /* OPTIONS to NATed contacts */
#define BRANCH_MAX 64

/* The inbound side of a request, kept to answer it later. */
struct rx_meta {
	enum sip_transport tp;
	struct sa src;
	struct sa local;
	uint64_t conn_id;
};

/* ---- upstream pool (upstream.c) ---- */

struct upstream {
	const struct cfg_upstream *us_cfg;
	unsigned us_idx;
	_Atomic int us_up;
	unsigned us_fails; /* consecutive */
	unsigned us_oks; /* consecutive */
	uint32_t us_seq;
	bool us_pending;
	uint64_t us_sent_ms; /* loop time */
	uint64_t us_sent_clock; /* clock, for the latency */
	_Atomic uint64_t us_latency_us; /* last probe RTT */
	uint64_t us_last_rx_ms; /* last answer to a transaction */
	_Atomic uint64_t us_probes;
	_Atomic uint64_t us_probe_fails;
	struct loop_timer us_probe_timer;
	struct loop_timer us_timeout_timer;
	struct proxy *us_proxy;
};

struct upstream_pool {
	struct upstream up[CFG_MAX_UPSTREAMS];
	unsigned n;
};

void upstream_init(struct upstream_pool *pool, struct proxy *p);
void upstream_fini(struct upstream_pool *pool, struct loop *l);
/*
 * Pick an "up" upstream not in tried_mask: lowest priority value, then
 * weighted by "hash" (of the Call-ID), so every request of a call finds
 * the same upstream while the pool does not change. Returns its index,
 * or -1 when none is left.
 */
int upstream_pick(
    struct upstream_pool *pool, uint32_t tried_mask, uint64_t hash);
/* A response to probe branch "branch" arrived with "status". */
void upstream_probe_response(
    struct upstream_pool *pool, struct str branch, unsigned status);
/*
 * Upstream "idx" answered a transaction: it is alive, whatever happens
 * to a probe in flight (a saturated machine may answer probes late).
 */
void upstream_seen(struct upstream_pool *pool, int idx);
void upstream_dst(const struct upstream *u, struct tp_dst *dst);

/* ---- client transactions (txn.c) ---- */

enum txn_state {
	TXN_TRYING,
	TXN_PROCEEDING,
	TXN_COMPLETED
};

struct txn {
	uint64_t tx_key;
	uint32_t tx_loop; /* loop-detection hash */
	struct txn *tx_next; /* hash chain */
	struct txn *tx_lnext; /* linger list */
	uint64_t tx_linger_until; /* ms */
	enum sip_method tx_method;
	enum txn_state tx_state;
	unsigned tx_attempt;
	uint32_t tx_tried; /* upstream bit mask */
	uint64_t tx_callhash; /* of the Call-ID, for upstream_pick() */
	int tx_upstream; /* current, -1 none */
	struct tp_dst tx_dst;
	bool tx_got_rsp; /* any response this attempt */
	bool tx_cancelled;
	uint16_t tx_final; /* final status relayed */
	struct rx_meta tx_in;
	char *tx_req; /* request as received; R-URI only once completed */
	size_t tx_req_len; /* 0 once completed */
	size_t tx_ruri_off;
	size_t tx_ruri_len;
	unsigned tx_pop; /* our own Route entries to remove when sending */
	unsigned tx_retx_ms;
	uint64_t tx_retx_at; /* deadlines in ms, 0 = off */
	uint64_t tx_fail_at;
	uint64_t tx_timeout_at;
	uint64_t tx_trying_at; /* our 100 Trying is due */
	struct loop_timer tx_timer; /* at the nearest deadline */
	struct proxy *tx_proxy;

	/*
	 * Parallel forking to a user's contacts: the caller's transaction
	 * (tx_is_fork) has one branch transaction per contact, each with a
	 * fixed destination and Request-URI; the parent relays 1xx and
	 * 2xx as they come and the best final answer when every branch
	 * has one (RFC 3261 section 16.7).
	 */
	struct str tx_target; /* branch: Request-URI (in tx_target_buf) */
	char *tx_target_buf;
	bool tx_fixed; /* branch: no failover, destination given */
	bool tx_orphan; /* branch whose parent is gone */
	bool tx_is_fork; /* parent */
	bool tx_answered; /* parent: a 2xx went to the caller */
	struct txn *tx_parent; /* branch: its parent */
	struct txn *tx_kids; /* parent: its branches */
	struct txn *tx_sib; /* branch: next branch of the parent */
	unsigned tx_pending; /* parent: branches without a final */
	uint16_t tx_best; /* parent: best final so far */
	char *tx_best_rsp; /* parent: that response, as received */
	size_t tx_best_len;
};

/* A fork target: a registered contact. */
struct fork_target {
	struct str ruri;
	struct tp_dst dst;
};

struct txn_table {
	struct txn **buckets;
	uint32_t mask;
	uint32_t count;
	struct txn *freelist; /* recycled, no alloc in steady state */
	uint32_t nfree;
	struct txn *lhead; /* lingering, oldest first */
	struct txn *ltail;
	struct loop_timer ltimer; /* at lhead's expiry */
};

int txn_table_init(struct txn_table *tt, uint32_t buckets);
void txn_table_fini(struct txn_table *tt, struct loop *l);
struct txn *txn_find(struct txn_table *tt, uint64_t key);
/* Start a client transaction for "msg" received as "in". */
int txn_start(struct proxy *p, const struct sip_msg *msg,
    const struct rx_meta *in, uint64_t key, uint32_t loophash, unsigned pop);
/*
 * Fork "msg" to "n" targets (parallel, RFC 3261 section 16.7). Returns
 * 0 (the caller hears from the branches) or ENOMEM.
 */
int txn_start_fork(struct proxy *p, const struct sip_msg *msg,
    const struct rx_meta *in, uint64_t key, uint32_t loophash, unsigned pop,
    const struct fork_target *t, unsigned n);
/* A response for attempt "attempt" of "tx"; "rsp" is parsed. */
void txn_on_response(struct txn *tx, const struct sip_msg *rsp,
    unsigned attempt, const struct rx_meta *in);
/* A request matching "tx" (retransmission, ACK, CANCEL). */
void txn_on_request(
    struct txn *tx, const struct sip_msg *msg, const struct rx_meta *in);
unsigned txn_count(const struct txn_table *tt);

/* ---- proxy (proxy.c) ---- */

struct proxy {
	struct loop *p_loop;
	const struct cfg *p_cfg;
	struct tp *p_tp;
	struct gate *p_gate;
	struct guard_env *p_guard; /* bans, triggers, signatures */
	const char *p_rx_buf; /* the bytes of the message being handled */
	size_t p_rx_len;
	struct parked *p_spare; /* for the next request that must wait */
	struct parked *p_parked; /* requests waiting for a DNSBL verdict */
	unsigned p_nparked;
	struct upstream_pool p_pool;
	struct txn_table p_txns;
	uint64_t p_secret[2];
	uint64_t p_fpkey[2]; /* the registrar's retransmission fingerprints */
	struct sip_msg *p_msg; /* message being received */
	struct sip_msg *p_msg2; /* scratch for transactions */
	struct sip_msg *p_msg3; /* scratch for generated CANCELs */
	struct sip_msg *p_emsg; /* the request as the guards changed it */
	char *p_ebuf; /* its bytes, p_obuf_cap */
	char *p_obuf; /* build buffer */
	size_t p_obuf_cap;
	char *p_obuf2; /* second build buffer */

	struct auth *p_auth; /* accounts and digest */
	struct auth_result p_auth_res;
	struct location *p_loc; /* NULL unless registrar.mode = local */
	struct recent *p_recent; /* answered UDP REGISTERs */
	struct loop_timer p_reg_timer; /* binding expiry sweep */
	struct loop_timer p_ping_timer; /* OPTIONS to NATed contacts */
	uint64_t p_ping_seq;
	char *p_regbuf; /* REG_BUF bytes: the 200's Contact lines */
	int64_t p_date_t; /* the second p_date shows */
	char p_date[48]; /* "Date: ...\r\n" of the registrar's 200 */
	const struct sa *p_rsp_src; /* source of the response being handled */
	const struct rx_meta *p_rsp_in; /* and how it came */
	struct media *p_media; /* the rtpengine anchor, NULL: none */
	struct rparked *p_rparked; /* responses waiting for rtpengine */
	unsigned p_nrparked;
	uint64_t p_bye_seq; /* our BYEs of calls whose media stopped */
};

/* Our BYE of a call whose media stopped (responses are absorbed). */
#define MEDIABYE_PREFIX "z9hG4bKcnm"

#define REG_BUF 16384

/* ---- registrar (registrar.c) ---- */

int registrar_init(struct proxy *p);
void registrar_fini(struct proxy *p);
/*
 * Is this REGISTER a retransmission (same transaction key, same bytes,
 * same source) of one answered in the last 32 s?
 */
bool registrar_seen(struct proxy *p, uint64_t key, const struct sip_msg *msg,
    const struct rx_meta *in);
/*
 * Handle a REGISTER for one of our users. "acct" is the authenticated
 * account (NULL: a trusted peer); "retrans": a retransmission of one
 * already answered (the CSeq order check is skipped).
 */
void registrar_handle(struct proxy *p, const struct sip_msg *msg,
    const struct rx_meta *in, uint64_t key, const struct acct *acct,
    bool retrans);
/* "user@domain" for URI "u" into buf (user and domain views in it). */
int registrar_aor(const struct cfg *cfg, const struct sip_uri *u, char *buf,
    size_t cap, struct str *user, struct str *domain);

/*
 * Forward request "msg" (received as "in") to "dst" (Request-URI
 * replaced by "ruri" unless empty) with our Via branch
 * built from key/loophash/attempt, removing the first pop_routes Route
 * values (our own).
 * Returns 0 or an errno code.
 */
int proxy_forward(struct proxy *p, const struct sip_msg *msg,
    const struct rx_meta *in, const struct tp_dst *dst, struct str ruri,
    uint64_t key, uint32_t loophash, unsigned attempt, unsigned pop_routes,
    bool add_rr);
/* Answer request "msg" received as "in". Returns 0 or errno. */
int proxy_reply(struct proxy *p, const struct sip_msg *msg,
    const struct rx_meta *in, uint16_t status, struct str phrase,
    struct str extra);
/* Relay response "rsp" (top Via ours) downstream. */
void proxy_relay_response(struct proxy *p, const struct sip_msg *rsp);
/* Send a raw message; logs and counts failures. */
int proxy_send(
    struct proxy *p, const struct tp_dst *dst, const char *buf, size_t len);
/* Log a rejection / drop line for "msg" from "in". */
void proxy_log_reject(const struct sip_msg *msg, const struct rx_meta *in,
    const char *event, enum reason r, int status, const char *what);

#endif /* CENTINELA_ROUTE_ROUTE_INT_H */

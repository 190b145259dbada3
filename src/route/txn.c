/*
 * route/txn.c -- client transactions toward the upstream pool (RFC 3261
 * section 17.1), reduced to what failover needs: retransmission over UDP
 * (timers A/E), timeouts (timers B/F), and re-sending the request to the
 * next upstream when one gives no answer at all within
 * transaction.failover_timeout (when another upstream is there to take
 * it), times out, or answers with a status in
 * transaction.failover_codes (503 by default).
 *
 * A transaction keeps a copy of the request as received until its final
 * answer; a later attempt or a retransmission re-parses it and builds the
 * forwarded request afresh, because upstreams may differ in transport (so
 * our Via differs). The first attempt uses the message already parsed.
 * The branch of attempt n is the transaction key plus ".n", so the key
 * recovered from a response's Via finds the transaction and the suffix
 * tells which attempt answered.
 *
 * Cost per transaction: one heap timer, armed at the nearest of its
 * retransmit / failover / timeout deadlines, so a state change is at most
 * one heap operation. After the final answer the transaction lingers
 * TXN_LINGER_MS (to absorb retransmissions, ACK and CANCEL) on a FIFO
 * list with one timer for the whole list: every linger is equally long,
 * so the list is ordered by expiry and needs no heap. The request copy
 * shrinks to its Request-URI (what an ACK we generate needs) on
 * completion. Transaction objects are recycled through a free list.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "admin/metrics.h"
#include "core/log.h"
#include "route/route_int.h"

#define TXN_LINGER_MS 5000 /* absorb retransmissions after final */
#define TXN_FREE_MAX 4096
#define TXN_MAX_ATTEMPTS 30

static void attempt_next(struct txn *tx, const char *why);
static void txn_fire(void *arg);
static void branch_final(
    struct txn *tx, const struct sip_msg *rsp, unsigned status);

int
txn_table_init(struct txn_table *tt, uint32_t buckets)
{
	uint32_t n = 1;

	while (n < buckets)
		n <<= 1;
	memset(tt, 0, sizeof(*tt));
	tt->buckets = calloc(n, sizeof(*tt->buckets));
	if (!tt->buckets)
		return ENOMEM;
	tt->mask = n - 1;
	return 0;
}

unsigned
txn_count(const struct txn_table *tt)
{
	return tt->count;
}

struct txn *
txn_find(struct txn_table *tt, uint64_t key)
{
	struct txn *tx = tt->buckets[key & tt->mask];

	for (; tx; tx = tx->tx_next)
		if (tx->tx_key == key)
			return tx;
	return NULL;
}

/* Unlink from the hash and recycle. Not on the linger list any more. */
static void
txn_destroy(struct txn_table *tt, struct loop *l, struct txn *tx)
{
	struct txn **pp = &tt->buckets[tx->tx_key & tt->mask];

	for (; *pp; pp = &(*pp)->tx_next)
		if (*pp == tx) {
			*pp = tx->tx_next;
			break;
		}
	tt->count--;
	loop_timer_cancel(l, &tx->tx_timer);
	if (tx->tx_parent) {
		struct txn **kp;

		for (kp = &tx->tx_parent->tx_kids; *kp; kp = &(*kp)->tx_sib)
			if (*kp == tx) {
				*kp = tx->tx_sib;
				break;
			}
	}
	for (struct txn *k = tx->tx_kids; k; k = k->tx_sib) {
		k->tx_parent = NULL;
		k->tx_orphan = true;
	}
	free(tx->tx_req);
	tx->tx_req = NULL;
	free(tx->tx_target_buf);
	tx->tx_target_buf = NULL;
	free(tx->tx_best_rsp);
	tx->tx_best_rsp = NULL;
	if (tt->nfree < TXN_FREE_MAX) {
		tx->tx_next = tt->freelist;
		tt->freelist = tx;
		tt->nfree++;
	} else
		free(tx);
}

void
txn_table_fini(struct txn_table *tt, struct loop *l)
{
	uint32_t i;

	loop_timer_cancel(l, &tt->ltimer);
	tt->lhead = tt->ltail = NULL;
	for (i = 0; tt->buckets && i <= tt->mask; i++)
		while (tt->buckets[i])
			txn_destroy(tt, l, tt->buckets[i]);
	while (tt->freelist) {
		struct txn *tx = tt->freelist;

		tt->freelist = tx->tx_next;
		free(tx);
	}
	free(tt->buckets);
	tt->buckets = NULL;
}

/* ---- lingering ---------------------------------------------------- */

static void
linger_fire(void *arg)
{
	struct proxy *p = arg;
	struct txn_table *tt = &p->p_txns;
	uint64_t now = loop_now(p->p_loop);
	unsigned budget = 4096;

	while (tt->lhead && tt->lhead->tx_linger_until <= now && budget--) {
		struct txn *tx = tt->lhead;

		tt->lhead = tx->tx_lnext;
		if (!tt->lhead)
			tt->ltail = NULL;
		txn_destroy(tt, p->p_loop, tx);
	}
	if (tt->lhead)
		loop_timer_start(p->p_loop, &tt->ltimer,
		    tt->lhead->tx_linger_until > now ?
			tt->lhead->tx_linger_until - now :
			0,
		    linger_fire, p);
}

/*
 * The final answer was relayed: keep the transaction briefly for ACK and
 * retransmissions, then free it.
 */
static void
txn_complete(struct txn *tx, uint16_t status)
{
	struct proxy *p = tx->tx_proxy;
	struct txn_table *tt = &p->p_txns;
	char *ruri;

	tx->tx_state = TXN_COMPLETED;
	tx->tx_final = status;
	tx->tx_retx_at = tx->tx_fail_at = tx->tx_timeout_at = 0;
	tx->tx_trying_at = 0;
	loop_timer_cancel(p->p_loop, &tx->tx_timer);
	/* Keep only the Request-URI. */
	if (tx->tx_req_len) {
		memmove(
		    tx->tx_req, tx->tx_req + tx->tx_ruri_off, tx->tx_ruri_len);
		tx->tx_ruri_off = 0;
		tx->tx_req_len = 0;
		ruri = realloc(tx->tx_req, tx->tx_ruri_len + 1);
		if (ruri)
			tx->tx_req = ruri;
	}
	tx->tx_linger_until = loop_now(p->p_loop) + TXN_LINGER_MS;
	tx->tx_lnext = NULL;
	if (tt->ltail)
		tt->ltail->tx_lnext = tx;
	else
		tt->lhead = tx;
	tt->ltail = tx;
	if (!loop_timer_armed(&tt->ltimer))
		loop_timer_start(
		    p->p_loop, &tt->ltimer, TXN_LINGER_MS, linger_fire, p);
}

/* ---- the one timer ------------------------------------------------ */

static void
txn_arm(struct txn *tx)
{
	struct loop *l = tx->tx_proxy->p_loop;
	uint64_t when = 0, now = loop_now(l);
	const uint64_t d[4] = { tx->tx_retx_at, tx->tx_fail_at,
		tx->tx_timeout_at, tx->tx_trying_at };
	unsigned i;

	for (i = 0; i < 4; i++)
		if (d[i] && (!when || d[i] < when))
			when = d[i];
	if (!when)
		loop_timer_cancel(l, &tx->tx_timer);
	else
		loop_timer_start(l, &tx->tx_timer, when > now ? when - now : 0,
		    txn_fire, tx);
}

/* Re-parse the stored request into the scratch message. */
static const struct sip_msg *
stored_msg(struct txn *tx)
{
	struct proxy *p = tx->tx_proxy;

	if (!tx->tx_req_len ||
	    sip_parse(&p->p_cfg->limits, p->p_msg2, tx->tx_req, tx->tx_req_len))
		return NULL;
	return p->p_msg2;
}

/* Send the current attempt; "m" is the parsed request or NULL. */
static int
send_attempt(struct txn *tx, const struct sip_msg *m)
{
	if (!m)
		m = stored_msg(tx);
	if (!m)
		return EBADMSG;
	return proxy_forward(tx->tx_proxy, m, &tx->tx_in, &tx->tx_dst,
	    tx->tx_target, tx->tx_key, tx->tx_loop, tx->tx_attempt, tx->tx_pop,
	    true);
}

/* Answer the client ourselves (408, 503, 487) and complete. */
static void
answer_local(struct txn *tx, uint16_t status, struct str phrase, enum reason r)
{
	const struct sip_msg *m;

	if (tx->tx_fixed) {
		/* A fork branch ends; the parent answers the caller. */
		branch_final(tx, NULL, status);
		return;
	}
	m = stored_msg(tx);

	if (m) {
		proxy_log_reject(
		    m, &tx->tx_in, "reject", r, status, reason_text(r));
		metrics_reject(r);
		proxy_reply(tx->tx_proxy, m, &tx->tx_in, status, phrase,
		    status == 503 ? STR("Retry-After: 30\r\n") : STR_NULL);
	}
	txn_complete(tx, status);
}

static void
txn_fire(void *arg)
{
	struct txn *tx = arg;
	struct proxy *p = tx->tx_proxy;
	const struct cfg *cfg = p->p_cfg;
	uint64_t now = loop_now(p->p_loop);

	if (tx->tx_timeout_at && now >= tx->tx_timeout_at) {
		tx->tx_timeout_at = 0;
		if (tx->tx_cancelled)
			answer_local(tx, 487, STR("Request Terminated"),
			    REASON_UPSTREAM_TIMEOUT);
		else
			attempt_next(tx, "timed out");
		return;
	}
	if (tx->tx_trying_at && now >= tx->tx_trying_at) {
		const struct sip_msg *m = stored_msg(tx);

		tx->tx_trying_at = 0;
		if (m)
			proxy_reply(
			    p, m, &tx->tx_in, 100, STR("Trying"), STR_NULL);
	}
	if (tx->tx_fail_at && now >= tx->tx_fail_at) {
		/*
		 * Silence fails over only when there is somewhere to go:
		 * with no other upstream left, this one keeps the request
		 * (retransmitted) until timer B/F; a cancelled request ends
		 * now (487). A slow upstream, or one
		 * whose answers were lost, may still answer; a 503 now
		 * would end a call that can succeed.
		 */
		tx->tx_fail_at = 0;
		if (!tx->tx_got_rsp &&
		    (tx->tx_cancelled ||
			(tx->tx_attempt < TXN_MAX_ATTEMPTS &&
			    upstream_pick(&p->p_pool, tx->tx_tried,
				tx->tx_callhash) >= 0))) {
			attempt_next(tx, "no answer");
			return;
		}
	}
	if (tx->tx_retx_at && now >= tx->tx_retx_at) {
		send_attempt(tx, NULL);
		tp_flush(p->p_tp);
		tx->tx_retx_ms *= 2;
		if (tx->tx_method != SIP_METHOD_INVITE &&
		    tx->tx_retx_ms > cfg->t2)
			tx->tx_retx_ms = cfg->t2;
		tx->tx_retx_at = now + tx->tx_retx_ms;
	}
	txn_arm(tx);
}

/*
 * Start attempt number tx_attempt toward a freshly picked upstream.
 * "m" is the parsed request, or NULL to re-parse the stored copy.
 */
static int
attempt_start(struct txn *tx, const struct sip_msg *m)
{
	struct proxy *p = tx->tx_proxy;
	const struct cfg *cfg = p->p_cfg;
	uint64_t now = loop_now(p->p_loop);
	int u;

	if (tx->tx_fixed) {
		/* A fork branch: one destination, no failover. */
		if (tx->tx_attempt > 0)
			return ENOENT;
	} else {
		u = upstream_pick(&p->p_pool, tx->tx_tried, tx->tx_callhash);
		if (u < 0)
			return ENOENT;
		tx->tx_upstream = u;
		tx->tx_tried |= 1u << u;
		upstream_dst(&p->p_pool.up[u], &tx->tx_dst);
	}
	tx->tx_got_rsp = false;
	tx->tx_state = TXN_TRYING;
	if (send_attempt(tx, m))
		return EIO;
	tx->tx_retx_ms = cfg->t1;
	tx->tx_retx_at = tx->tx_dst.tp == SIP_TP_UDP ? now + cfg->t1 : 0;
	tx->tx_fail_at = cfg->failover_timeout && !tx->tx_fixed ?
	    now + cfg->failover_timeout :
	    0;
	tx->tx_timeout_at = now +
	    (tx->tx_method == SIP_METHOD_INVITE ? cfg->timer_b : cfg->timer_f);
	txn_arm(tx);
	return 0;
}

/* Move to the next upstream, or answer the client when none is left. */
static void
attempt_next(struct txn *tx, const char *why)
{
	struct proxy *p = tx->tx_proxy;
	const struct upstream *u =
	    tx->tx_upstream >= 0 ? &p->p_pool.up[tx->tx_upstream] : NULL;
	bool timed_out = strcmp(why, "timed out") == 0;

	if (u)
		log_printf(LOGL_INFO, "upstream %s: %s; trying the next one",
		    u->us_cfg->name, why);
	while (!tx->tx_cancelled && tx->tx_attempt < TXN_MAX_ATTEMPTS) {
		int err;

		tx->tx_attempt++;
		err = attempt_start(tx, NULL);
		if (err == 0)
			return;
		if (err == ENOENT)
			break;
	}
	if (tx->tx_cancelled)
		answer_local(tx, 487, STR("Request Terminated"),
		    REASON_UPSTREAM_TIMEOUT);
	else if (tx->tx_got_rsp || timed_out)
		answer_local(
		    tx, 408, STR("Request Timeout"), REASON_UPSTREAM_TIMEOUT);
	else
		answer_local(
		    tx, 503, STR("Service Unavailable"), REASON_NO_UPSTREAM);
}

/* A new transaction for "msg" in the table (request copied). */
static struct txn *
txn_new(struct proxy *p, const struct sip_msg *msg, const struct rx_meta *in,
    uint64_t key, uint32_t loophash, unsigned pop)
{
	struct txn_table *tt = &p->p_txns;
	struct txn *tx;

	tx = tt->freelist;
	if (tx) {
		tt->freelist = tx->tx_next;
		tt->nfree--;
	} else {
		tx = malloc(sizeof(*tx));
		if (!tx)
			return NULL;
	}
	memset(tx, 0, sizeof(*tx));
	tx->tx_req = malloc(msg->raw.len);
	if (!tx->tx_req) {
		free(tx);
		return NULL;
	}
	memcpy(tx->tx_req, msg->raw.s, msg->raw.len);
	tx->tx_req_len = msg->raw.len;
	tx->tx_ruri_off = (size_t)(msg->ruri_raw.s - msg->raw.s);
	tx->tx_ruri_len = msg->ruri_raw.len;
	tx->tx_key = key;
	tx->tx_loop = loophash;
	tx->tx_pop = pop;
	tx->tx_method = msg->method;
	tx->tx_callhash = str_hash(msg->call_id);
	tx->tx_in = *in;
	tx->tx_upstream = -1;
	tx->tx_proxy = p;
	tx->tx_next = tt->buckets[key & tt->mask];
	tt->buckets[key & tt->mask] = tx;
	tt->count++;
	return tx;
}

/*
 * RFC 3261 17.2.1: 100 Trying unless the next hop answers within
 * transaction.trying_delay; a fast callee's 180 makes it moot.
 */
static void
trying_start(struct txn *tx, const struct sip_msg *msg)
{
	struct proxy *p = tx->tx_proxy;

	if (msg->method == SIP_METHOD_INVITE) {
		if (p->p_cfg->trying_delay == 0)
			proxy_reply(
			    p, msg, &tx->tx_in, 100, STR("Trying"), STR_NULL);
		else
			tx->tx_trying_at =
			    loop_now(p->p_loop) + p->p_cfg->trying_delay;
	}
}

int
txn_start(struct proxy *p, const struct sip_msg *msg, const struct rx_meta *in,
    uint64_t key, uint32_t loophash, unsigned pop)
{
	struct txn *tx;
	int err;

	if (upstream_pick(&p->p_pool, 0, 0) < 0)
		return ENOENT;
	tx = txn_new(p, msg, in, key, loophash, pop);
	if (!tx)
		return ENOMEM;
	trying_start(tx, msg);
	err = attempt_start(tx, msg);
	while (err && err != ENOENT && tx->tx_attempt < TXN_MAX_ATTEMPTS) {
		tx->tx_attempt++;
		err = attempt_start(tx, msg);
	}
	if (err) {
		/* No upstream could take it: answer now. */
		answer_local(
		    tx, 503, STR("Service Unavailable"), REASON_NO_UPSTREAM);
	}
	return 0;
}

static bool
is_failover_code(const struct cfg *cfg, unsigned status)
{
	unsigned i;

	for (i = 0; i < cfg->nfailover_codes; i++)
		if (cfg->failover_codes[i] == status)
			return true;
	return false;
}

/* ACK a non-2xx final answer we consume (RFC 3261 section 17.1.1.3). */
static void
ack_consumed(
    struct txn *tx, const struct sip_msg *rsp, const struct tp_dst *dst)
{
	struct proxy *p = tx->tx_proxy;
	const struct sip_hdr *to = sip_msg_hdr(rsp, SIP_HDR_TO);
	const struct sip_hdr *from = sip_msg_hdr(rsp, SIP_HDR_FROM);
	struct sip_wbuf w;

	if (tx->tx_method != SIP_METHOD_INVITE || !to || !from)
		return;
	sip_wbuf_init(&w, p->p_obuf2, p->p_obuf_cap);
	sip_wbuf_put(&w, STR("ACK "));
	sip_wbuf_put(
	    &w, str_make(tx->tx_req + tx->tx_ruri_off, tx->tx_ruri_len));
	sip_wbuf_put(&w, STR(" SIP/2.0\r\nVia: "));
	sip_wbuf_put(&w, rsp->via[0].raw);
	sip_wbuf_put(&w, STR("\r\nMax-Forwards: 70\r\nFrom: "));
	sip_wbuf_put(&w, from->value);
	sip_wbuf_put(&w, STR("\r\nTo: "));
	sip_wbuf_put(&w, to->value);
	sip_wbuf_put(&w, STR("\r\nCall-ID: "));
	sip_wbuf_put(&w, rsp->call_id);
	sip_wbuf_put(&w, STR("\r\nCSeq: "));
	sip_wbuf_putu(&w, rsp->cseq.num);
	sip_wbuf_put(&w, STR(" ACK\r\nContent-Length: 0\r\n\r\n"));
	if (!w.overflow)
		proxy_send(p, dst, w.b, w.len);
}

void
txn_on_response(struct txn *tx, const struct sip_msg *rsp, unsigned attempt,
    const struct rx_meta *in)
{
	struct proxy *p = tx->tx_proxy;
	const struct cfg *cfg = p->p_cfg;
	unsigned status = rsp->status;
	struct tp_dst back;

	if (attempt != tx->tx_attempt) {
		/*
		 * A late answer from an abandoned attempt: only a 2xx to an
		 * INVITE matters (a dialog exists); pass it on. Other finals
		 * are ACKed where they came from.
		 */
		if (status >= 200 && status < 300)
			proxy_relay_response(p, rsp);
		else if (status >= 300) {
			memset(&back, 0, sizeof(back));
			back.tp = in->tp;
			back.addr = in->src;
			back.conn_id = in->conn_id;
			ack_consumed(tx, rsp, &back);
		}
		return;
	}
	if (tx->tx_upstream >= 0)
		upstream_seen(&p->p_pool, tx->tx_upstream);
	if (tx->tx_state == TXN_COMPLETED) {
		/*
		 * A retransmitted final answer: the caller's transaction
		 * absorbs it, and ACKs a non-2xx again through us. A fork
		 * branch ACKs its own non-2xx answers.
		 */
		if (status >= 200 && status < 300)
			proxy_relay_response(p, rsp);
		else if (status >= 300 && tx->tx_fixed)
			ack_consumed(tx, rsp, &tx->tx_dst);
		else if (status >= 300)
			proxy_relay_response(p, rsp);
		return;
	}
	tx->tx_got_rsp = true;
	tx->tx_fail_at = 0;
	if (status > 100)
		tx->tx_trying_at = 0; /* the caller hears from the callee */
	if (status < 200) {
		tx->tx_state = TXN_PROCEEDING;
		if (tx->tx_method == SIP_METHOD_INVITE)
			tx->tx_retx_at = 0;
		txn_arm(tx);
		/* 100 Trying is hop by hop; we sent our own. */
		if (tx->tx_parent && status > 100)
			tx->tx_parent->tx_trying_at = 0;
		if (status > 100 && !tx->tx_orphan)
			proxy_relay_response(p, rsp);
		return;
	}
	if (tx->tx_fixed) {
		branch_final(tx, rsp, status);
		return;
	}
	if (is_failover_code(cfg, status) && !tx->tx_cancelled &&
	    upstream_pick(&p->p_pool, tx->tx_tried, tx->tx_callhash) >= 0) {
		ack_consumed(tx, rsp, &tx->tx_dst);
		attempt_next(tx, "answered with a failover status");
		return;
	}
	proxy_relay_response(p, rsp);
	txn_complete(tx, (uint16_t)status);
}

/* ---- parallel forking ----------------------------------------------- */

/* Lower is better (RFC 3261 16.7 step 6): 6xx, then the lowest class;
 * our own timeouts lose against a real answer of the same class. */
static unsigned
final_rank(unsigned st)
{
	if (st >= 600)
		return 0;
	return (st / 100) * 1000 + (st == 408 || st == 480 ? 999 : 0);
}

/* Send a CANCEL for branch "k" (built from its stored INVITE). */
static void
cancel_branch(struct txn *k)
{
	struct proxy *p = k->tx_proxy;
	const struct sip_msg *m = stored_msg(k);
	struct sip_wbuf w;
	const struct sip_hdr *h;
	char *buf;
	unsigned i;

	if (!m || k->tx_method != SIP_METHOD_INVITE || k->tx_cancelled)
		return;
	k->tx_cancelled = true;
	buf = malloc(p->p_obuf_cap);
	if (!buf)
		return;
	sip_wbuf_init(&w, buf, p->p_obuf_cap);
	sip_wbuf_put(&w, STR("CANCEL "));
	sip_wbuf_put(&w, m->ruri_raw);
	sip_wbuf_put(&w, STR(" SIP/2.0\r\n"));
	for (i = 0; i < m->nhdrs; i++) {
		h = &m->hdrs[i];
		if (h->id == SIP_HDR_VIA || h->id == SIP_HDR_FROM ||
		    h->id == SIP_HDR_TO || h->id == SIP_HDR_CALL_ID ||
		    h->id == SIP_HDR_ROUTE) {
			sip_wbuf_put(&w, h->name);
			sip_wbuf_put(&w, STR(": "));
			sip_wbuf_put(&w, h->value);
			sip_wbuf_put(&w, STR("\r\n"));
		}
	}
	sip_wbuf_put(&w, STR("CSeq: "));
	sip_wbuf_putu(&w, m->cseq.num);
	sip_wbuf_put(&w,
	    STR(" CANCEL\r\nMax-Forwards: 70\r\n"
		"Content-Length: 0\r\n\r\n"));
	if (!w.overflow &&
	    sip_parse(&p->p_cfg->limits, p->p_msg3, w.b, w.len) == 0)
		proxy_forward(p, p->p_msg3, &k->tx_in, &k->tx_dst, k->tx_target,
		    k->tx_key, k->tx_loop, k->tx_attempt, k->tx_pop, false);
	free(buf);
}

static void
cancel_pending(struct txn *parent, const struct txn *except)
{
	struct txn *k;

	for (k = parent->tx_kids; k; k = k->tx_sib)
		if (k != except && k->tx_state != TXN_COMPLETED)
			cancel_branch(k);
}

/*
 * Keep "rsp" (or, NULL, our own conclusion "status") as the parent's
 * answer to the caller if it ranks better than what it has.
 */
static void
keep_best(struct txn *parent, const struct sip_msg *rsp, unsigned status)
{
	char *copy = NULL;

	if (parent->tx_best &&
	    final_rank(status) >= final_rank(parent->tx_best))
		return;
	if (rsp) {
		copy = malloc(rsp->raw.len);
		if (!copy)
			return;
		memcpy(copy, rsp->raw.s, rsp->raw.len);
	}
	free(parent->tx_best_rsp);
	parent->tx_best_rsp = copy;
	parent->tx_best_len = rsp ? rsp->raw.len : 0;
	parent->tx_best = (uint16_t)status;
}

/*
 * Branch "tx" has its final answer "status" ("rsp", or NULL when we
 * concluded it ourselves: timeout, send failure).
 */
static void
branch_final(struct txn *tx, const struct sip_msg *rsp, unsigned status)
{
	struct proxy *p = tx->tx_proxy;
	struct txn *parent = tx->tx_parent;

	if (rsp && status >= 200 && status < 300) {
		/* Every 2xx goes to the caller (a dialog exists). */
		proxy_relay_response(p, rsp);
		if (parent && !parent->tx_answered) {
			parent->tx_answered = true;
			parent->tx_trying_at = 0;
			if (parent->tx_method == SIP_METHOD_INVITE)
				cancel_pending(parent, tx);
			if (parent->tx_state != TXN_COMPLETED)
				txn_complete(parent, (uint16_t)status);
		}
	} else {
		if (rsp)
			ack_consumed(tx, rsp, &tx->tx_dst);
		if (parent && !parent->tx_answered)
			keep_best(parent, rsp, status);
	}
	if (tx->tx_state != TXN_COMPLETED)
		txn_complete(tx, (uint16_t)status);
	if (!parent)
		return;
	if (parent->tx_pending)
		parent->tx_pending--;
	if (parent->tx_pending || parent->tx_answered ||
	    parent->tx_state == TXN_COMPLETED)
		return;
	/* Every branch answered, none with 2xx: the best goes back. */
	if (parent->tx_best_rsp &&
	    sip_parse(&p->p_cfg->limits, p->p_msg3, parent->tx_best_rsp,
		parent->tx_best_len) == 0) {
		proxy_relay_response(p, p->p_msg3);
		txn_complete(parent, parent->tx_best);
	} else if (parent->tx_cancelled)
		answer_local(
		    parent, 487, STR("Request Terminated"), REASON_NONE);
	else
		answer_local(parent, 480, STR("Temporarily Unavailable"),
		    REASON_NOT_REGISTERED);
}

int
txn_start_fork(struct proxy *p, const struct sip_msg *msg,
    const struct rx_meta *in, uint64_t key, uint32_t loophash, unsigned pop,
    const struct fork_target *t, unsigned n)
{
	struct txn *parent, *k, *kids[32];
	unsigned i;

	if (n == 0 || n > 32)
		return EINVAL;
	parent = txn_new(p, msg, in, key, loophash, pop);
	if (!parent)
		return ENOMEM;
	parent->tx_is_fork = true;
	parent->tx_state = TXN_TRYING;
	trying_start(parent, msg);
	txn_arm(parent);
	/* Create every branch before starting any: a branch that fails
	 * at once must not find the parent believing it has no others. */
	for (i = 0; i < n; i++) {
		k = txn_new(p, msg, in,
		    key ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1)), loophash,
		    pop);
		if (k)
			k->tx_target_buf =
			    malloc(t[i].ruri.len ? t[i].ruri.len : 1);
		if (!k || !k->tx_target_buf) {
			if (k)
				txn_complete(k, 500);
			kids[i] = NULL;
			continue;
		}
		memcpy(k->tx_target_buf, t[i].ruri.s, t[i].ruri.len);
		k->tx_target = str_make(k->tx_target_buf, t[i].ruri.len);
		k->tx_fixed = true;
		k->tx_dst = t[i].dst;
		k->tx_parent = parent;
		k->tx_sib = parent->tx_kids;
		parent->tx_kids = k;
		parent->tx_pending++;
		kids[i] = k;
	}
	if (!parent->tx_pending) {
		answer_local(
		    parent, 500, STR("Server Internal Error"), REASON_OVERLOAD);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (kids[i] && attempt_start(kids[i], msg))
			branch_final(kids[i], NULL, 503);
	return 0;
}

void
txn_on_request(
    struct txn *tx, const struct sip_msg *msg, const struct rx_meta *in)
{
	struct proxy *p = tx->tx_proxy;

	switch (msg->method) {
	case SIP_METHOD_ACK:
		/*
		 * ACK for a non-2xx final answer: same branch as the INVITE.
		 * Fork branches ACKed their non-2xx answers themselves.
		 */
		if (tx->tx_upstream >= 0 && !tx->tx_is_fork)
			proxy_forward(p, msg, in, &tx->tx_dst, tx->tx_target,
			    tx->tx_key, tx->tx_loop, tx->tx_attempt, tx->tx_pop,
			    false);
		return;
	case SIP_METHOD_CANCEL:
		proxy_reply(p, msg, in, 200, STR("OK"), STR_NULL);
		if (tx->tx_method != SIP_METHOD_INVITE ||
		    tx->tx_state == TXN_COMPLETED || tx->tx_cancelled)
			return;
		tx->tx_cancelled = true;
		if (tx->tx_is_fork)
			cancel_pending(tx, NULL);
		else
			proxy_forward(p, msg, in, &tx->tx_dst, tx->tx_target,
			    tx->tx_key, tx->tx_loop, tx->tx_attempt, tx->tx_pop,
			    false);
		return;
	default:
		break;
	}
	/* A retransmission of the request itself. */
	if (tx->tx_state == TXN_COMPLETED) {
		/* The upstream's server transaction re-sends its answer;
		 * a fork parent has no single next hop to ask. */
		if (!tx->tx_is_fork)
			proxy_forward(p, msg, in, &tx->tx_dst, tx->tx_target,
			    tx->tx_key, tx->tx_loop, tx->tx_attempt, tx->tx_pop,
			    true);
		return;
	}
	if (msg->method == SIP_METHOD_INVITE) {
		tx->tx_trying_at = 0;
		txn_arm(tx);
		proxy_reply(p, msg, in, 100, STR("Trying"), STR_NULL);
	}
	/* Otherwise absorbed: we retransmit toward the next hop ourselves. */
}

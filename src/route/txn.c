/*
 * route/txn.c -- client transactions toward the upstream pool (RFC 3261
 * section 17.1), reduced to what failover needs: retransmission over UDP
 * (timers A/E), timeouts (timers B/F), and re-sending the request to the
 * next upstream when one gives no answer at all within
 * transaction.failover_timeout, times out, or answers with a status in
 * transaction.failover_codes (503 by default).
 *
 * A transaction keeps a copy of the request as received; every attempt
 * re-parses it and builds the forwarded request afresh, because
 * upstreams may differ in transport (so our Via differs). The branch of
 * attempt n is the transaction key plus ".n", so the key recovered from
 * a response's Via finds the transaction and the suffix tells which
 * attempt answered. Transaction objects are recycled through a free
 * list, so a steady load allocates nothing but the request copy.
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

static void attempt_next(struct txn *tx, const char *why);

int
txn_table_init(struct txn_table *tt, uint32_t buckets)
{
	uint32_t n = 1;

	while (n < buckets)
		n <<= 1;
	tt->buckets = calloc(n, sizeof(*tt->buckets));
	if (!tt->buckets)
		return ENOMEM;
	tt->mask = n - 1;
	tt->count = 0;
	tt->freelist = NULL;
	tt->nfree = 0;
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

static void
txn_destroy(struct txn *tx)
{
	struct proxy *p = tx->tx_proxy;
	struct txn_table *tt = &p->p_txns;
	struct txn **pp = &tt->buckets[tx->tx_key & tt->mask];

	for (; *pp; pp = &(*pp)->tx_next)
		if (*pp == tx) {
			*pp = tx->tx_next;
			break;
		}
	tt->count--;
	loop_timer_cancel(p->p_loop, &tx->tx_t_retx);
	loop_timer_cancel(p->p_loop, &tx->tx_t_fail);
	loop_timer_cancel(p->p_loop, &tx->tx_t_timeout);
	loop_timer_cancel(p->p_loop, &tx->tx_t_linger);
	free(tx->tx_req);
	tx->tx_req = NULL;
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

	for (i = 0; tt->buckets && i <= tt->mask; i++)
		while (tt->buckets[i])
			txn_destroy(tt->buckets[i]);
	while (tt->freelist) {
		struct txn *tx = tt->freelist;

		tt->freelist = tx->tx_next;
		free(tx);
	}
	free(tt->buckets);
	tt->buckets = NULL;
	(void)l;
}

static void
linger_done(void *arg)
{
	txn_destroy(arg);
}

/* The final answer was relayed: keep the transaction briefly for ACK and
 * retransmissions, then free it. */
static void
txn_complete(struct txn *tx, uint16_t status)
{
	struct proxy *p = tx->tx_proxy;

	tx->tx_state = TXN_COMPLETED;
	tx->tx_final = status;
	loop_timer_cancel(p->p_loop, &tx->tx_t_retx);
	loop_timer_cancel(p->p_loop, &tx->tx_t_fail);
	loop_timer_cancel(p->p_loop, &tx->tx_t_timeout);
	loop_timer_start(
	    p->p_loop, &tx->tx_t_linger, TXN_LINGER_MS, linger_done, tx);
}

/* Re-parse the stored request into the scratch message. */
static const struct sip_msg *
stored_msg(struct txn *tx)
{
	struct proxy *p = tx->tx_proxy;

	if (sip_parse(&p->p_cfg->limits, p->p_msg2, tx->tx_req, tx->tx_req_len))
		return NULL;
	return p->p_msg2;
}

/* Send the current attempt (again). */
static int
send_attempt(struct txn *tx)
{
	const struct sip_msg *m = stored_msg(tx);

	if (!m)
		return EBADMSG;
	return proxy_forward(tx->tx_proxy, m, &tx->tx_in, &tx->tx_dst,
	    tx->tx_key, tx->tx_loop, tx->tx_attempt, 0, true);
}

/* Answer the client ourselves (408, 503, 487) and complete. */
static void
answer_local(struct txn *tx, uint16_t status, struct str phrase, enum reason r)
{
	const struct sip_msg *m = stored_msg(tx);

	if (m) {
		proxy_log_reject(
		    m, &tx->tx_in, "reject", r, status, reason_text(r));
		metrics_reject(r);
		if (m->method != SIP_METHOD_ACK)
			proxy_reply(tx->tx_proxy, m, &tx->tx_in, status, phrase,
			    status == 503 ? STR("Retry-After: 30\r\n") :
					    STR_NULL);
	}
	txn_complete(tx, status);
}

static void
retx_fire(void *arg)
{
	struct txn *tx = arg;
	struct proxy *p = tx->tx_proxy;
	const struct cfg *cfg = p->p_cfg;

	send_attempt(tx);
	tp_flush(p->p_tp);
	tx->tx_retx_ms *= 2;
	if (tx->tx_method != SIP_METHOD_INVITE && tx->tx_retx_ms > cfg->t2)
		tx->tx_retx_ms = cfg->t2;
	loop_timer_start(
	    p->p_loop, &tx->tx_t_retx, tx->tx_retx_ms, retx_fire, tx);
}

static void
fail_fire(void *arg)
{
	struct txn *tx = arg;

	if (!tx->tx_got_rsp)
		attempt_next(tx, "no answer");
}

static void
timeout_fire(void *arg)
{
	struct txn *tx = arg;

	if (tx->tx_cancelled) {
		answer_local(tx, 487, STR("Request Terminated"),
		    REASON_UPSTREAM_TIMEOUT);
		return;
	}
	attempt_next(tx, "timed out");
}

/* Start attempt number tx_attempt toward a freshly picked upstream. */
static int
attempt_start(struct txn *tx)
{
	struct proxy *p = tx->tx_proxy;
	const struct cfg *cfg = p->p_cfg;
	int u;

	u = upstream_pick(&p->p_pool, tx->tx_tried);
	if (u < 0)
		return ENOENT;
	tx->tx_upstream = u;
	tx->tx_tried |= 1u << u;
	tx->tx_got_rsp = false;
	tx->tx_state = TXN_TRYING;
	upstream_dst(&p->p_pool.up[u], &tx->tx_dst);
	if (send_attempt(tx))
		return EIO;
	if (tx->tx_dst.tp == SIP_TP_UDP) {
		tx->tx_retx_ms = cfg->t1;
		loop_timer_start(
		    p->p_loop, &tx->tx_t_retx, cfg->t1, retx_fire, tx);
	} else
		loop_timer_cancel(p->p_loop, &tx->tx_t_retx);
	if (cfg->failover_timeout)
		loop_timer_start(p->p_loop, &tx->tx_t_fail,
		    cfg->failover_timeout, fail_fire, tx);
	loop_timer_start(p->p_loop, &tx->tx_t_timeout,
	    tx->tx_method == SIP_METHOD_INVITE ? cfg->timer_b : cfg->timer_f,
	    timeout_fire, tx);
	return 0;
}

/* Move to the next upstream, or answer the client when none is left. */
static void
attempt_next(struct txn *tx, const char *why)
{
	struct proxy *p = tx->tx_proxy;
	const struct upstream *u =
	    tx->tx_upstream >= 0 ? &p->p_pool.up[tx->tx_upstream] : NULL;

	if (u)
		log_printf(LOGL_INFO, "upstream %s: %s; trying the next one",
		    u->us_cfg->name, why);
	while (!tx->tx_cancelled && tx->tx_attempt < 30) {
		int err;

		tx->tx_attempt++;
		err = attempt_start(tx);
		if (err == 0)
			return;
		if (err == ENOENT)
			break;
	}
	if (tx->tx_cancelled)
		answer_local(tx, 487, STR("Request Terminated"),
		    REASON_UPSTREAM_TIMEOUT);
	else if (tx->tx_got_rsp || strcmp(why, "timed out") == 0)
		answer_local(
		    tx, 408, STR("Request Timeout"), REASON_UPSTREAM_TIMEOUT);
	else
		answer_local(
		    tx, 503, STR("Service Unavailable"), REASON_NO_UPSTREAM);
}

int
txn_start(struct proxy *p, const struct sip_msg *msg, const struct rx_meta *in,
    uint64_t key, uint32_t loophash)
{
	struct txn_table *tt = &p->p_txns;
	struct txn *tx;
	int err;

	if (upstream_pick(&p->p_pool, 0) < 0)
		return ENOENT;
	tx = tt->freelist;
	if (tx) {
		tt->freelist = tx->tx_next;
		tt->nfree--;
	} else {
		tx = malloc(sizeof(*tx));
		if (!tx)
			return ENOMEM;
	}
	memset(tx, 0, sizeof(*tx));
	tx->tx_req = malloc(msg->raw.len);
	if (!tx->tx_req) {
		free(tx);
		return ENOMEM;
	}
	memcpy(tx->tx_req, msg->raw.s, msg->raw.len);
	tx->tx_req_len = msg->raw.len;
	tx->tx_key = key;
	tx->tx_loop = loophash;
	tx->tx_method = msg->method;
	tx->tx_in = *in;
	tx->tx_upstream = -1;
	tx->tx_proxy = p;
	tx->tx_next = tt->buckets[key & tt->mask];
	tt->buckets[key & tt->mask] = tx;
	tt->count++;
	if (msg->method == SIP_METHOD_INVITE)
		proxy_reply(p, msg, in, 100, STR("Trying"), STR_NULL);
	err = attempt_start(tx);
	while (err && err != ENOENT && tx->tx_attempt < 30) {
		tx->tx_attempt++;
		err = attempt_start(tx);
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
ack_consumed(struct txn *tx, const struct sip_msg *rsp)
{
	struct proxy *p = tx->tx_proxy;
	const struct sip_msg *m;
	const struct sip_hdr *to;
	struct sip_wbuf w;

	if (tx->tx_method != SIP_METHOD_INVITE)
		return;
	m = stored_msg(tx);
	to = sip_msg_hdr(rsp, SIP_HDR_TO);
	if (!m || !to)
		return;
	sip_wbuf_init(&w, p->p_obuf2, p->p_obuf_cap);
	sip_wbuf_put(&w, STR("ACK "));
	sip_wbuf_put(&w, m->ruri_raw);
	sip_wbuf_put(&w, STR(" SIP/2.0\r\nVia: "));
	sip_wbuf_put(&w, rsp->via[0].raw);
	sip_wbuf_put(&w, STR("\r\nMax-Forwards: 70\r\nFrom: "));
	sip_wbuf_put(&w, sip_msg_hdr(rsp, SIP_HDR_FROM)->value);
	sip_wbuf_put(&w, STR("\r\nTo: "));
	sip_wbuf_put(&w, to->value);
	sip_wbuf_put(&w, STR("\r\nCall-ID: "));
	sip_wbuf_put(&w, rsp->call_id);
	sip_wbuf_put(&w, STR("\r\nCSeq: "));
	sip_wbuf_putu(&w, rsp->cseq.num);
	sip_wbuf_put(&w, STR(" ACK\r\nContent-Length: 0\r\n\r\n"));
	if (!w.overflow)
		proxy_send(p, &tx->tx_dst, w.b, w.len);
}

void
txn_on_response(struct txn *tx, const struct sip_msg *rsp, unsigned attempt)
{
	struct proxy *p = tx->tx_proxy;
	const struct cfg *cfg = p->p_cfg;
	unsigned status = rsp->status;

	if (attempt != tx->tx_attempt) {
		/* A late answer from an abandoned attempt: only a 2xx to an
		 * INVITE matters (a dialog exists); pass it on. */
		if (status >= 200 && status < 300)
			proxy_relay_response(p, rsp);
		else if (status >= 300)
			ack_consumed(tx, rsp);
		return;
	}
	if (tx->tx_state == TXN_COMPLETED) {
		/* Retransmitted final answer: relay 2xx, re-ACK others. */
		if (status >= 200 && status < 300)
			proxy_relay_response(p, rsp);
		else if (status >= 300 && tx->tx_final == 0)
			ack_consumed(tx, rsp);
		else if (status >= 300)
			proxy_relay_response(p, rsp);
		return;
	}
	tx->tx_got_rsp = true;
	loop_timer_cancel(p->p_loop, &tx->tx_t_fail);
	if (status < 200) {
		tx->tx_state = TXN_PROCEEDING;
		if (tx->tx_method == SIP_METHOD_INVITE)
			loop_timer_cancel(p->p_loop, &tx->tx_t_retx);
		/* 100 Trying is hop by hop; we sent our own. */
		if (status > 100)
			proxy_relay_response(p, rsp);
		return;
	}
	if (is_failover_code(cfg, status) && !tx->tx_cancelled &&
	    upstream_pick(&p->p_pool, tx->tx_tried) >= 0) {
		ack_consumed(tx, rsp);
		attempt_next(tx, "answered with a failover status");
		return;
	}
	proxy_relay_response(p, rsp);
	txn_complete(tx, (uint16_t)status);
}

void
txn_on_request(
    struct txn *tx, const struct sip_msg *msg, const struct rx_meta *in)
{
	struct proxy *p = tx->tx_proxy;

	switch (msg->method) {
	case SIP_METHOD_ACK:
		/* ACK for a non-2xx final answer: same branch as the INVITE. */
		if (tx->tx_upstream >= 0)
			proxy_forward(p, msg, in, &tx->tx_dst, tx->tx_key,
			    tx->tx_loop, tx->tx_attempt, 0, false);
		return;
	case SIP_METHOD_CANCEL:
		proxy_reply(p, msg, in, 200, STR("OK"), STR_NULL);
		if (tx->tx_method != SIP_METHOD_INVITE ||
		    tx->tx_state == TXN_COMPLETED || tx->tx_cancelled)
			return;
		tx->tx_cancelled = true;
		proxy_forward(p, msg, in, &tx->tx_dst, tx->tx_key, tx->tx_loop,
		    tx->tx_attempt, 0, false);
		return;
	default:
		break;
	}
	/* A retransmission of the request itself. */
	if (tx->tx_state == TXN_COMPLETED) {
		/* The upstream's server transaction re-sends its answer. */
		proxy_forward(p, msg, in, &tx->tx_dst, tx->tx_key, tx->tx_loop,
		    tx->tx_attempt, 0, true);
		return;
	}
	if (msg->method == SIP_METHOD_INVITE)
		proxy_reply(p, msg, in, 100, STR("Trying"), STR_NULL);
	/* Otherwise absorbed: we retransmit toward the upstream ourselves. */
}

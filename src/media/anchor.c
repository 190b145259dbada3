/*
 * media/anchor.c -- the anchored calls and the rtpengine commands made
 * for them (media/media.h).
 *
 * Calls live in a hash table keyed by Call-ID (chained, buckets fixed
 * at start) and on a list ordered by their last media check, so the
 * periodic check takes the oldest first and a bounded number per tick.
 * Every command in flight has a context on a list of its own: the
 * caller's "arg" may be cancelled (a parked request dropped) without
 * touching the call, and a call deleted meanwhile is simply not found
 * when the reply comes.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/metrics.h"
#include "core/log.h"
#include "media/bencode.h"
#include "media/media.h"
#include "media/rtpe.h"

#define TAG_MAX 128
#define CALLID_MAX 256
#define CHECKS_PER_TICK 256
/* An offer never answered (the request died on the way): forgotten. */
#define EARLY_MAX_MS (300 * 1000)
#define CMD_BUF (RTPE_MAX_MSG - 64)

struct mcall {
	struct mcall *hnext;
	struct mcall *next, *prev; /* by last check, oldest first */
	unsigned inst;
	enum media_leg caller_leg;
	bool confirmed;
	bool querying;
	uint64_t checked_ms;
	uint64_t created_ms;
	struct media_party caller, callee;
	char tag[TAG_MAX]; /* the caller's From tag */
	size_t tag_len;
	size_t cid_len;
	char cid[CALLID_MAX];
};

enum cmd_kind {
	CMD_OFFER,
	CMD_ANSWER,
	CMD_QUERY,
	CMD_DELETE
};

/* A command in flight. */
struct mcmd {
	struct mcmd *next, *prev;
	struct media *m;
	enum cmd_kind kind;
	media_done_h *done;
	void *arg;
	/* For an offer of a new call: the call to create. */
	bool create;
	enum media_leg caller_leg;
	struct media_party caller;
	char tag[TAG_MAX];
	size_t tag_len;
	size_t cid_len;
	char cid[CALLID_MAX];
};

struct media {
	struct loop *loop;
	const struct cfg_media *cfg;
	struct rtpe *rtpe;
	struct mcall **buckets;
	uint32_t mask;
	unsigned ncalls;
	struct mcall *head, *tail;
	struct mcmd *cmds;
	struct loop_timer tick;
	media_end_h *on_end;
	void *on_end_arg;
	char *buf; /* command being built */
	_Atomic uint64_t c_offers_ok, c_offers_failed, c_answers_ok,
	    c_answers_failed, c_deletes, c_timeouts, c_unanchored;
	_Atomic unsigned g_calls;
};

static void
count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static uint64_t
get(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* ---- the call table ---------------------------------------------- */

static struct mcall **
slot(const struct media *m, struct str cid)
{
	return &m->buckets[str_hash(cid) & m->mask];
}

static struct mcall *
find(const struct media *m, struct str cid)
{
	struct mcall *c;

	for (c = *slot(m, cid); c; c = c->hnext)
		if (str_eq(str_make(c->cid, c->cid_len), cid))
			return c;
	return NULL;
}

static void
list_unlink(struct media *m, struct mcall *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		m->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		m->tail = c->prev;
	c->next = c->prev = NULL;
}

static void
list_append(struct media *m, struct mcall *c)
{
	c->prev = m->tail;
	c->next = NULL;
	if (m->tail)
		m->tail->next = c;
	else
		m->head = c;
	m->tail = c;
}

static void
call_remove(struct media *m, struct mcall *c)
{
	struct mcall **pp = slot(m, str_make(c->cid, c->cid_len));

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	list_unlink(m, c);
	m->ncalls--;
	atomic_store_explicit(&m->g_calls, m->ncalls, memory_order_relaxed);
	free(c);
}

/* ---- commands ------------------------------------------------------ */

static void
cmd_unlink(struct mcmd *k)
{
	struct media *m = k->m;

	if (k->prev)
		k->prev->next = k->next;
	else
		m->cmds = k->next;
	if (k->next)
		k->next->prev = k->prev;
}

static void cmd_done(const struct rtpe_reply *rep, void *arg);

/*
 * Send the dictionary built in "w" to instance "inst" for context "k"
 * (NULL: fire and forget). On error "k" is freed.
 */
static int
cmd_send(struct media *m, unsigned inst, bool failover,
    const struct bencode_buf *w, struct mcmd *k)
{
	int err;

	if (w->overflow) {
		free(k);
		return EINVAL;
	}
	if (k) {
		k->m = m;
		k->prev = NULL;
		k->next = m->cmds;
		if (k->next)
			k->next->prev = k;
		m->cmds = k;
	}
	err = rtpe_send(m->rtpe, inst, failover, str_make(w->b, w->len),
	    k ? cmd_done : NULL, k);
	if (err && k) {
		cmd_unlink(k);
		free(k);
	}
	return err;
}

static void
put_kv(struct bencode_buf *w, const char *k, struct str v)
{
	bencode_put_cstr(w, k);
	bencode_put_str(w, v);
}

static void
put_common(struct bencode_buf *w, const char *command, struct str cid)
{
	bencode_open_dict(w);
	put_kv(w, "command", str_make(command, strlen(command)));
	put_kv(w, "call-id", cid);
}

/* What rtpengine rewrites in every SDP it hands back. */
static void
put_rewrite(struct bencode_buf *w)
{
	bencode_put_cstr(w, "ICE");
	bencode_put_cstr(w, "remove");
	bencode_put_cstr(w, "replace");
	bencode_open_list(w);
	bencode_put_cstr(w, "origin");
	bencode_put_cstr(w, "session-connection");
	bencode_close(w);
}

static void
put_received_from(struct bencode_buf *w, const struct sa *src)
{
	char ip[INET6_ADDRSTRLEN];

	bencode_put_cstr(w, "received-from");
	bencode_open_list(w);
	bencode_put_cstr(w, sa_family(src) == AF_INET6 ? "IP6" : "IP4");
	bencode_put_cstr(w, sa_ntop(src, ip, sizeof(ip)));
	bencode_close(w);
}

static const char *
leg_proto(const struct media *m, enum media_leg leg)
{
	return leg == MEDIA_LEG_EDGE ? m->cfg->edge_protocol :
				       m->cfg->core_protocol;
}

static bool
is_dtls(const char *proto)
{
	return strncmp(proto, "UDP/TLS/", 8) == 0;
}

/*
 * Create the call an accepted offer anchored (true when it exists).
 * false: the table is full (offers in flight may overshoot max_calls)
 * or memory ran out.
 */
static bool
call_create(struct media *m, const struct mcmd *k, unsigned inst)
{
	struct str cid = str_make(k->cid, k->cid_len);
	struct mcall *c = find(m, cid), **pp;

	if (c)
		return true;
	if (m->ncalls >= m->cfg->max_calls || !(c = calloc(1, sizeof(*c)))) {
		log_printf(LOGL_WARN,
		    "media: cannot follow call %.*s (max_calls %u)",
		    STR_FMT(cid), m->cfg->max_calls);
		return false;
	}
	memcpy(c->cid, k->cid, k->cid_len);
	c->cid_len = k->cid_len;
	memcpy(c->tag, k->tag, k->tag_len);
	c->tag_len = k->tag_len;
	c->inst = inst;
	c->caller_leg = k->caller_leg;
	c->caller = k->caller;
	c->checked_ms = c->created_ms = loop_now(m->loop);
	pp = slot(m, cid);
	c->hnext = *pp;
	*pp = c;
	list_append(m, c);
	m->ncalls++;
	atomic_store_explicit(&m->g_calls, m->ncalls, memory_order_relaxed);
	return true;
}

/* The query said rtpengine no longer knows the call: media stopped. */
static void
call_lost(struct media *m, struct str cid)
{
	struct mcall *c = find(m, cid);
	struct media_end e;

	if (!c)
		return;
	c->querying = false;
	if (!c->confirmed)
		return;
	count(&m->c_timeouts);
	log_printf(LOGL_INFO,
	    "media: call %.*s lost its media (rtpengine timed it out); "
	    "ending it",
	    STR_FMT(cid));
	e.call_id = str_make(c->cid, c->cid_len);
	e.caller = &c->caller;
	e.callee = &c->callee;
	if (m->on_end)
		m->on_end(&e, m->on_end_arg);
	if ((c = find(m, cid)) != NULL)
		call_remove(m, c);
}

static void
cmd_done(const struct rtpe_reply *rep, void *arg)
{
	struct mcmd *k = arg;
	struct media *m = k->m;
	struct str sdp = STR_NULL, why = STR_NULL, v;
	struct str cid = str_make(k->cid, k->cid_len);
	int err = rep->err;

	cmd_unlink(k);
	if (!err && !str_eq(rep->result, STR("ok"))) {
		err = EPROTO;
		why = rep->error_reason;
	}
	if (k->kind == CMD_QUERY) {
		struct mcall *c = find(m, cid);

		if (err == EPROTO &&
		    str_contains_nocase(why, STR("unknown call")))
			call_lost(m, cid);
		else if (c)
			c->querying = false;
		free(k);
		return;
	}
	if (!err &&
	    (bencode_dict_find(rep->dict, STR("sdp"), &v) ||
		bencode_get_str(v, &sdp) || sdp.len == 0))
		err = EBADMSG;
	if (k->kind == CMD_OFFER) {
		count(err ? &m->c_offers_failed : &m->c_offers_ok);
		if (!err && k->create && !call_create(m, k, rep->inst)) {
			/*
			 * A call we cannot follow would get no answer
			 * and no delete: give it back to rtpengine and
			 * refuse it (ENOSPC: too many anchored calls).
			 */
			struct bencode_buf w;

			bencode_init(&w, m->buf, CMD_BUF);
			put_common(&w, "delete", cid);
			bencode_close(&w);
			(void)cmd_send(m, rep->inst, false, &w, NULL);
			err = ENOSPC;
		}
	} else
		count(err ? &m->c_answers_failed : &m->c_answers_ok);
	if (err)
		log_printf(LOGL_WARN, "media: rtpengine %s for %.*s: %s%s%.*s",
		    k->kind == CMD_OFFER ? "offer" : "answer", STR_FMT(cid),
		    err == ETIMEDOUT  ? "no answer" :
			err == EPROTO ? "refused" :
					"reply without SDP",
		    why.len ? ": " : "", STR_FMT(why));
	if (k->done)
		k->done(err, sdp, why, k->arg);
	free(k);
}

/* ---- the periodic media check ------------------------------------ */

static void
send_query(struct media *m, struct mcall *c)
{
	struct bencode_buf w;
	struct mcmd *k = calloc(1, sizeof(*k));

	if (!k)
		return;
	k->kind = CMD_QUERY;
	memcpy(k->cid, c->cid, c->cid_len);
	k->cid_len = c->cid_len;
	bencode_init(&w, m->buf, CMD_BUF);
	put_common(&w, "query", str_make(c->cid, c->cid_len));
	bencode_close(&w);
	if (cmd_send(m, c->inst, false, &w, k) == 0)
		c->querying = true;
}

/*
 * Once a second: the calls whose last check is check_interval old, at
 * most CHECKS_PER_TICK of them. An answered call is asked about; one
 * never answered for EARLY_MAX_MS is deleted (its request died after
 * the offer, and nobody else will).
 */
static void
tick(void *arg)
{
	struct media *m = arg;
	uint64_t now = loop_now(m->loop);
	uint64_t every = m->cfg->check_interval ?
	    (uint64_t)m->cfg->check_interval * 1000 :
	    60000;
	unsigned n = 0;

	while (m->head && n < CHECKS_PER_TICK &&
	    m->head->checked_ms + every <= now) {
		struct mcall *c = m->head;

		n++;
		if (!c->confirmed && c->created_ms + EARLY_MAX_MS <= now) {
			media_delete(m, str_make(c->cid, c->cid_len));
			continue;
		}
		list_unlink(m, c);
		c->checked_ms = now;
		list_append(m, c);
		if (c->confirmed && !c->querying && m->cfg->check_interval)
			send_query(m, c);
	}
	loop_timer_start(m->loop, &m->tick, 1000, tick, m);
}

/* ---- metrics ------------------------------------------------------- */

static void
render(FILE *f, void *arg)
{
	struct media *m = arg;
	struct rtpe_stats st;

	rtpe_stats(m->rtpe, &st);
	fprintf(f,
	    "# HELP centinela_media_calls Calls whose media rtpengine "
	    "anchors.\n# TYPE centinela_media_calls gauge\n"
	    "centinela_media_calls %u\n",
	    atomic_load_explicit(&m->g_calls, memory_order_relaxed));
	fprintf(f,
	    "# HELP centinela_media_offers_total rtpengine offers by "
	    "outcome.\n# TYPE centinela_media_offers_total counter\n"
	    "centinela_media_offers_total{result=\"ok\"} %llu\n"
	    "centinela_media_offers_total{result=\"failed\"} %llu\n",
	    (unsigned long long)get(&m->c_offers_ok),
	    (unsigned long long)get(&m->c_offers_failed));
	fprintf(f,
	    "# HELP centinela_media_answers_total rtpengine answers by "
	    "outcome.\n# TYPE centinela_media_answers_total counter\n"
	    "centinela_media_answers_total{result=\"ok\"} %llu\n"
	    "centinela_media_answers_total{result=\"failed\"} %llu\n",
	    (unsigned long long)get(&m->c_answers_ok),
	    (unsigned long long)get(&m->c_answers_failed));
	fprintf(f,
	    "# HELP centinela_media_deletes_total Anchored calls deleted.\n"
	    "# TYPE centinela_media_deletes_total counter\n"
	    "centinela_media_deletes_total %llu\n",
	    (unsigned long long)get(&m->c_deletes));
	fprintf(f,
	    "# HELP centinela_media_timeouts_total Calls ended because "
	    "their media stopped.\n"
	    "# TYPE centinela_media_timeouts_total counter\n"
	    "centinela_media_timeouts_total %llu\n",
	    (unsigned long long)get(&m->c_timeouts));
	fprintf(f,
	    "# HELP centinela_media_unanchored_total Calls passed without "
	    "anchor (rtpengine failed, on_failure = pass).\n"
	    "# TYPE centinela_media_unanchored_total counter\n"
	    "centinela_media_unanchored_total %llu\n",
	    (unsigned long long)get(&m->c_unanchored));
	fprintf(f,
	    "# HELP centinela_media_rtpengine_sent_total ng datagrams sent, "
	    "retransmissions included.\n"
	    "# TYPE centinela_media_rtpengine_sent_total counter\n"
	    "centinela_media_rtpengine_sent_total %llu\n"
	    "# HELP centinela_media_rtpengine_timeouts_total Commands no "
	    "rtpengine answered.\n"
	    "# TYPE centinela_media_rtpengine_timeouts_total counter\n"
	    "centinela_media_rtpengine_timeouts_total %llu\n"
	    "# HELP centinela_media_rtpengine_errors_total Commands "
	    "rtpengine refused.\n"
	    "# TYPE centinela_media_rtpengine_errors_total counter\n"
	    "centinela_media_rtpengine_errors_total %llu\n",
	    (unsigned long long)st.sent, (unsigned long long)st.timeouts,
	    (unsigned long long)st.errors);
}

/* ---- the interface --------------------------------------------------- */

int
media_alloc(struct media **mp, struct loop *l, const struct cfg *cfg,
    media_end_h *on_end, void *arg)
{
	struct media *m;
	uint32_t n = 256;
	int err;

	*mp = NULL;
	if (!cfg->media.enabled || !cfg->media.nrtpe)
		return 0;
	m = calloc(1, sizeof(*m));
	if (!m)
		return ENOMEM;
	m->loop = l;
	m->cfg = &cfg->media;
	m->on_end = on_end;
	m->on_end_arg = arg;
	while (n < cfg->media.max_calls && n < (1u << 20))
		n <<= 1;
	m->buckets = calloc(n, sizeof(*m->buckets));
	m->buf = malloc(CMD_BUF);
	if (!m->buckets || !m->buf) {
		err = ENOMEM;
		goto out;
	}
	m->mask = n - 1;
	if ((err = rtpe_alloc(&m->rtpe, l, &cfg->media)))
		goto out;
	loop_timer_start(l, &m->tick, 1000, tick, m);
	metrics_extra_add(render, m);
out:
	if (err)
		media_free(m);
	else
		*mp = m;
	return err;
}

void
media_free(struct media *m)
{
	uint32_t i;

	if (!m)
		return;
	metrics_extra_del(render);
	loop_timer_cancel(m->loop, &m->tick);
	rtpe_free(m->rtpe); /* drops the commands: callbacks never run */
	while (m->cmds) {
		struct mcmd *k = m->cmds;

		m->cmds = k->next;
		free(k);
	}
	for (i = 0; m->buckets && i <= m->mask; i++)
		while (m->buckets[i]) {
			struct mcall *c = m->buckets[i];

			m->buckets[i] = c->hnext;
			free(c);
		}
	free(m->buckets);
	free(m->buf);
	free(m);
}

bool
media_is_anchored(const struct media *m, struct str call_id)
{
	return m && find(m, call_id) != NULL;
}

bool
media_is_confirmed(const struct media *m, struct str call_id)
{
	const struct mcall *c = m ? find(m, call_id) : NULL;

	return c && c->confirmed;
}

unsigned
media_calls(const struct media *m)
{
	return m ? m->ncalls : 0;
}

void
media_count_unanchored(struct media *m)
{
	if (m)
		count(&m->c_unanchored);
}

bool
media_leg_of(
    const struct media *m, const struct sip_msg *req, enum media_leg *toward)
{
	const struct mcall *c = m ? find(m, req->call_id) : NULL;
	bool from_caller;

	if (!c)
		return false;
	from_caller = str_eq(req->from.tag, str_make(c->tag, c->tag_len));
	/* The caller's requests go to the callee's leg, and back. */
	if (from_caller)
		*toward = c->caller_leg == MEDIA_LEG_EDGE ? MEDIA_LEG_CORE :
							    MEDIA_LEG_EDGE;
	else
		*toward = c->caller_leg;
	return true;
}

int
media_offer(struct media *m, const struct sip_msg *req, struct str sdp,
    enum media_leg toward, enum media_leg caller_leg,
    const struct media_party *caller, media_done_h *done, void *arg)
{
	struct mcall *c = find(m, req->call_id);
	struct bencode_buf w;
	struct mcmd *k;
	const char *proto = leg_proto(m, toward);
	unsigned inst;

	if (!req->call_id.len || !req->from.tag.len ||
	    req->call_id.len > CALLID_MAX || req->from.tag.len > TAG_MAX)
		return EINVAL;
	if (!c && m->ncalls >= m->cfg->max_calls)
		return ENOSPC;
	k = calloc(1, sizeof(*k));
	if (!k)
		return ENOMEM;
	k->kind = CMD_OFFER;
	k->done = done;
	k->arg = arg;
	memcpy(k->cid, req->call_id.s, req->call_id.len);
	k->cid_len = req->call_id.len;
	if (!c) {
		k->create = true;
		k->caller_leg = caller_leg;
		if (caller)
			k->caller = *caller;
		memcpy(k->tag, req->from.tag.s, req->from.tag.len);
		k->tag_len = req->from.tag.len;
		if (caller && sip_msg_hdr(req, SIP_HDR_CSEQ))
			k->caller.cseq = req->cseq.num;
		inst = rtpe_pick(m->rtpe, str_hash(req->call_id));
	} else
		inst = c->inst;
	bencode_init(&w, m->buf, CMD_BUF);
	put_common(&w, "offer", req->call_id);
	put_kv(&w, "from-tag", req->from.tag);
	if (req->to.tag.len)
		put_kv(&w, "to-tag", req->to.tag);
	put_kv(&w, "sdp", sdp);
	put_kv(&w, "transport-protocol", str_make(proto, strlen(proto)));
	if (!is_dtls(proto)) {
		bencode_put_cstr(&w, "DTLS");
		bencode_put_cstr(&w, "off");
	}
	/* SRTP that only authenticates would pass for encrypted. */
	bencode_put_cstr(&w, "SDES");
	bencode_open_list(&w);
	bencode_put_cstr(&w, "no-NULL_HMAC_SHA1_80");
	bencode_put_cstr(&w, "no-NULL_HMAC_SHA1_32");
	bencode_close(&w);
	put_rewrite(&w);
	if (caller && caller->addr.len)
		put_received_from(&w, &caller->addr);
	bencode_close(&w);
	/* A new call may go to any instance; a known one stays put. */
	return cmd_send(m, inst, c == NULL, &w, k);
}

int
media_answer(struct media *m, const struct sip_msg *rsp, struct str sdp,
    media_done_h *done, void *arg)
{
	struct mcall *c = find(m, rsp->call_id);
	struct bencode_buf w;
	struct mcmd *k;

	if (!c)
		return ENOENT;
	if (rsp->call_id.len > CALLID_MAX)
		return EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return ENOMEM;
	k->kind = CMD_ANSWER;
	k->done = done;
	k->arg = arg;
	memcpy(k->cid, rsp->call_id.s, rsp->call_id.len);
	k->cid_len = rsp->call_id.len;
	bencode_init(&w, m->buf, CMD_BUF);
	put_common(&w, "answer", rsp->call_id);
	put_kv(&w, "from-tag", rsp->from.tag);
	put_kv(&w, "to-tag", rsp->to.tag);
	put_kv(&w, "sdp", sdp);
	put_rewrite(&w);
	bencode_close(&w);
	return cmd_send(m, c->inst, false, &w, k);
}

void
media_confirm(struct media *m, const struct sip_msg *rsp,
    const struct media_party *callee)
{
	struct mcall *c = m ? find(m, rsp->call_id) : NULL;

	if (!c || c->confirmed)
		return;
	c->confirmed = true;
	if (callee) {
		uint32_t seen = c->callee.cseq; /* its early UPDATEs */

		c->callee = *callee;
		if (seen > c->callee.cseq)
			c->callee.cseq = seen;
	}
	c->checked_ms = loop_now(m->loop);
	list_unlink(m, c);
	list_append(m, c);
}

void
media_note_request(struct media *m, const struct sip_msg *req)
{
	struct mcall *c = m ? find(m, req->call_id) : NULL;
	struct media_party *p;

	if (!c || req->method == SIP_METHOD_ACK ||
	    req->method == SIP_METHOD_CANCEL)
		return;
	p = str_eq(req->from.tag, str_make(c->tag, c->tag_len)) ? &c->caller :
								  &c->callee;
	if (req->cseq.num > p->cseq)
		p->cseq = req->cseq.num;
}

void
media_delete(struct media *m, struct str call_id)
{
	struct mcall *c = m ? find(m, call_id) : NULL;
	struct bencode_buf w;

	if (!c)
		return;
	bencode_init(&w, m->buf, CMD_BUF);
	put_common(&w, "delete", call_id);
	bencode_close(&w);
	if (cmd_send(m, c->inst, false, &w, NULL) == 0)
		count(&m->c_deletes);
	call_remove(m, c);
}

void
media_cancel(struct media *m, const void *arg)
{
	struct mcmd *k, *next;

	if (!m)
		return;
	for (k = m->cmds; k; k = next) {
		next = k->next;
		if (k->arg == arg && k->done) {
			rtpe_cancel(m->rtpe, k);
			cmd_unlink(k);
			free(k);
		}
	}
}

enum media_body
media_body_kind(const struct sip_msg *msg)
{
	const struct sip_hdr *ct = sip_msg_hdr(msg, SIP_HDR_CONTENT_TYPE);
	struct str type, params;

	if (msg->body.len == 0)
		return MEDIA_BODY_NONE;
	/* RFC 3261 20.15: no Content-Type means application/sdp. */
	if (!ct)
		return MEDIA_BODY_SDP;
	type = ct->value;
	if (str_split(type, ';', &type, &params))
		type = str_trim(type);
	if (str_has_prefix_nocase(type, STR("multipart/")))
		return str_contains_nocase(msg->body, STR("application/sdp")) ?
		    MEDIA_BODY_UNREADABLE :
		    MEDIA_BODY_OTHER;
	if (!str_eq_nocase(type, STR("application/sdp")))
		return MEDIA_BODY_OTHER;
	if (sip_msg_hdr(msg, SIP_HDR_CONTENT_ENCODING))
		return MEDIA_BODY_UNREADABLE;
	return MEDIA_BODY_SDP;
}

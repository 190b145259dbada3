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
 * when the reply comes. Offers and answers are on one list, queries on
 * another, so that the per-call cap (MEDIA_INFLIGHT_PER_CALL) scans at
 * most MEDIA_INFLIGHT_MAX contexts.
 *
 * A deleted call leaves a tombstone -- a keyed hash of the Call-ID,
 * From tag, CSeq and branch of the INVITE that created it -- for
 * MEDIA_TOMB_MS in a fixed table (MEDIA_TOMB_SLOTS, a few probes per
 * key, the oldest entry overwritten): a late retransmission of that
 * INVITE, whose transaction is gone, must not anchor the call again.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "admin/metrics.h"
#include "core/log.h"
#include "core/siphash.h"
#include "media/anchor_int.h"
#include "media/bencode.h"
#include "media/media.h"
#include "media/rtpe.h"

#define TAG_MAX 128
#define CALLID_MAX 256
#define CHECKS_PER_TICK 256
#define CMD_BUF (RTPE_MAX_MSG - 64)
#define TOMB_PROBES 4

struct mcall {
	struct mcall *hnext;
	struct mcall *next, *prev; /* by last check, oldest first */
	unsigned inst;
	enum media_leg caller_leg;
	bool confirmed;
	bool querying;
	uint64_t checked_ms;
	uint64_t active_ms; /* last offer, answer or provisional */
	struct media_party caller, callee;
	/* The INVITE that created the call. */
	uint32_t invite_cseq;
	uint64_t invite_branch; /* keyed hash of its top Via branch */
	uint64_t tomb_key;
	char tag[TAG_MAX]; /* the caller's From tag */
	size_t tag_len;
	/*
	 * The callee's tag, from the confirming 2xx, as a keyed hash: any
	 * length is kept, and 64 bits under a secret key cannot be forged.
	 */
	uint64_t totag_h;
	bool has_totag;
	size_t cid_len;
	char cid[CALLID_MAX];
};

/* A deleted call's INVITE, refused until "until_ms". */
struct tomb {
	uint64_t key;
	uint64_t until_ms;
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
	uint64_t cid_hash;
	/* For an offer of a new call: the call to create. */
	bool create;
	enum media_leg caller_leg;
	struct media_party caller;
	uint32_t invite_cseq;
	uint64_t invite_branch;
	uint64_t tomb_key;
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
	struct mcmd *cmds; /* offers and answers */
	struct mcmd *qcmds; /* queries */
	unsigned ninflight; /* on "cmds" */
	struct tomb *tombs;
	uint64_t sipkey[2];
	uint64_t early_idle_ms, tomb_ms;
	uint64_t foreign_log_ms;
	struct loop_timer tick;
	media_end_h *on_end;
	void *on_end_arg;
	char *buf; /* command being built */
	_Atomic uint64_t c_offers_ok, c_offers_failed, c_answers_ok,
	    c_answers_failed, c_deletes, c_timeouts, c_unanchored,
	    c_capped_offers, c_capped_answers, c_retransmitted, c_foreign,
	    c_reaped, c_bye_unreachable;
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

static uint64_t
h64(const struct media *m, struct str s)
{
	return siphash24(m->sipkey, s.s ? s.s : "", s.len);
}

static struct str
top_branch(const struct sip_msg *msg)
{
	return msg->nvia ? msg->via[0].branch : STR_NULL;
}

/*
 * The tombstone key of an INVITE: Call-ID, From tag, CSeq number and
 * the hash of its top Via branch, i.e. its transaction and dialog.
 */
static uint64_t
invite_key(const struct media *m, struct str cid, struct str ftag,
    uint32_t cseq, uint64_t branch)
{
	uint64_t v[4];

	v[0] = h64(m, cid);
	v[1] = h64(m, ftag);
	v[2] = branch;
	v[3] = cseq;
	return siphash24(m->sipkey, v, sizeof(v));
}

/* ---- tombstones of deleted calls --------------------------------- */

static void
tomb_add(struct media *m, uint64_t key)
{
	uint64_t now = loop_now(m->loop);
	struct tomb *t, *victim = NULL;
	unsigned i;

	for (i = 0; i < TOMB_PROBES; i++) {
		t = &m->tombs[(key + i) & (MEDIA_TOMB_SLOTS - 1)];
		if (t->key == key || t->until_ms <= now) {
			victim = t;
			break;
		}
		/* Full: the entry closest to expiring goes. */
		if (!victim || t->until_ms < victim->until_ms)
			victim = t;
	}
	victim->key = key;
	victim->until_ms = now + m->tomb_ms;
}

static bool
tomb_has(const struct media *m, uint64_t key)
{
	uint64_t now = loop_now(m->loop);
	const struct tomb *t;
	unsigned i;

	for (i = 0; i < TOMB_PROBES; i++) {
		t = &m->tombs[(key + i) & (MEDIA_TOMB_SLOTS - 1)];
		if (t->key == key && t->until_ms > now)
			return true;
	}
	return false;
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

static struct mcmd **
cmd_list(struct media *m, const struct mcmd *k)
{
	return k->kind == CMD_QUERY ? &m->qcmds : &m->cmds;
}

static void
cmd_unlink(struct mcmd *k)
{
	struct media *m = k->m;

	if (k->prev)
		k->prev->next = k->next;
	else
		*cmd_list(m, k) = k->next;
	if (k->next)
		k->next->prev = k->prev;
	if (k->kind != CMD_QUERY)
		m->ninflight--;
}

/* Offers and answers of call "cid" in flight (at most the list). */
static unsigned
inflight_of(const struct media *m, uint64_t h, struct str cid)
{
	const struct mcmd *k;
	unsigned n = 0;

	for (k = m->cmds; k; k = k->next)
		if (k->cid_hash == h &&
		    str_eq(str_make(k->cid, k->cid_len), cid))
			n++;
	return n;
}

/*
 * Is an offer creating call "req->call_id" for another From tag in
 * flight? Two callers must not end up in one call.
 */
static bool
creating_other(const struct media *m, uint64_t h, const struct sip_msg *req)
{
	const struct mcmd *k;

	for (k = m->cmds; k; k = k->next)
		if (k->create && k->cid_hash == h &&
		    str_eq(str_make(k->cid, k->cid_len), req->call_id) &&
		    !str_eq(str_make(k->tag, k->tag_len), req->from.tag))
			return true;
	return false;
}

/*
 * May one more offer or answer of call "cid" go to rtpengine? A flood
 * of SDP in one call (183s, re-INVITEs) must not fill rtpengine's
 * queue nor ours: over the cap the message is our overload (EBUSY).
 */
static bool
under_cap(struct media *m, struct str cid, uint64_t h, bool offer)
{
	if (m->ninflight <
		(offer ? MEDIA_INFLIGHT_OFFERS : MEDIA_INFLIGHT_MAX) &&
	    inflight_of(m, h, cid) < MEDIA_INFLIGHT_PER_CALL)
		return true;
	count(offer ? &m->c_capped_offers : &m->c_capped_answers);
	return false;
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
		struct mcmd **head = cmd_list(m, k);

		k->m = m;
		k->prev = NULL;
		k->next = *head;
		if (k->next)
			k->next->prev = k;
		*head = k;
		if (k->kind != CMD_QUERY)
			m->ninflight++;
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
	c->invite_cseq = k->invite_cseq;
	c->invite_branch = k->invite_branch;
	c->tomb_key = k->tomb_key;
	c->checked_ms = c->active_ms = loop_now(m->loop);
	pp = slot(m, cid);
	c->hnext = *pp;
	*pp = c;
	list_append(m, c);
	m->ncalls++;
	atomic_store_explicit(&m->g_calls, m->ncalls, memory_order_relaxed);
	return true;
}

/*
 * Send the delete, forget the call; "tomb": leave a tombstone, so a late
 * copy of its INVITE is not anchored again (not when we refused that
 * INVITE ourselves: no transaction of ours answers its copies, which
 * must get our refusal again).
 */
static void
call_delete(struct media *m, struct mcall *c, bool tomb)
{
	struct bencode_buf w;

	bencode_init(&w, m->buf, CMD_BUF);
	put_common(&w, "delete", str_make(c->cid, c->cid_len));
	bencode_close(&w);
	if (cmd_send(m, c->inst, false, &w, NULL) == 0)
		count(&m->c_deletes);
	if (tomb)
		tomb_add(m, c->tomb_key);
	call_remove(m, c);
}

static bool
party_reachable(const struct media_party *p)
{
	return p->uri[0] && p->hdr[0] && !p->incomplete;
}

/*
 * Our BYE needs each party's Contact, From/To and route: a party whose
 * values did not fit gets none, and that is said, not skipped quietly.
 */
static void
check_parties(struct media *m, const struct mcall *c)
{
	const struct media_party *p[2] = { &c->caller, &c->callee };
	static const char *const name[2] = { "caller", "callee" };
	unsigned i;

	for (i = 0; i < 2; i++) {
		if (party_reachable(p[i]))
			continue;
		count(&m->c_bye_unreachable);
		log_printf(LOGL_WARN,
		    "media: call %.*s: no media-timeout BYE to the %s "
		    "(%s)",
		    (int)c->cid_len, c->cid, name[i],
		    p[i]->incomplete ? "Contact, From/To or Record-Route "
				       "too long to keep" :
				       "its Contact or From/To is unknown");
	}
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
	check_parties(m, c);
	tomb_add(m, c->tomb_key);
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
		struct mcall *c = find(m, cid);

		if (c)
			c->active_ms = loop_now(m->loop);
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
 * not answered of which nothing was heard (offer, answer, provisional)
 * for MEDIA_EARLY_IDLE_MS is deleted: its INVITE transaction died
 * without a final answer we saw, and nobody else will delete it. A
 * call that keeps ringing sends provisionals and is kept.
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
		if (!c->confirmed && c->active_ms + m->early_idle_ms <= now) {
			count(&m->c_reaped);
			log_printf(LOGL_INFO,
			    "media: call %.*s never answered and silent for "
			    "%llu s; deleted at rtpengine",
			    (int)c->cid_len, c->cid,
			    (unsigned long long)(m->early_idle_ms / 1000));
			call_delete(m, c, true);
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
	fprintf(f,
	    "# HELP centinela_media_capped_total SDP offers and answers "
	    "refused: too many in flight to rtpengine (per call or in all).\n"
	    "# TYPE centinela_media_capped_total counter\n"
	    "centinela_media_capped_total{message=\"offer\"} %llu\n"
	    "centinela_media_capped_total{message=\"answer\"} %llu\n",
	    (unsigned long long)get(&m->c_capped_offers),
	    (unsigned long long)get(&m->c_capped_answers));
	fprintf(f,
	    "# HELP centinela_media_retransmitted_offers_total INVITEs of "
	    "calls just deleted, not anchored again.\n"
	    "# TYPE centinela_media_retransmitted_offers_total counter\n"
	    "centinela_media_retransmitted_offers_total %llu\n"
	    "# HELP centinela_media_foreign_deletes_total BYEs and failures "
	    "of another dialog that left an anchored call alone.\n"
	    "# TYPE centinela_media_foreign_deletes_total counter\n"
	    "centinela_media_foreign_deletes_total %llu\n"
	    "# HELP centinela_media_reaped_total Calls never answered "
	    "deleted after MEDIA_EARLY_IDLE_MS without news.\n"
	    "# TYPE centinela_media_reaped_total counter\n"
	    "centinela_media_reaped_total %llu\n"
	    "# HELP centinela_media_bye_unreachable_total Parties of a "
	    "media timeout that could get no BYE.\n"
	    "# TYPE centinela_media_bye_unreachable_total counter\n"
	    "centinela_media_bye_unreachable_total %llu\n",
	    (unsigned long long)get(&m->c_retransmitted),
	    (unsigned long long)get(&m->c_foreign),
	    (unsigned long long)get(&m->c_reaped),
	    (unsigned long long)get(&m->c_bye_unreachable));
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
	m->early_idle_ms = MEDIA_EARLY_IDLE_MS;
	m->tomb_ms = MEDIA_TOMB_MS;
	while (n < cfg->media.max_calls && n < (1u << 20))
		n <<= 1;
	m->buckets = calloc(n, sizeof(*m->buckets));
	m->tombs = calloc(MEDIA_TOMB_SLOTS, sizeof(*m->tombs));
	m->buf = malloc(CMD_BUF);
	if (!m->buckets || !m->tombs || !m->buf) {
		err = ENOMEM;
		goto out;
	}
	/* Keyed: nobody can aim Call-IDs at one tombstone slot. */
	if (getrandom(m->sipkey, sizeof(m->sipkey), 0) !=
	    (ssize_t)sizeof(m->sipkey)) {
		err = errno ? errno : EIO;
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
	while (m->qcmds) {
		struct mcmd *k = m->qcmds;

		m->qcmds = k->next;
		free(k);
	}
	for (i = 0; m->buckets && i <= m->mask; i++)
		while (m->buckets[i]) {
			struct mcall *c = m->buckets[i];

			m->buckets[i] = c->hnext;
			free(c);
		}
	free(m->buckets);
	free(m->tombs);
	free(m->buf);
	free(m);
}

void
media_test_timers(struct media *m, unsigned early_idle_ms, unsigned tomb_ms)
{
	m->early_idle_ms = early_idle_ms;
	m->tomb_ms = tomb_ms;
}

unsigned
media_test_inflight(const struct media *m)
{
	return m->ninflight;
}

bool
media_is_anchored(const struct media *m, struct str call_id)
{
	return m && find(m, call_id) != NULL;
}

static bool
tag_is(struct str t, const char *v, size_t len)
{
	return len && str_eq(t, str_make(v, len));
}

static bool
totag_is(const struct media *m, const struct mcall *c, struct str t)
{
	return c->has_totag && t.len && h64(m, t) == c->totag_h;
}

static bool
in_dialog(
    const struct media *m, const struct mcall *c, const struct sip_msg *msg)
{
	struct str ft = msg->from.tag, tt = msg->to.tag;

	if (c->confirmed) {
		if (!msg->is_request)
			return false; /* a confirmed call ends by BYE */
		return (tag_is(ft, c->tag, c->tag_len) && totag_is(m, c, tt)) ||
		    (totag_is(m, c, ft) && tag_is(tt, c->tag, c->tag_len));
	}
	if (!tag_is(ft, c->tag, c->tag_len))
		return false;
	/* A caller's BYE in the early dialog. */
	if (msg->is_request && tt.len)
		return true;
	if (msg->cseq.num != c->invite_cseq)
		return false;
	/* The INVITE itself or its CANCEL: the same transaction. */
	return !msg->is_request || h64(m, top_branch(msg)) == c->invite_branch;
}

bool
media_in_dialog(const struct media *m, const struct sip_msg *msg)
{
	const struct mcall *c = m ? find(m, msg->call_id) : NULL;

	return c && in_dialog(m, c, msg);
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
	uint64_t h, branch = 0, key = 0;
	unsigned inst;
	int err;

	if (!req->call_id.len || !req->from.tag.len ||
	    req->call_id.len > CALLID_MAX || req->from.tag.len > TAG_MAX)
		return EINVAL;
	h = h64(m, req->call_id);
	if (!c) {
		branch = h64(m, top_branch(req));
		key = invite_key(
		    m, req->call_id, req->from.tag, req->cseq.num, branch);
		if (tomb_has(m, key)) {
			count(&m->c_retransmitted);
			return EALREADY;
		}
		if (creating_other(m, h, req))
			return EEXIST;
		if (m->ncalls >= m->cfg->max_calls)
			return ENOSPC;
	} else {
		/*
		 * One call, one dialog: an initial INVITE of another caller
		 * with this Call-ID, or a request of another dialog, would
		 * ride the call (past max_calls, keeping it alive, taking
		 * its slots for commands).
		 */
		if (c->confirmed ? !in_dialog(m, c, req) :
				   !tag_is(req->from.tag, c->tag, c->tag_len) &&
			    !tag_is(req->to.tag, c->tag, c->tag_len))
			return EEXIST;
		c->active_ms = loop_now(m->loop);
	}
	if (!under_cap(m, req->call_id, h, true))
		return EBUSY;
	k = calloc(1, sizeof(*k));
	if (!k)
		return ENOMEM;
	k->kind = CMD_OFFER;
	k->done = done;
	k->arg = arg;
	k->cid_hash = h;
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
		k->invite_cseq = req->cseq.num;
		k->invite_branch = branch;
		k->tomb_key = key;
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
	err = cmd_send(m, inst, c == NULL, &w, k);
	if (err == EBUSY)
		count(&m->c_capped_offers);
	return err;
}

int
media_answer(struct media *m, const struct sip_msg *rsp, struct str sdp,
    media_done_h *done, void *arg)
{
	struct mcall *c = find(m, rsp->call_id);
	struct bencode_buf w;
	struct mcmd *k;
	uint64_t h;
	int err;

	if (!c)
		return ENOENT;
	if (rsp->call_id.len > CALLID_MAX)
		return EINVAL;
	h = h64(m, rsp->call_id);
	if (!under_cap(m, rsp->call_id, h, false))
		return EBUSY;
	c->active_ms = loop_now(m->loop);
	k = calloc(1, sizeof(*k));
	if (!k)
		return ENOMEM;
	k->kind = CMD_ANSWER;
	k->done = done;
	k->arg = arg;
	k->cid_hash = h;
	memcpy(k->cid, rsp->call_id.s, rsp->call_id.len);
	k->cid_len = rsp->call_id.len;
	bencode_init(&w, m->buf, CMD_BUF);
	put_common(&w, "answer", rsp->call_id);
	put_kv(&w, "from-tag", rsp->from.tag);
	put_kv(&w, "to-tag", rsp->to.tag);
	put_kv(&w, "sdp", sdp);
	put_rewrite(&w);
	bencode_close(&w);
	err = cmd_send(m, c->inst, false, &w, k);
	if (err == EBUSY)
		count(&m->c_capped_answers);
	return err;
}

void
media_confirm(struct media *m, const struct sip_msg *rsp,
    const struct media_party *callee)
{
	struct mcall *c = m ? find(m, rsp->call_id) : NULL;

	/*
	 * Only the 2xx of the INVITE that created the call confirms it,
	 * and only with a To tag: without one no BYE could
	 * prove its dialog, and the call stays early (the caller's BYE
	 * or the reaper ends it).
	 */
	if (!c || c->confirmed || !in_dialog(m, c, rsp) || !rsp->to.tag.len)
		return;
	c->confirmed = true;
	/* The dialog's other tag: a BYE must carry both (media_in_dialog). */
	c->totag_h = h64(m, rsp->to.tag);
	c->has_totag = true;
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
	if (tag_is(req->from.tag, c->tag, c->tag_len))
		p = &c->caller;
	else if (!c->confirmed || totag_is(m, c, req->from.tag))
		p = &c->callee; /* early: the callee's tag is not known yet */
	else
		return; /* another dialog's CSeq must not move ours */
	if (req->cseq.num > p->cseq)
		p->cseq = req->cseq.num;
}

void
media_touch(struct media *m, const struct sip_msg *rsp)
{
	struct mcall *c = m ? find(m, rsp->call_id) : NULL;

	if (c && !c->confirmed && in_dialog(m, c, rsp))
		c->active_ms = loop_now(m->loop);
}

void
media_delete(struct media *m, struct str call_id)
{
	struct mcall *c = m ? find(m, call_id) : NULL;

	if (c)
		call_delete(m, c, true);
}

static bool
delete_msg(struct media *m, const struct sip_msg *msg, bool tomb)
{
	struct mcall *c = m ? find(m, msg->call_id) : NULL;

	if (!c)
		return false;
	if (!in_dialog(m, c, msg)) {
		count(&m->c_foreign);
		/* At most one line a second: a flood must not fill logs. */
		if (loop_now(m->loop) >= m->foreign_log_ms + 1000) {
			m->foreign_log_ms = loop_now(m->loop);
			log_printf(LOGL_INFO,
			    "media: a %s of call %.*s is not of its dialog "
			    "(tags or transaction differ); media kept",
			    msg->is_request ? "request" : "response",
			    STR_FMT(msg->call_id));
		}
		return false;
	}
	call_delete(m, c, tomb);
	return true;
}

bool
media_delete_msg(struct media *m, const struct sip_msg *msg)
{
	return delete_msg(m, msg, true);
}

bool
media_refused(struct media *m, const struct sip_msg *req)
{
	return delete_msg(m, req, false);
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

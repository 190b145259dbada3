/*
 * guard/ban.c -- the ban ladder, its persistence, the allowlist and
 * the commands of centinelactl (see ban.h).
 *
 * Threads: ban_strike() and ban_tick() run on the worker loop;
 * ban_range(), ban_lift() and the allowlist reload also run on the
 * writer thread (commands polled from the store), ban_import() on the
 * feed thread, ban_post_*() on any thread. The banset has its own
 * lock; the allowlist is swapped under allow_lock; posted strikes wait
 * under post_lock; everything else here is written once at start.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/event.h"
#include "core/log.h"
#include "guard/ban.h"
#include "guard/guard.h"
#include "guard/nft.h"
#include "store/store.h"
#include "store/wbq.h"

#define HOUSEKEEP_SECS 60 /* forget / trim in the store this often */
#define HISTORY_KEEP (90 * 86400) /* history lines kept */
#define CMD_KEEP 86400 /* commands kept for daemons to see */
#define ALLOW_MAX 65536 /* allowlist entries from the store */
#define POST_MAX 64 /* strikes posted by other threads, per second */

/* A strike posted by another thread (ban_post_strike()). */
struct posted {
	struct sa src;
	enum peer_role role;
	enum reason why;
	char detail[64];
};

struct ban {
	const struct cfg *cfg;
	const struct cfg_guard *gc;
	struct banset *bs;
	struct wbq *wbq;
	struct nft *nft;

	pthread_rwlock_t allow_lock;
	struct gate *allow;
	int64_t allow_gen; /* writer thread only */
	int64_t last_cmd; /* writer thread only */
	int64_t last_housekeep; /* writer thread only */
	struct cmd_walk *walk; /* writer thread only */

	pthread_mutex_t post_lock;
	struct posted post[POST_MAX]; /* under post_lock */
	unsigned npost;
};

enum bop_type {
	BOP_PUT,
	BOP_EVENT
};

struct bop {
	struct wbq_op op; /* first */
	enum bop_type type;
	union {
		struct ban_rec rec;
		struct ban_event ev;
	} u;
};

const char *
ban_origin_name(enum ban_origin o)
{
	switch (o) {
	case BAN_GUARD:
		return "guard";
	case BAN_CTL:
		return "ctl";
	case BAN_FEED:
		return "feed";
	}
	return "?";
}

/* ---- persistence ---------------------------------------------------- */

static int
apply_op(struct store *s, struct wbq_op *op, void *arg)
{
	struct bop *o = (struct bop *)op;
	int rc = 0;

	switch (o->type) {
	case BOP_PUT:
		rc = store_ban_put(s, &o->u.rec);
		break;
	case BOP_EVENT:
		rc = store_ban_event_add(s, &o->u.ev);
		break;
	}
	return rc;
}

static void
rec_from_info(const struct ban *b, const struct ban_info *bi, struct ban_rec *r)
{
	memset(r, 0, sizeof(*r));
	cidr_fmt(&bi->range, r->addr, sizeof(r->addr));
	snprintf(r->reason, sizeof(r->reason), "%s",
	    reason_name((enum reason)bi->reason));
	if (bi->origin == BAN_FEED && bi->feed < b->gc->nfeeds)
		snprintf(r->origin, sizeof(r->origin), "feed:%s",
		    b->gc->feeds[bi->feed].name);
	else
		snprintf(r->origin, sizeof(r->origin), "%s",
		    ban_origin_name((enum ban_origin)bi->origin));
	r->rung = bi->rung;
	r->strikes = bi->strikes;
	r->first_seen = bi->first_seen;
	r->last_seen = bi->last_seen;
	r->expires = bi->expires == BAN_FOREVER ? INT64_MAX : bi->expires;
	r->forget = bi->forget == BAN_FOREVER ? INT64_MAX : bi->forget;
}

static int
info_from_rec(const struct ban *b, const struct ban_rec *r, struct ban_info *bi)
{
	enum reason why;
	unsigned i;

	memset(bi, 0, sizeof(*bi));
	if (cidr_parse(r->addr, &bi->range))
		return EINVAL;
	cidr_mask(&bi->range);
	if (reason_parse(str_make(r->reason, strlen(r->reason)), &why))
		why = REASON_MANUAL;
	bi->reason = (uint8_t)why;
	bi->origin = BAN_GUARD;
	if (strcmp(r->origin, "ctl") == 0)
		bi->origin = BAN_CTL;
	else if (strncmp(r->origin, "feed:", 5) == 0) {
		bi->origin = BAN_FEED;
		bi->feed = UINT8_MAX;
		for (i = 0; i < b->gc->nfeeds; i++)
			if (strcmp(b->gc->feeds[i].name, r->origin + 5) == 0)
				bi->feed = (uint8_t)i;
	}
	bi->rung = (uint8_t)(r->rung > 255 ? 255 : r->rung);
	bi->strikes = (uint16_t)(r->strikes > 65535 ? 65535 : r->strikes);
	bi->first_seen = (uint32_t)(r->first_seen < 0 ? 0 : r->first_seen);
	bi->last_seen = (uint32_t)(r->last_seen < 0 ? 0 : r->last_seen);
	bi->expires = r->expires >= (int64_t)BAN_FOREVER ? BAN_FOREVER :
	    r->expires < 0				 ? 0 :
							   (uint32_t)r->expires;
	bi->forget = r->forget >= (int64_t)BAN_FOREVER ? BAN_FOREVER :
	    r->forget < 0			       ? 0 :
							 (uint32_t)r->forget;
	return 0;
}

static void
persist_put(struct ban *b, const struct ban_info *bi)
{
	struct bop *o = calloc(1, sizeof(*o));

	if (!o)
		return;
	o->type = BOP_PUT;
	rec_from_info(b, bi, &o->u.rec);
	wbq_push(b->wbq, &o->op);
}

static void
persist_event(struct ban *b, const struct cidr *c, const char *what,
    enum reason why, unsigned rung, unsigned secs, const char *detail)
{
	struct bop *o = calloc(1, sizeof(*o));

	if (!o)
		return;
	o->type = BOP_EVENT;
	cidr_fmt(c, o->u.ev.addr, sizeof(o->u.ev.addr));
	o->u.ev.at = (int64_t)time(NULL);
	snprintf(o->u.ev.what, sizeof(o->u.ev.what), "%s", what);
	snprintf(
	    o->u.ev.reason, sizeof(o->u.ev.reason), "%s", reason_name(why));
	o->u.ev.rung = rung;
	o->u.ev.duration = secs;
	snprintf(
	    o->u.ev.detail, sizeof(o->u.ev.detail), "%s", detail ? detail : "");
	wbq_push(b->wbq, &o->op);
}

/* An event with the source (when known) and the range in the detail. */
static void emit(enum event_type t, const struct sa *src, const struct cidr *c,
    enum reason why, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
emit(enum event_type t, const struct sa *src, const struct cidr *c,
    enum reason why, const char *fmt, ...)
{
	char d[384], r[CIDR_STRLEN];
	struct event ev;
	va_list ap;
	int n;

	n = snprintf(d, sizeof(d), "range=%s ", cidr_fmt(c, r, sizeof(r)));
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(d))
		vsnprintf(d + n, sizeof(d) - (size_t)n, fmt, ap);
	va_end(ap);
	memset(&ev, 0, sizeof(ev));
	ev.type = t;
	ev.reason = why;
	ev.src = src;
	ev.detail = str_make(d, strlen(d));
	event_emit(&ev);
}

/* ---- the allowlist ------------------------------------------------- */

struct allow_load {
	struct cidr *list;
	size_t n, cap;
};

static int
allow_one(const struct allow_rec *a, void *arg)
{
	struct allow_load *al = arg;

	if (al->n == al->cap)
		return al->n >= ALLOW_MAX ? E2BIG : ENOSPC;
	if (cidr_parse(a->addr, &al->list[al->n])) {
		log_warn(
		    "ban: allowlist entry \"%s\" unreadable: skipped", a->addr);
		return 0;
	}
	cidr_mask(&al->list[al->n]);
	al->n++;
	return 0;
}

/* (Re)build the allowlist: guard.allow plus the store's entries. */
static int
allow_reload(struct ban *b, struct store *s)
{
	struct allow_load al;
	struct gate *g, *old;
	int rc;

	al.cap = b->gc->nallow + 1024;
	for (;;) {
		al.list = calloc(al.cap, sizeof(*al.list));
		if (!al.list)
			return ENOMEM;
		memcpy(al.list, b->gc->allow, b->gc->nallow * sizeof(*al.list));
		al.n = b->gc->nallow;
		rc = store_allow_each(s, allow_one, &al);
		if (rc != ENOSPC)
			break;
		free(al.list);
		al.cap *= 4;
	}
	if (rc) {
		if (rc != E2BIG)
			log_warn("ban: allowlist: %s", store_errmsg(s));
		else
			log_warn(
			    "ban: allowlist: more than %d entries", ALLOW_MAX);
		free(al.list);
		return rc;
	}
	rc = gate_alloc_list(&g, al.list, al.n);
	free(al.list);
	if (rc)
		return rc;
	pthread_rwlock_wrlock(&b->allow_lock);
	old = b->allow;
	b->allow = g;
	pthread_rwlock_unlock(&b->allow_lock);
	gate_free(old);
	return 0;
}

bool
ban_allowed(struct ban *b, const struct sa *src)
{
	bool yes;

	pthread_rwlock_rdlock(&b->allow_lock);
	yes = b->allow && gate_denied(b->allow, src);
	pthread_rwlock_unlock(&b->allow_lock);
	return yes;
}

/* ---- the ladder ---------------------------------------------------- */

/*
 * Ban "c" on the ladder: the record's strikes within memory pick the
 * rung ("top": the highest). Returns the duration, 0 when "c" is
 * banned already or in shadow mode.
 */
static unsigned
climb(struct ban *b, const struct sa *src, const struct cidr *c,
    enum reason why, bool top, bool shadow, const char *detail)
{
	const struct cfg_guard *gc = b->gc;
	uint32_t now = (uint32_t)time(NULL);
	struct ban_info old, bi;
	bool have = banset_get(b->bs, c, &old) == 0;
	unsigned strikes, rung, secs;

	if (have && old.expires > now)
		return 0;
	strikes = have && old.forget > now ? old.strikes : 0;
	if (strikes < UINT16_MAX)
		strikes++;
	rung = top		  ? gc->nladder :
	    strikes < gc->nladder ? strikes :
				    gc->nladder;
	secs = gc->ladder[rung - 1];
	if (shadow) {
		emit(EV_SHADOW, src, c, why,
		    "would ban rung=%u for=%us strike=%u%s%s", rung, secs,
		    strikes, detail ? " " : "", detail ? detail : "");
		return 0;
	}
	memset(&bi, 0, sizeof(bi));
	bi.range = *c;
	/*
	 * time() is whole seconds read from the coarse clock, which may
	 * still show the second before: one more keeps the ban at least
	 * "secs" long (a 3 s rung ended after 2.0 s without it).
	 */
	bi.expires = now + secs + 1;
	bi.forget = bi.expires + gc->memory < bi.expires ?
	    BAN_FOREVER :
	    bi.expires + gc->memory;
	bi.first_seen = have ? old.first_seen : now;
	bi.last_seen = now;
	bi.strikes = (uint16_t)strikes;
	bi.rung = (uint8_t)rung;
	bi.reason = (uint8_t)why;
	bi.origin = BAN_GUARD;
	if (banset_put(b->bs, &bi)) {
		log_error("ban: out of memory");
		return 0;
	}
	persist_put(b, &bi);
	persist_event(b, c, "ban", why, rung, secs, detail);
	if (b->nft)
		nft_ban(b->nft, c, secs);
	emit(EV_STRIKE, src, c, why, "strike=%u", strikes);
	emit(EV_BAN, src, c, why, "rung=%u for=%us until=%u%s%s", rung, secs,
	    bi.expires, detail ? " " : "", detail ? detail : "");
	return secs;
}

unsigned
ban_strike(struct ban *b, const struct sa *src, enum peer_role role,
    enum reason why, bool top, bool shadow, const char *detail)
{
	struct cidr c;

	if (cidr_from_sa(&c, src, b->gc->v6_prefix))
		return 0;
	if (role != ROLE_PUBLIC || ban_allowed(b, src)) {
		char a[SA_STRLEN];

		log_printf(LOGL_DEBUG, "ban: %s not banned (%s): %s",
		    sa_fmt(src, a, sizeof(a)),
		    role != ROLE_PUBLIC ? "a peer" : "allowlisted",
		    reason_name(why));
		return 0;
	}
	return climb(b, src, &c, why, top, shadow || b->gc->shadow, detail);
}

int
ban_import(struct ban *b, const struct cidr *ranges, size_t n, unsigned secs,
    unsigned feed, const char *feed_name)
{
	uint32_t now = (uint32_t)time(NULL);
	struct ban_info bi;
	int rc;

	memset(&bi, 0, sizeof(bi));
	bi.expires = now + secs;
	bi.forget = bi.expires;
	bi.first_seen = bi.last_seen = now;
	bi.strikes = 1;
	bi.rung = 1;
	bi.reason = REASON_FEED;
	bi.origin = BAN_FEED;
	bi.feed = (uint8_t)(feed < UINT8_MAX ? feed : UINT8_MAX);
	rc = banset_put_shared(b->bs, ranges, n, &bi);
	log_info("ban: feed %s: %zu entries for %us%s", feed_name, n, secs,
	    rc ? " (out of memory: some left out)" : "");
	return rc;
}

/* ---- housekeeping -------------------------------------------------- */

static int
ended(const struct ban_info *bi, void *arg)
{
	struct ban *b = arg;

	persist_event(b, &bi->range, "unban", (enum reason)bi->reason, bi->rung,
	    0, "ended");
	emit(EV_UNBAN, NULL, &bi->range, (enum reason)bi->reason,
	    "ended rung=%u", bi->rung);
	return 0;
}

void
ban_tick(struct ban *b, uint32_t now, size_t budget)
{
	struct posted post[POST_MAX];
	unsigned i, n;

	pthread_mutex_lock(&b->post_lock);
	n = b->npost;
	memcpy(post, b->post, n * sizeof(post[0]));
	b->npost = 0;
	pthread_mutex_unlock(&b->post_lock);
	for (i = 0; i < n; i++)
		ban_strike(b, &post[i].src, post[i].role, post[i].why, false,
		    false, post[i].detail[0] ? post[i].detail : NULL);
	banset_sweep(b->bs, now, budget, ended, b);
}

int
ban_post_strike(struct ban *b, const struct sa *src, enum peer_role role,
    enum reason why, const char *detail)
{
	struct posted *p;
	int rc = 0;

	if (!b)
		return ENOENT;
	pthread_mutex_lock(&b->post_lock);
	if (b->npost == POST_MAX)
		rc = ENOSPC;
	else {
		p = &b->post[b->npost++];
		p->src = *src;
		p->role = role;
		p->why = why;
		snprintf(
		    p->detail, sizeof(p->detail), "%s", detail ? detail : "");
	}
	pthread_mutex_unlock(&b->post_lock);
	return rc;
}

bool
ban_post_banned(struct ban *b, const struct sa *src)
{
	/* The banset has its own lock: any thread may read it. */
	return b && banset_check(b->bs, src, (uint32_t)time(NULL), NULL);
}

#define CMD_BATCH 256

struct cmd_walk {
	struct ban *b;
	struct store *s;
	bool allow_changed;
	struct ban_cmd cmds[CMD_BATCH]; /* applied after the walk */
	unsigned n;
};

/* Collect (the store cannot be used inside its own walk). */
static int
collect_cmd(const struct ban_cmd *c, void *arg)
{
	struct cmd_walk *w = arg;

	if (w->n == CMD_BATCH)
		return ENOSPC; /* the rest next time */
	w->cmds[w->n++] = *c;
	return 0;
}

/*
 * A command of centinelactl, which has written the record and its
 * history already: take the record as the store has it.
 */
static int
apply_cmd(const struct ban_cmd *c, struct cmd_walk *w)
{
	struct ban *b = w->b;
	struct ban_rec rec;
	struct ban_info bi, old;
	uint32_t now = (uint32_t)time(NULL);

	if (c->id > b->last_cmd)
		b->last_cmd = c->id;
	if (strcmp(c->op, "allow") == 0 || strcmp(c->op, "unallow") == 0) {
		w->allow_changed = true;
		return 0;
	}
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.addr, sizeof(rec.addr), "%s", c->addr);
	if (info_from_rec(b, &rec, &bi)) {
		log_warn("ban: command %lld: bad address \"%s\"",
		    (long long)c->id, c->addr);
		return 0;
	}
	if (strcmp(c->op, "unban") == 0) {
		if (banset_get(b->bs, &bi.range, &old) == 0 &&
		    banset_del(b->bs, &bi.range) == 0) {
			if (b->nft)
				nft_unban(b->nft, &bi.range);
			emit(EV_UNBAN, NULL, &bi.range, (enum reason)old.reason,
			    "lifted: centinelactl");
		}
		return 0;
	}
	if (store_ban_get(w->s, c->addr, &rec) || info_from_rec(b, &rec, &bi))
		return 0; /* lifted again since */
	if (banset_put(b->bs, &bi)) {
		log_error("ban: out of memory");
		return 0;
	}
	if (b->nft && bi.expires > now)
		nft_ban(b->nft, &bi.range,
		    bi.expires == BAN_FOREVER ? 0 : bi.expires - now);
	emit(EV_BAN, NULL, &bi.range, (enum reason)bi.reason,
	    "rung=%u for=%us until=%u centinelactl", bi.rung,
	    bi.expires > now ? bi.expires - now : 0, bi.expires);
	return 0;
}

/* The writer's tick: commands, the allowlist, store housekeeping. */
static void
writer_tick(struct store *s, void *arg)
{
	struct ban *b = arg;
	struct cmd_walk *w = b->walk;
	int64_t gen, now = (int64_t)time(NULL);
	unsigned i;
	int rc;

	w->s = s;
	w->n = 0;
	w->allow_changed = false;
	rc = store_ban_cmd_each(s, b->last_cmd, collect_cmd, w);
	if (rc && rc != ENOSPC)
		log_warn("ban: commands: %s", store_errmsg(s));
	for (i = 0; i < w->n; i++)
		apply_cmd(&w->cmds[i], w);
	if (store_allow_generation(s, &gen) == 0 &&
	    (gen != b->allow_gen || w->allow_changed)) {
		if (allow_reload(b, s) == 0) {
			b->allow_gen = gen;
			log_info("ban: allowlist reloaded");
		}
	}
	if (now - b->last_housekeep >= HOUSEKEEP_SECS) {
		b->last_housekeep = now;
		if (store_ban_forget(s, now, NULL) ||
		    store_ban_event_trim(s, now - HISTORY_KEEP) ||
		    store_ban_cmd_trim(s, now - CMD_KEEP))
			log_warn("ban: store: %s", store_errmsg(s));
	}
}

/* ---- start and stop ------------------------------------------------ */

struct restore {
	struct ban *b;
	uint32_t now;
	unsigned n, bad;
};

static int
restore_one(const struct ban_rec *r, void *arg)
{
	struct restore *rs = arg;
	struct ban_info bi;

	if (info_from_rec(rs->b, r, &bi)) {
		rs->bad++;
		return 0;
	}
	if (bi.forget <= rs->now && bi.expires <= rs->now)
		return 0;
	if (banset_put(rs->b->bs, &bi))
		return ENOMEM;
	if (rs->b->nft && bi.expires > rs->now)
		nft_ban(rs->b->nft, &bi.range,
		    bi.expires == BAN_FOREVER ? 0 : bi.expires - rs->now);
	rs->n++;
	return 0;
}

static int
max_cmd(const struct ban_cmd *c, void *arg)
{
	int64_t *m = arg;

	if (c->id > *m)
		*m = c->id;
	return 0;
}

int
ban_alloc(struct ban **bp, const struct cfg *cfg, struct banset *bs)
{
	struct ban *b;
	struct store *s = NULL;
	struct restore rs;
	char err[256];
	int rc;

	b = calloc(1, sizeof(*b));
	if (!b)
		return ENOMEM;
	b->cfg = cfg;
	b->gc = &cfg->guard;
	b->bs = bs;
	if (!(b->walk = calloc(1, sizeof(*b->walk)))) {
		free(b);
		return ENOMEM;
	}
	b->walk->b = b;
	pthread_rwlock_init(&b->allow_lock, NULL);
	pthread_mutex_init(&b->post_lock, NULL);
	if (b->gc->nft) {
		rc = nft_open(&b->nft, b->gc->nft_table, err, sizeof(err));
		if (rc) {
			log_error("ban: nftables: %s", err);
			goto fail;
		}
	}
	if ((rc = store_open(&s, cfg->store_uri, err, sizeof(err)))) {
		log_error("ban: %s", err);
		goto fail;
	}
	if ((rc = allow_reload(b, s)) ||
	    (rc = store_allow_generation(s, &b->allow_gen)) ||
	    (rc = store_ban_cmd_each(s, 0, max_cmd, &b->last_cmd))) {
		log_error("ban: cannot restore: %s", store_errmsg(s));
		goto fail;
	}
	rs.b = b;
	rs.now = (uint32_t)time(NULL);
	rs.n = rs.bad = 0;
	if ((rc = store_ban_each(s, restore_one, &rs))) {
		log_error("ban: cannot restore: %s",
		    rc == ENOMEM ? "out of memory" : store_errmsg(s));
		goto fail;
	}
	log_info("ban: %u bans and strike records restored%s", rs.n,
	    rs.bad ? " (unreadable ones skipped)" : "");
	rc = wbq_start(
	    &b->wbq, "ban", s, apply_op, writer_tick, cfg->store_poll, b);
	s = NULL;
	if (rc)
		goto fail;
	*bp = b;
	return 0;
fail:
	store_close(s);
	ban_free(b);
	return rc;
}

void
ban_sync(struct ban *b)
{
	wbq_sync(b->wbq);
	if (b->nft)
		nft_sync(b->nft);
}

void
ban_free(struct ban *b)
{
	if (!b)
		return;
	wbq_stop(b->wbq);
	if (b->nft)
		nft_close(b->nft);
	gate_free(b->allow);
	pthread_rwlock_destroy(&b->allow_lock);
	pthread_mutex_destroy(&b->post_lock);
	free(b->walk);
	free(b);
}

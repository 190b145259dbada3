/*
 * route/location.c -- the location table and its write-behind writer.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/event.h"
#include "core/log.h"
#include "route/location.h"
#include "store/wbq.h"

enum wop_type {
	WOP_PUT,
	WOP_DEL,
	WOP_DEL_AOR
};

struct wop {
	struct wbq_op op; /* first: the queue's link */
	enum wop_type type;
	struct binding b; /* PUT: all; DEL: aor + contact; DEL_AOR: aor */
};

/*
 * A lazily written row outlives the phone's next refresh by at least
 * twice this (location.h): timer F (64*T1) of that refresh's REGISTER,
 * and a restart.
 */
#define LAZY_MARGIN_S 32

struct location {
	struct loop *lo_loop;
	struct loc_aor **lo_buckets;
	uint32_t lo_mask;
	unsigned lo_naor;
	unsigned lo_ncontacts;

	struct wbq *lo_wbq; /* the writer */
};

/* ---- text forms --------------------------------------------------- */

void
loc_dst_fmt(const struct tp_dst *d, char *buf, size_t cap)
{
	char a[SA_STRLEN];

	snprintf(buf, cap, "%s:%s", sip_transport_lc(d->tp),
	    sa_fmt(&d->addr, a, sizeof(a)));
}

int
loc_dst_parse(const char *s, struct tp_dst *d)
{
	struct str v = str_make(s, strlen(s)), tp, rest, host, port;
	uint32_t pn;
	long colon;

	memset(d, 0, sizeof(*d));
	if (!str_split(v, ':', &tp, &rest))
		return EINVAL;
	d->tp = sip_transport_from_str(tp);
	if (d->tp != SIP_TP_UDP && d->tp != SIP_TP_TCP && d->tp != SIP_TP_TLS)
		return EINVAL;
	/* The port follows the last ':' ("[v6]:5060" or "1.2.3.4:5060"). */
	for (colon = (long)rest.len - 1; colon >= 0; colon--)
		if (rest.s[colon] == ':')
			break;
	if (colon <= 0)
		return EINVAL;
	host = str_sub(rest, 0, (size_t)colon);
	port = str_skip(rest, (size_t)colon + 1);
	if (str_to_u32_max(port, 65535, &pn) || pn == 0)
		return EINVAL;
	return sa_set(&d->addr, host, (uint16_t)pn) ? EINVAL : 0;
}

/* ---- the writer --------------------------------------------------- */

static int
apply(struct store *s, struct wbq_op *op, void *arg)
{
	const struct wop *w = (const struct wop *)op;
	int rc = 0;

	switch (w->type) {
	case WOP_PUT:
		rc = store_binding_put(s, &w->b);
		break;
	case WOP_DEL:
		rc = store_binding_del(s, w->b.aor, w->b.contact);
		break;
	case WOP_DEL_AOR:
		rc = store_binding_del_aor(s, w->b.aor);
		break;
	}
	return rc == ENOENT ? 0 : rc;
}

static void
enqueue(struct location *loc, struct wop *w)
{
	wbq_push(loc->lo_wbq, &w->op);
}

static void
copy_field(char *dst, size_t cap, struct str s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;

	if (n)
		memcpy(dst, s.s, n);
	dst[n] = '\0';
}

static void
persist_put(
    struct location *loc, const struct loc_aor *a, struct loc_contact *c)
{
	struct wop *w = calloc(1, sizeof(*w));

	if (!w) {
		/* Not written: the next refresh or the stop tries again. */
		c->lc_stored = 0;
		c->lc_dirty = true;
		return;
	}
	c->lc_stored = c->lc_expires;
	c->lc_dirty = false;
	w->type = WOP_PUT;
	copy_field(w->b.aor, sizeof(w->b.aor), a->la_name);
	copy_field(w->b.contact, sizeof(w->b.contact), c->lc_uri);
	loc_dst_fmt(&c->lc_dst, w->b.source, sizeof(w->b.source));
	copy_field(w->b.path, sizeof(w->b.path), c->lc_path);
	copy_field(w->b.call_id, sizeof(w->b.call_id), c->lc_call_id);
	w->b.cseq = c->lc_cseq;
	copy_field(w->b.instance, sizeof(w->b.instance), c->lc_instance);
	w->b.reg_id = c->lc_reg_id;
	copy_field(w->b.user_agent, sizeof(w->b.user_agent), c->lc_ua);
	w->b.q = c->lc_q;
	w->b.expires = c->lc_expires;
	enqueue(loc, w);
}

static void
persist_del(struct location *loc, struct str aor, struct str contact)
{
	struct wop *w = calloc(1, sizeof(*w));

	if (!w)
		return;
	w->type = contact.len ? WOP_DEL : WOP_DEL_AOR;
	copy_field(w->b.aor, sizeof(w->b.aor), aor);
	copy_field(w->b.contact, sizeof(w->b.contact), contact);
	enqueue(loc, w);
}

/* ---- the table ---------------------------------------------------- */

static uint64_t
aor_hash(struct str aor)
{
	return str_hash_nocase(aor);
}

const struct loc_aor *
loc_find(const struct location *loc, struct str aor)
{
	uint64_t h = aor_hash(aor);
	const struct loc_aor *a;

	for (a = loc->lo_buckets[h & loc->lo_mask]; a; a = a->la_next)
		if (a->la_hash == h && str_eq_nocase(a->la_name, aor))
			return a;
	return NULL;
}

static int
grow(struct location *loc)
{
	uint32_t nb = (loc->lo_mask + 1) * 2, i;
	struct loc_aor **b = calloc(nb, sizeof(*b));

	if (!b)
		return ENOMEM;
	for (i = 0; i <= loc->lo_mask; i++)
		while (loc->lo_buckets[i]) {
			struct loc_aor *a = loc->lo_buckets[i];

			loc->lo_buckets[i] = a->la_next;
			a->la_next = b[a->la_hash & (nb - 1)];
			b[a->la_hash & (nb - 1)] = a;
		}
	free(loc->lo_buckets);
	loc->lo_buckets = b;
	loc->lo_mask = nb - 1;
	return 0;
}

static struct loc_aor *
aor_get(struct location *loc, struct str aor, bool create)
{
	uint64_t h = aor_hash(aor);
	struct loc_aor *a;

	for (a = loc->lo_buckets[h & loc->lo_mask]; a; a = a->la_next)
		if (a->la_hash == h && str_eq_nocase(a->la_name, aor))
			return a;
	if (!create)
		return NULL;
	if (loc->lo_naor >= (loc->lo_mask + 1) * 2)
		grow(loc);
	a = calloc(1, sizeof(*a) + aor.len);
	if (!a)
		return NULL;
	memcpy(a->la_buf, aor.s, aor.len);
	a->la_name = str_make(a->la_buf, aor.len);
	a->la_hash = h;
	a->la_next = loc->lo_buckets[h & loc->lo_mask];
	loc->lo_buckets[h & loc->lo_mask] = a;
	loc->lo_naor++;
	return a;
}

static void
aor_drop_if_empty(struct location *loc, struct loc_aor *a)
{
	struct loc_aor **pp;

	if (a->la_contacts)
		return;
	for (pp = &loc->lo_buckets[a->la_hash & loc->lo_mask]; *pp;
	     pp = &(*pp)->la_next)
		if (*pp == a) {
			*pp = a->la_next;
			break;
		}
	loc->lo_naor--;
	free(a);
}

static struct str
put_str(char **p, struct str s)
{
	struct str v = str_make(*p, s.len);

	if (s.len)
		memcpy(*p, s.s, s.len);
	*p += s.len;
	return v;
}

static struct loc_contact *
contact_new(const struct loc_update *u)
{
	size_t n = u->uri.len + u->call_id.len + u->path.len + u->instance.len +
	    u->ua.len;
	struct loc_contact *c = malloc(sizeof(*c) + n);
	char *p;

	if (!c)
		return NULL;
	memset(c, 0, sizeof(*c));
	p = c->lc_buf;
	c->lc_uri = put_str(&p, u->uri);
	c->lc_call_id = put_str(&p, u->call_id);
	c->lc_path = put_str(&p, u->path);
	c->lc_instance = put_str(&p, u->instance);
	c->lc_ua = put_str(&p, u->ua);
	c->lc_expires = u->expires;
	c->lc_dst = u->dst;
	c->lc_cseq = u->cseq;
	c->lc_q = u->q;
	c->lc_reg_id = u->reg_id;
	return c;
}

/* Put a new contact at the head of its AOR's list. */
static void
contact_link(struct location *loc, struct loc_aor *a, struct loc_contact *c)
{
	c->lc_next = a->la_contacts;
	a->la_contacts = c;
	a->la_n++;
	loc->lo_ncontacts++;
}

static bool
same_binding(const struct loc_contact *c, const struct loc_update *u)
{
	if (u->instance.len && c->lc_instance.len)
		return str_eq(c->lc_instance, u->instance) &&
		    c->lc_reg_id == u->reg_id;
	return str_eq(c->lc_uri, u->uri);
}

/*
 * Does "u" leave what routing needs unchanged (URI, source, Path,
 * instance, User-Agent, q)? Then only the expiry and the ordering state
 * (Call-ID, CSeq) move, and the write may wait (refresh_due).
 */
static bool
same_route(const struct loc_contact *c, const struct loc_update *u)
{
	return str_eq(c->lc_uri, u->uri) && str_eq(c->lc_path, u->path) &&
	    str_eq(c->lc_instance, u->instance) && str_eq(c->lc_ua, u->ua) &&
	    c->lc_q == u->q && c->lc_reg_id == u->reg_id &&
	    c->lc_dst.tp == u->dst.tp && sa_eq(&c->lc_dst.addr, &u->dst.addr);
}

/*
 * Write a refresh unless the stored row still covers half of the new
 * interval plus LAZY_MARGIN_S, and no more than the new expiry
 * (location.h).
 */
static bool
refresh_due(const struct loc_contact *c, int64_t now)
{
	return c->lc_stored > c->lc_expires ||
	    c->lc_stored - now < (c->lc_expires - now) / 2 + LAZY_MARGIN_S;
}

/* A refresh: written now when refresh_due, else marked for later. */
static void
persist_refresh(struct location *loc, const struct loc_aor *a,
    struct loc_contact *c, int64_t now)
{
	if (refresh_due(c, now))
		persist_put(loc, a, c);
	else
		c->lc_dirty = true;
}

int
loc_update(struct location *loc, struct str aor, const struct loc_update *u,
    int64_t now, bool *removed)
{
	struct loc_aor *a = aor_get(loc, aor, u->expires > now);
	struct loc_contact **pp, *c, *nc;
	bool lazy;

	*removed = false;
	if (!a)
		return u->expires > now ? ENOMEM : 0;
	for (pp = &a->la_contacts; (c = *pp); pp = &c->lc_next)
		if (same_binding(c, u))
			break;
	if (c && str_eq(c->lc_call_id, u->call_id) && u->cseq <= c->lc_cseq)
		return EBUSY;
	lazy = c && u->expires > now && same_route(c, u);
	if (lazy && c->lc_call_id.len == u->call_id.len) {
		/* A refresh: in place (the Call-ID's bytes may change). */
		memcpy(c->lc_buf + (c->lc_call_id.s - c->lc_buf), u->call_id.s,
		    u->call_id.len);
		c->lc_cseq = u->cseq;
		c->lc_expires = u->expires;
		c->lc_dst.conn_id = u->dst.conn_id;
		persist_refresh(loc, a, c, now);
		return 0;
	}
	if (u->expires <= now) {
		if (c) {
			*pp = c->lc_next;
			persist_del(loc, aor, c->lc_uri);
			free(c);
			a->la_n--;
			loc->lo_ncontacts--;
			*removed = true;
		}
		aor_drop_if_empty(loc, a);
		return 0;
	}
	nc = contact_new(u);
	if (!nc) {
		aor_drop_if_empty(loc, a);
		return ENOMEM;
	}
	if (c) {
		nc->lc_next = c->lc_next;
		nc->lc_stored = c->lc_stored;
		*pp = nc;
		if (!str_eq(c->lc_uri, nc->lc_uri))
			persist_del(loc, aor, c->lc_uri);
		free(c);
	} else
		contact_link(loc, a, nc);
	if (lazy)
		persist_refresh(loc, a, nc, now);
	else
		persist_put(loc, a, nc);
	return 0;
}

unsigned
loc_remove_all(struct location *loc, struct str aor)
{
	struct loc_aor *a = aor_get(loc, aor, false);
	unsigned n = 0;

	if (!a)
		return 0;
	while (a->la_contacts) {
		struct loc_contact *c = a->la_contacts;

		a->la_contacts = c->lc_next;
		free(c);
		n++;
	}
	loc->lo_ncontacts -= n;
	persist_del(loc, aor, STR_NULL);
	a->la_n = 0;
	aor_drop_if_empty(loc, a);
	return n;
}

unsigned
loc_expire(struct location *loc, int64_t now)
{
	unsigned n = 0;
	uint32_t i;

	for (i = 0; i <= loc->lo_mask; i++) {
		struct loc_aor *a = loc->lo_buckets[i], *next;

		for (; a; a = next) {
			struct loc_contact **pp = &a->la_contacts, *c;

			next = a->la_next;
			while ((c = *pp)) {
				struct event ev = { .type = EV_BINDING_EXPIRED,
					.user = a->la_name,
					.call_id = c->lc_call_id,
					.detail = c->lc_uri };

				if (c->lc_expires > now) {
					pp = &c->lc_next;
					continue;
				}
				*pp = c->lc_next;
				event_emit(&ev);
				persist_del(loc, a->la_name, c->lc_uri);
				free(c);
				a->la_n--;
				loc->lo_ncontacts--;
				n++;
			}
			aor_drop_if_empty(loc, a);
		}
	}
	return n;
}

void
loc_each(const struct location *loc,
    void (*fn)(const struct loc_aor *a, const struct loc_contact *c, void *arg),
    void *arg)
{
	const struct loc_aor *a;
	const struct loc_contact *c;
	uint32_t i;

	for (i = 0; i <= loc->lo_mask; i++)
		for (a = loc->lo_buckets[i]; a; a = a->la_next)
			for (c = a->la_contacts; c; c = c->lc_next)
				fn(a, c, arg);
}

unsigned
loc_count(const struct location *loc)
{
	return loc->lo_ncontacts;
}

unsigned
loc_aor_count(const struct location *loc)
{
	return loc->lo_naor;
}

/* ---- start and stop ------------------------------------------------ */

struct restore {
	struct location *loc;
	int64_t now;
	unsigned n, bad;
};

static int
restore_one(const struct binding *b, void *arg)
{
	struct restore *r = arg;
	struct loc_update u;
	struct loc_aor *a;
	struct loc_contact *c;

	if (b->expires <= r->now)
		return 0;
	memset(&u, 0, sizeof(u));
	if (loc_dst_parse(b->source, &u.dst)) {
		r->bad++;
		return 0;
	}
	u.uri = str_make(b->contact, strlen(b->contact));
	u.call_id = str_make(b->call_id, strlen(b->call_id));
	u.path = str_make(b->path, strlen(b->path));
	u.instance = str_make(b->instance, strlen(b->instance));
	u.ua = str_make(b->user_agent, strlen(b->user_agent));
	u.cseq = b->cseq;
	u.q = b->q;
	u.reg_id = b->reg_id;
	u.expires = b->expires;
	a = aor_get(r->loc, str_make(b->aor, strlen(b->aor)), true);
	c = a ? contact_new(&u) : NULL;
	if (!c)
		return ENOMEM;
	c->lc_stored = u.expires;
	contact_link(r->loc, a, c);
	r->n++;
	return 0;
}

int
loc_alloc(struct location **lp, struct loop *l, const char *uri)
{
	struct location *loc;
	struct store *st = NULL;
	struct restore r;
	char err[256];
	int rc;

	loc = calloc(1, sizeof(*loc));
	if (!loc)
		return ENOMEM;
	loc->lo_loop = l;
	loc->lo_mask = 4095;
	loc->lo_buckets = calloc(loc->lo_mask + 1, sizeof(*loc->lo_buckets));
	if (!loc->lo_buckets) {
		rc = ENOMEM;
		goto fail;
	}
	rc = store_open(&st, uri, err, sizeof(err));
	if (rc) {
		log_error("location: %s", err);
		goto fail;
	}
	memset(&r, 0, sizeof(r));
	r.loc = loc;
	r.now = (int64_t)time(NULL);
	rc = store_binding_each(st, restore_one, &r);
	if (rc) {
		log_error("location: cannot restore: %s",
		    rc == ENOMEM ? "out of memory" : store_errmsg(st));
		goto fail;
	}
	if (store_binding_expire(st, r.now))
		log_warn("location: %s", store_errmsg(st));
	log_info("location: %u bindings restored%s", r.n,
	    r.bad ? " (some with an unreadable source skipped)" : "");
	rc = wbq_start(&loc->lo_wbq, "location", st, apply, NULL, 0, NULL);
	st = NULL; /* the queue's now, even on failure */
	if (rc)
		goto fail;
	*lp = loc;
	return 0;
fail:
	store_close(st);
	loc_free(loc);
	return rc;
}

void
loc_sync(struct location *loc)
{
	wbq_sync(loc->lo_wbq);
}

void
loc_free(struct location *loc)
{
	struct loc_contact *c;
	struct loc_aor *a;
	uint32_t i;

	if (!loc)
		return;
	/* Refreshes not yet written (refresh_due): the store gets them now. */
	for (i = 0; loc->lo_wbq && loc->lo_buckets && i <= loc->lo_mask; i++)
		for (a = loc->lo_buckets[i]; a; a = a->la_next)
			for (c = a->la_contacts; c; c = c->lc_next)
				if (c->lc_dirty)
					persist_put(loc, a, c);
	wbq_stop(loc->lo_wbq);
	for (i = 0; loc->lo_buckets && i <= loc->lo_mask; i++)
		while ((a = loc->lo_buckets[i])) {
			loc->lo_buckets[i] = a->la_next;
			while ((c = a->la_contacts)) {
				a->la_contacts = c->lc_next;
				free(c);
			}
			free(a);
		}
	free(loc->lo_buckets);
	free(loc);
}

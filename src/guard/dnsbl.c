/*
 * guard/dnsbl.c -- DNS blocklists with c-ares on the loop (see dnsbl.h).
 *
 * One c-ares channel per struct dnsbl. Its sockets are watched through
 * the loop (the sock_state callback adds, changes and removes them) and
 * its retransmission timeouts run on one loop timer; nothing blocks.
 *
 * Entries live in one hash table keyed by (address, set of zones that
 * apply to the role). An entry is either pending (a struct pend holds
 * the per-zone answers, the waiters and the dnsbl.timeout deadline) or
 * a cached verdict on the age list, which cache_max bounds by evicting
 * the oldest. A second request for a pending entry joins its waiters,
 * so one address costs one query per zone however many requests wait.
 *
 * c-ares cannot cancel a single query (ares_cancel cancels them all),
 * so when the deadline passes the verdict goes out and the struct pend
 * is detached: it stays allocated until c-ares has called back for
 * every query it still holds, and those late answers are dropped.
 * Verdicts are not delivered from inside c-ares: finished waiters go
 * to a ready list that is run after ares_process_fd() returns, so a
 * "done" callback may call dnsbl_check() and dnsbl_cancel() freely.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/nameser.h>
#include <ares.h>
#include <ares_dns.h>
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "guard/dnsbl.h"
#include "guard/guard.h"

#define TTL_MIN 10 /* s: the shortest time a verdict is cached */
#define TTL_MAX 86400
#define TTL_NEGATIVE 300 /* NXDOMAIN without a readable SOA */
#define TTL_FAILED 10 /* a timeout or error is retried this soon */
#define QNAME_MAX 256 /* 32 nibbles, dots and a CFG_DOMAIN_MAX zone */
#define MAX_ANSWERS 8 /* A records looked at per answer */
#define BUCKETS_MIN 64
#define BUCKETS_MAX (1u << 24)

_Static_assert(CFG_MAX_DNSBL <= 8, "zone sets are 8-bit masks");

/* What one zone said about the address. */
enum zres {
	ZR_SKIP = 0, /* not asked: the zone does not apply to the role */
	ZR_WAIT, /* asked, no answer yet */
	ZR_CLEAN,
	ZR_LISTED,
	ZR_FAILED /* timeout, server error, bogus answer */
};

struct dnsbl_key {
	uint8_t family; /* 4 or 6 */
	uint8_t zones; /* bit i: cfg zone i applies */
	uint8_t addr[16]; /* IPv4 in the first four bytes */
};

struct waiter {
	struct waiter *next;
	dnsbl_done_h *done;
	void *arg;
	struct dnsbl_verdict v; /* filled when the waiter is ready */
};

struct pend;

/* The c-ares callback argument of one zone's query. */
struct zq {
	struct pend *p;
	unsigned zone;
};

struct entry;

struct pend {
	struct dnsbl *d;
	struct entry *e; /* NULL once detached (verdict given) */
	struct loop_timer deadline;
	struct zq zq[CFG_MAX_DNSBL];
	uint8_t res[CFG_MAX_DNSBL]; /* enum zres */
	uint32_t answer[CFG_MAX_DNSBL]; /* host order */
	uint32_t ttl; /* smallest TTL seen, s */
	unsigned nwait; /* zones still ZR_WAIT */
	unsigned nares; /* c-ares callbacks still to come */
	struct waiter *wh, **wt;
};

struct entry {
	struct dnsbl_key key;
	struct entry *hnext; /* hash chain */
	struct entry *prev, *next; /* age list, or the pending list */
	struct pend *p; /* non-NULL while the queries run */
	uint64_t expires; /* loop ms */
	struct dnsbl_verdict v;
};

struct elist {
	struct entry *head, *tail;
	unsigned n;
};

struct dnsbl {
	struct loop *l;
	ares_channel ch;
	struct loop_timer atimer; /* c-ares retransmissions */
	struct cfg_dnsbl_zone zone[CFG_MAX_DNSBL];
	unsigned nzone;
	unsigned timeout; /* ms */
	unsigned cache_max;
	bool fail_closed;
	uint64_t seed;
	struct entry **bucket;
	size_t nbucket; /* power of two */
	size_t nentry;
	struct elist cache; /* oldest first */
	struct elist pending;
	struct waiter *rh, **rt; /* verdicts to deliver */
	struct dnsbl_stats st;
};

static pthread_once_t ares_once = PTHREAD_ONCE_INIT;
static int ares_init_status;

static void
ares_once_init(void)
{
	ares_init_status = ares_library_init(ARES_LIB_INIT_ALL);
}

static void
elist_add(struct elist *li, struct entry *e)
{
	e->next = NULL;
	e->prev = li->tail;
	if (li->tail)
		li->tail->next = e;
	else
		li->head = e;
	li->tail = e;
	li->n++;
}

static void
elist_del(struct elist *li, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		li->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		li->tail = e->prev;
	e->prev = e->next = NULL;
	li->n--;
}

/* Keyed so that a source cannot pick addresses that share a chain. */
static size_t
key_slot(const struct dnsbl *d, const struct dnsbl_key *k)
{
	uint8_t buf[sizeof(d->seed) + sizeof(*k)];

	memcpy(buf, &d->seed, sizeof(d->seed));
	memcpy(buf + sizeof(d->seed), k, sizeof(*k));
	return (size_t)str_hash(str_make((const char *)buf, sizeof(buf))) &
	    (d->nbucket - 1);
}

static struct entry *
ht_find(const struct dnsbl *d, const struct dnsbl_key *k)
{
	struct entry *e;

	for (e = d->bucket[key_slot(d, k)]; e; e = e->hnext)
		if (memcmp(&e->key, k, sizeof(*k)) == 0)
			return e;
	return NULL;
}

/* Double the table; on ENOMEM keep the old one (longer chains). */
static void
ht_grow(struct dnsbl *d)
{
	struct entry **old = d->bucket, **nb, *e, *next;
	size_t oldn = d->nbucket, i;

	if (oldn >= BUCKETS_MAX)
		return;
	nb = calloc(oldn * 2, sizeof(*nb));
	if (!nb)
		return;
	d->bucket = nb;
	d->nbucket = oldn * 2;
	for (i = 0; i < oldn; i++)
		for (e = old[i]; e; e = next) {
			size_t s = key_slot(d, &e->key);

			next = e->hnext;
			e->hnext = nb[s];
			nb[s] = e;
		}
	free(old);
}

static void
ht_add(struct dnsbl *d, struct entry *e)
{
	size_t s;

	if (d->nentry >= d->nbucket)
		ht_grow(d);
	s = key_slot(d, &e->key);
	e->hnext = d->bucket[s];
	d->bucket[s] = e;
	d->nentry++;
}

static void
ht_del(struct dnsbl *d, struct entry *e)
{
	struct entry **pp = &d->bucket[key_slot(d, &e->key)];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp) {
		*pp = e->hnext;
		d->nentry--;
	}
	e->hnext = NULL;
}

/* Remove a cached (not pending) entry and free it. */
static void
cache_drop(struct dnsbl *d, struct entry *e)
{
	ht_del(d, e);
	elist_del(&d->cache, e);
	free(e);
}

/*
 * The verdict over the zones in "k->zones": the strongest action of the
 * blocking zones that listed the address (the first zone on a tie).
 * GA_LOG zones only count as tags; when nothing blocks, "zone" and
 * "answer" name the first tagging zone. A timeout or error sets
 * "failed", and with fail = closed a failed blocking zone lists the
 * address with GA_REJECT (zone = that zone, answer 0).
 */
static void
verdict_make(const struct dnsbl *d, uint8_t zones, const uint8_t *res,
    const uint32_t *answer, struct dnsbl_verdict *v)
{
	int tag = -1, fail = -1;
	unsigned i;

	memset(v, 0, sizeof(*v));
	v->zone = -1;
	v->action = GA_LOG;
	for (i = 0; i < d->nzone; i++) {
		enum guard_action act = d->zone[i].action;

		if (!(zones & (1u << i)))
			continue;
		if (res[i] == ZR_LISTED) {
			if (act == GA_LOG) {
				v->ntags++;
				if (tag < 0)
					tag = (int)i;
			} else if (act > v->action) {
				v->listed = true;
				v->action = act;
				v->zone = (int)i;
				v->answer = answer[i];
			}
		} else if (res[i] == ZR_WAIT || res[i] == ZR_FAILED) {
			v->failed = true;
			if (fail < 0 && act != GA_LOG)
				fail = (int)i;
		}
	}
	if (v->listed)
		return;
	if (fail >= 0 && d->fail_closed) {
		v->listed = true;
		v->action = GA_REJECT;
		v->zone = fail;
	} else if (tag >= 0) {
		v->zone = tag;
		v->answer = answer[tag];
	}
}

/* The verdict when no query can be sent (overload, no memory). */
static void
verdict_failed(struct dnsbl *d, uint8_t zones, struct dnsbl_verdict *v)
{
	uint8_t res[CFG_MAX_DNSBL];
	uint32_t answer[CFG_MAX_DNSBL] = { 0 };

	memset(res, ZR_FAILED, sizeof(res));
	verdict_make(d, zones, res, answer, v);
	d->st.failed++;
	if (v->listed)
		d->st.listed++;
}

static void on_ares_timer(void *arg);

static void
ares_rearm(struct dnsbl *d)
{
	struct timeval tv, *t;
	uint64_t ms;

	t = ares_timeout(d->ch, NULL, &tv);
	if (!t) {
		loop_timer_cancel(d->l, &d->atimer);
		return;
	}
	ms = (uint64_t)t->tv_sec * 1000 + ((uint64_t)t->tv_usec + 999) / 1000;
	/* ENOMEM: the per-lookup deadline still ends every wait. */
	(void)loop_timer_start(d->l, &d->atimer, ms, on_ares_timer, d);
}

/* Deliver the ready verdicts; a callback may check or cancel. */
static void
ready_run(struct dnsbl *d)
{
	struct waiter *w;

	while ((w = d->rh)) {
		d->rh = w->next;
		if (!d->rh)
			d->rt = &d->rh;
		w->done(&w->v, w->arg);
		free(w);
	}
}

/* Forget the entry: c-ares may still hold queries for it. */
static void
pend_detach(struct dnsbl *d, struct pend *p)
{
	p->e = NULL;
	loop_timer_cancel(d->l, &p->deadline);
	if (p->nares == 0)
		free(p);
}

/*
 * Every zone answered or the deadline passed: compute the verdict, move
 * the waiters to the ready list and turn the entry into a cache entry.
 */
static void
pend_finish(struct dnsbl *d, struct entry *e)
{
	struct pend *p = e->p;
	struct waiter *w;
	uint32_t ttl = p->ttl;
	unsigned i, guard;

	for (i = 0; i < d->nzone; i++)
		if (p->res[i] == ZR_WAIT)
			p->res[i] = ZR_FAILED;
	verdict_make(d, e->key.zones, p->res, p->answer, &e->v);
	if (e->v.failed) {
		d->st.failed++;
		if (ttl > TTL_FAILED)
			ttl = TTL_FAILED;
	}
	if (e->v.listed)
		d->st.listed++;
	if (ttl < TTL_MIN)
		ttl = TTL_MIN;
	if (ttl > TTL_MAX)
		ttl = TTL_MAX;
	for (w = p->wh; w; w = w->next)
		w->v = e->v;
	if (p->wh) {
		*d->rt = p->wh;
		d->rt = p->wt;
	}
	p->wh = NULL;
	p->wt = &p->wh;
	elist_del(&d->pending, e);
	e->p = NULL;
	pend_detach(d, p);

	/* Expired entries at the old end go first, then the oldest. */
	for (guard = 0; guard < 4 && d->cache.head &&
	     d->cache.head->expires <= loop_now(d->l);
	     guard++)
		cache_drop(d, d->cache.head);
	while (d->cache.n >= d->cache_max && d->cache.head)
		cache_drop(d, d->cache.head);
	e->expires = loop_now(d->l) + (uint64_t)ttl * 1000;
	elist_add(&d->cache, e);
}

static void
on_deadline(void *arg)
{
	struct pend *p = arg;
	struct dnsbl *d = p->d;

	if (p->e)
		pend_finish(d, p->e);
	ready_run(d);
}

/*
 * The SOA minimum of a negative answer. c-ares 1.18 reads an SOA only
 * from the answer section, and a negative answer carries it in the
 * authority section. With no answer records the authority section
 * directly follows the question, so a copy whose header counts the
 * authority records as answers parses with ares_parse_soa_reply().
 */
static bool
soa_minimum(const unsigned char *abuf, int alen, uint32_t *ttl)
{
	struct ares_soa_reply *soa = NULL;
	unsigned char *b;
	int r;

	if (!abuf || alen < HFIXEDSZ || DNS_HEADER_ANCOUNT(abuf) != 0 ||
	    DNS_HEADER_NSCOUNT(abuf) == 0)
		return false;
	b = malloc((size_t)alen);
	if (!b)
		return false;
	memcpy(b, abuf, (size_t)alen);
	DNS_HEADER_SET_ANCOUNT(b, DNS_HEADER_NSCOUNT(abuf));
	DNS_HEADER_SET_NSCOUNT(b, 0);
	DNS_HEADER_SET_ARCOUNT(b, 0);
	r = ares_parse_soa_reply(b, alen, &soa);
	free(b);
	if (r != ARES_SUCCESS || !soa)
		return false;
	*ttl = soa->minttl;
	ares_free_data(soa);
	return true;
}

/*
 * A listing answer is an address in 127.0.0.0/8 (RFC 5782 section 2.1).
 * Anything else is a resolver that rewrites NXDOMAIN, and 127.255.255.x
 * is the error code some lists return to refused resolvers: both fail.
 */
static bool
answer_ok(uint32_t a)
{
	return (a >> 24) == 127 && (a >> 8) != 0x7fffff;
}

static void
zone_record(struct pend *p, unsigned zone, int status,
    const unsigned char *abuf, int alen)
{
	struct ares_addrttl at[MAX_ANSWERS];
	int n = MAX_ANSWERS, i, r;
	uint32_t ttl = TTL_NEGATIVE;
	enum zres res = ZR_FAILED;

	switch (status) {
	case ARES_SUCCESS:
		r = ares_parse_a_reply(abuf, alen, NULL, at, &n);
		if (r == ARES_ENODATA || (r == ARES_SUCCESS && n == 0)) {
			res = ZR_CLEAN;
			soa_minimum(abuf, alen, &ttl);
			break;
		}
		if (r != ARES_SUCCESS)
			break;
		ttl = TTL_MAX;
		for (i = 0; i < n; i++) {
			uint32_t a = ntohl(at[i].ipaddr.s_addr);

			if (at[i].ttl >= 0 && (uint32_t)at[i].ttl < ttl)
				ttl = (uint32_t)at[i].ttl;
			if (res != ZR_LISTED && answer_ok(a)) {
				res = ZR_LISTED;
				p->answer[zone] = a;
			}
		}
		break;
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
		res = ZR_CLEAN;
		soa_minimum(abuf, alen, &ttl);
		break;
	default:
		break;
	}
	p->res[zone] = (uint8_t)res;
	if (res != ZR_FAILED && ttl < p->ttl)
		p->ttl = ttl;
}

static void
on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct zq *q = arg;
	struct pend *p = q->p;
	struct entry *e = p->e;

	p->nares--;
	if (!e) {
		if (p->nares == 0)
			free(p);
		return;
	}
	if (p->res[q->zone] != ZR_WAIT)
		return;
	zone_record(p, q->zone, status, abuf, alen);
	/* pend_finish() may free p: nothing touches it afterwards. */
	if (--p->nwait == 0)
		pend_finish(p->d, e);
}

static void on_sock_state(
    void *arg, ares_socket_t fd, int readable, int writable);

static void
on_fd(int fd, unsigned events, void *arg)
{
	struct dnsbl *d = arg;

	ares_process_fd(d->ch,
	    (events & LOOP_READ) ? (ares_socket_t)fd : ARES_SOCKET_BAD,
	    (events & LOOP_WRITE) ? (ares_socket_t)fd : ARES_SOCKET_BAD);
	ares_rearm(d);
	ready_run(d);
}

static void
on_sock_state(void *arg, ares_socket_t fd, int readable, int writable)
{
	struct dnsbl *d = arg;
	unsigned ev = (readable ? LOOP_READ : 0) | (writable ? LOOP_WRITE : 0);

	if (!ev) {
		loop_fd_del(d->l, fd);
		return;
	}
	/*
	 * EINVAL: not watched yet. A socket the loop cannot watch is left
	 * to the c-ares timeouts and the deadline.
	 */
	if (loop_fd_mod(d->l, fd, ev) == EINVAL)
		(void)loop_fd_add(d->l, fd, ev, on_fd, d);
}

static void
on_ares_timer(void *arg)
{
	struct dnsbl *d = arg;

	ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	ares_rearm(d);
	ready_run(d);
}

/* The servers from cfg's "ip[:port], ..." (c-ares takes no spaces). */
static int
servers_set(struct dnsbl *d, const char *csv)
{
	char buf[CFG_PATH_MAX];
	size_t i, n = 0;

	for (i = 0; csv[i] && n + 1 < sizeof(buf); i++)
		if (csv[i] != ' ' && csv[i] != '\t')
			buf[n++] = csv[i];
	buf[n] = '\0';
	return ares_set_servers_ports_csv(d->ch, buf) == ARES_SUCCESS ? 0 :
									EINVAL;
}

int
dnsbl_alloc(struct dnsbl **dp, struct loop *l, const struct cfg_guard *gc)
{
	struct ares_options o;
	struct dnsbl *d;
	int err = 0, optmask;

	if (!dp || !l || !gc || gc->ndnsbl > CFG_MAX_DNSBL)
		return EINVAL;
	pthread_once(&ares_once, ares_once_init);
	if (ares_init_status != ARES_SUCCESS)
		return ENOMEM;
	d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
	d->l = l;
	d->nzone = gc->ndnsbl;
	memcpy(d->zone, gc->dnsbl, sizeof(d->zone));
	d->timeout = gc->dnsbl_timeout ? gc->dnsbl_timeout : 1000;
	d->cache_max = gc->dnsbl_cache_max ? gc->dnsbl_cache_max : 1;
	d->fail_closed = gc->dnsbl_fail_closed;
	d->rt = &d->rh;
	if (getrandom(&d->seed, sizeof(d->seed), GRND_NONBLOCK) !=
	    sizeof(d->seed))
		d->seed = loop_clock_ms() ^ (uint64_t)(uintptr_t)d;
	d->nbucket = BUCKETS_MIN;
	d->bucket = calloc(d->nbucket, sizeof(*d->bucket));
	if (!d->bucket) {
		err = ENOMEM;
		goto out;
	}

	/*
	 * Three tries inside the deadline: a lost datagram is sent again
	 * after a quarter of it, then after three quarters (c-ares doubles
	 * the wait per round); the deadline answers first.
	 */
	memset(&o, 0, sizeof(o));
	o.sock_state_cb = on_sock_state;
	o.sock_state_cb_data = d;
	o.timeout = (int)(d->timeout / 4 ? d->timeout / 4 : 1);
	o.tries = 3;
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	optmask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	    ARES_OPT_FLAGS;
	if (ares_init_options(&d->ch, &o, optmask) != ARES_SUCCESS) {
		d->ch = NULL;
		err = ENOMEM;
		goto out;
	}
	if (gc->dnsbl_servers[0])
		err = servers_set(d, gc->dnsbl_servers);
out:
	if (err)
		dnsbl_free(d);
	else
		*dp = d;
	return err;
}

void
dnsbl_free(struct dnsbl *d)
{
	struct entry *e;
	struct waiter *w;

	if (!d)
		return;
	while ((e = d->pending.head)) {
		struct pend *p = e->p;

		while ((w = p->wh)) {
			p->wh = w->next;
			free(w);
		}
		elist_del(&d->pending, e);
		ht_del(d, e);
		pend_detach(d, p);
		free(e);
	}
	while ((w = d->rh)) {
		d->rh = w->next;
		free(w);
	}
	/* Calls back every query still held (freeing detached pends)
	 * and closes the sockets (loop_fd_del through on_sock_state). */
	if (d->ch)
		ares_destroy(d->ch);
	loop_timer_cancel(d->l, &d->atimer);
	while (d->cache.head)
		cache_drop(d, d->cache.head);
	free(d->bucket);
	free(d);
}

/* The key of "addr"; false for anything but IPv4 and IPv6. */
static bool
key_make(struct dnsbl_key *k, const struct sa *addr, uint8_t zones)
{
	const uint8_t *a;
	int fam;

	memset(k, 0, sizeof(*k));
	k->zones = zones;
	if (!(a = sa_addr_bytes(addr, &fam)))
		return false;
	k->family = (uint8_t)fam;
	memcpy(k->addr, a, fam == 4 ? 4 : 16);
	return true;
}

/* RFC 5782 section 2.1 and 2.4: "4.3.2.1.zone", "b.a.9.8....zone". */
static void
qname_make(const struct dnsbl_key *k, const char *zone, char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	int i;

	if (k->family == 4) {
		snprintf(buf, cap, "%u.%u.%u.%u.%s", k->addr[3], k->addr[2],
		    k->addr[1], k->addr[0], zone);
		return;
	}
	for (i = 15; i >= 0 && n + 4 < cap; i--) {
		buf[n++] = hex[k->addr[i] & 0xf];
		buf[n++] = '.';
		buf[n++] = hex[k->addr[i] >> 4];
		buf[n++] = '.';
	}
	snprintf(buf + n, cap - n, "%s", zone);
}

/*
 * Start the queries for a new pending entry. Returns the entry, which
 * may already be a cache entry when every query failed at once, or
 * NULL (ENOMEM).
 */
static struct entry *
lookup_start(struct dnsbl *d, const struct dnsbl_key *k)
{
	char name[QNAME_MAX];
	struct entry *e;
	struct pend *p;
	unsigned i;

	e = calloc(1, sizeof(*e));
	p = calloc(1, sizeof(*p));
	if (!e || !p) {
		free(e);
		free(p);
		return NULL;
	}
	e->key = *k;
	e->p = p;
	p->d = d;
	p->e = e;
	p->ttl = TTL_MAX;
	p->wt = &p->wh;
	if (loop_timer_start(d->l, &p->deadline, d->timeout, on_deadline, p)) {
		free(e);
		free(p);
		return NULL;
	}
	for (i = 0; i < d->nzone; i++)
		if (k->zones & (1u << i)) {
			p->res[i] = ZR_WAIT;
			p->nwait++;
		}
	ht_add(d, e);
	elist_add(&d->pending, e);
	/*
	 * c-ares may call back from inside ares_query() (no memory, no
	 * server): after the last query p may be gone, so the loop looks
	 * only at its own copy of the zone set and at e.
	 */
	for (i = 0; i < d->nzone; i++) {
		if (!(k->zones & (1u << i)))
			continue;
		qname_make(k, d->zone[i].zone, name, sizeof(name));
		p->zq[i].p = p;
		p->zq[i].zone = i;
		p->nares++;
		d->st.queries++;
		ares_query(d->ch, name, ns_c_in, ns_t_a, on_answer, &p->zq[i]);
	}
	ares_rearm(d);
	return e;
}

bool
dnsbl_check(struct dnsbl *d, const struct sa *addr, enum peer_role role,
    struct dnsbl_verdict *v, dnsbl_done_h *done, void *arg)
{
	struct dnsbl_key k;
	struct waiter *w;
	struct entry *e;
	uint8_t zones = 0;
	unsigned i;

	memset(v, 0, sizeof(*v));
	v->zone = -1;
	v->action = GA_LOG;
	if (!d || (unsigned)role >= CFG_NROLES)
		return true;
	for (i = 0; i < d->nzone; i++)
		if (d->zone[i].roles[role])
			zones |= (uint8_t)(1u << i);
	if (!zones || !key_make(&k, addr, zones))
		return true;

	e = ht_find(d, &k);
	if (e && !e->p && e->expires <= loop_now(d->l)) {
		cache_drop(d, e);
		e = NULL;
	}
	if (e && !e->p) {
		d->st.hits++;
		*v = e->v;
		return true;
	}
	if (!e) {
		/* Each pending address holds a few hundred bytes and a
		 * socket's worth of queries: bound them like the cache. */
		if (d->pending.n >= d->cache_max ||
		    !(e = lookup_start(d, &k))) {
			verdict_failed(d, zones, v);
			return true;
		}
		if (!e->p) {
			*v = e->v;
			return true;
		}
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		verdict_failed(d, zones, v);
		return true;
	}
	w->done = done;
	w->arg = arg;
	*e->p->wt = w;
	e->p->wt = &w->next;
	return false;
}

static void
waiters_cancel(struct waiter **wh, struct waiter ***wt, void *arg)
{
	struct waiter **pp = wh, *w;

	while ((w = *pp)) {
		if (w->arg == arg) {
			*pp = w->next;
			free(w);
		} else
			pp = &w->next;
	}
	*wt = pp;
}

void
dnsbl_cancel(struct dnsbl *d, void *arg)
{
	struct entry *e;

	if (!d)
		return;
	for (e = d->pending.head; e; e = e->next)
		waiters_cancel(&e->p->wh, &e->p->wt, arg);
	waiters_cancel(&d->rh, &d->rt, arg);
}

void
dnsbl_stats(const struct dnsbl *d, struct dnsbl_stats *st)
{
	if (!d) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = d->st;
}

/* ---- the guard ------------------------------------------------------ */

static enum guard_vd
dnsbl_request(
    struct guard_ctx *gx, const struct sip_msg *msg, struct guard_result *res)
{
	const struct cfg_guard *gc = &gx->cfg->guard;
	struct dnsbl_verdict v;
	char d[CFG_DOMAIN_MAX + 64];
	unsigned a;

	if (!gx->env || !gx->env->dnsbl)
		return GUARD_CONTINUE;
	if (gx->dnsbl_have)
		v = gx->dnsbl_v;
	else if (!gx->park_done) {
		/* Too many requests waiting already: as on a timeout. */
		memset(&v, 0, sizeof(v));
		v.failed = true;
		v.zone = -1;
		v.listed = gc->dnsbl_fail_closed;
		v.action = GA_REJECT;
	} else if (!dnsbl_check(gx->env->dnsbl, gx->src, gx->role, &v,
		       gx->park_done, gx->park))
		return GUARD_PENDING;
	if (!v.listed && !v.ntags)
		return GUARD_CONTINUE;
	a = v.answer;
	snprintf(d, sizeof(d), "zone=%s answer=%u.%u.%u.%u%s",
	    v.zone >= 0 ? gc->dnsbl[v.zone].zone : "?", a >> 24,
	    (a >> 16) & 255, (a >> 8) & 255, a & 255,
	    v.failed ? " failed" : "");
	return guard_act(gx, msg, res, v.listed ? v.action : GA_LOG,
	    REASON_DNSBL, gc->dnsbl_shadow, false, d);
}

const struct guard_ops guard_dnsbl = {
	.name = "dnsbl",
	.on_request = dnsbl_request,
};

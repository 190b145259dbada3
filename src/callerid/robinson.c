/*
 * callerid/robinson.c -- the Lista Robinson HTTP lookup on the loop
 * (see robinson.h).
 *
 * One curl multi handle per struct robinson, driven by the loop: the
 * socket callback adds, changes and removes loop fds, the timer
 * callback arms one loop timer, and both call curl_multi_socket_action()
 * from loop callbacks, never from inside curl.
 *
 * Entries live in one hash table keyed by the 32 bytes of the hash. An
 * entry is queued (waiting for the next flush), in flight (held by one
 * request) or cached (on the age list, oldest first: every answer has
 * the same lifetime, so the oldest is also the first to expire). A
 * check of a queued or in-flight hash joins its waiters, so one hash
 * costs one query however many calls wait for it, and a request never
 * carries a hash twice (the API answers 400 to duplicates).
 *
 * The queue is flushed by a 0 ms timer, i.e. on the next loop
 * iteration, so the checks of one receive batch share requests. A check
 * is admitted only when the requests already running plus those the
 * queue will need stay within inflight_max, so a flush can always send
 * everything it holds.
 *
 * Answers are not delivered from inside curl: finished waiters go to a
 * ready list that runs after curl returns, so a "done" callback may
 * call robinson_check() and robinson_cancel() freely.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <curl/curl.h>
#include <jansson.h>

#include "callerid/robinson.h"
#include "core/log.h"
#include "core/str.h"

#define HASH_LEN 32
#define HEX_LEN 64
#define RSP_MAX (256 * 1024) /* bytes of answer read at most */
#define DEADLINE_SLACK 500 /* ms after curl's own timeout */
#define EXPIRE_STEP 16 /* expired entries dropped per insertion */
#define SNIP_MAX 121 /* bytes of an error answer logged, + NUL */
#define WARN_EVERY 10000 /* ms between two failure warnings */
#define BUCKETS_MIN 64
#define BUCKETS_MAX (1u << 24)
#define INFLIGHT_LIMIT 4096
#define CACHE_LIMIT 10000000

enum rstate {
	RS_QUEUED = 1,
	RS_FLIGHT,
	RS_CACHED
};

struct waiter {
	struct waiter *next;
	robinson_done_h *done;
	void *arg;
	enum cid_robinson out; /* set when the waiter is ready */
};

struct entry {
	uint8_t key[HASH_LEN];
	uint8_t state; /* enum rstate */
	uint8_t answer; /* enum cid_robinson, when cached */
	struct entry *hnext; /* hash chain */
	struct entry *prev, *next; /* queue or age list */
	struct waiter *wh, **wt;
	uint64_t expires; /* loop ms, when cached */
};

struct elist {
	struct entry *head, *tail;
	unsigned n;
};

struct req {
	struct robinson *r;
	struct req *prev, *next;
	CURL *easy;
	struct loop_timer deadline;
	char *body;
	char *rsp;
	size_t rlen, rcap;
	bool big;
	char err[CURL_ERROR_SIZE];
	unsigned n;
	struct entry *e[]; /* n entries, each RS_FLIGHT */
};

struct robinson {
	struct loop *l;
	CURLM *multi;
	struct loop_timer ctimer; /* curl's timeouts */
	struct loop_timer ftimer; /* the queue flush */
	char *url;
	char *key_id, *secret;
	char sigv4[128];
	struct curl_slist *hdrs;
	unsigned timeout; /* ms */
	uint64_t ttl; /* ms an answer is kept */
	unsigned batch_max, inflight_max, cache_max;
	uint64_t seed;
	struct entry **bucket;
	size_t nbucket; /* power of two */
	size_t nentry;
	struct elist queue; /* RS_QUEUED */
	struct elist cache; /* RS_CACHED, oldest first */
	struct req *rq; /* requests in flight */
	unsigned nreq;
	struct waiter *rh, **rt; /* answers to deliver */
	uint64_t warned; /* loop ms of the last warning */
	unsigned unwarned; /* failures since */
	struct robinson_stats st;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void
curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
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

/*
 * Keyed: numbers whose hashes share low bits are easy to find, so the
 * slot must not be a plain function of the hash.
 */
static size_t
key_slot(const struct robinson *r, const uint8_t *k)
{
	uint8_t buf[sizeof(r->seed) + HASH_LEN];

	memcpy(buf, &r->seed, sizeof(r->seed));
	memcpy(buf + sizeof(r->seed), k, HASH_LEN);
	return (size_t)str_hash(str_make((const char *)buf, sizeof(buf))) &
	    (r->nbucket - 1);
}

static struct entry *
ht_find(const struct robinson *r, const uint8_t *k)
{
	struct entry *e;

	for (e = r->bucket[key_slot(r, k)]; e; e = e->hnext)
		if (memcmp(e->key, k, HASH_LEN) == 0)
			return e;
	return NULL;
}

/* Double the table; on ENOMEM keep the old one (longer chains). */
static void
ht_grow(struct robinson *r)
{
	struct entry **old = r->bucket, **nb, *e, *next;
	size_t oldn = r->nbucket, i;

	if (oldn >= BUCKETS_MAX)
		return;
	nb = calloc(oldn * 2, sizeof(*nb));
	if (!nb)
		return;
	r->bucket = nb;
	r->nbucket = oldn * 2;
	for (i = 0; i < oldn; i++)
		for (e = old[i]; e; e = next) {
			size_t s = key_slot(r, e->key);

			next = e->hnext;
			e->hnext = nb[s];
			nb[s] = e;
		}
	free(old);
}

static void
ht_add(struct robinson *r, struct entry *e)
{
	size_t s;

	if (r->nentry >= r->nbucket)
		ht_grow(r);
	s = key_slot(r, e->key);
	e->hnext = r->bucket[s];
	r->bucket[s] = e;
	r->nentry++;
}

static void
ht_del(struct robinson *r, struct entry *e)
{
	struct entry **pp = &r->bucket[key_slot(r, e->key)];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp) {
		*pp = e->hnext;
		r->nentry--;
	}
	e->hnext = NULL;
}

static void
waiters_free(struct waiter *w)
{
	struct waiter *next;

	for (; w; w = next) {
		next = w->next;
		free(w);
	}
}

/* Remove an entry in any state from the table and its list; free it. */
static void
entry_drop(struct robinson *r, struct entry *e)
{
	ht_del(r, e);
	if (e->state == RS_CACHED)
		elist_del(&r->cache, e);
	else if (e->state == RS_QUEUED)
		elist_del(&r->queue, e);
	waiters_free(e->wh);
	free(e);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 64 hex digits, any case, and nothing after them. */
static bool
key_parse(const char *hex, uint8_t *k)
{
	size_t i;

	if (!hex)
		return false;
	for (i = 0; i < HASH_LEN; i++) {
		int hi, lo;

		if ((hi = hexval((unsigned char)hex[2 * i])) < 0 ||
		    (lo = hexval((unsigned char)hex[2 * i + 1])) < 0)
			return false;
		k[i] = (uint8_t)(hi << 4 | lo);
	}
	return hex[HEX_LEN] == '\0';
}

/* Lower-case hex, as number_robinson_hash() writes it. */
static void
key_hex(const uint8_t *k, char out[HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < HASH_LEN; i++) {
		out[2 * i] = digits[k[i] >> 4];
		out[2 * i + 1] = digits[k[i] & 0xf];
	}
	out[HEX_LEN] = '\0';
}

/* Deliver the ready answers; a callback may check or cancel. */
static void
ready_run(struct robinson *r)
{
	struct waiter *w;

	while ((w = r->rh)) {
		r->rh = w->next;
		if (!r->rh)
			r->rt = &r->rh;
		w->done(w->out, w->arg);
		free(w);
	}
}

/* One warning per WARN_EVERY ms at most; the rest are counted. */
static void
warn_failure(struct robinson *r, const char *what)
{
	uint64_t now = loop_now(r->l);

	if (r->warned && now - r->warned < WARN_EVERY) {
		r->unwarned++;
		return;
	}
	log_warn("robinson: %s: %s (%u more failures not shown)", r->url, what,
	    r->unwarned);
	r->warned = now ? now : 1;
	r->unwarned = 0;
}

/* Make room in the cache: expired entries first, then the oldest. */
static void
cache_trim(struct robinson *r)
{
	unsigned i;

	for (i = 0; i < EXPIRE_STEP && r->cache.head &&
	     r->cache.head->expires <= loop_now(r->l);
	     i++)
		entry_drop(r, r->cache.head);
	while (r->cache.n >= r->cache_max && r->cache.head)
		entry_drop(r, r->cache.head);
}

/*
 * The lookup of a queued or in-flight entry is over: its waiters go to
 * the ready list, and the entry is cached (CLEAR, LISTED) or dropped
 * (FAILED). The caller has taken it out of the queue or its request.
 */
static void
entry_finish(struct robinson *r, struct entry *e, enum cid_robinson ans)
{
	struct waiter *w;

	for (w = e->wh; w; w = w->next)
		w->out = ans;
	if (e->wh) {
		*r->rt = e->wh;
		r->rt = e->wt;
	}
	e->wh = NULL;
	e->wt = &e->wh;
	if (ans == CID_ROB_LISTED)
		r->st.listed++;
	if (ans == CID_ROB_FAILED)
		r->st.failed++;
	if (ans == CID_ROB_FAILED || r->ttl == 0) {
		e->state = 0;
		entry_drop(r, e);
		return;
	}
	cache_trim(r);
	e->state = RS_CACHED;
	e->answer = (uint8_t)ans;
	e->expires = loop_now(r->l) + r->ttl;
	elist_add(&r->cache, e);
}

/* What the answer "root" says about hash "hex". */
static enum cid_robinson
answer_of(const json_t *root, const char *hex)
{
	const json_t *v, *f;

	v = json_object_get(root, hex);
	if (!json_is_object(v))
		return CID_ROB_FAILED;
	f = json_object_get(v, "found");
	if (json_is_boolean(f))
		return json_is_true(f) ? CID_ROB_LISTED : CID_ROB_CLEAR;
	/* Some answers carry 1/0 (the client only tests truthiness). */
	if (json_is_integer(f))
		return json_integer_value(f) ? CID_ROB_LISTED : CID_ROB_CLEAR;
	return CID_ROB_FAILED;
}

static void
req_free(struct req *q)
{
	if (!q)
		return;
	if (q->easy)
		curl_easy_cleanup(q->easy);
	free(q->body);
	free(q->rsp);
	free(q);
}

static void
req_unlink(struct robinson *r, struct req *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		r->rq = q->next;
	if (q->next)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
	r->nreq--;
}

/* The start of an error answer, printable, for the log. */
static void
body_snip(const struct req *q, char *out, size_t cap)
{
	size_t i, n = q->rlen < cap - 1 ? q->rlen : cap - 1;

	for (i = 0; i < n; i++)
		out[i] =
		    q->rsp[i] >= 0x20 && q->rsp[i] < 0x7f ? q->rsp[i] : '?';
	out[n] = '\0';
}

/*
 * A request is over ("rc" is curl's result, or CURLE_OPERATION_TIMEDOUT
 * from the deadline): read the answer for each of its hashes, finish
 * the entries and free the request. The handle is out of the multi.
 */
static void
req_finish(struct robinson *r, struct req *q, CURLcode rc)
{
	char hex[HEX_LEN + 1], what[CURL_ERROR_SIZE + 64], snip[SNIP_MAX];
	json_t *root = NULL;
	json_error_t jerr;
	long code = 0;
	unsigned i, nfail = 0;

	loop_timer_cancel(r->l, &q->deadline);
	req_unlink(r, q);
	what[0] = '\0';
	if (rc == CURLE_OK)
		curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK && q->big)
		snprintf(what, sizeof(what), "answer too big");
	else if (rc != CURLE_OK)
		snprintf(what, sizeof(what), "%s",
		    q->err[0] ? q->err : curl_easy_strerror(rc));
	else if (code < 200 || code > 299) {
		body_snip(q, snip, sizeof(snip));
		snprintf(what, sizeof(what), "HTTP %ld: %s", code, snip);
	} else if (!(root =
			   json_loadb(q->rsp ? q->rsp : "", q->rlen, 0, &jerr)))
		snprintf(what, sizeof(what), "bad JSON: %s", jerr.text);
	else if (!json_is_object(root))
		snprintf(what, sizeof(what), "answer is not a JSON object");
	for (i = 0; i < q->n; i++) {
		enum cid_robinson ans = CID_ROB_FAILED;

		if (!what[0]) {
			key_hex(q->e[i]->key, hex);
			ans = answer_of(root, hex);
		}
		if (ans == CID_ROB_FAILED)
			nfail++;
		entry_finish(r, q->e[i], ans);
	}
	if (!what[0] && nfail)
		snprintf(what, sizeof(what), "%u of %u hashes not answered",
		    nfail, q->n);
	if (what[0])
		warn_failure(r, what);
	json_decref(root);
	req_free(q);
}

/* Hand every transfer curl has finished to req_finish(). */
static void
done_read(struct robinson *r)
{
	char *priv;
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(r->multi, &left))) {
		CURL *easy = m->easy_handle;
		CURLcode rc = m->data.result;

		if (m->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		curl_multi_remove_handle(r->multi, easy);
		if (priv)
			req_finish(r, (struct req *)priv, rc);
	}
}

/*
 * The safety net: curl's own CURLOPT_TIMEOUT_MS ends every transfer,
 * unless its timer could not be armed (no memory for the heap).
 */
static void
on_deadline(void *arg)
{
	struct req *q = arg;
	struct robinson *r = q->r;

	curl_multi_remove_handle(r->multi, q->easy);
	req_finish(r, q, CURLE_OPERATION_TIMEDOUT);
	ready_run(r);
}

static void
on_fd(int fd, unsigned events, void *arg)
{
	struct robinson *r = arg;
	int running, act = 0;

	if (events & LOOP_READ)
		act |= CURL_CSELECT_IN;
	if (events & LOOP_WRITE)
		act |= CURL_CSELECT_OUT;
	curl_multi_socket_action(r->multi, fd, act, &running);
	done_read(r);
	ready_run(r);
}

static void
on_ctimer(void *arg)
{
	struct robinson *r = arg;
	int running;

	curl_multi_socket_action(r->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	done_read(r);
	ready_run(r);
}

/*
 * CURLMOPT_SOCKETFUNCTION. A socket seen for the first time (socketp
 * NULL) gets a fresh loop slot: a slot left over by a socket closed
 * without REMOVE would otherwise swallow the add.
 */
static int
on_sock(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct robinson *r = userp;
	unsigned ev = 0;

	if (what == CURL_POLL_REMOVE) {
		loop_fd_del(r->l, s);
		return 0;
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev |= LOOP_READ;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev |= LOOP_WRITE;
	if (socketp) {
		if (loop_fd_mod(r->l, s, ev) == 0)
			return 0;
	}
	loop_fd_del(r->l, s);
	/* Unwatched on failure: the transfer ends at its timeout. */
	if (loop_fd_add(r->l, s, ev, on_fd, r) == 0)
		curl_multi_assign(r->multi, s, r);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: -1 cancels, 0 means "as soon as possible". */
static int
on_curl_timer(CURLM *multi, long ms, void *userp)
{
	struct robinson *r = userp;

	if (ms < 0) {
		loop_timer_cancel(r->l, &r->ctimer);
		return 0;
	}
	/* -1: curl fails every transfer rather than let them hang. */
	if (loop_timer_start(r->l, &r->ctimer, (uint64_t)ms, on_ctimer, r))
		return -1;
	return 0;
}

static size_t
on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct req *q = arg;
	size_t n = size * nmemb, cap;
	char *p;

	if (n > RSP_MAX - q->rlen) {
		q->big = true;
		return 0;
	}
	if (q->rlen + n > q->rcap) {
		cap = q->rcap ? q->rcap : 1024;
		while (cap < q->rlen + n)
			cap *= 2;
		if (!(p = realloc(q->rsp, cap)))
			return 0;
		q->rsp = p;
		q->rcap = cap;
	}
	memcpy(q->rsp + q->rlen, data, n);
	q->rlen += n;
	return n;
}

/* Set up the easy handle of q; 0 or ENOMEM. */
static int
req_easy(struct robinson *r, struct req *q, size_t blen)
{
	CURL *e;
	int bad = 0;

	if (!(e = q->easy = curl_easy_init()))
		return ENOMEM;
	bad |= curl_easy_setopt(e, CURLOPT_URL, r->url);
	bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, q);
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_PROXY, "");
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, "centinela");
	bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
	bad |= curl_easy_setopt(e, CURLOPT_POST, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)blen);
	bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body);
	bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)r->timeout);
	bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)r->timeout);
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, q);
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, q->err);
	bad |= curl_easy_setopt(e, CURLOPT_EXPECT_100_TIMEOUT_MS, 0L);
	if (r->key_id) {
		bad |= curl_easy_setopt(e, CURLOPT_AWS_SIGV4, r->sigv4);
		bad |= curl_easy_setopt(e, CURLOPT_USERNAME, r->key_id);
		bad |= curl_easy_setopt(e, CURLOPT_PASSWORD, r->secret);
	}
	return bad ? ENOMEM : 0;
}

/*
 * Send the first n entries of the queue in one request. On failure the
 * entries fail (their waiters go to the ready list).
 */
static void
req_send(struct robinson *r, unsigned n)
{
	struct entry *e;
	struct req *q;
	size_t blen = 0;
	unsigned i;

	q = calloc(1, sizeof(*q) + n * sizeof(q->e[0]));
	if (q)
		q->body = malloc((size_t)n * (HEX_LEN + 1));
	for (i = 0; i < n; i++) {
		e = r->queue.head;
		elist_del(&r->queue, e);
		e->state = RS_FLIGHT;
		if (!q || !q->body) {
			entry_finish(r, e, CID_ROB_FAILED);
			continue;
		}
		q->e[q->n++] = e;
		if (blen)
			q->body[blen++] = ',';
		key_hex(e->key, q->body + blen);
		blen += HEX_LEN;
	}
	if (!q || !q->body) {
		if (q)
			free(q);
		warn_failure(r, "no memory for a request");
		return;
	}
	q->r = r;
	q->body[blen] = '\0';
	q->next = r->rq;
	if (r->rq)
		r->rq->prev = q;
	r->rq = q;
	r->nreq++;
	r->st.requests++;
	r->st.queries += q->n;
	if (req_easy(r, q, blen) ||
	    loop_timer_start(r->l, &q->deadline,
		(uint64_t)r->timeout + DEADLINE_SLACK, on_deadline, q) ||
	    curl_multi_add_handle(r->multi, q->easy) != CURLM_OK) {
		snprintf(q->err, sizeof(q->err), "cannot start a request");
		req_finish(r, q, CURLE_OUT_OF_MEMORY);
	}
}

static void
on_flush(void *arg)
{
	struct robinson *r = arg;
	unsigned n;

	while ((n = r->queue.n) > 0)
		req_send(r, n < r->batch_max ? n : r->batch_max);
	ready_run(r);
}

void
robinson_opts_default(struct robinson_opts *o)
{
	const char *k = getenv(ROBINSON_ENV_KEY);
	const char *s = getenv(ROBINSON_ENV_SECRET);

	memset(o, 0, sizeof(*o));
	o->region = "eu-west-1";
	o->service = "execute-api";
	o->batch_max = 20;
	o->inflight_max = 64;
	o->cache_max = 100000;
	if (k && *k && s && *s) {
		o->key_id = k;
		o->secret = s;
	}
}

/* A region or service name: letters, digits and '-' only. */
static bool
is_aws_name(const char *s)
{
	size_t i;

	if (!s || !*s || strlen(s) > 40)
		return false;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static int
opts_check(const struct cfg_callerid *c, const struct robinson_opts *o)
{
	const char *u = c->robinson_url;

	if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
		return EINVAL;
	if (o->batch_max < 1 || o->batch_max > ROBINSON_BATCH_LIMIT ||
	    o->inflight_max < 1 || o->inflight_max > INFLIGHT_LIMIT ||
	    o->cache_max < 1 || o->cache_max > CACHE_LIMIT)
		return EINVAL;
	if (o->key_id && *o->key_id) {
		if (!o->secret || !*o->secret || strchr(o->key_id, ':'))
			return EINVAL;
		if (!is_aws_name(o->region) || !is_aws_name(o->service))
			return EINVAL;
	}
	return 0;
}

int
robinson_alloc(struct robinson **rp, struct loop *l,
    const struct cfg_callerid *c, const struct robinson_opts *o)
{
	static const char *const hdr[] = { "Content-Type: text/plain",
		"Accept: application/json" };
	struct robinson_opts def;
	struct curl_slist *h;
	struct robinson *r;
	size_t i;
	int err = 0;

	if (!rp || !l || !c)
		return EINVAL;
	if (!o) {
		robinson_opts_default(&def);
		o = &def;
	}
	if ((err = opts_check(c, o)))
		return err;
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK)
		return ENOMEM;
	if (!(r = calloc(1, sizeof(*r))))
		return ENOMEM;
	r->l = l;
	r->timeout = c->robinson_timeout ? c->robinson_timeout : 1000;
	r->ttl = (uint64_t)c->robinson_cache * 1000;
	r->batch_max = o->batch_max;
	r->inflight_max = o->inflight_max;
	r->cache_max = o->cache_max;
	r->rt = &r->rh;
	if (getrandom(&r->seed, sizeof(r->seed), GRND_NONBLOCK) !=
	    sizeof(r->seed))
		r->seed = loop_clock_ms() ^ (uint64_t)(uintptr_t)r;
	r->nbucket = BUCKETS_MIN;
	if (!(r->bucket = calloc(r->nbucket, sizeof(*r->bucket))) ||
	    !(r->url = strdup(c->robinson_url))) {
		err = ENOMEM;
		goto out;
	}
	if (o->key_id && *o->key_id) {
		snprintf(r->sigv4, sizeof(r->sigv4), "aws:amz:%s:%s", o->region,
		    o->service);
		if (!(r->key_id = strdup(o->key_id)) ||
		    !(r->secret = strdup(o->secret))) {
			err = ENOMEM;
			goto out;
		}
	}
	/*
	 * An explicit Content-Type: curl would send the form type, and an
	 * explicit header is one that SigV4 signs. Every header of this
	 * list is signed (curl 7.88), even an "Expect:" that only removes
	 * a header and is never sent: the signature would not match. So
	 * req_easy() makes curl send the body without waiting for "100
	 * Continue" instead.
	 */
	for (i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++) {
		if (!(h = curl_slist_append(r->hdrs, hdr[i]))) {
			err = ENOMEM;
			goto out;
		}
		r->hdrs = h;
	}
	if (!(r->multi = curl_multi_init())) {
		err = ENOMEM;
		goto out;
	}
	if (curl_multi_setopt(r->multi, CURLMOPT_SOCKETFUNCTION, on_sock) ||
	    curl_multi_setopt(r->multi, CURLMOPT_SOCKETDATA, r) ||
	    curl_multi_setopt(
		r->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) ||
	    curl_multi_setopt(r->multi, CURLMOPT_TIMERDATA, r))
		err = ENOMEM;
out:
	if (err)
		robinson_free(r);
	else
		*rp = r;
	return err;
}

void
robinson_free(struct robinson *r)
{
	struct req *q;

	if (!r)
		return;
	loop_timer_cancel(r->l, &r->ftimer);
	while ((q = r->rq)) {
		unsigned i;

		curl_multi_remove_handle(r->multi, q->easy);
		loop_timer_cancel(r->l, &q->deadline);
		req_unlink(r, q);
		for (i = 0; i < q->n; i++) {
			q->e[i]->state = 0;
			entry_drop(r, q->e[i]);
		}
		req_free(q);
	}
	while (r->queue.head)
		entry_drop(r, r->queue.head);
	while (r->cache.head)
		entry_drop(r, r->cache.head);
	waiters_free(r->rh);
	/* Closes the kept connections: on_sock removes their loop fds. */
	if (r->multi)
		curl_multi_cleanup(r->multi);
	loop_timer_cancel(r->l, &r->ctimer);
	curl_slist_free_all(r->hdrs);
	if (r->secret) {
		explicit_bzero(r->secret, strlen(r->secret));
		free(r->secret);
	}
	free(r->key_id);
	free(r->url);
	free(r->bucket);
	free(r);
}

/*
 * Requests needed by the queue with one more hash, plus those running:
 * within inflight_max, the next flush can send it all.
 */
static bool
room_for_one(const struct robinson *r)
{
	unsigned need = (r->queue.n + 1 + r->batch_max - 1) / r->batch_max;

	return r->nreq + need <= r->inflight_max;
}

bool
robinson_check(struct robinson *r, const char *hash_hex, enum cid_robinson *out,
    robinson_done_h *done, void *arg)
{
	uint8_t k[HASH_LEN];
	struct waiter *w;
	struct entry *e;

	if (!r) {
		*out = CID_ROB_UNCHECKED;
		return true;
	}
	r->st.checks++;
	*out = CID_ROB_FAILED;
	if (!key_parse(hash_hex, k)) {
		r->st.failed++;
		return true;
	}
	e = ht_find(r, k);
	if (e && e->state == RS_CACHED && e->expires <= loop_now(r->l)) {
		entry_drop(r, e);
		e = NULL;
	}
	if (e && e->state == RS_CACHED) {
		r->st.hits++;
		*out = (enum cid_robinson)e->answer;
		return true;
	}
	if (!e) {
		if (!room_for_one(r) || !(e = calloc(1, sizeof(*e)))) {
			r->st.failed++;
			return true;
		}
		if (!loop_timer_armed(&r->ftimer) &&
		    loop_timer_start(r->l, &r->ftimer, 0, on_flush, r)) {
			free(e);
			r->st.failed++;
			return true;
		}
		memcpy(e->key, k, HASH_LEN);
		e->state = RS_QUEUED;
		e->wt = &e->wh;
		ht_add(r, e);
		elist_add(&r->queue, e);
	}
	if (!done)
		return false;
	if (!(w = calloc(1, sizeof(*w)))) {
		r->st.failed++;
		return true;
	}
	w->done = done;
	w->arg = arg;
	*e->wt = w;
	e->wt = &w->next;
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
robinson_cancel(struct robinson *r, void *arg)
{
	struct entry *e;
	struct req *q;
	unsigned i;

	if (!r)
		return;
	for (e = r->queue.head; e; e = e->next)
		waiters_cancel(&e->wh, &e->wt, arg);
	for (q = r->rq; q; q = q->next)
		for (i = 0; i < q->n; i++)
			waiters_cancel(&q->e[i]->wh, &q->e[i]->wt, arg);
	waiters_cancel(&r->rh, &r->rt, arg);
}

void
robinson_stats(const struct robinson *r, struct robinson_stats *st)
{
	if (!r) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = r->st;
}

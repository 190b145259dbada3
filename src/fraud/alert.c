/*
 * fraud/alert.c -- the alert router (see fraud/alert.h): the raising
 * side (sanitising, de-duplication, rate limit, the queue) and the
 * router's thread (persistence, scheduling, retries, the libcurl multi
 * handle that carries the webhook and e-mail attempts).
 *
 * Locking: r->mu guards the queue, the de-duplication table, the rate
 * window and the sequence numbers; it is never held across I/O. The
 * store connection, the multi handle and the transfers belong to the
 * thread alone. alert_raise() wakes the thread with curl_multi_wakeup()
 * (thread-safe), which also ends the thread's curl_multi_poll().
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <search.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "core/log.h"
#include "fraud/alert.h"
#include "fraud/alert_int.h"
#include "store/store.h"

#define QUEUE_MAX 10000 /* alerts waiting for the store */
#define DEDUP_MAX 8192 /* (severity, rule, subject) remembered */
#define INFLIGHT_MAX 32 /* attempts running at once */
#define LEASE_MARGIN 30000 /* ms a claim outlives the attempt's timeout */
#define SCAN_MAX 1000 /* ms between scans of the store for due work */
#define STORE_RETRY 1000 /* ms before reopening a failed store */
#define TRIM_EVERY 3600000 /* ms between two trims of old alerts */
#define UNKNOWN_SNOOZE 600000 /* ms: a delivery to a channel not ours */
#define WHY_MAX STORE_ALERT_ERROR_MAX
#define LOG_SUPPRESSED 10 /* suppressed alerts logged per window */

_Static_assert(ALERT_ID_MAX <= STORE_ALERT_ID_MAX, "alert id fits the store");
_Static_assert(ALERT_RULE_MAX == STORE_ALERT_RULE_MAX, "rule sizes agree");
_Static_assert(ALERT_CRITICAL == STORE_ALERT_SEV_MAX, "severities agree");

/* An alert raised, waiting for the store. */
struct item {
	TAILQ_ENTRY(item) link;
	struct alert_rec a;
};

TAILQ_HEAD(itemq, item);

/*
 * A de-duplication entry: "key" is severity, rule and subject joined
 * by 0x1f (which sanitised text never holds). Entries expire in the
 * order they were made (one window for all), so the FIFO is the
 * expiry order.
 */
struct dd {
	TAILQ_ENTRY(dd) link;
	int64_t expires; /* unix ms */
	int64_t pending; /* repeats not yet written to the store */
	char id[ALERT_ID_MAX];
	char key[];
};

TAILQ_HEAD(ddq, dd);

/* A due delivery and its alert, as the scan read them. */
struct due {
	struct alert_rec a;
	struct alert_dlv d;
};

/* Repeats of an alert not yet written to the store. */
struct repeat {
	char id[ALERT_ID_MAX];
	int64_t n;
};

struct alert_router {
	struct cfg_alerts conf;
	char store_uri[CFG_PATH_MAX];
	char node[STORE_ALERT_NODE_MAX];
	struct alert_chan chans[CFG_ALERT_CHANNELS_MAX];
	unsigned nchans;
	bool syslog_on;
	EVP_MAC *mac;

	/* The thread's. */
	pthread_t thread;
	struct store *st; /* NULL while down */
	int64_t st_retry; /* reopen not before (unix ms) */
	bool st_warned; /* the outage is logged */
	CURLM *multi;
	struct alert_xferq inflight;
	unsigned ninflight;
	int64_t next_scan; /* unix ms */
	bool rescan; /* scan at once: something changed */
	int64_t next_trim;
	int64_t keep_ms; /* conf.keep in ms; 0 = keep for ever */
	struct due *dues; /* INFLIGHT_MAX rows, scan's buffer */
	size_t ndues;

	/* Under mu. */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* seq_done moved */
	struct itemq queue;
	unsigned nqueue;
	uint64_t seq_queued, seq_done;
	bool stop;
	void *dd_root; /* tsearch(3) tree of struct dd, by key */
	struct ddq dd_fifo;
	unsigned ndd;
	bool dd_dirty; /* some entry has pending repeats */
	struct repeat *reps; /* repeats to write */
	size_t nreps, capreps;
	uint64_t reps_lost; /* not recorded: out of memory */
	int64_t win_start; /* unix ms, the rate window's start */
	unsigned win_count;
	unsigned suppressed; /* in this window */
	unsigned sup_sev[3]; /* suppressed per severity */

	_Atomic uint64_t n_raised, n_dup, n_limited, n_delivered, n_retried,
	    n_failed, n_store_err;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void
curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
bump(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

const char *
alert_sev_name(enum alert_sev sev)
{
	return cfg_alert_sev_name((unsigned)sev);
}

int
alert_sev_parse(const char *s, enum alert_sev *sev)
{
	int v = cfg_alert_sev_parse(s);

	if (v < 0 || !sev)
		return EINVAL;
	*sev = (enum alert_sev)v;
	return 0;
}

void
alert_fmt_time(int64_t ms, char *buf, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (int)(ms % 1000));
}

/* ---- raising ---------------------------------------------------------- */

/*
 * The length of the valid UTF-8 sequence at s (n bytes left), 0 when
 * it is not one (overlong forms, surrogates and values past U+10FFFF
 * included).
 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/*
 * Copy "src" (may be NULL) into dst[cap]: invalid UTF-8 becomes '?',
 * control characters a space (with "lines", newline and tab stay), and
 * the copy ends at the last whole character that fits.
 */
static void
sanitize(char *dst, size_t cap, const char *src, bool lines)
{
	const unsigned char *s = (const unsigned char *)(src ? src : "");
	size_t n = strlen((const char *)s), at = 0, k, o = 0;
	bool keep;

	while (at < n) {
		k = utf8_len(s + at, n - at);
		if (k == 0) {
			if (o + 1 >= cap)
				break;
			dst[o++] = '?';
			at++;
			continue;
		}
		if (o + k >= cap)
			break;
		if (k == 1 && (s[at] < 0x20 || s[at] == 0x7f)) {
			keep = lines && (s[at] == '\n' || s[at] == '\t');
			dst[o++] = keep ? (char)s[at] : ' ';
		} else {
			memcpy(dst + o, s + at, k);
			o += k;
		}
		at += k;
	}
	dst[o] = '\0';
}

/*
 * "al-" + 20 lower-case Crockford base32 digits of 48 bits of time
 * then 48 random bits: ids sort by time, ASCII order being digit order.
 */
static void
make_id(char id[ALERT_ID_MAX], int64_t ms)
{
	static const char digits[] = "0123456789abcdefghjkmnpqrstvwxyz";
	unsigned char b[12];
	unsigned acc = 0, bits = 0;
	size_t i, o = 3;

	for (i = 0; i < 6; i++)
		b[i] = (unsigned char)((uint64_t)ms >> (40 - 8 * i));
	arc4random_buf(b + 6, 6);
	memcpy(id, "al-", 3);
	for (i = 0; i < sizeof(b); i++) {
		acc = (acc << 8 | b[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			id[o++] = digits[(acc >> bits) & 0x1f];
		}
	}
	if (bits)
		id[o++] = digits[(acc << (5 - bits)) & 0x1f];
	id[o] = '\0';
}

static int
dd_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dd *)a)->key, ((const struct dd *)b)->key);
}

/* Remember "n" repeats of alert "id" for the thread to write. Under mu. */
static void
reps_add(struct alert_router *r, const char *id, int64_t n)
{
	struct repeat *nr;
	size_t cap;

	if (r->nreps == r->capreps) {
		cap = r->capreps ? r->capreps * 2 : 16;
		if (!(nr = realloc(r->reps, cap * sizeof(*nr)))) {
			r->reps_lost += (uint64_t)n;
			return;
		}
		r->reps = nr;
		r->capreps = cap;
	}
	memcpy(r->reps[r->nreps].id, id, ALERT_ID_MAX);
	r->reps[r->nreps++].n = n;
}

/* Forget entry "e", keeping its unwritten repeats. Under mu. */
static void
dd_drop(struct alert_router *r, struct dd *e)
{
	if (e->pending)
		reps_add(r, e->id, e->pending);
	TAILQ_REMOVE(&r->dd_fifo, e, link);
	tdelete(e, &r->dd_root, dd_cmp);
	r->ndd--;
	free(e);
}

/*
 * Forget the expired entries; with "all", hand over the repeats of the
 * others too. Under mu.
 */
static void
dd_collect(struct alert_router *r, int64_t now, bool all)
{
	struct dd *e, *next;

	for (e = TAILQ_FIRST(&r->dd_fifo); e; e = next) {
		next = TAILQ_NEXT(e, link);
		if (e->expires <= now) {
			dd_drop(r, e);
			continue;
		}
		if (!all)
			break;
		if (e->pending) {
			reps_add(r, e->id, e->pending);
			e->pending = 0;
		}
	}
	if (all)
		r->dd_dirty = false;
}

/* Queue an item (already filled). Under mu. */
static void
enqueue(struct alert_router *r, struct item *it)
{
	TAILQ_INSERT_TAIL(&r->queue, it, link);
	r->nqueue++;
	r->seq_queued++;
	bump(&r->n_raised);
}

/*
 * Close the rate window when it is over (or "force"); when alerts were
 * suppressed in it, queue the summary alert. Under mu. An allocation
 * failure keeps the count for the next try.
 */
static void
rate_roll(struct alert_router *r, int64_t now, bool force)
{
	char from[40], to[40];
	struct item *it;
	unsigned sev;

	if (!force && now < r->win_start + (int64_t)r->conf.rate_per * 1000)
		return;
	if (r->suppressed) {
		it = calloc(1, sizeof(*it));
		if (!it)
			return;
		sev = r->sup_sev[2] ? 2 : r->sup_sev[1] ? 1 : 0;
		make_id(it->a.id, now);
		it->a.ts = now;
		it->a.severity = sev;
		snprintf(it->a.rule, sizeof(it->a.rule), "alert-rate-limit");
		snprintf(it->a.subject, sizeof(it->a.subject),
		    "%u alerts suppressed", r->suppressed);
		alert_fmt_time(r->win_start, from, sizeof(from));
		alert_fmt_time(now, to, sizeof(to));
		snprintf(it->a.text, sizeof(it->a.text),
		    "%u alerts were suppressed by the rate limit (at most %u "
		    "every %u s) from %s to %s: %u critical, %u warning, %u "
		    "info. They are not stored; the log names the first "
		    "%d.",
		    r->suppressed, r->conf.rate_max, r->conf.rate_per, from, to,
		    r->sup_sev[2], r->sup_sev[1], r->sup_sev[0],
		    LOG_SUPPRESSED);
		memcpy(it->a.node, r->node, sizeof(it->a.node));
		enqueue(r, it);
	}
	r->win_start = now;
	r->win_count = 0;
	r->suppressed = 0;
	memset(r->sup_sev, 0, sizeof(r->sup_sev));
}

int
alert_raise(struct alert_router *r, enum alert_sev sev, const char *rule,
    const char *subject, const char *text, char id[ALERT_ID_MAX])
{
	struct dd *e = NULL, **found;
	struct item *it;
	bool say = false;
	size_t klen;
	int64_t now;
	int err = 0;

	if (id)
		id[0] = '\0';
	if (!r || (unsigned)sev > ALERT_CRITICAL || !rule || !*rule ||
	    strnlen(rule, ALERT_RULE_MAX) >= ALERT_RULE_MAX)
		return EINVAL;
	now = now_ms();
	it = calloc(1, sizeof(*it));
	if (!it)
		return ENOMEM;
	it->a.ts = now;
	it->a.severity = (uint32_t)sev;
	sanitize(it->a.rule, sizeof(it->a.rule), rule, false);
	sanitize(it->a.subject, sizeof(it->a.subject), subject, false);
	sanitize(it->a.text, sizeof(it->a.text), text, true);
	memcpy(it->a.node, r->node, sizeof(it->a.node));
	if (r->conf.dedup) {
		klen = strlen(it->a.rule) + strlen(it->a.subject) + 8;
		e = calloc(1, sizeof(*e) + klen);
		if (!e) {
			free(it);
			return ENOMEM;
		}
		snprintf(e->key, klen, "%u\x1f%s\x1f%s", (unsigned)sev,
		    it->a.rule, it->a.subject);
	}

	pthread_mutex_lock(&r->mu);
	if (r->stop) {
		err = EINVAL;
		goto out;
	}
	found = e ? tfind(e, &r->dd_root, dd_cmp) : NULL;
	if (found && (*found)->expires > now) {
		(*found)->pending++;
		r->dd_dirty = true;
		if (id)
			memcpy(id, (*found)->id, ALERT_ID_MAX);
		bump(&r->n_dup);
		err = EALREADY;
		goto out;
	}
	rate_roll(r, now, false);
	if ((r->conf.rate_max && r->win_count >= r->conf.rate_max) ||
	    r->nqueue >= QUEUE_MAX) {
		r->suppressed++;
		r->sup_sev[sev]++;
		bump(&r->n_limited);
		say = r->suppressed <= LOG_SUPPRESSED;
		err = EAGAIN;
		goto out;
	}
	r->win_count++;
	make_id(it->a.id, now);
	if (id)
		memcpy(id, it->a.id, ALERT_ID_MAX);
	if (e) {
		if (found)
			dd_drop(r, *found); /* expired, not yet collected */
		if (r->ndd < DEDUP_MAX && tsearch(e, &r->dd_root, dd_cmp)) {
			memcpy(e->id, it->a.id, ALERT_ID_MAX);
			e->expires = now + (int64_t)r->conf.dedup * 1000;
			TAILQ_INSERT_TAIL(&r->dd_fifo, e, link);
			r->ndd++;
			e = NULL;
		}
	}
	enqueue(r, it);
	it = NULL;
out:
	pthread_mutex_unlock(&r->mu);
	free(it);
	free(e);
	if (!err)
		curl_multi_wakeup(r->multi);
	else if (err == EAGAIN && say)
		log_warn("alert suppressed by the rate limit: %s %s %s",
		    alert_sev_name(sev), rule, subject ? subject : "");
	return err;
}

/* ---- the thread: the store -------------------------------------------- */

/* The store failed: close it, retry later. */
static void
store_down(struct alert_router *r, int64_t now, const char *what)
{
	bump(&r->n_store_err);
	if (!r->st_warned)
		log_warn("alerts: store %s: %s; retrying every %d ms", what,
		    r->st ? store_errmsg(r->st) : "not open", STORE_RETRY);
	r->st_warned = true;
	store_close(r->st);
	r->st = NULL;
	r->st_retry = now + STORE_RETRY;
}

static void
store_up(struct alert_router *r, int64_t now)
{
	char err[256];

	if (r->st || now < r->st_retry)
		return;
	if (store_open(&r->st, r->store_uri, err, sizeof(err))) {
		r->st = NULL;
		r->st_retry = now + STORE_RETRY;
		bump(&r->n_store_err);
		return;
	}
	if (r->st_warned)
		log_info("alerts: store back");
	r->st_warned = false;
	r->rescan = true;
}

/* The deliveries of "a": one per channel whose min the severity reaches. */
static size_t
route(const struct alert_router *r, const struct alert_rec *a, int64_t now,
    struct alert_dlv *d)
{
	const struct cfg_alert_channel *cc;
	size_t n = 0;
	unsigned i;

	for (i = 0; i < r->nchans; i++) {
		cc = r->chans[i].cc;
		if (a->severity < cc->min)
			continue;
		memset(&d[n], 0, sizeof(d[n]));
		memcpy(d[n].alert, a->id, sizeof(d[n].alert));
		snprintf(d[n].channel, sizeof(d[n].channel), "%s", cc->name);
		d[n].updated = now;
		if (cc->type == CFG_ALERT_SYSLOG) {
			/* sent right after the commit, never retried */
			snprintf(d[n].state, sizeof(d[n].state), "done");
			d[n].attempts = 1;
		} else {
			snprintf(d[n].state, sizeof(d[n].state), "pending");
			d[n].next_try = now;
		}
		n++;
	}
	return n;
}

/* After the commit: the log line and the syslog channels. */
static void
announce(struct alert_router *r, const struct alert_rec *a)
{
	const struct cfg_alert_channel *cc;
	unsigned i;

	log_info("alert %s %s %s %s", a->id, alert_sev_name(a->severity),
	    a->rule, a->subject);
	for (i = 0; i < r->nchans; i++) {
		cc = r->chans[i].cc;
		if (cc->type != CFG_ALERT_SYSLOG || a->severity < cc->min)
			continue;
		alert_syslog_send(cc, a);
		bump(&r->n_delivered);
	}
}

/*
 * Write a batch of queued alerts in one transaction. On a store
 * failure the batch goes back to the head of the queue (nothing is
 * lost while the process lives). Returns true when the batch is done.
 */
static bool
persist(struct alert_router *r, struct itemq *batch, unsigned n, int64_t now)
{
	struct alert_dlv d[CFG_ALERT_CHANNELS_MAX];
	struct item *it, *next;
	int err = 0;

	if (!r->st)
		goto requeue;
	if ((err = store_begin(r->st))) {
		store_down(r, now, "begin");
		goto requeue;
	}
	for (it = TAILQ_FIRST(batch); it; it = next) {
		next = TAILQ_NEXT(it, link);
		err =
		    store_alert_add(r->st, &it->a, d, route(r, &it->a, now, d));
		if (err == EEXIST) {
			/* written by an earlier try whose commit we missed */
			TAILQ_REMOVE(batch, it, link);
			free(it);
			err = 0;
		} else if (err == EINVAL) {
			log_error("alerts: alert %s refused by the store, "
				  "dropped: %s",
			    it->a.id, store_errmsg(r->st));
			TAILQ_REMOVE(batch, it, link);
			free(it);
			err = 0;
		} else if (err) {
			break;
		}
	}
	if (err) {
		store_rollback(r->st);
		store_down(r, now, "write");
		goto requeue;
	}
	if ((err = store_commit(r->st))) {
		store_down(r, now, "commit");
		goto requeue;
	}
	while ((it = TAILQ_FIRST(batch))) {
		TAILQ_REMOVE(batch, it, link);
		announce(r, &it->a);
		free(it);
	}
	pthread_mutex_lock(&r->mu);
	r->seq_done += n;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	r->rescan = true;
	return true;
requeue:
	pthread_mutex_lock(&r->mu);
	TAILQ_CONCAT(batch, &r->queue, link);
	TAILQ_CONCAT(&r->queue, batch, link);
	r->nqueue += n;
	pthread_mutex_unlock(&r->mu);
	return false;
}

static void
write_repeats(struct alert_router *r, struct repeat *reps, size_t n)
{
	size_t i;
	int err;

	for (i = 0; i < n && r->st; i++) {
		err = store_alert_repeat(r->st, reps[i].id, reps[i].n);
		if (err && err != ENOENT)
			store_down(r, now_ms(), "repeat");
	}
}

/* ---- the thread: deliveries ------------------------------------------- */

static struct alert_chan *
chan_find(struct alert_router *r, const char *name)
{
	unsigned i;

	for (i = 0; i < r->nchans; i++)
		if (strcmp(r->chans[i].cc->name, name) == 0)
			return &r->chans[i];
	return NULL;
}

/*
 * The back-off after "attempts" failed attempts: retry_base doubled per
 * attempt, capped at retry_max, drawn in [d/2, d] so that receivers
 * coming back are not hit by every router at once.
 */
static int64_t
backoff(const struct alert_router *r, uint32_t attempts)
{
	uint64_t d = r->conf.retry_base;
	uint32_t i;

	for (i = 1; i < attempts && d < r->conf.retry_max; i++)
		d *= 2;
	if (d > r->conf.retry_max)
		d = r->conf.retry_max;
	return (int64_t)(d / 2 + arc4random_uniform((uint32_t)(d / 2) + 1));
}

/*
 * Record the outcome of an attempt of "d" (as claimed): delivered,
 * retried after the back-off, or failed for good when "final" or when
 * the alert is older than max_age.
 */
static void
outcome(struct alert_router *r, const struct alert_rec *a,
    const struct alert_dlv *d, bool ok, bool final, const char *why,
    int64_t now)
{
	struct alert_dlv u = *d;
	int64_t wait = 0;
	int err;

	u.updated = now;
	if (ok) {
		snprintf(u.state, sizeof(u.state), "done");
		u.last_error[0] = '\0';
		bump(&r->n_delivered);
		log_info("alert %s delivered to %s (attempt %u)", a->id,
		    d->channel, d->attempts);
	} else if (final || now - a->ts >= (int64_t)r->conf.max_age * 1000) {
		snprintf(u.state, sizeof(u.state), "failed");
		snprintf(u.last_error, sizeof(u.last_error), "%s", why);
		bump(&r->n_failed);
		log_error("alert %s to %s: given up after %u attempts: %s",
		    a->id, d->channel, d->attempts, why);
	} else {
		wait = backoff(r, d->attempts);
		snprintf(u.state, sizeof(u.state), "pending");
		u.next_try = now + wait;
		snprintf(u.last_error, sizeof(u.last_error), "%s", why);
		bump(&r->n_retried);
		log_warn("alert %s to %s: attempt %u failed: %s; next in "
			 "%" PRId64 " ms",
		    a->id, d->channel, d->attempts, why, wait);
	}
	/* ENOENT: trimmed meanwhile, nothing to record. */
	if (r->st && (err = store_alert_dlv_update(r->st, &u)) && err != ENOENT)
		store_down(r, now, "delivery update");
	r->rescan = true;
}

static void
xfer_free(struct alert_xfer *x)
{
	if (!x)
		return;
	if (x->x_easy)
		curl_easy_cleanup(x->x_easy);
	curl_slist_free_all(x->x_list);
	free(x->x_body);
	free(x);
}

/* Start an attempt of a claimed delivery. */
static void
start(struct alert_router *r, struct alert_chan *ch, const struct due *due,
    int64_t now)
{
	struct alert_xfer *x;
	char why[WHY_MAX];
	int err;

	x = calloc(1, sizeof(*x));
	if (!x) {
		outcome(
		    r, &due->a, &due->d, false, false, "out of memory", now);
		return;
	}
	x->x_ch = ch;
	x->x_a = due->a;
	x->x_d = due->d;
	x->x_d.attempts++; /* the claim counted it in the store */
	err = ch->cc->type == CFG_ALERT_WEBHOOK ?
	    alert_webhook_setup(x, r->mac, now) :
	    alert_smtp_setup(x, r->node, now);
	if (!err && curl_multi_add_handle(r->multi, x->x_easy) != CURLM_OK)
		err = ENOMEM;
	if (err) {
		snprintf(why, sizeof(why), "cannot prepare the %s: %s",
		    cfg_alert_type_name(ch->cc->type),
		    err == EILSEQ ? "text that is not UTF-8" : strerror(err));
		outcome(r, &x->x_a, &x->x_d, false, err == EILSEQ, why, now);
		xfer_free(x);
		return;
	}
	TAILQ_INSERT_TAIL(&r->inflight, x, x_link);
	r->ninflight++;
}

/* A transfer ended. */
static void
finish(struct alert_router *r, struct alert_xfer *x, CURLcode cc, int64_t now)
{
	char why[WHY_MAX] = "";
	bool ok;

	ok = x->x_ch->cc->type == CFG_ALERT_WEBHOOK ?
	    alert_webhook_done(x, cc, why, sizeof(why)) :
	    alert_smtp_done(x, cc, why, sizeof(why));
	outcome(r, &x->x_a, &x->x_d, ok, false, why, now);
	curl_multi_remove_handle(r->multi, x->x_easy);
	TAILQ_REMOVE(&r->inflight, x, x_link);
	r->ninflight--;
	xfer_free(x);
}

/*
 * A delivery to a channel this router does not have: another router
 * (with another configuration) may, or the channel was removed. Put it
 * off without an attempt, so it neither takes this router's scans nor
 * fails while a router that knows the channel may still run; max_age
 * ends it.
 */
static void
snooze(struct alert_router *r, const struct alert_dlv *d, int64_t now)
{
	struct alert_dlv u = *d;
	int err;

	u.next_try = now + UNKNOWN_SNOOZE;
	u.updated = now;
	snprintf(u.last_error, sizeof(u.last_error),
	    "no channel \"%s\" in the configuration of router %s", d->channel,
	    r->node);
	log_warn("alert %s: %s", d->alert, u.last_error);
	if ((err = store_alert_dlv_update(r->st, &u)) && err != ENOENT)
		store_down(r, now, "delivery update");
}

static int
collect_due(const struct alert_rec *a, const struct alert_dlv *d, void *arg)
{
	struct alert_router *r = arg;

	if (r->ndues == INFLIGHT_MAX)
		return 0;
	r->dues[r->ndues].a = *a;
	r->dues[r->ndues].d = *d;
	r->ndues++;
	return 0;
}

/*
 * Take the due deliveries (as many as free attempt slots) and start
 * them; then find when the next one is due.
 */
static void
scan(struct alert_router *r, int64_t now)
{
	unsigned slots = INFLIGHT_MAX - r->ninflight;
	struct alert_chan *ch;
	struct due *due;
	int64_t next, lease;
	bool found, claimed;
	size_t i;

	r->rescan = false;
	r->next_scan = now + SCAN_MAX;
	r->ndues = 0;
	if (slots && store_alert_due(r->st, now, slots, collect_due, r)) {
		store_down(r, now, "due scan");
		return;
	}
	for (i = 0; i < r->ndues && r->st; i++) {
		due = &r->dues[i];
		if (now - due->a.ts >= (int64_t)r->conf.max_age * 1000) {
			outcome(r, &due->a, &due->d, false, true,
			    due->d.last_error[0] ? due->d.last_error :
						   "too old (max_age)",
			    now);
			continue;
		}
		ch = chan_find(r, due->d.channel);
		if (!ch || ch->cc->type == CFG_ALERT_SYSLOG) {
			snooze(r, &due->d, now);
			continue;
		}
		lease = now + (int64_t)ch->cc->timeout + LEASE_MARGIN;
		if (store_alert_dlv_claim(r->st, due->d.alert, due->d.channel,
			now, lease, &claimed)) {
			store_down(r, now, "claim");
			return;
		}
		if (claimed)
			start(r, ch, due, now);
	}
	if (!r->st)
		return;
	if (r->ndues == slots && slots)
		r->rescan = true; /* more may be due */
	if (store_alert_next_due(r->st, &next, &found)) {
		store_down(r, now, "next due");
		return;
	}
	if (found && next < r->next_scan)
		r->next_scan = next;
}

/* Hand the attempts in flight back: pending, due at once. */
static void
release(struct alert_router *r, int64_t now)
{
	struct alert_xfer *x;
	struct alert_dlv u;

	while ((x = TAILQ_FIRST(&r->inflight))) {
		TAILQ_REMOVE(&r->inflight, x, x_link);
		r->ninflight--;
		curl_multi_remove_handle(r->multi, x->x_easy);
		u = x->x_d;
		u.next_try = now;
		u.updated = now;
		snprintf(u.last_error, sizeof(u.last_error),
		    "interrupted: the router stopped");
		if (r->st && store_alert_dlv_update(r->st, &u))
			log_warn("alerts: delivery %s to %s not handed back: "
				 "%s",
			    u.alert, u.channel, store_errmsg(r->st));
		xfer_free(x);
	}
}

static void *
router_main(void *arg)
{
	struct alert_router *r = arg;
	struct repeat *reps;
	struct itemq batch;
	int64_t now, wake;
	unsigned n, lost;
	size_t nreps;
	int running, left, timeout;
	CURLMsg *m;
	bool stop;

	for (;;) {
		now = now_ms();
		TAILQ_INIT(&batch);
		pthread_mutex_lock(&r->mu);
		stop = r->stop;
		rate_roll(r, now, stop);
		dd_collect(r, now, r->dd_dirty || stop);
		TAILQ_CONCAT(&batch, &r->queue, link);
		n = r->nqueue;
		r->nqueue = 0;
		reps = r->reps;
		nreps = r->nreps;
		r->reps = NULL;
		r->nreps = r->capreps = 0;
		pthread_mutex_unlock(&r->mu);

		store_up(r, now);
		if (n)
			persist(r, &batch, n, now);
		if (nreps)
			write_repeats(r, reps, nreps);
		free(reps);
		if (stop)
			break;
		if (r->st && r->keep_ms && now >= r->next_trim) {
			if (store_alert_trim(r->st, now - r->keep_ms, NULL))
				store_down(r, now, "trim");
			r->next_trim = now + TRIM_EVERY;
		}
		if (r->st && (r->rescan || now >= r->next_scan))
			scan(r, now);
		curl_multi_perform(r->multi, &running);
		while ((m = curl_multi_info_read(r->multi, &left))) {
			char *p = NULL;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
			finish(r, (struct alert_xfer *)(void *)p,
			    m->data.result, now_ms());
		}

		now = now_ms();
		wake = r->st ? r->next_scan : r->st_retry;
		if (r->rescan)
			wake = now;
		pthread_mutex_lock(&r->mu);
		if (r->suppressed &&
		    r->win_start + (int64_t)r->conf.rate_per * 1000 < wake)
			wake = r->win_start + (int64_t)r->conf.rate_per * 1000;
		/* A queue waits for the store to come back, not spins. */
		if ((r->nqueue && r->st) || r->nreps || r->stop)
			wake = now;
		pthread_mutex_unlock(&r->mu);
		timeout = wake <= now	  ? 0 :
		    wake - now > SCAN_MAX ? SCAN_MAX :
					    (int)(wake - now);
		curl_multi_poll(r->multi, NULL, 0, timeout, NULL);
	}
	release(r, now_ms());
	pthread_mutex_lock(&r->mu);
	lost = r->nqueue;
	pthread_mutex_unlock(&r->mu);
	if (lost)
		log_error(
		    "alerts: %u alerts not written: the store is down", lost);
	return NULL;
}

/* ---- start, stop ------------------------------------------------------ */

/* Read the secret file "path" into a new string. Returns 0 or errno. */
static int
read_secret(const char *path, char **out, size_t *len)
{
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	buf = malloc(ALERT_SECRET_MAX + 1);
	if (!buf) {
		close(fd);
		return ENOMEM;
	}
	while (got < ALERT_SECRET_MAX &&
	    (n = read(fd, buf + got, ALERT_SECRET_MAX - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (!err && got == ALERT_SECRET_MAX)
		err = EFBIG; /* maybe more: refuse rather than cut */
	while (!err && got && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
		got--;
	if (!err && got == 0)
		err = ENODATA;
	if (err) {
		explicit_bzero(buf, ALERT_SECRET_MAX + 1);
		free(buf);
		return err;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

static int
dup_env(const char *name, char **out, size_t *len)
{
	const char *v = getenv(name);

	if (!v || !*v)
		return ENOENT;
	if (!(*out = strdup(v)))
		return ENOMEM;
	if (len)
		*len = strlen(v);
	return 0;
}

static void
wipe(char **p)
{
	if (*p) {
		explicit_bzero(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

/* Read the secrets of every channel. */
static int
load_secrets(struct alert_router *r, char *err, size_t errlen)
{
	const struct cfg_alert_channel *cc;
	struct alert_chan *ch;
	const char *what = NULL, *src = NULL;
	unsigned i;
	int rc = 0;

	for (i = 0; i < r->nchans && !rc; i++) {
		ch = &r->chans[i];
		cc = ch->cc;
		if (cc->secret_env[0]) {
			what = "secret_env";
			src = cc->secret_env;
			rc = dup_env(src, &ch->secret, &ch->secret_len);
		} else if (cc->secret_file[0]) {
			what = "secret_file";
			src = cc->secret_file;
			rc = read_secret(src, &ch->secret, &ch->secret_len);
		}
		if (!rc && cc->username_env[0]) {
			what = "username_env";
			src = cc->username_env;
			rc = dup_env(src, &ch->username, NULL);
		}
		if (!rc && cc->password_env[0]) {
			what = "password_env";
			src = cc->password_env;
			rc = dup_env(src, &ch->password, NULL);
		} else if (!rc && cc->password_file[0]) {
			size_t l;

			what = "password_file";
			src = cc->password_file;
			rc = read_secret(src, &ch->password, &l);
		}
		if (rc && err)
			snprintf(err, errlen, "alerts: channel %s: %s %s: %s",
			    cc->name, what, src,
			    rc == ENOENT && what[strlen(what) - 1] == 'v' ?
				"not set or empty in the environment" :
				rc == ENODATA ? "empty" :
				rc == EFBIG   ? "too long" :
						strerror(rc));
	}
	return rc ? (rc == ENOMEM ? ENOMEM : EINVAL) : 0;
}

/* The node name: the configured one, else the host name (sanitised). */
static void
set_node(struct alert_router *r)
{
	char host[256];
	size_t i, o = 0;

	if (r->conf.node[0]) {
		snprintf(r->node, sizeof(r->node), "%s", r->conf.node);
		return;
	}
	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] && o + 1 < sizeof(r->node); i++)
		if ((host[i] >= 'a' && host[i] <= 'z') ||
		    (host[i] >= 'A' && host[i] <= 'Z') ||
		    (host[i] >= '0' && host[i] <= '9') || host[i] == '.' ||
		    host[i] == '-' || host[i] == '_')
			r->node[o++] = host[i];
	r->node[o] = '\0';
	if (!o)
		snprintf(r->node, sizeof(r->node), "centinela");
}

static void
router_free(struct alert_router *r)
{
	struct item *it;
	unsigned i;

	if (!r)
		return;
	for (i = 0; i < r->nchans; i++) {
		if (r->chans[i].secret) {
			explicit_bzero(
			    r->chans[i].secret, r->chans[i].secret_len);
			free(r->chans[i].secret);
		}
		wipe(&r->chans[i].username);
		wipe(&r->chans[i].password);
	}
	while ((it = TAILQ_FIRST(&r->queue))) {
		TAILQ_REMOVE(&r->queue, it, link);
		free(it);
	}
	tdestroy(r->dd_root, free);
	free(r->reps);
	free(r->dues);
	if (r->multi)
		curl_multi_cleanup(r->multi);
	EVP_MAC_free(r->mac);
	store_close(r->st);
	free(r);
}

int
alert_router_start(
    struct alert_router **rp, const struct cfg *cfg, char *err, size_t errlen)
{
	struct alert_router *r;
	pthread_condattr_t ca;
	char serr[256];
	unsigned i;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!rp || !cfg) {
		if (err)
			snprintf(err, errlen, "alerts: no configuration");
		return EINVAL;
	}
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK) {
		if (err)
			snprintf(err, errlen, "alerts: libcurl: %s",
			    curl_easy_strerror(curl_init_rc));
		return EIO;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		if (err)
			snprintf(err, errlen, "alerts: out of memory");
		return ENOMEM;
	}
	TAILQ_INIT(&r->queue);
	TAILQ_INIT(&r->dd_fifo);
	TAILQ_INIT(&r->inflight);
	r->conf = cfg->alerts;
	r->keep_ms = (int64_t)r->conf.keep * 1000;
	snprintf(r->store_uri, sizeof(r->store_uri), "%s", cfg->store_uri);
	set_node(r);
	r->nchans = r->conf.nchannels;
	for (i = 0; i < r->nchans; i++) {
		r->chans[i].cc = &r->conf.channels[i];
		if (r->conf.channels[i].type == CFG_ALERT_SYSLOG)
			r->syslog_on = true;
	}
	if ((rc = load_secrets(r, err, errlen)))
		goto fail;
	rc = ENOMEM;
	r->dues = calloc(INFLIGHT_MAX, sizeof(*r->dues));
	r->multi = curl_multi_init();
	r->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!r->dues || !r->multi || !r->mac) {
		if (err)
			snprintf(err, errlen, "alerts: out of memory");
		goto fail;
	}
	if ((rc = store_open(&r->st, r->store_uri, serr, sizeof(serr)))) {
		r->st = NULL;
		if (err)
			snprintf(err, errlen, "alerts: %s", serr);
		goto fail;
	}
	r->win_start = now_ms();
	r->rescan = true;
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (r->syslog_on)
		for (i = 0; i < r->nchans; i++)
			if (r->conf.channels[i].type == CFG_ALERT_SYSLOG) {
				alert_syslog_open(r->conf.channels[i].ident);
				break;
			}
	if ((rc = pthread_create(&r->thread, NULL, router_main, r))) {
		if (err)
			snprintf(
			    err, errlen, "alerts: thread: %s", strerror(rc));
		if (r->syslog_on)
			alert_syslog_close();
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->cv);
		goto fail;
	}
	*rp = r;
	return 0;
fail:
	router_free(r);
	return rc;
}

void
alert_router_stop(struct alert_router *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_mutex_unlock(&r->mu);
	curl_multi_wakeup(r->multi);
	pthread_join(r->thread, NULL);
	if (r->syslog_on)
		alert_syslog_close();
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	router_free(r);
}

int
alert_router_sync(struct alert_router *r, unsigned timeout_ms)
{
	struct timespec ts;
	uint64_t target;
	int rc = 0;

	if (!r)
		return EINVAL;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->mu);
	target = r->seq_queued;
	while (r->seq_done < target && rc == 0)
		rc = pthread_cond_timedwait(&r->cv, &r->mu, &ts);
	if (r->seq_done >= target)
		rc = 0;
	pthread_mutex_unlock(&r->mu);
	return rc == ETIMEDOUT ? ETIMEDOUT : rc ? EINVAL : 0;
}

void
alert_router_stats(struct alert_router *r, struct alert_stats *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	if (!r)
		return;
	st->raised = atomic_load(&r->n_raised);
	st->duplicates = atomic_load(&r->n_dup);
	st->limited = atomic_load(&r->n_limited);
	st->delivered = atomic_load(&r->n_delivered);
	st->retried = atomic_load(&r->n_retried);
	st->failed = atomic_load(&r->n_failed);
	st->store_errors = atomic_load(&r->n_store_err);
}

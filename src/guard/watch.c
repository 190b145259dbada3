/*
 * guard/watch.c -- per-source trigger counters (see watch.h).
 *
 * Windows are fixed: a counter starts with its first event and resets
 * when "window" seconds have passed since. Distinct user names are
 * estimated with linear counting over a 128-bit bitmap (exact enough
 * for the tens that matter: 10 names read as 10 +- 1).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/log.h"
#include "guard/guard.h"
#include "guard/watch.h"

#define WAYS 4

struct srec {
	uint8_t key[16]; /* the range's address; all zero: empty */
	uint64_t enum_bits[2]; /* user names seen, hashed */
	uint32_t seen; /* s, for eviction */
	uint32_t flood_ms; /* last refill, ms (wraps) */
	int32_t tokens; /* milli-requests; -1: a new bucket */
	uint32_t auth_start;
	uint32_t mal_start;
	uint32_t enum_start;
	uint16_t auth_n;
	uint16_t mal_n;
	uint8_t enum_ok; /* authenticated in the window */
	uint8_t flooding; /* over the cap (one trigger per episode) */
	uint8_t pad[2];
};

struct prec {
	uint8_t key[16];
	uint32_t user; /* hash of the user name; with key: the pair */
	uint32_t seen;
	uint32_t start;
	uint16_t n;
	uint16_t pad;
};

struct watch {
	const struct cfg *cfg;
	const struct cfg_guard *gc;
	struct ban *ban;
	uint64_t seed;
	struct srec *src;
	size_t nsets;
	struct prec *pair;
	size_t npsets;
};

_Static_assert(sizeof(struct srec) == 64, "one cache line per source");

static uint64_t
mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 31);
}

static uint64_t
key_hash(uint64_t seed, const uint8_t *k, uint32_t extra)
{
	uint64_t a, b;

	memcpy(&a, k, 8);
	memcpy(&b, k + 8, 8);
	return mix(mix(mix(seed, a), b), extra);
}

/* The key of a source: its range's address (IPv4 as v4-mapped). */
static bool
src_key(const struct watch *w, const struct sa *src, uint8_t key[16])
{
	struct cidr c;

	if (cidr_from_sa(&c, src, w->gc->v6_prefix))
		return false;
	memset(key, 0, 16);
	if (c.family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, c.addr, 4);
	} else
		memcpy(key, c.addr, 16);
	return true;
}

static struct srec *
src_get(struct watch *w, const uint8_t key[16], uint32_t now)
{
	uint64_t h = key_hash(w->seed, key, 0);
	struct srec *set =
	    &w->src[(size_t)(((h >> 32) * w->nsets) >> 32) * WAYS];
	struct srec *victim = &set[0];
	unsigned i;

	for (i = 0; i < WAYS; i++) {
		if (memcmp(set[i].key, key, 16) == 0) {
			set[i].seen = now;
			return &set[i];
		}
		if (set[i].seen < victim->seen)
			victim = &set[i];
	}
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->key, key, 16);
	victim->seen = now;
	victim->tokens = -1; /* a new bucket: filled on first use */
	return victim;
}

static struct prec *
pair_get(struct watch *w, const uint8_t key[16], uint32_t user, uint32_t now)
{
	uint64_t h = key_hash(w->seed, key, user);
	struct prec *set =
	    &w->pair[(size_t)(((h >> 32) * w->npsets) >> 32) * WAYS];
	struct prec *victim = &set[0];
	unsigned i;

	for (i = 0; i < WAYS; i++) {
		if (set[i].user == user && memcmp(set[i].key, key, 16) == 0) {
			set[i].seen = now;
			return &set[i];
		}
		if (set[i].seen < victim->seen)
			victim = &set[i];
	}
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->key, key, 16);
	victim->user = user;
	victim->seen = now;
	return victim;
}

/* Count one event in a fixed window; returns the count. */
static unsigned
window_add(uint32_t *start, uint16_t *n, uint32_t now, unsigned window)
{
	if (*n == 0 || now - *start >= window) {
		*start = now;
		*n = 0;
	}
	if (*n < UINT16_MAX)
		(*n)++;
	return *n;
}

/* A trigger fired: its event, then the ladder when it says ban. */
static void
fire(struct watch *w, const struct sa *src, enum peer_role role,
    enum reason why, enum guard_action action, bool shadow, const char *detail)
{
	guard_trigger(src, why, action, shadow, NULL, NULL, detail);
	if (action == GA_BAN)
		ban_strike(w->ban, src, role, why, false, shadow, detail);
}

/* A counting trigger reached its count. */
static void
fire_counted(struct watch *w, const struct sa *src, enum reason why,
    const struct cfg_trigger *t, const char *detail)
{
	if (ban_allowed(w->ban, src))
		return; /* the allowlist overrides every guard */
	fire(w, src, cfg_peer_role(w->cfg, src), why, t->action,
	    t->shadow || w->gc->shadow, detail);
}

bool
watch_flood(
    struct watch *w, const struct sa *src, enum peer_role role, uint64_t now_ms)
{
	const struct cfg_flood *f = &w->gc->flood[role];
	uint8_t key[16];
	struct srec *r;
	uint32_t ms = (uint32_t)now_ms, elapsed;
	int64_t t, cap;
	bool shadow;

	if (f->rate == 0 || !src_key(w, src, key))
		return true;
	r = src_get(w, key, (uint32_t)(now_ms / 1000));
	cap = (int64_t)f->burst * 1000;
	if (r->tokens < 0) {
		t = cap;
	} else {
		elapsed = ms - r->flood_ms;
		t = r->tokens + (int64_t)elapsed * f->rate;
		if (t > cap)
			t = cap;
	}
	r->flood_ms = ms;
	if (t >= 1000) {
		r->tokens = (int32_t)(t - 1000);
		r->flooding = 0;
		return true;
	}
	r->tokens = (int32_t)t;
	if (ban_allowed(w->ban, src))
		return true; /* the allowlist overrides every guard */
	shadow = w->gc->flood_shadow || w->gc->shadow;
	if (!r->flooding) {
		char d[96];

		r->flooding = 1;
		snprintf(d, sizeof(d), "rate=%u/s burst=%u role=%s", f->rate,
		    f->burst, peer_role_name(role));
		/* A peer is never banned: ban_strike() refuses it. */
		fire(w, src, role, REASON_FLOOD, f->action, shadow, d);
	}
	return shadow;
}

void
watch_malformed(struct watch *w, const struct sa *src)
{
	const struct cfg_trigger *t = &w->gc->malformed;
	uint32_t now = (uint32_t)time(NULL);
	uint8_t key[16];
	struct srec *r;
	char d[64];

	if (!t->enabled || !src_key(w, src, key))
		return;
	r = src_get(w, key, now);
	if (window_add(&r->mal_start, &r->mal_n, now, t->window) < t->count)
		return;
	snprintf(d, sizeof(d), "count=%u window=%us", t->count, t->window);
	r->mal_n = 0;
	fire_counted(w, src, REASON_MALFORMED_BURST, t, d);
}

/* Failures that count against a source (not "no credentials yet"). */
static bool
counts_as_failure(enum reason r)
{
	switch (r) {
	case REASON_AUTH_WRONG_SECRET:
	case REASON_AUTH_UNKNOWN_USER:
	case REASON_AUTH_REPLAY:
	case REASON_AUTH_BAD_NONCE:
	case REASON_AUTH_MALFORMED:
	case REASON_AUTH_SUSPENDED:
	case REASON_AUTH_SOURCE:
	case REASON_AUTH_IDENTITY:
	case REASON_AUTH_BAD_REALM:
		return true;
	default:
		return false;
	}
}

static unsigned
bits_estimate(const uint64_t bits[2])
{
	unsigned set = (unsigned)(__builtin_popcountll(bits[0]) +
	    __builtin_popcountll(bits[1]));

	if (set >= 128)
		return 1000;
	return (unsigned)lround(-128.0 * log(1.0 - set / 128.0));
}

static void
on_enumeration(struct watch *w, const struct sa *src, struct srec *r,
    struct str user, uint32_t now)
{
	const struct cfg_trigger *t = &w->gc->enumeration;
	uint64_t h;
	char d[96];
	unsigned n;

	if (!t->enabled || !user.len)
		return;
	if (r->enum_start == 0 || now - r->enum_start >= t->window) {
		r->enum_start = now;
		r->enum_bits[0] = r->enum_bits[1] = 0;
		r->enum_ok = 0;
	}
	if (r->enum_ok)
		return;
	h = mix(w->seed, str_hash_nocase(user)) >> 57; /* 0..127 */
	r->enum_bits[h >> 6] |= 1ULL << (h & 63);
	n = bits_estimate(r->enum_bits);
	if (n < t->count)
		return;
	snprintf(d, sizeof(d), "users=%u window=%us", n, t->window);
	r->enum_start = 0;
	fire_counted(w, src, REASON_ENUMERATION, t, d);
}

void
watch_event(const struct event *ev, void *arg)
{
	struct watch *w = arg;
	const struct cfg_trigger *t = &w->gc->auth_failures;
	uint32_t now;
	uint8_t key[16];
	struct srec *r;
	struct str user;
	unsigned ipn;
	char d[160];

	if (!ev->src || (ev->type != EV_AUTH_FAILED && ev->type != EV_AUTH_OK))
		return;
	if (!src_key(w, ev->src, key))
		return;
	now = (uint32_t)time(NULL);
	r = src_get(w, key, now);
	/* "user@realm": the user part names the account tried. */
	user = ev->user;
	if (ev->type == EV_AUTH_OK) {
		/* A source that authenticates is no enumerator (an office
		 * NAT full of phones) for the rest of the window. */
		if (r->enum_start == 0 ||
		    now - r->enum_start >= w->gc->enumeration.window) {
			r->enum_start = now;
			r->enum_bits[0] = r->enum_bits[1] = 0;
		}
		r->enum_ok = 1;
		return;
	}
	on_enumeration(w, ev->src, r, user, now);
	if (!t->enabled || !counts_as_failure(ev->reason))
		return;
	ipn = window_add(&r->auth_start, &r->auth_n, now, t->window);
	if ((w->gc->auth_ip_count && ipn >= w->gc->auth_ip_count) ||
	    (!w->gc->auth_per_user && ipn >= t->count)) {
		snprintf(d, sizeof(d), "failures=%u window=%us all users", ipn,
		    t->window);
	} else if (w->gc->auth_per_user) {
		struct prec *p =
		    pair_get(w, key, (uint32_t)str_hash_nocase(user) | 1u, now);

		if (window_add(&p->start, &p->n, now, t->window) < t->count)
			return;
		p->n = 0;
		snprintf(d, sizeof(d), "failures=%u window=%us user=%.*s",
		    t->count, t->window, (int)(user.len > 64 ? 64 : user.len),
		    user.s ? user.s : "");
	} else
		return;
	r->auth_n = 0;
	fire_counted(w, ev->src, REASON_BRUTE_FORCE, t, d);
}

unsigned
watch_users(struct watch *w, const struct sa *src)
{
	uint8_t key[16];
	struct srec *r;

	if (!src_key(w, src, key))
		return 0;
	r = src_get(w, key, (uint32_t)time(NULL));
	return bits_estimate(r->enum_bits);
}

int
watch_alloc(struct watch **wp, const struct cfg *cfg, struct ban *ban)
{
	struct watch *w;

	w = calloc(1, sizeof(*w));
	if (!w)
		return ENOMEM;
	w->cfg = cfg;
	w->gc = &cfg->guard;
	w->ban = ban;
	if (getrandom(&w->seed, sizeof(w->seed), 0) != sizeof(w->seed))
		w->seed = (uint64_t)(uintptr_t)w * 0x9e3779b97f4a7c15ULL;
	w->nsets = (w->gc->max_sources + WAYS - 1) / WAYS;
	w->npsets = w->nsets / 2 + 1;
	/* calloc of this size maps zero pages: memory is touched as used. */
	w->src = calloc(w->nsets * WAYS, sizeof(*w->src));
	w->pair = calloc(w->npsets * WAYS, sizeof(*w->pair));
	if (!w->src || !w->pair) {
		watch_free(w);
		return ENOMEM;
	}
	*wp = w;
	return 0;
}

void
watch_free(struct watch *w)
{
	if (!w)
		return;
	free(w->src);
	free(w->pair);
	free(w);
}

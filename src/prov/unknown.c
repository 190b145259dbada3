/*
 * prov/unknown.c -- unknown MACs counted per source range
 * (prov/prov_int.h), for the guard's ban ladder.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>

#include <openssl/rand.h>

#include "core/siphash.h"
#include "prov/prov_int.h"

void
prov_unknowns_init(struct prov_unknowns *t, unsigned v6_prefix, unsigned limit,
    unsigned window, uint64_t seed)
{
	memset(t, 0, sizeof(*t));
	t->key[0] = seed;
	t->key[1] = ~seed;
	/* Without randomness the key stays fixed: slots still work. */
	if (!seed)
		(void)RAND_bytes((unsigned char *)t->key, sizeof(t->key));
	t->v6_prefix = v6_prefix;
	t->limit = limit ? limit : 1;
	t->window = window;
}

/* The range's first slot: SipHash of its bytes under the table's key. */
static size_t
slot_of(const struct prov_unknowns *t, const struct cidr *c)
{
	return (
	    size_t)(siphash24(t->key, c->addr, c->family == AF_INET ? 4 : 16) %
	    PROV_UNKNOWN_SLOTS);
}

static bool
stale(const struct prov_unknowns *t, const struct prov_unknown *s, time_t now)
{
	return !s->used || now - s->start >= (time_t)t->window;
}

/*
 * Is slot "s" a better one to give up than "u"? A free or expired slot
 * first; else the lowest count (the range closest to a strike is kept:
 * fresh ranges cannot push it out), then the oldest window.
 */
static bool
worse(const struct prov_unknowns *t, const struct prov_unknown *s,
    const struct prov_unknown *u, time_t now)
{
	if (stale(t, u, now))
		return false;
	if (stale(t, s, now))
		return true;
	if (s->count != u->count)
		return s->count < u->count;
	return s->start < u->start;
}

bool
prov_unknowns_note(struct prov_unknowns *t, const struct sa *src, time_t now)
{
	struct prov_unknown *u = NULL, *s;
	struct cidr c;
	size_t first;
	unsigned i;

	if (cidr_from_sa(&c, src, t->v6_prefix))
		return false;
	first = slot_of(t, &c);
	for (i = 0; i < PROV_UNKNOWN_PROBES; i++) {
		s = &t->slot[(first + i) % PROV_UNKNOWN_SLOTS];
		if (s->used && cidr_eq(&s->range, &c)) {
			u = s;
			break;
		}
		if (!u || worse(t, s, u, now))
			u = s;
	}
	if (!u->used || !cidr_eq(&u->range, &c) ||
	    now - u->start >= (time_t)t->window) {
		u->used = true;
		u->range = c;
		u->start = now;
		u->count = 0;
	}
	if (++u->count < t->limit)
		return false;
	u->count = 0;
	u->start = now;
	return true;
}

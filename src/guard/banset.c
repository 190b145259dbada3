/*
 * guard/banset.c -- the banned-source set (see banset.h).
 *
 * Exact IPv4 addresses: an array of 64-byte buckets, each eight keys
 * (the address, host order) and eight record indexes. A key hashes to
 * one bucket; a full bucket spills into the next (linear probing by
 * bucket). Key 0 marks an empty slot and 1 a deleted one, so 0.0.0.0
 * and 0.0.0.1 go to the range table like any other range. A lookup
 * stops at the first bucket with an empty slot: misses, the common
 * case, cost one cache line.
 *
 * Ranges (IPv4 prefixes, all IPv6): open addressing on (family,
 * prefix, masked address), probed once per distinct prefix length
 * present, longest first.
 *
 * Records: an array indexed by 32-bit ids (0 = none) with a free list
 * and reference counts; a feed import shares one record among all its
 * entries. Hashes are keyed with a random seed so that a source cannot
 * choose addresses that collide.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "guard/banset.h"

#define B4_SLOTS 8
#define KEY_EMPTY 0u
#define KEY_DEAD 1u
#define FAM_EMPTY 0
#define FAM_DEAD 0xff
#define REC_ENDED 0x01 /* the end of its ban was reported */

struct bucket4 {
	uint32_t key[B4_SLOTS];
	uint32_t rec[B4_SLOTS];
};

struct rkey {
	uint8_t family; /* 4, 6; FAM_EMPTY, FAM_DEAD */
	uint8_t prefix;
	uint8_t pad[2];
	uint8_t addr[16];
};

struct rslot {
	struct rkey k;
	uint32_t rec;
};

struct rec {
	uint32_t expires, forget, first_seen, last_seen;
	uint32_t refs; /* slots pointing here; on the free list: next */
	uint16_t strikes;
	uint8_t rung, reason, origin, feed, flags;
};

struct banset {
	pthread_rwlock_t lock;
	uint64_t seed;
	uint64_t version; /* bumped by changes that may change an answer */

	struct bucket4 *b4;
	size_t nb4; /* buckets */
	size_t used4, dead4;

	struct rslot *r;
	size_t nr; /* slots, a power of two */
	size_t usedr, deadr;
	uint32_t cnt4[33], cnt6[129]; /* ranges per prefix length */
	uint8_t plen4[33], plen6[129]; /* present lengths, longest first */
	unsigned nplen4, nplen6;

	struct rec *recs;
	uint32_t nrecs, caprecs, free_rec, live_recs;

	size_t sweep_pos; /* over b4 slots, then r slots */
};

/* Slot s (bucket s / 8, entry s % 8) of the exact table. */
#define B4_KEY(b, s) ((b)->b4[(s) / B4_SLOTS].key[(s) % B4_SLOTS])
#define B4_REC(b, s) ((b)->b4[(s) / B4_SLOTS].rec[(s) % B4_SLOTS])

static inline uint32_t
key4(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
	    (uint32_t)a[2] << 8 | a[3];
}

static inline uint32_t
hash32(uint64_t seed, uint32_t key)
{
	uint64_t h = ((uint64_t)key ^ seed) * 0x9e3779b97f4a7c15ULL;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (uint32_t)(h >> 32);
}

static inline size_t
b4_index(const struct banset *b, uint32_t key)
{
	return (size_t)(((uint64_t)hash32(b->seed, key) * b->nb4) >> 32);
}

static uint64_t
rkey_hash(uint64_t seed, const struct rkey *k)
{
	uint64_t h = seed, w;
	unsigned i;

	for (i = 0; i < sizeof(*k); i += 8) {
		w = 0;
		memcpy(&w, (const uint8_t *)k + i,
		    sizeof(*k) - i < 8 ? sizeof(*k) - i : 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 31;
	}
	return h;
}

static void
rkey_make(struct rkey *k, const struct cidr *c)
{
	struct cidr m = *c;

	cidr_mask(&m);
	memset(k, 0, sizeof(*k));
	k->family = m.family == AF_INET ? 4 : 6;
	k->prefix = (uint8_t)m.prefix;
	memcpy(k->addr, m.addr, m.family == AF_INET ? 4 : 16);
}

/* An exact IPv4 address that the bucket table can hold? */
static bool
exact4(const struct cidr *c, uint32_t *key)
{
	uint32_t a;

	if (c->family != AF_INET || c->prefix != 32)
		return false;
	a = key4(c->addr);
	if (a == KEY_EMPTY || a == KEY_DEAD)
		return false;
	*key = a;
	return true;
}

/* --- records --- */

static uint32_t
rec_alloc(struct banset *b)
{
	uint32_t id;

	if (b->free_rec) {
		id = b->free_rec;
		b->free_rec = b->recs[id].refs;
	} else {
		if (b->nrecs == b->caprecs) {
			uint32_t cap = b->caprecs ? b->caprecs * 2 : 64;
			struct rec *n;

			if (cap < b->caprecs || cap > UINT32_MAX / 2)
				return 0;
			n = realloc(b->recs, (size_t)cap * sizeof(*n));
			if (!n)
				return 0;
			b->recs = n;
			b->caprecs = cap;
		}
		id = b->nrecs++;
	}
	memset(&b->recs[id], 0, sizeof(b->recs[id]));
	b->live_recs++;
	return id;
}

static void
rec_unref(struct banset *b, uint32_t id)
{
	struct rec *r = &b->recs[id];

	if (r->refs > 1) {
		r->refs--;
		return;
	}
	r->refs = b->free_rec;
	b->free_rec = id;
	b->live_recs--;
}

static void
rec_set(struct rec *r, const struct ban_info *bi)
{
	r->expires = bi->expires;
	r->forget = bi->forget;
	r->first_seen = bi->first_seen;
	r->last_seen = bi->last_seen;
	r->strikes = bi->strikes;
	r->rung = bi->rung;
	r->reason = bi->reason;
	r->origin = bi->origin;
	r->feed = bi->feed;
	r->flags = 0;
}

static void
rec_get(const struct rec *r, struct ban_info *bi)
{
	bi->expires = r->expires;
	bi->forget = r->forget;
	bi->first_seen = r->first_seen;
	bi->last_seen = r->last_seen;
	bi->strikes = r->strikes;
	bi->rung = r->rung;
	bi->reason = r->reason;
	bi->origin = r->origin;
	bi->feed = r->feed;
}

/* --- exact IPv4 table --- */

/*
 * Find "key": *slot = its index (bucket * 8 + i) and true, or false
 * with *slot = the first free or dead slot of the chain (SIZE_MAX if
 * the table is full).
 */
static bool
b4_find(const struct banset *b, uint32_t key, size_t *slot)
{
	size_t bi = b4_index(b, key), n, free_at = SIZE_MAX;
	unsigned i;

	for (n = 0; n < b->nb4; n++) {
		const struct bucket4 *bk = &b->b4[bi];
		bool has_empty = false;

		for (i = 0; i < B4_SLOTS; i++) {
			if (bk->key[i] == key) {
				*slot = bi * B4_SLOTS + i;
				return true;
			}
			if (bk->key[i] == KEY_EMPTY) {
				has_empty = true;
				if (free_at == SIZE_MAX)
					free_at = bi * B4_SLOTS + i;
			} else if (bk->key[i] == KEY_DEAD &&
			    free_at == SIZE_MAX)
				free_at = bi * B4_SLOTS + i;
		}
		if (has_empty)
			break;
		if (++bi == b->nb4)
			bi = 0;
	}
	*slot = free_at;
	return false;
}

/*
 * A bucket array. A blocklist-sized one (5,000,000 addresses: 58 MB)
 * is read at random, so that on 4 KB pages nearly every lookup also
 * misses the TLB; on 2 MB pages (transparent huge pages, which Debian
 * grants on request) it takes a few dozen TLB entries. Such an array
 * is mapped on its own, so that its memory goes back to the system
 * when a resize frees it (malloc would keep a freed 29 MB array of
 * the growth on its heap).
 */
#define HUGE_PAGE ((size_t)2 << 20)

static size_t
b4_maplen(size_t nb)
{
	size_t len = nb * sizeof(struct bucket4);

	return len < 2 * HUGE_PAGE ? 0 :
				     (len + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

static struct bucket4 *
b4_alloc(size_t nb)
{
	size_t len = b4_maplen(nb), head;
	uint8_t *p;

	if (!len) {
		len = nb * sizeof(struct bucket4);
		if ((p = aligned_alloc(64, len)))
			memset(p, 0, len);
		return (struct bucket4 *)(void *)p;
	}
	/* Over-map by one huge page, then trim to a 2 MB boundary. */
	p = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	head = (HUGE_PAGE - ((uintptr_t)p & (HUGE_PAGE - 1))) & (HUGE_PAGE - 1);
	if (head)
		munmap(p, head);
	if (HUGE_PAGE - head)
		munmap(p + head + len, HUGE_PAGE - head);
	p += head;
	(void)madvise(p, len, MADV_HUGEPAGE); /* a hint: 4 KB pages work */
	return (struct bucket4 *)(void *)p; /* zero-filled */
}

static void
b4_release(struct bucket4 *t, size_t nb)
{
	size_t len = b4_maplen(nb);

	if (len)
		munmap(t, len);
	else
		free(t);
}

/*
 * The lookup of banset_check(): b4_find() from bucket "bi" without the
 * free slot, each bucket's eight keys compared without a branch (a
 * branch per key, mispredicted at random, costs more than the compare).
 */
static inline bool
b4_lookup(const struct banset *b, uint32_t key, size_t bi, size_t *slot)
{
	size_t n;
	unsigned i;

	if (key == KEY_EMPTY || key == KEY_DEAD)
		return false; /* the markers, not addresses (ranges hold those) */
	for (n = 0; n < b->nb4; n++) {
		const struct bucket4 *bk = &b->b4[bi];
		unsigned hit = 0, empty = 0;

		for (i = 0; i < B4_SLOTS; i++) {
			hit |= (unsigned)(bk->key[i] == key) << i;
			empty |= (unsigned)(bk->key[i] == KEY_EMPTY) << i;
		}
		if (hit) {
			*slot = bi * B4_SLOTS + (unsigned)__builtin_ctz(hit);
			return true;
		}
		if (empty)
			break;
		if (++bi == b->nb4)
			bi = 0;
	}
	return false;
}

static int
b4_resize(struct banset *b, size_t nb)
{
	struct bucket4 *old = b->b4, *nbk;
	size_t onb = b->nb4, i;
	unsigned j;

	nbk = b4_alloc(nb);
	if (!nbk)
		return ENOMEM;
	b->b4 = nbk;
	b->nb4 = nb;
	b->used4 = 0;
	b->dead4 = 0;
	for (i = 0; i < onb; i++)
		for (j = 0; j < B4_SLOTS; j++) {
			uint32_t k = old[i].key[j];
			size_t s;

			if (k == KEY_EMPTY || k == KEY_DEAD)
				continue;
			b4_find(b, k, &s);
			B4_KEY(b, s) = k;
			B4_REC(b, s) = old[i].rec[j];
			b->used4++;
		}
	b4_release(old, onb);
	b->sweep_pos = 0;
	return 0;
}

/*
 * Room for "more" exact entries: the load stays at most 3/4. A bulk
 * reservation sizes the table to a load of 2/3 (5,000,000 addresses:
 * 58 MB); single inserts double it, so that growth stays amortised.
 */
static int
b4_room(struct banset *b, size_t more, bool bulk)
{
	size_t need = b->used4 + more, nb;

	if ((need + b->dead4) * 4 <= b->nb4 * B4_SLOTS * 3)
		return 0;
	if (need * 2 <= b->nb4 * B4_SLOTS)
		return b4_resize(b, b->nb4); /* only the dead slots */
	nb = need * 3 / (2 * B4_SLOTS) + 1;
	if (!bulk && nb < b->nb4 * 2)
		nb = b->nb4 * 2;
	if (nb < 16)
		nb = 16;
	return b4_resize(b, nb);
}

/* --- range table --- */

static bool
r_find(const struct banset *b, const struct rkey *k, size_t *slot)
{
	size_t i = (size_t)rkey_hash(b->seed, k) & (b->nr - 1), n,
	       free_at = SIZE_MAX;

	for (n = 0; n < b->nr; n++) {
		const struct rslot *s = &b->r[i];

		if (s->k.family == FAM_EMPTY) {
			*slot = free_at != SIZE_MAX ? free_at : i;
			return false;
		}
		if (s->k.family == FAM_DEAD) {
			if (free_at == SIZE_MAX)
				free_at = i;
		} else if (memcmp(&s->k, k, sizeof(*k)) == 0) {
			*slot = i;
			return true;
		}
		i = (i + 1) & (b->nr - 1);
	}
	*slot = free_at;
	return false;
}

static int
r_resize(struct banset *b, size_t nr)
{
	struct rslot *old = b->r;
	size_t onr = b->nr, i, s;

	b->r = calloc(nr, sizeof(*b->r));
	if (!b->r) {
		b->r = old;
		return ENOMEM;
	}
	b->nr = nr;
	b->usedr = 0;
	b->deadr = 0;
	for (i = 0; i < onr; i++) {
		if (old[i].k.family == FAM_EMPTY || old[i].k.family == FAM_DEAD)
			continue;
		r_find(b, &old[i].k, &s);
		b->r[s] = old[i];
		b->usedr++;
	}
	free(old);
	b->sweep_pos = 0;
	return 0;
}

static int
r_room(struct banset *b)
{
	size_t nr = b->nr;

	if ((b->usedr + b->deadr + 1) * 4 <= nr * 3)
		return 0;
	while ((b->usedr + 1) * 2 > nr)
		nr *= 2;
	return r_resize(b, nr);
}

static void
plen_rebuild(uint8_t *out, unsigned *n, const uint32_t *cnt, unsigned max)
{
	unsigned p;

	*n = 0;
	for (p = max + 1; p-- > 0;)
		if (cnt[p])
			out[(*n)++] = (uint8_t)p;
}

static void
plen_count(struct banset *b, const struct rkey *k, int delta)
{
	if (k->family == 4) {
		b->cnt4[k->prefix] += (uint32_t)delta;
		plen_rebuild(b->plen4, &b->nplen4, b->cnt4, 32);
	} else {
		b->cnt6[k->prefix] += (uint32_t)delta;
		plen_rebuild(b->plen6, &b->nplen6, b->cnt6, 128);
	}
}

/* --- the API --- */

int
banset_alloc(struct banset **bp)
{
	struct banset *b;

	b = calloc(1, sizeof(*b));
	if (!b)
		return ENOMEM;
	if (getrandom(&b->seed, sizeof(b->seed), 0) != sizeof(b->seed))
		b->seed = (uint64_t)(uintptr_t)b ^ 0x5bd1e995u;
	pthread_rwlock_init(&b->lock, NULL);
	b->nr = 64;
	b->r = calloc(b->nr, sizeof(*b->r));
	b->caprecs = 64;
	b->recs = calloc(b->caprecs, sizeof(*b->recs));
	b->nrecs = 1; /* id 0 means "no record" */
	if (!b->r || !b->recs || b4_resize(b, 16)) {
		banset_free(b);
		return ENOMEM;
	}
	*bp = b;
	return 0;
}

void
banset_free(struct banset *b)
{
	if (!b)
		return;
	pthread_rwlock_destroy(&b->lock);
	b4_release(b->b4, b->nb4);
	free(b->r);
	free(b->recs);
	free(b);
}

int
banset_reserve(struct banset *b, size_t n)
{
	int err;

	pthread_rwlock_wrlock(&b->lock);
	err = b4_room(b, n, true);
	pthread_rwlock_unlock(&b->lock);
	return err;
}

static void
info_exact(struct ban_info *bi, const struct rec *r, uint32_t key)
{
	rec_get(r, bi);
	memset(&bi->range, 0, sizeof(bi->range));
	bi->range.family = AF_INET;
	bi->range.prefix = 32;
	bi->range.addr[0] = (uint8_t)(key >> 24);
	bi->range.addr[1] = (uint8_t)(key >> 16);
	bi->range.addr[2] = (uint8_t)(key >> 8);
	bi->range.addr[3] = (uint8_t)key;
}

static bool
check_ranges(const struct banset *b, int fam, const uint8_t *a, uint32_t now,
    struct ban_info *bi)
{
	const uint8_t *plen = fam == 4 ? b->plen4 : b->plen6;
	unsigned n = fam == 4 ? b->nplen4 : b->nplen6, i;
	struct cidr c;
	struct rkey k;
	size_t s;

	if (!n)
		return false;
	memset(&c, 0, sizeof(c));
	c.family = fam == 4 ? AF_INET : AF_INET6;
	memcpy(c.addr, a, fam == 4 ? 4 : 16);
	for (i = 0; i < n; i++) {
		const struct rec *r;

		c.prefix = plen[i];
		rkey_make(&k, &c);
		if (!r_find(b, &k, &s))
			continue;
		r = &b->recs[b->r[s].rec];
		if (r->expires > now) {
			if (bi) {
				rec_get(r, bi);
				bi->range = c;
				cidr_mask(&bi->range);
			}
			return true;
		}
	}
	return false;
}

/* One source, lock held; "bi" its bucket (SIZE_MAX: not exact IPv4). */
static bool
check_locked(const struct banset *b, const uint8_t *a, int fam, size_t bi,
    uint32_t now, struct ban_info *bi_out)
{
	size_t slot;

	if (fam == 4 && b->used4 && bi != SIZE_MAX) {
		uint32_t key = key4(a);

		if (b4_lookup(b, key, bi, &slot)) {
			const struct rec *r = &b->recs[B4_REC(b, slot)];

			if (r->expires > now) {
				if (bi_out)
					info_exact(bi_out, r, key);
				return true;
			}
		}
	}
	return check_ranges(b, fam, a, now, bi_out);
}

bool
banset_check(
    struct banset *b, const struct sa *src, uint32_t now, struct ban_info *bi)
{
	const uint8_t *a;
	bool hit;
	int fam;

	if (!(a = sa_addr_bytes(src, &fam)))
		return false;
	pthread_rwlock_rdlock(&b->lock);
	hit = check_locked(
	    b, a, fam, fam == 4 ? b4_index(b, key4(a)) : SIZE_MAX, now, bi);
	pthread_rwlock_unlock(&b->lock);
	return hit;
}

#define MANY_CHUNK 64

uint64_t
banset_version(const struct banset *b)
{
	return __atomic_load_n(&b->version, __ATOMIC_ACQUIRE);
}

/* Lock held for writing. */
static void
changed(struct banset *b)
{
	__atomic_store_n(&b->version, b->version + 1, __ATOMIC_RELEASE);
}

uint64_t
banset_check_many(
    struct banset *b, const struct sa *src, size_t n, uint32_t now, bool *hit)
{
	uint64_t ver = banset_version(b);

	const uint8_t *a[MANY_CHUNK];
	size_t bkt[MANY_CHUNK], i, k, m, slot;
	uint32_t rid[MANY_CHUNK];
	int fam[MANY_CHUNK];

	/* Three passes, so that no miss waits for another: the buckets are
	 * requested, then read and the records requested, then read. */
	for (i = 0; i < n; i += m) {
		m = n - i < MANY_CHUNK ? n - i : MANY_CHUNK;
		pthread_rwlock_rdlock(&b->lock);
		for (k = 0; k < m; k++) {
			bkt[k] = SIZE_MAX;
			if (!(a[k] = sa_addr_bytes(&src[i + k], &fam[k])) ||
			    fam[k] != 4 || !b->used4)
				continue;
			bkt[k] = b4_index(b, key4(a[k]));
			__builtin_prefetch(&b->b4[bkt[k]]);
		}
		for (k = 0; k < m; k++) {
			rid[k] = 0;
			if (bkt[k] != SIZE_MAX &&
			    b4_lookup(b, key4(a[k]), bkt[k], &slot)) {
				rid[k] = B4_REC(b, slot);
				__builtin_prefetch(&b->recs[rid[k]]);
			}
		}
		for (k = 0; k < m; k++)
			hit[i + k] = a[k] &&
			    ((rid[k] && b->recs[rid[k]].expires > now) ||
				check_ranges(b, fam[k], a[k], now, NULL));
		pthread_rwlock_unlock(&b->lock);
	}
	return ver;
}

/* The record id held for "c", or 0. Lock held. */
static uint32_t
lookup_locked(struct banset *b, const struct cidr *c)
{
	uint32_t key;
	size_t s;
	struct rkey k;

	if (exact4(c, &key))
		return b4_find(b, key, &s) ?
		    b->b4[s / B4_SLOTS].rec[s % B4_SLOTS] :
		    0;
	rkey_make(&k, c);
	return r_find(b, &k, &s) ? b->r[s].rec : 0;
}

int
banset_get(struct banset *b, const struct cidr *range, struct ban_info *bi)
{
	uint32_t id;

	pthread_rwlock_rdlock(&b->lock);
	id = lookup_locked(b, range);
	if (id && bi) {
		rec_get(&b->recs[id], bi);
		bi->range = *range;
		cidr_mask(&bi->range);
	}
	pthread_rwlock_unlock(&b->lock);
	return id ? 0 : ENOENT;
}

/*
 * Point the slot of "c" at record "id" (creating the slot), dropping
 * the reference it held. *old gets the record it held (0: new slot).
 * Lock held; "id" has its reference taken by the caller.
 */
static int
link_locked(struct banset *b, const struct cidr *c, uint32_t id, uint32_t *old)
{
	uint32_t key;
	size_t s;
	struct rkey k;
	int err;

	*old = 0;
	if (exact4(c, &key)) {
		if (!b4_find(b, key, &s)) {
			if ((err = b4_room(b, 1, false)))
				return err;
			b4_find(b, key, &s);
			if (s == SIZE_MAX)
				return ENOMEM;
			if (B4_KEY(b, s) == KEY_DEAD)
				b->dead4--;
			B4_KEY(b, s) = key;
			b->used4++;
		} else
			*old = B4_REC(b, s);
		B4_REC(b, s) = id;
		return 0;
	}
	rkey_make(&k, c);
	if (!r_find(b, &k, &s)) {
		if ((err = r_room(b)))
			return err;
		r_find(b, &k, &s);
		if (s == SIZE_MAX)
			return ENOMEM;
		if (b->r[s].k.family == FAM_DEAD)
			b->deadr--;
		b->r[s].k = k;
		b->usedr++;
		plen_count(b, &k, 1);
	} else
		*old = b->r[s].rec;
	b->r[s].rec = id;
	return 0;
}

int
banset_put(struct banset *b, const struct ban_info *bi)
{
	uint32_t id, old;
	int err;

	pthread_rwlock_wrlock(&b->lock);
	id = lookup_locked(b, &bi->range);
	changed(b);
	if (id && b->recs[id].refs == 1) {
		rec_set(&b->recs[id], bi); /* its own record: in place */
		pthread_rwlock_unlock(&b->lock);
		return 0;
	}
	if (!(id = rec_alloc(b))) {
		pthread_rwlock_unlock(&b->lock);
		return ENOMEM;
	}
	rec_set(&b->recs[id], bi);
	b->recs[id].refs = 1;
	err = link_locked(b, &bi->range, id, &old);
	if (err)
		rec_unref(b, id);
	else if (old)
		rec_unref(b, old);
	pthread_rwlock_unlock(&b->lock);
	return err;
}

int
banset_put_shared(struct banset *b, const struct cidr *ranges, size_t n,
    const struct ban_info *shared)
{
	uint32_t id, old, cur;
	size_t i;
	int err = 0;

	pthread_rwlock_wrlock(&b->lock);
	if ((err = b4_room(b, n, true)) || !(id = rec_alloc(b))) {
		pthread_rwlock_unlock(&b->lock);
		return err ? err : ENOMEM;
	}
	changed(b);
	rec_set(&b->recs[id], shared);
	b->recs[id].refs = 1; /* ours, while we work */
	for (i = 0; i < n; i++) {
		cur = lookup_locked(b, &ranges[i]);
		if (cur == id)
			continue; /* listed twice */
		if (cur && b->recs[cur].expires >= shared->expires)
			continue;
		b->recs[id].refs++;
		if ((err = link_locked(b, &ranges[i], id, &old))) {
			b->recs[id].refs--;
			break;
		}
		if (old)
			rec_unref(b, old);
	}
	rec_unref(b, id);
	pthread_rwlock_unlock(&b->lock);
	return err;
}

int
banset_del(struct banset *b, const struct cidr *range)
{
	uint32_t key;
	size_t s;
	struct rkey k;
	int err = ENOENT;

	pthread_rwlock_wrlock(&b->lock);
	if (exact4(range, &key)) {
		if (b4_find(b, key, &s)) {
			rec_unref(b, B4_REC(b, s));
			B4_KEY(b, s) = KEY_DEAD;
			b->used4--;
			b->dead4++;
			changed(b);
			err = 0;
		}
	} else {
		rkey_make(&k, range);
		if (r_find(b, &k, &s)) {
			rec_unref(b, b->r[s].rec);
			plen_count(b, &b->r[s].k, -1);
			b->r[s].k.family = FAM_DEAD;
			b->usedr--;
			b->deadr++;
			changed(b);
			err = 0;
		}
	}
	pthread_rwlock_unlock(&b->lock);
	return err;
}

static void
info_range(struct ban_info *bi, const struct rec *r, const struct rkey *k)
{
	rec_get(r, bi);
	memset(&bi->range, 0, sizeof(bi->range));
	bi->range.family = k->family == 4 ? AF_INET : AF_INET6;
	bi->range.prefix = k->prefix;
	memcpy(bi->range.addr, k->addr, k->family == 4 ? 4 : 16);
}

int
banset_each(struct banset *b, banset_h *h, void *arg)
{
	struct ban_info bi;
	size_t i;
	unsigned j;
	int rc = 0;

	pthread_rwlock_rdlock(&b->lock);
	for (i = 0; i < b->nb4 && !rc; i++)
		for (j = 0; j < B4_SLOTS && !rc; j++) {
			uint32_t k = b->b4[i].key[j];

			if (k == KEY_EMPTY || k == KEY_DEAD)
				continue;
			info_exact(&bi, &b->recs[b->b4[i].rec[j]], k);
			rc = h(&bi, arg);
		}
	for (i = 0; i < b->nr && !rc; i++) {
		if (b->r[i].k.family == FAM_EMPTY ||
		    b->r[i].k.family == FAM_DEAD)
			continue;
		info_range(&bi, &b->recs[b->r[i].rec], &b->r[i].k);
		rc = h(&bi, arg);
	}
	pthread_rwlock_unlock(&b->lock);
	return rc;
}

/* One occupied slot during a sweep: true when it must go. */
static bool
sweep_one(struct rec *r, uint32_t now, const struct ban_info *bi,
    banset_h *ended, void *arg)
{
	if (r->forget <= now && r->expires <= now)
		return true;
	if (r->expires <= now && !(r->flags & REC_ENDED) &&
	    r->origin != BAN_FEED) {
		r->flags |= REC_ENDED;
		if (ended)
			ended(bi, arg);
	}
	return false;
}

size_t
banset_sweep(
    struct banset *b, uint32_t now, size_t budget, banset_h *ended, void *arg)
{
	struct ban_info bi;
	size_t walked = 0, total;

	pthread_rwlock_wrlock(&b->lock);
	total = b->nb4 * B4_SLOTS + b->nr;
	while (walked < budget && walked < total) {
		size_t pos = b->sweep_pos;

		if (pos < b->nb4 * B4_SLOTS) {
			struct bucket4 *bk = &b->b4[pos / B4_SLOTS];
			unsigned j = (unsigned)(pos % B4_SLOTS);
			uint32_t k = bk->key[j];

			if (k != KEY_EMPTY && k != KEY_DEAD) {
				struct rec *r = &b->recs[bk->rec[j]];

				info_exact(&bi, r, k);
				if (sweep_one(r, now, &bi, ended, arg)) {
					rec_unref(b, bk->rec[j]);
					bk->key[j] = KEY_DEAD;
					b->used4--;
					b->dead4++;
				}
			}
		} else {
			struct rslot *s = &b->r[pos - b->nb4 * B4_SLOTS];

			if (s->k.family != FAM_EMPTY &&
			    s->k.family != FAM_DEAD) {
				struct rec *r = &b->recs[s->rec];

				info_range(&bi, r, &s->k);
				if (sweep_one(r, now, &bi, ended, arg)) {
					rec_unref(b, s->rec);
					plen_count(b, &s->k, -1);
					s->k.family = FAM_DEAD;
					b->usedr--;
					b->deadr++;
				}
			}
		}
		walked++;
		b->sweep_pos = pos + 1 >= total ? 0 : pos + 1;
	}
	pthread_rwlock_unlock(&b->lock);
	return walked;
}

void
banset_stats(struct banset *b, struct banset_stats *st)
{
	pthread_rwlock_rdlock(&b->lock);
	st->entries = b->used4 + b->usedr;
	st->exact4 = b->used4;
	st->records = b->live_recs;
	st->bytes = sizeof(*b) + b->nb4 * sizeof(*b->b4) +
	    b->nr * sizeof(*b->r) + (size_t)b->caprecs * sizeof(*b->recs);
	pthread_rwlock_unlock(&b->lock);
}

/*
 * callerid/numdb.c -- the in-memory numbering snapshot: its builder,
 * its lookups and the slot that swaps snapshots under running workers
 * (design and lifetime rules in numdb.h).
 *
 * Prefix tables. A prefix is keyed by its length and value, packed in
 * 64 bits: (len << 52) | value (a 15-digit value is below 2^50; len >=
 * 1 keeps every key non-zero, so 0 marks an empty slot). Tables use
 * linear probing with the slot picked by a multiplicative hash scaled
 * into the capacity ("fastrange"), so any capacity works and the load
 * stays at 2/3 at most. heads[h] has bit L set when a prefix of length
 * L covers the 5-digit head h of a number; prefixes shorter than 5
 * digits are entered under every head they cover and also in "low" for
 * numbers shorter than 5 digits.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callerid/numdb.h"

#define HEAD 5 /* digits of a head */
#define NHEADS 100000u /* 10^HEAD */
#define NAMES_MAX 65535u /* 16-bit name ids; id 0 is "" */
#define DAY_SECS 86400
#define KEY_SHIFT 52
#define KEY_VALUE(k) ((k) & ((UINT64_C(1) << KEY_SHIFT) - 1))
#define KEY_LEN(k) ((unsigned)((k) >> KEY_SHIFT))
#define ROB_BUCKETS 65536u /* by the first two bytes of a hash */

static const uint64_t p10[NUMDB_DIGITS_MAX + 1] = { UINT64_C(1), UINT64_C(10),
	UINT64_C(100), UINT64_C(1000), UINT64_C(10000), UINT64_C(100000),
	UINT64_C(1000000), UINT64_C(10000000), UINT64_C(100000000),
	UINT64_C(1000000000), UINT64_C(10000000000), UINT64_C(100000000000),
	UINT64_C(1000000000000), UINT64_C(10000000000000),
	UINT64_C(100000000000000), UINT64_C(1000000000000000) };

/* ---- the snapshot --------------------------------------------------------------- */

/* A register prefix (24 bytes). */
struct rslot {
	uint64_t key; /* 0: empty */
	int32_t day; /* assigned / 86400 */
	uint16_t holder; /* name ids */
	uint16_t assignee;
	uint16_t area;
	uint8_t status; /* enum numdb_status */
	uint8_t nholders; /* rows with this prefix, saturating at 255 */
};

_Static_assert(sizeof(struct rslot) == 24, "register slot is 24 bytes");

/* A prefix of the own inventory or of the exceptions (16 bytes). */
struct pslot {
	uint64_t key;
	uint32_t a; /* own: flags; exceptions: first entry */
	uint32_t b; /* exceptions: how many entries */
};

/* The second and later holders of a shared prefix, by key. */
struct xholder {
	uint64_t key;
	uint32_t seq; /* the order they were added */
	uint16_t holder;
};

struct alias_ent {
	const char *alias;
	size_t len;
	const char *pros;
	int64_t from, to;
};

/* An alias table slot: entries [first, first + count) share the alias. */
struct aslot {
	uint32_t first1; /* first + 1; 0: empty */
	uint32_t count;
};

/* A prefix table with its head bitmaps. */
struct ptab {
	struct pslot *slots;
	size_t cap;
	uint16_t *heads; /* NHEADS, or NULL when the table is empty */
	uint16_t low;
};

struct numdb {
	atomic_uint refs;
	int64_t generation;
	char *npool; /* the names, NUL-terminated */
	const char **names;
	size_t nnames;
	char *tpool; /* exception and alias texts */

	struct rslot *rs; /* the register */
	size_t rcap;
	uint16_t *rheads;
	uint16_t rlow;
	size_t nranges, nprefixes;
	struct xholder *xh;
	size_t nxh;

	struct ptab own;
	size_t nown;

	struct ptab exc;
	struct numdb_exception *ex;
	size_t nex;

	struct alias_ent *al;
	size_t nal;
	struct aslot *atab;
	size_t amask; /* capacity - 1 (a power of two) */

	uint8_t (*rob)[32]; /* sorted */
	size_t nrob;
	uint32_t *robidx; /* ROB_BUCKETS + 1 */

	size_t bytes, range_bytes;
};

static inline uint64_t
mkkey(unsigned len, uint64_t value)
{
	return ((uint64_t)len << KEY_SHIFT) | value;
}

/* The slot a key hashes to, in [0, cap). */
static inline size_t
slot_of(uint64_t key, size_t cap)
{
	uint64_t h = key * UINT64_C(0x9e3779b97f4a7c15);

	h ^= h >> 29;
	return (size_t)(((unsigned __int128)h * cap) >> 64);
}

/*
 * The values of the prefixes of "d": pre[i] is the value of its first
 * i digits. False unless 1 to 15 ASCII digits.
 */
static inline bool
prefix_values(struct str d, uint64_t *pre, unsigned *n)
{
	uint64_t v = 0;
	size_t i;

	if (d.len < 1 || d.len > NUMDB_DIGITS_MAX)
		return false;
	pre[0] = 0;
	for (i = 0; i < d.len; i++) {
		unsigned c = (unsigned)((unsigned char)d.s[i] - '0');

		if (c > 9)
			return false;
		v = v * 10 + c;
		pre[i + 1] = v;
	}
	*n = (unsigned)d.len;
	return true;
}

/* The lengths (<= n) of the prefixes that may cover a number. */
static inline unsigned
len_mask(const uint16_t *heads, uint16_t low, const uint64_t *pre, unsigned n)
{
	unsigned m = n >= HEAD ? heads[pre[HEAD]] : low;

	return m & ((2u << n) - 2u);
}

/* Enter prefix (len, value) into a head bitmap. */
static void
heads_add(uint16_t *heads, uint16_t *low, unsigned len, uint64_t value)
{
	uint64_t h, from, span;

	if (len >= HEAD) {
		heads[value / p10[len - HEAD]] |= (uint16_t)(1u << len);
		return;
	}
	*low |= (uint16_t)(1u << len);
	span = p10[HEAD - len];
	from = value * span;
	for (h = from; h < from + span; h++)
		heads[h] |= (uint16_t)(1u << len);
}

static const struct rslot *
rprobe(const struct numdb *db, uint64_t key)
{
	size_t i = slot_of(key, db->rcap);

	for (;;) {
		const struct rslot *s = &db->rs[i];

		if (s->key == key)
			return s;
		if (!s->key)
			return NULL;
		if (++i == db->rcap)
			i = 0;
	}
}

static const struct pslot *
pprobe(const struct ptab *t, uint64_t key)
{
	size_t i = slot_of(key, t->cap);

	for (;;) {
		const struct pslot *s = &t->slots[i];

		if (s->key == key)
			return s;
		if (!s->key)
			return NULL;
		if (++i == t->cap)
			i = 0;
	}
}

/* The slot for "key" in "t": its own, or the empty one to fill. */
static struct pslot *
pslot_for(struct ptab *t, uint64_t key)
{
	size_t i = slot_of(key, t->cap);

	while (t->slots[i].key && t->slots[i].key != key)
		if (++i == t->cap)
			i = 0;
	return &t->slots[i];
}

/* Slots for n keys at a load of 2/3 at most. */
static size_t
table_cap(size_t n)
{
	return n + n / 2 + 1;
}

static void
db_free(struct numdb *db)
{
	if (!db)
		return;
	free(db->npool);
	free(db->names);
	free(db->tpool);
	free(db->rs);
	free(db->rheads);
	free(db->xh);
	free(db->own.slots);
	free(db->own.heads);
	free(db->exc.slots);
	free(db->exc.heads);
	free(db->ex);
	free(db->al);
	free(db->atab);
	free(db->rob);
	free(db->robidx);
	free(db);
}

struct numdb *
numdb_ref(struct numdb *db)
{
	if (db)
		atomic_fetch_add_explicit(&db->refs, 1, memory_order_relaxed);
	return db;
}

void
numdb_unref(struct numdb *db)
{
	if (db &&
	    atomic_fetch_sub_explicit(&db->refs, 1, memory_order_acq_rel) == 1)
		db_free(db);
}

/* ---- the builder ------------------------------------------------------------------ */

struct brange {
	uint64_t key;
	int32_t day;
	uint16_t holder;
	uint16_t area;
	uint8_t status;
};

struct bown {
	uint64_t key;
	uint32_t flags;
};

struct bexc {
	uint64_t key;
	int64_t id, from, to;
	size_t digits, trunk, ref, rules; /* offsets in tpool */
	uint32_t seq;
	bool prefix;
};

struct balias {
	size_t alias, len, pros; /* offsets in tpool; len of the alias */
	int64_t from, to;
	uint32_t seq;
};

struct numdb_builder {
	char err[NUMDB_ERR_MAX];
	int failed; /* the first add error */
	int64_t gen;

	char *npool; /* interned names */
	size_t nplen, npcap;
	size_t *noff; /* name id -> offset */
	size_t nnames, noffcap;
	uint32_t *itab; /* name hash table: id + 1; 0 empty */
	size_t icap; /* a power of two */

	char *tpool; /* other texts */
	size_t tplen, tpcap;

	struct brange *r;
	size_t nr, rcap;
	struct bown *o;
	size_t no, ocap;
	struct bexc *e;
	size_t ne, ecap;
	struct balias *a;
	size_t na, acap;
	uint8_t (*rob)[32];
	size_t nrob, robcap;
};

/* Make room for "need" elements of "size" bytes in *p (capacity *cap). */
static int
grow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp;
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 64;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / size)
			return ENOMEM;
		ncap *= 2;
	}
	if (!(np = realloc(*p, ncap * size)))
		return ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

static int bfail(struct numdb_builder *b, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bfail(struct numdb_builder *b, int err, const char *fmt, ...)
{
	va_list ap;

	if (!b->failed) {
		va_start(ap, fmt);
		vsnprintf(b->err, sizeof(b->err), fmt, ap);
		va_end(ap);
		b->failed = err;
	}
	return err;
}

/* Copy C string "s" into the text pool; *off gets its offset. */
static int
text_add(struct numdb_builder *b, const char *s, size_t *off)
{
	size_t n = strlen(s) + 1;

	if (grow(&b->tpool, &b->tpcap, b->tplen + n, 1))
		return bfail(b, ENOMEM, "out of memory");
	memcpy(b->tpool + b->tplen, s, n);
	*off = b->tplen;
	b->tplen += n;
	return 0;
}

static uint64_t
name_hash(const char *s)
{
	return str_hash(str_make(s, strlen(s)));
}

/* Rehash the name table into "cap" slots (a power of two). */
static int
intern_resize(struct numdb_builder *b, size_t cap)
{
	uint32_t *t = calloc(cap, sizeof(*t));
	size_t id, i;

	if (!t)
		return ENOMEM;
	for (id = 0; id < b->nnames; id++) {
		i = (size_t)name_hash(b->npool + b->noff[id]) & (cap - 1);
		while (t[i])
			i = (i + 1) & (cap - 1);
		t[i] = (uint32_t)id + 1;
	}
	free(b->itab);
	b->itab = t;
	b->icap = cap;
	return 0;
}

/* The id of name "s", added when new. */
static int
intern(struct numdb_builder *b, const char *s, uint16_t *id)
{
	size_t i, n;

	i = (size_t)name_hash(s) & (b->icap - 1);
	while (b->itab[i]) {
		if (strcmp(b->npool + b->noff[b->itab[i] - 1], s) == 0) {
			*id = (uint16_t)(b->itab[i] - 1);
			return 0;
		}
		i = (i + 1) & (b->icap - 1);
	}
	if (b->nnames >= NAMES_MAX + 1)
		return bfail(b, E2BIG,
		    "more than %u distinct operator and area names", NAMES_MAX);
	n = strlen(s) + 1;
	if (grow(&b->npool, &b->npcap, b->nplen + n, 1) ||
	    grow(&b->noff, &b->noffcap, b->nnames + 1, sizeof(*b->noff)))
		return bfail(b, ENOMEM, "out of memory");
	memcpy(b->npool + b->nplen, s, n);
	b->noff[b->nnames] = b->nplen;
	b->nplen += n;
	b->itab[i] = (uint32_t)b->nnames + 1;
	*id = (uint16_t)b->nnames++;
	if (b->nnames * 2 > b->icap && intern_resize(b, b->icap * 2))
		return bfail(b, ENOMEM, "out of memory");
	return 0;
}

int
numdb_builder_new(struct numdb_builder **bp)
{
	struct numdb_builder *b;
	uint16_t id;

	if (!bp)
		return EINVAL;
	if (!(b = calloc(1, sizeof(*b))))
		return ENOMEM;
	b->gen = -1;
	if (intern_resize(b, 64) || intern(b, "", &id)) {
		numdb_builder_free(b);
		return ENOMEM;
	}
	*bp = b;
	return 0;
}

void
numdb_builder_free(struct numdb_builder *b)
{
	if (!b)
		return;
	free(b->npool);
	free(b->noff);
	free(b->itab);
	free(b->tpool);
	free(b->r);
	free(b->o);
	free(b->e);
	free(b->a);
	free(b->rob);
	free(b);
}

const char *
numdb_builder_errmsg(const struct numdb_builder *b)
{
	return b ? b->err : "no builder";
}

void
numdb_builder_generation(struct numdb_builder *b, int64_t gen)
{
	if (b)
		b->gen = gen;
}

/* "s" as a prefix key; EINVAL unless 1 to 15 digits. */
static int
digits_key(
    struct numdb_builder *b, const char *what, const char *s, uint64_t *key)
{
	uint64_t pre[NUMDB_DIGITS_MAX + 1];
	unsigned n;

	if (!prefix_values(
		str_make(s, strnlen(s, NUMDB_DIGITS_MAX + 1)), pre, &n))
		return bfail(b, EINVAL, "%s \"%.20s\" is not 1 to %d digits",
		    what, s, NUMDB_DIGITS_MAX);
	*key = mkkey(n, pre[n]);
	return 0;
}

int
numdb_builder_range(struct numdb_builder *b, const struct num_range *r)
{
	static const char *const st[] = { NULL, "Asignado", "Compartido",
		"Subasignado" };
	struct brange br;
	int64_t day;
	unsigned i;
	int err;

	if (!b || !r)
		return EINVAL;
	if (b->failed)
		return b->failed;
	memset(&br, 0, sizeof(br));
	if ((err = digits_key(b, "range prefix", r->prefix, &br.key)))
		return err;
	for (i = 1; i < 4; i++)
		if (strcmp(r->status, st[i]) == 0)
			break;
	if (i == 4)
		return bfail(b, EINVAL, "range %s: status \"%.20s\" unknown",
		    r->prefix, r->status);
	br.status = (uint8_t)i;
	day = r->assigned >= 0 ? r->assigned / DAY_SECS :
				 -((-r->assigned + DAY_SECS - 1) / DAY_SECS);
	if (day < INT32_MIN || day > INT32_MAX)
		return bfail(
		    b, EINVAL, "range %s: date out of range", r->prefix);
	br.day = (int32_t)day;
	if ((err = intern(b, r->holder, &br.holder)) ||
	    (err = intern(b, r->area, &br.area)))
		return err;
	if (grow(&b->r, &b->rcap, b->nr + 1, sizeof(*b->r)))
		return bfail(b, ENOMEM, "out of memory");
	b->r[b->nr++] = br;
	return 0;
}

int
numdb_builder_own(struct numdb_builder *b, const struct num_own *o)
{
	static const struct {
		const char *kind;
		uint32_t flag;
	} kinds[] = {
		{ "block", NUMDB_OWN_BLOCK },
		{ "subblock", NUMDB_OWN_SUBBLOCK },
		{ "service", NUMDB_OWN_SERVICE },
		{ "ported_in", NUMDB_OWN_PORTED_IN },
		{ "ported_out", NUMDB_OWN_PORTED_OUT },
	};
	struct bown bo;
	size_t i;
	int err;

	if (!b || !o)
		return EINVAL;
	if (b->failed)
		return b->failed;
	if ((err = digits_key(b, "own digits", o->digits, &bo.key)))
		return err;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(o->kind, kinds[i].kind) == 0)
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0]))
		return bfail(b, EINVAL, "own %s: kind \"%.20s\" unknown",
		    o->digits, o->kind);
	bo.flags = kinds[i].flag;
	if (grow(&b->o, &b->ocap, b->no + 1, sizeof(*b->o)))
		return bfail(b, ENOMEM, "out of memory");
	b->o[b->no++] = bo;
	return 0;
}

int
numdb_builder_exception(struct numdb_builder *b, const struct num_exception *e)
{
	struct bexc be;
	int err;

	if (!b || !e)
		return EINVAL;
	if (b->failed)
		return b->failed;
	memset(&be, 0, sizeof(be));
	if ((err = digits_key(b, "exception digits", e->digits, &be.key)))
		return err;
	be.id = e->id;
	be.from = e->valid_from;
	be.to = e->valid_to;
	be.prefix = e->prefix != 0;
	be.seq = (uint32_t)b->ne;
	if ((err = text_add(b, e->digits, &be.digits)) ||
	    (err = text_add(b, e->trunk, &be.trunk)) ||
	    (err = text_add(b, e->ref, &be.ref)) ||
	    (err = text_add(b, e->rules, &be.rules)))
		return err;
	if (grow(&b->e, &b->ecap, b->ne + 1, sizeof(*b->e)))
		return bfail(b, ENOMEM, "out of memory");
	b->e[b->ne++] = be;
	return 0;
}

int
numdb_builder_alias(struct numdb_builder *b, const struct sms_alias *a)
{
	struct balias ba;
	int err;

	if (!b || !a)
		return EINVAL;
	if (b->failed)
		return b->failed;
	memset(&ba, 0, sizeof(ba));
	ba.len = strnlen(a->alias, sizeof(a->alias));
	if (ba.len == 0 || ba.len == sizeof(a->alias))
		return bfail(b, EINVAL, "alias empty or not terminated");
	ba.from = a->valid_from;
	ba.to = a->valid_to;
	ba.seq = (uint32_t)b->na;
	if ((err = text_add(b, a->alias, &ba.alias)) ||
	    (err = text_add(b, a->pros, &ba.pros)))
		return err;
	if (grow(&b->a, &b->acap, b->na + 1, sizeof(*b->a)))
		return bfail(b, ENOMEM, "out of memory");
	b->a[b->na++] = ba;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 64 hex digits into 32 bytes; false when not that. */
static bool
hex32(struct str hex, uint8_t out[32])
{
	size_t i;
	int hi, lo;

	if (hex.len != 64)
		return false;
	for (i = 0; i < 32; i++) {
		hi = hexval(hex.s[2 * i]);
		lo = hexval(hex.s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

int
numdb_builder_robinson(struct numdb_builder *b, const char *hex)
{
	uint8_t h[32];

	if (!b || !hex)
		return EINVAL;
	if (b->failed)
		return b->failed;
	if (!hex32(str_make(hex, strnlen(hex, 65)), h))
		return bfail(b, EINVAL,
		    "Robinson hash \"%.70s\" is not 64 "
		    "hex digits",
		    hex);
	if (grow(&b->rob, &b->robcap, b->nrob + 1, sizeof(*b->rob)))
		return bfail(b, ENOMEM, "out of memory");
	memcpy(b->rob[b->nrob++], h, 32);
	return 0;
}

/* ---- finishing: the tables -------------------------------------------------------- */

static int
cmp_xholder(const void *x, const void *y)
{
	const struct xholder *a = x, *b = y;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int
cmp_bexc(const void *x, const void *y)
{
	const struct bexc *a = x, *b = y;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The text pool, for the alias sort. */
static const char *sort_pool;

static int
cmp_balias(const void *x, const void *y)
{
	const struct balias *a = x, *b = y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(sort_pool + a->alias, sort_pool + b->alias, n);

	if (c)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int
cmp_hash(const void *x, const void *y)
{
	return memcmp(x, y, 32);
}

static void *
db_alloc(struct numdb *db, size_t n, size_t size)
{
	void *p;

	if (n && size > SIZE_MAX / n)
		return NULL;
	p = calloc(n ? n : 1, size);
	if (p)
		db->bytes += (n ? n : 1) * size;
	return p;
}

/*
 * The assignee of a Subasignado prefix: the holder of the longest
 * shorter prefix that is not itself a sub-assignment; 0 ("") if none.
 */
static uint16_t
enclosing_holder(const struct numdb *db, uint64_t key)
{
	uint64_t pre[NUMDB_DIGITS_MAX + 1], v = KEY_VALUE(key);
	unsigned n = KEY_LEN(key), mask, len, i;
	const struct rslot *s;

	for (i = n; i > 0; i--) {
		pre[i] = v;
		v /= 10;
	}
	pre[0] = 0;
	mask = len_mask(db->rheads, db->rlow, pre, n) & ((1u << n) - 1u);
	while (mask) {
		len = 31u - (unsigned)__builtin_clz(mask);
		mask &= ~(1u << len);
		s = rprobe(db, mkkey(len, pre[len]));
		if (s && s->status != NUMDB_SUBASIGNADO)
			return s->holder;
	}
	return 0;
}

static int
finish_ranges(struct numdb_builder *b, struct numdb *db)
{
	size_t i, nx = 0, before = db->bytes;
	struct rslot *s;

	db->nranges = b->nr;
	if (!b->nr)
		return 0;
	db->rcap = table_cap(b->nr);
	if (!(db->rs = db_alloc(db, db->rcap, sizeof(*db->rs))) ||
	    !(db->rheads = db_alloc(db, NHEADS, sizeof(*db->rheads))))
		return ENOMEM;
	for (i = 0; i < b->nr; i++) {
		const struct brange *br = &b->r[i];
		size_t j = slot_of(br->key, db->rcap);

		while (db->rs[j].key && db->rs[j].key != br->key)
			if (++j == db->rcap)
				j = 0;
		s = &db->rs[j];
		if (s->key) {
			/* A shared prefix: the first row stays in the slot. */
			if (s->nholders < UINT8_MAX)
				s->nholders++;
			nx++;
			continue;
		}
		s->key = br->key;
		s->day = br->day;
		s->holder = br->holder;
		s->area = br->area;
		s->status = br->status;
		s->nholders = 1;
		db->nprefixes++;
		heads_add(db->rheads, &db->rlow, KEY_LEN(br->key),
		    KEY_VALUE(br->key));
	}
	if (nx) {
		size_t w = 0, r;

		/*
		 * Every row of a shared prefix, in the order added; the
		 * first of each stays in the slot, the rest go here.
		 */
		if (!(db->xh = db_alloc(db, 2 * nx, sizeof(*db->xh))))
			return ENOMEM;
		for (i = 0; i < b->nr; i++)
			if (rprobe(db, b->r[i].key)->nholders > 1) {
				db->xh[db->nxh].key = b->r[i].key;
				db->xh[db->nxh].seq = (uint32_t)i;
				db->xh[db->nxh++].holder = b->r[i].holder;
			}
		qsort(db->xh, db->nxh, sizeof(*db->xh), cmp_xholder);
		for (r = 0; r < db->nxh; r++)
			if (r > 0 && db->xh[r].key == db->xh[r - 1].key)
				db->xh[w++] = db->xh[r];
		db->nxh = w;
	}
	for (i = 0; i < db->rcap; i++) {
		s = &db->rs[i];
		if (!s->key)
			continue;
		s->assignee = s->status == NUMDB_SUBASIGNADO ?
		    enclosing_holder(db, s->key) :
		    s->holder;
	}
	db->range_bytes = db->bytes - before;
	return 0;
}

/* A prefix table for "n" keys. */
static int
ptab_init(struct numdb *db, struct ptab *t, size_t n)
{
	if (!n)
		return 0;
	t->cap = table_cap(n);
	if (!(t->slots = db_alloc(db, t->cap, sizeof(*t->slots))) ||
	    !(t->heads = db_alloc(db, NHEADS, sizeof(*t->heads))))
		return ENOMEM;
	return 0;
}

static int
finish_own(struct numdb_builder *b, struct numdb *db)
{
	struct pslot *s;
	size_t i;
	int err;

	db->nown = b->no;
	if ((err = ptab_init(db, &db->own, b->no)))
		return err;
	for (i = 0; i < b->no; i++) {
		s = pslot_for(&db->own, b->o[i].key);
		if (!s->key) {
			s->key = b->o[i].key;
			heads_add(db->own.heads, &db->own.low, KEY_LEN(s->key),
			    KEY_VALUE(s->key));
		}
		s->a |= b->o[i].flags;
	}
	return 0;
}

static int
finish_exceptions(struct numdb_builder *b, struct numdb *db)
{
	struct pslot *s;
	size_t i;
	int err;

	db->nex = b->ne;
	if (!b->ne)
		return 0;
	qsort(b->e, b->ne, sizeof(*b->e), cmp_bexc);
	if ((err = ptab_init(db, &db->exc, b->ne)) ||
	    !(db->ex = db_alloc(db, b->ne, sizeof(*db->ex))))
		return err ? err : ENOMEM;
	for (i = 0; i < b->ne; i++) {
		const struct bexc *e = &b->e[i];
		struct numdb_exception *x = &db->ex[i];

		x->id = e->id;
		x->digits = db->tpool + e->digits;
		x->prefix = e->prefix;
		x->trunk = db->tpool + e->trunk;
		x->valid_from = e->from;
		x->valid_to = e->to;
		x->ref = db->tpool + e->ref;
		x->rules = db->tpool + e->rules;
		s = pslot_for(&db->exc, e->key);
		if (!s->key) {
			s->key = e->key;
			s->a = (uint32_t)i;
			heads_add(db->exc.heads, &db->exc.low, KEY_LEN(e->key),
			    KEY_VALUE(e->key));
		}
		s->b++;
	}
	return 0;
}

static int
finish_aliases(struct numdb_builder *b, struct numdb *db)
{
	size_t i, cap = 16, j;

	db->nal = b->na;
	if (!b->na)
		return 0;
	sort_pool = db->tpool; /* moved out of the builder */
	qsort(b->a, b->na, sizeof(*b->a), cmp_balias);
	sort_pool = NULL;
	while (cap < b->na * 2)
		cap *= 2;
	if (!(db->al = db_alloc(db, b->na, sizeof(*db->al))) ||
	    !(db->atab = db_alloc(db, cap, sizeof(*db->atab))))
		return ENOMEM;
	db->amask = cap - 1;
	for (i = 0; i < b->na; i++) {
		struct alias_ent *a = &db->al[i];

		a->alias = db->tpool + b->a[i].alias;
		a->len = b->a[i].len;
		a->pros = db->tpool + b->a[i].pros;
		a->from = b->a[i].from;
		a->to = b->a[i].to;
		if (i && a->len == db->al[i - 1].len &&
		    memcmp(a->alias, db->al[i - 1].alias, a->len) == 0) {
			continue; /* counted with the first of its run */
		}
		j = (size_t)str_hash(str_make(a->alias, a->len)) & db->amask;
		while (db->atab[j].first1)
			j = (j + 1) & db->amask;
		db->atab[j].first1 = (uint32_t)i + 1;
		db->atab[j].count = 1;
		while (i + db->atab[j].count < b->na) {
			const struct balias *n = &b->a[i + db->atab[j].count];

			if (n->len != a->len ||
			    memcmp(db->tpool + n->alias, a->alias, a->len))
				break;
			db->atab[j].count++;
		}
	}
	return 0;
}

static int
finish_robinson(struct numdb_builder *b, struct numdb *db)
{
	size_t i, w = 0;
	unsigned k;

	if (!(db->robidx = db_alloc(db, ROB_BUCKETS + 1, sizeof(*db->robidx))))
		return ENOMEM;
	if (!b->nrob)
		return 0;
	qsort(b->rob, b->nrob, 32, cmp_hash);
	for (i = 0; i < b->nrob; i++)
		if (!w || memcmp(b->rob[i], b->rob[w - 1], 32))
			memmove(b->rob[w++], b->rob[i], 32);
	/* The builder's array becomes the snapshot's. */
	db->rob = b->rob;
	db->nrob = w;
	db->bytes += b->robcap * 32;
	b->rob = NULL;
	b->nrob = b->robcap = 0;
	for (i = 0, k = 0; k <= ROB_BUCKETS; k++) {
		while (i < db->nrob &&
		    ((unsigned)db->rob[i][0] << 8 | db->rob[i][1]) < k)
			i++;
		db->robidx[k] = (uint32_t)i;
	}
	return 0;
}

int
numdb_builder_finish(
    struct numdb_builder *b, struct numdb **dbp, char *err, size_t errlen)
{
	struct numdb *db = NULL;
	size_t i;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!b || !dbp) {
		numdb_builder_free(b);
		return EINVAL;
	}
	if ((rc = b->failed))
		goto out;
	rc = ENOMEM;
	if (!(db = calloc(1, sizeof(*db))))
		goto out;
	db->bytes = sizeof(*db);
	atomic_init(&db->refs, 1);
	db->generation = b->gen;
	/* The pools move into the snapshot: offsets become pointers. */
	db->npool = b->npool;
	db->bytes += b->npcap;
	b->npool = NULL;
	db->tpool = b->tpool;
	db->bytes += b->tpcap;
	b->tpool = NULL;
	db->nnames = b->nnames;
	if (!(db->names = db_alloc(db, db->nnames, sizeof(*db->names))))
		goto out;
	for (i = 0; i < db->nnames; i++)
		db->names[i] = db->npool + b->noff[i];
	if ((rc = finish_ranges(b, db)) || (rc = finish_own(b, db)) ||
	    (rc = finish_exceptions(b, db)) || (rc = finish_aliases(b, db)) ||
	    (rc = finish_robinson(b, db)))
		goto out;
	rc = 0;
out:
	if (rc == ENOMEM && !b->failed)
		bfail(b, ENOMEM, "out of memory");
	if (rc && err && errlen)
		snprintf(err, errlen, "%s", b->err);
	numdb_builder_free(b);
	if (rc)
		db_free(db);
	else
		*dbp = db;
	return rc;
}

int
numdb_new_empty(struct numdb **dbp)
{
	struct numdb_builder *b;
	int err;

	if ((err = numdb_builder_new(&b)))
		return err;
	return numdb_builder_finish(b, dbp, NULL, 0);
}

void
numdb_info(const struct numdb *db, struct numdb_info *info)
{
	if (!info)
		return;
	memset(info, 0, sizeof(*info));
	info->generation = -1;
	if (!db)
		return;
	info->ranges = db->nranges;
	info->prefixes = db->nprefixes;
	info->own = db->nown;
	info->exceptions = db->nex;
	info->aliases = db->nal;
	info->robinson = db->nrob;
	info->bytes = db->bytes;
	info->range_bytes = db->range_bytes;
	info->generation = db->generation;
}

/* ---- building from the store ------------------------------------------------------ */

static int
from_range(const struct num_range *r, void *arg)
{
	return numdb_builder_range(arg, r);
}

static int
from_own(const struct num_own *o, void *arg)
{
	return numdb_builder_own(arg, o);
}

static int
from_exception(const struct num_exception *e, void *arg)
{
	return numdb_builder_exception(arg, e);
}

static int
from_alias(const struct sms_alias *a, void *arg)
{
	return numdb_builder_alias(arg, a);
}

static int
from_robinson(const struct robinson_rec *r, void *arg)
{
	return numdb_builder_robinson(arg, r->hash);
}

int
numdb_build_from_store(
    struct store *s, struct numdb **dbp, char *err, size_t errlen)
{
	struct numdb_builder *b = NULL;
	int64_t gen;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!s || !dbp)
		return EINVAL;
	if ((rc = store_numbering_generation(s, &gen)))
		goto store_err;
	if ((rc = numdb_builder_new(&b))) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return rc;
	}
	numdb_builder_generation(b, gen);
	if ((rc = store_num_range_each(s, from_range, b)) ||
	    (rc = store_num_own_each(s, from_own, b)) ||
	    (rc = store_num_exception_each(s, from_exception, b)) ||
	    (rc = store_sms_alias_each(s, from_alias, b)) ||
	    (rc = store_robinson_each(s, from_robinson, b))) {
		if (b->failed) {
			if (err && errlen)
				snprintf(
				    err, errlen, "numbering data: %s", b->err);
			numdb_builder_free(b);
			return rc;
		}
		numdb_builder_free(b);
		goto store_err;
	}
	return numdb_builder_finish(b, dbp, err, errlen);
store_err:
	if (err && errlen)
		snprintf(err, errlen, "%s", store_errmsg(s));
	return rc;
}

/* ---- lookups ------------------------------------------------------------------------ */

const char *
numdb_status_name(enum numdb_status st)
{
	switch (st) {
	case NUMDB_ASIGNADO:
		return "Asignado";
	case NUMDB_COMPARTIDO:
		return "Compartido";
	case NUMDB_SUBASIGNADO:
		return "Subasignado";
	case NUMDB_NONE:
		break;
	}
	return "none";
}

bool
numdb_cnmc(
    const struct numdb *db, struct str digits, struct numdb_cnmc_res *res)
{
	uint64_t pre[NUMDB_DIGITS_MAX + 1];
	const struct rslot *s;
	unsigned n, mask, len;

	if (res) {
		res->status = NUMDB_NONE;
		res->prefix[0] = '\0';
		res->holder = res->assignee = res->sub_assignee = "";
		res->area = "";
		res->assigned = 0;
		res->nholders = 0;
		res->key_ = 0;
	}
	if (!db || !db->rcap || !prefix_values(digits, pre, &n))
		return false;
	mask = len_mask(db->rheads, db->rlow, pre, n);
	while (mask) {
		len = 31u - (unsigned)__builtin_clz(mask);
		s = rprobe(db, mkkey(len, pre[len]));
		if (s) {
			if (res) {
				res->status = (enum numdb_status)s->status;
				memcpy(res->prefix, digits.s, len);
				res->prefix[len] = '\0';
				res->holder = db->names[s->holder];
				res->assignee = db->names[s->assignee];
				res->sub_assignee =
				    s->status == NUMDB_SUBASIGNADO ?
				    res->holder :
				    "";
				res->area = db->names[s->area];
				res->assigned = (int64_t)s->day * DAY_SECS;
				res->nholders = s->nholders;
				res->key_ = s->key;
			}
			return true;
		}
		mask &= ~(1u << len);
	}
	return false;
}

const char *
numdb_cnmc_holder(
    const struct numdb *db, const struct numdb_cnmc_res *res, unsigned i)
{
	size_t lo = 0, hi, mid;

	if (!db || !res || res->status == NUMDB_NONE || i >= res->nholders)
		return NULL;
	if (i == 0)
		return res->holder;
	hi = db->nxh;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (db->xh[mid].key < res->key_)
			lo = mid + 1;
		else
			hi = mid;
	}
	lo += i - 1;
	if (lo >= db->nxh || db->xh[lo].key != res->key_)
		return NULL;
	return db->names[db->xh[lo].holder];
}

unsigned
numdb_own(const struct numdb *db, struct str digits)
{
	uint64_t pre[NUMDB_DIGITS_MAX + 1];
	const struct pslot *s;
	unsigned n, mask, len, flags = 0;

	if (!db || !db->own.cap || !prefix_values(digits, pre, &n))
		return 0;
	mask = len_mask(db->own.heads, db->own.low, pre, n);
	while (mask) {
		len = 31u - (unsigned)__builtin_clz(mask);
		mask &= ~(1u << len);
		s = pprobe(&db->own, mkkey(len, pre[len]));
		if (!s)
			continue;
		flags |= len == n ?
		    s->a :
		    s->a & ~(NUMDB_OWN_PORTED_IN | NUMDB_OWN_PORTED_OUT);
	}
	return flags;
}

/* "rules" ("" or "A,B") lists "rule", or an item of which it extends. */
static bool
rules_cover(const char *rules, struct str rule)
{
	const char *p = rules, *e;
	size_t n;

	if (!*rules)
		return true;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		e = p;
		while (*e && *e != ',')
			e++;
		n = (size_t)(e - p);
		while (n && p[n - 1] == ' ')
			n--;
		if (n && rule.len >= n && memcmp(rule.s, p, n) == 0 &&
		    (rule.len == n || rule.s[n] == '-'))
			return true;
		p = e;
	}
	return false;
}

const struct numdb_exception *
numdb_exception(const struct numdb *db, struct str digits, struct str trunk,
    struct str rule, int64_t now)
{
	uint64_t pre[NUMDB_DIGITS_MAX + 1];
	const struct numdb_exception *x;
	const struct pslot *s;
	unsigned n, mask, len;
	uint32_t k;

	if (!db || !db->exc.cap || !prefix_values(digits, pre, &n))
		return NULL;
	mask = len_mask(db->exc.heads, db->exc.low, pre, n);
	while (mask) {
		len = 31u - (unsigned)__builtin_clz(mask);
		mask &= ~(1u << len);
		s = pprobe(&db->exc, mkkey(len, pre[len]));
		if (!s)
			continue;
		for (k = s->a; k < s->a + s->b; k++) {
			x = &db->ex[k];
			if (!x->prefix && len != n)
				continue;
			if (x->trunk[0] &&
			    !str_eq(
				trunk, str_make(x->trunk, strlen(x->trunk))))
				continue;
			if (now < x->valid_from ||
			    (x->valid_to && now >= x->valid_to))
				continue;
			if (!rules_cover(x->rules, rule))
				continue;
			return x;
		}
	}
	return NULL;
}

/* "pros" ("A,B") lists "pro" (ASCII case ignored). */
static bool
pros_have(const char *pros, struct str pro)
{
	const char *p = pros, *e;
	size_t n;

	if (!pro.len)
		return false;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		e = p;
		while (*e && *e != ',')
			e++;
		n = (size_t)(e - p);
		while (n && p[n - 1] == ' ')
			n--;
		if (n && str_eq_nocase(str_make(p, n), pro))
			return true;
		p = e;
	}
	return false;
}

bool
numdb_alias(const struct numdb *db, struct str alias, int64_t now,
    struct str pro, bool *pro_enabled)
{
	const struct alias_ent *a;
	bool registered = false, enabled = false;
	size_t j;
	uint32_t k;

	if (pro_enabled)
		*pro_enabled = false;
	if (!db || !db->nal || !alias.len)
		return false;
	j = (size_t)str_hash(alias) & db->amask;
	for (; db->atab[j].first1; j = (j + 1) & db->amask) {
		a = &db->al[db->atab[j].first1 - 1];
		if (a->len != alias.len || memcmp(a->alias, alias.s, alias.len))
			continue;
		for (k = 0; k < db->atab[j].count; k++, a++) {
			if (now < a->from || (a->to && now >= a->to))
				continue;
			registered = true;
			if (pros_have(a->pros, pro))
				enabled = true;
		}
		break;
	}
	if (pro_enabled)
		*pro_enabled = registered && enabled;
	return registered;
}

bool
numdb_robinson(const struct numdb *db, const uint8_t hash[32])
{
	size_t lo, hi, mid;
	unsigned b;
	int c;

	if (!db || !db->nrob || !hash)
		return false;
	b = (unsigned)hash[0] << 8 | hash[1];
	lo = db->robidx[b];
	hi = db->robidx[b + 1];
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = memcmp(db->rob[mid], hash, 32);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool
numdb_robinson_hex(const struct numdb *db, struct str hex)
{
	uint8_t h[32];

	return hex32(hex, h) && numdb_robinson(db, h);
}

/* ---- the slot ------------------------------------------------------------------------ */

/*
 * "cur" and "store_gen" change under "mu" only. "version" is bumped
 * under "mu" at every publish and read without it: a view whose
 * version matches holds the current snapshot and needs nothing else.
 */
struct numdb_slot {
	pthread_mutex_t mu;
	struct numdb *cur; /* the slot's own reference */
	_Atomic uint64_t version;
	int64_t store_gen; /* what cur was built from; -1 unknown */
};

int
numdb_slot_new(struct numdb_slot **sp, struct numdb *db)
{
	struct numdb_slot *slot;
	int err;

	if (!sp)
		return EINVAL;
	if (!(slot = calloc(1, sizeof(*slot))))
		return ENOMEM;
	if (!db && (err = numdb_new_empty(&db))) {
		free(slot);
		return err;
	}
	if (pthread_mutex_init(&slot->mu, NULL)) {
		numdb_unref(db);
		free(slot);
		return ENOMEM;
	}
	slot->cur = db;
	atomic_init(&slot->version, 1);
	slot->store_gen = -1;
	*sp = slot;
	return 0;
}

void
numdb_slot_free(struct numdb_slot *slot)
{
	if (!slot)
		return;
	numdb_unref(slot->cur);
	pthread_mutex_destroy(&slot->mu);
	free(slot);
}

/* Publish "db"; the generation it was built from goes with it. */
static void
slot_publish(struct numdb_slot *slot, struct numdb *db, int64_t gen)
{
	struct numdb *old;

	pthread_mutex_lock(&slot->mu);
	old = slot->cur;
	slot->cur = db;
	slot->store_gen = gen;
	atomic_fetch_add_explicit(&slot->version, 1, memory_order_release);
	pthread_mutex_unlock(&slot->mu);
	numdb_unref(old);
}

void
numdb_slot_set(struct numdb_slot *slot, struct numdb *db)
{
	if (!slot || !db)
		return;
	slot_publish(slot, db, db->generation);
}

struct numdb *
numdb_slot_get(struct numdb_slot *slot)
{
	struct numdb *db;

	if (!slot)
		return NULL;
	pthread_mutex_lock(&slot->mu);
	db = numdb_ref(slot->cur);
	pthread_mutex_unlock(&slot->mu);
	return db;
}

int
numdb_slot_reload(struct numdb_slot *slot, struct store *s, bool force,
    bool *changed, char *err, size_t errlen)
{
	struct numdb *db;
	int64_t gen, have;
	int rc;

	if (changed)
		*changed = false;
	if (err && errlen)
		err[0] = '\0';
	if (!slot || !s)
		return EINVAL;
	if ((rc = store_numbering_generation(s, &gen))) {
		if (err && errlen)
			snprintf(err, errlen, "%s", store_errmsg(s));
		return rc;
	}
	pthread_mutex_lock(&slot->mu);
	have = slot->store_gen;
	pthread_mutex_unlock(&slot->mu);
	if (!force && have == gen)
		return 0;
	if ((rc = numdb_build_from_store(s, &db, err, errlen)))
		return rc; /* the snapshot in force stays */
	slot_publish(slot, db, db->generation);
	if (changed)
		*changed = true;
	return 0;
}

const struct numdb *
numdb_view(struct numdb_slot *slot, struct numdb_view *v)
{
	struct numdb *old;

	if (v->db &&
	    atomic_load_explicit(&slot->version, memory_order_acquire) ==
		v->version)
		return v->db;
	pthread_mutex_lock(&slot->mu);
	old = v->db;
	v->db = numdb_ref(slot->cur);
	v->version = atomic_load_explicit(&slot->version, memory_order_relaxed);
	pthread_mutex_unlock(&slot->mu);
	numdb_unref(old);
	return v->db;
}

void
numdb_view_release(struct numdb_view *v)
{
	if (!v)
		return;
	numdb_unref(v->db);
	v->db = NULL;
	v->version = 0;
}

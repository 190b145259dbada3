/*
 * fraud/dialog.c -- dialog tracking for the fraud rules.
 *
 * Layout. Every dialog lives in a slot of one array reserved at start-up
 * (max_dialogs slots); slots are named by "refs", index + 1, so that 0
 * means none and every link is 32 bits. A free slot is on a LIFO free
 * list; slots never used yet sit above a high-water mark, so the
 * reservation's pages are touched only as the peak grows.
 *
 * Lookup. A chained hash table of refs, keyed by SipHash-2-4 of the
 * Call-ID and the From tag under a random key drawn per table: a peer
 * that chooses Call-IDs cannot aim them at one bucket.
 *
 * Timeouts. An open dialog is on exactly one of two lists. "early"
 * holds those not answered, in start order; all share early_timeout, so
 * the list is also in deadline order. "up" holds the answered ones, in
 * answer order, sharing max_duration: deadline order again. One loop
 * timer is armed for the nearer of the two heads. Ending a head early
 * (BYE) leaves the timer where it is: it fires once for nothing and is
 * re-armed. No per-dialog timer, no heap: O(1) per event.
 *
 * Exactly once. A dialog is reachable only through the hash table and
 * its list; end_dialog() unlinks it from both and frees its slot
 * before the callback runs, so nothing can find it twice, and the
 * callback may start a dialog in the slot just freed.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/siphash.h"
#include "fraud/dialog.h"

#define KEY_MAX (DLG_CALLID_MAX + DLG_TAG_MAX)
/* Dialogs a timer run ends at most before it yields to I/O. */
#define EXPIRE_BATCH 1024

enum dlg_state {
	DS_FREE = 0,
	DS_EARLY, /* on the early list */
	DS_UP /* answered, on the up list */
};

/* Which party a pending BYE must be answered by. */
enum dlg_side {
	SIDE_NONE = 0,
	SIDE_CALLER,
	SIDE_CALLEE
};

struct dlg {
	uint32_t d_hnext; /* hash chain */
	uint32_t d_prev; /* deadline list */
	uint32_t d_next; /* deadline list, or the free list */
	uint32_t d_hash; /* folded keyed hash; bucket = d_hash & mask */
	int64_t d_started;
	int64_t d_answered;
	void *d_owner;
	uint64_t d_ikey; /* transaction key of the INVITE */
	uint64_t d_bkey; /* of the BYE waiting for its 2xx */
	uint32_t d_tag;
	uint16_t d_cidlen;
	uint8_t d_taglen;
	uint8_t d_state;
	uint8_t d_bside; /* enum dlg_side: who must answer the BYE */
	uint8_t d_fam[2]; /* address family of caller, callee; 0 unknown */
	uint8_t d_ip[2][16]; /* caller's, callee's address */
	char d_key[KEY_MAX]; /* Call-ID then From tag */
};

struct dlg_list {
	uint32_t head;
	uint32_t tail;
};

struct dlg_table {
	struct loop *l;
	dlg_end_h *end;
	void *arg;
	int64_t early_ms;
	int64_t max_ms;
	struct dlg *slot;
	uint32_t nslots;
	uint32_t hw; /* slots [hw, nslots) never used */
	uint32_t freelist;
	uint32_t *bucket;
	uint32_t mask; /* buckets - 1 */
	struct dlg_list early;
	struct dlg_list up;
	struct loop_timer timer;
	uint64_t sipkey[2];
	bool closing;
	uint64_t active;
	uint64_t started;
	uint64_t ended[DLG_END__COUNT];
	uint64_t refused_full;
};

/* A lookup key, assembled once per call. */
struct dlg_key {
	char b[KEY_MAX];
	size_t cidlen;
	size_t taglen;
	uint32_t hash;
};

static const char *const end_names[DLG_END__COUNT] = {
	[DLG_END_BYE] = "bye",
	[DLG_END_CANCEL] = "cancel",
	[DLG_END_FAILED] = "failed",
	[DLG_END_TIMEOUT_EARLY] = "timeout_early",
	[DLG_END_TIMEOUT] = "timeout",
	[DLG_END_SHUTDOWN] = "shutdown",
};

const char *
dlg_end_name(enum dlg_end e)
{
	if ((unsigned)e >= DLG_END__COUNT)
		return "?";
	return end_names[e];
}

static inline struct dlg *
slot_of(const struct dlg_table *t, uint32_t ref)
{
	return &t->slot[ref - 1];
}

static inline int64_t
now_ms(void)
{
	return (int64_t)loop_clock_ms();
}

/*
 * Build the key for (call_id, tag). The Call-ID length is folded into
 * the hash key, so "ab"+"c" and "a"+"bc" differ in the hash too and not
 * only in the comparison. EINVAL on an empty or too long part.
 */
static int
key_make(const struct dlg_table *t, struct dlg_key *k, struct str call_id,
    struct str tag)
{
	uint64_t sk[2], h;

	if (call_id.len == 0 || call_id.len > DLG_CALLID_MAX || tag.len == 0 ||
	    tag.len > DLG_TAG_MAX || !call_id.s || !tag.s)
		return EINVAL;
	memcpy(k->b, call_id.s, call_id.len);
	memcpy(k->b + call_id.len, tag.s, tag.len);
	k->cidlen = call_id.len;
	k->taglen = tag.len;
	sk[0] = t->sipkey[0] ^ (uint64_t)call_id.len;
	sk[1] = t->sipkey[1];
	h = siphash24(sk, k->b, call_id.len + tag.len);
	k->hash = (uint32_t)(h ^ (h >> 32));
	return 0;
}

static uint32_t
find(const struct dlg_table *t, const struct dlg_key *k)
{
	uint32_t ref = t->bucket[k->hash & t->mask];

	while (ref) {
		const struct dlg *d = slot_of(t, ref);

		if (d->d_hash == k->hash && d->d_cidlen == k->cidlen &&
		    d->d_taglen == k->taglen &&
		    memcmp(d->d_key, k->b, k->cidlen + k->taglen) == 0)
			return ref;
		ref = d->d_hnext;
	}
	return 0;
}

static void
hash_unlink(struct dlg_table *t, uint32_t ref)
{
	uint32_t *pp = &t->bucket[slot_of(t, ref)->d_hash & t->mask];

	/* Bounded by the chain length: the dialog is on this chain. */
	while (*pp && *pp != ref)
		pp = &slot_of(t, *pp)->d_hnext;
	if (*pp)
		*pp = slot_of(t, ref)->d_hnext;
	slot_of(t, ref)->d_hnext = 0;
}

static void
list_append(struct dlg_table *t, struct dlg_list *li, uint32_t ref)
{
	struct dlg *d = slot_of(t, ref);

	d->d_prev = li->tail;
	d->d_next = 0;
	if (li->tail)
		slot_of(t, li->tail)->d_next = ref;
	else
		li->head = ref;
	li->tail = ref;
}

static void
list_remove(struct dlg_table *t, struct dlg_list *li, uint32_t ref)
{
	struct dlg *d = slot_of(t, ref);

	if (d->d_prev)
		slot_of(t, d->d_prev)->d_next = d->d_next;
	else
		li->head = d->d_next;
	if (d->d_next)
		slot_of(t, d->d_next)->d_prev = d->d_prev;
	else
		li->tail = d->d_prev;
	d->d_prev = d->d_next = 0;
}

static uint32_t
slot_get(struct dlg_table *t)
{
	uint32_t ref;

	if (t->freelist) {
		ref = t->freelist;
		t->freelist = slot_of(t, ref)->d_next;
		return ref;
	}
	if (t->hw < t->nslots)
		return ++t->hw;
	return 0;
}

static void
slot_put(struct dlg_table *t, uint32_t ref)
{
	struct dlg *d = slot_of(t, ref);

	d->d_state = DS_FREE;
	d->d_owner = NULL;
	d->d_next = t->freelist;
	t->freelist = ref;
}

/* The deadline of a list's head, or INT64_MAX when it is empty. */
static int64_t
head_deadline(const struct dlg_table *t, const struct dlg_list *li)
{
	const struct dlg *d;

	if (!li->head)
		return INT64_MAX;
	d = slot_of(t, li->head);
	if (d->d_state == DS_UP)
		return d->d_answered + t->max_ms;
	return d->d_started + t->early_ms;
}

static void expire(void *arg);

/*
 * Make sure the timer fires no later than the nearest deadline. A timer
 * armed earlier than that is left alone: it fires, finds nothing due
 * and comes back here. If the loop cannot arm it (ENOMEM growing its
 * heap) the next start or answer tries again.
 */
static void
arm(struct dlg_table *t)
{
	int64_t when, up, now;

	if (t->closing)
		return;
	when = head_deadline(t, &t->early);
	up = head_deadline(t, &t->up);
	if (up < when)
		when = up;
	if (when == INT64_MAX)
		return;
	if (loop_timer_armed(&t->timer) && (int64_t)t->timer.tm_when <= when)
		return;
	/* tm_when = loop_now + ms = when (loop_now never runs ahead). */
	now = (int64_t)loop_now(t->l);
	loop_timer_start(t->l, &t->timer,
	    when > now ? (uint64_t)(when - now) : 0, expire, t);
}

/* Forget the dialog, count its end, then tell the owner (see top). */
static void
end_dialog(struct dlg_table *t, uint32_t ref, enum dlg_end how, int64_t now)
{
	struct dlg *d = slot_of(t, ref);
	struct dlg_info info;

	info.owner = d->d_owner;
	info.tag = d->d_tag;
	info.started_ms = d->d_started;
	info.answered_ms = d->d_state == DS_UP ? d->d_answered : 0;
	info.ended_ms = now;
	info.how = how;
	hash_unlink(t, ref);
	list_remove(t, d->d_state == DS_UP ? &t->up : &t->early, ref);
	slot_put(t, ref);
	t->active--;
	t->ended[how]++;
	t->end(&info, t->arg);
}

/* The timer: end what is due, at most EXPIRE_BATCH per run. */
static void
expire(void *arg)
{
	struct dlg_table *t = arg;
	int64_t now = now_ms(), e, u;
	unsigned budget = EXPIRE_BATCH;

	while (budget > 0) {
		e = head_deadline(t, &t->early);
		u = head_deadline(t, &t->up);
		if (e <= u && e <= now)
			end_dialog(
			    t, t->early.head, DLG_END_TIMEOUT_EARLY, now);
		else if (u < e && u <= now)
			end_dialog(t, t->up.head, DLG_END_TIMEOUT, now);
		else
			break;
		budget--;
	}
	if (budget == 0 && !t->closing) {
		/* More may be due: let the loop serve I/O first. */
		loop_timer_start(t->l, &t->timer, 1, expire, t);
		return;
	}
	arm(t);
}

int
dlg_table_alloc(struct dlg_table **tp, struct loop *l, const struct dlg_conf *c,
    dlg_end_h *end, void *arg)
{
	struct dlg_table *t;
	uint32_t nb;
	int err = 0;

	if (!tp || !l || !c || !end || c->max_dialogs == 0 ||
	    c->max_dialogs > DLG_MAX_DIALOGS_LIMIT || c->max_duration == 0 ||
	    c->early_timeout == 0)
		return EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	t->l = l;
	t->end = end;
	t->arg = arg;
	t->early_ms = (int64_t)c->early_timeout * 1000;
	t->max_ms = (int64_t)c->max_duration * 1000;
	t->nslots = c->max_dialogs;
	for (nb = 16; nb < t->nslots; nb <<= 1)
		;
	t->mask = nb - 1;
	/* Large callocs map zero pages: memory is touched as slots are. */
	t->slot = calloc(t->nslots, sizeof(*t->slot));
	t->bucket = calloc(nb, sizeof(*t->bucket));
	if (!t->slot || !t->bucket) {
		err = ENOMEM;
		goto out;
	}
	if (getrandom(t->sipkey, sizeof(t->sipkey), 0) !=
	    (ssize_t)sizeof(t->sipkey)) {
		err = errno ? errno : EIO;
		goto out;
	}
out:
	if (err) {
		free(t->slot);
		free(t->bucket);
		free(t);
	} else
		*tp = t;
	return err;
}

void
dlg_table_free(struct dlg_table *t)
{
	int64_t now;

	if (!t)
		return;
	t->closing = true;
	loop_timer_cancel(t->l, &t->timer);
	now = now_ms();
	/*
	 * Bounded: dlg_start() refuses while closing, so each pass ends one
	 * of the dialogs open when we began.
	 */
	while (t->early.head || t->up.head)
		end_dialog(t, t->early.head ? t->early.head : t->up.head,
		    DLG_END_SHUTDOWN, now);
	loop_timer_cancel(t->l, &t->timer);
	free(t->slot);
	free(t->bucket);
	free(t);
}

/* Remember the address of "sa" as party "i" (0 caller, 1 callee). */
static void
party_set(struct dlg *d, unsigned i, const struct sa *sa)
{
	const uint8_t *b;
	int fam = 0;

	d->d_fam[i] = 0;
	if (!sa || !(b = sa_addr_bytes(sa, &fam)))
		return;
	d->d_fam[i] = fam == AF_INET6 ? 6 : 4;
	memcpy(d->d_ip[i], b, fam == AF_INET6 ? 16 : 4);
}

/* Is "sa" the address of party "i"? Unknown matches nothing. */
static bool
party_is(const struct dlg *d, unsigned i, const struct sa *sa)
{
	const uint8_t *b;
	int fam = 0;

	if (!d->d_fam[i] || !sa || !(b = sa_addr_bytes(sa, &fam)) ||
	    d->d_fam[i] != (fam == AF_INET6 ? 6 : 4))
		return false;
	return memcmp(d->d_ip[i], b, fam == AF_INET6 ? 16 : 4) == 0;
}

int
dlg_start(struct dlg_table *t, struct str call_id, struct str from_tag,
    void *owner, uint32_t tag, uint64_t key, const struct sa *caller)
{
	struct dlg_key k;
	struct dlg *d;
	uint32_t ref, *b;
	int err;

	if (!t)
		return EINVAL;
	if (t->closing)
		return ESHUTDOWN;
	err = key_make(t, &k, call_id, from_tag);
	if (err)
		return err;
	if (find(t, &k))
		return EEXIST;
	ref = slot_get(t);
	if (!ref) {
		t->refused_full++;
		return ENOSPC;
	}
	d = slot_of(t, ref);
	d->d_hash = k.hash;
	d->d_started = now_ms();
	d->d_answered = 0;
	d->d_owner = owner;
	d->d_tag = tag;
	d->d_ikey = key;
	d->d_bkey = 0;
	d->d_bside = SIDE_NONE;
	party_set(d, 0, caller);
	d->d_fam[1] = 0;
	d->d_cidlen = (uint16_t)k.cidlen;
	d->d_taglen = (uint8_t)k.taglen;
	d->d_state = DS_EARLY;
	memcpy(d->d_key, k.b, k.cidlen + k.taglen);
	b = &t->bucket[k.hash & t->mask];
	d->d_hnext = *b;
	*b = ref;
	list_append(t, &t->early, ref);
	t->active++;
	t->started++;
	arm(t);
	return 0;
}

/* The tracked dialog for (call_id, tag), or 0. */
static uint32_t
lookup(const struct dlg_table *t, struct str call_id, struct str tag)
{
	struct dlg_key k;

	if (!t || key_make(t, &k, call_id, tag))
		return 0;
	return find(t, &k);
}

void
dlg_answered(struct dlg_table *t, struct str call_id, struct str from_tag,
    uint64_t key, const struct sa *callee)
{
	uint32_t ref = lookup(t, call_id, from_tag);
	struct dlg *d;

	if (!ref)
		return;
	d = slot_of(t, ref);
	if (d->d_state != DS_EARLY || d->d_ikey != key)
		return;
	party_set(d, 1, callee);
	list_remove(t, &t->early, ref);
	d->d_answered = now_ms();
	d->d_state = DS_UP;
	/* Answer times only grow: the up list stays in deadline order. */
	list_append(t, &t->up, ref);
	arm(t);
}

/* End an unanswered dialog; an answered one goes on. */
static void
end_early(struct dlg_table *t, struct str call_id, struct str from_tag,
    uint64_t key, enum dlg_end how)
{
	uint32_t ref = lookup(t, call_id, from_tag);

	if (ref && slot_of(t, ref)->d_state == DS_EARLY &&
	    slot_of(t, ref)->d_ikey == key)
		end_dialog(t, ref, how, now_ms());
}

void
dlg_failed(
    struct dlg_table *t, struct str call_id, struct str from_tag, uint64_t key)
{
	end_early(t, call_id, from_tag, key, DLG_END_FAILED);
}

void
dlg_cancel(
    struct dlg_table *t, struct str call_id, struct str from_tag, uint64_t key)
{
	end_early(t, call_id, from_tag, key, DLG_END_CANCEL);
}

/* The answered dialog a BYE names: the caller's From tag, or its To tag. */
static uint32_t
bye_lookup(const struct dlg_table *t, struct str call_id, struct str from_tag,
    struct str to_tag)
{
	uint32_t ref = lookup(t, call_id, from_tag);

	if ((!ref || slot_of(t, ref)->d_state != DS_UP) && to_tag.len)
		ref = lookup(t, call_id, to_tag);
	return ref && slot_of(t, ref)->d_state == DS_UP ? ref : 0;
}

void
dlg_bye_seen(struct dlg_table *t, struct str call_id, struct str from_tag,
    struct str to_tag, uint64_t key, const struct sa *src)
{
	uint32_t ref = bye_lookup(t, call_id, from_tag, to_tag);
	struct dlg *d;

	if (!ref)
		return;
	d = slot_of(t, ref);
	/* From one party, it must be answered by the other. */
	if (party_is(d, 0, src))
		d->d_bside = SIDE_CALLEE;
	else if (party_is(d, 1, src))
		d->d_bside = SIDE_CALLER;
	else
		return; /* a third party's BYE ends nothing */
	d->d_bkey = key;
}

void
dlg_bye(struct dlg_table *t, struct str call_id, struct str from_tag,
    struct str to_tag, uint64_t key, const struct sa *src)
{
	uint32_t ref = bye_lookup(t, call_id, from_tag, to_tag);
	struct dlg *d;

	if (!ref)
		return;
	d = slot_of(t, ref);
	if (d->d_bside == SIDE_NONE || d->d_bkey != key ||
	    !party_is(d, d->d_bside == SIDE_CALLER ? 0 : 1, src))
		return;
	end_dialog(t, ref, DLG_END_BYE, now_ms());
}

bool
dlg_exists(const struct dlg_table *t, struct str call_id, struct str from_tag)
{
	return lookup(t, call_id, from_tag) != 0;
}

void
dlg_stats(const struct dlg_table *t, struct dlg_stats *st)
{
	uint64_t arrays;

	memset(st, 0, sizeof(*st));
	if (!t)
		return;
	st->active = t->active;
	st->started = t->started;
	memcpy(st->ended, t->ended, sizeof(st->ended));
	st->refused_full = t->refused_full;
	arrays = (uint64_t)t->nslots * sizeof(struct dlg) +
	    ((uint64_t)t->mask + 1) * sizeof(uint32_t);
	st->bytes = sizeof(*t) + arrays;
	st->bytes_per_dialog = (arrays + t->nslots - 1) / t->nslots;
	st->capacity = t->nslots;
}

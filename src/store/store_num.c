/*
 * store/store_num.c -- the caller-ID numbering data in the store: the
 * CNMC register (one data set in force), the operator's own inventory,
 * the exceptions, the SMS aliases, the Lista Robinson hashes, the bulk
 * import that loads them, and the blocking counters. Argument checks
 * here, the rows and the SQL in store/store_sql.c, the generic row
 * operations in store/store.c.
 *
 * Every change to the numbering tables bumps meta's
 * numbering_generation in its own transaction: daemons poll it and
 * rebuild their in-memory copy (callerid/numdb.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "store/store_int.h"

#define DAY_SECS 86400
#define DIGITS_MIN 1
#define DIGITS_MAX (STORE_DIGITS_MAX - 1)

static const char *const status_w[] = { "Asignado", "Compartido", "Subasignado",
	NULL };
static const struct store_words statuses = { status_w,
	"Asignado, Compartido or Subasignado" };

static const char *const kind_w[] = { "block", "subblock", "service",
	"ported_in", "ported_out", NULL };
static const struct store_words kinds = { kind_w,
	"block, subblock, service, ported_in or ported_out" };

static const char *const channel_w[] = { "call", "sms", NULL };
static const struct store_words channels = { channel_w, "call or sms" };

/* ---- checks ------------------------------------------------------------------ */

/* "v" (column "col" of a "what") is 1 to 15 ASCII digits. */
static int
check_digits(struct store *s, const char *what, const char *col, const char *v)
{
	size_t i, n = strlen(v);

	if (n < DIGITS_MIN || n > DIGITS_MAX)
		return store_err(s, EINVAL,
		    "%s %s: \"%s\" is not 1 to %d digits", what, col, v,
		    DIGITS_MAX);
	for (i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return store_err(s, EINVAL,
			    "%s %s: \"%s\" is not all digits", what, col, v);
	return 0;
}

/* valid_to is 0 (no end) or after valid_from. */
static int
check_validity(struct store *s, const char *what, int64_t from, int64_t to)
{
	if (to != 0 && to <= from)
		return store_err(s, EINVAL,
		    "%s: valid_to must be 0 (no end) or after valid_from",
		    what);
	return 0;
}

/* 64 lower-case hex digits. */
static int
check_hash(struct store *s, const char *h)
{
	size_t i;

	if (!h)
		return store_err(s, EINVAL, "Robinson hash: NULL");
	for (i = 0; i < 64; i++)
		if (!((h[i] >= '0' && h[i] <= '9') ||
			(h[i] >= 'a' && h[i] <= 'f')))
			break;
	if (i != 64 || h[64] != '\0')
		return store_err(
		    s, EINVAL, "Robinson hash: not 64 lower-case hex digits");
	return 0;
}

static int
check_range(struct store *s, const struct num_range *r)
{
	int err;

	if ((err = store_check_word(
		 s, &store_num_ranges, r, "status", &statuses)) ||
	    (err = check_digits(s, "numbering range", "prefix", r->prefix)))
		return err;
	if (strcmp(r->status, "Subasignado") != 0 && r->subblocks[0])
		return store_err(s, EINVAL,
		    "numbering range %s: sub-blocks on a %s line", r->prefix,
		    r->status);
	return 0;
}

static int
check_own(struct store *s, const struct num_own *o)
{
	int err;

	if ((err = store_check_word(s, &store_num_owns, o, "kind", &kinds)))
		return err;
	return check_digits(s, "own numbering entry", "digits", o->digits);
}

static int
check_exception(struct store *s, const struct num_exception *e)
{
	int err;

	if ((err = store_check_obj(s, &store_num_exceptions, e)) ||
	    (err = check_digits(s, "numbering exception", "digits", e->digits)))
		return err;
	if (e->prefix > 1)
		return store_err(s, EINVAL,
		    "numbering exception prefix: %u is not 0 or 1", e->prefix);
	return check_validity(
	    s, "numbering exception", e->valid_from, e->valid_to);
}

static int
check_alias(struct store *s, const struct sms_alias *a)
{
	int err;

	if ((err = store_check_obj(s, &store_sms_aliases, a)))
		return err;
	return check_validity(s, "SMS alias", a->valid_from, a->valid_to);
}

/* ---- writes that bump the generation ----------------------------------------- */

/* Write "obj" with "stmt" and bump the generation, in one transaction. */
static int
num_write(struct store *s, enum store_stmt stmt, const struct store_table *t,
    const void *obj, int64_t *id)
{
	bool own;
	int err;

	if ((err = store_own_begin(s, &own)))
		return err;
	err = store_obj_write(s, stmt, t, obj, 0, id);
	if (!err)
		err = store_meta_bump(s, STORE_META_NUM_GENERATION);
	return store_own_end(s, own, err);
}

/* Delete by text key and bump the generation; ENOENT bumps nothing. */
static int
num_del(struct store *s, enum store_stmt stmt, const struct store_table *t,
    const char *const *key, size_t nkey)
{
	bool own;
	size_t i;
	int err;

	/* Checked before the transaction: a bad key costs no round trip. */
	for (i = 0; i < nkey; i++)
		if ((err = store_check_key(
			 s, t->cols[i].name, key[i], t->cols[i].size)))
			return err;
	if ((err = store_own_begin(s, &own)))
		return err;
	err = store_key_run(s, stmt, t, key, nkey, NULL, true);
	if (!err)
		err = store_meta_bump(s, STORE_META_NUM_GENERATION);
	return store_own_end(s, own, err);
}

/* ---- generation, stats, data set ------------------------------------------------ */

/*
 * The numbering generation: bumped by every change to the numbering
 * tables, in its transaction. Returns 0, EINVAL, EIO.
 */
int
store_numbering_generation(struct store *s, int64_t *gen)
{
	return store_meta_value(s, STORE_META_NUM_GENERATION, gen);
}

/*
 * The data set in force into "d" (all zero, id 0, when no register
 * was imported). Returns 0, EINVAL, EIO.
 */
int
store_num_dataset(struct store *s, struct num_dataset *d)
{
	bool found;
	int err;

	if ((err = store_check(s)))
		return err;
	if (!d)
		return store_err(s, EINVAL, "data set: NULL");
	memset(d, 0, sizeof(*d));
	err = store_row_first(
	    s, STORE_NUM_DATASET_GET, NULL, 0, &store_num_datasets, d, &found);
	if (!err && !found)
		memset(d, 0, sizeof(*d));
	return err;
}

/*
 * Row counts of the numbering tables (the register: the set in force),
 * the generation and the data set. Returns 0, EINVAL, EIO.
 */
int
store_num_stats(struct store *s, struct num_stats *st)
{
	struct num_dataset d;
	bool found;
	int err;

	if ((err = store_check(s)))
		return err;
	if (!st)
		return store_err(s, EINVAL, "stats: NULL");
	memset(st, 0, sizeof(*st));
	if ((err = store_row_first(s, STORE_NUM_COUNT_ALL, NULL, 0,
		 &store_num_counts, st, &found)))
		return err;
	if (!found)
		return store_err(s, EIO, "num_count_all: no row");
	if ((err = store_num_dataset(s, &d)))
		return err;
	st->dataset = d;
	return 0;
}

/*
 * Call h(range, arg) for every range of the data set in force, in the
 * order they were imported. Same rules as store_account_each().
 */
int
store_num_range_each(struct store *s, store_num_range_h *h, void *arg)
{
	int err;

	if ((err = store_check_each(s, h != NULL, "num_range_each")))
		return err;
	return store_walk(s, STORE_NUM_RANGE_EACH, &store_num_ranges, NULL, 0,
	    (union store_each_h){ .range = h }, arg);
}

/* ---- bulk import ------------------------------------------------------------------ */

/* The import of "t" is the one open on "s". */
static int
import_check(struct store *s, enum store_num_table t)
{
	if (!s)
		return EINVAL;
	if (s->in_walk)
		return store_err(s, EINVAL,
		    "store called from inside its own *_each() callback");
	if (s->imp_table != (int)t + 1)
		return store_err(s, EINVAL, "no import of that table is open");
	return 0;
}

/* One row of the open import. */
static int
import_row(struct store *s, const struct store_val *v, size_t nv)
{
	int err;

	if ((err = s->ops->bulk_row(s, v, nv)))
		return err;
	s->imp_rows++;
	return 0;
}

/*
 * Open an import of table "t" (see store.h). An import is a
 * transaction of its own: EINVAL inside store_begin()'s, or when one is
 * open already. Returns 0, EINVAL, EIO.
 */
int
store_import_begin(
    struct store *s, enum store_num_table t, bool replace, const char *note)
{
	struct num_dataset d;
	enum store_stmt clear = STORE_NSTMT;
	int64_t id = 0;
	bool own;
	int err;

	if ((err = store_check(s)))
		return err;
	if (s->in_txn)
		return store_err(s, EINVAL,
		    "an import runs in a transaction of its own: commit "
		    "first");
	if (note && strnlen(note, STORE_NOTE_MAX) >= STORE_NOTE_MAX)
		return store_err(s, EINVAL, "import note: longer than %d bytes",
		    STORE_NOTE_MAX - 1);
	switch (t) {
	case STORE_NUM_RANGES:
		s->imp_stmt = STORE_NUM_RANGE_BULK;
		break;
	case STORE_NUM_OWN:
		s->imp_stmt = replace ? STORE_NUM_OWN_BULK : STORE_NUM_OWN_PUT;
		clear = STORE_NUM_OWN_CLEAR;
		break;
	case STORE_NUM_ALIASES:
		s->imp_stmt =
		    replace ? STORE_SMS_ALIAS_BULK : STORE_SMS_ALIAS_PUT;
		clear = STORE_SMS_ALIAS_CLEAR;
		break;
	case STORE_NUM_ROBINSON:
		s->imp_stmt =
		    replace ? STORE_ROBINSON_BULK : STORE_ROBINSON_PUT;
		clear = STORE_ROBINSON_CLEAR;
		break;
	default:
		return store_err(s, EINVAL, "import: unknown table %d", (int)t);
	}
	if ((err = store_own_begin(s, &own)))
		return err;
	if (t == STORE_NUM_RANGES) {
		memset(&d, 0, sizeof(d));
		snprintf(d.note, sizeof(d.note), "%s", note ? note : "");
		err = store_obj_write(
		    s, STORE_NUM_DATASET_NEW, &store_num_datasets, &d, 0, &id);
	} else if (replace) {
		err = store_run(s, clear, NULL, 0, NULL);
	}
	if (!err)
		err = s->ops->bulk_begin(s, s->imp_stmt);
	if (err)
		return store_own_end(s, own, err);
	s->imp_table = (int)t + 1;
	s->imp_own = own;
	s->imp_bulk = true;
	s->imp_replace = replace;
	s->imp_dataset = id;
	s->imp_rows = 0;
	return 0;
}

/* A register range into the open STORE_NUM_RANGES import. */
int
store_import_range(struct store *s, const struct num_range *r)
{
	struct store_val v[STORE_PARAMS_MAX];
	size_t n;
	int err;

	if ((err = import_check(s, STORE_NUM_RANGES)) ||
	    (err = check_range(s, r)))
		return err;
	v[0] = (struct store_val){ "dataset", NULL, s->imp_dataset };
	v[1] = (struct store_val){ "seq", NULL, (int64_t)s->imp_rows + 1 };
	n = store_obj_vals(&store_num_ranges, r, v + 2);
	return import_row(s, v, n + 2);
}

/* An own-inventory entry into the open STORE_NUM_OWN import. */
int
store_import_own(struct store *s, const struct num_own *o)
{
	struct store_val v[STORE_PARAMS_MAX];
	size_t n;
	int err;

	if ((err = import_check(s, STORE_NUM_OWN)) || (err = check_own(s, o)))
		return err;
	n = store_obj_vals(&store_num_owns, o, v);
	return import_row(s, v, n);
}

/* An alias into the open STORE_NUM_ALIASES import. */
int
store_import_alias(struct store *s, const struct sms_alias *a)
{
	struct store_val v[STORE_PARAMS_MAX];
	size_t n;
	int err;

	if ((err = import_check(s, STORE_NUM_ALIASES)) ||
	    (err = check_alias(s, a)))
		return err;
	n = store_obj_vals(&store_sms_aliases, a, v);
	return import_row(s, v, n);
}

/* A hash into the open STORE_NUM_ROBINSON import. */
int
store_import_robinson(struct store *s, const char *hash)
{
	const struct store_val v[] = { { "hash", hash, 0 } };
	int err;

	if ((err = import_check(s, STORE_NUM_ROBINSON)) ||
	    (err = check_hash(s, hash)))
		return err;
	return import_row(s, v, 1);
}

/*
 * Finish the open import: the rows are complete, a new register data
 * set goes into force (the older ones are deleted), the generation is
 * bumped, all in the import's transaction. *rows (may be NULL) gets
 * the rows written. On failure everything is rolled back and the old
 * data stays in force. Returns 0, EINVAL (none open), EEXIST, EIO.
 */
int
store_import_commit(struct store *s, uint64_t *rows)
{
	struct store_val v[3];
	bool own;
	int err;

	if (!s)
		return EINVAL;
	if (s->in_walk)
		return store_err(s, EINVAL,
		    "store called from inside its own *_each() callback");
	if (!s->imp_table)
		return store_err(s, EINVAL, "no import is open");
	own = s->imp_own;
	s->imp_bulk = false;
	err = s->ops->bulk_end(s, true);
	if (!err && s->imp_table == STORE_NUM_RANGES + 1) {
		v[0] = (struct store_val){ "id", NULL, s->imp_dataset };
		v[1] =
		    (struct store_val){ "created", NULL, (int64_t)time(NULL) };
		v[2] =
		    (struct store_val){ "nrows", NULL, (int64_t)s->imp_rows };
		if (!(err = store_run(
			  s, STORE_NUM_DATASET_FINISH, v, 3, NULL)) &&
		    !(err = store_meta_set(
			  s, STORE_META_NUM_DATASET, s->imp_dataset)) &&
		    !(err = store_run(s, STORE_NUM_RANGE_DROP_OLD, v, 1, NULL)))
			err = store_run(
			    s, STORE_NUM_DATASET_DROP_OLD, v, 1, NULL);
	}
	if (!err)
		err = store_meta_bump(s, STORE_META_NUM_GENERATION);
	s->imp_table = 0;
	err = store_own_end(s, own, err);
	if (!err && rows)
		*rows = s->imp_rows;
	return err;
}

/*
 * Roll the open import back (nothing of it stays). Returns 0 (also
 * when none is open, or s is NULL) or EIO when the rollback failed.
 */
int
store_import_abort(struct store *s)
{
	char saved[STORE_ERRMSG_MAX];
	int err = 0;

	if (!s || !s->imp_table)
		return 0;
	memcpy(saved, s->errmsg, sizeof(saved));
	if (s->imp_bulk)
		(void)s->ops->bulk_end(s, false);
	s->imp_bulk = false;
	s->imp_table = 0;
	if (s->imp_own)
		err = s->ops->rollback(s);
	if (!err)
		memcpy(s->errmsg, saved, sizeof(saved));
	return err;
}

/* ---- own inventory ---------------------------------------------------------------- */

/*
 * Insert "o" or replace the note of (digits, kind), and bump the
 * generation, in one transaction. Returns 0, EINVAL (kind not a known
 * one, digits not 1-15 digits, a member not terminated), EIO.
 */
int
store_num_own_put(struct store *s, const struct num_own *o)
{
	int err;

	if ((err = store_check(s)) || (err = check_own(s, o)))
		return err;
	return num_write(s, STORE_NUM_OWN_PUT, &store_num_owns, o, NULL);
}

/* Delete (digits, kind). Returns 0, ENOENT, EINVAL, EIO. */
int
store_num_own_del(struct store *s, const char *digits, const char *kind)
{
	const char *key[] = { digits, kind };
	int err;

	if ((err = store_check(s)))
		return err;
	return num_del(s, STORE_NUM_OWN_DEL, &store_num_owns, key, 2);
}

/* Every entry, ordered by digits then kind. Same rules as *_each(). */
int
store_num_own_each(struct store *s, store_num_own_h *h, void *arg)
{
	int err;

	if ((err = store_check_each(s, h != NULL, "num_own_each")))
		return err;
	return store_walk(s, STORE_NUM_OWN_EACH, &store_num_owns, NULL, 0,
	    (union store_each_h){ .own = h }, arg);
}

/* ---- exceptions ---------------------------------------------------------------------- */

/*
 * Add "e" (its id ignored) and set e->id, bumping the generation.
 * Returns 0, EINVAL (digits, prefix not 0/1, valid_to not 0 and not
 * after valid_from, a member not terminated), EIO.
 */
int
store_num_exception_add(struct store *s, struct num_exception *e)
{
	int64_t id;
	int err;

	if ((err = store_check(s)) || (err = check_exception(s, e)))
		return err;
	err = num_write(s, STORE_NUM_EXC_ADD, &store_num_exceptions, e, &id);
	if (!err)
		e->id = id;
	return err;
}

/* Delete exception "id". Returns 0, ENOENT, EINVAL, EIO. */
int
store_num_exception_del(struct store *s, int64_t id)
{
	const struct store_val v[] = { { "id", NULL, id } };
	uint64_t changes = 0;
	bool own;
	int err;

	if ((err = store_check(s)))
		return err;
	if ((err = store_own_begin(s, &own)))
		return err;
	err = store_run(s, STORE_NUM_EXC_DEL, v, 1, &changes);
	if (!err && changes == 0)
		err = store_err(
		    s, ENOENT, "no numbering exception %lld", (long long)id);
	if (!err)
		err = store_meta_bump(s, STORE_META_NUM_GENERATION);
	return store_own_end(s, own, err);
}

/* Every exception, ordered by digits then id. */
int
store_num_exception_each(struct store *s, store_num_exception_h *h, void *arg)
{
	int err;

	if ((err = store_check_each(s, h != NULL, "num_exception_each")))
		return err;
	return store_walk(s, STORE_NUM_EXC_EACH, &store_num_exceptions, NULL, 0,
	    (union store_each_h){ .exc = h }, arg);
}

/* ---- SMS aliases -------------------------------------------------------------------- */

/*
 * Insert "a" or replace the alias with the same bytes, bumping the
 * generation. Returns 0, EINVAL (empty alias, valid_to, a member not
 * terminated, PostgreSQL: not UTF-8), EIO.
 */
int
store_sms_alias_put(struct store *s, const struct sms_alias *a)
{
	int err;

	if ((err = store_check(s)) || (err = check_alias(s, a)))
		return err;
	return num_write(s, STORE_SMS_ALIAS_PUT, &store_sms_aliases, a, NULL);
}

/* Delete "alias" (exact bytes). Returns 0, ENOENT, EINVAL, EIO. */
int
store_sms_alias_del(struct store *s, const char *alias)
{
	int err;

	if ((err = store_check(s)))
		return err;
	return num_del(s, STORE_SMS_ALIAS_DEL, &store_sms_aliases, &alias, 1);
}

/* Every alias in byte order. */
int
store_sms_alias_each(struct store *s, store_sms_alias_h *h, void *arg)
{
	int err;

	if ((err = store_check_each(s, h != NULL, "sms_alias_each")))
		return err;
	return store_walk(s, STORE_SMS_ALIAS_EACH, &store_sms_aliases, NULL, 0,
	    (union store_each_h){ .alias = h }, arg);
}

/* ---- Lista Robinson ------------------------------------------------------------------ */

/*
 * Add "hash" (64 lower-case hex digits; one already present is not an
 * error), bumping the generation. Returns 0, EINVAL, EIO.
 */
int
store_robinson_put(struct store *s, const char *hash)
{
	struct robinson_rec r;
	int err;

	if ((err = store_check(s)) || (err = check_hash(s, hash)))
		return err;
	memcpy(r.hash, hash, sizeof(r.hash));
	return num_write(s, STORE_ROBINSON_PUT, &store_robinsons, &r, NULL);
}

/* Delete "hash". Returns 0, ENOENT, EINVAL, EIO. */
int
store_robinson_del(struct store *s, const char *hash)
{
	int err;

	if ((err = store_check(s)) || (err = check_hash(s, hash)))
		return err;
	return num_del(s, STORE_ROBINSON_DEL, &store_robinsons, &hash, 1);
}

/* Every hash in order. */
int
store_robinson_each(struct store *s, store_robinson_h *h, void *arg)
{
	int err;

	if ((err = store_check_each(s, h != NULL, "robinson_each")))
		return err;
	return store_walk(s, STORE_ROBINSON_EACH, &store_robinsons, NULL, 0,
	    (union store_each_h){ .robinson = h }, arg);
}

/* ---- blocking counters ------------------------------------------------------------------ */

/* See store.h. Returns 0, EINVAL, EIO. */
int
store_cid_block_add(struct store *s, int64_t day, const char *rule,
    const char *channel, const char *trunk, uint64_t n)
{
	struct store_val v[5];
	size_t i;
	int err;

	if ((err = store_check(s)))
		return err;
	if (day % DAY_SECS != 0)
		return store_err(s, EINVAL,
		    "blocking counter day: %lld is not 00:00 UTC",
		    (long long)day);
	if (n == 0 || n > (uint64_t)INT64_MAX)
		return store_err(s, EINVAL,
		    "blocking counter: count %llu out of range",
		    (unsigned long long)n);
	if (!rule || !channel || !trunk)
		return store_err(s, EINVAL, "blocking counter: NULL");
	if ((err = store_check_key(s, "rule", rule, STORE_RULE_MAX)))
		return err;
	if (strnlen(trunk, STORE_TRUNK_MAX) >= STORE_TRUNK_MAX)
		return store_err(s, EINVAL, "trunk: longer than %d bytes",
		    STORE_TRUNK_MAX - 1);
	for (i = 0; channels.w[i]; i++)
		if (strcmp(channel, channels.w[i]) == 0)
			break;
	if (!channels.w[i])
		return store_err(s, EINVAL,
		    "blocking counter channel: \"%.16s\" is not %s", channel,
		    channels.list);
	v[0] = (struct store_val){ "day", NULL, day };
	v[1] = (struct store_val){ "rule", rule, 0 };
	v[2] = (struct store_val){ "channel", channel, 0 };
	v[3] = (struct store_val){ "trunk", trunk, 0 };
	v[4] = (struct store_val){ "count", NULL, (int64_t)n };
	return store_run(s, STORE_CID_BLOCK_ADD, v, 5, NULL);
}

/*
 * Call h(counter, arg) for every counter with from_day <= day <=
 * to_day, ordered by day, rule, channel, trunk (byte order). Same
 * rules as store_account_each().
 */
int
store_cid_block_each(struct store *s, int64_t from_day, int64_t to_day,
    store_cid_block_h *h, void *arg)
{
	const struct store_val v[] = { { "from", NULL, from_day },
		{ "to", NULL, to_day } };
	int err;

	if ((err = store_check_each(s, h != NULL, "cid_block_each")))
		return err;
	return store_walk(s, STORE_CID_BLOCK_EACH, &store_cid_blocks, v, 2,
	    (union store_each_h){ .block = h }, arg);
}

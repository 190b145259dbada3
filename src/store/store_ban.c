/*
 * store/store_ban.c -- the guard's state in the store: ban records,
 * their history, the allowlist and the command queue from centinelactl
 * to the running daemons. Argument checks here, the rows and the SQL in
 * store/store_sql.c, the generic row operations in store/store.c.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "store/store.h"
#include "store/store_int.h"

static const char *const event_what_w[] = { "ban", "unban", "strike", "trigger",
	NULL };
static const struct store_words event_whats = { event_what_w,
	"ban, unban, strike or trigger" };

static const char *const cmd_op_w[] = { "ban", "unban", "allow", "unallow",
	NULL };
static const struct store_words cmd_ops = { cmd_op_w,
	"ban, unban, allow or unallow" };

/* ---- bans ------------------------------------------------------------------ */

/*
 * Insert "b" or replace every column of the record with the same addr.
 * Returns 0, EINVAL (NULL, empty addr, a member not terminated inside
 * its array, PostgreSQL: text that is not UTF-8), EIO.
 */
int
store_ban_put(struct store *s, const struct ban_rec *b)
{
	int err;

	if ((err = store_check(s)))
		return err;
	return store_obj_write(s, STORE_BAN_PUT, &store_bans, b, 0, NULL);
}

/*
 * Read the record of "addr" into "b". Returns 0, ENOENT, EINVAL (addr
 * NULL, empty or not shorter than STORE_ADDR_MAX; b NULL), EIO
 * (including a stored value too long for its member).
 */
int
store_ban_get(struct store *s, const char *addr, struct ban_rec *b)
{
	int err;

	if ((err = store_check(s)))
		return err;
	if (!b)
		return store_err(s, EINVAL, "ban: NULL");
	return store_key_run(s, STORE_BAN_GET, &store_bans, &addr, 1, b, true);
}

/* Delete the record of "addr". Returns 0, ENOENT, EINVAL, EIO. */
int
store_ban_del(struct store *s, const char *addr)
{
	int err;

	if ((err = store_check(s)))
		return err;
	return store_key_run(
	    s, STORE_BAN_DEL, &store_bans, &addr, 1, NULL, true);
}

/*
 * Delete every record with forget <= now; *n (may be NULL) gets how
 * many. Returns 0, EINVAL, EIO.
 */
int
store_ban_forget(struct store *s, int64_t now, uint64_t *n)
{
	const struct store_val v[] = { { "forget", NULL, now } };
	int err;

	if ((err = store_check(s)))
		return err;
	return store_run(s, STORE_BAN_FORGET, v, 1, n);
}

/*
 * Call h(record, arg) for every record, ordered by addr (byte order).
 * Same rules as store_account_each().
 */
int
store_ban_each(struct store *s, store_ban_h *h, void *arg)
{
	int err;

	if ((err = store_check_each(s, h != NULL, "ban_each")))
		return err;
	return store_walk(s, STORE_BAN_EACH, &store_bans, NULL, 0,
	    (union store_each_h){ .ban = h }, arg);
}

/* ---- history ---------------------------------------------------------------- */

/*
 * Append "e" (its id ignored) and set e->id to the id the store gave
 * it, greater than every earlier one. Returns 0, EINVAL (NULL, empty
 * addr, what not one of "ban", "unban", "strike", "trigger", a member
 * not terminated, PostgreSQL: not UTF-8), EIO.
 */
int
store_ban_event_add(struct store *s, struct ban_event *e)
{
	int64_t id;
	int err;

	if ((err = store_check(s)) ||
	    (err = store_check_word(
		 s, &store_ban_events, e, "what", &event_whats)))
		return err;
	err = store_obj_write(s, STORE_EVENT_ADD, &store_ban_events, e, 0, &id);
	if (!err)
		e->id = id;
	return err;
}

/*
 * Call h(event, arg) for the events of "addr" (of every address when
 * NULL), oldest (lowest id) first; with "limit" > 0 only the newest
 * "limit" of them. Same rules as store_account_each(); EINVAL for an
 * empty or over-long addr.
 */
int
store_ban_event_each(struct store *s, const char *addr, unsigned limit,
    store_ban_event_h *h, void *arg)
{
	struct store_val v[] = { { "addr", addr, 0 },
		{ "limit", NULL, limit ? (int64_t)limit : INT64_MAX } };
	union store_each_h eh = { .event = h };
	int err;

	if ((err = store_check_each(s, h != NULL, "ban_event_each")))
		return err;
	if (!addr)
		return store_walk(
		    s, STORE_EVENT_EACH, &store_ban_events, v + 1, 1, eh, arg);
	if ((err = store_check_key(s, "addr", addr, STORE_ADDR_MAX)))
		return err;
	return store_walk(
	    s, STORE_EVENT_EACH_ADDR, &store_ban_events, v, 2, eh, arg);
}

/* Delete every event with at < before. Returns 0, EINVAL, EIO. */
int
store_ban_event_trim(struct store *s, int64_t before)
{
	const struct store_val v[] = { { "at", NULL, before } };
	int err;

	if ((err = store_check(s)))
		return err;
	return store_run(s, STORE_EVENT_TRIM, v, 1, NULL);
}

/* ---- allowlist ----------------------------------------------------------------- */

/*
 * Insert "a" or replace the entry with the same addr, and bump the
 * allow generation, in one transaction (joining store_begin()'s).
 * Returns 0, EINVAL (as store_ban_put()), EIO.
 */
int
store_allow_put(struct store *s, const struct allow_rec *a)
{
	bool own;
	int err;

	if ((err = store_check(s)) ||
	    (err = store_check_obj(s, &store_allowlist, a)))
		return err;
	if ((err = store_own_begin(s, &own)))
		return err;
	err = store_obj_write(s, STORE_ALLOW_PUT, &store_allowlist, a, 0, NULL);
	if (!err)
		err = store_meta_bump(s, STORE_META_ALLOW_GENERATION);
	return store_own_end(s, own, err);
}

/*
 * Delete the entry of "addr" and bump the allow generation, in one
 * transaction. Returns 0, ENOENT (nothing bumped), EINVAL, EIO.
 */
int
store_allow_del(struct store *s, const char *addr)
{
	bool own;
	int err;

	if ((err = store_check(s)) ||
	    (err = store_check_key(s, "addr", addr, STORE_ADDR_MAX)))
		return err;
	if ((err = store_own_begin(s, &own)))
		return err;
	err = store_key_run(
	    s, STORE_ALLOW_DEL, &store_allowlist, &addr, 1, NULL, true);
	if (!err)
		err = store_meta_bump(s, STORE_META_ALLOW_GENERATION);
	return store_own_end(s, own, err);
}

/*
 * Call h(entry, arg) for every entry, ordered by addr (byte order).
 * Same rules as store_account_each().
 */
int
store_allow_each(struct store *s, store_allow_h *h, void *arg)
{
	int err;

	if ((err = store_check_each(s, h != NULL, "allow_each")))
		return err;
	return store_walk(s, STORE_ALLOW_EACH, &store_allowlist, NULL, 0,
	    (union store_each_h){ .allow = h }, arg);
}

/*
 * The allow generation: bumped by every successful put and del, in
 * their transaction. Returns 0, EINVAL, EIO.
 */
int
store_allow_generation(struct store *s, int64_t *gen)
{
	return store_meta_value(s, STORE_META_ALLOW_GENERATION, gen);
}

/* ---- command queue ----------------------------------------------------------------- */

/*
 * Queue "c" (its id ignored) and set c->id. Returns 0, EINVAL (NULL,
 * empty addr, op not one of "ban", "unban", "allow", "unallow", a
 * member not terminated, PostgreSQL: not UTF-8), EIO.
 *
 * Known limit: on PostgreSQL ids are handed out at INSERT, rows become
 * visible at COMMIT; two centinelactl runs committing out of id order
 * could let a poller that saw the higher id skip the lower one. Each
 * command is its own short transaction, so the window is tiny.
 */
int
store_ban_cmd_add(struct store *s, struct ban_cmd *c)
{
	int64_t id;
	int err;

	if ((err = store_check(s)) ||
	    (err = store_check_word(s, &store_ban_cmds, c, "op", &cmd_ops)))
		return err;
	err = store_obj_write(s, STORE_CMD_ADD, &store_ban_cmds, c, 0, &id);
	if (!err)
		c->id = id;
	return err;
}

/*
 * Call h(command, arg) for every command with id > after, oldest first.
 * Same rules as store_account_each().
 */
int
store_ban_cmd_each(
    struct store *s, int64_t after, store_ban_cmd_h *h, void *arg)
{
	const struct store_val v[] = { { "id", NULL, after } };
	int err;

	if ((err = store_check_each(s, h != NULL, "ban_cmd_each")))
		return err;
	return store_walk(s, STORE_CMD_EACH, &store_ban_cmds, v, 1,
	    (union store_each_h){ .cmd = h }, arg);
}

/* Delete every command with created < before. Returns 0, EINVAL, EIO. */
int
store_ban_cmd_trim(struct store *s, int64_t before)
{
	const struct store_val v[] = { { "created", NULL, before } };
	int err;

	if ((err = store_check(s)))
		return err;
	return store_run(s, STORE_CMD_TRIM, v, 1, NULL);
}

/*
 * store/store_alert.c -- the alerts in the store (schema version 4):
 * the alerts the router (fraud/alert.c) raised and the delivery of each
 * to each channel, with the claim (a lease) that keeps two routers on
 * one store from sending the same delivery at once. Argument checks
 * here, the rows and the SQL in store/store_sql.c, the generic row
 * operations in store/store.c.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "store/store.h"
#include "store/store_int.h"

static const char *const state_w[] = { "pending", "done", "failed", NULL };
static const struct store_words states = { state_w, "pending, done or failed" };

static int
check_alert(struct store *s, const struct alert_rec *a)
{
	int err;

	if ((err = store_check_obj(s, &store_alerts, a)))
		return err;
	if (a->severity > STORE_ALERT_SEV_MAX)
		return store_err(s, EINVAL,
		    "alert %s severity: %u is not 0, 1 or 2", a->id,
		    a->severity);
	return 0;
}

static int
check_dlv(struct store *s, const struct alert_dlv *d)
{
	return store_check_word(s, &store_alert_dlvs, d, "state", &states);
}

/*
 * Insert "a" and its deliveries in one transaction (see store.h).
 * Everything is checked before the first statement.
 */
int
store_alert_add(struct store *s, const struct alert_rec *a,
    const struct alert_dlv *d, size_t nd)
{
	size_t i, j;
	bool own;
	int err;

	if ((err = store_check(s)) || (err = check_alert(s, a)))
		return err;
	if (nd && !d)
		return store_err(s, EINVAL, "alert %s: NULL deliveries", a->id);
	for (i = 0; i < nd; i++) {
		if ((err = check_dlv(s, &d[i])))
			return err;
		if (strcmp(d[i].alert, a->id) != 0)
			return store_err(s, EINVAL,
			    "alert delivery to %s: alert \"%s\" is not %s",
			    d[i].channel, d[i].alert, a->id);
		for (j = 0; j < i; j++)
			if (strcmp(d[j].channel, d[i].channel) == 0)
				return store_err(s, EINVAL,
				    "alert %s: channel %s twice", a->id,
				    d[i].channel);
	}
	if ((err = store_own_begin(s, &own)))
		return err;
	/* ON CONFLICT DO NOTHING: EEXIST leaves a transaction usable. */
	err =
	    store_obj_write(s, STORE_ALERT_ADD, &store_alerts, a, EEXIST, NULL);
	for (i = 0; !err && i < nd; i++)
		err = store_obj_write(s, STORE_ALERT_DLV_ADD, &store_alert_dlvs,
		    &d[i], EEXIST, NULL);
	return store_own_end(s, own, err);
}

/* Alert "id" into "a". Returns 0, ENOENT, EINVAL, EIO. */
int
store_alert_get(struct store *s, const char *id, struct alert_rec *a)
{
	int err;

	if ((err = store_check(s)))
		return err;
	if (!a)
		return store_err(s, EINVAL, "alert: NULL");
	return store_key_run(
	    s, STORE_ALERT_GET, &store_alerts, &id, 1, a, true);
}

/* repeats += n (n >= 0). Returns 0, ENOENT, EINVAL, EIO. */
int
store_alert_repeat(struct store *s, const char *id, int64_t n)
{
	struct store_val v[2];
	uint64_t changes = 0;
	int err;

	if ((err = store_check(s)) ||
	    (err = store_check_key(s, "alert id", id, STORE_ALERT_ID_MAX)))
		return err;
	if (n < 0)
		return store_err(s, EINVAL, "alert %s: negative repeats", id);
	v[0] = (struct store_val){ "id", id, 0 };
	v[1] = (struct store_val){ "repeats", NULL, n };
	if ((err = store_run(s, STORE_ALERT_REPEAT, v, 2, &changes)))
		return err;
	if (changes == 0)
		return store_err(s, ENOENT, "no alert %s", id);
	return 0;
}

/*
 * The newest "limit" alerts with from <= ts < to and severity >=
 * min_sev, oldest first. Returns 0, h's first non-zero value, EINVAL,
 * EIO.
 */
int
store_alert_each(struct store *s, int64_t from, int64_t to, uint32_t min_sev,
    unsigned limit, store_alert_h *h, void *arg)
{
	struct store_val v[4];
	int err;

	if ((err = store_check_each(s, h != NULL, "alert_each")))
		return err;
	v[0] = (struct store_val){ "from", NULL, from };
	v[1] = (struct store_val){ "to", NULL, to };
	v[2] = (struct store_val){ "severity", NULL, (int64_t)min_sev };
	v[3] = (struct store_val){ "limit", NULL,
		limit ? (int64_t)limit : INT64_MAX };
	return store_walk(s, STORE_ALERT_EACH, &store_alerts, v, 4,
	    (union store_each_h){ .alert = h }, arg);
}

/* The deliveries of alert "id", by channel. */
int
store_alert_dlv_each(
    struct store *s, const char *id, store_alert_dlv_h *h, void *arg)
{
	struct store_val v[1];
	int err;

	if ((err = store_check_each(s, h != NULL, "alert_delivery_each")) ||
	    (err = store_check_key(s, "alert id", id, STORE_ALERT_ID_MAX)))
		return err;
	v[0] = (struct store_val){ "alert", id, 0 };
	return store_walk(s, STORE_ALERT_DLV_EACH, &store_alert_dlvs, v, 1,
	    (union store_each_h){ .dlv = h }, arg);
}

/* Delivery (id, channel) into "d". Returns 0, ENOENT, EINVAL, EIO. */
int
store_alert_dlv_get(
    struct store *s, const char *id, const char *channel, struct alert_dlv *d)
{
	const char *key[] = { id, channel };
	int err;

	if ((err = store_check(s)))
		return err;
	if (!d)
		return store_err(s, EINVAL, "alert delivery: NULL");
	return store_key_run(
	    s, STORE_ALERT_DLV_GET, &store_alert_dlvs, key, 2, d, true);
}

/* The pending deliveries due at "now", each with its alert. */
int
store_alert_due(struct store *s, int64_t now, unsigned limit,
    store_alert_due_h *h, void *arg)
{
	struct store_val v[2];
	int err;

	if ((err = store_check_each(s, h != NULL, "alert_due")))
		return err;
	v[0] = (struct store_val){ "now", NULL, now };
	v[1] = (struct store_val){ "limit", NULL,
		limit ? (int64_t)limit : INT64_MAX };
	return store_walk(s, STORE_ALERT_DUE, &store_alert_dues, v, 2,
	    (union store_each_h){ .due = h }, arg);
}

/* The earliest next_try of a pending delivery. Returns 0, EINVAL, EIO. */
int
store_alert_next_due(struct store *s, int64_t *next, bool *found)
{
	int64_t v = 0;
	int err;

	if ((err = store_check(s)))
		return err;
	if (!next || !found)
		return store_err(s, EINVAL, "alert_next_due: NULL");
	err = store_row_first(
	    s, STORE_ALERT_NEXT_DUE, NULL, 0, &store_i64, &v, found);
	*next = !err && *found ? v : 0;
	if (err)
		*found = false;
	return err;
}

/* Take delivery (id, channel) for one attempt (see store.h). */
int
store_alert_dlv_claim(struct store *s, const char *id, const char *channel,
    int64_t now, int64_t lease, bool *claimed)
{
	struct store_val v[4];
	uint64_t changes = 0;
	int err;

	if ((err = store_check(s)))
		return err;
	if (!claimed)
		return store_err(s, EINVAL, "alert_delivery_claim: NULL");
	*claimed = false;
	if ((err = store_check_key(s, "alert id", id, STORE_ALERT_ID_MAX)) ||
	    (err = store_check_key(
		 s, "channel", channel, STORE_ALERT_CHANNEL_MAX)))
		return err;
	if (lease <= now)
		return store_err(s, EINVAL,
		    "alert delivery %s to %s: the lease must end after now", id,
		    channel);
	v[0] = (struct store_val){ "alert", id, 0 };
	v[1] = (struct store_val){ "channel", channel, 0 };
	v[2] = (struct store_val){ "now", NULL, now };
	v[3] = (struct store_val){ "lease", NULL, lease };
	err = store_run(s, STORE_ALERT_DLV_CLAIM, v, 4, &changes);
	if (!err)
		*claimed = changes == 1;
	return err;
}

/* The outcome of an attempt (see store.h). */
int
store_alert_dlv_update(struct store *s, const struct alert_dlv *d)
{
	struct store_val v[6];
	uint64_t changes = 0;
	int err;

	if ((err = store_check(s)) || (err = check_dlv(s, d)))
		return err;
	v[0] = (struct store_val){ "alert", d->alert, 0 };
	v[1] = (struct store_val){ "channel", d->channel, 0 };
	v[2] = (struct store_val){ "state", d->state, 0 };
	v[3] = (struct store_val){ "next_try", NULL, d->next_try };
	v[4] = (struct store_val){ "updated", NULL, d->updated };
	v[5] = (struct store_val){ "last_error", d->last_error, 0 };
	if ((err = store_run(s, STORE_ALERT_DLV_UPDATE, v, 6, &changes)))
		return err;
	if (changes == 0)
		return store_err(s, ENOENT, "no alert delivery %s to %s",
		    d->alert, d->channel);
	return 0;
}

/* Delete old alerts without a pending delivery (see store.h). */
int
store_alert_trim(struct store *s, int64_t before, uint64_t *n)
{
	const struct store_val v[] = { { "before", NULL, before } };
	uint64_t changes = 0;
	bool own;
	int err;

	if ((err = store_check(s)))
		return err;
	if ((err = store_own_begin(s, &own)))
		return err;
	err = store_run(s, STORE_ALERT_TRIM_DLV, v, 1, NULL);
	if (!err)
		err = store_run(s, STORE_ALERT_TRIM, v, 1, &changes);
	err = store_own_end(s, own, err);
	if (!err && n)
		*n = changes;
	return err;
}

/*
 * store/store_fraud.c -- the toll-fraud engine's per-subject state in the
 * store (schema version 5): one row per account or trunk with the
 * engine's blob, kept as base64 text so both backends hold it in a
 * plain text column, and the suspend/resume hand-over between the
 * engine and the administrator. Argument checks and the blob coding
 * here, the rows and the SQL in store/store_sql.c, the generic row
 * operations in store/store.c.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "store/store.h"
#include "store/store_int.h"

/* STORE_FRAUD_RESUMED and the suspend statements spell these out. */
_Static_assert(STORE_FRAUD_ACCOUNT == 0 && STORE_FRAUD_TRUNK == 1 &&
	ACCOUNT_ACTIVE == 0 && ACCOUNT_SUSPENDED == 1,
    "store_sql.c writes the fraud kinds and account states as numbers");

/* A kind in messages. */
static const char *
kind_name(uint32_t kind)
{
	if (kind == STORE_FRAUD_ACCOUNT)
		return "account";
	if (kind == STORE_FRAUD_TRUNK)
		return "trunk";
	return "of unknown kind";
}

static int
check_kind(struct store *s, uint32_t kind)
{
	if (kind > STORE_FRAUD_TRUNK)
		return store_err(s, EINVAL,
		    "fraud subject kind: %u is not 0 (account) or 1 (trunk)",
		    kind);
	return 0;
}

/* ---- the blob as base64 ------------------------------------------------------ */

static bool
is_b64(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/*
 * Decode "txt" (len characters) into out[0 .. *n - 1], at most
 * STORE_FRAUD_BLOB_MAX bytes. Strict, because EVP_DecodeBlock() alone
 * is not: it skips white space at either end and returns the padding
 * as zero bytes (3 bytes per 4 characters, always). Here the length is
 * a non-zero multiple of 4, every character is of the standard
 * alphabet but for one or two '=' at the very end, and the padding is
 * taken off the length. Returns false for anything else.
 */
static bool
b64_decode(const char *txt, size_t len, unsigned char *out, size_t *n)
{
	unsigned char buf[(STORE_FRAUD_STATE_MAX - 1) / 4 * 3];
	size_t pad = 0, i;
	int got;

	if (len == 0 || len % 4 != 0 || len > STORE_FRAUD_STATE_MAX - 1)
		return false;
	if (txt[len - 1] == '=')
		pad = txt[len - 2] == '=' ? 2 : 1;
	for (i = 0; i < len - pad; i++)
		if (!is_b64((unsigned char)txt[i]))
			return false;
	got = EVP_DecodeBlock(buf, (const unsigned char *)txt, (int)len);
	if (got < 0 || (size_t)got != len / 4 * 3)
		return false;
	if ((size_t)got - pad > STORE_FRAUD_BLOB_MAX)
		return false;
	*n = (size_t)got - pad;
	memcpy(out, buf, *n);
	return true;
}

/*
 * A stored row into the public struct. A kind, flag or state the
 * engine cannot have written is EIO, with a message naming the row.
 */
static int
row_to_rec(struct store *s, const struct fraud_row *row, struct fraud_rec *r)
{
	memset(r, 0, sizeof(*r));
	if (row->kind > STORE_FRAUD_TRUNK)
		return store_err(s, EIO,
		    "fraud_subjects.kind: row %s has kind %u (not 0 or 1)",
		    row->name, row->kind);
	if (row->suspended > 1)
		return store_err(s, EIO,
		    "fraud subject %s %s: suspended is %u (not 0 or 1)",
		    kind_name(row->kind), row->name, row->suspended);
	if (!b64_decode(row->state, strlen(row->state), r->blob, &r->len))
		return store_err(s, EIO,
		    "fraud subject %s %s: state is not the base64 of 1 to "
		    "%d bytes",
		    kind_name(row->kind), row->name, STORE_FRAUD_BLOB_MAX);
	r->kind = row->kind;
	memcpy(r->name, row->name, sizeof(r->name));
	r->suspended = row->suspended == 1;
	r->updated = row->updated;
	return 0;
}

/* ---- rows ------------------------------------------------------------------- */

/*
 * Insert or replace "r" (see store.h). The blob goes out as base64 in
 * the state column, padded: EVP_EncodeBlock() output as it is.
 */
int
store_fraud_put(struct store *s, const struct fraud_rec *r)
{
	struct fraud_row row;
	int err;

	if ((err = store_check(s)))
		return err;
	if (!r)
		return store_err(s, EINVAL, "fraud subject: NULL");
	if ((err = check_kind(s, r->kind)) ||
	    (err = store_check_key(
		 s, "fraud subject name", r->name, sizeof(r->name))))
		return err;
	if (r->len == 0 || r->len > STORE_FRAUD_BLOB_MAX)
		return store_err(s, EINVAL,
		    "fraud subject %s %s: state of %zu bytes (1 to %d)",
		    kind_name(r->kind), r->name, r->len, STORE_FRAUD_BLOB_MAX);
	memset(&row, 0, sizeof(row));
	row.kind = r->kind;
	memcpy(row.name, r->name, sizeof(row.name));
	row.suspended = r->suspended ? 1 : 0;
	row.updated = r->updated;
	(void)EVP_EncodeBlock((unsigned char *)row.state, r->blob, (int)r->len);
	return store_obj_write(
	    s, STORE_FRAUD_PUT, &store_fraud_subjects, &row, 0, NULL);
}

/* The key parameters (kind, name), checked. */
static int
key_vals(struct store *s, uint32_t kind, const char *name, struct store_val *v)
{
	int err;

	if ((err = check_kind(s, kind)) ||
	    (err = store_check_key(
		 s, "fraud subject name", name, STORE_FRAUD_NAME_MAX)))
		return err;
	v[0] = (struct store_val){ "kind", NULL, (int64_t)kind };
	v[1] = (struct store_val){ "name", name, 0 };
	return 0;
}

/* Row (kind, name) into "r". Returns 0, ENOENT, EINVAL, EIO. */
int
store_fraud_get(
    struct store *s, uint32_t kind, const char *name, struct fraud_rec *r)
{
	struct store_val v[2];
	struct fraud_row row;
	bool found;
	int err;

	if ((err = store_check(s)))
		return err;
	if (!r)
		return store_err(s, EINVAL, "fraud subject: NULL");
	if ((err = key_vals(s, kind, name, v)))
		return err;
	memset(&row, 0, sizeof(row));
	err = store_row_first(
	    s, STORE_FRAUD_GET, v, 2, &store_fraud_subjects, &row, &found);
	if (err)
		return err;
	if (!found)
		return store_err(
		    s, ENOENT, "no fraud subject %s %s", kind_name(kind), name);
	return row_to_rec(s, &row, r);
}

/* Delete row (kind, name). Returns 0, ENOENT, EINVAL, EIO. */
int
store_fraud_del(struct store *s, uint32_t kind, const char *name)
{
	struct store_val v[2];
	uint64_t changes = 0;
	int err;

	if ((err = store_check(s)) || (err = key_vals(s, kind, name, v)))
		return err;
	if ((err = store_run(s, STORE_FRAUD_DEL, v, 2, &changes)))
		return err;
	if (changes == 0)
		return store_err(
		    s, ENOENT, "no fraud subject %s %s", kind_name(kind), name);
	return 0;
}

/* A walk of the public struct over the stored rows. */
struct fraud_walk {
	struct store *s;
	store_fraud_h *h;
	store_fraud_name_h *name_h;
	void *arg;
	struct fraud_rec r; /* the row handed to h, decoded */
};

static int
each_row(const struct fraud_row *row, void *arg)
{
	struct fraud_walk *w = arg;
	int err;

	if ((err = row_to_rec(w->s, row, &w->r)))
		return err;
	return w->h(&w->r, w->arg);
}

/* Every row by kind then name (see store.h). */
int
store_fraud_each(struct store *s, store_fraud_h *h, void *arg)
{
	struct fraud_walk w = { .s = s, .h = h, .arg = arg };
	int err;

	if ((err = store_check_each(s, h != NULL, "fraud_each")))
		return err;
	return store_walk(s, STORE_FRAUD_EACH, &store_fraud_subjects, NULL, 0,
	    (union store_each_h){ .fraud = each_row }, &w);
}

/* ---- suspend and resume ------------------------------------------------------ */

static int
name_row(const struct fraud_row *row, void *arg)
{
	struct fraud_walk *w = arg;

	return w->name_h(row->name, w->arg);
}

/*
 * The engine's suspended accounts an administrator resumed (see
 * store.h): one UPDATE ... RETURNING clears the flags and names the
 * rows, so the report and the clearing cannot part.
 */
int
store_fraud_resumed(struct store *s, store_fraud_name_h *h, void *arg)
{
	struct fraud_walk w = { .s = s, .name_h = h, .arg = arg };
	bool own;
	int err;

	if ((err = store_check_each(s, h != NULL, "fraud_resumed")))
		return err;
	if ((err = store_own_begin(s, &own)))
		return err;
	err = store_walk(s, STORE_FRAUD_RESUMED, &store_fraud_names, NULL, 0,
	    (union store_each_h){ .fraud = name_row }, &w);
	return store_own_end(s, own, err);
}

/*
 * Suspend account "name" for the engine (see store.h). A targeted
 * UPDATE of the status, not a read and a store_account_update(): a
 * change centinelactl makes meanwhile to another column survives.
 */
int
store_fraud_suspend(struct store *s, const char *name)
{
	char user[STORE_USER_MAX], domain[STORE_DOMAIN_MAX];
	struct store_val v[2];
	uint64_t changes = 0;
	const char *at;
	size_t ulen, dlen;
	bool own;
	int err;

	if ((err = store_check(s)) ||
	    (err = store_check_key(
		 s, "fraud subject name", name, STORE_FRAUD_NAME_MAX)))
		return err;
	at = strrchr(name, '@');
	if (!at || at == name || !at[1])
		return store_err(s, EINVAL,
		    "fraud subject account %s: not user@domain", name);
	ulen = (size_t)(at - name);
	dlen = strlen(at + 1);
	if (ulen >= sizeof(user) || dlen >= sizeof(domain))
		return store_err(s, EINVAL,
		    "fraud subject account %s: user or domain longer than an "
		    "account's (%zu, %zu bytes)",
		    name, sizeof(user) - 1, sizeof(domain) - 1);
	memcpy(user, name, ulen);
	user[ulen] = '\0';
	memcpy(domain, at + 1, dlen + 1);
	v[0] = (struct store_val){ "username", user, 0 };
	v[1] = (struct store_val){ "domain", domain, 0 };
	if ((err = store_own_begin(s, &own)))
		return err;
	err = store_run(s, STORE_FRAUD_SUSPEND_ACCOUNT, v, 2, &changes);
	if (!err && changes == 0)
		err = store_err(s, ENOENT, "no account %s", name);
	if (!err)
		err = store_meta_bump(s, STORE_META_GENERATION);
	if (!err) {
		v[0] = (struct store_val){ "name", name, 0 };
		err = store_run(s, STORE_FRAUD_SUSPEND_SUBJECT, v, 1, NULL);
	}
	return store_own_end(s, own, err);
}

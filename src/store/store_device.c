/*
 * store/store_device.c -- the phones the provisioning service configures
 * (schema version 6): one row per MAC address, bound to an account.
 * Argument checks and the MAC syntax here, the rows and the SQL in
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

int
store_mac_parse(const char *in, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0, i;
	char sep = 0;

	if (!out)
		return EINVAL;
	out[0] = '\0';
	if (!in)
		return EINVAL;
	/*
	 * Separators: none, or one kind of ':' / '-' between every pair
	 * of digits, or '.' between groups of four (Cisco's spelling).
	 */
	for (i = 0; in[i]; i++) {
		char c = in[i];
		const char *h;

		if (c == ':' || c == '-' || c == '.') {
			bool at_pair = n % 2 == 0 && n > 0 && n < 12;
			bool at_quad = n % 4 == 0 && n > 0 && n < 12;

			if ((sep && c != sep) ||
			    !(c == '.' ? at_quad : at_pair) || i == 0 ||
			    !in[i + 1] || strchr(":-.", in[i - 1]))
				goto bad;
			sep = c;
			continue;
		}
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		h = c ? memchr(hex, c, 16) : NULL;
		if (!h || n == 12)
			goto bad;
		out[n++] = c;
	}
	if (n != 12)
		goto bad;
	/* With separators, every boundary must carry one. */
	if (sep) {
		size_t want = sep == '.' ? 2 : 5, got = 0;

		for (i = 0; in[i]; i++)
			got += in[i] == sep;
		if (got != want)
			goto bad;
	}
	out[12] = '\0';
	return 0;
bad:
	out[0] = '\0';
	return EINVAL;
}

/* "mac" is canonical: 12 lower-case hex digits. */
static int
check_mac(struct store *s, const char *mac)
{
	size_t i;

	if (!mac)
		return store_err(s, EINVAL, "device mac: missing");
	for (i = 0; i < 12; i++)
		if (!((mac[i] >= '0' && mac[i] <= '9') ||
			(mac[i] >= 'a' && mac[i] <= 'f')))
			break;
	if (i != 12 || mac[12] != '\0')
		return store_err(s, EINVAL,
		    "device mac \"%.20s\": not 12 lower-case hex digits", mac);
	return 0;
}

/*
 * Bind "d" (see store.h): the account must exist, checked in the
 * same transaction as the insert.
 */
int
store_device_add(struct store *s, const struct device *d)
{
	struct account a;
	bool own;
	int err;

	if ((err = store_check(s)) ||
	    (err = store_check_obj(s, &store_devices, d)) ||
	    (err = check_mac(s, d->mac)))
		return err;
	if (d->pending > 1)
		return store_err(s, EINVAL, "device %s: pending is %u (0 or 1)",
		    d->mac, d->pending);
	if ((err = store_own_begin(s, &own)))
		return err;
	err = store_account_get(s, d->user, d->domain, &a);
	explicit_bzero(&a, sizeof(a));
	if (!err)
		err = store_obj_write(
		    s, STORE_DEV_ADD, &store_devices, d, EEXIST, NULL);
	return store_own_end(s, own, err);
}

int
store_device_get(struct store *s, const char *mac, struct device *d)
{
	int err;

	if ((err = store_check(s)))
		return err;
	if (!d)
		return store_err(s, EINVAL, "device: NULL");
	if ((err = check_mac(s, mac)))
		return err;
	return store_key_run(
	    s, STORE_DEV_GET, &store_devices, &mac, 1, d, true);
}

int
store_device_del(struct store *s, const char *mac)
{
	int err;

	if ((err = store_check(s)) || (err = check_mac(s, mac)))
		return err;
	return store_key_run(
	    s, STORE_DEV_DEL, &store_devices, &mac, 1, NULL, true);
}

int
store_device_each(struct store *s, store_device_h *h, void *arg)
{
	int err;

	if ((err = store_check_each(s, h != NULL, "device_each")))
		return err;
	return store_walk(s, STORE_DEV_EACH, &store_devices, NULL, 0,
	    (union store_each_h){ .device = h }, arg);
}

/* The account key (user, domain), checked, as $1, $2. */
static int
account_vals(
    struct store *s, const char *user, const char *domain, struct store_val *v)
{
	int err;

	if ((err = store_check_key(s, "username", user, STORE_USER_MAX)) ||
	    (err = store_check_key(s, "domain", domain, STORE_DOMAIN_MAX)))
		return err;
	v[0] = (struct store_val){ "username", user, 0 };
	v[1] = (struct store_val){ "domain", domain, 0 };
	return 0;
}

int
store_device_of(
    struct store *s, const char *user, const char *domain, struct device *d)
{
	struct store_val v[2];
	struct device tmp;
	bool found;
	int err;

	if ((err = store_check(s)) || (err = account_vals(s, user, domain, v)))
		return err;
	memset(&tmp, 0, sizeof(tmp));
	err = store_row_first(
	    s, STORE_DEV_OF, v, 2, &store_devices, &tmp, &found);
	if (err)
		return err;
	if (!found)
		return store_err(
		    s, ENOENT, "no device bound to %s@%s", user, domain);
	if (d)
		*d = tmp;
	return 0;
}

int
store_device_fetched(struct store *s, const char *mac, int64_t now,
    const char *source, const char *box)
{
	struct store_val v[4];
	uint64_t changes = 0;
	int err;

	if ((err = store_check(s)) || (err = check_mac(s, mac)))
		return err;
	if (!source || strnlen(source, STORE_SRC_MAX) >= STORE_SRC_MAX)
		return store_err(s, EINVAL,
		    "device %s: source: missing or "
		    "longer than %d bytes",
		    mac, STORE_SRC_MAX - 1);
	if (!box || strnlen(box, STORE_SECRET_BOX_MAX) >= STORE_SECRET_BOX_MAX)
		return store_err(s, EINVAL,
		    "device %s: box: missing or "
		    "longer than %d bytes",
		    mac, STORE_SECRET_BOX_MAX - 1);
	v[0] = (struct store_val){ "mac", mac, 0 };
	v[1] = (struct store_val){ "last_fetch", NULL, now };
	v[2] = (struct store_val){ "last_source", source, 0 };
	v[3] = (struct store_val){ "secret_box", box, 0 };
	if ((err = store_run(s, STORE_DEV_FETCHED, v, 4, &changes)))
		return err;
	if (changes == 0)
		return store_err(s, ENOENT, "no device %s", mac);
	return 0;
}

int
store_device_pending(
    struct store *s, const char *user, const char *domain, uint64_t *n)
{
	struct store_val v[2];
	int err;

	if ((err = store_check(s)) || (err = account_vals(s, user, domain, v)))
		return err;
	return store_run(s, STORE_DEV_PENDING, v, 2, n);
}

/*
 * fraud/fraud_rules.c -- the rule sets of the fraud engine: the
 * configuration's defaults merged into each account and trunk entry,
 * the map from a subject's key to its set ("user@domain", then "user@"
 * for any domain, then the defaults), and the time zones of the hours
 * rules.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fraud/dest.h"
#include "fraud/fraud_int.h"
#include "fraud/tzoff.h"

uint64_t
fraud_key_hash(unsigned kind, const char *s, size_t len)
{
	return str_hash(str_make(s, len)) ^ (kind ? 0x9e3779b97f4a7c15ULL : 0);
}

void
fraud_rules_clear(struct fraud_rules *ru)
{
	unsigned i;

	for (i = 0; ru->map && i < ru->mapsz; i++)
		free(ru->map[i].key);
	free(ru->map);
	for (i = 0; i < ru->ntz; i++)
		tzoff_free(ru->tzs[i]);
	free(ru->tzs);
	free(ru->sets);
	memset(ru, 0, sizeof(*ru));
}

static void
merge(struct cfg_fraud_rules *out, const struct cfg_fraud_rules *d,
    const struct cfg_fraud_rules *o)
{
	unsigned i;

	*out = *d;
	if (!o)
		return;
	for (i = 0; i < FRAUD__NRULES; i++) {
		if (!(o->given & (1u << i)))
			continue;
		out->r[i] = o->r[i];
		switch ((enum fraud_rule)i) {
		case FRAUD_R_BLOCKED:
			out->blocked = o->blocked;
			break;
		case FRAUD_R_FIRST_USE:
			out->first_use = o->first_use;
			break;
		case FRAUD_R_HOURS:
			memcpy(out->spans, o->spans, sizeof(out->spans));
			out->nspans = o->nspans;
			memcpy(out->tz, o->tz, sizeof(out->tz));
			break;
		case FRAUD_R_BASELINE:
			out->bl_factor = o->bl_factor;
			out->bl_min_calls = o->bl_min_calls;
			break;
		default:
			break;
		}
	}
	out->given = d->given | o->given;
}

static int
tz_get(struct fraud_rules *ru, const char *name, const struct tzoff **out)
{
	struct tzoff **n;
	unsigned i;
	int err;

	*out = NULL;
	if (strcmp(name, "UTC") == 0)
		return 0;
	for (i = 0; i < ru->ntz; i++)
		if (strcmp(tzoff_name(ru->tzs[i]), name) == 0) {
			*out = ru->tzs[i];
			return 0;
		}
	n = realloc(ru->tzs, (ru->ntz + 1) * sizeof(*n));
	if (!n)
		return ENOMEM;
	ru->tzs = n;
	err = tzoff_load(&ru->tzs[ru->ntz], name);
	if (err)
		return err;
	*out = ru->tzs[ru->ntz];
	ru->bytes += tzoff_bytes(ru->tzs[ru->ntz]);
	ru->ntz++;
	return 0;
}

static const struct fraud_ovr *
map_find(const struct fraud_rules *ru, unsigned kind, const char *k, size_t len)
{
	uint64_t h;
	unsigned i, n;

	if (!ru->mapsz)
		return NULL;
	h = fraud_key_hash(kind, k, len);
	for (i = (unsigned)h & (ru->mapsz - 1), n = 0; n < ru->mapsz;
	     i = (i + 1) & (ru->mapsz - 1), n++) {
		const struct fraud_ovr *o = &ru->map[i];

		if (!o->key)
			return NULL;
		if (o->hash == h && o->kind == kind && o->keylen == len &&
		    memcmp(o->key, k, len) == 0)
			return o;
	}
	return NULL;
}

static int
map_put(struct fraud_rules *ru, unsigned kind, const char *k, uint32_t set)
{
	size_t len = strlen(k);
	uint64_t h = fraud_key_hash(kind, k, len);
	unsigned i;

	for (i = (unsigned)h & (ru->mapsz - 1); ru->map[i].key;
	     i = (i + 1) & (ru->mapsz - 1))
		;
	ru->map[i].key = strdup(k);
	if (!ru->map[i].key)
		return ENOMEM;
	ru->map[i].hash = h;
	ru->map[i].keylen = len;
	ru->map[i].kind = (uint8_t)kind;
	ru->map[i].set = set;
	ru->bytes += len + 1;
	return 0;
}

/* Do "dt" and the table "c" was checked against have the same classes? */
static bool
same_classes(const struct dest_table *a, const struct dest_table *b)
{
	unsigned i, n;

	if (a == b)
		return true;
	if (!a || !b)
		return false;
	n = dest_nclasses(a);
	if (n != dest_nclasses(b))
		return false;
	for (i = 0; i < n; i++)
		if (strcmp(dest_class(a, i)->name, dest_class(b, i)->name))
			return false;
	return true;
}

int
fraud_rules_build(struct fraud_rules *ru, const struct cfg_fraud *c,
    const struct dest_table *dt)
{
	unsigned i, n;
	int err = 0;

	memset(ru, 0, sizeof(*ru));
	if (!dt)
		dt = c->dest;
	if (c->dest && !same_classes(dt, c->dest))
		return EINVAL;
	ru->dt = dt;
	ru->shadow = c->shadow;
	ru->max_subjects = c->max_subjects ? c->max_subjects : 1;
	ru->max_dialogs = c->max_dialogs ? c->max_dialogs : 1;
	ru->retry_after = c->retry_after ? c->retry_after : 1;
	ru->alert_interval = c->alert_interval;
	ru->nsets = 1 + c->naccounts + c->ntrunks;
	ru->sets = calloc(ru->nsets, sizeof(*ru->sets));
	if (!ru->sets)
		return ENOMEM;
	ru->bytes += ru->nsets * sizeof(*ru->sets);
	merge(&ru->sets[0].r, &c->defaults, NULL);
	for (i = 0; i < c->naccounts; i++)
		merge(&ru->sets[1 + i].r, &c->defaults, &c->accounts[i].rules);
	for (i = 0; i < c->ntrunks; i++)
		merge(&ru->sets[1 + c->naccounts + i].r, &c->defaults,
		    &c->trunks[i].rules);
	for (i = 0; i < ru->nsets && !err; i++)
		if (ru->sets[i].r.r[FRAUD_R_HOURS].on)
			err = tz_get(ru, ru->sets[i].r.tz, &ru->sets[i].tz);
	if (err)
		goto out;
	n = c->naccounts + c->ntrunks;
	for (ru->mapsz = 8; ru->mapsz < 2 * n; ru->mapsz *= 2)
		;
	ru->map = calloc(ru->mapsz, sizeof(*ru->map));
	if (!ru->map) {
		err = ENOMEM;
		goto out;
	}
	ru->bytes += ru->mapsz * sizeof(*ru->map);
	for (i = 0; i < c->naccounts && !err; i++) {
		char k[CFG_FRAUD_USER_MAX + CFG_FRAUD_DOMAIN_MAX + 2];

		snprintf(k, sizeof(k), "%s@%s", c->accounts[i].user,
		    c->accounts[i].domain);
		err = map_put(ru, FRAUD_ACCOUNT, k, 1 + i);
	}
	for (i = 0; i < c->ntrunks && !err; i++)
		err = map_put(
		    ru, FRAUD_TRUNK, c->trunks[i].peer, 1 + c->naccounts + i);
out:
	if (err)
		fraud_rules_clear(ru);
	return err;
}

/* The rule set of a subject: its own entry, "user@" (any domain), or 0. */
uint32_t
fraud_rules_set_for(
    const struct fraud_rules *ru, unsigned kind, const char *key, size_t len)
{
	const struct fraud_ovr *o = map_find(ru, kind, key, len);
	char wild[CFG_FRAUD_USER_MAX + 1];
	size_t ulen;

	if (o)
		return o->set;
	if (kind != FRAUD_ACCOUNT)
		return 0;
	for (ulen = len; ulen > 0 && key[ulen - 1] != '@'; ulen--)
		;
	ulen = ulen ? ulen - 1 : len; /* the user part */
	if (ulen >= CFG_FRAUD_USER_MAX)
		return 0;
	memcpy(wild, key, ulen);
	wild[ulen] = '@';
	o = map_find(ru, kind, wild, ulen + 1);
	return o ? o->set : 0;
}

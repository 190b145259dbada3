/*
 * fraud/tzoff.c -- UTC offsets of a named zone, asked of the C library
 * once and kept as a table of transitions.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fraud/tzoff.h"

#define TZ_FROM 0LL /* 1970-01-01 */
#define TZ_TO 4102444800LL /* 2100-01-01 */
#define TZ_STEP (6 * 3600)

struct tzoff {
	char name[TZOFF_NAME_MAX];
	int32_t first; /* offset before at[0] (or always, n == 0) */
	unsigned n;
	int64_t *at; /* at[i]: the instant off[i] starts */
	int32_t *off;
};

bool
tzoff_is_valid(const char *name)
{
	const char *dir = getenv("TZDIR");
	char path[512];
	struct stat st;
	size_t len = strlen(name);

	if (strcmp(name, "UTC") == 0)
		return true;
	if (len == 0 || len >= TZOFF_NAME_MAX || name[0] == '/' ||
	    name[0] == '.' || strstr(name, "..") ||
	    strspn(name,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"0123456789/_+-") != len)
		return false;
	if (!dir || !dir[0])
		dir = "/usr/share/zoneinfo"; /* the C library's default */
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return false;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int32_t
offset_at(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm))
		return 0;
	return (int32_t)tm.tm_gmtoff;
}

/* Append a transition, growing the arrays. 0 or ENOMEM. */
static int
push(struct tzoff *t, unsigned *cap, int64_t at, int32_t off)
{
	if (t->n == *cap) {
		unsigned ncap = *cap ? *cap * 2 : 64;
		int64_t *a = realloc(t->at, ncap * sizeof(*a));
		int32_t *o;

		if (!a)
			return ENOMEM;
		t->at = a;
		o = realloc(t->off, ncap * sizeof(*o));
		if (!o)
			return ENOMEM;
		t->off = o;
		*cap = ncap;
	}
	t->at[t->n] = at;
	t->off[t->n] = off;
	t->n++;
	return 0;
}

/* Walk the zone now in effect (TZ already set) and record its changes. */
static int
walk(struct tzoff *t)
{
	unsigned cap = 0;
	int64_t s;
	int32_t cur;
	int err;

	cur = t->first = offset_at(TZ_FROM);
	for (s = TZ_FROM + TZ_STEP; s <= TZ_TO; s += TZ_STEP) {
		int32_t o = offset_at(s);
		int64_t lo, hi;

		if (o == cur)
			continue;
		/* The change lies in (s - step, s]: bisect to the second. */
		lo = s - TZ_STEP;
		hi = s;
		while (hi - lo > 1) {
			int64_t mid = lo + (hi - lo) / 2;

			if (offset_at(mid) == cur)
				lo = mid;
			else
				hi = mid;
		}
		err = push(t, &cap, hi, o);
		if (err)
			return err;
		cur = o;
	}
	return 0;
}

int
tzoff_load(struct tzoff **tp, const char *name)
{
	struct tzoff *t;
	char *saved = NULL, spec[TZOFF_NAME_MAX + 1];
	const char *old;
	int err = 0;

	if (!tp || !name || !tzoff_is_valid(name))
		return EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	snprintf(t->name, sizeof(t->name), "%s", name);
	if (strcmp(name, "UTC") == 0)
		goto out;
	old = getenv("TZ");
	if (old && !(saved = strdup(old))) {
		err = ENOMEM;
		goto out;
	}
	snprintf(spec, sizeof(spec), ":%s", name);
	if (setenv("TZ", spec, 1) != 0) {
		err = errno ? errno : ENOMEM;
		goto restore;
	}
	tzset();
	err = walk(t);
restore:
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
out:
	if (err)
		tzoff_free(t);
	else
		*tp = t;
	return err;
}

void
tzoff_free(struct tzoff *t)
{
	if (!t)
		return;
	free(t->at);
	free(t->off);
	free(t);
}

const char *
tzoff_name(const struct tzoff *t)
{
	return t->name;
}

int32_t
tzoff_at(const struct tzoff *t, int64_t utc)
{
	unsigned lo = 0, hi = t->n;

	if (t->n == 0 || utc < t->at[0])
		return t->first;
	/* The last transition at or before "utc". */
	while (hi - lo > 1) {
		unsigned mid = lo + (hi - lo) / 2;

		if (t->at[mid] <= utc)
			lo = mid;
		else
			hi = mid;
	}
	return t->off[lo];
}

size_t
tzoff_bytes(const struct tzoff *t)
{
	return sizeof(*t) + t->n * (sizeof(int64_t) + sizeof(int32_t));
}

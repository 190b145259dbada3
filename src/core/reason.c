/*
 * core/reason.c -- names of the program-wide reason codes.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <string.h>

#include "core/reason.h"

static const char *const names[] = {
#define REASON_NAME(e, n, d) [e] = n,
	REASON_LIST(REASON_NAME)
#undef REASON_NAME
};

static const char *const texts[] = {
#define REASON_TEXT(e, n, d) [e] = d,
	REASON_LIST(REASON_TEXT)
#undef REASON_TEXT
};

const char *
reason_name(enum reason r)
{
	return (unsigned)r < REASON__COUNT ? names[r] : "unknown";
}

const char *
reason_text(enum reason r)
{
	return (unsigned)r < REASON__COUNT ? texts[r] : "unknown";
}

int
reason_parse(struct str name, enum reason *r)
{
	unsigned i;

	for (i = 0; i < REASON__COUNT; i++)
		if (str_eq(name, str_make(names[i], strlen(names[i])))) {
			*r = (enum reason)i;
			return 0;
		}
	return EINVAL;
}

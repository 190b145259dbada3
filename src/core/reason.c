/*
 * core/reason.c -- names of the program-wide reason codes.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
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

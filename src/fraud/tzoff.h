/*
 * fraud/tzoff.h -- the UTC offset of a named time zone at any instant,
 * without touching the process's time zone on the hot path.
 *
 * The C library answers "what is the local time in Europe/Madrid" only
 * for the process-wide zone (TZ), and changing TZ while other threads
 * read the time is a race. So the offsets are asked once, at load time:
 * tzoff_load() sets TZ to the zone, walks 1970..2100 in 6-hour steps
 * with localtime_r(), bisects each change of offset to the second, and
 * restores TZ. What is left is a table of transitions that
 * tzoff_at() searches, thread-safe and allocation-free. Known limit:
 * two changes of offset less than 6 hours apart are seen as one
 * (none in the tz database since 1970). Call tzoff_load() where no
 * other thread reads the time zone or the environment (start-up, or
 * the configuration reload on the main thread).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_FRAUD_TZOFF_H
#define CENTINELA_FRAUD_TZOFF_H

#include <stdbool.h>
#include <stdint.h>

#define TZOFF_NAME_MAX 64

struct tzoff;

/*
 * Is "name" a zone of the tz database installed here ("UTC", or a file
 * under $TZDIR, by default the C library's zoneinfo directory)? No
 * environment change; safe at configuration check time.
 */
bool tzoff_is_valid(const char *name);

/* 0, EINVAL (not a valid zone name) or ENOMEM. Caller owns *tp. */
int tzoff_load(struct tzoff **tp, const char *name);
void tzoff_free(struct tzoff *t);
const char *tzoff_name(const struct tzoff *t);

/* Seconds east of UTC in effect at unix time "utc". */
int32_t tzoff_at(const struct tzoff *t, int64_t utc);

/* Bytes the table holds. */
size_t tzoff_bytes(const struct tzoff *t);

#endif /* CENTINELA_FRAUD_TZOFF_H */

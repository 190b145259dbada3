/*
 * core/date.h -- calendar dates as written in configuration files, data
 * files and command lines: YYYY-MM-DD, UTC.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_DATE_H
#define CENTINELA_CORE_DATE_H

#include <stddef.h>
#include <stdint.h>

/*
 * "YYYY-MM-DD" (exactly; year 1970 or later) as unix seconds of that
 * day at 00:00 UTC in *t. Returns 0; EINVAL when the text is not in
 * that form; ERANGE when the date does not exist (2026-02-30) or is
 * before 1970. On error a one-line reason ("February 2026 has 28
 * days") is written to "err" when it is not NULL.
 */
int date_parse(const char *s, int64_t *t, char *err, size_t errlen);

#endif /* CENTINELA_CORE_DATE_H */

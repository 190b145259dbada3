/*
 * core/date.c -- YYYY-MM-DD dates (see date.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/date.h"

static const char *const month_names[12] = { "January", "February", "March",
	"April", "May", "June", "July", "August", "September", "October",
	"November", "December" };

static int
digits(const char *s, size_t n, int *out)
{
	size_t i;
	int v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
date_parse(const char *s, int64_t *t, char *err, size_t errlen)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	struct tm tm;
	int y, m, d, dim;

	if (!err || !errlen) {
		err = NULL;
		errlen = 0;
	}
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    digits(s, 4, &y) || digits(s + 5, 2, &m) || digits(s + 8, 2, &d)) {
		if (err)
			snprintf(
			    err, errlen, "not a date of the form YYYY-MM-DD");
		return EINVAL;
	}
	if (y < 1970) {
		if (err)
			snprintf(err, errlen, "year %d is before 1970", y);
		return ERANGE;
	}
	if (m < 1 || m > 12) {
		if (err)
			snprintf(err, errlen, "there is no month %02d", m);
		return ERANGE;
	}
	dim = mdays[m - 1] + (m == 2 && leap(y));
	if (d < 1 || d > dim) {
		if (err)
			snprintf(err, errlen, "%s %d has %d days",
			    month_names[m - 1], y, dim);
		return ERANGE;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	*t = (int64_t)timegm(&tm);
	return 0;
}

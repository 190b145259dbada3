/*
 * core/str.c -- length-delimited string views.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <string.h>

#include "core/str.h"

static inline unsigned char
lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

bool
str_eq(struct str a, struct str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.s, b.s, a.len) == 0);
}

bool
str_eq_nocase(struct str a, struct str b)
{
	size_t i;

	if (a.len != b.len)
		return false;
	for (i = 0; i < a.len; i++)
		if (lower((unsigned char)a.s[i]) !=
		    lower((unsigned char)b.s[i]))
			return false;
	return true;
}

bool
str_has_prefix(struct str a, struct str prefix)
{
	return a.len >= prefix.len &&
	    (prefix.len == 0 || memcmp(a.s, prefix.s, prefix.len) == 0);
}

bool
str_has_prefix_nocase(struct str a, struct str prefix)
{
	if (a.len < prefix.len)
		return false;
	return str_eq_nocase(str_make(a.s, prefix.len), prefix);
}

bool
str_contains_nocase(struct str hay, struct str needle)
{
	size_t i;

	if (needle.len == 0)
		return true;
	if (hay.len < needle.len)
		return false;
	for (i = 0; i + needle.len <= hay.len; i++)
		if (str_eq_nocase(str_make(hay.s + i, needle.len), needle))
			return true;
	return false;
}

long
str_chr(struct str a, char c)
{
	const char *p;

	if (a.len == 0)
		return -1;
	p = memchr(a.s, c, a.len);
	return p ? (long)(p - a.s) : -1;
}

static inline bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct str
str_trim(struct str a)
{
	while (a.len > 0 && is_ws(a.s[0])) {
		a.s++;
		a.len--;
	}
	while (a.len > 0 && is_ws(a.s[a.len - 1]))
		a.len--;
	return a;
}

struct str
str_sub(struct str a, size_t from, size_t len)
{
	if (from > a.len)
		from = a.len;
	if (len > a.len - from)
		len = a.len - from;
	return str_make(a.s + from, len);
}

struct str
str_skip(struct str a, size_t n)
{
	return str_sub(a, n, a.len);
}

bool
str_split(struct str a, char sep, struct str *head, struct str *tail)
{
	long i = str_chr(a, sep);

	if (i < 0) {
		*head = a;
		*tail = str_make(a.s + a.len, 0);
		return false;
	}
	*head = str_make(a.s, (size_t)i);
	*tail = str_make(a.s + i + 1, a.len - (size_t)i - 1);
	return true;
}

int
str_to_u64(struct str s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s.len == 0)
		return EINVAL;
	/* All digits first, so that EINVAL wins over ERANGE. */
	for (i = 0; i < s.len; i++)
		if ((unsigned)((unsigned char)s.s[i] - '0') > 9)
			return EINVAL;
	for (i = 0; i < s.len; i++) {
		unsigned d = (unsigned char)s.s[i] - '0';

		if (v > (UINT64_MAX - d) / 10)
			return ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
str_to_u32_max(struct str s, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int err;

	err = str_to_u64(s, &v);
	if (err)
		return err;
	if (v > max)
		return ERANGE;
	*out = (uint32_t)v;
	return 0;
}

int
str_to_u32(struct str s, uint32_t *out)
{
	return str_to_u32_max(s, UINT32_MAX, out);
}

int
str_copy_cstr(struct str a, char *dst, size_t cap)
{
	if (cap == 0 || a.len >= cap)
		return ENOSPC;
	if (a.len)
		memcpy(dst, a.s, a.len);
	dst[a.len] = '\0';
	return 0;
}

uint64_t
str_hash(struct str a)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < a.len; i++) {
		h ^= (unsigned char)a.s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

uint64_t
str_hash_nocase(struct str a)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < a.len; i++) {
		h ^= lower((unsigned char)a.s[i]);
		h *= 1099511628211ULL;
	}
	return h;
}

/*
 * core/str.h -- length-delimited string views.
 *
 * A struct str is two machine words passed by value. It never owns its
 * bytes and is never NUL-terminated: no libc str* function and no
 * NUL-stopping lookup may see one. Owned copies are explicit.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_STR_H
#define CENTINELA_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct str {
	const char *s;
	size_t len;
};

/* A view of a string literal, length computed at compile time. */
#define STR(lit) ((struct str){ (lit), sizeof(lit) - 1 })
#define STR_NULL ((struct str){ NULL, 0 })
/* printf helper: printf("%.*s", STR_FMT(v)) */
#define STR_FMT(v) (int)(v).len, (v).s

static inline struct str
str_make(const char *s, size_t len)
{
	return (struct str){ s, len };
}

static inline bool
str_is_empty(struct str a)
{
	return a.len == 0;
}

/* Byte-wise equality; compares lengths first. */
bool str_eq(struct str a, struct str b);
/* ASCII case-insensitive equality. */
bool str_eq_nocase(struct str a, struct str b);
bool str_has_prefix(struct str a, struct str prefix);
bool str_has_prefix_nocase(struct str a, struct str prefix);
/* Case-insensitive substring search; returns true when found. */
bool str_contains_nocase(struct str hay, struct str needle);
/* Index of the first "c" in "a", or -1. */
long str_chr(struct str a, char c);
/* Remove leading and trailing SP, HT, CR and LF. */
struct str str_trim(struct str a);
/* Sub-view [from, from+len) clamped to "a". */
struct str str_sub(struct str a, size_t from, size_t len);
/* Drop the first n bytes (clamped). */
struct str str_skip(struct str a, size_t n);
/*
 * Split "a" at the first "sep": *head gets the part before, *tail the
 * part after. Returns false (head = a, tail empty) when sep is absent.
 */
bool str_split(struct str a, char sep, struct str *head, struct str *tail);

/*
 * Checked converters (the strtonum(3) contract). Accept only ASCII
 * digits, no sign or space. Return 0, EINVAL on an empty or non-digit
 * input, ERANGE on overflow or above "max". *out is untouched on error.
 */
int str_to_u32(struct str s, uint32_t *out);
int str_to_u64(struct str s, uint64_t *out);
int str_to_u32_max(struct str s, uint32_t max, uint32_t *out);

/*
 * Copy "a" into "dst" of capacity "cap" and NUL-terminate it, for the
 * few places that must hand bytes to a C API. Returns 0 or ENOSPC.
 */
int str_copy_cstr(struct str a, char *dst, size_t cap);

/* 64-bit FNV-1a of the bytes (and its case-folding variant). */
uint64_t str_hash(struct str a);
uint64_t str_hash_nocase(struct str a);

#endif /* CENTINELA_CORE_STR_H */

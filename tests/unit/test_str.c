/*
 * tests/unit/test_str.c -- the struct str view API and its checked
 * number converters (EINVAL / ERANGE, *out untouched on error).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/siphash.h"
#include "core/str.h"

static void
assert_view(struct str v, const char *want)
{
	assert_int_equal(v.len, strlen(want));
	if (v.len)
		assert_memory_equal(v.s, want, v.len);
}

static void
str_literals(void **state)
{
	struct str a = STR("abc"), n = STR_NULL;

	assert_int_equal(a.len, 3);
	assert_null(n.s);
	assert_int_equal(n.len, 0);
	assert_true(str_is_empty(n));
	assert_true(str_is_empty(STR("")));
	assert_false(str_is_empty(a));
	assert_view(str_make("xyz", 2), "xy");
}

static void
str_equality(void **state)
{
	assert_true(str_eq(STR("abc"), STR("abc")));
	assert_false(str_eq(STR("abc"), STR("abd")));
	assert_false(str_eq(STR("abc"), STR("ab")));
	assert_true(str_eq(STR(""), STR_NULL));
	assert_true(str_eq_nocase(STR("Call-ID"), STR("call-id")));
	assert_false(str_eq_nocase(STR("Call-ID"), STR("call-ix")));
	assert_false(str_eq_nocase(STR("a"), STR("ab")));
	/* Only ASCII letters fold: '[' is not '{'. */
	assert_false(str_eq_nocase(STR("["), STR("{")));
	/* Embedded NUL bytes are data, not terminators. */
	assert_false(str_eq(str_make("a\0b", 3), str_make("a\0c", 3)));
	assert_true(str_eq(str_make("a\0b", 3), str_make("a\0b", 3)));
}

static void
str_prefixes(void **state)
{
	assert_true(str_has_prefix(STR("SIP/2.0"), STR("SIP/")));
	assert_false(str_has_prefix(STR("SIP"), STR("SIP/")));
	assert_true(str_has_prefix(STR("x"), STR("")));
	assert_true(str_has_prefix_nocase(STR("sip:a"), STR("SIP:")));
	assert_false(str_has_prefix_nocase(STR("si"), STR("SIP:")));
	assert_true(str_contains_nocase(STR("Hello World"), STR("WORLD")));
	assert_false(str_contains_nocase(STR("Hello"), STR("World")));
	assert_true(str_contains_nocase(STR("x"), STR("")));
	assert_false(str_contains_nocase(STR(""), STR("x")));
	assert_false(str_contains_nocase(
	    str_make("/public\0/admin", 14), STR("/public/admin")));
}

static void
str_search(void **state)
{
	assert_int_equal(str_chr(STR("a;b;c"), ';'), 1);
	assert_int_equal(str_chr(STR("abc"), ';'), -1);
	assert_int_equal(str_chr(STR_NULL, ';'), -1);
	assert_int_equal(str_chr(str_make("a\0b", 3), 'b'), 2);
}

static void
str_trim_sub_skip(void **state)
{
	assert_view(str_trim(STR(" \t\r\n ab c \r\n")), "ab c");
	assert_view(str_trim(STR("   ")), "");
	assert_view(str_trim(STR_NULL), "");
	assert_view(str_sub(STR("abcdef"), 2, 3), "cde");
	assert_view(str_sub(STR("abcdef"), 4, 100), "ef");
	assert_view(str_sub(STR("abcdef"), 10, 1), "");
	assert_view(str_skip(STR("abcdef"), 4), "ef");
	assert_view(str_skip(STR("abc"), 5), "");
}

static void
str_split_views(void **state)
{
	struct str h, t;

	assert_true(str_split(STR("user@host"), '@', &h, &t));
	assert_view(h, "user");
	assert_view(t, "host");
	assert_true(str_split(STR("@"), '@', &h, &t));
	assert_view(h, "");
	assert_view(t, "");
	assert_false(str_split(STR("nohost"), '@', &h, &t));
	assert_view(h, "nohost");
	assert_view(t, "");
}

static void
str_copy(void **state)
{
	char b[4];

	memset(b, 'x', sizeof(b));
	assert_int_equal(str_copy_cstr(STR("abc"), b, sizeof(b)), 0);
	assert_string_equal(b, "abc");
	assert_int_equal(str_copy_cstr(STR("abcd"), b, sizeof(b)), ENOSPC);
	assert_int_equal(str_copy_cstr(STR(""), b, 0), ENOSPC);
	assert_int_equal(str_copy_cstr(STR(""), b, 1), 0);
	assert_string_equal(b, "");
}

static void
str_hashes(void **state)
{
	assert_true(str_hash(STR("abc")) == str_hash(STR("abc")));
	assert_true(str_hash(STR("abc")) != str_hash(STR("abd")));
	assert_true(str_hash_nocase(STR("Via")) == str_hash_nocase(STR("vIA")));
	assert_true(str_hash(STR("Via")) != str_hash(STR("vIA")));
	/* FNV-1a offset basis for the empty string. */
	assert_true(str_hash(STR("")) == 1469598103934665603ULL);
}

/* ---- checked converters, table driven ---- */

enum conv {
	U32,
	U64,
	U32_MAX
};

struct conv_case {
	const char *name;
	enum conv fn;
	const char *in;
	uint32_t max;
	int err;
	uint64_t want;
};

static struct conv_case conv_cases[] = {
	{ "u32_zero", U32, "0", 0, 0, 0 },
	{ "u32_leading_zeros", U32, "000070", 0, 0, 70 },
	{ "u32_max", U32, "4294967295", 0, 0, 4294967295U },
	{ "u32_over", U32, "4294967296", 0, ERANGE, 0 },
	{ "u32_way_over", U32, "99999999999999999999999", 0, ERANGE, 0 },
	{ "u32_empty", U32, "", 0, EINVAL, 0 },
	{ "u32_sign_plus", U32, "+1", 0, EINVAL, 0 },
	{ "u32_sign_minus", U32, "-1", 0, EINVAL, 0 },
	{ "u32_space_lead", U32, " 1", 0, EINVAL, 0 },
	{ "u32_space_trail", U32, "1 ", 0, EINVAL, 0 },
	{ "u32_alpha", U32, "12a", 0, EINVAL, 0 },
	{ "u32_hex", U32, "0x10", 0, EINVAL, 0 },
	{ "u32_nonascii_digit", U32, "1\xd9\xa1", 0, EINVAL, 0 },
	{ "u32_over_then_junk", U32, "99999999999999999999999x", 0, EINVAL, 0 },
	{ "u32_over_then_space", U32, "99999999999999999999999 ", 0, EINVAL,
	    0 },
	{ "u64_max", U64, "18446744073709551615", 0, 0, UINT64_MAX },
	{ "u64_over", U64, "18446744073709551616", 0, ERANGE, 0 },
	{ "u64_empty", U64, "", 0, EINVAL, 0 },
	{ "u64_alpha", U64, "1a", 0, EINVAL, 0 },
	{ "u64_over_then_junk", U64, "999999999999999999999999x", 0, EINVAL,
	    0 },
	{ "u32max_at", U32_MAX, "255", 255, 0, 255 },
	{ "u32max_over", U32_MAX, "256", 255, ERANGE, 0 },
	{ "u32max_port", U32_MAX, "65535", 65535, 0, 65535 },
	{ "u32max_port_over", U32_MAX, "65536", 65535, ERANGE, 0 },
	{ "u32max_zero_max", U32_MAX, "0", 0, 0, 0 },
	{ "u32max_alpha", U32_MAX, "2x", 255, EINVAL, 0 },
	{ "u32max_over_alpha", U32_MAX, "999x", 255, EINVAL, 0 },
};

static void
conv_case(void **state)
{
	const struct conv_case *c = *state;
	struct str in = str_make(c->in, strlen(c->in));
	uint32_t o32 = 0xdeadbeef;
	uint64_t o64 = 0xdeadbeefcafeULL;
	int err;

	switch (c->fn) {
	case U32:
		err = str_to_u32(in, &o32);
		break;
	case U64:
		err = str_to_u64(in, &o64);
		break;
	default:
		err = str_to_u32_max(in, c->max, &o32);
		break;
	}
	assert_int_equal(err, c->err);
	if (c->fn == U64) {
		if (err)
			assert_true(o64 == 0xdeadbeefcafeULL);
		else
			assert_true(o64 == c->want);
	} else {
		if (err)
			assert_int_equal(o32, 0xdeadbeef);
		else
			assert_int_equal(o32, c->want);
	}
}

/*
 * SipHash-2-4 reference vectors (the paper's appendix and the reference
 * implementation's vectors.h): key 00..0f, message 00..(len-1).
 */
static void
siphash_vectors(void **state)
{
	static const struct {
		size_t len;
		uint64_t want;
	} v[] = { { 0, 0x726fdb47dd0e0e31ULL }, { 1, 0x74f839c593dc67fdULL },
		{ 7, 0xab0200f58b01d137ULL }, { 8, 0x93f5f5799a932462ULL },
		{ 15, 0xa129ca6149be45e5ULL }, { 63, 0x958a324ceb064572ULL } };
	uint64_t k[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	unsigned char m[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(m); i++)
		m[i] = (unsigned char)i;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_true(siphash24(k, m, v[i].len) == v[i].want);
}

#define T(f) cmocka_unit_test(f)

static const struct CMUnitTest fixed_tests[] = {
	T(str_literals),
	T(str_equality),
	T(str_prefixes),
	T(str_search),
	T(str_trim_sub_skip),
	T(str_split_views),
	T(str_copy),
	T(str_hashes),
	T(siphash_vectors),
};

#define NFIXED (sizeof(fixed_tests) / sizeof(fixed_tests[0]))
#define NCONV (sizeof(conv_cases) / sizeof(conv_cases[0]))

int
main(void)
{
	static struct CMUnitTest tests[NFIXED + NCONV];
	size_t i;

	for (i = 0; i < NFIXED; i++)
		tests[i] = fixed_tests[i];
	for (i = 0; i < NCONV; i++)
		tests[NFIXED + i] = (struct CMUnitTest){
			.name = conv_cases[i].name,
			.test_func = conv_case,
			.initial_state = &conv_cases[i],
		};
	return cmocka_run_group_tests_name("str", tests, NULL, NULL);
}

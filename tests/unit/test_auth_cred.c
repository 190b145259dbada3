/*
 * tests/unit/test_auth_cred.c -- the password policy (each weak example
 * refused with its reason), generated secrets and passwords (format,
 * uniqueness, crude entropy, policy), Argon2id hashes and HA1
 * known-answer vectors.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/cred.h"

/* ---- policy: weak secrets, table driven ---- */

struct weak_case {
	const char *name;
	const char *user;
	const char *secret;
	const char *why; /* expected substring of the reason */
};

static struct weak_case weak_cases[] = {
	{ "weak_is_user", "1200", "1200", "is the username" },
	{ "weak_is_user_reversed", "1200", "0021", "is the username reversed" },
	{ "weak_has_user", "1200", "xx1200yyzzqq", "contains the username" },
	{ "weak_has_user_nocase", "Alice", "zzALICEzz-77",
	    "contains the username" },
	{ "weak_has_user_reversed", "alice", "Zecila-Monday7",
	    "contains the username reversed" },
	{ "weak_has_user_local_part", "alice@example.com", "alice2024horse!",
	    "contains the username" },
	{ "weak_x100x", "100", "x100x100x100", "contains the username" },
	{ "weak_1234", "100", "1234", "only digits" },
	{ "weak_0000", "203", "0000", "only digits" },
	{ "weak_long_digits", "100", "98127364501928", "only digits" },
	{ "weak_password", "320", "password", "a common password" },
	{ "weak_Password123!", "320", "Password123!", "a common password" },
	{ "weak_P@ssw0rd2024", "320", "P@ssw0rd2024", "a common password" },
	{ "weak_asterisk", "320", "Asterisk", "a common password" },
	{ "weak_letmein", "320", "!!LetMeIn99", "a common password" },
	{ "weak_123456", "320", "123456", "a common password" },
	{ "weak_short", "100", "xk7-Rq", "shorter than 10 characters" },
	{ "weak_qwertyuiop", "100", "qwertyuiop", "a keyboard walk" },
	{ "weak_walk_reversed", "100", "Zmy-poiuy-8pq", "a keyboard walk" },
	{ "weak_walk_asdf", "100", "Kb7-ASDF-tmz", "a keyboard walk" },
	{ "weak_abcdefghijk", "100", "abcdefghijk", "a character sequence" },
	{ "weak_digits_down", "100", "Tk-9876-xvqz", "a character sequence" },
	{ "weak_aaaa", "100", "aaaaaaaaaaaa", "a repeated character run" },
	{ "weak_palindrome", "100", "racecar1racecar", "a palindrome" },
	{ "weak_cracklib_word", "bob", "dictionary", "dictionary check" },
	{ "weak_cracklib_simple", "bob", "abcabcabcabc", "dictionary check" },
	{ "weak_empty", "100", "", "empty" },
	{ "weak_null", "100", NULL, "empty" },
};

static void
weak_case(void **state)
{
	const struct weak_case *c = *state;
	char why[128];

	memset(why, 'x', sizeof(why));
	why[sizeof(why) - 1] = '\0';
	assert_int_equal(
	    cred_policy_check(c->user, c->secret, why, sizeof(why)), -1);
	if (!strstr(why, c->why))
		fail_msg("reason \"%s\", want \"%s\"", why, c->why);
	/* One line, and never the secret (unless the reason's own words). */
	assert_null(strchr(why, '\n'));
	if (c->secret && strlen(c->secret) >= 4 && !strstr(c->why, c->secret))
		assert_null(strstr(why, c->secret));
}

/* ---- policy: accepted secrets and the "why" buffer ---- */

static void
policy_accepts(void **state)
{
	static const char *const good[] = {
		"tobaki-ravemu-nelosu-472",
		"xK9mQ2vLp8RtZ4wN7bY3cJ6h",
		"correct horse battery staple",
		"Gr8-lemon-Sofa-Umbrella",
	};
	static const char *const users[] = { "1200", "100", "alice",
		"bob@example.com", "", NULL };
	char why[128];
	size_t i, u;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		for (u = 0; u < sizeof(users) / sizeof(users[0]); u++) {
			why[0] = '\0';
			if (cred_policy_check(
				users[u], good[i], why, sizeof(why)) != 0)
				fail_msg("good[%zu] refused: %s", i, why);
		}
}

static void
policy_why_optional_and_truncated(void **state)
{
	char why[6];

	assert_int_equal(cred_policy_check("1200", "1200", NULL, 0), -1);
	assert_int_equal(cred_policy_check("1200", "1200", why, 0), -1);
	memset(why, 'x', sizeof(why));
	assert_int_equal(
	    cred_policy_check("1200", "1200", why, sizeof(why)), -1);
	assert_string_equal(why, "is th");
	/* A short username is refused whole, not as a substring. */
	assert_int_equal(cred_policy_check("42", "zq42-tomaviku", NULL, 0), 0);
	assert_int_equal(cred_policy_check("42", "42", NULL, 0), -1);
}

/* ---- generated secrets ---- */

#define NDRAWS 1000

static bool
is_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

static int
cmp_secret(const void *a, const void *b)
{
	return memcmp(a, b, CRED_SECRET_LEN + 1);
}

static void
secret_format_unique(void **state)
{
	static char s[NDRAWS][CRED_SECRET_LEN + 1];
	size_t i, k;

	for (i = 0; i < NDRAWS; i++) {
		assert_int_equal(cred_gen_secret(s[i], sizeof(s[i])), 0);
		assert_int_equal(strlen(s[i]), CRED_SECRET_LEN);
		for (k = 0; k < CRED_SECRET_LEN; k++)
			assert_true(is_alnum(s[i][k]));
	}
	qsort(s, NDRAWS, sizeof(s[0]), cmp_secret);
	for (i = 1; i < NDRAWS; i++)
		assert_int_not_equal(memcmp(s[i - 1], s[i], sizeof(s[0])), 0);
}

static int
sym_index(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return 26 + c - 'a';
	return 52 + c - '0';
}

/*
 * 24000 symbols over 62 values: each count ~ 387 +- 19.5. Pearson's
 * chi-square has 61 degrees of freedom (mean 61, sd 11); 130 is beyond
 * six sd. A "% 62" without rejection would over-draw the first 8
 * symbols by 25% and score ~200.
 */
static void
secret_frequencies(void **state)
{
	char s[CRED_SECRET_LEN + 1];
	unsigned cnt[62] = { 0 };
	double e = NDRAWS * CRED_SECRET_LEN / 62.0, chi = 0;
	size_t i, k;

	for (i = 0; i < NDRAWS; i++) {
		assert_int_equal(cred_gen_secret(s, sizeof(s)), 0);
		for (k = 0; k < CRED_SECRET_LEN; k++)
			cnt[sym_index(s[k])]++;
	}
	for (k = 0; k < 62; k++) {
		if (cnt[k] < 290 || cnt[k] > 485)
			fail_msg("symbol %zu drawn %u times", k, cnt[k]);
		chi += (cnt[k] - e) * (cnt[k] - e) / e;
	}
	if (chi > 130)
		fail_msg("chi-square %.1f", chi);
}

static void
secret_passes_policy(void **state)
{
	static const char *const users[] = { "sipuser1200", "alice", NULL };
	char s[CRED_SECRET_LEN + 1], why[128];
	size_t i;

	for (i = 0; i < 300; i++) {
		assert_int_equal(cred_gen_secret(s, sizeof(s)), 0);
		if (cred_policy_check(users[i % 3], s, why, sizeof(why)))
			fail_msg("generated secret refused: %s", why);
	}
}

static void
secret_bad_args(void **state)
{
	char s[CRED_SECRET_LEN + 1];

	memset(s, 'x', sizeof(s));
	assert_int_equal(cred_gen_secret(s, CRED_SECRET_LEN), -1);
	assert_int_equal(cred_gen_secret(NULL, 100), -1);
	assert_int_equal(cred_gen_secret(s, sizeof(s)), 0);
	assert_int_equal(s[CRED_SECRET_LEN], '\0');
}

/* ---- generated passwords ---- */

#define PW_LEN 24

static bool
in_set(char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/* "cvcvcv-cvcvcv-cvcvcv-ddd" */
static void
assert_pw_shape(const char *pw, unsigned *cons_seen)
{
	static const char cons[] = "bdfghjklmnprstvz", vow[] = "aeiou";
	size_t i;

	assert_int_equal(strlen(pw), PW_LEN);
	for (i = 0; i < 21; i++) {
		if (i % 7 == 6)
			assert_int_equal(pw[i], '-');
		else if (i % 7 % 2 == 0) {
			assert_true(in_set(pw[i], cons));
			cons_seen[strchr(cons, pw[i]) - cons]++;
		} else
			assert_true(in_set(pw[i], vow));
	}
	for (; i < PW_LEN; i++)
		assert_true(pw[i] >= '0' && pw[i] <= '9');
}

static void
password_format_unique(void **state)
{
	static char pw[200][PW_LEN + 1];
	unsigned cons_seen[16] = { 0 };
	size_t i, j;

	for (i = 0; i < 200; i++) {
		assert_int_equal(
		    cred_gen_password("alice", pw[i], sizeof(pw[i])), 0);
		assert_pw_shape(pw[i], cons_seen);
	}
	for (i = 0; i < 200; i++)
		for (j = i + 1; j < 200; j++)
			assert_string_not_equal(pw[i], pw[j]);
	/* 1800 consonant draws, ~112 each: all 16 must show up. */
	for (i = 0; i < 16; i++)
		assert_true(cons_seen[i] > 40);
}

static void
password_passes_policy(void **state)
{
	/* "bak", "tobaki", "ravemu" fit the syllable pattern on purpose. */
	static const char *const users[] = { "1200", "100", "alice", "bak",
		"tobaki", "ravemu@example.com", "", NULL };
	char pw[PW_LEN + 1], why[128];
	size_t u, i;

	for (u = 0; u < sizeof(users) / sizeof(users[0]); u++)
		for (i = 0; i < 25; i++) {
			assert_int_equal(
			    cred_gen_password(users[u], pw, sizeof(pw)), 0);
			if (cred_policy_check(users[u], pw, why, sizeof(why)))
				fail_msg("generated password refused: %s", why);
		}
}

static void
password_bad_args(void **state)
{
	char pw[PW_LEN + 1];

	assert_int_equal(cred_gen_password("alice", pw, PW_LEN), -1);
	assert_int_equal(cred_gen_password("alice", NULL, 100), -1);
}

/* ---- Argon2id ---- */

#define A2_PREFIX "$argon2id$v=19$m=19456,t=2,p=1$"

static void
hash_verify(void **state)
{
	char h1[CRED_ARGON2_ENCODED_MAX], h2[CRED_ARGON2_ENCODED_MAX];
	const char *pw = "tobaki-ravemu-nelosu-472";

	assert_int_equal(cred_password_hash(pw, h1, sizeof(h1)), 0);
	assert_true(strncmp(h1, A2_PREFIX, strlen(A2_PREFIX)) == 0);
	assert_true(strlen(h1) < CRED_ARGON2_ENCODED_MAX);
	assert_int_equal(cred_password_verify(h1, pw), 0);
	assert_int_equal(
	    cred_password_verify(h1, "tobaki-ravemu-nelosu-473"), -1);
	assert_int_equal(cred_password_verify(h1, ""), -1);
	/* A fresh salt each time: same password, another hash, both good. */
	assert_int_equal(cred_password_hash(pw, h2, sizeof(h2)), 0);
	assert_string_not_equal(h1, h2);
	assert_int_equal(cred_password_verify(h2, pw), 0);
}

static void
hash_rejects_garbage(void **state)
{
	char h[CRED_ARGON2_ENCODED_MAX], bad[CRED_ARGON2_ENCODED_MAX + 64];
	const char *pw = "correct horse battery staple", *tail;
	size_t len;

	assert_int_equal(cred_password_hash(pw, h, sizeof(h)), 0);
	len = strlen(h);
	tail = h + strlen(A2_PREFIX);

	assert_int_equal(cred_password_verify("", pw), -1);
	assert_int_equal(cred_password_verify("garbage", pw), -1);
	assert_int_equal(cred_password_verify(NULL, pw), -1);
	assert_int_equal(cred_password_verify(h, NULL), -1);

	/* Truncated. */
	memcpy(bad, h, len - 5);
	bad[len - 5] = '\0';
	assert_int_equal(cred_password_verify(bad, pw), -1);

	/* One tag character changed. */
	memcpy(bad, h, len + 1);
	bad[len - 2] = bad[len - 2] == 'A' ? 'B' : 'A';
	assert_int_equal(cred_password_verify(bad, pw), -1);

	/* Another variant with the same salt and tag. */
	snprintf(bad, sizeof(bad), "$argon2i$v=19$m=19456,t=2,p=1$%s", tail);
	assert_int_equal(cred_password_verify(bad, pw), -1);

	/* Costs beyond the limits are refused before any work. */
	snprintf(bad, sizeof(bad), "$argon2id$v=19$m=4194304,t=2,p=1$%s", tail);
	assert_int_equal(cred_password_verify(bad, pw), -1);
	snprintf(
	    bad, sizeof(bad), "$argon2id$v=19$m=19456,t=1000,p=1$%s", tail);
	assert_int_equal(cred_password_verify(bad, pw), -1);
	snprintf(bad, sizeof(bad), "$argon2id$v=19$m=19456,t=2,p=-1$%s", tail);
	assert_int_equal(cred_password_verify(bad, pw), -1);

	/* Over-long encodings. */
	memset(bad, 'A', sizeof(bad) - 1);
	bad[sizeof(bad) - 1] = '\0';
	memcpy(bad, A2_PREFIX, strlen(A2_PREFIX));
	assert_int_equal(cred_password_verify(bad, pw), -1);

	/* The untouched hash still verifies. */
	assert_int_equal(cred_password_verify(h, pw), 0);
}

static void
hash_bad_args(void **state)
{
	char h[CRED_ARGON2_ENCODED_MAX];

	assert_int_equal(cred_password_hash("pw", h, 40), -1);
	assert_int_equal(cred_password_hash(NULL, h, sizeof(h)), -1);
	assert_int_equal(cred_password_hash("pw", NULL, sizeof(h)), -1);
}

/* ---- HA1 ---- */

struct ha1_kat {
	enum digest_alg alg;
	const char *user, *realm, *secret, *hex;
};

/* Expected values from md5sum / sha256sum of "user:realm:secret". */
static const struct ha1_kat ha1_kats[] = {
	{ DIGEST_MD5, "alice", "example.com", "secret",
	    "b1726872c344b6dc8365b774f8fd6412" },
	{ DIGEST_SHA256, "alice", "example.com", "secret",
	    "ed8925b20f9a77b8f8f8d5f8e4467fe32b866f7208ab9e4b20595e9821a0fde"
	    "e" },
	/* RFC 2617 section 3.5. */
	{ DIGEST_MD5, "Mufasa", "testrealm@host.com", "Circle Of Life",
	    "939e7578ed9e3c518a452acee763bce9" },
	/* RFC 7616 section 3.9.1 credentials. */
	{ DIGEST_SHA256, "Mufasa", "http-auth@example.org", "Circle of Life",
	    "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b479423"
	    "2" },
	/* Empty secret (hashes "u:r:"). */
	{ DIGEST_MD5, "u", "r", "", "812a8f2a85863e9e1647da6133ea230d" },
};

static struct str
cstr(const char *s)
{
	return str_make(s, strlen(s));
}

static void
ha1_vectors(void **state)
{
	char hex[CRED_HEX_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(ha1_kats) / sizeof(ha1_kats[0]); i++) {
		const struct ha1_kat *k = &ha1_kats[i];

		memset(hex, 'x', sizeof(hex));
		assert_int_equal(cred_ha1(k->alg, cstr(k->user), cstr(k->realm),
				     cstr(k->secret), hex),
		    0);
		assert_string_equal(hex, k->hex);
		assert_int_equal(strlen(hex), cred_hex_len(k->alg));
	}
}

static void
ha1_views_not_terminated(void **state)
{
	static const char buf[] = "aliceexample.comsecretTRAILING";
	char hex[CRED_HEX_MAX + 1];

	assert_int_equal(cred_ha1(DIGEST_MD5, str_make(buf, 5),
			     str_make(buf + 5, 11), str_make(buf + 16, 6), hex),
	    0);
	assert_string_equal(hex, ha1_kats[0].hex);
}

static void
ha1_bad_args(void **state)
{
	char hex[CRED_HEX_MAX + 1];

	memset(hex, 'x', sizeof(hex));
	assert_int_equal(
	    cred_ha1(DIGEST_ALG_COUNT, STR("a"), STR("b"), STR("c"), hex), -1);
	assert_int_equal(hex[0], '\0');
	assert_int_equal(
	    cred_ha1(DIGEST_MD5, STR("a"), STR("b"), STR("c"), NULL), -1);
	/* A view with a length but no bytes. */
	assert_int_equal(
	    cred_ha1(DIGEST_MD5, str_make(NULL, 3), STR("b"), STR("c"), hex),
	    -1);
}

static void
alg_names_and_lengths(void **state)
{
	assert_int_equal(cred_hex_len(DIGEST_MD5), 32);
	assert_int_equal(cred_hex_len(DIGEST_SHA256), 64);
	assert_int_equal(cred_hex_len(DIGEST_ALG_COUNT), 0);
	assert_true(CRED_HEX_MAX >= cred_hex_len(DIGEST_SHA256));
	assert_string_equal(cred_alg_name(DIGEST_MD5), "MD5");
	assert_string_equal(cred_alg_name(DIGEST_SHA256), "SHA-256");
	assert_null(cred_alg_name(DIGEST_ALG_COUNT));
}

#define T(f) cmocka_unit_test(f)

static const struct CMUnitTest fixed_tests[] = {
	T(policy_accepts),
	T(policy_why_optional_and_truncated),
	T(secret_format_unique),
	T(secret_frequencies),
	T(secret_passes_policy),
	T(secret_bad_args),
	T(password_format_unique),
	T(password_passes_policy),
	T(password_bad_args),
	T(hash_verify),
	T(hash_rejects_garbage),
	T(hash_bad_args),
	T(ha1_vectors),
	T(ha1_views_not_terminated),
	T(ha1_bad_args),
	T(alg_names_and_lengths),
};

#define NFIXED (sizeof(fixed_tests) / sizeof(fixed_tests[0]))
#define NWEAK (sizeof(weak_cases) / sizeof(weak_cases[0]))

int
main(void)
{
	static struct CMUnitTest tests[NFIXED + NWEAK];
	size_t i;

	for (i = 0; i < NWEAK; i++)
		tests[i] = (struct CMUnitTest){
			.name = weak_cases[i].name,
			.test_func = weak_case,
			.initial_state = &weak_cases[i],
		};
	for (i = 0; i < NFIXED; i++)
		tests[NWEAK + i] = fixed_tests[i];
	return cmocka_run_group_tests_name("auth_cred", tests, NULL, NULL);
}

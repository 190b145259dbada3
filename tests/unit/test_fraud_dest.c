/*
 * tests/unit/test_fraud_dest.c -- destination classes: the embedded
 * table, lookups of every kind of destination, longest prefix, the
 * loader's errors, a cross-check against a naive lookup, and the speed
 * of the lookup (printed, not asserted).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fraud/dest.h"

static struct dest_table *table; /* the embedded one */

static int
setup(void **state)
{
	return dest_load(&table, NULL, stderr);
}

static int
teardown(void **state)
{
	dest_free(table);
	return 0;
}

static const char *
cls_of(const struct dest_table *t, const char *num)
{
	return dest_class(t, dest_lookup(t, num, strlen(num)))->name;
}

#define TMP_TEMPLATE "/tmp/dest-test-XXXXXX"

/*
 * Write "text" (len bytes) to a new temporary file, whose name goes to
 * "path" (sizeof(TMP_TEMPLATE) bytes); the caller unlinks it.
 */
static void
write_tmp(char *path, const char *text, size_t len)
{
	int fd;

	memcpy(path, TMP_TEMPLATE, sizeof(TMP_TEMPLATE));
	fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/*
 * Load "text" from a temporary file. Returns dest_load's result; the
 * table (or NULL) goes to *tp, the error output to *errs (caller frees),
 * the file's name to "path".
 */
static int
load_text(struct dest_table **tp, const char *text, size_t len, char **errs,
    char *path)
{
	size_t elen = 0;
	FILE *ef = open_memstream(errs, &elen);
	int rc;

	assert_non_null(ef);
	write_tmp(path, text, len);
	*tp = (struct dest_table *)(uintptr_t)1; /* must be cleared */
	rc = dest_load(tp, path, ef);
	fclose(ef);
	unlink(path);
	return rc;
}

static void
test_embedded(void **state)
{
	const struct dest_class *c;
	int id;

	assert_string_equal(dest_version(table), "2026-11-21");
	assert_true(dest_nclasses(table) > 20);
	assert_true(dest_nclasses(table) <= DEST_CLASSES_MAX);
	c = dest_class(table, 0);
	assert_string_equal(c->name, "unknown");
	assert_int_equal(c->risk, DEST_RISK_HIGH);
	assert_int_equal(c->cost_e4, 0);
	id = dest_class_find(table, "premium");
	assert_true(id > 0);
	c = dest_class(table, (unsigned)id);
	assert_int_equal(c->risk, DEST_RISK_HIGH);
	assert_true(c->cost_e4 > 0);
	c = dest_class(table, (unsigned)dest_class_find(table, "fixed"));
	assert_int_equal(c->risk, DEST_RISK_LOW);
	assert_int_equal(dest_class_find(table, "no-such-class"), -1);
	assert_int_equal(dest_class_find(table, NULL), -1);
	/* Out of range: "unknown", never NULL. */
	assert_string_equal(dest_class(table, 9999)->name, "unknown");
}

static void
test_spain(void **state)
{
	assert_string_equal(cls_of(table, "34912345678"), "fixed");
	assert_string_equal(cls_of(table, "34934567890"), "fixed");
	assert_string_equal(cls_of(table, "34812345678"), "fixed");
	assert_string_equal(cls_of(table, "34512345678"), "fixed");
	assert_string_equal(cls_of(table, "34612345678"), "mobile");
	assert_string_equal(cls_of(table, "34712345678"), "mobile");
	assert_string_equal(cls_of(table, "34741234567"), "mobile");
	assert_string_equal(cls_of(table, "34800123456"), "freephone");
	assert_string_equal(cls_of(table, "34900123456"), "freephone");
	assert_string_equal(cls_of(table, "34901123456"), "shared_cost");
	assert_string_equal(cls_of(table, "34902123456"), "shared_cost");
	assert_string_equal(cls_of(table, "34803123456"), "premium");
	assert_string_equal(cls_of(table, "34806123456"), "premium");
	assert_string_equal(cls_of(table, "34807123456"), "premium");
	assert_string_equal(cls_of(table, "34905123456"), "premium");
	assert_string_equal(cls_of(table, "3411818"), "premium");
	assert_string_equal(cls_of(table, "34701234567"), "personal");
	assert_string_equal(cls_of(table, "34400123456"), "commercial");
	assert_string_equal(cls_of(table, "345901234567890"), "m2m");
	assert_string_equal(cls_of(table, "34112"), "short");
	assert_string_equal(cls_of(table, "34016"), "short");
	/* Unattributed Spanish ranges, carved out of wider ones. */
	assert_string_equal(cls_of(table, "34801123456"), "unknown");
	assert_string_equal(cls_of(table, "34903123456"), "unknown");
	assert_string_equal(cls_of(table, "34970123456"), "unknown");
	assert_string_equal(cls_of(table, "34212345678"), "unknown");
	assert_string_equal(cls_of(table, "34751234567"), "unknown");
}

static void
test_world(void **state)
{
	/* Zone 1. */
	assert_string_equal(cls_of(table, "12125551234"), "nanp");
	assert_string_equal(cls_of(table, "14165551234"), "nanp");
	assert_string_equal(cls_of(table, "17875551234"), "nanp");
	assert_string_equal(cls_of(table, "12685551234"), "nanp_caribbean");
	assert_string_equal(cls_of(table, "12845551234"), "nanp_caribbean");
	assert_string_equal(cls_of(table, "14735551234"), "nanp_caribbean");
	assert_string_equal(cls_of(table, "18095551234"), "nanp_caribbean");
	assert_string_equal(cls_of(table, "18765551234"), "nanp_caribbean");
	assert_string_equal(cls_of(table, "19005551234"), "intl_premium");
	/* Europe: EU cheaper, premium ranges caught under the country. */
	assert_string_equal(cls_of(table, "33123456789"), "eu");
	assert_string_equal(cls_of(table, "351211234567"), "eu");
	assert_string_equal(cls_of(table, "4930123456"), "eu");
	assert_string_equal(cls_of(table, "49900123456"), "intl_premium");
	assert_string_equal(cls_of(table, "442071234567"), "zone4");
	assert_string_equal(cls_of(table, "449012345678"), "intl_premium");
	assert_string_equal(cls_of(table, "37167123456"), "eu");
	assert_string_equal(cls_of(table, "37190123456"), "intl_premium");
	assert_string_equal(cls_of(table, "41441234567"), "zone4");
	assert_string_equal(cls_of(table, "380441234567"), "zone3");
	/* Other zones. */
	assert_string_equal(cls_of(table, "20212345678"), "zone2");
	assert_string_equal(cls_of(table, "5511987654321"), "zone5");
	assert_string_equal(cls_of(table, "61212345678"), "zone6");
	assert_string_equal(cls_of(table, "74951234567"), "zone7");
	assert_string_equal(cls_of(table, "8613812345678"), "zone8");
	assert_string_equal(cls_of(table, "919812345678"), "zone9");
	/* Satellite, international networks, IRSF. */
	assert_string_equal(cls_of(table, "870772001234"), "satellite");
	assert_string_equal(cls_of(table, "881612345678"), "satellite");
	assert_string_equal(cls_of(table, "882161234567"), "intl_networks");
	assert_string_equal(cls_of(table, "88351001234"), "intl_networks");
	assert_string_equal(cls_of(table, "25261234567"), "irsf");
	assert_string_equal(cls_of(table, "2321234567"), "irsf");
	assert_string_equal(cls_of(table, "6781234567"), "irsf");
	assert_string_equal(cls_of(table, "78401234567"), "irsf");
	assert_string_equal(cls_of(table, "979123456789"), "intl_premium");
	/* Spare country codes and junk: unknown. */
	assert_string_equal(cls_of(table, "2101234567"), "unknown");
	assert_string_equal(cls_of(table, "4221234567"), "unknown");
	assert_string_equal(cls_of(table, "6931234567"), "unknown");
	assert_string_equal(cls_of(table, "0034912345678"), "unknown");
}

static const char custom[] = "# a custom table\n"
			     "version test-1\n"
			     "class a cost 1.2345 risk low\n"
			     "class b cost 7\n"
			     "class c risk high cost 0.5\n"
			     "3\ta\n"
			     "34 b # comment\n"
			     "3491 c\r\n"
			     "3491 c\n" /* same class again: fine */
			     "349 unknown\n"
			     "999999999999999 a\n";

static void
test_longest_prefix(void **state)
{
	char path[sizeof(TMP_TEMPLATE)];
	struct dest_table *t;
	char *errs = NULL;

	assert_int_equal(load_text(&t, custom, strlen(custom), &errs, path), 0);
	assert_string_equal(errs, "");
	free(errs);
	assert_non_null(t);
	assert_string_equal(dest_version(t), "test-1");
	assert_int_equal(dest_nclasses(t), 4);
	assert_int_equal(dest_class(t, 1)->cost_e4, 12345);
	assert_int_equal(dest_class(t, 1)->risk, DEST_RISK_LOW);
	assert_int_equal(dest_class(t, 2)->cost_e4, 70000);
	assert_int_equal(dest_class(t, 2)->risk, DEST_RISK_NORMAL);
	assert_int_equal(dest_class(t, 3)->cost_e4, 5000);
	assert_int_equal(dest_class(t, 3)->risk, DEST_RISK_HIGH);
	assert_string_equal(cls_of(t, "3"), "a");
	assert_string_equal(cls_of(t, "33123"), "a");
	assert_string_equal(cls_of(t, "34"), "b");
	assert_string_equal(cls_of(t, "3412345"), "b");
	assert_string_equal(cls_of(t, "348"), "b");
	assert_string_equal(cls_of(t, "3491"), "c");
	assert_string_equal(cls_of(t, "34912345678"), "c");
	/* Mapped back to "unknown", under a wider prefix. */
	assert_string_equal(cls_of(t, "349"), "unknown");
	assert_string_equal(cls_of(t, "34951234567"), "unknown");
	assert_string_equal(cls_of(t, "4"), "unknown");
	assert_string_equal(cls_of(t, "999999999999999"), "a");
	assert_string_equal(cls_of(t, "99999999999999"), "unknown");
	dest_free(t);
}

/* Anything but 1 to 15 digits is "unknown", whatever its digits. */
static void
test_bad_numbers(void **state)
{
	static const char nul[] = "3491\0"
				  "2345678";

	assert_int_equal(dest_lookup(table, "34912345678", 11),
	    (unsigned)dest_class_find(table, "fixed"));
	assert_int_equal(dest_lookup(table, "", 0), 0);
	assert_int_equal(dest_lookup(table, NULL, 0), 0);
	assert_int_equal(dest_lookup(table, "+34912345678", 12), 0);
	assert_int_equal(dest_lookup(table, "34 912345678", 12), 0);
	assert_int_equal(dest_lookup(table, "3491234567a", 11), 0);
	assert_int_equal(dest_lookup(table, "34912345678/", 12), 0);
	assert_int_equal(dest_lookup(table, "34912345678:", 12), 0);
	assert_int_equal(dest_lookup(table,
			     "\xb3"
			     "4912345678",
			     11),
	    0);
	assert_int_equal(dest_lookup(table, nul, sizeof(nul) - 1), 0);
	/* 16 digits is not E.164. */
	assert_int_equal(dest_lookup(table, "3491234567890123", 16), 0);
	/* "len" is honoured: the prefix of a longer string. */
	assert_int_equal(dest_lookup(table, "34612345678xyz", 11),
	    (unsigned)dest_class_find(table, "mobile"));
}

static bool
has_line(const char *errs, const char *path, unsigned line, const char *msg)
{
	char want[512];

	snprintf(want, sizeof(want), "%s:%u: %s", path, line, msg);
	return strstr(errs, want) != NULL;
}

static void
test_errors(void **state)
{
	char path[sizeof(TMP_TEMPLATE)];
	char *text, *errs = NULL;
	size_t cap = 64 * 1024, len = 0;
	struct dest_table *t;
	unsigned i, nlines;

	assert_non_null(text = malloc(cap));
#define ADD(...) len += (size_t)snprintf(text + len, cap - len, __VA_ARGS__)
	/* No version line anywhere. */
	ADD("class fixed cost 0.01\n"); /* 1 */
	ADD("class mobile cost 0.02 risk low\n"); /* 2 */
	ADD("class fixed\n"); /* 3: duplicate class */
	ADD("class unknown\n"); /* 4: duplicate (built in) */
	ADD("class Bad!\n"); /* 5: bad class name */
	ADD("class c1 cost 1.23456\n"); /* 6: bad cost, too many decimals */
	ADD("class c2 cost -1\n"); /* 7: bad cost */
	ADD("class c3 cost .5\n"); /* 8: bad cost */
	ADD("class c4 cost 1e3\n"); /* 9: bad cost */
	ADD("class c5 cost 99999999999\n"); /* 10: bad cost, too large */
	ADD("class c6 risk extreme\n"); /* 11: bad risk */
	ADD("class c7 cost 1 cost 2\n"); /* 12: duplicate option */
	ADD("class c8 colour red\n"); /* 13: bad option */
	ADD("class c9 cost\n"); /* 14: missing value */
	ADD("34 fixed\n"); /* 15 */
	ADD("34a fixed\n"); /* 16: bad digits */
	ADD("+34 fixed\n"); /* 17: '+' */
	ADD("1234567890123456 fixed\n"); /* 18: 16 digits */
	ADD("346 mobil\n"); /* 19: unknown class */
	ADD("34 mobile\n"); /* 20: duplicate prefix, other class */
	ADD("34 fixed\n"); /* 21: duplicate prefix, same class: fine */
	ADD("prefix 34 fixed\n"); /* 22: unknown keyword */
	ADD("346\n"); /* 23: no class */
	ADD("class c1 cost 1\n"); /* 24: c1 was declared by line 6 */
	ADD("3\tc1\n"); /* 25: so this is no error */
	ADD("a b c d e f g h\n"); /* 26: too many fields */
	ADD("%s\n", "#"); /* 27 */
	memset(text + len, '9', 300); /* 28: line too long */
	len += 300;
	ADD(" fixed\n");
	ADD("35 fi"); /* 29: NUL byte */
	text[len++] = '\0';
	ADD("xed\n");
	/*
	 * Classes so far: unknown, fixed, mobile, c1 .. c8 (a valid name
	 * with a bad option is declared; c9's line is malformed): 11. Up to
	 * 64 (k11 .. k63), then too many.
	 */
	nlines = 29;
	for (i = 11; i < DEST_CLASSES_MAX + 2; i++) {
		ADD("class k%u\n", i);
		nlines++;
	}
	ADD("version 1 2\n"); /* bad version line */
	ADD("8 k65\n"); /* a class refused as too many: unknown */
#undef ADD
	assert_true(len < cap);

	assert_int_equal(load_text(&t, text, len, &errs, path), EINVAL);
	assert_null(t);
	assert_non_null(errs);
	assert_true(has_line(errs, path, 1, "no \"version\" line"));
	assert_true(has_line(errs, path, 3, "duplicate class \"fixed\""));
	assert_true(has_line(errs, path, 4, "duplicate class \"unknown\""));
	assert_true(has_line(errs, path, 5, "bad class name \"Bad!\""));
	assert_true(has_line(errs, path, 6, "bad cost \"1.23456\""));
	assert_true(has_line(errs, path, 7, "bad cost \"-1\""));
	assert_true(has_line(errs, path, 8, "bad cost \".5\""));
	assert_true(has_line(errs, path, 9, "bad cost \"1e3\""));
	assert_true(has_line(errs, path, 10, "bad cost \"99999999999\""));
	assert_true(has_line(errs, path, 11, "bad risk \"extreme\""));
	assert_true(has_line(errs, path, 12, "duplicate option \"cost\""));
	assert_true(has_line(
	    errs, path, 13, "expected \"cost\" or \"risk\", not \"colour\""));
	assert_true(has_line(errs, path, 14, "expected: class NAME"));
	assert_false(has_line(errs, path, 15, ""));
	assert_true(has_line(errs, path, 16, "bad prefix \"34a\""));
	assert_true(has_line(errs, path, 17, "bad prefix \"+34\""));
	assert_true(
	    has_line(errs, path, 18, "bad prefix \"1234567890123456\""));
	assert_true(has_line(errs, path, 19, "unknown class \"mobil\""));
	assert_true(has_line(
	    errs, path, 20, "prefix \"34\" already in class \"fixed\""));
	assert_false(has_line(errs, path, 21, ""));
	assert_true(has_line(errs, path, 22, "unknown keyword \"prefix\""));
	assert_true(has_line(errs, path, 23, "expected: PREFIX CLASS"));
	assert_true(has_line(errs, path, 24, "duplicate class \"c1\""));
	assert_false(has_line(errs, path, 25, ""));
	assert_true(has_line(errs, path, 26, "too many fields"));
	assert_true(has_line(errs, path, 28, "line too long"));
	assert_true(has_line(errs, path, 29, "NUL byte in line"));
	/* The 65th class (k64) and the 66th (k65) are refused. */
	assert_false(has_line(errs, path, nlines - 2, "too many classes"));
	assert_true(has_line(
	    errs, path, nlines - 1, "too many classes: \"k64\" (at most 64"));
	assert_true(has_line(errs, path, nlines, "too many classes: \"k65\""));
	assert_true(has_line(errs, path, nlines + 1, "bad version line"));
	assert_true(has_line(errs, path, nlines + 2, "unknown class \"k65\""));
	free(errs);
	errs = NULL;

	/* A missing file: ENOENT, no table. */
	t = (struct dest_table *)(uintptr_t)1;
	assert_int_equal(
	    dest_load(&t, "/nonexistent/destinations.conf", NULL), ENOENT);
	assert_null(t);

	/* Only a version, or a duplicate one. */
	assert_int_equal(load_text(&t, "version 1\n", 10, &errs, path), EINVAL);
	assert_null(t);
	assert_true(has_line(errs, path, 1, "no prefix lines"));
	free(errs);
	errs = NULL;
	len =
	    (size_t)snprintf(text, cap, "version 1\nclass a\n1 a\nversion 2\n");
	assert_int_equal(load_text(&t, text, len, &errs, path), EINVAL);
	assert_null(t);
	assert_true(has_line(errs, path, 4, "duplicate version line"));
	free(errs);
	free(text);
}

/* Longest-prefix match the slow way, over a list of prefixes. */
struct ref {
	char prefix[16];
	unsigned cls;
};

static unsigned
ref_lookup(const struct ref *r, unsigned n, const char *num)
{
	size_t best = 0, l;
	unsigned cls = 0, i;

	for (i = 0; i < n; i++) {
		l = strlen(r[i].prefix);
		if (l > best && strncmp(num, r[i].prefix, l) == 0) {
			best = l;
			cls = r[i].cls;
		}
	}
	return cls;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* A random table of 2000 prefixes, checked against ref_lookup. */
static void
test_random_vs_naive(void **state)
{
	enum {
		NPREF = 2000,
		NNUM = 20000
	};
	char path[sizeof(TMP_TEMPLATE)];
	struct ref *r;
	struct dest_table *t;
	char *text, *errs = NULL, num[16];
	size_t cap = 128 * 1024, len = 0, l;
	unsigned i, j, n = 0;

	assert_non_null(r = calloc(NPREF, sizeof(*r)));
	assert_non_null(text = malloc(cap));
	len += (size_t)snprintf(text + len, cap - len, "version rnd\n");
	for (i = 1; i <= 5; i++)
		len +=
		    (size_t)snprintf(text + len, cap - len, "class k%u\n", i);
	while (n < NPREF) {
		l = 1 + rnd() % 6;
		for (j = 0; j < l; j++)
			r[n].prefix[j] = (char)('0' + rnd() % 4);
		r[n].prefix[l] = '\0';
		for (j = 0; j < n; j++)
			if (strcmp(r[j].prefix, r[n].prefix) == 0)
				break;
		if (j < n)
			continue;
		r[n].cls = rnd() % 6; /* 0: "unknown" on purpose */
		if (r[n].cls)
			len += (size_t)snprintf(text + len, cap - len,
			    "%s k%u\n", r[n].prefix, r[n].cls);
		else
			len += (size_t)snprintf(
			    text + len, cap - len, "%s unknown\n", r[n].prefix);
		assert_true(len < cap);
		n++;
	}
	assert_int_equal(load_text(&t, text, len, &errs, path), 0);
	free(errs);
	for (i = 0; i < NNUM; i++) {
		l = 1 + rnd() % 15;
		for (j = 0; j < l; j++)
			num[j] = (char)('0' + rnd() % 5);
		num[l] = '\0';
		assert_int_equal(dest_lookup(t, num, l), ref_lookup(r, n, num));
	}
	dest_free(t);
	free(text);
	free(r);
}

static void
test_speed(void **state)
{
	enum {
		N = 1000000,
		W = 16
	};
	struct timespec a, b;
	char *nums;
	uint8_t *lens;
	unsigned i, j, round;
	volatile unsigned sink = 0;
	double best = 0;

	assert_non_null(nums = malloc((size_t)N * W));
	assert_non_null(lens = malloc(N));
	/* Half Spanish national numbers, half anything international. */
	for (i = 0; i < N; i++) {
		char *s = nums + (size_t)i * W;

		if (i % 2 == 0) {
			s[0] = '3';
			s[1] = '4';
			s[2] = (char)('6' + rnd() % 4);
			for (j = 3; j < 11; j++)
				s[j] = (char)('0' + rnd() % 10);
			lens[i] = 11;
		} else {
			lens[i] = (uint8_t)(10 + rnd() % 6);
			s[0] = (char)('1' + rnd() % 9);
			for (j = 1; j < lens[i]; j++)
				s[j] = (char)('0' + rnd() % 10);
		}
	}
	for (round = 0; round < 3; round++) {
		unsigned sum = 0;
		double sec;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (i = 0; i < N; i++)
			sum +=
			    dest_lookup(table, nums + (size_t)i * W, lens[i]);
		clock_gettime(CLOCK_MONOTONIC, &b);
		sink += sum;
		sec = (double)(b.tv_sec - a.tv_sec) +
		    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		if (sec > 0 && N / sec > best)
			best = N / sec;
	}
	printf("dest_lookup: %.1f M lookups/s (1M random numbers, best of "
	       "3)\n",
	    best / 1e6);
	assert_true(sink > 0); /* the lookups were not all "unknown" */
	free(nums);
	free(lens);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embedded),
		cmocka_unit_test(test_spain),
		cmocka_unit_test(test_world),
		cmocka_unit_test(test_longest_prefix),
		cmocka_unit_test(test_bad_numbers),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_random_vs_naive),
		cmocka_unit_test(test_speed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

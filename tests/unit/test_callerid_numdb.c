/*
 * tests/unit/test_callerid_numdb.c -- the in-memory numbering snapshot
 * (callerid/numdb.h): register lookups on the sample lines of the
 * research note (through the CNMC parser), sub-assignments and shared
 * blocks, the own inventory, exceptions and their validity dates, SMS
 * aliases (case-sensitive), the Lista Robinson vectors, building from
 * the store and keeping the old snapshot when a rebuild fails, a
 * snapshot swapped under a reading thread, and 2 million synthetic
 * ranges checked against a brute-force scan, with the lookup rate and
 * the memory per range printed (not asserted).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/sha.h>
#include <sqlite3.h>

#include "callerid/cnmc.h"
#include "callerid/numdb.h"

#define DATA_DIR "tests/data/cnmc/"

static struct str
S(const char *s) {
	return str_make(s, strlen(s));
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		fail_msg("%s: cannot open (tests run from the top of the tree)",
		    path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int
add_range(const struct num_range *r, void *arg)
{
	return numdb_builder_range(arg, r);
}

/* The two register fixtures, parsed into a builder. */
static void
load_fixtures(struct numdb_builder *b)
{
	static const char *const files[] = { "geograficos.txt", "moviles.txt" };
	char path[128];
	size_t i, len;
	char *buf;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), DATA_DIR "%s", files[i]);
		buf = slurp(path, &len);
		assert_int_equal(cnmc_parse(path, buf, len, CNMC_WINDOWS_1252,
				     add_range, NULL, b, NULL),
		    0);
		free(buf);
	}
}

static struct numdb *
finish(struct numdb_builder *b)
{
	struct numdb *db = NULL;
	char err[NUMDB_ERR_MAX];

	if (numdb_builder_finish(b, &db, err, sizeof(err)))
		fail_msg("numdb_builder_finish: %s", err);
	assert_non_null(db);
	return db;
}

#define AIRE "AIRE NETWORKS DEL MEDITERR\xc3\x81NEO, S.L. UNIPERSONAL"
#define WIFI "WIFI CANARIAS DE TELECOMUNICACIONES Y FIBRA, S.L."

/* R-05 with the note's fixture lines. */
static void
register_samples(void **state)
{
	struct numdb_builder *b;
	struct numdb_cnmc_res res;
	struct numdb *db;
	struct numdb_info info;

	(void)state;
	assert_int_equal(numdb_builder_new(&b), 0);
	load_fixtures(b);
	db = finish(b);

	/* 822240500: block 822 24 is assigned: passes R-05. */
	assert_true(numdb_cnmc(db, S("34822240500"), &res));
	assert_int_equal(res.status, NUMDB_ASIGNADO);
	assert_string_equal(res.prefix, "3482224");
	assert_string_equal(res.holder, AIRE);
	assert_string_equal(res.assignee, AIRE);
	assert_string_equal(res.sub_assignee, "");
	assert_string_equal(res.area, "Santa Cruz de Tenerife");
	assert_true(res.assigned == 1373328000);
	/* 822160000: no 822 16 line: blocked by R-05. */
	assert_false(numdb_cnmc(db, S("34822160000"), &res));
	assert_int_equal(res.status, NUMDB_NONE);
	assert_string_equal(res.prefix, "");
	/* 822 24 03 is sub-assigned: 822240300 to 822240399. */
	assert_true(numdb_cnmc(db, S("34822240300"), &res));
	assert_int_equal(res.status, NUMDB_SUBASIGNADO);
	assert_string_equal(res.prefix, "348222403");
	assert_string_equal(res.holder, WIFI);
	assert_string_equal(res.sub_assignee, WIFI);
	assert_string_equal(res.assignee, AIRE);
	assert_true(numdb_cnmc(db, S("34822240399"), &res));
	assert_int_equal(res.status, NUMDB_SUBASIGNADO);
	assert_true(numdb_cnmc(db, S("34822240400"), &res));
	assert_int_equal(res.status, NUMDB_ASIGNADO);
	/* A shared block: two holders. */
	assert_true(numdb_cnmc(db, S("34822011234"), &res));
	assert_int_equal(res.status, NUMDB_COMPARTIDO);
	assert_int_equal(res.nholders, 2);
	assert_string_equal(numdb_cnmc_holder(db, &res, 0),
	    "VODAFONE ESPA\xc3\x91\x41, S.A. UNIPERSONAL");
	assert_string_equal(
	    numdb_cnmc_holder(db, &res, 1), "VODAFONE ONO, S.A. UNIPERSONAL");
	assert_null(numdb_cnmc_holder(db, &res, 2));
	/* 815#00: 815000000 to 815009999 only. */
	assert_true(numdb_cnmc(db, S("34815009999"), &res));
	assert_false(numdb_cnmc(db, S("34815010000"), &res));
	/* A 3-digit block: 919123000 to 919123999. */
	assert_true(numdb_cnmc(db, S("34919123456"), &res));
	assert_string_equal(res.prefix, "34919123");
	assert_false(numdb_cnmc(db, S("34919124000"), &res));
	/* Mobile: a whole NXY, a sub-block of 10,000, the 7x form. */
	assert_true(numdb_cnmc(db, S("34606123456"), &res));
	assert_string_equal(res.prefix, "34606");
	assert_true(numdb_cnmc(db, S("34601501234"), &res));
	assert_string_equal(res.prefix, "3460150");
	assert_string_equal(
	    res.assignee, "VODAFONE ENABLER ESPA\xc3\x91\x41, S.L.");
	assert_true(numdb_cnmc(db, S("34601512345"), &res));
	assert_string_equal(res.prefix, "346015");
	assert_true(numdb_cnmc(db, S("34711012345"), &res));
	assert_string_equal(res.prefix, "347110");
	assert_false(numdb_cnmc(db, S("34711112345"), &res));
	/* A Subasignado with no enclosing line: no assignee. */
	assert_true(numdb_cnmc(db, S("34622912345"), &res));
	assert_string_equal(res.prefix, "3462291");
	assert_string_equal(res.assignee, "");
	/* Not numbers. */
	assert_false(numdb_cnmc(db, S(""), &res));
	assert_false(numdb_cnmc(db, S("3460612345a"), &res));
	assert_false(numdb_cnmc(db, S("+34606123456"), &res));
	assert_false(numdb_cnmc(db, S("3460612345678901"), &res)); /* 16 */
	assert_false(numdb_cnmc(db,
	    str_make("34606\0"
		     "23456",
		11),
	    &res));
	/* Shorter than a head, or than any range. */
	assert_false(numdb_cnmc(db, S("3460"), &res));
	assert_true(numdb_cnmc(db, S("34606"), NULL));
	assert_false(numdb_cnmc(NULL, S("34606123456"), &res));

	numdb_info(db, &info);
	assert_true(info.ranges == 13);
	assert_true(info.prefixes == 12);
	assert_true(info.bytes > info.range_bytes && info.range_bytes > 0);
	assert_true(info.generation == -1);
	numdb_unref(db);
}

/* Prefixes shorter than the 5-digit head, nested under longer ones. */
static void
register_short_prefixes(void **state)
{
	static const char *const pfx[] = { "3", "347", "3471", "34711",
		"347110", "3471100000001" };
	struct numdb_builder *b;
	struct numdb_cnmc_res res;
	struct num_range r;
	struct numdb *db;
	size_t i;

	(void)state;
	assert_int_equal(numdb_builder_new(&b), 0);
	for (i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++) {
		memset(&r, 0, sizeof(r));
		snprintf(r.prefix, sizeof(r.prefix), "%s", pfx[i]);
		snprintf(r.status, sizeof(r.status), "Asignado");
		snprintf(r.holder, sizeof(r.holder), "H%zu", i);
		assert_int_equal(numdb_builder_range(b, &r), 0);
	}
	db = finish(b);
	assert_true(numdb_cnmc(db, S("3"), &res));
	assert_string_equal(res.prefix, "3");
	assert_true(numdb_cnmc(db, S("35"), &res));
	assert_string_equal(res.prefix, "3");
	assert_true(numdb_cnmc(db, S("3479"), &res));
	assert_string_equal(res.prefix, "347");
	assert_true(numdb_cnmc(db, S("34719999999"), &res));
	assert_string_equal(res.prefix, "3471");
	assert_true(numdb_cnmc(db, S("34711999999"), &res));
	assert_string_equal(res.prefix, "34711");
	assert_true(numdb_cnmc(db, S("34711099999"), &res));
	assert_string_equal(res.prefix, "347110");
	assert_true(numdb_cnmc(db, S("3471100000001"), &res));
	assert_string_equal(res.prefix, "3471100000001");
	assert_string_equal(res.holder, "H5");
	assert_true(numdb_cnmc(db, S("347110000000123"), &res));
	assert_string_equal(res.prefix, "3471100000001");
	assert_false(numdb_cnmc(db, S("4"), &res));
	assert_false(numdb_cnmc(db, S("44711000000"), &res));
	numdb_unref(db);
}

static void
own_add(struct numdb_builder *b, const char *digits, const char *kind)
{
	struct num_own o;

	memset(&o, 0, sizeof(o));
	snprintf(o.digits, sizeof(o.digits), "%s", digits);
	snprintf(o.kind, sizeof(o.kind), "%s", kind);
	assert_int_equal(numdb_builder_own(b, &o), 0);
}

/* R-06 and R-07 need these answers. */
static void
own_inventory(void **state)
{
	struct numdb_builder *b;
	struct numdb *db;

	(void)state;
	assert_int_equal(numdb_builder_new(&b), 0);
	own_add(b, "3491100", "block");
	own_add(b, "349110099", "subblock");
	own_add(b, "34911000123", "service");
	own_add(b, "349110002", "service");
	own_add(b, "34911000555", "ported_out");
	own_add(b, "34600000001", "ported_in");
	own_add(b, "34600000001", "service");
	db = finish(b);
	assert_int_equal(numdb_own(db, S("34911000123")),
	    NUMDB_OWN_BLOCK | NUMDB_OWN_SERVICE);
	/* In our block, given to no customer: R-06. */
	assert_int_equal(numdb_own(db, S("34911000124")), NUMDB_OWN_BLOCK);
	assert_int_equal(numdb_own(db, S("34911000299")),
	    NUMDB_OWN_BLOCK | NUMDB_OWN_SERVICE);
	assert_int_equal(numdb_own(db, S("34911009912")),
	    NUMDB_OWN_BLOCK | NUMDB_OWN_SUBBLOCK);
	assert_int_equal(numdb_own(db, S("34911000555")),
	    NUMDB_OWN_BLOCK | NUMDB_OWN_PORTED_OUT);
	/* Ported entries match the exact number only. */
	assert_int_equal(numdb_own(db, S("349110005551")), NUMDB_OWN_BLOCK);
	assert_int_equal(numdb_own(db, S("34600000001")),
	    NUMDB_OWN_PORTED_IN | NUMDB_OWN_SERVICE);
	assert_int_equal(numdb_own(db, S("346000000012")), NUMDB_OWN_SERVICE);
	assert_int_equal(numdb_own(db, S("3491100")), NUMDB_OWN_BLOCK);
	assert_int_equal(numdb_own(db, S("349110")), 0);
	assert_int_equal(numdb_own(db, S("34912000000")), 0);
	assert_int_equal(numdb_own(db, S("3491100012x")), 0);
	assert_int_equal(numdb_own(NULL, S("34911000123")), 0);
	numdb_unref(db);
}

static void
exc_add(struct numdb_builder *b, int64_t id, const char *digits, bool prefix,
    const char *trunk, int64_t from, int64_t to, const char *rules)
{
	struct num_exception e;

	memset(&e, 0, sizeof(e));
	e.id = id;
	snprintf(e.digits, sizeof(e.digits), "%s", digits);
	e.prefix = prefix;
	snprintf(e.trunk, sizeof(e.trunk), "%s", trunk);
	e.valid_from = from;
	e.valid_to = to;
	snprintf(e.ref, sizeof(e.ref), "SETID ref %lld", (long long)id);
	snprintf(e.rules, sizeof(e.rules), "%s", rules);
	assert_int_equal(numdb_builder_exception(b, &e), 0);
}

static int64_t
exc_id(const struct numdb *db, const char *digits, const char *trunk,
    const char *rule, int64_t now)
{
	const struct numdb_exception *x =
	    numdb_exception(db, S(digits), S(trunk), S(rule), now);

	return x ? x->id : 0;
}

/* R-12: an exception passes while valid and not after. */
static void
exceptions_validity(void **state)
{
	struct numdb_builder *b;
	const struct numdb_exception *x;
	struct numdb *db;

	(void)state;
	assert_int_equal(numdb_builder_new(&b), 0);
	exc_add(b, 1, "34911000123", false, "carrier-fr", 1000, 2000,
	    "ES-A4.4,ES-A5.1");
	exc_add(b, 2, "3491200", true, "", 0, 0, "");
	exc_add(b, 3, "34913", true, "x", 0, 0, "ES-A4.1");
	exc_add(b, 4, "34912001", true, "", 500, 600, "");
	exc_add(b, 5, "3491200", true, "", 0, 0, "ES-A9-MOBILE");
	db = finish(b);

	x = numdb_exception(
	    db, S("34911000123"), S("carrier-fr"), S("ES-A5.1"), 1500);
	assert_non_null(x);
	assert_true(x->id == 1);
	assert_string_equal(x->ref, "SETID ref 1");
	assert_string_equal(x->digits, "34911000123");
	assert_false(x->prefix);
	assert_int_equal(
	    exc_id(db, "34911000123", "carrier-fr", "ES-A4.4", 1000), 1);
	/* Before, at the end (exclusive), after. */
	assert_int_equal(
	    exc_id(db, "34911000123", "carrier-fr", "ES-A5.1", 999), 0);
	assert_int_equal(
	    exc_id(db, "34911000123", "carrier-fr", "ES-A5.1", 2000), 0);
	assert_int_equal(
	    exc_id(db, "34911000123", "carrier-fr", "ES-A5.1", 9999), 0);
	/* Another trunk, another rule, a longer number. */
	assert_int_equal(
	    exc_id(db, "34911000123", "carrier-de", "ES-A5.1", 1500), 0);
	assert_int_equal(
	    exc_id(db, "34911000123", "carrier-fr", "ES-A4.2", 1500), 0);
	assert_int_equal(
	    exc_id(db, "349110001234", "carrier-fr", "ES-A5.1", 1500), 0);
	/* A prefix on any trunk, for every rule, with no end. */
	assert_int_equal(
	    exc_id(db, "34912001234", "any", "ES-A4.2", INT64_MAX), 2);
	assert_int_equal(exc_id(db, "3491200", "", "ROBINSON", 0), 2);
	assert_int_equal(exc_id(db, "3491200", "", "ROBINSON", -1), 0);
	/* The longest entry in force wins; expired, the shorter one. */
	assert_int_equal(exc_id(db, "34912001234", "any", "ES-A4.2", 550), 4);
	assert_int_equal(exc_id(db, "34912001234", "any", "ES-A4.2", 600), 2);
	/* A rule item covers the codes that extend it after '-'. */
	assert_int_equal(exc_id(db, "34913000000", "x", "ES-A4.1-EMPTY", 1), 3);
	assert_int_equal(exc_id(db, "34913000000", "x", "ES-A4.1", 1), 3);
	assert_int_equal(exc_id(db, "34913000000", "x", "ES-A4.10", 1), 0);
	assert_int_equal(exc_id(db, "34913000000", "x", "ES-A4", 1), 0);
	assert_int_equal(exc_id(db, "34913000000", "", "ES-A4.1", 1), 0);
	assert_int_equal(exc_id(db, "3491", "x", "ES-A4.1", 1), 0);
	assert_null(numdb_exception(NULL, S("3491200"), S(""), S("R"), 0));
	numdb_unref(db);
}

static void
alias_add(struct numdb_builder *b, const char *alias, const char *pros,
    int64_t from, int64_t to)
{
	struct sms_alias a;

	memset(&a, 0, sizeof(a));
	snprintf(a.alias, sizeof(a.alias), "%s", alias);
	snprintf(a.pros, sizeof(a.pros), "%s", pros);
	a.valid_from = from;
	a.valid_to = to;
	assert_int_equal(numdb_builder_alias(b, &a), 0);
}

/* R-15: exact, case-sensitive aliases and their origin providers. */
static void
aliases(void **state)
{
	struct numdb_builder *b;
	struct numdb *db;
	bool en = true;

	(void)state;
	assert_int_equal(numdb_builder_new(&b), 0);
	alias_add(b, "DulceFlor", "PRO1, PRO2", 0, 0);
	alias_add(b, "BANCO", "PROB", 100, 200);
	alias_add(b, "BANCO", "PROC", 300, 0);
	alias_add(b,
	    "Ca\xc3\xb1"
	    "as",
	    "PRO1", 0, 0);
	db = finish(b);

	assert_true(numdb_alias(db, S("DulceFlor"), 5, S("PRO1"), &en));
	assert_true(en);
	assert_true(numdb_alias(db, S("DulceFlor"), 5, S("pro2"), &en));
	assert_true(en);
	/* Registered, but not from this provider: R-15 blocks. */
	assert_true(numdb_alias(db, S("DulceFlor"), 5, S("PRO3"), &en));
	assert_false(en);
	assert_true(numdb_alias(db, S("DulceFlor"), 5, S(""), &en));
	assert_false(en);
	assert_true(numdb_alias(db, S("DulceFlor"), 5, S("PRO1"), NULL));
	/* Case-sensitive: "dulceflor" is not "DulceFlor". */
	assert_false(numdb_alias(db, S("dulceflor"), 5, S("PRO1"), &en));
	assert_false(en);
	assert_false(numdb_alias(db, S("DULCEFLOR"), 5, S("PRO1"), &en));
	assert_false(numdb_alias(db, S("DulceFlo"), 5, S("PRO1"), &en));
	assert_false(numdb_alias(db, S("DulceFlorX"), 5, S("PRO1"), &en));
	assert_false(
	    numdb_alias(db, str_make("DulceFlor\0", 10), 5, S("PRO1"), &en));
	/* Validity windows, two rows of one alias. */
	assert_false(numdb_alias(db, S("BANCO"), 99, S("PROB"), &en));
	assert_true(numdb_alias(db, S("BANCO"), 100, S("PROB"), &en));
	assert_true(en);
	assert_true(numdb_alias(db, S("BANCO"), 150, S("PROC"), &en));
	assert_false(en);
	assert_false(numdb_alias(db, S("BANCO"), 200, S("PROB"), &en));
	assert_false(numdb_alias(db, S("BANCO"), 250, S("PROC"), &en));
	assert_true(numdb_alias(db, S("BANCO"), 300, S("PROC"), &en));
	assert_true(en);
	assert_true(numdb_alias(db,
	    S("Ca\xc3\xb1"
	      "as"),
	    0, S("PRO1"), &en));
	assert_false(numdb_alias(db, S("Canas"), 0, S("PRO1"), &en));
	assert_false(numdb_alias(NULL, S("BANCO"), 150, S("PROB"), &en));
	numdb_unref(db);
}

#define ROB_CALL \
	"9a0d14c71b6bb4b50fd4a9efc0536de8c7198f4bebdadcc4e7ee32731fb75c15"
#define ROB_SMS \
	"ea48b0f337aded1ab2d7fb495b075883b91319a0c8c5b88d5be9d28c95663ac4"

/* R-19: the official vectors (number 345678890). */
static void
robinson_vectors(void **state)
{
	struct numdb_builder *b;
	struct numdb *db;
	uint8_t h[SHA256_DIGEST_LENGTH];
	char hex[65];
	size_t i;

	(void)state;
	/* The scheme: SHA-256 of channel + "0034" + NSN. */
	SHA256((const unsigned char *)"040034345678890", 15, h);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	assert_string_equal(hex, ROB_CALL);
	SHA256((const unsigned char *)"030034345678890", 15, h);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	assert_string_equal(hex, ROB_SMS);

	assert_int_equal(numdb_builder_new(&b), 0);
	assert_int_equal(numdb_builder_robinson(b, ROB_CALL), 0);
	assert_int_equal(numdb_builder_robinson(b, ROB_CALL), 0); /* twice */
	for (i = 0; i < 1000; i++) {
		char n[32];

		snprintf(n, sizeof(n), "040034%09zu", 600000000 + i);
		SHA256((const unsigned char *)n, strlen(n), h);
		for (size_t k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02X", h[k]);
		assert_int_equal(numdb_builder_robinson(b, hex), 0);
	}
	db = finish(b);
	assert_true(numdb_robinson_hex(db, S(ROB_CALL)));
	/* Listed for calls only: the SMS hash is another. */
	assert_false(numdb_robinson_hex(db, S(ROB_SMS)));
	SHA256((const unsigned char *)"040034345678890", 15, h);
	assert_true(numdb_robinson(db, h));
	SHA256((const unsigned char *)"040034600000999", 15, h);
	assert_true(numdb_robinson(db, h));
	SHA256((const unsigned char *)"040034600001000", 15, h);
	assert_false(numdb_robinson(db, h));
	assert_true(numdb_robinson_hex(db,
	    S("9A0D14C71B6BB4B50FD4A9EFC0536DE8C7198F4BEBDADCC4E7EE32731FB75C1"
	      "5")));
	assert_false(numdb_robinson_hex(db, S("9a0d")));
	assert_false(numdb_robinson_hex(db, S(ROB_CALL "0")));
	assert_false(numdb_robinson_hex(db,
	    S("9a0d14c71b6bb4b50fd4a9efc0536de8c7198f4bebdadcc4e7ee32731fb75c1"
	      "g")));
	{
		struct numdb_info info;

		numdb_info(db, &info);
		assert_true(info.robinson == 1001);
	}
	numdb_unref(db);
}

/* Every add checks its row; finish reports the first error. */
static void
builder_errors(void **state)
{
	struct numdb_builder *b;
	struct numdb *db = NULL;
	struct num_range r;
	struct num_own o;
	char err[NUMDB_ERR_MAX];
	unsigned i;

	(void)state;
	assert_int_equal(numdb_builder_new(&b), 0);
	memset(&r, 0, sizeof(r));
	snprintf(r.prefix, sizeof(r.prefix), "34x");
	snprintf(r.status, sizeof(r.status), "Asignado");
	assert_int_equal(numdb_builder_range(b, &r), EINVAL);
	assert_non_null(strstr(numdb_builder_errmsg(b), "34x"));
	/* The first error sticks. */
	snprintf(r.prefix, sizeof(r.prefix), "34");
	assert_int_equal(numdb_builder_range(b, &r), EINVAL);
	assert_int_equal(
	    numdb_builder_finish(b, &db, err, sizeof(err)), EINVAL);
	assert_null(db);
	assert_non_null(strstr(err, "34x"));

	assert_int_equal(numdb_builder_new(&b), 0);
	snprintf(r.status, sizeof(r.status), "Reservado");
	assert_int_equal(numdb_builder_range(b, &r), EINVAL);
	numdb_builder_free(b);
	assert_int_equal(numdb_builder_new(&b), 0);
	memset(&o, 0, sizeof(o));
	snprintf(o.digits, sizeof(o.digits), "34911");
	snprintf(o.kind, sizeof(o.kind), "mine");
	assert_int_equal(numdb_builder_own(b, &o), EINVAL);
	numdb_builder_free(b);
	assert_int_equal(numdb_builder_new(&b), 0);
	assert_int_equal(numdb_builder_robinson(b, "abc"), EINVAL);
	numdb_builder_free(b);
	assert_int_equal(
	    numdb_builder_finish(NULL, &db, err, sizeof(err)), EINVAL);

	/* 65,535 distinct names fit; one more does not. */
	assert_int_equal(numdb_builder_new(&b), 0);
	snprintf(r.status, sizeof(r.status), "Asignado");
	snprintf(r.prefix, sizeof(r.prefix), "34911");
	for (i = 1; i <= 65535; i++) {
		snprintf(r.holder, sizeof(r.holder), "OPERADOR %u", i);
		assert_int_equal(numdb_builder_range(b, &r), 0);
	}
	snprintf(r.holder, sizeof(r.holder), "ONE TOO MANY");
	assert_int_equal(numdb_builder_range(b, &r), E2BIG);
	assert_int_equal(numdb_builder_finish(b, &db, err, sizeof(err)), E2BIG);
	assert_non_null(strstr(err, "65535"));

	/* An empty snapshot answers no to everything. */
	assert_int_equal(numdb_new_empty(&db), 0);
	assert_false(numdb_cnmc(db, S("34606123456"), NULL));
	assert_int_equal(numdb_own(db, S("34606123456")), 0);
	assert_false(numdb_alias(db, S("X"), 0, S("P"), NULL));
	assert_false(numdb_robinson_hex(db, S(ROB_CALL)));
	numdb_unref(db);
}

/* ---- from the store, and keeping the old snapshot -------------------------------- */

static void
sample_store_range(struct num_range *r, const char *prefix, const char *holder)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->prefix, sizeof(r->prefix), "%s", prefix);
	snprintf(r->status, sizeof(r->status), "Asignado");
	snprintf(r->holder, sizeof(r->holder), "%s", holder);
}

static void
store_reload_keeps_old_on_failure(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256], uri[320], path[288], err[256];
	struct numdb_slot *slot;
	struct numdb_view v = { 0 };
	struct numdb_cnmc_res res;
	struct num_range r;
	struct num_own o;
	struct store *s;
	sqlite3 *raw;
	bool changed;
	int64_t gen;
	char f[320];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/numdb-test-XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.db", dir);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	assert_int_equal(store_open(&s, uri, err, sizeof(err)), 0);
	assert_int_equal(
	    store_import_begin(s, STORE_NUM_RANGES, false, NULL), 0);
	sample_store_range(&r, "3482224", "AIRE");
	assert_int_equal(store_import_range(s, &r), 0);
	assert_int_equal(store_import_commit(s, NULL), 0);
	memset(&o, 0, sizeof(o));
	snprintf(o.digits, sizeof(o.digits), "3491100");
	snprintf(o.kind, sizeof(o.kind), "block");
	assert_int_equal(store_num_own_put(s, &o), 0);
	assert_int_equal(store_robinson_put(s, ROB_CALL), 0);

	assert_int_equal(numdb_slot_new(&slot, NULL), 0);
	/* The empty first snapshot. */
	assert_false(numdb_cnmc(numdb_view(slot, &v), S("34822240500"), &res));
	assert_int_equal(
	    numdb_slot_reload(slot, s, false, &changed, err, sizeof(err)), 0);
	assert_true(changed);
	assert_true(numdb_cnmc(numdb_view(slot, &v), S("34822240500"), &res));
	assert_string_equal(res.holder, "AIRE");
	assert_int_equal(
	    numdb_own(numdb_view(slot, &v), S("34911001234")), NUMDB_OWN_BLOCK);
	assert_true(numdb_robinson_hex(numdb_view(slot, &v), S(ROB_CALL)));
	/* Nothing moved: nothing rebuilt. */
	assert_int_equal(
	    numdb_slot_reload(slot, s, false, &changed, err, sizeof(err)), 0);
	assert_false(changed);

	/* Bad data in the store (written behind its back): the rebuild
	 * fails and the snapshot in force stays. */
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw,
			     "UPDATE num_ranges SET prefix = '3482x'; "
			     "UPDATE meta SET value = value + 1 "
			     "WHERE key = 'numbering_generation'",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(
	    numdb_slot_reload(slot, s, false, &changed, err, sizeof(err)),
	    EINVAL);
	assert_false(changed);
	assert_non_null(strstr(err, "3482x"));
	assert_true(numdb_cnmc(numdb_view(slot, &v), S("34822240500"), &res));
	assert_string_equal(res.holder, "AIRE");
	/* Repaired: the next poll picks it up. */
	assert_int_equal(
	    sqlite3_exec(raw, "UPDATE num_ranges SET prefix = '3482225'", NULL,
		NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(raw);
	assert_int_equal(
	    numdb_slot_reload(slot, s, false, &changed, err, sizeof(err)), 0);
	assert_true(changed);
	assert_false(numdb_cnmc(numdb_view(slot, &v), S("34822240500"), &res));
	assert_true(numdb_cnmc(numdb_view(slot, &v), S("34822250500"), &res));
	assert_int_equal(store_numbering_generation(s, &gen), 0);
	{
		struct numdb_info info;

		numdb_info(numdb_view(slot, &v), &info);
		assert_true(info.generation == gen);
	}
	numdb_view_release(&v);
	numdb_slot_free(slot);
	store_close(s);
	unlink(path);
	snprintf(f, sizeof(f), "%s-wal", path);
	unlink(f);
	snprintf(f, sizeof(f), "%s-shm", path);
	unlink(f);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- snapshot swaps under readers ---------------------------------------------------- */

#define SWAP_RANGES 200
#define SWAP_GENS 40

/* A snapshot whose every range names generation "g". */
static struct numdb *
gen_snapshot(unsigned g)
{
	struct numdb_builder *b;
	struct num_range r;
	unsigned i;

	assert_int_equal(numdb_builder_new(&b), 0);
	for (i = 0; i < SWAP_RANGES; i++) {
		memset(&r, 0, sizeof(r));
		snprintf(r.prefix, sizeof(r.prefix), "34911%03u", i);
		snprintf(r.status, sizeof(r.status), "Asignado");
		snprintf(r.holder, sizeof(r.holder), "GEN-%u", g);
		assert_int_equal(numdb_builder_range(b, &r), 0);
	}
	numdb_builder_generation(b, g);
	return finish(b);
}

/* The generation a snapshot answers with, checked on every range. */
static long
snapshot_gen(const struct numdb *db)
{
	struct numdb_cnmc_res res;
	char num[16];
	long g = -1, x;
	unsigned i;

	for (i = 0; i < SWAP_RANGES; i += 7) {
		snprintf(num, sizeof(num), "34911%03u123", i);
		if (!numdb_cnmc(db, S(num), &res) ||
		    sscanf(res.holder, "GEN-%ld", &x) != 1)
			return -2;
		if (g >= 0 && x != g)
			return -3; /* mixed within one snapshot */
		g = x;
	}
	return g;
}

struct swap_run {
	struct numdb_slot *slot;
	atomic_bool done;
	atomic_int errors;
	atomic_long seen; /* distinct generations the reader saw */
	atomic_long reads;
};

static void *
swap_reader(void *arg)
{
	struct swap_run *run = arg;
	struct numdb_view v = { 0 };
	struct numdb *held = NULL;
	long last = -1, g, held_gen = -1;
	unsigned long i;

	/* Bounded: stops after the writer is done, or 5e6 rounds. */
	for (i = 0; i < 5000000 && !atomic_load(&run->done); i++) {
		g = snapshot_gen(numdb_view(run->slot, &v));
		if (g < 0 || g < last)
			atomic_fetch_add(&run->errors, 1);
		if (g != last)
			atomic_fetch_add(&run->seen, 1);
		last = g;
		/* Hold an explicit reference across several swaps. */
		if (!held) {
			held = numdb_slot_get(run->slot);
			held_gen = snapshot_gen(held);
		} else if (i % 4096 == 0) {
			if (snapshot_gen(held) != held_gen)
				atomic_fetch_add(&run->errors, 1);
			numdb_unref(held);
			held = NULL;
		}
		atomic_fetch_add_explicit(&run->reads, 1, memory_order_relaxed);
	}
	if (held && snapshot_gen(held) != held_gen)
		atomic_fetch_add(&run->errors, 1);
	numdb_unref(held);
	numdb_view_release(&v);
	return NULL;
}

static void
snapshot_swap_two_threads(void **state)
{
	struct swap_run run;
	struct timespec ms = { 0, 2000000 };
	pthread_t t;
	unsigned g;

	(void)state;
	memset(&run, 0, sizeof(run));
	atomic_init(&run.done, false);
	assert_int_equal(numdb_slot_new(&run.slot, gen_snapshot(0)), 0);
	assert_int_equal(pthread_create(&t, NULL, swap_reader, &run), 0);
	for (g = 1; g <= SWAP_GENS; g++) {
		nanosleep(&ms, NULL);
		numdb_slot_set(run.slot, gen_snapshot(g));
	}
	nanosleep(&ms, NULL);
	atomic_store(&run.done, true);
	assert_int_equal(pthread_join(t, NULL), 0);
	printf("numdb: swap: %ld reads saw %ld generations of %u\n",
	    (long)atomic_load(&run.reads), (long)atomic_load(&run.seen),
	    SWAP_GENS + 1);
	assert_int_equal(atomic_load(&run.errors), 0);
	assert_true(atomic_load(&run.seen) >= 2);
	/* The slot answers with the last one. */
	{
		struct numdb *db = numdb_slot_get(run.slot);

		assert_int_equal(snapshot_gen(db), SWAP_GENS);
		numdb_unref(db);
	}
	numdb_slot_free(run.slot);
}

/* One thread, step by step: an old reference stays good after a swap. */
static void
snapshot_old_reference(void **state)
{
	struct numdb_slot *slot;
	struct numdb_view v = { 0 };
	struct numdb *old;
	const struct numdb *cur;

	(void)state;
	assert_int_equal(numdb_slot_new(&slot, gen_snapshot(1)), 0);
	cur = numdb_view(slot, &v);
	assert_int_equal(snapshot_gen(cur), 1);
	old = numdb_slot_get(slot);
	numdb_slot_set(slot, gen_snapshot(2));
	/* The view keeps its snapshot until its next numdb_view(). */
	assert_int_equal(snapshot_gen(cur), 1);
	assert_int_equal(snapshot_gen(numdb_view(slot, &v)), 2);
	/* The old one is still whole: the reference holds it. */
	assert_int_equal(snapshot_gen(old), 1);
	numdb_unref(old);
	numdb_slot_set(slot, NULL); /* ignored */
	assert_int_equal(snapshot_gen(numdb_view(slot, &v)), 2);
	numdb_view_release(&v);
	numdb_slot_free(slot);
}

/* ---- 2 million ranges --------------------------------------------------------------- */

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* A set of 64-bit keys (the synthetic prefixes), for uniqueness. */
struct kset {
	uint64_t *k;
	size_t mask;
};

static bool
kset_add(struct kset *s, uint64_t key)
{
	size_t i = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & s->mask;

	while (s->k[i]) {
		if (s->k[i] == key)
			return false;
		i = (i + 1) & s->mask;
	}
	s->k[i] = key;
	return true;
}

static double
secs_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

#define SAMPLE 300
#define BENCH_NUMBERS 1000000

static void
two_million_ranges(void **state)
{
	const char *env = getenv("NUMDB_TEST_RANGES");
	long want = env && *env ? strtol(env, NULL, 10) : 2000000;
	struct kset set;
	uint64_t *keys; /* (len << 56) | value, for the brute-force scan */
	uint16_t *hid;
	struct numdb_builder *b;
	struct numdb_cnmc_res res;
	struct numdb_info info;
	struct num_range r;
	struct numdb *db;
	struct timespec t0, t1, c0, c1;
	char(*nums)[16];
	size_t n = 0, i, j, hits = 0, found;
	double secs, cpu;

	(void)state;
	if (want < 1000 || want > 20000000)
		want = 2000000;
	set.mask = 1;
	while (set.mask < (size_t)want * 2)
		set.mask <<= 1;
	set.k = calloc(set.mask, sizeof(*set.k));
	set.mask--;
	keys = malloc((size_t)want * sizeof(*keys));
	hid = malloc((size_t)want * sizeof(*hid));
	nums = malloc(BENCH_NUMBERS * sizeof(*nums));
	assert_true(set.k && keys && hid && nums);

	/*
	 * Register-like ranges: "34" + NXY (6xx, 7xx, 8xx, 9xx) + a
	 * block of 2 to 4 more digits (10,000 to 100 numbers), nested
	 * freely; 500 operators, one in twenty lines a sub-assignment.
	 */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(numdb_builder_new(&b), 0);
	memset(&r, 0, sizeof(r));
	snprintf(r.area, sizeof(r.area), "Madrid");
	while (n < (size_t)want) {
		uint64_t x = rnd(), len = 7 + x % 3 + (x % 50 == 0 ? 1 : 0);
		uint64_t v = 34, d;
		unsigned k;

		d = 6 + (x >> 8) % 4;
		v = v * 10 + d;
		for (k = 3; k < len; k++)
			v = v * 10 + (rnd() >> 33) % 10;
		if (!kset_add(&set, (len << 56) | v))
			continue;
		keys[n] = (len << 56) | v;
		hid[n] = (uint16_t)(1 + (x >> 20) % 500);
		snprintf(
		    r.prefix, sizeof(r.prefix), "%llu", (unsigned long long)v);
		snprintf(r.status, sizeof(r.status), "%s",
		    (x >> 40) % 20 == 0 ? "Subasignado" : "Asignado");
		snprintf(r.holder, sizeof(r.holder), "OPERADOR %03u", hid[n]);
		r.assigned = (int64_t)(x % 9000) * 86400;
		assert_int_equal(numdb_builder_range(b, &r), 0);
		n++;
	}
	db = finish(b);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	numdb_info(db, &info);
	assert_true(info.ranges == n);
	assert_true(info.prefixes == n);
	printf("numdb: %zu ranges built in %.2f s; %zu bytes for the register "
	       "lookup = %.1f bytes/range (%zu bytes in all)\n",
	    n, secs_between(&t0, &t1), info.range_bytes,
	    (double)info.range_bytes / (double)n, info.bytes);

	/*
	 * Numbers to look up: half extend a known range (hits at some
	 * length), half are random 9-digit Spanish numbers.
	 */
	for (i = 0; i < BENCH_NUMBERS; i++) {
		uint64_t v;
		unsigned len, k;

		if (i % 2 == 0) {
			uint64_t key = keys[rnd() % n];

			v = key & ((1ULL << 56) - 1);
			len = (unsigned)(key >> 56);
		} else {
			/* First NSN digit 1 to 9: 5 and below miss. */
			v = 34 * 10 + 1 + rnd() % 9;
			len = 3;
		}
		for (k = len; k < 11; k++)
			v = v * 10 + (rnd() >> 33) % 10;
		snprintf(
		    nums[i], sizeof(nums[i]), "%llu", (unsigned long long)v);
	}

	/* Correctness: a sample against a scan of every range. */
	for (i = 0; i < SAMPLE; i++) {
		const char *num = nums[(i * 7919) % BENCH_NUMBERS];
		uint64_t pre[16], v = 0;
		size_t best = SIZE_MAX, bl = 0, nl = strlen(num);

		for (j = 0; j < nl; j++) {
			v = v * 10 + (uint64_t)(num[j] - '0');
			pre[j + 1] = v;
		}
		for (j = 0; j < n; j++) {
			size_t l = (size_t)(keys[j] >> 56);

			if (l <= nl && l > bl &&
			    pre[l] == (keys[j] & ((1ULL << 56) - 1))) {
				best = j;
				bl = l;
			}
		}
		found = numdb_cnmc(db, S(num), &res);
		if (best == SIZE_MAX) {
			assert_false(found);
			continue;
		}
		assert_true(found);
		assert_int_equal(strlen(res.prefix), bl);
		assert_true(strncmp(res.prefix, num, bl) == 0);
		{
			char h[32];

			snprintf(h, sizeof(h), "OPERADOR %03u", hid[best]);
			assert_string_equal(res.holder, h);
		}
	}

	/* Speed: every number, four rounds, on one thread. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	for (j = 0; j < 4; j++)
		for (i = 0; i < BENCH_NUMBERS; i++)
			hits += numdb_cnmc(db, str_make(nums[i], 11), &res);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = secs_between(&t0, &t1);
	cpu = secs_between(&c0, &c1);
	printf("numdb: %d lookups (%.0f%% hits) in %.3f s: %.2f million "
	       "lookups/s (%.0f ns each, %.2f million/s per CPU second)\n",
	    4 * BENCH_NUMBERS, 100.0 * (double)hits / (4.0 * BENCH_NUMBERS),
	    secs, 4.0 * BENCH_NUMBERS / secs / 1e6,
	    secs * 1e9 / (4.0 * BENCH_NUMBERS),
	    cpu > 0 ? 4.0 * BENCH_NUMBERS / cpu / 1e6 : 0.0);
	assert_true(hits >= 2 * (size_t)BENCH_NUMBERS);

	numdb_unref(db);
	free(set.k);
	free(keys);
	free(hid);
	free(nums);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(register_samples),
		cmocka_unit_test(register_short_prefixes),
		cmocka_unit_test(own_inventory),
		cmocka_unit_test(exceptions_validity),
		cmocka_unit_test(aliases),
		cmocka_unit_test(robinson_vectors),
		cmocka_unit_test(builder_errors),
		cmocka_unit_test(store_reload_keeps_old_on_failure),
		cmocka_unit_test(snapshot_old_reference),
		cmocka_unit_test(snapshot_swap_two_threads),
		cmocka_unit_test(two_million_ranges),
	};

	return cmocka_run_group_tests_name("callerid_numdb", tests, NULL, NULL);
}

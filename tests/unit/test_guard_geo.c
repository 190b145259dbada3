/*
 * tests/unit/test_guard_geo.c -- GeoIP lookups on a real MaxMind DB
 * written by tests/tools/mkmmdb.pl (run from the repository root),
 * refusal of bad files, and the country policy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <maxminddb.h>

#include "core/cfg.h"
#include "guard/geo.h"
#include "net/sa.h"

extern char **environ;

#define MKMMDB "tests/tools/mkmmdb.pl"

static struct {
	char dir[512];
	char good[600]; /* GeoLite2-Country */
	char custom[600]; /* same data, database_type without "Country" */
	char asn[600]; /* GeoLite2-ASN: no country data */
	char bad[600]; /* scratch file for the refusal tests */
	struct geo *g; /* "good", opened */
} fx;

/* Run "perl tests/tools/mkmmdb.pl file kind"; 0 when it exited 0. */
static int
mkmmdb(char *file, char *kind)
{
	char *argv[] = { "perl", MKMMDB, file, kind, NULL };
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	pid_t pid;
	int st, i, rc;

	rc = posix_spawnp(&pid, "perl", NULL, NULL, argv, environ);
	if (rc) {
		fprintf(stderr, "spawn perl: %s\n", strerror(rc));
		return -1;
	}
	for (i = 0; i < 600; i++) { /* 30 s */
		rc = (int)waitpid(pid, &st, WNOHANG);
		if (rc == pid)
			break;
		if (rc == -1 && errno != EINTR)
			return -1;
		nanosleep(&ts, NULL);
	}
	if (rc != pid) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		fprintf(stderr, "%s: timed out\n", MKMMDB);
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "perl %s %s %s failed (status %d)\n", MKMMDB,
		    file, kind, st);
		return -1;
	}
	return 0;
}

static int
group_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char err[256];
	int rc;

	snprintf(fx.dir, sizeof(fx.dir), "%s/centinela-geo-XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fx.dir)) {
		fprintf(stderr, "mkdtemp %s: %s\n", fx.dir, strerror(errno));
		return -1;
	}
	snprintf(fx.good, sizeof(fx.good), "%s/country.mmdb", fx.dir);
	snprintf(fx.custom, sizeof(fx.custom), "%s/custom.mmdb", fx.dir);
	snprintf(fx.asn, sizeof(fx.asn), "%s/asn.mmdb", fx.dir);
	snprintf(fx.bad, sizeof(fx.bad), "%s/bad.mmdb", fx.dir);
	if (mkmmdb(fx.good, "country") || mkmmdb(fx.custom, "custom") ||
	    mkmmdb(fx.asn, "asn"))
		return -1;
	rc = geo_open(&fx.g, fx.good, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "geo_open: %d %s\n", rc, err);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	geo_close(fx.g);
	unlink(fx.good);
	unlink(fx.custom);
	unlink(fx.asn);
	unlink(fx.bad);
	rmdir(fx.dir);
	return 0;
}

/* Country of "addr" in the test database, "" when there is none. */
static const char *
cc_of(const char *addr)
{
	static char cc[3];
	struct sa a;

	assert_int_equal(sa_set_cstr(&a, addr, 5060), 0);
	memset(cc, 'x', sizeof(cc));
	if (!geo_country(fx.g, &a, cc))
		return "";
	assert_int_equal(cc[2], '\0');
	return cc;
}

static void
test_lookup_v4(void **state)
{
	assert_string_equal(cc_of("127.0.0.1"), "ES");
	assert_string_equal(cc_of("127.0.0.255"), "ES");
	assert_string_equal(cc_of("127.0.1.200"), "FR");
	assert_string_equal(cc_of("127.0.3.3"), "KP");
	/* Stored as "gb": the code comes out upper case. */
	assert_string_equal(cc_of("127.0.5.9"), "GB");
}

static void
test_lookup_v4_mapped(void **state)
{
	/* The database does not alias ::ffff:0:0/96: only a conversion
	 * to IPv4 finds these. */
	assert_string_equal(cc_of("::ffff:127.0.0.1"), "ES");
	assert_string_equal(cc_of("::ffff:127.0.1.1"), "FR");
	assert_string_equal(cc_of("::ffff:127.0.3.77"), "KP");
	assert_string_equal(cc_of("::ffff:127.0.9.1"), "");
}

static void
test_lookup_v6(void **state)
{
	assert_string_equal(cc_of("2001:db8:1::5"), "US");
	assert_string_equal(cc_of("2001:db8:1:ffff:ffff:ffff:ffff:ffff"), "US");
	assert_string_equal(cc_of("2001:db8:2::1"), "");
	assert_string_equal(cc_of("2001:db8::1"), "");
}

static void
test_lookup_unknown(void **state)
{
	struct sa a;
	char cc[3];

	assert_string_equal(cc_of("127.0.9.1"), "");
	assert_string_equal(cc_of("127.1.0.1"), "");
	assert_string_equal(cc_of("192.0.2.1"), "");
	assert_string_equal(cc_of("::1"), "");
	/* An entry with a continent but neither country. */
	assert_string_equal(cc_of("127.0.4.1"), "");
	memset(&a, 0, sizeof(a));
	assert_false(geo_country(fx.g, &a, cc));
	assert_false(geo_country(NULL, &a, cc));
}

static void
test_lookup_registered_country(void **state)
{
	assert_string_equal(cc_of("127.0.2.7"), "CN");
	assert_string_equal(cc_of("::ffff:127.0.2.7"), "CN");
}

/* Expect geo_open(path) to fail with "want", a one-line message
 * naming the file and containing "phrase", and *gp untouched. */
static void
refused(const char *path, int want, const char *phrase)
{
	struct geo *g = (struct geo *)&fx; /* sentinel */
	char err[256];

	memset(err, 0, sizeof(err));
	assert_int_equal(geo_open(&g, path, err, sizeof(err)), want);
	assert_ptr_equal(g, (struct geo *)&fx);
	assert_non_null(strstr(err, path));
	if (!strstr(err, phrase))
		fail_msg("\"%s\" lacks \"%s\"", err, phrase);
	assert_null(strchr(err, '\n'));
}

static void
write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static unsigned char *
read_good(size_t *len)
{
	unsigned char *buf;
	struct stat st;
	FILE *f;

	assert_int_equal(stat(fx.good, &st), 0);
	assert_true(st.st_size > 64);
	*len = (size_t)st.st_size;
	buf = malloc(*len);
	assert_non_null(buf);
	f = fopen(fx.good, "rb");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, *len, f), *len);
	fclose(f);
	return buf;
}

static void
test_refuse_missing_and_empty(void **state)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/nonexistent.mmdb", fx.dir);
	refused(path, ENOENT, "No such file");
	refused(fx.dir, EINVAL, "not a regular file");
	write_file(fx.bad, "", 0);
	refused(fx.bad, EINVAL, "empty file");
	assert_int_equal(geo_open(NULL, fx.good, NULL, 0), EINVAL);
}

static void
test_refuse_random_bytes(void **state)
{
	unsigned char buf[4096];
	unsigned i, x = 12345;

	for (i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (unsigned char)(x >> 16);
	}
	write_file(fx.bad, buf, sizeof(buf));
	refused(fx.bad, EINVAL, "not a MaxMind DB file");
	write_file(fx.bad, "hello\n", 6);
	refused(fx.bad, EINVAL, "not a MaxMind DB file");
}

static void
test_refuse_truncated(void **state)
{
	size_t len, cut[] = { 1, 2, 16, 0, 0, 0 }, i;
	unsigned char *buf = read_good(&len);

	cut[3] = len / 2;
	cut[4] = len - 20;
	cut[5] = len - 1;
	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		write_file(fx.bad, buf, len - cut[i]);
		refused(fx.bad, EINVAL, "truncated");
	}
	/* The untouched copy opens: the cuts, not the copy, were bad. */
	write_file(fx.bad, buf, len);
	{
		struct geo *g = NULL;

		assert_int_equal(geo_open(&g, fx.bad, NULL, 0), 0);
		geo_close(g);
	}
	free(buf);
}

/*
 * Corruption inside an intact file, which MMDB_open() itself accepts:
 * a search-tree record pointing past the end, and a data entry of an
 * invalid type.
 */
static void
test_refuse_corrupt(void **state)
{
	unsigned char *buf;
	size_t len, tree, data;
	MMDB_s db;

	assert_int_equal(MMDB_open(fx.good, MMDB_MODE_MMAP, &db), 0);
	assert_int_equal(db.metadata.record_size, 24);
	tree = (size_t)db.metadata.node_count * 6;
	data = tree + 16;
	MMDB_close(&db);

	buf = read_good(&len);
	memset(buf, 0xff, 6); /* node 0: both records 0xffffff */
	write_file(fx.bad, buf, len);
	assert_int_equal(MMDB_open(fx.bad, MMDB_MODE_MMAP, &db), 0);
	MMDB_close(&db);
	refused(fx.bad, EINVAL, "corrupt search tree");
	free(buf);

	buf = read_good(&len);
	assert_true(data + 2 < len);
	buf[data] = 0x00; /* extended type ... */
	buf[data + 1] = 0xff; /* ... 7 + 255: no such type */
	write_file(fx.bad, buf, len);
	refused(fx.bad, EINVAL, "corrupt data");
	free(buf);
}

static void
test_refuse_no_country(void **state)
{
	refused(fx.asn, EINVAL,
	    "no country data (database_type "
	    "\"GeoLite2-ASN\")");
}

/* A database_type without "Country" or "City" is fine when the data
 * carries country codes. */
static void
test_open_custom_type(void **state)
{
	struct geo *g = NULL;
	char err[256] = "", cc[3];
	struct sa a;

	assert_int_equal(geo_open(&g, fx.custom, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(sa_set_cstr(&a, "127.0.1.1", 0), 0);
	assert_true(geo_country(g, &a, cc));
	assert_string_equal(cc, "FR");
	geo_close(g);
	geo_close(NULL);
}

static void
test_policy(void **state)
{
	struct cfg_geo_policy p;

	memset(&p, 0, sizeof(p));
	p.action = GA_REJECT;
	p.unknown = GA_DROP;
	/* No lists: everything known passes, unknown gets "unknown". */
	assert_int_equal(geo_policy(&p, "ES"), GA_LOG);
	assert_int_equal(geo_policy(&p, NULL), GA_DROP);

	/* Deny list only. */
	memcpy(p.deny[0], "KP", 3);
	memcpy(p.deny[1], "CN", 3);
	p.ndeny = 2;
	assert_int_equal(geo_policy(&p, "KP"), GA_REJECT);
	assert_int_equal(geo_policy(&p, "CN"), GA_REJECT);
	assert_int_equal(geo_policy(&p, "cn"), GA_REJECT);
	assert_int_equal(geo_policy(&p, "Kp"), GA_REJECT);
	assert_int_equal(geo_policy(&p, "ES"), GA_LOG);
	assert_int_equal(geo_policy(&p, NULL), GA_DROP);

	/* Allow list: only ES, FR (and deny still wins over it). */
	memcpy(p.allow[0], "ES", 3);
	memcpy(p.allow[1], "fr", 3);
	memcpy(p.allow[2], "KP", 3);
	p.nallow = 3;
	p.action = GA_BAN;
	assert_int_equal(geo_policy(&p, "ES"), GA_LOG);
	assert_int_equal(geo_policy(&p, "es"), GA_LOG);
	assert_int_equal(geo_policy(&p, "FR"), GA_LOG);
	assert_int_equal(geo_policy(&p, "US"), GA_BAN);
	assert_int_equal(geo_policy(&p, "KP"), GA_BAN);
	p.unknown = GA_LOG;
	assert_int_equal(geo_policy(&p, NULL), GA_LOG);

	/* Only the first n entries count. */
	p.ndeny = 0;
	p.nallow = 1;
	assert_int_equal(geo_policy(&p, "KP"), GA_BAN);
	assert_int_equal(geo_policy(&p, "FR"), GA_BAN);
	assert_int_equal(geo_policy(&p, "ES"), GA_LOG);
}

/* The lookup feeds the policy end to end. */
static void
test_policy_lookup(void **state)
{
	struct cfg_geo_policy p;
	const char *cc;

	memset(&p, 0, sizeof(p));
	p.action = GA_REJECT;
	p.unknown = GA_DROP;
	memcpy(p.allow[0], "ES", 3);
	memcpy(p.allow[1], "FR", 3);
	p.nallow = 2;
	cc = cc_of("127.0.0.9");
	assert_int_equal(geo_policy(&p, cc), GA_LOG);
	cc = cc_of("127.0.2.9");
	assert_int_equal(geo_policy(&p, cc), GA_REJECT);
	cc = cc_of("127.0.9.9");
	assert_int_equal(geo_policy(&p, *cc ? cc : NULL), GA_DROP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_v4),
		cmocka_unit_test(test_lookup_v4_mapped),
		cmocka_unit_test(test_lookup_v6),
		cmocka_unit_test(test_lookup_unknown),
		cmocka_unit_test(test_lookup_registered_country),
		cmocka_unit_test(test_refuse_missing_and_empty),
		cmocka_unit_test(test_refuse_random_bytes),
		cmocka_unit_test(test_refuse_truncated),
		cmocka_unit_test(test_refuse_corrupt),
		cmocka_unit_test(test_refuse_no_country),
		cmocka_unit_test(test_open_custom_type),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_policy_lookup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * tests/unit/test_auth_seal.c -- sealed device secrets (auth/seal.h):
 * the key file (created 0600 on first use, the same key on reload,
 * refused when others may read it or when it is not a key, the path
 * derived from an SQLite store), boxes that open for their account
 * only, under their key only, and not after any byte changed, and
 * arguments out of range.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth/seal.h"

static char dir[PATH_MAX];

static int
group_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/seal-XXXXXX", tmp ? tmp : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int
group_teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
path_of(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static void
write_file(const char *path, const char *txt, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, txt, strlen(txt)), (ssize_t)strlen(txt));
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

/* ---- the key file ------------------------------------------------------ */

static void
key_created_0600_and_reloaded(void **state)
{
	struct seal_key k1, k2;
	char path[PATH_MAX + 32], err[256];
	struct stat st;

	path_of(path, sizeof(path), "first.key");
	/* Without "create" a missing file is an error. */
	assert_int_equal(
	    seal_key_load(&k1, path, false, err, sizeof(err)), ENOENT);
	assert_non_null(strstr(err, "does not exist"));
	assert_int_equal(seal_key_load(&k1, path, true, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 65);
	/* Reloading gives the same key; creating again changes nothing. */
	assert_int_equal(seal_key_load(&k2, path, true, err, sizeof(err)), 0);
	assert_memory_equal(k1.k, k2.k, SEAL_KEY_LEN);
	assert_memory_equal(k1.id, k2.id, SEAL_KEY_ID_LEN);
	/* No temporary file left behind. */
	path_of(path, sizeof(path), "first.key.tmp");
	assert_int_not_equal(access(path, F_OK), 0);
	seal_key_wipe(&k1);
	seal_key_wipe(&k2);
}

static void
key_two_files_differ(void **state)
{
	struct seal_key k1, k2;
	char p1[PATH_MAX + 32], p2[PATH_MAX + 32];

	path_of(p1, sizeof(p1), "a.key");
	path_of(p2, sizeof(p2), "b.key");
	assert_int_equal(seal_key_load(&k1, p1, true, NULL, 0), 0);
	assert_int_equal(seal_key_load(&k2, p2, true, NULL, 0), 0);
	assert_memory_not_equal(k1.k, k2.k, SEAL_KEY_LEN);
	assert_memory_not_equal(k1.id, k2.id, SEAL_KEY_ID_LEN);
}

static void
key_file_refused(void **state)
{
	static const char good[] = "00112233445566778899aabbccddeeff00112233445"
				   "566778899aabbccddeeff\n";
	struct seal_key k;
	char path[PATH_MAX + 32], err[256];

	path_of(path, sizeof(path), "open.key");
	write_file(path, good, 0644);
	assert_int_equal(
	    seal_key_load(&k, path, true, err, sizeof(err)), EPERM);
	assert_non_null(strstr(err, "0644"));
	/* Nothing of the key leaks into the message. */
	assert_null(strstr(err, "00112233"));
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(seal_key_load(&k, path, false, err, sizeof(err)), 0);
	assert_int_equal(k.k[0], 0x00);
	assert_int_equal(k.k[15], 0xff);

	/* Not hex, short, long, trailing junk. */
	write_file(path,
	    "zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	    "\n",
	    0600);
	assert_int_equal(
	    seal_key_load(&k, path, false, err, sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "64 hex digits"));
	write_file(path, "0011\n", 0600);
	assert_int_equal(
	    seal_key_load(&k, path, false, err, sizeof(err)), EINVAL);
	write_file(path,
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00"
	    "\n",
	    0600);
	assert_int_equal(
	    seal_key_load(&k, path, false, err, sizeof(err)), EINVAL);
	write_file(path,
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
	    "x",
	    0600);
	assert_int_equal(
	    seal_key_load(&k, path, false, err, sizeof(err)), EINVAL);
	/* A directory. */
	path_of(path, sizeof(path), "adir.key");
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(
	    seal_key_load(&k, path, true, err, sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	/* A directory that does not exist: cannot create. */
	path_of(path, sizeof(path), "missing/x.key");
	assert_int_equal(
	    seal_key_load(&k, path, true, err, sizeof(err)), ENOENT);
	assert_int_equal(seal_key_load(&k, "", true, err, sizeof(err)), EINVAL);
	assert_int_equal(
	    seal_key_load(NULL, path, true, err, sizeof(err)), EINVAL);
}

static void
key_path_derived(void **state)
{
	char out[64];

	assert_int_equal(
	    seal_key_path("/k/x.key", "sqlite:/d/c.db", out, sizeof(out)), 0);
	assert_string_equal(out, "/k/x.key");
	assert_int_equal(
	    seal_key_path("", "sqlite:/d/c.db", out, sizeof(out)), 0);
	assert_string_equal(out, "/d/c.db.key");
	assert_int_equal(
	    seal_key_path(NULL, "sqlite:rel.db", out, sizeof(out)), 0);
	assert_string_equal(out, "rel.db.key");
	assert_int_equal(
	    seal_key_path("", "postgresql://h/db", out, sizeof(out)), ENOENT);
	assert_int_equal(
	    seal_key_path("", "sqlite:", out, sizeof(out)), ENOENT);
	assert_int_equal(seal_key_path("",
			     "sqlite:/a/very/long/path/name/"
			     "that/does/not/fit/in/64/bytes/at/all.db",
			     out, sizeof(out)),
	    ENAMETOOLONG);
	assert_string_equal(out, "");
}

/* ---- boxes ----------------------------------------------------------- */

static void
fixed_key(struct seal_key *k, const char *name)
{
	char path[PATH_MAX + 32];

	path_of(path, sizeof(path), name);
	assert_int_equal(seal_key_load(k, path, true, NULL, 0), 0);
}

static void
box_roundtrip(void **state)
{
	static const char secret[] = "Xq7Tn2Lp9Rs4Vw6Yz8Ab3Cd";
	char box[SEAL_BOX_MAX], box2[SEAL_BOX_MAX], out[SEAL_SECRET_MAX + 1];
	char longest[SEAL_SECRET_MAX + 1];
	struct seal_key k;

	fixed_key(&k, "rt.key");
	assert_int_equal(
	    seal_box(&k, "100", "example.com", secret, box, sizeof(box)), 0);
	assert_true(strlen(box) < SEAL_BOX_MAX);
	assert_null(strstr(box, secret));
	assert_int_equal(
	    seal_open(&k, "100", "example.com", box, out, sizeof(out)), 0);
	assert_string_equal(out, secret);
	/* A fresh nonce every time: the same secret seals differently. */
	assert_int_equal(
	    seal_box(&k, "100", "example.com", secret, box2, sizeof(box2)), 0);
	assert_string_not_equal(box, box2);
	assert_int_equal(
	    seal_open(&k, "100", "example.com", box2, out, sizeof(out)), 0);
	assert_string_equal(out, secret);
	/* The longest secret fits the box. */
	memset(longest, 'a', SEAL_SECRET_MAX);
	longest[SEAL_SECRET_MAX] = '\0';
	assert_int_equal(
	    seal_box(&k, "100", "example.com", longest, box, sizeof(box)), 0);
	assert_int_equal(strlen(box), SEAL_BOX_MAX - 1);
	assert_int_equal(
	    seal_open(&k, "100", "example.com", box, out, sizeof(out)), 0);
	assert_string_equal(out, longest);
}

static void
box_bound_to_account(void **state)
{
	char box[SEAL_BOX_MAX], out[SEAL_SECRET_MAX + 1];
	struct seal_key k;

	fixed_key(&k, "bind.key");
	assert_int_equal(seal_box(&k, "100", "example.com", "s3cr3tS3cr3t", box,
			     sizeof(box)),
	    0);
	assert_int_equal(
	    seal_open(&k, "101", "example.com", box, out, sizeof(out)),
	    EBADMSG);
	assert_string_equal(out, "");
	assert_int_equal(
	    seal_open(&k, "100", "example.org", box, out, sizeof(out)),
	    EBADMSG);
	/* The boundary between user and domain counts. */
	assert_int_equal(seal_box(&k, "10", "0example.com", "s3cr3tS3cr3t", box,
			     sizeof(box)),
	    0);
	assert_int_equal(
	    seal_open(&k, "100", "example.com", box, out, sizeof(out)),
	    EBADMSG);
	assert_int_equal(
	    seal_open(&k, "10", "0example.com", box, out, sizeof(out)), 0);
}

static void
box_other_key(void **state)
{
	char box[SEAL_BOX_MAX], out[SEAL_SECRET_MAX + 1];
	struct seal_key k1, k2;

	fixed_key(&k1, "k1.key");
	fixed_key(&k2, "k2.key");
	assert_int_equal(seal_box(&k1, "100", "example.com", "s3cr3tS3cr3t",
			     box, sizeof(box)),
	    0);
	assert_int_equal(
	    seal_open(&k2, "100", "example.com", box, out, sizeof(out)),
	    EKEYREJECTED);
	/* Another key under the same id (forged header): still no. */
	memcpy(k2.id, k1.id, SEAL_KEY_ID_LEN);
	assert_int_equal(
	    seal_open(&k2, "100", "example.com", box, out, sizeof(out)),
	    EBADMSG);
	assert_string_equal(out, "");
}

/* Every byte of the box matters (flip each in turn). */
static void
box_tampered(void **state)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char box[SEAL_BOX_MAX], bad[SEAL_BOX_MAX], out[SEAL_SECRET_MAX + 1];
	struct seal_key k;
	size_t i, n;
	int rc;

	fixed_key(&k, "tamper.key");
	assert_int_equal(seal_box(&k, "100", "example.com", "s3cr3tS3cr3t", box,
			     sizeof(box)),
	    0);
	n = strlen(box);
	for (i = 0; i < n; i++) {
		const char *p;

		memcpy(bad, box, n + 1);
		if (bad[i] == '=')
			continue;
		p = strchr(b64, bad[i]);
		assert_non_null(p);
		bad[i] = b64[((size_t)(p - b64) + 1) % 64];
		rc = seal_open(&k, "100", "example.com", bad, out, sizeof(out));
		if (rc == 0)
			fail_msg("box with character %zu changed opened", i);
		assert_true(
		    rc == EBADMSG || rc == EINVAL || rc == EKEYREJECTED);
		assert_string_equal(out, "");
	}
}

static void
box_bad_input(void **state)
{
	char box[SEAL_BOX_MAX], out[SEAL_SECRET_MAX + 1];
	char toolong[SEAL_SECRET_MAX + 2];
	struct seal_key k;

	fixed_key(&k, "bad.key");
	memset(toolong, 'a', sizeof(toolong) - 1);
	toolong[sizeof(toolong) - 1] = '\0';
	assert_int_equal(
	    seal_box(&k, "100", "example.com", "", box, sizeof(box)), EINVAL);
	assert_int_equal(
	    seal_box(&k, "100", "example.com", toolong, box, sizeof(box)),
	    EINVAL);
	assert_int_equal(
	    seal_box(&k, "", "example.com", "secretsecret", box, sizeof(box)),
	    EINVAL);
	assert_int_equal(
	    seal_box(&k, "100", NULL, "secretsecret", box, sizeof(box)),
	    EINVAL);
	assert_int_equal(
	    seal_box(&k, "100", "example.com", "secretsecret", box, 10),
	    EINVAL);
	assert_int_equal(seal_box(NULL, "100", "example.com", "secretsecret",
			     box, sizeof(box)),
	    EINVAL);

	/* Not a box: empty, not base64, too short, wrong version. */
	assert_int_equal(
	    seal_open(&k, "100", "example.com", "", out, sizeof(out)), EINVAL);
	assert_int_equal(seal_open(&k, "100", "example.com", "not base64!", out,
			     sizeof(out)),
	    EINVAL);
	assert_int_equal(
	    seal_open(&k, "100", "example.com", "AAAA", out, sizeof(out)),
	    EINVAL);
	assert_int_equal(seal_box(&k, "100", "example.com", "secretsecret", box,
			     sizeof(box)),
	    0);
	box[0] = box[0] == 'A' ? 'B' : 'A'; /* the version byte */
	assert_int_equal(
	    seal_open(&k, "100", "example.com", box, out, sizeof(out)), EINVAL);
	assert_int_equal(seal_box(&k, "100", "example.com", "secretsecret", box,
			     sizeof(box)),
	    0);
	assert_int_equal(
	    seal_open(&k, "100", "example.com", box, out, SEAL_SECRET_MAX),
	    EINVAL);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_created_0600_and_reloaded),
		cmocka_unit_test(key_two_files_differ),
		cmocka_unit_test(key_file_refused),
		cmocka_unit_test(key_path_derived),
		cmocka_unit_test(box_roundtrip),
		cmocka_unit_test(box_bound_to_account),
		cmocka_unit_test(box_other_key),
		cmocka_unit_test(box_tampered),
		cmocka_unit_test(box_bad_input),
	};

	return cmocka_run_group_tests_name(
	    "auth_seal", tests, group_setup, group_teardown);
}

/*
 * tests/unit/test_media_bencode.c -- the bencode encoder and decoder
 * (media/bencode.c): round trips, rtpengine-shaped replies, and
 * malformed, truncated and hostile input.
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

#include "media/bencode.h"

static void
assert_view(struct str v, const char *want)
{
	assert_int_equal(v.len, strlen(want));
	if (v.len)
		assert_memory_equal(v.s, want, v.len);
}

static void
encode(void **state)
{
	char buf[256];
	struct bencode_buf w;

	bencode_init(&w, buf, sizeof(buf));
	bencode_open_dict(&w);
	bencode_put_cstr(&w, "command");
	bencode_put_cstr(&w, "offer");
	bencode_put_cstr(&w, "n");
	bencode_put_int(&w, -42);
	bencode_put_cstr(&w, "flags");
	bencode_open_list(&w);
	bencode_put_cstr(&w, "trust-address");
	bencode_put_str(&w, STR(""));
	bencode_put_int(&w, 0);
	bencode_close(&w);
	bencode_close(&w);
	assert_false(w.overflow);
	assert_view(str_make(w.b, w.len),
	    "d7:command5:offer1:ni-42e5:flagsl13:trust-address0:i0eee");

	/* Overflow is sticky and never writes past the end. */
	memset(buf, 'x', sizeof(buf));
	bencode_init(&w, buf, 5);
	bencode_put_cstr(&w, "abcdef");
	bencode_put_cstr(&w, "");
	assert_true(w.overflow);
	assert_int_equal(buf[5], 'x');
	bencode_init(&w, buf, 64);
	bencode_put_int(&w, INT64_MIN);
	assert_view(str_make(w.b, w.len), "i-9223372036854775808e");
}

static void
decode_reply(void **state)
{
	struct str d = STR("d6:result2:ok3:sdp12:v=0\r\no=- 1 15:flagsl1:a1:be"
			   "4:deepd1:xli1ei2eee"
			   "12:error-reason0:e");
	struct str v, s, e;
	struct bencode_iter it = { 0 };
	int64_t n;
	size_t len;

	assert_int_equal(bencode_value_len(d, &len), 0);
	assert_int_equal(len, d.len);
	assert_int_equal(bencode_dict_find(d, STR("result"), &v), 0);
	assert_int_equal(bencode_get_str(v, &s), 0);
	assert_view(s, "ok");
	assert_int_equal(bencode_dict_find(d, STR("sdp"), &v), 0);
	assert_int_equal(bencode_get_str(v, &s), 0);
	assert_view(s, "v=0\r\no=- 1 1");
	assert_int_equal(bencode_dict_find(d, STR("flags"), &v), 0);
	assert_int_equal(bencode_type(v), BENCODE_LIST);
	assert_int_equal(bencode_next(v, &it, &e), 0);
	assert_int_equal(bencode_get_str(e, &s), 0);
	assert_view(s, "a");
	assert_int_equal(bencode_next(v, &it, &e), 0);
	assert_int_equal(bencode_next(v, &it, &e), ENOENT);
	assert_int_equal(bencode_dict_find(d, STR("deep"), &v), 0);
	assert_int_equal(bencode_dict_find(v, STR("x"), &v), 0);
	memset(&it, 0, sizeof(it));
	assert_int_equal(bencode_next(v, &it, &e), 0);
	assert_int_equal(bencode_get_int(e, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(bencode_dict_find(d, STR("error-reason"), &v), 0);
	assert_int_equal(bencode_get_str(v, &s), 0);
	assert_int_equal(s.len, 0);
	assert_int_equal(bencode_dict_find(d, STR("missing"), &v), ENOENT);
	/* Wrong type for a getter. */
	assert_int_equal(bencode_dict_find(d, STR("flags"), &v), 0);
	assert_int_equal(bencode_get_str(v, &s), EBADMSG);
	assert_int_equal(bencode_get_int(v, &n), EBADMSG);
	/* Empty containers. */
	assert_int_equal(bencode_dict_find(STR("de"), STR("a"), &v), ENOENT);
	assert_int_equal(bencode_value_len(STR("le"), &len), 0);
	assert_int_equal(len, 2);
}

static void
integers(void **state)
{
	int64_t n;

	assert_int_equal(bencode_get_int(STR("i0e"), &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(bencode_get_int(STR("i9223372036854775807e"), &n), 0);
	assert_int_equal(n, INT64_MAX);
	assert_int_equal(bencode_get_int(STR("i-9223372036854775808e"), &n), 0);
	assert_true(n == INT64_MIN);
	n = 7;
	assert_int_equal(
	    bencode_get_int(STR("i9223372036854775808e"), &n), EBADMSG);
	assert_int_equal(bencode_get_int(STR("i-0e"), &n), EBADMSG);
	assert_int_equal(bencode_get_int(STR("i03e"), &n), EBADMSG);
	assert_int_equal(bencode_get_int(STR("ie"), &n), EBADMSG);
	assert_int_equal(bencode_get_int(STR("i-e"), &n), EBADMSG);
	assert_int_equal(bencode_get_int(STR("i1"), &n), EBADMSG);
	assert_int_equal(bencode_get_int(STR("i1ex"), &n), EBADMSG);
	assert_int_equal(
	    bencode_get_int(STR("i99999999999999999999e"), &n), EBADMSG);
	assert_int_equal(n, 7);
}

static void
malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"d",
		"l",
		"x",
		"5:abc", /* length past the end */
		"05:abcde", /* leading zero */
		"3abc", /* no colon */
		"d1:ae", /* key without value */
		"di1e1:ae", /* key not a string */
		"dl1:ae1:ae", /* key not a string */
		"l1:a", /* unterminated */
		"1234567890:x", /* absurd length */
		"e",
	};
	struct str v;
	size_t i, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct str in = str_make(bad[i], strlen(bad[i]));

		if (bencode_value_len(in, &len) == 0)
			fail_msg("case %zu (%s) accepted", i, bad[i]);
	}
	/* Trailing bytes after the dictionary. */
	assert_int_equal(
	    bencode_dict_find(STR("d1:a1:bex"), STR("a"), &v), EBADMSG);
	assert_int_equal(
	    bencode_dict_find(STR("l1:ae"), STR("a"), &v), EBADMSG);
}

static void
deep_nesting(void **state)
{
	char buf[256];
	size_t len, i;

	for (i = 0; i < BENCODE_MAX_DEPTH; i++)
		buf[i] = 'l';
	for (; i < 2 * BENCODE_MAX_DEPTH; i++)
		buf[i] = 'e';
	assert_int_equal(bencode_value_len(str_make(buf, i), &len), 0);
	assert_int_equal(len, i);
	for (i = 0; i < 100; i++)
		buf[i] = 'l';
	for (; i < 200; i++)
		buf[i] = 'e';
	assert_int_equal(bencode_value_len(str_make(buf, 200), &len), ELOOP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encode),
		cmocka_unit_test(decode_reply),
		cmocka_unit_test(integers),
		cmocka_unit_test(malformed),
		cmocka_unit_test(deep_nesting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * tests/unit/test_callerid_cnmc.c -- the CNMC register parser
 * (callerid/cnmc.h, R-27): the sample lines of the research note in
 * windows-1252 (tests/data/cnmc/), sub-block expansion, the 2-, 3- and
 * 4-digit forms, one bad row of each kind reported by line, encodings.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "callerid/cnmc.h"

/* The fixtures, relative to the top of the tree (where tests run). */
#define DATA_DIR "tests/data/cnmc/"

#define GOT_MAX 64

/* What a parse handed out. */
struct got {
	int n;
	struct num_range r[GOT_MAX];
	int nbad;
	char bad[GOT_MAX][CNMC_MSG_MAX];
	int stop_at; /* return 7 from the stop_at-th range; 0 never */
};

static int
on_range(const struct num_range *r, void *arg)
{
	struct got *g = arg;

	if (g->n >= GOT_MAX)
		return -1;
	g->r[g->n++] = *r;
	return g->n == g->stop_at ? 7 : 0;
}

static void
on_bad(const char *msg, void *arg)
{
	struct got *g = arg;

	if (g->nbad < GOT_MAX)
		snprintf(g->bad[g->nbad], sizeof(g->bad[0]), "%s", msg);
	g->nbad++;
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
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* Parse fixture "file" from "enc" into "g"; returns cnmc_parse()'s. */
static int
parse_file(const char *file, enum cnmc_encoding enc, struct got *g,
    struct cnmc_stats *st)
{
	char path[256];
	size_t len;
	char *buf;
	int rc;

	snprintf(path, sizeof(path), DATA_DIR "%s", file);
	buf = slurp(path, &len);
	rc = cnmc_parse(path, buf, len, enc, on_range, on_bad, g, st);
	assert_true(st->pos == len || rc != 0);
	free(buf);
	return rc;
}

static int
parse_text(const char *text, enum cnmc_encoding enc, struct got *g,
    struct cnmc_stats *st)
{
	return cnmc_parse(
	    "t.txt", text, strlen(text), enc, on_range, on_bad, g, st);
}

static void
assert_has(const char *msg, const char *want)
{
	if (!strstr(msg, want))
		fail_msg("\"%s\" lacks \"%s\"", msg, want);
}

static void
assert_range(const struct num_range *r, const char *prefix, const char *status,
    const char *sub, const char *holder)
{
	assert_string_equal(r->prefix, prefix);
	assert_string_equal(r->status, status);
	assert_string_equal(r->subblocks, sub);
	assert_string_equal(r->holder, holder);
}

/* 09/07/2013 00:00 UTC and friends, checked with date(1). */
#define D_2013_07_09 1373328000
#define D_1998_07_30 901756800
#define D_2008_02_29 1204243200

static void
sample_geograficos(void **state)
{
	struct got g = { 0 };
	struct cnmc_stats st;

	(void)state;
	assert_int_equal(
	    parse_file("geograficos.txt", CNMC_WINDOWS_1252, &g, &st), 0);
	assert_int_equal(g.nbad, 0);
	assert_true(st.lines == 6 && st.rows == 6 && st.ranges == 6);
	assert_int_equal(g.n, 6);
	/* 0xC1 is Á: windows-1252 into UTF-8; CRLF ends are gone. */
	assert_range(&g.r[0], "3482224", "Asignado", "",
	    "AIRE NETWORKS DEL MEDITERR\xc3\x81NEO, S.L. UNIPERSONAL");
	assert_string_equal(g.r[0].area, "Santa Cruz de Tenerife");
	assert_true(g.r[0].assigned == D_2013_07_09);
	assert_string_equal(g.r[0].source, "geograficos.txt:1");
	/* 822#24 Subasignado 03: 822240300 to 822240399. */
	assert_range(&g.r[1], "348222403", "Subasignado", "03",
	    "WIFI CANARIAS DE TELECOMUNICACIONES Y FIBRA, S.L.");
	assert_string_equal(g.r[1].source, "geograficos.txt:2");
	assert_range(&g.r[2], "3482201", "Compartido", "",
	    "VODAFONE ESPA\xc3\x91\x41, S.A. UNIPERSONAL");
	assert_range(&g.r[3], "3482201", "Compartido", "",
	    "VODAFONE ONO, S.A. UNIPERSONAL");
	/* 815#00: 815000000 to 815009999. */
	assert_range(&g.r[4], "3481500", "Asignado", "",
	    "TELEF\xc3\x93NICA DE ESPA\xc3\x91\x41, S.A. UNIPERSONAL");
	/* A 3-digit block (1,000 numbers, since 2021). */
	assert_range(&g.r[5], "34919123", "Asignado", "",
	    "OPERADOR DE MIL N\xc3\x9aMEROS, S.L.");
}

static void
sample_moviles(void **state)
{
	struct got g = { 0 };
	struct cnmc_stats st;

	(void)state;
	assert_int_equal(
	    parse_file("moviles.txt", CNMC_WINDOWS_1252, &g, &st), 0);
	assert_true(st.rows == 5 && st.ranges == 7);
	assert_int_equal(g.n, 7);
	/* Empty block: the whole NXY. */
	assert_range(&g.r[0], "34606", "Asignado", "",
	    "TELEF\xc3\x93NICA M\xc3\x93VILES ESPA\xc3\x91\x41, S.A. "
	    "UNIPERSONAL");
	assert_true(g.r[0].assigned == D_1998_07_30);
	assert_string_equal(g.r[0].area, "");
	/* 601#5 Subasignado 0 (a blank area field " "). */
	assert_range(&g.r[1], "3460150", "Subasignado", "0",
	    "XFERA M\xc3\x93VILES, S.A. UNIPERSONAL");
	assert_string_equal(g.r[1].area, "");
	assert_range(&g.r[2], "346015", "Asignado", "",
	    "VODAFONE ENABLER ESPA\xc3\x91\x41, S.L.");
	/* 71#10: the 2-digit NXY form of the 7x mobile ranges. */
	assert_range(&g.r[3], "347110", "Asignado", "",
	    "ZINNIA TELECOMUNICACIONES, S.L. UNIPERSONAL");
	/* Older files: several sub-blocks on one line, a leap day. */
	assert_range(&g.r[4], "3462290", "Subasignado", "0,1,2",
	    "OPERADOR ANTIGUO, S.A.");
	assert_range(&g.r[5], "3462291", "Subasignado", "0,1,2",
	    "OPERADOR ANTIGUO, S.A.");
	assert_range(&g.r[6], "3462292", "Subasignado", "0,1,2",
	    "OPERADOR ANTIGUO, S.A.");
	assert_string_equal(g.r[6].area, "GSM/DCS");
	assert_true(g.r[6].assigned == D_2008_02_29);
	assert_string_equal(g.r[6].source, "moviles.txt:5");
}

/* Every bad row is reported by line, and parsing goes on. */
static void
bad_rows_by_line(void **state)
{
	static const char *const want[] = {
		"bad.txt:1: 2 fields, want 6",
		"bad.txt:3: 5 fields, want 6",
		"bad.txt:4: 7 fields, want 6",
		"bad.txt:5: status \"Reservado\" is not Asignado",
		"bad.txt:6: date \"31/02/2013\" is not a dd/mm/yyyy",
		"bad.txt:7: NXY \"8x2\" is not 2 to 4 digits",
		"bad.txt:8: operator is empty",
		"bad.txt:10: Subasignado without sub-block numbers",
		"bad.txt:11: sub-block \"\" is not 1 to 3 digits",
		"bad.txt:12: block \"3a\" is not 0 to 4 digits",
		"bad.txt:13: date \"9-7-2013\"",
		"bad.txt:14: status Asignado followed by \"05\"",
		"bad.txt:15: block \"12345\"",
		"bad.txt:16: date \"29/02/2013\"",
	};
	struct got g = { 0 };
	struct cnmc_stats st;
	size_t i;

	(void)state;
	assert_int_equal(
	    parse_file("bad.txt", CNMC_WINDOWS_1252, &g, &st), EBADMSG);
	assert_int_equal(g.nbad, (int)(sizeof(want) / sizeof(want[0])));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_has(g.bad[i], want[i]);
	assert_true(st.bad == sizeof(want) / sizeof(want[0]));
	assert_true(st.lines == 17);
	/* The good rows (lines 2 and 17, a leap day) still come out. */
	assert_true(st.rows == 2);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.r[0].prefix, "3482224");
	assert_string_equal(g.r[1].prefix, "3482236");
	assert_string_equal(g.r[1].source, "bad.txt:17");
	/* Without a bad callback: counted all the same. */
	assert_int_equal(cnmc_parse("x", "1#2#3\n", 6, CNMC_WINDOWS_1252, NULL,
			     NULL, NULL, &st),
	    EBADMSG);
	assert_true(st.bad == 1);
}

/*
 * A UTF-8 file read as windows-1252 does not crash: "Ó" (C3 93) reads
 * as "Ã“", and "Á" (C3 81) holds 0x81, which windows-1252 does not
 * define: that row is bad. Read as UTF-8 it is fine.
 */
static void
utf8_file_as_windows_1252(void **state)
{
	struct got g = { 0 };
	struct cnmc_stats st;
	size_t len;
	char *buf;

	(void)state;
	assert_int_equal(
	    parse_file("utf8.txt", CNMC_WINDOWS_1252, &g, &st), EBADMSG);
	assert_int_equal(g.n, 1);
	assert_has(g.r[0].holder, "TELEF\xc3\x83\xe2\x80\x9cNICA");
	assert_int_equal(g.nbad, 1);
	assert_has(g.bad[0], "utf8.txt:2: byte 0x81 at column");
	assert_has(g.bad[0], "is not windows-1252");

	memset(&g, 0, sizeof(g));
	assert_int_equal(parse_file("utf8.txt", CNMC_UTF8, &g, &st), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.r[0].holder,
	    "TELEF\xc3\x93NICA M\xc3\x93VILES ESPA\xc3\x91\x41, S.A. "
	    "UNIPERSONAL");

	buf = slurp(DATA_DIR "utf8.txt", &len);
	assert_true(cnmc_looks_utf8(buf, len));
	free(buf);
	buf = slurp(DATA_DIR "moviles.txt", &len);
	assert_false(cnmc_looks_utf8(buf, len));
	free(buf);
	assert_false(cnmc_looks_utf8("plain ASCII", 11));
	assert_false(cnmc_looks_utf8("\xc3", 1)); /* cut short */

	/* Bytes that are not UTF-8 in a file said to be UTF-8. */
	memset(&g, 0, sizeof(g));
	assert_int_equal(parse_text("606###Asignado#TELEF\xd3NICA#30/07/1998\n",
			     CNMC_UTF8, &g, &st),
	    EBADMSG);
	assert_has(g.bad[0], "t.txt:1: byte 0xd3 at column 21 is not utf-8");
}

static void
encodings(void **state)
{
	struct got g = { 0 };
	struct cnmc_stats st;
	enum cnmc_encoding e = CNMC_UTF8;

	(void)state;
	/* 0x80 is the euro sign in windows-1252, 0xA4 in ISO-8859-15. */
	assert_int_equal(parse_text("606###Asignado#A\x80\xa4#30/07/1998",
			     CNMC_WINDOWS_1252, &g, &st),
	    0);
	assert_string_equal(g.r[0].holder, "A\xe2\x82\xac\xc2\xa4");
	assert_int_equal(parse_text("606###Asignado#A\xa4#30/07/1998",
			     CNMC_ISO_8859_15, &g, &st),
	    0);
	assert_string_equal(g.r[1].holder, "A\xe2\x82\xac");

	assert_int_equal(cnmc_encoding_parse("CP1252", &e), 0);
	assert_int_equal(e, CNMC_WINDOWS_1252);
	assert_int_equal(cnmc_encoding_parse("latin9", &e), 0);
	assert_int_equal(e, CNMC_ISO_8859_15);
	assert_int_equal(cnmc_encoding_parse("UTF-8", &e), 0);
	assert_int_equal(e, CNMC_UTF8);
	assert_int_equal(cnmc_encoding_parse("ebcdic", &e), EINVAL);
	assert_int_equal(e, CNMC_UTF8);
	assert_string_equal(
	    cnmc_encoding_name(CNMC_ISO_8859_15), "iso-8859-15");
}

static void
edges(void **state)
{
	struct got g = { 0 };
	struct cnmc_stats st;
	char longline[CNMC_LINE_MAX + 64];

	(void)state;
	/* A byte order mark, no final newline, a lower-case status. */
	assert_int_equal(parse_text("\xef\xbb\xbf"
				    "912# 34 #Madrid# asignado #OP#1/3/2020",
			     CNMC_UTF8, &g, &st),
	    0);
	assert_int_equal(g.n, 1);
	assert_range(&g.r[0], "3491234", "Asignado", "", "OP");
	assert_true(st.lines == 1);
	/* Nothing at all, and blank lines only. */
	assert_int_equal(parse_text("", CNMC_WINDOWS_1252, &g, &st), 0);
	assert_true(st.rows == 0 && st.lines == 0);
	assert_int_equal(
	    parse_text("\n \n\t\r\n", CNMC_WINDOWS_1252, &g, &st), 0);
	assert_true(st.rows == 0 && st.lines == 3 && st.bad == 0);
	/* A NUL byte, an over-long line. */
	g.nbad = 0;
	assert_int_equal(cnmc_parse("n.txt", "606#\0##Asignado#OP#1/1/2000", 27,
			     CNMC_WINDOWS_1252, on_range, on_bad, &g, &st),
	    EBADMSG);
	assert_has(g.bad[0], "n.txt:1: NUL byte");
	memset(longline, 'A', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	assert_int_equal(
	    parse_text(longline, CNMC_WINDOWS_1252, &g, &st), EBADMSG);
	assert_has(g.bad[1], "t.txt:1: line longer than 4096 bytes");
	/* Sub-block lists: spaces, duplicates, a trailing comma. */
	g.n = g.nbad = 0;
	assert_int_equal(parse_text("601#5##Subasignado 1, 2 ,3#OP#1/1/2020",
			     CNMC_WINDOWS_1252, &g, &st),
	    0);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.r[2].prefix, "3460153");
	assert_string_equal(g.r[2].subblocks, "1,2,3");
	assert_int_equal(parse_text("601#5##Subasignado 1,1#OP#1/1/2020\n"
				    "601#5##Subasignado 1,#OP#1/1/2020\n"
				    "601#5##Subasignado 1234#OP#1/1/2020\n",
			     CNMC_WINDOWS_1252, &g, &st),
	    EBADMSG);
	assert_int_equal(g.nbad, 3);
	assert_has(g.bad[0], "listed twice");
	assert_has(g.bad[1], "ends with a comma");
	assert_has(g.bad[2], "\"1234\" is not 1 to 3 digits");
	/* Dates: year range, day 0, month 13. */
	g.nbad = 0;
	assert_int_equal(parse_text("606###Asignado#OP#00/01/2000\n"
				    "606###Asignado#OP#01/13/2000\n"
				    "606###Asignado#OP#01/01/1899\n"
				    "606###Asignado#OP#01/01/20000\n",
			     CNMC_WINDOWS_1252, &g, &st),
	    EBADMSG);
	assert_int_equal(g.nbad, 4);
	/* Bad arguments. */
	assert_int_equal(
	    cnmc_parse(NULL, "", 0, CNMC_UTF8, NULL, NULL, NULL, NULL), EINVAL);
	assert_int_equal(
	    cnmc_parse("x", NULL, 3, CNMC_UTF8, NULL, NULL, NULL, NULL),
	    EINVAL);
	assert_int_equal(cnmc_parse("x", "", 0, (enum cnmc_encoding)9, NULL,
			     NULL, NULL, NULL),
	    EINVAL);
}

/* The range callback can stop the parse. */
static void
callback_stops(void **state)
{
	struct got g = { 0 };
	struct cnmc_stats st;

	(void)state;
	g.stop_at = 2;
	assert_int_equal(
	    parse_file("moviles.txt", CNMC_WINDOWS_1252, &g, &st), 7);
	assert_int_equal(g.n, 2);
	assert_true(st.pos < 329);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(sample_geograficos),
		cmocka_unit_test(sample_moviles),
		cmocka_unit_test(bad_rows_by_line),
		cmocka_unit_test(utf8_file_as_windows_1252),
		cmocka_unit_test(encodings),
		cmocka_unit_test(edges),
		cmocka_unit_test(callback_stops),
	};

	return cmocka_run_group_tests_name("callerid_cnmc", tests, NULL, NULL);
}

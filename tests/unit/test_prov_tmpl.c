/*
 * tests/unit/test_prov_tmpl.c -- the provisioning templates and file
 * names (prov/prov_int.h): the embedded templates are etc/prov/ byte
 * for byte and all valid, every placeholder is filled in, XML values
 * are escaped and a line-format value cannot add a setting, a bad
 * template is refused with its line, templates_dir overrides one
 * template and a broken one stops the load with its file name; the
 * file names of each vendor give the MAC, anything else none.
 *
 * Run from the top of the tree (make unit does): it reads etc/prov/.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
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

#include "prov/prov.h"
#include "prov/prov_int.h"
#include "store/store.h"

static void
sample_vars(struct prov_vars *v)
{
	memset(v, 0, sizeof(*v));
	v->mac = "001565aabbcc";
	v->user = "100";
	v->auth_user = "100";
	v->domain = "example.com";
	v->realm = "example.com";
	v->sip_host = "sip.example.com";
	v->sip_port = 5061;
	v->display = "Front desk";
	v->secret = "Xq7Tn2Lp9Rs4Vw6Yz8Ab3Cd";
}

static char *
read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	b[n] = '\0';
	*len = (size_t)n;
	return b;
}

static void
embedded_equal_etc(void **state)
{
	char path[256];
	size_t i, len = 0;
	char *txt;

	(void)state;
	for (i = 0; prov_builtins[i].name; i++) {
		snprintf(path, sizeof(path), "etc/prov/%s.tmpl",
		    prov_builtins[i].name);
		txt = read_all(path, &len);
		if (!txt)
			fail_msg(
			    "%s: missing (run from the top of the tree)", path);
		if (len != prov_builtins[i].len ||
		    memcmp(txt, prov_builtins[i].text, len) != 0)
			fail_msg("%s differs from the embedded copy in "
				 "src/prov/templates.c",
			    path);
		free(txt);
		assert_int_equal(prov_tmpl_check(prov_builtins[i].text,
				     prov_builtins[i].len, NULL, 0),
		    0);
	}
	assert_true(i >= 6);
}

/* Every embedded template, rendered: the values are in, no {{ left. */
static void
render_every_builtin(void **state)
{
	struct prov_vars v;
	struct prov_tmpls ts;
	char err[256], *out;
	size_t i, len;

	(void)state;
	sample_vars(&v);
	assert_int_equal(prov_tmpls_load(&ts, NULL, err, sizeof(err)), 0);
	for (i = 0; i < ts.n; i++) {
		const struct prov_tmpl *t = &ts.t[i];

		assert_int_equal(
		    prov_tmpl_render(t->text, t->len, t->xml, &v, &out, &len),
		    0);
		assert_int_equal(strlen(out), len);
		assert_null(strstr(out, "{{"));
		assert_non_null(strstr(out, "001565aabbcc"));
		if (strcmp(t->name, "polycom-master") != 0) {
			assert_non_null(strstr(out, v.secret));
			assert_non_null(strstr(out, "sip.example.com"));
			assert_non_null(strstr(out, "5061"));
			assert_non_null(strstr(out, "Front desk"));
		}
		free(out);
	}
	assert_non_null(prov_tmpls_get(&ts, "yealink"));
	assert_true(prov_tmpls_get(&ts, "snom")->xml);
	assert_false(prov_tmpls_get(&ts, "generic")->xml);
	assert_null(prov_tmpls_get(&ts, "cisco"));
	prov_tmpls_free(&ts);
}

static void
render_escapes(void **state)
{
	static const char xml[] = "<a n=\"{{display}}\">{{display}}</a>";
	static const char line[] = "name = {{display}}\nuser = {{user}}\n";
	struct prov_vars v;
	char *out;
	size_t len;

	(void)state;
	sample_vars(&v);
	v.display = "A&B <\"x\"> 'y'";
	assert_int_equal(
	    prov_tmpl_render(xml, strlen(xml), true, &v, &out, &len), 0);
	assert_string_equal(out,
	    "<a n=\"A&amp;B &lt;&quot;x&quot;&gt; &apos;y&apos;\">"
	    "A&amp;B &lt;&quot;x&quot;&gt; &apos;y&apos;</a>");
	free(out);
	/* A line format takes the text as it is... */
	assert_int_equal(
	    prov_tmpl_render(line, strlen(line), false, &v, &out, &len), 0);
	assert_string_equal(out, "name = A&B <\"x\"> 'y'\nuser = 100\n");
	free(out);
	/* ...but never a line break: it would add a setting. */
	v.display = "x\nsip.password = mine";
	assert_int_equal(
	    prov_tmpl_render(line, strlen(line), false, &v, &out, &len),
	    EINVAL);
	assert_null(out);
	assert_int_equal(
	    prov_tmpl_render(xml, strlen(xml), true, &v, &out, &len), EINVAL);
	/* No placeholder at all, and an empty template. */
	sample_vars(&v);
	assert_int_equal(
	    prov_tmpl_render("plain", 5, false, &v, &out, &len), 0);
	assert_string_equal(out, "plain");
	free(out);
	assert_int_equal(prov_tmpl_render("", 0, false, &v, &out, &len), 0);
	assert_string_equal(out, "");
	assert_int_equal(len, 0);
	free(out);
}

static void
bad_templates(void **state)
{
	static const char *const bad[] = { "a {{nope}} b", "a {{user b",
		"{{user}\n}", "x\n{{\nuser}}", "{{}}", "{{ user }}" };
	struct prov_vars v;
	char err[256], *out, *big;
	size_t i, len;

	(void)state;
	sample_vars(&v);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    prov_tmpl_check(bad[i], strlen(bad[i]), err, sizeof(err)),
		    EINVAL);
		assert_non_null(strstr(err, "line "));
		assert_int_equal(prov_tmpl_render(bad[i], strlen(bad[i]), false,
				     &v, &out, &len),
		    EINVAL);
	}
	assert_int_equal(
	    prov_tmpl_check("a\nb\n{{bad}}", 11, err, sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "line 3"));
	assert_int_equal(prov_tmpl_check("a\0b", 3, err, sizeof(err)), EINVAL);
	/* The output is bounded. */
	big = malloc(PROV_TMPL_MAX);
	assert_non_null(big);
	for (i = 0; i + 10 <= PROV_TMPL_MAX; i += 10)
		memcpy(big + i, "{{secret}}", 10);
	assert_int_equal(
	    prov_tmpl_render(big, i, false, &v, &out, &len), EMSGSIZE);
	assert_null(out);
	free(big);
}

static void
templates_dir_override(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], err[512], *out;
	const char *tmp = getenv("TMPDIR");
	struct prov_tmpls ts;
	struct prov_vars v;
	size_t len;
	FILE *f;

	(void)state;
	sample_vars(&v);
	snprintf(dir, sizeof(dir), "%s/prov-XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/yealink.tmpl", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("mine {{user}} {{secret}}\n", f);
	fclose(f);
	assert_int_equal(prov_tmpls_load(&ts, dir, err, sizeof(err)), 0);
	assert_true(prov_tmpls_get(&ts, "yealink")->from_dir);
	assert_false(prov_tmpls_get(&ts, "snom")->from_dir);
	assert_int_equal(
	    prov_tmpl_render(prov_tmpls_get(&ts, "yealink")->text,
		prov_tmpls_get(&ts, "yealink")->len, false, &v, &out, &len),
	    0);
	assert_string_equal(out, "mine 100 Xq7Tn2Lp9Rs4Vw6Yz8Ab3Cd\n");
	free(out);
	prov_tmpls_free(&ts);

	/* A broken one stops the load, naming the file and the line. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("ok\n{{pasword}}\n", f);
	fclose(f);
	assert_int_equal(prov_tmpls_load(&ts, dir, err, sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "yealink.tmpl"));
	assert_non_null(strstr(err, "line 2"));
	assert_null(ts.t);
	unlink(path);
	/* A directory in the place of a template. */
	snprintf(path, sizeof(path), "%s/snom.tmpl", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_not_equal(prov_tmpls_load(&ts, dir, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "snom.tmpl"));
	rmdir(path);
	rmdir(dir);
}

static void
paths(void **state)
{
	static const struct {
		const char *path;
		enum prov_file file;
	} good[] = {
		{ "/prov/001565AABBCC.cfg", PROV_FILE_CONFIG },
		{ "/prov/001565aabbcc.cfg", PROV_FILE_CONFIG },
		{ "/001565aabbcc.cfg", PROV_FILE_MAC_CFG },
		{ "/snom-001565AABBCC.xml", PROV_FILE_CONFIG },
		{ "/001565aabbcc.xml", PROV_FILE_CONFIG },
		{ "/cfg001565aabbcc.xml", PROV_FILE_CONFIG },
		{ "/001565aabbcc-phone.cfg", PROV_FILE_CONFIG },
	};
	static const char *const bad[] = { "/", "", "/prov/", "/favicon.ico",
		"/y000000000028.cfg", "/prov/001565aabbc.cfg",
		"/prov/001565aabbccd.cfg", "/prov/001565aabbcg.cfg",
		"/001565aabbcc.cfg/", "//001565aabbcc.cfg",
		"/prov/00:15:65:aa:bb:cc.cfg", "/001565aabbcc.cfg?x=1",
		"/../001565aabbcc.cfg", "/cfg001565aabbcc.cfg",
		"/001565aabbcc-phone.xml", "/snom-001565aabbcc.cfg" };
	char mac[STORE_MAC_MAX];
	enum prov_file f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (prov_path_parse(good[i].path, mac, &f) != 0)
			fail_msg("%s: no MAC found", good[i].path);
		assert_string_equal(mac, "001565aabbcc");
		assert_int_equal(f, good[i].file);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (prov_path_parse(bad[i], mac, &f) != ENOENT)
			fail_msg("%s: a MAC %s found", bad[i], mac);
	assert_int_equal(prov_path_parse(NULL, mac, &f), ENOENT);
}

static void
template_names(void **state)
{
	(void)state;
	assert_true(prov_template_known("snom"));
	assert_true(prov_template_known("yealink"));
	assert_true(prov_template_known("grandstream"));
	assert_true(prov_template_known("polycom"));
	assert_true(prov_template_known("generic"));
	/* The Polycom master file is not a device template. */
	assert_false(prov_template_known("polycom-master"));
	assert_false(prov_template_known("Snom"));
	assert_false(prov_template_known(""));
	assert_false(prov_template_known(NULL));
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(embedded_equal_etc),
		cmocka_unit_test(render_every_builtin),
		cmocka_unit_test(render_escapes),
		cmocka_unit_test(bad_templates),
		cmocka_unit_test(templates_dir_override),
		cmocka_unit_test(paths),
		cmocka_unit_test(template_names),
	};

	return cmocka_run_group_tests_name("prov_tmpl", tests, NULL, NULL);
}

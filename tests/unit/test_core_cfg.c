/*
 * tests/unit/test_core_cfg.c -- configuration loading: every error is
 * reported as FILE:LINE: message, nothing half-built is returned.
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
#include <unistd.h>

#include "core/cfg.h"

static char path[64];

/* Write "text" to a temp file, load it, return the error output. */
static int
load_text(const char *text, struct cfg **cfgp, char **errs)
{
	FILE *f, *ef;
	size_t elen;
	int fd, err;

	snprintf(path, sizeof(path), "/tmp/centinela-cfg-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	ef = open_memstream(errs, &elen);
	assert_non_null(ef);
	*cfgp = NULL;
	err = cfg_load(cfgp, path, ef);
	fclose(ef);
	unlink(path);
	return err;
}

/* Does "errs" hold "<path>:<line>: ...needle..."? */
static bool
has_error(const char *errs, int line, const char *needle)
{
	char prefix[96];
	const char *p = errs;

	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	while ((p = strstr(p, prefix)) != NULL) {
		const char *eol = strchr(p, '\n');
		const char *hit = strstr(p, needle);

		if (hit && (!eol || hit < eol))
			return true;
		p += strlen(prefix);
	}
	return false;
}

static const char *const base =
    "listen = ( { transport = \"udp\"; address = \"127.0.0.1\"; "
    "port = 5060; } );\n";

static void
test_embedded_default_loads(void **state)
{
	struct cfg *cfg = NULL;

	assert_int_equal(cfg_load(&cfg, NULL, stderr), 0);
	assert_non_null(cfg);
	assert_int_equal(cfg->nlisten, 3);
	assert_int_equal(cfg->nupstreams, 1);
	assert_int_equal(cfg->limits.max_headers, 64);
	cfg_free(cfg);
}

static void
test_minimal_valid(void **state)
{
	struct cfg *cfg;
	char *errs = NULL;

	assert_int_equal(load_text(base, &cfg, &errs), 0);
	assert_non_null(cfg);
	assert_string_equal(errs, "");
	assert_int_equal(cfg->listen[0].tp, SIP_TP_UDP);
	assert_int_equal(sa_port(&cfg->listen[0].addr), 5060);
	cfg_free(cfg);
	free(errs);
}

static void
test_unknown_setting(void **state)
{
	struct cfg *cfg;
	char *errs = NULL;
	char text[512];

	snprintf(text, sizeof(text),
	    "%s\nproxy = {\n  record_rout = true;\n"
	    "};\n",
	    base);
	assert_int_equal(load_text(text, &cfg, &errs), EINVAL);
	assert_null(cfg);
	assert_true(has_error(errs, 4, "unknown setting \"record_rout\""));
	free(errs);
}

static void
test_every_error_reported(void **state)
{
	struct cfg *cfg;
	char *errs = NULL;
	const char *text = "listen = (\n"
			   "  { transport = \"sctp\"; address = \"127.0.0.1\"; "
			   "port = 5060; },\n"
			   "  { transport = \"udp\"; address = \"127.0.0.1\"; "
			   "port = 70000; },\n"
			   "  { transport = \"udp\"; address = "
			   "\"example.com\"; port = 5060; }\n"
			   ");\n"
			   "deny = [ \"10.0.0.0/33\", \"1.2.3.4\" ];\n"
			   "limits = { max_via = 0; };\n"
			   "peers = ( { name = \"x\"; cidr = \"10.0.0.0/8\"; "
			   "role = \"boss\"; } );\n";

	assert_int_equal(load_text(text, &cfg, &errs), EINVAL);
	assert_null(cfg);
	assert_true(has_error(errs, 2, "\"sctp\" is not udp, tcp or tls"));
	assert_true(has_error(errs, 3, "70000 is out of range"));
	assert_true(has_error(errs, 4, "not a numeric IPv4 or IPv6"));
	assert_true(has_error(errs, 6, "\"10.0.0.0/33\""));
	assert_true(has_error(errs, 7, "max_via"));
	assert_true(has_error(errs, 8, "\"boss\""));
	free(errs);
}

static void
test_syntax_error_line(void **state)
{
	struct cfg *cfg;
	char *errs = NULL;
	char text[512];

	snprintf(text, sizeof(text), "%s\n\nworkers = ;\n", base);
	assert_int_equal(load_text(text, &cfg, &errs), EINVAL);
	assert_null(cfg);
	assert_true(has_error(errs, 4, "syntax error"));
	free(errs);
}

static void
test_tls_needs_cert(void **state)
{
	struct cfg *cfg;
	char *errs = NULL;
	const char *text = "listen = ( { transport = \"tls\"; address = "
			   "\"::1\"; port = 5061; } );\n"
			   "tls = { certificate = \"\"; };\n";

	assert_int_equal(load_text(text, &cfg, &errs), EINVAL);
	assert_true(
	    strstr(errs, "needs a certificate and private_key") != NULL);
	free(errs);
}

static void
test_upstream_needs_listener(void **state)
{
	struct cfg *cfg;
	char *errs = NULL;
	char text[512];

	snprintf(text, sizeof(text),
	    "%supstreams = ( { host = \"127.0.0.1\"; "
	    "port = 5080; transport = \"tcp\"; } );\n",
	    base);
	assert_int_equal(load_text(text, &cfg, &errs), EINVAL);
	assert_true(strstr(errs, "no listener for its transport") != NULL);
	free(errs);
}

static void
test_missing_file(void **state)
{
	struct cfg *cfg = NULL;
	char *errs = NULL;
	size_t elen;
	FILE *ef = open_memstream(&errs, &elen);

	assert_int_equal(
	    cfg_load(&cfg, "/nonexistent/centinela.conf", ef), EINVAL);
	fclose(ef);
	assert_null(cfg);
	assert_true(strstr(errs,
			"/nonexistent/centinela.conf:0: cannot "
			"read") != NULL);
	free(errs);
}

static void
test_peer_roles(void **state)
{
	struct cfg *cfg;
	char *errs = NULL;
	char text[512];
	struct sa a;

	snprintf(text, sizeof(text),
	    "%speers = ( { name = \"pbx\"; cidr = "
	    "\"10.1.0.0/16\"; role = \"pbx\"; }, { name = \"c\"; cidr = "
	    "\"2001:db8::/32\"; role = \"carrier\"; class = \"national\"; } "
	    ");\n",
	    base);
	assert_int_equal(load_text(text, &cfg, &errs), 0);
	sa_set_cstr(&a, "10.1.2.3", 5060);
	assert_int_equal(cfg_peer_role(cfg, &a), ROLE_PBX);
	sa_set_cstr(&a, "10.2.2.3", 5060);
	assert_int_equal(cfg_peer_role(cfg, &a), ROLE_PUBLIC);
	sa_set_cstr(&a, "2001:db8::5", 5060);
	assert_int_equal(cfg_peer_role(cfg, &a), ROLE_CARRIER);
	cfg_free(cfg);
	free(errs);
}

/* TLS profiles: copies of the default, references resolved by name. */
static void
test_tls_profiles(void **state)
{
	struct cfg *cfg;
	char *errs = NULL;
	const char *text =
	    "listen = ( { transport = \"udp\"; address = \"127.0.0.1\"; "
	    "port = 5060; },\n"
	    "  { transport = \"tls\"; address = \"127.0.0.1\"; port = "
	    "5061; tls_profile = \"dev\"; } );\n"
	    "tls = { certificate = \"c.pem\"; private_key = \"k.pem\";\n"
	    "  min_version = \"1.3\"; server_names = [ \"a.example\" ];\n"
	    "  require = [ \"public\", \"customer\" ];\n"
	    "  profiles = ( { name = \"dev\"; verify_client = \"require\";"
	    " ca_file = \"ca.pem\"; } ); };\n"
	    "peers = ( { name = \"t\"; cidr = \"192.0.2.1\"; role = "
	    "\"pbx\"; tls_profile = \"dev\"; tls_id = "
	    "\"sha256:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
	    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\"; } );\n"
	    "metrics = { port = 0; };\n";
	const struct cfg_tls_profile *d;

	assert_int_equal(load_text(text, &cfg, &errs), 0);
	assert_int_equal(cfg->tls.nprofiles, 2);
	d = &cfg->tls.profiles[1];
	assert_string_equal(d->name, "dev");
	/* Inherited from the default, except the SNI names. */
	assert_string_equal(d->cert, "c.pem");
	assert_int_equal(d->min_version, 13);
	assert_int_equal(d->nserver_names, 0);
	assert_int_equal(cfg->tls.profiles[0].nserver_names, 1);
	assert_int_equal(d->verify_client, CFG_TLS_VERIFY_REQUIRE);
	assert_int_equal(cfg->listen[1].tls_profile, 1);
	assert_int_equal(cfg->listen[0].tls_profile, 0);
	assert_true(cfg->tls.require[ROLE_PUBLIC]);
	assert_true(cfg->tls.require[ROLE_CUSTOMER]);
	assert_false(cfg->tls.require[ROLE_PBX]);
	assert_int_equal(cfg->peers[0].tls_profile, 1);
	assert_string_equal(cfg->peers[0].tls_id,
	    "sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789");
	cfg_free(cfg);
	free(errs);
}

static void
test_tls_id_canon(void **state)
{
	char out[CFG_TLSID_MAX];

	assert_int_equal(
	    cfg_tls_id_canon("subject:CN=a,O=b", out, sizeof(out)), 0);
	assert_string_equal(out, "subject:CN=a,O=b");
	assert_int_equal(
	    cfg_tls_id_canon("subject:", out, sizeof(out)), EINVAL);
	assert_int_equal(
	    cfg_tls_id_canon("sha256:abc", out, sizeof(out)), EINVAL);
	assert_int_equal(cfg_tls_id_canon("sha1:00", out, sizeof(out)), EINVAL);
	/* 65 digits, 63, and a non-hex one. */
	assert_int_equal(cfg_tls_id_canon("sha256:"
					  "0123456789abcdef0123456789abcdef0123"
					  "456789abcdef0123456789abcdef0",
			     out, sizeof(out)),
	    EINVAL);
	assert_int_equal(cfg_tls_id_canon("sha256:"
					  "0123456789abcdef0123456789abcdef0123"
					  "456789abcdef0123456789abcde",
			     out, sizeof(out)),
	    EINVAL);
	assert_int_equal(cfg_tls_id_canon("sha256:"
					  "0123456789abcdef0123456789abcdef0123"
					  "456789abcdef0123456789abcdeg",
			     out, sizeof(out)),
	    EINVAL);
	assert_int_equal(
	    cfg_tls_id_canon("sha256:0123456789ABCDEF0123456789ABCDEF:"
			     "0123456789abcdef0123456789abcdef",
		out, sizeof(out)),
	    0);
	assert_string_equal(out,
	    "sha256:"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
}

/* Bad TLS settings, each with its line. */
static void
test_tls_errors(void **state)
{
	struct cfg *cfg;
	char *errs = NULL;
	const char *text =
	    "listen = ( { transport = \"tls\"; address = \"127.0.0.1\"; "
	    "port = 5061; tls_profile = \"nope\"; } );\n"
	    "tls = { certificate = \"c.pem\";\n"
	    "  min_version = \"1.0\";\n"
	    "  verify_client = \"sometimes\";\n"
	    "  require = [ \"everyone\" ];\n"
	    "  profiles = ( { name = \"\"; }, { name = \"x\"; bogus = 1; } "
	    "); };\n"
	    "metrics = { port = 0; };\n";

	assert_int_equal(load_text(text, &cfg, &errs), EINVAL);
	assert_null(cfg);
	assert_true(has_error(errs, 1, "no profile \"nope\""));
	assert_true(has_error(errs, 3, "min_version: \"1.0\""));
	assert_true(has_error(errs, 4, "verify_client: \"sometimes\""));
	assert_true(has_error(errs, 5, "require: \"everyone\" is not a role"));
	assert_true(
	    has_error(errs, 2, "certificate and private_key go together"));
	assert_true(has_error(errs, 6, "name \"\" is empty or used twice"));
	assert_true(has_error(errs, 6, "unknown setting \"bogus\""));
	free(errs);
}

/* every carrier/customer peer has a class; the callerid section. */
static void
callerid_classes(void **state)
{
	struct cfg *cfg;
	char *errs = NULL;
	char text[1024];
	struct sa a;
	const struct cfg_peer *pe;

	snprintf(text, sizeof(text),
	    "%speers = ( { name = \"intl\"; cidr = \"10.9.0.0/16\"; "
	    "role = \"carrier\"; } );\n",
	    base);
	assert_int_equal(load_text(text, &cfg, &errs), EINVAL);
	assert_non_null(strstr(errs, "\"intl\" needs a class"));
	free(errs);
	errs = NULL;
	snprintf(text, sizeof(text),
	    "%speers = ( { name = \"intl\"; cidr = \"10.9.0.0/16\"; "
	    "role = \"carrier\"; class = \"international\"; "
	    "flags = [ \"roaming\" ]; },\n"
	    "{ name = \"acme\"; cidr = \"10.8.0.0/16\"; role = \"customer\"; "
	    "class = \"access\"; flags = [ \"commercial\", "
	    "\"in_scope_ley_10_2025\" ]; provider = \"ACME-SMS\"; } );\n"
	    "callerid = { roaming = \"withhold\"; rules = ( { code = "
	    "\"ES-A9-MOBILE\"; mode = \"shadow\"; from = \"2025-07-01\"; } "
	    "); robinson = { fail = \"open\"; region = \"eu-south-2\"; "
	    "batch = 5; }; };\n",
	    base);
	assert_int_equal(load_text(text, &cfg, &errs), 0);
	sa_set_cstr(&a, "10.9.1.1", 5060);
	pe = cfg_peer_find(cfg, &a);
	assert_non_null(pe);
	assert_int_equal(pe->pclass, PEER_CLASS_INTERNATIONAL);
	assert_int_equal(pe->flags, PEER_F_ROAMING);
	assert_string_equal(pe->provider, "intl");
	sa_set_cstr(&a, "10.8.1.1", 5060);
	pe = cfg_peer_find(cfg, &a);
	assert_int_equal(pe->flags, PEER_F_COMMERCIAL | PEER_F_LEY_10_2025);
	assert_string_equal(pe->provider, "ACME-SMS");
	assert_int_equal(cfg->callerid.roaming, CID_ROAMING_WITHHOLD);
	assert_true(cfg->callerid.rules[CID_MOBILE_COMMERCIAL].shadow);
	assert_int_equal(
	    cfg->callerid.rules[CID_MOBILE_COMMERCIAL].from, 1751328000);
	assert_true(cfg->callerid.robinson_fail_open);
	assert_string_equal(cfg->callerid.robinson_region, "eu-south-2");
	assert_string_equal(cfg->callerid.robinson_service, "execute-api");
	assert_int_equal(cfg->callerid.robinson_batch, 5);
	assert_int_equal(cfg->callerid.status, 608);
	cfg_free(cfg);
	free(errs);
	errs = NULL;
	snprintf(text, sizeof(text),
	    "%speers = ( { name = \"n\"; cidr = \"10.9.0.0/16\"; "
	    "role = \"carrier\"; class = \"nationl\"; flags = [ \"x\" ]; "
	    "} );\ncallerid = { roaming = \"allow\"; rules = ( { code = "
	    "\"ES-A9\"; }, { code = \"ES-A5.1\"; from = \"2025-02-30\"; } ); "
	    "robinson = { region = \"eu west\"; batch = 101; }; };\n",
	    base);
	assert_int_equal(load_text(text, &cfg, &errs), EINVAL);
	assert_non_null(strstr(errs, "\"nationl\" is not national"));
	assert_non_null(strstr(errs, "flags: \"x\" is not"));
	assert_non_null(strstr(errs, "roaming: \"allow\" is not"));
	assert_non_null(strstr(errs, "\"ES-A9\" is not a caller-ID rule"));
	assert_non_null(strstr(errs, "\"2025-02-30\" is not a date"));
	assert_non_null(strstr(errs, "\"eu west\" is not an AWS region"));
	assert_non_null(strstr(errs, "batch"));
	free(errs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embedded_default_loads),
		cmocka_unit_test(test_minimal_valid),
		cmocka_unit_test(test_unknown_setting),
		cmocka_unit_test(test_every_error_reported),
		cmocka_unit_test(test_syntax_error_line),
		cmocka_unit_test(test_tls_needs_cert),
		cmocka_unit_test(test_upstream_needs_listener),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_peer_roles),
		cmocka_unit_test(test_tls_profiles),
		cmocka_unit_test(test_tls_id_canon),
		cmocka_unit_test(test_tls_errors),
		cmocka_unit_test(callerid_classes),
	};

	return cmocka_run_group_tests_name("core_cfg", tests, NULL, NULL);
}

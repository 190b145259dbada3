/*
 * tests/unit/test_callerid_stir.c -- STIR/SHAKEN (callerid/stir.h): one
 * test per R-21 row, the x5u rules and the connect-time address check,
 * certificate fetches from a real HTTPS server on loopback
 * (tests/tools/stir_httpd.py) with the cache and its lifetimes, signing
 * with canonical JSON, cross-checks with secsipidx both ways, the RFC
 * 8225 Appendix A bytes, and garbage of every kind.
 *
 * The PKI is made at test time by tests/tools/stir_certs.sh (openssl
 * CLI) in a mkdtemp(3) directory removed at the end. Run from the
 * repository root.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "callerid/stir.h"
#include "tproc.h"

#define ORIGID "123e4567-e89b-12d3-a456-426655440000"
#define CALLER "34911000123"
#define CALLEE "33140000000"
#define PRE "https://certs.example.org/" /* URLs pre-loaded in the cache */

/* ---- processes ----------------------------------------------------------- */

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run argv to the end (20 s at most); its output into out. */
static int
run(char *const argv[], char *out, size_t cap, bool with_stderr)
{
	int fd, rc;
	pid_t pid;

	pid = tproc_spawn(
	    argv, &fd, &(struct tproc_opts){ .stderr_pipe = with_stderr });
	if (pid < 0)
		return -1;
	tproc_read_all(fd, out, cap, 20000);
	close(fd);
	rc = tproc_reap(pid, 20000, false);
	return rc;
}

/* ---- the fixture --------------------------------------------------------- */

static struct {
	char dir[256];
	pid_t httpd;
	int httpd_out;
	unsigned port;
	char base[64]; /* "https://localhost:PORT" */
	struct stir_verifier *v; /* pre-loaded cache, CRLs */
	struct stir_verifier *vnet; /* fetches, loopback allowed */
	struct loop *l;
	struct stir_loop *sl;
	struct stir_signer *signer; /* leaf.key */
	int64_t t0;
} fx;

static void
path_of(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", fx.dir, name);
}

static char *
slurp(const char *name, size_t *len)
{
	char path[512], *buf;
	struct stat st;
	FILE *f;

	path_of(path, sizeof(path), name);
	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &st) != 0) {
		if (f)
			fclose(f);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[st.st_size] = '\0';
		if (len)
			*len = (size_t)st.st_size;
	}
	return buf;
}

static void
conf_base(struct stir_verify_conf *c, char *root, char *crl, char *webca)
{
	path_of(root, 512, "root.pem");
	path_of(crl, 512, "crl.pem");
	path_of(webca, 512, "web-ca.pem");
	stir_verify_conf_init(c);
	c->ca_file = root;
	c->https_ca_file = webca;
}

/* A verifier that fetches from the loopback server. */
static struct stir_verifier *
net_verifier(bool allow_loopback, unsigned timeout_ms)
{
	char root[512], crl[512], webca[512], err[128];
	struct stir_verify_conf c;
	struct stir_verifier *v = NULL;

	conf_base(&c, root, crl, webca);
	c.ports[c.nports++] = (uint16_t)fx.port;
	if (allow_loopback) {
		assert_int_equal(
		    cidr_parse("127.0.0.0/8", &c.fetch_allow[0]), 0);
		assert_int_equal(cidr_parse("::1/128", &c.fetch_allow[1]), 0);
		c.nfetch_allow = 2;
	}
	if (timeout_ms)
		c.fetch_timeout_ms = timeout_ms;
	assert_int_equal(stir_verifier_alloc(&v, &c, err, sizeof(err)), 0);
	return v;
}

static const char *const leaves[] = { "good", "expired", "notyet", "other",
	"notn", "twospc", "tnonly", "badcn", "revoked", "p384", "nochain",
	"garbage" };

static int
setup(void **state)
{
	char root[512], crl[512], webca[512], key[512], err[128], www[512],
	    web[512], webkey[512], out[256];
	char *argv[] = { "sh", "tests/tools/stir_certs.sh", fx.dir, NULL };
	char *hargv[] = { "python3", "tests/tools/stir_httpd.py", web, webkey,
		www, NULL };
	struct stir_verify_conf c;
	const char *tmp = getenv("TMPDIR");
	char line[32];
	size_t i;

	memset(&fx, 0, sizeof(fx));
	fx.httpd = -1;
	snprintf(fx.dir, sizeof(fx.dir), "%s/stir.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(fx.dir))
		return -1;
	if (run(argv, out, sizeof(out), true) != 0) {
		fprintf(stderr, "stir_certs.sh failed: %s\n", out);
		return -1;
	}
	path_of(web, sizeof(web), "web.pem");
	path_of(webkey, sizeof(webkey), "web.key");
	path_of(www, sizeof(www), "www");
	fx.httpd = tproc_spawn(
	    hargv, &fx.httpd_out, &(struct tproc_opts){ .stderr_pipe = false });
	if (fx.httpd < 0)
		return -1;
	{
		struct pollfd pfd = { fx.httpd_out, POLLIN, 0 };
		size_t len = 0;
		double end = mono() + 10;

		while (len + 1 < sizeof(line) && mono() < end) {
			if (poll(&pfd, 1, 50) <= 0)
				continue;
			if (read(fx.httpd_out, line + len, 1) != 1 ||
			    line[len] == '\n')
				break;
			len++;
		}
		line[len] = '\0';
	}
	fx.port = (unsigned)strtoul(line, NULL, 10);
	if (fx.port == 0 || fx.port > 65535) {
		fprintf(stderr, "stir_httpd.py did not start\n");
		return -1;
	}
	snprintf(fx.base, sizeof(fx.base), "https://localhost:%u", fx.port);

	fx.t0 = (int64_t)time(NULL);
	conf_base(&c, root, crl, webca);
	c.crl_files[0] = crl;
	c.ncrl = 1;
	if (stir_verifier_alloc(&fx.v, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "verifier: %s\n", err);
		return -1;
	}
	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		char name[64], url[128], *pem;
		size_t len;

		snprintf(name, sizeof(name), "www/%s.pem", leaves[i]);
		snprintf(url, sizeof(url), PRE "%s.pem", leaves[i]);
		pem = slurp(name, &len);
		if (!pem || stir_cache_put(fx.v, url, pem, len, fx.t0, 7200))
			return -1;
		free(pem);
	}
	fx.vnet = net_verifier(true, 0);
	if (loop_alloc(&fx.l) || stir_loop_alloc(&fx.sl, fx.v, fx.l))
		return -1;
	path_of(key, sizeof(key), "leaf.key");
	if (stir_signer_alloc(
		&fx.signer, key, PRE "good.pem", err, sizeof(err))) {
		fprintf(stderr, "signer: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	char *argv[] = { "rm", "-rf", fx.dir, NULL };
	char out[64];

	stir_signer_free(fx.signer);
	stir_loop_free(fx.sl);
	loop_free(fx.l);
	stir_verifier_free(fx.v);
	stir_verifier_free(fx.vnet);
	if (fx.httpd > 0)
		tproc_reap(fx.httpd, 2000, true);
	if (fx.httpd_out > 0)
		close(fx.httpd_out);
	if (fx.dir[0])
		run(argv, out, sizeof(out), true);
	return 0;
}

/* ---- the loopback server's request counter ------------------------------- */

static size_t
on_count(char *p, size_t size, size_t n, void *arg)
{
	char *buf = arg;
	size_t k = size * n, have = strlen(buf);

	if (have + k < 32) {
		memcpy(buf + have, p, k);
		buf[have + k] = '\0';
	}
	return k;
}

/* Requests the server received (its /count), or -1. */
static long
server_count(void)
{
	char url[128], webca[512], buf[32] = "";
	CURL *e = curl_easy_init();
	CURLcode cc;

	if (!e)
		return -1;
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/count", fx.port);
	path_of(webca, sizeof(webca), "web-ca.pem");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CAINFO, webca);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_count);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, buf);
	cc = curl_easy_perform(e);
	curl_easy_cleanup(e);
	return cc == CURLE_OK ? strtol(buf, NULL, 10) : -1;
}

/* ---- tokens -------------------------------------------------------------- */

static const char *
header_json(char *buf, size_t cap, const char *x5u)
{
	snprintf(buf, cap,
	    "{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\","
	    "\"x5u\":\"%s\"}",
	    x5u);
	return buf;
}

static const char *
payload_json(char *buf, size_t cap, char attest, const char *orig,
    const char *dest, int64_t iat)
{
	snprintf(buf, cap,
	    "{\"attest\":\"%c\",\"dest\":{\"tn\":[\"%s\"]},\"iat\":%" PRId64
	    ",\"orig\":{\"tn\":\"%s\"},\"origid\":\"" ORIGID "\"}",
	    attest, dest, iat, orig);
	return buf;
}

/* "<jws of header/payload by signer s><params>" into out. */
static void
raw_identity(char *out, size_t cap, struct stir_signer *s, const char *header,
    const char *payload, const char *params)
{
	size_t n;

	assert_int_equal(
	    stir_sign_jws(s ? s : fx.signer, str_make(header, strlen(header)),
		str_make(payload, strlen(payload)), out, cap, &n),
	    0);
	assert_true(n + strlen(params) < cap);
	memcpy(out + n, params, strlen(params) + 1);
}

/* A well-formed identity for x5u (also the info) with these claims. */
static void
identity(char *out, size_t cap, const char *x5u, char attest, const char *orig,
    const char *dest, int64_t iat)
{
	char h[1200], p[512], params[1200];

	snprintf(
	    params, sizeof(params), ";info=<%s>;alg=ES256;ppt=shaken", x5u);
	raw_identity(out, cap, NULL, header_json(h, sizeof(h), x5u),
	    payload_json(p, sizeof(p), attest, orig, dest, iat), params);
}

static void
request(struct stir_request *rq, const struct str *ids, size_t n,
    const char *calling, const char *called, const char *date, int64_t now)
{
	memset(rq, 0, sizeof(*rq));
	rq->identity = ids;
	rq->nidentity = n;
	rq->calling_tn = str_make(calling, strlen(calling));
	rq->called_tn = str_make(called, strlen(called));
	rq->date = date ? str_make(date, strlen(date)) : STR_NULL;
	rq->now = now;
}

static void
never(void *arg)
{
	fail_msg("callback for a cached certificate");
}

/* Verify one identity value against the pre-loaded cache. */
static void
check1(const char *value, const char *calling, const char *called,
    const char *date, int64_t now, struct stir_result *res)
{
	struct str id = str_make(value, strlen(value));
	struct stir_request rq;

	request(&rq, &id, 1, calling, called, date, now);
	assert_int_equal(stir_verify(fx.sl, &rq, res, never, NULL), 0);
}

/* Expect "code" for an identity signed for x5u PRE<name>.pem. */
static void
expect_cert(const char *name, unsigned code, const char *detail)
{
	char url[128], id[STIR_IDENTITY_MAX];
	struct stir_result res;
	int64_t now = (int64_t)time(NULL);

	snprintf(url, sizeof(url), PRE "%s.pem", name);
	identity(id, sizeof(id), url, 'A', CALLER, CALLEE, now);
	check1(id, CALLER, CALLEE, NULL, now, &res);
	if (res.code != code || (detail && !strstr(res.detail, detail)))
		fail_msg("%s: %u %s (%s), want %u %s", name, res.code,
		    res.phrase, res.detail, code, detail ? detail : "");
	assert_int_equal(res.verstat,
	    code == 200 ? STIR_VERSTAT_PASSED : STIR_VERSTAT_FAILED);
}

/* The reason phrases of R-21, written out here once more. */
static const char *
phrase_of(unsigned code)
{
	switch (code) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 403:
		return "Stale Date";
	case 428:
		return "Use Identity Header";
	case 436:
		return "Bad Identity Info";
	case 437:
		return "Unsupported Credential";
	case 438:
		return "Invalid Identity Header";
	}
	return "?";
}

static void
expect(const char *value, unsigned code, const char *detail)
{
	struct stir_result res;
	int64_t now = (int64_t)time(NULL);

	check1(value, CALLER, CALLEE, NULL, now, &res);
	if (res.code != code || (detail && !strstr(res.detail, detail)))
		fail_msg("%u %s (%s), want %u %s", res.code, res.phrase,
		    res.detail, code, detail ? detail : "");
	assert_string_equal(res.phrase, phrase_of(code));
}

/* ---- R-21: one test per row ---------------------------------------------- */

static void
test_pass(void **state)
{
	char id[STIR_IDENTITY_MAX], date[STIR_DATE_LEN];
	struct stir_result res;
	int64_t now = (int64_t)time(NULL);
	const char *att = "ABC";
	int i;

	for (i = 0; i < 3; i++) {
		identity(id, sizeof(id), PRE "good.pem", att[i], CALLER, CALLEE,
		    now);
		assert_int_equal(stir_date_fmt(now, date, sizeof(date)), 0);
		check1(id, CALLER, CALLEE, date, now, &res);
		assert_int_equal(res.code, 200);
		assert_string_equal(res.phrase, "OK");
		assert_int_equal(res.verstat, STIR_VERSTAT_PASSED);
		assert_string_equal(
		    stir_verstat_str(res.verstat), "TN-Validation-Passed");
		assert_int_equal(res.attest, att[i]);
		assert_int_equal(res.index, 0);
		assert_string_equal(res.spc, "1001");
		assert_string_equal(res.origid, ORIGID);
	}
	/* '+' on either side, spaces around the request's numbers */
	identity(
	    id, sizeof(id), PRE "good.pem", 'A', "+" CALLER, "+" CALLEE, now);
	check1(id, CALLER, " +" CALLEE " ", NULL, now, &res);
	assert_int_equal(res.code, 200);
	identity(id, sizeof(id), PRE "good.pem", 'A', CALLER, CALLEE, now);
	check1(id, "+" CALLER, CALLEE, NULL, now, &res);
	assert_int_equal(res.code, 200);
	/* iat and Date at the edges of the 60 s window */
	identity(id, sizeof(id), PRE "good.pem", 'B', CALLER, CALLEE, now - 60);
	assert_int_equal(stir_date_fmt(now + 60, date, sizeof(date)), 0);
	check1(id, CALLER, CALLEE, date, now, &res);
	assert_int_equal(res.code, 200);
	assert_int_equal(res.attest, 'B');
}

static void
test_428_no_identity(void **state)
{
	struct str ids[2] = { STR(""), STR("  ") };
	struct stir_request rq;
	struct stir_result res;

	request(&rq, NULL, 0, CALLER, CALLEE, NULL, time(NULL));
	assert_int_equal(stir_verify(fx.sl, &rq, &res, never, NULL), 0);
	assert_int_equal(res.code, 428);
	assert_string_equal(res.phrase, "Use Identity Header");
	assert_int_equal(res.verstat, STIR_VERSTAT_NONE);
	assert_string_equal(stir_verstat_str(res.verstat), "No-TN-Validation");
	assert_int_equal(res.index, -1);
	request(&rq, ids, 2, CALLER, CALLEE, NULL, time(NULL));
	assert_int_equal(stir_verify(fx.sl, &rq, &res, never, NULL), 0);
	assert_int_equal(res.code, 428);
}

static void
test_436_no_info(void **state)
{
	char id[STIR_IDENTITY_MAX], h[512], p[512];
	int64_t now = time(NULL);

	header_json(h, sizeof(h), PRE "good.pem");
	payload_json(p, sizeof(p), 'A', CALLER, CALLEE, now);
	raw_identity(id, sizeof(id), NULL, h, p, ";alg=ES256;ppt=shaken");
	expect(id, 436, "no info");
	raw_identity(id, sizeof(id), NULL, h, p, "");
	expect(id, 436, "no info");
	raw_identity(id, sizeof(id), NULL, h, p, ";info=<>;alg=ES256");
	expect(id, 436, "no info");
	/* info without angle brackets is accepted */
	raw_identity(id, sizeof(id), NULL, h, p,
	    " ; INFO=" PRE "good.pem ;alg=ES256;ppt=shaken");
	expect(id, 200, NULL);
}

static void
test_436_header_fields(void **state)
{
	static const char *const drop[] = {
		"{\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":\"" PRE
		"good.pem\"}",
		"{\"alg\":\"ES256\",\"typ\":\"passport\",\"x5u\":\"" PRE
		"good.pem\"}",
		"{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"x5u\":\"" PRE
		"good.pem\"}",
		"{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\"}",
	};
	static const char *const missing[] = { "alg", "ppt", "typ", "x5u" };
	char id[STIR_IDENTITY_MAX], p[512], d[64];
	size_t i;

	payload_json(p, sizeof(p), 'A', CALLER, CALLEE, time(NULL));
	for (i = 0; i < 4; i++) {
		raw_identity(id, sizeof(id), NULL, drop[i], p,
		    ";info=<" PRE "good.pem>");
		snprintf(d, sizeof(d), "has no %s", missing[i]);
		expect(id, 436, d);
	}
}

static void
test_436_x5u_not_info(void **state)
{
	char id[STIR_IDENTITY_MAX], h[512], p[512];

	header_json(h, sizeof(h), PRE "good.pem");
	payload_json(p, sizeof(p), 'A', CALLER, CALLEE, time(NULL));
	raw_identity(id, sizeof(id), NULL, h, p,
	    ";info=<" PRE "other.pem>;alg=ES256;ppt=shaken");
	expect(id, 436, "x5u differs from info");
	/* byte-exact: another case is another URL */
	raw_identity(id, sizeof(id), NULL, h, p,
	    ";info=<https://CERTS.example.org/good.pem>");
	expect(id, 436, "x5u differs from info");
}

static void
test_437_alg_typ(void **state)
{
	char id[STIR_IDENTITY_MAX], p[512];
	const char *info = ";info=<" PRE "good.pem>";

	payload_json(p, sizeof(p), 'A', CALLER, CALLEE, time(NULL));
	raw_identity(id, sizeof(id), NULL,
	    "{\"alg\":\"RS256\",\"ppt\":\"shaken\",\"typ\":\"passport\","
	    "\"x5u\":\"" PRE "good.pem\"}",
	    p, info);
	expect(id, 437, "alg is not ES256");
	raw_identity(id, sizeof(id), NULL,
	    "{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"JWT\","
	    "\"x5u\":\"" PRE "good.pem\"}",
	    p, info);
	expect(id, 437, "typ is not passport");
	/* the Identity alg parameter */
	{
		char h[512], params[256];

		header_json(h, sizeof(h), PRE "good.pem");
		snprintf(params, sizeof(params), "%s;alg=RS256", info);
		raw_identity(id, sizeof(id), NULL, h, p, params);
		expect(id, 437, "Identity alg");
	}
}

static void
test_437_expired(void **state)
{
	char id[STIR_IDENTITY_MAX], date[STIR_DATE_LEN];
	struct stir_result res;
	int64_t now = time(NULL);

	expect_cert("expired", 437, "certificate expired");
	/* and when judged at the Date header */
	identity(id, sizeof(id), PRE "expired.pem", 'A', CALLER, CALLEE, now);
	stir_date_fmt(now, date, sizeof(date));
	check1(id, CALLER, CALLEE, date, now, &res);
	assert_int_equal(res.code, 437);
	assert_string_equal(res.phrase, "Unsupported Credential");
}

static void
test_437_not_yet_valid(void **state)
{
	expect_cert("notyet", 437, "not yet valid");
}

static void
test_437_chain(void **state)
{
	expect_cert("other", 437, "chain");
	/* the intermediate is missing from the x5u resource */
	expect_cert("nochain", 437, "chain");
}

static void
test_437_revoked(void **state)
{
	expect_cert("revoked", 437, "revoked");
}

static void
test_437_key(void **state)
{
	expect_cert("p384", 437, "P-256");
}

static void
test_438_header_params(void **state)
{
	char id[STIR_IDENTITY_MAX], p[512];

	payload_json(p, sizeof(p), 'A', CALLER, CALLEE, time(NULL));
	raw_identity(id, sizeof(id), NULL,
	    "{\"alg\":\"ES256\",\"kid\":\"1\",\"ppt\":\"shaken\","
	    "\"typ\":\"passport\",\"x5u\":\"" PRE "good.pem\"}",
	    p, ";info=<" PRE "good.pem>");
	expect(id, 438, "more than 4");
}

static void
test_438_ppt(void **state)
{
	char id[STIR_IDENTITY_MAX], h[512], p[512];

	payload_json(p, sizeof(p), 'A', CALLER, CALLEE, time(NULL));
	raw_identity(id, sizeof(id), NULL,
	    "{\"alg\":\"ES256\",\"ppt\":\"div\",\"typ\":\"passport\","
	    "\"x5u\":\"" PRE "good.pem\"}",
	    p, ";info=<" PRE "good.pem>");
	expect(id, 438, "ppt is not shaken");
	header_json(h, sizeof(h), PRE "good.pem");
	raw_identity(
	    id, sizeof(id), NULL, h, p, ";info=<" PRE "good.pem>;ppt=div");
	expect(id, 438, "Identity ppt");
}

static void
test_438_attest(void **state)
{
	static const char *const bad[] = { "\"D\"", "\"a\"", "\"AB\"", "\"\"",
		"1", "null" };
	char id[STIR_IDENTITY_MAX], h[512], p[512];
	size_t i;
	int64_t now = time(NULL);

	header_json(h, sizeof(h), PRE "good.pem");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(p, sizeof(p),
		    "{\"attest\":%s,\"dest\":{\"tn\":[\"" CALLEE "\"]},"
		    "\"iat\":%" PRId64 ",\"orig\":{\"tn\":\"" CALLER "\"},"
		    "\"origid\":\"" ORIGID "\"}",
		    bad[i], now);
		raw_identity(
		    id, sizeof(id), NULL, h, p, ";info=<" PRE "good.pem>");
		expect(id, 438, "attest");
	}
	snprintf(p, sizeof(p),
	    "{\"dest\":{\"tn\":[\"" CALLEE "\"]},\"iat\":%" PRId64
	    ",\"orig\":{\"tn\":\"" CALLER "\"},\"origid\":\"" ORIGID "\"}",
	    now);
	raw_identity(id, sizeof(id), NULL, h, p, ";info=<" PRE "good.pem>");
	expect(id, 438, "attest");
}

static void
test_438_orig(void **state)
{
	char id[STIR_IDENTITY_MAX];
	struct stir_result res;
	int64_t now = time(NULL);

	identity(
	    id, sizeof(id), PRE "good.pem", 'A', "34911000124", CALLEE, now);
	expect(id, 438, "orig.tn");
	/* the same token against the number it does carry passes */
	check1(id, "34911000124", CALLEE, NULL, now, &res);
	assert_int_equal(res.code, 200);
	/* a prefix is not the number */
	identity(
	    id, sizeof(id), PRE "good.pem", 'A', "3491100012", CALLEE, now);
	expect(id, 438, "orig.tn");
}

static void
test_438_dest(void **state)
{
	char id[STIR_IDENTITY_MAX], h[512], p[512];
	struct stir_result res;
	int64_t now = time(NULL);

	identity(
	    id, sizeof(id), PRE "good.pem", 'A', CALLER, "33140000001", now);
	expect(id, 438, "dest.tn");
	/* a list holding the called number passes */
	header_json(h, sizeof(h), PRE "good.pem");
	snprintf(p, sizeof(p),
	    "{\"attest\":\"A\",\"dest\":{\"tn\":[\"1\",\"" CALLEE "\"]},"
	    "\"iat\":%" PRId64 ",\"orig\":{\"tn\":\"" CALLER "\"},"
	    "\"origid\":\"" ORIGID "\"}",
	    now);
	raw_identity(id, sizeof(id), NULL, h, p, ";info=<" PRE "good.pem>");
	check1(id, CALLER, CALLEE, NULL, now, &res);
	assert_int_equal(res.code, 200);
	check1(id, CALLER, "2", NULL, now, &res);
	assert_int_equal(res.code, 438);
}

static void
test_438_signature(void **state)
{
	char id[STIR_IDENTITY_MAX], h[512], p[512], key[512], err[128];
	char forged[STIR_IDENTITY_MAX], p64[1024];
	struct stir_signer *other = NULL;
	const char *dot1, *dot2;
	size_t n;
	int64_t now = time(NULL);

	/* signed with another P-256 key */
	path_of(key, sizeof(key), "other-root.key");
	assert_int_equal(
	    stir_signer_alloc(&other, key, PRE "good.pem", err, sizeof(err)),
	    0);
	header_json(h, sizeof(h), PRE "good.pem");
	payload_json(p, sizeof(p), 'A', CALLER, CALLEE, now);
	raw_identity(id, sizeof(id), other, h, p, ";info=<" PRE "good.pem>");
	expect(id, 438, "signature");
	stir_signer_free(other);

	/* a good token whose payload was swapped (another caller) */
	identity(id, sizeof(id), PRE "good.pem", 'A', CALLER, CALLEE, now);
	payload_json(p, sizeof(p), 'A', "34911000999", CALLEE, now);
	assert_int_equal(stir_sign_jws(fx.signer, STR("{}"),
			     str_make(p, strlen(p)), p64, sizeof(p64), &n),
	    0);
	dot1 = strchr(id, '.');
	dot2 = strchr(dot1 + 1, '.');
	{
		const char *pd1 = strchr(p64, '.'), *pd2 = strchr(pd1 + 1, '.');

		snprintf(forged, sizeof(forged), "%.*s%.*s%s",
		    (int)(dot1 - id + 1), id, (int)(pd2 - pd1 - 1), pd1 + 1,
		    dot2);
	}
	{
		struct stir_result res;

		check1(forged, "34911000999", CALLEE, NULL, now, &res);
		assert_int_equal(res.code, 438);
		assert_non_null(strstr(res.detail, "signature"));
	}
	/* one flipped signature character */
	dot2 = strchr(strchr(id, '.') + 1, '.');
	id[dot2 - id + 5] = id[dot2 - id + 5] == 'A' ? 'B' : 'A';
	expect(id, 438, "signature");
}

static void
test_438_tnauthlist(void **state)
{
	expect_cert("notn", 438, "no TNAuthList");
	expect_cert("twospc", 438, "exactly one SPC");
	expect_cert("tnonly", 438, "exactly one SPC");
}

static void
test_438_cn(void **state)
{
	char root[512], crl[512], webca[512], url[] = PRE "badcn.pem", *pem;
	char id[STIR_IDENTITY_MAX];
	struct stir_verify_conf c;
	struct stir_verifier *v = NULL;
	struct stir_loop *sl = NULL;
	struct stir_request rq;
	struct stir_result res;
	struct str s;
	size_t len;
	int64_t now = time(NULL);

	expect_cert("badcn", 438, "CN is not \"SHAKEN 1001\"");
	/* accepted with cn_lax */
	conf_base(&c, root, crl, webca);
	c.cn_lax = true;
	assert_int_equal(stir_verifier_alloc(&v, &c, NULL, 0), 0);
	pem = slurp("www/badcn.pem", &len);
	assert_non_null(pem);
	assert_int_equal(stir_cache_put(v, url, pem, len, now, 60), 0);
	free(pem);
	assert_int_equal(stir_loop_alloc(&sl, v, fx.l), 0);
	identity(id, sizeof(id), url, 'A', CALLER, CALLEE, now);
	s = str_make(id, strlen(id));
	request(&rq, &s, 1, CALLER, CALLEE, NULL, now);
	assert_int_equal(stir_verify(sl, &rq, &res, never, NULL), 0);
	assert_int_equal(res.code, 200);
	stir_loop_free(sl);
	stir_verifier_free(v);
}

static void
test_403_date(void **state)
{
	char id[STIR_IDENTITY_MAX], date[STIR_DATE_LEN];
	struct stir_result res;
	int64_t now = time(NULL);

	identity(id, sizeof(id), PRE "good.pem", 'A', CALLER, CALLEE, now);
	stir_date_fmt(now - 61, date, sizeof(date));
	check1(id, CALLER, CALLEE, date, now, &res);
	assert_int_equal(res.code, 403);
	assert_string_equal(res.phrase, "Stale Date");
	assert_int_equal(res.verstat, STIR_VERSTAT_FAILED);
	assert_non_null(strstr(res.detail, "Date"));
	stir_date_fmt(now + 61, date, sizeof(date));
	check1(id, CALLER, CALLEE, date, now, &res);
	assert_int_equal(res.code, 403);
}

static void
test_403_iat(void **state)
{
	char id[STIR_IDENTITY_MAX];
	int64_t now = time(NULL);

	identity(id, sizeof(id), PRE "good.pem", 'A', CALLER, CALLEE, now + 61);
	expect(id, 403, "iat");
	identity(id, sizeof(id), PRE "good.pem", 'A', CALLER, CALLEE, now - 61);
	expect(id, 403, "iat");
	identity(id, sizeof(id), PRE "good.pem", 'A', CALLER, CALLEE, 0);
	expect(id, 403, "iat");
}

static void
test_400_from_and_date(void **state)
{
	char id[STIR_IDENTITY_MAX];
	struct stir_result res;
	int64_t now = time(NULL);

	identity(id, sizeof(id), PRE "good.pem", 'A', CALLER, CALLEE, now);
	check1(id, "", CALLEE, NULL, now, &res);
	assert_int_equal(res.code, 400);
	assert_string_equal(res.phrase, "Bad Request");
	assert_int_equal(res.verstat, STIR_VERSTAT_NONE);
	check1(id, "+", CALLEE, NULL, now, &res);
	assert_int_equal(res.code, 400);
	/* MAN test plan line 1: a wrong number format */
	check1(id, "++4", CALLEE, NULL, now, &res);
	assert_int_equal(res.code, 400);
	check1(id, "3491100O123", CALLEE, NULL, now, &res);
	assert_int_equal(res.code, 400);
	check1(id, CALLER, CALLEE, "yesterday-ish", now, &res);
	assert_int_equal(res.code, 400);
	assert_non_null(strstr(res.detail, "Date"));
}

/*
 * The MAN test plan's Identity parameter rules (strict_params) and the
 * RFC 8224 defaults without them.
 */
static void
test_man_strict_params(void **state)
{
	static const struct {
		const char *params;
		unsigned strict, rfc; /* expected codes */
		const char *detail;
	} t[] = {
		{ ";info=<" PRE "good.pem>;alg=ES256;ppt=shaken", 200, 200,
		    "" },
		{ ";info=<" PRE "good.pem>;ppt=shaken", 437, 200, "no alg" },
		{ ";info=<" PRE "good.pem>;alg=ES256", 438, 200, "no ppt" },
		{ ";info=<" PRE "good.pem>", 437, 200, "no alg" },
		{ ";info=<" PRE "good.pem>;alg=ES256;ppt=shaken;toto=titi", 438,
		    200, "more than 4" },
		{ ";info=<" PRE "good.pem>;alg=ES256;ppt=shaken;x", 438, 200,
		    "more than 4" },
		{ ";info=<" PRE "good.pem>;alg=RS256;ppt=shaken", 437, 437,
		    "alg" },
		{ ";info=<" PRE "good.pem>;alg=ES256;ppt=div", 438, 438,
		    "ppt" },
	};
	char root[512], crl[512], webca[512], *pem;
	char id[STIR_IDENTITY_MAX], h[512], p[512];
	struct stir_verify_conf c;
	struct stir_verifier *v = NULL;
	struct stir_loop *sl = NULL;
	struct stir_request rq;
	struct stir_result res;
	struct str s;
	size_t i, len;
	int64_t now = time(NULL);

	conf_base(&c, root, crl, webca);
	c.strict_params = true;
	assert_int_equal(stir_verifier_alloc(&v, &c, NULL, 0), 0);
	pem = slurp("www/good.pem", &len);
	assert_non_null(pem);
	assert_int_equal(
	    stir_cache_put(v, PRE "good.pem", pem, len, now, 60), 0);
	free(pem);
	assert_int_equal(stir_loop_alloc(&sl, v, fx.l), 0);
	header_json(h, sizeof(h), PRE "good.pem");
	payload_json(p, sizeof(p), 'A', CALLER, CALLEE, now);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		raw_identity(id, sizeof(id), NULL, h, p, t[i].params);
		s = str_make(id, strlen(id));
		request(&rq, &s, 1, CALLER, CALLEE, NULL, now);
		assert_int_equal(stir_verify(sl, &rq, &res, never, NULL), 0);
		if (res.code != t[i].strict || !strstr(res.detail, t[i].detail))
			fail_msg("strict %s: %u %s", t[i].params, res.code,
			    res.detail);
		check1(id, CALLER, CALLEE, NULL, now, &res);
		if (res.code != t[i].rfc)
			fail_msg(
			    "rfc %s: %u %s", t[i].params, res.code, res.detail);
	}
	stir_loop_free(sl);
	stir_verifier_free(v);
}

static void
test_multiple_identities(void **state)
{
	char good[STIR_IDENTITY_MAX], bad[STIR_IDENTITY_MAX];
	struct str ids[3];
	struct stir_request rq;
	struct stir_result res;
	int64_t now = time(NULL);

	identity(good, sizeof(good), PRE "good.pem", 'B', CALLER, CALLEE, now);
	identity(bad, sizeof(bad), PRE "expired.pem", 'A', CALLER, CALLEE, now);
	ids[0] = STR("garbage;info=<x>");
	ids[1] = str_make(bad, strlen(bad));
	ids[2] = str_make(good, strlen(good));
	request(&rq, ids, 3, CALLER, CALLEE, NULL, now);
	assert_int_equal(stir_verify(fx.sl, &rq, &res, never, NULL), 0);
	assert_int_equal(res.code, 200);
	assert_int_equal(res.index, 2);
	assert_int_equal(res.attest, 'B');
	/* none verifies: the first failure is the answer */
	request(&rq, ids, 2, CALLER, CALLEE, NULL, now);
	assert_int_equal(stir_verify(fx.sl, &rq, &res, never, NULL), 0);
	assert_int_equal(res.code, 438);
	assert_int_equal(res.index, 0);
	request(&rq, ids + 1, 1, CALLER, CALLEE, NULL, now);
	assert_int_equal(stir_verify(fx.sl, &rq, &res, never, NULL), 0);
	assert_int_equal(res.code, 437);
}

static void
test_compact_form(void **state)
{
	char id[STIR_IDENTITY_MAX], compact[STIR_IDENTITY_MAX];
	const char *d1, *d2;

	identity(
	    id, sizeof(id), PRE "good.pem", 'A', CALLER, CALLEE, time(NULL));
	d1 = strchr(id, '.');
	d2 = strchr(d1 + 1, '.');
	snprintf(compact, sizeof(compact), "..%s", d2 + 1);
	expect(compact, 438, NULL);
	snprintf(compact, sizeof(compact), "%.*s.%s", (int)(d1 - id + 1), id,
	    d2 + 1);
	expect(compact, 438, "compact form");
}

/* ---- x5u rules ----------------------------------------------------------- */

static void
test_x5u_rules(void **state)
{
	static const struct {
		const char *url;
		const char *why; /* NULL: allowed */
	} t[] = {
		{ "https://certs.example.org/a.pem", NULL },
		{ "https://certs.example.org:443/a.pem", NULL },
		{ "https://certs.example.org:8443/a.pem", NULL },
		{ "HTTPS://certs.example.org/a.pem", NULL },
		{ "https://203.0.114.7/a.pem", NULL },
		{ "http://certs.example.org/a.pem", "not https" },
		{ "ftp://certs.example.org/a.pem", "not https" },
		{ "https://certs.example.org:80/a.pem", "port 80" },
		{ "https://certs.example.org:5061/a.pem", "port 5061" },
		{ "https://certs.example.org/a.pem?x=1", "query" },
		{ "https://certs.example.org/a.pem?", "query" },
		{ "https://certs.example.org/a.pem#x", "fragment" },
		{ "https://certs.example.org/a.pem#", "fragment" },
		{ "https://user@certs.example.org/a.pem", "user-info" },
		{ "https://user:pw@certs.example.org/a.pem", "user-info" },
		{ "https://@certs.example.org/a.pem", "user-info" },
		{ "https://127.0.0.1/a.pem", "address 127.0.0.1" },
		{ "https://10.1.2.3/a.pem", "address 10.1.2.3" },
		{ "https://192.168.1.1:8443/a.pem", "address" },
		{ "https://169.254.169.254/latest", "address" },
		{ "https://100.64.0.1/a.pem", "address" },
		{ "https://[::1]/a.pem", "address ::1" },
		{ "https://[fe80::1]/a.pem", "address" },
		{ "https://[::ffff:127.0.0.1]/a.pem", "address" },
		{ "https://0x7f000001/a.pem", "address" },
		{ "https://2130706433/a.pem", "address" },
		{ "https://127.1/a.pem", "address" },
		{ "https:///a.pem", "no host" },
		{ "https://certs.example.org", NULL },
		{ "https://certs.example.org /a.pem", "forbidden character" },
		{ "https://certs.example.org/a\"b", "forbidden character" },
		{ "certs.example.org/a.pem", "absolute" },
		{ "", "empty" },
	};
	char why[STIR_DETAIL_MAX];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rc = stir_x5u_check(fx.v, str_make(t[i].url, strlen(t[i].url)),
		    why, sizeof(why));
		if (!t[i].why && rc != 0)
			fail_msg("%s refused: %s", t[i].url, why);
		if (t[i].why && (rc != EPERM || !strstr(why, t[i].why)))
			fail_msg("%s: rc %d \"%s\", want \"%s\"", t[i].url, rc,
			    why, t[i].why);
	}
}

static void
test_x5u_rules_in_verify(void **state)
{
	static const char *const bad[] = { "http://certs.example.org/good.pem",
		"https://certs.example.org:80/good.pem",
		"https://certs.example.org:5061/good.pem",
		"https://certs.example.org/good.pem?a=b",
		"https://u@certs.example.org/good.pem",
		"https://certs.example.org/good.pem#f",
		"https://127.0.0.1/good.pem" };
	char id[STIR_IDENTITY_MAX];
	struct stir_stats st0, st1;
	size_t i;

	stir_stats_get(fx.v, &st0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		identity(
		    id, sizeof(id), bad[i], 'A', CALLER, CALLEE, time(NULL));
		expect(id, 436, "x5u");
	}
	stir_stats_get(fx.v, &st1);
	assert_int_equal(st1.fetches, st0.fetches); /* nothing fetched */
}

static void
test_special_addresses(void **state)
{
	static const struct {
		const char *a;
		bool special;
	} t[] = {
		{ "127.0.0.1", true },
		{ "127.255.255.254", true },
		{ "10.0.0.1", true },
		{ "172.16.0.1", true },
		{ "172.31.255.255", true },
		{ "172.32.0.1", false },
		{ "192.168.0.1", true },
		{ "169.254.1.1", true },
		{ "100.64.0.1", true },
		{ "100.127.255.255", true },
		{ "100.128.0.1", false },
		{ "0.0.0.0", true },
		{ "0.1.2.3", true },
		{ "192.0.0.8", true },
		{ "192.0.2.1", true },
		{ "198.18.0.1", true },
		{ "198.19.255.255", true },
		{ "198.20.0.1", false },
		{ "198.51.100.1", true },
		{ "203.0.113.1", true },
		{ "224.0.0.1", true },
		{ "239.1.1.1", true },
		{ "240.0.0.1", true },
		{ "255.255.255.255", true },
		{ "8.8.8.8", false },
		{ "193.147.1.1", false },
		{ "::1", true },
		{ "::", true },
		{ "fc00::1", true },
		{ "fd12:3456::1", true },
		{ "fe80::1", true },
		{ "2001:db8::1", true },
		{ "64:ff9b::a00:1", true },
		{ "100::1", true },
		{ "ff02::1", true },
		{ "2001:4860:4860::8888", false },
		{ "2a00:1450::1", false },
		{ "::ffff:127.0.0.1", true },
		{ "::ffff:10.1.1.1", true },
		{ "::ffff:8.8.8.8", false },
	};
	struct sa sa;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(sa_set_cstr(&sa, t[i].a, 443), 0);
		if (stir_addr_is_special(&sa) != t[i].special)
			fail_msg("%s: special %d", t[i].a, !t[i].special);
	}
}

/* ---- fetching ------------------------------------------------------------ */

struct waiter {
	struct loop *l;
	int calls, want;
	bool timed_out;
};

static void
on_done(void *arg)
{
	struct waiter *w = arg;

	if (++w->calls >= w->want)
		loop_stop(w->l);
}

static void
on_timeout(void *arg)
{
	struct waiter *w = arg;

	w->timed_out = true;
	loop_stop(w->l);
}

/* Run a fresh loop until w->want callbacks or timeout_ms. */
static void
run_loop(struct loop *l, struct waiter *w, unsigned timeout_ms)
{
	struct loop_timer t;

	memset(&t, 0, sizeof(t));
	w->l = l;
	assert_int_equal(loop_timer_start(l, &t, timeout_ms, on_timeout, w), 0);
	assert_int_equal(loop_run(l), 0);
	loop_timer_cancel(l, &t);
}

/*
 * Verify with v (fetching when needed); *pended tells whether the first
 * call returned EINPROGRESS; then the callback came once and the second
 * call answered.
 */
static void
verify_fetch(struct stir_verifier *v, const char *value, int64_t now,
    struct stir_result *res, bool *pended)
{
	struct str id = str_make(value, strlen(value));
	struct stir_request rq;
	struct waiter w = { .want = 1 };
	struct stir_loop *sl;
	struct loop *l;
	int err;

	assert_int_equal(loop_alloc(&l), 0);
	assert_int_equal(stir_loop_alloc(&sl, v, l), 0);
	request(&rq, &id, 1, CALLER, CALLEE, NULL, now);
	err = stir_verify(sl, &rq, res, on_done, &w);
	*pended = err == EINPROGRESS;
	if (err == EINPROGRESS) {
		assert_int_equal(w.calls, 0); /* never from inside the call */
		run_loop(l, &w, 15000);
		assert_false(w.timed_out);
		assert_int_equal(w.calls, 1);
		err = stir_verify(sl, &rq, res, on_done, &w);
	}
	assert_int_equal(err, 0);
	stir_loop_free(sl);
	loop_free(l);
}

static void
url_on_server(char *buf, size_t cap, const char *path)
{
	snprintf(buf, cap, "%s%s", fx.base, path);
}

static void
test_fetch_and_cache(void **state)
{
	char url[256], id[STIR_IDENTITY_MAX];
	struct stir_result res;
	struct stir_stats st0, st1;
	long n0, n1;
	bool pended;
	int64_t now = time(NULL);

	url_on_server(url, sizeof(url), "/f/good.pem");
	identity(id, sizeof(id), url, 'A', CALLER, CALLEE, now);
	n0 = server_count();
	assert_true(n0 >= 0);
	stir_stats_get(fx.vnet, &st0);
	verify_fetch(fx.vnet, id, now, &res, &pended);
	assert_true(pended);
	assert_int_equal(res.code, 200);
	assert_string_equal(res.spc, "1001");
	assert_int_equal(server_count(), n0 + 1);
	/* the second verification is answered from the cache */
	verify_fetch(fx.vnet, id, now, &res, &pended);
	assert_false(pended);
	assert_int_equal(res.code, 200);
	n1 = server_count();
	assert_int_equal(n1, n0 + 1);
	stir_stats_get(fx.vnet, &st1);
	assert_int_equal(st1.fetches, st0.fetches + 1);
	assert_true(st1.hits >= st0.hits + 1);
	/* a bad signature with the cached certificate: no fetch either */
	identity(id, sizeof(id), url, 'A', CALLER, CALLEE, now);
	{
		char *c = strchr(strchr(id, '.') + 1, '.') + 3;

		*c = *c == 'A' ? 'B' : 'A';
	}
	verify_fetch(fx.vnet, id, now, &res, &pended);
	assert_false(pended);
	assert_int_equal(res.code, 438);
	assert_int_equal(server_count(), n1);
}

static void
test_fetch_shared(void **state)
{
	char url[256], id[STIR_IDENTITY_MAX];
	struct str s;
	struct stir_request rq;
	struct stir_result r1, r2, r3;
	struct waiter w = { .want = 3 };
	struct stir_loop *sl;
	struct loop *l;
	long n0;
	int64_t now = time(NULL);

	url_on_server(url, sizeof(url), "/ma/600/good.pem");
	identity(id, sizeof(id), url, 'C', CALLER, CALLEE, now);
	s = str_make(id, strlen(id));
	request(&rq, &s, 1, CALLER, CALLEE, NULL, now);
	n0 = server_count();
	assert_int_equal(loop_alloc(&l), 0);
	assert_int_equal(stir_loop_alloc(&sl, fx.vnet, l), 0);
	/* three calls in a row, microseconds apart: the fetch takes ms */
	assert_int_equal(stir_verify(sl, &rq, &r1, on_done, &w), EINPROGRESS);
	assert_int_equal(stir_verify(sl, &rq, &r2, on_done, &w), EINPROGRESS);
	assert_int_equal(stir_verify(sl, &rq, &r3, on_done, &w), EINPROGRESS);
	run_loop(l, &w, 15000);
	assert_false(w.timed_out);
	assert_int_equal(w.calls, 3);
	assert_int_equal(stir_verify(sl, &rq, &r1, on_done, &w), 0);
	assert_int_equal(r1.code, 200);
	assert_int_equal(r1.attest, 'C');
	assert_int_equal(server_count(), n0 + 1); /* one fetch for all */
	stir_loop_free(sl);
	loop_free(l);
}

static void
test_fetch_cancel(void **state)
{
	char url[256], id[STIR_IDENTITY_MAX];
	struct str s;
	struct stir_request rq;
	struct stir_result res;
	struct waiter w = { .want = 1 };
	struct stir_loop *sl;
	struct loop *l;
	int i;
	int64_t now = time(NULL);

	url_on_server(url, sizeof(url), "/ma/601/good.pem");
	identity(id, sizeof(id), url, 'A', CALLER, CALLEE, now);
	s = str_make(id, strlen(id));
	request(&rq, &s, 1, CALLER, CALLEE, NULL, now);
	assert_int_equal(loop_alloc(&l), 0);
	assert_int_equal(stir_loop_alloc(&sl, fx.vnet, l), 0);
	assert_int_equal(stir_verify(sl, &rq, &res, on_done, &w), EINPROGRESS);
	stir_cancel(sl, &w);
	/* wait until the fetch has landed in the cache */
	for (i = 0; i < 500; i++) {
		if (stir_verify(sl, &rq, &res, never, NULL) == 0)
			break;
		stir_cancel(sl, NULL);
		tproc_sleep_ms(20);
	}
	assert_int_equal(res.code, 200);
	run_loop(l, &w, 300);
	assert_true(w.timed_out);
	assert_int_equal(w.calls, 0);
	stir_loop_free(sl);
	loop_free(l);
}

static void
test_ssrf_connect_time(void **state)
{
	struct stir_verifier *v = net_verifier(false, 0);
	char url[256], id[STIR_IDENTITY_MAX];
	struct stir_result res;
	struct stir_stats st;
	long n0;
	bool pended;
	int64_t now = time(NULL);

	/* a name, so only the connect-time check can refuse it */
	url_on_server(url, sizeof(url), "/f/good.pem");
	identity(id, sizeof(id), url, 'A', CALLER, CALLEE, now);
	n0 = server_count();
	verify_fetch(v, id, now, &res, &pended);
	assert_true(pended);
	assert_int_equal(res.code, 436);
	if (!strstr(res.detail, "address 127.0.0.1 not allowed") &&
	    !strstr(res.detail, "address ::1 not allowed"))
		fail_msg("detail: %s", res.detail);
	assert_int_equal(server_count(), n0); /* nothing reached it */
	stir_stats_get(v, &st);
	assert_true(st.refused_addr >= 1);
	/* the literal address is refused without any fetch */
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/f/good.pem", fx.port);
	identity(id, sizeof(id), url, 'A', CALLER, CALLEE, now);
	verify_fetch(v, id, now, &res, &pended);
	assert_false(pended);
	assert_int_equal(res.code, 436);
	stir_verifier_free(v);

	/* the same URL with loopback allow-listed: fetched */
	snprintf(
	    url, sizeof(url), "https://127.0.0.1:%u/ma/602/good.pem", fx.port);
	identity(id, sizeof(id), url, 'A', CALLER, CALLEE, now);
	verify_fetch(fx.vnet, id, now, &res, &pended);
	assert_true(pended);
	assert_int_equal(res.code, 200);
}

static void
test_negative_cache(void **state)
{
	static const struct {
		const char *path;
		unsigned code;
		const char *detail;
	} t[] = {
		{ "/status/404", 436, "HTTP 404" },
		{ "/status/500", 436, "HTTP 500" },
		{ "/f/garbage.pem", 436, "no certificate" },
		{ "/big", 436, "larger than" },
		{ "/f/other.pem", 437, "chain" },
		{ "/f/notn.pem", 438, "TNAuthList" },
	};
	char url[256], id[STIR_IDENTITY_MAX];
	struct stir_result res;
	long n0;
	bool pended;
	size_t i;
	int k;
	int64_t now = time(NULL);

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		url_on_server(url, sizeof(url), t[i].path);
		identity(id, sizeof(id), url, 'A', CALLER, CALLEE, now);
		n0 = server_count();
		verify_fetch(fx.vnet, id, now, &res, &pended);
		assert_true(pended);
		if (res.code != t[i].code || !strstr(res.detail, t[i].detail))
			fail_msg("%s: %u %s", t[i].path, res.code, res.detail);
		assert_int_equal(server_count(), n0 + 1);
		/* a flood of calls: answered from the negative cache */
		for (k = 0; k < 20; k++) {
			verify_fetch(fx.vnet, id, now + 30, &res, &pended);
			assert_false(pended);
			assert_int_equal(res.code, t[i].code);
		}
		assert_int_equal(server_count(), n0 + 1);
		/* after negative_ttl (60 s) it is tried again */
		identity(id, sizeof(id), url, 'A', CALLER, CALLEE, now + 61);
		verify_fetch(fx.vnet, id, now + 61, &res, &pended);
		assert_true(pended);
		assert_int_equal(server_count(), n0 + 2);
	}
}

static void
test_fetch_timeout(void **state)
{
	struct stir_verifier *v = net_verifier(true, 700);
	char url[256], id[STIR_IDENTITY_MAX];
	struct stir_result res;
	bool pended;
	double t0 = mono();
	int64_t now = time(NULL);

	url_on_server(url, sizeof(url), "/slow");
	identity(id, sizeof(id), url, 'A', CALLER, CALLEE, now);
	verify_fetch(v, id, now, &res, &pended);
	assert_true(pended);
	assert_int_equal(res.code, 436);
	assert_non_null(strstr(res.detail, "timed out"));
	assert_true(mono() - t0 < 5);
	stir_verifier_free(v);
}

/* Cached until now + fresh_for, fetched again at now + stale_at. */
static void
check_lifetime(const char *path, int64_t fresh_for, int64_t stale_at)
{
	struct stir_verifier *v = net_verifier(true, 0);
	char url[256], id[STIR_IDENTITY_MAX];
	struct stir_result res;
	bool pended;
	long n0;
	int64_t now = time(NULL);

	url_on_server(url, sizeof(url), path);
	n0 = server_count();
	identity(id, sizeof(id), url, 'A', CALLER, CALLEE, now);
	verify_fetch(v, id, now, &res, &pended);
	assert_true(pended);
	assert_int_equal(res.code, 200);
	identity(id, sizeof(id), url, 'A', CALLER, CALLEE, now + fresh_for);
	verify_fetch(v, id, now + fresh_for, &res, &pended);
	if (pended)
		fail_msg("%s: fetched again at +%" PRId64, path, fresh_for);
	assert_int_equal(res.code, 200);
	identity(id, sizeof(id), url, 'A', CALLER, CALLEE, now + stale_at);
	verify_fetch(v, id, now + stale_at, &res, &pended);
	if (!pended)
		fail_msg("%s: still cached at +%" PRId64, path, stale_at);
	assert_int_equal(res.code, 200);
	assert_int_equal(server_count(), n0 + 2);
	stir_verifier_free(v);
}

static void
test_cache_lifetimes(void **state)
{
	check_lifetime("/ma/100/good.pem", 95, 105);
	check_lifetime("/exp/300/good.pem", 290, 310);
	/* max-age 0 and no-store: kept cache_min_ttl (10 s) */
	check_lifetime("/ma/0/good.pem", 9, 11);
	check_lifetime("/nostore/good.pem", 9, 11);
	/* max-age above the 24 h cap */
	check_lifetime("/ma/999999/good.pem", 86390, 86410);
	check_lifetime("/f/good.pem", 3590, 3610); /* max-age=3600 */
}

static void
test_cache_bounded(void **state)
{
	char root[512], crl[512], webca[512], url[128], *pem;
	struct stir_verify_conf c;
	struct stir_verifier *v = NULL;
	struct stir_stats st;
	size_t len;
	int i;
	int64_t now = time(NULL);

	conf_base(&c, root, crl, webca);
	c.cache_max = 3;
	assert_int_equal(stir_verifier_alloc(&v, &c, NULL, 0), 0);
	pem = slurp("www/good.pem", &len);
	assert_non_null(pem);
	for (i = 0; i < 10; i++) {
		snprintf(url, sizeof(url), PRE "%d.pem", i);
		assert_int_equal(stir_cache_put(v, url, pem, len, now, 60), 0);
	}
	stir_stats_get(v, &st);
	assert_int_equal(st.entries, 3);
	stir_cache_flush(v);
	stir_stats_get(v, &st);
	assert_int_equal(st.entries, 0);
	free(pem);
	stir_verifier_free(v);
}

/* ---- signing ------------------------------------------------------------- */

static void
split3(const char *jws, char *h, char *p, size_t cap)
{
	const char *d1 = strchr(jws, '.'), *d2;

	assert_non_null(d1);
	d2 = strchr(d1 + 1, '.');
	assert_non_null(d2);
	snprintf(h, cap, "%.*s", (int)(d1 - jws), jws);
	snprintf(p, cap, "%.*s", (int)(d2 - d1 - 1), d1 + 1);
}

/* base64url, decoded apart from the code under test */
static size_t
b64url_dec(const char *in, char *out, size_t cap)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				 "qrstuvwxyz0123456789-_";
	uint32_t acc = 0;
	size_t n = 0;
	int bits = 0;

	for (; *in; in++) {
		const char *p = strchr(al, *in);

		assert_non_null(p);
		acc = (acc << 6) | (uint32_t)(p - al);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			assert_true(n + 1 < cap);
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	return n;
}

static void
test_sign_canonical(void **state)
{
	struct str dest[2] = { STR("+" CALLEE), STR("33140000001") };
	struct stir_claims c = { .attest = 'B',
		.orig_tn = STR("+" CALLER),
		.dest_tn = dest,
		.ndest = 2,
		.iat = 1795250211,
		.origid = STR(ORIGID) };
	char out[STIR_IDENTITY_MAX], h[1024], p[1024], hj[1024], pj[1024];
	char *pem;
	const char *semi;
	size_t len, pl;

	assert_int_equal(stir_sign(fx.signer, &c, out, sizeof(out), &len), 0);
	assert_int_equal(len, strlen(out));
	semi = strchr(out, ';');
	assert_non_null(semi);
	assert_string_equal(
	    semi, ";info=<" PRE "good.pem>;alg=ES256;ppt=shaken");
	split3(out, h, p, sizeof(h));
	b64url_dec(h, hj, sizeof(hj));
	b64url_dec(p, pj, sizeof(pj));
	assert_string_equal(hj,
	    "{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\","
	    "\"x5u\":\"" PRE "good.pem\"}");
	assert_string_equal(pj,
	    "{\"attest\":\"B\",\"dest\":{\"tn\":[\"" CALLEE
	    "\",\"33140000001\"]},\"iat\":1795250211,\"orig\":{\"tn\":\"" CALLER
	    "\"},\"origid\":\"" ORIGID "\"}");
	/* the signature verifies with the public key and with the cert */
	pem = slurp("leaf-pub.pem", &pl);
	assert_non_null(pem);
	assert_int_equal(
	    stir_jws_check_sig(str_make(out, (size_t)(semi - out)), pem, pl),
	    0);
	free(pem);
	pem = slurp("www/good.pem", &pl);
	assert_non_null(pem);
	assert_int_equal(
	    stir_jws_check_sig(str_make(out, (size_t)(semi - out)), pem, pl),
	    0);
	free(pem);
	/* and not with another key */
	pem = slurp("other-root.pem", &pl);
	assert_non_null(pem);
	assert_int_equal(
	    stir_jws_check_sig(str_make(out, (size_t)(semi - out)), pem, pl),
	    EKEYREJECTED);
	free(pem);
}

static bool
is_uuid4(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!strchr("0123456789abcdef", s[i])) {
			return false;
		}
	}
	return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

static void
test_sign_origid_and_verify(void **state)
{
	struct str dest = STR(CALLEE);
	struct stir_claims c = { .attest = 'A',
		.orig_tn = STR(CALLER),
		.dest_tn = &dest,
		.ndest = 1 };
	char a[STIR_IDENTITY_MAX], b[STIR_IDENTITY_MAX];
	struct stir_result ra, rb;
	int64_t now = time(NULL);

	c.iat = now;
	assert_int_equal(stir_sign(fx.signer, &c, a, sizeof(a), NULL), 0);
	assert_int_equal(stir_sign(fx.signer, &c, b, sizeof(b), NULL), 0);
	check1(a, CALLER, CALLEE, NULL, now, &ra);
	check1(b, CALLER, CALLEE, NULL, now, &rb);
	assert_int_equal(ra.code, 200);
	assert_int_equal(rb.code, 200);
	assert_true(is_uuid4(ra.origid));
	assert_true(is_uuid4(rb.origid));
	assert_string_not_equal(ra.origid, rb.origid);
}

static void
test_sign_errors(void **state)
{
	struct str dest = STR(CALLEE), bad = STR("33a1");
	struct stir_claims c = { .attest = 'A',
		.orig_tn = STR(CALLER),
		.dest_tn = &dest,
		.ndest = 1,
		.iat = 1 };
	char out[STIR_IDENTITY_MAX], key[512], err[128];
	struct stir_signer *s = NULL;

	path_of(key, sizeof(key), "nonexistent.key");
	assert_int_equal(
	    stir_signer_alloc(&s, key, PRE "x", err, sizeof(err)), ENOENT);
	path_of(key, sizeof(key), "p384.key");
	assert_int_equal(
	    stir_signer_alloc(&s, key, PRE "x", err, sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "P-256"));
	path_of(key, sizeof(key), "leaf.key");
	assert_int_equal(
	    stir_signer_alloc(&s, key, "http://x/y", err, sizeof(err)), EINVAL);
	assert_int_equal(
	    stir_signer_alloc(&s, key, "https://x/a>b", err, sizeof(err)),
	    EINVAL);
	assert_null(s);

	c.attest = 'D';
	assert_int_equal(
	    stir_sign(fx.signer, &c, out, sizeof(out), NULL), EINVAL);
	c.attest = 'A';
	c.orig_tn = STR("");
	assert_int_equal(
	    stir_sign(fx.signer, &c, out, sizeof(out), NULL), EINVAL);
	c.orig_tn = STR(CALLER);
	c.dest_tn = &bad;
	assert_int_equal(
	    stir_sign(fx.signer, &c, out, sizeof(out), NULL), EINVAL);
	c.dest_tn = &dest;
	c.ndest = 0;
	assert_int_equal(
	    stir_sign(fx.signer, &c, out, sizeof(out), NULL), EINVAL);
	c.ndest = 1;
	assert_int_equal(stir_sign(fx.signer, &c, out, 100, NULL), ENOSPC);
	assert_int_equal(stir_sign(fx.signer, &c, out, sizeof(out), NULL), 0);
}

static void
test_date_fmt(void **state)
{
	char d[STIR_DATE_LEN];
	int64_t t;

	assert_int_equal(stir_date_fmt(784111777, d, sizeof(d)), 0);
	assert_string_equal(d, "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_int_equal(stir_date_fmt(0, d, sizeof(d)), 0);
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 GMT");
	assert_int_equal(stir_date_fmt(784111777, d, 10), ENOSPC);
	for (t = 1700000000; t < 1700000000 + 86400 * 400;
	     t += 86400 * 7 + 13) {
		assert_int_equal(stir_date_fmt(t, d, sizeof(d)), 0);
		assert_int_equal((int64_t)curl_getdate(d, NULL), t);
	}
}

static void
test_sign_speed(void **state)
{
	struct str dest = STR(CALLEE);
	struct stir_claims c = { .attest = 'A',
		.orig_tn = STR(CALLER),
		.dest_tn = &dest,
		.ndest = 1 };
	char out[STIR_IDENTITY_MAX];
	struct stir_result res;
	double t0, sign_ns, verify_ns;
	int i, n = 2000;
	int64_t now = time(NULL);

	c.iat = now;
	t0 = mono();
	for (i = 0; i < n; i++)
		assert_int_equal(
		    stir_sign(fx.signer, &c, out, sizeof(out), NULL), 0);
	sign_ns = (mono() - t0) * 1e9 / n;
	t0 = mono();
	for (i = 0; i < n; i++) {
		check1(out, CALLER, CALLEE, NULL, now, &res);
		assert_int_equal(res.code, 200);
	}
	verify_ns = (mono() - t0) * 1e9 / n;
	print_message("stir: %.0f ns/sign, %.0f ns/verify (cached cert)\n",
	    sign_ns, verify_ns);
}

/* ---- secsipidx cross-checks ---------------------------------------------- */

static void
test_secsipidx_verifies_ours(void **state)
{
	struct str dest = STR(CALLEE);
	struct stir_claims c = { .attest = 'A',
		.orig_tn = STR(CALLER),
		.dest_tn = &dest,
		.ndest = 1 };
	char out[STIR_IDENTITY_MAX], file[512], pub[512], cert[512], res[4096];
	char *argv[] = { "secsipidx", "-check", "-fidentity", file, "-fpubkey",
		pub, "-expire", "60", NULL };
	FILE *f;
	char *semi;

	c.iat = time(NULL);
	assert_int_equal(stir_sign(fx.signer, &c, out, sizeof(out), NULL), 0);
	path_of(file, sizeof(file), "ours.txt");
	path_of(pub, sizeof(pub), "leaf-pub.pem");
	path_of(cert, sizeof(cert), "good.crt");
	f = fopen(file, "w");
	assert_non_null(f);
	fputs(out, f);
	fclose(f);
	if (run(argv, res, sizeof(res), true) != 0 || !strstr(res, "ok"))
		fail_msg("secsipidx refused our token: %s", res);
	/* the certificate as the key works too */
	argv[5] = cert;
	if (run(argv, res, sizeof(res), true) != 0 || !strstr(res, "ok"))
		fail_msg("secsipidx refused our token (cert): %s", res);
	/* and a damaged signature is refused, so the check above counts */
	semi = strchr(out, ';');
	semi[-3] = semi[-3] == 'A' ? 'B' : 'A';
	f = fopen(file, "w");
	assert_non_null(f);
	fputs(out, f);
	fclose(f);
	assert_int_not_equal(run(argv, res, sizeof(res), true), 0);
}

static void
test_ours_verifies_secsipidx(void **state)
{
	char url[256], key[512], out[STIR_IDENTITY_MAX], h[1024], p[1024],
	    hj[1024], p64[2048], hd[1024];
	char *argv[] = { "secsipidx", "-sign-full", "-orig-tn", CALLER,
		"-dest-tn", CALLEE, "-attest", "B", "-x5u", url, "-k", key,
		NULL };
	char *argv2[] = { "secsipidx", "-sign", "-header", hj, "-payload", p,
		"-k", key, NULL };
	struct stir_result res;
	struct str s;
	size_t n;
	bool pended;
	int64_t now;

	/* -sign-full, the certificate fetched from the loopback server */
	url_on_server(url, sizeof(url), "/ma/603/good.pem");
	path_of(key, sizeof(key), "leaf.key");
	assert_int_equal(run(argv, out, sizeof(out), false), 0);
	s = str_trim(str_make(out, strlen(out)));
	out[s.len] = '\0';
	now = time(NULL);
	verify_fetch(fx.vnet, out, now, &res, &pended);
	if (res.code != 200)
		fail_msg(
		    "secsipidx token: %u %s\n%s", res.code, res.detail, out);
	assert_true(pended);
	assert_int_equal(res.attest, 'B');

	/*
	 * -sign with JSON that is not canonical (key order, spaces): the
	 * signature covers the bytes as sent, and so does our check.
	 */
	snprintf(hj, sizeof(hj),
	    "{ \"x5u\": \"" PRE "good.pem\", \"typ\":\"passport\","
	    "\"ppt\":\"shaken\" ,\"alg\":\"ES256\"}");
	snprintf(p, sizeof(p),
	    "{\"orig\":{\"tn\":\"" CALLER "\"}, \"origid\":\"x-1\", "
	    "\"dest\":{\"tn\":[\"" CALLEE "\"]},\"iat\":%" PRId64
	    ",\"attest\":\"C\"}",
	    now);
	assert_int_equal(run(argv2, out, sizeof(out), false), 0);
	s = str_trim(str_make(out, strlen(out)));
	out[s.len] = '\0';
	split3(out, h, p64, sizeof(h));
	b64url_dec(h, hd, sizeof(hd));
	assert_string_equal(hd, hj); /* as given: not re-serialised */
	n = strlen(out);
	snprintf(out + n, sizeof(out) - n, ";info=<" PRE "good.pem>");
	check1(out, CALLER, CALLEE, NULL, now, &res);
	if (res.code != 200)
		fail_msg("non-canonical token: %u %s", res.code, res.detail);
	assert_int_equal(res.attest, 'C');
}

/* ---- RFC 8225 Appendix A (TV4) ------------------------------------------- */

static const char rfc_priv[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgi7q2TZvN9VDFg8Vy\n"
    "qCP06bETrR2v8MRvr89rn4i+UAahRANCAAQWfaj1HUETpoNCrOtp9KA8o0V79IuW\n"
    "ARKt9C1cFPkyd3FBP4SeiNZxQhDrD0tdBHls3/wFe8++K2FrPyQF9vuh\n"
    "-----END PRIVATE KEY-----\n";
/* the public key the RFC prints */
static const char rfc_pub[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8HNbQd/TmvCKwPKHkMF9fScavGeH\n"
    "78YTU8qLS8I5HLHSSmlATLcslQMhNC/OhlWBYC626nIlo7XeebYS7Sb37g==\n"
    "-----END PUBLIC KEY-----\n";
/* the public key of rfc_priv */
static const char rfc_pub2[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEFn2o9R1BE6aDQqzrafSgPKNFe/SL\n"
    "lgESrfQtXBT5MndxQT+EnojWcUIQ6w9LXQR5bN/8BXvPvithaz8kBfb7oQ==\n"
    "-----END PUBLIC KEY-----\n";
#define RFC_H64                                                            \
	"eyJhbGciOiJFUzI1NiIsInR5cCI6InBhc3Nwb3J0IiwieDV1IjoiaHR0cHM6Ly9j" \
	"ZXJ0LmV4YW1wbGUub3JnL3Bhc3Nwb3J0LmNlciJ9"
#define RFC_P64                                                           \
	"eyJkZXN0Ijp7InVyaSI6WyJzaXA6YWxpY2VAZXhhbXBsZS5jb20iXX0sImlhdCI" \
	"6MTQ3MTM3NTQxOCwib3JpZyI6eyJ0biI6IjEyMTU1NTUxMjEyIn19"
#define RFC_SIG                                                           \
	"VLBCIVDCaeK6M4hLJb6SHQvacAQVvoiiEOWQ_iUkqk79UD81fHQ0E1b3_GluIkb" \
	"a7UWYRM47ZbNFdOJquE35cw"

static void
test_rfc8225_tv4(void **state)
{
	static const char hdr[] = "{\"alg\":\"ES256\",\"typ\":\"passport\","
				  "\"x5u\":\"https://cert.example.org/"
				  "passport.cer\"}";
	static const char pay[] = "{\"dest\":{\"uri\":[\"sip:alice@example."
				  "com\"]},\"iat\":1471375418,\"orig\":{"
				  "\"tn\":\"12155551212\"}}";
	char key[512], err[128], out[STIR_IDENTITY_MAX];
	struct stir_signer *s = NULL;
	struct stir_result res;
	struct stir_passport pp;
	FILE *f;
	size_t n;

	path_of(key, sizeof(key), "rfc8225.key");
	f = fopen(key, "w");
	assert_non_null(f);
	fputs(rfc_priv, f);
	fclose(f);
	assert_int_equal(
	    stir_signer_alloc(&s, key, "https://cert.example.org/passport.cer",
		err, sizeof(err)),
	    0);
	assert_int_equal(
	    stir_sign_jws(s, STR(hdr), STR(pay), out, sizeof(out), &n), 0);
	/* byte-exact signing input */
	assert_memory_equal(
	    out, RFC_H64 "." RFC_P64 ".", strlen(RFC_H64 "." RFC_P64 "."));
	/* our signature verifies with the key of the private key... */
	assert_int_equal(
	    stir_jws_check_sig(str_make(out, n), rfc_pub2, strlen(rfc_pub2)),
	    0);
	/* ...the RFC's printed public key is another key */
	assert_int_equal(
	    stir_jws_check_sig(str_make(out, n), rfc_pub, strlen(rfc_pub)),
	    EKEYREJECTED);
	/* and the published signature verifies under neither */
	assert_int_equal(
	    stir_jws_check_sig(
		STR(RFC_H64 "." RFC_P64 "." RFC_SIG), rfc_pub, strlen(rfc_pub)),
	    EKEYREJECTED);
	assert_int_equal(
	    stir_jws_check_sig(STR(RFC_H64 "." RFC_P64 "." RFC_SIG), rfc_pub2,
		strlen(rfc_pub2)),
	    EKEYREJECTED);
	/* not a SHAKEN PASSporT: no ppt in the header */
	memset(&res, 0, sizeof(res));
	assert_int_equal(
	    stir_passport_decode(&pp, str_make(out, n), &res), EBADMSG);
	assert_int_equal(res.code, 436);
	stir_signer_free(s);
}

/* ---- TNAuthList and Identity syntax -------------------------------------- */

static void
test_tnauthlist_der(void **state)
{
	static const struct {
		const char *hex;
		int err;
		const char *spc;
	} t[] = {
		{ "3008a006160431303031", 0, "1001" },
		{ "3006a00416024142", 0, "AB" },
		{ "3010a006160431303031a006160431303032", EPROTO, NULL },
		{ "300fa20d160b3334393131303030313233", EPROTO, NULL },
		{ "3014a1123010160b333439313130303030303002010a", EPROTO,
		    NULL },
		{ "3000", EPROTO, NULL },
		{ "3008a006160431303031ff", EBADMSG, NULL },
		{ "3008a006130431303031", EBADMSG, NULL }, /* Printable */
		{ "3006a0041602a0a0", EBADMSG, NULL },
		{ "3004a0021600", EBADMSG, NULL },
		{ "16043130303", EBADMSG, NULL },
		{ "3008a00616043130", EBADMSG, NULL },
		{ "", EBADMSG, NULL },
	};
	unsigned char der[64];
	char spc[STIR_SPC_MAX];
	size_t i, j, n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = strlen(t[i].hex) / 2;
		for (j = 0; j < n; j++) {
			unsigned b;

			sscanf(t[i].hex + 2 * j, "%2x", &b);
			der[j] = (unsigned char)b;
		}
		if (stir_tnauthlist_spc(der, n, spc, sizeof(spc)) != t[i].err)
			fail_msg("%s: want %d", t[i].hex, t[i].err);
		if (t[i].spc)
			assert_string_equal(spc, t[i].spc);
	}
	n = 10;
	memcpy(der,
	    "\x30\x08\xa0\x06\x16\x04"
	    "1001",
	    n);
	assert_int_equal(stir_tnauthlist_spc(der, n, spc, 4), ENOSPC);
}

static void
test_identity_parse(void **state)
{
	static const struct {
		const char *in;
		int err;
		const char *jws, *info, *alg, *ppt;
	} t[] = {
		{ "a.b.c;info=<https://x/y>;alg=ES256;ppt=shaken", 0, "a.b.c",
		    "https://x/y", "ES256", "shaken" },
		{ "  a.b.c ; info = <https://x/y> ; alg=ES256  ", 0, "a.b.c",
		    "https://x/y", "ES256", "" },
		{ "a.b.c;info=https://x/y", 0, "a.b.c", "https://x/y", "", "" },
		{ "a.b.c;INFO=<https://x/y;z>;PPT=\"shaken\"", 0, "a.b.c",
		    "https://x/y;z", "", "shaken" },
		{ "a.b.c;foo;bar=\"q;\\\"x\";info=<u>", 0, "a.b.c", "u", "",
		    "" },
		{ "a.b.c", 0, "a.b.c", "", "", "" },
		{ "a.b.c;", EBADMSG, NULL, NULL, NULL, NULL },
		{ "a.b.c;=x", EBADMSG, NULL, NULL, NULL, NULL },
		{ "a.b.c;info=<u>;info=<v>", EBADMSG, NULL, NULL, NULL, NULL },
		{ "a.b.c;alg=ES256;alg=ES256", EBADMSG, NULL, NULL, NULL,
		    NULL },
		{ "a.b.c;info=<u", EBADMSG, NULL, NULL, NULL, NULL },
		{ "a.b.c;ppt=\"shaken", EBADMSG, NULL, NULL, NULL, NULL },
		{ "a.b.c;info=<u> x", EBADMSG, NULL, NULL, NULL, NULL },
		{ "\"a.b.c\";info=<u>", EBADMSG, NULL, NULL, NULL, NULL },
		{ ";info=<u>", EBADMSG, NULL, NULL, NULL, NULL },
		{ "a b.c;info=<u>", EBADMSG, NULL, NULL, NULL, NULL },
		{ "", EBADMSG, NULL, NULL, NULL, NULL },
	};
	struct stir_identity id;
	char big[STIR_IDENTITY_MAX + 2];
	size_t i;

#define CHECK_VIEW(v, want)                                                 \
	do {                                                                \
		if ((want) && !str_eq((v), str_make((want), strlen(want)))) \
			fail_msg(                                           \
			    "%s: %s is \"%.*s\"", t[i].in, #v, STR_FMT(v)); \
	} while (0)
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int err = stir_identity_parse(
		    &id, str_make(t[i].in, strlen(t[i].in)));

		if (err != t[i].err)
			fail_msg("%s: %d, want %d", t[i].in, err, t[i].err);
		if (err)
			continue;
		CHECK_VIEW(id.jws, t[i].jws);
		CHECK_VIEW(id.info, t[i].info);
		CHECK_VIEW(id.alg, t[i].alg);
		CHECK_VIEW(id.ppt, t[i].ppt);
	}
#undef CHECK_VIEW
	memset(big, 'a', sizeof(big));
	assert_int_equal(
	    stir_identity_parse(&id, str_make(big, sizeof(big))), EMSGSIZE);
}

/* ---- robustness ---------------------------------------------------------- */

static void
test_garbage_tokens(void **state)
{
	static const struct {
		const char *h, *p; /* JSON signed as is */
		unsigned code;
		const char *detail;
	} t[] = {
		/* RFC 8588 errata 6656: iat as a string */
		{ NULL,
		    "{\"attest\":\"A\",\"dest\":{\"tn\":[\"" CALLEE "\"]},"
		    "\"iat\":\"1443208345\",\"orig\":{\"tn\":\"" CALLER "\"},"
		    "\"origid\":\"" ORIGID "\"}",
		    438, "iat" },
		/* libstirshaken TV2: orig and dest as strings */
		{ NULL,
		    "{\"attest\":\"A\",\"dest\":\"" CALLEE "\",\"iat\":1,"
		    "\"orig\":{\"tn\":\"" CALLER "\"},\"origid\":\"x\"}",
		    438, "dest" },
		{ NULL,
		    "{\"attest\":\"A\",\"dest\":{\"tn\":[\"" CALLEE "\"]},"
		    "\"iat\":1,\"orig\":\"" CALLER "\",\"origid\":\"x\"}",
		    438, "orig" },
		{ NULL,
		    "{\"attest\":\"A\",\"dest\":{\"tn\":\"" CALLEE "\"},"
		    "\"iat\":1,\"orig\":{\"tn\":\"" CALLER
		    "\"},\"origid\":\"x\"}",
		    438, "dest" },
		{ NULL,
		    "{\"attest\":\"A\",\"dest\":{\"tn\":[34]},\"iat\":1,"
		    "\"orig\":{\"tn\":\"" CALLER "\"},\"origid\":\"x\"}",
		    438, "dest" },
		{ NULL,
		    "{\"attest\":\"A\",\"dest\":{\"tn\":[]},\"iat\":1,"
		    "\"orig\":{\"tn\":\"" CALLER "\"},\"origid\":\"x\"}",
		    438, "dest" },
		{ NULL,
		    "{\"attest\":\"A\",\"dest\":{\"uri\":[\"sip:a@b\"]},"
		    "\"iat\":1,\"orig\":{\"tn\":\"" CALLER
		    "\"},\"origid\":\"x\"}",
		    438, "dest" },
		{ NULL,
		    "{\"attest\":\"A\",\"dest\":{\"tn\":[\"" CALLEE "\"]},"
		    "\"iat\":1,\"orig\":{\"tn\":123},\"origid\":\"x\"}",
		    438, "orig" },
		{ NULL,
		    "{\"attest\":\"A\",\"dest\":{\"tn\":[\"" CALLEE "\"]},"
		    "\"iat\":1,\"orig\":{\"tn\":\"" CALLER "\"}}",
		    438, "origid" },
		{ NULL,
		    "{\"attest\":\"A\",\"dest\":{\"tn\":[\"" CALLEE "\"]},"
		    "\"iat\":null,\"orig\":{\"tn\":\"" CALLER "\"},"
		    "\"origid\":\"x\"}",
		    438, "iat" },
		{ NULL,
		    "{\"attest\":\"A\",\"attest\":\"B\",\"dest\":{\"tn\":["
		    "\"1\"]},"
		    "\"iat\":1,\"orig\":{\"tn\":\"1\"},\"origid\":\"x\"}",
		    438, "payload" },
		{ NULL, "[1,2,3]", 438, "payload" },
		{ NULL, "not json", 438, "payload" },
		{ NULL, "", 438, "compact" },
		{ "[]", NULL, 438, "header" },
		{ "{\"alg\":1,\"ppt\":\"shaken\",\"typ\":\"passport\","
		  "\"x5u\":\"" PRE "good.pem\"}",
		    NULL, 437, "alg" },
		{ "{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\","
		  "\"x5u\":5}",
		    NULL, 436, "x5u" },
		{ "{\"alg\":\"ES256\",\"ppt\":[\"shaken\"],\"typ\":"
		  "\"passport\","
		  "\"x5u\":\"" PRE "good.pem\"}",
		    NULL, 438, "ppt" },
		{ "{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\","
		  "\"x5u\":\"" PRE "good.pem\",\"x5u\":\"" PRE "other.pem\"}",
		    NULL, 438, "header" },
	};
	char id[STIR_IDENTITY_MAX], h[512], p[512];
	size_t i;
	int64_t now = time(NULL);

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct stir_result res;

		raw_identity(id, sizeof(id), NULL,
		    t[i].h ? t[i].h : header_json(h, sizeof(h), PRE "good.pem"),
		    t[i].p ?
			t[i].p :
			payload_json(p, sizeof(p), 'A', CALLER, CALLEE, now),
		    ";info=<" PRE "good.pem>");
		check1(id, CALLER, CALLEE, NULL, now, &res);
		if (res.code != t[i].code || !strstr(res.detail, t[i].detail))
			fail_msg("case %zu: %u %s, want %u %s", i, res.code,
			    res.detail, t[i].code, t[i].detail);
	}
}

static void
test_garbage_jws(void **state)
{
	static const char *const bad[] = { ".", "..", "...", "a", "a.b",
		"a.b.c.d", "!.b.c", "eyJ.eyJ.AAAA", "e.e.e", "eyJhIjoxfQ.e.e",
		"A.B.C;info=<" PRE "good.pem>",
		"====.====.====", "eyJhbGciOiJFUzI1NiJ9.e30.AAAA" };
	char big[6000], id[STIR_IDENTITY_MAX + 64];
	struct stir_result res;
	size_t i;
	int64_t now = time(NULL);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(id, sizeof(id), "%s;info=<" PRE "good.pem>", bad[i]);
		check1(id, CALLER, CALLEE, NULL, now, &res);
		if (res.code != 438 && res.code != 436)
			fail_msg("%s: %u %s", bad[i], res.code, res.detail);
	}
	/* a huge token */
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[2000] = '.';
	big[4000] = '.';
	check1(big, CALLER, CALLEE, NULL, now, &res);
	assert_int_equal(res.code, 438);
	assert_non_null(strstr(res.detail, "too long"));
}

/* Every truncation and many bit flips of a good identity: no crash. */
static void
test_mutations(void **state)
{
	char id[STIR_IDENTITY_MAX], m[STIR_IDENTITY_MAX];
	struct stir_result res;
	uint32_t rnd = 12345;
	size_t n, i;
	int k, passed = 0;
	int64_t now = time(NULL);

	identity(id, sizeof(id), PRE "good.pem", 'A', CALLER, CALLEE, now);
	n = strlen(id);
	for (i = 0; i <= n; i++) {
		memcpy(m, id, i);
		m[i] = '\0';
		check1(m, CALLER, CALLEE, NULL, now, &res);
		if (res.code == 200)
			passed++;
	}
	/* only cuts inside the trailing ";alg=...;ppt=shaken" still pass */
	assert_true(passed <= (int)strlen(";alg=ES256;ppt=shaken") + 1);
	for (k = 0; k < 3000; k++) {
		memcpy(m, id, n + 1);
		for (i = 0; i < 3; i++) {
			rnd = rnd * 1103515245u + 12345u;
			m[(rnd >> 8) % n] ^= (char)(1u << ((rnd >> 4) % 7));
		}
		check1(m, CALLER, CALLEE, NULL, now, &res);
		assert_true(res.code == 200 || res.code == 400 ||
		    res.code == 403 || (res.code >= 436 && res.code <= 438));
	}
}

static void
test_jws_check_sig_errors(void **state)
{
	char id[STIR_IDENTITY_MAX], *pem;
	size_t pl;

	identity(
	    id, sizeof(id), PRE "good.pem", 'A', CALLER, CALLEE, time(NULL));
	*strchr(id, ';') = '\0';
	pem = slurp("leaf-pub.pem", &pl);
	assert_non_null(pem);
	assert_int_equal(stir_jws_check_sig(STR("a.b"), pem, pl), EBADMSG);
	assert_int_equal(stir_jws_check_sig(STR("a.b.c"), pem, pl), EBADMSG);
	assert_int_equal(
	    stir_jws_check_sig(str_make(id, strlen(id)), "junk", 4), EINVAL);
	free(pem);
	pem = slurp("www/p384.pem", &pl);
	assert_int_equal(
	    stir_jws_check_sig(str_make(id, strlen(id)), pem, pl), EINVAL);
	free(pem);
}

static void
test_verifier_conf_errors(void **state)
{
	char root[512], crl[512], webca[512], bad[512], err[128];
	struct stir_verify_conf c;
	struct stir_verifier *v = NULL;

	stir_verify_conf_init(&c);
	assert_int_equal(stir_verifier_alloc(&v, &c, err, sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "roots"));
	conf_base(&c, root, crl, webca);
	path_of(bad, sizeof(bad), "nonexistent.pem");
	c.ca_file = bad;
	assert_int_equal(stir_verifier_alloc(&v, &c, err, sizeof(err)), ENOENT);
	conf_base(&c, root, crl, webca);
	c.crl_files[0] = root; /* a certificate, not a CRL */
	c.ncrl = 1;
	assert_int_equal(stir_verifier_alloc(&v, &c, err, sizeof(err)), EIO);
	assert_non_null(strstr(err, "CRL"));
	conf_base(&c, root, crl, webca);
	c.ports[0] = 0;
	assert_int_equal(stir_verifier_alloc(&v, &c, err, sizeof(err)), EINVAL);
	conf_base(&c, root, crl, webca);
	c.nports = 0;
	assert_int_equal(stir_verifier_alloc(&v, &c, err, sizeof(err)), EINVAL);
	conf_base(&c, root, crl, webca);
	c.freshness = 0;
	assert_int_equal(stir_verifier_alloc(&v, &c, err, sizeof(err)), EINVAL);
	assert_null(v);
	/* a directory of roots works too */
	conf_base(&c, root, crl, webca);
	c.ca_file = NULL;
	c.ca_dir = fx.dir;
	assert_int_equal(stir_verifier_alloc(&v, &c, err, sizeof(err)), 0);
	stir_verifier_free(v);
}

/* ---- threads ------------------------------------------------------------- */

struct worker {
	pthread_t th;
	const char *url;
	int ok, pended;
};

/* One worker thread: its own loop; the verifier and signer are shared. */
static void *
worker_main(void *arg)
{
	struct worker *wk = arg;
	struct str dest = STR(CALLEE), s;
	struct stir_claims c = { .attest = 'A',
		.orig_tn = STR(CALLER),
		.dest_tn = &dest,
		.ndest = 1 };
	char id[STIR_IDENTITY_MAX];
	struct waiter w = { .want = 1 };
	struct stir_request rq;
	struct stir_result res;
	struct loop_timer t;
	struct stir_loop *sl, *sl2;
	struct loop *l;
	int i, err;
	int64_t now = time(NULL);

	if (loop_alloc(&l) || stir_loop_alloc(&sl, fx.vnet, l) ||
	    stir_loop_alloc(&sl2, fx.v, l))
		return NULL;
	w.l = l;
	memset(&t, 0, sizeof(t));
	identity(id, sizeof(id), wk->url, 'A', CALLER, CALLEE, now);
	s = str_make(id, strlen(id));
	request(&rq, &s, 1, CALLER, CALLEE, NULL, now);
	err = stir_verify(sl, &rq, &res, on_done, &w);
	if (err == EINPROGRESS) {
		wk->pended = 1;
		loop_timer_start(l, &t, 15000, on_timeout, &w);
		loop_run(l);
		loop_timer_cancel(l, &t);
		err = stir_verify(sl, &rq, &res, on_done, &w);
	}
	if (err == 0 && res.code == 200)
		wk->ok++;
	c.iat = now;
	for (i = 0; i < 200; i++) {
		if (stir_sign(fx.signer, &c, id, sizeof(id), NULL) != 0)
			break;
		/* the signer's x5u is pre-loaded in fx.v */
		s = str_make(id, strlen(id));
		if (stir_verify(sl2, &rq, &res, never, NULL) == 0 &&
		    res.code == 200)
			wk->ok++;
	}
	stir_loop_free(sl2);
	stir_loop_free(sl);
	loop_free(l);
	return NULL;
}

static void
test_threads(void **state)
{
	struct worker wk[3];
	char url[256];
	long n0;
	int i;

	url_on_server(url, sizeof(url), "/ma/604/good.pem");
	n0 = server_count();
	for (i = 0; i < 3; i++) {
		memset(&wk[i], 0, sizeof(wk[i]));
		wk[i].url = url;
		assert_int_equal(
		    pthread_create(&wk[i].th, NULL, worker_main, &wk[i]), 0);
	}
	for (i = 0; i < 3; i++) {
		pthread_join(wk[i].th, NULL);
		assert_int_equal(wk[i].ok, 201);
	}
	assert_int_equal(server_count(), n0 + 1);
	assert_true(wk[0].pended + wk[1].pended + wk[2].pended >= 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pass),
		cmocka_unit_test(test_428_no_identity),
		cmocka_unit_test(test_436_no_info),
		cmocka_unit_test(test_436_header_fields),
		cmocka_unit_test(test_436_x5u_not_info),
		cmocka_unit_test(test_437_alg_typ),
		cmocka_unit_test(test_437_expired),
		cmocka_unit_test(test_437_not_yet_valid),
		cmocka_unit_test(test_437_chain),
		cmocka_unit_test(test_437_revoked),
		cmocka_unit_test(test_437_key),
		cmocka_unit_test(test_438_header_params),
		cmocka_unit_test(test_438_ppt),
		cmocka_unit_test(test_438_attest),
		cmocka_unit_test(test_438_orig),
		cmocka_unit_test(test_438_dest),
		cmocka_unit_test(test_438_signature),
		cmocka_unit_test(test_438_tnauthlist),
		cmocka_unit_test(test_438_cn),
		cmocka_unit_test(test_403_date),
		cmocka_unit_test(test_403_iat),
		cmocka_unit_test(test_400_from_and_date),
		cmocka_unit_test(test_man_strict_params),
		cmocka_unit_test(test_multiple_identities),
		cmocka_unit_test(test_compact_form),
		cmocka_unit_test(test_x5u_rules),
		cmocka_unit_test(test_x5u_rules_in_verify),
		cmocka_unit_test(test_special_addresses),
		cmocka_unit_test(test_fetch_and_cache),
		cmocka_unit_test(test_fetch_shared),
		cmocka_unit_test(test_fetch_cancel),
		cmocka_unit_test(test_ssrf_connect_time),
		cmocka_unit_test(test_negative_cache),
		cmocka_unit_test(test_fetch_timeout),
		cmocka_unit_test(test_cache_lifetimes),
		cmocka_unit_test(test_cache_bounded),
		cmocka_unit_test(test_sign_canonical),
		cmocka_unit_test(test_sign_origid_and_verify),
		cmocka_unit_test(test_sign_errors),
		cmocka_unit_test(test_date_fmt),
		cmocka_unit_test(test_sign_speed),
		cmocka_unit_test(test_secsipidx_verifies_ours),
		cmocka_unit_test(test_ours_verifies_secsipidx),
		cmocka_unit_test(test_rfc8225_tv4),
		cmocka_unit_test(test_tnauthlist_der),
		cmocka_unit_test(test_identity_parse),
		cmocka_unit_test(test_garbage_tokens),
		cmocka_unit_test(test_garbage_jws),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_jws_check_sig_errors),
		cmocka_unit_test(test_verifier_conf_errors),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * callerid/stir.c -- the STIR/SHAKEN verification service: the verifier
 * (roots, CRLs, configuration) and stir_verify(), which runs the checks
 * of in the order of ATIS-1000074:
 *
 *   From (400) - Identity present (428) - Date (400, 403) - per Identity
 *   value: header syntax and info (436/438), alg/ppt params (437/438),
 *   PASSporT header and claims (436/437/438), x5u == info (436), orig
 *   and dest against the request (438), iat freshness (403), x5u rules
 *   (436), certificate from the cache or a fetch (436/437/438), the
 *   leaf valid at Date (437), the ES256 signature (438).
 *
 * Everything that needs no certificate comes first, so that a forged or
 * stale token never causes a fetch.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "callerid/stir_int.h"

/* Longest Date header value looked at. */
#define DATE_MAX 64

const char *
stir_verstat_str(enum stir_verstat vs)
{
	switch (vs) {
	case STIR_VERSTAT_PASSED:
		return "TN-Validation-Passed";
	case STIR_VERSTAT_FAILED:
		return "TN-Validation-Failed";
	default:
		return "No-TN-Validation";
	}
}

const char *
stir_phrase(unsigned code)
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
	default:
		return "Error";
	}
}

void
stir_result_set(struct stir_result *res, unsigned code, const char *fmt, ...)
{
	va_list ap;

	res->code = code;
	res->phrase = stir_phrase(code);
	if (code == 200)
		res->verstat = STIR_VERSTAT_PASSED;
	else if (code == 428 || code == 400)
		res->verstat = STIR_VERSTAT_NONE;
	else
		res->verstat = STIR_VERSTAT_FAILED;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
}

static void
result_init(struct stir_result *res)
{
	memset(res, 0, sizeof(*res));
	res->index = -1;
}

/* ---- the verifier ---------------------------------------------------- */

void
stir_verify_conf_init(struct stir_verify_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->freshness = 60;
	c->ports[0] = 443;
	c->ports[1] = 8443;
	c->nports = 2;
	c->fetch_timeout_ms = 5000;
	c->fetch_max_bytes = 65536;
	c->fetch_parallel = 16;
	c->cache_max = 1024;
	c->cache_max_ttl = 86400;
	c->cache_min_ttl = 10;
	c->negative_ttl = 60;
}

static int conf_err(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
conf_err(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static int
conf_check(const struct stir_verify_conf *c, char *err, size_t errlen)
{
	unsigned i;

	if (!c->ca_file && !c->ca_dir)
		return conf_err(err, errlen, EINVAL, "no STI-CA roots");
	if (c->nports == 0 || c->nports > STIR_PORTS_MAX)
		return conf_err(err, errlen, EINVAL, "x5u port list empty");
	for (i = 0; i < c->nports; i++)
		if (c->ports[i] == 0)
			return conf_err(err, errlen, EINVAL, "x5u port 0");
	if (c->ncrl > STIR_CRL_MAX || c->nfetch_allow > STIR_ALLOW_MAX)
		return conf_err(err, errlen, EINVAL, "too many CRLs or ranges");
	if (c->freshness == 0 || c->freshness > 86400)
		return conf_err(
		    err, errlen, EINVAL, "freshness must be 1..86400 s");
	if (c->fetch_timeout_ms < 100 || c->fetch_timeout_ms > 60000)
		return conf_err(
		    err, errlen, EINVAL, "fetch timeout must be 100..60000 ms");
	if (c->fetch_max_bytes < 1024 || c->fetch_max_bytes > (1u << 24))
		return conf_err(err, errlen, EINVAL,
		    "fetch size limit must be 1 KB..16 MB");
	if (c->fetch_parallel == 0 || c->cache_max == 0 ||
	    c->cache_max > (1u << 22))
		return conf_err(err, errlen, EINVAL,
		    "fetch_parallel and cache_max must be positive");
	if (c->cache_max_ttl == 0 || c->cache_min_ttl > c->cache_max_ttl ||
	    c->negative_ttl == 0)
		return conf_err(err, errlen, EINVAL, "bad cache lifetimes");
	return 0;
}

static int
dup_str(const char *s, char **copy, const char **conf)
{
	if (!s)
		return 0;
	*copy = strdup(s);
	if (!*copy)
		return ENOMEM;
	*conf = *copy;
	return 0;
}

static int
load_crls(X509_STORE *st, const char *path, char *err, size_t errlen)
{
	X509_CRL *crl;
	BIO *b;
	int n = 0, rc = 0;

	b = BIO_new_file(path, "r");
	if (!b)
		return conf_err(
		    err, errlen, ENOENT, "cannot read CRL %s", path);
	while ((crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_crl(st, crl) != 1)
			rc = EIO;
		X509_CRL_free(crl);
		n++;
	}
	BIO_free(b);
	ERR_clear_error();
	if (rc || n == 0)
		return conf_err(err, errlen, EIO, "no usable CRL in %s", path);
	return 0;
}

static int
load_roots(struct stir_verifier *v, char *err, size_t errlen)
{
	const struct stir_verify_conf *c = &v->v_conf;
	unsigned i;
	int rc;

	v->v_roots = X509_STORE_new();
	if (!v->v_roots)
		return ENOMEM;
	if (c->ca_file && X509_STORE_load_file(v->v_roots, c->ca_file) != 1) {
		ERR_clear_error();
		return conf_err(err, errlen, ENOENT,
		    "cannot load STI-CA roots from %s", c->ca_file);
	}
	if (c->ca_dir && X509_STORE_load_path(v->v_roots, c->ca_dir) != 1) {
		ERR_clear_error();
		return conf_err(err, errlen, ENOENT,
		    "cannot use STI-CA directory %s", c->ca_dir);
	}
	for (i = 0; i < c->ncrl; i++) {
		rc = load_crls(v->v_roots, c->crl_files[i], err, errlen);
		if (rc)
			return rc;
	}
	if (c->ncrl)
		X509_STORE_set_flags(v->v_roots, X509_V_FLAG_CRL_CHECK);
	return 0;
}

int
stir_verifier_alloc(struct stir_verifier **vp, const struct stir_verify_conf *c,
    char *err, size_t errlen)
{
	struct stir_verifier *v;
	bool mu = false;
	unsigned i;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!vp || !c)
		return EINVAL;
	rc = conf_check(c, err, errlen);
	if (rc)
		return rc;
	v = calloc(1, sizeof(*v));
	if (!v)
		return ENOMEM;
	v->v_conf = *c;
	rc = dup_str(c->ca_file, &v->v_ca_file, &v->v_conf.ca_file);
	if (!rc)
		rc = dup_str(c->ca_dir, &v->v_ca_dir, &v->v_conf.ca_dir);
	if (!rc)
		rc = dup_str(
		    c->https_ca_file, &v->v_https_ca, &v->v_conf.https_ca_file);
	for (i = 0; !rc && i < c->ncrl; i++) {
		if (!c->crl_files[i])
			rc = conf_err(err, errlen, EINVAL, "CRL %u unset", i);
		else
			rc = dup_str(c->crl_files[i], &v->v_crl[i],
			    &v->v_conf.crl_files[i]);
	}
	if (rc)
		goto out;
	rc = pthread_mutex_init(&v->v_mu, NULL);
	if (rc)
		goto out;
	mu = true;
	rc = load_roots(v, err, errlen);
	if (!rc)
		rc = stir_cache_init(v);
	if (!rc)
		rc = stir_fetch_start(v);
	if (rc == ENOMEM && err && errlen && !err[0])
		snprintf(err, errlen, "out of memory");
out:
	if (rc) {
		if (!mu)
			pthread_mutex_init(&v->v_mu, NULL);
		stir_verifier_free(v);
	} else {
		*vp = v;
	}
	return rc;
}

void
stir_verifier_free(struct stir_verifier *v)
{
	unsigned i;

	if (!v)
		return;
	stir_fetch_stop(v);
	stir_cache_fini(v);
	X509_STORE_free(v->v_roots);
	pthread_mutex_destroy(&v->v_mu);
	free(v->v_ca_file);
	free(v->v_ca_dir);
	free(v->v_https_ca);
	for (i = 0; i < STIR_CRL_MAX; i++)
		free(v->v_crl[i]);
	free(v);
}

void
stir_stats_get(struct stir_verifier *v, struct stir_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->verified = atomic_load(&v->v_verified);
	st->passed = atomic_load(&v->v_passed);
	st->hits = atomic_load(&v->v_hits);
	st->negative_hits = atomic_load(&v->v_neg_hits);
	st->misses = atomic_load(&v->v_misses);
	st->fetches = atomic_load(&v->v_fetches);
	st->fetch_failures = atomic_load(&v->v_fetch_fail);
	st->refused_addr = atomic_load(&v->v_refused);
	pthread_mutex_lock(&v->v_mu);
	st->entries = v->v_count;
	pthread_mutex_unlock(&v->v_mu);
}

/* ---- verification ---------------------------------------------------- */

/* A telephone number without spaces around or a leading '+'. */
static struct str
tn_norm(struct str t)
{
	t = str_trim(t);
	if (t.len && t.s[0] == '+')
		t = str_skip(t, 1);
	return t;
}

/* A calling number we can compare: 1..32 digits after one '+'. */
static bool
tn_valid(struct str t)
{
	size_t i;

	t = tn_norm(t);
	if (t.len == 0 || t.len >= STIR_TN_MAX)
		return false;
	for (i = 0; i < t.len; i++)
		if (t.s[i] < '0' || t.s[i] > '9')
			return false;
	return true;
}

static bool
tn_eq(const char *token_tn, struct str req_tn)
{
	return str_eq(
	    tn_norm(str_make(token_tn, strlen(token_tn))), tn_norm(req_tn));
}

static bool
fresh(int64_t t, int64_t now, unsigned window)
{
	return t >= now - (int64_t)window && t <= now + (int64_t)window;
}

/*
 * Verify one Identity value. Returns 0 with *res set, EINPROGRESS or
 * ENOMEM. "date" is the Date header time, or -1 when absent.
 */
static int
verify_one(struct stir_loop *sl, const struct stir_request *rq,
    struct str value, int64_t date, struct stir_result *res, stir_done_h *done,
    void *arg)
{
	struct stir_verifier *v = sl->sl_v;
	const struct stir_verify_conf *c = &v->v_conf;
	struct stir_identity id;
	struct stir_passport pp;
	struct stir_certinfo ci;
	char why[STIR_DETAIL_MAX];
	int64_t at;
	unsigned i;
	int err;

	err = stir_identity_parse(&id, value);
	if (err) {
		stir_result_set(res, 438, "%s",
		    err == EMSGSIZE ? "Identity header too long" :
				      "malformed Identity header");
		return 0;
	}
	if (id.info.len == 0) {
		stir_result_set(res, 436, "Identity has no info parameter");
		return 0;
	}
	if (c->strict_params && id.nother) {
		stir_result_set(res, 438, "more than 4 Identity parameters");
		return 0;
	}
	if (c->strict_params && id.alg.len == 0) {
		stir_result_set(res, 437, "Identity has no alg parameter");
		return 0;
	}
	if (id.alg.len && !str_eq(id.alg, STR("ES256"))) {
		stir_result_set(res, 437, "Identity alg is not ES256");
		return 0;
	}
	if (c->strict_params && id.ppt.len == 0) {
		stir_result_set(res, 438, "Identity has no ppt parameter");
		return 0;
	}
	if (id.ppt.len && !str_eq(id.ppt, STR("shaken"))) {
		stir_result_set(res, 438, "Identity ppt is not shaken");
		return 0;
	}
	if (stir_passport_decode(&pp, id.jws, res) != 0)
		return 0;
	if (!str_eq(str_make(pp.x5u, strlen(pp.x5u)), id.info)) {
		stir_result_set(res, 436, "x5u differs from info");
		return 0;
	}
	if (!tn_eq(pp.orig_tn, rq->calling_tn)) {
		stir_result_set(
		    res, 438, "orig.tn differs from the calling number");
		return 0;
	}
	for (i = 0; i < pp.ndest; i++)
		if (tn_eq(pp.dest_tn[i], rq->called_tn))
			break;
	if (i == pp.ndest) {
		stir_result_set(res, 438, "dest.tn lacks the called number");
		return 0;
	}
	if (!fresh(pp.iat, rq->now, c->freshness)) {
		stir_result_set(res, 403, "iat outside the freshness window");
		return 0;
	}
	if (stir_x5u_check(v, id.info, why, sizeof(why)) != 0) {
		stir_result_set(res, 436, "%s", why);
		return 0;
	}
	err = stir_cache_lookup(v, pp.x5u, rq->now, sl, done, arg, &ci);
	if (err == ENOSPC) {
		stir_result_set(res, 436, "certificate cache full");
		return 0;
	}
	if (err)
		return err;
	snprintf(res->spc, sizeof(res->spc), "%s", ci.spc);
	if (ci.code) {
		stir_result_set(res, ci.code, "%s", ci.detail);
		goto out;
	}
	at = date >= 0 ? date : rq->now;
	if (at < ci.not_before) {
		stir_result_set(res, 437, "certificate not yet valid");
		goto out;
	}
	if (at > ci.not_after) {
		stir_result_set(res, 437, "certificate expired");
		goto out;
	}
	err = stir_es256_verify(X509_get0_pubkey(ci.leaf), pp.signed_part.s,
	    pp.signed_part.len, pp.sig);
	if (err == ENOMEM)
		goto out;
	if (err)
		stir_result_set(res, 438, "signature does not verify");
	else
		stir_result_set(
		    res, 200, "verified, attestation %c", pp.attest);
	err = 0;
out:
	stir_certinfo_clear(&ci);
	return err;
}

static bool
has_identity(const struct stir_request *rq)
{
	size_t i;

	for (i = 0; i < rq->nidentity; i++)
		if (str_trim(rq->identity[i]).len)
			return true;
	return false;
}

int
stir_verify(struct stir_loop *sl, const struct stir_request *rq,
    struct stir_result *res, stir_done_h *done, void *arg)
{
	struct stir_verifier *v;
	struct stir_result one, first;
	char dbuf[DATE_MAX];
	int64_t date = -1;
	size_t i;
	int err;

	if (!sl || !rq || !res || !done || (rq->nidentity && !rq->identity))
		return EINVAL;
	v = sl->sl_v;
	result_init(res);
	if (!tn_valid(rq->calling_tn)) {
		stir_result_set(res, 400, "malformed From");
		goto done;
	}
	if (!has_identity(rq)) {
		stir_result_set(res, 428, "no Identity header");
		goto done;
	}
	if (rq->date.len) {
		time_t t;

		if (str_copy_cstr(str_trim(rq->date), dbuf, sizeof(dbuf)) !=
			0 ||
		    (t = curl_getdate(dbuf, NULL)) == -1) {
			stir_result_set(res, 400, "malformed Date");
			goto done;
		}
		date = (int64_t)t;
		if (!fresh(date, rq->now, v->v_conf.freshness)) {
			stir_result_set(
			    res, 403, "Date outside the freshness window");
			goto done;
		}
	}
	result_init(&first);
	for (i = 0; i < rq->nidentity; i++) {
		if (str_trim(rq->identity[i]).len == 0)
			continue;
		result_init(&one);
		one.index = (int)i;
		err =
		    verify_one(sl, rq, rq->identity[i], date, &one, done, arg);
		if (err)
			return err;
		if (one.code == 200) {
			*res = one;
			goto done;
		}
		if (first.code == 0)
			first = one;
	}
	*res = first;
done:
	atomic_fetch_add(&v->v_verified, 1);
	if (res->code == 200)
		atomic_fetch_add(&v->v_passed, 1);
	return 0;
}

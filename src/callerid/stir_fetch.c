/*
 * callerid/stir_fetch.c -- the certificate fetch thread of a verifier:
 * one curl multi handle, every x5u GET of every worker, so that no
 * worker loop ever resolves a name, connects or checks a chain.
 *
 * Each transfer: https only, no redirect, no proxy (not even from the
 * environment), at most conf.fetch_max_bytes within
 * conf.fetch_timeout_ms, TLS checked against conf.https_ca_file (or the
 * system's CAs). CURLOPT_OPENSOCKETFUNCTION sees every address curl is
 * about to connect to, after its own resolution: a special-purpose
 * address outside conf.fetch_allow gets no socket (the SSRF guard).
 *
 * A finished transfer is checked (stir_cert_check(), at the "now" of the
 * request that started it) and its result goes into the cache for the
 * HTTP lifetime, bounded as stir.h says; failures for negative_ttl.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "callerid/stir_int.h"

struct stir_job {
	TAILQ_ENTRY(stir_job) j_link;
	struct stir_verifier *j_v;
	struct stir_centry *j_ce;
	char *j_url;
	int64_t j_now;
	CURL *j_easy;
	char *j_body;
	size_t j_len, j_cap;
	bool j_big, j_refused;
	char j_refused_addr[SA_STRLEN];
	char j_err[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void
curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void
job_free(struct stir_job *j)
{
	if (!j)
		return;
	if (j->j_easy)
		curl_easy_cleanup(j->j_easy);
	free(j->j_body);
	free(j->j_url);
	free(j);
}

int
stir_fetch_submit(struct stir_verifier *v, struct stir_centry *ce, int64_t now)
{
	struct stir_job *j;

	j = calloc(1, sizeof(*j));
	if (!j)
		return ENOMEM;
	j->j_url = strdup(ce->ce_url);
	if (!j->j_url) {
		free(j);
		return ENOMEM;
	}
	j->j_v = v;
	j->j_ce = ce;
	j->j_now = now;
	TAILQ_INSERT_TAIL(&v->v_jobs, j, j_link);
	atomic_fetch_add(&v->v_fetches, 1);
	return 0;
}

void
stir_fetch_kick(struct stir_verifier *v)
{
	curl_multi_wakeup(v->v_multi);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct stir_job *j = arg;
	size_t max = j->j_v->v_conf.fetch_max_bytes, k = size * n;
	char *nb;

	if (k > max - j->j_len) {
		j->j_big = true;
		return 0;
	}
	if (j->j_len + k > j->j_cap) {
		size_t cap = j->j_cap ? j->j_cap : 4096;

		while (cap < j->j_len + k)
			cap *= 2;
		if (cap > max)
			cap = max;
		nb = realloc(j->j_body, cap);
		if (!nb)
			return 0;
		j->j_body = nb;
		j->j_cap = cap;
	}
	memcpy(j->j_body + j->j_len, p, k);
	j->j_len += k;
	return k;
}

/* The SSRF guard: the address curl is about to connect to. */
static curl_socket_t
on_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct stir_job *j = arg;
	struct sa sa;
	int fd;

	if (purpose != CURLSOCKTYPE_IPCXN ||
	    (a->family != AF_INET && a->family != AF_INET6) ||
	    a->addrlen > sizeof(sa.u))
		return CURL_SOCKET_BAD;
	memset(&sa, 0, sizeof(sa));
	memcpy(&sa.u, &a->addr, a->addrlen);
	sa.len = (socklen_t)a->addrlen;
	if (!stir_addr_allowed(&j->j_v->v_conf, &sa)) {
		j->j_refused = true;
		sa_ntop(&sa, j->j_refused_addr, sizeof(j->j_refused_addr));
		atomic_fetch_add(&j->j_v->v_refused, 1);
		return CURL_SOCKET_BAD;
	}
	fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	return fd < 0 ? CURL_SOCKET_BAD : fd;
}

static int
job_setup(struct stir_verifier *v, struct stir_job *j)
{
	const struct stir_verify_conf *c = &v->v_conf;
	CURLcode cc = CURLE_OK;
	CURL *e;

	e = curl_easy_init();
	if (!e)
		return ENOMEM;
	j->j_easy = e;
#define SETOPT(o, val)                                    \
	do {                                              \
		if (cc == CURLE_OK)                       \
			cc = curl_easy_setopt(e, o, val); \
	} while (0)
	SETOPT(CURLOPT_URL, j->j_url);
	SETOPT(CURLOPT_PRIVATE, j);
	SETOPT(CURLOPT_PROTOCOLS_STR, "https");
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_PROXY, "");
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_TIMEOUT_MS, (long)c->fetch_timeout_ms);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long)c->fetch_timeout_ms);
	SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->fetch_max_bytes);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, j);
	SETOPT(CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	SETOPT(CURLOPT_OPENSOCKETDATA, j);
	SETOPT(CURLOPT_ERRORBUFFER, j->j_err);
	SETOPT(CURLOPT_USERAGENT, "centinela-stir");
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->https_ca_file)
		SETOPT(CURLOPT_CAINFO, c->https_ca_file);
#undef SETOPT
	if (cc != CURLE_OK)
		return EINVAL;
	if (curl_multi_add_handle(v->v_multi, e) != CURLM_OK)
		return ENOMEM;
	return 0;
}

/* Cache-Control lifetime in *ttl; false when the answer sets none. */
static bool
cache_control(CURL *e, int64_t *ttl)
{
	struct curl_header *h;
	bool found = false, shared = false;
	size_t i, amount = 1;

	for (i = 0; i < amount; i++) {
		struct str v, d, rest;

		if (curl_easy_header(e, "Cache-Control", i, CURLH_HEADER, -1,
			&h) != CURLHE_OK)
			break;
		amount = h->amount;
		for (v = str_make(h->value, strlen(h->value)); v.len;
		     v = rest) {
			uint64_t n;
			struct str name, val;

			str_split(v, ',', &d, &rest);
			d = str_trim(d);
			if (str_eq_nocase(d, STR("no-store")) ||
			    str_eq_nocase(d, STR("no-cache"))) {
				*ttl = 0;
				return true;
			}
			if (!str_split(d, '=', &name, &val))
				continue;
			name = str_trim(name);
			val = str_trim(val);
			if (val.len >= 2 && val.s[0] == '"' &&
			    val.s[val.len - 1] == '"')
				val = str_sub(val, 1, val.len - 2);
			if (str_to_u64(val, &n) != 0)
				continue;
			if (n > INT32_MAX)
				n = INT32_MAX;
			/* s-maxage is for shared caches, as this one is */
			if (str_eq_nocase(name, STR("s-maxage"))) {
				*ttl = (int64_t)n;
				found = shared = true;
			} else if (str_eq_nocase(name, STR("max-age")) &&
			    !shared) {
				*ttl = (int64_t)n;
				found = true;
			}
		}
	}
	return found;
}

/* Expires lifetime (against the answer's Date, else "now"). */
static bool
expires(CURL *e, int64_t now, int64_t *ttl)
{
	struct curl_header *h;
	time_t exp, date;

	if (curl_easy_header(e, "Expires", 0, CURLH_HEADER, -1, &h) !=
	    CURLHE_OK)
		return false;
	exp = curl_getdate(h->value, NULL);
	if (curl_easy_header(e, "Date", 0, CURLH_HEADER, -1, &h) == CURLHE_OK &&
	    (date = curl_getdate(h->value, NULL)) != -1)
		now = (int64_t)date;
	/* an invalid Expires means "already expired" (RFC 9111 5.3) */
	*ttl = exp == -1 || (int64_t)exp < now ? 0 : (int64_t)exp - now;
	return true;
}

static int64_t
lifetime(const struct stir_verify_conf *c, struct stir_job *j,
    const struct stir_certinfo *ci)
{
	int64_t ttl = c->cache_max_ttl, t;

	if (ci->code)
		return c->negative_ttl;
	if (cache_control(j->j_easy, &t) || expires(j->j_easy, j->j_now, &t))
		ttl = t < ttl ? t : ttl;
	if (ci->not_after <= j->j_now)
		ttl = c->negative_ttl;
	else if (ci->not_after - j->j_now < ttl)
		ttl = ci->not_after - j->j_now;
	if (ttl < (int64_t)c->cache_min_ttl)
		ttl = c->cache_min_ttl;
	return ttl;
}

static void fail(struct stir_certinfo *ci, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail(struct stir_certinfo *ci, const char *fmt, ...)
{
	va_list ap;

	memset(ci, 0, sizeof(*ci));
	ci->code = 436;
	va_start(ap, fmt);
	vsnprintf(ci->detail, sizeof(ci->detail), fmt, ap);
	va_end(ap);
}

static void
job_done(struct stir_verifier *v, struct stir_job *j, CURLcode cc)
{
	const struct stir_verify_conf *c = &v->v_conf;
	struct stir_certinfo ci;
	long status = 0;

	if (cc == CURLE_OK)
		curl_easy_getinfo(j->j_easy, CURLINFO_RESPONSE_CODE, &status);
	if (j->j_refused && cc != CURLE_OK)
		fail(&ci, "x5u address %s not allowed", j->j_refused_addr);
	else if (j->j_big || cc == CURLE_FILESIZE_EXCEEDED)
		fail(&ci, "x5u larger than %zu bytes", c->fetch_max_bytes);
	else if (cc == CURLE_OPERATION_TIMEDOUT)
		fail(&ci, "x5u fetch timed out");
	else if (cc != CURLE_OK)
		fail(&ci, "x5u fetch: %s",
		    j->j_err[0] ? j->j_err : curl_easy_strerror(cc));
	else if (status != 200)
		fail(&ci, "x5u answered HTTP %ld", status);
	else
		stir_cert_check(v->v_roots, j->j_body ? j->j_body : "",
		    j->j_len, j->j_now, c->cn_lax, &ci);
	if (ci.code == 436)
		atomic_fetch_add(&v->v_fetch_fail, 1);
	stir_cache_complete(v, j->j_ce, &ci, j->j_now + lifetime(c, j, &ci));
	stir_certinfo_clear(&ci);
}

static void *
fetch_main(void *arg)
{
	struct stir_verifier *v = arg;
	struct stir_jobq run, q;
	struct stir_job *j;
	CURLMsg *m;
	int running, left;
	bool stop;

	TAILQ_INIT(&run);
	for (;;) {
		TAILQ_INIT(&q);
		pthread_mutex_lock(&v->v_mu);
		stop = v->v_stop;
		TAILQ_CONCAT(&q, &v->v_jobs, j_link);
		pthread_mutex_unlock(&v->v_mu);
		if (stop) {
			TAILQ_CONCAT(&run, &q, j_link);
			break;
		}
		while ((j = TAILQ_FIRST(&q)) != NULL) {
			TAILQ_REMOVE(&q, j, j_link);
			if (job_setup(v, j) != 0) {
				job_done(v, j, CURLE_FAILED_INIT);
				job_free(j);
				continue;
			}
			TAILQ_INSERT_TAIL(&run, j, j_link);
		}
		curl_multi_perform(v->v_multi, &running);
		while ((m = curl_multi_info_read(v->v_multi, &left)) != NULL) {
			char *p = NULL;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
			j = (struct stir_job *)p;
			job_done(v, j, m->data.result);
			curl_multi_remove_handle(v->v_multi, j->j_easy);
			TAILQ_REMOVE(&run, j, j_link);
			job_free(j);
		}
		curl_multi_poll(v->v_multi, NULL, 0, 1000, NULL);
	}
	while ((j = TAILQ_FIRST(&run)) != NULL) {
		TAILQ_REMOVE(&run, j, j_link);
		if (j->j_easy)
			curl_multi_remove_handle(v->v_multi, j->j_easy);
		job_free(j);
	}
	return NULL;
}

int
stir_fetch_start(struct stir_verifier *v)
{
	long par = (long)v->v_conf.fetch_parallel;
	int err;

	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK)
		return EIO;
	TAILQ_INIT(&v->v_jobs);
	v->v_multi = curl_multi_init();
	if (!v->v_multi)
		return ENOMEM;
	curl_multi_setopt(v->v_multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, par);
	curl_multi_setopt(v->v_multi, CURLMOPT_MAXCONNECTS, par);
	err = pthread_create(&v->v_thread, NULL, fetch_main, v);
	if (err) {
		curl_multi_cleanup(v->v_multi);
		v->v_multi = NULL;
		return err;
	}
	v->v_thread_on = true;
	return 0;
}

void
stir_fetch_stop(struct stir_verifier *v)
{
	struct stir_job *j;

	if (v->v_thread_on) {
		pthread_mutex_lock(&v->v_mu);
		v->v_stop = true;
		pthread_mutex_unlock(&v->v_mu);
		curl_multi_wakeup(v->v_multi);
		pthread_join(v->v_thread, NULL);
		v->v_thread_on = false;
	}
	/* submitted after the thread left (none in a sane shutdown) */
	while ((j = TAILQ_FIRST(&v->v_jobs)) != NULL) {
		TAILQ_REMOVE(&v->v_jobs, j, j_link);
		job_free(j);
	}
	if (v->v_multi)
		curl_multi_cleanup(v->v_multi);
	v->v_multi = NULL;
}

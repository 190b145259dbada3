/*
 * auth/auth.c -- the digest check on the loop, and the account loader
 * thread that keeps the in-memory table in step with the store.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "admin/metrics.h"
#include "auth/auth.h"
#include "auth/digest.h"
#include "core/event.h"
#include "core/evp.h"
#include "core/log.h"

struct auth {
	struct loop *au_loop;
	const struct cfg *au_cfg;
	struct digest_key au_key; /* the nonces' MAC */
	struct digest_key au_tkey; /* the dialog tokens' MAC */
	struct digest_nc *au_nc;
	struct acct_table *au_table;
	enum digest_alg au_algs[2];
	unsigned au_nalgs;
	char au_dummy[DIGEST_ALG_COUNT][CRED_HEX_MAX + 1];

	/* loader thread */
	pthread_t au_thread;
	bool au_thread_up;
	int au_efd;
	pthread_mutex_t au_mu;
	pthread_cond_t au_cv;
	bool au_stop;
	struct acct_table *au_pending; /* built, not yet swapped in */
	char au_uri[CFG_PATH_MAX];
	unsigned au_poll_ms;
};

/* ---- loader ------------------------------------------------------- */

static struct acct_table *
load_table(struct store *s)
{
	struct acct_table *t;
	char err[256];

	if (acct_table_build(&t, s, err, sizeof(err))) {
		log_error("accounts: cannot load: %s (keeping the previous "
			  "table)",
		    err);
		return NULL;
	}
	return t;
}

static void *
loader_main(void *arg)
{
	struct auth *a = arg;
	struct store *s = NULL;
	int64_t seen = -1, gen;
	char err[256];
	bool warned = false;

	pthread_mutex_lock(&a->au_mu);
	while (!a->au_stop) {
		struct timespec ts;

		pthread_mutex_unlock(&a->au_mu);
		if (!s && store_open(&s, a->au_uri, err, sizeof(err))) {
			if (!warned)
				log_error("accounts: %s", err);
			warned = true;
			s = NULL;
		}
		if (s && store_generation(s, &gen) == 0 && gen != seen) {
			struct acct_table *t = load_table(s);

			if (t) {
				uint64_t one = 1;

				seen = gen;
				pthread_mutex_lock(&a->au_mu);
				acct_table_free(a->au_pending);
				a->au_pending = t;
				pthread_mutex_unlock(&a->au_mu);
				if (write(a->au_efd, &one, sizeof(one)) < 0)
					log_warn("accounts: eventfd: %s",
					    strerror(errno));
			}
		} else if (s && store_generation(s, &gen) != 0) {
			/* The connection went bad: reopen next time. */
			log_warn("accounts: %s", store_errmsg(s));
			store_close(s);
			s = NULL;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += a->au_poll_ms / 1000;
		ts.tv_nsec += (long)(a->au_poll_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&a->au_mu);
		if (!a->au_stop)
			pthread_cond_timedwait(&a->au_cv, &a->au_mu, &ts);
	}
	pthread_mutex_unlock(&a->au_mu);
	store_close(s);
	return NULL;
}

static void
on_table(int fd, unsigned events, void *arg)
{
	struct auth *a = arg;
	struct acct_table *t;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("accounts: eventfd read: %s", strerror(errno));
	pthread_mutex_lock(&a->au_mu);
	t = a->au_pending;
	a->au_pending = NULL;
	pthread_mutex_unlock(&a->au_mu);
	if (!t)
		return;
	acct_table_free(a->au_table);
	a->au_table = t;
	metrics_gauge_set(MG_ACCOUNTS, acct_table_count(t));
	log_info("accounts: %u loaded", acct_table_count(t));
}

int
auth_alloc(struct auth **ap, struct loop *l, const struct cfg *cfg)
{
	struct auth *a;
	struct store *s;
	char err[256];
	unsigned i;
	int rc;

	a = calloc(1, sizeof(*a));
	if (!a)
		return ENOMEM;
	a->au_loop = l;
	a->au_cfg = cfg;
	a->au_efd = -1;
	pthread_mutex_init(&a->au_mu, NULL);
	pthread_cond_init(&a->au_cv, NULL);
	snprintf(a->au_uri, sizeof(a->au_uri), "%s", cfg->store_uri);
	a->au_poll_ms = cfg->store_poll;
	for (i = 0; i < cfg->nauth_algs && i < 2; i++)
		a->au_algs[i] = (enum digest_alg)cfg->auth_algs[i];
	a->au_nalgs = i;
	if (digest_key_random(&a->au_key) || digest_key_random(&a->au_tkey)) {
		rc = EIO;
		goto fail;
	}
	for (i = 0; i < DIGEST_ALG_COUNT; i++) {
		char sec[CRED_SECRET_LEN + 1];

		if (cred_gen_secret(sec, sizeof(sec)) ||
		    cred_ha1((enum digest_alg)i, STR("dummy"), STR("dummy"),
			str_make(sec, strlen(sec)), a->au_dummy[i])) {
			rc = EIO;
			goto fail;
		}
	}
	if ((rc = digest_nc_alloc(&a->au_nc, cfg->nonce_windows)))
		goto fail;
	rc = store_open(&s, cfg->store_uri, err, sizeof(err));
	if (rc) {
		log_error("accounts: %s", err);
		goto fail;
	}
	rc = acct_table_build(&a->au_table, s, err, sizeof(err));
	store_close(s);
	if (rc) {
		log_error("accounts: cannot load: %s", err);
		goto fail;
	}
	metrics_gauge_set(MG_ACCOUNTS, acct_table_count(a->au_table));
	log_info("accounts: %u loaded from %s", acct_table_count(a->au_table),
	    cfg->store_uri);
	a->au_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (a->au_efd < 0 ||
	    (rc = loop_fd_add(l, a->au_efd, LOOP_READ, on_table, a))) {
		rc = rc ? rc : errno;
		goto fail;
	}
	if ((rc = pthread_create(&a->au_thread, NULL, loader_main, a)))
		goto fail;
	a->au_thread_up = true;
	*ap = a;
	return 0;
fail:
	auth_free(a);
	return rc;
}

void
auth_free(struct auth *a)
{
	if (!a)
		return;
	if (a->au_thread_up) {
		pthread_mutex_lock(&a->au_mu);
		a->au_stop = true;
		pthread_cond_signal(&a->au_cv);
		pthread_mutex_unlock(&a->au_mu);
		pthread_join(a->au_thread, NULL);
	}
	if (a->au_efd >= 0) {
		loop_fd_del(a->au_loop, a->au_efd);
		close(a->au_efd);
	}
	acct_table_free(a->au_pending);
	acct_table_free(a->au_table);
	digest_nc_free(a->au_nc);
	pthread_mutex_destroy(&a->au_mu);
	pthread_cond_destroy(&a->au_cv);
	free(a);
}

const struct acct_table *
auth_accounts(const struct auth *a)
{
	return a->au_table;
}

/* ---- the check --------------------------------------------------- */

struct str
auth_realm(const struct cfg *cfg, const struct sip_msg *msg)
{
	const struct sip_addr *who =
	    msg->method == SIP_METHOD_REGISTER ? &msg->to : &msg->from;
	const char *d = cfg_realm(cfg, who->uri.host);

	return str_make(d, strlen(d));
}

static void
emit(const struct sip_msg *msg, const struct sa *src, const char *tp,
    enum event_type type, enum reason r, struct str user, struct str realm)
{
	char u[STORE_USER_MAX + STORE_DOMAIN_MAX + 2];
	struct event ev = { .type = type,
		.reason = r,
		.src = src,
		.tp = tp,
		.method = msg->method_s,
		.call_id = msg->call_id };
	struct sip_wbuf w;

	if (user.len) {
		/* "user@realm", each cut to what the store holds */
		sip_wbuf_init(&w, u, sizeof(u));
		sip_wbuf_put(&w, str_sub(user, 0, STORE_USER_MAX - 1));
		sip_wbuf_putc(&w, '@');
		sip_wbuf_put(&w, str_sub(realm, 0, STORE_DOMAIN_MAX - 1));
		ev.user = str_make(u, w.len);
	}
	event_emit(&ev);
}

static bool
challenge(struct auth *a, const struct sip_msg *msg, const struct sa *src,
    struct str realm, bool stale, struct auth_result *res)
{
	char nonce[DIGEST_NONCE_MAX];
	bool reg = msg->method == SIP_METHOD_REGISTER;
	size_t n;

	res->status = reg ? 401 : 407;
	res->extra = STR_NULL;
	if (!digest_nonce_make(
		&a->au_key, (uint64_t)time(NULL), src, nonce, sizeof(nonce)))
		return false;
	n = digest_challenge(res->buf, sizeof(res->buf),
	    reg ? "WWW-Authenticate" : "Proxy-Authenticate", realm, nonce,
	    a->au_algs, a->au_nalgs, stale);
	res->extra = str_make(res->buf, n);
	return false;
}

bool
auth_check(struct auth *a, const struct sip_msg *msg, const struct sa *src,
    const char *tp, const struct tp_tls_peer *cert, struct auth_result *res)
{
	enum sip_hdr_id hid = msg->method == SIP_METHOD_REGISTER ?
	    SIP_HDR_AUTHORIZATION :
	    SIP_HDR_PROXY_AUTHORIZATION;
	struct str realm = auth_realm(a->au_cfg, msg);
	const struct sip_hdr *h;
	struct digest_creds c;
	const struct acct *ac;
	const char *ha1;
	enum reason r = REASON_AUTH_REQUIRED;
	enum digest_nonce_state ns;
	uint64_t now = (uint64_t)time(NULL), issued = 0;
	bool found = false, ok;
	int rc;

	memset(res, 0, sizeof(*res));
	for (h = sip_msg_hdr(msg, hid); h; h = sip_msg_hdr_next(msg, h)) {
		rc = digest_creds_parse(h->value, &c);
		if (rc) {
			r = REASON_AUTH_MALFORMED;
			continue;
		}
		if (!str_eq_nocase(c.realm, realm)) {
			if (r == REASON_AUTH_REQUIRED)
				r = REASON_AUTH_BAD_REALM;
			continue;
		}
		found = true;
		break;
	}
	if (!found) {
		/* The user the request speaks for: enumeration counts it. */
		emit(msg, src, tp, EV_AUTH_FAILED, r,
		    msg->method == SIP_METHOD_REGISTER ? msg->to.uri.user :
							 msg->from.uri.user,
		    realm);
		res->reason = r;
		return challenge(a, msg, src, realm, false, res);
	}
	ns = digest_nonce_check(
	    &a->au_key, c.nonce, now, a->au_cfg->nonce_lifetime, src, &issued);
	if (ns != DIGEST_NONCE_OK) {
		r = ns == DIGEST_NONCE_STALE ? REASON_AUTH_STALE_NONCE :
					       REASON_AUTH_BAD_NONCE;
		emit(msg, src, tp, EV_AUTH_FAILED, r, c.username, realm);
		res->reason = r;
		return challenge(
		    a, msg, src, realm, ns == DIGEST_NONCE_STALE, res);
	}
	/*
	 * Same work whether the account exists or not: the dummy HA1
	 * makes an unknown user cost one full digest computation too.
	 */
	ac = acct_find(a->au_table, c.username, realm);
	r = REASON_NONE;
	if (!ac)
		r = REASON_AUTH_UNKNOWN_USER;
	else if (ac->ac_status != ACCOUNT_ACTIVE)
		r = REASON_AUTH_SUSPENDED;
	else if (!acct_source_ok(ac, src))
		r = REASON_AUTH_SOURCE;
	ha1 = r == REASON_NONE && ac->ac_ha1[c.alg][0] ? ac->ac_ha1[c.alg] :
							 a->au_dummy[c.alg];
	ok = digest_response_ok(&c, ha1, msg->method_s);
	if (r == REASON_NONE && !ok)
		r = REASON_AUTH_WRONG_SECRET;
	/* A stolen secret is no use without the bound certificate. */
	if (r == REASON_NONE && ac->ac_tls_id &&
	    !tp_tls_id_match(cert, ac->ac_tls_id))
		r = REASON_AUTH_CERT;
	if (r != REASON_NONE) {
		emit(msg, src, tp, EV_AUTH_FAILED, r, c.username, realm);
		res->reason = r;
		return challenge(a, msg, src, realm, false, res);
	}
	switch (digest_nc_use(
	    a->au_nc, c.nonce, issued, c.nc, now, a->au_cfg->nonce_lifetime)) {
	case DIGEST_NC_OK:
		break;
	case DIGEST_NC_REPLAY:
		emit(msg, src, tp, EV_AUTH_FAILED, REASON_AUTH_REPLAY,
		    c.username, realm);
		res->reason = REASON_AUTH_REPLAY;
		return challenge(a, msg, src, realm, false, res);
	case DIGEST_NC_UNKNOWN:
		emit(msg, src, tp, EV_AUTH_FAILED, REASON_AUTH_STALE_NONCE,
		    c.username, realm);
		res->reason = REASON_AUTH_STALE_NONCE;
		return challenge(a, msg, src, realm, true, res);
	}
	emit(msg, src, tp, EV_AUTH_OK, REASON_NONE, c.username, realm);
	res->acct = ac;
	return true;
}

/* ---- dialog tokens ------------------------------------------------ */

bool
auth_dialog_token(const struct auth *a, struct str call_id, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[DIGEST_MAC_LEN];
	unsigned int i;

	_Static_assert(AUTH_TOKEN_LEN / 2 <= DIGEST_MAC_LEN, "token too long");
	digest_mac(&a->au_tkey, call_id.s, call_id.len, md);
	for (i = 0; i < AUTH_TOKEN_LEN / 2; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	return true;
}

bool
auth_dialog_token_ok(const struct auth *a, struct str call_id, struct str token)
{
	char want[AUTH_TOKEN_LEN];

	if (token.len != AUTH_TOKEN_LEN)
		return false;
	if (!auth_dialog_token(a, call_id, want))
		return false;
	return CRYPTO_memcmp(want, token.s, AUTH_TOKEN_LEN) == 0;
}

enum auth_cert_vd
auth_check_cert(struct auth *a, const struct sip_msg *msg, const struct sa *src,
    const char *tp, const struct tp_tls_peer *cert, struct auth_result *res)
{
	const struct sip_addr *who =
	    msg->method == SIP_METHOD_REGISTER ? &msg->to : &msg->from;
	struct str realm = auth_realm(a->au_cfg, msg);
	const struct acct *ac = acct_find_tls(a->au_table, cert);
	enum reason r = REASON_NONE;

	memset(res, 0, sizeof(*res));
	if (!ac)
		return AUTH_CERT_NONE;
	if (!str_eq(ac->ac_user, who->uri.user) ||
	    !str_eq_nocase(ac->ac_domain, realm))
		r = REASON_AUTH_CERT;
	else if (ac->ac_status != ACCOUNT_ACTIVE)
		r = REASON_AUTH_SUSPENDED;
	else if (!acct_source_ok(ac, src))
		r = REASON_AUTH_SOURCE;
	if (r != REASON_NONE) {
		emit(msg, src, tp, EV_AUTH_FAILED, r, who->uri.user, realm);
		res->reason = r;
		res->status = 403;
		return AUTH_CERT_REFUSED;
	}
	emit(msg, src, tp, EV_AUTH_OK, REASON_NONE, who->uri.user, realm);
	res->acct = ac;
	return AUTH_CERT_OK;
}

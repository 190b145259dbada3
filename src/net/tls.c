/*
 * net/tls.c -- OpenSSL 3 contexts for TLS listeners and upstreams, one
 * pair per profile of the "tls" section (core/cfg_tls.h).
 *
 * TLS 1.2 is the floor (a profile may raise it to 1.3); renegotiation
 * is off; idle connections give their read and write buffers back
 * (SSL_MODE_RELEASE_BUFFERS). A server context asks for client
 * certificates per its verify_client; "optional" accepts any
 * certificate at the handshake and records whether it verified, so that
 * a self-signed device certificate can still be bound by fingerprint.
 * A client hello naming one of a profile's server_names switches the
 * connection to that profile (SNI). Contexts live in a set that
 * tls_reload() replaces whole: a set that fails to load leaves the
 * running one in force, and live connections keep the context they
 * started with (SSL_new holds a reference).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509err.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "net/tls_lists.h"
#include "net/tp_int.h"

struct tls_set {
	SSL_CTX *srv[CFG_MAX_TLS_PROFILES]; /* NULL: no certificate */
	SSL_CTX *cli[CFG_MAX_TLS_PROFILES];
	unsigned n;
};

/* The first queued OpenSSL error as text ("" when none). */
static const char *
ssl_err(char *buf, size_t cap)
{
	unsigned long e = ERR_get_error();

	buf[0] = '\0';
	if (e)
		ERR_error_string_n(e, buf, cap);
	ERR_clear_error();
	return buf;
}

/*
 * Complain about profile "p": "tls: ..." or "tls profile NAME: ...", to
 * errf as FILE:LINE when checking, else to the log.
 */
static void complain(FILE *errf, const char *file,
    const struct cfg_tls_profile *p, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
complain(FILE *errf, const char *file, const struct cfg_tls_profile *p,
    const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (errf)
		fprintf(errf, "%s:%d: tls%s%s: %s\n", file, p->line,
		    p->name[0] ? " profile " : "", p->name, msg);
	else
		log_error(
		    "tls%s%s: %s", p->name[0] ? " profile " : "", p->name, msg);
}

/* Client certificates are judged after the handshake, see above. */
static int
verify_optional(int ok, X509_STORE_CTX *x)
{
	return 1;
}

static const struct cfg_tls_profile *
sni_pick(const struct cfg_tls *ct, const struct tls_set *set, const char *name)
{
	unsigned i, j;

	for (i = 0; i < ct->nprofiles; i++)
		for (j = 0; j < ct->profiles[i].nserver_names; j++)
			if (set->srv[i] &&
			    strcasecmp(ct->profiles[i].server_names[j], name) ==
				0)
				return &ct->profiles[i];
	return NULL;
}

static int
sni_cb(SSL *ssl, int *al, void *arg)
{
	const struct tp *t = arg;
	const struct cfg_tls *ct = &t->t_cfg->tls;
	const struct tls_set *set = t->t_tls;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	const struct cfg_tls_profile *p;
	SSL_CTX *ctx;

	if (!name || !set || !(p = sni_pick(ct, set, name)))
		return SSL_TLSEXT_ERR_OK; /* the listener's own profile */
	ctx = set->srv[p - ct->profiles];
	if (ctx == SSL_get_SSL_CTX(ssl))
		return SSL_TLSEXT_ERR_OK;
	SSL_set_SSL_CTX(ssl, ctx);
	/* SSL_set_SSL_CTX() takes the certificate, not the verify mode. */
	SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx),
	    SSL_CTX_get_verify_callback(ctx));
	return SSL_TLSEXT_ERR_OK;
}

static bool
ctx_common(
    SSL_CTX *ctx, const struct cfg_tls_profile *p, FILE *errf, const char *file)
{
	const char *ciphers = p->ciphers[0] ? p->ciphers : TLS_DEFAULT_CIPHERS;
	const char *suites =
	    p->ciphersuites[0] ? p->ciphersuites : TLS_DEFAULT_SUITES;
	char e[256];

	SSL_CTX_set_min_proto_version(
	    ctx, p->min_version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx,
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
		SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	/*
	 * Read whole flights: without it OpenSSL reads every record in
	 * two read(2)s, header then body: 9 reads per full TLS 1.3
	 * handshake, 3 with it (perf stat, bench/tls.sh full13). stream.c
	 * reads until OpenSSL wants more bytes, so nothing it buffers
	 * waits for an epoll event.
	 */
	SSL_CTX_set_read_ahead(ctx, 1);
	if (SSL_CTX_set_cipher_list(ctx, ciphers) != 1) {
		complain(errf, file, p, "ciphers \"%s\": no usable cipher (%s)",
		    ciphers, ssl_err(e, sizeof(e)));
		return false;
	}
	if (SSL_CTX_set_ciphersuites(ctx, suites) != 1) {
		complain(errf, file, p,
		    "ciphersuites \"%s\": no usable suite (%s)", suites,
		    ssl_err(e, sizeof(e)));
		return false;
	}
	if (p->ca[0] && SSL_CTX_load_verify_locations(ctx, p->ca, NULL) != 1) {
		complain(errf, file, p, "ca_file \"%s\": cannot load (%s)",
		    p->ca, ssl_err(e, sizeof(e)));
		return false;
	}
	return true;
}

/* Is the leaf certificate of "ctx" usable now? */
static bool
cert_dates_ok(
    SSL_CTX *ctx, const struct cfg_tls_profile *p, FILE *errf, const char *file)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);

	if (!x)
		return false;
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0) {
		complain(
		    errf, file, p, "certificate \"%s\" has expired", p->cert);
		return false;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0) {
		complain(errf, file, p, "certificate \"%s\" is not valid yet",
		    p->cert);
		return false;
	}
	return true;
}

static SSL_CTX *
server_ctx(
    const struct cfg_tls_profile *p, unsigned idx, FILE *errf, const char *file)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char e[256];
	unsigned char sid[4];

	if (!ctx)
		return NULL;
	if (!ctx_common(ctx, p, errf, file))
		goto fail;
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(ctx, p->cert) != 1) {
		complain(errf, file, p, "certificate \"%s\": cannot load (%s)",
		    p->cert, ssl_err(e, sizeof(e)));
		goto fail;
	}
	/* Loading the key checks it against the certificate. */
	if (SSL_CTX_use_PrivateKey_file(ctx, p->key, SSL_FILETYPE_PEM) != 1) {
		if (ERR_GET_REASON(ERR_peek_last_error()) ==
		    X509_R_KEY_VALUES_MISMATCH) {
			ERR_clear_error();
			complain(errf, file, p,
			    "private_key \"%s\" does not match certificate "
			    "\"%s\"",
			    p->key, p->cert);
		} else
			complain(errf, file, p,
			    "private_key \"%s\": cannot load (%s)", p->key,
			    ssl_err(e, sizeof(e)));
		goto fail;
	}
	if (!cert_dates_ok(ctx, p, errf, file))
		goto fail;
	/*
	 * Sessions resume only inside the profile that made them: IDs
	 * from a bounded server cache (TLS 1.2) and one ticket per full
	 * handshake (TLS 1.3 sends two by default; a phone keeps one).
	 */
	memcpy(sid, &idx, sizeof(sid));
	SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid));
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(ctx, 20000);
	SSL_CTX_set_timeout(ctx, 3600);
	SSL_CTX_set_num_tickets(ctx, 1);
	switch (p->verify_client) {
	case CFG_TLS_VERIFY_NONE:
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		break;
	case CFG_TLS_VERIFY_OPTIONAL:
		SSL_CTX_set_verify(ctx,
		    SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, verify_optional);
		break;
	case CFG_TLS_VERIFY_REQUIRE:
		SSL_CTX_set_verify(ctx,
		    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT |
			SSL_VERIFY_CLIENT_ONCE,
		    NULL);
		/* Tell clients which CAs we take. */
		SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(p->ca));
		break;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static SSL_CTX *
client_ctx(const struct cfg_tls_profile *p, FILE *errf, const char *file)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	char e[256];

	if (!ctx)
		return NULL;
	if (!ctx_common(ctx, p, errf, file))
		goto fail;
	/* A client certificate (mutual TLS toward trunks), when set. */
	if (p->cert[0] &&
	    (SSL_CTX_use_certificate_chain_file(ctx, p->cert) != 1 ||
		SSL_CTX_use_PrivateKey_file(ctx, p->key, SSL_FILETYPE_PEM) !=
		    1 ||
		SSL_CTX_check_private_key(ctx) != 1)) {
		complain(errf, file, p,
		    "certificate \"%s\" / private_key \"%s\": "
		    "cannot load (%s)",
		    p->cert, p->key, ssl_err(e, sizeof(e)));
		goto fail;
	}
	if (p->verify_server) {
		if (!p->ca[0] && SSL_CTX_set_default_verify_paths(ctx) != 1) {
			complain(errf, file, p,
			    "cannot load the system CA store (%s)",
			    ssl_err(e, sizeof(e)));
			goto fail;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static void
set_free(struct tls_set *s)
{
	unsigned i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		SSL_CTX_free(s->srv[i]);
		SSL_CTX_free(s->cli[i]);
	}
	free(s);
}

/* Does a TLS listener serve profile "i" (its own, or by SNI)? */
static bool
used_as_server(const struct cfg *cfg, unsigned i)
{
	unsigned j;
	bool any = false;

	for (j = 0; j < cfg->nlisten; j++) {
		if (cfg->listen[j].tp != SIP_TP_TLS)
			continue;
		if (cfg->listen[j].tls_profile == i)
			return true;
		any = true;
	}
	return any && cfg->tls.profiles[i].nserver_names > 0 &&
	    cfg->tls.profiles[i].cert[0];
}

/* Can a connection we open use profile "i"? */
static bool
used_as_client(const struct cfg *cfg, unsigned i)
{
	unsigned j;

	for (j = 0; j < cfg->nupstreams; j++)
		if (cfg->upstreams[j].tp == SIP_TP_TLS &&
		    cfg->upstreams[j].tls_profile == i)
			return true;
	for (j = 0; j < cfg->npeers; j++)
		if (cfg->peers[j].tls_profile == i && i != 0)
			return true;
	/* Any other TLS destination (a sips: contact) gets the default. */
	return i == 0 && tls_needed(cfg);
}

bool
tls_needed(const struct cfg *cfg)
{
	unsigned j;

	for (j = 0; j < cfg->nlisten; j++)
		if (cfg->listen[j].tp == SIP_TP_TLS)
			return true;
	for (j = 0; j < cfg->nupstreams; j++)
		if (cfg->upstreams[j].tp == SIP_TP_TLS)
			return true;
	return false;
}

/*
 * Build the contexts "cfg" uses: a server context for a profile a TLS
 * listener serves, a client context for a profile a connection we open
 * may use; the files of a profile nothing uses are not read. NULL
 * after reporting what failed (to errf as FILE:LINE, or to the log).
 */
static struct tls_set *
set_build(const struct cfg *cfg, FILE *errf, const char *file)
{
	const struct cfg_tls *ct = &cfg->tls;
	struct tls_set *s = calloc(1, sizeof(*s));
	unsigned i;
	bool ok = true;

	if (!s)
		return NULL;
	s->n = ct->nprofiles;
	for (i = 0; i < ct->nprofiles; i++) {
		const struct cfg_tls_profile *p = &ct->profiles[i];

		if (used_as_server(cfg, i) &&
		    !(s->srv[i] = server_ctx(p, i, errf, file)))
			ok = false; /* one complaint about these files */
		else if (used_as_client(cfg, i) &&
		    !(s->cli[i] = client_ctx(p, errf, file)))
			ok = false;
	}
	if (!ok) {
		set_free(s);
		return NULL;
	}
	return s;
}

int
tp_tls_check(const struct cfg *cfg, const char *file, FILE *errf)
{
	struct tls_set *s = set_build(cfg, errf, file);

	if (!s)
		return EINVAL;
	set_free(s);
	return 0;
}

static void
set_install(struct tp *t, struct tls_set *s)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (s->srv[i]) {
			SSL_CTX_set_tlsext_servername_callback(
			    s->srv[i], sni_cb);
			SSL_CTX_set_tlsext_servername_arg(s->srv[i], t);
		}
	set_free(t->t_tls);
	t->t_tls = s;
}

int
tls_init(struct tp *t)
{
	struct tls_set *s = set_build(t->t_cfg, NULL, NULL);

	if (!s)
		return EINVAL;
	set_install(t, s);
	return 0;
}

int
tp_tls_reload(struct tp *t)
{
	struct tls_set *s;

	if (!t->t_tls)
		return 0;
	s = set_build(t->t_cfg, NULL, NULL);
	if (!s) {
		log_error("tls: reload failed; the certificates in use stay");
		return EINVAL;
	}
	set_install(t, s);
	log_info(
	    "tls: certificates, keys and CAs reloaded (%u profiles)", s->n);
	return 0;
}

void
tls_fini(struct tp *t)
{
	set_free(t->t_tls);
	t->t_tls = NULL;
}

SSL *
tls_new_server(struct tp *t, const struct listener *li)
{
	SSL_CTX *ctx = t->t_tls ? t->t_tls->srv[li->li_profile] : NULL;

	return ctx ? SSL_new(ctx) : NULL;
}

/*
 * The client profile for a connection to "addr": the upstream with
 * that address, else the peer whose range holds it, else the default.
 */
static unsigned
client_profile(const struct cfg *cfg, const struct sa *addr)
{
	const struct cfg_peer *p;
	unsigned i;

	for (i = 0; i < cfg->nupstreams; i++)
		if (cfg->upstreams[i].tp == SIP_TP_TLS &&
		    sa_eq(&cfg->upstreams[i].addr, addr))
			return cfg->upstreams[i].tls_profile;
	p = cfg_peer_find(cfg, addr);
	return p ? p->tls_profile : 0;
}

SSL *
tls_new_client(struct tp *t, const struct sa *addr)
{
	unsigned i = client_profile(t->t_cfg, addr);
	const struct cfg_tls_profile *p = &t->t_cfg->tls.profiles[i];
	SSL *ssl;

	if (!t->t_tls || !t->t_tls->cli[i] ||
	    !(ssl = SSL_new(t->t_tls->cli[i])))
		return NULL;
	if (p->sni[0]) {
		SSL_set_tlsext_host_name(ssl, p->sni);
		if (p->verify_server)
			SSL_set1_host(ssl, p->sni);
	}
	return ssl;
}

struct tp_tls_peer *
tls_peer_id(SSL *ssl, enum cfg_tls_verify verify)
{
	X509 *x = SSL_get0_peer_certificate(ssl);
	struct tp_tls_peer *id;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	BIO *b;
	int n;

	if (!x)
		return NULL;
	id = calloc(1, sizeof(*id));
	if (!id)
		return NULL;
	id->verify = verify;
	id->verified = SSL_get_verify_result(ssl) == X509_V_OK;
	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32) {
		free(id);
		return NULL;
	}
	memcpy(id->fp, "sha256:", 7);
	for (i = 0; i < mdlen; i++)
		snprintf(id->fp + 7 + 2 * i, 3, "%02x", md[i]);
	b = BIO_new(BIO_s_mem());
	if (b) {
		if (X509_NAME_print_ex(
			b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0 &&
		    (n = BIO_read(b, id->subject, sizeof(id->subject) - 1)) > 0)
			id->subject[n] = '\0';
		BIO_free(b);
	}
	return id;
}

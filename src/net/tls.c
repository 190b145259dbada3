/*
 * net/tls.c -- OpenSSL 3 contexts for TLS listeners and upstreams.
 *
 * TLS 1.2 is the floor; certificates and keys come from the
 * configuration. Upstream certificates are verified against tls.ca_file
 * when tls.verify_upstream is set.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/log.h"
#include "net/tp_int.h"

static void
log_ssl_errors(const char *what)
{
	unsigned long e;
	char buf[256];

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		log_error("%s: %s", what, buf);
	}
}

int
tls_init(struct tp *t)
{
	const struct cfg *cfg = t->t_cfg;
	unsigned i;
	bool server = false;

	for (i = 0; i < cfg->nlisten; i++)
		if (cfg->listen[i].tp == SIP_TP_TLS)
			server = true;
	if (server) {
		t->t_tls_srv = SSL_CTX_new(TLS_server_method());
		if (!t->t_tls_srv)
			goto fail;
		SSL_CTX_set_min_proto_version(t->t_tls_srv, TLS1_2_VERSION);
		SSL_CTX_set_mode(t->t_tls_srv,
		    SSL_MODE_ENABLE_PARTIAL_WRITE |
			SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
		SSL_CTX_set_options(t->t_tls_srv,
		    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
		if (SSL_CTX_use_certificate_chain_file(
			t->t_tls_srv, cfg->tls_cert) != 1) {
			log_error(
			    "tls: cannot load certificate %s", cfg->tls_cert);
			goto fail;
		}
		if (SSL_CTX_use_PrivateKey_file(
			t->t_tls_srv, cfg->tls_key, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(t->t_tls_srv) != 1) {
			log_error(
			    "tls: cannot load private key %s", cfg->tls_key);
			goto fail;
		}
	}
	t->t_tls_cli = SSL_CTX_new(TLS_client_method());
	if (!t->t_tls_cli)
		goto fail;
	SSL_CTX_set_min_proto_version(t->t_tls_cli, TLS1_2_VERSION);
	SSL_CTX_set_mode(t->t_tls_cli,
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
		SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (cfg->tls_verify_upstream) {
		if (cfg->tls_ca[0] ?
			SSL_CTX_load_verify_locations(
			    t->t_tls_cli, cfg->tls_ca, NULL) != 1 :
			SSL_CTX_set_default_verify_paths(t->t_tls_cli) != 1) {
			log_error("tls: cannot load CA file %s", cfg->tls_ca);
			goto fail;
		}
		SSL_CTX_set_verify(t->t_tls_cli, SSL_VERIFY_PEER, NULL);
	} else
		SSL_CTX_set_verify(t->t_tls_cli, SSL_VERIFY_NONE, NULL);
	return 0;
fail:
	log_ssl_errors("tls");
	return EINVAL;
}

void
tls_fini(struct tp *t)
{
	SSL_CTX_free(t->t_tls_srv);
	SSL_CTX_free(t->t_tls_cli);
	t->t_tls_srv = NULL;
	t->t_tls_cli = NULL;
}

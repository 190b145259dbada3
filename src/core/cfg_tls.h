/*
 * core/cfg_tls.h -- the "tls" section: TLS profiles for listeners,
 * upstreams and peers, mutual TLS bindings and the require-TLS policy.
 *
 *	tls = {
 *	  # The keys of the section itself form the default profile.
 *	  certificate = "server.pem";	# chain, PEM
 *	  private_key = "server.key";
 *	  ca_file = "";			# CA bundle: client certificates
 *					# (server role) and servers (client
 *					# role)
 *	  min_version = "1.2";		# or "1.3"
 *	  ciphers = "";			# TLS 1.2 list (OpenSSL syntax)
 *	  ciphersuites = "";		# TLS 1.3 suites
 *	  verify_client = "none";	# "optional": ask for a certificate,
 *					# any is accepted and recorded;
 *					# "require": one that verifies
 *					# against ca_file, else no handshake,
 *					# and requests over a connection
 *					# whose certificate is bound to no
 *					# account or peer are refused
 *	  verify_upstream = false;	# client role: verify the server
 *	  sni = "";			# client role: server name sent
 *	  server_names = [];		# server role: SNI names that pick
 *					# this profile on any TLS listener
 *	  require = [ "public" ];	# roles whose REGISTER and INVITE
 *					# must arrive over TLS
 *	  profiles = ( { name = "devices"; ... }, ... );
 *	};
 *
 * A named profile starts as a copy of the default profile. Listeners,
 * upstreams and peers name one with `tls_profile = "devices";`. A peer
 * bound to a client certificate (`tls_id = "sha256:HEX"` or
 * `tls_id = "subject:CN=acme,O=..."`) must send its requests over TLS
 * with that certificate.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_CFG_TLS_H
#define CENTINELA_CORE_CFG_TLS_H

#include <stdbool.h>

#define CFG_MAX_TLS_PROFILES 16
#define CFG_TLS_MAX_NAMES 8
#define CFG_TLS_PATH_MAX 512
#define CFG_TLS_LIST_MAX 512
#define CFG_TLS_HOST_MAX 128
#define CFG_TLSID_MAX 320 /* "sha256:" + 64 hex, or "subject:" + DN */

enum cfg_tls_verify {
	CFG_TLS_VERIFY_NONE = 0,
	CFG_TLS_VERIFY_OPTIONAL,
	CFG_TLS_VERIFY_REQUIRE
};

struct cfg_tls_profile {
	char name[64]; /* "" for the default profile */
	int line; /* where it was defined, for errors found later */
	char cert[CFG_TLS_PATH_MAX];
	char key[CFG_TLS_PATH_MAX];
	char ca[CFG_TLS_PATH_MAX];
	char ciphers[CFG_TLS_LIST_MAX];
	char ciphersuites[CFG_TLS_LIST_MAX];
	unsigned min_version; /* 12 or 13 */
	enum cfg_tls_verify verify_client;
	bool verify_server;
	char sni[CFG_TLS_HOST_MAX];
	char server_names[CFG_TLS_MAX_NAMES][CFG_TLS_HOST_MAX];
	unsigned nserver_names;
};

struct cfg_tls {
	struct cfg_tls_profile
	    profiles[CFG_MAX_TLS_PROFILES]; /* [0]: default */
	unsigned nprofiles;
	bool require[4]; /* by enum peer_role */
};

void cfg_tls_defaults(struct cfg_tls *t);
/* The index of the profile called "name" ("" = default), or -1. */
int cfg_tls_profile_find(const struct cfg_tls *t, const char *name);
/*
 * Canonical form of a certificate binding: "sha256:" + 64 lowercase hex
 * (colons and case accepted on input) or "subject:" + DN as given.
 * Returns 0, or EINVAL.
 */
int cfg_tls_id_canon(const char *in, char *out, unsigned cap);

#endif /* CENTINELA_CORE_CFG_TLS_H */

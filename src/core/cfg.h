/*
 * core/cfg.h -- the daemon's configuration: load, check, free.
 *
 * The file is read with libconfig. cfg_load() builds a complete new
 * struct cfg and checks every value; on any error it reports each one
 * as "FILE:LINE: what is wrong" and returns EINVAL, leaving nothing
 * half-built. A running daemon keeps its old configuration until a new
 * one has loaded without error.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_CFG_H
#define CENTINELA_CORE_CFG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "net/sa.h"
#include "sip/sip.h"

#define CFG_MAX_LISTEN 16
#define CFG_MAX_UPSTREAMS 32
#define CFG_MAX_PEERS 256
#define CFG_MAX_DENY 4096
#define CFG_MAX_FAILOVER_CODES 8
#define CFG_NAME_MAX 64
#define CFG_PATH_MAX 512
#define CFG_MAX_DOMAINS 32
#define CFG_DOMAIN_MAX 128

enum peer_role {
	ROLE_PUBLIC = 0,
	ROLE_PBX,
	ROLE_CARRIER,
	ROLE_CUSTOMER
};

const char *peer_role_name(enum peer_role r);

struct cfg_listen {
	enum sip_transport tp;
	struct sa addr;
};

struct cfg_upstream {
	char name[CFG_NAME_MAX];
	char host[CFG_NAME_MAX]; /* numeric address */
	struct sa addr;
	enum sip_transport tp;
	unsigned priority;
	unsigned weight;
};

struct cfg_peer {
	char name[CFG_NAME_MAX];
	struct cidr cidr;
	enum peer_role role;
};

struct cfg {
	unsigned workers;

	struct cfg_listen listen[CFG_MAX_LISTEN];
	unsigned nlisten;

	char tls_cert[CFG_PATH_MAX];
	char tls_key[CFG_PATH_MAX];
	char tls_ca[CFG_PATH_MAX];
	bool tls_verify_upstream;

	struct sip_limits limits;

	unsigned tcp_max_conns;
	unsigned tcp_max_conns_per_ip;
	unsigned tcp_idle_timeout; /* ms */
	unsigned tcp_header_timeout; /* ms */
	unsigned tcp_connect_timeout; /* ms */

	bool reply_to_source;
	bool record_route;
	bool answer_options;
	char server_header[CFG_NAME_MAX];

	unsigned t1, t2, timer_b, timer_f; /* ms */
	unsigned failover_timeout; /* ms */
	unsigned trying_delay; /* ms; 100 Trying unless answered sooner */
	uint16_t failover_codes[CFG_MAX_FAILOVER_CODES];
	unsigned nfailover_codes;

	struct cfg_upstream upstreams[CFG_MAX_UPSTREAMS];
	unsigned nupstreams;

	unsigned probe_interval; /* ms */
	unsigned probe_timeout; /* ms */
	unsigned probe_failures_down;
	unsigned probe_successes_up;

	struct cfg_peer peers[CFG_MAX_PEERS];
	unsigned npeers;

	struct cidr deny[CFG_MAX_DENY];
	unsigned ndeny;

	bool sanity_drop;

	int log_format; /* enum log_format */
	int log_level; /* enum log_level */

	struct sa metrics_addr;
	uint16_t metrics_port; /* 0: disabled */

	/* Domains we are registrar for; domains[0] is the default realm. */
	char domains[CFG_MAX_DOMAINS][CFG_DOMAIN_MAX];
	unsigned ndomains;

	char store_uri[CFG_PATH_MAX];
	unsigned store_poll; /* ms */

	int auth_algs[2]; /* enum digest_alg, challenge order */
	unsigned nauth_algs;
	unsigned nonce_lifetime; /* s */
	unsigned nonce_windows; /* nonces tracked for replay protection */

	bool registrar_local; /* false: REGISTER goes to the upstreams */
	unsigned reg_min_expires; /* s */
	unsigned reg_max_expires;
	unsigned reg_default_expires;
	unsigned reg_max_contacts;
	unsigned reg_nat_ping; /* s, 0 = off */
};

/*
 * Load and check a configuration. "path" NULL means the embedded
 * default. Errors go to "errf" as "FILE:LINE: message", one per line.
 * Returns 0 with *cfgp set (caller owns; cfg_free() it), or EINVAL.
 */
int cfg_load(struct cfg **cfgp, const char *path, FILE *errf);
void cfg_free(struct cfg *cfg);
/* Role of a source address according to the peer list. */
enum peer_role cfg_peer_role(const struct cfg *cfg, const struct sa *src);
/*
 * The configured domain equal (case-insensitively) to "host", or NULL
 * when "host" is not one of ours.
 */
const char *cfg_domain(const struct cfg *cfg, struct str host);
/* The realm for "host": the domain it names, else the first domain. */
const char *cfg_realm(const struct cfg *cfg, struct str host);

/* The embedded default configuration (etc/centinela.conf). */
extern const unsigned char default_conf[];
extern const size_t default_conf_len;

#endif /* CENTINELA_CORE_CFG_H */

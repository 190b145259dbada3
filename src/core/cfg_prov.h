/*
 * core/cfg_prov.h -- the "provisioning" section: the HTTPS service
 * that serves phones their configuration (prov/prov.h,
 * docs/PROVISIONING.md), and the key file that seals the device
 * secrets it hands out (auth/seal.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_CFG_PROV_H
#define CENTINELA_CORE_CFG_PROV_H

#include <stdbool.h>
#include <stdint.h>

#include "net/sa.h"

#define CFG_PROV_PATH_MAX 512
#define CFG_PROV_HOST_MAX 128

struct cfg_prov {
	bool enabled;
	struct sa addr; /* listen address and port */
	char cert[CFG_PROV_PATH_MAX]; /* server certificate chain, PEM */
	char key[CFG_PROV_PATH_MAX]; /* its private key, PEM */
	char client_ca[CFG_PROV_PATH_MAX]; /* phones' CAs, PEM; "" = none */
	bool require_client_cert; /* no verified certificate: 403 */
	bool cert_mac; /* the certificate's subject must hold the MAC */
	/* The sealing key; "" = the SQLite store's path + ".key". */
	char key_file[CFG_PROV_PATH_MAX];
	char templates_dir[CFG_PROV_PATH_MAX]; /* "" = embedded only */
	/* What the phones are told to register to. */
	char sip_host[CFG_PROV_HOST_MAX]; /* "" = the first domain */
	uint16_t sip_port;
	/* Unknown MACs from one source within the window: a strike. */
	unsigned unknown_limit;
	unsigned unknown_window; /* s */
	unsigned max_conns; /* connections at once */
	unsigned max_conns_per_ip;
	unsigned timeout; /* s a connection may stay idle */
};

void cfg_prov_defaults(struct cfg_prov *m);

#endif /* CENTINELA_CORE_CFG_PROV_H */

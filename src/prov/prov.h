/*
 * prov/prov.h -- the provisioning service: zero-touch configuration of
 * phones over HTTPS (docs/PROVISIONING.md).
 *
 * A phone asks for its file by MAC address (/prov/{MAC}.cfg and the
 * vendors' own names); the service finds the device bound to that MAC
 * (store.h, "centinelactl device add"), opens its account's sealed
 * device secret (auth/seal.h) and answers the device's template filled
 * in. This is the only place where a device secret leaves the store:
 * every fetch is logged with MAC, account and source address, never
 * with the secret. With a client CA the phone's certificate is checked
 * (mutual TLS, optionally required, optionally naming the MAC). A MAC
 * bound to no device gets the same 404 as any other; a source that
 * asks for unknown MACs again and again is struck on the guard's ban
 * ladder (guard/ban.h), and a banned source is refused at accept.
 *
 * The service runs in its own thread (libmicrohttpd with GnuTLS) with
 * its own store connection; it never touches the SIP loop.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_PROV_PROV_H
#define CENTINELA_PROV_PROV_H

#include <stdbool.h>

#include "core/cfg.h"

struct prov;

/*
 * Start the service of cfg->prov: load the certificate, key, client
 * CA, templates and sealing key and open the store, then listen. When
 * provisioning is disabled, *pp = NULL and 0. Returns 0 or an errno
 * value (logged with the cause). "cfg" and "ban" (the daemon's ladder,
 * which unknown MACs strike; NULL: none) must outlive the service.
 */
struct ban;
int prov_start(struct prov **pp, const struct cfg *cfg, struct ban *ban);
/* Stop listening, wait for the thread, release everything. NULL: no-op. */
void prov_stop(struct prov *p);

/* A device template centinelactl may bind: snom, yealink, ... */
bool prov_template_known(const char *name);
/* The list of them for messages: "snom, yealink, ... or generic". */
extern const char prov_template_list[];

#endif /* CENTINELA_PROV_PROV_H */

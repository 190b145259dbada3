/*
 * route/proxy.h -- the SIP proxy: receives what the transports hand
 * over, runs the pre-parse gate, the parser and the guard chain, and
 * routes: local answers (OPTIONS), stateless forwarding along Route /
 * Request-URI, stateful forwarding with failover to the upstream pool,
 * and response relay (RFC 3261 section 16, RFC 3581).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_ROUTE_PROXY_H
#define CENTINELA_ROUTE_PROXY_H

#include "core/cfg.h"
#include "core/loop.h"

struct proxy;

/*
 * Create the proxy on loop "l": opens the listeners and starts the
 * upstream probes. "cfg" must outlive the proxy. Returns 0 or errno.
 */
int proxy_alloc(struct proxy **pp, struct loop *l, const struct cfg *cfg);
void proxy_free(struct proxy *p);
struct cid;
/* The caller-ID state of the proxy's guard, or NULL. */
struct cid *proxy_cid(const struct proxy *p);
/* The guard's ban ladder (for the provisioning service); NULL: none. */
struct ban *proxy_ban(const struct proxy *p);
/* SIGHUP: reload what can be reloaded (the scanner signatures). */
void proxy_reload(struct proxy *p);

#endif /* CENTINELA_ROUTE_PROXY_H */

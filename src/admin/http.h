/*
 * admin/http.h -- the admin HTTP server (libmicrohttpd) on a loopback
 * port: Prometheus /metrics, and /numbering/lookup?number=N (the
 * caller-ID numbering data as JSON). Runs in its own thread.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_ADMIN_HTTP_H
#define CENTINELA_ADMIN_HTTP_H

#include "core/cfg.h"

struct admin_http;
struct cid;

/*
 * Start serving on cfg->metrics_addr; "cid" (may be NULL) answers the
 * numbering lookups. Returns 0 or an errno code.
 */
int admin_http_start(
    struct admin_http **ahp, const struct cfg *cfg, struct cid *cid);
void admin_http_stop(struct admin_http *ah);

#endif /* CENTINELA_ADMIN_HTTP_H */

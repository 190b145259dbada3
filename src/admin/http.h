/*
 * admin/http.h -- the admin HTTP server (libmicrohttpd): for now
 * Prometheus /metrics on a loopback port. Runs in its own thread.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_ADMIN_HTTP_H
#define CENTINELA_ADMIN_HTTP_H

#include "core/cfg.h"

struct admin_http;

/* Start serving on cfg->metrics_addr. Returns 0 or an errno code. */
int admin_http_start(struct admin_http **ahp, const struct cfg *cfg);
void admin_http_stop(struct admin_http *ah);

#endif /* CENTINELA_ADMIN_HTTP_H */

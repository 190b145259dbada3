/*
 * admin/metrics.h -- counters for Prometheus /metrics.
 *
 * Counters are process-wide atomics updated with relaxed ordering from
 * any thread; the admin thread renders them in the Prometheus text
 * exposition format.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_ADMIN_METRICS_H
#define CENTINELA_ADMIN_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "core/reason.h"
#include "sip/sip.h"

/* A request received (after parsing). */
void metrics_request(enum sip_method m);
/* A response received from the network (relayed or consumed). */
void metrics_response_in(unsigned status);
/* A response sent (generated here or relayed). */
void metrics_response_out(unsigned status);
/* A message dropped silently, by reason. */
void metrics_drop(enum reason r);
/* A request rejected with a response, by reason. */
void metrics_reject(enum reason r);
/* A message that failed to parse. */
void metrics_parse_error(void);
/* A pause of the loop to gather datagrams (udp.coalesce), in us. */
void metrics_udp_pause(unsigned us);

/*
 * Gauges supplied by other modules at render time: called with the
 * output stream, it prints complete metric families.
 */
/* Gauges set by their owners (any thread). */
enum metrics_gauge {
	MG_ACCOUNTS, /* accounts loaded */
	MG_AORS, /* addresses-of-record with a binding */
	MG_CONTACTS, /* registered contacts */
	MG_BANSET_ENTRIES, /* ranges in the banset (banned or remembered) */
	MG_BANSET_BYTES, /* memory of the banset */
	MG__COUNT
};
void metrics_gauge_set(enum metrics_gauge g, uint64_t v);
uint64_t metrics_gauge_get(enum metrics_gauge g);

typedef void(metrics_render_h)(FILE *f, void *arg);
/* More series from other modules (set up at start, before serving). */
void metrics_extra_add(metrics_render_h *fn, void *arg);
void metrics_extra_del(metrics_render_h *fn);

/*
 * Render everything into a malloc'ed buffer (caller frees).
 * Returns 0 or ENOMEM.
 */
int metrics_render(char **out, size_t *len);

/* For tests. */
uint64_t metrics_get_drop(enum reason r);
uint64_t metrics_get_reject(enum reason r);
uint64_t metrics_get_parse_errors(void);

#endif /* CENTINELA_ADMIN_METRICS_H */

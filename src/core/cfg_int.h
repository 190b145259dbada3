/*
 * core/cfg_int.h -- what the configuration loaders share: the load
 * state and the typed getters that report "FILE:LINE: what is wrong".
 * core/cfg.c loads the core sections, core/cfg_guard.c the guard's.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_CFG_INT_H
#define CENTINELA_CORE_CFG_INT_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/cfg.h"

/* One load in progress: errors are counted and printed as they come. */
struct ld {
	const char *file;
	FILE *errf;
	unsigned nerr;
	struct cfg *cfg;
};

void cfg_err_at(struct ld *ld, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Complain about any member of group "g" not in the NULL-ended "known". */
void cfg_check_known(struct ld *ld, const config_setting_t *g,
    const char *const *known, const char *where);
const config_setting_t *cfg_member(const config_setting_t *g, const char *name);
/* Integer in [lo, hi]; absent keeps *out. */
void cfg_get_uint(struct ld *ld, const config_setting_t *g, const char *name,
    unsigned lo, unsigned hi, unsigned *out);
void cfg_get_bool(
    struct ld *ld, const config_setting_t *g, const char *name, bool *out);
/* String into a fixed buffer; absent keeps *out. Returns the setting. */
const config_setting_t *cfg_get_string(struct ld *ld, const config_setting_t *g,
    const char *name, char *out, size_t cap, bool required);

/* A list of "addr/len" ranges into out[max]; absent keeps *n. */
void cfg_get_cidrs(struct ld *ld, const config_setting_t *g, const char *name,
    struct cidr *out, unsigned max, unsigned *n);

/* A duration ("5m" or seconds) in [lo, hi]; absent keeps *out. */
void cfg_get_duration(struct ld *ld, const config_setting_t *g,
    const char *name, unsigned lo, unsigned hi, unsigned *out);
/* mode = "enforce" | "shadow"; absent keeps *shadow. */
void cfg_get_mode(struct ld *ld, const config_setting_t *g, bool *shadow);

/* The guard sections (core/cfg_guard.c). */
void cfg_guard_defaults(struct cfg_guard *g);
void cfg_load_guard(struct ld *ld, const config_setting_t *root);

/* The callerid section and peer classes (core/cfg_callerid.c). */
void cfg_load_callerid(struct ld *ld, const config_setting_t *root);
/* The stir section (core/cfg_callerid.c); sets its defaults first. */
void cfg_load_stir(struct ld *ld, const config_setting_t *root);
/* The alerts section (core/cfg_alerts.c); cfg_defaults() set its defaults. */
void cfg_load_alerts(struct ld *ld, const config_setting_t *root);
/* The fraud section (core/cfg_fraud.c): rules, actions, overrides. */
void cfg_load_fraud(struct ld *ld, const config_setting_t *root);
/* The tls section and tls_profile/tls_id references (core/cfg_tls.c). */
void cfg_load_tls(struct ld *ld, const config_setting_t *root);
/* The media section (core/cfg_media.c). */
void cfg_load_media(struct ld *ld, const config_setting_t *root);
/* The provisioning section (core/cfg_prov.c). */
void cfg_load_prov(struct ld *ld, const config_setting_t *root);
/* A peer's class, flags and provider (called by the peers loader). */
void cfg_load_peer_class(
    struct ld *ld, const config_setting_t *e, struct cfg_peer *p);

#endif /* CENTINELA_CORE_CFG_INT_H */

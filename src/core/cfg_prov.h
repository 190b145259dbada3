/*
 * core/cfg_prov.h -- the "provisioning" section: the HTTPS service
 * that serves phones their configuration.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_CFG_PROV_H
#define CENTINELA_CORE_CFG_PROV_H

#include <stdbool.h>

struct cfg_prov {
	bool enabled;
};

void cfg_prov_defaults(struct cfg_prov *m);

#endif /* CENTINELA_CORE_CFG_PROV_H */

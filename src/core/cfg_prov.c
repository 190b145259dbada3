/*
 * core/cfg_prov.c -- loads the "provisioning" section (core/cfg_prov.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>

#include "core/cfg_int.h"

void
cfg_prov_defaults(struct cfg_prov *m)
{
	memset(m, 0, sizeof(*m));
}

void
cfg_load_prov(struct ld *ld, const config_setting_t *root)
{
	static const char *const known[] = { "enabled", NULL };
	struct cfg_prov *m = &ld->cfg->prov;
	const config_setting_t *g = cfg_member(root, "provisioning");

	if (!g)
		return;
	cfg_check_known(ld, g, known, "provisioning");
	cfg_get_bool(ld, g, "enabled", &m->enabled);
}

/*
 * core/cfg_media.c -- loads the "media" section (core/cfg_media.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>

#include "core/cfg_int.h"

void
cfg_media_defaults(struct cfg_media *m)
{
	memset(m, 0, sizeof(*m));
}

void
cfg_load_media(struct ld *ld, const config_setting_t *root)
{
	static const char *const known[] = { "enabled", NULL };
	struct cfg_media *m = &ld->cfg->media;
	const config_setting_t *g = cfg_member(root, "media");

	if (!g)
		return;
	cfg_check_known(ld, g, known, "media");
	cfg_get_bool(ld, g, "enabled", &m->enabled);
}

/*
 * core/cfg_media.h -- the "media" section: the SDP media policy and
 * the rtpengine media anchor.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_CFG_MEDIA_H
#define CENTINELA_CORE_CFG_MEDIA_H

#include <stdbool.h>

struct cfg_media {
	bool enabled;
};

void cfg_media_defaults(struct cfg_media *m);

#endif /* CENTINELA_CORE_CFG_MEDIA_H */

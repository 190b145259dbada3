/*
 * guard/media.c -- the media policy guard (placeholder: lets every
 * request through until the SDP policy lands).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "guard/guard.h"

static enum guard_vd
media_on_request(
    struct guard_ctx *gx, const struct sip_msg *msg, struct guard_result *res)
{
	return GUARD_CONTINUE;
}

const struct guard_ops guard_media = {
	.name = "media",
	.on_request = media_on_request,
};

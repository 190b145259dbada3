/*
 * guard/tlspol.c -- the TLS policy guard (placeholder: lets every
 * request through until the TLS policy lands).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "guard/guard.h"

static enum guard_vd
tlspol_on_request(
    struct guard_ctx *gx, const struct sip_msg *msg, struct guard_result *res)
{
	return GUARD_CONTINUE;
}

const struct guard_ops guard_tlspol = {
	.name = "tls",
	.on_request = tlspol_on_request,
};

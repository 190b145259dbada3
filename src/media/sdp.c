/*
 * media/sdp.c -- SDP (placeholder).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "media/media.h"

int media_placeholder_(void);

int
media_placeholder_(void)
{
	return 0;
}

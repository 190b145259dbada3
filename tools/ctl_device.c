/*
 * tools/ctl_device.c -- centinelactl device (placeholder).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>

#include "ctl.h"

int
ctl_device(int argc, char **argv)
{
	fprintf(stderr, "centinelactl: device: not available yet\n");
	return 2;
}

/*
 * tools/ctl_tls.c -- centinelactl tls (placeholder).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>

#include "ctl.h"

int
ctl_tls(int argc, char **argv)
{
	fprintf(stderr, "centinelactl: tls: not available yet\n");
	return 2;
}

/*
 * prov/prov.c -- provisioning (placeholder).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "prov/prov.h"

int prov_placeholder_(void);

int
prov_placeholder_(void)
{
	return 0;
}

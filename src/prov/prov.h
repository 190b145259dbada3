/*
 * prov/prov.h -- the provisioning service.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_PROV_PROV_H
#define CENTINELA_PROV_PROV_H

#endif /* CENTINELA_PROV_PROV_H */

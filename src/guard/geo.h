/*
 * guard/geo.h -- GeoIP: the country of a source address, from a
 * MaxMind-format country database (libmaxminddb), and the per-role
 * country policy of the geo guard.
 *
 * A struct geo is read-only after geo_open() and may be shared by
 * threads. geo_open() validates the whole database (metadata and a
 * test lookup) so that a bad file is refused and the old one stays.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_GUARD_GEO_H
#define CENTINELA_GUARD_GEO_H

#include <stdbool.h>
#include <stddef.h>

#include "core/cfg.h"
#include "net/sa.h"

struct geo;

/* Open "path". 0, or an errno value with a one-line message in err. */
int geo_open(struct geo **gp, const char *path, char *err, size_t errlen);
void geo_close(struct geo *g);

/*
 * The ISO 3166-1 alpha-2 code of the country of "addr" (country, else
 * registered_country) into cc (upper case, NUL-terminated). false when
 * the database has no country for it. IPv4-mapped IPv6 is looked up
 * as IPv4.
 */
bool geo_country(const struct geo *g, const struct sa *addr, char cc[3]);

/*
 * What policy "p" says for country "cc" (NULL: unknown): GA_LOG lets
 * it through, anything else is p->action or p->unknown.
 */
enum guard_action geo_policy(const struct cfg_geo_policy *p, const char *cc);

#endif /* CENTINELA_GUARD_GEO_H */

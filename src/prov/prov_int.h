/*
 * prov/prov_int.h -- what the provisioning service's files share: the
 * templates (prov/tmpl.c, prov/templates.c) and the file names phones
 * ask for (prov/path.c). No other module includes this.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_PROV_PROV_INT_H
#define CENTINELA_PROV_PROV_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "net/sa.h"

#define PROV_TMPL_MAX 65536 /* bytes of a template, and of a rendering */
#define PROV_TMPL_NAME_MAX 16

/* An embedded template (prov/templates.c); the array ends with NULL. */
struct prov_builtin {
	const char *name;
	const char *text;
	size_t len;
};

extern const struct prov_builtin prov_builtins[];

/*
 * The values a template may name as {{name}}: mac, user, auth_user,
 * domain, realm, sip_host, sip_port, display, secret.
 */
struct prov_vars {
	const char *mac;
	const char *user;
	const char *auth_user;
	const char *domain;
	const char *realm;
	const char *sip_host;
	unsigned sip_port;
	const char *display;
	const char *secret;
};

/* One template in use: embedded or read from templates_dir. */
struct prov_tmpl {
	char name[PROV_TMPL_NAME_MAX];
	char *text; /* owned */
	size_t len;
	bool xml; /* values are XML-escaped; else a line format */
	bool from_dir;
};

/* Every template of prov_builtins, in that order. */
struct prov_tmpls {
	struct prov_tmpl *t;
	size_t n;
};

/*
 * Check that "text" names only known values and closes every "{{".
 * Returns 0 or EINVAL with "line N: ..." in "err".
 */
int prov_tmpl_check(const char *text, size_t len, char *err, size_t errlen);

/*
 * Fill "text" in with "v" into a new buffer (*out, *outlen; caller
 * owns: wipe it, it holds the secret, then free()). XML templates get
 * every value escaped (& < > " '); line templates refuse a value with
 * a control character (EINVAL), so no value can add a setting.
 * Returns 0, EINVAL (also a template that fails prov_tmpl_check()),
 * EMSGSIZE (over PROV_TMPL_MAX), ENOMEM.
 */
int prov_tmpl_render(const char *text, size_t len, bool xml,
    const struct prov_vars *v, char **out, size_t *outlen);

/*
 * The templates: each prov_builtins name from "dir"/NAME.tmpl when
 * "dir" is set and the file exists, else embedded; every one checked.
 * Returns 0 or an errno value with a message naming the file.
 */
int prov_tmpls_load(
    struct prov_tmpls *ts, const char *dir, char *err, size_t errlen);
void prov_tmpls_free(struct prov_tmpls *ts);
/* The template "name", or NULL. */
const struct prov_tmpl *prov_tmpls_get(
    const struct prov_tmpls *ts, const char *name);

/* Which file of a device a path asks for. */
enum prov_file {
	PROV_FILE_CONFIG, /* the device's own template */
	/*
	 * /{mac}.cfg: Yealink's configuration, but a Polycom phone's
	 * master file (which names {mac}-phone.cfg).
	 */
	PROV_FILE_MAC_CFG
};

/*
 * The MAC (canonical, STORE_MAC_MAX bytes) of a request path:
 *   /prov/{MAC}.cfg    generic          /{mac}.cfg   Yealink, Polycom master
 *   /{mac}.xml, /snom-{MAC}.xml  Snom   /cfg{mac}.xml  Grandstream
 *   /{mac}-phone.cfg   Polycom
 * MAC digits in either case, no separators. Returns 0, or ENOENT for
 * a path of no such form.
 */
int prov_path_parse(const char *path, char *mac, enum prov_file *file);

/*
 * Unknown MACs asked per source range (prov/unknown.c): an IPv4 address,
 * an IPv6 address as its /guard.ipv6_prefix, like the ban it leads to,
 * so one host cannot spread its guesses over the addresses of its /64.
 * A fixed table, PROV_UNKNOWN_PROBES slots tried per range: a range
 * takes a free or expired one, else the one with the lowest count, then
 * the oldest window (that range's count starts again): a flood of fresh
 * ranges cannot push out the one closest to a strike. Memory never grows.
 */
#define PROV_UNKNOWN_SLOTS 1024
#define PROV_UNKNOWN_PROBES 4

struct prov_unknown {
	struct cidr range;
	time_t start;
	unsigned count;
	bool used;
};

struct prov_unknowns {
	uint64_t key[2]; /* SipHash key: slots a client cannot aim at */
	unsigned v6_prefix, limit, window;
	struct prov_unknown slot[PROV_UNKNOWN_SLOTS];
};

/* "seed" makes the slot key; 0: a random key (tests pass their own). */
void prov_unknowns_init(struct prov_unknowns *t, unsigned v6_prefix,
    unsigned limit, unsigned window, uint64_t seed);
/*
 * One more unknown MAC from "src" at "now". True when its range reached
 * "limit" within "window" seconds (its count then starts again): the
 * caller strikes the source. Never true for an address of no family.
 */
bool prov_unknowns_note(
    struct prov_unknowns *t, const struct sa *src, time_t now);

#endif /* CENTINELA_PROV_PROV_INT_H */

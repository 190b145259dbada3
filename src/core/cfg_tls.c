/*
 * core/cfg_tls.c -- loads the "tls" section (core/cfg_tls.h) and the
 * tls_profile / tls_id keys of listeners, upstreams and peers.
 *
 * Only the shape is checked here; net/tls.c loads the files (centinela
 * -t does too) and reports what OpenSSL thinks of them.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/cfg_int.h"

static const char *const role_names[] = { "public", "pbx", "carrier",
	"customer" };

void
cfg_tls_defaults(struct cfg_tls *t)
{
	memset(t, 0, sizeof(*t));
	t->nprofiles = 1;
	t->profiles[0].min_version = 12;
}

int
cfg_tls_profile_find(const struct cfg_tls *t, const char *name)
{
	unsigned i;

	for (i = 0; i < t->nprofiles; i++)
		if (strcmp(t->profiles[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
cfg_tls_id_canon(const char *in, char *out, unsigned cap)
{
	size_t n = 0;
	const char *p;

	if (strncmp(in, "subject:", 8) == 0) {
		if (!in[8] || strlen(in) >= cap)
			return EINVAL;
		snprintf(out, cap, "%s", in);
		return 0;
	}
	if (strncmp(in, "sha256:", 7) != 0 || cap < 7 + 64 + 1)
		return EINVAL;
	memcpy(out, "sha256:", 7);
	for (p = in + 7; *p; p++) {
		if (*p == ':')
			continue;
		if (!isxdigit((unsigned char)*p) || n == 64)
			return EINVAL;
		out[7 + n++] = (char)tolower((unsigned char)*p);
	}
	if (n != 64)
		return EINVAL;
	out[7 + n] = '\0';
	return 0;
}

static void
get_verify(struct ld *ld, const config_setting_t *g, enum cfg_tls_verify *v)
{
	char buf[16];
	const config_setting_t *s;

	s = cfg_get_string(ld, g, "verify_client", buf, sizeof(buf), false);
	if (!s)
		return;
	if (strcmp(buf, "none") == 0)
		*v = CFG_TLS_VERIFY_NONE;
	else if (strcmp(buf, "optional") == 0)
		*v = CFG_TLS_VERIFY_OPTIONAL;
	else if (strcmp(buf, "require") == 0)
		*v = CFG_TLS_VERIFY_REQUIRE;
	else
		cfg_err_at(ld, s,
		    "verify_client: \"%s\" is not none, optional or require",
		    buf);
}

static void
get_names(struct ld *ld, const config_setting_t *g, struct cfg_tls_profile *p)
{
	const config_setting_t *l = cfg_member(g, "server_names");
	int i, n;

	if (!l)
		return;
	if (!config_setting_is_array(l) && !config_setting_is_list(l)) {
		cfg_err_at(ld, l, "server_names: expected [ \"name\", ... ]");
		return;
	}
	n = config_setting_length(l);
	if (n > CFG_TLS_MAX_NAMES) {
		cfg_err_at(
		    ld, l, "server_names: at most %d names", CFG_TLS_MAX_NAMES);
		return;
	}
	p->nserver_names = 0;
	for (i = 0; i < n; i++) {
		const char *v = config_setting_get_string_elem(l, i);

		if (!v || !v[0] || strlen(v) >= CFG_TLS_HOST_MAX ||
		    strchr(v, ' ')) {
			cfg_err_at(ld, l,
			    "server_names: entry %d is not a "
			    "host name",
			    i);
			continue;
		}
		snprintf(p->server_names[p->nserver_names++], CFG_TLS_HOST_MAX,
		    "%s", v);
	}
}

/* The keys every profile has, the section's own included. */
static void
load_profile(
    struct ld *ld, const config_setting_t *g, struct cfg_tls_profile *p)
{
	const config_setting_t *s;
	char buf[8];

	p->line = config_setting_source_line(g);
	cfg_get_string(ld, g, "certificate", p->cert, sizeof(p->cert), false);
	cfg_get_string(ld, g, "private_key", p->key, sizeof(p->key), false);
	cfg_get_string(ld, g, "ca_file", p->ca, sizeof(p->ca), false);
	cfg_get_string(ld, g, "ciphers", p->ciphers, sizeof(p->ciphers), false);
	cfg_get_string(ld, g, "ciphersuites", p->ciphersuites,
	    sizeof(p->ciphersuites), false);
	s = cfg_get_string(ld, g, "min_version", buf, sizeof(buf), false);
	if (s) {
		if (strcmp(buf, "1.2") == 0)
			p->min_version = 12;
		else if (strcmp(buf, "1.3") == 0)
			p->min_version = 13;
		else
			cfg_err_at(ld, s,
			    "min_version: \"%s\" is not \"1.2\" or \"1.3\" "
			    "(older versions are not offered)",
			    buf);
	}
	get_verify(ld, g, &p->verify_client);
	cfg_get_bool(ld, g, "verify_upstream", &p->verify_server);
	cfg_get_string(ld, g, "sni", p->sni, sizeof(p->sni), false);
	get_names(ld, g, p);
	if ((p->cert[0] != 0) != (p->key[0] != 0))
		cfg_err_at(ld, g,
		    "tls%s%s: certificate and private_key go together",
		    p->name[0] ? " profile " : "", p->name);
	if (p->verify_client == CFG_TLS_VERIFY_REQUIRE && !p->ca[0])
		cfg_err_at(ld, g,
		    "tls%s%s: verify_client = \"require\" needs ca_file (the "
		    "CA that signs the client certificates)",
		    p->name[0] ? " profile " : "", p->name);
}

static void
load_require(struct ld *ld, const config_setting_t *g, struct cfg_tls *t)
{
	const config_setting_t *l = cfg_member(g, "require");
	int i, n;
	unsigned r;

	if (!l)
		return;
	if (!config_setting_is_array(l) && !config_setting_is_list(l)) {
		cfg_err_at(ld, l, "require: expected [ \"public\", ... ]");
		return;
	}
	memset(t->require, 0, sizeof(t->require));
	n = config_setting_length(l);
	for (i = 0; i < n; i++) {
		const char *v = config_setting_get_string_elem(l, i);

		for (r = 0; v && r < 4; r++)
			if (strcmp(v, role_names[r]) == 0)
				break;
		if (!v || r == 4) {
			cfg_err_at(ld, l,
			    "require: \"%s\" is not a role (public, pbx, "
			    "carrier, customer)",
			    v ? v : "(not a string)");
			continue;
		}
		t->require[r] = true;
	}
}

/* tls_profile = "NAME" of entry "e" into *idx. */
static void
get_profile_ref(struct ld *ld, const config_setting_t *e, unsigned *idx)
{
	char buf[64];
	const config_setting_t *s;
	int i;

	s = cfg_get_string(ld, e, "tls_profile", buf, sizeof(buf), false);
	if (!s)
		return;
	i = cfg_tls_profile_find(&ld->cfg->tls, buf);
	if (i < 0)
		cfg_err_at(ld, s,
		    "tls_profile: no profile \"%s\" in tls.profiles", buf);
	else
		*idx = (unsigned)i;
}

/* The tls_profile / tls_id keys of listen, upstreams and peers. */
static void
load_refs(struct ld *ld, const config_setting_t *root)
{
	struct cfg *cfg = ld->cfg;
	const config_setting_t *l;
	unsigned i;

	if ((l = cfg_member(root, "listen")))
		for (i = 0; i < cfg->nlisten; i++)
			get_profile_ref(ld, config_setting_get_elem(l, i),
			    &cfg->listen[i].tls_profile);
	if ((l = cfg_member(root, "upstreams")))
		for (i = 0; i < cfg->nupstreams; i++)
			get_profile_ref(ld, config_setting_get_elem(l, i),
			    &cfg->upstreams[i].tls_profile);
	if (!(l = cfg_member(root, "peers")))
		return;
	for (i = 0; i < cfg->npeers; i++) {
		const config_setting_t *e = config_setting_get_elem(l, i), *s;
		struct cfg_peer *p = &cfg->peers[i];
		char buf[CFG_TLSID_MAX];

		get_profile_ref(ld, e, &p->tls_profile);
		s = cfg_get_string(ld, e, "tls_id", buf, sizeof(buf), false);
		if (s && cfg_tls_id_canon(buf, p->tls_id, sizeof(p->tls_id)))
			cfg_err_at(ld, s,
			    "tls_id: \"%s\" is neither \"sha256:<64 hex "
			    "digits>\" nor \"subject:<DN>\"",
			    buf);
	}
}

void
cfg_load_tls(struct ld *ld, const config_setting_t *root)
{
	static const char *const known[] = { "certificate", "private_key",
		"ca_file", "verify_upstream", "min_version", "ciphers",
		"ciphersuites", "verify_client", "sni", "server_names",
		"require", "profiles", NULL };
	static const char *const pknown[] = { "name", "certificate",
		"private_key", "ca_file", "verify_upstream", "min_version",
		"ciphers", "ciphersuites", "verify_client", "sni",
		"server_names", NULL };
	struct cfg_tls *t = &ld->cfg->tls;
	const config_setting_t *g = cfg_member(root, "tls"), *l;
	int i, n;

	if (g) {
		if (!config_setting_is_group(g)) {
			cfg_err_at(ld, g, "tls: expected a group { ... }");
			return;
		}
		cfg_check_known(ld, g, known, "tls");
		load_profile(ld, g, &t->profiles[0]);
		load_require(ld, g, t);
	}
	l = g ? cfg_member(g, "profiles") : NULL;
	if (l && !config_setting_is_list(l)) {
		cfg_err_at(ld, l, "tls.profiles: expected ( { ... }, ... )");
		l = NULL;
	}
	n = l ? config_setting_length(l) : 0;
	if (n > CFG_MAX_TLS_PROFILES - 1) {
		cfg_err_at(ld, l, "tls.profiles: at most %d",
		    CFG_MAX_TLS_PROFILES - 1);
		n = 0;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(l, i);
		struct cfg_tls_profile *p = &t->profiles[t->nprofiles];
		char name[64] = "";

		if (!config_setting_is_group(e)) {
			cfg_err_at(ld, e,
			    "tls.profiles: each entry must be a "
			    "group");
			continue;
		}
		cfg_check_known(ld, e, pknown, "tls.profiles");
		if (!cfg_get_string(ld, e, "name", name, sizeof(name), true))
			continue;
		if (!name[0] || cfg_tls_profile_find(t, name) >= 0) {
			cfg_err_at(ld, e,
			    "tls.profiles: name \"%s\" is empty or used twice",
			    name);
			continue;
		}
		*p = t->profiles[0];
		p->nserver_names = 0; /* SNI names pick one profile each */
		snprintf(p->name, sizeof(p->name), "%s", name);
		load_profile(ld, e, p);
		t->nprofiles++;
	}
	load_refs(ld, root);
}

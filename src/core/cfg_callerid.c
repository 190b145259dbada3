/*
 * core/cfg_callerid.c -- the "callerid" section and the caller-ID
 * attributes of peers (class, flags, provider).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>
#include <time.h>

#include "core/cfg_int.h"
#include "core/date.h"

static const char *const class_names[] = { "", "national", "international",
	"access" };

const char *
peer_class_name(enum peer_class c)
{
	return (unsigned)c < 4 ? class_names[c] : "?";
}

static const struct {
	const char *name;
	unsigned flag;
} peer_flags[] = {
	{ "commercial", PEER_F_COMMERCIAL },
	{ "customer-service", PEER_F_CUSTOMER_SERVICE },
	{ "in_scope_ley_10_2025", PEER_F_LEY_10_2025 },
	{ "roaming", PEER_F_ROAMING },
};

static const struct {
	enum reason reason;
	const char *from;
} rule_defaults[CID__COUNT] = {
#define CID_RULE_DEF(e, r, d) { r, d },
	CID_RULE_LIST(CID_RULE_DEF)
#undef CID_RULE_DEF
};

void
cfg_callerid_defaults(struct cfg_callerid *c)
{
	unsigned i;

	memset(c, 0, sizeof(*c));
	c->enabled = true;
	c->bare_cc = true;
	c->status = 608;
	memcpy(c->phrase, "Rejected", sizeof("Rejected"));
	c->reason_header = true;
	c->roaming = CID_ROAMING_BLOCK;
	c->no_data_pass = true;
	for (i = 0; i < CID__COUNT; i++) {
		c->rules[i].enabled = true;
		date_parse(rule_defaults[i].from, &c->rules[i].from, NULL, 0);
	}
	c->robinson_timeout = 1000;
	c->robinson_cache = 86400;
	snprintf(c->robinson_region, sizeof(c->robinson_region), "eu-west-1");
	snprintf(
	    c->robinson_service, sizeof(c->robinson_service), "execute-api");
	c->robinson_batch = 20;
	c->robinson_inflight = 64;
	c->robinson_cache_max = 100000;
	c->report_flush = 10;
}

static void
stir_defaults(struct cfg_stir *st)
{
	memset(st, 0, sizeof(*st));
	st->freshness = 60;
	st->ports[0] = 443;
	st->ports[1] = 8443;
	st->nports = 2;
	st->cache_max = 1024;
	st->fetch_timeout = 5000;
	st->sign_class[PEER_CLASS_ACCESS] = true;
}

void
cfg_load_peer_class(
    struct ld *ld, const config_setting_t *e, struct cfg_peer *p)
{
	const config_setting_t *s, *l;
	char buf[CFG_NAME_MAX];
	unsigned i, k;

	s = cfg_get_string(ld, e, "class", buf, sizeof(buf), false);
	if (s) {
		for (i = 1; i < 4; i++)
			if (strcmp(buf, class_names[i]) == 0)
				break;
		if (i == 4)
			cfg_err_at(ld, s,
			    "class: \"%s\" is not national, international or "
			    "access",
			    buf);
		else
			p->pclass = (enum peer_class)i;
	} else if (p->role == ROLE_CARRIER || p->role == ROLE_CUSTOMER)
		cfg_err_at(ld, e,
		    "peers: \"%s\" needs a class (national, international "
		    "or access): international calls must arrive on "
		    "interfaces kept apart (Orden TDF/149/2025 art. 5.4)",
		    p->name);
	else if (p->role == ROLE_PBX)
		p->pclass = PEER_CLASS_NONE;
	if ((l = cfg_member(e, "flags")) != NULL) {
		if (!config_setting_is_array(l) && !config_setting_is_list(l)) {
			cfg_err_at(ld, l, "flags: expected a list of names");
			return;
		}
		for (i = 0; i < (unsigned)config_setting_length(l); i++) {
			const config_setting_t *f =
			    config_setting_get_elem(l, i);
			const char *v = config_setting_get_string(f);

			for (k = 0; v &&
			     k < sizeof(peer_flags) / sizeof(peer_flags[0]);
			     k++)
				if (strcmp(v, peer_flags[k].name) == 0)
					break;
			if (!v ||
			    k == sizeof(peer_flags) / sizeof(peer_flags[0]))
				cfg_err_at(ld, f,
				    "flags: \"%s\" is not commercial, "
				    "customer-service, in_scope_ley_10_2025 or "
				    "roaming",
				    v ? v : "(not a string)");
			else
				p->flags |= peer_flags[k].flag;
		}
	}
	if ((p->flags & PEER_F_ROAMING) &&
	    p->pclass != PEER_CLASS_INTERNATIONAL)
		cfg_err_at(ld, e,
		    "flags: \"roaming\" only makes sense on an international "
		    "peer");
	memcpy(p->provider, p->name, sizeof(p->provider));
	cfg_get_string(
	    ld, e, "provider", p->provider, sizeof(p->provider), false);
}

static void
load_rules(struct ld *ld, const config_setting_t *g, struct cfg_callerid *c)
{
	static const char *const known[] = { "code", "mode", "from", NULL };
	const config_setting_t *l = cfg_member(g, "rules");
	unsigned i, k;

	if (!l)
		return;
	if (!config_setting_is_list(l)) {
		cfg_err_at(ld, l, "rules: expected a list ( {...}, ... )");
		return;
	}
	for (i = 0; i < (unsigned)config_setting_length(l); i++) {
		const config_setting_t *e = config_setting_get_elem(l, i), *s;
		char code[32], buf[32];

		if (!config_setting_is_group(e)) {
			cfg_err_at(ld, e, "rules: each entry must be a group");
			continue;
		}
		cfg_check_known(ld, e, known, "rules");
		if (!cfg_get_string(ld, e, "code", code, sizeof(code), true))
			continue;
		for (k = 0; k < CID__COUNT; k++)
			if (strcmp(code,
				reason_name(rule_defaults[k].reason)) == 0)
				break;
		if (k == CID__COUNT) {
			cfg_err_at(ld, e,
			    "rules: \"%s\" is not a caller-ID rule code (see "
			    "docs/CALLERID.md)",
			    code);
			continue;
		}
		s = cfg_get_string(ld, e, "mode", buf, sizeof(buf), false);
		if (s) {
			if (strcmp(buf, "off") == 0)
				c->rules[k].enabled = false;
			else if (strcmp(buf, "shadow") == 0)
				c->rules[k].shadow = true;
			else if (strcmp(buf, "enforce") != 0)
				cfg_err_at(ld, s,
				    "mode: \"%s\" is not enforce, shadow or "
				    "off",
				    buf);
		}
		s = cfg_get_string(ld, e, "from", buf, sizeof(buf), false);
		if (s) {
			char why[64];
			int64_t d;

			if (date_parse(buf, &d, why, sizeof(why)))
				cfg_err_at(ld, s,
				    "from: \"%s\" is not a date: %s", buf, why);
			else
				c->rules[k].from = d;
		}
	}
}

/* An AWS region or service name: letters, digits and '-'. */
static bool
aws_name(const char *s)
{
	size_t n = strspn(s,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");

	return n > 0 && s[n] == '\0';
}

static void
load_robinson(struct ld *ld, const config_setting_t *g, struct cfg_callerid *c)
{
	static const char *const known[] = { "url", "timeout", "fail", "cache",
		"region", "service", "batch", "inflight", "cache_max", NULL };
	const config_setting_t *r = cfg_member(g, "robinson"), *s;
	char buf[16];

	if (!r)
		return;
	if (!config_setting_is_group(r)) {
		cfg_err_at(ld, r, "robinson: expected a group { ... }");
		return;
	}
	cfg_check_known(ld, r, known, "robinson");
	s = cfg_get_string(
	    ld, r, "url", c->robinson_url, sizeof(c->robinson_url), false);
	if (s && c->robinson_url[0] &&
	    strncmp(c->robinson_url, "https://", 8) != 0 &&
	    strncmp(c->robinson_url, "http://", 7) != 0)
		cfg_err_at(ld, s, "url: \"%s\" is not an http(s) URL",
		    c->robinson_url);
	cfg_get_uint(ld, r, "timeout", 10, 30000, &c->robinson_timeout);
	cfg_get_duration(ld, r, "cache", 0, 2592000, &c->robinson_cache);
	s = cfg_get_string(ld, r, "region", c->robinson_region,
	    sizeof(c->robinson_region), false);
	if (s && !aws_name(c->robinson_region))
		cfg_err_at(ld, s, "region: \"%s\" is not an AWS region name",
		    c->robinson_region);
	s = cfg_get_string(ld, r, "service", c->robinson_service,
	    sizeof(c->robinson_service), false);
	if (s && !aws_name(c->robinson_service))
		cfg_err_at(ld, s, "service: \"%s\" is not an AWS service name",
		    c->robinson_service);
	cfg_get_uint(ld, r, "batch", 1, 100, &c->robinson_batch);
	cfg_get_uint(ld, r, "inflight", 1, 4096, &c->robinson_inflight);
	cfg_get_uint(ld, r, "cache_max", 1, 10000000, &c->robinson_cache_max);
	s = cfg_get_string(ld, r, "fail", buf, sizeof(buf), false);
	if (s) {
		if (strcmp(buf, "open") == 0)
			c->robinson_fail_open = true;
		else if (strcmp(buf, "closed") == 0)
			c->robinson_fail_open = false;
		else
			cfg_err_at(
			    ld, s, "fail: \"%s\" is not open or closed", buf);
	}
}

void
cfg_load_callerid(struct ld *ld, const config_setting_t *root)
{
	static const char *const known[] = { "enabled", "mode",
		"numbering_plan", "bare_country_code", "answer", "phrase",
		"reason_header", "roaming", "roaming_header",
		"ported_out_is_own", "without_register", "rules", "robinson",
		"report_flush", NULL };
	static const char *const roaming[] = { "block", "mark", "withhold" };
	struct cfg_callerid *c = &ld->cfg->callerid;
	const config_setting_t *g = cfg_member(root, "callerid"), *s;
	char buf[CFG_NAME_MAX];
	unsigned i, status = c->status;

	if (!g)
		return;
	if (!config_setting_is_group(g)) {
		cfg_err_at(ld, g, "callerid: expected a group { ... }");
		return;
	}
	cfg_check_known(ld, g, known, "callerid");
	cfg_get_bool(ld, g, "enabled", &c->enabled);
	cfg_get_mode(ld, g, &c->shadow);
	cfg_get_string(
	    ld, g, "numbering_plan", c->plan, sizeof(c->plan), false);
	cfg_get_bool(ld, g, "bare_country_code", &c->bare_cc);
	cfg_get_uint(ld, g, "answer", 400, 699, &status);
	c->status = (uint16_t)status;
	cfg_get_string(ld, g, "phrase", c->phrase, sizeof(c->phrase), false);
	for (i = 0; c->phrase[i]; i++)
		if ((unsigned char)c->phrase[i] < 0x20)
			cfg_err_at(ld, g, "phrase: control character");
	cfg_get_bool(ld, g, "reason_header", &c->reason_header);
	s = cfg_get_string(ld, g, "roaming", buf, sizeof(buf), false);
	if (s) {
		for (i = 0; i < 3; i++)
			if (strcmp(buf, roaming[i]) == 0)
				break;
		if (i == 3)
			cfg_err_at(ld, s,
			    "roaming: \"%s\" is not block, mark or withhold",
			    buf);
		else
			c->roaming = (enum cid_roaming)i;
	}
	s = cfg_get_string(ld, g, "roaming_header", c->roaming_header,
	    sizeof(c->roaming_header), false);
	for (i = 0; s && c->roaming_header[i]; i++)
		if (c->roaming_header[i] == ':' ||
		    (unsigned char)c->roaming_header[i] <= ' ') {
			cfg_err_at(ld, s, "roaming_header: not a header name");
			break;
		}
	cfg_get_bool(ld, g, "ported_out_is_own", &c->ported_out_is_own);
	s = cfg_get_string(ld, g, "without_register", buf, sizeof(buf), false);
	if (s) {
		if (strcmp(buf, "pass") == 0)
			c->no_data_pass = true;
		else if (strcmp(buf, "block") == 0)
			c->no_data_pass = false;
		else
			cfg_err_at(ld, s,
			    "without_register: \"%s\" is not pass or block",
			    buf);
	}
	load_rules(ld, g, c);
	load_robinson(ld, g, c);
	cfg_get_duration(ld, g, "report_flush", 1, 3600, &c->report_flush);
}

/* classes = [ "national", ... ] into out[4]; absent keeps out. */
static void
get_classes(
    struct ld *ld, const config_setting_t *g, const char *name, bool *out)
{
	const config_setting_t *l = cfg_member(g, name);
	unsigned i, k;

	if (!l)
		return;
	if (!config_setting_is_array(l) && !config_setting_is_list(l)) {
		cfg_err_at(ld, l, "%s: expected a list of peer classes", name);
		return;
	}
	memset(out, 0, 4 * sizeof(*out));
	for (i = 0; i < (unsigned)config_setting_length(l); i++) {
		const config_setting_t *e = config_setting_get_elem(l, i);
		const char *v = config_setting_get_string(e);

		for (k = 1; v && k < 4; k++)
			if (strcmp(v, class_names[k]) == 0)
				break;
		if (!v || k == 4)
			cfg_err_at(ld, e,
			    "%s: \"%s\" is not national, international or "
			    "access",
			    name, v ? v : "(not a string)");
		else
			out[k] = true;
	}
}

static void
load_stir_verify(struct ld *ld, const config_setting_t *g, struct cfg_stir *st)
{
	static const char *const known[] = { "classes", "required", "failure",
		"mode", "roots", "roots_dir", "crl", "https_ca", "freshness",
		"ports", "fetch_allow", "cache_max", "cn_lax", "strict_params",
		"fetch_timeout", NULL };
	const config_setting_t *s;
	char buf[16];
	unsigned i;

	cfg_check_known(ld, g, known, "stir.verify");
	get_classes(ld, g, "classes", st->verify_class);
	cfg_get_bool(ld, g, "required", &st->verify_required);
	cfg_get_mode(ld, g, &st->verify_shadow);
	s = cfg_get_string(ld, g, "failure", buf, sizeof(buf), false);
	if (s) {
		if (strcmp(buf, "reject") == 0)
			st->verify_continue = false;
		else if (strcmp(buf, "continue") == 0)
			st->verify_continue = true;
		else
			cfg_err_at(ld, s,
			    "failure: \"%s\" is not reject or continue", buf);
	}
	cfg_get_string(ld, g, "roots", st->roots, sizeof(st->roots), false);
	cfg_get_string(
	    ld, g, "roots_dir", st->roots_dir, sizeof(st->roots_dir), false);
	cfg_get_string(
	    ld, g, "https_ca", st->https_ca, sizeof(st->https_ca), false);
	if ((s = cfg_member(g, "crl")) != NULL) {
		if (!config_setting_is_array(s) ||
		    config_setting_length(s) > CFG_STIR_CRL_MAX)
			cfg_err_at(ld, s, "crl: expected at most %d file names",
			    CFG_STIR_CRL_MAX);
		else
			for (i = 0; i < (unsigned)config_setting_length(s);
			     i++) {
				const char *v =
				    config_setting_get_string_elem(s, (int)i);

				if (!v || !*v || strlen(v) >= CFG_PATH_MAX) {
					cfg_err_at(ld, s, "crl: bad file name");
					break;
				}
				memcpy(st->crl[st->ncrl++], v, strlen(v) + 1);
			}
	}
	cfg_get_duration(ld, g, "freshness", 1, 3600, &st->freshness);
	if ((s = cfg_member(g, "ports")) != NULL) {
		if (!config_setting_is_array(s) ||
		    config_setting_length(s) > CFG_STIR_PORTS_MAX ||
		    config_setting_length(s) == 0)
			cfg_err_at(ld, s,
			    "ports: expected 1 to %d port numbers",
			    CFG_STIR_PORTS_MAX);
		else {
			st->nports = 0;
			for (i = 0; i < (unsigned)config_setting_length(s);
			     i++) {
				int v = config_setting_get_int_elem(s, (int)i);

				if (v < 1 || v > 65535) {
					cfg_err_at(
					    ld, s, "ports: %d is no port", v);
					break;
				}
				st->ports[st->nports++] = (uint16_t)v;
			}
		}
	}
	cfg_get_cidrs(ld, g, "fetch_allow", st->fetch_allow, CFG_STIR_ALLOW_MAX,
	    &st->nfetch_allow);
	cfg_get_uint(ld, g, "cache_max", 1, 1000000, &st->cache_max);
	cfg_get_bool(ld, g, "cn_lax", &st->cn_lax);
	cfg_get_bool(ld, g, "strict_params", &st->strict_params);
	cfg_get_uint(ld, g, "fetch_timeout", 100, 60000, &st->fetch_timeout);
	for (i = 1; i < 4; i++)
		if (st->verify_class[i] && !st->roots[0] && !st->roots_dir[0]) {
			cfg_err_at(ld, g,
			    "stir.verify: \"roots\" or \"roots_dir\" is "
			    "needed to verify");
			break;
		}
}

void
cfg_load_stir(struct ld *ld, const config_setting_t *root)
{
	static const char *const known[] = { "verify", "sign", NULL };
	static const char *const sknown[] = { "classes", "key", "x5u", NULL };
	struct cfg_stir *st = &ld->cfg->stir;
	const config_setting_t *g = cfg_member(root, "stir"), *v, *s;

	stir_defaults(st);
	if (!g)
		return;
	if (!config_setting_is_group(g)) {
		cfg_err_at(ld, g, "stir: expected a group { ... }");
		return;
	}
	cfg_check_known(ld, g, known, "stir");
	if ((v = cfg_member(g, "verify")) != NULL) {
		if (config_setting_is_group(v))
			load_stir_verify(ld, v, st);
		else
			cfg_err_at(ld, v, "verify: expected a group { ... }");
	}
	if ((s = cfg_member(g, "sign")) != NULL) {
		if (!config_setting_is_group(s)) {
			cfg_err_at(ld, s, "sign: expected a group { ... }");
			return;
		}
		cfg_check_known(ld, s, sknown, "stir.sign");
		get_classes(ld, s, "classes", st->sign_class);
		cfg_get_string(
		    ld, s, "key", st->sign_key, sizeof(st->sign_key), true);
		v = cfg_get_string(
		    ld, s, "x5u", st->sign_x5u, sizeof(st->sign_x5u), true);
		if (v && strncmp(st->sign_x5u, "https://", 8) != 0)
			cfg_err_at(ld, v, "x5u: \"%s\" is not an https URL",
			    st->sign_x5u);
	}
}

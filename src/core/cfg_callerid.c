/*
 * core/cfg_callerid.c -- the "callerid" section and the caller-ID
 * attributes of peers (class, flags, provider).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>
#include <time.h>

#include "core/cfg_int.h"

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

/* "YYYY-MM-DD" -> unix seconds at 00:00 UTC; -1 when not a date. */
static int64_t
date_parse(const char *s)
{
	struct tm tm;
	const char *end;
	time_t t;
	int d, m;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) != 10 || !(end = strptime(s, "%Y-%m-%d", &tm)) ||
	    *end != '\0')
		return -1;
	d = tm.tm_mday;
	m = tm.tm_mon;
	t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != m)
		return -1;
	return (int64_t)t;
}

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
		c->rules[i].from = date_parse(rule_defaults[i].from);
	}
	c->robinson_timeout = 1000;
	c->robinson_cache = 86400;
	c->report_flush = 10;
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
			int64_t d = date_parse(buf);

			if (d < 0)
				cfg_err_at(ld, s,
				    "from: \"%s\" is not a date (YYYY-MM-DD)",
				    buf);
			else
				c->rules[k].from = d;
		}
	}
}

static void
load_robinson(struct ld *ld, const config_setting_t *g, struct cfg_callerid *c)
{
	static const char *const known[] = { "url", "timeout", "fail", "cache",
		NULL };
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

/*
 * core/cfg_guard.c -- the guard's configuration: guard, triggers, flood,
 * geoip, dnsbl and feeds. Same rules as core/cfg.c: every error names
 * its file and line, unknown settings are errors.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfg.h"
#include "core/cfg_int.h"

static const char *const action_names[] = { "log", "drop", "reject", "ban" };

const char *
guard_action_name(enum guard_action a)
{
	return (unsigned)a < 4 ? action_names[a] : "?";
}

int
cfg_duration_parse(const char *s, unsigned *secs)
{
	unsigned long long v = 0, mul = 1;
	const char *p = s;

	if (!s || !isdigit((unsigned char)*p))
		return EINVAL;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > 315360000ULL)
			return EINVAL;
		p++;
	}
	switch (*p) {
	case '\0':
		break;
	case 's':
		p++;
		break;
	case 'm':
		mul = 60;
		p++;
		break;
	case 'h':
		mul = 3600;
		p++;
		break;
	case 'd':
		mul = 86400;
		p++;
		break;
	case 'w':
		mul = 604800;
		p++;
		break;
	default:
		return EINVAL;
	}
	if (*p != '\0' || v * mul > 315360000ULL)
		return EINVAL;
	*secs = (unsigned)(v * mul);
	return 0;
}

/* A duration: "5m" or a bare integer of seconds, in [lo, hi]. */
void
cfg_get_duration(struct ld *ld, const config_setting_t *g, const char *name,
    unsigned lo, unsigned hi, unsigned *out)
{
	const config_setting_t *s = cfg_member(g, name);
	unsigned v;

	if (!s)
		return;
	if (config_setting_type(s) == CONFIG_TYPE_INT ||
	    config_setting_type(s) == CONFIG_TYPE_INT64) {
		long long n = config_setting_get_int64(s);

		if (n < 0 || n > 315360000LL) {
			cfg_err_at(
			    ld, s, "%s: %lld is not a duration", name, n);
			return;
		}
		v = (unsigned)n;
	} else if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		if (cfg_duration_parse(config_setting_get_string(s), &v)) {
			cfg_err_at(ld, s,
			    "%s: \"%s\" is not a duration (like 30s, 5m, "
			    "1h, 1d, 2w)",
			    name, config_setting_get_string(s));
			return;
		}
	} else {
		cfg_err_at(
		    ld, s, "%s: expected a duration (like \"5m\")", name);
		return;
	}
	if (v < lo || v > hi) {
		cfg_err_at(ld, s, "%s: %u s is out of range [%u, %u] s", name,
		    v, lo, hi);
		return;
	}
	*out = v;
}

/* An action among those of "allowed" (bit i: enum guard_action i). */
static void
get_action(struct ld *ld, const config_setting_t *g, const char *name,
    unsigned allowed, enum guard_action *out)
{
	char buf[CFG_NAME_MAX], list[64];
	const config_setting_t *s;
	size_t n = 0;
	unsigned i;

	s = cfg_get_string(ld, g, name, buf, sizeof(buf), false);
	if (!s)
		return;
	for (i = 0; i < 4; i++)
		if ((allowed & (1u << i)) &&
		    strcmp(buf, action_names[i]) == 0) {
			*out = (enum guard_action)i;
			return;
		}
	list[0] = '\0';
	for (i = 0; i < 4; i++)
		if (allowed & (1u << i))
			n += (size_t)snprintf(list + n, sizeof(list) - n,
			    "%s%s", n ? ", " : "", action_names[i]);
	cfg_err_at(ld, s, "%s: \"%s\" is not one of %s", name, buf, list);
}

#define ACT_ALL 0xfu

/* mode = "enforce" | "shadow"; absent keeps *shadow. */
void
cfg_get_mode(struct ld *ld, const config_setting_t *g, bool *shadow)
{
	char buf[16];
	const config_setting_t *s;

	s = cfg_get_string(ld, g, "mode", buf, sizeof(buf), false);
	if (!s)
		return;
	if (strcmp(buf, "enforce") == 0)
		*shadow = false;
	else if (strcmp(buf, "shadow") == 0)
		*shadow = true;
	else
		cfg_err_at(ld, s, "mode: \"%s\" is not enforce or shadow", buf);
}

static bool
is_list(const config_setting_t *s)
{
	return config_setting_is_array(s) || config_setting_is_list(s);
}

static void
get_countries(struct ld *ld, const config_setting_t *g, const char *name,
    char (*out)[3], unsigned *n)
{
	const config_setting_t *l = cfg_member(g, name);
	int i, cnt;

	if (!l)
		return;
	if (!is_list(l)) {
		cfg_err_at(ld, l, "%s: expected [ \"ES\", \"FR\", ... ]", name);
		return;
	}
	cnt = config_setting_length(l);
	if (cnt > CFG_MAX_COUNTRIES) {
		cfg_err_at(
		    ld, l, "%s: at most %d countries", name, CFG_MAX_COUNTRIES);
		return;
	}
	*n = 0;
	for (i = 0; i < cnt; i++) {
		const config_setting_t *e =
		    config_setting_get_elem(l, (unsigned)i);
		const char *v = config_setting_get_string(e);

		if (!v || strlen(v) != 2 || !isalpha((unsigned char)v[0]) ||
		    !isalpha((unsigned char)v[1])) {
			cfg_err_at(ld, e,
			    "%s[%d]: \"%s\" is not an ISO 3166 two-letter "
			    "country code",
			    name, i, v ? v : "(not a string)");
			continue;
		}
		out[*n][0] = (char)toupper((unsigned char)v[0]);
		out[*n][1] = (char)toupper((unsigned char)v[1]);
		out[*n][2] = '\0';
		(*n)++;
	}
}

/* Role names as the sub-groups of flood and geoip. */
static const char *const role_keys[CFG_NROLES] = { "public", "pbx", "carrier",
	"customer" };

static void
load_trigger(struct ld *ld, const config_setting_t *tg, const char *name,
    struct cfg_trigger *t, bool counted)
{
	static const char *const known[] = { "enabled", "count", "window",
		"action", "mode", "per_user", "ip_count", NULL };
	static const char *const known_nc[] = { "enabled", "action", "mode",
		NULL };
	const config_setting_t *g = cfg_member(tg, name);

	if (!g)
		return;
	if (!config_setting_is_group(g)) {
		cfg_err_at(
		    ld, g, "triggers.%s: expected a group { ... }", name);
		return;
	}
	cfg_check_known(ld, g, counted ? known : known_nc, name);
	if (strcmp(name, "auth_failures") != 0) {
		if (cfg_member(g, "per_user"))
			cfg_err_at(ld, cfg_member(g, "per_user"),
			    "per_user: only for auth_failures");
		if (cfg_member(g, "ip_count"))
			cfg_err_at(ld, cfg_member(g, "ip_count"),
			    "ip_count: only for auth_failures");
	}
	cfg_get_bool(ld, g, "enabled", &t->enabled);
	if (counted) {
		cfg_get_uint(ld, g, "count", 1, 1000000, &t->count);
		cfg_get_duration(ld, g, "window", 1, 2592000, &t->window);
	}
	/* A counting trigger fires after the fact: ban it, or log it. */
	get_action(ld, g, "action",
	    counted ? (1u << GA_LOG) | (1u << GA_BAN) : ACT_ALL, &t->action);
	cfg_get_mode(ld, g, &t->shadow);
}

static void
load_guard_group(struct ld *ld, const config_setting_t *root)
{
	static const char *const known[] = { "mode", "answer", "ladder",
		"memory", "ipv6_prefix", "max_sources", "allow", "signatures",
		"nftables", "nft_table", NULL };
	struct cfg_guard *gc = &ld->cfg->guard;
	const config_setting_t *g = cfg_member(root, "guard"), *s;
	char buf[CFG_NAME_MAX];
	int i, n;

	if (!g)
		return;
	cfg_check_known(ld, g, known, "guard");
	cfg_get_mode(ld, g, &gc->shadow);
	s = cfg_get_string(ld, g, "answer", buf, sizeof(buf), false);
	if (s && strcmp(buf, "drop") == 0)
		gc->answer_403 = false;
	else if (s && strcmp(buf, "403") == 0)
		gc->answer_403 = true;
	else if (s)
		cfg_err_at(ld, s, "answer: \"%s\" is not drop or 403", buf);
	if ((s = cfg_member(g, "ladder"))) {
		n = is_list(s) ? config_setting_length(s) : -1;
		if (n < 1 || n > CFG_MAX_LADDER) {
			cfg_err_at(ld, s,
			    "ladder: expected [ \"5m\", \"1d\", ... ] with 1 "
			    "to %d durations",
			    CFG_MAX_LADDER);
		} else {
			gc->nladder = 0;
			for (i = 0; i < n; i++) {
				const config_setting_t *e =
				    config_setting_get_elem(s, (unsigned)i);
				const char *v = config_setting_get_string(e);
				unsigned d;

				if (!v || cfg_duration_parse(v, &d) || d == 0)
					cfg_err_at(ld, e,
					    "ladder[%d]: \"%s\" is not a "
					    "duration (like 5m, 1d)",
					    i, v ? v : "(not a string)");
				else
					gc->ladder[gc->nladder++] = d;
			}
		}
	}
	cfg_get_duration(ld, g, "memory", 0, 315360000, &gc->memory);
	cfg_get_uint(ld, g, "ipv6_prefix", 32, 128, &gc->v6_prefix);
	cfg_get_uint(ld, g, "max_sources", 1024, 100000000, &gc->max_sources);
	cfg_get_cidrs(ld, g, "allow", gc->allow, CFG_MAX_ALLOW, &gc->nallow);
	cfg_get_string(
	    ld, g, "signatures", gc->signatures, sizeof(gc->signatures), false);
	cfg_get_bool(ld, g, "nftables", &gc->nft);
	s = cfg_get_string(
	    ld, g, "nft_table", gc->nft_table, sizeof(gc->nft_table), false);
	if (s) {
		size_t k;

		for (k = 0; gc->nft_table[k]; k++)
			if (!isalnum((unsigned char)gc->nft_table[k]) &&
			    gc->nft_table[k] != '_')
				break;
		if (k == 0 || gc->nft_table[k])
			cfg_err_at(ld, s,
			    "nft_table: \"%s\" must be letters, digits "
			    "and _",
			    gc->nft_table);
	}
}

static void
load_triggers(struct ld *ld, const config_setting_t *root)
{
	static const char *const known[] = { "auth_failures", "enumeration",
		"malformed", "scanner", NULL };
	struct cfg_guard *gc = &ld->cfg->guard;
	const config_setting_t *g = cfg_member(root, "triggers"), *a;

	if (!g)
		return;
	cfg_check_known(ld, g, known, "triggers");
	load_trigger(ld, g, "auth_failures", &gc->auth_failures, true);
	if ((a = cfg_member(g, "auth_failures")) &&
	    config_setting_is_group(a)) {
		cfg_get_bool(ld, a, "per_user", &gc->auth_per_user);
		cfg_get_uint(ld, a, "ip_count", 0, 1000000, &gc->auth_ip_count);
	}
	load_trigger(ld, g, "enumeration", &gc->enumeration, true);
	load_trigger(ld, g, "malformed", &gc->malformed, true);
	load_trigger(ld, g, "scanner", &gc->scanner, false);
}

static void
load_flood(struct ld *ld, const config_setting_t *root)
{
	static const char *const known[] = { "public", "pbx", "carrier",
		"customer", "mode", NULL };
	static const char *const role_k[] = { "rate", "burst", "action", NULL };
	struct cfg_guard *gc = &ld->cfg->guard;
	const config_setting_t *g = cfg_member(root, "flood"), *r;
	unsigned i;

	if (!g)
		return;
	cfg_check_known(ld, g, known, "flood");
	cfg_get_mode(ld, g, &gc->flood_shadow);
	for (i = 0; i < CFG_NROLES; i++) {
		struct cfg_flood *f = &gc->flood[i];

		if (!(r = cfg_member(g, role_keys[i])))
			continue;
		cfg_check_known(ld, r, role_k, role_keys[i]);
		cfg_get_uint(ld, r, "rate", 0, 10000000, &f->rate);
		if (cfg_member(r, "rate") && !cfg_member(r, "burst"))
			f->burst = f->rate * 2;
		cfg_get_uint(ld, r, "burst", 1, 100000000, &f->burst);
		get_action(ld, r, "action",
		    i == ROLE_PUBLIC ? (1u << GA_DROP) | (1u << GA_BAN) :
				       (1u << GA_DROP),
		    &f->action);
		if (f->rate && f->burst < 1)
			f->burst = 1;
	}
}

static void
load_geoip(struct ld *ld, const config_setting_t *root)
{
	static const char *const known[] = { "database", "mode", "public",
		"pbx", "carrier", "customer", NULL };
	static const char *const pol_k[] = { "allow", "deny", "action",
		"unknown", NULL };
	struct cfg_guard *gc = &ld->cfg->guard;
	const config_setting_t *g = cfg_member(root, "geoip"), *r;
	unsigned i;

	if (!g)
		return;
	cfg_check_known(ld, g, known, "geoip");
	cfg_get_string(
	    ld, g, "database", gc->geo_db, sizeof(gc->geo_db), false);
	cfg_get_mode(ld, g, &gc->geo_shadow);
	for (i = 0; i < CFG_NROLES; i++) {
		struct cfg_geo_policy *p = &gc->geo[i];

		if (!(r = cfg_member(g, role_keys[i])))
			continue;
		cfg_check_known(ld, r, pol_k, role_keys[i]);
		get_countries(ld, r, "allow", p->allow, &p->nallow);
		get_countries(ld, r, "deny", p->deny, &p->ndeny);
		get_action(ld, r, "action", ACT_ALL, &p->action);
		get_action(ld, r, "unknown", ACT_ALL, &p->unknown);
		if (i != ROLE_PUBLIC &&
		    (p->action == GA_BAN || p->unknown == GA_BAN))
			cfg_err_at(ld, r,
			    "%s: peers are never banned; use reject or "
			    "drop",
			    role_keys[i]);
	}
}

static bool
zone_ok(const char *z)
{
	size_t i, n = strlen(z);

	if (n == 0 || z[0] == '.' || z[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)z[i];

		if (!isalnum(c) && c != '-' && c != '.' && c != '_')
			return false;
		if (c == '.' && z[i + 1] == '.')
			return false;
	}
	return true;
}

static void
load_dnsbl(struct ld *ld, const config_setting_t *root)
{
	static const char *const known[] = { "servers", "timeout", "fail",
		"cache_max", "mode", "zones", NULL };
	static const char *const zone_k[] = { "zone", "action", "roles", NULL };
	struct cfg_guard *gc = &ld->cfg->guard;
	const config_setting_t *g = cfg_member(root, "dnsbl"), *s, *l;
	char buf[CFG_NAME_MAX];
	int i, n;

	if (!g)
		return;
	cfg_check_known(ld, g, known, "dnsbl");
	s = cfg_get_string(ld, g, "servers", gc->dnsbl_servers,
	    sizeof(gc->dnsbl_servers), false);
	if (s && gc->dnsbl_servers[0]) {
		char tmp[CFG_PATH_MAX], *tok, *save = NULL;

		snprintf(tmp, sizeof(tmp), "%s", gc->dnsbl_servers);
		for (tok = strtok_r(tmp, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			struct sa sa;

			while (*tok == ' ')
				tok++;
			if (sa_parse_hostport(tok, &sa, 53))
				cfg_err_at(ld, s,
				    "servers: \"%s\" is not an address "
				    "with an optional :port",
				    tok);
		}
	}
	cfg_get_uint(ld, g, "timeout", 10, 60000, &gc->dnsbl_timeout);
	s = cfg_get_string(ld, g, "fail", buf, sizeof(buf), false);
	if (s && strcmp(buf, "open") == 0)
		gc->dnsbl_fail_closed = false;
	else if (s && strcmp(buf, "closed") == 0)
		gc->dnsbl_fail_closed = true;
	else if (s)
		cfg_err_at(ld, s, "fail: \"%s\" is not open or closed", buf);
	cfg_get_uint(ld, g, "cache_max", 16, 10000000, &gc->dnsbl_cache_max);
	cfg_get_mode(ld, g, &gc->dnsbl_shadow);
	if (!(l = cfg_member(g, "zones")))
		return;
	n = config_setting_is_list(l) ? config_setting_length(l) : -1;
	if (n < 0 || n > CFG_MAX_DNSBL) {
		cfg_err_at(ld, l,
		    "zones: expected ( { zone = ...; }, ... ) "
		    "with at most %d zones",
		    CFG_MAX_DNSBL);
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *z =
		    config_setting_get_elem(l, (unsigned)i);
		struct cfg_dnsbl_zone *dz = &gc->dnsbl[gc->ndnsbl];
		const config_setting_t *rl;
		int j;

		memset(dz, 0, sizeof(*dz));
		dz->action = GA_REJECT;
		dz->roles[ROLE_PUBLIC] = true;
		cfg_check_known(ld, z, zone_k, "dnsbl zone");
		s = cfg_get_string(
		    ld, z, "zone", dz->zone, sizeof(dz->zone), true);
		if (s && !zone_ok(dz->zone)) {
			cfg_err_at(
			    ld, s, "zone: \"%s\" is not a DNS name", dz->zone);
			continue;
		}
		get_action(ld, z, "action",
		    (1u << GA_LOG) | (1u << GA_REJECT) | (1u << GA_DROP) |
			(1u << GA_BAN),
		    &dz->action);
		if ((rl = cfg_member(z, "roles"))) {
			memset(dz->roles, 0, sizeof(dz->roles));
			for (j = 0;
			     is_list(rl) && j < config_setting_length(rl);
			     j++) {
				const char *v = config_setting_get_string_elem(
				    rl, (unsigned)j);
				unsigned k;

				for (k = 0; v && k < CFG_NROLES; k++)
					if (strcmp(v, role_keys[k]) == 0)
						break;
				if (!v || k == CFG_NROLES)
					cfg_err_at(ld, rl,
					    "roles: \"%s\" is not public, "
					    "pbx, carrier or customer",
					    v ? v : "(not a string)");
				else
					dz->roles[k] = true;
			}
			if (!is_list(rl))
				cfg_err_at(ld, rl,
				    "roles: expected [ \"public\", ... ]");
		}
		if (dz->zone[0])
			gc->ndnsbl++;
	}
}

static void
load_feeds(struct ld *ld, const config_setting_t *root)
{
	static const char *const known[] = { "name", "url", "format",
		"interval", "ban_for", NULL };
	static const char *const fmts[] = { "plain", "rbldnsd", "json",
		"apiban" };
	struct cfg_guard *gc = &ld->cfg->guard;
	const config_setting_t *l = cfg_member(root, "feeds"), *s;
	char buf[CFG_NAME_MAX];
	int i, n;

	if (!l)
		return;
	n = config_setting_is_list(l) ? config_setting_length(l) : -1;
	if (n < 0 || n > CFG_MAX_FEEDS) {
		cfg_err_at(ld, l,
		    "feeds: expected ( { name = ...; url = ...; }, ... ) "
		    "with at most %d feeds",
		    CFG_MAX_FEEDS);
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *f =
		    config_setting_get_elem(l, (unsigned)i);
		struct cfg_feed *fd = &gc->feeds[gc->nfeeds];
		unsigned k, nerr = ld->nerr;

		memset(fd, 0, sizeof(*fd));
		fd->format = FEED_PLAIN;
		fd->interval = 900;
		fd->ban_for = 86400;
		cfg_check_known(ld, f, known, "feed");
		cfg_get_string(ld, f, "name", fd->name, sizeof(fd->name), true);
		s = cfg_get_string(
		    ld, f, "url", fd->url, sizeof(fd->url), true);
		if (s && strncmp(fd->url, "http://", 7) != 0 &&
		    strncmp(fd->url, "https://", 8) != 0)
			cfg_err_at(ld, s,
			    "url: \"%s\" is not http:// or "
			    "https://",
			    fd->url);
		s = cfg_get_string(ld, f, "format", buf, sizeof(buf), false);
		if (s) {
			for (k = 0; k < 4; k++)
				if (strcmp(buf, fmts[k]) == 0)
					break;
			if (k == 4)
				cfg_err_at(ld, s,
				    "format: \"%s\" is not plain, rbldnsd, "
				    "json or apiban",
				    buf);
			else
				fd->format = (enum feed_format)k;
		}
		cfg_get_duration(ld, f, "interval", 10, 604800, &fd->interval);
		cfg_get_duration(ld, f, "ban_for", 60, 315360000, &fd->ban_for);
		for (k = 0; k < gc->nfeeds; k++)
			if (strcmp(gc->feeds[k].name, fd->name) == 0)
				cfg_err_at(ld, f, "feed \"%s\" defined twice",
				    fd->name);
		if (ld->nerr == nerr)
			gc->nfeeds++;
	}
}

void
cfg_guard_defaults(struct cfg_guard *g)
{
	memset(g, 0, sizeof(*g));
	g->ladder[0] = 300;
	g->ladder[1] = 86400;
	g->nladder = 2;
	g->memory = 7 * 86400;
	g->v6_prefix = 64;
	g->max_sources = 262144;
	g->auth_failures = (struct cfg_trigger){ true, false, GA_BAN, 5, 600 };
	g->auth_per_user = true;
	g->auth_ip_count = 20;
	g->enumeration = (struct cfg_trigger){ true, false, GA_BAN, 10, 600 };
	g->malformed = (struct cfg_trigger){ true, false, GA_BAN, 10, 60 };
	g->scanner = (struct cfg_trigger){ true, false, GA_BAN, 1, 0 };
	g->flood[ROLE_PUBLIC] = (struct cfg_flood){ 100, 400, GA_BAN };
	g->flood[ROLE_PBX].action = GA_DROP;
	g->flood[ROLE_CARRIER].action = GA_DROP;
	g->flood[ROLE_CUSTOMER].action = GA_DROP;
	for (unsigned i = 0; i < CFG_NROLES; i++) {
		g->geo[i].action = GA_REJECT;
		g->geo[i].unknown = GA_LOG;
	}
	g->dnsbl_timeout = 1000;
	g->dnsbl_cache_max = 100000;
	snprintf(g->nft_table, sizeof(g->nft_table), "centinela");
}

void
cfg_load_guard(struct ld *ld, const config_setting_t *root)
{
	load_guard_group(ld, root);
	load_triggers(ld, root);
	load_flood(ld, root);
	load_geoip(ld, root);
	load_dnsbl(ld, root);
	load_feeds(ld, root);
}

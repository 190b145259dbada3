/*
 * core/cfg_fraud.c -- the "fraud" section (see core/cfg_fraud.h for the
 * shape). Class names are checked against the destination table the
 * section names, which is loaded here and kept with the configuration,
 * so `centinela -t` catches a misspelt class as FILE:LINE.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfg_fraud.h"
#include "core/cfg_int.h"
#include "fraud/dest.h"
#include "fraud/tzoff.h"

static const struct {
	const char *name;
	enum reason reason;
	enum fraud_rule_kind kind;
} rule_info[FRAUD__NRULES] = {
#define FRAUD_RULE_INFO(e, k, r, t) { k, r, t },
	FRAUD_RULE_LIST(FRAUD_RULE_INFO)
#undef FRAUD_RULE_INFO
};

static const char *const act_names[] = { "log", "alert", "reject", "cap",
	"suspend" };
#define NACTS (sizeof(act_names) / sizeof(act_names[0]))

static const char *const day_names[] = { "mon", "tue", "wed", "thu", "fri",
	"sat", "sun" };

/* Largest threshold per rule: what the counters can hold and compare. */
static uint64_t
rule_max(enum fraud_rule r)
{
	switch (r) {
	case FRAUD_R_DISTINCT:
		return CFG_FRAUD_DISTINCT_MAX;
	case FRAUD_R_SAME_NUMBER:
		return 65534;
	case FRAUD_R_COST_H:
	case FRAUD_R_COST_D:
		return 1000000000ULL * 10000; /* 1e9 in the currency */
	default:
		return 10000000;
	}
}

const char *
cfg_fraud_rule_name(enum fraud_rule r)
{
	return (unsigned)r < FRAUD__NRULES ? rule_info[r].name : "?";
}

enum fraud_rule_kind
cfg_fraud_rule_kind(enum fraud_rule r)
{
	return (unsigned)r < FRAUD__NRULES ? rule_info[r].kind : FRK_COUNT;
}

enum reason
cfg_fraud_rule_reason(enum fraud_rule r)
{
	return (unsigned)r < FRAUD__NRULES ? rule_info[r].reason : REASON_NONE;
}

bool
cfg_fraud_rule_can_cap(enum fraud_rule r)
{
	switch (r) {
	case FRAUD_R_CPM:
	case FRAUD_R_CPH:
	case FRAUD_R_CPD:
	case FRAUD_R_CONCURRENT:
	case FRAUD_R_DISTINCT:
	case FRAUD_R_MINUTES_H:
	case FRAUD_R_MINUTES_D:
	case FRAUD_R_COST_H:
	case FRAUD_R_COST_D:
		return true;
	default:
		return false;
	}
}

const char *
cfg_fraud_level_name(enum fraud_level l)
{
	switch (l) {
	case FRAUD_LEVEL_WARNING:
		return "warning";
	case FRAUD_LEVEL_CRITICAL:
		return "critical";
	default:
		return "none";
	}
}

const char *
cfg_fraud_actions_fmt(unsigned acts, char *buf, size_t cap)
{
	size_t n = 0;
	unsigned i;

	if (cap == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < NACTS; i++) {
		int w;

		if (!(acts & (1u << i)))
			continue;
		w = snprintf(
		    buf + n, cap - n, "%s%s", n ? "," : "", act_names[i]);
		if (w < 0 || (size_t)w >= cap - n)
			break;
		n += (size_t)w;
	}
	return buf;
}

static void
rules_defaults(struct cfg_fraud_rules *rs)
{
	memset(rs, 0, sizeof(*rs));
	memcpy(rs->tz, "UTC", sizeof("UTC"));
	rs->bl_factor = 500;
	rs->bl_min_calls = 20;
}

void
cfg_fraud_defaults(struct cfg_fraud *c)
{
	memset(c, 0, sizeof(*c));
	c->max_subjects = 100000;
	c->max_dialogs = 100000;
	c->max_duration = 4 * 3600;
	c->early_timeout = 180;
	c->retry_after = 60;
	c->alert_interval = 3600;
	c->persist_interval = 60;
	c->actions[FRAUD_LEVEL_WARNING] = FRAUD_ACT_LOG | FRAUD_ACT_ALERT;
	c->actions[FRAUD_LEVEL_CRITICAL] = FRAUD_ACT_ALERT | FRAUD_ACT_REJECT;
	rules_defaults(&c->defaults);
}

void
cfg_fraud_free(struct cfg_fraud *c)
{
	if (!c)
		return;
	free(c->accounts);
	c->accounts = NULL;
	c->naccounts = 0;
	free(c->trunks);
	c->trunks = NULL;
	c->ntrunks = 0;
	dest_free(c->dest);
	c->dest = NULL;
}

static bool
is_list(const config_setting_t *s)
{
	return config_setting_is_array(s) || config_setting_is_list(s);
}

/*
 * A list of action names into a FRAUD_ACT_* mask. "allowed" limits
 * the names; "why" says what is not allowed. Returns false on error.
 */
static bool
get_actions(struct ld *ld, const config_setting_t *l, const char *name,
    unsigned allowed, const char *why, uint8_t *out)
{
	unsigned i, k, mask = 0;
	bool ok = true;

	if (!is_list(l)) {
		cfg_err_at(ld, l,
		    "%s: expected a list of actions (log, alert, reject, "
		    "cap, suspend)",
		    name);
		return false;
	}
	for (i = 0; i < (unsigned)config_setting_length(l); i++) {
		const config_setting_t *e = config_setting_get_elem(l, i);
		const char *v = config_setting_get_string(e);

		for (k = 0; v && k < NACTS; k++)
			if (strcmp(v, act_names[k]) == 0)
				break;
		if (!v || k == NACTS) {
			cfg_err_at(ld, e,
			    "%s: \"%s\" is not log, alert, reject, cap or "
			    "suspend",
			    name, v ? v : "(not a string)");
			ok = false;
		} else if (!(allowed & (1u << k))) {
			cfg_err_at(ld, e, "%s: \"%s\" %s", name, v, why);
			ok = false;
		} else
			mask |= 1u << k;
	}
	if ((mask & FRAUD_ACT_CAP) && (mask & FRAUD_ACT_REJECT)) {
		cfg_err_at(
		    ld, l, "%s: cap and reject exclude each other", name);
		ok = false;
	}
	if (ok)
		*out = (uint8_t)mask;
	return ok;
}

/* actions = { warning = [...]; critical = [...]; } (global defaults). */
static void
get_level_actions(struct ld *ld, const config_setting_t *g, unsigned allowed,
    const char *why, uint8_t *acts)
{
	static const char *const known[] = { "warning", "critical", NULL };
	const config_setting_t *a = cfg_member(g, "actions"), *l;

	if (!a)
		return;
	if (!config_setting_is_group(a)) {
		cfg_err_at(ld, a,
		    "actions: expected a group { warning = [...]; "
		    "critical = [...]; }");
		return;
	}
	cfg_check_known(ld, a, known, "actions");
	if ((l = cfg_member(a, "warning")) != NULL)
		get_actions(
		    ld, l, "warning", allowed, why, &acts[FRAUD_LEVEL_WARNING]);
	if ((l = cfg_member(a, "critical")) != NULL)
		get_actions(ld, l, "critical", allowed, why,
		    &acts[FRAUD_LEVEL_CRITICAL]);
}

/* A threshold: integer calls/minutes, or a decimal amount (x 10000). */
static void
get_threshold(struct ld *ld, const config_setting_t *g, const char *name,
    enum fraud_rule r, uint64_t *out)
{
	const config_setting_t *s = cfg_member(g, name);
	uint64_t max = rule_max(r);
	int type;

	if (!s)
		return;
	type = config_setting_type(s);
	if (cfg_fraud_rule_kind(r) == FRK_COST) {
		double v;

		if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64)
			v = (double)config_setting_get_int64(s);
		else if (type == CONFIG_TYPE_FLOAT)
			v = config_setting_get_float(s);
		else {
			cfg_err_at(
			    ld, s, "%s: expected an amount (like 12.5)", name);
			return;
		}
		if (!(v >= 0.0001) || v > (double)max / 10000) {
			cfg_err_at(ld, s,
			    "%s: %g is out of range [0.0001, %.0f]", name, v,
			    (double)max / 10000);
			return;
		}
		*out = (uint64_t)llround(v * 10000);
		return;
	}
	if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
		cfg_err_at(ld, s, "%s: expected an integer", name);
		return;
	}
	if (config_setting_get_int64(s) < 1 ||
	    (uint64_t)config_setting_get_int64(s) > max) {
		cfg_err_at(ld, s, "%s: %lld is out of range [1, %llu]", name,
		    (long long)config_setting_get_int64(s),
		    (unsigned long long)max);
		return;
	}
	*out = (uint64_t)config_setting_get_int64(s);
}

static void
get_level(struct ld *ld, const config_setting_t *g, uint8_t *level)
{
	char buf[16];
	const config_setting_t *s;

	s = cfg_get_string(ld, g, "level", buf, sizeof(buf), false);
	if (!s)
		return;
	if (strcmp(buf, "warning") == 0)
		*level = FRAUD_LEVEL_WARNING;
	else if (strcmp(buf, "critical") == 0)
		*level = FRAUD_LEVEL_CRITICAL;
	else
		cfg_err_at(
		    ld, s, "level: \"%s\" is not warning or critical", buf);
}

/* Class names of the table into a mask; no table: nothing checked. */
static void
get_classes(
    struct ld *ld, const config_setting_t *l, const char *name, uint64_t *mask)
{
	const struct dest_table *dt = ld->cfg->fraud.dest;
	unsigned i;

	if (!is_list(l)) {
		cfg_err_at(ld, l, "%s: expected a list of class names", name);
		return;
	}
	for (i = 0; i < (unsigned)config_setting_length(l); i++) {
		const config_setting_t *e = config_setting_get_elem(l, i);
		const char *v = config_setting_get_string(e);
		int id;

		if (!v) {
			cfg_err_at(ld, e, "%s: expected a class name", name);
			continue;
		}
		if (!dt)
			continue;
		id = dest_class_find(dt, v);
		if (id < 0)
			cfg_err_at(ld, e,
			    "%s: \"%s\" is not a class of the destination "
			    "table (version %s)",
			    name, v, dest_version(dt));
		else
			*mask |= 1ULL << id;
	}
}

static int
day_parse(const char *s, size_t len)
{
	unsigned i;

	for (i = 0; i < 7; i++)
		if (len == 3 && memcmp(s, day_names[i], 3) == 0)
			return (int)i;
	return -1;
}

/* "08:00" (or "24:00" when end) into minutes of the day. */
static bool
hhmm_parse(const char *s, bool end, unsigned *out)
{
	unsigned h, m;

	if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' &&
		s[2] == ':' && s[3] >= '0' && s[3] <= '5' && s[4] >= '0' &&
		s[4] <= '9'))
		return false;
	h = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
	m = (unsigned)(s[3] - '0') * 10 + (unsigned)(s[4] - '0');
	if (h > 24 || (h == 24 && (m != 0 || !end)))
		return false;
	*out = h * 60 + m;
	return true;
}

/*
 * "mon-fri 08:00-20:00", "sat,sun", "daily 22:00-06:00": days (names,
 * ranges, comma lists, or "daily") and an optional time span.
 */
static bool
span_parse(const char *s, struct cfg_fraud_span *sp)
{
	const char *sp_at = strchr(s, ' ');
	size_t dlen = sp_at ? (size_t)(sp_at - s) : strlen(s);
	const char *p = s, *end = s + dlen;
	unsigned days = 0, from = 0, to = 1440;

	if (dlen == 5 && memcmp(s, "daily", 5) == 0)
		days = 0x7f;
	else
		while (p < end) {
			const char *comma = memchr(p, ',', (size_t)(end - p));
			const char *item_end = comma ? comma : end;
			const char *dash =
			    memchr(p, '-', (size_t)(item_end - p));
			int a, b, d;

			if (dash) {
				a = day_parse(p, (size_t)(dash - p));
				b = day_parse(
				    dash + 1, (size_t)(item_end - dash - 1));
			} else
				a = b = day_parse(p, (size_t)(item_end - p));
			if (a < 0 || b < 0)
				return false;
			/* "fri-mon" wraps over the week-end. */
			for (d = a;; d = (d + 1) % 7) {
				days |= 1u << d;
				if (d == b)
					break;
			}
			p = comma ? comma + 1 : end;
			if (comma && p == end)
				return false;
		}
	if (sp_at) {
		const char *t = sp_at + 1;

		if (strlen(t) != 11 || t[5] != '-' ||
		    !hhmm_parse(t, false, &from) ||
		    !hhmm_parse(t + 6, true, &to) || from == to)
			return false;
	}
	sp->days = (uint8_t)days;
	sp->from = (uint16_t)from;
	sp->to = (uint16_t)to;
	return days != 0;
}

static void
get_hours(struct ld *ld, const config_setting_t *g, struct cfg_fraud_rules *rs)
{
	const config_setting_t *l = cfg_member(g, "allow"), *s;
	char tz[CFG_FRAUD_TZ_MAX];
	unsigned i;

	rs->nspans = 0;
	if (!l) {
		cfg_err_at(ld, g, "hours: missing setting \"allow\"");
		return;
	}
	if (!is_list(l)) {
		cfg_err_at(
		    ld, l, "allow: expected a list of \"DAYS HH:MM-HH:MM\"");
		return;
	}
	if (config_setting_length(l) > CFG_FRAUD_SPANS_MAX) {
		cfg_err_at(
		    ld, l, "allow: more than %d spans", CFG_FRAUD_SPANS_MAX);
		return;
	}
	for (i = 0; i < (unsigned)config_setting_length(l); i++) {
		const config_setting_t *e = config_setting_get_elem(l, i);
		const char *v = config_setting_get_string(e);

		if (!v || !span_parse(v, &rs->spans[rs->nspans]))
			cfg_err_at(ld, e,
			    "allow: \"%s\" is not DAYS [HH:MM-HH:MM] (days: "
			    "mon..sun, ranges like mon-fri, lists like "
			    "sat,sun, or daily)",
			    v ? v : "(not a string)");
		else
			rs->nspans++;
	}
	s = cfg_get_string(ld, g, "tz", tz, sizeof(tz), false);
	if (s) {
		if (!tzoff_is_valid(tz))
			cfg_err_at(ld, s,
			    "tz: \"%s\" is not a time zone of the tz "
			    "database (like Europe/Madrid)",
			    tz);
		else
			memcpy(rs->tz, tz, sizeof(rs->tz));
	}
}

static void
get_baseline(
    struct ld *ld, const config_setting_t *g, struct cfg_fraud_rules *rs)
{
	const config_setting_t *s = cfg_member(g, "factor");

	if (s) {
		double v;

		if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
			v = config_setting_get_float(s);
		else if (config_setting_type(s) == CONFIG_TYPE_INT ||
		    config_setting_type(s) == CONFIG_TYPE_INT64)
			v = (double)config_setting_get_int64(s);
		else
			v = -1;
		if (!(v >= 1.0 && v <= 1000.0))
			cfg_err_at(ld, s,
			    "factor: expected a number in [1.0, 1000.0]");
		else
			rs->bl_factor = (unsigned)lround(v * 100);
	}
	cfg_get_uint(ld, g, "min_calls", 1, 65535, &rs->bl_min_calls);
}

/* One rule of a RULES group. */
static void
load_rule(struct ld *ld, const config_setting_t *s, enum fraud_rule r,
    struct cfg_fraud_rules *rs, bool trunk)
{
	static const char *const k_count[] = { "warning", "critical", "mode",
		"actions", NULL };
	static const char *const k_classes[] = { "classes", "level", "mode",
		"actions", NULL };
	static const char *const k_hours[] = { "allow", "tz", "level", "mode",
		"actions", NULL };
	static const char *const k_baseline[] = { "factor", "min_calls",
		"level", "mode", "actions", NULL };
	const struct cfg_fraud *c = &ld->cfg->fraud;
	struct cfg_fraud_rule *ru = &rs->r[r];
	enum fraud_rule_kind kind = cfg_fraud_rule_kind(r);
	const char *name = cfg_fraud_rule_name(r);
	unsigned allowed = 0x1f, lvl;
	uint8_t acts[3] = { 0, 0, 0 };
	bool given[3] = { false, false, false };
	const config_setting_t *a;
	const char *why = "is not allowed here";
	char where[64];

	memset(ru, 0, sizeof(*ru));
	rs->given |= 1u << r;
	snprintf(where, sizeof(where), "%s", name);
	if (!cfg_fraud_rule_can_cap(r)) {
		allowed &= ~FRAUD_ACT_CAP;
		why = "is not an action of this rule (cap is for the window "
		      "rules and concurrent)";
	}
	if (trunk) {
		allowed &= ~FRAUD_ACT_SUSPEND;
		why = "is not an action of a trunk (suspend is for accounts; "
		      "cap is for the window rules and concurrent)";
	}
	if (r == FRAUD_R_BLOCKED && is_list(s)) {
		get_classes(ld, s, name, &rs->blocked);
		ru->on = true;
		ru->level = FRAUD_LEVEL_CRITICAL;
		goto resolve;
	}
	if (!config_setting_is_group(s)) {
		cfg_err_at(ld, s, "%s: expected a group { ... }%s", name,
		    r == FRAUD_R_BLOCKED ? " or a list of classes" : "");
		return;
	}
	switch (kind) {
	case FRK_COUNT:
	case FRK_COST:
		cfg_check_known(ld, s, k_count, where);
		get_threshold(ld, s, "warning", r, &ru->warning);
		get_threshold(ld, s, "critical", r, &ru->critical);
		if (ru->warning && ru->critical && ru->warning >= ru->critical)
			cfg_err_at(
			    ld, s, "%s: warning must be below critical", name);
		ru->on = ru->warning || ru->critical;
		break;
	case FRK_CLASSES: {
		const config_setting_t *l = cfg_member(s, "classes");
		uint64_t *mask =
		    r == FRAUD_R_BLOCKED ? &rs->blocked : &rs->first_use;

		cfg_check_known(ld, s, k_classes, where);
		ru->level = r == FRAUD_R_BLOCKED ? FRAUD_LEVEL_CRITICAL :
						   FRAUD_LEVEL_WARNING;
		if (!l)
			cfg_err_at(
			    ld, s, "%s: missing setting \"classes\"", name);
		else
			get_classes(ld, l, "classes", mask);
		ru->on = *mask != 0;
		break;
	}
	case FRK_HOURS:
		cfg_check_known(ld, s, k_hours, where);
		ru->level = FRAUD_LEVEL_WARNING;
		get_hours(ld, s, rs);
		ru->on = rs->nspans > 0;
		break;
	case FRK_BASELINE:
		cfg_check_known(ld, s, k_baseline, where);
		ru->level = FRAUD_LEVEL_CRITICAL;
		get_baseline(ld, s, rs);
		ru->on = true;
		break;
	}
	if (kind != FRK_COUNT && kind != FRK_COST)
		get_level(ld, s, &ru->level);
	cfg_get_mode(ld, s, &ru->shadow);
	a = cfg_member(s, "actions");
	if (a && (kind == FRK_COUNT || kind == FRK_COST)) {
		static const char *const known[] = { "warning", "critical",
			NULL };
		const config_setting_t *l;

		if (!config_setting_is_group(a))
			cfg_err_at(ld, a,
			    "actions: expected a group { warning = [...]; "
			    "critical = [...]; }");
		else {
			cfg_check_known(ld, a, known, "actions");
			for (lvl = 1; lvl <= 2; lvl++)
				if ((l = cfg_member(
					 a, lvl == 1 ? "warning" : "critical")))
					given[lvl] = get_actions(ld, l,
					    lvl == 1 ? "warning" : "critical",
					    allowed, why, &acts[lvl]);
		}
	} else if (a)
		given[ru->level] = get_actions(
		    ld, a, "actions", allowed, why, &acts[ru->level]);
resolve:
	for (lvl = 1; lvl <= 2; lvl++) {
		unsigned m = given[lvl] ? acts[lvl] : c->actions[lvl];

		/* A default "cap" on a rule that cannot cap: reject. */
		if ((m & FRAUD_ACT_CAP) && !cfg_fraud_rule_can_cap(r))
			m = (m & ~FRAUD_ACT_CAP) | FRAUD_ACT_REJECT;
		/* Blocked classes are always refused. */
		if (r == FRAUD_R_BLOCKED)
			m = (m & ~FRAUD_ACT_CAP) | FRAUD_ACT_REJECT;
		ru->actions[lvl] = (uint8_t)m;
	}
}

static void
load_rules(struct ld *ld, const config_setting_t *g, const char *const *extra,
    const char *where, struct cfg_fraud_rules *rs, bool trunk)
{
	const char *known[FRAUD__NRULES + 4];
	unsigned i, n = 0;

	for (i = 0; i < FRAUD__NRULES; i++)
		known[n++] = cfg_fraud_rule_name((enum fraud_rule)i);
	for (i = 0; extra && extra[i] && n < FRAUD__NRULES + 3; i++)
		known[n++] = extra[i];
	known[n] = NULL;
	cfg_check_known(ld, g, known, where);
	for (i = 0; i < FRAUD__NRULES; i++) {
		const config_setting_t *s =
		    cfg_member(g, cfg_fraud_rule_name((enum fraud_rule)i));

		if (s)
			load_rule(ld, s, (enum fraud_rule)i, rs, trunk);
	}
}

static void
load_accounts(struct ld *ld, const config_setting_t *g)
{
	static const char *const extra[] = { "user", "domain", NULL };
	struct cfg_fraud *c = &ld->cfg->fraud;
	const config_setting_t *l = cfg_member(g, "accounts");
	unsigned i, j, n;

	if (!l)
		return;
	if (!config_setting_is_list(l)) {
		cfg_err_at(ld, l,
		    "accounts: expected a list ( { user = ...; "
		    "RULES }, ... )");
		return;
	}
	n = (unsigned)config_setting_length(l);
	if (n == 0)
		return;
	c->accounts = calloc(n, sizeof(*c->accounts));
	if (!c->accounts) {
		cfg_err_at(ld, l, "accounts: out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(l, i);
		struct cfg_fraud_account *ac = &c->accounts[c->naccounts];

		if (!config_setting_is_group(e)) {
			cfg_err_at(
			    ld, e, "accounts: each entry must be a group");
			continue;
		}
		rules_defaults(&ac->rules);
		if (!cfg_get_string(
			ld, e, "user", ac->user, sizeof(ac->user), true))
			continue;
		if (!ac->user[0] || strchr(ac->user, '@')) {
			cfg_err_at(ld, e,
			    "accounts: user \"%s\" must be a non-empty name "
			    "without '@'",
			    ac->user);
			continue;
		}
		cfg_get_string(
		    ld, e, "domain", ac->domain, sizeof(ac->domain), false);
		for (j = 0; j < c->naccounts; j++)
			if (strcmp(c->accounts[j].user, ac->user) == 0 &&
			    strcmp(c->accounts[j].domain, ac->domain) == 0)
				break;
		if (j < c->naccounts) {
			cfg_err_at(ld, e, "accounts: \"%s@%s\" is listed twice",
			    ac->user, ac->domain);
			continue;
		}
		load_rules(ld, e, extra, "accounts", &ac->rules, false);
		c->naccounts++;
	}
}

static void
load_trunks(struct ld *ld, const config_setting_t *g)
{
	static const char *const extra[] = { "peer", NULL };
	struct cfg_fraud *c = &ld->cfg->fraud;
	const struct cfg *cfg = ld->cfg;
	const config_setting_t *l = cfg_member(g, "trunks");
	unsigned i, j, n;

	if (!l)
		return;
	if (!config_setting_is_list(l)) {
		cfg_err_at(ld, l,
		    "trunks: expected a list ( { peer = ...; RULES }, ... )");
		return;
	}
	n = (unsigned)config_setting_length(l);
	if (n == 0)
		return;
	c->trunks = calloc(n, sizeof(*c->trunks));
	if (!c->trunks) {
		cfg_err_at(ld, l, "trunks: out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(l, i);
		struct cfg_fraud_trunk *tk = &c->trunks[c->ntrunks];

		if (!config_setting_is_group(e)) {
			cfg_err_at(ld, e, "trunks: each entry must be a group");
			continue;
		}
		rules_defaults(&tk->rules);
		if (!cfg_get_string(
			ld, e, "peer", tk->peer, sizeof(tk->peer), true))
			continue;
		for (j = 0; j < cfg->npeers; j++)
			if (strcmp(cfg->peers[j].name, tk->peer) == 0)
				break;
		if (j == cfg->npeers) {
			cfg_err_at(ld, cfg_member(e, "peer"),
			    "peer: \"%s\" is not a name of peers", tk->peer);
			continue;
		}
		for (j = 0; j < c->ntrunks; j++)
			if (strcmp(c->trunks[j].peer, tk->peer) == 0)
				break;
		if (j < c->ntrunks) {
			cfg_err_at(
			    ld, e, "trunks: \"%s\" is listed twice", tk->peer);
			continue;
		}
		load_rules(ld, e, extra, "trunks", &tk->rules, true);
		c->ntrunks++;
	}
}

void
cfg_load_fraud(struct ld *ld, const config_setting_t *root)
{
	static const char *const known[] = { "enabled", "mode", "destinations",
		"max_subjects", "max_dialogs", "max_duration", "early_timeout",
		"retry_after", "alert_interval", "persist_interval", "actions",
		"defaults", "accounts", "trunks", NULL };
	struct cfg_fraud *c = &ld->cfg->fraud;
	const config_setting_t *g = cfg_member(root, "fraud"), *s, *d;

	if (!g)
		return;
	if (!config_setting_is_group(g)) {
		cfg_err_at(ld, g, "fraud: expected a group { ... }");
		return;
	}
	cfg_check_known(ld, g, known, "fraud");
	cfg_get_bool(ld, g, "enabled", &c->enabled);
	cfg_get_mode(ld, g, &c->shadow);
	s = cfg_get_string(ld, g, "destinations", c->destinations,
	    sizeof(c->destinations), false);
	cfg_get_uint(ld, g, "max_subjects", 16, 10000000, &c->max_subjects);
	cfg_get_uint(ld, g, "max_dialogs", 1, 10000000, &c->max_dialogs);
	cfg_get_duration(
	    ld, g, "max_duration", 10, 7 * 86400, &c->max_duration);
	cfg_get_duration(ld, g, "early_timeout", 5, 3600, &c->early_timeout);
	cfg_get_duration(ld, g, "retry_after", 1, 86400, &c->retry_after);
	cfg_get_duration(
	    ld, g, "alert_interval", 60, 7 * 86400, &c->alert_interval);
	cfg_get_duration(
	    ld, g, "persist_interval", 1, 3600, &c->persist_interval);
	get_level_actions(ld, g, 0x1f, "", c->actions);

	/* The table first: the rules name its classes. */
	if (dest_load(&c->dest, c->destinations[0] ? c->destinations : NULL,
		ld->errf)) {
		c->dest = NULL;
		cfg_err_at(ld, s ? s : g,
		    "destinations: the table \"%s\" cannot be used",
		    c->destinations[0] ? c->destinations : "(embedded)");
	}
	d = cfg_member(g, "defaults");
	if (d) {
		if (!config_setting_is_group(d))
			cfg_err_at(
			    ld, d, "defaults: expected a group { RULES }");
		else
			load_rules(
			    ld, d, NULL, "defaults", &c->defaults, false);
	}
	load_accounts(ld, g);
	load_trunks(ld, g);
}

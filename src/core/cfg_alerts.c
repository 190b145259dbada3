/*
 * core/cfg_alerts.c -- the "alerts" section (see core/cfg_alerts.h).
 * Same rules as core/cfg.c: every error names its file and line,
 * unknown settings are errors. Nothing here reads a secret or the
 * environment: the router does when it starts.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <curl/curl.h>

#include "core/cfg.h"
#include "core/cfg_alerts.h"
#include "core/cfg_int.h"

#define MS_MAX 86400000u /* one day, the longest ms setting */

static const char *const sev_names[] = { "info", "warning", "critical" };
static const char *const type_names[] = { "webhook", "email", "syslog" };

static const struct {
	const char *name;
	int facility;
} facilities[] = {
	{ "user", LOG_USER },
	{ "daemon", LOG_DAEMON },
	{ "auth", LOG_AUTH },
	{ "authpriv", LOG_AUTHPRIV },
	{ "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
};

#define NFACILITIES (sizeof(facilities) / sizeof(facilities[0]))

int
cfg_alert_sev_parse(const char *s)
{
	int i;

	for (i = 0; s && i < 3; i++)
		if (strcmp(s, sev_names[i]) == 0)
			return i;
	return -1;
}

const char *
cfg_alert_sev_name(unsigned sev)
{
	return sev < 3 ? sev_names[sev] : "?";
}

const char *
cfg_alert_type_name(enum cfg_alert_type t)
{
	return (unsigned)t < 3 ? type_names[t] : "?";
}

void
cfg_alerts_defaults(struct cfg_alerts *a)
{
	memset(a, 0, sizeof(*a));
	a->dedup = 600;
	a->rate_max = 100;
	a->rate_per = 60;
	a->retry_base = 1000;
	a->retry_max = 300000;
	a->max_age = 7 * 86400;
	a->keep = 90 * 86400;
}

/*
 * A time in milliseconds: an integer (ms), or a string with a unit:
 * "250ms", "2s", "5m", "1h" (a bare number in a string is seconds, as
 * for every other duration). In [lo, hi] ms; absent keeps *out.
 */
static void
get_ms(struct ld *ld, const config_setting_t *g, const char *name, unsigned lo,
    unsigned hi, unsigned *out)
{
	const config_setting_t *s = cfg_member(g, name);
	unsigned long long v;
	unsigned secs;
	const char *str;
	size_t n;

	if (!s)
		return;
	if (config_setting_type(s) == CONFIG_TYPE_INT ||
	    config_setting_type(s) == CONFIG_TYPE_INT64) {
		long long i = config_setting_get_int64(s);

		if (i < 0) {
			cfg_err_at(
			    ld, s, "%s: %lld is not a duration", name, i);
			return;
		}
		v = (unsigned long long)i;
	} else if ((str = config_setting_get_string(s)) != NULL) {
		n = strlen(str);
		if (n > 2 && strcmp(str + n - 2, "ms") == 0 &&
		    isdigit((unsigned char)str[0])) {
			char *end;

			errno = 0;
			v = strtoull(str, &end, 10);
			if (errno || end != str + n - 2) {
				cfg_err_at(ld, s,
				    "%s: \"%s\" is not a duration (like "
				    "250ms, 2s, 5m)",
				    name, str);
				return;
			}
		} else if (cfg_duration_parse(str, &secs) == 0) {
			v = (unsigned long long)secs * 1000;
		} else {
			cfg_err_at(ld, s,
			    "%s: \"%s\" is not a duration (like 250ms, 2s, "
			    "5m)",
			    name, str);
			return;
		}
	} else {
		cfg_err_at(
		    ld, s, "%s: expected a duration (like \"2s\")", name);
		return;
	}
	if (v < lo || v > hi) {
		cfg_err_at(ld, s, "%s: %llu ms is out of range [%u, %u] ms",
		    name, v, lo, hi);
		return;
	}
	*out = (unsigned)v;
}

/* A channel name: [A-Za-z0-9_.-]{1,63} (a store key, a Message-ID part). */
static bool
is_name(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '.' && s[i] != '-')
			return false;
	return i > 0;
}

/* An environment variable name: [A-Za-z_][A-Za-z0-9_]*. */
static bool
is_env_name(const char *s)
{
	size_t i;

	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return false;
	for (i = 1; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/*
 * An address as SMTP and a header carry it bare: local@domain, printable
 * ASCII without space, quotes, brackets, commas or a second '@'.
 */
static bool
is_mail_addr(const char *s)
{
	const char *at = strchr(s, '@');
	size_t i;

	if (!at || at == s || !at[1] || strchr(at + 1, '@'))
		return false;
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f ||
		    strchr("<>()[]\\,;:\"", s[i]))
			return false;
	return true;
}

/*
 * "url" parses (libcurl's parser, the one that will use it), has one
 * of the schemes "a" or "b" and a host, and carries no credentials.
 */
static void
check_url(struct ld *ld, const config_setting_t *s, const char *url,
    const char *a, const char *b)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL, *pass = NULL;

	if (!u) {
		cfg_err_at(ld, s, "url: out of memory");
		return;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host)
		cfg_err_at(ld, s, "url: \"%s\" is not a URL", url);
	else if (strcmp(scheme, a) != 0 && strcmp(scheme, b) != 0)
		cfg_err_at(ld, s,
		    "url: \"%s\": the scheme must be %s:// or %s://", url, a,
		    b);
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK)
		cfg_err_at(ld, s,
		    "url: no credentials in the URL: secrets never go in "
		    "the configuration file (see secret_env, username_env, "
		    "password_env)");
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(pass);
	curl_url_cleanup(u);
}

/* An environment variable name setting; absent keeps "out". */
static const config_setting_t *
get_env_name(struct ld *ld, const config_setting_t *g, const char *name,
    char *out, size_t cap)
{
	const config_setting_t *s =
	    cfg_get_string(ld, g, name, out, cap, false);

	if (s && !is_env_name(out)) {
		cfg_err_at(ld, s,
		    "%s: \"%s\" is not an environment variable name", name,
		    out);
		out[0] = '\0';
		return NULL;
	}
	return s;
}

static void
get_file(struct ld *ld, const config_setting_t *g, const char *name, char *out,
    size_t cap)
{
	const config_setting_t *s =
	    cfg_get_string(ld, g, name, out, cap, false);

	if (s && !*out)
		cfg_err_at(ld, s, "%s: empty file name", name);
}

static void
load_webhook(
    struct ld *ld, const config_setting_t *e, struct cfg_alert_channel *c)
{
	const config_setting_t *s, *se, *sf;

	s = cfg_get_string(ld, e, "url", c->url, sizeof(c->url), true);
	if (s)
		check_url(ld, s, c->url, "http", "https");
	se = get_env_name(
	    ld, e, "secret_env", c->secret_env, sizeof(c->secret_env));
	get_file(ld, e, "secret_file", c->secret_file, sizeof(c->secret_file));
	sf = cfg_member(e, "secret_file");
	if (se && sf)
		cfg_err_at(ld, sf,
		    "secret_file: give secret_env or secret_file, not both");
	if (cfg_member(e, "secret"))
		cfg_err_at(ld, cfg_member(e, "secret"),
		    "secret: secrets never go in the configuration file: "
		    "name an environment variable (secret_env) or a file "
		    "(secret_file)");
}

static void
load_rcpts(
    struct ld *ld, const config_setting_t *e, struct cfg_alert_channel *c)
{
	const config_setting_t *l = cfg_member(e, "to");
	unsigned i, n;

	if (!l) {
		cfg_err_at(ld, e,
		    "channel \"%s\": an email channel needs \"to\" (a list "
		    "of addresses)",
		    c->name);
		return;
	}
	if (config_setting_type(l) == CONFIG_TYPE_STRING) {
		n = 1;
	} else if (config_setting_is_array(l) || config_setting_is_list(l)) {
		n = (unsigned)config_setting_length(l);
	} else {
		cfg_err_at(ld, l, "to: expected a list of addresses");
		return;
	}
	if (n == 0 || n > CFG_ALERT_RCPT_MAX) {
		cfg_err_at(ld, l, "to: expected 1 to %d addresses",
		    CFG_ALERT_RCPT_MAX);
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *a =
		    n == 1 && config_setting_type(l) == CONFIG_TYPE_STRING ?
		    l :
		    config_setting_get_elem(l, i);
		const char *v = config_setting_get_string(a);

		if (!v || strlen(v) >= CFG_ALERT_ADDR_MAX || !is_mail_addr(v)) {
			cfg_err_at(ld, a, "to: \"%s\" is not an e-mail address",
			    v ? v : "(not a string)");
			continue;
		}
		memcpy(c->to[c->nto++], v, strlen(v) + 1);
	}
}

static void
load_email(
    struct ld *ld, const config_setting_t *e, struct cfg_alert_channel *c)
{
	const config_setting_t *s, *u, *pe, *pf;
	char buf[16];

	s = cfg_get_string(ld, e, "url", c->url, sizeof(c->url), true);
	if (s)
		check_url(ld, s, c->url, "smtp", "smtps");
	s = cfg_get_string(ld, e, "from", c->from, sizeof(c->from), true);
	if (s && !is_mail_addr(c->from))
		cfg_err_at(
		    ld, s, "from: \"%s\" is not an e-mail address", c->from);
	load_rcpts(ld, e, c);
	u = get_env_name(
	    ld, e, "username_env", c->username_env, sizeof(c->username_env));
	pe = get_env_name(
	    ld, e, "password_env", c->password_env, sizeof(c->password_env));
	get_file(
	    ld, e, "password_file", c->password_file, sizeof(c->password_file));
	pf = cfg_member(e, "password_file");
	if (pe && pf)
		cfg_err_at(ld, pf,
		    "password_file: give password_env or password_file, not "
		    "both");
	if ((pe || pf) && !u)
		cfg_err_at(ld, pe ? pe : pf,
		    "a password needs username_env (the user name)");
	if (cfg_member(e, "password"))
		cfg_err_at(ld, cfg_member(e, "password"),
		    "password: secrets never go in the configuration file: "
		    "name an environment variable (password_env) or a file "
		    "(password_file)");
	s = cfg_get_string(ld, e, "starttls", buf, sizeof(buf), false);
	if (s) {
		if (strcmp(buf, "try") == 0)
			c->starttls = CFG_ALERT_TLS_TRY;
		else if (strcmp(buf, "yes") == 0)
			c->starttls = CFG_ALERT_TLS_YES;
		else if (strcmp(buf, "no") == 0)
			c->starttls = CFG_ALERT_TLS_NO;
		else
			cfg_err_at(ld, s,
			    "starttls: \"%s\" is not try, yes or no", buf);
	}
}

static void
load_syslog(
    struct ld *ld, const config_setting_t *e, struct cfg_alert_channel *c)
{
	const config_setting_t *s;
	char buf[16];
	size_t i;

	s = cfg_get_string(ld, e, "facility", buf, sizeof(buf), false);
	if (s) {
		for (i = 0; i < NFACILITIES; i++)
			if (strcmp(buf, facilities[i].name) == 0)
				break;
		if (i == NFACILITIES)
			cfg_err_at(ld, s,
			    "facility: \"%s\" is not user, daemon, auth, "
			    "authpriv or local0 to local7",
			    buf);
		else
			c->facility = facilities[i].facility;
	}
	s = cfg_get_string(ld, e, "ident", c->ident, sizeof(c->ident), false);
	if (s && !is_name(c->ident))
		cfg_err_at(ld, s,
		    "ident: \"%s\" must be 1 to %d of "
		    "A-Z a-z 0-9 _ . -",
		    c->ident, CFG_ALERT_NAME_MAX - 1);
}

/* The settings each type accepts. */
static const char *const known_webhook[] = { "name", "type", "min", "url",
	"timeout", "ca", "secret_env", "secret_file", NULL };
static const char *const known_email[] = { "name", "type", "min", "url",
	"timeout", "ca", "from", "to", "username_env", "password_env",
	"password_file", "starttls", NULL };
static const char *const known_syslog[] = { "name", "type", "min", "facility",
	"ident", NULL };

static void
load_channel(struct ld *ld, const config_setting_t *e, struct cfg_alerts *a)
{
	static const char *const *const known[] = { known_webhook, known_email,
		known_syslog };
	struct cfg_alert_channel *c = &a->channels[a->nchannels];
	const config_setting_t *s;
	char buf[CFG_ALERT_NAME_MAX];
	unsigned i;
	int v;

	memset(c, 0, sizeof(*c));
	c->timeout = 5000;
	c->facility = LOG_LOCAL0;
	snprintf(c->ident, sizeof(c->ident), "centinela");
	s = cfg_get_string(ld, e, "name", c->name, sizeof(c->name), true);
	if (s && !is_name(c->name)) {
		cfg_err_at(ld, s,
		    "name: \"%s\" must be 1 to %d of A-Z a-z 0-9 _ . -",
		    c->name, CFG_ALERT_NAME_MAX - 1);
		return;
	}
	if (!s)
		return;
	for (i = 0; i < a->nchannels; i++)
		if (strcmp(a->channels[i].name, c->name) == 0) {
			cfg_err_at(ld, s,
			    "name: a channel \"%s\" is already defined",
			    c->name);
			return;
		}
	s = cfg_get_string(ld, e, "type", buf, sizeof(buf), true);
	if (!s)
		return;
	for (i = 0; i < 3; i++)
		if (strcmp(buf, type_names[i]) == 0)
			break;
	if (i == 3) {
		cfg_err_at(
		    ld, s, "type: \"%s\" is not webhook, email or syslog", buf);
		return;
	}
	c->type = (enum cfg_alert_type)i;
	cfg_check_known(ld, e, known[i], "alerts.channels");
	s = cfg_get_string(ld, e, "min", buf, sizeof(buf), false);
	if (s) {
		if ((v = cfg_alert_sev_parse(buf)) < 0)
			cfg_err_at(ld, s,
			    "min: \"%s\" is not a severity (info, warning or "
			    "critical)",
			    buf);
		else
			c->min = (unsigned)v;
	}
	cfg_get_uint(ld, e, "timeout", 100, 120000, &c->timeout);
	get_file(ld, e, "ca", c->ca, sizeof(c->ca));
	switch (c->type) {
	case CFG_ALERT_WEBHOOK:
		load_webhook(ld, e, c);
		break;
	case CFG_ALERT_EMAIL:
		load_email(ld, e, c);
		break;
	case CFG_ALERT_SYSLOG:
		load_syslog(ld, e, c);
		/* openlog(3) has one ident per process. */
		for (i = 0; i < a->nchannels; i++)
			if (a->channels[i].type == CFG_ALERT_SYSLOG &&
			    strcmp(a->channels[i].ident, c->ident) != 0) {
				cfg_err_at(ld, e,
				    "channel \"%s\": ident \"%s\" differs "
				    "from \"%s\" of channel \"%s\" (one "
				    "ident per process)",
				    c->name, c->ident, a->channels[i].ident,
				    a->channels[i].name);
				break;
			}
		break;
	}
	a->nchannels++;
}

static void
load_channels(struct ld *ld, const config_setting_t *g, struct cfg_alerts *a)
{
	const config_setting_t *l = cfg_member(g, "channels");
	unsigned i, n;

	if (!l)
		return;
	if (!config_setting_is_list(l)) {
		cfg_err_at(ld, l, "channels: expected a list ( {...}, ... )");
		return;
	}
	n = (unsigned)config_setting_length(l);
	if (n > CFG_ALERT_CHANNELS_MAX) {
		cfg_err_at(
		    ld, l, "channels: at most %d", CFG_ALERT_CHANNELS_MAX);
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(l, i);

		if (!config_setting_is_group(e)) {
			cfg_err_at(
			    ld, e, "channels: each entry must be a group");
			continue;
		}
		load_channel(ld, e, a);
	}
}

void
cfg_load_alerts(struct ld *ld, const config_setting_t *root)
{
	static const char *const known[] = { "dedup", "rate", "node",
		"retry_base", "retry_max", "max_age", "keep", "channels",
		NULL };
	static const char *const rknown[] = { "max", "per", NULL };
	struct cfg_alerts *a = &ld->cfg->alerts;
	const config_setting_t *g = cfg_member(root, "alerts"), *r, *s;

	if (!g)
		return;
	if (!config_setting_is_group(g)) {
		cfg_err_at(ld, g, "alerts: expected a group { ... }");
		return;
	}
	cfg_check_known(ld, g, known, "alerts");
	cfg_get_duration(ld, g, "dedup", 0, 86400, &a->dedup);
	if ((r = cfg_member(g, "rate")) != NULL) {
		if (!config_setting_is_group(r)) {
			cfg_err_at(ld, r, "rate: expected a group { ... }");
		} else {
			cfg_check_known(ld, r, rknown, "alerts.rate");
			cfg_get_uint(ld, r, "max", 0, 1000000, &a->rate_max);
			cfg_get_duration(ld, r, "per", 1, 86400, &a->rate_per);
		}
	}
	s = cfg_get_string(ld, g, "node", a->node, sizeof(a->node), false);
	if (s && a->node[0] && !is_name(a->node))
		cfg_err_at(ld, s,
		    "node: \"%s\" must be 1 to %d of A-Z a-z 0-9 _ . - (or "
		    "\"\" for the host name)",
		    a->node, CFG_ALERT_NODE_MAX - 1);
	get_ms(ld, g, "retry_base", 10, MS_MAX, &a->retry_base);
	get_ms(ld, g, "retry_max", 10, MS_MAX, &a->retry_max);
	if (a->retry_base > a->retry_max)
		cfg_err_at(ld, g, "retry_base must not exceed retry_max");
	cfg_get_duration(ld, g, "max_age", 1, 31536000, &a->max_age);
	cfg_get_duration(ld, g, "keep", 0, 315360000, &a->keep);
	if (a->keep && a->keep <= a->max_age)
		cfg_err_at(ld,
		    cfg_member(g, "keep") ? cfg_member(g, "keep") : g,
		    "keep (%u s) must be longer than max_age (%u s): a pending "
		    "delivery keeps its alert",
		    a->keep, a->max_age);
	load_channels(ld, g, a);
}

/*
 * core/cfg.c -- configuration loading and checking (libconfig).
 *
 * Every error names the file and line of the offending setting. Unknown
 * settings are errors too: a typo must not silently fall back to a
 * default on a security device.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfg.h"
#include "core/cfg_int.h"
#include "core/log.h"

static const char *const role_names[] = { "public", "pbx", "carrier",
	"customer" };

const char *
peer_role_name(enum peer_role r)
{
	return (unsigned)r < 4 ? role_names[r] : "?";
}

void
cfg_err_at(struct ld *ld, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	ld->nerr++;
	if (!ld->errf)
		return;
	fprintf(ld->errf, "%s:%d: ", ld->file,
	    s ? config_setting_source_line(s) : 0);
	va_start(ap, fmt);
	vfprintf(ld->errf, fmt, ap);
	va_end(ap);
	fputc('\n', ld->errf);
}

/* Complain about any member of group "g" not in the NULL-ended "known". */
void
cfg_check_known(struct ld *ld, const config_setting_t *g,
    const char *const *known, const char *where)
{
	int i, n = config_setting_length(g);

	for (i = 0; i < n; i++) {
		const config_setting_t *m =
		    config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);
		const char *const *k;

		if (!name)
			continue;
		for (k = known; *k; k++)
			if (strcmp(*k, name) == 0)
				break;
		if (!*k)
			cfg_err_at(ld, m, "unknown setting \"%s\"%s%s", name,
			    where ? " in " : "", where ? where : "");
	}
}

const config_setting_t *
cfg_member(const config_setting_t *g, const char *name)
{
	return g ? config_setting_get_member(g, name) : NULL;
}

/* Integer in [lo, hi]; absent keeps *out. */
void
cfg_get_uint(struct ld *ld, const config_setting_t *g, const char *name,
    unsigned lo, unsigned hi, unsigned *out)
{
	const config_setting_t *s = cfg_member(g, name);
	long long v;

	if (!s)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		cfg_err_at(ld, s, "%s: expected an integer", name);
		return;
	}
	v = config_setting_get_int64(s);
	if (v < (long long)lo || v > (long long)hi) {
		cfg_err_at(ld, s, "%s: %lld is out of range [%u, %u]", name, v,
		    lo, hi);
		return;
	}
	*out = (unsigned)v;
}

void
cfg_get_bool(
    struct ld *ld, const config_setting_t *g, const char *name, bool *out)
{
	const config_setting_t *s = cfg_member(g, name);

	if (!s)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		cfg_err_at(ld, s, "%s: expected true or false", name);
		return;
	}
	*out = config_setting_get_bool(s) != 0;
}

/* String into a fixed buffer; absent keeps *out. Returns the setting. */
const config_setting_t *
cfg_get_string(struct ld *ld, const config_setting_t *g, const char *name,
    char *out, size_t cap, bool required)
{
	const config_setting_t *s = cfg_member(g, name);
	const char *v;

	if (!s) {
		if (required)
			cfg_err_at(ld, g, "missing setting \"%s\"", name);
		return NULL;
	}
	v = config_setting_get_string(s);
	if (!v) {
		cfg_err_at(ld, s, "%s: expected a string", name);
		return NULL;
	}
	if (strlen(v) >= cap) {
		cfg_err_at(ld, s, "%s: longer than %zu bytes", name, cap - 1);
		return NULL;
	}
	memcpy(out, v, strlen(v) + 1);
	return s;
}

static int
transport_parse(const char *s, enum sip_transport *tp)
{
	if (strcmp(s, "udp") == 0)
		*tp = SIP_TP_UDP;
	else if (strcmp(s, "tcp") == 0)
		*tp = SIP_TP_TCP;
	else if (strcmp(s, "tls") == 0)
		*tp = SIP_TP_TLS;
	else
		return EINVAL;
	return 0;
}

static void
get_transport(struct ld *ld, const config_setting_t *g, enum sip_transport *tp)
{
	char buf[16];
	const config_setting_t *s;

	s = cfg_get_string(ld, g, "transport", buf, sizeof(buf), true);
	if (s && transport_parse(buf, tp))
		cfg_err_at(
		    ld, s, "transport: \"%s\" is not udp, tcp or tls", buf);
}

static void
get_addr_port(struct ld *ld, const config_setting_t *g, const char *aname,
    struct sa *sa, char *host, size_t hostcap)
{
	char buf[CFG_NAME_MAX];
	const config_setting_t *s;
	unsigned port = 0;

	s = cfg_get_string(ld, g, aname, buf, sizeof(buf), true);
	cfg_get_uint(ld, g, "port", 1, 65535, &port);
	if (!cfg_member(g, "port"))
		cfg_err_at(ld, g, "missing setting \"port\"");
	if (!s)
		return;
	if (sa_set_cstr(sa, buf, (uint16_t)port))
		cfg_err_at(ld, s,
		    "%s: \"%s\" is not a numeric IPv4 or IPv6 "
		    "address",
		    aname, buf);
	if (host)
		snprintf(host, hostcap, "%s", buf);
}

static const char *const top_known[] = { "workers", "listen", "tls", "limits",
	"tcp", "udp", "proxy", "transaction", "upstreams", "probe", "peers",
	"deny", "sanity", "log", "metrics", "domains", "store", "auth",
	"registrar", "guard", "triggers", "flood", "geoip", "dnsbl", "feeds",
	"callerid", "stir", "alerts", "fraud", "media", "provisioning", NULL };

static void
load_listen(struct ld *ld, const config_setting_t *root)
{
	static const char *const known[] = { "transport", "address", "port",
		"tls_profile", NULL };
	const config_setting_t *l = cfg_member(root, "listen");
	struct cfg *cfg = ld->cfg;
	int i, n;

	if (!l) {
		cfg_err_at(ld, root, "missing setting \"listen\"");
		return;
	}
	if (!config_setting_is_list(l) && !config_setting_is_array(l)) {
		cfg_err_at(ld, l, "listen: expected a list ( {...}, ... )");
		return;
	}
	n = config_setting_length(l);
	if (n == 0)
		cfg_err_at(ld, l, "listen: at least one listener is needed");
	if (n > CFG_MAX_LISTEN) {
		cfg_err_at(
		    ld, l, "listen: at most %d listeners", CFG_MAX_LISTEN);
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *e =
		    config_setting_get_elem(l, (unsigned)i);
		struct cfg_listen *li = &cfg->listen[cfg->nlisten];
		int j;

		if (!config_setting_is_group(e)) {
			cfg_err_at(ld, e, "listen: each entry must be a group");
			continue;
		}
		cfg_check_known(ld, e, known, "listen");
		get_transport(ld, e, &li->tp);
		get_addr_port(ld, e, "address", &li->addr, NULL, 0);
		for (j = 0; j < (int)cfg->nlisten; j++)
			if (cfg->listen[j].tp == li->tp &&
			    sa_eq(&cfg->listen[j].addr, &li->addr))
				cfg_err_at(ld, e, "listen: duplicate listener");
		cfg->nlisten++;
	}
}

static void
load_upstreams(struct ld *ld, const config_setting_t *root)
{
	static const char *const known[] = { "name", "host", "port",
		"transport", "priority", "weight", "tls_profile", NULL };
	const config_setting_t *l = cfg_member(root, "upstreams");
	struct cfg *cfg = ld->cfg;
	int i, n;

	if (!l)
		return;
	if (!config_setting_is_list(l)) {
		cfg_err_at(ld, l, "upstreams: expected a list ( {...}, ... )");
		return;
	}
	n = config_setting_length(l);
	if (n > CFG_MAX_UPSTREAMS) {
		cfg_err_at(ld, l, "upstreams: at most %d", CFG_MAX_UPSTREAMS);
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *e =
		    config_setting_get_elem(l, (unsigned)i);
		struct cfg_upstream *u = &cfg->upstreams[cfg->nupstreams];

		if (!config_setting_is_group(e)) {
			cfg_err_at(
			    ld, e, "upstreams: each entry must be a group");
			continue;
		}
		cfg_check_known(ld, e, known, "upstreams");
		snprintf(u->name, sizeof(u->name), "upstream%d", i + 1);
		cfg_get_string(ld, e, "name", u->name, sizeof(u->name), false);
		get_transport(ld, e, &u->tp);
		get_addr_port(
		    ld, e, "host", &u->addr, u->host, sizeof(u->host));
		u->priority = 1;
		u->weight = 1;
		cfg_get_uint(ld, e, "priority", 0, 1000, &u->priority);
		cfg_get_uint(ld, e, "weight", 1, 1000, &u->weight);
		cfg->nupstreams++;
	}
}

static void
load_peers(struct ld *ld, const config_setting_t *root)
{
	static const char *const known[] = { "name", "cidr", "role", "class",
		"flags", "provider", "tls_profile", "tls_id", NULL };
	const config_setting_t *l = cfg_member(root, "peers");
	struct cfg *cfg = ld->cfg;
	int i, n;

	if (!l)
		return;
	if (!config_setting_is_list(l)) {
		cfg_err_at(ld, l, "peers: expected a list ( {...}, ... )");
		return;
	}
	n = config_setting_length(l);
	if (n > CFG_MAX_PEERS) {
		cfg_err_at(ld, l, "peers: at most %d", CFG_MAX_PEERS);
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *e =
		    config_setting_get_elem(l, (unsigned)i);
		struct cfg_peer *p = &cfg->peers[cfg->npeers];
		const config_setting_t *s;
		char buf[CFG_NAME_MAX];
		unsigned r;

		if (!config_setting_is_group(e)) {
			cfg_err_at(ld, e, "peers: each entry must be a group");
			continue;
		}
		cfg_check_known(ld, e, known, "peers");
		cfg_get_string(ld, e, "name", p->name, sizeof(p->name), true);
		s = cfg_get_string(ld, e, "cidr", buf, sizeof(buf), true);
		if (s && cidr_parse(buf, &p->cidr))
			cfg_err_at(ld, s,
			    "cidr: \"%s\" is not an address or "
			    "CIDR range",
			    buf);
		s = cfg_get_string(ld, e, "role", buf, sizeof(buf), true);
		if (s) {
			for (r = 1; r < 4; r++)
				if (strcmp(buf, role_names[r]) == 0)
					break;
			if (r == 4)
				cfg_err_at(ld, s,
				    "role: \"%s\" is not pbx, "
				    "carrier or customer",
				    buf);
			else
				p->role = (enum peer_role)r;
		}
		cfg_load_peer_class(ld, e, p);
		cfg->npeers++;
	}
}

void
cfg_get_cidrs(struct ld *ld, const config_setting_t *g, const char *name,
    struct cidr *out, unsigned max, unsigned *n)
{
	const config_setting_t *l = cfg_member(g, name);
	int i, cnt;

	if (!l)
		return;
	if (!config_setting_is_array(l) && !config_setting_is_list(l)) {
		cfg_err_at(ld, l, "%s: expected [ \"addr/len\", ... ]", name);
		return;
	}
	cnt = config_setting_length(l);
	if ((unsigned)cnt > max) {
		cfg_err_at(ld, l, "%s: at most %u entries", name, max);
		return;
	}
	*n = 0;
	for (i = 0; i < cnt; i++) {
		const config_setting_t *e =
		    config_setting_get_elem(l, (unsigned)i);
		const char *v = config_setting_get_string(e);

		if (!v || cidr_parse(v, &out[*n]))
			cfg_err_at(ld, e,
			    "%s[%d]: \"%s\" is not an address or CIDR "
			    "range",
			    name, i, v ? v : "(not a string)");
		else
			(*n)++;
	}
}

static void
load_groups(struct ld *ld, const config_setting_t *root)
{
	static const char *const lim_k[] = { "max_message_size", "max_headers",
		"max_via", "max_line_length", NULL };
	static const char *const tcp_k[] = { "max_connections",
		"max_connections_per_ip", "idle_timeout", "header_timeout",
		"connect_timeout", NULL };
	static const char *const udp_k[] = { "coalesce", NULL };
	static const char *const proxy_k[] = { "reply_to_source",
		"record_route", "answer_options", "server_header", NULL };
	static const char *const txn_k[] = { "t1", "t2", "timer_b", "timer_f",
		"failover_timeout", "failover_codes", "trying_delay", NULL };
	static const char *const probe_k[] = { "interval", "timeout",
		"failures_down", "successes_up", NULL };
	static const char *const sanity_k[] = { "action", NULL };
	static const char *const log_k[] = { "format", "level", NULL };
	static const char *const met_k[] = { "address", "port", NULL };
	struct cfg *cfg = ld->cfg;
	const config_setting_t *g, *s;
	unsigned v;
	char buf[CFG_NAME_MAX];
	int i;

	cfg_get_uint(ld, root, "workers", 0, 64, &cfg->workers);

	if ((g = cfg_member(root, "limits"))) {
		cfg_check_known(ld, g, lim_k, "limits");
		v = (unsigned)cfg->limits.max_msg_size;
		cfg_get_uint(ld, g, "max_message_size", 256, 1048576, &v);
		cfg->limits.max_msg_size = v;
		cfg_get_uint(ld, g, "max_headers", 8, SIP_HARD_MAX_HEADERS,
		    &cfg->limits.max_headers);
		cfg_get_uint(ld, g, "max_via", 1, SIP_HARD_MAX_VIA,
		    &cfg->limits.max_via);
		v = (unsigned)cfg->limits.max_line_len;
		cfg_get_uint(ld, g, "max_line_length", 64, 1048576, &v);
		cfg->limits.max_line_len = v;
	}
	if ((g = cfg_member(root, "tcp"))) {
		cfg_check_known(ld, g, tcp_k, "tcp");
		cfg_get_uint(
		    ld, g, "max_connections", 1, 1000000, &cfg->tcp_max_conns);
		cfg_get_uint(ld, g, "max_connections_per_ip", 1, 1000000,
		    &cfg->tcp_max_conns_per_ip);
		cfg_get_uint(ld, g, "idle_timeout", 100, 86400000,
		    &cfg->tcp_idle_timeout);
		cfg_get_uint(ld, g, "header_timeout", 100, 3600000,
		    &cfg->tcp_header_timeout);
		cfg_get_uint(ld, g, "connect_timeout", 100, 600000,
		    &cfg->tcp_connect_timeout);
	}
	if ((g = cfg_member(root, "udp"))) {
		cfg_check_known(ld, g, udp_k, "udp");
		cfg_get_uint(ld, g, "coalesce", 0, 2000, &cfg->udp_coalesce_us);
	}
	if ((g = cfg_member(root, "proxy"))) {
		cfg_check_known(ld, g, proxy_k, "proxy");
		cfg_get_bool(ld, g, "reply_to_source", &cfg->reply_to_source);
		cfg_get_bool(ld, g, "record_route", &cfg->record_route);
		cfg_get_bool(ld, g, "answer_options", &cfg->answer_options);
		cfg_get_string(ld, g, "server_header", cfg->server_header,
		    sizeof(cfg->server_header), false);
	}
	if ((g = cfg_member(root, "transaction"))) {
		cfg_check_known(ld, g, txn_k, "transaction");
		cfg_get_uint(ld, g, "t1", 10, 10000, &cfg->t1);
		cfg_get_uint(ld, g, "t2", 10, 60000, &cfg->t2);
		cfg_get_uint(ld, g, "timer_b", 100, 600000, &cfg->timer_b);
		cfg_get_uint(ld, g, "timer_f", 100, 600000, &cfg->timer_f);
		cfg_get_uint(ld, g, "failover_timeout", 0, 600000,
		    &cfg->failover_timeout);
		cfg_get_uint(
		    ld, g, "trying_delay", 0, 10000, &cfg->trying_delay);
		if ((s = cfg_member(g, "failover_codes"))) {
			if (!config_setting_is_array(s) ||
			    config_setting_length(s) > CFG_MAX_FAILOVER_CODES) {
				cfg_err_at(ld, s,
				    "failover_codes: expected an "
				    "array of at most %d status codes",
				    CFG_MAX_FAILOVER_CODES);
			} else {
				cfg->nfailover_codes = 0;
				for (i = 0; i < config_setting_length(s); i++) {
					int c =
					    config_setting_get_int_elem(s, i);

					if (c < 300 || c > 699)
						cfg_err_at(ld, s,
						    "failover_codes: "
						    "%d is not a 3xx-6xx "
						    "status",
						    c);
					else
						cfg->failover_codes
						    [cfg->nfailover_codes++] =
						    (uint16_t)c;
				}
			}
		}
		if (cfg->t2 < cfg->t1)
			cfg_err_at(ld, g, "t2 must not be smaller than t1");
	}
	if ((g = cfg_member(root, "probe"))) {
		cfg_check_known(ld, g, probe_k, "probe");
		cfg_get_uint(
		    ld, g, "interval", 100, 3600000, &cfg->probe_interval);
		cfg_get_uint(ld, g, "timeout", 50, 600000, &cfg->probe_timeout);
		cfg_get_uint(
		    ld, g, "failures_down", 1, 100, &cfg->probe_failures_down);
		cfg_get_uint(
		    ld, g, "successes_up", 1, 100, &cfg->probe_successes_up);
		if (cfg->probe_timeout > cfg->probe_interval)
			cfg_err_at(ld, g,
			    "probe timeout must not exceed the "
			    "interval");
	}
	if ((g = cfg_member(root, "sanity"))) {
		cfg_check_known(ld, g, sanity_k, "sanity");
		s = cfg_get_string(ld, g, "action", buf, sizeof(buf), false);
		if (s && strcmp(buf, "reply") == 0)
			cfg->sanity_drop = false;
		else if (s && strcmp(buf, "drop") == 0)
			cfg->sanity_drop = true;
		else if (s)
			cfg_err_at(
			    ld, s, "action: \"%s\" is not reply or drop", buf);
	}
	if ((g = cfg_member(root, "log"))) {
		enum log_level lv;

		cfg_check_known(ld, g, log_k, "log");
		s = cfg_get_string(ld, g, "format", buf, sizeof(buf), false);
		if (s && strcmp(buf, "human") == 0)
			cfg->log_format = LOGF_HUMAN;
		else if (s && strcmp(buf, "json") == 0)
			cfg->log_format = LOGF_JSON;
		else if (s)
			cfg_err_at(
			    ld, s, "format: \"%s\" is not human or json", buf);
		s = cfg_get_string(ld, g, "level", buf, sizeof(buf), false);
		if (s && log_level_parse(buf, &lv) == 0)
			cfg->log_level = (int)lv;
		else if (s)
			cfg_err_at(ld, s,
			    "level: \"%s\" is not error, warn, info "
			    "or debug",
			    buf);
	}
	if ((g = cfg_member(root, "metrics"))) {
		unsigned port = 9060;

		cfg_check_known(ld, g, met_k, "metrics");
		s = cfg_get_string(ld, g, "address", buf, sizeof(buf), false);
		cfg_get_uint(ld, g, "port", 0, 65535, &port);
		cfg->metrics_port = (uint16_t)port;
		if (s && sa_set_cstr(&cfg->metrics_addr, buf, (uint16_t)port))
			cfg_err_at(ld, s,
			    "address: \"%s\" is not a numeric "
			    "address",
			    buf);
		sa_set_port(&cfg->metrics_addr, (uint16_t)port);
	}
}

/* A domain name: letters, digits, '-', '.', or a numeric address. */
static bool
domain_ok(const char *d)
{
	size_t i, n = strlen(d);

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '.' ||
			c == ':' || c == '[' || c == ']'))
			return false;
	}
	return true;
}

static void
load_auth(struct ld *ld, const config_setting_t *root)
{
	static const char *const store_k[] = { "uri", "poll_interval", NULL };
	static const char *const auth_k[] = { "algorithms", "nonce_lifetime",
		"nonce_windows", NULL };
	static const char *const reg_k[] = { "mode", "min_expires",
		"max_expires", "default_expires", "max_contacts",
		"nat_ping_interval", NULL };
	struct cfg *cfg = ld->cfg;
	const config_setting_t *g, *s;
	char buf[CFG_NAME_MAX];
	int i, n;

	if ((s = cfg_member(root, "domains"))) {
		if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
			cfg_err_at(
			    ld, s, "domains: expected [ \"name\", ... ]");
		} else if ((n = config_setting_length(s)) == 0 ||
		    n > CFG_MAX_DOMAINS) {
			cfg_err_at(ld, s, "domains: between 1 and %d names",
			    CFG_MAX_DOMAINS);
		} else {
			cfg->ndomains = 0;
			for (i = 0; i < n; i++) {
				const char *v =
				    config_setting_get_string_elem(s, i);

				if (!v || !domain_ok(v) ||
				    strlen(v) >= CFG_DOMAIN_MAX)
					cfg_err_at(ld, s,
					    "domains[%d]: \"%s\" is not a "
					    "domain name or address",
					    i, v ? v : "(not a string)");
				else
					snprintf(cfg->domains[cfg->ndomains++],
					    CFG_DOMAIN_MAX, "%s", v);
			}
		}
	}
	if ((g = cfg_member(root, "store"))) {
		cfg_check_known(ld, g, store_k, "store");
		s = cfg_get_string(ld, g, "uri", cfg->store_uri,
		    sizeof(cfg->store_uri), false);
		if (s && strncmp(cfg->store_uri, "sqlite:", 7) != 0 &&
		    strncmp(cfg->store_uri, "postgresql://", 13) != 0 &&
		    strncmp(cfg->store_uri, "postgres://", 11) != 0)
			cfg_err_at(ld, s,
			    "uri: \"%s\" is not sqlite:PATH or "
			    "postgresql://...",
			    cfg->store_uri);
		cfg_get_uint(
		    ld, g, "poll_interval", 100, 3600000, &cfg->store_poll);
	}
	if ((g = cfg_member(root, "auth"))) {
		cfg_check_known(ld, g, auth_k, "auth");
		if ((s = cfg_member(g, "algorithms"))) {
			n = config_setting_is_array(s) ?
			    config_setting_length(s) :
			    0;
			if (n < 1 || n > 2) {
				cfg_err_at(ld, s,
				    "algorithms: expected [ \"SHA-256\", "
				    "\"MD5\" ] or one of them");
			} else {
				cfg->nauth_algs = 0;
				for (i = 0; i < n; i++) {
					const char *v =
					    config_setting_get_string_elem(
						s, i);
					int a = -1;

					if (v && strcmp(v, "MD5") == 0)
						a = 0;
					else if (v && strcmp(v, "SHA-256") == 0)
						a = 1;
					if (a < 0 ||
					    (i == 1 && cfg->auth_algs[0] == a))
						cfg_err_at(ld, s,
						    "algorithms[%d]: \"%s\" "
						    "is not MD5 or SHA-256, "
						    "or repeated",
						    i,
						    v ? v : "(not a string)");
					else
						cfg->auth_algs
						    [cfg->nauth_algs++] = a;
				}
			}
		}
		cfg_get_uint(
		    ld, g, "nonce_lifetime", 10, 86400, &cfg->nonce_lifetime);
		cfg_get_uint(
		    ld, g, "nonce_windows", 64, 16777216, &cfg->nonce_windows);
	}
	if ((g = cfg_member(root, "registrar"))) {
		cfg_check_known(ld, g, reg_k, "registrar");
		s = cfg_get_string(ld, g, "mode", buf, sizeof(buf), false);
		if (s && strcmp(buf, "local") == 0)
			cfg->registrar_local = true;
		else if (s && strcmp(buf, "forward") == 0)
			cfg->registrar_local = false;
		else if (s)
			cfg_err_at(
			    ld, s, "mode: \"%s\" is not local or forward", buf);
		cfg_get_uint(
		    ld, g, "min_expires", 1, 86400, &cfg->reg_min_expires);
		cfg_get_uint(
		    ld, g, "max_expires", 1, 604800, &cfg->reg_max_expires);
		cfg_get_uint(ld, g, "default_expires", 1, 604800,
		    &cfg->reg_default_expires);
		cfg_get_uint(
		    ld, g, "max_contacts", 1, 1000, &cfg->reg_max_contacts);
		cfg_get_uint(
		    ld, g, "nat_ping_interval", 0, 86400, &cfg->reg_nat_ping);
		if (cfg->reg_min_expires > cfg->reg_max_expires)
			cfg_err_at(
			    ld, g, "min_expires must not exceed max_expires");
		else if (cfg->reg_default_expires < cfg->reg_min_expires ||
		    cfg->reg_default_expires > cfg->reg_max_expires)
			cfg_err_at(ld, g,
			    "default_expires must lie between min_expires "
			    "and max_expires");
	}
}

static void
cfg_defaults(struct cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	sip_limits_default(&cfg->limits);
	cfg->tcp_max_conns = 4096;
	cfg->tcp_max_conns_per_ip = 32;
	cfg->tcp_idle_timeout = 300000;
	cfg->tcp_header_timeout = 10000;
	cfg->tcp_connect_timeout = 3000;
	cfg->udp_coalesce_us = 1000;
	cfg->reply_to_source = true;
	cfg->record_route = true;
	cfg->answer_options = true;
	snprintf(cfg->server_header, sizeof(cfg->server_header), "centinela");
	cfg->t1 = 500;
	cfg->t2 = 4000;
	cfg->timer_b = 32000;
	cfg->timer_f = 32000;
	cfg->failover_timeout = 2000;
	cfg->trying_delay = 200;
	cfg->failover_codes[0] = 503;
	cfg->nfailover_codes = 1;
	cfg->probe_interval = 5000;
	cfg->probe_timeout = 2000;
	cfg->probe_failures_down = 2;
	cfg->probe_successes_up = 1;
	cfg->log_format = LOGF_HUMAN;
	cfg->log_level = LOGL_INFO;
	sa_set_cstr(&cfg->metrics_addr, "127.0.0.1", 9060);
	cfg->metrics_port = 9060;
	snprintf(cfg->domains[0], CFG_DOMAIN_MAX, "centinela.local");
	cfg->ndomains = 1;
	snprintf(cfg->store_uri, sizeof(cfg->store_uri),
	    "sqlite:build/centinela.db");
	cfg->store_poll = 1000;
	cfg->auth_algs[0] = 1; /* SHA-256 first (RFC 8760) */
	cfg->auth_algs[1] = 0;
	cfg->nauth_algs = 2;
	cfg->nonce_lifetime = 300;
	cfg->nonce_windows = 65536;
	cfg->registrar_local = true;
	cfg->reg_min_expires = 60;
	cfg->reg_max_expires = 3600;
	cfg->reg_default_expires = 3600;
	cfg->reg_max_contacts = 10;
	cfg->reg_nat_ping = 0;
	cfg_guard_defaults(&cfg->guard);
	cfg_callerid_defaults(&cfg->callerid);
	cfg_alerts_defaults(&cfg->alerts);
	cfg_fraud_defaults(&cfg->fraud);
	cfg_media_defaults(&cfg->media);
	cfg_tls_defaults(&cfg->tls);
	cfg_prov_defaults(&cfg->prov);
}

static void
check_cross(struct ld *ld, const config_setting_t *root)
{
	struct cfg *cfg = ld->cfg;
	unsigned i;

	for (i = 0; i < cfg->nupstreams; i++) {
		unsigned j;
		bool have = false;

		for (j = 0; j < cfg->nlisten; j++)
			if (cfg->listen[j].tp == cfg->upstreams[i].tp ||
			    (cfg->upstreams[i].tp == SIP_TP_TCP &&
				cfg->listen[j].tp == SIP_TP_TLS) ||
			    (cfg->upstreams[i].tp == SIP_TP_TLS &&
				cfg->listen[j].tp == SIP_TP_TCP))
				have = true;
		if (!have)
			cfg_err_at(ld, cfg_member(root, "upstreams"),
			    "upstream "
			    "\"%s\": no listener for its transport",
			    cfg->upstreams[i].name);
	}
	for (i = 0; i < cfg->nlisten; i++) {
		const struct cfg_tls_profile *tp =
		    &cfg->tls.profiles[cfg->listen[i].tls_profile];

		if (cfg->listen[i].tp == SIP_TP_TLS &&
		    (!tp->cert[0] || !tp->key[0]))
			cfg_err_at(ld,
			    cfg_member(root, "tls") ? cfg_member(root, "tls") :
						      root,
			    "tls listener %u needs a certificate and "
			    "private_key (tls%s%s)",
			    i + 1, tp->name[0] ? " profile " : "", tp->name);
	}
}

int
cfg_load(struct cfg **cfgp, const char *path, FILE *errf)
{
	struct ld ld;
	config_t c;
	const config_setting_t *root;
	struct cfg *cfg;
	int ok;

	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return ENOMEM;
	cfg_defaults(cfg);
	config_init(&c);
	ld.file = path ? path : "<embedded>";
	ld.errf = errf;
	ld.nerr = 0;
	ld.cfg = cfg;
	if (path)
		ok = config_read_file(&c, path);
	else
		ok = config_read_string(&c, (const char *)default_conf);
	if (!ok) {
		if (config_error_type(&c) == CONFIG_ERR_FILE_IO) {
			if (errf)
				fprintf(errf, "%s:0: cannot read: %s\n",
				    ld.file, strerror(errno ? errno : EIO));
		} else if (errf)
			fprintf(errf, "%s:%d: %s\n", ld.file,
			    config_error_line(&c), config_error_text(&c));
		ld.nerr++;
		goto out;
	}
	root = config_root_setting(&c);
	cfg_check_known(&ld, root, top_known, NULL);
	load_listen(&ld, root);
	load_upstreams(&ld, root);
	load_peers(&ld, root);
	cfg_get_cidrs(&ld, root, "deny", cfg->deny, CFG_MAX_DENY, &cfg->ndeny);
	load_groups(&ld, root);
	cfg_load_tls(&ld, root);
	load_auth(&ld, root);
	cfg_load_guard(&ld, root);
	cfg_load_callerid(&ld, root);
	cfg_load_stir(&ld, root);
	cfg_load_fraud(&ld, root);
	cfg_load_alerts(&ld, root);
	cfg_load_media(&ld, root);
	cfg_load_prov(&ld, root);
	/* Cross-checks only make sense on individually valid settings. */
	if (ld.nerr == 0)
		check_cross(&ld, root);
out:
	config_destroy(&c);
	if (ld.nerr) {
		cfg_fraud_free(&cfg->fraud);
		free(cfg);
		return EINVAL;
	}
	*cfgp = cfg;
	return 0;
}

void
cfg_free(struct cfg *cfg)
{
	if (cfg)
		cfg_fraud_free(&cfg->fraud);
	free(cfg);
}

enum peer_role
cfg_peer_role(const struct cfg *cfg, const struct sa *src)
{
	const struct cfg_peer *p = cfg_peer_find(cfg, src);

	return p ? p->role : ROLE_PUBLIC;
}

const struct cfg_peer *
cfg_peer_find(const struct cfg *cfg, const struct sa *src)
{
	unsigned i;

	for (i = 0; i < cfg->npeers; i++)
		if (cidr_match(&cfg->peers[i].cidr, src))
			return &cfg->peers[i];
	return NULL;
}

const char *
cfg_domain(const struct cfg *cfg, struct str host)
{
	unsigned i;

	for (i = 0; i < cfg->ndomains; i++)
		if (str_eq_nocase(host,
			str_make(cfg->domains[i], strlen(cfg->domains[i]))))
			return cfg->domains[i];
	return NULL;
}

const char *
cfg_realm(const struct cfg *cfg, struct str host)
{
	const char *d = cfg_domain(cfg, host);

	return d ? d : cfg->domains[0];
}

/*
 * core/cfg_prov.c -- loads the "provisioning" section (core/cfg_prov.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>

#include "core/cfg_int.h"

void
cfg_prov_defaults(struct cfg_prov *m)
{
	memset(m, 0, sizeof(*m));
	(void)sa_set_cstr(&m->addr, "0.0.0.0", 8443);
	m->sip_port = 5061;
	m->unknown_limit = 5;
	m->unknown_window = 60;
	m->max_conns = 64;
	m->max_conns_per_ip = 4;
	m->timeout = 10;
}

/* A host phones can reach: a domain name or a numeric address. */
static bool
host_ok(const char *h)
{
	size_t i;

	if (!*h)
		return false;
	for (i = 0; h[i]; i++) {
		char c = h[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '.' ||
			c == ':'))
			return false;
	}
	return true;
}

void
cfg_load_prov(struct ld *ld, const config_setting_t *root)
{
	static const char *const known[] = { "enabled", "address", "port",
		"certificate", "private_key", "client_ca",
		"require_client_cert", "require_mac_in_cert", "key_file",
		"templates_dir", "sip_host", "sip_port", "unknown_limit",
		"unknown_window", "max_connections", "max_connections_per_ip",
		"timeout", NULL };
	struct cfg_prov *m = &ld->cfg->prov;
	const config_setting_t *g = cfg_member(root, "provisioning");
	const config_setting_t *s;
	char addr[64];
	unsigned port = sa_port(&m->addr), sport = m->sip_port;

	if (!g)
		return;
	cfg_check_known(ld, g, known, "provisioning");
	cfg_get_bool(ld, g, "enabled", &m->enabled);
	cfg_get_uint(ld, g, "port", 1, 65535, &port);
	s = cfg_get_string(ld, g, "address", addr, sizeof(addr), false);
	if (s && sa_set_cstr(&m->addr, addr, (uint16_t)port))
		cfg_err_at(
		    ld, s, "address: \"%s\" is not a numeric address", addr);
	sa_set_port(&m->addr, (uint16_t)port);
	cfg_get_string(ld, g, "certificate", m->cert, sizeof(m->cert), false);
	cfg_get_string(ld, g, "private_key", m->key, sizeof(m->key), false);
	cfg_get_string(
	    ld, g, "client_ca", m->client_ca, sizeof(m->client_ca), false);
	cfg_get_bool(ld, g, "require_client_cert", &m->require_client_cert);
	cfg_get_bool(ld, g, "require_mac_in_cert", &m->cert_mac);
	cfg_get_string(
	    ld, g, "key_file", m->key_file, sizeof(m->key_file), false);
	cfg_get_string(ld, g, "templates_dir", m->templates_dir,
	    sizeof(m->templates_dir), false);
	s = cfg_get_string(
	    ld, g, "sip_host", m->sip_host, sizeof(m->sip_host), false);
	if (s && m->sip_host[0] && !host_ok(m->sip_host))
		cfg_err_at(ld, s,
		    "sip_host: \"%s\" is not a host name or address",
		    m->sip_host);
	cfg_get_uint(ld, g, "sip_port", 1, 65535, &sport);
	m->sip_port = (uint16_t)sport;
	cfg_get_uint(ld, g, "unknown_limit", 1, 1000, &m->unknown_limit);
	cfg_get_duration(ld, g, "unknown_window", 1, 86400, &m->unknown_window);
	cfg_get_uint(ld, g, "max_connections", 1, 10000, &m->max_conns);
	cfg_get_uint(
	    ld, g, "max_connections_per_ip", 1, 10000, &m->max_conns_per_ip);
	cfg_get_duration(ld, g, "timeout", 1, 3600, &m->timeout);
	if (!m->enabled)
		return;
	if (!m->cert[0] || !m->key[0])
		cfg_err_at(ld, g,
		    "provisioning: enabled needs certificate and "
		    "private_key (phones fetch their secret over HTTPS only)");
	if ((m->require_client_cert || m->cert_mac) && !m->client_ca[0])
		cfg_err_at(ld, g,
		    "provisioning: require_client_cert and "
		    "require_mac_in_cert need client_ca");
	if (m->cert_mac && !m->require_client_cert)
		cfg_err_at(ld, g,
		    "provisioning: require_mac_in_cert needs "
		    "require_client_cert = true");
}

/*
 * core/cfg_media.c -- loads the "media" section (core/cfg_media.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>

#include "core/cfg_int.h"

static const char *const role_names[CFG_MEDIA_NROLES] = { "public", "pbx",
	"carrier", "customer" };

void
cfg_media_defaults(struct cfg_media *m)
{
	memset(m, 0, sizeof(*m));
	m->max_media = 8;
	m->max_attributes = 128;
	m->max_line_len = 1024;
	m->rtpe_timeout = 500;
	m->rtpe_retries = 2;
	m->on_failure = MEDIA_FAIL_REJECT;
	memcpy(m->edge_protocol, "RTP/SAVP", sizeof("RTP/SAVP"));
	memcpy(m->core_protocol, "RTP/AVP", sizeof("RTP/AVP"));
	m->check_interval = 10;
	m->max_calls = 10000;
}

static bool
is_list(const config_setting_t *s)
{
	return config_setting_is_array(s) || config_setting_is_list(s);
}

static void
load_roles(struct ld *ld, const config_setting_t *g, struct cfg_media *m)
{
	const config_setting_t *rl = cfg_member(g, "require_encryption");
	int j;

	if (!rl)
		return;
	if (!is_list(rl)) {
		cfg_err_at(
		    ld, rl, "require_encryption: expected [ \"public\", ... ]");
		return;
	}
	for (j = 0; j < config_setting_length(rl); j++) {
		const char *v = config_setting_get_string_elem(rl, (unsigned)j);
		unsigned k;

		for (k = 0; v && k < CFG_MEDIA_NROLES; k++)
			if (strcmp(v, role_names[k]) == 0)
				break;
		if (!v || k == CFG_MEDIA_NROLES)
			cfg_err_at(ld, rl,
			    "require_encryption: \"%s\" is not public, pbx, "
			    "carrier or customer",
			    v ? v : "(not a string)");
		else
			m->require_encryption[k] = true;
	}
}

/* rtpengine understands these (its "transport-protocol" flag). */
static bool
proto_ok(const char *p)
{
	static const char *const ok[] = { "RTP/AVP", "RTP/AVPF", "RTP/SAVP",
		"RTP/SAVPF", "UDP/TLS/RTP/SAVP", "UDP/TLS/RTP/SAVPF", NULL };
	unsigned i;

	for (i = 0; ok[i]; i++)
		if (strcmp(p, ok[i]) == 0)
			return true;
	return false;
}

static void
load_rtpe(struct ld *ld, const config_setting_t *media, struct cfg_media *m)
{
	static const char *const known[] = { "addresses", "timeout", "retries",
		"on_failure", "edge_protocol", "core_protocol",
		"check_interval", "max_calls", NULL };
	const config_setting_t *g = cfg_member(media, "rtpengine");
	const config_setting_t *a, *s;
	char buf[64];
	int j;

	if (!g)
		return;
	if (!config_setting_is_group(g)) {
		cfg_err_at(ld, g, "rtpengine: expected a group { ... }");
		return;
	}
	cfg_check_known(ld, g, known, "media.rtpengine");
	a = cfg_member(g, "addresses");
	if (a && !is_list(a))
		cfg_err_at(ld, a, "addresses: expected [ \"127.0.0.1:2223\" ]");
	for (j = 0; a && is_list(a) && j < config_setting_length(a); j++) {
		const char *v = config_setting_get_string_elem(a, (unsigned)j);

		if (m->nrtpe >= CFG_MEDIA_MAX_RTPE) {
			cfg_err_at(
			    ld, a, "addresses: at most %u", CFG_MEDIA_MAX_RTPE);
			break;
		}
		if (!v || sa_parse_hostport(v, &m->rtpe[m->nrtpe], 0) ||
		    sa_port(&m->rtpe[m->nrtpe]) == 0) {
			cfg_err_at(ld, a,
			    "addresses: \"%s\" is not a numeric address "
			    "with a port",
			    v ? v : "(not a string)");
			continue;
		}
		m->nrtpe++;
	}
	cfg_get_uint(ld, g, "timeout", 20, 10000, &m->rtpe_timeout);
	cfg_get_uint(ld, g, "retries", 0, 10, &m->rtpe_retries);
	cfg_get_uint(ld, g, "check_interval", 0, 3600, &m->check_interval);
	cfg_get_uint(ld, g, "max_calls", 1, 1000000, &m->max_calls);
	buf[0] = '\0';
	s = cfg_get_string(ld, g, "on_failure", buf, sizeof(buf), false);
	if (s && strcmp(buf, "reject") == 0)
		m->on_failure = MEDIA_FAIL_REJECT;
	else if (s && strcmp(buf, "pass") == 0)
		m->on_failure = MEDIA_FAIL_PASS;
	else if (s)
		cfg_err_at(
		    ld, s, "on_failure: \"%s\" is not reject or pass", buf);
	s = cfg_get_string(ld, g, "edge_protocol", m->edge_protocol,
	    sizeof(m->edge_protocol), false);
	if (s && !proto_ok(m->edge_protocol))
		cfg_err_at(ld, s,
		    "edge_protocol: \"%s\" is not an RTP profile rtpengine "
		    "offers",
		    m->edge_protocol);
	s = cfg_get_string(ld, g, "core_protocol", m->core_protocol,
	    sizeof(m->core_protocol), false);
	if (s && !proto_ok(m->core_protocol))
		cfg_err_at(ld, s,
		    "core_protocol: \"%s\" is not an RTP profile rtpengine "
		    "offers",
		    m->core_protocol);
	if (!m->nrtpe)
		cfg_err_at(ld, g, "rtpengine: no addresses");
}

void
cfg_load_media(struct ld *ld, const config_setting_t *root)
{
	static const char *const known[] = { "enabled", "require_encryption",
		"max_media", "max_attributes", "max_line_len", "rtpengine",
		NULL };
	struct cfg_media *m = &ld->cfg->media;
	const config_setting_t *g = cfg_member(root, "media");

	if (!g)
		return;
	if (!config_setting_is_group(g)) {
		cfg_err_at(ld, g, "media: expected a group { ... }");
		return;
	}
	cfg_check_known(ld, g, known, "media");
	cfg_get_bool(ld, g, "enabled", &m->enabled);
	load_roles(ld, g, m);
	cfg_get_uint(ld, g, "max_media", 1, 32, &m->max_media);
	cfg_get_uint(ld, g, "max_attributes", 1, 256, &m->max_attributes);
	cfg_get_uint(ld, g, "max_line_len", 64, 8192, &m->max_line_len);
	load_rtpe(ld, g, m);
}

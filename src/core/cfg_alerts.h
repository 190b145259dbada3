/*
 * core/cfg_alerts.h -- the "alerts" section: how the alert router
 * (fraud/alert.h) de-duplicates, rate-limits, retries and where it
 * sends alerts.
 *
 *	alerts = {
 *		dedup = "10m";		# same severity+rule+subject: once
 *		rate = { max = 100; per = "1m"; };
 *		node = "";		# "" = the host name
 *		retry_base = "1s";	# first back-off, doubled per attempt
 *		retry_max = "5m";	# back-off cap
 *		max_age = "7d";		# then a delivery is given up
 *		keep = "90d";		# alerts kept in the store
 *		channels = ( { name = "ops"; type = "webhook"; ... }, ... );
 *	};
 *
 * Secrets (webhook signing key, SMTP password) are never written in the
 * file: a channel names an environment variable or a file holding one,
 * read when the router starts. Severities are the numbers of enum
 * alert_sev (0 info, 1 warning, 2 critical).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_CFG_ALERTS_H
#define CENTINELA_CORE_CFG_ALERTS_H

#include <stdbool.h>

#define CFG_ALERT_CHANNELS_MAX 16
#define CFG_ALERT_RCPT_MAX 8
#define CFG_ALERT_NAME_MAX 64 /* a channel name: [A-Za-z0-9_.-]{1,63} */
#define CFG_ALERT_URL_MAX 512
#define CFG_ALERT_ADDR_MAX 254 /* an e-mail address */
#define CFG_ALERT_ENV_MAX 128 /* an environment variable name */
#define CFG_ALERT_FILE_MAX 512 /* a file name */
#define CFG_ALERT_NODE_MAX 64

enum cfg_alert_type {
	CFG_ALERT_WEBHOOK = 0, /* JSON POST, HMAC-signed */
	CFG_ALERT_EMAIL, /* SMTP */
	CFG_ALERT_SYSLOG /* syslog(3) */
};

/* SMTP STARTTLS on an smtp:// URL (smtps:// is TLS from the start). */
enum cfg_alert_tls {
	CFG_ALERT_TLS_TRY = 0, /* when the server offers it */
	CFG_ALERT_TLS_YES, /* required: no TLS, no mail */
	CFG_ALERT_TLS_NO /* never */
};

struct cfg_alert_channel {
	char name[CFG_ALERT_NAME_MAX];
	enum cfg_alert_type type;
	unsigned min; /* the least severity sent here (enum alert_sev) */
	unsigned timeout; /* ms, one attempt (webhook, email) */

	/* webhook: http(s)://; email: smtp(s)://host[:port][/helo-name] */
	char url[CFG_ALERT_URL_MAX];
	char ca[CFG_ALERT_FILE_MAX]; /* CA file for TLS; "" = the system's */

	/* webhook: the HMAC key, from the environment or a file ("" none) */
	char secret_env[CFG_ALERT_ENV_MAX];
	char secret_file[CFG_ALERT_FILE_MAX];

	/* email */
	char from[CFG_ALERT_ADDR_MAX];
	char to[CFG_ALERT_RCPT_MAX][CFG_ALERT_ADDR_MAX];
	unsigned nto;
	char username_env[CFG_ALERT_ENV_MAX]; /* "" = no AUTH */
	char password_env[CFG_ALERT_ENV_MAX];
	char password_file[CFG_ALERT_FILE_MAX];
	enum cfg_alert_tls starttls;

	/* syslog */
	int facility; /* LOG_LOCAL0 ... (already shifted, <syslog.h>) */
	char ident[CFG_ALERT_NAME_MAX];
};

struct cfg_alerts {
	unsigned dedup; /* s; 0 = no de-duplication */
	unsigned rate_max; /* alerts per window; 0 = no limit */
	unsigned rate_per; /* s, the window */
	char node[CFG_ALERT_NODE_MAX]; /* "" = gethostname() */
	unsigned retry_base; /* ms */
	unsigned retry_max; /* ms */
	unsigned max_age; /* s a delivery is retried */
	unsigned keep; /* s an alert stays in the store; 0 = for ever */
	struct cfg_alert_channel channels[CFG_ALERT_CHANNELS_MAX];
	unsigned nchannels;
};

/* The defaults: no channel, dedup 10 min, 100 alerts a minute. */
void cfg_alerts_defaults(struct cfg_alerts *a);

/* "info", "warning", "critical" -> 0, 1, 2; -1 for anything else. */
int cfg_alert_sev_parse(const char *s);
/* 0, 1, 2 -> "info", "warning", "critical"; "?" otherwise. */
const char *cfg_alert_sev_name(unsigned sev);
/* CFG_ALERT_WEBHOOK... -> "webhook", "email", "syslog". */
const char *cfg_alert_type_name(enum cfg_alert_type t);

#endif /* CENTINELA_CORE_CFG_ALERTS_H */

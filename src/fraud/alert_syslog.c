/*
 * fraud/alert_syslog.c -- the syslog channel: one syslog(3) line per
 * alert, at once (no retry: syslog(3) reports nothing back),
 *
 *	alert al-... critical rule="R" subject="S" node=N: text
 *
 * at LOG_CRIT, LOG_WARNING or LOG_INFO for critical, warning and info,
 * in the channel's facility. openlog(3) is per process, hence one ident
 * for every syslog channel (core/cfg_alerts.c checks it); the ident
 * lives in static storage because syslog(3) keeps the pointer.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "core/cfg_alerts.h"
#include "fraud/alert_int.h"

static char ident_buf[CFG_ALERT_NAME_MAX];

void
alert_syslog_open(const char *ident)
{
	snprintf(ident_buf, sizeof(ident_buf), "%s", ident);
	openlog(ident_buf, LOG_PID | LOG_NDELAY, LOG_USER);
}

void
alert_syslog_close(void)
{
	closelog();
}

/* "s" on one line: newlines and tabs become spaces, '"' becomes '\''. */
static void
one_line(char *dst, size_t cap, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < cap; i++)
		dst[i] = s[i] == '\n' || s[i] == '\t' ? ' ' :
		    s[i] == '"'			      ? '\'' :
							s[i];
	dst[i] = '\0';
}

void
alert_syslog_send(const struct cfg_alert_channel *cc, const struct alert_rec *a)
{
	static const int prio[] = { LOG_INFO, LOG_WARNING, LOG_CRIT };
	char rule[STORE_ALERT_RULE_MAX], subject[STORE_ALERT_SUBJECT_MAX];
	char text[STORE_ALERT_TEXT_MAX];

	one_line(rule, sizeof(rule), a->rule);
	one_line(subject, sizeof(subject), a->subject);
	one_line(text, sizeof(text), a->text);
	syslog(
	    LOG_MAKEPRI(cc->facility, prio[a->severity < 3 ? a->severity : 2]),
	    "alert %s %s rule=\"%s\" subject=\"%s\" node=%s: %s", a->id,
	    cfg_alert_sev_name(a->severity), rule, subject, a->node, text);
}

/*
 * fraud/alert_int.h -- what the router (fraud/alert.c) shares with its
 * channels: fraud/alert_webhook.c (JSON POST, HMAC signature),
 * fraud/alert_smtp.c (an RFC 5322 message over SMTP), fraud/alert_syslog.c.
 * Only the router's thread calls any of these.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_FRAUD_ALERT_INT_H
#define CENTINELA_FRAUD_ALERT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "core/cfg_alerts.h"
#include "fraud/alert.h"
#include "store/store.h"

#define ALERT_SECRET_MAX 4096 /* bytes of a secret file read */

/* A configured channel and its secrets (wiped at stop). */
struct alert_chan {
	const struct cfg_alert_channel *cc; /* in the router's config copy */
	char *secret; /* webhook HMAC key; NULL: no signature */
	size_t secret_len;
	char *username; /* email AUTH; NULL: none */
	char *password;
};

/* One webhook or e-mail attempt in flight. */
struct alert_xfer {
	TAILQ_ENTRY(alert_xfer) x_link;
	struct alert_chan *x_ch;
	struct alert_rec x_a;
	struct alert_dlv x_d; /* as claimed: attempts counts this one */
	CURL *x_easy;
	struct curl_slist *x_list; /* webhook headers, or mail recipients */
	char *x_body; /* the POST body or the whole message */
	size_t x_len, x_off; /* x_off: what the SMTP upload has read */
	size_t x_rx; /* bytes of answer body (discarded) */
	char x_err[CURL_ERROR_SIZE];
};

TAILQ_HEAD(alert_xferq, alert_xfer);

/*
 * Set up x->x_easy for a webhook POST of x->x_a at "now" (unix ms):
 * the JSON body, the id, timestamp and signature headers. "mac" is the
 * HMAC implementation (EVP_MAC_fetch "HMAC"). Returns 0, ENOMEM,
 * EILSEQ (text jansson refuses: not UTF-8), EINVAL (libcurl refused an
 * option), EIO (OpenSSL).
 */
int alert_webhook_setup(struct alert_xfer *x, EVP_MAC *mac, int64_t now);
/*
 * The outcome of a finished webhook transfer: true when delivered (2xx),
 * else false with the reason in "why".
 */
bool alert_webhook_done(
    struct alert_xfer *x, CURLcode cc, char *why, size_t whylen);

/*
 * The JSON body of alert "a" (caller frees with free()). Returns 0,
 * ENOMEM, EILSEQ.
 */
int alert_webhook_body(const struct alert_rec *a, char **body, size_t *len);
/*
 * "sha256=" + the hex HMAC-SHA256 of ts "." body under "key" into out
 * (at least 7 + 64 + 1 bytes). Returns 0 or EIO.
 */
int alert_webhook_sign(EVP_MAC *mac, const void *key, size_t keylen,
    const char *ts, const char *body, size_t len, char *out, size_t cap);

/*
 * Set up x->x_easy for mailing x->x_a through x's channel, the message
 * dated "now" (unix ms). "node" names the Message-ID's domain. Returns
 * 0, ENOMEM, EINVAL.
 */
int alert_smtp_setup(struct alert_xfer *x, const char *node, int64_t now);
bool alert_smtp_done(
    struct alert_xfer *x, CURLcode cc, char *why, size_t whylen);

/*
 * The whole RFC 5322 message for alert "a" on channel "cc" (CRLF line
 * ends, caller frees). Returns 0 or ENOMEM.
 */
int alert_smtp_message(const struct cfg_alert_channel *cc,
    const struct alert_rec *a, const char *node, int64_t now, char **msg,
    size_t *len);

/* openlog(3) with the channels' ident; closelog(3). */
void alert_syslog_open(const char *ident);
void alert_syslog_close(void);
/* One syslog(3) line for "a" at the severity's priority. */
void alert_syslog_send(
    const struct cfg_alert_channel *cc, const struct alert_rec *a);

/* unix ms as RFC 3339 UTC with milliseconds: "2026-11-21T09:38:00.123Z". */
void alert_fmt_time(int64_t ms, char *buf, size_t cap);

#endif /* CENTINELA_FRAUD_ALERT_INT_H */

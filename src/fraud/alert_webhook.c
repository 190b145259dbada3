/*
 * fraud/alert_webhook.c -- the webhook channel: one JSON POST per
 * delivery attempt,
 *
 *	{"id":"al-...","ts":"2026-11-21T09:38:00.123Z","severity":"critical",
 *	 "rule":"...","subject":"...","text":"...","node":"..."}
 *
 * with the headers X-Centinela-Alert-Id (the id), X-Centinela-Timestamp
 * (unix seconds of this attempt) and, when the channel has a secret,
 * X-Centinela-Signature: sha256=HEX, HEX the HMAC-SHA256 under the
 * secret of the timestamp, ".", and the body as sent. A receiver
 * recomputes it, compares in constant time and refuses an old
 * timestamp (a replay). A 2xx answer is delivered; anything else is
 * retried. No redirect is followed and no proxy from the environment
 * is used; the answer's body is read and discarded.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "core/cfg_alerts.h"
#include "fraud/alert_int.h"

int
alert_webhook_body(const struct alert_rec *a, char **body, size_t *len)
{
	char ts[40];
	json_t *o;
	char *s;

	alert_fmt_time(a->ts, ts, sizeof(ts));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", a->id, "ts",
	    ts, "severity", cfg_alert_sev_name(a->severity), "rule", a->rule,
	    "subject", a->subject, "text", a->text, "node", a->node);
	if (!o)
		return EILSEQ; /* json_pack refuses text that is not UTF-8 */
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return ENOMEM;
	*body = s;
	*len = strlen(s);
	return 0;
}

int
alert_webhook_sign(EVP_MAC *mac, const void *key, size_t keylen, const char *ts,
    const char *body, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	static char digest[] = "SHA256"; /* OSSL_PARAM wants it writable */
	OSSL_PARAM params[2];
	unsigned char md[EVP_MAX_MD_SIZE];
	EVP_MAC_CTX *ctx;
	size_t mdlen = 0, i;
	int ok;

	if (!mac || !key || !keylen || cap < 7 + 64 + 1)
		return EIO;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		return EIO;
	params[0] =
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = EVP_MAC_init(ctx, key, keylen, params) &&
	    EVP_MAC_update(ctx, (const unsigned char *)ts, strlen(ts)) &&
	    EVP_MAC_update(ctx, (const unsigned char *)".", 1) &&
	    EVP_MAC_update(ctx, (const unsigned char *)body, len) &&
	    EVP_MAC_final(ctx, md, &mdlen, sizeof(md)) && mdlen == 32;
	EVP_MAC_CTX_free(ctx);
	if (!ok)
		return EIO;
	memcpy(out, "sha256=", 7);
	for (i = 0; i < mdlen; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[7 + 2 * i + 1] = hex[md[i] & 0xf];
	}
	out[7 + 2 * mdlen] = '\0';
	return 0;
}

/* The answer's body: counted and dropped (the timeout bounds it). */
static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct alert_xfer *x = arg;

	(void)p;
	x->x_rx += size * n;
	return size * n;
}

/* Append "name: value" to the header list; false when out of memory. */
static bool
add_header(struct alert_xfer *x, const char *name, const char *value)
{
	char line[256];
	struct curl_slist *l;

	snprintf(line, sizeof(line), "%s: %s", name, value);
	l = curl_slist_append(x->x_list, line);
	if (!l)
		return false;
	x->x_list = l;
	return true;
}

int
alert_webhook_setup(struct alert_xfer *x, EVP_MAC *mac, int64_t now)
{
	const struct cfg_alert_channel *cc = x->x_ch->cc;
	char ts[24], sig[80];
	CURLcode c = CURLE_OK;
	CURL *e;
	int err;

	if ((err = alert_webhook_body(&x->x_a, &x->x_body, &x->x_len)))
		return err;
	snprintf(ts, sizeof(ts), "%" PRId64, now / 1000);
	if (!add_header(x, "Content-Type", "application/json") ||
	    !add_header(x, "X-Centinela-Alert-Id", x->x_a.id) ||
	    !add_header(x, "X-Centinela-Timestamp", ts) ||
	    /* no "Expect: 100-continue" round trip */
	    !(x->x_list = curl_slist_append(x->x_list, "Expect:")))
		return ENOMEM;
	if (x->x_ch->secret) {
		if (alert_webhook_sign(mac, x->x_ch->secret,
			x->x_ch->secret_len, ts, x->x_body, x->x_len, sig,
			sizeof(sig)))
			return EIO;
		if (!add_header(x, "X-Centinela-Signature", sig))
			return ENOMEM;
	}
	e = x->x_easy = curl_easy_init();
	if (!e)
		return ENOMEM;
#define SETOPT(o, v)                                   \
	do {                                           \
		if (c == CURLE_OK)                     \
			c = curl_easy_setopt(e, o, v); \
	} while (0)
	SETOPT(CURLOPT_URL, cc->url);
	SETOPT(CURLOPT_PRIVATE, x);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_PROXY, "");
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_TIMEOUT_MS, (long)cc->timeout);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long)cc->timeout);
	SETOPT(CURLOPT_USERAGENT, "centinela");
	SETOPT(CURLOPT_HTTPHEADER, x->x_list);
	SETOPT(CURLOPT_POST, 1L);
	SETOPT(CURLOPT_POSTFIELDSIZE, (long)x->x_len);
	SETOPT(CURLOPT_POSTFIELDS, x->x_body);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, x);
	SETOPT(CURLOPT_ERRORBUFFER, x->x_err);
	if (cc->ca[0])
		SETOPT(CURLOPT_CAINFO, cc->ca);
#undef SETOPT
	return c == CURLE_OK ? 0 : EINVAL;
}

bool
alert_webhook_done(struct alert_xfer *x, CURLcode cc, char *why, size_t whylen)
{
	long code = 0;

	if (cc != CURLE_OK) {
		snprintf(why, whylen, "%s",
		    x->x_err[0] ? x->x_err : curl_easy_strerror(cc));
		return false;
	}
	curl_easy_getinfo(x->x_easy, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299) {
		snprintf(why, whylen, "the receiver answered HTTP %ld", code);
		return false;
	}
	return true;
}

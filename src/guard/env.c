/*
 * guard/env.c -- the guard's state as one object, the pre-parse
 * admission (banset, flood) and the action every guard shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/metrics.h"
#include "callerid/cid.h"
#include "callerid/robinson.h"
#include "callerid/stir.h"
#include "core/event.h"
#include "core/log.h"
#include "fraud/fraudrt.h"
#include "guard/ban.h"
#include "guard/banset.h"
#include "guard/feed.h"
#include "guard/geo.h"
#include "guard/guard.h"
#include "guard/scanner.h"
#include "guard/watch.h"

#define IMPORT_CHUNK 65536

/* A feed's validated list, on the feed thread: into the banset. */
static void
feed_apply(const struct cfg_feed *f, const struct feed_entry *entries, size_t n,
    void *arg)
{
	struct guard_env *e = arg;
	struct cidr *r;
	size_t i, k, chunk;
	unsigned idx;

	for (idx = 0; idx < e->cfg->guard.nfeeds; idx++)
		if (strcmp(e->cfg->guard.feeds[idx].name, f->name) == 0)
			break;
	chunk = n < IMPORT_CHUNK ? n : IMPORT_CHUNK;
	if (!n || !(r = malloc(chunk * sizeof(*r))))
		return;
	for (i = 0; i < n; i += k) {
		for (k = 0; k < chunk && i + k < n; k++)
			r[k] = entries[i + k].range;
		ban_import(e->ban, r, k, f->ban_for, idx, f->name);
	}
	free(r);
}

static void
tick(void *arg)
{
	struct guard_env *e = arg;
	struct banset_stats st;

	banset_stats(e->banset, &st);
	/* The whole table about once a minute, in small slices. */
	ban_tick(e->ban, (uint32_t)time(NULL), st.bytes / 64 / 60 + 4096);
	metrics_gauge_set(MG_BANSET_ENTRIES, st.entries);
	metrics_gauge_set(MG_BANSET_BYTES, st.bytes);
	if (e->cid)
		cid_tick(e->cid, (int64_t)time(NULL));
	loop_timer_start(e->loop, &e->tick, 1000, tick, e);
}

int
guard_env_alloc(struct guard_env **ep, struct loop *l, const struct cfg *cfg)
{
	struct guard_env *e;
	int err;

	e = calloc(1, sizeof(*e));
	if (!e)
		return ENOMEM;
	e->cfg = cfg;
	e->loop = l;
	if ((err = sig_load(&e->sigs,
		 cfg->guard.signatures[0] ? cfg->guard.signatures : NULL,
		 stderr))) {
		log_error("guard: the signature file has errors");
		goto fail;
	}
	if ((err = banset_alloc(&e->banset)) ||
	    (err = ban_alloc(&e->ban, cfg, e->banset)) ||
	    (err = watch_alloc(&e->watch, cfg, e->ban)))
		goto fail;
	if ((err = event_subscribe(watch_event, e->watch)))
		goto fail;
	if (cfg->guard.geo_db[0]) {
		char msg[256];

		if ((err = geo_open(
			 &e->geo, cfg->guard.geo_db, msg, sizeof(msg)))) {
			log_error("guard: %s", msg);
			goto fail;
		}
	}
	if (cfg->guard.ndnsbl &&
	    (err = dnsbl_alloc(&e->dnsbl, l, &cfg->guard))) {
		log_error("guard: DNS blocklists: %s", strerror(err));
		goto fail;
	}
	if (cfg->guard.nfeeds &&
	    (err = feed_sched_start(&e->feeds, &cfg->guard, feed_apply, e))) {
		log_error("guard: feeds: %s", strerror(err));
		goto fail;
	}
	if (cfg->callerid.enabled && (err = cid_alloc(&e->cid, cfg, l)))
		goto fail;
	if (cfg->fraud.enabled && (err = frt_alloc(&e->fraud, l, cfg)))
		goto fail;
	metrics_extra_add(sig_render, NULL);
	log_info("guard: %s, %u scanner signatures (version %u)",
	    cfg->guard.shadow ? "shadow mode" : "enforcing", sig_count(e->sigs),
	    sig_version(e->sigs));
	loop_timer_start(l, &e->tick, 1000, tick, e);
	*ep = e;
	return 0;
fail:
	guard_env_free(e);
	return err;
}

void
guard_env_free(struct guard_env *e)
{
	if (!e)
		return;
	if (e->loop)
		loop_timer_cancel(e->loop, &e->tick);
	if (e->feeds)
		feed_sched_stop(e->feeds);
	frt_free(e->fraud);
	cid_free(e->cid);
	if (e->watch)
		event_unsubscribe(watch_event, e->watch);
	metrics_extra_del(sig_render);
	if (e->dnsbl)
		dnsbl_free(e->dnsbl);
	if (e->geo)
		geo_close(e->geo);
	watch_free(e->watch);
	ban_free(e->ban);
	banset_free(e->banset);
	sig_free(e->sigs);
	free(e);
}

void
guard_scan(struct guard_env *e, const struct sa *src, size_t n, bool *banned)
{
	e->scan_version =
	    banset_check_many(e->banset, src, n, (uint32_t)time(NULL), banned);
}

bool
guard_admit(struct guard_env *e, const struct sa *src, enum peer_role role,
    bool rate, int banned, enum reason *why)
{
	/* A scan's answer, unless a ban came or went since (one of the
	 * batch's earlier datagrams may have earned its source a ban). */
	if (banned < 0 || banset_version(e->banset) != e->scan_version)
		banned =
		    banset_check(e->banset, src, (uint32_t)time(NULL), NULL);
	if (banned && !ban_allowed(e->ban, src)) {
		if (e->cfg->guard.shadow) {
			/* Shadow: even a ban only says what it would do. */
			struct event ev = { .type = EV_SHADOW,
				.reason = REASON_BANNED,
				.src = src,
				.detail = STR("would drop: banned") };

			event_emit(&ev);
		} else {
			*why = REASON_BANNED;
			return false;
		}
	}
	if (rate && !watch_flood(e->watch, src, role, loop_now(e->loop))) {
		*why = REASON_FLOOD;
		return false;
	}
	return true;
}

void
guard_malformed(struct guard_env *e, const struct sa *src)
{
	watch_malformed(e->watch, src);
}

int
guard_reload_signatures(struct guard_env *e)
{
	const char *path =
	    e->cfg->guard.signatures[0] ? e->cfg->guard.signatures : NULL;
	struct sigset *n;
	int err;

	if ((err = sig_load(&n, path, stderr))) {
		log_error("guard: signatures %s not reloaded: it has errors; "
			  "version %u stays",
		    path ? path : "<embedded>", sig_version(e->sigs));
		return err;
	}
	sig_free(e->sigs);
	e->sigs = n;
	log_info("guard: %u scanner signatures reloaded (version %u)",
	    sig_count(n), sig_version(n));
	return 0;
}

void
guard_trigger(const struct sa *src, enum reason why, enum guard_action action,
    bool shadow, const struct sip_msg *msg, const char *tp, const char *detail)
{
	struct event ev;
	char d[320];

	snprintf(d, sizeof(d), "action=%s mode=%s %s",
	    guard_action_name(action), shadow ? "shadow" : "enforce",
	    detail ? detail : "");
	memset(&ev, 0, sizeof(ev));
	ev.type = EV_TRIGGER;
	ev.reason = why;
	ev.src = src;
	ev.tp = tp;
	if (msg) {
		ev.method = msg->method_s;
		ev.call_id = msg->call_id;
	}
	ev.detail = str_make(d, strlen(d));
	event_emit(&ev);
}

enum guard_vd
guard_refuse(struct guard_ctx *gx, struct guard_result *res, uint16_t status,
    struct str phrase, enum reason why, unsigned retry_after, const char *text)
{
	char ra[32] = "";
	int n;

	if (retry_after)
		snprintf(ra, sizeof(ra), "Retry-After: %u\r\n", retry_after);
	/* Room for the header's frame, then as much text as fits. */
	n = snprintf(gx->extra_buf, sizeof(gx->extra_buf),
	    "%sReason: SIP;cause=%u;text=\"%.*s\"\r\n", ra, status,
	    (int)(sizeof(gx->extra_buf) - strlen(ra) - 40), text);
	res->extra = n > 0 && (size_t)n < sizeof(gx->extra_buf) ?
	    str_make(gx->extra_buf, (size_t)n) :
	    STR_NULL;
	res->status = status;
	res->phrase = phrase;
	res->reason = why;
	return GUARD_REPLY;
}

enum guard_vd
guard_act(struct guard_ctx *gx, const struct sip_msg *msg,
    struct guard_result *res, enum guard_action action, enum reason why,
    bool shadow, bool top, const char *detail)
{
	const struct cfg_guard *gc = &gx->cfg->guard;
	char d[256];

	if (ban_allowed(gx->env->ban, gx->src))
		return GUARD_CONTINUE; /* the allowlist overrides every guard */
	shadow = shadow || gc->shadow;
	snprintf(d, sizeof(d), "guard=%s %s", res->guard ? res->guard : "?",
	    detail ? detail : "");
	guard_trigger(gx->src, why, action, shadow, msg, gx->tp_name, d);
	if (action == GA_BAN)
		ban_strike(
		    gx->env->ban, gx->src, gx->role, why, top, shadow, detail);
	if (action == GA_LOG || shadow)
		return GUARD_CONTINUE;
	res->reason = why;
	if (action == GA_REJECT || gc->answer_403) {
		res->status = 403;
		res->phrase = STR("Forbidden");
		return msg->method == SIP_METHOD_ACK ? GUARD_DROP : GUARD_REPLY;
	}
	return GUARD_DROP;
}

void
guard_cancel(struct guard_env *e, void *park)
{
	if (e->dnsbl)
		dnsbl_cancel(e->dnsbl, park);
	if (e->cid && cid_stir_loop(e->cid))
		stir_cancel(cid_stir_loop(e->cid), park);
	if (e->cid && cid_robinson(e->cid))
		robinson_cancel(cid_robinson(e->cid), park);
}

bool
guard_may_park(const struct guard_env *e)
{
	return e->dnsbl ||
	    (e->cid && (cid_stir_loop(e->cid) || cid_robinson(e->cid)));
}

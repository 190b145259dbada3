/*
 * fraud/fraudrt.c -- the toll-fraud engine at work in the daemon: the
 * engine, the dialog table, the alert router, the write-behind of the
 * subjects' state and the suspension round trip with the store.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/metrics.h"
#include "callerid/number.h"
#include "core/log.h"
#include "fraud/alert.h"
#include "fraud/dialog.h"
#include "fraud/fraudrt.h"
#include "store/store.h"
#include "store/wbq.h"

#define RESUME_POLL_MS 1000

/* What the metrics thread reads: a copy taken once a second. */
struct frt_snap {
	struct fraud_stats fs;
	struct dlg_stats ds;
	struct alert_stats as;
	uint64_t persisted, persist_errors, suspended, resumed;
	bool have_alerts;
};

struct frt {
	struct loop *loop;
	const struct cfg *cfg;
	struct fraud *eng;
	struct dlg_table *dlg;
	struct alert_router *alerts;
	struct numplan *plan;
	struct wbq *wbq;
	struct loop_timer tick;
	int64_t next_persist; /* unix s */
	bool stopping;
	/* Shared with the writer thread and the metrics thread. */
	pthread_mutex_t mu;
	char **resumed; /* names the writer found resumed */
	size_t nresumed, capresumed;
	uint64_t persisted, persist_errors, suspended, nresumes;
	struct frt_snap snap;
};

/* ---- the writer thread -------------------------------------------- */

enum op_kind {
	OP_PUT, /* a subject's blob */
	OP_SUSPEND /* its blob, then suspend the account: one step, so the
		      resume poll never sees the one without the other */
};

struct op {
	struct wbq_op q;
	enum op_kind kind;
	uint32_t subj; /* enum fraud_kind */
	bool suspended;
	int64_t at;
	size_t len; /* blob bytes after the name */
	size_t namelen;
	char data[]; /* name, NUL, blob */
};

static int
frt_apply(struct store *s, struct wbq_op *q, void *arg)
{
	static _Thread_local struct fraud_rec rec;
	struct frt *r = arg;
	struct op *op = (struct op *)q;
	int rc;

	rc = 0;
	if (op->len) {
		/* The state first: a suspension marks its row. */
		memset(&rec, 0, offsetof(struct fraud_rec, blob));
		rec.kind = op->subj;
		memcpy(rec.name, op->data, op->namelen + 1);
		rec.suspended = op->suspended;
		rec.updated = op->at;
		rec.len = op->len;
		memcpy(rec.blob, op->data + op->namelen + 1, op->len);
		rc = store_fraud_put(s, &rec);
		if (rc)
			log_error("fraud: cannot store %s: %s", op->data,
			    store_errmsg(s));
	}
	if (op->kind == OP_SUSPEND) {
		int src = store_fraud_suspend(s, op->data);

		if (src == 0)
			log_warn("fraud: account %s suspended in the store",
			    op->data);
		else
			log_error("fraud: cannot suspend account %s: %s",
			    op->data, store_errmsg(s));
		rc = rc ? rc : src;
	}
	pthread_mutex_lock(&r->mu);
	if (rc)
		r->persist_errors++;
	else if (op->len)
		r->persisted++;
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static int
on_resumed(const char *name, void *arg)
{
	struct frt *r = arg;
	char *copy = strdup(name);
	int rc = 0;

	if (!copy)
		return ENOMEM;
	pthread_mutex_lock(&r->mu);
	if (r->nresumed == r->capresumed) {
		size_t n = r->capresumed ? 2 * r->capresumed : 16;
		char **v = realloc(r->resumed, n * sizeof(*v));

		if (v) {
			r->resumed = v;
			r->capresumed = n;
		}
	}
	if (r->nresumed < r->capresumed)
		r->resumed[r->nresumed++] = copy;
	else {
		free(copy);
		rc = ENOMEM;
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

/* Once a second on the writer: accounts an administrator resumed. */
static void
poll_resumed(struct store *s, void *arg)
{
	if (store_fraud_resumed(s, on_resumed, arg))
		log_warn("fraud: resume poll: %s", store_errmsg(s));
}

/* ---- the loop thread ---------------------------------------------- */

static void
push(struct frt *r, enum op_kind kind, enum fraud_kind subj, struct str name,
    const void *blob, size_t len, bool suspended)
{
	struct op *op;

	if (!r->wbq || name.len >= STORE_FRAUD_NAME_MAX ||
	    len > STORE_FRAUD_BLOB_MAX)
		return;
	op = malloc(sizeof(*op) + name.len + 1 + len);
	if (!op) {
		pthread_mutex_lock(&r->mu);
		r->persist_errors++;
		pthread_mutex_unlock(&r->mu);
		return;
	}
	op->kind = kind;
	op->subj = (uint32_t)subj;
	op->suspended = suspended;
	op->at = (int64_t)time(NULL);
	op->len = len;
	op->namelen = name.len;
	memcpy(op->data, name.s, name.len);
	op->data[name.len] = '\0';
	if (len)
		memcpy(op->data + name.len + 1, blob, len);
	wbq_push(r->wbq, &op->q);
}

/* Write one subject's state; OP_SUSPEND: and suspend its account. */
static void
persist(struct frt *r, enum op_kind op, enum fraud_kind kind, struct str name)
{
	struct fraud_subject_info info;
	unsigned char blob[FRAUD_BLOB_SIZE];
	size_t len;

	if (fraud_subject_export(
		r->eng, kind, name, blob, sizeof(blob), &len) ||
	    fraud_blob_info(blob, len, (int64_t)time(NULL), &info))
		len = 0;
	if (op == OP_PUT && !len)
		return;
	push(r, op, kind, name, blob, len, len ? info.suspended : true);
}

/* fraud_subject_dirty() callback. */
static void
persist_one(enum fraud_kind kind, struct str name, void *arg)
{
	persist(arg, OP_PUT, kind, name);
}

static void
snap_take(struct frt *r)
{
	struct frt_snap s;

	memset(&s, 0, sizeof(s));
	fraud_stats(r->eng, &s.fs);
	dlg_stats(r->dlg, &s.ds);
	if (r->alerts) {
		alert_router_stats(r->alerts, &s.as);
		s.have_alerts = true;
	}
	pthread_mutex_lock(&r->mu);
	s.persisted = r->persisted;
	s.persist_errors = r->persist_errors;
	s.suspended = r->suspended;
	s.resumed = r->nresumes;
	r->snap = s;
	pthread_mutex_unlock(&r->mu);
}

static void
frt_tick(void *arg)
{
	struct frt *r = arg;
	char **names = NULL;
	size_t n = 0, i;
	int64_t now = (int64_t)time(NULL);

	pthread_mutex_lock(&r->mu);
	if (r->nresumed) {
		names = r->resumed;
		n = r->nresumed;
		r->resumed = NULL;
		r->nresumed = r->capresumed = 0;
	}
	pthread_mutex_unlock(&r->mu);
	for (i = 0; i < n; i++) {
		if (fraud_subject_resume(
			r->eng, str_make(names[i], strlen(names[i]))) == 0)
			log_warn("fraud: account %s resumed by an "
				 "administrator",
			    names[i]);
		pthread_mutex_lock(&r->mu);
		r->nresumes++;
		pthread_mutex_unlock(&r->mu);
		free(names[i]);
	}
	free(names);
	if (now >= r->next_persist) {
		fraud_subject_dirty(r->eng, persist_one, r);
		r->next_persist = now + r->cfg->fraud.persist_interval;
	}
	snap_take(r);
	loop_timer_start(r->loop, &r->tick, 1000, frt_tick, r);
}

/* A unix time in seconds for a loop_clock_ms() stamp. */
static int64_t
wall_s(int64_t mono_ms, int64_t now_mono, int64_t now_wall_ms)
{
	return (now_wall_ms - (now_mono - mono_ms)) / 1000;
}

static int64_t
wall_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
on_dialog_end(const struct dlg_info *info, void *arg)
{
	struct frt *r = arg;
	int64_t mono = (int64_t)loop_clock_ms(), wall = wall_ms_now();

	fraud_call_end(r->eng, info->owner,
	    info->answered_ms ? wall_s(info->answered_ms, mono, wall) : 0,
	    wall_s(info->ended_ms, mono, wall));
}

static void
on_alert(const struct fraud_alert *a, void *arg)
{
	struct frt *r = arg;
	char text[512], acts[64];

	if (!r->alerts)
		return;
	snprintf(text, sizeof(text), "%s: %s%s (%s, actions: %s)", a->subject,
	    a->text, a->shadow ? " [shadow]" : "",
	    cfg_fraud_level_name(a->level),
	    cfg_fraud_actions_fmt(a->actions, acts, sizeof(acts))[0] ? acts :
								       "none");
	alert_raise(r->alerts,
	    a->level == FRAUD_LEVEL_CRITICAL ? ALERT_CRITICAL : ALERT_WARNING,
	    reason_name(a->reason), a->subject, text, NULL);
}

static void
frt_render(FILE *f, void *arg)
{
	static const char *const vd[4] = { "pass", "cap", "reject", "suspend" };
	struct frt *r = arg;
	struct frt_snap s;
	unsigned i;

	pthread_mutex_lock(&r->mu);
	s = r->snap;
	pthread_mutex_unlock(&r->mu);
	fprintf(f,
	    "# HELP centinela_fraud_decisions_total Initial INVITEs the fraud "
	    "rules decided on, by verdict.\n"
	    "# TYPE centinela_fraud_decisions_total counter\n");
	for (i = 0; i < 4; i++)
		fprintf(f,
		    "centinela_fraud_decisions_total{verdict=\"%s\"} "
		    "%" PRIu64 "\n",
		    vd[i], s.fs.decisions[i]);
	fprintf(f,
	    "# TYPE centinela_fraud_shadowed_total counter\n"
	    "centinela_fraud_shadowed_total %" PRIu64 "\n"
	    "# TYPE centinela_fraud_rule_hits_total counter\n"
	    "centinela_fraud_rule_hits_total %" PRIu64 "\n"
	    "# TYPE centinela_fraud_alerts_total counter\n"
	    "centinela_fraud_alerts_total %" PRIu64 "\n"
	    "# TYPE centinela_fraud_alerts_suppressed_total counter\n"
	    "centinela_fraud_alerts_suppressed_total %" PRIu64 "\n"
	    "# HELP centinela_fraud_subjects Accounts and trunks tracked.\n"
	    "# TYPE centinela_fraud_subjects gauge\n"
	    "centinela_fraud_subjects %" PRIu64 "\n"
	    "# TYPE centinela_fraud_subject_evictions_total counter\n"
	    "centinela_fraud_subject_evictions_total %" PRIu64 "\n"
	    "# TYPE centinela_fraud_subject_evict_failed_total counter\n"
	    "centinela_fraud_subject_evict_failed_total %" PRIu64 "\n"
	    "# HELP centinela_fraud_calls_active Calls counted and not "
	    "ended.\n"
	    "# TYPE centinela_fraud_calls_active gauge\n"
	    "centinela_fraud_calls_active %" PRIu64 "\n"
	    "# TYPE centinela_fraud_end_twice_total counter\n"
	    "centinela_fraud_end_twice_total %" PRIu64 "\n"
	    "# TYPE centinela_fraud_bytes gauge\n"
	    "centinela_fraud_bytes %" PRIu64 "\n"
	    "# TYPE centinela_fraud_subject_bytes gauge\n"
	    "centinela_fraud_subject_bytes %" PRIu64 "\n",
	    s.fs.shadowed, s.fs.hits, s.fs.alerts, s.fs.suppressed,
	    s.fs.subjects, s.fs.evictions, s.fs.evict_failed, s.fs.calls_active,
	    s.fs.end_twice, s.fs.bytes, s.fs.subject_bytes);
	fprintf(f,
	    "# HELP centinela_fraud_dialogs_active Dialogs followed now.\n"
	    "# TYPE centinela_fraud_dialogs_active gauge\n"
	    "centinela_fraud_dialogs_active %" PRIu64 "\n"
	    "# TYPE centinela_fraud_dialogs_started_total counter\n"
	    "centinela_fraud_dialogs_started_total %" PRIu64 "\n"
	    "# TYPE centinela_fraud_dialogs_refused_total counter\n"
	    "centinela_fraud_dialogs_refused_total %" PRIu64 "\n"
	    "# TYPE centinela_fraud_dialog_bytes gauge\n"
	    "centinela_fraud_dialog_bytes %" PRIu64 "\n"
	    "# HELP centinela_fraud_dialogs_ended_total Dialogs ended, by "
	    "how.\n"
	    "# TYPE centinela_fraud_dialogs_ended_total counter\n",
	    s.ds.active, s.ds.started, s.ds.refused_full, s.ds.bytes);
	for (i = 0; i < DLG_END__COUNT; i++)
		fprintf(f,
		    "centinela_fraud_dialogs_ended_total{how=\"%s\"} "
		    "%" PRIu64 "\n",
		    dlg_end_name((enum dlg_end)i), s.ds.ended[i]);
	fprintf(f,
	    "# TYPE centinela_fraud_persisted_total counter\n"
	    "centinela_fraud_persisted_total %" PRIu64 "\n"
	    "# TYPE centinela_fraud_persist_errors_total counter\n"
	    "centinela_fraud_persist_errors_total %" PRIu64 "\n"
	    "# TYPE centinela_fraud_suspensions_total counter\n"
	    "centinela_fraud_suspensions_total %" PRIu64 "\n"
	    "# TYPE centinela_fraud_resumes_total counter\n"
	    "centinela_fraud_resumes_total %" PRIu64 "\n",
	    s.persisted, s.persist_errors, s.suspended, s.resumed);
	if (!s.have_alerts)
		return;
	fprintf(f,
	    "# HELP centinela_alerts_total Alerts by what became of them.\n"
	    "# TYPE centinela_alerts_total counter\n"
	    "centinela_alerts_total{state=\"raised\"} %" PRIu64 "\n"
	    "centinela_alerts_total{state=\"duplicate\"} %" PRIu64 "\n"
	    "centinela_alerts_total{state=\"limited\"} %" PRIu64 "\n"
	    "# HELP centinela_alert_deliveries_total Deliveries to the "
	    "channels by outcome.\n"
	    "# TYPE centinela_alert_deliveries_total counter\n"
	    "centinela_alert_deliveries_total{outcome=\"delivered\"} "
	    "%" PRIu64 "\n"
	    "centinela_alert_deliveries_total{outcome=\"retried\"} "
	    "%" PRIu64 "\n"
	    "centinela_alert_deliveries_total{outcome=\"failed\"} "
	    "%" PRIu64 "\n"
	    "# TYPE centinela_alert_store_errors_total counter\n"
	    "centinela_alert_store_errors_total %" PRIu64 "\n",
	    s.as.raised, s.as.duplicates, s.as.limited, s.as.delivered,
	    s.as.retried, s.as.failed, s.as.store_errors);
}

/* ---- start and stop ----------------------------------------------- */

static int
load_one(const struct fraud_rec *rec, void *arg)
{
	struct frt *r = arg;
	int rc;

	rc = fraud_subject_import(r->eng, (enum fraud_kind)rec->kind,
	    str_make(rec->name, strlen(rec->name)), rec->blob, rec->len);
	if (rc)
		log_warn("fraud: stored state of %s %s not loaded: %s",
		    rec->kind ? "trunk" : "account", rec->name,
		    rc == EINVAL ? "not a state this version reads" :
				   strerror(rc));
	return 0;
}

int
frt_alloc(struct frt **rp, struct loop *l, const struct cfg *cfg)
{
	const struct cfg_fraud *fc = &cfg->fraud;
	struct dlg_conf dc;
	struct store *st = NULL;
	struct fraud_stats fs;
	struct dlg_stats ds;
	struct frt *r;
	char err[256];
	int rc;

	if (!(r = calloc(1, sizeof(*r))))
		return ENOMEM;
	r->loop = l;
	r->cfg = cfg;
	pthread_mutex_init(&r->mu, NULL);
	if ((rc = numplan_load(&r->plan,
		 cfg->callerid.plan[0] ? cfg->callerid.plan : NULL, stderr))) {
		log_error("fraud: the numbering plan has errors");
		goto fail;
	}
	if ((rc = fraud_alloc(&r->eng, fc, NULL, on_alert, r))) {
		log_error("fraud: cannot start the rules: %s", strerror(rc));
		goto fail;
	}
	dc.max_dialogs = fc->max_dialogs;
	dc.max_duration = fc->max_duration;
	dc.early_timeout = fc->early_timeout;
	if ((rc = dlg_table_alloc(&r->dlg, l, &dc, on_dialog_end, r))) {
		log_error("fraud: dialog table: %s", strerror(rc));
		goto fail;
	}
	if ((rc = alert_router_start(&r->alerts, cfg, err, sizeof(err)))) {
		log_error("fraud: alerts: %s", err);
		goto fail;
	}
	if ((rc = store_open(&st, cfg->store_uri, err, sizeof(err)))) {
		log_error("fraud: %s", err);
		goto fail;
	}
	if ((rc = store_fraud_each(st, load_one, r)))
		log_warn(
		    "fraud: loading the stored state: %s", store_errmsg(st));
	rc = wbq_start(
	    &r->wbq, "fraud", st, frt_apply, poll_resumed, RESUME_POLL_MS, r);
	st = NULL; /* the queue's now, even on failure */
	if (rc) {
		log_error("fraud: writer: %s", strerror(rc));
		goto fail;
	}
	fraud_stats(r->eng, &fs);
	dlg_stats(r->dlg, &ds);
	log_info("fraud: %s, %" PRIu64 " accounts and trunks restored, "
		 "%u dialogs at most (%" PRIu64 " bytes each)",
	    fc->shadow ? "shadow mode" : "enforcing", fs.subjects,
	    fc->max_dialogs, ds.bytes_per_dialog);
	r->next_persist = (int64_t)time(NULL) + fc->persist_interval;
	snap_take(r);
	metrics_extra_add(frt_render, r);
	loop_timer_start(l, &r->tick, 1000, frt_tick, r);
	*rp = r;
	return 0;
fail:
	store_close(st);
	frt_free(r);
	return rc;
}

void
frt_free(struct frt *r)
{
	size_t i;

	if (!r)
		return;
	metrics_extra_del(frt_render);
	if (r->loop)
		loop_timer_cancel(r->loop, &r->tick);
	/* Every open dialog ends here (counted once, minutes so far). */
	dlg_table_free(r->dlg);
	r->dlg = NULL;
	if (r->eng && r->wbq) {
		fraud_subject_dirty(r->eng, persist_one, r);
		wbq_stop(r->wbq);
	}
	alert_router_stop(r->alerts);
	fraud_free(r->eng);
	numplan_free(r->plan);
	for (i = 0; i < r->nresumed; i++)
		free(r->resumed[i]);
	free(r->resumed);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* ---- the SIP path ------------------------------------------------- */

int
frt_call(struct frt *r, const struct fraud_call *c, struct fraud_decision *d,
    struct fraud_callref **refp)
{
	int rc = fraud_call_start(r->eng, c, d, refp);

	if (rc == 0 && d->vd == FRAUD_SUSPEND && c->account.len) {
		persist(r, OP_SUSPEND, FRAUD_ACCOUNT, c->account);
		pthread_mutex_lock(&r->mu);
		r->suspended++;
		pthread_mutex_unlock(&r->mu);
		log_warn("fraud: account %.*s suspended (%s)",
		    (int)c->account.len, c->account.s, reason_name(d->reason));
	}
	return rc;
}

void
frt_call_undo(struct frt *r, struct fraud_callref *ref)
{
	fraud_call_end(r->eng, ref, 0, (int64_t)time(NULL));
}

bool
frt_dialog_known(struct frt *r, struct str call_id, struct str from_tag)
{
	return dlg_exists(r->dlg, call_id, from_tag);
}

int
frt_dialog_start(struct frt *r, const struct sip_msg *req, uint64_t key,
    const struct sa *src, struct fraud_callref *ref, unsigned dclass)
{
	int rc = dlg_start(
	    r->dlg, req->call_id, req->from.tag, ref, dclass, key, src);

	if (rc)
		frt_call_undo(r, ref);
	return rc;
}

void
frt_on_request(struct frt *r, const struct sip_msg *req, uint64_t key,
    const struct sa *src)
{
	if (req->method == SIP_METHOD_BYE && req->to.tag.len)
		dlg_bye_seen(
		    r->dlg, req->call_id, req->from.tag, req->to.tag, key, src);
}

/* A final failure of the INVITE of key "key" (relayed or ours). */
static void
invite_failed(
    struct frt *r, const struct sip_msg *m, uint64_t key, unsigned status)
{
	if (status == 487) /* Request Terminated: a CANCEL took effect */
		dlg_cancel(r->dlg, m->call_id, m->from.tag, key);
	else
		dlg_failed(r->dlg, m->call_id, m->from.tag, key);
}

void
frt_on_response(struct frt *r, const struct sip_msg *rsp, uint64_t key,
    const struct sa *src)
{
	unsigned st = rsp->status;

	switch (rsp->cseq.method) {
	case SIP_METHOD_INVITE:
		if (st >= 200 && st < 300)
			dlg_answered(
			    r->dlg, rsp->call_id, rsp->from.tag, key, src);
		else if (st >= 300)
			invite_failed(r, rsp, key, st);
		break;
	case SIP_METHOD_BYE:
		if (st >= 200 && st < 300)
			dlg_bye(r->dlg, rsp->call_id, rsp->from.tag,
			    rsp->to.tag, key, src);
		break;
	default:
		break;
	}
}

void
frt_on_reply(
    struct frt *r, const struct sip_msg *req, uint64_t key, unsigned status)
{
	if (req->method == SIP_METHOD_INVITE && status >= 300 &&
	    !req->to.tag.len)
		invite_failed(r, req, key, status);
}

struct alert_router *
frt_alerts(const struct frt *r)
{
	return r ? r->alerts : NULL;
}

const struct numplan *
frt_plan(const struct frt *r)
{
	return r->plan;
}

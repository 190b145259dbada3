/*
 * callerid/cid.c -- the caller-ID module's state: plan, numbering data,
 * blocking counters.
 *
 * Counters: the loop thread adds into a small open-addressing table
 * keyed by (day, rule, channel, trunk); every report_flush seconds the
 * table's non-zero entries go to the writer thread in one batch, which
 * adds them to the store (an UPSERT, so several daemons can share the
 * store). A full table flushes at once.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "callerid/cid.h"
#include "callerid/numdb.h"
#include "callerid/robinson.h"
#include "callerid/stir.h"
#include "core/log.h"
#include "store/store.h"
#include "store/wbq.h"

#define CTR_SLOTS 512 /* power of two */
#define CTR_FLUSH_AT (CTR_SLOTS / 2)

struct ctr {
	int64_t day; /* 0: empty slot */
	uint64_t n;
	uint16_t rule; /* enum cid_rule */
	uint8_t ch; /* enum cid_channel */
	char trunk[CFG_NAME_MAX];
};

struct ctr_batch {
	struct wbq_op op; /* first */
	unsigned n;
	struct ctr c[];
};

struct cid {
	const struct cfg *cfg;
	struct numplan *plan;
	struct stir_verifier *sv; /* NULL: no verification configured */
	struct stir_loop *sl;
	struct stir_signer *signer; /* NULL: no signing */
	struct robinson *rob; /* NULL: no Lista Robinson API */
	struct wbq *wbq;
	struct numdb_slot *slot; /* the numbering data in force */
	struct numdb_view view; /* the loop thread's */
	const struct numdb *vdb; /* what "have" describes */
	struct numdb_info have;
	struct ctr ctr[CTR_SLOTS];
	unsigned nctr;
	int64_t flush_at;
};

static int
apply_op(struct store *s, struct wbq_op *op, void *arg)
{
	struct ctr_batch *b = (struct ctr_batch *)op;
	unsigned i;
	int err;

	for (i = 0; i < b->n; i++) {
		const struct ctr *c = &b->c[i];

		err = store_cid_block_add(s, c->day,
		    reason_name(cid_rule_reason((enum cid_rule)c->rule)),
		    cid_channel_name((enum cid_channel)c->ch), c->trunk, c->n);
		if (err) {
			log_error("callerid: block counters not written: %s",
			    store_errmsg(s));
			return err;
		}
	}
	return 0;
}

/* The verifier and signer of the stir section. 0 or an errno (logged). */
static int
stir_open(struct cid *c, const struct cfg_stir *st, struct loop *l)
{
	struct stir_verify_conf vc;
	char err[256];
	unsigned i;
	bool verify = false;
	int rc;

	for (i = 1; i < 4; i++)
		verify |= st->verify_class[i];
	if (verify) {
		stir_verify_conf_init(&vc);
		vc.ca_file = st->roots[0] ? st->roots : NULL;
		vc.ca_dir = st->roots_dir[0] ? st->roots_dir : NULL;
		for (i = 0; i < st->ncrl && i < STIR_CRL_MAX; i++)
			vc.crl_files[vc.ncrl++] = st->crl[i];
		vc.https_ca_file = st->https_ca[0] ? st->https_ca : NULL;
		vc.freshness = st->freshness;
		for (vc.nports = 0;
		     vc.nports < st->nports && vc.nports < STIR_PORTS_MAX;
		     vc.nports++)
			vc.ports[vc.nports] = st->ports[vc.nports];
		for (vc.nfetch_allow = 0; vc.nfetch_allow < st->nfetch_allow &&
		     vc.nfetch_allow < STIR_ALLOW_MAX;
		     vc.nfetch_allow++)
			vc.fetch_allow[vc.nfetch_allow] =
			    st->fetch_allow[vc.nfetch_allow];
		vc.cache_max = st->cache_max;
		vc.cn_lax = st->cn_lax;
		vc.strict_params = st->strict_params;
		vc.fetch_timeout_ms = st->fetch_timeout;
		if ((rc = stir_verifier_alloc(&c->sv, &vc, err, sizeof(err)))) {
			log_error("stir: verification: %s", err);
			return rc;
		}
		if (l && (rc = stir_loop_alloc(&c->sl, c->sv, l))) {
			log_error("stir: %s", strerror(rc));
			return rc;
		}
	}
	if (st->sign_key[0] &&
	    (rc = stir_signer_alloc(
		 &c->signer, st->sign_key, st->sign_x5u, err, sizeof(err)))) {
		log_error("stir: signing: %s", err);
		return rc;
	}
	if (verify || c->signer)
		log_info("stir: %s%s%s", verify ? "verifying" : "",
		    verify && c->signer ? " and " : "",
		    c->signer ? "signing" : "");
	return 0;
}

/*
 * The Lista Robinson API client of callerid.robinson.url, credentials
 * from the environment (ROBINSON_ENV_KEY, ROBINSON_ENV_SECRET).
 */
static int
robinson_open(struct cid *c, const struct cfg_callerid *cc, struct loop *l)
{
	struct robinson_opts o;
	int rc;

	if (!cc->robinson_url[0] || l == NULL)
		return 0;
	robinson_opts_default(&o);
	o.region = cc->robinson_region;
	o.service = cc->robinson_service;
	o.batch_max = cc->robinson_batch;
	o.inflight_max = cc->robinson_inflight;
	o.cache_max = cc->robinson_cache_max;
	if ((rc = robinson_alloc(&c->rob, l, cc, &o))) {
		log_error("callerid: Lista Robinson API %s: %s",
		    cc->robinson_url, strerror(rc));
		return rc;
	}
	log_info("callerid: Lista Robinson API %s (%s, fail %s)",
	    cc->robinson_url, o.key_id ? "signed" : "unsigned",
	    cc->robinson_fail_open ? "open" : "closed");
	return 0;
}

/* The writer's poll: rebuild the numbering data when it changed. */
static void
writer_tick(struct store *s, void *arg)
{
	struct cid *c = arg;
	char err[256];
	bool changed = false;
	int rc;

	rc = numdb_slot_reload(c->slot, s, false, &changed, err, sizeof(err));
	if (rc)
		log_error("callerid: numbering data not reloaded (the data in "
			  "force stays): %s",
		    rc == ENOMEM ? "out of memory" : err);
	else if (changed) {
		struct numdb *db = numdb_slot_get(c->slot);
		struct numdb_info in;

		numdb_info(db, &in);
		log_info("callerid: numbering data reloaded: %zu ranges, "
			 "%zu own, %zu exceptions, %zu aliases, %zu Robinson "
			 "hashes",
		    in.ranges, in.own, in.exceptions, in.aliases, in.robinson);
		numdb_unref(db);
	}
}

int
cid_check_config(const struct cfg *cfg, FILE *errf)
{
	struct cid c;
	struct numplan *plan = NULL;
	int rc;

	if ((rc = numplan_load(&plan,
		 cfg->callerid.plan[0] ? cfg->callerid.plan : NULL, errf)))
		return rc;
	numplan_free(plan);
	memset(&c, 0, sizeof(c));
	rc = stir_open(&c, &cfg->stir, NULL);
	stir_signer_free(c.signer);
	stir_verifier_free(c.sv);
	return rc;
}

int
cid_alloc(struct cid **cp, const struct cfg *cfg, struct loop *l)
{
	struct cid *c;
	struct store *s = NULL;
	char err[256];
	int rc;

	*cp = NULL;
	if (!(c = calloc(1, sizeof(*c))))
		return ENOMEM;
	c->cfg = cfg;
	if ((rc = numplan_load(&c->plan,
		 cfg->callerid.plan[0] ? cfg->callerid.plan : NULL, stderr))) {
		log_error("callerid: the numbering plan has errors");
		goto fail;
	}
	if ((rc = store_open(&s, cfg->store_uri, err, sizeof(err)))) {
		log_error("callerid: store: %s", err);
		goto fail;
	}
	if ((rc = numdb_slot_new(&c->slot, NULL)) ||
	    (rc = numdb_slot_reload(
		 c->slot, s, true, NULL, err, sizeof(err)))) {
		log_error("callerid: numbering data: %s",
		    rc == ENOMEM ? "out of memory" : err);
		goto fail;
	}
	{
		struct numdb *db = numdb_slot_get(c->slot);
		struct numdb_info in;

		numdb_info(db, &in);
		log_info("callerid: numbering data: %zu ranges, %zu own, "
			 "%zu exceptions, %zu aliases, %zu Robinson hashes",
		    in.ranges, in.own, in.exceptions, in.aliases, in.robinson);
		numdb_unref(db);
	}
	rc = wbq_start(
	    &c->wbq, "callerid", s, apply_op, writer_tick, cfg->store_poll, c);
	s = NULL;
	if (rc || (rc = stir_open(c, &cfg->stir, l)) ||
	    (rc = robinson_open(c, &cfg->callerid, l)))
		goto fail;
	log_info("callerid: %s, numbering plan %s (country %s)",
	    cfg->callerid.shadow ? "shadow mode" : "enforcing",
	    numplan_version(c->plan), numplan_country(c->plan));
	*cp = c;
	return 0;
fail:
	store_close(s);
	cid_free(c);
	return rc;
}

void
cid_free(struct cid *c)
{
	if (c == NULL)
		return;
	if (c->wbq) {
		cid_flush(c);
		wbq_stop(c->wbq);
	}
	numdb_view_release(&c->view);
	numdb_slot_free(c->slot);
	robinson_free(c->rob);
	stir_loop_free(c->sl);
	stir_verifier_free(c->sv);
	stir_signer_free(c->signer);
	numplan_free(c->plan);
	free(c);
}

struct stir_loop *
cid_stir_loop(const struct cid *c)
{
	return c->sl;
}

struct stir_signer *
cid_stir_signer(const struct cid *c)
{
	return c->signer;
}

struct robinson *
cid_robinson(const struct cid *c)
{
	return c->rob;
}

const struct numplan *
cid_plan(const struct cid *c)
{
	return c->plan;
}

void
cid_facts_fill(struct cid *c, struct cid_facts *f, const char *trunk,
    struct str alias, const char *provider)
{
	const struct numdb *db = numdb_view(c->slot, &c->view);
	const struct number *n = &f->cli->num;
	struct str digits = str_make(n->e164, strlen(n->e164));
	struct str tr = str_make(trunk, strlen(trunk));
	unsigned own, r;

	if (db != c->vdb) {
		numdb_info(db, &c->have);
		c->vdb = db;
	}
	f->assigned = CID_UNKNOWN;
	f->own = CID_UNKNOWN;
	f->in_service = CID_UNKNOWN;
	f->exempt = 0;
	f->alias = CID_ALIAS_NONE;
	f->robinson = CID_ROB_UNCHECKED;
	if (alias.len) {
		bool pro_ok = false;

		if (!numdb_alias(db, alias, f->now,
			str_make(provider, strlen(provider)), &pro_ok))
			f->alias = CID_ALIAS_UNREGISTERED;
		else
			f->alias =
			    pro_ok ? CID_ALIAS_OK : CID_ALIAS_PRO_NOT_ENABLED;
	}
	if (f->cli->valid && n->national) {
		struct numdb_cnmc_res res;

		if (c->have.ranges)
			f->assigned =
			    numdb_cnmc(db, digits, &res) ? CID_YES : CID_NO;
		if (c->have.own) {
			own = numdb_own(db, digits);
			f->own = (own &
				     (NUMDB_OWN_BLOCK | NUMDB_OWN_SUBBLOCK |
					 NUMDB_OWN_PORTED_IN)) &&
				(!(own & NUMDB_OWN_PORTED_OUT) ||
				    c->cfg->callerid.ported_out_is_own) ?
			    CID_YES :
			    CID_NO;
			f->in_service =
			    own & (NUMDB_OWN_SERVICE | NUMDB_OWN_PORTED_IN) ?
			    CID_YES :
			    CID_NO;
		}
	}
	if (c->have.exceptions && f->cli->valid)
		for (r = 0; r < CID__COUNT; r++) {
			const char *code =
			    reason_name(cid_rule_reason((enum cid_rule)r));

			if (numdb_exception(db, digits, tr,
				str_make(code, strlen(code)), f->now))
				f->exempt |= 1u << r;
		}
	if (c->have.robinson && f->called && (f->flags & PEER_F_COMMERCIAL)) {
		char h[65];

		number_robinson_hash(
		    f->called, f->channel == CID_SMS ? "03" : "04", h);
		f->robinson = numdb_robinson_hex(db, str_make(h, 64)) ?
		    CID_ROB_LISTED :
		    CID_ROB_CLEAR;
	}
}

static uint64_t
ctr_hash(int64_t day, unsigned rule, unsigned ch, const char *trunk)
{
	uint64_t h = (uint64_t)day * 0x9e3779b97f4a7c15ULL ^ rule * 31u ^ ch;

	for (; *trunk; trunk++)
		h = (h ^ (unsigned char)*trunk) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

/* Hand every counter to the writer and empty the table. */
static void
ctr_flush(struct cid *c)
{
	struct ctr_batch *b;
	unsigned i, n = 0;

	if (c->nctr == 0)
		return;
	b = malloc(sizeof(*b) + c->nctr * sizeof(b->c[0]));
	if (b == NULL) {
		log_error("callerid: out of memory: block counters kept");
		return;
	}
	for (i = 0; i < CTR_SLOTS; i++)
		if (c->ctr[i].day != 0)
			b->c[n++] = c->ctr[i];
	b->n = n;
	memset(c->ctr, 0, sizeof(c->ctr));
	c->nctr = 0;
	wbq_push(c->wbq, &b->op);
}

void
cid_count_block(struct cid *c, int64_t now, enum cid_rule rule,
    enum cid_channel ch, const char *trunk)
{
	int64_t day = now - now % 86400;
	unsigned i = (unsigned)ctr_hash(day, rule, ch, trunk) & (CTR_SLOTS - 1);
	struct ctr *e;

	for (;; i = (i + 1) & (CTR_SLOTS - 1)) {
		e = &c->ctr[i];
		if (e->day == 0)
			break;
		if (e->day == day && e->rule == rule && e->ch == ch &&
		    strcmp(e->trunk, trunk) == 0) {
			e->n++;
			return;
		}
	}
	e->day = day;
	e->rule = (uint16_t)rule;
	e->ch = (uint8_t)ch;
	e->n = 1;
	snprintf(e->trunk, sizeof(e->trunk), "%s", trunk);
	if (++c->nctr >= CTR_FLUSH_AT)
		ctr_flush(c);
}

void
cid_tick(struct cid *c, int64_t now)
{
	if (now < c->flush_at)
		return;
	c->flush_at = now + c->cfg->callerid.report_flush;
	ctr_flush(c);
}

void
cid_flush(struct cid *c)
{
	ctr_flush(c);
	wbq_sync(c->wbq);
}

static const char *
fit_name(enum num_fit f)
{
	static const char *const names[] = { "ok", "length", "none",
		"foreign" };

	return (unsigned)f < 4 ? names[f] : "?";
}

static void
put_date(json_t *o, const char *key, int64_t t)
{
	char buf[16];
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%d", &tm))
		json_object_set_new(o, key, json_string(buf));
}

int
cid_lookup_json(struct cid *c, struct numdb_view *v, struct str number,
    int64_t now, char **out, size_t *len)
{
	const struct numdb *db = numdb_view(c->slot, v);
	struct numdb_cnmc_res res;
	struct number n;
	struct str d;
	json_t *o, *reg, *own;
	unsigned f;

	*out = NULL;
	if (number_parse(c->plan, number, c->cfg->callerid.bare_cc, now, &n))
		return EINVAL;
	d = str_make(n.e164, strlen(n.e164));
	if (!(o = json_object()))
		return ENOMEM;
	json_object_set_new(o, "e164", json_string(n.e164));
	json_object_set_new(o, "national", json_boolean(n.national));
	json_object_set_new(o, "nsn", json_string(n.nsn));
	json_object_set_new(o, "type", json_string(num_type_name(n.type)));
	json_object_set_new(o, "plan", json_string(fit_name(n.fit)));
	if (numdb_cnmc(db, d, &res)) {
		reg = json_object();
		json_object_set_new(reg, "prefix", json_string(res.prefix));
		json_object_set_new(
		    reg, "status", json_string(numdb_status_name(res.status)));
		json_object_set_new(reg, "holder", json_string(res.holder));
		json_object_set_new(reg, "assignee", json_string(res.assignee));
		json_object_set_new(
		    reg, "sub_assignee", json_string(res.sub_assignee));
		json_object_set_new(reg, "area", json_string(res.area));
		put_date(reg, "date", res.assigned);
		json_object_set_new(o, "assigned", json_true());
		json_object_set_new(o, "register", reg);
	} else
		json_object_set_new(o, "assigned", json_false());
	f = numdb_own(db, d);
	own = json_object();
	json_object_set_new(own, "block", json_boolean(f & NUMDB_OWN_BLOCK));
	json_object_set_new(
	    own, "subblock", json_boolean(f & NUMDB_OWN_SUBBLOCK));
	json_object_set_new(
	    own, "in_service", json_boolean(f & NUMDB_OWN_SERVICE));
	json_object_set_new(
	    own, "ported_in", json_boolean(f & NUMDB_OWN_PORTED_IN));
	json_object_set_new(
	    own, "ported_out", json_boolean(f & NUMDB_OWN_PORTED_OUT));
	json_object_set_new(o, "own", own);
	*out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (*out == NULL)
		return ENOMEM;
	*len = strlen(*out);
	return 0;
}

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
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "callerid/cid.h"
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
	struct wbq *wbq;
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

int
cid_alloc(struct cid **cp, const struct cfg *cfg)
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
	rc = wbq_start(&c->wbq, "callerid", s, apply_op, NULL, 0, c);
	if (rc)
		goto fail;
	log_info("callerid: %s, numbering plan %s (country %s)",
	    cfg->callerid.shadow ? "shadow mode" : "enforcing",
	    numplan_version(c->plan), numplan_country(c->plan));
	*cp = c;
	return 0;
fail:
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
	numplan_free(c->plan);
	free(c);
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
	f->assigned = CID_UNKNOWN;
	f->own = CID_UNKNOWN;
	f->in_service = CID_UNKNOWN;
	f->exempt = 0;
	f->alias = alias.len ? CID_ALIAS_UNREGISTERED : CID_ALIAS_NONE;
	f->robinson = CID_ROB_UNCHECKED;
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

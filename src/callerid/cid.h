/*
 * callerid/cid.h -- the caller-ID module's state in the daemon: the
 * numbering plan, the numbering data (reloaded when centinelactl
 * changes it), the blocking counters written to the store for the
 * reports.
 *
 * Owned by the guard environment and used from the SIP loop thread;
 * the store work (counter writes, reloads) runs on a write-behind
 * thread of its own.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CALLERID_CID_H
#define CENTINELA_CALLERID_CID_H

#include <stdint.h>
#include <stdio.h>

#include "callerid/number.h"
#include "callerid/rules.h"
#include "core/cfg.h"
#include "core/loop.h"

struct cid;

/*
 * Load the plan and the numbering data, start the writer. 0 or an
 * errno value (logged).
 */
int cid_alloc(struct cid **cp, const struct cfg *cfg, struct loop *l);
void cid_free(struct cid *c);
/*
 * For centinela -t: load the numbering plan, the STIR roots, CRLs and
 * signing key the configuration names. 0 or an errno (errors on errf or
 * logged).
 */
int cid_check_config(const struct cfg *cfg, FILE *errf);

const struct numplan *cid_plan(const struct cid *c);

struct stir_loop;
struct stir_signer;
/* STIR/SHAKEN: the verifier on this loop and the signer, or NULL. */
struct stir_loop *cid_stir_loop(const struct cid *c);
struct stir_signer *cid_stir_signer(const struct cid *c);
struct robinson;
/* The Lista Robinson API client (callerid.robinson.url), or NULL. */
struct robinson *cid_robinson(const struct cid *c);

/*
 * Fill the numbering-data answers of "f" for its calling number (and,
 * for an SMS, the alias "alias" sent by "provider"), and the exceptions
 * valid for "trunk" at f->now.
 */
void cid_facts_fill(struct cid *c, struct cid_facts *f, const char *trunk,
    struct str alias, const char *provider);

/* Count one enforced block for the reports. */
void cid_count_block(struct cid *c, int64_t now, enum cid_rule rule,
    enum cid_channel ch, const char *trunk);

struct numdb_view;
/*
 * What the numbering data says about "number" (any written form), as
 * JSON in *out (malloc'd, *len bytes): plan type and fit, CNMC
 * register entry, own inventory flags. "v" is the calling thread's
 * view (zero it once per thread). 0, EINVAL (not a number), ENOMEM.
 */
int cid_lookup_json(struct cid *c, struct numdb_view *v, struct str number,
    int64_t now, char **out, size_t *len);

/* Once a second from the loop: flush counters when due. */
void cid_tick(struct cid *c, int64_t now);
/* Write every counter now and wait (shutdown, tests). */
void cid_flush(struct cid *c);

#endif /* CENTINELA_CALLERID_CID_H */

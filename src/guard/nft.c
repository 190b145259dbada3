/*
 * guard/nft.c -- kernel offload of bans into nftables sets.
 *
 * nft_open() (re)creates the table in one transaction; after that a
 * thread of our own owns the libnftables context and applies what
 * nft_ban()/nft_unban() queued, several changes per transaction.
 *
 * Why each batch starts by listing the table: nftables refuses an
 * interval that overlaps an element already in the set (a /32 inside
 * a banned /24, or a /24 around a banned /32), "delete element" of a
 * missing element fails, and "add element" of an existing one keeps
 * the old timeout. One failing command aborts the whole transaction.
 * So the thread reads the sets (JSON), replays the queued changes on
 * that copy and sends only the difference: deletes first (elements
 * unbanned, elements a new, wider ban covers, elements re-banned with
 * a new timeout), then adds. A ban already covered by a wider element
 * is a no-op, so is an unban of a missing element. Should the
 * transaction still fail (an element expired between the listing and
 * the change, or a foreign element we cannot read), the batch is tried
 * once more, then change by change, and a change that fails on its own
 * is counted and logged; the queue goes on.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <jansson.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "guard/nft.h"

/* Changes taken from the queue into one transaction at most. */
#define NFT_BATCH_MAX 256
/* nft 1.0.6 refuses timeouts of 10^8 s and more; ~1000 days is plenty. */
#define NFT_TIMEOUT_MAX (1000u * 86400u)
/* A table name: [A-Za-z_][A-Za-z0-9_]*, nft's NFT_NAME_MAXLEN - 1. */
#define NFT_TABLE_MAX 255

struct nft_op {
	struct nft_op *next;
	struct cidr c; /* canonical */
	unsigned secs; /* ban: 0 = no timeout */
	bool ban;
};

struct nft {
	char nf_table[NFT_TABLE_MAX + 1];
	struct nft_ctx *nf_ctx; /* the thread's while it runs */

	pthread_t nf_thread;
	pthread_mutex_t nf_mu;
	pthread_cond_t nf_cv; /* work queued, or stop */
	pthread_cond_t nf_done_cv; /* a batch was applied */
	struct nft_op *nf_head, *nf_tail;
	uint64_t nf_nqueued; /* changes ever queued */
	uint64_t nf_ndone; /* changes ever taken and finished */
	bool nf_stop;

	_Atomic uint64_t nf_applied;
	_Atomic uint64_t nf_failed;
};

/* One element of a set as the planner sees it. */
struct nft_elem {
	struct cidr c;
	unsigned secs; /* for an add */
	bool in_kernel; /* there when the batch started */
	bool want; /* there when the batch is done */
	bool fresh; /* (re)added by the batch */
};

struct nft_plan {
	struct nft_elem *v;
	size_t n, cap;
};

/* ---- running commands -------------------------------------------- */

static const char *
set_name(int family)
{
	return family == AF_INET ? "banned4" : "banned6";
}

/* The first line of nft's message, without its "Error: " prefix. */
static void
msg_first_line(const char *text, char *buf, size_t cap)
{
	const char *s = text ? text : "", *p;
	size_t len;

	for (;;) {
		if (!strncmp(s, "netlink: ", 9))
			s += 9;
		else if (!strncmp(s, "Error: ", 7))
			s += 7;
		else
			break;
	}
	p = strchr(s, '\n');
	len = p ? (size_t)(p - s) : strlen(s);
	if (len == 0) {
		s = "unknown error";
		len = strlen(s);
	}
	snprintf(buf, cap, "%.*s", (int)len, s);
}

/*
 * nft reports failures as text; errno is not reliable after
 * nft_run_cmd_from_buffer(). Recover the code from the message.
 */
static int
msg_errno(const char *text)
{
	static const int codes[] = { EPERM, EACCES, ENOENT, EEXIST, EBUSY,
		ENOMEM, ENOBUFS, ENOSPC, EOPNOTSUPP, EPROTONOSUPPORT,
		EAFNOSUPPORT, ERANGE, EINVAL };
	size_t i;

	if (!text)
		return EIO;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strstr(text, strerror(codes[i])))
			return codes[i];
	if (strstr(text, "syntax error") || strstr(text, "value too large"))
		return EINVAL;
	return EIO;
}

/*
 * Run "cmd" on "ctx". Returns 0 or an errno value; on failure the first
 * line of nft's message goes to "msg". With "out", the command's output
 * (valid until the next run) is stored there.
 */
static int
run(struct nft_ctx *ctx, const char *cmd, const char **out, char *msg,
    size_t msglen)
{
	const char *e;

	/* Reading a buffer resets it: start from empty ones. */
	(void)nft_ctx_get_output_buffer(ctx);
	(void)nft_ctx_get_error_buffer(ctx);
	if (nft_run_cmd_from_buffer(ctx, cmd) == 0) {
		if (out)
			*out = nft_ctx_get_output_buffer(ctx);
		return 0;
	}
	e = nft_ctx_get_error_buffer(ctx);
	msg_first_line(e, msg, msglen);
	return msg_errno(e);
}

/* ---- the planner --------------------------------------------------- */

/* Does "a" contain "b" (same family, a's prefix no longer)? */
static bool
cidr_contains(const struct cidr *a, const struct cidr *b)
{
	unsigned bytes = a->prefix / 8, rem = a->prefix % 8;
	uint8_t mask;

	if (a->family != b->family || a->prefix > b->prefix)
		return false;
	if (bytes && memcmp(a->addr, b->addr, bytes) != 0)
		return false;
	if (!rem)
		return true;
	mask = (uint8_t)(0xff << (8 - rem));
	return (a->addr[bytes] & mask) == (b->addr[bytes] & mask);
}

static struct nft_elem *
plan_push(struct nft_plan *p, const struct cidr *c)
{
	struct nft_elem *e;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;

		e = realloc(p->v, cap * sizeof(*e));
		if (!e)
			return NULL;
		p->v = e;
		p->cap = cap;
	}
	e = &p->v[p->n++];
	memset(e, 0, sizeof(*e));
	e->c = *c;
	return e;
}

/* One element of the JSON listing: "a", {prefix}, or {elem: {val}}. */
static int
elem_parse(json_t *v, int family, struct cidr *c)
{
	char buf[CIDR_STRLEN + 8];
	json_t *x;

	if ((x = json_object_get(v, "elem")))
		v = json_object_get(x, "val");
	if (json_is_string(v)) {
		if (cidr_parse(json_string_value(v), c))
			return EINVAL;
	} else if ((x = json_object_get(v, "prefix"))) {
		const char *a = json_string_value(json_object_get(x, "addr"));
		json_t *len = json_object_get(x, "len");

		if (!a || !json_is_integer(len))
			return EINVAL;
		snprintf(buf, sizeof(buf), "%s/%lld", a,
		    (long long)json_integer_value(len));
		if (cidr_parse(buf, c))
			return EINVAL;
	} else
		return EINVAL; /* a range that is no prefix: not ours */
	if (c->family != family)
		return EINVAL;
	cidr_mask(c);
	return 0;
}

/* Read both sets from the kernel into "p". 0 or an errno value. */
static int
plan_load(struct nft *n, struct nft_plan *p, char *msg, size_t msglen)
{
	const char *out = NULL;
	char cmd[64 + NFT_TABLE_MAX];
	json_t *root, *items;
	json_error_t jerr;
	size_t i, j;
	int rc;

	snprintf(cmd, sizeof(cmd), "list table inet %s\n", n->nf_table);
	nft_ctx_output_set_flags(n->nf_ctx, NFT_CTX_OUTPUT_JSON);
	rc = run(n->nf_ctx, cmd, &out, msg, msglen);
	nft_ctx_output_set_flags(n->nf_ctx, 0);
	if (rc)
		return rc;
	root = json_loads(out ? out : "", 0, &jerr);
	if (!root) {
		snprintf(msg, msglen, "listing: %s", jerr.text);
		return EBADMSG;
	}
	items = json_object_get(root, "nftables");
	for (i = 0; i < json_array_size(items); i++) {
		json_t *set = json_object_get(json_array_get(items, i), "set");
		json_t *elems;
		const char *name =
		    json_string_value(json_object_get(set, "name"));
		int family;

		if (!name)
			continue;
		if (!strcmp(name, "banned4"))
			family = AF_INET;
		else if (!strcmp(name, "banned6"))
			family = AF_INET6;
		else
			continue;
		elems = json_object_get(set, "elem");
		for (j = 0; j < json_array_size(elems); j++) {
			struct nft_elem *e;
			struct cidr c;

			if (elem_parse(json_array_get(elems, j), family, &c))
				continue;
			if (!(e = plan_push(p, &c))) {
				json_decref(root);
				return ENOMEM;
			}
			e->in_kernel = e->want = true;
		}
	}
	json_decref(root);
	return 0;
}

/* Replay one change on the copy. 0 or ENOMEM. */
static int
plan_apply(struct nft_plan *p, const struct nft_op *op)
{
	struct nft_elem *e;
	size_t i;
	bool found = false;

	for (i = 0; i < p->n; i++) {
		e = &p->v[i];
		if (!e->want || e->c.family != op->c.family)
			continue;
		if (!op->ban) {
			if (cidr_eq(&e->c, &op->c)) {
				e->want = false;
				break;
			}
			continue;
		}
		/*
		 * A wider element already drops the range: leave it. (A
		 * shorter timeout on it ends the kernel ban early; the
		 * daemon's own ban set still has the range.)
		 */
		if (e->c.prefix < op->c.prefix && cidr_contains(&e->c, &op->c))
			return 0;
	}
	if (!op->ban)
		return 0;
	for (i = 0; i < p->n; i++) {
		e = &p->v[i];
		if (!e->want || !cidr_contains(&op->c, &e->c))
			continue;
		if (e->c.prefix == op->c.prefix) {
			e->fresh = true;
			e->secs = op->secs;
			found = true;
		} else
			e->want = false; /* the new ban covers it */
	}
	if (found)
		return 0;
	if (!(e = plan_push(p, &op->c)))
		return ENOMEM;
	e->want = e->fresh = true;
	e->secs = op->secs;
	return 0;
}

/* The commands that turn the kernel's sets into the plan's; caller frees. */
static int
plan_commands(const struct nft *n, const struct nft_plan *p, char **cmdp)
{
	char *buf = NULL, a[CIDR_STRLEN];
	size_t len = 0, i;
	FILE *f;
	bool any = false;
	int pass;

	*cmdp = NULL;
	if (!(f = open_memstream(&buf, &len)))
		return ENOMEM;
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < p->n; i++) {
			const struct nft_elem *e = &p->v[i];

			cidr_fmt(&e->c, a, sizeof(a));
			if (pass == 0 && e->in_kernel &&
			    (!e->want || e->fresh)) {
				fprintf(f, "delete element inet %s %s { %s }\n",
				    n->nf_table, set_name(e->c.family), a);
				any = true;
			} else if (pass == 1 && e->want && e->fresh) {
				fprintf(f, "add element inet %s %s { %s",
				    n->nf_table, set_name(e->c.family), a);
				if (e->secs)
					fprintf(f, " timeout %us", e->secs);
				fputs(" }\n", f);
				any = true;
			}
		}
	if (fclose(f) != 0) {
		free(buf);
		return ENOMEM;
	}
	if (any)
		*cmdp = buf;
	else
		free(buf);
	return 0;
}

/* List, replay "nops" changes from "ops", send the difference. */
static int
apply_ops(struct nft *n, const struct nft_op *ops, size_t nops, char *msg,
    size_t msglen)
{
	struct nft_plan p = { 0 };
	char *cmd = NULL;
	size_t i;
	int rc;

	if ((rc = plan_load(n, &p, msg, msglen)))
		goto out;
	for (i = 0; i < nops; i++, ops = ops->next)
		if ((rc = plan_apply(&p, ops)))
			goto out;
	if ((rc = plan_commands(n, &p, &cmd)))
		goto out;
	if (cmd)
		rc = run(n->nf_ctx, cmd, NULL, msg, msglen);
out:
	if (rc == ENOMEM && !msg[0])
		snprintf(msg, msglen, "out of memory");
	free(cmd);
	free(p.v);
	return rc;
}

/* ---- the thread ---------------------------------------------------- */

static void
apply_batch(struct nft *n, struct nft_op *batch, size_t nops)
{
	char msg[256], a[CIDR_STRLEN];
	struct nft_op *op;
	int attempt;
	bool single;

	for (attempt = 0; attempt < 2; attempt++) {
		msg[0] = '\0';
		if (!apply_ops(n, batch, nops, msg, sizeof(msg))) {
			atomic_fetch_add_explicit(
			    &n->nf_applied, nops, memory_order_relaxed);
			return;
		}
	}
	/* One change at a time: only the guilty ones are lost. */
	single = nops == 1; /* then it failed twice already */
	for (op = batch; op && nops; op = op->next, nops--) {
		if (!single) {
			msg[0] = '\0';
			if (!apply_ops(n, op, 1, msg, sizeof(msg))) {
				atomic_fetch_add_explicit(
				    &n->nf_applied, 1, memory_order_relaxed);
				continue;
			}
		}
		atomic_fetch_add_explicit(
		    &n->nf_failed, 1, memory_order_relaxed);
		log_warn("nft: %s %s in table %s: %s",
		    op->ban ? "ban" : "unban", cidr_fmt(&op->c, a, sizeof(a)),
		    n->nf_table, msg);
	}
}

static void *
nft_main(void *arg)
{
	struct nft *n = arg;

	pthread_mutex_lock(&n->nf_mu);
	for (;;) {
		struct nft_op *batch, *last, *op;
		size_t nops;

		while (!n->nf_head && !n->nf_stop)
			pthread_cond_wait(&n->nf_cv, &n->nf_mu);
		if (n->nf_stop)
			break;
		batch = last = n->nf_head;
		for (nops = 1; nops < NFT_BATCH_MAX && last->next; nops++)
			last = last->next;
		n->nf_head = last->next;
		if (!n->nf_head)
			n->nf_tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&n->nf_mu);

		apply_batch(n, batch, nops);
		while (batch) {
			op = batch->next;
			free(batch);
			batch = op;
		}

		pthread_mutex_lock(&n->nf_mu);
		n->nf_ndone += nops;
		pthread_cond_broadcast(&n->nf_done_cv);
	}
	pthread_mutex_unlock(&n->nf_mu);
	return NULL;
}

static int
enqueue(struct nft *n, const struct cidr *c, unsigned secs, bool ban)
{
	struct nft_op *op;

	if (!n || !c)
		return EINVAL;
	if ((c->family != AF_INET || c->prefix > 32) &&
	    (c->family != AF_INET6 || c->prefix > 128))
		return EINVAL;
	if (!(op = calloc(1, sizeof(*op))))
		return ENOMEM;
	op->c = *c;
	cidr_mask(&op->c);
	op->secs = secs > NFT_TIMEOUT_MAX ? NFT_TIMEOUT_MAX : secs;
	op->ban = ban;
	pthread_mutex_lock(&n->nf_mu);
	if (n->nf_tail)
		n->nf_tail->next = op;
	else
		n->nf_head = op;
	n->nf_tail = op;
	n->nf_nqueued++;
	pthread_cond_signal(&n->nf_cv);
	pthread_mutex_unlock(&n->nf_mu);
	return 0;
}

/* ---- public -------------------------------------------------------- */

static bool
table_name_ok(const char *t)
{
	size_t i;

	if (!t || !t[0] || strlen(t) > NFT_TABLE_MAX)
		return false;
	if (!(t[0] == '_' || (t[0] >= 'a' && t[0] <= 'z') ||
		(t[0] >= 'A' && t[0] <= 'Z')))
		return false;
	for (i = 1; t[i]; i++)
		if (!(t[i] == '_' || (t[i] >= 'a' && t[i] <= 'z') ||
			(t[i] >= 'A' && t[i] <= 'Z') ||
			(t[i] >= '0' && t[i] <= '9')))
			return false;
	return true;
}

/*
 * Create table "inet <table>" anew (dropping one a previous run left),
 * and start the thread. Returns 0 and sets *np, or an errno value with a
 * one-line message in "err": EINVAL for a bad name (the name goes into
 * nft commands, so only letters, digits and _ pass), EPERM without
 * CAP_NET_ADMIN, another code nft's message names, ENOMEM.
 */
int
nft_open(struct nft **np, const char *table, char *err, size_t errlen)
{
	char cmd[512 + 4 * NFT_TABLE_MAX], msg[256];
	struct nft *n = NULL;
	bool thread = false;
	int rc;

	if (!err)
		errlen = 0;
	else if (errlen)
		err[0] = '\0';
	if (!np)
		return EINVAL;
	if (!table_name_ok(table)) {
		snprintf(err, errlen,
		    "nft: bad table name \"%.64s\" (a letter or _, then "
		    "letters, digits and _)",
		    table ? table : "");
		return EINVAL;
	}
	if (!(n = calloc(1, sizeof(*n)))) {
		snprintf(err, errlen, "nft: out of memory");
		return ENOMEM;
	}
	snprintf(n->nf_table, sizeof(n->nf_table), "%s", table);
	pthread_mutex_init(&n->nf_mu, NULL);
	pthread_cond_init(&n->nf_cv, NULL);
	pthread_cond_init(&n->nf_done_cv, NULL);
	if (!(n->nf_ctx = nft_ctx_new(NFT_CTX_DEFAULT)) ||
	    nft_ctx_buffer_output(n->nf_ctx) ||
	    nft_ctx_buffer_error(n->nf_ctx)) {
		snprintf(
		    err, errlen, "nft: cannot create a libnftables context");
		rc = ENOMEM;
		goto out;
	}
	/* "add" then "delete": the table goes, whether or not it was there. */
	snprintf(cmd, sizeof(cmd),
	    "add table inet %s\n"
	    "delete table inet %s\n"
	    "table inet %s {\n"
	    "\tset banned4 { type ipv4_addr; flags interval, timeout; }\n"
	    "\tset banned6 { type ipv6_addr; flags interval, timeout; }\n"
	    "\tchain input {\n"
	    "\t\ttype filter hook input priority -150; policy accept;\n"
	    "\t\tip saddr @banned4 drop\n"
	    "\t\tip6 saddr @banned6 drop\n"
	    "\t}\n"
	    "}\n",
	    table, table, table);
	if ((rc = run(n->nf_ctx, cmd, NULL, msg, sizeof(msg)))) {
		snprintf(err, errlen, "nft: table inet %s: %s", table, msg);
		goto out;
	}
	if ((rc = pthread_create(&n->nf_thread, NULL, nft_main, n))) {
		snprintf(
		    err, errlen, "nft: cannot start thread: %s", strerror(rc));
		snprintf(cmd, sizeof(cmd), "delete table inet %s\n", table);
		(void)run(n->nf_ctx, cmd, NULL, msg, sizeof(msg));
		goto out;
	}
	thread = true;
out:
	if (thread) {
		*np = n;
		return 0;
	}
	if (n->nf_ctx)
		nft_ctx_free(n->nf_ctx);
	pthread_cond_destroy(&n->nf_done_cv);
	pthread_cond_destroy(&n->nf_cv);
	pthread_mutex_destroy(&n->nf_mu);
	free(n);
	return rc;
}

/*
 * Stop the thread (changes still queued are dropped), delete the table
 * and free "n". NULL is a no-op.
 */
void
nft_close(struct nft *n)
{
	char cmd[64 + NFT_TABLE_MAX], msg[256];
	struct nft_op *op;

	if (!n)
		return;
	pthread_mutex_lock(&n->nf_mu);
	n->nf_stop = true;
	pthread_cond_broadcast(&n->nf_cv);
	pthread_mutex_unlock(&n->nf_mu);
	pthread_join(n->nf_thread, NULL);
	while ((op = n->nf_head)) {
		n->nf_head = op->next;
		free(op);
	}
	snprintf(cmd, sizeof(cmd), "delete table inet %s\n", n->nf_table);
	if (run(n->nf_ctx, cmd, NULL, msg, sizeof(msg)))
		log_warn("nft: delete table inet %s: %s", n->nf_table, msg);
	nft_ctx_free(n->nf_ctx);
	pthread_cond_destroy(&n->nf_done_cv);
	pthread_cond_destroy(&n->nf_cv);
	pthread_mutex_destroy(&n->nf_mu);
	free(n);
}

/*
 * Queue: "c" into banned4/banned6 for "secs" seconds (0: no timeout;
 * longer than NFT_TIMEOUT_MAX is cut to it). An existing element gets the
 * new timeout; elements inside "c" are replaced by it; inside a wider
 * element it is a no-op. Returns 0, EINVAL (not a range) or ENOMEM.
 */
int
nft_ban(struct nft *n, const struct cidr *c, unsigned secs)
{
	return enqueue(n, c, secs, true);
}

/* Queue removal of exactly "c" (missing: no-op). 0, EINVAL or ENOMEM. */
int
nft_unban(struct nft *n, const struct cidr *c)
{
	return enqueue(n, c, 0, false);
}

/* Return once every change queued before the call has been applied. */
void
nft_sync(struct nft *n)
{
	uint64_t target;

	if (!n)
		return;
	pthread_mutex_lock(&n->nf_mu);
	target = n->nf_nqueued;
	while (n->nf_ndone < target && !n->nf_stop)
		pthread_cond_wait(&n->nf_done_cv, &n->nf_mu);
	pthread_mutex_unlock(&n->nf_mu);
}

/*
 * Changes applied (including no-ops: an unban of a missing element, a
 * ban inside a wider one) and failed so far.
 */
void
nft_stats(const struct nft *n, uint64_t *applied, uint64_t *failed)
{
	if (applied)
		*applied = n ?
		    atomic_load_explicit(&n->nf_applied, memory_order_relaxed) :
		    0;
	if (failed)
		*failed = n ?
		    atomic_load_explicit(&n->nf_failed, memory_order_relaxed) :
		    0;
}

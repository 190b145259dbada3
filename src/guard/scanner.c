/*
 * guard/scanner.c -- scanner signatures (see scanner.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <libconfig.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guard/guard.h"
#include "guard/scanner.h"

#define SIG_MAX 256
#define SIG_NAME_MAX 64
#define SIG_VALUE_MAX 256

extern const unsigned char default_sigs[];
extern const size_t default_sigs_len;

enum sig_kind {
	SIG_CONTAINS,
	SIG_PREFIX,
	SIG_EQUALS
};

struct sig {
	unsigned slot; /* hit counter */
	enum sip_hdr_id hid;
	char hname[SIG_NAME_MAX]; /* for SIP_HDR_OTHER */
	enum sig_kind kind;
	char value[SIG_VALUE_MAX];
	size_t vlen;
	enum sip_method method; /* SIP_METHOD_UNKNOWN: any */
	bool ruri; /* header "Request-URI": the request line's URI */
};

struct sigset {
	unsigned version;
	unsigned n;
	struct sig sigs[];
};

/* Counters by name, never freed: /metrics reads them from its thread. */
static struct {
	char name[SIG_NAME_MAX];
	_Atomic uint64_t hits;
} slots[SIG_MAX];
static _Atomic unsigned nslots;
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;

static int
slot_for(const char *name, unsigned *out)
{
	unsigned i, n;
	int rc = 0;

	pthread_mutex_lock(&slots_mu);
	n = atomic_load(&nslots);
	for (i = 0; i < n; i++)
		if (strcmp(slots[i].name, name) == 0)
			break;
	if (i == n) {
		if (n == SIG_MAX)
			rc = ENOSPC;
		else {
			snprintf(
			    slots[n].name, sizeof(slots[n].name), "%s", name);
			atomic_store(&nslots, n + 1);
		}
	}
	*out = i;
	pthread_mutex_unlock(&slots_mu);
	return rc;
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static bool
has_prefix_nocase(struct str s, const char *p, size_t n)
{
	size_t i;

	if (s.len < n)
		return false;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)s.s[i]) != lower((unsigned char)p[i]))
			return false;
	return true;
}

static bool
contains_nocase(struct str s, const char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return true;
	for (i = 0; i + n <= s.len; i++)
		if (lower((unsigned char)s.s[i]) ==
			lower((unsigned char)p[0]) &&
		    has_prefix_nocase(str_skip(s, i), p, n))
			return true;
	return false;
}

static bool
value_match(const struct sig *g, struct str v)
{
	switch (g->kind) {
	case SIG_CONTAINS:
		return contains_nocase(v, g->value, g->vlen);
	case SIG_PREFIX:
		return has_prefix_nocase(v, g->value, g->vlen);
	case SIG_EQUALS:
		return v.len == g->vlen &&
		    has_prefix_nocase(v, g->value, g->vlen);
	}
	return false;
}

const char *
sig_match(const struct sigset *s, const struct sip_msg *msg)
{
	unsigned i;

	if (!s)
		return NULL;
	for (i = 0; i < s->n; i++) {
		const struct sig *g = &s->sigs[i];
		const struct sip_hdr *h;

		if (g->method != SIP_METHOD_UNKNOWN && msg->method != g->method)
			continue;
		if (g->ruri) {
			if (value_match(g, msg->ruri_raw))
				goto hit;
			continue;
		}
		h = g->hid == SIP_HDR_OTHER ?
		    sip_msg_hdr_by_name(
			msg, str_make(g->hname, strlen(g->hname))) :
		    sip_msg_hdr(msg, g->hid);
		for (; h; h = sip_msg_hdr_next(msg, h))
			if (value_match(g, h->value))
				goto hit;
		continue;
hit:
		atomic_fetch_add_explicit(
		    &slots[g->slot].hits, 1, memory_order_relaxed);
		return slots[g->slot].name;
	}
	return NULL;
}

uint64_t
sig_hits(const char *name)
{
	unsigned i, n = atomic_load(&nslots);

	for (i = 0; i < n; i++)
		if (strcmp(slots[i].name, name) == 0)
			return atomic_load_explicit(
			    &slots[i].hits, memory_order_relaxed);
	return 0;
}

void
sig_render(FILE *f, void *arg)
{
	unsigned i, n = atomic_load(&nslots);

	fprintf(f,
	    "# HELP centinela_scanner_hits_total Requests that matched a "
	    "scanner signature.\n"
	    "# TYPE centinela_scanner_hits_total counter\n");
	for (i = 0; i < n; i++)
		fprintf(f,
		    "centinela_scanner_hits_total{signature=\"%s\"} %llu\n",
		    slots[i].name,
		    (unsigned long long)atomic_load_explicit(
			&slots[i].hits, memory_order_relaxed));
}

/* ---- loading -------------------------------------------------------- */

static void err_at(FILE *errf, const char *file, const config_setting_t *s,
    unsigned *nerr, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
err_at(FILE *errf, const char *file, const config_setting_t *s, unsigned *nerr,
    const char *fmt, ...)
{
	va_list ap;

	(*nerr)++;
	if (!errf)
		return;
	fprintf(errf, "%s:%d: ", file, s ? config_setting_source_line(s) : 0);
	va_start(ap, fmt);
	vfprintf(errf, fmt, ap);
	va_end(ap);
	fputc('\n', errf);
}

static bool
name_ok(const char *n)
{
	size_t i, len = strlen(n);

	if (len == 0 || len >= SIG_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') ||
			(n[i] >= 'A' && n[i] <= 'Z') ||
			(n[i] >= '0' && n[i] <= '9') || n[i] == '-' ||
			n[i] == '_' || n[i] == '.'))
			return false;
	return true;
}

static void
load_one(struct sigset *set, const config_setting_t *e, const char *file,
    FILE *errf, unsigned *nerr)
{
	static const char *const known[] = { "name", "header", "contains",
		"prefix", "equals", "method", NULL };
	static const char *const kinds[] = { "contains", "prefix", "equals" };
	struct sig *g = &set->sigs[set->n];
	const char *name = NULL, *hdr = NULL, *v = NULL, *m = NULL;
	unsigned i, nkind = 0, before = *nerr;
	int j;

	memset(g, 0, sizeof(*g));
	if (!config_setting_is_group(e)) {
		err_at(errf, file, e, nerr, "a signature is a group { ... }");
		return;
	}
	for (j = 0; j < config_setting_length(e); j++) {
		const config_setting_t *m2 =
		    config_setting_get_elem(e, (unsigned)j);
		const char *const *k;

		for (k = known; *k; k++)
			if (strcmp(*k, config_setting_name(m2)) == 0)
				break;
		if (!*k)
			err_at(errf, file, m2, nerr, "unknown setting \"%s\"",
			    config_setting_name(m2));
		else if (config_setting_type(m2) != CONFIG_TYPE_STRING)
			err_at(errf, file, m2, nerr, "%s: expected a string",
			    config_setting_name(m2));
	}
	if (*nerr != before)
		return;
	config_setting_lookup_string(e, "name", &name);
	config_setting_lookup_string(e, "header", &hdr);
	config_setting_lookup_string(e, "method", &m);
	if (!name || !name_ok(name)) {
		err_at(errf, file, e, nerr,
		    "name: missing, or not letters, digits, - _ . "
		    "(at most %d)",
		    SIG_NAME_MAX - 1);
		return;
	}
	for (i = 0; i < set->n; i++)
		if (strcmp(slots[set->sigs[i].slot].name, name) == 0) {
			err_at(errf, file, e, nerr,
			    "signature \"%s\" defined twice", name);
			return;
		}
	if (!hdr || !*hdr || strlen(hdr) >= SIG_NAME_MAX ||
	    strpbrk(hdr, " \t:\r\n")) {
		err_at(errf, file, e, nerr,
		    "signature \"%s\": header: missing or not a header name",
		    name);
		return;
	}
	for (i = 0; i < 3; i++) {
		const char *x = NULL;

		if (config_setting_lookup_string(e, kinds[i], &x)) {
			nkind++;
			g->kind = (enum sig_kind)i;
			v = x;
		}
	}
	if (nkind != 1) {
		err_at(errf, file, e, nerr,
		    "signature \"%s\": exactly one of contains, prefix, "
		    "equals",
		    name);
		return;
	}
	if (!*v || strlen(v) >= SIG_VALUE_MAX) {
		err_at(errf, file, e, nerr,
		    "signature \"%s\": the pattern must be 1 to %d bytes", name,
		    SIG_VALUE_MAX - 1);
		return;
	}
	g->method = SIP_METHOD_UNKNOWN;
	if (m) {
		g->method = sip_method_from_str(str_make(m, strlen(m)));
		if (g->method == SIP_METHOD_UNKNOWN) {
			err_at(errf, file, e, nerr,
			    "signature \"%s\": method \"%s\" unknown", name, m);
			return;
		}
	}
	g->hid = sip_hdr_id_from_name(str_make(hdr, strlen(hdr)));
	g->ruri = strcasecmp(hdr, "Request-URI") == 0;
	snprintf(g->hname, sizeof(g->hname), "%s", hdr);
	g->vlen = strlen(v);
	memcpy(g->value, v, g->vlen + 1);
	if (slot_for(name, &g->slot)) {
		err_at(errf, file, e, nerr,
		    "more than %d distinct signature names since start",
		    SIG_MAX);
		return;
	}
	set->n++;
}

int
sig_load(struct sigset **sp, const char *path, FILE *errf)
{
	const char *file = path ? path : "<embedded signatures>";
	const config_setting_t *root, *l, *vs;
	struct sigset *set = NULL;
	unsigned nerr = 0;
	config_t c;
	int i, n, ok;

	config_init(&c);
	ok = path ? config_read_file(&c, path) :
		    config_read_string(&c, (const char *)default_sigs);
	if (!ok) {
		if (config_error_type(&c) == CONFIG_ERR_FILE_IO) {
			if (errf)
				fprintf(errf, "%s:0: cannot read: %s\n", file,
				    strerror(errno ? errno : EIO));
			config_destroy(&c);
			return ENOENT;
		}
		if (errf)
			fprintf(errf, "%s:%d: %s\n", file,
			    config_error_line(&c), config_error_text(&c));
		config_destroy(&c);
		return EINVAL;
	}
	root = config_root_setting(&c);
	vs = config_setting_get_member(root, "version");
	l = config_setting_get_member(root, "signatures");
	if (!vs || config_setting_type(vs) != CONFIG_TYPE_INT ||
	    config_setting_get_int(vs) < 1)
		err_at(errf, file, vs ? vs : root, &nerr,
		    "version: expected a positive integer");
	for (i = 0; i < config_setting_length(root); i++) {
		const char *nm = config_setting_name(
		    config_setting_get_elem(root, (unsigned)i));

		if (strcmp(nm, "version") && strcmp(nm, "signatures"))
			err_at(errf, file,
			    config_setting_get_elem(root, (unsigned)i), &nerr,
			    "unknown setting \"%s\"", nm);
	}
	n = l && config_setting_is_list(l) ? config_setting_length(l) : -1;
	if (n < 1 || n > SIG_MAX) {
		err_at(errf, file, l ? l : root, &nerr,
		    "signatures: expected ( { ... }, ... ) with 1 to %d "
		    "signatures",
		    SIG_MAX);
		n = 0;
	}
	set = calloc(
	    1, sizeof(*set) + (size_t)(n > 0 ? n : 1) * sizeof(struct sig));
	if (!set) {
		config_destroy(&c);
		return ENOMEM;
	}
	for (i = 0; i < n; i++)
		load_one(set, config_setting_get_elem(l, (unsigned)i), file,
		    errf, &nerr);
	if (vs && config_setting_type(vs) == CONFIG_TYPE_INT)
		set->version = (unsigned)config_setting_get_int(vs);
	config_destroy(&c);
	if (nerr) {
		free(set);
		return EINVAL;
	}
	*sp = set;
	return 0;
}

void
sig_free(struct sigset *s)
{
	free(s);
}

unsigned
sig_version(const struct sigset *s)
{
	return s ? s->version : 0;
}

unsigned
sig_count(const struct sigset *s)
{
	return s ? s->n : 0;
}

/* ---- the guard ------------------------------------------------------ */

static enum guard_vd
scanner_request(
    struct guard_ctx *gx, const struct sip_msg *msg, struct guard_result *res)
{
	const struct cfg_trigger *t = &gx->cfg->guard.scanner;
	const char *name;
	char d[SIG_NAME_MAX + 16];

	if (!t->enabled || !gx->env || gx->role != ROLE_PUBLIC)
		return GUARD_CONTINUE;
	if (!(name = sig_match(gx->env->sigs, msg)))
		return GUARD_CONTINUE;
	snprintf(d, sizeof(d), "signature=%s", name);
	return guard_act(
	    gx, msg, res, t->action, REASON_SCANNER, t->shadow, true, d);
}

const struct guard_ops guard_scanner = {
	.name = "scanner",
	.on_request = scanner_request,
};

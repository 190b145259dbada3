/*
 * auth/account.c -- the immutable in-memory account table.
 *
 * Built in one go from the store by the loader thread, then only read
 * on the loop: one allocation for the entries, one for the buckets,
 * one per account with source restrictions.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"

struct acct_table {
	struct acct *entries;
	unsigned n;
	unsigned cap;
	struct acct **buckets;
	uint32_t mask;
	struct acct **tls_buckets; /* by certificate binding */
	char *err;
	size_t errlen;
	int fail;
};

static uint64_t
acct_key(struct str user, struct str domain)
{
	uint64_t h = str_hash(user);

	return h ^ (str_hash_nocase(domain) * 0x9e3779b97f4a7c15ULL);
}

static int
parse_cidrs(struct acct *ac, const char *list, char *err, size_t errlen)
{
	char buf[STORE_CIDRS_MAX], *save = NULL, *tok;
	const char *p;
	unsigned n = 1, i = 0;

	if (!list[0])
		return 0;
	for (p = list; *p; p++)
		n += *p == ',';
	ac->ac_cidrs = calloc(n, sizeof(*ac->ac_cidrs));
	if (!ac->ac_cidrs)
		return ENOMEM;
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		if (i == n || cidr_parse(tok, &ac->ac_cidrs[i])) {
			snprintf(err, errlen,
			    "account %s@%s: allow_cidrs: \"%s\" is not an "
			    "address or CIDR range",
			    ac->ac_user.s, ac->ac_domain.s, tok);
			return EINVAL;
		}
		i++;
	}
	ac->ac_ncidrs = i;
	return 0;
}

static int
add_one(const struct account *a, void *arg)
{
	struct acct_table *t = arg;
	struct acct *ac;
	size_t ul = strlen(a->user), dl = strlen(a->domain);

	if (t->n == t->cap) {
		unsigned ncap = t->cap ? t->cap * 2 : 256;
		struct acct *ne =
		    realloc(t->entries, (size_t)ncap * sizeof(*ne));

		if (!ne)
			return ENOMEM;
		t->entries = ne;
		t->cap = ncap;
	}
	ac = &t->entries[t->n];
	memset(ac, 0, sizeof(*ac));
	if (ul + dl + 2 > sizeof(ac->ac_buf))
		return EINVAL;
	memcpy(ac->ac_buf, a->user, ul + 1);
	memcpy(ac->ac_buf + ul + 1, a->domain, dl + 1);
	/* Views are fixed up after the last realloc. */
	ac->ac_status = a->status;
	snprintf(
	    ac->ac_ha1[DIGEST_MD5], sizeof(ac->ac_ha1[0]), "%s", a->ha1_md5);
	snprintf(ac->ac_ha1[DIGEST_SHA256], sizeof(ac->ac_ha1[0]), "%s",
	    a->ha1_sha256);
	ac->ac_max_contacts = a->max_contacts;
	ac->ac_user = str_make(ac->ac_buf, ul);
	ac->ac_domain = str_make(ac->ac_buf + ul + 1, dl);
	t->n++;
	if (a->tls_id[0] && !(ac->ac_tls_id = strdup(a->tls_id)))
		return ENOMEM;
	return parse_cidrs(ac, a->allow_cidrs, t->err, t->errlen);
}

int
acct_table_build(
    struct acct_table **tp, struct store *s, char *err, size_t errlen)
{
	struct acct_table *t;
	unsigned i, nb = 16;
	int rc;

	t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	t->err = err;
	t->errlen = errlen;
	err[0] = '\0';
	rc = store_account_each(s, add_one, t);
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "%s",
			    rc == ENOMEM ? "out of memory" : store_errmsg(s));
		acct_table_free(t);
		return rc;
	}
	while (nb < t->n * 2)
		nb <<= 1;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	t->tls_buckets = calloc(nb, sizeof(*t->tls_buckets));
	if (!t->buckets || !t->tls_buckets) {
		acct_table_free(t);
		snprintf(err, errlen, "out of memory");
		return ENOMEM;
	}
	t->mask = nb - 1;
	for (i = 0; i < t->n; i++) {
		struct acct *ac = &t->entries[i];
		size_t ul = strlen(ac->ac_buf);

		ac->ac_user = str_make(ac->ac_buf, ul);
		ac->ac_domain =
		    str_make(ac->ac_buf + ul + 1, strlen(ac->ac_buf + ul + 1));
		ac->ac_hash = acct_key(ac->ac_user, ac->ac_domain);
		ac->ac_next = t->buckets[ac->ac_hash & t->mask];
		t->buckets[ac->ac_hash & t->mask] = ac;
		if (ac->ac_tls_id) {
			uint64_t th = str_hash(
			    str_make(ac->ac_tls_id, strlen(ac->ac_tls_id)));

			ac->ac_tls_next = t->tls_buckets[th & t->mask];
			t->tls_buckets[th & t->mask] = ac;
		}
	}
	t->err = NULL;
	*tp = t;
	return 0;
}

void
acct_table_free(struct acct_table *t)
{
	unsigned i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->entries[i].ac_cidrs);
		free(t->entries[i].ac_tls_id);
	}
	free(t->entries);
	free(t->buckets);
	free(t->tls_buckets);
	free(t);
}

const struct acct *
acct_find(const struct acct_table *t, struct str user, struct str domain)
{
	uint64_t h;
	const struct acct *ac;

	if (!t || !t->buckets)
		return NULL;
	h = acct_key(user, domain);
	for (ac = t->buckets[h & t->mask]; ac; ac = ac->ac_next)
		if (ac->ac_hash == h && str_eq(ac->ac_user, user) &&
		    str_eq_nocase(ac->ac_domain, domain))
			return ac;
	return NULL;
}

static const struct acct *
find_tls_id(const struct acct_table *t, const char *id)
{
	const struct acct *ac;

	ac = t->tls_buckets[str_hash(str_make(id, strlen(id))) & t->mask];
	for (; ac; ac = ac->ac_tls_next)
		if (strcmp(ac->ac_tls_id, id) == 0)
			return ac;
	return NULL;
}

const struct acct *
acct_find_tls(const struct acct_table *t, const struct tp_tls_peer *id)
{
	char subj[8 + sizeof(id->subject)];
	const struct acct *ac;

	if (!t || !t->tls_buckets || !id)
		return NULL;
	if ((ac = find_tls_id(t, id->fp)))
		return ac;
	if (!id->verified || !id->subject[0])
		return NULL;
	snprintf(subj, sizeof(subj), "subject:%s", id->subject);
	return find_tls_id(t, subj);
}

unsigned
acct_table_count(const struct acct_table *t)
{
	return t ? t->n : 0;
}

bool
acct_source_ok(const struct acct *a, const struct sa *src)
{
	unsigned i;

	if (a->ac_ncidrs == 0)
		return true;
	for (i = 0; i < a->ac_ncidrs; i++)
		if (cidr_match(&a->ac_cidrs[i], src))
			return true;
	return false;
}

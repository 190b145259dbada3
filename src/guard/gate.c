/*
 * guard/gate.c -- the pre-parse gate: a static deny list of addresses
 * and CIDR ranges, checked on every datagram and connection before any
 * parsing. One open-addressing hash table holds all ranges keyed by
 * (family, prefix length, masked address); a lookup probes once per
 * distinct prefix length present in the list, longest first.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guard/guard.h"

struct gate_key {
	uint8_t family; /* 4 or 6; 0 = empty slot */
	uint8_t prefix;
	uint8_t addr[16];
};

struct gate {
	struct gate_key *slots;
	uint32_t mask;
	uint8_t plen4[33]; /* distinct IPv4 prefix lengths */
	unsigned nplen4;
	uint8_t plen6[129];
	unsigned nplen6;
};

static void
key_make(struct gate_key *k, int fam, const uint8_t *addr, unsigned prefix)
{
	unsigned n = fam == 4 ? 4 : 16, i;

	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)fam;
	k->prefix = (uint8_t)prefix;
	for (i = 0; i < n; i++) {
		unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;

		if (bits >= 8)
			k->addr[i] = addr[i];
		else if (bits)
			k->addr[i] = (uint8_t)(addr[i] & (0xff << (8 - bits)));
	}
}

static uint32_t
key_hash(const struct gate_key *k)
{
	return (uint32_t)str_hash(str_make((const char *)k, sizeof(*k)));
}

static bool
probe(const struct gate *g, const struct gate_key *k, struct gate_key **slot)
{
	uint32_t i = key_hash(k) & g->mask;

	for (;;) {
		struct gate_key *s = &g->slots[i];

		if (s->family == 0) {
			*slot = s;
			return false;
		}
		if (memcmp(s, k, sizeof(*k)) == 0) {
			*slot = s;
			return true;
		}
		i = (i + 1) & g->mask;
	}
}

static void
add_plen(uint8_t *arr, unsigned *n, unsigned p)
{
	unsigned i, j;

	for (i = 0; i < *n; i++)
		if (arr[i] == p)
			return;
	/* Keep descending order: longest prefix first. */
	for (i = 0; i < *n && arr[i] > p; i++)
		;
	for (j = *n; j > i; j--)
		arr[j] = arr[j - 1];
	arr[i] = (uint8_t)p;
	(*n)++;
}

int
gate_alloc(struct gate **gp, const struct cfg *cfg)
{
	return gate_alloc_list(gp, cfg->deny, cfg->ndeny);
}

int
gate_alloc_list(struct gate **gp, const struct cidr *list, size_t n)
{
	struct gate *g;
	uint32_t cap = 16;
	size_t i;

	g = calloc(1, sizeof(*g));
	if (!g)
		return ENOMEM;
	while (cap < n * 2 + 2)
		cap <<= 1;
	g->slots = calloc(cap, sizeof(*g->slots));
	if (!g->slots) {
		free(g);
		return ENOMEM;
	}
	g->mask = cap - 1;
	for (i = 0; i < n; i++) {
		const struct cidr *c = &list[i];
		struct gate_key k, *s;
		int fam = c->family == AF_INET ? 4 : 6;

		key_make(&k, fam, c->addr, c->prefix);
		if (!probe(g, &k, &s))
			*s = k;
		if (fam == 4)
			add_plen(g->plen4, &g->nplen4, c->prefix);
		else
			add_plen(g->plen6, &g->nplen6, c->prefix);
	}
	*gp = g;
	return 0;
}

void
gate_free(struct gate *g)
{
	if (!g)
		return;
	free(g->slots);
	free(g);
}

bool
gate_denied(const struct gate *g, const struct sa *src)
{
	const uint8_t *a;
	const uint8_t *plen;
	unsigned n, i;
	int fam;
	struct gate_key k, *s;

	if (!g || (g->nplen4 == 0 && g->nplen6 == 0))
		return false;
	if (!(a = sa_addr_bytes(src, &fam)))
		return false;
	plen = fam == 4 ? g->plen4 : g->plen6;
	n = fam == 4 ? g->nplen4 : g->nplen6;
	for (i = 0; i < n; i++) {
		key_make(&k, fam, a, plen[i]);
		if (probe(g, &k, &s))
			return true;
	}
	return false;
}

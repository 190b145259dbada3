/*
 * net/sa.c -- socket addresses and CIDR ranges.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/sa.h"

int
sa_set(struct sa *sa, struct str addr, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (addr.len >= 2 && addr.s[0] == '[' && addr.s[addr.len - 1] == ']')
		addr = str_make(addr.s + 1, addr.len - 2);
	/* inet_pton() stops at a NUL: "1.2.3.4\0junk" must not pass. */
	if (str_chr(addr, '\0') >= 0 || str_copy_cstr(addr, buf, sizeof(buf)))
		return EINVAL;
	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, buf, &sa->u.in.sin_addr) == 1) {
		sa->u.in.sin_family = AF_INET;
		sa->u.in.sin_port = htons(port);
		sa->len = sizeof(sa->u.in);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &sa->u.in6.sin6_addr) == 1) {
		sa->u.in6.sin6_family = AF_INET6;
		sa->u.in6.sin6_port = htons(port);
		sa->len = sizeof(sa->u.in6);
		return 0;
	}
	return EINVAL;
}

int
sa_set_cstr(struct sa *sa, const char *addr, uint16_t port)
{
	return sa_set(sa, str_make(addr, strlen(addr)), port);
}

int
sa_family(const struct sa *sa)
{
	return sa->u.sa.sa_family;
}

uint16_t
sa_port(const struct sa *sa)
{
	if (sa->u.sa.sa_family == AF_INET)
		return ntohs(sa->u.in.sin_port);
	if (sa->u.sa.sa_family == AF_INET6)
		return ntohs(sa->u.in6.sin6_port);
	return 0;
}

void
sa_set_port(struct sa *sa, uint16_t port)
{
	if (sa->u.sa.sa_family == AF_INET)
		sa->u.in.sin_port = htons(port);
	else if (sa->u.sa.sa_family == AF_INET6)
		sa->u.in6.sin6_port = htons(port);
}

bool
sa_eq_addr(const struct sa *a, const struct sa *b)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family)
		return false;
	if (a->u.sa.sa_family == AF_INET)
		return a->u.in.sin_addr.s_addr == b->u.in.sin_addr.s_addr;
	if (a->u.sa.sa_family == AF_INET6)
		return memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, 16) ==
		    0;
	return false;
}

bool
sa_eq(const struct sa *a, const struct sa *b)
{
	return sa_eq_addr(a, b) && sa_port(a) == sa_port(b);
}

const char *
sa_ntop(const struct sa *sa, char *buf, size_t cap)
{
	const void *p = NULL;

	/* IPv4 by hand: this runs for every forwarded request. */
	if (sa->u.sa.sa_family == AF_INET && cap >= INET_ADDRSTRLEN) {
		const uint8_t *b = (const uint8_t *)&sa->u.in.sin_addr;
		char *o = buf;
		unsigned i;

		for (i = 0; i < 4; i++) {
			unsigned v = b[i];

			if (v >= 100)
				*o++ = (char)('0' + v / 100);
			if (v >= 10)
				*o++ = (char)('0' + v / 10 % 10);
			*o++ = (char)('0' + v % 10);
			*o++ = i < 3 ? '.' : '\0';
		}
		return buf;
	}
	if (sa->u.sa.sa_family == AF_INET)
		p = &sa->u.in.sin_addr;
	else if (sa->u.sa.sa_family == AF_INET6)
		p = &sa->u.in6.sin6_addr;
	if (!p || !inet_ntop(sa->u.sa.sa_family, p, buf, (socklen_t)cap))
		snprintf(buf, cap, "?");
	return buf;
}

const char *
sa_fmt(const struct sa *sa, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	sa_ntop(sa, a, sizeof(a));
	if (sa->u.sa.sa_family == AF_INET6)
		snprintf(buf, cap, "[%s]:%u", a, sa_port(sa));
	else
		snprintf(buf, cap, "%s:%u", a, sa_port(sa));
	return buf;
}

uint64_t
sa_hash_addr(const struct sa *sa)
{
	if (sa->u.sa.sa_family == AF_INET)
		return str_hash(str_make((const char *)&sa->u.in.sin_addr, 4));
	if (sa->u.sa.sa_family == AF_INET6)
		return str_hash(
		    str_make((const char *)&sa->u.in6.sin6_addr, 16));
	return 0;
}

int
cidr_parse(const char *s, struct cidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	uint32_t prefix;
	size_t alen;
	unsigned max;

	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else
		return EINVAL;
	if (slash) {
		if (str_to_u32_max(
			str_make(slash + 1, strlen(slash + 1)), max, &prefix))
			return EINVAL;
		c->prefix = prefix;
	} else
		c->prefix = max;
	return 0;
}

static bool
prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rem = bits % 8;

	if (bytes && memcmp(a, b, bytes) != 0)
		return false;
	if (rem) {
		uint8_t mask = (uint8_t)(0xff << (8 - rem));

		return (a[bytes] & mask) == (b[bytes] & mask);
	}
	return true;
}

bool
cidr_match(const struct cidr *c, const struct sa *sa)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
		0xff };
	const uint8_t *a6;

	if (sa->u.sa.sa_family == AF_INET) {
		if (c->family != AF_INET)
			return false;
		return prefix_match(
		    c->addr, (const uint8_t *)&sa->u.in.sin_addr, c->prefix);
	}
	if (sa->u.sa.sa_family != AF_INET6)
		return false;
	a6 = (const uint8_t *)&sa->u.in6.sin6_addr;
	if (c->family == AF_INET6)
		return prefix_match(c->addr, a6, c->prefix);
	if (memcmp(a6, mapped, 12) == 0)
		return prefix_match(c->addr, a6 + 12, c->prefix);
	return false;
}

void
cidr_mask(struct cidr *c)
{
	unsigned n = c->family == AF_INET ? 4 : 16, i;

	for (i = 0; i < n; i++) {
		unsigned bits = c->prefix > i * 8 ? c->prefix - i * 8 : 0;

		if (bits < 8)
			c->addr[i] = (uint8_t)(c->addr[i] & (0xff00 >> bits));
	}
	for (; i < 16; i++)
		c->addr[i] = 0;
}

int
cidr_from_sa(struct cidr *c, const struct sa *sa, unsigned v6_prefix)
{
	const uint8_t *a;
	int fam;

	memset(c, 0, sizeof(*c));
	if (!(a = sa_addr_bytes(sa, &fam)))
		return EAFNOSUPPORT;
	c->family = fam == 4 ? AF_INET : AF_INET6;
	memcpy(c->addr, a, fam == 4 ? 4 : 16);
	c->prefix = fam == 4 ? 32 : v6_prefix > 128 ? 128 : v6_prefix;
	cidr_mask(c);
	return 0;
}

const char *
cidr_fmt(const struct cidr *c, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family, c->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, cap, "%s/%u", a, c->prefix);
	return buf;
}

bool
cidr_eq(const struct cidr *a, const struct cidr *b)
{
	return a->family == b->family && a->prefix == b->prefix &&
	    memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0;
}

int
sa_parse_hostport(const char *s, struct sa *sa, uint16_t defport)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL, *colon;
	size_t hl;
	uint32_t pv = defport;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb)
			return EINVAL;
		hl = (size_t)(rb - s - 1);
		if (hl == 0 || hl >= sizeof(host))
			return EINVAL;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if (rb[1] == ':')
			port = rb + 2;
		else if (rb[1] != '\0')
			return EINVAL;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* a bare IPv6 address */
		hl = colon ? (size_t)(colon - s) : strlen(s);
		if (hl == 0 || hl >= sizeof(host))
			return EINVAL;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (colon)
			port = colon + 1;
	}
	if (port &&
	    (str_to_u32_max(str_make(port, strlen(port)), 65535, &pv) ||
		pv == 0))
		return EINVAL;
	return sa_set_cstr(sa, host, (uint16_t)pv);
}

const uint8_t *
sa_addr_bytes(const struct sa *sa, int *fam)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
		0xff };
	const uint8_t *a;

	if (sa_family(sa) == AF_INET) {
		*fam = 4;
		return (const uint8_t *)&sa->u.in.sin_addr;
	}
	if (sa_family(sa) != AF_INET6)
		return NULL;
	a = (const uint8_t *)&sa->u.in6.sin6_addr;
	if (memcmp(a, mapped, 12) == 0) {
		*fam = 4;
		return a + 12;
	}
	*fam = 6;
	return a;
}

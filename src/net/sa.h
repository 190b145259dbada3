/*
 * net/sa.h -- socket addresses and CIDR ranges, IPv4 and IPv6.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_NET_SA_H
#define CENTINELA_NET_SA_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/str.h"

struct sa {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_storage ss;
	} u;
	socklen_t len;
};

/* Longest text of an address with brackets and port: "[v6]:65535". */
#define SA_STRLEN (INET6_ADDRSTRLEN + 8)

struct cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix;
};

/*
 * Set "sa" from a numeric address (IPv4, IPv6 with or without
 * brackets) and a port. Returns 0 or EINVAL. No name resolution.
 */
int sa_set(struct sa *sa, struct str addr, uint16_t port);
/* Same for a C string. */
int sa_set_cstr(struct sa *sa, const char *addr, uint16_t port);
int sa_family(const struct sa *sa);
uint16_t sa_port(const struct sa *sa);
void sa_set_port(struct sa *sa, uint16_t port);
/* Address and port equal. */
bool sa_eq(const struct sa *a, const struct sa *b);
/* Addresses equal, ports ignored. */
bool sa_eq_addr(const struct sa *a, const struct sa *b);
/* "1.2.3.4" or "2001:db8::1" (no brackets) into buf; returns buf. */
const char *sa_ntop(const struct sa *sa, char *buf, size_t cap);
/* "1.2.3.4:5060" or "[2001:db8::1]:5060" into buf; returns buf. */
const char *sa_fmt(const struct sa *sa, char *buf, size_t cap);
/*
 * The address bytes of "sa": 4 (IPv4, also an IPv4-mapped IPv6
 * address) or 16, *fam set to 4 or 6. NULL for another family.
 */
const uint8_t *sa_addr_bytes(const struct sa *sa, int *fam);
/* Hash of the address only (for per-IP tables). */
uint64_t sa_hash_addr(const struct sa *sa);

/* Parse "1.2.3.0/24", "2001:db8::/32" or a bare address. 0 or EINVAL. */
int cidr_parse(const char *s, struct cidr *c);
/* Zero the bits of c->addr past c->prefix (the canonical form). */
void cidr_mask(struct cidr *c);
/*
 * The range of one source: an IPv4 (or IPv4-mapped IPv6) address as a
 * /32, an IPv6 address as its /v6_prefix. Returns 0, or EAFNOSUPPORT.
 */
int cidr_from_sa(struct cidr *c, const struct sa *sa, unsigned v6_prefix);
/* Longest text of a range: "ffff:...:ffff/128". */
#define CIDR_STRLEN (INET6_ADDRSTRLEN + 5)
/* "192.0.2.0/24", "2001:db8::/64" (always with the prefix); returns buf. */
const char *cidr_fmt(const struct cidr *c, char *buf, size_t cap);
/* Same range? (Both canonical.) */
bool cidr_eq(const struct cidr *a, const struct cidr *b);
/*
 * "1.2.3.4", "1.2.3.4:53", "::1", "[::1]:53" into "sa"; a missing port
 * is "defport". Returns 0 or EINVAL.
 */
int sa_parse_hostport(const char *s, struct sa *sa, uint16_t defport);
/* Is the address of "sa" inside "c"? IPv4-mapped IPv6 matches IPv4. */
bool cidr_match(const struct cidr *c, const struct sa *sa);

#endif /* CENTINELA_NET_SA_H */

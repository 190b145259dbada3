/*
 * callerid/stir_x5u.c -- where a verifier may fetch a certificate from
 * (ATIS-1000074 as summarised by Asterisk; an SSRF guard): the x5u URL
 * rules and the RFC 6890 special-purpose address ranges.
 *
 * The URL is parsed by libcurl's URL API, the same parser the fetch
 * uses. The address rule is applied twice: here to a literal address in
 * the URL (refused without any fetch), and in stir_fetch.c to every
 * address curl is about to connect to, whatever a name resolved to.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "callerid/stir_int.h"

/*
 * RFC 6890 and its registry updates (RFC 8190, 9637, ...). An IPv4-mapped
 * IPv6 address (::ffff:0:0/96) is checked as the IPv4 address it holds
 * (cidr_match() does that), so the mapped range is not listed itself.
 */
static const char *const special_ranges[] = {
	/* IPv4 */
	"0.0.0.0/8", /* "this network" */
	"10.0.0.0/8", /* private */
	"100.64.0.0/10", /* shared address space (CGNAT) */
	"127.0.0.0/8", /* loopback */
	"169.254.0.0/16", /* link local */
	"172.16.0.0/12", /* private */
	"192.0.0.0/24", /* IETF protocol assignments */
	"192.0.2.0/24", /* TEST-NET-1 */
	"192.31.196.0/24", /* AS112-v4 */
	"192.52.193.0/24", /* AMT */
	"192.88.99.0/24", /* 6to4 relay anycast (deprecated) */
	"192.168.0.0/16", /* private */
	"192.175.48.0/24", /* direct delegation AS112 */
	"198.18.0.0/15", /* benchmarking */
	"198.51.100.0/24", /* TEST-NET-2 */
	"203.0.113.0/24", /* TEST-NET-3 */
	"224.0.0.0/4", /* multicast */
	"240.0.0.0/4", /* reserved, and 255.255.255.255 */
	/* IPv6 */
	"::/96", /* unspecified, loopback, IPv4-compatible (deprecated) */
	"::ffff:0:0:0/96", /* IPv4-translated */
	"64:ff9b::/96", /* NAT64 well-known prefix */
	"64:ff9b:1::/48", /* local-use NAT64 */
	"100::/64", /* discard only */
	"2001::/23", /* IETF protocol assignments (Teredo, ORCHID, ...) */
	"2001:db8::/32", /* documentation */
	"2002::/16", /* 6to4: may embed any IPv4 address */
	"3fff::/20", /* documentation (RFC 9637) */
	"5f00::/16", /* SRv6 SIDs */
	"fc00::/7", /* unique local */
	"fe80::/10", /* link local */
	"fec0::/10", /* site local (deprecated) */
	"ff00::/8", /* multicast */
};
#define NSPECIAL (sizeof(special_ranges) / sizeof(special_ranges[0]))

static struct cidr special[NSPECIAL];
static pthread_once_t special_once = PTHREAD_ONCE_INIT;

static void
special_init(void)
{
	size_t i;

	for (i = 0; i < NSPECIAL; i++)
		if (cidr_parse(special_ranges[i], &special[i]) != 0)
			abort(); /* a typo in the table above */
}

bool
stir_addr_is_special(const struct sa *sa)
{
	size_t i;

	pthread_once(&special_once, special_init);
	for (i = 0; i < NSPECIAL; i++)
		if (cidr_match(&special[i], sa))
			return true;
	return false;
}

bool
stir_addr_allowed(const struct stir_verify_conf *c, const struct sa *sa)
{
	unsigned i;

	for (i = 0; i < c->nfetch_allow; i++)
		if (cidr_match(&c->fetch_allow[i], sa))
			return true;
	return !stir_addr_is_special(sa);
}

static int refuse(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
refuse(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return EPERM;
}

/* Characters that never appear in an x5u we accept. */
static bool
url_char_ok(char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '<' && c != '>' &&
	    c != '\\' && c != '^' && c != '`' && c != '{' && c != '|' &&
	    c != '}' && c != ';';
}

static int
check_parsed(const struct stir_verifier *v, CURLU *u, struct str url, char *why,
    size_t whylen)
{
	char *p = NULL, host[256];
	struct str auth, rest;
	struct in_addr in4;
	uint32_t port;
	struct sa sa;
	size_t hl;
	unsigned i;
	int err = 0;

	if (curl_url_get(u, CURLUPART_SCHEME, &p, 0) != CURLUE_OK ||
	    strcmp(p, "https") != 0) {
		err = refuse(why, whylen, "x5u scheme %s is not https",
		    p ? p : "missing");
		goto out;
	}
	curl_free(p);
	p = NULL;
	/* user-info: curl's view, and any '@' in the authority */
	auth = str_skip(url, (size_t)str_chr(url, ':') + 3);
	str_split(auth, '/', &auth, &rest);
	if (auth.len == 0) {
		err = refuse(why, whylen, "x5u has no host");
		goto out;
	}
	if (str_chr(auth, '@') >= 0 ||
	    curl_url_get(u, CURLUPART_USER, &p, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &p, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_OPTIONS, &p, 0) == CURLUE_OK) {
		err = refuse(why, whylen, "x5u has user-info");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &p, 0) == CURLUE_OK) {
		err = refuse(why, whylen, "x5u has a query");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_FRAGMENT, &p, 0) == CURLUE_OK) {
		err = refuse(why, whylen, "x5u has a fragment");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) !=
		CURLUE_OK ||
	    str_to_u32_max(str_make(p, strlen(p)), 65535, &port) != 0) {
		err = refuse(why, whylen, "x5u port %s is invalid", p ? p : "");
		goto out;
	}
	for (i = 0; i < v->v_conf.nports; i++)
		if (v->v_conf.ports[i] == port)
			break;
	if (i == v->v_conf.nports) {
		err = refuse(why, whylen, "x5u port %s not allowed", p);
		goto out;
	}
	curl_free(p);
	p = NULL;
	if (curl_url_get(u, CURLUPART_HOST, &p, 0) != CURLUE_OK || !*p) {
		err = refuse(why, whylen, "x5u has no host");
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	hl = strlen(p);
	if (p[0] == '[' && hl > 2 && p[hl - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(hl - 2), p + 1);
	else
		snprintf(host, sizeof(host), "%s", p);
	/*
	 * A literal address is judged now, a name when curl connects. The
	 * old numeric IPv4 forms ("127.1", "0x7f000001") that inet_aton(3)
	 * and thus the resolver accept count as literals too.
	 */
	if (sa_set_cstr(&sa, host, 0) != 0 && inet_aton(host, &in4)) {
		memset(&sa, 0, sizeof(sa));
		sa.u.in.sin_family = AF_INET;
		sa.u.in.sin_addr = in4;
		sa.len = sizeof(sa.u.in);
		sa_ntop(&sa, host, sizeof(host));
	}
	if (sa_family(&sa) != 0 && !stir_addr_allowed(&v->v_conf, &sa))
		err = refuse(why, whylen, "x5u address %s not allowed", host);
out:
	curl_free(p);
	return err;
}

int
stir_x5u_check(
    const struct stir_verifier *v, struct str url, char *why, size_t whylen)
{
	char buf[STIR_X5U_MAX];
	CURLU *u;
	size_t i;
	int err;

	if (why && whylen)
		why[0] = '\0';
	if (!v)
		return EINVAL;
	if (url.len == 0 || url.len >= sizeof(buf))
		return refuse(why, whylen, "x5u is empty or too long");
	for (i = 0; i < url.len; i++) {
		if (url.s[i] == '?')
			return refuse(why, whylen, "x5u has a query");
		if (url.s[i] == '#')
			return refuse(why, whylen, "x5u has a fragment");
		if (!url_char_ok(url.s[i]))
			return refuse(
			    why, whylen, "x5u has a forbidden character");
	}
	if (str_chr(url, ':') < 0 ||
	    !str_has_prefix(
		str_skip(url, (size_t)str_chr(url, ':')), STR("://")))
		return refuse(why, whylen, "x5u is not an absolute URL");
	memcpy(buf, url.s, url.len);
	buf[url.len] = '\0';
	u = curl_url();
	if (!u)
		return ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, buf, 0) != CURLUE_OK)
		err = refuse(why, whylen, "x5u is not a valid URL");
	else
		err = check_parsed(v, u, url, why, whylen);
	curl_url_cleanup(u);
	return err;
}

/*
 * auth/digest.c -- HTTP digest for SIP (RFC 3261 section 22, RFC 7616,
 * RFC 8760): credentials parsing, stateless nonces, response checking,
 * challenge headers and the nonce-count replay window.
 *
 * Nonce layout (32 bytes, 43 characters of base64url without padding):
 *
 *	issued time	 8 bytes, seconds since the epoch, big-endian
 *	random		 8 bytes from RAND_bytes() (core/evp.h)
 *	MAC		16 bytes, digest_mac(key, time | random | ip):
 *			two SipHash-2-4 values under the two independent
 *			128-bit halves of the key; ip is 4 bytes for IPv4
 *			(also for an IPv4-mapped IPv6 source) or 16 for IPv6
 *
 * The replay window (struct digest_nc) is an open-addressing hash table
 * (linear probing, load <= 1/2, backward-shift deletion, so no
 * tombstones) over a fixed slab of entries, plus a binary min-heap of the
 * entries ordered by issue time for eviction. Entries are found by a
 * 128-bit keyed fingerprint of the nonce text (two SipHash-2-4 values
 * under a per-table random key): a client cannot aim nonces at one probe
 * chain, and two nonces sharing an entry by accident is a 2^-128 event.
 * Lookups and updates are O(1) expected; an insertion or an eviction,
 * once per nonce, is O(log capacity). Nothing is allocated after
 * digest_nc_alloc().
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth/digest.h"
#include "core/evp.h"
#include "core/siphash.h"

/* ---- small helpers ------------------------------------------------ */

static inline unsigned char
lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static inline bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 3261 token characters. */
static bool
is_tok(char ch)
{
	unsigned char c = (unsigned char)ch;

	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	switch (c) {
	case '-':
	case '.':
	case '!':
	case '%':
	case '*':
	case '_':
	case '+':
	case '`':
	case '\'':
	case '~':
		return true;
	default:
		return false;
	}
}

/*
 * Bytes we accept between double quotes: no quote, no backslash (we
 * reject quoted-pair escapes rather than unescape into a copy), no
 * control character but HT. UTF-8 passes through.
 */
static bool
is_qchar(char ch)
{
	unsigned char c = (unsigned char)ch;

	return c != '"' && c != '\\' && c != 0x7f && (c >= 0x20 || c == '\t');
}

static const EVP_MD *
alg_md(enum digest_alg alg)
{
	switch (alg) {
	case DIGEST_MD5:
		return evp_md5();
	case DIGEST_SHA256:
		return evp_sha256();
	default:
		return NULL;
	}
}

static size_t
alg_hex_len(enum digest_alg alg)
{
	switch (alg) {
	case DIGEST_MD5:
		return 32;
	case DIGEST_SHA256:
		return 64;
	default:
		return 0;
	}
}

static const char *
alg_name(enum digest_alg alg)
{
	switch (alg) {
	case DIGEST_MD5:
		return "MD5";
	case DIGEST_SHA256:
		return "SHA-256";
	default:
		return NULL;
	}
}

static void
to_hex(const unsigned char *in, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static uint64_t
load_le64(const unsigned char *p)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* ---- key ---------------------------------------------------------- */

int
digest_key_random(struct digest_key *key)
{
	unsigned char *p;
	size_t left;
	ssize_t n;

	if (!key)
		return -1;
	p = key->k;
	left = sizeof(key->k);
	while (left > 0) {
		n = getrandom(p, left, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			explicit_bzero(key, sizeof(*key));
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	return 0;
}

/* ---- credentials -------------------------------------------------- */

enum {
	P_USERNAME,
	P_REALM,
	P_NONCE,
	P_URI,
	P_RESPONSE,
	P_CNONCE,
	P_QOP,
	P_OPAQUE,
	P_ALGORITHM,
	P_NC,
	P_COUNT
};

static const char *const param_names[P_COUNT] = {
	[P_USERNAME] = "username",
	[P_REALM] = "realm",
	[P_NONCE] = "nonce",
	[P_URI] = "uri",
	[P_RESPONSE] = "response",
	[P_CNONCE] = "cnonce",
	[P_QOP] = "qop",
	[P_OPAQUE] = "opaque",
	[P_ALGORITHM] = "algorithm",
	[P_NC] = "nc",
};

/* Index of a known parameter name, or P_COUNT. */
static unsigned
param_index(struct str name)
{
	unsigned p;

	for (p = 0; p < P_COUNT; p++)
		if (str_eq_nocase(
			name, str_make(param_names[p], strlen(param_names[p]))))
			break;
	return p;
}

static size_t
skip_ws(struct str v, size_t i)
{
	while (i < v.len && is_ws(v.s[i]))
		i++;
	return i;
}

static size_t
span_tok(struct str v, size_t i)
{
	while (i < v.len && is_tok(v.s[i]))
		i++;
	return i;
}

/* nc-value: exactly 8 hex digits (RFC 7616 says lower-case; we take both). */
static bool
parse_nc(struct str s, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	if (s.len != 8)
		return false;
	for (i = 0; i < 8; i++) {
		unsigned char c = lower((unsigned char)s.s[i]);

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint32_t)(c - 'a' + 10);
		else
			return false;
	}
	*out = v;
	return true;
}

/*
 * The grammar is RFC 3261 section 25.1 (digest-response), with LWS
 * (SP, HT, CR, LF) allowed around "=" and ",". Values may be tokens or
 * quoted strings whatever the parameter (clients quote qop and
 * algorithm, or not); an unquoted value must be a token. Empty list
 * elements (",,", a trailing ",") are errors. Every index is checked
 * against value.len before use: the view is not NUL-terminated and this
 * function sees raw network bytes.
 */
int
digest_creds_parse(struct str value, struct digest_creds *c)
{
	struct digest_creds d;
	struct str *field[P_COUNT];
	struct str name, val, nc_text = STR_NULL;
	unsigned seen = 0, p;
	size_t i, start;

	if (!c)
		return EINVAL;
	memset(&d, 0, sizeof(d));
	field[P_USERNAME] = &d.username;
	field[P_REALM] = &d.realm;
	field[P_NONCE] = &d.nonce;
	field[P_URI] = &d.uri;
	field[P_RESPONSE] = &d.response;
	field[P_CNONCE] = &d.cnonce;
	field[P_QOP] = &d.qop;
	field[P_OPAQUE] = &d.opaque;
	field[P_ALGORITHM] = &d.algorithm;
	field[P_NC] = &nc_text;

	i = skip_ws(value, 0);
	if (value.len - i < 6 ||
	    !str_eq_nocase(str_make(value.s + i, 6), STR("Digest")))
		return EINVAL;
	i += 6;
	if (i >= value.len || !is_ws(value.s[i]))
		return EINVAL;
	i = skip_ws(value, i);
	for (;;) {
		start = i;
		i = span_tok(value, i);
		if (i == start)
			return EINVAL;
		name = str_make(value.s + start, i - start);
		i = skip_ws(value, i);
		if (i >= value.len || value.s[i] != '=')
			return EINVAL;
		i = skip_ws(value, i + 1);
		if (i < value.len && value.s[i] == '"') {
			start = ++i;
			while (i < value.len && is_qchar(value.s[i]))
				i++;
			/* End of input, a backslash or a control byte. */
			if (i >= value.len || value.s[i] != '"')
				return EINVAL;
			val = str_make(value.s + start, i - start);
			i++;
		} else {
			start = i;
			i = span_tok(value, i);
			if (i == start)
				return EINVAL;
			val = str_make(value.s + start, i - start);
		}
		p = param_index(name);
		if (p < P_COUNT) {
			if (seen & (1u << p))
				return EINVAL;
			seen |= 1u << p;
			*field[p] = val;
		}
		i = skip_ws(value, i);
		if (i >= value.len)
			break;
		if (value.s[i] != ',')
			return EINVAL;
		i = skip_ws(value, i + 1);
	}

	if (d.username.len == 0 || d.realm.len == 0 || d.nonce.len == 0 ||
	    d.uri.len == 0 || d.response.len == 0)
		return EINVAL;
	if (seen & (1u << P_NC)) {
		if (!parse_nc(nc_text, &d.nc))
			return EINVAL;
		d.has_nc = true;
	}
	if (!(seen & (1u << P_ALGORITHM)) ||
	    str_eq_nocase(d.algorithm, STR("MD5")))
		d.alg = DIGEST_MD5;
	else if (str_eq_nocase(d.algorithm, STR("SHA-256")))
		d.alg = DIGEST_SHA256;
	else
		return ENOTSUP;
	*c = d;
	return 0;
}

/* ---- nonces ------------------------------------------------------- */

#define NONCE_TIME_LEN 8
#define NONCE_RAND_LEN 8
#define NONCE_MAC_LEN DIGEST_MAC_LEN
#define NONCE_RAW_LEN (NONCE_TIME_LEN + NONCE_RAND_LEN + NONCE_MAC_LEN)
#define NONCE_TEXT_LEN ((NONCE_RAW_LEN * 4 + 2) / 3) /* 43 */
/* A received nonce may come from at most this far in the future. */
#define NONCE_FUTURE_SLACK 5

_Static_assert(NONCE_TEXT_LEN < DIGEST_NONCE_MAX, "nonce too long");

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
b64url_val(char ch)
{
	unsigned char c = (unsigned char)ch;

	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Encode without padding; "out" needs (len * 4 + 2) / 3 bytes. */
static size_t
b64url_encode(const unsigned char *in, size_t len, char *out)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		acc = acc << 8 | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64url[(acc >> bits) & 63];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		out[o++] = b64url[(acc << (6 - bits)) & 63];
	return o;
}

/*
 * Strict decoding into exactly "len" bytes: the text must have exactly
 * the unpadded length, only alphabet characters, and zero unused bits in
 * the last character, so every nonce has one spelling.
 */
static bool
b64url_decode(struct str in, unsigned char *out, size_t len)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i, o = 0;
	int v;

	if (in.len != (len * 4 + 2) / 3)
		return false;
	for (i = 0; i < in.len; i++) {
		v = b64url_val(in.s[i]);
		if (v < 0)
			return false;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return o == len && acc == 0;
}

/*
 * The address bytes a nonce is bound to: 4 for IPv4 and IPv4-mapped
 * IPv6 (a dual-stack socket may report either for the same client), 16
 * for IPv6. Returns 0 for anything else.
 */
static size_t
src_ip_bytes(const struct sa *src, unsigned char *out)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff };
	const unsigned char *a;

	if (!src)
		return 0;
	switch (sa_family(src)) {
	case AF_INET:
		memcpy(out, &src->u.in.sin_addr, 4);
		return 4;
	case AF_INET6:
		a = src->u.in6.sin6_addr.s6_addr;
		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			memcpy(out, a + 12, 4);
			return 4;
		}
		memcpy(out, a, 16);
		return 16;
	default:
		return 0;
	}
}

void
digest_mac(const struct digest_key *key, const void *msg, size_t len,
    unsigned char out[DIGEST_MAC_LEN])
{
	uint64_t k[4], h[2];

	memcpy(k, key->k, sizeof(k));
	h[0] = siphash24(k, msg, len);
	h[1] = siphash24(k + 2, msg, len);
	memcpy(out, h, sizeof(h));
	explicit_bzero(k, sizeof(k));
}

/* MAC over raw[0..16) (time | random) and the source address. */
static bool
nonce_mac(const struct digest_key *key, const unsigned char *raw,
    const struct sa *src, unsigned char *mac)
{
	unsigned char msg[NONCE_TIME_LEN + NONCE_RAND_LEN + 16];
	size_t iplen;

	iplen = src_ip_bytes(src, msg + NONCE_TIME_LEN + NONCE_RAND_LEN);
	if (iplen == 0)
		return false;
	memcpy(msg, raw, NONCE_TIME_LEN + NONCE_RAND_LEN);
	digest_mac(key, msg, NONCE_TIME_LEN + NONCE_RAND_LEN + iplen, mac);
	return true;
}

size_t
digest_nonce_make(const struct digest_key *key, uint64_t now,
    const struct sa *src, char *out, size_t cap)
{
	unsigned char raw[NONCE_RAW_LEN];
	size_t n;
	unsigned i;

	if (!key || !out || cap < DIGEST_NONCE_MAX)
		return 0;
	for (i = 0; i < NONCE_TIME_LEN; i++)
		raw[i] = (unsigned char)(now >> (8 * (NONCE_TIME_LEN - 1 - i)));
	if (!evp_random(raw + NONCE_TIME_LEN, NONCE_RAND_LEN) ||
	    !nonce_mac(key, raw, src, raw + NONCE_TIME_LEN + NONCE_RAND_LEN)) {
		out[0] = '\0';
		return 0;
	}
	n = b64url_encode(raw, sizeof(raw), out);
	out[n] = '\0';
	return n;
}

enum digest_nonce_state
digest_nonce_check(const struct digest_key *key, struct str nonce, uint64_t now,
    uint32_t lifetime, const struct sa *src, uint64_t *issued)
{
	unsigned char raw[NONCE_RAW_LEN], mac[NONCE_MAC_LEN];
	uint64_t t = 0;
	unsigned i;

	if (!key || !b64url_decode(nonce, raw, sizeof(raw)) ||
	    !nonce_mac(key, raw, src, mac) ||
	    CRYPTO_memcmp(
		mac, raw + NONCE_TIME_LEN + NONCE_RAND_LEN, NONCE_MAC_LEN) != 0)
		return DIGEST_NONCE_BAD;
	for (i = 0; i < NONCE_TIME_LEN; i++)
		t = t << 8 | raw[i];
	/* Written to avoid overflow near UINT64_MAX. */
	if (t > now && t - now > NONCE_FUTURE_SLACK)
		return DIGEST_NONCE_BAD;
	if (issued)
		*issued = t;
	if (now > t && now - t > lifetime)
		return DIGEST_NONCE_STALE;
	return DIGEST_NONCE_OK;
}

/* ---- response ----------------------------------------------------- */

/* hex = lower-case hex of H(parts[0] ":" parts[1] ":" ...). */
static bool
hash_hex(EVP_MD_CTX *ctx, const EVP_MD *md, const struct str *parts,
    size_t nparts, char *hex)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	size_t i;

	if (!EVP_DigestInit_ex(ctx, md, NULL))
		return false;
	for (i = 0; i < nparts; i++) {
		if (i > 0 && !EVP_DigestUpdate(ctx, ":", 1))
			return false;
		if (parts[i].len > 0 &&
		    !EVP_DigestUpdate(ctx, parts[i].s, parts[i].len))
			return false;
	}
	if (!EVP_DigestFinal_ex(ctx, d, &dlen) || dlen * 2 > CRED_HEX_MAX)
		return false;
	to_hex(d, dlen, hex);
	return true;
}

/*
 * The checks that do not involve the secret are folded into "ok" rather
 * than returned early, so every call with a known algorithm does both
 * hashes and one comparison of the full hex length. The nc is hashed as
 * 8 lower-case hex digits (nc-value is 8LHEX in RFC 3261 and RFC 7616);
 * struct digest_creds keeps the number, not the text as sent.
 */
bool
digest_response_ok(
    const struct digest_creds *c, const char *ha1_hex, struct str method)
{
	char ha2[CRED_HEX_MAX + 1], want[CRED_HEX_MAX + 1], got[CRED_HEX_MAX];
	char nc[8];
	const EVP_MD *md;
	EVP_MD_CTX *ctx;
	size_t hexlen, ha1len, i;
	bool ok, hashed;

	if (!c || !ha1_hex)
		return false;
	md = alg_md(c->alg);
	hexlen = alg_hex_len(c->alg);
	if (!md || hexlen == 0)
		return false;
	ha1len = strnlen(ha1_hex, CRED_HEX_MAX + 1);
	ok = ha1len == hexlen && c->has_nc && c->cnonce.len > 0 &&
	    str_eq_nocase(c->qop, STR("auth")) && c->response.len == hexlen;
	for (i = 0; i < 8; i++)
		nc[i] = "0123456789abcdef"[(c->nc >> (28 - 4 * i)) & 15];
	memset(ha2, 0, sizeof(ha2));
	memset(want, 0, sizeof(want));
	ctx = evp_md_ctx();
	if (!ctx)
		return false;
	hashed =
	    hash_hex(ctx, md, (const struct str[]){ method, c->uri }, 2, ha2) &&
	    hash_hex(ctx, md,
		(const struct str[]){ str_make(ha1_hex, ha1len), c->nonce,
		    str_make(nc, 8), c->cnonce, c->qop, str_make(ha2, hexlen) },
		6, want);
	if (!hashed)
		EVP_MD_CTX_reset(ctx); /* an unknown state is not kept */
	memset(got, 0, sizeof(got));
	for (i = 0; i < hexlen && i < c->response.len; i++)
		got[i] = (char)lower((unsigned char)c->response.s[i]);
	return hashed & ok & (CRYPTO_memcmp(got, want, hexlen) == 0);
}

/* ---- challenge ---------------------------------------------------- */

static bool
is_quotable(struct str s)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if (!is_qchar(s.s[i]))
			return false;
	return true;
}

/*
 * The realm may come from the request (the To or From domain), so it is
 * checked to fit between quotes: a quote, backslash or CR/LF in it would
 * let a client write its own header lines into our response.
 */
size_t
digest_challenge(char *out, size_t cap, const char *hdr, struct str realm,
    const char *nonce, const enum digest_alg *algs, unsigned nalgs, bool stale)
{
	size_t off = 0, hlen;
	unsigned i;
	int n;

	if (!out || cap == 0)
		return 0;
	out[0] = '\0';
	if (!hdr || !nonce || !algs || nalgs == 0 || realm.len == 0 ||
	    realm.len > INT_MAX || !is_quotable(realm) || nonce[0] == '\0' ||
	    !is_quotable(str_make(nonce, strlen(nonce))))
		return 0;
	hlen = strlen(hdr);
	if (hlen == 0 || span_tok(str_make(hdr, hlen), 0) != hlen)
		return 0;
	for (i = 0; i < nalgs; i++) {
		const char *name = alg_name(algs[i]);

		if (!name)
			goto fail;
		n = snprintf(out + off, cap - off,
		    "%s: Digest realm=\"%.*s\", nonce=\"%s\", algorithm=%s, "
		    "qop=\"auth\"%s\r\n",
		    hdr, (int)realm.len, realm.s, nonce, name,
		    stale ? ", stale=true" : "");
		if (n < 0 || (size_t)n >= cap - off)
			goto fail;
		off += (size_t)n;
	}
	return off;
fail:
	out[0] = '\0';
	return 0;
}

/* ---- nonce-count window ------------------------------------------- */

#define NC_NONE UINT32_MAX
/* Slots are uint32 indices + 1 and number at most 2 * capacity. */
#define NC_CAP_MAX (1u << 28)
/* Expired entries reclaimed per insertion: more than one keeps up. */
#define NC_RECLAIM 2

struct nc_ent {
	uint64_t fp[2]; /* keyed fingerprint of the nonce text */
	uint64_t issued;
	uint64_t window; /* bit i set: nc max_nc - 1 - i was used */
	uint32_t max_nc; /* highest nc used */
	uint32_t hpos; /* index in heap[]; next free entry when unused */
};

struct digest_nc {
	uint64_t sipkey[2][2];
	struct nc_ent *ent; /* cap entries */
	uint32_t *slot; /* mask + 1 slots: 0 empty, else entry index + 1 */
	uint32_t *heap; /* entries in use, min-heap on issued */
	uint32_t cap;
	uint32_t count;
	uint32_t mask;
	uint32_t free_ent; /* head of the free entry list, linked by hpos */
	uint64_t horizon; /* newest issued time evicted so far */
	bool evicted; /* horizon is meaningful */
};

int
digest_nc_alloc(struct digest_nc **tp, unsigned capacity)
{
	struct digest_nc *t;
	unsigned char rnd[32];
	uint32_t i, nslots;
	int err = 0;

	if (!tp || capacity == 0 || capacity > NC_CAP_MAX)
		return EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	for (nslots = 2; nslots < 2 * capacity; nslots <<= 1)
		;
	t->ent = calloc(capacity, sizeof(*t->ent));
	t->slot = calloc(nslots, sizeof(*t->slot));
	t->heap = calloc(capacity, sizeof(*t->heap));
	if (!t->ent || !t->slot || !t->heap) {
		err = ENOMEM;
		goto out;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		err = EIO;
		goto out;
	}
	t->sipkey[0][0] = load_le64(rnd);
	t->sipkey[0][1] = load_le64(rnd + 8);
	t->sipkey[1][0] = load_le64(rnd + 16);
	t->sipkey[1][1] = load_le64(rnd + 24);
	t->cap = capacity;
	t->mask = nslots - 1;
	for (i = 0; i < capacity; i++)
		t->ent[i].hpos = i + 1 < capacity ? i + 1 : NC_NONE;
	t->free_ent = 0;
out:
	OPENSSL_cleanse(rnd, sizeof(rnd));
	if (err)
		digest_nc_free(t);
	else
		*tp = t;
	return err;
}

void
digest_nc_free(struct digest_nc *t)
{
	if (!t)
		return;
	free(t->ent);
	free(t->slot);
	free(t->heap);
	explicit_bzero(t, sizeof(*t));
	free(t);
}

unsigned
digest_nc_count(const struct digest_nc *t)
{
	return t ? t->count : 0;
}

/*
 * Entry index of fingerprint "fp", or NC_NONE; *slotp gets its slot, or
 * the empty slot where it would go. The load factor is at most 1/2, so
 * the probe always meets an empty slot.
 */
static uint32_t
nc_find(const struct digest_nc *t, const uint64_t fp[2], uint32_t *slotp)
{
	uint32_t s = (uint32_t)fp[0] & t->mask, e;

	while ((e = t->slot[s]) != 0) {
		const struct nc_ent *x = &t->ent[e - 1];

		if (x->fp[0] == fp[0] && x->fp[1] == fp[1]) {
			*slotp = s;
			return e - 1;
		}
		s = (s + 1) & t->mask;
	}
	*slotp = s;
	return NC_NONE;
}

/*
 * Remove entry "e" from the slots by backward shift (Knuth 6.4,
 * algorithm R): each following entry of the cluster moves into the hole
 * unless its home slot lies cyclically in (hole, its slot].
 */
static void
nc_unlink(struct digest_nc *t, uint32_t e)
{
	uint32_t i = (uint32_t)t->ent[e].fp[0] & t->mask, j, home;

	while (t->slot[i] != e + 1)
		i = (i + 1) & t->mask;
	for (;;) {
		t->slot[i] = 0;
		j = i;
		for (;;) {
			j = (j + 1) & t->mask;
			if (t->slot[j] == 0)
				return;
			home = (uint32_t)t->ent[t->slot[j] - 1].fp[0] & t->mask;
			if (i <= j ? (i < home && home <= j) :
				     (i < home || home <= j))
				continue;
			break;
		}
		t->slot[i] = t->slot[j];
		i = j;
	}
}

static inline uint64_t
heap_key(const struct digest_nc *t, uint32_t pos)
{
	return t->ent[t->heap[pos]].issued;
}

static inline void
heap_put(struct digest_nc *t, uint32_t pos, uint32_t e)
{
	t->heap[pos] = e;
	t->ent[e].hpos = pos;
}

static void
heap_up(struct digest_nc *t, uint32_t pos)
{
	uint32_t e = t->heap[pos], parent;
	uint64_t k = t->ent[e].issued;

	while (pos > 0) {
		parent = (pos - 1) / 2;
		if (heap_key(t, parent) <= k)
			break;
		heap_put(t, pos, t->heap[parent]);
		pos = parent;
	}
	heap_put(t, pos, e);
}

static void
heap_down(struct digest_nc *t, uint32_t pos)
{
	uint32_t e = t->heap[pos], child;
	uint64_t k = t->ent[e].issued;

	for (;;) {
		child = 2 * pos + 1;
		if (child >= t->count)
			break;
		if (child + 1 < t->count &&
		    heap_key(t, child + 1) < heap_key(t, child))
			child++;
		if (heap_key(t, child) >= k)
			break;
		heap_put(t, pos, t->heap[child]);
		pos = child;
	}
	heap_put(t, pos, e);
}

/*
 * Drop the entry issued first and remember its issue time: from now on a
 * nonce issued at or before it that is not in the table may be one whose
 * history we just lost, so it is UNKNOWN, never accepted.
 */
static void
nc_evict_oldest(struct digest_nc *t)
{
	uint32_t e = t->heap[0];

	nc_unlink(t, e);
	if (!t->evicted || t->ent[e].issued > t->horizon)
		t->horizon = t->ent[e].issued;
	t->evicted = true;
	t->count--;
	if (t->count > 0) {
		heap_put(t, 0, t->heap[t->count]);
		heap_down(t, 0);
	}
	t->ent[e].hpos = t->free_ent;
	t->free_ent = e;
}

static void
nc_insert(
    struct digest_nc *t, const uint64_t fp[2], uint64_t issued, uint32_t nc)
{
	uint32_t e = t->free_ent, s;
	struct nc_ent *x = &t->ent[e];

	t->free_ent = x->hpos;
	(void)nc_find(t, fp, &s);
	x->fp[0] = fp[0];
	x->fp[1] = fp[1];
	x->issued = issued;
	x->window = 0;
	x->max_nc = nc;
	t->slot[s] = e + 1;
	heap_put(t, t->count, e);
	t->count++;
	heap_up(t, t->count - 1);
}

static enum digest_nc_vd
nc_window_use(struct nc_ent *x, uint32_t nc)
{
	uint32_t d;

	if (nc > x->max_nc) {
		/* The old maximum ends up d below the new one: bit d - 1. */
		d = nc - x->max_nc;
		if (d < 64)
			x->window = x->window << d | UINT64_C(1) << (d - 1);
		else if (d == 64)
			x->window = UINT64_C(1) << 63;
		else
			x->window = 0;
		x->max_nc = nc;
		return DIGEST_NC_OK;
	}
	d = x->max_nc - nc;
	if (d == 0 || d > 64 || (x->window >> (d - 1) & 1))
		return DIGEST_NC_REPLAY;
	x->window |= UINT64_C(1) << (d - 1);
	return DIGEST_NC_OK;
}

static inline bool
nc_expired(uint64_t issued, uint64_t now, uint32_t lifetime)
{
	return now > issued && now - issued > lifetime;
}

/*
 * Eviction takes the entry issued first. With one lifetime for all
 * nonces the expired entries are exactly the ones issued first, so
 * "expired first, then the oldest" is the heap minimum either way. When
 * the table is full and the new nonce is not newer than every entry, the
 * new nonce is the one refused (UNKNOWN) instead of evicting a younger
 * entry for it.
 */
enum digest_nc_vd
digest_nc_use(struct digest_nc *t, struct str nonce, uint64_t issued,
    uint32_t nc, uint64_t now, uint32_t lifetime)
{
	uint64_t fp[2];
	uint32_t e, s;
	unsigned k;

	if (!t || nc == 0)
		return DIGEST_NC_REPLAY;
	if (nc_expired(issued, now, lifetime))
		return DIGEST_NC_UNKNOWN;
	fp[0] = siphash24(t->sipkey[0], nonce.s, nonce.len);
	fp[1] = siphash24(t->sipkey[1], nonce.s, nonce.len);
	e = nc_find(t, fp, &s);
	if (e != NC_NONE)
		return nc_window_use(&t->ent[e], nc);
	if (t->evicted && issued <= t->horizon)
		return DIGEST_NC_UNKNOWN;
	for (k = 0; k < NC_RECLAIM && t->count > 0 &&
	     nc_expired(heap_key(t, 0), now, lifetime);
	     k++)
		nc_evict_oldest(t);
	if (t->count == t->cap) {
		if (issued <= heap_key(t, 0))
			return DIGEST_NC_UNKNOWN;
		nc_evict_oldest(t);
	}
	nc_insert(t, fp, issued, nc);
	return DIGEST_NC_OK;
}

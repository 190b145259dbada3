/*
 * callerid/stir.h -- STIR/SHAKEN: verification of SIP Identity headers
 * and signing of outbound calls (RFC 8224, 8225, 8226, 8588; the steps
 * of ATIS-1000074 / -1000080).
 *
 * Verification. stir_verify() takes the Identity header values of a
 * request, the calling and called numbers, the Date header and "now",
 * and returns the outcome as a SIP status:
 *
 *   200 OK                      a PASSporT verified
 *   400 Bad Request             malformed From (calling TN not 1..32
 *                               digits after one optional '+') or Date
 *   428 Use Identity Header     no Identity header
 *   436 Bad Identity Info       no info, a JWS header field missing,
 *                               x5u != info, x5u refused by the rules
 *                               below, certificate not retrievable
 *   437 Unsupported Credential  alg or typ wrong, certificate expired or
 *                               not yet valid at Date, not chaining to
 *                               the STI-CA roots, revoked, not P-256
 *   438 Invalid Identity Header more than 4 header parameters, ppt not
 *                               "shaken", attest not A/B/C, orig.tn !=
 *                               calling TN, dest.tn without the called
 *                               TN, bad signature, TNAuthList missing or
 *                               not exactly one SPC, CN != "SHAKEN <SPC>",
 *                               malformed token (compact form included)
 *   403 Stale Date              Date or iat outside the freshness window
 *
 * with a verstat (TN-Validation-Passed / -Failed / No-TN-Validation for
 * 428 and 400), the attestation and a short detail text. With several
 * Identity values the first that verifies wins; when none does, the
 * result of the first is returned. The verification runs over the bytes
 * received: JSON is never re-serialised. The "more than 4 header
 * parameters" rule applies to the PASSporT's JWS header.
 *
 * conf.strict_params adds the Identity parameter rules of the French MAN
 * test plan (MAN_Mode_operatoire v1.7 p. 59, lines 9, 16, 18): alg must
 * be present (else 437), ppt too (else 438), and no parameter but info,
 * alg and ppt (else 438, "more than 4 parameters"). Without it a missing
 * alg means ES256 (RFC 8224) and other parameters are ignored.
 *
 * x5u rules: https only, a port of the configured list (443 and
 * 8443 by default), no query, user-info or fragment. The fetch connects
 * only to addresses outside the RFC 6890 special-purpose ranges (checked
 * for the address curl actually connects to, not for a pre-resolution)
 * unless the address is in conf.fetch_allow. No redirect, no proxy, at
 * most conf.fetch_max_bytes in conf.fetch_timeout_ms.
 *
 * Certificates are fetched by one thread per verifier and cached (the
 * leaf after its chain was checked against the roots at fetch time, and
 * its SPC) for the HTTP max-age / Expires when shorter than
 * conf.cache_max_ttl, at least conf.cache_min_ttl, never past the leaf's
 * notAfter; failures for conf.negative_ttl. Requests for a URL being
 * fetched wait for that fetch. stir_verify() never blocks: on a cache
 * miss it returns EINPROGRESS and later calls done(arg) on the loop of
 * its stir_loop; the caller then calls stir_verify() again, which finds
 * the certificate (or the failure) in the cache.
 *
 * Signing: a stir_signer holds the EC P-256 key and x5u; each
 * stir_sign() produces the full-form PASSporT with canonical JSON
 * (sorted keys, no whitespace), a random UUID v4 origid, and the
 * Identity header value "<jws>;info=<x5u>;alg=ES256;ppt=shaken".
 *
 * Thread safety: a stir_verifier and a stir_signer may be used from any
 * number of threads at once. A stir_loop belongs to the thread of its
 * loop; stir_verify(), stir_cancel() and stir_loop_free() run there.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CALLERID_STIR_H
#define CENTINELA_CALLERID_STIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "core/str.h"
#include "net/sa.h"

/* Longest Identity header value accepted or produced. */
#define STIR_IDENTITY_MAX 4096
/* Longest x5u / info URI. */
#define STIR_X5U_MAX 1024
/* Longest telephone number in a PASSporT (with a '+'), plus the NUL. */
#define STIR_TN_MAX 33
/* Most dest.tn entries accepted. */
#define STIR_DEST_MAX 16
#define STIR_SPC_MAX 64
#define STIR_ORIGID_MAX 64
#define STIR_DETAIL_MAX 96
/* "Sun, 06 Nov 1994 08:49:37 GMT" + NUL */
#define STIR_DATE_LEN 30
/* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" + NUL */
#define STIR_UUID_LEN 37

#define STIR_PORTS_MAX 8
#define STIR_ALLOW_MAX 32
#define STIR_CRL_MAX 8

enum stir_verstat {
	STIR_VERSTAT_NONE = 0, /* No-TN-Validation */
	STIR_VERSTAT_PASSED, /* TN-Validation-Passed */
	STIR_VERSTAT_FAILED, /* TN-Validation-Failed */
};

/* "TN-Validation-Passed", ... (static). */
const char *stir_verstat_str(enum stir_verstat vs);

/* The outcome of a verification. */
struct stir_result {
	unsigned code; /* 200, or 400, 403, 428, 436, 437, 438 */
	const char *phrase; /* "OK", "Stale Date", ... (static) */
	enum stir_verstat verstat;
	char attest; /* 'A', 'B', 'C' of the deciding PASSporT, or 0 */
	int index; /* the deciding Identity value, -1 when none */
	char detail[STIR_DETAIL_MAX]; /* e.g. "x5u port 80 not allowed" */
	char spc[STIR_SPC_MAX]; /* SPC of the certificate, when reached */
	char origid[STIR_ORIGID_MAX];
};

/* ---- Identity header and PASSporT ------------------------------------ */

/* One Identity header value; views into the value given to the parser. */
struct stir_identity {
	struct str jws; /* the signed-identity-digest */
	struct str info; /* inside <...>; empty when absent */
	struct str alg; /* empty when absent (means ES256) */
	struct str ppt; /* empty when absent */
	unsigned nother; /* parameters other than info, alg and ppt */
};

/*
 * Parse one Identity header value "<jws>;info=<uri>[;alg=..][;ppt=..]
 * [;other params]" (RFC 8224 section 4). Parameter names are case
 * insensitive; values may be tokens, <...> or quoted strings; info
 * is accepted with or without the angle brackets. Returns 0 (info may
 * be empty: the caller answers 436), EMSGSIZE above STIR_IDENTITY_MAX,
 * EBADMSG for a malformed value, a repeated info/alg/ppt or an alg/ppt
 * without a value.
 */
int stir_identity_parse(struct stir_identity *id, struct str value);

/* A decoded PASSporT, checked against RFC 8225/8588 and ATIS rules. */
struct stir_passport {
	char x5u[STIR_X5U_MAX];
	char attest;
	char orig_tn[STIR_TN_MAX];
	char dest_tn[STIR_DEST_MAX][STIR_TN_MAX];
	unsigned ndest;
	int64_t iat;
	char origid[STIR_ORIGID_MAX];
	struct str signed_part; /* "header.payload" bytes as received */
	unsigned char sig[64]; /* ES256 r || s */
};

/*
 * Decode the compact JWS "jws" (full form only) and check its header
 * (exactly alg, typ, ppt, x5u with the values ES256, passport, shaken)
 * and claims (attest, orig.tn, dest.tn array, numeric iat, origid).
 * No signature check, no time check. pp->signed_part points into "jws".
 * Returns 0, or EBADMSG with res->code (436, 437 or 438), phrase and
 * detail set.
 */
int stir_passport_decode(
    struct stir_passport *pp, struct str jws, struct stir_result *res);

/*
 * Check the ES256 signature of the compact JWS "jws" with the public key
 * or certificate in PEM "pem". Only the received header.payload bytes
 * are used. Returns 0 (valid), EBADMSG (malformed token), EINVAL (no
 * usable P-256 key in pem) or EKEYREJECTED (signature does not verify).
 */
int stir_jws_check_sig(struct str jws, const char *pem, size_t pemlen);

/* ---- verification ----------------------------------------------------- */

struct stir_verify_conf {
	const char *ca_file; /* trusted STI-CA roots, PEM (or NULL) */
	const char *ca_dir; /* hashed directory of roots (or NULL) */
	/* PEM CRLs; with any, every issuing CA needs its CRL (else 437) */
	const char *crl_files[STIR_CRL_MAX];
	unsigned ncrl;
	const char *https_ca_file; /* CAs for the x5u TLS; NULL: system's */
	unsigned freshness; /* s, |now - Date| and |now - iat|; 60 */
	uint16_t ports[STIR_PORTS_MAX]; /* x5u ports allowed; 443, 8443 */
	unsigned nports;
	struct cidr fetch_allow[STIR_ALLOW_MAX]; /* special addresses allowed */
	unsigned nfetch_allow;
	unsigned fetch_timeout_ms; /* 5000 */
	size_t fetch_max_bytes; /* 65536 */
	unsigned fetch_parallel; /* connections at once; 16 */
	unsigned cache_max; /* entries; 1024 */
	unsigned cache_max_ttl; /* s; 86400 */
	unsigned cache_min_ttl; /* s, also for no-store answers; 10 */
	unsigned negative_ttl; /* s, failed fetches and bad certs; 60 */
	bool cn_lax; /* accept a CN other than "SHAKEN <SPC>"; false */
	bool strict_params; /* MAN: alg, ppt required, no others; false */
};

/* Fill "c" with the defaults above (no roots). */
void stir_verify_conf_init(struct stir_verify_conf *c);

struct stir_verifier;

/*
 * Load the roots (and CRLs) of "c", copy the rest, start the fetch
 * thread. At least one of ca_file, ca_dir is required. Returns 0, or
 * EINVAL (bad value), ENOENT/EIO (a file cannot be read or holds
 * nothing usable; "err" tells which), ENOMEM, or the errno of
 * pthread_create.
 */
int stir_verifier_alloc(struct stir_verifier **vp,
    const struct stir_verify_conf *c, char *err, size_t errlen);
/* Stop the fetch thread and free everything. Free every stir_loop first. */
void stir_verifier_free(struct stir_verifier *v);

/* A verifier's presence on one event loop (its completion queue). */
struct stir_loop;

/* Returns 0, ENOMEM or the errno of eventfd/loop_fd_add. */
int stir_loop_alloc(
    struct stir_loop **slp, struct stir_verifier *v, struct loop *l);
/*
 * Drop every pending callback of sl; on its loop's thread, not from
 * inside one of sl's callbacks.
 */
void stir_loop_free(struct stir_loop *sl);

struct stir_request {
	const struct str *identity; /* the Identity header values */
	size_t nidentity;
	struct str calling_tn; /* E.164 digits ('+' ignored); empty: 400 */
	struct str called_tn;
	struct str date; /* Date header value; empty when absent */
	int64_t now; /* unix seconds */
};

typedef void(stir_done_h)(void *arg);

/*
 * Verify "rq". Returns 0 with *res set, or EINPROGRESS when a
 * certificate is being fetched: done(arg) will then be called once on
 * sl's loop (never from inside this call), unless stir_cancel(sl, arg)
 * comes first; call stir_verify() again then. Returns EINVAL for
 * missing arguments, ENOMEM when the wait cannot be recorded.
 */
int stir_verify(struct stir_loop *sl, const struct stir_request *rq,
    struct stir_result *res, stir_done_h *done, void *arg);
/* Forget every pending callback of sl with this arg. */
void stir_cancel(struct stir_loop *sl, void *arg);

/*
 * Check a x5u URL against the rules above (syntax, scheme, port, no
 * query/user-info/fragment, a literal address outside the special
 * ranges unless allowed). Returns 0 or EPERM with "why" set.
 */
int stir_x5u_check(
    const struct stir_verifier *v, struct str url, char *why, size_t whylen);
/* Is the address of "sa" in an RFC 6890 special-purpose range? */
bool stir_addr_is_special(const struct sa *sa);

/*
 * Put the PEM chain "pem" into the cache for "url" as if it had been
 * fetched at "now" with a lifetime of "ttl" seconds: the chain, key,
 * TNAuthList and CN checks run, and a failing certificate is cached as
 * a failure (for "ttl" seconds too). For tests, and for operators who
 * pre-load certificates.
 * Returns 0, EINVAL, ENOSPC (cache full of fetches) or ENOMEM.
 */
int stir_cache_put(struct stir_verifier *v, const char *url, const char *pem,
    size_t len, int64_t now, unsigned ttl);
/*
 * Decode a TNAuthList extension value (OID 1.3.6.1.5.5.7.1.26, DER of
 * a SEQUENCE OF TNEntry) and copy its SPC into spc[cap]. Returns 0,
 * EBADMSG (not DER of a TNAuthList, or an SPC that is not printable),
 * EPROTO (not exactly one entry, or the entry is not an SPC) or ENOSPC.
 */
int stir_tnauthlist_spc(
    const unsigned char *der, size_t len, char *spc, size_t cap);
/* Drop every cache entry not being fetched. */
void stir_cache_flush(struct stir_verifier *v);

struct stir_stats {
	uint64_t verified; /* results returned */
	uint64_t passed;
	uint64_t hits; /* certificate found in the cache */
	uint64_t negative_hits; /* a cached failure found */
	uint64_t misses; /* a fetch started or joined */
	uint64_t fetches; /* HTTP fetches started */
	uint64_t fetch_failures;
	uint64_t refused_addr; /* connections refused by the address check */
	uint64_t entries; /* in the cache now */
};
void stir_stats_get(struct stir_verifier *v, struct stir_stats *st);

/* ---- signing ---------------------------------------------------------- */

struct stir_signer;

/*
 * Load the EC P-256 private key in PEM file "key_path" and remember
 * "x5u" (an https URL of at most STIR_X5U_MAX - 1 bytes without '"',
 * '<', '>', ';' or spaces). Returns 0, ENOENT (cannot read), EINVAL (not
 * a P-256 key, bad x5u) or ENOMEM; "err" says which.
 */
int stir_signer_alloc(struct stir_signer **sp, const char *key_path,
    const char *x5u, char *err, size_t errlen);
void stir_signer_free(struct stir_signer *s);

struct stir_claims {
	char attest; /* 'A', 'B' or 'C' */
	struct str orig_tn; /* digits, a leading '+' is dropped */
	const struct str *dest_tn; /* 1..STIR_DEST_MAX numbers, the same */
	size_t ndest;
	int64_t iat; /* usually now */
	struct str origid; /* empty: a random UUID v4 */
};

/*
 * Sign "c" and write the Identity header value
 * "<jws>;info=<x5u>;alg=ES256;ppt=shaken" with a NUL into out[cap];
 * *len (if not NULL) gets its length. Returns 0, EINVAL (bad claims),
 * ENOSPC (cap too small), ENOMEM or EIO (signing failed).
 */
int stir_sign(struct stir_signer *s, const struct stir_claims *c, char *out,
    size_t cap, size_t *len);

/*
 * Sign the given header and payload bytes as they are (no JSON check)
 * and write the compact JWS "b64(header).b64(payload).b64(sig)" with a
 * NUL into out[cap]. For tests and special tokens. Returns as stir_sign.
 */
int stir_sign_jws(struct stir_signer *s, struct str header, struct str payload,
    char *out, size_t cap, size_t *len);

/* The IMF-fixdate (RFC 7231) of "t" into buf. Returns 0 or ENOSPC. */
int stir_date_fmt(int64_t t, char *buf, size_t cap);

/* A random UUID v4 (RAND_bytes) into out. Returns 0 or EIO. */
int stir_uuid4(char out[STIR_UUID_LEN]);

#endif /* CENTINELA_CALLERID_STIR_H */

/*
 * callerid/stir_int.h -- what the STIR/SHAKEN files share: the verifier,
 * the certificate cache entries and waits, and the helpers of each file.
 * Nothing outside src/callerid/stir*.c includes it.
 *
 * Locking: v_mu protects the cache (table, LRU, entries), every wait
 * list (entry waiters, stir_loop ready and all lists) and the job queue.
 * The fetch thread owns its curl handles; a stir_loop's fd is touched
 * only by its loop thread, except the eventfd write done under v_mu.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CALLERID_STIR_INT_H
#define CENTINELA_CALLERID_STIR_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/queue.h>

#include <openssl/types.h>

#include "callerid/stir.h"

/* A caller waiting for a fetch: in its entry's list, then in sl_ready. */
struct stir_wait {
	TAILQ_ENTRY(stir_wait) w_link; /* entry's waiters, or sl_ready */
	TAILQ_ENTRY(stir_wait) w_all; /* sl_all */
	struct stir_loop *w_sl;
	struct stir_centry *w_ce; /* NULL once ready */
	stir_done_h *w_done;
	void *w_arg;
};
TAILQ_HEAD(stir_waitq, stir_wait);

/* The outcome of checking one fetched PEM chain. */
struct stir_certinfo {
	X509 *leaf; /* owned; NULL when code != 0 */
	int64_t not_before, not_after;
	char spc[STIR_SPC_MAX];
	unsigned code; /* 0 usable, else 436, 437 or 438 */
	char detail[STIR_DETAIL_MAX];
};

struct stir_centry {
	TAILQ_ENTRY(stir_centry) ce_lru; /* head: least recently used */
	struct stir_centry *ce_next; /* hash chain */
	uint64_t ce_hash;
	char *ce_url;
	bool ce_fetching; /* a job refers to it: never evicted */
	bool ce_valid; /* ce_info holds a result */
	int64_t ce_expires;
	struct stir_certinfo ce_info;
	struct stir_waitq ce_waiters;
};
TAILQ_HEAD(stir_lru, stir_centry);

struct stir_job;
TAILQ_HEAD(stir_jobq, stir_job);

struct stir_verifier {
	struct stir_verify_conf v_conf; /* strings point to the copies below */
	char *v_ca_file, *v_ca_dir, *v_https_ca, *v_crl[STIR_CRL_MAX];
	X509_STORE *v_roots;

	pthread_mutex_t v_mu;
	struct stir_centry **v_tab;
	size_t v_tabmask;
	struct stir_lru v_lru;
	size_t v_count;

	/* fetch thread (stir_fetch.c) */
	pthread_t v_thread;
	bool v_thread_on;
	bool v_stop; /* under v_mu */
	void *v_multi; /* CURLM */
	struct stir_jobq v_jobs; /* submitted, not yet started; under v_mu */

	atomic_uint_fast64_t v_verified, v_passed, v_hits, v_neg_hits, v_misses,
	    v_fetches, v_fetch_fail, v_refused;
};

struct stir_loop {
	struct stir_verifier *sl_v;
	struct loop *sl_loop;
	int sl_efd;
	struct stir_waitq sl_ready; /* fetch done, callback due */
	struct stir_waitq sl_all; /* every wait of this loop */
};

/* stir.c: fill res (phrase and verstat from code) with a detail text. */
void stir_result_set(struct stir_result *res, unsigned code, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
const char *stir_phrase(unsigned code);

/* stir_jws.c */
int stir_b64url_encode(
    const void *in, size_t len, char *out, size_t cap, size_t *olen);
/* out must hold 3 * ceil(len / 4) bytes. 0, EBADMSG or ENOSPC. */
int stir_b64url_decode(
    struct str in, unsigned char *out, size_t cap, size_t *olen);
/* 0, EKEYREJECTED (no match) or ENOMEM. */
int stir_es256_verify(
    EVP_PKEY *pk, const void *msg, size_t len, const unsigned char sig[64]);
/* DER ECDSA-Sig-Value to r || s. 0 or EBADMSG. */
int stir_es256_raw(const unsigned char *der, size_t len, unsigned char out[64]);
bool stir_pkey_is_p256(const EVP_PKEY *pk);

/* stir_cert.c: check a PEM chain against roots at "now" (see .c). */
void stir_cert_check(X509_STORE *roots, const char *pem, size_t len,
    int64_t now, bool cn_lax, struct stir_certinfo *ci);
void stir_certinfo_clear(struct stir_certinfo *ci);

/* stir_x5u.c */
bool stir_addr_allowed(const struct stir_verify_conf *c, const struct sa *sa);

/* stir_cache.c */
int stir_cache_init(struct stir_verifier *v);
void stir_cache_fini(struct stir_verifier *v);
/*
 * Look "url" up at "now". 0: *out is a copy of the entry's result (the
 * leaf with a reference of its own). EINPROGRESS: a fetch runs, done(arg)
 * will be called on sl. ENOSPC: the cache is full of fetches. ENOMEM.
 */
int stir_cache_lookup(struct stir_verifier *v, const char *url, int64_t now,
    struct stir_loop *sl, stir_done_h *done, void *arg,
    struct stir_certinfo *out);
/* A fetch of ce ended: store *ci (taken over), wake the waiters. */
void stir_cache_complete(struct stir_verifier *v, struct stir_centry *ce,
    struct stir_certinfo *ci, int64_t expires);

/* stir_fetch.c */
int stir_fetch_start(struct stir_verifier *v);
void stir_fetch_stop(struct stir_verifier *v);
/* Queue a fetch of ce->ce_url; v_mu held. 0 or ENOMEM. */
int stir_fetch_submit(
    struct stir_verifier *v, struct stir_centry *ce, int64_t now);
/* Wake the fetch thread after stir_fetch_submit(); v_mu not held. */
void stir_fetch_kick(struct stir_verifier *v);

#endif /* CENTINELA_CALLERID_STIR_INT_H */

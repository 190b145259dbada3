/*
 * guard/scanner.h -- scanner signatures: a versioned file of header
 * patterns (etc/signatures.conf, embedded; guard.signatures names
 * another) matched on the parsed message's views, never on copies.
 *
 * sig_load() reads and checks a whole file; only a good file replaces
 * the running set (sig_swap on SIGHUP), so a bad one changes nothing.
 * Hit counters are per signature name and survive reloads.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_GUARD_SCANNER_H
#define CENTINELA_GUARD_SCANNER_H

#include <stdint.h>
#include <stdio.h>

#include "sip/sip.h"

struct sigset;

/*
 * Load "path" (NULL: the embedded file). Errors go to errf as
 * "FILE:LINE: what is wrong". 0, or EINVAL / ENOENT / ENOMEM.
 */
int sig_load(struct sigset **sp, const char *path, FILE *errf);
void sig_free(struct sigset *s);
unsigned sig_version(const struct sigset *s);
unsigned sig_count(const struct sigset *s);

/* The name of the first signature "msg" matches, or NULL. Counts hits. */
const char *sig_match(const struct sigset *s, const struct sip_msg *msg);

/* Hits of signature "name" so far (all sets loaded). */
uint64_t sig_hits(const char *name);
/* centinela_scanner_hits_total{signature} for /metrics. */
void sig_render(FILE *f, void *arg);

#endif /* CENTINELA_GUARD_SCANNER_H */

/*
 * guard/nft.h -- kernel offload: mirror bans into an nftables set so
 * that the kernel drops banned sources before they reach a socket.
 *
 * nft_open() creates (or takes over) table "inet <cfg nft_table>" with
 * sets banned4 (ipv4_addr, interval, timeout) and banned6 (ipv6_addr,
 * interval, timeout) and an input chain (priority -150, policy accept)
 * that drops UDP/TCP from either set. Changes go through libnftables
 * on a thread of the module's own, so nft_ban()/nft_unban() never
 * block the caller: they queue and return. nft_close() deletes the
 * table.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_GUARD_NFT_H
#define CENTINELA_GUARD_NFT_H

#include <stddef.h>
#include <stdint.h>

#include "core/cfg.h"
#include "net/sa.h"

struct nft;

/* 0, or an errno value with a one-line message (e.g. no CAP_NET_ADMIN). */
int nft_open(struct nft **np, const char *table, char *err, size_t errlen);
void nft_close(struct nft *n);

/* Add "c" for "secs" seconds (0: no timeout). Queued; 0 or ENOMEM. */
int nft_ban(struct nft *n, const struct cidr *c, unsigned secs);
/* Remove "c". Queued; 0 or ENOMEM. */
int nft_unban(struct nft *n, const struct cidr *c);
/* Wait until every queued change has been applied (tests, shutdown). */
void nft_sync(struct nft *n);

/* Changes applied and failed so far. */
void nft_stats(const struct nft *n, uint64_t *applied, uint64_t *failed);

#endif /* CENTINELA_GUARD_NFT_H */

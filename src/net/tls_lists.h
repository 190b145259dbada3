/*
 * net/tls_lists.h -- the cipher lists of a TLS profile that names none
 * (src/net/tls.c; bench/tls_floor.c uses them too, so that the floor
 * of the TLS benchmark has centinela's settings).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_NET_TLS_LISTS_H
#define CENTINELA_NET_TLS_LISTS_H

/*
 * The lists a profile gets when it names none: ECDHE with AES-GCM or
 * ChaCha20 only (what etc/centinela.conf used to name), AES-128-GCM
 * first, as in Mozilla's "intermediate" configuration. An old peer
 * with only RSA key exchange or CBC suites needs ciphers = "DEFAULT"
 * in its profile.
 *
 * AES-128 suites hash with SHA-256, which current x86 and ARM CPUs
 * compute in hardware; OpenSSL's own order starts with
 * TLS_AES_256_GCM_SHA384, whose SHA-512 blocks were 4.6 % of the CPU
 * of a full TLS 1.3 handshake (docs/PERFORMANCE.md, TLS benchmark).
 */
#define TLS_DEFAULT_SUITES                               \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:" \
	"TLS_CHACHA20_POLY1305_SHA256"
#define TLS_DEFAULT_CIPHERS                                          \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

#endif

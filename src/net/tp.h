/*
 * net/tp.h -- SIP transports: UDP (recvmmsg/sendmmsg batches), TCP and
 * TLS (OpenSSL 3) streams with Content-Length framing, CRLF keep-alives
 * (RFC 5626 section 4.4.1), per-IP connection caps and idle/header
 * timeouts.
 *
 * The transport layer owns sockets and connections; it hands each
 * complete message to one receive callback and sends what the proxy
 * gives it. It never interprets SIP beyond framing.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_NET_TP_H
#define CENTINELA_NET_TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/cfg.h"
#include "core/loop.h"
#include "net/sa.h"
#include "sip/sip.h"

struct tp;

/* One received message, valid only during the callback. */
struct tp_rx {
	const char *buf;
	size_t len;
	enum sip_transport tp;
	struct sa src;
	struct sa local; /* listener address */
	uint64_t conn_id; /* 0 for UDP */
};

/* Where to send: a connection (when alive) or an address. */
struct tp_dst {
	enum sip_transport tp;
	struct sa addr;
	uint64_t conn_id; /* 0: any / new connection */
};

typedef void(tp_rx_h)(struct tp_rx *rx, void *arg);
/*
 * Pre-parse gate: called with the source address of every datagram and
 * of every new connection before anything else is done with it.
 * "banned": what the scan said of a datagram's source (0 or 1), -1 when
 * there was no scan (connections). Return false to drop the packet /
 * close the connection.
 */
typedef bool(tp_gate_h)(
    const struct sa *src, enum sip_transport tp, int banned, void *arg);
/*
 * Before the gate, once per batch of datagrams: banned[i] = whether
 * src[i] is banned (many lookups at once are cheaper than one by one).
 */
typedef void(tp_scan_h)(
    const struct sa *src, size_t n, bool *banned, void *arg);

/*
 * Open every listener of "cfg" and register them on "l". Returns 0 with
 * *tpp set, or an errno code after logging what failed.
 */
int tp_alloc(struct tp **tpp, struct loop *l, const struct cfg *cfg,
    tp_rx_h *rx, tp_gate_h *gate, tp_scan_h *scan, void *arg);
void tp_free(struct tp *t);

/*
 * Send one message. UDP sends are batched (sendmmsg) until tp_flush()
 * or the batch is full; stream sends go to the connection "conn_id"
 * when it is alive, else to a connection to "addr" (reusing one or
 * opening one). Returns 0, or an errno code (EHOSTUNREACH: no listener
 * for that transport/family; ENOBUFS: connection output queue full).
 */
int tp_send(
    struct tp *t, const struct tp_dst *dst, const char *buf, size_t len);
/* Flush the UDP send batch. */
void tp_flush(struct tp *t);

/*
 * The local address to advertise (Via sent-by, Record-Route) for
 * "tp" and address family "family" (AF_INET/AF_INET6). Returns NULL
 * when there is no such listener.
 */
const struct sa *tp_local(
    const struct tp *t, enum sip_transport tp, int family);
/*
 * The "host:port" text of a listener address (IPv6 in brackets),
 * formatted once at start-up; NULL when "local" is no listener's.
 */
const char *tp_local_hostport(const struct tp *t, const struct sa *local);
/* Is "host:port" one of our listening addresses (any transport)? */
bool tp_is_local(const struct tp *t, struct str host, uint16_t port);
/* Is this connection id alive? */
bool tp_conn_alive(const struct tp *t, uint64_t conn_id);
/* Number of open stream connections. */
unsigned tp_conn_count(const struct tp *t);

/*
 * The client certificate the TLS peer of a connection presented
 * (mutual TLS), computed once when its handshake completed.
 */
struct tp_tls_peer {
	bool verified; /* its chain verified against the profile's ca_file */
	enum cfg_tls_verify verify; /* verify_client of the listener */
	char fp[7 + 64 + 1]; /* "sha256:" + lowercase hex of the DER */
	char subject[256]; /* RFC 2253, e.g. "CN=phone1,O=Lab" */
};

/* NULL: no such connection, not TLS, or no certificate presented. */
const struct tp_tls_peer *tp_conn_tls(const struct tp *t, uint64_t conn_id);
/*
 * Does "id" match the binding "tls_id" ("sha256:HEX", or "subject:DN"
 * which needs a verified chain)?
 */
bool tp_tls_id_match(const struct tp_tls_peer *id, const char *tls_id);
/*
 * Load every certificate, key and CA file again (SIGHUP). On failure
 * the running contexts stay and EINVAL is returned after logging why.
 */
int tp_tls_reload(struct tp *t);
/*
 * Load every TLS profile of "cfg" as the daemon would and print what
 * fails as "FILE:LINE: what" to "errf" (centinela -t). 0 or EINVAL.
 */
int tp_tls_check(const struct cfg *cfg, const char *file, FILE *errf);

#endif /* CENTINELA_NET_TP_H */

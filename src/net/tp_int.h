/*
 * net/tp_int.h -- transport internals shared by udp.c, stream.c and
 * tls.c. Not for use outside src/net/.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_NET_TP_INT_H
#define CENTINELA_NET_TP_INT_H

#include <sys/socket.h>
#include <openssl/ssl.h>

#include "net/tp.h"

#define TP_UDP_BATCH 32
#define TP_UDP_ROUNDS 4 /* recvmmsg calls per readiness event */
#define TP_STREAM_MSGS 64 /* messages per read event */
#define TP_TX_MAX (4u << 20) /* output queue cap per conn */
#define TP_RX_INITIAL 4096

struct listener {
	char li_hostport[SA_STRLEN]; /* "1.2.3.4:5060", "[::1]:5060" */
	int li_fd;
	enum sip_transport li_tp;
	unsigned li_profile; /* TLS profile index */
	struct sa li_addr;
	struct tp *li_t;
	struct loop_timer li_pause; /* EMFILE back-off */
};

enum conn_state {
	CONN_CONNECTING,
	CONN_HANDSHAKE,
	CONN_OPEN
};

struct conn {
	uint64_t cn_id;
	int cn_fd;
	enum sip_transport cn_tp;
	enum conn_state cn_state;
	bool cn_outgoing;
	bool cn_busy; /* inside its read handler */
	bool cn_dead; /* close once not busy */
	bool cn_want_write; /* TLS needs POLLOUT */
	enum reason cn_close_reason;
	struct sa cn_peer;
	struct sa cn_local;
	SSL *cn_ssl;
	struct tp_tls_peer *cn_tls_peer; /* client certificate; NULL none */
	enum cfg_tls_verify cn_verify; /* the listener profile's */
	char *cn_rx;
	size_t cn_rx_len;
	size_t cn_rx_cap;
	char *cn_tx;
	size_t cn_tx_len;
	size_t cn_tx_cap;
	uint64_t cn_last_rx; /* ms */
	uint64_t cn_msg_start; /* ms; 0: no partial message */
	uint64_t cn_born; /* ms */
	struct loop_timer cn_timer;
	struct conn *cn_hnext; /* address hash chain */
	struct tp *cn_t;
};

struct ipcount {
	struct sa ic_addr;
	unsigned ic_n;
	struct ipcount *ic_next;
};

struct udp_out {
	struct mmsghdr msg[TP_UDP_BATCH];
	struct iovec iov[TP_UDP_BATCH];
	struct sa dst[TP_UDP_BATCH];
	char *buf; /* TP_UDP_BATCH * slot */
	size_t slot;
	unsigned n;
	int fd; /* socket of the batch */
};

struct tp {
	struct loop *t_loop;
	const struct cfg *t_cfg;
	tp_rx_h *t_rx;
	tp_gate_h *t_gate;
	tp_scan_h *t_scan;
	void *t_arg;

	struct listener t_li[CFG_MAX_LISTEN];
	unsigned t_nli;

	/* UDP receive batch */
	struct mmsghdr t_rmsg[TP_UDP_BATCH];
	struct iovec t_riov[TP_UDP_BATCH];
	struct sa t_rsrc[TP_UDP_BATCH];
	bool t_rbanned[TP_UDP_BATCH]; /* t_scan's answers */
	uint64_t t_win_t0; /* ms: start of the datagram-rate window */
	uint64_t t_win_n; /* datagrams in it */
	uint64_t t_rate; /* datagrams/s over the last window */
	char *t_rbuf;
	size_t t_rslot;
	struct udp_out t_out;

	/* stream connections */
	struct conn **t_conns; /* slot -> conn */
	uint32_t t_nslots;
	uint32_t t_nconns;
	uint32_t t_gen;
	struct conn **t_addrhash; /* peer address -> conn */
	uint32_t t_addrmask;
	struct ipcount **t_iphash;
	uint32_t t_ipmask;

	struct tls_set *t_tls; /* NULL: no TLS */
};

/* udp.c */
int udp_listen(struct tp *t, struct listener *li);
/*
 * The pause before the next wait (udp.coalesce), in microseconds: 0
 * unless the sockets were drained (drained) and datagrams arrive
 * (rate, per second) fast enough that the longest pause (max) gathers
 * UDP_PACE_MIN_GATHER or more; then as long as a batch takes to
 * arrive, at most max.
 */
#define UDP_PACE_MIN_GATHER 8
unsigned udp_pause_us(uint64_t rate, bool drained, unsigned max);
int udp_send(
    struct tp *t, const struct tp_dst *dst, const char *buf, size_t len);
void udp_flush(struct tp *t);

/* stream.c */
int stream_listen(struct tp *t, struct listener *li);
int stream_init(struct tp *t);
void stream_fini(struct tp *t);
int stream_send(
    struct tp *t, const struct tp_dst *dst, const char *buf, size_t len);
struct conn *stream_conn_get(const struct tp *t, uint64_t id);

/* tls.c */
/* Does "cfg" use TLS at all (a TLS listener or upstream)? */
bool tls_needed(const struct cfg *cfg);
int tls_init(struct tp *t);
void tls_fini(struct tp *t);
/* A server SSL for listener "li" / a client SSL toward "addr"; NULL. */
SSL *tls_new_server(struct tp *t, const struct listener *li);
SSL *tls_new_client(struct tp *t, const struct sa *addr);
/* What the peer of a finished handshake presented; NULL: nothing. */
struct tp_tls_peer *tls_peer_id(SSL *ssl, enum cfg_tls_verify verify);

/* tp.c */
int tp_socket(const struct sa *addr, int type, bool reuseport);
const char *tp_name_lc(enum sip_transport tp);

#endif /* CENTINELA_NET_TP_INT_H */

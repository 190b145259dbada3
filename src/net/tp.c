/*
 * net/tp.c -- transport set-up and dispatch between UDP and streams.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "net/tp_int.h"

const char *
tp_name_lc(enum sip_transport tp)
{
	switch (tp) {
	case SIP_TP_UDP:
		return "udp";
	case SIP_TP_TCP:
		return "tcp";
	case SIP_TP_TLS:
		return "tls";
	default:
		return "?";
	}
}

int
tp_socket(const struct sa *addr, int type, bool reuseport)
{
	int fd, on = 1;

	fd = socket(sa_family(addr), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	if (sa_family(addr) == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	return fd;
}

int
tp_alloc(struct tp **tpp, struct loop *l, const struct cfg *cfg, tp_rx_h *rx,
    tp_gate_h *gate, tp_scan_h *scan, void *arg)
{
	struct tp *t;
	unsigned i;
	bool streams = false;
	int err = 0;

	t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	t->t_loop = l;
	t->t_cfg = cfg;
	t->t_rx = rx;
	t->t_gate = gate;
	t->t_scan = scan;
	t->t_arg = arg;
	for (i = 0; i < CFG_MAX_LISTEN; i++)
		t->t_li[i].li_fd = -1;
	for (i = 0; i < cfg->nlisten; i++)
		if (cfg->listen[i].tp != SIP_TP_UDP)
			streams = true;
	for (i = 0; i < cfg->nupstreams; i++)
		if (cfg->upstreams[i].tp != SIP_TP_UDP)
			streams = true;
	if (streams && (err = stream_init(t)))
		goto out;
	if (tls_needed(cfg) && (err = tls_init(t)))
		goto out;
	for (i = 0; i < cfg->nlisten; i++) {
		struct listener *li = &t->t_li[t->t_nli];
		char a[SA_STRLEN];

		li->li_tp = cfg->listen[i].tp;
		li->li_addr = cfg->listen[i].addr;
		li->li_profile = cfg->listen[i].tls_profile;
		sa_fmt(&li->li_addr, li->li_hostport, sizeof(li->li_hostport));
		li->li_t = t;
		if (li->li_tp == SIP_TP_UDP)
			err = udp_listen(t, li);
		else
			err = stream_listen(t, li);
		if (err) {
			log_error("cannot listen on %s %s: %s",
			    tp_name_lc(li->li_tp),
			    sa_fmt(&li->li_addr, a, sizeof(a)), strerror(err));
			goto out;
		}
		t->t_nli++;
	}
out:
	if (err)
		tp_free(t);
	else
		*tpp = t;
	return err;
}

void
tp_free(struct tp *t)
{
	unsigned i;

	if (!t)
		return;
	udp_flush(t);
	stream_fini(t);
	for (i = 0; i < t->t_nli; i++)
		if (t->t_li[i].li_fd >= 0) {
			loop_fd_del(t->t_loop, t->t_li[i].li_fd);
			loop_timer_cancel(t->t_loop, &t->t_li[i].li_pause);
			close(t->t_li[i].li_fd);
		}
	tls_fini(t);
	free(t->t_rbuf);
	free(t->t_out.buf);
	free(t);
}

int
tp_send(struct tp *t, const struct tp_dst *dst, const char *buf, size_t len)
{
	switch (dst->tp) {
	case SIP_TP_UDP:
		return udp_send(t, dst, buf, len);
	case SIP_TP_TCP:
	case SIP_TP_TLS:
		return stream_send(t, dst, buf, len);
	default:
		return EHOSTUNREACH;
	}
}

void
tp_flush(struct tp *t)
{
	udp_flush(t);
}

const struct sa *
tp_local(const struct tp *t, enum sip_transport tp, int family)
{
	unsigned i;

	for (i = 0; i < t->t_nli; i++)
		if (t->t_li[i].li_tp == tp &&
		    sa_family(&t->t_li[i].li_addr) == family)
			return &t->t_li[i].li_addr;
	return NULL;
}

const char *
tp_local_hostport(const struct tp *t, const struct sa *local)
{
	unsigned i;

	for (i = 0; i < t->t_nli; i++)
		if (&t->t_li[i].li_addr == local ||
		    sa_eq(&t->t_li[i].li_addr, local))
			return t->t_li[i].li_hostport;
	return NULL;
}

bool
tp_is_local(const struct tp *t, struct str host, uint16_t port)
{
	struct sa a;
	unsigned i;

	if (sa_set(&a, host, port))
		return false;
	for (i = 0; i < t->t_nli; i++) {
		uint16_t lp = sa_port(&t->t_li[i].li_addr);

		if (!sa_eq_addr(&a, &t->t_li[i].li_addr))
			continue;
		if (port == lp || (port == 0 && (lp == 5060 || lp == 5061)))
			return true;
	}
	return false;
}

unsigned
tp_conn_count(const struct tp *t)
{
	return t->t_nconns;
}

bool
tp_conn_alive(const struct tp *t, uint64_t conn_id)
{
	return stream_conn_get(t, conn_id) != NULL;
}

const struct tp_tls_peer *
tp_conn_tls(const struct tp *t, uint64_t conn_id)
{
	const struct conn *c = stream_conn_get(t, conn_id);

	return c ? c->cn_tls_peer : NULL;
}

bool
tp_tls_id_match(const struct tp_tls_peer *id, const char *tls_id)
{
	if (!id || !tls_id[0])
		return false;
	if (strncmp(tls_id, "sha256:", 7) == 0)
		return strcmp(id->fp, tls_id) == 0;
	/* A subject proves nothing unless a CA we trust signed it. */
	return id->verified && strncmp(tls_id, "subject:", 8) == 0 &&
	    strcmp(id->subject, tls_id + 8) == 0;
}

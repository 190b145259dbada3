/*
 * route/upstream.c -- the upstream pool (the PBXs behind centinela):
 * selection by priority and weight, OPTIONS health probes, failover and
 * recovery.
 *
 * An upstream starts "up". Every probe.interval it gets an OPTIONS; no
 * answer within probe.timeout, or a 503, is a failure. After
 * probe.failures_down consecutive failures it is marked down and no new
 * transaction is sent to it; after probe.successes_up consecutive
 * answers it is used again. With the defaults a dead upstream is marked
 * down within two probe intervals.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "admin/metrics.h"
#include "core/log.h"
#include "core/siphash.h"
#include "route/route_int.h"

static void probe_send(void *arg);

void
upstream_dst(const struct upstream *u, struct tp_dst *dst)
{
	memset(dst, 0, sizeof(*dst));
	dst->tp = u->us_cfg->tp;
	dst->addr = u->us_cfg->addr;
}

int
upstream_pick(struct upstream_pool *pool, uint32_t tried_mask, uint64_t hash)
{
	unsigned i, best_prio = UINT32_MAX, total = 0;
	uint64_t r;

	for (i = 0; i < pool->n; i++) {
		const struct upstream *u = &pool->up[i];

		if (!atomic_load(&u->us_up) || (tried_mask & (1u << i)))
			continue;
		if (u->us_cfg->priority < best_prio) {
			best_prio = u->us_cfg->priority;
			total = 0;
		}
		if (u->us_cfg->priority == best_prio)
			total += u->us_cfg->weight;
	}
	if (total == 0)
		return -1;
	/* By hash, not at random: a call's requests meet one upstream. */
	r = (hash ^ (hash >> 29)) % total;
	for (i = 0; i < pool->n; i++) {
		const struct upstream *u = &pool->up[i];

		if (!atomic_load(&u->us_up) || (tried_mask & (1u << i)) ||
		    u->us_cfg->priority != best_prio)
			continue;
		if (r < u->us_cfg->weight)
			return (int)i;
		r -= u->us_cfg->weight;
	}
	return -1;
}

static void
set_state(struct upstream *u, bool up, const char *why)
{
	struct log_fields f = { .event = up ? "upstream_up" : "upstream_down",
		.reason = up ? REASON_NONE : REASON_UPSTREAM_TIMEOUT };
	char a[SA_STRLEN];

	if (atomic_load(&u->us_up) == (int)up)
		return;
	atomic_store(&u->us_up, (int)up);
	f.src = sa_fmt(&u->us_cfg->addr, a, sizeof(a));
	f.tp = sip_transport_lc(u->us_cfg->tp);
	log_event(up ? LOGL_INFO : LOGL_WARN, &f, "upstream %s is %s (%s)",
	    u->us_cfg->name, up ? "up" : "down", why);
}

static void
probe_result(struct upstream *u, bool ok, const char *why)
{
	const struct cfg *cfg = u->us_proxy->p_cfg;

	u->us_pending = false;
	if (ok) {
		u->us_fails = 0;
		if (++u->us_oks >= cfg->probe_successes_up)
			set_state(u, true, why);
	} else {
		atomic_fetch_add(&u->us_probe_fails, 1);
		u->us_oks = 0;
		if (++u->us_fails >= cfg->probe_failures_down)
			set_state(u, false, why);
	}
}

/* A probe without answer fails unless calls were answered meanwhile. */
static void
probe_unanswered(struct upstream *u)
{
	if (u->us_last_rx_ms >= u->us_sent_ms)
		probe_result(u, true, "answers calls");
	else
		probe_result(u, false, "no answer to OPTIONS");
}

static void
probe_timeout(void *arg)
{
	struct upstream *u = arg;

	if (u->us_pending)
		probe_unanswered(u);
}

void
upstream_seen(struct upstream_pool *pool, int idx)
{
	if (idx >= 0 && (unsigned)idx < pool->n)
		pool->up[idx].us_last_rx_ms =
		    loop_now(pool->up[idx].us_proxy->p_loop);
}

static void
probe_send(void *arg)
{
	struct upstream *u = arg;
	struct proxy *p = u->us_proxy;
	const struct cfg *cfg = p->p_cfg;
	const struct cfg_upstream *uc = u->us_cfg;
	const struct sa *local;
	struct sip_wbuf w;
	struct tp_dst dst;
	char la[INET6_ADDRSTRLEN], ua[INET6_ADDRSTRLEN];
	const char *tpn, *tpp;
	int fam = sa_family(&uc->addr);

	loop_timer_start(
	    p->p_loop, &u->us_probe_timer, cfg->probe_interval, probe_send, u);
	if (u->us_pending)
		probe_unanswered(u);
	local =
	    tp_local(p->p_tp, uc->tp == SIP_TP_UDP ? SIP_TP_UDP : uc->tp, fam);
	if (!local)
		local = tp_local(p->p_tp, SIP_TP_TCP, fam);
	if (!local) {
		probe_result(u, false, "no local address for its transport");
		return;
	}
	tpn = uc->tp == SIP_TP_UDP ? "UDP" :
	    uc->tp == SIP_TP_TCP   ? "TCP" :
				     "TLS";
	tpp = uc->tp == SIP_TP_UDP ? "" :
	    uc->tp == SIP_TP_TCP   ? ";transport=tcp" :
				     ";transport=tls";
	sa_ntop(local, la, sizeof(la));
	sa_ntop(&uc->addr, ua, sizeof(ua));
	u->us_seq++;
	sip_wbuf_init(&w, p->p_obuf2, p->p_obuf_cap);
	sip_wbuf_printf(&w,
	    "OPTIONS sip:%s%s%s:%u%s SIP/2.0\r\n"
	    "Via: SIP/2.0/%s %s%s%s:%u;branch=" PROBE_PREFIX "%u.%u;rport\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: <sip:centinela@%s%s%s>;tag=p%u\r\n"
	    "To: <sip:%s%s%s:%u>\r\n"
	    "Call-ID: probe-%u-%u-%llx@centinela\r\n"
	    "CSeq: %u OPTIONS\r\n"
	    "User-Agent: %s\r\n"
	    "Content-Length: 0\r\n\r\n",
	    fam == AF_INET6 ? "[" : "", ua, fam == AF_INET6 ? "]" : "",
	    sa_port(&uc->addr), tpp, tpn, fam == AF_INET6 ? "[" : "", la,
	    fam == AF_INET6 ? "]" : "", sa_port(local), u->us_idx, u->us_seq,
	    fam == AF_INET6 ? "[" : "", la, fam == AF_INET6 ? "]" : "",
	    u->us_idx, fam == AF_INET6 ? "[" : "", ua,
	    fam == AF_INET6 ? "]" : "", sa_port(&uc->addr), u->us_idx,
	    u->us_seq, (unsigned long long)siphash24(p->p_secret, "probe", 5),
	    u->us_seq, cfg->server_header);
	if (w.overflow)
		return;
	upstream_dst(u, &dst);
	u->us_pending = true;
	u->us_sent_ms = loop_now(p->p_loop);
	u->us_sent_clock = loop_clock_ms();
	atomic_fetch_add(&u->us_probes, 1);
	if (tp_send(p->p_tp, &dst, w.b, w.len)) {
		probe_result(u, false, "cannot send OPTIONS");
		return;
	}
	tp_flush(p->p_tp);
	loop_timer_start(p->p_loop, &u->us_timeout_timer, cfg->probe_timeout,
	    probe_timeout, u);
}

void
upstream_probe_response(
    struct upstream_pool *pool, struct str branch, unsigned status)
{
	struct str rest = str_skip(branch, sizeof(PROBE_PREFIX) - 1);
	struct str idx_s, seq_s;
	uint32_t idx, seq;
	struct upstream *u;

	if (!str_split(rest, '.', &idx_s, &seq_s) || str_to_u32(idx_s, &idx) ||
	    str_to_u32(seq_s, &seq) || idx >= pool->n)
		return;
	u = &pool->up[idx];
	if (!u->us_pending || seq != u->us_seq || status < 200)
		return;
	loop_timer_cancel(u->us_proxy->p_loop, &u->us_timeout_timer);
	atomic_store(
	    &u->us_latency_us, (loop_clock_ms() - u->us_sent_clock) * 1000);
	if (status == 503)
		probe_result(u, false, "OPTIONS answered 503");
	else
		probe_result(u, true, "answers OPTIONS");
}

static void
render(FILE *f, void *arg)
{
	struct upstream_pool *pool = arg;
	unsigned i;

	fprintf(f,
	    "# HELP centinela_upstream_up Upstream state (1 up, 0 "
	    "down).\n# TYPE centinela_upstream_up gauge\n");
	for (i = 0; i < pool->n; i++)
		fprintf(f, "centinela_upstream_up{upstream=\"%s\"} %d\n",
		    pool->up[i].us_cfg->name, atomic_load(&pool->up[i].us_up));
	fprintf(f,
	    "# HELP centinela_upstream_probe_latency_seconds Round "
	    "trip of the last answered OPTIONS probe.\n# TYPE "
	    "centinela_upstream_probe_latency_seconds gauge\n");
	for (i = 0; i < pool->n; i++)
		fprintf(f,
		    "centinela_upstream_probe_latency_seconds"
		    "{upstream=\"%s\"} %.6f\n",
		    pool->up[i].us_cfg->name,
		    (double)atomic_load(&pool->up[i].us_latency_us) / 1e6);
	fprintf(f,
	    "# HELP centinela_upstream_probes_total OPTIONS probes "
	    "sent.\n# TYPE centinela_upstream_probes_total counter\n");
	for (i = 0; i < pool->n; i++)
		fprintf(f,
		    "centinela_upstream_probes_total{upstream=\"%s\"} "
		    "%llu\n",
		    pool->up[i].us_cfg->name,
		    (unsigned long long)atomic_load(&pool->up[i].us_probes));
	fprintf(f,
	    "# HELP centinela_upstream_probe_failures_total Probes "
	    "unanswered or answered 503.\n# TYPE "
	    "centinela_upstream_probe_failures_total counter\n");
	for (i = 0; i < pool->n; i++)
		fprintf(f,
		    "centinela_upstream_probe_failures_total"
		    "{upstream=\"%s\"} %llu\n",
		    pool->up[i].us_cfg->name,
		    (unsigned long long)atomic_load(
			&pool->up[i].us_probe_fails));
}

void
upstream_init(struct upstream_pool *pool, struct proxy *p)
{
	const struct cfg *cfg = p->p_cfg;
	unsigned i;

	memset(pool, 0, sizeof(*pool));
	pool->n = cfg->nupstreams;
	for (i = 0; i < pool->n; i++) {
		struct upstream *u = &pool->up[i];

		u->us_cfg = &cfg->upstreams[i];
		u->us_idx = i;
		u->us_proxy = p;
		atomic_store(&u->us_up, 1);
		/* First probe soon, staggered so upstreams differ. */
		loop_timer_start(
		    p->p_loop, &u->us_probe_timer, 50 + 10 * i, probe_send, u);
	}
	metrics_extra_add(render, pool);
}

void
upstream_fini(struct upstream_pool *pool, struct loop *l)
{
	unsigned i;

	metrics_extra_del(render);
	for (i = 0; i < pool->n; i++) {
		loop_timer_cancel(l, &pool->up[i].us_probe_timer);
		loop_timer_cancel(l, &pool->up[i].us_timeout_timer);
	}
}

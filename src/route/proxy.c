/*
 * route/proxy.c -- request routing and response relay (RFC 3261
 * section 16, RFC 3581).
 *
 * Routing of a request that passed the guards, in this order:
 *   1. a transaction of ours matches (retransmission, CANCEL, ACK for a
 *      non-2xx answer): the transaction handles it;
 *   2. a CANCEL that matches nothing gets 481;
 *   3. loop detection (482) and Route processing: our own Route entry
 *      is removed; a remaining Route is the next hop (loose routing);
 *   4. OPTIONS addressed to centinela itself is answered here;
 *   5. after removing our Route (a dialog we record-routed), or when a
 *      trusted pbx/carrier peer sends it, the request goes to its
 *      Request-URI, statelessly;
 *   6. everything else goes to the upstream pool through a client
 *      transaction with failover (ACKs statelessly).
 *
 * Our Via branch is "z9hG4bKcn" + a 64-bit transaction key (a keyed
 * hash over the incoming top Via, Call-ID, CSeq number, From tag and
 * method class, so ACK and CANCEL map to their INVITE) + a 32-bit loop
 * hash (Request-URI, From tag, Call-ID, CSeq, Route) + "." + attempt.
 * A request that carries one of our Vias with its own loop hash is
 * looping (section 16.3 step 4).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "admin/metrics.h"
#include "core/log.h"
#include "fraud/fraudrt.h"
#include "media/media.h"
#include "route/route_int.h"

/* ---- logging with a budget ------------------------------------- */

#define LOG_BUDGET_PER_SEC 200

static uint64_t log_sec;
static unsigned log_used;
static unsigned log_suppressed;

static bool
log_budget(void)
{
	uint64_t s = loop_clock_ms() / 1000;

	if (s != log_sec) {
		if (log_suppressed)
			log_printf(LOGL_WARN,
			    "%u rejection log lines "
			    "suppressed in the last second",
			    log_suppressed);
		log_sec = s;
		log_used = 0;
		log_suppressed = 0;
	}
	if (log_used < LOG_BUDGET_PER_SEC) {
		log_used++;
		return true;
	}
	log_suppressed++;
	return false;
}

void
proxy_log_reject(const struct sip_msg *msg, const struct rx_meta *in,
    const char *event, enum reason r, int status, const char *what)
{
	char a[SA_STRLEN];
	struct log_fields f = { .event = event,
		.tp = sip_transport_lc(in->tp),
		.reason = r,
		.status = status };

	if (!log_budget())
		return;
	f.src = sa_fmt(&in->src, a, sizeof(a));
	if (msg) {
		f.method = msg->is_request ? msg->method_s : STR_NULL;
		f.call_id = msg->call_id;
	}
	log_event(LOGL_INFO, &f, "%s", what);
}

/* ---- hashing ------------------------------------------------------ */

static uint64_t
mix(uint64_t h, struct str s)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		h ^= (unsigned char)s.s[i];
		h *= 1099511628211ULL;
	}
	h ^= 0xff;
	return h * 1099511628211ULL;
}

static uint64_t
mix_u64(uint64_t h, uint64_t v)
{
	return mix(h, str_make((const char *)&v, sizeof(v)));
}

static uint64_t
finalize(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/*
 * The transaction key: a keyed hash of what names a request's
 * transaction (RFC 3261 17.2.3). It also ends the branch of what we
 * forward, so a response's own fields recompute it (rsp_key_ok).
 */
static uint64_t
key_of(const struct proxy *p, const struct sip_via *v,
    const struct sip_msg *msg, enum sip_method mc, struct str method_s)
{
	uint64_t h = p->p_secret[0];

	if (mc == SIP_METHOD_ACK || mc == SIP_METHOD_CANCEL)
		mc = SIP_METHOD_INVITE;
	h = mix(h, v->branch);
	h = mix(h, v->host);
	h = mix_u64(h, v->port);
	h = mix(h, msg->call_id);
	h = mix_u64(h, msg->cseq.num);
	h = mix(h, msg->from.tag);
	h = mix_u64(h, (uint64_t)mc);
	if (mc == SIP_METHOD_UNKNOWN)
		h = mix(h, method_s);
	return finalize(h);
}

static uint64_t
txn_key(const struct proxy *p, const struct sip_msg *msg)
{
	return key_of(p, &msg->via[0], msg, msg->method, msg->method_s);
}

/*
 * Is "key" (from our Via of response "rsp") the key of the request
 * this response answers? A response nobody can forge without our
 * secret, though no transaction of ours remembers it.
 */
static bool
rsp_key_ok(const struct proxy *p, const struct sip_msg *rsp, uint64_t key)
{
	return rsp->nvia >= 2 &&
	    key_of(p, &rsp->via[1], rsp, rsp->cseq.method,
		rsp->cseq.method_s) == key;
}

static uint32_t
loop_hash(const struct proxy *p, const struct sip_msg *msg)
{
	const struct sip_hdr *r;
	uint64_t h = p->p_secret[1];

	h = mix(h, msg->ruri_raw);
	h = mix(h, msg->from.tag);
	h = mix(h, msg->call_id);
	h = mix_u64(h, msg->cseq.num);
	for (r = sip_msg_hdr(msg, SIP_HDR_ROUTE); r;
	     r = sip_msg_hdr_next(msg, r))
		h = mix(h, r->value);
	return (uint32_t)finalize(h);
}

static int
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool
hex_parse(struct str s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s.len == 0 || s.len > 16)
		return false;
	for (i = 0; i < s.len; i++) {
		int d = hex_val(s.s[i]);

		if (d < 0)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return true;
}

/*
 * Split one of our branches into key, loop hash and attempt. Returns
 * false when "b" is not one of ours.
 */
static bool
branch_parse(struct str b, uint64_t *key, uint32_t *loop, unsigned *attempt)
{
	uint64_t k, l;
	uint32_t a;
	struct str rest;

	if (!str_has_prefix(b, STR(BRANCH_PREFIX)) ||
	    b.len < BRANCH_PREFIX_LEN + 26 ||
	    b.s[BRANCH_PREFIX_LEN + 24] != '.')
		return false;
	rest = str_skip(b, BRANCH_PREFIX_LEN);
	if (!hex_parse(str_sub(rest, 0, 16), &k) ||
	    !hex_parse(str_sub(rest, 16, 8), &l) ||
	    str_to_u32_max(str_skip(rest, 25), 255, &a))
		return false;
	*key = k;
	*loop = (uint32_t)l;
	*attempt = a;
	return true;
}

/* ---- destinations ------------------------------------------------- */

/* Next hop from a URI: numeric host only (no DNS yet). */
static int
uri_dst(const struct sip_uri *u, struct tp_dst *dst)
{
	uint16_t port;

	memset(dst, 0, sizeof(*dst));
	if (u->scheme != SIP_SCHEME_SIP && u->scheme != SIP_SCHEME_SIPS)
		return EINVAL;
	if (u->scheme == SIP_SCHEME_SIPS || u->transport == SIP_TP_TLS)
		dst->tp = SIP_TP_TLS;
	else if (u->transport == SIP_TP_TCP)
		dst->tp = SIP_TP_TCP;
	else if (u->transport == SIP_TP_NONE || u->transport == SIP_TP_UDP)
		dst->tp = SIP_TP_UDP;
	else
		return EPROTONOSUPPORT;
	port = u->port ? u->port : dst->tp == SIP_TP_TLS ? 5061 : 5060;
	if (sa_set(&dst->addr, u->maddr.len ? u->maddr : u->host, port))
		return EHOSTUNREACH;
	return 0;
}

/*
 * Where a response to a request with top Via "v" goes when it is not
 * simply sent back to the packet's source: received (or sent-by) and
 * rport (or sent-by port) per RFC 3261 section 18.2.2 / RFC 3581.
 */
static int
via_dst(const struct sip_via *v, struct tp_dst *dst)
{
	uint32_t port = 0;

	memset(dst, 0, sizeof(*dst));
	dst->tp = v->transport;
	if (dst->tp != SIP_TP_UDP && dst->tp != SIP_TP_TCP &&
	    dst->tp != SIP_TP_TLS)
		return EPROTONOSUPPORT;
	if (v->rport.len && str_to_u32_max(v->rport, 65535, &port) == 0 && port)
		;
	else if (v->port)
		port = v->port;
	else
		port = dst->tp == SIP_TP_TLS ? 5061 : 5060;
	if (sa_set(&dst->addr, v->received.len ? v->received : v->host,
		(uint16_t)port))
		return EHOSTUNREACH;
	return 0;
}

int
proxy_send(
    struct proxy *p, const struct tp_dst *dst, const char *buf, size_t len)
{
	int err = tp_send(p->p_tp, dst, buf, len);

	if (err) {
		char a[SA_STRLEN];

		metrics_drop(REASON_SEND_FAILED);
		if (log_budget())
			log_printf(LOGL_WARN, "cannot send to %s %s: %s",
			    sip_transport_lc(dst->tp),
			    sa_fmt(&dst->addr, a, sizeof(a)), strerror(err));
	}
	return err;
}

/* ---- building blocks -------------------------------------------- */

/* Append "v" as exactly "digits" lower-case hex digits. */
static void
put_hex(struct sip_wbuf *w, uint64_t v, unsigned digits)
{
	static const char hex[] = "0123456789abcdef";
	char buf[16];
	unsigned i;

	for (i = digits; i > 0; i--) {
		buf[i - 1] = hex[v & 15];
		v >>= 4;
	}
	sip_wbuf_put(w, str_make(buf, digits));
}

/* Append "v" in hex without leading zeros. */
static void
put_hex_min(struct sip_wbuf *w, uint64_t v)
{
	unsigned digits = 1;

	while (digits < 16 && (v >> (4 * digits)) != 0)
		digits++;
	put_hex(w, v, digits);
}

static void
put_cstr(struct sip_wbuf *w, const char *s)
{
	sip_wbuf_put(w, str_make(s, strlen(s)));
}

/* ";received=IP;rport=PORT" (or less) for the client's top Via. */
static struct str
client_via_params(const struct proxy *p, const struct sip_via *v,
    const struct rx_meta *in, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];
	struct sip_wbuf w;
	struct sa sent_by;

	if (!p->p_cfg->reply_to_source && !v->has_rport &&
	    sa_set(&sent_by, v->host, 0) == 0 && sa_eq_addr(&sent_by, &in->src))
		return STR_NULL;
	sip_wbuf_init(&w, buf, cap);
	sip_wbuf_put(&w, STR(";received="));
	put_cstr(&w, sa_ntop(&in->src, ip, sizeof(ip)));
	if (p->p_cfg->reply_to_source || v->has_rport) {
		sip_wbuf_put(&w, STR(";rport="));
		sip_wbuf_putu(&w, sa_port(&in->src));
	}
	return w.overflow ? STR_NULL : str_make(w.b, w.len);
}

/* "1.2.3.4:5060" or "[::1]:5060" of a local address, cached if we can. */
static void
put_hostport(struct sip_wbuf *w, const struct proxy *p, const struct sa *sa)
{
	const char *hp = tp_local_hostport(p->p_tp, sa);
	char buf[SA_STRLEN];

	put_cstr(w, hp ? hp : sa_fmt(sa, buf, sizeof(buf)));
}

static struct str
uri_tp_param(enum sip_transport tp)
{
	return tp == SIP_TP_TCP ? STR(";transport=tcp") :
	    tp == SIP_TP_TLS	? STR(";transport=tls") :
				  STR_NULL;
}

/*
 * One Record-Route line for local address "sa" reached over "tp", with
 * the connection id (cn=) and the dialog token (ad=, "token" may be
 * empty) that lets in-dialog requests pass without a new challenge.
 */
static void
put_rr(struct sip_wbuf *w, const struct proxy *p, const struct sa *sa,
    enum sip_transport tp, uint64_t conn_id, struct str token)
{
	sip_wbuf_put(w, STR("Record-Route: <sip:"));
	put_hostport(w, p, sa);
	sip_wbuf_put(w, uri_tp_param(tp));
	sip_wbuf_put(w, STR(";lr"));
	if (conn_id) {
		sip_wbuf_put(w, STR(";cn="));
		put_hex_min(w, conn_id);
	}
	if (token.len) {
		sip_wbuf_put(w, STR(";ad="));
		sip_wbuf_put(w, token);
	}
	sip_wbuf_put(w, STR(">\r\n"));
}

int
proxy_forward(struct proxy *p, const struct sip_msg *msg,
    const struct rx_meta *in, const struct tp_dst *dst, struct str ruri,
    uint64_t key, uint32_t loophash, unsigned attempt, unsigned pop_routes,
    bool add_rr)
{
	const struct cfg *cfg = p->p_cfg;
	const struct sa *out_local;
	char via[256], cvp[96], rr[512], tok[AUTH_TOKEN_LEN];
	struct str token = STR_NULL;
	struct sip_wbuf vw, rw, w;
	int err;

	out_local = tp_local(p->p_tp, dst->tp, sa_family(&dst->addr));
	if (!out_local && dst->tp == SIP_TP_TLS)
		out_local =
		    tp_local(p->p_tp, SIP_TP_TCP, sa_family(&dst->addr));
	if (!out_local && dst->tp == SIP_TP_TCP)
		out_local =
		    tp_local(p->p_tp, SIP_TP_TLS, sa_family(&dst->addr));
	if (!out_local)
		return EHOSTUNREACH;
	sip_wbuf_init(&vw, via, sizeof(via));
	sip_wbuf_put(&vw,
	    dst->tp == SIP_TP_UDP     ? STR("Via: SIP/2.0/UDP ") :
		dst->tp == SIP_TP_TCP ? STR("Via: SIP/2.0/TCP ") :
					STR("Via: SIP/2.0/TLS "));
	put_hostport(&vw, p, out_local);
	sip_wbuf_put(&vw, STR(";branch=" BRANCH_PREFIX));
	put_hex(&vw, key, 16);
	put_hex(&vw, loophash, 8);
	sip_wbuf_putc(&vw, '.');
	sip_wbuf_putu(&vw, attempt);
	if (dst->tp == SIP_TP_UDP)
		sip_wbuf_put(&vw, STR(";rport"));
	if (in->conn_id) {
		sip_wbuf_put(&vw, STR(";i="));
		put_hex_min(&vw, in->conn_id);
	}
	sip_wbuf_put(&vw, STR("\r\n"));
	if (vw.overflow)
		return ENOSPC;

	sip_wbuf_init(&rw, rr, sizeof(rr));
	if (add_rr && cfg->record_route && !msg->to.tag.len &&
	    (msg->method == SIP_METHOD_INVITE ||
		msg->method == SIP_METHOD_SUBSCRIBE ||
		msg->method == SIP_METHOD_REFER)) {
		/*
		 * Double Record-Route when we change transport or address
		 * (RFC 5658): the top entry faces the callee, the second the
		 * caller and names its connection.
		 */
		if (p->p_auth &&
		    auth_dialog_token(p->p_auth, msg->call_id, tok))
			token = str_make(tok, AUTH_TOKEN_LEN);
		if (in->tp != dst->tp || !sa_eq(&in->local, out_local))
			put_rr(&rw, p, out_local, dst->tp, 0, token);
		put_rr(&rw, p, &in->local, in->tp, in->conn_id, token);
		if (rw.overflow)
			return ENOSPC;
	}
	sip_wbuf_init(&w, p->p_obuf, p->p_obuf_cap);
	err = sip_build_request(&w, msg, ruri, str_make(vw.b, vw.len),
	    client_via_params(p, &msg->via[0], in, cvp, sizeof(cvp)),
	    pop_routes, str_make(rw.b, rw.len));
	if (err)
		return err;
	return proxy_send(p, dst, w.b, w.len);
}

/* A deterministic To tag, so retransmissions get the same answer. */
static struct str
local_tag(const struct proxy *p, const struct sip_msg *msg, char *buf)
{
	uint64_t h = mix(p->p_secret[1], msg->call_id);
	struct sip_wbuf w;

	h = finalize(mix(h, msg->from.tag));
	sip_wbuf_init(&w, buf, 16);
	put_hex(&w, h, 16);
	return str_make(buf, 16);
}

int
proxy_reply(struct proxy *p, const struct sip_msg *msg,
    const struct rx_meta *in, uint16_t status, struct str phrase,
    struct str extra)
{
	const struct cfg *cfg = p->p_cfg;
	char tag[17], cvp[96];
	struct sip_wbuf w;
	struct tp_dst dst;
	struct str vp;
	int err;

	vp = msg->via[0].has_rport ?
	    client_via_params(p, &msg->via[0], in, cvp, sizeof(cvp)) :
	    STR_NULL;
	if (!vp.len && !cfg->reply_to_source)
		vp = client_via_params(p, &msg->via[0], in, cvp, sizeof(cvp));
	sip_wbuf_init(&w, p->p_obuf2, p->p_obuf_cap);
	err = sip_build_response(&w, msg, status, phrase,
	    local_tag(p, msg, tag), vp, extra,
	    str_make(cfg->server_header, strlen(cfg->server_header)), STR_NULL);
	if (err)
		return err;
	memset(&dst, 0, sizeof(dst));
	dst.tp = in->tp;
	dst.addr = in->src;
	dst.conn_id = in->conn_id;
	if (!cfg->reply_to_source && in->tp == SIP_TP_UDP &&
	    !msg->via[0].has_rport)
		/* Strict RFC 3261 18.2.2: received address, sent-by port. */
		sa_set_port(
		    &dst.addr, msg->via[0].port ? msg->via[0].port : 5060);
	metrics_response_out(status);
	if (status >= 300 && p->p_guard->fraud)
		frt_on_reply(p->p_guard->fraud, msg, txn_key(p, msg), status);
	/* A call we anchored and then refused (routing, timeouts). */
	if (status >= 300 && msg->method == SIP_METHOD_INVITE &&
	    !msg->to.tag.len && p->p_media &&
	    !media_is_confirmed(p->p_media, msg->call_id))
		(void)media_refused(p->p_media, msg);
	return proxy_send(p, &dst, w.b, w.len);
}

/* ---- the media anchor on responses ------------------------------ */

/*
 * A response whose SDP answer waits for rtpengine: a copy of its bytes
 * and how it came, so that relaying resumes where it stopped.
 */
struct rparked {
	struct rparked *next, *prev;
	struct proxy *p;
	struct rx_meta in;
	bool known;
	char *buf;
	size_t len;
};

#define RPARK_MAX 4096

static void relay_body(struct proxy *p, const struct sip_msg *rsp, bool known,
    const struct str *body);

static void
rparked_unlink(struct rparked *rp)
{
	struct proxy *p = rp->p;

	if (rp->prev)
		rp->prev->next = rp->next;
	else
		p->p_rparked = rp->next;
	if (rp->next)
		rp->next->prev = rp->prev;
	p->p_nrparked--;
}

/* rtpengine answered (or not) for a parked response. */
static void
rparked_done(int err, struct str sdp, struct str why, void *arg)
{
	struct rparked *rp = arg;
	struct proxy *p = rp->p;

	rparked_unlink(rp);
	if (err) {
		/* Not relayed: a 2xx comes again (retransmitted). */
		metrics_drop(REASON_MEDIA_ANCHOR);
		proxy_log_reject(NULL, &rp->in, "drop", REASON_MEDIA_ANCHOR, 0,
		    "response SDP not anchored");
	} else if (sip_parse(&p->p_cfg->limits, p->p_msg, rp->buf, rp->len) ==
	    0) {
		p->p_rsp_src = &rp->in.src;
		p->p_rsp_in = &rp->in;
		relay_body(p, p->p_msg, rp->known, &sdp);
		p->p_rsp_src = NULL;
		p->p_rsp_in = NULL;
	}
	free(rp->buf);
	free(rp);
}

/*
 * An answer (or a new offer's answer) in a response of an anchored
 * call goes to rtpengine first. true: parked (or dropped), the caller
 * stops here.
 */
static bool
answer_parked(struct proxy *p, const struct sip_msg *rsp, bool known)
{
	enum media_body kind = media_body_kind(rsp);
	struct rparked *rp;
	int err;

	if (!p->p_media || !p->p_rsp_in || rsp->status <= 100 ||
	    rsp->status >= 300 ||
	    (kind != MEDIA_BODY_SDP && kind != MEDIA_BODY_UNREADABLE) ||
	    (rsp->cseq.method != SIP_METHOD_INVITE &&
		rsp->cseq.method != SIP_METHOD_UPDATE) ||
	    !media_is_anchored(p->p_media, rsp->call_id))
		return false;
	/*
	 * An answer that does not prove it answers our request (the key
	 * in our Via) must neither reach rtpengine nor pass around it;
	 * nor may SDP rtpengine cannot read. Dropped: a real 2xx comes
	 * again.
	 */
	if (!known || kind == MEDIA_BODY_UNREADABLE) {
		metrics_drop(
		    known ? REASON_MEDIA_UNSUPPORTED : REASON_STRAY_RESPONSE);
		return true;
	}
	rp = p->p_nrparked < RPARK_MAX ? calloc(1, sizeof(*rp)) : NULL;
	if (rp && !(rp->buf = malloc(rsp->raw.len ? rsp->raw.len : 1))) {
		free(rp);
		rp = NULL;
	}
	if (!rp) {
		metrics_drop(REASON_OVERLOAD);
		return true;
	}
	memcpy(rp->buf, rsp->raw.s, rsp->raw.len);
	rp->len = rsp->raw.len;
	rp->p = p;
	rp->in = *p->p_rsp_in;
	rp->known = known;
	rp->next = p->p_rparked;
	if (rp->next)
		rp->next->prev = rp;
	p->p_rparked = rp;
	p->p_nrparked++;
	if ((err = media_answer(
		 p->p_media, rsp, rsp->body, rparked_done, rp)) != 0) {
		rparked_unlink(rp);
		free(rp->buf);
		free(rp);
		/* Over the anchor's cap: our overload, not rtpengine's. */
		metrics_drop(
		    err == EBUSY ? REASON_OVERLOAD : REASON_MEDIA_ANCHOR);
	}
	return true;
}

/*
 * The callee's route set from its 2xx (RFC 3261 12.1.2, seen from our
 * place in the path): the Record-Route entries above ours -- added by
 * the proxies between us and the callee -- nearest to us first. false:
 * unreadable or too long.
 */
static bool
callee_route(
    const struct proxy *p, const struct sip_msg *rsp, char *dst, size_t cap)
{
	struct str vals[16], rest, val;
	const struct sip_hdr *h;
	struct sip_addr a;
	unsigned n = 0;
	size_t len = 0;

	dst[0] = '\0';
	for (h = sip_msg_hdr(rsp, SIP_HDR_RECORD_ROUTE); h;
	     h = sip_msg_hdr_next(rsp, h)) {
		rest = h->value;
		while (sip_hdr_next_value(&rest, &val)) {
			if (sip_addr_parse(val, &a))
				return false;
			if (tp_is_local(p->p_tp, a.uri.host, a.uri.port))
				goto ours;
			if (n == 16)
				return false;
			vals[n++] = str_trim(val);
		}
	}
	return true; /* we did not record-route: no route set */
ours:
	while (n--) {
		if (len + (len ? 2 : 0) + vals[n].len >= cap) {
			dst[0] = '\0';
			return false;
		}
		if (len) {
			memcpy(dst + len, ", ", 2);
			len += 2;
		}
		memcpy(dst + len, vals[n].s, vals[n].len);
		len += vals[n].len;
		dst[len] = '\0';
	}
	return true;
}

/* Where the callee of a call is reached, from its 2xx. */
static void
callee_party(
    const struct proxy *p, const struct sip_msg *rsp, struct media_party *pt)
{
	const struct sip_hdr *h;
	struct sip_addr a;
	struct str rest, v;

	memset(pt, 0, sizeof(*pt));
	pt->tp = p->p_rsp_in->tp;
	pt->addr = p->p_rsp_in->src;
	pt->conn_id = p->p_rsp_in->conn_id;
	if ((h = sip_msg_hdr(rsp, SIP_HDR_CONTACT)) != NULL) {
		rest = h->value;
		if (sip_hdr_next_value(&rest, &v) &&
		    sip_addr_parse(v, &a) == 0 &&
		    str_copy_cstr(a.uri_raw, pt->uri, sizeof(pt->uri)))
			pt->incomplete = true;
	}
	if ((h = sip_msg_hdr(rsp, SIP_HDR_TO)) != NULL &&
	    str_copy_cstr(h->value, pt->hdr, sizeof(pt->hdr)))
		pt->incomplete = true;
	if (!callee_route(p, rsp, pt->route, sizeof(pt->route)))
		pt->incomplete = true;
}

/* After relaying "rsp": the anchored call is up, or failed. */
static void
media_after_relay(struct proxy *p, const struct sip_msg *rsp, bool known)
{
	struct media_party callee;

	/* Only a response that answers our request moves the anchor. */
	if (!known || !p->p_media || rsp->cseq.method != SIP_METHOD_INVITE ||
	    !media_is_anchored(p->p_media, rsp->call_id))
		return;
	if (rsp->status > 100 && rsp->status < 200)
		media_touch(p->p_media, rsp); /* still ringing */
	else if (rsp->status >= 200 && rsp->status < 300 && p->p_rsp_in) {
		callee_party(p, rsp, &callee);
		media_confirm(p->p_media, rsp, &callee);
	} else if (rsp->status >= 300 &&
	    !media_is_confirmed(p->p_media, rsp->call_id))
		(void)media_delete_msg(p->p_media, rsp);
}

/* Relay "rsp"; "known": it answers a request we forwarded. */
static void
relay(struct proxy *p, const struct sip_msg *rsp, bool known)
{
	if (answer_parked(p, rsp, known))
		return;
	relay_body(p, rsp, known, NULL);
}

/* Relay "rsp" with its body replaced by "*body" (NULL: kept). */
static void
relay_body(struct proxy *p, const struct sip_msg *rsp, bool known,
    const struct str *body)
{
	const struct sip_via *ours = &rsp->via[0];
	struct sip_wbuf w;
	struct tp_dst dst;
	struct str cn;
	uint64_t conn_id;
	char a[SA_STRLEN];

	if (rsp->nvia < 2) {
		metrics_drop(REASON_STRAY_RESPONSE);
		return;
	}
	if (via_dst(&rsp->via[1], &dst)) {
		metrics_drop(REASON_STRAY_RESPONSE);
		if (log_budget())
			log_printf(LOGL_INFO,
			    "cannot relay %u response: "
			    "next Via is not a numeric address",
			    rsp->status);
		return;
	}
	if (dst.tp != SIP_TP_UDP &&
	    sip_param_find(ours->params, STR("i"), &cn) &&
	    hex_parse(cn, &conn_id))
		dst.conn_id = conn_id;
	sip_wbuf_init(&w, p->p_obuf, p->p_obuf_cap);
	if (sip_build_response_relay_body(&w, rsp, body)) {
		metrics_drop(REASON_OVERLOAD);
		return;
	}
	metrics_response_out(rsp->status);
	if (known && p->p_guard->fraud) {
		uint64_t key;
		uint32_t lh;
		unsigned attempt;
		const struct txn *tx;

		/* A forked call's dialog has the caller's transaction key. */
		if (branch_parse(ours->branch, &key, &lh, &attempt)) {
			tx = txn_find(&p->p_txns, key);
			if (tx && tx->tx_parent)
				key = tx->tx_parent->tx_key;
			frt_on_response(
			    p->p_guard->fraud, rsp, key, p->p_rsp_src);
		}
	}
	if (proxy_send(p, &dst, w.b, w.len))
		log_debug(
		    "relay to %s failed", sa_fmt(&dst.addr, a, sizeof(a)));
	media_after_relay(p, rsp, known);
}

void
proxy_relay_response(struct proxy *p, const struct sip_msg *rsp)
{
	relay(p, rsp, true);
}

/* ---- requests ---------------------------------------------------- */

static bool
is_loop(const struct proxy *p, const struct sip_msg *msg, uint32_t lh)
{
	unsigned i;

	for (i = 0; i < msg->nvia; i++) {
		const struct sip_via *v = &msg->via[i];
		uint64_t k;
		uint32_t l;
		unsigned a;

		if (branch_parse(v->branch, &k, &l, &a) && l == lh &&
		    tp_is_local(p->p_tp, v->host, v->port))
			return true;
	}
	return false;
}

static void
reject(struct proxy *p, const struct sip_msg *msg, const struct rx_meta *in,
    uint16_t status, struct str phrase, enum reason r, struct str extra)
{
	proxy_log_reject(msg, in, "reject", r, status, reason_text(r));
	metrics_reject(r);
	if (msg->method != SIP_METHOD_ACK)
		proxy_reply(p, msg, in, status, phrase, extra);
}

#define MAX_OWN_ROUTES 4

/*
 * Would the SDES keys (a=crypto) of "msg" cross a hop over "tp" in the
 * clear? Anyone on the path could then decrypt the media: the media
 * policy refuses (docs/MEDIA.md). An anchored call carries rtpengine's
 * keys for the next leg, or none, so the same test covers it.
 */
static bool
keys_exposed(
    const struct proxy *p, const struct sip_msg *msg, enum sip_transport tp)
{
	enum media_body kind = media_body_kind(msg);

	return p->p_cfg->media.enabled && tp != SIP_TP_TLS &&
	    (kind == MEDIA_BODY_SDP || kind == MEDIA_BODY_UNREADABLE) &&
	    str_contains_nocase(msg->body, STR("a=crypto:"));
}

static void
refuse_keys(
    struct proxy *p, const struct sip_msg *msg, const struct rx_meta *in)
{
	if (msg->method == SIP_METHOD_INVITE && !msg->to.tag.len &&
	    !media_is_confirmed(p->p_media, msg->call_id))
		(void)media_refused(p->p_media, msg);
	reject(p, msg, in, 488, STR("Not Acceptable Here"),
	    REASON_MEDIA_KEYS_EXPOSED,
	    STR("Reason: SIP;cause=488;text=\"SDES keys would cross an "
		"unencrypted hop\"\r\n"));
}

/* May the keys of "msg" go to every upstream of the pool? */
static bool
pool_exposes_keys(const struct proxy *p, const struct sip_msg *msg)
{
	unsigned i;

	for (i = 0; i < p->p_cfg->nupstreams; i++)
		if (keys_exposed(p, msg, p->p_cfg->upstreams[i].tp))
			return true;
	return false;
}

/*
 * Walk the Route values from the top: count the leading ones that name
 * us (*npop; two when we record-routed twice, RFC 5658), note the
 * connection id an own entry carries (cn=, 0 if none), and decode the
 * first foreign one into *next. Returns 0 (*has_next tells whether a
 * foreign Route exists) or EBADMSG for an undecodable Route.
 */
static int
route_scan(const struct proxy *p, const struct sip_msg *msg, unsigned *npop,
    uint64_t *cn_id, struct sip_addr *next, bool *has_next)
{
	const struct sip_hdr *h;
	struct str rest, val, cn;

	*npop = 0;
	*cn_id = 0;
	*has_next = false;
	for (h = sip_msg_hdr(msg, SIP_HDR_ROUTE); h;
	     h = sip_msg_hdr_next(msg, h)) {
		rest = h->value;
		while (sip_hdr_next_value(&rest, &val)) {
			if (sip_addr_parse(val, next))
				return EBADMSG;
			if (*npop < MAX_OWN_ROUTES && !*has_next &&
			    tp_is_local(
				p->p_tp, next->uri.host, next->uri.port)) {
				(*npop)++;
				if (sip_param_find(
					next->uri.params, STR("cn"), &cn) &&
				    !hex_parse(cn, cn_id))
					*cn_id = 0;
				continue;
			}
			*has_next = true;
			return 0;
		}
		if (rest.s == NULL)
			return EBADMSG;
	}
	return 0;
}

/*
 * Route a request for one of our users to every registered contact:
 * the Request-URI becomes the contact, the packet goes where its
 * REGISTER came from (NAT), over that connection for TCP/TLS.
 */
static void
to_user(struct proxy *p, const struct sip_msg *msg, const struct rx_meta *in,
    uint64_t key, uint32_t lh, unsigned strip)
{
	struct fork_target t[32];
	const struct loc_aor *a = NULL;
	const struct loc_contact *c;
	char aorbuf[STORE_AOR_MAX];
	struct str user, domain;
	int64_t now = (int64_t)time(NULL);
	unsigned n = 0;

	if (registrar_aor(p->p_cfg, &msg->ruri, aorbuf, sizeof(aorbuf), &user,
		&domain) == 0)
		a = loc_find(p->p_loc, str_make(aorbuf, strlen(aorbuf)));
	for (c = a ? a->la_contacts : NULL; c && n < 32; c = c->lc_next) {
		if (c->lc_expires <= now)
			continue;
		t[n].ruri = c->lc_uri;
		t[n].dst = c->lc_dst;
		if (t[n].dst.tp != SIP_TP_UDP && t[n].dst.conn_id &&
		    !tp_conn_alive(p->p_tp, t[n].dst.conn_id))
			t[n].dst.conn_id = 0;
		n++;
	}
	if (n == 0) {
		reject(p, msg, in, 480, STR("Temporarily Unavailable"),
		    REASON_NOT_REGISTERED, STR_NULL);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		if (keys_exposed(p, msg, t[i].dst.tp)) {
			refuse_keys(p, msg, in);
			return;
		}
	if (txn_start_fork(p, msg, in, key, lh, strip, t, n))
		reject(p, msg, in, 500, STR("Server Internal Error"),
		    REASON_OVERLOAD, STR_NULL);
}

/* The Request-URI names centinela itself: an address it listens on or
 * one of its domains. */
static bool
ruri_is_self(const struct proxy *p, const struct sip_msg *msg)
{
	return tp_is_local(p->p_tp, msg->ruri.host, msg->ruri.port) ||
	    cfg_domain(p->p_cfg, msg->ruri.host) != NULL;
}

/*
 * OPTIONS to centinela itself (no user part): a qualify ping, from a
 * phone or from the PBX, answered here. handle_request tells the guard
 * (options_self) what route_request will do.
 */
static bool
options_to_self(const struct proxy *p, const struct sip_msg *msg)
{
	return msg->method == SIP_METHOD_OPTIONS && p->p_cfg->answer_options &&
	    !msg->ruri.user.len && ruri_is_self(p, msg);
}

/*
 * Out of dialog from a trusted peer (the PBX) to centinela's domain or
 * address: a call to one of its users (route_request's to_user();
 * handle_request tells the guard, media_to_user).
 */
static bool
call_to_user(
    const struct proxy *p, const struct sip_msg *msg, enum peer_role role)
{
	return p->p_loc && !msg->to.tag.len &&
	    (role == ROLE_PBX || role == ROLE_CARRIER) && ruri_is_self(p, msg);
}

static void
route_request(struct proxy *p, const struct sip_msg *msg,
    const struct rx_meta *in, enum peer_role role, uint64_t key, struct txn *tx,
    const struct acct *acct, bool reg_retrans)
{
	struct sip_addr next;
	const struct sip_uri *target = NULL;
	bool has_next = false;
	unsigned npop = 0, strip = 0;
	uint64_t cn_id = 0;
	struct tp_dst dst;
	uint32_t lh;
	char tag[17];
	int err;

	if (tx &&
	    (tx->tx_method == msg->method || msg->method == SIP_METHOD_ACK ||
		msg->method == SIP_METHOD_CANCEL)) {
		txn_on_request(tx, msg, in);
		return;
	}
	if (msg->method == SIP_METHOD_CANCEL) {
		reject(p, msg, in, 481, STR("Call/Transaction Does Not Exist"),
		    REASON_NONE, STR_NULL);
		return;
	}
	/* The ACK of a non-2xx answer we generated (401, 407, 4xx): ours. */
	if (msg->method == SIP_METHOD_ACK &&
	    str_eq(msg->to.tag, local_tag(p, msg, tag)))
		return;
	lh = loop_hash(p, msg);
	if (msg->method != SIP_METHOD_ACK && is_loop(p, msg, lh)) {
		reject(p, msg, in, 482, STR("Loop Detected"), REASON_LOOP,
		    STR_NULL);
		return;
	}

	if (route_scan(p, msg, &npop, &cn_id, &next, &has_next)) {
		reject(p, msg, in, 400, STR("Bad Route"), REASON_BAD_ROUTE,
		    STR_NULL);
		return;
	}
	if (has_next)
		target = &next.uri;
	/*
	 * An initial request whose only Routes are ours (a phone or PBX
	 * using centinela as its outbound proxy): RFC 3261 16.4, remove
	 * them and route as if there were none; they are stripped from
	 * whatever goes out ("strip").
	 */
	if (!has_next && npop && !msg->to.tag.len &&
	    msg->method != SIP_METHOD_ACK) {
		strip = npop;
		npop = 0;
	}

	if (!target && msg->method == SIP_METHOD_REGISTER && p->p_loc) {
		registrar_handle(p, msg, in, key, acct, reg_retrans);
		return;
	}
	if (!target && !npop && options_to_self(p, msg)) {
		proxy_reply(p, msg, in, 200, STR("OK"),
		    STR("Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, "
			"PRACK, SUBSCRIBE, NOTIFY, PUBLISH, INFO, REFER, "
			"MESSAGE, "
			"UPDATE\r\nAccept: application/sdp\r\n"));
		return;
	}

	if (!target && !npop && msg->method != SIP_METHOD_ACK &&
	    call_to_user(p, msg, role)) {
		to_user(p, msg, in, key, lh, strip);
		return;
	}
	if (!target &&
	    (npop ||
		((role == ROLE_PBX || role == ROLE_CARRIER) &&
		    !tp_is_local(p->p_tp, msg->ruri.host, msg->ruri.port))))
		target = &msg->ruri;

	if (target) {
		err = uri_dst(target, &dst);
		if (err) {
			reject(p, msg, in, err == EPROTONOSUPPORT ? 416 : 502,
			    err == EPROTONOSUPPORT ?
				STR("Unsupported URI Scheme") :
				STR("Bad Gateway"),
			    REASON_BAD_ROUTE, STR_NULL);
			return;
		}
		/* A dialog we record-routed over a stream: the Route we
		 * put there names the caller's connection. */
		if (cn_id && dst.tp != SIP_TP_UDP && cn_id != in->conn_id &&
		    tp_conn_alive(p->p_tp, cn_id))
			dst.conn_id = cn_id;
		if (keys_exposed(p, msg, dst.tp)) {
			refuse_keys(p, msg, in);
			return;
		}
		if (proxy_forward(p, msg, in, &dst, STR_NULL, key, lh, 0,
			npop + strip, true))
			reject(p, msg, in, 503, STR("Service Unavailable"),
			    REASON_UNSUPPORTED_TRANSPORT, STR_NULL);
		return;
	}

	if (msg->method == SIP_METHOD_ACK || msg->to.tag.len) {
		/*
		 * An ACK we hold no transaction for, or a request inside a
		 * dialog that did not come back through our Record-Route:
		 * stateless. Failing over an in-dialog request to another
		 * upstream could not help (the dialog lives on one), so it
		 * gets no client transaction.
		 */
		int u = upstream_pick(&p->p_pool, 0, str_hash(msg->call_id));

		if (u < 0) {
			if (msg->method == SIP_METHOD_ACK)
				metrics_drop(REASON_NO_UPSTREAM);
			else
				reject(p, msg, in, 503,
				    STR("Service Unavailable"),
				    REASON_NO_UPSTREAM,
				    STR("Retry-After: 30\r\n"));
			return;
		}
		upstream_dst(&p->p_pool.up[u], &dst);
		if (keys_exposed(p, msg, dst.tp)) {
			refuse_keys(p, msg, in);
			return;
		}
		proxy_forward(p, msg, in, &dst, STR_NULL, key, lh, 0, 0, false);
		return;
	}
	if (pool_exposes_keys(p, msg)) {
		refuse_keys(p, msg, in);
		return;
	}
	err = txn_start(p, msg, in, key, lh, strip);
	if (err == ENOENT)
		reject(p, msg, in, 503, STR("Service Unavailable"),
		    REASON_NO_UPSTREAM, STR("Retry-After: 30\r\n"));
	else if (err)
		reject(p, msg, in, 500, STR("Server Internal Error"),
		    REASON_OVERLOAD, STR_NULL);
}

/*
 * Does an in-dialog request carry one of our Record-Route entries with
 * a valid dialog token (we accepted the dialog's initial request)?
 */
static bool
dialog_token_ok(const struct proxy *p, const struct sip_msg *msg)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_ROUTE);
	struct sip_addr a;
	struct str rest, val, tok;

	for (; h; h = sip_msg_hdr_next(msg, h)) {
		rest = h->value;
		while (sip_hdr_next_value(&rest, &val)) {
			if (sip_addr_parse(val, &a) ||
			    !tp_is_local(p->p_tp, a.uri.host, a.uri.port))
				return false;
			if (sip_param_find(a.uri.params, STR("ad"), &tok) &&
			    auth_dialog_token_ok(p->p_auth, msg->call_id, tok))
				return true;
		}
	}
	return false;
}

/*
 * A request waiting for its DNSBL verdict: a copy of its bytes, where
 * it came from, and where the guard chain resumes.
 */
struct parked {
	struct parked *next, *prev;
	struct proxy *p;
	struct rx_meta in;
	unsigned resume_at;
	char *buf;
	size_t len;
	/* The answer the wait brought, for the resumed guard. */
	bool dnsbl_have, robinson_have;
	struct dnsbl_verdict dnsbl_v;
	enum cid_robinson robinson_v;
	/* The changes earlier guards made (guard_ctx.edit_*). */
	uint64_t edit_drop;
	size_t edit_len;
	char *edit_add;
	/* A call the fraud guard counted before a later guard parked. */
	struct fraud_callref *fraud_ref;
	unsigned fraud_dclass;
	/* rtpengine's answer to the media guard's offer. */
	bool media_have;
	int media_err;
	char *media_sdp;
	size_t media_len;
	char media_why[64];
	size_t media_why_len;
};

#define PARK_MAX 4096 /* requests waiting at once; then fail open/closed */

static void handle_request(struct proxy *p, const struct sip_msg *msg,
    const struct rx_meta *in, const struct parked *resume);

static void
unpark(struct parked *pk)
{
	struct proxy *p = pk->p;

	if (pk->prev)
		pk->prev->next = pk->next;
	else
		p->p_parked = pk->next;
	if (pk->next)
		pk->next->prev = pk->prev;
	p->p_nparked--;
}

/* The wait ended: parse the copy again and resume the chain. */
static void
parked_run(struct parked *pk)
{
	struct proxy *p = pk->p;

	unpark(pk);
	if (sip_parse(&p->p_cfg->limits, p->p_msg, pk->buf, pk->len) == 0) {
		p->p_rx_buf = pk->buf;
		p->p_rx_len = pk->len;
		handle_request(p, p->p_msg, &pk->in, pk);
	} else if (pk->fraud_ref)
		frt_call_undo(p->p_guard->fraud, pk->fraud_ref);
	free(pk->media_sdp);
	free(pk->edit_add);
	free(pk->buf);
	free(pk);
}

/* rtpengine answered the media guard's offer (or gave up). */
static void
parked_media(int err, struct str sdp, struct str why, void *arg)
{
	struct parked *pk = arg;

	pk->media_have = true;
	pk->media_err = err;
	pk->media_why_len =
	    why.len < sizeof(pk->media_why) ? why.len : sizeof(pk->media_why);
	if (pk->media_why_len)
		memcpy(pk->media_why, why.s, pk->media_why_len);
	if (!err && !(pk->media_sdp = malloc(sdp.len ? sdp.len : 1)))
		pk->media_err = ENOMEM;
	else if (!err) {
		memcpy(pk->media_sdp, sdp.s, sdp.len);
		pk->media_len = sdp.len;
	}
	parked_run(pk); /* the loop's before-sleep hook flushes */
}

/* The DNSBL verdict arrived. */
static void
parked_done(const struct dnsbl_verdict *v, void *arg)
{
	struct parked *pk = arg;

	pk->dnsbl_have = true;
	pk->dnsbl_v = *v;
	parked_run(pk);
}

/* The Lista Robinson answer arrived. */
static void
parked_robinson(enum cid_robinson out, void *arg)
{
	struct parked *pk = arg;

	pk->robinson_have = true;
	pk->robinson_v = out;
	parked_run(pk);
}

/* A wait without a payload ended (STIR): run the chain again. */
static void
parked_resume(void *arg)
{
	parked_run(arg);
}

/*
 * Keep the request and what the guards changed so far until the wait
 * ends. false: out of memory.
 */
static bool
park(struct proxy *p, const struct rx_meta *in, const struct guard_ctx *gx)
{
	struct parked *pk = p->p_spare;

	pk->edit_add = NULL;
	if (gx->edit_len && !(pk->edit_add = malloc(gx->edit_len)))
		return false;
	if (!(pk->buf = malloc(p->p_rx_len ? p->p_rx_len : 1))) {
		free(pk->edit_add);
		pk->edit_add = NULL;
		return false;
	}
	memcpy(pk->buf, p->p_rx_buf, p->p_rx_len);
	if (gx->edit_len)
		memcpy(pk->edit_add, gx->edit_add, gx->edit_len);
	pk->edit_len = gx->edit_len;
	pk->edit_drop = gx->edit_drop;
	pk->len = p->p_rx_len;
	pk->p = p;
	pk->in = *in;
	pk->resume_at = gx->resume_at;
	pk->dnsbl_have = pk->robinson_have = false;
	pk->fraud_ref = gx->fraud_ref;
	pk->fraud_dclass = gx->fraud_dclass;
	pk->media_have = false;
	pk->media_sdp = NULL;
	pk->media_len = pk->media_why_len = 0;
	pk->prev = NULL;
	pk->next = p->p_parked;
	if (pk->next)
		pk->next->prev = pk;
	p->p_parked = pk;
	p->p_nparked++;
	p->p_spare = NULL;
	return true;
}

/*
 * The request as the guards changed it (caller-ID marks, identity
 * headers), parsed again so that routing and the transaction see the
 * new bytes. NULL when it does not fit or does not parse.
 */
static const struct sip_msg *
edited(struct proxy *p, const struct sip_msg *msg, const struct guard_ctx *gx)
{
	struct sip_wbuf w;

	struct sip_limits lim = p->p_cfg->limits;

	/* The original fitted the limits; what the guards add may not. */
	lim.max_msg_size = p->p_obuf_cap;
	lim.max_headers += 8;
	sip_wbuf_init(&w, p->p_ebuf, p->p_obuf_cap - 1024);
	if (sip_build_edit_body(&w, msg, gx->edit_drop,
		str_make(gx->edit_add, gx->edit_len),
		gx->edit_body_set ? &gx->edit_body : NULL) ||
	    sip_parse(&lim, p->p_emsg, w.b, w.len)) {
		log_printf(LOGL_ERROR,
		    "proxy: the changed request does not fit or parse; "
		    "answered 500");
		return NULL;
	}
	return p->p_emsg;
}

static void
handle_request(struct proxy *p, const struct sip_msg *msg,
    const struct rx_meta *in, const struct parked *resume)
{
	struct guard_ctx gx;
	struct guard_result res;
	enum guard_vd vd;
	const struct cfg_peer *peer = cfg_peer_find(p->p_cfg, &in->src);
	enum peer_role role = peer ? peer->role : ROLE_PUBLIC;
	uint64_t key = txn_key(p, msg);
	struct txn *tx = txn_find(&p->p_txns, key);
	bool reg_retrans = false;

	if (!resume)
		metrics_request(msg->method);
	if (p->p_cfg->guard.answer_403 &&
	    !guard_admit(p->p_guard, &in->src, role, false, -1, &res.reason)) {
		/* Banned, and configured to say so (see on_gate). */
		if (msg->method != SIP_METHOD_ACK)
			proxy_reply(
			    p, msg, in, 403, STR("Forbidden"), STR_NULL);
		metrics_reject(res.reason);
		return;
	}
	memset(&gx, 0, sizeof(gx));
	gx.cfg = p->p_cfg;
	gx.env = p->p_guard;
	gx.src = &in->src;
	gx.tp = in->tp;
	gx.tp_name = sip_transport_lc(in->tp);
	gx.tls_peer = tp_conn_tls(p->p_tp, in->conn_id);
	gx.role = role;
	gx.peer = peer;
	gx.auth = p->p_auth;
	gx.auth_res = &p->p_auth_res;
	gx.in_txn = tx &&
	    (tx->tx_method == msg->method || msg->method == SIP_METHOD_ACK ||
		msg->method == SIP_METHOD_CANCEL);
	if (!gx.in_txn && msg->method == SIP_METHOD_REGISTER &&
	    in->tp == SIP_TP_UDP && registrar_seen(p, key, msg, in))
		gx.in_txn = reg_retrans = true;
	if (role == ROLE_PUBLIC && msg->to.tag.len && p->p_auth)
		gx.dialog_ok = dialog_token_ok(p, msg);
	if (resume) {
		gx.resume_at = resume->resume_at;
		gx.dnsbl_have = resume->dnsbl_have;
		gx.dnsbl_v = resume->dnsbl_v;
		gx.robinson_have = resume->robinson_have;
		gx.robinson_v = resume->robinson_v;
		gx.edit_drop = resume->edit_drop;
		gx.edit_len = resume->edit_len;
		if (gx.edit_len)
			memcpy(gx.edit_add, resume->edit_add, gx.edit_len);
		gx.fraud_ref = resume->fraud_ref;
		gx.fraud_dclass = resume->fraud_dclass;
		gx.media_have = resume->media_have;
		gx.media_err = resume->media_err;
		gx.media_sdp = str_make(resume->media_sdp, resume->media_len);
		gx.media_why =
		    str_make(resume->media_why, resume->media_why_len);
	}
	gx.media = p->p_media;
	gx.media_conn_id = in->conn_id;
	gx.media_to_user = call_to_user(p, msg, role);
	if ((guard_may_park(p->p_guard) || p->p_media) &&
	    p->p_nparked < PARK_MAX &&
	    (p->p_spare || (p->p_spare = calloc(1, sizeof(*p->p_spare))))) {
		gx.park_done = parked_done;
		gx.park_resume = parked_resume;
		gx.park_robinson = parked_robinson;
		gx.park_media = parked_media;
		gx.park = p->p_spare;
	}
	gx.options_self = options_to_self(p, msg) && !msg->to.tag.len &&
	    !sip_msg_hdr(msg, SIP_HDR_ROUTE);
	vd = guard_chain_run(&gx, msg, &res);
	if (vd != GUARD_CONTINUE && res.guard == guard_sanity.name)
		guard_malformed(p->p_guard, &in->src);
	switch (vd) {
	case GUARD_CONTINUE:
		if ((gx.edit_drop || gx.edit_len || gx.edit_body_set) &&
		    !(msg = edited(p, msg, &gx))) {
			if (gx.fraud_ref)
				frt_call_undo(p->p_guard->fraud, gx.fraud_ref);
			if (gx.edit_body_set &&
			    !media_is_confirmed(p->p_media, p->p_msg->call_id))
				(void)media_refused(p->p_media, p->p_msg);
			reject(p, p->p_msg, in, 500,
			    STR("Server Internal Error"), REASON_OVERLOAD,
			    STR_NULL);
			return;
		}
		/* A call the fraud rules counted: follow its dialog. */
		if (gx.fraud_ref &&
		    frt_dialog_start(p->p_guard->fraud, msg, key, &in->src,
			gx.fraud_ref, gx.fraud_dclass)) {
			reject(p, msg, in, 503, STR("Service Unavailable"),
			    REASON_OVERLOAD, STR("Retry-After: 10\r\n"));
			return;
		}
		if (p->p_guard->fraud && msg->method == SIP_METHOD_BYE)
			frt_on_request(p->p_guard->fraud, msg, key, &in->src);
		/* The call ends: rtpengine lets its ports go. */
		if (msg->method == SIP_METHOD_BYE)
			(void)media_delete_msg(p->p_media, msg);
		route_request(p, msg, in, role, key, tx, gx.acct, reg_retrans);
		return;
	case GUARD_REPLY:
		/* A guard after fraud refused a call fraud counted. */
		if (gx.fraud_ref)
			frt_call_undo(p->p_guard->fraud, gx.fraud_ref);
		if (res.status == 401 || res.status == 407) {
			/* A challenge: the auth event has logged it. */
			metrics_reject(res.reason);
			proxy_reply(
			    p, msg, in, res.status, res.phrase, res.extra);
			return;
		}
		reject(
		    p, msg, in, res.status, res.phrase, res.reason, res.extra);
		return;
	case GUARD_PENDING:
		if (park(p, in, &gx))
			return;
		/* Out of memory: the lookup's answer finds nothing parked. */
		guard_cancel(p->p_guard, p->p_spare);
		media_cancel(p->p_media, p->p_spare);
		res.reason = REASON_OVERLOAD;
		/* fall through */
	case GUARD_DROP:
		if (gx.fraud_ref)
			frt_call_undo(p->p_guard->fraud, gx.fraud_ref);
		proxy_log_reject(msg, in, "drop", res.reason, 0, res.guard);
		metrics_drop(res.reason);
		return;
	}
}

static void
route_response(struct proxy *p, const struct sip_msg *msg,
    const struct rx_meta *in, const struct sip_via *v)
{
	uint64_t key;
	uint32_t lh;
	unsigned attempt;
	struct txn *tx;

	if (!tp_is_local(p->p_tp, v->host, v->port)) {
		proxy_log_reject(msg, in, "drop", REASON_STRAY_RESPONSE, 0,
		    "top Via is not ours");
		metrics_drop(REASON_STRAY_RESPONSE);
		return;
	}
	if (str_has_prefix(v->branch, STR(PROBE_PREFIX))) {
		upstream_probe_response(&p->p_pool, v->branch, msg->status);
		return;
	}
	if (str_has_prefix(v->branch, STR(NATPING_PREFIX)))
		return; /* a NATed contact answered our keep-alive */
	if (str_has_prefix(v->branch, STR(MEDIABYE_PREFIX)))
		return; /* a party answered our media-timeout BYE */
	if (!branch_parse(v->branch, &key, &lh, &attempt)) {
		proxy_log_reject(msg, in, "drop", REASON_STRAY_RESPONSE, 0,
		    "branch is not ours");
		metrics_drop(REASON_STRAY_RESPONSE);
		return;
	}
	tx = txn_find(&p->p_txns, key);
	if (!tx) {
		/* Stateless (in-dialog) or late: the key proves it ours. */
		relay(p, msg, rsp_key_ok(p, msg, key));
		return;
	}
	/* The answer to a CANCEL we sent: we already said 200 ourselves. */
	if (msg->cseq.method == SIP_METHOD_CANCEL &&
	    tx->tx_method != SIP_METHOD_CANCEL)
		return;
	/* The answer to an ACK cannot exist; to an INVITE retransmitted
	 * in a completed transaction the upstream re-sends its final. */
	txn_on_response(tx, msg, attempt, in);
}

/* Where the response being handled came from (the fraud hooks). */
static void
handle_response(
    struct proxy *p, const struct sip_msg *msg, const struct rx_meta *in)
{
	metrics_response_in(msg->status);
	p->p_rsp_src = &in->src;
	p->p_rsp_in = in;
	route_response(p, msg, in, &msg->via[0]);
	p->p_rsp_src = NULL;
	p->p_rsp_in = NULL;
}

static void
on_rx(struct tp_rx *rx, void *arg)
{
	struct proxy *p = arg;
	struct sip_msg *msg = p->p_msg;
	struct rx_meta in;
	int err;

	in.tp = rx->tp;
	in.src = rx->src;
	in.local = rx->local;
	in.conn_id = rx->conn_id;
	if (rx->tp != SIP_TP_UDP) {
		/* Datagrams passed on_gate; stream messages are counted here. */
		enum reason why;

		if (!guard_admit(p->p_guard, &rx->src,
			cfg_peer_role(p->p_cfg, &rx->src), true, -1, &why) &&
		    !(why == REASON_BANNED && p->p_cfg->guard.answer_403)) {
			metrics_drop(why);
			return;
		}
	}
	err = sip_parse(&p->p_cfg->limits, msg, rx->buf, rx->len);
	if (err) {
		enum reason r =
		    err == EMSGSIZE ? REASON_MSG_TOO_BIG : REASON_PARSE_ERROR;

		guard_malformed(p->p_guard, &rx->src);
		metrics_parse_error();
		metrics_drop(r);
		proxy_log_reject(NULL, &in, "drop", r, 0,
		    err == EMSGSIZE ? "message exceeds a parser limit" :
				      "malformed message");
		return;
	}
	p->p_rx_buf = rx->buf;
	p->p_rx_len = rx->len;
	if (msg->is_request)
		handle_request(p, msg, &in, NULL);
	else
		handle_response(p, msg, &in);
}

static void
on_scan(const struct sa *src, size_t n, bool *banned, void *arg)
{
	struct proxy *p = arg;

	guard_scan(p->p_guard, src, n, banned);
}

static bool
on_gate(const struct sa *src, enum sip_transport tp, int banned, void *arg)
{
	struct proxy *p = arg;
	struct rx_meta in;
	enum reason why;

	if (!gate_denied(p->p_gate, src)) {
		/* Datagrams: banset and flood; connections: banset only. */
		if (guard_admit(p->p_guard, src, cfg_peer_role(p->p_cfg, src),
			tp == SIP_TP_UDP, banned, &why) ||
		    (why == REASON_BANNED && p->p_cfg->guard.answer_403))
			return true;
		metrics_drop(why);
		return false;
	}
	memset(&in, 0, sizeof(in));
	in.tp = tp;
	in.src = *src;
	metrics_drop(REASON_DENY_LIST);
	proxy_log_reject(NULL, &in, "drop", REASON_DENY_LIST, 0,
	    "source denied before parsing");
	return false;
}

static void
before_sleep(void *arg)
{
	struct proxy *p = arg;

	tp_flush(p->p_tp);
}

/*
 * A BYE from us to party "to" of a call whose media stopped, in the
 * name of party "from" (RFC 3261 15.1.1 as a UA would; we
 * record-routed the dialog, so both parties take our BYE).
 */
static void
media_bye(struct proxy *p, struct str call_id, const struct media_party *to,
    const struct media_party *from)
{
	const struct sa *local;
	struct sip_wbuf w;
	struct tp_dst dst;

	/* The anchor counted and logged a party it could not keep. */
	if (!to->uri[0] || !to->hdr[0] || !from->hdr[0] || to->incomplete)
		return;
	local = tp_local(p->p_tp, to->tp, sa_family(&to->addr));
	if (!local && to->tp == SIP_TP_TLS)
		local = tp_local(p->p_tp, SIP_TP_TCP, sa_family(&to->addr));
	if (!local) {
		log_printf(LOGL_WARN,
		    "media: no media-timeout BYE for %.*s: no local %s "
		    "socket",
		    STR_FMT(call_id), sip_transport_lc(to->tp));
		return;
	}
	sip_wbuf_init(&w, p->p_obuf2, p->p_obuf_cap);
	sip_wbuf_put(&w, STR("BYE "));
	put_cstr(&w, to->uri);
	sip_wbuf_put(&w, STR(" SIP/2.0\r\nVia: SIP/2.0/"));
	sip_wbuf_put(&w, sip_transport_name(to->tp));
	sip_wbuf_putc(&w, ' ');
	put_hostport(&w, p, local);
	sip_wbuf_put(&w, STR(";branch=" MEDIABYE_PREFIX));
	put_hex(&w, finalize(mix_u64(p->p_secret[0], ++p->p_bye_seq)), 16);
	if (to->tp == SIP_TP_UDP)
		sip_wbuf_put(&w, STR(";rport"));
	sip_wbuf_put(&w, STR("\r\nMax-Forwards: 70\r\n"));
	if (to->route[0]) {
		/* The proxies between us and the party (RFC 3261 12.2.1.1). */
		sip_wbuf_put(&w, STR("Route: "));
		put_cstr(&w, to->route);
		sip_wbuf_put(&w, STR("\r\n"));
	}
	sip_wbuf_put(&w, STR("From: "));
	put_cstr(&w, from->hdr);
	sip_wbuf_put(&w, STR("\r\nTo: "));
	put_cstr(&w, to->hdr);
	sip_wbuf_put(&w, STR("\r\nCall-ID: "));
	sip_wbuf_put(&w, call_id);
	sip_wbuf_put(&w, STR("\r\nCSeq: "));
	sip_wbuf_putu(&w, (uint64_t)from->cseq + 1);
	sip_wbuf_put(&w,
	    STR(" BYE\r\nReason: SIP;cause=408;text=\"media timeout\"\r\n"
		"Content-Length: 0\r\n\r\n"));
	if (w.overflow) {
		log_printf(LOGL_WARN,
		    "media: no media-timeout BYE for %.*s: it does not fit",
		    STR_FMT(call_id));
		return;
	}
	memset(&dst, 0, sizeof(dst));
	dst.tp = to->tp;
	dst.addr = to->addr;
	dst.conn_id =
	    to->tp != SIP_TP_UDP && tp_conn_alive(p->p_tp, to->conn_id) ?
	    to->conn_id :
	    0;
	proxy_send(p, &dst, w.b, w.len);
}

/* The media anchor found a call without media: end it both ways. */
static void
on_media_end(const struct media_end *e, void *arg)
{
	struct proxy *p = arg;
	struct rx_meta in;

	memset(&in, 0, sizeof(in));
	in.tp = e->caller->tp;
	in.src = e->caller->addr;
	proxy_log_reject(NULL, &in, "media_timeout", REASON_MEDIA_TIMEOUT, 0,
	    "call ended: its media stopped");
	metrics_drop(REASON_MEDIA_TIMEOUT);
	media_bye(p, e->call_id, e->callee, e->caller);
	media_bye(p, e->call_id, e->caller, e->callee);
}

int
proxy_alloc(struct proxy **pp, struct loop *l, const struct cfg *cfg)
{
	struct proxy *p;
	int err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return ENOMEM;
	p->p_loop = l;
	p->p_cfg = cfg;
	if (getrandom(p->p_secret, sizeof(p->p_secret), 0) !=
		sizeof(p->p_secret) ||
	    getrandom(p->p_fpkey, sizeof(p->p_fpkey), 0) !=
		sizeof(p->p_fpkey)) {
		err = errno ? errno : EIO;
		goto out;
	}
	p->p_obuf_cap = cfg->limits.max_msg_size + 4096;
	p->p_msg = malloc(sizeof(*p->p_msg));
	p->p_msg2 = malloc(sizeof(*p->p_msg2));
	p->p_msg3 = malloc(sizeof(*p->p_msg3));
	p->p_obuf = malloc(p->p_obuf_cap);
	p->p_obuf2 = malloc(p->p_obuf_cap);
	p->p_emsg = malloc(sizeof(*p->p_emsg));
	p->p_ebuf = malloc(p->p_obuf_cap);
	if (!p->p_msg || !p->p_msg2 || !p->p_msg3 || !p->p_obuf ||
	    !p->p_obuf2 || !p->p_emsg || !p->p_ebuf) {
		err = ENOMEM;
		goto out;
	}
	if ((err = gate_alloc(&p->p_gate, cfg)) ||
	    (err = guard_env_alloc(&p->p_guard, l, cfg)))
		goto out;
	p->p_regbuf = malloc(REG_BUF);
	if (!p->p_regbuf) {
		err = ENOMEM;
		goto out;
	}
	if ((err = auth_alloc(&p->p_auth, l, cfg)))
		goto out;
	if ((err = registrar_init(p)))
		goto out;
	if ((err = txn_table_init(&p->p_txns, 65536)))
		goto out;
	if ((err = tp_alloc(&p->p_tp, l, cfg, on_rx, on_gate, on_scan, p)))
		goto out;
	if ((err = media_alloc(&p->p_media, l, cfg, on_media_end, p)))
		goto out;
	upstream_init(&p->p_pool, p);
	loop_set_before_sleep(l, before_sleep, p);
out:
	if (err)
		proxy_free(p);
	else
		*pp = p;
	return err;
}

void
proxy_free(struct proxy *p)
{
	if (!p)
		return;
	/* First: its pending commands point at parked requests. */
	media_free(p->p_media);
	while (p->p_rparked) {
		struct rparked *rp = p->p_rparked;

		p->p_rparked = rp->next;
		free(rp->buf);
		free(rp);
	}
	if (p->p_tp)
		upstream_fini(&p->p_pool, p->p_loop);
	txn_table_fini(&p->p_txns, p->p_loop);
	registrar_fini(p);
	auth_free(p->p_auth);
	free(p->p_regbuf);
	tp_free(p->p_tp);
	gate_free(p->p_gate);
	guard_env_free(p->p_guard); /* drops the DNSBL callbacks */
	while (p->p_parked) {
		struct parked *pk = p->p_parked;

		p->p_parked = pk->next;
		free(pk->media_sdp);
		free(pk->edit_add);
		free(pk->buf);
		free(pk);
	}
	free(p->p_spare);
	free(p->p_msg);
	free(p->p_msg2);
	free(p->p_msg3);
	free(p->p_emsg);
	free(p->p_ebuf);
	free(p->p_obuf);
	free(p->p_obuf2);
	free(p);
}

struct cid *
proxy_cid(const struct proxy *p)
{
	return p->p_guard ? p->p_guard->cid : NULL;
}

struct ban *
proxy_ban(const struct proxy *p)
{
	return p->p_guard ? p->p_guard->ban : NULL;
}

void
proxy_reload(struct proxy *p)
{
	guard_reload_signatures(p->p_guard);
	tp_tls_reload(p->p_tp);
}

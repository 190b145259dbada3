/*
 * route/registrar.c -- REGISTER (RFC 3261 section 10, RFC 3327 Path,
 * RFC 5626 instance/reg-id): bindings in the location table, NAT-aware
 * (the source a REGISTER came from is where requests for the contact
 * go), contact limits per account, and a short memory of answered
 * REGISTERs so that a UDP retransmission is answered again instead of
 * being taken for a replay.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/metrics.h"
#include "core/event.h"
#include "core/log.h"
#include "core/siphash.h"
#include "route/route_int.h"

#define RECENT_SLOTS (1u << 18) /* answered UDP REGISTERs, 32 s each */
#define RECENT_PROBE 16
#define RECENT_SECS 32 /* 64*T1: timer F of the client */
#define MAX_REG_CONTACTS 32 /* Contact values in one REGISTER */

struct recent {
	uint64_t key;
	uint64_t fp; /* keyed digest of the source and the exact bytes */
	uint32_t until; /* monotonic seconds */
};

/*
 * A retransmission is the same bytes from the same address and port.
 * The transaction key alone is not enough: it covers only what a
 * client chooses freely (branch, Call-ID, CSeq, From tag), so a forged
 * REGISTER with a remembered key could otherwise pass as one.
 */
static uint64_t
fingerprint(
    const struct proxy *p, const struct sip_msg *msg, const struct rx_meta *in)
{
	unsigned char b[sizeof(uint64_t) + sizeof(in->src.u)];
	uint64_t h = siphash24(p->p_fpkey, msg->raw.s, msg->raw.len);

	/* SipHash under a key of its own: H(H(bytes) | source). */
	memcpy(b, &h, sizeof(h));
	memcpy(b + sizeof(h), &in->src.u, in->src.len);
	h = siphash24(p->p_fpkey, b, sizeof(h) + in->src.len);
	return h ? h : 1; /* 0 marks an empty slot */
}

static uint32_t
mono_sec(const struct proxy *p)
{
	return (uint32_t)(loop_now(p->p_loop) / 1000);
}

bool
registrar_seen(struct proxy *p, uint64_t key, const struct sip_msg *msg,
    const struct rx_meta *in)
{
	uint32_t now = mono_sec(p), i;
	uint64_t fp;

	if (!p->p_recent)
		return false;
	for (i = 0; i < RECENT_PROBE; i++) {
		const struct recent *r =
		    &p->p_recent[(key + i) & (RECENT_SLOTS - 1)];

		if (r->key != key || r->until <= now)
			continue;
		fp = fingerprint(p, msg, in);
		return fp != 0 && r->fp == fp;
	}
	return false;
}

static void
recent_add(struct proxy *p, uint64_t key, const struct sip_msg *msg,
    const struct rx_meta *in)
{
	uint32_t now = mono_sec(p), i, oldest = 0;
	struct recent *r, *victim = NULL;

	if (!p->p_recent)
		return;
	for (i = 0; i < RECENT_PROBE; i++) {
		r = &p->p_recent[(key + i) & (RECENT_SLOTS - 1)];
		if (r->key == key || r->until <= now) {
			victim = r;
			break;
		}
		if (!victim || r->until < oldest) {
			victim = r;
			oldest = r->until;
		}
	}
	victim->key = key;
	victim->fp = fingerprint(p, msg, in);
	victim->until = victim->fp ? now + RECENT_SECS : 0;
}

static void
gauges(const struct proxy *p)
{
	metrics_gauge_set(MG_AORS, loc_aor_count(p->p_loc));
	metrics_gauge_set(MG_CONTACTS, loc_count(p->p_loc));
}

static void
expire_fire(void *arg)
{
	struct proxy *p = arg;

	if (loc_expire(p->p_loc, (int64_t)time(NULL)))
		gauges(p);
	loop_timer_start(p->p_loop, &p->p_reg_timer, 1000, expire_fire, p);
}

/*
 * Keep NAT bindings open: an OPTIONS to every UDP contact, sent where
 * its REGISTER came from. The answers are consumed by the proxy
 * (branch prefix NATPING_PREFIX); a contact that never answers simply
 * expires with its registration.
 */
static void
ping_one(const struct loc_aor *a, const struct loc_contact *c, void *arg)
{
	struct proxy *p = arg;
	const struct sa *local;
	struct sip_wbuf w;
	char buf[SA_STRLEN];
	struct str hp;

	(void)a;
	if (c->lc_dst.tp != SIP_TP_UDP)
		return;
	local = tp_local(p->p_tp, SIP_TP_UDP, sa_family(&c->lc_dst.addr));
	if (!local)
		return;
	sa_fmt(local, buf, sizeof(buf));
	hp = str_make(buf, strlen(buf));
	p->p_ping_seq++;
	sip_wbuf_init(&w, p->p_obuf2, p->p_obuf_cap);
	sip_wbuf_put(&w, STR("OPTIONS "));
	sip_wbuf_put(&w, c->lc_uri);
	sip_wbuf_put(&w, STR(" SIP/2.0\r\nVia: SIP/2.0/UDP "));
	sip_wbuf_put(&w, hp);
	sip_wbuf_put(&w, STR(";branch=" NATPING_PREFIX));
	sip_wbuf_putu(&w, p->p_ping_seq);
	sip_wbuf_put(&w, STR(";rport\r\nMax-Forwards: 70\r\nFrom: <sip:ping@"));
	sip_wbuf_put(&w, hp);
	sip_wbuf_put(&w, STR(">;tag=nat"));
	sip_wbuf_putu(&w, p->p_ping_seq);
	sip_wbuf_put(&w, STR("\r\nTo: <"));
	sip_wbuf_put(&w, c->lc_uri);
	sip_wbuf_put(&w, STR(">\r\nCall-ID: natping-"));
	sip_wbuf_putu(&w, p->p_ping_seq);
	sip_wbuf_put(
	    &w, STR("\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"));
	if (!w.overflow)
		proxy_send(p, &c->lc_dst, w.b, w.len);
}

static void
ping_fire(void *arg)
{
	struct proxy *p = arg;

	loc_each(p->p_loc, ping_one, p);
	tp_flush(p->p_tp);
	loop_timer_start(p->p_loop, &p->p_ping_timer,
	    (uint64_t)p->p_cfg->reg_nat_ping * 1000, ping_fire, p);
}

int
registrar_init(struct proxy *p)
{
	int rc;

	if (!p->p_cfg->registrar_local)
		return 0;
	rc = loc_alloc(&p->p_loc, p->p_loop, p->p_cfg->store_uri);
	if (rc)
		return rc;
	gauges(p);
	p->p_recent = calloc(RECENT_SLOTS, sizeof(*p->p_recent));
	if (!p->p_recent)
		return ENOMEM;
	if (p->p_cfg->reg_nat_ping &&
	    (rc = loop_timer_start(p->p_loop, &p->p_ping_timer,
		 (uint64_t)p->p_cfg->reg_nat_ping * 1000, ping_fire, p)))
		return rc;
	return loop_timer_start(
	    p->p_loop, &p->p_reg_timer, 1000, expire_fire, p);
}

void
registrar_fini(struct proxy *p)
{
	loop_timer_cancel(p->p_loop, &p->p_reg_timer);
	loop_timer_cancel(p->p_loop, &p->p_ping_timer);
	loc_free(p->p_loc);
	p->p_loc = NULL;
	free(p->p_recent);
	p->p_recent = NULL;
}

/* "user@domain" of a To / Request-URI, domain mapped to ours. */
int
registrar_aor(const struct cfg *cfg, const struct sip_uri *u, char *buf,
    size_t cap, struct str *user, struct str *domain)
{
	const char *d = cfg_realm(cfg, u->host);
	size_t dlen = strlen(d);

	if (!u->user.len || u->user.len >= STORE_USER_MAX ||
	    u->user.len + 1 + dlen >= cap)
		return EINVAL;
	memcpy(buf, u->user.s, u->user.len);
	buf[u->user.len] = '@';
	memcpy(buf + u->user.len + 1, d, dlen + 1);
	*user = str_make(buf, u->user.len);
	*domain = str_make(buf + u->user.len + 1, dlen);
	return 0;
}

static void
reg_event(const struct sip_msg *msg, const struct rx_meta *in,
    enum event_type t, struct str aor, struct str contact)
{
	struct event ev = { .type = t,
		.src = &in->src,
		.tp = sip_transport_lc(in->tp),
		.user = aor,
		.method = msg->method_s,
		.call_id = msg->call_id,
		.detail = contact };

	event_emit(&ev);
}

static void
reg_reject(struct proxy *p, const struct sip_msg *msg, const struct rx_meta *in,
    uint16_t status, struct str phrase, enum reason r, struct str extra)
{
	proxy_log_reject(msg, in, "reject", r, status, reason_text(r));
	metrics_reject(r);
	proxy_reply(p, msg, in, status, phrase, extra);
}

/* An unquoted parameter value (+sip.instance is quoted). */
static struct str
unquote(struct str v)
{
	if (v.len >= 2 && v.s[0] == '"' && v.s[v.len - 1] == '"')
		return str_make(v.s + 1, v.len - 2);
	return v;
}

/* q-value "0.5" / "1" / "1.000" times 1000; 1000 when absent or bad. */
static uint32_t
q_value(struct str v)
{
	uint32_t q = 0, scale = 1000;
	size_t i = 0;

	if (!v.len)
		return 1000;
	if (v.s[0] == '1')
		return 1000;
	if (v.s[0] != '0')
		return 1000;
	i = 1;
	if (i < v.len && v.s[i] == '.')
		for (i++; i < v.len && i < 5; i++) {
			if (v.s[i] < '0' || v.s[i] > '9')
				return 1000;
			scale /= 10;
			q += (uint32_t)(v.s[i] - '0') * scale;
		}
	return q;
}

struct reg_contact {
	struct sip_addr addr;
	struct str value;
	uint32_t expires;
};

/* The 200 OK: every current binding with its remaining time. */
static void
reply_bindings(struct proxy *p, const struct sip_msg *msg,
    const struct rx_meta *in, struct str aor, int64_t now)
{
	const struct loc_aor *a = loc_find(p->p_loc, aor);
	const struct loc_contact *c;
	const struct sip_hdr *path = sip_msg_hdr_by_name(msg, STR("Path"));
	char *buf = p->p_regbuf;
	struct sip_wbuf w;
	struct tm tm;
	time_t t = (time_t)now;

	sip_wbuf_init(&w, buf, REG_BUF);
	for (c = a ? a->la_contacts : NULL; c; c = c->lc_next) {
		sip_wbuf_put(&w, STR("Contact: <"));
		sip_wbuf_put(&w, c->lc_uri);
		sip_wbuf_put(&w, STR(">;expires="));
		sip_wbuf_putu(&w, (uint64_t)(c->lc_expires - now));
		if (c->lc_instance.len) {
			sip_wbuf_put(&w, STR(";+sip.instance=\""));
			sip_wbuf_put(&w, c->lc_instance);
			sip_wbuf_putc(&w, '"');
		}
		if (c->lc_reg_id) {
			sip_wbuf_put(&w, STR(";reg-id="));
			sip_wbuf_putu(&w, c->lc_reg_id);
		}
		sip_wbuf_put(&w, STR("\r\n"));
	}
	/* RFC 3327: echo Path when the UA said it supports it. */
	for (; path; path = sip_msg_hdr_next(msg, path)) {
		sip_wbuf_put(&w, STR("Path: "));
		sip_wbuf_put(&w, path->value);
		sip_wbuf_put(&w, STR("\r\n"));
	}
	if (p->p_date_t != now || !p->p_date[0]) {
		gmtime_r(&t, &tm);
		strftime(p->p_date, sizeof(p->p_date),
		    "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
		p->p_date_t = now;
	}
	sip_wbuf_put(&w, str_make(p->p_date, strlen(p->p_date)));
	if (w.overflow) {
		reg_reject(p, msg, in, 500, STR("Server Internal Error"),
		    REASON_OVERLOAD, STR_NULL);
		return;
	}
	proxy_reply(p, msg, in, 200, STR("OK"), str_make(w.b, w.len));
}

/* Join every Path header value with ", ". */
static struct str
path_of(const struct sip_msg *msg, char *buf, size_t cap)
{
	const struct sip_hdr *h = sip_msg_hdr_by_name(msg, STR("Path"));
	struct sip_wbuf w;

	if (!h)
		return STR_NULL;
	sip_wbuf_init(&w, buf, cap);
	for (; h; h = sip_msg_hdr_next(msg, h)) {
		if (w.len)
			sip_wbuf_put(&w, STR(", "));
		sip_wbuf_put(&w, h->value);
	}
	return w.overflow ? STR_NULL : str_make(w.b, w.len);
}

void
registrar_handle(struct proxy *p, const struct sip_msg *msg,
    const struct rx_meta *in, uint64_t key, const struct acct *acct,
    bool retrans)
{
	const struct cfg *cfg = p->p_cfg;
	struct reg_contact rc[MAX_REG_CONTACTS];
	char aorbuf[STORE_AOR_MAX], pathbuf[STORE_PATH_MAX], minexp[48];
	struct str user, domain, aor, rest, val, v, path;
	const struct sip_hdr *h;
	const struct acct *ac = acct;
	const struct loc_aor *cur;
	unsigned n = 0, i, nadd = 0, limit;
	uint32_t hdr_expires = cfg->reg_default_expires;
	int64_t now = (int64_t)time(NULL);
	bool star = false;
	int err;

	if (registrar_aor(
		cfg, &msg->to.uri, aorbuf, sizeof(aorbuf), &user, &domain)) {
		reg_reject(p, msg, in, 400, STR("Bad To"),
		    REASON_REG_BAD_CONTACT, STR_NULL);
		return;
	}
	aor = str_make(aorbuf, strlen(aorbuf));
	if (ac &&
	    (!str_eq(ac->ac_user, user) ||
		!str_eq_nocase(ac->ac_domain, domain))) {
		reg_reject(p, msg, in, 403, STR("Forbidden"),
		    REASON_AUTH_IDENTITY, STR_NULL);
		return;
	}
	if (!ac) {
		/* A trusted peer registering on behalf of a user. */
		ac = acct_find(auth_accounts(p->p_auth), user, domain);
		if (!ac) {
			reg_reject(p, msg, in, 404, STR("Not Found"),
			    REASON_AUTH_UNKNOWN_USER, STR_NULL);
			return;
		}
	}
	if ((h = sip_msg_hdr(msg, SIP_HDR_EXPIRES)) &&
	    str_to_u32(str_trim(h->value), &hdr_expires))
		hdr_expires = cfg->reg_default_expires;

	/* Collect and check every Contact before changing anything. */
	for (h = sip_msg_hdr(msg, SIP_HDR_CONTACT); h;
	     h = sip_msg_hdr_next(msg, h)) {
		rest = h->value;
		while (sip_hdr_next_value(&rest, &val)) {
			struct reg_contact *c = &rc[n];
			uint32_t e = hdr_expires;

			if (n == MAX_REG_CONTACTS ||
			    sip_addr_parse(val, &c->addr)) {
				reg_reject(p, msg, in, 400, STR("Bad Contact"),
				    REASON_REG_BAD_CONTACT, STR_NULL);
				return;
			}
			if (c->addr.star) {
				star = true;
				n++;
				continue;
			}
			if (sip_param_find(
				c->addr.params, STR("expires"), &v) &&
			    str_to_u32(v, &e))
				e = hdr_expires;
			if (e && e < cfg->reg_min_expires) {
				snprintf(minexp, sizeof(minexp),
				    "Min-Expires: %u\r\n",
				    cfg->reg_min_expires);
				reg_reject(p, msg, in, 423,
				    STR("Interval Too Brief"),
				    REASON_REG_TOO_BRIEF,
				    str_make(minexp, strlen(minexp)));
				return;
			}
			if (e > cfg->reg_max_expires)
				e = cfg->reg_max_expires;
			if (c->addr.uri.scheme != SIP_SCHEME_SIP &&
			    c->addr.uri.scheme != SIP_SCHEME_SIPS) {
				reg_reject(p, msg, in, 400, STR("Bad Contact"),
				    REASON_REG_BAD_CONTACT, STR_NULL);
				return;
			}
			c->value = val;
			c->expires = e;
			nadd += e != 0;
			n++;
		}
		if (rest.s == NULL) {
			reg_reject(p, msg, in, 400, STR("Bad Contact"),
			    REASON_REG_BAD_CONTACT, STR_NULL);
			return;
		}
	}
	if (star) {
		/* RFC 3261 10.3 step 6: "*" alone, with Expires: 0. */
		if (n != 1 || hdr_expires != 0 ||
		    !sip_msg_hdr(msg, SIP_HDR_EXPIRES)) {
			reg_reject(p, msg, in, 400,
			    STR("Invalid Wildcard Contact"),
			    REASON_REG_BAD_CONTACT, STR_NULL);
			return;
		}
		if (loc_remove_all(p->p_loc, aor))
			reg_event(msg, in, EV_UNREGISTER, aor, STR("*"));
		gauges(p);
		if (in->tp == SIP_TP_UDP)
			recent_add(p, key, msg, in);
		reply_bindings(p, msg, in, aor, now);
		return;
	}
	/* The contact limit counts what the account would end up with. */
	limit =
	    ac->ac_max_contacts ? ac->ac_max_contacts : cfg->reg_max_contacts;
	cur = loc_find(p->p_loc, aor);
	if (nadd) {
		unsigned total = cur ? cur->la_n : 0;

		for (i = 0; i < n; i++) {
			const struct loc_contact *lc;
			bool exists = false;

			for (lc = cur ? cur->la_contacts : NULL; lc;
			     lc = lc->lc_next)
				if (str_eq(lc->lc_uri, rc[i].addr.uri_raw))
					exists = true;
			if (rc[i].expires && !exists)
				total++;
			else if (!rc[i].expires && exists)
				total--;
		}
		if (total > limit) {
			reg_reject(p, msg, in, 403,
			    STR("Too Many Registered Contacts"),
			    REASON_REG_TOO_MANY, STR_NULL);
			return;
		}
	}
	path = path_of(msg, pathbuf, sizeof(pathbuf));
	for (i = 0; i < n; i++) {
		struct loc_update u;
		struct str inst = STR_NULL, rid;
		uint32_t reg_id = 0;
		bool removed;

		memset(&u, 0, sizeof(u));
		if (sip_param_find(
			rc[i].addr.params, STR("+sip.instance"), &inst))
			inst = unquote(inst);
		if (sip_param_find(rc[i].addr.params, STR("reg-id"), &rid) &&
		    str_to_u32(rid, &reg_id))
			reg_id = 0;
		u.uri = rc[i].addr.uri_raw;
		u.call_id = msg->call_id;
		u.path = path;
		u.instance = str_sub(inst, 0, STORE_INSTANCE_MAX - 1);
		if ((h = sip_msg_hdr(msg, SIP_HDR_USER_AGENT)))
			u.ua = str_sub(h->value, 0, STORE_UA_MAX - 1);
		u.cseq = msg->cseq.num;
		u.reg_id = reg_id;
		u.expires = rc[i].expires ? now + rc[i].expires : 0;
		if (sip_param_find(rc[i].addr.params, STR("q"), &v))
			u.q = q_value(v);
		else
			u.q = 1000;
		u.dst.tp = in->tp;
		u.dst.addr = in->src;
		u.dst.conn_id = in->conn_id;
		if (u.uri.len >= STORE_URI_MAX ||
		    msg->call_id.len >= STORE_CALLID_MAX) {
			reg_reject(p, msg, in, 400, STR("Contact Too Long"),
			    REASON_REG_BAD_CONTACT, STR_NULL);
			return;
		}
		err = loc_update(p->p_loc, aor, &u, now, &removed);
		if (err == EBUSY && retrans)
			continue;
		if (err == EBUSY) {
			reg_reject(p, msg, in, 500, STR("Out Of Order"),
			    REASON_REG_OUT_OF_ORDER, STR("Retry-After: 1\r\n"));
			return;
		}
		if (err) {
			reg_reject(p, msg, in, 500,
			    STR("Server Internal Error"), REASON_OVERLOAD,
			    STR_NULL);
			return;
		}
		if (u.expires)
			reg_event(msg, in, EV_REGISTER, aor, u.uri);
		else if (removed)
			reg_event(msg, in, EV_UNREGISTER, aor, u.uri);
	}
	if (in->tp == SIP_TP_UDP && n)
		recent_add(p, key, msg, in);
	gauges(p);
	reply_bindings(p, msg, in, aor, now);
}

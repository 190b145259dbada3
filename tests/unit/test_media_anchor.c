/*
 * tests/unit/test_media_anchor.c -- the media anchor (media/anchor.c)
 * against a fake rtpengine: a UDP socket on 127.0.0.1 served by the same
 * event loop, which answers offers and answers with an SDP, says
 * "Unknown call-id" to queries when told to, or stays silent (commands
 * stay in flight).
 *
 * Each test is a script of steps run by a timer inside one loop_run()
 * (loop_stop() is sticky), so rtpengine's replies and the anchor's
 * once-a-second tick happen between the steps. What is checked: the
 * per-call and global caps on offers/answers in flight (finding 1), the
 * reaping of unconfirmed calls only after they fell silent (2), deletes
 * only for the call's own dialog (3), tombstones of deleted calls'
 * INVITEs (4) and the count of parties a media-timeout BYE cannot
 * reach (5).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "admin/metrics.h"
#include "core/cfg.h"
#include "core/loop.h"
#include "media/anchor_int.h"
#include "media/media.h"
#include "net/sa.h"
#include "sip/sip.h"

enum peer_mode {
	PEER_OK, /* offers/answers: ok + sdp; queries: ok */
	PEER_SILENT,
	PEER_LOST /* like OK, but queries: "Unknown call-id" */
};

static struct loop *l;
static struct media *m;
static struct cfg *cfg;
static int peer_fd;
static struct sa peer_addr;
static enum peer_mode peer_mode;
static unsigned peer_got;
static struct loop_timer script_timer, guard_timer;

/* Outcomes of the commands sent with done(). */
static unsigned n_done;
static int last_err;
static unsigned n_ended;

static void
peer_read(int fd, unsigned events, void *arg)
{
	struct sa from;
	char buf[4096], out[4200];
	ssize_t n;
	size_t cl;
	const char *sp;
	int len;

	from.len = sizeof(from.u);
	n = recvfrom(fd, buf, sizeof(buf) - 1, 0, &from.u.sa, &from.len);
	if (n <= 0)
		return;
	buf[n] = '\0';
	peer_got++;
	sp = memchr(buf, ' ', (size_t)n);
	if (!sp || peer_mode == PEER_SILENT)
		return;
	cl = (size_t)(sp - buf);
	if (peer_mode == PEER_LOST && strstr(sp, "7:command5:query"))
		len = snprintf(out, sizeof(out),
		    "%.*s d6:result5:error12:error-reason15:Unknown call-ide",
		    (int)cl, buf);
	else
		len = snprintf(out, sizeof(out),
		    "%.*s d6:result2:ok3:sdp5:v=0\r\ne", (int)cl, buf);
	sendto(fd, out, (size_t)len, 0, &from.u.sa, from.len);
}

static void
done(int err, struct str sdp, struct str why, void *arg)
{
	n_done++;
	last_err = err;
}

static void
on_end(const struct media_end *e, void *arg)
{
	n_ended++;
}

/* ---- messages ------------------------------------------------------ */

#define NMSG 8
static char msg_buf[NMSG][2048];
static struct sip_msg msgs[NMSG];
static unsigned msg_next;

/* Parse a message built from "fmt" (valid for the next NMSG-1 calls). */
static const struct sip_msg *
sip(const char *fmt, ...)
{
	unsigned i = msg_next++ % NMSG;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg_buf[i], sizeof(msg_buf[i]), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(msg_buf[i]));
	assert_int_equal(sip_parse(NULL, &msgs[i], msg_buf[i], (size_t)n), 0);
	return &msgs[i];
}

/* A request: method, Call-ID, From tag, To tag ("" none), CSeq, branch. */
static const struct sip_msg *
req(const char *method, const char *cid, const char *ftag, const char *ttag,
    unsigned cseq, const char *branch)
{
	return sip("%s sip:100@example.com SIP/2.0\r\n"
		   "Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK%s\r\n"
		   "From: <sip:500@example.com>;tag=%s\r\n"
		   "To: <sip:100@example.com>%s%s\r\n"
		   "Call-ID: %s\r\n"
		   "CSeq: %u %s\r\n"
		   "Contact: <sip:500@127.0.0.2:5060>\r\n"
		   "Max-Forwards: 70\r\n"
		   "Content-Length: 0\r\n\r\n",
	    method, branch, ftag, ttag[0] ? ";tag=" : "", ttag, cid, cseq,
	    method);
}

/* A response to an INVITE. */
static const struct sip_msg *
rsp(unsigned status, const char *cid, const char *ftag, const char *ttag,
    unsigned cseq)
{
	return sip("SIP/2.0 %u Whatever\r\n"
		   "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKours\r\n"
		   "Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bKx\r\n"
		   "From: <sip:500@example.com>;tag=%s\r\n"
		   "To: <sip:100@example.com>;tag=%s\r\n"
		   "Call-ID: %s\r\n"
		   "CSeq: %u INVITE\r\n"
		   "Contact: <sip:100@127.0.0.3:5060>\r\n"
		   "Content-Length: 0\r\n\r\n",
	    status, ftag, ttag, cid, cseq);
}

static const struct str SDP = { "v=0\r\n", 5 };

static int
offer(const struct sip_msg *r)
{
	struct media_party caller;

	memset(&caller, 0, sizeof(caller));
	snprintf(caller.uri, sizeof(caller.uri), "sip:500@127.0.0.2:5060");
	snprintf(caller.hdr, sizeof(caller.hdr), "<sip:500@example.com>");
	return media_offer(
	    m, r, SDP, MEDIA_LEG_CORE, MEDIA_LEG_EDGE, &caller, done, NULL);
}

static struct media_party callee_ok;

static void
confirm(const struct sip_msg *r)
{
	memset(&callee_ok, 0, sizeof(callee_ok));
	snprintf(callee_ok.uri, sizeof(callee_ok.uri), "sip:100@127.0.0.3");
	snprintf(callee_ok.hdr, sizeof(callee_ok.hdr), "<sip:100@x>;tag=b");
	media_confirm(m, r, &callee_ok);
}

/* The value of metric line "name" (exact, labels included). */
static unsigned long long
metric(const char *name)
{
	char *out, *p;
	size_t len, nl = strlen(name);
	unsigned long long v = ~0ULL;

	assert_int_equal(metrics_render(&out, &len), 0);
	for (p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, name, nl) == 0 && p[nl] == ' ') {
			v = strtoull(p + nl + 1, NULL, 10);
			break;
		}
	free(out);
	assert_true(v != ~0ULL);
	return v;
}

/* ---- the script runner ------------------------------------------- */

struct step {
	unsigned after_ms; /* after the previous step */
	void (*fn)(void);
};

static const struct step *script;
static unsigned script_n, script_i;

static void
script_fire(void *arg)
{
	script[script_i++].fn();
	if (script_i < script_n)
		loop_timer_start(l, &script_timer, script[script_i].after_ms,
		    script_fire, NULL);
	else
		loop_stop(l);
}

static void
stop_fire(void *arg)
{
	loop_stop(arg);
}

/* Run the steps; at most 10 s in all. */
static void
run_script(const struct step *s, unsigned n)
{
	script = s;
	script_n = n;
	script_i = 0;
	loop_timer_start(l, &script_timer, s[0].after_ms, script_fire, NULL);
	loop_timer_start(l, &guard_timer, 10000, stop_fire, l);
	loop_run(l);
	loop_timer_cancel(l, &guard_timer);
	loop_timer_cancel(l, &script_timer);
	assert_int_equal(script_i, n);
}

static int
setup(void **state)
{
	peer_mode = PEER_OK;
	peer_got = n_done = n_ended = 0;
	last_err = -1;
	assert_int_equal(loop_alloc(&l), 0);
	peer_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(peer_fd >= 0);
	assert_int_equal(sa_set_cstr(&peer_addr, "127.0.0.1", 0), 0);
	assert_int_equal(bind(peer_fd, &peer_addr.u.sa, peer_addr.len), 0);
	peer_addr.len = sizeof(peer_addr.u);
	assert_int_equal(
	    getsockname(peer_fd, &peer_addr.u.sa, &peer_addr.len), 0);
	assert_int_equal(
	    loop_fd_add(l, peer_fd, LOOP_READ, peer_read, NULL), 0);
	cfg = calloc(1, sizeof(*cfg));
	assert_non_null(cfg);
	cfg_media_defaults(&cfg->media);
	cfg->media.enabled = true;
	cfg->media.rtpe[0] = peer_addr;
	cfg->media.nrtpe = 1;
	cfg->media.rtpe_timeout = 1000;
	cfg->media.rtpe_retries = 1;
	cfg->media.check_interval = 1;
	assert_int_equal(media_alloc(&m, l, cfg, on_end, NULL), 0);
	assert_non_null(m);
	return 0;
}

static int
teardown(void **state)
{
	media_free(m);
	m = NULL;
	loop_fd_del(l, peer_fd);
	close(peer_fd);
	loop_free(l);
	free(cfg);
	return 0;
}

/* ---- 1. offers and answers in flight are capped -------------------- */

static void
cap_s0(void)
{
	assert_int_equal(offer(req("INVITE", "cap1", "a", "", 1, "b1")), 0);
}

static void
cap_s1(void)
{
	unsigned i;
	int err = 0;
	char cid[32];

	assert_int_equal(n_done, 1);
	assert_int_equal(last_err, 0);
	assert_true(media_is_anchored(m, STR("cap1")));
	/* rtpengine goes quiet: everything sent now stays in flight. */
	peer_mode = PEER_SILENT;
	assert_int_equal(
	    media_answer(m, rsp(183, "cap1", "a", "b", 1), SDP, done, NULL), 0);
	assert_int_equal(
	    media_answer(m, rsp(183, "cap1", "a", "b", 1), SDP, done, NULL), 0);
	/* A third 183 with SDP of the same call is over the cap. */
	assert_int_equal(
	    media_answer(m, rsp(183, "cap1", "a", "b", 1), SDP, done, NULL),
	    EBUSY);
	/* So is a re-offer (UPDATE) of that call. */
	assert_int_equal(
	    offer(req("UPDATE", "cap1", "a", "b", 2, "b2")), EBUSY);
	assert_int_equal(media_test_inflight(m), 2);
	assert_int_equal(metric("centinela_media_capped_total{message="
				"\"answer\"}"),
	    1);
	assert_int_equal(
	    metric("centinela_media_capped_total{message=\"offer\"}"), 1);
	/* Capping is not rtpengine failing. */
	assert_int_equal(
	    metric("centinela_media_offers_total{result=\"failed\"}"), 0);
	/* Two INVITEs of one new call in flight, not a third. */
	assert_int_equal(offer(req("INVITE", "cap2", "a", "", 1, "c1")), 0);
	assert_int_equal(offer(req("INVITE", "cap2", "a", "", 1, "c2")), 0);
	assert_int_equal(offer(req("INVITE", "cap2", "a", "", 1, "c3")), EBUSY);
	/* Other calls up to the global cap, then EBUSY. */
	for (i = 0; i < 2 * MEDIA_INFLIGHT_MAX && !err; i++) {
		snprintf(cid, sizeof(cid), "g%u", i);
		err = offer(req("INVITE", cid, "a", "", 1, "g"));
	}
	assert_int_equal(err, EBUSY);
	/* Offers stop short of the cap: answers keep room. */
	assert_int_equal(media_test_inflight(m), MEDIA_INFLIGHT_OFFERS);
	assert_int_equal(
	    metric("centinela_media_capped_total{message=\"offer\"}"), 3);
}

static void
cap_in_flight(void **state)
{
	static const struct step s[] = { { 0, cap_s0 }, { 300, cap_s1 } };

	run_script(s, 2);
}

/* ---- 3. deletes only for the call's own dialog ------------------- */

static void
tags_s0(void)
{
	assert_int_equal(offer(req("INVITE", "t1", "a", "", 1, "b1")), 0);
	assert_int_equal(offer(req("INVITE", "t3", "a", "", 7, "b3")), 0);
}

static void
tags_s1(void)
{
	struct str t1 = STR("t1");

	assert_int_equal(n_done, 2);
	assert_true(media_is_anchored(m, t1));
	/* Another INVITE with the call's Call-ID, refused: not ours. */
	assert_false(
	    media_delete_msg(m, req("INVITE", "t1", "a", "", 1, "other")));
	assert_false(
	    media_delete_msg(m, req("INVITE", "t1", "x", "", 1, "b1")));
	assert_false(media_delete_msg(m, rsp(486, "t1", "a", "z", 2)));
	assert_true(media_is_anchored(m, t1));
	/* A caller's early BYE with a foreign From tag: kept. */
	assert_false(media_delete_msg(m, req("BYE", "t1", "x", "b", 2, "y")));
	/* A 2xx of another CSeq does not confirm the call. */
	confirm(rsp(200, "t1", "a", "b", 5));
	assert_false(media_is_confirmed(m, t1));
	confirm(rsp(200, "t1", "a", "b", 1));
	assert_true(media_is_confirmed(m, t1));
	/* A second fork's 2xx does not replace the callee's tag. */
	confirm(rsp(200, "t1", "a", "c", 1));
	/* BYEs of another fork, forged or stray: media kept. */
	assert_false(media_delete_msg(m, req("BYE", "t1", "a", "c", 2, "y1")));
	assert_false(media_delete_msg(m, req("BYE", "t1", "x", "b", 2, "y2")));
	assert_false(media_delete_msg(m, req("BYE", "t1", "b", "b", 2, "y3")));
	assert_false(media_delete_msg(m, req("BYE", "t1", "a", "", 2, "y4")));
	assert_false(media_delete_msg(m, rsp(487, "t1", "a", "b", 1)));
	assert_false(media_in_dialog(m, req("BYE", "t1", "a", "c", 2, "y1")));
	assert_true(media_is_anchored(m, t1));
	assert_int_equal(metric("centinela_media_foreign_deletes_total"), 9);
	assert_int_equal(metric("centinela_media_deletes_total"), 0);
	/* The callee's BYE (tags reversed) ends it. */
	assert_true(media_in_dialog(m, req("BYE", "t1", "b", "a", 9, "y5")));
	assert_true(media_delete_msg(m, req("BYE", "t1", "b", "a", 9, "y5")));
	assert_false(media_is_anchored(m, t1));
	assert_int_equal(metric("centinela_media_deletes_total"), 1);
	/* Unconfirmed: our refusal of the very INVITE, or its failure. */
	assert_true(media_delete_msg(m, req("INVITE", "t3", "a", "", 7, "b3")));
	assert_false(media_is_anchored(m, STR("t3")));
}

static void
dialog_tags(void **state)
{
	static const struct step s[] = { { 0, tags_s0 }, { 300, tags_s1 } };

	run_script(s, 2);
}

/* ---- 4. a deleted call's INVITE is not anchored again ------------ */

static void
tomb_s0(void)
{
	media_test_timers(m, MEDIA_EARLY_IDLE_MS, 600);
	assert_int_equal(offer(req("INVITE", "z1", "a", "", 1, "b1")), 0);
}

static void
tomb_s1(void)
{
	assert_int_equal(n_done, 1);
	assert_true(media_is_anchored(m, STR("z1")));
	media_delete(m, STR("z1"));
	assert_false(media_is_anchored(m, STR("z1")));
	/* The late retransmission: same Call-ID, tag, CSeq, branch. */
	assert_int_equal(
	    offer(req("INVITE", "z1", "a", "", 1, "b1")), EALREADY);
	assert_false(media_is_anchored(m, STR("z1")));
	assert_int_equal(
	    metric("centinela_media_retransmitted_offers_total"), 1);
	/* A new transaction of that call (after a 407, a 3xx): offered. */
	assert_int_equal(offer(req("INVITE", "z1", "a", "", 2, "b2")), 0);
}

static void
tomb_s2(void)
{
	assert_int_equal(n_done, 2);
	assert_int_equal(last_err, 0);
	assert_true(media_is_anchored(m, STR("z1")));
	assert_true(media_delete_msg(m, req("INVITE", "z1", "a", "", 2, "b2")));
}

static void
tomb_s3(void)
{
	/* The tombstone is gone after its time (600 ms here). */
	assert_int_equal(offer(req("INVITE", "z1", "a", "", 1, "b1")), 0);
}

static void
tombstones(void **state)
{
	static const struct step s[] = { { 0, tomb_s0 }, { 300, tomb_s1 },
		{ 300, tomb_s2 }, { 500, tomb_s3 } };

	run_script(s, 4);
}

/* ---- 2. a ringing call is kept; a silent one is reaped ----------- */

static void
reap_s0(void)
{
	media_test_timers(m, 1500, MEDIA_TOMB_MS);
	assert_int_equal(offer(req("INVITE", "r1", "a", "", 1, "b1")), 0);
	assert_int_equal(offer(req("INVITE", "r2", "a2", "", 1, "b2")), 0);
}

static void
reap_s1(void)
{
	assert_int_equal(n_done, 2);
	/* r1 rings on; r2 gets a 180 of another dialog only. */
	media_touch(m, rsp(180, "r1", "a", "b", 1));
	media_touch(m, rsp(180, "r2", "x", "b", 1));
}

static void
reap_s2(void)
{
	assert_true(media_is_anchored(m, STR("r1")));
	assert_false(media_is_anchored(m, STR("r2")));
	assert_int_equal(metric("centinela_media_reaped_total"), 1);
}

static void
reap_s3(void)
{
	assert_false(media_is_anchored(m, STR("r1")));
	assert_int_equal(metric("centinela_media_reaped_total"), 2);
	assert_int_equal(metric("centinela_media_deletes_total"), 2);
}

static void
reap_silent(void **state)
{
	static const struct step s[] = { { 0, reap_s0 }, { 1200, reap_s1 },
		{ 1200, reap_s2 }, { 1200, reap_s3 } };

	run_script(s, 4);
}

/* ---- 5. a BYE that cannot be sent is counted ----------------------- */

static void
lost_s0(void)
{
	struct media_party caller;

	peer_mode = PEER_LOST;
	memset(&caller, 0, sizeof(caller));
	snprintf(caller.hdr, sizeof(caller.hdr), "<sip:500@example.com>");
	caller.incomplete = true; /* its Contact did not fit */
	assert_int_equal(
	    media_offer(m, req("INVITE", "u1", "a", "", 1, "b1"), SDP,
		MEDIA_LEG_CORE, MEDIA_LEG_EDGE, &caller, done, NULL),
	    0);
}

static void
lost_s1(void)
{
	assert_int_equal(n_done, 1);
	confirm(rsp(200, "u1", "a", "b", 1));
	assert_true(media_is_confirmed(m, STR("u1")));
}

static void
lost_s2(void)
{
	assert_int_equal(n_ended, 1);
	assert_false(media_is_anchored(m, STR("u1")));
	assert_int_equal(metric("centinela_media_timeouts_total"), 1);
	assert_int_equal(metric("centinela_media_bye_unreachable_total"), 1);
	/* Its INVITE, retransmitted late, does not bring it back. */
	assert_int_equal(
	    offer(req("INVITE", "u1", "a", "", 1, "b1")), EALREADY);
}

static void
lost_bye_unreachable(void **state)
{
	static const struct step s[] = { { 0, lost_s0 }, { 300, lost_s1 },
		{ 2500, lost_s2 } };

	run_script(s, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(cap_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(dialog_tags, setup, teardown),
		cmocka_unit_test_setup_teardown(tombstones, setup, teardown),
		cmocka_unit_test_setup_teardown(reap_silent, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    lost_bye_unreachable, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

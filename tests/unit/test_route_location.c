/*
 * tests/unit/test_route_location.c -- the location table: insert,
 * refresh, CSeq order (RFC 3261 10.3 step 7), instance/reg-id
 * replacement, removal, expiry, and the write-behind store: what
 * loc_free() flushed is what the next loc_alloc() restores.
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/log.h"
#include "core/loop.h"
#include "route/location.h"

static char dir[] = "/tmp/centinela-loc-XXXXXX";
static char uri[128];

static int
setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(uri, sizeof(uri), "sqlite:%s/loc.db", dir);
	log_setup(LOGF_HUMAN, LOGL_ERROR, 2);
	return 0;
}

static int
teardown(void **state)
{
	char p[160];

	(void)state;
	snprintf(p, sizeof(p), "%s/loc.db", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/loc.db-wal", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/loc.db-shm", dir);
	unlink(p);
	rmdir(dir);
	return 0;
}

static struct loc_update
upd(const char *contact, const char *callid, uint32_t cseq, int64_t expires)
{
	struct loc_update u;

	memset(&u, 0, sizeof(u));
	u.uri = str_make(contact, strlen(contact));
	u.call_id = str_make(callid, strlen(callid));
	u.cseq = cseq;
	u.q = 1000;
	u.expires = expires;
	u.dst.tp = SIP_TP_UDP;
	sa_set_cstr(&u.dst.addr, "192.0.2.7", 40000);
	return u;
}

static unsigned
ncontacts(const struct location *loc, const char *aor)
{
	const struct loc_aor *a = loc_find(loc, str_make(aor, strlen(aor)));

	return a ? a->la_n : 0;
}

static void
test_insert_refresh_order(void **state)
{
	struct location *loc;
	struct loop *l;
	struct loc_update u;
	int64_t now = (int64_t)time(NULL);
	bool removed;

	(void)state;
	assert_int_equal(loop_alloc(&l), 0);
	assert_int_equal(loc_alloc(&loc, l, uri), 0);
	u = upd("sip:100@10.0.0.1:5060", "c1", 1, now + 60);
	assert_int_equal(loc_update(loc, STR("100@d"), &u, now, &removed), 0);
	assert_int_equal(ncontacts(loc, "100@d"), 1);
	/* Same Call-ID, CSeq not higher: refused (out of order). */
	assert_int_equal(
	    loc_update(loc, STR("100@d"), &u, now, &removed), EBUSY);
	u.cseq = 2;
	u.expires = now + 120;
	assert_int_equal(loc_update(loc, STR("100@d"), &u, now, &removed), 0);
	assert_int_equal(ncontacts(loc, "100@d"), 1);
	assert_true(
	    loc_find(loc, STR("100@D"))->la_contacts->lc_expires == now + 120);
	/* Another Call-ID may update with any CSeq. */
	u = upd("sip:100@10.0.0.1:5060", "c2", 1, now + 30);
	assert_int_equal(loc_update(loc, STR("100@d"), &u, now, &removed), 0);
	/* A second contact, then removal of the first. */
	u = upd("sip:100@10.0.0.2:5060", "c3", 1, now + 60);
	assert_int_equal(loc_update(loc, STR("100@d"), &u, now, &removed), 0);
	assert_int_equal(ncontacts(loc, "100@d"), 2);
	assert_int_equal(loc_count(loc), 2);
	u = upd("sip:100@10.0.0.1:5060", "c2", 2, 0);
	assert_int_equal(loc_update(loc, STR("100@d"), &u, now, &removed), 0);
	assert_true(removed);
	assert_int_equal(ncontacts(loc, "100@d"), 1);
	/* Removing what is not there is no error and removes nothing. */
	u = upd("sip:100@10.9.9.9:5060", "c9", 1, 0);
	assert_int_equal(loc_update(loc, STR("100@d"), &u, now, &removed), 0);
	assert_false(removed);
	assert_int_equal(loc_remove_all(loc, STR("100@d")), 1);
	assert_null(loc_find(loc, STR("100@d")));
	assert_int_equal(loc_aor_count(loc), 0);
	loc_free(loc);
	loop_free(l);
}

static void
test_instance_replaces(void **state)
{
	struct location *loc;
	struct loop *l;
	struct loc_update u;
	int64_t now = (int64_t)time(NULL);
	bool removed;

	(void)state;
	assert_int_equal(loop_alloc(&l), 0);
	assert_int_equal(loc_alloc(&loc, l, uri), 0);
	u = upd("sip:200@10.0.0.1:5060", "a", 1, now + 60);
	u.instance = STR("urn:uuid:00000000-0000-1000-8000-000A95A0E128");
	u.reg_id = 1;
	assert_int_equal(loc_update(loc, STR("200@d"), &u, now, &removed), 0);
	/* Same instance and reg-id from a new address: replaced. */
	u = upd("sip:200@10.0.0.99:6000", "b", 1, now + 60);
	u.instance = STR("urn:uuid:00000000-0000-1000-8000-000A95A0E128");
	u.reg_id = 1;
	assert_int_equal(loc_update(loc, STR("200@d"), &u, now, &removed), 0);
	assert_int_equal(ncontacts(loc, "200@d"), 1);
	assert_true(str_eq(loc_find(loc, STR("200@d"))->la_contacts->lc_uri,
	    STR("sip:200@10.0.0.99:6000")));
	/* Another reg-id is another flow. */
	u.reg_id = 2;
	u.uri = STR("sip:200@10.0.0.98:6000");
	assert_int_equal(loc_update(loc, STR("200@d"), &u, now, &removed), 0);
	assert_int_equal(ncontacts(loc, "200@d"), 2);
	loc_remove_all(loc, STR("200@d"));
	loc_free(loc);
	loop_free(l);
}

static void
test_expire_and_restore(void **state)
{
	struct location *loc;
	struct loop *l;
	struct loc_update u;
	const struct loc_contact *c;
	int64_t now = (int64_t)time(NULL);
	bool removed;
	char contact[64];
	unsigned i;

	(void)state;
	assert_int_equal(loop_alloc(&l), 0);
	assert_int_equal(loc_alloc(&loc, l, uri), 0);
	for (i = 0; i < 50; i++) {
		snprintf(contact, sizeof(contact), "sip:300@10.1.0.%u:5060", i);
		u = upd(contact, "r", 1, now + (i < 10 ? 1 : 600));
		u.path = STR("<sip:edge.example;lr>");
		u.ua = STR("unit-test");
		assert_int_equal(
		    loc_update(loc, STR("300@d"), &u, now, &removed), 0);
	}
	assert_int_equal(loc_count(loc), 50);
	/* Ten expire a second later. */
	assert_int_equal(loc_expire(loc, now + 2), 10);
	assert_int_equal(loc_count(loc), 40);
	loc_free(loc); /* flushes the writer */

	assert_int_equal(loc_alloc(&loc, l, uri), 0);
	assert_int_equal(loc_count(loc), 40);
	c = loc_find(loc, STR("300@d"))->la_contacts;
	assert_non_null(c);
	assert_true(str_eq(c->lc_path, STR("<sip:edge.example;lr>")));
	assert_true(str_eq(c->lc_ua, STR("unit-test")));
	assert_int_equal(c->lc_dst.tp, SIP_TP_UDP);
	assert_int_equal(sa_port(&c->lc_dst.addr), 40000);
	assert_int_equal(c->lc_cseq, 1);
	assert_int_equal(loc_remove_all(loc, STR("300@d")), 40);
	loc_free(loc);
	assert_int_equal(loc_alloc(&loc, l, uri), 0);
	assert_int_equal(loc_count(loc), 0);
	loc_free(loc);
	loop_free(l);
}

static int
stored_one(const struct binding *b, void *arg)
{
	struct binding *out = arg;

	*out = *b;
	return 0;
}

/* The one binding the store holds now (the writer drained first). */
static struct binding
stored(struct location *loc)
{
	struct binding b;
	struct store *st;
	char err[256];

	loc_sync(loc);
	memset(&b, 0, sizeof(b));
	assert_int_equal(store_open(&st, uri, err, sizeof(err)), 0);
	assert_int_equal(store_binding_each(st, stored_one, &b), 0);
	store_close(st);
	return b;
}

/* u with "cseq", expiring "interval" s after "at", applied at "at". */
static void
refresh_at(struct location *loc, struct loc_update *u, uint32_t cseq,
    int64_t at, int64_t interval)
{
	bool removed;

	u->cseq = cseq;
	u->expires = at + interval;
	assert_int_equal(loc_update(loc, STR("400@d"), u, at, &removed), 0);
}

/*
 * A refresh that moves only the expiry and the CSeq is written when the
 * stored row would lapse before half of the new interval or outlive it;
 * any other change is written at once; a clean stop writes the rest.
 */
static void
test_refresh_lazy_write(void **state)
{
	struct location *loc;
	struct loop *l;
	struct loc_update u;
	const struct loc_contact *c;
	struct binding b;
	int64_t now = (int64_t)time(NULL);
	bool removed;

	(void)state;
	assert_int_equal(loop_alloc(&l), 0);
	assert_int_equal(loc_alloc(&loc, l, uri), 0);
	u = upd("sip:400@10.2.0.1:5060", "lz", 1, now + 600);
	assert_int_equal(loc_update(loc, STR("400@d"), &u, now, &removed), 0);
	b = stored(loc);
	assert_string_equal(b.contact, "sip:400@10.2.0.1:5060");
	assert_true(b.expires == now + 600);
	assert_int_equal(b.cseq, 1);

	/* 10 s later, 600 s again: the row still covers 590 s, more than
	 * half of 600 plus 32; not written. */
	refresh_at(loc, &u, 2, now + 10, 600);
	assert_true(
	    loc_find(loc, STR("400@d"))->la_contacts->lc_expires == u.expires);
	b = stored(loc);
	assert_true(b.expires == now + 600);
	assert_int_equal(b.cseq, 1);
	/* Order is still checked against the binding in memory. */
	assert_int_equal(
	    loc_update(loc, STR("400@d"), &u, now + 10, &removed), EBUSY);

	/* A refresh at exactly half the interval: the row covers 300 s,
	 * under 300 + 32; written (a phone refreshing at half its interval
	 * is written every time). */
	refresh_at(loc, &u, 3, now + 300, 600);
	b = stored(loc);
	assert_true(b.expires == now + 900);
	assert_int_equal(b.cseq, 3);

	/* A shorter interval: the row must not outlive it; written. */
	refresh_at(loc, &u, 4, now + 320, 200);
	b = stored(loc);
	assert_true(b.expires == now + 520);
	assert_int_equal(b.cseq, 4);

	/* Another source port (NAT rebinding): written at once. */
	u.cseq = 5;
	sa_set_cstr(&u.dst.addr, "192.0.2.7", 40001);
	assert_int_equal(
	    loc_update(loc, STR("400@d"), &u, now + 321, &removed), 0);
	b = stored(loc);
	assert_string_equal(b.source, "udp:192.0.2.7:40001");
	assert_int_equal(b.cseq, 5);

	/* Another User-Agent: written at once. */
	u.cseq = 6;
	u.ua = STR("phone/2.0");
	assert_int_equal(
	    loc_update(loc, STR("400@d"), &u, now + 322, &removed), 0);
	b = stored(loc);
	assert_string_equal(b.user_agent, "phone/2.0");

	/* Another Call-ID of the same length (copied in place), then a
	 * longer one: ordering state only, in memory at once, not written
	 * (the row covers 197 s of 200). */
	u.call_id = STR("l2");
	refresh_at(loc, &u, 1, now + 323, 200);
	c = loc_find(loc, STR("400@d"))->la_contacts;
	assert_true(str_eq(c->lc_call_id, STR("l2")));
	assert_true(str_eq(c->lc_uri, STR("sip:400@10.2.0.1:5060")));
	assert_true(str_eq(c->lc_ua, STR("phone/2.0")));
	u.call_id = STR("call-3");
	refresh_at(loc, &u, 1, now + 324, 200);
	b = stored(loc);
	assert_string_equal(b.call_id, "lz");
	assert_int_equal(b.cseq, 6);
	c = loc_find(loc, STR("400@d"))->la_contacts;
	assert_true(str_eq(c->lc_call_id, u.call_id));
	assert_true(str_eq(c->lc_ua, STR("phone/2.0")));
	assert_int_equal(
	    loc_update(loc, STR("400@d"), &u, now + 324, &removed), EBUSY);

	/* A skipped refresh, then a clean stop: the stop writes it. */
	refresh_at(loc, &u, 7, now + 330, 200);
	b = stored(loc);
	assert_int_equal(b.cseq, 6);
	loc_free(loc);
	assert_int_equal(loc_alloc(&loc, l, uri), 0);
	b = stored(loc);
	assert_true(b.expires == now + 530);
	assert_int_equal(b.cseq, 7);
	assert_string_equal(b.call_id, "call-3");
	assert_int_equal(loc_find(loc, STR("400@d"))->la_contacts->lc_cseq, 7);
	assert_int_equal(loc_remove_all(loc, STR("400@d")), 1);
	loc_free(loc);
	loop_free(l);
}

static void
test_dst_text(void **state)
{
	struct tp_dst d;
	char buf[SA_STRLEN + 8];

	(void)state;
	assert_int_equal(loc_dst_parse("udp:1.2.3.4:5060", &d), 0);
	assert_int_equal(d.tp, SIP_TP_UDP);
	loc_dst_fmt(&d, buf, sizeof(buf));
	assert_string_equal(buf, "udp:1.2.3.4:5060");
	assert_int_equal(loc_dst_parse("tls:[2001:db8::1]:5061", &d), 0);
	assert_int_equal(d.tp, SIP_TP_TLS);
	loc_dst_fmt(&d, buf, sizeof(buf));
	assert_string_equal(buf, "tls:[2001:db8::1]:5061");
	assert_int_equal(loc_dst_parse("sctp:1.2.3.4:5060", &d), EINVAL);
	assert_int_equal(loc_dst_parse("udp:1.2.3.4", &d), EINVAL);
	assert_int_equal(loc_dst_parse("udp:1.2.3.4:0", &d), EINVAL);
	assert_int_equal(loc_dst_parse("udp:1.2.3.4:70000", &d), EINVAL);
	assert_int_equal(loc_dst_parse("udp:host.example:5060", &d), EINVAL);
	assert_int_equal(loc_dst_parse("", &d), EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_refresh_order),
		cmocka_unit_test(test_instance_replaces),
		cmocka_unit_test(test_expire_and_restore),
		cmocka_unit_test(test_refresh_lazy_write),
		cmocka_unit_test(test_dst_text),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

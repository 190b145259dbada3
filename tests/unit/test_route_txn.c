/*
 * tests/unit/test_route_txn.c -- client transaction timers and failover,
 * driven through the real proxy on loopback: the test plays the caller
 * and two upstreams with its own UDP sockets on the same event loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cfg.h"
#include "core/log.h"
#include "core/loop.h"
#include "route/proxy.h"
#include "sip/sip.h"

#define PORT_PROXY 25060
#define PORT_UAC 25070
#define PORT_A 25081
#define PORT_B 25082

enum behaviour {
	SILENT,
	ANSWER_503,
	ANSWER_180
};

struct peer {
	int fd;
	enum behaviour how;
	unsigned invites;
	unsigned acks;
	unsigned options;
	unsigned others; /* other requests */
	uint64_t first_ms, last_ms;
	unsigned statuses[8]; /* responses received (UAC) */
	unsigned nstatus;
	char branch[80]; /* last INVITE branch */
	char ack_branch[80];
	struct loop *l;
};

static struct sip_msg msg;

static int
udp_bind(uint16_t port)
{
	struct sa a;
	int fd;

	sa_set_cstr(&a, "127.0.0.1", port);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, &a.u.sa, a.len), 0);
	return fd;
}

static void
reply(struct peer *pr, const struct sa *to, uint16_t status)
{
	char out[4096];
	struct sip_wbuf w;

	sip_wbuf_init(&w, out, sizeof(out));
	assert_int_equal(
	    sip_build_response(&w, &msg, status, STR_NULL, STR("uas1"),
		STR_NULL, STR_NULL, STR_NULL, STR_NULL),
	    0);
	sendto(pr->fd, w.b, w.len, 0, &to->u.sa, to->len);
}

static void
on_peer(int fd, unsigned ev, void *arg)
{
	struct peer *pr = arg;
	char buf[8192];
	struct sa from;
	struct sip_limits lim;
	ssize_t n;

	sip_limits_default(&lim);
	for (;;) {
		from.len = sizeof(from.u.ss);
		n = recvfrom(fd, buf, sizeof(buf), 0, &from.u.sa, &from.len);
		if (n <= 0)
			return;
		if (sip_parse(&lim, &msg, buf, (size_t)n) != 0)
			continue;
		if (!msg.is_request) {
			if (pr->nstatus < 8)
				pr->statuses[pr->nstatus++] = msg.status;
			continue;
		}
		if (msg.method == SIP_METHOD_OPTIONS) {
			pr->options++;
			continue;
		}
		if (msg.method == SIP_METHOD_ACK) {
			pr->acks++;
			str_copy_cstr(msg.via[0].branch, pr->ack_branch,
			    sizeof(pr->ack_branch));
			continue;
		}
		if (msg.method != SIP_METHOD_INVITE) {
			pr->others++;
			continue;
		}
		pr->invites++;
		pr->last_ms = loop_clock_ms();
		if (!pr->first_ms)
			pr->first_ms = pr->last_ms;
		str_copy_cstr(
		    msg.via[0].branch, pr->branch, sizeof(pr->branch));
		if (pr->how == ANSWER_503)
			reply(pr, &from, 503);
		else if (pr->how == ANSWER_180 && pr->invites == 1)
			reply(pr, &from, 180);
	}
}

static void
stop_fire(void *arg)
{
	loop_stop(arg);
}

static const char invite[] =
    "INVITE sip:100@127.0.0.1:25060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:25070;branch=z9hG4bK-unit-1\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:200@127.0.0.1>;tag=abc\r\n"
    "To: <sip:100@127.0.0.1>\r\n"
    "Call-ID: txn-unit-1@127.0.0.1\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:200@127.0.0.1:25070>\r\n"
    "Content-Length: 0\r\n\r\n";

struct run {
	struct peer uac, a, b;
	uint64_t t0;
};

/*
 * Start a proxy with the given transaction settings, send one INVITE
 * from the UAC and run the loop for "ms".
 */
static void
run_case_req(struct run *r, const char *req, const char *txn_settings,
    enum behaviour ha, enum behaviour hb, unsigned ms)
{
	char path[] = "/tmp/centinela-txn-XXXXXX", db[64];
	struct loop_timer stop;
	struct loop *l;
	struct proxy *p;
	struct cfg *cfg;
	struct sa dst;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	snprintf(db, sizeof(db), "%s.db", path);
	fprintf(f,
	    "peers = ( { name = \"uac\"; cidr = \"127.0.0.1/32\"; "
	    "role = \"customer\"; class = \"access\"; } );\n"
	    "store = { uri = \"sqlite:%s\"; };\n"
	    "callerid = { enabled = false; };\n"
	    "listen = ( { transport = \"udp\"; address = \"127.0.0.1\"; "
	    "port = %d; } );\n"
	    "upstreams = (\n"
	    " { name = \"a\"; host = \"127.0.0.1\"; port = %d; "
	    "transport = \"udp\"; priority = 1; },\n"
	    " { name = \"b\"; host = \"127.0.0.1\"; port = %d; "
	    "transport = \"udp\"; priority = 2; } );\n"
	    "probe = { interval = 3600000; timeout = 3000; };\n"
	    "metrics = { port = 0; };\n"
	    "log = { level = \"error\"; };\n"
	    "transaction = { %s };\n",
	    db, PORT_PROXY, PORT_A, PORT_B, txn_settings);
	fclose(f);
	assert_int_equal(cfg_load(&cfg, path, stderr), 0);
	unlink(path);
	log_setup(LOGF_HUMAN, LOGL_ERROR, 2);
	memset(r, 0, sizeof(*r));
	memset(&stop, 0, sizeof(stop));
	assert_int_equal(loop_alloc(&l), 0);
	assert_int_equal(proxy_alloc(&p, l, cfg), 0);
	r->uac.fd = udp_bind(PORT_UAC);
	r->a.fd = udp_bind(PORT_A);
	r->b.fd = udp_bind(PORT_B);
	r->a.how = ha;
	r->b.how = hb;
	loop_fd_add(l, r->uac.fd, LOOP_READ, on_peer, &r->uac);
	loop_fd_add(l, r->a.fd, LOOP_READ, on_peer, &r->a);
	loop_fd_add(l, r->b.fd, LOOP_READ, on_peer, &r->b);
	sa_set_cstr(&dst, "127.0.0.1", PORT_PROXY);
	r->t0 = loop_clock_ms();
	assert_int_equal(
	    sendto(r->uac.fd, req, strlen(req), 0, &dst.u.sa, dst.len),
	    (ssize_t)strlen(req));
	loop_timer_start(l, &stop, ms, stop_fire, l);
	loop_run(l);
	loop_fd_del(l, r->uac.fd);
	loop_fd_del(l, r->a.fd);
	loop_fd_del(l, r->b.fd);
	close(r->uac.fd);
	close(r->a.fd);
	close(r->b.fd);
	proxy_free(p);
	loop_free(l);
	cfg_free(cfg);
	unlink(db);
	strncat(db, "-wal", sizeof(db) - strlen(db) - 1);
	unlink(db);
	db[strlen(db) - 4] = '\0';
	strncat(db, "-shm", sizeof(db) - strlen(db) - 1);
	unlink(db);
}

static void
run_case(struct run *r, const char *txn_settings, enum behaviour ha,
    enum behaviour hb, unsigned ms)
{
	run_case_req(r, invite, txn_settings, ha, hb, ms);
}

static bool
got_status(const struct peer *pr, unsigned status)
{
	unsigned i;

	for (i = 0; i < pr->nstatus; i++)
		if (pr->statuses[i] == status)
			return true;
	return false;
}

/* Timer A doubles from T1; timer B moves the call to the next upstream. */
static void
test_retransmit_then_timer_b(void **state)
{
	struct run r;

	run_case(&r, "t1 = 100; timer_b = 1000; failover_timeout = 0;", SILENT,
	    SILENT, 1250);
	/* A: sent at 0, 100, 300, 700 ms; B from 1000 ms on. */
	assert_int_equal(r.a.invites, 4);
	assert_in_range(r.b.invites, 1, 3);
	assert_in_range(r.b.first_ms - r.t0, 950, 1200);
	assert_true(got_status(&r.uac, 100));
	/* each attempt has its own branch */
	assert_string_not_equal(r.a.branch, r.b.branch);
}

/* No answer at all within failover_timeout: next upstream at once. */
static void
test_failover_timeout(void **state)
{
	struct run r;

	run_case(&r, "t1 = 100; timer_b = 5000; failover_timeout = 250;",
	    SILENT, SILENT, 400);
	assert_int_equal(r.a.invites, 2); /* 0 and 100 ms */
	assert_in_range(r.b.invites, 1, 2);
	assert_in_range(r.b.first_ms - r.t0, 230, 380);
}

/*
 * Silence past failover_timeout with no upstream left to try: the last
 * one keeps the INVITE (retransmitted) until timer B, then 408; no 503
 * at the failover deadline.
 */
static void
test_failover_timeout_last_upstream(void **state)
{
	struct run r;

	run_case(&r, "t1 = 100; timer_b = 1000; failover_timeout = 250;",
	    SILENT, SILENT, 1500);
	assert_int_equal(r.a.invites, 2); /* 0 and 100 ms */
	/* b: 250, 350, 550, 950 ms; timer B at 1250 */
	assert_int_equal(r.b.invites, 4);
	assert_true(r.b.last_ms - r.t0 >= 900);
	assert_false(got_status(&r.uac, 503));
	assert_true(got_status(&r.uac, 408));
}

/* A 503 is ACKed hop by hop and the INVITE goes to the next upstream. */
static void
test_503_failover_and_ack(void **state)
{
	struct run r;

	run_case(&r, "t1 = 500; timer_b = 5000; failover_timeout = 2000;",
	    ANSWER_503, ANSWER_180, 300);
	assert_int_equal(r.a.invites, 1);
	assert_int_equal(r.a.acks, 1);
	assert_string_equal(r.a.ack_branch, r.a.branch);
	assert_int_equal(r.b.invites, 1);
	assert_true(got_status(&r.uac, 180));
	assert_false(got_status(&r.uac, 503));
}

/* Every upstream says 503: the caller gets the last 503. */
static void
test_all_upstreams_fail(void **state)
{
	struct run r;

	run_case(&r, "t1 = 500; timer_b = 5000; failover_timeout = 2000;",
	    ANSWER_503, ANSWER_503, 300);
	assert_int_equal(r.a.invites, 1);
	assert_int_equal(r.b.invites, 1);
	assert_int_equal(r.a.acks, 1);
	assert_true(got_status(&r.uac, 503));
}

/* A provisional answer stops INVITE retransmissions (timer A). */
static void
test_provisional_stops_retransmission(void **state)
{
	struct run r;

	run_case(&r, "t1 = 100; timer_b = 5000; failover_timeout = 2000;",
	    ANSWER_180, SILENT, 700);
	assert_int_equal(r.a.invites, 1);
	assert_int_equal(r.b.invites, 0);
	assert_true(got_status(&r.uac, 180));
	/* answered within trying_delay: no 100 Trying of our own */
	assert_false(got_status(&r.uac, 100));
}

/* Timer B with no upstream left: 408 to the caller. */
static void
test_timeout_everywhere_408(void **state)
{
	struct run r;

	run_case(&r, "t1 = 100; timer_b = 300; failover_timeout = 0;", SILENT,
	    SILENT, 800);
	assert_true(r.a.invites >= 2);
	assert_true(r.b.invites >= 2);
	assert_true(got_status(&r.uac, 408));
}

/*
 * A request inside a dialog (To tag) that did not come through our
 * Record-Route goes statelessly to the call's upstream: no 100, no
 * retransmission by us, no failover.
 */
static void
test_in_dialog_is_stateless(void **state)
{
	static const char bye[] =
	    "BYE sip:100@127.0.0.1:25060 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:25070;branch=z9hG4bK-unit-bye\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: <sip:200@127.0.0.1>;tag=abc\r\n"
	    "To: <sip:100@127.0.0.1>;tag=uas1\r\n"
	    "Call-ID: txn-unit-1@127.0.0.1\r\n"
	    "CSeq: 2 BYE\r\n"
	    "Content-Length: 0\r\n\r\n";
	struct run r;

	run_case_req(&r, bye,
	    "t1 = 100; timer_b = 300; failover_timeout = 150;", SILENT, SILENT,
	    700);
	assert_int_equal(r.a.others, 1);
	assert_int_equal(r.b.others, 0);
	assert_int_equal(r.uac.nstatus, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retransmit_then_timer_b),
		cmocka_unit_test(test_failover_timeout),
		cmocka_unit_test(test_failover_timeout_last_upstream),
		cmocka_unit_test(test_503_failover_and_ack),
		cmocka_unit_test(test_all_upstreams_fail),
		cmocka_unit_test(test_provisional_stops_retransmission),
		cmocka_unit_test(test_timeout_everywhere_408),
		cmocka_unit_test(test_in_dialog_is_stateless),
	};

	return cmocka_run_group_tests_name("route_txn", tests, NULL, NULL);
}

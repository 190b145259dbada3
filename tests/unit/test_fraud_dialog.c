/*
 * tests/unit/test_fraud_dialog.c -- dialog tracking: every way a call
 * ends, each exactly once; retransmissions, stray and late requests;
 * the two timeouts on a real loop; a full table; a random run of
 * 100,000 dialogs against a model; shutdown with open dialogs.
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
#include <time.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/str.h"
#include "fraud/dialog.h"

#define LOG_MAX 64

/*
 * The small cases speak of one INVITE (key K_INVITE) from CALLER
 * answered by CALLEE, and of BYEs the other party accepts; the key and
 * party rules have their own test (test_keys_and_parties).
 */
#define K_INVITE 0x1111u
#define K_BYE 0x2222u
static struct sa caller_sa, callee_sa, third_sa;

static int
t_start(struct dlg_table *t, struct str cid, struct str tag, void *owner,
    uint32_t cls)
{
	return dlg_start(t, cid, tag, owner, cls, K_INVITE, &caller_sa);
}

static void
t_answered(struct dlg_table *t, struct str cid, struct str tag)
{
	dlg_answered(t, cid, tag, K_INVITE, &callee_sa);
}

static void
t_failed(struct dlg_table *t, struct str cid, struct str tag)
{
	dlg_failed(t, cid, tag, K_INVITE);
}

static void
t_cancel(struct dlg_table *t, struct str cid, struct str tag)
{
	dlg_cancel(t, cid, tag, K_INVITE);
}

/* A BYE from the caller, accepted (2xx) by the callee. */
static void
t_bye(struct dlg_table *t, struct str cid, struct str from, struct str to)
{
	dlg_bye_seen(t, cid, from, to, K_BYE, &caller_sa);
	dlg_bye(t, cid, from, to, K_BYE, &callee_sa);
}

/* What the end callback saw, for the small cases. */
struct rec {
	struct dlg_table *t;
	struct dlg_info log[LOG_MAX];
	unsigned n;
	bool restart; /* start "re@h"/"rN" from the callback */
	unsigned restarts;
	int restart_err;
};

static void
on_end(const struct dlg_info *info, void *arg)
{
	struct rec *r = arg;

	assert_true(r->n < LOG_MAX);
	r->log[r->n++] = *info;
	if (r->restart) {
		char tag[16];

		snprintf(tag, sizeof(tag), "r%u", r->restarts);
		r->restart_err = t_start(
		    r->t, STR("re@h"), str_make(tag, strlen(tag)), NULL, 99);
		if (r->restart_err == 0)
			r->restarts++;
	}
}

static const struct dlg_conf conf_slow = { 16, 3600, 60 };

static void
setup_table(struct loop **lp, struct rec *r, const struct dlg_conf *c)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(loop_alloc(lp), 0);
	assert_int_equal(dlg_table_alloc(&r->t, *lp, c, on_end, r), 0);
}

static void
check_active(struct dlg_table *t, uint64_t active)
{
	struct dlg_stats st;
	uint64_t ended = 0;
	unsigned i;

	dlg_stats(t, &st);
	for (i = 0; i < DLG_END__COUNT; i++)
		ended += st.ended[i];
	assert_int_equal(st.active, active);
	assert_int_equal(st.started - ended, st.active);
}

static void
nap_ms(unsigned ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

static void
test_bye_from_caller_and_callee(void **state)
{
	struct loop *l;
	struct rec r;
	struct dlg_stats st;
	int a = 1, b = 2;
	unsigned i;

	setup_table(&l, &r, &conf_slow);
	assert_int_equal(t_start(r.t, STR("a@h"), STR("ta"), &a, 7), 0);
	assert_int_equal(t_start(r.t, STR("b@h"), STR("tb"), &b, 8), 0);
	check_active(r.t, 2);
	nap_ms(30);
	t_answered(r.t, STR("a@h"), STR("ta"));
	t_answered(r.t, STR("b@h"), STR("tb"));
	t_answered(r.t, STR("a@h"), STR("ta")); /* a second 2xx */
	nap_ms(30);
	/* The caller hangs up A; the callee hangs up B (tags swapped). */
	t_bye(r.t, STR("a@h"), STR("ta"), STR("ca"));
	assert_int_equal(r.n, 1);
	t_bye(r.t, STR("b@h"), STR("cb"), STR("tb"));
	assert_int_equal(r.n, 2);
	for (i = 0; i < 2; i++) {
		const struct dlg_info *in = &r.log[i];

		assert_int_equal(in->how, DLG_END_BYE);
		assert_ptr_equal(in->owner, i == 0 ? &a : &b);
		assert_int_equal(in->tag, i == 0 ? 7 : 8);
		assert_true(in->answered_ms - in->started_ms >= 25);
		assert_true(in->answered_ms - in->started_ms < 2000);
		assert_true(in->ended_ms - in->answered_ms >= 25);
		assert_true(in->ended_ms - in->answered_ms < 2000);
	}
	assert_false(dlg_exists(r.t, STR("a@h"), STR("ta")));
	assert_false(dlg_exists(r.t, STR("b@h"), STR("tb")));
	/* Late BYEs, answers and failures find nothing. */
	t_bye(r.t, STR("a@h"), STR("ta"), STR("ca"));
	t_bye(r.t, STR("b@h"), STR("cb"), STR("tb"));
	t_answered(r.t, STR("a@h"), STR("ta"));
	t_failed(r.t, STR("b@h"), STR("tb"));
	t_cancel(r.t, STR("b@h"), STR("tb"));
	assert_int_equal(r.n, 2);
	dlg_stats(r.t, &st);
	assert_int_equal(st.started, 2);
	assert_int_equal(st.ended[DLG_END_BYE], 2);
	check_active(r.t, 0);
	assert_string_equal(dlg_end_name(DLG_END_BYE), "bye");
	assert_string_equal(
	    dlg_end_name(DLG_END_TIMEOUT_EARLY), "timeout_early");
	assert_string_equal(dlg_end_name(DLG_END__COUNT), "?");
	dlg_table_free(r.t);
	assert_int_equal(r.n, 2);
	loop_free(l);
}

static void
test_cancel_failed_and_early_bye(void **state)
{
	struct loop *l;
	struct rec r;
	struct dlg_stats st;

	setup_table(&l, &r, &conf_slow);
	/* CANCEL before the answer ends the call. */
	assert_int_equal(t_start(r.t, STR("c1@h"), STR("t1"), NULL, 1), 0);
	t_cancel(r.t, STR("c1@h"), STR("t1"));
	assert_int_equal(r.n, 1);
	assert_int_equal(r.log[0].how, DLG_END_CANCEL);
	assert_int_equal(r.log[0].answered_ms, 0);
	/* After the answer CANCEL and failures do nothing; BYE ends. */
	assert_int_equal(t_start(r.t, STR("c2@h"), STR("t2"), NULL, 2), 0);
	t_answered(r.t, STR("c2@h"), STR("t2"));
	t_cancel(r.t, STR("c2@h"), STR("t2"));
	t_failed(r.t, STR("c2@h"), STR("t2"));
	assert_int_equal(r.n, 1);
	assert_true(dlg_exists(r.t, STR("c2@h"), STR("t2")));
	t_bye(r.t, STR("c2@h"), STR("x"), STR("t2"));
	assert_int_equal(r.n, 2);
	assert_int_equal(r.log[1].how, DLG_END_BYE);
	assert_true(r.log[1].answered_ms > 0);
	/* A final failure ends an unanswered call. */
	assert_int_equal(t_start(r.t, STR("c3@h"), STR("t3"), NULL, 3), 0);
	t_failed(r.t, STR("c3@h"), STR("t3"));
	assert_int_equal(r.n, 3);
	assert_int_equal(r.log[2].how, DLG_END_FAILED);
	assert_int_equal(r.log[2].tag, 3);
	/* A BYE before any answer is ignored; the CANCEL then ends it. */
	assert_int_equal(t_start(r.t, STR("c4@h"), STR("t4"), NULL, 4), 0);
	t_bye(r.t, STR("c4@h"), STR("t4"), STR("y"));
	t_bye(r.t, STR("c4@h"), STR("y"), STR("t4"));
	assert_int_equal(r.n, 3);
	assert_true(dlg_exists(r.t, STR("c4@h"), STR("t4")));
	t_cancel(r.t, STR("c4@h"), STR("t4"));
	assert_int_equal(r.n, 4);
	assert_int_equal(r.log[3].how, DLG_END_CANCEL);
	/* A BYE naming another Call-ID or tag finds nothing. */
	assert_int_equal(t_start(r.t, STR("c5@h"), STR("t5"), NULL, 5), 0);
	t_answered(r.t, STR("c5@h"), STR("t5"));
	t_bye(r.t, STR("c5@H"), STR("t5"), STR("z"));
	t_bye(r.t, STR("c5@h"), STR("t6"), STR("t"));
	t_bye(r.t, STR("c5@h"), STR("t5x"), STR(""));
	assert_int_equal(r.n, 4);
	dlg_stats(r.t, &st);
	assert_int_equal(st.ended[DLG_END_CANCEL], 2);
	assert_int_equal(st.ended[DLG_END_FAILED], 1);
	assert_int_equal(st.ended[DLG_END_BYE], 1);
	check_active(r.t, 1);
	dlg_table_free(r.t);
	assert_int_equal(r.n, 5);
	assert_int_equal(r.log[4].how, DLG_END_SHUTDOWN);
	assert_int_equal(r.log[4].tag, 5);
	loop_free(l);
}

static void
test_retransmission_and_limits(void **state)
{
	struct loop *l;
	struct rec r;
	struct dlg_stats st;
	struct dlg_table *t2;
	struct dlg_conf bad;
	char cid[DLG_CALLID_MAX + 1], tag[DLG_TAG_MAX + 1];

	setup_table(&l, &r, &conf_slow);
	assert_int_equal(t_start(r.t, STR("x@h"), STR("tx"), NULL, 0), 0);
	assert_int_equal(t_start(r.t, STR("x@h"), STR("tx"), NULL, 0), EEXIST);
	t_answered(r.t, STR("x@h"), STR("tx"));
	assert_int_equal(t_start(r.t, STR("x@h"), STR("tx"), NULL, 0), EEXIST);
	/* The same Call-ID with another From tag is another dialog. */
	assert_int_equal(t_start(r.t, STR("x@h"), STR("ty"), NULL, 0), 0);
	dlg_stats(r.t, &st);
	assert_int_equal(st.started, 2);
	check_active(r.t, 2);

	memset(cid, 'c', sizeof(cid));
	memset(tag, 'g', sizeof(tag));
	assert_int_equal(t_start(r.t, STR(""), STR("t"), NULL, 0), EINVAL);
	assert_int_equal(t_start(r.t, STR("c"), STR(""), NULL, 0), EINVAL);
	assert_int_equal(
	    t_start(r.t, str_make(cid, sizeof(cid)), STR("t"), NULL, 0),
	    EINVAL);
	assert_int_equal(
	    t_start(r.t, STR("c"), str_make(tag, sizeof(tag)), NULL, 0),
	    EINVAL);
	assert_int_equal(t_start(r.t, str_make(cid, DLG_CALLID_MAX),
			     str_make(tag, DLG_TAG_MAX), NULL, 0),
	    0);
	assert_true(dlg_exists(
	    r.t, str_make(cid, DLG_CALLID_MAX), str_make(tag, DLG_TAG_MAX)));
	t_cancel(
	    r.t, str_make(cid, DLG_CALLID_MAX), str_make(tag, DLG_TAG_MAX));
	assert_int_equal(r.n, 1);
	/* Oversized stray requests are ignored. */
	t_bye(r.t, str_make(cid, sizeof(cid)), STR("tx"), STR("tx"));
	t_bye(r.t, STR("x@h"), str_make(tag, sizeof(tag)), STR(""));
	assert_int_equal(r.n, 1);
	dlg_stats(r.t, &st);
	assert_int_equal(st.started, 3);
	assert_int_equal(st.refused_full, 0);
	check_active(r.t, 2);

	bad = conf_slow;
	bad.max_dialogs = 0;
	assert_int_equal(dlg_table_alloc(&t2, l, &bad, on_end, &r), EINVAL);
	bad = conf_slow;
	bad.max_duration = 0;
	assert_int_equal(dlg_table_alloc(&t2, l, &bad, on_end, &r), EINVAL);
	bad = conf_slow;
	bad.early_timeout = 0;
	assert_int_equal(dlg_table_alloc(&t2, l, &bad, on_end, &r), EINVAL);
	bad = conf_slow;
	bad.max_dialogs = DLG_MAX_DIALOGS_LIMIT + 1;
	assert_int_equal(dlg_table_alloc(&t2, l, &bad, on_end, &r), EINVAL);
	assert_int_equal(
	    dlg_table_alloc(&t2, NULL, &conf_slow, on_end, &r), EINVAL);
	assert_int_equal(dlg_table_alloc(&t2, l, &conf_slow, NULL, &r), EINVAL);
	dlg_table_free(NULL);

	dlg_table_free(r.t);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.log[1].how, DLG_END_SHUTDOWN);
	assert_int_equal(r.log[2].how, DLG_END_SHUTDOWN);
	loop_free(l);
}

static void
test_table_full(void **state)
{
	const struct dlg_conf c = { 2, 3600, 60 };
	struct loop *l;
	struct rec r;
	struct dlg_stats st;

	setup_table(&l, &r, &c);
	assert_int_equal(t_start(r.t, STR("f1"), STR("t"), NULL, 0), 0);
	assert_int_equal(t_start(r.t, STR("f2"), STR("t"), NULL, 0), 0);
	assert_int_equal(t_start(r.t, STR("f3"), STR("t"), NULL, 0), ENOSPC);
	assert_int_equal(t_start(r.t, STR("f3"), STR("t"), NULL, 0), ENOSPC);
	/* A retransmission is not a refusal, full or not. */
	assert_int_equal(t_start(r.t, STR("f1"), STR("t"), NULL, 0), EEXIST);
	dlg_stats(r.t, &st);
	assert_int_equal(st.refused_full, 2);
	assert_int_equal(st.started, 2);
	assert_int_equal(st.capacity, 2);
	assert_false(dlg_exists(r.t, STR("f3"), STR("t")));
	t_failed(r.t, STR("f1"), STR("t"));
	assert_int_equal(t_start(r.t, STR("f3"), STR("t"), NULL, 0), 0);
	assert_int_equal(t_start(r.t, STR("f4"), STR("t"), NULL, 0), ENOSPC);
	/* The callback may start a call in the slot its end freed. */
	r.restart = true;
	t_cancel(r.t, STR("f2"), STR("t"));
	assert_int_equal(r.restart_err, 0);
	assert_int_equal(r.restarts, 1);
	assert_true(dlg_exists(r.t, STR("re@h"), STR("r0")));
	check_active(r.t, 2);
	r.restart = false;
	dlg_stats(r.t, &st);
	assert_int_equal(st.refused_full, 3);
	assert_int_equal(st.started, 4);
	dlg_table_free(r.t);
	assert_int_equal(r.n, 4);
	loop_free(l);
}

/* The timeout case runs a real loop, driven by these steps. */
struct tl {
	struct rec r;
	struct loop *l;
	struct loop_timer t_start, t_bye, t_stop;
	int64_t t0;
};

static void
tl_start(void *arg)
{
	struct tl *x = arg;

	/* E never answered; U answered at once. */
	assert_int_equal(t_start(x->r.t, STR("e@h"), STR("te"), NULL, 1), 0);
	assert_int_equal(t_start(x->r.t, STR("u@h"), STR("tu"), NULL, 2), 0);
	t_answered(x->r.t, STR("u@h"), STR("tu"));
}

static void
tl_bye(void *arg)
{
	struct tl *x = arg;

	/* X was the nearest deadline; the timer will fire for nothing. */
	t_bye(x->r.t, STR("x@h"), STR("tx"), STR("cx"));
	assert_int_equal(x->r.n, 1);
	assert_int_equal(x->r.log[0].how, DLG_END_BYE);
	x->r.restart = true;
}

static void
tl_stop(void *arg)
{
	struct tl *x = arg;

	loop_stop(x->l);
}

static void
test_timeouts_on_loop(void **state)
{
	const struct dlg_conf c = { 8, 1, 1 };
	struct tl x;
	struct dlg_stats st;
	unsigned i, seen_e = 0, seen_u = 0;
	int64_t t1;

	memset(&x, 0, sizeof(x));
	setup_table(&x.l, &x.r, &c);
	x.t0 = (int64_t)loop_clock_ms();
	assert_int_equal(t_start(x.r.t, STR("x@h"), STR("tx"), NULL, 3), 0);
	t_answered(x.r.t, STR("x@h"), STR("tx"));
	assert_int_equal(
	    loop_timer_start(x.l, &x.t_start, 300, tl_start, &x), 0);
	assert_int_equal(loop_timer_start(x.l, &x.t_bye, 500, tl_bye, &x), 0);
	assert_int_equal(
	    loop_timer_start(x.l, &x.t_stop, 1700, tl_stop, &x), 0);
	assert_int_equal(loop_run(x.l), 0);
	t1 = (int64_t)loop_clock_ms();
	assert_true(t1 - x.t0 < 3000);

	/* X by BYE, then E and U by their timeouts, once each. */
	assert_int_equal(x.r.n, 3);
	for (i = 1; i < x.r.n; i++) {
		const struct dlg_info *in = &x.r.log[i];

		if (in->tag == 1) {
			seen_e++;
			assert_int_equal(in->how, DLG_END_TIMEOUT_EARLY);
			assert_int_equal(in->answered_ms, 0);
			assert_true(in->ended_ms - in->started_ms >= 1000);
			assert_true(in->ended_ms - in->started_ms < 1300);
		} else {
			seen_u++;
			assert_int_equal(in->tag, 2);
			assert_int_equal(in->how, DLG_END_TIMEOUT);
			assert_true(in->answered_ms > 0);
			assert_true(in->ended_ms - in->answered_ms >= 1000);
			assert_true(in->ended_ms - in->answered_ms < 1300);
		}
	}
	assert_int_equal(seen_e, 1);
	assert_int_equal(seen_u, 1);
	/* Each timeout's callback started a call (re-entrancy). */
	assert_int_equal(x.r.restarts, 2);
	assert_true(dlg_exists(x.r.t, STR("re@h"), STR("r0")));
	assert_true(dlg_exists(x.r.t, STR("re@h"), STR("r1")));
	x.r.restart = false;
	/* Late requests for the timed-out calls find nothing. */
	t_bye(x.r.t, STR("u@h"), STR("tu"), STR("cu"));
	t_failed(x.r.t, STR("e@h"), STR("te"));
	assert_int_equal(x.r.n, 3);
	dlg_stats(x.r.t, &st);
	assert_int_equal(st.ended[DLG_END_TIMEOUT_EARLY], 1);
	assert_int_equal(st.ended[DLG_END_TIMEOUT], 1);
	assert_int_equal(st.ended[DLG_END_BYE], 1);
	check_active(x.r.t, 2);
	dlg_table_free(x.r.t);
	assert_int_equal(x.r.n, 5);
	assert_int_equal(x.r.log[3].how, DLG_END_SHUTDOWN);
	assert_int_equal(x.r.log[4].how, DLG_END_SHUTDOWN);
	loop_free(x.l);
}

static void
test_free_with_open_dialogs(void **state)
{
	struct loop *l;
	struct rec r;

	setup_table(&l, &r, &conf_slow);
	assert_int_equal(t_start(r.t, STR("s1"), STR("t"), NULL, 1), 0);
	assert_int_equal(t_start(r.t, STR("s2"), STR("t"), NULL, 2), 0);
	assert_int_equal(t_start(r.t, STR("s3"), STR("t"), NULL, 3), 0);
	t_answered(r.t, STR("s2"), STR("t"));
	r.restart = true; /* refused while the table closes */
	dlg_table_free(r.t);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.restarts, 0);
	assert_int_equal(r.restart_err, ESHUTDOWN);
	assert_int_equal(r.log[0].how, DLG_END_SHUTDOWN);
	assert_int_equal(r.log[1].how, DLG_END_SHUTDOWN);
	assert_int_equal(r.log[2].how, DLG_END_SHUTDOWN);
	assert_int_equal(r.log[0].tag + r.log[1].tag + r.log[2].tag, 6);
	loop_free(l);
}

/*
 * The random run: a model of every dialog, checked at every step.
 */
#define RND_DIALOGS 100000u
#define RND_CAP 512u

enum m_state {
	M_NEW = 0,
	M_EARLY,
	M_UP,
	M_ENDED,
	M_REFUSED
};

struct model {
	struct dlg_table *t;
	uint8_t state[RND_DIALOGS];
	uint32_t open[RND_DIALOGS]; /* ids of open dialogs */
	uint32_t pos[RND_DIALOGS]; /* their index in open[] */
	unsigned nopen;
	uint64_t started, ended;
	/* The end the next call must cause: id, how (or none). */
	bool expect;
	uint32_t expect_id;
	enum dlg_end expect_how;
	bool shutdown;
	uint64_t rng;
};

static uint64_t
rnd(struct model *m)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return m->rng;
}

static uint32_t
mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/*
 * Keys are a function of the id: pairs of ids share a Call-ID (two From
 * tags), lengths vary up to past the limits (those starts are EINVAL).
 */
struct mkey {
	char cid[DLG_CALLID_MAX + 16];
	char tag[DLG_TAG_MAX + 16];
	char ctag[24]; /* the callee's tag */
	struct str c, f, to;
};

static void
key_of(uint32_t id, struct mkey *k)
{
	uint32_t h = mix32(id >> 1), g = mix32(id ^ 0xabcdef);
	size_t cl = h % 100 == 0 ? DLG_CALLID_MAX + 1 + h % 8 : 10 + h % 90;
	size_t tl = g % 97 == 0 ? DLG_TAG_MAX + 1 : 9 + g % 30;
	int n;

	n = snprintf(k->cid, sizeof(k->cid), "%08x@", id >> 1);
	memset(k->cid + n, 'a' + (int)(h % 26), sizeof(k->cid) - (size_t)n);
	n = snprintf(k->tag, sizeof(k->tag), "%08x-", id);
	memset(k->tag + n, 'A' + (int)(g % 26), sizeof(k->tag) - (size_t)n);
	snprintf(k->ctag, sizeof(k->ctag), "callee%u", id);
	k->c = str_make(k->cid, cl);
	k->f = str_make(k->tag, tl);
	k->to = str_make(k->ctag, strlen(k->ctag));
}

static bool
key_valid(const struct mkey *k)
{
	return k->c.len <= DLG_CALLID_MAX && k->f.len <= DLG_TAG_MAX;
}

static void
m_close(struct model *m, uint32_t id)
{
	uint32_t last = m->open[--m->nopen];

	m->open[m->pos[id]] = last;
	m->pos[last] = m->pos[id];
	m->state[id] = M_ENDED;
	m->ended++;
}

static void
m_end(const struct dlg_info *info, void *arg)
{
	struct model *m = arg;
	uint32_t id = (uint32_t)(uintptr_t)info->owner - 1;

	assert_true(id < RND_DIALOGS);
	assert_int_equal(info->tag, id);
	assert_true(m->state[id] == M_EARLY || m->state[id] == M_UP);
	if (m->shutdown) {
		assert_int_equal(info->how, DLG_END_SHUTDOWN);
	} else {
		assert_true(m->expect);
		assert_int_equal(id, m->expect_id);
		assert_int_equal(info->how, m->expect_how);
		m->expect = false;
	}
	m_close(m, id);
}

static void
m_check(struct model *m)
{
	struct dlg_stats st;
	uint64_t ended = 0;
	unsigned i;

	assert_false(m->expect); /* the end expected did happen */
	dlg_stats(m->t, &st);
	for (i = 0; i < DLG_END__COUNT; i++)
		ended += st.ended[i];
	assert_int_equal(st.started, m->started);
	assert_int_equal(ended, m->ended);
	assert_int_equal(st.active, m->nopen);
	assert_int_equal(st.active, st.started - ended);
	assert_true(st.active <= RND_CAP);
}

static void
m_expect(struct model *m, uint32_t id, enum dlg_end how)
{
	m->expect = true;
	m->expect_id = id;
	m->expect_how = how;
}

static void
test_random_model(void **state)
{
	struct model *m;
	struct loop *l;
	struct dlg_stats st;
	const struct dlg_conf c = { RND_CAP, 3600, 600 };
	uint64_t bytes0, steps = 0, refused = 0, invalid = 0;
	uint32_t next = 0, id;
	struct mkey k;
	int err;

	m = calloc(1, sizeof(*m));
	assert_non_null(m);
	m->rng = 0x9e3779b97f4a7c15ULL;
	assert_int_equal(loop_alloc(&l), 0);
	assert_int_equal(dlg_table_alloc(&m->t, l, &c, m_end, m), 0);
	dlg_stats(m->t, &st);
	bytes0 = st.bytes;

	/* The dialogs still open at the end go to dlg_table_free(). */
	while (next < RND_DIALOGS && steps < 40ull * RND_DIALOGS) {
		/* Bursts of starts fill the table; quiet spells drain it. */
		unsigned burst = (unsigned)(steps / 16384) % 2 ? 26 : 10;
		unsigned r = (unsigned)(rnd(m) % 100);

		steps++;
		if (rnd(m) % 100 < burst) {
			id = next++;
			key_of(id, &k);
			err = t_start(
			    m->t, k.c, k.f, (void *)(uintptr_t)(id + 1), id);
			if (!key_valid(&k)) {
				assert_int_equal(err, EINVAL);
				m->state[id] = M_REFUSED;
				invalid++;
			} else if (m->nopen == RND_CAP) {
				assert_int_equal(err, ENOSPC);
				m->state[id] = M_REFUSED;
				refused++;
			} else {
				assert_int_equal(err, 0);
				m->state[id] = M_EARLY;
				m->pos[id] = m->nopen;
				m->open[m->nopen++] = id;
				m->started++;
			}
		} else if (r < 88 && m->nopen > 0) {
			id = m->open[rnd(m) % m->nopen];
			key_of(id, &k);
			if (r < 26) {
				err = t_start(m->t, k.c, k.f, NULL, 0);
				assert_int_equal(err, EEXIST);
			} else if (r < 42) {
				t_answered(m->t, k.c, k.f);
				m->state[id] = M_UP;
			} else if (r < 50) {
				if (m->state[id] == M_EARLY)
					m_expect(m, id, DLG_END_CANCEL);
				t_cancel(m->t, k.c, k.f);
			} else if (r < 58) {
				if (m->state[id] == M_EARLY)
					m_expect(m, id, DLG_END_FAILED);
				t_failed(m->t, k.c, k.f);
			} else if (r < 73) {
				if (m->state[id] == M_UP)
					m_expect(m, id, DLG_END_BYE);
				t_bye(m->t, k.c, k.f, k.to);
			} else {
				if (m->state[id] == M_UP)
					m_expect(m, id, DLG_END_BYE);
				t_bye(m->t, k.c, k.to, k.f);
			}
		} else if (next > 0) {
			/* Stray: a call that ended, was refused, or a bad tag. */
			id = (uint32_t)(rnd(m) % next);
			key_of(id, &k);
			if (m->state[id] == M_EARLY || m->state[id] == M_UP) {
				assert_true(dlg_exists(m->t, k.c, k.f));
				t_bye(m->t, k.c, STR("stray"), STR("x"));
				t_answered(m->t, k.c, k.to);
				t_cancel(m->t, k.c, k.to);
			} else {
				assert_false(dlg_exists(m->t, k.c, k.f));
				t_bye(m->t, k.c, k.f, k.to);
				t_bye(m->t, k.c, k.to, k.f);
				t_answered(m->t, k.c, k.f);
				t_cancel(m->t, k.c, k.f);
				t_failed(m->t, k.c, k.f);
			}
		}
		m_check(m);
	}
	assert_int_equal(next, RND_DIALOGS);
	dlg_stats(m->t, &st);
	assert_int_equal(st.bytes, bytes0);
	assert_true(m->started > RND_DIALOGS / 2);
	assert_true(m->nopen > 0);
	assert_int_equal(st.refused_full, refused);
	print_message("random: %llu steps, %llu started, %llu refused full, "
		      "%llu invalid, %u open at the end (shutdown)\n",
	    (unsigned long long)steps, (unsigned long long)m->started,
	    (unsigned long long)refused, (unsigned long long)invalid, m->nopen);
	m->shutdown = true;
	dlg_table_free(m->t);
	/* Every started dialog ended exactly once (m_end checks "once"). */
	assert_int_equal(m->nopen, 0);
	assert_int_equal(m->ended, m->started);
	for (id = 0; id < RND_DIALOGS; id++)
		assert_true(
		    m->state[id] == M_ENDED || m->state[id] == M_REFUSED);
	loop_free(l);
	free(m);
}

/* Figures, not asserted: bytes per dialog, start+end per second. */
#define SPEED_KEYS 4096u
#define SPEED_OPEN 1000u
#define SPEED_N 1000000u

static void
count_end(const struct dlg_info *info, void *arg)
{
	(*(uint64_t *)arg)++;
}

static void
test_speed(void **state)
{
	struct loop *l;
	struct dlg_table *t;
	struct dlg_stats st;
	const struct dlg_conf c = { 65536, 3600, 600 };
	static char cid[SPEED_KEYS][64], tag[SPEED_KEYS][12];
	uint64_t ends = 0, t0, t1;
	uint32_t i, j;

	assert_int_equal(loop_alloc(&l), 0);
	assert_int_equal(dlg_table_alloc(&t, l, &c, count_end, &ends), 0);
	for (i = 0; i < SPEED_KEYS; i++) {
		snprintf(cid[i], sizeof(cid[i]),
		    "%08x-%08x-4c1a-9b2e-%012x@10.1.2.3", mix32(i), mix32(~i),
		    i);
		snprintf(tag[i], sizeof(tag[i]), "%08x", mix32(i + 7));
	}
	t0 = loop_clock_ms();
	for (i = 0; i < SPEED_N; i++) {
		struct str ci, ti;

		j = i % SPEED_KEYS;
		ci = str_make(cid[j], strlen(cid[j]));
		ti = str_make(tag[j], strlen(tag[j]));
		assert_int_equal(t_start(t, ci, ti, NULL, 0), 0);
		t_answered(t, ci, ti);
		if (i >= SPEED_OPEN) {
			j = (i - SPEED_OPEN) % SPEED_KEYS;
			t_bye(t, str_make(cid[j], strlen(cid[j])),
			    STR("calleetag"), str_make(tag[j], strlen(tag[j])));
		}
	}
	t1 = loop_clock_ms();
	assert_int_equal(ends, SPEED_N - SPEED_OPEN);
	dlg_stats(t, &st);
	print_message("dialog: %llu bytes per dialog (slot + bucket), "
		      "%llu bytes for %llu dialogs\n",
	    (unsigned long long)st.bytes_per_dialog,
	    (unsigned long long)st.bytes, (unsigned long long)st.capacity);
	print_message("dialog: start+answer+bye (callee side) %.0f calls/s "
		      "(%u calls, %u open)\n",
	    (double)SPEED_N * 1000.0 / (double)(t1 > t0 ? t1 - t0 : 1), SPEED_N,
	    SPEED_OPEN);
	dlg_table_free(t);
	assert_int_equal(ends, SPEED_N);
	loop_free(l);
}

/*
 * Only the final answer to the INVITE that started the dialog answers
 * or fails it; a BYE ends it only when the other party accepts it.
 */
static void
test_keys_and_parties(void **state)
{
	struct loop *l;
	struct rec r;

	(void)state;
	setup_table(&l, &r, &conf_slow);
	assert_int_equal(t_start(r.t, STR("k@h"), STR("tk"), NULL, 1), 0);
	/* Answers to another request with the same Call-ID and tag. */
	dlg_failed(r.t, STR("k@h"), STR("tk"), K_INVITE + 1);
	dlg_cancel(r.t, STR("k@h"), STR("tk"), K_INVITE + 1);
	dlg_answered(r.t, STR("k@h"), STR("tk"), K_INVITE + 1, &callee_sa);
	assert_true(dlg_exists(r.t, STR("k@h"), STR("tk")));
	assert_int_equal(r.n, 0);
	/* The right 2xx: answered; a later failure changes nothing. */
	t_answered(r.t, STR("k@h"), STR("tk"));
	t_failed(r.t, STR("k@h"), STR("tk"));
	assert_int_equal(r.n, 0);
	/* A 2xx to a BYE nobody was seen sending. */
	dlg_bye(r.t, STR("k@h"), STR("tk"), STR("ck"), K_BYE, &callee_sa);
	assert_int_equal(r.n, 0);
	/* A third party's BYE is not noted. */
	dlg_bye_seen(r.t, STR("k@h"), STR("tk"), STR("ck"), K_BYE, &third_sa);
	dlg_bye(r.t, STR("k@h"), STR("tk"), STR("ck"), K_BYE, &third_sa);
	dlg_bye(r.t, STR("k@h"), STR("tk"), STR("ck"), K_BYE, &callee_sa);
	assert_int_equal(r.n, 0);
	/*
	 * The caller's BYE routed to a server of its own: the 2xx comes
	 * from the caller's side or a third party, not from the callee.
	 */
	dlg_bye_seen(r.t, STR("k@h"), STR("tk"), STR("ck"), K_BYE, &caller_sa);
	dlg_bye(r.t, STR("k@h"), STR("tk"), STR("ck"), K_BYE, &caller_sa);
	dlg_bye(r.t, STR("k@h"), STR("tk"), STR("ck"), K_BYE, &third_sa);
	/* The callee's 2xx to another request. */
	dlg_bye(r.t, STR("k@h"), STR("tk"), STR("ck"), K_BYE + 1, &callee_sa);
	assert_int_equal(r.n, 0);
	/* The callee's BYE, accepted by the caller: the end. */
	dlg_bye_seen(
	    r.t, STR("k@h"), STR("ck"), STR("tk"), K_BYE + 7, &callee_sa);
	dlg_bye(r.t, STR("k@h"), STR("ck"), STR("tk"), K_BYE + 7, &callee_sa);
	assert_int_equal(r.n, 0);
	dlg_bye(r.t, STR("k@h"), STR("ck"), STR("tk"), K_BYE + 7, &caller_sa);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.log[0].how, DLG_END_BYE);
	assert_false(dlg_exists(r.t, STR("k@h"), STR("tk")));
	/* A call whose caller address is unknown ends by timeout only. */
	assert_int_equal(
	    dlg_start(r.t, STR("n@h"), STR("tn"), NULL, 1, K_INVITE, NULL), 0);
	t_answered(r.t, STR("n@h"), STR("tn"));
	t_bye(r.t, STR("n@h"), STR("tn"), STR("cn"));
	assert_true(dlg_exists(r.t, STR("n@h"), STR("tn")));
	check_active(r.t, 1);
	dlg_table_free(r.t);
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bye_from_caller_and_callee),
		cmocka_unit_test(test_cancel_failed_and_early_bye),
		cmocka_unit_test(test_retransmission_and_limits),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_keys_and_parties),
		cmocka_unit_test(test_timeouts_on_loop),
		cmocka_unit_test(test_free_with_open_dialogs),
		cmocka_unit_test(test_random_model),
		cmocka_unit_test(test_speed),
	};

	if (sa_set_cstr(&caller_sa, "192.0.2.1", 5060) ||
	    sa_set_cstr(&callee_sa, "2001:db8::2", 5060) ||
	    sa_set_cstr(&third_sa, "198.51.100.3", 5060))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

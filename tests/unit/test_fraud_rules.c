/*
 * tests/unit/test_fraud_rules.c -- the toll-fraud rules engine and its
 * configuration: every rule below, at and above its levels, shadow
 * mode, windows that slide and expire exactly, overrides per account
 * and trunk, classes, hours in a time zone, the learned baseline,
 * concurrency model-checked over 100,000 random starts and ends,
 * eviction, memory per subject, the persistent blob (round trip,
 * restart across time, corrupt blobs, the decoder for tools), the dirty
 * list of write-behind, and each configuration error as
 * FILE:LINE. The clock is injected; the destination table is a temp
 * file loaded through the configuration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/cfg.h"
#include "core/log.h"
#include "fraud/dest.h"
#include "fraud/fraud.h"
#include "fraud/tzoff.h"

#define FIXED "34911000001"
#define FIXED2 "34911000002"
#define PREMIUM "34803123456"
#define SATELLITE "8816123456"

static char dest_path[64];
static char cfg_path[64];

static const char *const dest_text = "version 2026-01-01\n"
				     "class fixed cost 0.01 risk low\n"
				     "class premium cost 1.50 risk high\n"
				     "class satellite cost 5 risk high\n"
				     "34 fixed\n"
				     "34803 premium\n"
				     "8816 satellite\n";

/* 2026-01-12 00:00:00 UTC, a Monday. */
static int64_t T0;

struct got {
	enum fraud_level level;
	enum reason reason;
	enum fraud_kind kind;
	bool shadow;
	unsigned actions;
	char subject[128];
	char text[256];
};

static struct got alerts[512];
static unsigned nalerts;

static void
on_alert(const struct fraud_alert *a, void *arg)
{
	struct got *g;

	if (nalerts >= sizeof(alerts) / sizeof(alerts[0]))
		return;
	g = &alerts[nalerts++];
	g->level = a->level;
	g->reason = a->reason;
	g->kind = a->kind;
	g->shadow = a->shadow;
	g->actions = a->actions;
	snprintf(g->subject, sizeof(g->subject), "%s", a->subject);
	snprintf(g->text, sizeof(g->text), "%s", a->text);
}

static int
setup_all(void **state)
{
	struct tm tm;
	FILE *f;
	int fd;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 2026 - 1900;
	tm.tm_mon = 0;
	tm.tm_mday = 12;
	T0 = (int64_t)timegm(&tm);
	snprintf(dest_path, sizeof(dest_path), "/tmp/centinela-dest-XXXXXX");
	fd = mkstemp(dest_path);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f)
		return -1;
	fputs(dest_text, f);
	fclose(f);
	log_setup(LOGF_HUMAN, LOGL_ERROR, 2); /* keep the output readable */
	return 0;
}

static int
teardown_all(void **state)
{
	unlink(dest_path);
	return 0;
}

/*
 * Load a configuration whose fraud section holds "body" on line 5
 * (line 4 names the destination table unless with_dest is false, and
 * then "body" is on line 4). Returns cfg_load's result; errors in *errs.
 */
static int
load_fraud(const char *body, bool with_dest, struct cfg **cfgp, char **errs)
{
	char text[8192];
	size_t elen;
	FILE *f, *ef;
	int fd, err;

	snprintf(text, sizeof(text),
	    "listen = ( { transport = \"udp\"; address = \"127.0.0.1\"; "
	    "port = 5060; } );\n"
	    "peers = ( { name = \"acme\"; cidr = \"10.0.0.0/24\"; role = "
	    "\"customer\"; class = \"access\"; } );\n"
	    "fraud = {\n"
	    "%s%s%s"
	    "%s\n"
	    "};\n",
	    with_dest ? "destinations = \"" : "", with_dest ? dest_path : "",
	    with_dest ? "\";\n" : "", body);
	snprintf(cfg_path, sizeof(cfg_path), "/tmp/centinela-fcfg-XXXXXX");
	fd = mkstemp(cfg_path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	ef = open_memstream(errs, &elen);
	assert_non_null(ef);
	*cfgp = NULL;
	err = cfg_load(cfgp, cfg_path, ef);
	fclose(ef);
	unlink(cfg_path);
	return err;
}

static bool
has_error(const char *errs, int line, const char *needle)
{
	char prefix[96];
	const char *p = errs;

	snprintf(prefix, sizeof(prefix), "%s:%d: ", cfg_path, line);
	while ((p = strstr(p, prefix)) != NULL) {
		const char *eol = strchr(p, '\n');
		const char *hit = strstr(p, needle);

		if (hit && (!eol || hit < eol))
			return true;
		p += strlen(prefix);
	}
	return false;
}

/* An engine for "body"; the configuration stays for its table. */
struct eng {
	struct cfg *cfg;
	struct fraud *f;
};

static void
eng_new(struct eng *e, const char *body)
{
	char *errs = NULL;
	int err = load_fraud(body, true, &e->cfg, &errs);

	if (err)
		fprintf(stderr, "config errors:\n%s", errs);
	free(errs);
	assert_int_equal(err, 0);
	assert_int_equal(
	    fraud_alloc(&e->f, &e->cfg->fraud, NULL, on_alert, NULL), 0);
	nalerts = 0;
}

static void
eng_free(struct eng *e)
{
	fraud_free(e->f);
	cfg_free(e->cfg);
}

/* One call; the handle (NULL unless it passed) is returned. */
static struct fraud_callref *
call(struct eng *e, const char *acct, const char *trunk, const char *num,
    int64_t now, struct fraud_decision *d)
{
	struct fraud_call c;
	struct fraud_callref *ref = NULL;

	c.account = acct ? str_make(acct, strlen(acct)) : str_make("", 0);
	c.trunk = trunk ? str_make(trunk, strlen(trunk)) : str_make("", 0);
	c.called = str_make(num, strlen(num));
	c.now = now;
	assert_int_equal(fraud_call_start(e->f, &c, d, &ref), 0);
	if (d->vd == FRAUD_PASS)
		assert_non_null(ref);
	else
		assert_null(ref);
	return ref;
}

static void
info(struct eng *e, enum fraud_kind k, const char *name, int64_t now,
    struct fraud_subject_info *in)
{
	assert_int_equal(
	    fraud_subject_info(e->f, k, str_make(name, strlen(name)), now, in),
	    0);
}

/* --- configuration ------------------------------------------------- */

static void
test_cfg_good(void **state)
{
	struct cfg *cfg;
	char *errs = NULL;
	const struct cfg_fraud *c;
	int prem, sat;

	assert_int_equal(
	    load_fraud("enabled = true; mode = \"shadow\"; max_subjects = 5000;"
		       " max_duration = \"2h\"; early_timeout = 60;"
		       " persist_interval = \"5s\";"
		       " actions = { warning = [ \"log\" ]; critical = "
		       "[ \"alert\", \"cap\" ]; };"
		       " defaults = {"
		       "  calls_per_minute = { warning = 10; critical = 30; };"
		       "  cost_per_hour = { warning = 12.5; critical = 50; };"
		       "  blocked_classes = [ \"satellite\" ];"
		       "  first_use_classes = { classes = [ \"premium\" ]; };"
		       "  hours = { allow = [ \"mon-fri 08:00-20:00\", "
		       "\"sat,sun\" ]; tz = \"Europe/Madrid\"; };"
		       "  baseline = { factor = 4.5; min_calls = 8; };"
		       "  same_number_in_a_row = { critical = 5; mode = "
		       "\"shadow\"; actions = { critical = [ \"alert\", "
		       "\"reject\" ]; }; };"
		       " };"
		       " accounts = ( { user = \"100\"; domain = \"x.com\";"
		       "  calls_per_minute = { critical = 60; actions = { "
		       "critical = [ \"suspend\" ]; }; }; } );"
		       " trunks = ( { peer = \"acme\"; concurrent = { "
		       "warning = 50; critical = 100; }; } );",
		true, &cfg, &errs),
	    0);
	assert_string_equal(errs, "");
	free(errs);
	c = &cfg->fraud;
	assert_true(c->enabled);
	assert_true(c->shadow);
	assert_int_equal(c->max_subjects, 5000);
	assert_int_equal(c->max_dialogs, 100000);
	assert_int_equal(c->max_duration, 7200);
	assert_int_equal(c->early_timeout, 60);
	assert_int_equal(c->persist_interval, 5);
	assert_int_equal(c->actions[FRAUD_LEVEL_WARNING], FRAUD_ACT_LOG);
	assert_int_equal(
	    c->actions[FRAUD_LEVEL_CRITICAL], FRAUD_ACT_ALERT | FRAUD_ACT_CAP);
	assert_non_null(c->dest);
	prem = dest_class_find(c->dest, "premium");
	sat = dest_class_find(c->dest, "satellite");
	assert_true(prem > 0 && sat > 0);

	assert_true(c->defaults.r[FRAUD_R_CPM].on);
	assert_int_equal(c->defaults.r[FRAUD_R_CPM].warning, 10);
	assert_int_equal(c->defaults.r[FRAUD_R_CPM].critical, 30);
	/* Default actions resolved per level; cap stays for a rate rule. */
	assert_int_equal(c->defaults.r[FRAUD_R_CPM].actions[2],
	    FRAUD_ACT_ALERT | FRAUD_ACT_CAP);
	assert_int_equal(c->defaults.r[FRAUD_R_COST_H].warning, 125000);
	assert_int_equal(c->defaults.r[FRAUD_R_COST_H].critical, 500000);
	/* cap means reject for a rule that cannot cap. */
	assert_int_equal(c->defaults.r[FRAUD_R_BLOCKED].actions[2],
	    FRAUD_ACT_ALERT | FRAUD_ACT_REJECT);
	assert_int_equal(c->defaults.blocked, 1ULL << sat);
	assert_int_equal(c->defaults.first_use, 1ULL << prem);
	assert_int_equal(
	    c->defaults.r[FRAUD_R_FIRST_USE].level, FRAUD_LEVEL_WARNING);
	assert_int_equal(c->defaults.nspans, 2);
	assert_int_equal(c->defaults.spans[0].days, 0x1f);
	assert_int_equal(c->defaults.spans[0].from, 480);
	assert_int_equal(c->defaults.spans[0].to, 1200);
	assert_int_equal(c->defaults.spans[1].days, 0x60);
	assert_int_equal(c->defaults.spans[1].from, 0);
	assert_int_equal(c->defaults.spans[1].to, 1440);
	assert_string_equal(c->defaults.tz, "Europe/Madrid");
	assert_int_equal(c->defaults.bl_factor, 450);
	assert_int_equal(c->defaults.bl_min_calls, 8);
	assert_true(c->defaults.r[FRAUD_R_SAME_NUMBER].shadow);
	assert_int_equal(c->defaults.r[FRAUD_R_SAME_NUMBER].actions[2],
	    FRAUD_ACT_ALERT | FRAUD_ACT_REJECT);
	assert_false(c->defaults.r[FRAUD_R_CPH].on);

	assert_int_equal(c->naccounts, 1);
	assert_string_equal(c->accounts[0].user, "100");
	assert_string_equal(c->accounts[0].domain, "x.com");
	assert_int_equal(c->accounts[0].rules.given, 1u << FRAUD_R_CPM);
	assert_int_equal(
	    c->accounts[0].rules.r[FRAUD_R_CPM].actions[2], FRAUD_ACT_SUSPEND);
	assert_int_equal(c->ntrunks, 1);
	assert_string_equal(c->trunks[0].peer, "acme");
	assert_int_equal(
	    c->trunks[0].rules.r[FRAUD_R_CONCURRENT].critical, 100);
	cfg_free(cfg);
}

static void
test_cfg_absent(void **state)
{
	static const char text[] =
	    "listen = ( { transport = \"udp\"; address = \"127.0.0.1\"; "
	    "port = 5060; } );\n";
	struct cfg *cfg = NULL;
	FILE *f;
	int fd;

	/* No fraud section: off, nothing loaded. */
	snprintf(cfg_path, sizeof(cfg_path), "/tmp/centinela-fcfg-XXXXXX");
	fd = mkstemp(cfg_path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(cfg_load(&cfg, cfg_path, stderr), 0);
	unlink(cfg_path);
	assert_false(cfg->fraud.enabled);
	assert_null(cfg->fraud.dest);
	assert_int_equal(cfg->fraud.max_subjects, 100000);
	cfg_free(cfg);
}

static void
test_cfg_errors(void **state)
{
	static const struct {
		const char *body;
		const char *needle;
	} cases[] = {
		{ "foo = 1;", "unknown setting \"foo\" in fraud" },
		{ "mode = \"loud\";", "is not enforce or shadow" },
		{ "max_subjects = 3;", "out of range [16, 10000000]" },
		{ "max_duration = \"forever\";", "is not a duration" },
		{ "max_duration = \"5s\";", "out of range" },
		{ "persist_interval = \"2h\";", "out of range" },
		{ "persist_interval = 0;", "out of range" },
		{ "actions = { warning = [ \"cap\", \"reject\" ]; };",
		    "cap and reject exclude each other" },
		{ "actions = { severe = [ \"log\" ]; };",
		    "unknown setting \"severe\" in actions" },
		{ "defaults = { calls_per_minute = 10; };",
		    "calls_per_minute: expected a group" },
		{ "defaults = { calls_per_minute = { warnin = 3; }; };",
		    "unknown setting \"warnin\" in calls_per_minute" },
		{ "defaults = { calls_per_minute = { warning = 30; critical "
		  "= 10; }; };",
		    "warning must be below critical" },
		{ "defaults = { calls_per_hour = { warning = 0; }; };",
		    "warning: 0 is out of range" },
		{ "defaults = { calls_per_hour = { warning = 5; mode = "
		  "\"loud\"; }; };",
		    "is not enforce or shadow" },
		{ "defaults = { distinct_numbers_per_hour = { critical = "
		  "100; }; };",
		    "critical: 100 is out of range [1, 63]" },
		{ "defaults = { cost_per_day = { critical = \"lots\"; }; };",
		    "critical: expected an amount" },
		{ "defaults = { cost_per_day = { critical = -1.5; }; };",
		    "is out of range [0.0001" },
		{ "defaults = { concurrent = { critical = 3; actions = { "
		  "critical = [ \"explode\" ]; }; }; };",
		    "\"explode\" is not log, alert, reject, cap or suspend" },
		{ "defaults = { same_number_in_a_row = { critical = 3; "
		  "actions = { critical = [ \"cap\" ]; }; }; };",
		    "\"cap\" is not an action of this rule" },
		{ "defaults = { blocked_classes = [ \"nosuch\" ]; };",
		    "\"nosuch\" is not a class of the destination table" },
		{ "defaults = { first_use_classes = { classes = [ "
		  "\"premium\", \"mars\" ]; }; };",
		    "\"mars\" is not a class" },
		{ "defaults = { first_use_classes = { classes = [ "
		  "\"premium\" ]; level = \"severe\"; }; };",
		    "level: \"severe\" is not warning or critical" },
		{ "defaults = { first_use_classes = { level = \"warning\"; "
		  "}; };",
		    "missing setting \"classes\"" },
		{ "defaults = { hours = { allow = [ \"mon-fry "
		  "08:00-20:00\" ]; }; };",
		    "\"mon-fry 08:00-20:00\" is not DAYS" },
		{ "defaults = { hours = { allow = [ \"mon 08:00-08:00\" ]; "
		  "}; };",
		    "is not DAYS" },
		{ "defaults = { hours = { allow = [ \"mon 25:00-26:00\" ]; "
		  "}; };",
		    "is not DAYS" },
		{ "defaults = { hours = { allow = [ \"daily\" ]; tz = "
		  "\"Mars/Olympus\"; }; };",
		    "tz: \"Mars/Olympus\" is not a time zone" },
		{ "defaults = { hours = { allow = [ \"daily\" ]; tz = "
		  "\"../../etc/passwd\"; }; };",
		    "is not a time zone" },
		{ "defaults = { baseline = { factor = 0.5; }; };",
		    "factor: expected a number in [1.0, 1000.0]" },
		{ "defaults = { baseline = { min_calls = 0; }; };",
		    "min_calls: 0 is out of range" },
		{ "accounts = ( { user = \"100\"; }, { user = \"100\"; } );",
		    "\"100@\" is listed twice" },
		{ "accounts = ( { domain = \"x\"; } );",
		    "missing setting \"user\"" },
		{ "accounts = ( { user = \"a@b\"; } );", "without '@'" },
		{ "accounts = ( { user = \"1\"; calls_per_minute = { "
		  "critical = 3; actions = { critical = [ \"nap\" ]; }; }; } "
		  ");",
		    "\"nap\" is not log" },
		{ "trunks = ( { peer = \"nobody\"; } );",
		    "peer: \"nobody\" is not a name of peers" },
		{ "trunks = ( { peer = \"acme\"; calls_per_minute = { "
		  "critical = 3; actions = { critical = [ \"suspend\" ]; }; "
		  "}; } );",
		    "\"suspend\" is not an action of a trunk" },
		{ "trunks = ( { peer = \"acme\"; user = \"x\"; } );",
		    "unknown setting \"user\" in trunks" },
	};
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfg *cfg;
		char *errs = NULL;

		assert_int_equal(
		    load_fraud(cases[i].body, true, &cfg, &errs), EINVAL);
		assert_null(cfg); /* a bad rule never takes effect */
		if (!has_error(errs, 5, cases[i].needle)) {
			fprintf(stderr, "case %u: want line 5: %s\ngot:\n%s", i,
			    cases[i].needle, errs);
			fail();
		}
		free(errs);
	}
}

static void
test_cfg_bad_table(void **state)
{
	struct cfg *cfg;
	char *errs = NULL;

	assert_int_equal(load_fraud("destinations = \"/nonexistent/d.conf\";",
			     false, &cfg, &errs),
	    EINVAL);
	assert_null(cfg);
	assert_true(has_error(errs, 4, "destinations: the table"));
	free(errs);
}

/* --- one test per rule --------------------------------------------- */

/*
 * warning = 3, critical = 5 on a rule that every call pushes by one:
 * calls 1-3 nothing, call 4 a warning alert and a pass, call 5 a pass
 * with no new alert, call 6 a critical alert and a reject, call 7 a
 * reject without a new alert. Calls are "step" seconds apart; every
 * call stays up until the end (concurrent).
 */
static void
ladder(const char *rule, enum reason reason, const char *numbers[7],
    int64_t step, const char *w_text, const char *c_text)
{
	char body[512];
	struct eng e;
	struct fraud_decision d;
	struct fraud_callref *refs[7];
	struct fraud_stats st;
	int i;

	snprintf(body, sizeof(body),
	    "alert_interval = \"7d\"; defaults = { %s = { warning = 3; "
	    "critical = 5; }; };",
	    rule);
	eng_new(&e, body);
	for (i = 0; i < 7; i++) {
		refs[i] = call(
		    &e, "100@x", NULL, numbers[i], T0 + 36000 + i * step, &d);
		switch (i) {
		case 0:
		case 1:
		case 2:
			assert_int_equal(d.vd, FRAUD_PASS);
			assert_int_equal(d.level, FRAUD_LEVEL_NONE);
			assert_int_equal(d.reason, REASON_NONE);
			assert_int_equal(nalerts, 0);
			break;
		case 3:
			assert_int_equal(d.vd, FRAUD_PASS);
			assert_int_equal(d.level, FRAUD_LEVEL_WARNING);
			assert_int_equal(d.reason, reason);
			assert_int_equal(nalerts, 1);
			assert_int_equal(alerts[0].level, FRAUD_LEVEL_WARNING);
			assert_int_equal(alerts[0].reason, reason);
			assert_int_equal(
			    alerts[0].actions, FRAUD_ACT_LOG | FRAUD_ACT_ALERT);
			assert_false(alerts[0].shadow);
			assert_string_equal(alerts[0].subject, "account 100@x");
			assert_string_equal(alerts[0].text, w_text);
			break;
		case 4:
			assert_int_equal(d.vd, FRAUD_PASS);
			assert_int_equal(d.level, FRAUD_LEVEL_WARNING);
			assert_int_equal(nalerts, 1); /* one per level */
			break;
		case 5:
			assert_int_equal(d.vd, FRAUD_REJECT);
			assert_int_equal(d.level, FRAUD_LEVEL_CRITICAL);
			assert_int_equal(d.reason, reason);
			assert_string_equal(d.detail, reason_text(reason));
			assert_int_equal(nalerts, 2);
			assert_int_equal(alerts[1].level, FRAUD_LEVEL_CRITICAL);
			assert_int_equal(alerts[1].actions,
			    FRAUD_ACT_ALERT | FRAUD_ACT_REJECT);
			assert_string_equal(alerts[1].text, c_text);
			break;
		case 6:
			assert_int_equal(d.vd, FRAUD_REJECT);
			assert_int_equal(nalerts, 2);
			break;
		}
	}
	fraud_stats(e.f, &st);
	assert_int_equal(st.decisions[FRAUD_PASS], 5);
	assert_int_equal(st.decisions[FRAUD_REJECT], 2);
	assert_int_equal(st.alerts, 2);
	assert_int_equal(st.calls_active, 5);
	for (i = 0; i < 7; i++)
		if (refs[i])
			fraud_call_end(e.f, refs[i], 0, T0 + 36000 + 7 * step);
	fraud_stats(e.f, &st);
	assert_int_equal(st.calls_active, 0);
	eng_free(&e);
}

static const char *distinct7[7] = { "34911000001", "34911000002", "34911000003",
	"34911000004", "34911000005", "34911000006", "34911000007" };
static const char *same7[7] = { FIXED, FIXED, FIXED, FIXED, FIXED, FIXED,
	FIXED };

static void
test_rule_calls_per_minute(void **state)
{
	ladder("calls_per_minute", REASON_FRAUD_CPM, same7, 1,
	    "4 calls in the last minute (warning 3)",
	    "6 calls in the last minute (critical 5)");
}

static void
test_rule_calls_per_hour(void **state)
{
	ladder("calls_per_hour", REASON_FRAUD_CPH, distinct7, 500,
	    "4 calls in the last hour (warning 3)",
	    "6 calls in the last hour (critical 5)");
}

static void
test_rule_calls_per_day(void **state)
{
	ladder("calls_per_day", REASON_FRAUD_CPD, distinct7, 7200,
	    "4 calls in the last day (warning 3)",
	    "6 calls in the last day (critical 5)");
}

static void
test_rule_concurrent(void **state)
{
	ladder("concurrent", REASON_FRAUD_CONCURRENT, distinct7, 600,
	    "4 calls up at once (warning 3)",
	    "6 calls up at once (critical 5)");
}

static void
test_rule_distinct(void **state)
{
	ladder("distinct_numbers_per_hour", REASON_FRAUD_DISTINCT, distinct7,
	    60, "4 distinct numbers in the last hour (warning 3)",
	    "6 distinct numbers in the last hour (critical 5)");
}

static void
test_rule_same_number(void **state)
{
	ladder("same_number_in_a_row", REASON_FRAUD_SAME_NUMBER, same7, 60,
	    "4 calls in a row to " FIXED " (warning 3)",
	    "6 calls in a row to " FIXED " (critical 5)");
}

static void
test_distinct_and_run_reset(void **state)
{
	struct eng e;
	struct fraud_decision d;
	struct fraud_subject_info in;
	struct fraud_callref *r;
	int i;

	eng_new(&e,
	    "defaults = { distinct_numbers_per_hour = { critical = 3; };"
	    " same_number_in_a_row = { critical = 3; }; };");
	/* The same number again does not count as a new one. */
	for (i = 0; i < 10; i++) {
		r = call(&e, "a@x", NULL, i % 3 == 0 ? FIXED : FIXED2,
		    T0 + i * 60, &d);
		assert_int_equal(d.vd, FRAUD_PASS);
		fraud_call_end(e.f, r, 0, T0 + i * 60);
	}
	info(&e, FRAUD_ACCOUNT, "a@x", T0 + 600, &in);
	assert_int_equal(in.distinct_hour, 2);
	/* Another number broke every run: 1 now. */
	assert_int_equal(in.same_run, 1);
	/* A number leaves 60 minutes after it was last called. */
	info(&e, FRAUD_ACCOUNT, "a@x", T0 + 9 * 60 + 3599, &in);
	assert_int_equal(in.distinct_hour, 1);
	info(&e, FRAUD_ACCOUNT, "a@x", T0 + 9 * 60 + 3600, &in);
	assert_int_equal(in.distinct_hour, 0);
	/* A run ends after an hour without calling the number. */
	assert_int_equal(in.same_run, 0);
	eng_free(&e);
}

/* Minutes and cost, counted at the end of each call. */
static void
test_rule_minutes_and_cost(void **state)
{
	static const struct {
		const char *rule;
		enum reason reason;
		const char *num;
		int64_t secs; /* per call */
		int64_t gap; /* between calls */
		const char *w_text;
	} cases[] = {
		{ "minutes_per_hour = { warning = 3; critical = 5; }",
		    REASON_FRAUD_MINUTES_H, FIXED, 120, 300,
		    "4.0 call minutes in the last hour (warning 3)" },
		{ "minutes_per_day = { warning = 3; critical = 5; }",
		    REASON_FRAUD_MINUTES_D, FIXED, 120, 3600,
		    "4.0 call minutes in the last day (warning 3)" },
		{ "cost_per_hour = { warning = 2.0; critical = 4.0; }",
		    REASON_FRAUD_COST_H, PREMIUM, 60, 300,
		    "estimated cost 3.00 in the last hour (warning 2.00)" },
		{ "cost_per_day = { warning = 2.0; critical = 4.0; }",
		    REASON_FRAUD_COST_D, PREMIUM, 60, 3600,
		    "estimated cost 3.00 in the last day (warning 2.00)" },
	};
	unsigned i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char body[256];
		struct eng e;
		struct fraud_decision d;
		int64_t t = T0 + 36000;

		snprintf(
		    body, sizeof(body), "defaults = { %s; };", cases[i].rule);
		eng_new(&e, body);
		/* 2 min (1.50) per call: 2, 4 (warning), 6 (critical). */
		for (k = 0; k < 4; k++) {
			struct fraud_callref *r =
			    call(&e, "b@x", NULL, cases[i].num, t, &d);

			if (k < 2) {
				assert_int_equal(d.vd, FRAUD_PASS);
				assert_int_equal(d.level, FRAUD_LEVEL_NONE);
				assert_int_equal(nalerts, 0);
			} else if (k == 2) {
				assert_int_equal(d.vd, FRAUD_PASS);
				assert_int_equal(d.level, FRAUD_LEVEL_WARNING);
				assert_int_equal(d.reason, cases[i].reason);
				assert_int_equal(nalerts, 1);
				assert_string_equal(
				    alerts[0].text, cases[i].w_text);
			} else {
				assert_int_equal(d.vd, FRAUD_REJECT);
				assert_int_equal(d.level, FRAUD_LEVEL_CRITICAL);
				assert_int_equal(d.reason, cases[i].reason);
				assert_int_equal(nalerts, 2);
			}
			if (r)
				fraud_call_end(
				    e.f, r, t + 5, t + 5 + cases[i].secs);
			t += cases[i].gap;
		}
		eng_free(&e);
	}
}

static void
test_cost_estimate(void **state)
{
	struct eng e;
	struct fraud_decision d;
	struct fraud_subject_info in;
	struct fraud_callref *r;
	int64_t t = T0 + 3600;

	eng_new(&e, "defaults = { };");
	/* 90 s of premium (1.50/min) = 2.25; unanswered calls cost 0. */
	r = call(&e, "c@x", "acme", PREMIUM, t, &d);
	fraud_call_end(e.f, r, t + 10, t + 100);
	r = call(&e, "c@x", "acme", PREMIUM, t + 200, &d);
	fraud_call_end(e.f, r, 0, t + 260);
	info(&e, FRAUD_ACCOUNT, "c@x", t + 300, &in);
	assert_int_equal(in.secs_hour, 90);
	assert_int_equal(in.secs_day, 90);
	assert_int_equal(in.cost_hour_e4, 22500);
	assert_int_equal(in.cost_day_e4, 22500);
	assert_int_equal(in.calls_hour, 2);
	info(&e, FRAUD_TRUNK, "acme", t + 300, &in);
	assert_int_equal(in.cost_day_e4, 22500);
	/* The hour window drops the 5-minute bucket after 55-60 min. */
	info(&e, FRAUD_ACCOUNT, "c@x", t + 3600, &in);
	assert_int_equal(in.secs_hour, 0);
	assert_int_equal(in.secs_day, 90);
	eng_free(&e);
}

static void
test_rule_blocked_classes(void **state)
{
	struct eng e;
	struct fraud_decision d;
	struct fraud_callref *r;

	eng_new(&e, "defaults = { blocked_classes = [ \"satellite\" ]; };");
	r = call(&e, "100@x", NULL, SATELLITE, T0, &d);
	assert_null(r);
	assert_int_equal(d.vd, FRAUD_REJECT);
	assert_int_equal(d.reason, REASON_FRAUD_BLOCKED_CLASS);
	assert_int_equal(d.level, FRAUD_LEVEL_CRITICAL);
	assert_int_equal(nalerts, 1);
	assert_int_equal(alerts[0].level, FRAUD_LEVEL_CRITICAL);
	assert_string_equal(alerts[0].text,
	    "call to " SATELLITE ", class satellite, which is blocked");
	r = call(&e, "100@x", NULL, FIXED, T0 + 1, &d);
	assert_int_equal(d.vd, FRAUD_PASS);
	assert_int_equal(d.level, FRAUD_LEVEL_NONE);
	fraud_call_end(e.f, r, 0, T0 + 2);
	eng_free(&e);

	/* Blocked even when its actions say only "alert". */
	eng_new(&e,
	    "defaults = { blocked_classes = { classes = [ "
	    "\"premium\" ]; actions = [ \"alert\" ]; }; };");
	call(&e, "100@x", NULL, PREMIUM, T0, &d);
	assert_int_equal(d.vd, FRAUD_REJECT);
	eng_free(&e);
}

static void
test_rule_first_use(void **state)
{
	struct eng e;
	struct fraud_decision d;
	struct fraud_callref *r;
	int i;

	eng_new(&e,
	    "defaults = { first_use_classes = { classes = [ "
	    "\"premium\", \"satellite\" ]; level = \"warning\"; }; };");
	r = call(&e, "100@x", NULL, FIXED, T0, &d);
	assert_int_equal(d.level, FRAUD_LEVEL_NONE);
	fraud_call_end(e.f, r, 0, T0);
	r = call(&e, "100@x", NULL, PREMIUM, T0 + 10, &d);
	assert_int_equal(d.vd, FRAUD_PASS);
	assert_int_equal(d.level, FRAUD_LEVEL_WARNING);
	assert_int_equal(d.reason, REASON_FRAUD_FIRST_USE);
	assert_int_equal(nalerts, 1);
	assert_string_equal(
	    alerts[0].text, "first call ever to class premium (" PREMIUM ")");
	fraud_call_end(e.f, r, 0, T0 + 10);
	/* Once, then never again, even a day later. */
	for (i = 0; i < 3; i++) {
		r = call(&e, "100@x", NULL, PREMIUM, T0 + 86400 * (i + 1), &d);
		assert_int_equal(d.level, FRAUD_LEVEL_NONE);
		fraud_call_end(e.f, r, 0, T0 + 86400 * (i + 1));
	}
	/* Another class of the set is a first use of its own. */
	r = call(&e, "100@x", NULL, SATELLITE, T0 + 5 * 86400, &d);
	assert_int_equal(d.level, FRAUD_LEVEL_WARNING);
	fraud_call_end(e.f, r, 0, T0 + 5 * 86400);
	/* Another account's first premium call. */
	r = call(&e, "101@x", NULL, PREMIUM, T0 + 5 * 86400, &d);
	assert_int_equal(d.level, FRAUD_LEVEL_WARNING);
	fraud_call_end(e.f, r, 0, T0 + 5 * 86400);
	assert_int_equal(nalerts, 3);
	eng_free(&e);
}

static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (int64_t)timegm(&tm);
}

static void
test_rule_hours_tz(void **state)
{
	static const struct {
		int y, mo, d, h, mi; /* UTC */
		bool inside;
	} cases[] = {
		/* Winter, CET = UTC+1: Wed 14 Jan 2026. */
		{ 2026, 1, 14, 7, 0, true }, /* 08:00 local */
		{ 2026, 1, 14, 6, 59, false }, /* 07:59 */
		{ 2026, 1, 14, 18, 59, true }, /* 19:59 */
		{ 2026, 1, 14, 19, 0, false }, /* 20:00 */
		/* Summer, CEST = UTC+2: Wed 15 Jul 2026. */
		{ 2026, 7, 15, 6, 0, true }, /* 08:00 local */
		{ 2026, 7, 15, 5, 59, false },
		{ 2026, 7, 15, 17, 59, true }, /* 19:59 */
		{ 2026, 7, 15, 18, 0, false }, /* 20:00 */
		/* Saturday 17 Jan 2026: 09:00-14:00 local. */
		{ 2026, 1, 17, 8, 0, true },
		{ 2026, 1, 17, 13, 0, false },
		/* Sunday: never. */
		{ 2026, 1, 18, 11, 0, false },
		/* The DST change, Sun 29 Mar 2026 01:00 UTC: Mon 30 at
		 * 06:30 UTC is 08:30 CEST. */
		{ 2026, 3, 30, 6, 30, true },
		{ 2026, 3, 30, 5, 30, false },
	};
	struct eng e;
	struct fraud_decision d;
	unsigned i;

	assert_true(tzoff_is_valid("Europe/Madrid"));
	eng_new(&e,
	    "defaults = { hours = { allow = [ \"mon-fri "
	    "08:00-20:00\", \"sat 09:00-14:00\" ]; tz = "
	    "\"Europe/Madrid\"; level = \"warning\"; }; };");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t t = utc(cases[i].y, cases[i].mo, cases[i].d, cases[i].h,
		    cases[i].mi);
		struct fraud_callref *r;
		char who[32];

		/* A new account each time: no alert deduplication. */
		snprintf(who, sizeof(who), "h%u@x", i);
		nalerts = 0;
		r = call(&e, who, NULL, FIXED, t, &d);
		assert_int_equal(d.vd, FRAUD_PASS);
		if (cases[i].inside != (d.level == FRAUD_LEVEL_NONE))
			fail_msg("case %u: inside %d level %d", i,
			    cases[i].inside, d.level);
		if (!cases[i].inside) {
			assert_int_equal(d.reason, REASON_FRAUD_HOURS);
			assert_int_equal(nalerts, 1);
			assert_int_equal(alerts[0].level, FRAUD_LEVEL_WARNING);
		}
		fraud_call_end(e.f, r, 0, t);
	}
	nalerts = 0;
	call(&e, "z@x", NULL, FIXED, utc(2026, 1, 18, 11, 0), &d);
	assert_string_equal(alerts[0].text,
	    "call at Sun 12:00 Europe/Madrid, outside the allowed hours");
	eng_free(&e);

	/* A span past midnight; critical and rejected. */
	eng_new(&e,
	    "defaults = { hours = { allow = [ \"daily 22:00-06:00\" "
	    "]; level = \"critical\"; }; };");
	call(&e, "n@x", NULL, FIXED, utc(2026, 1, 14, 23, 0), &d);
	assert_int_equal(d.vd, FRAUD_PASS);
	call(&e, "n@x", NULL, FIXED, utc(2026, 1, 15, 5, 59), &d);
	assert_int_equal(d.vd, FRAUD_PASS);
	call(&e, "n@x", NULL, FIXED, utc(2026, 1, 15, 6, 0), &d);
	assert_int_equal(d.vd, FRAUD_REJECT);
	assert_int_equal(d.reason, REASON_FRAUD_HOURS);
	eng_free(&e);
}

static void
test_tzoff(void **state)
{
	const char *env = getenv("TZ");
	char before[128];
	struct tzoff *tz;

	snprintf(before, sizeof(before), "%s", env ? env : "(unset)");
	assert_int_equal(tzoff_load(&tz, "Europe/Madrid"), 0);
	assert_int_equal(tzoff_at(tz, utc(2026, 1, 14, 12, 0)), 3600);
	assert_int_equal(tzoff_at(tz, utc(2026, 7, 14, 12, 0)), 7200);
	/* The change to summer time: 29 Mar 2026 01:00:00 UTC. */
	assert_int_equal(tzoff_at(tz, utc(2026, 3, 29, 1, 0) - 1), 3600);
	assert_int_equal(tzoff_at(tz, utc(2026, 3, 29, 1, 0)), 7200);
	tzoff_free(tz);
	assert_int_equal(tzoff_load(&tz, "America/New_York"), 0);
	assert_int_equal(tzoff_at(tz, utc(2026, 1, 14, 12, 0)), -5 * 3600);
	tzoff_free(tz);
	assert_int_equal(tzoff_load(&tz, "Nowhere/Atlantis"), EINVAL);
	assert_false(tzoff_is_valid("/etc/passwd"));
	assert_true(tzoff_is_valid("UTC"));
	/* The process's zone is left as it was. */
	env = getenv("TZ");
	assert_string_equal(before, env ? env : "(unset)");
}

/*
 * Three weeks with 2 calls on Monday 10:00-11:00 UTC teach a baseline
 * of 2 for that hour; in the fourth week the 20th call of the hour
 * (factor 5 x 2 = 10, min_calls 20) is the anomaly.
 */
static void
learn_baseline(struct eng *e, const char *who)
{
	struct fraud_decision d;
	int64_t week = 7 * 86400;
	int w, k;

	for (w = 0; w < 3; w++)
		for (k = 0; k < 2; k++) {
			int64_t t = T0 + w * week + 10 * 3600 + k * 60;
			struct fraud_callref *r =
			    call(e, who, NULL, FIXED, t, &d);

			assert_int_equal(d.vd, FRAUD_PASS);
			fraud_call_end(e->f, r, 0, t);
		}
}

static void
anomaly(struct eng *e, const char *who, int64_t start)
{
	struct fraud_decision d;
	int k;

	for (k = 1; k <= 20; k++) {
		struct fraud_callref *r =
		    call(e, who, NULL, FIXED, start + (k - 1) * 60, &d);

		if (k < 20) {
			assert_int_equal(d.vd, FRAUD_PASS);
			assert_int_equal(d.level, FRAUD_LEVEL_NONE);
			fraud_call_end(e->f, r, 0, start + (k - 1) * 60);
		} else {
			assert_int_equal(d.vd, FRAUD_REJECT);
			assert_int_equal(d.reason, REASON_FRAUD_BASELINE);
			assert_int_equal(d.level, FRAUD_LEVEL_CRITICAL);
		}
	}
}

static void
test_rule_baseline(void **state)
{
	const char *rules = "defaults = { baseline = { factor = 5.0; "
			    "min_calls = 20; level = \"critical\"; }; };";
	struct eng e, e2;
	struct fraud_subject_info in;
	struct fraud_decision d;
	unsigned char blob[FRAUD_BLOB_SIZE + 8];
	int64_t wk3 = T0 + 3 * 7 * 86400 + 10 * 3600;
	size_t len;

	eng_new(&e, rules);
	learn_baseline(&e, "b@x");
	/* Week 3, Monday 09:00: the hour before teaches the slot's last
	 * week; 10:00 has a baseline of 2.0 (x16 = 32). */
	call(&e, "b@x", NULL, FIXED, wk3 - 3600, &d);
	info(&e, FRAUD_ACCOUNT, "b@x", wk3, &in);
	assert_true(in.baseline_seen);
	assert_int_equal(in.baseline_x16, 32);
	assert_true(in.hours_learned >= 2 * 168);
	assert_int_equal(fraud_subject_export(e.f, FRAUD_ACCOUNT,
			     str_make("b@x", 3), blob, sizeof(blob), &len),
	    0);
	assert_int_equal(len, FRAUD_BLOB_SIZE);
	anomaly(&e, "b@x", wk3);
	assert_int_equal(nalerts, 1);
	assert_int_equal(alerts[0].level, FRAUD_LEVEL_CRITICAL);
	assert_string_equal(alerts[0].text,
	    "20 calls this hour, usually 2.0 on Mon 10:00 UTC (factor 5.00)");
	eng_free(&e);

	/* The persisted part is enough: a fresh engine sees it too. */
	eng_new(&e2, rules);
	assert_int_equal(fraud_subject_import(e2.f, FRAUD_ACCOUNT,
			     str_make("b@x", 3), blob, len),
	    0);
	anomaly(&e2, "b@x", wk3);
	/* A blob of another version or size is refused. */
	blob[4] = 99;
	assert_int_equal(fraud_subject_import(e2.f, FRAUD_ACCOUNT,
			     str_make("b@x", 3), blob, len),
	    EINVAL);
	blob[4] = 2;
	assert_int_equal(fraud_subject_import(e2.f, FRAUD_ACCOUNT,
			     str_make("b@x", 3), blob, len - 1),
	    EINVAL);
	assert_int_equal(fraud_subject_export(e2.f, FRAUD_ACCOUNT,
			     str_make("zz@x", 4), blob, sizeof(blob), &len),
	    ENOENT);
	eng_free(&e2);
}

/* --- levels, modes and actions ------------------------------------- */

static void
test_shadow_rule_and_global(void **state)
{
	struct eng e;
	struct fraud_decision d;
	struct fraud_stats st;
	int i;

	eng_new(&e,
	    "defaults = { calls_per_minute = { warning = 1; "
	    "critical = 2; mode = \"shadow\"; }; "
	    "calls_per_hour = { critical = 100; }; };");
	for (i = 0; i < 4; i++)
		call(&e, "s@x", NULL, FIXED, T0 + i, &d);
	/* Reached critical, refused nothing: logged and alerted. */
	assert_int_equal(d.vd, FRAUD_PASS);
	assert_int_equal(d.level, FRAUD_LEVEL_CRITICAL);
	assert_int_equal(d.reason, REASON_FRAUD_CPM);
	assert_true(d.shadow);
	assert_int_equal(nalerts, 2);
	assert_true(alerts[1].shadow);
	assert_int_equal(alerts[1].actions, FRAUD_ACT_ALERT);
	fraud_stats(e.f, &st);
	assert_int_equal(st.shadowed, 2);
	assert_int_equal(st.decisions[FRAUD_PASS], 4);
	eng_free(&e);

	eng_new(&e,
	    "mode = \"shadow\"; defaults = { blocked_classes = [ "
	    "\"satellite\" ]; };");
	call(&e, "s@x", NULL, SATELLITE, T0, &d);
	assert_int_equal(d.vd, FRAUD_PASS);
	assert_true(d.shadow);
	assert_int_equal(d.reason, REASON_FRAUD_BLOCKED_CLASS);
	assert_true(alerts[0].shadow);
	eng_free(&e);
}

static void
test_actions_cap_and_suspend(void **state)
{
	struct eng e;
	struct fraud_decision d;
	unsigned char blob[FRAUD_BLOB_SIZE];
	size_t len;
	unsigned n;
	int64_t t = T0 + 600; /* a multiple of 5 s */

	/* cap: 503 until the oldest calls leave the minute. */
	eng_new(&e,
	    "defaults = { calls_per_minute = { critical = 2; "
	    "actions = { critical = [ \"cap\" ]; }; }; "
	    "concurrent = { critical = 1; actions = { critical = [ "
	    "\"cap\" ]; }; }; }; retry_after = 30;");
	call(&e, "c@x", NULL, FIXED, t, &d);
	assert_int_equal(d.vd, FRAUD_PASS);
	call(&e, "d@x", NULL, FIXED, t, &d);
	call(&e, "d@x", NULL, FIXED, t + 1, &d);
	assert_int_equal(d.vd, FRAUD_CAP);
	assert_int_equal(d.reason, REASON_FRAUD_CONCURRENT);
	assert_int_equal(d.retry_after, 30);
	eng_free(&e);

	eng_new(&e,
	    "defaults = { calls_per_minute = { critical = 2; "
	    "actions = { critical = [ \"cap\" ]; }; }; };");
	call(&e, "c@x", NULL, FIXED, t, &d);
	call(&e, "c@x", NULL, FIXED, t + 1, &d);
	call(&e, "c@x", NULL, FIXED, t + 2, &d);
	assert_int_equal(d.vd, FRAUD_CAP);
	assert_int_equal(d.reason, REASON_FRAUD_CPM);
	/* The bucket of t leaves at t + 60: 58 s from t + 2. */
	assert_int_equal(d.retry_after, 58);
	call(&e, "c@x", NULL, FIXED, t + 59, &d);
	assert_int_equal(d.vd, FRAUD_CAP);
	assert_int_equal(d.retry_after, 1);
	call(&e, "c@x", NULL, FIXED, t + 60, &d);
	assert_int_equal(d.vd, FRAUD_PASS);
	eng_free(&e);

	/* suspend: the account is refused until resumed. */
	eng_new(&e,
	    "defaults = { calls_per_minute = { critical = 2; "
	    "actions = { critical = [ \"alert\", \"suspend\" ]; }; }; "
	    "};");
	call(&e, "v@x", "acme", FIXED, t, &d);
	call(&e, "v@x", "acme", FIXED, t + 1, &d);
	call(&e, "v@x", "acme", FIXED, t + 2, &d);
	assert_int_equal(d.vd, FRAUD_SUSPEND);
	assert_int_equal(d.subject, FRAUD_ACCOUNT);
	assert_int_equal(d.reason, REASON_FRAUD_CPM);
	/* The trunk reached the same level: for a trunk suspend means
	 * reject; the stronger verdict (the account's) decides. */
	assert_int_equal(nalerts, 2);
	call(&e, "v@x", NULL, FIXED, t + 3600, &d);
	assert_int_equal(d.vd, FRAUD_REJECT);
	assert_int_equal(d.reason, REASON_FRAUD_SUSPENDED);
	assert_int_equal(fraud_subject_export(e.f, FRAUD_ACCOUNT,
			     str_make("v@x", 3), blob, sizeof(blob), &len),
	    0);
	assert_int_equal(blob[5], 1);
	assert_int_equal(fraud_subject_resume(e.f, str_make("v@x", 3)), 0);
	call(&e, "v@x", NULL, FIXED, t + 3601, &d);
	assert_int_equal(d.vd, FRAUD_PASS);
	assert_int_equal(
	    fraud_subject_resume(e.f, str_make("none@x", 6)), ENOENT);
	/*
	 * Resumed at once, inside the minute that suspended it: its
	 * windows start afresh (the old calls would suspend it again at
	 * its next call), and the next suspension alerts again.
	 */
	call(&e, "v@x", NULL, FIXED, t + 3602, &d);
	call(&e, "v@x", NULL, FIXED, t + 3603, &d);
	assert_int_equal(d.vd, FRAUD_SUSPEND);
	assert_int_equal(fraud_subject_resume(e.f, str_make("v@x", 3)), 0);
	call(&e, "v@x", NULL, FIXED, t + 3604, &d);
	assert_int_equal(d.vd, FRAUD_PASS);
	call(&e, "v@x", NULL, FIXED, t + 3605, &d);
	assert_int_equal(d.vd, FRAUD_PASS);
	n = nalerts;
	call(&e, "v@x", NULL, FIXED, t + 3606, &d);
	assert_int_equal(d.vd, FRAUD_SUSPEND);
	assert_int_equal(nalerts, n + 1);
	/* The trunk alone was never suspended. */
	call(&e, "w@x", "acme", FIXED, t + 3602, &d);
	assert_int_equal(d.vd, FRAUD_PASS);
	eng_free(&e);
}

static void
test_window_slides_exactly(void **state)
{
	struct eng e;
	struct fraud_decision d;
	struct fraud_subject_info in;
	int64_t t = T0 + 3600; /* aligned to 5 s, 1 min, 5 min, 1 h */

	eng_new(&e,
	    "defaults = { calls_per_minute = { critical = 2; }; "
	    "calls_per_hour = { critical = 3; }; "
	    "calls_per_day = { critical = 4; }; };");
	call(&e, "w@x", NULL, FIXED, t, &d);
	call(&e, "w@x", NULL, FIXED, t + 4, &d); /* same 5 s bucket */
	call(&e, "w@x", NULL, FIXED, t + 5, &d);
	assert_int_equal(d.vd, FRAUD_REJECT);
	assert_int_equal(d.reason, REASON_FRAUD_CPM);
	call(&e, "w@x", NULL, FIXED, t + 59, &d);
	assert_int_equal(d.vd, FRAUD_REJECT);
	/* Both calls were in bucket t / 5: gone at t + 60, not before. */
	info(&e, FRAUD_ACCOUNT, "w@x", t + 59, &in);
	assert_int_equal(in.calls_minute, 2);
	info(&e, FRAUD_ACCOUNT, "w@x", t + 60, &in);
	assert_int_equal(in.calls_minute, 0);
	assert_int_equal(in.calls_hour, 2);
	call(&e, "w@x", NULL, FIXED, t + 60, &d);
	assert_int_equal(d.vd, FRAUD_PASS);
	/* The hour holds 3: the 4th is refused until t + 3600. */
	call(&e, "w@x", NULL, FIXED, t + 3599, &d);
	assert_int_equal(d.vd, FRAUD_REJECT);
	assert_int_equal(d.reason, REASON_FRAUD_CPH);
	info(&e, FRAUD_ACCOUNT, "w@x", t + 3600, &in);
	assert_int_equal(in.calls_hour, 1);
	assert_int_equal(in.calls_day, 3);
	call(&e, "w@x", NULL, FIXED, t + 3600, &d);
	assert_int_equal(d.vd, FRAUD_PASS);
	call(&e, "w@x", NULL, FIXED, t + 3700, &d);
	assert_int_equal(d.vd, FRAUD_REJECT);
	assert_int_equal(d.reason, REASON_FRAUD_CPD);
	/* The day: the hour bucket of t leaves at t + 24 h. */
	info(&e, FRAUD_ACCOUNT, "w@x", t + 86399, &in);
	assert_int_equal(in.calls_day, 4);
	info(&e, FRAUD_ACCOUNT, "w@x", t + 86400, &in);
	assert_int_equal(in.calls_day, 1);
	/* Idle for a month: everything is empty. */
	info(&e, FRAUD_ACCOUNT, "w@x", t + 30 * 86400, &in);
	assert_int_equal(in.calls_minute + in.calls_hour + in.calls_day, 0);
	assert_int_equal(in.active, 4); /* 4 passed, none ended */
	eng_free(&e);
}

static void
test_overrides(void **state)
{
	struct eng e;
	struct fraud_decision d;
	int i;

	eng_new(&e,
	    "defaults = { calls_per_minute = { critical = 2; }; "
	    "blocked_classes = [ \"premium\" ]; };"
	    " accounts = ("
	    "  { user = \"vip\"; domain = \"x\"; calls_per_minute = "
	    "{ critical = 5; }; },"
	    "  { user = \"any\"; calls_per_minute = { }; },"
	    "  { user = \"p\"; blocked_classes = [ ]; }"
	    " );"
	    " trunks = ( { peer = \"acme\"; calls_per_minute = { "
	    "critical = 3; }; } );");
	/* Defaults: the 3rd call is refused. */
	for (i = 0; i < 3; i++)
		call(&e, "plain@x", NULL, FIXED, T0 + i, &d);
	assert_int_equal(d.vd, FRAUD_REJECT);
	/* vip@x: 5 pass, the 6th is refused; vip@y has the defaults. */
	for (i = 0; i < 6; i++) {
		call(&e, "vip@x", NULL, FIXED, T0 + i, &d);
		assert_int_equal(d.vd, i < 5 ? FRAUD_PASS : FRAUD_REJECT);
	}
	for (i = 0; i < 3; i++)
		call(&e, "vip@y", NULL, FIXED, T0 + i, &d);
	assert_int_equal(d.vd, FRAUD_REJECT);
	/* "any" (any domain) turned the rule off; blocked still applies
	 * (an override replaces only the rules it names). */
	for (i = 0; i < 10; i++) {
		call(&e, "any@whatever", NULL, FIXED, T0 + i, &d);
		assert_int_equal(d.vd, FRAUD_PASS);
	}
	call(&e, "any@whatever", NULL, PREMIUM, T0 + 11, &d);
	assert_int_equal(d.vd, FRAUD_REJECT);
	assert_int_equal(d.reason, REASON_FRAUD_BLOCKED_CLASS);
	call(&e, "p@x", NULL, PREMIUM, T0 + 11, &d);
	assert_int_equal(d.vd, FRAUD_PASS);
	/* The trunk counts every account's calls: limit 3. */
	call(&e, "t1@x", "acme", FIXED, T0 + 100, &d);
	call(&e, "t2@x", "acme", FIXED, T0 + 100, &d);
	call(&e, "t3@x", "acme", FIXED, T0 + 100, &d);
	assert_int_equal(d.vd, FRAUD_PASS);
	call(&e, "t4@x", "acme", FIXED, T0 + 101, &d);
	assert_int_equal(d.vd, FRAUD_REJECT);
	assert_int_equal(d.subject, FRAUD_TRUNK);
	assert_string_equal(alerts[nalerts - 1].subject, "trunk acme");
	/* A refused call is not counted for its account either. */
	call(&e, "t4@x", NULL, FIXED, T0 + 102, &d);
	call(&e, "t4@x", NULL, FIXED, T0 + 102, &d);
	assert_int_equal(d.vd, FRAUD_PASS);
	eng_free(&e);
}

static void
test_alert_interval(void **state)
{
	struct eng e;
	struct fraud_decision d;
	struct fraud_stats st;

	eng_new(&e,
	    "alert_interval = \"1m\"; defaults = { "
	    "calls_per_minute = { warning = 1; }; };");
	call(&e, "i@x", NULL, FIXED, T0, &d);
	call(&e, "i@x", NULL, FIXED, T0 + 1, &d);
	call(&e, "i@x", NULL, FIXED, T0 + 2, &d);
	assert_int_equal(nalerts, 1);
	fraud_stats(e.f, &st);
	assert_int_equal(st.suppressed, 1);
	/* A new burst after the interval alerts again. */
	call(&e, "i@x", NULL, FIXED, T0 + 70, &d);
	call(&e, "i@x", NULL, FIXED, T0 + 71, &d);
	assert_int_equal(nalerts, 2);
	eng_free(&e);
}

static void
test_reconfigure_keeps_counts(void **state)
{
	struct eng e;
	struct cfg *cfg2;
	char *errs = NULL;
	struct fraud_decision d;
	int i;

	eng_new(&e, "defaults = { calls_per_minute = { critical = 5; }; };");
	for (i = 0; i < 3; i++)
		call(&e, "r@x", NULL, FIXED, T0 + i, &d);
	assert_int_equal(load_fraud("accounts = ( { user = \"r\"; "
				    "calls_per_minute = { critical = 3; }; "
				    "} );",
			     true, &cfg2, &errs),
	    0);
	free(errs);
	assert_int_equal(fraud_reconfigure(e.f, &cfg2->fraud, NULL), 0);
	call(&e, "r@x", NULL, FIXED, T0 + 4, &d);
	assert_int_equal(d.vd, FRAUD_REJECT);
	fraud_free(e.f);
	cfg_free(cfg2);
	cfg_free(e.cfg);
}

/* --- bounds -------------------------------------------------------- */

/*
 * 100,000 random starts and ends against a model: every decision of
 * the concurrency rule and every count agrees with the model, the
 * count never goes below 0, and after the last end it is 0 everywhere.
 */
static void
test_concurrency_model(void **state)
{
	enum {
		NACC = 4,
		MAXOPEN = 64,
		OPS = 100000
	};
	struct eng e;
	struct fraud_callref *open[NACC][MAXOPEN];
	unsigned nopen[NACC] = { 0 }, total = 0, a, i;
	struct fraud_subject_info in;
	struct fraud_decision d;
	struct fraud_stats st;
	char who[NACC][8];
	int64_t t = T0;
	unsigned seed = 12345;

	eng_new(&e,
	    "defaults = { concurrent = { critical = 5; }; };"
	    " trunks = ( { peer = \"acme\"; concurrent = { critical "
	    "= 12; }; } );");
	for (a = 0; a < NACC; a++)
		snprintf(who[a], sizeof(who[a]), "m%u@x", a);
	for (i = 0; i < OPS; i++) {
		unsigned r = (unsigned)rand_r(&seed);

		a = r % NACC;
		t += (r >> 8) % 3;
		if ((r >> 4) % 2 && nopen[a] > 0) {
			unsigned k = (r >> 12) % nopen[a];

			fraud_call_end(e.f, open[a][k], t - 1, t);
			open[a][k] = open[a][--nopen[a]];
			total--;
		} else {
			bool want_pass = nopen[a] < 5 && total < 12;
			struct fraud_callref *ref =
			    call(&e, who[a], "acme", FIXED, t, &d);

			assert_int_equal(d.vd == FRAUD_PASS, want_pass);
			if (!want_pass)
				assert_int_equal(
				    d.reason, REASON_FRAUD_CONCURRENT);
			if (ref) {
				assert_true(nopen[a] < MAXOPEN);
				open[a][nopen[a]++] = ref;
				total++;
			}
		}
		info(&e, FRAUD_ACCOUNT, who[a], t, &in);
		assert_int_equal(in.active, nopen[a]);
		assert_int_equal(in.refs, nopen[a]);
	}
	info(&e, FRAUD_TRUNK, "acme", t, &in);
	assert_int_equal(in.active, total);
	for (a = 0; a < NACC; a++)
		while (nopen[a] > 0) {
			fraud_call_end(e.f, open[a][--nopen[a]], 0, t);
			total--;
		}
	for (a = 0; a < NACC; a++) {
		info(&e, FRAUD_ACCOUNT, who[a], t, &in);
		assert_int_equal(in.active, 0);
	}
	info(&e, FRAUD_TRUNK, "acme", t, &in);
	assert_int_equal(in.active, 0);
	fraud_stats(e.f, &st);
	assert_int_equal(st.calls_active, 0);
	assert_int_equal(st.end_twice, 0);

	/* A handle ended twice: counted, nothing goes below 0. */
	{
		struct fraud_callref *ref =
		    call(&e, "m0@x", NULL, FIXED, t + 1, &d);

		fraud_call_end(e.f, ref, 0, t + 2);
		fraud_call_end(e.f, ref, 0, t + 3);
		fraud_stats(e.f, &st);
		assert_int_equal(st.end_twice, 1);
		info(&e, FRAUD_ACCOUNT, "m0@x", t + 3, &in);
		assert_int_equal(in.active, 0);
	}
	eng_free(&e);
}

static void
test_eviction_bounded(void **state)
{
	struct eng e;
	struct fraud_decision d;
	struct fraud_stats st;
	struct fraud_subject_info in;
	struct fraud_callref *pinned, *r;
	char who[32];
	int i;

	eng_new(&e,
	    "max_subjects = 16; defaults = { calls_per_minute = { "
	    "critical = 100; }; };");
	pinned = call(&e, "pinned@x", NULL, FIXED, T0, &d);
	for (i = 0; i < 100; i++) {
		snprintf(who, sizeof(who), "e%d@x", i);
		r = call(&e, who, NULL, FIXED, T0 + i, &d);
		fraud_call_end(e.f, r, 0, T0 + i);
	}
	fraud_stats(e.f, &st);
	assert_int_equal(st.subjects, 16);
	assert_int_equal(st.evictions, 101 - 16);
	/* The subject with a call up was never evicted. */
	info(&e, FRAUD_ACCOUNT, "pinned@x", T0 + 100, &in);
	assert_int_equal(in.active, 1);
	fraud_call_end(e.f, pinned, 0, T0 + 100);
	/* The oldest idle ones went first. */
	assert_int_equal(fraud_subject_info(e.f, FRAUD_ACCOUNT,
			     str_make("e0@x", 4), T0 + 100, &in),
	    ENOENT);
	info(&e, FRAUD_ACCOUNT, "e99@x", T0 + 100, &in);
	eng_free(&e);

	/* Every subject has a call up: no room, ENOSPC, a 503 verdict. */
	eng_new(&e, "max_subjects = 16;");
	for (i = 0; i < 16; i++) {
		snprintf(who, sizeof(who), "f%d@x", i);
		call(&e, who, NULL, FIXED, T0, &d);
	}
	{
		struct fraud_call c = { str_make("late@x", 6), str_make("", 0),
			str_make(FIXED, strlen(FIXED)), T0 + 1 };
		struct fraud_callref *ref;

		assert_int_equal(fraud_call_start(e.f, &c, &d, &ref), ENOSPC);
		assert_null(ref);
		assert_int_equal(d.vd, FRAUD_CAP);
		assert_int_equal(d.reason, REASON_OVERLOAD);
	}
	fraud_stats(e.f, &st);
	assert_int_equal(st.evict_failed, 1);
	assert_int_equal(st.subjects, 16);
	eng_free(&e);
}

static void
test_max_dialogs(void **state)
{
	struct eng e;
	struct fraud_decision d;
	struct fraud_call c = { str_make("md@x", 4), str_make("", 0),
		str_make(FIXED, strlen(FIXED)), 0 };
	struct fraud_callref *ref;

	eng_new(&e, "max_dialogs = 2;");
	c.now = T0;
	call(&e, "md@x", NULL, FIXED, T0, &d);
	call(&e, "md@x", NULL, FIXED, T0, &d);
	assert_int_equal(fraud_call_start(e.f, &c, &d, &ref), ENOSPC);
	assert_int_equal(d.vd, FRAUD_CAP);
	/* A refused start is not counted anywhere. */
	{
		struct fraud_subject_info in;

		info(&e, FRAUD_ACCOUNT, "md@x", T0, &in);
		assert_int_equal(in.active, 2);
		assert_int_equal(in.calls_minute, 2);
	}
	c.now = 100;
	assert_int_equal(fraud_call_start(e.f, &c, &d, &ref), EINVAL);
	eng_free(&e);
}

/* --- persistence ----------------------------------------------------- */

/* Every subject of an engine, exported (a fraud_subject_each callback). */
struct saved {
	enum fraud_kind kind;
	char name[64];
	unsigned char blob[FRAUD_BLOB_SIZE];
	size_t len;
};

struct saveset {
	struct fraud *f;
	struct saved s[32];
	unsigned n;
};

static void
save_one(enum fraud_kind kind, struct str name, void *arg)
{
	struct saveset *ss = arg;
	struct saved *sv;

	assert_true(ss->n < sizeof(ss->s) / sizeof(ss->s[0]));
	sv = &ss->s[ss->n++];
	sv->kind = kind;
	assert_true(name.len < sizeof(sv->name));
	memcpy(sv->name, name.s, name.len);
	sv->name[name.len] = '\0';
	assert_int_equal(fraud_subject_export(ss->f, kind, name, sv->blob,
			     sizeof(sv->blob), &sv->len),
	    0);
	assert_int_equal(sv->len, FRAUD_BLOB_SIZE);
}

static void
save_all(struct eng *e, struct saveset *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->f = e->f;
	fraud_subject_each(e->f, save_one, ss);
}

static void
restore_all(struct eng *e, const struct saveset *ss)
{
	unsigned i;

	for (i = 0; i < ss->n; i++)
		assert_int_equal(
		    fraud_subject_import(e->f, ss->s[i].kind,
			str_make(ss->s[i].name, strlen(ss->s[i].name)),
			ss->s[i].blob, ss->s[i].len),
		    0);
}

/* Field by field, calls up (active, refs) aside. */
static void
assert_info_same(
    const struct fraud_subject_info *a, const struct fraud_subject_info *b)
{
	assert_int_equal(a->calls_minute, b->calls_minute);
	assert_int_equal(a->calls_hour, b->calls_hour);
	assert_int_equal(a->calls_day, b->calls_day);
	assert_int_equal(a->distinct_hour, b->distinct_hour);
	assert_int_equal(a->same_run, b->same_run);
	assert_int_equal(a->secs_hour, b->secs_hour);
	assert_int_equal(a->secs_day, b->secs_day);
	assert_int_equal(a->cost_hour_e4, b->cost_hour_e4);
	assert_int_equal(a->cost_day_e4, b->cost_day_e4);
	assert_int_equal(a->classes_used, b->classes_used);
	assert_int_equal(a->suspended, b->suspended);
	assert_int_equal(a->baseline_x16, b->baseline_x16);
	assert_int_equal(a->baseline_seen, b->baseline_seen);
	assert_int_equal(a->hours_learned, b->hours_learned);
	assert_int_equal(a->alerted, b->alerted);
}

/* Both engines' view of one subject at "now", and the blob's. */
static void
assert_subject_same(
    struct eng *a, struct eng *b, const struct saved *sv, int64_t now)
{
	struct fraud_subject_info ia, ib, bi;

	info(a, sv->kind, sv->name, now, &ia);
	info(b, sv->kind, sv->name, now, &ib);
	assert_int_equal(fraud_blob_info(sv->blob, sv->len, now, &bi), 0);
	assert_info_same(&ia, &ib);
	assert_info_same(&ia, &bi);
	assert_int_equal(ib.active, 0);
	assert_int_equal(ib.refs, 0);
	assert_int_equal(bi.active, 0);
	assert_int_equal(bi.refs, 0);
}

static const char *const rt_rules =
    "alert_interval = \"1h\"; defaults = {"
    " calls_per_minute = { critical = 5; actions = { critical = ["
    " \"alert\", \"suspend\" ]; }; };"
    " calls_per_day = { warning = 20; critical = 30; };"
    " distinct_numbers_per_hour = { warning = 40; critical = 60; };"
    " same_number_in_a_row = { warning = 35; critical = 50; };"
    " minutes_per_day = { warning = 600; critical = 1500; };"
    " cost_per_day = { warning = 100.0; critical = 200.0; };"
    " first_use_classes = { classes = [ \"premium\" ]; level = "
    "\"warning\"; };"
    " baseline = { factor = 5.0; min_calls = 100; };"
    " };";

/*
 * A week of history in engine A (numbers, minutes and cost, a first
 * use alert, a learned baseline, a suspension, a call still up),
 * exported subject by subject into a fresh engine B: both say the same
 * about every subject, and decide the next calls alike.
 */
static void
test_blob_round_trip(void **state)
{
	static const char *const nums[] = { FIXED, FIXED2, PREMIUM,
		"34911000003", "34911000004", "34911000005" };
	struct eng a, b;
	struct saveset ss;
	struct fraud_decision d, db;
	struct fraud_subject_info in;
	struct fraud_callref *r, *up = NULL;
	int64_t t1 = T0 + 10 * 3600, t2 = t1 + 7 * 86400, now;
	unsigned i, k, cross_a = 0, cross_b = 0;

	eng_new(&a, rt_rules);
	/* Week 1, Monday 10:00: six numbers, a call a minute. */
	for (i = 0; i < 6; i++) {
		int64_t t = t1 + 60 * i;

		r = call(&a, "r1@x", "acme", nums[i], t, &d);
		assert_int_equal(d.vd, FRAUD_PASS);
		assert_int_equal(
		    d.level, i == 2 ? FRAUD_LEVEL_WARNING : FRAUD_LEVEL_NONE);
		if (i == 5)
			up = r; /* still up at the restart */
		else
			fraud_call_end(a.f, r, t + 5, t + 5 + 100 * (i + 1));
	}
	/* First use of premium, by the account and by the trunk. */
	assert_int_equal(nalerts, 2);
	/* Week 2, same hour: the week learned, Monday 10:00 seen 6. */
	for (i = 0; i < 3; i++) {
		int64_t t = t2 + 60 * i;

		r = call(&a, "r1@x", "acme", nums[i], t, &d);
		assert_int_equal(d.vd, FRAUD_PASS);
		fraud_call_end(a.f, r, t + 1, t + 31);
	}
	/* s@x: the 6th call in a minute suspends it. */
	for (i = 0; i < 6; i++) {
		r = call(&a, "s@x", NULL, FIXED, t2 + i, &d);
		if (i < 5)
			fraud_call_end(a.f, r, 0, t2 + i);
	}
	assert_int_equal(d.vd, FRAUD_SUSPEND);
	assert_int_equal(nalerts, 3);

	info(&a, FRAUD_ACCOUNT, "r1@x", t2 + 600, &in);
	assert_int_equal(in.active, 1);
	assert_int_equal(in.calls_day, 3);
	assert_int_equal(in.distinct_hour, 3);
	assert_int_equal(in.secs_day, 90);
	/* 30 s of premium (1.50/min) + 2 x 30 s of fixed (0.01/min). */
	assert_int_equal(in.cost_day_e4, 7500 + 2 * 50);
	assert_true(in.baseline_seen);
	assert_int_equal(in.baseline_x16, 6 * 16);
	assert_int_equal(in.hours_learned, 168);
	assert_true(in.classes_used != 0);
	assert_true(in.alerted != 0); /* cleared at the next hit only */

	save_all(&a, &ss);
	assert_int_equal(ss.n, 3); /* r1@x, acme, s@x */
	eng_new(&b, rt_rules);
	restore_all(&b, &ss);
	now = t2 + 700;
	for (i = 0; i < ss.n; i++)
		assert_subject_same(&a, &b, &ss.s[i], now);
	info(&b, FRAUD_ACCOUNT, "s@x", now, &in);
	assert_true(in.suspended);
	assert_true(in.alerted != 0);
	info(&b, FRAUD_TRUNK, "acme", now, &in);
	assert_int_equal(in.calls_day, 3);
	assert_int_equal(in.cost_day_e4, 7600);

	/* The same decisions, call after call, alerts included. */
	call(&a, "s@x", NULL, FIXED, now, &d);
	call(&b, "s@x", NULL, FIXED, now, &db);
	assert_int_equal(d.reason, REASON_FRAUD_SUSPENDED);
	assert_int_equal(db.reason, REASON_FRAUD_SUSPENDED);
	for (k = 1; k <= 40; k++) {
		int64_t t = now + 20 * k;
		unsigned n0 = nalerts, na, nb;

		r = call(&a, "r1@x", "acme", FIXED, t, &d);
		if (r)
			fraud_call_end(a.f, r, t, t + 10);
		na = nalerts - n0;
		r = call(&b, "r1@x", "acme", FIXED, t, &db);
		if (r)
			fraud_call_end(b.f, r, t, t + 10);
		nb = nalerts - n0 - na;
		assert_int_equal(d.vd, db.vd);
		assert_int_equal(d.reason, db.reason);
		assert_int_equal(d.level, db.level);
		assert_int_equal(d.subject, db.subject);
		assert_int_equal(na, nb);
		if (!cross_a && d.reason == REASON_FRAUD_CPD &&
		    d.vd == FRAUD_REJECT)
			cross_a = k;
		if (!cross_b && db.reason == REASON_FRAUD_CPD &&
		    db.vd == FRAUD_REJECT)
			cross_b = k;
	}
	/* 3 calls today: the 28th more is the 31st of the day. */
	assert_int_equal(cross_a, 28);
	assert_int_equal(cross_b, 28);
	fraud_call_end(a.f, up, 0, now + 900);
	eng_free(&a);
	eng_free(&b);
}

/* Exported, imported, then time goes on: counts age out as before. */
static void
test_blob_restart_across_time(void **state)
{
	static const int64_t at[] = { 59, 60, 3299, 3300, 3599, 3600, 3601,
		86399, 86400, 7 * 86400 };
	const char *rules = "defaults = { calls_per_minute = { critical = 3; };"
			    " calls_per_hour = { critical = 50; };"
			    " calls_per_day = { critical = 100; };"
			    " minutes_per_hour = { critical = 100; }; };";
	struct eng a, b;
	struct saveset ss;
	struct fraud_decision d, db;
	struct fraud_subject_info ia, ib;
	struct fraud_callref *r;
	int64_t t = T0 + 3600; /* aligned to 5 s, 1 min, 5 min, 1 h */
	unsigned i, k;

	eng_new(&a, rules);
	r = call(&a, "w@x", "acme", FIXED, t, &d);
	call(&a, "w@x", "acme", FIXED2, t + 1, &d);
	call(&a, "w@x", "acme", PREMIUM, t + 2, &d);
	assert_int_equal(d.vd, FRAUD_PASS);
	fraud_call_end(a.f, r, t + 1, t + 9);
	save_all(&a, &ss);
	assert_int_equal(ss.n, 2);
	eng_new(&b, rules);
	restore_all(&b, &ss);
	/* The 4th call in the minute: refused in both until t + 60. */
	call(&a, "w@x", NULL, FIXED, t + 59, &d);
	call(&b, "w@x", NULL, FIXED, t + 59, &db);
	assert_int_equal(d.vd, FRAUD_REJECT);
	assert_int_equal(db.vd, FRAUD_REJECT);
	assert_int_equal(db.reason, REASON_FRAUD_CPM);
	assert_int_equal(db.retry_after, d.retry_after);
	r = call(&a, "w@x", NULL, FIXED, t + 60, &d);
	fraud_call_end(a.f, r, 0, t + 60);
	r = call(&b, "w@x", NULL, FIXED, t + 60, &db);
	fraud_call_end(b.f, r, 0, t + 60);
	assert_int_equal(d.vd, FRAUD_PASS);
	assert_int_equal(db.vd, FRAUD_PASS);
	/* Both alike; the trunk (not in the last call) to the second. */
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		for (k = 0; k < 2; k++) {
			const char *name = k ? "acme" : "w@x";
			enum fraud_kind kind = k ? FRAUD_TRUNK : FRAUD_ACCOUNT;

			info(&a, kind, name, t + at[i], &ia);
			info(&b, kind, name, t + at[i], &ib);
			assert_info_same(&ia, &ib);
			if (kind == FRAUD_ACCOUNT)
				continue;
			if (at[i] == 59)
				assert_int_equal(ib.calls_minute, 3);
			if (at[i] == 60)
				assert_int_equal(ib.calls_minute, 0);
			if (at[i] == 3599) {
				assert_int_equal(ib.calls_hour, 3);
				assert_int_equal(ib.secs_hour, 8);
				assert_int_equal(ib.distinct_hour, 3);
			}
			if (at[i] == 3600) {
				assert_int_equal(ib.calls_hour, 0);
				assert_int_equal(ib.secs_hour, 0);
				assert_int_equal(ib.calls_day, 3);
				assert_int_equal(ib.secs_day, 8);
			}
			if (at[i] == 86399)
				assert_int_equal(ib.calls_day, 3);
			if (at[i] == 86400) {
				assert_int_equal(ib.calls_day, 0);
				assert_int_equal(ib.secs_day, 0);
				assert_int_equal(ib.distinct_hour, 0);
			}
		}
	eng_free(&a);
	eng_free(&b);
}

/* What fraud_subject_dirty lists: names in order, and a count each. */
struct listed {
	char name[32][16];
	unsigned n;
	struct eng *e; /* evict from inside the callback when set */
};

static void
list_one(enum fraud_kind kind, struct str name, void *arg)
{
	struct listed *l = arg;
	unsigned char blob[FRAUD_BLOB_SIZE];
	size_t len;

	assert_true(l->n < 32);
	assert_true(name.len < sizeof(l->name[0]));
	memcpy(l->name[l->n], name.s, name.len);
	l->name[l->n][name.len] = '\0';
	l->n++;
	assert_int_equal(
	    fraud_subject_export(l->e->f, kind, name, blob, sizeof(blob), &len),
	    0);
}

static void
list_dirty(struct eng *e, struct listed *l)
{
	memset(l, 0, sizeof(*l));
	l->e = e;
	fraud_subject_dirty(e->f, list_one, l);
}

static unsigned
listed_count(const struct listed *l, const char *name)
{
	unsigned i, n = 0;

	for (i = 0; i < l->n; i++)
		n += strcmp(l->name[i], name) == 0;
	return n;
}

/* A callback that evicts every subject while the list is walked. */
static void
list_and_evict(enum fraud_kind kind, struct str name, void *arg)
{
	struct listed *l = arg;
	struct fraud_decision d;
	char who[16];
	unsigned i;

	l->n++;
	if (l->n > 1)
		return;
	for (i = 0; i < 16; i++) {
		struct fraud_callref *r;

		snprintf(who, sizeof(who), "m%u@x", i);
		r = call(l->e, who, NULL, FIXED, T0 + 90000 + i, &d);
		fraud_call_end(l->e->f, r, 0, T0 + 90000 + i);
	}
}

static void
test_dirty_list(void **state)
{
	struct eng e;
	struct listed l;
	struct fraud_decision d;
	struct fraud_stats st;
	struct fraud_subject_info in;
	struct fraud_callref *r, *up;
	unsigned char blob[FRAUD_BLOB_SIZE];
	size_t len;
	char who[16];
	int64_t t = T0 + 600;
	unsigned i;

	eng_new(&e,
	    "max_subjects = 16; defaults = { calls_per_minute = { "
	    "critical = 2; actions = { critical = [ \"suspend\" ]; }; }; };");
	for (i = 0; i < 10; i++) {
		snprintf(who, sizeof(who), "d%u@x", i);
		r = call(&e, who, NULL, FIXED, t, &d);
		fraud_call_end(e.f, r, 0, t);
	}
	list_dirty(&e, &l);
	assert_int_equal(l.n, 10);
	for (i = 0; i < 10; i++) {
		snprintf(who, sizeof(who), "d%u@x", i);
		assert_int_equal(listed_count(&l, who), 1);
	}
	list_dirty(&e, &l);
	assert_int_equal(l.n, 0);

	/* Calls on 3 of the 10 (two on d4): those 3, once each. */
	r = call(&e, "d1@x", NULL, FIXED, t + 10, &d);
	fraud_call_end(e.f, r, 0, t + 10);
	r = call(&e, "d4@x", NULL, FIXED, t + 11, &d);
	fraud_call_end(e.f, r, 0, t + 11);
	r = call(&e, "d4@x", NULL, FIXED, t + 70, &d);
	fraud_call_end(e.f, r, 0, t + 70);
	up = call(&e, "d7@x", NULL, FIXED, t + 12, &d);
	assert_non_null(up);
	list_dirty(&e, &l);
	assert_int_equal(l.n, 3);
	assert_int_equal(listed_count(&l, "d1@x"), 1);
	assert_int_equal(listed_count(&l, "d4@x"), 1);
	assert_int_equal(listed_count(&l, "d7@x"), 1);
	list_dirty(&e, &l);
	assert_int_equal(l.n, 0);

	/* The end of a call adds its minutes: dirty. */
	fraud_call_end(e.f, up, t + 13, t + 73);
	list_dirty(&e, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(listed_count(&l, "d7@x"), 1);

	/* Reading within the hour changes nothing; the next hour is
	 * learned by the baseline: dirty. */
	info(&e, FRAUD_ACCOUNT, "d5@x", t + 60, &in);
	list_dirty(&e, &l);
	assert_int_equal(l.n, 0);
	info(&e, FRAUD_ACCOUNT, "d5@x", t + 3600, &in);
	assert_int_equal(in.hours_learned, 1);
	list_dirty(&e, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(listed_count(&l, "d5@x"), 1);

	/* Suspension, and resume; resuming again changes nothing. */
	for (i = 0; i < 2; i++) {
		r = call(&e, "d9@x", NULL, FIXED, t + 20 + i, &d);
		if (r)
			fraud_call_end(e.f, r, 0, t + 20 + i);
	}
	assert_int_equal(d.vd, FRAUD_SUSPEND);
	list_dirty(&e, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(listed_count(&l, "d9@x"), 1);
	assert_int_equal(fraud_subject_resume(e.f, str_make("d9@x", 4)), 0);
	list_dirty(&e, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(fraud_subject_resume(e.f, str_make("d9@x", 4)), 0);
	list_dirty(&e, &l);
	assert_int_equal(l.n, 0);

	/* An import does not mark. */
	assert_int_equal(fraud_subject_export(e.f, FRAUD_ACCOUNT,
			     str_make("d3@x", 4), blob, sizeof(blob), &len),
	    0);
	assert_int_equal(fraud_subject_import(e.f, FRAUD_ACCOUNT,
			     str_make("d3@x", 4), blob, len),
	    0);
	list_dirty(&e, &l);
	assert_int_equal(l.n, 0);

	/* Dirty subjects evicted by 16 new ones are never listed. */
	r = call(&e, "d0@x", NULL, FIXED, t + 40, &d);
	fraud_call_end(e.f, r, 0, t + 40);
	r = call(&e, "d2@x", NULL, FIXED, t + 41, &d);
	fraud_call_end(e.f, r, 0, t + 41);
	for (i = 0; i < 16; i++) {
		snprintf(who, sizeof(who), "n%u@x", i);
		r = call(&e, who, NULL, FIXED, t + 50 + i, &d);
		fraud_call_end(e.f, r, 0, t + 50 + i);
	}
	fraud_stats(e.f, &st);
	assert_int_equal(st.subjects, 16);
	assert_int_equal(st.evictions, 10);
	assert_int_equal(fraud_subject_info(e.f, FRAUD_ACCOUNT,
			     str_make("d0@x", 4), t + 100, &in),
	    ENOENT);
	list_dirty(&e, &l);
	assert_int_equal(l.n, 16);
	for (i = 0; i < 16; i++) {
		snprintf(who, sizeof(who), "n%u@x", i);
		assert_int_equal(listed_count(&l, who), 1);
	}

	/* Evicted while being listed: the walk skips them, and what the
	 * callback changed is listed next time. */
	for (i = 0; i < 16; i++) {
		snprintf(who, sizeof(who), "n%u@x", i);
		r = call(&e, who, NULL, FIXED2, t + 100 + i, &d);
		fraud_call_end(e.f, r, 0, t + 100 + i);
	}
	memset(&l, 0, sizeof(l));
	l.e = &e;
	fraud_subject_dirty(e.f, list_and_evict, &l);
	assert_int_equal(l.n, 1);
	list_dirty(&e, &l);
	assert_int_equal(l.n, 16);
	for (i = 0; i < 16; i++) {
		snprintf(who, sizeof(who), "m%u@x", i);
		assert_int_equal(listed_count(&l, who), 1);
	}
	list_dirty(&e, &l);
	assert_int_equal(l.n, 0);
	eng_free(&e);
}

/* Put a little-endian value of "n" bytes at "off". */
static void
put_le(unsigned char *p, size_t off, unsigned n, uint64_t v)
{
	unsigned i;

	for (i = 0; i < n; i++)
		p[off + i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_le(const unsigned char *p, size_t off, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[off + i] << (8 * i);
	return v;
}

static void
test_blob_corrupt(void **state)
{
	struct eng e;
	struct fraud_decision d;
	struct fraud_stats st0, st;
	struct fraud_subject_info in, bi;
	struct fraud_callref *r;
	unsigned char good[FRAUD_BLOB_SIZE + 1], bad[FRAUD_BLOB_SIZE + 1];
	unsigned char before[FRAUD_BLOB_SIZE], after[FRAUD_BLOB_SIZE];
	int64_t t = T0 + 3600, day;
	size_t len;
	unsigned i;
	enum {
		C_SHORT,
		C_LONG,
		C_EMPTY,
		C_MAGIC,
		C_V1,
		C_V3,
		C_SUSP,
		C_PAD6,
		C_PAD7,
		C_RUN_NO_TIME,
		C_ALERT_BIT,
		C_ALERT_NO_TIME,
		C_HEADS_APART,
		C_HEAD_ZERO,
		C_CALL_LATE,
		C_CALL_EARLY,
		C_BL_UNSEEN,
		C_BL_HOURS,
		C_DN_TWICE,
		C__N
	};

	eng_new(&e,
	    "defaults = { calls_per_minute = { warning = 1; }; "
	    "distinct_numbers_per_hour = { critical = 10; }; };");
	for (i = 0; i < 3; i++) {
		r = call(&e, "c@x", NULL, i ? FIXED2 : FIXED, t + i, &d);
		fraud_call_end(e.f, r, t + i, t + i + 30);
	}
	assert_int_equal(nalerts, 1);
	memset(good, 0, sizeof(good));
	assert_int_equal(fraud_subject_export(e.f, FRAUD_ACCOUNT,
			     str_make("c@x", 3), good, sizeof(good), &len),
	    0);
	assert_int_equal(len, FRAUD_BLOB_SIZE);
	/* The documented layout. */
	assert_memory_equal(good, "CNFR\2\0\0\0", 8);
	day = (int64_t)get_le(good, 52, 4);
	assert_int_equal(day, (t + 2) / 3600);
	/* The last end (t + 32) moved the windows. */
	assert_int_equal(get_le(good, 40, 4), (t + 32) / 5);
	assert_int_equal(get_le(good, 16, 4), t + 2); /* last call */
	assert_int_equal(get_le(good, 36, 2), 2); /* FIXED2 twice */
	assert_int_equal(get_le(good, 440 + 4 * (day % 24), 4), 3);
	assert_int_equal(get_le(good, 536 + 4 * (day % 24), 4), 90);
	assert_true(get_le(good, 24, 4) != 0); /* alerted */
	assert_true(get_le(good, 984, 2) != 0 && get_le(good, 986, 2) != 0);
	/* A sane value anywhere is taken as it is. */
	memcpy(bad, good, len);
	put_le(bad, 8, 8, 0x5);
	put_le(bad, 36, 2, 7);
	put_le(bad, 38, 2, 1000);
	assert_int_equal(fraud_blob_info(bad, len, t + 10, &bi), 0);
	assert_int_equal(bi.classes_used, 0x5);
	assert_int_equal(bi.same_run, 7);
	assert_int_equal(bi.hours_learned, 1000);
	assert_int_equal(bi.calls_minute, 3);
	assert_int_equal(bi.secs_hour, 90);

	fraud_stats(e.f, &st0);
	assert_int_equal(fraud_subject_export(e.f, FRAUD_ACCOUNT,
			     str_make("c@x", 3), before, sizeof(before), &len),
	    0);
	for (i = 0; i < C__N; i++) {
		size_t blen = FRAUD_BLOB_SIZE;

		memcpy(bad, good, sizeof(good));
		switch (i) {
		case C_SHORT:
			blen--;
			break;
		case C_LONG:
			blen++;
			break;
		case C_EMPTY:
			blen = 0;
			break;
		case C_MAGIC:
			bad[0] = 'X';
			break;
		case C_V1:
			bad[4] = 1;
			break;
		case C_V3:
			bad[4] = 3;
			break;
		case C_SUSP:
			bad[5] = 2;
			break;
		case C_PAD6:
			bad[6] = 1;
			break;
		case C_PAD7:
			bad[7] = 0x80;
			break;
		case C_RUN_NO_TIME:
			put_le(bad, 32, 4, 0);
			break;
		case C_ALERT_BIT:
			put_le(bad, 24, 4, 1u << 31);
			break;
		case C_ALERT_NO_TIME:
			put_le(bad, 20, 4, 0);
			break;
		case C_HEADS_APART:
			put_le(bad, 40, 4, get_le(good, 40, 4) + 100);
			break;
		case C_HEAD_ZERO:
			put_le(bad, 44, 4, 0);
			break;
		case C_CALL_LATE:
			put_le(bad, 16, 4, (uint64_t)(day + 2) * 3600);
			break;
		case C_CALL_EARLY:
			put_le(bad, 16, 4, 5);
			break;
		case C_BL_UNSEEN:
			put_le(bad, 1112, 2, 16);
			break;
		case C_BL_HOURS:
			bad[1448] = 0x03; /* 2 slots seen, 0 hours learned */
			break;
		case C_DN_TWICE:
			memcpy(bad + 732, bad + 728, 4);
			break;
		}
		assert_int_equal(fraud_subject_import(e.f, FRAUD_ACCOUNT,
				     str_make("new@x", 5), bad, blen),
		    EINVAL);
		assert_int_equal(fraud_subject_import(e.f, FRAUD_ACCOUNT,
				     str_make("c@x", 3), bad, blen),
		    EINVAL);
		assert_int_equal(
		    fraud_blob_info(bad, blen, t + 10, &bi), EINVAL);
		fraud_stats(e.f, &st);
		assert_int_equal(st.subjects, st0.subjects);
		assert_int_equal(fraud_subject_info(e.f, FRAUD_ACCOUNT,
				     str_make("new@x", 5), t + 10, &in),
		    ENOENT);
		assert_int_equal(
		    fraud_subject_export(e.f, FRAUD_ACCOUNT, str_make("c@x", 3),
			after, sizeof(after), &len),
		    0);
		assert_memory_equal(before, after, FRAUD_BLOB_SIZE);
	}
	/* The good one still goes in, into a subject with a call up. */
	r = call(&e, "c@x", NULL, FIXED, t + 5, &d);
	assert_non_null(r);
	assert_int_equal(fraud_subject_import(e.f, FRAUD_ACCOUNT,
			     str_make("c@x", 3), good, FRAUD_BLOB_SIZE),
	    0);
	info(&e, FRAUD_ACCOUNT, "c@x", t + 10, &in);
	assert_int_equal(in.active, 1); /* calls up stay */
	assert_int_equal(in.refs, 1);
	assert_int_equal(in.calls_minute, 3); /* the blob's count */
	fraud_call_end(e.f, r, 0, t + 11);
	assert_int_equal(
	    fraud_blob_info(NULL, FRAUD_BLOB_SIZE, t, &bi), EINVAL);
	eng_free(&e);
}

/* fraud_blob_info reads what fraud_subject_info says, calls up aside. */
static void
test_blob_info(void **state)
{
	struct eng e;
	struct fraud_decision d;
	struct fraud_subject_info in, bi;
	struct fraud_callref *r, *up;
	unsigned char blob[FRAUD_BLOB_SIZE];
	int64_t t = T0 + 7200, later[] = { 0, 30, 300, 3600, 86400 };
	size_t len;
	unsigned i, k;

	eng_new(&e, "defaults = { };");
	r = call(&e, "i@x", "acme", PREMIUM, t, &d);
	fraud_call_end(e.f, r, t + 1, t + 61);
	up = call(&e, "i@x", "acme", FIXED, t + 70, &d);
	for (k = 0; k < 2; k++) {
		const char *name = k ? "acme" : "i@x";
		enum fraud_kind kind = k ? FRAUD_TRUNK : FRAUD_ACCOUNT;

		assert_int_equal(
		    fraud_subject_export(e.f, kind,
			str_make(name, strlen(name)), blob, sizeof(blob), &len),
		    0);
		for (i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
			int64_t now = t + 100 + later[i];

			assert_int_equal(
			    fraud_blob_info(blob, len, now, &bi), 0);
			info(&e, kind, name, now, &in);
			assert_info_same(&in, &bi);
			assert_int_equal(in.active, 1);
			assert_int_equal(bi.active, 0);
			assert_int_equal(bi.refs, 0);
			if (later[i] == 0) {
				assert_int_equal(bi.calls_hour, 2);
				assert_int_equal(bi.secs_hour, 60);
				assert_int_equal(bi.cost_hour_e4, 15000);
			}
			if (later[i] == 86400)
				assert_int_equal(bi.calls_day, 0);
		}
	}
	fraud_call_end(e.f, up, 0, t + 90000);
	eng_free(&e);
}

/*
 * Whatever the engine does (time going back and leaping forward, calls
 * ended late, early or out of range, suspensions, alerts, a full number
 * set), each export imports into a fresh engine and reads the same.
 */
static void
test_blob_random_states(void **state)
{
	enum {
		NSUBJ = 5,
		MAXOPEN = 32,
		OPS = 20000
	};
	struct eng a, b;
	struct saveset ss;
	struct fraud_decision d;
	struct fraud_callref *open[MAXOPEN];
	unsigned nopen = 0, i, j, seed = 777;
	int64_t t = T0 + 1000;
	char who[8], num[16];

	eng_new(&a,
	    "alert_interval = \"10m\"; defaults = {"
	    " calls_per_minute = { warning = 4; critical = 8; actions = {"
	    " critical = [ \"alert\", \"suspend\" ]; }; };"
	    " calls_per_hour = { warning = 40; };"
	    " distinct_numbers_per_hour = { warning = 30; };"
	    " same_number_in_a_row = { warning = 5; };"
	    " minutes_per_hour = { warning = 30; };"
	    " cost_per_day = { warning = 10.0; };"
	    " first_use_classes = { classes = [ \"premium\" ]; level ="
	    " \"warning\"; };"
	    " baseline = { factor = 2.0; min_calls = 3; level = "
	    "\"warning\"; };"
	    " };");
	for (i = 0; i < OPS; i++) {
		unsigned r = (unsigned)rand_r(&seed);

		switch (r % 64) {
		case 0:
			t -= (r >> 8) % 4000; /* the clock goes back */
			break;
		case 1:
			t += (r >> 8) % (10 * 86400); /* a leap */
			break;
		default:
			t += (r >> 8) % 20;
			break;
		}
		snprintf(who, sizeof(who), "a%u@x", (r >> 6) % NSUBJ);
		if ((r >> 9) % 3 == 0 && nopen > 0) {
			unsigned k = (r >> 11) % nopen;
			int64_t end =
			    (r >> 16) % 16 == 0 ? 0 : t + (r >> 20) % 900;

			fraud_call_end(a.f, open[k], t - (r >> 24) % 300, end);
			open[k] = open[--nopen];
		} else if ((r >> 9) % 97 == 1) {
			fraud_subject_resume(a.f, str_make(who, strlen(who)));
		} else {
			struct fraud_callref *ref;

			snprintf(num, sizeof(num), "%s%02u",
			    (r >> 13) % 9 == 0 ? "348031234" : "349110000",
			    (r >> 15) % 80);
			ref = call(
			    &a, who, (r >> 22) % 2 ? "acme" : NULL, num, t, &d);
			if (ref && nopen < MAXOPEN)
				open[nopen++] = ref;
			else if (ref)
				fraud_call_end(a.f, ref, t, t + 60);
		}
		if (i % 500 != 499)
			continue;
		save_all(&a, &ss);
		eng_new(&b, "defaults = { };");
		restore_all(&b, &ss);
		for (j = 0; j < ss.n; j++)
			assert_subject_same(&a, &b, &ss.s[j], t);
		eng_free(&b);
	}
	while (nopen > 0)
		fraud_call_end(a.f, open[--nopen], 0, t);
	eng_free(&a);
}

/* Memory per subject with every rule on, 100,000 accounts. */
static void
test_memory_per_subject(void **state)
{
	enum {
		N = 100000
	};
	struct eng e;
	struct fraud_decision d;
	struct fraud_stats st;
	struct mallinfo2 m0, m1; /* zeros under ASan */
	struct timespec ts0, ts1;
	char who[32];
	int i;

	eng_new(&e,
	    "defaults = {"
	    " calls_per_minute = { warning = 10; critical = 30; };"
	    " calls_per_hour = { warning = 60; critical = 200; };"
	    " calls_per_day = { warning = 300; critical = 1000; };"
	    " concurrent = { warning = 5; critical = 10; };"
	    " distinct_numbers_per_hour = { warning = 20; critical = 40; };"
	    " same_number_in_a_row = { warning = 10; critical = 30; };"
	    " minutes_per_hour = { warning = 120; critical = 300; };"
	    " minutes_per_day = { warning = 600; critical = 1500; };"
	    " cost_per_hour = { warning = 10.0; critical = 50.0; };"
	    " cost_per_day = { warning = 50.0; critical = 200.0; };"
	    " blocked_classes = [ \"satellite\" ];"
	    " first_use_classes = { classes = [ \"premium\" ]; };"
	    " hours = { allow = [ \"daily\" ]; tz = \"Europe/Madrid\"; };"
	    " baseline = { factor = 5.0; min_calls = 20; };"
	    " };");
	m0 = mallinfo2();
	clock_gettime(CLOCK_MONOTONIC, &ts0);
	for (i = 0; i < N; i++) {
		struct fraud_callref *r;

		snprintf(who, sizeof(who), "%06d@example.com", i);
		r = call(&e, who, NULL, FIXED, T0 + i / 100, &d);
		assert_int_equal(d.vd, FRAUD_PASS);
		fraud_call_end(e.f, r, T0 + i / 100, T0 + i / 100 + 30);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts1);
	m1 = mallinfo2();
	fraud_stats(e.f, &st);
	assert_int_equal(st.subjects, N);
	printf("fraud: %d subjects: struct %llu B + key; engine %llu B = "
	       "%.0f B/subject; malloc'd %.0f B/subject\n",
	    N, (unsigned long long)st.subject_bytes,
	    (unsigned long long)st.bytes, (double)st.bytes / N,
	    (double)(m1.uordblks - m0.uordblks) / N);
	/* Every rule on, each call a new subject (its allocation included). */
	printf("fraud: start + end of a call, all rules: %.0f ns\n",
	    ((double)(ts1.tv_sec - ts0.tv_sec) * 1e9 +
		(double)(ts1.tv_nsec - ts0.tv_nsec)) /
		N);
	/* Known subjects: the steady state. */
	clock_gettime(CLOCK_MONOTONIC, &ts0);
	for (i = 0; i < N; i++) {
		struct fraud_callref *r;
		int64_t t = T0 + 2000 + i / 100;

		snprintf(who, sizeof(who), "%06d@example.com", i % 1000);
		r = call(&e, who, NULL, FIXED, t, &d);
		if (r)
			fraud_call_end(e.f, r, t, t + 30);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts1);
	printf("fraud: start + end of a call of a known subject: %.0f ns\n",
	    ((double)(ts1.tv_sec - ts0.tv_sec) * 1e9 +
		(double)(ts1.tv_nsec - ts0.tv_nsec)) /
		N);
	assert_true(st.subject_bytes < 2048);
	assert_true(st.bytes / N < 2048);
	assert_true((m1.uordblks - m0.uordblks) / N < 2048);
	eng_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_good),
		cmocka_unit_test(test_cfg_absent),
		cmocka_unit_test(test_cfg_errors),
		cmocka_unit_test(test_cfg_bad_table),
		cmocka_unit_test(test_rule_calls_per_minute),
		cmocka_unit_test(test_rule_calls_per_hour),
		cmocka_unit_test(test_rule_calls_per_day),
		cmocka_unit_test(test_rule_concurrent),
		cmocka_unit_test(test_rule_distinct),
		cmocka_unit_test(test_rule_same_number),
		cmocka_unit_test(test_distinct_and_run_reset),
		cmocka_unit_test(test_rule_minutes_and_cost),
		cmocka_unit_test(test_cost_estimate),
		cmocka_unit_test(test_rule_blocked_classes),
		cmocka_unit_test(test_rule_first_use),
		cmocka_unit_test(test_rule_hours_tz),
		cmocka_unit_test(test_tzoff),
		cmocka_unit_test(test_rule_baseline),
		cmocka_unit_test(test_shadow_rule_and_global),
		cmocka_unit_test(test_actions_cap_and_suspend),
		cmocka_unit_test(test_window_slides_exactly),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_alert_interval),
		cmocka_unit_test(test_reconfigure_keeps_counts),
		cmocka_unit_test(test_concurrency_model),
		cmocka_unit_test(test_eviction_bounded),
		cmocka_unit_test(test_max_dialogs),
		cmocka_unit_test(test_blob_round_trip),
		cmocka_unit_test(test_blob_restart_across_time),
		cmocka_unit_test(test_dirty_list),
		cmocka_unit_test(test_blob_corrupt),
		cmocka_unit_test(test_blob_info),
		cmocka_unit_test(test_blob_random_states),
		cmocka_unit_test(test_memory_per_subject),
	};

	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}

/*
 * bench/callerid_bench.c -- the caller-ID decision with 2 million
 * register ranges loaded (make bench-callerid; docs/PERFORMANCE.md).
 *
 * Builds a numbering snapshot of N ranges (default 2,000,000: random
 * 6- to 8-digit prefixes under Spanish NXYs, plus an own inventory of
 * 10,000 blocks and numbers), then measures on one core:
 *  - lookups: numdb_cnmc() of random numbers, per second;
 *  - decision: what the caller-ID guard does per INVITE after parsing:
 *    the calling number from P-Asserted-Identity/From, normalisation
 *    and plan classification, the register, inventory and exception
 *    lookups, and the rules; ns per decision;
 *  - memory: bytes of the snapshot, and per range.
 * The numbers are 2^20 distinct random ones, so most lookups miss the
 * CPU caches as they would under real traffic.
 * Prints the median of 5 runs of each.
 *
 *   callerid_bench [RANGES]
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "callerid/numdb.h"
#include "callerid/rules.h"
#include "core/cfg.h"
#include "store/store.h"

#define RUNS 5
#define LOOKUPS 2000000
#define DECISIONS 500000
#define NUMS (1u << 20) /* distinct numbers: defeats the caches */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v)
{
	qsort(v, RUNS, sizeof(*v), cmp_d);
	return v[RUNS / 2];
}

/* A random Spanish number: fixed or mobile, 9 digits. */
static void
rand_nsn(char *out)
{
	static const char *const heads[] = { "91", "93", "95", "96", "98", "81",
		"82", "6", "71", "72" };
	const char *h = heads[rnd() % 10];
	size_t n = strlen(h), i;

	memcpy(out, h, n);
	for (i = n; i < 9; i++)
		out[i] = (char)('0' + rnd() % 10);
	out[9] = '\0';
}

static const char *const ops[] = { "OPERADOR UNO, S.A.", "OPERADOR DOS, S.L.",
	"OPERADOR TRES, S.A.U.", "VODAFONE ESPAÑA, S.A. UNIPERSONAL" };

int
main(int argc, char **argv)
{
	unsigned long nranges = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000;
	struct numdb_builder *b;
	struct numdb *db;
	struct numdb_info info;
	struct numplan *plan;
	struct cfg_callerid cc;
	static char nums[NUMS][16], msgs[NUMS][16];
	double lk[RUNS], dc[RUNS], t0, build;
	char err[256], nsn[16];
	unsigned long i;
	unsigned r, hits = 0, blocks = 0;

	if (numplan_load(&plan, NULL, stderr) || numdb_builder_new(&b))
		return 1;
	t0 = now_s();
	for (i = 0; i < nranges; i++) {
		struct num_range nr;
		unsigned len = 6 + (unsigned)(rnd() % 3);

		memset(&nr, 0, sizeof(nr));
		rand_nsn(nsn);
		nr.prefix[0] = '3';
		nr.prefix[1] = '4';
		memcpy(nr.prefix + 2, nsn, len);
		nr.prefix[2 + len] = '\0';
		memcpy(nr.status, "Asignado", 9);
		snprintf(nr.holder, sizeof(nr.holder), "%s", ops[i % 4]);
		nr.assigned = 1262304000;
		if (numdb_builder_range(b, &nr)) {
			fprintf(stderr, "range: %s\n", numdb_builder_errmsg(b));
			return 1;
		}
	}
	for (i = 0; i < 10000; i++) {
		struct num_own o;

		memset(&o, 0, sizeof(o));
		rand_nsn(nsn);
		snprintf(
		    o.digits, sizeof(o.digits), "34%.*s", i % 2 ? 9 : 6, nsn);
		snprintf(
		    o.kind, sizeof(o.kind), "%s", i % 2 ? "service" : "block");
		if (numdb_builder_own(b, &o))
			return 1;
	}
	if (numdb_builder_finish(b, &db, err, sizeof(err))) {
		fprintf(stderr, "build: %s\n", err);
		return 1;
	}
	build = now_s() - t0;
	numdb_info(db, &info);

	for (i = 0; i < NUMS; i++) {
		rand_nsn(nsn);
		snprintf(nums[i], sizeof(nums[i]), "34%.9s", nsn);
		snprintf(msgs[i], sizeof(msgs[i]), "+34%.9s", nsn);
	}
	for (r = 0; r < RUNS; r++) {
		struct numdb_cnmc_res res;

		t0 = now_s();
		for (i = 0; i < LOOKUPS; i++) {
			const char *n = nums[i & (NUMS - 1)];

			hits += numdb_cnmc(db, str_make(n, 11), &res);
		}
		lk[r] = LOOKUPS / (now_s() - t0);
	}

	cfg_callerid_defaults(&cc);
	for (r = 0; r < RUNS; r++) {
		t0 = now_s();
		for (i = 0; i < DECISIONS; i++) {
			const char *m = msgs[i & (NUMS - 1)];
			struct cli cli;
			struct cid_facts f;
			struct cid_verdict v;
			struct numdb_cnmc_res res;
			struct str d;
			unsigned own;

			/* What cli_from_msg does once the URI is found. */
			memset(&cli, 0, sizeof(cli));
			cli.source = CLI_PAI_TEL;
			cli.raw = str_make(m, strlen(m));
			cli.valid = number_parse(plan, cli.raw, true,
					1795219200, &cli.num) == 0;
			/* What cid_facts_fill does. */
			memset(&f, 0, sizeof(f));
			f.now = 1795219200;
			f.pclass = PEER_CLASS_NATIONAL;
			f.cli = &cli;
			d = str_make(cli.num.e164, strlen(cli.num.e164));
			f.assigned = numdb_cnmc(db, d, &res) ? CID_YES : CID_NO;
			own = numdb_own(db, d);
			f.own = own & NUMDB_OWN_BLOCK ? CID_YES : CID_NO;
			f.in_service =
			    own & NUMDB_OWN_SERVICE ? CID_YES : CID_NO;
			if (numdb_exception(
				db, d, STR("carrier"), STR("ES-A4.4"), f.now))
				f.exempt = 1u << CID_OWN_FOREIGN;
			blocks += !cid_rules_run(&cc, &f, &v);
		}
		dc[r] = (now_s() - t0) * 1e9 / DECISIONS;
	}
	printf("callerid bench: %lu ranges (%zu prefixes) built in %.2f s\n",
	    nranges, info.prefixes, build);
	printf("  snapshot: %zu bytes total, register lookup %zu bytes, "
	       "%.1f bytes per range\n",
	    info.bytes, info.range_bytes,
	    (double)info.range_bytes / (double)(nranges ? nranges : 1));
	printf("  register lookups: %.2f M/s per core (median of %d; "
	       "%u hits)\n",
	    median(lk) / 1e6, RUNS, hits);
	printf("  decision: %.0f ns per call (median of %d; %u blocked)\n",
	    median(dc), RUNS, blocks);
	numdb_unref(db);
	numplan_free(plan);
	return 0;
}

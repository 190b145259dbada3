/*
 * bench/banset_bench.c -- the banset at blocklist size: load time,
 * memory and banset_check() cost for N (5,000,000) random distinct
 * IPv4 addresses (issue 4: "5,000,000 IPv4 entries in at most 64 MB,
 * lookup under 100 ns").
 *
 * Three loads, each in its own child process (a fresh heap, so that
 * one load's freed memory does not hide the next one's growth):
 *   own     banset_put() per address, each with its own record (what
 *           the triggers and `centinelactl ban add` do);
 *   shared  banset_reserve(N) and one banset_put_shared() of all N
 *           (one feed import, one record for all);
 *   feed    banset_put_shared() per 65536 addresses without a
 *           reservation (what guard/env.c feed_apply() does today).
 * For each: wall time, banset_stats() bytes and the VmRSS growth of
 * the process (/proc/self/status; the input array is built before the
 * first reading). After "own" and "shared": banset_check() of the
 * held addresses (hits) and of as many addresses not held (misses),
 * in a shuffled order, one thread, LOOKUPS per run, RUNS runs; the
 * median ns per lookup. Every lookup's answer is checked.
 *
 * Usage: banset_bench [-n ENTRIES] [-l LOOKUPS] [-r RUNS] [-s SEED]
 *        (defaults 5000000, 20000000, 5, random)
 * Exit status: 0 when every answer was right, 1 otherwise, 2 on bad
 * usage. The targets are reported, not enforced by the exit status.
 *
 * Build (bench/flood.sh does this; or `make bench-banset`):
 *   cc $CFLAGS -Isrc -include src/core/poison.h bench/banset_bench.c \
 *       build/libcentinela.a $(pkg-config --libs ...) -lpthread -lm
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guard/banset.h"

#define RUNS_MAX 15
#define FEED_CHUNK 65536 /* IMPORT_CHUNK of guard/env.c */
#define TARGET_BYTES 64000000.0 /* 64 MB, decimal: the stricter reading */
#define TARGET_NS 100.0
#define BATCH_MAX 32 /* TP_UDP_BATCH of net/tp_int.h */

enum load {
	LOAD_OWN,
	LOAD_SHARED,
	LOAD_FEED,
	LOAD__COUNT
};

static const char *const load_label[LOAD__COUNT] = {
	"own record each: banset_put() one by one",
	"one shared import: banset_reserve() + one banset_put_shared()",
	"feed path: banset_put_shared() per 65536, no reserve (guard/env.c)",
};

/* What a child sends back through its pipe. */
struct result {
	int ok; /* every insert and every answer right */
	double insert_s;
	long rss_kb; /* VmRSS growth */
	struct banset_stats st;
	unsigned runs;
	double hit_ns[RUNS_MAX], miss_ns[RUNS_MAX];
	double bhit_ns[RUNS_MAX], bmiss_ns[RUNS_MAX]; /* batched */
};

static size_t n_entries = 5000000;
static size_t n_lookups = 20000000;
static unsigned n_runs = 5;
static uint32_t seed;

static uint32_t *keys; /* held, in insertion order */
static uint32_t *hit_order; /* the same, shuffled */
static uint32_t *miss_order; /* never held, shuffled */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* murmur3's finaliser: a bijection on 32 bits, so distinct in, distinct
 * out. */
static uint32_t
mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

static void
shuffle(uint32_t *a, size_t n)
{
	size_t i, j;
	uint32_t t;

	for (i = n; i > 1; i--) {
		j = (size_t)(rng_next() % i);
		t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}

static long
vmrss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void
make_cidr(struct cidr *c, uint32_t a)
{
	memset(c, 0, sizeof(*c));
	c->family = AF_INET;
	c->prefix = 32;
	c->addr[0] = (uint8_t)(a >> 24);
	c->addr[1] = (uint8_t)(a >> 16);
	c->addr[2] = (uint8_t)(a >> 8);
	c->addr[3] = (uint8_t)a;
}

static void
make_info(struct ban_info *bi, uint32_t now, enum ban_origin origin)
{
	memset(bi, 0, sizeof(*bi));
	bi->expires = now + 86400;
	bi->forget = bi->expires + 7 * 86400;
	bi->first_seen = bi->last_seen = now;
	bi->strikes = 1;
	bi->rung = 1;
	bi->reason = origin == BAN_FEED ? REASON_FEED : REASON_FLOOD;
	bi->origin = (uint8_t)origin;
}

/*
 * ns per banset_check() over "count" lookups of "order"; *hits = how
 * many said banned. batch > 1: banset_check_many() of "batch" sources
 * at a time, as net/udp.c does with each recvmmsg batch.
 */
static double
lookup_run(struct banset *b, const uint32_t *order, size_t count, uint32_t now,
    size_t batch, size_t *hits)
{
	struct sa sa[BATCH_MAX];
	bool got[BATCH_MAX];
	size_t i, k, n, j = 0, h = 0;
	double t0;

	memset(sa, 0, sizeof(sa));
	for (k = 0; k < BATCH_MAX; k++) {
		sa[k].u.in.sin_family = AF_INET;
		sa[k].len = sizeof(sa[k].u.in);
	}
	t0 = now_s();
	for (i = 0; i < count; i += n) {
		n = count - i < batch ? count - i : batch;
		for (k = 0; k < n; k++) {
			sa[k].u.in.sin_addr.s_addr = htonl(order[j]);
			if (++j == n_entries)
				j = 0;
		}
		if (batch == 1) {
			h += banset_check(b, &sa[0], now, NULL);
			continue;
		}
		banset_check_many(b, sa, n, now, got);
		for (k = 0; k < n; k++)
			h += got[k];
	}
	*hits = h;
	return (now_s() - t0) * 1e9 / (double)count;
}

/* lookup_run() of n_lookups that must find "want" banned; *ok = 0 if not. */
static double
checked_run(struct banset *b, const uint32_t *order, size_t batch, size_t want,
    uint32_t now, int *ok)
{
	size_t hits;
	double ns = lookup_run(b, order, n_lookups, now, batch, &hits);

	if (hits != want) {
		fprintf(stderr,
		    "banset_bench: %s, %s: %zu of %zu lookups said banned, "
		    "not %zu\n",
		    batch > 1 ? "batched" : "one at a time",
		    want ? "held addresses" : "addresses not held", hits,
		    n_lookups, want);
		*ok = 0;
	}
	return ns;
}

/*
 * The machine's memory latency: ns per load of a pointer chase through
 * "bytes" of memory (on huge pages where granted), every load waiting
 * for the one before. A lookup that misses every cache cannot take less
 * than about this when it runs alone.
 */
static double
chase_ns(size_t bytes, size_t loads)
{
	size_t n = bytes / 64, i, j, p = 0, *a, *perm;
	double t0, ns;

	if (posix_memalign((void **)&a, (size_t)2 << 20, bytes))
		return 0;
	(void)madvise(a, bytes, MADV_HUGEPAGE);
	perm = malloc(n * sizeof(*perm));
	if (!perm) {
		free(a);
		return 0;
	}
	for (i = 0; i < n; i++)
		perm[i] = i;
	for (i = n; i > 1; i--) {
		j = (size_t)(rng_next() % i);
		p = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = p;
	}
	memset(a, 0, bytes);
	for (i = 0; i < n; i++) /* one cycle through every cache line */
		a[perm[i] * 8] = perm[(i + 1) % n] * 8;
	p = perm[0] * 8;
	t0 = now_s();
	for (i = 0; i < loads; i++)
		p = a[p];
	ns = (now_s() - t0) * 1e9 / (double)loads;
	if (p == SIZE_MAX) /* keep the chase */
		ns = 0;
	free(perm);
	free(a);
	return ns;
}

static int
load(struct banset *b, enum load how, uint32_t now, struct cidr *ranges)
{
	struct ban_info bi;
	size_t i, k;
	int err = 0;

	switch (how) {
	case LOAD_OWN:
		make_info(&bi, now, BAN_GUARD);
		for (i = 0; i < n_entries && !err; i++) {
			make_cidr(&bi.range, keys[i]);
			err = banset_put(b, &bi);
		}
		break;
	case LOAD_SHARED:
		make_info(&bi, now, BAN_FEED);
		if (!(err = banset_reserve(b, n_entries)))
			err = banset_put_shared(b, ranges, n_entries, &bi);
		break;
	case LOAD_FEED:
		make_info(&bi, now, BAN_FEED);
		for (i = 0; i < n_entries && !err; i += k) {
			k = n_entries - i < FEED_CHUNK ? n_entries - i :
							 FEED_CHUNK;
			err = banset_put_shared(b, ranges + i, k, &bi);
		}
		break;
	default:
		err = EINVAL;
	}
	return err;
}

/* One load and its lookups, in a child: the result into "fd". */
static int
child(enum load how, int fd)
{
	struct result r;
	struct banset *b;
	struct cidr *ranges = NULL;
	uint32_t now = (uint32_t)time(NULL);
	size_t i, hits;
	long rss0;
	double t0;
	int err;

	memset(&r, 0, sizeof(r));
	r.ok = 1;
	if (how != LOAD_OWN) {
		ranges = malloc(n_entries * sizeof(*ranges));
		if (!ranges)
			return ENOMEM;
		for (i = 0; i < n_entries; i++)
			make_cidr(&ranges[i], keys[i]);
	}
	rss0 = vmrss_kb();
	t0 = now_s();
	if ((err = banset_alloc(&b)))
		return err;
	err = load(b, how, now, ranges);
	r.insert_s = now_s() - t0;
	r.rss_kb = vmrss_kb() - rss0;
	banset_stats(b, &r.st);
	if (err) {
		fprintf(stderr, "banset_bench: %s: %s\n", load_label[how],
		    strerror(err));
		r.ok = 0;
	}
	if (r.st.exact4 != n_entries) {
		fprintf(stderr,
		    "banset_bench: %s: %zu exact entries, not %zu\n",
		    load_label[how], r.st.exact4, n_entries);
		r.ok = 0;
	}
	if (how != LOAD_FEED && r.ok) {
		/* A warm-up pass, then the measured runs. */
		lookup_run(b, hit_order, n_entries, now, 1, &hits);
		for (r.runs = 0; r.runs < n_runs; r.runs++) {
			r.bhit_ns[r.runs] = checked_run(
			    b, hit_order, BATCH_MAX, n_lookups, now, &r.ok);
			r.bmiss_ns[r.runs] = checked_run(
			    b, miss_order, BATCH_MAX, 0, now, &r.ok);
			r.hit_ns[r.runs] =
			    checked_run(b, hit_order, 1, n_lookups, now, &r.ok);
			r.miss_ns[r.runs] =
			    checked_run(b, miss_order, 1, 0, now, &r.ok);
		}
	}
	banset_free(b);
	free(ranges);
	if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		return EIO;
	return 0;
}

static int
run_child(enum load how, struct result *r)
{
	int fds[2], status;
	ssize_t got;
	pid_t pid;

	if (pipe(fds) != 0)
		return errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		close(fds[0]);
		_exit(child(how, fds[1]) ? 1 : 0);
	}
	close(fds[1]);
	got = read(fds[0], r, sizeof(*r));
	close(fds[0]);
	if (waitpid(pid, &status, 0) < 0)
		return errno;
	if (got != (ssize_t)sizeof(*r) || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return EIO;
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(const double *v, unsigned n)
{
	double s[RUNS_MAX];

	if (n == 0)
		return 0;
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void
print_runs(const char *label, const double *v, unsigned n)
{
	double m = median(v, n);
	unsigned i;

	printf("| %s | **%.1f** [", label, m);
	for (i = 0; i < n; i++)
		printf("%s%.1f", i ? " " : "", v[i]);
	printf("] | %.1f M |\n", m > 0 ? 1e3 / m : 0);
}

static int
usage(void)
{
	fprintf(stderr,
	    "usage: banset_bench [-n ENTRIES] [-l LOOKUPS] "
	    "[-r RUNS (1..%d)] [-s SEED]\n",
	    RUNS_MAX);
	return 2;
}

int
main(int argc, char **argv)
{
	struct result res[LOAD__COUNT];
	bool ran[LOAD__COUNT] = { false };
	size_t i, m;
	uint32_t v, x;
	double lat_ns;
	int c, bad = 0, err;
	unsigned long long u;
	char *end;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint32_t)time(NULL);
	while ((c = getopt(argc, argv, "n:l:r:s:")) != -1) {
		errno = 0;
		u = strtoull(optarg, &end, 0);
		if (errno || end == optarg || *end)
			return usage();
		switch (c) {
		case 'n':
			if (u < 1 || u > 100000000)
				return usage();
			n_entries = (size_t)u;
			break;
		case 'l':
			if (u < 1)
				return usage();
			n_lookups = (size_t)u;
			break;
		case 'r':
			if (u < 1 || u > RUNS_MAX)
				return usage();
			n_runs = (unsigned)u;
			break;
		case 's':
			seed = (uint32_t)u;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();

	/* Held: mix32(seed + i) for the first N values that the exact
	 * table takes (0.0.0.0 and 0.0.0.1 are ranges to the banset);
	 * misses: the next N, distinct from every held one. */
	keys = malloc(n_entries * sizeof(*keys));
	hit_order = malloc(n_entries * sizeof(*hit_order));
	miss_order = malloc(n_entries * sizeof(*miss_order));
	if (!keys || !hit_order || !miss_order) {
		fprintf(stderr, "banset_bench: out of memory\n");
		return 1;
	}
	for (i = 0, x = seed; i < n_entries; x++)
		if ((v = mix32(x)) > 1)
			keys[i++] = v;
	for (m = 0; m < n_entries; x++)
		if ((v = mix32(x)) > 1)
			miss_order[m++] = v;
	memcpy(hit_order, keys, n_entries * sizeof(*keys));
	rng_state = ((uint64_t)seed << 32 | 0x9e3779b9u) | 1;
	shuffle(hit_order, n_entries);
	shuffle(miss_order, n_entries);

	lat_ns = chase_ns((size_t)64 << 20, 5000000);
	printf("banset_bench: %zu random distinct IPv4 addresses, "
	       "%zu lookups per run, median of %u runs, 1 thread, "
	       "seed 0x%08" PRIx32 "\n\n",
	    n_entries, n_lookups, n_runs, seed);
	for (c = 0; c < LOAD__COUNT; c++) {
		if ((err = run_child((enum load)c, &res[c])) || !res[c].ok) {
			fprintf(stderr, "banset_bench: %s: failed\n",
			    load_label[c]);
			bad = 1;
			continue;
		}
		ran[c] = true;
	}

	printf("| load of %zu addresses | time, s | inserts/s | "
	       "banset_stats bytes, MB | VmRSS growth, MB | bytes per "
	       "entry (stats) | records |\n",
	    n_entries);
	printf("|---|---|---|---|---|---|---|\n");
	for (c = 0; c < LOAD__COUNT; c++) {
		const struct result *r = &res[c];

		if (!ran[c]) {
			printf("| %s | failed | | | | | |\n", load_label[c]);
			continue;
		}
		printf("| %s | %.2f | %.2f M | %.1f | %.1f | %.1f | %zu |\n",
		    load_label[c], r->insert_s,
		    (double)n_entries / r->insert_s / 1e6,
		    (double)r->st.bytes / 1e6, (double)r->rss_kb * 1024 / 1e6,
		    (double)r->st.bytes / (double)n_entries, r->st.records);
	}
	printf("\n| banset_check(), %zu lookups per run, shuffled | ns per "
	       "lookup, median [runs] | lookups/s |\n",
	    n_lookups);
	printf("|---|---|---|\n");
	for (c = LOAD_OWN; c <= LOAD_SHARED; c++) {
		const struct result *r = &res[c];
		const char *w = c == LOAD_OWN ? "own records" : "shared import";
		char l[160];

		if (!ran[c])
			continue;
		snprintf(l, sizeof(l), "%s, hits, batches of %d (the UDP path)",
		    w, BATCH_MAX);
		print_runs(l, r->bhit_ns, r->runs);
		snprintf(
		    l, sizeof(l), "%s, misses, batches of %d", w, BATCH_MAX);
		print_runs(l, r->bmiss_ns, r->runs);
		snprintf(l, sizeof(l), "%s, hits, one at a time", w);
		print_runs(l, r->hit_ns, r->runs);
		snprintf(l, sizeof(l), "%s, misses, one at a time", w);
		print_runs(l, r->miss_ns, r->runs);
	}
	if (lat_ns > 0)
		printf("\nMemory latency of this machine (pointer chase over "
		       "64 MB, one load waiting for the other): %.1f ns per "
		       "load; a lookup one at a time that misses every cache "
		       "costs about that.\n",
		    lat_ns);
	else
		printf("\nMemory latency: not measured (out of memory).\n");
	if (ran[LOAD_SHARED]) {
		const struct result *r = &res[LOAD_SHARED];
		double mem = (double)r->st.bytes, rss = r->rss_kb * 1024.0;
		double hit = median(r->bhit_ns, r->runs),
		       miss = median(r->bmiss_ns, r->runs);

		if (rss > mem)
			mem = rss;
		printf("\nTarget (issue 4), shared import of %zu: memory <= 64 "
		       "MB: %.1f MB (the larger of banset_stats and the VmRSS "
		       "growth): %s; lookup < 100 ns as the UDP path looks up "
		       "(batches of %d): hits %.1f ns, misses %.1f ns: %s "
		       "(one at a time: hits %.1f ns, misses %.1f ns).%s\n",
		    n_entries, mem / 1e6,
		    mem <= TARGET_BYTES ? "met" : "NOT met", BATCH_MAX, hit,
		    miss,
		    hit < TARGET_NS && miss < TARGET_NS ? "met" : "NOT met",
		    median(r->hit_ns, r->runs), median(r->miss_ns, r->runs),
		    n_entries != 5000000 ? " (N is not 5,000,000: the memory "
					   "target is for 5,000,000)" :
					   "");
	}
	return bad;
}

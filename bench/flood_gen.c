/*
 * bench/flood_gen.c -- a SIP flood from many loopback source addresses,
 * for bench/flood.sh.
 *
 * One UDP socket bound to 0.0.0.0:PORT sends well-formed SIP requests
 * (OPTIONS to the target itself, or INVITE to sip:1000@target) with
 * sendmmsg(), each datagram with its own source address chosen by an
 * IP_PKTINFO control message: SOURCES addresses of 127/8 from BASE on
 * (last octets 0 and 255 skipped). Every datagram has its own branch,
 * Call-ID and tag. Answers come back to the same socket and are
 * counted (with the source they were sent to, from IP_PKTINFO).
 *
 * Order:
 *   rr       round robin over all sources, from the first datagram;
 *   grouped  first a "ban pass": groups of GROUP sources, each source
 *            of a group sending PER_SOURCE datagrams interleaved with
 *            the others of its group (so that every source goes well
 *            over any per-source rate limit at once), group after
 *            group; then round robin. -1 stops after the ban pass.
 * Rate: as fast as the socket takes them (default), or RATE per second.
 * Bounded: SECS seconds at most (<= 600), COUNT datagrams at most;
 * then LINGER ms more to count late answers. The target must be a
 * loopback address.
 *
 * Prints one line of key=value:
 *   sent answered answers answered_2xx answered_other answered_sources
 *   max_per_source elapsed pps send_errors rx_drops pass_done sources
 * (answered: requests of this run that got at least one answer, told
 * apart by Call-ID; answers: answer datagrams to them, answered_2xx
 * those with a 2xx status; answered_other: anything else that arrived,
 * e.g. a UAS resending its 200 to an INVITE of an earlier run;
 * answered_sources / max_per_source: sources with an answered request,
 * the most answered requests of one source; elapsed: first to last datagram
 * sent, seconds; rx_drops: datagrams the kernel dropped at this
 * socket; pass_done: the ban pass ended).
 *
 * Usage: flood_gen -t IP:PORT -p LOCALPORT [-b BASE] [-n SOURCES]
 *            [-d SECS] [-c COUNT] [-r RATE] [-o rr|grouped] [-g GROUP]
 *            [-k PER_SOURCE] [-1] [-m OPTIONS|INVITE] [-B BATCH]
 *            [-w LINGER_MS]
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/sock_diag.h>

#define BATCH_MAX 256
#define MSG_MAX 1024
#define RX_BATCH 64
#define SOURCES_MAX 1000000

struct slot {
	char buf[MSG_MAX];
	union {
		char ctl[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} u;
	struct iovec iov;
};

static volatile sig_atomic_t stop;

static uint32_t *srcs; /* host order, ascending */
static uint32_t *answers; /* per source */
static size_t nsrcs;

static uint64_t n_answered, n_answers, n_2xx, n_other;
static uint8_t *seen; /* bit per request sequence number: answered */
static uint64_t seen_cap; /* bits */
static char salt_tag[16]; /* "fl<salt>-": in the Call-ID of our requests */
static size_t salt_len;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
usage(void)
{
	fprintf(stderr,
	    "usage: flood_gen -t IP:PORT -p LOCALPORT [-b BASE] [-n SOURCES] "
	    "[-d SECS] [-c COUNT]\n"
	    "                 [-r RATE] [-o rr|grouped] [-g GROUP] "
	    "[-k PER_SOURCE] [-1]\n"
	    "                 [-m OPTIONS|INVITE] [-B BATCH] [-w LINGER_MS]\n");
	return 2;
}

static int
num(const char *s, unsigned long long lo, unsigned long long hi,
    unsigned long long *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return EINVAL;
	*out = v;
	return 0;
}

/* "127.0.0.1:5060" into "sin"; loopback only. */
static int
parse_target(const char *s, struct sockaddr_in *sin)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	unsigned long long port;
	size_t n;

	if (!colon || (n = (size_t)(colon - s)) == 0 || n >= sizeof(host))
		return EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	if (num(colon + 1, 1, 65535, &port))
		return EINVAL;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1 ||
	    (ntohl(sin->sin_addr.s_addr) >> 24) != 127)
		return EINVAL;
	return 0;
}

static int
make_sources(uint32_t base, size_t n)
{
	uint32_t a = base;
	size_t i;

	srcs = malloc(n * sizeof(*srcs));
	answers = calloc(n, sizeof(*answers));
	if (!srcs || !answers)
		return ENOMEM;
	for (i = 0; i < n; a++) {
		if ((a >> 24) != 127)
			return ERANGE; /* ran out of 127/8 */
		if ((a & 0xff) == 0 || (a & 0xff) == 255)
			continue;
		srcs[i++] = a;
	}
	nsrcs = n;
	return 0;
}

static ssize_t
src_index(uint32_t a)
{
	size_t lo = 0, hi = nsrcs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (srcs[mid] == a)
			return (ssize_t)mid;
		if (srcs[mid] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Room in "seen" for sequence numbers up to "seq". */
static int
seen_room(uint64_t seq)
{
	uint64_t cap;
	uint8_t *n;

	if (seq < seen_cap)
		return 0;
	cap = (seq + (1u << 23)) & ~(uint64_t)7;
	n = realloc(seen, (size_t)(cap / 8));
	if (!n)
		return ENOMEM;
	memset(n + seen_cap / 8, 0, (size_t)((cap - seen_cap) / 8));
	seen = n;
	seen_cap = cap;
	return 0;
}

/* The sequence number after "fl<salt>-" in an answer's Call-ID; 0 if
 * none. */
static uint64_t
answer_seq(const char *buf, size_t len, const char *at)
{
	size_t off = (size_t)(at - buf) + salt_len;
	uint64_t v = 0;
	int d;

	for (; off < len && v < (UINT64_C(1) << 58); off++) {
		char ch = buf[off];

		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else
			break;
		v = v * 16 + (uint64_t)d;
	}
	return v;
}

/* Count what has arrived, without waiting. */
static void
drain(int fd)
{
	static char bufs[RX_BATCH][2048];
	static union {
		char c[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl[RX_BATCH];
	struct mmsghdr mm[RX_BATCH];
	struct iovec iov[RX_BATCH];
	int i, n, rounds;

	for (rounds = 0; rounds < 64; rounds++) {
		memset(mm, 0, sizeof(mm));
		for (i = 0; i < RX_BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_control = ctl[i].c;
			mm[i].msg_hdr.msg_controllen = sizeof(ctl[i].c);
		}
		n = recvmmsg(fd, mm, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (i = 0; i < n; i++) {
			struct msghdr *h = &mm[i].msg_hdr;
			struct cmsghdr *c;
			const char *at;
			uint64_t rs;
			ssize_t k;

			/* Answers to another run's requests (a UAS
			 * retransmitting a 200 to an INVITE of the ban
			 * phase) are counted apart. */
			at = memmem(bufs[i], mm[i].msg_len, salt_tag, salt_len);
			if (!at) {
				n_other++;
				continue;
			}
			n_answers++;
			if (mm[i].msg_len >= 9 &&
			    memcmp(bufs[i], "SIP/2.0 2", 9) == 0)
				n_2xx++;
			/* Requests answered: the first answer of each. */
			rs = answer_seq(bufs[i], mm[i].msg_len, at);
			if (rs == 0 || rs >= seen_cap ||
			    (seen[rs / 8] & (1u << (rs % 8))))
				continue;
			seen[rs / 8] |= (uint8_t)(1u << (rs % 8));
			n_answered++;
			for (c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
				struct in_pktinfo pi;

				if (c->cmsg_level != IPPROTO_IP ||
				    c->cmsg_type != IP_PKTINFO)
					continue;
				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				k = src_index(ntohl(pi.ipi_addr.s_addr));
				if (k >= 0)
					answers[k]++;
			}
		}
		if (n < RX_BATCH)
			return;
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in target, local;
	struct slot *slots;
	struct mmsghdr mm[BATCH_MAX];
	char tgt[INET_ADDRSTRLEN];
	unsigned long long secs = 10, count = 0, rate = 0, group = 64,
			   per_source = 400, batch = 64, linger = 200, n = 1000,
			   lport = 0;
	uint32_t base = 0x7f640001; /* 127.100.0.1 */
	bool grouped = false, pass_only = false, invite = false,
	     have_target = false, pass_done;
	uint64_t sent = 0, errors = 0, seq = 0;
	size_t rr = 0, g0 = 0, gi = 0, i;
	unsigned long long gk = 0;
	uint32_t drops = 0, meminfo[SK_MEMINFO_VARS];
	socklen_t ml = sizeof(meminfo);
	double t0, t_last, t_end;
	int c, fd, one = 1, bufsz = 4 << 20;
	uint32_t salt;
	struct sigaction sa;

	while ((c = getopt(argc, argv, "t:p:b:n:d:c:r:o:g:k:1m:B:w:")) != -1) {
		switch (c) {
		case 't':
			if (parse_target(optarg, &target))
				return usage();
			have_target = true;
			break;
		case 'p':
			if (num(optarg, 1, 65535, &lport))
				return usage();
			break;
		case 'b': {
			struct in_addr a;

			if (inet_pton(AF_INET, optarg, &a) != 1 ||
			    (ntohl(a.s_addr) >> 24) != 127)
				return usage();
			base = ntohl(a.s_addr);
			break;
		}
		case 'n':
			if (num(optarg, 1, SOURCES_MAX, &n))
				return usage();
			break;
		case 'd':
			if (num(optarg, 1, 600, &secs))
				return usage();
			break;
		case 'c':
			if (num(optarg, 0, UINT64_MAX, &count))
				return usage();
			break;
		case 'r':
			if (num(optarg, 0, 100000000, &rate))
				return usage();
			break;
		case 'o':
			if (strcmp(optarg, "grouped") == 0)
				grouped = true;
			else if (strcmp(optarg, "rr") == 0)
				grouped = false;
			else
				return usage();
			break;
		case 'g':
			if (num(optarg, 1, SOURCES_MAX, &group))
				return usage();
			break;
		case 'k':
			if (num(optarg, 1, 1000000, &per_source))
				return usage();
			break;
		case '1':
			pass_only = true;
			break;
		case 'm':
			if (strcmp(optarg, "OPTIONS") == 0)
				invite = false;
			else if (strcmp(optarg, "INVITE") == 0)
				invite = true;
			else
				return usage();
			break;
		case 'B':
			if (num(optarg, 1, BATCH_MAX, &batch))
				return usage();
			break;
		case 'w':
			if (num(optarg, 0, 10000, &linger))
				return usage();
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || !have_target || !lport)
		return usage();
	pass_only = pass_only && grouped;
	if ((errno = make_sources(base, (size_t)n))) {
		fprintf(stderr, "flood_gen: %s\n",
		    errno == ERANGE ? "the sources run past 127/8" :
				      strerror(errno));
		return 1;
	}
	inet_ntop(AF_INET, &target.sin_addr, tgt, sizeof(tgt));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("flood_gen: socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	memset(&local, 0, sizeof(local));
	local.sin_family = AF_INET;
	local.sin_port = htons((uint16_t)lport);
	local.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) != 0) {
		perror("flood_gen: bind");
		return 1;
	}

	slots = calloc(batch, sizeof(*slots));
	if (!slots) {
		fprintf(stderr, "flood_gen: out of memory\n");
		return 1;
	}
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < batch; i++) {
		struct cmsghdr *cm;

		slots[i].iov.iov_base = slots[i].buf;
		mm[i].msg_hdr.msg_name = &target;
		mm[i].msg_hdr.msg_namelen = sizeof(target);
		mm[i].msg_hdr.msg_iov = &slots[i].iov;
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_control = slots[i].u.ctl;
		mm[i].msg_hdr.msg_controllen = sizeof(slots[i].u.ctl);
		cm = CMSG_FIRSTHDR(&mm[i].msg_hdr);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
	}

	salt = (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL);
	salt_len = (size_t)snprintf(
	    salt_tag, sizeof(salt_tag), "fl%08" PRIx32 "-", salt);
	pass_done = !grouped;
	t0 = now_s();
	t_last = t0;
	t_end = t0 + (double)secs;
	while (!stop && (!count || sent < count)) {
		unsigned k = 0;
		int got;

		if (seen_room(seq + batch)) {
			fprintf(stderr, "flood_gen: out of memory\n");
			break;
		}

		for (k = 0; k < batch && (!count || sent + k < count); k++) {
			struct slot *s = &slots[k];
			struct cmsghdr *cm = CMSG_FIRSTHDR(&mm[k].msg_hdr);
			struct in_pktinfo pi;
			char ip[INET_ADDRSTRLEN];
			struct in_addr ia;
			size_t si;
			int len;

			if (pass_done && pass_only)
				break;
			if (!pass_done) {
				/* Ban pass: source g0 + gi of the group, its
				 * gk-th datagram. */
				size_t gn = nsrcs - g0 < group ? nsrcs - g0 :
								 (size_t)group;

				si = g0 + gi;
				if (++gi == gn) {
					gi = 0;
					if (++gk == per_source) {
						gk = 0;
						g0 += gn;
						if (g0 >= nsrcs)
							pass_done = true;
					}
				}
			} else {
				si = rr;
				if (++rr == nsrcs)
					rr = 0;
			}
			ia.s_addr = htonl(srcs[si]);
			inet_ntop(AF_INET, &ia, ip, sizeof(ip));
			seq++;
			if (invite)
				len = snprintf(s->buf, sizeof(s->buf),
				    "INVITE sip:1000@%s:%u SIP/2.0\r\n"
				    "Via: SIP/2.0/UDP %s:%llu;branch=z9hG4bK-"
				    "fl%08" PRIx32 "%010" PRIx64 ";rport\r\n"
				    "Max-Forwards: 70\r\n"
				    "From: <sip:flood@%s>;tag=%" PRIx64 "\r\n"
				    "To: <sip:1000@%s>\r\n"
				    "Call-ID: fl%08" PRIx32 "-%" PRIx64
				    "@%s\r\n"
				    "CSeq: 1 INVITE\r\n"
				    "Contact: <sip:flood@%s:%llu>\r\n"
				    "User-Agent: flood_gen/1\r\n"
				    "Content-Length: 0\r\n\r\n",
				    tgt, ntohs(target.sin_port), ip, lport,
				    salt, seq, ip, seq, tgt, salt, seq, ip, ip,
				    lport);
			else
				len = snprintf(s->buf, sizeof(s->buf),
				    "OPTIONS sip:%s:%u SIP/2.0\r\n"
				    "Via: SIP/2.0/UDP %s:%llu;branch=z9hG4bK-"
				    "fl%08" PRIx32 "%010" PRIx64 ";rport\r\n"
				    "Max-Forwards: 70\r\n"
				    "From: <sip:flood@%s>;tag=%" PRIx64 "\r\n"
				    "To: <sip:%s:%u>\r\n"
				    "Call-ID: fl%08" PRIx32 "-%" PRIx64
				    "@%s\r\n"
				    "CSeq: 1 OPTIONS\r\n"
				    "Accept: application/sdp\r\n"
				    "User-Agent: flood_gen/1\r\n"
				    "Content-Length: 0\r\n\r\n",
				    tgt, ntohs(target.sin_port), ip, lport,
				    salt, seq, ip, seq, tgt,
				    ntohs(target.sin_port), salt, seq, ip);
			if (len < 0 || (size_t)len >= sizeof(s->buf))
				len = 0;
			s->iov.iov_len = (size_t)len;
			memset(&pi, 0, sizeof(pi));
			pi.ipi_spec_dst = ia;
			memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		}
		if (k == 0)
			break;
		got = sendmmsg(fd, mm, k, 0);
		if (got < 0) {
			if (errno != EINTR)
				errors++;
		} else {
			sent += (uint64_t)got;
			if ((unsigned)got < k)
				errors += k - (unsigned)got;
		}
		t_last = now_s();
		drain(fd);
		if (pass_done && pass_only)
			break;
		if (t_last >= t_end)
			break;
		if (rate) {
			double due = t0 + (double)sent / (double)rate;

			if (due > t_last) {
				struct timespec ts;
				double w = due - t_last;

				ts.tv_sec = (time_t)w;
				ts.tv_nsec =
				    (long)((w - (double)ts.tv_sec) * 1e9);
				nanosleep(&ts, NULL);
			}
		}
	}
	/* Late answers. */
	{
		double until = now_s() + (double)linger / 1000.0;

		while (!stop && now_s() < until) {
			struct timespec ts = { 0, 2000000 };

			drain(fd);
			nanosleep(&ts, NULL);
		}
		drain(fd);
	}
	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, meminfo, &ml) == 0 &&
	    ml >= sizeof(uint32_t) * (SK_MEMINFO_DROPS + 1))
		drops = meminfo[SK_MEMINFO_DROPS];
	{
		size_t answered_src = 0;
		uint32_t maxper = 0;
		double el = t_last - t0;

		for (i = 0; i < nsrcs; i++) {
			if (answers[i])
				answered_src++;
			if (answers[i] > maxper)
				maxper = answers[i];
		}
		printf("sent=%" PRIu64 " answered=%" PRIu64 " answers=%" PRIu64
		       " answered_2xx=%" PRIu64 " answered_other=%" PRIu64
		       " answered_sources=%zu"
		       " max_per_source=%" PRIu32 " elapsed=%.3f pps=%.0f"
		       " send_errors=%" PRIu64 " rx_drops=%" PRIu32
		       " pass_done=%d sources=%zu\n",
		    sent, n_answered, n_answers, n_2xx, n_other, answered_src,
		    maxper, el, el > 0 ? (double)sent / el : 0.0, errors, drops,
		    pass_done ? 1 : 0, nsrcs);
	}
	close(fd);
	free(slots);
	free(srcs);
	free(answers);
	free(seen);
	return 0;
}

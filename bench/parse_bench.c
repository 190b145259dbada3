/*
 * bench/parse_bench.c -- sip_parse() throughput on a realistic INVITE
 * (12 header fields, SDP body) and its 200 OK.
 *
 * Usage: parse_bench [N]   (N iterations of each message, default
 * 2000000). Prints messages/s and ns/message per message and overall.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sip/sip.h"

static const char invite[] =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP "
    "pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com;transport=udp>\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO, REFER, "
    "NOTIFY\r\n"
    "Supported: replaces, timer, 100rel\r\n"
    "User-Agent: Example-Softphone/4.2.1 (Linux x86_64)\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 363\r\n"
    "\r\n"
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\n"
    "s=Session SDP\r\n"
    "c=IN IP4 192.0.2.101\r\n"
    "t=0 0\r\n"
    "m=audio 49172 RTP/AVP 0 8 18 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=fmtp:18 annexb=no\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n"
    "a=rtcp:49173 IN IP4 192.0.2.101\r\n"
    "a=ssrc:2807418322 cname:alice@pc33\r\n";

static const char ok200[] =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP "
    "pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport=5060;received="
    "192.0.2.101\r\n"
    "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:bob@192.0.2.4>\r\n"
    "Server: Example-Server/1.0\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
run(const char *name, const char *buf, size_t len, unsigned long n)
{
	static struct sip_msg msg;
	struct sip_limits lim;
	unsigned long i;
	double t0, dt;

	sip_limits_default(&lim);
	if (sip_parse(&lim, &msg, buf, len) != 0) {
		fprintf(stderr, "parse_bench: %s does not parse\n", name);
		exit(1);
	}
	t0 = now();
	for (i = 0; i < n; i++) {
		if (sip_parse(&lim, &msg, buf, len) != 0)
			abort();
		/* Keep the compiler from hoisting the call out of the loop. */
		__asm__ volatile("" : : "r"(&msg) : "memory");
	}
	dt = now() - t0;
	printf("%-8s %4zu bytes %2u hdrs: %10.0f msg/s %7.1f ns/msg\n", name,
	    len, msg.nhdrs, (double)n / dt, dt * 1e9 / (double)n);
	return dt;
}

int
main(int argc, char **argv)
{
	unsigned long n = 2000000;
	double dt;
	char *end;

	if (argc > 1) {
		errno = 0;
		n = strtoul(argv[1], &end, 10);
		if (errno != 0 || *end != '\0' || n == 0) {
			fprintf(stderr, "usage: parse_bench [iterations]\n");
			return 2;
		}
	}
	dt = run("INVITE", invite, sizeof(invite) - 1, n);
	dt += run("200 OK", ok200, sizeof(ok200) - 1, n);
	printf("%-8s %25s %10.0f msg/s %7.1f ns/msg\n", "total", "",
	    (double)(2 * n) / dt, dt * 1e9 / (double)(2 * n));
	return 0;
}

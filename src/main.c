/*
 * main.c -- the centinela daemon: command line, start-up, signals.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "admin/http.h"
#include "callerid/cid.h"
#include "core/cfg.h"
#include "core/log.h"
#include "core/loop.h"
#include "guard/geo.h"
#include "guard/scanner.h"
#include "prov/prov.h"
#include "net/tp.h"
#include "route/proxy.h"

#define CENTINELA_VERSION "0.1.0"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: centinela [-t] [-f] [-c FILE]\n"
	    "  -c FILE  configuration file (default: the embedded one,\n"
	    "           etc/centinela.conf at build time)\n"
	    "  -t       check the configuration and exit\n"
	    "  -f       stay in the foreground (the default; for scripts)\n"
	    "  -V       print the version\n"
	    "  -h       this help\n");
}

struct sigctx {
	struct loop *l;
	struct proxy *p;
};

static void
on_signal(int fd, unsigned events, void *arg)
{
	struct signalfd_siginfo si;
	struct sigctx *sc = arg;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
			log_info("signal %u: shutting down", si.ssi_signo);
			loop_stop(sc->l);
		} else if (si.ssi_signo == SIGHUP && sc->p) {
			log_info("SIGHUP: reloading the scanner signatures "
				 "and the TLS certificates");
			proxy_reload(sc->p);
		}
	}
}

static void
announce(const struct cfg *cfg)
{
	char line[1024], a[SA_STRLEN];
	size_t n = 0;
	unsigned i;

	for (i = 0; i < cfg->nlisten && n < sizeof(line); i++) {
		int r = snprintf(line + n, sizeof(line) - n, "%s%s %s",
		    i ? ", " : "", sip_transport_lc(cfg->listen[i].tp),
		    sa_fmt(&cfg->listen[i].addr, a, sizeof(a)));

		if (r < 0)
			break;
		n += (size_t)r;
	}
	log_info("centinela %s listening on %s", CENTINELA_VERSION, line);
	if (cfg->metrics_port)
		log_info("metrics on http://%s/metrics",
		    sa_fmt(&cfg->metrics_addr, a, sizeof(a)));
	for (i = 0; i < cfg->nupstreams; i++)
		log_info("upstream %s: %s %s priority %u weight %u",
		    cfg->upstreams[i].name,
		    sip_transport_lc(cfg->upstreams[i].tp),
		    sa_fmt(&cfg->upstreams[i].addr, a, sizeof(a)),
		    cfg->upstreams[i].priority, cfg->upstreams[i].weight);
}

int
main(int argc, char **argv)
{
	const char *path = NULL;
	struct cfg *cfg = NULL;
	struct loop *l = NULL;
	struct proxy *p = NULL;
	struct admin_http *ah = NULL;
	struct prov *pv = NULL;
	struct sigset *sigs = NULL;
	struct sigctx sc = { NULL, NULL };
	bool check_only = false;
	sigset_t mask;
	int ch, err, sfd = -1, rc = 1;

	while ((ch = getopt(argc, argv, "c:tfVh")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check_only = true;
			break;
		case 'f':
			break;
		case 'V':
			printf("centinela %s\n", CENTINELA_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "centinela: unexpected argument \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return 2;
	}
	err = cfg_load(&cfg, path, stderr);
	if (err) {
		fprintf(stderr, "centinela: configuration %s has errors\n",
		    path ? path : "<embedded>");
		return 1;
	}
	/* The signature file is part of the configuration. */
	err = sig_load(&sigs,
	    cfg->guard.signatures[0] ? cfg->guard.signatures : NULL, stderr);
	sig_free(sigs);
	if (err) {
		fprintf(stderr, "centinela: signature file %s has errors\n",
		    cfg->guard.signatures[0] ? cfg->guard.signatures :
					       "<embedded>");
		cfg_free(cfg);
		return 1;
	}
	if (cfg->guard.geo_db[0]) {
		/* The GeoIP database too: a bad one would stop the start. */
		struct geo *g;
		char msg[256];

		if (geo_open(&g, cfg->guard.geo_db, msg, sizeof(msg))) {
			fprintf(stderr, "%s: %s\n", path ? path : "<embedded>",
			    msg);
			cfg_free(cfg);
			return 1;
		}
		geo_close(g);
	}
	/* The numbering plan and the STIR roots and key too. */
	if (cid_check_config(cfg, stderr)) {
		fprintf(stderr,
		    "centinela: caller-ID settings of %s have errors\n",
		    path ? path : "<embedded>");
		cfg_free(cfg);
		return 1;
	}
	/* Certificates, keys and CA files, loaded as the daemon would. */
	if (tp_tls_check(cfg, path ? path : "<embedded>", stderr)) {
		fprintf(stderr, "centinela: TLS settings of %s have errors\n",
		    path ? path : "<embedded>");
		cfg_free(cfg);
		return 1;
	}
	if (check_only) {
		printf("%s: configuration OK\n", path ? path : "<embedded>");
		cfg_free(cfg);
		return 0;
	}
	log_setup((enum log_format)cfg->log_format,
	    (enum log_level)cfg->log_level, 2);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);

	if ((err = loop_alloc(&l))) {
		log_error("event loop: %s", strerror(err));
		goto out;
	}
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	sc.l = l;
	if (sfd < 0 || loop_fd_add(l, sfd, LOOP_READ, on_signal, &sc)) {
		log_error("signalfd: %s", strerror(errno));
		goto out;
	}
	if ((err = proxy_alloc(&p, l, cfg))) {
		log_error("cannot start: %s", strerror(err));
		goto out;
	}
	sc.p = p;
	if ((err = admin_http_start(&ah, cfg, proxy_cid(p)))) {
		char a[SA_STRLEN];

		log_error("cannot serve metrics on %s: %s",
		    sa_fmt(&cfg->metrics_addr, a, sizeof(a)), strerror(err));
		goto out;
	}
	if ((err = prov_start(&pv, cfg, proxy_ban(p))))
		goto out;
	announce(cfg);
	err = loop_run(l);
	rc = err ? 1 : 0;
out:
	prov_stop(pv);
	admin_http_stop(ah);
	proxy_free(p);
	if (sfd >= 0)
		close(sfd);
	loop_free(l);
	cfg_free(cfg);
	return rc;
}

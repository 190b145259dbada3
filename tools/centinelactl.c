/*
 * tools/centinelactl.c -- control tool for centinela.
 *
 * Commands are matched from a static table by unique prefix (relayctl
 * style): "centinelactl met" is "metrics"; an ambiguous prefix is an
 * error that lists the candidates.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/cfg.h"
#include "ctl.h"

struct cmd {
	const char *name;
	const char *help;
	int (*fn)(int argc, char **argv);
};

static int cmd_check(int argc, char **argv);
static int cmd_metrics(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct cmd cmds[] = {
	{ "alerts",
	    "alerts list|test ...: alerts and their deliveries; a test alert "
	    "(\"alerts\" alone for help)",
	    ctl_alerts },
	{ "alias",
	    "alias COMMAND ...: registered SMS sender aliases (import, list)",
	    ctl_alias },
	{ "allow",
	    "allow COMMAND ...: sources no guard ever blocks (add, del, "
	    "list)",
	    ctl_allow },
	{ "ban",
	    "ban COMMAND ...: bans (list, add, del, show, stats, import, "
	    "export; \"ban\" alone for help)",
	    ctl_ban },
	{ "check", "check -c FILE: validate a configuration file", cmd_check },
	{ "device",
	    "device COMMAND ...: phones the provisioning service configures "
	    "(\"device\" alone for help)",
	    ctl_device },
	{ "fraud",
	    "fraud list|show ...: the toll-fraud counters of accounts and "
	    "trunks (\"fraud\" alone for help)",
	    ctl_fraud },
	{ "metrics",
	    "metrics [ADDR:PORT]: print the daemon's metrics "
	    "(default 127.0.0.1:9060)",
	    cmd_metrics },
	{ "numbering",
	    "numbering COMMAND ...: caller-ID numbering data (import-cnmc, "
	    "own, exception, lookup, stats; \"numbering\" alone for help)",
	    ctl_numbering },
	{ "report",
	    "report blocks --from DATE --to DATE [...]: caller-ID blocking "
	    "report (\"report\" alone for help)",
	    ctl_report },
	{ "robinson",
	    "robinson import FILE [--replace]: the Lista Robinson (hashes or "
	    "numbers)",
	    ctl_robinson },
	{ "tls",
	    "tls COMMAND ...: a private CA, server and device certificates "
	    "for labs (\"tls\" alone for help)",
	    ctl_tls },
	{ "user",
	    "user COMMAND ...: accounts (add, passwd, rotate-secret, "
	    "suspend, resume, del, list, show; \"user\" alone for help)",
	    ctl_user },
	{ "version", "version: print the version", cmd_version },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

int
ctl_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("centinelactl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int
ctl_head(int argc, char **argv, const char **conf, const char **store,
    const char **sub)
{
	int i = 1;

	*conf = *store = NULL;
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			*conf = argv[i + 1];
		else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
			*store = argv[i + 1];
		else
			return 0;
		i += 2;
	}
	if (i >= argc)
		return 0;
	*sub = argv[i];
	return i + 1;
}

static void
usage(FILE *f)
{
	unsigned i;

	fprintf(f, "usage: centinelactl COMMAND [ARGS]\ncommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %s\n", cmds[i].help);
}

static int
cmd_check(int argc, char **argv)
{
	struct cfg *cfg;
	const char *path = NULL;

	if (argc == 3 && strcmp(argv[1], "-c") == 0)
		path = argv[2];
	else if (argc == 2)
		path = argv[1];
	else if (argc != 1) {
		fprintf(stderr, "centinelactl: usage: check -c FILE\n");
		return 2;
	}
	if (cfg_load(&cfg, path, stderr))
		return 1;
	printf("%s: configuration OK\n", path ? path : "<embedded>");
	cfg_free(cfg);
	return 0;
}

static int
cmd_metrics(int argc, char **argv)
{
	const char *target = argc > 1 ? argv[1] : "127.0.0.1:9060";
	char host[64], req[128], buf[4096];
	const char *colon = strrchr(target, ':');
	struct sa sa;
	uint32_t port;
	ssize_t n;
	int fd;
	bool body = false;

	if (argc > 2 || !colon || (size_t)(colon - target) >= sizeof(host) ||
	    str_to_u32_max(
		str_make(colon + 1, strlen(colon + 1)), 65535, &port) ||
	    port == 0) {
		fprintf(stderr,
		    "centinelactl: metrics: expected ADDR:PORT, "
		    "got \"%s\"\n",
		    target);
		return 2;
	}
	memcpy(host, target, (size_t)(colon - target));
	host[colon - target] = '\0';
	if (sa_set_cstr(&sa, host, (uint16_t)port)) {
		fprintf(stderr,
		    "centinelactl: metrics: \"%s\" is not a "
		    "numeric address\n",
		    host);
		return 2;
	}
	fd = socket(sa_family(&sa), SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, &sa.u.sa, sa.len) < 0) {
		fprintf(stderr, "centinelactl: cannot connect to %s: %s\n",
		    target, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	snprintf(req, sizeof(req), "GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n",
	    target);
	if (write(fd, req, strlen(req)) < 0) {
		close(fd);
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		const char *p = buf;
		size_t len = (size_t)n;

		if (!body) {
			const char *e = memmem(buf, len, "\r\n\r\n", 4);

			if (!e)
				continue;
			body = true;
			len -= (size_t)(e + 4 - buf);
			p = e + 4;
		}
		fwrite(p, 1, len, stdout);
	}
	close(fd);
	return body ? 0 : 1;
}

static int
cmd_version(int argc, char **argv)
{
	printf("centinelactl 0.1.0\n");
	return 0;
}

int
main(int argc, char **argv)
{
	const struct cmd *match = NULL;
	size_t len;
	unsigned i, nmatch = 0;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	len = strlen(argv[1]);
	for (i = 0; i < NCMDS; i++) {
		if (strcmp(cmds[i].name, argv[1]) == 0) {
			match = &cmds[i];
			nmatch = 1;
			break;
		}
		if (len && strncmp(cmds[i].name, argv[1], len) == 0) {
			match = &cmds[i];
			nmatch++;
		}
	}
	if (nmatch == 0) {
		fprintf(
		    stderr, "centinelactl: unknown command \"%s\"\n", argv[1]);
		usage(stderr);
		return 2;
	}
	if (nmatch > 1) {
		fprintf(stderr, "centinelactl: ambiguous command \"%s\"\n",
		    argv[1]);
		return 2;
	}
	return match->fn(argc - 1, argv + 1);
}

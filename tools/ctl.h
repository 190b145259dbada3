/*
 * tools/ctl.h -- commands of centinelactl implemented outside
 * centinelactl.c. Each takes the arguments after the command name
 * (argv[0] is the command) and returns the exit status.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_TOOLS_CTL_H
#define CENTINELA_TOOLS_CTL_H

/* "centinelactl: " + the message + newline on stderr; returns 1. */
int ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The head every store command shares: [-c CONF] [--store URI] SUB.
 * Sets *conf and *store (NULL when absent) and *sub; returns the index
 * of the first argument after SUB, or 0 on a usage error.
 */
int ctl_head(int argc, char **argv, const char **conf, const char **store,
    const char **sub);

int ctl_user(int argc, char **argv);
int ctl_ban(int argc, char **argv);
int ctl_allow(int argc, char **argv);
/* tools/ctl_num.c: the caller-ID numbering data. */
int ctl_numbering(int argc, char **argv);
int ctl_alias(int argc, char **argv);
int ctl_robinson(int argc, char **argv);
/* tools/ctl_report.c: the caller-ID blocking reports. */
int ctl_report(int argc, char **argv);
/* tools/ctl_alert.c: the alerts the daemon raised, and a test alert. */
int ctl_alerts(int argc, char **argv);
int ctl_fraud(int argc, char **argv);
/* tools/ctl_device.c: phones served by the provisioning service. */
int ctl_device(int argc, char **argv);
/* tools/ctl_tls.c: a private CA and certificates for labs. */
int ctl_tls(int argc, char **argv);

#endif /* CENTINELA_TOOLS_CTL_H */

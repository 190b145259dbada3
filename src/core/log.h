/*
 * core/log.h -- log lines, human or JSON (one object per line).
 *
 * Each line is written with a single write(2) so lines from several
 * threads never interleave. Rejections carry source, transport, method
 * and a reason code so a log shipper (or fail2ban) can act on them.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_LOG_H
#define CENTINELA_CORE_LOG_H

#include <stdbool.h>

#include "core/reason.h"
#include "core/str.h"

enum log_level {
	LOGL_ERROR,
	LOGL_WARN,
	LOGL_INFO,
	LOGL_DEBUG
};
enum log_format {
	LOGF_HUMAN,
	LOGF_JSON
};

/* Set format, level and output fd (2 by default). */
void log_setup(enum log_format fmt, enum log_level level, int fd);
bool log_enabled(enum log_level level);
/* Parse "error", "warn", "info", "debug"; 0 or EINVAL. */
int log_level_parse(const char *s, enum log_level *out);

/* A free-form line. */
void log_printf(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Structured fields of an event line; NULL / empty fields are omitted. */
struct log_fields {
	const char *event; /* "reject", "drop", "upstream_down", ... */
	const char *src; /* "1.2.3.4:5060" */
	const char *tp; /* "udp", "tcp", "tls" */
	struct str method;
	struct str call_id;
	struct str user; /* account, "user@domain" */
	enum reason reason;
	int status; /* SIP status sent, 0 = none */
};

/* An event line with a free-form message (may be NULL). */
void log_event(enum log_level level, const struct log_fields *f,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_error(...) log_printf(LOGL_ERROR, __VA_ARGS__)
#define log_warn(...) log_printf(LOGL_WARN, __VA_ARGS__)
#define log_info(...) log_printf(LOGL_INFO, __VA_ARGS__)
#define log_debug(...)                                       \
	do {                                                 \
		if (log_enabled(LOGL_DEBUG))                 \
			log_printf(LOGL_DEBUG, __VA_ARGS__); \
	} while (0)

#endif /* CENTINELA_CORE_LOG_H */

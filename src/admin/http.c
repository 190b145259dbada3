/*
 * admin/http.c -- admin HTTP server on libmicrohttpd.
 *
 * The admin port is untrusted input like the SIP port: only GET of
 * known paths is served, request bodies are refused, and the server
 * binds to the configured (loopback by default) address only.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "admin/http.h"
#include "admin/metrics.h"
#include "core/log.h"

struct admin_http {
	struct MHD_Daemon *d;
};

static enum MHD_Result
reply_text(struct MHD_Connection *c, unsigned code, const char *type,
    char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, mode);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	static char not_found[] = "not found\n";
	static char bad_method[] = "method not allowed\n";
	char *body = NULL;
	size_t len = 0;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
		    bad_method, sizeof(bad_method) - 1, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics") != 0)
		return reply_text(c, MHD_HTTP_NOT_FOUND, "text/plain",
		    not_found, sizeof(not_found) - 1, MHD_RESPMEM_PERSISTENT);
	if (metrics_render(&body, &len))
		return MHD_NO;
	return reply_text(c, MHD_HTTP_OK, "text/plain; version=0.0.4", body,
	    len, MHD_RESPMEM_MUST_FREE);
}

int
admin_http_start(struct admin_http **ahp, const struct cfg *cfg)
{
	struct admin_http *ah;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;

	if (cfg->metrics_port == 0) {
		*ahp = NULL;
		return 0;
	}
	ah = calloc(1, sizeof(*ah));
	if (!ah)
		return ENOMEM;
	if (sa_family(&cfg->metrics_addr) == AF_INET6)
		flags |= MHD_USE_IPv6;
	ah->d = MHD_start_daemon(flags, cfg->metrics_port, NULL, NULL, handler,
	    NULL, MHD_OPTION_SOCK_ADDR, &cfg->metrics_addr.u.sa,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536, MHD_OPTION_END);
	if (!ah->d) {
		free(ah);
		return EADDRINUSE;
	}
	*ahp = ah;
	return 0;
}

void
admin_http_stop(struct admin_http *ah)
{
	if (!ah)
		return;
	MHD_stop_daemon(ah->d);
	free(ah);
}

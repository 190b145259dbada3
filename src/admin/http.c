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

#include <time.h>

#include "admin/http.h"
#include "admin/metrics.h"
#include "callerid/cid.h"
#include "callerid/numdb.h"
#include "core/log.h"

struct admin_http {
	struct MHD_Daemon *d;
	struct cid *cid; /* numbering lookups; NULL: not served */
	struct numdb_view view; /* of the server's one thread */
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

/*
 * GET /numbering/lookup?number=+34911234567: the numbering data's
 * answer as JSON, for the operator's other switches (docs/CALLERID.md).
 */
static enum MHD_Result
numbering_lookup(struct admin_http *ah, struct MHD_Connection *c)
{
	static char bad[] = "{\"error\":\"number: not a telephone number\"}\n";
	const char *n =
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "number");
	char *body = NULL;
	size_t len = 0;
	int err;

	err = n ? cid_lookup_json(ah->cid, &ah->view, str_make(n, strlen(n)),
		      (int64_t)time(NULL), &body, &len) :
		  EINVAL;
	if (err == EINVAL)
		return reply_text(c, MHD_HTTP_BAD_REQUEST, "application/json",
		    bad, sizeof(bad) - 1, MHD_RESPMEM_PERSISTENT);
	if (err)
		return MHD_NO;
	return reply_text(c, MHD_HTTP_OK, "application/json", body, len,
	    MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	static char not_found[] = "not found\n";
	static char bad_method[] = "method not allowed\n";
	struct admin_http *ah = cls;
	char *body = NULL;
	size_t len = 0;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
		    bad_method, sizeof(bad_method) - 1, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/numbering/lookup") == 0 && ah->cid)
		return numbering_lookup(ah, c);
	if (strcmp(url, "/metrics") != 0)
		return reply_text(c, MHD_HTTP_NOT_FOUND, "text/plain",
		    not_found, sizeof(not_found) - 1, MHD_RESPMEM_PERSISTENT);
	if (metrics_render(&body, &len))
		return MHD_NO;
	return reply_text(c, MHD_HTTP_OK, "text/plain; version=0.0.4", body,
	    len, MHD_RESPMEM_MUST_FREE);
}

int
admin_http_start(
    struct admin_http **ahp, const struct cfg *cfg, struct cid *cid)
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
	ah->cid = cid;
	if (sa_family(&cfg->metrics_addr) == AF_INET6)
		flags |= MHD_USE_IPv6;
	ah->d = MHD_start_daemon(flags, cfg->metrics_port, NULL, NULL, handler,
	    ah, MHD_OPTION_SOCK_ADDR, &cfg->metrics_addr.u.sa,
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
	numdb_view_release(&ah->view);
	free(ah);
}

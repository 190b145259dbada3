/*
 * prov/prov.c -- the provisioning service (prov/prov.h): libmicrohttpd
 * over GnuTLS in one thread of its own, with its own store connection.
 *
 * A request goes through, in order: the accept policy (a source the
 * guard banned gets no connection at all), the client certificate
 * (with client_ca: verified against it; without one, or an unverified
 * one, 403 when it is required), the path (a MAC in one of the file
 * names phones use; anything else 404), the device (a MAC bound to
 * none: 404, the same answer for every such MAC, and a count against
 * the source), the certificate's subject (require_mac_in_cert), the
 * account (suspended: 403), the sealed secret (opened for this one
 * answer, wiped after), the template. Each fetch is logged; the secret
 * never is.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "auth/seal.h"
#include "core/log.h"
#include "guard/ban.h"
#include "prov/prov.h"
#include "prov/prov_int.h"
#include "store/store.h"

#define PEM_MAX (1024 * 1024) /* bytes of a certificate or key file */
#define PATH_LOG_MAX 64 /* bytes of a request path in a log line */

struct prov {
	const struct cfg *cfg;
	struct ban *ban; /* the ladder (its ban_post_*() entry points) */
	const struct cfg_prov *pc;
	struct MHD_Daemon *d;
	char *cert_pem, *key_pem, *ca_pem; /* MHD reads them in place */
	size_t key_len;
	struct seal_key key;
	struct prov_tmpls tmpls;
	const char *sip_host;

	/* The server thread only. */
	struct store *s;
	struct prov_unknowns unknown;
};

/* ---- answers -------------------------------------------------------------- */

static enum MHD_Result
reply_const(struct MHD_Connection *c, unsigned code, const char *body)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(
	    strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* A rendered file holds the secret: wiped before it is freed. */
static void
free_wiped(void *p)
{
	if (p) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
}

static enum MHD_Result
reply_file(struct MHD_Connection *c, char *body, size_t len, bool xml)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer_with_free_callback(
	    len, body, free_wiped);
	if (!r) {
		free_wiped(body);
		return MHD_NO;
	}
	MHD_add_response_header(
	    r, "Content-Type", xml ? "application/xml" : "text/plain");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- the source and its certificate --------------------------------------- */

static bool
conn_source(struct MHD_Connection *c, struct sa *src)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *a = ci ? ci->client_addr : NULL;

	memset(src, 0, sizeof(*src));
	if (!a)
		return false;
	if (a->sa_family == AF_INET)
		src->len = sizeof(struct sockaddr_in);
	else if (a->sa_family == AF_INET6)
		src->len = sizeof(struct sockaddr_in6);
	else
		return false;
	memcpy(&src->u, a, src->len);
	return true;
}

enum cert_state {
	CERT_NONE, /* no certificate presented */
	CERT_BAD, /* presented, not verified against client_ca */
	CERT_OK
};

/*
 * The peer certificate of the connection, verified against the
 * client CAs MHD loaded (MHD_OPTION_HTTPS_MEM_TRUST); its subject DN
 * into "dn" when verified.
 */
static enum cert_state
conn_cert(struct MHD_Connection *c, char *dn, size_t cap)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t sess = ci ? (gnutls_session_t)ci->tls_session : NULL;
	const gnutls_datum_t *peers;
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = { NULL, 0 };
	unsigned status = 0, n = 0;
	int r;

	dn[0] = '\0';
	if (!sess)
		return CERT_NONE;
	r = gnutls_certificate_verify_peers2(sess, &status);
	if (r == GNUTLS_E_NO_CERTIFICATE_FOUND)
		return CERT_NONE;
	if (r < 0 || status != 0)
		return CERT_BAD;
	peers = gnutls_certificate_get_peers(sess, &n);
	if (!peers || n == 0)
		return CERT_NONE;
	if (gnutls_x509_crt_init(&crt) < 0)
		return CERT_BAD;
	if (gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER) >= 0 &&
	    gnutls_x509_crt_get_dn3(crt, &d, 0) >= 0) {
		snprintf(dn, cap, "%.*s", (int)d.size, (const char *)d.data);
		gnutls_free(d.data);
	}
	gnutls_x509_crt_deinit(crt);
	return CERT_OK;
}

/*
 * The subject's CN is "mac" in any usual spelling: separators ignored,
 * any case, optionally after a non-hex prefix ("SEP001565AABBCC").
 * Only the CN counts: a MAC inside another attribute, or inside a
 * longer hex run, names nothing.
 */
static bool
dn_has_mac(const char *dn, const char *mac)
{
	char flat[256];
	const char *cn = NULL, *q;
	size_t n = 0, ml = strlen(mac);

	for (q = dn; *q; q++)
		if ((q == dn || q[-1] == ',') && strncmp(q, "CN=", 3) == 0) {
			cn = q + 3;
			break;
		}
	if (!cn)
		return false;
	for (q = cn; *q && *q != ',' && n + 1 < sizeof(flat); q++) {
		char ch = *q;

		if (ch == '\\')
			return false; /* an escaped character: not a MAC */
		if (ch == ':' || ch == '-' || ch == '.')
			continue;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		flat[n++] = ch;
	}
	flat[n] = '\0';
	if (n < ml || strcmp(flat + n - ml, mac) != 0)
		return false;
	return n == ml || !isxdigit((unsigned char)flat[n - ml - 1]);
}

/* A request path fit for a log line: printable, bounded. */
static void
path_for_log(const char *url, char *out, size_t cap)
{
	size_t i, n = 0;

	for (i = 0; url[i] && n + 1 < cap; i++)
		out[n++] = url[i] > 0x20 && url[i] < 0x7f ? url[i] : '?';
	out[n] = '\0';
}

/* ---- unknown MACs: the guard's ladder ---------------------------------------- */

/*
 * One more unknown MAC from "src": at unknown_limit within
 * unknown_window from its range (an IPv6 source's /guard.ipv6_prefix,
 * prov/unknown.c), the source is struck on the ban ladder (the loop
 * applies it, guard/ban.h) and its count starts again.
 */
static void
count_unknown(struct prov *p, const struct sa *src, const char *mac)
{
	char a[SA_STRLEN], detail[64];
	int rc;

	/* The all-zero MAC is the common file some phones ask for first. */
	if (strcmp(mac, "000000000000") == 0)
		return;
	if (!prov_unknowns_note(&p->unknown, src, time(NULL)))
		return;
	snprintf(detail, sizeof(detail), "prov: %u unknown MACs in %us",
	    p->pc->unknown_limit, p->pc->unknown_window);
	rc = ban_post_strike(p->ban, src, cfg_peer_role(p->cfg, src),
	    REASON_PROV_UNKNOWN_MAC, detail);
	log_warn("prov: %s asked for %u unknown MACs within %us: %s",
	    sa_ntop(src, a, sizeof(a)), p->pc->unknown_limit,
	    p->pc->unknown_window,
	    rc == 0	     ? "struck on the ban ladder" :
		rc == ENOENT ? "no ban ladder runs" :
			       "strike queue full");
}

/* ---- one request ------------------------------------------------------------ */

/* The store connection of the server thread, opened again after an error. */
static struct store *
conn_store(struct prov *p)
{
	char err[256];

	if (!p->s && store_open(&p->s, p->cfg->store_uri, err, sizeof(err))) {
		log_error("prov: store: %s", err);
		p->s = NULL;
	}
	return p->s;
}

static void
store_failed(struct prov *p, int err)
{
	log_error("prov: store: %s", store_errmsg(p->s));
	if (err == EIO) {
		store_close(p->s);
		p->s = NULL;
	}
}

static enum MHD_Result
serve(struct prov *p, struct MHD_Connection *c, const char *url,
    const struct sa *src)
{
	static const char not_found[] = "not found\n";
	static const char forbidden[] = "forbidden\n";
	static const char unavailable[] = "unavailable\n";
	const struct prov_tmpl *t;
	struct prov_vars v;
	struct device dev;
	struct account a;
	enum prov_file file;
	enum cert_state cs = CERT_NONE;
	char mac[STORE_MAC_MAX], dn[512], ip[SA_STRLEN], lp[PATH_LOG_MAX];
	char secret[SEAL_SECRET_MAX + 1];
	char *body = NULL;
	size_t len = 0;
	struct store *s;
	int rc;

	sa_ntop(src, ip, sizeof(ip));
	path_for_log(url, lp, sizeof(lp));
	if (p->ca_pem) {
		cs = conn_cert(c, dn, sizeof(dn));
		/* A certificate given is checked even when not required. */
		if (cs == CERT_BAD ||
		    (cs == CERT_NONE && p->pc->require_client_cert)) {
			log_info("prov: refused src=%s path=%s: %s", ip, lp,
			    cs == CERT_NONE ? "no client certificate" :
					      "client certificate not "
					      "issued by client_ca");
			return reply_const(c, MHD_HTTP_FORBIDDEN, forbidden);
		}
	}
	if (prov_path_parse(url, mac, &file))
		return reply_const(c, MHD_HTTP_NOT_FOUND, not_found);
	/*
	 * Before the store is asked: a MAC the certificate does not name
	 * gets the very 404 of an unknown MAC (no oracle) and counts as
	 * one.
	 */
	if (p->pc->cert_mac && (cs != CERT_OK || !dn_has_mac(dn, mac))) {
		log_info("prov: refused mac=%s src=%s: the client certificate "
			 "does not name the MAC",
		    mac, ip);
		count_unknown(p, src, mac);
		return reply_const(c, MHD_HTTP_NOT_FOUND, not_found);
	}
	if (!(s = conn_store(p)))
		return reply_const(
		    c, MHD_HTTP_SERVICE_UNAVAILABLE, unavailable);
	rc = store_device_get(s, mac, &dev);
	if (rc == ENOENT) {
		log_info("prov: unknown mac=%s src=%s path=%s", mac, ip, lp);
		count_unknown(p, src, mac);
		return reply_const(c, MHD_HTTP_NOT_FOUND, not_found);
	}
	if (rc) {
		store_failed(p, rc);
		return reply_const(
		    c, MHD_HTTP_SERVICE_UNAVAILABLE, unavailable);
	}
	rc = store_account_get(s, dev.user, dev.domain, &a);
	if (rc) {
		if (rc != ENOENT)
			store_failed(p, rc);
		log_warn("prov: mac=%s: account %s@%s: %s", mac, dev.user,
		    dev.domain, rc == ENOENT ? "missing" : "store error");
		return reply_const(c,
		    rc == ENOENT ? MHD_HTTP_NOT_FOUND :
				   MHD_HTTP_SERVICE_UNAVAILABLE,
		    rc == ENOENT ? not_found : unavailable);
	}
	if (a.status != ACCOUNT_ACTIVE) {
		log_info("prov: refused mac=%s account=%s@%s src=%s: account "
			 "suspended",
		    mac, a.user, a.domain, ip);
		explicit_bzero(&a, sizeof(a));
		return reply_const(c, MHD_HTTP_NOT_FOUND, not_found);
	}
	t = prov_tmpls_get(&p->tmpls,
	    file == PROV_FILE_MAC_CFG && strcmp(dev.tmpl, "polycom") == 0 ?
		"polycom-master" :
		dev.tmpl);
	if (!t) {
		log_error("prov: mac=%s: no template \"%s\"", mac, dev.tmpl);
		rc = MHD_HTTP_INTERNAL_SERVER_ERROR;
		goto refuse;
	}
	if (!a.secret_box[0]) {
		log_warn("prov: mac=%s account=%s@%s: no sealed device secret "
			 "(run centinelactl user rotate-secret)",
		    mac, a.user, a.domain);
		rc = MHD_HTTP_SERVICE_UNAVAILABLE;
		goto refuse;
	}
	rc = seal_open(
	    &p->key, a.user, a.domain, a.secret_box, secret, sizeof(secret));
	if (rc) {
		log_error("prov: mac=%s account=%s@%s: the sealed secret does "
			  "not open: %s",
		    mac, a.user, a.domain,
		    rc == EKEYREJECTED ? "sealed under another key file" :
			rc == EBADMSG  ? "tampered with or moved from "
					 "another account" :
					 "not a sealed secret");
		rc = MHD_HTTP_INTERNAL_SERVER_ERROR;
		goto refuse;
	}
	memset(&v, 0, sizeof(v));
	v.mac = mac;
	v.user = a.user;
	v.auth_user = a.user;
	v.domain = a.domain;
	v.realm = a.domain;
	v.sip_host = p->sip_host;
	v.sip_port = p->pc->sip_port;
	v.display = dev.display[0] ? dev.display : a.user;
	v.secret = secret;
	rc = prov_tmpl_render(t->text, t->len, t->xml, &v, &body, &len);
	explicit_bzero(secret, sizeof(secret));
	if (rc) {
		log_error("prov: mac=%s: template %s: %s", mac, t->name,
		    rc == EINVAL ? "a value it cannot hold" : strerror(rc));
		rc = MHD_HTTP_INTERNAL_SERVER_ERROR;
		goto refuse;
	}
	if ((rc = store_device_fetched(
		 s, mac, (int64_t)time(NULL), ip, a.secret_box)))
		store_failed(p, rc);
	log_info("prov: fetch mac=%s account=%s@%s src=%s template=%s%s%s", mac,
	    a.user, a.domain, ip, t->name, dev.pending ? " secret=new" : "",
	    cs == CERT_OK ? " cert=verified" : "");
	explicit_bzero(&a, sizeof(a));
	return reply_file(c, body, len, t->xml);
refuse:
	explicit_bzero(&a, sizeof(a));
	return reply_const(c, (unsigned)rc,
	    rc == MHD_HTTP_FORBIDDEN ? forbidden : unavailable);
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct prov *p = cls;
	struct sa src;

	/* GET only: a HEAD would open the secret and count as a fetch. */
	if (strcmp(method, "GET") != 0)
		return reply_const(
		    c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (*upload_data_size)
		return reply_const(c, MHD_HTTP_BAD_REQUEST, "no body\n");
	if (!conn_source(c, &src))
		return MHD_NO;
	return serve(p, c, url, &src);
}

/* A source the guard banned gets no connection. */
static enum MHD_Result
accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct prov *p = cls;
	struct sa src;

	if (!addr || len > sizeof(src.u))
		return MHD_NO;
	memset(&src, 0, sizeof(src));
	memcpy(&src.u, addr, len);
	src.len = len;
	if (ban_post_banned(p->ban, &src)) {
		char a[SA_STRLEN];

		log_debug(
		    "prov: refused %s: banned", sa_ntop(&src, a, sizeof(a)));
		return MHD_NO;
	}
	return MHD_YES;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\r\n")] = '\0';
	log_debug("prov: http: %s", line);
}

/* ---- start and stop ----------------------------------------------------------- */

/* A PEM file whole into memory (NUL-terminated, caller frees). */
static int
read_pem(const char *what, const char *path, char **out, size_t *outlen)
{
	struct stat st;
	ssize_t n;
	char *b;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno;
		log_error("prov: %s %s: %s", what, path, strerror(rc));
		return rc;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > PEM_MAX || st.st_size == 0) {
		close(fd);
		log_error("prov: %s %s: not a PEM file (empty, not a regular "
			  "file or larger than %d bytes)",
		    what, path, PEM_MAX);
		return EINVAL;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		close(fd);
		return ENOMEM;
	}
	n = read(fd, b, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(b);
		log_error("prov: %s %s: short read", what, path);
		return EIO;
	}
	b[n] = '\0';
	if (!strstr(b, "-----BEGIN ")) {
		explicit_bzero(b, (size_t)n);
		free(b);
		log_error("prov: %s %s: not PEM", what, path);
		return EINVAL;
	}
	*out = b;
	if (outlen)
		*outlen = (size_t)n;
	return 0;
}

void
prov_stop(struct prov *p)
{
	if (!p)
		return;
	if (p->d)
		MHD_stop_daemon(p->d);
	store_close(p->s);
	prov_tmpls_free(&p->tmpls);
	seal_key_wipe(&p->key);
	if (p->key_pem)
		explicit_bzero(p->key_pem, p->key_len);
	free(p->key_pem);
	free(p->cert_pem);
	free(p->ca_pem);
	free(p);
}

int
prov_start(struct prov **pp, const struct cfg *cfg, struct ban *ban)
{
	const struct cfg_prov *pc = &cfg->prov;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS |
	    MHD_USE_ERROR_LOG | MHD_USE_AUTO;
	/* TLS 1.2 and 1.3 only: the answers carry SIP secrets. */
	static const char tls_priorities[] =
	    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";
	char path[SEAL_PATH_MAX], err[256], a[SA_STRLEN];
	struct MHD_OptionItem opts[12];
	struct prov *p;
	size_t n = 0;
	int rc;

	*pp = NULL;
	if (!pc->enabled)
		return 0;
	if (!(p = calloc(1, sizeof(*p))))
		return ENOMEM;
	p->cfg = cfg;
	p->ban = ban;
	p->pc = pc;
	prov_unknowns_init(&p->unknown, cfg->guard.v6_prefix, pc->unknown_limit,
	    pc->unknown_window, 0);
	p->sip_host = pc->sip_host[0] ? pc->sip_host : cfg->domains[0];
	if ((rc = read_pem("certificate", pc->cert, &p->cert_pem, NULL)) ||
	    (rc = read_pem("private_key", pc->key, &p->key_pem, &p->key_len)) ||
	    (pc->client_ca[0] &&
		(rc = read_pem("client_ca", pc->client_ca, &p->ca_pem, NULL))))
		goto fail;
	if ((rc = prov_tmpls_load(
		 &p->tmpls, pc->templates_dir, err, sizeof(err)))) {
		log_error("prov: %s", err[0] ? err : strerror(rc));
		goto fail;
	}
	rc = seal_key_path(pc->key_file, cfg->store_uri, path, sizeof(path));
	if (rc) {
		log_error("prov: %s",
		    rc == ENOENT ? "provisioning.key_file must be set for a "
				   "store that is not SQLite" :
				   "provisioning.key_file: path too long");
		goto fail;
	}
	if ((rc = seal_key_load(&p->key, path, true, err, sizeof(err)))) {
		log_error("prov: %s", err);
		goto fail;
	}
	if ((rc = store_open(&p->s, cfg->store_uri, err, sizeof(err)))) {
		log_error("prov: store: %s", err);
		p->s = NULL;
		goto fail;
	}
	if (sa_family(&pc->addr) == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* An array: the client CA is an option only when there is one. */
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0,
		(void *)(uintptr_t)&pc->addr.u.sa };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
		p->cert_pem };
	opts[n++] =
	    (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, p->key_pem };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
		(void *)(uintptr_t)tls_priorities };
	if (p->ca_pem)
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST,
			0, p->ca_pem };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
		(intptr_t)pc->max_conns, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(intptr_t)pc->max_conns_per_ip, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
		(intptr_t)pc->timeout, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		16384, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	p->d = MHD_start_daemon(flags, sa_port(&pc->addr), accept_policy, p,
	    handler, p, MHD_OPTION_ARRAY, opts, MHD_OPTION_EXTERNAL_LOGGER,
	    mhd_log, p, MHD_OPTION_END);
	if (!p->d) {
		log_error("prov: cannot serve https on %s (address in use, or "
			  "the certificate and key do not load)",
		    sa_fmt(&pc->addr, a, sizeof(a)));
		rc = EADDRINUSE;
		goto fail;
	}
	log_info("prov: provisioning on https://%s/ (%s, client "
		 "certificates %s), key file %s",
	    sa_fmt(&pc->addr, a, sizeof(a)),
	    pc->templates_dir[0] ? pc->templates_dir : "embedded templates",
	    !p->ca_pem			? "not asked" :
		pc->require_client_cert ? "required" :
					  "checked when given",
	    path);
	*pp = p;
	return 0;
fail:
	prov_stop(p);
	return rc;
}

/*
 * guard/geo.c -- GeoIP country lookups (libmaxminddb) and the per-role
 * country policy.
 *
 * The database is memory-mapped by libmaxminddb and only read after
 * geo_open(), so one struct geo serves every thread. geo_open() checks
 * the whole file before anyone sees it: libmaxminddb's own metadata
 * checks, then every search-tree record (a record must point to a node,
 * to "empty" or inside the data section), then every distinct data
 * entry is decoded once, and at least one entry must carry a country
 * code. A reload therefore fails on a bad file and keeps the old one.
 * Replace the file by rename(2), never in place: the map is shared
 * with the file.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <maxminddb.h>

#include "guard/geo.h"
#include "guard/guard.h"

struct geo {
	MMDB_s mmdb;
};

/*
 * Lookup paths as NULL-terminated arrays: MMDB_get_value() (varargs)
 * copies its path into a heap array on every call, MMDB_aget_value()
 * does not.
 */
static const char *const path_country[] = { "country", "iso_code", NULL };
static const char *const path_registered[] = { "registered_country", "iso_code",
	NULL };

static void seterr(char *err, size_t errlen, const char *path, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
seterr(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return;
	n = snprintf(err, errlen, "geoip: %s: ", path);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* A two-letter code at "path" under "e", upper-cased into cc. */
static bool
iso_code(MMDB_entry_s *e, const char *const *path, char cc[3])
{
	MMDB_entry_data_s d;
	unsigned char a, b;

	if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
		return false;
	a = (unsigned char)d.utf8_string[0];
	b = (unsigned char)d.utf8_string[1];
	if (!isalpha(a) || !isalpha(b))
		return false;
	cc[0] = (char)toupper(a);
	cc[1] = (char)toupper(b);
	cc[2] = '\0';
	return true;
}

static bool
entry_country(MMDB_entry_s *e, char cc[3])
{
	return iso_code(e, path_country, cc) ||
	    iso_code(e, path_registered, cc);
}

/*
 * Check one record of node "node": a data record's entry is decoded
 * once (seen[] marks decoded offsets) and *has_cc set when it carries a
 * country code. Returns 0 or EINVAL with the message in err.
 */
static int
check_record(const MMDB_s *db, uint32_t node, uint8_t type, MMDB_entry_s *e,
    uint8_t *seen, bool *has_cc, char *err, size_t errlen)
{
	MMDB_entry_data_list_s *list = NULL;
	char cc[3];
	int st;

	switch (type) {
	case MMDB_RECORD_TYPE_SEARCH_NODE:
	case MMDB_RECORD_TYPE_EMPTY:
		return 0;
	case MMDB_RECORD_TYPE_DATA:
		break;
	default:
		seterr(err, errlen, db->filename,
		    "corrupt search tree: node %u points outside the file",
		    (unsigned)node);
		return EINVAL;
	}
	if (e->offset >= db->data_section_size) {
		seterr(err, errlen, db->filename,
		    "corrupt search tree: node %u points outside the data "
		    "section",
		    (unsigned)node);
		return EINVAL;
	}
	if (seen[e->offset / 8] & (1u << (e->offset % 8)))
		return 0;
	seen[e->offset / 8] |= (uint8_t)(1u << (e->offset % 8));
	st = MMDB_get_entry_data_list(e, &list);
	MMDB_free_entry_data_list(list);
	if (st == MMDB_OUT_OF_MEMORY_ERROR) {
		seterr(err, errlen, db->filename, "out of memory");
		return ENOMEM;
	}
	if (st != MMDB_SUCCESS) {
		seterr(err, errlen, db->filename,
		    "corrupt data at offset %u: %s", (unsigned)e->offset,
		    MMDB_strerror(st));
		return EINVAL;
	}
	if (!*has_cc && entry_country(e, cc))
		*has_cc = true;
	return 0;
}

/*
 * Every node of the search tree, in index order (bounded, and immune
 * to cycles in a corrupt tree), then a test lookup.
 */
static int
check_db(const MMDB_s *db, char *err, size_t errlen)
{
	MMDB_search_node_s n;
	struct sockaddr_in in4;
	uint8_t *seen;
	bool has_cc = false;
	uint32_t i;
	int st, rc = 0;

	seen = calloc((size_t)db->data_section_size / 8 + 1, 1);
	if (!seen) {
		seterr(err, errlen, db->filename, "out of memory");
		return ENOMEM;
	}
	for (i = 0; i < db->metadata.node_count; i++) {
		st = MMDB_read_node(db, i, &n);
		if (st != MMDB_SUCCESS) {
			seterr(err, errlen, db->filename,
			    "corrupt search tree at node %u: %s", (unsigned)i,
			    MMDB_strerror(st));
			rc = EINVAL;
			goto out;
		}
		rc = check_record(db, i, n.left_record_type,
		    &n.left_record_entry, seen, &has_cc, err, errlen);
		if (!rc)
			rc = check_record(db, i, n.right_record_type,
			    &n.right_record_entry, seen, &has_cc, err, errlen);
		if (rc)
			goto out;
	}
	if (!has_cc) {
		seterr(err, errlen, db->filename,
		    "no country data (database_type \"%s\"); a country or "
		    "city database is needed",
		    db->metadata.database_type ? db->metadata.database_type :
						 "");
		rc = EINVAL;
		goto out;
	}
	memset(&in4, 0, sizeof(in4));
	in4.sin_family = AF_INET;
	(void)MMDB_lookup_sockaddr(db, (const struct sockaddr *)&in4, &st);
	if (st != MMDB_SUCCESS) {
		seterr(err, errlen, db->filename, "test lookup failed: %s",
		    MMDB_strerror(st));
		rc = EINVAL;
	}
out:
	free(seen);
	return rc;
}

/*
 * Open the country database at "path" and check all of it (see the
 * file comment). Returns 0 with *gp set (caller owns it, geo_close()),
 * or: an open/stat errno (ENOENT, EACCES, ...), EINVAL for a file that
 * is not a usable country database (not a MaxMind DB, empty,
 * truncated, corrupt, no country data), EIO, ENOMEM. On error err holds
 * one line "geoip: PATH: reason".
 */
int
geo_open(struct geo **gp, const char *path, char *err, size_t errlen)
{
	struct geo *g;
	struct stat st;
	int rc, mst;

	if (err && errlen)
		err[0] = '\0';
	if (!gp || !path || !*path) {
		seterr(err, errlen, path ? path : "", "no database file");
		return EINVAL;
	}
	/* Our own stat() only gives precise messages; MMDB_open checks too. */
	if (stat(path, &st) == -1) {
		rc = errno;
		seterr(err, errlen, path, "%s", strerror(rc));
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, path, "not a regular file");
		return EINVAL;
	}
	if (st.st_size == 0) {
		seterr(err, errlen, path, "empty file");
		return EINVAL;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		seterr(err, errlen, path, "out of memory");
		return ENOMEM;
	}
	errno = 0;
	mst = MMDB_open(path, MMDB_MODE_MMAP, &g->mmdb);
	switch (mst) {
	case MMDB_SUCCESS:
		rc = check_db(&g->mmdb, err, errlen);
		if (rc)
			MMDB_close(&g->mmdb);
		break;
	case MMDB_FILE_OPEN_ERROR:
		rc = errno ? errno : EIO;
		seterr(err, errlen, path, "cannot open: %s", strerror(rc));
		break;
	case MMDB_IO_ERROR:
		rc = EIO;
		seterr(err, errlen, path, "read error: %s",
		    strerror(errno ? errno : EIO));
		break;
	case MMDB_OUT_OF_MEMORY_ERROR:
		rc = ENOMEM;
		seterr(err, errlen, path, "out of memory");
		break;
	case MMDB_INVALID_METADATA_ERROR:
		rc = EINVAL;
		seterr(err, errlen, path,
		    "not a MaxMind DB file, or truncated (no valid "
		    "metadata section)");
		break;
	case MMDB_INVALID_DATA_ERROR:
		/* Only the metadata is decoded by MMDB_open(). */
		rc = EINVAL;
		seterr(err, errlen, path,
		    "truncated or corrupt metadata section: %s",
		    MMDB_strerror(mst));
		break;
	case MMDB_CORRUPT_SEARCH_TREE_ERROR:
		rc = EINVAL;
		seterr(err, errlen, path, "corrupt search tree: %s",
		    MMDB_strerror(mst));
		break;
	case MMDB_UNKNOWN_DATABASE_FORMAT_ERROR:
		rc = EINVAL;
		seterr(err, errlen, path,
		    "unsupported MaxMind DB format (need version 2)");
		break;
	default:
		rc = EINVAL;
		seterr(err, errlen, path, "%s", MMDB_strerror(mst));
		break;
	}
	if (rc)
		free(g);
	else
		*gp = g;
	return rc;
}

void
geo_close(struct geo *g)
{
	if (!g)
		return;
	MMDB_close(&g->mmdb);
	free(g);
}

/*
 * Country of "addr" into cc. No allocation: MMDB_lookup_sockaddr() and
 * MMDB_aget_value() only walk the map.
 */
bool
geo_country(const struct geo *g, const struct sa *addr, char cc[3])
{
	const struct sockaddr *sa;
	struct sockaddr_in in4;
	MMDB_lookup_result_s r;
	int st;

	if (!g || !addr)
		return false;
	sa = &addr->u.sa;
	switch (sa->sa_family) {
	case AF_INET:
		break;
	case AF_INET6:
		if (!IN6_IS_ADDR_V4MAPPED(&addr->u.in6.sin6_addr))
			break;
		memset(&in4, 0, sizeof(in4));
		in4.sin_family = AF_INET;
		memcpy(&in4.sin_addr, &addr->u.in6.sin6_addr.s6_addr[12], 4);
		sa = (const struct sockaddr *)&in4;
		break;
	default:
		return false;
	}
	r = MMDB_lookup_sockaddr(&g->mmdb, sa, &st);
	if (st != MMDB_SUCCESS || !r.found_entry)
		return false;
	return entry_country(&r.entry, cc);
}

static bool
cc_in(const char (*list)[3], unsigned n, const char *cc)
{
	unsigned i;

	if (n > CFG_MAX_COUNTRIES)
		n = CFG_MAX_COUNTRIES;
	for (i = 0; i < n; i++)
		if (strcasecmp(list[i], cc) == 0)
			return true;
	return false;
}

/*
 * Deny list first, then the allow list (when it is not empty); an
 * unknown country gets p->unknown. Codes compare case-insensitively.
 */
enum guard_action
geo_policy(const struct cfg_geo_policy *p, const char *cc)
{
	if (!cc)
		return p->unknown;
	if (cc_in(p->deny, p->ndeny, cc))
		return p->action;
	if (p->nallow && !cc_in(p->allow, p->nallow, cc))
		return p->action;
	return GA_LOG;
}

/* ---- the guard ------------------------------------------------------ */

static enum guard_vd
geo_request(
    struct guard_ctx *gx, const struct sip_msg *msg, struct guard_result *res)
{
	const struct cfg_geo_policy *p = &gx->cfg->guard.geo[gx->role];
	enum guard_action act;
	char cc[3], d[48];
	bool known;

	if (!gx->env || !gx->env->geo ||
	    (p->nallow == 0 && p->ndeny == 0 && p->unknown == GA_LOG))
		return GUARD_CONTINUE;
	known = geo_country(gx->env->geo, gx->src, cc);
	act = geo_policy(p, known ? cc : NULL);
	if (act == GA_LOG && known)
		return GUARD_CONTINUE;
	snprintf(d, sizeof(d), "country=%s role=%s", known ? cc : "unknown",
	    peer_role_name(gx->role));
	if (act == GA_LOG)
		return GUARD_CONTINUE; /* unknown, and the policy lets it in */
	return guard_act(gx, msg, res, act, REASON_GEOIP,
	    gx->cfg->guard.geo_shadow, false, d);
}

const struct guard_ops guard_geo = {
	.name = "geo",
	.on_request = geo_request,
};

/*
 * prov/tmpl.c -- provisioning templates: where they come from and how
 * they are filled in (prov/prov_int.h).
 *
 * The syntax is deliberately tiny: "{{name}}" for one of the values of
 * struct prov_vars, everything else copied as it is. No conditionals,
 * no loops: a template is data an administrator may edit, and the
 * output must stay predictable.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prov/prov.h"
#include "prov/prov_int.h"

/* The device templates ("polycom-master" goes with "polycom"). */
static const char *const device_templates[] = { "snom", "yealink",
	"grandstream", "polycom", "generic", NULL };

const char prov_template_list[] =
    "snom, yealink, grandstream, polycom or generic";

bool
prov_template_known(const char *name)
{
	size_t i;

	for (i = 0; name && device_templates[i]; i++)
		if (strcmp(name, device_templates[i]) == 0)
			return true;
	return false;
}

/* Formats whose values are XML text or attribute values. */
static bool
is_xml(const char *name)
{
	return strcmp(name, "generic") != 0 && strcmp(name, "yealink") != 0;
}

enum var {
	V_MAC,
	V_USER,
	V_AUTH_USER,
	V_DOMAIN,
	V_REALM,
	V_SIP_HOST,
	V_SIP_PORT,
	V_DISPLAY,
	V_SECRET,
	V_COUNT
};

static const char *const var_names[V_COUNT] = { "mac", "user", "auth_user",
	"domain", "realm", "sip_host", "sip_port", "display", "secret" };

/* The variable named by name[0 .. n - 1], or -1. */
static int
var_find(const char *name, size_t n)
{
	int i;

	for (i = 0; i < V_COUNT; i++)
		if (strlen(var_names[i]) == n &&
		    memcmp(var_names[i], name, n) == 0)
			return i;
	return -1;
}

/*
 * The next placeholder at or after text[*at]: sets *start (its "{{"),
 * *end (after its "}}") and *var. Returns 0, ENOENT (none left) or
 * EINVAL (an unclosed or unknown one, *start set).
 */
static int
next_var(const char *text, size_t len, size_t *at, size_t *start, size_t *end,
    int *var)
{
	const char *p, *q;
	size_t from = *at;

	p = from < len ? memmem(text + from, len - from, "{{", 2) : NULL;
	if (!p)
		return ENOENT;
	*start = (size_t)(p - text);
	q = memmem(p + 2, len - *start - 2, "}}", 2);
	if (!q || memchr(p + 2, '\n', (size_t)(q - p - 2)))
		return EINVAL;
	*var = var_find(p + 2, (size_t)(q - p - 2));
	if (*var < 0)
		return EINVAL;
	*end = (size_t)(q - text) + 2;
	*at = *end;
	return 0;
}

static unsigned
line_of(const char *text, size_t off)
{
	unsigned line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		line += text[i] == '\n';
	return line;
}

int
prov_tmpl_check(const char *text, size_t len, char *err, size_t errlen)
{
	size_t at = 0, start = 0, end;
	int var, rc;

	if (err && errlen)
		err[0] = '\0';
	if (len > PROV_TMPL_MAX) {
		if (err && errlen)
			snprintf(
			    err, errlen, "longer than %d bytes", PROV_TMPL_MAX);
		return EINVAL;
	}
	if (memchr(text, '\0', len)) {
		if (err && errlen)
			snprintf(err, errlen, "holds a NUL byte");
		return EINVAL;
	}
	while ((rc = next_var(text, len, &at, &start, &end, &var)) == 0)
		;
	if (rc == ENOENT)
		return 0;
	if (err && errlen) {
		const char *p = text + start + 2;
		size_t n = strcspn(p, "}\n");

		snprintf(err, errlen,
		    "line %u: \"{{%.*s\" is not one of {{mac}}, {{user}}, "
		    "{{auth_user}}, {{domain}}, {{realm}}, {{sip_host}}, "
		    "{{sip_port}}, {{display}}, {{secret}}",
		    line_of(text, start), (int)(n > 40 ? 40 : n), p);
	}
	return EINVAL;
}

/* A growing output buffer, bounded by PROV_TMPL_MAX. */
struct obuf {
	char *b;
	size_t len, cap;
};

static int
oput(struct obuf *o, const char *s, size_t n)
{
	if (o->len + n > PROV_TMPL_MAX)
		return EMSGSIZE;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 1024;
		char *nb;

		while (cap < o->len + n + 1)
			cap *= 2;
		nb = malloc(cap);
		if (!nb)
			return ENOMEM;
		/* Copy, then wipe the old one: it may hold the secret. */
		if (o->len)
			memcpy(nb, o->b, o->len);
		if (o->b) {
			explicit_bzero(o->b, o->cap);
			free(o->b);
		}
		o->b = nb;
		o->cap = cap;
	}
	memcpy(o->b + o->len, s, n);
	o->len += n;
	o->b[o->len] = '\0';
	return 0;
}

static int
oput_value(struct obuf *o, const char *v, bool xml)
{
	size_t i;
	int rc = 0;

	for (i = 0; v[i] && !rc; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c == 0x7f)
			return EINVAL;
		if (!xml)
			rc = oput(o, v + i, 1);
		else if (c == '&')
			rc = oput(o, "&amp;", 5);
		else if (c == '<')
			rc = oput(o, "&lt;", 4);
		else if (c == '>')
			rc = oput(o, "&gt;", 4);
		else if (c == '"')
			rc = oput(o, "&quot;", 6);
		else if (c == '\'')
			rc = oput(o, "&apos;", 6);
		else
			rc = oput(o, v + i, 1);
	}
	return rc;
}

int
prov_tmpl_render(const char *text, size_t len, bool xml,
    const struct prov_vars *v, char **out, size_t *outlen)
{
	struct obuf o = { NULL, 0, 0 };
	size_t at = 0, start, end, copied = 0;
	char port[8];
	const char *val;
	int var, rc;

	*out = NULL;
	*outlen = 0;
	if ((rc = prov_tmpl_check(text, len, NULL, 0)))
		return rc;
	snprintf(port, sizeof(port), "%u", v->sip_port);
	while ((rc = next_var(text, len, &at, &start, &end, &var)) == 0) {
		if ((rc = oput(&o, text + copied, start - copied)))
			break;
		switch ((enum var)var) {
		case V_MAC:
			val = v->mac;
			break;
		case V_USER:
			val = v->user;
			break;
		case V_AUTH_USER:
			val = v->auth_user;
			break;
		case V_DOMAIN:
			val = v->domain;
			break;
		case V_REALM:
			val = v->realm;
			break;
		case V_SIP_HOST:
			val = v->sip_host;
			break;
		case V_SIP_PORT:
			val = port;
			break;
		case V_DISPLAY:
			val = v->display;
			break;
		case V_SECRET:
			val = v->secret;
			break;
		default:
			val = NULL;
			break;
		}
		if ((rc = oput_value(&o, val ? val : "", xml)))
			break;
		copied = end;
	}
	if (rc == ENOENT)
		rc = oput(&o, text + copied, len - copied);
	if (!rc && !o.b)
		rc = oput(&o, "", 0);
	if (rc) {
		if (o.b)
			explicit_bzero(o.b, o.cap);
		free(o.b);
		return rc;
	}
	*out = o.b;
	*outlen = o.len;
	return 0;
}

/* ---- the set in use --------------------------------------------------- */

/* Read "path" whole (at most PROV_TMPL_MAX bytes). ENOENT: no file. */
static int
read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	char *b;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? ENOENT : errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file", path);
		return EINVAL;
	}
	if (st.st_size > PROV_TMPL_MAX) {
		close(fd);
		snprintf(err, errlen, "%s: longer than %d bytes", path,
		    PROV_TMPL_MAX);
		return EINVAL;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		close(fd);
		return ENOMEM;
	}
	n = read(fd, b, (size_t)st.st_size + 1);
	rc = errno;
	close(fd);
	if (n < 0 || n > st.st_size) {
		free(b);
		snprintf(err, errlen, "%s: cannot read: %s", path,
		    n < 0 ? strerror(rc) : "it grew while read");
		return EIO;
	}
	b[n] = '\0';
	*text = b;
	*len = (size_t)n;
	return 0;
}

int
prov_tmpls_load(
    struct prov_tmpls *ts, const char *dir, char *err, size_t errlen)
{
	char path[1200], why[256];
	size_t i, n = 0;
	int rc = 0;

	err[0] = '\0';
	memset(ts, 0, sizeof(*ts));
	while (prov_builtins[n].name)
		n++;
	ts->t = calloc(n, sizeof(*ts->t));
	if (!ts->t)
		return ENOMEM;
	ts->n = n;
	for (i = 0; i < n && !rc; i++) {
		struct prov_tmpl *t = &ts->t[i];
		const struct prov_builtin *b = &prov_builtins[i];

		snprintf(t->name, sizeof(t->name), "%s", b->name);
		t->xml = is_xml(b->name);
		rc = ENOENT;
		if (dir && *dir) {
			snprintf(
			    path, sizeof(path), "%s/%s.tmpl", dir, b->name);
			rc = read_file(path, &t->text, &t->len, err, errlen);
			if (rc && rc != ENOENT) {
				if (!err[0])
					snprintf(err, errlen, "%s: %s", path,
					    strerror(rc));
				break;
			}
			t->from_dir = rc == 0;
		}
		if (rc == ENOENT) {
			t->text = malloc(b->len + 1);
			if (!t->text) {
				rc = ENOMEM;
				break;
			}
			memcpy(t->text, b->text, b->len + 1);
			t->len = b->len;
			snprintf(path, sizeof(path), "<embedded %s>", b->name);
		}
		rc = prov_tmpl_check(t->text, t->len, why, sizeof(why));
		if (rc)
			snprintf(err, errlen, "template %s: %s", path, why);
	}
	if (rc)
		prov_tmpls_free(ts);
	return rc;
}

void
prov_tmpls_free(struct prov_tmpls *ts)
{
	size_t i;

	if (!ts)
		return;
	for (i = 0; ts->t && i < ts->n; i++)
		free(ts->t[i].text);
	free(ts->t);
	ts->t = NULL;
	ts->n = 0;
}

const struct prov_tmpl *
prov_tmpls_get(const struct prov_tmpls *ts, const char *name)
{
	size_t i;

	for (i = 0; i < ts->n; i++)
		if (strcmp(ts->t[i].name, name) == 0)
			return &ts->t[i];
	return NULL;
}

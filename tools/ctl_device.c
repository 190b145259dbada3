/*
 * tools/ctl_device.c -- "centinelactl device ...": the phones the
 * provisioning service configures (prov/prov.h, docs/PROVISIONING.md).
 *
 * A device is a MAC address bound to one account and a template. The
 * phone fetches its file, with the account's device secret, from the
 * provisioning service; nothing here ever prints or opens a secret.
 * Works on the store directly, like "user".
 *
 * Every error is one line on stderr and a non-zero exit: 1 for a
 * refused operation (unknown account, MAC already bound, store error),
 * 2 for a usage error (bad MAC, unknown template, bad option).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "core/cfg.h"
#include "prov/prov.h"
#include "store/store.h"
#include "ctl.h"

struct dopts {
	const char *conf;
	const char *store;
	const char *mac;
	const char *account;
	const char *tmpl;
	const char *display;
	bool json;
};

static void
device_usage(FILE *f)
{
	fprintf(f,
	    "usage: centinelactl device [-c CONF] [--store URI] COMMAND ...\n"
	    "  add MAC --account EXT[@DOMAIN] --template T [--display NAME]\n"
	    "  del MAC\n"
	    "  list [--json]\n"
	    "  show MAC\n"
	    "MAC as 001565aabbcc, 00:15:65:AA:BB:CC or 00-15-65-aa-bb-cc;\n"
	    "T is one of %s.\n",
	    prov_template_list);
}

/* "centinelactl: device: " + the message on stderr; returns 2. */
static int usage_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int
usage_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "centinelactl: device: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static int
parse_opts(int argc, char **argv, int i, struct dopts *o)
{
	for (; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;

		if (strcmp(a, "--account") == 0 && more)
			o->account = argv[++i];
		else if (strcmp(a, "--template") == 0 && more)
			o->tmpl = argv[++i];
		else if (strcmp(a, "--display") == 0 && more)
			o->display = argv[++i];
		else if (strcmp(a, "--json") == 0)
			o->json = true;
		else if (a[0] == '-' && a[1])
			return usage_fail(
			    "unknown or incomplete option \"%s\"", a);
		else if (!o->mac)
			o->mac = a;
		else
			return usage_fail("unexpected argument \"%s\"", a);
	}
	return 0;
}

/* EXT[@DOMAIN] into user and a configured domain. 0 or 1 (message). */
static int
resolve(const struct cfg *cfg, const char *ext, char *user, char *domain)
{
	const char *at = strchr(ext, '@');
	const char *d = at ? at + 1 : cfg->domains[0];
	size_t ul = at ? (size_t)(at - ext) : strlen(ext);

	if (ul == 0 || ul >= STORE_USER_MAX)
		return ctl_fail("--account \"%s\": not an extension", ext);
	memcpy(user, ext, ul);
	user[ul] = '\0';
	if (!cfg_domain(cfg, str_make(d, strlen(d))))
		return ctl_fail(
		    "domain \"%s\" is not one of the configured domains", d);
	snprintf(domain, STORE_DOMAIN_MAX, "%s",
	    cfg_domain(cfg, str_make(d, strlen(d))));
	return 0;
}

/* A display name: printable, no control character, fits the column. */
static bool
display_ok(const char *s)
{
	size_t i;

	if (strlen(s) >= STORE_DISPLAY_MAX)
		return false;
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static void
fmt_time(int64_t t, char *buf, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t) {
		snprintf(buf, cap, "never");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *
dev_json(const struct device *d)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:s}",
	    "mac", d->mac, "user", d->user, "domain", d->domain, "template",
	    d->tmpl, "display", d->display, "created", (json_int_t)d->created,
	    "last_fetch", (json_int_t)d->last_fetch, "fetches",
	    (json_int_t)d->fetches, "pending", d->pending != 0, "last_source",
	    d->last_source);
}

static int
list_one(const struct device *d, void *arg)
{
	json_t *arr = arg;
	char f[32], acc[STORE_USER_MAX + STORE_DOMAIN_MAX + 1];

	if (arr)
		return json_array_append_new(arr, dev_json(d)) ? ENOMEM : 0;
	fmt_time(d->last_fetch, f, sizeof(f));
	snprintf(acc, sizeof(acc), "%s@%s", d->user, d->domain);
	printf("%-12s  %-28s %-11s %-20s %-8u %s\n", d->mac, acc, d->tmpl, f,
	    d->fetches, d->pending ? "pending" : "fetched");
	return 0;
}

static int
do_list(struct store *s, bool json)
{
	json_t *arr = json ? json_array() : NULL;
	char *txt;
	int rc;

	if (json && !arr)
		return ctl_fail("out of memory");
	if (!json)
		printf("%-12s  %-28s %-11s %-20s %-8s %s\n", "MAC", "ACCOUNT",
		    "TEMPLATE", "LAST-FETCH", "FETCHES", "SECRET");
	rc = store_device_each(s, list_one, arr);
	if (rc) {
		json_decref(arr);
		return ctl_fail(
		    "%s", rc == ENOMEM ? "out of memory" : store_errmsg(s));
	}
	if (json) {
		txt = json_dumps(arr, JSON_INDENT(2));
		json_decref(arr);
		if (!txt)
			return ctl_fail("out of memory");
		printf("%s\n", txt);
		free(txt);
	}
	return 0;
}

static int
do_add(const struct cfg *cfg, struct store *s, const struct dopts *o,
    const char *mac)
{
	struct device d;
	struct account a;
	int rc;

	if (!o->account || !o->tmpl)
		return usage_fail("add: give --account EXT and --template T");
	if (!prov_template_known(o->tmpl)) {
		fprintf(stderr,
		    "centinelactl: device: template \"%s\" is not one of "
		    "%s\n",
		    o->tmpl, prov_template_list);
		return 2;
	}
	if (o->display && !display_ok(o->display))
		return usage_fail("--display: \"%s\" has a control character "
				  "or is too long",
		    o->display);
	memset(&d, 0, sizeof(d));
	snprintf(d.mac, sizeof(d.mac), "%s", mac);
	if (resolve(cfg, o->account, d.user, d.domain))
		return 1;
	rc = store_account_get(s, d.user, d.domain, &a);
	if (rc == ENOENT)
		return ctl_fail(
		    "account %s@%s: no such account", d.user, d.domain);
	if (rc)
		return ctl_fail("%s", store_errmsg(s));
	if (!a.secret_box[0]) {
		explicit_bzero(&a, sizeof(a));
		return ctl_fail(
		    "account %s@%s has no sealed device secret "
		    "(made before provisioning, or no key file): "
		    "run centinelactl user rotate-secret %s@%s first",
		    d.user, d.domain, d.user, d.domain);
	}
	explicit_bzero(&a, sizeof(a));
	snprintf(d.tmpl, sizeof(d.tmpl), "%s", o->tmpl);
	snprintf(
	    d.display, sizeof(d.display), "%s", o->display ? o->display : "");
	d.created = (int64_t)time(NULL);
	d.pending = 1;
	rc = store_device_add(s, &d);
	if (rc == EEXIST) {
		struct device old;

		if (store_device_get(s, mac, &old) == 0)
			return ctl_fail("device %s is bound to %s@%s already "
					"(device del %s first)",
			    mac, old.user, old.domain, mac);
		return ctl_fail("device %s is bound already", mac);
	}
	if (rc)
		return ctl_fail("%s", store_errmsg(s));
	printf("device %s bound to %s@%s (template %s); it fetches its "
	       "configuration and device secret at its next check\n",
	    mac, d.user, d.domain, d.tmpl);
	return 0;
}

static int
do_show(struct store *s, const char *mac)
{
	struct device d;
	char c[32], f[32];
	int rc;

	rc = store_device_get(s, mac, &d);
	if (rc == ENOENT)
		return ctl_fail("device %s: not bound", mac);
	if (rc)
		return ctl_fail("%s", store_errmsg(s));
	fmt_time(d.created, c, sizeof(c));
	fmt_time(d.last_fetch, f, sizeof(f));
	printf("device:       %s\naccount:      %s@%s\ntemplate:     %s\n"
	       "display name: %s\ncreated:      %s\nlast fetch:   %s%s%s\n"
	       "fetches:      %u\nsecret:       %s\n",
	    d.mac, d.user, d.domain, d.tmpl,
	    d.display[0] ? d.display : "(the extension)", c, f,
	    d.last_source[0] ? " from " : "", d.last_source, d.fetches,
	    d.pending ? "pending (the current secret not fetched yet)" :
			"fetched");
	return 0;
}

/* A sqlite store that does not exist is an error (nothing to list). */
static int
store_missing(const char *uri)
{
	struct stat st;

	if (strncmp(uri, "sqlite:", 7) == 0 && stat(uri + 7, &st) != 0)
		return ctl_fail("no database at %s (centinelactl user add "
				"creates it)",
		    uri + 7);
	return 0;
}

int
ctl_device(int argc, char **argv)
{
	struct dopts o;
	struct cfg *cfg = NULL;
	struct store *s = NULL;
	char mac[STORE_MAC_MAX], err[256];
	const char *sub, *uri;
	bool need_mac;
	int i, rc;

	memset(&o, 0, sizeof(o));
	if (!(i = ctl_head(argc, argv, &o.conf, &o.store, &sub))) {
		device_usage(stderr);
		return 2;
	}
	if ((rc = parse_opts(argc, argv, i, &o)))
		return rc;
	if (strcmp(sub, "list") == 0)
		need_mac = false;
	else if (!strcmp(sub, "add") || !strcmp(sub, "del") ||
	    !strcmp(sub, "show"))
		need_mac = true;
	else {
		fprintf(stderr,
		    "centinelactl: device: unknown command \"%s\" (add, del, "
		    "list, show)\n",
		    sub);
		return 2;
	}
	if (need_mac && !o.mac)
		return usage_fail("%s: missing MAC", sub);
	if (!need_mac && o.mac)
		return usage_fail("unexpected argument \"%s\"", o.mac);
	if (o.json && strcmp(sub, "list") != 0)
		return usage_fail("--json goes with list only");
	if ((o.account || o.tmpl || o.display) && strcmp(sub, "add") != 0)
		return usage_fail(
		    "--account, --template and --display go with add only");
	if (need_mac && store_mac_parse(o.mac, mac))
		return usage_fail("\"%s\" is not a MAC address (12 hex "
				  "digits, optionally separated by : or -)",
		    o.mac);
	if (cfg_load(&cfg, o.conf, stderr))
		return 1;
	uri = o.store ? o.store : cfg->store_uri;
	rc = 1;
	if (store_missing(uri))
		goto out;
	if (store_open(&s, uri, err, sizeof(err))) {
		ctl_fail("%s", err);
		goto out;
	}
	if (strcmp(sub, "list") == 0)
		rc = do_list(s, o.json);
	else if (strcmp(sub, "add") == 0)
		rc = do_add(cfg, s, &o, mac);
	else if (strcmp(sub, "show") == 0)
		rc = do_show(s, mac);
	else if ((rc = store_device_del(s, mac)) == ENOENT)
		rc = ctl_fail("device %s: not bound", mac);
	else if (rc)
		rc = ctl_fail("%s", store_errmsg(s));
	else
		printf("device %s unbound\n", mac);
out:
	store_close(s);
	cfg_free(cfg);
	return rc;
}

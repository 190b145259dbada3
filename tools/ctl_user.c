/*
 * tools/ctl_user.c -- "centinelactl user ...": accounts in the store.
 *
 * Works on the store directly, so it works whether the daemon runs or
 * not; a running daemon notices the change through the store's
 * generation counter within store.poll_interval. Secrets: the device
 * secret is generated here and printed only when the administrator
 * asks (user add --show-secret, user rotate-secret); it is stored only
 * as HA1 values. The user password is checked against the policy and
 * stored only as an Argon2id hash. Nothing ever prints a stored hash.
 *
 * Every error is one line on stderr and a non-zero exit: 1 for a
 * refused operation (unknown user, weak password, store error), 2 for
 * a usage error.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth/cred.h"
#include "core/cfg.h"
#include "store/store.h"
#include "ctl.h"

struct uopts {
	const char *conf;
	const char *store;
	const char *domain;
	const char *password;
	bool pw_stdin;
	bool generate;
	bool show_secret;
	bool has_max;
	unsigned max_contacts;
	const char *allow;
	const char *ext;
};

static void
user_usage(FILE *f)
{
	fprintf(f,
	    "usage: centinelactl user [-c CONF] [--store URI] COMMAND ...\n"
	    "  add EXT [--domain D] [--generate | --password PW | "
	    "--password-stdin]\n"
	    "          [--show-secret] [--max-contacts N] [--allow CIDR,...]\n"
	    "  passwd EXT [--generate | --password PW | --password-stdin]\n"
	    "  rotate-secret EXT     new device secret, printed once\n"
	    "  suspend EXT | resume EXT | del EXT\n"
	    "  list | show EXT\n"
	    "EXT may be EXT@DOMAIN; the domain defaults to the first of the\n"
	    "configuration's domains.\n");
}

/* Extensions and user names: letters, digits, . _ + - (1-63). */
static bool
user_ok(const char *u)
{
	size_t i, n = strlen(u);

	if (n == 0 || n >= STORE_USER_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = u[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '.' || c == '_' ||
			c == '+' || c == '-'))
			return false;
	}
	return true;
}

static int
parse_opts(int argc, char **argv, int i, struct uopts *o)
{
	for (; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;

		if (strcmp(a, "--domain") == 0 && more)
			o->domain = argv[++i];
		else if (strcmp(a, "--password") == 0 && more)
			o->password = argv[++i];
		else if (strcmp(a, "--password-stdin") == 0)
			o->pw_stdin = true;
		else if (strcmp(a, "--generate") == 0)
			o->generate = true;
		else if (strcmp(a, "--show-secret") == 0)
			o->show_secret = true;
		else if (strcmp(a, "--max-contacts") == 0 && more) {
			uint32_t v;
			const char *s = argv[++i];

			if (str_to_u32_max(str_make(s, strlen(s)), 1000, &v) ||
			    v == 0) {
				fprintf(stderr,
				    "centinelactl: --max-contacts: \"%s\" is "
				    "not a number from 1 to 1000\n",
				    s);
				return 2;
			}
			o->has_max = true;
			o->max_contacts = v;
		} else if (strcmp(a, "--allow") == 0 && more)
			o->allow = argv[++i];
		else if (a[0] == '-') {
			fprintf(stderr,
			    "centinelactl: user: unknown or incomplete "
			    "option \"%s\"\n",
			    a);
			return 2;
		} else if (!o->ext)
			o->ext = a;
		else {
			fprintf(stderr,
			    "centinelactl: user: unexpected argument "
			    "\"%s\"\n",
			    a);
			return 2;
		}
	}
	if ((o->generate + (o->password != NULL) + o->pw_stdin) > 1) {
		fprintf(stderr,
		    "centinelactl: user: choose one of --generate, "
		    "--password, --password-stdin\n");
		return 2;
	}
	return 0;
}

/* Split EXT[@DOMAIN] into user and domain (checked against cfg). */
static int
resolve(const struct cfg *cfg, const struct uopts *o, char *user, char *domain)
{
	const char *at = o->ext ? strchr(o->ext, '@') : NULL;
	const char *d = o->domain;
	size_t ul;

	if (!o->ext)
		return ctl_fail("user: missing EXT");
	ul = at ? (size_t)(at - o->ext) : strlen(o->ext);
	if (ul >= STORE_USER_MAX)
		return ctl_fail("user \"%s\": longer than %d characters",
		    o->ext, STORE_USER_MAX - 1);
	memcpy(user, o->ext, ul);
	user[ul] = '\0';
	if (!user_ok(user))
		return ctl_fail("user \"%s\": use letters, digits and . _ + - "
				"only",
		    o->ext);
	if (at && d && strcmp(at + 1, d) != 0)
		return ctl_fail(
		    "user: \"%s\" and --domain %s disagree", o->ext, d);
	if (at)
		d = at + 1;
	if (!d)
		d = cfg->domains[0];
	if (!cfg_domain(cfg, str_make(d, strlen(d))))
		return ctl_fail("domain \"%s\" is not one of the configured "
				"domains",
		    d);
	snprintf(domain, STORE_DOMAIN_MAX, "%s",
	    cfg_domain(cfg, str_make(d, strlen(d))));
	return 0;
}

/* The password for add/passwd: checked against the policy. */
static int
get_password(const struct uopts *o, const char *user, char *pw, size_t cap,
    bool *generated)
{
	char why[128];

	*generated = false;
	pw[0] = '\0';
	if (o->generate) {
		if (cred_gen_password(user, pw, cap))
			return ctl_fail("cannot generate a password");
		*generated = true;
		return 0;
	}
	if (o->password)
		snprintf(pw, cap, "%s", o->password);
	else if (o->pw_stdin) {
		size_t n;

		if (!fgets(pw, (int)cap, stdin))
			return ctl_fail("no password on standard input");
		n = strlen(pw);
		while (n && (pw[n - 1] == '\n' || pw[n - 1] == '\r'))
			pw[--n] = '\0';
	} else
		return 0;
	if (strlen(pw) >= cap - 1)
		return ctl_fail("password refused: too long");
	if (cred_policy_check(user, pw, why, sizeof(why)))
		return ctl_fail("password refused: %s", why);
	return 0;
}

static int
set_secret(struct account *a, char *secret, size_t cap)
{
	struct str u = str_make(a->user, strlen(a->user));
	struct str d = str_make(a->domain, strlen(a->domain));

	if (cred_gen_secret(secret, cap))
		return -1;
	if (cred_ha1(DIGEST_MD5, u, d, str_make(secret, strlen(secret)),
		a->ha1_md5) ||
	    cred_ha1(DIGEST_SHA256, u, d, str_make(secret, strlen(secret)),
		a->ha1_sha256))
		return -1;
	a->secret_rotated = (int64_t)time(NULL);
	return 0;
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

static int
print_row(const struct account *a, void *arg)
{
	char c[32], r[32];

	(void)arg;
	fmt_time(a->created, c, sizeof(c));
	fmt_time(a->secret_rotated, r, sizeof(r));
	printf("%-20s %-24s %-9s %-20s %-20s %s\n", a->user, a->domain,
	    a->status == ACCOUNT_ACTIVE ? "active" : "suspended", c, r,
	    a->pw_hash[0] ? "yes" : "no");
	return 0;
}

/* A sqlite store that does not exist is an error except for "add". */
static int
store_exists(const char *uri)
{
	struct stat st;

	if (strncmp(uri, "sqlite:", 7) != 0)
		return 0;
	if (stat(uri + 7, &st) != 0)
		return ctl_fail(
		    "no database at %s (user add creates it)", uri + 7);
	return 0;
}

int
ctl_user(int argc, char **argv)
{
	struct uopts o;
	struct cfg *cfg = NULL;
	struct store *s = NULL;
	struct account a;
	char user[STORE_USER_MAX], domain[STORE_DOMAIN_MAX], err[256];
	char pw[128], secret[CRED_SECRET_LEN + 1];
	const char *sub, *uri;
	bool generated = false;
	int i, rc;

	memset(&o, 0, sizeof(o));
	if (!(i = ctl_head(argc, argv, &o.conf, &o.store, &sub))) {
		user_usage(stderr);
		return 2;
	}
	if ((rc = parse_opts(argc, argv, i, &o)))
		return rc;
	if (cfg_load(&cfg, o.conf, stderr))
		return 1;
	uri = o.store ? o.store : cfg->store_uri;
	rc = 1;
	if (strcmp(sub, "list") == 0) {
		if (o.ext) {
			user_usage(stderr);
			rc = 2;
			goto out;
		}
	} else if (!strcmp(sub, "add") || !strcmp(sub, "passwd") ||
	    !strcmp(sub, "rotate-secret") || !strcmp(sub, "suspend") ||
	    !strcmp(sub, "resume") || !strcmp(sub, "del") ||
	    !strcmp(sub, "show")) {
		if (resolve(cfg, &o, user, domain))
			goto out;
	} else {
		fprintf(stderr,
		    "centinelactl: user: unknown command \"%s\" (add, "
		    "passwd, rotate-secret, suspend, resume, del, list, "
		    "show)\n",
		    sub);
		rc = 2;
		goto out;
	}
	if (strcmp(sub, "add") != 0 && store_exists(uri))
		goto out;
	if (store_open(&s, uri, err, sizeof(err))) {
		ctl_fail("%s", err);
		goto out;
	}

	if (strcmp(sub, "list") == 0) {
		printf("%-20s %-24s %-9s %-20s %-20s %s\n", "USER", "DOMAIN",
		    "STATUS", "CREATED", "SECRET-ROTATED", "PASSWORD");
		if (store_account_each(s, print_row, NULL)) {
			ctl_fail("%s", store_errmsg(s));
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (strcmp(sub, "add") == 0) {
		memset(&a, 0, sizeof(a));
		snprintf(a.user, sizeof(a.user), "%s", user);
		snprintf(a.domain, sizeof(a.domain), "%s", domain);
		if (store_account_get(s, user, domain, &a) == 0) {
			ctl_fail("user %s@%s already exists", user, domain);
			goto out;
		}
		memset(&a, 0, sizeof(a));
		snprintf(a.user, sizeof(a.user), "%s", user);
		snprintf(a.domain, sizeof(a.domain), "%s", domain);
		a.status = ACCOUNT_ACTIVE;
		a.created = (int64_t)time(NULL);
		a.max_contacts = o.has_max ? o.max_contacts : 0;
		if (o.allow) {
			struct cidr c;
			char buf[STORE_CIDRS_MAX], *tok, *save = NULL;

			if (strlen(o.allow) >= sizeof(buf)) {
				ctl_fail("--allow: longer than %d characters",
				    STORE_CIDRS_MAX - 1);
				goto out;
			}
			snprintf(buf, sizeof(buf), "%s", o.allow);
			for (tok = strtok_r(buf, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save))
				if (cidr_parse(tok, &c)) {
					ctl_fail("--allow: \"%s\" is not an "
						 "address or CIDR range",
					    tok);
					goto out;
				}
			snprintf(a.allow_cidrs, sizeof(a.allow_cidrs), "%s",
			    o.allow);
		}
		if (get_password(&o, user, pw, sizeof(pw), &generated))
			goto out;
		if (pw[0]) {
			if (cred_password_hash(
				pw, a.pw_hash, sizeof(a.pw_hash))) {
				ctl_fail("cannot hash the password");
				goto out;
			}
			a.pw_changed = a.created;
		}
		if (set_secret(&a, secret, sizeof(secret))) {
			ctl_fail("cannot generate a device secret");
			goto out;
		}
		if ((rc = store_account_add(s, &a))) {
			ctl_fail("%s",
			    rc == EEXIST ? "user already exists" :
					   store_errmsg(s));
			rc = 1;
			goto out;
		}
		printf("user %s@%s added\n", user, domain);
		if (generated)
			printf("password: %s\n", pw);
		if (o.show_secret)
			printf("device secret: %s\n", secret);
		else
			printf("device secret: generated (not shown; "
			       "rotate-secret prints a new one)\n");
		rc = 0;
		goto out;
	}

	if ((rc = store_account_get(s, user, domain, &a))) {
		ctl_fail("user %s@%s: %s", user, domain,
		    rc == ENOENT ? "no such account" : store_errmsg(s));
		rc = 1;
		goto out;
	}
	rc = 1;
	if (strcmp(sub, "show") == 0) {
		char c[32], r[32], p[32];

		fmt_time(a.created, c, sizeof(c));
		fmt_time(a.secret_rotated, r, sizeof(r));
		fmt_time(a.pw_changed, p, sizeof(p));
		printf("user:           %s@%s\nstatus:         %s\n"
		       "created:        %s\nsecret rotated: %s\n"
		       "password:       %s (changed %s)\n"
		       "max contacts:   %u%s\nallowed from:   %s\n",
		    a.user, a.domain,
		    a.status == ACCOUNT_ACTIVE ? "active" : "suspended", c, r,
		    a.pw_hash[0] ? "set" : "none", p,
		    a.max_contacts ? a.max_contacts : cfg->reg_max_contacts,
		    a.max_contacts ? "" : " (registrar default)",
		    a.allow_cidrs[0] ? a.allow_cidrs : "anywhere");
		rc = 0;
		goto out;
	}
	if (strcmp(sub, "del") == 0) {
		if ((rc = store_account_del(s, user, domain))) {
			ctl_fail("%s", store_errmsg(s));
			rc = 1;
			goto out;
		}
		printf("user %s@%s deleted\n", user, domain);
		goto out;
	}
	if (strcmp(sub, "passwd") == 0) {
		if (!o.generate && !o.password && !o.pw_stdin) {
			ctl_fail("passwd: give --generate, --password PW or "
				 "--password-stdin");
			rc = 2;
			goto out;
		}
		if (get_password(&o, user, pw, sizeof(pw), &generated))
			goto out;
		if (cred_password_hash(pw, a.pw_hash, sizeof(a.pw_hash))) {
			ctl_fail("cannot hash the password");
			goto out;
		}
		a.pw_changed = (int64_t)time(NULL);
	} else if (strcmp(sub, "rotate-secret") == 0) {
		if (set_secret(&a, secret, sizeof(secret))) {
			ctl_fail("cannot generate a device secret");
			goto out;
		}
	} else if (strcmp(sub, "suspend") == 0)
		a.status = ACCOUNT_SUSPENDED;
	else if (strcmp(sub, "resume") == 0)
		a.status = ACCOUNT_ACTIVE;
	if ((rc = store_account_update(s, &a))) {
		ctl_fail("%s", store_errmsg(s));
		rc = 1;
		goto out;
	}
	if (strcmp(sub, "passwd") == 0) {
		printf("user %s@%s: password changed\n", user, domain);
		if (generated)
			printf("password: %s\n", pw);
	} else if (strcmp(sub, "rotate-secret") == 0)
		printf("user %s@%s: new device secret: %s\n", user, domain,
		    secret);
	else
		printf("user %s@%s %s\n", user, domain,
		    strcmp(sub, "suspend") == 0 ? "suspended" : "resumed");
	rc = 0;
out:
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(secret, sizeof(secret));
	store_close(s);
	cfg_free(cfg);
	return rc;
}

/*
 * tools/ctl_user.c -- "centinelactl user ...": accounts in the store.
 *
 * Works on the store directly, so it works whether the daemon runs or
 * not; a running daemon notices the change through the store's
 * generation counter within store.poll_interval. Secrets: the device
 * secret is generated here and stored as HA1 values and sealed
 * (auth/seal.h) under the key file (--key-file, $CENTINELA_KEY_FILE,
 * provisioning.key_file, or the SQLite store's path + ".key"; created
 * 0600 on first use) for the provisioning service, the only reader of
 * the sealed copy. Nothing here ever prints a secret: terminals
 * scroll back, output is logged and pasted into tickets. When the
 * administrator needs the device secret (a phone set up by hand) it
 * goes to a new 0600 file (--secret-file), never for an account with
 * a device bound: that phone fetches it itself, so not even its user
 * learns it. A generated user password goes the same way
 * (--password-file). The user password is checked against the policy
 * and stored only as an Argon2id hash. Nothing ever prints a stored
 * hash or sealed secret.
 *
 * Every error is one line on stderr and a non-zero exit: 1 for a
 * refused operation (unknown user, weak password, store error), 2 for
 * a usage error.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "auth/cred.h"
#include "auth/seal.h"
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
	const char *secret_file;
	const char *password_file;
	bool has_max;
	unsigned max_contacts;
	const char *allow;
	const char *ext;
	const char *key_file;
	/* tls-bind: exactly one of these */
	const char *fingerprint;
	const char *cert;
	const char *subject;
	bool none;
};

static void
user_usage(FILE *f)
{
	fprintf(f,
	    "usage: centinelactl user [-c CONF] [--store URI] COMMAND ...\n"
	    "  add EXT [--domain D] [--generate --password-file PATH | "
	    "--password PW |\n"
	    "          --password-stdin] [--secret-file PATH] "
	    "[--max-contacts N]\n"
	    "          [--allow CIDR,...]\n"
	    "  passwd EXT (--generate --password-file PATH | --password PW "
	    "|\n"
	    "          --password-stdin)\n"
	    "  rotate-secret EXT [--secret-file PATH]   new device secret\n"
	    "  tls-bind EXT (--fingerprint HEX | --cert FILE.pem | "
	    "--subject DN | --none)\n"
	    "  suspend EXT | resume EXT | del EXT\n"
	    "  list | show EXT\n"
	    "EXT may be EXT@DOMAIN; the domain defaults to the first of the\n"
	    "configuration's domains. --key-file PATH (or CENTINELA_KEY_FILE)\n"
	    "names the key that seals device secrets for provisioning.\n"
	    "Secrets are never printed. --secret-file PATH writes the device\n"
	    "secret (for a phone set up by hand; never for an account with a\n"
	    "device bound) and --password-file PATH the generated password\n"
	    "to a new file, mode 0600; an existing PATH is refused.\n");
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
		else if (strcmp(a, "--secret-file") == 0 && more)
			o->secret_file = argv[++i];
		else if (strcmp(a, "--password-file") == 0 && more)
			o->password_file = argv[++i];
		else if (strcmp(a, "--show-secret") == 0) {
			ctl_fail("--show-secret was removed: use --secret-file "
				 "PATH (secrets are never printed)");
			return 2;
		} else if (strcmp(a, "--max-contacts") == 0 && more) {
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
		else if (strcmp(a, "--key-file") == 0 && more)
			o->key_file = argv[++i];
		else if (strcmp(a, "--fingerprint") == 0 && more)
			o->fingerprint = argv[++i];
		else if (strcmp(a, "--cert") == 0 && more)
			o->cert = argv[++i];
		else if (strcmp(a, "--subject") == 0 && more)
			o->subject = argv[++i];
		else if (strcmp(a, "--none") == 0)
			o->none = true;
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
	if (o->generate && !o->password_file) {
		ctl_fail("--generate needs --password-file PATH (passwords "
			 "are never printed)");
		return 2;
	}
	if (o->password_file && !o->generate) {
		ctl_fail("--password-file goes with --generate: it receives "
			 "the generated password");
		return 2;
	}
	if ((o->secret_file && !*o->secret_file) ||
	    (o->password_file && !*o->password_file)) {
		ctl_fail("--secret-file and --password-file need a path");
		return 2;
	}
	if (o->secret_file && o->password_file &&
	    strcmp(o->secret_file, o->password_file) == 0) {
		ctl_fail("--secret-file and --password-file name the same "
			 "file");
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

/* ---- the sealed copy for provisioning ---------------------------------- */

_Static_assert(SEAL_BOX_MAX <= STORE_SECRET_BOX_MAX,
    "a sealed secret fits the account's secret_box");

/*
 * Seal "secret" into a->secret_box under the key file (created on
 * first use). A store for which no key file is named (not SQLite, no
 * provisioning.key_file) leaves the box empty, with a note: the
 * account works, only its phones cannot be provisioned. Returns 0, or
 * 1 after the message.
 */
static int
seal_secret(const struct cfg *cfg, const struct uopts *o, const char *uri,
    struct account *a, const char *secret)
{
	char path[SEAL_PATH_MAX], err[SEAL_PATH_MAX + 128];
	const char *kf = o->key_file;
	struct seal_key k;
	int rc;

	a->secret_box[0] = '\0';
	if (!kf || !*kf)
		kf = getenv("CENTINELA_KEY_FILE");
	if (!kf || !*kf)
		kf = cfg->prov.key_file;
	rc = seal_key_path(kf, uri, path, sizeof(path));
	if (rc == ENOENT) {
		fprintf(stderr,
		    "centinelactl: note: device secret of %s@%s not sealed "
		    "for provisioning (no key file: set provisioning.key_file "
		    "or --key-file)\n",
		    a->user, a->domain);
		return 0;
	}
	if (rc)
		return ctl_fail("key file: path too long");
	if (seal_key_load(&k, path, true, err, sizeof(err)))
		return ctl_fail("%s", err);
	rc = seal_box(&k, a->user, a->domain, secret, a->secret_box,
	    sizeof(a->secret_box));
	seal_key_wipe(&k);
	if (rc)
		return ctl_fail("cannot seal the device secret");
	return 0;
}

/* ---- secrets go to new files, never to the terminal ------------------------- */

/*
 * A file asked for to receive one secret (--secret-file PATH,
 * --password-file PATH). "made" is set once it exists, so that a
 * command failing after that removes it again: a secret file is left
 * behind only for a change that was committed.
 */
struct outfile {
	const char *opt; /* the option, for messages */
	const char *path; /* NULL: not asked for */
	bool made;
};

static int
write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * fsync the directory that holds path: the file's name is durable
 * like the store commit that follows, so a crash cannot keep the
 * account and lose the only copy of its secret.
 */
static int
sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, rc = 0;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return errno;
	/* EINVAL: a file system without directory sync; nothing to do. */
	if (fsync(fd) != 0 && errno != EINVAL)
		rc = errno;
	close(fd);
	return rc;
}

/*
 * Write value and a newline to a NEW file of->path: O_EXCL refuses
 * any existing path, a symbolic link included (O_NOFOLLOW says so
 * again), so no file is ever overwritten or reached through a planted
 * link; mode 0600 whatever the umask; synced before the caller
 * commits. Does nothing when no path was asked for. Returns 0, or 1
 * after the message, with anything it made removed.
 */
static int
outfile_write(struct outfile *of, const char *value)
{
	int fd, rc;

	if (!of->path)
		return 0;
	fd = open(of->path,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST)
		return ctl_fail(
		    "%s %s: the file exists already (a new file "
		    "is created, never overwritten); nothing changed",
		    of->opt, of->path);
	if (fd < 0)
		return ctl_fail("%s %s: cannot create it: %s; nothing changed",
		    of->opt, of->path, strerror(errno));
	of->made = true;
	if (fchmod(fd, 0600) != 0)
		rc = errno;
	else if (!(rc = write_all(fd, value, strlen(value))) &&
	    !(rc = write_all(fd, "\n", 1)) && fsync(fd) != 0)
		rc = errno;
	if (close(fd) != 0 && !rc)
		rc = errno;
	if (!rc)
		rc = sync_dir(of->path);
	if (rc) {
		(void)unlink(of->path);
		of->made = false;
		return ctl_fail("%s %s: cannot write it: %s; removed, nothing "
				"changed",
		    of->opt, of->path, strerror(rc));
	}
	return 0;
}

/* The command failed after the file was made: take the secret back. */
static void
outfile_undo(struct outfile *of)
{
	if (of->made && unlink(of->path) != 0 && errno != ENOENT)
		ctl_fail("%s %s: cannot remove it (%s): it holds a secret "
			 "that was not stored; delete it",
		    of->opt, of->path, strerror(errno));
	of->made = false;
}

/*
 * From the first secret file to the commit, hold the signals that end
 * the program (Ctrl-C, kill, a closed terminal): one arriving between
 * the two would leave a secret file for a change never made. They act
 * when ctl_user() returns, on a whole outcome.
 */
static void
hold_signals(sigset_t *saved, bool *held)
{
	sigset_t set;

	if (*held)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	*held = sigprocmask(SIG_BLOCK, &set, saved) == 0;
}

/* ---- tls-bind: the client certificate an account's phone presents ------------ */

#define TLSID_FP "sha256:"
#define TLSID_SUBJECT "subject:"

/* "AB:CD:..." or "abcd..." (64 hex digits, "sha256:" optional). */
static int
tlsid_fingerprint(const char *in, char *out, size_t cap)
{
	char hex[65];
	size_t i, n = 0;

	if (strncasecmp(in, TLSID_FP, strlen(TLSID_FP)) == 0)
		in += strlen(TLSID_FP);
	for (i = 0; in[i]; i++) {
		char c = in[i];

		if (c == ':' && i > 0 && in[i + 1] && in[i - 1] != ':')
			continue;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) ||
		    n == 64)
			return ctl_fail("--fingerprint: \"%.80s\" is not a "
					"SHA-256 fingerprint (64 hex digits, "
					"colons allowed)",
			    in);
		hex[n++] = c;
	}
	if (n != 64)
		return ctl_fail("--fingerprint: %zu hex digits, want 64 (a "
				"SHA-256 fingerprint)",
		    n);
	hex[64] = '\0';
	snprintf(out, cap, "%s%s", TLSID_FP, hex);
	return 0;
}

/* The SHA-256 fingerprint of the (first) certificate of a PEM file. */
static int
tlsid_cert(const char *path, char *out, size_t cap)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int n = 0, i;
	X509 *x = NULL;
	FILE *f;

	if (!(f = fopen(path, "r")))
		return ctl_fail("--cert %s: %s", path, strerror(errno));
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x)
		return ctl_fail("--cert %s: no PEM certificate in it", path);
	if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != 32) {
		X509_free(x);
		return ctl_fail(
		    "--cert %s: cannot compute its fingerprint", path);
	}
	X509_free(x);
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(out, cap, "%s%s", TLSID_FP, hex);
	return 0;
}

/*
 * An RFC 2253 subject ("CN=phone 1,O=Acme\, Inc.,C=ES", most specific
 * first) in its canonical spelling: parsed into an X509_NAME (unknown
 * attribute types refused) and printed back with XN_FLAG_RFC2253, as
 * a verifier prints the subject of the certificate it received.
 */
static int
tlsid_subject(const char *in, char *out, size_t cap)
{
	char field[64], value[256], *txt = NULL;
	X509_NAME *name = X509_NAME_new();
	const char *p = in;
	BIO *bio = NULL;
	size_t esc;
	int rc = 1, nrdn = 0;
	long len;

	if (!name)
		return ctl_fail("out of memory");
	while (*p) {
		size_t fl = 0, vl = 0;

		while (*p == ' ')
			p++;
		while (*p && *p != '=' && *p != ',' && fl + 1 < sizeof(field))
			field[fl++] = *p++;
		while (fl && field[fl - 1] == ' ')
			fl--;
		field[fl] = '\0';
		if (*p != '=' || !fl) {
			ctl_fail("--subject: \"%.120s\": want TYPE=VALUE,... "
				 "(RFC 2253)",
			    in);
			goto out;
		}
		p++;
		while (*p == ' ')
			p++;
		esc = 0;
		while (*p && *p != ',' && vl + 1 < sizeof(value)) {
			if (*p == '\\' && p[1]) {
				p++;
				value[vl++] = *p++;
				esc = vl; /* an escaped space stays */
				continue;
			}
			if (*p == '+') {
				ctl_fail("--subject: multi-valued RDNs (+) are "
					 "not supported");
				goto out;
			}
			value[vl++] = *p++;
		}
		while (vl > esc && value[vl - 1] == ' ')
			vl--;
		value[vl] = '\0';
		if (*p && *p != ',') {
			ctl_fail("--subject: a value longer than %zu bytes",
			    sizeof(value) - 1);
			goto out;
		}
		if (*p == ',')
			p++;
		if (!vl ||
		    !X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
			(const unsigned char *)value, (int)vl, 0, 0)) {
			ctl_fail("--subject: \"%s=%s\": unknown attribute "
				 "type or empty value",
			    field, value);
			goto out;
		}
		nrdn++;
	}
	if (!nrdn) {
		ctl_fail("--subject: empty");
		goto out;
	}
	if (!(bio = BIO_new(BIO_s_mem())) ||
	    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0) {
		ctl_fail("--subject: cannot print it");
		goto out;
	}
	len = BIO_get_mem_data(bio, &txt);
	if (len <= 0 || (size_t)len + strlen(TLSID_SUBJECT) >= cap) {
		ctl_fail("--subject: longer than %zu bytes",
		    cap - strlen(TLSID_SUBJECT) - 1);
		goto out;
	}
	snprintf(out, cap, "%s%.*s", TLSID_SUBJECT, (int)len, txt);
	rc = 0;
out:
	BIO_free(bio);
	X509_NAME_free(name);
	return rc;
}

/* Another account bound to the same certificate. */
struct tlsid_walk {
	const char *id;
	const char *user, *domain;
	char other[STORE_USER_MAX + STORE_DOMAIN_MAX + 1];
};

static int
tlsid_same(const struct account *a, void *arg)
{
	struct tlsid_walk *w = arg;

	if (strcmp(a->tls_id, w->id) != 0 ||
	    (strcmp(a->user, w->user) == 0 &&
		strcmp(a->domain, w->domain) == 0))
		return 0;
	snprintf(w->other, sizeof(w->other), "%s@%s", a->user, a->domain);
	return EEXIST;
}

static int
tls_bind(struct store *s, const struct uopts *o, struct account *a)
{
	char id[STORE_TLSID_MAX];
	struct tlsid_walk w;
	int rc;

	id[0] = '\0';
	if (o->fingerprint)
		rc = tlsid_fingerprint(o->fingerprint, id, sizeof(id));
	else if (o->cert)
		rc = tlsid_cert(o->cert, id, sizeof(id));
	else if (o->subject)
		rc = tlsid_subject(o->subject, id, sizeof(id));
	else
		rc = 0;
	if (rc)
		return rc;
	if (id[0]) {
		w.id = id;
		w.user = a->user;
		w.domain = a->domain;
		w.other[0] = '\0';
		rc = store_account_each(s, tlsid_same, &w);
		if (rc == EEXIST)
			return ctl_fail("%s is bound to %s already: one "
					"certificate, one account",
			    id, w.other);
		if (rc)
			return ctl_fail("%s", store_errmsg(s));
	}
	snprintf(a->tls_id, sizeof(a->tls_id), "%s", id);
	if (store_account_update(s, a))
		return ctl_fail("%s", store_errmsg(s));
	if (id[0])
		printf("user %s@%s: client certificate %s\n", a->user,
		    a->domain, id);
	else
		printf("user %s@%s: no client certificate binding\n", a->user,
		    a->domain);
	return 0;
}

/*
 * rotate-secret: the new secret's HA1 values and sealed copy, and every
 * device of the account pending, in one transaction.
 */
static int
rotate(struct store *s, struct account *a, uint64_t *ndev)
{
	int rc;

	if ((rc = store_begin(s)))
		return ctl_fail("%s", store_errmsg(s));
	if ((rc = store_account_update(s, a)) ||
	    (rc = store_device_pending(s, a->user, a->domain, ndev))) {
		char why[256];

		snprintf(why, sizeof(why), "%s", store_errmsg(s));
		(void)store_rollback(s);
		return ctl_fail("%s", why);
	}
	if ((rc = store_commit(s)))
		return ctl_fail("%s", store_errmsg(s));
	return 0;
}

int
ctl_user(int argc, char **argv)
{
	struct uopts o;
	struct cfg *cfg = NULL;
	struct store *s = NULL;
	struct account a;
	struct device dev;
	struct outfile sf = { "--secret-file", NULL, false };
	struct outfile pf = { "--password-file", NULL, false };
	sigset_t saved;
	char user[STORE_USER_MAX], domain[STORE_DOMAIN_MAX], err[256];
	char pw[128], secret[CRED_SECRET_LEN + 1];
	const char *sub, *uri;
	bool generated = false, has_dev = false, held = false;
	uint64_t ndev = 0;
	int i, rc, ntls;

	memset(&o, 0, sizeof(o));
	if (!(i = ctl_head(argc, argv, &o.conf, &o.store, &sub))) {
		user_usage(stderr);
		return 2;
	}
	if ((rc = parse_opts(argc, argv, i, &o)))
		return rc;
	if (o.secret_file && strcmp(sub, "add") != 0 &&
	    strcmp(sub, "rotate-secret") != 0) {
		ctl_fail("--secret-file goes with add and rotate-secret only");
		return 2;
	}
	if (o.generate && strcmp(sub, "add") != 0 &&
	    strcmp(sub, "passwd") != 0) {
		ctl_fail("--generate and --password-file go with add and "
			 "passwd only");
		return 2;
	}
	sf.path = o.secret_file;
	pf.path = o.password_file;
	if (cfg_load(&cfg, o.conf, stderr))
		return 1;
	uri = o.store ? o.store : cfg->store_uri;
	secret[0] = '\0';
	rc = 1;
	ntls = (o.fingerprint != NULL) + (o.cert != NULL) +
	    (o.subject != NULL) + o.none;
	if (strcmp(sub, "tls-bind") == 0 ? ntls != 1 : ntls != 0) {
		ctl_fail(strcmp(sub, "tls-bind") == 0 ?
			"tls-bind: give one of --fingerprint, --cert, "
			"--subject, --none" :
			"--fingerprint, --cert, --subject and --none go with "
			"tls-bind only");
		rc = 2;
		goto out;
	}
	if (strcmp(sub, "list") == 0) {
		if (o.ext) {
			user_usage(stderr);
			rc = 2;
			goto out;
		}
	} else if (!strcmp(sub, "add") || !strcmp(sub, "passwd") ||
	    !strcmp(sub, "rotate-secret") || !strcmp(sub, "suspend") ||
	    !strcmp(sub, "resume") || !strcmp(sub, "del") ||
	    !strcmp(sub, "show") || !strcmp(sub, "tls-bind")) {
		if (resolve(cfg, &o, user, domain))
			goto out;
	} else {
		fprintf(stderr,
		    "centinelactl: user: unknown command \"%s\" (add, "
		    "passwd, rotate-secret, tls-bind, suspend, resume, del, "
		    "list, show)\n",
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
		if (seal_secret(cfg, &o, uri, &a, secret))
			goto out;
		/* The files first, the account last: see outfile. */
		hold_signals(&saved, &held);
		if (outfile_write(&sf, secret) ||
		    (generated && outfile_write(&pf, pw)))
			goto out;
		if ((rc = store_account_add(s, &a))) {
			ctl_fail("%s",
			    rc == EEXIST ? "user already exists" :
					   store_errmsg(s));
			rc = 1;
			goto out;
		}
		printf("user %s@%s added\n", user, domain);
		if (pf.made)
			printf("password written to %s (mode 0600)\n", pf.path);
		if (sf.made)
			printf("secret written to %s (mode 0600)\n", sf.path);
		else
			printf("device secret generated, not shown "
			       "(--secret-file PATH writes it to a new "
			       "file)\n");
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
	err[0] = '\0';
	switch (store_device_of(s, user, domain, &dev)) {
	case 0:
		has_dev = true;
		break;
	case ENOENT:
		break;
	default:
		ctl_fail("%s", store_errmsg(s));
		goto out;
	}
	if (strcmp(sub, "tls-bind") == 0) {
		rc = tls_bind(s, &o, &a);
		goto out;
	}
	if (strcmp(sub, "show") == 0) {
		char c[32], r[32], p[32], f[32];

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
		printf("sealed secret:  %s\nclient cert:    %s\n",
		    a.secret_box[0] ? "yes (for provisioning)" :
				      "no (rotate-secret seals one)",
		    a.tls_id[0] ? a.tls_id : "none");
		if (has_dev) {
			fmt_time(dev.last_fetch, f, sizeof(f));
			printf("device:         %s (%s), last fetch %s%s\n",
			    dev.mac, dev.tmpl, f,
			    dev.pending ? ", new secret not fetched yet" : "");
		} else
			printf("device:         none\n");
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
			ctl_fail(
			    "passwd: give --generate --password-file PATH, "
			    "--password PW or --password-stdin");
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
		hold_signals(&saved, &held);
		if (generated && outfile_write(&pf, pw))
			goto out;
	} else if (strcmp(sub, "rotate-secret") == 0) {
		if (has_dev && o.secret_file) {
			ctl_fail("user %s@%s: device %s is bound: its secret "
				 "is never written out (the phone fetches it)",
			    user, domain, dev.mac);
			goto out;
		}
		if (set_secret(&a, secret, sizeof(secret))) {
			ctl_fail("cannot generate a device secret");
			goto out;
		}
		if (seal_secret(cfg, &o, uri, &a, secret))
			goto out;
		hold_signals(&saved, &held);
		if (outfile_write(&sf, secret) || rotate(s, &a, &ndev))
			goto out;
		if (has_dev)
			printf("user %s@%s: device secret rotated; device %s "
			       "gets it at its next check (%llu device%s "
			       "pending)\n",
			    user, domain, dev.mac, (unsigned long long)ndev,
			    ndev == 1 ? "" : "s");
		else if (sf.made)
			printf("user %s@%s: new device secret\n"
			       "secret written to %s (mode 0600)\n",
			    user, domain, sf.path);
		else
			printf("user %s@%s: new device secret generated (not "
			       "shown; --secret-file PATH writes it to a new "
			       "file)\n",
			    user, domain);
		rc = 0;
		goto out;
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
		if (pf.made)
			printf("password written to %s (mode 0600)\n", pf.path);
	} else
		printf("user %s@%s %s\n", user, domain,
		    strcmp(sub, "suspend") == 0 ? "suspended" : "resumed");
	rc = 0;
out:
	if (rc) {
		outfile_undo(&sf);
		outfile_undo(&pf);
	}
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(secret, sizeof(secret));
	store_close(s);
	cfg_free(cfg);
	if (held)
		(void)sigprocmask(SIG_SETMASK, &saved, NULL);
	return rc;
}

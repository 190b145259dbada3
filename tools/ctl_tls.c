/*
 * tools/ctl_tls.c -- centinelactl tls: a private CA and certificates
 * for labs and tests (real deployments bring their own PKI).
 *
 *	tls ca --out DIR [--cn NAME] [--days N] [--key ec|rsa] [--force]
 *	tls server --ca DIR --cn HOST [--san DNS:x,IP:y,...] --out PREFIX
 *	    [--days N] [--key ec|rsa] [--force]
 *	tls device --ca DIR --cn NAME [--mac MAC] --out PREFIX [--days N]
 *	    [--key ec|rsa] [--force]
 *	tls show FILE.pem
 *
 * Everything is done with the OpenSSL 3 API in this process: nothing is
 * shelled out, so no key ever appears on a command line or in a
 * temporary file other than our own 0600 one.
 *
 * Files: DIR/ca.pem, DIR/ca.key; PREFIX.pem (the certificate, then the
 * CA certificate: the chain a TLS server or client presents), PREFIX.key.
 * Keys are unencrypted PKCS#8 PEM (a daemon must load them unattended),
 * mode 0600; certificates 0644. Each file is written to a temporary
 * file next to it, synced, then put in place: link(2) when it must not
 * replace anything (EEXIST is detected atomically), rename(2) with
 * --force. Both files of a command are prepared before either is put
 * in place, so a failure leaves no half-written pair.
 *
 * Exit status: 0 done, 1 the work failed (a file exists, the CA cannot
 * be read, OpenSSL failed), 2 bad arguments. Keys are never printed.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/str.h"
#include "ctl.h"

#define TLS_DAYS_MAX 36500
#define TLS_CN_MAX 64 /* ub-common-name, RFC 5280 appendix A */
#define TLS_SAN_MAX 32
#define TLS_RSA_BITS 3072
/* Backdate notBefore: a peer whose clock is a little behind still accepts. */
#define TLS_BACKDATE_S 300

enum tls_cmd {
	TC_CA = 1,
	TC_SERVER = 2,
	TC_DEVICE = 4
};

enum tls_optid {
	O_OUT,
	O_CN,
	O_DAYS,
	O_KEY,
	O_CA,
	O_SAN,
	O_MAC,
	O_FORCE,
	O_N
};

struct tls_opt {
	const char *name;
	enum tls_optid id;
	unsigned cmds; /* the commands that take it */
	bool has_value;
};

static const struct tls_opt tls_opts[] = {
	{ "--out", O_OUT, TC_CA | TC_SERVER | TC_DEVICE, true },
	{ "--cn", O_CN, TC_CA | TC_SERVER | TC_DEVICE, true },
	{ "--days", O_DAYS, TC_CA | TC_SERVER | TC_DEVICE, true },
	{ "--key", O_KEY, TC_CA | TC_SERVER | TC_DEVICE, true },
	{ "--ca", O_CA, TC_SERVER | TC_DEVICE, true },
	{ "--san", O_SAN, TC_SERVER, true },
	{ "--mac", O_MAC, TC_DEVICE, true },
	{ "--force", O_FORCE, TC_CA | TC_SERVER | TC_DEVICE, false },
};

#define NOPTS (sizeof(tls_opts) / sizeof(tls_opts[0]))

struct tls_args {
	const char *cmd; /* "ca", "server", "device" */
	const char *val[O_N];
	bool force;
	uint32_t days;
	bool rsa;
};

/* A file being written: its final path and the temporary beside it. */
struct outfile {
	char path[PATH_MAX];
	char tmp[PATH_MAX];
	bool have_tmp;
};

static void
tls_usage(FILE *f)
{
	fprintf(f,
	    "usage: centinelactl tls ca --out DIR [--cn NAME] [--days N] "
	    "[--key ec|rsa] [--force]\n"
	    "       centinelactl tls server --ca DIR --cn HOST "
	    "[--san DNS:x,IP:y,...] --out PREFIX\n"
	    "           [--days N] [--key ec|rsa] [--force]\n"
	    "       centinelactl tls device --ca DIR --cn NAME [--mac MAC] "
	    "--out PREFIX\n"
	    "           [--days N] [--key ec|rsa] [--force]\n"
	    "       centinelactl tls show FILE.pem\n"
	    "  ca:     a private CA for labs: DIR/ca.pem, DIR/ca.key (0600)\n"
	    "  server: a server certificate (serverAuth) signed by the CA: "
	    "PREFIX.pem\n"
	    "          (certificate + CA), PREFIX.key (0600)\n"
	    "  device: a client certificate (clientAuth) for a phone or "
	    "peer; prints its\n"
	    "          fingerprint and subject, the values to bind to the "
	    "account or peer\n"
	    "  show:   subject, issuer, validity, SANs, fingerprint of the "
	    "certificates\n"
	    "  An existing key or certificate is never replaced without "
	    "--force.\n");
}

/* "centinelactl: tls CMD: " + message on stderr; returns 2. */
static int bad_arg(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
bad_arg(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "centinelactl: tls %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* ctl_fail() with the first OpenSSL error appended; returns 1. */
static int
ssl_fail(const char *what)
{
	char buf[256];
	unsigned long e = ERR_get_error();

	if (e) {
		ERR_error_string_n(e, buf, sizeof(buf));
		ERR_clear_error();
		return ctl_fail("tls: %s: %s", what, buf);
	}
	return ctl_fail("tls: %s", what);
}

/* ---- checks on names -------------------------------------------- */

static bool
is_dns_name(const char *s)
{
	size_t len = strlen(s), lab = 0, i;

	if (len == 0 || len > 253)
		return false;
	if (s[0] == '*' && s[1] == '.')
		s += 2; /* one leading wildcard label */
	if (*s == '\0')
		return false;
	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (c == '.') {
			if (lab == 0 || s[i - 1] == '-')
				return false;
			lab = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-'))
			return false;
		if (c == '-' && lab == 0)
			return false;
		if (++lab > 63)
			return false;
	}
	return lab > 0 && s[i - 1] != '-';
}

/* 4 or 16 bytes of "s" in "out"; returns the length, 0 if not an IP. */
static size_t
ip_bytes(const char *s, unsigned char out[16])
{
	if (inet_pton(AF_INET, s, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, out) == 1)
		return 16;
	return 0;
}

/* A device name: 1..64 of letters, digits and "-._@+". */
static bool
is_device_name(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || strchr("-._@+", c)))
			return false;
	}
	return i > 0 && i <= TLS_CN_MAX;
}

/* A CA name: 1..64 bytes, no control characters. */
static bool
is_ca_name(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return i > 0 && i <= TLS_CN_MAX;
}

/*
 * A MAC address, 12 hex digits with optional ':' or '-' between the
 * bytes, into 12 lowercase hex digits (RFC 9039 urn:dev:mac form).
 */
static bool
mac_norm(const char *s, char out[13])
{
	size_t n = 0, i;
	char sep = 0;

	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (c == ':' || c == '-') {
			/* Separators between bytes only, and all the same. */
			if (n == 0 || n % 2 || n == 12 || (sep && sep != c) ||
			    s[i + 1] == ':' || s[i + 1] == '-')
				return false;
			sep = c;
			continue;
		}
		if (n == 12)
			return false;
		if (c >= '0' && c <= '9')
			out[n++] = c;
		else if (c >= 'a' && c <= 'f')
			out[n++] = c;
		else if (c >= 'A' && c <= 'F')
			out[n++] = (char)(c - 'A' + 'a');
		else
			return false;
	}
	if (sep && i != 17)
		return false;
	out[n] = '\0';
	return n == 12;
}

/* ---- argument parsing ------------------------------------------- */

static int
parse_args(int argc, char **argv, unsigned cmd, struct tls_args *a)
{
	int i;
	unsigned k;

	for (i = 1; i < argc; i++) {
		const struct tls_opt *o = NULL;

		for (k = 0; k < NOPTS; k++)
			if (strcmp(argv[i], tls_opts[k].name) == 0)
				o = &tls_opts[k];
		if (!o)
			return bad_arg(
			    a->cmd, "unknown argument \"%s\"", argv[i]);
		if (!(o->cmds & cmd))
			return bad_arg(
			    a->cmd, "%s does not apply here", o->name);
		if (o->id == O_FORCE) {
			a->force = true;
			continue;
		}
		if (a->val[o->id])
			return bad_arg(a->cmd, "%s given twice", o->name);
		if (i + 1 >= argc || argv[i + 1][0] == '\0')
			return bad_arg(a->cmd, "%s needs a value", o->name);
		a->val[o->id] = argv[++i];
	}
	if (!a->val[O_OUT])
		return bad_arg(a->cmd, "--out is required");
	if (cmd != TC_CA && !a->val[O_CA])
		return bad_arg(a->cmd, "--ca DIR is required");
	if (cmd != TC_CA && !a->val[O_CN])
		return bad_arg(a->cmd, "--cn is required");
	if (a->val[O_DAYS] &&
	    (str_to_u32_max(str_make(a->val[O_DAYS], strlen(a->val[O_DAYS])),
		 TLS_DAYS_MAX, &a->days) ||
		a->days == 0))
		return bad_arg(a->cmd,
		    "--days: \"%s\" is not a number of "
		    "days from 1 to %u",
		    a->val[O_DAYS], TLS_DAYS_MAX);
	if (a->val[O_KEY]) {
		if (strcmp(a->val[O_KEY], "rsa") == 0)
			a->rsa = true;
		else if (strcmp(a->val[O_KEY], "ec") != 0)
			return bad_arg(a->cmd,
			    "--key: \"%s\" is not \"ec\" (P-256) or \"rsa\" "
			    "(%d bits)",
			    a->val[O_KEY], TLS_RSA_BITS);
	}
	if (strlen(a->val[O_OUT]) + 16 >= PATH_MAX)
		return bad_arg(a->cmd, "--out: path too long");
	if (a->val[O_CA] && strlen(a->val[O_CA]) + 16 >= PATH_MAX)
		return bad_arg(a->cmd, "--ca: path too long");
	return 0;
}

/* ---- output files ----------------------------------------------- */

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/*
 * Write a temporary file next to f->path with "mode", filled by
 * "fill"; synced and closed. Returns 0 or 1 (after saying why).
 */
static int
out_prepare(
    struct outfile *f, mode_t mode, int (*fill)(BIO *, void *), void *arg)
{
	BIO *b = NULL;
	FILE *fp = NULL;
	int fd, rc = 1;

	if ((size_t)snprintf(f->tmp, sizeof(f->tmp), "%s.tmp-XXXXXX",
		f->path) >= sizeof(f->tmp))
		return ctl_fail("tls: %s: path too long", f->path);
	/* mkstemp creates the file 0600: a key is never readable by others. */
	fd = mkstemp(f->tmp);
	if (fd < 0)
		return ctl_fail(
		    "tls: cannot create %s: %s", f->tmp, strerror(errno));
	f->have_tmp = true;
	if (fchmod(fd, mode) < 0) {
		ctl_fail("tls: chmod %s: %s", f->tmp, strerror(errno));
		close(fd);
		goto out;
	}
	fp = fdopen(fd, "w");
	if (!fp) {
		ctl_fail("tls: %s: %s", f->tmp, strerror(errno));
		close(fd);
		goto out;
	}
	b = BIO_new_fp(fp, BIO_NOCLOSE);
	if (!b || !fill(b, arg) || BIO_flush(b) != 1) {
		ssl_fail(f->path);
		goto out;
	}
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
		ctl_fail("tls: cannot write %s: %s", f->tmp, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	BIO_free(b);
	if (fp && fclose(fp) != 0 && rc == 0)
		rc = ctl_fail(
		    "tls: cannot write %s: %s", f->tmp, strerror(errno));
	return rc;
}

/* Remove the temporary file, if any. */
static void
out_discard(struct outfile *f)
{
	if (f->have_tmp)
		unlink(f->tmp);
	f->have_tmp = false;
}

/*
 * Put the temporary in place: rename(2) with "force", else link(2),
 * which fails with EEXIST instead of replacing a file made meanwhile.
 * Returns 0 or 1.
 */
static int
out_commit(struct outfile *f, bool force)
{
	if (force) {
		if (rename(f->tmp, f->path) < 0)
			return ctl_fail("tls: cannot rename %s to %s: %s",
			    f->tmp, f->path, strerror(errno));
		f->have_tmp = false;
		return 0;
	}
	if (link(f->tmp, f->path) < 0) {
		if (errno == EEXIST)
			return ctl_fail("tls: %s exists (not replaced; "
					"--force replaces it)",
			    f->path);
		/* File systems without hard links: check, then rename. */
		if (exists(f->path))
			return ctl_fail("tls: %s exists (not replaced; "
					"--force replaces it)",
			    f->path);
		if (rename(f->tmp, f->path) < 0)
			return ctl_fail("tls: cannot rename %s to %s: %s",
			    f->tmp, f->path, strerror(errno));
		f->have_tmp = false;
		return 0;
	}
	out_discard(f);
	return 0;
}

static int
fill_key(BIO *b, void *arg)
{
	return PEM_write_bio_PrivateKey(b, arg, NULL, NULL, 0, NULL, NULL);
}

struct chain {
	X509 *leaf;
	X509 *ca; /* NULL for the CA's own file */
};

static int
fill_chain(BIO *b, void *arg)
{
	struct chain *ch = arg;

	return PEM_write_bio_X509(b, ch->leaf) &&
	    (!ch->ca || PEM_write_bio_X509(b, ch->ca));
}

/*
 * Write "key" (0600) and the certificate chain (0644) to "keypath" and
 * "certpath": both prepared, then both put in place. When the second
 * cannot be placed, the first one placed is removed again (without
 * --force it did not exist before). Returns 0 or 1.
 */
static int
write_pair(const char *keypath, const char *certpath, EVP_PKEY *key,
    struct chain *ch, bool force)
{
	struct outfile kf = { .have_tmp = false }, cf = { .have_tmp = false };
	int rc = 1;

	snprintf(kf.path, sizeof(kf.path), "%s", keypath);
	snprintf(cf.path, sizeof(cf.path), "%s", certpath);
	if (out_prepare(&kf, 0600, fill_key, key) ||
	    out_prepare(&cf, 0644, fill_chain, ch))
		goto out;
	if (out_commit(&kf, force))
		goto out;
	if (out_commit(&cf, force)) {
		if (!force)
			unlink(kf.path);
		goto out;
	}
	rc = 0;
out:
	out_discard(&kf);
	out_discard(&cf);
	return rc;
}

/* ---- certificates ----------------------------------------------- */

static EVP_PKEY *
key_new(bool rsa)
{
	return rsa ? EVP_RSA_gen(TLS_RSA_BITS) : EVP_EC_gen("P-256");
}

/* A positive random serial of 127 bits (RFC 5280: at most 20 octets). */
static int
set_serial(X509 *x)
{
	unsigned char r[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return 0;
	r[0] &= 0x7f;
	r[0] |= 0x40; /* never zero, never short */
	bn = BN_bin2bn(r, sizeof(r), NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

static int
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/*
 * A new version 3 certificate for "key" named CN=cn (O=org when not
 * NULL), valid from now (backdated a little) for "days"; issuer name
 * and validity limit from "ca", or self-issued when "ca" is NULL. Not
 * signed yet, no extensions. Caller owns the result; NULL on failure.
 */
static X509 *
cert_new(EVP_PKEY *key, const char *cn, const char *org, uint32_t days,
    X509 *ca, bool *clamped)
{
	X509 *x = X509_new();
	X509_NAME *name;

	*clamped = false;
	if (!x || !X509_set_version(x, X509_VERSION_3) || !set_serial(x) ||
	    !X509_set_pubkey(x, key))
		goto fail;
	name = X509_get_subject_name(x);
	if ((org &&
		!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
		    (const unsigned char *)org, -1, -1, 0)) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
		(const unsigned char *)cn, -1, -1, 0))
		goto fail;
	if (!X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : name))
		goto fail;
	if (!X509_gmtime_adj(X509_getm_notBefore(x), -TLS_BACKDATE_S) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL))
		goto fail;
	/* A certificate cannot be valid longer than its issuer. */
	if (ca &&
	    ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(ca)) >
		0) {
		if (!X509_set1_notAfter(x, X509_get0_notAfter(ca)))
			goto fail;
		*clamped = true;
	}
	return x;
fail:
	X509_free(x);
	return NULL;
}

static bool
is_rsa(const EVP_PKEY *k)
{
	return EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA;
}

/* ---- printing ----------------------------------------------------- */

/* The name in RFC 2253 form (escaped) into buf. */
static const char *
name_2253(const X509_NAME *n, char *buf, size_t cap)
{
	BIO *b = BIO_new(BIO_s_mem());
	int len;

	buf[0] = '\0';
	if (!b)
		return buf;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0) {
		len = BIO_read(b, buf, (int)cap - 1);
		buf[len > 0 ? len : 0] = '\0';
	}
	BIO_free(b);
	return buf;
}

/* "sha256:" + 64 lowercase hex digits of the DER certificate. */
static const char *
fingerprint(const X509 *x, char out[72])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0, i;
	char *p = out;

	if (!X509_digest(x, EVP_sha256(), md, &n) || n != 32) {
		snprintf(out, 72, "?");
		return out;
	}
	p += snprintf(p, 8, "sha256:");
	for (i = 0; i < n; i++)
		p += snprintf(p, 3, "%02x", md[i]);
	return out;
}

static const char *
time_iso(const ASN1_TIME *t, char *buf, size_t cap)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm) ||
	    !strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, cap, "?");
	return buf;
}

/* An IA5 string of a certificate, with non-printable bytes escaped. */
static void
put_ia5(FILE *f, const ASN1_IA5STRING *s)
{
	const unsigned char *p = ASN1_STRING_get0_data(s);
	int i, n = ASN1_STRING_length(s);

	for (i = 0; i < n; i++)
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' && p[i] != ',')
			fputc(p[i], f);
		else
			fprintf(f, "\\x%02x", p[i]);
}

static void
put_sans(FILE *f, const X509 *x)
{
	GENERAL_NAMES *gens =
	    X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int i, n = gens ? sk_GENERAL_NAME_num(gens) : 0;

	if (n == 0)
		fputs("-", f);
	for (i = 0; i < n; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char ip[INET6_ADDRSTRLEN];

		if (i)
			fputs(", ", f);
		switch (g->type) {
		case GEN_DNS:
			fputs("DNS:", f);
			put_ia5(f, g->d.dNSName);
			break;
		case GEN_URI:
			fputs("URI:", f);
			put_ia5(f, g->d.uniformResourceIdentifier);
			break;
		case GEN_EMAIL:
			fputs("email:", f);
			put_ia5(f, g->d.rfc822Name);
			break;
		case GEN_IPADD:
			if (ASN1_STRING_length(g->d.iPAddress) == 4 ||
			    ASN1_STRING_length(g->d.iPAddress) == 16) {
				inet_ntop(
				    ASN1_STRING_length(g->d.iPAddress) == 4 ?
					AF_INET :
					AF_INET6,
				    ASN1_STRING_get0_data(g->d.iPAddress), ip,
				    sizeof(ip));
				fprintf(f, "IP:%s", ip);
			} else
				fputs("IP:?", f);
			break;
		default:
			fputs("(other)", f);
		}
	}
	fputc('\n', f);
	GENERAL_NAMES_free(gens);
}

static void
put_key(FILE *f, X509 *x)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	char grp[64];
	size_t len;

	if (!k)
		fputs("?\n", f);
	else if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC &&
	    EVP_PKEY_get_group_name(k, grp, sizeof(grp), &len))
		fprintf(f, "EC %s\n", grp);
	else
		fprintf(f, "%s %d bits\n", OBJ_nid2sn(EVP_PKEY_get_base_id(k)),
		    EVP_PKEY_get_bits(k));
}

/* What `tls show` prints of one certificate (never a key). */
static void
cert_print(FILE *f, X509 *x)
{
	char buf[1024], fp[72];
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	uint32_t flags = X509_get_extension_flags(x);
	uint32_t xku = X509_get_extended_key_usage(x);
	long pl = X509_get_pathlen(x);

	fprintf(f, "subject:     %s\n",
	    name_2253(X509_get_subject_name(x), buf, sizeof(buf)));
	fprintf(f, "issuer:      %s\n",
	    name_2253(X509_get_issuer_name(x), buf, sizeof(buf)));
	fprintf(f, "serial:      %s\n", hex ? hex : "?");
	fprintf(f, "not before:  %s\n",
	    time_iso(X509_get0_notBefore(x), buf, sizeof(buf)));
	fprintf(f, "not after:   %s%s\n",
	    time_iso(X509_get0_notAfter(x), buf, sizeof(buf)),
	    X509_cmp_current_time(X509_get0_notAfter(x)) < 0 ? " (expired)" :
							       "");
	fputs("key:         ", f);
	put_key(f, x);
	if (flags & EXFLAG_CA) {
		if (pl >= 0)
			fprintf(f, "CA:          yes, path length %ld\n", pl);
		else
			fprintf(f, "CA:          yes\n");
	} else
		fprintf(f, "CA:          no\n");
	if (flags & EXFLAG_XKUSAGE)
		fprintf(f, "usage:       %s%s%s\n",
		    xku & XKU_SSL_SERVER ? "serverAuth" : "",
		    (xku & XKU_SSL_SERVER) && (xku & XKU_SSL_CLIENT) ? ", " :
								       "",
		    xku & XKU_SSL_CLIENT       ? "clientAuth" :
			(xku & XKU_SSL_SERVER) ? "" :
						 "(other)");
	else
		fprintf(f, "usage:       any\n");
	fputs("SANs:        ", f);
	put_sans(f, x);
	fprintf(f, "fingerprint: %s\n", fingerprint(x, fp));
	OPENSSL_free(hex);
	BN_free(bn);
}

/* ---- tls ca ----------------------------------------------------- */

static int
cmd_ca(int argc, char **argv)
{
	struct tls_args a = { .cmd = "ca" };
	char keyp[PATH_MAX], certp[PATH_MAX], fp[72], when[32], subj[512];
	const char *dir, *cn;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	struct chain ch;
	struct stat st;
	bool clamped;
	int rc;

	if ((rc = parse_args(argc, argv, TC_CA, &a)))
		return rc;
	dir = a.val[O_OUT];
	cn = a.val[O_CN] ? a.val[O_CN] : "centinela lab CA";
	if (!is_ca_name(cn))
		return bad_arg("ca",
		    "--cn: 1 to %d characters, no control "
		    "characters",
		    TLS_CN_MAX);
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return ctl_fail("tls: %s is not a directory", dir);
	} else if (errno != ENOENT || mkdir(dir, 0700) < 0)
		return ctl_fail(
		    "tls: cannot create %s: %s", dir, strerror(errno));
	snprintf(keyp, sizeof(keyp), "%s/ca.key", dir);
	snprintf(certp, sizeof(certp), "%s/ca.pem", dir);
	if (!a.force && (exists(keyp) || exists(certp)))
		return ctl_fail("tls: %s exists (not replaced; --force "
				"replaces it and orphans every certificate "
				"it signed)",
		    exists(keyp) ? keyp : certp);

	rc = 1;
	key = key_new(a.rsa);
	if (!key) {
		ssl_fail("key generation");
		goto out;
	}
	x = cert_new(
	    key, cn, "centinela lab", a.days ? a.days : 3650, NULL, &clamped);
	if (!x ||
	    !add_ext(
		x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    !add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !add_ext(x, x, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, x, NID_authority_key_identifier, "keyid:always") ||
	    !X509_sign(x, key, EVP_sha256())) {
		ssl_fail("CA certificate");
		goto out;
	}
	ch.leaf = x;
	ch.ca = NULL;
	if (write_pair(keyp, certp, key, &ch, a.force))
		goto out;
	printf("certificate: %s\nkey:         %s (mode 0600)\n"
	       "subject:     %s\nnot after:   %s\nfingerprint: %s\n",
	    certp, keyp,
	    name_2253(X509_get_subject_name(x), subj, sizeof(subj)),
	    time_iso(X509_get0_notAfter(x), when, sizeof(when)),
	    fingerprint(x, fp));
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

/* ---- tls server / tls device ------------------------------------ */

/* Never prompt on a terminal for a pass phrase: encrypted keys fail. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/* Load DIR/ca.pem and DIR/ca.key and check that they belong together. */
static int
ca_load(const char *dir, X509 **cap, EVP_PKEY **keyp)
{
	char path[PATH_MAX];
	FILE *f;
	X509 *ca = NULL;
	EVP_PKEY *key = NULL;

	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	f = fopen(path, "r");
	if (!f)
		return ctl_fail("tls: cannot open %s: %s (create a CA with "
				"\"centinelactl tls ca --out %s\")",
		    path, strerror(errno), dir);
	ca = PEM_read_X509(f, NULL, no_passphrase, NULL);
	fclose(f);
	if (!ca) {
		ERR_clear_error();
		return ctl_fail("tls: %s: no PEM certificate in it", path);
	}
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	f = fopen(path, "r");
	if (!f) {
		X509_free(ca);
		return ctl_fail(
		    "tls: cannot open %s: %s", path, strerror(errno));
	}
	key = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
	fclose(f);
	if (!key) {
		ERR_clear_error();
		X509_free(ca);
		return ctl_fail("tls: %s: no unencrypted PEM private key in "
				"it",
		    path);
	}
	if (X509_check_private_key(ca, key) != 1) {
		ERR_clear_error();
		ctl_fail(
		    "tls: %s/ca.key is not the key of %s/ca.pem", dir, dir);
		goto fail;
	}
	if (X509_check_ca(ca) < 1) {
		ctl_fail("tls: %s/ca.pem is not a CA certificate", dir);
		goto fail;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(ca)) < 0) {
		ctl_fail("tls: %s/ca.pem has expired", dir);
		goto fail;
	}
	*cap = ca;
	*keyp = key;
	return 0;
fail:
	X509_free(ca);
	EVP_PKEY_free(key);
	return 1;
}

static int
push_name(GENERAL_NAMES *gens, int type, const char *s)
{
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_STRING *v = NULL;
	unsigned char ip[16];
	size_t n;

	if (!g)
		return 0;
	if (type == GEN_IPADD) {
		n = ip_bytes(s, ip);
		v = ASN1_OCTET_STRING_new();
		if (!v || !ASN1_OCTET_STRING_set(v, ip, (int)n))
			goto fail;
	} else {
		v = ASN1_IA5STRING_new();
		if (!v || !ASN1_STRING_set(v, s, -1))
			goto fail;
	}
	GENERAL_NAME_set0_value(g, type, v);
	if (!sk_GENERAL_NAME_push(gens, g)) {
		GENERAL_NAME_free(g);
		return 0;
	}
	return 1;
fail:
	ASN1_STRING_free(v);
	GENERAL_NAME_free(g);
	return 0;
}

/*
 * The SANs of a server certificate: every DNS:name / IP:address of
 * "list" (comma-separated), plus "cn" when the list does not name it
 * (clients match SANs only, RFC 6125 section 6.4.4). Returns 0 with
 * *out set (caller frees), 2 on a bad entry (after saying which), 1 on
 * an OpenSSL failure.
 */
static int
san_build(const char *list, const char *cn, GENERAL_NAMES **out)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	char item[300];
	unsigned char ipb[16];
	const char *p = list ? list : "", *e;
	bool cn_seen = false;
	unsigned n = 0;

	if (!gens)
		return 1;
	while (list && *p) {
		int type;
		const char *v;
		size_t len;

		e = strchr(p, ',');
		len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0 || len >= sizeof(item)) {
			GENERAL_NAMES_free(gens);
			return bad_arg("server", "--san: %s entry in \"%s\"",
			    len ? "an overlong" : "an empty", list);
		}
		memcpy(item, p, len);
		item[len] = '\0';
		if (strncmp(item, "DNS:", 4) == 0 && is_dns_name(item + 4)) {
			type = GEN_DNS;
			v = item + 4;
		} else if (strncmp(item, "IP:", 3) == 0 &&
		    ip_bytes(item + 3, ipb)) {
			type = GEN_IPADD;
			v = item + 3;
		} else {
			GENERAL_NAMES_free(gens);
			return bad_arg("server",
			    "--san: \"%s\" is not DNS:hostname or "
			    "IP:address",
			    item);
		}
		if (++n > TLS_SAN_MAX) {
			GENERAL_NAMES_free(gens);
			return bad_arg(
			    "server", "--san: more than %d names", TLS_SAN_MAX);
		}
		if (strcmp(v, cn) == 0)
			cn_seen = true;
		if (!push_name(gens, type, v)) {
			GENERAL_NAMES_free(gens);
			return 1;
		}
		p += len + (e ? 1 : 0);
		if (e && *p == '\0') {
			GENERAL_NAMES_free(gens);
			return bad_arg(
			    "server", "--san: an empty entry in \"%s\"", list);
		}
	}
	if (!cn_seen &&
	    !push_name(gens, ip_bytes(cn, ipb) ? GEN_IPADD : GEN_DNS, cn)) {
		GENERAL_NAMES_free(gens);
		return 1;
	}
	*out = gens;
	return 0;
}

static int
cmd_leaf(int argc, char **argv, unsigned cmd)
{
	struct tls_args a = { .cmd = cmd == TC_SERVER ? "server" : "device" };
	char keyp[PATH_MAX], certp[PATH_MAX], fp[72], subj[512], when[32];
	char mac[13], urn[32];
	unsigned char ipb[16];
	const char *cn;
	EVP_PKEY *key = NULL, *cakey = NULL;
	X509 *x = NULL, *ca = NULL;
	GENERAL_NAMES *gens = NULL;
	struct chain ch;
	bool clamped;
	int rc;

	if ((rc = parse_args(argc, argv, cmd, &a)))
		return rc;
	cn = a.val[O_CN];
	if (cmd == TC_SERVER && !is_dns_name(cn) && !ip_bytes(cn, ipb))
		return bad_arg(
		    a.cmd, "--cn: \"%s\" is not a host name or IP address", cn);
	if (cmd == TC_DEVICE && !is_device_name(cn))
		return bad_arg(a.cmd,
		    "--cn: \"%s\": 1 to %d letters, digits or \"-._@+\"", cn,
		    TLS_CN_MAX);
	if (strlen(cn) > TLS_CN_MAX)
		return bad_arg(
		    a.cmd, "--cn: longer than %d characters", TLS_CN_MAX);
	if (a.val[O_MAC] && !mac_norm(a.val[O_MAC], mac))
		return bad_arg(a.cmd,
		    "--mac: \"%s\" is not a MAC address (12 hex digits, "
		    "optionally separated by ':' or '-')",
		    a.val[O_MAC]);
	if (cmd == TC_SERVER) {
		rc = san_build(a.val[O_SAN], cn, &gens);
		if (rc == 1)
			return ssl_fail("subjectAltName");
		if (rc)
			return rc;
	}
	snprintf(keyp, sizeof(keyp), "%s.key", a.val[O_OUT]);
	snprintf(certp, sizeof(certp), "%s.pem", a.val[O_OUT]);
	rc = 1;
	if (!a.force && (exists(keyp) || exists(certp))) {
		ctl_fail("tls: %s exists (not replaced; --force replaces it)",
		    exists(keyp) ? keyp : certp);
		goto out;
	}
	if (ca_load(a.val[O_CA], &ca, &cakey))
		goto out;
	key = key_new(a.rsa);
	if (!key) {
		ssl_fail("key generation");
		goto out;
	}
	x = cert_new(key, cn, cmd == TC_DEVICE ? "centinela lab device" : NULL,
	    a.days ? a.days : 825, ca, &clamped);
	if (!x || !add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, ca, NID_key_usage,
		is_rsa(key) ? "critical,digitalSignature,keyEncipherment" :
			      "critical,digitalSignature") ||
	    !add_ext(x, ca, NID_ext_key_usage,
		cmd == TC_SERVER ? "serverAuth" : "clientAuth") ||
	    !add_ext(x, ca, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, ca, NID_authority_key_identifier, "keyid:always")) {
		ssl_fail("certificate");
		goto out;
	}
	if (cmd == TC_DEVICE && a.val[O_MAC]) {
		/* RFC 9039: the device's MAC as a URN in the SAN. */
		gens = sk_GENERAL_NAME_new_null();
		snprintf(urn, sizeof(urn), "urn:dev:mac:%s", mac);
		if (!gens || !push_name(gens, GEN_URI, urn)) {
			ssl_fail("subjectAltName");
			goto out;
		}
	}
	if ((gens &&
		!X509_add1_ext_i2d(
		    x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT)) ||
	    !X509_sign(x, cakey, EVP_sha256())) {
		ssl_fail("certificate");
		goto out;
	}
	ch.leaf = x;
	ch.ca = ca;
	if (write_pair(keyp, certp, key, &ch, a.force))
		goto out;
	if (clamped)
		fprintf(stderr,
		    "centinelactl: tls %s: note: validity cut to the CA's "
		    "end\n",
		    a.cmd);
	printf("certificate: %s\nkey:         %s (mode 0600)\n"
	       "subject:     %s\nnot after:   %s\n",
	    certp, keyp,
	    name_2253(X509_get_subject_name(x), subj, sizeof(subj)),
	    time_iso(X509_get0_notAfter(x), when, sizeof(when)));
	fputs("SANs:        ", stdout);
	put_sans(stdout, x);
	printf("fingerprint: %s\n", fingerprint(x, fp));
	rc = 0;
out:
	GENERAL_NAMES_free(gens);
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
	return rc;
}

/* ---- tls show ----------------------------------------------------- */

static int
cmd_show(int argc, char **argv)
{
	BIO *b;
	X509 *x;
	int n = 0;

	if (argc != 2)
		return bad_arg("show", "expected one FILE.pem");
	b = BIO_new_file(argv[1], "r");
	if (!b) {
		ERR_clear_error();
		return ctl_fail(
		    "tls: cannot open %s: %s", argv[1], strerror(errno));
	}
	/* Every certificate of the file; keys in it are skipped, unread. */
	while ((x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL))) {
		if (n++)
			fputc('\n', stdout);
		cert_print(stdout, x);
		X509_free(x);
	}
	ERR_clear_error();
	BIO_free(b);
	if (n == 0)
		return ctl_fail("tls: %s: no PEM certificate in it", argv[1]);
	return 0;
}

int
ctl_tls(int argc, char **argv)
{
	if (argc < 2) {
		tls_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "ca") == 0)
		return cmd_ca(argc - 1, argv + 1);
	if (strcmp(argv[1], "server") == 0)
		return cmd_leaf(argc - 1, argv + 1, TC_SERVER);
	if (strcmp(argv[1], "device") == 0)
		return cmd_leaf(argc - 1, argv + 1, TC_DEVICE);
	if (strcmp(argv[1], "show") == 0)
		return cmd_show(argc - 1, argv + 1);
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		tls_usage(stdout);
		return 0;
	}
	fprintf(stderr,
	    "centinelactl: tls: unknown command \"%s\" (ca, server, device, "
	    "show; \"centinelactl tls\" alone for help)\n",
	    argv[1]);
	return 2;
}

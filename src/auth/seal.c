/*
 * auth/seal.c -- sealed device secrets (auth/seal.h): the key file and
 * AES-256-GCM boxes bound to their account.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth/seal.h"

#define SEAL_VERSION 1
#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN 16
#define SEAL_HEAD_LEN (1 + SEAL_KEY_ID_LEN)
#define SEAL_RAW_MAX \
	(SEAL_HEAD_LEN + SEAL_NONCE_LEN + SEAL_SECRET_MAX + SEAL_TAG_LEN)
#define SEAL_KEY_HEX (2 * SEAL_KEY_LEN)
/* What the associated data starts with: a box means this and only this. */
#define SEAL_AD_LABEL "centinela device secret v1"

static int msg(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
msg(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* ---- the key file ------------------------------------------------------- */

int
seal_key_path(
    const char *key_file, const char *store_uri, char *out, size_t cap)
{
	int n;

	if (!out || !cap)
		return EINVAL;
	out[0] = '\0';
	if (key_file && *key_file)
		n = snprintf(out, cap, "%s", key_file);
	else if (store_uri && strncmp(store_uri, "sqlite:", 7) == 0 &&
	    store_uri[7])
		n = snprintf(out, cap, "%s.key", store_uri + 7);
	else
		return ENOENT;
	if (n < 0 || (size_t)n >= cap) {
		out[0] = '\0';
		return ENAMETOOLONG;
	}
	return 0;
}

/* The key id: the first bytes of SHA-256(label | key). */
static int
key_id(struct seal_key *k)
{
	static const char label[] = "centinela seal key id";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok;

	if (!c)
		return ENOMEM;
	ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(c, label, sizeof(label) - 1) &&
	    EVP_DigestUpdate(c, k->k, sizeof(k->k)) &&
	    EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	if (!ok || mdlen < SEAL_KEY_ID_LEN)
		return EIO;
	memcpy(k->id, md, SEAL_KEY_ID_LEN);
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Make the key file: a fresh key in a temporary file beside it, then
 * link(2) into place, which fails with EEXIST when another program was
 * first (its key wins and we load it).
 */
static int
key_create(const char *path, char *err, size_t errlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char key[SEAL_KEY_LEN];
	char tmp[SEAL_PATH_MAX + 32], txt[SEAL_KEY_HEX + 1];
	size_t i;
	ssize_t w;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return msg(err, errlen, ENAMETOOLONG,
		    "key file %s: path too long", path);
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
		return msg(err, errlen, EIO,
		    "key file %s: no random bytes from the kernel", path);
	for (i = 0; i < SEAL_KEY_LEN; i++) {
		txt[2 * i] = hex[key[i] >> 4];
		txt[2 * i + 1] = hex[key[i] & 15];
	}
	explicit_bzero(key, sizeof(key));
	(void)unlink(tmp);
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = errno;
		explicit_bzero(txt, sizeof(txt));
		return msg(err, errlen, rc, "key file %s: cannot create: %s",
		    path, strerror(rc));
	}
	w = write(fd, txt, SEAL_KEY_HEX);
	if (w == SEAL_KEY_HEX)
		w = write(fd, "\n", 1) == 1 ? w : -1;
	explicit_bzero(txt, sizeof(txt));
	if (w != SEAL_KEY_HEX || fsync(fd) != 0)
		rc = errno ? errno : EIO;
	if (close(fd) != 0 && !rc)
		rc = errno;
	if (!rc && link(tmp, path) != 0 && errno != EEXIST)
		rc = errno;
	(void)unlink(tmp);
	if (rc)
		return msg(err, errlen, rc, "key file %s: cannot write: %s",
		    path, strerror(rc));
	return 0;
}

int
seal_key_load(
    struct seal_key *k, const char *path, bool create, char *err, size_t errlen)
{
	char buf[SEAL_KEY_HEX + 3];
	struct stat st;
	ssize_t n;
	size_t i;
	int fd, rc = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!k || !path || !*path)
		return msg(err, errlen, EINVAL, "key file: no path");
	memset(k, 0, sizeof(*k));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if ((rc = key_create(path, err, errlen)))
			return rc;
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		rc = errno;
		return msg(err, errlen, rc, "key file %s: %s", path,
		    rc == ENOENT ? "does not exist" : strerror(rc));
	}
	if (fstat(fd, &st) != 0) {
		rc = errno;
		close(fd);
		return msg(
		    err, errlen, rc, "key file %s: %s", path, strerror(rc));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return msg(err, errlen, EINVAL,
		    "key file %s: not a regular file", path);
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		return msg(err, errlen, EPERM,
		    "key file %s: mode %04o lets others read it (want 0600: "
		    "chmod 600 %s)",
		    path, (unsigned)(st.st_mode & 07777), path);
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	rc = EINVAL;
	if (n == SEAL_KEY_HEX || (n == SEAL_KEY_HEX + 1 && buf[n - 1] == '\n'))
		rc = 0;
	for (i = 0; !rc && i < SEAL_KEY_LEN; i++) {
		int hi = hexval((unsigned char)buf[2 * i]);
		int lo = hexval((unsigned char)buf[2 * i + 1]);

		if (hi < 0 || lo < 0)
			rc = EINVAL;
		else
			k->k[i] = (unsigned char)(hi << 4 | lo);
	}
	explicit_bzero(buf, sizeof(buf));
	if (!rc)
		rc = key_id(k);
	if (rc) {
		seal_key_wipe(k);
		return msg(err, errlen, rc, "key file %s: %s", path,
		    rc == EINVAL ? "not a key (want 64 hex digits)" :
				   "cannot derive the key id");
	}
	return 0;
}

void
seal_key_wipe(struct seal_key *k)
{
	if (k)
		explicit_bzero(k, sizeof(*k));
}

/* ---- boxes -------------------------------------------------------------- */

/*
 * The associated data: a label, the box's header (version and key id)
 * and the account, each text with its length first so that no two
 * accounts give the same bytes ("a" + "bc" vs "ab" + "c").
 */
static int
aad(EVP_CIPHER_CTX *c, const unsigned char *head, const char *user,
    const char *domain)
{
	const char *part[] = { SEAL_AD_LABEL, user, domain };
	unsigned char len[2];
	size_t i, n;
	int out;

	if (EVP_EncryptUpdate(c, NULL, &out, head, SEAL_HEAD_LEN) != 1)
		return EIO;
	for (i = 0; i < 3; i++) {
		n = strlen(part[i]);
		len[0] = (unsigned char)(n >> 8);
		len[1] = (unsigned char)n;
		if (EVP_EncryptUpdate(c, NULL, &out, len, 2) != 1 ||
		    EVP_EncryptUpdate(c, NULL, &out,
			(const unsigned char *)part[i], (int)n) != 1)
			return EIO;
	}
	return 0;
}

/* The same for decryption (EVP keeps the two directions apart). */
static int
aad_dec(EVP_CIPHER_CTX *c, const unsigned char *head, const char *user,
    const char *domain)
{
	const char *part[] = { SEAL_AD_LABEL, user, domain };
	unsigned char len[2];
	size_t i, n;
	int out;

	if (EVP_DecryptUpdate(c, NULL, &out, head, SEAL_HEAD_LEN) != 1)
		return EIO;
	for (i = 0; i < 3; i++) {
		n = strlen(part[i]);
		len[0] = (unsigned char)(n >> 8);
		len[1] = (unsigned char)n;
		if (EVP_DecryptUpdate(c, NULL, &out, len, 2) != 1 ||
		    EVP_DecryptUpdate(c, NULL, &out,
			(const unsigned char *)part[i], (int)n) != 1)
			return EIO;
	}
	return 0;
}

static bool
name_ok(const char *s)
{
	return s && *s && strlen(s) < 1024;
}

int
seal_box(const struct seal_key *k, const char *user, const char *domain,
    const char *secret, char *box, size_t cap)
{
	unsigned char raw[SEAL_RAW_MAX], *p;
	EVP_CIPHER_CTX *c = NULL;
	size_t slen, rlen;
	int out, fin, rc = EIO;

	if (box && cap)
		box[0] = '\0';
	if (!k || !name_ok(user) || !name_ok(domain) || !secret || !box ||
	    cap < SEAL_BOX_MAX)
		return EINVAL;
	slen = strlen(secret);
	if (slen == 0 || slen > SEAL_SECRET_MAX)
		return EINVAL;
	raw[0] = SEAL_VERSION;
	memcpy(raw + 1, k->id, SEAL_KEY_ID_LEN);
	p = raw + SEAL_HEAD_LEN;
	if (RAND_bytes(p, SEAL_NONCE_LEN) != 1)
		return EIO;
	if (!(c = EVP_CIPHER_CTX_new()))
		return ENOMEM;
	if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(
		c, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(c, NULL, NULL, k->k, p) != 1 ||
	    aad(c, raw, user, domain))
		goto out;
	p += SEAL_NONCE_LEN;
	if (EVP_EncryptUpdate(
		c, p, &out, (const unsigned char *)secret, (int)slen) != 1 ||
	    EVP_EncryptFinal_ex(c, p + out, &fin) != 1 ||
	    (size_t)(out + fin) != slen)
		goto out;
	p += slen;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN, p) != 1)
		goto out;
	rlen = (size_t)(p + SEAL_TAG_LEN - raw);
	(void)EVP_EncodeBlock((unsigned char *)box, raw, (int)rlen);
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

static bool
is_b64(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
}

/*
 * Strict base64 into raw (at most SEAL_RAW_MAX bytes): length a
 * multiple of 4, the standard alphabet, '=' only as padding.
 */
static int
b64_dec(const char *txt, unsigned char *raw, size_t *n)
{
	unsigned char buf[SEAL_RAW_MAX + 3];
	size_t len = strlen(txt), pad = 0, i;
	int got;

	if (len == 0 || len % 4 || len / 4 * 3 > sizeof(buf))
		return EINVAL;
	if (txt[len - 1] == '=')
		pad = txt[len - 2] == '=' ? 2 : 1;
	for (i = 0; i < len - pad; i++)
		if (!is_b64((unsigned char)txt[i]))
			return EINVAL;
	got = EVP_DecodeBlock(buf, (const unsigned char *)txt, (int)len);
	if (got < 0 || (size_t)got != len / 4 * 3 ||
	    (size_t)got - pad > SEAL_RAW_MAX)
		return EINVAL;
	*n = (size_t)got - pad;
	memcpy(raw, buf, *n);
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

int
seal_open(const struct seal_key *k, const char *user, const char *domain,
    const char *box, char *secret, size_t cap)
{
	unsigned char raw[SEAL_RAW_MAX], pt[SEAL_SECRET_MAX], *tag;
	EVP_CIPHER_CTX *c = NULL;
	size_t n, clen;
	int out, fin, rc;

	if (secret && cap)
		secret[0] = '\0';
	if (!k || !name_ok(user) || !name_ok(domain) || !box || !secret ||
	    cap < SEAL_SECRET_MAX + 1)
		return EINVAL;
	if ((rc = b64_dec(box, raw, &n)))
		return rc;
	if (n < SEAL_HEAD_LEN + SEAL_NONCE_LEN + 1 + SEAL_TAG_LEN ||
	    raw[0] != SEAL_VERSION) {
		rc = EINVAL;
		goto out;
	}
	if (CRYPTO_memcmp(raw + 1, k->id, SEAL_KEY_ID_LEN) != 0) {
		rc = EKEYREJECTED;
		goto out;
	}
	clen = n - SEAL_HEAD_LEN - SEAL_NONCE_LEN - SEAL_TAG_LEN;
	tag = raw + n - SEAL_TAG_LEN;
	rc = EIO;
	if (!(c = EVP_CIPHER_CTX_new())) {
		rc = ENOMEM;
		goto out;
	}
	if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(
		c, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(c, NULL, NULL, k->k, raw + SEAL_HEAD_LEN) != 1 ||
	    aad_dec(c, raw, user, domain) ||
	    EVP_DecryptUpdate(c, pt, &out, raw + SEAL_HEAD_LEN + SEAL_NONCE_LEN,
		(int)clen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN, tag) !=
		1)
		goto out;
	if (EVP_DecryptFinal_ex(c, pt + out, &fin) != 1) {
		rc = EBADMSG;
		goto out;
	}
	if ((size_t)(out + fin) != clen || memchr(pt, '\0', clen)) {
		rc = EBADMSG;
		goto out;
	}
	memcpy(secret, pt, clen);
	secret[clen] = '\0';
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(pt, sizeof(pt));
	return rc;
}

/*
 * auth/cred.c -- credentials: the password policy, generated secrets and
 * passwords, Argon2id password hashes and digest HA1 values.
 *
 * Randomness comes from getrandom(2) only. Every buffer that held a
 * secret, a digest of one or random bytes that became one is wiped with
 * explicit_bzero() before it goes out of scope. Nothing here logs.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#include <argon2.h>
#include <openssl/evp.h>
#include <pwquality.h>

#include "auth/cred.h"

#define XSTR(x) #x
#define NSTR(x) XSTR(x)

/* ---- digest algorithms ---- */

static const struct {
	const char *name; /* RFC 7616 token */
	const char *fetch; /* OpenSSL 3 algorithm name */
	size_t hex_len;
} alg_tab[DIGEST_ALG_COUNT] = {
	[DIGEST_MD5] = { "MD5", "MD5", 32 },
	[DIGEST_SHA256] = { "SHA-256", "SHA2-256", 64 },
};

/* 32 or 64; 0 for a value outside the enum. */
size_t
cred_hex_len(enum digest_alg alg)
{
	if ((unsigned)alg >= DIGEST_ALG_COUNT)
		return 0;
	return alg_tab[alg].hex_len;
}

/* "MD5" or "SHA-256"; NULL for a value outside the enum. */
const char *
cred_alg_name(enum digest_alg alg)
{
	if ((unsigned)alg >= DIGEST_ALG_COUNT)
		return NULL;
	return alg_tab[alg].name;
}

/* ---- randomness ---- */

/* Fill "buf" from the kernel CSPRNG. 0, or -1 when it fails. */
static int
rand_fill(void *buf, size_t len)
{
	unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Uniform picks in [0, n) for n <= 256, by rejection sampling: a byte is
 * used only when it is below the largest multiple of n that fits in 256,
 * so "b % n" has no modulo bias (for n = 62, bytes 248..255 are thrown
 * away, 1/32 of the draws). Bytes are fetched in blocks.
 */
struct rpool {
	unsigned char buf[64];
	size_t pos;
};

static void
rpool_init(struct rpool *rp)
{
	rp->pos = sizeof(rp->buf);
}

static void
rpool_wipe(struct rpool *rp)
{
	explicit_bzero(rp, sizeof(*rp));
}

static int
rpool_pick(struct rpool *rp, unsigned n, unsigned *out)
{
	unsigned limit = 256 - 256 % n;
	unsigned b;

	for (;;) {
		if (rp->pos == sizeof(rp->buf)) {
			if (rand_fill(rp->buf, sizeof(rp->buf)))
				return -1;
			rp->pos = 0;
		}
		b = rp->buf[rp->pos++];
		if (b < limit) {
			*out = b % n;
			return 0;
		}
	}
}

/* ---- password policy: our own rules ---- */

static inline unsigned char
lower(char c)
{
	unsigned char u = (unsigned char)c;

	return (u >= 'A' && u <= 'Z') ? (unsigned char)(u + 32) : u;
}

static inline bool
is_alpha(unsigned char c)
{
	c = lower((char)c);
	return c >= 'a' && c <= 'z';
}

static inline bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/*
 * A username shorter than this is refused only as the whole secret (or
 * the whole secret reversed): "contains 42" would refuse a fifth of all
 * good passwords for extension 42 without making anything safer.
 */
#define USER_SUBSTR_MIN 3

/* Runs of this many repeated, sequential or keyboard-adjacent chars. */
#define RUN_LEN 4

/* Does "hay" contain "needle" reversed (ASCII case-insensitive)? */
static bool
contains_rev_nocase(struct str hay, struct str needle)
{
	size_t i, k;

	if (hay.len < needle.len)
		return false;
	for (i = 0; i + needle.len <= hay.len; i++) {
		for (k = 0; k < needle.len; k++)
			if (lower(hay.s[i + k]) !=
			    lower(needle.s[needle.len - 1 - k]))
				break;
		if (k == needle.len)
			return true;
	}
	return false;
}

static const char *
user_rule(struct str user, struct str pw)
{
	if (user.len == 0)
		return NULL;
	if (str_eq_nocase(pw, user))
		return "is the username";
	if (pw.len == user.len && contains_rev_nocase(pw, user))
		return "is the username reversed";
	if (user.len < USER_SUBSTR_MIN)
		return NULL;
	if (str_contains_nocase(pw, user))
		return "contains the username";
	if (contains_rev_nocase(pw, user))
		return "contains the username reversed";
	return NULL;
}

/*
 * The most common passwords (the top of every published leak list, plus
 * the defaults of SIP phones and PBXes), lower case. Matched exactly by
 * is_common(), not as substrings: a long passphrase that happens to
 * contain "dragon" is not weak, and cracklib looks for dictionary words.
 */
/* clang-format off */
#define W(s) { s, sizeof(s) - 1 }
static const struct str common_pw[] = {
	W("password"), W("passw0rd"), W("password1"), W("123456"),
	W("12345678"), W("123456789"), W("1234567890"), W("111111"),
	W("000000"), W("123123"), W("654321"), W("666666"), W("121212"),
	W("qwerty"), W("qwertz"), W("azerty"), W("asdfgh"), W("zxcvbnm"),
	W("1q2w3e4r"), W("1qaz2wsx"), W("qazwsx"), W("abc123"), W("letmein"),
	W("admin"), W("administrator"), W("root"), W("toor"), W("welcome"),
	W("secret"), W("changeme"), W("iloveyou"), W("monkey"), W("dragon"),
	W("master"), W("shadow"), W("sunshine"), W("princess"), W("football"),
	W("baseball"), W("superman"), W("batman"), W("trustno1"), W("login"),
	W("guest"), W("default"), W("test"), W("hello"), W("freedom"),
	W("whatever"), W("starwars"), W("access"), W("mustang"), W("sipuser"),
	W("voip"), W("sip"), W("asterisk"), W("freepbx"), W("pbx"),
	W("phone"), W("cisco"), W("polycom"), W("yealink"), W("grandstream"),
	W("snom"), W("fritzbox"),
};
#undef W
/* clang-format on */

#define COMMON_PW_COUNT (sizeof(common_pw) / sizeof(common_pw[0]))
/* Longer than any entry: longer candidates cannot match. */
#define COMMON_BUF 32

static bool
in_common(struct str w)
{
	size_t i;

	for (i = 0; i < COMMON_PW_COUNT; i++)
		if (str_eq(w, common_pw[i]))
			return true;
	return false;
}

static char
unleet(char c)
{
	switch (c) {
	case '0':
		return 'o';
	case '1':
		return 'i';
	case '3':
		return 'e';
	case '4':
	case '@':
		return 'a';
	case '5':
	case '$':
		return 's';
	case '7':
		return 't';
	default:
		return c;
	}
}

/*
 * Is "pw" a common password? Compared case-insensitively as a whole
 * ("123456", "1q2w3e4r"), then with the non-letters at both ends removed
 * ("Password123!", "!!letmein" -> "password", "letmein"), then with the
 * usual letter-for-digit swaps undone in what remains ("P@ssw0rd2024",
 * "s3cr3t!" -> "password", "secret").
 */
static bool
is_common(struct str pw)
{
	char buf[COMMON_BUF];
	struct str core = pw;
	bool hit = false;
	size_t i;

	if (pw.len < sizeof(buf)) {
		for (i = 0; i < pw.len; i++)
			buf[i] = (char)lower(pw.s[i]);
		hit = in_common(str_make(buf, pw.len));
	}
	while (core.len > 0 && !is_alpha((unsigned char)core.s[0]))
		core = str_skip(core, 1);
	while (core.len > 0 && !is_alpha((unsigned char)core.s[core.len - 1]))
		core.len--;
	if (!hit && core.len > 0 && core.len < sizeof(buf)) {
		for (i = 0; i < core.len; i++)
			buf[i] = (char)lower(core.s[i]);
		hit = in_common(str_make(buf, core.len));
		if (!hit) {
			for (i = 0; i < core.len; i++)
				buf[i] = unleet(buf[i]);
			hit = in_common(str_make(buf, core.len));
		}
	}
	explicit_bzero(buf, sizeof(buf));
	return hit;
}

static bool
all_digits(struct str pw)
{
	size_t i;

	for (i = 0; i < pw.len; i++)
		if (!is_digit((unsigned char)pw.s[i]))
			return false;
	return true;
}

static bool
has_repeat_run(struct str pw)
{
	size_t i, run = 1;

	for (i = 1; i < pw.len; i++) {
		run = lower(pw.s[i]) == lower(pw.s[i - 1]) ? run + 1 : 1;
		if (run >= RUN_LEN)
			return true;
	}
	return false;
}

/* +1 or -1 when b follows or precedes a in the alphabet or digits. */
static int
seq_step(char a, char b)
{
	unsigned char x = lower(a), y = lower(b);

	if (!(is_alpha(x) && is_alpha(y)) && !(is_digit(x) && is_digit(y)))
		return 0;
	if (y == x + 1)
		return 1;
	if (x == y + 1)
		return -1;
	return 0;
}

static bool
has_sequence_run(struct str pw)
{
	size_t i, run = 1;
	int dir = 0, s;

	for (i = 1; i < pw.len; i++) {
		s = seq_step(pw.s[i - 1], pw.s[i]);
		if (s != 0 && s == dir) {
			run++;
		} else {
			run = s != 0 ? 2 : 1;
			dir = s;
		}
		if (run >= RUN_LEN)
			return true;
	}
	return false;
}

/* Keyboard rows, US QWERTY, German QWERTZ, French AZERTY. */
static const char *const kbd_rows[] = {
	"1234567890",
	"!@#$%^&*()",
	"qwertyuiop",
	"asdfghjkl",
	"zxcvbnm",
	"qwertzuiop",
	"yxcvbnm",
	"azertyuiop",
	"qsdfghjklm",
	"wxcvbn",
};

#define KBD_ROWS (sizeof(kbd_rows) / sizeof(kbd_rows[0]))

/* Is the RUN_LEN window at "w" a piece of a row, forwards or backwards? */
static bool
is_walk(const char *w)
{
	size_t r, j, k, rl;
	const char *row;
	bool fwd, rev;

	for (r = 0; r < KBD_ROWS; r++) {
		row = kbd_rows[r];
		rl = strlen(row);
		for (j = 0; j + RUN_LEN <= rl; j++) {
			fwd = rev = true;
			for (k = 0; k < RUN_LEN; k++) {
				fwd = fwd &&
				    lower(w[k]) == (unsigned char)row[j + k];
				rev = rev &&
				    lower(w[k]) ==
					(unsigned char)row[j + RUN_LEN - 1 - k];
			}
			if (fwd || rev)
				return true;
		}
	}
	return false;
}

static bool
has_keyboard_walk(struct str pw)
{
	size_t i;

	for (i = 0; i + RUN_LEN <= pw.len; i++)
		if (is_walk(pw.s + i))
			return true;
	return false;
}

/*
 * Our own rules, most precise first. "username" may be NULL or empty;
 * an address "alice@example.com" is also checked as "alice". Returns the
 * reason, or NULL when none applies.
 */
static const char *
own_rules(const char *username, struct str pw)
{
	struct str user, local, domain;
	const char *why;

	if (pw.len == 0)
		return "empty";
	if (username) {
		user = str_make(username, strlen(username));
		why = user_rule(user, pw);
		if (!why && str_split(user, '@', &local, &domain))
			why = user_rule(local, pw);
		if (why)
			return why;
	}
	if (is_common(pw))
		return "a common password";
	if (all_digits(pw))
		return "only digits";
	if (pw.len < CRED_MIN_LEN)
		return "shorter than " NSTR(CRED_MIN_LEN) " characters";
	if (has_repeat_run(pw))
		return "a repeated character run";
	if (has_sequence_run(pw))
		return "a character sequence";
	if (has_keyboard_walk(pw))
		return "a keyboard walk";
	return NULL;
}

/* ---- password policy: libpwquality ---- */

/*
 * cracklib keeps a static block cache in its dictionary lookup (GetPW),
 * so pwquality_check() is serialized. Policy checks are rare (an admin
 * sets a password), the lock never sits on a SIP path.
 */
static pthread_mutex_t pwq_lock = PTHREAD_MUTEX_INITIALIZER;

/* Copy "s" into "why" as one line: control characters become spaces. */
static void
why_set(char *why, size_t whylen, const char *s)
{
	size_t i;

	if (!why || whylen == 0)
		return;
	snprintf(why, whylen, "%s", s);
	for (i = 0; why[i]; i++)
		if ((unsigned char)why[i] < 0x20 || why[i] == 0x7f)
			why[i] = ' ';
}

/*
 * Run libpwquality with its built-in defaults -- not the system's
 * /etc/security/pwquality.conf, which is the login policy of the host,
 * not ours -- with the minimum length raised to CRED_MIN_LEN and the
 * GECOS check off (it would look SIP users up in the host's passwd).
 * Returns NULL when accepted, else the reason (in "buf" or static).
 */
static const char *
pwq_rules(const char *username, const char *secret, char *buf, size_t len)
{
	pwquality_settings_t *pwq;
	void *aux = NULL;
	const char *why = NULL;
	int rv;

	pwq = pwquality_default_settings();
	if (!pwq)
		return "policy check failed (out of memory)";
	if (pwquality_set_int_value(
		pwq, PWQ_SETTING_MIN_LENGTH, CRED_MIN_LEN) ||
	    pwquality_set_int_value(pwq, PWQ_SETTING_GECOS_CHECK, 0)) {
		why = "policy check failed (settings)";
		goto out;
	}
	pthread_mutex_lock(&pwq_lock);
	rv = pwquality_check(pwq, secret, NULL, username, &aux);
	pthread_mutex_unlock(&pwq_lock);
	if (rv >= 0)
		goto out;
	switch (rv) {
	case PWQ_ERROR_EMPTY_PASSWORD:
		why = "empty";
		break;
	case PWQ_ERROR_MIN_LENGTH:
		why = "shorter than " NSTR(CRED_MIN_LEN) " characters";
		break;
	case PWQ_ERROR_USER_CHECK:
		why = "contains the username";
		break;
	case PWQ_ERROR_PALINDROME:
		why = "a palindrome";
		break;
	case PWQ_ERROR_MEM_ALLOC:
		why = "policy check failed (out of memory)";
		break;
	case PWQ_ERROR_CRACKLIB_CHECK:
		/* aux is cracklib's static message, never the secret. */
		snprintf(buf, len, "fails the dictionary check%s%s",
		    aux ? ": " : "", aux ? (const char *)aux : "");
		why = buf;
		break;
	default:
		/* Frees aux for the codes that allocate it. */
		why = pwquality_strerror(buf, len, rv, aux);
		break;
	}
out:
	pwquality_free_settings(pwq);
	return why;
}

/*
 * Order: our rules (precise messages), then libpwquality and cracklib.
 * Returns 0 when acceptable; otherwise -1 and a one-line reason without
 * the secret in "why" (may be NULL / 0 to skip it):
 *   "empty", "is the username", "is the username reversed",
 *   "contains the username", "contains the username reversed",
 *   "a common password", "only digits", "shorter than 10 characters",
 *   "a repeated character run", "a character sequence",
 *   "a keyboard walk", "a palindrome",
 *   "fails the dictionary check: <cracklib's reason>",
 *   or libpwquality's own message for anything else.
 */
int
cred_policy_check(
    const char *username, const char *secret, char *why, size_t whylen)
{
	char buf[PWQ_MAX_ERROR_MESSAGE_LEN];
	const char *reason;

	if (!secret)
		reason = "empty";
	else
		reason = own_rules(username, str_make(secret, strlen(secret)));
	if (!reason)
		reason = pwq_rules(username, secret, buf, sizeof(buf));
	if (!reason)
		return 0;
	why_set(why, whylen, reason);
	return -1;
}

/* ---- generated secrets and passwords ---- */

static const char secret_abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "abcdefghijklmnopqrstuvwxyz"
				 "0123456789";

/* Draws before giving up (a redraw is needed for well under 1%). */
#define GEN_TRIES 100

/*
 * CRED_SECRET_LEN (24) uniform picks from 62 symbols: 24 * log2(62) =
 * 142.9 bits. A draw that the policy refuses without a username is drawn
 * again: our run rules ("abcd", "aaaa", "qwer" somewhere, ~0.3% of
 * draws) and cracklib's "too simplistic/systematic" (six or more
 * neighbouring characters one apart, ~0.15%). So a generated secret
 * always passes the username-independent policy; throwing away ~0.45%
 * of the space costs under 0.01 bit. The
 * username rules are the caller's: a secret can contain a short
 * username by chance (a 3-character one about once in 10^4 draws).
 */
int
cred_gen_secret(char *out, size_t cap)
{
	struct rpool rp;
	unsigned v;
	size_t i;
	int tries, rc = -1;

	if (!out || cap < CRED_SECRET_LEN + 1)
		return -1;
	rpool_init(&rp);
	for (tries = 0; rc != 0 && tries < GEN_TRIES; tries++) {
		for (i = 0; i < CRED_SECRET_LEN; i++) {
			if (rpool_pick(&rp, sizeof(secret_abc) - 1, &v))
				goto out;
			out[i] = secret_abc[v];
		}
		out[CRED_SECRET_LEN] = '\0';
		if (cred_policy_check(NULL, out, NULL, 0) == 0)
			rc = 0;
	}
out:
	rpool_wipe(&rp);
	if (rc)
		explicit_bzero(out, cap);
	return rc;
}

/*
 * Syllables are consonant + vowel. c, q, w, x and y are left out: they
 * are read differently across languages, and without w and y the QWERTY
 * walks ("qwer", "tyui") cannot appear in consonant-vowel text.
 */
static const char pw_cons[] = "bdfghjklmnprstvz"; /* 16 */
static const char pw_vowel[] = "aeiou"; /* 5 */

#define PW_GROUPS 3
#define PW_SYLL 3 /* syllables per group */
#define PW_DIGITS 3
#define PW_LEN (PW_GROUPS * (PW_SYLL * 2 + 1) + PW_DIGITS)

/*
 * "tobaki-ravemu-nelosu-472": three groups of three syllables and a
 * three-digit group, 24 characters. Entropy: 9 syllables of 16 * 5 = 80
 * choices, 9 * log2(80) = 56.9 bits, plus log2(1000) = 10.0 bits for the
 * digits: 66.9 bits. The policy refuses ~1.4% of draws, nearly all by
 * cracklib's "too simplistic/systematic" (many neighbours one letter
 * apart: "de", "no", "tu"), a few as the AZERTY walk "azer", or for the
 * username; those are drawn again, which costs 0.02 bit.
 */
int
cred_gen_password(const char *username, char *out, size_t cap)
{
	struct rpool rp;
	unsigned v;
	size_t g, k, n;
	int tries, rc = -1;

	if (!out || cap < PW_LEN + 1)
		return -1;
	rpool_init(&rp);
	for (tries = 0; rc != 0 && tries < GEN_TRIES; tries++) {
		n = 0;
		for (g = 0; g < PW_GROUPS; g++) {
			for (k = 0; k < PW_SYLL; k++) {
				if (rpool_pick(&rp, sizeof(pw_cons) - 1, &v))
					goto out;
				out[n++] = pw_cons[v];
				if (rpool_pick(&rp, sizeof(pw_vowel) - 1, &v))
					goto out;
				out[n++] = pw_vowel[v];
			}
			out[n++] = '-';
		}
		for (k = 0; k < PW_DIGITS; k++) {
			if (rpool_pick(&rp, 10, &v))
				goto out;
			out[n++] = (char)('0' + v);
		}
		out[n] = '\0';
		if (cred_policy_check(username, out, NULL, 0) == 0)
			rc = 0;
	}
out:
	rpool_wipe(&rp);
	if (rc)
		explicit_bzero(out, cap);
	return rc;
}

/* ---- Argon2id ---- */

/*
 * OWASP Password Storage Cheat Sheet, first Argon2id option: m = 19 MiB,
 * t = 2, p = 1 (~30-50 ms on a current core). 16-byte salt, 32-byte tag.
 */
#define A2_T 2
#define A2_M_KIB (19 * 1024)
#define A2_P 1
#define A2_SALT_LEN 16
#define A2_HASH_LEN 32

/*
 * Limits for hashes read back: a corrupted or planted row must not make
 * verification allocate gigabytes or spin for minutes.
 */
#define A2_M_MAX (256 * 1024)
#define A2_T_MAX 16
#define A2_P_MAX 8

int
cred_password_hash(const char *password, char *out, size_t cap)
{
	unsigned char salt[A2_SALT_LEN];
	int rv;

	if (!password || !out || cap == 0)
		return -1;
	if (rand_fill(salt, sizeof(salt)))
		return -1;
	rv = argon2id_hash_encoded(A2_T, A2_M_KIB, A2_P, password,
	    strlen(password), salt, sizeof(salt), A2_HASH_LEN, out, cap);
	explicit_bzero(salt, sizeof(salt));
	if (rv != ARGON2_OK) {
		explicit_bzero(out, cap);
		return -1;
	}
	return 0;
}

/* Read "<name>=<u32>" at the front of *s, up to "end". */
static bool
take_param(
    struct str *s, struct str name, char end, uint32_t max, uint32_t *out)
{
	struct str num, rest;

	if (!str_has_prefix(*s, name))
		return false;
	if (!str_split(str_skip(*s, name.len), end, &num, &rest))
		return false;
	if (str_to_u32_max(num, max, out))
		return false;
	*s = rest;
	return true;
}

/*
 * Accept only what cred_password_hash() could have written, with costs
 * within the A2_*_MAX limits; the rest of the syntax is left to
 * libargon2's decoder.
 */
static bool
encoded_ok(const char *encoded)
{
	size_t len = strnlen(encoded, CRED_ARGON2_ENCODED_MAX + 1);
	struct str s = str_make(encoded, len);
	uint32_t m, t, p;

	if (len > CRED_ARGON2_ENCODED_MAX)
		return false;
	if (!str_has_prefix(s, STR("$argon2id$v=19$")))
		return false;
	s = str_skip(s, sizeof("$argon2id$v=19$") - 1);
	return take_param(&s, STR("m="), ',', A2_M_MAX, &m) &&
	    take_param(&s, STR("t="), ',', A2_T_MAX, &t) &&
	    take_param(&s, STR("p="), '$', A2_P_MAX, &p) && m >= 8 * p &&
	    t >= 1 && p >= 1;
}

/*
 * 0 when "password" matches "encoded", -1 otherwise: a wrong password,
 * a malformed encoding, another Argon2 variant or version, or costs
 * above A2_M_MAX / A2_T_MAX / A2_P_MAX. libargon2 compares the tags in
 * constant time.
 */
int
cred_password_verify(const char *encoded, const char *password)
{
	if (!encoded || !password || !encoded_ok(encoded))
		return -1;
	if (argon2id_verify(encoded, password, strlen(password)) != ARGON2_OK)
		return -1;
	return 0;
}

/* ---- HA1 ---- */

static int
md_update(EVP_MD_CTX *ctx, struct str s)
{
	if (s.len == 0)
		return 0;
	if (!s.s)
		return -1;
	return EVP_DigestUpdate(ctx, s.s, s.len) == 1 ? 0 : -1;
}

/*
 * HA1 of RFC 7616 section 3.4.2 for a non -sess algorithm. The three
 * parts are hashed in place, never joined into a buffer that would hold
 * the secret. On error "hex" is an empty string.
 */
int
cred_ha1(enum digest_alg alg, struct str user, struct str realm,
    struct str secret, char *hex)
{
	static const char xd[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0, i;
	EVP_MD_CTX *ctx = NULL;
	EVP_MD *md = NULL;
	int rc = -1;

	if (!hex)
		return -1;
	hex[0] = '\0';
	if ((unsigned)alg >= DIGEST_ALG_COUNT)
		return -1;
	md = EVP_MD_fetch(NULL, alg_tab[alg].fetch, NULL);
	ctx = EVP_MD_CTX_new();
	if (!md || !ctx)
		goto out;
	if (EVP_DigestInit_ex2(ctx, md, NULL) != 1 || md_update(ctx, user) ||
	    md_update(ctx, STR(":")) || md_update(ctx, realm) ||
	    md_update(ctx, STR(":")) || md_update(ctx, secret) ||
	    EVP_DigestFinal_ex(ctx, d, &dlen) != 1)
		goto out;
	if ((size_t)dlen * 2 != alg_tab[alg].hex_len)
		goto out;
	for (i = 0; i < dlen; i++) {
		hex[2 * i] = xd[d[i] >> 4];
		hex[2 * i + 1] = xd[d[i] & 0x0f];
	}
	hex[2 * dlen] = '\0';
	rc = 0;
out:
	explicit_bzero(d, sizeof(d));
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return rc;
}

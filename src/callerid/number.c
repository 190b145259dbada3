/*
 * callerid/number.c -- the numbering plan (a small digit trie built from
 * etc/numplan.conf), number normalisation and the calling number of a
 * request.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "callerid/number.h"
#include "core/cfg.h"
#include "core/date.h"

#define PLAN_PREFIX_MAX 8 /* digits of an expanded prefix */
#define PLAN_NODES_MAX 4096
#define PLAN_LINE_MAX 256

struct pentry {
	enum num_type type;
	uint8_t min, max; /* NSN length */
	int64_t from, until; /* in force from <= now < until */
	int32_t next; /* next entry of the same node, -1 */
};

struct pnode {
	int32_t child[10]; /* 0: none (node 0 is the root) */
	int32_t entry; /* first entry, -1 */
};

struct numplan {
	char country[8];
	char version[64];
	struct pnode *nodes;
	unsigned nnodes;
	struct pentry *entries;
	unsigned nentries, centries;
};

static const char *const type_names[] = {
#define NUM_TYPE_NAME(e, n) n,
	NUM_TYPE_LIST(NUM_TYPE_NAME)
#undef NUM_TYPE_NAME
};

const char *
num_type_name(enum num_type t)
{
	return (unsigned)t < NUM__COUNT ? type_names[t] : "?";
}

enum num_type
num_type_from_name(const char *name)
{
	unsigned i;

	for (i = 0; i < NUM__COUNT; i++)
		if (strcmp(type_names[i], name) == 0)
			return (enum num_type)i;
	return NUM__COUNT;
}

/* Loading. */

struct pld {
	const char *file;
	unsigned line;
	FILE *errf;
	unsigned nerr;
	struct numplan *p;
};

static void
perr(struct pld *ld, const char *what, const char *tok)
{
	ld->nerr++;
	if (ld->errf)
		fprintf(ld->errf, "%s:%u: %s%s%s%s\n", ld->file, ld->line, what,
		    tok ? " \"" : "", tok ? tok : "", tok ? "\"" : "");
}

static int
node_child(struct numplan *p, int32_t n, unsigned d, int32_t *out)
{
	if (p->nodes[n].child[d] == 0) {
		struct pnode *c;

		if (p->nnodes >= PLAN_NODES_MAX)
			return ENOSPC;
		c = &p->nodes[p->nnodes];
		memset(c->child, 0, sizeof(c->child));
		c->entry = -1;
		p->nodes[n].child[d] = (int32_t)p->nnodes++;
	}
	*out = p->nodes[n].child[d];
	return 0;
}

static int
add_entry(struct numplan *p, const char *digits, const struct pentry *e)
{
	int32_t n = 0;
	int err;

	for (; *digits; digits++)
		if ((err = node_child(p, n, (unsigned)(*digits - '0'), &n)))
			return err;
	if (p->nentries == p->centries) {
		unsigned c = p->centries ? p->centries * 2 : 64;
		struct pentry *ne = realloc(p->entries, c * sizeof(*ne));

		if (!ne)
			return ENOMEM;
		p->entries = ne;
		p->centries = c;
	}
	p->entries[p->nentries] = *e;
	p->entries[p->nentries].next = p->nodes[n].entry;
	p->nodes[n].entry = (int32_t)p->nentries++;
	return 0;
}

/*
 * Expand "8[1356]9[0-8]" into every digit string and add each. "out"
 * holds the digits so far.
 */
static int
expand(struct pld *ld, const char *pat, char *out, size_t olen,
    const struct pentry *e)
{
	bool set[10];
	const char *q;
	unsigned d;
	int err;

	if (*pat == '\0') {
		out[olen] = '\0';
		if (olen == 0)
			return EINVAL;
		return add_entry(ld->p, out, e);
	}
	if (olen >= PLAN_PREFIX_MAX)
		return EINVAL;
	memset(set, 0, sizeof(set));
	if (isdigit((unsigned char)*pat)) {
		set[*pat - '0'] = true;
		q = pat + 1;
	} else if (*pat == '[') {
		bool any = false;

		for (q = pat + 1; *q && *q != ']'; q++) {
			if (!isdigit((unsigned char)*q))
				return EINVAL;
			if (q[1] == '-' && isdigit((unsigned char)q[2])) {
				if (q[2] < q[0])
					return EINVAL;
				for (d = (unsigned)(q[0] - '0');
				     d <= (unsigned)(q[2] - '0'); d++)
					set[d] = true;
				q += 2;
			} else
				set[*q - '0'] = true;
			any = true;
		}
		if (*q != ']' || !any)
			return EINVAL;
		q++;
	} else
		return EINVAL;
	for (d = 0; d < 10; d++) {
		if (!set[d])
			continue;
		out[olen] = (char)('0' + d);
		if ((err = expand(ld, q, out, olen + 1, e)))
			return err;
	}
	return 0;
}

static void
parse_line(struct pld *ld, char *line)
{
	char *tok[8], *save = NULL, *t;
	unsigned n = 0, i;
	struct pentry e;
	char buf[PLAN_PREFIX_MAX + 1];
	int err;

	if ((t = strchr(line, '#')) != NULL)
		*t = '\0';
	for (t = strtok_r(line, " \t\r\n", &save); t && n < 8;
	     t = strtok_r(NULL, " \t\r\n", &save))
		tok[n++] = t;
	if (n == 0)
		return;
	if (t != NULL) {
		perr(ld, "too many fields", NULL);
		return;
	}
	if (strcmp(tok[0], "version") == 0 || strcmp(tok[0], "country") == 0) {
		bool ver = tok[0][0] == 'v';
		size_t cap =
		    ver ? sizeof(ld->p->version) : sizeof(ld->p->country);

		if (n != 2 || strlen(tok[1]) >= cap ||
		    (!ver && strspn(tok[1], "0123456789") != strlen(tok[1]))) {
			perr(ld, ver ? "bad version line" : "bad country code",
			    n > 1 ? tok[1] : NULL);
			return;
		}
		memcpy(ver ? ld->p->version : ld->p->country, tok[1],
		    strlen(tok[1]) + 1);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.until = INT64_MAX;
	if ((e.type = num_type_from_name(tok[0])) == NUM__COUNT ||
	    e.type == NUM_NONE || e.type == NUM_FOREIGN) {
		perr(ld, "unknown number type", tok[0]);
		return;
	}
	if (n < 3 || n % 2 == 0) {
		perr(ld,
		    "expected: TYPE PREFIX DIGITS [from DATE] [until DATE]",
		    NULL);
		return;
	}
	{
		char *end;
		unsigned long lo, hi;

		lo = strtoul(tok[2], &end, 10);
		hi = lo;
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		if (*end != '\0' || !isdigit((unsigned char)tok[2][0]) ||
		    lo < 1 || hi < lo || hi > 15) {
			perr(ld, "bad digit count", tok[2]);
			return;
		}
		e.min = (uint8_t)lo;
		e.max = (uint8_t)hi;
	}
	for (i = 3; i + 1 < n; i += 2) {
		int64_t d;

		if (date_parse(tok[i + 1], &d, NULL, 0)) {
			perr(ld, "bad date (YYYY-MM-DD)", tok[i + 1]);
			return;
		}
		if (strcmp(tok[i], "from") == 0)
			e.from = d;
		else if (strcmp(tok[i], "until") == 0)
			e.until = d;
		else {
			perr(ld, "expected \"from\" or \"until\"", tok[i]);
			return;
		}
	}
	if (e.until <= e.from) {
		perr(ld, "\"until\" is not after \"from\"", NULL);
		return;
	}
	err = expand(ld, tok[1], buf, 0, &e);
	if (err == ENOSPC || err == ENOMEM)
		perr(ld, "plan too large", NULL);
	else if (err)
		perr(ld, "bad prefix (digits and [0-9] classes)", tok[1]);
}

static int
plan_parse(struct numplan *p, const char *name, const char *text, size_t len,
    FILE *errf)
{
	struct pld ld = { name, 0, errf, 0, p };
	char line[PLAN_LINE_MAX];
	size_t i = 0;

	while (i < len) {
		size_t j = i, l;

		while (j < len && text[j] != '\n')
			j++;
		l = j - i;
		ld.line++;
		if (l >= sizeof(line)) {
			perr(&ld, "line too long", NULL);
		} else if (memchr(text + i, '\0', l)) {
			perr(&ld, "NUL byte in line", NULL);
		} else {
			memcpy(line, text + i, l);
			line[l] = '\0';
			parse_line(&ld, line);
		}
		i = j + 1;
	}
	if (ld.nerr == 0 && p->country[0] == '\0') {
		ld.line = 0;
		perr(&ld, "no \"country\" line", NULL);
	}
	if (ld.nerr == 0 && p->nentries == 0) {
		ld.line = 0;
		perr(&ld, "no numbering ranges", NULL);
	}
	return ld.nerr ? EINVAL : 0;
}

int
numplan_load(struct numplan **pp, const char *path, FILE *errf)
{
	struct numplan *p;
	char *text = NULL;
	size_t len;
	int err;

	*pp = NULL;
	if (!(p = calloc(1, sizeof(*p))) ||
	    !(p->nodes = calloc(PLAN_NODES_MAX, sizeof(*p->nodes)))) {
		free(p);
		return ENOMEM;
	}
	p->nnodes = 1;
	p->nodes[0].entry = -1;
	if (path == NULL) {
		err = plan_parse(p, "numplan.conf (embedded)",
		    (const char *)default_numplan, default_numplan_len, errf);
	} else {
		FILE *f = fopen(path, "r");

		if (f == NULL) {
			err = errno;
			if (errf)
				fprintf(errf, "%s: %s\n", path, strerror(err));
			numplan_free(p);
			return err;
		}
		len = 0;
		text = malloc(1 << 20);
		if (text)
			len = fread(text, 1, 1 << 20, f);
		if (text && !ferror(f) && len < (1 << 20))
			err = plan_parse(p, path, text, len, errf);
		else {
			err = text ? EFBIG : ENOMEM;
			if (errf)
				fprintf(errf, "%s: %s\n", path,
				    text ? "unreadable or larger than 1 MB" :
					   strerror(err));
		}
		free(text);
		fclose(f);
	}
	if (err) {
		numplan_free(p);
		return err;
	}
	*pp = p;
	return 0;
}

void
numplan_free(struct numplan *p)
{
	if (p == NULL)
		return;
	free(p->nodes);
	free(p->entries);
	free(p);
}

const char *
numplan_country(const struct numplan *p)
{
	return p->country;
}

const char *
numplan_version(const struct numplan *p)
{
	return p->version;
}

/*
 * Classify a national number: the deepest prefix with an entry in
 * force at "now".
 */
static void
classify(const struct numplan *p, const char *nsn, int64_t now,
    enum num_type *type, enum num_fit *fit)
{
	const struct pentry *best = NULL, *here;
	size_t len = strlen(nsn), i;
	int32_t n = 0, e;

	for (i = 0; i < len; i++) {
		n = p->nodes[n].child[nsn[i] - '0'];
		if (n == 0)
			break;
		/* The longest prefix wins; of several entries at one node,
		 * the one whose length fits. */
		here = NULL;
		for (e = p->nodes[n].entry; e >= 0; e = p->entries[e].next) {
			const struct pentry *c = &p->entries[e];

			if (c->from > now || now >= c->until)
				continue;
			if (here == NULL || (c->min <= len && len <= c->max))
				here = c;
		}
		if (here)
			best = here;
	}
	if (best == NULL) {
		*type = NUM_NONE;
		*fit = NUM_FIT_NONE;
		return;
	}
	*type = best->type;
	*fit =
	    len >= best->min && len <= best->max ? NUM_FIT_OK : NUM_FIT_LENGTH;
}

/* Would "digits" (no country code) be a national number of right length? */
static bool
fits(const struct numplan *p, const char *digits, int64_t now)
{
	enum num_type t;
	enum num_fit f;

	classify(p, digits, now, &t, &f);
	return f == NUM_FIT_OK;
}

int
number_parse(const struct numplan *p, struct str s, bool bare_cc, int64_t now,
    struct number *n)
{
	char d[NUM_DIGITS_MAX + 4];
	size_t nd = 0, i, cc = strlen(p->country);
	bool plus = false;
	const char *digits;

	memset(n, 0, sizeof(*n));
	for (i = 0; i < s.len; i++) {
		char c = s.s[i];

		if (c >= '0' && c <= '9') {
			if (nd >= NUM_DIGITS_MAX + 2)
				return EINVAL;
			d[nd++] = c;
		} else if (c == '+' && i == 0)
			plus = true;
		else if (c == '-' || c == '.' || c == '(' || c == ')' ||
		    c == ' ')
			continue;
		else
			return EINVAL;
	}
	d[nd] = '\0';
	if (nd == 0)
		return EINVAL;
	digits = d;
	if (!plus && nd > 2 && d[0] == '0' && d[1] == '0') {
		plus = true;
		digits = d + 2;
	}
	if (!plus && bare_cc && nd > cc && memcmp(d, p->country, cc) == 0 &&
	    fits(p, d + cc, now))
		plus = true;
	if (plus) {
		if (strlen(digits) >= NUM_DIGITS_MAX || strlen(digits) == 0)
			return EINVAL;
		memcpy(n->e164, digits, strlen(digits) + 1);
	} else {
		if (cc + nd >= NUM_DIGITS_MAX)
			return EINVAL;
		memcpy(n->e164, p->country, cc);
		memcpy(n->e164 + cc, d, nd + 1);
	}
	if (strncmp(n->e164, p->country, cc) != 0) {
		n->national = false;
		n->type = NUM_FOREIGN;
		n->fit = NUM_FIT_FOREIGN;
		return 0;
	}
	n->national = true;
	memcpy(n->nsn, n->e164 + cc, strlen(n->e164 + cc) + 1);
	if (n->nsn[0] == '\0') {
		n->type = NUM_NONE;
		n->fit = NUM_FIT_NONE;
		return 0;
	}
	classify(p, n->nsn, now, &n->type, &n->fit);
	return 0;
}

/* A user part that is a telephone number: "+", digits, separators. */
static bool
phone_like(struct str u)
{
	size_t i, digits = 0;

	for (i = 0; i < u.len; i++) {
		char c = u.s[i];

		if (c >= '0' && c <= '9')
			digits++;
		else if (!(c == '+' && i == 0) && c != '-' && c != '.' &&
		    c != '(' && c != ')')
			return false;
	}
	return digits > 0;
}

static bool
privacy_id(const struct sip_msg *msg)
{
	const struct sip_hdr *h = sip_msg_hdr_by_name(msg, STR("Privacy"));

	for (; h; h = sip_msg_hdr_next(msg, h)) {
		struct str rest = h->value, tok;

		while (rest.len) {
			str_split(rest, ';', &tok, &rest);
			tok = str_trim(tok);
			if (str_eq_nocase(tok, STR("id")) ||
			    str_eq_nocase(tok, STR("header")) ||
			    str_eq_nocase(tok, STR("user")))
				return true;
		}
	}
	return false;
}

void
cli_from_msg(const struct numplan *p, const struct sip_msg *msg, bool bare_cc,
    int64_t now, struct cli *c)
{
	const struct sip_hdr *h;
	struct str tel = STR_NULL, sip = STR_NULL;

	memset(c, 0, sizeof(*c));
	c->privacy = privacy_id(msg);
	for (h = sip_msg_hdr(msg, SIP_HDR_P_ASSERTED_IDENTITY); h && !tel.len;
	     h = sip_msg_hdr_next(msg, h)) {
		struct str rest = h->value, v;
		struct sip_addr a;

		while (sip_hdr_next_value(&rest, &v)) {
			if (sip_addr_parse(v, &a))
				continue;
			if (a.uri.scheme == SIP_SCHEME_TEL && !tel.len)
				tel = a.uri.user;
			else if ((a.uri.scheme == SIP_SCHEME_SIP ||
				     a.uri.scheme == SIP_SCHEME_SIPS) &&
			    !sip.len &&
			    (str_eq_nocase(a.uri.user_param, STR("phone")) ||
				phone_like(a.uri.user)))
				sip = a.uri.user;
		}
	}
	if (tel.len) {
		c->source = CLI_PAI_TEL;
		c->raw = tel;
	} else if (sip.len) {
		c->source = CLI_PAI_SIP;
		c->raw = sip;
	} else if (msg->from.uri.user.len) {
		c->source = CLI_FROM;
		c->raw = msg->from.uri.user;
	} else
		return;
	c->valid = number_parse(p, c->raw, bare_cc, now, &c->num) == 0;
}

bool
called_from_msg(const struct numplan *p, const struct sip_msg *msg,
    bool bare_cc, int64_t now, struct number *n)
{
	if (!msg->ruri.user.len)
		return false;
	return number_parse(p, msg->ruri.user, bare_cc, now, n) == 0;
}

void
number_robinson_hash(const struct number *n, const char *channel, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	char in[4 + NUM_DIGITS_MAX + 4];
	unsigned mdlen = 0, i;
	int len;

	len = snprintf(in, sizeof(in), "%.2s00%s", channel, n->e164);
	if (len < 0 || (size_t)len >= sizeof(in) ||
	    !EVP_Digest(in, (size_t)len, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != 32) {
		out[0] = '\0';
		return;
	}
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

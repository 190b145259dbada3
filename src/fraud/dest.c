/*
 * fraud/dest.c -- destination classes: the prefix table of
 * etc/destinations.conf in a digit trie, and the longest-prefix lookup.
 *
 * The trie is one array of 10-ary nodes. Node 0 is a sink: its children
 * are all 0 and it has no class, so a walk that falls off the trie stays
 * there and the lookup needs no branch for it; node 1 is the root. A
 * node's class is stored plus one (0: no prefix ends here).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fraud/dest.h"

/* Generated from etc/destinations.conf by scripts/embed.sh. */
extern const unsigned char default_destinations[];
extern const size_t default_destinations_len;

#define DEST_DIGITS_MAX 15 /* E.164 */
#define DEST_LINE_MAX 256
#define DEST_VERSION_MAX 32
#define DEST_NODES_MAX (1u << 22)
#define DEST_FILE_MAX (16u << 20)
#define DEST_COST_INT_MAX 999999999ull /* integer part of a cost */
#define DEST_ROOT 1

struct dnode {
	uint32_t child[10]; /* 0: none (the sink) */
	uint8_t cls; /* class id + 1; 0: no prefix ends here */
};

struct dest_table {
	char version[DEST_VERSION_MAX];
	struct dest_class classes[DEST_CLASSES_MAX];
	unsigned nclasses;
	struct dnode *nodes;
	uint32_t nnodes, cnodes;
};

/* Loading. */

struct dld {
	const char *file;
	unsigned line;
	FILE *errf;
	unsigned nerr;
	unsigned nprefixes;
	bool full; /* "table too large" or "out of memory" reported */
	bool oom;
	struct dest_table *t;
};

static void derr(struct dld *ld, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
derr(struct dld *ld, const char *fmt, ...)
{
	va_list ap;

	ld->nerr++;
	if (ld->errf == NULL)
		return;
	fprintf(ld->errf, "%s:%u: ", ld->file, ld->line);
	va_start(ap, fmt);
	vfprintf(ld->errf, fmt, ap);
	va_end(ap);
	fputc('\n', ld->errf);
}

static bool
is_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool
is_class_name(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n < DEST_NAME_MAX &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static bool
is_version(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n < DEST_VERSION_MAX &&
	    strspn(s,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789._:+-") == n;
}

/*
 * "12", "0.5", "1.2345": a decimal with at most 4 decimals, in 1/10000.
 * No sign, no exponent, a digit on each side of the point.
 */
static int
parse_cost(const char *s, uint64_t *out)
{
	uint64_t ip = 0, fp = 0;
	unsigned nf = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		ip = ip * 10 + (uint64_t)(*p - '0');
		if (ip > DEST_COST_INT_MAX)
			return ERANGE;
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return EINVAL;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (++nf > 4)
				return EINVAL;
			fp = fp * 10 + (uint64_t)(*p - '0');
		}
		for (; nf < 4; nf++)
			fp *= 10;
	}
	if (*p != '\0')
		return EINVAL;
	*out = ip * 10000 + fp;
	return 0;
}

static int
parse_risk(const char *s, enum dest_risk *out)
{
	if (strcmp(s, "low") == 0)
		*out = DEST_RISK_LOW;
	else if (strcmp(s, "normal") == 0)
		*out = DEST_RISK_NORMAL;
	else if (strcmp(s, "high") == 0)
		*out = DEST_RISK_HIGH;
	else
		return EINVAL;
	return 0;
}

/*
 * class NAME [cost COST] [risk RISK]. A valid, new name is declared even
 * when an option is bad, so that the prefix lines using it do not each
 * report an unknown class: the load fails anyway.
 */
static void
parse_class(struct dld *ld, char **tok, unsigned n)
{
	struct dest_table *t = ld->t;
	struct dest_class c;
	bool has_cost = false, has_risk = false;
	unsigned i;

	if (n < 2 || n % 2 != 0) {
		derr(ld, "expected: class NAME [cost COST] [risk RISK]");
		return;
	}
	if (!is_class_name(tok[1])) {
		derr(ld,
		    "bad class name \"%s\" ([a-z0-9_-], 1 to 31 "
		    "characters)",
		    tok[1]);
		return;
	}
	if (dest_class_find(t, tok[1]) >= 0) {
		derr(ld, "duplicate class \"%s\"", tok[1]);
		return;
	}
	memset(&c, 0, sizeof(c));
	memcpy(c.name, tok[1], strlen(tok[1]) + 1);
	c.risk = DEST_RISK_NORMAL;
	for (i = 2; i + 1 < n; i += 2) {
		if (strcmp(tok[i], "cost") == 0 && !has_cost) {
			has_cost = true;
			if (parse_cost(tok[i + 1], &c.cost_e4))
				derr(ld,
				    "bad cost \"%s\" (a decimal number, at "
				    "most 4 decimals)",
				    tok[i + 1]);
		} else if (strcmp(tok[i], "risk") == 0 && !has_risk) {
			has_risk = true;
			if (parse_risk(tok[i + 1], &c.risk))
				derr(ld,
				    "bad risk \"%s\" (low, normal or high)",
				    tok[i + 1]);
		} else if (strcmp(tok[i], "cost") == 0 ||
		    strcmp(tok[i], "risk") == 0)
			derr(ld, "duplicate option \"%s\"", tok[i]);
		else
			derr(ld, "expected \"cost\" or \"risk\", not \"%s\"",
			    tok[i]);
	}
	if (t->nclasses >= DEST_CLASSES_MAX) {
		derr(ld,
		    "too many classes: \"%s\" (at most %d, \"unknown\" "
		    "included)",
		    tok[1], DEST_CLASSES_MAX);
		return;
	}
	t->classes[t->nclasses++] = c;
}

static int
node_new(struct dest_table *t, uint32_t *out)
{
	if (t->nnodes == t->cnodes) {
		uint32_t c = t->cnodes * 2;
		struct dnode *nn;

		if (t->cnodes >= DEST_NODES_MAX)
			return ENOSPC;
		nn = realloc(t->nodes, (size_t)c * sizeof(*nn));
		if (nn == NULL)
			return ENOMEM;
		t->nodes = nn;
		t->cnodes = c;
	}
	memset(&t->nodes[t->nnodes], 0, sizeof(t->nodes[0]));
	*out = t->nnodes++;
	return 0;
}

/* PREFIX CLASS */
static int
parse_prefix(struct dld *ld, char **tok, unsigned n)
{
	struct dest_table *t = ld->t;
	uint32_t node = DEST_ROOT, c;
	const char *p;
	int id, err;

	if (n != 2) {
		derr(ld, "expected: PREFIX CLASS");
		return 0;
	}
	if (!is_digits(tok[0]) || strlen(tok[0]) > DEST_DIGITS_MAX) {
		derr(ld, "bad prefix \"%s\" (1 to %d digits, no '+')", tok[0],
		    DEST_DIGITS_MAX);
		return 0;
	}
	if ((id = dest_class_find(t, tok[1])) < 0) {
		derr(ld, "unknown class \"%s\"", tok[1]);
		return 0;
	}
	for (p = tok[0]; *p; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (t->nodes[node].child[d] == 0) {
			if ((err = node_new(t, &c)))
				return err;
			t->nodes[node].child[d] = c;
		}
		node = t->nodes[node].child[d];
	}
	if (t->nodes[node].cls != 0 && t->nodes[node].cls != id + 1) {
		derr(ld, "prefix \"%s\" already in class \"%s\"", tok[0],
		    t->classes[t->nodes[node].cls - 1].name);
		return 0;
	}
	t->nodes[node].cls = (uint8_t)(id + 1);
	ld->nprefixes++;
	return 0;
}

static void
parse_line(struct dld *ld, char *line)
{
	struct dest_table *t = ld->t;
	char *tok[7], *save = NULL, *s;
	unsigned n = 0;
	int err;

	if ((s = strchr(line, '#')) != NULL)
		*s = '\0';
	for (s = strtok_r(line, " \t\r\n", &save); s && n < 7;
	     s = strtok_r(NULL, " \t\r\n", &save))
		tok[n++] = s;
	if (n == 0)
		return;
	if (n == 7) {
		derr(ld, "too many fields");
		return;
	}
	if (strcmp(tok[0], "version") == 0) {
		if (n != 2 || !is_version(tok[1]))
			derr(ld,
			    "bad version line (version VERSION, "
			    "[A-Za-z0-9._:+-], 1 to 31 characters)");
		else if (t->version[0] != '\0')
			derr(ld, "duplicate version line");
		else
			memcpy(t->version, tok[1], strlen(tok[1]) + 1);
	} else if (strcmp(tok[0], "class") == 0) {
		parse_class(ld, tok, n);
	} else if ((tok[0][0] >= '0' && tok[0][0] <= '9') || tok[0][0] == '+') {
		if (ld->full)
			return;
		err = parse_prefix(ld, tok, n);
		if (err) {
			derr(ld, "%s",
			    err == ENOMEM ? "out of memory" :
					    "table too large");
			ld->full = true;
			ld->oom = err == ENOMEM;
		}
	} else
		derr(ld, "unknown keyword \"%s\"", tok[0]);
}

static int
dest_parse(struct dest_table *t, const char *name, const char *text, size_t len,
    FILE *errf)
{
	struct dld ld = { name, 0, errf, 0, 0, false, false, t };
	char line[DEST_LINE_MAX];
	size_t i = 0;

	while (i < len) {
		size_t j = i, l;

		while (j < len && text[j] != '\n')
			j++;
		l = j - i;
		ld.line++;
		if (l >= sizeof(line))
			derr(&ld, "line too long (at most %d bytes)",
			    DEST_LINE_MAX - 1);
		else if (memchr(text + i, '\0', l))
			derr(&ld, "NUL byte in line");
		else {
			memcpy(line, text + i, l);
			line[l] = '\0';
			parse_line(&ld, line);
		}
		i = j + 1;
	}
	/* A file-wide error points at the first line, where it belongs. */
	if (t->version[0] == '\0') {
		ld.line = 1;
		derr(&ld, "no \"version\" line");
	}
	if (ld.nprefixes == 0 && !ld.full) {
		ld.line = 1;
		derr(&ld, "no prefix lines");
	}
	return ld.oom ? ENOMEM : ld.nerr ? EINVAL : 0;
}

/* Read all of "path" (at most DEST_FILE_MAX bytes) into *textp. */
static int
read_file(const char *path, char **textp, size_t *lenp, FILE *errf)
{
	FILE *f;
	char *text = NULL, *nt;
	size_t len = 0, cap = 0, n;
	int err = 0;

	if ((f = fopen(path, "r")) == NULL) {
		err = errno;
		if (errf)
			fprintf(errf, "%s: %s\n", path, strerror(err));
		return err;
	}
	errno = 0;
	for (;;) {
		if (len == cap) {
			if (cap >= DEST_FILE_MAX) {
				err = EFBIG;
				break;
			}
			cap = cap ? cap * 2 : 64 * 1024;
			if ((nt = realloc(text, cap)) == NULL) {
				err = ENOMEM;
				break;
			}
			text = nt;
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f))
				err = errno ? errno : EIO; /* EISDIR... */
			break;
		}
	}
	fclose(f);
	if (err) {
		if (errf)
			fprintf(errf, "%s: %s\n", path,
			    err == EFBIG ? "larger than 16 MB" : strerror(err));
		free(text);
		return err;
	}
	*textp = text;
	*lenp = len;
	return 0;
}

int
dest_load(struct dest_table **tp, const char *path, FILE *errf)
{
	struct dest_table *t;
	char *text = NULL;
	size_t len = 0;
	int err;

	if (tp == NULL)
		return EINVAL;
	*tp = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ENOMEM;
	t->cnodes = 1024;
	if ((t->nodes = calloc(t->cnodes, sizeof(*t->nodes))) == NULL) {
		free(t);
		return ENOMEM;
	}
	t->nnodes = 2; /* the sink and the root */
	memcpy(t->classes[0].name, "unknown", sizeof("unknown"));
	t->classes[0].risk = DEST_RISK_HIGH;
	t->nclasses = 1;
	if (path == NULL)
		err = dest_parse(t, "destinations.conf (embedded)",
		    (const char *)default_destinations,
		    default_destinations_len, errf);
	else if ((err = read_file(path, &text, &len, errf)) == 0)
		err = dest_parse(t, path, text, len, errf);
	free(text);
	if (err) {
		dest_free(t);
		return err;
	}
	*tp = t;
	return 0;
}

void
dest_free(struct dest_table *t)
{
	if (t == NULL)
		return;
	free(t->nodes);
	free(t);
}

const char *
dest_version(const struct dest_table *t)
{
	return t->version;
}

unsigned
dest_nclasses(const struct dest_table *t)
{
	return t->nclasses;
}

const struct dest_class *
dest_class(const struct dest_table *t, unsigned id)
{
	return &t->classes[id < t->nclasses ? id : 0];
}

int
dest_class_find(const struct dest_table *t, const char *name)
{
	unsigned i;

	if (name == NULL)
		return -1;
	for (i = 0; i < t->nclasses; i++)
		if (strcmp(t->classes[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * Walk the whole string even after the trie ends: a non-digit anywhere
 * makes the number "unknown", not the class of its digits so far.
 */
unsigned
dest_lookup(const struct dest_table *t, const char *e164, size_t len)
{
	const struct dnode *nodes = t->nodes;
	uint32_t n = DEST_ROOT;
	unsigned best = 0, d;
	size_t i;

	if (len == 0 || len > DEST_DIGITS_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		d = (unsigned)(unsigned char)e164[i] - '0';
		if (d > 9)
			return 0;
		n = nodes[n].child[d];
		if (nodes[n].cls)
			best = nodes[n].cls - 1u;
	}
	return best;
}

/*
 * fraud/dest.h -- destination classes: what kind of number a call goes
 * to (national fixed, mobile, premium, an international zone, a
 * satellite network...) and what a minute of it costs. The table is
 * data, a shipped and versioned file (etc/destinations.conf, embedded
 * in the binary; an operator may point fraud.destinations at another
 * one), not code.
 *
 * The file, line by line ('#' starts a comment, blank lines ignored):
 *
 *	version 2026-11-21
 *	class NAME [cost COST] [risk low|normal|high]
 *	PREFIX NAME
 *
 * The version line is required, once (VERSION: [A-Za-z0-9._:+-]{1,31};
 * the shipped table uses its date). A class line declares a class
 * (NAME: [a-z0-9_-]{1,31}; COST: the estimated cost of one minute in the
 * operator's currency, a decimal with at most 4 decimals, default 0;
 * risk default normal); ids follow the order of the class lines. A
 * prefix line maps an E.164 prefix (1 to 15 digits, no '+') to a class
 * declared above it; the longest matching prefix wins. Numbers under no
 * prefix are in the built-in class "unknown" (id 0, cost 0, risk high);
 * a prefix may name "unknown" too, to carve a range out of a wider one.
 * The same prefix twice is an error if the classes differ. Lines are at
 * most 255 bytes; at least one prefix line. At most DEST_CLASSES_MAX
 * classes, so a set of classes fits in a uint64_t.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_FRAUD_DEST_H
#define CENTINELA_FRAUD_DEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DEST_CLASSES_MAX 64
#define DEST_NAME_MAX 32

enum dest_risk {
	DEST_RISK_LOW = 0,
	DEST_RISK_NORMAL,
	DEST_RISK_HIGH
};

struct dest_class {
	char name[DEST_NAME_MAX];
	uint64_t cost_e4; /* cost of a minute, in 1/10000 of the currency */
	enum dest_risk risk;
};

struct dest_table;

/*
 * Load the table from "path" (NULL: the embedded etc/destinations.conf).
 * Every error is printed on "errf" (NULL: silent) as "FILE:LINE: what is
 * wrong" (all of them, not just the first); any error means no table:
 * *tp is set only on success, and the caller owns it (dest_free). The
 * table is immutable: any thread may read it. Returns 0, EINVAL (errors
 * printed), ENOENT/EACCES/EIO (file), EFBIG (file over 16 MB), ENOMEM.
 */
int dest_load(struct dest_table **tp, const char *path, FILE *errf);
/* Free a table; NULL is fine. */
void dest_free(struct dest_table *t);

const char *dest_version(const struct dest_table *t);
/* Number of classes, "unknown" included (ids 0 .. n-1). */
unsigned dest_nclasses(const struct dest_table *t);
/* Class "id" (< dest_nclasses), never NULL: "unknown" if out of range. */
const struct dest_class *dest_class(const struct dest_table *t, unsigned id);
/* The id of the class named "name" (NUL-terminated), or -1. */
int dest_class_find(const struct dest_table *t, const char *name);

/*
 * The class id of an E.164 number ("34803123456": len bytes, 1 to 15
 * digits, no '+'; anything else, empty or longer included, is "unknown",
 * 0): the longest prefix match. Runs on every call: no allocation, no
 * lock, O(len), one trie node per digit.
 */
unsigned dest_lookup(const struct dest_table *t, const char *e164, size_t len);

#endif /* CENTINELA_FRAUD_DEST_H */

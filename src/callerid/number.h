/*
 * callerid/number.h -- telephone numbers: the calling number of a
 * request, normalisation to E.164, and classification by a numbering
 * plan that is data (etc/numplan.conf), not code.
 *
 * A number inside centinela is a string of E.164 digits without '+'
 * ("34911000123"). For the plan's country it also has a national
 * significant number (NSN, "911000123"), and a type from the plan.
 *
 * The plan file, line by line ('#' starts a comment):
 *
 *	version 2026-04-17
 *	country 34
 *	TYPE PREFIX DIGITS [from YYYY-MM-DD] [until YYYY-MM-DD]
 *
 * PREFIX is digits with optional classes ("8[1356]", "7[1-4]",
 * "9[268][0-8]"); DIGITS is the NSN length ("9") or a range ("3-6").
 * The longest prefix whose entry is in force wins. A number under a
 * prefix with the wrong length does not fit the plan; a number under no
 * prefix is attributed to no service.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CALLERID_NUMBER_H
#define CENTINELA_CALLERID_NUMBER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/str.h"
#include "sip/sip.h"

#define NUM_DIGITS_MAX 16 /* E.164 allows 15; room for the NUL */

/* X(enum, "name"): the types a plan may use (names in the plan file). */
#define NUM_TYPE_LIST(X)                  \
	X(NUM_NONE, "none")               \
	X(NUM_FIXED, "fixed")             \
	X(NUM_MOBILE, "mobile")           \
	X(NUM_FREEPHONE, "freephone")     \
	X(NUM_PREMIUM, "premium")         \
	X(NUM_SHARED_COST, "shared_cost") \
	X(NUM_PERSONAL, "personal")       \
	X(NUM_NOMADIC, "nomadic")         \
	X(NUM_CORPORATE, "corporate")     \
	X(NUM_COMMERCIAL, "commercial")   \
	X(NUM_INTERNET, "internet")       \
	X(NUM_M2M, "m2m")                 \
	X(NUM_SHORT, "short")             \
	X(NUM_FOREIGN, "foreign")

enum num_type {
#define NUM_TYPE_ENUM(e, n) e,
	NUM_TYPE_LIST(NUM_TYPE_ENUM)
#undef NUM_TYPE_ENUM
	NUM__COUNT
};

const char *num_type_name(enum num_type t);
/* NUM__COUNT when "name" is no type. */
enum num_type num_type_from_name(const char *name);

/* How a number fits the plan. */
enum num_fit {
	NUM_FIT_OK = 0, /* under a prefix in force, right length */
	NUM_FIT_LENGTH, /* under a prefix, wrong length */
	NUM_FIT_NONE, /* under no prefix in force: attributed to nothing */
	NUM_FIT_FOREIGN /* not the plan's country */
};

struct numplan;

/*
 * Load a plan: "path" NULL means the embedded etc/numplan.conf. Errors
 * go to "errf" as "FILE:LINE: what is wrong". 0, EINVAL or an errno.
 */
int numplan_load(struct numplan **pp, const char *path, FILE *errf);
void numplan_free(struct numplan *p);
/* The plan's country calling code ("34") and version line. */
const char *numplan_country(const struct numplan *p);
const char *numplan_version(const struct numplan *p);

/* A number, normalised. */
struct number {
	char e164[NUM_DIGITS_MAX]; /* digits, no '+' */
	char nsn[NUM_DIGITS_MAX]; /* national part when national, else "" */
	bool national; /* in the plan's country */
	enum num_type type; /* NUM_FOREIGN when not national */
	enum num_fit fit;
};

/*
 * Normalise a number as written in a URI user part or tel: URI:
 * visual separators ("-", ".", "(", ")", " ") go; "+CC..." and
 * "00CC..." are international; a bare number is national (the plan's
 * country), except that "CC" followed by a national number of a length
 * the plan knows is taken as international when "bare_cc" is set.
 * Classifies it at time "now". Returns 0, or EINVAL when "s" is not a
 * telephone number (letters, empty, too long).
 */
int number_parse(const struct numplan *p, struct str s, bool bare_cc,
    int64_t now, struct number *n);

/* Where the calling number came from. */
enum cli_source {
	CLI_NONE = 0,
	CLI_PAI_TEL, /* P-Asserted-Identity tel: URI */
	CLI_PAI_SIP, /* P-Asserted-Identity sip: user=phone (or phone-like) */
	CLI_FROM /* From user part */
};

/* The calling line identity of a request. */
struct cli {
	enum cli_source source;
	struct str raw; /* the user part / tel number as received */
	bool privacy; /* Privacy: id (or header) asks to withhold it */
	bool valid; /* "num" holds a number */
	struct number num;
};

/*
 * The calling number of "msg": P-Asserted-Identity first (a
 * tel: URI, then a sip:/sips: URI with user=phone or a phone-like user
 * part), else the From user part. A From user that is not a number
 * ("anonymous", "alice") gives an empty CLI (valid false).
 */
void cli_from_msg(const struct numplan *p, const struct sip_msg *msg,
    bool bare_cc, int64_t now, struct cli *c);

/* The called number: the Request-URI user part. false if none. */
bool called_from_msg(const struct numplan *p, const struct sip_msg *msg,
    bool bare_cc, int64_t now, struct number *n);

/*
 * Lista Robinson hash (Adigital): lower-case hex SHA-256 of the channel
 * id ("04" calls, "03" SMS) and the number written "00" + E.164
 * digits. out must hold 65 bytes.
 */
void number_robinson_hash(
    const struct number *n, const char *channel, char out[65]);

/* The embedded plan (etc/numplan.conf). */
extern const unsigned char default_numplan[];
extern const size_t default_numplan_len;

#endif /* CENTINELA_CALLERID_NUMBER_H */

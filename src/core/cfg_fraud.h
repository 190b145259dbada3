/*
 * core/cfg_fraud.h -- the "fraud" section: the toll-fraud rules, their
 * levels and actions, per account and per customer trunk.
 *
 *	fraud = {
 *	  enabled = false;		# the engine runs at all
 *	  mode = "enforce";		# or "shadow": every rule logs and
 *					# alerts, nothing is refused
 *	  destinations = "";		# class table; "" = the embedded
 *					# etc/destinations.conf
 *	  max_subjects = 100000;	# accounts + trunks tracked at once
 *					# [16, 10000000]; beyond, the least
 *					# recently used is evicted (counted)
 *	  max_dialogs = 100000;		# calls tracked at once [1, 10000000]
 *	  max_duration = "4h";		# an answered call is closed after
 *	  early_timeout = "3m";		# an unanswered INVITE is closed after
 *	  retry_after = "1m";		# Retry-After of a concurrency cap
 *	  alert_interval = "1h";	# one alert per subject, rule and
 *					# level in this interval [1m, 7d]
 *	  persist_interval = "1m";	# changed counters written to the
 *					# store this often [1s, 1h]
 *	  actions = {			# what each level does by default
 *	    warning = [ "log", "alert" ];
 *	    critical = [ "alert", "reject" ];
 *	  };
 *	  defaults = { RULES };		# every account and every trunk
 *	  accounts = ( { user = "100"; domain = ""; RULES }, ... );
 *	  trunks = ( { peer = "acme"; RULES }, ... );
 *	};
 *
 * RULES, each optional; an account or trunk entry replaces the rules it
 * names (the whole rule), the others come from defaults. A threshold
 * rule with neither level set is off (so "calls_per_hour = {};" in an
 * account turns the default off for it):
 *
 *	calls_per_minute = { warning = 10; critical = 30;
 *	    mode = "shadow"; actions = { warning = [...];
 *	    critical = [...]; }; };	# mode and actions optional
 *	calls_per_hour, calls_per_day	# calls placed, sliding windows
 *	concurrent			# calls up at once
 *	distinct_numbers_per_hour	# [1, 63]
 *	same_number_in_a_row		# calls to one number, nothing else
 *					# between, gaps under an hour
 *	minutes_per_hour, minutes_per_day	# minutes of ended calls
 *	cost_per_hour, cost_per_day	# decimal (12.5), the currency of the
 *					# destination table, 4 decimals
 *	blocked_classes = [ "satellite" ];	# or { classes = [...];
 *					# mode; actions = [...]; }: always
 *					# rejected (critical)
 *	first_use_classes = { classes = [ "premium" ]; level = "warning";
 *	    mode; actions = [...]; };	# first call ever to such a class
 *	hours = { allow = [ "mon-fri 08:00-20:00", "sat 09:00-14:00" ];
 *	    tz = "Europe/Madrid"; level = "warning"; mode; actions; };
 *	baseline = { factor = 5.0; min_calls = 20; level = "critical";
 *	    mode; actions; };		# calls this hour > factor x usual
 *
 * A threshold is the most a window may hold: with critical = 30 the
 * 31st call of the minute is the one that reaches critical. Actions:
 * "log", "alert", "reject" (403 with the rule's reason code), "cap"
 * (503 + Retry-After; only the window rules and concurrent: a "cap" in
 * the default actions means "reject" for the others), "suspend" (the
 * account; for a trunk it means "reject"; not allowed in trunks).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_CFG_FRAUD_H
#define CENTINELA_CORE_CFG_FRAUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/reason.h"

/* X(enum, config key, reason code, kind) */
#define FRAUD_RULE_LIST(X)                                                \
	X(FRAUD_R_CPM, "calls_per_minute", REASON_FRAUD_CPM, FRK_COUNT)   \
	X(FRAUD_R_CPH, "calls_per_hour", REASON_FRAUD_CPH, FRK_COUNT)     \
	X(FRAUD_R_CPD, "calls_per_day", REASON_FRAUD_CPD, FRK_COUNT)      \
	X(FRAUD_R_CONCURRENT, "concurrent", REASON_FRAUD_CONCURRENT,      \
	    FRK_COUNT)                                                    \
	X(FRAUD_R_DISTINCT, "distinct_numbers_per_hour",                  \
	    REASON_FRAUD_DISTINCT, FRK_COUNT)                             \
	X(FRAUD_R_SAME_NUMBER, "same_number_in_a_row",                    \
	    REASON_FRAUD_SAME_NUMBER, FRK_COUNT)                          \
	X(FRAUD_R_MINUTES_H, "minutes_per_hour", REASON_FRAUD_MINUTES_H,  \
	    FRK_COUNT)                                                    \
	X(FRAUD_R_MINUTES_D, "minutes_per_day", REASON_FRAUD_MINUTES_D,   \
	    FRK_COUNT)                                                    \
	X(FRAUD_R_COST_H, "cost_per_hour", REASON_FRAUD_COST_H, FRK_COST) \
	X(FRAUD_R_COST_D, "cost_per_day", REASON_FRAUD_COST_D, FRK_COST)  \
	X(FRAUD_R_BLOCKED, "blocked_classes", REASON_FRAUD_BLOCKED_CLASS, \
	    FRK_CLASSES)                                                  \
	X(FRAUD_R_FIRST_USE, "first_use_classes", REASON_FRAUD_FIRST_USE, \
	    FRK_CLASSES)                                                  \
	X(FRAUD_R_HOURS, "hours", REASON_FRAUD_HOURS, FRK_HOURS)          \
	X(FRAUD_R_BASELINE, "baseline", REASON_FRAUD_BASELINE, FRK_BASELINE)

enum fraud_rule {
#define FRAUD_RULE_ENUM(e, k, r, t) e,
	FRAUD_RULE_LIST(FRAUD_RULE_ENUM)
#undef FRAUD_RULE_ENUM
	FRAUD__NRULES
};

/* How a rule is written and evaluated. */
enum fraud_rule_kind {
	FRK_COUNT = 0, /* warning/critical integer thresholds */
	FRK_COST, /* warning/critical decimal thresholds */
	FRK_CLASSES, /* a set of destination classes, one level */
	FRK_HOURS, /* allowed weekly hours, one level */
	FRK_BASELINE /* learned usual rate, one level */
};

enum fraud_level {
	FRAUD_LEVEL_NONE = 0,
	FRAUD_LEVEL_WARNING,
	FRAUD_LEVEL_CRITICAL
};

#define FRAUD_ACT_LOG 0x01u
#define FRAUD_ACT_ALERT 0x02u
#define FRAUD_ACT_REJECT 0x04u
#define FRAUD_ACT_CAP 0x08u
#define FRAUD_ACT_SUSPEND 0x10u

#define CFG_FRAUD_SPANS_MAX 16
#define CFG_FRAUD_TZ_MAX 64
#define CFG_FRAUD_USER_MAX 64
#define CFG_FRAUD_DOMAIN_MAX 128
#define CFG_FRAUD_PEER_MAX 64 /* CFG_NAME_MAX */
#define CFG_FRAUD_PATH_MAX 512 /* CFG_PATH_MAX */
#define CFG_FRAUD_DISTINCT_MAX 63

/* One rule as configured (for every kind). */
struct cfg_fraud_rule {
	bool on; /* some level set (threshold rules), classes/hours given */
	bool shadow; /* this rule logs and alerts only */
	uint8_t level; /* one-level rules: enum fraud_level */
	uint8_t actions[3]; /* FRAUD_ACT_* per level, resolved; [0] unused */
	/* Thresholds: calls, minutes, or cost in 1/10000; 0 = level unset. */
	uint64_t warning;
	uint64_t critical;
};

/* An allowed weekly span: days (bit 0 = Monday) from..to (minutes of the
 * day; to may be 1440; to <= from runs past midnight into the next day). */
struct cfg_fraud_span {
	uint8_t days;
	uint16_t from;
	uint16_t to;
};

struct cfg_fraud_rules {
	uint32_t given; /* bit (1 << rule) per rule this section sets */
	struct cfg_fraud_rule r[FRAUD__NRULES];
	uint64_t blocked; /* class ids of the destination table (bit = id) */
	uint64_t first_use;
	struct cfg_fraud_span spans[CFG_FRAUD_SPANS_MAX];
	unsigned nspans;
	char tz[CFG_FRAUD_TZ_MAX]; /* "UTC" by default */
	unsigned bl_factor; /* x100: 5.0 is 500 */
	unsigned bl_min_calls;
};

struct cfg_fraud_account {
	char user[CFG_FRAUD_USER_MAX];
	char domain[CFG_FRAUD_DOMAIN_MAX]; /* "" = the user in any domain */
	struct cfg_fraud_rules rules;
};

struct cfg_fraud_trunk {
	char peer[CFG_FRAUD_PEER_MAX]; /* a name of peers[] */
	struct cfg_fraud_rules rules;
};

struct dest_table;

struct cfg_fraud {
	bool enabled;
	bool shadow;
	char destinations[CFG_FRAUD_PATH_MAX]; /* "" = embedded */
	unsigned max_subjects;
	unsigned max_dialogs;
	unsigned max_duration; /* s */
	unsigned early_timeout; /* s */
	unsigned retry_after; /* s */
	unsigned alert_interval; /* s */
	unsigned persist_interval; /* s between writes of changed subjects */
	uint8_t actions[3]; /* default FRAUD_ACT_* per level */
	struct cfg_fraud_rules defaults;
	struct cfg_fraud_account *accounts; /* heap, naccounts */
	unsigned naccounts;
	struct cfg_fraud_trunk *trunks; /* heap, ntrunks */
	unsigned ntrunks;
	/*
	 * The destination table the class names were checked against
	 * (owned; NULL when the file has no fraud section). Class masks
	 * hold its ids: the engine must run with this table (or one with
	 * the same classes).
	 */
	struct dest_table *dest;
};

/* The built-in values: disabled, every rule off. */
void cfg_fraud_defaults(struct cfg_fraud *c);
/* Release what the loader allocated (arrays, table); keeps defaults. */
void cfg_fraud_free(struct cfg_fraud *c);

/* The rule's configuration key ("calls_per_minute"), kind, reason. */
const char *cfg_fraud_rule_name(enum fraud_rule r);
enum fraud_rule_kind cfg_fraud_rule_kind(enum fraud_rule r);
enum reason cfg_fraud_rule_reason(enum fraud_rule r);
/* Can the rule "cap" (503 + Retry-After)? The window rules and concurrent. */
bool cfg_fraud_rule_can_cap(enum fraud_rule r);
/* "warning", "critical" ("none" for 0). */
const char *cfg_fraud_level_name(enum fraud_level l);
/* "log,alert,reject" for a FRAUD_ACT_* mask into buf ("" when none). */
const char *cfg_fraud_actions_fmt(unsigned acts, char *buf, size_t cap);

#endif /* CENTINELA_CORE_CFG_FRAUD_H */

/*
 * store/store_sql.c -- the rows and the statements of the store: which
 * struct member is which column of which table, and the SQL every
 * backend runs (the dialect SQLite 3.35+ and PostgreSQL 9.5+ share:
 * ON CONFLICT, RETURNING, $N parameters). The schema scripts, which do
 * differ, stay in the backends.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>

#include "store/store.h"
#include "store/store_int.h"

/* ---- column tables ------------------------------------------------------ */

/* clang-format off */
#define MEMBER_SIZE(type, m)	sizeof(((type *)0)->m)
#define COL(type, name, kind, m, key) \
	{ name, kind, offsetof(type, m), MEMBER_SIZE(type, m), key }
#define ACOL(name, kind, m, key)	COL(struct account, name, kind, m, key)
#define BCOL(name, kind, m, key)	COL(struct binding, name, kind, m, key)
#define RCOL(name, kind, m, key)	COL(struct ban_rec, name, kind, m, key)
#define ECOL(name, kind, m, key)	COL(struct ban_event, name, kind, m, key)
#define LCOL(name, kind, m, key)	COL(struct allow_rec, name, kind, m, key)
#define CCOL(name, kind, m, key)	COL(struct ban_cmd, name, kind, m, key)
#define NRCOL(name, kind, m, key)	COL(struct num_range, name, kind, m, key)
#define NDCOL(name, kind, m, key)	COL(struct num_dataset, name, kind, m, key)
#define NOCOL(name, kind, m, key)	COL(struct num_own, name, kind, m, key)
#define NECOL(name, kind, m, key)	COL(struct num_exception, name, kind, m, key)
#define SACOL(name, kind, m, key)	COL(struct sms_alias, name, kind, m, key)
#define RBCOL(name, kind, m, key)	COL(struct robinson_rec, name, kind, m, key)
#define CBCOL(name, kind, m, key)	COL(struct cid_block, name, kind, m, key)
#define NSCOL(name, m)	COL(struct num_stats, name, I64, m, false)
#define ALCOL(name, kind, m, key)	COL(struct alert_rec, name, kind, m, key)
#define ADCOL(name, kind, m, key)	COL(struct alert_dlv, name, kind, m, key)
#define AUCOL(name, kind, m, key)	COL(struct alert_due, name, kind, m, key)
#define FRCOL(name, kind, m, key)	COL(struct fraud_row, name, kind, m, key)
#define DVCOL(name, kind, m, key)	COL(struct device, name, kind, m, key)

#define T	STORE_COL_TEXT
#define I64	STORE_COL_I64
#define U32	STORE_COL_U32

static const struct store_col account_cols[] = {
	ACOL("username",	T,		user,		true),
	ACOL("domain",		T,		domain,		true),
	ACOL("status",		STORE_COL_STATUS, status,	false),
	ACOL("ha1_md5",		T,		ha1_md5,	false),
	ACOL("ha1_sha256",	T,		ha1_sha256,	false),
	ACOL("pw_hash",		T,		pw_hash,	false),
	ACOL("created",		I64,		created,	false),
	ACOL("secret_rotated",	I64,		secret_rotated,	false),
	ACOL("pw_changed",	I64,		pw_changed,	false),
	ACOL("max_contacts",	U32,		max_contacts,	false),
	ACOL("allow_cidrs",	T,		allow_cidrs,	false),
	ACOL("secret_box",	T,		secret_box,	false),
	ACOL("tls_id",		T,		tls_id,		false),
};

static const struct store_col binding_cols[] = {
	BCOL("aor",		T,		aor,		true),
	BCOL("contact",		T,		contact,	true),
	BCOL("source",		T,		source,		false),
	BCOL("path",		T,		path,		false),
	BCOL("call_id",		T,		call_id,	false),
	BCOL("cseq",		U32,		cseq,		false),
	BCOL("instance",	T,		instance,	false),
	BCOL("reg_id",		U32,		reg_id,		false),
	BCOL("user_agent",	T,		user_agent,	false),
	BCOL("q",		U32,		q,		false),
	BCOL("expires",		I64,		expires,	false),
};

static const struct store_col ban_cols[] = {
	RCOL("addr",		T,		addr,		true),
	RCOL("reason",		T,		reason,		false),
	RCOL("origin",		T,		origin,		false),
	RCOL("rung",		U32,		rung,		false),
	RCOL("strikes",		U32,		strikes,	false),
	RCOL("first_seen",	I64,		first_seen,	false),
	RCOL("last_seen",	I64,		last_seen,	false),
	RCOL("expires",		I64,		expires,	false),
	RCOL("forget",		I64,		forget,		false),
};

static const struct store_col event_cols[] = {
	ECOL("id",		I64,		id,		false),
	ECOL("addr",		T,		addr,		true),
	ECOL("at",		I64,		at,		false),
	ECOL("what",		T,		what,		true),
	ECOL("reason",		T,		reason,		false),
	ECOL("rung",		U32,		rung,		false),
	ECOL("duration",	I64,		duration,	false),
	ECOL("detail",		T,		detail,		false),
};

static const struct store_col allow_cols[] = {
	LCOL("addr",		T,		addr,		true),
	LCOL("note",		T,		note,		false),
	LCOL("created",		I64,		created,	false),
};

static const struct store_col cmd_cols[] = {
	CCOL("id",		I64,		id,		false),
	CCOL("op",		T,		op,		true),
	CCOL("addr",		T,		addr,		true),
	CCOL("duration",	I64,		duration,	false),
	CCOL("reason",		T,		reason,		false),
	CCOL("created",		I64,		created,	false),
};

static const struct store_col range_cols[] = {
	NRCOL("prefix",		T,		prefix,		true),
	NRCOL("status",		T,		status,		true),
	NRCOL("subblocks",	T,		subblocks,	false),
	NRCOL("holder",		T,		holder,		true),
	NRCOL("area",		T,		area,		false),
	NRCOL("assigned",	I64,		assigned,	false),
	NRCOL("source",		T,		source,		false),
};

static const struct store_col dataset_cols[] = {
	NDCOL("id",		I64,		id,		false),
	NDCOL("created",	I64,		created,	false),
	NDCOL("nrows",		I64,		nrows,		false),
	NDCOL("note",		T,		note,		false),
};

static const struct store_col own_cols[] = {
	NOCOL("digits",		T,		digits,		true),
	NOCOL("kind",		T,		kind,		true),
	NOCOL("note",		T,		note,		false),
};

static const struct store_col exc_cols[] = {
	NECOL("id",		I64,		id,		false),
	NECOL("digits",		T,		digits,		true),
	NECOL("prefix",		U32,		prefix,		false),
	NECOL("trunk",		T,		trunk,		false),
	NECOL("valid_from",	I64,		valid_from,	false),
	NECOL("valid_to",	I64,		valid_to,	false),
	NECOL("ref",		T,		ref,		false),
	NECOL("rules",		T,		rules,		false),
};

static const struct store_col alias_cols[] = {
	SACOL("alias",		T,		alias,		true),
	SACOL("pros",		T,		pros,		false),
	SACOL("valid_from",	I64,		valid_from,	false),
	SACOL("valid_to",	I64,		valid_to,	false),
};

static const struct store_col robinson_cols[] = {
	RBCOL("hash",		T,		hash,		true),
};

static const struct store_col block_cols[] = {
	CBCOL("day",		I64,		day,		false),
	CBCOL("rule",		T,		rule,		true),
	CBCOL("channel",	T,		channel,	true),
	CBCOL("trunk",		T,		trunk,		false),
	CBCOL("count",		I64,		count,		false),
};

static const struct store_col alert_cols[] = {
	ALCOL("id",		T,		id,		true),
	ALCOL("ts",		I64,		ts,		false),
	ALCOL("severity",	U32,		severity,	false),
	ALCOL("rule",		T,		rule,		true),
	ALCOL("subject",	T,		subject,	false),
	ALCOL("text",		T,		text,		false),
	ALCOL("node",		T,		node,		false),
	ALCOL("repeats",	I64,		repeats,	false),
};

static const struct store_col dlv_cols[] = {
	ADCOL("alert",		T,		alert,		true),
	ADCOL("channel",	T,		channel,	true),
	ADCOL("state",		T,		state,		true),
	ADCOL("attempts",	U32,		attempts,	false),
	ADCOL("next_try",	I64,		next_try,	false),
	ADCOL("updated",	I64,		updated,	false),
	ADCOL("last_error",	T,		last_error,	false),
};

/* alert_cols then dlv_cols, as STORE_ALERT_DUE selects them. */
static const struct store_col due_cols[] = {
	AUCOL("id",		T,		a.id,		true),
	AUCOL("ts",		I64,		a.ts,		false),
	AUCOL("severity",	U32,		a.severity,	false),
	AUCOL("rule",		T,		a.rule,		true),
	AUCOL("subject",	T,		a.subject,	false),
	AUCOL("text",		T,		a.text,		false),
	AUCOL("node",		T,		a.node,		false),
	AUCOL("repeats",	I64,		a.repeats,	false),
	AUCOL("alert",		T,		d.alert,	true),
	AUCOL("channel",	T,		d.channel,	true),
	AUCOL("state",		T,		d.state,	true),
	AUCOL("attempts",	U32,		d.attempts,	false),
	AUCOL("next_try",	I64,		d.next_try,	false),
	AUCOL("updated",	I64,		d.updated,	false),
	AUCOL("last_error",	T,		d.last_error,	false),
};

static const struct store_col fraud_cols[] = {
	FRCOL("kind",		U32,		kind,		false),
	FRCOL("name",		T,		name,		true),
	FRCOL("suspended",	U32,		suspended,	false),
	FRCOL("updated",	I64,		updated,	false),
	FRCOL("state",		T,		state,		false),
};

/* The name alone (what STORE_FRAUD_RESUMED returns). */
static const struct store_col fraud_name_cols[] = {
	FRCOL("name",		T,		name,		true),
};

static const struct store_col device_cols[] = {
	DVCOL("mac",		T,		mac,		true),
	DVCOL("username",	T,		user,		true),
	DVCOL("domain",		T,		domain,		true),
	DVCOL("template",	T,		tmpl,		true),
	DVCOL("display",	T,		display,	false),
	DVCOL("created",	I64,		created,	false),
	DVCOL("last_fetch",	I64,		last_fetch,	false),
	DVCOL("fetches",	U32,		fetches,	false),
	DVCOL("pending",	U32,		pending,	false),
	DVCOL("last_source",	T,		last_source,	false),
};

static const struct store_col counts_cols[] = {
	NSCOL("ranges",		ranges),
	NSCOL("own",		own),
	NSCOL("exceptions",	exceptions),
	NSCOL("aliases",	aliases),
	NSCOL("robinson",	robinson),
	NSCOL("cid_blocks",	cid_blocks),
	NSCOL("generation",	generation),
};

static const struct store_col i64_cols[] = {
	{ "value", I64, 0, sizeof(int64_t), false },
};

#define NCOLS(a)	(sizeof(a) / sizeof((a)[0]))
#define TABLE(tname, twhat, sep, tkind, tcols, tnkey, tserial, type) { \
	.name = tname, .what = twhat, .key_sep = sep, .kind = tkind, \
	.cols = tcols, .ncols = NCOLS(tcols), .nkey = tnkey, \
	.serial = tserial, .size = sizeof(type) }

const struct store_table store_accounts = TABLE("accounts", "account", "@",
    STORE_ROW_ACCOUNT, account_cols, 2, false, struct account);
const struct store_table store_bindings = TABLE("bindings", "binding",
    " -> ", STORE_ROW_BINDING, binding_cols, 2, false, struct binding);
const struct store_table store_bans = TABLE("bans", "ban", "",
    STORE_ROW_BAN, ban_cols, 1, false, struct ban_rec);
const struct store_table store_ban_events = TABLE("ban_events", "ban event",
    "", STORE_ROW_BAN_EVENT, event_cols, 0, true, struct ban_event);
const struct store_table store_allowlist = TABLE("allowlist",
    "allowlist entry", "", STORE_ROW_ALLOW, allow_cols, 1, false,
    struct allow_rec);
const struct store_table store_ban_cmds = TABLE("ban_cmds", "ban command",
    "", STORE_ROW_BAN_CMD, cmd_cols, 0, true, struct ban_cmd);
const struct store_table store_num_ranges = TABLE("num_ranges",
    "numbering range", "", STORE_ROW_NUM_RANGE, range_cols, 0, false,
    struct num_range);
const struct store_table store_num_datasets = TABLE("num_datasets",
    "numbering data set", "", STORE_ROW_NUM_DATASET, dataset_cols, 0, true,
    struct num_dataset);
const struct store_table store_num_owns = TABLE("num_own",
    "own numbering entry", " ", STORE_ROW_NUM_OWN, own_cols, 2, false,
    struct num_own);
const struct store_table store_num_exceptions = TABLE("num_exceptions",
    "numbering exception", "", STORE_ROW_NUM_EXC, exc_cols, 0, true,
    struct num_exception);
const struct store_table store_sms_aliases = TABLE("sms_aliases",
    "SMS alias", "", STORE_ROW_SMS_ALIAS, alias_cols, 1, false,
    struct sms_alias);
const struct store_table store_robinsons = TABLE("robinson",
    "Robinson hash", "", STORE_ROW_ROBINSON, robinson_cols, 1, false,
    struct robinson_rec);
const struct store_table store_cid_blocks = TABLE("cid_blocks",
    "blocking counter", "", STORE_ROW_CID_BLOCK, block_cols, 0, false,
    struct cid_block);
const struct store_table store_alerts = TABLE("alerts", "alert", "",
    STORE_ROW_ALERT, alert_cols, 1, false, struct alert_rec);
const struct store_table store_alert_dlvs = TABLE("alert_deliveries",
    "alert delivery", " to ", STORE_ROW_ALERT_DLV, dlv_cols, 2, false,
    struct alert_dlv);
const struct store_table store_alert_dues = TABLE("alert_deliveries",
    "due alert delivery", "", STORE_ROW_ALERT_DUE, due_cols, 0, false,
    struct alert_due);
const struct store_table store_fraud_subjects = TABLE("fraud_subjects",
    "fraud subject", "", STORE_ROW_FRAUD, fraud_cols, 0, false,
    struct fraud_row);
const struct store_table store_fraud_names = TABLE("fraud_subjects",
    "fraud subject", "", STORE_ROW_FRAUD, fraud_name_cols, 0, false,
    struct fraud_row);
const struct store_table store_devices = TABLE("devices", "device", "",
    STORE_ROW_DEVICE, device_cols, 1, false, struct device);
const struct store_table store_num_counts = TABLE("counts", "counts", "",
    STORE_ROW_I64, counts_cols, 0, false, struct num_stats);
const struct store_table store_i64 = TABLE("result", "value", "",
    STORE_ROW_I64, i64_cols, 0, false, int64_t);
/* clang-format on */

/* A whole struct goes out as parameters. */
_Static_assert(NCOLS(account_cols) <= STORE_PARAMS_MAX &&
	NCOLS(binding_cols) <= STORE_PARAMS_MAX &&
	NCOLS(ban_cols) <= STORE_PARAMS_MAX &&
	NCOLS(event_cols) <= STORE_PARAMS_MAX &&
	NCOLS(allow_cols) <= STORE_PARAMS_MAX &&
	NCOLS(cmd_cols) <= STORE_PARAMS_MAX &&
	NCOLS(range_cols) + 2 <= STORE_PARAMS_MAX &&
	NCOLS(exc_cols) <= STORE_PARAMS_MAX &&
	NCOLS(alias_cols) <= STORE_PARAMS_MAX &&
	NCOLS(block_cols) <= STORE_PARAMS_MAX &&
	NCOLS(alert_cols) <= STORE_PARAMS_MAX &&
	NCOLS(dlv_cols) <= STORE_PARAMS_MAX &&
	NCOLS(fraud_cols) <= STORE_PARAMS_MAX &&
	NCOLS(device_cols) <= STORE_PARAMS_MAX,
    "STORE_PARAMS_MAX too small");

/* ---- statements ------------------------------------------------------------ */

/*
 * Parameters follow the column order of the tables, so a whole struct
 * binds as $1..$n with its key first. Walks come out in byte order on
 * both backends (SQLite's BINARY collation, PostgreSQL key columns
 * COLLATE "C").
 */
/* The id of the register data set in force. */
#define NUM_ACTIVE \
	"(SELECT value FROM meta WHERE key = '" STORE_META_NUM_DATASET "')"

const struct store_sql store_sql[STORE_NSTMT] = {
	[STORE_META_GET] = { "meta_get",
	    "SELECT value FROM meta WHERE key = $1" },
	[STORE_META_SET] = { "meta_set",
	    "INSERT INTO meta (key, value) VALUES ($1, $2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value" },
	[STORE_META_BUMP] = { "meta_bump",
	    "UPDATE meta SET value = value + 1 WHERE key = $1" },

	[STORE_ACC_ADD] = { "account_add",
	    "INSERT INTO accounts (" STORE_ACCOUNT_COLUMNS ") "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
	    "ON CONFLICT (domain, username) DO NOTHING" },
	[STORE_ACC_GET] = { "account_get",
	    "SELECT " STORE_ACCOUNT_COLUMNS " FROM accounts "
	    "WHERE username = $1 AND domain = $2" },
	[STORE_ACC_UPDATE] = { "account_update",
	    "UPDATE accounts SET status = $3, ha1_md5 = $4, "
	    "ha1_sha256 = $5, pw_hash = $6, created = $7, "
	    "secret_rotated = $8, pw_changed = $9, max_contacts = $10, "
	    "allow_cidrs = $11, secret_box = $12, tls_id = $13 "
	    "WHERE username = $1 AND domain = $2" },
	[STORE_ACC_DEL] = { "account_del",
	    "DELETE FROM accounts WHERE username = $1 AND domain = $2" },
	[STORE_ACC_EACH] = { "account_each",
	    "SELECT " STORE_ACCOUNT_COLUMNS " FROM accounts "
	    "ORDER BY domain, username" },

	[STORE_BIND_PUT] = { "binding_put",
	    "INSERT INTO bindings (" STORE_BINDING_COLUMNS ") "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
	    "ON CONFLICT (aor, contact) DO UPDATE SET "
	    "source = excluded.source, path = excluded.path, "
	    "call_id = excluded.call_id, cseq = excluded.cseq, "
	    "instance = excluded.instance, reg_id = excluded.reg_id, "
	    "user_agent = excluded.user_agent, q = excluded.q, "
	    "expires = excluded.expires" },
	[STORE_BIND_DEL] = { "binding_del",
	    "DELETE FROM bindings WHERE aor = $1 AND contact = $2" },
	[STORE_BIND_DEL_AOR] = { "binding_del_aor",
	    "DELETE FROM bindings WHERE aor = $1" },
	[STORE_BIND_EXPIRE] = { "binding_expire",
	    "DELETE FROM bindings WHERE expires <= $1" },
	[STORE_BIND_EACH] = { "binding_each",
	    "SELECT " STORE_BINDING_COLUMNS " FROM bindings "
	    "ORDER BY aor, contact" },

	[STORE_BAN_PUT] = { "ban_put",
	    "INSERT INTO bans (" STORE_BAN_COLUMNS ") "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
	    "ON CONFLICT (addr) DO UPDATE SET "
	    "reason = excluded.reason, origin = excluded.origin, "
	    "rung = excluded.rung, strikes = excluded.strikes, "
	    "first_seen = excluded.first_seen, "
	    "last_seen = excluded.last_seen, expires = excluded.expires, "
	    "forget = excluded.forget" },
	[STORE_BAN_GET] = { "ban_get",
	    "SELECT " STORE_BAN_COLUMNS " FROM bans WHERE addr = $1" },
	[STORE_BAN_DEL] = { "ban_del", "DELETE FROM bans WHERE addr = $1" },
	[STORE_BAN_FORGET] = { "ban_forget",
	    "DELETE FROM bans WHERE forget <= $1" },
	[STORE_BAN_EACH] = { "ban_each",
	    "SELECT " STORE_BAN_COLUMNS " FROM bans ORDER BY addr" },

	[STORE_EVENT_ADD] = { "ban_event_add",
	    "INSERT INTO ban_events (" STORE_BAN_EVENT_DATA ") "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id" },
	/* The newest $n (of one address), oldest first. */
	[STORE_EVENT_EACH] = { "ban_event_each",
	    "SELECT " STORE_BAN_EVENT_COLUMNS
	    " FROM (SELECT " STORE_BAN_EVENT_COLUMNS " FROM ban_events "
	    "ORDER BY id DESC LIMIT $1) AS e ORDER BY id" },
	[STORE_EVENT_EACH_ADDR] = { "ban_event_each_addr",
	    "SELECT " STORE_BAN_EVENT_COLUMNS
	    " FROM (SELECT " STORE_BAN_EVENT_COLUMNS
	    " FROM ban_events WHERE addr = $1 "
	    "ORDER BY id DESC LIMIT $2) AS e ORDER BY id" },
	[STORE_EVENT_TRIM] = { "ban_event_trim",
	    "DELETE FROM ban_events WHERE at < $1" },

	[STORE_ALLOW_PUT] = { "allow_put",
	    "INSERT INTO allowlist (" STORE_ALLOW_COLUMNS ") "
	    "VALUES ($1, $2, $3) ON CONFLICT (addr) DO UPDATE SET "
	    "note = excluded.note, created = excluded.created" },
	[STORE_ALLOW_DEL] = { "allow_del",
	    "DELETE FROM allowlist WHERE addr = $1" },
	[STORE_ALLOW_EACH] = { "allow_each",
	    "SELECT " STORE_ALLOW_COLUMNS " FROM allowlist ORDER BY addr" },

	[STORE_CMD_ADD] = { "ban_cmd_add",
	    "INSERT INTO ban_cmds (" STORE_BAN_CMD_DATA ") "
	    "VALUES ($1, $2, $3, $4, $5) RETURNING id" },
	[STORE_CMD_EACH] = { "ban_cmd_each",
	    "SELECT " STORE_BAN_CMD_COLUMNS " FROM ban_cmds "
	    "WHERE id > $1 ORDER BY id" },
	[STORE_CMD_TRIM] = { "ban_cmd_trim",
	    "DELETE FROM ban_cmds WHERE created < $1" },

	/* ---- numbering data ---- */
	[STORE_NUM_COUNT_ALL] = { "num_count_all",
	    "SELECT (SELECT count(*) FROM num_ranges WHERE dataset "
	    "= " NUM_ACTIVE "), (SELECT count(*) FROM num_own), "
	    "(SELECT count(*) FROM num_exceptions), "
	    "(SELECT count(*) FROM sms_aliases), "
	    "(SELECT count(*) FROM robinson), "
	    "(SELECT count(*) FROM cid_blocks), "
	    "(SELECT value FROM meta WHERE key = '" STORE_META_NUM_GENERATION
	    "')" },
	[STORE_NUM_DATASET_NEW] = { "num_dataset_new",
	    "INSERT INTO num_datasets (" STORE_NUM_DATASET_DATA ") "
	    "VALUES ($1, $2, $3) RETURNING id" },
	[STORE_NUM_DATASET_GET] = { "num_dataset_get",
	    "SELECT " STORE_NUM_DATASET_COLUMNS " FROM num_datasets "
	    "WHERE id = " NUM_ACTIVE },
	[STORE_NUM_DATASET_FINISH] = { "num_dataset_finish",
	    "UPDATE num_datasets SET created = $2, nrows = $3 WHERE id = $1" },
	[STORE_NUM_DATASET_DROP_OLD] = { "num_dataset_drop_old",
	    "DELETE FROM num_datasets WHERE id <> $1" },
	[STORE_NUM_RANGE_BULK] = { "num_range_bulk",
	    "INSERT INTO num_ranges (dataset, seq, " STORE_NUM_RANGE_COLUMNS
	    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
	    "num_ranges (dataset, seq, " STORE_NUM_RANGE_COLUMNS ")" },
	[STORE_NUM_RANGE_DROP_OLD] = { "num_range_drop_old",
	    "DELETE FROM num_ranges WHERE dataset <> $1" },
	[STORE_NUM_RANGE_EACH] = { "num_range_each",
	    "SELECT " STORE_NUM_RANGE_COLUMNS " FROM num_ranges "
	    "WHERE dataset = " NUM_ACTIVE " ORDER BY seq" },

	[STORE_NUM_OWN_PUT] = { "num_own_put",
	    "INSERT INTO num_own (" STORE_NUM_OWN_COLUMNS ") "
	    "VALUES ($1, $2, $3) ON CONFLICT (digits, kind) DO UPDATE SET "
	    "note = excluded.note" },
	[STORE_NUM_OWN_BULK] = { "num_own_bulk",
	    "INSERT INTO num_own (" STORE_NUM_OWN_COLUMNS ") "
	    "VALUES ($1, $2, $3)",
	    "num_own (" STORE_NUM_OWN_COLUMNS ")" },
	[STORE_NUM_OWN_DEL] = { "num_own_del",
	    "DELETE FROM num_own WHERE digits = $1 AND kind = $2" },
	[STORE_NUM_OWN_CLEAR] = { "num_own_clear", "DELETE FROM num_own" },
	[STORE_NUM_OWN_EACH] = { "num_own_each",
	    "SELECT " STORE_NUM_OWN_COLUMNS " FROM num_own "
	    "ORDER BY digits, kind" },

	[STORE_NUM_EXC_ADD] = { "num_exception_add",
	    "INSERT INTO num_exceptions (" STORE_NUM_EXC_DATA ") "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id" },
	[STORE_NUM_EXC_DEL] = { "num_exception_del",
	    "DELETE FROM num_exceptions WHERE id = $1" },
	[STORE_NUM_EXC_EACH] = { "num_exception_each",
	    "SELECT " STORE_NUM_EXC_COLUMNS " FROM num_exceptions "
	    "ORDER BY digits, id" },

	[STORE_SMS_ALIAS_PUT] = { "sms_alias_put",
	    "INSERT INTO sms_aliases (" STORE_SMS_ALIAS_COLUMNS ") "
	    "VALUES ($1, $2, $3, $4) ON CONFLICT (alias) DO UPDATE SET "
	    "pros = excluded.pros, valid_from = excluded.valid_from, "
	    "valid_to = excluded.valid_to" },
	[STORE_SMS_ALIAS_BULK] = { "sms_alias_bulk",
	    "INSERT INTO sms_aliases (" STORE_SMS_ALIAS_COLUMNS ") "
	    "VALUES ($1, $2, $3, $4)",
	    "sms_aliases (" STORE_SMS_ALIAS_COLUMNS ")" },
	[STORE_SMS_ALIAS_DEL] = { "sms_alias_del",
	    "DELETE FROM sms_aliases WHERE alias = $1" },
	[STORE_SMS_ALIAS_CLEAR] = { "sms_alias_clear",
	    "DELETE FROM sms_aliases" },
	[STORE_SMS_ALIAS_EACH] = { "sms_alias_each",
	    "SELECT " STORE_SMS_ALIAS_COLUMNS " FROM sms_aliases "
	    "ORDER BY alias" },

	[STORE_ROBINSON_PUT] = { "robinson_put",
	    "INSERT INTO robinson (hash) VALUES ($1) "
	    "ON CONFLICT (hash) DO NOTHING" },
	[STORE_ROBINSON_BULK] = { "robinson_bulk",
	    "INSERT INTO robinson (hash) VALUES ($1)", "robinson (hash)" },
	[STORE_ROBINSON_DEL] = { "robinson_del",
	    "DELETE FROM robinson WHERE hash = $1" },
	[STORE_ROBINSON_CLEAR] = { "robinson_clear", "DELETE FROM robinson" },
	[STORE_ROBINSON_EACH] = { "robinson_each",
	    "SELECT " STORE_ROBINSON_COLUMNS " FROM robinson ORDER BY hash" },

	/*
	 * Saturating: SQLite would turn an overflowing sum into a REAL,
	 * PostgreSQL would fail the transaction.
	 */
	[STORE_CID_BLOCK_ADD] = { "cid_block_add",
	    "INSERT INTO cid_blocks (" STORE_CID_BLOCK_COLUMNS ") "
	    "VALUES ($1, $2, $3, $4, $5) "
	    "ON CONFLICT (day, rule, channel, trunk) DO UPDATE SET count = "
	    "CASE WHEN cid_blocks.count > 9223372036854775807 - "
	    "excluded.count THEN 9223372036854775807 "
	    "ELSE cid_blocks.count + excluded.count END" },
	[STORE_CID_BLOCK_EACH] = { "cid_block_each",
	    "SELECT " STORE_CID_BLOCK_COLUMNS " FROM cid_blocks "
	    "WHERE day >= $1 AND day <= $2 "
	    "ORDER BY day, rule, channel, trunk" },

	/* ---- alerts ---- */
	[STORE_ALERT_ADD] = { "alert_add",
	    "INSERT INTO alerts (" STORE_ALERT_COLUMNS ") "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
	    "ON CONFLICT (id) DO NOTHING" },
	[STORE_ALERT_GET] = { "alert_get",
	    "SELECT " STORE_ALERT_COLUMNS " FROM alerts WHERE id = $1" },
	/* Saturating, like the blocking counters. */
	[STORE_ALERT_REPEAT] = { "alert_repeat",
	    "UPDATE alerts SET repeats = CASE WHEN repeats > "
	    "9223372036854775807 - $2 THEN 9223372036854775807 "
	    "ELSE repeats + $2 END WHERE id = $1" },
	/* The newest $4 of the range, oldest first. */
	[STORE_ALERT_EACH] = { "alert_each",
	    "SELECT " STORE_ALERT_COLUMNS " FROM (SELECT " STORE_ALERT_COLUMNS
	    " FROM alerts WHERE ts >= $1 AND ts < $2 AND severity >= $3 "
	    "ORDER BY ts DESC, id DESC LIMIT $4) AS a ORDER BY ts, id" },
	[STORE_ALERT_DLV_ADD] = { "alert_delivery_add",
	    "INSERT INTO alert_deliveries (" STORE_ALERT_DLV_COLUMNS ") "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7) "
	    "ON CONFLICT (alert, channel) DO NOTHING" },
	[STORE_ALERT_DLV_GET] = { "alert_delivery_get",
	    "SELECT " STORE_ALERT_DLV_COLUMNS " FROM alert_deliveries "
	    "WHERE alert = $1 AND channel = $2" },
	[STORE_ALERT_DLV_EACH] = { "alert_delivery_each",
	    "SELECT " STORE_ALERT_DLV_COLUMNS " FROM alert_deliveries "
	    "WHERE alert = $1 ORDER BY channel" },
	[STORE_ALERT_DUE] = { "alert_due",
	    "SELECT a.id, a.ts, a.severity, a.rule, a.subject, a.text, "
	    "a.node, a.repeats, d.alert, d.channel, d.state, d.attempts, "
	    "d.next_try, d.updated, d.last_error "
	    "FROM alert_deliveries AS d JOIN alerts AS a ON a.id = d.alert "
	    "WHERE d.state = 'pending' AND d.next_try <= $1 "
	    "ORDER BY d.next_try, d.alert, d.channel LIMIT $2" },
	[STORE_ALERT_NEXT_DUE] = { "alert_next_due",
	    "SELECT next_try FROM alert_deliveries WHERE state = 'pending' "
	    "ORDER BY next_try LIMIT 1" },
	/* A compare-and-set: only one router takes a due delivery. */
	[STORE_ALERT_DLV_CLAIM] = { "alert_delivery_claim",
	    "UPDATE alert_deliveries SET attempts = attempts + 1, "
	    "next_try = $4, updated = $3 "
	    "WHERE alert = $1 AND channel = $2 AND state = 'pending' "
	    "AND next_try <= $3" },
	[STORE_ALERT_DLV_UPDATE] = { "alert_delivery_update",
	    "UPDATE alert_deliveries SET state = $3, next_try = $4, "
	    "updated = $5, last_error = $6 "
	    "WHERE alert = $1 AND channel = $2" },
	[STORE_ALERT_TRIM_DLV] = { "alert_trim_deliveries",
	    "DELETE FROM alert_deliveries WHERE alert IN (SELECT id FROM "
	    "alerts WHERE ts < $1 AND NOT EXISTS (SELECT 1 FROM "
	    "alert_deliveries AS p WHERE p.alert = alerts.id AND "
	    "p.state = 'pending'))" },
	[STORE_ALERT_TRIM] = { "alert_trim",
	    "DELETE FROM alerts WHERE ts < $1 AND NOT EXISTS (SELECT 1 FROM "
	    "alert_deliveries WHERE alert_deliveries.alert = alerts.id)" },

	/* ---- fraud subjects ---- */
	[STORE_FRAUD_PUT] = { "fraud_put",
	    "INSERT INTO fraud_subjects (" STORE_FRAUD_COLUMNS ") "
	    "VALUES ($1, $2, $3, $4, $5) "
	    "ON CONFLICT (kind, name) DO UPDATE SET "
	    "suspended = excluded.suspended, updated = excluded.updated, "
	    "state = excluded.state" },
	[STORE_FRAUD_GET] = { "fraud_get",
	    "SELECT " STORE_FRAUD_COLUMNS " FROM fraud_subjects "
	    "WHERE kind = $1 AND name = $2" },
	[STORE_FRAUD_DEL] = { "fraud_del",
	    "DELETE FROM fraud_subjects WHERE kind = $1 AND name = $2" },
	[STORE_FRAUD_EACH] = { "fraud_each",
	    "SELECT " STORE_FRAUD_COLUMNS " FROM fraud_subjects "
	    "ORDER BY kind, name" },
	/*
	 * One statement, so that of two daemons polling one PostgreSQL
	 * only one gets each name: the second UPDATE waits for the
	 * first's row locks, then finds the flag cleared. An account
	 * subject is named username || '@' || domain, the account key.
	 */
	[STORE_FRAUD_RESUMED] = { "fraud_resumed",
	    "UPDATE fraud_subjects SET suspended = 0 "
	    "WHERE kind = 0 AND suspended = 1 AND EXISTS (SELECT 1 FROM "
	    "accounts WHERE accounts.status = 0 AND accounts.username || "
	    "'@' || accounts.domain = fraud_subjects.name) RETURNING name" },
	[STORE_FRAUD_SUSPEND_ACCOUNT] = { "fraud_suspend_account",
	    "UPDATE accounts SET status = 1 "
	    "WHERE username = $1 AND domain = $2" },
	[STORE_FRAUD_SUSPEND_SUBJECT] = { "fraud_suspend_subject",
	    "UPDATE fraud_subjects SET suspended = 1 "
	    "WHERE kind = 0 AND name = $1" },

	/* ---- provisioned devices ---- */
	[STORE_DEV_ADD] = { "device_add",
	    "INSERT INTO devices (" STORE_DEVICE_COLUMNS ") "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
	    "ON CONFLICT (mac) DO NOTHING" },
	[STORE_DEV_GET] = { "device_get",
	    "SELECT " STORE_DEVICE_COLUMNS " FROM devices WHERE mac = $1" },
	[STORE_DEV_DEL] = { "device_del",
	    "DELETE FROM devices WHERE mac = $1" },
	[STORE_DEV_EACH] = { "device_each",
	    "SELECT " STORE_DEVICE_COLUMNS " FROM devices ORDER BY mac" },
	[STORE_DEV_OF] = { "device_of",
	    "SELECT " STORE_DEVICE_COLUMNS " FROM devices "
	    "WHERE username = $1 AND domain = $2 ORDER BY mac LIMIT 1" },
	/*
	 * One statement: the comparison with the account's box and the
	 * update see the same row, so a rotation that commits between
	 * the service's read and this write keeps the device pending.
	 */
	[STORE_DEV_FETCHED] = { "device_fetched",
	    "UPDATE devices SET last_fetch = $2, last_source = $3, "
	    "fetches = CASE WHEN fetches >= 4294967295 THEN fetches "
	    "ELSE fetches + 1 END, "
	    "pending = CASE WHEN EXISTS (SELECT 1 FROM accounts WHERE "
	    "accounts.username = devices.username AND "
	    "accounts.domain = devices.domain AND "
	    "accounts.secret_box = $4) THEN 0 ELSE pending END "
	    "WHERE mac = $1" },
	[STORE_DEV_PENDING] = { "device_pending",
	    "UPDATE devices SET pending = 1 "
	    "WHERE username = $1 AND domain = $2" },
	[STORE_DEV_DEL_ACCOUNT] = { "device_del_account",
	    "DELETE FROM devices WHERE username = $1 AND domain = $2" },
};

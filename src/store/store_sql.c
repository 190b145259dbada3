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
const struct store_table store_i64 = TABLE("result", "value", "",
    STORE_ROW_I64, i64_cols, 0, false, int64_t);
/* clang-format on */

/* A whole struct goes out as parameters. */
_Static_assert(NCOLS(account_cols) <= STORE_PARAMS_MAX &&
	NCOLS(binding_cols) <= STORE_PARAMS_MAX &&
	NCOLS(ban_cols) <= STORE_PARAMS_MAX &&
	NCOLS(event_cols) <= STORE_PARAMS_MAX &&
	NCOLS(allow_cols) <= STORE_PARAMS_MAX &&
	NCOLS(cmd_cols) <= STORE_PARAMS_MAX,
    "STORE_PARAMS_MAX too small");

/* ---- statements ------------------------------------------------------------ */

/*
 * Parameters follow the column order of the tables, so a whole struct
 * binds as $1..$n with its key first. Walks come out in byte order on
 * both backends (SQLite's BINARY collation, PostgreSQL key columns
 * COLLATE "C").
 */
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
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
	    "ON CONFLICT (domain, username) DO NOTHING" },
	[STORE_ACC_GET] = { "account_get",
	    "SELECT " STORE_ACCOUNT_COLUMNS " FROM accounts "
	    "WHERE username = $1 AND domain = $2" },
	[STORE_ACC_UPDATE] = { "account_update",
	    "UPDATE accounts SET status = $3, ha1_md5 = $4, "
	    "ha1_sha256 = $5, pw_hash = $6, created = $7, "
	    "secret_rotated = $8, pw_changed = $9, max_contacts = $10, "
	    "allow_cidrs = $11 WHERE username = $1 AND domain = $2" },
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
};

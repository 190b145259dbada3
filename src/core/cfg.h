/*
 * core/cfg.h -- the daemon's configuration: load, check, free.
 *
 * The file is read with libconfig. cfg_load() builds a complete new
 * struct cfg and checks every value; on any error it reports each one
 * as "FILE:LINE: what is wrong" and returns EINVAL, leaving nothing
 * half-built. A running daemon keeps its old configuration until a new
 * one has loaded without error.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_CFG_H
#define CENTINELA_CORE_CFG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/cfg_alerts.h"
#include "core/cfg_fraud.h"
#include "core/cfg_media.h"
#include "core/cfg_prov.h"
#include "core/cfg_tls.h"
#include "core/reason.h"
#include "net/sa.h"
#include "sip/sip.h"

#define CFG_MAX_LISTEN 16
#define CFG_MAX_UPSTREAMS 32
#define CFG_MAX_PEERS 256
#define CFG_MAX_DENY 4096
#define CFG_MAX_FAILOVER_CODES 8
#define CFG_NAME_MAX 64
#define CFG_PATH_MAX 512
#define CFG_MAX_DOMAINS 32
#define CFG_DOMAIN_MAX 128

enum peer_role {
	ROLE_PUBLIC = 0,
	ROLE_PBX,
	ROLE_CARRIER,
	ROLE_CUSTOMER
};

const char *peer_role_name(enum peer_role r);

struct cfg_listen {
	enum sip_transport tp;
	struct sa addr;
	unsigned tls_profile; /* index into cfg->tls.profiles */
};

struct cfg_upstream {
	char name[CFG_NAME_MAX];
	char host[CFG_NAME_MAX]; /* numeric address */
	struct sa addr;
	enum sip_transport tp;
	unsigned priority;
	unsigned weight;
	unsigned tls_profile; /* client profile when tp is tls */
};

/*
 * What a peer's traffic is, for the caller-ID rules (Orden
 * TDF/149/2025 art. 5.4: international calls arrive on interfaces kept
 * apart from national ones). Every carrier and customer peer has one.
 */
enum peer_class {
	PEER_CLASS_NONE = 0,
	PEER_CLASS_NATIONAL, /* interconnect with a national operator */
	PEER_CLASS_INTERNATIONAL, /* international interconnect interface */
	PEER_CLASS_ACCESS /* the operator's own customers */
};

const char *peer_class_name(enum peer_class c);

#define PEER_F_COMMERCIAL 0x1u /* makes unsolicited commercial calls */
#define PEER_F_CUSTOMER_SERVICE 0x2u /* customer-service calls */
#define PEER_F_LEY_10_2025 0x4u /* company within Ley 10/2025 */
#define PEER_F_ROAMING 0x8u /* carries only roaming (confirms it) */

struct cfg_peer {
	char name[CFG_NAME_MAX];
	struct cidr cidr;
	enum peer_role role;
	enum peer_class pclass;
	unsigned flags; /* PEER_F_* */
	char provider[CFG_NAME_MAX]; /* SMS origin provider id (PRO) */
	unsigned tls_profile; /* client profile for connections to it */
	char tls_id[CFG_TLSID_MAX]; /* bound client certificate; "" none */
};

#define CFG_MAX_LADDER 8
#define CFG_MAX_ALLOW 1024
#define CFG_MAX_COUNTRIES 64
#define CFG_MAX_DNSBL 8
#define CFG_MAX_FEEDS 8
#define CFG_NROLES 4 /* enum peer_role */

/* What a trigger or policy does to a source that hits it. */
enum guard_action {
	GA_LOG = 0, /* tag: log and count, let the request through */
	GA_DROP, /* drop this request (or answer 403, see guard.answer) */
	GA_REJECT, /* answer 403 Forbidden */
	GA_BAN /* drop and put the source on the ban ladder */
};

const char *guard_action_name(enum guard_action a);

/* A counting trigger: "count" events within "window" seconds. */
struct cfg_trigger {
	bool enabled;
	bool shadow; /* log and count what it would do, block nothing */
	enum guard_action action;
	unsigned count;
	unsigned window; /* s */
};

/* Request-rate cap per source of one peer role (token bucket). */
struct cfg_flood {
	unsigned rate; /* requests per second; 0 = no cap */
	unsigned burst; /* bucket size */
	enum guard_action action; /* GA_DROP or GA_BAN (public only) */
};

/* GeoIP policy of one peer role. ISO 3166-1 alpha-2 codes. */
struct cfg_geo_policy {
	char allow[CFG_MAX_COUNTRIES][3]; /* empty: every country not denied */
	unsigned nallow;
	char deny[CFG_MAX_COUNTRIES][3];
	unsigned ndeny;
	enum guard_action action; /* for a country not allowed */
	enum guard_action unknown; /* no country in the database */
};

/* One DNS blocklist zone, queried as reversed-address.zone (A record). */
struct cfg_dnsbl_zone {
	char zone[CFG_DOMAIN_MAX];
	enum guard_action action; /* GA_LOG (tag), GA_REJECT or GA_BAN */
	bool roles[CFG_NROLES]; /* peer roles whose sources are checked */
};

enum feed_format {
	FEED_PLAIN = 0, /* one address or CIDR per line, '#' comments */
	FEED_RBLDNSD, /* rbldnsd ip4set / ip6trie zone data */
	FEED_JSON, /* centinela's JSON export: {"bans":[{"addr":...}]} */
	FEED_APIBAN /* APIBan: {"ipaddress":[...],"ID":"..."} */
};

/* A remote list imported on a schedule. */
struct cfg_feed {
	char name[CFG_NAME_MAX];
	char url[CFG_PATH_MAX]; /* http:// or https:// */
	enum feed_format format;
	unsigned interval; /* s between fetches */
	unsigned ban_for; /* s: how long an imported entry stays banned */
};

struct cfg_guard {
	bool shadow; /* whole guard: log and count only */
	bool answer_403; /* banned / scanner sources: 403, not silence */
	unsigned ladder[CFG_MAX_LADDER]; /* ban durations, s */
	unsigned nladder; /* the last rung repeats */
	unsigned memory; /* s: strikes remembered after a ban ends */
	unsigned v6_prefix; /* IPv6 bans cover this prefix length */
	unsigned max_sources; /* trigger state kept for this many sources */
	struct cidr allow[CFG_MAX_ALLOW]; /* never banned nor guarded */
	unsigned nallow;

	/* Triggers. auth_failures.count is per source IP and user name
	 * when auth_per_user, and auth_ip_count counts all user names of
	 * one source together (0 = off). */
	struct cfg_trigger auth_failures;
	bool auth_per_user;
	unsigned auth_ip_count;
	struct cfg_trigger enumeration; /* count: distinct user names */
	struct cfg_trigger malformed;
	struct cfg_trigger scanner; /* count, window unused */
	struct cfg_flood flood[CFG_NROLES];
	bool flood_shadow;

	char signatures[CFG_PATH_MAX]; /* "" = the embedded signature file */

	char geo_db[CFG_PATH_MAX]; /* MaxMind country .mmdb; "" = off */
	struct cfg_geo_policy geo[CFG_NROLES];
	bool geo_shadow;

	struct cfg_dnsbl_zone dnsbl[CFG_MAX_DNSBL];
	unsigned ndnsbl;
	char dnsbl_servers[CFG_PATH_MAX]; /* "ip[:port],..."; "" = system */
	unsigned dnsbl_timeout; /* ms */
	bool dnsbl_fail_closed; /* on timeout/error: treat as listed */
	unsigned dnsbl_cache_max; /* cached addresses at most */
	bool dnsbl_shadow;

	bool nft; /* mirror bans into an nftables set */
	char nft_table[CFG_NAME_MAX]; /* table in family inet */

	struct cfg_feed feeds[CFG_MAX_FEEDS];
	unsigned nfeeds;
};

/* The caller-ID rules (callerid/rules.c), each with a reason code. */
#define CID_RULE_LIST(X)                                                     \
	X(CID_EMPTY, REASON_CID_EMPTY, "2025-03-07")                         \
	X(CID_PLAN, REASON_CID_PLAN, "2025-03-07")                           \
	X(CID_UNASSIGNED, REASON_CID_UNASSIGNED, "2025-03-07")               \
	X(CID_OWN_UNALLOCATED, REASON_CID_OWN_UNALLOCATED, "2025-03-07")     \
	X(CID_OWN_FOREIGN, REASON_CID_OWN_FOREIGN, "2025-03-07")             \
	X(CID_INTL_SPANISH, REASON_CID_INTL_SPANISH, "2025-06-07")           \
	X(CID_ALIAS_UNKNOWN, REASON_CID_ALIAS_UNKNOWN, "2026-09-15")         \
	X(CID_ALIAS_PRO, REASON_CID_ALIAS_PRO, "2026-09-15")                 \
	X(CID_MOBILE_COMMERCIAL, REASON_CID_MOBILE_COMMERCIAL, "2025-06-07") \
	X(CID_400_ONLY, REASON_CID_400_ONLY, "2026-10-17")                   \
	X(CID_400_DEST, REASON_CID_400_DEST, "2026-04-17")                   \
	X(CID_ROBINSON, REASON_CID_ROBINSON, "2023-01-01")                   \
	X(CID_FR_MAN, REASON_CID_FR_MAN, "2024-10-01")                       \
	X(CID_FR_MASK, REASON_CID_FR_MASK, "2026-01-01")

enum cid_rule {
#define CID_RULE_ENUM(e, r, d) e,
	CID_RULE_LIST(CID_RULE_ENUM)
#undef CID_RULE_ENUM
	CID__COUNT
};

/* One rule's switch: off, shadow (log and count) or enforce, by date. */
struct cfg_cid_rule {
	bool enabled;
	bool shadow;
	int64_t from; /* unix seconds: in force from this date (UTC) */
};

/* a Spanish number from abroad whose roaming is not confirmed. */
enum cid_roaming {
	CID_ROAMING_BLOCK = 0,
	CID_ROAMING_MARK, /* pass, verstat=No-TN-Validation on the PAI */
	CID_ROAMING_WITHHOLD /* pass with the number withheld */
};

struct cfg_callerid {
	bool enabled;
	bool shadow; /* every rule: log and count only */
	char plan[CFG_PATH_MAX]; /* "" = the embedded etc/numplan.conf */
	bool bare_cc; /* "34911..." without + is international */
	uint16_t status; /* answer to a blocked call, 608 */
	char phrase[CFG_NAME_MAX];
	bool reason_header; /* Reason: SIP;cause=608;text="ES-A5.1" */
	enum cid_roaming roaming;
	char roaming_header[CFG_NAME_MAX]; /* its presence confirms roaming */
	bool ported_out_is_own; /* R-07 also for numbers ported out */
	bool no_data_pass; /* no register loaded: R-05 passes */
	struct cfg_cid_rule rules[CID__COUNT];

	/* Lista Robinson for calls from commercial peers. */
	char robinson_url[CFG_PATH_MAX]; /* "" = the local list only */
	unsigned robinson_timeout; /* ms */
	bool robinson_fail_open; /* lookup failed: place the call */
	unsigned robinson_cache; /* s an answer is kept */
	char robinson_region[CFG_NAME_MAX]; /* AWS SigV4: "eu-west-1" */
	char robinson_service[CFG_NAME_MAX]; /* AWS SigV4: "execute-api" */
	unsigned robinson_batch; /* hashes per request */
	unsigned robinson_inflight; /* requests running at once */
	unsigned robinson_cache_max; /* answers kept */

	unsigned report_flush; /* s between block-counter writes */
};

/* STIR/SHAKEN (RFC 8224, 8588): verification and signing by peer class. */
#define CFG_STIR_CRL_MAX 8
#define CFG_STIR_PORTS_MAX 8
#define CFG_STIR_ALLOW_MAX 32

struct cfg_stir {
	bool verify_class[4]; /* enum peer_class whose calls are verified */
	bool verify_required; /* no Identity: 428 (else pass, unverified) */
	bool verify_continue; /* failure: pass marked failed + Reason */
	bool verify_shadow;
	char roots[CFG_PATH_MAX]; /* STI-CA roots, PEM file */
	char roots_dir[CFG_PATH_MAX];
	char crl[CFG_STIR_CRL_MAX][CFG_PATH_MAX];
	unsigned ncrl;
	char https_ca[CFG_PATH_MAX]; /* CAs for fetching x5u; "" system */
	unsigned freshness; /* s */
	uint16_t ports[CFG_STIR_PORTS_MAX];
	unsigned nports;
	struct cidr fetch_allow[CFG_STIR_ALLOW_MAX];
	unsigned nfetch_allow;
	unsigned cache_max;
	bool cn_lax;
	bool strict_params; /* France MAN: Identity alg/ppt required */
	unsigned fetch_timeout; /* ms */

	bool sign_class[4]; /* enum peer_class whose calls are signed */
	char sign_key[CFG_PATH_MAX]; /* EC P-256 private key, PEM */
	char sign_x5u[CFG_PATH_MAX]; /* https URL of our certificate */
};

struct cfg {
	unsigned workers;

	struct cfg_listen listen[CFG_MAX_LISTEN];
	unsigned nlisten;

	struct cfg_tls tls;

	struct sip_limits limits;

	unsigned tcp_max_conns;
	unsigned tcp_max_conns_per_ip;
	unsigned tcp_idle_timeout; /* ms */
	unsigned tcp_header_timeout; /* ms */
	unsigned tcp_connect_timeout; /* ms */

	unsigned udp_coalesce_us; /* longest pause to gather datagrams; 0 off */

	bool reply_to_source;
	bool record_route;
	bool answer_options;
	char server_header[CFG_NAME_MAX];

	unsigned t1, t2, timer_b, timer_f; /* ms */
	unsigned failover_timeout; /* ms */
	unsigned trying_delay; /* ms; 100 Trying unless answered sooner */
	uint16_t failover_codes[CFG_MAX_FAILOVER_CODES];
	unsigned nfailover_codes;

	struct cfg_upstream upstreams[CFG_MAX_UPSTREAMS];
	unsigned nupstreams;

	unsigned probe_interval; /* ms */
	unsigned probe_timeout; /* ms */
	unsigned probe_failures_down;
	unsigned probe_successes_up;

	struct cfg_peer peers[CFG_MAX_PEERS];
	unsigned npeers;

	struct cidr deny[CFG_MAX_DENY];
	unsigned ndeny;

	bool sanity_drop;

	int log_format; /* enum log_format */
	int log_level; /* enum log_level */

	struct sa metrics_addr;
	uint16_t metrics_port; /* 0: disabled */

	/* Domains we are registrar for; domains[0] is the default realm. */
	char domains[CFG_MAX_DOMAINS][CFG_DOMAIN_MAX];
	unsigned ndomains;

	char store_uri[CFG_PATH_MAX];
	unsigned store_poll; /* ms */

	int auth_algs[2]; /* enum digest_alg, challenge order */
	unsigned nauth_algs;
	unsigned nonce_lifetime; /* s */
	unsigned nonce_windows; /* nonces tracked for replay protection */

	bool registrar_local; /* false: REGISTER goes to the upstreams */
	unsigned reg_min_expires; /* s */
	unsigned reg_max_expires;
	unsigned reg_default_expires;
	unsigned reg_max_contacts;
	unsigned reg_nat_ping; /* s, 0 = off */

	struct cfg_guard guard;
	struct cfg_callerid callerid;
	struct cfg_stir stir;
	struct cfg_alerts alerts;
	struct cfg_fraud fraud;
	struct cfg_media media;
	struct cfg_prov prov;
};

/*
 * Load and check a configuration. "path" NULL means the embedded
 * default. Errors go to "errf" as "FILE:LINE: message", one per line.
 * Returns 0 with *cfgp set (caller owns; cfg_free() it), or EINVAL.
 */
int cfg_load(struct cfg **cfgp, const char *path, FILE *errf);
void cfg_free(struct cfg *cfg);
/* Role of a source address according to the peer list. */
enum peer_role cfg_peer_role(const struct cfg *cfg, const struct sa *src);
/* The peer entry of a source address, or NULL (public). */
const struct cfg_peer *cfg_peer_find(
    const struct cfg *cfg, const struct sa *src);
/*
 * The configured domain equal (case-insensitively) to "host", or NULL
 * when "host" is not one of ours.
 */
const char *cfg_domain(const struct cfg *cfg, struct str host);
/* The realm for "host": the domain it names, else the first domain. */
const char *cfg_realm(const struct cfg *cfg, struct str host);

/*
 * A duration: a number with a unit ("30s", "5m", "1h", "1d", "7d",
 * "2w"); a bare number is seconds. 0 or EINVAL (also on overflow past
 * ten years).
 */
int cfg_duration_parse(const char *s, unsigned *secs);
/* The caller-ID settings' defaults (core/cfg_callerid.c). */
void cfg_callerid_defaults(struct cfg_callerid *c);

/* The embedded default configuration (etc/centinela.conf). */
extern const unsigned char default_conf[];
extern const size_t default_conf_len;

#endif /* CENTINELA_CORE_CFG_H */

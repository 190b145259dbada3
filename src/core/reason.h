/*
 * core/reason.h -- the one reason-code enum of the whole program.
 *
 * Every rejection, drop or notable event carries one of these codes.
 * Codes are stable names (they appear in logs, metrics and reports):
 * append new ones, never renumber or rename.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_REASON_H
#define CENTINELA_CORE_REASON_H

#include "core/str.h"

/* X(enum, "name", "human description") */
#define REASON_LIST(X)                                                         \
	X(REASON_NONE, "none", "no reason")                                    \
	X(REASON_PARSE_ERROR, "parse_error", "malformed SIP message")          \
	X(REASON_MSG_TOO_BIG, "msg_too_big", "message exceeds a limit")        \
	X(REASON_DENY_LIST, "deny_list", "source on the static deny list")     \
	X(REASON_MISSING_HEADER, "missing_header", "mandatory header missing") \
	X(REASON_CSEQ_MISMATCH, "cseq_mismatch",                               \
	    "CSeq method differs from request method")                         \
	X(REASON_MAX_FORWARDS, "max_forwards", "Max-Forwards exhausted")       \
	X(REASON_CONTENT_LENGTH, "content_length",                             \
	    "Content-Length inconsistent")                                     \
	X(REASON_BAD_VIA, "bad_via", "Via header malformed")                   \
	X(REASON_LOOP, "loop", "request loops through this proxy")             \
	X(REASON_NO_UPSTREAM, "no_upstream", "no upstream available")          \
	X(REASON_UPSTREAM_TIMEOUT, "upstream_timeout",                         \
	    "upstream did not answer")                                         \
	X(REASON_UNSUPPORTED_URI, "unsupported_uri",                           \
	    "Request-URI scheme not supported")                                \
	X(REASON_BAD_ROUTE, "bad_route", "Route header unusable")              \
	X(REASON_CONN_LIMIT, "conn_limit", "connection limit reached")         \
	X(REASON_STREAM_GARBAGE, "stream_garbage",                             \
	    "garbage on a stream connection")                                  \
	X(REASON_HEADER_TIMEOUT, "header_timeout",                             \
	    "message not completed in time (slowloris)")                       \
	X(REASON_IDLE_TIMEOUT, "idle_timeout", "connection idle too long")     \
	X(REASON_TLS_HANDSHAKE, "tls_handshake", "TLS handshake failed")       \
	X(REASON_SEND_FAILED, "send_failed", "could not send")                 \
	X(REASON_STRAY_RESPONSE, "stray_response",                             \
	    "response matches no Via of ours")                                 \
	X(REASON_UNSUPPORTED_TRANSPORT, "unsupported_transport",               \
	    "no listener for the transport")                                   \
	X(REASON_OVERLOAD, "overload", "resource exhausted")                   \
	X(REASON_BAD_EXTENSION, "bad_extension",                               \
	    "Proxy-Require names an unsupported extension")                    \
	X(REASON_AUTH_REQUIRED, "auth_required", "no credentials: challenged") \
	X(REASON_AUTH_WRONG_SECRET, "wrong_secret", "digest response wrong")   \
	X(REASON_AUTH_UNKNOWN_USER, "unknown_user", "no such account")         \
	X(REASON_AUTH_STALE_NONCE, "stale_nonce", "nonce expired")             \
	X(REASON_AUTH_REPLAY, "replay", "nonce-count already used")            \
	X(REASON_AUTH_BAD_REALM, "bad_realm", "credentials for another realm") \
	X(REASON_AUTH_BAD_NONCE, "bad_nonce",                                  \
	    "nonce not ours, forged or from another address")                  \
	X(REASON_AUTH_MALFORMED, "bad_credentials",                            \
	    "credentials malformed or unsupported")                            \
	X(REASON_AUTH_SUSPENDED, "suspended", "account suspended")             \
	X(REASON_AUTH_SOURCE, "source_not_allowed",                            \
	    "source address not allowed for the account")                      \
	X(REASON_AUTH_IDENTITY, "identity_mismatch",                           \
	    "authenticated user differs from the To/From user")                \
	X(REASON_REG_TOO_BRIEF, "interval_too_brief",                          \
	    "registration expiry below the minimum")                           \
	X(REASON_REG_TOO_MANY, "too_many_contacts",                            \
	    "account contact limit reached")                                   \
	X(REASON_REG_BAD_CONTACT, "bad_contact", "Contact unusable")           \
	X(REASON_REG_OUT_OF_ORDER, "out_of_order",                             \
	    "REGISTER CSeq not above the binding's")                           \
	X(REASON_NOT_REGISTERED, "not_registered",                             \
	    "user unknown or not registered")                                  \
	X(REASON_EXPIRED, "expired", "binding expired")                        \
	X(REASON_BANNED, "banned", "source is banned")                         \
	X(REASON_SCANNER, "scanner", "scanner signature matched")              \
	X(REASON_BRUTE_FORCE, "brute_force",                                   \
	    "too many failed authentications")                                 \
	X(REASON_ENUMERATION, "enumeration",                                   \
	    "many user names tried from one source")                           \
	X(REASON_FLOOD, "flood", "request rate over the limit")                \
	X(REASON_MALFORMED_BURST, "malformed_burst",                           \
	    "malformed messages from one source")                              \
	X(REASON_GEOIP, "geoip", "country not allowed")                        \
	X(REASON_DNSBL, "dnsbl", "source on a DNS blocklist")                  \
	X(REASON_FEED, "feed", "source on an imported ban list")               \
	X(REASON_MANUAL, "manual", "banned by an operator")                    \
	X(REASON_CID_EMPTY, "ES-A4.1-EMPTY", "calling number empty")           \
	X(REASON_CID_PLAN, "ES-A4.1-PLAN",                                     \
	    "calling number attributed to no service or not in the plan")      \
	X(REASON_CID_UNASSIGNED, "ES-A4.2",                                    \
	    "calling number in a range assigned to no operator")               \
	X(REASON_CID_OWN_UNALLOCATED, "ES-A4.3",                               \
	    "own number not given to any customer")                            \
	X(REASON_CID_OWN_FOREIGN, "ES-A4.4",                                   \
	    "own number arriving from another network")                        \
	X(REASON_CID_INTL_SPANISH, "ES-A5.1",                                  \
	    "Spanish calling number from abroad, not roaming")                 \
	X(REASON_CID_ALIAS_UNKNOWN, "ES-A8-ALIAS",                             \
	    "SMS sender alias not in the alias register")                      \
	X(REASON_CID_ALIAS_PRO, "ES-A8-PRO",                                   \
	    "SMS alias from a provider not enabled for it")                    \
	X(REASON_CID_MOBILE_COMMERCIAL, "ES-A9-MOBILE",                        \
	    "mobile number used for a commercial or customer-service call")    \
	X(REASON_CID_400_ONLY, "ES-R400-ONLY",                                 \
	    "commercial call not from the 400 range")                          \
	X(REASON_CID_400_DEST, "ES-R400-DEST", "call to a 400 number")         \
	X(REASON_CID_ROBINSON, "ROBINSON",                                     \
	    "called number on the Lista Robinson")                             \
	X(REASON_CID_FR_MAN, "FR-MAN",                                         \
	    "call to France with a French number and no valid MAN Identity")   \
	X(REASON_CID_FR_MASK, "FR-MASK",                                       \
	    "French mobile number from abroad, not authenticated")             \
	X(REASON_STIR_428, "STIR-428", "no Identity header")                   \
	X(REASON_STIR_436, "STIR-436", "Identity info unusable")               \
	X(REASON_STIR_437, "STIR-437", "STIR credential not supported")        \
	X(REASON_STIR_438, "STIR-438", "Identity header invalid")              \
	X(REASON_STIR_403, "STIR-403", "Identity stale (Date or iat)")         \
	X(REASON_STIR_400, "STIR-400", "request malformed for STIR")           \
	X(REASON_FRAUD_CPM, "FRAUD-CPM", "too many calls in a minute")         \
	X(REASON_FRAUD_CPH, "FRAUD-CPH", "too many calls in an hour")          \
	X(REASON_FRAUD_CPD, "FRAUD-CPD", "too many calls in a day")            \
	X(REASON_FRAUD_CONCURRENT, "FRAUD-CONCURRENT",                         \
	    "too many calls up at once")                                       \
	X(REASON_FRAUD_DISTINCT, "FRAUD-DISTINCT",                             \
	    "too many distinct numbers called in an hour")                     \
	X(REASON_FRAUD_SAME_NUMBER, "FRAUD-SAME-NUMBER",                       \
	    "too many calls in a row to the same number")                      \
	X(REASON_FRAUD_MINUTES_H, "FRAUD-MINUTES-H",                           \
	    "too many call minutes in an hour")                                \
	X(REASON_FRAUD_MINUTES_D, "FRAUD-MINUTES-D",                           \
	    "too many call minutes in a day")                                  \
	X(REASON_FRAUD_COST_H, "FRAUD-COST-H",                                 \
	    "estimated call cost in an hour too high")                         \
	X(REASON_FRAUD_COST_D, "FRAUD-COST-D",                                 \
	    "estimated call cost in a day too high")                           \
	X(REASON_FRAUD_BLOCKED_CLASS, "FRAUD-BLOCKED-CLASS",                   \
	    "call to a blocked destination class")                             \
	X(REASON_FRAUD_FIRST_USE, "FRAUD-FIRST-USE",                           \
	    "first call ever to a watched destination class")                  \
	X(REASON_FRAUD_HOURS, "FRAUD-HOURS", "call outside the allowed hours") \
	X(REASON_FRAUD_BASELINE, "FRAUD-BASELINE",                             \
	    "call rate far above the usual for this hour of the week")         \
	X(REASON_FRAUD_SUSPENDED, "FRAUD-SUSPENDED",                           \
	    "account suspended by the fraud rules")                            \
	X(REASON_TLS_REQUIRED, "tls_required",                                 \
	    "REGISTER or INVITE not over TLS where the policy requires it")    \
	X(REASON_TLS_CERT, "tls_cert",                                         \
	    "client certificate missing, unknown or bound to no one")          \
	X(REASON_AUTH_CERT, "auth_cert",                                       \
	    "account bound to a client certificate the connection lacks")      \
	X(REASON_SDP_MALFORMED, "sdp_malformed",                               \
	    "SDP body malformed or over a parser limit")                       \
	X(REASON_MEDIA_UNENCRYPTED, "media_unencrypted",                       \
	    "media offer not encrypted where the policy requires it")          \
	X(REASON_MEDIA_KEYS_EXPOSED, "media_keys_exposed",                     \
	    "SDES keys would cross an unencrypted hop")                        \
	X(REASON_MEDIA_ANCHOR, "media_anchor_failed",                          \
	    "rtpengine did not anchor the media")                              \
	X(REASON_MEDIA_TIMEOUT, "media_timeout",                               \
	    "media stopped flowing; the call was ended")                       \
	X(REASON_MEDIA_UNSUPPORTED, "media_unsupported",                       \
	    "session description this edge cannot police")                     \
	X(REASON_PROV_UNKNOWN_MAC, "prov_unknown_mac",                         \
	    "provisioning asked for MAC addresses bound to no device")         \
	X(REASON_MEDIA_CALL_ENDED, "media_call_ended",                         \
	    "a late copy of the INVITE of a call already ended")               \
	X(REASON_MEDIA_CALL_CONFLICT, "media_call_conflict",                   \
	    "the Call-ID is anchored for another dialog")

enum reason {
#define REASON_ENUM(e, n, d) e,
	REASON_LIST(REASON_ENUM)
#undef REASON_ENUM
	REASON__COUNT
};

/* Stable short name, e.g. "deny_list". */
const char *reason_name(enum reason r);
/* The code named "name" (exact). 0 or EINVAL. */
int reason_parse(struct str name, enum reason *r);
/* One-line human description. */
const char *reason_text(enum reason r);

#endif /* CENTINELA_CORE_REASON_H */

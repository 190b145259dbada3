/*
 * sip/sip.h -- SIP message model, zero-copy parser, URI and header
 * decoders, and message builders (RFC 3261 sections 7, 19, 20, 25;
 * RFC 3581).
 *
 * Every view in a struct sip_msg points into the buffer handed to
 * sip_parse(); nothing is allocated and nothing is written into that
 * buffer. The message is valid as long as the buffer is.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_SIP_SIP_H
#define CENTINELA_SIP_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

/* Hard ceilings; the configured limits (struct sip_limits) are <= these. */
#define SIP_HARD_MAX_HEADERS 256
#define SIP_HARD_MAX_VIA 32

/* Parser limits: named config values with safe defaults. */
struct sip_limits {
	size_t max_msg_size; /* whole message, headers + body */
	unsigned max_headers; /* header fields (after splitting lines) */
	unsigned max_via; /* Via values, all Via headers together */
	size_t max_line_len; /* one start line or header field */
};

#define SIP_DEFAULT_MAX_MSG_SIZE 65535
#define SIP_DEFAULT_MAX_HEADERS 64
#define SIP_DEFAULT_MAX_VIA 16
#define SIP_DEFAULT_MAX_LINE_LEN 4096

/* Fill "lim" with the defaults above. */
void sip_limits_default(struct sip_limits *lim);

enum sip_method {
	SIP_METHOD_UNKNOWN = 0,
	SIP_METHOD_INVITE,
	SIP_METHOD_ACK,
	SIP_METHOD_BYE,
	SIP_METHOD_CANCEL,
	SIP_METHOD_OPTIONS,
	SIP_METHOD_REGISTER,
	SIP_METHOD_PRACK,
	SIP_METHOD_SUBSCRIBE,
	SIP_METHOD_NOTIFY,
	SIP_METHOD_PUBLISH,
	SIP_METHOD_INFO,
	SIP_METHOD_REFER,
	SIP_METHOD_MESSAGE,
	SIP_METHOD_UPDATE,
	SIP_METHOD__COUNT
};

/* Method from its name (case-sensitive, RFC 3261 section 7.1). */
enum sip_method sip_method_from_str(struct str s);
/* Canonical name of a known method; "UNKNOWN" otherwise. */
struct str sip_method_name(enum sip_method m);

/* Header identities; compact forms map to the same id. */
enum sip_hdr_id {
	SIP_HDR_OTHER = 0,
	SIP_HDR_VIA, /* v */
	SIP_HDR_FROM, /* f */
	SIP_HDR_TO, /* t */
	SIP_HDR_CALL_ID, /* i */
	SIP_HDR_CSEQ,
	SIP_HDR_MAX_FORWARDS,
	SIP_HDR_CONTENT_LENGTH, /* l */
	SIP_HDR_CONTENT_TYPE, /* c */
	SIP_HDR_CONTACT, /* m */
	SIP_HDR_ROUTE,
	SIP_HDR_RECORD_ROUTE,
	SIP_HDR_USER_AGENT,
	SIP_HDR_SERVER,
	SIP_HDR_AUTHORIZATION,
	SIP_HDR_PROXY_AUTHORIZATION,
	SIP_HDR_WWW_AUTHENTICATE,
	SIP_HDR_PROXY_AUTHENTICATE,
	SIP_HDR_EXPIRES,
	SIP_HDR_SUPPORTED, /* k */
	SIP_HDR_REQUIRE,
	SIP_HDR_PROXY_REQUIRE,
	SIP_HDR_ALLOW,
	SIP_HDR_CONTENT_ENCODING, /* e */
	SIP_HDR_SUBJECT, /* s */
	SIP_HDR_EVENT, /* o */
	SIP_HDR_REFER_TO, /* r */
	SIP_HDR_P_ASSERTED_IDENTITY,
	SIP_HDR_P_PREFERRED_IDENTITY,
	SIP_HDR_IDENTITY, /* y */
	SIP_HDR_DIVERSION,
	SIP_HDR_UNSUPPORTED,
	SIP_HDR__COUNT
};

/* Header id from a header name (case-insensitive, compact forms). */
enum sip_hdr_id sip_hdr_id_from_name(struct str name);

/*
 * One header field line as received. "value" is the raw value with
 * leading/trailing whitespace trimmed; it may contain folded line
 * breaks (CRLF followed by SP/HT), which every decoder treats as LWS.
 * "line" spans the whole field including its terminating CRLF (or LF),
 * for copying or removing the field when building a new message.
 */
struct sip_hdr {
	enum sip_hdr_id id;
	struct str name;
	struct str value;
	struct str line;
};

/* A generic ;name=value parameter list; views only. */
struct sip_param {
	struct str name;
	struct str value; /* empty when the parameter has no '=' */
	bool has_value;
};

enum sip_scheme {
	SIP_SCHEME_NONE = 0,
	SIP_SCHEME_SIP,
	SIP_SCHEME_SIPS,
	SIP_SCHEME_TEL,
	SIP_SCHEME_OTHER
};

enum sip_transport {
	SIP_TP_NONE = 0,
	SIP_TP_UDP,
	SIP_TP_TCP,
	SIP_TP_TLS,
	SIP_TP_SCTP,
	SIP_TP_WS,
	SIP_TP_WSS,
	SIP_TP_OTHER
};

/*
 * "UDP", "TCP", "TLS", ... (upper case, as in a Via sent-protocol); an
 * empty view for SIP_TP_NONE and SIP_TP_OTHER.
 */
struct str sip_transport_name(enum sip_transport tp);
/* "udp", "tcp", "tls" (as in logs, config and Record-Route); "?" else. */
const char *sip_transport_lc(enum sip_transport tp);
/* Case-insensitive; SIP_TP_OTHER for an unknown non-empty token. */
enum sip_transport sip_transport_from_str(struct str s);

/*
 * A decoded sip:, sips: or tel: URI (RFC 3261 section 19.1, RFC 3966).
 * For tel: URIs "user" holds the number and "host" is empty. "params"
 * is the raw ";..." part (without the leading ';'), "headers" the raw
 * "?..." part (without '?'). Well-known parameters are pulled out.
 */
struct sip_uri {
	enum sip_scheme scheme;
	struct str raw;
	struct str user;
	struct str password;
	struct str host; /* IPv6 references keep their brackets */
	uint16_t port; /* 0 when absent */
	struct str params;
	struct str headers;
	enum sip_transport transport; /* ;transport= or NONE */
	struct str user_param; /* ;user= */
	struct str maddr; /* ;maddr= */
	bool lr; /* ;lr present */
};

/* Decode a URI. Returns 0 or EBADMSG. */
int sip_uri_parse(struct str s, struct sip_uri *uri);

/*
 * Find parameter "name" (case-insensitive) in a raw ";a=b;c" list
 * (with or without the leading ';', LWS allowed around ';' and '=').
 * Returns true and sets *value (empty for a flag parameter; a quoted
 * value keeps its quotes) when present; "value" may be NULL.
 */
bool sip_param_find(struct str params, struct str name, struct str *value);

/*
 * name-addr / addr-spec (RFC 3261 section 20.10, 20.20, 20.39):
 * From, To, Contact, Route, Record-Route, P-Asserted-Identity values.
 */
struct sip_addr {
	struct str display; /* unquoted view, may be empty */
	struct str uri_raw; /* between < > or the bare addr-spec */
	struct sip_uri uri;
	struct str params; /* header params after the URI, raw,
					   without the leading ';' */
	struct str tag; /* ;tag= value, empty if none */
	bool star; /* Contact: * */
};

/*
 * Decode one address value. For an addr-spec (no <>), everything after
 * the first ';' is header parameters, not URI parameters (section
 * 20.10). A quoted display name is stored without its quotes, escapes
 * kept as received. Returns 0 or EBADMSG.
 */
int sip_addr_parse(struct str s, struct sip_addr *addr);

/*
 * Iterate over the comma-separated values of a header value, honouring
 * quoted strings, escapes and <...>. Start with *rest = hdr->value;
 * each call stores the next trimmed value in *val and returns true, or
 * returns false when none is left. An unbalanced quote or bracket
 * makes it return false and sets *rest to an empty view at s == NULL.
 */
bool sip_hdr_next_value(struct str *rest, struct str *val);

/* Via (RFC 3261 section 20.42, RFC 3581). */
struct sip_via {
	struct str raw; /* the whole via-parm */
	struct str proto; /* "SIP/2.0/UDP" */
	enum sip_transport transport;
	struct str host; /* sent-by host, brackets kept */
	uint16_t port; /* 0 when absent */
	struct str branch;
	struct str received;
	struct str maddr;
	bool has_rport;
	struct str rport; /* value; empty if flag only */
	uint32_t ttl;
	struct str params; /* raw params after sent-by */
	unsigned hdr_idx; /* index into msg->hdrs */
};

/* Decode one via-parm. Returns 0 or EBADMSG. */
int sip_via_parse(struct str s, struct sip_via *via);

struct sip_cseq {
	uint32_t num;
	struct str method_s;
	enum sip_method method;
};

/* A parsed message. */
struct sip_msg {
	struct str raw; /* headers + body actually parsed */
	bool is_request;

	/* request line */
	enum sip_method method;
	struct str method_s;
	struct str ruri_raw;
	struct sip_uri ruri;
	/* status line */
	uint16_t status;
	struct str reason;
	struct str start_line; /* without CRLF */

	struct sip_hdr hdrs[SIP_HARD_MAX_HEADERS];
	unsigned nhdrs;
	/* index of the first header of each id in hdrs[], -1 if absent */
	int first[SIP_HDR__COUNT];
	/* number of header fields of each id */
	uint8_t count[SIP_HDR__COUNT];

	/* all Via values, top first, each decoded */
	struct sip_via via[SIP_HARD_MAX_VIA];
	unsigned nvia;

	struct str call_id;
	struct sip_cseq cseq;
	struct sip_addr from;
	struct sip_addr to;
	bool has_max_forwards;
	uint32_t max_forwards;
	bool has_content_length;
	uint32_t content_length;

	struct str headers_end; /* the empty line, zero length at its start */
	struct str body;
};

/*
 * Find the end of one message at the front of a stream buffer (TCP,
 * TLS): headers up to the empty line, then Content-Length bytes of
 * body (RFC 3261 section 18.3). Leading CRLFs (keep-alives) must be
 * consumed by the caller first (an empty start line is EBADMSG).
 * Returns 0 and sets *msglen, EAGAIN when more bytes are needed,
 * EBADMSG when the headers are malformed (same line rules as
 * sip_parse: bare LF, bare CR, NUL) or Content-Length is missing,
 * repeated with different values or invalid, or EMSGSIZE when a limit
 * in "lim" is exceeded (max_msg_size, max_line_len, max_headers; the
 * start line is not validated here). "lim" may be NULL for defaults.
 * Every answer depends only on the bytes up to where it is decided, so
 * a prefix of a stream gets either EAGAIN or the answer the whole
 * stream gets. Each call scans from buf[0]: not resumable.
 */
int sip_frame(
    const struct sip_limits *lim, const char *buf, size_t len, size_t *msglen);

/*
 * Parse one complete message in buf[0..len). For a datagram, len is
 * the datagram size; a Content-Length larger than the remaining bytes
 * is an error and a smaller one truncates the body (RFC 3261 section
 * 18.3). A missing Content-Length means "to the end" for datagrams.
 * Returns 0, EBADMSG (malformed: bad start line, bad header, missing
 * or malformed mandatory header such as Via, CSeq, Call-ID, From, To,
 * bad Content-Length, NUL bytes in the headers, ...), or EMSGSIZE
 * (a limit in "lim" hit; each limit is checked before the work it
 * bounds). "lim" may be NULL for the defaults. On error *msg is
 * partially filled; what it holds must not be used except
 * msg->is_request, method and the views that were already set (for
 * logging).
 *
 * Choices this parser makes:
 * - Line endings must be CRLF. A bare LF or a bare CR anywhere in the
 *   start line or the header fields is EBADMSG, as is a NUL byte (the
 *   body may hold anything).
 * - Folding (CRLF followed by SP/HT) continues the field: the CRLF
 *   stays inside hdr->value and every decoder treats CR/LF as LWS.
 *   max_line_len bounds the whole folded field.
 * - CRLFs before the start line are skipped (section 7.5); msg->raw
 *   starts at the start line.
 * - SIP-Version is "SIP/2.0", compared case-insensitively; the
 *   request line must have exactly one SP between its elements; a
 *   status line may omit the reason phrase.
 * - From, To, Call-ID, CSeq and Max-Forwards must appear once. Call-ID
 *   must be non-empty without LWS; CSeq is 0..2^31-1 and a method
 *   token, not compared with the request method (the sanity guard
 *   does that); Max-Forwards is 0..255.
 * - Unknown methods are accepted (SIP_METHOD_UNKNOWN, method_s set);
 *   method names are case-sensitive.
 */
int sip_parse(const struct sip_limits *lim, struct sip_msg *msg,
    const char *buf, size_t len);

/* First header with this id, or NULL. */
const struct sip_hdr *sip_msg_hdr(
    const struct sip_msg *msg, enum sip_hdr_id id);
/*
 * Next header with the same id after "h" (for SIP_HDR_OTHER: with the
 * same name, case-insensitive), or NULL.
 */
const struct sip_hdr *sip_msg_hdr_next(
    const struct sip_msg *msg, const struct sip_hdr *h);
/*
 * First header whose name matches (case-insensitive; a compact form
 * matches its full name and vice versa), or NULL.
 */
const struct sip_hdr *sip_msg_hdr_by_name(
    const struct sip_msg *msg, struct str name);

/*
 * Output buffer for the builders: fixed capacity, never grows. Every
 * append sets "overflow" instead of writing past the end, so a builder
 * can append unconditionally and check once.
 */
struct sip_wbuf {
	char *b;
	size_t cap;
	size_t len;
	bool overflow;
};

void sip_wbuf_init(struct sip_wbuf *w, char *b, size_t cap);
void sip_wbuf_put(struct sip_wbuf *w, struct str s);
void sip_wbuf_putc(struct sip_wbuf *w, char c);
void sip_wbuf_putu(struct sip_wbuf *w, uint64_t v);
/* printf-style append; needs one spare byte for vsnprintf's NUL. */
void sip_wbuf_printf(struct sip_wbuf *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Build a response to request "req" (RFC 3261 section 8.2.6): copies
 * all Via values (received= and rport= on the top one as given in
 * "top_via_params", e.g. ";received=1.2.3.4;rport=5060", may be empty),
 * From, To (adding ";tag=" + to_tag when To has no tag and to_tag is
 * non-empty and status > 100), Call-ID, CSeq; then "extra" (raw header
 * lines, each ending in CRLF, may be empty), Server when non-empty,
 * Content-Length: 0 (or the body length) and "body". Header lines are
 * copied in their original order; top_via_params replaces parameters
 * of the same name (";rport" becomes ";rport=N"). An empty reason gets
 * the standard phrase. Appends to "w". Returns 0, EINVAL (not a parsed
 * request, status outside 100..699, CR/LF inside reason, to_tag,
 * top_via_params or server, "extra" not CRLF-terminated lines) or
 * ENOSPC when "w" is too small.
 */
int sip_build_response(struct sip_wbuf *w, const struct sip_msg *req,
    uint16_t status, struct str reason, struct str to_tag,
    struct str top_via_params, struct str extra, struct str server,
    struct str body);

/*
 * Build a request to forward (RFC 3261 section 16.6): the request line
 * with "ruri" (or the original Request-URI when ruri is empty); "via"
 * (a complete header line ending in CRLF) inserted before the first
 * Via; the top Via value rewritten with "top_via_params" appended to it
 * (received/rport per RFC 3581, may be empty); Max-Forwards decremented
 * (or "Max-Forwards: 70" added when absent); the first "pop_routes"
 * Route values removed, across Route header fields (a field whose
 * values are all removed disappears); "rr" (one or more complete
 * Record-Route lines, each ending in CRLF,
 * may be empty) inserted before the first header; every other header
 * and the body copied byte for byte. Content-Length is rewritten in
 * place as "Content-Length: N" with the body length (added at the end
 * when absent, equal duplicates collapsed); "Max-Forwards: 70" is
 * added at the end. Appends to "w". Returns 0, EINVAL (not a parsed
 * request, "via"/"rr" not CRLF-terminated lines, CR/LF in ruri or
 * top_via_params, the Route to pop has unbalanced quotes/brackets) or
 * ENOSPC.
 */
int sip_build_request(struct sip_wbuf *w, const struct sip_msg *req,
    struct str ruri, struct str via, struct str top_via_params,
    unsigned pop_routes, struct str rr);

/*
 * Build a response to forward upstream-to-downstream (RFC 3261
 * section 16.7): removes the top Via value ("Via: a, b" becomes
 * "Via: b"; the header field goes when it was its only value) and
 * copies everything else byte for byte, except Content-Length, which
 * is rewritten (or added) with the body length. Appends to "w".
 * Returns 0, EINVAL when "rsp" is not a parsed response, or ENOSPC.
 */
int sip_build_response_relay(struct sip_wbuf *w, const struct sip_msg *rsp);
/*
 * The same with the body replaced by "*body" (NULL: kept), and
 * Content-Length set to its length. The other header fields, the
 * Content-Type among them, are kept.
 */
int sip_build_response_relay_body(
    struct sip_wbuf *w, const struct sip_msg *rsp, const struct str *body);

/*
 * Rewrite a request in place of its sender: the start line and every
 * header field copied byte for byte except the fields whose id has its
 * bit set in "drop" (bit 1 << enum sip_hdr_id), then the lines "add"
 * (complete header lines, each ending in CRLF, may be empty), then
 * Content-Length with the body length, the empty line and the body.
 * Appends to "w". Returns 0, EINVAL (not a parsed request, "add" not
 * CRLF-terminated lines) or ENOSPC.
 */
int sip_build_edit(struct sip_wbuf *w, const struct sip_msg *req, uint64_t drop,
    struct str add);
/*
 * sip_build_edit() with the body replaced by "*body" (NULL: kept) and
 * Content-Length set to its length (the media anchor's SDP).
 */
int sip_build_edit_body(struct sip_wbuf *w, const struct sip_msg *req,
    uint64_t drop, struct str add, const struct str *body);

#endif /* CENTINELA_SIP_SIP_H */

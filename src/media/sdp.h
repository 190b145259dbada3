/*
 * media/sdp.h -- a strict, zero-copy SDP parser (RFC 8866, which
 * obsoletes RFC 4566) with what the media policy needs to know about
 * each media section: its transport protocol, whether it is disabled
 * (port 0), and its keying: SDES a=crypto (RFC 4568), DTLS-SRTP
 * a=fingerprint / a=setup (RFC 5763, RFC 5764), a=key-mgmt (RFC 4567).
 *
 * Every view in a struct sdp points into the body handed to
 * sdp_parse(); nothing is allocated and nothing is written there. The
 * parser is pure: no socket, loop or global state.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_MEDIA_SDP_H
#define CENTINELA_MEDIA_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

/* Hard ceilings; the configured limits (struct sdp_limits) are <= these. */
#define SDP_HARD_MAX_MEDIA 32
#define SDP_HARD_MAX_ATTRS 256

/* Parser limits, each checked before the work it bounds. */
struct sdp_limits {
	size_t max_body; /* bytes of the whole description */
	size_t max_line_len; /* one line, without its line end */
	unsigned max_media; /* m= sections */
	unsigned max_attrs; /* a= lines, all sections together */
};

#define SDP_DEFAULT_MAX_BODY 16384
#define SDP_DEFAULT_MAX_LINE_LEN 1024
#define SDP_DEFAULT_MAX_MEDIA 8
#define SDP_DEFAULT_MAX_ATTRS 128

/* Fill "lim" with the defaults above. */
void sdp_limits_default(struct sdp_limits *lim);

/* The transport protocol of an m= line (RFC 8866 section 5.14). */
enum sdp_proto {
	SDP_PROTO_OTHER = 0, /* anything else (TCP/MSRP, TCP/BFCP, ...) */
	SDP_PROTO_RTP_AVP, /* plain RTP (RFC 3551) */
	SDP_PROTO_RTP_AVPF, /* plain RTP with feedback (RFC 4585) */
	SDP_PROTO_RTP_SAVP, /* SRTP (RFC 3711), keys by SDES or MIKEY */
	SDP_PROTO_RTP_SAVPF, /* SRTP with feedback (RFC 5124) */
	SDP_PROTO_DTLS_SAVP, /* UDP/TLS/RTP/SAVP: DTLS-SRTP (RFC 5764) */
	SDP_PROTO_DTLS_SAVPF, /* UDP/TLS/RTP/SAVPF */
	SDP_PROTO_UDPTL, /* T.38 fax over UDPTL: never encrypted */
	SDP_PROTO_TLS_OTHER /* TCP/TLS/..., over TLS: encrypted */
};

/* "RTP/AVP", ... for logs; "other" for SDP_PROTO_OTHER. */
const char *sdp_proto_name(enum sdp_proto p);
/* Is "p" a protocol that encrypts its media (SRTP, DTLS-SRTP, TLS)? */
bool sdp_proto_is_secure(enum sdp_proto p);
/* Is "p" RTP (plain or secure) at all? */
bool sdp_proto_is_rtp(enum sdp_proto p);

/* One attribute line: "a=name" or "a=name:value". */
struct sdp_attr {
	struct str name;
	struct str value; /* empty for a flag attribute */
};

/* One m= section and what the policy reads from it. */
struct sdp_media {
	struct str media; /* "audio", "video", "image", ... */
	uint16_t port; /* 0: the stream is disabled (RFC 3264 6) */
	uint16_t nports; /* from port/number; 1 when absent */
	struct str proto_s;
	enum sdp_proto proto;
	struct str fmts; /* the format list as received */
	struct str conn; /* this section's c= value, or empty */
	unsigned attr_first; /* its attributes: sdp.attrs[first..+n) */
	unsigned nattrs;
	unsigned ncrypto; /* a=crypto lines (RFC 4568) */
	unsigned ncipher; /* those that encrypt: not a NULL_* suite, no
			     UNENCRYPTED_SRTP session parameter */
	bool fingerprint; /* a=fingerprint here (RFC 8122) */
	bool key_mgmt; /* a=key-mgmt here (RFC 4567, MIKEY) */
	struct str setup; /* a=setup value (RFC 4145), or empty */
};

/* A parsed session description. */
struct sdp {
	struct str origin; /* o= value */
	struct str session_name; /* s= value */
	struct str conn; /* session-level c= value, or empty */
	unsigned nsession_attrs; /* attrs[0..n) are session-level */
	unsigned session_ncrypto; /* a=crypto at session level (invalid
				     per RFC 4568, counted to refuse) */
	bool session_fingerprint; /* a=fingerprint at session level */
	bool session_key_mgmt;
	struct str session_setup;
	struct sdp_attr attrs[SDP_HARD_MAX_ATTRS];
	unsigned nattrs;
	struct sdp_media media[SDP_HARD_MAX_MEDIA];
	unsigned nmedia;
	/*
	 * After an error: a short static explanation ("bad m= line", ...)
	 * for logs and the Reason header, and the 1-based line number.
	 */
	const char *err;
	unsigned err_line;
};

/*
 * Parse the session description in "body". "lim" may be NULL for the
 * defaults. Returns 0, EBADMSG (malformed: see below; sdp->err says
 * what) or EMSGSIZE (a limit in "lim" hit; sdp->err says which).
 *
 * Choices this parser makes (RFC 8866 section 5 and 9):
 * - Lines end in CRLF; a bare LF is accepted (section 5), a bare CR or
 *   a NUL byte is not. The last line may lack its line end.
 * - Each line is "<letter>=<value>" with a lower-case type letter
 *   from the grammar (v o s i u e p c b t r z k a m); an unknown
 *   letter rejects the whole description (section 5: "MUST ... reject
 *   or ignore" -- we reject), so does a blank line.
 * - v=0 comes first, then o= (six fields) and s=; at least one t=
 *   comes before the first m=; session lines after an m= are errors.
 * - m= is "media port[/n] proto fmt..." with a port of at most 65535
 *   and at least one format; every m= with a non-zero port needs a
 *   c= line of its own or at session level ("IN IP4|IP6 address").
 * - a=crypto is "tag suite key-params..." with a decimal tag of at
 *   most 9 digits and "inline:" keys (RFC 4568 section 9.1);
 *   a=fingerprint is "hash-func hex:hex:..." ; a=setup one of active,
 *   passive, actpass, holdconn. Anything else in those is EBADMSG,
 *   because a policy that reads keys must not guess at them.
 */
int sdp_parse(struct sdp *sdp, struct str body, const struct sdp_limits *lim);

/* Does the description carry SDES keys (a=crypto anywhere)? */
bool sdp_has_sdes(const struct sdp *sdp);

/*
 * Is media section "m" encrypted end to end by what it offers: a secure
 * protocol (sdp_proto_is_secure) with keying that protocol can use --
 * an SDES line with a real cipher (a NULL_* suite or UNENCRYPTED_SRTP
 * authenticates but does not encrypt) or MIKEY for RTP/SAVP(F), a
 * fingerprint (here or at session level) for DTLS-SRTP, nothing more
 * for TLS-based transports?
 */
bool sdp_media_is_encrypted(const struct sdp *sdp, const struct sdp_media *m);

/*
 * Why an active section is not encrypted, for the Reason header: NULL
 * when every active (non-zero port) section is encrypted, else a short
 * static text naming the first offending one ("plain RTP (RTP/AVP)",
 * "SRTP profile without keys", ...); *idx gets its index when not NULL.
 */
const char *sdp_unencrypted_why(const struct sdp *sdp, unsigned *idx);

#endif /* CENTINELA_MEDIA_SDP_H */

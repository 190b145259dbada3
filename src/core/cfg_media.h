/*
 * core/cfg_media.h -- the "media" section: the SDP media policy and
 * the rtpengine media anchor (docs/MEDIA.md).
 *
 *	media = {
 *		enabled = true;
 *		require_encryption = [ "public" ];
 *		max_media = 8; max_attributes = 128; max_line_len = 1024;
 *		rtpengine = {
 *			addresses = [ "127.0.0.1:2223" ];
 *			timeout = 500; retries = 2;
 *			on_failure = "reject";
 *			edge_protocol = "RTP/SAVP"; core_protocol = "RTP/AVP";
 *			check_interval = 10; max_calls = 10000;
 *		};
 *	};
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_CFG_MEDIA_H
#define CENTINELA_CORE_CFG_MEDIA_H

#include <stdbool.h>
#include <stddef.h>

#include "net/sa.h"

#define CFG_MEDIA_MAX_RTPE 8 /* rtpengine instances */
#define CFG_MEDIA_NROLES 4 /* enum peer_role */
#define CFG_MEDIA_PROTO_MAX 24

/* What to do with a call when no rtpengine answers. */
enum media_on_failure {
	MEDIA_FAIL_REJECT = 0, /* 503 + Reason, and an alert */
	MEDIA_FAIL_PASS /* forward it unanchored (the policy still applies) */
};

struct cfg_media {
	bool enabled; /* the guard reads SDP at all */
	/* Roles whose offers must encrypt every active stream. */
	bool require_encryption[CFG_MEDIA_NROLES];
	/* SDP parser limits (media/sdp.h). */
	unsigned max_media;
	unsigned max_attributes;
	unsigned max_line_len;
	/* The anchor: no address, no anchoring. */
	struct sa rtpe[CFG_MEDIA_MAX_RTPE];
	unsigned nrtpe;
	unsigned rtpe_timeout; /* ms before a command is sent again */
	unsigned rtpe_retries; /* sends per instance after the first */
	enum media_on_failure on_failure;
	/* transport-protocol toward phones and toward the core. */
	char edge_protocol[CFG_MEDIA_PROTO_MAX];
	char core_protocol[CFG_MEDIA_PROTO_MAX];
	unsigned check_interval; /* s between media-timeout checks; 0 off */
	unsigned max_calls; /* anchored calls at once */
};

void cfg_media_defaults(struct cfg_media *m);

#endif /* CENTINELA_CORE_CFG_MEDIA_H */

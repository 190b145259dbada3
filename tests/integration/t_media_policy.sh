#!/bin/bash
# t_media_policy -- the SDP media policy without an anchor (docs/MEDIA.md):
# media.require_encryption = [ "public" ], no rtpengine, the PBX (a SIPp
# UAS on 127.0.0.3, role pbx) reached over UDP. A phone (account 300,
# digest, from 127.0.0.2: a public source) calls it:
#   1. plain RTP over UDP          -> 488, Reason "media must be
#      encrypted: plain RTP (RTP/AVP)" (media_unencrypted);
#   2. plain RTP over TLS          -> 488 likewise (TLS signalling does
#      not encrypt the media);
#   3. no SDP at all (late offer)  -> 488 "an SDP offer is required";
#   4. SRTP with SDES keys over UDP -> 488 "SDES keys over an
#      unencrypted transport" (media_keys_exposed);
#   5. SRTP with SDES keys over TLS, but the PBX is reached over UDP and
#      nothing anchors the media -> 488 "SDES keys would cross an
#      unencrypted hop": the keys never leave in clear;
#   6. malformed SDP over TLS      -> 400 "malformed SDP: bad m= line";
#   7. DTLS-SRTP over TLS (encrypted, no key in the SIP message) -> the
#      PBX gets it (its scenario checks the offer is the phone's own
#      UDP/TLS/RTP/SAVP) and answers; ACK and BYE complete the call.
# The PBX must see exactly that one call, and the metrics count each
# refusal under its reason.
TEST_ID=49
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester curl python3 openssl

PBX_IP=127.0.0.3
UAS_MP=$((BASE + 10))
make_cert
LISTEN="udp 127.0.0.1 $SIP_PORT; tcp 127.0.0.1 $SIP_PORT; tls 127.0.0.1 $TLS_PORT"
UPSTREAMS="pbx udp $PBX_IP $UAS_PORT 1 1"
EXTRA="peers = ( { name = \"pbx\"; cidr = \"$PBX_IP/32\"; role = \"pbx\"; } );
registrar = { mode = \"local\"; min_expires = 60; max_expires = 3600;
  default_expires = 300; max_contacts = 10; };
auth = { algorithms = [ \"MD5\" ]; };
media = { enabled = true; require_encryption = [ \"public\" ]; };"
write_conf "$T/centinela.conf"

CTL=$(dirname "$BIN")/centinelactl
SECRET=$(user_add "$T/centinela.conf" 300) ||
    fail "centinelactl user add 300 failed"
[ ${#SECRET} -ge 16 ] || fail "no device secret written"

scenario uas_media MPORT='[0-9]+' MEDIA_IP='127\.0\.0\.2' \
    PROTO='UDP/TLS/RTP/SAVP'
sipp_bg uas -sf "$T/uas_media.xml" -aa -i "$PBX_IP" -p "$UAS_PORT" \
    -key contact "$PBX_IP:$UAS_PORT" -mp "$UAS_MP"
wait_port udp "$UAS_PORT"
start_centinela
wait_upstream_healthy pbx

# The phone over UDP (ua) or TLS (uatls).
ua() {
	"$PYTHON" "$SCEN/media_ua.py" call --port "$SIP_PORT" --bind 127.0.0.2 \
	    --user 300 --secret "$SECRET" "$@"
}
uatls() {
	"$PYTHON" "$SCEN/media_ua.py" call --tp tls --port "$TLS_PORT" \
	    --bind 127.0.0.2 --user 300 --secret "$SECRET" "$@"
}

ua --tp udp --sdp plain --expect 488 \
    --reason 'media must be encrypted: plain RTP (RTP/AVP)' ||
    fail "1. a plain RTP offer from a phone passed"
uatls --sdp plain --expect 488 --reason 'plain RTP (RTP/AVP)' ||
    fail "2. a plain RTP offer over TLS passed"
uatls --sdp none --expect 488 --reason 'an SDP offer is required' ||
    fail "3. an INVITE without offer passed"
ua --tp udp --sdp sdes --expect 488 \
    --reason 'SDES keys over an unencrypted transport' ||
    fail "4. SDES keys over UDP were accepted"
uatls --sdp sdes --expect 488 \
    --reason 'SDES keys would cross an unencrypted hop' ||
    fail "5. SDES keys went on toward a UDP hop"
uatls --sdp bad --expect 400 --reason 'malformed SDP: bad m= line' ||
    fail "6. a malformed SDP was not refused with 400"
uatls --sdp dtls --expect 200 --hold 0.3 ||
    fail "7. a DTLS-SRTP call did not go through"

wait_until 10 sipp_stat_is uas 'SuccessfulCall(C)' -ge 1 ||
    fail "the PBX did not complete the DTLS-SRTP call"
# A refused offer reaching the PBX would fail its scenario (protocol).
expect_num "PBX successful calls" "$(sipp_stat uas 'SuccessfulCall(C)')" -eq 1
expect_num "PBX failed calls" "$(sipp_stat uas 'FailedCall(C)')" -eq 0
expect_metric centinela_rejects_total 'reason="media_unencrypted"' -eq 3
expect_metric centinela_rejects_total 'reason="media_keys_exposed"' -eq 2
expect_metric centinela_rejects_total 'reason="sdp_malformed"' -eq 1
expect_metric centinela_requests_total 'method="BYE"' -eq 1

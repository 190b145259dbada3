#!/bin/bash
# t_media_guard -- a deleted anchored call is not brought back by a late
# INVITE retransmission (docs/MEDIA.md, "Limits of the anchor").
# The bug: once the proxy's INVITE transaction had ended (it lingers
# 5 s), a retransmitted copy of the INVITE -- same Call-ID, From tag,
# CSeq and branch -- was offered to rtpengine again and forwarded: a
# zombie call at rtpengine that nobody ends. The anchor now remembers
# the INVITEs of deleted calls for Timer B (32 s) and drops the copy.
# The PBX (127.0.0.3, a pbx peer) calls phone 500 (127.0.0.2, UDP,
# registered); rtpengine (user space) anchors it; the phone answers 486;
# 6.5 s later the PBX sends the INVITE again: it must not reach the
# phone, no call is anchored, and the metric counts it. A new call is
# still anchored. (media_dialog.py zombie)
# Then the per-call cap on offers in flight: rtpengine is stopped
# (SIGSTOP, by PID), the PBX sends three INVITEs of one Call-ID; two
# offers wait and fail (503 media anchor unavailable), the third is
# answered 503 at once as our overload and counted in
# centinela_media_capped_total, not as an rtpengine failure.
# (media_dialog.py cap)
TEST_ID=58
. "$(dirname "$0")/lib.sh"
need_pkg curl python3 openssl rtpengine-daemon

media_dialog_setup 10

start_rtpengine
start_centinela

"$PYTHON" "$ITEST/media_dialog.py" zombie --port "$SIP_PORT" \
    --metrics-port "$METRICS_PORT" --user 500 --secret "$SECRET" \
    --pbx-ip "$PBX_IP" --pbx-port "$PBX_PORT" \
    --phone-media $((BASE + 20)) --pbx-media $((BASE + 22)) ||
    fail "a late INVITE retransmission brought a deleted call back"
expect_metric centinela_media_retransmitted_offers_total '' -eq 1
expect_metric centinela_media_calls '' -eq 0

kill -STOP "$RTPE_PID"
"$PYTHON" "$ITEST/media_dialog.py" cap --port "$SIP_PORT" \
    --metrics-port "$METRICS_PORT" --user 500 --secret "$SECRET" \
    --pbx-ip "$PBX_IP" --pbx-port "$PBX_PORT" \
    --phone-media $((BASE + 20)) --pbx-media $((BASE + 22))
rc=$?
kill -CONT "$RTPE_PID"
[ $rc = 0 ] || fail "SDP offers of one call over the cap were not refused as our overload"
expect_metric centinela_media_capped_total 'message="offer"' -eq 1

#!/bin/bash
# t_media_tags -- a BYE of another dialog leaves an anchored call alone
# (docs/MEDIA.md, "Which message ends a call").
# The bug: a BYE (and our own final answers) deleted the anchored call
# at rtpengine by Call-ID alone, so a BYE with the right Call-ID but a
# wrong tag -- forged, stray, or another fork's -- tore the media down
# while the call went on. The anchor now keeps the dialog's tags (the
# caller's From tag, the callee's To tag from the 2xx) and deletes only
# for a message of that dialog.
# The PBX (127.0.0.3, a pbx peer) calls phone 500 (127.0.0.2, UDP); the
# phone answers 200; the PBX sends a BYE with another To tag (passed
# on, the phone says 481): the call stays anchored and the metric counts
# the foreign BYE; the real BYE then ends it. (media_dialog.py forged-bye)
# Then: copies of an INVITE we refused ourselves after its offer get the
# refusal again (refused-copy); initial INVITEs of other callers with an
# anchored Call-ID are refused, not offered (foreign-caller).
# Needs the proxy to call media_delete_msg() for BYEs (src/route/proxy.c).
TEST_ID=59
. "$(dirname "$0")/lib.sh"
need_pkg curl python3 openssl rtpengine-daemon

media_dialog_setup 20

start_rtpengine --delete-delay=0
start_centinela

"$PYTHON" "$ITEST/media_dialog.py" forged-bye --port "$SIP_PORT" \
    --metrics-port "$METRICS_PORT" --user 500 --secret "$SECRET" \
    --pbx-ip "$PBX_IP" --pbx-port "$PBX_PORT" \
    --phone-media $((BASE + 20)) --pbx-media $((BASE + 22)) ||
    fail "a BYE of another dialog tore the media down"
expect_metric centinela_media_foreign_deletes_total '' -ge 1
expect_metric centinela_media_deletes_total '' -eq 1
expect_metric centinela_media_calls '' -eq 0

# Our own refusal after the offer (480: user 599 registered nowhere)
# leaves no tombstone: its copies get the 480 again.
"$PYTHON" "$ITEST/media_dialog.py" refused-copy --port "$SIP_PORT" \
    --metrics-port "$METRICS_PORT" --user 500 --secret "$SECRET" \
    --pbx-ip "$PBX_IP" --pbx-port "$PBX_PORT" \
    --phone-media $((BASE + 20)) --pbx-media $((BASE + 22)) ||
    fail "copies of an INVITE we refused were not refused again"
# Another caller's INVITE with an anchored Call-ID cannot ride the call.
"$PYTHON" "$ITEST/media_dialog.py" foreign-caller --port "$SIP_PORT" \
    --metrics-port "$METRICS_PORT" --user 500 --secret "$SECRET" \
    --pbx-ip "$PBX_IP" --pbx-port "$PBX_PORT" \
    --phone-media $((BASE + 20)) --pbx-media $((BASE + 22)) ||
    fail "an INVITE of another dialog rode an anchored call"

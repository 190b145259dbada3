#!/bin/bash
# t_media_down -- rtpengine unavailable (docs/MEDIA.md, on_failure).
# A phone (account 400, TLS, from 127.0.0.2) calls the PBX (SIPp UAS on
# 127.0.0.3, role pbx, over UDP) with a plain RTP offer; no encryption
# is required here, so only the anchor decides:
#   1. rtpengine up: the call is anchored (one offer accepted) and
#      completes; the PBX's offer is on rtpengine's address and ports;
#   2. rtpengine stopped (by its PID), on_failure = "reject": the INVITE
#      gets 503 with Reason "media anchor unavailable" and Retry-After
#      after the configured retransmissions (timeout 100 ms, 1 retry),
#      counted as media_anchor_failed; the PBX sees nothing; a critical
#      alert media_anchor_failed (subject rtpengine) is in the store
#      (`centinelactl alerts list`);
#   3. centinela restarted with on_failure = "pass": the same call goes
#      through unanchored (the PBX gets the phone's own address) and is
#      counted in centinela_media_unanchored_total;
#   4. still "pass": an SRTP offer with SDES keys is refused with 488
#      (the keys would cross the PBX's UDP hop in clear): passing
#      unanchored never relaxes the key rule.
TEST_ID=50
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester curl python3 openssl rtpengine-daemon

PBX_IP=127.0.0.3
UAS_MP=$((BASE + 10))
RTPE_LO=$BASE
RTPE_HI=$((BASE + 9))
NG_PORT=$((BASE + 90))

make_cert
LISTEN="udp 127.0.0.1 $SIP_PORT; tcp 127.0.0.1 $SIP_PORT; tls 127.0.0.1 $TLS_PORT"
UPSTREAMS="pbx udp $PBX_IP $UAS_PORT 1 1"
conf() {	# conf reject|pass
	EXTRA="peers = ( { name = \"pbx\"; cidr = \"$PBX_IP/32\"; role = \"pbx\"; } );
registrar = { mode = \"local\"; min_expires = 60; max_expires = 3600;
  default_expires = 300; max_contacts = 10; };
auth = { algorithms = [ \"MD5\" ]; };
media = { enabled = true;
  rtpengine = { addresses = [ \"127.0.0.1:$NG_PORT\" ]; timeout = 100;
    retries = 1; on_failure = \"$1\"; }; };
fraud = { enabled = true; };	# starts the alert router"
	write_conf "$T/centinela.conf"
}
conf reject

CTL=$(dirname "$BIN")/centinelactl
SECRET=$(user_add "$T/centinela.conf" 400) ||
    fail "centinelactl user add 400 failed"
[ ${#SECRET} -ge 16 ] || fail "no device secret written"

start_rtpengine

# The PBX accepts any plain offer (anchored or not; the metrics tell).
scenario uas_media MPORT='[0-9]+' MEDIA_IP='127\.0\.0\.[12]' PROTO='RTP/AVP'
sipp_bg uas -sf "$T/uas_media.xml" -aa -i "$PBX_IP" -p "$UAS_PORT" \
    -key contact "$PBX_IP:$UAS_PORT" -mp "$UAS_MP"
wait_port udp "$UAS_PORT"
start_centinela
wait_upstream_healthy pbx

call() {
	"$PYTHON" "$SCEN/media_ua.py" call --tp tls --port "$TLS_PORT" \
	    --bind 127.0.0.2 --user 400 --secret "$SECRET" "$@"
}

# 1. anchored
call --sdp plain --expect 200 --hold 0.3 >"$T/call1.txt" ||
    { cat "$T/call1.txt"; fail "1. the anchored call failed"; }
cat "$T/call1.txt"
grep -qE "the answer's media: m=audio $((BASE / 10))[0-9] RTP/AVP" \
    "$T/call1.txt" || fail "1. the phone's answer is not on rtpengine's ports"
expect_metric centinela_media_offers_total 'result="ok"' -eq 1
wait_until 10 sipp_stat_is uas 'SuccessfulCall(C)' -ge 1 ||
    fail "1. the PBX did not complete the call"

# 2. rtpengine down, reject
stop_pid "$RTPE_PID"
ok "rtpengine stopped"
t0=$(date +%s%N)
call --sdp plain --expect 503 --reason 'media anchor unavailable' ||
    fail "2. no 503 while rtpengine is down"
dt=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_num "ms to the 503 (2 sends 100 ms apart, plus the digest round)" \
    "$dt" -lt 3000
expect_metric centinela_media_offers_total 'result="failed"' -eq 1
expect_metric centinela_rejects_total 'reason="media_anchor_failed"' -eq 1
expect_num "PBX calls after the 503" "$(sipp_stat uas 'SuccessfulCall(C)')" -eq 1
alerted() {
	"$CTL" alerts -c "$T/centinela.conf" list >"$T/alerts.txt" 2>&1 &&
	    grep -q "critical.*media_anchor_failed.*rtpengine" "$T/alerts.txt"
}
wait_until 10 alerted ||
    { cat "$T/alerts.txt"; fail "2. no critical media_anchor_failed alert"; }
ok "2. rtpengine down: a critical alert media_anchor_failed (rtpengine)"

# 3. on_failure = pass
stop_centinela || fail "centinela did not stop cleanly"
conf pass
start_centinela
wait_upstream_healthy pbx
call --sdp plain --expect 200 --hold 0.3 >"$T/call3.txt" ||
    { cat "$T/call3.txt"; fail "3. the call did not pass unanchored"; }
cat "$T/call3.txt"
grep -q "the answer's media: m=audio $UAS_MP RTP/AVP" "$T/call3.txt" ||
    fail "3. the answer is not the PBX's own (unanchored) media"
expect_metric centinela_media_unanchored_total '' -eq 1
wait_until 10 sipp_stat_is uas 'SuccessfulCall(C)' -ge 2 ||
    fail "3. the PBX did not complete the unanchored call"

# 4. keys still refused
call --sdp sdes --expect 488 \
    --reason 'SDES keys would cross an unencrypted hop' ||
    fail "4. SDES keys went unanchored toward a UDP hop"
expect_num "PBX successful calls" "$(sipp_stat uas 'SuccessfulCall(C)')" -eq 2
expect_num "PBX failed calls" "$(sipp_stat uas 'FailedCall(C)')" -eq 0

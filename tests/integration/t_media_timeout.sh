#!/bin/bash
# t_media_timeout -- a call whose media stops is ended by centinela
# (docs/MEDIA.md, "Media timeout").
# rtpengine (user space, --timeout=2) anchors a call from a phone
# (account 500, TLS, 127.0.0.2) to the PBX (SIPp UAS, 127.0.0.3, UDP).
# Nobody sends any media. rtpengine forgets the call after its timeout;
# centinela's check (media.rtpengine.check_interval = 1) finds it gone
# and sends a BYE to each party with "Reason: SIP;cause=408;text=\"media
# timeout\"": the phone answers its BYE (checked by the phone), the PBX
# its own (its scenario waits for a BYE and completes the call). The
# metrics count one media timeout and no anchored call is left.
TEST_ID=51
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
EXTRA="peers = ( { name = \"pbx\"; cidr = \"$PBX_IP/32\"; role = \"pbx\"; } );
registrar = { mode = \"local\"; min_expires = 60; max_expires = 3600;
  default_expires = 300; max_contacts = 10; };
auth = { algorithms = [ \"MD5\" ]; };
media = { enabled = true;
  rtpengine = { addresses = [ \"127.0.0.1:$NG_PORT\" ]; timeout = 200;
    retries = 2; check_interval = 1; }; };"
write_conf "$T/centinela.conf"

CTL=$(dirname "$BIN")/centinelactl
SECRET=$(user_add "$T/centinela.conf" 500) ||
    fail "centinelactl user add 500 failed"
[ ${#SECRET} -ge 16 ] || fail "no device secret written"

start_rtpengine --timeout=2 --silent-timeout=2

scenario uas_media MPORT="$((BASE / 10))[0-9]" MEDIA_IP='127\.0\.0\.1' \
    PROTO='RTP/AVP'
sipp_bg uas -sf "$T/uas_media.xml" -aa -i "$PBX_IP" -p "$UAS_PORT" \
    -key contact "$PBX_IP:$UAS_PORT" -mp "$UAS_MP"
wait_port udp "$UAS_PORT"
start_centinela
wait_upstream_healthy pbx

t0=$(date +%s)
"$PYTHON" "$SCEN/media_ua.py" call --tp tls --port "$TLS_PORT" \
    --bind 127.0.0.2 --user 500 --secret "$SECRET" --sdp plain \
    --expect 200 --wait-bye 20 --reason-bye 'media timeout' ||
    fail "the phone got no BYE for its silent call"
dt=$(( $(date +%s) - t0 ))
expect_num "seconds to the BYE (rtpengine timeout 2 s, check every 1 s)" \
    "$dt" -le 15
wait_until 10 sipp_stat_is uas 'SuccessfulCall(C)' -ge 1 ||
    fail "the PBX got no BYE (see $T/uas.err)"
expect_num "PBX failed calls" "$(sipp_stat uas 'FailedCall(C)')" -eq 0
expect_metric centinela_media_timeouts_total '' -eq 1
expect_metric centinela_media_calls '' -eq 0
grep -q 'event=media_timeout' "$LOG" || fail "no media_timeout log line"

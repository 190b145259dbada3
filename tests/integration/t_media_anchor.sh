#!/bin/bash
# t_media_anchor -- media anchoring with rtpengine (docs/MEDIA.md): an
# SRTP phone talks to a PBX without SRTP, and the media is encrypted on
# the phone's side only.
#
#   baresip (account 200, TLS, mediaenc srtp-mand: RTP/SAVP + a=crypto)
#     -TLS-> centinela -UDP-> SIPp UAS "PBX" (plain RTP/AVP, -rtp_echo)
#   media: baresip <-SRTP-> rtpengine <-RTP-> SIPp
#
# rtpengine runs in user space on loopback (--table=-1), started here and
# stopped by its PID. centinela offers the call to rtpengine toward the
# core (transport-protocol RTP/AVP), so the PBX's INVITE carries a plain
# RTP offer on rtpengine's address and ports (checked by the UAS
# scenario) and no key; the PBX's plain answer is rewritten toward the
# phone as RTP/SAVP with rtpengine's own a=crypto keys (checked in
# baresip's SIP trace, the only place the TLS leg can be read). tshark
# captures the loopback while the call lasts and must show:
#   - the INVITE toward the PBX: RTP/AVP, no a=crypto;
#   - RTP toward the PBX's media port: plain PCMU (payload type 0,
#     160-byte payloads, RTP header version 2);
#   - packets from rtpengine toward the phone's media port: SRTP, i.e.
#     longer than the plain ones by an authentication tag and with a
#     payload that is not the plain audio (the echoed PCMU comes back
#     encrypted: almost no byte of it repeats the plain payload's).
# A call whose media went in clear to the phone fails the last check.
# The BYE deletes the call at rtpengine: the metrics count one offer,
# one answer, one delete, and no anchored call is left.
TEST_ID=48
ITEST_LIMIT=150
. "$(dirname "$0")/lib.sh"
need_pkg baresip sip-tester curl rtpengine-daemon tshark openssl

RTPE_LO=$BASE				# rtpengine media ports 0..9
RTPE_HI=$((BASE + 9))
UAS_MP=$((BASE + 10))			# SIPp media port (RTP; +2 RTCP)
RTP_LO=$((BASE + 20))			# baresip RTP ports 20..39
RTP_HI=$((BASE + 39))
BS_PORT=$((BASE + 50))			# baresip SIP
NG_PORT=$((BASE + 90))			# rtpengine ng control
BS=$T/baresip
BS_OUT=$T/baresip.out


# ---- centinela -------------------------------------------------------------
make_cert
LISTEN="udp 127.0.0.1 $SIP_PORT; tcp 127.0.0.1 $SIP_PORT; tls 127.0.0.1 $TLS_PORT"
# The PBX is 127.0.0.3; everything else on loopback is public (baresip's
# TLS connection leaves from 127.0.0.1 whatever its SIP address).
PBX_IP=127.0.0.3
UPSTREAMS="pbx udp $PBX_IP $UAS_PORT 1 1"
EXTRA="peers = ( { name = \"pbx\"; cidr = \"$PBX_IP/32\"; role = \"pbx\"; } );
registrar = { mode = \"local\"; min_expires = 60; max_expires = 3600;
  default_expires = 300; max_contacts = 10; };
auth = { algorithms = [ \"MD5\" ]; };
media = { enabled = true; require_encryption = [ \"public\" ];
  rtpengine = { addresses = [ \"127.0.0.1:$NG_PORT\" ]; timeout = 300;
    retries = 2; on_failure = \"reject\"; check_interval = 0; }; };"
write_conf "$T/centinela.conf"

CTL=$(dirname "$BIN")/centinelactl
SECRET=$(user_add "$T/centinela.conf" 200) ||
    fail "centinelactl user add 200 failed"
[ ${#SECRET} -ge 16 ] || fail "no device secret written"

# ---- rtpengine ---------------------------------------------------------------
start_rtpengine --log-level=6
ok "rtpengine $RTPE_PID listens on 127.0.0.1:$NG_PORT (media $RTPE_LO-$RTPE_HI)"

# ---- the PBX and centinela ------------------------------------------------------
MPORT="${BASE%??}0[0-9]"
scenario uas_media MPORT="$MPORT" MEDIA_IP='127\.0\.0\.1' PROTO='RTP/AVP'
sipp_bg uas -sf "$T/uas_media.xml" -aa -i "$PBX_IP" -p "$UAS_PORT" \
    -key contact "$PBX_IP:$UAS_PORT" -mp "$UAS_MP" -rtp_echo
wait_port udp "$UAS_PORT"
start_centinela
wait_upstream_healthy pbx

# ---- capture ------------------------------------------------------------------
tshark -i lo -n -q -f "udp and portrange $BASE-$((BASE + 99))" \
    -w "$T/media.pcap" >"$T/tshark.out" 2>&1 &
TS_PID=$!
track "$TS_PID"
wait_for_log "Capturing on" 10 "$T/tshark.out" ||
    fail "tshark did not start: $(cat "$T/tshark.out")"

# ---- baresip: a phone with mandatory SRTP over TLS ----------------------------------
mkdir -p "$BS/sounds"
cat >"$BS/config" <<EOF
poll_method		epoll
sip_listen		127.0.0.2:$BS_PORT
net_interface		127.0.0.2
call_local_timeout	20
audio_player		aubridge,phone
audio_source		aubridge,phone
audio_alert		aubridge,alert
audio_path		$BS/sounds
audio_level		no
rtp_ports		$RTP_LO-$RTP_HI
rtcp_mux		no
jitter_buffer_delay	1-5
module_path		/usr/lib/baresip/modules
module			stdio.so
module			g711.so
module			aubridge.so
module			srtp.so
module_tmp		account.so
module_app		menu.so
EOF
cat >"$BS/accounts" <<EOF
<sip:200@centinela.local;transport=tls>;auth_pass=$SECRET;outbound="sip:127.0.0.1:$TLS_PORT;transport=tls";regint=300;mediaenc=srtp-mand;audio_codecs=PCMU
EOF
: >"$BS/contacts"
mkfifo "$T/baresip.in"
exec 3<>"$T/baresip.in"
baresip -f "$BS" -s -t 60 <"$T/baresip.in" >"$BS_OUT" 2>&1 &
BS_PID=$!
track "$BS_PID"
bs() { printf '%s\n' "$*" >&3; }
bs_log() { wait_for_log "$1" "${2:-10}" "$BS_OUT"; }
bs_last() { sed 's/\x1b\[[0-9;]*m//g' "$BS_OUT" | grep -E "$1" | tail -n 1; }

bs_log '200@centinela\.local: \{[0-9]+/TLS/v4\} 200 OK' 15 ||
    fail "baresip did not register over TLS: $(bs_last 'centinela\.local')"
ok "baresip registered over TLS"

bs "/dial sip:5551000@centinela.local"
bs_log 'Call established: sip:5551000@|session closed' 15
bs_log 'Call established: sip:5551000@' 0 ||
    fail "the call was not established: $(bs_last 'session closed|terminated')"
ok "baresip's SRTP call to the PBX is established"
sleep 4
bs "/hangup"
wait_until 10 sipp_stat_is uas 'SuccessfulCall(C)' -ge 1 ||
    fail "the PBX did not complete the call (see $T/uas.err)"
ok "the PBX completed the call (plain RTP offer from rtpengine's address)"
bs "/quit"
wait_until 5 gone "$BS_PID"
stop_pid "$BS_PID"
exec 3>&-
sleep 0.5
stop_pid "$TS_PID"

# ---- what went over the wire ------------------------------------------------------
# The phone's leg, read in baresip's SIP trace (the TLS stream): the
# answer it got is SRTP with rtpengine's keys on rtpengine's ports.
sed 's/\x1b\[[0-9;]*m//g' "$BS_OUT" >"$T/baresip.txt"
grep -qE "^m=audio ${MPORT} RTP/SAVP " "$T/baresip.txt" ||
    fail "the answer toward the phone is not RTP/SAVP on rtpengine's ports"
grep -q '^a=crypto:' "$T/baresip.txt" ||
    fail "the answer toward the phone carries no a=crypto"
ok "toward the phone: RTP/SAVP with a=crypto on rtpengine's ports"

tshark -r "$T/media.pcap" -n -Y "sip.Method == \"INVITE\" && udp.dstport == $UAS_PORT" \
    -T fields -e sdp.media -e sdp.media_attr >"$T/invite_pbx.txt" 2>/dev/null
[ -s "$T/invite_pbx.txt" ] || fail "no INVITE toward the PBX in the capture"
grep -q 'RTP/AVP ' "$T/invite_pbx.txt" || fail "the PBX's offer is not RTP/AVP"
grep -qE 'crypto:|fingerprint:' "$T/invite_pbx.txt" &&
    fail "SDES keys went to the PBX over UDP"
ok "toward the PBX: RTP/AVP without a=crypto"

# Media toward the PBX (rtpengine -> SIPp's media port): plain PCMU.
tshark -r "$T/media.pcap" -n -d "udp.port==$UAS_MP,rtp" \
    -Y "udp.dstport == $UAS_MP && rtp" \
    -T fields -e rtp.version -e rtp.p_type -e udp.length -e rtp.payload \
    >"$T/rtp_pbx.txt" 2>/dev/null
# Media toward the phone (rtpengine -> baresip's media port).
tshark -r "$T/media.pcap" -n \
    -Y "udp.srcport >= $RTPE_LO && udp.srcport <= $RTPE_HI && udp.dstport >= $RTP_LO && udp.dstport <= $RTP_HI" \
    -T fields -e udp.length -e data.data -d "udp.port==0,data" \
    >"$T/rtp_phone.txt" 2>/dev/null
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
"$PYTHON" - "$T/rtp_pbx.txt" "$T/rtp_phone.txt" <<'EOF' || fail "media check failed"
import sys

def rows(path):
    out = []
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) >= 2 and f[0]:
            out.append(f)
    return out

pbx = rows(sys.argv[1])
phone = rows(sys.argv[2])
bad = 0
if len(pbx) < 50:
    print("    FAIL: %d RTP packets toward the PBX, want >= 50" % len(pbx)); sys.exit(1)
plain = [bytes.fromhex(f[3].replace(":", "")) for f in pbx
         if f[0] == "2" and f[1] == "0" and f[2] == "180" and len(f) > 3]
if len(plain) < 0.9 * len(pbx):
    print("    FAIL: only %d of %d packets toward the PBX are plain PCMU "
          "(version 2, type 0, 160 bytes)" % (len(plain), len(pbx))); sys.exit(1)
print("    ok: %d plain PCMU packets toward the PBX" % len(plain))
if len(phone) < 50:
    print("    FAIL: %d packets from rtpengine toward the phone, want >= 50" % len(phone)); sys.exit(1)
lengths = sorted(set(int(f[0]) for f in phone))
tag = [l - 180 for l in lengths]
if any(t not in (4, 10, 16) for t in tag):
    print("    FAIL: packets toward the phone are %s bytes (UDP), want 180 + "
          "an SRTP tag of 4, 10 or 16" % lengths); sys.exit(1)
# The phone gets the echo of what the PBX got: compare payloads.
common = {}
for p in plain:
    common[p] = True
same = 0
for f in phone:
    pkt = bytes.fromhex(f[1].replace(":", ""))
    if pkt[12:172] in common:
        same += 1
if same > 0:
    print("    FAIL: %d packets toward the phone carry a plain payload" % same); sys.exit(1)
print("    ok: %d SRTP packets toward the phone (UDP length %s), none "
      "with a plain payload" % (len(phone), lengths))
EOF
ok "the phone's leg is SRTP, the PBX's plain RTP"

expect_metric centinela_media_offers_total 'result="ok"' -eq 1
expect_metric centinela_media_answers_total 'result="ok"' -ge 1
expect_metric centinela_media_deletes_total '' -eq 1
expect_metric centinela_media_calls '' -eq 0
grep -q "offer" "$T/rtpengine.out" || fail "rtpengine logged no offer"

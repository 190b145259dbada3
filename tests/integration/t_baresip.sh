#!/bin/bash
# t_baresip -- a real softphone (baresip 1.0.0, Debian package) against
# centinela as registrar and proxy, with a SIPp PBX on the other side:
#  1. account 200 (centinelactl, generated secret); baresip, bound to
#     127.0.0.2 (a public source), REGISTERs through centinela with
#     digest auth: the registrar counts it and baresip reports 200 OK;
#  2. baresip dials sip:5551000@centinela.local: centinela challenges
#     the INVITE, then forwards it to the upstream pool, a SIPp UAS
#     playing the PBX (180, 200, ACK; baresip hangs up two seconds
#     later: BYE, 200), which must count one successful call;
#  3. the PBX (a SIPp UAC on 127.0.0.1, a trusted peer with role "pbx")
#     calls sip:200@centinela.local: centinela routes it to baresip's
#     registered contact, baresip auto-answers (answermode=auto), the
#     UAC gets 200, sends ACK and then BYE, and must complete the call.
# baresip is configured like a phone in the field: AOR
# 200@centinela.local, centinela as its outbound proxy (every request
# carries a pre-loaded Route <sip:127.0.0.1:PORT;lr>). It runs
# headless: no sound card (the aubridge module stands in for the audio
# device), commands on its stdin (stdio module) through a FIFO. Step 2
# failing does not stop step 3 (the test still fails).
#
# Digest: baresip 1.0.0 rides on libre 1.1.0, whose client code
# (src/sip/auth.c) accepts only algorithm MD5 (or none) and gives up
# with ENOSYS at the first challenge naming anything else -- even when
# an MD5 challenge sits in the same response. So centinela must offer
# MD5 alone here.
TEST_ID=34
. "$(dirname "$0")/lib.sh"
need_pkg baresip sip-tester curl

BS_PORT=$((BASE + 50))			# baresip SIP (udp + tcp)
RTP_LO=$((BASE + 20))			# baresip RTP ports 20..39
RTP_HI=$((BASE + 39))
UAS_MP=$((BASE + 10))			# SIPp media ports
UAC_MP=$((BASE + 14))
BS=$T/baresip				# baresip's config directory
BS_OUT=$T/baresip.out

UPSTREAMS="pbx udp 127.0.0.1 $UAS_PORT 1 1"
EXTRA='peers = ( { name = "pbx"; cidr = "127.0.0.1/32"; role = "pbx"; } );
registrar = { mode = "local"; min_expires = 60; max_expires = 3600;
  default_expires = 300; max_contacts = 10; };
auth = { algorithms = [ "MD5" ]; };'
write_conf "$T/centinela.conf"

CTL=$(dirname "$BIN")/centinelactl
SECRET=$(user_add "$T/centinela.conf" 200) ||
    fail "centinelactl user add 200 failed"
[ ${#SECRET} -ge 16 ] || fail "no device secret written: $(cat "$T/add-200.out")"
ok "account 200 created with a ${#SECRET}-character secret"

# ---- baresip's configuration ------------------------------------------
# Minimal modules: stdio (commands on stdin), menu (/dial, /hangup,
# /quit), account (reads "accounts"), g711, and aubridge as both audio
# player and source (no sound card: what it records is what it plays,
# all in memory). audio_path is an empty directory so that no ring
# tones are played. -t on the command line bounds its life anyway.
mkdir -p "$BS/sounds"
cat >"$BS/config" <<EOF
# baresip 1.0.0 configuration written by $TNAME
poll_method		epoll
sip_listen		127.0.0.2:$BS_PORT
net_interface		127.0.0.2
call_local_timeout	20
call_max_calls		4
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
module_tmp		account.so
module_app		menu.so
EOF
# One account: AOR 200@centinela.local, password for any realm, every
# request through centinela as outbound proxy (a pre-loaded Route
# <sip:127.0.0.1:PORT;lr>), incoming calls answered at once.
cat >"$BS/accounts" <<EOF
<sip:200@centinela.local>;auth_pass=$SECRET;outbound="sip:127.0.0.1:$SIP_PORT";regint=300;answermode=auto;audio_codecs=PCMU
EOF
: >"$BS/contacts"

# ---- the PBX and centinela -----------------------------------------------
scenario uas_pbx_call RR="Record-Route: <sip:127\\.0\\.0\\.1:$SIP_PORT;lr;ad=[0-9a-f]{16}>"
start_uas uas "$T/uas_pbx_call.xml" "$UAS_PORT" \
    -key contact "127.0.0.1:$UAS_PORT" -mp "$UAS_MP"
start_centinela
wait_upstream_healthy pbx

# ---- baresip --------------------------------------------------------------
# Its stdin is a FIFO that this shell holds open read-write on fd 3 (so
# neither side blocks opening it and baresip never reads end of file).
mkfifo "$T/baresip.in"
exec 3<>"$T/baresip.in"
baresip -f "$BS" -s -t 50 <"$T/baresip.in" >"$BS_OUT" 2>&1 &
BS_PID=$!
track "$BS_PID"
bs() { printf '%s\n' "$*" >&3; }
bs_log() { wait_for_log "$1" "${2:-10}" "$BS_OUT"; }
# bs_last PATTERN -- baresip's last output line matching PATTERN, no
# colours.
bs_last() { sed 's/\x1b\[[0-9;]*m//g' "$BS_OUT" | grep -E "$1" | tail -n 1; }
# soft_fail MSG -- a failure that does not stop the test: the steps
# after it still run, the test still fails.
soft_fail() { echo "  [$TNAME] FAIL: $*"; FAILED=1; }
# bs_up -- baresip is ready, or gone.
bs_up() { grep -q 'baresip is ready' "$BS_OUT" || gone "$BS_PID"; }
# uas_done -- the PBX's SIPp counted a call, successful or failed.
uas_done() {
	sipp_stat_is uas 'SuccessfulCall(C)' -ge 1 ||
	    sipp_stat_is uas 'FailedCall(C)' -ge 1
}

# 1. registration (digest, MD5)
if ! wait_until 10 bs_up || gone "$BS_PID"; then
	fail "baresip did not start"
fi
bs_log '200@centinela\.local: \{[0-9]+/UDP/v4\} [0-9]{3} ' 10 ||
    fail "baresip got no answer to its REGISTER:" \
	"$(bs_last 'reg: |Register')"
bs_log '200@centinela\.local: \{[0-9]+/UDP/v4\} 200 OK' 1 ||
    fail "baresip did not register: $(bs_last '200@centinela\.local: \{')"
ok "baresip says: $(bs_last '200@centinela\.local: \{[0-9]+/UDP/v4\} 200 OK')"
wait_metric 5 centinela_events_total 'event="register",reason="none"' -ge 1 ||
    fail "centinela counted no registration"
expect_metric centinela_events_total 'event="register",reason="none"' -ge 1
expect_metric centinela_events_total 'event="auth_ok",reason="none"' -ge 1

# 2. baresip calls the PBX through centinela (INVITE challenged with
# 407, sent again with credentials, forwarded to the upstream pool).
bs "/dial sip:5551000@centinela.local"
bs_log 'Call established: sip:5551000@|sip:5551000@centinela\.local: session closed' 10
if bs_log 'Call established: sip:5551000@' 0; then
	ok "baresip's call to the PBX is established"
	sleep 2
	bs "/hangup"
	# The UAS's CSV is written every second: wait for the call to
	# be counted either way.
	wait_until 10 uas_done
	okn=$(sipp_stat uas 'SuccessfulCall(C)')
	badn=$(sipp_stat uas 'FailedCall(C)')
	if [ "$okn" = 1 ] && [ "$badn" = 0 ]; then
		ok "the PBX completed baresip's call (1 successful, 0 failed)"
	else
		soft_fail "the PBX counted $okn successful and $badn failed" \
		    "calls, want 1 and 0 (see $T/uas.err)"
	fi
else
	soft_fail "baresip's call to the PBX failed:" \
	    "$(bs_last 'session closed|Call .* terminated')"
fi

# 3. the PBX calls baresip: centinela finds 200's contact, baresip
# answers by itself, the PBX sends ACK and BYE through centinela.
sipp_run pbxuac -sf "$SCEN/uac_call.xml" -key rhost centinela.local \
    -s 200 -i 127.0.0.1 -p "$UAC_PORT" -mp "$UAC_MP" -m 1 -timeout 20s \
    "127.0.0.1:$SIP_PORT" || fail "the PBX's call to 200 failed (SIPp status $?)"
expect_num "PBX UAC successful calls" "$(sipp_stat pbxuac 'SuccessfulCall(C)')" -eq 1
expect_num "PBX UAC failed calls" "$(sipp_stat pbxuac 'FailedCall(C)')" -eq 0
bs_log 'answering call on line [0-9]+ from sip:sipp@127\.0\.0\.1' 2 ||
    fail "baresip did not say it answered the PBX's call"
ok "baresip answered the PBX's call by itself"

bs "/quit"
wait_until 5 gone "$BS_PID" || say "baresip did not quit by itself"
stop_pid "$BS_PID"
exec 3>&-

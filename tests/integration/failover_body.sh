# tests/integration/failover_body.sh -- the body of t_failover*.sh:
# two upstreams of equal priority, a and b, over $TP, a killed with
# SIGKILL in the middle of a call run and started again.
# Sourced by t_failover.sh (UDP) and t_failover_tcp.sh (TCP) after they
# set TEST_ID and TP (udp or tcp); see their headers for what it checks.
. "$(dirname "$0")/lib.sh"
need_pkg sip-tester curl
N=120
A_PORT=$UAS_PORT
B_PORT=$((UAS_PORT + 1))

if [ "$TP" = tcp ]; then
	SIPP_TP="-t t1"
	RR_TP=";transport=tcp"
else
	SIPP_TP=""
	RR_TP=""
fi

UPSTREAMS="a $TP 127.0.0.1 $A_PORT 1 1; b $TP 127.0.0.1 $B_PORT 1 1"
EXTRA="transaction = { failover_timeout = 1000; };"
write_conf "$T/centinela.conf"
scenario uas_call RR="Record-Route: <sip:127\\.0\\.0\\.1:$SIP_PORT$RR_TP;lr"
start_a() {	# start_a GENERATION
	# shellcheck disable=SC2086
	start_uas "uas_a$1" "$T/uas_call.xml" "$A_PORT" $SIPP_TP \
	    -key contact "127.0.0.1:$A_PORT$RR_TP"
	A_PID=$SIPP_PID
}
start_a 1
# shellcheck disable=SC2086
start_uas uas_b "$T/uas_call.xml" "$B_PORT" $SIPP_TP \
    -key contact "127.0.0.1:$B_PORT$RR_TP"
start_centinela
wait_upstream_healthy a
wait_upstream_healthy b

# shellcheck disable=SC2086
sipp_bg uac -sf "$SCEN/uac_call.xml" -key rhost "127.0.0.1:$SIP_PORT" \
    $SIPP_TP -s callee -i 127.0.0.1 -p "$UAC_PORT" -m "$N" -r 10 -l "$N" \
    -timeout 90s -timeout_error -recv_timeout 10s "127.0.0.1:$SIP_PORT"
UAC=$SIPP_PID
wait_until 30 sipp_stat_is uac 'SuccessfulCall(C)' -ge 25 ||
    fail "the first 25 calls did not complete"
# a's statistics file is rewritten once a second and a call counts
# there after its closing pause: wait for it rather than read it once.
wait_uas uas_a1 3 5 ||
    fail "calls a completed before it dies: $(sipp_stat uas_a1 'SuccessfulCall(C)'), want -ge 3"
ok "calls a completed before it dies: $(sipp_stat uas_a1 'SuccessfulCall(C)') (>= 3)"

say "killing upstream a (PID $A_PID) with SIGKILL: a crash, no goodbye"
kill -KILL "$A_PID"
wait "$A_PID" 2>/dev/null
untrack "$A_PID"
t0=$(date +%s%N)
wait_metric 5 centinela_upstream_up 'upstream="a"' -eq 0 ||
    fail "a not marked down within 5 s"
ok "a marked down after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
wait_for_log 'upstream a is down' 2 || fail "no 'upstream a is down' line"
ok "log: upstream a is down"
expect_metric centinela_upstream_up 'upstream="b"' -eq 1

sleep 1
say "starting upstream a again"
start_a 2
t0=$(date +%s%N)
wait_metric 3 centinela_upstream_up 'upstream="a"' -eq 1 ||
    fail "a not marked up within 3 s (probe interval 500 ms)"
ok "a marked up after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
wait_for_log 'upstream a is up' 2 || fail "no 'upstream a is up' line"
ok "log: upstream a is up"

sipp_wait "$UAC" 80
say "UAC exit status $? (non-zero when any call failed)"
ok_calls=$(sipp_stat uac 'SuccessfulCall(C)')
bad_calls=$(sipp_stat uac 'FailedCall(C)')
say "calls: $ok_calls succeeded, $bad_calls failed"
expect_num "calls accounted for" "$((ok_calls + bad_calls))" -eq "$N"
expect_num "successful calls (>= 95 %)" "$ok_calls" -ge $((N * 95 / 100))
expect_num "calls completed by the revived a" "$(sipp_stat uas_a2 'SuccessfulCall(C)')" -ge 1
expect_metric centinela_upstream_up 'upstream="a"' -eq 1

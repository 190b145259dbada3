#!/bin/bash
# t_guard_ladder -- the ban ladder and the guard's operations, black box
# (attack.py from chosen loopback addresses; a SIPp PBX on 127.0.0.3, a
# "pbx" peer and the upstream; a "customer" peer 127.0.0.9):
#
#  1. ladder [3s, 1h], memory 1h: a brute force from 127.0.0.6 is banned
#     on rung 1 for 3 s, answered again after it; a second one is
#     banned on rung 2 for 3600 s; `ban show` has 2 strikes, 2 bans;
#  2. persistence: after kill -9 and a restart 127.0.0.6 is still banned
#     (restored from the store at once);
#  3. centinelactl: bad input is refused (status, message, no change);
#     an allowlisted source is never banned and cannot be banned by
#     hand; a manual ban silences within about a second, ban del lifts
#     it; list/stats --json are JSON;
#  4. forged headers: a brute force from 127.0.0.7 naming the PBX
#     127.0.0.3 in From/Contact/Via bans 127.0.0.7, never the PBX, which
#     keeps answering probes and taking calls;
#  5. flood: 200 OPTIONS at once from public 127.0.0.8 (cap 20/s, burst
#     40, action ban) get it banned; the same from the customer peer
#     (cap 20/s) is only dropped over the cap, never banned;
#  6. signature reload: SIGHUP loads a new signature file (a new
#     User-Agent then bans), a broken file is refused and the loaded set
#     stays;
#  7. shadow mode: the same brute force is never silenced, only logged
#     and counted as event=shadow.
TEST_ID=39
. "$(dirname "$0")/lib.sh"
need_pkg python3 curl sip-tester

PBX=127.0.0.3
CUST=127.0.0.9
SIGS=$T/signatures.conf
cp "$TOP/etc/signatures.conf" "$SIGS" || fail "no etc/signatures.conf"

UPSTREAMS="pbx udp $PBX $UAS_PORT 1 1"
# guard_conf MODE FILE
guard_conf() {
	EXTRA="peers = ( { name = \"pbx\"; cidr = \"$PBX/32\"; role = \"pbx\"; },
	{ name = \"cust\"; cidr = \"$CUST/32\"; role = \"customer\";
	  class = \"access\"; } );
guard = { mode = \"$1\"; ladder = [ \"3s\", \"1h\" ]; memory = \"1h\";
	signatures = \"$SIGS\"; };
flood = { public = { rate = 20; burst = 40; action = \"ban\"; };
	customer = { rate = 20; burst = 40; action = \"drop\"; }; };"
	write_conf "$2"
}
guard_conf enforce "$T/centinela.conf"
guard_conf shadow "$T/shadow.conf"
CONF=$T/centinela.conf
CTL=$(dirname "$BIN")/centinelactl
[ -x "$CTL" ] || fail "no centinelactl beside $BIN"
ctl() { "$CTL" "$@"; }
ctl user -c "$CONF" add 1000 >/dev/null || fail "user add 1000 failed"

scenario uas_call RR="Record-Route: <sip:127\\.0\\.0\\.1:$SIP_PORT;lr;ad=[0-9a-f]{16}>"
sipp_bg uas -sf "$T/uas_call.xml" -aa -i "$PBX" -p "$UAS_PORT" \
    -key contact "$PBX:$UAS_PORT"
wait_port udp "$UAS_PORT"
start_centinela
wait_upstream_healthy pbx

ev() { metric_value centinela_events_total "event=\"$1\",reason=\"$2\""; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# ---- 1. the ladder ---------------------------------------------------------

k=$(silenced_at crack --bind 127.0.0.6 --user 1000 --count 10)
expect_num "crack 1 from 127.0.0.6: silenced at request" "$k" -eq 6
grep -qE 'event=ban src=127\.0\.0\.6:[0-9]+ reason=brute_force: range=127\.0\.0\.6/32 rung=1 for=3s ' "$LOG" ||
    fail "no 'event=ban ... rung=1 for=3s' for 127.0.0.6"
t0=$(now_ms)
ping_silenced 127.0.0.6 || fail "127.0.0.6 answered right after its ban"
wait_until 8 ping_answered 127.0.0.6 ||
    fail "127.0.0.6 still silenced 8 s after a 3 s ban"
say "127.0.0.6 answered again $(( $(now_ms) - t0 )) ms after the rung-1 ban"
ok "rung 1: banned for 3 s, then answered again"

k=$(silenced_at crack --bind 127.0.0.6 --user 1000 --count 10)
say "crack 2 from 127.0.0.6: silenced at request $k"
expect_num "crack 2 from 127.0.0.6: silenced at request" "$k" -ge 2
expect_num "crack 2 from 127.0.0.6: silenced at request" "$k" -le 6
grep -qE 'event=ban src=127\.0\.0\.6:[0-9]+ reason=brute_force: range=127\.0\.0\.6/32 rung=2 for=3600s ' "$LOG" ||
    fail "no 'event=ban ... rung=2 for=3600s' for 127.0.0.6"
ping_silenced 127.0.0.6 || fail "127.0.0.6 answered after its rung-2 ban"
expect_num "ban/brute_force events" "$(ev ban brute_force)" -eq 2
expect_num "strike/brute_force events" "$(ev strike brute_force)" -eq 2

# show6 -- `ban show 127.0.0.6`: banned, rung 2, 2 strikes, 2 bans in
# its history (the store is written behind, within milliseconds).
show6_ok() {
	ctl ban -c "$CONF" show 127.0.0.6 >"$T/show6.txt" 2>&1 &&
	    grep -q "^127.0.0.6/32: banned, reason brute_force" "$T/show6.txt" &&
	    grep -qE '^ *rung 2, strikes 2,' "$T/show6.txt" &&
	    [ "$(grep -cE '^ +[0-9T:Z-]+ ban ' "$T/show6.txt")" = 2 ]
}
show6() {
	wait_until 3 show6_ok || fail "ban show 127.0.0.6: $(cat "$T/show6.txt")"
}
show6
ok "ban show 127.0.0.6: rung 2, strikes 2, two bans in its history"

# ---- 2. persistence across kill -9 --------------------------------------------

kill -KILL "$CENTINELA_PID"
wait "$CENTINELA_PID" 2>/dev/null
CENTINELA_PID=""
LOG=$T/centinela-2.log	# start_centinela waits for "listening on" in it
start_centinela
grep -qE 'ban: 1 bans and strike records restored' "$LOG" ||
    fail "restart: $(grep 'restored' "$LOG")"
ping_silenced 127.0.0.6 || fail "127.0.0.6 answered after the restart"
show6_ok || fail "after the restart: $(cat "$T/show6.txt")"
ok "after kill -9 and a restart 127.0.0.6 is still banned (rung 2)"

# ---- 3. centinelactl --------------------------------------------------------------

bans_json() { ctl ban -c "$CONF" list --json; }
bans_json >"$T/bans0.json" || fail "ban list --json failed"
# refused CASE ARGS... -- centinelactl fails with a message on stderr
# and changes nothing.
refused() {
	local rc
	ctl "$@" >"$T/ctl.out" 2>"$T/ctl.err" </dev/null
	rc=$?
	[ "$rc" != 0 ] || fail "centinelactl $* succeeded: $(cat "$T/ctl.out")"
	[ -s "$T/ctl.err" ] || fail "centinelactl $*: status $rc, no message"
	bans_json >"$T/bans1.json" || fail "ban list --json failed"
	cmp -s "$T/bans0.json" "$T/bans1.json" ||
	    fail "centinelactl $* changed the bans: $(cat "$T/bans1.json")"
	ok "centinelactl $*: status $rc, '$(head -n 1 "$T/ctl.err")'"
}
refused ban -c "$CONF" add nonsense
refused ban -c "$CONF" add 10.0.0.0/33
refused ban -c "$CONF" add 1.2.3.4 --for 5x
refused ban -c "$CONF" add 1.2.3.4 --reason nope
refused allow -c "$CONF" add
refused ban -c "$CONF" frob

ctl allow -c "$CONF" add 127.0.0.10 --note test >/dev/null ||
    fail "allow add 127.0.0.10 failed"
sleep 1		# the daemon reads the store every 200 ms
k=$(silenced_at crack --bind 127.0.0.10 --user 1000 --count 10)
expect_num "crack from allowlisted 127.0.0.10: silenced at request" "$k" -eq 0
! grep -qE 'event=ban src=127\.0\.0\.10:' "$LOG" ||
    fail "allowlisted 127.0.0.10 was banned"
refused ban -c "$CONF" add 127.0.0.10

ctl ban -c "$CONF" add 127.0.0.11 --for 1h >/dev/null ||
    fail "ban add 127.0.0.11 --for 1h failed"
t0=$(now_ms)
wait_until 3 ping_silenced 127.0.0.11 ||
    fail "127.0.0.11 still answered 3 s after ban add"
dt=$(( $(now_ms) - t0 ))
expect_num "ms until a manual ban silenced 127.0.0.11 (ping wait 1000 incl.)" "$dt" -le 2200
ctl ban -c "$CONF" del 127.0.0.11 >/dev/null || fail "ban del 127.0.0.11 failed"
wait_until 3 ping_answered 127.0.0.11 ||
    fail "127.0.0.11 still silenced 3 s after ban del"
ok "manual ban of 127.0.0.11 applied and lifted on the running daemon"
for c in "ban list --json" "ban stats --json" "allow list --json"; do
	# shellcheck disable=SC2086
	ctl ${c%% *} -c "$CONF" ${c#* } >"$T/out.json" ||
	    fail "centinelactl $c failed"
	"$PYTHON" -c 'import json, sys; json.load(open(sys.argv[1]))' \
	    "$T/out.json" || fail "centinelactl $c: not JSON: $(cat "$T/out.json")"
done
ok "ban list/stats and allow list --json are JSON"

# ---- 4. forged headers naming the PBX -------------------------------------------

p0=$(metric_value centinela_upstream_probes_total 'upstream="pbx"')
k=$(silenced_at forge --bind 127.0.0.7 --user 1000 --count 10 --as "$PBX")
expect_num "forge from 127.0.0.7 as $PBX: silenced at request" "$k" -eq 6
grep -qE 'event=ban src=127\.0\.0\.7:[0-9]+ reason=brute_force: range=127\.0\.0\.7/32 ' "$LOG" ||
    fail "no event=ban for 127.0.0.7"
! grep -qE "(event=ban src=|range=)$PBX[:/]" "$T"/centinela*.log ||
    fail "the PBX was banned"
ctl ban -c "$CONF" show "$PBX" >"$T/show_pbx.txt" || fail "ban show $PBX failed"
grep -q "no record" "$T/show_pbx.txt" ||
    fail "ban show $PBX: $(cat "$T/show_pbx.txt")"
wait_metric 5 centinela_upstream_probes_total 'upstream="pbx"' -ge $((p0 + 3)) ||
    fail "no probes to the PBX after the forged attack"
expect_metric centinela_upstream_probe_failures_total 'upstream="pbx"' -eq 0
expect_metric centinela_upstream_up 'upstream="pbx"' -eq 1
sipp_run uac -sf "$SCEN/uac_call.xml" -key rhost "127.0.0.1:$SIP_PORT" \
    -s 5551000 -i "$CUST" -p "$UAC_PORT" -m 1 "127.0.0.1:$SIP_PORT" ||
    fail "a call from the customer peer to the PBX failed (status $?)"
expect_num "calls through to the PBX" "$(sipp_stat uac 'SuccessfulCall(C)')" -eq 1
ok "the PBX named in forged headers is not banned and keeps working"

# ---- 5. flood ----------------------------------------------------------------

f0=$(ev ban flood)
attack flood --bind 127.0.0.8 --count 200 >"$T/flood8.txt"
say "flood from public 127.0.0.8: $(cat "$T/flood8.txt")"
grep -qE 'silenced_at=([4-9][0-9]|1[0-9][0-9])$' "$T/flood8.txt" ||
    fail "127.0.0.8: the flood cap (burst 40) did not bite: $(cat "$T/flood8.txt")"
expect_num "ban/flood events" $(( $(ev ban flood) - f0 )) -eq 1
grep -qE 'event=ban src=127\.0\.0\.8:[0-9]+ reason=flood: ' "$LOG" ||
    fail "no event=ban for 127.0.0.8 (flood)"
ping_silenced 127.0.0.8 || fail "127.0.0.8 answered after its flood ban"
ok "a public flood source is banned"

d0=$(metric_value centinela_drops_total 'reason="flood"')
attack flood --bind "$CUST" --count 200 >"$T/flood9.txt"
say "flood from customer peer $CUST: $(cat "$T/flood9.txt")"
grep -qE 'silenced_at=([4-9][0-9]|1[0-9][0-9])$' "$T/flood9.txt" ||
    fail "$CUST: the flood cap (burst 40) did not bite: $(cat "$T/flood9.txt")"
expect_num "flood drops" \
    $(( $(metric_value centinela_drops_total 'reason="flood"') - d0 )) -ge 100
expect_num "ban/flood events" $(( $(ev ban flood) - f0 )) -eq 1
! grep -qE "event=ban src=$CUST:" "$LOG" || fail "the customer peer was banned"
wait_until 3 ping_answered "$CUST" ||
    fail "the customer peer still dropped 3 s after its flood"
ctl ban -c "$CONF" show "$CUST" >"$T/show_cust.txt" || fail "ban show $CUST failed"
grep -q "no record" "$T/show_cust.txt" ||
    fail "ban show $CUST: $(cat "$T/show_cust.txt")"
ok "a peer over its cap is only dropped, never banned"

# ---- 6. signature reload ----------------------------------------------------------

k=$(silenced_at ua --bind 127.0.0.12 --agent evil-test-agent)
expect_num "evil-test-agent from 127.0.0.12 before the reload: silenced at" "$k" -eq 0
sed 's/^version = [0-9]*;/version = 2;/' "$TOP/etc/signatures.conf" |
    sed 's/^signatures = (/signatures = (\n\t{ name = "test-ua"; header = "User-Agent"; contains = "evil-test-agent"; },/' \
    >"$SIGS.new"
grep -q '"test-ua"' "$SIGS.new" || fail "could not write the new signature file"
cp "$SIGS.new" "$SIGS"
m=$(log_mark)
kill -HUP "$CENTINELA_PID"
wait_for_log 'scanner signatures reloaded \(version 2\)' 5 ||
    fail "no 'signatures reloaded (version 2)' after SIGHUP: $(log_since "$m")"
k=$(silenced_at ua --bind 127.0.0.13 --agent evil-test-agent)
expect_num "evil-test-agent from 127.0.0.13 after the reload: silenced at" "$k" -eq 1
expect_metric centinela_scanner_hits_total 'signature="test-ua"' -eq 1

printf 'version = 3;\nsignatures = ( { name = "broken"; header = ; } );\n' >"$SIGS"
m=$(log_mark)
kill -HUP "$CENTINELA_PID"
wait_until 5 eval 'log_since "$m" | grep -q "not reloaded"' ||
    fail "no 'not reloaded' after SIGHUP with a broken file: $(log_since "$m")"
log_since "$m" | grep -q "reloaded (version" &&
    fail "the broken signature file was loaded"
k=$(silenced_at ua --bind 127.0.0.14 --agent evil-test-agent)
expect_num "evil-test-agent from 127.0.0.14 after a refused reload: silenced at" "$k" -eq 1
expect_metric centinela_scanner_hits_total 'signature="test-ua"' -eq 2
ok "SIGHUP loads a good signature file and refuses a broken one"
cp "$SIGS.new" "$SIGS"	# `centinela -t` at the next start checks it

# ---- 7. shadow mode -------------------------------------------------------------------

stop_centinela || fail "centinela did not stop cleanly"
LOG=$T/centinela-shadow.log
start_centinela "$T/shadow.conf"
s0=$(ev shadow brute_force)
k=$(silenced_at crack --bind 127.0.0.16 --user 1000 --count 10)
expect_num "crack from 127.0.0.16 in shadow mode: silenced at" "$k" -eq 0
grep -qE 'event=shadow src=127\.0\.0\.16:' "$LOG" ||
    fail "no event=shadow for 127.0.0.16 in the log"
! grep -qE 'event=ban ' "$LOG" ||
    fail "a ban in shadow mode: $(grep 'event=ban ' "$LOG")"
metrics | grep -E '^centinela_events_total\{event="shadow"' >"$T/shadow.metrics"
sum=$(awk '{ s += $2 } END { print s + 0 }' "$T/shadow.metrics")
expect_num "shadow events" "$sum" -ge 1
ok "shadow mode: logged and counted, nothing silenced"

#!/bin/bash
# t_guard_nft -- bans offloaded to nftables (guard.nftables = true),
# black-box, inside a network namespace of the test's own (its own
# loopback and its own nftables ruleset; the host's must not change):
#
#  1. at start the daemon creates table inet centinela with the sets
#     banned4 and banned6 and an input chain dropping their sources;
#  2. `centinelactl ban add 127.0.0.40 --for 1h` (the store is a file,
#     shared with the namespace): the element appears in banned4 with a
#     timeout of about an hour, and the kernel drops the source before
#     the daemon sees it (its "banned" drop counter stays put);
#     `ban add 127.0.9.0/24` adds an interval;
#  3. a ban from a trigger: attack.py crack (wrong digest secrets from
#     127.0.0.41) is silenced, and 127.0.0.41 is in banned4;
#  4. `centinelactl ban del`: the elements leave the set, the source is
#     answered again;
#  5. at shutdown the table is deleted; a restart recreates it with the
#     active bans restored from the store; the host's ruleset is the same
#     before and after, and never holds the test's table.
TEST_ID=41
. "$(dirname "$0")/lib.sh"
need_pkg python3 curl iproute2 nftables

CTL=$(dirname "$BIN")/centinelactl
[ -x "$CTL" ] || fail "no centinelactl beside $BIN"
NS=centinela-itest$TEST_ID-$$
TABLE=centinela

# The namespace goes at exit, whatever happened (the daemon, if still
# running, is stopped by lib.sh's handler, which runs next).
ns_exit() {
	local rc=$?
	[ -n "$CENTINELA_PID" ] && { stop_centinela || FAILED=1; }
	ip netns del "$NS" 2>/dev/null
	(exit $rc)
	on_exit
}
trap ns_exit EXIT

ip netns del "$NS" 2>/dev/null
ip netns add "$NS" || fail "ip netns add $NS failed"
nsx() { ip netns exec "$NS" "$@"; }
nsx ip link set lo up || fail "cannot bring lo up in $NS"
nsx ip -4 addr show dev lo | grep -q '127\.0\.0\.1/8' ||
    fail "no 127.0.0.1/8 on lo in $NS"

nft list ruleset >"$T/host-before.nft" 2>&1 ||
    fail "nft list ruleset on the host failed: $(cat "$T/host-before.nft")"
host_has_table() { nft list tables 2>/dev/null | grep -qx "table inet $TABLE"; }
HOST_HAD_TABLE=0
host_has_table && HOST_HAD_TABLE=1

# lib.sh's helpers, redirected into the namespace.
metrics() {
	nsx curl -s --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics"
}
start_centinela_ns() {
	local conf=$1
	"$BIN" -t -c "$conf" >"$T/conf-check.txt" 2>&1 ||
	    { cat "$T/conf-check.txt"; fail "generated config is invalid"; }
	touch "$LOG"
	# Not through nsx: $! must be the daemon (ip netns exec execs it).
	ip netns exec "$NS" "$BIN" -f -c "$conf" >>"$LOG" 2>&1 &
	CENTINELA_PID=$!
	wait_until 20 grep -q "listening on" "$LOG" ||
	    fail "centinela did not start"
	alive "$CENTINELA_PID" || fail "centinela exited at start"
	say "centinela $CENTINELA_PID up in netns $NS"
}
ping_ns() {
	nsx "$PYTHON" "$ITEST/attack.py" ping --bind "$1" --port "$SIP_PORT" \
	    --wait "${2:-1}"
}
expect_silenced() {
	local out
	out=$(ping_ns "$1")
	[ "$out" = "answered=0 silenced_at=1" ] ||
	    fail "${2:-$1}: $out, want silenced"
	ok "${2:-$1} is silenced"
}
expect_answered() {
	local out
	out=$(ping_ns "$1")
	[ "$out" = "answered=1 silenced_at=0" ] ||
	    fail "${2:-$1}: $out, want answered"
	ok "${2:-$1} is answered"
}
# set_has ADDR|CIDR [SET] -- the element is in the set (in the netns).
set_has() {
	nsx nft list set inet "$TABLE" "${2:-banned4}" 2>/dev/null |
	    tr ',{}' '\n\n\n' | grep -qE "^[[:space:]]*${1//./\\.}( |$)"
}
set_lacks() { nsx nft list set inet "$TABLE" banned4 >/dev/null 2>&1 && ! set_has "$@"; }
ban() { "$CTL" ban -c "$T/centinela.conf" "$@"; }

EXTRA='peers = ( { name = "pbx"; cidr = "127.0.0.1/32"; role = "pbx"; } );
guard = { nftables = true; };
auth = { algorithms = [ "MD5", "SHA-256" ]; };
triggers = { auth_failures = { count = 5; window = "10m"; ip_count = 20; }; };'
write_conf "$T/centinela.conf"
"$CTL" user -c "$T/centinela.conf" add 100 >/dev/null ||
    fail "user add 100 failed"

# ---- 1. the table ----------------------------------------------------------

start_centinela_ns "$T/centinela.conf"
wait_until 5 sh -c "ip netns exec '$NS' nft list table inet '$TABLE' >/dev/null 2>&1" ||
    fail "no table inet $TABLE in the namespace"
nsx nft list table inet "$TABLE" >"$T/table.nft" 2>&1
for want in 'set banned4' 'set banned6' 'type ipv4_addr' 'type ipv6_addr' \
    'hook input' 'ip saddr @banned4 drop' 'ip6 saddr @banned6 drop'; do
	grep -qF "$want" "$T/table.nft" ||
	    fail "table inet $TABLE lacks \"$want\": $(cat "$T/table.nft")"
done
ok "table inet $TABLE: banned4, banned6, input chain dropping both"
host_has_table && [ $HOST_HAD_TABLE = 0 ] &&
    fail "table inet $TABLE appeared on the host"
expect_answered 127.0.0.40 "127.0.0.40 before the ban"

# ---- 2. centinelactl ban add ----------------------------------------------

ban add 127.0.0.40 --for 1h >/dev/null || fail "ban add 127.0.0.40 failed"
wait_until 3 set_has 127.0.0.40 ||
    fail "127.0.0.40 not in banned4 within 3 s: $(nsx nft list set inet $TABLE banned4)"
ok "banned4 holds 127.0.0.40"
line=$(nsx nft list set inet "$TABLE" banned4 | tr ',' '\n' | grep -F '127.0.0.40')
# "127.0.0.40 timeout 1h expires 59m59s...": an hour, less the moment
# between the command and the daemon's poll of the store.
echo "$line" | grep -qE 'timeout (1h|59m[0-9]+s) ' ||
    fail "127.0.0.40 has not a 1 h timeout in banned4: $line"
ok "127.0.0.40 timeout about 1h in banned4: $(echo $line | sed 's/.*127/127/; s/ }//')"
drops0=$(metric_value centinela_drops_total 'reason="banned"')
drops0=${drops0:-0}
expect_silenced 127.0.0.40 "127.0.0.40 after ban add"
expect_silenced 127.0.0.40 "127.0.0.40 again"
# Dropped by the kernel: the daemon never saw the requests.
expect_metric centinela_drops_total 'reason="banned"' -eq "${drops0%%.*}" 0
expect_answered 127.0.0.42 "127.0.0.42 (not banned)"

ban add 127.0.9.0/24 --for 2h >/dev/null || fail "ban add 127.0.9.0/24 failed"
wait_until 3 set_has 127.0.9.0/24 ||
    fail "127.0.9.0/24 not in banned4: $(nsx nft list set inet $TABLE banned4)"
ok "banned4 holds 127.0.9.0/24"
expect_silenced 127.0.9.200 "127.0.9.200 (in 127.0.9.0/24)"

# ---- 3. a ban from a trigger ------------------------------------------------

out=$(nsx "$PYTHON" "$ITEST/attack.py" crack --bind 127.0.0.41 \
    --port "$SIP_PORT" --user 100 --count 10)
k=${out##*silenced_at=}
say "attack.py crack from 127.0.0.41: $out"
[ -n "$k" ] && [ "$k" -ge 1 ] && [ "$k" -le 7 ] ||
    fail "crack from 127.0.0.41 not silenced by the 7th attempt: $out"
ok "crack from 127.0.0.41 silenced at attempt $k"
wait_until 3 set_has 127.0.0.41 ||
    fail "127.0.0.41 (brute force) not in banned4: $(nsx nft list set inet $TABLE banned4)"
ok "banned4 holds 127.0.0.41 (brute_force)"
grep -qE 'event=ban src=127\.0\.0\.41:[0-9]+ .*reason=brute_force' "$LOG" ||
    fail "no brute_force ban line for 127.0.0.41"
line=$(nsx nft list set inet "$TABLE" banned4 | tr ',' '\n' | grep -F '127.0.0.41')
echo "$line" | grep -qE 'timeout 5m' ||
    fail "127.0.0.41 has not the first rung's 5 m timeout: $line"
ok "127.0.0.41 timeout 5m (ladder rung 1)"

# ---- 4. centinelactl ban del ----------------------------------------------

ban del 127.0.0.40 >/dev/null || fail "ban del 127.0.0.40 failed"
wait_until 3 set_lacks 127.0.0.40 ||
    fail "127.0.0.40 still in banned4 after ban del"
ok "ban del: 127.0.0.40 left banned4"
expect_answered 127.0.0.40 "127.0.0.40 after ban del"
set_has 127.0.0.41 || fail "ban del 127.0.0.40 took 127.0.0.41 along"
set_has 127.0.9.0/24 || fail "ban del 127.0.0.40 took 127.0.9.0/24 along"
ban del 127.0.9.0/24 >/dev/null || fail "ban del 127.0.9.0/24 failed"
wait_until 3 set_lacks 127.0.9.0/24 ||
    fail "127.0.9.0/24 still in banned4 after ban del"
ok "ban del: 127.0.9.0/24 left banned4"
expect_answered 127.0.9.200 "127.0.9.200 after ban del"
ban del 127.0.0.41 >/dev/null || fail "ban del 127.0.0.41 failed"
wait_until 3 set_lacks 127.0.0.41 ||
    fail "127.0.0.41 still in banned4 after ban del"
ok "ban del: 127.0.0.41 left banned4"
n=$(nsx nft list set inet "$TABLE" banned4 | grep -c 'elements')
expect_num "banned4 element lines left" "$n" -eq 0

# ---- 5. shutdown and restart ---------------------------------------------

host_has_table && [ $HOST_HAD_TABLE = 0 ] &&
    fail "table inet $TABLE appeared on the host"
ban add 127.0.0.43 --for 1h >/dev/null || fail "ban add 127.0.0.43 failed"
wait_until 3 set_has 127.0.0.43 || fail "127.0.0.43 not in banned4"
stop_centinela || fail "centinela did not stop cleanly"
nsx nft list table inet "$TABLE" >/dev/null 2>&1 &&
    fail "table inet $TABLE still in the namespace after shutdown"
ok "table inet $TABLE gone at shutdown"
[ -z "$(nsx nft list ruleset)" ] ||
    fail "the namespace's ruleset is not empty: $(nsx nft list ruleset)"

# A restart restores the active bans into the new table.
LOG=$T/restart.log
start_centinela_ns "$T/centinela.conf"
wait_until 3 set_has 127.0.0.43 ||
    fail "127.0.0.43 not restored into banned4 at restart: $(nsx nft list set inet $TABLE banned4)"
ok "restart: 127.0.0.43 restored into banned4"
set_has 127.0.0.40 && fail "restart: 127.0.0.40 (lifted) is back in banned4"
expect_silenced 127.0.0.43 "127.0.0.43 after the restart"
expect_answered 127.0.0.40 "127.0.0.40 after the restart"
stop_centinela || fail "centinela did not stop cleanly"
nsx nft list table inet "$TABLE" >/dev/null 2>&1 &&
    fail "table inet $TABLE still in the namespace after the second shutdown"
ok "table inet $TABLE gone at the second shutdown"
nft list ruleset >"$T/host-after.nft" 2>&1
cmp -s "$T/host-before.nft" "$T/host-after.nft" ||
    fail "the host's nftables ruleset changed: $(diff "$T/host-before.nft" "$T/host-after.nft")"
ok "the host's nftables ruleset is unchanged"

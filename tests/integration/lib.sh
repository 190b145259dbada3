# tests/integration/lib.sh -- helpers for the black-box tests (bash).
#
# A test is one small script t_<name>.sh that picks a unique TEST_ID and
# sources this file:
#
#	TEST_ID=3
#	. "$(dirname "$0")/lib.sh"
#
# It then owns the loopback ports 20000 + 100 * TEST_ID .. + 99 (named
# below), a fresh work directory $T = build/itest/<name>/, and an EXIT
# trap that stops every process it started (by recorded PID, never by
# name), checks the daemon's own exit (status 0, no ASan/UBSan/LSan
# report) and prints PASS or FAIL. A test fails by calling `fail MSG`
# or by exiting non-zero; it passes by reaching its end.
#
# Sourced without TEST_ID (run.sh does that) it only defines need_pkg.

# ---- packages ---------------------------------------------------------

# need_pkg PKG... -- install the Debian packages that are missing
# (apt-get update once per run, non-interactive, no recommends).
need_pkg() {
	local missing="" p stamp
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		    grep -q ' installed$' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "need_pkg: installing$missing"
	stamp=${TMPDIR:-/tmp}/centinela-itest-apt-updated
	if [ ! -e "$stamp" ]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
		    touch "$stamp"
	fi
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $missing >"$stamp.log" 2>&1 ||
	    { cat "$stamp.log"; return 1; }
}

[ -n "${TEST_ID:-}" ] || return 0

# ---- the test's world -------------------------------------------------

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ITEST=$TOP/tests/integration
SCEN=$ITEST/scenarios
PY=$ITEST/siptest.py
TNAME=$(basename "$0" .sh)
TNAME=${TNAME#t_}
T=$TOP/build/itest/$TNAME
BIN=${CENTINELA_BIN:-$TOP/build/centinela}
case $BIN in /*) ;; *) BIN=$TOP/$BIN ;; esac

BASE=$((20000 + 100 * TEST_ID))
SIP_PORT=$((BASE + 60))		# centinela udp + tcp
TLS_PORT=$((BASE + 61))		# centinela tls
UAC_PORT=$((BASE + 70))		# SIPp clients: 70..79
UAS_PORT=$((BASE + 80))		# SIPp servers: 80..89
TUN_PORT=$((BASE + 40))		# stunnel accept ports: 40..49
METRICS_PORT=$((BASE + 99))

rm -rf "$T"
mkdir -p "$T"
cd "$T" || exit 1

LOG=$T/centinela.log	# the daemon's stderr (a test may switch it)
PIDS=""			# everything we started, in start order
CENTINELA_PID=""
FAILED=0
START_S=$(date +%s)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

say() { echo "  [$TNAME] $*"; }
ok() { echo "  [$TNAME] ok: $*"; }

# fail MSG -- the test failed; the EXIT trap cleans up.
fail() {
	echo "  [$TNAME] FAIL: $*"
	FAILED=1
	exit 1
}

# expect_num WHAT VALUE OP WANT -- a numeric check (OP: -eq -ge -le ...).
expect_num() {
	if [ -n "$2" ] && test "$2" "$3" "$4" 2>/dev/null; then
		ok "$1 = $2 ($3 $4)"
	else
		fail "$1 = ${2:-none}, want $3 $4"
	fi
}

# ---- process bookkeeping -------------------------------------------------

track() { PIDS="$PIDS $1"; }

alive() { kill -0 "$1" 2>/dev/null; }

untrack() {
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}

# gone PID -- true when PID exited (a zombie counts as exited).
gone() {
	! kill -0 "$1" 2>/dev/null ||
	    [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]
}

# stop_pid PID -- TERM, wait up to 5 s, then KILL. Sets STOP_RC to the
# exit status.
stop_pid() {
	local pid=$1
	if ! gone "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		wait_until 5 gone "$pid" || kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	STOP_RC=$?
	untrack "$pid"
}

# stop_centinela -- stop the daemon; returns 1 when it did not exit 0
# or a sanitizer reported something.
stop_centinela() {
	local rc=0
	[ -n "$CENTINELA_PID" ] || return 0
	stop_pid "$CENTINELA_PID"
	CENTINELA_PID=""
	if [ "$STOP_RC" != 0 ]; then
		say "centinela exited with status $STOP_RC"
		rc=1
	fi
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Undefined|Leak)' \
	    "$LOG" 2>/dev/null; then
		say "sanitizer report in $LOG"
		rc=1
	fi
	return $rc
}

# stop_all -- stop the daemon (checked) and every other recorded PID.
stop_all() {
	local rc=0 pid
	stop_centinela || rc=1
	for pid in $PIDS; do
		stop_pid "$pid"
	done
	PIDS=""
	return $rc
}

show_logs() {
	local f
	echo "  ---- tail of $LOG"
	tail -n 40 "$LOG" 2>/dev/null | sed 's/^/  | /'
	for f in "$T"/*.err "$T"/*.out "$T"/*.screen "$T"/stunnel*.log; do
		[ -s "$f" ] || continue
		echo "  ---- tail of $f"
		tail -n 25 "$f" | sed 's/^/  | /'
	done
}

on_exit() {
	local rc=$?
	trap - EXIT
	[ "$FAILED" = 1 ] && rc=1
	if ! stop_all; then
		echo "  [$TNAME] FAIL: centinela did not shut down cleanly"
		rc=1
	fi
	if [ "$rc" != 0 ]; then
		show_logs
	fi
	say "done in $(( $(date +%s) - START_S )) s, status $rc"
	exit "$rc"
}
trap on_exit EXIT
trap 'FAILED=1; echo "  [$TNAME] FAIL: interrupted (time limit?)"; exit 1' \
    INT TERM

# ---- waiting -----------------------------------------------------------

# wait_until TIMEOUT_S CMD... -- poll CMD every 0.1 s.
wait_until() {
	local limit=$1 end
	shift
	end=$(( $(date +%s%N) / 1000000 + limit * 1000 ))
	while :; do
		"$@" && return 0
		[ $(( $(date +%s%N) / 1000000 )) -ge "$end" ] && return 1
		sleep 0.1
	done
}

# wait_for_log PATTERN [TIMEOUT_S] [FILE] -- an extended regex.
wait_for_log() {
	wait_until "${2:-10}" grep -qE -- "$1" "${3:-$LOG}"
}

port_bound() {	# port_bound udp|tcp PORT [ADDR]
	local opt=-Hlnu
	[ "$1" = tcp ] && opt=-Hlnt
	ss $opt "sport = :$2" 2>/dev/null | grep -q .
}

# wait_port udp|tcp PORT -- until something listens there (10 s).
wait_port() {
	wait_until 10 port_bound "$1" "$2" || fail "nothing listens on $1 $2"
}

# ---- configuration -----------------------------------------------------

# write_conf FILE -- a libconfig file from these variables:
#   LISTEN     "tp addr port; tp addr port; ..." (default udp+tcp on
#              127.0.0.1:$SIP_PORT)
#   UPSTREAMS  "name tp host port priority weight; ..." (default none)
#   EXTRA      raw libconfig text appended; a group it defines (probe,
#              tcp, limits, transaction, log, deny, peers, tls,
#              metrics, store) replaces the default written here.
write_conf() {
	local f=$1 e tp a p n h pr w first
	local listen=${LISTEN:-"udp 127.0.0.1 $SIP_PORT; tcp 127.0.0.1 $SIP_PORT"}
	local ups=${UPSTREAMS:-}
	local extra=${EXTRA:-}
	has() { printf '%s\n' "$extra" | grep -qE "^[[:space:]]*$1[[:space:]]*="; }
	{
		echo "# generated by tests/integration/lib.sh for $TNAME"
		echo "listen = ("
		first=1
		printf '%s\n' "$listen" | tr ';' '\n' | while read -r tp a p; do
			[ -n "$tp" ] || continue
			[ $first = 1 ] || echo ","
			first=0
			printf '\t{ transport = "%s"; address = "%s"; port = %s; }' \
			    "$tp" "$a" "$p"
		done
		echo; echo ");"
		echo "upstreams = ("
		first=1
		printf '%s\n' "$ups" | tr ';' '\n' | while read -r n tp h p pr w; do
			[ -n "$n" ] || continue
			[ $first = 1 ] || echo ","
			first=0
			printf '\t{ name = "%s"; transport = "%s"; host = "%s"; port = %s; priority = %s; weight = %s; }' \
			    "$n" "$tp" "$h" "$p" "${pr:-1}" "${w:-1}"
		done
		echo; echo ");"
		if ! has tls; then
			echo "tls = { certificate = \"$T/tls/cert.pem\";" \
			    "private_key = \"$T/tls/key.pem\"; };"
		fi
		has probe || echo "probe = { interval = 500; timeout = 400;" \
		    "failures_down = 2; successes_up = 1; };"
		# The SIPp peers on 127.0.0.1 are a trusted customer trunk
		# (no digest auth); auth tests send from 127.0.0.2 and up.
		has peers || echo "peers = ( { name = \"tests\";" \
		    "cidr = \"127.0.0.1/32\"; role = \"customer\";" \
		    "class = \"access\"; }," \
		    "{ name = \"tests6\"; cidr = \"::1/128\";" \
		    "role = \"customer\"; class = \"access\"; } );"
		# SIPp's From user is "sipp", not a number: the caller-ID
		# rules are off unless a test configures them.
		has callerid || echo "callerid = { enabled = false; };"
		has store || echo "store = { uri = \"sqlite:$T/centinela.db\";" \
		    "poll_interval = 200; };"
		has deny || echo "deny = [];"
		has log || echo 'log = { format = "human"; level = "info"; };'
		has metrics || echo "metrics = { address = \"127.0.0.1\";" \
		    "port = $METRICS_PORT; };"
		[ -n "$extra" ] && printf '%s\n' "$extra"
	} > "$f"
}

# make_cert -- $T/tls/{cert,key}.pem via scripts/tls-selfsigned.sh.
make_cert() {
	sh "$TOP/scripts/tls-selfsigned.sh" "$T/tls" >/dev/null ||
	    fail "cannot make a TLS certificate"
}

# ---- centinela -----------------------------------------------------------

# started_since N -- $LOG holds more than N "listening on" lines.
started_since() {
	test "$(grep -c "listening on" "$LOG")" -gt "$1"
}

# start_centinela [CONF] -- start the daemon on CONF (default
# $T/centinela.conf, written by write_conf when missing), its output
# appended to $LOG, and wait until it logs "listening on".
start_centinela() {
	local conf=${1:-$T/centinela.conf}
	[ -x "$BIN" ] || fail "no daemon binary at $BIN"
	[ -s "$conf" ] || write_conf "$conf"
	"$BIN" -t -c "$conf" >"$T/conf-check.txt" 2>&1 ||
	    { cat "$T/conf-check.txt"; fail "generated config is invalid"; }
	touch "$LOG"
	# Only a line of this start counts (the log may hold an earlier one).
	local seen
	seen=$(grep -c "listening on" "$LOG")
	"$BIN" -f -c "$conf" >>"$LOG" 2>&1 &
	CENTINELA_PID=$!
	wait_until 20 started_since "$seen" || fail "centinela did not start"
	alive "$CENTINELA_PID" || fail "centinela exited at start"
	say "centinela $CENTINELA_PID up ($(basename "$BIN"), ports $BASE..)"
}

# metrics -- the /metrics page on stdout.
metrics() {
	curl -s --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics"
}

# metric_value NAME [LABELS] -- the sample value ('' when absent);
# LABELS as in the exposition, e.g. 'method="BYE"'.
metric_value() {
	local key=$1
	[ -n "${2:-}" ] && key="$1{$2}"
	metrics | awk -v k="$key" '$1 == k { print $2; exit }'
}

# metric_is NAME LABELS OP VALUE -- numeric comparison (-eq, -ge, ...).
metric_is() {
	local v
	v=$(metric_value "$1" "$2")
	[ -n "$v" ] || return 1
	v=${v%%.*}
	test "$v" "$3" "$4"
}

# expect_metric NAME LABELS OP WANT [ABSENT] -- check a sample's value
# now; ABSENT is the value of a sample that is not on the page (the
# per-status-code counters list only codes seen), else absence fails.
expect_metric() {
	local v k=$1
	[ -n "$2" ] && k="$1{$2}"
	v=$(metric_value "$1" "$2")
	[ -n "$v" ] || v=${5:-}
	expect_num "$k" "${v%%.*}" "$3" "$4"
}

# wait_metric TIMEOUT_S NAME LABELS OP VALUE
wait_metric() {
	local limit=$1
	shift
	wait_until "$limit" metric_is "$@"
}

# wait_upstream_healthy NAME -- at least three probes sent (so two have
# been answered or timed out), none failed, and the upstream is up.
wait_upstream_healthy() {
	wait_metric 15 centinela_upstream_probes_total "upstream=\"$1\"" \
	    -ge 3 || fail "no probes sent to upstream $1"
	expect_metric centinela_upstream_probe_failures_total \
	    "upstream=\"$1\"" -eq 0
	expect_metric centinela_upstream_up "upstream=\"$1\"" -eq 1
}

# ---- SIPp ----------------------------------------------------------------

# Flags every SIPp gets: no stdin, logs named after the instance.
sipp_flags() {
	local n=$1
	echo "-nostdin -trace_err -error_file $T/$n.err -trace_stat" \
	    "-stf $T/$n.csv -fd 1 -trace_screen -screen_file $T/$n.screen"
}

# sipp_bg NAME ARGS... -- start SIPp in the background (a server or a
# long client run); its PID is in SIPP_PID and recorded.
sipp_bg() {
	local n=$1
	shift
	# shellcheck disable=SC2046
	sipp $(sipp_flags "$n") "$@" >"$T/$n.out" 2>&1 &
	SIPP_PID=$!
	track "$SIPP_PID"
}

# start_uas NAME SCENARIO PORT [ARGS...] -- a SIPp server playing an
# upstream on 127.0.0.1:PORT (UDP unless ARGS has -t t1), started with
# -aa: SIPp creates a "call" for every out-of-call request and, with
# -aa, answers an unexpected OPTIONS 200 (without it the probe call
# just aborts, unanswered, and the pool marks the upstream down). Waits
# until the port is bound; its PID is in SIPP_PID.
start_uas() {
	local n=$1 sf=$2 port=$3 proto=udp a
	shift 3
	for a in "$@"; do [ "$a" = t1 ] && proto=tcp; done
	sipp_bg "$n" -sf "$sf" -aa -i 127.0.0.1 -p "$port" "$@"
	wait_port "$proto" "$port"
}

# sipp_run NAME ARGS... -- run a SIPp client to its end (bounded by
# -timeout 90s and -timeout_error; a call waiting more than 10 s for a
# message fails); returns SIPp's exit status.
sipp_run() {
	local n=$1 rc
	shift
	# shellcheck disable=SC2046
	sipp $(sipp_flags "$n") -timeout 90s -timeout_error \
	    -recv_timeout 10s "$@" >"$T/$n.out" 2>&1 &
	SIPP_PID=$!
	track "$SIPP_PID"
	wait "$SIPP_PID"
	rc=$?
	untrack "$SIPP_PID"
	return $rc
}

# sipp_wait PID TIMEOUT_S -- wait for a background SIPp to exit by
# itself; returns its exit status (124 if it did not end in time).
sipp_wait() {
	local pid=$1 rc
	wait_until "$2" gone "$pid" || return 124
	wait "$pid"
	rc=$?
	untrack "$pid"
	return $rc
}

# sipp_stat NAME COLUMN -- last value of a column of the SIPp stat CSV,
# e.g. sipp_stat uac 'SuccessfulCall(C)'.
sipp_stat() {
	[ -s "$T/$1.csv" ] || { echo 0; return; }
	awk -F';' -v c="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) col = i; next }
		col { v = $col }
		END { print (v == "" ? 0 : v) + 0 }' "$T/$1.csv" 2>/dev/null
}

# sipp_stat_is NAME COLUMN OP VALUE
sipp_stat_is() { test "$(sipp_stat "$1" "$2")" "$3" "$4"; }

# wait_uas NAME N [TIMEOUT_S] -- a SIPp server (no -m: every health
# probe it auto-answers counts as a call toward -m) has completed N
# calls; its CSV is dumped every second (-fd 1).
wait_uas() {
	wait_until "${3:-15}" sipp_stat_is "$1" 'SuccessfulCall(C)' -ge "$2"
}

# expect_calls_ok N -- the SIPp UAC "uac" and UAS "uas" each completed N
# calls and failed none, and centinela counted N INVITEs, ACKs and BYEs.
expect_calls_ok() {
	local n=$1 m
	expect_num "UAC successful calls" "$(sipp_stat uac 'SuccessfulCall(C)')" -eq "$n"
	expect_num "UAC failed calls" "$(sipp_stat uac 'FailedCall(C)')" -eq 0
	wait_uas uas "$n"
	expect_num "UAS successful calls" "$(sipp_stat uas 'SuccessfulCall(C)')" -eq "$n"
	expect_num "UAS failed calls" "$(sipp_stat uas 'FailedCall(C)')" -eq 0
	for m in INVITE ACK BYE; do
		expect_metric centinela_requests_total "method=\"$m\"" -eq "$n"
	done
}

# ---- stunnel (TLS for SIPp, which Debian builds without TLS) --------------

# start_stunnel NAME client|server ACCEPT_PORT CONNECT_PORT
start_stunnel() {
	local n=$1 mode=$2 acc=$3 con=$4 c=$T/$1.conf
	{
		echo "foreground = yes"
		echo "pid ="
		echo "debug = 5"
		echo "output = $T/$n.log"
		echo "[sip]"
		echo "accept = 127.0.0.1:$acc"
		echo "connect = 127.0.0.1:$con"
		if [ "$mode" = client ]; then
			echo "client = yes"
			echo "verifyChain = no"
		else
			echo "cert = $T/tls/cert.pem"
			echo "key = $T/tls/key.pem"
		fi
	} >"$c"
	stunnel4 "$c" >"$T/$n.stderr" 2>&1 &
	track $!
	wait_port tcp "$acc"
}

# start_rtpengine [ARGS...] -- rtpengine in user space (--table=-1) on
# 127.0.0.1: ng control on $NG_PORT, media ports $RTPE_LO..$RTPE_HI,
# ARGS added (timeouts, log level); its output in $T/rtpengine.out.
# Sets RTPE_PID (tracked) and returns when the control port is bound.
# media_dialog_setup NPORTS -- the set-up of the media_dialog.py tests:
# a PBX peer ($PBX_IP:$PBX_PORT, UDP), a local registrar, media anchoring
# through rtpengine on $NG_PORT with NPORTS media ports from $RTPE_LO,
# plain RTP on the edge (phones over UDP: no SDES key crosses a clear
# hop); $T/centinela.conf written, account 500 created ($SECRET).
media_dialog_setup() {
	PBX_IP=127.0.0.3
	PBX_PORT=$((BASE + 80))
	RTPE_LO=$BASE
	RTPE_HI=$((BASE + $1 - 1))
	NG_PORT=$((BASE + 90))
	make_cert
	UPSTREAMS="pbx udp $PBX_IP $PBX_PORT 1 1"
	EXTRA="peers = ( { name = \"pbx\"; cidr = \"$PBX_IP/32\"; role = \"pbx\"; } );
registrar = { mode = \"local\"; min_expires = 60; max_expires = 3600;
  default_expires = 300; max_contacts = 10; };
auth = { algorithms = [ \"SHA-256\" ]; };
probe = { interval = 60000; timeout = 400; failures_down = 2; successes_up = 1; };
media = { enabled = true;
  rtpengine = { addresses = [ \"127.0.0.1:$NG_PORT\" ]; timeout = 200;
    retries = 2; check_interval = 0; edge_protocol = \"RTP/AVP\"; }; };"
	write_conf "$T/centinela.conf"
	SECRET=$(user_add "$T/centinela.conf" 500) ||
	    fail "centinelactl user add 500 failed"
}

start_rtpengine() {
	local bin
	bin=$(command -v rtpengine || echo /usr/sbin/rtpengine)
	[ -x "$bin" ] || fail "no rtpengine binary"
	"$bin" --table=-1 --interface=127.0.0.1 \
	    --listen-ng=127.0.0.1:"$NG_PORT" --port-min="$RTPE_LO" \
	    --port-max="$RTPE_HI" --foreground --log-stderr \
	    --pidfile="$T/rtpengine.pid" "$@" >"$T/rtpengine.out" 2>&1 &
	RTPE_PID=$!
	track "$RTPE_PID"
	wait_port udp "$NG_PORT"
}

# ---- raw SIP from Python ---------------------------------------------

# siptest ARGS... -- tests/integration/siptest.py (stdlib only), on
# Debian's python3 when there is one.
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
siptest() { "$PYTHON" "$PY" "$@"; }

# scenario NAME [KEY=VALUE...] -- write $T/NAME.xml: the scenario
# scenarios/NAME.xml with every @KEY@ replaced by VALUE, XML-escaped
# (for what SIPp's -key cannot reach: a regexp attribute).
scenario() {
	local n=$1 kv
	shift
	cp "$SCEN/$n.xml" "$T/$n.xml" || fail "no scenario $n"
	for kv in "$@"; do
		K=${kv%%=*} V=${kv#*=} perl -pi -e '
		    BEGIN { ($v = $ENV{V}) =~ s/&/&amp;/g; $v =~ s/</&lt;/g;
			    $v =~ s/>/&gt;/g; $v =~ s/"/&quot;/g; }
		    s/\@\Q$ENV{K}\E\@/$v/g' "$T/$n.xml"
	done
	grep -q '@[A-Z_]*@' "$T/$n.xml" && fail "unfilled @KEY@ in $n.xml"
}

# ---- attackers and bounded runs ---------------------------------------

# attack CMD ARGS... -- tests/integration/attack.py against centinela;
# prints its "answered=N silenced_at=K" line.
attack() {
	local c=$1
	shift
	"$PYTHON" "$ITEST/attack.py" "$c" --port "$SIP_PORT" "$@"
}

# silenced_at CMD ARGS... -- K of attack.py's line (empty: it failed).
silenced_at() {
	attack "$@" | sed -n 's/.*silenced_at=\([0-9]*\).*/\1/p'
}

ping_answered() { [ "$(silenced_at ping --bind "$1")" = 0 ]; }
ping_silenced() { [ "$(silenced_at ping --bind "$1")" = 1 ]; }

# run_bounded NAME LIMIT_S CMD... -- run CMD (stdout $T/NAME.out,
# stderr $T/NAME.err), recorded for the EXIT trap; wait LIMIT_S at most
# (then stop it: status 124); returns its status.
run_bounded() {
	local n=$1 limit=$2 pid rc
	shift 2
	"$@" >"$T/$n.out" 2>"$T/$n.err" </dev/null &
	pid=$!
	track "$pid"
	if ! wait_until "$limit" gone "$pid"; then
		stop_pid "$pid"
		return 124
	fi
	wait "$pid"
	rc=$?
	untrack "$pid"
	return $rc
}

# log_mark -- the daemon log's current line count (log_since uses it).
log_mark() { wc -l <"$LOG"; }
log_since() { tail -n +"$(($1 + 1))" "$LOG"; }

# ---- accounts ----------------------------------------------------------

# user_add CONF EXT [ARGS...] -- "centinelactl user add EXT ARGS" on CONF
# with --secret-file $T/secret-EXT, and print the device secret read
# from that file (the test's own copy: centinelactl never prints it;
# its output is in $T/add-EXT.out). Returns non-zero, the reason on
# stderr, when the add fails, the file is not mode 0600, or the
# secret shows in centinelactl's output.
user_add() {
	local conf=$1 ext=$2 f=$T/secret-$2 o=$T/add-$2.out s
	shift 2
	"$(dirname "$BIN")/centinelactl" user -c "$conf" add "$ext" \
	    --secret-file "$f" "$@" >"$o" 2>&1 ||
	    { echo "user add $ext: $(cat "$o")" >&2; return 1; }
	[ "$(stat -c %a "$f" 2>/dev/null)" = 600 ] ||
	    { echo "user add $ext: $f is not a 0600 file" >&2; return 1; }
	s=$(cat "$f")
	[ ${#s} -ge 16 ] ||
	    { echo "user add $ext: no secret in $f" >&2; return 1; }
	if grep -qF -- "$s" "$o"; then
		echo "user add $ext: centinelactl printed the secret" >&2
		return 1
	fi
	printf '%s\n' "$s"
}

#!/bin/sh
# bench/fraud-calls.sh -- calls/s and CPU per call through centinela with
# the toll-fraud rules on versus off, in one run (target: the rules cost
# less than 10 %), and the memory per tracked account with 100,000
# accounts (target: under 2 KB with the default rules).
# docs/PERFORMANCE.md, "Toll-fraud benchmark", says what it measures
# and what it found. `make bench-fraud-calls` runs it.
#
# One binary (a private copy of BENCH_BUILD_DIR/centinela), one SIPp UAS
# (bench/uas.xml, the upstream PBX on 127.0.0.1) and one store holding
# BENCH_MEM_ACCOUNTS digest accounts (bench/mkaccounts.py), copied fresh
# for every start of centinela. Configurations of
# bench/centinela-fraud.conf, differing only in the fraud section:
#   off       fraud = { enabled = false; };
#   on        enabled, enforce, EVERY rule on (calls per minute, hour and
#             day, concurrent, distinct numbers, same number in a row,
#             minutes and cost per hour and day, blocked classes,
#             first-use classes, hours with one allow-all span,
#             baseline) with thresholds the load never reaches;
#   defaults  the fraud section of etc/centinela.conf (the recommended
#             default rules): the memory run.
# Every call is a full dialog (INVITE, 200, ACK, BYE, 200; ACK and BYE
# along the Record-Route), so the "on" daemon also follows every call in
# its dialog table, from the INVITE to the 200 of the BYE.
#
# Callers:
#   trunk     bench/fraud-uac.xml from 127.0.0.2, the customer peer
#             "acme" (subject = the peer name, no digest), cycling over
#             60 called numbers of low-risk classes (Spanish fixed and
#             mobile, EU, NANP, UK, Japan): the main figure, the fraud
#             rules' cost on a call that costs centinela little else.
#   accounts  bench/uac-auth.xml from 127.0.0.3 (a public source),
#             calling +34912345678 (-s): the first BENCH_ACCOUNTS
#             accounts of the injection file, digest (407, INVITE with
#             Proxy-Authorization) on every call, each account a
#             subject of its own. Every SIPp run starts at the file's
#             first line: a run of N calls (N <= BENCH_ACCOUNTS) comes
#             from N distinct accounts, the same ones in every run. Digest costs centinela far more than
#             the rules, so this ratio is diluted; it shows the rules
#             with many subjects.
#
# Measured:
#  (a) search (trunk): the highest call rate with >= 99.9 % of the calls
#      successful and >= 95 % of the offered rate created (the bounded
#      search of bench/lib.sh); each of BENCH_REPEATS repeats starts
#      centinela once per mode (off then on, on then off in the next
#      repeat, ...), each time on a fresh copy of the store; median.
#  (b) fixed (trunk): centinela's CPU-seconds (utime + stime, /proc) per
#      1000 calls at BENCH_FIXED_RATE. One centinela per mode, side by
#      side (off on BASE+60, on on BASE+62; the idle one uses no CPU), a
#      warm-up load each, then BENCH_FIXED_REPEATS short runs per mode,
#      off and on alternating (off on, on off, ...), so that a drift of
#      this shared machine's speed hits both modes alike. Reported: the
#      median per mode, the median of the on/off ratios of adjacent
#      pairs, and the same normalised by the SIPp UAS's CPU in the same
#      run (it does the same work in both modes, so it tracks the
#      machine's speed).
#  (c) accounts: the same as (b) on the same two daemons, with the
#      authenticated caller at BENCH_ACC_RATE: BENCH_ACC_REPEATS pairs.
#  (d) mem: for each mode of BENCH_MEM_MODES (default "off defaults"),
#      one at a time, a fresh centinela with the BENCH_MEM_ACCOUNTS
#      accounts loaded; VmRSS and Pss (/proc) and the fraud metrics
#      before; then every account places one call (SIPp -inf, one line
#      per account, -m BENCH_MEM_ACCOUNTS, at BENCH_MEM_RATE calls/s,
#      digest); after the load settled (transactions gone): VmRSS, Pss,
#      centinela_fraud_subjects, centinela_fraud_bytes,
#      centinela_fraud_subject_bytes; then once more after the engine's
#      writer stored every subject (centinela_fraud_persisted_total >=
#      subjects, at most persist_interval + 30 s). Bytes per subject:
#      the engine's own count (fraud_bytes growth / subjects), the RSS
#      growth / subjects, and the RSS growth beyond that of the "off"
#      daemon under the same load / subjects.
#
# Checks, every time centinela starts for (a)-(c): a probe call
# (bench/fraud-probe.xml, from the trunk) to a Spanish fixed number gets
# 200 in both modes; a probe call to a satellite number (+870, a blocked
# class) gets 403 FRAUD-BLOCKED-CLASS in "on" and 200 in "off"; "on"
# shows centinela_fraud_decisions_total{verdict="pass"} = 1 and
# {verdict="reject"} = 1 after them, "off" has no fraud decisions. When
# it stops: in "on" the decisions other than pass are still that one
# reject and the rule hits that one (no call of the load was refused or
# hit a rule), the decisions "pass" grew with the load, the dialogs
# ended by BYE follow them and none is left open. In (d): the "pass"
# decisions equal the calls SIPp completed, nothing was refused, no
# subject was evicted. Every load's successful calls are counted by
# SIPp (a step passes at >= 99.9 %; a fixed-rate run with a failed call
# is left out of the medians, as in bench/run.sh).
# bench/fraud-summarize.sh writes summary.md.
#
# Everything runs on 127.0.0.1 - 127.0.0.3, every load is bounded in
# count and time, and only the processes this script starts are stopped
# (by their PIDs).
#
# Knobs (environment):
#   BENCH_REPEATS       repeats of the search                     3
#   BENCH_STEP_SECS     seconds of load per search step           12
#   BENCH_RATE_START    first rate of the first search            1000
#   BENCH_RATE_MAX      never offer more than this                20000
#   BENCH_MAX_STEPS     steps per search at most                  8
#   BENCH_FIXED_RATE    calls/s of the trunk CPU run              2000
#   BENCH_FIXED_SECS    seconds of one CPU run (trunk, accounts)  10
#   BENCH_FIXED_REPEATS trunk CPU runs per mode                   10
#   BENCH_ACC_RATE      calls/s of the accounts CPU run           500
#   BENCH_ACC_REPEATS   accounts CPU runs per mode                6
#   BENCH_ACCOUNTS      accounts calling in (c)                   10000
#   BENCH_MEM_ACCOUNTS  accounts in the store, calling in (d)     100000
#   BENCH_MEM_RATE      calls/s in (d)                            1000
#   BENCH_MEM_MODES     modes of (d), in order                    "off defaults"
#                       (add "on": every rule on, same subject size)
#   BENCH_SKIP          parts to skip: search fixed accounts mem
#   BENCH_PORT_BASE     ports used: BASE+60.. (below)             37000
#   BENCH_OUT           output directory  build/bench/<date>-<time>-fraud
#   BENCH_BUILD         0: do not run `make all` first            1
#   BENCH_BUILD_DIR     where centinela and centinelactl are (and
#                       what `make BUILD=...` builds)             build
#   BENCH_PERF          1: after the fixed-rate runs, `perf record`
#                       (999 Hz) the "on" centinela during one more
#                       (flat profile, perf-on.txt) and report the share
#                       of its samples in the fraud code (the functions
#                       of src/fraud/{fraud,fraud_eval,fraud_rules,
#                       fraud_subject,fraudrt,dialog,dest,window,tzoff}.c
#                       and src/guard/fraud.c, from nm of the objects in
#                       BENCH_BUILD_DIR) and, apart, in the helpers
#                       only the rules call on this load:
#                       src/callerid/number.c (the called number's
#                       parse; the caller-ID rules are off) and
#                       src/core/siphash.c (the dialog table's keys;
#                       digest's nonces use it too, but the trunk does
#                       not authenticate)                         0
#
# Ports (BASE = BENCH_PORT_BASE): centinela udp BASE+60 (off), BASE+62
# (on), BASE+64 (defaults), their metrics (tcp) BASE+65, BASE+66,
# BASE+67; SIPp UAS BASE+80, trunk UAC 127.0.0.2:BASE+90, probe
# 127.0.0.2:BASE+91, accounts UAC 127.0.0.3:BASE+92; SIPp media and
# control ports BASE+200.. and BASE+300..
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
. bench/lib.sh

REPEATS=${BENCH_REPEATS:-3}
STEP_SECS=${BENCH_STEP_SECS:-12}
RATE_START=${BENCH_RATE_START:-1000}
RATE_MAX=${BENCH_RATE_MAX:-20000}
MAX_STEPS=${BENCH_MAX_STEPS:-8}
FIXED_RATE=${BENCH_FIXED_RATE:-2000}
FIXED_SECS=${BENCH_FIXED_SECS:-10}
FIXED_REPEATS=${BENCH_FIXED_REPEATS:-10}
ACC_RATE=${BENCH_ACC_RATE:-500}
ACC_REPEATS=${BENCH_ACC_REPEATS:-6}
ACCOUNTS=${BENCH_ACCOUNTS:-10000}
MEM_ACCOUNTS=${BENCH_MEM_ACCOUNTS:-100000}
MEM_RATE=${BENCH_MEM_RATE:-1000}
MEM_MODES=${BENCH_MEM_MODES:-off defaults}
SKIP=${BENCH_SKIP:-}
BASE=${BENCH_PORT_BASE:-37000}
BUILD_DIR=${BENCH_BUILD_DIR:-build}
PERF=${BENCH_PERF:-0}
OUT=${BENCH_OUT:-build/bench/$(date -u +%Y%m%d-%H%M%S)-fraud}

[ "$ACCOUNTS" -le "$MEM_ACCOUNTS" ] ||
    { echo "BENCH_ACCOUNTS must not exceed BENCH_MEM_ACCOUNTS" >&2; exit 1; }

# Per mode: centinela's SIP (udp) and metrics (tcp) ports.
declare -A SIP_PORT_OF MPORT_OF CPID_OF CLOG_OF CLABEL_OF
SIP_PORT_OF[off]=$((BASE + 60))
SIP_PORT_OF[on]=$((BASE + 62))
SIP_PORT_OF[defaults]=$((BASE + 64))
MPORT_OF[off]=$((BASE + 65))
MPORT_OF[on]=$((BASE + 66))
MPORT_OF[defaults]=$((BASE + 67))
UAS_PORT=$((BASE + 80))
UAC_PORT=$((BASE + 90))
PROBE_PORT=$((BASE + 91))
ACC_PORT=$((BASE + 92))
UAC_IP=127.0.0.2
ACC_IP=127.0.0.3
SIPP_BUF=4194304
REALM=centinela.local
MODES_ALL="off on"
# The number every account calls, and the probes' numbers.
ACC_CALLED=+34912345678
GOOD_NUM=+34915550000
BAD_NUM=+870773111222
T0=$(date +%s)

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
RES="$OUT/results.tsv"
SUMMARY="$OUT/summary.md"
: > "$RES"
LOG_TAG=fraudbench

trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---- prerequisites -------------------------------------------------

calls_prepare

for p in ${SIP_PORT_OF[off]} ${SIP_PORT_OF[on]} ${SIP_PORT_OF[defaults]} \
    $UAS_PORT $UAC_PORT $PROBE_PORT $ACC_PORT; do
	port_free "$p" || die "UDP port $p is in use; set BENCH_PORT_BASE"
done
for p in ${MPORT_OF[off]} ${MPORT_OF[on]} ${MPORT_OF[defaults]}; do
	if ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
		die "TCP port $p is in use; set BENCH_PORT_BASE"
	fi
done

# ---- machine, versions ----------------------------------------------

{
	echo "date_utc	$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "nproc	$(nproc)"
	echo "cpu	$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
	echo "kernel	$(uname -srm)"
	echo "centinela	$(git describe --always --dirty 2>/dev/null) ($(git rev-parse HEAD 2>/dev/null))"
	echo "src_uncommitted	$(git status --short -- src 2>/dev/null | wc -l) file(s) under src/ differ from HEAD"
	echo "binary_sha256	$(sha256sum "$OUT/centinela.bin" | cut -c1-16)"
	echo "sipp	$(sipp -v 2>/dev/null | grep -m1 SIPp | sed 's/^ *//')"
	echo "loadavg_start	$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "accounts	$ACCOUNTS"
	echo "mem_accounts	$MEM_ACCOUNTS"
} > "$OUT/machine.tsv"
tee -a "$OUT/bench.log" < "$OUT/machine.tsv" >&2
ps -eo pid,pcpu,etimes,comm --sort=-pcpu | awk 'NR>1 && $2>5' \
    > "$OUT/busy-at-start.txt"
if [ -s "$OUT/busy-at-start.txt" ]; then
	log "WARNING: other processes are using CPU (see busy-at-start.txt):"
	sed 's/^/    /' "$OUT/busy-at-start.txt" >&2
fi

# ---- configuration, accounts, numbers ---------------------------------

# The recommended rules: the fraud section of etc/centinela.conf.
awk '/^fraud = \{/ { on = 1 } on { print } on && /^\};/ { exit }' \
    etc/centinela.conf > "$OUT/fraud-defaults.conf"
grep -q 'enabled = true' "$OUT/fraud-defaults.conf" &&
    tail -1 "$OUT/fraud-defaults.conf" | grep -q '^};' ||
    die "no fraud section found in etc/centinela.conf"

# conf MODE STORE -> centinela's configuration on stdout.
conf() {
	local body
	body=$(sed -e "s/@SIP_PORT@/${SIP_PORT_OF[$1]}/" \
	    -e "s/@UAS_PORT@/$UAS_PORT/" \
	    -e "s/@METRICS_PORT@/${MPORT_OF[$1]}/" -e "s|@STORE@|$2|" \
	    bench/centinela-fraud.conf)
	case $1 in
	on) printf '%s\n' "$body" ;;
	off | defaults)
		printf '%s\n' "$body" | awk -v mode="$1" -v f="$OUT/fraud-defaults.conf" '
		    /^# FRAUD-ON begin/ { skip = 1
			if (mode == "off") print "fraud = { enabled = false; };"
			else { print "# etc/centinela.conf:"
			       while ((getline l < f) > 0) print l }
			next }
		    /^# FRAUD-ON end/ { skip = 0; next }
		    !skip' ;;
	*) die "unknown mode $1" ;;
	esac
}

# The store: the schema from centinelactl (one `user add`), then the
# accounts from bench/mkaccounts.py (replacing that one), and the SIPp
# injection files: every account once (d), the first BENCH_ACCOUNTS (c).
STORE0=$OUT/accounts.db
rm -f "$STORE0" "$STORE0-wal" "$STORE0-shm"
conf on "$STORE0" > "$OUT/accounts.conf"
# (it creates the store; mkaccounts.py replaces the account)
"$CTL" user -c "$OUT/accounts.conf" add 100000 </dev/null \
    >"$OUT/accounts.log" 2>&1 ||
    die "centinelactl user add failed (see accounts.log)"
python3 bench/mkaccounts.py --n "$MEM_ACCOUNTS" --realm "$REALM" \
    --centinela-db "$STORE0" --csv "$OUT/accounts-all.csv" \
    >>"$OUT/accounts.log" 2>&1 ||
    die "bench/mkaccounts.py failed (see accounts.log)"
sqlite3 "$STORE0" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
head -n $((ACCOUNTS + 1)) "$OUT/accounts-all.csv" > "$OUT/accounts.csv"
log "store: $(sqlite3 "$STORE0" 'SELECT count(*) FROM accounts') accounts ($(du -k "$STORE0" | cut -f1) kB)"

# The trunk's 60 called numbers, 6 classes in turn (none blocked, none
# of a first-use class): never one number twice in a row, 60 distinct.
{
	echo SEQUENTIAL
	for i in $(seq 0 59); do
		n=$(printf '%02d' "$i")
		case $((i % 6)) in
		0) echo "+349120000$n" ;;	# fixed
		1) echo "+346120000$n" ;;	# mobile
		2) echo "+4930123400$n" ;;	# eu (Berlin)
		3) echo "+121255501$n" ;;	# nanp (New York)
		4) echo "+4477009001$n" ;;	# zone4 (UK)
		5) echo "+813123400$n" ;;	# zone8 (Tokyo)
		esac
	done
} > "$OUT/calls.csv"
printf 'SEQUENTIAL\n%s\n' "$GOOD_NUM" > "$OUT/probe-good.csv"
printf 'SEQUENTIAL\n%s\n' "$BAD_NUM" > "$OUT/probe-bad.csv"

# ---- SIPp -------------------------------------------------------------

CLK_TCK=$(getconf CLK_TCK)

# sipp_run MODE DIR RATE COUNT TIMEOUT CALLER [extra sipp args] -- a
# load from CALLER (trunk: bench/fraud-uac.xml; accounts:
# bench/uac-auth.xml with the BENCH_ACCOUNTS accounts; mem: the same
# with every account once) to the centinela of MODE, COUNT calls at
# RATE; SIPp exits when they ended or after TIMEOUT s. Sets UAC_CPU
# (SIPp's user+system CPU-seconds).
sipp_run() {
	local mode=$1 dir=$2 rate=$3 count=$4 tmo=$5 caller=$6 args
	shift 6
	kill -0 "$UAS_PID" 2>/dev/null || die "the SIPp UAS has exited (see $OUT/uas.screen)"
	kill -0 "${CPID_OF[$mode]}" 2>/dev/null ||
	    die "centinela ($mode) has exited (see ${CLOG_OF[$mode]})"
	case $caller in
	trunk) args=(-i "$UAC_IP" -p "$UAC_PORT" -mp $((BASE + 220))
		-cp $((BASE + 310)) -sf "$ROOT/bench/fraud-uac.xml"
		-inf "$OUT/calls.csv") ;;
	accounts | mem)
		local csv=$OUT/accounts.csv
		[ "$caller" = mem ] && csv=$OUT/accounts-all.csv
		args=(-i "$ACC_IP" -p "$ACC_PORT" -mp $((BASE + 230))
		-cp $((BASE + 330)) -sf "$ROOT/bench/uac-auth.xml"
		-inf "$csv" -au '[field0]' -ap '[field1]' -s "$ACC_CALLED") ;;
	*) die "unknown caller $caller" ;;
	esac
	mkdir -p "$dir"
	local tcmd=()
	[ -x /usr/bin/time ] && tcmd=(/usr/bin/time -f "%U %S" -o "$dir/uac-cpu")
	(cd "$dir" && exec timeout -k 5 $((tmo + 30)) "${tcmd[@]}" \
	    sipp 127.0.0.1:"${SIP_PORT_OF[$mode]}" "${args[@]}" \
	    -buff_size $SIPP_BUF -r "$rate" -m "$count" -timeout "${tmo}s" \
	    -recv_timeout 5000 -nostdin -trace_stat -stf "$dir/stat.csv" \
	    -fd 1 "$@" >"$dir/screen.txt" 2>&1)
	echo $? > "$dir/rc"
	UAC_CPU=$(awk 'END{printf "%.2f", $1 + $2}' "$dir/uac-cpu" 2>/dev/null)
}

# probe MODE NAME CSV -> prints "200 -", "403 CODE" or "none": one call
# of bench/fraud-probe.xml from the trunk to the number of CSV.
probe() {
	local dir="$OUT/probes/${CLABEL_OF[$1]}-$2"
	mkdir -p "$dir"
	(cd "$dir" && exec timeout -k 5 30 sipp 127.0.0.1:"${SIP_PORT_OF[$1]}" \
	    -i "$UAC_IP" -p "$PROBE_PORT" -mp $((BASE + 240)) \
	    -cp $((BASE + 320)) -sf "$ROOT/bench/fraud-probe.xml" -inf "$3" \
	    -m 1 -timeout 15s -recv_timeout 5000 -nostdin -trace_logs \
	    -log_file "$dir/log.txt" >"$dir/screen.txt" 2>&1)
	awk '$1 == "RESULT" { print $2, $3; found = 1; exit }
	    END { if (!found) print "none" }' "$dir/log.txt" 2>/dev/null ||
	    echo none
}

# ---- metrics ---------------------------------------------------------

# scrape MODE FILE -- centinela's metrics into FILE.
scrape() {
	curl -s --max-time 5 "http://127.0.0.1:${MPORT_OF[$1]}/metrics" > "$2"
}
# mval FILE NAME -> the value of metric NAME (with its labels) in FILE, or
# "-" when it is not there.
mval() {
	awk -v n="$2" '$1 == n { print $2; f = 1; exit } END { if (!f) print "-" }' "$1"
}
# fraud_state MODE FILE -> "pass reject cap suspend hits subjects
# dlg_started dlg_bye dlg_active calls_active dlg_refused" ("-" where
# absent). The
# fraud metrics are refreshed once a second: scraped 1.5 s after a load.
fraud_state() {
	scrape "$1" "$2"
	local k out=""
	for k in 'centinela_fraud_decisions_total{verdict="pass"}' \
	    'centinela_fraud_decisions_total{verdict="reject"}' \
	    'centinela_fraud_decisions_total{verdict="cap"}' \
	    'centinela_fraud_decisions_total{verdict="suspend"}' \
	    centinela_fraud_rule_hits_total centinela_fraud_subjects \
	    centinela_fraud_dialogs_started_total \
	    'centinela_fraud_dialogs_ended_total{how="bye"}' \
	    centinela_fraud_dialogs_active centinela_fraud_calls_active \
	    centinela_fraud_dialogs_refused_total; do
		out="$out $(mval "$2" "$k")"
	done
	echo $out
}

# ---- centinela, one mode at a time ---------------------------------------

# start_cid MODE LABEL [noprobe] -- centinela on a fresh copy of the
# store; every account loaded; then (unless noprobe) the probes of the
# header.
start_cid() {
	local mode=$1 store="$OUT/run/$2.db" i n got want pid log st
	CLABEL_OF[$mode]=$2
	mkdir -p "$OUT/run"
	rm -f "$store" "$store-wal" "$store-shm"
	sqlite3 "$STORE0" ".backup '$store'" || die "cannot copy the store"
	conf "$mode" "$store" > "$OUT/run/$2.conf"
	"$OUT/centinela.bin" -t -c "$OUT/run/$2.conf" >"$OUT/run/$2.check" 2>&1 ||
	    die "the $mode config does not load (see $OUT/run/$2.check)"
	log="$OUT/run/$2.log"
	"$OUT/centinela.bin" -f -c "$OUT/run/$2.conf" >"$log" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	CPID_OF[$mode]=$pid
	CLOG_OF[$mode]=$log
	# Every account loaded (its log says so at level info; this config
	# logs warnings only: the metric).
	for i in $(seq 1 120); do
		n=$(curl -s --max-time 2 "http://127.0.0.1:${MPORT_OF[$mode]}/metrics" |
		    awk '$1 == "centinela_accounts" { print $2; exit }')
		[ "${n:-0}" -ge "$MEM_ACCOUNTS" ] && break
		kill -0 "$pid" 2>/dev/null || die "centinela ($mode) did not start, see $log"
		sleep 0.25
	done
	[ "${n:-0}" -ge "$MEM_ACCOUNTS" ] ||
	    die "centinela ($mode) loaded ${n:-no} accounts, not $MEM_ACCOUNTS"
	[ "${3:-}" = noprobe ] && { log "centinela $mode ($2) pid $pid udp 127.0.0.1:${SIP_PORT_OF[$mode]}, $n accounts loaded"; return; }
	got=$(probe "$mode" good "$OUT/probe-good.csv")
	[ "$got" = "200 -" ] ||
	    die "centinela ($mode): the call to $GOOD_NUM got '$got', want 200 (see $OUT/probes/$2-good)"
	want="403 FRAUD-BLOCKED-CLASS"
	[ "$mode" = off ] && want="200 -"
	got=$(probe "$mode" bad "$OUT/probe-bad.csv")
	[ "$got" = "$want" ] ||
	    die "centinela ($mode): the call to satellite $BAD_NUM got '$got', want '$want' (see $OUT/probes/$2-bad)"
	# pass reject cap suspend hits subjects dlg_started dlg_bye ...
	for i in $(seq 1 10); do
		sleep 0.5
		st=$(fraud_state "$mode" "$OUT/run/$2.metrics0")
		[ "$mode" = off ] && break
		[ "$(echo "$st" | cut -d' ' -f1-3)" = "1 1 0" ] && break
	done
	if [ "$mode" = off ]; then
		[ "$(echo "$st" | cut -d' ' -f1)" = - ] ||
		[ "$(echo "$st" | cut -d' ' -f1)" = 0 ] ||
		    die "centinela (off): fraud decisions: $st"
	else
		[ "$(echo "$st" | cut -d' ' -f1-3)" = "1 1 0" ] ||
		    die "centinela ($mode): after the probes, fraud pass/reject/cap = $(echo "$st" | cut -d' ' -f1-3), want 1 1 0"
	fi
	log "centinela $mode ($2) pid $pid udp 127.0.0.1:${SIP_PORT_OF[$mode]}, $n accounts: probes ok ($GOOD_NUM -> 200, satellite $BAD_NUM -> ${want% -}); fraud pass reject cap suspend hits subjects dlg_started dlg_bye dlg_active calls_active dlg_refused: $st"
}

# stop_cid MODE -- (on) no call of the load was refused or hit a rule,
# every call passed is followed to its end; then stop that centinela by
# its PID.
stop_cid() {
	local mode=$1 st a
	sleep 1.5
	st=$(fraud_state "$mode" "$OUT/run/${CLABEL_OF[$mode]}.metrics1")
	read -r -a a <<<"$st"
	record check "$mode" "${CLABEL_OF[$mode]}" $st
	log "centinela $mode (${CLABEL_OF[$mode]}) at the end: fraud pass reject cap suspend hits subjects dlg_started dlg_bye dlg_active calls_active dlg_refused: $st"
	if [ "$mode" = on ] && { [ "${a[1]}" != 1 ] || [ "${a[2]}" != 0 ] ||
	    [ "${a[3]}" != 0 ] || [ "${a[4]}" != 1 ] || [ "${a[10]}" != 0 ]; }; then
		log "centinela (${CLABEL_OF[$mode]}): calls of the load were refused or hit a rule (reject ${a[1]}, cap ${a[2]}, suspend ${a[3]}, rule hits ${a[4]}, dialogs refused (table full) ${a[10]}; the probe accounts for 1 reject and 1 hit)"
		record blocked "${CLABEL_OF[$mode]}" "$st"
		BLOCKED_SEEN=1
	fi
	# Dialogs: every call passed (the good probe's included) ended by
	# the 200 of its BYE, none left open (a call SIPp failed may be).
	if [ "$mode" = on ] && { [ "${a[7]}" != "${a[0]}" ] || [ "${a[8]}" != 0 ]; }; then
		log "WARNING: centinela (${CLABEL_OF[$mode]}): ${a[0]} calls passed, ${a[7]} dialogs ended by BYE, ${a[8]} open"
	fi
	calls_stop_daemon "$mode"
}
BLOCKED_SEEN=0

# ---- (a) the highest rate at >= 99.9 % success ------------------------

# The search (bench/lib.sh rate_search) drives these.
STEP_WHO=centinela
step_pid() { echo "${CPID_OF[$1]}"; }
step_load() { sipp_run "$@" trunk; }

# ---- (b), (c) fixed rate: CPU per 1000 calls ----------------------------

# fixed KIND MODE REP -- KIND "fixed" (trunk at FIXED_RATE) or "acc"
# (accounts at ACC_RATE).
fixed() {
	local kind=$1 mode=$2 rep=$3 rate caller count dir c0 c1 created ok
	local bad el ach cpu per1k p50 p99 pmax nrtt u0 u1 uas_cpu
	if [ "$kind" = fixed ]; then
		rate=$FIXED_RATE caller=trunk
	else
		rate=$ACC_RATE caller=accounts
	fi
	count=$((rate * FIXED_SECS))
	dir="$OUT/$kind/$mode-r$rep"
	c0=$(cpu_ticks "${CPID_OF[$mode]}")
	u0=$(cpu_ticks "$UAS_PID")
	sipp_run "$mode" "$dir" "$rate" "$count" $((FIXED_SECS + 10)) \
	    "$caller" -trace_rtt -rtt_freq 1000
	c1=$(cpu_ticks "${CPID_OF[$mode]}")
	u1=$(cpu_ticks "$UAS_PID")
	uas_cpu=$(awk -v d=$((u1 - u0)) -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", d / hz}')
	read -r created ok bad el ach <<<"$(stat_summary "$dir/stat.csv" "$count")"
	cpu=$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", d / hz}')
	per1k=$(awk -v c="$cpu" -v n="$ok" 'BEGIN{printf "%.4f", n ? 1000 * c / n : 0}')
	read -r p50 p99 pmax nrtt <<<"$(rtt_pct "$dir")"
	log "  $kind $mode rep $rep: $rate cps x ${FIXED_SECS}s ($caller): $ok/$count ok, achieved $ach cps, centinela CPU ${cpu}s = $per1k CPU-s/1000 calls, INVITE->200 p50 ${p50} ms p99 ${p99} ms max ${pmax} ms; SIPp CPU: UAC ${UAC_CPU}s, UAS ${uas_cpu}s"
	record "$kind" "$mode" "$rep" "$rate" "$ach" "$ok" "$count" "$cpu" "$per1k" "$p50" "$p99" "$pmax" "$UAC_CPU" "$uas_cpu"
	rm -f "$dir"/*_rtt.csv.gz "$dir"/*_rtt.csv
	sleep 2
}

# ---- BENCH_PERF=1: where the "on" centinela spends its CPU ---------------

# The functions of the fraud code: every function defined in these
# objects (static ones the compiler kept apart included; what it inlined
# is counted in its caller, which is one of them). The alert router
# (src/fraud/alert*.c) is idle here (no rule is reached) and not
# counted. HELPER_OBJS are counted apart: on the trunk's load only the
# rules call them. Neither counts libc (memcpy, locks) or the kernel.
FRAUD_OBJS="src/fraud/fraud.o src/fraud/fraud_eval.o src/fraud/fraud_rules.o
src/fraud/fraud_subject.o src/fraud/fraudrt.o src/fraud/dialog.o
src/fraud/dest.o src/fraud/window.o src/fraud/tzoff.o src/guard/fraud.o"
HELPER_OBJS="src/callerid/number.o src/core/siphash.o"

# share LIST -> "percent nfunctions" of perf-on.txt in the functions of
# the symbol list LIST.
share() {
	awk -v list="$1" '
	    BEGIN { while ((getline s < list) > 0) want[s] = 1 }
	    $1 ~ /%$/ && $2 == "[.]" && ($3 in want) { sub(/%/, "", $1); t += $1; n++ }
	    END { printf "%.2f %d\n", t, n }' "$OUT/perf-on.txt"
}

perf_on() {
	local o pid=${CPID_OF[on]} fs ns fn nn samples pok dups
	if ! command -v perf >/dev/null; then
		log "perf: installing linux-perf"
		sh scripts/deps.sh linux-perf || { log "perf: cannot install linux-perf"; return; }
	fi
	: > "$OUT/perf-fraud-symbols.txt"
	: > "$OUT/perf-helper-symbols.txt"
	for o in $FRAUD_OBJS; do
		[ -e "$BUILD_DIR/$o" ] || { log "perf: no $BUILD_DIR/$o"; return; }
		nm --defined-only "$BUILD_DIR/$o" | awk '$2 ~ /^[tT]$/ { print $3 }' >> "$OUT/perf-fraud-symbols.txt"
	done
	for o in $HELPER_OBJS; do
		[ -e "$BUILD_DIR/$o" ] || { log "perf: no $BUILD_DIR/$o"; return; }
		nm --defined-only "$BUILD_DIR/$o" | awk '$2 ~ /^[tT]$/ { print $3 }' >> "$OUT/perf-helper-symbols.txt"
	done
	# perf reports names: a static function of another object with the
	# same name cannot be told apart. Such names are left out (the
	# share is then a lower bound; perf-on.txt has their samples).
	nm --defined-only "$OUT/centinela.bin" | awk '$2 ~ /^[tT]$/ { print $3 }' |
	    sort | uniq -d > "$OUT/perf-dup-symbols.txt"
	dups=$(grep -xF -f "$OUT/perf-dup-symbols.txt" "$OUT/perf-fraud-symbols.txt" \
	    "$OUT/perf-helper-symbols.txt" | sed 's/.*://' | sort -u | tr '\n' ' ')
	for o in perf-fraud-symbols.txt perf-helper-symbols.txt; do
		grep -vxF -f "$OUT/perf-dup-symbols.txt" "$OUT/$o" > "$OUT/$o.tmp"
		mv "$OUT/$o.tmp" "$OUT/$o"
	done
	[ -n "$dups" ] && log "perf: left out, names defined more than once in the binary: $dups"
	log "perf: recording centinela (on) during one more fixed-rate run"
	perf record -F 999 -p "$pid" -o "$OUT/perf-on.data" \
	    >"$OUT/perf-record.log" 2>&1 &
	local ppid=$!
	PIDS="$PIDS $ppid"
	sleep 0.5
	sipp_run on "$OUT/fixed/perf-on" "$FIXED_RATE" \
	    $((FIXED_RATE * FIXED_SECS * 2)) $((FIXED_SECS * 2 + 10)) trunk
	read -r _ pok _ _ _ <<<"$(stat_summary "$OUT/fixed/perf-on/stat.csv" $((FIXED_RATE * FIXED_SECS * 2)))"
	kill -INT "$ppid" 2>/dev/null
	wait "$ppid" 2>/dev/null
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$ppid" | tr '\n' ' ')
	perf report -i "$OUT/perf-on.data" --stdio --no-children \
	    --sort symbol --percent-limit 0 2>/dev/null | grep '%' \
	    > "$OUT/perf-on.txt"
	read -r fs fn <<<"$(share "$OUT/perf-fraud-symbols.txt")"
	read -r ns nn <<<"$(share "$OUT/perf-helper-symbols.txt")"
	awk -v list="$OUT/perf-fraud-symbols.txt" 'BEGIN { while ((getline s < list) > 0) w[s] = 1 }
	    $2 == "[.]" && ($3 in w)' "$OUT/perf-on.txt" > "$OUT/perf-on-fraud.txt"
	awk -v list="$OUT/perf-helper-symbols.txt" 'BEGIN { while ((getline s < list) > 0) w[s] = 1 }
	    $2 == "[.]" && ($3 in w)' "$OUT/perf-on.txt" > "$OUT/perf-on-helpers.txt"
	samples=$(perf report -i "$OUT/perf-on.data" --stdio --no-children \
	    --sort symbol 2>/dev/null | awk '/^# Samples:/ { print $3; exit }')
	log "perf: ${fs} % of centinela's samples ($samples) in $fn fraud functions (perf-on-fraud.txt), ${ns} % in $nn functions of the helpers number.c and siphash.c (perf-on-helpers.txt); the recorded run: $pok of $((FIXED_RATE * FIXED_SECS * 2)) calls ok"
	record perf on 1 "$fs" "$fn" "${samples:-?}" "$ns" "$nn"
}

# ---- (d) memory per tracked account -----------------------------------

# mem_run MODE -- a fresh centinela of MODE, every account calls once.
mem_run() {
	local mode=$1 pid i st1 rss0 hwm0 pss0 rss1 hwm1 pss1 rss2 hwm2 pss2 np a
	local fb0 fb1 sb subj ok created bad el ach t0 t1 persisted evict wait
	local mtot dir="$OUT/mem/$1"
	start_cid "$mode" "mem-$mode" noprobe
	pid=${CPID_OF[$mode]}
	sleep 3
	scrape "$mode" "$OUT/run/mem-$mode.metrics0"
	read -r rss0 hwm0 pss0 np <<<"$(mem_kb "$pid")"
	fb0=$(mval "$OUT/run/mem-$mode.metrics0" centinela_fraud_bytes)
	log "memory: $mode before: VmRSS $rss0 kB, Pss $pss0 kB, centinela_fraud_bytes $fb0"
	t0=$(now_s)
	sipp_run "$mode" "$dir" "$MEM_RATE" "$MEM_ACCOUNTS" \
	    $((MEM_ACCOUNTS / MEM_RATE + 60)) mem
	t1=$(now_s)
	read -r created ok bad el ach <<<"$(stat_summary "$dir/stat.csv" "$MEM_ACCOUNTS")"
	# Settled: transactions linger a few seconds after their end.
	sleep 8
	scrape "$mode" "$OUT/run/mem-$mode.metrics1"
	read -r rss1 hwm1 pss1 np <<<"$(mem_kb "$pid")"
	mtot="$OUT/run/mem-$mode.metrics1"
	fb1=$(mval "$mtot" centinela_fraud_bytes)
	sb=$(mval "$mtot" centinela_fraud_subject_bytes)
	subj=$(mval "$mtot" centinela_fraud_subjects)
	evict=$(mval "$mtot" centinela_fraud_subject_evictions_total)
	st1=$(fraud_state "$mode" "$OUT/run/mem-$mode.metrics1b")
	log "memory: $mode after $ok/$MEM_ACCOUNTS calls of distinct accounts ($(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", b - a}') s, $ach calls/s): VmRSS $rss1 kB (VmHWM $hwm1), Pss $pss1 kB; fraud subjects $subj, bytes $fb1, per subject $sb, evictions $evict; pass reject cap suspend hits subjects dlg_started dlg_bye dlg_active calls_active dlg_refused: $st1"
	# Once more after the writer stored every subject.
	persisted=-
	rss2=- pss2=-
	if [ "$subj" != - ] && [ "$subj" -gt 0 ]; then
		wait=$(awk '/persist_interval/ { if (match($0, /"[0-9]+[smh]"/)) { v = substr($0, RSTART + 1, RLENGTH - 3); u = substr($0, RSTART + RLENGTH - 2, 1); print v * (u == "h" ? 3600 : u == "m" ? 60 : 1); exit } }' "$OUT/run/mem-$mode.conf")
		wait=$(( ${wait:-60} + 30 ))
		for i in $(seq 1 "$wait"); do
			scrape "$mode" "$OUT/run/mem-$mode.metrics2"
			persisted=$(mval "$OUT/run/mem-$mode.metrics2" centinela_fraud_persisted_total)
			[ "$persisted" != - ] && [ "$persisted" -ge "$subj" ] && break
			sleep 1
		done
		sleep 2
		read -r rss2 hwm2 pss2 np <<<"$(mem_kb "$pid")"
		log "memory: $mode after the subjects were stored ($persisted persisted, $i s): VmRSS $rss2 kB, Pss $pss2 kB"
	fi
	# mem MODE accounts ok rss0 rss1 rss2 pss0 pss1 pss2 fb0 fb1
	# subjects subject_bytes persisted evictions secs hwm1 pass reject
	record memacc "$mode" "$MEM_ACCOUNTS" "$ok" "$rss0" "$rss1" "$rss2" \
	    "$pss0" "$pss1" "$pss2" "$fb0" "$fb1" "$subj" "$sb" "$persisted" \
	    "$evict" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", b - a}')" \
	    "$hwm1" "$(echo "$st1" | cut -d' ' -f1)" "$(echo "$st1" | cut -d' ' -f2)"
	if [ "$mode" != off ]; then
		read -r -a a <<<"$st1"
		if [ "${a[0]}" != "$ok" ] || [ "${a[1]}" != 0 ] || [ "${a[2]}" != 0 ] ||
		    [ "$evict" != 0 ]; then
			log "WARNING: memory run $mode: pass ${a[0]} (calls ok $ok), reject ${a[1]}, cap ${a[2]}, evictions $evict"
		fi
	fi
	calls_stop_daemon "$mode" 120
}

# ---- the run ---------------------------------------------------------

calls_start_uas

if ! skip search; then
	for rep in $(seq 1 "$REPEATS"); do
		for mode in $(modes "$rep"); do
			log "search: $mode, repeat $rep"
			start_cid "$mode" "search-$mode-r$rep"
			rate_search "$mode" "$rep"
			stop_cid "$mode"
		done
	done
fi

if ! skip fixed || ! skip accounts; then
	lowest=0
	for mode in $MODES_ALL; do
		m=${LAST_MAX[$mode]:-0}
		if [ "$m" -gt 0 ] && { [ $lowest -eq 0 ] || [ "$m" -lt $lowest ]; }; then
			lowest=$m
		fi
	done
	if [ $lowest -gt 0 ] && [ "$FIXED_RATE" -gt $((lowest * 9 / 10)) ]; then
		FIXED_RATE=$((lowest * 8 / 10 / 50 * 50))
		[ "$FIXED_RATE" -lt 50 ] && FIXED_RATE=50
		log "fixed-rate run lowered to $FIXED_RATE cps (80 % of the lowest max rate)"
	fi
	# Both modes side by side (the idle one uses no CPU), so that off
	# and on alternate every BENCH_FIXED_SECS and a drift of the
	# machine's speed hits both.
	for mode in $MODES_ALL; do
		start_cid "$mode" "fixed-$mode"
	done
	if ! skip fixed; then
		# Warm-up, not measured.
		for mode in $MODES_ALL; do
			sipp_run "$mode" "$OUT/fixed/warmup-$mode" "$FIXED_RATE" \
			    $((FIXED_RATE * 3)) 15 trunk
			sleep 1
		done
		for rep in $(seq 1 "$FIXED_REPEATS"); do
			for mode in $(modes "$rep"); do
				fixed fixed "$mode" "$rep"
			done
		done
	fi
	if ! skip accounts; then
		# Warm-up: every account of a run places its first call (the
		# engine makes its subject) before the measured runs.
		for mode in $MODES_ALL; do
			sipp_run "$mode" "$OUT/acc/warmup-$mode" "$ACC_RATE" \
			    $((ACC_RATE * FIXED_SECS)) $((FIXED_SECS + 10)) accounts
			sleep 1
		done
		for rep in $(seq 1 "$ACC_REPEATS"); do
			for mode in $(modes "$rep"); do
				fixed acc "$mode" "$rep"
			done
		done
	fi
	# Last: the profiler slows the daemon it records.
	[ "$PERF" = 1 ] && ! skip fixed && perf_on
	for mode in $MODES_ALL; do
		read -r rss hwm pss nproc <<<"$(mem_kb "${CPID_OF[$mode]}")"
		record mem "$mode" 1 "$rss" "$hwm" "$pss" "$nproc"
		log "centinela $mode memory: VmRSS $rss kB, VmHWM $hwm kB"
		stop_cid "$mode"
	done
fi

if ! skip mem; then
	for mode in $MEM_MODES; do
		case $mode in off | on | defaults) ;; *) die "BENCH_MEM_MODES: unknown mode $mode" ;; esac
		log "memory: $mode, $MEM_ACCOUNTS accounts calling once each at $MEM_RATE calls/s"
		mem_run "$mode"
	done
fi

echo "loadavg_end	$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.tsv"
ps -eo pid,pcpu,etimes,comm --sort=-pcpu | awk -v ours=" $PIDS " \
    'NR>1 && $2>5 && index(ours, " " $1 " ") == 0' > "$OUT/busy-at-end.txt"
cleanup

# ---- summary ---------------------------------------------------------

ELAPSED=$(($(date +%s) - T0))
bash bench/fraud-summarize.sh "$OUT" "$ELAPSED" > "$SUMMARY"
cat "$SUMMARY"
log "done in ${ELAPSED}s; raw data in $OUT"
[ "$BLOCKED_SEEN" = 0 ] || die "calls of the load were refused or hit a fraud rule (see results.tsv, kind 'blocked')"

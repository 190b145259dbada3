#!/bin/sh
# bench/callerid-calls.sh -- calls/s through centinela with the caller-ID
# rules on versus off, in one run (issue 5: the rules must cost less than
# 5 % of call throughput). docs/PERFORMANCE.md, "Caller-ID benchmark",
# says what it measures and what it found.
#
# One binary (a private copy of build/centinela), one SIPp UAS
# (bench/uas.xml, the upstream PBX on 127.0.0.1), one SIPp caller
# (bench/uac-cid.xml on 127.0.0.2, a carrier peer of class "national",
# so the caller-ID guard runs on every INVITE) and one store holding a
# made-up CNMC register (bench/cid-mkdata.py: ~213,000 ranges under
# every fixed and mobile NXY) and an own inventory, imported with
# `centinelactl numbering import-cnmc` / `numbering own import`. Every
# call presents a different valid fixed number in an assigned range
# (From and P-Asserted-Identity) and calls a valid fixed number, so it
# passes the rules. Two configurations of bench/centinela-cid.conf:
#   off  callerid = { enabled = false; };
#   on   callerid enabled, enforce, every rule in force.
# Measured per mode (bench/lib.sh helpers, as bench/run.sh):
#  (a) search: the highest call rate with >= 99.9 % of the calls
#      successful and >= 95 % of the offered rate created (bounded
#      search, as bench/run.sh); each of BENCH_REPEATS repeats starts
#      centinela once per mode (off then on, on then off in the next
#      repeat, ...), each time on a fresh copy of the store; median.
#  (b) fixed: centinela's CPU-seconds (utime + stime, /proc) per 1000
#      calls at BENCH_FIXED_RATE. One centinela per mode, side by side
#      (off on BASE+60, on on BASE+62; the idle one uses no CPU), a
#      warm-up load each, then BENCH_FIXED_REPEATS short runs per mode,
#      off and on alternating (off on, on off, ...), so that a drift of
#      this shared machine's speed hits both modes alike. Reported: the
#      median per mode, the median of the on/off ratios of adjacent
#      pairs, and the same normalised by the SIPp UAS's CPU in the same
#      run (it does the same work in both modes, so it tracks the
#      machine's speed).
#
# Checks, every time centinela starts: in "on" its /numbering/lookup
# finds a calling number of the load assigned (the snapshot is loaded);
# one probe call (bench/cid-probe.xml) with a valid number passes (200)
# in both modes; one probe call with a number in a block the register
# assigns to no one gets 608 ES-A4.2 in "on" and 200 in "off" (the
# rules run on this caller's INVITEs, and only in "on"). When it stops:
# its centinela_rejects_total counts no caller-ID reject but that
# probe's (no call of the load was blocked). Every load's successful
# calls are counted by SIPp (a step passes at >= 99.9 %; a fixed-rate
# run with a failed call is left out of the medians, as in
# bench/run.sh). bench/cid-summarize.sh writes summary.md.
#
# Everything runs on 127.0.0.1 / 127.0.0.2, every load is bounded in
# count and time, and only the processes this script starts are stopped
# (by their PIDs).
#
# Knobs (environment):
#   BENCH_REPEATS     repeats of every measurement             3
#   BENCH_STEP_SECS   seconds of load per search step          12
#   BENCH_RATE_START  first rate of the first search           1000
#   BENCH_RATE_MAX    never offer more than this               20000
#   BENCH_MAX_STEPS   steps per search at most                 8
#   BENCH_FIXED_RATE  calls/s of the CPU run                   2000
#   BENCH_FIXED_SECS  seconds of one CPU run                   10
#   BENCH_FIXED_REPEATS  CPU runs per mode                     10
#   BENCH_SKIP        parts to skip: search fixed
#   BENCH_PORT_BASE   ports used: BASE+60.. (below)            36000
#   BENCH_OUT         output directory   build/bench/<date>-<time>-cid
#   BENCH_BUILD       0: do not run `make all` first           1
#   BENCH_BUILD_DIR   where centinela and centinelactl are     build
#   BENCH_CID_CALLS   distinct calling numbers (SIPp -inf)     100000
#   BENCH_PERF        1: after the fixed-rate runs, `perf record` the
#                     "on" centinela during one more (flat profile,
#                     perf-on.txt) and report the share of its samples
#                     in the caller-ID code (the functions of
#                     src/callerid/{cid,number,numdb,rules}.c and
#                     src/guard/callerid.c, from nm of the objects in
#                     BENCH_BUILD_DIR)                          0
#
# Ports (BASE = BENCH_PORT_BASE): centinela udp BASE+60 (off) and
# BASE+62 (on), their metrics (tcp) BASE+65 and BASE+66, SIPp UAS
# BASE+80, SIPp UAC BASE+90, the probe BASE+91;
# SIPp media and control ports BASE+200.. and BASE+300..
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
SKIP=${BENCH_SKIP:-}
BASE=${BENCH_PORT_BASE:-36000}
BUILD_DIR=${BENCH_BUILD_DIR:-build}
NCALLS=${BENCH_CID_CALLS:-100000}
PERF=${BENCH_PERF:-0}
OUT=${BENCH_OUT:-build/bench/$(date -u +%Y%m%d-%H%M%S)-cid}

# Per mode: centinela's SIP (udp) and metrics (tcp) ports.
declare -A SIP_PORT_OF MPORT_OF CPID_OF CLOG_OF CLABEL_OF REJ_OF
SIP_PORT_OF[off]=$((BASE + 60))
SIP_PORT_OF[on]=$((BASE + 62))
MPORT_OF[off]=$((BASE + 65))
MPORT_OF[on]=$((BASE + 66))
UAS_PORT=$((BASE + 80))
UAC_PORT=$((BASE + 90))
PROBE_PORT=$((BASE + 91))
UAC_IP=127.0.0.2
SIPP_BUF=4194304
MODES_ALL="off on"
# The caller-ID reasons of centinela_rejects_total (docs/CALLERID.md).
CID_CODES="ES-A4.1-EMPTY ES-A4.1-PLAN ES-A4.2 ES-A4.3 ES-A4.4 ES-A5.1
ES-A8-ALIAS ES-A8-PRO ES-A9-MOBILE ES-R400-ONLY ES-R400-DEST ROBINSON"
T0=$(date +%s)

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
RES="$OUT/results.tsv"
SUMMARY="$OUT/summary.md"
: > "$RES"
LOG_TAG=cidbench

trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---- prerequisites -------------------------------------------------

calls_prepare

for p in ${SIP_PORT_OF[off]} ${SIP_PORT_OF[on]} $UAS_PORT $UAC_PORT $PROBE_PORT; do
	port_free "$p" || die "UDP port $p is in use; set BENCH_PORT_BASE"
done
for p in ${MPORT_OF[off]} ${MPORT_OF[on]}; do
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
} > "$OUT/machine.tsv"
tee -a "$OUT/bench.log" < "$OUT/machine.tsv" >&2
ps -eo pid,pcpu,etimes,comm --sort=-pcpu | awk 'NR>1 && $2>5' \
    > "$OUT/busy-at-start.txt"
if [ -s "$OUT/busy-at-start.txt" ]; then
	log "WARNING: other processes are using CPU (see busy-at-start.txt):"
	sed 's/^/    /' "$OUT/busy-at-start.txt" >&2
fi

# ---- configuration and numbering data ---------------------------------

# conf MODE STORE -> centinela's configuration on stdout.
conf() {
	local body
	body=$(sed -e "s/@SIP_PORT@/${SIP_PORT_OF[$1]}/" \
	    -e "s/@UAS_PORT@/$UAS_PORT/" \
	    -e "s/@METRICS_PORT@/${MPORT_OF[$1]}/" -e "s|@STORE@|$2|" \
	    bench/centinela-cid.conf)
	if [ "$1" = off ]; then
		printf '%s\n' "$body" | awk '
		    /^# CID-ON begin/ { skip = 1; print "callerid = { enabled = false; };"; next }
		    /^# CID-ON end/ { skip = 0; next }
		    !skip'
	else
		printf '%s\n' "$body"
	fi
}

DATA=$OUT/data
log "numbering data: bench/cid-mkdata.py ($NCALLS calling numbers)"
python3 bench/cid-mkdata.py --calls "$NCALLS" "$DATA" >>"$OUT/bench.log" 2>&1 ||
    die "bench/cid-mkdata.py failed (see bench.log)"
STORE0=$OUT/numbering.db
rm -f "$STORE0" "$STORE0-wal" "$STORE0-shm"
conf on "$STORE0" > "$OUT/import.conf"
"$CTL" numbering -c "$OUT/import.conf" import-cnmc "$DATA/register.txt" \
    </dev/null >"$OUT/import.log" 2>&1 ||
    die "centinelactl numbering import-cnmc failed (see import.log)"
"$CTL" numbering -c "$OUT/import.conf" own import "$DATA/own.csv" \
    </dev/null >>"$OUT/import.log" 2>&1 ||
    die "centinelactl numbering own import failed (see import.log)"
"$CTL" numbering -c "$OUT/import.conf" stats </dev/null \
    >"$OUT/numbering-stats.txt" 2>&1 ||
    die "centinelactl numbering stats failed"
sqlite3 "$STORE0" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
sed 's/^/    /' "$OUT/numbering-stats.txt" >&2
while read -r k v; do
	printf '%s\t%s\n' "$k" "$v" >> "$OUT/machine.tsv"
done < "$DATA/summary.txt"
log "register: $(awk '$1 == "register_ranges" {print $2}' "$DATA/summary.txt") ranges in $(awk '$1 == "register_rows" {print $2}' "$DATA/summary.txt") rows; own inventory $(awk '$1 == "own_entries" {print $2}' "$DATA/summary.txt") entries"
GOOD_CLI=$(sed -n '2s/;.*//p' "$DATA/calls.csv")
BAD_CLI=$(awk '$1 == "probe_bad_cli" {print $2}' "$DATA/summary.txt")
sed -n '1,2p' "$DATA/calls.csv" > "$DATA/probe-good.csv"

# ---- SIPp -------------------------------------------------------------

CLK_TCK=$(getconf CLK_TCK)

# run_uac MODE DIR RATE COUNT TIMEOUT -- the load: bench/uac-cid.xml
# from 127.0.0.2 to the centinela of MODE, COUNT calls at RATE; SIPp
# exits when they ended or after TIMEOUT s. Sets UAC_CPU (SIPp's
# user+system CPU-seconds).
run_uac() {
	local mode=$1 dir=$2 rate=$3 count=$4 tmo=$5
	shift 5
	kill -0 "$UAS_PID" 2>/dev/null || die "the SIPp UAS has exited (see $OUT/uas.screen)"
	kill -0 "${CPID_OF[$mode]}" 2>/dev/null ||
	    die "centinela ($mode) has exited (see ${CLOG_OF[$mode]})"
	mkdir -p "$dir"
	local tcmd=()
	[ -x /usr/bin/time ] && tcmd=(/usr/bin/time -f "%U %S" -o "$dir/uac-cpu")
	(cd "$dir" && exec timeout -k 5 $((tmo + 30)) "${tcmd[@]}" \
	    sipp 127.0.0.1:"${SIP_PORT_OF[$mode]}" -i "$UAC_IP" -p "$UAC_PORT" \
	    -mp $((BASE + 220)) -cp $((BASE + 310)) -buff_size $SIPP_BUF \
	    -sf "$ROOT/bench/uac-cid.xml" -inf "$DATA/calls.csv" \
	    -r "$rate" -m "$count" -timeout "${tmo}s" -recv_timeout 5000 \
	    -nostdin -trace_stat -stf "$dir/stat.csv" -fd 1 "$@" \
	    >"$dir/screen.txt" 2>&1)
	echo $? > "$dir/rc"
	UAC_CPU=$(awk 'END{printf "%.2f", $1 + $2}' "$dir/uac-cpu" 2>/dev/null)
}

# probe MODE NAME CSV -> prints "200 -", "608 CODE" or "none": one call
# of bench/cid-probe.xml from 127.0.0.2 with the number of CSV.
probe() {
	local dir="$OUT/probes/${CLABEL_OF[$1]}-$2"
	mkdir -p "$dir"
	(cd "$dir" && exec timeout -k 5 30 sipp 127.0.0.1:"${SIP_PORT_OF[$1]}" \
	    -i "$UAC_IP" -p "$PROBE_PORT" -mp $((BASE + 240)) \
	    -cp $((BASE + 320)) -sf "$ROOT/bench/cid-probe.xml" -inf "$3" \
	    -m 1 -timeout 15s -recv_timeout 5000 -nostdin -trace_logs \
	    -log_file "$dir/log.txt" >"$dir/screen.txt" 2>&1)
	awk '$1 == "RESULT" { print $2, $3; found = 1; exit }
	    END { if (!found) print "none" }' "$dir/log.txt" 2>/dev/null ||
	    echo none
}

# cid_rejects MODE -> the sum of centinela_rejects_total over the
# caller-ID reasons, "ES-A4.2" alone after a colon: "TOTAL:A42".
cid_rejects() {
	curl -s --max-time 5 "http://127.0.0.1:${MPORT_OF[$1]}/metrics" |
	    awk -v codes="$CID_CODES" '
		BEGIN { n = split(codes, c, /[ \n]+/)
			for (i = 1; i <= n; i++) want["centinela_rejects_total{reason=\"" c[i] "\"}"] = 1 }
		$1 in want { t += $2 }
		$1 == "centinela_rejects_total{reason=\"ES-A4.2\"}" { a = $2 }
		END { printf "%d:%d\n", t, a }'
}

# ---- centinela, one mode at a time ---------------------------------------

# start_cid MODE LABEL -- centinela on a fresh copy of the store, then the
# checks of the header.
start_cid() {
	local mode=$1 store="$OUT/run/$2.db" i got want pid log
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
	for i in $(seq 1 40); do
		curl -s --max-time 2 -o /dev/null \
		    "http://127.0.0.1:${MPORT_OF[$mode]}/metrics" && break
		kill -0 "$pid" 2>/dev/null || die "centinela ($mode) did not start, see $log"
		sleep 0.25
	done
	if [ "$mode" = on ]; then
		got=""
		for _ in $(seq 1 60); do
			got=$(curl -s --max-time 2 \
			    "http://127.0.0.1:${MPORT_OF[$mode]}/numbering/lookup?number=%2B34$GOOD_CLI")
			case $got in *'"assigned":true'*) break ;; esac
			sleep 0.25
		done
		case $got in
		*'"assigned":true'*) ;;
		*) die "centinela (on): +34$GOOD_CLI not assigned in its snapshot: ${got:-no answer}" ;;
		esac
	fi
	# The upstream must be up before the probes (first probe at start).
	sleep 1.5
	got=$(probe "$mode" good "$DATA/probe-good.csv")
	[ "$got" = "200 -" ] ||
	    die "centinela ($mode): the call from +34$GOOD_CLI got '$got', want 200 (see $OUT/probes/$2-good)"
	want="608 ES-A4.2"
	[ "$mode" = off ] && want="200 -"
	got=$(probe "$mode" bad "$DATA/probe-bad.csv")
	[ "$got" = "$want" ] ||
	    die "centinela ($mode): the call from unassigned +34$BAD_CLI got '$got', want '$want' (see $OUT/probes/$2-bad)"
	REJ_OF[$mode]=0
	[ "$mode" = on ] && REJ_OF[$mode]=1
	got=$(cid_rejects "$mode")
	[ "$got" = "${REJ_OF[$mode]}:${REJ_OF[$mode]}" ] ||
	    die "centinela ($mode): caller-ID rejects total:ES-A4.2 = $got, want ${REJ_OF[$mode]}:${REJ_OF[$mode]}"
	log "centinela $mode ($2) pid $pid udp 127.0.0.1:${SIP_PORT_OF[$mode]}: probes ok (+34$GOOD_CLI -> 200, unassigned +34$BAD_CLI -> ${want% -})"
}

# stop_cid MODE -- no call of the load was blocked (the rejects are the
# probe's), then stop that centinela by its PID.
stop_cid() {
	local mode=$1 got want=${REJ_OF[$1]}:${REJ_OF[$1]}
	got=$(cid_rejects "$mode")
	if [ "$got" != "$want" ]; then
		log "centinela (${CLABEL_OF[$mode]}): caller-ID rejects total:ES-A4.2 = $got, want $want"
		record blocked "${CLABEL_OF[$mode]}" "$got"
		BLOCKED_SEEN=1
	fi
	calls_stop_daemon "$mode"
}
BLOCKED_SEEN=0

# ---- (a) the highest rate at >= 99.9 % success ------------------------

# The search (bench/lib.sh rate_search) drives these.
STEP_WHO=centinela
step_pid() { echo "${CPID_OF[$1]}"; }
step_load() { run_uac "$@"; }

# ---- (b) fixed rate: CPU per 1000 calls ---------------------------------

fixed() {
	local mode=$1 rep=$2 count dir c0 c1 created ok bad el ach cpu per1k
	local p50 p99 pmax nrtt u0 u1 uas_cpu
	count=$((FIXED_RATE * FIXED_SECS))
	dir="$OUT/fixed/$mode-r$rep"
	c0=$(cpu_ticks "${CPID_OF[$mode]}")
	u0=$(cpu_ticks "$UAS_PID")
	run_uac "$mode" "$dir" "$FIXED_RATE" "$count" $((FIXED_SECS + 10)) \
	    -trace_rtt -rtt_freq 1000
	c1=$(cpu_ticks "${CPID_OF[$mode]}")
	u1=$(cpu_ticks "$UAS_PID")
	uas_cpu=$(awk -v d=$((u1 - u0)) -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", d / hz}')
	read -r created ok bad el ach <<<"$(stat_summary "$dir/stat.csv" "$count")"
	cpu=$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", d / hz}')
	per1k=$(awk -v c="$cpu" -v n="$ok" 'BEGIN{printf "%.4f", n ? 1000 * c / n : 0}')
	read -r p50 p99 pmax nrtt <<<"$(rtt_pct "$dir")"
	log "  $mode rep $rep fixed $FIXED_RATE cps x ${FIXED_SECS}s: $ok/$count ok, achieved $ach cps, centinela CPU ${cpu}s = $per1k CPU-s/1000 calls, INVITE->200 p50 ${p50} ms p99 ${p99} ms max ${pmax} ms; SIPp CPU: UAC ${UAC_CPU}s, UAS ${uas_cpu}s"
	record fixed "$mode" "$rep" "$FIXED_RATE" "$ach" "$ok" "$count" "$cpu" "$per1k" "$p50" "$p99" "$pmax" "$UAC_CPU" "$uas_cpu"
	rm -f "$dir"/*_rtt.csv.gz
	sleep 2
}

# ---- BENCH_PERF=1: where the "on" centinela spends its CPU ---------------

# The functions of the caller-ID code: every function defined in these
# objects (static ones the compiler kept apart included; what it inlined
# is counted in its caller, which is one of them). Helpers of other
# modules they call (the URI parser, str_*) are not counted.
CID_OBJS="src/callerid/cid.o src/callerid/number.o src/callerid/numdb.o
src/callerid/rules.o src/guard/callerid.o"

perf_on() {
	local o syms="$OUT/perf-cid-symbols.txt" pid=${CPID_OF[on]} share n
	if ! command -v perf >/dev/null; then
		log "perf: installing linux-perf"
		sh scripts/deps.sh linux-perf || { log "perf: cannot install linux-perf"; return; }
	fi
	: > "$syms"
	for o in $CID_OBJS; do
		[ -e "$BUILD_DIR/$o" ] || { log "perf: no $BUILD_DIR/$o"; return; }
		nm --defined-only "$BUILD_DIR/$o" | awk '$2 ~ /^[tT]$/ { print $3 }' >> "$syms"
	done
	log "perf: recording centinela (on) during one more fixed-rate run"
	perf record -F 2999 -p "$pid" -o "$OUT/perf-on.data" \
	    >"$OUT/perf-record.log" 2>&1 &
	local ppid=$!
	PIDS="$PIDS $ppid"
	sleep 0.5
	run_uac on "$OUT/fixed/perf-on" "$FIXED_RATE" \
	    $((FIXED_RATE * FIXED_SECS * 2)) $((FIXED_SECS * 2 + 10))
	kill -INT "$ppid" 2>/dev/null
	wait "$ppid" 2>/dev/null
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$ppid" | tr '\n' ' ')
	perf report -i "$OUT/perf-on.data" --stdio --no-children \
	    --sort symbol --percent-limit 0 2>/dev/null | grep '%' \
	    > "$OUT/perf-on.txt"
	# "  1.23%  [.] name": the share of the samples in caller-ID code.
	read -r share n <<<"$(awk -v list="$syms" '
	    BEGIN { while ((getline s < list) > 0) cid[s] = 1 }
	    $1 ~ /%$/ && $2 == "[.]" && ($3 in cid) { sub(/%/, "", $1); t += $1; n++ }
	    END { printf "%.2f %d\n", t, n }' "$OUT/perf-on.txt")"
	awk -v list="$syms" 'BEGIN { while ((getline s < list) > 0) cid[s] = 1 }
	    $2 == "[.]" && ($3 in cid)' "$OUT/perf-on.txt" > "$OUT/perf-on-cid.txt"
	local samples
	samples=$(perf report -i "$OUT/perf-on.data" --stdio --no-children \
	    --sort symbol 2>/dev/null | awk '/^# Samples:/ { print $3; exit }')
	log "perf: ${share} % of centinela's samples ($samples) in $n caller-ID functions (perf-on-cid.txt)"
	record perf on 1 "$share" "$n" "${samples:-?}"
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

if ! skip fixed; then
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
	# Both modes side by side (the idle one uses no CPU: checked at
	# about 0.0 CPU-s per minute), so that off and on alternate every
	# BENCH_FIXED_SECS and a drift of the machine's speed hits both.
	for mode in $MODES_ALL; do
		start_cid "$mode" "fixed-$mode"
	done
	# Warm-up, not measured: the first calls after a start touch the
	# snapshot's pages and SIPp's buffers.
	for mode in $MODES_ALL; do
		run_uac "$mode" "$OUT/fixed/warmup-$mode" "$FIXED_RATE" \
		    $((FIXED_RATE * 3)) 15
		sleep 1
	done
	for rep in $(seq 1 "$FIXED_REPEATS"); do
		for mode in $(modes "$rep"); do
			fixed "$mode" "$rep"
		done
	done
	[ "$PERF" = 1 ] && perf_on
	for mode in $MODES_ALL; do
		read -r rss hwm pss nproc <<<"$(mem_kb "${CPID_OF[$mode]}")"
		record mem "$mode" 1 "$rss" "$hwm" "$pss" "$nproc"
		log "centinela $mode memory: VmRSS $rss kB, VmHWM $hwm kB"
		stop_cid "$mode"
	done
fi

echo "loadavg_end	$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.tsv"
ps -eo pid,pcpu,etimes,comm --sort=-pcpu | awk -v ours=" $PIDS " \
    'NR>1 && $2>5 && index(ours, " " $1 " ") == 0' > "$OUT/busy-at-end.txt"
cleanup

# ---- summary ---------------------------------------------------------

ELAPSED=$(($(date +%s) - T0))
bash bench/cid-summarize.sh "$OUT" "$ELAPSED" > "$SUMMARY"
cat "$SUMMARY"
log "done in ${ELAPSED}s; raw data in $OUT"
[ "$BLOCKED_SEEN" = 0 ] || die "calls of the load were blocked by the caller-ID rules (see results.tsv, kind 'blocked')"

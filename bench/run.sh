#!/bin/sh
# bench/run.sh -- centinela against Kamailio, side by side, in one run.
# `make bench` runs it; docs/PERFORMANCE.md says what it measures and how.
#
# Everything runs on 127.0.0.1, every load is bounded in count and time,
# and only the processes this script starts are stopped (by their PIDs).
#
# Knobs (environment):
#   BENCH_PROXIES     proxies to measure, in order   "centinela kamailio"
#                     kamailio    = bench/kamailio.cfg, stateless, -x tlsf
#                     also: kamailio-tm (t_relay(), -x tlsf) and
#                     kamailio-qm (stateless, the package's default
#                     q_malloc memory manager)
#   BENCH_REPEATS     repeats of every measurement   3
#   BENCH_STEP_SECS   seconds of load per search step  12
#   BENCH_RATE_START  first rate of the first search   1000
#   BENCH_RATE_MAX    never offer more than this       20000
#   BENCH_MAX_STEPS   steps per search at most         8
#   BENCH_FIXED_RATE  calls/s of the CPU/latency run   2000
#   BENCH_FIXED_SECS  seconds of the CPU/latency run   20
#   BENCH_OPT_COUNT   OPTIONS per throughput run       100000
#   BENCH_OPT_WINDOW  OPTIONS outstanding (closed loop) 200
#   BENCH_PIN         "" (default: no pinning) or "split": proxy on CPU 0,
#                     both SIPp on CPU 1 (taskset), reported separately
#   BENCH_PORT_BASE   ports used: BASE+60.. (see below) 35000
#   BENCH_OUT         output directory    build/bench/<date>-<time>
#   BENCH_SKIP        space-separated parts to skip: search fixed options
#   BENCH_PERF        1: record `perf record` of centinela during one
#                     extra fixed-rate run (build/bench/.../perf.data)
#   BENCH_PERF_ARGS   what to record       "-F 2999" (a flat profile; e.g.
#                     "-F 999 --call-graph dwarf,16384" or
#                     "-e syscalls:sys_exit_epoll_wait" instead)
#   BENCH_BUILD       0: do not run `make all` first (use build/ as is)  1
#   BENCH_AUTH        1: authenticated calls instead of plain ones (below)
#   BENCH_AUTH_ACCOUNTS  accounts of the authenticated calls  10000
#
# BENCH_AUTH=1: the SIPp caller is a phone on a public source, 127.0.0.2
# (bench/uac-auth.xml: INVITE, 407, ACK, INVITE with Proxy-Authorization,
# 200, ACK and BYE along the Record-Route; MD5, per-call credentials
# from BENCH_AUTH_ACCOUNTS accounts, -au '[field0]' -ap '[field1]'), the
# SIPp UAS on 127.0.0.1 is a trusted peer. centinela runs
# bench/centinela-auth.conf (accounts in a SQLite store written by
# bench/mkaccounts.py), every Kamailio bench/kamailio-registrar.cfg
# (auth_db on db_sqlite, the same accounts; kamailio = stateless
# forward(), kamailio-tm = t_relay(), kamailio-qm = stateless with
# q_malloc, as in the plain run). OPTIONS (part "options") are skipped
# unless BENCH_SKIP is set: they are the same as in the plain run.
# centinela's metrics port BASE+65 is opened to check the accounts it
# loaded (read once, at the start).
#
# Ports (BASE = BENCH_PORT_BASE): centinela BASE+60, kamailio BASE+70,
# kamailio-tm BASE+72, kamailio-qm BASE+74, SIPp UAS BASE+80, SIPp UAC BASE+90; SIPp media and
# control ports BASE+200.. and BASE+300.. (SIPp opens them by default).
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
. bench/lib.sh

PROXIES=${BENCH_PROXIES:-centinela kamailio}
REPEATS=${BENCH_REPEATS:-3}
STEP_SECS=${BENCH_STEP_SECS:-12}
RATE_START=${BENCH_RATE_START:-1000}
RATE_MAX=${BENCH_RATE_MAX:-20000}
MAX_STEPS=${BENCH_MAX_STEPS:-8}
FIXED_RATE=${BENCH_FIXED_RATE:-2000}
FIXED_SECS=${BENCH_FIXED_SECS:-20}
OPT_COUNT=${BENCH_OPT_COUNT:-100000}
OPT_WINDOW=${BENCH_OPT_WINDOW:-200}
PIN=${BENCH_PIN:-}
BASE=${BENCH_PORT_BASE:-35000}
AUTH=${BENCH_AUTH:-0}
AUTH_ACCOUNTS=${BENCH_AUTH_ACCOUNTS:-10000}
if [ "$AUTH" = 1 ]; then
	SKIP=${BENCH_SKIP-options}
else
	SKIP=${BENCH_SKIP:-}
fi
PERF=${BENCH_PERF:-0}
OUT=${BENCH_OUT:-build/bench/$(date -u +%Y%m%d-%H%M%S)}

UAS_PORT=$((BASE + 80))
UAC_PORT=$((BASE + 90))
UAC_IP=127.0.0.1
METRICS_PORT=$((BASE + 65))
SIPP_BUF=4194304
T0=$(date +%s)

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# The caller's scenario (and its credentials): see BENCH_AUTH above.
UAC_SF=(-sf "$ROOT/bench/uac.xml")
KAM_CFG=bench/kamailio.cfg
if [ "$AUTH" = 1 ]; then
	UAC_IP=127.0.0.2
	UAC_SF=(-sf "$ROOT/bench/uac-auth.xml" -inf "$OUT/accounts.csv"
	    -au '[field0]' -ap '[field1]')
	KAM_CFG=bench/kamailio-registrar.cfg
fi
RES="$OUT/results.tsv"		# one line per measurement
SUMMARY="$OUT/summary.md"
: > "$RES"

LOG_TAG=bench

# ---- our processes (bench/lib.sh: log, die, skip, record, cleanup) --

trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

pin_proxy() { [ "$PIN" = split ] && echo "taskset -c 0"; }
pin_sipp() { [ "$PIN" = split ] && echo "taskset -c 1"; }

# ---- prerequisites -------------------------------------------------

if ! command -v kamailio >/dev/null || ! command -v sipp >/dev/null; then
	log "installing kamailio / sip-tester"
	sh scripts/deps.sh kamailio sip-tester || die "cannot install kamailio"
fi
if [ "$AUTH" = 1 ] &&
    [ ! -e /usr/lib/x86_64-linux-gnu/kamailio/modules/db_sqlite.so ]; then
	log "installing kamailio-sqlite-modules"
	sh scripts/deps.sh kamailio-sqlite-modules ||
	    die "cannot install kamailio-sqlite-modules"
fi
if [ "${BENCH_BUILD:-1}" = 1 ]; then
	make -j2 --no-print-directory all >"$OUT/build.log" 2>&1 ||
	    die "build failed, see $OUT/build.log"
fi
# Run a private copy: a rebuild of build/centinela by someone else during
# the run then changes neither what is measured nor perf's symbols.
cp build/centinela "$OUT/centinela.bin" || die "cannot copy build/centinela"

for p in $UAS_PORT $UAC_PORT $((BASE + 60)) $((BASE + 70)) $((BASE + 72)) $((BASE + 74)); do
	port_free "$p" || die "UDP port $p is in use; set BENCH_PORT_BASE"
done
if [ "$AUTH" = 1 ] && ss -Hltn "sport = :$METRICS_PORT" 2>/dev/null | grep -q .; then
	die "TCP port $METRICS_PORT is in use; set BENCH_PORT_BASE"
fi

# ---- machine, versions ----------------------------------------------

{
	echo "date_utc	$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "nproc	$(nproc)"
	echo "cpu	$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
	echo "kernel	$(uname -srm)"
	echo "centinela	$(git describe --always --dirty 2>/dev/null) ($(git rev-parse HEAD 2>/dev/null))"
	echo "src_uncommitted	$(git status --short -- src 2>/dev/null | wc -l) file(s) under src/ differ from HEAD"
	echo "binary_sha256	$(sha256sum "$OUT/centinela.bin" | cut -c1-16)"
	echo "kamailio	$(kamailio -v 2>/dev/null | head -1)"
	echo "sipp	$(sipp -v 2>/dev/null | grep -m1 SIPp | sed 's/^ *//')"
	echo "loadavg_start	$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "pin	${PIN:-none}"
	if [ "$AUTH" = 1 ]; then
		echo "mode	auth"
		echo "auth_accounts	$AUTH_ACCOUNTS"
	else
		echo "mode	plain"
	fi
} > "$OUT/machine.tsv"
cat "$OUT/machine.tsv" | tee -a "$OUT/bench.log" >&2
# Other processes eating CPU make every figure worse: say so.
ps -eo pid,pcpu,etimes,comm --sort=-pcpu | awk 'NR>1 && $2>5' \
    > "$OUT/busy-at-start.txt"
if [ -s "$OUT/busy-at-start.txt" ]; then
	log "WARNING: other processes are using CPU (see busy-at-start.txt):"
	sed 's/^/    /' "$OUT/busy-at-start.txt" >&2
fi

# ---- accounts (BENCH_AUTH=1) -------------------------------------------

# The same accounts for every proxy: centinela's SQLite store (schema from
# centinelactl, rows from bench/mkaccounts.py), Kamailio's subscriber
# table, SIPp's injection file (user;secret;k).
auth_conf() { # STOREFILE -> centinela's config on stdout
	sed -e "s/port = 5060;/port = ${PORT_OF[centinela]};/" \
	    -e "s/port = 5080;/port = $UAS_PORT;/" \
	    -e "s/port = 9060;/port = $METRICS_PORT;/" \
	    -e "s|STORE_PATH|$1|" bench/centinela-auth.conf
}
make_accounts() {
	local db="$OUT/accounts.db"
	rm -f "$db" "$db-wal" "$db-shm"
	auth_conf "$db" > "$OUT/accounts.conf"
	build/centinelactl user -c "$OUT/accounts.conf" add 100000 >/dev/null ||
	    die "centinelactl user add failed"
	python3 bench/mkaccounts.py --n "$AUTH_ACCOUNTS" \
	    --centinela-db "$db" --kamailio-db "$OUT/kamailio-auth.db" \
	    --csv "$OUT/accounts.csv" >>"$OUT/bench.log" 2>&1 ||
	    die "bench/mkaccounts.py failed (see bench.log)"
	sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
	log "$AUTH_ACCOUNTS accounts written (centinela store, Kamailio subscriber table, SIPp CSV)"
}

# ---- proxies -------------------------------------------------------

declare -A PPID_OF PORT_OF
PORT_OF[centinela]=$((BASE + 60))
PORT_OF[kamailio]=$((BASE + 70))
PORT_OF[kamailio-tm]=$((BASE + 72))
PORT_OF[kamailio-qm]=$((BASE + 74))

start_proxy() {
	local name=$1 port=${PORT_OF[$1]} pid
	case $name in
	centinela)
		if [ "$AUTH" = 1 ]; then
			rm -f "$OUT/centinela.db" "$OUT/centinela.db-wal" "$OUT/centinela.db-shm"
			sqlite3 "$OUT/accounts.db" ".backup '$OUT/centinela.db'" ||
			    die "cannot copy the accounts store"
			auth_conf "$OUT/centinela.db" > "$OUT/centinela.conf"
		else
			sed -e "s/port = 5060;/port = $port;/" \
			    -e "s/port = 5080;/port = $UAS_PORT;/" \
			    -e "s|@STORE@|$OUT/centinela-plain.db|" \
			    bench/centinela.conf > "$OUT/centinela.conf"
		fi
		build/centinela -t -c "$OUT/centinela.conf" >/dev/null ||
		    die "the centinela config does not load"
		$(pin_proxy) "$OUT/centinela.bin" -f -c "$OUT/centinela.conf" \
		    >"$OUT/centinela.log" 2>&1 &
		pid=$!
		;;
	kamailio | kamailio-tm | kamailio-qm)
		# Memory manager: TLSF (-x tlsf, pkg follows shm) as a tuned
		# production Kamailio runs; kamailio-qm keeps the package's
		# default (q_malloc, built with DBG_SR_MEMORY), which costs
		# about 3.5x the CPU per call here.
		# Shared memory: 256 MB is plenty stateless; tm keeps every
		# transaction 5 s after its final answer (wt_timer) and ran out
		# of 256 MB ("could not allocate shared memory") above ~2000
		# calls/s, so kamailio-tm gets 2048 MB.
		local tm="" mm="-x tlsf" shm=256
		[ "$name" = kamailio-tm ] && tm="-A WITH_TM" && shm=2048
		[ "$name" = kamailio-qm ] && mm=""
		mkdir -p "$OUT/kamailio-run-$name"
		local authdb=()
		[ "$AUTH" = 1 ] &&
		    authdb=(-A "AUTH_DB_URL=\"sqlite://$OUT/kamailio-auth.db\"")
		# -DD -E: no daemon, log to stderr; we own the main PID.
		# shellcheck disable=SC2086
		$(pin_proxy) kamailio -f "$KAM_CFG" -DD -E -m $shm -M 8 \
		    $mm -n 2 -A NO_DEFAULT_LISTEN -l "udp:127.0.0.1:$port" \
		    -A "UAS_URI=\"sip:127.0.0.1:$UAS_PORT\"" $tm "${authdb[@]}" \
		    -Y "$OUT/kamailio-run-$name" \
		    >"$OUT/$name.log" 2>&1 &
		pid=$!
		;;
	*) die "unknown proxy $name" ;;
	esac
	PIDS="$PIDS $pid"
	PPID_OF[$name]=$pid
	sleep 1.5
	kill -0 "$pid" 2>/dev/null || die "$name did not start, see $OUT/$name.log"
	if [ "$AUTH" = 1 ] && [ "$name" = centinela ]; then
		# Every account loaded? (Its log says so at level info; this
		# config logs warnings only: the metric, read this once.)
		local i n=""
		for i in $(seq 1 40); do
			n=$(curl -s --max-time 3 "http://127.0.0.1:$METRICS_PORT/metrics" |
			    awk '$1 == "centinela_accounts" { print $2; exit }')
			[ "${n:-0}" -ge "$AUTH_ACCOUNTS" ] && break
			sleep 0.25
		done
		[ "${n:-0}" -ge "$AUTH_ACCOUNTS" ] ||
		    die "centinela loaded ${n:-no} accounts, not $AUTH_ACCOUNTS"
		log "centinela: $n accounts loaded"
	fi
	log "$name started, pid $pid, udp 127.0.0.1:$port"
}

CLK_TCK=$(getconf CLK_TCK)

# ---- SIPp ------------------------------------------------------------

start_uas() {
	# A bound for SIPp itself (bench/run.sh stops it at the end anyway):
	# long enough for a run with 3 proxies (~20 min).
	local bound=3600
	(cd "$OUT" && exec $(pin_sipp) sipp -sf "$ROOT/bench/uas.xml" \
	    -i 127.0.0.1 -p "$UAS_PORT" -mp $((BASE + 200)) \
	    -cp $((BASE + 300)) -buff_size $SIPP_BUF -nostdin \
	    -timeout "${bound}s" -trace_stat -stf "$OUT/uas-stat.csv" -fd 10 \
	    >"$OUT/uas.screen" 2>&1) &
	UAS_PID=$!
	PIDS="$PIDS $UAS_PID"
	sleep 1
	kill -0 "$UAS_PID" 2>/dev/null || die "SIPp UAS did not start, see $OUT/uas.screen"
	log "SIPp UAS (bench/uas.xml) pid $UAS_PID on udp 127.0.0.1:$UAS_PORT"
}

# run_uac NAME DIR TARGETPORT RATE COUNT TIMEOUT [extra sipp args]
# SIPp exits when COUNT calls ended or after TIMEOUT seconds.
RUN_N=0
run_uac() {
	local dir=$1 port=$2 rate=$3 count=$4 tmo=$5 n
	shift 5
	RUN_N=$((RUN_N + 1))
	# Nothing is measured against a dead UAS or proxy.
	kill -0 "$UAS_PID" 2>/dev/null || die "the SIPp UAS has exited (see $OUT/uas.screen)"
	for n in $PROXIES; do
		kill -0 "${PPID_OF[$n]}" 2>/dev/null || die "$n has exited (see $OUT/$n.log)"
	done
	mkdir -p "$dir"
	# -recv_timeout: a call that waits 5 s for an answer has failed
	# (and a step at an overloading rate ends soon after its last call);
	# timeout(1) is the hard bound should SIPp itself hang.
	local tcmd=()
	[ -x /usr/bin/time ] && tcmd=(/usr/bin/time -f "%U %S" -o "$dir/uac-cpu")
	(cd "$dir" && exec timeout -k 5 $((tmo + 30)) $(pin_sipp) \
	    "${tcmd[@]}" sipp 127.0.0.1:"$port" -i "$UAC_IP" \
	    -p "$UAC_PORT" -mp $((BASE + 220)) -cp $((BASE + 310)) \
	    -buff_size $SIPP_BUF -r "$rate" -m "$count" -timeout "${tmo}s" \
	    -recv_timeout 5000 -nostdin -trace_stat -stf "$dir/stat.csv" \
	    -fd 1 "$@" >"$dir/screen.txt" 2>&1)
	echo $? > "$dir/rc"
	# user+system CPU-seconds of the SIPp UAC (from /usr/bin/time)
	UAC_CPU=$(awk 'END{printf "%.2f", $1 + $2}' "$dir/uac-cpu" 2>/dev/null)
}


# ---- (a) the highest rate at >= 99.9 % success ------------------------

# The search (bench/lib.sh rate_search) drives these.
STEP_WHO=proxy
step_pid() { echo "${PPID_OF[$1]}"; }
step_load() { run_uac "$2" "${PORT_OF[$1]}" "$3" "$4" "$5" "${UAC_SF[@]}"; }

# ---- (b)(c) fixed rate: CPU per 1000 calls and response times ---------

fixed() {
	local name=$1 rep=$2 count dir c0 c1 t0 t1 created ok bad el ach
	local cpu per1k p50 p99 pmax nrtt u0 u1 uas_cpu probe q50 q90 q99 qmax
	count=$((FIXED_RATE * FIXED_SECS))
	dir="$OUT/fixed/$name-r$rep"
	mkdir -p "$dir"
	c0=$(cpu_ticks "${PPID_OF[$name]}")
	u0=$(cpu_ticks "$UAS_PID")
	# The probe: one OPTIONS every 5 ms (its own 200 datagrams/s in
	# and out, 1 % of the load's), from 2 s in to 2 s before the end.
	# Its OPTIONS (about 1 % of the datagrams) count in the CPU below.
	timeout $((FIXED_SECS + 10)) python3 bench/rtt_probe.py 127.0.0.1 \
	    "${PORT_OF[$name]}" 2 $((FIXED_SECS - 4)) 5 >"$dir/probe.txt" \
	    2>"$dir/probe.err" &
	probe=$!
	PIDS="$PIDS $probe"
	run_uac "$dir" "${PORT_OF[$name]}" "$FIXED_RATE" "$count" \
	    $((FIXED_SECS + 10)) "${UAC_SF[@]}" -trace_rtt -rtt_freq 1000
	wait "$probe"
	PIDS=${PIDS/ $probe/}
	c1=$(cpu_ticks "${PPID_OF[$name]}")
	u1=$(cpu_ticks "$UAS_PID")
	read -r q50 q90 q99 qmax qok qsent <"$dir/probe.txt" || true
	uas_cpu=$(awk -v d=$((u1 - u0)) -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", d / hz}')
	read -r created ok bad el ach <<<"$(stat_summary "$dir/stat.csv" "$count")"
	cpu=$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", d / hz}')
	per1k=$(awk -v c="$cpu" -v n="$ok" 'BEGIN{printf "%.4f", n ? 1000 * c / n : 0}')
	read -r p50 p99 pmax nrtt <<<"$(rtt_pct "$dir")"
	log "  $name rep $rep fixed $FIXED_RATE cps x ${FIXED_SECS}s: $ok/$count ok, achieved $ach cps, proxy CPU ${cpu}s = $per1k CPU-s/1000 calls, INVITE->200 p50 ${p50} ms p99 ${p99} ms max ${pmax} ms ($nrtt samples); SIPp CPU: UAC ${UAC_CPU}s, UAS ${uas_cpu}s; OPTIONS probe p50/p90/p99/max ${q50:--}/${q90:--}/${q99:--}/${qmax:--} us (${qok:-0} of ${qsent:-0} answered)"
	record fixed "$name" "$rep" "$FIXED_RATE" "$ach" "$ok" "$count" "$cpu" "$per1k" "$p50" "$p99" "$pmax" "$UAC_CPU" "$uas_cpu" "${q50:--}" "${q99:--}"
	rm -f "$dir"/*_rtt.csv.gz
	sleep 2
}

# ---- OPTIONS answered by the proxy itself ----------------------------

options() {
	local name=$1 rep=$2 dir c0 c1 created ok bad el ach cpu per1k p50 p99 pmax nrtt
	dir="$OUT/options/$name-r$rep"
	c0=$(cpu_ticks "${PPID_OF[$name]}")
	# Closed loop: at most OPT_WINDOW outstanding, offered rate unbounded.
	run_uac "$dir" "${PORT_OF[$name]}" 100000 "$OPT_COUNT" 40 \
	    -sf "$ROOT/bench/options.xml" -l "$OPT_WINDOW" -trace_rtt -rtt_freq 5000
	c1=$(cpu_ticks "${PPID_OF[$name]}")
	read -r created ok bad el ach <<<"$(stat_summary "$dir/stat.csv" "$OPT_COUNT")"
	cpu=$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", d / hz}')
	per1k=$(awk -v c="$cpu" -v n="$ok" 'BEGIN{printf "%.4f", n ? 1000 * c / n : 0}')
	local tput
	tput=$(awk -v n="$ok" -v e="$el" 'BEGIN{printf "%.0f", (e > 0) ? n / e : 0}')
	read -r p50 p99 pmax nrtt <<<"$(rtt_pct "$dir")"
	log "  $name rep $rep OPTIONS: $ok/$OPT_COUNT answered in ${el}s = $tput/s, proxy CPU ${cpu}s = $per1k CPU-s/1000, p50 ${p50} ms p99 ${p99} ms"
	record options "$name" "$rep" "$tput" "$ok" "$OPT_COUNT" "$cpu" "$per1k" "$p50" "$p99"
	sleep 2
}

# ---- the run ---------------------------------------------------------

[ "$AUTH" = 1 ] && make_accounts
start_uas
for name in $PROXIES; do
	start_proxy "$name"
done
sleep 1

# Interleaved: repeat 1 of every proxy, then repeat 2, ... so that a
# change in the machine's background load hits all proxies alike.
if ! skip search; then
	for rep in $(seq 1 "$REPEATS"); do
		for name in $PROXIES; do
			log "search: $name, repeat $rep"
			rate_search "$name" "$rep"
		done
	done
fi

# The fixed rate must be one every proxy sustains.
if ! skip fixed; then
	lowest=0
	for name in $PROXIES; do
		m=${LAST_MAX[$name]:-0}
		if [ "$m" -gt 0 ] && { [ $lowest -eq 0 ] || [ "$m" -lt $lowest ]; }; then
			lowest=$m
		fi
	done
	if [ $lowest -gt 0 ] && [ "$FIXED_RATE" -gt $((lowest * 9 / 10)) ]; then
		FIXED_RATE=$((lowest * 8 / 10 / 100 * 100))
		log "fixed-rate run lowered to $FIXED_RATE cps (80 % of the lowest max rate)"
	fi
	for rep in $(seq 1 "$REPEATS"); do
		for name in $PROXIES; do
			fixed "$name" "$rep"
		done
	done
fi

if ! skip options; then
	for rep in $(seq 1 "$REPEATS"); do
		for name in $PROXIES; do
			options "$name" "$rep"
		done
	done
fi

# (d) memory at the end, after all the load.
for name in $PROXIES; do
	read -r rss hwm pss nproc <<<"$(mem_kb "${PPID_OF[$name]}")"
	log "$name memory: VmRSS $rss kB, VmHWM $hwm kB, Pss $pss kB ($nproc processes)"
	record mem "$name" 1 "$rss" "$hwm" "$pss" "$nproc"
done

if [ "$PERF" = 1 ] && [[ " $PROXIES " == *" centinela "* ]]; then
	if ! command -v perf >/dev/null; then
		log "perf: installing linux-perf"
		sh scripts/deps.sh linux-perf || log "perf: cannot install linux-perf"
	fi
fi
if [ "$PERF" = 1 ] && command -v perf >/dev/null && [[ " $PROXIES " == *" centinela "* ]]; then
	# Flat profile (centinela is built without frame pointers; for
	# inclusive figures use `perf record --call-graph dwarf` by hand).
	log "perf: recording centinela during one more fixed-rate run"
	# shellcheck disable=SC2086
	perf record ${BENCH_PERF_ARGS:--F 2999} -p "${PPID_OF[centinela]}" \
	    -o "$OUT/perf.data" \
	    >"$OUT/perf-record.log" 2>&1 &
	perf_pid=$!
	PIDS="$PIDS $perf_pid"
	sleep 0.5
	run_uac "$OUT/perf-run" "${PORT_OF[centinela]}" "$FIXED_RATE" \
	    $((FIXED_RATE * 10)) 30 "${UAC_SF[@]}"
	kill -INT "$perf_pid" 2>/dev/null
	wait "$perf_pid" 2>/dev/null
	{
		perf report -i "$OUT/perf.data" --stdio --no-children \
		    --sort dso 2>/dev/null | grep '%'
		echo
		perf report -i "$OUT/perf.data" --stdio --no-children \
		    --sort dso,symbol --percent-limit 0.5 2>/dev/null | grep '%'
	} > "$OUT/perf-top.txt"
	log "perf: top of the profile in $OUT/perf-top.txt"
fi

echo "loadavg_end	$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.tsv"
# (ps's %CPU is an average over each process's life; ours are left out)
ps -eo pid,pcpu,etimes,comm --sort=-pcpu | awk -v ours=" $PIDS $(for n in $PROXIES; do proc_tree "${PPID_OF[$n]}"; done | tr '\n' ' ') " \
    'NR>1 && $2>5 && index(ours, " " $1 " ") == 0' > "$OUT/busy-at-end.txt"
cleanup

# ---- summary ---------------------------------------------------------

ELAPSED=$(($(date +%s) - T0))
bash bench/summarize.sh "$OUT" "$ELAPSED" > "$SUMMARY"
cat "$SUMMARY"
log "done in ${ELAPSED}s; raw data in $OUT"

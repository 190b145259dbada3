# bench/lib.sh -- measurement helpers of the bench/ scripts (sourced,
# bash), so that their figures are taken the same way.

# Run scaffolding. The sourcing script sets LOG_TAG, T0, OUT, RES and
# SKIP before calling these, and `trap cleanup EXIT`.
log() { printf '[%s %4ss] %s\n' "$LOG_TAG" "$(($(date +%s) - T0))" "$*" | tee -a "$OUT/bench.log" >&2; }
die() { log "FATAL: $*"; exit 1; }
skip() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }
record() { printf '%s\n' "$*" | tr ' ' '\t' >> "$RES"; }

# Stop everything in $PIDS: TERM, half a second, then KILL.
PIDS=""
cleanup() {
	local p
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	sleep 0.5
	for p in $PIDS; do
		kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
	done
	PIDS=""
}

port_free() {
	! ss -Hlun "sport = :$1" 2>/dev/null | grep -q .
}

# The processes of a server: the main PID and its descendants (Kamailio's
# workers, timers; centinela is one process, threads included). From one
# `ps` snapshot: scanning /proc/*/stat races with processes that exit.
proc_tree() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
	    { par[$1] = $2 }
	    END { if (!(root in par)) exit
		  want[root] = 1; print root; changed = 1
		  while (changed) { changed = 0
		    for (p in par) if (!(p in want) && (par[p] in want)) {
			want[p] = 1; print p; changed = 1 } } }'
}

# utime+stime of the tree, in clock ticks (/proc/PID/stat).
cpu_ticks() {
	local p total=0 v
	for p in $(proc_tree "$1"); do
		# fields after "(comm) ": state=1 ... utime=12 stime=13
		v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null |
		    awk '{print $12 + $13}')
		total=$((total + ${v:-0}))
	done
	echo "$total"
}

# "VmRSS VmHWM Pss nprocs" of the tree, kB (sums over the processes; Pss
# splits shared pages between the processes that map them).
mem_kb() {
	local p rss=0 hwm=0 pss=0 v
	for p in $(proc_tree "$1"); do
		v=$(awk '/^VmRSS:/{print $2}' "/proc/$p/status" 2>/dev/null)
		rss=$((rss + ${v:-0}))
		v=$(awk '/^VmHWM:/{print $2}' "/proc/$p/status" 2>/dev/null)
		hwm=$((hwm + ${v:-0}))
		v=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
		pss=$((pss + ${v:-0}))
	done
	echo "$rss $hwm $pss $(proc_tree "$1" | wc -l)"
}

# Figures from a SIPp stat file: "created successful failed elapsed_s
# achieved_rate" (achieved = calls created per second while SIPp was
# still creating them).
stat_summary() {
	awk -F';' -v count="$2" '
	    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	    { n = split($col["StartTime"], a, "\t"); t0 = a[n]
	      n = split($col["CurrentTime"], a, "\t"); t = a[n]
	      cr = $col["TotalCallCreated"] + 0
	      if (cr < count && t - t0 > 0.5) { ach = cr / (t - t0) }
	      last_cr = cr; ok = $col["SuccessfulCall(C)"] + 0
	      bad = $col["FailedCall(C)"] + 0; el = t - t0 }
	    END { if (ach == 0 && el > 0) ach = last_cr / el
		  printf "%d %d %d %.2f %.1f\n", last_cr, ok, bad, el, ach }' "$1"
}

# rtt_pct DIR RTD -> "p50 p99 max n": percentiles (ms) of the response
# times SIPp traced (-trace_rtt) for response-time number RTD.
rtt_pct() {
	cat "$1"/*_rtt.csv 2>/dev/null |
	    awk -F';' -v r="${2:-}" 'NR > 1 && (r == "" || $3 == r) && $2 ~ /^[0-9.]+$/ {print $2}' |
	    sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "- - - 0"; exit }
		i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
		i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
		printf "%s %s %s %d\n", v[i50], v[i99], v[NR], NR }'
}

now_s() { date +%s.%N; }

# ---- the highest call rate at >= 99.9 % success (bench/run.sh,
# bench/callerid-calls.sh) ----------------------------------------------
#
# The sourcing script sets STEP_SECS, RATE_START, RATE_MAX, MAX_STEPS,
# CLK_TCK, UAS_PID and STEP_WHO (what the server is called in the log:
# "proxy", "centinela"), and defines
#   step_pid NAME                       the PID of server NAME
#   step_load NAME DIR RATE COUNT TMO   the SIPp load against NAME,
#                                       stats in DIR/stat.csv; sets UAC_CPU
# LAST_MAX[NAME] keeps the last maximum found, to start the next search
# near it.
declare -A LAST_MAX

# rate_step NAME REP RATE -> sets STEP_OK, STEP_ACH, STEP_SUCC.
# How busy the 2 cores were during a step: CPU-seconds of the server,
# the SIPp UAS and the SIPp UAC (per-process accounting, which is exact
# here) per second of wall time. (/proc/stat's machine-wide idle counter
# is tick-sampled and reads ~97 % idle under this wake-and-sleep load in
# this VM, so it is not used.)
rate_step() {
	local name=$1 rep=$2 rate=$3 count dir created ok bad el ach succ
	local w0 w1 p0 p1 u0 u1 cores per1k pid
	count=$((rate * STEP_SECS))
	dir="$OUT/search/$name-r$rep-$rate"
	pid=$(step_pid "$name")
	w0=$(now_s); p0=$(cpu_ticks "$pid"); u0=$(cpu_ticks "$UAS_PID")
	step_load "$name" "$dir" "$rate" "$count" $((STEP_SECS + 8))
	w1=$(now_s); p1=$(cpu_ticks "$pid"); u1=$(cpu_ticks "$UAS_PID")
	cores=$(awk -v w="$w1 - $w0" -v p=$((p1 - p0)) -v u=$((u1 - u0)) -v c="${UAC_CPU:-0}" -v hz="$CLK_TCK" '
	    BEGIN { split(w, x, " - "); d = x[1] - x[2]
		    printf "%.2f/%.2f/%.2f", (d > 0) ? p / hz / d : 0, (d > 0) ? u / hz / d : 0, (d > 0) ? c / d : 0 }')
	read -r created ok bad el ach <<<"$(stat_summary "$dir/stat.csv" "$count")"
	per1k=$(awk -v d=$((p1 - p0)) -v hz="$CLK_TCK" -v n="$ok" 'BEGIN{printf "%.4f", n ? 1000 * d / hz / n : 0}')
	# Calls never ended (SIPp stopped at its timeout) count as failed.
	succ=$(awk -v ok="$ok" -v c="$count" 'BEGIN{printf "%.3f", 100 * ok / c}')
	STEP_ACH=$ach
	STEP_SUCC=$succ
	if awk -v s="$succ" -v a="$ach" -v r="$rate" \
	    'BEGIN{exit !(s >= 99.9 && a >= 0.95 * r)}'; then
		STEP_OK=1
	else
		STEP_OK=0
	fi
	kill -0 "$pid" 2>/dev/null || die "$name ($STEP_WHO) died at $rate calls/s"
	log "  $name rep $rep: $rate cps offered -> $ach cps created, $ok/$count ok ($succ %), cores used by $STEP_WHO/UAS/UAC: $cores, $STEP_WHO CPU-s/1000 calls $per1k$([ $STEP_OK = 1 ] && echo ' PASS' || echo ' FAIL')"
	record search "$name" "$rep" "$rate" "$ach" "$succ" "$STEP_OK" "$cores" "$per1k"
	sleep 2
}

# rate_search NAME REP: steps up from RATE_START (or 85 % of the last
# maximum) until a step fails, then bisects; records "max".
rate_search() {
	local name=$1 rep=$2 r factor pass=0 pass_ach=0 fail=0 n=0 prev
	prev=${LAST_MAX[$name]:-0}
	if [ "$prev" -gt 0 ]; then
		r=$((prev * 85 / 100 / 50 * 50)); factor=110
	else
		r=$RATE_START; factor=150
	fi
	[ "$r" -lt 50 ] && r=50
	while [ $n -lt "$MAX_STEPS" ]; do
		n=$((n + 1))
		rate_step "$name" "$rep" "$r"
		if [ "$STEP_OK" = 1 ]; then
			pass=$r; pass_ach=$STEP_ACH
		else
			fail=$r
		fi
		if [ $fail -eq 0 ]; then
			r=$((r * factor / 100 / 50 * 50))
			[ "$r" -le "$pass" ] && r=$((pass + 50))
			[ "$r" -gt "$RATE_MAX" ] && break
		elif [ $pass -eq 0 ]; then
			r=$((fail / 2 / 50 * 50))
			[ "$r" -lt 50 ] && break
		else
			# Bisect until the gap is under 5 % (or 100 calls/s).
			local gap=$((fail - pass)) tol=$((pass / 20))
			[ $tol -lt 100 ] && tol=100
			[ $gap -le $tol ] && break
			r=$(((pass + fail) / 2 / 50 * 50))
			[ "$r" -le "$pass" ] && break
		fi
	done
	LAST_MAX[$name]=$pass
	log "$name rep $rep: max sustained rate $pass cps (achieved $pass_ach cps)"
	record max "$name" "$rep" "$pass" "$pass_ach"
}

# ---- the "off versus on" call benchmarks (callerid-calls.sh,
# fraud-calls.sh): one binary, one SIPp UAS, a centinela per mode ----

# Install what is missing, build $BUILD_DIR (unless BENCH_BUILD=0) and
# copy the daemon to $OUT/centinela.bin: a rebuild during the run
# changes nothing measured. Sets CTL.
calls_prepare() {
	local c p
	for c in sipp curl sqlite3 python3; do
		command -v $c >/dev/null && continue
		case $c in sipp) p=sip-tester ;; *) p=$c ;; esac
		log "installing $p"
		sh scripts/deps.sh "$p" || die "cannot install $p"
	done
	if [ "${BENCH_BUILD:-1}" = 1 ]; then
		make -j2 --no-print-directory BUILD="$BUILD_DIR" all \
		    >"$OUT/build.log" 2>&1 || die "build failed, see $OUT/build.log"
	fi
	CTL=$BUILD_DIR/centinelactl
	[ -x "$CTL" ] || die "no $CTL"
	cp "$BUILD_DIR/centinela" "$OUT/centinela.bin" ||
	    die "cannot copy $BUILD_DIR/centinela"
}

# The upstream PBX: bench/uas.xml on 127.0.0.1:$UAS_PORT (media and
# control ports BASE+200, BASE+300). Sets UAS_PID.
calls_start_uas() {
	local bound=$((3600 * 3))
	(cd "$OUT" && exec sipp -sf "$ROOT/bench/uas.xml" \
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

# calls_stop_daemon MODE [TRIES] -- stop the centinela of MODE
# (CPID_OF, CLABEL_OF): TERM, TRIES x 0.25 s (default 40: 10 s; it may
# be writing its state), then KILL; forget it, remove its store copy.
calls_stop_daemon() {
	local mode=$1 pid=${CPID_OF[$1]}
	kill "$pid" 2>/dev/null
	for _ in $(seq 1 "${2:-40}"); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.25
	done
	kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
	CPID_OF[$mode]=""
	rm -f "$OUT/run/${CLABEL_OF[$mode]}.db" \
	    "$OUT/run/${CLABEL_OF[$mode]}.db-wal" \
	    "$OUT/run/${CLABEL_OF[$mode]}.db-shm"
}

# modes REP -> "off on" for odd repeats, "on off" for even ones.
modes() { if [ $(($1 % 2)) = 1 ]; then echo off on; else echo on off; fi; }

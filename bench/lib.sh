# bench/lib.sh -- measurement helpers of bench/run.sh and
# bench/register.sh (sourced, bash), so that the figures of the two
# scripts are taken the same way.

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

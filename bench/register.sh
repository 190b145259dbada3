#!/bin/sh
# bench/register.sh -- REGISTER with digest authentication, centinela
# against Kamailio (auth_db + registrar), side by side in one run;
# centinela's SHA-256 against its MD5; centinela's memory per registered
# contact. `make bench-register` runs it; docs/PERFORMANCE.md
# ("Authenticated benchmarks") says what it measures and how.
#
# (A) rates: SIPp phones on 127.0.0.2 (a public source) register the
#     same REG_ACCOUNTS accounts (10,000) over and over, each with its
#     own secret (bench/register.xml: REGISTER, 401, REGISTER with
#     Authorization, 200, MD5; per-call credentials -au '[field0]' -ap
#     '[field1]' from the injection file), at each rate of REG_RATES for
#     REG_STEP_SECS seconds. Next to SIPp, bench/regload.py on 127.0.0.3
#     registers REG_PROBE_RATE per second and times each registration in
#     microseconds (SIPp's response times come in 4 ms steps on the
#     bench VM). Per step: success %, p50/p99/max of the authenticated
#     REGISTER -> 200 by SIPp and by the probe, p99 of the first
#     REGISTER -> 401, the server's CPU-seconds per 1000 registrations
#     (utime+stime of all its processes, /proc/PID/stat; SIPp's and the
#     probe's registrations both count). A step passes at >= 99.9 %
#     success (SIPp and probe), >= 95 % of the offered rate created, and
#     p99 < REG_P99_MS ms by SIPp and by the probe; a server's ladder in a
#     repeat stops at its first failed step. Max sustained rate = the
#     highest rate passed in the repeat; medians over BENCH_REPEATS
#     repeats, interleaved (repeat 1 of every server, then repeat 2...).
#     Before the first repeat every account registers once (the steps
#     then refresh bindings: a registrar's steady state).
# (A2) SHA-256: SIPp 3.6.1 cannot answer a SHA-256 challenge, so a
#     centinela offering SHA-256 and MD5 (like etc/centinela.conf) is
#     driven by bench/regload.py answering with MD5, then with SHA-256,
#     REG_ALG_RATE per second for REG_ALG_SECS seconds, BENCH_REPEATS
#     times: CPU-seconds per 1000 registrations and response times. A
#     Python driver: a few thousand registrations per second at most, so
#     this is a cost comparison at one rate, not a maximum.
# (B) memory: a fresh centinela (and, with REG_MEM_PROXIES, a fresh
#     Kamailio) registers REG_ACCOUNTS x REG_MEM_CONTACTS distinct
#     contacts (10,000 x 10 = 100,000; centinela's registrar.max_contacts
#     is 10) at REG_MEM_RATE per second; RSS before and after (after
#     the registrations settled: every binding written behind to the
#     store, transactions gone), growth / contacts. Then the same
#     contacts once more (refresh, no new contact): the RSS change of
#     that pass is the churn that is not per contact.
#
# Everything runs on loopback, every load is bounded in count and time,
# and only the processes this script starts are stopped (by their PIDs).
#
# Knobs (environment):
#   REG_PROXIES       servers of (A), in order    "centinela kamailio"
#                     kamailio    = bench/kamailio-registrar.cfg, usrloc
#                                   in memory only (db_mode 0), -x tlsf
#                     kamailio-wb = the same with usrloc write-back to
#                                   SQLite every 10 s (db_mode 2)
#   BENCH_REPEATS     repeats of (A) and (A2)                3
#   REG_RATES         registrations/s, in order
#                     "500 1000 2000 3000 4000 5000 6000 8000 10000 12000 15000"
#   REG_STEP_SECS     seconds per step                       10
#   REG_P99_MS        a step passes with p99 below this      5
#   REG_PROBE_RATE    probe registrations/s (0: no probe)    50
#   REG_ACCOUNTS      accounts                               10000
#   REG_ALG_RATE      registrations/s of (A2)                1000
#   REG_ALG_SECS      seconds per run of (A2)                10
#   REG_MEM_PROXIES   servers of (B)                         "centinela"
#                     (add kamailio: its usrloc lives in shared memory;
#                     compare Pss, not the VmRSS sum)
#   REG_MEM_CONTACTS  contacts per account in (B), <= 10     10
#   REG_MEM_RATE      registrations/s in (B)                 2000
#   REG_SKIP          parts to skip: "rates", "alg", "mem"
#   BENCH_PORT_BASE   ports used: BASE+160.. (below)         35000
#   BENCH_OUT         output directory  build/bench/register-<date>-<time>
#   BENCH_BUILD       0: do not run `make all` first (use build/ as is)  1
#
# Ports (BASE = BENCH_PORT_BASE): centinela udp BASE+160 (metrics tcp
# BASE+165; its upstream BASE+180 is not started: REGISTER never goes
# upstream, the probes of it just fail), kamailio BASE+170, kamailio-wb
# BASE+172, SIPp UAC 127.0.0.2:BASE+190, probe 127.0.0.3:BASE+192,
# (A2) driver 127.0.0.2:BASE+194, SIPp media and control ports
# BASE+400.. and BASE+410...
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
. bench/lib.sh

PROXIES=${REG_PROXIES:-centinela kamailio}
REPEATS=${BENCH_REPEATS:-3}
RATES=${REG_RATES:-500 1000 2000 3000 4000 5000 6000 8000 10000 12000 15000}
STEP_SECS=${REG_STEP_SECS:-10}
P99_MS=${REG_P99_MS:-5}
ACCOUNTS=${REG_ACCOUNTS:-10000}
MEM_PROXIES=${REG_MEM_PROXIES:-centinela}
MEM_CONTACTS=${REG_MEM_CONTACTS:-10}
MEM_RATE=${REG_MEM_RATE:-2000}
SKIP=${REG_SKIP:-}
PROBE_RATE=${REG_PROBE_RATE:-50}
ALG_RATE=${REG_ALG_RATE:-1000}
ALG_SECS=${REG_ALG_SECS:-10}
BASE=${BENCH_PORT_BASE:-35000}
OUT=${BENCH_OUT:-build/bench/register-$(date -u +%Y%m%d-%H%M%S)}

UAC_IP=127.0.0.2
PROBE_IP=127.0.0.3
UAC_PORT=$((BASE + 190))
UPSTREAM_PORT=$((BASE + 180))
METRICS_PORT=$((BASE + 165))
SIPP_BUF=4194304
REALM=centinela.local
T0=$(date +%s)

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
RES="$OUT/results.tsv"
: > "$RES"

LOG_TAG=register
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# Stop one server we started (and wait for it: its ports must be free
# for the next one).
stop_pid() {
	local p=$1 i
	kill "$p" 2>/dev/null
	for i in $(seq 1 50); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	PIDS=$(echo " $PIDS " | sed "s/ $p / /")
}

# ---- prerequisites -------------------------------------------------

KMOD=/usr/lib/x86_64-linux-gnu/kamailio/modules
if ! command -v kamailio >/dev/null || ! command -v sipp >/dev/null ||
    [ ! -e "$KMOD/db_sqlite.so" ]; then
	log "installing kamailio / kamailio-sqlite-modules / sip-tester"
	sh scripts/deps.sh kamailio kamailio-sqlite-modules sip-tester ||
	    die "cannot install kamailio-sqlite-modules"
fi
command -v python3 >/dev/null || die "python3 is missing"
command -v sqlite3 >/dev/null || die "sqlite3 is missing"
if [ "${BENCH_BUILD:-1}" = 1 ]; then
	make -j2 --no-print-directory all >"$OUT/build.log" 2>&1 ||
	    die "build failed, see $OUT/build.log"
fi
if [ ! -x build/centinela ] || [ ! -x build/centinelactl ]; then
	die "no build/centinela or build/centinelactl"
fi
cp build/centinela "$OUT/centinela.bin" || die "cannot copy build/centinela"

for p in $((BASE + 160)) $((BASE + 170)) $((BASE + 172)) $UAC_PORT \
    $((BASE + 192)) $((BASE + 194)) \
    $UPSTREAM_PORT $((BASE + 400)) $((BASE + 410)); do
	port_free "$p" || die "UDP port $p is in use; set BENCH_PORT_BASE"
done
ss -Hltn "sport = :$METRICS_PORT" 2>/dev/null | grep -q . &&
    die "TCP port $METRICS_PORT is in use; set BENCH_PORT_BASE"

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
	echo "accounts	$ACCOUNTS"
	echo "step_secs	$STEP_SECS"
	echo "p99_ms	$P99_MS"
	echo "repeats	$REPEATS"
	echo "probe_rate	$PROBE_RATE"
} > "$OUT/machine.tsv"
cat "$OUT/machine.tsv" | tee -a "$OUT/bench.log" >&2
ps -eo pid,pcpu,etimes,comm --sort=-pcpu | awk 'NR>1 && $2>5' \
    > "$OUT/busy-at-start.txt"
if [ -s "$OUT/busy-at-start.txt" ]; then
	log "WARNING: other processes are using CPU (see busy-at-start.txt):"
	sed 's/^/    /' "$OUT/busy-at-start.txt" >&2
fi

# ---- the accounts ----------------------------------------------------

# centinela's config for this run: ports and the store path are set per
# instance by conf_for.
conf_for() { # NAME STOREFILE [ALGORITHMS] -> path of the config
	sed -e "s/port = 5060;/port = $((BASE + 160));/" \
	    -e "s/port = 5080;/port = $UPSTREAM_PORT;/" \
	    -e "s/port = 9060;/port = $METRICS_PORT;/" \
	    -e "s|STORE_PATH|$2|" \
	    -e "s|algorithms = \[ \"MD5\" \];|algorithms = ${3:-[ \"MD5\" ]};|" \
	    bench/centinela-auth.conf > "$OUT/$1.conf"
	echo "$OUT/$1.conf"
}

t_acc=$(date +%s.%N)
ACC_DB="$OUT/accounts.db"
rm -f "$ACC_DB" "$ACC_DB-wal" "$ACC_DB-shm"
conf=$(conf_for accounts "$ACC_DB")
build/centinela -t -c "$conf" >/dev/null || die "bench/centinela-auth.conf does not load"
# The schema (and its version) from centinela itself: one account made
# by centinelactl, which bench/mkaccounts.py then overwrites with its own.
build/centinelactl user -c "$conf" add "100000" >/dev/null ||
    die "centinelactl user add failed"
python3 bench/mkaccounts.py --n "$ACCOUNTS" --realm "$REALM" \
    --centinela-db "$ACC_DB" --kamailio-db "$OUT/kamailio-auth.db" \
    --kamailio-location-db "$OUT/kamailio-location.db" \
    --csv "$OUT/accounts.csv" >>"$OUT/bench.log" 2>&1 ||
    die "bench/mkaccounts.py failed (see bench.log)"
if ! skip mem; then
	python3 bench/mkaccounts.py --n "$ACCOUNTS" --realm "$REALM" \
	    --contacts "$MEM_CONTACTS" --csv "$OUT/accounts-mem.csv" \
	    >>"$OUT/bench.log" 2>&1 || die "bench/mkaccounts.py failed"
fi
sqlite3 "$ACC_DB" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
log "$ACCOUNTS accounts written (centinela store, Kamailio subscriber, SIPp CSV) in $(awk -v a="$t_acc" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}') s"

# ---- servers ----------------------------------------------------------

declare -A SPID_OF PORT_OF
PORT_OF[centinela]=$((BASE + 160))
PORT_OF[centinela-sha]=$((BASE + 160))	# never at the same time
PORT_OF[kamailio]=$((BASE + 170))
PORT_OF[kamailio-wb]=$((BASE + 172))

metric() { # NAME -> value of centinela's metric NAME (no labels)
	curl -s --max-time 3 "http://127.0.0.1:$METRICS_PORT/metrics" |
	    awk -v m="$1" '$1 == m { print $2; exit }'
}

kam_contacts() { # NAME -> usrloc's location_contacts of that Kamailio
	timeout 5 kamcmd -s "unixs:$OUT/run-$1/kamailio.ctl" \
	    stats.get_statistics usrloc: 2>/dev/null |
	    sed -n 's/^usrloc:location_contacts = \([0-9]*\).*/\1/p' | head -1
}

# start_server NAME TAG: a fresh instance (fresh store / usrloc).
start_server() {
	local name=$1 tag=$2 port=${PORT_OF[$1]} pid dir conf i n
	dir="$OUT/run-$name"
	mkdir -p "$dir"
	case $name in
	centinela | centinela-sha)
		rm -f "$dir/centinela.db" "$dir/centinela.db-wal" "$dir/centinela.db-shm"
		sqlite3 "$ACC_DB" ".backup '$dir/centinela.db'" ||
		    die "cannot copy the accounts store"
		if [ "$name" = centinela-sha ]; then
			# What etc/centinela.conf offers: SHA-256 first, MD5 too.
			conf=$(conf_for "$name-$tag" "$dir/centinela.db" \
			    '[ "SHA-256", "MD5" ]')
		else
			conf=$(conf_for "centinela-$tag" "$dir/centinela.db")
		fi
		"$OUT/centinela.bin" -f -c "$conf" >"$OUT/centinela-$tag.log" 2>&1 &
		pid=$!
		;;
	kamailio | kamailio-wb)
		local wb=()
		if [ "$name" = kamailio-wb ]; then
			cp "$OUT/kamailio-location.db" "$dir/location.db"
			wb=(-A UL_DB_MODE=2 -A "UL_DB_URL=\"sqlite://$dir/location.db\"")
		fi
		rm -f "$dir/kamailio.ctl"
		kamailio -f bench/kamailio-registrar.cfg -DD -E -m 256 -M 8 \
		    -x tlsf -n 2 -A NO_DEFAULT_LISTEN -l "udp:127.0.0.1:$port" \
		    -A "UAS_URI=\"sip:127.0.0.1:$UPSTREAM_PORT\"" \
		    -A "AUTH_DB_URL=\"sqlite://$OUT/kamailio-auth.db\"" \
		    -A "CTL_SOCKET=\"unixs:$dir/kamailio.ctl\"" "${wb[@]}" \
		    -Y "$dir" >"$OUT/$name-$tag.log" 2>&1 &
		pid=$!
		;;
	*) die "unknown server $name" ;;
	esac
	PIDS="$PIDS $pid"
	SPID_OF[$name]=$pid
	sleep 1.5
	kill -0 "$pid" 2>/dev/null || die "$name did not start, see $OUT/$name-$tag.log"
	if [ "$name" != "${name#centinela}" ]; then
		# The daemon must have loaded every account (its log says so at
		# level info; this config logs warnings only: the metric).
		for i in $(seq 1 40); do
			n=$(metric centinela_accounts)
			[ "${n:-0}" -ge "$ACCOUNTS" ] && break
			sleep 0.25
		done
		[ "${n:-0}" -ge "$ACCOUNTS" ] ||
		    die "centinela loaded ${n:-no} accounts, not $ACCOUNTS"
		log "$name ($tag) started, pid $pid, udp 127.0.0.1:$port, accounts loaded: $n"
	else
		log "$name ($tag) started, pid $pid, udp 127.0.0.1:$port ($(proc_tree "$pid" | wc -l) processes)"
	fi
}

registered() { # NAME -> contacts the server holds ("" if unknown)
	case $1 in
	centinela*) metric centinela_registered_contacts ;;
	*) kam_contacts "$1" ;;
	esac
}

CLK_TCK=$(getconf CLK_TCK)
kv() { # KEY FILE -> value of KEY=value in bench/regload.py's output line
	tr ' ' '\n' < "$2" 2>/dev/null | sed -n "s/^$1=//p" | tail -1
}

# run_reg DIR PORT RATE COUNT TIMEOUT CSV [extra sipp args]
run_reg() {
	local dir=$1 port=$2 rate=$3 count=$4 tmo=$5 csv=$6
	shift 6
	mkdir -p "$dir"
	local tcmd=()
	[ -x /usr/bin/time ] && tcmd=(/usr/bin/time -f "%U %S" -o "$dir/uac-cpu")
	(cd "$dir" && exec timeout -k 5 $((tmo + 30)) "${tcmd[@]}" \
	    sipp 127.0.0.1:"$port" -sf "$ROOT/bench/register.xml" \
	    -inf "$csv" -au '[field0]' -ap '[field1]' \
	    -i "$UAC_IP" -p "$UAC_PORT" -mp $((BASE + 400)) -cp $((BASE + 410)) \
	    -buff_size $SIPP_BUF -r "$rate" -m "$count" -timeout "${tmo}s" \
	    -recv_timeout 5000 -nostdin -trace_stat -stf "$dir/stat.csv" \
	    -fd 1 "$@" >"$dir/screen.txt" 2>&1)
	echo $? > "$dir/rc"
	UAC_CPU=$(awk 'END{printf "%.2f", $1 + $2}' "$dir/uac-cpu" 2>/dev/null)
}

# ---- (A) registrations per second --------------------------------------

# step NAME REP RATE -> STEP_OK
step() {
	local name=$1 rep=$2 rate=$3 count dir created ok bad el ach succ
	local w0 w1 c0 c1 per1k cores ucores p50 p99 pmax n c99
	local ppid="" pcount=0 pr_ok=0 pr_p50=- pr_p99=- pr_max=-
	count=$((rate * STEP_SECS))
	dir="$OUT/rates/$name-r$rep-$rate"
	mkdir -p "$dir"
	kill -0 "${SPID_OF[$name]}" 2>/dev/null || die "$name has exited (see its log in $OUT)"
	w0=$(now_s); c0=$(cpu_ticks "${SPID_OF[$name]}")
	if [ "$PROBE_RATE" != 0 ]; then
		# The microsecond probe, next to SIPp for the same seconds.
		pcount=$(awk -v r="$PROBE_RATE" -v s="$STEP_SECS" 'BEGIN{printf "%d", r * s}')
		timeout -k 5 $((STEP_SECS + 30)) python3 bench/regload.py \
		    --target "127.0.0.1:${PORT_OF[$name]}" --bind "$PROBE_IP" \
		    --port $((BASE + 192)) --csv "$OUT/accounts.csv" \
		    --offset $((ACCOUNTS / 2)) --rate "$PROBE_RATE" \
		    --count "$pcount" --max-secs $((STEP_SECS + 5)) \
		    --contact-tag p >"$dir/probe.txt" 2>&1 &
		ppid=$!
	fi
	# SIPp writes the -trace_rtt samples in batches of -rtt_freq and
	# drops an incomplete last batch: 2 samples per registration, so a
	# rate x REG_STEP_SECS that is a multiple of 50 loses none.
	run_reg "$dir" "${PORT_OF[$name]}" "$rate" "$count" $((STEP_SECS + 10)) \
	    "$OUT/accounts.csv" -trace_rtt -rtt_freq 100
	[ -n "$ppid" ] && wait "$ppid"
	w1=$(now_s); c1=$(cpu_ticks "${SPID_OF[$name]}")
	if [ -n "$ppid" ]; then
		pr_ok=$(kv ok "$dir/probe.txt"); pr_p50=$(kv reg_p50 "$dir/probe.txt")
		pr_p99=$(kv reg_p99 "$dir/probe.txt"); pr_max=$(kv reg_max "$dir/probe.txt")
	fi
	read -r created ok bad el ach <<<"$(stat_summary "$dir/stat.csv" "$count")"
	read -r p50 p99 pmax n <<<"$(rtt_pct "$dir" 1)"
	read -r _ c99 _ _ <<<"$(rtt_pct "$dir" 2)"
	succ=$(awk -v ok="$ok" -v c="$count" 'BEGIN{printf "%.3f", 100 * ok / c}')
	# The server did the probe's registrations too.
	per1k=$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" -v n=$((ok + ${pr_ok:-0})) 'BEGIN{printf "%.4f", n ? 1000 * d / hz / n : 0}')
	cores=$(awk -v a="$w0" -v b="$w1" -v d=$((c1 - c0)) -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", (b > a) ? d / hz / (b - a) : 0}')
	ucores=$(awk -v a="$w0" -v b="$w1" -v c="${UAC_CPU:-0}" 'BEGIN{printf "%.2f", (b > a) ? c / (b - a) : 0}')
	if awk -v s="$succ" -v a="$ach" -v r="$rate" -v p="$p99" -v lim="$P99_MS" \
	    -v pc="$pcount" -v pok="${pr_ok:-0}" -v pp="$pr_p99" \
	    'BEGIN{exit !(s >= 99.9 && a >= 0.95 * r && p != "-" && p + 0 < lim &&
		(pc == 0 || (pok >= 0.999 * pc && pp != "-" && pp + 0 < lim)))}'; then
		STEP_OK=1
	else
		STEP_OK=0
	fi
	kill -0 "${SPID_OF[$name]}" 2>/dev/null || die "$name died at $rate registrations/s"
	log "  $name rep $rep: $rate/s offered -> $ach/s created, $ok/$count ok ($succ %), auth'd REGISTER->200 p50/p99/max $p50/$p99/$pmax ms ($n samples), REGISTER->401 p99 $c99 ms$([ "$pcount" != 0 ] && echo ", probe $pr_ok/$pcount ok p50/p99/max $pr_p50/$pr_p99/$pr_max ms"), CPU-s/1000 $per1k, cores server/UAC $cores/$ucores$([ $STEP_OK = 1 ] && echo ' PASS' || echo ' FAIL')"
	record rate "$name" "$rep" "$rate" "$ach" "$succ" "$STEP_OK" "$p50" "$p99" "$pmax" "$c99" "$per1k" "$cores" "$ucores" "$ok" "$count" "${pr_ok:-0}" "$pcount" "$pr_p50" "$pr_p99" "$pr_max"
	rm -f "$dir"/*_rtt.csv
	sleep 2
}

if ! skip rates; then
	for name in $PROXIES; do
		start_server "$name" rates
	done
	sleep 1
	# Prime: every account registered once (the steps then refresh
	# bindings, the steady state of a registrar).
	for name in $PROXIES; do
		run_reg "$OUT/rates/$name-prime" "${PORT_OF[$name]}" 2000 \
		    "$ACCOUNTS" $((ACCOUNTS / 2000 + 20)) "$OUT/accounts.csv"
		read -r created ok bad el ach <<<"$(stat_summary "$OUT/rates/$name-prime/stat.csv" "$ACCOUNTS")"
		sleep 2
		log "$name primed: $ok/$ACCOUNTS registrations ok, contacts held: $(registered "$name")"
		[ "$ok" -eq "$ACCOUNTS" ] ||
		    log "WARNING: $name: not every account registered in the prime run"
	done
	for rep in $(seq 1 "$REPEATS"); do
		for name in $PROXIES; do
			log "rates: $name, repeat $rep"
			best=0
			for rate in $RATES; do
				step "$name" "$rep" "$rate"
				if [ "$STEP_OK" = 1 ]; then
					best=$rate
				else
					break
				fi
			done
			log "$name rep $rep: max sustained $best registrations/s (>= 99.9 %, p99 < $P99_MS ms)"
			record max "$name" "$rep" "$best"
		done
	done
	for name in $PROXIES; do
		read -r rss hwm pss np <<<"$(mem_kb "${SPID_OF[$name]}")"
		c=$(registered "$name")
		log "$name after the rate runs: VmRSS $rss kB, VmHWM $hwm kB, Pss $pss kB ($np processes), contacts held ${c:-?}"
		record ratesmem "$name" 1 "$rss" "$hwm" "$pss" "$np" "${c:--}"
		stop_pid "${SPID_OF[$name]}"
	done
	grep -h 'upstream\|error\|ERROR' "$OUT"/centinela-rates.log 2>/dev/null | head -5 >&2
fi

# ---- (A2) centinela: SHA-256 against MD5 ---------------------------------

# Both through bench/regload.py (SIPp cannot do SHA-256), against one
# centinela that offers both, as etc/centinela.conf does: the 401 carries
# the two challenges either way; only the algorithm answered differs.
alg_run() {
	local rep=$1 alg=$2 count dir c0 c1 ok ach p50 p99 pmax per1k tag
	count=$(awk -v r="$ALG_RATE" -v s="$ALG_SECS" 'BEGIN{printf "%d", r * s}')
	tag=${alg//-/}
	dir="$OUT/alg/$tag-r$rep"
	mkdir -p "$dir"
	kill -0 "${SPID_OF[centinela-sha]}" 2>/dev/null || die "centinela-sha has exited"
	c0=$(cpu_ticks "${SPID_OF[centinela-sha]}")
	/usr/bin/time -f "%U %S" -o "$dir/uac-cpu" \
	    timeout -k 5 $((ALG_SECS + 30)) python3 bench/regload.py \
	    --target "127.0.0.1:${PORT_OF[centinela-sha]}" --bind "$UAC_IP" \
	    --port $((BASE + 194)) --csv "$OUT/accounts.csv" --alg "$alg" \
	    --rate "$ALG_RATE" --count "$count" --max-secs $((ALG_SECS + 5)) \
	    --contact-tag 0 >"$dir/out.txt" 2>&1
	c1=$(cpu_ticks "${SPID_OF[centinela-sha]}")
	ok=$(kv ok "$dir/out.txt")
	ach=$(kv achieved "$dir/out.txt"); p50=$(kv reg_p50 "$dir/out.txt")
	p99=$(kv reg_p99 "$dir/out.txt"); pmax=$(kv reg_max "$dir/out.txt")
	per1k=$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" -v n="${ok:-0}" 'BEGIN{printf "%.4f", n ? 1000 * d / hz / n : 0}')
	UAC_CPU=$(awk 'END{printf "%.2f", $1 + $2}' "$dir/uac-cpu" 2>/dev/null)
	log "  centinela $alg rep $rep: ${ok:-0}/$count ok ($ALG_RATE/s offered, $ach/s started), REGISTER->200 p50/p99/max $p50/$p99/$pmax ms, CPU-s/1000 $per1k (driver CPU ${UAC_CPU}s)"
	record alg centinela "$rep" "$alg" "$ALG_RATE" "${ach:--}" "${ok:-0}" "$count" "$p50" "$p99" "$pmax" "$per1k" "${UAC_CPU:--}"
	sleep 2
}

if ! skip alg; then
	start_server centinela-sha alg
	sleep 1
	# Prime: every account registered once.
	timeout -k 5 $((ACCOUNTS / ALG_RATE + 40)) python3 bench/regload.py \
	    --target "127.0.0.1:${PORT_OF[centinela-sha]}" --bind "$UAC_IP" \
	    --port $((BASE + 194)) --csv "$OUT/accounts.csv" --alg MD5 \
	    --rate "$ALG_RATE" --count "$ACCOUNTS" \
	    --max-secs $((ACCOUNTS / ALG_RATE + 10)) --contact-tag 0 \
	    >"$OUT/alg-prime.txt" 2>&1
	log "centinela-sha primed: $(cat "$OUT/alg-prime.txt")"
	for rep in $(seq 1 "$REPEATS"); do
		alg_run "$rep" MD5
		alg_run "$rep" SHA-256
	done
	stop_pid "${SPID_OF[centinela-sha]}"
fi

# ---- (B) memory per registered contact ----------------------------------

# Wait (bounded) until NAME holds WANT contacts and, for centinela, the
# writer has put every binding into the store.
settle() {
	local name=$1 want=$2 i c s
	for i in $(seq 1 60); do
		c=$(registered "$name")
		if [ "$name" = centinela ]; then
			s=$(sqlite3 "$OUT/run-centinela/centinela.db" \
			    "SELECT count(*) FROM bindings" 2>/dev/null)
		else
			s=$c
		fi
		[ "${c:-0}" -ge "$want" ] && [ "${s:-0}" -ge "$want" ] && break
		sleep 0.5
	done
	# centinela keeps a finished transaction TXN_LINGER (5 s): let those go.
	sleep 6
	SETTLED_CONTACTS=${c:-}
	SETTLED_STORED=${s:-}
	[ "$name" = centinela ] || SETTLED_STORED=-
}

if ! skip mem; then
	total=$((ACCOUNTS * MEM_CONTACTS))
	for name in $MEM_PROXIES; do
		case $name in centinela | kamailio | kamailio-wb) ;; *) die "REG_MEM_PROXIES: unknown $name" ;; esac
		start_server "$name" mem
		sleep 2
		read -r rss0 hwm0 pss0 np <<<"$(mem_kb "${SPID_OF[$name]}")"
		log "memory: $name before: VmRSS $rss0 kB, Pss $pss0 kB, contacts $(registered "$name")"
		tmo=$((total / MEM_RATE + 30))
		run_reg "$OUT/mem/$name-pass1" "${PORT_OF[$name]}" "$MEM_RATE" \
		    "$total" "$tmo" "$OUT/accounts-mem.csv"
		read -r created ok1 bad el ach <<<"$(stat_summary "$OUT/mem/$name-pass1/stat.csv" "$total")"
		settle "$name" "$total"
		c1=$SETTLED_CONTACTS s1=$SETTLED_STORED
		read -r rss1 hwm1 pss1 np <<<"$(mem_kb "${SPID_OF[$name]}")"
		log "memory: $name after $ok1/$total registrations ($ach/s): contacts held ${c1:-?} (store: ${s1:-?}), VmRSS $rss1 kB (VmHWM $hwm1), Pss $pss1 kB"
		# The same contacts again: refreshes only.
		run_reg "$OUT/mem/$name-pass2" "${PORT_OF[$name]}" "$MEM_RATE" \
		    "$total" "$tmo" "$OUT/accounts-mem.csv"
		read -r created ok2 bad el ach <<<"$(stat_summary "$OUT/mem/$name-pass2/stat.csv" "$total")"
		settle "$name" "$total"
		c2=$SETTLED_CONTACTS
		read -r rss2 hwm2 pss2 np <<<"$(mem_kb "${SPID_OF[$name]}")"
		per=$(awk -v a="$rss0" -v b="$rss1" -v n="${c1:-0}" 'BEGIN{printf "%.0f", n ? (b - a) * 1024 / n : 0}')
		perp=$(awk -v a="$pss0" -v b="$pss1" -v n="${c1:-0}" 'BEGIN{printf "%.0f", n ? (b - a) * 1024 / n : 0}')
		log "memory: $name after the refresh pass ($ok2/$total ok): contacts ${c2:-?}, VmRSS $rss2 kB, Pss $pss2 kB; growth per contact (pass 1): VmRSS $per B, Pss $perp B"
		record mem "$name" 1 "$total" "$ok1" "${c1:--}" "${s1:--}" "$rss0" "$rss1" "$rss2" "$pss0" "$pss1" "$pss2" "$per" "$perp" "$ok2" "$hwm1"
		stop_pid "${SPID_OF[$name]}"
	done
fi

echo "loadavg_end	$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.tsv"
ps -eo pid,pcpu,etimes,comm --sort=-pcpu | awk 'NR>1 && $2>5' > "$OUT/busy-at-end.txt"
cleanup

ELAPSED=$(($(date +%s) - T0))
bash bench/summarize-register.sh "$OUT" "$ELAPSED" > "$OUT/summary.md"
cat "$OUT/summary.md"
log "done in ${ELAPSED}s; raw data in $OUT"

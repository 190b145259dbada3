#!/bin/sh
# bench/tls.sh -- TLS benchmark, centinela against Kamailio 5.6 side by
# side in one run: handshakes per second (full and resumed), REGISTER
# with digest over TLS, memory per idle TLS connection. `make bench-tls`
# runs it (BENCH_BUILD_DIR = the build directory holding centinela,
# centinelactl and bench/tls_gen); docs/PERFORMANCE.md ("TLS benchmark")
# says what it measures and what a run gave.
#
# Load: bench/tls_gen (C, OpenSSL; its header says what each mode does),
# from 127.0.0.2 .. 127.0.0.101 (100 source addresses), loopback only,
# every run bounded in count and time. With TLS_PIN=split (default) each
# server runs on CPU 0 (taskset; Kamailio's processes inherit it) and the
# generator on CPU 1: the generator's work per handshake is at least the
# server's, so full-handshake rates are the client's limit as much as
# the server's; the comparable figure is the server's CPU-seconds per
# 1000 handshakes (utime+stime of all its processes, /proc) and its
# inverse, handshakes per second per server core.
#
# (A) cases, each TLS_SECS seconds with TLS_CONC connections in flight,
#     BENCH_REPEATS times, servers interleaved (repeat 1 of both, then
#     repeat 2, ...), for each server key of TLS_KEYS (centinelactl tls:
#     ec = P-256, rsa = 3072 bits):
#       full13 / full12   full handshakes, TLS 1.3 / 1.2 (no session
#                         offered; TLS 1.3 servers still send tickets)
#       tick13 / tick12   resumed with session tickets (TLS 1.3 PSK with
#                         (EC)DHE, one new ticket per connection; TLS 1.2
#                         ticket)
#       id12              resumed with TLS 1.2 session IDs (no ticket:
#                         the server's session cache)
#       regpersist        REGISTER with digest (REGISTER, 401, REGISTER
#                         with Authorization, 200), TLS 1.3, TLS_CONC
#                         persistent connections (only the first key)
#       regresume         the same, a new TLS 1.3 connection per
#                         registration, resumed with its ticket (only
#                         the first key)
# (B) memory: fresh servers; VmRSS and Pss of the server (all processes)
#     before and after TLS_IDLE connections (TLS 1.3 full handshakes,
#     100 at a time) are held open with no traffic at all (the generator
#     keeps only the sockets), TLS_SETTLE seconds after the last one;
#     growth / connections the server still holds (ss). Pss is the
#     figure for Kamailio (its OpenSSL allocations are in shared memory
#     mapped by every process); for centinela (one process) VmRSS = Pss.
#
# Knobs (environment):
#   BENCH_REPEATS   3          TLS_SECS    8         TLS_CONC   20
#   TLS_KEYS        "ec rsa"   TLS_CASES   "full13 full12 tick13 tick12 id12 regpersist regresume"
#   TLS_SERVERS     "centinela kamailio floor" (floor: bench/tls_floor, a
#                   bare TLS server with centinela's OpenSSL settings and
#                   nothing else; handshake cases only: what the library
#                   and the kernel cost per handshake on this machine)
#   TLS_IDLE        10000 (idle connections)         TLS_SETTLE 5
#   TLS_ACCOUNTS    1000       TLS_PIN     split (none: no taskset)
#   TLS_SKIP        parts to skip: "rates", "mem"
#   KAM_TCP_CHILDREN 1 (see below)
#   BENCH_PORT_BASE 35000: ports BASE+260 (centinela udp), +261 (tls),
#                   +265 (metrics), +280 (its upstream, not started),
#                   +270 (kamailio udp), +271 (tls), +291 (floor tls)
#   BENCH_OUT       build/bench/tls-<date>-<time>
#   BENCH_BUILD     1: build BENCH_BUILD_DIR first; 0: use it as it is
#
# Kamailio 5.6.3 (Debian 12) with OpenSSL 3 corrupts its shared memory
# and crashes under TLS load when more than one TCP worker handles TLS
# ("freeing already freed pointer ... tls_init.c: ser_free", "digital
# envelope routines::unsupported algorithm", then SIGSEGV; Kamailio
# issue #3791, fixed by tls_threads_mode in later versions): it runs
# here with tcp_children 1 (KAM_TCP_CHILDREN), one TLS worker, as
# centinela has one SIP thread.
#
# Only the processes this script starts are stopped, by their PIDs.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
. bench/lib.sh

BUILD_DIR=${BENCH_BUILD_DIR:-build}
REPEATS=${BENCH_REPEATS:-3}
SECS=${TLS_SECS:-8}
CONC=${TLS_CONC:-20}
KEYS=${TLS_KEYS:-ec rsa}
CASES=${TLS_CASES:-full13 full12 tick13 tick12 id12 regpersist regresume}
SERVERS=${TLS_SERVERS:-centinela kamailio floor}
IDLE=${TLS_IDLE:-10000}
SETTLE=${TLS_SETTLE:-5}
ACCOUNTS=${TLS_ACCOUNTS:-1000}
PIN=${TLS_PIN:-split}
SKIP=${TLS_SKIP:-}
KAM_TCP_CHILDREN=${KAM_TCP_CHILDREN:-1}
BASE=${BENCH_PORT_BASE:-35000}
OUT=${BENCH_OUT:-build/bench/tls-$(date -u +%Y%m%d-%H%M%S)}
REALM=centinela.local
T0=$(date +%s)
CLK_TCK=$(getconf CLK_TCK)

declare -A UDP_OF TLS_OF SPID_OF
UDP_OF[centinela]=$((BASE + 260)); TLS_OF[centinela]=$((BASE + 261))
UDP_OF[kamailio]=$((BASE + 270)); TLS_OF[kamailio]=$((BASE + 271))
TLS_OF[floor]=$((BASE + 291))
METRICS_PORT=$((BASE + 265))
UPSTREAM_PORT=$((BASE + 280))

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
RES="$OUT/results.tsv"
: > "$RES"
LOG_TAG=tls
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

pin_server() { [ "$PIN" = split ] && echo "taskset -c 0"; }
pin_gen() { [ "$PIN" = split ] && echo "taskset -c 1"; }

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

# ---- prerequisites ---------------------------------------------------

KMOD=/usr/lib/x86_64-linux-gnu/kamailio/modules
if ! command -v kamailio >/dev/null || [ ! -e "$KMOD/tls.so" ] ||
    [ ! -e "$KMOD/db_sqlite.so" ]; then
	log "installing kamailio / kamailio-tls-modules / kamailio-sqlite-modules"
	sh scripts/deps.sh kamailio kamailio-tls-modules kamailio-sqlite-modules ||
	    die "cannot install Kamailio's TLS and SQLite modules"
fi
for c in python3 sqlite3 curl taskset ss; do
	command -v $c >/dev/null || die "$c is missing"
done
if [ "${BENCH_BUILD:-1}" = 1 ]; then
	make -j2 --no-print-directory BUILD="$BUILD_DIR" all \
	    "$BUILD_DIR/bench/tls_gen" "$BUILD_DIR/bench/tls_floor" \
	    >"$OUT/build.log" 2>&1 ||
	    die "build failed, see $OUT/build.log"
fi
CTL=$BUILD_DIR/centinelactl
GEN=$BUILD_DIR/bench/tls_gen
need="$BUILD_DIR/centinela $CTL $GEN"
case " $SERVERS " in *" floor "*) need="$need $BUILD_DIR/bench/tls_floor" ;; esac
for f in $need; do
	[ -x "$f" ] || die "no $f (make BUILD=$BUILD_DIR all $BUILD_DIR/bench/tls_gen $BUILD_DIR/bench/tls_floor)"
done
cp "$BUILD_DIR/centinela" "$OUT/centinela.bin" || die "cannot copy the daemon"
cp "$GEN" "$OUT/tls_gen" || die "cannot copy tls_gen"
case " $SERVERS " in
*" floor "*) cp "$BUILD_DIR/bench/tls_floor" "$OUT/tls_floor" || die "cannot copy tls_floor" ;;
esac
GEN=$OUT/tls_gen

# Descriptors: TLS_IDLE held connections in the generator and in each
# server (plus margin); the soft limit goes up to the hard one.
want=$((IDLE + 2000))
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] && hard=$want
if [ "$hard" -lt "$want" ]; then
	IDLE=$((hard - 2000))
	log "WARNING: RLIMIT_NOFILE hard limit $hard: TLS_IDLE lowered to $IDLE"
	want=$hard
fi
ulimit -n "$want" || die "cannot raise RLIMIT_NOFILE to $want"

for p in ${UDP_OF[centinela]} ${UDP_OF[kamailio]} $UPSTREAM_PORT; do
	port_free "$p" || die "UDP port $p is in use; set BENCH_PORT_BASE"
done
for p in ${TLS_OF[centinela]} ${TLS_OF[kamailio]} ${TLS_OF[floor]} $METRICS_PORT; do
	ss -Hltn "sport = :$p" 2>/dev/null | grep -q . &&
	    die "TCP port $p is in use; set BENCH_PORT_BASE"
done

{
	echo "date_utc	$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "nproc	$(nproc)"
	echo "cpu	$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
	echo "kernel	$(uname -srm)"
	echo "openssl	$(openssl version 2>/dev/null)"
	echo "centinela	$(git describe --always --dirty 2>/dev/null) ($(git rev-parse HEAD 2>/dev/null))"
	echo "src_uncommitted	$(git status --short -- src 2>/dev/null | wc -l) file(s) under src/ differ from HEAD"
	echo "binary_sha256	$(sha256sum "$OUT/centinela.bin" | cut -c1-16)"
	echo "kamailio	$(kamailio -v 2>/dev/null | head -1)"
	echo "loadavg_start	$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "pin	$PIN"
	echo "secs	$SECS"
	echo "conc	$CONC"
	echo "repeats	$REPEATS"
	echo "nofile	$(ulimit -n)"
	echo "kam_tcp_children	$KAM_TCP_CHILDREN"
} > "$OUT/machine.tsv"
tee -a "$OUT/bench.log" < "$OUT/machine.tsv" >&2
ps -eo pid,pcpu,etimes,comm --sort=-pcpu | awk 'NR>1 && $2>5' > "$OUT/busy-at-start.txt"
[ -s "$OUT/busy-at-start.txt" ] &&
    log "WARNING: other processes are using CPU (see busy-at-start.txt)"

# ---- certificates and accounts ---------------------------------------------

for k in $KEYS; do
	case $k in ec | rsa) ;; *) die "TLS_KEYS: unknown key type $k" ;; esac
	"$CTL" tls ca --out "$OUT/pki-$k" --key "$k" >/dev/null ||
	    die "centinelactl tls ca failed"
	"$CTL" tls server --ca "$OUT/pki-$k" --cn localhost \
	    --san IP:127.0.0.1 --key "$k" --out "$OUT/pki-$k/server" \
	    >"$OUT/pki-$k/server.txt" || die "centinelactl tls server failed"
done

ACC_DB=$OUT/accounts.db
conf_for() { # NAME STORE KEY -> path of centinela's config
	sed -e "s/port = 5060;/port = ${UDP_OF[centinela]};/" \
	    -e "s/port = 5061;/port = ${TLS_OF[centinela]};/" \
	    -e "s/port = 5080;/port = $UPSTREAM_PORT;/" \
	    -e "s/port = 9060;/port = $METRICS_PORT;/" \
	    -e "s|STORE_PATH|$2|" \
	    -e "s|CERT_PATH|$OUT/pki-$3/server.pem|" \
	    -e "s|KEY_PATH|$OUT/pki-$3/server.key|" \
	    bench/centinela-tls.conf > "$OUT/$1.conf"
	echo "$OUT/$1.conf"
}
conf=$(conf_for accounts "$ACC_DB" "${KEYS%% *}")
"$OUT/centinela.bin" -t -c "$conf" >/dev/null || die "bench/centinela-tls.conf does not load"
"$CTL" user -c "$conf" add 100000 >/dev/null || die "centinelactl user add failed"
python3 bench/mkaccounts.py --n "$ACCOUNTS" --realm "$REALM" \
    --centinela-db "$ACC_DB" --kamailio-db "$OUT/kamailio-auth.db" \
    --csv "$OUT/accounts.csv" >>"$OUT/bench.log" 2>&1 ||
    die "bench/mkaccounts.py failed (see bench.log)"
sqlite3 "$ACC_DB" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null

# ---- servers ----------------------------------------------------------

metric() {
	curl -s --max-time 3 "http://127.0.0.1:$METRICS_PORT/metrics" |
	    awk -v m="$1" '$1 == m { print $2; exit }'
}
tls_listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
established() { ss -Htn state established "sport = :$1" 2>/dev/null | wc -l; }

# start_server NAME KEY TAG: a fresh instance with KEY's certificate.
start_server() {
	local name=$1 key=$2 tag=$3 pid dir conf i n
	dir="$OUT/run-$name-$tag"
	mkdir -p "$dir"
	case $name in
	centinela)
		sqlite3 "$ACC_DB" ".backup '$dir/centinela.db'" ||
		    die "cannot copy the accounts store"
		conf=$(conf_for "centinela-$tag" "$dir/centinela.db" "$key")
		$(pin_server) "$OUT/centinela.bin" -f -c "$conf" \
		    >"$OUT/centinela-$tag.log" 2>&1 &
		pid=$!
		;;
	kamailio)
		$(pin_server) kamailio -f bench/kamailio-tls.cfg -DD -E -m 2048 \
		    -M 8 -x tlsf -A NO_DEFAULT_LISTEN \
		    -l "udp:127.0.0.1:${UDP_OF[kamailio]}" \
		    -l "tls:127.0.0.1:${TLS_OF[kamailio]}" \
		    -A "TCP_CHILDREN=$KAM_TCP_CHILDREN" \
		    -A "TLS_CERT=\"$OUT/pki-$key/server.pem\"" \
		    -A "TLS_KEY=\"$OUT/pki-$key/server.key\"" \
		    -A "AUTH_DB_URL=\"sqlite://$OUT/kamailio-auth.db\"" \
		    -Y "$dir" >"$OUT/kamailio-$tag.log" 2>&1 &
		pid=$!
		;;
	floor)
		$(pin_server) "$OUT/tls_floor" -l "127.0.0.1:${TLS_OF[floor]}" \
		    -c "$OUT/pki-$key/server.pem" -k "$OUT/pki-$key/server.key" \
		    -d 86400 >"$OUT/floor-$tag.log" 2>&1 &
		pid=$!
		;;
	*) die "unknown server $name" ;;
	esac
	PIDS="$PIDS $pid"
	SPID_OF[$name]=$pid
	for i in $(seq 1 50); do
		tls_listening "${TLS_OF[$name]}" && break
		sleep 0.2
	done
	kill -0 "$pid" 2>/dev/null || die "$name did not start, see $OUT/$name-$tag.log"
	tls_listening "${TLS_OF[$name]}" || die "$name: nothing listens on tls ${TLS_OF[$name]}"
	if [ "$name" = centinela ]; then
		for i in $(seq 1 40); do
			n=$(metric centinela_accounts)
			[ "${n:-0}" -ge "$ACCOUNTS" ] && break
			sleep 0.25
		done
		[ "${n:-0}" -ge "$ACCOUNTS" ] ||
		    die "centinela loaded ${n:-no} accounts, not $ACCOUNTS"
	fi
	sleep 1
	log "$name ($tag, $key key) started, pid $pid, tls 127.0.0.1:${TLS_OF[$name]} ($(proc_tree "$pid" | wc -l) processes)"
}

kv() { tr ' ' '\n' < "$2" 2>/dev/null | sed -n "s/^$1=//p" | tail -1; }

case_args() {
	case $1 in
	full13) echo "-m hs -R none -v 1.3" ;;
	full12) echo "-m hs -R none -v 1.2" ;;
	tick13) echo "-m hs -R ticket -v 1.3" ;;
	tick12) echo "-m hs -R ticket -v 1.2" ;;
	id12) echo "-m hs -R id -v 1.2" ;;
	regpersist) echo "-m reg -k 0 -v 1.3 -a $OUT/accounts.csv" ;;
	regresume) echo "-m reg -k 1 -R ticket -v 1.3 -a $OUT/accounts.csv" ;;
	*) die "TLS_CASES: unknown case $1" ;;
	esac
}

# run_case NAME KEY CASE REP
run_case() {
	local name=$1 key=$2 cs=$3 rep=$4 pid=${SPID_OF[$1]} f w0 w1 c0 c1
	local hs full res failed regs rfail el rate srv per1k cap gcpu n p50 p99
	f="$OUT/rates/$key-$cs-$name-r$rep.txt"
	mkdir -p "$OUT/rates"
	kill -0 "$pid" 2>/dev/null || die "$name has exited (see its log in $OUT)"
	w0=$(now_s); c0=$(cpu_ticks "$pid")
	# shellcheck disable=SC2046
	timeout -k 5 $((SECS + 30)) $(pin_gen) "$GEN" \
	    -t "127.0.0.1:${TLS_OF[$name]}" -c "$CONC" -d "$SECS" \
	    -s 127.0.0.2 -S 100 -D "$REALM" $(case_args "$cs") >"$f" 2>&1
	w1=$(now_s); c1=$(cpu_ticks "$pid")
	hs=$(kv handshakes "$f"); full=$(kv full "$f"); res=$(kv resumed "$f")
	failed=$(kv failed "$f"); regs=$(kv regs "$f"); rfail=$(kv reg_failed "$f")
	el=$(kv elapsed_s "$f"); gcpu=$(kv cpu_s "$f")
	p50=$(kv reg_p50_ms "$f"); p99=$(kv reg_p99_ms "$f")
	case $cs in reg*) n=${regs:-0}; rate=$(kv reg_rate "$f") ;; *) n=${hs:-0}; rate=$(kv hs_rate "$f") ;; esac
	srv=$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", d / hz}')
	per1k=$(awk -v s="$srv" -v n="$n" 'BEGIN{printf "%.4f", n ? 1000 * s / n : 0}')
	cap=$(awk -v s="$srv" -v n="$n" 'BEGIN{printf "%.0f", (s > 0) ? n / s : 0}')
	kill -0 "$pid" 2>/dev/null || die "$name died during $cs (see its log in $OUT)"
	log "  $key $cs $name rep $rep: ${rate:-?}/s (${n} done: full ${full:-?} resumed ${res:-?}, failed ${failed:-?}${regs:+, regs $regs p50/p99 $p50/$p99 ms}), server CPU ${srv}s = $per1k s/1000 = $cap per core-second, generator CPU ${gcpu:-?}s in ${el:-?}s"
	record rate "$key" "$cs" "$name" "$rep" "${rate:-0}" "$n" "${full:-0}" "${res:-0}" "${failed:-0}" "$srv" "$per1k" "$cap" "${gcpu:-0}" "${el:-0}" "${p50:--}" "${p99:--}" "${rfail:-0}"
	sleep 1
}

if ! skip rates; then
	first_key=${KEYS%% *}
	for key in $KEYS; do
		for name in $SERVERS; do
			start_server "$name" "$key" "rates-$key"
		done
		for rep in $(seq 1 "$REPEATS"); do
			for cs in $CASES; do
				case $cs in reg*) [ "$key" = "$first_key" ] || continue ;; esac
				for name in $SERVERS; do
					case $name-$cs in floor-reg*) continue ;; esac
					run_case "$name" "$key" "$cs" "$rep"
				done
			done
		done
		for name in $SERVERS; do
			nerr=$(grep -c 'ERROR\|CRITICAL\|ALERT' "$OUT/$name-rates-$key.log" 2>/dev/null)
			log "$name ($key): ${nerr:-0} error lines in its log"
			record errors "$name" "$key" "${nerr:-0}"
			stop_pid "${SPID_OF[$name]}"
		done
	done
fi

# ---- (B) memory per idle TLS connection -----------------------------------

if ! skip mem; then
	key=${KEYS%% *}
	for name in $SERVERS; do
		[ "$name" = floor ] && continue
		start_server "$name" "$key" mem
		sleep 2
		read -r rss0 hwm0 pss0 np <<<"$(mem_kb "${SPID_OF[$name]}")"
		ready="$OUT/mem-$name.ready"
		rm -f "$ready"
		# Held at most 600 s; released as soon as memory is read.
		# shellcheck disable=SC2046
		timeout -k 5 700 $(pin_gen) "$GEN" -t "127.0.0.1:${TLS_OF[$name]}" \
		    -m idle -n "$IDLE" -c 100 -d 300 -H 600 -s 127.0.0.2 -S 100 \
		    -v 1.3 -r "$ready" >"$OUT/mem-$name.txt" 2>&1 &
		gpid=$!
		PIDS="$PIDS $gpid"
		t_open=$(now_s)
		for i in $(seq 1 3000); do
			[ -s "$ready" ] && break
			kill -0 "$gpid" 2>/dev/null || break
			sleep 0.1
		done
		[ -s "$ready" ] || die "$name: the idle connections did not come up (see mem-$name.txt)"
		t_up=$(awk -v a="$t_open" -v b="$(now_s)" 'BEGIN{printf "%.1f", b - a}')
		sleep "$SETTLE"
		held=$(established "${TLS_OF[$name]}")
		read -r rss1 hwm1 pss1 np <<<"$(mem_kb "${SPID_OF[$name]}")"
		kill "$gpid" 2>/dev/null
		wait "$gpid" 2>/dev/null
		PIDS=$(echo " $PIDS " | sed "s/ $gpid / /")
		gheld=$(kv held "$OUT/mem-$name.txt"); closed=$(kv closed_by_server "$OUT/mem-$name.txt")
		per_rss=$(awk -v a="$rss0" -v b="$rss1" -v n="$held" 'BEGIN{printf "%.0f", n ? (b - a) * 1024 / n : 0}')
		per_pss=$(awk -v a="$pss0" -v b="$pss1" -v n="$held" 'BEGIN{printf "%.0f", n ? (b - a) * 1024 / n : 0}')
		log "memory: $name: $held connections held by the server (generator: ${gheld:-?} up in ${t_up}s, ${closed:-?} closed by the server meanwhile); VmRSS $rss0 -> $rss1 kB, Pss $pss0 -> $pss1 kB ($np processes): $per_rss B (VmRSS) / $per_pss B (Pss) per connection"
		record mem "$name" "$key" "$IDLE" "$held" "${gheld:-0}" "${closed:-0}" "$rss0" "$rss1" "$pss0" "$pss1" "$per_rss" "$per_pss" "$np" "$t_up"
		stop_pid "${SPID_OF[$name]}"
	done
fi

echo "loadavg_end	$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.tsv"
cleanup

# ---- summary ---------------------------------------------------------------

ELAPSED=$(($(date +%s) - T0))
{
	echo "# TLS benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), ${ELAPSED} s"
	echo
	sed 's/^/    /' "$OUT/machine.tsv"
	echo
	echo "Medians over the repeats (rate: per second achieved; server CPU per 1000; per core: done per server CPU-second)."
	echo
	echo "| key | case | server | rate/s | server CPU-s/1000 | per core-second | full / resumed (all repeats) | failed | REGISTER->200 p50/p99 ms |"
	echo "|---|---|---|---|---|---|---|---|---|"
	awk -F'\t' '$1 == "rate" {
		k = $2 FS $3 FS $4; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
		r[k] = r[k] " " $6; c[k] = c[k] " " $12; p[k] = p[k] " " $13
		fu[k] += $8; re[k] += $9; fa[k] += $10; p50[k] = p50[k] " " $16; p99[k] = p99[k] " " $17 }
	function med(s,   a, m, i, j, t) { m = split(s, a, " ")
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
	END { for (i = 1; i <= n; i++) { k = order[i]; split(k, f, FS)
		printf "| %s | %s | %s | %.0f | %.4f | %.0f | %d / %d | %d | %s |\n", f[1], f[2], f[3],
		    med(r[k]), med(c[k]), med(p[k]), fu[k], re[k], fa[k],
		    (f[2] ~ /^reg/) ? sprintf("%.2f / %.2f", med(p50[k]), med(p99[k])) : "-" } }' "$RES"
	echo
	echo "Ratios of the medians (floor: bench/tls_floor, the bare TLS server):"
	echo
	echo "| key | case | rate centinela / kamailio | per core-second centinela / kamailio | per core-second floor / kamailio | per core-second centinela / floor |"
	echo "|---|---|---|---|---|---|"
	awk -F'\t' '$1 == "rate" { k = $2 FS $3; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
		r[k, $4] = r[k, $4] " " $6; p[k, $4] = p[k, $4] " " $13 }
	function med(s,   a, m, i, j, t) { m = split(s, a, " ")
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
	function ratio(k, x, y,   b) { if (!((k, x) in p) || !((k, y) in p)) return "-"
		b = med(p[k, y]); return (b > 0) ? sprintf("%.2f", med(p[k, x]) / b) : "-" }
	END { for (i = 1; i <= n; i++) { k = order[i]; split(k, f, FS)
		ra = "-"
		if (((k, "centinela") in r) && ((k, "kamailio") in r) && (a = med(r[k, "kamailio"])) > 0)
			ra = sprintf("%.2f", med(r[k, "centinela"]) / a)
		printf "| %s | %s | %s | %s | %s | %s |\n", f[1], f[2], ra,
		    ratio(k, "centinela", "kamailio"), ratio(k, "floor", "kamailio"),
		    ratio(k, "centinela", "floor") } }' "$RES"
	echo
	echo "Memory per idle TLS connection (TLS 1.3, no traffic):"
	echo
	echo "| server | held | VmRSS before -> after kB | Pss before -> after kB | per connection (VmRSS) | per connection (Pss) | closed by the server |"
	echo "|---|---|---|---|---|---|---|"
	awk -F'\t' '$1 == "mem" { printf "| %s | %s | %s -> %s | %s -> %s | %s B | %s B | %s |\n", $2, $5, $8, $9, $10, $11, $12, $13, $7 }' "$RES"
} > "$OUT/summary.md"
cat "$OUT/summary.md"
log "done in ${ELAPSED}s; raw data in $OUT"

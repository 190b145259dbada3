#!/bin/sh
# bench/flood.sh -- issue 4's guard benchmark, in one run:
#
# (a) "banset": bench/banset_bench.c on 5,000,000 random distinct IPv4
#     addresses: load time and memory (one record each; one shared
#     import; the feed path), banset_check() ns per lookup for hits and
#     misses (median of 5 runs of 20,000,000 lookups); target 64 MB for
#     the shared import, < 100 ns per lookup.
# (b) "flood": a SIP flood from many loopback sources next to legitimate
#     SIPp calls, centinela against Kamailio with pike + htable bans,
#     side by side in the same run:
#       - legitimate traffic: SIPp bench/uac.xml (INVITE, 180, 200, ACK,
#         BYE, 200: 6 datagrams per call at the proxy) from 127.0.0.2,
#         a customer trunk to both proxies, at FLOOD_LEGIT_RATE calls/s,
#         through the proxy to the SIPp UAS on 127.0.0.1;
#       - the flood: bench/flood_gen.c, one socket, sendmmsg(), every
#         datagram from its own source address (IP_PKTINFO) among
#         FLOOD_SOURCES addresses of 127/8 (127.(100+REPEAT).0.1 on, so
#         each repeat starts with sources neither proxy has banned),
#         OPTIONS to the proxy itself (answered 200 until the source is
#         banned), as fast as the machine takes them (FLOOD_RATE 0);
#       - centinela: bench/flood_centinela.conf, flood.public rate 50/s
#         burst 100 action ban (5 minutes); Kamailio 5.6:
#         bench/kamailio-pike.cfg, pike 100 requests per 2 s, then the
#         source into htable "ipban" (autoexpire 300 s), dropped at the
#         top of request_route; stateless forward() otherwise; -x tlsf,
#         2 UDP workers, as bench/run.sh runs it.
#     Per proxy and repeat: a baseline (legit calls alone,
#     FLOOD_BASE_SECS), then FLOOD_SECS of legit calls under the flood:
#       ban phase   flood_gen -o grouped -1: groups of FLOOD_GROUP
#                   sources send FLOOD_PER_SOURCE datagrams each (every
#                   source far over both limits), group after group,
#                   until every source had its burst (at most
#                   FLOOD_WARM_MAX s);
#       steady      round robin over all sources, every one banned, to
#                   the end of the window (at least until the last
#                   legitimate call was placed).
#     Measured: legit success % (calls that succeeded / calls SIPp was
#     asked to place); proxy CPU-seconds (utime+stime of all its
#     processes, /proc/PID/stat) per million flood datagrams the proxy
#     dropped in the steady phase, raw and minus the legit traffic's
#     CPU (the baseline's CPU per second x the phase's wall time); the
#     flood rate and its ratio to the legit datagram rate; datagrams
#     answered per source before its ban.
#     Dropped by the proxy: centinela: centinela_drops_total{reason=
#     "banned"} + {reason="flood"} (metrics); Kamailio, which counts no
#     drops: datagrams sent - dropped by the kernel at the proxy's
#     socket (/proc/net/udp "drops") - dropped at the loopback backlog
#     (/proc/net/softnet_stat) - answered (counted by flood_gen). The
#     same accounting is recorded for centinela as a cross-check.
#     Repeats interleaved (repeat 1 of every proxy, then repeat 2...);
#     the summary gives medians, every repeat in brackets, and the
#     ratio centinela / kamailio.
#
# Everything runs on loopback, every load is bounded in count and time,
# and only the processes this script starts are stopped (by their PIDs).
#
# Knobs (environment):
#   FLOOD_PROXIES     proxies, in order              "centinela kamailio"
#   BENCH_REPEATS     repeats of every measurement   3
#   FLOOD_LEGIT_RATE  legitimate calls/s              300
#   FLOOD_BASE_SECS   seconds of the legit-only baseline    5
#   FLOOD_SECS        seconds of legit calls under the flood 15
#   FLOOD_WARM_MAX    the ban phase stops after this many seconds  8
#   FLOOD_SOURCES     flood source addresses           2048
#   FLOOD_GROUP       sources flooding at once in the ban phase  64
#   FLOOD_PER_SOURCE  datagrams per source in the ban phase  400
#   FLOOD_RATE        flood datagrams/s; 0 = as fast as possible  0
#   FLOOD_METHOD      OPTIONS (to the proxy) or INVITE (to sip:1000@proxy)
#   BANSET_N, BANSET_LOOKUPS, BANSET_RUNS   banset_bench -n -l -r
#                     (5000000, 20000000, 5)
#   BENCH_SKIP        parts to skip: "banset", "flood"
#   BENCH_PORT_BASE   ports used: BASE+60.. (below)   36000
#   BENCH_OUT         output directory   build/bench/<date>-<time>-flood
#   BENCH_BUILD       0: do not run make first (use BENCH_BUILD_DIR as is)  1
#   BENCH_BUILD_DIR   where centinela and libcentinela.a are   build
#
# Ports (BASE = BENCH_PORT_BASE): centinela udp BASE+60 (metrics tcp
# BASE+65), kamailio BASE+70, SIPp UAS 127.0.0.1:BASE+80, SIPp UAC
# 127.0.0.2:BASE+90, flood_gen 0.0.0.0:BASE+100, SIPp media and control
# ports BASE+200.. and BASE+300...
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
. bench/lib.sh

PROXIES=${FLOOD_PROXIES:-centinela kamailio}
REPEATS=${BENCH_REPEATS:-3}
LEGIT_RATE=${FLOOD_LEGIT_RATE:-300}
BASE_SECS=${FLOOD_BASE_SECS:-5}
WINDOW=${FLOOD_SECS:-15}
WARM_MAX=${FLOOD_WARM_MAX:-8}
SOURCES=${FLOOD_SOURCES:-2048}
GROUP=${FLOOD_GROUP:-64}
PER_SOURCE=${FLOOD_PER_SOURCE:-400}
FRATE=${FLOOD_RATE:-0}
METHOD=${FLOOD_METHOD:-OPTIONS}
BANSET_N=${BANSET_N:-5000000}
BANSET_LOOKUPS=${BANSET_LOOKUPS:-20000000}
BANSET_RUNS=${BANSET_RUNS:-5}
SKIP=${BENCH_SKIP:-}
BASE=${BENCH_PORT_BASE:-36000}
BUILD_DIR=${BENCH_BUILD_DIR:-build}
OUT=${BENCH_OUT:-build/bench/$(date -u +%Y%m%d-%H%M%S)-flood}

UAS_PORT=$((BASE + 80))
UAC_PORT=$((BASE + 90))
UAC_IP=127.0.0.2
GEN_PORT=$((BASE + 100))
METRICS_PORT=$((BASE + 65))
SIPP_BUF=4194304
T0=$(date +%s)

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
RES="$OUT/results.tsv"
: > "$RES"
LOG_TAG=flood

trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

for v in REPEATS LEGIT_RATE BASE_SECS WINDOW WARM_MAX SOURCES GROUP \
    PER_SOURCE FRATE BANSET_N BANSET_LOOKUPS BANSET_RUNS BASE; do
	case ${!v} in
	'' | *[!0-9]*) die "$v must be a whole number, not '${!v}'" ;;
	esac
done
case $METHOD in OPTIONS | INVITE) ;; *) die "FLOOD_METHOD: OPTIONS or INVITE" ;; esac
[ "$WINDOW" -ge 4 ] || die "FLOOD_SECS must be at least 4"
[ "$SOURCES" -le 60000 ] || die "FLOOD_SOURCES: at most 60000"

# ---- build: the Makefile's flags, without the Makefile --------------

PKGS="libconfig openssl libmicrohttpd sqlite3 libpq pwquality libargon2 \
libmaxminddb libcares libnftables libcurl jansson"
WARN="-Wall -Wextra -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
-Wmissing-declarations -Wshadow -Wpointer-arith -Wcast-qual -Wsign-compare \
-Wno-unused-parameter"
# shellcheck disable=SC2086
CFLAGS_B="-std=c17 -D_GNU_SOURCE -g -O2 $WARN -Isrc -include src/core/poison.h $(pkg-config --cflags $PKGS 2>/dev/null)"
# shellcheck disable=SC2086
LIBS_B="$(pkg-config --libs $PKGS 2>/dev/null) -lpthread -lm"

if [ "${BENCH_BUILD:-1}" = 1 ]; then
	make -j2 --no-print-directory BUILD="$BUILD_DIR" "$BUILD_DIR/centinela" \
	    "$BUILD_DIR/libcentinela.a" >"$OUT/build.log" 2>&1 ||
	    die "build failed, see $OUT/build.log"
fi
{ [ -x "$BUILD_DIR/centinela" ] && [ -f "$BUILD_DIR/libcentinela.a" ]; } ||
    die "no $BUILD_DIR/centinela or $BUILD_DIR/libcentinela.a (make first, or BENCH_BUILD=1)"
mkdir -p "$BUILD_DIR/bench"
# shellcheck disable=SC2086
cc $CFLAGS_B -o "$BUILD_DIR/bench/flood_gen" bench/flood_gen.c \
    >>"$OUT/build.log" 2>&1 || die "bench/flood_gen.c does not build, see $OUT/build.log"
# shellcheck disable=SC2086
cc $CFLAGS_B -o "$BUILD_DIR/bench/banset_bench" bench/banset_bench.c \
    "$BUILD_DIR/libcentinela.a" $LIBS_B >>"$OUT/build.log" 2>&1 ||
    die "bench/banset_bench.c does not build, see $OUT/build.log"
# Private copies: a rebuild by someone else during the run changes
# nothing that is measured.
cp "$BUILD_DIR/centinela" "$BUILD_DIR/bench/flood_gen" \
    "$BUILD_DIR/bench/banset_bench" "$OUT/" ||
    die "cannot copy the binaries into $OUT"
mv "$OUT/centinela" "$OUT/centinela.bin" || die "cannot rename $OUT/centinela"

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
	echo "legit_rate	$LEGIT_RATE"
	echo "base_secs	$BASE_SECS"
	echo "window	$WINDOW"
	echo "sources	$SOURCES"
	echo "group	$GROUP"
	echo "per_source	$PER_SOURCE"
	echo "flood_rate	$FRATE"
	echo "method	$METHOD"
	echo "repeats	$REPEATS"
} > "$OUT/machine.tsv"
tee -a "$OUT/bench.log" < "$OUT/machine.tsv" >&2
ps -eo pid,pcpu,etimes,comm --sort=-pcpu | awk 'NR>1 && $2>5' \
    > "$OUT/busy-at-start.txt"
if [ -s "$OUT/busy-at-start.txt" ]; then
	log "WARNING: other processes are using CPU (see busy-at-start.txt):"
	sed 's/^/    /' "$OUT/busy-at-start.txt" >&2
fi

# ---- (a) the banset --------------------------------------------------

if ! skip banset; then
	log "banset: $BANSET_N addresses, $BANSET_LOOKUPS lookups x $BANSET_RUNS runs"
	"$OUT/banset_bench" -n "$BANSET_N" -l "$BANSET_LOOKUPS" \
	    -r "$BANSET_RUNS" >"$OUT/banset.md" 2>"$OUT/banset.err"
	rc=$?
	cat "$OUT/banset.md" >&2
	[ $rc = 0 ] || log "WARNING: banset_bench exit status $rc (see banset.err)"
fi
skip flood && {
	bash bench/flood_summarize.sh "$OUT" "$(($(date +%s) - T0))" > "$OUT/summary.md"
	cat "$OUT/summary.md"
	exit 0
}

# ---- (b) prerequisites -------------------------------------------------

if ! command -v kamailio >/dev/null || ! command -v sipp >/dev/null; then
	log "installing kamailio / sip-tester"
	sh scripts/deps.sh kamailio sip-tester || die "cannot install kamailio"
fi
KMOD=/usr/lib/x86_64-linux-gnu/kamailio/modules
for m in pike htable; do
	[ -e "$KMOD/$m.so" ] || die "Kamailio module $m.so is missing ($KMOD)"
done
for p in $((BASE + 60)) $((BASE + 70)) $UAS_PORT $UAC_PORT $GEN_PORT; do
	port_free "$p" || die "UDP port $p is in use; set BENCH_PORT_BASE"
done
if ss -Hltn "sport = :$METRICS_PORT" 2>/dev/null | grep -q .; then
	die "TCP port $METRICS_PORT is in use; set BENCH_PORT_BASE"
fi

# ---- proxies -----------------------------------------------------------

declare -A PPID_OF PORT_OF
PORT_OF[centinela]=$((BASE + 60))
PORT_OF[kamailio]=$((BASE + 70))

start_proxy() {
	local name=$1 port=${PORT_OF[$1]} pid
	case $name in
	centinela)
		rm -f "$OUT"/centinela.db*
		sed -e "s/port = 5060;/port = $port;/" \
		    -e "s/port = 5080;/port = $UAS_PORT;/" \
		    -e "s/port = 9060;/port = $METRICS_PORT;/" \
		    -e "s|@STORE@|$OUT/centinela.db|" \
		    bench/flood_centinela.conf > "$OUT/centinela.conf"
		"$OUT/centinela.bin" -t -c "$OUT/centinela.conf" >/dev/null ||
		    die "the centinela config does not load"
		"$OUT/centinela.bin" -f -c "$OUT/centinela.conf" \
		    >"$OUT/centinela.log" 2>&1 &
		pid=$!
		;;
	kamailio)
		mkdir -p "$OUT/kamailio-run"
		kamailio -f bench/kamailio-pike.cfg -DD -E -m 256 -M 8 \
		    -x tlsf -n 2 -A NO_DEFAULT_LISTEN -l "udp:127.0.0.1:$port" \
		    -A "UAS_URI=\"sip:127.0.0.1:$UAS_PORT\"" \
		    -Y "$OUT/kamailio-run" >"$OUT/kamailio.log" 2>&1 &
		pid=$!
		;;
	*) die "unknown proxy $name (centinela, kamailio)" ;;
	esac
	PIDS="$PIDS $pid"
	PPID_OF[$name]=$pid
	sleep 1.5
	kill -0 "$pid" 2>/dev/null || die "$name did not start, see $OUT/$name.log"
	log "$name started, pid $pid, udp 127.0.0.1:$port"
}

CLK_TCK=$(getconf CLK_TCK)

# ---- counters ----------------------------------------------------------

# Datagrams the kernel dropped at the proxy's UDP socket(s) on PORT
# (receive queue full): the last column of /proc/net/udp.
sock_drops() {
	local key
	key=$(printf '0100007F:%04X' "$1")
	awk -v k="$key" '$2 == k { s += $NF } END { print s + 0 }' /proc/net/udp
}

# Datagrams dropped at the per-CPU input backlog (all of loopback).
softnet_drops() {
	local t=0 b
	while read -r _ b _; do
		t=$((t + 0x$b))
	done < /proc/net/softnet_stat
	echo "$t"
}

# centinela_drops_total{reason="banned"} + {reason="flood"}
centinela_drops() {
	curl -s --max-time 3 "http://127.0.0.1:$METRICS_PORT/metrics" |
	    awk '$1 == "centinela_drops_total{reason=\"banned\"}" { b = $2 }
		 $1 == "centinela_drops_total{reason=\"flood\"}" { f = $2 }
		 END { printf "%d\n", b + f }'
}

# sample NAME -> "cpu_ticks sock_drops softnet_drops metric_drops"
sample() {
	local name=$1 m=-
	[ "$name" = centinela ] && m=$(centinela_drops)
	echo "$(cpu_ticks "${PPID_OF[$name]}") $(sock_drops "${PORT_OF[$name]}") $(softnet_drops) $m"
}

# kv FILE KEY: a value from flood_gen's key=value line
kv() {
	tr ' ' '\n' < "$1" | awk -F= -v k="$2" '$1 == k { print $2; exit }'
}

# ---- SIPp ----------------------------------------------------------------

start_uas() {
	(cd "$OUT" && exec sipp -sf "$ROOT/bench/uas.xml" \
	    -i 127.0.0.1 -p "$UAS_PORT" -mp $((BASE + 200)) \
	    -cp $((BASE + 300)) -buff_size $SIPP_BUF -nostdin \
	    -timeout 3600s -trace_stat -stf "$OUT/uas-stat.csv" -fd 10 \
	    >"$OUT/uas.screen" 2>&1) &
	UAS_PID=$!
	PIDS="$PIDS $UAS_PID"
	sleep 1
	kill -0 "$UAS_PID" 2>/dev/null || die "SIPp UAS did not start, see $OUT/uas.screen"
	log "SIPp UAS (bench/uas.xml) pid $UAS_PID on udp 127.0.0.1:$UAS_PORT"
}

# uac_exec DIR PORT COUNT TIMEOUT: the legitimate caller; replaces the
# (sub)shell it runs in, so that its PID is timeout(1)'s. SIPp ends
# when COUNT calls ended or after TIMEOUT seconds; timeout(1) is the
# hard bound should SIPp hang.
uac_exec() {
	local dir=$1 port=$2 count=$3 tmo=$4
	cd "$dir" || exit 1
	exec timeout -k 5 $((tmo + 30)) sipp 127.0.0.1:"$port" \
	    -sf "$ROOT/bench/uac.xml" -i "$UAC_IP" -p "$UAC_PORT" \
	    -mp $((BASE + 220)) -cp $((BASE + 310)) -buff_size $SIPP_BUF \
	    -r "$LEGIT_RATE" -m "$count" -timeout "${tmo}s" \
	    -recv_timeout 5000 -nostdin -trace_stat -stf "$dir/stat.csv" \
	    -fd 1 -trace_err -error_file "$dir/errors.log" \
	    >"$dir/screen.txt" 2>&1
}

# uac DIR PORT COUNT TIMEOUT: the same in the foreground
uac() {
	mkdir -p "$1"
	(uac_exec "$@")
	echo $? > "$1/rc"
}

alive() {
	local n
	kill -0 "$UAS_PID" 2>/dev/null || die "the SIPp UAS has exited (see $OUT/uas.screen)"
	for n in $PROXIES; do
		kill -0 "${PPID_OF[$n]}" 2>/dev/null || die "$n has exited (see $OUT/$n.log)"
	done
}

# ---- one repeat of one proxy ------------------------------------------

# baseline NAME REP -> BASE_CORES, BASE_SUCC
baseline() {
	local name=$1 rep=$2 dir count c0 c1 w0 w1 ok
	dir="$OUT/base/$name-r$rep"
	count=$((LEGIT_RATE * BASE_SECS))
	alive
	w0=$(now_s); c0=$(cpu_ticks "${PPID_OF[$name]}")
	uac "$dir" "${PORT_OF[$name]}" "$count" $((BASE_SECS + 10))
	w1=$(now_s); c1=$(cpu_ticks "${PPID_OF[$name]}")
	read -r _ ok _ <<<"$(stat_summary "$dir/stat.csv" "$count")"
	BASE_SUCC=$(awk -v ok="$ok" -v c="$count" 'BEGIN { printf "%.3f", 100 * ok / c }')
	BASE_CORES=$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" -v w0="$w0" -v w1="$w1" \
	    'BEGIN { printf "%.4f", (w1 > w0) ? d / hz / (w1 - w0) : 0 }')
	log "  $name rep $rep baseline: $ok/$count legit calls ok ($BASE_SUCC %) at $LEGIT_RATE calls/s, proxy $BASE_CORES cores"
}

flood() {
	local name=$1 rep=$2 dir count port srcbase gpid spid
	local s0 s1 s2 w0 w1 w2 remain
	dir="$OUT/flood/$name-r$rep"
	mkdir -p "$dir"
	port=${PORT_OF[$name]}
	srcbase="127.$((100 + rep)).0.1"
	count=$((LEGIT_RATE * WINDOW))
	alive
	s0=$(sample "$name"); w0=$(now_s)
	# ban phase, in the background; the legitimate calls start beside it
	"$OUT/flood_gen" -t "127.0.0.1:$port" -p "$GEN_PORT" -b "$srcbase" \
	    -n "$SOURCES" -d "$WARM_MAX" -o grouped -g "$GROUP" \
	    -k "$PER_SOURCE" -1 -m "$METHOD" -r "$FRATE" -w 200 \
	    >"$dir/gen-ban.txt" 2>"$dir/gen-ban.err" &
	gpid=$!
	PIDS="$PIDS $gpid"
	sleep 0.2
	mkdir -p "$dir/legit"
	(uac_exec "$dir/legit" "$port" "$count" $((WINDOW + 15))) &
	spid=$!
	PIDS="$PIDS $spid"
	wait "$gpid"
	s1=$(sample "$name"); w1=$(now_s)
	# steady phase: to 0.7 s past the last legitimate call
	remain=$(awk -v a="$w0" -v b="$w1" -v win="$WINDOW" 'BEGIN {
	    r = win + 0.7 - (b - a); r = (r == int(r)) ? r : int(r) + 1
	    print (r < 2) ? 2 : r }')
	"$OUT/flood_gen" -t "127.0.0.1:$port" -p "$GEN_PORT" -b "$srcbase" \
	    -n "$SOURCES" -d "$remain" -o rr -m "$METHOD" -r "$FRATE" -w 200 \
	    >"$dir/gen-steady.txt" 2>"$dir/gen-steady.err"
	s2=$(sample "$name"); w2=$(now_s)
	wait "$spid"
	PIDS=$(echo " $PIDS " | sed -e "s/ $gpid / /" -e "s/ $spid / /")
	kill -0 "${PPID_OF[$name]}" 2>/dev/null || die "$name died under the flood"
	{ [ -s "$dir/gen-ban.txt" ] && [ -s "$dir/gen-steady.txt" ]; } ||
	    die "flood_gen failed, see $dir/gen-*.err"

	local ok succ
	read -r _ ok _ <<<"$(stat_summary "$dir/legit/stat.csv" "$count")"
	succ=$(awk -v ok="$ok" -v c="$count" 'BEGIN { printf "%.3f", 100 * ok / c }')

	local c0 k0 m0 c1 k1 n1 m1 c2 k2 n2 m2
	read -r c0 k0 _ m0 <<<"$s0"
	read -r c1 k1 n1 m1 <<<"$s1"
	read -r c2 k2 n2 m2 <<<"$s2"
	local bsent bans bsecs bpass bsrc bcpu bmet
	bsent=$(kv "$dir/gen-ban.txt" sent)
	bans=$(kv "$dir/gen-ban.txt" answered)
	bsecs=$(kv "$dir/gen-ban.txt" elapsed)
	bpass=$(kv "$dir/gen-ban.txt" pass_done)
	bsrc=$(kv "$dir/gen-ban.txt" answered_sources)
	[ "$bpass" = 1 ] || log "  WARNING: the ban phase ended after ${WARM_MAX}s before every source had its burst (raise FLOOD_WARM_MAX or lower FLOOD_SOURCES)"
	bcpu=$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", d / hz }')
	bmet=-
	[ "$m0" != - ] && bmet=$((m1 - m0))
	local ssent sans ssecs spps kdrop ndrop acct met dropped scpu swall
	ssent=$(kv "$dir/gen-steady.txt" sent)
	sans=$(kv "$dir/gen-steady.txt" answered)
	ssecs=$(kv "$dir/gen-steady.txt" elapsed)
	spps=$(kv "$dir/gen-steady.txt" pps)
	kdrop=$((k2 - k1))
	ndrop=$((n2 - n1))
	acct=$((ssent - kdrop - ndrop - sans))
	[ $acct -lt 0 ] && acct=0
	met=-
	dropped=$acct
	if [ "$m1" != - ]; then
		met=$((m2 - m1))
		dropped=$met
		awk -v m="$met" -v a="$acct" 'BEGIN { d = m - a; if (d < 0) d = -d
		    exit !(d > 0.01 * (a > m ? a : m)) }' &&
		    log "  WARNING: centinela's drop metric ($met) and the accounting ($acct) differ by more than 1 %"
	fi
	scpu=$(awk -v d=$((c2 - c1)) -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", d / hz }')
	swall=$(awk -v a="$w1" -v b="$w2" 'BEGIN { printf "%.3f", b - a }')
	local derived
	derived=$(awk -v cpu="$scpu" -v wall="$swall" -v drop="$dropped" \
	    -v bc="$BASE_CORES" -v pps="$spps" -v lr="$LEGIT_RATE" \
	    -v bans="$bans" -v n="$SOURCES" 'BEGIN {
		net = cpu - bc * wall; if (net < 0) net = 0
		printf "%.4f %.4f %.3f %.1f %.0f %.2f",
		    drop ? cpu / drop * 1e6 : 0, drop ? net / drop * 1e6 : 0,
		    wall ? cpu / wall : 0, pps / (6 * lr),
		    wall ? drop / wall : 0, bans / n }')
	local cpm ncpm cores ratio dps aps
	read -r cpm ncpm cores ratio dps aps <<<"$derived"
	log "  $name rep $rep flood: legit $ok/$count ok ($succ %); ban phase ${bsecs}s, $bsent sent, $bans answered ($aps per source, $bsrc sources answered), proxy CPU ${bcpu}s, kernel socket drops $((k1 - k0)); steady ${ssecs}s: $ssent sent = $spps/s (${ratio}x the legit datagram rate), $sans answered, dropped by the proxy $dropped (metric $met, accounting $acct), kernel socket drops $kdrop, backlog drops $ndrop, proxy CPU ${scpu}s = $cores cores = $cpm CPU-s per million dropped ($ncpm without the legit traffic)"
	record flood "$name" "$rep" "$LEGIT_RATE" "$count" "$ok" "$succ" \
	    "$BASE_SUCC" "$BASE_CORES" "$bsent" "$bsecs" "$bans" "$aps" \
	    "$bcpu" "$ssent" "$ssecs" "$spps" "$sans" "$kdrop" "$ndrop" \
	    "$dropped" "$met" "$acct" "$scpu" "$swall" "$cores" "$cpm" \
	    "$ncpm" "$ratio" "$dps" "$bpass" "$bmet" $((k1 - k0))
	sleep 2
}

# ---- the run -----------------------------------------------------------

start_uas
for name in $PROXIES; do
	start_proxy "$name"
done
sleep 1

# Interleaved: repeat 1 of every proxy, then repeat 2, ...
for rep in $(seq 1 "$REPEATS"); do
	for name in $PROXIES; do
		log "$name, repeat $rep (flood sources 127.$((100 + rep)).0.1, $SOURCES of them)"
		baseline "$name" "$rep"
		sleep 1
		flood "$name" "$rep"
	done
done

for name in $PROXIES; do
	read -r rss hwm pss nproc <<<"$(mem_kb "${PPID_OF[$name]}")"
	log "$name memory: VmRSS $rss kB, VmHWM $hwm kB, Pss $pss kB ($nproc processes)"
	record mem "$name" 1 "$rss" "$hwm" "$pss" "$nproc"
done
if [[ " $PROXIES " == *" centinela "* ]]; then
	curl -s --max-time 3 "http://127.0.0.1:$METRICS_PORT/metrics" \
	    > "$OUT/centinela-metrics.txt"
	n=$(awk '$1 == "centinela_banset_entries" { print $2 }' "$OUT/centinela-metrics.txt")
	log "centinela: ${n:-?} banset entries at the end"
fi

echo "loadavg_end	$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.tsv"
ps -eo pid,pcpu,etimes,comm --sort=-pcpu | awk -v ours=" $PIDS $(for n in $PROXIES; do proc_tree "${PPID_OF[$n]}"; done | tr '\n' ' ') " \
    'NR>1 && $2>5 && index(ours, " " $1 " ") == 0' > "$OUT/busy-at-end.txt"
cleanup

ELAPSED=$(($(date +%s) - T0))
bash bench/flood_summarize.sh "$OUT" "$ELAPSED" > "$OUT/summary.md"
cat "$OUT/summary.md"
log "done in ${ELAPSED}s; raw data in $OUT"

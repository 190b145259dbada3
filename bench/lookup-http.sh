#!/bin/sh
# bench/lookup-http.sh -- the numbering lookup service over HTTP
# (issue 5, scope 8): requests/s of GET /numbering/lookup?number=N
# answered by a running centinela from its numbering data, with wrk
# (Debian package) as the client. `make bench-lookup-http` runs it;
# docs/PERFORMANCE.md has the figures and the command.
#
# The numbering data is bench/cid-mkdata.py's made-up CNMC register
# (about 135,000 ranges) plus an own inventory, imported with
# centinelactl into a fresh SQLite store. The numbers asked are the
# calling and called numbers of its calls.csv (distinct, random order),
# cycled by a wrk Lua script, so the answers vary as real queries do.
#
# Everything runs on 127.0.0.1; every load is bounded in time; only the
# processes this script starts are stopped (by their PIDs).
#
# Knobs (environment):
#   LOOKUP_REPEATS   runs of wrk                       5
#   LOOKUP_SECS      seconds per run                   10
#   LOOKUP_CONNS     connections (keep-alive)          16
#   LOOKUP_THREADS   wrk threads                       1
#   LOOKUP_PORT      HTTP port of centinela's admin    36165
#   LOOKUP_OUT       output directory   build/bench/<date>-<time>-lookup
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

REPEATS=${LOOKUP_REPEATS:-5}
SECS=${LOOKUP_SECS:-10}
CONNS=${LOOKUP_CONNS:-16}
THREADS=${LOOKUP_THREADS:-1}
PORT=${LOOKUP_PORT:-36165}
SIP_PORT=$((PORT - 100))
OUT=${LOOKUP_OUT:-build/bench/$(date -u +%Y%m%d-%H%M%S)-lookup}
mkdir -p "$OUT" || exit 1
OUT=$(cd "$OUT" && pwd)

log() { printf '[lookup %s] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$OUT/bench.log" >&2; }
die() { log "FATAL: $*"; exit 1; }

PID=""
cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill "$PID" 2>/dev/null
		sleep 0.5
		kill -0 "$PID" 2>/dev/null && kill -9 "$PID" 2>/dev/null
	fi
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM

if ! command -v wrk >/dev/null; then
	log "installing wrk"
	sh scripts/deps.sh wrk || die "cannot install wrk"
fi
if [ "${LOOKUP_BUILD:-1}" = 1 ]; then
	make -j2 --no-print-directory all >"$OUT/build.log" 2>&1 ||
	    die "build failed, see $OUT/build.log"
fi
cp build/centinela "$OUT/centinela.bin" || die "no build/centinela"

# ---- data -------------------------------------------------------------

python3 bench/cid-mkdata.py "$OUT/data" --calls 50000 >"$OUT/mkdata.log" 2>&1 ||
    die "bench/cid-mkdata.py failed (see mkdata.log)"
cat >"$OUT/centinela.conf" <<EOF
listen = ( { transport = "udp"; address = "127.0.0.1"; port = $SIP_PORT; } );
store = { uri = "sqlite:$OUT/store.db"; poll_interval = 1000; };
log = { format = "human"; level = "warn"; };
metrics = { address = "127.0.0.1"; port = $PORT; };
callerid = { enabled = true; };
EOF
build/centinelactl numbering -c "$OUT/centinela.conf" import-cnmc \
    "$OUT/data/register.txt" >"$OUT/import.log" 2>&1 ||
    die "import-cnmc failed (see import.log)"
build/centinelactl numbering -c "$OUT/centinela.conf" own import \
    "$OUT/data/own.csv" >>"$OUT/import.log" 2>&1 ||
    die "own import failed (see import.log)"
ranges=$(sed -n "s/^register_ranges //p" "$OUT/data/summary.txt")

# The numbers asked: distinct, shuffled, written as a Lua table.
cut -d';' -f1,2 "$OUT/data/calls.csv" | grep -E '^[0-9;]+$' | tr ';' '\n' |
    sort -u | shuf --random-source=/dev/zero >"$OUT/numbers.txt"
nnum=$(wc -l <"$OUT/numbers.txt")
[ "$nnum" -gt 1000 ] || die "too few numbers ($nnum)"
{
	echo 'local n = {'
	sed 's/.*/"&",/' "$OUT/numbers.txt"
	echo '}'
	cat <<'EOF'
local i = 0
request = function()
	i = i % #n + 1
	return wrk.format("GET", "/numbering/lookup?number=%2B34" .. n[i])
end
local bad = 0
response = function(status, headers, body)
	if status ~= 200 or not body:find('"assigned"', 1, true) then
		bad = bad + 1
	end
end
done = function(summary, latency, requests)
	io.write(string.format("RESULT requests=%d errors=%d p50_us=%d p99_us=%d\n",
	    summary.requests, summary.errors.status + summary.errors.connect +
	    summary.errors.read + summary.errors.write + summary.errors.timeout,
	    latency:percentile(50), latency:percentile(99)))
end
EOF
} >"$OUT/lookup.lua"

# ---- centinela ----------------------------------------------------------

"$OUT/centinela.bin" -c "$OUT/centinela.conf" >"$OUT/centinela.log" 2>&1 &
PID=$!
i=0
until curl -s --max-time 1 "http://127.0.0.1:$PORT/numbering/lookup?number=%2B34911234567" \
    2>/dev/null | grep -q '"assigned"'; do
	i=$((i + 1))
	[ $i -lt 100 ] || die "centinela does not answer lookups (see centinela.log)"
	kill -0 "$PID" 2>/dev/null || die "centinela exited (see centinela.log)"
	sleep 0.2
done
curl -s "http://127.0.0.1:$PORT/numbering/lookup?number=%2B34$(head -n 1 "$OUT/numbers.txt")" \
    >"$OUT/sample.json"
log "centinela up: $ranges ranges; $nnum distinct numbers asked; sample: $(cat "$OUT/sample.json")"

# ---- runs ---------------------------------------------------------------

: >"$OUT/results.tsv"
r=1
while [ $r -le "$REPEATS" ]; do
	t0=$(awk '{print $14 + $15}' "/proc/$PID/stat")
	timeout $((SECS + 30)) wrk -t "$THREADS" -c "$CONNS" -d "${SECS}s" \
	    -s "$OUT/lookup.lua" "http://127.0.0.1:$PORT" >"$OUT/wrk-$r.txt" 2>&1 ||
	    die "wrk failed (see wrk-$r.txt)"
	t1=$(awk '{print $14 + $15}' "/proc/$PID/stat")
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$OUT/wrk-$r.txt")
	res=$(grep '^RESULT' "$OUT/wrk-$r.txt")
	req=$(echo "$res" | sed 's/.*requests=\([0-9]*\).*/\1/')
	err=$(echo "$res" | sed 's/.*errors=\([0-9]*\).*/\1/')
	p50=$(echo "$res" | sed 's/.*p50_us=\([0-9]*\).*/\1/')
	p99=$(echo "$res" | sed 's/.*p99_us=\([0-9]*\).*/\1/')
	tck=$(getconf CLK_TCK)
	cpu_us=$(awk -v d=$((t1 - t0)) -v t="$tck" -v n="$req" \
	    'BEGIN { printf "%.1f", n ? d / t * 1e6 / n : 0 }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$rps" "$req" "$err" "$p50" \
	    "$p99" "$cpu_us" >>"$OUT/results.tsv"
	log "run $r: $rps req/s, $err errors, p50 ${p50} us, p99 ${p99} us, centinela CPU ${cpu_us} us/request"
	[ "$err" = 0 ] || die "run $r: $err errors"
	r=$((r + 1))
done

med() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
{
	echo "ranges	$ranges"
	echo "numbers	$nnum"
	echo "connections	$CONNS"
	echo "median_req_per_s	$(cut -f2 "$OUT/results.tsv" | med)"
	echo "median_p50_us	$(cut -f5 "$OUT/results.tsv" | med)"
	echo "median_p99_us	$(cut -f6 "$OUT/results.tsv" | med)"
	echo "median_cpu_us_per_request	$(cut -f7 "$OUT/results.tsv" | med)"
	echo "loadavg_end	$(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/summary.tsv"
log "results in $OUT"

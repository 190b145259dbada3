#!/bin/sh
# bench/summarize.sh DIR [ELAPSED_S] -- the Markdown summary of one
# bench/run.sh output directory (DIR/results.tsv, DIR/machine.tsv):
# medians over the repeats, every repeat in brackets, and the ratio of
# centinela to each other proxy. bench/run.sh calls it at the end; run it
# by hand to re-read an old directory.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u
DIR=${1:?usage: summarize.sh DIR [ELAPSED_S]}
ELAPSED=${2:-}
RES="$DIR/results.tsv"
[ -s "$RES" ] || { echo "no results in $DIR" >&2; exit 1; }

. "$(dirname "$0")/table.sh"

echo "## bench/run.sh results, $(field date_utc)"
echo
echo "- machine: $(field nproc) CPUs, $(field cpu), $(field kernel); pinning: $(field pin)"
echo "- centinela $(field centinela) (binary sha256 $(field binary_sha256)…; $(field src_uncommitted)); $(field kamailio); $(field sipp)"
echo "- load average at start: $(field loadavg_start); at end: $(field loadavg_end)"
[ -n "$ELAPSED" ] && echo "- wall time of the whole run: ${ELAPSED} s"
MODE=$(field mode)
call="call"
r200="INVITE->200"
if [ "$MODE" = auth ]; then
	call="authenticated call"
	r200="first INVITE->200 of the authenticated INVITE (407 round trip included)"
	echo "- **authenticated calls** (BENCH_AUTH=1): phones on 127.0.0.2 (public) with $(field auth_accounts) accounts, MD5 digest: INVITE, 407, ACK, INVITE with Proxy-Authorization, 200, ACK, BYE; centinela bench/centinela-auth.conf, Kamailio bench/kamailio-registrar.cfg (auth_db on db_sqlite)"
fi
if [ -s "$DIR/busy-at-start.txt" ]; then
	echo "- WARNING: other processes used CPU at the start:" \
	    "$(awk '{printf "%s%s (%s%%)", (NR > 1) ? ", " : "", $4, $2}' "$DIR/busy-at-start.txt")"
fi
echo

proxies=$(awk -F'\t' '{print $2}' "$RES" | awk '!seen[$0]++' | tr '\n' ' ')

# A fixed-rate run with failed calls measured something else (it is
# listed below the table), so it is left out of the medians.
MED_SKIP='$1 == "fixed" && $6 < 0.999 * $7'
table_header "$proxies"

row() {
	local label=$1 kind=$2 f=$3 line p v
	line="| $label |"
	declare -A val
	for p in $proxies; do
		v=$(med "$kind" "$f" "$p")
		val[$p]=$v
		line="$line $v |"
	done
	for o in $others; do
		line="$line $(ratio "${val[centinela]:--}" "${val[$o]:--}") |"
	done
	echo "$line"
}

fixed_rate=$(awk -F'\t' '$1 == "fixed" { print $4; exit }' "$RES")
row "max sustained ${call} rate at >= 99.9 % success, offered calls/s" max 4
row "calls/s SIPp achieved at that rate (stat file)" max 5
row "proxy CPU-seconds per 1000 ${call}s at ${fixed_rate:-?} calls/s" fixed 9
row "proxy CPU-seconds during the fixed-rate run" fixed 8
row "successful ${call}s in the fixed-rate run" fixed 6
row "${r200} p50, ms, at ${fixed_rate:-?} calls/s (SIPp -trace_rtt; its times come in 4 ms steps on the bench VM)" fixed 10
row "${r200} p99, ms, at ${fixed_rate:-?} calls/s" fixed 11
row "${r200} max, ms, at ${fixed_rate:-?} calls/s" fixed 12
row "SIPp UAC CPU-seconds during the fixed-rate run" fixed 13
row "SIPp UAS CPU-seconds during the fixed-rate run" fixed 14
row "OPTIONS round trip through the loaded proxy (bench/rtt_probe.py, one every 5 ms), p50, us" fixed 15
row "OPTIONS round trip through the loaded proxy, p99, us" fixed 16
row "OPTIONS answered locally, per second (closed loop)" options 4
row "proxy CPU-seconds per 1000 OPTIONS" options 8
row "OPTIONS p50 / p99 response, ms: p50" options 9
row "OPTIONS p99, ms" options 10
row "VmRSS at the end, kB (sum over processes)" mem 4
row "VmHWM at the end, kB (sum over processes)" mem 5
row "Pss at the end, kB (shared pages split)" mem 6
row "processes" mem 7
echo

# The project's target: >= 1.5x Kamailio's calls/s at <= half its
# CPU-seconds per call. The issue names the stateless "kamailio"; the
# stateful kamailio-tm is shown the same way when it was measured.
if echo " $proxies " | grep -q ' centinela '; then
	for o in $others; do
		case $o in kamailio | kamailio-tm) ;; *) continue ;; esac
		rr=$(ratio "$(med max 4 centinela)" "$(med max 4 "$o")")
		cr=$(ratio "$(med fixed 9 centinela)" "$(med fixed 9 "$o")")
		echo "Target vs $o (centinela >= 1.5 x its calls/s at <= 0.5 x its CPU-s per call):" \
		    "calls/s ratio $rr ($(awk -v r="$rr" 'BEGIN{print (r != "-" && r >= 1.5) ? "met" : "NOT met"}'))," \
		    "CPU-s per call ratio $cr ($(awk -v r="$cr" 'BEGIN{print (r != "-" && r <= 0.5) ? "met" : "NOT met"}'))."
		echo
	done
fi

bad=$(awk -F'\t' '$1 == "fixed" && $6 < 0.999 * $7 { printf "%s rep %s (%s of %s calls ok); ", $2, $3, $6, $7 }' "$RES")
if [ -n "$bad" ]; then
	echo "Left out of the fixed-rate rows (calls failed, so CPU and latency are not comparable): $bad"
	echo
fi

grep -q '^search' "$RES" || exit 0
echo "Search steps (offered cps -> created cps, success %, cores used by proxy/UAS/UAC: CPU-seconds per wall second over the step, SIPp start and drain included; proxy CPU-seconds per 1000 successful calls of the step):"
echo
echo '```'
awk -F'\t' '$1 == "search" { printf "%-12s rep %s  %6s -> %8s  %7s %%  %s%s%s\n", $2, $3, $4, $5, $6, ($7 == 1) ? "pass" : "FAIL", ($8 != "") ? "  cores " $8 : "", ($9 != "") ? "  CPU-s/1000 " $9 : "" }' "$RES"
echo '```'

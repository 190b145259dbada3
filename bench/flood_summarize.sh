#!/bin/sh
# bench/flood_summarize.sh DIR [ELAPSED_S] -- the Markdown summary of one
# bench/flood.sh output directory (DIR/results.tsv, DIR/machine.tsv,
# DIR/banset.md): medians over the repeats, every repeat in brackets,
# the ratio centinela / kamailio, and the verdict against issue 4's
# targets. bench/flood.sh calls it at the end; run it by hand to re-read
# an old directory.
#
# results.tsv, one "flood" line per proxy and repeat (tab-separated):
#  1 flood  2 proxy  3 repeat  4 legit calls/s  5 legit calls asked
#  6 legit calls ok  7 legit success %  8 baseline success %
#  9 baseline proxy cores  10 ban phase: sent  11 ban phase: seconds
# 12 ban phase: answered  13 answered per source  14 ban phase: proxy
# CPU-s  15 steady: sent  16 steady: seconds  17 steady: sent/s
# 18 steady: answered  19 steady: kernel drops at the proxy socket
# 20 steady: backlog drops  21 steady: dropped by the proxy (the figure
# used)  22 the same by centinela's metric (- for Kamailio)  23 the same
# by accounting (sent - 19 - 20 - 18)  24 steady: proxy CPU-s
# 25 steady: wall s  26 steady: proxy cores  27 CPU-s per million
# dropped  28 the same minus the legit traffic's CPU  29 flood / legit
# datagram rate  30 dropped per second  31 ban pass complete (1/0)
# 32 ban phase: dropped by centinela's metric  33 ban phase: kernel
# drops at the proxy socket.
# "mem" lines: 1 mem 2 proxy 3 1 4 VmRSS kB 5 VmHWM kB 6 Pss kB
# 7 processes.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u
DIR=${1:?usage: flood_summarize.sh DIR [ELAPSED_S]}
ELAPSED=${2:-}
RES="$DIR/results.tsv"

. "$(dirname "$0")/table.sh"

echo "## bench/flood.sh results, $(field date_utc)"
echo
echo "- machine: $(field nproc) CPUs, $(field cpu), $(field kernel)"
echo "- centinela $(field centinela) (binary sha256 $(field binary_sha256)…; $(field src_uncommitted)); $(field kamailio); $(field sipp)"
echo "- load average at start: $(field loadavg_start); at end: $(field loadavg_end)"
[ -n "$ELAPSED" ] && echo "- wall time of the whole run: ${ELAPSED} s"
if [ -s "$DIR/busy-at-start.txt" ]; then
	echo "- WARNING: other processes used CPU at the start:" \
	    "$(awk '{printf "%s%s (%s%%)", (NR > 1) ? ", " : "", $4, $2}' "$DIR/busy-at-start.txt")"
fi
if [ -s "$DIR/busy-at-end.txt" ]; then
	echo "- WARNING: other processes used CPU at the end:" \
	    "$(awk '{printf "%s%s (%s%%)", (NR > 1) ? ", " : "", $4, $2}' "$DIR/busy-at-end.txt")"
fi
echo

if [ -s "$DIR/banset.md" ]; then
	echo "### (a) banset (bench/banset_bench.c)"
	echo
	cat "$DIR/banset.md"
	echo
fi

[ -s "$RES" ] && grep -q '^flood' "$RES" || exit 0

fr=$(field flood_rate)
[ "$fr" = 0 ] && fr="as fast as flood_gen can send"
echo "### (b) flood with legitimate calls beside it"
echo
echo "- legitimate: $(field legit_rate) calls/s (SIPp bench/uac.xml from 127.0.0.2, a customer trunk; 6 datagrams per call at the proxy) for $(field window) s under the flood; baseline $(field base_secs) s without it"
echo "- flood: $(field method) from $(field sources) source addresses of 127/8 (new ones each repeat), $fr; ban phase: groups of $(field group) sources, $(field per_source) datagrams each; then round robin over all"
echo "- centinela: flood.public rate 50/s burst 100 action ban (bench/flood_centinela.conf); Kamailio: pike 100 requests per 2 s + htable ipban, dropped at the top of request_route (bench/kamailio-pike.cfg), -x tlsf, 2 UDP workers"
echo

proxies=$(awk -F'\t' '$1 == "flood" {print $2}' "$RES" | awk '!seen[$0]++' | tr '\n' ' ')

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
	if [[ " $proxies " == *" centinela "* ]]; then
		for o in $others; do
			line="$line $(ratio "${val[centinela]:--}" "${val[$o]:--}") |"
		done
	fi
	echo "$line"
}

row "**legitimate calls successful under the flood, %**" flood 7
row "legitimate calls successful without the flood (baseline), %" flood 8
row "flood datagrams sent per second, steady phase" flood 17
row "flood rate / legitimate datagram rate (6 per call), x" flood 29
row "flood datagrams dropped by the proxy per second, steady phase" flood 30
row "**proxy CPU-seconds per million dropped datagrams**, steady phase" flood 27
row "the same minus the legitimate calls' CPU (baseline cores x wall time)" flood 28
row "proxy cores used, steady phase (flood + legitimate calls)" flood 26
row "proxy cores used by the legitimate calls alone (baseline)" flood 9
row "datagrams the kernel dropped at the proxy's socket, steady phase (not counted as dropped by the proxy)" flood 19
row "flood datagrams answered, steady phase" flood 18
row "ban phase: flood datagrams answered per source before its ban" flood 13
row "ban phase: seconds" flood 11
row "ban phase: datagrams sent" flood 10
row "ban phase: proxy CPU-seconds" flood 14
row "ban phase: datagrams the kernel dropped at the proxy's socket" flood 33
row "VmRSS at the end, kB (sum over processes)" mem 4
row "Pss at the end, kB" mem 6
echo

if [[ " $proxies " == *" centinela "* ]]; then
	echo "centinela's drops, steady phase, by its metric (used above) and by the accounting used for Kamailio (sent - kernel socket drops - backlog drops - answered): $(med flood 22 centinela) vs $(med flood 23 centinela)."
	echo
	succ=$(num "$(med flood 7 centinela)")
	fx=$(num "$(med flood 29 centinela)")
	for o in $others; do
		cr=$(ratio "$(med flood 27 centinela)" "$(med flood 27 "$o")")
		echo "Target vs $o (issue 4: legitimate success >= 99.9 % under a flood >= 10x the legitimate rate; <= 1/3 of its CPU per dropped datagram):" \
		    "centinela legitimate success $succ % at ${fx}x ($(awk -v s="$succ" -v x="$fx" 'BEGIN{print (s != "-" && x != "-" && s >= 99.9 && x >= 10) ? "met" : "NOT met"}'))," \
		    "CPU per dropped datagram ratio $cr ($(awk -v r="$cr" 'BEGIN{print (r != "-" && r <= 1 / 3) ? "met" : "NOT met"}'))."
		echo
	done
fi

inc=$(awk -F'\t' '$1 == "flood" && $31 != 1 { printf "%s rep %s; ", $2, $3 }' "$RES")
if [ -n "$inc" ]; then
	echo "The ban phase ended before every source had its burst in: $inc(sources not yet banned then flooded the steady phase too)."
	echo
fi

echo "Every repeat (legit success %; steady: sent/s, dropped, proxy CPU-s, CPU-s per million dropped, raw / minus legit; ban phase: s, answered per source):"
echo
echo '```'
awk -F'\t' '$1 == "flood" { printf "%-10s rep %s  legit %7s %%  steady %8s/s  dropped %9s  CPU %6ss  %8s / %8s per M  ban %6ss  %6s answered/source\n", $2, $3, $7, $17, $21, $24, $27, $28, $11, $13 }' "$RES"
echo '```'

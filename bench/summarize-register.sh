#!/bin/sh
# bench/summarize-register.sh DIR [ELAPSED_S] -- the Markdown summary of
# one bench/register.sh output directory (DIR/results.tsv,
# DIR/machine.tsv): medians over the repeats with every repeat in
# brackets. bench/register.sh calls it at the end; run it by hand to
# re-read an old directory.
#
# results.tsv lines (tab-separated):
#   rate NAME REP RATE ACHIEVED SUCC% PASS P50 P99 MAX P99_401 CPU/1000 CORES UAC_CORES OK COUNT
#        PROBE_OK PROBE_COUNT PROBE_P50 PROBE_P99 PROBE_MAX
#   alg centinela REP ALG RATE ACHIEVED OK COUNT P50 P99 MAX CPU/1000 DRIVER_CPU
#   max NAME REP RATE
#   ratesmem NAME 1 RSS HWM PSS NPROC CONTACTS
#   mem NAME 1 TOTAL OK1 CONTACTS STORED RSS0 RSS1 RSS2 PSS0 PSS1 PSS2 B/CONTACT_RSS B/CONTACT_PSS OK2 HWM1
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u
DIR=${1:?usage: summarize-register.sh DIR [ELAPSED_S]}
ELAPSED=${2:-}
RES="$DIR/results.tsv"
[ -s "$RES" ] || { echo "no results in $DIR" >&2; exit 1; }

. "$(dirname "$0")/table.sh"

echo "## bench/register.sh results, $(field date_utc)"
echo
echo "- machine: $(field nproc) CPUs, $(field cpu), $(field kernel)"
echo "- centinela $(field centinela) (binary sha256 $(field binary_sha256)…; $(field src_uncommitted)); $(field kamailio); $(field sipp)"
echo "- $(field accounts) accounts, MD5 digest, $(field step_secs) s per rate step, probe $(field probe_rate) registrations/s; pass = >= 99.9 % success, p99 < $(field p99_ms) ms (SIPp and probe) and >= 95 % of the offered rate created"
echo "- load average at start: $(field loadavg_start); at end: $(field loadavg_end)"
[ -n "$ELAPSED" ] && echo "- wall time of the whole run: ${ELAPSED} s"
if [ -s "$DIR/busy-at-start.txt" ]; then
	echo "- WARNING: other processes used CPU at the start:" \
	    "$(awk '{printf "%s%s (%s%%)", (NR > 1) ? ", " : "", $4, $2}' "$DIR/busy-at-start.txt")"
fi
echo


rproxies=$(awk -F'\t' '$1 == "rate" {print $2}' "$RES" | awk '!seen[$0]++' | tr '\n' ' ')

if [ -n "$rproxies" ]; then
	echo "### REGISTER with digest: max sustained rate"
	echo
	echo "| | $(for p in $rproxies; do printf '%s | ' "$p"; done)"
	echo "|---|$(for p in $rproxies; do printf -- '---|'; done)"
	line="| max registrations/s at >= 99.9 % success, p99 < $(field p99_ms) ms (median [repeats]) |"
	for p in $rproxies; do line="$line $(med_where "\$1 == \"max\" && \$2 == \"$p\"" 4) |"; done
	echo "$line"
	echo
	echo "### Per rate (medians over the repeats that reached the rate; n = repeats)"
	echo
	echo "success % (SIPp) / p99 of the authenticated REGISTER -> 200, ms, by SIPp (4 ms steps) and by the probe (bench/regload.py, microseconds) / server CPU-seconds per 1000 registrations / steps passed"
	echo
	hdr="| offered /s |"; sep="|---|"
	for p in $rproxies; do hdr="$hdr $p success % | $p p99 SIPp | $p p99 probe | $p CPU-s/1000 | $p passed |"; sep="$sep---|---|---|---|---|"; done
	echo "$hdr"
	echo "$sep"
	for r in $(awk -F'\t' '$1 == "rate" {print $4}' "$RES" | sort -n -u); do
		line="| $r |"
		for p in $rproxies; do
			f="\$1 == \"rate\" && \$2 == \"$p\" && \$4 == \"$r\""
			np=$(awk -F'\t' "$f"' { n++; s += $7 } END { if (n) printf "%d/%d", s, n; else print "-" }' "$RES")
			line="$line $(med_where "$f" 6 | cut -d' ' -f1) | $(med_where "$f" 9 | cut -d' ' -f1) | $(med_where "$f" 20 | cut -d' ' -f1) | $(med_where "$f" 12 | cut -d' ' -f1) | $np |"
		done
		echo "$line"
	done
	echo
	echo "Every step (offered -> created/s, success %, SIPp: auth'd REGISTER->200 p50/p99/max ms and REGISTER->401 p99; probe: ok/sent, REGISTER->200 p50/p99/max ms; server CPU-s per 1000; cores used by the server / the SIPp UAC):"
	echo
	echo '```'
	awk -F'\t' '$1 == "rate" { printf "%-12s rep %s %6s -> %8s  %7s %%  %s  sipp %s/%s/%s 401-p99 %s  probe %s/%s %s/%s/%s  CPU-s/1000 %s  cores %s/%s\n", $2, $3, $4, $5, $6, ($7 == 1) ? "pass" : "FAIL", $8, $9, $10, $11, $17, $18, $19, $20, $21, $12, $13, $14 }' "$RES"
	echo '```'
	echo
	if grep -q '^ratesmem' "$RES"; then
		echo "Memory after the rate runs (kB): $(awk -F'\t' '$1 == "ratesmem" { printf "%s%s VmRSS %s, VmHWM %s, Pss %s (%s processes, %s contacts held)", (n++ ? "; " : ""), $2, $4, $5, $6, $7, $8 }' "$RES")"
		echo
	fi
fi

if grep -q '^alg' "$RES"; then
	echo "### centinela: SHA-256 against MD5 (bench/regload.py, same instance offering both)"
	echo
	echo "| answered with | registrations ok | started/s | REGISTER->200 p50, ms | p99, ms | max, ms | centinela CPU-s per 1000 |"
	echo "|---|---|---|---|---|---|---|"
	for a in MD5 SHA-256; do
		f="\$1 == \"alg\" && \$4 == \"$a\""
		awk -F'\t' -v a="$a" '$1 == "alg" && $4 == a { f = 1 } END { exit !f }' "$RES" || continue
		echo "| $a ($(awk -F'\t' "$f"' { print $5; exit }' "$RES")/s offered) | $(awk -F'\t' "$f"' { o = o (n++ ? " " : "") $7 "/" $8 } END { print o }' "$RES") | $(med_where "$f" 6) | $(med_where "$f" 9) | $(med_where "$f" 10) | $(med_where "$f" 11) | $(med_where "$f" 12) |"
	done
	echo
fi

if grep -q '^mem' "$RES"; then
	echo "### Memory per registered contact"
	echo
	echo "| | $(awk -F'\t' '$1 == "mem" { printf "%s | ", $2 }' "$RES")"
	echo "|---|$(awk -F'\t' '$1 == "mem" { printf "---|" }' "$RES")"
	row() { echo "| $1 | $(awk -F'\t' -v f="$2" '$1 == "mem" { printf "%s | ", $f }' "$RES")"; }
	row "registrations sent (distinct contacts)" 4
	row "successful" 5
	row "contacts the server holds after them" 6
	row "bindings in centinela's store" 7
	row "VmRSS before, kB" 8
	row "VmRSS after, kB" 9
	row "VmHWM after, kB" 17
	row "VmRSS after refreshing every contact once more, kB" 10
	row "Pss before, kB" 11
	row "Pss after, kB" 12
	row "**VmRSS growth per contact, bytes** (target <= 1024)" 14
	row "Pss growth per contact, bytes" 15
	echo
fi

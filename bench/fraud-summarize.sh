#!/bin/sh
# bench/fraud-summarize.sh DIR [ELAPSED_S] -- the Markdown summary of one
# bench/fraud-calls.sh output directory (DIR/results.tsv,
# DIR/machine.tsv): medians over the repeats per mode (fraud rules off /
# on), every repeat in brackets, the on/off ratios, the memory per
# tracked account, and the verdicts on the targets (the rules cost < 10 %
# of call throughput; < 2 KB per tracked account with the default
# rules). bench/fraud-calls.sh calls it at the end; run it by hand to
# re-read an old directory.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u
DIR=${1:?usage: fraud-summarize.sh DIR [ELAPSED_S]}
ELAPSED=${2:-}
RES="$DIR/results.tsv"
[ -s "$RES" ] || { echo "no results in $DIR" >&2; exit 1; }

. "$(dirname "$0")/table.sh"

echo "## bench/fraud-calls.sh results, $(field date_utc)"
echo
echo "- machine: $(field nproc) CPUs, $(field cpu), $(field kernel)"
echo "- centinela $(field centinela) (binary sha256 $(field binary_sha256)…; $(field src_uncommitted)); $(field sipp)"
echo "- store: $(field mem_accounts) digest accounts (every mode); the accounts caller uses the first $(field accounts)"
echo "- load average at start: $(field loadavg_start); at end: $(field loadavg_end)"
[ -n "$ELAPSED" ] && echo "- wall time of the whole run: ${ELAPSED} s"
if [ -s "$DIR/busy-at-start.txt" ]; then
	echo "- WARNING: other processes used CPU at the start:" \
	    "$(awk '{printf "%s%s (%s%%)", (NR > 1) ? ", " : "", $4, $2}' "$DIR/busy-at-start.txt")"
fi
echo

# A fixed-rate run with failed calls measured something else: left out.
MED_SKIP='($1 == "fixed" || $1 == "acc") && $6 < 0.999 * $7'
fixed_rate=$(awk -F'\t' '$1 == "fixed" { print $4; exit }' "$RES")
acc_rate=$(awk -F'\t' '$1 == "acc" { print $4; exit }' "$RES")

row() {
	local label=$1 kind=$2 f=$3 off on
	off=$(med "$kind" "$f" off)
	on=$(med "$kind" "$f" on)
	[ "$off" = - ] && [ "$on" = - ] && return
	echo "| $label | $off | $on | $(ratio "$on" "$off") |"
}

# Paired: the on/off ratio of each repeat of a fixed-rate run of KIND
# (the two runs of a repeat are adjacent in time), raw or normalised by
# the SIPp UAS's CPU in the same run; "median [r1 r2 ...]".
paired() {
	awk -F'\t' -v kind="$1" -v norm="$2" '
	    $1 == kind && $6 >= 0.999 * $7 && $9 > 0 && $14 > 0 {
		v = norm ? $8 / $14 : $9
		if ($2 == "on") on[$3] = v; else if ($2 == "off") off[$3] = v
		if ($3 + 0 > max) max = $3 + 0 }
	    END {
		for (r = 1; r <= max; r++) if ((r in on) && (r in off) && off[r] > 0) {
			x[++n] = on[r] / off[r]; raw = raw (n > 1 ? " " : "") sprintf("%.3f", x[n]) }
		if (!n) { print "-"; exit }
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
		m = (n % 2) ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
		printf "%.3f [%s]\n", m, raw }' "$RES"
}
cost() { awk -v r="$(num "$1")" -v s="$2" 'BEGIN { if (r == "-") print "-"; else { v = s * (r - 1) * 100; if (v == 0) v = 0; printf "%+.1f %%", v } }'; }
verdict() { awk -v r="$(num "$1")" -v lo="$2" 'BEGIN{print (r == "-") ? "not measured" : ((lo && r >= 0.90) || (!lo && r <= 1.10)) ? "met" : "NOT met"}'; }

if grep -q '^fixed\|^max' "$RES"; then
	echo "### Calls from a customer trunk (subject \"acme\", no digest): the main figure"
	echo
	echo "| measurement (median [repeats]) | rules off | rules on | on/off |"
	echo "|---|---|---|---|"
	row "max sustained call rate at >= 99.9 % success, offered calls/s" max 4
	row "calls/s SIPp achieved at that rate (stat file)" max 5
	row "centinela CPU-seconds per 1000 calls at ${fixed_rate:-?} calls/s" fixed 9
	row "centinela CPU-seconds during the fixed-rate run" fixed 8
	row "successful calls in the fixed-rate run" fixed 6
	row "INVITE->200 p50, ms, at ${fixed_rate:-?} calls/s" fixed 10
	row "INVITE->200 p99, ms, at ${fixed_rate:-?} calls/s" fixed 11
	row "SIPp UAC CPU-seconds during the fixed-rate run" fixed 13
	row "SIPp UAS CPU-seconds during the fixed-rate run" fixed 14
	row "centinela VmRSS after the fixed-rate runs, kB" mem 4
	pr=$(paired fixed 0)
	pn=$(paired fixed 1)
	echo "| on/off of the CPU per 1000 calls, paired: the two adjacent runs of each repeat, median [repeats] | | | $pr |"
	echo "| the same pairs, each run's centinela CPU divided by the SIPp UAS's CPU in that run | | | $pn |"
	echo
	rr=$(ratio "$(med max 4 on)" "$(med max 4 off)")
	echo "Target (the fraud rules cost < 10 % of call throughput), trunk:" \
	    "CPU per call on/off, median of the pairs $(num "$pr") (cost $(cost "$pr" 1): $(verdict "$pr" 0));" \
	    "normalised by the UAS $(num "$pn") (cost $(cost "$pn" 1): $(verdict "$pn" 0));" \
	    "max rate on/off $rr (cost $(cost "$rr" -1): $(verdict "$rr" 1); the max rate of this shared machine varies a lot between repeats, see the steps)."
	echo
fi

perf=$(awk -F'\t' '$1 == "perf" { printf "%s %% of the \"on\" centinela'"'"'s CPU samples (%s samples, one more fixed-rate run from the trunk, after the others) were in the fraud code (%s functions of src/fraud/{fraud,fraud_eval,fraud_rules,fraud_subject,fraudrt,dialog,dest,window,tzoff}.c and src/guard/fraud.c, self time; perf-on-fraud.txt lists them), and %s %% in the helpers only the rules call on this load (%s functions of src/callerid/number.c, the called number, and src/core/siphash.c, the dialog keys; perf-on-helpers.txt)", $4, $6, $5, $7, $8; exit }' "$RES")
if [ -n "$perf" ]; then
	echo "perf (BENCH_PERF=1): $perf."
	echo
fi

if grep -q '^acc' "$RES"; then
	echo "### Calls from $(field accounts) accounts with digest (each account a subject)"
	echo
	echo "| measurement (median [repeats]) | rules off | rules on | on/off |"
	echo "|---|---|---|---|"
	row "centinela CPU-seconds per 1000 calls at ${acc_rate:-?} calls/s" acc 9
	row "centinela CPU-seconds during the fixed-rate run" acc 8
	row "successful calls in the fixed-rate run" acc 6
	row "INVITE->200 p50, ms (from the first INVITE), at ${acc_rate:-?} calls/s" acc 10
	row "INVITE->200 p99, ms, at ${acc_rate:-?} calls/s" acc 11
	row "SIPp UAS CPU-seconds during the fixed-rate run" acc 14
	ar=$(paired acc 0)
	an=$(paired acc 1)
	echo "| on/off of the CPU per 1000 calls, paired, median [repeats] | | | $ar |"
	echo "| the same pairs, normalised by the SIPp UAS's CPU | | | $an |"
	echo
	echo "Accounts (digest on every call, so the rules' share is diluted):" \
	    "CPU per call on/off $(num "$ar") (cost $(cost "$ar" 1)); normalised $(num "$an") (cost $(cost "$an" 1))."
	echo
fi

if grep -q '^check' "$RES"; then
	echo "Fraud metrics of each daemon when it stopped: decisions pass, reject, cap, suspend; rule hits; subjects; dialogs started, ended by BYE, open; calls active; dialogs refused, table full (the two probes account for 1 pass, 1 reject and 1 rule hit in \"on\"; \"-\": no fraud engine):"
	echo
	echo '```'
	awk -F'\t' '$1 == "check" { printf "%-4s %-18s", $2, $3; for (i = 4; i <= NF; i++) printf " %s", $i; printf "\n" }' "$RES"
	echo '```'
	echo
fi

if grep -q '^memacc' "$RES"; then
	echo "### Memory per tracked account"
	echo
	echo "Each of the accounts placed one call (digest), one fresh daemon per mode."
	echo
	# memacc MODE accounts ok rss0 rss1 rss2 pss0 pss1 pss2 fb0 fb1
	#        subjects subject_bytes persisted evictions secs hwm1 pass reject
	#   $2   $3       $4 $5   $6   $7   $8   $9   $10  $11 $12
	#        $13      $14           $15       $16       $17  $18  $19  $20
	echo "| mode | calls ok | s | calls/s | VmRSS before, kB | after the calls | after the subjects were stored | Pss before / after, kB | fraud subjects | centinela_fraud_bytes before / after | centinela_fraud_subject_bytes | evictions | fraud pass / reject |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	awk -F'\t' '$1 == "memacc" { printf "| %s | %s of %s | %s | %.0f | %s | %s | %s | %s / %s | %s | %s / %s | %s | %s | %s / %s |\n",
	    $2, $4, $3, $17, ($17 > 0) ? $4 / $17 : 0, $5, $6, $7, $8, $9, $13, $11, $12, $14, $16, $19, $20 }' "$RES"
	echo
	awk -F'\t' '
	    $1 == "memacc" { d1[$2] = $6 - $5; d2[$2] = ($7 == "-") ? "" : $7 - $5; subj[$2] = $13
		fb[$2] = ($11 == "-" || $12 == "-") ? "" : $12 - $11; sb[$2] = $14; mode[++n] = $2 }
	    END {
		for (i = 1; i <= n; i++) { k = mode[i]; if (k == "off" || subj[k] == "-" || subj[k] + 0 == 0) continue
		    s = subj[k]
		    printf "- %s: %d subjects. Engine count: %.0f bytes per subject (centinela_fraud_bytes growth / subjects; centinela_fraud_subject_bytes %s). VmRSS growth: %.0f bytes per subject after the calls", k, s, fb[k] / s, sb[k], d1[k] * 1024 / s
		    if (d2[k] != "") printf ", %.0f after the subjects were stored", d2[k] * 1024 / s
		    if ("off" in d1) {
			printf "; beyond the \"off\" daemon'"'"'s growth under the same calls (%+d kB): %.0f bytes per subject", d1["off"], (d1[k] - d1["off"]) * 1024 / s
			if (d2[k] != "" && d2["off"] != "") printf " (%.0f after storing)", (d2[k] - d2["off"]) * 1024 / s
		    }
		    v = (fb[k] / s <= 2048) ? "met" : "NOT met"
		    w = ("off" in d1) ? (((d1[k] - d1["off"]) * 1024 / s <= 2048) ? "met" : "NOT met") : "-"
		    printf ". Target < 2 KB per tracked account: engine count %s, RSS beyond off %s.\n", v, w
		} }' "$RES"
	echo
fi

blocked=$(awk -F'\t' '$1 == "blocked" { printf "%s (%s); ", $2, $3 }' "$RES")
if [ -n "$blocked" ]; then
	echo "**Calls of the load were refused or hit a fraud rule** (pass reject cap suspend hits ...): $blocked"
	echo
fi
bad=$(awk -F'\t' '($1 == "fixed" || $1 == "acc") && $6 < 0.999 * $7 { printf "%s %s rep %s (%s of %s calls ok); ", $1, $2, $3, $6, $7 }' "$RES")
if [ -n "$bad" ]; then
	echo "Left out of the fixed-rate rows (calls failed): $bad"
	echo
fi

grep -q '^search' "$RES" || exit 0
echo "Search steps, trunk (offered cps -> created cps, success %, cores used by centinela/UAS/UAC, centinela CPU-seconds per 1000 successful calls of the step):"
echo
echo '```'
awk -F'\t' '$1 == "search" { printf "%-4s rep %s  %6s -> %8s  %7s %%  %s  cores %s  CPU-s/1000 %s\n", $2, $3, $4, $5, $6, ($7 == 1) ? "pass" : "FAIL", $8, $9 }' "$RES"
echo '```'

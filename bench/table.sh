# bench/table.sh -- what the summaries of bench/*.sh share: medians over
# the repeats of $RES (results.tsv: kind, proxy, fields...), ratios and
# the header row. Sourced (bash) by summarize.sh, flood_summarize.sh and
# summarize-register.sh after they set RES and DIR.

# field KEY -- a value of DIR/machine.tsv.
field() { awk -F'\t' -v k="$1" '$1 == k { sub(/^[^\t]*\t/, ""); print; exit }' "$DIR/machine.tsv"; }

# med_where FILTER FIELD -> "median [v1 v2 ...]" of FIELD over the lines
# of $RES that the awk condition FILTER selects ("-" and missing values
# left out).
med_where() {
	awk -F'\t' -v f="$2" "($1) && \$f != \"-\" && \$f != \"\""' { v[++n] = $f; raw = raw (n > 1 ? " " : "") $f }
	    END {
		if (!n) { print "-"; exit }
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
		m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		if (n > 1) printf "%s [%s]\n", m, raw; else print m
	    }' "$RES"
}

# med KIND FIELD PROXY -- med_where on kind and proxy; lines matching the
# awk condition $MED_SKIP (if set) are left out.
med() {
	med_where "${MED_SKIP:+!($MED_SKIP) && }\$1 == \"$1\" && \$2 == \"$3\"" "$2"
}

num() { echo "${1%% *}"; }

# ratio A B -- A / B of two medians ("-" when either is missing or B is 0).
ratio() {
	awk -v a="$(num "$1")" -v b="$(num "$2")" 'BEGIN {
	    if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'
}

# table_header PROXIES -- print the header and separator rows of a table
# with one column per proxy, then centinela/other ratio columns when
# centinela is among them; sets $others to the proxies that are not it.
table_header() {
	local hdr="| measurement (median [repeats]) |" sep="|---|" p
	others=""
	for p in $1; do
		hdr="$hdr $p |"
		sep="$sep---|"
		[ "$p" != centinela ] && others="$others $p"
	done
	if [[ " $1 " == *" centinela "* ]]; then
		for p in $others; do hdr="$hdr centinela/$p |"; sep="$sep---|"; done
	fi
	echo "$hdr"
	echo "$sep"
}

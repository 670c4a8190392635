#!/usr/bin/env bash
# The end-of-run summary's figures are those go tool pprof computes from the file written:
# - uw_rsort (two recursive functions, each at several addresses in one stack): every line of
#   "top functions" has pprof -top's flat% and cum% within 0.1 point (pprof prints two
#   decimals, the summary one), and a recursive function's cum never exceeds its caller's
#   (a function counts once per sample, not once per frame);
# - uw_go stripped of .debug_frame (Go has no .eh_frame: .gopclntab's stack-pointer tables
#   only): the unwind tables line counts the binary among the Go objects with tables from
#   .gopclntab only, not among those without CFI (0 of each for the unstripped binary), and
#   its stacks take no frame-pointer steps.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/unwind_lib.bash"
require_binary uw_rsort uw_go
require_bpf
require_pprof

secs=4

# summary_top NAME: the summary's top lines of run NAME as "name<TAB>flat%<TAB>cum%".
summary_top() {
	awk '/^  top functions \(flat\):/ { on = 1; next }
		on && /^    / {
			f = $1; c = $2; sub(/%/, "", f); sub(/%/, "", c)
			name = $4
			for (i = 5; i <= NF; i++) name = name " " $i
			print name "\t" f "\t" c
			next
		}
		on { exit }' "$E2E_TMP/$1.err"
}

# pprof_pct FILE: pprof -top of FILE (its default sample type, as the summary's) as
# "name<TAB>flat%<TAB>cum%" for every function.
pprof_pct() {
	"$GO" tool pprof -top -nodecount=100000 -nodefraction=0 -edgefraction=0 \
		-symbolize=none "$1" 2>"$PPROF_ERR" | awk '
		/^ *flat  *flat%/ { table = 1; next }
		table && NF >= 6 {
			name = $6
			for (i = 7; i <= NF; i++) name = name " " $i
			f = $2; c = $5; sub(/%/, "", f); sub(/%/, "", c)
			print name "\t" f "\t" c
		}'
}

# check_top CHECK NAME: each summary top line of run NAME against pprof's figures.
check_top() {
	local check=$1 name=$2 lines bad
	lines=$(summary_top "$name")
	if [ -z "$lines" ]; then
		fail "$check" "no top functions in the summary of $name"
		return
	fi
	bad=$(awk -F '\t' 'NR == FNR { f[$1] = $2; c[$1] = $3; next }
		{
			d1 = $2 - f[$1]; d2 = $3 - c[$1]
			if (!($1 in f) || d1 > 0.1 || d1 < -0.1 || d2 > 0.1 || d2 < -0.1)
				printf "%s: summary %s%% flat %s%% cum, pprof %s%% %s%%; ", $1, $2, $3,
					($1 in f) ? f[$1] : "absent", c[$1]
		}' <(pprof_pct "$PROF") - <<<"$lines")
	if [ -n "$bad" ]; then
		fail "$check" "$bad"
	else
		pass "$check" "$(wc -l <<<"$lines") top lines equal pprof -top's flat% and cum% within 0.1: $(head -3 <<<"$lines" | tr '\t\n' ' ;')"
	fi
}

# cum_of NAME FUNC: FUNC's cum% in the summary of run NAME (empty if not listed).
cum_of() {
	summary_top "$1" | awk -F '\t' -v fn="$2" '$1 == fn { print $3; exit }'
}

# check_cum_le CHECK NAME CALLEE CALLER: CALLEE (only ever called under CALLER) has no more
# cum than CALLER, and both are listed with some.
check_cum_le() {
	local check=$1 name=$2 callee=$3 caller=$4 a b
	a=$(cum_of "$name" "$callee")
	b=$(pprof_pct "$PROF" | awk -F '\t' -v fn="$caller" '$1 == fn { print $3; exit }')
	if [ -z "$a" ] || [ -z "$b" ] || fcmp "$a < 5"; then
		fail "$check" "$callee cum ${a:-absent}% in the summary, $caller cum ${b:-absent}% in pprof; want both, $callee ≥ 5%"
	elif fcmp "$a > $b + 0.1"; then
		fail "$check" "$callee has $a% cum, more than its caller $caller ($b%): frames counted, not samples"
	else
		pass "$check" "$callee $a% cum ≤ $caller $b%"
	fi
}

if uw_profile rsort -t cpu -- "$WL/uw_rsort" "$secs"; then
	check_top rsort/top rsort
	check_cum_le rsort/cum_rsort rsort rsort sort_round
	check_cum_le rsort/cum_fib rsort fib main
fi

# table_counts NAME: the "N Go objects with tables from .gopclntab only" and "N without CFI"
# counts of run NAME's unwind tables line, as "N M".
table_counts() {
	sed -n 's/^unwind tables: .*, \([0-9][0-9]*\) Go objects with tables from \.gopclntab only, \([0-9][0-9]*\) without CFI (frame pointers there),.*/\1 \2/p' \
		"$E2E_TMP/$1.err" | head -1
}

# check_tables CHECK NAME GO WITHOUT WHY: run NAME's unwind tables line counts GO objects
# with tables from .gopclntab only and WITHOUT objects without CFI.
check_tables() {
	local n
	n=$(table_counts "$2")
	if [ "$n" = "$3 $4" ]; then
		pass "$1" "$3 Go objects with tables from .gopclntab only, $4 without CFI: $5"
	else
		fail "$1" "counts '${n:-none}', want '$3 $4' ($5); $(grep '^unwind tables' "$E2E_TMP/$2.err")"
	fi
}

if uw_profile go -t cpu -- "$WL/uw_go" "$secs"; then
	check_tables go/tables go 0 0 "uw_go has .debug_frame"
	uw_check_no_fallback go/no_fp go
fi

mkdir -p "$E2E_TMP/bin"
stripped=$E2E_TMP/bin/uw_go
if ! objcopy --strip-all "$WL/uw_go" "$stripped" 2>"$E2E_TMP/objcopy.err"; then
	fail stripped "objcopy --strip-all $WL/uw_go: $(head -1 "$E2E_TMP/objcopy.err")"
elif readelf -S "$stripped" | grep -Eq '\.(eh|debug)_frame' || readelf -l "$stripped" | grep -q INTERP; then
	fail stripped "$stripped still has CFI or is dynamically linked: the counts below assume neither"
elif uw_profile stripped -t cpu -- "$stripped" "$secs"; then
	check_tables stripped/tables stripped 1 0 "the stripped uw_go; its vDSO has CFI"
	uw_check_no_fallback stripped/no_fp stripped
fi
e2e_exit

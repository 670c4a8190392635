#!/usr/bin/env bash
# cprof-bpf report FILE: the text views read without Go, checked against go tool pprof on
# real profiles: cpusplit's CPU profile (-top rows, folded stacks summed per leaf, a base
# against itself, the process filter), twowaits' block profile (--sample-index), a profile
# written by Go's own runtime/pprof; and bad files are one line and exit 1.
source "$(dirname "$0")/lib.bash"
require_binary cpusplit twowaits goprofself
require_bpf
require_pprof

report() { "$CPROF" report "$@" 2>"$E2E_TMP/report.err"; }

# top_rows: the table rows of a -top text as "name<TAB>flat flat% cum cum%", sorted (sum%
# depends on the order of equal rows, so it is left out).
top_rows() {
	awk '/^ *flat  *flat%/ { t = 1; next }
		t && NF >= 6 { name = $6; for (i = 7; i <= NF; i++) name = name " " $i
			print name "\t" $1 " " $2 " " $4 " " $5 }' | sort
}

# go_top FILE [ARGS...]: go tool pprof -top of every function.
go_top() {
	local file=$1
	shift
	"$GO" tool pprof -top -nodecount=100000 -nodefraction=0 -symbolize=none "$@" "$file" \
		2>"$PPROF_ERR"
}

# same_rows CHECK OURS THEIRS: both tables have the same rows, figure for figure.
same_rows() {
	local n why=()
	n=$(grep -c . <<<"$2")
	[ "$n" -gt 0 ] || why+=("no rows")
	[ "$2" = "$3" ] || why+=("rows differ: $(diff <(echo "$2") <(echo "$3") | grep '^[<>]' |
		head -6 | tr '\n' '|')")
	verdict "$1" "$n rows equal go tool pprof's" "${why[@]}"
}

run_cprof run 60 -F 499 -t cpu -o "$E2E_TMP/run" -- "$WL/cpusplit" 3
prof=$E2E_TMP/run/cpu.pb.gz
child=$(sed -n 's/^cpusplit: pid \([0-9]*\):.*/\1/p' "$E2E_TMP/run.out")
if [ "$RC" -ne 0 ] || [ ! -s "$prof" ] || [ -z "$child" ]; then
	show_err run
	fail run "cprof-bpf -- cpusplit 3 exited $RC; $prof $([ -s "$prof" ] && echo written || echo missing)"
	e2e_exit
fi

all=$(report "$prof" --top 0 | top_rows)
same_rows top "$all" "$(go_top "$prof" | top_rows)"
same_rows top_lines "$(report "$prof" --top 0 --lines | top_rows)" \
	"$(go_top "$prof" -lines | top_rows)"

# A profile of libc-heavy code (ls formatting a tree: stdio's inlined helpers, light edges
# pprof trims before it marks "(inline)"): every row equal too.
run_cprof libc 60 -F 999 -t cpu -o "$E2E_TMP/libc" -- sh -c \
	'end=$(($(date +%s) + 2)); while [ "$(date +%s)" -lt "$end" ]; do ls -lR /usr/include >/dev/null; done'
same_rows top_libc "$(report "$E2E_TMP/libc/cpu.pb.gz" --top 0 | top_rows)" \
	"$(go_top "$E2E_TMP/libc/cpu.pb.gz" | top_rows)"
same_rows top_libc_lines "$(report "$E2E_TMP/libc/cpu.pb.gz" --top 0 --lines | top_rows)" \
	"$(go_top "$E2E_TMP/libc/cpu.pb.gz" -lines | top_rows)"

# --folded, summed per leaf function, is pprof's flat (in samples: exact integers).
folded_flat=$(report "$prof" --folded --sample-index samples | awk '
	{ v = $NF; s = $0; sub(/ [^ ]*$/, "", s); n = split(s, f, ";"); flat[f[n]] += v }
	END { for (k in flat) if (flat[k]) print k "\t" flat[k] }' | sort)
pprof_flat=$(go_top "$prof" -sample_index=samples | awk '/^ *flat  *flat%/ { t = 1; next }
	t && NF >= 6 && $1 != 0 { name = $6; for (i = 7; i <= NF; i++) name = name " " $i
		sub(/ \((partial-)?inline\)$/, "", name); print name "\t" $1 }' | sort)
same_rows folded_per_leaf "$folded_flat" "$pprof_flat"

# --base against itself: every stack's two columns equal, every figure zero.
why=()
diff_folded=$(report "$prof" --base "$prof" --folded)
n=$(grep -c . <<<"$diff_folded")
[ "$n" -gt 0 ] || why+=("no folded lines")
bad=$(awk '$(NF - 1) != $NF' <<<"$diff_folded" | head -3)
[ -z "$bad" ] || why+=("lines with base != new: $bad")
head=$(report "$prof" --base "$prof" --top 5 | grep '^Showing nodes')
[ "$head" = "Showing nodes accounting for 0, 0% of 0 total" ] || why+=("top says '$head'")
verdict base_self "$n stacks, all zero" "${why[@]}"

# The process filter: the command's pid and name keep everything, another pid nothing.
why=()
[ "$(report "$prof" --top 0 --pid "$child" | top_rows)" = "$all" ] ||
	why+=("--pid $child changed the table")
[ "$(report "$prof" --top 0 --pid "1,$child" | top_rows)" = "$all" ] ||
	why+=("--pid 1,$child changed the table")
[ "$(report "$prof" --top 0 --comm cpusplit | top_rows)" = "$all" ] ||
	why+=("--comm cpusplit changed the table")
head=$(report "$prof" --pid 1 | grep '^Showing nodes')
[ "$head" = "Showing nodes accounting for 0, 0% of 0 total" ] || why+=("--pid 1: '$head'")
verdict pid_filter "pid $child" "${why[@]}"

# --sample-index on the block profile: delay and contentions as pprof -sample_index shows.
run_cprof blk 60 -t block -o "$E2E_TMP/blk" -- "$WL/twowaits" 2
bprof=$E2E_TMP/blk/block.pb.gz
if [ "$RC" -ne 0 ] || [ ! -s "$bprof" ]; then
	show_err blk
	fail sample_index "cprof-bpf -t block -- twowaits 2 exited $RC"
else
	for t in delay contentions; do
		same_rows "sample_index_$t" "$(report "$bprof" --top 0 --sample-index "$t" | top_rows)" \
			"$(go_top "$bprof" -sample_index="$t" | top_rows)"
	done
	report "$bprof" --sample-index nosuch >/dev/null
	rc=$?
	msg=$(cat "$E2E_TMP/report.err")
	why=()
	[ "$rc" -eq 2 ] || why+=("exit $rc, want 2")
	grep -q "no sample type 'nosuch' (it has: contentions, delay)" <<<"$msg" ||
		why+=("message '$msg'")
	verdict sample_index_unknown "exit 2: $msg" "${why[@]}"
fi

# A profile written by Go's runtime/pprof: the same table, the same top function.
gprof=$E2E_TMP/go.pb.gz
if ! "$WL/goprofself" "$gprof" 1 >"$E2E_TMP/go.log" 2>&1; then
	fail go_profile "goprofself failed: $(head -c 300 "$E2E_TMP/go.log")"
else
	same_rows go_profile "$(report "$gprof" --top 0 | top_rows)" "$(go_top "$gprof" | top_rows)"
	ours=$(report "$gprof" --top 1 | awk '/^ *flat  *flat%/ { getline; print $6; exit }')
	theirs=$(go_top "$gprof" | awk '/^ *flat  *flat%/ { getline; print $6; exit }')
	why=()
	[ -n "$ours" ] && [ "$ours" = "$theirs" ] || why+=("top function '$ours', pprof's '$theirs'")
	verdict go_top_function "$ours" "${why[@]}"
fi

# Bad files: one line on stderr, exit 1.
echo "not a profile" >"$E2E_TMP/garbage.pb.gz"
head -c 200 "$prof" >"$E2E_TMP/truncated.pb.gz"
for bad in missing garbage truncated; do
	report "$E2E_TMP/$bad.pb.gz" >/dev/null
	rc=$?
	lines=$(grep -c . "$E2E_TMP/report.err")
	msg=$(head -1 "$E2E_TMP/report.err")
	why=()
	[ "$rc" -eq 1 ] || why+=("exit $rc, want 1")
	[ "$lines" -eq 1 ] || why+=("$lines lines on stderr")
	case $bad in
	missing) want="No such file or directory" ;;
	*) want="not a pprof profile (Invalid argument)" ;;
	esac
	[ "$msg" = "cprof-bpf report: $E2E_TMP/$bad.pb.gz: $want" ] || why+=("message '$msg'")
	verdict "bad_$bad" "exit 1: $msg" "${why[@]}"
done
e2e_exit

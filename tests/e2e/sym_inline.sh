#!/usr/bin/env bash
# Inline frames and debug information wherever it lives, on the real profiler. The
# workloads (tests/workloads/sym.mk) burn in a loop that the compiler inlined into its
# caller: every sample there must carry a Location whose Lines are the inlined function
# at one of its loop lines (marked HOT in the source), then its caller at the call (CALL),
# with each function's first line, as DWARF (or Go's .gopclntab) says. Checked for:
#   sym_inline           DWARF in the binary
#   sym_inline_stripped  debuginfo found by build id under --debuginfo-dir (and not without)
#   sym_inline_mini      MiniDebugInfo only: the caller is named, without lines
#   gospin               a stripped Go binary: .gopclntab only
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/sym_lib.bash"
require_binary sym_inline sym_inline_stripped sym_inline_mini gospin
require_bpf
require_pprof

src=$CPROF_ROOT/tests/workloads/sym/sym_inline.c
gosrc=$CPROF_ROOT/tests/workloads/sym/gospin/main.go
hot=$(marker_lines "$src" '/\* HOT \*/')
call=$(marker_lines "$src" '/\* CALL \*/')
mix_start=$(def_line "$src" 'uint64_t mix(uint64_t x, int rounds)')
outer_start=$(def_line "$src" 'uint64_t outer_work(uint64_t seed)')
go_hot=$(marker_lines "$gosrc" '// HOT')
go_call=$(marker_lines "$gosrc" '// CALL')

# check_inline NAME PROFILE INNER_RE OUTER_RE: of the samples whose leaf location is in
# the inlined function (INNER_RE matches its first Line), ≥ 95% have exactly the two
# Lines INNER_RE | OUTER_RE, and they are ≥ 80% of all samples.
check_inline() {
	local name=$1 prof=$2 inner=$3 outer=$4 locs counts
	if ! locs=$(leaf_locations "$prof"); then
		fail "$name" "go tool pprof -raw cannot read $prof: $(head -1 "$PPROF_ERR")"
		return
	fi
	counts=$(awk -F '\t' -v inner="$inner" -v want="^($inner) \\\\| ($outer)\$" '
		{ all += $1 }
		$2 ~ "^(" inner ")" { in_inner += $1; if ($2 ~ want) good += $1; else if (ex == "") ex = $2 }
		END { print all + 0, in_inner + 0, good + 0, ex }' <<<"$locs")
	local all leaf good ex why=()
	read -r all leaf good ex <<<"$counts"
	[ "$leaf" -gt 0 ] && fcmp "$good >= 0.95 * $leaf" ||
		why+=("$good of $leaf samples in the inlined function have the expected Lines, e.g. ${ex:-none}")
	fcmp "$leaf >= 0.8 * $all" || why+=("only $leaf of $all samples are in the inlined function")
	[ ${#why[@]} -gt 0 ] && sed -n '1,8s/^/    | /p' <<<"$locs"
	verdict "$name" "$good of $leaf samples ($all in all) at $(head -1 <<<"$locs" | cut -f2)" "${why[@]}"
}

c_inner="mix [^ ]*/tests/workloads/sym/sym_inline\\.c:($hot) s=$mix_start"
c_outer="outer_work [^ ]*/tests/workloads/sym/sym_inline\\.c:($call) s=$outer_start"

if profile dwarf -- "$WL/sym_inline" 2; then
	check_inline dwarf_in_binary "$PROF" "$c_inner" "$c_outer"
fi

# The stripped copy: its DWARF is only under sym_debugdir, by build id.
if profile buildid -d 2 --debuginfo-dir "$WL/sym_debugdir" -- "$WL/sym_inline_stripped" 2; then
	check_inline debuginfo_dir_build_id "$PROF" "$c_inner" "$c_outer"
fi
if profile nodir -- "$WL/sym_inline_stripped" 2; then
	why=()
	locs=$(leaf_locations "$PROF") || why+=("go tool pprof -raw cannot read $PROF: $(head -1 "$PPROF_ERR")")
	read -r all n < <(awk -F '\t' '
		{ all += $1 } $2 ~ /^(mix|outer_work) / { s += $1 } END { print all + 0, s + 0 }' <<<"$locs")
	[ "$all" -gt 0 ] || why+=("no sample: nothing to tell named from unnamed")
	[ "$n" -eq 0 ] || why+=("debuginfo found without the option")
	verdict without_debuginfo_dir "$n of $all samples named mix or outer_work without --debuginfo-dir" \
		"${why[@]}"
fi

# MiniDebugInfo: the function that holds the code is named; nothing is inlined or lined.
if profile minidebug -- "$WL/sym_inline_mini" 2; then
	why=()
	locs=$(leaf_locations "$PROF") || why+=("go tool pprof -raw cannot read $PROF: $(head -1 "$PPROF_ERR")")
	read -r all named < <(awk -F '\t' '
		{ all += $1 } $2 ~ /^outer_work :0 s=0$/ { n += $1 } END { print all + 0, n + 0 }' <<<"$locs")
	[ "$all" -gt 0 ] && fcmp "$named >= 0.8 * $all" ||
		why+=("want ≥ 80% named outer_work (without a line)")
	verdict minidebuginfo "$named of $all samples named outer_work" "${why[@]}"
fi

if profile go -- "$WL/gospin" 2; then
	check_inline go_pclntab "$PROF" "main\\.mix [^ ]*/gospin/main\\.go:($go_hot) s=0" \
		"main\\.work [^ ]*/gospin/main\\.go:($go_call) s=0"
fi
e2e_exit

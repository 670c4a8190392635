# Shared by the unwinding tests (tests/e2e/unwind_*.sh), sourced after lib.bash: profile a
# workload of tests/workloads/unwind/ (built without frame pointers) and compare its stacks
# with the ground truth in the workload's source.
#
# Results in globals for the caller:
# shellcheck disable=SC2034

# Samples per second: enough that the few samples a process takes before its tables are
# published (its first milliseconds) stay far below the 1% the checks allow.
UW_HZ=${UW_HZ:-499}

# uw_profile NAME CPROF-ARGS...: runs cprof-bpf -F UW_HZ -o $E2E_TMP/NAME CPROF-ARGS (ending
# in "-- COMMAND"); FAILs NAME/run unless it exits 0 with a profile. Sets PROF, TRACES (see
# pprof_traces), UW_SUMMARY (the summary's completeness line) and UW_FP_STACKS (how many
# samples it says took frame-pointer steps where unwind tables were missing). Returns 1 on
# failure.
uw_profile() {
	local name=$1
	shift
	run_cprof "$name" 90 -F "$UW_HZ" -o "$E2E_TMP/$name" "$@"
	uw_read "$name" "cprof-bpf $* exited $RC after ${ELAPSED_MS} ms"
}

# uw_read NAME WHAT: reads the profile of the cprof-bpf run NAME (-o $E2E_TMP/NAME, stderr in
# NAME.err) whose exit status is RC; FAILs NAME/run, saying WHAT, unless RC is 0 and pprof
# reads the profile. Sets PROF, TRACES and UW_SUMMARY (see uw_profile). Returns 1 on failure.
uw_read() {
	local name=$1
	PROF=$E2E_TMP/$name/cpu.pb.gz
	if [ "$RC" -ne 0 ] || [ ! -s "$PROF" ]; then
		show_err "$name"
		fail "$name/run" "$2; profile $([ -s "$PROF" ] && echo written || echo missing)"
		return 1
	fi
	UW_SUMMARY=$(grep -m1 'user stacks:' "$E2E_TMP/$name.err" | sed 's/^ *//')
	UW_FP_STACKS=$(awk '/^ +[0-9]+ with frame-pointer steps where unwind tables were missing$/ {
		print $1; exit } END { if (NR == 0) print 0 }' "$E2E_TMP/$name.err")
	UW_FP_STACKS=${UW_FP_STACKS:-0}
	if ! TRACES=$(pprof_traces "$PROF"); then
		fail "$name/run" "go tool pprof -traces cannot read $PROF: $(head -1 "$PPROF_ERR")"
		return 1
	fi
	return 0
}

# uw_truncation_reasons NAME: the summary's truncation lines of run NAME, on one line.
uw_truncation_reasons() {
	grep 'truncated:' "$E2E_TMP/$1.err" | sed 's/^ *//' | head -3 | paste -sd ';' -
}

# uw_check_root CHECK NAME: at least 99% of the samples in TRACES reached their thread root
# (no [truncated] frame at the end), as the summary of run NAME also says.
uw_check_root() {
	local check=$1 name=$2 total trunc share
	total=$(traces_count '1' <<<"$TRACES")
	trunc=$(traces_count 'fr[nf] == "[truncated]"' <<<"$TRACES")
	share=$(pct $((total - trunc)) "$total")
	if [ "$total" -gt 0 ] && fcmp "$share >= 99"; then
		pass "$check" "$((total - trunc)) of $total samples reached a thread root ($share%); summary: $UW_SUMMARY"
	else
		fail "$check" "$((total - trunc)) of $total samples reached a thread root ($share%), want ≥ 99%; summary: $UW_SUMMARY; $(uw_truncation_reasons "$name")"
	fi
}

# uw_fp_share NAME: the share (percent, one decimal) of stacks that took frame-pointer steps
# where unwind tables were missing, as the summary of run NAME gives it; empty if it does not.
uw_fp_share() {
	grep -m1 'user stacks:' "$E2E_TMP/$1.err" |
		sed -n 's/.*, \([0-9.]*\)% with frame-pointer steps where unwind tables were missing$/\1/p'
}

# uw_check_no_fallback CHECK NAME: code whose objects all have unwind tables takes no
# frame-pointer steps for want of them, except in the stacks sampled before the process's
# tables were published (truncated as "unwind tables not ready"), give or take 0.2%: a
# fresh-clone run once showed one fallback stack in 1997 with none sampled early, its cause
# not found.
uw_check_no_fallback() {
	local check=$1 name=$2 total early fp want
	total=$(traces_count '1' <<<"$TRACES")
	early=$(awk '/truncated: unwind tables not ready/ { n += $1 } END { print n + 0 }' "$E2E_TMP/$name.err")
	fp=$(uw_fp_share "$name")
	want=$(pct "$early" "$total")
	if [ -n "$fp" ] && fcmp "$fp <= $want + 0.2"; then
		pass "$check" "$fp% of $total stacks with frame-pointer fallback, $want% sampled before tables were ready, want ≤ that + 0.2%"
	else
		fail "$check" "summary: ${fp:-no}% of stacks with frame-pointer fallback, want ≤ $want% + 0.2% ($early of $total stacks sampled before tables were ready); $UW_SUMMARY"
	fi
}

# uw_check_stacks CHECK LEAF TAIL [MIN]: the hot samples in TRACES are those with a frame
# named LEAF (an ERE matched against whole frame names); in each, the frames from the first
# such one to the end, joined with ';', must match the ERE TAIL exactly; at most 1% of hot
# samples may be truncated, and at least MIN (default 100) must be there. A stack that took
# frame-pointer steps where tables were missing is not marked in the profile, only counted
# by the summary (UW_FP_STACKS): as many hot samples as it counts, and at most 0.2%, may
# differ (a fresh-clone run once had 1 of 1990, with 0.1% such steps; its cause not found).
uw_check_stacks() {
	local check=$1 leaf=$2 tail=$3 min=${4:-100} nhot ntrunc nbad example name=${2//\\/} nfp
	# The EREs go through the environment: awk -v would take their backslashes as escapes.
	read -r nhot ntrunc nbad example < <(LEAF="^($leaf)\$" TAIL="^($tail)\$" awk -F '\t' '
		BEGIN { leaf = ENVIRON["LEAF"]; tail = ENVIRON["TAIL"] }
		{
			nf = split($3, fr, ";")
			for (i = 1; i <= nf && fr[i] !~ leaf; i++)
				;
			if (i > nf) next
			hot += $1
			if (fr[nf] == "[truncated]") { trunc += $1; next }
			s = fr[i]
			for (j = i + 1; j <= nf; j++) s = s ";" fr[j]
			if (s !~ tail) { bad += $1; if (ex == "") ex = s }
		}
		END { print hot + 0, trunc + 0, bad + 0, ex }' <<<"$TRACES")
	if [ "$nhot" -lt "$min" ]; then
		fail "$check" "$nhot samples in $name, want ≥ $min; summary: $UW_SUMMARY"
	elif [ "$nbad" -gt 0 ] && { nfp=${UW_FP_STACKS:-0}; [ "$nbad" -gt "$nfp" ] ||
		fcmp "$nbad > 0.002 * $nhot"; }; then
		fail "$check" "$nbad of $nhot samples in $name have other frames than the ground truth (the summary counts $nfp stacks with frame-pointer steps where tables were missing), e.g. $example"
	elif [ "$nbad" -gt 0 ]; then
		pass "$check" "$((nhot - ntrunc - nbad)) of $nhot samples in $name show the exact stack to the root, $ntrunc truncated, $nbad other (within the $nfp stacks the summary counts with frame-pointer steps where tables were missing), e.g. $example"
	elif fcmp "$ntrunc > 0.01 * $nhot"; then
		fail "$check" "$ntrunc of $nhot samples in $name are truncated, want ≤ 1%"
	else
		pass "$check" "$((nhot - ntrunc)) of $nhot samples in $name show the exact stack to the root, $ntrunc truncated"
	fi
}

# uw_repeat N STRING: STRING N times (awk here has no ERE intervals).
uw_repeat() {
	local i out=
	for ((i = 0; i < $1; i++)); do out=$out$2; done
	printf '%s' "$out"
}

# The roots of a C program's main thread under glibc.
UW_LIBC_MAIN='main;__libc_start_call_main;__libc_start_main;_start'

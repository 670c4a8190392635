#!/usr/bin/env bash
# cprof-bpf -- COMMAND: profiles cpusplit from its first instruction and checks the profile
# against its ground truth: CPU shares, sample count, call paths, labels, the Go CPU profile
# conventions; and that the command's stdout and exit code pass through.
#
# The shares are measured at -F 499: a sample lands at an effectively random point of
# cpusplit's ~2 ms rounds, so a share over n samples has a binomial spread (hot_a: 2 points
# at 99 Hz × 6 s, 0.9 at 499 Hz), and ±5 points must hold on every run, not on most.
# The default frequency is checked on the second run.
source "$(dirname "$0")/lib.bash"
require_binary cpusplit
require_bpf
require_pprof

# check_format CHECK PROFILE HZ: Go CPU profile conventions: sample types samples/count and
# cpu/nanoseconds, period type cpu/nanoseconds, period 1e9/HZ, and each sample's cpu value
# is its count times the period.
check_format() {
	local raw bad period=$((1000000000 / $3)) why=()
	raw=$(profile_raw "$2")
	grep -qx 'PeriodType: cpu nanoseconds' <<<"$raw" ||
		why+=("period type is '$(grep -m1 '^PeriodType:' <<<"$raw")', want 'cpu nanoseconds'")
	grep -qx "Period: $period" <<<"$raw" ||
		why+=("period is '$(grep -m1 '^Period:' <<<"$raw")', want $period")
	grep -qx 'samples/count cpu/nanoseconds' <<<"$raw" ||
		why+=("sample types are '$(sed -n '/^Samples:/{n;p;q}' <<<"$raw")', want 'samples/count cpu/nanoseconds'")
	bad=$(awk -v p="$period" '
		/^Samples:/ { s = 1; getline; next }
		/^[A-Z]/ { s = 0 }
		s && /^ *[0-9]+ +[0-9]+:/ { n = $1; ns = $2 + 0; if (ns < n * p || ns > n * (p + 1)) bad++ }
		END { print bad + 0 }' <<<"$raw")
	[ "$bad" -eq 0 ] || why+=("$bad samples have cpu/nanoseconds != count × $period")
	verdict "$1" "samples/count cpu/nanoseconds, period $period" "${why[@]}"
}

secs=6
hz=499
run_cprof run 60 -F "$hz" -o "$E2E_TMP/run" -- "$WL/cpusplit" "$secs"
prof=$E2E_TMP/run/cpu.pb.gz
if [ "$RC" -ne 0 ] || [ ! -s "$prof" ]; then
	show_err run
	fail run "cprof-bpf -F $hz -- cpusplit $secs exited $RC after ${ELAPSED_MS} ms; $prof $([ -s "$prof" ] && echo written || echo missing)"
	e2e_exit
fi
# The command's stdout is passed through: cpusplit tells its pid and CPU time there.
child=$(sed -n 's/^cpusplit: pid \([0-9]*\):.*/\1/p' "$E2E_TMP/run.out")
why=()
[ -n "$child" ] || why+=("cpusplit's stdout line is missing from cprof-bpf's stdout: '$(head -c 200 "$E2E_TMP/run.out")'")
[ -s "$E2E_TMP/run.err" ] || why+=("no summary on stderr")
verdict run "exit 0 in ${ELAPSED_MS} ms, stdout passed through" "${why[@]}"

check_cpusplit_shares shares "$prof"
check_cpusplit_samples samples "$prof" "$(cpusplit_cpu "$E2E_TMP/run.out")" "$hz"
check_cpusplit_stacks stacks "$prof"

# Labels: every sample in a hot function belongs to the command's process and main thread.
traces=$(pprof_traces "$prof")
hot=$(traces_count '$3 ~ /(^|;)hot_[abc](;|$)/' <<<"$traces")
good=$(traces_count '$3 ~ /(^|;)hot_[abc](;|$)/ && lab ~ /,pid='"${child:-none}"',/ &&
	lab ~ /,comm=cpusplit,/ && lab ~ /,thread=cpusplit,/' <<<"$traces")
if [ "$hot" -gt 0 ] && [ "$good" -eq "$hot" ]; then
	pass labels "$hot hot samples labelled pid=$child comm=cpusplit thread=cpusplit"
else
	fail labels "$good of $hot hot samples labelled pid=${child:-?} comm=cpusplit thread=cpusplit; labels seen: $(cut -f2 <<<"$traces" | sort | uniq -c | sort -rn | head -3 | tr -s ' \n' ' ')"
fi
check_format format "$prof" "$hz"
check_symbolized symbolized 'cpusplit|libc\.so\.6|ld-linux-x86-64\.so\.2' < <(
	awk -F '\t' -v lab=",pid=${child:-none}," 'index("," $2 ",", lab)' <<<"$traces")

# Default frequency (99 Hz), and the command's exit code is cprof-bpf's exit code.
run_cprof exitcode 30 -o "$E2E_TMP/exitcode" -- "$WL/cpusplit" 2 7
prof=$E2E_TMP/exitcode/cpu.pb.gz
if [ "$RC" -eq 7 ]; then
	pass exitcode "cpusplit 2 7 → cprof-bpf exit 7"
else
	show_err exitcode
	fail exitcode "cprof-bpf -- cpusplit 2 7 exited $RC, want 7"
fi
if [ -s "$prof" ]; then
	check_cpusplit_samples samples_99hz "$prof" "$(cpusplit_cpu "$E2E_TMP/exitcode.out")" 99
	check_format format_99hz "$prof" 99
else
	fail samples_99hz "no profile from cprof-bpf -- cpusplit 2 7"
fi
e2e_exit

#!/usr/bin/env bash
# cprof-bpf -p: attaches to running processes. One pid: cpusplit's shares, sample count and
# call paths (at -F 499 for the statistical power the ±5-point shares need: see
# cpu_command.sh). Two pids, as "-p A,B" and as "-p A -p B", at the default 99 Hz: both
# profiled (their pid labels present, each with the sample count its CPU time is worth) and
# a busy process not named is left out. An idle pid: a valid, empty profile.
source "$(dirname "$0")/lib.bash"
require_binary cpusplit spin_one sleeper
require_bpf
require_pprof

# One pid: samples ≈ HZ × the CPU time it used while sampling was on (≈ secs × HZ when
# it has a core to itself).
secs=4
hz=499
# The targets live 300 s and end with the script: the checks before the last may take a
# minute on a busy machine, and a target gone mid-run fails them (exit 3).
start_bg target "$WL/cpusplit" 300
cpu_log_start "$target"
run_cprof one 30 -F "$hz" -p "$target" -d "$secs" -o "$E2E_TMP/one"
prof=$E2E_TMP/one/cpu.pb.gz
if [ "$RC" -ne 0 ] || [ ! -s "$prof" ]; then
	show_err one
	fail one "cprof-bpf -F $hz -p $target -d $secs exited $RC after ${ELAPSED_MS} ms; $prof $([ -s "$prof" ] && echo written || echo missing)"
else
	pass one "exit 0 in ${ELAPSED_MS} ms"
	check_cpusplit_shares shares "$prof"
	check_count samples "$(pprof_top "$prof" | top_total)" "$(window_samples "$prof" 1 "$hz")" 20 \
		"samples in ${secs}s at $hz Hz"
	check_cpusplit_stacks stacks "$prof"
	traces=$(pprof_traces "$prof")
	all=$(traces_count 1 <<<"$traces")
	mine=$(traces_count 'lab ~ /,pid='"$target"',/' <<<"$traces")
	if [ "$all" -gt 0 ] && [ "$mine" -eq "$all" ]; then
		pass one_pid_only "all $all samples labelled pid=$target"
	else
		fail one_pid_only "$mine of $all samples labelled pid=$target; labels seen: $(cut -f2 <<<"$traces" | sort | uniq -c | sort -rn | head -3 | tr -s ' \n' ' ')"
	fi
fi

# Two pids, and a third busy process that must not appear. Each target's count must be
# within ±25% of what its CPU time during sampling is worth (three busy processes share
# the machine: the split between them is noisier than a whole core's samples).
secs=3
hz=99
start_bg second "$WL/cpusplit" 300
start_bg other "$WL/spin_one" 300

# check_two CHECK ARGS...: runs cprof-bpf ARGS -d secs and checks the two targets' samples.
check_two() {
	local name=$1 prof traces n1 n2 nother w1 w2 why=()
	shift
	cpu_log_start "$target" "$second"
	run_cprof "$name" 30 "$@" -d "$secs" -o "$E2E_TMP/$name"
	prof=$E2E_TMP/$name/cpu.pb.gz
	if [ "$RC" -ne 0 ] || [ ! -s "$prof" ]; then
		show_err "$name"
		fail "$name" "cprof-bpf $* -d $secs exited $RC; $prof $([ -s "$prof" ] && echo written || echo missing)"
		return
	fi
	if ! traces=$(pprof_traces "$prof"); then
		fail "$name" "go tool pprof cannot read $prof: $(head -1 "$PPROF_ERR")"
		return
	fi
	w1=$(window_samples "$prof" 1 "$hz")
	w2=$(window_samples "$prof" 2 "$hz")
	n1=$(traces_count 'lab ~ /,pid='"$target"',/' <<<"$traces")
	n2=$(traces_count 'lab ~ /,pid='"$second"',/' <<<"$traces")
	nother=$(traces_count 'lab !~ /,pid=('"$target|$second"'),/ || stack ~ /spin_one_hot/' <<<"$traces")
	within "$n1" "$w1" 25 || why+=("pid $target has $n1 samples, want $w1 ±25%")
	within "$n2" "$w2" 25 || why+=("pid $second has $n2 samples, want $w2 ±25%")
	[ "$nother" -eq 0 ] || why+=("$nother samples from other processes (spin_one is pid $other)")
	verdict "$name" "pid $target: $n1 (want $w1), pid $second: $n2 (want $w2), others: $nother samples" "${why[@]}"
}
check_two comma_list -p "$target,$second"
check_two repeated -p "$target" -p "$second"

# An idle target (sleeper): the run lasts its -d, and the profile is valid and empty.
start_bg idle "$WL/sleeper" 30
run_cprof idle 30 -p "$idle" -d 2 -o "$E2E_TMP/idle"
prof=$E2E_TMP/idle/cpu.pb.gz
why=()
[ "$RC" -eq 0 ] || why+=("exit status $RC")
[ "$ELAPSED_MS" -ge 1900 ] || why+=("stopped after ${ELAPSED_MS} ms, before -d 2")
if ! top=$(pprof_top "$prof"); then
	why+=("go tool pprof cannot read $prof: $(head -1 "$PPROF_ERR")")
else
	n=$(top_total <<<"$top")
	[ "$n" -eq 0 ] || why+=("$n samples from a sleeping process")
fi
[ ${#why[@]} -gt 0 ] && show_err idle
verdict idle "exit $RC after ${ELAPSED_MS} ms, ${n:-?} samples" "${why[@]}"
e2e_exit

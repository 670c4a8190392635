#!/usr/bin/env bash
# Block profile with -p on an offcpu that is already running: its threads were asleep
# before cprof-bpf attached, so their waits count from the attach (the start sweep), not
# from when they began.
#   1. offcpu 7, attached 1.5 s in, profiled until it exits: napper's one nanosleep began
#      before the attach and ends within the run, so it carries the run's duration
#      (±10%, and not the 1.5 s before) with its user stack, read when it returned to
#      user space; reader and feeder the same.
#   2. offcpu 30, profiled for 3 s (-d): every wait is in progress at both edges for napper
#      (the end sweep reports it), so it carries 3 s of delay and kernel frames, but no
#      user frames: its task never ran in its own context during the run, and a user
#      stack is never read from another task. The profile says so with [truncated], and
#      the summary with the reason.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/block.bash"
require_binary offcpu
require_bpf
require_pprof

# 1. Until the target exits.
start_bg target "$WL/offcpu" 7
wait_until 10 has_threads "$target" napper reader feeder burner ||
	fail run "offcpu (pid $target) did not start its four threads within 10 s"
sleep 1.5 # the waits began before the attach: that time must not be counted
run_cprof run 60 -p "$target" -o "$E2E_TMP/run"
prof=$E2E_TMP/run/block.pb.gz
# README: exit status 3 when a process given with -p exits during the run.
if { [ "$RC" -ne 0 ] && [ "$RC" -ne 3 ]; } || [ ! -s "$prof" ]; then
	show_err run
	fail run "cprof-bpf -p $target exited $RC after ${ELAPSED_MS} ms; $prof $([ -s "$prof" ] && echo written || echo missing)"
elif ! samples=$(block_samples "$prof") || [ -z "$samples" ]; then
	fail run "go tool pprof cannot read $prof: $(head -1 "$PPROF_ERR")"
else
	dur=$(profile_duration "$prof")
	pass run "exit $RC after ${ELAPSED_MS} ms, profile duration $(secs "$dur") s"
	check_offcpu_threads "" "$samples" "$target" "$dur" "napper reader feeder"
	check_offcpu_wakers "" "$samples" "$target"
	got=$(delay_sum "$(thread_cond "$target" napper)" <<<"$samples")
	if fcmp "$got <= $dur * 1.02"; then
		pass napper_from_attach "$(secs "$got") s ≤ the $(secs "$dur") s run: counted from the attach, not from its start 1.5 s before"
	else
		fail napper_from_attach "$(secs "$got") s > the $(secs "$dur") s run: the time before the attach was counted"
	fi
	check_symbolized symbolized 'offcpu|libc\.so\.6' < <(
		awk -F '\t' -v pid=",pid=$target," 'index($3, pid)' <<<"$samples" | cut -f1,3-)
fi

# 2. For 3 s of a longer run: waits in progress at both edges.
start_bg long "$WL/offcpu" 30
wait_until 10 has_threads "$long" napper reader feeder burner ||
	fail edges "offcpu (pid $long) did not start its four threads within 10 s"
run_cprof edges 60 -p "$long" -d 3 -o "$E2E_TMP/edges"
prof=$E2E_TMP/edges/block.pb.gz
if [ "$RC" -ne 0 ] || [ ! -s "$prof" ]; then
	show_err edges
	fail edges "cprof-bpf -p $long -d 3 exited $RC after ${ELAPSED_MS} ms; $prof $([ -s "$prof" ] && echo written || echo missing)"
elif ! samples=$(block_samples "$prof") || [ -z "$samples" ]; then
	fail edges "go tool pprof cannot read $prof: $(head -1 "$PPROF_ERR")"
else
	dur=$(profile_duration "$prof")
	pass edges "exit 0 after ${ELAPSED_MS} ms, profile duration $(secs "$dur") s"
	check_offcpu_threads edges_ "$samples" "$long" "$dur" "reader feeder"
	cond=$(thread_cond "$long" napper)
	check_share edges_napper_truncated "$samples" "$cond" \
		'fr[nf] == "[truncated]" && stack ~ /entry_SYSCALL_64/ && stack !~ /napper_wait/' 99 \
		"of napper's in-progress wait: kernel frames, then [truncated] (no user stack)"
	if grep -q 'truncated: still waiting at the end' "$E2E_TMP/edges.err"; then
		pass edges_summary "the summary gives the reason: $(grep -m1 -o 'truncated: still waiting at the end[^)]*)' "$E2E_TMP/edges.err")"
	else
		show_err edges
		fail edges_summary "the summary does not say why napper's stack is truncated"
	fi
fi
e2e_exit

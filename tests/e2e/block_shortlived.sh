#!/usr/bin/env bash
# Short-lived sleepers: `sleepers 4 300` starts four threads 100 ms apart, each sleeping
# 300 ms in sleeper_wait and exiting; the process exits after about 0.6 s, and the run
# goes on: the command is `sh -c 'sleepers 4 300; sleep 2'` (children of a COMMAND are
# followed). Every thread's wait is in the profile (300 ms ±10%), symbolized from the
# binary and libc although the threads and their process were gone long before the
# profile was written: sleeper_wait ← sleeper_thread ← thread root, no module+0x… frame.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/block.bash"
require_binary sleepers
require_bpf
require_pprof

n=4
ms=300
run_cprof run 60 -t block -o "$E2E_TMP/run" -- sh -c "'$WL/sleepers' $n $ms; sleep 2"
prof=$E2E_TMP/run/block.pb.gz
target=$(sed -n 's/^sleepers: pid \([0-9]*\)$/\1/p' "$E2E_TMP/run.out")
if [ "$RC" -ne 0 ] || [ ! -s "$prof" ] || [ -z "$target" ]; then
	show_err run
	fail run "cprof-bpf -- sh -c 'sleepers $n $ms; sleep 2' exited $RC; $prof $([ -s "$prof" ] && echo written || echo missing); sleepers pid '$target'"
	e2e_exit
fi
if ! samples=$(block_samples "$prof") || [ -z "$samples" ]; then
	fail run "go tool pprof cannot read $prof: $(head -1 "$PPROF_ERR")"
	e2e_exit
fi
pass run "exit 0 after ${ELAPSED_MS} ms; sleepers (pid $target) exited about 2 s before the end"

for ((i = 0; i < n; i++)); do
	cond=$(thread_cond "$target" "sleeper-$i")
	check_delay "sleeper_${i}_delay" "$(delay_sum "$cond" <<<"$samples")" $((ms * 1000000)) 10 \
		"of delay in thread sleeper-$i"
	check_share "sleeper_${i}_stack" "$samples" "$cond" \
		"$(has_frame "$OFFCPU_KERNEL_napper") && $(user_path sleeper_wait sleeper_thread)" 99 \
		"of sleeper-$i's delay in nanosleep under sleeper_wait ← sleeper_thread ← thread root"
done
check_symbolized symbolized 'sleepers|libc\.so\.6' < <(
	awk -F '\t' -v pid=",pid=$target," 'index($3, pid)' <<<"$samples" | cut -f1,3-)
e2e_exit

#!/usr/bin/env bash
# futex_waitv (tests/workloads/futexv.c): a waiter waits on two lock words at once with the
# futex_waitv syscall; the waker releases the second, waitv_words[1], in waker_release. The
# wake must match the waiter on that second futex: ≥ 90% of the delay under waker_release →
# waker, the total within ±15% of the time the waiter measured inside futex_waitv, and the
# label names the futex woken (waitv_words[1], an array element, from DWARF).
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/mutex.bash"
require_binary futexv
require_bpf
require_pprof

# Ends at once with status 3 where the kernel lacks the syscall (Linux < 5.16).
"$WL/futexv" 0.01 >/dev/null
[ $? -eq 3 ] && skip_all "the kernel has no futex_waitv (Linux ≥ 5.16)"
secs=3
if mutex_run run "$secs" "$WL/futexv" "$secs"; then
	truth=$(ms "$(sed -n 's/^futexv: wait_ns \([0-9]*\) .*/\1/p' "$OUTFILE")")
	mutex_check_holder holder_stack '$3 ~ /(^|;)waker_release;waker(;|$)/' "waker_release → waker"
	mutex_check_label lock_label 'waitv_words[1]'
	check_count total_delay "$TOTAL" "${truth:-0}" 15 "ms of delay vs the waiter's time in futex_waitv"
fi
e2e_exit

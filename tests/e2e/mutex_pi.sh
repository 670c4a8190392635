#!/usr/bin/env bash
# A priority-inheritance mutex (locks pi: PTHREAD_PRIO_INHERIT, so the kernel's
# FUTEX_LOCK_PI / FUTEX_UNLOCK_PI): 4 workers contend on pi_lock, held ~200 µs, released in
# pi_release. In a PI unlock the waker is the unlocking thread (the kernel hands the lock
# to its top waiter), so the delay lands under the holder's release: ≥ 90% under
# pi_section → worker, the total within ±15% of the time the workload measured inside
# pthread_mutex_lock, and the label names pi_lock.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/mutex.bash"
require_binary locks
require_bpf
require_pprof

secs=4
if mutex_run run "$secs" "$WL/locks" pi "$secs"; then
	truth=$(ms "$(sed -n 's/^locks: hot_wait_ns \([0-9]*\) .*/\1/p' "$OUTFILE")")
	mutex_check_holder holder_stack '$3 ~ /(^|;)pi_section;worker(;|$)/' "pi_section → worker"
	mutex_check_label lock_label pi_lock
	unlock=$(traces_count '$3 ~ /(^|;)__pthread_mutex_unlock_full;pi_release;/' <<<"$TRACES")
	why=()
	fcmp "$unlock >= 0.5 * $TOTAL" ||
		why+=("$unlock of $TOTAL ms under libc's PI unlock (__pthread_mutex_unlock_full), want most")
	verdict pi_unlock "$(pct "$unlock" "$TOTAL")% under __pthread_mutex_unlock_full → pi_release" "${why[@]}"
	check_count total_delay "$TOTAL" "${truth:-0}" 15 "ms of delay vs the workload's time in pthread_mutex_lock"
fi
e2e_exit

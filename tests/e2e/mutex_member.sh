#!/usr/bin/env bash
# A lock inside a global struct (locks member: g_cache.mu, after other members): the lock
# label is the member path DWARF gives (g_cache.mu, not g_cache+0x10); 4 workers contend,
# ≥ 90% of the delay under member_section → worker, the total within ±15% of the time the
# workload measured inside pthread_mutex_lock.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/mutex.bash"
require_binary locks
require_bpf
require_pprof

secs=3
if mutex_run run "$secs" "$WL/locks" member "$secs"; then
	truth=$(ms "$(sed -n 's/^locks: hot_wait_ns \([0-9]*\) .*/\1/p' "$OUTFILE")")
	mutex_check_label lock_label g_cache.mu
	mutex_check_holder holder_stack '$3 ~ /(^|;)member_section;worker(;|$)/' "member_section → worker"
	check_count total_delay "$TOTAL" "${truth:-0}" 15 "ms of delay vs the workload's time in pthread_mutex_lock"
fi
e2e_exit

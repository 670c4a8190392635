#!/usr/bin/env bash
# C++ locks (tests/workloads/locks_cxx.cc).
#   mutex: 4 workers contend on g_table.mu, a std::mutex inside a global struct, held
#     ~200 µs, released in mutex_release: ≥ 90% of the delay under mutex_section → worker,
#     the label g_table.mu, the total within ±15% of the time measured in std::mutex::lock.
#   shared: a writer holds g_rw, a std::shared_mutex, for 2 ms; 3 readers take it shared.
#     The readers' waiting is charged to the writer's release (writer_section), within
#     ±15% of the time the readers measured in lock_shared; the writer's own wait for
#     readers goes to reader_section; together ≥ 90% of the delay, and the total within
#     ±15% of both measured waits.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/mutex.bash"
require_binary locks_cxx
require_bpf
require_pprof

secs=4
if mutex_run mutex "$secs" "$WL/locks_cxx" mutex "$secs"; then
	truth=$(ms "$(sed -n 's/^locks_cxx: wait_ns \([0-9]*\) .*/\1/p' "$OUTFILE")")
	mutex_check_holder mutex_holder '$3 ~ /(^|;)mutex_section;worker\(/' "mutex_section → worker"
	mutex_check_label mutex_label g_table.mu
	check_count mutex_total "$TOTAL" "${truth:-0}" 15 "ms of delay vs the workload's time in std::mutex::lock"
fi

if mutex_run shared "$secs" "$WL/locks_cxx" shared "$secs"; then
	read -r rwait wwait < <(sed -n 's/^locks_cxx: reader_wait_ns \([0-9]*\) writer_wait_ns \([0-9]*\).*/\1 \2/p' "$OUTFILE")
	rwait=$(ms "$rwait") wwait=$(ms "$wwait")
	writer=$(traces_count '$3 ~ /(^|;)writer_section;worker\(/' <<<"$TRACES")
	mutex_check_holder shared_holders '$3 ~ /(^|;)(writer|reader)_section;worker\(/' "writer_section or reader_section"
	check_count shared_writer "$writer" "${rwait:-0}" 15 "ms under writer_section vs the readers' time in lock_shared"
	mutex_check_label shared_label g_rw
	check_count shared_total "$TOTAL" "$(awk -v a="${rwait:-0}" -v b="${wwait:-0}" 'BEGIN { print a + b }')" 15 \
		"ms of delay vs the readers' and the writer's time in lock_shared and lock"
fi
e2e_exit

#!/usr/bin/env bash
# A reader/writer lock with a slow writer (locks rwlock): the writer holds rw_lock for 2 ms
# at a time and releases it in writer_release; three readers take it shared for ~10 µs.
# The readers' waiting is charged to the writer's release; rw_lock names the lock.
source "$(dirname "$0")/lib.bash"
require_binary locks
require_bpf
require_pprof

secs=3
run_cprof run 60 -o "$E2E_TMP/run" -- "$WL/locks" rwlock "$secs"
if [ "$RC" -ne 0 ] || [ ! -s "$E2E_TMP/run/mutex.pb.gz" ]; then
	show_err run
	fail run "cprof-bpf -- locks rwlock $secs exited $RC"
	e2e_exit
fi
traces=$(pprof_traces "$E2E_TMP/run/mutex.pb.gz" -sample_index=delay -unit=ms)
total=$(traces_count 1 <<<"$traces")
writer=$(traces_count '$3 ~ /(^|;)writer_release;writer(;|$)/' <<<"$traces")
readers=$(traces_count '$3 ~ /(^|;)reader_release;reader(;|$)/' <<<"$traces")
label=$(traces_count 'lab ~ /,lock=rw_lock(\+0x[0-9a-f]+)?,/' <<<"$traces")

why=()
fcmp "$total > 0" || why+=("no mutex delay at all")
# The writer also waits for readers to leave (charged to reader_release): a share, not all.
fcmp "$writer >= 0.6 * $total && $writer > 2 * $readers" ||
	why+=("writer_release has $writer ms ($(pct "$writer" "$total")%), reader_release $readers of $total, want ≥ 60% and > 2× the readers'")
[ ${#why[@]} -gt 0 ] && sed -n '1,12s/^/    | /p' <<<"$traces"
verdict writer_release "writer_release $(pct "$writer" "$total")%, reader_release $(pct "$readers" "$total")% of $total ms" "${why[@]}"
why=()
fcmp "$label >= 0.9 * $total && $total > 0" || why+=("lock=rw_lock labels $label of $total ms: $(cut -f2 <<<"$traces" | sort -u | head -3 | tr '\n' ' ')")
verdict lock_label "lock=rw_lock… on $(pct "$label" "$total")%" "${why[@]}"
e2e_exit

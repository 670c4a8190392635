#!/usr/bin/env bash
# A producer/consumer on a condition variable without lock contention (locks condvar): the
# consumer waits in pthread_cond_wait all run long, which is waiting but not contention.
# mutex.pb.gz must be (nearly) empty, block.pb.gz must show the waits.
source "$(dirname "$0")/lib.bash"
require_binary locks
require_bpf
require_pprof

secs=3
run_cprof run 60 -o "$E2E_TMP/run" -- "$WL/locks" condvar "$secs"
if [ "$RC" -ne 0 ] || [ ! -s "$E2E_TMP/run/mutex.pb.gz" ]; then
	show_err run
	fail run "cprof-bpf -- locks condvar $secs exited $RC"
	e2e_exit
fi
why=()
mtraces=$(pprof_traces "$E2E_TMP/run/mutex.pb.gz" -sample_index=delay -unit=ms) ||
	why+=("go tool pprof cannot read mutex.pb.gz: $(head -1 "$PPROF_ERR")")
mutex=$(traces_count 1 <<<"$mtraces")
btraces=$(pprof_traces "$E2E_TMP/run/block.pb.gz" -sample_index=delay -unit=ms) ||
	why+=("go tool pprof cannot read block.pb.gz: $(head -1 "$PPROF_ERR")")
cond=$(traces_count '$3 ~ /pthread_cond_wait;consumer_take;consumer/' <<<"$btraces")
want=$((secs * 1000)) # ms

# "Nearly empty": under 1% of the consumer's waiting, which must have been seen.
fcmp "$cond > 0" || why+=("no condition-variable wait in block.pb.gz to compare with")
fcmp "$mutex <= 0.01 * $cond" || why+=("mutex.pb.gz holds $mutex ms")
verdict no_contention "mutex delay $mutex ms vs $cond ms of condition-variable waits" "${why[@]}"
why=()
fcmp "$cond >= 0.8 * $want" ||
	why+=("block.pb.gz has $cond ms under pthread_cond_wait;consumer_take;consumer, want ≥ 80% of $want")
verdict block_has_waits "$(pct "$cond" "$want")% of the run waited in pthread_cond_wait" "${why[@]}"
e2e_exit

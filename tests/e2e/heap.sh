#!/usr/bin/env bash
# Heap profile against ground truth (build/workloads/heap*): a function that retains 64 MiB in
# 64 KiB blocks and one that allocates and frees 1 GiB in 4 KiB blocks; calloc, a realloc
# growth chain, posix_memalign; 4 threads at once; C++ new/delete; jemalloc; a static
# executable; and -p.
#
# Accuracy runs use --heap-rate 65536: at the default 512 KiB a 64 KiB block is kept with
# probability 0.12, so 1024 blocks give ~120 samples and a spread of ±8.6% (one standard
# error) — ±15% would fail one run in twelve. At 64 KiB it is ±2.4% (churn: ±0.8%). The
# default rate is checked on the -p run with the churn, whose 2000 samples give ±2.2%.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/heap.bash"
require_binary heap heap_cxx heap_jemalloc heap_static
require_bpf
require_pprof

# --- retain 64 MiB, churn 1 GiB -----------------------------------------------------------
if run_heap main --heap-rate 65536 -- "$WL/heap" main; then
	prof=$E2E_TMP/main/heap.pb.gz
	check_count main/retain_inuse_space "$(heap_value "$prof" inuse_space retain_blocks)" \
		$((64 * MIB)) 15 "bytes in use by retain_blocks"
	check_count main/churn_alloc_space "$(heap_value "$prof" alloc_space churn)" \
		$((1024 * MIB)) 15 "bytes allocated by churn"
	check_freed main/churn_inuse_space "$prof" churn flat
	raw=$("$GO" tool pprof -raw "$prof" 2>/dev/null)
	why=()
	grep -qx 'alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes' <<<"$raw" ||
		why+=("sample types are '$(sed -n '/^Samples:/{n;p;q}' <<<"$raw")'")
	grep -qx 'PeriodType: space bytes' <<<"$raw" || why+=("period type is not space/bytes")
	grep -qx 'Period: 65536' <<<"$raw" || why+=("period is not 65536")
	grep -q 'bytes:\[65536 bytes\]' <<<"$raw" || why+=("no bytes label of 65536 on a sample")
	verdict main/format "Go heap profile conventions" "${why[@]}"
	# Before its exec the command's process is cprof-bpf's fork, with cprof-bpf's maps: an
	# allocator of the profiler's own (the sanitizer build's malloc) is not the command's.
	probes=$(sed -n 's/.*allocator probes in //p' "$E2E_TMP/main.err")
	why=()
	[[ $probes =~ ^libc\.so\.6\ \(pid\ [0-9]+\)$ ]] ||
		why+=("the summary says allocator probes in '$probes', want libc.so.6 alone")
	verdict main/probed_objects "allocator probes in $probes" "${why[@]}"
fi

# --- 4 threads at once: the countdown is per CPU, shared by the threads that run there ------
if check_retain_churn threads heap threads; then
	prof=$E2E_TMP/threads/heap.pb.gz
	v=$(heap_cum "$prof" alloc_space thread_churn)
	w=$(heap_value "$prof" alloc_space churn)
	why=()
	fcmp "$v >= 0.99 * $w && $w > 0" || why+=("thread_churn is above only $v of churn's $w bytes")
	verdict threads/stacks "thread_churn is above $v of churn's $w bytes" "${why[@]}"
fi

# --- calloc, realloc chain, posix_memalign ----------------------------------------------
if run_heap kinds --heap-rate 16384 -- "$WL/heap" kinds; then
	prof=$E2E_TMP/kinds/heap.pb.gz
	check_count kinds/calloc "$(heap_value "$prof" inuse_space calloc_blocks)" $((16 * MIB)) 15 \
		"bytes in use by calloc_blocks"
	check_count kinds/realloc_inuse "$(heap_value "$prof" inuse_space realloc_chain)" \
		$((16 * MIB + 64 * 8)) 15 "bytes in use by realloc_chain (64 × 256 KiB)"
	# 64 chains of realloc from 1 KiB doubling to 256 KiB: 511 KiB each.
	check_count kinds/realloc_alloc "$(heap_value "$prof" alloc_space realloc_chain)" \
		$((64 * 511 * 1024 + 64 * 8)) 15 "bytes allocated by realloc_chain"
	check_count kinds/posix_memalign "$(heap_value "$prof" inuse_space memalign_blocks)" \
		$((16 * MIB + 512 * 8)) 15 "bytes in use by memalign_blocks"
fi

# --- C++ new/delete: stacks pass through operator new -------------------------------------
if run_heap cxx --heap-rate 65536 -- "$WL/heap_cxx"; then
	prof=$E2E_TMP/cxx/heap.pb.gz
	check_count cxx/retain "$(heap_cum "$prof" inuse_space "retain_objects(unsigned long, unsigned long)")" $((16 * MIB)) 15 \
		"bytes in use under retain_objects"
	check_count cxx/churn "$(heap_cum "$prof" alloc_space "churn_objects(unsigned long, unsigned long)")" $((256 * MIB)) 15 \
		"bytes allocated under churn_objects"
	# new[] calls operator new, which calls malloc: the allocating frame is operator new.
	v=$(heap_value "$prof" alloc_space "operator new(unsigned long)")
	why=()
	[ "$v" -gt $((200 * MIB)) ] || why+=("operator new is the leaf of only $v bytes")
	verdict cxx/operator_new "operator new is the leaf of $v bytes" "${why[@]}"
fi

# --- jemalloc and a static executable: the allocator is probed where it is -----------------
for w in heap_jemalloc heap_static; do
	run_heap "$w" --heap-rate 65536 -- "$WL/$w" main || continue
	prof=$E2E_TMP/$w/heap.pb.gz
	check_count "$w/retain" "$(heap_value "$prof" inuse_space retain_blocks)" $((64 * MIB)) 15 \
		"bytes in use by retain_blocks"
	check_count "$w/churn" "$(heap_value "$prof" alloc_space churn)" $((1024 * MIB)) 15 \
		"bytes allocated by churn"
done
grep -q 'probes in libjemalloc' "$E2E_TMP/heap_jemalloc.err" 2>/dev/null && pass heap_jemalloc/probed ||
	fail heap_jemalloc/probed "the summary does not name libjemalloc among the probed objects"

# --- -p at the default rate: attach to a running process ----------------------------------
# heap main wait: it allocates once it gets SIGUSR1, sent when cprof-bpf says it is
# profiling; the run ends when it exits (status 3).
start_bg target "$WL/heap" main wait
if ! wait_until 10 has_line "$E2E_TMP/target.log" '^waiting$'; then
	fail pid "heap main wait (pid $target) did not say it was waiting within 10 s"
	e2e_exit
fi
start_cprof_bg pid -t heap -o "$E2E_TMP/pid" -p "$target"
if wait_ready pid 60; then
	kill -USR1 "$target"
	wait_exit "$CPROF_PID" 120
else
	RC=not-ready
fi
prof=$E2E_TMP/pid/heap.pb.gz
if [ "$RC" != 3 ] || [ ! -s "$prof" ]; then
	show_err pid
	fail pid "cprof-bpf -p exited $RC (want 3: the target exited); heap.pb.gz $([ -s "$prof" ] && echo written || echo missing)"
else
	check_count pid/churn_alloc_space "$(heap_value "$prof" alloc_space churn)" $((1024 * MIB)) 15 \
		"bytes allocated by churn at the default rate"
	grep -q 'allocations made before cprof-bpf attached are not seen' "$E2E_TMP/pid.err" &&
		pass pid/summary_caveat || fail pid/summary_caveat "the -p summary does not say earlier allocations are not seen"
fi
e2e_exit

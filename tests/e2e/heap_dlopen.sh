#!/usr/bin/env bash
# Heap profile of a library loaded with dlopen after cprof-bpf started profiling -p: libheapdl
# brings its own allocator (mimalloc, bound to it by RTLD_DEEPBIND: jemalloc and tcmalloc
# cannot be dlopened, their thread-local storage is initial-exec), which the dynamic
# linker's dlopen hook makes cprof-bpf probe at once (build/workloads/heap_dlopen).
#
# main: 100 ms after dlopen, the library's dl_retain_blocks keeps 64 MiB in 64 KiB blocks,
# dl_churn allocates and frees 1 GiB in 4 KiB blocks; ±15% at --heap-rate 65536 (see
# heap.sh for the spread); -v must say the allocator was probed on the dlopen hook's word.
# early: at --heap-rate 1 every allocation is sampled; dl_early makes 4000 allocations of
# 1 KiB, one every 50 us from dlopen's return. Those made before the probes were in place
# are missed, inherently (the process does not wait for cprof-bpf): the test prints how
# many, and fails if the library's allocator was probed later than 100 ms after dlopen
# returned.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/heap.bash"
require_binary heap_dlopen
[ -f "$WL/libheapdl.so" ] || { fail setup "$WL/libheapdl.so is not built (run make test-build)"; exit 1; }
require_bpf
require_pprof

# dl_run NAME MODE RATE: heap_dlopen MODE under cprof-bpf -p at --heap-rate RATE; the
# workload dlopens its library once cprof-bpf says it is profiling. FAILs (returns 1)
# without a profile.
dl_run() {
	local name=$1 mode=$2 rate=$3
	start_bg wl "$WL/heap_dlopen" "$WL/libheapdl.so" "$mode"
	if ! wait_until 10 has_line "$E2E_TMP/wl.log" '^waiting$'; then
		fail "$name" "heap_dlopen $mode (pid $wl) did not say it was waiting within 10 s"
		return 1
	fi
	start_cprof_bg "$name" -v -t heap --heap-rate "$rate" -o "$E2E_TMP/$name" -p "$wl"
	if ! wait_ready "$name" 60; then
		grep -v '^libbpf' "$E2E_TMP/$name.err" | sed 's/^/    | /' | head -40
		fail "$name" "cprof-bpf did not start profiling"
		return 1
	fi
	kill -USR1 "$wl"
	wait_exit "$CPROF_PID" 120
	# 3: the -p target exited, which ends the run.
	if [ "$RC" -ne 3 ] || [ ! -s "$E2E_TMP/$name/heap.pb.gz" ]; then
		grep -v '^libbpf' "$E2E_TMP/$name.err" | sed 's/^/    | /' | head -40
		sed 's/^/    | /' "$E2E_TMP/wl.log"
		fail "$name" "cprof-bpf exited $RC; no heap.pb.gz"
		return 1
	fi
}

if dl_run main main 65536; then
	prof=$E2E_TMP/main/heap.pb.gz
	check_count main/retain "$(heap_value "$prof" inuse_space dl_retain_blocks)" $((64 * MIB)) 15 \
		"bytes in use by dl_retain_blocks (in the dlopened library)"
	check_count main/churn "$(heap_value "$prof" alloc_space dl_churn)" $((1024 * MIB)) 15 \
		"bytes allocated by dl_churn (in the dlopened library)"
	grep -q 'allocator probes in .*libmimalloc' "$E2E_TMP/main.err" && pass main/summary ||
		fail main/summary "the summary does not name libmimalloc (loaded by dlopen) among the probed objects"
	grep -q 'heap probes in libmimalloc.*mapped by dlopen' "$E2E_TMP/main.err" && pass main/hook ||
		fail main/hook "libmimalloc was not probed on the dlopen hook's word (-v: $(grep -m1 'heap probes in libmimalloc' "$E2E_TMP/main.err"))"
fi

if dl_run early early 1; then
	seen=$(heap_value "$E2E_TMP/early/heap.pb.gz" alloc_objects dl_early)
	missed=$((4000 - seen))
	why=()
	[ "$seen" -le 4000 ] || why+=("$seen allocations of dl_early seen, it made 4000")
	[ "$missed" -le 2000 ] || why+=("the library's allocator was probed more than 100 ms after dlopen returned")
	verdict early/missed "$missed of 4000 allocations missed: the first $((missed * 50)) us after dlopen returned ($(grep -m1 dlopen: "$E2E_TMP/wl.log"))" "${why[@]}"
fi
e2e_exit

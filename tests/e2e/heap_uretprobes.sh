#!/usr/bin/env bash
# The heap profile's fallback for kernels without uprobe sessions (< 6.13), forced with
# CPROF_HEAP_URETPROBES on this kernel: every allocating call gets a return probe, which must
# do nothing unless the entry sampled that very call. =1 uses uprobe_multi links (Linux
# 6.6+), =perf one perf-event uprobe per function. Retain/churn ground truth as in heap.sh,
# on glibc and on jemalloc (whose malloc probe sits past its entry), calloc/realloc/
# posix_memalign on glibc, and the summary must say which mode ran.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/heap.bash"
require_binary heap heap_jemalloc
require_bpf
require_pprof

for mode in 1 perf; do
	export CPROF_HEAP_URETPROBES=$mode
	for w in heap heap_jemalloc; do
		check_retain_churn "$mode-$w" "$w" || continue
		grep -q '^  heap: uretprobes (CPROF_HEAP_URETPROBES is set; .*): each allocation pays a return probe' \
			"$E2E_TMP/$mode-$w.err" && pass "$mode-$w/summary" ||
			fail "$mode-$w/summary" "the summary does not say return probes are in use"
	done
	# realloc chains: a sampled realloc's inner calls return first and must not take its
	# pointer; posix_memalign's pointer is read from memory at the return.
	check_kinds "$mode-kinds" heap
done
unset CPROF_HEAP_URETPROBES
# Without the variable: sessions on this kernel, and no such line.
if run_heap sessions --heap-rate 65536 -- "$WL/heap" main; then
	grep -q 'uretprobes' "$E2E_TMP/sessions.err" &&
		fail sessions/summary "the summary speaks of uretprobes although this kernel has uprobe sessions" ||
		pass sessions/summary
fi
e2e_exit

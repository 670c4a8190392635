#!/usr/bin/env bash
# Heap profiling overhead: build/workloads/mallocloop (malloc/free pairs of mixed sizes,
# 16 B .. 64 KiB) in ns per pair, median of RUNS runs each: without profiling, under
# `cprof-bpf -t heap` at the default --heap-rate (512 KiB), and under heaptrack (Debian) on
# the same loop. Target: ≤ 1.5 µs added per pair by cprof-bpf. Then the same loop with
# jemalloc, tcmalloc and mimalloc preloaded (LD_PRELOAD), without and with cprof-bpf: their
# probes sit where allocobj.c places them (-v prints it). A measurement, not a test: it
# prints figures and gates nothing. Needs root.
# Usage: tests/bench/heap_overhead.sh      (env: RUNS=5 PAIRS=1000000 CPU=0 CPROF=./cprof-bpf)
source "$(dirname "$0")/lib.bash"
RUNS=${RUNS:-5}
PAIRS=${PAIRS:-1000000}
require_bench mallocloop

# ns RUNNER...: mallocloop's ns/pair under RUNNER (may be empty), median of RUNS runs. The
# loop's CPU time (CPU=1: user + system, so probe traps count) is disturbed less than its wall
# clock by other load on the machine.
ns() {
	local i v=() field=1
	[ "${CPU:-0}" = 1 ] && field=2
	for ((i = 0; i < RUNS; i++)); do
		v+=("$("$@" "$WL/mallocloop" "$PAIRS" 2>/dev/null |
			sed -n 's/^mallocloop: .*, \([0-9.]*\) ns\/pair, \([0-9.]*\) cpu-ns\/pair$/\1 \2/p' |
			cut -d' ' -f"$field")")
	done
	printf '%s\n' "${v[@]}" | sort -n | awk '{ a[NR] = $1 } END { print (NR ? a[int((NR + 1) / 2)] : "") }'
}

base=$(ns)
cprof=$(ns "$CPROF" -t heap -o "$tmp/cprof" --)
printf 'baseline:             %8.1f ns/pair\n' "$base"
printf 'cprof-bpf -t heap:    %8.1f ns/pair  (+%.0f ns; target +1500)\n' "$cprof" \
	"$(awk -v a="$cprof" -v b="$base" 'BEGIN { print a - b }')"
if command -v heaptrack >/dev/null 2>&1; then
	ht=$(cd "$tmp" && ns heaptrack -o "$tmp/ht")
	if [ -n "$ht" ]; then
		printf 'heaptrack:            %8.1f ns/pair  (+%.0f ns)\n' "$ht" \
			"$(awk -v a="$ht" -v b="$base" 'BEGIN { print a - b }')"
	else
		echo "heaptrack:            SKIP (it ran but mallocloop printed nothing under it)"
	fi
else
	echo "heaptrack:            SKIP (not installed: apt-get install heaptrack)"
fi

# Other allocators, preloaded: cprof-bpf finds them in the maps after the exec.
libdir=/usr/lib/x86_64-linux-gnu
for a in jemalloc:libjemalloc.so.2 tcmalloc:libtcmalloc_minimal.so.4 mimalloc:libmimalloc.so.2; do
	name=${a%%:*} lib=$libdir/${a#*:}
	if [ ! -e "$lib" ]; then
		printf '%-22s SKIP (%s not installed)\n' "$name:" "$lib"
		continue
	fi
	b=$(ns env LD_PRELOAD="$lib")
	c=$(ns "$CPROF" -t heap -o "$tmp/cprof" -- env LD_PRELOAD="$lib")
	printf '%-22s %8.1f ns/pair, with cprof-bpf -t heap %8.1f ns/pair  (+%.0f ns)\n' "$name:" \
		"$b" "$c" "$(awk -v a="$c" -v b="$b" 'BEGIN { print a - b }')"
done

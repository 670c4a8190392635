#!/usr/bin/env bash
# Mutex profile overhead. Prints figures next to their targets (medians of PAIRS interleaved
# runs of SECS seconds each; a measurement, not a test: it gates nothing). Needs root.
#   1. uncontended lock/unlock loop (locks uncontended), ns per pair with -t mutex
#      vs without                                                      target ratio ≤ 1.01
#      and, for comparison, with uprobes on pthread_mutex_lock/unlock (bpftrace)
#   2. contended throughput (locks throughput: 4 threads, ~200 µs sections), sections/s
#      with -t mutex vs without                                        target ratio ≥ 0.95
#      and with the default set (cpu,block,mutex), and with bpftrace's uprobes
#   3. bystander: a syscall-heavy process (syscalls: read/write pairs) that is not profiled,
#      while -p profiles locks contend: pairs/s with vs without       target slowdown ≤ 2%
#      and pairs per CPU-second of the bystander, which other jobs on a shared machine
#      move far less than its wall-clock rate
#      The mutex profile hooks no syscall (sched_switch, sched_waking only). Another
#      process's syscall tracepoint (a block profile at sys_exit on kernels without task
#      works, any tracer) puts every syscall of the host on the slow path and shows here.
# Usage: tests/bench/mutex_overhead.sh   (env: PAIRS=3 SECS=3 CPROF=./cprof-bpf)
source "$(dirname "$0")/lib.bash"
PAIRS=${PAIRS:-3}
SECS=${SECS:-3}
LIBC=$(ldconfig -p | awk '/libc\.so\.6 .*x86-64/ { print $NF; exit }')
require_bench locks syscalls
BPFTRACE=$(command -v bpftrace)

# median < numbers
median() { sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b ? a / b : 0 }'; }

# field KEY < output: the number after "locks: KEY" (or "syscalls: N").
field() { sed -n "s/^locks: $1 \\([0-9.]*\\).*/\\1/p; s/^syscalls: \\([0-9]*\\) read.*/\\1/p" | head -1; }

# One run of locks MODE: plain, under cprof-bpf (-t TYPES), or under bpftrace uprobes.
plain() { taskset -c "$cpus" "$WL/locks" "$1" "$SECS" | field "$2"; }
profiled() {
	taskset -c "$cpus" "$CPROF" -t "$3" -o "$tmp/p" -- "$WL/locks" "$1" "$SECS" 2>"$tmp/p.err" |
		field "$2"
}
uprobed() {
	local prog="uprobe:$LIBC:pthread_mutex_lock { @lock[tid] = nsecs; }
		uprobe:$LIBC:pthread_mutex_unlock { @unlocks = count(); }"
	taskset -c "$cpus" "$BPFTRACE" -q -c "$WL/locks $1 $SECS" -e "$prog" 2>"$tmp/bt.err" |
		field "$2"
}

# compare NAME MODE KEY: PAIRS interleaved runs; prints medians and ratios.
compare() {
	local name=$1 mode=$2 key=$3 i base=() mx=() all=() up=() b m a u
	for ((i = 0; i < PAIRS; i++)); do
		base+=("$(plain "$mode" "$key")")
		mx+=("$(profiled "$mode" "$key" mutex)")
		[ "$mode" = throughput ] && all+=("$(profiled "$mode" "$key" cpu,block,mutex)")
		[ -n "$BPFTRACE" ] && up+=("$(uprobed "$mode" "$key")")
	done
	b=$(printf '%s\n' "${base[@]}" | median)
	m=$(printf '%s\n' "${mx[@]}" | median)
	echo "$name: $key without $b, with -t mutex $m: ratio $(ratio "$m" "$b")  (runs: ${base[*]} | ${mx[*]})"
	if [ ${#all[@]} -gt 0 ]; then
		a=$(printf '%s\n' "${all[@]}" | median)
		echo "$name: with cpu,block,mutex $a: ratio $(ratio "$a" "$b")"
	fi
	if [ ${#up[@]} -gt 0 ]; then
		u=$(printf '%s\n' "${up[@]}" | median)
		echo "$name: with bpftrace uprobes on pthread_mutex_lock/unlock $u: ratio $(ratio "$u" "$b")"
	else
		echo "$name: uprobe comparison SKIPPED: bpftrace is not installed (apt-get install bpftrace)"
	fi
}

echo "mutex_overhead: $(nproc) CPUs, $PAIRS pairs of $SECS s runs, libc $LIBC"
# 1. One thread: pinned to the last CPU.
cpus=$(($(nproc) - 1))
compare "uncontended (target ratio ≤ 1.01)" uncontended ns_per_pair
# 2. The contended workload may use every CPU.
cpus=0-$(($(nproc) - 1))
compare "contended (target ratio ≥ 0.95)" throughput sections_per_s

# 3. Bystander on the last CPU, the profiled process on the others (or all, on 1 CPU).
by_cpu=$(($(nproc) - 1))
other=0-$((by_cpu > 0 ? by_cpu - 1 : 0))
bystander() { # TYPES, or "" for no profiler
	local target prof out cpu
	taskset -c "$other" "$WL/locks" contend $((SECS + 3)) >/dev/null &
	target=$!
	pids+=("$target")
	if [ -n "$1" ]; then
		taskset -c "$other" "$CPROF" -t "$1" -p "$target" -o "$tmp/by" >/dev/null 2>"$tmp/by.err" &
		prof=$!
		pids+=("$prof")
	fi
	sleep 1.5
	# Pairs per CPU-second of the bystander too: other jobs on its CPU take wall time
	# from it, not CPU time per syscall.
	cpu=$( { TIMEFORMAT='%U %S'; time taskset -c "$by_cpu" "$WL/syscalls" "$SECS" >"$tmp/sc.out"; } 2>&1 )
	out=$(field x <"$tmp/sc.out")
	wait "$target" 2>/dev/null
	[ -n "$1" ] && wait "$prof" 2>/dev/null
	awk -v n="$out" -v c="$cpu" 'BEGIN { split(c, t, " "); printf "%d %.0f\n", n, n / (t[1] + t[2] + 1e-9) }'
}
by_base=() by_mx=() by_all=()
for ((i = 0; i < PAIRS; i++)); do
	by_base+=("$(bystander "")")
	by_mx+=("$(bystander mutex)")
	by_all+=("$(bystander cpu,block,mutex)")
done
# col N < "pairs per_cpu_s" lines
col() { awk -v n="$1" '{ print $n }'; }
b=$(printf '%s\n' "${by_base[@]}" | col 1 | median)
m=$(printf '%s\n' "${by_mx[@]}" | col 1 | median)
a=$(printf '%s\n' "${by_all[@]}" | col 1 | median)
echo "bystander (target ratio ≥ 0.98): read/write pairs in $SECS s without $b, while -p -t mutex profiles another $m: ratio $(ratio "$m" "$b")  (runs: $(printf '%s\n' "${by_base[@]}" | col 1 | tr '\n' ' ')| $(printf '%s\n' "${by_mx[@]}" | col 1 | tr '\n' ' '))"
echo "bystander: while -p with cpu,block,mutex (the default set) $a: ratio $(ratio "$a" "$b")"
b=$(printf '%s\n' "${by_base[@]}" | col 2 | median)
m=$(printf '%s\n' "${by_mx[@]}" | col 2 | median)
a=$(printf '%s\n' "${by_all[@]}" | col 2 | median)
echo "bystander, per CPU-second of its own (target ratio ≥ 0.98): pairs without $b, with -p -t mutex $m: ratio $(ratio "$m" "$b"); with the default set $a: ratio $(ratio "$a" "$b")"

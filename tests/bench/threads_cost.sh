#!/usr/bin/env bash
# The cost of one `cprof-bpf stacks` snapshot of a process with 1,000 threads (996 sleeping
# in nanosleep, 4 spinning at nice 19: tests/workloads/manythreads.c), beside `eu-stack -p`
# on the same process. Per tool: the CPU time (user + sys) of the whole process, its wall
# time, and the longest time the target stood still while it ran: the spinners read the
# clock every round and log each gap of over 1 ms between rounds in a shared mapping
# (tests/workloads/manythreads.c); the longest gap inside the tool's run is how long the
# process was stopped (eu-stack attaches to every thread with ptrace, stopping it, until it
# has read them all; we stop none). Its floor, the longest gap in a window of the same
# length with no tool running (the spinners share 2 CPUs at nice 19), is printed beside it. For ours also the snapshot alone, from -v's timing line: the iterator's read
# (the BPF programs run in its system time) and the symbolization and grouping after it.
# Then -t threads over 3 s: the CPU of each snapshot in a run (read and aggregation). And
# the fixed cost, the same command on a process of 2 threads (the BPF objects' load, the
# symbolizer's first open of each object's debug info), and what 1,000 threads add.
# Our runs share a cache directory of their own: the first, with it empty, is shown apart;
# it builds the unwind tables and keeps an uncompressed copy of libc's debuginfo (Debian's
# libc6-dbg ships it zlib-compressed, which libdw would inflate whole, ~45 ms, every run).
# Goal: one snapshot <= 50 ms of CPU. Medians of RUNS rounds, each round both tools once.
# The machine's load average is printed first: figures are noisy on a shared machine.
# A measurement: it prints figures and gates nothing. Needs root; eu-stack for its column.
# Usage: tests/bench/threads_cost.sh   (env: RUNS=5 THREADS=1000 SPIN=4 CPROF=./cprof-bpf)
source "$(dirname "$0")/lib.bash"
RUNS=${RUNS:-5}
THREADS=${THREADS:-1000}
SPIN=${SPIN:-4}
GOAL_MS=50
require_bench manythreads
have_eu=1
command -v eu-stack >/dev/null || have_eu=0

"$WL/manythreads" "$THREADS" "$SPIN" 3600 "$tmp/counter" >"$tmp/wl.log" 2>&1 &
target=$!
pids+=("$target")
for _ in $(seq 200); do
	grep -q '^manythreads: pid [0-9]* ready$' "$tmp/wl.log" && break
	sleep 0.05
done
grep -q 'ready$' "$tmp/wl.log" || die "manythreads did not start its $THREADS threads"

# stall T0 T1: the longest gap of the spinners (ms) inside T0..T1 (ms), from the target's
# log: the part of each logged gap that falls in the window.
stall() {
	od -An -tu8 -w16 -j64 -v "$tmp/counter" | awk -v t0="$1" -v t1="$2" '
		$2 > 0 { s = $1 / 1e6; e = $2 / 1e6; if (s < t0) s = t0; if (e > t1) e = t1
			if (e - s > w) w = e - s }
		END { printf "%.1f", w + 0 }'
}

# run_timed OUT CMD...: CMD's user+sys and wall ms into OUT's "cpu wall" line; its stderr in
# OUT.err; then the longest stall of the target while it ran, appended.
run_timed() {
	local out=$1 t0 t1 times
	shift
	t0=$(date +%s%3N)
	times=$( { TIMEFORMAT='%3U %3S %3R'; time "$@" >/dev/null 2>"$out.err"; } 2>&1 )
	t1=$(date +%s%3N)
	sleep 0.05
	read -r u s r <<<"$times"
	echo "$(awk -v u="$u" -v s="$s" -v r="$r" 'BEGIN { printf "%.1f %.1f", (u + s) * 1000, r * 1000 }') $(stall "$t0" "$t1")"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'; }

echo "$BENCH: $THREADS threads ($SPIN spinning), $RUNS rounds; load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
# The floors: the longest gap in a second with no tool running, and in 0.25 s while a busy
# loop takes one CPU as a tool does while it runs (the spinners then share the other).
f0=$(date +%s%3N)
sleep 1
floor=$(stall "$f0" "$(date +%s%3N)")
busy=$(run_timed "$tmp/b" timeout 0.25 sh -c 'while :; do :; done' | awk '{ print $3 }')
floor="$floor ms idle, $busy ms beside a busy CPU"
export CPROF_CACHE_DIR=$tmp/cache
snap_re='s/.*snapshot: \([0-9]*\) threads read in \([0-9.]*\) ms (CPU \([0-9.]*\) ms), symbolized and grouped in \([0-9.]*\) ms (CPU \([0-9.]*\) ms).*/\1 \2 \3 \4 \5/p'
cold=$(run_timed "$tmp/c" "$CPROF" stacks -p "$target" -v)
cold="$cold $(sed -n "$snap_re" "$tmp/c.err")"
: >"$tmp/ours"
: >"$tmp/eu"
for i in $(seq "$RUNS"); do
	r=$(run_timed "$tmp/o" "$CPROF" stacks -p "$target" -v)
	snap=$(sed -n "$snap_re" "$tmp/o.err")
	[ -n "$snap" ] || die "no timing line from cprof-bpf stacks -v: $(grep -v '^libbpf' "$tmp/o.err" | head -3)"
	echo "$r $snap" >>"$tmp/ours"
	if [ "$have_eu" = 1 ]; then
		run_timed "$tmp/e" eu-stack -p "$target" >>"$tmp/eu"
	fi
done
col() { awk -v c="$2" '{ print $c }' "$1" | median; }
threads=$(col "$tmp/ours" 4)
snap_cpu=$(awk '{ print $6 + $8 }' "$tmp/ours" | median)
echo "cprof-bpf stacks: $threads threads per snapshot"
printf '  whole process      CPU %7.1f ms   wall %7.1f ms   target stood still at most %s ms (floor %s)\n' \
	"$(col "$tmp/ours" 1)" "$(col "$tmp/ours" 2)" "$(col "$tmp/ours" 3)" "$floor"
printf '  snapshot alone     CPU %7.1f ms   (read %.1f ms CPU / %.1f ms wall; symbolize+group %.1f ms CPU)   goal <= %d ms: %s\n' \
	"$snap_cpu" "$(col "$tmp/ours" 6)" "$(col "$tmp/ours" 5)" "$(col "$tmp/ours" 8)" "$GOAL_MS" \
	"$(awk -v v="$snap_cpu" -v g="$GOAL_MS" 'BEGIN { print v <= g ? "met" : "missed" }')"
printf '  the first, cache empty   CPU %7.1f ms whole process, snapshot alone %.1f ms (symbolize+group %.1f ms): %s\n' \
	"$(awk '{ print $1 }' <<<"$cold")" "$(awk '{ print $6 + $8 }' <<<"$cold")" \
	"$(awk '{ print $8 }' <<<"$cold")" "$(grep -o 'debuginfo cache: .*' "$tmp/c.err" | head -1)"
# The fixed cost: a process of two threads (main and one sleeper) in the same places.
"$WL/manythreads" 1 0 3600 "$tmp/counter1" >"$tmp/wl1.log" 2>&1 &
small=$!
pids+=("$small")
for _ in $(seq 100); do grep -q 'ready$' "$tmp/wl1.log" && break; sleep 0.05; done
: >"$tmp/small"
for i in $(seq "$RUNS"); do
	r=$(run_timed "$tmp/s" "$CPROF" stacks -p "$small" -v)
	snap=$(sed -n "$snap_re" "$tmp/s.err")
	echo "$r ${snap:-0 0 0 0 0}" >>"$tmp/small"
done
small_snap=$(awk '{ print $6 + $8 }' "$tmp/small" | median)
printf '  2 threads          CPU %7.1f ms whole process, snapshot alone %.1f ms: what %s threads add, %.1f ms whole, %.1f ms snapshot\n' \
	"$(col "$tmp/small" 1)" "$small_snap" "$threads" \
	"$(awk -v a="$(col "$tmp/ours" 1)" -v b="$(col "$tmp/small" 1)" 'BEGIN { print a - b }')" \
	"$(awk -v a="$snap_cpu" -v b="$small_snap" 'BEGIN { print a - b }')"
if [ "$have_eu" = 1 ]; then
	printf 'eu-stack -p\n  whole process      CPU %7.1f ms   wall %7.1f ms   target stood still at most %s ms (floor %s)\n' \
		"$(col "$tmp/eu" 1)" "$(col "$tmp/eu" 2)" "$(col "$tmp/eu" 3)" "$floor"
else
	echo "eu-stack: not installed (apt-get install elfutils)"
fi
# In a run (-t threads), the snapshots after the first one pay neither the start nor the
# symbolizer's: the iterator's read and the aggregation, per snapshot, from the summary.
"$CPROF" -t threads -p "$target" -d 3 --threads-interval 0.5 -o "$tmp/run" >/dev/null 2>"$tmp/run.err"
each=$(sed -n 's/^cprof-bpf: threads: \([0-9]*\) snapshots every .*, \([0-9.]*\) ms each (CPU \([0-9.]*\) ms)$/\1 snapshots: \2 ms wall, \3 ms CPU each/p' "$tmp/run.err")
printf -- '-t threads (3 s at 0.5 s)\n  per snapshot       %s   goal <= %d ms\n' "${each:-no summary line}" "$GOAL_MS"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# What cprof-bpf holds when its stack table is full: the bound of a long run's memory. A run
# keeps every distinct stack of the processes it watches until they are released (exited,
# past --max-exited); a long-lived process keeps adding the stacks it had not shown yet, so
# a run of weeks ends at the table's limit, --max-stacks (default 100000), whatever the
# soak's 30 minutes show (tests/bench/soak.sh). manystacks gives nearly every sample a new
# stack (random paths 8 calls deep through 8 functions: 8^8 of them), sampled at -F 999 on
# two threads, so the table fills in a minute or two. Prints cprof-bpf's RSS every 5 s, the RSS
# before the first stack (the floor), the peak against the soak's goal of 64 MiB, the bytes
# per stack, and the samples the full table turned away.
# A measurement: it prints figures and gates nothing. Needs root.
# Usage: tests/bench/stack_limit.sh   (env: MAX_STACKS=100000 SECS=120 CPROF=./cprof-bpf)
source "$(dirname "$0")/lib.bash"
MAX_STACKS=${MAX_STACKS:-100000}
SECS=${SECS:-120}
GOAL_MIB=64
require_bench manystacks

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

"$WL/manystacks" $((SECS + 15)) 2 >/dev/null 2>&1 &
work=$!
pids+=("$work")
"$CPROF" -t cpu -F 999 --max-stacks "$MAX_STACKS" -p "$work" -d "$SECS" -o "$tmp/out" \
	>/dev/null 2>"$tmp/cprof.err" &
cprof=$!
pids+=("$cprof")
for ((i = 0; i < 150; i++)); do
	grep -q '^cprof-bpf: profiling' "$tmp/cprof.err" && break
	kill -0 "$cprof" 2>/dev/null || die "cprof-bpf exited: $(head -3 "$tmp/cprof.err")"
	sleep 0.1
done
floor=$(rss_kib "$cprof")
echo "stack table at its limit — $(uname -r), manystacks (2 threads, 8^8 paths) at -F 999, --max-stacks $MAX_STACKS"
printf '  %6s %10s\n' "t (s)" "RSS MiB"
peak=$floor
for ((t = 5; t < SECS; t += 5)); do
	sleep 5
	kill -0 "$cprof" 2>/dev/null || break
	r=$(rss_kib "$cprof")
	[ -n "$r" ] || break
	[ "$r" -gt "$peak" ] && peak=$r
	printf '  %6d %10s\n' "$t" "$(mib "$r")"
done
# Writing the profiles (every stack symbolized and encoded) is the run's peak: VmHWM until
# it exits.
hwm=$peak
while kill -0 "$cprof" 2>/dev/null; do
	h=$(hwm_kib "$cprof")
	[ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
	sleep 0.1
done
wait "$cprof"
full=$(grep -o '[0-9]* samples in \[stack table full\]' "$tmp/cprof.err" | head -1)
echo
verdict() { awk -v k="$1" -v g="$GOAL_MIB" 'BEGIN { print (k / 1024 <= g ? "met" : "NOT met") }'; }
echo "  floor (before any stack): $(mib "$floor") MiB"
echo "  collecting, the table full: $(mib "$peak") MiB, goal <= $GOAL_MIB MiB: $(verdict "$peak")"
echo "  per stack: $(awk -v a="$floor" -v b="$peak" -v n="$MAX_STACKS" \
	'BEGIN { printf "%.0f", (b - a) * 1024 / n }') bytes (that minus the floor, over --max-stacks)"
echo "  writing the profiles at the end (VmHWM): $(mib "$hwm") MiB: $(verdict "$hwm")"
echo "  table full: ${full:-no [stack table full] samples: the limit was not reached (raise SECS)}"

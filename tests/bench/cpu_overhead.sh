#!/usr/bin/env bash
# CPU profiling overhead, whole host at 99 Hz. Prints three figures next to their targets:
#   1. slowdown of a fixed amount of CPU work (build/workloads/fixedwork, pinned to one CPU),
#      median of PAIRS interleaved runs without / with the profiler        target ≤ 1%
#   2. the profiler's own CPU time and peak RSS over a SECS-second run
#      on a host with every CPU busy (spin_one, spin_two)            target ≤ 1% of a core, ≤ 64 MiB
#   3. the BPF programs' cost per run (kernel.bpf_stats_enabled, bpftool prog show)
# A measurement, not a test: it prints figures and gates nothing. Needs root.
# Usage: tests/bench/cpu_overhead.sh      (env: PAIRS=5 SECS=30 HZ=99 TYPES=cpu CPROF=./cprof-bpf)
# TYPES=cpu measures the CPU profile alone (the targets are its own); TYPES=cpu,block the default.
source "$(dirname "$0")/lib.bash"
PAIRS=${PAIRS:-5}
SECS=${SECS:-30}
HZ=${HZ:-99}
TYPES=${TYPES:-cpu}
require_bench fixedwork spin_one spin_two

now_ns() { date +%s%N; }

# The last CPU runs the work; the profiler and everything else may use the others.
cpu=$(($(nproc) - 1))

# timed_work: wall-clock nanoseconds of one fixedwork run on $cpu.
timed_work() {
	local t0
	t0=$(now_ns)
	taskset -c "$cpu" "$WL/fixedwork" || die "fixedwork failed"
	echo $(($(now_ns) - t0))
}

# start_profiler NAME: whole host at $HZ in the background, pid in $prof_pid; waits until
# it is sampling (its first second of setup is not part of what is timed).
# Job control on while it starts, so that it does not inherit SIGINT ignored.
start_profiler() {
	set -m
	"$CPROF" -t "$TYPES" -F "$HZ" -o "$tmp/$1" >/dev/null 2>"$tmp/$1.err" &
	prof_pid=$!
	set +m
	pids+=("$prof_pid")
	sleep 1.5
	kill -0 "$prof_pid" 2>/dev/null || die "cprof-bpf exited early: $(head -1 "$tmp/$1.err")"
}

echo "cprof-bpf CPU overhead — $(uname -r), $(nproc) CPUs, $HZ Hz, whole host"
echo

# 1. Slowdown of fixed work, interleaved so that drifts (frequency, noisy neighbours) hit
# both sides alike. A warm-up run first (page cache, CPU frequency).
timed_work >/dev/null
ratios=()
for ((i = 1; i <= PAIRS; i++)); do
	base=$(timed_work)
	start_profiler "pair$i"
	with=$(timed_work)
	stop_int "$prof_pid"
	ratio=$(awk -v a="$with" -v b="$base" 'BEGIN { printf "%.5f", a / b }')
	ratios+=("$ratio")
	printf '  pair %d: without %.3f s, with %.3f s, ratio %s\n' "$i" \
		"$(awk -v n="$base" 'BEGIN { print n / 1e9 }')" \
		"$(awk -v n="$with" 'BEGIN { print n / 1e9 }')" "$ratio"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END {
	print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
slow=$(awk -v m="$median" 'BEGIN { printf "%+.2f", (m - 1) * 100 }')
verdict=$(awk -v m="$median" 'BEGIN { print (m - 1) * 100 <= 1 ? "ok" : "OVER" }')
printf '1. fixed-work slowdown: %s%% (median ratio %s of %d pairs)   target ≤ 1%%   %s\n\n' \
	"$slow" "$median" "$PAIRS" "$verdict"

# 2 and 3. A SECS-second whole-host run with every CPU busy, under /usr/bin/time for the
# profiler's CPU time and peak RSS; BPF run-time statistics read near its end.
for ((i = 0; i < $(nproc); i++)); do
	w=spin_one
	((i % 2)) && w=spin_two
	"$WL/$w" $((SECS + 10)) >/dev/null &
	pids+=("$!")
done
stats_before=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1 || echo "  (cannot enable kernel.bpf_stats_enabled)"
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f '%U %S %M %e' -o "$tmp/time" "$CPROF" -t "$TYPES" -F "$HZ" -d "$SECS" \
		-o "$tmp/long" >/dev/null 2>"$tmp/long.err" &
else
	echo "  (/usr/bin/time is missing: apt-get install time; CPU and RSS not measured)"
	"$CPROF" -t "$TYPES" -F "$HZ" -d "$SECS" -o "$tmp/long" >/dev/null 2>"$tmp/long.err" &
fi
runner=$!
pids+=("$runner")
sleep 2
cprof_pid=$(pgrep -P "$runner" -x cprof-bpf || echo "$runner")
# Steady state: CPU ticks between 2 s in and 3 s before the end (no start-up, no writing).
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$cprof_pid/stat" 2>/dev/null; }
t_a=$(ticks) ms_a=$(now_ns)
sleep $((SECS > 6 ? SECS - 5 : 1))
t_b=$(ticks) ms_b=$(now_ns)
bpftool prog show >"$tmp/progs" 2>&1
wait "$runner"
rc=$?
[ "$rc" -eq 0 ] || echo "  cprof-bpf exited $rc: $(head -1 "$tmp/long.err")"

if [ -s "$tmp/time" ]; then
	read -r user sys rss_kib wall < <(tail -1 "$tmp/time")
	own=$(awk -v u="$user" -v s="$sys" -v w="$wall" 'BEGIN { printf "%.2f", 100 * (u + s) / w }')
	rss=$(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')
	printf '2. own CPU: %s%% of one core (user %ss + sys %ss over %ss, start-up and symbolization included)   target ≤ 1%%   %s\n' \
		"$own" "$user" "$sys" "$wall" "$(awk -v o="$own" 'BEGIN { print o <= 1 ? "ok" : "OVER" }')"
	if [ -n "$t_a" ] && [ -n "$t_b" ]; then
		printf '   steady state (from 2 s to %d s): %s%% of one core\n' $((SECS - 3)) \
			"$(awk -v a="$t_a" -v b="$t_b" -v t="$(getconf CLK_TCK)" -v n=$((ms_b - ms_a)) \
				'BEGIN { printf "%.2f", 100 * (b - a) / t / (n / 1e9) }')"
	fi
	printf '   peak RSS: %s MiB   target ≤ 64 MiB   %s\n' \
		"$rss" "$(awk -v r="$rss" 'BEGIN { print r <= 64 ? "ok" : "OVER" }')"
fi
summary=$(grep -m1 -E 'samples' "$tmp/long.err")
[ -n "$summary" ] && echo "   cprof-bpf said: $summary"
echo

# bpftool's text output: "ID: TYPE  name NAME  ... run_time_ns N run_cnt M", then indented
# lines, one of which is "pids cprof-bpf(PID)". Keep the programs of our process; without
# pid information, the ones named cprof* or on_*.
echo "3. BPF programs of cprof-bpf (pid $cprof_pid), cost per run:"
haspids=0
grep -Eq '^[[:space:]]+pids ' "$tmp/progs" && haspids=1
awk -v pid="$cprof_pid" -v haspids="$haspids" '
	function emit() {
		if (id != "" && (mine || (!haspids && name ~ /^(cprof|on_)/)))
			printf "   %-24s %-12s runs %10d  total %8.2f ms  %7.0f ns/run\n", name, type,
				cnt, ns / 1e6, cnt ? ns / cnt : 0
	}
	/^[0-9]+: / {
		emit()
		id = $1; type = $2; name = ""; ns = 0; cnt = 0; mine = 0
		for (i = 3; i < NF; i++) {
			if ($i == "name") name = $(i + 1)
			if ($i == "run_time_ns") ns = $(i + 1)
			if ($i == "run_cnt") cnt = $(i + 1)
		}
		next
	}
	/^[ \t]+pids / { if (index($0, "(" pid ")")) mine = 1 }
	END { emit() }' "$tmp/progs" >"$tmp/mine"
if [ -s "$tmp/mine" ]; then
	cat "$tmp/mine"
else
	echo "   (none found; bpftool said: $(head -1 "$tmp/progs"))"
fi

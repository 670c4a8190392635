#!/usr/bin/env bash
# Attach time: from cprof-bpf's launch to its "profiling" line, the moment from which the
# profiles cover the run, for -p with all four kinds, each kind alone, and -- COMMAND (there
# from launch until the command runs: bash prints $EPOCHREALTIME, which adds its own start,
# a few ms). Beside it, perf record -g -p on the same process: from launch to its first
# sample (sample times in CLOCK_REALTIME). Medians of RUNS rounds; each round measures every
# figure once, one after another, so that load on the machine falls on all alike.
# BASE=/other/cprof-bpf adds a column for another build, measured in the same rounds.
# SCHED=fifo runs the profilers (and this script's timing) under SCHED_FIFO: on a machine
# that other work keeps busy, that gives the figures of an idle one (the kernel's real-time
# throttling still leaves the others 5%).
# A measurement: it prints figures and gates nothing. Needs root; perf for its column.
# Usage: tests/bench/attach.sh      (env: RUNS=5 CPROF=./cprof-bpf BASE= SCHED=)
if [ "${SCHED:-}" = fifo ] && [ -z "${ATTACH_FIFO:-}" ]; then
	ATTACH_FIFO=1 exec chrt -f 10 "$0" "$@"
fi
source "$(dirname "$0")/lib.bash"
RUNS=${RUNS:-5}
BASE=${BASE:-}
GOAL_MS=200
require_bench spin_one
[ -z "$BASE" ] || [ -x "$BASE" ] || die "BASE=$BASE is not an executable"
have_perf=1
command -v perf >/dev/null || have_perf=0

# The target spins at the lowest priority (never real-time): it takes no CPU from a starting
# profiler, and runs whenever a CPU is idle, so that perf's first sample does not wait for it.
chrt -o 0 nice -n 19 "$WL/spin_one" 3600 >/dev/null &
target=$!
pids+=("$target")
sleep 0.3
mkfifo "$tmp/err"

# ms_since T0: milliseconds from T0 (an $EPOCHREALTIME) to now.
ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }

# attach BIN ARGS...: ms from launching BIN ARGS (-o and a bound duration added) to its
# "profiling" line; it is then stopped with SIGINT. With "--" in ARGS, the command must print
# $EPOCHREALTIME-style seconds first, and ends the run: the figure is from launch to then.
attach() {
	local bin=$1 t0 line ms='' p start command=0
	shift
	[[ " $* " == *" -- "* ]] && command=1
	: >"$tmp/all.err"
	t0=$EPOCHREALTIME
	"$bin" -o "$tmp/out" -d 30 "$@" >"$tmp/cmd.out" 2>"$tmp/err" &
	p=$!
	while IFS= read -r line; do
		if [ -z "$ms" ] && [[ $line == "cprof-bpf: profiling "* ]]; then
			ms=$(ms_since "$t0")
			((command)) || kill -INT "$p" 2>/dev/null
		fi
		echo "$line" >>"$tmp/all.err"
	done <"$tmp/err"
	wait "$p"
	[ -n "$ms" ] || die "$bin $*: no profiling line: $(grep -m1 cprof-bpf: "$tmp/all.err")"
	if ((command)); then
		start=$(head -1 "$tmp/cmd.out")
		[ -n "$start" ] || die "$bin $*: the command printed nothing"
		ms=$(awk -v a="$t0" -v b="$start" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
	fi
	echo "$ms"
}

# perf_first: ms from launching perf record -g -p on the target to its first sample (sample
# times in CLOCK_REALTIME, as $EPOCHREALTIME).
perf_first() {
	local t0 first
	t0=$EPOCHREALTIME
	perf record -q -k realtime -g -p "$target" -o "$tmp/perf.data" -- sleep 0.3 \
		>/dev/null 2>&1 || { echo -; return; }
	first=$(perf script -F time -i "$tmp/perf.data" 2>/dev/null | head -1 | tr -d ': ')
	[ -n "$first" ] || { echo -; return; }
	awk -v a="$t0" -v b="$first" 'BEGIN { printf "%.1f", (b - a) * 1000 }'
}

# The cases: a label, then cprof-bpf's arguments.
labels=("-p, all four kinds" "-p, cpu" "-p, block" "-p, mutex" "-p, heap" "-- COMMAND, all four")
args=("-p $target" "-p $target -t cpu" "-p $target -t block" "-p $target -t mutex"
	"-p $target -t heap" "-- bash -c 'echo \$EPOCHREALTIME'")

load0=$(cut -d' ' -f1-3 /proc/loadavg)
bins=("$CPROF")
[ -n "$BASE" ] && bins+=("$BASE")
declare -A got
for ((r = 0; r < RUNS; r++)); do
	for ((c = 0; c < ${#labels[@]}; c++)); do
		for ((b = 0; b < ${#bins[@]}; b++)); do
			eval "set -- ${args[c]}"
			got[$b,$c]+="$(attach "${bins[b]}" "$@") "
		done
	done
	((have_perf)) && got[perf]+="$(perf_first) "
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'; }

echo "cprof-bpf attach time — $(uname -r), $(nproc) CPUs, load average $load0 before," \
	"$(cut -d' ' -f1-3 /proc/loadavg) after${ATTACH_FIFO:+; profilers under SCHED_FIFO}"
echo "median of $RUNS, ms from launch to the 'profiling' line (-- COMMAND: to the command's start)"
printf "  %-22s %10s" "" "$(basename "$CPROF")"
[ -n "$BASE" ] && printf " %10s" "BASE"
echo
for ((c = 0; c < ${#labels[@]}; c++)); do
	printf "  %-22s %10s" "${labels[c]}" "$(echo "${got[0,$c]}" | median)"
	[ -n "$BASE" ] && printf " %10s" "$(echo "${got[1,$c]}" | median)"
	[ "$c" = 0 ] && printf "   goal %d" "$GOAL_MS"
	echo
done
if ((have_perf)); then
	echo "  perf record -g -p: launch to its first sample $(echo "${got[perf]}" | median) ms" \
		"(default frequency, the same process, same rounds)"
else
	echo "  perf record: not installed, no comparison"
fi
echo "  each round, -p with all four kinds: ${got[0,0]}"
[ -n "$BASE" ] && echo "  BASE: ${got[1,0]}"
exit 0

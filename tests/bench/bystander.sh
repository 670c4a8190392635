#!/usr/bin/env bash
# What profiling one process costs a process that is NOT profiled: the bystander is
# build/workloads/pingpong (two threads bouncing a byte through pipes on the last CPU, so
# every hop blocks, wakes the other thread and switches: the worst case for programs that
# run at context switches and wake-ups), measured by its own CPU time per round trip, while
# a profiler watches another process (offcpu, its threads pinned to CPU 0: waits every
# 50 ms and a CPU burner). Configurations: cprof-bpf -p TARGET with -t block, -t mutex,
# -t block,mutex, -t cpu and the default set; and libbpf-tools' offcputime -p TARGET
# (installed with apt-get if missing). Each cycle runs, per configuration, an interleaved
# pair: pingpong without a profiler, then with it; the ratio of the pair's CPU times is that cycle's
# figure. Prints per configuration the median ratio, the ratio of the fastest runs, and the
# load average, next to the goal: ≤ 1.01.
# A measurement, not a test: it prints figures and gates nothing. Needs root.
# Usage: tests/bench/bystander.sh
#   (env: CYCLES=5 ROUNDS=200000 CPROF=./cprof-bpf, OFFCPUTIME=0 to leave offcputime out)
source "$(dirname "$0")/lib.bash"
CYCLES=${CYCLES:-5}
ROUNDS=${ROUNDS:-200000}
require_bench pingpong offcpu
command -v taskset >/dev/null || die "taskset is missing (util-linux)"

offcpu_tool=$(find_offcputime) # lib.bash
if [ "${OFFCPUTIME:-1}" = 0 ]; then
	offcpu_tool=
elif [ -z "$offcpu_tool" ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q libbpf-tools >"$tmp/apt.log" 2>&1 &&
		offcpu_tool=$(find_offcputime)
	[ -n "$offcpu_tool" ] || echo "SKIP: offcputime: libbpf-tools could not be installed"
fi

configs=(block mutex both cpu default)
[ -n "$offcpu_tool" ] && configs+=(offcputime)
label() {
	case $1 in
	default) echo "cprof-bpf -p (default kinds)" ;;
	both) echo "cprof-bpf -t block,mutex -p" ;;
	offcputime) echo "offcputime -p (libbpf-tools)" ;;
	*) echo "cprof-bpf -t $1 -p" ;;
	esac
}

# The target, its threads on CPU 0; pingpong pins itself to the last CPU.
last=$(($(nproc) - 1))
[ "$last" -gt 0 ] || die "needs two CPUs (the target and the bystander on different ones)"
taskset -c 0 "$WL/offcpu" 100000 >"$tmp/target.out" 2>&1 &
target=$!
pids+=("$target")
sleep 0.5

# start_tool CONFIG NAME: the profiler on the target, in the background, pinned to CPU 0
# with it; returns once attached (cprof-bpf's "profiling" line; offcputime: 2 s).
start_tool() {
	local cfg=$1 name=$2 i
	set -m
	case $cfg in
	offcputime) taskset -c 0 "$offcpu_tool" -p "$target" >"$tmp/$name.out" 2>"$tmp/$name.err" & ;;
	default) taskset -c 0 "$CPROF" -v -p "$target" -o "$tmp/$name" >/dev/null 2>"$tmp/$name.err" & ;;
	both) taskset -c 0 "$CPROF" -v -t block,mutex -p "$target" -o "$tmp/$name" >/dev/null \
		2>"$tmp/$name.err" & ;;
	*) taskset -c 0 "$CPROF" -v -t "$cfg" -p "$target" -o "$tmp/$name" >/dev/null 2>"$tmp/$name.err" & ;;
	esac
	tool_pid=$!
	set +m
	pids+=("$tool_pid")
	for ((i = 0; i < 200; i++)); do
		sleep 0.1
		kill -0 "$tool_pid" 2>/dev/null || die "$cfg exited early: $(head -1 "$tmp/$name.err")"
		if [ "$cfg" = offcputime ]; then [ "$i" -ge 20 ] && break
		elif grep -q '^cprof-bpf: profiling' "$tmp/$name.err"; then break; fi
	done
	sleep 0.5
}

# pp: one pingpong run; prints its CPU ns per round trip.
pp() {
	"$WL/pingpong" "$ROUNDS" >"$tmp/pp.out" 2>&1 || die "pingpong failed: $(cat "$tmp/pp.out")"
	sed -n 's/.*, \([0-9]*\) cpu ns per round trip$/\1/p' "$tmp/pp.out"
}

median() { sort -n | awk '{ v[NR] = $1 } END {
	if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
min_of() { sort -n | head -1; }

echo "bystander cost — $(uname -r), $(nproc) CPUs, pingpong $ROUNDS round trips on CPU $last," \
	"target offcpu (pid $target) on CPU 0, $CYCLES cycles"
pp >/dev/null # warm-up
declare -A off on ratio
loads=()
for ((c = 0; c < CYCLES; c++)); do
	line="  cycle $((c + 1)) (cpu ns/trip off/on):"
	for cfg in "${configs[@]}"; do
		a=$(pp)
		start_tool "$cfg" "c$c-$cfg"
		b=$(pp)
		stop_int "$tool_pid"
		off[$cfg]+="$a "
		on[$cfg]+="$b "
		ratio[$cfg]+="$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f", b / a }') "
		line="$line $cfg=$a/$b"
	done
	loads+=("$(cut -d' ' -f1 /proc/loadavg)")
	echo "$line"
done
echo
echo "  per configuration: the bystander's CPU ns per round trip (medians, without / with the"
echo "  profiler on the other process), the median of the pairs' ratios, the ratio of the fastest runs"
printf '  %-32s %8s %8s %8s %8s\n' configuration "off ns" "on ns" ratio min
for cfg in "${configs[@]}"; do
	mo=$(tr ' ' '\n' <<<"${off[$cfg]}" | grep . | median)
	mn=$(tr ' ' '\n' <<<"${on[$cfg]}" | grep . | median)
	r=$(tr ' ' '\n' <<<"${ratio[$cfg]}" | grep . | median)
	rm=$(awk -v a="$(tr ' ' '\n' <<<"${on[$cfg]}" | grep . | min_of)" \
		-v b="$(tr ' ' '\n' <<<"${off[$cfg]}" | grep . | min_of)" 'BEGIN { printf "%.3f", a / b }')
	mark=
	case $cfg in
	offcputime) ;;
	*) mark=$(awk -v r="$r" 'BEGIN { print "  goal ≤ 1.01: " (r <= 1.01 ? "ok" : "OVER") }') ;;
	esac
	printf '  %-32s %8.0f %8.0f %7.3f× %7.3f×%s\n' "$(label "$cfg")" "$mo" "$mn" "$r" "$rm" "$mark"
done
echo "  load average (1 min) after each cycle: ${loads[*]} (the machine is shared: figures are noisy)"

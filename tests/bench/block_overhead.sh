#!/usr/bin/env bash
# Block-profile overhead on the worst case for it: build/workloads/pingpong, two threads
# bouncing a byte through two pipes on one CPU, so every hop blocks, wakes the other thread
# and switches to it. Prints the ns per round trip of ROUNDS round trips (wall clock, and
# the CPU time of the two threads, which other tasks sharing the CPU do not inflate: the
# ratios are taken on it)
#   - without profiling,
#   - with `cprof-bpf -t block -p PID` at the default --block-rate and at RATES,
#   - with libbpf-tools offcputime -p PID (installed with apt-get if missing),
# each configuration once per cycle, CYCLES cycles, in an order rotated every cycle so that
# drifts (CPU frequency, noisy neighbours) hit every configuration alike. Per configuration:
# the median ns per round trip, the median of its per-cycle ratios to the unprofiled run of
# the same cycle, and the ratio of the fastest runs (other load only ever adds time, so on a
# busy machine the minimums are the steadier estimate). Target: ≤ 1.10× at the default rate.
# A measurement, not a test: it prints figures and gates nothing. Needs root.
# Usage: tests/bench/block_overhead.sh
#   (env: CYCLES=7 ROUNDS=200000 RATES="100000 1000000 10000000" CPROF=./cprof-bpf,
#    OFFCPUTIME=0 to leave offcputime out)
source "$(dirname "$0")/lib.bash"
CYCLES=${CYCLES:-7}
ROUNDS=${ROUNDS:-200000}
RATES=${RATES:-100000 1000000 10000000}
require_bench pingpong

offcpu_tool=$(find_offcputime) # lib.bash
offcpu_why=
if [ "${OFFCPUTIME:-1}" = 0 ]; then
	offcpu_tool=
elif [ -z "$offcpu_tool" ]; then
	if DEBIAN_FRONTEND=noninteractive apt-get install -y -q libbpf-tools >"$tmp/apt.log" 2>&1; then
		offcpu_tool=$(find_offcputime)
		[ -n "$offcpu_tool" ] || offcpu_why="libbpf-tools is installed but has no offcputime"
	else
		offcpu_why="apt-get install libbpf-tools failed: $(grep -m1 -E '^E:' "$tmp/apt.log")"
	fi
fi

# Configurations: "none", "cprof[:RATE]" (no rate: the default), "offcputime".
configs=(none cprof)
for r in $RATES; do configs+=("cprof:$r"); done
[ -n "$offcpu_tool" ] && configs+=(offcputime)

label() {
	case $1 in
	none) echo "without profiling" ;;
	cprof) echo "cprof-bpf -t block (default rate)" ;;
	cprof:*) echo "cprof-bpf -t block --block-rate ${1#cprof:}" ;;
	offcputime) echo "offcputime -p (libbpf-tools)" ;;
	esac
}

# start_tool CONFIG PID NAME: the profiler for CONFIG on PID in the background, pid in
# $tool_pid; returns once it is attached. Job control on: a background job would otherwise
# inherit SIGINT ignored, and both tools stop on SIGINT.
start_tool() {
	local cfg=$1 pid=$2 name=$3 i
	tool_pid=
	set -m
	case $cfg in
	none) set +m; sleep 1.5; return 0 ;;
	cprof) "$CPROF" -t block -p "$pid" -o "$tmp/$name" >/dev/null 2>"$tmp/$name.err" & ;;
	cprof:*) "$CPROF" -t block --block-rate "${cfg#cprof:}" -p "$pid" -o "$tmp/$name" \
		>/dev/null 2>"$tmp/$name.err" & ;;
	offcputime) "$offcpu_tool" -p "$pid" >"$tmp/$name.out" 2>"$tmp/$name.err" & ;;
	esac
	tool_pid=$!
	set +m
	pids+=("$tool_pid")
	# cprof-bpf says "profiling ..." once attached; offcputime prints "Tracing ..." but
	# buffered when not a terminal. Every configuration, "none" too, settles 1.5 s at least.
	for ((i = 0; i < 100; i++)); do
		sleep 0.1
		kill -0 "$tool_pid" 2>/dev/null || die "$cfg exited early: $(head -1 "$tmp/$name.err")"
		[ "$i" -ge 14 ] || continue
		[ "$cfg" = offcputime ] || grep -q '^cprof-bpf: profiling' "$tmp/$name.err" && break
	done
}

stop_tool() {
	[ -z "$tool_pid" ] || stop_int "$tool_pid"
}

# foreign_switch_progs: BPF programs on sched_switch that are not this script's (another
# profiler running on the host makes every configuration slower, "none" included).
foreign_switch_progs() {
	bpftool prog show 2>/dev/null | awk -v mine="${tool_ids:-}" '
		/^[0-9]+: / { n = ""; for (i = 3; i < NF; i++) if ($i == "name") n = $(i + 1)
			if (n ~ /switch/ && index(mine, " " $1) == 0) c++ }
		END { print c + 0 }'
}

# quiet_host: waits (up to 5 minutes) until no other process has programs on sched_switch.
quiet_host() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ "$(tool_ids='' foreign_switch_progs)" -eq 0 ] && return 0
		sleep 0.5
	done
	return 1
}

# one_run CONFIG NAME: pingpong started stopped on a fifo, the tool attached to it, then
# released: prints "WALL_NS CPU_NS FOREIGN" per round trip. A run during which another
# profiler had programs on sched_switch is run again, twice at most (FOREIGN says whether
# the last one still had).
one_run() {
	local try r
	for ((try = 0; try < 3; try++)); do
		quiet_host
		r=$(one_try "$@") || return 1
		[ "${r##* }" -eq 0 ] && break
	done
	echo "$r"
}

one_try() {
	local cfg=$1 name=$2 pp ns
	mkfifo "$tmp/go"
	"$WL/pingpong" "$ROUNDS" 1 <"$tmp/go" >"$tmp/pp.out" 2>&1 &
	pp=$!
	pids+=("$pp")
	exec 3>"$tmp/go"
	local before
	before=$(bpftool prog show 2>/dev/null | sed -n 's/^\([0-9]*\): .*/\1/p' | tr '\n' ' ')
	start_tool "$cfg" "$pp" "$name"
	# The tool's own programs: those that appeared with it.
	tool_ids=$(bpftool prog show 2>/dev/null | awk -v old=" $before " '
		/^[0-9]+: / { id = $1; sub(/:/, "", id); if (index(old, " " id " ") == 0) printf " %s:", id }')
	echo x >&3
	exec 3>&-
	wait "$pp" || die "pingpong failed: $(cat "$tmp/pp.out")"
	ns=$(foreign_switch_progs)
	stop_tool
	rm -f "$tmp/go"
	ns="$(sed -n 's/.*, \([0-9]*\) ns per round trip, \([0-9]*\) cpu ns per round trip$/\1 \2/p' "$tmp/pp.out") $ns"
	[ "$(wc -w <<<"$ns")" -eq 3 ] || die "pingpong said: $(cat "$tmp/pp.out")"
	echo "$ns"
}

median() { sort -n | awk '{ v[NR] = $1 } END {
	if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "block profile overhead — $(uname -r), $(nproc) CPUs, pingpong $ROUNDS round trips" \
	"on CPU $(($(nproc) - 1)), $CYCLES cycles"
[ -n "$offcpu_why" ] && echo "SKIP: offcputime: $offcpu_why"
"$WL/pingpong" "$ROUNDS" >/dev/null # warm-up

declare -A wall cpu ratio wratio
foreign=0
n=${#configs[@]}
for ((c = 0; c < CYCLES; c++)); do
	declare -A tw=() tc=()
	line="  cycle $((c + 1)) (cpu ns/trip):"
	for ((k = 0; k < n; k++)); do
		cfg=${configs[$(((k + c) % n))]}
		r=$(one_run "$cfg" "c$c-${cfg//:/-}") || exit 1
		read -r tw[$cfg] tc[$cfg] f <<<"$r"
		[ "$f" -gt 0 ] && foreign=$((foreign + 1))
	done
	for cfg in "${configs[@]}"; do
		wall[$cfg]+="${tw[$cfg]} "
		cpu[$cfg]+="${tc[$cfg]} "
		ratio[$cfg]+="$(awk -v a="${tc[$cfg]}" -v b="${tc[none]}" 'BEGIN { printf "%.4f", a / b }') "
		wratio[$cfg]+="$(awk -v a="${tw[$cfg]}" -v b="${tw[none]}" 'BEGIN { printf "%.4f", a / b }') "
		line="$line ${cfg}=${tc[$cfg]}"
	done
	echo "$line"
done
echo
[ "$foreign" -gt 0 ] && echo "  note: in $foreign runs another process had BPF programs on sched_switch (a profiler elsewhere on the host), after 3 tries: they slow every configuration alike"
min_of() { tr ' ' '\n' | grep . | sort -n | head -1; }
base_min=$(min_of <<<"${cpu[none]}")
echo "  per configuration: median wall and CPU ns per round trip; CPU-time ratio to the"
echo "  unprofiled run (median of the cycles', and of the fastest runs); wall-clock ratio"
printf '  %-42s %8s %8s %8s %8s %8s\n' configuration "wall ns" "cpu ns" "ratio" "min" "wall"
for cfg in "${configs[@]}"; do
	m=$(tr ' ' '\n' <<<"${wall[$cfg]}" | grep . | median)
	mc=$(tr ' ' '\n' <<<"${cpu[$cfg]}" | grep . | median)
	r=$(tr ' ' '\n' <<<"${ratio[$cfg]}" | grep . | median)
	rm=$(awk -v a="$(min_of <<<"${cpu[$cfg]}")" -v b="$base_min" 'BEGIN { printf "%.3f", a / b }')
	rw=$(tr ' ' '\n' <<<"${wratio[$cfg]}" | grep . | median)
	mark=
	[ "$cfg" = cprof ] && mark=$(awk -v r="$r" -v m="$rm" 'BEGIN {
		print "  target ≤ 1.10×: " (r <= 1.10 ? "ok" : m <= 1.10 ? "ok by the minimums, OVER by the medians" : "OVER") }')
	printf '  %-42s %8.0f %8.0f %7.3f× %7.3f× %7.3f×%s\n' "$(label "$cfg")" "$m" "$mc" "$r" "$rm" "$rw" "$mark"
done
# What the profiler kept, from the last cycle's default-rate run.
grep -h -m1 '^block:' "$tmp/c$((CYCLES - 1))-cprof.err" 2>/dev/null | sed 's/^/  last default-rate run: /'

# Where the time goes: one more default-rate run with kernel.bpf_stats_enabled, the cost per
# run of each of cprof-bpf's programs (they run for every task on the host, not only PID).
command -v bpftool >/dev/null || { echo "  (no bpftool: per-program costs not shown)"; exit 0; }
stats_before=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1 || { echo "  (cannot enable kernel.bpf_stats_enabled)"; exit 0; }
quiet_host
mkfifo "$tmp/go"
"$WL/pingpong" "$ROUNDS" 1 <"$tmp/go" >"$tmp/pp.out" 2>&1 &
pp=$!
pids+=("$pp")
exec 3>"$tmp/go"
# This bpftool may not name the process holding a program: ours are the ones that appear.
before=$(bpftool prog show 2>/dev/null | sed -n 's/^\([0-9]*\): .*/\1/p' | tr '\n' ' ')
start_tool cprof "$pp" stats
echo x >&3
exec 3>&-
wait "$pp"
bpftool prog show >"$tmp/progs" 2>&1
stop_tool
echo "  BPF programs during a default-rate run (stats on: each run also pays two clock reads):"
awk -v old=" $before " '
	function emit() {
		if (id != "" && index(old, " " id " ") == 0 && name ~ /^cprof_block_/)
			printf "    %-24s runs %9d  %6.0f ns/run\n", name, cnt, cnt ? ns / cnt : 0
	}
	/^[0-9]+: / {
		emit()
		id = $1; sub(/:/, "", id); name = ""; ns = 0; cnt = 0
		for (i = 3; i < NF; i++) {
			if ($i == "name") name = $(i + 1)
			if ($i == "run_time_ns") ns = $(i + 1)
			if ($i == "run_cnt") cnt = $(i + 1)
		}
		next
	}
	END { emit() }' "$tmp/progs"
echo "  pingpong under it: $(sed -n 's/^pingpong: [0-9]* round trips, //p' "$tmp/pp.out")"

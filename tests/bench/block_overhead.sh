#!/usr/bin/env bash
# Block-profile overhead on the worst case for it: build/workloads/pingpong, two threads
# bouncing a byte through two pipes on one CPU, so every hop blocks, wakes the other thread
# and switches to it. Prints the ns per round trip of ROUNDS round trips
#   - without profiling,
#   - with `cprof-bpf -t block -p PID` at the default --block-rate and at RATES,
#   - with libbpf-tools offcputime -p PID (installed with apt-get if missing),
# each configuration once per cycle, CYCLES cycles, in an order rotated every cycle so that
# drifts (CPU frequency, noisy neighbours) hit every configuration alike. Per configuration:
# the median ns per round trip and the median of its per-cycle ratios to the unprofiled run
# of the same cycle. Target: ≤ 1.10× at the default rate.
# A measurement, not a test: it prints figures and gates nothing. Needs root.
# Usage: tests/bench/block_overhead.sh
#   (env: CYCLES=7 ROUNDS=200000 RATES="100000 1000000 10000000" CPROF=./cprof-bpf,
#    OFFCPUTIME=0 to leave offcputime out)
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
CPROF=${CPROF:-$root/cprof-bpf}
WL=${OUT:-$root/build}/workloads
CYCLES=${CYCLES:-7}
ROUNDS=${ROUNDS:-200000}
RATES=${RATES:-100000 1000000 10000000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cprof-bench.XXXXXX")
pids=()
stats_before=

# is_our_child PID: PID is still a child of this script (not an exited one's recycled pid).
is_our_child() {
	local st
	read -r st 2>/dev/null <"/proc/$1/stat" || return 1
	st=${st##*) }
	[ "$(cut -d ' ' -f 2 <<<"$st")" = "$$" ]
}

cleanup() {
	local p
	disown -a 2>/dev/null
	for p in "${pids[@]}"; do is_our_child "$p" && kill -KILL "$p" 2>/dev/null; done
	[ -n "$stats_before" ] && sysctl -qw kernel.bpf_stats_enabled="$stats_before"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "block_overhead: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (it loads BPF programs)"
[ -x "$CPROF" ] || die "$CPROF is not built (make cprof-bpf)"
[ -x "$WL/pingpong" ] || die "$WL/pingpong is not built (make test-build)"

# offcputime: Debian's libbpf-tools; its binary's name has varied between releases.
find_offcputime() {
	local f
	for f in $(dpkg -L libbpf-tools 2>/dev/null | grep -E '/s?bin/[^/]*offcputime$'); do
		[ -x "$f" ] && { echo "$f"; return 0; }
	done
	command -v offcputime 2>/dev/null || command -v libbpf-offcputime 2>/dev/null
}
offcpu_tool=$(find_offcputime)
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
	none) set +m; return 0 ;;
	cprof) "$CPROF" -t block -p "$pid" -o "$tmp/$name" >/dev/null 2>"$tmp/$name.err" & ;;
	cprof:*) "$CPROF" -t block --block-rate "${cfg#cprof:}" -p "$pid" -o "$tmp/$name" \
		>/dev/null 2>"$tmp/$name.err" & ;;
	offcputime) "$offcpu_tool" -p "$pid" >"$tmp/$name.out" 2>"$tmp/$name.err" & ;;
	esac
	tool_pid=$!
	set +m
	pids+=("$tool_pid")
	# cprof-bpf prints nothing when attached; offcputime prints "Tracing ..." (buffered when
	# not a terminal): both are given the same settling time.
	for ((i = 0; i < 15; i++)); do
		sleep 0.1
		kill -0 "$tool_pid" 2>/dev/null || die "$cfg exited early: $(head -1 "$tmp/$name.err")"
	done
}

stop_tool() {
	local i
	[ -n "$tool_pid" ] || return 0
	kill -INT "$tool_pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$tool_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$tool_pid" 2>/dev/null && kill -KILL "$tool_pid"
	wait "$tool_pid" 2>/dev/null
}

# one_run CONFIG NAME: pingpong started stopped on a fifo, the tool attached to it, then
# released: prints its ns per round trip.
one_run() {
	local cfg=$1 name=$2 pp ns
	mkfifo "$tmp/go"
	"$WL/pingpong" "$ROUNDS" 1 <"$tmp/go" >"$tmp/pp.out" 2>&1 &
	pp=$!
	pids+=("$pp")
	exec 3>"$tmp/go"
	start_tool "$cfg" "$pp" "$name"
	echo x >&3
	exec 3>&-
	wait "$pp" || die "pingpong failed: $(cat "$tmp/pp.out")"
	stop_tool
	rm -f "$tmp/go"
	ns=$(sed -n 's/.*, \([0-9]*\) ns per round trip$/\1/p' "$tmp/pp.out")
	[ -n "$ns" ] || die "pingpong said: $(cat "$tmp/pp.out")"
	echo "$ns"
}

median() { sort -n | awk '{ v[NR] = $1 } END {
	if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "block profile overhead — $(uname -r), $(nproc) CPUs, pingpong $ROUNDS round trips" \
	"on CPU $(($(nproc) - 1)), $CYCLES cycles"
[ -n "$offcpu_why" ] && echo "SKIP: offcputime: $offcpu_why"
"$WL/pingpong" "$ROUNDS" >/dev/null # warm-up

declare -A ns ratio
n=${#configs[@]}
for ((c = 0; c < CYCLES; c++)); do
	declare -A this=()
	line="  cycle $((c + 1)):"
	for ((k = 0; k < n; k++)); do
		cfg=${configs[$(((k + c) % n))]}
		this[$cfg]=$(one_run "$cfg" "c$c-${cfg//:/-}") || exit 1
	done
	for cfg in "${configs[@]}"; do
		ns[$cfg]+="${this[$cfg]} "
		ratio[$cfg]+="$(awk -v a="${this[$cfg]}" -v b="${this[none]}" 'BEGIN { printf "%.4f", a / b }') "
		line="$line ${cfg}=${this[$cfg]}"
	done
	echo "$line"
done
echo
printf '  %-42s %10s %8s\n' configuration "ns/trip" ratio
for cfg in "${configs[@]}"; do
	m=$(tr ' ' '\n' <<<"${ns[$cfg]}" | grep . | median)
	r=$(tr ' ' '\n' <<<"${ratio[$cfg]}" | grep . | median)
	mark=
	[ "$cfg" = cprof ] && mark=$(awk -v r="$r" 'BEGIN { print r <= 1.10 ? "  target ≤ 1.10×: ok" : "  target ≤ 1.10×: OVER" }')
	printf '  %-42s %10.0f %7.3f×%s\n' "$(label "$cfg")" "$m" "$r" "$mark"
done
# What the profiler kept, from the last cycle's default-rate run.
grep -h -m1 '^block:' "$tmp/c$((CYCLES - 1))-cprof.err" 2>/dev/null | sed 's/^/  last default-rate run: /'

# Where the time goes: one more default-rate run with kernel.bpf_stats_enabled, the cost per
# run of each of cprof-bpf's programs (they run for every task on the host, not only PID).
command -v bpftool >/dev/null || { echo "  (no bpftool: per-program costs not shown)"; exit 0; }
stats_before=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1 || { echo "  (cannot enable kernel.bpf_stats_enabled)"; exit 0; }
# This bpftool may not name the process holding a program: ours are the ones that appear.
last_id=$(bpftool prog show | sed -n 's/^\([0-9]*\): .*/\1/p' | sort -n | tail -1)
mkfifo "$tmp/go"
"$WL/pingpong" "$ROUNDS" 1 <"$tmp/go" >"$tmp/pp.out" 2>&1 &
pp=$!
pids+=("$pp")
exec 3>"$tmp/go"
start_tool cprof "$pp" stats
echo x >&3
exec 3>&-
wait "$pp"
bpftool prog show >"$tmp/progs" 2>&1
stop_tool
echo "  BPF programs during a default-rate run (stats on: each run also pays two clock reads):"
awk -v last="${last_id:-0}" '
	function emit() {
		if (id + 0 > last && name ~ /^cprof_block_/)
			printf "    %-24s runs %9d  %6.0f ns/run\n", name, cnt, cnt ? ns / cnt : 0
	}
	/^[0-9]+: / {
		emit()
		id = $1; name = ""; ns = 0; cnt = 0
		for (i = 3; i < NF; i++) {
			if ($i == "name") name = $(i + 1)
			if ($i == "run_time_ns") ns = $(i + 1)
			if ($i == "run_cnt") cnt = $(i + 1)
		}
		next
	}
	END { emit() }' "$tmp/progs"
echo "  pingpong under it: $(sed -n 's/.*, \([0-9]*\) ns per round trip$/\1/p' "$tmp/pp.out") ns per round trip"

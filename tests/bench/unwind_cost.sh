#!/usr/bin/env bash
# BPF cost of one CPU sample with user-stack unwinding, for fixed-depth stacks without frame
# pointers (build/workloads/uw_recurse: DEPTH + 5 frames). Prints figures; gates nothing.
#
# Method: kernel.bpf_stats_enabled makes the kernel time every run of every BPF program
# (run_time_ns, run_cnt in `bpftool prog show`). cprof_cpu_sample also runs, and returns at
# once, for the samples of processes it does not watch (the other CPU's), so the cost of one
# unwound sample is taken per 0.5 s interval as
#     (Δrun_time_ns − Δfiltered_runs × filter_cost) / Δwatched_samples
# where watched samples come from cprof's own counter map and filter_cost is measured first
# with nothing watched that runs. The median, 10th and 90th percentile of the intervals are
# printed: means inside an interval, medians across them (a loaded host skews some intervals).
#
# Usage: tests/bench/unwind_cost.sh          (env: SECS=10 HZ=999 DEPTHS="25 95" CPROF=...;
#        EXTRA="--max-depth 1": more cprof-bpf options, e.g. to see the cost of no frame)
source "$(dirname "$0")/lib.bash"
SECS=${SECS:-10}
HZ=${HZ:-999}
DEPTHS=${DEPTHS:-25 95}
require_bench uw_recurse
command -v bpftool >/dev/null || die "bpftool is missing"
command -v python3 >/dev/null || die "python3 is missing (it reads bpftool's JSON)"

cpu=$(($(nproc) - 1))

# ids PID KIND NAME: the id of the BPF object (prog or map) named NAME that process PID holds.
ids() {
	local id
	for id in $(sed -n "s/^$2_id:[[:space:]]*//p" /proc/"$1"/fdinfo/* 2>/dev/null | sort -un); do
		bpftool -j "$2" show id "$id" 2>/dev/null | grep -q "\"name\":\"$3\"" && { echo "$id"; return; }
	done
}

# stats PROG MAP: "run_time_ns run_cnt watched_samples" now.
stats() {
	local prog map
	prog=$(bpftool -j prog show id "$1") || return 1
	map=$(bpftool -j map lookup id "$2" key 0 0 0 0) || return 1
	python3 -c '
import json, sys
p = json.loads(sys.argv[1]); m = json.loads(sys.argv[2])
vals = m.get("values") or m.get("formatted", {}).get("values") or []
s = 0
for v in vals:
    x = v.get("value")
    s += int.from_bytes(bytes(int(b, 16) for b in x), "little") if isinstance(x, list) else int(x)
print(p.get("run_time_ns", 0), p.get("run_cnt", 0), s)' "$prog" "$map"
}

# measure LABEL FILTER_COST CPROF-ARGS...: runs cprof for SECS s and prints the per-interval
# cost of a watched sample (FILTER_COST "-": prints the cost of any run, for the filter).
measure() {
	local label=$1 fcost=$2 cp prog map i prev cur
	shift 2
	"$CPROF" -F "$HZ" -d "$SECS" -o "$tmp/$label" "$@" >/dev/null 2>"$tmp/$label.err" &
	cp=$!
	pids+=("$cp")
	# Its program is loaded a moment after it starts (longer on a busy host); then a
	# second to settle.
	for ((i = 0; i < 100; i++)); do
		prog=$(ids "$cp" prog cprof_cpu_sample)
		map=$(ids "$cp" map counters)
		[ -n "$prog" ] && [ -n "$map" ] && break
		kill -0 "$cp" 2>/dev/null || break
		sleep 0.1
	done
	sleep 1
	[ -n "$prog" ] && [ -n "$map" ] || die "$label: cannot find cprof's program and counters ($(head -1 "$tmp/$label.err"))"
	prev=$(stats "$prog" "$map")
	for ((i = 0; i < (SECS - 3) * 2; i++)); do
		sleep 0.5
		cur=$(stats "$prog" "$map") || break
		echo "$prev $cur"
		prev=$cur
	done | awk -v f="$fcost" '{
		dt = $4 - $1; dc = $5 - $2; ds = $6 - $3
		if (f == "-") { if (dc > 0) print dt / dc }
		else if (ds > 0) print (dt - (dc - ds) * f) / ds
	}' >"$tmp/$label.costs"
	wait "$cp" 2>/dev/null
}

# summary FILE: "median p10 p90 n" of the numbers in FILE.
summary() {
	sort -g "$1" | awk '{ v[NR] = $1 } END {
		if (!NR) { print "- - - 0"; exit }
		printf "%.0f %.0f %.0f %d\n", v[int((NR + 1) / 2)], v[int(NR * 0.1) + 1], v[int(NR * 0.9 + 0.5)], NR }'
}

stats_before=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1 || die "cannot enable kernel.bpf_stats_enabled"
echo "cprof-bpf unwinding cost per CPU sample — $(uname -r), $(nproc) CPUs, $HZ Hz, ${SECS}s runs"

sleep 1000 &
idle=$!
pids+=("$idle")
measure filter - -p "$idle"
read -r fcost _ _ n < <(summary "$tmp/filter.costs")
printf '  filtered run (pid not watched): %s ns median of %s intervals\n' "$fcost" "$n"
[ "$fcost" = - ] && die "no filter-cost figure"

for depth in $DEPTHS; do
	taskset -c "$cpu" "$WL/uw_recurse" "$depth" $((SECS + 5)) >/dev/null &
	w=$!
	pids+=("$w")
	measure "d$depth" "$fcost" ${EXTRA:-} -p "$w"
	kill "$w" 2>/dev/null
	read -r med p10 p90 n < <(summary "$tmp/d$depth.costs")
	frames=$((depth + 5))
	verdict=
	((frames <= 40)) && verdict=$(awk -v m="$med" 'BEGIN { print (m != "-" && m <= 5000) ? "ok" : "OVER" }')
	printf '  %3d-frame stacks: %s ns median per sample (p10 %s, p90 %s; %s intervals)%s\n' \
		"$frames" "$med" "$p10" "$p90" "$n" "${verdict:+   target ≤ 5000 ns   $verdict}"
	grep -m1 'complete' "$tmp/d$depth.err" | sed 's/^ */      /'
done

#!/usr/bin/env bash
# Whole-host startup with many processes: N copies of build/workloads/uw_nap (mostly asleep,
# spinning ~1 ms every 50-250 ms, no frame pointers) plus whatever the host runs, then
# cprof-bpf host-wide, once with an empty table cache and once with the cache it filled.
# Prints, from cprof-bpf's launch (its -v log gives the times):
#   - the first complete user stack (its sample's time),
#   - when the unwind views of the uw_nap processes were published (before the programs
#     attach: median and last),
#   - the run's completeness per kind (cpu, block), tables built and time spent building
#     them, and the completeness of the uw_nap processes' own stacks (goal: 99% from the
#     first sample: their views are published before the programs attach).
# A measurement: it prints figures and gates nothing. Needs root.
# Usage: tests/bench/startup.sh      (env: N=100 SECS=6 HZ=99 CPROF=./cprof-bpf)
source "$(dirname "$0")/lib.bash"
N=${N:-100}
SECS=${SECS:-6}
HZ=${HZ:-99}
require_bench uw_nap
command -v python3 >/dev/null || die "python3 is missing (it reads CLOCK_MONOTONIC)"

monotonic() { python3 -c 'import time; print("%.3f" % time.monotonic())'; }

for ((i = 0; i < N; i++)); do
	"$WL/uw_nap" $((3 * SECS + 30)) &
	pids+=("$!")
	echo "$!"
done >"$tmp/naps"
sleep 1
echo "cprof-bpf whole-host startup — $(uname -r), $(nproc) CPUs, $HZ Hz, $N uw_nap processes +" \
	"$(($(ls -d /proc/[0-9]* | wc -l) - N)) others"

# run LABEL: one host-wide run of SECS seconds with the cache in $tmp/cache.
run() {
	local label=$1 t0
	t0=$(monotonic)
	CPROF_CACHE_DIR=$tmp/cache "$CPROF" -v -F "$HZ" -d "$SECS" -o "$tmp/$label" \
		>/dev/null 2>"$tmp/$label.err" || die "$label run failed: $(grep -m1 cprof-bpf: "$tmp/$label.err")"
	awk -v t0="$t0" -v label="$label" -v n="$N" '
		FILENAME == ARGV[1] { nap[$1] = 1; next }
		/first complete user stack at/ { first = $7 - t0 }
		/unwind view published at/ {
			if (!any++) firstview = $8 - t0
			pid = $3; sub(/:$/, "", pid)
			if ((pid in nap) && !(pid in seen)) { seen[pid] = $8 - t0; k++ }
		}
		/^[a-z]+: [0-9]+ samples in / { kind = $1 }
		/user stacks:/ { sub(/^ */, ""); complete = complete (complete ? "\n    " : "") kind " " $0 }
		/^unwind tables:/ { tables = $0 }
		END {
			m = 0
			for (p in seen) v[++m] = seen[p]
			for (i = 2; i <= m; i++)	# insertion sort: m is small
				for (j = i; j > 1 && v[j - 1] > v[j]; j--) { x = v[j]; v[j] = v[j - 1]; v[j - 1] = x }
			printf "  %s cache: first view published %.0f ms after launch (BPF loaded, first " \
				"sample read), first complete stack at %.0f ms\n", label, firstview * 1000, first * 1000
			if (m)
				printf "    views of %d of %d uw_nap processes published: median %.0f ms, last %.0f ms\n",
					m, n, v[int((m + 1) / 2)] * 1000, v[m] * 1000
			print "    " complete
			print "    " tables
		}' "$tmp/naps" "$tmp/$label.err"
	for kind in cpu block; do
		[ -s "$tmp/$label/$kind.pb.gz" ] && nap_share "$kind" "$tmp/$label/$kind.pb.gz"
	done
}

# nap_share KIND PROFILE: how many of the uw_nap processes' samples in PROFILE reached their
# thread root (the goal: 99%), those processes having run since before cprof-bpf started.
nap_share() {
	go tool pprof -traces -sample_index=0 "$2" 2>/dev/null | awk -v kind="$1" '
		function flush() { if (nap) { all += n; if (last == "[truncated]") cut += n } nap = 0; n = 0 }
		/^-----/ { flush(); next }
		/^ +comm: +uw_nap$/ { nap = 1; next }
		/^ +[a-z]+: / { next }
		/^ +[0-9]/ { n = $1 + 0; sub(/^ +[^ ]+ +/, ""); last = $0; next }
		{ sub(/^ +/, ""); last = $0 }
		END {
			flush()
			if (all)
				printf "    %s: the uw_nap processes (running before the start): %.1f%% of %d samples complete (goal 99%%)\n",
					kind, 100 * (all - cut) / all, all
		}'
}

run cold
run warm

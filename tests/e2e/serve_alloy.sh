#!/usr/bin/env bash
# Deltas the way Grafana Alloy's pyroscope.scrape computes them: it scrapes the cumulative
# block, mutex and allocs endpoints at each interval and subtracts the previous scrape,
# matching samples on their locations' addresses and labels (build/tools/pprofcheck delta
# does the same). Between two scrapes the delta must equal what the workload did (±10%),
# and no sample may go down.
#   block   -- twowaits: one thread waits 20 ms in nanosleep (wait_sleep), 20 ms in poll
#           (wait_poll), in turn, all the time: over T seconds each gets T/2 of delay.
#   allocs  -- heap main wait: after SIGUSR1, churn allocates and frees 1 GiB in 4 KiB
#           blocks, retain_blocks keeps 64 MiB; one scrape before the signal, one after the
#           workload ended (the server keeps serving when its COMMAND exits).
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/serve.bash"
require_binary twowaits heap
command -v curl >/dev/null || skip_all "curl is not installed (apt-get install curl)"
PPROFCHECK=$OUT/tools/pprofcheck
[ -x "$PPROFCHECK" ] || skip_all "$PPROFCHECK is not built (needs golang-go)"
require_bpf block heap
MIB=$((1024 * 1024))

# delta_of NAME OLD NEW TYPE FOCUS: pprofcheck's Alloy-style delta; sets FOCUS_V, NEG.
delta_of() {
	"$PPROFCHECK" delta -type "$4" -focus "$5" "$2" "$3" >"$E2E_TMP/$1.delta" 2>&1
	FOCUS_V=$(sed -n 's/^focus \([-0-9]*\).*/\1/p' "$E2E_TMP/$1.delta")
	NEG=$(sed -n 's/^negative \([0-9]*\).*/\1/p' "$E2E_TMP/$1.delta")
	FOCUS_V=${FOCUS_V:-0} NEG=${NEG:-?}
}

# ---- block: two scrapes T seconds apart ------------------------------------------------------
if serve_start block --http 127.0.0.1:0 -t cpu,block -o "$E2E_TMP/block" -- "$WL/twowaits" 60; then
	sleep 1
	t0=$(date +%s.%N)
	http b1 block
	c1=$CODE
	sleep 4
	t1=$(date +%s.%N)
	http b2 block
	c2=$CODE
	if [ "$c1" != 200 ] || [ "$c2" != 200 ]; then
		fail block/scrapes "status $c1, $c2: $BODY"
	else
		half_ns=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) / 2 * 1e9 }')
		for fn in wait_sleep wait_poll; do
			delta_of "$fn" "$E2E_TMP/b1.body" "$E2E_TMP/b2.body" delay "^$fn\$"
			check_count "block/$fn" "$FOCUS_V" "$half_ns" 10 \
				"ns of delay under $fn between two scrapes (Alloy's delta)"
		done
		if [ "$NEG" = 0 ]; then
			pass block/monotonic "no sample went down between the scrapes"
		else
			fail block/monotonic "$NEG samples went down: $(head -3 "$E2E_TMP/wait_poll.delta" | tr '\n' ' ')"
		fi
	fi
	kill -INT "$CPROF_PID" 2>/dev/null
	wait_exit "$CPROF_PID" 10
fi

# ---- allocs: a scrape before the work, one after it ----------------------------------------
if serve_start allocs --http 127.0.0.1:0 -t heap -o "$E2E_TMP/allocs" -- "$WL/heap" main wait; then
	wl=$(pgrep -P "$CPROF_PID" -x heap | head -1)
	http a1 allocs
	c1=$CODE
	if [ -z "$wl" ]; then
		fail allocs/setup "the heap workload (child of cprof-bpf $CPROF_PID) is not running"
	else
		kill -USR1 "$wl"
		wait_until 60 grep -q "exited; still serving" "$E2E_TMP/allocs.err"
		http a2 allocs
		c2=$CODE
		if [ "$c1" != 200 ] || [ "$c2" != 200 ]; then
			fail allocs/scrapes "status $c1, $c2: $BODY"
		else
			delta_of churn "$E2E_TMP/a1.body" "$E2E_TMP/a2.body" alloc_space '^churn$'
			check_count allocs/churn "$FOCUS_V" $((1024 * MIB)) 10 \
				"bytes allocated by churn between two scrapes (Alloy's delta)"
			[ "$NEG" = 0 ] && pass allocs/monotonic "no sample went down between the scrapes" ||
				fail allocs/monotonic "$NEG samples went down"
		fi
	fi
	kill -INT "$CPROF_PID" 2>/dev/null
	wait_exit "$CPROF_PID" 10
fi
e2e_exit

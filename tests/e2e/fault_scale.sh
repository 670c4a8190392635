#!/usr/bin/env bash
# Scale: many threads, many processes.
#   threads  fault_threads: 2000 threads in one process, each taking a shared mutex,
#            allocating and sleeping 100 ms in a loop; cprof-bpf -p with every default kind
#            (cpu, block, mutex, heap) for 6 s. It exits 0 with every profile; every kind's
#            lost records (the summary) are the [lost samples] of its profile; the block
#            profile holds the waits of all 2000 threads (their off-CPU time, ±15% of 2000 ×
#            the run, taken in thread_main).
#   spawn    fault_spawner: 500 processes a second for 5 s, each exec'ing fault_img_b for
#            about a millisecond, under whole-host profiling (cpu at 499 Hz, block) for 8 s. It exits
#            0; lost records are counted as above; the spawned processes' own frames are
#            named, and their libc's (mapped after the exec) placed in ≥ 98% of samples.
# Memory: cprof-bpf's VmHWM (/proc/PID/status, polled until it exits) in each run stays
# within 32 MiB (threads) or 64 MiB (spawn, ~1000-2500 processes) of a run of the same kinds
# on an idle target (a sleeping process; the host without the spawner) measured just
# before: the idle peak is set at start (BPF objects loaded in parallel). Both are printed.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/block.bash"
require_binary fault_threads fault_spawner fault_img_b
require_bpf cpu block mutex heap
require_pprof

threads=2000
secs=6
rate=500
spawn_secs=5

# hwm_watch NAME PID: polls PID's VmHWM (KiB) into $E2E_TMP/NAME.hwm until PID is gone.
hwm_watch() {
	(
		local v
		while [ -d "/proc/$2" ]; do
			v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$2/status" 2>/dev/null)
			[ -n "$v" ] && echo "$v" >"$E2E_TMP/$1.hwm"
			sleep 0.1
		done
	) &
	E2E_PIDS+=($!)
}

# profile_run NAME SECS ARGS...: cprof-bpf -d SECS -o $E2E_TMP/NAME ARGS in the background
# with its VmHWM watched; returns once it says it is profiling (1 if it does not).
profile_run() {
	local name=$1 d=$2
	shift 2
	start_cprof_bg "$name" -d "$d" -o "$E2E_TMP/$name" "$@"
	hwm_watch "$name" "$CPROF_PID"
	wait_ready "$name" 60
}

# finish NAME: waits for the run to end; FAILs NAME/run unless it exited 0. Returns 1 then.
finish() {
	wait_exit "$CPROF_PID" 120
	if [ "$RC" -ne 0 ]; then
		show_err "$1"
		fail "$1/run" "cprof-bpf exited $RC"
		return 1
	fi
}

# check_lost NAME KIND...: for each KIND, the summary's lost count is the count of the
# [lost samples] frame in DIR/KIND.pb.gz (absent: 0).
check_lost() {
	local name=$1 k line lost frame figures=() why=()
	shift
	for k in "$@"; do
		line=$(grep -m1 "^$k: " "$E2E_TMP/$name.err")
		lost=$(sed -n 's/^[a-z]*: [0-9]* samples in [0-9.]* s, \([0-9]*\) lost (ring buffer full.*/\1/p' <<<"$line")
		if [ -z "$lost" ]; then
			why+=("no '$k:' summary line with a lost count: '$line'")
			continue
		fi
		frame=$(block_samples "$E2E_TMP/$name/$k.pb.gz" |
			awk -F '\t' '$4 == "[lost samples]" { c += $1 } END { print c + 0 }')
		[ "$frame" -eq "$lost" ] || why+=("$k: the summary says $lost lost, [lost samples] holds $frame")
		figures+=("$k $lost")
	done
	verdict "$name/lost" "lost records, said and in [lost samples]: ${figures[*]}" "${why[@]}"
}

# check_hwm NAME BASE SLACK_MIB: the run's VmHWM within SLACK_MIB of run BASE's.
check_hwm() {
	local got base slack_kib=$(($3 * 1024))
	got=$(cat "$E2E_TMP/$1.hwm" 2>/dev/null) base=$(cat "$E2E_TMP/$2.hwm" 2>/dev/null)
	if [ -z "$got" ] || [ -z "$base" ]; then
		fail "$1/memory" "no VmHWM read (run: '${got}', idle: '${base}')"
	elif [ "$got" -le $((base + slack_kib)) ]; then
		pass "$1/memory" "VmHWM $((got / 1024)) MiB, idle run $((base / 1024)) MiB, want ≤ idle + $((slack_kib / 1024)) MiB"
	else
		fail "$1/memory" "VmHWM $((got / 1024)) MiB, idle run $((base / 1024)) MiB, want ≤ idle + $((slack_kib / 1024)) MiB"
	fi
}

# ---- threads -----------------------------------------------------------------------------
start_bg idle sleep 300
profile_run threads_idle 2 -p "$idle" && finish threads_idle
start_bg target "$WL/fault_threads" "$threads" 60 100
if ! wait_until 30 has_line "$E2E_TMP/target.log" "^fault_threads: pid [0-9]*, $threads threads up$"; then
	fail threads/run "fault_threads did not start $threads threads: $(head -c 200 "$E2E_TMP/target.log")"
elif profile_run threads "$secs" -p "$target" && finish threads; then
	for k in cpu block mutex heap; do
		[ -s "$E2E_TMP/threads/$k.pb.gz" ] || fail threads/run "no $k.pb.gz written"
	done
	pass threads/run "exit 0, 4 profiles of a process with $threads threads"
	check_lost threads cpu block mutex heap
	samples=$(block_samples "$E2E_TMP/threads/block.pb.gz")
	got=$(delay_sum "index(lab, \",pid=$target,\") && $(has_frame thread_main)" <<<"$samples")
	want=$(awk -v n="$threads" -v d="$(profile_duration "$E2E_TMP/threads/block.pb.gz")" \
		'BEGIN { printf "%.0f", n * d }')
	check_delay threads/offcpu "$got" "$want" 15 "off-CPU in thread_main ($threads threads × the run)"
	check_hwm threads threads_idle 32
else
	show_err threads
	fail threads/run "cprof-bpf -p $target did not start profiling within 60 s"
fi
kill_our_children "$target" "$idle"

# ---- spawn -------------------------------------------------------------------------------
profile_run spawn_idle 4 -F 499 && finish spawn_idle
if profile_run spawn 8 -F 499; then
	"$WL/fault_spawner" "$rate" "$spawn_secs" "$WL/fault_img_b" 0.001 >"$E2E_TMP/spawner.out" 2>&1
	if finish spawn; then
		read -r started failed bad < <(sed -n 's/^fault_spawner: \([0-9]*\) started, [0-9]* reaped, \([0-9]*\) failed, \([0-9]*\) exited non-zero.*/\1 \2 \3/p' \
			"$E2E_TMP/spawner.out")
		if [ -z "$started" ] || [ "$started" -lt $((rate * spawn_secs / 4)) ] || [ "$failed$bad" != 00 ]; then
			fail spawn/rate "the spawner started too few processes to tell: $(tail -1 "$E2E_TMP/spawner.out")"
		else
			pass spawn/rate "$(tail -1 "$E2E_TMP/spawner.out") (want $rate a second)"
		fi
		check_lost spawn cpu block
		traces=$(pprof_traces "$E2E_TMP/spawn/cpu.pb.gz")
		read -r all hot exe unplaced example < <(awk -F '\t' '
			$2 !~ /(^|,)comm=fault_img_b(,|$)/ { next }
			{ all += $1 }
			$3 ~ /(^|;)img_b_hot(;|$)/ { hot += $1 }
			$3 ~ /(^|;)fault_img_b\+0x/ { exe += $1; if (ex == "") ex = $3 }
			$3 ~ /(^|;)\[unmapped\]/ { unplaced += $1; if (ex == "") ex = $3 }
			END { print all + 0, hot + 0, exe + 0, unplaced + 0, (ex == "" ? "-" : ex) }' <<<"$traces")
		# The libraries the loader maps after the exec (libc) are placed in a process gone
		# before its maps were read from the area the kernel saw a pc in (sent with the
		# stack copy); a copy the kernel could not describe leaves a few unplaced.
		if [ "$hot" -gt 0 ] && [ "$exe" -eq 0 ] && fcmp "$unplaced <= 0.02 * $all"; then
			pass spawn/named "$all samples of the spawned processes, $hot in img_b_hot, none with an unnamed frame of fault_img_b, $unplaced with an unplaced frame (want ≤ 2%)"
		else
			fail spawn/named "of $all samples of the spawned processes, $exe have an unnamed frame of fault_img_b (want 0), $unplaced an unplaced frame (want ≤ 2%), e.g. $example ($hot in img_b_hot)"
		fi
		check_hwm spawn spawn_idle 64
	fi
else
	show_err spawn
	fail spawn/run "cprof-bpf (whole host) did not start profiling within 60 s"
fi
e2e_exit

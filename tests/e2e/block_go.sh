#!/usr/bin/env bash
# A Go service idling on the network (tests/workloads/goidle.go: a TCP server on 127.0.0.1
# fed one byte per second), profiled from its start for SECS seconds. What a user sees:
#   - the CPU profile is nearly empty (the service uses < 5% of a core);
#   - the block profile shows where its threads wait, and that is the Go scheduler, not
#     the goroutines' code: the goroutines are parked, on no thread's stack. One thread
#     waits in the netpoller (epoll_pwait under runtime.netpoll ← runtime.findRunnable)
#     about the whole run; idle Ms sleep on futexes under runtime.notesleep /
#     runtime.futexsleep; sysmon naps. So: ≈ SECS of delay under runtime.netpoll with
#     epoll kernel frames, and ≥ 80% of the process's delay under the scheduler's idle
#     functions, with user frames in Go code (runtime.*) on ≥ 90% of it, and < 1% under the
#     goroutines' own main.* frames;
#   - the summary says the process was off-CPU nearly all the time, pointing at
#     block.pb.gz.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/block.bash"
require_pprof # before the binary: it is built only where Go is installed
require_binary goidle
require_bpf

secs=5
run_cprof run 60 -o "$E2E_TMP/run" -- "$WL/goidle" "$secs"
child=$(sed -n 's/^goidle: pid \([0-9]*\)$/\1/p' "$E2E_TMP/run.out")
prof=$E2E_TMP/run/block.pb.gz
if [ "$RC" -ne 0 ] || [ ! -s "$prof" ] || [ -z "$child" ]; then
	show_err run
	fail run "cprof-bpf -- goidle $secs exited $RC after ${ELAPSED_MS} ms; $prof $([ -s "$prof" ] && echo written || echo missing); child pid '$child'"
	e2e_exit
fi
if ! samples=$(block_samples "$prof") || [ -z "$samples" ]; then
	fail run "go tool pprof cannot read $prof: $(head -1 "$PPROF_ERR")"
	e2e_exit
fi
pass run "exit 0 in ${ELAPSED_MS} ms"

# CPU: at 99 Hz, 5% of a core over the run is ~25 samples. Counted from the labels (pprof's
# -tagfocus reads a pid as a numeric range), in a profile pprof reads and whose sampling
# covered the run: an unreadable or cut-short profile is no evidence of an idle service.
cprof_cpu=$E2E_TMP/run/cpu.pb.gz
max=$(awk -v s="$secs" 'BEGIN { printf "%d", 0.05 * s * 99 }')
if [ ! -s "$cprof_cpu" ]; then
	fail cpu_empty "$cprof_cpu missing: the default kinds include cpu"
elif ! cpu_traces=$(pprof_traces "$cprof_cpu"); then
	fail cpu_empty "go tool pprof cannot read $cprof_cpu: $(head -1 "$PPROF_ERR")"
else
	why=()
	cpu=$(traces_count "index(lab, \",pid=$child,\")" <<<"$cpu_traces")
	cpu_dur=$(profile_duration "$cprof_cpu")
	fcmp "$cpu_dur >= 0.9 * $secs * 1e9" ||
		why+=("the CPU profile covers $(secs "$cpu_dur") s of the $secs s run")
	[ "$cpu" -le "$max" ] || why+=("$cpu samples is more than 5% of a core")
	verdict cpu_empty "$cpu CPU samples for pid $child in $(secs "$cpu_dur") s at 99 Hz, want ≤ $max (5% of a core)" "${why[@]}"
fi

proc=",pid=$child,"
mine="index(lab, \"$proc\")"
all=$(delay_sum "$mine" <<<"$samples")
poll=$(delay_sum "$mine && $(has_frame 'do_epoll_wait|ep_poll|__x64_sys_epoll_pwait|__x64_sys_epoll_wait') && $(has_frame 'runtime.netpoll')" <<<"$samples")
if fcmp "$poll >= 0.7 * $secs * 1e9"; then
	pass netpoll "$(secs "$poll") s of delay in epoll under runtime.netpoll, want ≥ 70% of the $secs s run"
else
	block_samples "$prof" | sort -t "$(printf '\t')" -k2,2nr | head -5 | cut -c1-300 | sed 's/^/    | /'
	fail netpoll "$(secs "$poll") s of delay in epoll under runtime.netpoll, want ≥ 70% of the $secs s run (biggest samples above)"
fi
futex=$(delay_sum "$mine && $(has_frame 'futex_wait|futex_do_wait|__x64_sys_futex') && $(has_frame 'runtime.futexsleep')" <<<"$samples")
if [ "$futex" -gt 0 ]; then
	pass futex "$(secs "$futex") s of delay in futex waits under runtime.futexsleep (idle Ms)"
else
	fail futex "no delay in futex waits under runtime.futexsleep: idle Ms were not seen"
fi
check_share go_frames "$samples" "$mine" 'stack ~ /(^|;)runtime\./' 90 \
	"of pid $child's delay with user frames in Go code (runtime.*)"
check_share scheduler "$samples" "$mine" \
	"$(has_frame 'runtime.findRunnable|runtime.stopm|runtime.sysmon|runtime.notesleep|runtime.notetsleep|runtime.netpoll|runtime.templateThread|runtime.bgscavenge|runtime.bgsweep|runtime.forcegchelper|runtime.gcBgMarkWorker')" 80 \
	"of pid $child's delay in the Go scheduler's idle functions"
# The goroutines' own code is not where threads wait: a goroutine that blocks is parked
# and its thread waits in the scheduler, so main.* frames (main.serve, main.client) carry
# next to none of the delay (a thread preempted while running them, at most).
# A wait that began before goidle's unwind tables were published (its first milliseconds,
# a race the profiler loses now and then on a busy machine, more often in the sanitizer
# build) is unwound by frame pointers, its stack marked [truncated]: Go's frame pointers
# lead from runtime.mcall on into the parked goroutine's frames. Those are not counted.
main_delay=$(delay_sum "$mine && stack ~ /(^|;)main\./ && stack !~ /;\[truncated\]$/" <<<"$samples")
main_share=$(pct "$main_delay" "$all")
if [ "$all" -gt 0 ] && fcmp "$main_share < 1"; then
	pass where "of $(secs "$all") s of delay in all threads, $main_share% has a main.* frame, want < 1%: goroutine waits show as scheduler waits"
else
	fail where "of $(secs "$all") s of delay in all threads, $main_share% has a main.* frame, want < 1%: goroutine waits should show as scheduler waits"
fi

if grep -q "hint: pid $child was off-CPU [0-9]*% of the time: see block.pb.gz" "$E2E_TMP/run.err"; then
	pass hint "$(grep -m1 "hint: pid $child" "$E2E_TMP/run.err" | sed 's/^ *//')"
else
	show_err run
	fail hint "the summary has no off-CPU hint for pid $child"
fi
e2e_exit

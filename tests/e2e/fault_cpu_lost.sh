#!/usr/bin/env bash
# A burst of CPU samples that overflows the ring buffer. cprof-bpf (-t cpu -F 999,
# --ring-size 1, --max-depth 256) watches spin_one, which spins throughout, and
# fault_burst, idle until SIGUSR1 and then 4 threads 240 calls deep for 3 s: records of
# about 2 KiB, as many as the CPUs can take. The burst comes while cprof-bpf is stopped (SIGSTOP, 3 s), so that the
# ring buffer must fill. Afterwards:
#   - the summary reports the lost records, and cpu.pb.gz has one [lost samples] frame
#     with exactly that count;
#   - nothing else vanished: kept + lost samples are HZ per second of the CPU time both
#     processes used while sampling was on (±15%);
#   - what was kept is not disturbed: spin_one's samples are at least HZ × the CPU time it
#     used outside the stop (-15%), and at most HZ × all it used (+15%).
# (block_lost.sh tests the same for the block profile.)
source "$(dirname "$0")/lib.bash"
require_binary spin_one fault_burst
require_bpf
require_pprof

hz=999
tol=15

start_bg spin "$WL/spin_one" 60
start_bg burst "$WL/fault_burst" 4 240 3
if ! wait_until 10 has_line "$E2E_TMP/burst.log" '^waiting$'; then
	fail run "fault_burst (pid $burst) did not say it was waiting within 10 s"
	e2e_exit
fi
cpu_log_start "$spin" "$burst"
start_cprof_bg run -t cpu -F "$hz" --ring-size 1 --max-depth 256 -p "$spin,$burst" -o "$E2E_TMP/run"
if ! wait_ready run 60; then
	show_err run
	fail run "cprof-bpf -p $spin,$burst did not start profiling within 60 s"
	e2e_exit
fi
sleep 2
t_stop=$EPOCHREALTIME
kill -STOP "$CPROF_PID"
kill -USR1 "$burst"
sleep 3
kill -CONT "$CPROF_PID"
t_cont=$EPOCHREALTIME
sleep 2
kill -INT "$CPROF_PID"
wait_exit "$CPROF_PID" 60
prof=$E2E_TMP/run/cpu.pb.gz
# Exit status 3: fault_burst, a -p target, exited during the run (README).
if { [ "$RC" -ne 0 ] && [ "$RC" -ne 3 ]; } || [ ! -s "$prof" ] || ! traces=$(pprof_traces "$prof"); then
	show_err run
	fail run "cprof-bpf exited $RC after SIGINT; $prof $([ -s "$prof" ] && echo written || echo unreadable or missing)"
	e2e_exit
fi
if ! has_line "$E2E_TMP/burst.log" '^fault_burst: cpu '; then
	fail run "fault_burst did not finish its burst: $(head -c 200 "$E2E_TMP/burst.log")"
	e2e_exit
fi
pass run "exit $RC after a 3 s SIGSTOP during the burst"

# "cpu: N samples in S s, M lost (ring buffer full: raise --ring-size), ..."
line=$(grep -m1 '^cpu: ' "$E2E_TMP/run.err")
lost=$(sed -n 's/^cpu: [0-9]* samples in [0-9.]* s, \([0-9]*\) lost (ring buffer full: raise --ring-size).*/\1/p' <<<"$line")
frame=$(traces_count 'stack == "[lost samples]"' <<<"$traces")
if [ -z "$lost" ] || [ "$lost" -eq 0 ]; then
	show_err run
	fail lost "the summary reports no lost CPU samples: '$line'"
	e2e_exit
fi
if [ "$frame" -eq "$lost" ]; then
	pass lost "[lost samples] holds $frame samples, as the summary says: '${line%, [0-9]* kernel*}'"
else
	fail lost "[lost samples] holds $frame samples, the summary says $lost lost: '$line'"
fi

all=$(traces_count 1 <<<"$traces")
kept=$((all - frame))
spin_n=$(traces_count 'lab ~ /,pid='"$spin"',/' <<<"$traces")
burst_n=$(traces_count 'lab ~ /,pid='"$burst"',/ && stack ~ /(^|;)burst_hot(;|$)/' <<<"$traces")
want_spin=$(window_samples "$prof" 1 "$hz")
want_burst=$(window_samples "$prof" 2 "$hz")
stopped=$(cpu_between 1 "$t_stop" "$t_cont")
outside=$(awk -v w="$want_spin" -v s="$stopped" -v hz="$hz" 'BEGIN { printf "%d", w - s * hz }')
check_count total "$((kept + lost))" "$((want_spin + want_burst))" "$tol" \
	"samples kept ($kept) and lost ($lost) for the CPU time of both"
why=()
fcmp "$spin_n >= $outside * (1 - $tol / 100)" ||
	why+=("$spin_n samples of spin_one, want ≥ $outside -$tol% (its CPU time outside the stop)")
fcmp "$spin_n <= $want_spin * (1 + $tol / 100)" ||
	why+=("$spin_n samples of spin_one, want ≤ $want_spin +$tol% (all its CPU time)")
fcmp "$burst_n > 0" || why+=("no sample of the burst kept")
verdict steady "spin_one: $spin_n samples kept, $outside due outside the 3 s stop, $want_spin in all; burst_hot: $burst_n kept of $want_burst" "${why[@]}"
e2e_exit

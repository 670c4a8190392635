#!/usr/bin/env bash
# Mutex profile against the locks workload's ground truth (tests/workloads/locks.c, mode
# contend): 4 workers contend on hot_lock, held ~200 µs, released in hot_release; a calm
# thread uses calm_lock alone. Checks: ≥ 90% of the delay under hot_release (the holder's
# stack at the release), calm_lock ≈ 0, the total delay within ±15% of the time the
# workload measured inside pthread_mutex_lock, the lock label, Go's profile conventions,
# and --mutex-rate's scaling. Also that -t without mutex writes no mutex.pb.gz and that
# mutex is part of the default set for COMMAND.
source "$(dirname "$0")/lib.bash"
require_binary locks
require_bpf
require_pprof

secs=4
run_cprof run 60 -o "$E2E_TMP/run" -- "$WL/locks" contend "$secs"
prof=$E2E_TMP/run/mutex.pb.gz
if [ "$RC" -ne 0 ] || [ ! -s "$prof" ]; then
	show_err run
	fail run "cprof-bpf -- locks contend $secs exited $RC; $prof $([ -s "$prof" ] && echo written || echo missing)"
	e2e_exit
fi
# Delays are read in milliseconds (pprof -unit=ms); the workload reports nanoseconds.
ms() { awk -v n="${1:-0}" 'BEGIN { printf "%.3f", n / 1e6 }'; }
read -r truth calm_truth < <(sed -n 's/^locks: hot_wait_ns \([0-9]*\) calm_wait_ns \([0-9]*\).*/\1 \2/p' "$E2E_TMP/run.out")
truth=$(ms "$truth")
traces=$(pprof_traces "$prof" -sample_index=delay -unit=ms)
total=$(traces_count 1 <<<"$traces")
# The contended section's holder stack: hot_section (its release, hot_release, is below it
# unless the unwinder fell back to frame pointers before libc's tables were ready).
hot=$(traces_count '$3 ~ /(^|;)hot_section;worker(;|$)/' <<<"$traces")
release=$(traces_count '$3 ~ /(^|;)hot_release;hot_section;worker(;|$)/' <<<"$traces")
hot_label=$(traces_count 'lab ~ /,lock=hot_lock,/' <<<"$traces")
calm=$(traces_count 'lab ~ /,lock=calm_lock,/ || $3 ~ /calm_section/' <<<"$traces")

why=()
fcmp "$truth > 0" || why+=("the workload reported no lock wait: '$(head -c 200 "$E2E_TMP/run.out")'")
fcmp "$hot >= 0.9 * $total && $total > 0" ||
	why+=("hot_section;worker holds $hot of $total ms ($(pct "$hot" "$total")%), want ≥ 90%")
[ ${#why[@]} -gt 0 ] && sed -n '1,20s/^/    | /p' <<<"$traces"
verdict holder_stack "$(pct "$hot" "$total")% of $total ms under hot_section → worker, $(pct "$release" "$total")% with hot_release below" "${why[@]}"

why=()
fcmp "$hot_label >= 0.9 * $total && $total > 0" ||
	why+=("lock=hot_lock labels $hot_label of $total ms; labels seen: $(cut -f2 <<<"$traces" | sort -u | head -5 | tr '\n' ' ')")
verdict lock_label "lock=hot_lock on $(pct "$hot_label" "$total")% of the delay" "${why[@]}"

# calm_lock is never contended: nothing of it may appear (the workload's own figure for it
# is lock-call overhead, a few µs in all).
why=()
fcmp "$total > 0" || why+=("no delay in the profile: nothing to find calm_lock in")
fcmp "$calm <= 0.001 * $total" || why+=("calm_lock has $calm ms of $total")
verdict calm_lock "calm_lock $calm ms (workload: $(ms "$calm_truth") ms inside pthread_mutex_lock)" "${why[@]}"

check_count total_delay "$total" "${truth:-0}" 15 "ms of delay vs the workload's time in pthread_mutex_lock"

raw=$(profile_raw "$prof")
why=()
grep -qx 'PeriodType: contentions count' <<<"$raw" || why+=("period type '$(grep -m1 '^PeriodType:' <<<"$raw")'")
grep -qx 'Period: 1' <<<"$raw" || why+=("period '$(grep -m1 '^Period:' <<<"$raw")'")
grep -qx 'contentions/count delay/nanoseconds' <<<"$raw" ||
	why+=("sample types '$(sed -n '/^Samples:/{n;p;q}' <<<"$raw")'")
verdict format "contentions/count delay/nanoseconds, period type contentions/count" "${why[@]}"

# --mutex-rate 10: about a tenth of the records, values scaled back by 10.
run_cprof rate 60 --mutex-rate 10 -t mutex -o "$E2E_TMP/rate" -- "$WL/locks" contend "$secs"
rprof=$E2E_TMP/rate/mutex.pb.gz
rtruth=$(ms "$(sed -n 's/^locks: hot_wait_ns \([0-9]*\) .*/\1/p' "$E2E_TMP/rate.out")")
rtotal=$(pprof_traces "$rprof" -sample_index=delay -unit=ms | traces_count 1)
odd=$(profile_raw "$rprof" | awk '/^Samples:/ { s = 1; getline; next } /^[A-Z]/ { s = 0 }
	s && /^ *[0-9]+ +[0-9]+:/ && $1 % 10 { n++ } END { print n + 0 }')
why=()
[ "$RC" -eq 0 ] || why+=("exited $RC")
within "$rtotal" "${rtruth:-0}" 30 || why+=("delay $rtotal ms vs the workload's $rtruth ms, want ±30%")
[ "$odd" -eq 0 ] || why+=("$odd samples have a contention count that is no multiple of 10")
[ ! -e "$E2E_TMP/rate/cpu.pb.gz" ] || why+=("-t mutex also wrote cpu.pb.gz")
verdict mutex_rate "--mutex-rate 10: $rtotal ms vs $rtruth ms measured, counts multiples of 10" "${why[@]}"

# The lock's name outlives its process: the COMMAND's child exits 4 s before the run ends,
# past the second after which an exited process's maps leave the live table, and the
# final profile still names the lock from the maps it had (no "0xADDR" labels).
run_cprof gone 60 -t mutex -o "$E2E_TMP/gone" -- sh -c "'$WL/locks' contend 2; sleep 4"
gtraces=$(pprof_traces "$E2E_TMP/gone/mutex.pb.gz" -sample_index=delay -unit=ms 2>/dev/null)
gtotal=$(traces_count 1 <<<"$gtraces")
glabel=$(traces_count 'lab ~ /,lock=hot_lock,/' <<<"$gtraces")
why=()
[ "$RC" -eq 0 ] || why+=("exited $RC")
fcmp "${glabel:-0} >= 0.9 * ${gtotal:-0} && ${gtotal:-0} > 0" ||
	why+=("lock=hot_lock labels $glabel of $gtotal ms; labels seen: $(cut -f2 <<<"$gtraces" | sort -u | head -5 | tr '\n' ' ')")
verdict lock_label_after_exit "lock=hot_lock on $(pct "${glabel:-0}" "${gtotal:-0}")% of $gtotal ms, the process gone 4 s before the end" "${why[@]}"

run_cprof nomutex 60 -t cpu,block -o "$E2E_TMP/nomutex" -- "$WL/locks" contend 1
why=()
[ "$RC" -eq 0 ] || why+=("exited $RC")
[ ! -e "$E2E_TMP/nomutex/mutex.pb.gz" ] || why+=("-t cpu,block wrote mutex.pb.gz")
verdict types_without_mutex "-t cpu,block: no mutex.pb.gz" "${why[@]}"

# Default set: mutex with -p (and COMMAND, above), not for the whole host.
start_bg target "$WL/locks" contend 4
run_cprof bypid 60 -d 2 -p "$target" -o "$E2E_TMP/bypid"
run_cprof host 60 -d 1 -o "$E2E_TMP/host"
pid_hot=$(pprof_traces "$E2E_TMP/bypid/mutex.pb.gz" -sample_index=delay -unit=ms 2>/dev/null |
	traces_count 'lab ~ /,lock=hot_lock,/ && $3 ~ /hot_section/')
why=()
fcmp "${pid_hot:-0} > 0" || why+=("-p without -t: no hot_lock delay in $E2E_TMP/bypid/mutex.pb.gz")
[ ! -e "$E2E_TMP/host/mutex.pb.gz" ] || why+=("whole host without -t wrote mutex.pb.gz")
[ ${#why[@]} -gt 0 ] && show_err bypid
verdict default_types "-p: $pid_hot ms of hot_lock delay; whole host: no mutex.pb.gz" "${why[@]}"
e2e_exit

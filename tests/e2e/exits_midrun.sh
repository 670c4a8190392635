#!/usr/bin/env bash
# A target that exits during the run: `shortlived 4 wait` burns short_hot for 4 s from the
# SIGUSR1 it gets once cprof-bpf, attached with -p for 7 s, says it is profiling (starting
# every default kind takes 1-3 s on a loaded 2-CPU machine, more than a fixed head start).
# Its samples must survive its exit and be symbolized from its binary although the pid is
# gone by the time the profile is written. Its exit is not an error: cprof-bpf exits 0, or
# 3 as the README documents for a -p target that exited during the run.
source "$(dirname "$0")/lib.bash"
require_binary shortlived
require_bpf
require_pprof

secs=7
life=4
min=80

start_bg target "$WL/shortlived" "$life" wait
if ! wait_until 10 has_line "$E2E_TMP/target.log" '^waiting$'; then
	fail run "shortlived $life wait (pid $target) did not say it was waiting within 10 s"
	e2e_exit
fi
cpu_log_start "$target"
start_cprof_bg run -p "$target" -d "$secs" -o "$E2E_TMP/run"
if wait_ready run 60; then
	kill -USR1 "$target"
	wait_exit "$CPROF_PID" 30
else
	RC=not-ready ELAPSED_MS=0
fi
prof=$E2E_TMP/run/cpu.pb.gz
# README: exit status 3 when a process given with -p exits during the run; 0 is as good.
if { [ "$RC" != 0 ] && [ "$RC" != 3 ]; } || [ ! -s "$prof" ]; then
	show_err run
	fail run "cprof-bpf -p $target -d $secs exited $RC after ${ELAPSED_MS} ms while the target exited after ${life}s; $prof $([ -s "$prof" ] && echo written || echo missing)"
	e2e_exit
fi
if [ -d "/proc/$target" ] && [ "$(awk '{ print $3 }' "/proc/$target/stat")" != Z ]; then
	fail run "shortlived (pid $target) outlived the ${secs}s profile: it should have exited after ${life}s"
	e2e_exit
fi
pass run "exit $RC in ${ELAPSED_MS} ms"

if ! traces=$(pprof_traces "$prof"); then
	fail read "go tool pprof cannot read $prof: $(head -1 "$PPROF_ERR")"
	e2e_exit
fi
# ≥ 80 samples, or 80% of what its CPU time while sampling is worth if it had less than a
# core (a loaded machine).
want=$(window_samples "$prof" 1 99)
[ $((want * 8 / 10)) -lt "$min" ] && min=$((want * 8 / 10))
hot=$(traces_count 'fr[1] == "short_hot"' <<<"$traces")
all=$(traces_count 1 <<<"$traces")
if [ "$want" -eq 0 ]; then
	fail short_hot "shortlived used no CPU time while sampling was on: $hot of $all samples in short_hot prove nothing"
elif [ "$hot" -ge "$min" ]; then
	pass short_hot "$hot of $all samples with leaf short_hot, want ≥ $min (its CPU time is worth $want)"
else
	pprof_top "$prof" | sed -n '1,20s/^/    | /p'
	fail short_hot "$hot of $all samples with leaf short_hot, want ≥ $min (its CPU time is worth $want)"
fi
# Symbolized after the exit: no shortlived+0x… or libc.so.6+0x… frame.
check_symbolized symbolized 'shortlived|libc\.so\.6' <<<"$traces"
e2e_exit

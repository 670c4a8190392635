#!/usr/bin/env bash
# Host-wide block profile (no -p, no COMMAND) for 3 s while offcpu runs: its threads'
# waits are there, labelled with its pid, comm and thread names, and right: napper,
# reader and feeder each wait the whole run (±10%: waits in progress at both edges count
# from the start sweep to the end sweep), burner almost never; the reader's waker is the
# feeder. Napper's single nanosleep is still in progress at the end, so it has kernel
# frames but no user stack (read only in the task's own context); the others have both.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/block.bash"
require_binary offcpu
require_bpf
require_pprof

start_bg target "$WL/offcpu" 30
if ! wait_until 10 has_threads "$target" napper reader feeder burner; then
	fail run "offcpu (pid $target) did not start its four threads within 10 s"
	e2e_exit
fi
run_cprof run 60 -t block -d 3 -o "$E2E_TMP/run"
prof=$E2E_TMP/run/block.pb.gz
if [ "$RC" -ne 0 ] || [ ! -s "$prof" ]; then
	show_err run
	fail run "cprof-bpf -t block -d 3 (whole host) exited $RC after ${ELAPSED_MS} ms; $prof $([ -s "$prof" ] && echo written || echo missing)"
	e2e_exit
fi
if ! samples=$(block_samples "$prof") || [ -z "$samples" ]; then
	fail run "go tool pprof cannot read $prof: $(head -1 "$PPROF_ERR")"
	e2e_exit
fi
dur=$(profile_duration "$prof")
pass run "exit 0 after ${ELAPSED_MS} ms, profile duration $(secs "$dur") s, $(cut -f3 <<<"$samples" | grep -o ',pid=[0-9]*,' | sort -u | wc -l) processes"

check_offcpu_threads "" "$samples" "$target" "$dur" "reader feeder"
check_share reader_waker "$samples" "$(thread_cond "$target" reader)" \
	"index(lab, \",waker=feeder,\") && index(lab, \",waker_pid=$target,\")" 90 \
	"of the reader's delay labelled waker=feeder waker_pid=$target"
check_share labels "$samples" "index(lab, \",pid=$target,\")" \
	'index(lab, ",comm=offcpu,") && lab ~ /,thread=(offcpu|napper|reader|feeder|burner),/' 100 \
	"of pid $target's delay labelled comm=offcpu and one of its thread names"
check_share napper_in_progress "$samples" "$(thread_cond "$target" napper)" \
	'fr[nf] == "[truncated]" && stack !~ /napper_wait/' 99 \
	"of napper's in-progress wait with kernel frames only, marked [truncated]"
e2e_exit

#!/usr/bin/env bash
# Drops are never silent: block records lost to a full ring buffer show in block.pb.gz as
# one [lost samples] frame carrying their count and their delay, and in the summary.
# pingpong with every wait kept (--block-rate 1) fills a 1 MiB ring buffer in well under a
# second while cprof-bpf, stopped with SIGSTOP, does not read it. The stop comes once
# cprof-bpf is attached and pingpong bounces (its pid line printed, its second thread up).
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/block.bash"
require_binary pingpong
require_bpf
require_pprof

# pingpong_bouncing: the command printed its pid (it was released after the attach) and
# has both of its threads.
pingpong_bouncing() {
	local pid
	pid=$(sed -n 's/^pingpong: pid \([0-9]*\)$/\1/p' "$E2E_TMP/run.out")
	[ -n "$pid" ] && has_line "/proc/$pid/status" '^Threads:[[:space:]]+2$'
}

# WAIT = 1: pingpong prints its pid and reads stdin first (/dev/null: it goes on at once).
start_cprof_bg run -t block --block-rate 1 --ring-size 1 -o "$E2E_TMP/run" -- "$WL/pingpong" 300000 1
if ! wait_ready run 60 || ! wait_until 10 pingpong_bouncing; then
	show_err run
	fail run "cprof-bpf -t block -- pingpong: not profiling a bouncing pingpong within 60 + 10 s; stdout: '$(head -c 200 "$E2E_TMP/run.out" | tr '\n' ' ')'"
	e2e_exit
fi
kill -STOP "$CPROF_PID"
sleep 1 # the stop itself, while pingpong fills the ring buffer
kill -CONT "$CPROF_PID"
wait_exit "$CPROF_PID" 60
prof=$E2E_TMP/run/block.pb.gz
if [ "$RC" -ne 0 ] || [ ! -s "$prof" ]; then
	show_err run
	fail run "cprof-bpf -t block --block-rate 1 --ring-size 1 -- pingpong exited $RC; $prof $([ -s "$prof" ] && echo written || echo missing)"
	e2e_exit
fi
if ! samples=$(block_samples "$prof") || [ -z "$samples" ]; then
	fail run "go tool pprof cannot read $prof: $(head -1 "$PPROF_ERR")"
	e2e_exit
fi
pass run "exit 0 (its pingpong ran through a 1 s SIGSTOP of the profiler)"

# "block: N samples in S s, M lost (ring buffer full: raise --ring-size), D s of delay in them; ..."
line=$(grep -m1 '^block: ' "$E2E_TMP/run.err")
read -r lost lost_s < <(sed -n 's/.*, \([0-9]*\) lost (ring buffer full: raise --ring-size), \([0-9.]*\) s of delay in them.*/\1 \2/p' <<<"$line")
if [ -z "$lost" ] || [ "$lost" -eq 0 ]; then
	show_err run
	fail summary "the summary reports no lost block records: '$line'"
	e2e_exit
fi
pass summary "$lost records lost with $lost_s s of delay, said with the remedy: '${line%%;*}'"

read -r cnt delay < <(awk -F '\t' '$4 == "[lost samples]" { c += $1; d += $2 } END { printf "%.0f %.0f\n", c, d }' <<<"$samples")
why=()
[ "$cnt" -eq "$lost" ] || why+=("[lost samples] has $cnt contentions, the summary says $lost lost")
fcmp "$delay > 0" || why+=("[lost samples] carries no delay")
awk -v d="$delay" -v s="$lost_s" 'BEGIN { exit !(d / 1e9 - s < 0.0015 && s - d / 1e9 < 0.0015) }' ||
	why+=("[lost samples] carries $(secs "$delay") s of delay, the summary says $lost_s s")
verdict lost_frame "[lost samples]: $cnt contentions, $(secs "$delay") s of delay ($(pct "$delay" "$(delay_sum 1 <<<"$samples")")% of the profile)" "${why[@]}"
e2e_exit

#!/usr/bin/env bash
# cprof-bpf -- COMMAND follows the command's children, and only while they live: once a
# child has exited and been reaped, its pid may go to an unrelated process, which must not
# be profiled. The command starts spin_one (a child, followed: profiled), waits for it, and
# sleeps; meanwhile this script makes the kernel give spin_one's pid to spin_two, started
# from here, not from the command (ns_last_pid: the pid before it, as checkpoint/restore
# tools do), and spin_two burns 1.5 s of CPU under that pid.
#   child:  spin_one's samples are in the profile, labelled with its pid;
#   reused: none of spin_two's (before the fix: ~300 at 199 Hz, the pid stayed watched).
source "$(dirname "$0")/lib.bash"
require_binary spin_one
require_binary spin_two
require_bpf
require_pprof
[ -w /proc/sys/kernel/ns_last_pid ] || skip_all "/proc/sys/kernel/ns_last_pid is not writable: a pid cannot be reused on purpose"

hz=199
start_cprof_bg run -t cpu -F "$hz" -o "$E2E_TMP/run" -- \
	sh -c '"$1" 0.5 >/dev/null & echo "child $!"; wait; echo reaped; sleep 4' sh "$WL/spin_one"
if ! wait_until 30 has_line "$E2E_TMP/run.out" '^reaped$'; then
	show_err run
	fail child "the command did not report its child reaped within 30 s: $(head -c 200 "$E2E_TMP/run.out")"
	e2e_exit
fi
child=$(sed -n 's/^child \([0-9]*\)$/\1/p' "$E2E_TMP/run.out")
# The pid leaves the filter when the child's task is freed, an RCU grace period after the
# reap (milliseconds; tens on a busy machine). The kernel hands pids out in turn, so it
# gives this one again only after all the others; here it is forced at once: wait that out.
sleep 0.5

# The next pid the kernel gives is ns_last_pid + 1, unless another process forks first:
# then this tries again. echo is a builtin, so nothing of ours forks in between.
reused=
for ((i = 0; i < 50; i++)); do
	echo $((child - 1)) >/proc/sys/kernel/ns_last_pid
	"$WL/spin_two" 1.5 >"$E2E_TMP/spin_two.log" 2>&1 &
	b=$!
	if [ "$b" = "$child" ]; then
		reused=$b
		break
	fi
	kill "$b" 2>/dev/null
	wait "$b" 2>/dev/null
done
[ -n "$reused" ] && wait "$reused"
wait_exit "$CPROF_PID" 30
prof=$E2E_TMP/run/cpu.pb.gz
if [ "$RC" -ne 0 ] || [ ! -s "$prof" ]; then
	show_err run
	fail child "cprof-bpf -- sh -c ... exited $RC; $prof $([ -s "$prof" ] && echo written || echo missing)"
	e2e_exit
fi

traces=$(pprof_traces "$prof")
ours=$(traces_count 'lab ~ /,comm=spin_one,/ && lab ~ /,pid='"$child"',/' <<<"$traces")
# spin_one ran 0.5 s of CPU: ~100 samples at 199 Hz; a fifth is enough to say it was followed.
if [ "$ours" -ge 20 ]; then
	pass child "$ours samples of the command's child spin_one (pid $child)"
else
	fail child "$ours samples of the command's child spin_one (pid $child), want >= 20: children are not followed"
fi
if [ -z "$reused" ]; then
	echo "SKIP: $E2E_SUITE/reused: pid $child was not given to spin_two in 50 tries (other processes forking)"
	e2e_exit
fi
theirs=$(traces_count 'lab ~ /,comm=spin_two,/' <<<"$traces")
if [ "$theirs" -eq 0 ]; then
	pass reused "no samples of spin_two, which got pid $child after the child was reaped, and spun 1.5 s"
else
	fail reused "$theirs samples of spin_two, an unrelated process that got the reaped child's pid $child: the pid stayed in the filter"
fi
e2e_exit

#!/usr/bin/env bash
# -t threads: the snapshot of `cprof-bpf stacks` taken every --threads-interval during a run,
# written as threads.pb.gz (threads/count: the average number of threads per stack).
#   1. threads (tests/workloads/threads.c) over 3 s at 0.5 s: 6 or 7 snapshots; threads/count
#      through sleep_main, read_main, lock_main and spin_main is 10, 10, 10 and 20 (±0.5),
#      the first three all "sleeping", the spinners all "running" (state label), each
#      thread under its own name (thread label); thread_snapshots/count is the exact sum.
#   2. go tool pprof -raw reads the file; pprofcheck (Parca's and Alloy's rules) passes it;
#      flame.html shows the kind; `cprof-bpf report` reads it with threads/count by default.
#   3. Not in the default set with -p; host-wide, every program's threads (the workload's
#      among them, as with -p, and no kernel thread's); a bad
#      --threads-interval is a usage error (exit 2); `top -t threads` says why not (exit 2).
source "$(dirname "$0")/lib.bash"
require_binary threads
require_root
require_pprof
has_bpf_caps || skip_all "no CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN in this environment"
PC=$OUT/tools/pprofcheck

start_bg wl "$WL/threads" 120
wait_until 20 has_line "$E2E_TMP/wl.log" '^threads: pid [0-9]+ ready$' ||
	{ fail setup "threads (pid $wl) did not get its threads in place within 20 s"; e2e_exit; }

# ---- 1. the profile ---------------------------------------------------------------------
run_cprof run 60 -t threads -p "$wl" -d 3 --threads-interval 0.5 -o "$E2E_TMP/run"
PROF=$E2E_TMP/run/threads.pb.gz
if [ "$RC" -ne 0 ] || [ ! -s "$PROF" ]; then
	if grep -q "refused the thread iterator" "$E2E_TMP/run.err"; then
		skip_all "$(grep -m1 "refused the thread iterator" "$E2E_TMP/run.err")"
	fi
	show_err run
	fail run "cprof-bpf -t threads -p $wl -d 3 exited $RC; $PROF $([ -s "$PROF" ] && echo written || echo missing)"
	e2e_exit
fi
snaps=$(sed -n 's/^cprof-bpf: threads: \([0-9]*\) snapshots every 0.5 s, .*/\1/p' "$E2E_TMP/run.err")
verdict snapshots "${snaps:-no} snapshots in 3 s at 0.5 s" \
	$([ "${snaps:-0}" -ge 6 ] && [ "${snaps:-0}" -le 7 ] || echo "want 6 or 7")
ls "$E2E_TMP/run" | grep -qv '^threads.pb.gz$\|^flame.html$' &&
	fail only "other profiles written: $(ls "$E2E_TMP/run")"

if ! TRACES=$(pprof_traces "$PROF" -sample_index=threads); then
	fail read "go tool pprof cannot read $PROF: $(head -1 "$PPROF_ERR")"
	e2e_exit
fi
# each group: the entry function, threads/count wanted, the state label, the name prefix
for g in "sleep_main 10 sleeping sleep" "read_main 10 sleeping read" \
	"lock_main 10 sleeping lock" "spin_main 20 running spin"; do
	read -r fn want state name <<<"$g"
	got=$(traces_count '";" stack ";" ~ /;'"$fn"';/' <<<"$TRACES")
	other=$(traces_count '";" stack ";" ~ /;'"$fn"';/ && lab !~ /,state='"$state"',/' <<<"$TRACES")
	names=$(traces_count '";" stack ";" ~ /;'"$fn"';/ && lab !~ /,thread='"$name"'-[0-9]+,/' <<<"$TRACES")
	verdict "$fn" "threads/count $got through $fn (want $want ±0.5), $other not $state, $names not named $name-N" \
		$(fcmp "$got >= $want - 0.5 && $got <= $want + 0.5" || echo "count off") \
		$([ "$other" = 0 ] || echo "states") $([ "$names" = 0 ] || echo "names")
done
sum=$("$PC" sum -type thread_snapshots "$PROF" 2>&1 | sed -n 's/^total //p')
verdict snapshot_sum "thread_snapshots/count $sum = 51 threads × ${snaps:-?} snapshots" \
	$([ "${sum:-0}" = $((51 * ${snaps:-0})) ] || echo "want $((51 * ${snaps:-0}))")
# threads/count's fractions are apportioned: its total is the average thread count, 51.
avg=$("$PC" sum -type threads "$PROF" 2>&1 | sed -n 's/^total //p')
verdict average_sum "threads/count sums to $avg" $([ "${avg:-0}" = 51 ] || echo "want 51")

# ---- 2. readers -------------------------------------------------------------------------
if profile_raw "$PROF" >"$E2E_TMP/raw" && grep -q '^thread_snapshots/count threads/count$' "$E2E_TMP/raw"; then
	pass raw "go tool pprof -raw: $(grep -c 'state:\[' "$E2E_TMP/raw") samples, types thread_snapshots/count threads/count"
else
	fail raw "go tool pprof -raw: $(head -1 "$PPROF_ERR") $(sed -n 7p "$E2E_TMP/raw")"
fi
if "$PC" validate "$PROF" >"$E2E_TMP/check" 2>&1; then
	pass pprofcheck "$(grep -c '^ok' "$E2E_TMP/check") rules"
else
	fail pprofcheck "$(grep -m1 '^FAIL' "$E2E_TMP/check")"
fi
page_json "$E2E_TMP/run/flame.html" >"$E2E_TMP/page.json" 2>/dev/null
verdict flame "flame.html's kinds: $(grep -o '"label":"[a-z]*"' "$E2E_TMP/page.json" | tr '\n' ' ')" \
	$(grep -q '"label":"threads"' "$E2E_TMP/page.json" || echo "no threads kind")
run_cprof report 30 report "$PROF" --top 3
verdict report "$(grep -m1 '^Type:' "$E2E_TMP/report.out"), top: $(sed -n 's/.*% *\(f_spin\)$/\1/p' "$E2E_TMP/report.out")" \
	$([ "$RC" = 0 ] || echo "exit $RC") \
	$(grep -q '^Type: threads$' "$E2E_TMP/report.out" || echo "not threads/count") \
	$(grep -Eq ' f_spin$' "$E2E_TMP/report.out" || echo "no f_spin")

# ---- 3. where it is not, and bad input --------------------------------------------------
# check_usage NAME WANT-RE ARGS...: cprof-bpf ARGS exits 2 with one line matching WANT-RE.
check_usage() {
	local name=$1 want=$2
	shift 2
	run_cprof "$name" 30 "$@"
	verdict "$name" "exit $RC: $(head -1 "$E2E_TMP/$name.err")" \
		$([ "$RC" = 2 ] || echo "want exit 2") \
		$([ "$(wc -l <"$E2E_TMP/$name.err")" = 1 ] || echo "want one line") \
		$(grep -Eq "$want" "$E2E_TMP/$name.err" || echo "want '$want'")
}
# Host-wide: every program's threads, the workload's among them as with -p, and this shell.
run_cprof host_wide 60 -t threads -d 2 --threads-interval 0.5 -o "$E2E_TMP/h"
if [ "$RC" -ne 0 ] || [ ! -s "$E2E_TMP/h/threads.pb.gz" ]; then
	show_err host_wide
	fail host_wide "cprof-bpf -t threads -d 2 (host-wide) exited $RC; threads.pb.gz $([ -s "$E2E_TMP/h/threads.pb.gz" ] && echo written || echo missing)"
elif ! HT=$(pprof_traces "$E2E_TMP/h/threads.pb.gz" -sample_index=threads); then
	fail host_wide "go tool pprof cannot read $E2E_TMP/h/threads.pb.gz: $(head -1 "$PPROF_ERR")"
else
	spin=$(traces_count '";" stack ";" ~ /;spin_main;/ && lab ~ /,pid='"$wl"',/' <<<"$HT")
	mine=$(traces_count 'lab ~ /,pid='"$$"',/' <<<"$HT")
	procs=$(awk -F '\t' '{ l = "," $2 ","; if (match(l, /,pid=[0-9]+,/)) print substr(l, RSTART, RLENGTH) }' <<<"$HT" | sort -u | wc -l)
	kthreads=$(traces_count 'lab ~ /,comm=(kworker|ksoftirqd|rcu_)/' <<<"$HT")
	verdict host_wide "$procs processes; threads/count $spin through the workload's spin_main (want 20 ±0.5), $mine in this shell (want 1), $kthreads of kernel threads (want 0)" \
		$(fcmp "$spin >= 19.5 && $spin <= 20.5" || echo "spin_main off") \
		$([ "$mine" = 1 ] || echo "this shell") $([ "$procs" -ge 3 ] || echo "too few processes") \
		$([ "$kthreads" = 0 ] || echo "kernel threads")
fi
check_usage interval_small "invalid --threads-interval '0.001'" -t threads -p "$wl" --threads-interval 0.001 -d 1
check_usage interval_word "invalid --threads-interval 'x'" -t threads -p "$wl" --threads-interval x -d 1
check_usage interval_big "invalid --threads-interval '61'" -t threads -p "$wl" --threads-interval 61 -d 1
check_usage top 'top shows the cpu and block profiles' top -t threads -p "$wl" -d 1
run_cprof default 60 -p "$wl" -d 1 -o "$E2E_TMP/def"
verdict default "-p without -t wrote: $(ls "$E2E_TMP/def" 2>/dev/null | tr '\n' ' ')" \
	$([ "$RC" = 0 ] || echo "exit $RC") $([ ! -e "$E2E_TMP/def/threads.pb.gz" ] || echo "threads.pb.gz written")
e2e_exit

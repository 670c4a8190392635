#!/usr/bin/env bash
# Comparing runs: two profiles of the same work (cpusplit -n 2400: about 4 s; a fixed number
# of rounds rather than a time, so that a busy machine does not change the amount), with
# different pids and ASLR bases, diffed with `go tool pprof -base`. The hot functions must
# cancel out: the sum of |flat| of hot_a, hot_b and hot_c in the diff is < 15% of the first
# run's total. Sampled at -F 499: at 99 Hz the binomial noise of two ~400-sample runs alone
# makes that sum ≈ 7% ± 3%, too close to the limit for a check that must hold every time.
source "$(dirname "$0")/lib.bash"
require_binary cpusplit
require_bpf
require_pprof

rounds=2400
for run in run1 run2; do
	run_cprof "$run" 60 -F 499 -o "$E2E_TMP/$run" -- "$WL/cpusplit" -n "$rounds"
	if [ "$RC" -ne 0 ] || [ ! -s "$E2E_TMP/$run/cpu.pb.gz" ]; then
		show_err "$run"
		fail "$run" "cprof-bpf -F 499 -- cpusplit -n $rounds exited $RC; cpu.pb.gz $([ -s "$E2E_TMP/$run/cpu.pb.gz" ] && echo written || echo missing)"
		e2e_exit
	fi
done
p1=$E2E_TMP/run1/cpu.pb.gz
p2=$E2E_TMP/run2/cpu.pb.gz

# The diff is only meaningful if both runs saw the hot functions.
top1=$(pprof_top "$p1")
total1=$(top_total <<<"$top1")
hot1=$(($(top_value hot_a cum <<<"$top1") + $(top_value hot_b cum <<<"$top1") + $(top_value hot_c cum <<<"$top1")))
top2=$(pprof_top "$p2")
hot2=$(($(top_value hot_a cum <<<"$top2") + $(top_value hot_b cum <<<"$top2") + $(top_value hot_c cum <<<"$top2")))
if [ "$hot1" -eq 0 ] || [ "$hot2" -eq 0 ]; then
	fail diff "hot_a+hot_b+hot_c have $hot1 samples in run1 and $hot2 in run2: nothing to compare"
	e2e_exit
fi
if ! diff=$(pprof_top "$p2" -base="$p1"); then
	fail diff "go tool pprof -base cannot compare the runs: $(head -1 "$PPROF_ERR")"
	e2e_exit
fi
a=$(top_value hot_a flat <<<"$diff")
b=$(top_value hot_b flat <<<"$diff")
c=$(top_value hot_c flat <<<"$diff")
sum=$((${a#-} + ${b#-} + ${c#-}))
limit=$((total1 * 15 / 100))
figures="diff hot_a $a hot_b $b hot_c $c: |sum| $sum of run1's $total1 samples ($(pct "$sum" "$total1")%), want < 15%"
if [ "$sum" -lt "$limit" ]; then
	pass diff "$figures"
else
	echo "$diff" | sed -n '1,20s/^/    | /p'
	fail diff "$figures"
fi
e2e_exit

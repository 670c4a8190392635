#!/usr/bin/env bash
# Two cprof-bpf runs at once on the same target (spin_one, -p, CPU at 99 Hz), both started
# together with the same empty cache directory (CPROF_CACHE_DIR): each builds the same
# unwind tables and writes the same cache files at the same moment. Both profiles must be
# whole: spin_one_hot their top function, with HZ samples per second of the CPU time
# spin_one used while each sampled (±25%, as host_wide.sh: two runs start at once on a
# loaded machine). The cache must come out valid: no temporary
# file left, and a third run reads every file (its summary counts all its tables as read
# from the cache, none compiled).
source "$(dirname "$0")/lib.bash"
require_binary spin_one
require_bpf
require_pprof

hz=99
secs=4
cache=$E2E_TMP/cache
export CPROF_CACHE_DIR=$cache

start_bg target "$WL/spin_one" 60
cpu_log_start "$target"
start_cprof_bg one -t cpu -F "$hz" -p "$target" -d "$secs" -o "$E2E_TMP/one"
pid_one=$CPROF_PID
start_cprof_bg two -t cpu -F "$hz" -p "$target" -d "$secs" -o "$E2E_TMP/two"
pid_two=$CPROF_PID
wait_exit "$pid_one" 90
rc_one=$RC
wait_exit "$pid_two" 90
rc_two=$RC

for run in one two; do
	rc=rc_$run
	prof=$E2E_TMP/$run/cpu.pb.gz
	if [ "${!rc}" -ne 0 ] || [ ! -s "$prof" ] || ! top=$(pprof_top "$prof"); then
		show_err "$run"
		fail "$run/run" "cprof-bpf -p $target -d $secs (run $run of two at once) exited ${!rc}; $prof $([ -s "$prof" ] && echo written || echo missing)"
		continue
	fi
	first=$(awk '/^ *flat  *flat%/ { getline; print $6; exit }' <<<"$top")
	hot=$(top_value spin_one_hot flat <<<"$top")
	if [ "$first" = spin_one_hot ]; then
		pass "$run/top" "spin_one_hot first, $hot of $(top_total <<<"$top") samples"
	else
		fail "$run/top" "the top function is '$first', want spin_one_hot"
	fi
	check_count "$run/samples" "$hot" "$(window_samples "$prof" 1 "$hz")" 25 \
		"samples in spin_one_hot during its ${secs} s"
done

# The cache both wrote.
files=$(find "$cache" -maxdepth 1 -name '*.cfi' 2>/dev/null | wc -l)
temps=$(find "$cache" -maxdepth 1 -name '.*' -type f 2>/dev/null | wc -l)
if [ "$files" -ge 2 ] && [ "$temps" -eq 0 ]; then
	pass cache/files "$files tables in $cache, no temporary file left"
else
	fail cache/files "$files tables and $temps temporary files in $cache: $(ls -A "$cache" 2>&1 | head -5 | tr '\n' ' ')"
fi
run_cprof three 60 -t cpu -F "$hz" -p "$target" -d 1 -o "$E2E_TMP/three"
line=$(grep -m1 '^unwind tables: ' "$E2E_TMP/three.err")
read -r objects cached < <(sed -n 's/^unwind tables: \([0-9]*\) objects with CFI, .*, \([0-9]*\) tables read from the cache,.*/\1 \2/p' <<<"$line")
if [ "$RC" -ne 0 ] || [ -z "$objects" ]; then
	show_err three
	fail cache/read "the third run exited $RC; summary: '$line'"
elif [ "$cached" -eq "$objects" ] && [ "$cached" -eq "$files" ]; then
	pass cache/read "the third run read all $cached tables from the cache ($files files)"
else
	fail cache/read "the third run read $cached of its $objects tables from the cache ($files files); summary: '$line'"
fi
e2e_exit

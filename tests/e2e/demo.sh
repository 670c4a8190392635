#!/usr/bin/env bash
# `make demo` tells its story (scripts/demo on tests/workloads/demo.c), with numbers against
# the workload's ground truth (its "demo: truth ..." line on stderr):
#   - cpu: parse_request, compute_etag and render_response flat in their designed 50/30/20
#     split (±8 points, shares of the three), the three ≥ 65% of all samples; and the summary
#     finds the process off-CPU ≥ 90% of the time, with the hint that says where to look;
#   - block: the waiters — delay waiting for config_lock (under with_config_lock, outside
#     reload_config), in fetch_from_backend and in reload_config, each within ±25% of the
#     time the workload measured; the lock waiters hold the most;
#   - mutex: the holder — ≥ 90% of the delay under with_config_lock, the total within ±25%
#     of the workload's time in pthread_mutex_lock;
#   - heap: inuse_space's top function is cache_insert_leaky, its bytes within ±30% of what
#     the workload leaked; parse_request allocated and freed (alloc_space, not inuse);
#   - flame.html is written in the run directory with its embedded data, and the summary
#     names it; the demo printed `cprof-bpf report` of every profile, naming the function
#     each one's story is about.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/heap.bash"
require_binary demo
require_bpf cpu block mutex heap
require_pprof

# Sampled more often than by default, for figures tight enough to compare: at 99 Hz the
# demo's ~0.4 s of CPU a second gives ~250 samples (a share's standard error ±3 points),
# and at 512 KiB the leak ~120 heap samples (±9%).
dir=$E2E_TMP/run
t0=$(now_ms)
DEMO_CPROF_ARGS="-F 499 --heap-rate 131072" CPROF=$CPROF timeout -k 5 120 "$CPROF_ROOT/scripts/demo" "$WL/demo" "$dir" \
	>"$E2E_TMP/run.out" 2>"$E2E_TMP/run.err"
RC=$?
ELAPSED_MS=$(($(now_ms) - t0))
why=()
[ "$RC" -eq 0 ] || why+=("scripts/demo exited $RC")
for f in cpu.pb.gz block.pb.gz mutex.pb.gz heap.pb.gz flame.html; do
	[ -s "$dir/$f" ] || why+=("no $f")
done
if [ ${#why[@]} -gt 0 ]; then
	show_err run
	sed 's/^/    > /' "$E2E_TMP/run.out" | tail -20
fi
verdict run "scripts/demo in $ELAPSED_MS ms" "${why[@]}"
[ -s "$dir/cpu.pb.gz" ] || e2e_exit

read -r requests lock_wait lock_held backend leaked < <(sed -n \
	's/^demo: truth requests \([0-9]*\) lock_wait_ns \([0-9]*\) lock_held_ns \([0-9]*\) backend_ns \([0-9]*\) leaked_bytes \([0-9]*\) .*/\1 \2 \3 \4 \5/p' \
	"$E2E_TMP/run.err")
if [ -z "${leaked:-}" ]; then
	fail truth "the workload printed no 'demo: truth' line"
	e2e_exit
fi
ms() { awk -v n="$1" 'BEGIN { printf "%.0f", n / 1e6 }'; }

# --- cpu: the designed split, and a process that mostly waits ---------------------------
top=$(pprof_top "$dir/cpu.pb.gz")
total=$(top_total <<<"$top")
read -r parse etag render < <(for f in parse_request compute_etag render_response; do
	top_value "$f" flat <<<"$top"; done | tr '\n' ' ')
three=$((parse + etag + render))
why=()
fcmp "$three >= 0.65 * $total && $total > 0" ||
	why+=("the three hold $three of $total samples ($(pct "$three" "$total")%), want ≥ 65%")
for want in "parse_request $parse 50" "compute_etag $etag 30" "render_response $render 20"; do
	read -r fn got share <<<"$want"
	fcmp "$three > 0 && (100 * $got / $three - $share)^2 <= 64" ||
		why+=("$fn $(pct "$got" "$three")% of the three, want $share ±8")
done
verdict cpu_split "parse_request $(pct "$parse" "$three")%, compute_etag $(pct "$etag" "$three")%, render_response $(pct "$render" "$three")% of $three samples (want 50/30/20), the three $(pct "$three" "$total")% of all" "${why[@]}"

line=$(grep -m1 '^  pid [0-9]* *demo .*% waiting)' "$E2E_TMP/run.err")
waiting=$(sed -n 's/.*(\([0-9]*\)% waiting)$/\1/p' <<<"$line")
why=()
[ "${waiting:-0}" -ge 90 ] || why+=("on-CPU vs off-CPU line '${line:-none}', want ≥ 90% waiting")
grep -q "^  hint: pid [0-9]* was off-CPU [0-9]*% of the time: see block.pb.gz" "$E2E_TMP/run.err" ||
	why+=("no off-CPU hint")
grep -qF "  to see where: cprof-bpf report $dir/block.pb.gz, or the block view of $dir/flame.html" \
	"$E2E_TMP/run.err" || why+=("no line pointing at block.pb.gz and flame.html")
verdict offcpu_hint "${waiting:-?}% waiting, the hint points at the block view" "${why[@]}"

# --- block: the waiters ------------------------------------------------------------------
traces=$(pprof_traces "$dir/block.pb.gz" -sample_index=delay -unit=ms)
btotal=$(traces_count 1 <<<"$traces")
waiters=$(traces_count '$3 ~ /(^|;)with_config_lock;/ && $3 !~ /(^|;)reload_config;/' <<<"$traces")
held=$(traces_count '$3 ~ /(^|;)reload_config;with_config_lock;/' <<<"$traces")
fetch=$(traces_count '$3 ~ /(^|;)fetch_from_backend;handle_request;/' <<<"$traces")
check_count block/waiters "$waiters" "$(ms "$lock_wait")" 25 \
	"ms waiting for config_lock under with_config_lock"
check_count block/reload_config "$held" "$(ms "$lock_held")" 25 \
	"ms in reload_config holding config_lock"
check_count block/backend "$fetch" "$(ms "$backend")" 25 "ms in fetch_from_backend"
why=()
fcmp "$waiters > $held && $waiters > $fetch && $waiters >= 0.5 * $btotal" ||
	why+=("the lock waiters hold $waiters of $btotal ms, reload_config $held, fetch_from_backend $fetch")
verdict block/story "lock waiters $(pct "$waiters" "$btotal")%, backend $(pct "$fetch" "$btotal")%, reload_config $(pct "$held" "$btotal")% of $btotal ms" "${why[@]}"

# --- mutex: the holder -------------------------------------------------------------------
traces=$(pprof_traces "$dir/mutex.pb.gz" -sample_index=delay -unit=ms)
mtotal=$(traces_count 1 <<<"$traces")
holder=$(traces_count '$3 ~ /(^|;)with_config_lock;handle_request;/' <<<"$traces")
why=()
fcmp "$holder >= 0.9 * $mtotal && $mtotal > 0" ||
	why+=("with_config_lock holds $holder of $mtotal ms ($(pct "$holder" "$mtotal")%), want ≥ 90%")
verdict mutex/holder "$(pct "$holder" "$mtotal")% of $mtotal ms under with_config_lock" "${why[@]}"
check_count mutex/total "$mtotal" "$(ms "$lock_wait")" 25 \
	"ms of delay vs the workload's time in pthread_mutex_lock"

# --- heap: the leak ----------------------------------------------------------------------
inuse_top=$("$GO" tool pprof -top -nodecount=1 -sample_index=inuse_space -symbolize=none \
	"$dir/heap.pb.gz" 2>"$PPROF_ERR" | awk '/^ *flat  *flat%/ { getline; print $NF; exit }')
why=()
[ "$inuse_top" = cache_insert_leaky ] || why+=("inuse_space's top function is '${inuse_top:-none}'")
verdict heap/top "inuse_space's top function: ${inuse_top:-none}" "${why[@]}"
check_count heap/leak "$(heap_value "$dir/heap.pb.gz" inuse_space cache_insert_leaky)" "$leaked" 30 \
	"bytes in use by cache_insert_leaky vs the bytes the workload leaked"
check_freed heap/parse_churn "$dir/heap.pb.gz" parse_request flat

# --- flame.html, the summary, report -----------------------------------------------------
why=()
json=$(page_json "$dir/flame.html" 2>/dev/null)
for kind in cpu block mutex heap; do
	case $json in
	*'"label":"'$kind'"'*) ;;
	*) why+=("$dir/flame.html's data has no $kind profile: ${json:0:120}") ;;
	esac
done
grep -qF "flame graph: $dir/flame.html — open in a browser" "$E2E_TMP/run.err" ||
	why+=("the summary does not name $dir/flame.html")
grep -qF "open $dir/flame.html in a browser" "$E2E_TMP/run.out" ||
	why+=("the demo does not end by pointing at flame.html")
verdict flame "$(stat -c %s "$dir/flame.html" 2>/dev/null || echo 0) bytes, named by the summary and the demo" "${why[@]}"

# The demo's report output: each of the four, with the function of its story in it.
why=()
for want in "cpu.pb.gz parse_request" "block.pb.gz with_config_lock" \
	"mutex.pb.gz with_config_lock" "heap.pb.gz cache_insert_leaky"; do
	read -r f fn <<<"$want"
	awk -v cmd="report $dir/$f " -v fn="$fn" '
		index($0, "$ ") == 1 { on = index($0, cmd) > 0; next }
		on && index($0, fn) { found = 1 }
		END { exit !found }' "$E2E_TMP/run.out" ||
		why+=("the demo's 'report $f' names no $fn")
done
verdict report "the demo printed cprof-bpf report for the four profiles" "${why[@]}"
e2e_exit

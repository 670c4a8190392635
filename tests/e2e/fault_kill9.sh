#!/usr/bin/env bash
# cprof-bpf killed with SIGKILL mid-run (-p, every default kind, on `mallocloop progress`,
# which allocates and frees without end and logs its progress): the kernel must drop all
# of it with its file descriptors. Every BPF program, map and link it held (their ids, from
# its /proc/PID/fdinfo) is gone from `bpftool prog/map/link show`; no uprobe is left in the
# target, which keeps running at its own allocation rate (pairs per CPU second: the probes
# cut it many times while attached, and it must be back within 40% of its rate before);
# nothing is left in the output or cache directory; and the next run's heap profile
# accounts for the bytes the target allocated in its window (±15%), every kind attached.
# test-timeout: 900 s
source "$(dirname "$0")/lib.bash"
require_binary mallocloop
require_bpf cpu block mutex heap
require_pprof
command -v bpftool >/dev/null || skip_all "bpftool is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"

export CPROF_CACHE_DIR=$E2E_TMP/cache
start_bg wl "$WL/mallocloop" progress
log=$E2E_TMP/wl.log
cpu_log_start "$wl"

# rate FROM_NS MIN_CPU_NS SECS: the target's pairs per CPU second over its progress lines
# after wall time FROM_NS, once they span MIN_CPU_NS of its CPU time (waiting up to SECS);
# empty if they never do.
rate() {
	local deadline=$(($(now_ms) + $3 * 1000)) r
	while :; do
		r=$(awk -v from="$1" -v min="$2" '
			$1 == "progress" && $2 >= from {
				if (!n++) { c0 = $3; p0 = $4 }
				c1 = $3; p1 = $4
			}
			END { if (n > 1 && c1 - c0 >= min) printf "%.0f", (p1 - p0) / (c1 - c0) * 1e9 }' "$log")
		[ -n "$r" ] && { echo "$r"; return; }
		[ "$(now_ms)" -lt "$deadline" ] || return
		sleep 0.1
	done
}

# ids PID: "prog ID", "map ID", "link ID" lines for every BPF object PID holds a descriptor of.
ids() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null |
		sed -n 's/^\(prog\|map\|link\)_id:[[:space:]]*\([0-9]*\)$/\1 \2/p' | sort -u
}

# live KIND: the ids bpftool shows for KIND (prog, map, link), one per line.
live() { bpftool -j "$1" show 2>/dev/null | jq -r '.[].id'; }

# remaining IDS: those of IDS ("KIND ID" lines) bpftool still shows.
remaining() {
	local kind id out=
	declare -A seen
	for kind in prog map link; do
		while read -r id; do seen[$kind.$id]=1; done < <(live "$kind")
	done
	while read -r kind id; do
		[ -n "${seen[$kind.$id]:-}" ] && out="$out $kind $id"
	done <<<"$1"
	echo "${out# }"
}
none_remaining() { [ -z "$(remaining "$1")" ]; }

t0=$(date +%s%N)
base=$(rate "$t0" 300000000 30)
[ -n "$base" ] || { fail setup "mallocloop used < 0.3 s of CPU in 30 s: $(tail -1 "$log")"; e2e_exit; }

start_cprof_bg run -p "$wl" -o "$E2E_TMP/out"
if ! wait_ready run 90; then
	show_err run
	fail run "cprof-bpf -p $wl did not say it was profiling within 90 s"
	e2e_exit
fi
ours=$(ids "$CPROF_PID")
np=$(grep -c '^prog ' <<<"$ours") nm=$(grep -c '^map ' <<<"$ours") nl=$(grep -c '^link ' <<<"$ours")
t1=$(date +%s%N)
probed=$(rate "$t1" 50000000 30)
shown=$(($(wc -w <<<"$(remaining "$ours")") / 2))
kill -KILL "$CPROF_PID"
wait_exit "$CPROF_PID" 10 2>/dev/null # no "Killed" notice from this shell
t2=$(date +%s%N)

why=()
[ "$RC" -eq 137 ] || why+=("cprof-bpf exit status $RC, want 137 (SIGKILL)")
[ "$np" -gt 0 ] && [ "$nm" -gt 0 ] && [ "$nl" -gt 0 ] ||
	why+=("held $np programs, $nm maps, $nl links while running: want some of each")
[ "$shown" -eq $((np + nm + nl)) ] ||
	why+=("bpftool showed $shown of its $np+$nm+$nl objects while it ran, want all")
[ -n "$probed" ] || why+=("mallocloop got < 50 ms of CPU in 30 s while probed")
fcmp "${probed:-0} < 0.5 * $base" ||
	why+=("probed rate ${probed:-?} pairs/CPU-s is not below half the rate before ($base): the probes' cost cannot be told apart")
verdict attached "held $np programs, $nm maps, $nl links (bpftool shows all $shown); $base pairs/CPU-s before, ${probed:-?} while probed" "${why[@]}"

if wait_until 20 none_remaining "$ours"; then
	pass bpf_objects_gone "all $np programs, $nm maps, $nl links it held are gone"
else
	fail bpf_objects_gone "still shown 20 s after SIGKILL: $(remaining "$ours")"
fi

after=$(rate "$t2" 300000000 30)
why=()
kill -0 "$wl" 2>/dev/null || why+=("mallocloop (pid $wl) is gone")
state=$(awk '{ print $3 }' "/proc/$wl/stat" 2>/dev/null)
[[ $state == [RS] ]] || why+=("mallocloop is in state '$state'")
[ -n "$after" ] || why+=("mallocloop made no progress worth 0.3 s of CPU in 30 s after the kill")
fcmp "${after:-0} >= 0.6 * $base" ||
	why+=("${after:-?} pairs/CPU-s after the kill, want ≥ 60% of the $base before: probes left?")
verdict target_unprobed "${after:-?} pairs/CPU-s after, $base before, ${probed:-?} while probed ($(pct "${after:-0}" "$base")% of before)" "${why[@]}"

left=$(find "$E2E_TMP/out" -mindepth 1 -printf '%f ' 2>/dev/null)
left_cache=$(find "$CPROF_CACHE_DIR" -mindepth 1 ! -name '*.cfi' -printf '%f ' 2>/dev/null)
if [ -z "$left$left_cache" ]; then
	pass nothing_left "output directory empty, only *.cfi in the cache"
else
	fail nothing_left "left behind: output directory: ${left:-none}; cache: ${left_cache:-none}"
fi

# The next run: every kind attaches again, and the heap profile holds what was allocated.
run_cprof next 120 -p "$wl" -d 3 -o "$E2E_TMP/next"
prof=$E2E_TMP/next/heap.pb.gz
if [ "$RC" -ne 0 ] || [ ! -s "$prof" ] || [ ! -s "$E2E_TMP/next/cpu.pb.gz" ]; then
	show_err next
	fail next_run "cprof-bpf -p $wl -d 3 after the kill exited $RC"
	e2e_exit
fi
raw=$(profile_raw "$prof")
t=$(date -d "$(sed -n 's/^Time: \(.*\) UTC$/\1/p' <<<"$raw")" +%s%N)
d=$(sed -n 's/^Duration: \([0-9.]*\).*/\1/p' <<<"$raw")
got=$(awk '/^Samples:/ { s = 1; next } s && /^ *[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+: / { b += $2 }
	/^Locations/ { s = 0 } END { printf "%.0f", b }' <<<"$raw")
# The bytes due: its rate between the first and last progress lines inside the window,
# over the whole window. Not the log interpolated at the window's ends: a line before them
# may be of the time before the probes, when it allocates ~100 times as fast, and a few
# milliseconds of that outweigh the window.
want=$(awk -v t0="$t" -v d="$d" '
	$1 == "progress" && $2 >= t0 && $2 <= t0 + d * 1e9 {
		if (!n++) { w0 = $2; b0 = $5 }
		w1 = $2; b1 = $5
	}
	END { printf "%.0f", (n > 1 ? (b1 - b0) / (w1 - w0) * d * 1e9 : 0) }' "$log")
check_count next_heap "$got" "$want" 15 "bytes of alloc_space for the $want mallocloop allocated in its ${d} s window"
check_count next_cpu "$(pprof_top "$E2E_TMP/next/cpu.pb.gz" | top_total)" \
	"$(window_samples "$E2E_TMP/next/cpu.pb.gz" 1 99)" 25 "CPU samples for mallocloop's CPU time at 99 Hz"
e2e_exit

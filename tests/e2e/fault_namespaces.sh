#!/usr/bin/env bash
# Targets in PID and mount namespaces of their own (unshare -p -m -f --mount-proc), profiled
# by their host pids, each running a program from a path that exists only inside its
# namespace: a tmpfs mounted there over an empty directory of the host. The same path holds
# fault_img_a in one namespace and fault_img_b in the other (the same code at the same
# offsets under two names), so only their own files, reached through /proc/PID/root or
# map_files, name them right. The second exits mid-run, taking its namespace and tmpfs
# with it: its files must have been opened at first sight. Each image's hot function has
# HZ samples per second of the CPU time it used (±20%), none is named after the other, none
# is unnamed. (sym_jit_ns.sh covers a binary bind-mounted over another at a host path, JIT
# maps and debug links in a namespace.)
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/fault_lib.bash"
require_binary fault_img_a fault_img_b
require_bpf
require_pprof
command -v unshare >/dev/null || skip_all "unshare (util-linux) is not installed"

hz=199
secs=5
dir=$(mktemp -d "$OUT/fault-ns.XXXXXX")
trap 'e2e_cleanup; rm -rf "$dir"' EXIT
mkfifo "$E2E_TMP/go_a" "$E2E_TMP/go_b"

# start_ns VAR IMG SECS: fault_img_IMG SECS as pid 1 of a new PID and mount namespace, from
# $dir/app on a tmpfs mounted there; it starts once its fifo is written. VAR: its host pid.
start_ns() {
	local var=$1 img=$2 life=$3 outer inner i
	start_bg "outer_$img" unshare -p -m -f --mount-proc --propagation private sh -c \
		"mount -t tmpfs tmpfs '$dir' && cp '$WL/fault_img_$img' '$dir/app' &&
		read x <'$E2E_TMP/go_$img' && exec '$dir/app' $life"
	eval "outer=\$outer_$img"
	for ((i = 0; i < 250; i++)); do
		inner=$(pgrep -P "$outer" 2>/dev/null | head -1) && [ -n "$inner" ] &&
			grep -q " $dir " "/proc/$inner/mountinfo" 2>/dev/null && break
		inner=
		sleep 0.02
	done
	printf -v "$var" '%s' "$inner"
}

start_ns pa a 30
start_ns pb b 2
if [ -z "$pa" ] || [ -z "$pb" ]; then
	fail setup "the namespaces did not start: $(head -3 "$E2E_TMP/outer_a.log" "$E2E_TMP/outer_b.log" | tr '\n' ' ')"
	e2e_exit
fi
if [ -e "$dir/app" ]; then
	fail setup "$dir/app is visible on the host: the tmpfs is not private to the namespaces"
	e2e_exit
fi
cpu_log_start "$pa" "$pb"
start_cprof_bg run -t cpu -F "$hz" -p "$pa,$pb" -d "$secs" -o "$E2E_TMP/run"
if ! wait_ready run 60; then
	show_err run
	fail run "cprof-bpf -p $pa,$pb did not start profiling within 60 s"
	e2e_exit
fi
echo >"$E2E_TMP/go_a"
echo >"$E2E_TMP/go_b"
wait_exit "$CPROF_PID" 60
traces_of run 3 || e2e_exit
[ -d "/proc/$pb" ] && fail run "pid $pb (fault_img_b 2) outlived the ${secs} s run"
prof=$E2E_TMP/run/cpu.pb.gz
tck_a=$(window_samples "$prof" 1 "$hz") tck_b=$(window_samples "$prof" 2 "$hz")
check_image alive "$TRACES" "lab ~ /,pid=$pa,/" img_a_hot img_b_hot \
	"$(awk -v n="$tck_a" -v hz="$hz" 'BEGIN { printf "%.3f", n / hz }')"
check_image exited "$TRACES" "lab ~ /,pid=$pb,/" img_b_hot img_a_hot \
	"$(awk -v n="$tck_b" -v hz="$hz" 'BEGIN { printf "%.3f", n / hz }')"
# The mapping's file name is the namespace's path, as the process saw it.
if go tool pprof -raw -symbolize=none "$prof" 2>/dev/null | grep -q " $dir/app\b"; then
	pass mapping "the mapping is named $dir/app, the path inside the namespaces"
else
	fail mapping "no mapping named $dir/app: $(go tool pprof -raw -symbolize=none "$prof" 2>/dev/null | sed -n '/^Mappings/,$p' | head -5 | tr '\n' ' ')"
fi
e2e_exit

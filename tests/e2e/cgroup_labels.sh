#!/usr/bin/env bash
# Whole host: spin_one runs in a cgroup v2 "a", spin_two in one named as Docker's systemd
# driver names a container's ("docker-ID.scope"), both made here under a parent of their
# own. Each workload's samples must carry exactly its cgroup's path (as its own
# /proc/PID/cgroup shows it), the scope's also container_id=ID and a's none; the samples
# per cgroup label must be within ±20% of HZ × the CPU time each workload used while
# sampling was on (from /proc/PID/stat). The cgroups are removed at the end, pass or fail.
source "$(dirname "$0")/lib.bash"
require_binary spin_one spin_two
require_bpf
require_pprof

secs=2
hz=99
id=5e7a1c0f2b3d4e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7

# The cgroup v2 hierarchy: /sys/fs/cgroup itself, or on a hybrid host its "unified" mount.
mnt=
for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
	if [ "$(stat -f -c %T "$m" 2>/dev/null)" = cgroup2fs ]; then
		mnt=$m
		break
	fi
done
[ -n "$mnt" ] || skip_all "no cgroup v2 mounted at /sys/fs/cgroup or /sys/fs/cgroup/unified"
parent=$mnt/cprof-test-$$
dir_a=$parent/a
dir_b=$parent/docker-$id.scope

# cg_remove: the workloads ended, then their cgroups and the parent removed (a cgroup is
# removable once its last task has exited; that may take a moment after the kill).
cg_remove() {
	local d i
	kill_our_children "${E2E_PIDS[@]}"
	for d in "$dir_a" "$dir_b" "$parent"; do
		[ -d "$d" ] || continue
		for i in $(seq 50); do
			rmdir "$d" 2>/dev/null && break
			sleep 0.1
		done
		[ -d "$d" ] && echo "cgroup_labels: could not remove $d" >&2
	done
}
trap 'cg_remove; e2e_cleanup' EXIT

mkdir "$parent" 2>/dev/null || skip_all "cannot create a cgroup in $mnt (read-only or not delegated)"
mkdir "$dir_a" "$dir_b" || { fail setup "cannot create $dir_a and $dir_b"; e2e_exit; }

# in_cgroup PID DIR: PID's cgroup (as its /proc/PID/cgroup names it, below its root) is DIR.
in_cgroup() { [[ $(sed -n 's/^0:://p' "/proc/$1/cgroup" 2>/dev/null) == *"${2#"$mnt"}" ]]; }

# start_in VAR DIR CMD...: CMD started inside cgroup DIR: a shell moves itself there, then
# execs CMD, so CMD does no work outside it. start_bg returns once the shell runs, which
# may be before it has moved: this waits up to 2 s for the move too.
start_in() {
	local var=$1 dir=$2
	shift 2
	# shellcheck disable=SC2016
	start_bg "$var" sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$dir" "$@"
	wait_until 2 in_cgroup "${!var}" "$dir"
}
start_in pid_a "$dir_a" "$WL/spin_one" 30
start_in pid_b "$dir_b" "$WL/spin_two" 30
path_a=$(sed -n 's/^0:://p' "/proc/$pid_a/cgroup")
path_b=$(sed -n 's/^0:://p' "/proc/$pid_b/cgroup")
if [[ "$path_a" != */cprof-test-$$/a ]] || [[ "$path_b" != */cprof-test-$$/docker-$id.scope ]]; then
	fail setup "workloads not in their cgroups: spin_one in '$path_a', spin_two in '$path_b'"
	e2e_exit
fi
cpu_log_start "$pid_a" "$pid_b"
run_traces "-d $secs (whole host)" 40 -d "$secs" -t cpu
prof=$PROF traces=$TRACES

# check_workload NAME PID PATH ID N: NAME's samples (by pid) all carry cgroup=PATH and
# container_id=ID (none if ID is empty), samples with cgroup=PATH are NAME's, and their
# count is HZ × its CPU time ±20%.
check_workload() {
	local name=$1 pid=$2 path=$3 cid=$4 n=$5 mine labelled in_cgroup want idcond
	if [ -n "$cid" ]; then
		idcond='lab ~ /,container_id='"$cid"',/'
	else
		idcond='lab !~ /,container_id=/'
	fi
	mine=$(traces_count 'lab ~ /,pid='"$pid"',/' <<<"$traces")
	labelled=$(traces_count 'lab ~ /,pid='"$pid"',/ && index(lab, ",cgroup='"$path"',") &&
		'"$idcond" <<<"$traces")
	in_cgroup=$(traces_count 'index(lab, ",cgroup='"$path"',")' <<<"$traces")
	if [ "$mine" -gt 0 ] && [ "$labelled" -eq "$mine" ] && [ "$in_cgroup" -eq "$mine" ]; then
		pass "${name}_labels" "$mine samples of pid $pid, all cgroup=$path container_id=${cid:-none}"
	else
		fail "${name}_labels" "$labelled of $mine samples of pid $pid labelled cgroup=$path container_id=${cid:-none}, $in_cgroup samples with that cgroup; labels seen: $(awk -F '\t' -v p=",pid=$pid," 'index("," $2 ",", p) { print $2 }' <<<"$traces" | sort | uniq -c | sort -rn | head -3 | tr -s ' \n' ' ')"
	fi
	want=$(window_samples "$prof" "$n" "$hz")
	check_count "${name}_samples" "$in_cgroup" "$want" 20 "samples with cgroup=$path in ${secs}s at $hz Hz"
}
check_workload spin_one "$pid_a" "$path_a" "" 1
check_workload spin_two "$pid_b" "$path_b" "$id" 2

# The labels split the profile in pprof too: -tagfocus on a's path keeps only spin_one's
# samples, on the container id only spin_two's.
check_focus() {
	local focus=$1 hot=$2 other=$3 top mine theirs why=()
	top=$(pprof_top "$prof" -tagfocus="$focus")
	mine=$(top_value "${hot}_hot" flat <<<"$top")
	theirs=$(top_value "${other}_hot" cum <<<"$top")
	[ "$mine" -gt 0 ] || why+=("-tagfocus=$focus shows no ${hot}_hot")
	[ "$theirs" -eq 0 ] || why+=("-tagfocus=$focus shows ${other}_hot with $theirs samples")
	verdict "tagfocus_$hot" "-tagfocus=$focus: ${hot}_hot $mine, ${other}_hot $theirs" "${why[@]}"
}
check_focus "cgroup=/cprof-test-$$/a\$" spin_one spin_two
check_focus "container_id=$id" spin_two spin_one
e2e_exit

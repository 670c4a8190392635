#!/usr/bin/env bash
# /tmp/perf-PID.map that its process did not write is not read (as perf ignores a map not
# owned by its user or root): owned by another user than the process's, or a symlink (to
# a root-owned file in map format, which the owner check alone would let through). -v says
# it was ignored and why; JIT frames stay unnamed, the process's own code is still named.
# Controls: the same map owned by the process's user (root, then nobody for a process
# running as nobody) names the JIT code. sym_jit (tests/workloads/sym/sym_jit.c) announces
# jit_spin_a and jit_spin_b there.
source "$(dirname "$0")/lib.bash"
require_binary sym_jit
require_bpf
require_pprof

# profile NAME PID: cprof-bpf -v -t cpu -p PID -d 2; sets JIT (samples whose leaf is named
# from a map: jit_spin_a/b, or scratch_spin_a/b from the symlink's target), CSPIN (leaf c_spin), ALL, and IGNORED (the -v line about the
# map, empty if none). Returns 1 (after a FAIL) without a profile.
profile() {
	local name=$1 traces
	run_cprof "$name" 120 -v -t cpu -F 199 -p "$2" -d 2 -o "$E2E_TMP/$name"
	if [ "$RC" -ne 0 ] || ! traces=$(pprof_traces "$E2E_TMP/$name/cpu.pb.gz"); then
		show_err "$name"
		fail "$name" "cprof-bpf -p $2 -d 2 exited $RC, or pprof cannot read its profile"
		return 1
	fi
	JIT=$(traces_count 'fr[1] ~ /^(jit|scratch)_spin_[ab]$/' <<<"$traces")
	CSPIN=$(traces_count 'fr[1] == "c_spin"' <<<"$traces")
	ALL=$(traces_count 1 <<<"$traces")
	IGNORED=$(grep -m1 "^cprof-bpf: symbolizer: pid $2: /tmp/perf-PID.map" "$E2E_TMP/$name.err")
	return 0
}

# expect_named NAME PID: the map was read.
expect_named() {
	local why=()
	profile "$1" "$2" || return
	[ "$JIT" -gt 0 ] || why+=("no sample named jit_spin_a/jit_spin_b")
	[ -z "$IGNORED" ] || why+=("-v says: $IGNORED")
	verdict "$1" "$JIT of $ALL samples in jit_spin_a/b, $CSPIN in c_spin" "${why[@]}"
}

# expect_ignored NAME PID REGEX: the map was not read, and -v said so matching REGEX.
expect_ignored() {
	local why=()
	profile "$1" "$2" || return
	[ "$JIT" -eq 0 ] || why+=("$JIT samples named from the map")
	[ "$CSPIN" -gt 0 ] || why+=("no sample in c_spin: the process's own code unnamed too")
	grep -Eq -- "$3" <<<"$IGNORED" || why+=("no -v line matching /$3/: '${IGNORED}'")
	[ ${#why[@]} -gt 0 ] && show_err "$1"
	verdict "$1" "$JIT named from the map, $CSPIN in c_spin of $ALL; $IGNORED" "${why[@]}"
}

# start_jit VAR [SETPRIV-ARGS...]: sym_jit 60, as a user when given; waits for its map.
start_jit() {
	local var=$1 pid
	shift
	if [ $# -gt 0 ]; then
		start_bg "$var" setpriv "$@" -- "$WL/sym_jit" 60
	else
		start_bg "$var" "$WL/sym_jit" 60
	fi
	pid=${!var}
	if ! wait_until 10 test -s "/tmp/perf-$pid.map"; then
		fail setup "sym_jit (pid $pid) wrote no /tmp/perf-$pid.map within 10 s"
		e2e_exit
	fi
	MAPS+=("/tmp/perf-$pid.map")
}
MAPS=()
trap 'e2e_cleanup; rm -f "${MAPS[@]}"' EXIT

# A root process: its map owned by root, then by nobody, then a symlink to a root-owned
# file in map format (the test's scratch file) naming the same code.
start_jit root
map=/tmp/perf-$root.map
expect_named root_owner "$root"
chown nobody: "$map"
expect_ignored other_owner "$root" 'ignored: owned by neither'
chown root: "$map"
scratch=$E2E_TMP/root-owned.map
sed 's/jit_spin/scratch_spin/' "$map" >"$scratch"
ln -sf "$scratch" "$map"
expect_ignored symlink "$root" 'ignored: a symlink'

# A process running as nobody: its own map (owned by nobody) is read; made daemon's, not.
if id nobody >/dev/null 2>&1 && id daemon >/dev/null 2>&1; then
	start_jit nob --reuid=nobody --regid="$(id -gn nobody)" --clear-groups
	expect_named nobody_owner "$nob"
	chown daemon: "/tmp/perf-$nob.map"
	expect_ignored nobody_other_owner "$nob" 'ignored: owned by neither'
else
	echo "SKIP: $E2E_SUITE/nobody_owner: no users nobody and daemon here"
fi
e2e_exit

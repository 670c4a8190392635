#!/usr/bin/env bash
# JIT code, separate debuginfo by .gnu_debuglink, and processes in other mount (and pid)
# namespaces, alive when the profile is written (-p PID -d 2). sym_jit (tests/workloads/sym/sym_jit.c) runs two machine-code loops it
# copied into anonymous memory and announced in /tmp/perf-PID.map (jit_spin_a:jit_spin_b
# = 2:1), and burns as long again in its own c_spin; it is stripped, its DWARF in
# sym_jit.debug next to it, named only by its .gnu_debuglink.
#
# In a private mount namespace, with /tmp a private tmpfs (so the perf map exists only
# there) and a private copy of the binary and its .debug bind-mounted over a host
# directory where another program has the same name, everything must still be named
# from the process's own files: /proc/PID/map_files, /proc/PID/root.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/sym_lib.bash"
require_binary sym_jit sym_inline
[ -f "$WL/sym_jit.debug" ] || { fail setup "$WL/sym_jit.debug is not built"; exit 1; }
require_bpf
require_pprof

src=$CPROF_ROOT/tests/workloads/sym/sym_jit.c
c_spin_start=$(def_line "$src" 'void c_spin(uint64_t n)')

# check_jit NAME PROFILE: leaves named jit_spin_a, jit_spin_b (a > b) and c_spin with its
# file and first line, together ≥ 90% of the samples; nothing unnamed in sym_jit or in
# anonymous memory; nothing named after the decoy (mix, outer_work).
check_jit() {
	local name=$1 prof=$2 locs a b c all bad decoy ex why=()
	if ! locs=$(leaf_locations "$prof"); then
		fail "$name" "go tool pprof -raw cannot read $prof: $(head -1 "$PPROF_ERR")"
		return
	fi
	read -r all a b c bad decoy ex < <(awk -F '\t' -v cre="^c_spin [^ ]*/sym_jit\\\\.c:[0-9]+ s=$c_spin_start\$" '
		{ all += $1 }
		$2 ~ /^jit_spin_a / { a += $1 }
		$2 ~ /^jit_spin_b / { b += $1 }
		$2 ~ cre { c += $1 }
		$2 ~ /^(\[anon\]|sym_jit)\+0x/ { bad += $1; if (ex == "") ex = $2 }
		$2 ~ /^(mix|outer_work) / { decoy += $1 }
		END { print all + 0, a + 0, b + 0, c + 0, bad + 0, decoy + 0, ex }' <<<"$locs")
	fcmp "$a > $b && $b > 0" || why+=("jit_spin_a $a, jit_spin_b $b samples: want a > b > 0")
	[ "$c" -gt 0 ] || why+=("no sample in c_spin with its file and line $c_spin_start")
	fcmp "$a + $b + $c >= 0.9 * $all" || why+=("only $((a + b + c)) of $all samples named")
	[ "$bad" -eq 0 ] || why+=("$bad samples unnamed, e.g. $ex")
	[ "$decoy" -eq 0 ] || why+=("$decoy samples named after the decoy binary")
	[ ${#why[@]} -gt 0 ] && sed -n '1,10s/^/    | /p' <<<"$locs"
	verdict "$name" "jit_spin_a $a, jit_spin_b $b, c_spin $c of $all samples" "${why[@]}"
}

# wait_comm PID COMM: until PID runs COMM (up to 5 s).
wait_comm() {
	local i
	for ((i = 0; i < 250; i++)); do
		[ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.02
	done
	return 1
}

# In our own namespaces, as a COMMAND: it has exited when the profile is written, so its
# debug file must have been opened at first sight, and its map (which it leaves behind,
# as JITs do) is read from our /tmp.
run_cprof host 60 -o "$E2E_TMP/host" -- "$WL/sym_jit" 2
left=$(sed -n 's/.* \(\/tmp\/perf-[0-9]*\.map\) left behind$/\1/p' "$E2E_TMP/host.out")
if [ "$RC" -ne 0 ] || [ ! -s "$E2E_TMP/host/cpu.pb.gz" ]; then
	show_err host
	fail host "cprof-bpf -- sym_jit 2 exited $RC"
else
	check_jit perf_map_and_debuglink "$E2E_TMP/host/cpu.pb.gz"
fi
[ -n "$left" ] && rm -f "$left"

command -v unshare >/dev/null || skip_all "unshare (util-linux) is not installed"

# The host sees the decoy at $app; the namespace sees sym_jit there, and its .debug.
dir=$(mktemp -d "$OUT/sym-ns.XXXXXX")
trap 'e2e_cleanup; rm -rf "$dir"' EXIT
cp "$WL/sym_inline" "$dir/sym_jit"
# Files are staged in a private tmpfs on /mnt before /tmp is hidden: the checkout (and so
# $WL and $dir) may itself live under /tmp, where the private /tmp then recreates $dir.
setup="mount -t tmpfs tmpfs /mnt && mkdir /mnt/app &&
	cp '$WL/sym_jit' '$WL/sym_jit.debug' /mnt/app/ && mount -t tmpfs tmpfs /tmp &&
	mkdir -p '$dir' && mount --bind /mnt/app '$dir' && exec '$dir/sym_jit' 10"

# unshare -m execs the shell, which execs sym_jit: one pid throughout.
start_bg mntns unshare -m --propagation private sh -c "$setup"
if ! wait_comm "$mntns" sym_jit; then
	fail mount_namespace "sym_jit did not start in its mount namespace: $(head -3 "$E2E_TMP/mntns.log")"
else
	[ -e "/tmp/perf-$mntns.map" ] && fail mount_namespace_setup "the perf map is visible on the host"
	run_cprof mntns_prof 60 -p "$mntns" -d 2 -o "$E2E_TMP/mntns_prof"
	if [ "$RC" -ne 0 ] || [ ! -s "$E2E_TMP/mntns_prof/cpu.pb.gz" ]; then
		show_err mntns_prof
		fail mount_namespace "cprof-bpf -p $mntns -d 2 exited $RC"
	else
		check_jit mount_namespace "$E2E_TMP/mntns_prof/cpu.pb.gz"
	fi
fi

# A pid namespace too: the JIT names its map after its pid there (perf-1.map here).
start_bg pidns unshare -m -p --fork --kill-child --propagation private sh -c "$setup"
inner=
for ((i = 0; i < 250; i++)); do
	inner=$(pgrep -P "$pidns" -x sym_jit) && break
	sleep 0.02
done
if [ -z "$inner" ]; then
	fail pid_namespace "sym_jit did not start in its pid namespace: $(head -3 "$E2E_TMP/pidns.log")"
else
	run_cprof pidns_prof 60 -p "$inner" -d 2 -o "$E2E_TMP/pidns_prof"
	if [ "$RC" -ne 0 ] || [ ! -s "$E2E_TMP/pidns_prof/cpu.pb.gz" ]; then
		show_err pidns_prof
		fail pid_namespace "cprof-bpf -p $inner -d 2 exited $RC"
	else
		check_jit pid_namespace "$E2E_TMP/pidns_prof/cpu.pb.gz"
	fi
fi
e2e_exit

#!/usr/bin/env bash
# One pid, several programs; one path, several files. fault_img_a and fault_img_b are the
# same code at the same offsets under two names (tests/workloads/faults/fault_img.c), run
# without address randomization (setarch -R): a frame resolved in the wrong image gets the
# wrong name rather than none. Each process must be named from what it ran:
#   exec      -p on a shell that execs fault_img_a, which execs fault_img_b mid-run: the
#             samples of each image (by their comm) name only its own hot function.
#   replaced  under COMMAND: fault_img_a runs from PATH; PATH is renamed, fault_img_b
#             copied there and started; then both files are deleted and another program
#             (shortlived) copied to PATH. Both processes outlive the run: their frames are
#             named from the files they mapped, not from what PATH holds at the end.
#   reused    under COMMAND: fault_img_a exits, and fault_img_b is started with its pid
#             (/proc/sys/kernel/ns_last_pid): each life of the pid has its own image.
# Counts: each image's hot function has HZ samples per second of CPU time it used (±20%),
# so a profile that gave one image's samples to the other fails on both counts too.
# Unwinding across an exec from the first view is tested by unwind_exec.sh, a process gone
# before the profile is written by exits_midrun.sh, other mount namespaces by sym_jit_ns.sh.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/fault_lib.bash"
require_binary fault_img_a fault_img_b shortlived
require_bpf
require_pprof
command -v setarch >/dev/null || skip_all "setarch (util-linux) is not installed"

hz=199

# ---- exec: one process, three programs, attached with -p ----------------------------------
mkfifo "$E2E_TMP/go"
start_bg target sh -c "read x <'$E2E_TMP/go'; exec setarch -R '$WL/fault_img_a' 2 '$WL/fault_img_b' 2"
start_cprof_bg exec -t cpu -F "$hz" -p "$target" -o "$E2E_TMP/exec"
if ! wait_ready exec 60; then
	show_err exec
	fail exec/run "cprof-bpf -p $target did not start profiling within 60 s"
else
	echo >"$E2E_TMP/go"
	wait_exit "$CPROF_PID" 60
	if traces_of exec 3; then
		a=$(cpu_of "$E2E_TMP/target.log" a) b=$(cpu_of "$E2E_TMP/target.log" b)
		if [ -z "$a" ] || [ -z "$b" ]; then
			fail exec/run "the workloads did not print their CPU time: $(head -c 300 "$E2E_TMP/target.log")"
		else
			check_image exec/before "$TRACES" 'lab ~ /,comm=fault_img_a,/' img_a_hot img_b_hot "$a"
			check_image exec/after "$TRACES" 'lab ~ /,comm=fault_img_b,/' img_b_hot img_a_hot \
				"$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b - a }')"
		fi
	fi
fi

# ---- replaced: the file at a path replaced and deleted while its processes run ------------
dir=$(mktemp -d "$OUT/fault-images.XXXXXX")
trap 'e2e_cleanup; [ -n "${pa:-}" ] && kill "$pa" "$pb" 2>/dev/null; rm -rf "$dir"' EXIT
cat >"$E2E_TMP/replaced.sh" <<EOF
cp '$WL/fault_img_a' '$dir/app'
'$dir/app' 30 & a=\$!
sleep 1.5
mv '$dir/app' '$dir/app.old' && cp '$WL/fault_img_b' '$dir/app'
'$dir/app' 30 & b=\$!
sleep 1.5
rm '$dir/app.old'
mv '$dir/app' '$dir/app.old' && cp '$WL/shortlived' '$dir/app' && rm '$dir/app.old'
sleep 1.5
read -ra sa < <(cut -d')' -f2- /proc/\$a/stat)
read -ra sb < <(cut -d')' -f2- /proc/\$b/stat)
echo "pids \$a \$b ticks \$((sa[11] + sa[12])) \$((sb[11] + sb[12]))"
EOF
run_cprof replaced 60 -t cpu -F "$hz" -o "$E2E_TMP/replaced" -- setarch -R bash "$E2E_TMP/replaced.sh"
read -r pa pb ta tb < <(sed -n 's/^pids \([0-9]*\) \([0-9]*\) ticks \([0-9]*\) \([0-9]*\)$/\1 \2 \3 \4/p' \
	"$E2E_TMP/replaced.out")
if [ -z "$pa" ]; then
	show_err replaced
	fail replaced/run "the script did not start both processes: $(head -c 300 "$E2E_TMP/replaced.out")"
elif [ ! -d "/proc/$pa" ] || [ ! -d "/proc/$pb" ]; then
	fail replaced/run "processes $pa and $pb did not outlive the run"
elif traces_of replaced; then
	tck=$(getconf CLK_TCK)
	check_image replaced/first "$TRACES" "lab ~ /,pid=$pa,/" img_a_hot img_b_hot \
		"$(awk -v t="$ta" -v k="$tck" 'BEGIN { printf "%.2f", t / k }')"
	check_image replaced/second "$TRACES" "lab ~ /,pid=$pb,/" img_b_hot img_a_hot \
		"$(awk -v t="$tb" -v k="$tck" 'BEGIN { printf "%.2f", t / k }')"
fi
[ -n "$pa" ] && kill "$pa" "$pb" 2>/dev/null

# ---- reused: a pid given to a new process right after the first one's exit ----------------
# The first runs in a cgroup of its own, the second where the script runs: each life's
# samples carry its own cgroup (read at its first sight), so a second life taken for the
# first shows in its labels even where its names come out right.
cg=
for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
	[ "$(stat -f -c %T "$m" 2>/dev/null)" = cgroup2fs ] && mkdir "$m/cprof-fault-$$" 2>/dev/null &&
		cg=$m/cprof-fault-$$ && break
done
trap 'e2e_cleanup; [ -n "${pa:-}" ] && kill "$pa" "$pb" 2>/dev/null; rm -rf "$dir"
	[ -n "$cg" ] && for i in $(seq 50); do rmdir "$cg" 2>/dev/null && break; sleep 0.1; done' EXIT
cat >"$E2E_TMP/reused.sh" <<EOF
( [ -z '$cg' ] || echo \$BASHPID >'$cg/cgroup.procs'; exec '$WL/fault_img_a' 2 ) & a=\$!
wait \$a
for i in \$(seq 100); do
	echo \$((a - 1)) >/proc/sys/kernel/ns_last_pid
	( if [ "\$BASHPID" = "\$a" ]; then exec '$WL/fault_img_b' 2; fi; exit 99 )
	[ \$? != 99 ] && { echo "reused pid \$a after \$i tries"; exit 0; }
done
echo "pid \$a not reused"
EOF
run_cprof reused 60 -t cpu -F "$hz" -o "$E2E_TMP/reused" -- setarch -R bash "$E2E_TMP/reused.sh"
pid=$(sed -n 's/^reused pid \([0-9]*\) after.*/\1/p' "$E2E_TMP/reused.out")
if [ -z "$pid" ]; then
	show_err reused
	fail reused/run "the pid of fault_img_a was not given to fault_img_b: $(head -c 300 "$E2E_TMP/reused.out")"
elif traces_of reused; then
	a=$(cpu_of "$E2E_TMP/reused.out" a) b=$(cpu_of "$E2E_TMP/reused.out" b)
	check_image reused/first "$TRACES" "lab ~ /,comm=fault_img_a,/ && lab ~ /,pid=$pid,/" img_a_hot img_b_hot "$a"
	check_image reused/second "$TRACES" "lab ~ /,comm=fault_img_b,/ && lab ~ /,pid=$pid,/" img_b_hot img_a_hot "$b"
	if [ -z "$cg" ]; then
		pass reused/cgroups "no cgroup v2 to move the first life to: labels not compared"
	else
		c=/${cg#/sys/fs/cgroup/}
		c=${c#/unified}
		read -r first other second inside < <(awk -F '\t' -v c="$c" -v pid="$pid" '
			{ lab = "," $2 "," }
			lab !~ ",pid=" pid "," { next }
			lab ~ /,comm=fault_img_a,/ { first += $1; if (index(lab, ",cgroup=" c ",") == 0) other += $1 }
			lab ~ /,comm=fault_img_b,/ { second += $1; if (index(lab, ",cgroup=" c ",")) inside += $1 }
			END { print first + 0, other + 0, second + 0, inside + 0 }' <<<"$TRACES")
		why=()
		{ [ "$first" -gt 0 ] && [ "$other" -eq 0 ]; } ||
			why+=("$other of $first samples of the first life not labelled cgroup=$c")
		{ [ "$second" -gt 0 ] && [ "$inside" -eq 0 ]; } ||
			why+=("$inside of $second samples of the second life labelled with the first's cgroup $c")
		verdict reused/cgroups "$first samples of the first life in $c, $second of the second outside it" "${why[@]}"
	fi
fi
e2e_exit

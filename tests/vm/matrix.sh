#!/bin/sh
# The kernel matrix's guest side (busybox sh; tests/e2e/kernel_matrix.sh makes it the job of
# tests/vm/run-guest.sh). In the current directory, the host's share, for each run NAME:
#   NAME.cmd  the command line         NAME.out, NAME.err  its stdout and stderr
#   NAME.rc   its exit status          NAME.ms             its wall time in the guest
#   NAME/     the profiles it wrote
# and when a run failed, the same run again with -v as NAME.v.* (libbpf's and the verifier's
# log for the report). The host reads everything; nothing is judged here.
#
# Runs: check (cprof-bpf --check, when its --help mentions it); cpu, block, mutex, heap (each
# -t KIND against a workload whose answer is known); default (the default kinds).
# Environment: SECS, how long the timed workloads run (default 3); LIMIT, the most any run
# may take in seconds before it is stopped (default 120).
set -u
secs=${SECS:-3}
limit=${LIMIT:-120}

# now_ms: the guest's uptime in milliseconds (busybox date has no %N).
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# once NAME ARGS...: one cprof-bpf run, its outputs as above; -o NAME unless it is --check.
once() {
	name=$1
	shift
	case " $* " in
	*" --check "*) ;;
	*) set -- -o "$PWD/$name" "$@" ;;
	esac
	echo "cprof-bpf $*" >"$name.cmd"
	t0=$(now_ms)
	timeout -k 5 "$limit" cprof-bpf "$@" </dev/null >"$name.out" 2>"$name.err"
	rc=$?
	ms=$(($(now_ms) - t0))
	echo "$rc" >"$name.rc"
	echo "$ms" >"$name.ms"
	echo "matrix: $name: exit $rc in $ms ms: cprof-bpf $*"
	return "$rc"
}

# run NAME ARGS...: once, and once more with -v if it failed.
run() {
	name=$1
	shift
	once "$name" "$@" || once "$name.v" -v "$@"
	return 0
}

if cprof-bpf --help 2>&1 | grep -q -e '--check'; then
	run check --check
else
	echo "matrix: check: cprof-bpf --help does not mention --check" | tee check.none
fi
run cpu -t cpu -F 499 -- cpusplit "$secs"
run block -t block -- offcpu "$secs"
run mutex -t mutex -- locks contend "$secs"
run heap -t heap --heap-rate 16384 -- heap kinds
run default -- cpusplit "$secs"

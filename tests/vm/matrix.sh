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
# -t KIND against a workload whose answer is known); default (the default kinds); stacks
# (cprof-bpf stacks --json of a running threads process, its JSON in stacks.out).
# Environment: SECS, how long the timed workloads run (default 3); HZ, the CPU sampling
# frequency (default 1009); LIMIT, the most any run may take in seconds before it is stopped
# (default 120).
#
# Why 1009 Hz: under TCG a cpusplit round takes 2.0-2.6 ms, and at 499 Hz (2.004 ms) the
# samples lock onto the rounds' phase: hot_a's share came out anywhere from 52.8% to 63.6% over
# ten runs. At 1009 Hz it stayed within 59.1-60.8% over twelve.
set -u
secs=${SECS:-3}
hz=${HZ:-1009}
limit=${LIMIT:-120}

# now_ms: the guest's uptime in milliseconds (busybox date has no %N).
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# Each run writes into $work, then its files are copied to the share: written line by line
# through 9p under TCG, a -v log of 130 KB takes 12 s instead of 1.
share=$PWD
work=/tmp/matrix
mkdir -p "$work" || exit 1

# once NAME ARGS...: one cprof-bpf run, its outputs as above; -o NAME unless it is --check
# or stacks.
once() {
	name=$1
	shift
	case " $* " in
	*" --check "* | " stacks "*) ;;
	*) set -- -o "$work/$name" "$@" ;;
	esac
	echo "cprof-bpf $*" >"$work/$name.cmd"
	t0=$(now_ms)
	timeout -k 5 "$limit" cprof-bpf "$@" </dev/null >"$work/$name.out" 2>"$work/$name.err"
	rc=$?
	ms=$(($(now_ms) - t0))
	echo "$rc" >"$work/$name.rc"
	echo "$ms" >"$work/$name.ms"
	cp -r "$work/$name" "$work/$name".* "$share/" 2>/dev/null
	echo "matrix: $name: exit $rc in $ms ms: cprof-bpf $*"
	return "$rc"
}

# run NAME ARGS...: once, and once more with -v if it failed (after a subcommand's name:
# its options follow it).
run() {
	name=$1
	shift
	if [ "$1" = stacks ]; then
		shift
		once "$name" stacks "$@" || once "$name.v" stacks -v "$@"
	else
		once "$name" "$@" || once "$name.v" -v "$@"
	fi
	return 0
}

if cprof-bpf --help 2>&1 | grep -q -e '--check'; then
	run check --check
else
	echo "matrix: check: cprof-bpf --help does not mention --check" | tee "$share/check.none"
fi
run cpu -t cpu -F "$hz" -- cpusplit "$secs"
run block -t block -- offcpu "$secs"
run mutex -t mutex -- locks contend "$secs"
run heap -t heap --heap-rate 16384 -- heap kinds
run default -F "$hz" -- cpusplit "$secs"

# stacks: threads (50 threads in known places, one whose stack cannot be read, one deep) running
# while its snapshot is taken (its log kept as threads.log), killed afterwards.
threads 300 - bad >"$work/threads.log" 2>&1 &
tpid=$!
i=0
while ! grep -q ' ready$' "$work/threads.log" && [ "$i" -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
run stacks stacks -p "$tpid" --json
kill -9 "$tpid" 2>/dev/null
cp "$work/threads.log" "$share/" 2>/dev/null
true

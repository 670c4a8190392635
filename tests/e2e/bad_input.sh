#!/usr/bin/env bash
# Bad input: each mistake gets exactly one line on stderr that names the problem, the
# documented exit status (2 for usage errors, 1 for the rest), no output directory, and an
# answer before any profiling starts (< 2 s although -d 10 is given).
source "$(dirname "$0")/lib.bash"
require_binary

# expect_error CHECK STATUS REGEX ARGS...: cprof-bpf -d 10 -o DIR ARGS fails with STATUS,
# one stderr line matching REGEX (case-insensitive), within 2 s, without creating DIR.
expect_error() {
	local name=$1 want=$2 re=$3 dir lines first why=()
	shift 3
	dir=$E2E_TMP/$name.out.d
	# The case's own -o, if any, comes last and wins over ours.
	run_cprof "$name" 30 -d 10 -o "$dir" "$@"
	lines=$(wc -l <"$E2E_TMP/$name.err")
	first=$(head -1 "$E2E_TMP/$name.err")
	[ "$RC" -eq "$want" ] || why+=("exit status $RC, want $want")
	[ "$lines" -eq 1 ] || why+=("$lines lines on stderr, want 1")
	grep -Eqi -- "$re" "$E2E_TMP/$name.err" || why+=("stderr does not match /$re/")
	[ "$ELAPSED_MS" -lt 2000 ] || why+=("took ${ELAPSED_MS} ms, want < 2000")
	[ ! -e "$dir" ] || why+=("created the output directory")
	[ ${#why[@]} -gt 0 ] && show_err "$name"
	verdict "$name" "cprof-bpf -d 10 $* → exit $RC in ${ELAPSED_MS} ms: ${first:-no message}" "${why[@]}"
}

# Usage errors: found while parsing the command line, root or not.
expect_error freq_zero 2 'freq|-F|\b0\b' -F 0
expect_error freq_text 2 'freq|-F|abc' -F abc
expect_error duration_text 2 'duration|-d|abc' -d abc
expect_error type_unknown 2 'bogus' -t bogus
expect_error pid_text 2 'pid|-p|abc' -p abc
expect_error option_unknown 2 'no-such-option|unrecognized|unknown|invalid' --no-such-option
expect_error heap_rate_zero 2 'heap-rate' --heap-rate 0 -- true
expect_error debuginfod_timeout_negative 2 'debuginfod-timeout.*-1' --debuginfod-timeout -1
CPROF_HEAP_URETPROBES=bogus expect_error heap_uretprobes_env 2 'CPROF_HEAP_URETPROBES.*bogus' -- true

require_root

# A pid that does not exist: the highest free one below pid_max.
pid=$(($(cat /proc/sys/kernel/pid_max) - 1))
while [ -e "/proc/$pid" ]; do pid=$((pid - 1)); done
expect_error pid_missing 1 "\\b$pid\\b" -p "$pid"

# A kernel thread has no user space to profile: kthreadd is pid 2 outside pid namespaces.
if [ "$(cat /proc/2/comm 2>/dev/null)" = kthreadd ]; then
	expect_error pid_kernel_thread 1 '\b2\b.*kernel|kernel.*\b2\b' -p 2
else
	echo "SKIP: $E2E_SUITE/pid_kernel_thread: pid 2 is not kthreadd here (pid namespace?)"
fi

# A thread's id: samples are matched by process, so it would profile nothing. This shell's
# child sleeper gets a second thread (sleepers' sleeper-0) whose id is refused, naming the
# process to give instead.
if [ -x "$WL/sleepers" ]; then
	start_bg sl "$WL/sleepers" 1 20000
	wait_until 10 has_threads "$sl" sleeper-0
	tid=$(grep -lx sleeper-0 /proc/"$sl"/task/*/comm | cut -d/ -f5)
	expect_error pid_thread 1 "^cprof-bpf: pid $tid is a thread of process $sl: give -p $sl$" -p "$tid"
else
	echo "SKIP: $E2E_SUITE/pid_thread: the sleepers workload is not built"
fi

# An output directory that cannot be created: its parent is a regular file. Must be found
# before the 10 s of profiling, not when writing at the end.
: >"$E2E_TMP/plainfile"
expect_error output_unwritable 1 "plainfile" -o "$E2E_TMP/plainfile/sub"

# Root without capabilities (as in a locked-down container): cannot load BPF.
if command -v setpriv >/dev/null; then
	start=$(now_ms)
	dir=$E2E_TMP/nocaps.out.d
	timeout -k 5 30 setpriv --inh-caps=-all --bounding-set=-all -- \
		"$CPROF" -d 10 -o "$dir" >"$E2E_TMP/nocaps.out" 2>"$E2E_TMP/nocaps.err"
	RC=$? ELAPSED_MS=$(($(now_ms) - start))
	lines=$(wc -l <"$E2E_TMP/nocaps.err")
	why=()
	[ "$RC" -eq 1 ] || why+=("exit status $RC, want 1")
	[ "$lines" -eq 1 ] || why+=("$lines lines on stderr, want 1")
	grep -Eqi 'permi|capabilit|CAP_|root|privilege' "$E2E_TMP/nocaps.err" ||
		why+=("stderr does not mention permissions, capabilities or root")
	[ "$ELAPSED_MS" -lt 2000 ] || why+=("took ${ELAPSED_MS} ms, want < 2000")
	[ ${#why[@]} -gt 0 ] && show_err nocaps
	verdict no_capabilities "exit $RC in ${ELAPSED_MS} ms: $(head -1 "$E2E_TMP/nocaps.err")" "${why[@]}"
else
	echo "SKIP: $E2E_SUITE/no_capabilities: setpriv (util-linux) is not installed"
fi
e2e_exit

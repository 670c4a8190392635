# Shared by the benchmarks (sourced, never run): the repository, the binary and workloads
# under test, a temporary directory, and the end of every process a benchmark started,
# whatever way it ends.
#
# Environment: CPROF  the binary (default: cprof-bpf at the top of the checkout);  OUT  the
# build directory (default: build/);  KEEP  non-empty: keep the temporary directory.
# Globals for the benchmark: root, CPROF, WL (the workloads), tmp (the temporary directory),
# pids (add every process started in the background), stats_before (set it to the old value
# before enabling kernel.bpf_stats_enabled: it is restored at the end).
# shellcheck disable=SC2034

set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CPROF=${CPROF:-$root/cprof-bpf}
WL=${OUT:-$root/build}/workloads
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cprof-bench.XXXXXX")
pids=()
stats_before=
BENCH=$(basename "$0" .sh)

# shellcheck source=../children.bash
source "$(dirname "${BASH_SOURCE[0]}")/../children.bash"

bench_cleanup() {
	kill_our_children "${pids[@]}"
	[ -n "$stats_before" ] && sysctl -qw kernel.bpf_stats_enabled="$stats_before"
	if [ -n "${KEEP:-}" ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "$BENCH: $*" >&2; exit 1; }

# require_bench WORKLOAD...: root, the binary and these workloads of build/workloads;
# otherwise the benchmark ends with one line saying what to do.
require_bench() {
	local w
	[ "$(id -u)" = 0 ] || die "needs root (it loads BPF programs)"
	[ -x "$CPROF" ] || die "$CPROF is not built (make cprof-bpf)"
	for w in "$@"; do
		[ -x "$WL/$w" ] || die "$WL/$w is not built (make test-build)"
	done
}

# find_offcputime: the path of libbpf-tools' offcputime (Debian's package; its binary's name
# has varied between releases), nothing if it is not installed.
find_offcputime() {
	local f
	for f in $(dpkg -L libbpf-tools 2>/dev/null | grep -E '/s?bin/[^/]*offcputime$'); do
		[ -x "$f" ] && { echo "$f"; return 0; }
	done
	command -v offcputime 2>/dev/null || command -v libbpf-offcputime 2>/dev/null
}

# stop_int PID: SIGINT to PID (a profiler writes what it collected), then at most 10 s
# before SIGKILL (said on stderr); reaps it.
stop_int() {
	local i
	kill -INT "$1" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		echo "  pid $1 did not stop 10 s after SIGINT: killed" >&2
		kill -KILL "$1"
	fi
	wait "$1" 2>/dev/null
}

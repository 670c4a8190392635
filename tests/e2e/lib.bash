# Shared by the end-to-end tests (sourced, never run: tests/run runs tests/e2e/*.sh only).
#
# A test script sources this file, calls require_* for what it needs, runs cprof-bpf on the
# workloads in build/workloads/ and reads the profiles with `go tool pprof`. Results are lines
# "PASS: e2e/SCRIPT/CHECK (figures)", "FAIL: e2e/SCRIPT/CHECK: why, with the numbers" or
# "SKIP: e2e/SCRIPT: reason", which tests/run counts.
#
# Environment (set by tests/run; defaults for running a script by hand from anywhere):
#   CPROF_ROOT  the repository;  CPROF  the binary under test;  OUT  the build directory.
#
# Functions return results in globals (RC, ELAPSED_MS, CPROF_PID, CPU_LOG) for the caller:
# shellcheck disable=SC2034

set -u

: "${CPROF_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${CPROF:=$CPROF_ROOT/cprof-bpf}"
: "${OUT:=$CPROF_ROOT/build}"
: "${GO:=go}"
export GOCACHE=${GOCACHE:-$OUT/go-cache}
WL=$OUT/workloads
E2E_SUITE=e2e/$(basename "$0" .sh)
E2E_FAILED=0
E2E_PIDS=()
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cprof-e2e.XXXXXX")

# shellcheck source=../children.bash
source "$(dirname "${BASH_SOURCE[0]}")/../children.bash"

# Ends every process this script started (workloads, background profilers) and removes the
# temporary directory, whatever way the script ends.
e2e_cleanup() {
	kill_our_children "${E2E_PIDS[@]}"
	rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT
trap 'exit 130' INT TERM

# ---- reporting -------------------------------------------------------------------------

pass() { echo "PASS: $E2E_SUITE/$1${2:+ ($2)}"; }
fail() { echo "FAIL: $E2E_SUITE/$1: $2"; E2E_FAILED=1; }
skip_all() { echo "SKIP: $E2E_SUITE: $1"; exit 0; }

# verdict CHECK FIGURES [WHY...]: PASS with FIGURES when no WHY was collected, else one FAIL
# line with every WHY.
verdict() {
	local name=$1 figures=$2
	shift 2
	if [ $# -eq 0 ]; then
		pass "$name" "$figures"
	else
		local why=$1
		shift
		while [ $# -gt 0 ]; do why="$why; $1"; shift; done
		fail "$name" "$why${figures:+ [$figures]}"
	fi
}

# e2e_exit: the script's exit status, non-zero when any check failed.
e2e_exit() { exit "$E2E_FAILED"; }

# show_err NAME: the captured stderr of run NAME, indented, for the log above a FAIL.
show_err() {
	[ -s "$E2E_TMP/$1.err" ] && sed 's/^/    | /' "$E2E_TMP/$1.err" | head -40
	return 0
}

# fcmp EXPR: true when the awk expression EXPR holds (floating-point comparisons).
fcmp() { awk "BEGIN { exit !($1) }"; }

# pct PART WHOLE: PART as a percentage of WHOLE, one decimal.
pct() { awk -v p="$1" -v w="$2" 'BEGIN { printf "%.1f", w ? 100 * p / w : 0 }'; }

now_ms() { date +%s%3N; }

# ---- prerequisites ---------------------------------------------------------------------

# require_binary: the tool and the workloads must be built; their absence is a failure,
# not a skip (`make test` builds both first).
require_binary() {
	local w
	if [ ! -x "$CPROF" ]; then
		fail setup "$CPROF is not built (run make test-build)"
		exit 1
	fi
	for w in "$@"; do
		if [ ! -x "$WL/$w" ]; then
			fail setup "workload $WL/$w is not built (run make test-build)"
			exit 1
		fi
	done
}

# require_root: checks that need a privileged run SKIP without it.
require_root() {
	[ "$(id -u)" = 0 ] || skip_all "not root (run the e2e tests as root)"
}

# has_bpf_caps: the effective set holds CAP_BPF (39) and CAP_PERFMON (38), or CAP_SYS_ADMIN.
has_bpf_caps() {
	local eff
	eff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
	[ -n "$eff" ] || return 1
	eff=$((16#$eff))
	(( (eff >> 39 & 1) && (eff >> 38 & 1) )) || (( eff >> 21 & 1 ))
}

# suite_kind: the profile kind a script tests, from its name (block_*, mutex_*, heap*),
# cpu for the others.
suite_kind() {
	case $(basename "$0" .sh) in
	block*) echo block ;;
	mutex*) echo mutex ;;
	heap*) echo heap ;;
	*) echo cpu ;;
	esac
}

# require_kinds KIND...: `cprof-bpf --check` says whether this kernel can collect each KIND;
# one it cannot SKIPs the script with its reason. A kind missing from --check FAILs.
require_kinds() {
	local k line
	if [ ! -s "$E2E_TMP/check.out" ]; then
		timeout -k 5 180 "$CPROF" --check >"$E2E_TMP/check.out" 2>"$E2E_TMP/check.err"
	fi
	for k in "$@"; do
		line=$(grep -E "^  $k +(available|unavailable) " "$E2E_TMP/check.out")
		if [ -z "$line" ]; then
			show_err check
			fail setup "cprof-bpf --check printed no line for the $k profile"
			exit 1
		fi
		if [[ $line == *" unavailable "* ]]; then
			skip_all "this kernel cannot collect the $k profile: $(sed 's/^ *[a-z]* *unavailable *//' <<<"$line")"
		fi
	done
}

# require_bpf [KIND...]: the kinds the script tests (default: suite_kind) must load on this
# kernel (require_kinds), then one short real run. SKIPs the script when the kernel or the
# environment refuses BPF (not root, capabilities missing, EPERM from lockdown or a
# container, no BTF); any other failure of this trivial run is a bug in the tool and FAILs.
require_bpf() {
	local rc first
	require_root
	has_bpf_caps || skip_all "no CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN in this environment"
	if [ $# -eq 0 ]; then
		require_kinds "$(suite_kind)"
	else
		require_kinds "$@"
	fi
	timeout -k 5 30 "$CPROF" -d 1 -o "$E2E_TMP/probe" -- true \
		>"$E2E_TMP/probe.out" 2>"$E2E_TMP/probe.err"
	rc=$?
	[ "$rc" -eq 0 ] && return 0
	first=$(grep -m1 . "$E2E_TMP/probe.err")
	if grep -Eqi 'operation not permitted|lockdown|BTF|not supported' "$E2E_TMP/probe.err"; then
		skip_all "the kernel refuses BPF: ${first:-exit $rc}"
	fi
	show_err probe
	fail setup "'cprof-bpf -d 1 -- true' exited $rc: ${first:-no message}"
	exit 1
}

# require_pprof: go tool pprof reads the profiles; without Go the checks cannot run.
require_pprof() {
	command -v "$GO" >/dev/null 2>&1 ||
		skip_all "go is not installed (go tool pprof reads the profiles; apt-get install golang-go)"
	mkdir -p "$GOCACHE" 2>/dev/null
	"$GO" tool pprof -h >/dev/null 2>&1 || skip_all "go tool pprof does not run"
}

# ---- processes -------------------------------------------------------------------------

# run_cprof NAME LIMIT ARGS...: runs cprof-bpf ARGS in the foreground, killed after LIMIT
# seconds; stdout and stderr go to $E2E_TMP/NAME.out and NAME.err. Sets RC (124 = timed
# out) and ELAPSED_MS.
run_cprof() {
	local name=$1 limit=$2 t0
	shift 2
	t0=$(now_ms)
	timeout -k 5 "$limit" "$CPROF" "$@" >"$E2E_TMP/$name.out" 2>"$E2E_TMP/$name.err"
	RC=$?
	ELAPSED_MS=$(($(now_ms) - t0))
}

# start_bg VAR CMD...: starts CMD in the background, killed at exit, and stores its pid in
# VAR once it has exec'd (its comm is no longer this shell's), so /proc shows the workload.
# (Not once its comm is CMD's: a CMD that execs another program at once, as unshare does,
# never shows its own, and the wait would run out while the program's life goes by.)
# Its stdout and stderr go to $E2E_TMP/VAR.log.
start_bg() {
	local var=$1 pid shell
	shift
	"$@" </dev/null >"$E2E_TMP/$var.log" 2>&1 &
	pid=$!
	E2E_PIDS+=("$pid")
	read -r shell <"/proc/$$/comm"
	wait_until 2 execd "$pid" "$shell"
	printf -v "$var" '%s' "$pid"
}

# execd PID COMM: PID's comm is no longer COMM (the shell it was forked from), or it is gone.
execd() {
	local comm
	read -r comm 2>/dev/null <"/proc/$1/comm" || return 0
	[ "$comm" != "$2" ]
}

# start_cprof_bg NAME ARGS...: cprof-bpf ARGS in the background (output as run_cprof);
# stores its pid in CPROF_PID. Job control is on while it starts: a script's background
# jobs otherwise inherit SIGINT ignored, and a signal test must see what a terminal's
# Ctrl-C does.
start_cprof_bg() {
	local name=$1
	shift
	set -m
	"$CPROF" "$@" >"$E2E_TMP/$name.out" 2>"$E2E_TMP/$name.err" </dev/null &
	CPROF_PID=$!
	set +m
	E2E_PIDS+=("$CPROF_PID")
}

# wait_ready NAME SECS: waits up to SECS for the background cprof-bpf started as NAME to say
# it is profiling ("cprof-bpf: profiling ..." once every probe is attached). Returns 1 on
# timeout or if it exited first.
wait_ready() {
	local name=$1 deadline=$(($(now_ms) + $2 * 1000))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		grep -q '^cprof-bpf: profiling ' "$E2E_TMP/$name.err" 2>/dev/null && return 0
		kill -0 "$CPROF_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# wait_until SECS CMD...: runs CMD every 20 ms until it succeeds (returns 0) or SECS have
# passed (returns 1). A test waits with it for what it can see (a line in a log, a thread)
# rather than sleeping a fixed time that a busy machine may outlast.
wait_until() {
	local deadline=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.02
	done
}

# has_line FILE REGEX: FILE has a line matching REGEX (grep -E).
has_line() { grep -Eq -- "$2" "$1" 2>/dev/null; }

# has_threads PID NAME...: each NAME is the name (comm) of one of PID's threads.
has_threads() {
	local pid=$1 comms name
	shift
	comms=$(cat "/proc/$pid/task/"*/comm 2>/dev/null) || return 1
	for name in "$@"; do
		grep -qxF -- "$name" <<<"$comms" || return 1
	done
}

# wait_exit PID SECS: waits up to SECS for background child PID; sets RC to its exit status
# (124 if it was still running, then it is killed) and ELAPSED_MS to the time waited.
wait_exit() {
	local pid=$1 t0 deadline
	t0=$(now_ms)
	deadline=$((t0 + $2 * 1000))
	while kill -0 "$pid" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do
		# A zombie has exited: wait reaps it below.
		[ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
		sleep 0.05
	done
	ELAPSED_MS=$(($(now_ms) - t0))
	if kill -0 "$pid" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		RC=124
		return
	fi
	wait "$pid"
	RC=$?
}

# ---- expected sample counts ------------------------------------------------------------
# A CPU-clock sampler at HZ takes HZ samples per second of CPU time a process uses, not per
# second of wall time: on a busy machine a workload gets less than a core. Expected counts
# therefore come from the CPU time the targets really used while sampling was on.

# cpu_log_start PID...: from now on, logs the PIDs' CPU time every 50 ms in the background
# (replacing the previous log) for window_samples. A line per tick:
# "EPOCH-SECONDS TICKS-OF-PID1 TICKS-OF-PID2 ...", "-" for a pid that is gone.
CPU_LOG_N=0
CPU_LOG_PID=
cpu_log_start() {
	if [ -n "$CPU_LOG_PID" ] && is_our_child "$CPU_LOG_PID"; then
		disown "$CPU_LOG_PID" 2>/dev/null
		kill "$CPU_LOG_PID" 2>/dev/null
	fi
	CPU_LOG_N=$((CPU_LOG_N + 1))
	CPU_LOG=$E2E_TMP/cpu.$CPU_LOG_N.log
	(
		local pid st f line
		while :; do
			line=$EPOCHREALTIME
			for pid in "$@"; do
				st=
				read -r st <"/proc/$pid/stat" 2>/dev/null
				st=${st##*) }
				read -ra f <<<"$st"
				if [ ${#f[@]} -gt 13 ]; then
					line="$line $((f[11] + f[12]))"
				else
					line="$line -"
				fi
			done
			echo "$line"
			sleep 0.05
		done
	) >"$CPU_LOG" 2>/dev/null &
	CPU_LOG_PID=$!
	E2E_PIDS+=("$CPU_LOG_PID")
}

# cpu_between N T0 T1: CPU seconds the Nth pid given to cpu_log_start used between the
# epoch times T0 and T1, interpolated linearly between the log's lines around them.
cpu_between() {
	awk -v col=$(($1 + 1)) -v t0="$2" -v t1="$3" -v tck="$(getconf CLK_TCK)" '
		function at(t,   i) {
			for (i = 1; i <= n; i++)
				if (ts[i] >= t) break
			if (i > n) return v[n]
			if (i == 1) return v[1]
			return v[i - 1] + (v[i] - v[i - 1]) * (t - ts[i - 1]) / (ts[i] - ts[i - 1])
		}
		$col != "-" { n++; ts[n] = $1; v[n] = $col }
		END { printf "%.6f", n ? (at(t1) - at(t0)) / tck : 0 }' "$CPU_LOG"
}

# window_samples PROFILE N HZ: samples due for the Nth pid given to cpu_log_start during the
# profile's sampling window (its Time and Duration): HZ × the CPU seconds that pid used then.
window_samples() {
	local raw t0 d
	raw=$(profile_raw "$1" | sed -n '/^Samples:/q; p')
	t0=$(sed -n 's/^Time: \(.*\) UTC$/\1/p' <<<"$raw")
	d=$(sed -n 's/^Duration: \([0-9.]*\).*/\1/p' <<<"$raw")
	t0=$(date -d "$t0" +%s.%N 2>/dev/null) || t0=
	if [ -z "$t0" ] || [ -z "$d" ]; then
		echo 0
		return
	fi
	awk -v c="$(cpu_between "$2" "$t0" "$(awk -v a="$t0" -v b="$d" 'BEGIN { printf "%.6f", a + b }')")" \
		-v hz="$3" 'BEGIN { printf "%d", c * hz + 0.5 }'
}

# ---- reading profiles ------------------------------------------------------------------
# Every reader passes -symbolize=none: pprof must not repair a profile from the local
# binaries, the names must come from cprof-bpf. Values are sample counts (-sample_index=samples).
# A reader that pipes pprof into a filter returns pprof's exit status, not the filter's, so
# that `if ! x=$(reader FILE)` catches a profile pprof cannot read (the error is in PPROF_ERR).

PPROF_ERR=$E2E_TMP/pprof.err

# pprof_top FILE [PPROF-ARGS...]: `go tool pprof -top` of every function.
pprof_top() {
	local file=$1
	shift
	"$GO" tool pprof -top -nodecount=100000 -nodefraction=0 -edgefraction=0 \
		-sample_index=samples -symbolize=none "$@" "$file" 2>"$PPROF_ERR"
}

# top_value FUNC flat|cum < TOP: FUNC's value (sample count) in pprof_top output, 0 if absent.
top_value() {
	awk -v fn="$1" -v col="$2" '
		/^ *flat  *flat%/ { table = 1; next }
		table && NF >= 6 {
			name = $6
			for (i = 7; i <= NF; i++) name = name " " $i
			if (name == fn) { print (col == "flat" ? $1 : $4) + 0; found = 1; exit }
		}
		END { if (!found) print 0 }'
}

# top_total < TOP: the profile's total (the "of N total" of the header), 0 if none.
top_total() {
	sed -n 's/.* of \(-\{0,1\}[0-9][0-9]*\) total.*/\1/p' | head -1 | grep . || echo 0
}

# pprof_traces FILE [PPROF-ARGS...]: one line per sample,
#   COUNT <tab> key=value,key=value <tab> leaf;caller;...;root
# from `go tool pprof -traces` (labels sorted by key).
pprof_traces() {
	local file=$1
	shift
	"$GO" tool pprof -traces -sample_index=samples -symbolize=none "$@" "$file" \
		2>"$PPROF_ERR" | awk '
		function flush() {
			if (n != "") {
				m = split(lab, parts, "\034")
				out = ""
				for (i = 1; i <= m; i++) out = out (i > 1 ? "," : "") parts[i]
				print n "\t" out "\t" stack
			}
			n = ""; lab = ""; stack = ""
		}
		/^-----------\+/ { flush(); inside = 1; next }
		!inside { next }
		# "%10s:  %s" is a label; "%10s   %s" a frame (the first one carries the value).
		substr($0, 11, 1) == ":" || /^[A-Za-z_][^ ]*:  / {
			i = index($0, ":  ")
			key = substr($0, 1, i - 1); gsub(/ /, "", key)
			lab = lab (lab == "" ? "" : "\034") key "=" substr($0, i + 3)
			next
		}
		substr($0, 11, 3) == "   " {
			v = substr($0, 1, 10); gsub(/ /, "", v)
			if (v != "") n = v
			f = substr($0, 14); sub(/ \(inline\)$/, "", f)
			stack = stack (stack == "" ? "" : ";") f
		}
		END { flush() }'
	return "${PIPESTATUS[0]}"
}

# traces_count AWK-CONDITION: total count of samples for which the awk condition holds, with
# lab (the labels field), stack (the frames field) and fr[1..nf] (the frames) in scope.
traces_count() {
	awk -F '\t' '
		{ lab = "," $2 ","; stack = $3; nf = split(stack, fr, ";") }
		'"$1"' { s += $1 }
		END { print s + 0 }'
}

# run_traces WHAT LIMIT ARGS...: cprof-bpf -o $E2E_TMP/run ARGS (as run_cprof run), then
# its cpu.pb.gz in PROF and that profile's pprof_traces in TRACES. WHAT says how it was run,
# for the message: a run that fails or writes no profile, or a profile pprof cannot read,
# FAILs and ends the script.
run_traces() {
	local what=$1 limit=$2
	shift 2
	run_cprof run "$limit" -o "$E2E_TMP/run" "$@"
	PROF=$E2E_TMP/run/cpu.pb.gz
	if [ "$RC" -ne 0 ] || [ ! -s "$PROF" ]; then
		show_err run
		fail run "cprof-bpf $what exited $RC; $PROF $([ -s "$PROF" ] && echo written || echo missing)"
		e2e_exit
	fi
	if ! TRACES=$(pprof_traces "$PROF"); then
		fail read "go tool pprof cannot read $PROF: $(head -1 "$PPROF_ERR")"
		e2e_exit
	fi
}

# profile_raw FILE: `go tool pprof -raw` (types, period, every sample with its labels).
profile_raw() {
	"$GO" tool pprof -raw -symbolize=none "$1" 2>"$PPROF_ERR"
}

# ---- cpusplit ground truth -------------------------------------------------------------
# cpusplit burns 60/30/10% of its work units in hot_a/hot_b/hot_c, always called
# main → level1 → level2 → hot_x (tests/workloads/cpusplit.c).

# check_cpusplit_shares CHECK PROFILE [PPROF-ARGS...]: hot_a/b/c cum shares within ±5 points
# of 60/30/10, and the three hold ≥ 90% of the samples.
#
# The shares are taken of the three functions' total, not of all samples: the rest (process
# start-up and the dynamic loader, clock_gettime in main, timer interrupts and page faults,
# a [lost samples] frame) is real CPU time but outside the ground truth, and its size varies
# with the machine. That rest is bounded separately (≤ 10%), so a profile that lost most stacks
# cannot pass on the ratio alone.
check_cpusplit_shares() {
	local name=$1 prof=$2 top total a b c hot sa sb sc why=()
	shift 2
	if ! top=$(pprof_top "$prof" "$@"); then
		fail "$name" "go tool pprof cannot read $prof: $(head -1 "$PPROF_ERR")"
		return
	fi
	total=$(top_total <<<"$top")
	a=$(top_value hot_a cum <<<"$top")
	b=$(top_value hot_b cum <<<"$top")
	c=$(top_value hot_c cum <<<"$top")
	hot=$((a + b + c))
	if [ "$hot" -eq 0 ]; then
		echo "$top" | sed -n '1,25s/^/    | /p'
		fail "$name" "no sample in hot_a/hot_b/hot_c (total $total samples; top functions above)"
		return
	fi
	sa=$(pct "$a" "$hot") sb=$(pct "$b" "$hot") sc=$(pct "$c" "$hot")
	fcmp "$sa >= 55 && $sa <= 65" || why+=("hot_a has $sa% of hot samples, want 60±5")
	fcmp "$sb >= 25 && $sb <= 35" || why+=("hot_b has $sb% of hot samples, want 30±5")
	fcmp "$sc >= 5 && $sc <= 15" || why+=("hot_c has $sc% of hot samples, want 10±5")
	fcmp "$hot >= 0.9 * $total" ||
		why+=("hot_a+hot_b+hot_c hold $hot of $total samples ($(pct "$hot" "$total")%), want ≥ 90%")
	[ ${#why[@]} -gt 0 ] && echo "$top" | sed -n '1,25s/^/    | /p'
	verdict "$name" "hot_a $sa% hot_b $sb% hot_c $sc% of $hot hot samples, $total in all" "${why[@]}"
}

# check_cpusplit_stacks CHECK PROFILE [PPROF-ARGS...]: every sample that contains a hot
# function has level2, level1, main right above it (all user frames symbolized).
check_cpusplit_stacks() {
	local name=$1 prof=$2 traces nhot nbad example
	shift 2
	if ! traces=$(pprof_traces "$prof" "$@"); then
		fail "$name" "go tool pprof -traces cannot read $prof: $(head -1 "$PPROF_ERR")"
		return
	fi
	read -r nhot nbad example < <(awk -F '\t' '
		{
			nf = split($3, fr, ";")
			for (i = 1; i <= nf; i++) {
				if (fr[i] !~ /^hot_[abc]$/) continue
				hot += $1
				if (fr[i + 1] != "level2" || fr[i + 2] != "level1" || fr[i + 3] != "main") {
					bad += $1
					if (ex == "") ex = $3
				}
				break
			}
		}
		END { print hot + 0, bad + 0, ex }' <<<"$traces")
	if [ "$nhot" -eq 0 ]; then
		fail "$name" "no sample contains hot_a/hot_b/hot_c"
	elif [ "$nbad" -ne 0 ]; then
		fail "$name" "$nbad of $nhot hot samples lack hot_x;level2;level1;main, e.g. $example"
	else
		pass "$name" "$nhot hot samples, all under level2 → level1 → main"
	fi
}

# cpusplit_cpu FILE: the CPU seconds cpusplit reported in FILE, its stdout.
cpusplit_cpu() { sed -n 's/^cpusplit: .*, cpu \([0-9.]*\) s$/\1/p' "$1"; }

# check_cpusplit_samples CHECK PROFILE CPU HZ: cpusplit was profiled from its start, so the
# profile has one sample per period of the CPU time it used (±20%).
check_cpusplit_samples() {
	local want
	want=$(awk -v c="${3:-0}" -v hz="$4" 'BEGIN { printf "%d", c * hz + 0.5 }')
	check_count "$1" "$(pprof_top "$2" | top_total)" "$want" 20 "samples for ${3:-?} s of CPU at $4 Hz"
}

# within GOT WANT TOLERANCE_PCT: GOT is within ±TOLERANCE_PCT% of WANT (and WANT > 0).
within() {
	awk -v g="$1" -v w="$2" -v t="$3" 'BEGIN { exit !(w > 0 && g >= w * (1 - t / 100) && g <= w * (1 + t / 100)) }'
}

# check_count CHECK GOT WANT TOLERANCE_PCT WHAT: GOT within ±TOLERANCE_PCT% of WANT.
check_count() {
	local lo hi
	lo=$(awk -v w="$3" -v t="$4" 'BEGIN { printf "%.0f", w * (1 - t / 100) + 0.499 }')
	hi=$(awk -v w="$3" -v t="$4" 'BEGIN { printf "%.0f", w * (1 + t / 100) - 0.499 }')
	if within "$2" "$3" "$4"; then
		pass "$1" "$2 $5, want $3 ±$4% [$lo, $hi]"
	else
		fail "$1" "$2 $5, want $3 ±$4% [$lo, $hi]"
	fi
}

# check_symbolized CHECK MODULES < TRACES: no sample has a frame the tool could not name in
# one of MODULES (a regexp of file names such as 'cpusplit|libc\.so\.6'), shown as
# MODULE+0xOFFSET, nor a frame outside every known mapping ([unmapped]...). Addresses in
# these modules are always symbolizable: the workloads and libc have symbol tables.
check_symbolized() {
	local name=$1 modules=$2 counts n all example
	counts=$(awk -F '\t' -v re="(^|;)(\\\\[unmapped\\\\][^;]*|($modules)\\\\+0x[0-9a-f]+)(;|\$)" '
		{ all += $1 }
		$3 ~ re { n += $1; if (ex == "") ex = $3 }
		END { print n + 0, all + 0, ex }')
	read -r n all example <<<"$counts"
	if [ "$all" -gt 0 ] && [ "$n" -eq 0 ]; then
		pass "$name" "all $all samples have named frames in ${modules//\\/}"
	else
		fail "$name" "$n of $all samples have an unnamed frame in ${modules//\\/} or outside any mapping, e.g. ${example:-none}"
	fi
}

# page_json PAGE: the JSON head of the data inside PAGE (docs/flame-format.md: base64 chunks
# of a gzip whose last 4 bytes are the head's length, the head just before them).
page_json() {
	local raw=$E2E_TMP/page.raw len
	sed -n 's|^<script class="cprof-data" type="application/octet-stream">\([^<]*\)</script>$|\1|p' "$1" |
		tr -d '\n' | base64 -d | gzip -dc >"$raw" || return 1
	len=$(tail -c 4 "$raw" | od -An -tu4 | tr -d ' ')
	tail -c $((len + 4)) "$raw" | head -c "$len"
}

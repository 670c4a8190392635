#!/usr/bin/env bash
# A fuzzing campaign: each libFuzzer harness (build/fuzz/fuzz_NAME) fuzzes for a given time
# on all CPUs, then its corpus is replayed through the coverage build (build/fuzz-cov/,
# tests/fuzz/fuzz-cov.mk) and llvm-cov measures the lines reached of the harness's parser
# files (PARSERS below). One table row per harness: executions, executions per second,
# line coverage of its parser, crashes (count and artifact paths).
#
#   tests/fuzz/campaign.sh [--goal] [--seconds N] [--jobs N] [--out DIR] [--no-build]
#                          [--update-corpus] [HARNESS...]
#
# --seconds N (FUZZ_SECONDS, default 600) per harness, of wall time; --goal: each harness
# runs until it reaches the goal below, 10M executions (-runs) or one CPU-hour, whichever
# comes first (--seconds then only caps the wall time, default 6 hours). The CPU time is
# that of the harness's process group (the fork mode's parent, its jobs and their
# symbolizers), read from /proc every 5 s, so a campaign that is paused (kill -STOP) or that
# shares the machine still gives each harness its CPU-hour. --jobs N (FUZZ_JOBS, default:
# the CPUs) workers; --out DIR (default build/fuzz-campaign) keeps per harness its corpus
# (which later campaigns resume from), artifacts/, fuzz.log, the coverage report cov.txt;
# --update-corpus merges what the campaign found into tests/fuzz/corpus/NAME/ with
# libFuzzer's -merge=1 (only inputs that reach something new are added). HARNESS: names as
# in build/fuzz (fuzz_dwarf or dwarf); default all. Not part of `make test` (smoke.sh is).
#
# Workers: libFuzzer's -fork=N, rather than -jobs/-workers. The fork mode runs N fuzzing
# processes under one parent that merges their findings into one corpus, carries on after
# a crash, timeout or out-of-memory input (-ignore_*, each kept in artifacts/), and prints
# the executions of all of them together, which the table needs; -jobs starts independent
# fuzzers, each stopping at its first crash, with a log of its own to add up.
#
# Goals: at least 10M executions or one CPU-hour per harness, no crash, 80% of each
# parser's lines. The table's CPU column is the harness's CPU seconds (its jobs' included),
# and execs/s is per CPU-second.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)

# The parser files each harness exists for: the coverage that counts is theirs.
declare -A PARSERS=(
	[allocobj]="user/kinds/allocobj.c"
	[cfi]="user/unwind/cfi_build.c user/unwind/cfi_fde.c user/unwind/cfi_program.c
		user/unwind/cfi_table.c user/unwind/cfi_clone.c user/unwind/cfi_go.c
		user/unwind/cfi_gopcln.c"
	[cficache]="user/unwind/cfi_cache.c user/unwind/cfi_table.c"
	[cgroup]="user/proc/cgroup.c"
	[demangle]="user/symbols/demangle.c"
	[dwarf]="user/symbols/dwarfidx.c user/symbols/ranges.c user/symbols/dwvar.c
		user/symbols/datasym.c"
	[elf]="user/proc/object_elf.c"
	[elfdeps]="user/elf/elfdeps.c"
	[gopclntab]="user/symbols/gopclntab.c"
	[httpq]="user/core/httpq.c"
	[kallsyms]="user/symbols/kallsyms.c"
	[minidebug]="user/elf/minidebug.c"
	[perfmap]="user/symbols/perfmap.c"
	[pidstat]="user/proc/pidstat.c"
	[pmodel]="encoder/pmodel.c"
	[pprof_read]="encoder/pprof_read.c"
	[procmaps]="user/proc/procmaps.c user/proc/mapsfile.c"
	[stackcopy]="user/kinds/stackcopy.c"
	[threadsnap]="user/report/threadsnap.c"
	[symtab]="user/symbols/symtab.c user/symbols/elfsyms.c user/symbols/plt.c
		user/elf/fderange.c"
)

usage() {
	sed -n '8,9p' "$0" | sed 's/^# *//' >&2
	exit 2
}

secs=${FUZZ_SECONDS:-}
goal=0
GOAL_RUNS=${FUZZ_GOAL_RUNS:-10000000}
GOAL_CPU=${FUZZ_GOAL_CPU:-3600}
jobs=${FUZZ_JOBS:-$(nproc)}
out=$root/build/fuzz-campaign
build=1
update=0
names=()
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=${2:-} && shift ;;
	--goal) goal=1 ;;
	--jobs) jobs=${2:-} && shift ;;
	--out) out=${2:-} && shift ;;
	--no-build) build=0 ;;
	--update-corpus) update=1 ;;
	-h | --help) usage ;;
	-*) echo "campaign: unknown option $1" >&2 && usage ;;
	*) names+=("${1#fuzz_}") ;;
	esac
	shift
done
[ -n "$secs" ] || { [ "$goal" = 1 ] && secs=21600; } || secs=600
[[ "$secs" =~ ^[1-9][0-9]*$ && "$jobs" =~ ^[1-9][0-9]*$ ]] || usage
hz=$(getconf CLK_TCK)

# clang 14's profiles need llvm 14's tools (scripts/install-deps installs llvm-14).
tool() {
	command -v "$1-14" || command -v "$1" || { echo "campaign: $1-14 not found" >&2 && exit 1; }
}
profdata=$(tool llvm-profdata) || exit 1
llvmcov=$(tool llvm-cov) || exit 1

if [ ${#names[@]} -eq 0 ]; then
	for src in "$root"/tests/fuzz/fuzz_*.c; do
		n=$(basename "$src" .c)
		names+=("${n#fuzz_}")
	done
fi
targets=()
for n in "${names[@]}"; do
	if [ ! -f "$root/tests/fuzz/fuzz_$n.c" ]; then
		echo "campaign: no harness tests/fuzz/fuzz_$n.c" >&2
		exit 2
	fi
	if [ -z "${PARSERS[$n]:-}" ]; then
		echo "campaign: fuzz_$n: its parser files are not in PARSERS (tests/fuzz/campaign.sh)" >&2
		exit 2
	fi
	targets+=("build/fuzz/fuzz_$n" "build/fuzz-cov/fuzz_$n")
done
if [ "$build" = 1 ]; then
	make -C "$root" -j"$jobs" "${targets[@]}" >&2 || exit 1
fi

# The last total of the fork mode's status lines ("#N: cov: ... exec/s ...").
executions() {
	grep -Eo '^#[0-9]+' "$1" | tail -1 | tr -d '#'
}

# coverage NAME DIR CORPUS...: "covered/lines pct" of NAME's parser files, after replaying
# the corpora through the coverage build (-runs=0 runs each input once).
coverage() {
	local n=$1 d=$2 files
	shift 2
	rm -f "$d"/cov-*.profraw "$d/cov.profdata"
	LLVM_PROFILE_FILE="$d/cov-%p.profraw" "$root/build/fuzz-cov/fuzz_$n" -runs=0 \
		-timeout=10 -rss_limit_mb=2048 "$@" >"$d/cov.log" 2>&1
	"$profdata" merge -sparse "$d"/cov-*.profraw -o "$d/cov.profdata" 2>>"$d/cov.log" ||
		{ echo "- ?" && return; }
	# -d '': all the lines of an entry (read stops at the first newline otherwise).
	read -r -d '' -a files <<<"${PARSERS[$n]}"
	(cd "$root" && "$llvmcov" report "build/fuzz-cov/fuzz_$n" \
		-instr-profile="$d/cov.profdata" "${files[@]}") >"$d/cov.txt" 2>>"$d/cov.log"
	# TOTAL's columns: regions, missed, cover, functions, missed, cover, lines, missed, ...
	awk '$1 == "TOTAL" { c = $8 - $9; printf "%d/%d %.1f%%\n", c, $8, $8 ? 100 * c / $8 : 0 }' \
		"$d/cov.txt"
}

row() {
	printf '%-12s %14s %10s %7s %6s %22s %8s  %s\n' "$@"
}

# group_ticks PGID: the CPU clock ticks a process group has used: each live member's own
# time and that of the children it has reaped (cutime, cstime: the fork jobs that ended).
# A reaped process is no longer live, so nothing is counted twice. In /proc/PID/stat the
# name may hold spaces: the fields are counted after its last ") ".
group_ticks() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v g="$1" '{ sub(/^.*\) /, "")
		if ($3 == g) t += $12 + $13 + $14 + $15 } END { print t + 0 }'
}

# child_ticks FILE: the CPU ticks of a shell's reaped children, from its times in FILE.
child_ticks() {
	awk -v hz="$hz" 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) {
		split($i, p, "m"); t += p[1] * 60 + p[2] } printf "%.0f\n", t * hz }' "$1"
}

mkdir -p "$out" || exit 1
summary=$out/summary.txt
if [ "$goal" = 1 ]; then
	each="until $GOAL_RUNS executions or ${GOAL_CPU} CPU seconds (at most ${secs}s)"
else
	each="${secs}s"
fi
echo "campaign: ${#names[@]} harnesses, $each each, -fork=$jobs, in $out" >&2
{
	echo "# $(date -u +%FT%TZ) $each per harness, -fork=$jobs ($(nproc) CPUs)"
	row harness executions "execs/s" "CPU s" goal "parser lines" crashes artifacts
} | tee "$summary"
status=0
# A campaign stopped (Ctrl-C, kill) stops the harness running: its group, jobs included.
fpid=
trap '[ -n "$fpid" ] && kill -TERM -- "-$fpid" 2>/dev/null; exit 143' TERM INT
for n in "${names[@]}"; do
	d=$out/$n
	seeds=$root/tests/fuzz/corpus/$n
	corpora=("$d/corpus")
	[ -d "$seeds" ] && corpora+=("$seeds")
	rm -rf "$d/artifacts"
	mkdir -p "$d/corpus" "$d/artifacts"
	runs_opt=()
	[ "$goal" = 1 ] && runs_opt=(-runs="$GOAL_RUNS")
	rm -f "$d/times"
	# In a process group of its own, which the CPU count and the stop address, under a
	# shell that writes the CPU time of the whole run when it ends (not when interrupted).
	set -m
	TIMES=$d/times bash -c '"$@"; s=$?; times >"$TIMES"; exit $s' fuzz \
		"$root/build/fuzz/fuzz_$n" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 \
		-ignore_ooms=1 -max_total_time="$secs" -max_len=65536 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$d/artifacts/" "${runs_opt[@]}" "${corpora[@]}" \
		>"$d/fuzz.log" 2>&1 &
	fpid=$!
	set +m
	seen=0
	while [ "$goal" = 1 ] && kill -0 "$fpid" 2>/dev/null; do
		sleep 5
		seen=$(group_ticks "$fpid")
		if [ "$seen" -ge $((GOAL_CPU * hz)) ]; then
			# TERM, not INT: system(), which runs the jobs, makes the parent ignore SIGINT.
			kill -TERM -- "-$fpid" 2>/dev/null # the fork mode's parent and its jobs
			break
		fi
	done
	wait "$fpid"
	# What the shell reaped, or the last count when interrupted.
	reaped=0
	[ -s "$d/times" ] && reaped=$(child_ticks "$d/times")
	cpu=$(awk -v a="$reaped" -v s="$seen" -v hz="$hz" \
		'BEGIN { t = a > s ? a : s; printf "%.0f", t / hz }')
	runs=$(executions "$d/fuzz.log")
	rate=$(awk -v r="${runs:-0}" -v c="$cpu" 'BEGIN { printf "%.0f", (c > 0 ? r / c : 0) }')
	met=short
	[ "${runs:-0}" -ge "$GOAL_RUNS" ] && met=10M
	[ "$cpu" -ge "$GOAL_CPU" ] && met=CPU-h
	mapfile -t arts < <(find "$d/artifacts" -type f | sort)
	read -r lines pct <<<"$(coverage "$n" "$d" "${corpora[@]}")"
	[ ${#arts[@]} -eq 0 ] || status=1
	row "fuzz_$n" "${runs:-?}" "$rate" "$cpu" "$met" "${pct:-?} ${lines:-}" "${#arts[@]}" \
		"$(printf '%s ' "${arts[@]:0:3}")$([ ${#arts[@]} -gt 3 ] && echo ...)" |
		tee -a "$summary"
	if [ "$update" = 1 ]; then
		mkdir -p "$seeds" && "$root/build/fuzz/fuzz_$n" -merge=1 -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
			"$seeds" "$d/corpus" >"$d/merge.log" 2>&1 ||
			echo "campaign: fuzz_$n: merge failed, see $d/merge.log" >&2
	fi
done
echo "campaign: table in $summary; logs, corpora, artifacts and cov.txt under $out/NAME/" >&2
exit "$status"

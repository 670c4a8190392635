#!/usr/bin/env bash
# A fuzzing campaign: each libFuzzer harness (build/fuzz/fuzz_NAME) fuzzes for a given time
# on all CPUs, then its corpus is replayed through the coverage build (build/fuzz-cov/,
# tests/fuzz/fuzz-cov.mk) and llvm-cov measures the lines reached of the harness's parser
# files (PARSERS below). One table row per harness: executions, executions per second,
# line coverage of its parser, crashes (count and artifact paths).
#
#   tests/fuzz/campaign.sh [--seconds N] [--jobs N] [--out DIR] [--no-build]
#                          [--update-corpus] [HARNESS...]
#
# --seconds N (FUZZ_SECONDS, default 600) per harness; --jobs N (FUZZ_JOBS, default: the
# CPUs) workers; --out DIR (default build/fuzz-campaign) keeps per harness its corpus
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
# parser's lines.
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

secs=${FUZZ_SECONDS:-600}
jobs=${FUZZ_JOBS:-$(nproc)}
out=$root/build/fuzz-campaign
build=1
update=0
names=()
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=${2:-} && shift ;;
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
[[ "$secs" =~ ^[1-9][0-9]*$ && "$jobs" =~ ^[1-9][0-9]*$ ]] || usage

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
	printf '%-12s %14s %10s %22s %8s  %s\n' "$@"
}

mkdir -p "$out" || exit 1
summary=$out/summary.txt
echo "campaign: ${#names[@]} harnesses, ${secs}s each, -fork=$jobs, in $out" >&2
{
	echo "# $(date -u +%FT%TZ) ${secs}s per harness, -fork=$jobs ($(nproc) CPUs)"
	row harness executions execs/s "parser lines" crashes artifacts
} | tee "$summary"
status=0
for n in "${names[@]}"; do
	d=$out/$n
	seeds=$root/tests/fuzz/corpus/$n
	corpora=("$d/corpus")
	[ -d "$seeds" ] && corpora+=("$seeds")
	rm -rf "$d/artifacts"
	mkdir -p "$d/corpus" "$d/artifacts"
	t0=$(date +%s.%N)
	"$root/build/fuzz/fuzz_$n" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 \
		-ignore_ooms=1 -max_total_time="$secs" -max_len=65536 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$d/artifacts/" "${corpora[@]}" \
		>"$d/fuzz.log" 2>&1
	t1=$(date +%s.%N)
	runs=$(executions "$d/fuzz.log")
	rate=$(awk -v r="${runs:-0}" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", r / (b - a) }')
	mapfile -t arts < <(find "$d/artifacts" -type f | sort)
	read -r lines pct <<<"$(coverage "$n" "$d" "${corpora[@]}")"
	[ ${#arts[@]} -eq 0 ] || status=1
	row "fuzz_$n" "${runs:-?}" "$rate" "${pct:-?} ${lines:-}" "${#arts[@]}" \
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

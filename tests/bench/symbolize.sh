#!/usr/bin/env bash
# Symbolization speed: 100 000 distinct instruction addresses of a large C++ library built
# -O2 -g (build/bench/libsymbig.so: STL-heavy templates, many inlined calls; built on
# demand, about a minute), resolved with inline frames, file and line by cprof-bpf's
# symbolizer (tests/bench/symbolize.c), and, beside it, by eu-addr2line -i -f -C on the
# same addresses. eu-addr2line re-reads each address's compile unit and takes tens of
# milliseconds per address here: it is timed on the first SAMPLE addresses (default 1000)
# and the time for all of them extrapolated, unless EU_ALL=1. Prints figures; it does not
# pass or fail (the target is < 2 s for ours).
#
# usage: tests/bench/symbolize.sh [LIBRARY]   (another file with DWARF instead)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
n=100000
sample=${SAMPLE:-1000}
jobs=$(nproc 2>/dev/null || echo 2)
targets=build/bench/symbolize
[ $# -eq 0 ] && targets="$targets build/bench/libsymbig.so"
make -C "$root" --no-print-directory -s -j"$jobs" $targets
lib=${1:-$root/build/bench/libsymbig.so}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Every instruction of the code sections, in a fixed pseudo-random order.
objdump -d --no-show-raw-insn "$lib" | awk '/^ +[0-9a-f]+:/ { sub(":", "", $1); print "0x" $1 }' |
	sort -u | awk 'BEGIN { srand(42) } { print rand() "\t" $0 }' | sort -k1,1 | cut -f2 \
	>"$tmp/all"
total=$(wc -l <"$tmp/all")
[ "$total" -ge "$n" ] || n=$total
head -n "$n" "$tmp/all" >"$tmp/addrs"
head -n "$sample" "$tmp/addrs" >"$tmp/sample"

printf 'library: %s (%s MiB, %s instructions); %s addresses\n' "$lib" \
	"$(($(stat -c %s "$lib") / 1048576))" "$total" "$n"

t0=$(date +%s.%N)
"$root/build/bench/symbolize" -q "$lib" <"$tmp/addrs" 2>"$tmp/ours.err"
t1=$(date +%s.%N)
printf 'cprof-bpf symbolizer: %.2f s wall (%s)\n' "$(awk "BEGIN { print $t1 - $t0 }")" \
	"$(cat "$tmp/ours.err")"

if ! command -v eu-addr2line >/dev/null; then
	echo "eu-addr2line: not installed (elfutils)"
	exit 0
fi
if [ "${EU_ALL:-0}" = 1 ]; then
	t0=$(date +%s.%N)
	eu-addr2line -i -f -C -e "$lib" <"$tmp/addrs" >/dev/null
	t1=$(date +%s.%N)
	printf 'eu-addr2line -i -f -C: %.2f s wall for all %s addresses\n' \
		"$(awk "BEGIN { print $t1 - $t0 }")" "$n"
else
	t0=$(date +%s.%N)
	eu-addr2line -i -f -C -e "$lib" <"$tmp/sample" >/dev/null
	t1=$(date +%s.%N)
	s=$(awk "BEGIN { print $t1 - $t0 }")
	printf 'eu-addr2line -i -f -C: %.2f s wall for the first %s addresses, so about %.0f s for %s (EU_ALL=1 runs them all)\n' \
		"$s" "$sample" "$(awk "BEGIN { print $s * $n / $sample }")" "$n"
fi

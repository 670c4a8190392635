#!/usr/bin/env bash
# Short fuzz smoke: each harness runs for FUZZ_SECONDS (default 10) from its seed corpus
# (tests/fuzz/corpus/NAME/, if any). A crash, leak or sanitizer report fails the test.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${FUZZ_SECONDS:-10}
found=0
for bin in "$root"/build/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	found=1
	name=$(basename "$bin")
	work=$(mktemp -d)
	seeds="$root/tests/fuzz/corpus/${name#fuzz_}"
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null
	if "$bin" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$work/" "$work" >"$work.log" 2>&1; then
		runs=$(grep -Eo 'Done [0-9]+ runs' "$work.log" | grep -Eo '[0-9]+')
		echo "PASS: fuzz/$name (${runs:-?} runs in ${secs}s)"
	else
		tail -30 "$work.log"
		echo "FAIL: fuzz/$name: see the report above"
	fi
	rm -rf "$work" "$work.log"
done
[ "$found" = 1 ] || echo "FAIL: fuzz: no fuzz harness was built"

#!/usr/bin/env bash
# The layout rules of docs/ARCHITECTURE.md (scripts/check-layout): the repository keeps them,
# and the checker finds each kind of violation in a tree made to break them.
set -u
cd "$(dirname "$0")/../.."
check=scripts/check-layout

if out=$("$check" 2>&1); then
	echo "PASS: layout/repository: no file over 600 lines, no include against the layers, no module cycle"
else
	printf '%s\n' "$out" | sed 's/^/    /'
	echo "FAIL: layout/repository: $(printf '%s\n' "$out" | wc -l) violations"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/user/{util,proc,core,report,symbols,unwind}
printf '#include "proc/b.h"\n' >"$tmp/user/proc/a.h"
printf '#include "proc/a.h"\n' >"$tmp/user/proc/b.h"
printf '#include "core/session.h"\n' >"$tmp/user/util/low.c"
printf '#include "symbols/s.h"\n' >"$tmp/user/unwind/peer.c"
printf 'x\n%.0s' $(seq 601) >"$tmp/user/core/big.c"
printf 'void report_say(int level, const char *fmt, ...);\n' >"$tmp/user/report/say.h"
printf 'int ok(void);\n' >"$tmp/user/util/fine.h"
bad=$("$check" "$tmp" 2>&1)
rc=$?
expect() { # name, pattern
	if printf '%s\n' "$bad" | grep -q -- "$2"; then
		echo "PASS: layout/detects_$1"
	else
		echo "FAIL: layout/detects_$1: no line matching '$2' in:"
		printf '%s\n' "$bad" | sed 's/^/    /'
	fi
}
expect cycle 'module cycle: proc/a -> proc/b -> proc/a'
expect upward_include 'user/util/low.c: includes core/session.h: util/ may not depend on core/'
expect peer_include 'user/unwind/peer.c: includes symbols/s.h: unwind/ may not depend on symbols/'
expect long_file 'user/core/big.c: 601 lines'
expect unchecked_format 'report_say() takes a format string without CPROF_PRINTF'
if [ "$rc" -eq 1 ] && ! printf '%s\n' "$bad" | grep -q 'fine.h'; then
	echo "PASS: layout/exit_status: 1 on violations, clean files not named"
else
	echo "FAIL: layout/exit_status: rc $rc"
fi

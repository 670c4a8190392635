#!/usr/bin/env bash
# tests/run's handling of the sanitizer build's reports, in a tree of its own: a copy of
# tests/run and a build/san/ of small programs compiled here with the sanitizers, each one
# "unit test" that prints a PASS line and then makes one kind of report (UBSan's, ASan's,
# LSan's at exit) or none. `tests/run --san` must print one FAIL line per report, named
# san/TEST, with the report's first line (and for a leak the first leak), keep the report
# in build/san/reports/TEST/, add no second FAIL for the exit status the report caused,
# leave a clean test alone, and count 4 passed, 3 failed.
set -u
cd "$(dirname "$0")/../.."
cc=${SAN_CC:-clang}
command -v "$cc" >/dev/null 2>&1 || { echo "SKIP: lint/san_reports: $cc is not installed"; exit 0; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unit=$tmp/build/san/tests/unit
mkdir -p "$tmp/tests" "$unit"
cp tests/run tests/lsan.supp "$tmp/tests/"

# prog NAME BODY: build/san/tests/unit/NAME, whose main is BODY (argc is 1 at run time: the
# compiler cannot fold the faults away).
prog() {
	printf '#include <stdio.h>\n#include <stdlib.h>\nint main(int argc, char **argv)\n{\n\t(void)argv;\n\t%s\n}\n' \
		"$2" >"$tmp/$1.c"
	"$cc" -g -O0 -fsanitize=address,undefined -fno-sanitize-recover=all "$tmp/$1.c" \
		-o "$unit/$1" 2>"$tmp/cc.err" || { sed 's/^/    /' "$tmp/cc.err"; echo "FAIL: lint/san_reports: cannot build $1"; exit 1; }
}
# (stdout unbuffered: a sanitizer ends the process without flushing it.)
prog test_clean 'puts("PASS: clean"); return 0;'
prog test_ubsan 'setbuf(stdout, NULL); puts("PASS: ubsan"); int x = argc + 0x7fffffff; return x == 0;'
prog test_asan 'setbuf(stdout, NULL); char *p = malloc(8); puts("PASS: asan"); p[argc + 7] = 1; free(p); return 0;'
prog test_leak 'setbuf(stdout, NULL); char *p = malloc(77); p[0] = 1; p = NULL; puts("PASS: leak"); return 0;'
cp "$unit/test_clean" "$tmp/build/san/cprof-bpf"

out=$(env -u ASAN_OPTIONS -u UBSAN_OPTIONS -u LSAN_OPTIONS "$tmp/tests/run" --san 2>&1)
why=()
want() { # REGEX WHAT: a line of the output matches REGEX
	grep -Eq -- "$1" <<<"$out" || why+=("no line $2")
}
want '^FAIL: san/test_ubsan: /.*/test_ubsan\.c:[0-9]+:[0-9]+: runtime error: signed integer overflow: 1 \+ 2147483647 .* \(report: build/san/reports/test_ubsan/report\.[0-9]+\)$' \
	"FAIL: san/test_ubsan: FILE:LINE: runtime error: signed integer overflow ... (report: ...)"
want '^FAIL: san/test_asan: ERROR: AddressSanitizer: heap-buffer-overflow on address .* \(report: build/san/reports/test_asan/report\.[0-9]+\)$' \
	"FAIL: san/test_asan: ERROR: AddressSanitizer: heap-buffer-overflow ..."
want '^FAIL: san/test_leak: ERROR: LeakSanitizer: detected memory leaks: Direct leak of 77 byte\(s\) in 1 object\(s\) from main /.*/test_leak\.c:[0-9]+:[0-9]+ \(report: build/san/reports/test_leak/report\.[0-9]+\)$' \
	"FAIL: san/test_leak: ERROR: LeakSanitizer: detected memory leaks: Direct leak of 77 byte(s) in 1 object(s) from main FILE:LINE ..."
want '^PASS: san/clean$' "PASS: san/clean"
want '^4 passed, 3 failed, 0 skipped$' "'4 passed, 3 failed, 0 skipped'"
n=$(grep -c '^FAIL: ' <<<"$out")
[ "$n" -eq 3 ] || why+=("$n FAIL lines, want 3 (one per report, none for the exit status)")
grep -q '^FAIL: san/test_clean' <<<"$out" && why+=("the clean test failed")
for t in ubsan asan leak; do
	ls "$tmp/build/san/reports/test_$t/"* >/dev/null 2>&1 || why+=("no report kept for test_$t")
done
[ -e "$tmp/build/san/reports/test_clean" ] && why+=("a report directory left for the clean test")

if [ ${#why[@]} -eq 0 ]; then
	echo "PASS: lint/san_reports (UBSan, ASan and LSan reports each one FAIL line with its first line)"
else
	sed 's/^/    | /' <<<"$out" | grep -v '^    |     | ' | head -40
	printf -v msg '%s; ' "${why[@]}"
	echo "FAIL: lint/san_reports: ${msg%; }"
fi

#!/usr/bin/env bash
# `cprof-bpf flame`, offline: pages from pprof files (default name, several files, --base,
# --title), written 0600 by an unprivileged user, the data's JSON head decoded as the page
# decodes it (base64 chunks, gzip); and each mistake one line on stderr with exit 2 (usage)
# or 1 (a file unreadable, not a profile, or the page unwritable), no page left behind. What the page
# draws is e2e/flame_browser.sh's.
source "$(dirname "$0")/lib.bash"
require_binary

demo=$CPROF_ROOT/tests/fuzz/corpus/pprof_read/demo.pb.gz
cp "$demo" "$E2E_TMP/a.pb.gz"
cp "$demo" "$E2E_TMP/b.pb.gz"

# Default output: the file's name with .html, beside it.
run_cprof default 60 flame "$E2E_TMP/a.pb.gz"
why=()
page=$E2E_TMP/a.html
[ "$RC" -eq 0 ] || why+=("exit status $RC")
if [ -f "$page" ]; then
	mode=$(stat -c %a "$page")
	[ "$mode" = 600 ] || why+=("mode $mode, want 600")
	json=$(page_json "$page")
	case $json in
	'{"v":2,'*'"label":"a"'*'"base":null'*) ;;
	*) why+=("the page's data does not decode to profile a: ${json:0:120}") ;;
	esac
	! grep -Eq 'https?:|//cdn|@import' "$page" || why+=("the page names a URL")
else
	why+=("no $page")
fi
[ ${#why[@]} -gt 0 ] && show_err default
verdict default "flame a.pb.gz → a.html, $(stat -c %s "$page" 2>/dev/null) bytes" "${why[@]}"

# Several files with their bases, one page; the title HTML-escaped.
run_cprof several 60 flame "$E2E_TMP/a.pb.gz" "$E2E_TMP/b.pb.gz" --base "$E2E_TMP/b.pb.gz" \
	--base "$E2E_TMP/a.pb.gz" -o "$E2E_TMP/two.html" --title 'A<&>B'
why=()
[ "$RC" -eq 0 ] || why+=("exit status $RC")
json=$(page_json "$E2E_TMP/two.html" 2>/dev/null)
labels=$(grep -o '"label":"[ab]"' <<<"$json" | tr '\n' ' ')
[ "$labels" = '"label":"a" "label":"b" ' ] || why+=("labels: $labels")
bases=$(grep -o '"base":[0-9]' <<<"$json" | wc -l)
[ "$bases" -eq 2 ] || why+=("$bases profiles with a base, want 2")
grep -q '<title>A&lt;&amp;&gt;B</title>' "$E2E_TMP/two.html" || why+=("the title is not escaped")
[ ${#why[@]} -gt 0 ] && show_err several
verdict several "two profiles, two bases, one page" "${why[@]}"

# No root needed: an unprivileged user writes the page.
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	mkdir -m 0777 "$E2E_TMP/user"
	chmod 0755 "$E2E_TMP"
	chmod 0644 "$E2E_TMP/a.pb.gz"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$CPROF" flame "$E2E_TMP/a.pb.gz" \
		-o "$E2E_TMP/user/x.html" >"$E2E_TMP/nobody.out" 2>"$E2E_TMP/nobody.err"
	RC=$?
	owner=$(stat -c %U "$E2E_TMP/user/x.html" 2>/dev/null)
	verdict unprivileged "as nobody: exit $RC, page owned by ${owner:-none}" \
		$([ "$RC" -eq 0 ] || echo "exit-status-$RC") \
		$([ "$owner" = nobody ] || echo "no-page-owned-by-nobody")
else
	echo "SKIP: $E2E_SUITE/unprivileged: needs root and setpriv to run as nobody"
fi

# expect_error CHECK STATUS REGEX ARGS...: cprof-bpf flame ARGS -o $E2E_TMP/CHECK.html fails
# with STATUS and one stderr line matching REGEX, and writes no page.
expect_error() {
	local name=$1 want=$2 re=$3 lines why=()
	shift 3
	run_cprof "$name" 60 flame "$@" -o "$E2E_TMP/$name.html"
	lines=$(wc -l <"$E2E_TMP/$name.err")
	[ "$RC" -eq "$want" ] || why+=("exit status $RC, want $want")
	[ "$lines" -eq 1 ] || why+=("$lines lines on stderr, want 1")
	grep -Eq -- "^cprof-bpf flame: .*($re)" "$E2E_TMP/$name.err" || why+=("stderr does not match /$re/")
	[ ! -e "$E2E_TMP/$name.html" ] || why+=("a page was written")
	[ ${#why[@]} -gt 0 ] && show_err "$name"
	verdict "$name" "exit $RC: $(head -1 "$E2E_TMP/$name.err")" "${why[@]}"
}

printf 'not a profile\n' >"$E2E_TMP/garbage.pb.gz"
expect_error no_file 2 'no profile'
expect_error unknown_option 2 'unknown option --bogus' --bogus "$E2E_TMP/a.pb.gz"
expect_error base_count 2 'base' "$E2E_TMP/a.pb.gz" "$E2E_TMP/b.pb.gz" --base "$E2E_TMP/a.pb.gz"
expect_error missing 1 "cannot read $E2E_TMP/none.pb.gz: No such file" "$E2E_TMP/none.pb.gz"
expect_error missing_base 1 'cannot read .*none' "$E2E_TMP/a.pb.gz" --base "$E2E_TMP/none.pb.gz"
expect_error garbage 1 'not a valid pprof profile' "$E2E_TMP/garbage.pb.gz"

run_cprof unwritable 60 flame "$E2E_TMP/a.pb.gz" -o "$E2E_TMP/no/such/dir/x.html"
verdict unwritable "exit $RC: $(head -1 "$E2E_TMP/unwritable.err")" \
	$([ "$RC" -eq 1 ] || echo "exit-status-$RC-want-1") \
	$(grep -q '^cprof-bpf flame: cannot write .*x.html: No such file' "$E2E_TMP/unwritable.err" ||
		echo "no-cannot-write-line")

run_cprof help 60 flame --help
verdict help "flame --help: exit $RC" $([ "$RC" -eq 0 ] || echo "exit-status-$RC") \
	$(grep -q '^Usage: cprof-bpf flame FILE' "$E2E_TMP/help.out" || echo "no-usage-on-stdout")
run_cprof main_help 60 --help
verdict main_help "cprof-bpf --help names flame" \
	$(grep -q 'cprof-bpf flame FILE' "$E2E_TMP/main_help.out" "$E2E_TMP/main_help.err" ||
		echo "--help-does-not-name-flame")
e2e_exit

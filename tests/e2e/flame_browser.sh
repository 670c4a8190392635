#!/usr/bin/env bash
# flame.html in a real browser: headless Chromium (Debian's chromium, driven over its DevTools
# pipe by tests/tools/cdp.py) opens pages that `cprof-bpf flame` wrote from real runs, and what
# it draws is held against `go tool pprof` reading the same files:
#   - cpusplit (hot_a/hot_b/hot_c = 60/30/10% of a fixed amount of work): no console error or
#     exception, no request but the file itself; the widest frame under the root is the
#     function with the largest cum in pprof -top and as wide as its cum share (±1 point), and
#     hot_a/hot_b/hot_c are as wide as theirs; a search for hot_a highlights exactly the hot_a
#     frames and #matched is pprof's cum share of hot_a (±0.1 point); a click on hot_b zooms it
#     to the canvas's width, #reset undoes it; the reversed view of hot_a shows its callers
#     level2 → level1 → main and nothing else;
#   - a diff of that run against one with the split turned round (cpusplit -s 1,3,6: hot_c
#     grew from 10% to 60%, hot_a shrank from 60% to 10%): hot_c red, hot_a blue, hot_b
#     (30% in both) paler than either;
#   - the heap (heap main) and block (offcpu) profiles: #profile offers each of the file's
#     sample types, and choosing one draws a root whose value is pprof's total of that type.
#   - the run's own flame.html, where the run writes one: it opens cleanly, offers the cpu
#     profile and draws hot_a as wide as its cum share.
# Screenshots and the pages go to build/test-out/flame_browser/. SKIPs without Chromium. Each
# browser script is stopped after 240 s, each step after 30 s: a hung browser FAILs.
source "$(dirname "$0")/lib.bash"
require_binary cpusplit heap offcpu
require_bpf cpu block heap
require_pprof

CDP=$CPROF_ROOT/tests/tools/cdp.py
HELPERS=$CPROF_ROOT/tests/e2e/flame_browser.js
SHOTS=$OUT/test-out/flame_browser
[ -x /usr/bin/python3 ] || skip_all "/usr/bin/python3 is not installed (it runs tests/tools/cdp.py)"

# browser NAME SCRIPT: runs the cdp script SCRIPT (one JSON step a line); its output goes to
# $E2E_TMP/NAME.res, its stderr to NAME.cdperr. Sets RC (3: Chromium cannot start).
browser() {
	timeout -k 5 240 "$CDP" --timeout 30 --size 1280x900 "$2" \
		>"$E2E_TMP/$1.res" 2>"$E2E_TMP/$1.cdperr"
	RC=$?
}

# res NAME KEY: the value the browser run NAME printed for KEY (a string without its JSON
# quotes), or "" when the run stopped before that step.
res() {
	awk -F '\t' -v k="$2" '$1 == k { v = $2; sub(/^"/, "", v); sub(/"$/, "", v); print v; exit }' \
		"$E2E_TMP/$1.res"
}

# stopped NAME: why the browser run NAME ended early, for a FAIL message.
stopped() { echo "the browser script stopped: $(tail -1 "$E2E_TMP/$1.cdperr" 2>/dev/null)"; }

# step JSON...: the lines of a cdp script.
step() { printf '%s\n' "$@"; }

# open_page URL: the steps that load a page, wait for its first draw and add the helpers.
open_page() {
	step "{\"open\": \"$1\"}" \
		'{"wait": "window.cprofFlame ? window.cprofFlame.ready.then(() => true) : false", "timeout": 20}' \
		"{\"inject\": \"$HELPERS\"}"
}

# check_clean CHECK RUN PAGE URL: the page made no request but for itself (data: and blob:
# are not requests to anyone) and logged no error or exception (the report step PAGE of RUN).
check_clean() {
	local errs reqs others why=()
	errs=$(res "$2" "$3.errors")
	reqs=$(res "$2" "$3.requests")
	if [ -z "$errs" ]; then
		fail "$1" "$(stopped "$2")"
		return
	fi
	[ "$errs" = "[]" ] || why+=("console errors or exceptions: $errs")
	others=$(/usr/bin/python3 -c 'import json, sys
print(" ".join(u for u in json.loads(sys.argv[1])
               if u != sys.argv[2] and not u.startswith(("data:", "blob:"))))' "$reqs" "$4")
	[ -z "$others" ] || why+=("requests other than the file: $others")
	grep -q "\"$4\"" <<<"$reqs" || why+=("the file itself was never requested: $reqs")
	verdict "$1" "no error, requests $reqs" "${why[@]}"
}

# check_no_urls CHECK FILE: the page names no network URL (the contract: nothing fetched).
check_no_urls() {
	local urls
	urls=$(grep -aoE '(https?:)?//[A-Za-z0-9.-]+\.[a-z]{2,}[^"'"'"' )]*|@import' "$2" | sort -u | head -5)
	if [ -z "$urls" ]; then
		pass "$1" "$(($(stat -c %s "$2") / 1024)) KiB, no URL in it"
	else
		fail "$1" "$(basename "$2") names URLs: $(tr '\n' ' ' <<<"$urls")"
	fi
}

# flame NAME ARGS...: cprof-bpf flame ARGS -o $SHOTS/NAME.html; FAILs and ends the script
# when it fails.
flame() {
	local name=$1
	shift
	# From the temporary directory: a binary without the subcommand takes "flame" for a
	# COMMAND to profile and writes its profiles in the current directory.
	(cd "$E2E_TMP" && run_cprof "flame_$name" 120 flame "$@" -o "$SHOTS/$name.html"; exit "$RC")
	RC=$?
	if grep -q 'cannot run flame' "$E2E_TMP/flame_$name.err"; then
		fail "flame_$name" "cprof-bpf has no flame subcommand"
		e2e_exit
	fi
	if [ "$RC" -ne 0 ] || [ ! -s "$SHOTS/$name.html" ]; then
		show_err "flame_$name"
		fail "flame_$name" "cprof-bpf flame $* exited $RC"
		e2e_exit
	fi
}

# profile NAME LIMIT ARGS...: cprof-bpf -o $E2E_TMP/NAME ARGS; FAILs and ends the script when
# it fails.
profile() {
	local name=$1 limit=$2
	shift 2
	run_cprof "$name" "$limit" -o "$E2E_TMP/$name" "$@"
	if [ "$RC" -ne 0 ]; then
		show_err "$name"
		fail "$name" "cprof-bpf $* exited $RC"
		e2e_exit
	fi
}

# raw_totals FILE: "TYPE=TOTAL ..." for each sample type of FILE, summed over every sample
# of `go tool pprof -raw`.
raw_totals() {
	profile_raw "$1" | awk '
		/^Samples:/ { getline; nt = split($0, t, " "); for (i = 1; i <= nt; i++) sub(/\/.*/, "", t[i]); on = 1; next }
		on && /^ *-?[0-9]+( +-?[0-9]+)*: / { for (i = 1; i <= nt; i++) s[i] += $i; next }
		on && /^[A-Za-z]/ { on = 0 }
		END { for (i = 1; i <= nt; i++) printf "%s=%.0f ", t[i], s[i]; print "" }'
}

# ---- setup: Chromium, and the runs ------------------------------------------------------

mkdir -p "$SHOTS"
rm -rf "$SHOTS"/*.png "$SHOTS"/*.html
printf '<!doctype html><title>probe</title><p>probe\n' >"$E2E_TMP/probe.html"
step "{\"open\": \"file://$E2E_TMP/probe.html\"}" >"$E2E_TMP/probe.cdp"
browser probe "$E2E_TMP/probe.cdp"
case $RC in
0) ;;
3) skip_all "$(sed 's/^cdp: //' "$E2E_TMP/probe.cdperr" | tail -1)" ;;
124 | 137) skip_all "chromium did not open a blank page in 240 s" ;;
*) skip_all "chromium cannot open a page: $(tail -1 "$E2E_TMP/probe.cdperr")" ;;
esac

# The same amount of work twice (a fixed number of rounds), with the split turned round.
profile old 90 -F 499 -t cpu -- "$WL/cpusplit" -n 2400
profile new 90 -F 499 -t cpu -- "$WL/cpusplit" -s 1,3,6 -n 2400
profile heap 120 -t heap -- "$WL/heap" main
profile block 60 -t block -- "$WL/offcpu" 2
old=$E2E_TMP/old/cpu.pb.gz new=$E2E_TMP/new/cpu.pb.gz
flame cpu "$old"
flame diff --base "$old" "$new"
flame heap "$E2E_TMP/heap/heap.pb.gz"
flame block "$E2E_TMP/block/block.pb.gz"
if ! top=$(pprof_top "$old"); then
	fail read "go tool pprof cannot read $old: $(head -1 "$PPROF_ERR")"
	e2e_exit
fi
total=$(top_total <<<"$top")
# The function with the largest cum: pprof -cum's first line.
read -r _ _ _ max_cum _ max_name < <(pprof_top "$old" -cum | sed -n '/^ *flat  *flat%/{n;p;q}')
cum_hot_a=$(pct "$(top_value hot_a cum <<<"$top")" "$total")
cum_hot_b=$(pct "$(top_value hot_b cum <<<"$top")" "$total")
cum_hot_c=$(pct "$(top_value hot_c cum <<<"$top")" "$total")
if [ "$total" -eq 0 ] || [ -z "${max_name:-}" ]; then
	fail read "pprof -top of $old shows no samples"
	e2e_exit
fi

# ---- the CPU page: draw, search, zoom, reset, reversed -----------------------------------

url=file://$SHOTS/cpu.html
zoomed_b="(() => { const f = cprofFlame.frames().find((x) => x.name === 'hot_b'); return cprofFlame.state().zoom === 'hot_b' && f && Math.abs(f.w - document.getElementById('flame').getBoundingClientRect().width) <= 1; })()"
{
	open_page "$url"
	step '{"eval": "T.widest1()", "as": "widest"}' \
		'{"eval": "T.share(\"hot_a\")", "as": "share_a"}' \
		'{"eval": "T.share(\"hot_b\")", "as": "share_b"}' \
		'{"eval": "T.share(\"hot_c\")", "as": "share_c"}' \
		"{\"screenshot\": \"$SHOTS/cpu.png\"}" \
		'{"type": "hot_a", "into": "#search"}' \
		'{"wait": "cprofFlame.state().search === \"hot_a\" && cprofFlame.state().matched > 0", "timeout": 5, "as": "searching"}' \
		'{"sleep": 200}' \
		'{"eval": "T.searched(\"hot_a\")", "as": "searched"}' \
		"{\"screenshot\": \"$SHOTS/cpu-search.png\"}" \
		'{"eval": "T.clearSearch()", "as": "cleared"}' \
		'{"click": "T.centreOf(\"hot_b\")"}' \
		"{\"wait\": \"$zoomed_b\", \"timeout\": 5, \"as\": \"zooming\"}" \
		'{"eval": "T.zoomed(\"hot_b\")", "as": "zoomed"}' \
		"{\"screenshot\": \"$SHOTS/cpu-zoom.png\"}" \
		'{"click": "T.el(\"#reset\")"}' \
		'{"wait": "cprofFlame.state().zoom === null", "timeout": 5, "as": "resetting"}' \
		'{"sleep": 300}' \
		'{"eval": "T.share(\"hot_b\")", "as": "reset_b"}' \
		'{"click": "T.centreOf(\"hot_a\")"}' \
		'{"wait": "cprofFlame.state().zoom === \"hot_a\"", "timeout": 5, "as": "zoom_a"}' \
		'{"sleep": 300}' \
		'{"click": "T.el(\"#reverse\")"}' \
		'{"wait": "cprofFlame.state().reversed", "timeout": 5, "as": "reversing"}' \
		'{"sleep": 300}' \
		'{"eval": "T.reversed(\"hot_a\", [\"level2\", \"level1\", \"main\"])", "as": "reversed"}' \
		"{\"screenshot\": \"$SHOTS/cpu-reversed.png\"}" \
		'{"report": "cpu"}'
} >"$E2E_TMP/cpu.cdp"
browser cpu "$E2E_TMP/cpu.cdp"
[ "$RC" -eq 0 ] || sed 's/^/    | /' "$E2E_TMP/cpu.cdperr" | tail -5

check_clean cpu_clean cpu cpu "$url"
check_no_urls cpu_no_urls "$SHOTS/cpu.html"

read -r w_name w_pct <<<"$(res cpu widest)"
max_pct=$(pct "$max_cum" "$total")
if [ -z "${w_name:-}" ]; then
	fail widest "$(stopped cpu)"
else
	why=()
	w_cum=$(pct "$(top_value "$w_name" cum <<<"$top")" "$total")
	fcmp "$w_cum >= $max_pct - 1" ||
		why+=("the widest frame under the root is $w_name (cum $w_cum%), pprof's largest cum is $max_name ($max_pct%)")
	fcmp "$w_pct >= $w_cum - 1 && $w_pct <= $w_cum + 1" ||
		why+=("$w_name is drawn $w_pct% wide, pprof's cum share is $w_cum%, want ±1 point")
	verdict widest "$w_name drawn $w_pct% wide, pprof cum $w_cum% (largest cum: $max_name $max_pct%)" "${why[@]}"
fi

why=() figures=
for f in hot_a hot_b hot_c; do
	key=share_${f#hot_}
	read -r drawn n <<<"$(res cpu "$key")"
	want=cum_$f
	figures="$figures $f ${drawn:-?}% (pprof ${!want}%)"
	if [ -z "${drawn:-}" ]; then
		why+=("$(stopped cpu)")
		break
	fi
	# One frame per call path: main → level1 → level2, and any cut stack ([truncated]).
	[ "$n" -ge 1 ] || why+=("no frame named $f is drawn")
	fcmp "$drawn >= ${!want} - 1 && $drawn <= ${!want} + 1" ||
		why+=("$f drawn $drawn% wide, pprof cum $f ${!want}%, want ±1 point")
done
verdict hot_widths "${figures# }" "${why[@]}"

read -r hi named wrong matched_text matched_state <<<"$(res cpu searched)"
if [ -z "${hi:-}" ]; then
	fail search "$(stopped cpu)"
else
	why=()
	matched=$(sed -n 's/^matched~\([0-9.]*\)%$/\1/p' <<<"$matched_text")
	[ "$(res cpu searching)" = true ] || why+=("state().search never became hot_a with matched > 0")
	[ "$hi" -ge 1 ] || why+=("no frame drawn in the highlight colour")
	[ "$wrong" = 0 ] || why+=("$wrong frames highlighted but not named hot_a, or the reverse ($hi highlighted, $named named hot_a)")
	if [ -z "$matched" ]; then
		why+=("#matched says '${matched_text//\~/ }', not 'matched N.N%'")
	else
		fcmp "$matched >= $cum_hot_a - 0.1 && $matched <= $cum_hot_a + 0.1" ||
			why+=("#matched says $matched%, pprof's cum share of hot_a is $cum_hot_a%, want ±0.1")
	fi
	fcmp "$matched_state >= $cum_hot_a - 0.1 && $matched_state <= $cum_hot_a + 0.1" ||
		why+=("state().matched is $matched_state, want $cum_hot_a ±0.1")
	verdict search "$hi of $named hot_a frames highlighted, ${matched_text//\~/ } (pprof $cum_hot_a%)" "${why[@]}"
fi

read -r zoom zw cw not_full <<<"$(res cpu zoomed)"
read -r reset_b _ <<<"$(res cpu reset_b)"
if [ -z "${zoom:-}" ]; then
	fail zoom "$(stopped cpu)"
else
	why=()
	[ "$zoom" = hot_b ] || why+=("state().zoom is '$zoom' after a click on hot_b")
	fcmp "$zw >= $cw - 1 && $zw <= $cw + 1" || why+=("hot_b is $zw px wide, the canvas $cw px")
	[ "$not_full" = 0 ] || why+=("$not_full of hot_b's ancestors are not drawn full width")
	if [ -z "${reset_b:-}" ]; then
		why+=("after #reset: $(stopped cpu)")
	else
		[ "$(res cpu resetting)" = true ] || why+=("state().zoom is not null after a click on #reset")
		fcmp "$reset_b >= $cum_hot_b - 1 && $reset_b <= $cum_hot_b + 1" ||
			why+=("after #reset hot_b is $reset_b% wide, want $cum_hot_b% ±1 point")
	fi
	verdict zoom "zoom $zoom: hot_b ${zw} px of ${cw} px; after #reset ${reset_b:-?}%" "${why[@]}"
fi

read -r rev depths widths others <<<"$(res cpu reversed)"
if [ -z "${rev:-}" ]; then
	fail reversed "$(stopped cpu)"
else
	why=()
	[ "$rev" = true ] || why+=("state().reversed is $rev after a click on #reverse")
	[ "$depths" = "1,2,3" ] ||
		why+=("level2, level1, main at depths $depths below hot_a, want 1,2,3 (its callers, merged)")
	IFS=, read -r w2 w1 wm <<<"$widths"
	for w in "$w2" "$w1" "$wm"; do
		fcmp "${w:-0} >= 99 && ${w:-0} <= 101" || why+=("a caller of hot_a is drawn $w% of hot_a's width, want 100 (every hot_a call comes from it)")
	done
	# Below main only the C runtime's own start-up frames may appear.
	bad=$(tr ',' '\n' <<<"$others" | grep -E '^(hot_[bc]|level[12])$' | tr '\n' ' ')
	[ -z "$bad" ] || why+=("the reversed view of hot_a shows $bad, which never call it")
	verdict reversed "callers level2,level1,main at depths $depths, widths $widths% of hot_a; also ${others//\~/ }" "${why[@]}"
fi

# ---- the diff, the heap and block pages ----------------------------------------------------

durl=file://$SHOTS/diff.html
{
	open_page "$durl"
	step '{"eval": "T.diff(\"hot_a\")", "as": "diff_a"}' \
		'{"eval": "T.diff(\"hot_b\")", "as": "diff_b"}' \
		'{"eval": "T.diff(\"hot_c\")", "as": "diff_c"}' \
		"{\"screenshot\": \"$SHOTS/diff.png\"}" \
		'{"report": "diff"}'
	for k in heap block; do
		open_page "file://$SHOTS/$k.html"
		step "{\"eval\": \"T.options()\", \"as\": \"${k}_options\"}"
		# Every option, chosen in turn (the values are "P:T"; at most 8 sample types).
		for t in 0 1 2 3 4 5 6 7; do
			step "{\"eval\": \"document.querySelector('#profile option[value=\\\"0:$t\\\"]') ? T.select('0:$t') : 'absent'\", \"as\": \"${k}_type$t\"}"
		done
		step "{\"screenshot\": \"$SHOTS/$k.png\"}" "{\"report\": \"$k\"}"
	done
	# The run's own flame.html, where the run writes one.
	if [ -s "$E2E_TMP/old/flame.html" ]; then
		cp "$E2E_TMP/old/flame.html" "$SHOTS/run.html"
		open_page "file://$SHOTS/run.html"
		step '{"eval": "T.options()", "as": "run_options"}' \
			'{"eval": "T.share(\"hot_a\")", "as": "run_a"}' '{"report": "run"}'
	fi
} >"$E2E_TMP/more.cdp"
browser more "$E2E_TMP/more.cdp"
[ "$RC" -eq 0 ] || sed 's/^/    | /' "$E2E_TMP/more.cdperr" | tail -5

check_clean diff_clean more diff "$durl"
read -r ca sa rgba <<<"$(res more diff_a)"
read -r cb sb rgbb <<<"$(res more diff_b)"
read -r cc sc rgbc <<<"$(res more diff_c)"
if [ -z "${ca:-}" ] || [ -z "${cc:-}" ]; then
	fail diff "$(stopped more)"
else
	why=()
	newtop=$(pprof_top "$new")
	newtotal=$(top_total <<<"$newtop")
	figures="hot_c $cum_hot_c% → $(pct "$(top_value hot_c cum <<<"$newtop")" "$newtotal")%: $cc $sc $rgbc; hot_a $cum_hot_a% → $(pct "$(top_value hot_a cum <<<"$newtop")" "$newtotal")%: $ca $sa $rgba; hot_b: $cb $sb $rgbb"
	[ "$cc" = red ] || why+=("hot_c grew but is drawn $cc")
	[ "$ca" = blue ] || why+=("hot_a shrank but is drawn $ca")
	fcmp "${sb:-1} < $sa && ${sb:-1} < $sc" ||
		why+=("hot_b (about as large in both) is drawn stronger ($sb) than hot_a ($sa) or hot_c ($sc)")
	verdict diff "$figures" "${why[@]}"
fi

for k in heap block; do
	check_clean "${k}_clean" more "$k" "file://$SHOTS/$k.html"
	read -r nopt opts <<<"$(res more "${k}_options")"
	if [ -z "${nopt:-}" ]; then
		fail "${k}_types" "$(stopped more)"
		continue
	fi
	totals=$(raw_totals "$E2E_TMP/$k/$k.pb.gz")
	ntypes=$(wc -w <<<"$totals")
	why=() figures=
	[ "$nopt" -eq "$ntypes" ] || why+=("#profile offers $nopt options ($opts), the file has $ntypes sample types ($totals)")
	t=0
	for tv in $totals; do
		type=${tv%%=*} want=${tv#*=}
		grep -qE "(^| )0:$t=[^ ]*$type" <<<"$opts" ||
			why+=("no option 0:$t names $type: $opts")
		read -r got_t root_v nfr <<<"$(res more "${k}_type$t")"
		if [ "${got_t:-}" != "$t" ]; then
			why+=("choosing 0:$t ($type) gave type '${got_t:-}'")
		elif [ "$root_v" != "$want" ]; then
			why+=("$type: the root's value is $root_v, pprof's total is $want")
		fi
		figures="$figures $type=$root_v ($nfr frames)"
		t=$((t + 1))
	done
	verdict "${k}_types" "${figures# } = pprof's totals" "${why[@]}"
done

if [ -s "$SHOTS/run.html" ]; then
	check_clean run_page_clean more run "file://$SHOTS/run.html"
	read -r nopt opts <<<"$(res more run_options)"
	read -r run_a _ <<<"$(res more run_a)"
	why=()
	grep -qE '(^| )0:[0-9]+=cpu' <<<"${opts:-}" || why+=("no #profile option for the cpu profile: ${opts:-none}")
	fcmp "${run_a:--9} >= $cum_hot_a - 1 && ${run_a:--9} <= $cum_hot_a + 1" ||
		why+=("hot_a drawn ${run_a:-?}% wide, pprof's cum share $cum_hot_a%")
	verdict run_page "the run's flame.html: ${nopt:-0} options, hot_a ${run_a:-?}% (pprof $cum_hot_a%)" "${why[@]}"
fi

# ---- screenshots ------------------------------------------------------------------------

why=() figures=
for p in cpu cpu-search cpu-zoom cpu-reversed diff heap block; do
	f=$SHOTS/$p.png
	size=$(stat -c %s "$f" 2>/dev/null || echo 0)
	figures="$figures $p $((size / 1024)) KiB"
	if [ "$size" -lt 8192 ] || [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' ')" != 89504e470d0a1a0a ]; then
		why+=("$f is not a PNG of more than 8 KiB ($size bytes)")
	fi
done
verdict screenshots "${figures# } in $SHOTS" "${why[@]}"
e2e_exit

#!/usr/bin/env bash
# flame.html on a big profile: 100 000 distinct stacks (build/bench/flame_gen, tests/bench/
# flame_gen.c: a fixed, power-law-weighted profile of 4 processes) in two shapes, "skewed"
# (stacks share long prefixes, as real call trees do) and "random" (they part early: the most
# frames to carry, the worst case), through `cprof-bpf flame` and headless Chromium
# (tests/tools/cdp.py). Prints `cprof-bpf flame`'s wall time and peak RSS, the page's size
# (goal < 10 MB) and what it holds, and Chromium's time from navigation to the first draw
# (window.cprofFlame.ready, goal < 2 s) beside a floor, an empty page's load time in the same
# browser, and a peer: `go tool pprof -top` reading the same file (the other tool here that
# reads it; flamegraph.pl and inferno are named when installed). It prints figures; it does
# not pass or fail. Needs no root.
#
# usage: tests/bench/flame_big.sh [STACKS]     (default 100000)
set -eu
source "$(dirname "$0")/lib.bash"
stacks=${1:-100000}
GO=${GO:-go}
CDP=$root/tests/tools/cdp.py
make -C "$root" --no-print-directory -s build/bench/flame_gen
[ -x "$CPROF" ] || die "$CPROF is not built (make cprof-bpf)"
[ -x /usr/bin/python3 ] || die "/usr/bin/python3 is missing (it runs tests/tools/cdp.py)"

# secs_since T0: seconds since T0 (from $EPOCHREALTIME), two decimals.
secs_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
# val KEY: what the browser script printed for KEY, without JSON quotes.
val() { awk -F '\t' -v k="$1" '$1 == k { v = $2; gsub(/"/, "", v); print v }' "$tmp/bench.res"; }
json_str() { /usr/bin/python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }

# What a page carries: its embedded data (base64 chunks of gzipped binary sections and a JSON
# head, in <script class="cprof-data"> elements; docs/flame-format.md), decoded as the page
# does. Args: the page, its size.
DECODE_PY='
import base64, gzip, json, re, struct, sys
html = open(sys.argv[1], encoding="utf-8").read()
b64 = "".join(re.findall(r"<script class=\"cprof-data\"[^>]*>([^<]*)</script>", html))
raw = gzip.decompress(base64.b64decode(b64))
(hlen,) = struct.unpack("<I", raw[-4:])
doc = json.loads(raw[-4 - hlen:-4])
nodes = sum(p["nodes"] for p in doc["profiles"])
size = int(sys.argv[2])
print("  flame.html: %.2f MB (goal < 10 MB: %s): data %.2f MB of base64, %.2f MB unpacked "
      "(head %.2f MB); %d functions, %d trie nodes; page code %.0f KiB"
      % (size / 1e6, "met" if size < 10e6 else "MISSED", len(b64) / 1e6, len(raw) / 1e6,
         hlen / 1e6, doc["funcs"], nodes, (size - len(b64)) / 1024))
'

# page SHAPE: generates the profile of that shape, writes its page, prints the figures.
page() {
	local shape=$1 t0 wall rss size
	t0=$EPOCHREALTIME
	"$root/build/bench/flame_gen" "$tmp/$shape.pb.gz" "$stacks" "$shape"
	printf '%s: %s distinct stacks, %s KiB of gzipped pprof (generated in %s s)\n' "$shape" \
		"$stacks" "$(($(stat -c %s "$tmp/$shape.pb.gz") / 1024))" "$(secs_since "$t0")"
	/usr/bin/time -f '%e %M' -o "$tmp/flame.time" "$CPROF" flame "$tmp/$shape.pb.gz" \
		-o "$tmp/$shape.html" 2>"$tmp/flame.err" ||
		die "cprof-bpf flame failed: $(tail -1 "$tmp/flame.err")"
	read -r wall rss <"$tmp/flame.time"
	size=$(stat -c %s "$tmp/$shape.html")
	printf '  cprof-bpf flame: %s s wall, %s MiB peak RSS\n' "$wall" \
		"$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')"
	/usr/bin/python3 -c "$DECODE_PY" "$tmp/$shape.html" "$size" ||
		echo "  flame.html: $size bytes (its data could not be decoded)"
}

# draw SHAPE...: opens an empty page and each SHAPE's page, three rounds in one Chromium, and
# prints the times. A trap set before the page's scripts notes when cprofFlame.ready
# resolves, in the page's own clock (ms since navigation start); without the trap (the page
# defined the hook another way) the time is when the driver saw it resolved: an upper bound.
draw() {
	local trap_js ready_js phases_js shape i how ms rc
	trap_js='(() => { let v; Object.defineProperty(window, "cprofFlame", { configurable: true, enumerable: true, get() { return v; }, set(x) { v = x; if (x && x.ready) x.ready.then(() => { window.__readyAt = performance.now(); }); } }); })()'
	ready_js='window.cprofFlame.ready.then(() => window.__readyAt !== undefined ? "trap " + window.__readyAt.toFixed(0) : "seen " + performance.now().toFixed(0))'
	# The page's own marks (docs/flame-format.md): when each phase ended, ms since navigation.
	phases_js="performance.getEntriesByType('mark').filter(m => m.name.startsWith('cprof:')).map(m => m.name.slice(6) + ' ' + m.startTime.toFixed(0)).join(', ')"
	printf '<!doctype html><meta charset="utf-8"><title>empty</title><canvas id="c"></canvas>\n' \
		>"$tmp/empty.html"
	{
		echo "{\"preload\": $(json_str "$trap_js")}"
		for i in 1 2 3; do
			echo "{\"open\": \"file://$tmp/empty.html\", \"as\": \"empty$i.cdp\"}"
			echo "{\"eval\": \"performance.getEntriesByType('navigation')[0].loadEventEnd.toFixed(0)\", \"as\": \"empty$i\"}"
			for shape in "$@"; do
				echo "{\"open\": \"file://$tmp/$shape.html\", \"as\": \"$shape$i.cdp\", \"timeout\": 60}"
				echo "{\"eval\": $(json_str "$ready_js"), \"as\": \"$shape$i\", \"timeout\": 60}"
				echo "{\"eval\": \"cprofFlame.frames().length\", \"as\": \"$shape$i.frames\"}"
				echo "{\"eval\": $(json_str "$phases_js"), \"as\": \"$shape$i.phases\"}"
			done
		done
		echo '{"report": "all"}'
	} >"$tmp/bench.cdp"
	rc=0
	timeout -k 5 600 "$CDP" --timeout 60 --size 1280x900 "$tmp/bench.cdp" \
		>"$tmp/bench.res" 2>"$tmp/bench.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "chromium: not measured (exit $rc): $(tail -1 "$tmp/bench.err")"
		return
	fi
	for i in 1 2 3; do
		printf 'chromium, round %s: floor: an empty page loads in %s ms (its load event reaches the driver after %s ms)\n' \
			"$i" "$(val "empty$i")" "$(val "empty$i.cdp")"
		for shape in "$@"; do
			read -r how ms <<<"$(val "$shape$i")"
			printf '  %s: first draw %s ms after navigation (%s; %s frames drawn; load event at the driver after %s ms)\n' \
				"$shape" "$ms" "$([ "$how" = trap ] && echo "when ready resolved" || echo "upper bound: when the driver saw it")" \
				"$(val "$shape$i.frames")" "$(val "$shape$i.cdp")"
			printf '    phases ended at (ms): %s\n' "$(val "$shape$i.phases")"
		done
	done
	[ "$(val all.errors)" = "[]" ] || echo "chromium: console errors: $(val all.errors)"
	for shape in "$@"; do
		ms=$(val "${shape}3" | awk '{ print $2 }')
		printf 'first draw goal < 2000 ms, %s: %s (round 3: %s ms)\n' "$shape" \
			"$(awk -v m="${ms:-99999}" 'BEGIN { print (m < 2000 ? "met" : "MISSED") }')" "${ms:-?}"
	done
}

page skewed
page random
draw skewed random

# Peers.
if command -v "$GO" >/dev/null; then
	export GOCACHE=${GOCACHE:-$root/build/go-cache}
	for shape in skewed random; do
		t0=$EPOCHREALTIME
		"$GO" tool pprof -top -nodecount=20 -symbolize=none "$tmp/$shape.pb.gz" >/dev/null 2>&1
		printf 'peer: go tool pprof -top reads the %s file in %s s (no drawing; -svg and -http need Graphviz or a server: not comparable)\n' \
			"$shape" "$(secs_since "$t0")"
	done
else
	echo "peer: go is not installed, no go tool pprof -top figure"
fi
for tool in flamegraph.pl inferno-flamegraph; do
	if command -v "$tool" >/dev/null; then
		echo "peer: $tool is installed (not timed here): cprof-bpf report --folded FILE | $tool >out.svg"
	else
		echo "peer: $tool is not installed (no figure)"
	fi
done

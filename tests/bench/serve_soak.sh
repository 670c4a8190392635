#!/usr/bin/env bash
# A /debug/pprof server left running, scraped as Grafana Alloy scrapes it, on a host where
# processes come and go. Two whole-host cprof-bpf runs at once over the same churn: one with
# --http and scraped every INTERVAL seconds (profile?seconds=INTERVAL-1 as Alloy asks, then
# block and the index), one without (the floor: what collecting alone costs). Prints, every
# INTERVAL: the server's RSS next to the floor's, and at the end: RSS trend (the last third's
# mean against the middle third's), CPU of each as a share of one core, requests that failed,
# and what the bounds released. Goals: RSS <= 64 MiB with no upward trend, CPU <= 1% of one
# core at 99 Hz, 0 failed requests.
# A measurement: it prints figures and gates nothing. Needs root and curl.
# Usage: tests/bench/serve_soak.sh   (env: SECS=600 INTERVAL=15 CHURN=20 (processes/s)
#        MAX_EXITED=512 CPROF=./cprof-bpf)
source "$(dirname "$0")/lib.bash"
SECS=${SECS:-600}
INTERVAL=${INTERVAL:-15}
CHURN=${CHURN:-20}
MAX_EXITED=${MAX_EXITED:-512}
require_bench shortlived cpusplit
command -v curl >/dev/null || die "curl is missing"

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# The churn: CHURN short-lived CPU burners a second (each 20 ms of work, a new pid and new
# stacks every time), and one long-lived process with steady CPU.
"$WL/cpusplit" $((SECS + 60)) >/dev/null 2>&1 &
pids+=("$!")
(
	while :; do
		for ((i = 0; i < CHURN; i++)); do "$WL/shortlived" 0.02 >/dev/null 2>&1 & done
		sleep 1
	done
) &
pids+=("$!")

"$CPROF" --http 127.0.0.1:0 --max-exited "$MAX_EXITED" -d "$SECS" -o "$tmp/served" \
	>/dev/null 2>"$tmp/served.err" &
srv=$!
pids+=("$srv")
"$CPROF" --max-exited "$MAX_EXITED" -d "$SECS" -o "$tmp/floor" >/dev/null 2>"$tmp/floor.err" &
floor=$!
pids+=("$floor")
for ((i = 0; i < 100; i++)); do
	url=$(sed -n 's/.*serving \(http:[^ ]*\)\/debug\/pprof\/.*/\1/p' "$tmp/served.err")
	[ -n "$url" ] && grep -q "profiling the whole host" "$tmp/served.err" && break
	sleep 0.2
done
[ -n "$url" ] || die "the server did not start: $(head -3 "$tmp/served.err")"
echo "serve_soak — $(uname -r), $(nproc) CPUs, ${SECS}s, scrapes every ${INTERVAL}s," \
	"$CHURN new processes/s, --max-exited $MAX_EXITED"
printf '%8s %12s %12s %10s %8s\n' "t (s)" "served MiB" "floor MiB" "requests" "failed"

hz=$(getconf CLK_TCK)
t0=$(date +%s.%N)
c0_srv=$(cpu_ticks "$srv") c0_floor=$(cpu_ticks "$floor")
requests=0 failed=0
: >"$tmp/rss"
# fetch PATH: one GET; counts it, and a failure (status other than 200).
fetch() {
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time $((2 * INTERVAL + 10)) "$url$1")
	echo "$code" >>"$tmp/codes"
}
: >"$tmp/codes"
end=$(($(date +%s) + SECS - INTERVAL))
while [ "$(date +%s)" -lt "$end" ] && kill -0 "$srv" 2>/dev/null; do
	fetch "/debug/pprof/profile?seconds=$((INTERVAL - 1))" &
	fetch /debug/pprof/block &
	fetch /debug/pprof/ &
	sleep "$INTERVAL"
	now=$(date +%s.%N)
	rs=$(rss_kib "$srv") rf=$(rss_kib "$floor")
	requests=$(wc -l <"$tmp/codes")
	failed=$(grep -cv '^200$' "$tmp/codes")
	echo "$rs $rf" >>"$tmp/rss"
	printf '%8.0f %12.1f %12.1f %10d %8d\n' "$(echo "$now - $t0" | bc)" \
		"$(echo "$rs / 1024" | bc -l)" "$(echo "$rf / 1024" | bc -l)" "$requests" "$failed"
done
wait_secs=$(echo "$(date +%s.%N) - $t0" | bc)
c1_srv=$(cpu_ticks "$srv") c1_floor=$(cpu_ticks "$floor")
index=$(curl -s "$url/debug/pprof/")
sleep 1
requests=$(wc -l <"$tmp/codes")
failed=$(grep -cv '^200$' "$tmp/codes")
awk -v hz="$hz" -v secs="$wait_secs" -v cs=$((c1_srv - c0_srv)) -v cf=$((c1_floor - c0_floor)) \
	-v req="$requests" -v failed="$failed" '
	{ s[NR] = $1 / 1024; f[NR] = $2 / 1024; if (s[NR] > smax) smax = s[NR] }
	END {
		n = NR; a = int(n / 3)
		for (i = a + 1; i <= 2 * a; i++) { mid += s[i]; midn++ }
		for (i = 2 * a + 1; i <= n; i++) { last += s[i]; lastn++ }
		printf "RSS (served): max %.1f MiB, middle third %.1f, last third %.1f MiB " \
		       "(trend %+.1f%%)   goal <= 64 MiB, no upward trend\n", smax,
		       midn ? mid / midn : 0, lastn ? last / lastn : 0,
		       midn && mid ? 100 * ((last / lastn) / (mid / midn) - 1) : 0
		printf "RSS (floor, no --http): last %.1f MiB\n", f[n]
		printf "CPU: served %.2f%% of one core, floor %.2f%%   goal <= 1%% at 99 Hz\n",
		       100 * cs / hz / secs, 100 * cf / hz / secs
		printf "requests: %d, failed %d   goal 0 failed\n", req, failed
	}' "$tmp/rss"
sed -n 's/<[^>]*>//g; s/.*\(exited processes released[^.]*\).*/released: \1/p; s/.*\([0-9]* distinct stacks held[^.]*\).*/held: \1/p' \
	<<<"$index" | head -3

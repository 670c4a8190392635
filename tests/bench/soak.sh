#!/usr/bin/env bash
# A long whole-host run (all default kinds) on a host that keeps changing: process churn (every
# second CHURN short-lived CPU burners, one uw_spawn creating and joining threads, and one
# binary linked a moment before, so with a build id no table cache knows) and a compile (the
# project's own sources compiled again and again with gcc -O2 into a scratch directory: cc1 is
# a large object, and new every time as a process). With --http cprof-bpf also serves
# /debug/pprof and is scraped every INTERVAL as Grafana Alloy does (profile?seconds=
# INTERVAL-1, block); tests/bench/serve_soak.sh compares such a server with a run without
# --http, this one holds a run, served or not, to the profiler's goals.
# Every INTERVAL it prints cprof-bpf's RSS (VmRSS, and RssAnon: what malloc holds), its open
# descriptors, the memory of its BPF maps (memlock in /proc/PID/fdinfo, each map once) and its
# CPU over the interval. At the end: max RSS against the goal, the least-squares slope of RSS
# and of descriptors over the second half (with its standard error), and PASS/FAIL lines:
#   RSS <= 64 MiB;
#   no upward RSS trend: the second half's slope at most TREND_KIB KiB/min (default 16), or
#     under two of its standard errors. The state of a bounded run stops growing once
#     --max-exited and --max-stacks are reached, which this churn does in its first minute,
#     so after that any steady slope is a leak; 16 KiB/min (23 MiB a day) is about the
#     least a 15-minute half resolves: malloc and the kernel move RSS in steps of tens to
#     hundreds of KiB. A slope under it is no proof of a bounded run of weeks;
#   no descriptor leak: descriptors at the end <= at the first sample after WARMUP + FD_SLACK
#     (default 16: --http-max-requests connections at once, 8, and files a table build holds
#     open while it runs).
# A measurement: it prints figures and gates nothing (exit 0 unless it could not run). Needs
# root and gcc (curl with --http).
# Usage: tests/bench/soak.sh [--minutes N] [--http]   (env: MINUTES=30 INTERVAL=10
#        WARMUP=60 CHURN=10 TREND_KIB=16 FD_SLACK=16 NICE=0 CPROF=./cprof-bpf)
source "$(dirname "$0")/lib.bash"
MINUTES=${MINUTES:-30}
INTERVAL=${INTERVAL:-10}
WARMUP=${WARMUP:-60}
CHURN=${CHURN:-10}
TREND_KIB=${TREND_KIB:-16}
FD_SLACK=${FD_SLACK:-16}
NICE=${NICE:-0}
GOAL_MIB=64
http=0
while [ $# -gt 0 ]; do
	case $1 in
	--minutes) MINUTES=${2:?--minutes needs a number}; shift ;;
	--minutes=*) MINUTES=${1#*=} ;;
	--http) http=1 ;;
	*) die "usage: $0 [--minutes N] [--http]" ;;
	esac
	shift
done
[[ $MINUTES =~ ^[1-9][0-9]*$ ]] || die "--minutes: a whole number > 0"
require_bench shortlived uw_spawn
command -v gcc >/dev/null || die "gcc is missing (the compile and the fresh binaries)"
((http == 0)) || command -v curl >/dev/null || die "curl is missing (it scrapes with --http)"
secs=$((MINUTES * 60))
[ "$WARMUP" -lt $((secs / 2)) ] || WARMUP=$((secs / 4))
# The workloads are niced with NICE too: on a shared machine it keeps the soak's own load
# from taking the other users' CPUs; cprof-bpf itself is never niced.
run_nice() { nice -n "$NICE" "$@"; }

# The compile: every .c of user/ and encoder/, one at a time, in a loop until killed.
mkdir -p "$tmp/cc"
: >"$tmp/spawned"
: >"$tmp/compiles"
srcs=$(cd "$root" && ls user/*/*.c encoder/*.c)
(
	cd "$root" || exit 1
	while :; do
		for s in $srcs; do
			run_nice gcc -O2 -g -c -Ibuild -Ibuild/encoder -Ibpf -Iuser -Iencoder -D_GNU_SOURCE \
				-DCPROF_VERSION='"soak"' "$s" -o "$tmp/cc/$(basename "$s" .c).o" 2>/dev/null
			echo x >>"$tmp/compiles"
		done
		done
) &
pids+=("$!")

# The churn. A fresh binary: main burns ~50 ms in a loop whose bound is the round's number,
# so that its text, hence its build id, is new every time; it is removed after its run.
(
	n=0
	while :; do
		for ((i = 0; i < CHURN; i++)); do run_nice "$WL/shortlived" 0.02 >/dev/null 2>&1 & done
		run_nice "$WL/uw_spawn" 0.2 >/dev/null 2>&1 &
		f=$tmp/fresh_$n
		if echo "int main(void) { volatile unsigned long s = 0;
			for (unsigned long k = 0; k < 30000000ul + $n; k++) s += k; return 0; }" |
			run_nice gcc -O2 -x c - -o "$f" 2>/dev/null; then
			(run_nice "$f"; rm -f "$f") &
		fi
		echo $((CHURN + 2)) >>"$tmp/spawned"
		n=$((n + 1))
		sleep 1
	done
) &
pids+=("$!")

args=(-d $((secs + 30)) -o "$tmp/out")
((http)) && args+=(--http 127.0.0.1:0)
"$CPROF" "${args[@]}" >/dev/null 2>"$tmp/cprof.err" &
cprof=$!
pids+=("$cprof")
for ((i = 0; i < 150; i++)); do
	grep -q "profiling the whole host" "$tmp/cprof.err" && break
	kill -0 "$cprof" 2>/dev/null || die "cprof-bpf exited: $(head -3 "$tmp/cprof.err")"
	sleep 0.2
done
grep -q "profiling the whole host" "$tmp/cprof.err" || die "cprof-bpf did not start"
url=
if ((http)); then
	url=$(sed -n 's/.*serving \(http:[^ ]*\)\/debug\/pprof\/.*/\1/p' "$tmp/cprof.err")
	[ -n "$url" ] || die "the server did not start: $(head -3 "$tmp/cprof.err")"
fi

status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
# bpf_map_kib PID: memlock of the BPF maps PID holds a descriptor of, each map once (a map
# may be held by several descriptors), in KiB. Only a map's fdinfo has map_id.
bpf_map_kib() {
	grep -H -E '^(map_id|memlock):' "/proc/$1/fdinfo/"* 2>/dev/null |
		awk -F ':' '$2 == "memlock" { mem[$1] = $3 } $2 == "map_id" { id[$1] = $3 }
			END { for (f in id) m[id[f]] = mem[f]; for (i in m) s += m[i]
			      printf "%d\n", s / 1024 }'
}
# fetch PATH: one GET in the background; its status goes to $tmp/codes (200 or not).
fetch() {
	curl -s -o /dev/null -w '%{http_code}\n' --max-time $((2 * INTERVAL + 10)) "$url$1" \
		>>"$tmp/codes" &
}
: >"$tmp/codes"

echo "soak — $(uname -r), $(nproc) CPUs, $MINUTES min host-wide (default kinds)," \
	"churn $CHURN+2 processes/s, gcc -O2 of $(wc -w <<<"$srcs") sources in a loop," \
	"$( ((http)) && echo "--http scraped every ${INTERVAL}s" || echo "no --http")" \
	"$( ((NICE)) && echo "(workloads at nice $NICE)")"
printf '%7s %9s %9s %6s %10s %7s %9s %8s\n' "t (s)" "RSS MiB" "anon MiB" "fds" \
	"maps MiB" "CPU %" "spawned" "compiles"
hz=$(getconf CLK_TCK)
t0=$EPOCHREALTIME
c_prev=$(cpu_ticks "$cprof") t_prev=$t0
: >"$tmp/samples"
k=0
end=$(($(date +%s) + secs))
while [ "$(date +%s)" -lt "$end" ] && kill -0 "$cprof" 2>/dev/null; do
	if ((http)); then
		fetch "/debug/pprof/profile?seconds=$((INTERVAL - 1))"
		fetch /debug/pprof/block
	fi
	k=$((k + 1))
	# to the k-th multiple of INTERVAL from t0, whatever the sampling itself took
	sleep "$(awk -v t0="$t0" -v k=$k -v i="$INTERVAL" -v now="$EPOCHREALTIME" \
		'BEGIN { d = t0 + k * i - now; printf "%.2f", (d > 0 ? d : 0) }')"
	now=$EPOCHREALTIME c=$(cpu_ticks "$cprof")
	rss=$(status_kib "$cprof" VmRSS) anon=$(status_kib "$cprof" RssAnon)
	fds=$(nfds "$cprof") maps=$(bpf_map_kib "$cprof")
	spawned=$(awk '{ s += $1 } END { print s + 0 }' "$tmp/spawned")
	compiles=$(wc -l <"$tmp/compiles")
	awk -v t="$now" -v t0="$t0" -v tp="$t_prev" -v dc=$((c - c_prev)) -v hz="$hz" \
		-v rss="$rss" -v anon="$anon" -v fds="$fds" -v maps="$maps" -v sp="$spawned" \
		-v cc="$compiles" -v out="$tmp/samples" 'BEGIN {
		printf "%7.0f %9.1f %9.1f %6d %10.1f %7.2f %9d %8d\n", t - t0, rss / 1024,
		       anon / 1024, fds, maps / 1024, 100 * dc / hz / (t - tp), sp, cc
		printf "%.1f %d %d %d %d\n", t - t0, rss, anon, fds, maps >>out }'
	c_prev=$c t_prev=$now
done
kill -0 "$cprof" 2>/dev/null || die "cprof-bpf ended before the soak did: $(tail -3 "$tmp/cprof.err")"
secs_run=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
cpu_all=$(awk -v c="$(cpu_ticks "$cprof")" -v hz="$hz" -v s="$secs_run" \
	'BEGIN { printf "%.2f", 100 * c / hz / s }')
sleep 1
kill -INT "$cprof"
wait "$cprof"
rc=$?

echo
awk -v goal="$GOAL_MIB" -v trend="$TREND_KIB" -v slack="$FD_SLACK" -v warm="$WARMUP" '
	{ t[NR] = $1; rss[NR] = $2; anon[NR] = $3; fd[NR] = $4; maps[NR] = $5
	  if ($2 > max) { max = $2; tmax = $1 }
	  if (!fd0 && $1 >= warm) { fd0 = $4; tfd0 = $1 } }
	# slope Y FROM: least-squares slope of Y over samples FROM..NR, per minute, and its
	# standard error in se.
	function slope(y, from,    i, n, mt, my, sxx, sxy, b, a, r, ssr) {
		n = NR - from + 1
		for (i = from; i <= NR; i++) { mt += t[i] / 60; my += y[i] }
		mt /= n; my /= n
		for (i = from; i <= NR; i++) {
			sxx += (t[i] / 60 - mt) ^ 2; sxy += (t[i] / 60 - mt) * (y[i] - my)
		}
		b = sxx ? sxy / sxx : 0; a = my - b * mt
		for (i = from; i <= NR; i++) { r = y[i] - a - b * t[i] / 60; ssr += r * r }
		se = (n > 2 && sxx) ? sqrt(ssr / (n - 2) / sxx) : 0
		return b
	}
	function verdict(ok, what) { printf "%s: %s\n", ok ? "PASS" : "FAIL", what }
	END {
		if (NR < 4) { print "too few samples for a trend"; exit }
		h = int(NR / 2) + 1
		s_rss = slope(rss, h); se_rss = se
		s_anon = slope(anon, h); se_anon = se
		s_fd = slope(fd, h); se_fd = se
		s_maps = slope(maps, h)
		printf "samples: %d, second half from t = %.0f s\n", NR, t[h]
		printf "max RSS: %.1f MiB at t = %.0f s   goal <= %d MiB\n", max / 1024, tmax, goal
		printf "RSS slope (second half): %+.1f KiB/min (standard error %.1f); RssAnon %+.1f" \
		       " KiB/min (%.1f); BPF maps %+.1f KiB/min\n", s_rss, se_rss, s_anon, se_anon, s_maps
		printf "fds: %d at t = %.0f s (first sample after %d s of warm-up), %d at the end," \
		       " max %d; slope (second half) %+.2f/min (standard error %.2f)\n",
		       fd0, tfd0, warm, fd[NR], fdmax(), s_fd, se_fd
		printf "BPF maps: %.1f MiB at the start, %.1f MiB at the end\n", maps[1] / 1024,
		       maps[NR] / 1024
		verdict(max <= goal * 1024, sprintf("RSS <= %d MiB (max %.1f MiB)", goal, max / 1024))
		verdict(s_rss <= trend || s_rss <= 2 * se_rss,
			sprintf("no upward RSS trend (slope %+.1f KiB/min; threshold %d KiB/min, or" \
			        " under two standard errors, %.1f)", s_rss, trend, 2 * se_rss))
		verdict(fd[NR] <= fd0 + slack, sprintf("no descriptor leak (%d at the end <= %d" \
		        " after warm-up + %d)", fd[NR], fd0, slack))
	}
	function fdmax(    i, m) { for (i = 1; i <= NR; i++) if (fd[i] > m) m = fd[i]; return m }
' "$tmp/samples"
echo "cprof-bpf: CPU $cpu_all% of one core over the run, exit status $rc"
if ((http)); then
	echo "requests: $(wc -l <"$tmp/codes"), failed $(grep -cv '^200$' "$tmp/codes")"
fi
# What the run kept and released, as its summary says.
grep -E 'unwind tables:|objects left without tables|released past|stack table|ring buffer full' "$tmp/cprof.err" |
	sed 's/^ */cprof-bpf summary: /' | head -8
exit 0

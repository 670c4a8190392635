#!/usr/bin/env bash
# /debug/pprof/goroutine and /debug/pprof/threads: a snapshot of every thread taken when
# asked, not the run's aggregate, as Go's goroutine endpoint answers.
#   1. threads (tests/workloads/threads.c) under -t cpu --http: both paths are profiles
#      (attachment goroutine / threads) that go tool pprof reads, of one snapshot:
#      threads/count through sleep_main, read_main, lock_main, spin_main exactly 10, 10, 10,
#      20 (state labels sleeping, sleeping, sleeping, running), 51 in all; pprofcheck passes
#      them (Parca's and Alloy's rules); a second request is a new snapshot (its time later).
#   2. ?debug=1 and ?debug=2: text/plain, the text of `cprof-bpf stacks` (the process's line,
#      f_sleep's frame): debug=1 grouped ("10 threads: sleeping 10", three such groups),
#      debug=2 one entry per thread, as `stacks --each` ("thread TID sleep-I [sleeping]:"
#      entries, 51 in all, 10 of them sleep-*, no group lines).
#   3. A bad query is a 400 with a reason: debug=3, seconds=5, debug=x; threadcreate is still
#      a 404 that says what is served.
#   4. Host-wide (no -p): every program's threads, the workload's as with -p, and those of
#      one started after the server, unwound.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/serve.bash"
require_binary threads
require_root
require_pprof
has_bpf_caps || skip_all "no CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN in this environment"
command -v curl >/dev/null || skip_all "curl is not installed"
PC=$OUT/tools/pprofcheck

start_bg wl "$WL/threads" 120
wait_until 20 has_line "$E2E_TMP/wl.log" '^threads: pid [0-9]+ ready$' ||
	{ fail setup "threads (pid $wl) did not get its threads in place within 20 s"; e2e_exit; }
serve_start srv --http 127.0.0.1:0 -t cpu -p "$wl" -o "$E2E_TMP/out" || e2e_exit

# ---- 1. profiles -----------------------------------------------------------------------
for path in goroutine threads; do
	http "$path" "$path"
	why=()
	[ "$CODE" = 200 ] || why+=("status $CODE: $BODY")
	check_profile_reply why "$path" "$path"
	if [ "$CODE" = 200 ] && ! TRACES=$(pprof_traces "$E2E_TMP/$path.body" -sample_index=threads); then
		why+=("go tool pprof cannot read it: $(head -1 "$PPROF_ERR")")
	fi
	figures=""
	for g in "sleep_main 10 sleeping" "read_main 10 sleeping" "lock_main 10 sleeping" \
		"spin_main 20 running"; do
		read -r fn want state <<<"$g"
		got=$(traces_count '";" stack ";" ~ /;'"$fn"';/' <<<"$TRACES")
		other=$(traces_count '";" stack ";" ~ /;'"$fn"';/ && lab !~ /,state='"$state"',/' <<<"$TRACES")
		figures+="$fn $got $state; "
		[ "$got" = "$want" ] || why+=("$got threads through $fn, want $want")
		[ "$other" = 0 ] || why+=("$other threads through $fn not $state")
	done
	total=$(traces_count 1 <<<"$TRACES")
	[ "$total" = 51 ] || why+=("$total threads in all, want 51")
	verdict "$path" "${figures}51 in all: $total" "${why[@]}"
	if "$PC" validate "$E2E_TMP/$path.body" >"$E2E_TMP/$path.check" 2>&1; then
		pass "${path}_pprofcheck" "$(grep -c '^ok' "$E2E_TMP/$path.check") rules"
	else
		fail "${path}_pprofcheck" "$(grep -m1 '^FAIL' "$E2E_TMP/$path.check")"
	fi
done
if pprof_get got "$URL/goroutine"; then
	t1=$(profile_time "$E2E_TMP/goroutine.body")
	t2=$(profile_time "$E2E_TMP/got.pb.gz")
	verdict fresh "go tool pprof $URL/goroutine: $(grep -c 'state:\[' "$E2E_TMP/got.raw") samples, time $t2 after $t1" \
		$(fcmp "$t2 > $t1" || echo "not a new snapshot")
else
	fail fresh "go tool pprof $URL/goroutine: $(head -1 "$E2E_TMP/got.pprof")"
fi

# ---- 2. text ---------------------------------------------------------------------------
for d in 1 2; do
	http "text$d" "goroutine?debug=$d"
	t=$E2E_TMP/text$d.body
	why=()
	[ "$CODE" = 200 ] || why+=("status $CODE: $BODY")
	[ "$(header "text$d" Content-Type)" = "text/plain; charset=utf-8" ] ||
		why+=("Content-Type '$(header "text$d" Content-Type)'")
	has_line "$t" "^pid $wl \\(threads\\): 51 threads$" || why+=("no line 'pid $wl (threads): 51 threads'")
	if [ "$d" = 1 ]; then
		[ "$(grep -c '^10 threads: sleeping 10' "$t")" = 3 ] || why+=("$(grep -c '^10 threads: sleeping 10' "$t") groups of 10 sleeping, want 3")
	else
		[ "$(grep -c '^thread [0-9]* [^ ]* \[[a-z]*\]:$' "$t")" = 51 ] || why+=("$(grep -c '^thread [0-9]* [^ ]* \[[a-z]*\]:$' "$t") thread entries, want 51")
		[ "$(grep -c '^thread [0-9]* sleep-[0-9]* \[sleeping\]:$' "$t")" = 10 ] || why+=("$(grep -c '^thread [0-9]* sleep-[0-9]* \[sleeping\]:$' "$t") sleep-* entries sleeping, want 10")
		! grep -q '^[0-9]* threads\?: ' "$t" || why+=("group lines in debug=2")
	fi
	has_line "$t" '^  f_sleep at .*threads\.c:[0-9]+ \[threads\]$' || why+=("no f_sleep frame")
	verdict "debug$d" "$(wc -l <"$t") lines: $BODY" "${why[@]}"
done

# ---- 3. bad queries --------------------------------------------------------------------
# bad NAME PATH STATUS WANT-RE: PATH answers STATUS with one line matching WANT-RE.
bad() {
	http "$1" "$2"
	why=()
	[ "$CODE" = "$3" ] || why+=("status $CODE, want $3")
	check_error_reply why "$1"
	grep -Eq "$4" "$E2E_TMP/$1.body" || why+=("want '$4'")
	verdict "$1" "$CODE: $BODY" "${why[@]}"
}
bad debug3 "goroutine?debug=3" 400 'debug=3: 0 \(a pprof profile\), 1 or 2 \(text\)'
bad seconds "threads?seconds=5" 400 'seconds=5: threads is a snapshot of now'
bad debug_word "goroutine?debug=x" 400 'debug'
bad threadcreate threadcreate 404 'not served by cprof-bpf; profiles here: .*goroutine, threads'
kill -INT "$CPROF_PID" 2>/dev/null
wait_exit "$CPROF_PID" 30 >/dev/null 2>&1

# Host-wide: every program's threads, the workload's among them as with -p, and a process
# started after the server (its view published for the request).
serve_start host --http 127.0.0.1:0 -t cpu -o "$E2E_TMP/host" || e2e_exit
start_bg late "$WL/threads" 60
wait_until 20 has_line "$E2E_TMP/late.log" '^threads: pid [0-9]+ ready$'
http host_wide goroutine
why=()
[ "$CODE" = 200 ] || why+=("status $CODE: $BODY")
if [ "$CODE" = 200 ] && ! HT=$(pprof_traces "$E2E_TMP/host_wide.body" -sample_index=threads); then
	why+=("go tool pprof cannot read it: $(head -1 "$PPROF_ERR")")
fi
figures=""
for p in "$wl" "$late"; do
	n=$(traces_count 'lab ~ /,pid='"$p"',/' <<<"$HT")
	spin=$(traces_count '";" stack ";" ~ /;spin_main;/ && lab ~ /,pid='"$p"',/' <<<"$HT")
	sleep_fs=$(traces_count '";" stack ";" ~ /;f_sleep;sleep_main;/ && lab ~ /,pid='"$p"',/' <<<"$HT")
	figures+="pid $p: $n threads, $spin through spin_main, $sleep_fs in f_sleep; "
	[ "$n" = 51 ] || why+=("pid $p: $n threads, want 51")
	[ "$spin" = 20 ] || why+=("pid $p: $spin through spin_main, want 20")
	[ "$sleep_fs" = 10 ] || why+=("pid $p: $sleep_fs in f_sleep under sleep_main, want 10 (unwound)")
done
mine=$(traces_count 'lab ~ /,pid='"$$"',/' <<<"$HT")
[ "$mine" = 1 ] || why+=("this shell: $mine threads, want 1")
verdict host_wide "${figures}this shell $mine" "${why[@]}"
kill -INT "$CPROF_PID" 2>/dev/null
e2e_exit

#!/usr/bin/env bash
# pprofcheck (tests/tools/pprofcheck): the checker that reads profiles with the pprof package
# and the rules of Parca's ingest and Grafana Alloy's scraper.
#  1. Its self-test: validate accepts a valid profile and rejects one broken copy per rule
#     with that rule's message; delta and sum give known figures. Then the same through the
#     command line on the files the self-test writes (exit codes, lines, usage errors).
#  2. cprof-bpf's real output: every profile of -t cpu,block,mutex,heap runs on the locks and
#     heap workloads, an empty run (`true`), stacks cut by --max-depth and processes released
#     by --max-exited (so that [truncated] and [evicted] frames are there) passes every rule;
#     Alloy's address rules (every location a non-zero address of its own in its mapping,
#     synthetic frames included) are reported on their own. delta of each profile against
#     itself is 0 with no key gone negative.
#  3. The /debug/pprof endpoints of a running cprof-bpf behind a bearer token: the same rules
#     plus the response headers and Go's conventions (cumulative profiles without a duration,
#     windows with one), and two scrapes of each cumulative endpoint never go down.
source "$(dirname "$0")/lib.bash"
PC=$OUT/tools/pprofcheck

if [ ! -x "$PC" ]; then
	command -v "$GO" >/dev/null 2>&1 ||
		skip_all "go is not installed (pprofcheck is Go; apt-get install golang-go)"
	fail setup "$PC is not built (run make test-build)"
	exit 1
fi

# ---- 1. self-test ----------------------------------------------------------------------

SELF=$E2E_TMP/self
mkdir -p "$SELF"
"$PC" selftest -write "$SELF" >"$E2E_TMP/self.out" 2>"$E2E_TMP/self.err"
rc=$?
while read -r v name rest; do
	name=${name#selftest/}
	case $v in
	PASS) rest=${rest#(} && pass "selftest/$name" "${rest%)}" ;;
	FAIL) fail "selftest/${name%:}" "$rest" ;;
	esac
done <"$E2E_TMP/self.out"
npass=$(grep -c '^PASS ' "$E2E_TMP/self.out")
nfail=$(grep -c '^FAIL ' "$E2E_TMP/self.out")
why=()
[ "$rc" -eq $((nfail > 0)) ] || why+=("exit $rc with $nfail failed cases: $(head -c 300 "$E2E_TMP/self.err")")
# Every case ran: a self-test that stopped early must not look like a pass.
[ $((npass + nfail)) -ge 52 ] || why+=("$((npass + nfail)) cases, want ≥ 52")
verdict selftest "$npass cases passed, exit $rc" "${why[@]}"

# cli CHECK WANT-RC GREP-REGEX ARGS...: pprofcheck ARGS exits WANT-RC and prints a line
# matching GREP-REGEX.
cli() {
	local name=$1 want=$2 re=$3 out rc why=()
	shift 3
	out=$("$PC" "$@" 2>&1)
	rc=$?
	[ "$rc" -eq "$want" ] || why+=("exit $rc, want $want")
	grep -Eq -- "$re" <<<"$out" || why+=("no line matching '$re'")
	[ ${#why[@]} -eq 0 ] || sed -n '1,30s/^/    | /p' <<<"$out"
	verdict "cli/$name" "exit $rc, $(grep -Em1 -- "$re" <<<"$out")" "${why[@]}"
}

cli valid 0 '^ok +alloy\.address-unique ' validate "$SELF/valid.pb"
cli valid_flags 0 '^ok +flag\.types ' validate -delta -default-type cpu \
	-types samples/count,cpu/nanoseconds "$SELF/valid_raw.pb"
cli location_ids 1 '^FAIL parca\.location-ids .*location\[0\] has id 2, want 1' \
	validate "$SELF/location_ids.pb"
cli address_zero 1 '^FAIL alloy\.address-nonzero .*"\[truncated\]"' validate "$SELF/address_zero.pb"
cli body_html 1 '^FAIL alloy\.body-format .*text instead of pprof' validate "$SELF/body_html.pb"
# One bad source among good ones fails the run, and the good one is still reported.
cli mixed 1 "^ok +parca\\.label-key +$SELF/valid\\.pb" validate "$SELF/valid.pb" "$SELF/label_key.pb"
cli missing 1 '^FAIL load .*no such file' validate "$SELF/nonexistent.pb"
cli usage_modes 2 '-cumulative and -delta' validate -cumulative -delta "$SELF/valid.pb"
cli usage_delta 2 'want -type NAME OLD NEW' delta -type samples "$SELF/valid.pb"
cli info 0 '^samples 6$' info "$SELF/valid_raw.pb"
cli sum 0 '^tag bytes=4096 4$' sum -type samples -tag thread=worker -by-tag bytes "$SELF/valid.pb"
cli sum_focus 0 '^focus 10$' sum -type samples -focus '^leaf$' -tag thread=worker "$SELF/valid.pb"
cli delta 0 '^negative 0$' delta -type cpu "$SELF/valid.pb" "$SELF/valid_raw.pb"
cli delta_total 0 '^total 0$' delta -type cpu "$SELF/valid.pb" "$SELF/valid_raw.pb"
cli delta_type 2 'no sample type "delay"' delta -type delay "$SELF/valid.pb" "$SELF/valid.pb"

# ---- 2. profiles written by cprof-bpf ----------------------------------------------------

require_binary locks heap shortlived
require_bpf cpu block mutex heap

KINDS=(cpu block mutex heap)

# validate_run RUN: every profile of run RUN; Alloy's address rules in a check of their own.
validate_run() {
	local run=$1 k f out nok bad addr
	for k in "${KINDS[@]}"; do
		f=$E2E_TMP/$run/$k.pb.gz
		if [ ! -s "$f" ]; then
			fail "$run/$k/valid" "$f missing"
			continue
		fi
		out=$E2E_TMP/$run-$k.validate
		"$PC" validate "$f" >"$out" 2>&1
		nok=$(grep -c '^ok ' "$out")
		mapfile -t bad < <(grep '^FAIL ' "$out" | grep -v '^FAIL alloy\.address-' | cut -c6- | cut -c1-300)
		mapfile -t addr < <(grep '^FAIL alloy\.address-' "$out" | cut -c6- | cut -c1-300)
		grep -q '^ok *pprof\.parse ' "$out" || [ ${#bad[@]} -gt 0 ] ||
			bad=("no pprof.parse line: $(head -c 200 "$out")")
		verdict "$run/$k/valid" "$nok rules hold" "${bad[@]}"
		grep -q '^ok *alloy\.address-nonzero ' "$out" || [ ${#addr[@]} -gt 0 ] ||
			addr=("the address rules did not run")
		verdict "$run/$k/alloy_addresses" \
			"$(sed -n 's/^ok *alloy\.address-nonzero .*(\(.*\))$/\1/p' "$out"): non-zero, one per address in each mapping" \
			"${addr[@]}"
	done
}

# delta_self RUN: each profile of RUN against itself, for each of its sample types: total 0,
# no key negative, no key left.
delta_self() {
	local run=$1 k f t types got why n
	for k in "${KINDS[@]}"; do
		f=$E2E_TMP/$run/$k.pb.gz
		[ -s "$f" ] || continue
		why=() n=0
		types=$("$PC" info "$f" | sed -n 's/^sample_types //p' | tr ',' ' ')
		[ -n "$types" ] || why+=("info lists no sample type")
		for t in $types; do
			got=$("$PC" delta -type "${t%/*}" "$f" "$f" 2>&1 | tr '\n' ' ')
			n=$((n + 1))
			[ "$got" = "total 0 negative 0 keys 0 " ] || why+=("$t: $got")
		done
		verdict "$run/$k/delta_self" "$n sample types: total 0, negative 0" "${why[@]}"
	done
}

# value FILE TYPE ARGS...: the line "total N" (or with -focus "focus N") of pprofcheck sum.
value() {
	local f=$1 t=$2 line=total
	shift 2
	[ $# -gt 0 ] && line=focus
	"$PC" sum -type "$t" "$@" "$f" 2>/dev/null | sed -n "s/^$line //p"
}

# check_positive CHECK FIGURE WHAT: FIGURE > 0, so that the rules ran on a real profile.
check_positive() {
	if [ "${2:-0}" -gt 0 ] 2>/dev/null; then
		pass "$1" "$2 $3"
	else
		fail "$1" "${2:-nothing} $3, want > 0"
	fi
}

# profile_run RUN ARGS...: cprof-bpf -t cpu,block,mutex,heap ARGS into $E2E_TMP/RUN.
profile_run() {
	local run=$1
	shift
	run_cprof "$run" 90 -t cpu,block,mutex,heap -o "$E2E_TMP/$run" "$@"
	if [ "$RC" -ne 0 ]; then
		show_err "$run"
		fail "$run/run" "cprof-bpf $* exited $RC"
		return 1
	fi
}

if profile_run locks -- "$WL/locks" contend 3; then
	validate_run locks
	delta_self locks
	d=$E2E_TMP/locks
	check_positive locks/cpu_samples "$(value "$d/cpu.pb.gz" samples)" "CPU samples"
	check_positive locks/block_delay "$(value "$d/block.pb.gz" delay)" "ns waited off-CPU"
	check_positive locks/mutex_hot_release "$(value "$d/mutex.pb.gz" delay -focus '^hot_release$')" \
		"ns of lock delay under hot_release"
fi

if profile_run heap -- "$WL/heap" threads; then
	validate_run heap
	delta_self heap
	check_positive heap/heap_churn \
		"$(value "$E2E_TMP/heap/heap.pb.gz" alloc_space -focus '^thread_(churn|retain)$')" \
		"bytes allocated under thread_churn or thread_retain"
fi

# Stacks cut after 2 user frames end in [truncated], a frame of no mapping at its own address.
if profile_run depth --max-depth 2 -- "$WL/locks" contend 2; then
	validate_run depth
	check_positive depth/truncated_frames \
		"$(value "$E2E_TMP/depth/cpu.pb.gz" samples -focus '^\[truncated\]$')" \
		"CPU samples under [truncated] (so the address rules saw synthetic frames)"
fi

# Processes released past --max-exited 1 leave their values in [evicted], another synthetic
# frame, beside the [truncated] ones of stacks still unwinding when a process exits.
if profile_run evicted --max-exited 1 -- sh -c \
	"for i in 1 2 3 4 5 6; do '$WL/shortlived' 0.3; done; '$WL/locks' contend 1"; then
	validate_run evicted
	check_positive evicted/evicted_frames \
		"$(value "$E2E_TMP/evicted/cpu.pb.gz" samples -focus '^\[evicted\]$')" \
		"CPU samples under [evicted] (so the address rules saw synthetic frames)"
fi

# An empty window: `true` takes no lock, so its mutex profile has no sample at all.
if profile_run empty -- true; then
	validate_run empty
	delta_self empty
	n=$("$PC" info "$E2E_TMP/empty/mutex.pb.gz" | sed -n 's/^samples //p')
	why=()
	[ "$n" = 0 ] || why+=("${n:-no} samples, want 0")
	verdict empty/mutex_empty "$n samples" "${why[@]}"
fi

# ---- 3. the /debug/pprof endpoints -------------------------------------------------------

TOKEN=pprofcheck-$RANDOM$RANDOM
(umask 077 && echo "$TOKEN" >"$E2E_TMP/token")
AUTH="Authorization: Bearer $TOKEN"
start_cprof_bg http --http 127.0.0.1:0 --http-token-file "$E2E_TMP/token" \
	-t cpu,block,mutex,heap -o "$E2E_TMP/http" -- "$WL/locks" contend 10
if ! wait_ready http 60; then
	show_err http
	fail http/start "cprof-bpf --http did not start profiling"
	e2e_exit
fi
URL=$(sed -n 's|^cprof-bpf: serving \(http://[^/]*\)/debug/pprof/.*|\1|p' "$E2E_TMP/http.err")
URL=$URL/debug/pprof
sleep 1 # some contention to show

# endpoint CHECK PATH ARGS...: validate URL PATH with the token and ARGS; every rule holds.
endpoint() {
	local name=$1 path=$2 out nok bad
	shift 2
	out=$E2E_TMP/http-$name.validate
	"$PC" validate -H "$AUTH" "$@" "$URL/$path" >"$out" 2>&1
	nok=$(grep -c '^ok ' "$out")
	mapfile -t bad < <(grep '^FAIL ' "$out" | cut -c6- | cut -c1-300)
	[ "$nok" -gt 0 ] || [ ${#bad[@]} -gt 0 ] || bad=("no result: $(head -c 200 "$out")")
	verdict "http/$name" "$nok rules hold" "${bad[@]}"
}

cont=contentions/count,delay/nanoseconds
heap_types=alloc_objects/count,alloc_space/bytes,inuse_objects/count,inuse_space/bytes
endpoint mutex mutex -cumulative -filename mutex -types "$cont"
endpoint block block -cumulative -filename block -types "$cont"
endpoint heap heap -cumulative -filename heap -default-type '' -types "$heap_types"
endpoint allocs allocs -cumulative -filename allocs -default-type alloc_space -types "$heap_types"
endpoint profile 'profile?seconds=1' -delta -filename profile -types samples/count,cpu/nanoseconds
endpoint mutex_window 'mutex?seconds=1' -delta -filename mutex-delta -types "$cont"

# Without the token: 401, and validate says so.
out=$("$PC" validate "$URL/mutex" 2>&1)
rc=$?
why=()
[ "$rc" -eq 1 ] || why+=("exit $rc, want 1")
grep -q '^FAIL http\.status .*status 401' <<<"$out" || why+=("no 'FAIL http.status ... status 401': $(head -c 200 <<<"$out")")
verdict http/no_token "exit $rc" "${why[@]}"

# Two scrapes of each cumulative endpoint, as Alloy takes them: no key goes down.
for ep in mutex:delay block:delay allocs:alloc_space; do
	got=$("$PC" delta -H "$AUTH" -type "${ep#*:}" "$URL/${ep%:*}" "$URL/${ep%:*}" 2>&1)
	neg=$(sed -n 's/^negative //p' <<<"$got")
	total=$(sed -n 's/^total //p' <<<"$got")
	why=()
	[ "$neg" = 0 ] || why+=("negative ${neg:-?}: $(tr '\n' ' ' <<<"$got")")
	[ "${total:--1}" -ge 0 ] 2>/dev/null || why+=("total ${total:-?}, want ≥ 0")
	verdict "http/scrapes_${ep%:*}" "$(tr '\n' ' ' <<<"$got")" "${why[@]}"
done

# With --http, cprof-bpf serves on after its COMMAND exits, until SIGINT.
wait_until 30 has_line "$E2E_TMP/http.err" 'locks exited; still serving'
kill -INT "$CPROF_PID" 2>/dev/null
wait_exit "$CPROF_PID" 60
[ "$RC" -eq 0 ] || { show_err http; fail http/exit "cprof-bpf --http exited $RC after SIGINT"; }
e2e_exit

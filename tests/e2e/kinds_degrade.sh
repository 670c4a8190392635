#!/usr/bin/env bash
# One kind that cannot load never sinks the run. CPROF_FAIL_KINDS makes a kind's load fail
# as a kernel that refuses it would: with the default kinds the run warns in one line, goes
# on, writes the other profiles (checked against spin_one's ground truth: one busy thread)
# and names the missing kind in its summary; named with -t the same kind is an error (exit
# 1, one line, nothing written). --check says the same per kind, exit 1 when one is missing.
source "$(dirname "$0")/lib.bash"
require_binary spin_one
require_bpf cpu block mutex heap
require_pprof

secs=3
hz=99
files=(cpu block mutex heap)

# check_degraded KIND: spin_one profiled with the default kinds while KIND's load fails.
check_degraded() {
	local kind=$1 dir=$E2E_TMP/no-$1 why=() k samples cpu want warn
	run_cprof "no-$kind" 60 -o "$dir" -- "$WL/spin_one" "$secs"
	[ "$RC" -eq 0 ] || why+=("exit $RC, want 0")
	warn=$(grep -c "^cprof-bpf: warning: no $kind profile: loading its BPF programs\? failed: made to fail by CPROF_FAIL_KINDS; -v shows" "$E2E_TMP/no-$kind.err")
	[ "$warn" -eq 1 ] || why+=("$warn warning lines naming the $kind profile and -v, want 1")
	grep -q "^  not collected: the $kind profile (loading its BPF programs\? failed: made to fail" \
		"$E2E_TMP/no-$kind.err" || why+=("the summary does not name the $kind profile as not collected")
	grep "^cprof-bpf: profiling spin_one (" "$E2E_TMP/no-$kind.err" | grep -q "[(,]$kind[,)]" &&
		why+=("the start line still lists $kind")
	for k in "${files[@]}"; do
		if [ "$k" = "$kind" ]; then
			[ -e "$dir/$k.pb.gz" ] && why+=("$k.pb.gz written although its kind did not load")
		elif [ ! -s "$dir/$k.pb.gz" ]; then
			why+=("$k.pb.gz missing")
		fi
	done
	if [ "$kind" != cpu ] && [ -s "$dir/cpu.pb.gz" ]; then
		# One busy thread for the whole run: one sample per period of the CPU time it
		# used (what it printed; less than the run on a busy machine), all in spin_one_hot.
		samples=$(pprof_top "$dir/cpu.pb.gz" | top_value spin_one_hot flat)
		cpu=$(sed -n 's/^spin_one: cpu \([0-9.]*\) s$/\1/p' "$E2E_TMP/no-$kind.out")
		want=$(awk -v c="${cpu:-0}" -v hz="$hz" 'BEGIN { printf "%d", c * hz + 0.5 }')
		within "$samples" "$want" 25 ||
			why+=("$samples samples in spin_one_hot, want $want ±25% (${cpu:-?} s of CPU at $hz Hz)")
	fi
	[ ${#why[@]} -eq 0 ] || show_err "no-$kind"
	verdict "default_without_$kind" "exit $RC${samples:+, $samples samples in spin_one_hot for ${cpu:-?} s of CPU}" "${why[@]}"
}

export CPROF_FAIL_KINDS
for k in "${files[@]}"; do
	CPROF_FAIL_KINDS=$k
	check_degraded "$k"
done

# Named with -t: an error, one line, no profile written.
CPROF_FAIL_KINDS=mutex
run_cprof named 30 -t cpu,mutex -o "$E2E_TMP/named" -d 1 -- "$WL/spin_one" 5
why=()
[ "$RC" -eq 1 ] || why+=("exit $RC, want 1")
lines=$(grep -c . "$E2E_TMP/named.err")
[ "$lines" -eq 1 ] || why+=("$lines lines on stderr, want 1")
grep -q "^cprof-bpf: the mutex profile cannot be collected: .*CPROF_FAIL_KINDS.*-v shows" \
	"$E2E_TMP/named.err" || why+=("stderr does not name the mutex profile and -v: '$(head -c 300 "$E2E_TMP/named.err")'")
ls "$E2E_TMP/named"/*.pb.gz >/dev/null 2>&1 && why+=("profiles written: $(ls "$E2E_TMP/named")")
[ ${#why[@]} -eq 0 ] || show_err named
verdict named_kind_fails "exit $RC" "${why[@]}"

# Every kind refused: nothing to collect is an error.
CPROF_FAIL_KINDS=cpu,block,mutex,heap
run_cprof none 30 -o "$E2E_TMP/none" -d 1 -- "$WL/spin_one" 5
why=()
[ "$RC" -eq 1 ] || why+=("exit $RC, want 1")
grep -q "^cprof-bpf: no profile kind can be collected" "$E2E_TMP/none.err" ||
	why+=("no 'no profile kind can be collected' line")
verdict no_kind_left "exit $RC" "${why[@]}"

# --check: one line per kind; the refused one unavailable with its reason; exit 1.
CPROF_FAIL_KINDS=heap
run_cprof check 120 --check
why=()
[ "$RC" -eq 1 ] || why+=("exit $RC, want 1")
grep -Eq "^  heap +unavailable  loading its BPF programs failed: made to fail by CPROF_FAIL_KINDS" \
	"$E2E_TMP/check.out" || why+=("no 'heap unavailable' line with the reason")
for k in cpu block mutex; do
	line=$(grep "^  $k " "$E2E_TMP/check.out")
	insns=$(sed -n 's/.* \([0-9][0-9]*\) instructions verified.*/\1/p' <<<"$line")
	[[ $line == *" available "* ]] && [ "${insns:-0}" -gt 100 ] ||
		why+=("$k: '$line', want available with the verifier's instruction count")
done
[ ${#why[@]} -eq 0 ] && sed 's/^/    | /' "$E2E_TMP/check.out"
verdict check_reports_refused "exit $RC" "${why[@]}"

# Unforced, --check's exit status agrees with its lines.
unset CPROF_FAIL_KINDS
run_cprof check2 120 --check
n_av=$(grep -cE '^  [a-z]+ +available ' "$E2E_TMP/check2.out")
n_un=$(grep -cE '^  [a-z]+ +unavailable ' "$E2E_TMP/check2.out")
why=()
[ $((n_av + n_un)) -eq 5 ] || why+=("$((n_av + n_un)) kind lines, want 5 (cpu, block, mutex, heap, threads)")
{ [ "$n_un" -eq 0 ] && [ "$RC" -eq 0 ]; } || { [ "$n_un" -gt 0 ] && [ "$RC" -eq 1 ]; } ||
	why+=("exit $RC with $n_un kinds unavailable")
verdict check_status "$n_av available, $n_un unavailable, exit $RC" "${why[@]}"

# Usage: a bad kind name in CPROF_FAIL_KINDS is a usage error.
CPROF_FAIL_KINDS=bogus run_cprof bad 10 --check
why=()
[ "$RC" -eq 2 ] || why+=("exit $RC, want 2")
grep -q "CPROF_FAIL_KINDS: unknown profile type 'bogus'" "$E2E_TMP/bad.err" || why+=("no usage line")
verdict bad_fail_kinds "exit $RC" "${why[@]}"
e2e_exit
